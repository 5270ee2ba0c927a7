#!/usr/bin/env bash
# run.sh - builds every fuzz target with libFuzzer, ASan and UBSan and runs
# each for a fixed time.
#
#   tests/fuzz/run.sh [SECONDS_PER_TARGET]      (default 30)
#
# Why it exists: CI (.ci/run) fuzzes every target a little on every run, so a
# change that opens a crash in a parser is caught within minutes, and a
# crash found here becomes a regression test at once: the crashing input is
# copied to tests/fuzz/corpus/<target>/ where the normal suite's
# fuzz_regress.<target> test replays it from then on.
#
# Each target runs on a copy of its seed corpus in a temporary directory
# (the committed corpus never grows from fuzzing), with -max_total_time,
# -rss_limit_mb=2048, -timeout=10 and a -max_len suited to its input. Per
# target it prints the executions and exec/s of libFuzzer's final stats.
# On a crash (or leak, timeout, out-of-memory) it saves the input as
# tests/fuzz/corpus/<target>/<kind>-<sha1>, prints the sanitizer report and
# the input, goes on with the other targets and exits 1 at the end.
#
# Environment: PICKET_JOBS (build jobs, default 2), PICKET_FUZZ_BUILD (build
# directory, default build-fuzz), PICKET_FUZZ_TARGETS (space-separated
# subset of targets).
set -euo pipefail
cd "$(dirname "$0")/../.."
src=$PWD
secs=${1:-30}
[[ $secs =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 [SECONDS_PER_TARGET]" >&2; exit 2; }
build=${PICKET_FUZZ_BUILD:-build-fuzz}
jobs=${PICKET_JOBS:-2}

command -v clang >/dev/null || { echo "run.sh: clang is needed for libFuzzer" >&2; exit 1; }

# -max_len per target: a little more than the largest input its code
# distinguishes (indicator line cap 8 KiB, HTTP header cap 16 KiB).
declare -A max_len=(
  [fuzz_decode]=4096 [fuzz_packet_path]=16384 [fuzz_dns]=2048 [fuzz_tls]=4096
  [fuzz_quic]=4096 [fuzz_http]=20000 [fuzz_ind_plain]=16384 [fuzz_ind_zeek]=16384
  [fuzz_ind_stix]=16384 [fuzz_ind_iprep]=16384 [fuzz_wire]=8192 [fuzz_alerts_scan]=8192
  [fuzz_pushed]=16384
)

if [[ -n ${PICKET_FUZZ_TARGETS:-} ]]; then
  read -r -a targets <<<"$PICKET_FUZZ_TARGETS"
else
  targets=()
  for f in tests/fuzz/fuzz_*.c; do targets+=("$(basename "$f" .c)"); done
fi

echo "=== build $build (clang, libFuzzer, ASan + UBSan): ${targets[*]}"
cmake -S . -B "$build" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DPICKET_FUZZ=ON -DPICKET_SANITIZE=ON >/dev/null
cmake --build "$build" -j"$jobs" --target "${targets[@]}" >/dev/null

work=$(mktemp -d "${TMPDIR:-/tmp}/picket-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

failed=()
printf '%-18s %12s %10s  %s\n' target executions exec/s result
for t in "${targets[@]}"; do
  seeds=tests/fuzz/corpus/$t
  if [[ -z $(ls -A "$seeds" 2>/dev/null) ]]; then
    echo "run.sh: $seeds is empty: every target needs seeds" >&2
    failed+=("$t"); continue
  fi
  mkdir -p "$work/$t/corpus" "$work/$t/artifacts"
  cp -r "$seeds/." "$work/$t/corpus/"
  rc=0
  "$build/fuzz/$t" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 \
    -max_len="${max_len[$t]:-4096}" -print_final_stats=1 \
    -artifact_prefix="$work/$t/artifacts/" "$work/$t/corpus" >"$work/$t/log" 2>&1 || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$t/log" | tail -1)
  eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/$t/log" | tail -1)
  if [[ $rc -eq 0 ]]; then
    printf '%-18s %12s %10s  %s\n' "$t" "${execs:-?}" "${eps:-?}" ok
    continue
  fi
  failed+=("$t")
  printf '%-18s %12s %10s  %s\n' "$t" "${execs:-?}" "${eps:-?}" "FAILED (exit $rc)"
  saved=0
  for a in "$work/$t/artifacts"/{crash,leak,timeout,oom}-*; do
    [[ -f $a ]] || continue
    kind=$(basename "$a"); kind=${kind%%-*}
    dest=$seeds/$kind-$(sha1sum "$a" | cut -c1-40)
    saved=1
    for f in "$seeds"/*; do
      if cmp -s "$a" "$f"; then dest=$f; break; fi
    done
    if [[ -e $dest ]]; then
      echo "--- $t: failing input already in the corpus: $dest (a known bug, not fixed yet)"
    else
      cp "$a" "$dest"
      echo "--- $t: input saved as $dest ($(stat -c %s "$dest") bytes):"
    fi
    od -A d -t x1z -v "$dest" | head -40
  done
  [[ $saved -eq 1 ]] || echo "--- $t: no input was saved (the fuzzer itself failed)"
  echo "--- $t: fuzzer output (last 60 lines):"
  tail -60 "$work/$t/log"
done

if [[ ${#failed[@]} -gt 0 ]]; then
  echo "=== fuzzing FAILED: ${failed[*]} (inputs saved under tests/fuzz/corpus/; reproduce with $build/fuzz/<target> FILE)"
  exit 1
fi
echo "=== fuzzing passed: ${#targets[@]} targets, ${secs} s each"
