#!/bin/sh
# One kernel of the matrix: doctor, then privsentry run with each capability
# tier in turn, each time with two containers made by hand (new mount, pid
# and uts namespaces): one that holds every capability and uses
# CAP_SYS_ADMIN, one reduced to Docker's default capabilities and device
# rules, both made by minicontainer (a runtime's steps, nothing exec'd inside
# before the workload). Prints what it saw between marker lines; tests/kernels/run.sh judges.
# Runs as root, inside a guest (guest-init.sh) or on the host itself. POSIX
# sh, busybox's applets and minicontainer only.
set -u
kernel=$1
binary=${PRIVSENTRY:-privsentry}
container=${PRIVSENTRY_MINICONTAINER:-minicontainer}
tiers=${PRIVSENTRY_TIERS:-auto tracepoint fentry kprobe}
devices=/sys/fs/cgroup/devices
work=$(mktemp -d /tmp/privsentry-kernel.XXXXXX)

# Docker's default device rules (minicontainer --default-caps has its
# capabilities).
default_devices="c 1:3 rwm
c 1:5 rwm
c 1:7 rwm
c 1:8 rwm
c 1:9 rwm
c 5:0 rwm
c 5:1 rwm
c 5:2 rwm
c 136:* rwm
c 10:200 rwm
c *:* m
b *:* m"

# The mount namespace inode of a process: the sensor names an unmanaged
# container after it.
mntns() { readlink "/proc/$1/ns/mnt" | tr -cd '0-9'; }

echo "=== PRIVSENTRY-KERNEL $kernel BEGIN $(uname -r)"
echo "=== DOCTOR BEGIN"
"$binary" doctor --no-docker 2>&1 | sed -n '/^Kernel features/,/^Privileges/p'
echo "=== DOCTOR END"

for tier in $tiers; do
  mkdir -p "$devices/psfull-$tier" "$devices/psdefault-$tier"
  echo a > "$devices/psdefault-$tier/devices.deny"
  echo "$default_devices" | while read -r rule; do echo "$rule" > "$devices/psdefault-$tier/devices.allow"; done

  "$binary" run --no-docker --cap-tier "$tier" --state-dir "" --log-level warn >"$work/out" 2>"$work/err" &
  sensor=$!
  waited=0
  until grep -q '"kind":"sensor-start"' "$work/out" 2>/dev/null; do
    sleep 1
    waited=$((waited + 1))
    if [ "$waited" -ge 180 ] || ! kill -0 "$sensor" 2>/dev/null; then break; fi
  done

  "$container" --cgroup "$devices/psfull-$tier" -- sh -c 'mount -t tmpfs none /mnt; sleep 4' &
  full=$!
  "$container" --cgroup "$devices/psdefault-$tier" --default-caps -- sleep 4 &
  default=$!
  sleep 1
  full_id="mntns-$(mntns $full)"
  default_id="mntns-$(mntns $default)"
  wait $full $default
  sleep 3
  kill -TERM "$sensor" 2>/dev/null
  wait "$sensor"
  code=$?
  echo "=== RUN BEGIN tier=$tier exit=$code full=$full_id default=$default_id"
  cat "$work/out"
  echo "=== RUN LOG"
  grep -E 'warn|error|critical' "$work/err" | cut -c1-400
  echo "=== RUN END"
  rmdir "$devices/psfull-$tier" "$devices/psdefault-$tier" 2>/dev/null
done
echo "=== PRIVSENTRY-KERNEL $kernel END"
rm -rf "$work"
