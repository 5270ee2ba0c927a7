#!/usr/bin/env bash
# test_bench_smoke.sh - the performance benchmark (tests/bench/run.sh) at a
# tiny size, so the harness cannot rot between the times someone runs it.
#
# Why it exists: the benchmark is not part of the suite (it takes minutes),
# so a change to picket-gen, the sensor's counters or log lines, or the
# bench tools could break it unnoticed. This runs every stage of it on 10k
# packets and 12k indicators (--smoke) with the build's own programs and
# checks the report: every table row present with numbers in a sane range,
# every planted indicator hit alerted on, the reload done without losing a
# packet, the flood held at the flow-table bound. Speed targets are not
# judged here (the machine may be loaded, the build may be a sanitizer one).
# Env: PICKET_BIN (build bin dir), PICKET_SRC (repository root).
set -euo pipefail

BIN=${PICKET_BIN:-}
SRC=${PICKET_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
for prog in picket-sensor picket-gen picket-bench-loop picket-bench-istore; do
  if [ -z "$BIN" ] || [ ! -x "$BIN/$prog" ]; then
    echo "SKIP: '$BIN/$prog' is missing (set PICKET_BIN to the build's bin dir)"; exit 77
  fi
done
for tool in python3 taskset; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "SKIP: $tool is needed by tests/bench/run.sh"; exit 77
  fi
done

# shellcheck source=testlib.sh
. "$(dirname "$0")/testlib.sh"
testlib_init picket-bench-smoke

rc=0
"$SRC/tests/bench/run.sh" --smoke --bin "$BIN" --data "$TMP/data" --cpu 0 \
  >"$TMP/report.md" 2>"$TMP/run.err" || rc=$?
# 0: every target met, 1: one missed (normal at this size); anything else
# is the harness failing.
if [ "$rc" -le 1 ]; then ok "run.sh --smoke finished (status $rc)"
else bad "run.sh --smoke failed (status $rc)"; tail -n 30 "$TMP/run.err"; fi
cat "$TMP/report.md"
TSV=$(ls "$TMP"/data/results-*.tsv 2>/dev/null | head -n 1 || true)
[ -n "$TSV" ] && ok "raw results kept in DATA/results-*.tsv" || bad "no results TSV"
val() { awk -F'\t' -v k="$1" '$1 == k { v = $3 } END { print v }' "${TSV:-/dev/null}"; }

# Table rows: label, then packets/s (with a k/M unit), Gbit/s, ns/packet,
# ratio, wall ratio.
row_ok() {   # LABEL-REGEX MIN-RATIO MAX-RATIO
  local line
  line=$(grep -E "^\| $1 \|" "$TMP/report.md" | head -n 1 || true)
  if [ -z "$line" ]; then bad "table row '$1' missing"; return; fi
  if awk -F'|' -v lo="$2" -v hi="$3" '{
        rate = $3; sub(/^ +/, "", rate); split(rate, r, " ");
        ok = (r[1] + 0 > 0) && (r[2] == "k" || r[2] == "M") &&
             ($4 + 0 > 0) && ($5 + 0 > 0) && ($6 + 0 >= lo) && ($6 + 0 <= hi)
        exit ok ? 0 : 1 }' <<<"$line"; then
    ok "row '$1': $(awk -F'|' '{ print $3 "pps, ratio" $6 }' <<<"$line")"
  else
    bad "row '$1' has numbers out of range: $line"
  fi
}
row_ok 'libpcap, empty callback, 256 KiB stdio buffer \(as picket-sensor reads files\)' 1 1
row_ok 'libpcap, empty callback \(`pcap_dispatch`\), stdio.s default buffer' 0.05 5
row_ok 'libpcap, `pcap_next_ex` loop, stdio.s default buffer' 0.05 5
row_ok 'picket-sensor, 10 indicators' 0.0001 5
row_ok 'picket-sensor, 12,000 indicators' 0.0001 5
row_ok 'flow flood: 10,000 one-packet flows, 10 indicators' 0.0001 5

packets=$(val cap_packets)
[ "$packets" = 10000 ] && ok "capture holds 10000 packets" || bad "capture holds '$packets' packets, not 10000"
read_full=$(val full_packets)
[ "$read_full" = "$packets" ] && ok "sensor read all $read_full packets" ||
  bad "sensor read '$read_full' of '$packets' packets"
planted=$(val gen_hits)
alerts=$(val full_alerts)
if [ -n "$planted" ] && [ "$planted" -gt 0 ] && [ "$alerts" -ge "$planted" ]; then
  ok "$alerts alerts for $planted planted indicator hits"
else
  bad "alerts '$alerts' for '$planted' planted hits"
fi
indicators=$(val probe_indicators)
[ "$indicators" = 12000 ] && ok "probe loaded 12000 indicators" || bad "probe loaded '$indicators' indicators"
store=$(val probe_store_bytes)
[ "${store:-0}" -gt 0 ] && ok "store memory reported ($store bytes)" || bad "no store memory"
for target in 'hot reload' 'flow flood'; do
  line=$(grep -E "^\| $target" "$TMP/report.md" || true)
  case $line in
    *'| met |') ok "$target: met" ;;
    *) bad "$target: ${line:-row missing}" ;;
  esac
done
evicted=$(val flood_flow.evicted)
[ "${evicted:-0}" -gt 0 ] && ok "flood evicted $evicted flows at the bound" || bad "flood evicted '$evicted' flows"
grep -q '^Machine: ' "$TMP/report.md" && ok "machine line present" || bad "no machine line"

testlib_finish "bench smoke"
