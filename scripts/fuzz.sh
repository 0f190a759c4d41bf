#!/usr/bin/env bash
# Builds privsentry's libFuzzer targets (tests/fuzz) with clang, AddressSanitizer
# and UndefinedBehaviorSanitizer in build-sanitize/ (the build scripts/test.sh
# also runs the unit and end-to-end tests in), and runs each for a while.
#
#   scripts/fuzz.sh                 every target, 60 s each
#   scripts/fuzz.sh 600             every target, 10 minutes each
#   scripts/fuzz.sh 30 docker_json  one target
#
# Each target starts from its seeds in tests/fuzz/corpus/<target> and keeps
# what it learns in build-sanitize/corpus/<target>. A crash stops the run with
# exit 1; the input that caused it is in build-sanitize/crashes/<target>/. Each
# clean run adds a line to build-sanitize/fuzz-log.tsv (date, target, seconds,
# executions).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
shift || true
all=(cgroup_path docker_json devices_list event_decoder record_reader config_file device_program device_helper_answer oci_spec)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all[@]}")

[ "$(id -u)" -ne 0 ] || ./scripts/setup.sh
# The same configuration as scripts/test.sh's sanitized build.
CC=clang CXX=clang++ cmake -S . -B build-sanitize -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPRIVSENTRY_BUILD_BENCH=OFF \
  -DPRIVSENTRY_FUZZ=ON -DPRIVSENTRY_SANITIZE=address,undefined >/dev/null
cmake --build build-sanitize -j"$(nproc)" --target "${targets[@]/#/fuzz_}"

# Leaks are reported at exit too; the YAML and JSON libraries keep nothing.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
for target in "${targets[@]}"; do
  corpus=build-sanitize/corpus/$target
  crashes=build-sanitize/crashes/$target
  mkdir -p "$corpus" "$crashes"
  log=build-sanitize/fuzz-$target.log
  echo "fuzz: $target for $seconds s" >&2
  if ./build-sanitize/tests/fuzz/fuzz_"$target" -max_total_time="$seconds" -print_final_stats=1 \
      -artifact_prefix="$crashes/" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
      "$corpus" "tests/fuzz/corpus/$target" >"$log" 2>&1; then
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    printf '%s\t%s\t%s\t%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$target" "$seconds" "${execs:-?}" >>build-sanitize/fuzz-log.tsv
    echo "fuzz: $target clean, ${execs:-?} executions" >&2
  else
    echo "fuzz: $target FAILED; the input is in $crashes/, the log in $log:" >&2
    tail -n 40 "$log" >&2
    status=1
  fi
done
exit $status
