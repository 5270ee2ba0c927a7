#!/usr/bin/env python3
"""test_collector_hostile.py - hostile peers end only their own connection.

Why it exists: the collector faces the network. While a good sensor keeps
sending batches, the test throws at it: garbage before TLS, an
authenticated sensor sending garbage frames (a 4 GiB header, bad JSON,
invalid UTF-8, 100-deep nesting, unknown type, seq 0 / negative / 2^60,
wrong member types, alerts before hello), a client writing one byte a
second (before and after the handshake), 200 idle connections and one over --max-connections. Each
hostile connection must be closed with its reason counted in /metrics,
and the good sensor's acks must stay prompt.
"""
import json
import os
import select
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from collector_testlib import (Closed, Collector, GoodSensor, Redis, Sensor, TempDir, check, frame,  # noqa: E402
                               make_alert, make_certs, metrics, require_tools, wait_for)

HS_TIMEOUT, IDLE_TIMEOUT = 3, 4
MAX_CONN = 201                  # the good sensor + 200 idle connections


def alerts_msg(seq):
    return {"type": "alerts", "alerts": [{"seq": seq, "alert": make_alert("s2", 1, "domain",
                                                                          "x.example", "1:x=")}]}


def bad_frames():
    deep = b'{"type":"stats","counters":{},"x":' + b"[" * 100 + b"]" * 100 + b"}"
    return [
        ("4 GiB frame header", b"\xff\xff\xff\xff" + b"x" * 16, "too_large"),
        ("garbage JSON", frame(b"this is not json"), "bad_json"),
        ("invalid UTF-8", frame(b'{"type":"stats","counters":{"\xc3\x28":1}}'), "bad_utf8"),
        ("100-deep nesting", frame(deep), "too_deep"),
        ("unknown type", frame({"type": "gimme"}), "unknown_type"),
        ("JSON array, not object", frame(b"[1,2,3]"), "not_object"),
        ("seq 0", frame(alerts_msg(0)), "out_of_range"),
        ("seq -5", frame(alerts_msg(-5)), "out_of_range"),
        ("seq 2^60", frame(alerts_msg(1 << 60)), "out_of_range"),
        ("seq as string", frame({"type": "alerts", "alerts": [{"seq": "7", "alert": {}}]}),
         "bad_member"),
        ("alerts not an array", frame({"type": "alerts", "alerts": {}}), "bad_member"),
        ("zero-length frame", struct.pack(">I", 0), "empty"),
    ]


def authed_then(port, pki, raw, hello=True):
    """s2 connects (hello first unless told not to), sends raw; returns the error reason."""
    s = Sensor(port, pki, "s2", timeout=5)
    if hello:
        s.hello()
    s.sock.sendall(raw)
    reason = s.closed_with_error()
    s.close()
    return reason


def check_bad_frames(col, pki, good):
    for what, raw, token in bad_frames():
        good.ping()
        reason = authed_then(col.port, pki, raw)
        check(reason is not None and reason.startswith(token),
              "%s -> closed: %s" % (what, (reason or "")[:70]))
    reason = authed_then(col.port, pki, frame(alerts_msg(1)), hello=False)
    check(reason is not None, "alerts before hello -> closed: %s" % reason)
    good.ping()


def check_garbage_before_tls(col, good):
    s = socket.create_connection(("127.0.0.1", col.port), timeout=5)
    s.sendall(os.urandom(4096))
    try:
        while s.recv(4096):
            pass
        closed = True
    except OSError:
        closed = True
    s.close()
    good.ping()
    check(closed, "garbage bytes before TLS -> connection closed")


def readable(sock):
    return bool(select.select([sock], [], [], 0)[0])


def check_slow_clients(col, pki, good):
    raw = socket.create_connection(("127.0.0.1", col.port), timeout=5)
    slow = Sensor(col.port, pki, "s3", timeout=5)
    slow.hello()
    payload = frame(alerts_msg(1))
    t0 = time.monotonic()
    raw_closed = slow_closed = None
    for i in range(IDLE_TIMEOUT + HS_TIMEOUT + 6):
        if raw_closed is None:
            try:
                raw.sendall(b"\x16")
            except OSError:
                raw_closed = time.monotonic() - t0
        if slow_closed is None:
            if readable(slow.sock):
                slow_closed = time.monotonic() - t0
            else:
                slow.sock.sendall(payload[i:i + 1])
        good.ping()
        if raw_closed is not None and slow_closed is not None:
            break
        time.sleep(1)
        if raw_closed is None and readable(raw) and raw.recv(1) == b"":
            raw_closed = time.monotonic() - t0
    raw.close()
    slow.close()
    check(raw_closed is not None and raw_closed <= HS_TIMEOUT + 4,
          "one byte/s before TLS -> closed after %.1f s (handshake timeout %d s)"
          % (raw_closed or -1, HS_TIMEOUT))
    check(slow_closed is not None and slow_closed <= IDLE_TIMEOUT + 4,
          "one byte/s frame after hello -> closed after %.1f s (idle timeout %d s)"
          % (slow_closed or -1, IDLE_TIMEOUT))


def check_idle_flood(col, pki, good):
    idle = [socket.create_connection(("127.0.0.1", col.port), timeout=5) for _ in range(200)]
    before = good.worst
    good.worst = 0.0
    for _ in range(5):
        good.ping()
    check(good.worst < 2.0, "200 idle connections open: good sensor's acks in %.3f s"
          % good.worst)
    good.worst = max(before, good.worst)
    wait_for(lambda: metrics(col.http_port)["picket_collector_connections"] == MAX_CONN,
             what="all idle connections accepted")
    try:
        extra = Sensor(col.port, pki, "s3", timeout=5)
        extra.hello()
        accepted = True
    except (Closed, OSError):
        accepted = False
    n = metrics(col.http_port)['picket_collector_errors_total{kind="connection_limit"}']
    check(not accepted and n == 1, "connection %d refused by --max-connections %d"
          % (MAX_CONN + 1, MAX_CONN))
    good.ping()

    def gone():
        good.ping()
        return metrics(col.http_port)["picket_collector_connections"] == 1

    wait_for(gone, timeout=HS_TIMEOUT + 10, step=0.5, what="idle connections closed")
    for s in idle:
        s.close()
    n = metrics(col.http_port)['picket_collector_errors_total{kind="handshake_timeout"}']
    check(n >= 200, "200 idle connections closed by the handshake timeout (%d counted)" % n)


def check_metrics(col):
    m = metrics(col.http_port)
    rej = {k.split('"')[1]: int(v) for k, v in m.items()
           if k.startswith("picket_collector_frames_rejected_total")}
    want = {"too_large": 1, "bad_json": 1, "bad_utf8": 1, "too_deep": 1, "unknown_type": 1,
            "not_object": 1, "out_of_range": 3, "bad_member": 2, "empty": 1, "unexpected": 1}
    check(all(rej.get(k) == v for k, v in want.items()),
          "/metrics frames_rejected_total by reason: %s"
          % json.dumps({k: v for k, v in rej.items() if v}))


def main():
    require_tools()
    tmp = TempDir("hostile")
    pki = tmp.join("pki")
    make_certs(pki, ["s1:UK", "s2:UK", "s3:JP"])
    redis = Redis(tmp).start()
    col = Collector(tmp, redis.port, pki, http=True,
                    extra=["--handshake-timeout", str(HS_TIMEOUT),
                           "--idle-timeout", str(IDLE_TIMEOUT),
                           "--max-connections", str(MAX_CONN)]).start()
    try:
        good = GoodSensor(col.port, pki)
        check_garbage_before_tls(col, good)
        check_bad_frames(col, pki, good)
        check_metrics(col)
        check_slow_clients(col, pki, good)
        check_idle_flood(col, pki, good)
        check(good.worst < 2.0, "good sensor acked all %d batches, slowest %.3f s"
              % (good.seq, good.worst))
        good.s.close()
        check(col.stop() == 0, "collector exited cleanly")
    except Exception:
        print("--- collector log\n" + col.log()[-6000:])
        raise
    finally:
        col.stop()
        redis.stop()
    tmp.cleanup()
    print("PASS: %d hostile frame kinds, slow and idle clients handled; %d good acks"
          % (len(bad_frames()) + 1, good.seq))


if __name__ == "__main__":
    main()
