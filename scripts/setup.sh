#!/usr/bin/env bash
# Installs every Debian 12 package privsentry's build, its tests and the test
# Docker engine need. Idempotent: installs only what is missing. Run as root.
set -euo pipefail

packages=(
  # build
  cmake make g++ pkg-config clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev
  libspdlog-dev libfmt-dev nlohmann-json3-dev libcurl4-openssl-dev libcli11-dev libyaml-cpp-dev libssl-dev libncurses-dev libcap-dev
  # tests: a real rsyslog (TLS with OpenSSL), certificates made by the openssl command, a real terminal (tmux)
  libgtest-dev libgmock-dev clang-format libclang-rt-14-dev rsyslog rsyslog-openssl openssl iproute2 tmux
  # benchmarks (bench/run.sh): Google Benchmark, and bpftrace to compare with
  libbenchmark-dev bpftrace
  # the test Docker engine and its image (scripts/test-env.sh); containerd's ctr and podman for the other runtimes
  docker.io runc containerd busybox-static jq file util-linux procps ca-certificates podman
  # the kernel matrix (tests/kernels): Debian's kernels booted under qemu into a busybox initramfs
  qemu-system-x86 cpio
)

if [ "$(id -u)" -ne 0 ]; then
  echo "setup: run as root (it installs packages with apt-get)" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "setup: needs apt-get (Debian 12)" >&2
  exit 1
fi

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: every package is installed" >&2
else
  echo "setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -r /sys/kernel/btf/vmlinux ]; then
  echo "setup: warning: this kernel has no BTF (/sys/kernel/btf/vmlinux); privsentry cannot build or run here" >&2
fi
