#!/usr/bin/env bash
# run.sh - the whole test suite: builds picket twice (release with warnings
# as errors, and AddressSanitizer + UndefinedBehaviorSanitizer) and runs
# every ctest test in each. This is the README's test command.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${PICKET_JOBS:-2}

# run_suite DIR "CTEST ARGS" CMAKE ARGS...
run_suite() {
  local dir=$1 ctest_args=$2; shift 2
  echo "=== build $dir ($*)"
  cmake -S . -B "$dir" "$@" >/dev/null
  cmake --build "$dir" -j"$jobs"
  echo "=== test $dir"
  # shellcheck disable=SC2086
  (cd "$dir" && ctest --output-on-failure -j"$jobs" $ctest_args)
}

run_suite build "" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPICKET_WERROR=ON
# Under ASan + UBSan: every test except the fault-injection and browser
# tests, which are about timing and a real browser, not memory safety, and
# already ran above.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  run_suite build-asan "-E fault|board" -DCMAKE_BUILD_TYPE=Debug -DPICKET_SANITIZE=ON
if [ "${PICKET_FUZZ_SECONDS:-10}" -gt 0 ] && command -v clang >/dev/null; then
  echo "=== fuzz every target for ${PICKET_FUZZ_SECONDS:-10} s"
  bash tests/fuzz/run.sh "${PICKET_FUZZ_SECONDS:-10}"
fi
echo "=== all suites passed"
