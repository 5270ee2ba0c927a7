#!/usr/bin/env python3
"""test_collector_redis.py - Redis outages, AOF, and the HTTP watch floor.

Why it exists: nothing may be acked that Redis has not applied, and a
Redis restart must cost nothing but time. Redis runs with a password and
AOF (appendfsync always). The test checks /healthz, /metrics and the
/api/stream SSE feed with curl while two partners' sensors send alerts;
stops Redis (healthz 503, a batch sent meanwhile is not acked, sensor
connections stay open), starts it again from its AOF (the pending batch
is then acked, nothing is lost or duplicated, welcome 'applied' survives),
flushes the script cache (NOSCRIPT is handled, also with a dozen batches
of one connection in flight: acks stay in order, every alert reaches the
stream once), floods the stream so that
a stream client that never reads is dropped, and finally freezes Redis
(SIGSTOP) so the collector's watchdog must give up on the connection and
retry until Redis answers again.
"""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from collector_testlib import (Closed, Collector, Redis, Sensor, TempDir, check, curl,  # noqa
                               make_alert, make_certs, metrics, paths, require_tools,
                               sse_events, wait_for)

PASSWORD = "s3cret-test"


def batch(name, first, n, value="evil.example", tag="f"):
    return [(first + i, make_alert(name, first + i, "domain", value, "1:%s%s%d=" % (tag, name, i)))
            for i in range(n)]


def phase_normal(col, pki, tmp):
    url = "http://127.0.0.1:%d" % col.http_port
    code, body = curl(url + "/healthz")
    check((code, body.strip()) == (200, "ok"), "curl /healthz -> 200 ok")
    sse_path = tmp.join("sse.txt")
    sse = subprocess.Popen(["curl", "-sN", "-m", "120", url + "/api/stream"],
                           stdout=open(sse_path, "w"), stderr=subprocess.DEVNULL)
    wait_for(lambda: metrics(col.http_port)["picket_collector_sse_clients"] == 1,
             what="SSE client registered")
    s1 = Sensor(col.port, pki, "s1")
    s1.hello()
    s3 = Sensor(col.port, pki, "s3")
    s3.hello()
    check(s1.alerts(batch("s1", 1, 5)) == 5 and s3.alerts(batch("s3", 1, 3)) == 3,
          "s1 (UK) and s3 (JP) acked")
    wait_for(lambda: len(sse_events(sse_path)) >= 9, what="SSE events")
    ev = sse_events(sse_path)
    kinds = [k for k, _ in ev]
    check(kinds.count("alert") == 8 and kinds.count("sighting") == 1,
          "/api/stream: 8 'alert' events and 1 'sighting' event")
    check({d["picket"]["partner"] for k, d in ev if k == "alert"} == {"UK", "JP"},
          "/api/stream alerts carry the verified partners")
    m = metrics(col.http_port)
    check(m["picket_collector_sensors_connected"] == 2 and
          m["picket_collector_redis_latency_seconds_count"] >= 2 and
          m["picket_collector_alerts_unique_total"] == 8,
          "/metrics: 2 sensors connected, redis latency observed, 8 unique")
    return s1, s3, sse, sse_path


def phase_outage(col, redis, pki, s1):
    url = "http://127.0.0.1:%d" % col.http_port
    redis.stop()
    wait_for(lambda: curl(url + "/healthz")[0] == 503, what="healthz 503")
    check(True, "Redis stopped: /healthz -> 503")
    s1.send({"type": "alerts", "alerts": [{"seq": s, "alert": a}
                                          for s, a in batch("s1", 6, 4, tag="o")]})
    s1.sock.settimeout(3)
    try:
        msg = s1.recv()
        raise AssertionError("got %r while Redis was down" % msg)
    except (socket.timeout, TimeoutError):
        check(True, "batch sent during the outage is not acked (3 s)")
    except Closed:
        raise AssertionError("sensor connection closed during the Redis outage")
    for _ in range(5):                      # a sensor reconnecting during the outage
        x = Sensor(col.port, pki, "s3")
        x.send({"type": "hello", "sensor": "s3", "last_acked": 0})
        x.close()

    def settled():
        m = metrics(col.http_port)
        return (m["picket_collector_redis_waiting"] == 1 and
                m["picket_collector_sensors_connected"] == 1)
    wait_for(settled, what="parked hellos of closed connections dropped")
    check(True, "5 reconnects during the outage leave 1 parked request (s1's batch)")
    redis.start()
    s1.sock.settimeout(20)
    t0 = time.monotonic()
    ack = s1.expect("ack")["seq"]
    check(ack == 9, "Redis back (from AOF): pending batch acked (seq 9) after %.1f s"
          % (time.monotonic() - t0))
    check(curl(url + "/healthz")[0] == 200, "/healthz -> 200 again")


def phase_after(col, redis, pki, s3):
    rc = redis.client()
    check(rc.cmd("XLEN", "picket:alerts") == 12, "stream survived the restart: 8 + 4 = 12 alerts")
    check(rc.cmd("HGET", "picket:applied", "s1") == "9", "applied seq for s1 survived (9)")
    again = Sensor(col.port, pki, "s1")
    check(again.hello()["applied"] == 9, "a new s1 connection is welcomed at applied=9")
    rc.cmd("SCRIPT", "FLUSH")
    check(again.alerts(batch("s1", 10, 2, tag="n")) == 11, "after SCRIPT FLUSH: NOSCRIPT "
          "handled, batch acked")
    check(rc.cmd("XLEN", "picket:alerts") == 14, "stream has 14 alerts")
    again.close()
    s3.close()


def apply_script_source():
    """The collector's Lua script, from the C string in collector/apply_lua.c."""
    with open(os.path.join(paths()[1], "collector", "apply_lua.c")) as f:
        text = f.read()
    body = text[text.index("pk_apply_lua[] ="):]
    body = body[:body.index(";\n")]
    parts = re.findall(r'"((?:\\.|[^"\\])*)"', body)
    return "".join(parts).encode().decode("unicode_escape")


def phase_pipelined(col, redis, pki):
    """Many batches in flight on one connection while the script cache is
    flushed and, atomically, reloaded (as another collector sharing the
    Redis would): one batch may then meet NOSCRIPT while the next one runs.
    Acks must come in order and the stream must get every alert exactly
    once (a batch applied before its predecessor would make the
    predecessor's alerts look retransmitted)."""
    rc = redis.client()
    src = apply_script_source()
    xlen0 = rc.cmd("XLEN", "picket:alerts")
    s1 = Sensor(col.port, pki, "s1")
    first = s1.hello()["applied"] + 1
    nbatch, size = 12, 40
    tops = []
    for b in range(nbatch):
        lo = first + b * size
        s1.send({"type": "alerts", "alerts": [{"seq": s, "alert": a} for s, a in
                                              batch("s1", lo, size, tag="p%d-" % b)]})
        tops.append(lo + size - 1)
        if b % 3 == 1:              # flushed before batch b + 1 reaches Redis
            rc.cmd("SCRIPT", "FLUSH")
        elif b % 3 == 2:            # reloaded right behind it
            rc.cmd("SCRIPT", "LOAD", src)
    acks = []
    s1.sock.settimeout(20)
    while not acks or acks[-1] < tops[-1]:
        acks.append(s1.expect("ack")["seq"])
    check(all(a in tops for a in acks) and acks == sorted(set(acks)),
          "%d batches of %d sent without waiting, the script cache flushed after every "
          "third and reloaded after the next: %d acks, "
          "in order, each a batch's last seq" % (nbatch, size, len(acks)))
    added = rc.cmd("XLEN", "picket:alerts") - xlen0
    check(added == nbatch * size, "every pipelined alert reached the stream once (%d of %d)"
          % (added, nbatch * size))
    check(rc.cmd("HGET", "picket:applied", "s1") == str(tops[-1]),
          "applied seq is the last batch's (%d)" % tops[-1])
    s1.close()
    return added


def phase_slow_sse(col, pki):
    raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.connect(("127.0.0.1", col.http_port))
    raw.sendall(b"GET /api/stream HTTP/1.1\r\nHost: x\r\n\r\n")
    wait_for(lambda: metrics(col.http_port)["picket_collector_sse_clients"] >= 2,
             what="slow SSE client registered")
    s = Sensor(col.port, pki, "s3")
    s.hello()
    seq = 100
    big = "x" * 2000
    for b in range(40):
        items = [(seq + i, make_alert("s3", seq + i, "domain", "flood%d.example" % b,
                                      "1:fl%d-%d=" % (b, i))) for i in range(100)]
        for _, a in items:
            a["pad"] = big
        seq += 100
        s.alerts(items)
        if metrics(col.http_port)['picket_collector_errors_total{kind="sse_dropped"}'] >= 1:
            break
    dropped = metrics(col.http_port)['picket_collector_errors_total{kind="sse_dropped"}']
    check(dropped == 1, "a stream client that never reads is dropped (after %d KB of alerts)"
          % ((seq - 100) * 2))
    s.close()
    raw.close()


def phase_hang(col, redis, pki):
    """Redis stops answering (SIGSTOP): the watchdog drops the connection
    after 10 s and keeps retrying; after SIGCONT the batch is acked once."""
    rc = redis.client()
    before = rc.cmd("XLEN", "picket:alerts")
    rc.close()
    s = Sensor(col.port, pki, "s1")
    applied = s.hello()["applied"]
    redis.proc.send_signal(signal.SIGSTOP)
    t0 = time.monotonic()
    s.send({"type": "alerts", "alerts": [{"seq": q, "alert": a} for q, a in
                                          batch("s1", applied + 1, 3, tag="h")]})
    wait_for(lambda: "no reply for 10 s" in col.log(), timeout=20, step=0.5,
             what="redis watchdog")
    check(True, "hung Redis detected by the watchdog after %.1f s" % (time.monotonic() - t0))
    redis.proc.send_signal(signal.SIGCONT)
    s.sock.settimeout(20)
    check(s.expect("ack")["seq"] == applied + 3, "after SIGCONT the batch is acked")
    rc = redis.client()
    check(rc.cmd("XLEN", "picket:alerts") == before + 3, "its 3 alerts are in the stream once")
    m = metrics(col.http_port)
    check(m['picket_collector_errors_total{kind="redis_timeout"}'] >= 1,
          "/metrics counts the redis timeout")
    s.close()


def main():
    require_tools()
    if not __import__("shutil").which("curl"):
        print("SKIP: curl is not installed")
        sys.exit(77)
    tmp = TempDir("redis")
    pki = tmp.join("pki")
    make_certs(pki, ["s1:UK", "s3:JP"])
    redis = Redis(tmp, aof=True, password=PASSWORD).start()
    col = Collector(tmp, redis.port, pki, http=True,
                    extra=["--redis-password", PASSWORD]).start()
    sse = None
    try:
        s1, s3, sse, sse_path = phase_normal(col, pki, tmp)
        phase_outage(col, redis, pki, s1)
        phase_after(col, redis, pki, s3)
        s1.close()
        wait_for(lambda: len([k for k, _ in sse_events(sse_path) if k == "alert"]) == 14,
                 what="SSE alerts after the outage")
        check(True, "/api/stream delivered all 14 unique alerts across the Redis restart")
        phase_pipelined(col, redis, pki)
        phase_slow_sse(col, pki)
        phase_hang(col, redis, pki)
        sse.terminate()
        check(col.stop() == 0, "collector exited cleanly")
    except Exception:
        print("--- collector log\n" + col.log()[-6000:])
        raise
    finally:
        if sse:
            sse.kill()
        col.stop()
        redis.stop()
    tmp.cleanup()
    print("PASS: Redis outage and AOF restart lost and duplicated nothing; HTTP checked")


if __name__ == "__main__":
    main()
