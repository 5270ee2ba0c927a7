#!/usr/bin/env python3
"""test_fault_spool_full.py - the spool bound reached while the collector
is down.

Why it exists: "Collector unreachable: sensor keeps capturing and spooling
(bounded by size; when full, the oldest spooled alerts are dropped and
counted loudly)" (DESIGN.md, Failure stance). This is the one fault where
alerts may be lost, so the loss must be exactly what the sensor says it
dropped. A real picket-sensor with --spool-max 1 (1 MiB, segments of
256 KiB) replays a picket-gen capture paced over about 25 s (thousands of
alerts of about 800 bytes, far more than 1 MiB) while its collector is not
running; the collector starts once the replay is over, while the sensor
waits (--drain-timeout) for its spool to be acknowledged, and the sensor
finds it at its next retry. Checked:
- the sensor keeps working: it raises every alert of the capture (-o
  equals alerts.raised), exits 0 with every remaining alert acknowledged;
- the drops are counted (--stats spool.dropped_alerts > 0, already while
  the collector is unreachable, read with SIGUSR1 during the replay) and logged
  ("DROPPED ... unacknowledged alerts");
- dropped + delivered == raised, where delivered is what Redis applied
  (the sensor's dedup keys are distinct, so each applied alert is one
  stream entry with the sensor's own alert_id);
- what is missing is the oldest of what was spooled: the missing seqs form
  one contiguous run from the first alert raised;
- nothing delivered twice (0 duplicate keys or alert_ids), nothing in the
  stream that was not raised.
The collector comes back when no more alerts arrive: with alerts still
arriving, the full spool drops its oldest segment while it is in flight,
and an alert then applied is counted as dropped and delivered both (the
counter overstates the loss by at most what was in flight; README,
Reliability), which would make the sum above inexact.
"""
import collections
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import collector_testlib as T  # noqa: E402
import fault_testlib as F  # noqa: E402

STREAM_S = 25.0
OUTAGE_S = STREAM_S + 3.0     # the collector starts after the replay
SID = "s-uk"


def runs(flags):
    """Number of maximal runs of True in a list."""
    n, prev = 0, False
    for f in flags:
        if f and not prev:
            n += 1
        prev = f
    return n


def main():
    F.require_tools()
    ck = F.Checks("test_fault_spool_full")
    F.exit_on_sigterm()
    tmp = T.TempDir("fault-spool-full")
    redis = col = s = None
    try:
        pki = tmp.join("pki")
        T.make_certs(pki, [SID + ":UK"])
        ind = F.make_indicators(tmp)
        cap = F.make_capture(tmp, ind, seed=51)
        speed = round(F.pcap_span(cap) / STREAM_S, 2)
        redis = F.FaultRedis(tmp).start()
        col = F.FaultCollector(tmp, redis.port, pki, name="collector1")   # not started yet
        s = F.SensorProc(tmp, pki, SID, cap, ind, col.addr, speed=speed, drain=90,
                         extra=["--spool-max", "1"]).start()
        t0 = time.monotonic()
        F.log("sensor started with --spool-max 1, collector %s not running; replay speed %.2f"
              % (col.addr, speed))
        F.at(t0, STREAM_S - 5.0)
        c1 = s.usr1()                   # while it still captures (SIGUSR1 is served there)
        F.log("t=%.1f s: sensor so far: raised %s, dropped %s" % (
            time.monotonic() - t0, c1.get("alerts.raised"), c1.get("spool.dropped_alerts", 0)))
        F.at(t0, STREAM_S + 1.0)
        c2 = s.usr1()                   # waiting for the collector (--drain-timeout)
        F.at(t0, OUTAGE_S)
        col.start()
        F.log("collector up at t=%.1f s" % (time.monotonic() - t0))
        rc = s.wait(150)
        F.log("sensor done at t=%.1f s, exit %s" % (time.monotonic() - t0, rc))

        alerts, torn = s.raised()
        st = s.stats()
        err = s.stderr()
        dropped = st.get("spool.dropped_alerts", 0)
        drop_logs = [l for l in err.splitlines() if "DROPPED" in l]
        dump = redis.dump()
        entries = [e for e in dump["entries"] if e["sensor"] == SID]
        applied = sum(e["count"] for e in entries)
        raised_keys = collections.Counter(F.dedup_key(a) for a in alerts)
        delivered_ids = {e["alert_id"] for e in entries}
        order = sorted(alerts, key=lambda a: F.seq_of(a["picket"]["alert_id"]))
        missing = [a["picket"]["alert_id"] not in delivered_ids for a in order]
        print("raised %d (alerts.raised %s), distinct dedup keys %d; delivered (applied in Redis) "
              "%d in %d stream entries; spool.dropped_alerts %d; missing from the stream %d in %d "
              "contiguous run(s); %d DROPPED log line(s), first: %s" % (
                  len(alerts), st.get("alerts.raised"), len(raised_keys), applied, len(entries),
                  dropped, sum(missing), runs(missing), len(drop_logs),
                  drop_logs[0] if drop_logs else None), flush=True)
        ck.check(s.all_acked(rc), "the sensor kept working and exited 0 with every remaining "
                 "alert acknowledged")
        ck.check(st.get("alerts.raised") == len(alerts) > 1000 and torn == 0,
                 "the sensor raised every alert of its capture while the spool was full (%d)"
                 % len(alerts))
        ck.check(len(raised_keys) == len(alerts),
                 "the sensor's dedup keys are distinct, so delivered alerts are stream entries")
        ck.check(dropped > 0, "the oldest alerts were dropped and counted (spool.dropped_alerts "
                 "%d)" % dropped)
        ck.check(bool(drop_logs), "the drop is logged (%d line(s))" % len(drop_logs))
        ck.check(c1.get("spool.dropped_alerts", 0) > 0,
                 "alerts were dropped while the collector was unreachable (%s by t=%.0f s)"
                 % (c1.get("spool.dropped_alerts", 0), STREAM_S - 5.0))
        ck.check(c2.get("alerts.raised") == len(alerts),
                 "SIGUSR1 is served while the sensor waits for its collector after the replay "
                 "(raised %s)" % c2.get("alerts.raised"))
        ck.check(dropped + applied == len(alerts),
                 "dropped + delivered == raised (%d + %d = %d, raised %d)"
                 % (dropped, applied, dropped + applied, len(alerts)))
        ck.check(sum(missing) == dropped,
                 "the alerts missing from the stream are exactly as many as were dropped "
                 "(%d missing, %d dropped)" % (sum(missing), dropped))
        ck.check(runs(missing) == 1 and missing[0],
                 "the missing alerts are the oldest spooled: %d contiguous run(s) from the first "
                 "raised" % runs(missing))
        ck.check(all(e["count"] == 1 for e in entries) and
                 len(delivered_ids) == len(entries) == len({tuple(e["key"]) for e in entries}),
                 "0 duplicates: every delivered alert applied once, no key or alert_id twice")
        ck.check(all(tuple(e["key"]) in raised_keys for e in entries),
                 "nothing in the stream that was not raised")
        ck.check(col.stop() == 0, "the collector stops cleanly")
        col = None
    except Exception:
        ck.error("unexpected error")
    finally:
        F.teardown(tmp, col, redis)
    return ck.finish()


if __name__ == "__main__":
    sys.exit(main())
