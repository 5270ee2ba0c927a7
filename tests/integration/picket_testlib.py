#!/usr/bin/env python3
"""picket_testlib.py - helpers shared by picket's integration tests.

Why it exists: the oracle test (test_oracle.py) and the live-capture test
(test_live_capture.sh) both turn the tshark-made *.truth.json files into
indicator lists and both compare picket-sensor alerts by value. Keeping the
normalisation rules (addresses, names, Host headers, URLs, flows) in one
place means both tests judge the sensor the same way.

Python 3 standard library only. Also a small command line:
  picket_testlib.py indicators TRUTH.json...   plain indicator list on stdout
  picket_testlib.py keys ALERTS.jsonl          one comparable key per alert
"""
import base64
import hashlib
import ipaddress
import json
import re
import struct
import sys

FIELDS = {"ip.src", "ip.dst", "dns.query", "tls.sni", "tls.ja3", "tls.ja4",
          "http.host", "http.url"}
PROTO_NAMES = {"TCP": "tcp", "UDP": "udp", "ICMP": "icmp", "IPV6-ICMP": "icmpv6",
               "SCTP": "sctp"}
PROTO_NUMS = {"tcp": 6, "udp": 17, "icmp": 1, "icmpv6": 58, "sctp": 132}
# Indicator type as written in a plain list -> the names an alert may carry.
TYPE_FAMILY = {"ip": {"ip", "ipv4", "ipv6"}, "cidr": {"cidr"},
               "domain": {"domain"}, "sni": {"sni"}, "http_host": {"http_host"},
               "url": {"url"}, "ja3": {"ja3"}, "ja4": {"ja4"}}
# Which alert fields each indicator type may legitimately fire on.
TYPE_FIELDS = {"ip": {"ip.src", "ip.dst"}, "cidr": {"ip.src", "ip.dst"},
               "domain": {"dns.query", "tls.sni", "http.host"},
               "sni": {"tls.sni"}, "http_host": {"http.host"},
               "url": {"http.url"}, "ja3": {"tls.ja3"}, "ja4": {"tls.ja4"}}
TS_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d+[+\-]\d+$")
HOSTNAME_RE = re.compile(r"^[a-z0-9_.-]+$")


# ---------------------------------------------------------------- values
def norm_ip(s):
    s = str(s).strip().strip("[]").split("%")[0]
    try:
        return ipaddress.ip_address(s).compressed
    except ValueError:
        return s.lower()


def is_ip(s):
    try:
        ipaddress.ip_address(str(s).strip("[]"))
        return True
    except ValueError:
        return False


def norm_name(s):
    return str(s).strip().lower().rstrip(".")


def host_of(hostport):
    """Host header value -> host alone: port and IPv6 brackets removed."""
    h = str(hostport).strip()
    if h.startswith("["):
        return h[1:h.find("]")] if "]" in h else h[1:]
    if h.count(":") == 1:
        h = h.split(":", 1)[0]
    return norm_name(h)


def norm_host(hostport):
    h = host_of(hostport)
    return norm_ip(h) if is_ip(h) else norm_name(h)


def norm_url(u):
    """Same rule as the sensor's: no scheme, host lower-cased, default port
    and trailing host dot dropped, empty path -> '/'."""
    u = str(u).strip()
    scheme = ""
    m = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*)://", u)
    if m:
        scheme, u = m.group(1).lower(), u[m.end():]
    cut = min([i for i in (u.find("/"), u.find("?")) if i >= 0] or [len(u)])
    auth, rest = u[:cut], u[cut:]
    if auth.startswith("["):
        end = auth.find("]")
        host, port = auth[:end + 1], auth[end + 1:]
    elif ":" in auth:
        host, port = auth.rsplit(":", 1)
        port = ":" + port
    else:
        host, port = auth, ""
    host = host.lower().rstrip(".")
    if port == ":80" and scheme in ("", "http") or port == ":443" and scheme in ("", "https"):
        port = ""
    if not rest.startswith("/"):
        rest = "/" + rest
    return host + port + rest


def norm_value(itype, v):
    itype = "ip" if itype in ("ipv4", "ipv6") else itype
    if itype == "ip":
        return norm_ip(v)
    if itype == "cidr":
        try:
            return str(ipaddress.ip_network(str(v), strict=False))
        except ValueError:
            return str(v)
    if itype in ("domain", "sni", "http_host"):
        return norm_host(v)
    if itype == "url":
        return norm_url(v)
    return str(v).strip().lower()


def norm_observed(field, v):
    if field in ("ip.src", "ip.dst"):
        return norm_ip(v)
    if field == "http.host":
        return norm_host(v)
    if field == "http.url":
        return norm_url(v)
    if field in ("dns.query", "tls.sni"):
        return norm_name(v)
    return str(v).strip().lower()


def name_covered(ind, name):
    """Suffix rule: ind matches name itself and every subdomain of it."""
    return name == ind or name.endswith("." + ind)


def covers(itype, ival, obs):
    itype = "ip" if itype in ("ipv4", "ipv6") else itype
    if itype == "cidr":
        try:
            return ipaddress.ip_address(obs) in ipaddress.ip_network(ival, strict=False)
        except ValueError:
            return False
    if itype in ("domain", "sni", "http_host"):
        return obs == ival if is_ip(obs) or is_ip(ival) else name_covered(ival, obs)
    return obs == ival


# ---------------------------------------------------------------- flows
def canon_flow(src, sport, dst, dport, proto):
    """Direction-free flow key; ports are ignored for ICMP."""
    proto = str(proto).lower()
    if proto not in ("tcp", "udp", "sctp"):
        sport = dport = None
    else:
        sport = int(sport) if str(sport) not in ("", "None") else None
        dport = int(dport) if str(dport) not in ("", "None") else None
    a, b = (norm_ip(src), sport), (norm_ip(dst), dport)
    return (proto,) + tuple(sorted([a, b], key=lambda x: (x[0], x[1] or 0)))


def truth_flow(s):
    src, sp, dst, dp, proto = s.split(",")
    return canon_flow(src, sp, dst, dp, proto)


def alert_proto(p):
    p = str(p)
    return PROTO_NAMES.get(p.upper(), p.lower())


def alert_flow(a):
    return canon_flow(a.get("src_ip"), a.get("src_port", ""), a.get("dest_ip"),
                      a.get("dest_port", ""), alert_proto(a.get("proto", "")))


def flow_str(f):
    return "%s %s:%s <-> %s:%s" % (f[0], f[1][0], f[1][1], f[2][0], f[2][1])


def community_id(src, sport, dst, dport, proto_num, seed=0):
    """Community ID v1 for TCP/UDP/SCTP (corelight spec)."""
    s, d = ipaddress.ip_address(src).packed, ipaddress.ip_address(dst).packed
    if (s, sport) > (d, dport):
        s, d, sport, dport = d, s, dport, sport
    data = struct.pack("!H", seed) + s + d + struct.pack("!BBHH", proto_num, 0, sport, dport)
    return "1:" + base64.b64encode(hashlib.sha1(data).digest()).decode()


# ---------------------------------------------------------------- alerts
def load_alerts(path):
    """Returns (alerts, problems): each alert a dict, problems a list of str."""
    alerts, problems = [], []
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            lines = fh.read().splitlines()
    except OSError as e:
        return [], ["cannot read alerts: %s" % e]
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            a = json.loads(line)
        except ValueError as e:
            problems.append("alerts line %d is not JSON (%s)" % (n, e))
            continue
        if not isinstance(a, dict):
            problems.append("alerts line %d is not an object" % n)
            continue
        alerts.append(a)
    return alerts, problems


def alert_view(a):
    """The handful of values tests compare, normalised."""
    pk = a.get("picket") or {}
    ind = pk.get("indicator") or {}
    itype = str(ind.get("type", ""))
    field = str(pk.get("field", ""))
    return {"itype": "ip" if itype in ("ipv4", "ipv6") else itype,
            "ival": norm_value(itype, ind.get("value", "")),
            "field": field,
            "obs": norm_observed(field, pk.get("observed", "")),
            "flow": alert_flow(a),
            "vlan": tuple(a.get("vlan") or ()),
            "cnt": a.get("pcap_cnt")}


def schema_problems(a, packet_count=None, capture_name=None, outer=()):
    """EVE/picket contract checks on one alert; returns a list of str.
    outer: tunnel outer-header addresses, which an ip.* alert may report as
    observed while src_ip/dest_ip are the innermost header's."""
    out = []
    for k in ("timestamp", "flow_id", "event_type", "src_ip", "dest_ip", "proto",
              "community_id", "pcap_cnt", "alert", "picket"):
        if k not in a:
            out.append("missing %s" % k)
    if out:
        return out
    if a["event_type"] != "alert":
        out.append("event_type=%r" % a["event_type"])
    if not TS_RE.match(str(a["timestamp"])):
        out.append("timestamp %r" % a["timestamp"])
    if not isinstance(a["flow_id"], int):
        out.append("flow_id not an integer")
    cnt = a["pcap_cnt"]
    if not isinstance(cnt, int) or cnt < 1 or (packet_count and cnt > packet_count):
        out.append("pcap_cnt %r outside 1..%s" % (cnt, packet_count))
    if capture_name and not str(a.get("pcap_filename", "")).endswith(capture_name):
        out.append("pcap_filename %r" % a.get("pcap_filename"))
    proto = alert_proto(a["proto"])
    if proto not in PROTO_NUMS and not str(a["proto"]).isdigit():
        out.append("proto %r" % a["proto"])
    if proto in ("tcp", "udp", "sctp"):
        try:
            want = community_id(a["src_ip"], int(a["src_port"]), a["dest_ip"],
                                int(a["dest_port"]), PROTO_NUMS[proto])
            if a["community_id"] != want:
                out.append("community_id %s, expected %s" % (a["community_id"], want))
        except (KeyError, ValueError, TypeError) as e:
            out.append("ports/addresses unusable (%s)" % e)
    al, pk = a["alert"], a["picket"]
    if not isinstance(al, dict) or not all(k in al for k in ("action", "signature", "category", "severity")):
        out.append("alert object incomplete")
    elif set(al) - {"action", "category", "gid", "rev", "rule", "severity", "signature",
                    "signature_id", "xff", "metadata", "source", "target"}:
        out.append("alert has keys EVE's schema refuses: %s" % sorted(set(al) - {
            "action", "category", "gid", "rev", "rule", "severity", "signature",
            "signature_id", "xff", "metadata", "source", "target"}))
    if not isinstance(pk, dict):
        return out + ["picket is not an object"]
    for k in ("alert_id", "sensor", "direction", "field", "observed", "indicator_set", "indicator"):
        if k not in pk:
            out.append("picket.%s missing" % k)
    if pk.get("field") not in FIELDS:
        out.append("picket.field %r" % pk.get("field"))
    ind = pk.get("indicator")
    if not isinstance(ind, dict) or "value" not in ind or "type" not in ind:
        out.append("picket.indicator incomplete")
        return out
    v = alert_view(a)
    fam = v["itype"] if v["itype"] in TYPE_FIELDS else None
    if fam is None:
        out.append("indicator type %r" % ind.get("type"))
    elif v["field"] not in TYPE_FIELDS[fam]:
        out.append("%s indicator fired on %s" % (fam, v["field"]))
    elif not covers(fam, v["ival"], v["obs"]):
        out.append("observed %r does not match indicator %s:%s" % (pk.get("observed"), fam, v["ival"]))
    if v["field"] == "ip.src" and v["obs"] != norm_ip(a["src_ip"]) and v["obs"] not in outer:
        out.append("ip.src observed %s but src_ip %s" % (v["obs"], a["src_ip"]))
    if v["field"] == "ip.dst" and v["obs"] != norm_ip(a["dest_ip"]) and v["obs"] not in outer:
        out.append("ip.dst observed %s but dest_ip %s" % (v["obs"], a["dest_ip"]))
    return out


def alert_key(a):
    """What must agree between two runs over the same traffic."""
    v = alert_view(a)
    f = v["flow"]
    return "%s|%s|%s:%s|%s" % (v["field"], v["obs"], v["itype"], v["ival"], flow_str(f))


# ---------------------------------------------------------------- captures
LINK_ETH, LINK_NULL, LINK_RAW, LINK_SLL, LINK_SLL2 = 1, 0, 101, 113, 276


def iter_capture(path):
    """Yields (linktype, frame bytes) from a pcap or pcapng file."""
    with open(path, "rb") as fh:
        data = fh.read()
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = "<" if magic[0] in (0xd4, 0x4d) else ">"
        link = struct.unpack(e + "I", data[20:24])[0] & 0x0FFFFFFF
        off = 24
        while off + 16 <= len(data):
            incl = struct.unpack(e + "I", data[off + 8:off + 12])[0]
            yield link, data[off + 16:off + 16 + incl]
            off += 16 + incl
    elif magic == b"\x0a\x0d\x0d\x0a":
        off, e, links = 0, "<", []
        while off + 12 <= len(data):
            if data[off:off + 4] == b"\x0a\x0d\x0d\x0a":
                e = "<" if data[off + 8:off + 12] == b"\x4d\x3c\x2b\x1a" else ">"
                links = []
            btype, blen = struct.unpack(e + "II", data[off:off + 8])
            if blen < 12:
                break
            body = data[off + 8:off + blen - 4]
            if btype == 1:
                links.append(struct.unpack(e + "H", body[:2])[0])
            elif btype == 6 and len(body) >= 20:
                ifid, _, _, cap = struct.unpack(e + "IIII", body[:16])
                if ifid < len(links):
                    yield links[ifid], body[20:20 + cap]
            elif btype == 3 and links:
                yield links[0], body[4:]
            off += blen


def _l3(link, b):
    """Frame -> (ethertype-ish 'ip'|'ip6'|None, bytes of the first IP header on)."""
    if link == LINK_ETH:
        off, et = 12, None
        while off + 2 <= len(b):
            et = struct.unpack("!H", b[off:off + 2])[0]
            if et in (0x8100, 0x88A8, 0x9100):
                off += 4
                continue
            off += 2
            break
        if et == 0x8847:   # MPLS: skip labels to bottom of stack
            while off + 4 <= len(b) and not b[off + 2] & 1:
                off += 4
            off += 4
            return ("ip" if off < len(b) and b[off] >> 4 == 4 else "ip6"), b[off:]
        return {0x0800: "ip", 0x86DD: "ip6"}.get(et), b[off:]
    if link == LINK_SLL and len(b) >= 16:
        return {0x0800: "ip", 0x86DD: "ip6"}.get(struct.unpack("!H", b[14:16])[0]), b[16:]
    if link == LINK_SLL2 and len(b) >= 20:
        return {0x0800: "ip", 0x86DD: "ip6"}.get(struct.unpack("!H", b[0:2])[0]), b[20:]
    if link == LINK_NULL and len(b) >= 4:
        fam = struct.unpack("<I", b[:4])[0]
        fam = fam if fam < 256 else struct.unpack(">I", b[:4])[0]
        return ("ip" if fam == 2 else "ip6" if fam in (10, 24, 28, 30) else None), b[4:]
    if link in (LINK_RAW, 12, 228, 229) and b:
        return ("ip" if b[0] >> 4 == 4 else "ip6"), b
    return None, b


def _ip_header(kind, b):
    """-> (src, dst, proto, payload) of the first IP header, or None."""
    if kind == "ip" and len(b) >= 20:
        ihl = (b[0] & 15) * 4
        frag = struct.unpack("!H", b[6:8])[0] & 0x1FFF
        src, dst = ipaddress.ip_address(b[12:16]).compressed, ipaddress.ip_address(b[16:20]).compressed
        return src, dst, (b[9] if frag == 0 else -1), b[ihl:]
    if kind == "ip6" and len(b) >= 40:
        src, dst = ipaddress.ip_address(b[8:24]).compressed, ipaddress.ip_address(b[24:40]).compressed
        nh, off = b[6], 40
        while nh in (0, 43, 60, 44) and off + 8 <= len(b):
            if nh == 44:
                if struct.unpack("!H", b[off + 2:off + 4])[0] & 0xFFF8:
                    return src, dst, -1, b""
                nh, off = b[off], off + 8
            else:
                nh, off = b[off], off + (b[off + 1] + 1) * 8
        return src, dst, nh, b[off:]
    return None


TUNNEL_UDP_PORTS = {4789, 4790, 6081, 2152, 3544, 8472}


def classify_addresses(path):
    """Addresses of the first (outermost) IP header of every frame, split in
    'plain' (the packet is not a tunnel carrier), 'outer' (GRE/IP-in-IP/
    VXLAN/Geneve/GTP-U/Teredo carrier) and 'quoted' (inside an ICMP error
    that is not itself tunnelled). Used only to decide which of tshark's
    addresses a sensor keyed on the innermost header can be asked for."""
    plain, outer, quoted = set(), set(), set()
    for link, frame in iter_capture(path):
        kind, rest = _l3(link, frame)
        hdr = _ip_header(kind, rest) if kind else None
        if not hdr:
            continue
        src, dst, proto, pay = hdr
        tunnel = proto in (4, 41, 47, 97, 115)
        if proto == 17 and len(pay) >= 4:
            sp, dp = struct.unpack("!HH", pay[:4])
            tunnel = sp in TUNNEL_UDP_PORTS or dp in TUNNEL_UDP_PORTS
        (outer if tunnel else plain).update((src, dst))
        if (proto == 1 and pay[:1] and pay[0] in (3, 4, 5, 11, 12)) or \
           (proto == 58 and pay[:1] and 1 <= pay[0] <= 4):
            q = _ip_header("ip" if proto == 1 else "ip6", pay[8:])
            if q:
                quoted.update(q[:2])
    return plain, outer, quoted


# ---------------------------------------------------------------- truth
VALUE_KINDS = (("dns_query_names", "dns.query"), ("tls_sni", "tls.sni"),
               ("http_hosts", "http.host"), ("http_request_full_uris", "http.url"),
               ("tls_ja3", "tls.ja3"))


def truth_entries(truth):
    """Yields (truth key, field, value, entry) for the main (not quoted) lists."""
    for key, field in VALUE_KINDS:
        d = truth.get(key)
        if isinstance(d, dict):
            for value, ent in d.items():
                yield key, field, value, ent


def plain_indicators(truth):
    """Run-A style indicator lines for one truth file (used by the live test)."""
    lines = set()
    for a in truth.get("ipv4_addresses", []) + truth.get("ipv6_addresses", []):
        lines.add("ip:" + a)
    for key, field, value, ent in truth_entries(truth):
        if field in ("dns.query", "tls.sni", "http.host"):
            h = norm_host(value)
            if not is_ip(h) and HOSTNAME_RE.match(h):
                lines.add("domain:" + h)
        elif field == "http.url":
            lines.add("url:" + value)
        elif field == "tls.ja3":
            lines.add("ja3:" + value)
    return sorted(lines)


def main(argv):
    if len(argv) >= 2 and argv[0] == "indicators":
        out = set()
        for p in argv[1:]:
            with open(p) as fh:
                out.update(plain_indicators(json.load(fh)))
        print("\n".join(sorted(out)))
        return 0
    if len(argv) == 2 and argv[0] == "keys":
        alerts, problems = load_alerts(argv[1])
        for p in problems:
            print("problem: " + p, file=sys.stderr)
        print("\n".join(sorted({alert_key(a) for a in alerts})))
        return 1 if problems else 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
