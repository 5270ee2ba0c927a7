#!/usr/bin/env python3
"""test_gen_coverage.py - picket-gen and picket-sensor agree, end to end.

Why it exists: exercise planners use picket-gen to check that a sensor
catches every indicator of a set. This test does exactly that with the
sample sets in rules/ plus a set of its own covering every indicator type:
generate a capture with a manifest, replay it through picket-sensor, and
require that every expected (field, indicator, flow) in the manifest is
alerted, and that nothing is alerted that the manifest does not expect
(the background traffic must stay quiet).
"""
import glob
import json
import os
import subprocess
import sys
import tempfile

BIN = os.environ.get("PICKET_BIN", "")
SRC = os.environ.get("PICKET_SRC", os.path.join(os.path.dirname(__file__), "..", ".."))

EXTRA_SET = """\
# every indicator type, for the coverage check
ip:192.0.2.200
ip:2001:db8:77::5
cidr:198.51.100.64/28
domain:c2.coverage.example
sni:tls.coverage.example
http_host:web.coverage.example
url:http://files.coverage.example/drop/x.bin
ja3:cd08e31494f9531f560d64c695473da9
ja4:t13d1715h2_5b57614c22b0_3d5424432f57
"""


def canon(flow):
    a = (flow["src_ip"], flow.get("src_port", 0))
    b = (flow["dest_ip"], flow.get("dest_port", 0))
    return (min(a, b), max(a, b), flow["proto"])


def run(args):
    return subprocess.run(args, capture_output=True, text=True, timeout=300)


def main():
    gen, sensor = os.path.join(BIN, "picket-gen"), os.path.join(BIN, "picket-sensor")
    if not (os.path.exists(gen) and os.path.exists(sensor)):
        print("skip: picket-gen or picket-sensor not built in %s" % BIN)
        return 77
    failures = 0
    with tempfile.TemporaryDirectory(prefix="picket-cov-") as tmp:
        extra = os.path.join(tmp, "extra.txt")
        open(extra, "w").write(EXTRA_SET)
        files = sorted(glob.glob(os.path.join(SRC, "rules", "*"))) + [extra]
        files = [f for f in files if not f.endswith(".md")]
        ind = sum((["-I", f] for f in files), [])
        pcap, manifest = os.path.join(tmp, "cov.pcap"), os.path.join(tmp, "m.json")
        out = os.path.join(tmp, "alerts.jsonl")
        g = run([gen] + ind + ["-w", pcap, "--seed", "11", "--manifest", manifest, "-q"])
        if g.returncode != 0:
            print("FAIL - picket-gen exited %d: %s" % (g.returncode, g.stderr))
            return 1
        s = run([sensor, "-r", pcap] + ind + ["-o", out])
        if s.returncode != 0:
            print("FAIL - picket-sensor exited %d: %s" % (s.returncode, s.stderr))
            return 1
        m = json.load(open(manifest))
        alerts = [json.loads(l) for l in open(out) if l.strip()]
        got = {(a["picket"]["field"], a["picket"]["indicator"]["value"], canon(a)) for a in alerts}
        expected = set()
        for ind_entry in m["exercised"]:
            for e in ind_entry["expect"]:
                expected.add((e["field"], ind_entry["value"], canon(e["flow"])))
        missed = expected - got
        extra_alerts = got - expected
        for x in sorted(missed)[:20]:
            print("FAIL - expected but not alerted: %s %s %s" % x)
        for x in sorted(extra_alerts)[:20]:
            print("FAIL - alerted but not expected: %s %s %s" % x)
        types = {e["type"] for e in m["exercised"]}
        print("# %d indicators exercised (%s), %d not exercisable, %d expectations, %d alerts"
              % (len(m["exercised"]), ",".join(sorted(types)), len(m["not_exercisable"]),
                 len(expected), len(alerts)))
        for n in m["not_exercisable"]:
            print("#   not exercisable: %s %s (%s)" % (n.get("type"), n.get("value"), n.get("reason")))
        failures = len(missed) + len(extra_alerts)
        need = {"ipv4", "ipv6", "cidr", "domain", "sni", "http_host", "url", "ja3", "ja4"}
        if not need <= types:
            print("FAIL - not every indicator type was exercised: missing %s" % (need - types))
            failures += 1
    passed = len(expected) - len(missed)
    print("%d passed, %d failed" % (passed, failures))
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
