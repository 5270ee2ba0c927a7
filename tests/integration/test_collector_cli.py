#!/usr/bin/env python3
"""test_collector_cli.py - picket-collector's command line and start-up.

Why it exists: an operator's first contact is the command line. Bad usage
must exit 2, a fatal start-up problem exit 1 with a message naming the
file or address, --insecure must be refused off loopback, and a collector
started before its Redis must come up anyway (healthz 503) and start
acking once Redis appears. The --insecure path is also exercised end to
end with a plaintext sensor.
"""
import json
import os
import socket
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from collector_testlib import (Collector, Redis, Sensor, TempDir, check, curl,  # noqa: E402
                               free_port, make_alert, make_certs, paths, require_tools,
                               wait_for)


def run(args, timeout=10):
    bin_dir, _ = paths()
    p = subprocess.run([os.path.join(bin_dir, "picket-collector")] + args, capture_output=True,
                       text=True, timeout=timeout)
    return p.returncode, p.stdout + p.stderr


def check_usage(pki):
    rc, out = run(["-h"])
    check(rc == 0 and "usage: picket-collector" in out, "-h prints usage, exit 0")
    rc, out = run(["-V"])
    check(rc == 0 and out.startswith("picket-collector "), "-V prints the version, exit 0")
    base = ["-l", "127.0.0.1:1", "--redis", "127.0.0.1:1", "--ca", pki + "/ca.pem",
            "--cert", pki + "/collector.pem", "--key", pki + "/collector.key"]
    bad = [
        ([], "no arguments"),
        (["--bogus"], "unknown option"),
        (base[2:], "missing -l"),
        (base + ["--window", "0"], "--window 0"),
        (base + ["--window", "abc"], "--window abc"),
        (base + ["--dedup-key", "indicator"], "--dedup-key indicator"),
        (base + ["--frame-limit", "99999999999"], "--frame-limit too big"),
        (base + ["--redis-prefix", "a b"], "--redis-prefix with a space"),
        (["-l", "nohostport"] + base[2:], "-l without a port"),
        (["-l", "::1:80"] + base[2:], "-l with a bare IPv6 address"),
        (base + ["extra"], "stray argument"),
        (["-l", "127.0.0.1:1", "--redis", "127.0.0.1:1"], "no --ca/--cert/--key"),
    ]
    for args, what in bad:
        rc, out = run(args)
        check(rc == 2, "bad usage (%s) -> exit 2" % what)


def check_fatal(tmp, pki):
    port = free_port()
    base = ["-l", "127.0.0.1:%d" % port, "--redis", "127.0.0.1:1"]
    tls = ["--ca", pki + "/ca.pem", "--cert", pki + "/collector.pem", "--key",
           pki + "/collector.key"]
    missing = tmp.join("nope.pem")
    rc, out = run(base + ["--ca", missing] + tls[2:])
    check(rc == 1 and missing in out, "missing CA file -> exit 1 naming it")
    rc, out = run(base + tls[:4] + ["--key", pki + "/ca.key"])
    check(rc == 1 and pki + "/ca.key" in out and "mismatch" in out,
          "key not matching the certificate -> exit 1 naming the key")
    rc, out = run(base + tls + ["--crl", missing])
    check(rc == 1 and missing in out, "missing CRL file -> exit 1 naming it")
    rc, out = run(base + tls + ["-o", "/nonexistent-dir/x.jsonl"])
    check(rc == 1 and "/nonexistent-dir/x.jsonl" in out, "unwritable -o -> exit 1 naming it")
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    addr = "127.0.0.1:%d" % busy.getsockname()[1]
    rc, out = run(["-l", addr, "--redis", "127.0.0.1:1"] + tls)
    busy.close()
    check(rc == 1 and addr in out, "listen address in use -> exit 1 naming it")
    rc, out = run(["-l", "0.0.0.0:%d" % port, "--redis", "127.0.0.1:1", "--insecure"])
    check(rc == 1 and "not loopback" in out, "--insecure on 0.0.0.0 refused, exit 1")


def check_insecure_late_redis(tmp):
    redis = Redis(tmp)
    col = Collector(tmp, redis.port, None, http=True, extra=["--insecure"], name="insecure")
    col.start(wait_ready=False)
    url = "http://127.0.0.1:%d/healthz" % col.http_port
    try:
        check(curl(url)[0] == 503, "started before Redis: /healthz -> 503")
        s = Sensor(col.port, None, "lab-1")
        s.send({"type": "hello", "sensor": "lab-1", "partner": "LAB", "last_acked": 0})
        redis.start()
        s.sock.settimeout(15)
        check(s.expect("welcome")["applied"] == 0, "Redis appeared: plaintext sensor welcomed")
        check(curl(url)[0] == 200, "/healthz -> 200")
        check(s.alerts([(1, make_alert("lab-1", 1, "domain", "x.example", "1:x="))]) == 1,
              "--insecure on loopback: batch acked")
        rc = redis.client()
        a = json.loads(rc.cmd("XRANGE", "picket:alerts", "-", "+")[0][1][1])
        check(a["picket"]["sensor"] == "lab-1" and a["picket"]["partner"] == "LAB",
              "insecure mode: sensor and partner from the hello")
        s.close()
        check(col.stop() == 0, "collector exited cleanly")
    except Exception:
        print("--- collector log\n" + col.log()[-4000:])
        raise
    finally:
        col.stop()
        redis.stop()


def check_config_file(tmp, pki):
    """--config supplies settings, flags override it, --check-config checks
    without starting, and --syslog takes log lines away from stderr."""
    conf = tmp.join("collector.conf")
    with open(conf, "w") as fh:
        fh.write("# a collector configuration\nlisten = 127.0.0.1:%d\nredis = 127.0.0.1:1\n"
                 "ca = %s/ca.pem\ncert = %s/collector.pem\nkey = %s/collector.key\n"
                 "redis-prefix = fromfile:\nwindow = 60\n" % (free_port(), pki, pki, pki))
    rc, out = run(["--config", conf, "--check-config"])
    check(rc == 0 and "configuration OK" in out and 'prefix "fromfile:"' in out
          and "window 60 s" in out and "mutual TLS" in out,
          "--check-config with a good file: exit 0 and a summary of the file's settings")
    rc, out = run(["--config", conf, "--redis-prefix", "fromcli:", "--check-config"])
    check(rc == 0 and 'prefix "fromcli:"' in out, "a flag overrides the file's key")
    ind = tmp.join("coalition.txt")
    with open(ind, "w") as fh:
        fh.write("domain:a.example\nip:192.0.2.7\nbogus-line-that-is-no-indicator\n")
    rc, out = run(["--config", conf, "--indicators", ind, "--check-config"])
    check(rc == 0 and "2 indicators to distribute" in out and "coalition.txt" in out,
          "--check-config loads --indicators and reports them")
    rc, out = run(["--config", conf, "--indicators", tmp.join("none.txt"), "--check-config"])
    check(rc == 1 and "none.txt" in out, "--check-config names a missing --indicators file")
    bad_key = tmp.join("missing-key.conf")
    with open(bad_key, "w") as fh:
        fh.write(open(conf).read().replace("ca = ", "ca = /nonexistent/"))
    rc, out = run(["--config", bad_key, "--check-config"])
    check(rc == 1 and "/nonexistent/" in out and "configuration OK" not in out,
          "--check-config names a missing CA file and exits 1")
    rc, out = run(["--config", conf, "-o", "/nonexistent-dir/u.jsonl", "--check-config"])
    check(rc == 1 and "/nonexistent-dir/u.jsonl" in out, "--check-config names an unwritable -o")
    rc, out = run(["--config", conf, "--insecure", "-l", "0.0.0.0:1", "--check-config"])
    check(rc == 1 and "not loopback" in out, "--check-config refuses --insecure off loopback")
    with open(conf, "a") as fh:
        fh.write("redis-pasword = x\n")
    rc, out = run(["--config", conf])
    check(rc == 2 and "collector.conf:9: unknown key 'redis-pasword'" in out,
          "a misspelt key is a usage error naming file:line")
    rc, out = run(["--config", tmp.join("nope.conf")])
    check(rc == 1 and "nope.conf" in out, "an unreadable --config is fatal, naming the file")
    rc, out = run(["-l", "127.0.0.1:%d" % free_port(), "--redis", "127.0.0.1:1", "--insecure",
                   "--syslog", "--check-config", "-o", "/nonexistent-dir/u.jsonl"])
    check(rc == 1 and "nonexistent-dir" not in out, "--syslog sends log lines away from stderr")


def main():
    require_tools()
    tmp = TempDir("cli")
    pki = tmp.join("pki")
    make_certs(pki, ["s1:UK"])
    check_usage(pki)
    check_fatal(tmp, pki)
    check_config_file(tmp, pki)
    check_insecure_late_redis(tmp)
    tmp.cleanup()
    print("PASS: usage, fatal start-up errors, --config/--check-config/--syslog, --insecure and late Redis")


if __name__ == "__main__":
    main()
