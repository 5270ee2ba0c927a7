#!/usr/bin/env python3
"""test_collector_alerts_api.py - /api/alerts, /api/exercises, the exercise
filter of /api/stream and the board's assets, with curl.

Why it exists: scripts page through /api/alerts, and the board trusts it
for repeat counts, so its contract is checked against Redis itself: a real
collector (--insecure on loopback) and redis-server, alerts sent by a
minimal wire-protocol sensor, then:
- every entry of the stream comes back, oldest first, as {id, alert, count}
  with the stream id, the stored alert and the alert record's count
  (repeats included); without since, the newest `limit` entries; pages of
  `limit` chained through `next` from since=0 give the whole stream
  exactly once; `since=<ms>` starts at that millisecond;
- &exercise=NAME reads P..exercise:NAME:alerts and its records' counts
  (written here with redis commands, under the names the apply path
  uses); /api/exercises lists P..exercises, sorted, bad names left out;
- /api/stream carries live alerts only; /api/stream?exercise=NAME only
  that exercise's (an alert's picket.exercise);
- an entry whose alert record expired has count null; an entry that is not
  an alert JSON object has alert null (and does not break the page);
- bad parameters get 400 with a JSON reason; Redis away gets 503;
- a client that leaves while its query waits on a frozen Redis, and a
  collector stopped while a query waits, leave nothing behind (the
  collector keeps serving, then exits 0: clean under ASan);
- /, /board, /board.js, /board.css are served with a strict CSP;
  /favicon.ico is 204; unknown paths are 404 naming the routes.
"""
import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import collector_testlib as T  # noqa: E402


def api(port, query=""):
    code, body = T.curl("http://127.0.0.1:%d/api/alerts%s" % (port, query))
    try:
        return code, json.loads(body)
    except ValueError:
        return code, body


def send_alerts(port):
    """60 unique alerts of sensor s-1, then 5 repeats of the first five."""
    s = T.Sensor(port, name="s-1")
    s.hello()
    items = [(i, T.make_alert("s-1", i, "domain", "api%d.example" % i,
                              community_id="1:api-%d" % i)) for i in range(1, 61)]
    T.check(s.alerts(items) == 60, "60 unique alerts acknowledged")
    rep = [(60 + i, T.make_alert("s-1", 60 + i, "domain", "api%d.example" % i,
                                 community_id="1:api-%d" % i)) for i in range(1, 6)]
    T.check(s.alerts(rep) == 65, "5 repeats acknowledged")
    s.close()


def check_entries(port, rc):
    stream = T.stream_entries(rc, "picket:alerts")
    T.check(len(stream) == 60, "the stream holds 60 entries")
    code, body = api(port, "?limit=1000")
    T.check(code == 200 and [e["id"] for e in body["alerts"]] == [sid for sid, _ in stream],
            "limit=1000 returns every entry, oldest first, with its stream id")
    T.check(all(e["alert"] == json.loads(f["alert"]) for e, (_, f) in zip(body["alerts"], stream)),
            "each entry's alert is the stored alert")
    want = [int(rc.cmd("HGET", "picket:alert:" + e["alert"]["picket"]["alert_id"], "count"))
            for e in body["alerts"]]
    T.check([e["count"] for e in body["alerts"]] == want and want[:5] == [2] * 5 and
            set(want[5:]) == {1}, "counts are the records' counts (5 repeated alerts at 2)")
    T.check(body["next"] == stream[-1][0], "next is the last entry's id")

    code, body = api(port)
    T.check(code == 200 and len(body["alerts"]) == 60, "no parameters: the newest 100 (all 60)")
    code, body = api(port, "?limit=10")
    T.check(code == 200 and [e["id"] for e in body["alerts"]] == [sid for sid, _ in stream[-10:]]
            and body["next"] == stream[-1][0],
            "limit=10 without since: the newest 10, oldest first, next = the last")

    seen, cursor, pages = [], "0", 0
    while True:
        code, body = api(port, "?limit=7&since=" + cursor)
        if code != 200:
            raise AssertionError("page %d: HTTP %d %r" % (pages + 1, code, body))
        if not body["alerts"]:
            T.check(body["next"] == seen[-1], "an empty page gives back the same cursor")
            break
        seen += [e["id"] for e in body["alerts"]]
        cursor = body["next"]
        pages += 1
    T.check(seen == [sid for sid, _ in stream] and pages == 9,
            "pages of 7 chained through next: the stream exactly once in 9 pages")

    ms = int(stream[30][0].split("-")[0])
    code, body = api(port, "?since=%d" % ms)
    first = next(i for i, (sid, _) in enumerate(stream) if int(sid.split("-")[0]) >= ms)
    T.check(code == 200 and [e["id"] for e in body["alerts"]] ==
            [sid for sid, _ in stream[first:first + 100]],
            "since=<ms> starts at the first entry of that millisecond")
    code, body = api(port, "?since=%s&limit=3" % stream[-1][0])
    T.check(code == 200 and body == {"alerts": [], "next": stream[-1][0]},
            "since=<last id>: nothing newer yet")
    return stream


def check_odd_entries(port, rc, stream):
    aid = json.loads(stream[0][1]["alert"])["picket"]["alert_id"]
    rc.cmd("DEL", "picket:alert:" + aid)
    rc.cmd("XADD", "picket:alerts", "*", "alert", "{not json")
    rc.cmd("XADD", "picket:alerts", "*", "other", "x")
    code, body = api(port, "?limit=1000")
    T.check(code == 200 and body["alerts"][0]["count"] is None,
            "an expired alert record gives count null")
    T.check([e["alert"] for e in body["alerts"][-2:]] == [None, None] and
            [e["count"] for e in body["alerts"][-2:]] == [None, None],
            "entries without a parseable alert give alert null, count null")
    for i in range(45):
        rc.cmd("XADD", "picket:alerts", "*", "other", str(i))
    ids = [sid for sid, _ in T.stream_entries(rc, "picket:alerts")]
    code, body = api(port)
    T.check(code == 200 and len(ids) == 107 and [e["id"] for e in body["alerts"]] == ids[7:],
            "no parameters at all: the newest 100 of %d entries, oldest first" % len(ids))


def check_exercise_api(port, rc):
    code, body = T.curl("http://127.0.0.1:%d/api/exercises" % port)
    T.check(code == 200 and json.loads(body) == {"exercises": []}, "/api/exercises: none yet")
    code, body = api(port, "?exercise=drill-7")
    T.check(code == 200 and body == {"alerts": [], "next": "0-0"},
            "an exercise without alerts: empty")
    ids = []
    for i in range(1, 121):
        a = T.make_alert("s-1", 500 + i, "domain", "ex%d.example" % i)
        a["picket"]["alert_id"] = "s-1:%d" % (500 + i)
        a["picket"]["exercise"] = "drill-7"
        ids.append(rc.cmd("XADD", "picket:exercise:drill-7:alerts", "*", "alert", json.dumps(a)))
        rc.cmd("HSET", "picket:exercise:drill-7:alert:s-1:%d" % (500 + i), "count", str(i))
    for name in ("drill-7", "Alpha.2", "bad name!", "x" * 65):
        rc.cmd("SADD", "picket:exercises", name)
    code, body = api(port, "?exercise=drill-7")
    T.check(code == 200 and [e["id"] for e in body["alerts"]] == ids[20:],
            "exercise=drill-7 alone: its newest 100 of 120 entries, oldest first")
    code, body = api(port, "?exercise=drill-7&limit=5")
    T.check(code == 200 and [e["id"] for e in body["alerts"]] == ids[-5:] and
            [e["count"] for e in body["alerts"]] == [116, 117, 118, 119, 120] and
            all(e["alert"]["picket"]["exercise"] == "drill-7" for e in body["alerts"]),
            "exercise=drill-7&limit=5: its newest 5 entries with their records' counts")
    code, body = api(port, "?exercise=drill-7&since=%s" % ids[3])
    T.check(code == 200 and [e["id"] for e in body["alerts"]] == ids[4:104],
            "exercise=drill-7&since=<id>: the 100 after it")
    code, body = api(port, "?exercise=Alpha.2")
    T.check(code == 200 and body["alerts"] == [], "another exercise: its own (empty) stream")
    code, live = api(port, "?limit=1000")
    T.check(code == 200 and not any(e["alert"] and e["alert"]["picket"].get("exercise")
                                    for e in live["alerts"]),
            "the live answer holds no exercise alert (%d entries)" % len(live["alerts"]))
    code, body = T.curl("http://127.0.0.1:%d/api/exercises" % port)
    T.check(code == 200 and json.loads(body) == {"exercises": ["Alpha.2", "drill-7"]},
            "/api/exercises: the 2 well-formed names, sorted (2 bad ones left out)")
    code, body = T.curl("http://127.0.0.1:%d/api/exercises?x=1" % port)
    T.check(code == 400 and "no parameters" in body, "/api/exercises?x=1 -> 400")


def check_stream_filter(port, http_port, tmp):
    """One live and one exercise stream client; live, drill-7 and other
    exercise alerts sent: each client gets only its own."""
    base = "http://127.0.0.1:%d/api/stream" % http_port
    for q in ("?exercise=", "?exercise=bad/name", "?exercise=" + "x" * 65, "?foo=1",
              "?exercise=a&exercise=b"):
        code, body = T.curl(base + q, max_time=2)
        T.check(code == 400 and "exercise=NAME" in body, "/api/stream%s -> 400" % q)
    files = {k: tmp.join("sse-%s.txt" % k) for k in ("live", "drill")}
    procs = [subprocess.Popen(["curl", "-sN", "-m", "60", base + q], stdout=open(files[k], "w"),
                              stderr=subprocess.DEVNULL)
             for k, q in (("live", ""), ("drill", "?exercise=drill-7"))]
    try:
        T.wait_for(lambda: T.metrics(http_port)["picket_collector_sse_clients"] == 2,
                   what="2 stream clients")
        s = T.Sensor(port, name="s-2")
        s.hello()
        items = []
        for i in range(1, 10):
            a = T.make_alert("s-2", i, "domain", "sse%d.example" % i, community_id="1:sse-%d" % i)
            if i % 3 == 1:
                a["picket"]["exercise"] = "drill-7"
            elif i % 3 == 2:
                a["picket"]["exercise"] = "other"
            items.append((i, a))
        T.check(s.alerts(items) == 9, "9 alerts acknowledged (3 live, 3 drill-7, 3 other)")
        s.close()
        T.wait_for(lambda: len(T.sse_events(files["live"])) >= 3 and
                   len(T.sse_events(files["drill"])) >= 3, what="stream events")
        time.sleep(0.5)
        got = {k: [d["picket"]["observed"] for e, d in T.sse_events(f) if e == "alert"]
               for k, f in files.items()}
        T.check(got["live"] == ["sse%d.example" % i for i in (3, 6, 9)],
                "/api/stream: the 3 live alerts only: %s" % got["live"])
        T.check(got["drill"] == ["sse%d.example" % i for i in (1, 4, 7)],
                "/api/stream?exercise=drill-7: its 3 alerts only: %s" % got["drill"])
    finally:
        for p in procs:
            p.kill()
            p.wait()


BAD = [
    ("?since=abc", "since"), ("?since=1-2-3", "since"), ("?since=", "since"),
    ("?since=-5", "since"), ("?since=99999999999999999999", "since"),
    ("?since=1&since=2", "since"), ("?limit=0", "limit"), ("?limit=1001", "limit"),
    ("?limit=ten", "limit"), ("?limit=5&limit=6", "limit"), ("?foo=1", "unknown parameter"),
    ("?exercise=", "exercise"), ("?exercise=a%2Fb", "exercise"), ("?exercise=" + "x" * 65,
                                                                  "exercise"),
    ("?exercise=a&exercise=b", "exercise"),
    ("?since", "malformed"),
]


def check_bad(port):
    for q, word in BAD:
        code, body = api(port, q)
        T.check(code == 400 and isinstance(body, dict) and word in body.get("error", ""),
                "%s -> 400 naming %s" % (q, word))


def check_assets(port):
    base = "http://127.0.0.1:%d" % port
    for path, ctype in (("/", "text/html"), ("/board", "text/html"),
                        ("/board.js", "text/javascript"), ("/board.css", "text/css")):
        p = subprocess.run(["curl", "-s", "-D", "-", "-o", "/dev/null", base + path],
                           capture_output=True, text=True)
        T.check(" 200 " in p.stdout.splitlines()[0] and ("Content-Type: " + ctype) in p.stdout
                and "Content-Security-Policy: default-src 'self';" in p.stdout,
                "%s served as %s with CSP default-src 'self'" % (path, ctype))
    code, body = T.curl(base + "/")
    T.check("<script" in body and "<script>" not in body and "style=" not in body and
            "http://" not in body and "https://" not in body,
            "the page has no inline script or style and no external URL")
    T.check(T.curl(base + "/favicon.ico")[0] == 204, "/favicon.ico: 204")
    code, body = T.curl(base + "/nope")
    T.check(code == 404 and "/api/alerts" in body, "unknown path: 404 naming the routes")


def check_waiting(port, redis):
    """Queries waiting on a frozen Redis: the client gives up first."""
    redis.proc.send_signal(signal.SIGSTOP)
    try:
        code, _ = T.curl("http://127.0.0.1:%d/api/alerts?limit=5" % port, max_time=1)
        T.check(code == 0, "a query waiting on a frozen Redis: the client gives up")
    finally:
        redis.proc.send_signal(signal.SIGCONT)
    T.wait_for(lambda: api(port, "?limit=1")[0] == 200, what="the API answering again")
    T.check(True, "Redis thawed: the late reply is dropped, the API answers again")


def check_stop_while_waiting(rig, redis):
    redis.proc.send_signal(signal.SIGSTOP)
    curl = subprocess.Popen(["curl", "-s", "-m", "10", "http://127.0.0.1:%d/api/alerts"
                             % rig.collector.http_port], stdout=subprocess.DEVNULL)
    try:
        time.sleep(0.5)
        rc = rig.stop_collector()
    finally:
        redis.proc.send_signal(signal.SIGCONT)
        curl.wait()
    T.check(rc == 0, "collector stopped while a query waits on Redis: exits 0")


def run(rig):
    tmp = rig.tmp
    redis = rig.redis = T.Redis(tmp).start()
    collector = rig.collector = T.Collector(tmp, redis.port, None, extra=["--insecure"],
                                            http=True).start()
    port = collector.http_port
    check_assets(port)
    code, body = api(port)
    T.check(code == 200 and body == {"alerts": [], "next": "0-0"},
            "empty stream: no entries, next 0-0")
    send_alerts(collector.port)
    rc = redis.client()
    stream = check_entries(port, rc)
    check_odd_entries(port, rc, stream)
    check_exercise_api(port, rc)
    check_stream_filter(collector.port, port, tmp)
    check_bad(port)
    redis.stop()
    T.wait_for(lambda: api(port)[0] == 503, what="503 while Redis is away")
    code, body = api(port)
    T.check(code == 503 and "redis" in body.get("error", ""), "Redis away: 503 with a reason")
    redis.start()
    T.wait_for(lambda: api(port)[0] == 200, timeout=20, what="200 once Redis is back")
    T.check(True, "Redis back: 200 again")
    check_waiting(port, redis)
    check_stop_while_waiting(rig, redis)


def main():
    T.require_tools()
    return T.run_test("alerts-api", run)


if __name__ == "__main__":
    sys.exit(main())
