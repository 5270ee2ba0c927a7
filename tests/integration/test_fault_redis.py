#!/usr/bin/env python3
"""test_fault_redis.py - Redis restarts and a 60 s Redis outage mid-stream.

Why it exists: "Redis unreachable: collector stops acking (sensors keep
their spools), reconnects, resumes. Nothing is acked that Redis has not
applied" (DESIGN.md, Failure stance), and Redis's AOF is what makes the
applied state survive a Redis restart. Three independent pipelines run at
the same time, each a redis-server, a picket-collector and two real
picket-sensor processes of two partners replaying picket-gen captures
paced over about 70 s (thousands of alerts each):
- aof: Redis with AOF, appendfsync everysec as deploy/redis.conf (and a
  password): a clean restart (SIGTERM, start again from the AOF) at 10 s;
  then appendfsync always (CONFIG SET) and a crash (SIGKILL, start again
  from the AOF 2 s later) at 27 s;
- frozen: Redis SIGSTOPped at 6 s and SIGCONTed 60 s later;
- down: Redis stopped at 6 s (its port closed) and started again on the
  same port from its AOF 60 s later.
During both 60 s outages: the collector keeps both sensor connections
(/metrics sensors_connected, and no sensor counts a disconnect), stops
acknowledging (the sensors' acked seq, read with SIGUSR1, does not move
while they keep raising alerts; the collector applies no batch), says so
in its log and reports Redis down on /metrics; afterwards it reconnects and
resumes by itself. Every pipeline must end with every sensor's alerts
acknowledged and, against the sensors' -o copies, 0 lost, 0 duplicates
and every alert applied exactly once (repeat counts, sensor sets).
"""
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import collector_testlib as T  # noqa: E402
import fault_testlib as F  # noqa: E402

PASSWORD = "fault-test-pw"
STREAM_S = 70.0
OUTAGE_AT = 6.0
OUTAGE_S = 60.0
PIPES = {"aof": [("a-uk", "UK"), ("a-jp", "JP")],
         "frozen": [("f-uk", "UK"), ("f-jp", "JP")],
         "down": [("d-uk", "UK"), ("d-jp", "JP")]}


class Pipe:
    def __init__(self, name, tmp, pki, ind, caps, speed, appendfsync):
        self.name = name
        self.redis = F.FaultRedis(tmp, appendfsync=appendfsync, password=PASSWORD,
                                  name="redis-" + name).start()
        self.col = F.FaultCollector(tmp, self.redis.port, pki, name="collector-" + name,
                                    password=PASSWORD).start()
        self.sensors = [F.SensorProc(tmp, pki, sid, caps[i], ind, self.col.addr, speed=speed,
                                     drain=150)
                        for i, (sid, _) in enumerate(PIPES[name])]

    def log(self, msg):
        F.log("%s: %s" % (self.name, msg))

    def stream_len(self):
        return int(F.redis_cmd(self.redis, "XLEN", "picket:alerts") or 0)

    def stop(self):
        for s in self.sensors:
            if s.running():
                s.kill()
        self.col.stop()
        if self.redis.proc:
            self.redis.proc.send_signal(signal.SIGCONT)
        self.redis.stop()


def scenario_aof(ck, p, t0):
    F.at(t0, 10.0)
    before = p.stream_len()
    p.redis.stop()
    t = time.monotonic()
    p.redis.start()
    after = p.stream_len()
    p.log("clean restart (SIGTERM, AOF everysec) at t=%.1f s, down %.1f s; stream %d -> %d "
          "entries" % (t - t0, time.monotonic() - t, before, after))
    ck.check(after >= before, "aof: the clean restart kept the stream (%d -> %d)" % (before, after))
    F.at(t0, 25.0)
    F.redis_cmd(p.redis, "CONFIG", "SET", "appendfsync", "always")
    F.at(t0, 27.0)
    before = p.stream_len()
    p.redis.kill()
    t = time.monotonic()
    time.sleep(2.0)
    p.redis.start()
    after = p.stream_len()
    p.log("crash (SIGKILL, AOF always) at t=%.1f s, down %.1f s; stream %d -> %d entries"
          % (t - t0, time.monotonic() - t, before, after))
    ck.check(after >= before, "aof: the crash restart from the AOF kept the stream (%d -> %d)"
             % (before, after))


def scenario_outage(ck, p, t0, frozen):
    kind = "SIGSTOP" if frozen else "stopped, port closed"
    F.at(t0, OUTAGE_AT)
    if frozen:
        p.redis.proc.send_signal(signal.SIGSTOP)
    else:
        p.redis.stop()
    t_out = time.monotonic()
    p.log("Redis %s at t=%.1f s" % (kind, t_out - t0))
    time.sleep(3.0)
    first = {s.sid: s.usr1() for s in p.sensors}
    m_first = p.col.metrics()
    samples = []
    while time.monotonic() < t_out + OUTAGE_S - 2.0:
        m = p.col.metrics()
        samples.append((time.monotonic() - t_out, m.get("sensors_connected"),
                        m.get("redis_connected"), m.get("batches_total")))
        time.sleep(4.0)
    last = {s.sid: s.usr1() for s in p.sensors}
    m_last = p.col.metrics()
    F.at(t_out, OUTAGE_S)
    if frozen:
        p.redis.proc.send_signal(signal.SIGCONT)
    else:
        p.redis.start()
    t_back = time.monotonic()
    p.log("Redis back at t=%.1f s (out %.1f s); samples (s, sensors_connected, "
          "redis_connected, batches): %s" % (t_back - t0, t_back - t_out,
                                             [(round(a), b, c, d) for a, b, c, d in samples]))
    ck.check(samples and all(s[1] == len(p.sensors) for s in samples),
             "%s: the collector kept both sensor connections through the outage "
             "(sensors_connected sampled %d times)" % (p.name, len(samples)))
    ck.check(all(s[2] == 0 for s in samples if s[0] > 12.0),
             "%s: /metrics reports Redis down during the outage" % p.name)
    ck.check(m_first.get("batches_total") == m_last.get("batches_total"),
             "%s: no batch applied during the outage (batches %s -> %s)"
             % (p.name, m_first.get("batches_total"), m_last.get("batches_total")))
    for s in p.sensors:
        a, b = first[s.sid], last[s.sid]
        p.log("%s during the outage: raised %s -> %s, acked_seq %s -> %s, spool records %s -> %s"
              % (s.sid, a.get("alerts.raised"), b.get("alerts.raised"), a.get("uplink.acked_seq"),
                 b.get("uplink.acked_seq"), a.get("spool.records"), b.get("spool.records")))
        ck.check(a and b and a.get("uplink.acked_seq") == b.get("uplink.acked_seq")
                 and b.get("alerts.raised", 0) > a.get("alerts.raised", 0),
                 "%s: %s kept raising and spooling alerts (%s -> %s) but nothing was acked "
                 "during the outage" % (p.name, s.sid, a.get("alerts.raised"),
                                        b.get("alerts.raised")))
    try:
        T.wait_for(lambda: p.col.metrics().get("batches_total", 0) > m_last.get("batches_total", 0),
                   timeout=40, step=0.2, what="the collector resuming")
        p.log("collector applied batches again %.1f s after Redis came back"
              % (time.monotonic() - t_back))
        ck.check(True, "%s: the collector reconnected and resumed %.1f s after Redis came back"
                 % (p.name, time.monotonic() - t_back))
    except AssertionError as e:
        ck.check(False, "%s: the collector resumed: %s" % (p.name, e))
    log = p.col.log()
    want = "no reply for 10 s" if frozen else "connection lost"
    ck.check(want in log,
             "%s: the collector log says Redis was lost (\"%s\")" % (p.name, want))


def finish(ck, p):
    rcs = F.wait_all(p.sensors, 200)
    raised, stats = F.sensor_results(ck, p.name, p.sensors, rcs)
    for s in p.sensors:
        st = stats[s.sid]
        if p.name != "aof":
            ck.check(st.get("uplink.connects") == 1 and st.get("uplink.disconnects", 0) == 0,
                     "%s: %s never lost its collector connection" % (p.name, s.sid))
    m = p.col.metrics()
    print("%s: collector metrics: received %d, unique %d, duplicate %d, retransmitted %d, "
          "redis errors connect/reply/timeout %d/%d/%d" % (
              p.name, m.get("alerts_received_total", 0), m.get("alerts_unique_total", 0),
              m.get("alerts_duplicate_total", 0), m.get("alerts_retransmitted_total", 0),
              m.get('errors_total{kind="redis_connect"}', 0),
              m.get('errors_total{kind="redis_reply"}', 0),
              m.get('errors_total{kind="redis_timeout"}', 0)), flush=True)
    F.check_exactly_once(ck, p.name, raised, p.redis.dump())


def frozen(ck, p, t0):
    scenario_outage(ck, p, t0, True)


def down(ck, p, t0):
    scenario_outage(ck, p, t0, False)


def run(ck, p, t0, scenario):
    try:
        scenario(ck, p, t0)
    except Exception:
        ck.error("%s: scenario" % p.name)
    try:
        finish(ck, p)
    except Exception:
        ck.error("%s: verification" % p.name)
        print(p.col.log()[-3000:])


def main():
    F.require_tools()
    ck = F.Checks("test_fault_redis")
    F.exit_on_sigterm()
    tmp = T.TempDir("fault-redis")
    pipes = []
    try:
        pki = tmp.join("pki")
        T.make_certs(pki, ["%s:%s" % s for v in PIPES.values() for s in v])
        ind = F.make_indicators(tmp)
        caps = [F.make_capture(tmp, ind, seed=21), F.make_capture(tmp, ind, seed=22)]
        speed = round(F.pcap_span(caps[0]) / STREAM_S, 2)
        pipes = [Pipe("aof", tmp, pki, ind, caps, speed, "everysec"),
                 Pipe("frozen", tmp, pki, ind, caps, speed, "everysec"),
                 Pipe("down", tmp, pki, ind, caps, speed, "everysec")]
        F.log("3 pipelines, 6 sensors, replay speed %.2f (~%.0f s)" % (speed, STREAM_S))
        for p in pipes:
            for s in p.sensors:
                s.start()
        t0 = time.monotonic()
        F.in_parallel(ck, [(p.name, run, (ck, p, t0, sc))
                           for p, sc in zip(pipes, (scenario_aof, frozen, down))])
    except SystemExit:
        print("interrupted (SIGTERM): cleaning up", flush=True)
        raise
    except Exception:
        ck.error("unexpected error")
    finally:
        F.kill_all_sensors()
        for p in pipes:
            p.stop()
        tmp.cleanup()
    return ck.finish()


if __name__ == "__main__":
    sys.exit(main())
