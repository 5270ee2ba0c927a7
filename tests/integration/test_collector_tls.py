#!/usr/bin/env python3
"""test_collector_tls.py - only certified sensors, under their own names.

Why it exists: a sensor's identity is its certificate, never its claim.
With a good sensor connected and sending throughout, the test tries: no
client certificate, a certificate from another CA, an expired one, a
revoked one (--crl), plain TCP on the TLS port, and a valid certificate
whose hello claims another sensor's id. Each must be refused (and logged
with its reason) while the good sensor's batches keep being acked
promptly. It also checks that a second connection of the same sensor
replaces the first.
"""
import os
import ssl
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from collector_testlib import (Closed, Collector, GoodSensor, Redis, Sensor, TempDir, check,  # noqa: E402
                               make_alert, make_certs, metrics, require_tools)


def refused(port, pki, name=None, cert_dir=None, claim=None, tls=True):
    """True when the collector never welcomes this peer."""
    try:
        s = Sensor(port, pki if tls else None, name, cert_dir=cert_dir, timeout=5)
        s.send({"type": "hello", "sensor": claim or name or "nobody", "last_acked": 0})
        msg = s.recv()
        while msg.get("type") != "welcome":
            if msg.get("type") == "error":
                s.close()
                return True
            msg = s.recv()
        s.close()
        return False
    except (ssl.SSLError, Closed, OSError):
        return True


def main():
    require_tools()
    tmp = TempDir("tls")
    pki, other = tmp.join("pki"), tmp.join("other")
    make_certs(pki, ["s1:UK", "s2:UK", "gone:JP"])
    make_certs(pki, ["old:UK"], expired=True)
    make_certs(pki, ["gone"], revoke=True)
    make_certs(other, ["s1:UK"])
    redis = Redis(tmp).start()
    col = Collector(tmp, redis.port, pki, http=True,
                    extra=["--crl", os.path.join(pki, "crl.pem")]).start()
    try:
        good = GoodSensor(col.port, pki)
        tls = good.s.sock.version()
        check(tls in ("TLSv1.2", "TLSv1.3"), "good sensor negotiated %s (%s)"
              % (tls, good.s.sock.cipher()[0]))
        cases = [
            ("no client certificate", dict(name=None)),
            ("certificate from another CA", dict(name="s1", cert_dir=other)),
            ("expired certificate", dict(name="old")),
            ("revoked certificate (--crl)", dict(name="gone")),
            ("plain TCP on the TLS port", dict(name="s1", tls=False)),
            ("s2's certificate claiming to be s1", dict(name="s2", claim="s1")),
        ]
        for what, kw in cases:
            good.ping()
            check(refused(col.port, pki, **kw), "refused: " + what)
            good.ping()
        check(good.worst < 2.0, "good sensor acked throughout (slowest ack %.3f s)" % good.worst)
        log = col.log()
        for needle in ("certificate has expired", "certificate revoked",
                       "but the certificate CN is", "TLS handshake failed"):
            check(needle in log, "log names the reason: " + needle)
        m = metrics(col.http_port)
        hs = m['picket_collector_errors_total{kind="tls_handshake"}']
        mm = m['picket_collector_errors_total{kind="identity_mismatch"}']
        check(hs >= 4 and mm == 1, "/metrics: tls_handshake errors %d, identity_mismatch %d"
              % (hs, mm))

        newer = Sensor(col.port, pki, "s1")
        w = newer.hello()
        check(w["applied"] == good.seq, "second s1 connection welcomed at applied=%d" % good.seq)
        reason = good.s.closed_with_error()
        check(reason is not None and "replaced" in reason, "older s1 connection closed: %r"
              % reason)
        check(newer.alerts([(good.seq + 1, make_alert("s1", good.seq + 1, "domain",
                                                       "good.example", "1:n="))]) == good.seq + 1,
              "newer s1 connection gets acks")
        newer.close()
        check(col.stop() == 0, "collector exited cleanly")
    except Exception:
        print("--- collector log\n" + col.log()[-4000:])
        raise
    finally:
        col.stop()
        redis.stop()
    tmp.cleanup()
    print("PASS: 6 hostile TLS peers refused, good sensor acked %d batches" % good.seq)


if __name__ == "__main__":
    main()
