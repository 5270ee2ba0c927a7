#!/usr/bin/env bash
# test_bad_input.sh - picket-sensor on bad files and bad command lines.
#
# Why it exists: an operator's first contact with the sensor is often a
# mistake: a capture copied half-way, the wrong file, a typo in an indicator
# list or a flag. The contract is: never crash, exit 2 for bad usage, exit 1
# for a fatal error with one clear message naming the file (and line), and
# keep going where it can (a truncated capture is processed up to the cut;
# bad indicator lines are reported as file:line and the good ones load).
set -euo pipefail

BIN=${PICKET_BIN:-}/picket-sensor
PCAPS=${PICKET_SHARED:-}/pcaps
if [ -z "${PICKET_BIN:-}" ] || [ ! -x "$BIN" ]; then
  echo "SKIP: sensor binary '$BIN' is missing (set PICKET_BIN to the build's bin dir)"; exit 77
fi
if [ ! -f "$PCAPS/tls12-sni.pcap" ] || [ ! -f "$PCAPS/pcapng-http.pcapng" ]; then
  echo "SKIP: shared captures not found in '$PCAPS' (set PICKET_SHARED)"; exit 77
fi

# shellcheck source=testlib.sh
. "$(dirname "$0")/testlib.sh"
testlib_init picket-badinput
PROG=$BIN RUN_TIMEOUT=30       # run NAME ARGS...: the sensor, 30 s cap

# crashed NAME: true when the last run died on a signal, timed out or a
# sanitizer reported something.
crashed() {
  [ "$rc" -ge 124 ] && return 0
  grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:|==ERROR' "$TMP/$1.err"
}
show() { sed 's/^/      | /' "$TMP/$1.err" | head -n 8; }
# expect_rc NAME WANT WHAT: checks exit code and no crash.
expect_rc() {
  local name=$1 want=$2 what=$3
  if crashed "$name"; then bad "$what: crashed (exit $rc)"; show "$name"; return 1; fi
  if [ "$rc" -ne "$want" ]; then bad "$what: exit $rc, expected $want"; show "$name"; return 1; fi
  ok "$what: exit $rc"
}
# survives NAME WHAT: no crash, and exit 0 or 1 (a cut capture may end the
# run with an error or not, but must be handled).
survives() {
  if crashed "$1"; then bad "$2: crashed (exit $rc)"; show "$1"
  elif [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then bad "$2: exit $rc, expected 0 or 1"; show "$1"
  else ok "$2: exit $rc, no crash"; fi
}
# names NAME STRING WHAT: stderr must mention STRING.
names() {
  if grep -qF -- "$2" "$TMP/$1.err"; then ok "$3: stderr names '$2'"
  else bad "$3: stderr does not name '$2'"; show "$1"; fi
}

TLS=$PCAPS/tls12-sni.pcap
printf 'domain:www.google.com\n' >"$TMP/google.txt"

echo "# a capture on standard input (-r -)"
"$BIN" -r - -I "$TMP/google.txt" -o "$TMP/stdin.jsonl" <"$TLS" 2>"$TMP/stdin.err"; rc=$?
expect_rc stdin 0 "-r - from a pipe"
if [ "$(grep -c '"www.google.com"' "$TMP/stdin.jsonl" 2>/dev/null)" = 1 ]; then
  ok "-r -: the ClientHello's SNI alerted once"
else bad "-r -: expected one alert for www.google.com"; sed 's/^/      | /' "$TMP/stdin.jsonl" | head -n 3; fi

echo "# truncated and broken captures"
# First 100 bytes: header plus part of the first packet record.
head -c 100 "$TLS" >"$TMP/trunc100.pcap"
run trunc100 -r "$TMP/trunc100.pcap" -I "$TMP/google.txt" -o "$TMP/trunc100.jsonl"
survives trunc100 "100-byte capture"
names trunc100 trunc100.pcap "100-byte capture"

# Cut in the middle of packet 5: packets 1-4 (the ClientHello is 4) are whole.
cut=$(python3 - "$TLS" <<'EOF'
import struct, sys
d = open(sys.argv[1], "rb").read()
e = "<" if d[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
off = 24
for _ in range(4):
    off += 16 + struct.unpack(e + "I", d[off + 8:off + 12])[0]
print(off + 16 + struct.unpack(e + "I", d[off + 8:off + 12])[0] // 2)
EOF
)
head -c "$cut" "$TLS" >"$TMP/midcut.pcap"
run midcut -r "$TMP/midcut.pcap" -I "$TMP/google.txt" -o "$TMP/midcut.jsonl"
survives midcut "capture cut mid-packet 5 ($cut bytes)"
names midcut midcut.pcap "capture cut mid-packet"
if grep -qiE 'truncat|short|incomplete|premature|unexpected end|end of file|cut' "$TMP/midcut.err"; then
  ok "capture cut mid-packet: stderr says the file is truncated"
else bad "capture cut mid-packet: stderr does not say the file is truncated"; show midcut; fi
if grep -q '"tls.sni"' "$TMP/midcut.jsonl" 2>/dev/null && grep -q 'www.google.com' "$TMP/midcut.jsonl"; then
  ok "capture cut mid-packet: packets before the cut were processed (tls.sni alert)"
else bad "capture cut mid-packet: no tls.sni alert from packet 4 before the cut"; show midcut; fi

# Truncated pcapng (inside the first blocks).
head -c 60 "$PCAPS/pcapng-http.pcapng" >"$TMP/trunc.pcapng"
run truncng -r "$TMP/trunc.pcapng" -I "$TMP/google.txt" -o "$TMP/truncng.jsonl"
survives truncng "60-byte pcapng"
names truncng trunc.pcapng "60-byte pcapng"

# Random bytes (fixed seed; first byte 0 so it cannot start with a magic).
python3 -c 'import random,sys; r=random.Random(20261123); sys.stdout.buffer.write(b"\0"+bytes(r.randrange(256) for _ in range(4095)))' >"$TMP/garbage.pcap"
run garbage -r "$TMP/garbage.pcap" -I "$TMP/google.txt" -o "$TMP/garbage.jsonl"
expect_rc garbage 1 "garbage capture" || true
names garbage garbage.pcap "garbage capture"

: >"$TMP/empty.pcap"
run empty -r "$TMP/empty.pcap" -I "$TMP/google.txt" -o "$TMP/empty.jsonl"
expect_rc empty 1 "empty capture" || true
names empty empty.pcap "empty capture"

run nocap -r "$TMP/no-such-capture.pcap" -I "$TMP/google.txt" -o "$TMP/nocap.jsonl"
expect_rc nocap 1 "nonexistent capture" || true
names nocap no-such-capture.pcap "nonexistent capture"

run dircap -r "$TMP" -I "$TMP/google.txt" -o "$TMP/dircap.jsonl"
expect_rc dircap 1 "a directory as capture" || true

echo "# indicator files"
run noind -r "$TLS" -I "$TMP/no-such-indicators.txt" -o "$TMP/noind.jsonl"
expect_rc noind 1 "nonexistent indicator file" || true
names noind no-such-indicators.txt "nonexistent indicator file"

# Good and malformed lines mixed; bad lines are 3 5 6 7 10.
cat >"$TMP/mixed.txt" <<'EOF'
# picket bad-input test: good and malformed lines mixed
domain:www.google.com
ip:999.1.1.1
ip:24.244.4.23
cidr:10.0.0.0/99
ja3:not-an-md5
bogus-type:thing
ja3:39d8c2cad4b5f346d621cbcca5b6189b

domain:
EOF
run mixed -r "$TLS" -I "$TMP/mixed.txt" -o "$TMP/mixed.jsonl"
expect_rc mixed 0 "indicator file with malformed lines" || true
for line in 3 5 6 7 10; do
  if grep -qE "mixed\.txt:$line([^0-9]|$)" "$TMP/mixed.err"; then
    ok "malformed indicator line $line reported as mixed.txt:$line"
  else bad "malformed indicator line $line not reported as file:line"; fi
done
for line in 2 4 8; do
  if grep -qE "mixed\.txt:$line([^0-9]|$)" "$TMP/mixed.err"; then
    bad "good indicator line $line reported as bad"; grep -E "mixed\.txt:$line" "$TMP/mixed.err" | head -n 2
  fi
done
for v in www.google.com 24.244.4.23 39d8c2cad4b5f346d621cbcca5b6189b; do
  if grep -F "\"value\":\"$v\"" "$TMP/mixed.jsonl" >/dev/null 2>&1 || \
     python3 -c 'import json,sys; sys.exit(0 if any(json.loads(l)["picket"]["indicator"]["value"]==sys.argv[2] for l in open(sys.argv[1]) if l.strip()) else 1)' "$TMP/mixed.jsonl" "$v" 2>/dev/null; then
    ok "good indicator $v still alerts"
  else bad "good indicator $v did not alert"; fi
done

echo "# output"
run noout -r "$TLS" -I "$TMP/google.txt" -o "$TMP/no-such-dir/alerts.jsonl"
expect_rc noout 1 "alerts file in a missing directory" || true
names noout no-such-dir/alerts.jsonl "alerts file in a missing directory"

echo "# command line"
run unknown -r "$TLS" -I "$TMP/google.txt" --no-such-flag
expect_rc unknown 2 "unknown flag" || true
run noarg -I "$TMP/google.txt" -r
expect_rc noarg 2 "-r without its argument" || true
run nosource -I "$TMP/google.txt" -o "$TMP/nosource.jsonl"
expect_rc nosource 2 "neither -r nor -i" || true
run both -r "$TLS" -i lo -I "$TMP/google.txt" -o "$TMP/both.jsonl"
expect_rc both 2 "both -r and -i" || true
run badex -r "$TLS" -I "$TMP/google.txt" -o "$TMP/badex.jsonl" --exercise "drill 7"
expect_rc badex 2 "--exercise with a space" || true
names badex "--exercise 'drill 7'" "--exercise with a space"

run help --help
if expect_rc help 0 "--help"; then
  cat "$TMP/help.out" "$TMP/help.err" >"$TMP/help.all"
  missing=""
  for flag in -r --read -i --interface -f --filter -I --indicators -o --alerts \
              --sensor-id --partner --exercise --replay-speed --stats --home-net; do
    grep -qE -- "(^|[^-[:alnum:]])$flag([^-[:alnum:]]|$)" "$TMP/help.all" || missing="$missing $flag"
  done
  if [ -z "$missing" ]; then ok "--help mentions every documented flag"
  else bad "--help does not mention:$missing"; fi
fi

echo
testlib_finish "bad input"
