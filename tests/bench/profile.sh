#!/usr/bin/env bash
# tests/bench/profile.sh - where the sensor's instructions go (callgrind).
#
#   tests/bench/profile.sh [--build DIR] [--data DIR] [--packets N] [--flows M]
#                          [--top K]
#
# Instruction counts do not depend on what else the machine runs, so this
# is the tool for a missed target in tests/bench/run.sh. Builds Release with
# -g (default BUILD = build-bench-prof), writes a small capture (default 100k
# packets over 20k flows) from run.sh's full indicator set, and runs
# valgrind --tool=callgrind on:
#   - libpcap's empty read loop (the baseline),
#   - picket-sensor's read loop with the near-empty and the full set
#     (collected inside libpcap's pcap_dispatch: link-time optimisation in
#     the Release build may inline picket's own loop functions),
#   - picket-sensor on an empty capture with the full set (start-up: the
#     indicator load and store build, then exit).
# Prints instructions per packet and the top K (default 25) functions by
# inclusive count of each; the callgrind.out files stay in DATA/profile for
# callgrind_annotate.
set -euo pipefail
export LC_ALL=C

SRC=$(cd "$(dirname "$0")/../.." && pwd)
BENCH=$SRC/tests/bench
BUILD=$SRC/build-bench-prof
DATA=$SRC/build-bench/bench-data
PACKETS=100000
FLOWS=20000
TOP=25
while [ $# -gt 0 ]; do
    case $1 in
    --build) BUILD=$(realpath -m "$2"); shift ;;
    --data) DATA=$(realpath -m "$2"); shift ;;
    --packets) PACKETS=$2; shift ;;
    --flows) FLOWS=$2; shift ;;
    --top) TOP=$2; shift ;;
    -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "profile.sh: unknown option '$1'" >&2; exit 2 ;;
    esac
    shift
done
command -v valgrind >/dev/null || { echo "profile.sh: valgrind is not installed" >&2; exit 1; }
OUT=$DATA/profile
mkdir -p "$OUT"

echo "== building (Release + -g) in $BUILD" >&2
if [ ! -f "$BUILD/CMakeCache.txt" ]; then
    cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_C_FLAGS="-g -fno-omit-frame-pointer" >"$OUT/build.log" 2>&1
fi
cmake --build "$BUILD" -j2 --target picket-sensor picket-gen picket-bench-loop >"$OUT/build.log" 2>&1 ||
    { cat "$OUT/build.log" >&2; exit 1; }

FULL=$DATA/indicators-full.txt
TINY=$DATA/indicators-tiny.txt
if [ ! -s "$FULL" ] || [ ! -s "$TINY" ]; then
    python3 "$BENCH/gen_indicators.py" -o "$FULL" --tiny "$TINY"
fi
CAP=$OUT/profile-${PACKETS}p-${FLOWS}f.pcap
if [ ! -s "$CAP" ] || [ "$FULL" -nt "$CAP" ]; then
    "$BUILD/bin/picket-gen" --bench -q -w "$CAP" --packets "$PACKETS" --flows "$FLOWS" -I "$FULL"
fi
EMPTY=$OUT/empty.pcap
python3 -c 'import struct,sys; sys.stdout.buffer.write(struct.pack("<IHHiIII",0xa1b2c3d4,2,4,0,0,65535,1))' >"$EMPTY"

total() { sed -n 's/^summary: *//p; s/^totals: *//p' "$1" | head -n 1 | tr -d ','; }
report() {   # FILE LABEL PACKETS
    local n
    n=$(total "$1")
    if [ "$3" -gt 0 ]; then
        printf '%s: %s instructions, %d per packet\n' "$2" "$n" $((n / $3))
    else
        printf '%s: %s instructions\n' "$2" "$n"
    fi
    callgrind_annotate --inclusive=yes "$1" 2>/dev/null >"$1.txt" || true
    grep -E '^ *[0-9,]+ \(' "$1.txt" | grep -v 'PROGRAM TOTALS' |
        sed 's/ \[[^]]*\]$//' | sed -n "1,${TOP}p"
    echo
}
cg() { valgrind --tool=callgrind --dump-instr=no "$@" >/dev/null 2>&1; }

echo "== callgrind: $PACKETS packets over $FLOWS flows" >&2
cg --callgrind-out-file="$OUT/cg.empty-loop" "$BUILD/bin/picket-bench-loop" "$CAP"
report "$OUT/cg.empty-loop" "libpcap empty read loop" "$PACKETS"
for set in "$TINY" "$FULL"; do
    name=$(basename "$set" .txt)
    cg --toggle-collect=pcap_dispatch --callgrind-out-file="$OUT/cg.loop-$name" \
        "$BUILD/bin/picket-sensor" -r "$CAP" -I "$set" -o /dev/null
    report "$OUT/cg.loop-$name" "picket-sensor read loop, $name" "$PACKETS"
done
cg --callgrind-out-file="$OUT/cg.load-full" \
    "$BUILD/bin/picket-sensor" -r "$EMPTY" -I "$FULL" -o /dev/null
report "$OUT/cg.load-full" "picket-sensor start-up and exit on an empty capture with $(basename "$FULL")" 0
echo "callgrind files: $OUT/cg.*" >&2
