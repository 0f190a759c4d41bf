#!/usr/bin/env bash
# Runs every privsentry test from a fresh clone: installs packages, builds,
# then runs the unit tests, the format check and the end-to-end tests (which
# start a private Docker engine through the e2e.docker fixture and stop it).
# Run as root; PRIVSENTRY_REQUIRE_E2E=1 turns a skipped end-to-end test into a
# failure.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j"$(nproc)"
cd build
ctest --output-on-failure --timeout 300 "$@"
