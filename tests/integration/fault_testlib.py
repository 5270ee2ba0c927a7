#!/usr/bin/env python3
"""fault_testlib.py - helpers for the fault-injection tests (test_fault_*.py).

Why it exists: the promise under test is that every alert a sensor raised
reaches picket:alerts exactly once whatever fails in between. Each fault
test needs the same pieces on top of collector_testlib: a big indicator set
and picket-gen captures so thousands of alerts are raised while the fault
happens, real picket-sensor processes (paced with --replay-speed, writing
-o copies that are the ground truth of what was raised, --stats counters
readable at any time with SIGUSR1), collectors and redis-servers that can be
killed and restarted on the same port (optionally inside a network
namespace), a dump of the stream with each entry's repeat count and sensor
set, the comparison of both (lost, duplicates, double applications), the
on-disk spool read independently of the sensor, and checks that are
counted rather than fatal so each test ends with "N passed, M failed".

Python 3 standard library only. Also a small command line, used to read a
Redis that only answers inside a network namespace:
  fault_testlib.py dump PORT [PASSWORD]    the stream dump as JSON on stdout
"""
import collections
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import threading
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import collector_testlib as T  # noqa: E402


# ------------------------------------------------------------------ checks
class Checks:
    """Soft checks: each is printed and counted; the test goes on."""

    def __init__(self, name):
        self.name = name
        self.passed = 0
        self.failed = 0
        self.lock = threading.Lock()
        self.t0 = time.monotonic()

    def check(self, cond, what):
        with self.lock:
            if cond:
                self.passed += 1
                print("ok: " + what, flush=True)
            else:
                self.failed += 1
                print("FAIL: " + what, flush=True)
        return bool(cond)

    def error(self, what):
        """An unexpected exception: one failure, with its traceback."""
        with self.lock:
            self.failed += 1
            print("FAIL: %s\n%s" % (what, traceback.format_exc()), flush=True)

    def elapsed(self):
        return time.monotonic() - self.t0

    def finish(self):
        print("%s: total run time %.1f s" % (self.name, self.elapsed()))
        print("%d passed, %d failed" % (self.passed, self.failed), flush=True)
        return 1 if self.failed or not self.passed else 0


def log(msg):
    print("[%s] %s" % (time.strftime("%H:%M:%S"), msg), flush=True)


def require_tools():
    T.require_tools()
    bin_dir, _ = T.paths()
    for b in ("picket-sensor", "picket-gen"):
        if not os.access(os.path.join(bin_dir, b), os.X_OK):
            raise SystemExit(b + " not built in " + bin_dir)
    if not shutil.which("curl"):
        T.skip("curl is not installed")


# -------------------------------------------------------- inputs: indicators, captures
def make_indicators(tmp, n_ip=1500, n_domain=1500, name="fault-indicators.txt"):
    """A plain indicator list: n_ip addresses in 198.19.0.0/16 (picket-gen's
    server space) and n_domain domains; every one is exercised by picket-gen,
    several alerts each (address: ip.dst/ip.src; domain: dns, sni, host)."""
    lines = ["# fault tests: %d addresses, %d domains" % (n_ip, n_domain)]
    lines += ["ip:198.19.%d.%d" % (i // 250, i % 250 + 1) for i in range(n_ip)]
    lines += ["domain:bad%d.fault.example" % i for i in range(n_domain)]
    path = tmp.join(name)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def make_capture(tmp, ind, seed, background=200, name=None):
    bin_dir, _ = T.paths()
    pcap = tmp.join(name or "capture-%d.pcap" % seed)
    subprocess.run([os.path.join(bin_dir, "picket-gen"), "-I", ind, "-w", pcap,
                    "--seed", str(seed), "--background", str(background), "-q"], check=True)
    return pcap


def pcap_span(path):
    """Seconds between the first and the last packet of a classic pcap."""
    first = last = None
    with open(path, "rb") as f:
        hdr = f.read(24)
        magic = struct.unpack("<I", hdr[:4])[0]
        endian = "<" if magic in (0xa1b2c3d4, 0xa1b23c4d) else ">"
        nano = magic in (0xa1b23c4d, 0x4d3cb2a1)
        while True:
            rec = f.read(16)
            if len(rec) < 16:
                break
            sec, frac, incl, _ = struct.unpack(endian + "IIII", rec)
            t = sec + frac / (1e9 if nano else 1e6)
            first = t if first is None else first
            last = t
            f.seek(incl, 1)
    return (last - first) if first is not None else 0.0


def write_idle_pcap(path):
    """One benign UDP packet: a capture that raises nothing, for a sensor
    restarted only to drain its spool."""
    payload = b"picket fault test: nothing to see"
    udp = struct.pack("!HHHH", 40000, 9, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0,
                     bytes([10, 9, 9, 1]), bytes([10, 9, 9, 2]))
    s = sum(struct.unpack("!10H", ip))
    s = (s & 0xffff) + (s >> 16)
    ip = ip[:10] + struct.pack("!H", ~s & 0xffff) + ip[12:]
    eth = b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00" + ip + udp
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        f.write(struct.pack("<IIII", 1767225600, 0, len(eth), len(eth)) + eth)
    return path


# ------------------------------------------------------------------ redis
class FaultRedis(T.Redis):
    """redis-server with its own data dir, optional AOF fsync policy and
    optional network namespace; restartable on the same port from its AOF."""

    def __init__(self, tmp, appendfsync=None, port=None, password=None, netns=None,
                 name="redis"):
        super().__init__(tmp, aof=appendfsync or False, port=port, password=password)
        self.netns = netns
        self.dir = tmp.join(name)
        os.makedirs(self.dir, exist_ok=True)
        self.logfile = os.path.join(self.dir, "redis.log")

    def args(self):
        a = super().args() + ["--maxmemory-policy", "noeviction"]
        if self.aof:
            a += ["--appendfilename", "picket.aof", "--aof-use-rdb-preamble", "yes"]
        return ns_prefix(self.netns) + a

    def start(self):
        return super().start(timeout=20)

    def _pingable(self):
        if self.proc.poll() is not None:
            raise AssertionError("redis-server exited (%d); log:\n%s" % (
                self.proc.returncode, open(self.logfile).read()[-2000:]))
        if not self.netns:
            return super()._pingable()
        a = ["redis-cli", "-p", str(self.port)] + (["-a", self.password, "--no-auth-warning"]
                                                   if self.password else []) + ["PING"]
        p = subprocess.run(ns_prefix(self.netns) + a, capture_output=True, text=True)
        return p.stdout.strip() == "PONG"

    def kill(self):
        """SIGKILL (a crash): nothing is flushed beyond what the AOF policy did."""
        self.stop(signal.SIGKILL)

    def dump(self):
        return dump_stream(self.port, self.password, self.netns)


def ns_prefix(netns):
    return ["ip", "netns", "exec", netns] if netns else []


def dump_local(port, password=None):
    """The stream as a list of entries: stream id, alert_id, dedup key,
    sensor, and the picket:alert:<id> repeat count and sensor set; plus the
    applied seq of every sensor."""
    rc = T.RedisClient(port, timeout=30.0)
    if password:
        rc.cmd("AUTH", password)
    entries = []
    for sid, fields in rc.cmd("XRANGE", "picket:alerts", "-", "+") or []:
        f = dict(zip(fields[0::2], fields[1::2]))
        a = json.loads(f["alert"])
        entries.append({"id": sid, "alert_id": a["picket"]["alert_id"],
                        "sensor": a["picket"]["sensor"], "key": list(dedup_key(a))})
    cmds = []
    for e in entries:
        cmds.append(("HGET", "picket:alert:" + e["alert_id"], "count"))
        cmds.append(("SMEMBERS", "picket:alert:%s:sensors" % e["alert_id"]))
    replies = rc.pipeline(cmds)
    for i, e in enumerate(entries):
        c, s = replies[2 * i], replies[2 * i + 1]
        e["count"] = int(c) if isinstance(c, str) else 0
        e["sensors"] = sorted(s) if isinstance(s, list) else []
    applied = rc.cmd("HGETALL", "picket:applied") or []
    rc.close()
    return {"entries": entries,
            "applied": {k: int(v) for k, v in zip(applied[0::2], applied[1::2])}}


def dump_stream(port, password=None, netns=None):
    if not netns:
        return dump_local(port, password)
    p = subprocess.run(ns_prefix(netns) + [sys.executable, os.path.abspath(__file__), "dump",
                                           str(port)] + ([password] if password else []),
                       capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        raise AssertionError("stream dump in %s failed: %s" % (netns, p.stderr[-2000:]))
    return json.loads(p.stdout)


def redis_cmd(redis, *args):
    """One command to a FaultRedis (in its namespace if any), via redis-cli."""
    a = ["redis-cli", "-p", str(redis.port)]
    if redis.password:
        a += ["-a", redis.password, "--no-auth-warning"]
    p = subprocess.run(ns_prefix(redis.netns) + a + [str(x) for x in args],
                       capture_output=True, text=True, timeout=30)
    return p.stdout.strip()


# -------------------------------------------------------------- collector
class FaultCollector(T.Collector):
    """A collector with a chosen port (restart on the same one), optionally
    in a network namespace listening on a given address, with its own
    certificate files."""

    def __init__(self, tmp, redis_port, pki, name="collector", port=None, http_port=None,
                 extra=(), netns=None, listen_host="127.0.0.1", cert=None, key=None,
                 password=None):
        super().__init__(tmp, redis_port, pki, extra=extra, http=True, name=name)
        if port:
            self.port = port
        if http_port:
            self.http_port = http_port
        self.netns = netns
        self.listen_host = listen_host
        self.cert = cert or os.path.join(pki, "collector.pem")
        self.key = key or os.path.join(pki, "collector.key")
        self.password = password

    def args(self):
        bin_dir, _ = T.paths()
        a = ns_prefix(self.netns) + [
            os.path.join(bin_dir, "picket-collector"),
            "-l", "%s:%d" % (self.listen_host, self.port),
            "--redis", "127.0.0.1:%d" % self.redis_port,
            "--ca", os.path.join(self.pki, "ca.pem"), "--cert", self.cert, "--key", self.key,
            "--http", "127.0.0.1:%d" % self.http_port]
        if self.password:
            a += ["--redis-password", self.password]
        return a + self.extra

    @property
    def addr(self):
        return "%s:%d" % (self.listen_host, self.port)

    def kill(self, sig=signal.SIGKILL):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(30)
        self.proc = None
        if self.logf:
            self.logf.close()
            self.logf = None

    def freeze(self):
        self.proc.send_signal(signal.SIGSTOP)

    def thaw(self):
        self.proc.send_signal(signal.SIGCONT)

    def again(self, name):
        """A new collector process on the same ports and Redis."""
        return FaultCollector(self.tmp, self.redis_port, self.pki, name=name, port=self.port,
                              http_port=self.http_port, extra=self.extra, netns=self.netns,
                              listen_host=self.listen_host, cert=self.cert, key=self.key,
                              password=self.password)

    def metrics(self):
        return {k.replace("picket_collector_", ""): v
                for k, v in T.metrics(self.http_port, ns_prefix(self.netns)).items()}


# ----------------------------------------------------------------- sensor
class SensorProc:
    """A real picket-sensor replaying a capture to a collector, with -o
    (the ground truth), a spool, --stats, and stderr kept in a file."""

    def __init__(self, tmp, pki, sid, pcap, ind, collector_addr, run=1, speed=None,
                 spool=None, drain=120, extra=(), netns=None):
        self.tmp, self.pki, self.sid, self.run = tmp, pki, sid, run
        self.pcap, self.ind, self.collector_addr = pcap, ind, collector_addr
        self.speed, self.drain, self.extra, self.netns = speed, drain, list(extra), netns
        self.spool = spool or tmp.join("spool-" + sid)
        self.out = tmp.join("%s-run%d.jsonl" % (sid, run))
        self.errpath = tmp.join("%s-run%d.stderr" % (sid, run))
        self.proc = None
        self.t_start = self.t_end = None

    def args(self):
        bin_dir, _ = T.paths()
        inds = self.ind if isinstance(self.ind, (list, tuple)) else [self.ind]
        a = ns_prefix(self.netns) + [os.path.join(bin_dir, "picket-sensor"), "-r", self.pcap]
        for i in inds:
            a += ["-I", i]
        a += ["-c", self.collector_addr, "--ca", os.path.join(self.pki, "ca.pem"),
              "--cert", os.path.join(self.pki, self.sid + ".pem"),
              "--key", os.path.join(self.pki, self.sid + ".key"),
              "--spool", self.spool, "-o", self.out, "--stats",
              "--drain-timeout", str(self.drain)]
        if self.speed:
            a += ["--replay-speed", str(self.speed)]
        return a + self.extra

    def start(self):
        self.errf = open(self.errpath, "ab")
        self.t_start = time.monotonic()
        self.proc = subprocess.Popen(self.args(), stdout=subprocess.DEVNULL, stderr=self.errf)
        STARTED.append(self)
        return self

    def wait(self, timeout):
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            rc = "timeout"
        self.t_end = time.monotonic()
        self.errf.close()
        return rc

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.t_end = time.monotonic()
        self.errf.close()

    def running(self):
        return self.proc and self.proc.poll() is None

    def stderr(self):
        with open(self.errpath, "rb") as f:
            return f.read().decode(errors="replace")

    def raised(self):
        """Alerts in -o: complete lines only (a SIGKILLed sensor may leave
        a torn last line); returns (alerts, torn_bytes)."""
        if not os.path.exists(self.out):
            return [], 0
        with open(self.out, "rb") as f:
            data = f.read()
        end = data.rfind(b"\n") + 1
        alerts = [json.loads(l) for l in data[:end].split(b"\n") if l.strip()]
        return alerts, len(data) - end

    def raised_count(self):
        if not os.path.exists(self.out):
            return 0
        with open(self.out, "rb") as f:
            return f.read().count(b"\n")

    def stats(self):
        """The last counters block on stderr (--stats at exit, or SIGUSR1)."""
        text = self.stderr()
        i = text.rfind("picket-sensor: counters")
        vals = {}
        if i < 0:
            return vals
        for line in text[i:].splitlines()[1:]:
            parts = line.split()
            if len(parts) != 2 or not line.startswith("  "):
                break
            vals[parts[0]] = int(parts[1])
        return vals

    def usr1(self, timeout=5.0):
        """Counters now (SIGUSR1), or {} when the sensor has exited."""
        if not self.running():
            return {}
        before = self.stderr().count("picket-sensor: counters")
        self.proc.send_signal(signal.SIGUSR1)
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.stderr().count("picket-sensor: counters") > before:
                time.sleep(0.1)           # let the block finish
                return self.stats()
            time.sleep(0.05)
        return {}

    def all_acked(self, rc):
        err = self.stderr()
        return rc == 0 and "not yet acknowledged" not in err


STARTED = []


def exit_on_sigterm():
    """ctest's timeout sends SIGTERM: turn it into SystemExit so every
    finally (processes, namespaces, temp dirs) runs."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


def kill_all_sensors():
    """SIGKILLs every sensor this process started that still runs."""
    for s in STARTED:
        if s.proc and s.proc.poll() is None:
            s.proc.kill()
            s.proc.wait()


def teardown(tmp, *servers):
    """The end of every test: SIGKILLs the sensors still running, stops the
    given collectors and redis-servers (None and stopped ones skipped, frozen
    ones resumed first) and removes the temp dir."""
    kill_all_sensors()
    for srv in servers:
        if srv is not None and srv.proc:
            if srv.proc.poll() is None:
                srv.proc.send_signal(signal.SIGCONT)     # one frozen by the test
            srv.stop()
    tmp.cleanup()


def sensor_results(ck, label, sensors, rcs):
    """For each finished sensor: prints its exit status, alerts raised and
    uplink counters, and checks it exited 0 with every alert acknowledged.
    Returns ({sensor id: raised alerts}, {sensor id: counters})."""
    raised, stats = {}, {}
    for s, rc in zip(sensors, rcs):
        alerts, torn = s.raised()
        st = s.stats()
        raised[s.sid], stats[s.sid] = alerts, st
        print("%s/%s: exit %s, raised %d (%d torn bytes), connects %d, disconnects %d, sent %d, "
              "resent %d, acked %d, run %.1f s" % (
                  label, s.sid, rc, len(alerts), torn, st.get("uplink.connects", 0),
                  st.get("uplink.disconnects", 0), st.get("uplink.alerts_sent", 0),
                  st.get("uplink.alerts_resent", 0), st.get("uplink.alerts_acked", 0),
                  s.t_end - s.t_start), flush=True)
        ck.check(s.all_acked(rc), "%s: %s exited 0 with every alert acknowledged"
                 % (label, s.sid))
        ck.check(st.get("alerts.raised") == len(alerts) and torn == 0,
                 "%s: %s's -o holds every raised alert (%d)" % (label, s.sid, len(alerts)))
    return raised, stats


def in_parallel(ck, jobs):
    """Runs each (label, function, args) in a thread of its own and waits
    for all; an exception counts as one failure of ck under its label. The
    joins are timed so that SIGTERM's handler still runs."""
    def guarded(label, fn, args):
        try:
            fn(*args)
        except Exception:
            ck.error(label)
    threads = [threading.Thread(target=guarded, args=job, daemon=True) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        while t.is_alive():
            t.join(0.5)


def wait_all(sensors, timeout):
    end = time.monotonic() + timeout
    return [s.wait(max(1, end - time.monotonic())) for s in sensors]


# ------------------------------------------------------------------ spool
def read_spool(spool_dir):
    """The spool as the sensor left it: {seq: alert JSON} of every record
    with a valid CRC, and the state file's acked/last."""
    import zlib
    recs = {}
    bad = 0
    for name in sorted(os.listdir(spool_dir)):
        if not (name.startswith("seg-") and name.endswith(".pks")):
            continue
        with open(os.path.join(spool_dir, name), "rb") as f:
            data = f.read()
        off = 0
        while off + 20 <= len(data):
            magic, n, seq, crc = struct.unpack(">IIQI", data[off:off + 20])
            body = data[off + 20:off + 20 + n]
            ok = magic == 0x504b5331 and len(body) == n
            if ok:
                c = zlib.crc32(data[off + 8:off + 16])
                c = zlib.crc32(data[off + 4:off + 8], c)
                ok = zlib.crc32(body, c) == crc
            if not ok:
                bad += 1
                nxt = data.find(b"PKS1", off + 1)
                if nxt < 0:
                    break
                off = nxt
                continue
            recs[seq] = body.decode()
            off += 20 + n
    state = {}
    try:
        with open(os.path.join(spool_dir, "state")) as f:
            for line in f:
                k, _, v = line.partition(" ")
                if k in ("acked", "last"):
                    state[k] = int(v)
    except OSError:
        pass
    return recs, state, bad


# ------------------------------------------------------------ comparison
def dedup_key(a):
    i = a["picket"]["indicator"]
    return (i["type"], i["value"], a.get("community_id"))


def seq_of(alert_id):
    return int(alert_id.rsplit(":", 1)[1])


def compare(raised, dump, allow_extra=()):
    """raised: {sensor id: [alerts]}; dump: dump_stream(). Returns counts:
    raised, raised_keys, stream, stream_keys, lost, dup_keys, dup_ids,
    extra, count_mismatch (entries whose repeat count differs from the
    number of raised alerts with that key: an alert applied twice or not at
    all), sensor_mismatch, and examples of each."""
    who = collections.defaultdict(list)
    total = 0
    for sid, alerts in raised.items():
        for a in alerts:
            total += 1
            who[tuple(dedup_key(a))].append(sid)
    entries = dump["entries"]
    by_key = collections.Counter(tuple(e["key"]) for e in entries)
    by_id = collections.Counter(e["alert_id"] for e in entries)
    lost = [k for k in who if k not in by_key]
    dup_keys = [k for k, n in by_key.items() if n > 1]
    dup_ids = [k for k, n in by_id.items() if n > 1]
    extra = [k for k in by_key if k not in who and k not in set(map(tuple, allow_extra))]
    count_bad, sensors_bad = [], []
    for e in entries:
        k = tuple(e["key"])
        if k not in who:
            continue
        if e["count"] != len(who[k]):
            count_bad.append((k, e["count"], len(who[k])))
        if set(e["sensors"]) != set(who[k]):
            sensors_bad.append((k, e["sensors"], sorted(set(who[k]))))
    return {"raised": total, "raised_keys": len(who), "stream": len(entries),
            "stream_keys": len(by_key), "lost": len(lost), "dup_keys": len(dup_keys),
            "dup_ids": len(dup_ids), "extra": len(extra), "count_mismatch": len(count_bad),
            "sensor_mismatch": len(sensors_bad),
            "examples": {"lost": lost[:3], "dup_keys": dup_keys[:3], "dup_ids": dup_ids[:3],
                         "extra": extra[:3], "count": count_bad[:3],
                         "sensors": sensors_bad[:3]}}


def check_exactly_once(ck, label, raised, dump, allow_extra=()):
    r = compare(raised, dump, allow_extra)
    print("%s: raised %d alerts (%d dedup keys) by %s; stream %d entries, %d unique keys; "
          "lost %d, duplicate keys %d, duplicate alert_ids %d, not raised %d, "
          "repeat-count mismatches %d, sensor-set mismatches %d" % (
              label, r["raised"], r["raised_keys"], ",".join(sorted(raised)), r["stream"],
              r["stream_keys"], r["lost"], r["dup_keys"], r["dup_ids"], r["extra"],
              r["count_mismatch"], r["sensor_mismatch"]), flush=True)
    ex = {k: v for k, v in r["examples"].items() if v}
    if ex:
        print("%s: examples %s" % (label, json.dumps(ex, default=list)[:2000]))
    ck.check(r["raised"] > 1000, "%s: thousands of alerts raised (%d)" % (label, r["raised"]))
    ck.check(r["lost"] == 0, "%s: 0 lost (every raised dedup key is in the stream; %d lost)"
             % (label, r["lost"]))
    ck.check(r["dup_keys"] == 0 and r["dup_ids"] == 0,
             "%s: 0 duplicates (no dedup key and no alert_id twice; %d keys, %d ids)"
             % (label, r["dup_keys"], r["dup_ids"]))
    ck.check(r["extra"] == 0, "%s: nothing in the stream that no sensor raised (%d)"
             % (label, r["extra"]))
    ck.check(r["count_mismatch"] == 0 and r["sensor_mismatch"] == 0,
             "%s: every raised alert applied exactly once (repeat counts and sensor sets; "
             "%d/%d mismatches)" % (label, r["count_mismatch"], r["sensor_mismatch"]))
    return r


def at(t0, t):
    """Sleeps until t seconds after the monotonic time t0."""
    d = t0 + t - time.monotonic()
    if d > 0:
        time.sleep(d)


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "dump":
        json.dump(dump_local(int(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else None),
                  sys.stdout)
        sys.exit(0)
    sys.exit(__doc__)
