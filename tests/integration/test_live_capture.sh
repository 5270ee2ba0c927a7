#!/usr/bin/env bash
# test_live_capture.sh - picket-sensor capturing from a real interface.
#
# Why it exists: `-r` and `-i` share the packet path but not the capture
# code (pcap_open_live/activate, non-blocking loop, signal handling, flush
# on SIGINT). This test builds a private network namespace with a veth pair,
# replays shared captures into one end with tcpreplay while the sensor
# listens on the other, stops the sensor with SIGINT and checks that it
# exits 0 and that its alerts are, by value (field, observed, indicator,
# flow), the same as `picket-sensor -r` gives for the same files.
# Needs root, iproute2 (`ip`) and tcpreplay; otherwise it is skipped (77).
set -euo pipefail

BIN=${PICKET_BIN:-}/picket-sensor
PCAPS=${PICKET_SHARED:-}/pcaps
HERE=$(cd "$(dirname "$0")" && pwd)
LIB=$HERE/picket_testlib.py
# Ethernet captures whose flows do not overlap (one flow table for all).
FILES="mixed-dns-http-tls tls12-sni dns-udp-a-aaaa-mx http-qinq"

skip() { echo "SKIP: $*"; exit 77; }
[ -n "${PICKET_BIN:-}" ] && [ -x "$BIN" ] || skip "sensor binary '$BIN' is missing (set PICKET_BIN)"
[ -d "$PCAPS" ] || skip "no shared captures in '$PCAPS' (set PICKET_SHARED)"
[ "$(id -u)" -eq 0 ] || skip "needs root for a network namespace and a live capture"
command -v ip >/dev/null || skip "'ip' (iproute2) is not installed"
command -v tcpreplay >/dev/null || skip "'tcpreplay' is not installed (apt-get install tcpreplay)"
command -v python3 >/dev/null || skip "python3 is not installed"
for f in $FILES; do [ -f "$PCAPS/$f.pcap" ] || skip "missing $PCAPS/$f.pcap"; done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/picket-live.XXXXXX")
NS=picket-test-$$
VA=pkt$$a            # stays in the root namespace; the sensor listens here
VB=pkt$$b            # moved into $NS; tcpreplay sends from here
SENSOR_PID=""
cleanup() {
  if [ -n "$SENSOR_PID" ] && kill -0 "$SENSOR_PID" 2>/dev/null; then
    kill -KILL "$SENSOR_PID" 2>/dev/null || true
  fi
  ip link del "$VA" 2>/dev/null || true
  ip netns del "$NS" 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

pass=0 fail=0
ok()  { pass=$((pass + 1)); echo "ok   - $*"; }
bad() { fail=$((fail + 1)); echo "FAIL - $*"; }

echo "# setup: namespace $NS, veth $VA (root ns, sensor) <-> $VB ($NS, tcpreplay)"
ip netns add "$NS" 2>"$TMP/netns.err" || skip "cannot create a network namespace: $(cat "$TMP/netns.err")"
if ! ip link add "$VA" type veth peer name "$VB" 2>"$TMP/veth.err"; then
  skip "cannot create a veth pair: $(cat "$TMP/veth.err")"
fi
ip link set "$VB" netns "$NS"
# No IPv6 on either end: no router solicitations or MLD reports in the capture.
sysctl -qw "net.ipv6.conf.$VA.disable_ipv6=1" 2>/dev/null || true
ip netns exec "$NS" sysctl -qw "net.ipv6.conf.$VB.disable_ipv6=1" 2>/dev/null || true
ip link set "$VA" mtu 9000 up
ip netns exec "$NS" ip link set "$VB" mtu 9000 up
ip netns exec "$NS" ip link set lo up

# Indicators from the truth files of the replayed captures.
truths=""
for f in $FILES; do truths="$truths $PCAPS/$f.truth.json"; done
# shellcheck disable=SC2086
python3 -B "$LIB" indicators $truths >"$TMP/indicators.txt"
echo "# $(wc -l <"$TMP/indicators.txt") indicators from:$truths"

echo "# reference: picket-sensor -r on each file"
: >"$TMP/ref.jsonl"
for f in $FILES; do
  if "$BIN" -r "$PCAPS/$f.pcap" -I "$TMP/indicators.txt" -o "$TMP/ref-$f.jsonl" 2>"$TMP/ref-$f.err"; then
    cat "$TMP/ref-$f.jsonl" >>"$TMP/ref.jsonl"
  else
    bad "reference run on $f.pcap failed (exit $?)"; sed 's/^/      | /' "$TMP/ref-$f.err" | tail -n 5
  fi
done
python3 -B "$LIB" keys "$TMP/ref.jsonl" >"$TMP/ref.keys"
echo "# reference: $(wc -l <"$TMP/ref.jsonl") alerts, $(grep -c . "$TMP/ref.keys" || true) distinct keys"

echo "# live: picket-sensor -i $VA"
"$BIN" -i "$VA" -I "$TMP/indicators.txt" -o "$TMP/live.jsonl" --stats \
  >"$TMP/live.out" 2>"$TMP/live.err" &
SENSOR_PID=$!
# Ready when it says so on stderr (listening/capturing), else after 3 s.
for _ in $(seq 1 30); do
  grep -qiE 'listen|captur' "$TMP/live.err" 2>/dev/null && break
  kill -0 "$SENSOR_PID" 2>/dev/null || break
  sleep 0.1
done
sleep 0.5
if ! kill -0 "$SENSOR_PID" 2>/dev/null; then
  set +e; wait "$SENSOR_PID"; rc=$?; set -e
  SENSOR_PID=""
  bad "sensor exited early (exit $rc)"; sed 's/^/      | /' "$TMP/live.err" | tail -n 8
  echo "$pass passed, $fail failed"; exit 1
fi
ok "sensor is capturing on $VA"

for f in $FILES; do
  if ip netns exec "$NS" tcpreplay -q -i "$VB" --mbps 10 "$PCAPS/$f.pcap" >"$TMP/replay-$f.log" 2>&1; then
    sent=$(grep -oE '[0-9]+ packets' "$TMP/replay-$f.log" | head -n 1 || true)
    ok "tcpreplay $f.pcap into $VB (${sent:-sent})"
  else
    bad "tcpreplay $f.pcap failed"; sed 's/^/      | /' "$TMP/replay-$f.log" | tail -n 5
  fi
done
sleep 1

kill -INT "$SENSOR_PID"
rc=""
for _ in $(seq 1 100); do
  kill -0 "$SENSOR_PID" 2>/dev/null || break
  sleep 0.1
done
if kill -0 "$SENSOR_PID" 2>/dev/null; then
  bad "sensor still running 10 s after SIGINT"
  kill -KILL "$SENSOR_PID" 2>/dev/null || true
fi
set +e; wait "$SENSOR_PID"; rc=$?; set -e
SENSOR_PID=""
if [ "$rc" -eq 0 ]; then ok "sensor exited 0 after SIGINT"
else bad "sensor exit $rc after SIGINT (expected 0)"; sed 's/^/      | /' "$TMP/live.err" | tail -n 8; fi
if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' "$TMP/live.err"; then
  bad "sanitizer report in the live sensor's stderr"; grep -E 'Sanitizer|runtime error' "$TMP/live.err" | head -n 3
fi

python3 -B "$LIB" keys "$TMP/live.jsonl" >"$TMP/live.keys" || bad "live alerts file unreadable or not JSON lines"
nlive=$(grep -c . "$TMP/live.jsonl" 2>/dev/null || true)
echo "# live: ${nlive:-0} alerts, $(grep -c . "$TMP/live.keys" || true) distinct keys"
if [ ! -s "$TMP/ref.keys" ]; then
  bad "reference run produced no alert: nothing to compare"
elif diff -u "$TMP/ref.keys" "$TMP/live.keys" >"$TMP/keys.diff"; then
  ok "live alerts equal -r alerts by (field, observed, indicator, flow): $(grep -c . "$TMP/ref.keys") keys"
else
  bad "live alerts differ from -r alerts (- only in -r, + only live):"
  grep -E '^[-+][^-+]' "$TMP/keys.diff" | head -n 20 | sed 's/^/      /'
fi

echo "# a missing interface"
set +e
timeout -k 5 20 "$BIN" -i does-not-exist0 -I "$TMP/indicators.txt" -o "$TMP/none.jsonl" \
  >"$TMP/none.out" 2>"$TMP/none.err"
rc=$?
set -e
if [ "$rc" -eq 1 ]; then ok "-i does-not-exist0: exit 1"
else bad "-i does-not-exist0: exit $rc, expected 1"; fi
if grep -qF does-not-exist0 "$TMP/none.err"; then ok "-i does-not-exist0: stderr names the interface"
else bad "-i does-not-exist0: stderr does not name the interface"; sed 's/^/      | /' "$TMP/none.err" | head -n 5; fi

echo
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
