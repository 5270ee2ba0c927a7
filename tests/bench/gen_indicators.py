#!/usr/bin/env python3
"""gen_indicators.py - the benchmark's indicator sets, in the plain-list format.

Why it exists: the throughput, load-time and memory targets are stated for a
set of a million IP indicators and two hundred thousand names and URLs. This
writes such a set, the same bytes for the same seed on any Python 3:

  gen_indicators.py -o full.txt [--tiny tiny.txt] [--seed N]
                    [--ips 1000000] [--cidrs 10000] [--names 200000]

full.txt: --ips address indicators (about 80% IPv4, 20% IPv6), of which
--cidrs are CIDRs of many prefix lengths (IPv4 /8../31, IPv6 /16../64 and a
few /96../127), and --names name indicators (55% domain:, 15% sni:,
15% http_host:, 15% url:). tiny.txt: ten indicators of the same kinds, the
"near-empty" set.

Addresses come from public space only: never the ranges picket-gen uses for
benign traffic (clients 10.0.0.0/8 and fd00::/8, servers 198.18.0.0/15 and
2001:2::/48), so a capture made from this set with `picket-gen --bench -I`
hits only where picket-gen chose to (about 0.1% of flows). Names are random
labels under the reserved top-level names .test, .example and .invalid, and
never a parent of picket-gen's benign names.

Only the standard library; random.Random(seed).getrandbits() is stable across
Python versions, and nothing else random is used.
"""
import argparse
import ipaddress
import random
import sys

EXCLUDED_V4 = [ipaddress.ip_network(n) for n in (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8",
    "169.254.0.0/16", "172.16.0.0/12", "192.0.0.0/24", "192.168.0.0/16",
    "198.18.0.0/15", "224.0.0.0/3")]
EXCLUDED_V6 = [ipaddress.ip_network(n) for n in (
    "2001:2::/48", "fd00::/8", "2001:db8::/32")]

ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"
TLDS = ("test", "example", "invalid")
WORDS = ("login", "update", "cdn", "secure", "mail", "files", "api", "portal",
         "static", "auth", "drop", "track", "pay", "sync", "relay", "node")
PATH_WORDS = ("index.php", "gate.php", "admin", "wp-content", "upload", "dl",
              "panel", "config.bin", "load", "img", "js", "check", "a", "b")


class Rng:
    """Deterministic draws built on getrandbits only."""

    def __init__(self, seed):
        self.r = random.Random(seed)

    def below(self, n):
        # Rejection sampling so the result does not depend on randrange's
        # implementation (which changed across Python versions).
        bits = max(1, (n - 1).bit_length())
        while True:
            v = self.r.getrandbits(bits)
            if v < n:
                return v

    def bits(self, k):
        return self.r.getrandbits(k)

    def pick(self, seq):
        return seq[self.below(len(seq))]

    def chance(self, per_mille):
        return self.below(1000) < per_mille


RANGES_V4 = [(int(x.network_address), int(x.broadcast_address)) for x in EXCLUDED_V4]
RANGES_V6 = [(int(x.network_address), int(x.broadcast_address)) for x in EXCLUDED_V6]


def hits(lo, hi, ranges):
    return any(lo <= r_hi and r_lo <= hi for r_lo, r_hi in ranges)


def overlaps(net, excluded):
    return any(net.overlaps(x) for x in excluded)


def v4_text(v):
    return "%d.%d.%d.%d" % (v >> 24, v >> 16 & 255, v >> 8 & 255, v & 255)


def v4_addr(rng):
    while True:
        v = rng.bits(32)
        if not hits(v, v, RANGES_V4):
            return v4_text(v)


def v6_addr(rng):
    # Global unicast 2000::/3: a random /64 and either a random interface id
    # or a small one (::1, ::2a), as servers often have.
    while True:
        hi = (0b001 << 61) | rng.bits(61)
        lo = rng.bits(64) if rng.chance(700) else rng.bits(8) + 1
        v = hi << 64 | lo
        if not hits(v, v, RANGES_V6):
            return ipaddress.IPv6Address(v).compressed


V4_LENS = list(range(8, 32))
V4_WEIGHTS = {24: 30, 16: 6, 20: 6, 22: 8, 23: 6, 21: 5, 19: 4, 18: 4, 17: 3,
              25: 4, 26: 4, 27: 3, 28: 3, 29: 3, 30: 2, 31: 1}
V6_LENS = list(range(16, 65)) + list(range(96, 128))
V6_WEIGHTS = {32: 20, 48: 20, 56: 8, 64: 12, 29: 6, 36: 4, 40: 4, 44: 4}


def weighted(rng, lens, weights):
    total = sum(weights.get(n, 1) for n in lens)
    x = rng.below(total)
    for n in lens:
        x -= weights.get(n, 1)
        if x < 0:
            return n
    return lens[-1]


def v4_cidr(rng):
    while True:
        plen = weighted(rng, V4_LENS, V4_WEIGHTS)
        net = ipaddress.IPv4Network((rng.bits(32) >> (32 - plen) << (32 - plen), plen))
        if not overlaps(net, EXCLUDED_V4):
            return net


def v6_cidr(rng):
    while True:
        plen = weighted(rng, V6_LENS, V6_WEIGHTS)
        v = (0b001 << 125) | rng.bits(125)
        net = ipaddress.IPv6Network((v >> (128 - plen) << (128 - plen), plen))
        if not overlaps(net, EXCLUDED_V6):
            return net


def label(rng, lo=4, hi=14):
    n = lo + rng.below(hi - lo + 1)
    s = "".join(rng.pick(ALNUM) for _ in range(n))
    if n > 6 and rng.chance(150):
        cut = 2 + rng.below(n - 4)
        s = s[:cut] + "-" + s[cut:]
    return s


def name(rng):
    depth = 2 + (rng.below(10) >= 6) + (rng.below(10) >= 8)   # 2..4 labels
    parts = [label(rng)]
    for _ in range(depth - 2):
        parts.insert(0, rng.pick(WORDS) if rng.chance(400) else label(rng, 2, 10))
    parts.append(rng.pick(TLDS))
    return ".".join(parts)


def url(rng):
    host = name(rng)
    if rng.chance(50):
        host += ":%d" % (8000 + rng.below(1000))
    path = "/".join(rng.pick(PATH_WORDS) if rng.chance(500) else label(rng, 3, 12)
                    for _ in range(1 + rng.below(3)))
    q = ("?id=%d" % rng.bits(24)) if rng.chance(300) else ""
    return "http://%s/%s%s" % (host, path, q)


def unique(rng, make, n, seen):
    out = []
    while len(out) < n:
        v = make(rng)
        key = str(v)
        if key in seen:
            continue
        seen.add(key)
        out.append(v)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--tiny")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--ips", type=int, default=1000000)
    ap.add_argument("--cidrs", type=int, default=10000)
    ap.add_argument("--names", type=int, default=200000)
    a = ap.parse_args()
    if a.cidrs > a.ips:
        ap.error("--cidrs must not exceed --ips")

    rng = Rng(a.seed)
    seen = set()
    n_v4 = (a.ips - a.cidrs) * 8 // 10
    n_v6 = a.ips - a.cidrs - n_v4
    c_v4 = a.cidrs * 7 // 10
    c_v6 = a.cidrs - c_v4
    v4 = unique(rng, v4_addr, n_v4, seen)
    v6 = unique(rng, v6_addr, n_v6, seen)
    cv4 = unique(rng, v4_cidr, c_v4, seen)
    cv6 = unique(rng, v6_cidr, c_v6, seen)
    n_sni = a.names * 15 // 100
    n_host = a.names * 15 // 100
    n_url = a.names * 15 // 100
    n_dom = a.names - n_sni - n_host - n_url
    dom = unique(rng, name, n_dom, seen)
    sni = unique(rng, name, n_sni, seen)
    host = unique(rng, name, n_host, seen)
    urls = unique(rng, url, n_url, seen)

    lines = []
    lines += ["ip:%s" % x for x in v4]
    lines += ["ip:%s" % x for x in v6]
    lines += ["cidr:%s" % x for x in cv4]
    lines += ["cidr:%s" % x.compressed for x in cv6]
    lines += ["domain:%s" % x for x in dom]
    lines += ["sni:%s" % x for x in sni]
    lines += ["http_host:%s" % x for x in host]
    lines += ["url:%s" % x for x in urls]
    # Interleave deterministically so no type sits in one block of the file.
    order = list(range(len(lines)))
    for i in range(len(order) - 1, 0, -1):
        j = rng.below(i + 1)
        order[i], order[j] = order[j], order[i]
    with open(a.output, "w", encoding="ascii", newline="\n") as f:
        f.write("# picket benchmark indicators: seed %d, %d addresses (%d CIDRs), "
                "%d names and URLs\n" % (a.seed, a.ips, a.cidrs, a.names))
        f.write("\n".join(lines[k] for k in order))
        f.write("\n")
    if a.tiny:
        tiny = (["ip:%s" % x for x in v4[:3]] + ["ip:%s" % v6[0]] +
                ["cidr:%s" % cv4[0], "cidr:%s" % cv6[0].compressed] +
                ["domain:%s" % dom[0], "sni:%s" % sni[0],
                 "http_host:%s" % host[0], "url:%s" % urls[0]])
        with open(a.tiny, "w", encoding="ascii", newline="\n") as f:
            f.write("# picket benchmark: near-empty indicator set\n")
            f.write("\n".join(tiny) + "\n")
    total = len(lines)
    print("gen_indicators: %s: %d indicators (ipv4 %d, ipv6 %d, cidr %d+%d, "
          "domain %d, sni %d, http_host %d, url %d)"
          % (a.output, total, n_v4, n_v6, c_v4, c_v6, n_dom, n_sni, n_host, n_url),
          file=sys.stderr)


if __name__ == "__main__":
    main()
