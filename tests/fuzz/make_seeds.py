#!/usr/bin/env python3
"""make_seeds.py - (re)writes the seed corpora of the fuzz targets.

Why it exists: seeds decide how deep a fuzzer gets in its first seconds, so
they are real traffic: a handful of frames and payloads taken from the
shared development captures (../shared/pcaps, never copied whole), the
sample indicator files of rules/, and hand-written edge cases. This script
makes them reproducible: it writes tests/fuzz/corpus/<target>/<name> for
every seed it knows and leaves every other file alone (crash-* inputs that
run.sh saved stay).

    python3 tests/fuzz/make_seeds.py [PCAP_DIR]

Needs tshark and editcap (Wireshark CLI) for TCP streams and pcapng, and
the Python "cryptography" package to decrypt the QUIC Initial. Only the
maintainer regenerating seeds runs it; the seeds are committed.
"""
import hashlib
import json
import os
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
PCAPS = sys.argv[1] if len(sys.argv) > 1 else os.path.join(SRC, "..", "shared", "pcaps")
CORPUS = os.path.join(HERE, "corpus")
LINKS = [0, 1, 12, 101, 108, 113, 228, 229, 276]   # fuzz_decode / fuzz_packet_path k_links


def write(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    assert len(data) <= 64 * 1024, (target, name)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def pcap_path(name):
    return os.path.join(PCAPS, name if "." in name else name + ".pcap")


def read_frames(name):
    """(linktype, [frame bytes]) of a pcap or pcapng (converted by editcap)."""
    path = pcap_path(name)
    tmp = None
    if path.endswith(".pcapng"):
        tmp = tempfile.NamedTemporaryFile(suffix=".pcap", delete=False)
        tmp.close()
        subprocess.run(["editcap", "-F", "pcap", path, tmp.name], check=True)
        path = tmp.name
    with open(path, "rb") as f:
        raw = f.read()
    if tmp:
        os.unlink(tmp.name)
    magic = raw[:4]
    end = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    linktype = struct.unpack(end + "I", raw[20:24])[0] & 0x0FFFFFFF
    frames, off = [], 24
    while off + 16 <= len(raw):
        incl = struct.unpack(end + "I", raw[off + 8:off + 12])[0]
        frames.append(raw[off + 16:off + 16 + incl])
        off += 16 + incl
    return linktype, frames


def tshark(name, *args):
    out = subprocess.run(["tshark", "-r", pcap_path(name), *args], check=True,
                         capture_output=True, text=True).stdout
    return out


def field_hex(name, filt, field):
    """Innermost occurrence of a bytes field of each frame matching filt."""
    out = tshark(name, "-Y", filt, "-T", "fields", "-E", "occurrence=l", "-e", field)
    return [bytes.fromhex(l.replace(":", "")) for l in out.split("\n") if l.strip()]


def client_stream(name, stream):
    """Bytes of the first speaker's direction of a TCP stream."""
    out = tshark(name, "-q", "-z", "follow,tcp,raw,%d" % stream)
    body = out.split("=" * 67)[1]
    data = b""
    for line in body.split("\n"):
        if not line or line.startswith("\t") or ":" in line:
            continue
        data += bytes.fromhex(line.strip())
    return data


# ---- fuzz_decode / fuzz_packet_path -------------------------------------------------


def frames_seed(name, picks, ctl=0, flags=None):
    lt, frames = read_frames(name)
    out = bytes([LINKS.index(lt) | ctl])
    for i in picks:
        f = frames[i - 1][:0x3FFF]
        out += struct.pack(">H", len(f) | (flags or {}).get(i, 0)) + f
    return out


def decode_seeds():
    one = [("dns-ipv6-vlan", 1), ("dns-rawip-corrupt-additionals", 1),
           ("dns-tcp-google", 4), ("dns-udp-a-aaaa-mx", 1), ("erspan-gre-http", 14),
           ("gre-dns-icmp", 1), ("http-ipv6-bsd-null", 5), ("http-qinq", 4),
           ("icmp-ping", 1), ("mixed-dns-http-tls", 4), ("quic-initial-sni", 1),
           ("sll-http", 6), ("sll2-http", 4), ("tls13-ipv6-sni", 4), ("vxlan-dns", 1),
           ("pcapng-multi-iface-dns.pcapng", 1)]
    for name, n in one:
        lt, frames = read_frames(name)
        write("fuzz_decode", "%s.frame%d" % (name.split(".")[0], n),
              bytes([LINKS.index(lt)]) + frames[n - 1])
    for name, picks in [("frag-vlan-ipv4-tcp-syn", [1, 2, 3]),
                        ("ipv6-frag-malformed-dns", [1, 2, 3, 4])]:
        lt, frames = read_frames(name)
        for n in picks:
            write("fuzz_decode", "%s.frame%d" % (name, n), bytes([LINKS.index(lt)]) + frames[n - 1])
    # Link types no capture has: the IP packets of Ethernet frames re-wrapped.
    _, udp4 = read_frames("dns-udp-a-aaaa-mx")
    _, tcp6 = read_frames("tls13-ipv6-sni")
    ip4, ip6 = udp4[0][14:], tcp6[3][14:]
    write("fuzz_decode", "rawip12-ipv4-dns", bytes([LINKS.index(12)]) + ip4)
    write("fuzz_decode", "ipv4-228-dns", bytes([LINKS.index(228)]) + ip4)
    write("fuzz_decode", "ipv6-229-tls", bytes([LINKS.index(229)]) + ip6)
    write("fuzz_decode", "loop108-ipv4-dns", bytes([LINKS.index(108)]) + struct.pack(">I", 2) + ip4)
    write("fuzz_decode", "null0-ipv6-tls-capture-cut", bytes([LINKS.index(0) | 0x10]) +
          struct.pack("<I", 24) + ip6[:60])


def packet_path_seeds():
    seeds = [("mixed-dns-http-tls", range(1, 21), 0),
             ("tls12-clienthello-split-mtu300", range(1, 9), 0),
             ("dns-tcp-google", range(1, 11), 0),
             ("quic-initial-sni", [1, 2], 0),
             ("http-qinq", range(1, 7), 0),
             ("frag-vlan-ipv4-tcp-syn", [1, 2, 3], 0),
             ("erspan-gre-http", range(11, 18), 0),
             ("vxlan-dns", [1, 2, 3], 0),
             ("http-ipv6-bsd-null", range(1, 7), 0),
             ("sll-http", range(1, 8), 0),
             ("sll2-http", range(1, 6), 0),
             ("tls13-ipv6-sni", range(1, 5), 0),
             ("dns-rawip-corrupt-additionals", [1, 2], 0),
             ("ipv6-frag-malformed-dns", range(1, 12), 0),
             ("gre-dns-icmp", range(30, 37), 0),
             ("tls10-sni", range(1, 6), 0),
             ("pcapng-http.pcapng", range(10, 15), 0),
             ("http-ipv6-vlan", range(1, 6), 0)]
    for name, picks, ctl in seeds:
        write("fuzz_packet_path", name.split(".")[0] + ".flows", frames_seed(name, picks, ctl))
    write("fuzz_packet_path", "mixed-dns-http-tls.store-swapped",
          frames_seed("mixed-dns-http-tls", range(1, 21), 0x80))
    write("fuzz_packet_path", "dns-udp-a-aaaa-mx.idle-gap",
          frames_seed("dns-udp-a-aaaa-mx", range(1, 7), 0, {3: 0x8000, 5: 0x4000}))


# ---- protocol payloads --------------------------------------------------------------


def dns_seeds():
    picks = [("dns-udp-a-aaaa-mx", "dns", [0, 1, 4]), ("dns-ipv6-vlan", "dns", [0, 1]),
             ("dns-rawip-corrupt-additionals", "dns", [0, 1]),
             ("dns-udp-many-queries", "dns", [0, 1, 50]),
             ("pcapng-multi-iface-dns.pcapng", "dns", [0, 1]), ("gre-dns-icmp", "dns", [0]),
             ("vxlan-dns", "dns", [0]), ("ipv6-frag-malformed-dns", "mdns", [0]),
             ("mixed-dns-http-tls", "dns", [0, 1])]
    for name, filt, idx in picks:
        msgs = field_hex(name, filt, "udp.payload")
        for i in idx:
            kind = "response" if msgs[i][2] & 0x80 else "query"
            write("fuzz_dns", "%s.%s%d" % (name.split(".")[0], kind, i), msgs[i])
    write("fuzz_dns", "dns-tcp-google.client-stream", client_stream("dns-tcp-google", 0))
    hdr = lambda qd, an=0, flags=0: struct.pack(">HHHHHH", 0x1234, flags, qd, an, 0, 0)
    q = lambda name: b"".join(bytes([len(l)]) + l for l in name.split(b".")) + b"\0"
    write("fuzz_dns", "crafted.compression-loop", hdr(1) + b"\x03abc\xc0\x0c\x00\x01\x00\x01")
    write("fuzz_dns", "crafted.pointer-chain", hdr(2) + q(b"www.evil.example") +
          b"\x00\x01\x00\x01" + b"\x02cc\xc0\x10\x00\x01\x00\x01")
    write("fuzz_dns", "crafted.five-questions", hdr(5) + (q(b"a.example") + b"\x00\x01\x00\x01") * 5)
    write("fuzz_dns", "crafted.long-name-escapes", hdr(1) + q(b"\\.x\x01y." + b"a" * 60 +
          b"." + b"b" * 60 + b".example") + b"\x00\x10\x00\x01")
    write("fuzz_dns", "crafted.truncated-response", hdr(1, 3, 0x8200) + q(b"tc.example") +
          b"\x00\x01\x00\x01")


def tls_hello_prefix(stream):
    """The records of stream up to the end of the first handshake message."""
    hs, off = b"", 0
    while off + 5 <= len(stream):
        rlen = struct.unpack(">H", stream[off + 3:off + 5])[0]
        hs += stream[off + 5:off + 5 + rlen]
        off += 5 + rlen
        if len(hs) >= 4 and len(hs) >= 4 + int.from_bytes(hs[1:4], "big"):
            break
    return stream[:off], hs


def tls_seeds():
    streams = [("mixed-dns-http-tls", 0), ("tls10-sni", 0), ("tls12-sni", 0),
               ("tls12-clienthello-split-mtu300", 0), ("tls13-ech", 1),
               ("tls13-ipv6-sni", 0), ("tls13-ipv6-sni", 1)]
    hello = None
    for name, s in streams:
        recs, hs = tls_hello_prefix(client_stream(name, s))
        write("fuzz_tls", "%s.stream%d.clienthello" % (name, s), recs)
        hello = hello or (hs if name == "tls12-sni" else None)
    # The same hello in 100-byte records, and as a bare handshake message.
    split = b"".join(b"\x16\x03\x01" + struct.pack(">H", len(hello[i:i + 100])) +
                     hello[i:i + 100] for i in range(0, len(hello), 100))
    write("fuzz_tls", "tls12-sni.clienthello-in-100-byte-records", split)
    write("fuzz_tls", "tls12-sni.handshake-message", hello)
    write("fuzz_tls", "quic-initial-sni.handshake-message", quic_plain()[1])


# ---- QUIC ---------------------------------------------------------------------------


def quic_plain():
    """(dcid, ClientHello message, pn_len) of the capture's client Initial."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    import hmac
    pkt = field_hex("quic-initial-sni", "frame.number==1", "udp.payload")[0]
    salt = bytes.fromhex("38762cf7f55934b34d179ae6a4c80cadccbb7f0a")

    def expand(secret, label, n):
        info = struct.pack(">HB", n, 6 + len(label)) + b"tls13 " + label + b"\x00\x01"
        return hmac.new(secret, info, hashlib.sha256).digest()[:n]

    dlen = pkt[5]
    dcid = pkt[6:6 + dlen]
    client = expand(hmac.new(salt, dcid, hashlib.sha256).digest(), b"client in", 32)
    key, iv, hp = expand(client, b"quic key", 16), expand(client, b"quic iv", 12), expand(client, b"quic hp", 16)
    off = 6 + dlen
    off += 1 + pkt[off]                        # SCID
    off += 1                                   # token length 0
    length = struct.unpack(">H", pkt[off:off + 2])[0] & 0x3FFF
    off += 2
    enc = Cipher(algorithms.AES(hp), modes.ECB()).encryptor()
    mask = enc.update(pkt[off + 4:off + 20])
    first = pkt[0] ^ (mask[0] & 0x0F)
    pn_len = (first & 3) + 1
    pn = bytes(b ^ m for b, m in zip(pkt[off:off + pn_len], mask[1:]))
    aad = bytes([first]) + pkt[1:off] + pn
    nonce = bytes(a ^ b for a, b in zip(iv, int.from_bytes(pn, "big").to_bytes(12, "big")))
    plain = AESGCM(key).decrypt(nonce, pkt[off + pn_len:off + length], aad)
    assert plain[0] == 0x06 and plain[1] == 0   # CRYPTO at offset 0
    n, p = varint(plain, 2)
    return dcid, plain[p:p + n], pn_len


def varint(b, at):
    ln = 1 << (b[at] >> 6)
    v = b[at] & 0x3F
    for i in range(1, ln):
        v = v << 8 | b[at + i]
    return v, at + ln


def enc_varint(v):
    return struct.pack(">H", 0x4000 | v) if v >= 64 else bytes([v])


def crypto_frame(off, data):
    return b"\x06" + enc_varint(off) + enc_varint(len(data)) + data


def quic_seeds():
    pkts = field_hex("quic-initial-sni", "frame.number<=2", "udp.payload")
    write("fuzz_quic", "raw.client-initial", b"\x00" + pkts[0])
    write("fuzz_quic", "raw.server-initial", b"\x00" + pkts[1])
    dcid, hello, pn_len = quic_plain()
    head = bytes([len(dcid)]) + dcid
    part = lambda pt, pnl=pn_len: struct.pack(">H", len(pt) | (pnl - 1) << 14) + pt
    write("fuzz_quic", "sealed.one-initial", b"\x01" + head + part(crypto_frame(0, hello) + b"\0" * 8))
    half = len(hello) // 2
    two = part(crypto_frame(0, hello[:half])) + part(crypto_frame(half, hello[half:]), 1)
    write("fuzz_quic", "sealed.coalesced-two-initials", b"\x01" + head + two)
    write("fuzz_quic", "sealed.two-datagrams", b"\x02" + head + two)
    write("fuzz_quic", "sealed.two-datagrams-reversed", b"\x03" + head + two)
    frames = (b"\x01" + b"\x02\x05\x00\x01\x02\x03\x01" + crypto_frame(0, hello) +
              b"\x1c\x00\x06\x03abc" + b"\x00" * 4)
    write("fuzz_quic", "sealed.ping-ack-crypto-close", b"\x01\x08" + b"\x83" * 8 + part(frames, 4))


# ---- HTTP ---------------------------------------------------------------------------


def http_seeds():
    for name, s in [("mixed-dns-http-tls", 1), ("http-qinq", 0), ("sll-http", 0),
                    ("sll2-http", 0), ("http-ipv6-bsd-null", 0), ("http-ipv6-vlan", 0),
                    ("erspan-gre-http", 2), ("pcapng-http.pcapng", 1)]:
        write("fuzz_http", "%s.stream%d" % (name.split(".")[0], s), client_stream(name, s)[:4096])
    crafted = {
        "keep-alive-with-body": b"POST /a HTTP/1.1\r\nHost: Evil.Example.:8080\r\nContent-Length: 5\r\n\r\n"
                                b"hello GET /b?x=1 HTTP/1.1\r\nHost: evil.example\r\n\r\n",
        "absolute-form": b"GET HTTP://WWW.Example.COM:80/Path?Q#frag HTTP/1.0\r\nUser-Agent: x\r\n\r\n",
        "connect-authority": b"CONNECT login.phish.test:443 HTTP/1.1\r\n\r\n",
        "options-star": b"OPTIONS * HTTP/1.1\r\nHost: [2001:db8::1]:8443\r\n\r\n",
        "chunked": b"PUT /up HTTP/1.1\r\nHost: a.example\r\nTransfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        "bare-lf-obs-fold": b"GET /x HTTP/1.1\nHost: fold.example\n X-Folded: y\nContent-Length: 12a\n\n",
        "webdav-propfind-space-in-target": b"PROPFIND /dav/a b HTTP/1.1\r\nHost: dav.example\r\n\r\n",
    }
    for name, data in crafted.items():
        write("fuzz_http", "crafted." + name, data)


# ---- indicator files ------------------------------------------------------------------


def rules(name):
    with open(os.path.join(SRC, "rules", name), "rb") as f:
        return f.read()


def ind_seeds():
    write("fuzz_ind_plain", "rules-blocklist.txt", rules("blocklist.txt"))
    write("fuzz_ind_plain", "bom-crlf-prefixes.txt", b"\xef\xbb\xbf# list\r\nIP: 192.0.2.9\r\n"
          b"cidr:2001:DB8::/32\r\nsni:  Tls.Example.\r\nurl:HTTPS://a.example:443\r\n"
          b"ja4:T13D1516H2_8daaf6152771_e5627efa2ab1\r\nbogus:value\r\n1ce565f411fbc7412e3c5ba0bcfd62ab\r\n"
          b"two values.example here.example\r\n198.51.100.7  # trailing comment\r\n")
    write("fuzz_ind_plain", "snort-ip-blocklist.txt", b"192.0.2.1\n192.0.2.2\n198.51.100.0/24\n::ffff:192.0.2.3\n")
    write("fuzz_ind_zeek", "rules-partner-jp.intel", rules("partner-jp.intel"))
    write("fuzz_ind_zeek", "comma-separator-scoped.intel",
          b"#separator \\x2c\n#fields,indicator_type,indicator,meta.port,meta.proto,meta.expires,meta.confidence\n"
          b"Intel::ADDR,192.0.2.7,53,udp,1790000000,99.5\nIntel::SUBNET,2001:db8::/48,0,6,2026-12-31,-\n"
          b"Intel::DOMAIN,(empty),1,tcp,-,50\n")
    write("fuzz_ind_zeek", "refields.intel", b"#fields\tindicator\tindicator_type\n"
          b"a.example\tIntel::DOMAIN\n#fields\tindicator_type\tindicator\tmeta.tlp\tmeta.share_with\n"
          b"Intel::URL\thttp://b.example/x\tTLP:RED\tUK, ,JP\nIntel::EMAIL\tx@y.example\tred\t-\n")
    write("fuzz_ind_stix", "rules-coalition.stix.json", rules("coalition.stix.json"))
    arr = [{"type": "indicator", "id": "indicator--1", "pattern_type": "stix",
            "pattern": "[ipv6-addr:value ISSUBSET '2001:db8::/32'] OR [url:value = 'http://x.example/a\\'b']",
            "revoked": False, "valid_until": "2027-01-01T00:00:00Z", "x_picket_share_with": ["UK", "JP"],
            "object_marking_refs": ["marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"]},
           {"type": "marking-definition", "id": "marking-definition--x", "definition_type": "tlp",
            "definition": {"tlp": "green"}}]
    write("fuzz_ind_stix", "array-of-objects.json", json.dumps(arr).encode())
    write("fuzz_ind_stix", "single-object.json", json.dumps(arr[0]).encode())
    patterns = {
        "pattern-or-brackets": "[ipv4-addr:value = '198.51.100.1'] OR [domain-name:value = 'evil.example']",
        "pattern-parens-issubset": "([ipv4-addr:value ISSUBSET '203.0.113.0/24' OR ipv4-addr:value = '192.0.2.1'])",
        "pattern-and-unsupported": "[domain-name:value = 'a.example' AND url:value = 'b.example/']",
        "pattern-qualifier": "[file:hashes.'SHA-256' = 'ab'] FOLLOWEDBY [ipv4-addr:value = '192.0.2.2'] WITHIN 10 SECONDS",
        "pattern-escapes": "[url:value = 'http://e.example/\\\\path\\'q']",
    }
    for name, text in patterns.items():
        write("fuzz_ind_stix", name, text.encode())
    write("fuzz_ind_iprep", "rules-iprep.csv", rules("iprep.csv"))
    write("fuzz_ind_iprep", "named-categories-edges.csv", b"# c\r\n 192.0.2.5 , Bad_Bots , 1 \r\n"
          b"192.0.2.6,2,127\r\n192.0.2.7,2,128\r\n192.0.2.8,3,0\r\n2001:db8::/64,x.y-z,64\r\n"
          b"198.51.100.300,1,5\r\n192.0.2.9,1\r\n")


# ---- wire ---------------------------------------------------------------------------------


def frame(obj_or_bytes):
    b = obj_or_bytes if isinstance(obj_or_bytes, bytes) else \
        json.dumps(obj_or_bytes, separators=(",", ":")).encode()
    return struct.pack(">I", len(b)) + b


def wire_seeds():
    alert = {"timestamp": "2026-11-23T09:12:35.123456+0000", "event_type": "alert",
             "src_ip": "10.16.1.11", "dest_ip": "8.8.8.8", "proto": "UDP",
             "picket": {"alert_id": "uk-dco-01:17", "field": "dns.query", "observed": "www.google.com"}}
    valid = {
        "hello": {"type": "hello", "sensor": "uk-dco-01", "version": "0.1.0", "last_acked": 16},
        "welcome": {"type": "welcome", "applied": 16, "collector": "coll-1"},
        "alerts": {"type": "alerts", "alerts": [{"seq": 17, "alert": alert}, {"seq": 18, "alert": alert}]},
        "ack": {"type": "ack", "seq": 18},
        "stats": {"type": "stats", "counters": {"capture.packets": 1000, "alerts.raised": 2}},
        "indicators": {"type": "indicators", "version": 3, "format": "plain", "data": "evil.example\n"},
        "error": {"type": "error", "reason": "sensor id does not match the certificate"},
    }
    for name, obj in valid.items():
        write("fuzz_wire", "valid." + name, frame(obj))
    write("fuzz_wire", "valid.session-stream", frame(valid["hello"]) + frame(valid["alerts"]) +
          frame(valid["stats"]))
    invalid = {
        "bad-utf8": frame(b'{"type":"error","reason":"\xc3\x28"}'),
        "too-deep": frame(b'{"type":"stats","counters":{},"x":' + b"[" * 40 + b"]" * 40 + b"}"),
        "duplicate-member": frame(b'{"type":"ack","seq":1,"seq":2}'),
        "seq-out-of-order": frame({"type": "alerts", "alerts": [{"seq": 5, "alert": {}}, {"seq": 5, "alert": {}}]}),
        "seq-zero": frame({"type": "ack", "seq": 0}),
        "seq-above-2-53": frame(b'{"type":"ack","seq":9007199254740993}'),
        "not-an-object": frame(b'["hello"]'),
        "unknown-type": frame({"type": "goodbye"}),
        "frame-4gib-header": b"\xff\xff\xff\xff{}",
        "frame-cut-short": frame(valid["welcome"])[:20],
        "unframed-json": json.dumps(valid["hello"]).encode(),
    }
    for name, data in invalid.items():
        write("fuzz_wire", "invalid." + name, data)


def alerts_scan_seeds():
    """Payloads (no frame header) for the collector's alerts fast path."""
    alert = {"timestamp": "2026-11-23T09:12:35.123456+0000", "event_type": "alert",
             "src_ip": "10.16.1.11", "dest_ip": "8.8.8.8", "community_id": "1:abc=",
             "picket": {"sensor": "claimed", "indicator": {"type": "domain", "value": "Evil.Example"}}}
    bare = {"event_type": "alert", "picket": {"indicator": {"type": "url", "value": "http://x/\u00e9"}}}
    msg = {"type": "alerts", "alerts": [{"seq": 17, "alert": alert}, {"seq": 18, "alert": bare}]}
    seeds = {
        "valid.compact": json.dumps(msg, separators=(",", ":")).encode(),
        "valid.spaced": json.dumps(msg, indent=1).encode(),
        "valid.escapes": json.dumps({"type": "alerts", "alerts": [{"seq": 1, "alert": {
            "picket": {"indicator": {"type": "domain", "value": 'a\\b"c'}}, "x": "\u00e9\n"}}]},
            separators=(",", ":")).encode(),
        "valid.no-picket": b'{"alerts":[{"alert":{"a":[1,2.5,-0,true,null]},"seq":3}],"type":"alerts"}',
        "valid.exercises": b'{"type":"alerts","alerts":[{"seq":1,"alert":{"picket":{"exercise":"ex-1",'
                           b'"indicator":{"type":"domain","value":"a.example"}}}},{"seq":2,"alert":'
                           b'{"picket":{"exercise":null}}},{"seq":3,"alert":{"picket":{"exercise":'
                           b'"a b"}}},{"seq":4,"alert":{"picket":{"exercise":5}}}]}',
        "invalid.duplicate-member": b'{"type":"alerts","alerts":[{"seq":1,"alert":{"a":1,"a":2}}]}',
        "invalid.seq-out-of-order": b'{"type":"alerts","alerts":[{"seq":2,"alert":{}},{"seq":2,"alert":{}}]}',
        "invalid.bad-utf8": b'{"type":"alerts","alerts":[{"seq":1,"alert":{"x":"\xc0\xaf"}}]}',
        "invalid.trailing": b'{"type":"alerts","alerts":[{"seq":1,"alert":{}}]} x',
        "other.stats": b'{"type":"stats","counters":{}}',
    }
    for name, data in seeds.items():
        write("fuzz_alerts_scan", name, data)


# ---- pushed indicator sets ---------------------------------------------------------------


def set_version(text):
    return hashlib.sha256(text).hexdigest()[:16]


def ind_message(version, text, part=None, parts=None):
    m = {"type": "indicators", "version": version, "format": "picket-jsonl",
         "data": text.decode()}
    if part:
        m.update(part=part, parts=parts)
    return frame(m)


def pushed_seeds():
    lines = [
        {"value": "evil.example", "type": "domain", "source": "jp-feed", "partner": "JP",
         "tlp": "amber", "confidence": 80, "id": "indicator--0b7b2a8c-8f0e-4b1e-9f6a-0c1d2e3f4a5b"},
        {"value": "198.51.100.0/24", "type": "cidr", "partner": "UK", "tlp": "red"},
        {"value": "2001:db8::7", "type": "ipv6", "partner": "US", "share_with": "UK,JP"},
        {"value": "http://evil.example/a?b=1", "type": "url", "expires": 4102444800},
        {"value": "cdn.evil.example", "type": "sni", "port": 443, "proto": 6,
         "description": "caf\u00e9 \"quoted\"", "extra": {"k": [1, 2.5, None, True]}},
        {"value": "e7d705a3286e19ea42f587b344ee6865", "type": "ja3", "tlp": "clear"},
        {"value": "t13d1516h2_8daaf6152771_02713d6af862", "type": "ja4", "tlp": "green"},
    ]
    text = "".join(json.dumps(l, separators=(",", ":")) + "\n" for l in lines).encode()
    v = set_version(text)
    write("fuzz_pushed", "valid.one-frame", ind_message(v, text))
    cut = text.index(b"\n", len(text) // 2) + 1
    write("fuzz_pushed", "valid.two-parts",
          ind_message(v, text[:cut], 1, 2) + ind_message(v, text[cut:], 2, 2))
    write("fuzz_pushed", "valid.empty-set", ind_message(set_version(b""), b""))
    write("fuzz_pushed", "invalid.parts-swapped",
          ind_message(v, text[cut:], 2, 2) + ind_message(v, text[:cut], 1, 2))
    write("fuzz_pushed", "invalid.wrong-version", ind_message("0123456789abcdef", text))
    bad = (b'{"value":"x.example","type":"domain","tlp":"purple"}\n'
           b'{"value":"not an ip","type":"ipv4"}\n{"value":1}\n{"value":"a","value":"b"}\n'
           b'{"value":"ok.example","type":"domain","confidence":101}\n[1,2]\n')
    write("fuzz_pushed", "invalid.bad-lines", ind_message(set_version(bad), bad))
    head = b"#picket-pushed-set 1 %s %d\n" % (v.encode(), len(text))
    write("fuzz_pushed", "file.sound", head + text)
    write("fuzz_pushed", "file.cut-short", head + text[:-7])
    write("fuzz_pushed", "text.lines", text + bad)


def main():
    decode_seeds()
    packet_path_seeds()
    dns_seeds()
    tls_seeds()
    quic_seeds()
    http_seeds()
    ind_seeds()
    wire_seeds()
    alerts_scan_seeds()
    pushed_seeds()
    for t in sorted(os.listdir(CORPUS)):
        files = os.listdir(os.path.join(CORPUS, t))
        size = sum(os.path.getsize(os.path.join(CORPUS, t, f)) for f in files)
        print("%-18s %3d files %7d bytes" % (t, len(files), size))


if __name__ == "__main__":
    main()
