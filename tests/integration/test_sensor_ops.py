#!/usr/bin/env python3
"""test_sensor_ops.py - the sensor's operational flags, for real.

Why it exists: exercise planners rely on --replay-speed pacing and
--exercise tagging, operators on SIGHUP reload (a good reload takes effect
without stopping capture, a failed one keeps the set in force), SIGUSR1
counters and --home-net directions. Each is checked by running
picket-sensor on a shared capture (dns-udp-many-queries.pcap: 164 packets
over 9.4 s, 81 query names) and reading its alerts and stderr.
"""
import json
import os
import signal
import struct
import subprocess
import sys
import tempfile
import time

BIN = os.environ.get("PICKET_BIN", "")
SHARED = os.environ.get("PICKET_SHARED", "")
CAPTURE = os.path.join(SHARED, "pcaps", "dns-udp-many-queries.pcap")
SENSOR = os.path.join(BIN, "picket-sensor")

results = []


def check(ok, what):
    results.append(bool(ok))
    print("%s - %s" % ("ok  " if ok else "FAIL", what), flush=True)


def frame_times(path):
    """Offsets (s) of every frame from the first, classic pcap only."""
    data = open(path, "rb").read()
    e = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    nano = data[:4] in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    off, times = 24, []
    while off + 16 <= len(data):
        sec, frac, incl = struct.unpack(e + "III", data[off:off + 12])
        times.append(sec + frac / (1e9 if nano else 1e6))
        off += 16 + incl
    return [t - times[0] for t in times]


def early_and_late_names():
    """A query name seen in the first second, and one seen only after 6 s."""
    truth = json.load(open(CAPTURE[:-len(".pcap")] + ".truth.json"))
    times = frame_times(CAPTURE)
    first_seen = {}
    for name, ent in truth["dns_query_names"].items():
        frames = [int(f) for f in ent.get("frames", [])]
        if frames and all(c.isalnum() or c in ".-_" for c in name):
            first_seen[name] = min(times[f - 1] for f in frames)
    early = min(first_seen, key=first_seen.get)
    late = [n for n, t in first_seen.items() if t > 6.0]
    return early, sorted(late)[0], first_seen


def run_sensor(args, actions=(), timeout=60):
    """Starts the sensor, performs (delay, fn) actions, waits for exit."""
    t0 = time.monotonic()
    p = subprocess.Popen([SENSOR] + args, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True)
    for delay, fn in actions:
        time.sleep(max(0.0, t0 + delay - time.monotonic()))
        fn(p)
    _, err = p.communicate(timeout=timeout)
    return p.returncode, err, time.monotonic() - t0


def alerts_of(path):
    with open(path) as fh:
        return [json.loads(l) for l in fh if l.strip()]


def test_pacing_reload_exercise(tmp):
    early, late, seen = early_and_late_names()
    print("# early name %s (%.2f s), late name %s (%.2f s)" % (early, seen[early], late, seen[late]))
    ind = os.path.join(tmp, "set.txt")
    open(ind, "w").write("domain:%s\n" % early)
    out = os.path.join(tmp, "paced.jsonl")

    def reload_with_late(p):
        open(ind, "w").write("domain:%s\ndomain:%s\n" % (early, late))
        p.send_signal(signal.SIGHUP)

    rc, err, took = run_sensor(
        ["-r", CAPTURE, "-I", ind, "-o", out, "--replay-speed", "2",
         "--exercise", "EX-NORTH", "--home-net", "10.30.28.90/32", "--stats"],
        actions=[(1.0, reload_with_late), (2.0, lambda p: p.send_signal(signal.SIGUSR1))])
    check(rc == 0, "paced replay exits 0 (rc=%d)" % rc)
    check(4.2 <= took <= 9.0, "--replay-speed 2 takes about half of 9.4 s (%.2f s)" % took)
    check("reloaded" in err, "SIGHUP reload is reported on stderr")
    check(err.count("counters") >= 2, "SIGUSR1 and --stats both print counters")
    alerts = alerts_of(out)
    names = {a["picket"]["observed"] for a in alerts}
    check(early in names, "name from the first set alerts (%s)" % early)
    check(late in names, "name added by the reload alerts later in the same run (%s)" % late)
    check(alerts and all(a["picket"]["exercise"] == "EX-NORTH" for a in alerts),
          "every alert carries --exercise EX-NORTH (%d alerts)" % len(alerts))
    dirs = {a["picket"]["direction"] for a in alerts}
    check(dirs == {"outbound"}, "client 10.30.28.90 in --home-net, resolver outside: outbound (%s)" % dirs)
    sets = {a["picket"]["indicator_set"] for a in alerts}
    check(len(sets) == 2, "alerts name the indicator set in force: 2 versions seen")


def test_failed_reload_keeps_set(tmp):
    early, late, _ = early_and_late_names()
    ind = os.path.join(tmp, "keep.txt")
    open(ind, "w").write("domain:%s\ndomain:%s\n" % (early, late))
    out = os.path.join(tmp, "keep.jsonl")

    def break_and_reload(p):
        os.unlink(ind)
        p.send_signal(signal.SIGHUP)

    rc, err, _ = run_sensor(["-r", CAPTURE, "-I", ind, "-o", out, "--replay-speed", "4",
                             "--home-net", "10.30.28.94/32,2001:db8::/32"],
                            actions=[(0.5, break_and_reload)])
    check(rc == 0, "run with a failed reload exits 0 (rc=%d)" % rc)
    check("reload failed" in err and "keep.txt" in err,
          "failed reload says why and names the file")
    alerts = alerts_of(out)
    names = {a["picket"]["observed"] for a in alerts}
    check(late in names, "the set in force is kept: late name still alerts")
    dirs = {a["picket"]["direction"] for a in alerts}
    check(dirs == {"inbound"}, "--home-net with only the resolver makes the same alerts inbound (%s)" % dirs)


def test_full_speed(tmp):
    early, _, _ = early_and_late_names()
    ind = os.path.join(tmp, "fast.txt")
    open(ind, "w").write("domain:%s\n" % early)
    rc, _, took = run_sensor(["-r", CAPTURE, "-I", ind, "-o", os.path.join(tmp, "f.jsonl")])
    check(rc == 0 and took < 3.0, "--replay-speed 0 (default) runs as fast as possible (%.2f s)" % took)


def test_privilege_drop(tmp):
    if os.geteuid() != 0:
        print("# skip privilege drop: needs root (runs in CI)")
        return
    import pwd
    nobody = pwd.getpwnam("nobody")
    ind = os.path.join(tmp, "priv.txt")
    open(ind, "w").write("ip:192.0.2.1\n")
    os.chmod(ind, 0o644)
    seen = {}

    def read_ids(p):
        for line in open("/proc/%d/status" % p.pid):
            if line.startswith(("Uid:", "Gid:", "Groups:")):
                key, _, vals = line.partition(":")
                seen[key] = vals.split()

    rc, err, _ = run_sensor(["-r", CAPTURE, "-I", ind, "-o", os.path.join(tmp, "p.jsonl"),
                             "--replay-speed", "8", "--user", "nobody"],
                            actions=[(0.6, read_ids)])
    check(rc == 0, "--user nobody run exits 0 (rc=%d, %s)" % (rc, err.strip()[-200:]))
    uids = set(seen.get("Uid", []))
    gids = set(seen.get("Gid", []))
    check(uids == {str(nobody.pw_uid)}, "real, effective, saved and fs uid are nobody's (%s)" % uids)
    check(gids == {str(nobody.pw_gid)} and seen.get("Groups") == [str(nobody.pw_gid)],
          "gids and supplementary groups are nobody's group only (%s, %s)" % (gids, seen.get("Groups")))
    rc, err, _ = run_sensor(["-r", CAPTURE, "-I", ind, "--user", "no-such-user-x"])
    check(rc == 1 and "no-such-user-x" in err, "an unknown --user is a fatal error naming it")


def eve_usec(ts):
    """EVE timestamp -> microseconds since the epoch."""
    import datetime
    d = datetime.datetime.strptime(ts[:26], "%Y-%m-%dT%H:%M:%S.%f")
    return int(d.replace(tzinfo=datetime.timezone.utc).timestamp() * 1e6 + 0.5)


def test_time_shift_and_loop(tmp):
    early, _, _ = early_and_late_names()
    ind = os.path.join(tmp, "loop.txt")
    open(ind, "w").write("domain:%s\n" % early)
    base_out, loop_out = os.path.join(tmp, "base.jsonl"), os.path.join(tmp, "loop.jsonl")
    run_sensor(["-r", CAPTURE, "-I", ind, "-o", base_out])
    rc, _, _ = run_sensor(["-r", CAPTURE, "-I", ind, "-o", loop_out, "--loop", "3",
                           "--time-shift", "3600", "--exercise", "EX-LOOP"])
    base, looped = alerts_of(base_out), alerts_of(loop_out)
    check(rc == 0 and len(looped) == 3 * len(base) > 0,
          "--loop 3 replays the file three times as new traffic (%d -> %d alerts)" % (len(base), len(looped)))
    t0 = eve_usec(base[0]["timestamp"])
    check(eve_usec(looped[0]["timestamp"]) - t0 == 3600 * 1000000,
          "--time-shift 3600 moves alert time by exactly one hour")
    times = [eve_usec(a["timestamp"]) for a in looped]
    check(times == sorted(times) and times[len(base)] > times[len(base) - 1],
          "each pass continues after the previous one (time never goes back)")
    check([a["pcap_cnt"] for a in looped] == [a["pcap_cnt"] for a in base] * 3,
          "pcap_cnt restarts with each pass")
    rc, _, _ = run_sensor(["-r", CAPTURE, "-I", ind, "-o", os.path.join(tmp, "now.jsonl"),
                           "--time-shift", "now"])
    first = eve_usec(alerts_of(os.path.join(tmp, "now.jsonl"))[0]["timestamp"])
    check(abs(first / 1e6 - time.time()) < 30, "--time-shift now puts the first packet at the present")


def test_progress_line(tmp):
    import pty
    early, _, _ = early_and_late_names()
    ind = os.path.join(tmp, "prog.txt")
    open(ind, "w").write("domain:%s\n" % early)
    args = [SENSOR, "-r", CAPTURE, "-I", ind, "-o", os.path.join(tmp, "prog.jsonl"),
            "--replay-speed", "8"]
    master, slave = pty.openpty()
    p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    p.wait(timeout=60)
    os.close(master)
    text = out.decode(errors="replace")
    check(p.returncode == 0 and "%" in text and "pass 1/1" in text and "pkt/s" in text
          and "alerts" in text, "a terminal gets a progress line (percent, packets/s, alerts)")
    rc, err, _ = run_sensor(args[1:])
    check(rc == 0 and "pkt/s" not in err, "no progress line when stderr is not a terminal")


def test_config_file(tmp):
    early, _, _ = early_and_late_names()
    ind = os.path.join(tmp, "conf.txt")
    open(ind, "w").write("domain:%s\n" % early)
    conf = os.path.join(tmp, "sensor.conf")
    out = os.path.join(tmp, "conf.jsonl")
    open(conf, "w").write("# a sensor configuration\nread = %s\nindicators = %s\n"
                          "sensor-id = from-file\npartner = NZ\nalerts = %s\nstats = true\n"
                          % (CAPTURE, ind, out))
    rc, err, _ = run_sensor(["--config", conf, "--sensor-id", "from-cli"])
    alerts = alerts_of(out)
    check(rc == 0 and alerts and all(a["picket"]["sensor"] == "from-cli" and
                                     a["picket"]["partner"] == "NZ" for a in alerts),
          "--config supplies settings and command-line flags override them")
    check("counters" in err, "a switch set to true in the file takes effect (stats)")
    p = subprocess.run([SENSOR, "--config", conf, "--check-config"], capture_output=True, text=True)
    check(p.returncode == 0 and "configuration OK" in p.stdout and "1 indicators" in p.stdout,
          "--check-config reports a good configuration and exits 0")
    open(conf, "a").write("indicators = %s\n" % os.path.join(tmp, "missing.txt"))
    p = subprocess.run([SENSOR, "--config", conf, "--check-config"], capture_output=True, text=True)
    check(p.returncode == 1 and "missing.txt" in p.stderr,
          "--check-config names a missing indicator file and exits 1")
    open(conf, "a").write("colector = x\n")
    p = subprocess.run([SENSOR, "--config", conf], capture_output=True, text=True)
    check(p.returncode == 2 and "sensor.conf:9: unknown key 'colector'" in p.stderr,
          "a misspelt key is a usage error naming file:line")
    rc, err, _ = run_sensor(["-r", CAPTURE, "-I", ind, "-o", os.path.join(tmp, "sl.jsonl"), "--syslog"])
    check(rc == 0 and "picket-sensor: info" not in err, "--syslog sends log lines away from stderr")


def test_http_metrics(tmp):
    import socket
    import urllib.request
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    early, _, _ = early_and_late_names()
    ind = os.path.join(tmp, "http.txt")
    open(ind, "w").write("domain:%s\n" % early)
    got = {}

    def scrape(p):
        base = "http://127.0.0.1:%d" % port
        got["metrics"] = urllib.request.urlopen(base + "/metrics", timeout=5).read().decode()
        got["healthz"] = urllib.request.urlopen(base + "/healthz", timeout=5).status

    rc, err, _ = run_sensor(["-r", CAPTURE, "-I", ind, "-o", os.path.join(tmp, "h.jsonl"),
                             "--replay-speed", "4", "--http", "127.0.0.1:%d" % port],
                            actions=[(1.5, scrape)])
    lines = dict(l.rsplit(" ", 1) for l in got.get("metrics", "").splitlines() if l)
    check(rc == 0 and got.get("healthz") == 200, "--http serves /healthz with 200 while capturing")
    check(int(lines.get("picket_sensor_capture_packets", 0)) > 0 and
          "picket_sensor_flow_created" in lines and "picket_sensor_dns_queries" in lines,
          "/metrics has the --stats counters in Prometheus form (%d series)" % len(lines))


def main():
    if not os.path.exists(SENSOR):
        print("skip: %s not built" % SENSOR)
        return 77
    if not os.path.exists(CAPTURE):
        print("skip: shared capture %s missing" % CAPTURE)
        return 77
    with tempfile.TemporaryDirectory(prefix="picket-ops-") as tmp:
        test_pacing_reload_exercise(tmp)
        test_failed_reload_keeps_set(tmp)
        test_full_speed(tmp)
        test_privilege_drop(tmp)
        test_time_shift_and_loop(tmp)
        test_progress_line(tmp)
        test_config_file(tmp)
        test_http_metrics(tmp)
    passed = sum(results)
    print("%d passed, %d failed" % (passed, len(results) - passed))
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
