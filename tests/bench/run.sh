#!/usr/bin/env bash
# tests/bench/run.sh - picket's performance benchmark: the sensor against
# libpcap's own empty read loop on the same file, indicator load time and
# memory, hot reload under replay, and a flow flood.
#
#   tests/bench/run.sh [--quick | --smoke] [--runs N] [--cpu N] [--build DIR]
#                      [--bin DIR] [--data DIR] [--no-build] [--regen]
#                      [--skip-reload] [--skip-flood]
#
# Default: a 5M-packet capture over 1M flows, 1.2M indicators (1M addresses
# incl. 10k CIDRs, 200k names/URLs), 5 repetitions, a 10M-flow flood.
# --quick: 500k packets over 100k flows, 3 repetitions, a 1M-flow flood.
# --smoke: 10k packets, 12k indicators, one repetition, a 10k-flow flood:
#          checks the harness itself (integration.test_bench_smoke), in
#          seconds; its numbers mean nothing.
# --bin DIR: use the programs already built in DIR (implies --no-build).
# Measured on one core (taskset -c CPU, default 1); every repetition runs
# the empty loop and the sensor back to back on the same page-cached file and
# the reported ratios are medians of the per-repetition ratios.
# Captures and indicator sets are kept in DATA (default BUILD/bench-data)
# and reused; --regen writes them again (after a picket-gen change).
# Not part of ctest. Prints markdown tables for README's "Performance"
# section and keeps the raw numbers in DATA/results-*.tsv
# (tests/bench/report.py DATA/results-X.tsv prints the tables again).
set -euo pipefail
export LC_ALL=C

SRC=$(cd "$(dirname "$0")/../.." && pwd)
BENCH=$SRC/tests/bench
BUILD=$SRC/build-bench
BIN=
DATA=
QUICK=0
RUNS=
CPU=1
FILE_BUF=262144   # picket-sensor's stdio buffer for -r (PK_CAPTURE_FILE_BUF)
DO_BUILD=1
DO_RELOAD=1
DO_FLOOD=1
REGEN=0

usage() { sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit "${1:-2}"; }
while [ $# -gt 0 ]; do
    case $1 in
    --quick) QUICK=1 ;;
    --smoke) QUICK=2 ;;
    --bin) BIN=$(realpath -m "$2"); DO_BUILD=0; shift ;;
    --runs) RUNS=$2; shift ;;
    --cpu) CPU=$2; shift ;;
    --build) BUILD=$(realpath -m "$2"); shift ;;
    --data) DATA=$(realpath -m "$2"); shift ;;
    --no-build) DO_BUILD=0 ;;
    --regen) REGEN=1 ;;
    --skip-reload) DO_RELOAD=0 ;;
    --skip-flood) DO_FLOOD=0 ;;
    -h|--help) usage 0 ;;
    *) echo "run.sh: unknown option '$1'" >&2; usage ;;
    esac
    shift
done

IND_SIZE=()
FLOOD_MEM=64            # MiB, the sensor's default --flow-memory
if [ "$QUICK" = 2 ]; then
    PACKETS=10000 FLOWS=2000 FLOOD=10000 RELOAD_SECS=3 NRELOAD=1 FLOOD_MEM=1
    IND_SIZE=(--ips 10000 --cidrs 100 --names 2000)
    RUNS=${RUNS:-1}
elif [ "$QUICK" = 1 ]; then
    PACKETS=500000 FLOWS=100000 FLOOD=1000000 RELOAD_SECS=10 NRELOAD=3
    RUNS=${RUNS:-3}
else
    PACKETS=5000000 FLOWS=1000000 FLOOD=10000000 RELOAD_SECS=15 NRELOAD=3
    RUNS=${RUNS:-5}
fi
DATA=${DATA:-$BUILD/bench-data}
BIN=${BIN:-$BUILD/bin}
mkdir -p "$DATA"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/picket-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

say() { printf '%s\n' "$*" >&2; }
die() { say "run.sh: $*"; exit 1; }

# ---- build -------------------------------------------------------------------
if [ "$DO_BUILD" = 1 ]; then
    say "== building picket-sensor, picket-gen and the bench tools (Release) in $BUILD"
    if [ ! -f "$BUILD/CMakeCache.txt" ]; then
        cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >"$TMP/build.log" 2>&1 ||
            { cat "$TMP/build.log" >&2; die "cmake configure failed"; }
    fi
    cmake --build "$BUILD" -j2 --target picket-sensor picket-gen picket-bench-loop \
        picket-bench-istore >"$TMP/build.log" 2>&1 ||
        { cat "$TMP/build.log" >&2; die "build failed"; }
fi
for prog in picket-sensor picket-gen picket-bench-loop picket-bench-istore; do
    [ -x "$BIN/$prog" ] || die "no $prog in $BIN (drop --no-build)"
done
SENSOR=$BIN/picket-sensor
LOOP=$BIN/picket-bench-loop
PROBE=$BIN/picket-bench-istore

# ---- data --------------------------------------------------------------------
SETNAME=full
[ "$QUICK" = 2 ] && SETNAME=smoke
FULL=$DATA/indicators-$SETNAME.txt
TINY=$DATA/indicators-tiny.txt
if [ "$REGEN" = 1 ] || [ ! -s "$FULL" ] || [ ! -s "$TINY" ]; then
    say "== writing indicator sets"
    python3 "$BENCH/gen_indicators.py" -o "$FULL.tmp" --tiny "$TINY" "${IND_SIZE[@]}"
    mv "$FULL.tmp" "$FULL"
fi
CAP=$DATA/bench-${PACKETS}p-${FLOWS}f.pcap
if [ "$REGEN" = 1 ] || [ ! -s "$CAP" ] || [ "$FULL" -nt "$CAP" ]; then
    say "== writing capture: $PACKETS packets over $FLOWS flows (picket-gen --bench)"
    "$BIN/picket-gen" --bench -w "$CAP.tmp" --packets "$PACKETS" --flows "$FLOWS" \
        -I "$FULL" 2>"$CAP.log" || { cat "$CAP.log" >&2; die "picket-gen failed"; }
    mv "$CAP.tmp" "$CAP"
fi
GEN_HITS=$(sed -n 's/.*bench: [0-9]* flows, \([0-9]*\) indicator hits.*/\1/p' "$CAP.log" 2>/dev/null || true)
EMPTY=$DATA/empty.pcap
python3 -c 'import struct,sys; sys.stdout.buffer.write(struct.pack("<IHHiIII",0xa1b2c3d4,2,4,0,0,65535,1))' >"$EMPTY"
FLOODCAP=$DATA/flood-${FLOOD}.pcap
if [ "$DO_FLOOD" = 1 ] && { [ "$REGEN" = 1 ] || [ ! -s "$FLOODCAP" ]; }; then
    say "== writing flood capture: $FLOOD packets, each its own flow"
    "$BIN/picket-gen" --bench -q -w "$FLOODCAP.tmp" --packets "$FLOOD" --flows "$FLOOD"
    mv "$FLOODCAP.tmp" "$FLOODCAP"
fi

# ---- helpers -----------------------------------------------------------------
OUT=$DATA/results-$(date +%Y%m%d-%H%M%S).tsv
: >"$OUT"
rec() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$OUT"; }   # key run value
counter() { awk -v k="$1" '$1 == k { v = $2 } END { print v + 0 }' "$2"; }
field() { awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }' "$2"; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.6f", b - a }'; }
warm() { for f in "$@"; do cat "$f" >/dev/null; done; }

# run_loop TAG FILE RUN [--next-ex] [--buffer BYTES]: libpcap's empty read
# loop on one core.
run_loop() {
    local tag=$1 file=$2 run=$3
    shift 3
    taskset -c "$CPU" "$LOOP" "$@" "$file" >"$TMP/loop"
    rec "${tag}_wall_s" "$run" "$(field seconds "$TMP/loop")"
    rec "${tag}_cpu_s" "$run" "$(field cpu_seconds "$TMP/loop")"
}

# run_sensor TAG CAPTURE INDICATORS RUN [extra args]: one sensor run on one
# core. Records the read loop's CPU and wall time (as the sensor's
# "capture ended" line reports them: its capture thread's CPU clock and the
# monotonic clock around the loop, as the empty loop times its own), the
# start-up time up to "indicators loaded" and up to "reading capture" (the
# main thread's CPU time from /proc/PID/schedstat when the line is read),
# the whole run's CPU time, peak RSS (KiB) and counters.
run_sensor() {
    local tag=$1 cap=$2 ind=$3 run=$4
    shift 4
    python3 "$BENCH/timed.py" "$TMP/time" --mark loaded='indicators loaded' \
        --mark reading='reading capture' \
        taskset -c "$CPU" "$SENSOR" -r "$cap" -I "$ind" -o /dev/null --stats "$@" \
        2>"$TMP/err" || { cat "$TMP/err" >&2; die "picket-sensor failed ($tag)"; }
    local t=$TMP/time
    local ended
    ended=$(sed -n 's/.*capture ended: [0-9]* packets in \([0-9.]*\) s (\([0-9.]*\) s of CPU.*/\1 \2/p' "$TMP/err")
    [ -n "$ended" ] || die "picket-sensor printed no 'capture ended' line ($tag)"
    rec "${tag}_loop_wall_s" "$run" "${ended% *}"
    rec "${tag}_loop_cpu_s" "$run" "${ended#* }"
    rec "${tag}_start_cpu_s" "$run" "$(field loaded_cpu_s "$t")"
    rec "${tag}_start_wall_s" "$run" "$(field loaded_wall_s "$t")"
    rec "${tag}_ready_cpu_s" "$run" "$(field reading_cpu_s "$t")"
    rec "${tag}_ready_wall_s" "$run" "$(field reading_wall_s "$t")"
    rec "${tag}_total_cpu_s" "$run" "$(awk '{ printf "%.6f", $4 + $6 }' "$t")"
    rec "${tag}_total_wall_s" "$run" "$(field wall_s "$t")"
    rec "${tag}_rss_kib" "$run" "$(field maxrss_kib "$t")"
    rec "${tag}_packets" "$run" "$(counter capture.packets "$TMP/err")"
    rec "${tag}_alerts" "$run" "$(counter alerts.raised "$TMP/err")"
    cp "$TMP/err" "$TMP/last-$tag.err"
}

# ---- machine -----------------------------------------------------------------
rec machine 0 "$(lscpu | sed -n 's/^Model name: *//p' | head -n 1)"
rec cores 0 "$(nproc)"
rec load_start 0 "$(cut -d' ' -f1 /proc/loadavg)"
rec date 0 "$(date -u +%Y-%m-%d)"
rec kernel 0 "$(uname -r)"
rec libpcap 0 "$(pkg-config --modversion libpcap)"
rec commit 0 "$(git -C "$SRC" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$SRC" diff --quiet 2>/dev/null || echo +dirty)"
rec quick 0 "$QUICK"
rec cpu 0 "$CPU"
rec gen_hits 0 "${GEN_HITS:-}"
rec full_file_bytes 0 "$(stat -c %s "$FULL")"
rec full_count 0 "$(grep -vc '^#' "$FULL")"
rec tiny_count 0 "$(grep -vc '^#' "$TINY")"
rec cap_file_bytes 0 "$(stat -c %s "$CAP")"
rec flows 0 "$FLOWS"

# ---- throughput --------------------------------------------------------------
say "== throughput: $RUNS repetitions on cpu $CPU ($(basename "$CAP"))"
warm "$CAP" "$FULL" "$TINY" "$SENSOR" "$LOOP"
"$LOOP" "$CAP" >"$TMP/loop"
PKTS=$(field packets "$TMP/loop")
rec cap_packets 0 "$PKTS"
rec cap_bytes 0 "$(field bytes "$TMP/loop")"
rec cap_span_s 0 "$(elapsed "$(field first_ts "$TMP/loop")" "$(field last_ts "$TMP/loop")")"
show() { awk -F'\t' -v k="$1" -v r="$2" '$1 == k && $2 == r { print $3 }' "$OUT"; }
for run in $(seq 1 "$RUNS"); do
    warm "$CAP"
    run_loop loop "$CAP" "$run"
    run_loop next_ex "$CAP" "$run" --next-ex
    run_loop loop_buf "$CAP" "$run" --buffer "$FILE_BUF"
    run_sensor tiny "$CAP" "$TINY" "$run"
    run_sensor full "$CAP" "$FULL" "$run"
    run_sensor full0 "$EMPTY" "$FULL" "$run"
    say "   run $run, CPU s: empty loop $(show loop_buf_cpu_s "$run")," \
        "sensor loop with $(basename "$TINY") $(show tiny_loop_cpu_s "$run")," \
        "with $(basename "$FULL") $(show full_loop_cpu_s "$run") (start-up $(show full_start_wall_s "$run") s wall)"
done
# counters of the last full run, for the report
for k in flow.created flow.evicted flow.expired flow.active flow.capacity \
         alerts.suppressed stream.pool_exhausted; do
    rec "full_$k" 0 "$(counter "$k" "$TMP/last-full.err")"
done

# ---- indicator load and store memory -----------------------------------------
say "== indicator load: $RUNS loads of $(basename "$FULL")"
for run in $(seq 1 "$RUNS"); do
    line=$(taskset -c "$CPU" "$PROBE" --free "$FULL")
    for kv in $line; do rec "probe_${kv%%=*}" "$run" "${kv#*=}"; done
done

# ---- hot reload under replay -------------------------------------------------
if [ "$DO_RELOAD" = 1 ]; then
    span=$(awk -F'\t' '$1=="cap_span_s" {print $3}' "$OUT")
    speed=$(awk -v s="$span" -v d="$RELOAD_SECS" 'BEGIN { printf "%.4f", (s > 0 ? s / d : 1) }')
    say "== hot reload: $NRELOAD x SIGHUP while replaying at --replay-speed $speed (~${RELOAD_SECS} s)"
    rec reload_speed 0 "$speed"
    warm "$CAP" "$FULL"
    "$SENSOR" -r "$CAP" -I "$FULL" -o /dev/null --stats --replay-speed "$speed" \
        2>"$TMP/reload.err" &
    pid=$!
    for _ in $(seq 1 600); do
        grep -q 'indicators loaded' "$TMP/reload.err" && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    start=$EPOCHREALTIME
    sleep 0.5
    sent=0
    last_ms=$([ "$QUICK" = 2 ] && echo 200 || echo 2000)   # a reload's guess
    # A reload is only asked for while the replay has time left for it (the
    # capture must still be running when it finishes: that is the test).
    for _ in $(seq 1 "$NRELOAD"); do
        kill -0 "$pid" 2>/dev/null || break
        left=$(awk -v a="$start" -v b="$EPOCHREALTIME" -v d="$RELOAD_SECS" \
                   'BEGIN { printf "%d", (d - (b - a)) * 1000 }')
        [ "$left" -gt $((2 * last_ms + 1000)) ] || break
        before=$(grep -c 'reloaded\|reload failed' "$TMP/reload.err" || true)
        kill -HUP "$pid" 2>/dev/null || break
        sent=$((sent + 1))
        for _ in $(seq 1 600); do
            now=$(grep -c 'reloaded\|reload failed' "$TMP/reload.err" || true)
            [ "$now" -gt "$before" ] && break
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.05
        done
        ms=$(sed -n 's/.*reloaded [0-9]* indicators .* in \([0-9]*\) ms.*/\1/p' "$TMP/reload.err" | tail -n 1)
        last_ms=${ms:-$last_ms}
        sleep 0.3
    done
    # Watchdog: the replay ends RELOAD_SECS after start; a sensor still
    # running a minute later is stuck (recorded, then killed).
    hung=0
    deadline=$(( ${start%.*} + RELOAD_SECS + 60 ))
    while kill -0 "$pid" 2>/dev/null; do
        if [ "$(date +%s)" -gt "$deadline" ]; then
            hung=1
            say "   picket-sensor still running $((RELOAD_SECS + 60)) s after the replay started: killed"
            kill -9 "$pid" 2>/dev/null || true
            break
        fi
        sleep 0.2
    done
    rc=0
    wait "$pid" 2>/dev/null || rc=$?
    rec reload_hung 0 "$hung"
    rec reload_rc 0 "$rc"
    rec reload_sent 0 "$sent"
    rec reload_done 0 "$(counter reload.done "$TMP/reload.err")"
    rec reload_failed 0 "$(counter reload.failed "$TMP/reload.err")"
    rec reload_packets 0 "$(counter capture.packets "$TMP/reload.err")"
    rec reload_alerts 0 "$(counter alerts.raised "$TMP/reload.err")"
    n=0
    for ms in $(sed -n 's/.*reloaded [0-9]* indicators .* in \([0-9]*\) ms.*/\1/p' "$TMP/reload.err"); do
        n=$((n + 1))
        rec reload_ms "$n" "$ms"
    done
    cp "$TMP/reload.err" "$DATA/reload-last.log"
fi

# ---- flow flood --------------------------------------------------------------
if [ "$DO_FLOOD" = 1 ]; then
    say "== flow flood: $FLOOD flows ($(basename "$FLOODCAP"))"
    warm "$FLOODCAP"
    "$LOOP" "$FLOODCAP" >"$TMP/loop"
    rec flood_packets_file 0 "$(field packets "$TMP/loop")"
    rec flood_bytes 0 "$(field bytes "$TMP/loop")"
    run_loop floodpcap "$FLOODCAP" 1 --buffer "$FILE_BUF"
    rec flood_flow_memory_mib 0 "$FLOOD_MEM"
    run_sensor flood0 "$EMPTY" "$TINY" 1 --flow-memory "$FLOOD_MEM"
    run_sensor flood "$FLOODCAP" "$TINY" 1 --flow-memory "$FLOOD_MEM"
    for k in flow.created flow.evicted flow.expired flow.active flow.capacity; do
        rec "flood_$k" 0 "$(counter "$k" "$TMP/last-flood.err")"
    done
fi

rec load_end 0 "$(cut -d' ' -f1 /proc/loadavg)"
say "== results: $OUT"
python3 "$BENCH/report.py" "$OUT"
