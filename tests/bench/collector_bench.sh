#!/usr/bin/env bash
# tests/bench/collector_bench.sh - picket-collector throughput and latency
# through a real Redis, against redis-benchmark measured in the same run.
#
#   tests/bench/collector_bench.sh [--insecure] [--sensors "1 4 16"] [--seconds S]
#                                  [--warmup S] [--runs N] [--rate R] [--dup FRAC]
#                                  [--batch B] [--window W] [--set-requests N]
#                                  [--build DIR] [--no-build] [--collector PATH]
#                                  [--keep]
#
# Builds picket-collector and the load generator tests/bench/collector_load.c
# (Release, in build-bench-collector unless --build; with --collector, the
# generator of that build or compiled here), then in a temp dir starts redis-server
# (random port, no persistence) and one collector, and for each repetition:
#   - for K in --sensors: K simulated sensors (collector_load: one libevent
#     loop, mutual TLS with certificates from deploy/make-certs.sh, or
#     plaintext with --insecure) each keep W batches of B alerts in flight
#     (W=4, B=512 like the real sensor's defaults) with a FRAC share of
#     duplicates across sensors (default 0.3); alerts acked per second over
#     S seconds (default 5) after a warm-up (default 2 s); then
#     redis-benchmark -P 16 -t set -n N -q (--set-requests, default
#     500000) on the same Redis: the
#     ratio of the two is the collector's rate in "pipelined SETs"; Redis is
#     flushed before each measurement;
#   - latency at a steady R alerts/s (default 10000) from 4 sensors: each
#     alert carries the time its batch was written; p50/p99 of batch
#     written -> ack read, and of alert written -> entry returned to a
#     reader blocked in XREAD BLOCK on picket:alerts (unique alerts only).
# Reported numbers are medians over N repetitions (default 3) with the
# min-max spread; the CPU split (Redis, collector, load generator, in CPU
# microseconds per alert) comes from INFO cpu, /proc and getrusage.
# Prints a markdown table for README; raw lines go to stderr. The default
# run takes about 2.5 minutes (more on a loaded machine). ctest runs it
# only at a tiny size (integration.test_collector_bench) to keep it working.
set -euo pipefail
export LC_ALL=C

SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$SRC/build-bench-collector
DO_BUILD=1
INSECURE=0
SENSORS="1 4 16"
SECONDS_RUN=5
WARMUP=2
SET_REQUESTS=500000
RUNS=3
RATE=10000
DUP=0.3
BATCH=512
WINDOW=4
COLLECTOR=
KEEP=0

usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit "${1:-2}"; }
while [ $# -gt 0 ]; do
    case $1 in
    --insecure) INSECURE=1 ;;
    --sensors) SENSORS=$2; shift ;;
    --seconds) SECONDS_RUN=$2; shift ;;
    --warmup) WARMUP=$2; shift ;;
    --set-requests) SET_REQUESTS=$2; shift ;;
    --runs) RUNS=$2; shift ;;
    --rate) RATE=$2; shift ;;
    --dup) DUP=$2; shift ;;
    --batch) BATCH=$2; shift ;;
    --window) WINDOW=$2; shift ;;
    --build) BUILD=$(realpath -m "$2"); shift ;;
    --no-build) DO_BUILD=0 ;;
    --collector) COLLECTOR=$(realpath "$2"); shift ;;
    --keep) KEEP=1 ;;
    -h|--help) usage 0 ;;
    *) echo "collector_bench.sh: unknown option '$1'" >&2; usage ;;
    esac
    shift
done

say() { printf '%s\n' "$*" >&2; }
die() { say "collector_bench.sh: $*"; exit 1; }
for tool in redis-server redis-cli redis-benchmark openssl pkg-config cc python3; do
    command -v "$tool" >/dev/null || die "$tool is not installed"
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/picket-cbench.XXXXXX")
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    if [ "$KEEP" = 1 ]; then say "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT

# ---- build -------------------------------------------------------------------
if [ -z "$COLLECTOR" ]; then
    if [ "$DO_BUILD" = 1 ]; then
        say "== building picket-collector (Release) in $BUILD"
        if [ ! -f "$BUILD/CMakeCache.txt" ]; then
            cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >"$TMP/build.log" 2>&1 ||
                { cat "$TMP/build.log" >&2; die "cmake configure failed"; }
        fi
        cmake --build "$BUILD" -j2 --target picket-collector collector_load >"$TMP/build.log" 2>&1 ||
            { cat "$TMP/build.log" >&2; die "build failed"; }
    fi
    COLLECTOR=$BUILD/bin/picket-collector
fi
[ -x "$COLLECTOR" ] || die "no picket-collector at $COLLECTOR (drop --no-build)"
# the load generator of the same build (bin/../bench), else compiled here
LOAD=$(dirname "$COLLECTOR")/../bench/collector_load
if [ ! -x "$LOAD" ]; then
    LOAD=$TMP/collector_load
    # shellcheck disable=SC2046
    cc -O2 -Wall -o "$LOAD" "$SRC/tests/bench/collector_load.c" \
        $(pkg-config --cflags --libs libevent_openssl libevent openssl hiredis) -lpthread -lm ||
        die "cannot build collector_load (libevent, OpenSSL and hiredis development files)"
fi

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
wait_for() {   # wait_for SECONDS COMMAND...
    local n=$(( $1 * 10 )); shift
    for _ in $(seq "$n"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
    return 1
}

# ---- redis, PKI, collector ----------------------------------------------------
RPORT=$(free_port)
redis-server --port "$RPORT" --bind 127.0.0.1 --dir "$TMP" --save "" --appendonly no \
    --daemonize no --logfile "$TMP/redis.log" &
RPID=$!
PIDS+=("$RPID")
wait_for 10 redis-cli -p "$RPORT" ping || die "redis-server did not start"
rcli() { redis-cli -p "$RPORT" "$@"; }

MAXK=4
for k in $SENSORS; do [ "$k" -gt "$MAXK" ] && MAXK=$k; done
CPORT=$(free_port)
CARGS=(-l "127.0.0.1:$CPORT" --redis "127.0.0.1:$RPORT")
LARGS=()
if [ "$INSECURE" = 1 ]; then
    MODE="plaintext (--insecure, loopback)"
    CARGS+=(--insecure)
else
    MODE="mutual TLS (deploy/make-certs.sh certificates)"
    say "== making certificates"
    partners=(UK JP US FR)
    specs=()     # the same sensor names every run: Redis is flushed in between
    for i in $(seq "$MAXK"); do
        specs+=("$(printf 'bench-s%02d' "$i"):${partners[$(( (i - 1) % 4 ))]}")
    done
    "$SRC/deploy/make-certs.sh" "$TMP/pki" "${specs[@]}" >/dev/null
    CARGS+=(--ca "$TMP/pki/ca.pem" --cert "$TMP/pki/collector.pem" --key "$TMP/pki/collector.key")
    LARGS+=(--pki "$TMP/pki")
fi
"$COLLECTOR" "${CARGS[@]}" >"$TMP/collector.log" 2>&1 &
CPID=$!
PIDS+=("$CPID")
wait_for 10 grep -q "loaded" "$TMP/collector.log" || { cat "$TMP/collector.log" >&2; die "collector did not start"; }

# ---- measurements --------------------------------------------------------------
RES=$TMP/results.tsv          # key run value
: >"$RES"
rec() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$RES"; }
kv() { sed -n "s/.*[[:space:]]$1=\([^[:space:]]*\).*/\1/p; s/^$1=\([^[:space:]]*\).*/\1/p" <<<"$2" | head -1; }
redis_cpu() { rcli info cpu | awk -F: '/^used_cpu_(user|sys):/ { s += $2 } END { printf "%.4f", s }'; }
coll_cpu() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.4f", ($14 + $15) / hz }' "/proc/$CPID/stat"; }
per_alert() { python3 -c "import sys; a, b, n = map(float, sys.argv[1:]); print('%.1f' % ((b - a) * 1e6 / n) if n else 'nan')" "$@"; }

bench_set() {
    rcli flushall >/dev/null
    redis-benchmark -p "$RPORT" -P 16 -t set -n "$SET_REQUESTS" -q 2>/dev/null | tr '\r' '\n' |
        sed -n 's/^SET: \([0-9.]*\) requests per second.*/\1/p' | tail -1
}

for r in $(seq "$RUNS"); do
    for k in $SENSORS; do
        rcli flushall >/dev/null
        rcli config resetstat >/dev/null
        r0=$(redis_cpu); c0=$(coll_cpu)
        out=$("$LOAD" -p "$CPORT" -k "$k" -d "$SECONDS_RUN" --warmup "$WARMUP" -b "$BATCH" -W "$WINDOW" \
              --dup "$DUP" "${LARGS[@]}") || { say "$out"; die "load run failed"; }
        r1=$(redis_cpu); c1=$(coll_cpu)
        # where Redis spent its time, for the last run of the last K
        { echo "alerts $(kv acked_total "$out")"; rcli info commandstats; } >"$TMP/cmdstats"
        set_rate=$(bench_set)
        rate=$(kv rate "$out")
        total=$(kv acked_total "$out")
        ratio=$(python3 -c "print('%.4f' % ($rate / $set_rate))")
        say "run $r K=$k: $out set_rate=$set_rate ratio=$ratio"
        rec "rate_k$k" "$r" "$rate"
        rec "set_k$k" "$r" "$set_rate"
        rec "ratio_k$k" "$r" "$ratio"
        rec "ackp50_k$k" "$r" "$(kv ack_p50_ms "$out")"
        rec "ackp99_k$k" "$r" "$(kv ack_p99_ms "$out")"
        rec "rcpu_k$k" "$r" "$(per_alert "$r0" "$r1" "$total")"
        rec "ccpu_k$k" "$r" "$(per_alert "$c0" "$c1" "$total")"
        rec "lcpu_k$k" "$r" "$(kv load_cpu_us_per_alert "$out")"
    done
    rcli flushall >/dev/null
    out=$("$LOAD" -p "$CPORT" -k 4 -d "$SECONDS_RUN" --warmup "$WARMUP" --rate "$RATE" -b "$BATCH" \
          -W "$WINDOW" --dup "$DUP" --redis-port "$RPORT" "${LARGS[@]}") ||
        { say "$out"; die "latency run failed"; }
    say "run $r latency at $RATE/s: $out"
    for f in rate ack_p50_ms ack_p99_ms stream_p50_ms stream_p99_ms stream_n avg_batch; do
        rec "lat_$f" "$r" "$(kv "$f" "$out")"
    done
done
grep -q "error\|warn" "$TMP/collector.log" &&
    say "collector log has warnings:" && grep "error\|warn" "$TMP/collector.log" | sort | uniq -c | head >&2

# ---- report --------------------------------------------------------------------
MODEL=$(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1)
CORES=$(nproc)
REDIS_V=$(redis-server --version | sed -n 's/.*v=\([0-9.]*\).*/\1/p')
python3 - "$RES" "$SENSORS" "$MODEL" "$CORES" "$REDIS_V" "$MODE" "$RUNS" "$SECONDS_RUN" \
    "$RATE" "$DUP" "$BATCH" "$WINDOW" "$TMP/cmdstats" <<'EOF'
import collections, re, statistics, sys, time
res, sensors, model, cores, redis_v, mode, runs, secs, rate, dup, batch, window, cmdstats = \
    sys.argv[1:]
vals = collections.defaultdict(list)
for line in open(res):
    k, _, v = line.rstrip("\n").split("\t")
    try:
        vals[k].append(float(v))
    except ValueError:
        pass
def med(k, fmt="%.0f"):
    v = vals.get(k)
    return fmt % statistics.median(v) if v else "n/a"
def spread(k, fmt="%.0f"):
    v = vals.get(k)
    return (fmt + "-" + fmt) % (min(v), max(v)) if v else "n/a"
print("picket-collector through Redis %s, %s; %s, %s cores; %s" %
      (redis_v, mode, model, cores, time.strftime("%Y-%m-%d")))
print("(%s sensors' worth of load from one process: batches of %s, %s in flight per sensor, "
      "%s%% duplicates across sensors; medians of %s runs of %s s, min-max in brackets)\n"
      % (sensors.replace(" ", "/"), batch, window, int(float(dup) * 100), runs, secs))
print("| sensors | alerts/s applied (acked) | redis-benchmark SET -P 16 /s | ratio | "
      "ack p50 / p99 ms | CPU us/alert: Redis / collector / load |")
print("|---|---|---|---|---|---|")
for k in sensors.split():
    print("| %s | %s (%s) | %s | %s | %s / %s | %s / %s / %s |" % (
        k, med("rate_k" + k), spread("rate_k" + k), med("set_k" + k), med("ratio_k" + k, "%.3f"),
        med("ackp50_k" + k, "%.1f"), med("ackp99_k" + k, "%.1f"), med("rcpu_k" + k, "%.1f"),
        med("ccpu_k" + k, "%.1f"), med("lcpu_k" + k, "%.1f")))
print("\n| steady load | achieved alerts/s | send -> ack p50 / p99 ms | "
      "send -> readable in picket:alerts (XREAD BLOCK) p50 / p99 ms | batch size |")
print("|---|---|---|---|---|")
print("| %s alerts/s, 4 sensors | %s | %s / %s | %s / %s (%s entries) | %s |" % (
    rate, med("lat_rate"), med("lat_ack_p50_ms", "%.2f"), med("lat_ack_p99_ms", "%.2f"),
    med("lat_stream_p50_ms", "%.2f"), med("lat_stream_p99_ms", "%.2f"), med("lat_stream_n"),
    med("lat_avg_batch", "%.1f")))
# INFO commandstats of the last throughput run: commands run by the script
# count on their own lines, and evalsha's time includes theirs.
alerts, stats = 0, []
for line in open(cmdstats):
    m = re.match(r"alerts (\d+)", line)
    if m:
        alerts = int(m.group(1))
    m = re.match(r"cmdstat_(\w+):calls=(\d+),usec=(\d+)", line)
    if m:
        stats.append((m.group(1), int(m.group(2)), int(m.group(3))))
if alerts:
    ev = sum(u for c, n, u in stats if c == "evalsha")
    inner = sum(u for c, n, u in stats if c not in ("evalsha", "flushall", "config", "info"))
    print("\nRedis time per alert applied (INFO commandstats of the last %s-sensor run, "
          "%d alerts; its times are wall clock inside Redis, so they grow on a loaded "
          "machine: the shares are what counts): script total %.1f us, of which the "
          "commands below %.1f us (%.0f%%) and the script itself (Lua, converting arguments "
          "and replies) %.1f us\n" % (sensors.split()[-1], alerts, ev / alerts, inner / alerts,
          100.0 * inner / ev if ev else 0, (ev - inner) / alerts))
    print("| command | calls per alert | us per alert |")
    print("|---|---|---|")
    for c, n, u in sorted(stats, key=lambda x: -x[2]):
        if c in ("evalsha", "flushall", "config", "info"):
            continue
        print("| %s | %.2f | %.2f |" % (c.upper(), n / alerts, u / alerts))
EOF
