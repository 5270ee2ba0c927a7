#!/usr/bin/env python3
"""test_collector_dedup.py - many sensors, overlapping alerts, exactly once.

Why it exists: the collector's promise is that the stream holds each
unique alert once however many sensors (of however many partners) report
it and however often they resend. Three sensors of two partners send
overlapping alerts concurrently; the test computes the expected result
from the dedup rule itself (indicator x community_id, names compared
case-insensitively, URLs case-sensitively) and checks the stream, the
per-alert counts and partner sets, one sighting per shared indicator, the
-o file and /metrics. Then the collector is restarted and every batch is
replayed: nothing new may appear. Finally the indicator x src_ip x dest_ip
rule is checked on its own prefix.
"""
import collections
import json
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from collector_testlib import (Collector, Redis, Sensor, TempDir, check, make_alert,  # noqa: E402
                               make_certs, metrics, require_tools, stream_entries)

SENSORS = {"s1": "UK", "s2": "UK", "s3": "JP"}
BATCH = 7


def alerts_for(name, first_seq, specs):
    """specs: [(type, value, community_id)] -> [(seq, alert)]"""
    return [(first_seq + i, make_alert(name, first_seq + i, t, v, cid))
            for i, (t, v, cid) in enumerate(specs)]


def plan():
    dom = lambda j: ("domain", "evil%d.example" % (j % 10), "1:flow%d=" % j)  # noqa: E731
    s1 = [dom(j) for j in range(30)] + [dom(5), dom(6)]            # re-alerts: duplicates
    s1 += [("url", "http://x.example/A", "1:url="), ("ja3", "ada70206e40642a3e4461f35503241d5",
                                                      "1:ja3=")]
    s2 = [dom(j) for j in range(20, 50)]                           # overlaps s1 on 20..29
    s3 = [("domain", "EVIL%d.Example" % (j % 10), "1:flow%d=" % j) for j in range(0, 10)]
    s3 += [dom(j) for j in range(40, 60)]                          # overlaps s2 on 40..49
    s3 += [("domain", "jp-only%d.example" % k, "1:jp%d=" % k) for k in range(5)]
    s3 += [("url", "http://x.example/a", "1:url=")]                # other case: other key
    return {"s1": alerts_for("s1", 1, s1), "s2": alerts_for("s2", 1000, s2),
            "s3": alerts_for("s3", 1, s3)}


def ind_key(alert):
    ind = alert["picket"]["indicator"]
    v = ind["value"] if ind["type"] == "url" else ind["value"].lower()
    return ind["type"] + "|" + v


def expected(p):
    groups = collections.OrderedDict()
    ind_partners = collections.defaultdict(set)
    for name, items in p.items():
        for seq, a in items:
            k = ind_key(a) + "|" + a["community_id"]
            groups.setdefault(k, []).append((name, SENSORS[name]))
            ind_partners[ind_key(a)].add(SENSORS[name])
    shared = {k for k, parts in ind_partners.items() if len(parts) >= 2}
    return groups, shared


def batches(items):
    return [items[i:i + BATCH] for i in range(0, len(items), BATCH)]


def run_sensor(port, pki, name, items, results, replay=False):
    try:
        s = Sensor(port, pki, name)
        w = s.hello(last_acked=items[-1][0] if replay else 0)
        acks = [s.alerts(b) for b in batches(items)]
        s.close()
        results[name] = (w, acks)
    except Exception as e:  # reported by the main thread
        results[name] = e


def send_all(port, pki, p, replay=False):
    results = {}
    threads = [threading.Thread(target=run_sensor, args=(port, pki, n, items, results, replay))
               for n, items in p.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    for name, r in results.items():
        if isinstance(r, Exception):
            raise AssertionError("sensor %s failed: %r" % (name, r))
    return results


def check_stream(rc, p, groups):
    entries = stream_entries(rc, "picket:alerts")
    check(len(entries) == len(groups), "stream holds exactly the %d unique alerts (of %d sent)"
          % (len(groups), sum(len(v) for v in p.values())))
    keys = set()
    for _, f in entries:
        a = json.loads(f["alert"])
        pk = a["picket"]
        if pk["partner"] != SENSORS.get(pk["sensor"]) or not pk["alert_id"].startswith(
                pk["sensor"] + ":"):
            raise AssertionError("identity not stamped by the collector: %r" % pk)
        keys.add(ind_key(a) + "|" + a["community_id"])
    check(keys == set(groups), "stream entries are one per dedup key, identities stamped")


def check_records(rc, groups):
    bad = 0
    for k, members in groups.items():
        first = rc.cmd("GET", "picket:dedup:" + k)
        h = rc.cmd("HGETALL", "picket:alert:" + first)
        rec = dict(zip(h[0::2], h[1::2]))
        parts = set(rc.cmd("SMEMBERS", "picket:alert:%s:partners" % first))
        sens = set(rc.cmd("SMEMBERS", "picket:alert:%s:sensors" % first))
        if (int(rec["count"]) != len(members) or parts != {m[1] for m in members}
                or sens != {m[0] for m in members}):
            bad += 1
            print("mismatch for %s: %r %r %r" % (k, rec, parts, sens))
    dups = sum(len(m) - 1 for m in groups.values())
    check(bad == 0, "count, sensors and partners right for all %d alerts (%d duplicates folded)"
          % (len(groups), dups))


def check_sightings(rc, shared):
    entries = stream_entries(rc, "picket:sightings")
    seen = collections.Counter()
    for _, f in entries:
        s = json.loads(f["sighting"])
        seen[s["indicator"]["type"] + "|" + s["indicator"]["value"]] += 1
        if sorted(s["partners"]) != ["JP", "UK"] or set(s["first_alerts"]) != {"JP", "UK"}:
            raise AssertionError("bad sighting %r" % s)
    check(set(seen) == shared and all(v == 1 for v in seen.values()),
          "exactly one sighting for each of the %d indicators shared by UK and JP"
          % len(shared))


def check_acks(results, p, replay):
    for name, (welcome, acks) in results.items():
        want = [b[-1][0] for b in batches(p[name])]
        if acks != want:
            raise AssertionError("%s acks %r != %r" % (name, acks, want))
        applied = p[name][-1][0] if replay else 0
        if welcome["applied"] != applied:
            raise AssertionError("%s welcome applied %r != %r" % (name, welcome, applied))
    check(True, "every batch acked with its highest seq; welcome 'applied' right (%s)"
          % ("after restart" if replay else "first connection"))


def check_metrics(col, total, unique, retrans):
    m = metrics(col.http_port)
    got = (m["picket_collector_alerts_received_total"], m["picket_collector_alerts_unique_total"],
           m["picket_collector_alerts_duplicate_total"],
           m["picket_collector_alerts_retransmitted_total"])
    want = (total, unique if not retrans else 0, total - unique if not retrans else 0,
            total if retrans else 0)
    check(got == want, "/metrics received/unique/duplicate/retransmitted = %r" % (want,))


def check_addr_rule(tmp, redis, pki):
    col = Collector(tmp, redis.port, pki, name="addr",
                    extra=["--redis-prefix", "addr:", "--dedup-key", "indicator,src_ip,dest_ip"])
    col.start()
    s = Sensor(col.port, pki, "s1")
    s.hello()
    items = [(i + 1, make_alert("s1", i + 1, "domain", "evil.example", "1:c%d=" % i,
                                src="10.0.0.%d" % (i % 3), dst="203.0.113.7"))
             for i in range(12)]
    s.alerts(items)
    s.close()
    rc = redis.client()
    n = rc.cmd("XLEN", "addr:alerts")
    check(n == 3, "indicator,src_ip,dest_ip rule: 12 alerts over 3 address pairs -> %d unique" % n)
    check(col.stop() == 0, "collector (addr rule) exited cleanly")


def main():
    require_tools()
    tmp = TempDir("dedup")
    redis = Redis(tmp).start()
    pki = tmp.join("pki")
    make_certs(pki, ["%s:%s" % kv for kv in SENSORS.items()])
    out = tmp.join("unique.jsonl")
    p = plan()
    groups, shared = expected(p)
    total = sum(len(v) for v in p.values())
    try:
        col = Collector(tmp, redis.port, pki, http=True, extra=["-o", out]).start()
        check_acks(send_all(col.port, pki, p), p, replay=False)
        rc = redis.client()
        check_stream(rc, p, groups)
        check_records(rc, groups)
        check_sightings(rc, shared)
        check_metrics(col, total, len(groups), retrans=False)
        lines = open(out).read().splitlines()
        check(len(lines) == len(groups), "-o wrote %d unique alerts" % len(lines))
        check(col.stop() == 0, "collector exited cleanly on SIGTERM")

        col = Collector(tmp, redis.port, pki, http=True, extra=["-o", out], name="c2").start()
        check_acks(send_all(col.port, pki, p, replay=True), p, replay=True)
        check(rc.cmd("XLEN", "picket:alerts") == len(groups),
              "replay after restart: stream still %d entries, no duplicates" % len(groups))
        check(rc.cmd("XLEN", "picket:sightings") == len(shared), "replay: no new sightings")
        check_metrics(col, total, len(groups), retrans=True)
        check(len(open(out).read().splitlines()) == len(groups), "replay: -o unchanged")
        check(col.stop() == 0, "restarted collector exited cleanly")
        check_addr_rule(tmp, redis, pki)
    except Exception:
        for name in ("collector", "c2", "addr"):
            if os.path.exists(tmp.join(name + ".log")):
                print("--- %s log\n%s" % (name, open(tmp.join(name + ".log")).read()[-4000:]))
        raise
    finally:
        redis.stop()
    tmp.cleanup()
    print("PASS: %d alerts from 3 sensors -> %d unique, %d duplicates, %d sightings"
          % (total, len(groups), total - len(groups), len(shared)))


if __name__ == "__main__":
    main()
