#!/usr/bin/env python3
"""test_fault_collector_kill.py - the collector is SIGKILLed mid-stream.

Why it exists: "Collector killed: sensors resend unacked alerts; the
retransmit check keeps the stream free of duplicates" (DESIGN.md, Failure
stance). Three real picket-sensor processes of two partners (uk-1 and uk-2
replay the same picket-gen capture, so their alerts are also folded across
sensors; jp-1 replays another) send thousands of alerts, paced over about
45 s, over mutual TLS to a real picket-collector writing to a real
redis-server. About a third of the way in the collector is SIGKILLed (no
chance to finish a batch or send an ack) and a new collector process is
started 5 s later on the same port and Redis. Checked:
- the sensors reconnect by themselves (all three are connected to the new
  collector again; each counts a disconnect and a second connect), exit 0
  and have every alert acknowledged;
- a second kill, about two thirds in, is aimed at the window between
  Redis applying a batch and the sensor receiving the ack: Redis is frozen
  (SIGSTOP) for 2 s, the collector is SIGKILLed in the middle of it with
  batch scripts queued in Redis, Redis resumes and runs them for a
  collector that no longer exists, and a third collector starts 5 s after
  the kill. Its welcome must tell the sensors those alerts are applied
  (welcome 'applied' above the hello's last_acked), so they are not
  published again;
- against the sensors' -o copies: every raised alert's dedup key
  (indicator type|value + community_id) is in picket:alerts (0 lost), no
  dedup key and no alert_id is there twice (0 duplicates), and every
  entry's repeat count and sensor set equal the raised alerts with that key
  (each alert applied exactly once, none dropped as a false retransmit).
"""
import os
import re
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import collector_testlib as T  # noqa: E402
import fault_testlib as F  # noqa: E402

SENSORS = [("uk-1", "UK"), ("uk-2", "UK"), ("jp-1", "JP")]
STREAM_S = 45.0       # replay time of each capture
KILL_AT = 15.0        # s after the sensors start
DOWN_S = 5.0
KILL2_AT = 28.0       # second kill, inside a 2 s Redis freeze


def applied_unacked(log):
    """{sensor: (last_acked in its first hello, applied in its welcome)}."""
    hello = re.findall(r"sensor (\S+) \(partner [^)]*\) hello, version \S+, last_acked (\d+)", log)
    welcome = re.findall(r"sensor (\S+): welcomed, resume after seq (\d+)", log)
    h, w = {}, {}
    for sid, v in hello:
        h.setdefault(sid, int(v))
    for sid, v in welcome:
        w.setdefault(sid, int(v))
    return {sid: (h[sid], w[sid]) for sid in h if sid in w}


def main():
    F.require_tools()
    ck = F.Checks("test_fault_collector_kill")
    F.exit_on_sigterm()
    tmp = T.TempDir("fault-collector-kill")
    redis = col = None
    try:
        pki = tmp.join("pki")
        T.make_certs(pki, ["%s:%s" % s for s in SENSORS])
        ind = F.make_indicators(tmp)
        cap_a = F.make_capture(tmp, ind, seed=11)
        cap_b = F.make_capture(tmp, ind, seed=12)
        speed = round(F.pcap_span(cap_a) / STREAM_S, 2)
        redis = F.FaultRedis(tmp).start()
        col = F.FaultCollector(tmp, redis.port, pki, name="collector1").start()
        F.log("redis :%d, collector :%d, replay speed %.2f" % (redis.port, col.port, speed))

        caps = {"uk-1": cap_a, "uk-2": cap_a, "jp-1": cap_b}
        sensors = [F.SensorProc(tmp, pki, sid, caps[sid], ind, col.addr, speed=speed).start()
                   for sid, _ in SENSORS]
        t0 = time.monotonic()
        F.at(t0, KILL_AT)
        at_kill = {s.sid: s.raised_count() for s in sensors}
        col.kill()
        t_kill = time.monotonic()
        F.log("collector SIGKILLed at t=%.1f s; alerts raised so far %s" % (t_kill - t0, at_kill))
        F.at(t_kill, DOWN_S)
        col = col.again("collector2").start()
        t_up = time.monotonic()
        F.log("collector restarted on the same port at t=%.1f s (down %.1f s)"
              % (t_up - t0, t_up - t_kill))
        try:
            T.wait_for(lambda: col.metrics().get("sensors_connected") == len(SENSORS),
                       timeout=60, step=0.2, what="all sensors reconnected")
            F.log("all %d sensors reconnected %.1f s after the restart"
                  % (len(SENSORS), time.monotonic() - t_up))
            ck.check(True, "all %d sensors reconnected by themselves %.1f s after the restart"
                     % (len(SENSORS), time.monotonic() - t_up))
        except AssertionError as e:
            ck.check(False, "all sensors reconnected by themselves: %s" % e)

        F.at(t0, KILL2_AT - 1.0)
        redis.proc.send_signal(signal.SIGSTOP)
        F.at(t0, KILL2_AT)
        at_kill2 = {s.sid: s.raised_count() for s in sensors}
        col.kill()
        t_kill2 = time.monotonic()
        time.sleep(1.0)
        redis.proc.send_signal(signal.SIGCONT)
        F.log("Redis frozen 2 s, collector SIGKILLed inside the freeze at t=%.1f s; "
              "alerts raised so far %s" % (t_kill2 - t0, at_kill2))
        F.at(t_kill2, DOWN_S)
        col = col.again("collector3").start()
        t_up2 = time.monotonic()
        F.log("collector restarted again at t=%.1f s" % (t_up2 - t0))
        try:
            T.wait_for(lambda: col.metrics().get("sensors_connected") == len(SENSORS),
                       timeout=60, step=0.2, what="all sensors reconnected")
            ck.check(True, "all %d sensors reconnected by themselves %.1f s after the second "
                     "restart" % (len(SENSORS), time.monotonic() - t_up2))
        except AssertionError as e:
            ck.check(False, "all sensors reconnected after the second restart: %s" % e)

        rcs = F.wait_all(sensors, 150)
        F.log("sensors done at t=%.1f s" % (time.monotonic() - t0))
        raised, stats = F.sensor_results(ck, "collector kill", sensors, rcs)
        for s in sensors:
            alerts, st = raised[s.sid], stats[s.sid]
            ck.check(0 < at_kill[s.sid] < at_kill2[s.sid] < len(alerts),
                     "%s: both kills came mid-stream (%d and %d of %d raised before them)"
                     % (s.sid, at_kill[s.sid], at_kill2[s.sid], len(alerts)))
            ck.check(st.get("uplink.connects", 0) >= 3 and st.get("uplink.disconnects", 0) >= 2,
                     "%s: lost the connection twice and reconnected by itself" % s.sid)
        m = col.metrics()
        print("collector3 metrics: received %d, unique %d, duplicate %d, retransmitted %d, "
              "batches %d" % (m.get("alerts_received_total", 0), m.get("alerts_unique_total", 0),
                              m.get("alerts_duplicate_total", 0),
                              m.get("alerts_retransmitted_total", 0), m.get("batches_total", 0)))
        gaps = applied_unacked(col.log())
        print("collector3: per sensor (last_acked in hello, applied in welcome): %s" % gaps)
        ck.check(any(w > h for h, w in gaps.values()),
                 "the second kill left alerts applied by Redis but never acked (welcome "
                 "'applied' above the hello's last_acked for %d sensor(s)); the sensors "
                 "resumed after them" % sum(1 for h, w in gaps.values() if w > h))
        F.check_exactly_once(ck, "collector kill", raised, redis.dump())
        ck.check(col.stop() == 0, "the restarted collector stops cleanly")
        col = None
    except Exception:
        ck.error("unexpected error")
        if col and col.proc:
            print(col.log()[-3000:])
    finally:
        F.teardown(tmp, col, redis)
    return ck.finish()


if __name__ == "__main__":
    sys.exit(main())
