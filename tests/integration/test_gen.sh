#!/usr/bin/env bash
# test_gen.sh - picket-gen: command line, manifest, determinism, bench mode,
# and an independent check of its captures with tshark.
#
# Why it exists: exercise planners trust picket-gen's manifest to say what a
# sensor must report, so the manifest must cover every indicator, every
# expectation must really be in the capture (as tshark, not picket, decodes
# it: DNS names, SNI, HTTP Host/URL, JA3, and JA4 recomputed from tshark's
# fields), the frames must be clean (checksums, no TCP analysis warnings,
# nothing malformed), and the same seed must give the same bytes.
# Env: PICKET_BIN (build bin dir), PICKET_SRC (repository root).
set -euo pipefail

GEN=${PICKET_BIN:-}/picket-gen
SRC=${PICKET_SRC:-}
if [ -z "${PICKET_BIN:-}" ] || [ ! -x "$GEN" ]; then
  echo "SKIP: '$GEN' is missing (set PICKET_BIN to the build's bin dir)"; exit 77
fi
if ! command -v python3 >/dev/null 2>&1; then
  echo "SKIP: python3 is needed to read the manifest"; exit 77
fi

# shellcheck source=testlib.sh
. "$(dirname "$0")/testlib.sh"
testlib_init picket-gen-test
PROG=$GEN RUN_TIMEOUT=120      # run NAME ARGS...: picket-gen, 120 s cap

# --- command line -----------------------------------------------------------
run help --help
if [ "$rc" -eq 0 ] && grep -q -- '--manifest' "$TMP/help.out" && grep -q -- '--bench' "$TMP/help.out"; then
  ok "--help exits 0 and documents the options"
else bad "--help: rc=$rc"; fi

run badflag --no-such-flag -w "$TMP/x.pcap"
[ "$rc" -eq 2 ] && ok "unknown flag exits 2" || bad "unknown flag: rc=$rc"
run now -I /dev/null
[ "$rc" -eq 2 ] && ok "missing -w exits 2" || bad "missing -w: rc=$rc"
run badnum --seed abc -w "$TMP/x.pcap"
[ "$rc" -eq 2 ] && ok "non-numeric --seed exits 2" || bad "--seed abc: rc=$rc"
run badshare --ipv6-share 1.5 -w "$TMP/x.pcap"
[ "$rc" -eq 2 ] && ok "--ipv6-share out of range exits 2" || bad "--ipv6-share 1.5: rc=$rc"
run benchnoarg --bench -w "$TMP/x.pcap"
[ "$rc" -eq 2 ] && ok "--bench without --packets/--flows exits 2" || bad "--bench bare: rc=$rc"

missing="$TMP/no-such-indicators.txt"
run missing -I "$missing" -w "$TMP/x.pcap"
if [ "$rc" -eq 1 ] && grep -qF "$missing" "$TMP/missing.err"; then
  ok "missing indicator file exits 1 and names the file"
else bad "missing indicator file: rc=$rc, stderr: $(head -c 300 "$TMP/missing.err")"; fi

run unwritable -w "$TMP/no/such/dir/out.pcap"
if [ "$rc" -eq 1 ] && grep -qF "$TMP/no/such/dir/out.pcap" "$TMP/unwritable.err"; then
  ok "unwritable output exits 1 and names the file"
else bad "unwritable output: rc=$rc"; fi

run profiles --list-profiles
# The Chromium-like profile is the JA4 specification's own example hello.
if [ "$rc" -eq 0 ] && grep -q 't13d1516h2_8daaf6152771_e5627efa2ab1' "$TMP/profiles.out"; then
  ok "--list-profiles prints JA3/JA4 (chrome matches the JA4 spec example)"
else bad "--list-profiles: rc=$rc"; fi
CHROME_JA3=$(awk -F'\t' '$1=="chrome" && $2=="yes" {print $3}' "$TMP/profiles.out")
OSSL_NOSNI_JA4=$(awk -F'\t' '$1=="openssl" && $2=="no" {print $4}' "$TMP/profiles.out")

# --- a small indicator set ----------------------------------------------------
IND="$TMP/ind.txt"
cat >"$IND" <<EOF
# picket-gen test indicators
198.51.100.23
2001:db8:bad::7
203.0.113.0/28
evil.example
sni:c2.badcdn.example
http_host:updates.malware.test
url:http://drop.example.net/payload/stage2.bin?id=7
ja3:$CHROME_JA3
ja4:$OSSL_NOSNI_JA4
ja3:00000000000000000000000000000000
EOF
EXPECT="$TMP/expect.txt"   # type<TAB>normalised value, as the manifest names them
cat >"$EXPECT" <<EOF
ipv4	198.51.100.23
ipv6	2001:db8:bad::7
cidr	203.0.113.0/28
domain	evil.example
sni	c2.badcdn.example
http_host	updates.malware.test
url	drop.example.net/payload/stage2.bin?id=7
ja3	$CHROME_JA3
ja4	$OSSL_NOSNI_JA4
ja3	00000000000000000000000000000000
EOF

mkdir -p "$TMP/a" "$TMP/b"
run gen_a -I "$IND" -w "$TMP/a/out.pcap" --manifest "$TMP/a/m.json" --seed 42 --background 150
[ "$rc" -eq 0 ] && ok "exercise run exits 0" || { bad "exercise run: rc=$rc: $(cat "$TMP/gen_a.err")"; }
if grep -q "not exercisable: ja3 00000000000000000000000000000000" "$TMP/gen_a.err"; then
  ok "unknown JA3 is reported as not exercisable on stderr"
else bad "unknown JA3 not reported on stderr"; fi

# --- the checker (manifest coverage, pcap reading, tshark oracle) ------------
cat >"$TMP/check.py" <<'EOF'
"""Checks picket-gen output: manifest coverage, packet counts, tshark oracle."""
import hashlib, json, struct, subprocess, sys

def load(path):
    with open(path) as f:
        return json.load(f)

def cmd_covers(manifest, expect):
    m = load(manifest)
    want = set()
    for line in open(expect):
        t, v = line.rstrip("\n").split("\t")
        want.add((t, v))
    got = {(e["type"], e["value"]) for e in m["exercised"]}
    skipped = {(e["type"], e["value"]) for e in m["not_exercisable"]}
    missing = want - got - skipped
    if missing:
        sys.exit("manifest lacks %s" % sorted(missing))
    for e in m["exercised"]:
        if not e["expect"]:
            sys.exit("exercised without expectations: %s" % e["value"])
        for x in e["expect"]:
            f = x["flow"]
            for k in ("src_ip", "src_port", "dest_ip", "dest_port", "proto", "community_id"):
                if k not in f:
                    sys.exit("flow lacks %s" % k)
    for e in m["not_exercisable"]:
        if not e.get("reason"):
            sys.exit("not_exercisable entry without reason")

def cmd_complete(manifest):
    m = load(manifest)
    s = m["summary"]
    if s["exercised"] + s["not_exercisable"] != s["indicators"]:
        sys.exit("summary does not add up: %s" % s)

def cmd_count(pcap, n):
    with open(pcap, "rb") as f:
        hdr = f.read(24)
        if struct.unpack("<I", hdr[:4])[0] != 0xa1b2c3d4:
            sys.exit("not a little-endian microsecond pcap")
        count, last = 0, (0, 0)
        while True:
            h = f.read(16)
            if not h:
                break
            sec, usec, caplen, wirelen = struct.unpack("<IIII", h)
            if (sec, usec) < last:
                sys.exit("timestamps go backwards at packet %d" % (count + 1))
            last = (sec, usec)
            if caplen > 1518 or caplen < 60:
                sys.exit("odd frame size %d" % caplen)
            f.seek(caplen, 1)
            count += 1
    if count != int(n):
        sys.exit("%d packets, wanted %s" % (count, n))

FIELDS = ["ip.src", "ipv6.src", "ip.dst", "ipv6.dst", "tcp.srcport", "tcp.dstport",
          "udp.srcport", "udp.dstport", "dns.flags.response", "dns.qry.name",
          "tls.handshake.type", "tls.handshake.extensions_server_name",
          "tls.handshake.ja3", "http.host", "http.request.uri", "tls.handshake.version",
          "tls.handshake.ciphersuite", "tls.handshake.extension.type",
          "tls.handshake.sig_hash_alg_len", "tls.handshake.sig_hash_alg",
          "tls.handshake.extensions.supported_version", "tls.handshake.extensions_alpn_str"]

def grease(v):
    return (v & 0x0F0F) == 0x0A0A and (v >> 8) == (v & 0xFF)

def ints(s):
    return [int(x, 0) for x in s.split("\x1e")] if s else []

def sha12(s):
    return hashlib.sha256(s.encode()).hexdigest()[:12]

def ja4(r):
    """JA4 (FoxIO spec) from tshark's decoded ClientHello fields."""
    ciphers = [c for c in ints(r["tls.handshake.ciphersuite"]) if not grease(c)]
    exts_all = ints(r["tls.handshake.extension.type"])
    exts = [e for e in exts_all if not grease(e)]
    vers = [v for v in ints(r["tls.handshake.extensions.supported_version"]) if not grease(v)]
    ver = max(vers) if 43 in exts and vers else ints(r["tls.handshake.version"])[0]
    code = {0x0304: "13", 0x0303: "12", 0x0302: "11", 0x0301: "10", 0x0300: "s3"}.get(ver, "00")
    alpns = r["tls.handshake.extensions_alpn_str"].split("\x1e") if r["tls.handshake.extensions_alpn_str"] else []
    alpn = alpns[0][0] + alpns[0][-1] if alpns and 16 in exts else "00"
    lens, algs, groups, i = ints(r["tls.handshake.sig_hash_alg_len"]), ints(r["tls.handshake.sig_hash_alg"]), [], 0
    for n in lens:
        groups.append(algs[i:i + n // 2])
        i += n // 2
    owners = [e for e in exts if e in (13, 34, 50)]
    sig = groups[owners.index(13)] if 13 in owners and len(groups) == len(owners) else []
    sni = "d" if 0 in exts else "i"
    a = "t%s%s%02d%02d%s" % (code, sni, min(len(ciphers), 99), min(len(exts), 99), alpn)
    b = sha12(",".join("%04x" % c for c in sorted(ciphers))) if ciphers else "0" * 12
    el = ",".join("%04x" % e for e in sorted(e for e in exts if e not in (0, 16)))
    if sig:
        el += "_" + ",".join("%04x" % s for s in sig)
    c = sha12(el) if exts else "0" * 12
    return "%s_%s_%s" % (a, b, c)

def tshark_rows(pcap):
    cmd = ["tshark", "-n", "-r", pcap, "-o", "tcp.desegment_tcp_streams:TRUE",
           "-T", "fields", "-E", "separator=\t", "-E", "occurrence=a",
           "-E", "aggregator=\x1e"]
    for f in FIELDS:
        cmd += ["-e", f]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    for line in out.split("\n"):  # not splitlines(): \x1e would split too
        if line:
            yield dict(zip(FIELDS, line.split("\t")))

def flow_key(r):
    src = r["ip.src"] or r["ipv6.src"]
    dst = r["ip.dst"] or r["ipv6.dst"]
    if r["tcp.srcport"]:
        return ("TCP", src, int(r["tcp.srcport"]), dst, int(r["tcp.dstport"]))
    if r["udp.srcport"]:
        return ("UDP", src, int(r["udp.srcport"]), dst, int(r["udp.dstport"]))
    return None

def strip_port(host):
    if host.startswith("["):
        return host[: host.index("]") + 1]
    return host.rsplit(":", 1)[0] if ":" in host else host

def observations(pcap):
    seen, flows = set(), set()
    for r in tshark_rows(pcap):
        k = flow_key(r)
        if not k:
            continue
        flows.add(k)
        if r["dns.qry.name"] and r["dns.flags.response"] in ("0", "False"):
            seen.add((k, "dns.query", r["dns.qry.name"].split("\x1e")[0].lower()))
        if "1" in r["tls.handshake.type"].split("\x1e"):
            if r["tls.handshake.extensions_server_name"]:
                seen.add((k, "tls.sni", r["tls.handshake.extensions_server_name"].lower()))
            seen.add((k, "tls.ja3", r["tls.handshake.ja3"]))
            seen.add((k, "tls.ja4", ja4(r)))
        if r["http.host"] and r["http.request.uri"]:
            seen.add((k, "http.host", strip_port(r["http.host"]).lower()))
            seen.add((k, "http.url", r["http.host"].lower() + r["http.request.uri"]))
    return seen, flows

def cmd_tshark(pcap, manifest, indicators=None):
    m = load(manifest)
    seen, flows = observations(pcap)
    checked = 0
    for e in m["exercised"]:
        for x in e["expect"]:
            f = x["flow"]
            k = (f["proto"], f["src_ip"], f["src_port"], f["dest_ip"], f["dest_port"])
            fld, obs = x["field"], x["observed"]
            if fld in ("ip.dst", "ip.src"):
                addr = f["dest_ip"] if fld == "ip.dst" else f["src_ip"]
                good = k in flows and addr == obs
            else:
                good = (k, fld, obs.lower() if fld != "http.url" else obs) in seen
            if not good:
                sys.exit("tshark does not show %s=%s on %s (indicator %s)" % (fld, obs, k, e["value"]))
            checked += 1
    if indicators:
        stray_check(seen, m, indicators)
    print("tshark confirms %d expectations" % checked)

def stray_check(seen, m, indicators):
    """Names and fingerprints from the indicator file appear only on manifest flows."""
    expected = set()
    for e in m["exercised"]:
        for x in e["expect"]:
            f = x["flow"]
            expected.add((f["proto"], f["src_ip"], f["src_port"], f["dest_ip"], f["dest_port"]))
    names, fps = [], set()
    for line in open(indicators):
        t, v = line.rstrip("\n").split("\t")
        if t in ("domain", "sni", "http_host"):
            names.append(v)
        elif t in ("ja3", "ja4"):
            fps.add(v)
    for k, fld, obs in seen:
        hit = (fld in ("tls.ja3", "tls.ja4") and obs in fps) or \
              (fld in ("dns.query", "tls.sni", "http.host") and
               any(obs == n or obs.endswith("." + n) for n in names))
        if hit and k not in expected:
            sys.exit("stray match %s=%s on %s: not in the manifest" % (fld, obs, k))

def cmd_profiles(pcap, listing):
    """Every ClientHello's JA3 (tshark's) and JA4 (recomputed here from
    tshark's fields) is the pair --list-profiles claims for some profile."""
    pairs = set()
    for line in open(listing):
        if not line.startswith("#"):
            cols = line.rstrip("\n").split("\t")
            pairs.add((cols[2], cols[3]))
    hellos, used = 0, set()
    for r in tshark_rows(pcap):
        if "1" not in r["tls.handshake.type"].split("\x1e"):
            continue
        pair = (r["tls.handshake.ja3"], ja4(r))
        if pair not in pairs:
            sys.exit("ClientHello with JA3/JA4 %s is no listed profile" % (pair,))
        hellos += 1
        used.add(pair)
    print("%d hellos from %d profile shapes" % (hellos, len(used)))

if __name__ == "__main__":
    globals()["cmd_" + sys.argv[1]](*sys.argv[2:])
EOF
CHECK="python3 $TMP/check.py"

if $CHECK covers "$TMP/a/m.json" "$EXPECT" 2>"$TMP/covers.err"; then
  ok "manifest lists every indicator (exercised or not exercisable, with reasons)"
else bad "manifest coverage: $(cat "$TMP/covers.err")"; fi
if $CHECK complete "$TMP/a/m.json" 2>"$TMP/complete.err"; then
  ok "manifest summary: exercised + not exercisable = indicators"
else bad "manifest summary: $(cat "$TMP/complete.err")"; fi
npk=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['packets'])" "$TMP/a/m.json")
if $CHECK count "$TMP/a/out.pcap" "$npk" 2>"$TMP/count.err"; then
  ok "pcap holds the $npk packets the manifest reports, in time order"
else bad "pcap count/order: $(cat "$TMP/count.err")"; fi

# --- determinism ----------------------------------------------------------------
run gen_b -I "$IND" -w "$TMP/b/out.pcap" --manifest "$TMP/b/m.json" --seed 42 --background 150
if [ "$rc" -eq 0 ] && cmp -s "$TMP/a/out.pcap" "$TMP/b/out.pcap"; then
  ok "same seed and input give a byte-identical pcap"
else bad "pcaps differ for the same seed (rc=$rc)"; fi
if sed "s#$TMP/[ab]/#X/#" "$TMP/a/m.json" | cmp -s - <(sed "s#$TMP/[ab]/#X/#" "$TMP/b/m.json"); then
  ok "same seed gives the same manifest"
else bad "manifests differ for the same seed"; fi
run gen_c -I "$IND" -w "$TMP/c.pcap" --seed 43 --background 150
if [ "$rc" -eq 0 ] && ! cmp -s "$TMP/a/out.pcap" "$TMP/c.pcap"; then
  ok "another seed gives another capture"
else bad "seed has no effect (rc=$rc)"; fi

# --- bench mode --------------------------------------------------------------------
run bench1 --bench -I "$IND" -w "$TMP/bench1.pcap" --manifest "$TMP/bench1.json" \
    --packets 30000 --flows 4000 --seed 5
run bench2 --bench -I "$IND" -w "$TMP/bench2.pcap" --packets 30000 --flows 4000 --seed 5
if [ "$rc" -eq 0 ] && cmp -s "$TMP/bench1.pcap" "$TMP/bench2.pcap"; then
  ok "bench mode is deterministic"
else bad "bench mode not deterministic (rc=$rc)"; fi
if $CHECK count "$TMP/bench1.pcap" 30000 2>"$TMP/bcount.err"; then
  ok "bench writes exactly --packets packets, sizes 60..1518, in time order"
else bad "bench count: $(cat "$TMP/bcount.err")"; fi

# --- rules/ samples (when the repository has them) -------------------------------
RULES=()
if [ -n "$SRC" ] && [ -d "$SRC/rules" ]; then
  while IFS= read -r f; do RULES+=("$f"); done < <(find "$SRC/rules" -maxdepth 1 -type f | sort)
fi
if [ "${#RULES[@]}" -gt 0 ]; then
  run rules -I "${RULES[@]}" -w "$TMP/rules.pcap" --manifest "$TMP/rules.json" --seed 9
  if [ "$rc" -eq 0 ] && $CHECK complete "$TMP/rules.json" 2>"$TMP/rc.err"; then
    ok "rules/ samples: every loaded indicator is exercised or listed as not exercisable"
  else bad "rules/ run: rc=$rc $(cat "$TMP/rules.err" "$TMP/rc.err" 2>/dev/null | tail -3)"; fi
else
  echo "skip - no rules/ directory under PICKET_SRC"
fi

# --- tshark as the independent oracle ---------------------------------------------
if ! command -v tshark >/dev/null 2>&1; then
  echo "skip - tshark not installed: frame, checksum and field checks not run"
else
  for p in "$TMP/a/out.pcap" "$TMP/bench1.pcap" ${RULES:+"$TMP/rules.pcap"}; do
    set +e
    bad_frames=$(tshark -n -r "$p" -o tcp.check_checksum:TRUE -o udp.check_checksum:TRUE \
      -o ip.check_checksum:TRUE \
      -Y 'tcp.analysis.flags || _ws.malformed || _ws.expert.severity >= warning || tcp.checksum.status == "Bad" || udp.checksum.status == "Bad" || ip.checksum.status == "Bad"' \
      2>"$TMP/tshark.err" | head -5)
    trc=${PIPESTATUS[0]}
    set -e
    if [ "$trc" -ne 0 ]; then
      bad "tshark failed on $(basename "$p"): $(head -c 300 "$TMP/tshark.err")"
    elif [ -z "$bad_frames" ]; then
      ok "tshark: $(basename "$p"): valid checksums, no TCP analysis warnings, nothing malformed"
    else bad "tshark flags frames in $(basename "$p"): $bad_frames"; fi
  done
  if msg=$($CHECK profiles "$TMP/a/out.pcap" "$TMP/profiles.out" 2>&1); then
    ok "tshark: every ClientHello has the JA3 and JA4 --list-profiles gives ($msg)"
  else bad "profile fingerprints: $msg"; fi
  # Every profile shape (with and without SNI) named by its JA3 and its JA4.
  awk -F'\t' '!/^#/ {print "ja3:" $3; print "ja4:" $4}' "$TMP/profiles.out" >"$TMP/fps.txt"
  run fps -I "$TMP/fps.txt" -w "$TMP/fps.pcap" --manifest "$TMP/fps.json" --background 20 --seed 3
  nshapes=$(grep -vc '^#' "$TMP/profiles.out")
  if [ "$rc" -eq 0 ] && msg=$($CHECK profiles "$TMP/fps.pcap" "$TMP/profiles.out" 2>&1) &&
     [ "$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['summary']['not_exercisable'])" "$TMP/fps.json")" = 0 ] &&
     msg2=$($CHECK tshark "$TMP/fps.pcap" "$TMP/fps.json" 2>&1); then
    ok "tshark: all $nshapes profile shapes exercised by their JA3 and JA4 ($msg; $msg2)"
  else bad "profile shapes: rc=$rc ${msg:-} ${msg2:-}"; fi
  if msg=$($CHECK tshark "$TMP/a/out.pcap" "$TMP/a/m.json" "$EXPECT" 2>&1); then
    ok "tshark: every manifest expectation is in the capture, no stray matches ($msg)"
  else bad "tshark oracle: $msg"; fi
  if msg=$($CHECK tshark "$TMP/bench1.pcap" "$TMP/bench1.json" "$EXPECT" 2>&1); then
    ok "tshark: bench indicator hits are in the capture ($msg)"
  else bad "tshark oracle (bench): $msg"; fi
  if [ "${#RULES[@]}" -gt 0 ]; then
    if msg=$($CHECK tshark "$TMP/rules.pcap" "$TMP/rules.json" 2>&1); then
      ok "tshark: rules/ expectations are in the capture ($msg)"
    else bad "tshark oracle (rules/): $msg"; fi
  fi
fi

testlib_finish picket-gen
