#!/usr/bin/env bash
# Runs every benchmark on this machine and prints one Markdown table: the one
# README's performance section shows. Needs root (BPF, a Docker engine).
#
#   bench/run.sh                       everything (about 15 minutes on 2 cores)
#   bench/run.sh --only kernel         one part: kernel, pipeline, latency, footprint, storm
#   bench/run.sh --rounds 3 ...        any privsentry_bench option (--help lists them)
#
# Every measurement also goes to build/bench/results.json.
set -euo pipefail
cd "$(dirname "$0")/.."

[ "$(id -u)" -eq 0 ] || { echo "bench/run.sh: run as root" >&2; exit 2; }
./scripts/setup.sh
cmake -S . -B build >/dev/null
cmake --build build -j"$(nproc)" --target privsentry_bench

# The private engine of the end-to-end tests; stopped again only if this
# script started it.
started_engine=0
if ! ./scripts/test-env.sh status; then
  ./scripts/test-env.sh start
  started_engine=1
fi
stop_engine() { [ "$started_engine" -eq 0 ] || ./scripts/test-env.sh stop; }
trap stop_engine EXIT

./build/bench/privsentry_bench --json build/bench/results.json --command "bench/run.sh${*:+ $*}" "$@"
