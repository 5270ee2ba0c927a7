#!/usr/bin/env bash
# test_collector_bench.sh - the collector benchmark (tests/bench/
# collector_bench.sh) at a tiny size, so that it keeps working.
#
# Why it exists: the README's throughput and latency figures come from that
# benchmark, which no other test runs; a change to the wire protocol, the
# collector's options or the load generator would otherwise break it
# silently. This runs it against the build's picket-collector (2 sensors
# over mutual TLS for 1 s, 1000 alerts/s for the latency part, a short
# redis-benchmark) and checks that its numbers are sane: alerts acked and
# no sensor failed, a SET rate, the ratio equal to their quotient, entries
# seen in picket:alerts by the XREAD BLOCK reader with p50 <= p99, the
# paced rate roughly met, the report table printed, and nothing alarming
# in the collector's log (sanitizer reports included).
# Env: PICKET_BIN (build bin dir), PICKET_SRC (repository root).
set -euo pipefail

COLL=${PICKET_BIN:-}/picket-collector
SRC=${PICKET_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
if [ -z "${PICKET_BIN:-}" ] || [ ! -x "$COLL" ]; then
  echo "SKIP: '$COLL' is missing (set PICKET_BIN to the build's bin dir)"; exit 77
fi
for tool in redis-server redis-benchmark cc pkg-config; do
  command -v "$tool" >/dev/null 2>&1 || { echo "SKIP: $tool is not installed"; exit 77; }
done

# shellcheck source=testlib.sh
. "$(dirname "$0")/testlib.sh"
testlib_init picket-cbench-test
PROG=$SRC/tests/bench/collector_bench.sh RUN_TIMEOUT=120

run bench --collector "$COLL" --sensors 2 --seconds 1 --warmup 0.5 --runs 1 --rate 1000 \
  --set-requests 20000 --keep
cat "$TMP/bench.err"
cat "$TMP/bench.out"
[ "$rc" -eq 0 ] && ok "benchmark exits 0" || bad "benchmark exit status $rc"

kv() { sed -n "s/.*[[:space:]]$1=\([^[:space:]]*\).*/\1/p" <<<"$2" | head -1; }
tput_line=$(grep -m1 '^run 1 K=2:' "$TMP/bench.err" || true)
lat_line=$(grep -m1 '^run 1 latency at 1000/s:' "$TMP/bench.err" || true)
kept=$(sed -n 's/^kept //p' "$TMP/bench.err" | head -1)
if [ -n "$kept" ]; then trap 'rm -rf "$TMP" "$kept"' EXIT; fi

# awk 'BEGIN { exit !(EXPR) }' with the values as variables
check() { local what=$1 expr=$2; shift 2
  if awk "$@" "BEGIN { exit !($expr) }" </dev/null; then ok "$what"; else bad "$what ($*)"; fi; }

rate=$(kv rate "$tput_line"); set_rate=$(kv set_rate "$tput_line")
ratio=$(kv ratio "$tput_line"); acked=$(kv acked "$tput_line")
check "throughput: alerts acked ($acked) at a positive rate ($rate/s), no failures" \
  'a > 0 && r > 0 && f == 0' -v a="${acked:-0}" -v r="${rate:-0}" \
  -v f="$(kv failures "$tput_line")"
check "redis-benchmark SET rate measured ($set_rate/s)" 's > 1000' -v s="${set_rate:-0}"
check "ratio $ratio = rate / SET rate" \
  's > 0 && q > 0 && (q - r / s) < 0.001 && (r / s - q) < 0.001' \
  -v q="${ratio:-0}" -v r="${rate:-0}" -v s="${set_rate:-0}"

n=$(kv stream_n "$lat_line"); p50=$(kv stream_p50_ms "$lat_line")
p99=$(kv stream_p99_ms "$lat_line"); paced=$(kv rate "$lat_line")
check "latency: $n entries read from picket:alerts by XREAD BLOCK" 'n > 100' -v n="${n:-0}"
check "stream latency p50 $p50 ms <= p99 $p99 ms, both >= 0" 'a >= 0 && a <= b' \
  -v a="${p50:--1}" -v b="${p99:--1}"
check "ack latency p50 <= p99" 'a >= 0 && a <= b' -v a="$(kv ack_p50_ms "$lat_line")" \
  -v b="$(kv ack_p99_ms "$lat_line")"
check "paced rate $paced/s within half of the 1000/s asked" 'r >= 500 && r <= 1500' \
  -v r="${paced:-0}"

if grep -q '^| 2 | ' "$TMP/bench.out" && grep -q '1000 alerts/s, 4 sensors' "$TMP/bench.out"; then
  ok "report table has the throughput and latency rows"
else bad "report table rows missing"; fi

if [ -n "$kept" ] && [ -f "$kept/collector.log" ]; then
  alarms=$(grep -c -E 'Sanitizer|runtime error|\[(error|warn)' "$kept/collector.log" || true)
  [ "$alarms" -eq 0 ] && ok "collector log: no errors, warnings or sanitizer reports" ||
    { grep -E 'Sanitizer|runtime error|\[(error|warn)' "$kept/collector.log" | head; bad "collector log has $alarms alarming lines"; }
else bad "benchmark directory not kept"; fi

testlib_finish test_collector_bench
