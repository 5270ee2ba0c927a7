#!/usr/bin/env bash
# run.sh - the whole test suite: builds picket twice (release with warnings
# as errors, and AddressSanitizer + UndefinedBehaviorSanitizer) and runs
# every ctest test in each. This is the README's test command.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${PICKET_JOBS:-2}

run_suite() {
  local dir=$1; shift
  echo "=== build $dir ($*)"
  cmake -S . -B "$dir" "$@" >/dev/null
  cmake --build "$dir" -j"$jobs"
  echo "=== test $dir"
  (cd "$dir" && ctest --output-on-failure -j"$jobs")
}

run_suite build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPICKET_WERROR=ON
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  run_suite build-asan -DCMAKE_BUILD_TYPE=Debug -DPICKET_SANITIZE=ON
echo "=== all suites passed"
