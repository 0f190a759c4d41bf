#!/usr/bin/env bash
# Makes a container image of privsentry from a build, with no base image and
# no registry: the binary, the shared libraries and loader it uses (from
# ldd), and the CA bundle for TLS sinks; then `docker import`.
#
#   deploy/container/build-image.sh [BINARY] [IMAGE]
#       BINARY  default build/privsentry
#       IMAGE   default privsentry:0.1.0
#
# DOCKER_HOST picks the engine. The image runs `privsentry run` unless given
# other arguments; deploy/kubernetes/daemonset.yaml shows what it needs.
set -euo pipefail

binary=${1:-build/privsentry}
image=${2:-privsentry:0.1.0}
[ -x "$binary" ] || { echo "build-image: no executable $binary (build first)" >&2; exit 2; }
docker_cli=/usr/bin/docker
[ -x "$docker_cli" ] || docker_cli=$(command -v docker)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
root=$tmp/rootfs
mkdir -p "$root/usr/local/sbin" "$root/etc/ssl/certs" "$root/tmp" "$root/var/lib/privsentry" \
  "$root/proc" "$root/sys" "$root/dev" "$root/run" "$root/host/run"
install -m 0755 "$binary" "$root/usr/local/sbin/privsentry"
# Every library the dynamic loader resolves, and the loader itself.
ldd "$binary" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' | sort -u |
  while read -r lib; do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
[ ! -f /etc/ssl/certs/ca-certificates.crt ] || cp -L /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
echo 'root:x:0:0:root:/:/usr/local/sbin/privsentry' >"$root/etc/passwd"
echo 'root:x:0:' >"$root/etc/group"
chmod 1777 "$root/tmp"
tar -C "$root" -cf "$tmp/rootfs.tar" .
"$docker_cli" import -c 'ENTRYPOINT ["/usr/local/sbin/privsentry"]' -c 'CMD ["run"]' "$tmp/rootfs.tar" "$image" >/dev/null
echo "build-image: $image" >&2
