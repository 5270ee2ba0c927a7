#!/usr/bin/env python3
"""test_oracle.py - picket-sensor against an independent oracle (tshark).

Why it exists: unit tests check each parser against what its author
believed; this test checks the whole packet path (link types, VLAN/QinQ,
tunnels, defragmentation, TCP reassembly, DNS/TLS/HTTP parsing, matching,
per-flow suppression, the alert record) against what tshark saw in 25 public
captures. For every capture in $PICKET_SHARED/pcaps it reads the
<capture>.truth.json that tshark produced, builds indicator lists from it,
runs `picket-sensor -r` and checks that every value tshark saw raises an
alert on the right flow, and that decoys never do.

Three runs per capture:
  exact   ip: every address, domain: every DNS query / SNI / Host name,
          url: every full URI, ja3: every JA3, plus decoys;
  suffix  domain: only the parent (last two labels) of each name: the same
          flows must alert, observed = the full name; plus near-miss decoys
          (a parent with its first letter cut, a subdomain of a seen name);
  typed   sni: and http_host: for each SNI / Host, cidr: a /24 (/64) around
          each address, plus type-scoped decoys (sni: for a name seen only in
          DNS or HTTP, http_host: for a name seen only in DNS or TLS).

Not required (counted apart; an alert on them is a bonus, never a failure):
values flagged `quic` (tshark decrypted a QUIC Initial) or `icmp_quoted`;
DNS queries tshark found on a flow with no DNS port (53/5353/5355), by its
own heuristics; URLs whose request target holds a raw space (tshark cuts the
target there, picket keeps it whole up to " HTTP/"); query names with characters no host name has (the loader
may refuse such an indicator); addresses seen only in a tunnel's outer
header (the sensor keys alerts on the innermost header).

Exit 0 all captures pass, 1 any miss / false alert / bad alert / crash,
77 when the captures or the binary are missing.
"""
import concurrent.futures
import ipaddress
import json
import os
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True   # write nothing into the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import picket_testlib as T  # noqa: E402

DNS_PORTS = {53, 5353, 5355}
RUN_TIMEOUT = 30
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                   "ThreadSanitizer", "==ERROR")


class Exp:
    """One thing the sensor must (or may) alert on."""
    __slots__ = ("label", "itypes", "ivals", "fields", "flows", "observed", "frames",
                 "required", "reason")

    def __init__(self, label, itype, ivals, fields, flows=None, observed=None,
                 frames=None, required=True, reason=""):
        self.label, self.itypes = label, T.TYPE_FAMILY[itype]
        self.ivals, self.fields = set(ivals), set(fields)
        self.flows, self.observed = flows, observed
        self.frames, self.required, self.reason = frames, required, reason

    def matches(self, v):
        return (v["itype"] in self.itypes and v["ival"] in self.ivals
                and v["field"] in self.fields
                and (self.flows is None or v["flow"] in self.flows)
                and (self.observed is None or v["obs"] in self.observed))


class Run:
    def __init__(self, name):
        self.name, self.lines, self.exps, self.decoys = name, [], [], set()

    def add(self, itype, value):
        line = "%s:%s" % (itype, value)
        if line not in self.lines:
            self.lines.append(line)

    def listed(self):
        out = set()
        for line in self.lines:
            itype, value = line.split(":", 1)
            fam = "ip" if itype == "ip" else itype
            out.add((fam, T.norm_value(itype, value)))
        return out


# ------------------------------------------------------------ expectations
def flow_status(field, value, ent, flow_s):
    """(required, reason) for one value on one flow."""
    flags = ent.get("flags", [])
    if "quic" in flags:
        return False, "quic"
    if "icmp_quoted" in flags:
        return False, "icmp_quoted"
    if field in ("http.host", "tls.sni") and ":" in value.strip("[]"):
        # An IPv6 literal is not a name: address indicators cover it.
        return False, "IP-literal host: matched by address indicators"
    if field == "dns.query":
        if not T.HOSTNAME_RE.match(T.norm_name(value)):
            return False, "non-hostname chars"
        parts = flow_s.split(",")
        ports = {int(p) for p in (parts[1], parts[3]) if p.isdigit()}
        if not ports & DNS_PORTS:
            return False, "dns off port 53"
    return True, ""


def target_cut_at_space(capture, uri):
    """True when the capture holds this URI's target followed by a space and
    something other than 'HTTP/': a raw space inside the request target
    (exploit traffic). tshark ends the target at the first space; picket
    keeps it up to the last one, so their URLs differ by design."""
    path = T.norm_url(uri)
    path = path[path.find("/"):] if "/" in path else "/"
    try:
        with open(capture, "rb") as fh:
            data = fh.read()
    except OSError:
        return False
    needle = b" " + path.encode("latin-1", "replace") + b" "
    pos = data.find(needle)
    while pos >= 0:
        if not data[pos + len(needle):pos + len(needle) + 5] == b"HTTP/":
            return True
        pos = data.find(needle, pos + 1)
    return False


def truth_names(truth):
    """[(field, name, ent)] for dns/sni/host values that are names (not IPs)."""
    out = []
    for key, field, value, ent in T.truth_entries(truth):
        if field in ("dns.query", "tls.sni", "http.host"):
            name = T.norm_host(value)
            if not T.is_ip(name):
                out.append((field, name, ent))
    return out


def address_status(truth, capture):
    addrs = [T.norm_ip(a) for a in truth.get("ipv4_addresses", []) + truth.get("ipv6_addresses", [])]
    in_flows = set()
    for key, field, value, ent in T.truth_entries(truth):
        for f in ent.get("flows", []):
            p = f.split(",")
            in_flows.update((T.norm_ip(p[0]), T.norm_ip(p[2])))
    plain, outer, quoted = T.classify_addresses(capture)
    out = {}
    for a in addrs:
        if a in in_flows or a in plain:
            out[a] = (True, "")
        elif a in outer:
            out[a] = (False, "tunnel outer only")
        elif a in quoted:
            out[a] = (False, "icmp_quoted only")
        else:
            out[a] = (True, "")   # inner header of a tunnel: the sensor decodes it
    return out


def generic_decoys(run, truth):
    addrs = {T.norm_ip(a) for a in truth.get("ipv4_addresses", []) + truth.get("ipv6_addresses", [])}
    names = {n for _, n, _ in truth_names(truth)}
    urls = {T.norm_url(v) for _, f, v, _ in T.truth_entries(truth) if f == "http.url"}
    ja3s = {v.lower() for _, f, v, _ in T.truth_entries(truth) if f == "tls.ja3"}
    cands = [("ip", "192.0.2.254"), ("ip", "2001:db8:ffff::254"), ("cidr", "198.18.0.0/15"),
             ("cidr", "2001:db8:ffff::/48"), ("domain", "decoy-never-seen.example"),
             ("sni", "decoy-sni-never-seen.example"), ("http_host", "decoy-host-never-seen.example"),
             ("url", "http://decoy-never-seen.example/nothing/here"),
             ("ja3", "0123456789abcdef0123456789abcdef"),
             ("ja4", "t13d1516h2_8daaf6152771_000000000000")]
    for itype, value in cands:
        if not decoy_collides(itype, T.norm_value(itype, value), addrs, names, urls, ja3s):
            run.add(itype, value)
            run.decoys.add((itype, T.norm_value(itype, value)))


def decoy_collides(itype, v, addrs, names, urls, ja3s):
    if itype in ("ip", "cidr"):
        return any(T.covers(itype, v, a) for a in addrs)
    if itype in ("domain", "sni", "http_host"):
        return any(T.covers(itype, v, n) for n in names)
    if itype == "url":
        return v in urls
    return v in ja3s


def build_exact(truth, capture):
    run = Run("exact")
    for addr, (req, why) in sorted(address_status(truth, capture).items()):
        run.add("ip", addr)
        run.exps.append(Exp("ip %s" % addr, "ip", {addr}, {"ip.src", "ip.dst"},
                            observed={addr}, required=req, reason=why))
    for key, field, value, ent in T.truth_entries(truth):
        if field in ("dns.query", "tls.sni", "http.host"):
            name = T.norm_host(value)
            if T.is_ip(name):
                continue          # an IP literal Host is no domain: see the typed run
            itype, ival = "domain", name
            run.add("domain", name)
        elif field == "http.url":
            itype, ival = "url", T.norm_url(value)
            run.add("url", value)
        else:
            itype, ival = "ja3", value.lower()
            run.add("ja3", value)
        cut = field == "http.url" and target_cut_at_space(capture, value)
        for fs in ent.get("flows", []):
            req, why = flow_status(field, value, ent, fs)
            if cut and req:
                req, why = False, "target has a raw space: tshark cut it"
            run.exps.append(Exp("%s %s" % (field, value), itype, {ival}, {field},
                                flows={T.truth_flow(fs)}, frames=set(ent.get("frames", [])),
                                required=req, reason=why))
    # values tshark saw only inside ICMP errors: optional, and only when new.
    seen = {(e.label, frozenset(e.flows or ())) for e in run.exps}
    for key, field in T.VALUE_KINDS:
        for value, ent in (truth.get("icmp_quoted", {}).get(key) or {}).items():
            for fs in ent.get("flows", []):
                label = "%s %s" % (field, value)
                if (label, frozenset({T.truth_flow(fs)})) in seen:
                    continue
                itype = {"http.url": "url", "tls.ja3": "ja3"}.get(field, "domain")
                ival = T.norm_value(itype, value)
                run.add(itype, value if itype != "domain" else ival)
                run.exps.append(Exp(label, itype, {ival}, {field}, flows={T.truth_flow(fs)},
                                    required=False, reason="icmp_quoted"))
    generic_decoys(run, truth)
    # near misses: a neighbour of each address nobody uses
    addrs = set(address_status(truth, capture))
    for a in sorted(addrs)[:6]:
        ip = ipaddress.ip_address(a)
        n = type(ip)(int(ip) ^ 1).compressed
        if n not in addrs:
            run.add("ip", n)
            run.decoys.add(("ip", n))
    return run


def parent_of(name):
    labels = name.split(".")
    return ".".join(labels[-2:]) if len(labels) >= 3 and all(labels[-2:]) else None


def build_suffix(truth):
    run = Run("suffix")
    names = truth_names(truth)
    groups = {}   # (parent, flow) -> [observed set, fields, required, reasons, frames]
    for field, name, ent in names:
        p = parent_of(name)
        if not p:
            continue
        for fs in ent.get("flows", []):
            g = groups.setdefault((p, T.truth_flow(fs)), [set(), set(), False, set(), set()])
            req, why = flow_status(field, name, ent, fs)
            g[0].add(name)
            g[1].add(field)
            g[2] = g[2] or req
            g[3].add(why)
            g[4].update(ent.get("frames", []))
    for (p, flow), (obs, fields, req, whys, frames) in sorted(groups.items()):
        run.add("domain", p)
        label = "parent %s (%s)" % (p, sorted(obs)[0] + (" +%d" % (len(obs) - 1) if len(obs) > 1 else ""))
        run.exps.append(Exp(label, "domain", {p}, fields, flows={flow}, observed=obs,
                            required=req, reason="" if req else ",".join(sorted(whys))))
    if not groups:
        return None
    all_names = {n for _, n, _ in names}
    for p in sorted({k[0] for k in groups}):
        cut = p[1:]   # 'oogle.com' must not match 'www.google.com'
        if cut and not any(T.name_covered(cut, n) for n in all_names):
            run.add("domain", cut)
            run.decoys.add(("domain", cut))
    for n in sorted(n for n in all_names if len(n) < 100 and T.HOSTNAME_RE.match(n))[:5]:
        sub = "zz-decoy." + n   # more specific than anything seen
        if not any(T.name_covered(sub, m) for m in all_names):
            run.add("domain", sub)
            run.decoys.add(("domain", sub))
    generic_decoys(run, truth)
    return run


def build_typed(truth, capture):
    run = Run("typed")
    sni_names, host_names, dns_names = set(), set(), set()
    for key, field, value, ent in T.truth_entries(truth):
        if field not in ("tls.sni", "http.host"):
            if field == "dns.query":
                dns_names.add(T.norm_name(value))
            continue
        itype = "sni" if field == "tls.sni" else "http_host"
        host = T.host_of(value)
        ival = T.norm_value(itype, host)
        (sni_names if itype == "sni" else host_names).add(ival)
        run.add(itype, ("[%s]" % host) if ":" in host else host)
        for fs in ent.get("flows", []):
            req, why = flow_status(field, value, ent, fs)
            run.exps.append(Exp("%s %s" % (itype, host), itype, {ival}, {field},
                                flows={T.truth_flow(fs)}, frames=set(ent.get("frames", [])),
                                required=req, reason=why))
    status = address_status(truth, capture)
    nets = {}
    for a, (req, why) in status.items():
        ip = ipaddress.ip_address(a)
        net = str(ipaddress.ip_network("%s/%d" % (a, 24 if ip.version == 4 else 64), strict=False))
        ent = nets.setdefault(net, [set(), False, set()])
        ent[0].add(a)
        ent[1] = ent[1] or req
        ent[2].add(why)
    for net, (members, req, whys) in sorted(nets.items()):
        run.add("cidr", net)
        run.exps.append(Exp("cidr %s" % net, "cidr", {net}, {"ip.src", "ip.dst"},
                            observed=members, required=req,
                            reason="" if req else ",".join(sorted(whys))))
    # type scoping: sni: for a name never in a ClientHello, http_host: for a
    # name never in a Host header, must stay silent.
    short = [n for n in sorted(dns_names | host_names | sni_names)
             if len(n) < 100 and T.HOSTNAME_RE.match(n) and not T.is_ip(n)]
    for itype, seen in (("sni", sni_names), ("http_host", host_names)):
        for n in [n for n in short if not any(T.name_covered(n, s) for s in seen)][:5]:
            run.add(itype, n)
            run.decoys.add((itype, n))
    generic_decoys(run, truth)
    return run if run.exps else None


# ------------------------------------------------------------ running
class Result:
    def __init__(self, name):
        self.name = name
        self.exp = self.alerted = self.missed = self.false = self.bad = 0
        self.notreq = self.bonus = self.alerts = 0
        self.crash = False
        self.details = []


def run_sensor(binary, capture, run, tmp):
    ind = os.path.join(tmp, "%s.indicators" % run.name)
    out = os.path.join(tmp, "%s.alerts.jsonl" % run.name)
    with open(ind, "w") as fh:
        fh.write("# picket oracle test: %s run for %s\n" % (run.name, os.path.basename(capture)))
        fh.write("\n".join(run.lines) + "\n")
    cmd = [binary, "-r", capture, "-I", ind, "-o", out, "--stats"]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, errors="replace",
                           timeout=RUN_TIMEOUT)
        rc, err = p.returncode, p.stderr
    except subprocess.TimeoutExpired as e:
        rc, err = "timeout", (e.stderr or b"").decode(errors="replace") if isinstance(e.stderr, bytes) else (e.stderr or "")
    return cmd, rc, err, out


def cnt_ok(field, cnt, frames):
    """tshark names the frame that completed its PDU; for HTTP that can be
    after the body, while the sensor may alert once the headers are in."""
    if field.startswith("http."):
        return isinstance(cnt, int) and 1 <= cnt <= max(frames)
    return cnt in frames


def evaluate(res, truth, capture, run, binary, tmp, outer):
    cmd, rc, err, out = run_sensor(binary, capture, run, tmp)
    tag = "[%s]" % run.name
    san = [m for m in SANITIZER_MARKS if m in err]
    if rc != 0 or san:
        res.crash = True
        tail = " | ".join(err.strip().splitlines()[-6:])
        res.details.append("%s sensor exit %s%s: %s\n      stderr: %s" % (
            tag, rc, " (sanitizer: %s)" % ",".join(san) if san else "", " ".join(cmd), tail))
        if rc == "timeout" or (isinstance(rc, int) and rc < 0):
            return
    alerts, problems = T.load_alerts(out)
    for pr in problems:
        res.bad += 1
        res.details.append("%s %s" % (tag, pr))
    res.alerts += len(alerts)
    listed = run.listed()
    views, seen_keys = [], set()
    for a in alerts:
        v = T.alert_view(a)
        views.append(v)
        short = "%s:%s %s=%s pcap_cnt=%s %s" % (v["itype"], v["ival"], v["field"], v["obs"],
                                                v["cnt"], T.flow_str(v["flow"]))
        if (v["itype"], v["ival"]) in run.decoys:
            res.false += 1
            res.details.append("%s FALSE alert on decoy: %s" % (tag, short))
            continue
        probs = T.schema_problems(a, truth.get("packet_count"), os.path.basename(capture),
                                  outer)
        if (v["itype"], v["ival"]) not in listed:
            probs.append("indicator not in the file")
        key = (v["flow"], v["vlan"], v["itype"], v["ival"])
        if key in seen_keys:
            probs.append("second alert for the same flow x indicator")
        seen_keys.add(key)
        if probs:
            res.bad += 1
            res.details.append("%s BAD alert %s: %s" % (tag, short, "; ".join(probs)))
    for e in run.exps:
        hits = [v for v in views if e.matches(v)]
        if e.required:
            res.exp += 1
            if not hits:
                res.missed += 1
                res.details.append("%s MISSED %s on %s" % (
                    tag, e.label, ", ".join(T.flow_str(f) for f in sorted(e.flows)) if e.flows else "any flow"))
                continue
            res.alerted += 1
            exact = [v for v in hits if v["obs"] in e.ivals]
            if e.frames and exact and not any(cnt_ok(v["field"], v["cnt"], e.frames) for v in exact):
                res.bad += 1
                res.details.append("%s BAD pcap_cnt for %s: %s, tshark frames %s" % (
                    tag, e.label, sorted({v["cnt"] for v in exact}), sorted(e.frames)))
        else:
            res.notreq += 1
            if hits:
                res.bonus += 1
                res.details.append("%s bonus (not required: %s): %s" % (tag, e.reason, e.label))
            else:
                res.details.append("%s not required (%s), not alerted: %s" % (tag, e.reason, e.label))


def check_capture(pcaps, cap, binary, tmp):
    res = Result(cap)
    tpath = os.path.join(pcaps, cap.rsplit(".", 1)[0] + ".truth.json")
    try:
        with open(tpath) as fh:
            truth = json.load(fh)
    except (OSError, ValueError) as e:
        res.crash = True
        res.details.append("cannot read truth file %s: %s" % (tpath, e))
        return res
    capture = os.path.join(pcaps, cap)
    capdir = os.path.join(tmp, cap)
    os.mkdir(capdir)
    outer = T.classify_addresses(capture)[1]
    for run in (build_exact(truth, capture), build_suffix(truth), build_typed(truth, capture)):
        if run is not None:
            evaluate(res, truth, capture, run, binary, capdir, outer)
    return res


def main():
    shared = os.environ.get("PICKET_SHARED", "")
    pcaps = os.path.join(shared, "pcaps") if shared else ""
    here = os.path.dirname(os.path.abspath(__file__))
    bindir = os.environ.get("PICKET_BIN") or os.path.join(here, "..", "..", "build", "bin")
    binary = os.path.join(bindir, "picket-sensor")
    if not pcaps or not os.path.isdir(pcaps):
        print("SKIP: no captures: PICKET_SHARED/pcaps (%r) is not a directory" % pcaps)
        return 77
    if not os.access(binary, os.X_OK):
        print("SKIP: sensor binary %s is missing (build it first)" % binary)
        return 77
    captures = sorted(f for f in os.listdir(pcaps) if f.endswith((".pcap", ".pcapng")))
    if not captures:
        print("SKIP: no *.pcap / *.pcapng in %s" % pcaps)
        return 77
    print("oracle: %s against tshark truth for %d captures in %s" % (binary, len(captures), pcaps))
    t0 = time.time()
    with tempfile.TemporaryDirectory(prefix="picket-oracle-") as tmp:
        with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
            results = list(pool.map(lambda c: check_capture(pcaps, c, binary, tmp), captures))
    hdr = "%-36s %5s %7s %6s %5s %4s %7s %5s  %s" % (
        "capture", "exp", "alerted", "missed", "false", "bad", "not-req", "bonus", "result")
    print(hdr)
    print("-" * len(hdr))
    passed = failed = 0
    tot = Result("total")
    for r in results:
        ok = not (r.missed or r.false or r.bad or r.crash)
        passed, failed = passed + ok, failed + (not ok)
        for k in ("exp", "alerted", "missed", "false", "bad", "notreq", "bonus"):
            setattr(tot, k, getattr(tot, k) + getattr(r, k))
        print("%-36s %5d %7d %6d %5d %4d %7d %5d  %s" % (
            r.name, r.exp, r.alerted, r.missed, r.false, r.bad, r.notreq, r.bonus,
            "ok" if ok else ("CRASH" if r.crash else "FAIL")))
    print("-" * len(hdr))
    print("%-36s %5d %7d %6d %5d %4d %7d %5d" % (
        "all", tot.exp, tot.alerted, tot.missed, tot.false, tot.bad, tot.notreq, tot.bonus))
    print("\ndetails (failures first, then not-required values):")
    for r in results:
        fails = [d for d in r.details if "bonus" not in d and "not required" not in d]
        info = [d for d in r.details if d not in fails]
        for d in fails[:12] + info[:6]:
            print("  %s: %s" % (r.name, d))
        if len(fails) > 12:
            print("  %s: ... and %d more problems" % (r.name, len(fails) - 12))
        if len(info) > 6:
            print("  %s: ... and %d more not-required values" % (r.name, len(info) - 6))
    print("\noracle: %.1f s" % (time.time() - t0))
    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
