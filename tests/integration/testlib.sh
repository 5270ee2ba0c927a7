# shellcheck shell=bash
# testlib.sh - shell helpers shared by the integration test scripts.
# Sourced, never run: it is not named test_*.sh, so ctest does not pick it up.
#
# Why it exists: test_bad_input.sh and test_gen.sh count their checks, run
# the program under test and report the same way; one copy keeps their
# output and exit status alike.
#
# Use (after the script's own SKIP checks):
#   . "$(dirname "$0")/testlib.sh"
#   testlib_init NAME        $TMP: a fresh directory, removed on exit;
#                            the pass/fail counters start at 0
#   ok WHAT, bad WHAT        count one passed / failed check and print it
#   run NAME ARGS...         runs "$PROG" ARGS (stdin /dev/null, killed after
#                            $RUN_TIMEOUT seconds, default 30); sets rc and
#                            leaves $TMP/NAME.out and $TMP/NAME.err
#   testlib_finish [LABEL]   prints the counts; its status is the script's
#                            (0 only when no check failed), so call it last

testlib_init() {
  TMP=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
  trap 'rm -rf "$TMP"' EXIT
  pass=0 fail=0
}

ok()  { pass=$((pass + 1)); echo "ok   - $*"; }
bad() { fail=$((fail + 1)); echo "FAIL - $*"; }

run() {
  local name=$1; shift
  set +e
  timeout -k 5 "${RUN_TIMEOUT:-30}" "$PROG" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" </dev/null
  # shellcheck disable=SC2034  # rc is read by the sourcing script
  rc=$?
  set -e
}

testlib_finish() {
  echo "# ${1:+$1: }$pass passed, $fail failed"
  [ "$fail" -eq 0 ]
}
