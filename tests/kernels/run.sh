#!/usr/bin/env bash
# The kernel matrix: boots each kernel under qemu (software emulation, no
# KVM needed) into a busybox initramfs holding privsentry, its libraries,
# setpriv and check.sh; runs the same check on this host's own kernel; prints
# a table of kernel x tier x result and exits 1 if any cell fails.
#
#   tests/kernels/run.sh [--binary PATH] [--minicontainer PATH] [--cache DIR] [--refresh] [KERNEL...]
#
# KERNEL: debian12-6.1 (Debian 12's 6.1 cloud kernel: no cap_capable
# tracepoint, kernel_cap_t as u32[2]), debian12-6.12 (Debian 12's 6.12 cloud
# kernel: no tracepoint, kernel_cap_t as u64), host (this machine's kernel,
# natively). Default: all three. Kernel packages come from the Debian archive
# (apt-get download) into the cache (default /var/cache/privsentry-kernels),
# which later runs use without fetching; --refresh looks for newer ones.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
binary=$repo/build/privsentry
container=$repo/build/tests/kernels/minicontainer
cache=${PRIVSENTRY_KERNEL_CACHE:-/var/cache/privsentry-kernels}
refresh=0
kernels=()
while [ $# -gt 0 ]; do
  case $1 in
    --binary) binary=$2; shift 2 ;;
    --minicontainer) container=$2; shift 2 ;;
    --cache) cache=$2; shift 2 ;;
    --refresh) refresh=1; shift ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    -*) echo "kernels: unknown option $1" >&2; exit 2 ;;
    *) kernels+=("$1"); shift ;;
  esac
done
[ ${#kernels[@]} -gt 0 ] || kernels=(debian12-6.1 debian12-6.12 host)
[ -x "$binary" ] || { echo "kernels: no privsentry binary at $binary (build first)" >&2; exit 2; }
[ -x "$container" ] || { echo "kernels: no minicontainer at $container (build first)" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "kernels: run as root" >&2; exit 2; }

work=$(mktemp -d /tmp/privsentry-kernels.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$cache"

# The package of a kernel line: the newest one in the cache, or the newest
# the archive has.
package_pattern() {
  case $1 in
    debian12-6.1) echo '^linux-image-6\.1\.0-[0-9]+-cloud-amd64-unsigned$' ;;
    debian12-6.12) echo '^linux-image-6\.12\.[0-9]+\+deb12-cloud-amd64-unsigned$' ;;
    *) return 1 ;;
  esac
}

kernel_image() {
  local name=$1 pattern package=""
  pattern=$(package_pattern "$name")
  if [ "$refresh" -eq 0 ]; then
    package=$(ls "$cache" | grep -E "$pattern" | sort -V | tail -n 1 || true)
  fi
  if [ -z "$package" ]; then
    package=$(apt-cache search --names-only "$pattern" | awk '{print $1}' | sort -V | tail -n 1)
    [ -n "$package" ] || { echo "kernels: the archive has no package matching $pattern (apt-get update?)" >&2; return 1; }
  fi
  if [ ! -d "$cache/$package" ]; then
    echo "kernels: fetching $package" >&2
    (cd "$work" && apt-get download -q "$package" >&2)
    dpkg-deb -x "$work/$package"_*.deb "$cache/$package.partial"
    mv "$cache/$package.partial" "$cache/$package"
    rm -f "$work/$package"_*.deb
  fi
  ls "$cache/$package"/boot/vmlinuz-* | head -n 1
}

# The initramfs: static busybox and minicontainer, privsentry with the
# libraries ldd names, the check and the init.
build_initramfs() {
  local root=$work/root file lib
  mkdir -p "$root"/{bin,sbin,usr/bin,proc,sys,dev,tmp,etc,mnt}
  cp /bin/busybox "$root/bin/busybox"
  ln -s busybox "$root/bin/sh"  # the init's interpreter; the other applets are linked at boot
  cp "$binary" "$root/bin/privsentry"
  cp "$container" "$root/bin/minicontainer"
  for file in "$binary"; do
    for lib in $(ldd "$file" | awk '/=> \// {print $3} /^\t\/lib/ {print $1}'); do
      mkdir -p "$root$(dirname "$lib")"
      cp -L "$lib" "$root$lib"
    done
  done
  cp "$here/check.sh" "$root/check.sh"
  cp "$here/guest-init.sh" "$root/init"
  (cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$work/initrd.gz"
}

boot() {
  local name=$1 image=$2
  timeout 1200 qemu-system-x86_64 -accel tcg,thread=multi -cpu max -smp 2 -m 1G -nographic -no-reboot -nic none \
    -kernel "$image" -initrd "$work/initrd.gz" \
    -append "console=ttyS0 panic=-1 quiet privsentry.kernel=$name" </dev/null | tr -d '\r' > "$work/$name.log" || true
}

rows=()
failed=0
doctor_rows=()

# What doctor said of one tier: "ok", or "--" and the kernel's refusal
# without libbpf's log.
doctor_tier() {
  grep -m1 -E "^\s+\[(ok|--)\]\s+$1:" "$2" | sed -E "s/^\s+\[(ok|--)\]\s+$1: /\1 /; s/ \(libbpf.*//; s/^ok .*/ok/"
}

# Judges one kernel's log: a row per tier asked.
judge() {
  local name=$1 log=$2 release doctor_live block header tier code full default live rules default_rules verdict expected result
  if ! grep -q "=== PRIVSENTRY-KERNEL $name END" "$log"; then
    rows+=("| $name | - | - | - | - | FAIL: the check did not finish (log: $(tail -n 3 "$log" | tr '\n' ' ' | cut -c1-200)) |")
    failed=1
    return
  fi
  release=$(sed -n "s/.*=== PRIVSENTRY-KERNEL $name BEGIN //p" "$log" | head -n 1)
  local tp fe kp
  tp=$(doctor_tier tracepoint "$log")
  fe=$(doctor_tier fentry "$log")
  kp=$(doctor_tier kprobe "$log")
  doctor_live=$(grep -m1 'live capability tier' "$log" | sed -E 's/.*live capability tier: ?//; s/:.*//')
  # The tiers this kernel must load: where doctor finds the tracepoint or
  # kprobes, and fentry on Debian's kernels (this host's refuses it by
  # policy). Without this a kernel that refused every tier would pass as
  # "fell back".
  local must=""
  grep -qE '^\s+\[ok\]\s+cap_capable tracepoint' "$log" && must+="tracepoint "
  [ "$name" = host ] || must+="fentry "
  grep -qE '^\s+\[ok\]\s+kprobes:' "$log" && must+="kprobe "
  local missing=""
  for tier in $must; do
    grep -qE "^\s+\[ok\]\s+$tier:" "$log" || missing+="$tier "
  done
  if [ -n "$missing" ]; then
    doctor_rows+=("| $name ($release) | $tp | $fe | $kp | $doctor_live: FAIL, the kernel offers ${missing% } but it does not load |")
    failed=1
  else
    doctor_rows+=("| $name ($release) | $tp | $fe | $kp | $doctor_live |")
  fi
  awk '/^=== RUN BEGIN/{n++} {print > ("'"$work/$name"'.run" n)}' "$log"
  for block in "$work/$name".run[0-9]*; do
    header=$(head -n 1 "$block")
    [[ $header == "=== RUN BEGIN"* ]] || continue
    tier=$(sed -E 's/.*tier=([a-z]+).*/\1/' <<<"$header")
    code=$(sed -E 's/.*exit=([0-9]+).*/\1/' <<<"$header")
    full=$(sed -E 's/.*full=([^ ]+).*/\1/' <<<"$header")
    default=$(sed -E 's/.*default=([^ ]+).*/\1/' <<<"$header")
    sed -n '2,/^=== RUN LOG/p' "$block" | grep '^{' > "$block.json" || true
    live=$(jq -r 'select(.kind=="sensor-start") | .capability_tier' "$block.json" | head -n 1)
    rules=$(jq -r --arg id "$full" 'select(.kind=="finding" and .container.id==$id) | .rule' "$block.json" | sort -u | tr '\n' ' ')
    default_rules=$(jq -r --arg id "$default" 'select(.kind=="finding" and .container.id==$id) | .rule' "$block.json" | sort -u | tr '\n' ' ')
    verdict=$(jq -r --arg id "$default" 'select(.kind=="container-start" and .container.id==$id) | .posture.verdict' "$block.json" | head -n 1)
    expected="full-capability-set "
    [ "$live" = none ] || expected+="privileged-capability-use "
    expected+="undeclared-privilege unrestricted-devices "
    result=pass
    if [ "$code" != 0 ]; then
      result="FAIL: exit $code"
    elif [ -z "$live" ]; then
      result="FAIL: no sensor-start"
    elif [ "$tier" = auto ] && [ "$live" != "$doctor_live" ]; then
      result="FAIL: auto chose $live, doctor says $doctor_live"
    elif [ "$tier" != auto ] && [ "$live" != "$tier" ] && [ "$live" != none ]; then
      result="FAIL: asked $tier, got $live"
    elif [ "$tier" != auto ] && [ "$live" = none ] && [[ " $must" == *" $tier "* ]]; then
      result="FAIL: the kernel offers $tier but run did not load it"
    elif [ "$tier" != auto ] && [ "$live" = none ] && grep -qE "^\s+\[ok\]\s+$tier:" "$log"; then
      result="FAIL: $tier loads in doctor but not in run"
    elif [ "$rules" != "$expected" ]; then
      result="FAIL: full container: ${rules:-nothing}, expected $expected"
    elif [ -n "$default_rules" ] || [ "$verdict" != clean ]; then
      result="FAIL: restricted container: ${default_rules:-no finding}, verdict ${verdict:-none}"
    fi
    [ "$result" = pass ] || failed=1
    [ "$live" != none ] || [ "$result" != pass ] || result="pass (tier refused, fell back to none)"
    rows+=("| $name | $tier | $live | ${rules% } | ${verdict:-?}, ${default_rules:-no finding} | $result |")
  done
}

need_initramfs=0
for name in "${kernels[@]}"; do
  [ "$name" = host ] || need_initramfs=1
done
[ "$need_initramfs" -eq 0 ] || build_initramfs

for name in "${kernels[@]}"; do
  start=$(date +%s)
  if [ "$name" = host ]; then
    PRIVSENTRY="$binary" PRIVSENTRY_MINICONTAINER="$container" "$here/check.sh" host > "$work/host.log" 2>&1 || true
  else
    image=$(kernel_image "$name") || { rows+=("| $name | - | - | - | - | FAIL: no kernel image |"); failed=1; continue; }
    boot "$name" "$image"
  fi
  echo "kernels: $name took $(( $(date +%s) - start )) s" >&2
  judge "$name" "$work/$name.log"
  [ -z "${PRIVSENTRY_KERNEL_LOGS:-}" ] || cp "$work/$name.log" "$PRIVSENTRY_KERNEL_LOGS/$name.log"
done

echo
echo "Tiers as doctor finds them (ok: loads and attaches; --: the kernel's refusal)"
echo
echo "| kernel | tracepoint | fentry | kprobe | live (auto) |"
echo "| --- | --- | --- | --- | --- |"
printf '%s\n' "${doctor_rows[@]}"
echo
echo "privsentry run per tier asked: a container with every capability using CAP_SYS_ADMIN, one with Docker's defaults"
echo
echo "| kernel | tier asked | live tier | full container's findings | restricted container | result |"
echo "| --- | --- | --- | --- | --- | --- |"
printf '%s\n' "${rows[@]}"
exit "$failed"
