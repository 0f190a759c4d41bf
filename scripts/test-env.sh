#!/usr/bin/env bash
# Starts and stops a private Docker Engine for privsentry's end-to-end tests.
#
#   scripts/test-env.sh start    start dockerd (own data root, socket, runtime wrapper) and import the test image
#   scripts/test-env.sh stop     stop it and remove its containers
#   scripts/test-env.sh status   exit 0 if it answers
#   scripts/test-env.sh env      print the DOCKER_HOST line for a shell
#
# Everything lives under $PRIVSENTRY_E2E_ROOT (default /var/lib/privsentry-e2e) and
# $PRIVSENTRY_E2E_RUN (default /run/privsentry-e2e), so a system Docker Engine on the
# same host is not touched: the engine uses its own containerd namespace too.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=${PRIVSENTRY_E2E_ROOT:-/var/lib/privsentry-e2e}
run=${PRIVSENTRY_E2E_RUN:-/run/privsentry-e2e}
sock="$run/docker.sock"
image=${PRIVSENTRY_E2E_IMAGE:-privsentry-test/busybox:latest}
log="$root/dockerd.log"

die() { echo "test-env: $*" >&2; exit 1; }

docker_cli() {
  # Debian's docker.io client matches the engine; another client earlier in PATH may not.
  local cli=/usr/bin/docker
  [ -x "$cli" ] || cli=$(command -v docker) || die "no docker client; run scripts/setup.sh"
  DOCKER_HOST="unix://$sock" "$cli" "$@"
}

answers() { docker_cli version >/dev/null 2>&1; }

write_config() {
  mkdir -p "$root" "$run"
  install -m 0755 "$here/runc-bounded" "$root/runc-bounded"
  cat >"$root/daemon.json" <<JSON
{
  "data-root": "$root/docker",
  "exec-root": "$run/exec",
  "pidfile": "$run/dockerd.pid",
  "hosts": ["unix://$sock"],
  "containerd-namespace": "privsentry-e2e",
  "containerd-plugins-namespace": "privsentry-e2e-plugins",
  "runtimes": { "privsentry-runc": { "path": "$root/runc-bounded" } },
  "default-runtime": "privsentry-runc",
  "exec-opts": ["native.cgroupdriver=cgroupfs"],
  "bridge": "none",
  "iptables": false,
  "ip-forward": false,
  "ip-masq": false,
  "log-driver": "json-file"
}
JSON
}

make_image() {
  docker_cli image inspect "$image" >/dev/null 2>&1 && return 0
  local busybox
  busybox=$(command -v busybox) || die "busybox-static is not installed; run scripts/setup.sh"
  file -L "$busybox" 2>/dev/null | grep -q 'statically linked' || die "$busybox is not static; install busybox-static"
  local tmp
  tmp=$(mktemp -d)
  mkdir -p "$tmp/rootfs/bin" "$tmp/rootfs/tmp" "$tmp/rootfs/proc" "$tmp/rootfs/sys" "$tmp/rootfs/dev" "$tmp/rootfs/etc" "$tmp/rootfs/mnt"
  cp "$busybox" "$tmp/rootfs/bin/busybox"
  local applet
  for applet in $("$busybox" --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$tmp/rootfs/bin/$applet"
  done
  echo 'root:x:0:0:root:/:/bin/sh' >"$tmp/rootfs/etc/passwd"
  echo 'root:x:0:' >"$tmp/rootfs/etc/group"
  tar -C "$tmp/rootfs" -cf "$tmp/rootfs.tar" .
  docker_cli import -c 'ENV PATH=/bin' -c 'CMD ["/bin/sh"]' "$tmp/rootfs.tar" "$image" >/dev/null
  rm -rf "$tmp"
}

start() {
  command -v dockerd >/dev/null || die "dockerd is not installed; run scripts/setup.sh"
  if answers; then make_image; return 0; fi
  write_config
  # A stale pid file from a killed engine would stop dockerd from starting.
  rm -f "$run/dockerd.pid"
  # containerd dies with a dockerd killed by SIGKILL (its parent-death
  # signal); where pid 1 does not reap, it lingers as a zombie, and its pid
  # file makes the next dockerd wait for it in vain.
  local containerd_pid_file="$run/exec/containerd/containerd.pid" containerd_pid
  if [ -f "$containerd_pid_file" ]; then
    containerd_pid=$(cat "$containerd_pid_file")
    if [ ! -r "/proc/$containerd_pid/stat" ] || awk '{ exit !($3 == "Z") }' "/proc/$containerd_pid/stat" 2>/dev/null; then
      rm -f "$containerd_pid_file"
    fi
  fi
  nohup dockerd --config-file "$root/daemon.json" >>"$log" 2>&1 &
  local i
  for i in $(seq 1 150); do
    answers && break
    sleep 0.2
  done
  answers || { tail -n 30 "$log" >&2; die "dockerd did not answer on $sock within 30 s (log: $log)"; }
  make_image
  echo "test-env: dockerd answers on unix://$sock; image $image" >&2
}

stop() {
  if answers; then
    local ids
    ids=$(docker_cli ps -aq)
    [ -z "$ids" ] || docker_cli rm -f $ids >/dev/null 2>&1 || true
  fi
  if [ -f "$run/dockerd.pid" ]; then
    local pid
    pid=$(cat "$run/dockerd.pid")
    kill "$pid" 2>/dev/null || true
    local i
    for i in $(seq 1 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$run/dockerd.pid"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) answers ;;
  env) echo "DOCKER_HOST=unix://$sock" ;;
  *) echo "usage: $0 start|stop|status|env" >&2; exit 2 ;;
esac
