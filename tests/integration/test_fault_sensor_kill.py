#!/usr/bin/env python3
"""test_fault_sensor_kill.py - a sensor SIGKILLed with alerts spooled but
not acknowledged.

Why it exists: the spool is the sensor's promise: "every alert is written
here before it can be sent, and removed once the collector acknowledges
it", and a restarted sensor resends what is still spooled. A SIGKILL gives
the sensor no chance to flush, fsync or write its state file.

What -o proves after a SIGKILL, precisely: sensor/main.c write_alert()
appends the alert to the spool (pk_uplink_submit -> pk_spool_append, one
writev(2) into the page cache) *before* it writes the -o line, and -o is
line-buffered (setvbuf _IOLBF), so a complete -o line reaches the file only
after the alert's spool record was written. A SIGKILL loses nothing the
process wrote into the page cache (only a machine crash could, and the
uplink fsyncs before sending). So every complete -o line of the killed run
is in the spool or was already applied, and it must reach the stream; the
converse is not true: the alert being handled at the instant of the kill
may be spooled (and delivered) without its -o line, so at most one alert
in the spool is missing from -o. (A spool append that fails is counted as
spool.write_errors and would be in -o only; none is expected here.)

Two scenarios at the same time, sharing a real redis-server, each with its
own picket-collector and a real picket-sensor replaying a picket-gen
capture paced over about 40 s:
- frozen: the collector is SIGSTOPped 8 s in (the sensor's batches are on
  the wire, no ack comes back); 10 s later the sensor is SIGKILLed; the
  spool is read independently (CRC-checked records) and compared with -o
  and with the seq Redis has applied; the collector is SIGCONTed and the
  sensor restarted on the same spool with a capture that raises nothing,
  just to drain it;
- down: the collector is SIGKILLed 8 s in (the sensor reconnects with
  backoff, spooling); 10 s later the sensor is SIGKILLed; a new collector
  starts on the same port, and the sensor restarts on the same spool
  replaying its whole capture again (the remainder and what it had
  already raised, as an operator restarting a replay would).
Checked: the restarted sensor says how many alerts it resends, exits 0 with
everything acknowledged; every alert of the killed run's -o reaches the
stream (0 lost), no dedup key or alert_id twice (0 duplicates), every
raised alert applied exactly once (repeat counts; in "down" the re-raised
ones count twice), and nothing in the stream that was not raised or in the
spool at the kill.
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import collector_testlib as T  # noqa: E402
import fault_testlib as F  # noqa: E402

STREAM_S = 40.0
FAULT_AT = 8.0
KILL_AFTER = 10.0


def scenario(ck, name, tmp, pki, ind, redis, sid, seed, frozen):
    cap = F.make_capture(tmp, ind, seed=seed)
    speed = round(F.pcap_span(cap) / STREAM_S, 2)
    col = F.FaultCollector(tmp, redis.port, pki, name="collector-" + name).start()
    s1 = F.SensorProc(tmp, pki, sid, cap, ind, col.addr, speed=speed, drain=60).start()
    t0 = time.monotonic()
    try:
        F.at(t0, FAULT_AT)
        if frozen:
            col.freeze()
        else:
            col.kill()
        F.log("%s: collector %s at t=%.1f s (raised so far %d)" % (
            name, "SIGSTOPped" if frozen else "SIGKILLed", time.monotonic() - t0,
            s1.raised_count()))
        F.at(t0, FAULT_AT + KILL_AFTER)
        s1.kill()
        t_kill = time.monotonic()
        alerts1, torn = s1.raised()
        recs, state, bad = F.read_spool(s1.spool)
        applied = F.dump_local(redis.port)["applied"].get(sid, 0)
        seqs1 = {F.seq_of(a["picket"]["alert_id"]) for a in alerts1}
        unapplied = {q for q in recs if q > applied}
        in_o_only = {q for q in seqs1 if q > applied and q not in recs}
        in_spool_only = {q for q in unapplied if q not in seqs1}
        print("%s: sensor SIGKILLed at t=%.1f s: -o has %d complete alerts (%d torn bytes); "
              "spool has %d records (%d damaged), state acked %s; Redis applied up to seq %d; "
              "spooled and not applied: %d; raised (-o) and neither applied nor spooled: %d; "
              "spooled but not in -o: %d" % (
                  name, t_kill - t0, len(alerts1), torn, len(recs), bad, state.get("acked"),
                  applied, len(unapplied), len(in_o_only), len(in_spool_only)), flush=True)
        ck.check(len(unapplied) > 500,
                 "%s: the kill left alerts spooled and unacknowledged (%d)"
                 % (name, len(unapplied)))
        ck.check(not in_o_only,
                 "%s: every alert of -o was already applied or is in the spool (%d are not)"
                 % (name, len(in_o_only)))
        ck.check(len(in_spool_only) <= 1 and all(q > max(seqs1) for q in in_spool_only),
                 "%s: at most the one alert being written at the kill is spooled without its "
                 "-o line (%d)" % (name, len(in_spool_only)))
        ck.check(bad == 0, "%s: no damaged spool record after SIGKILL (%d)" % (name, bad))
        allow = [F.dedup_key(json.loads(recs[q])) for q in in_spool_only]

        if frozen:
            col.thaw()
            pcap2 = F.write_idle_pcap(tmp.join("idle.pcap"))
        else:
            col = col.again("collector-%s-2" % name).start()
            pcap2 = cap
        s2 = F.SensorProc(tmp, pki, sid, pcap2, ind, col.addr, run=2, drain=60).start()
        rc = s2.wait(120)
        alerts2, _ = s2.raised()
        err = s2.stderr()
        said = [l for l in err.splitlines() if "unacknowledged alerts to resend" in l]
        st = s2.stats()
        print("%s: restarted sensor: exit %s in %.1f s, raised %d, says %r, sent %d, resent %d"
              % (name, rc, s2.t_end - s2.t_start, len(alerts2), said[0] if said else None,
                 st.get("uplink.alerts_sent", 0), st.get("uplink.alerts_resent", 0)), flush=True)
        ck.check(s2.all_acked(rc), "%s: the restarted sensor exited 0 with every alert "
                 "acknowledged" % name)
        ck.check(bool(said), "%s: the restarted sensor logs the spooled alerts it resends" % name)
        ck.check(st.get("spool.corrupt_records", 0) == 0 and st.get("spool.dropped_alerts", 0) == 0,
                 "%s: nothing corrupt or dropped in the spool" % name)
        if frozen:
            ck.check(not alerts2, "%s: the drain run raised nothing (%d)" % (name, len(alerts2)))
        m = col.metrics()
        print("%s: collector: received %d, unique %d, duplicate %d, retransmitted %d"
              % (name, m.get("alerts_received_total", 0), m.get("alerts_unique_total", 0),
                 m.get("alerts_duplicate_total", 0), m.get("alerts_retransmitted_total", 0)))
        dump = redis.dump()
        dump["entries"] = [e for e in dump["entries"] if e["sensor"] == sid]
        # the alert spooled without its -o line (if any) was raised too
        extra_alerts = [json.loads(recs[q]) for q in in_spool_only]
        F.check_exactly_once(ck, name, {sid: alerts1 + extra_alerts + alerts2}, dump,
                             allow_extra=allow)
        lost1 = {F.dedup_key(a) for a in alerts1} - {tuple(e["key"]) for e in dump["entries"]}
        ck.check(not lost1, "%s: every alert of the killed run's -o is in the stream (%d missing)"
                 % (name, len(lost1)))
        ck.check(col.stop() == 0, "%s: the collector stops cleanly" % name)
    finally:
        for s in (s1,):
            if s.running():
                s.kill()
        if col.proc:
            col.thaw()
            col.stop()


def main():
    F.require_tools()
    ck = F.Checks("test_fault_sensor_kill")
    F.exit_on_sigterm()
    tmp = T.TempDir("fault-sensor-kill")
    redis = None
    try:
        pki = tmp.join("pki")
        T.make_certs(pki, ["k-uk:UK", "k-jp:JP"])
        ind = F.make_indicators(tmp)
        redis = F.FaultRedis(tmp).start()
        F.in_parallel(ck, [
            ("frozen", scenario, (ck, "frozen", tmp, pki, ind, redis, "k-uk", 41, True)),
            ("down", scenario, (ck, "down", tmp, pki, ind, redis, "k-jp", 42, False))])
    except Exception:
        ck.error("unexpected error")
    finally:
        F.teardown(tmp, redis)
    return ck.finish()


if __name__ == "__main__":
    sys.exit(main())
