#!/usr/bin/env python3
"""collector_testlib.py - helpers for picket-collector's integration tests.

Why it exists: every collector test needs the same real pieces: a
redis-server on a random free port in a temp dir, a PKI made at test time
with deploy/make-certs.sh, a collector started and stopped with its log
kept, and a minimal sensor speaking the wire protocol (4-byte big-endian
length + one JSON object) over mutual TLS. Keeping them here means the
tests read as what they check.

Python 3 standard library only.
"""
import json
import os
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import time

SKIP = 77


def skip(reason):
    print("SKIP: " + reason)
    sys.exit(SKIP)


def check(cond, what):
    """Fails the test with a message unless cond holds."""
    if not cond:
        raise AssertionError(what)
    print("ok: " + what)


def paths():
    bin_dir = os.environ.get("PICKET_BIN") or os.path.join(
        os.path.dirname(__file__), "..", "..", "build", "bin")
    src = os.environ.get("PICKET_SRC") or os.path.join(os.path.dirname(__file__), "..", "..")
    return os.path.abspath(bin_dir), os.path.abspath(src)


def require_tools():
    for tool in ("redis-server", "openssl"):
        if not shutil.which(tool):
            skip(tool + " is not installed")
    bin_dir, _ = paths()
    if not os.access(os.path.join(bin_dir, "picket-collector"), os.X_OK):
        raise SystemExit("picket-collector not built in " + bin_dir)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(pred, timeout=10.0, step=0.05, what="condition"):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(step)
    raise AssertionError("timed out waiting for " + what)


class TempDir:
    def __init__(self, name):
        self.path = tempfile.mkdtemp(prefix="picket-" + name + "-")

    def join(self, *p):
        return os.path.join(self.path, *p)

    def cleanup(self):
        shutil.rmtree(self.path, ignore_errors=True)


class Rig:
    """What one test run started: its temp dir, and the redis-server and
    collector once started (rig.redis, rig.collector); run_test stops them."""

    def __init__(self, name):
        self.tmp = TempDir(name)
        self.redis = None
        self.collector = None
        self._closers = []

    def close_later(self, fn):
        """fn() runs at the end, before the collector and Redis stop."""
        self._closers.append(fn)

    def stop_collector(self):
        """Stops the collector now; returns its exit status."""
        c, self.collector = self.collector, None
        return c.stop()


def run_test(name, body, errors=()):
    """Runs body(rig) and prints the verdict every test prints; a failed
    check (or one of `errors`) fails the test with the collector's log.
    Returns the exit status."""
    rig = Rig(name)
    try:
        body(rig)
        print("1 passed, 0 failed")
        return 0
    except (AssertionError,) + tuple(errors) as e:
        print("FAIL: %s" % e)
        if rig.collector:
            print(rig.collector.log()[-3000:])
        print("0 passed, 1 failed")
        return 1
    finally:
        for fn in reversed(rig._closers):
            fn()
        if rig.collector:
            rig.collector.stop()
        if rig.redis:
            rig.redis.stop()
        rig.tmp.cleanup()


# ------------------------------------------------------------------ redis
class RedisError(Exception):
    pass


class RedisClient:
    """A blocking RESP client, enough for checking what the collector wrote.
    Reads into one buffer with a moving offset, so a big reply (a stream of
    thousands of alerts) costs linear time; pipeline() sends many commands
    at once."""

    def __init__(self, port, timeout=5.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = bytearray()
        self.pos = 0

    def close(self):
        self.sock.close()

    def _fill(self):
        if self.pos > (1 << 20):
            del self.buf[:self.pos]
            self.pos = 0
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise ConnectionError("redis closed the connection")
        self.buf += chunk

    def _line(self):
        while True:
            i = self.buf.find(b"\r\n", self.pos)
            if i >= 0:
                line = bytes(self.buf[self.pos:i])
                self.pos = i + 2
                return line
            self._fill()

    def _exact(self, n):
        while len(self.buf) - self.pos < n + 2:
            self._fill()
        data = bytes(self.buf[self.pos:self.pos + n])
        self.pos += n + 2
        return data

    def _reply(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RedisError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            return None if n < 0 else self._exact(n).decode()
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self._reply() for _ in range(n)]
        raise RedisError("unexpected reply " + repr(line))

    @staticmethod
    def _encode(args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        return b"".join(out)

    def cmd(self, *args):
        self.sock.sendall(self._encode(args))
        return self._reply()

    def pipeline(self, cmds, chunk=1000):
        """The replies of many commands, sent chunk at a time, in order."""
        out = []
        for i in range(0, len(cmds), chunk):
            part = cmds[i:i + chunk]
            self.sock.sendall(b"".join(self._encode(c) for c in part))
            out += [self._reply() for _ in part]
        return out


class Redis:
    """redis-server on a random free port, data in tmp."""

    def __init__(self, tmp, aof=False, port=None, password=None):
        self.tmp = tmp
        self.port = port or free_port()
        self.aof = aof              # False, True (appendfsync always) or a policy
        self.password = password
        self.dir = tmp.path
        self.logfile = tmp.join("redis-%d.log" % self.port)
        self.proc = None

    def args(self):
        args = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                "--dir", self.dir, "--save", "", "--daemonize", "no",
                "--logfile", self.logfile]
        if self.aof:
            args += ["--appendonly", "yes", "--appendfsync",
                     self.aof if isinstance(self.aof, str) else "always"]
        else:
            args += ["--appendonly", "no"]
        if self.password:
            args += ["--requirepass", self.password]
        return args

    def start(self, timeout=10.0):
        """Starts (or starts again, on the same port and data dir)."""
        self.proc = subprocess.Popen(self.args(), stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        wait_for(self._pingable, timeout=timeout, what="redis-server on port %d" % self.port)
        return self

    def _pingable(self):
        try:
            c = self.client()
            ok = c.cmd("PING") == "PONG"
            c.close()
            return ok
        except (OSError, RedisError):
            return False

    def client(self):
        c = RedisClient(self.port)
        if self.password:
            c.cmd("AUTH", self.password)
        return c

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


# ------------------------------------------------------------------ certs
def make_certs(outdir, specs, expired=False, revoke=False):
    _, src = paths()
    args = [os.path.join(src, "deploy", "make-certs.sh"), outdir]
    if expired:
        args.append("--expired")
    if revoke:
        args.append("--revoke")
    subprocess.run(args + list(specs), check=True, stdout=subprocess.DEVNULL)


# -------------------------------------------------------------- collector
class Collector:
    def __init__(self, tmp, redis_port, pki, extra=(), http=False, name="collector"):
        self.tmp = tmp
        self.port = free_port()
        self.http_port = free_port() if http else None
        self.redis_port = redis_port
        self.pki = pki
        self.extra = list(extra)
        self.log_path = tmp.join(name + ".log")
        self.proc = None
        self.logf = None

    def args(self):
        bin_dir, _ = paths()
        a = [os.path.join(bin_dir, "picket-collector"), "-l", "127.0.0.1:%d" % self.port,
             "--redis", "127.0.0.1:%d" % self.redis_port]
        if self.pki:
            a += ["--ca", os.path.join(self.pki, "ca.pem"),
                  "--cert", os.path.join(self.pki, "collector.pem"),
                  "--key", os.path.join(self.pki, "collector.key")]
        if self.http_port:
            a += ["--http", "127.0.0.1:%d" % self.http_port]
        return a + self.extra

    def start(self, wait_ready=True):
        self.logf = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.args(), stdout=self.logf, stderr=self.logf)
        wait_for(self._listening, what="collector listening on %d" % self.port)
        if self.http_port:
            wait_for(lambda: "HTTP on" in self.log(), what="collector HTTP listening")
        if wait_ready:
            wait_for(lambda: "script" in self.log() and "loaded" in self.log(),
                     what="collector connected to redis")
        return self

    def _listening(self):
        if self.proc.poll() is not None:
            raise AssertionError("collector exited early (%d):\n%s" % (self.proc.returncode,
                                                                      self.log()))
        return "listening for sensors" in self.log()

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def stop(self):
        """SIGTERM; returns the exit status (0 also means no leak under ASan)."""
        if not self.proc:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        self.proc = None
        self.logf.close()
        return rc


# ----------------------------------------------------------------- sensor
class Closed(Exception):
    """The collector closed the connection (possibly after an error message)."""


def frame(obj):
    data = obj if isinstance(obj, bytes) else json.dumps(obj, separators=(",", ":")).encode()
    return struct.pack(">I", len(data)) + data


class Sensor:
    """A minimal picket sensor: hello, alerts, reading welcome/ack/error."""

    def __init__(self, port, pki=None, name=None, cert_dir=None, timeout=10.0):
        self.port = port
        self.name = name
        self.timeout = timeout
        raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        if pki is None:
            self.sock = raw
            return
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(os.path.join(pki, "ca.pem"))
        if name:
            d = cert_dir or pki
            ctx.load_cert_chain(os.path.join(d, name + ".pem"), os.path.join(d, name + ".key"))
        self.sock = ctx.wrap_socket(raw, server_hostname="localhost")

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def send(self, obj):
        self.sock.sendall(frame(obj))

    def _exact(self, n):
        out = b""
        while len(out) < n:
            try:
                chunk = self.sock.recv(n - len(out))
            except (ssl.SSLError, ConnectionError) as e:
                raise Closed(str(e))
            if not chunk:
                raise Closed("EOF")
            out += chunk
        return out

    def recv(self):
        (n,) = struct.unpack(">I", self._exact(4))
        return json.loads(self._exact(n))

    def expect(self, mtype):
        msg = self.recv()
        if msg.get("type") != mtype:
            raise AssertionError("expected %s, got %r" % (mtype, msg))
        return msg

    def hello(self, sensor_id=None, last_acked=0):
        self.send({"type": "hello", "sensor": sensor_id or self.name, "version": "test",
                   "last_acked": last_acked})
        return self.expect("welcome")

    def alerts(self, items):
        """items: [(seq, alert), ...]; returns the ack's seq."""
        self.send({"type": "alerts", "alerts": [{"seq": s, "alert": a} for s, a in items]})
        return self.expect("ack")["seq"]

    def closed_with_error(self):
        """Reads until the collector closes; returns the error reason if any."""
        reason = None
        try:
            while True:
                msg = self.recv()
                if msg.get("type") == "error":
                    reason = msg.get("reason", "")
        except (Closed, socket.timeout, OSError):
            pass
        return reason


def make_alert(sensor, seq, itype, value, community_id=None, src="10.0.0.5",
               dst="203.0.113.7", partner="CLAIMED"):
    """An EVE-shaped alert; picket.sensor/partner are deliberately wrong
    claims the collector must overwrite."""
    a = {"timestamp": "2026-11-23T09:12:35.123456+0000", "flow_id": 1000 + seq,
         "event_type": "alert", "src_ip": src, "src_port": 51512, "dest_ip": dst,
         "dest_port": 443, "proto": "TCP",
         "alert": {"action": "allowed", "signature": "picket intel " + value,
                   "category": "intel", "severity": 2},
         "picket": {"alert_id": "forged:%d" % seq, "sensor": "forged", "partner": partner,
                    "field": "tls.sni", "observed": value,
                    "indicator": {"value": value, "type": itype, "source": "test",
                                  "partner": "JP", "tlp": "amber", "confidence": 80}}}
    if community_id:
        a["community_id"] = community_id
    return a


class GoodSensor:
    """A well-behaved sensor s1 whose acks must keep coming while others
    misbehave; ping() sends one alert and records the slowest ack."""

    def __init__(self, port, pki):
        self.s = Sensor(port, pki, "s1")
        self.s.hello()
        self.seq = 0
        self.worst = 0.0

    def ping(self):
        self.seq += 1
        t0 = time.monotonic()
        ack = self.s.alerts([(self.seq, make_alert("s1", self.seq, "domain", "good.example",
                                                   "1:g%d=" % self.seq))])
        self.worst = max(self.worst, time.monotonic() - t0)
        if ack != self.seq:
            raise AssertionError("good sensor: ack %r for seq %d" % (ack, self.seq))

def stream_entries(rc, key):
    """[(id, {field: value})] of a whole stream."""
    out = []
    for sid, fields in rc.cmd("XRANGE", key, "-", "+") or []:
        out.append((sid, dict(zip(fields[0::2], fields[1::2]))))
    return out


def sse_events(path):
    """[(event, data)] of the Server-Sent Events written to path so far
    (e.g. by `curl -sN .../api/stream > path`)."""
    events = []
    with open(path) as f:
        kind = None
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: ") and kind:
                events.append((kind, json.loads(line[6:])))
                kind = None
    return events


def metrics(http_port, prefix=()):
    """Parses /metrics (fetched with curl, run after prefix, e.g. inside a
    network namespace) into {name{labels}: value}."""
    text = curl("http://127.0.0.1:%d/metrics" % http_port, prefix=prefix)[1]
    vals = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            k, v = line.rsplit(" ", 1)
            vals[k] = float(v)
    return vals


def curl(url, max_time=5, prefix=()):
    """(status code, body) via the curl CLI."""
    p = subprocess.run(list(prefix) + ["curl", "-s", "-m", str(max_time), "-w", "\n%{http_code}",
                                       url],
                       capture_output=True, text=True)
    body, _, code = p.stdout.rpartition("\n")
    return int(code or 0), body
