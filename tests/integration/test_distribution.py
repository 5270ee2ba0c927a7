#!/usr/bin/env python3
"""test_distribution.py - the collector pushes each partner its share of
the coalition's indicator set; real processes end to end.

Why it exists: releasability is what partners rely on before they share
anything, and a pushed set is only useful if sensors apply it promptly and
keep it. With a redis-server, a picket-collector (certificates made by
deploy/make-certs.sh) loaded with a small set (CLEAR/GREEN/AMBER, a
TLP:RED of UK, a TLP:RED of JP, a TLP:RED of nobody, one of US shared
with UK only) plus 10 000 generated indicators of four partners, its
frame limit lowered to 256 KiB so that a share takes several frames, and
two real picket-sensors (UK, JP):
- each sensor's persisted pushed set holds exactly the values its partner
  may receive;
- a line added to the collector's file is applied by the connected
  sensors within 2 s (the latency is printed); SIGHUP reloads the files
  and sends nothing when no share changed; the UK sensor's next
  alert (a paced replay whose matching packets come after the change)
  names the new indicator and the store version the sensor logged;
- a UK sensor restarted with the collector down and no -I file alerts on
  a pushed-only indicator (its own TLP:RED) from its spool, and not on
  JP's TLP:RED;
- with one byte of that persisted set changed, the sensor still runs,
  says which file it rejected and why, counts it, and uses none of it.
The collector's log gives the set's size and the time to build a share.
"""
import json
import os
import re
import signal
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import collector_testlib as T  # noqa: E402

DELAY = 12.0          # s between the capture's first packet and the new indicator's
APPLY_LIMIT = 2.0     # s from the file change to the sensor's applied set
PARTNERS = ("UK", "JP", "US", "FR")
ZEEK_HEAD = ("#separator \\x09\n#fields\tindicator\tindicator_type\tmeta.source\t"
             "meta.partner\tmeta.tlp\tmeta.share_with\n")

# value, type, partner, tlp, share_with
SMALL = [
    ("clear.example", "DOMAIN", "UK", "clear", None),
    ("green.example", "DOMAIN", "JP", "green", None),
    ("amber.example", "DOMAIN", "JP", "amber", None),
    ("red-uk.example", "DOMAIN", "UK", "red", None),
    ("red-jp.example", "DOMAIN", "JP", "red", None),
    ("red-nobody.example", "DOMAIN", None, "red", None),
    ("share-uk.example", "DOMAIN", "US", "amber", "UK"),
    ("198.51.100.9", "ADDR", "JP", "green", "JP"),
]
FRESH = ("fresh.example", "DOMAIN", "UK", "green", None)


def zeek_line(row):
    value, itype, partner, tlp, share = row
    return "\t".join([value, "Intel::" + itype, "feed-" + (partner or "none"), partner or "-",
                      tlp, share or "-"]) + "\n"


def bulk_rows(n=10000):
    rows = []
    for i in range(n):
        share = [None, None, "UK", "JP,FR", None][i % 5]
        rows.append(("b%05d.bulk.example" % i, "DOMAIN", PARTNERS[i % 4],
                     ["clear", "green", "amber", "red"][(i // 4) % 4], share))
    return rows


def releasable(row, partner):
    _, _, owner, tlp, share = row
    if owner == partner:
        return True
    if tlp == "red":
        return False
    if share is not None:
        return partner in share.split(",")
    return True


def expected(rows, partner):
    return {r[0] for r in rows if releasable(r, partner)}


# ------------------------------------------------------------------ pcaps
def read_pcap(path):
    data = open(path, "rb").read()
    e = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    head, off, recs = data[:24], 24, []
    while off + 16 <= len(data):
        sec, frac, incl, orig = struct.unpack(e + "IIII", data[off:off + 16])
        recs.append([sec, frac, orig, data[off + 16:off + 16 + incl]])
        off += 16 + incl
    return e, head, recs


def write_pcap(path, e, head, recs):
    with open(path, "wb") as f:
        f.write(head)
        for sec, frac, orig, pkt in recs:
            f.write(struct.pack(e + "IIII", sec, frac, len(pkt), orig) + pkt)


def gen(bin_dir, tmp, name, lines):
    ind = tmp.join(name + ".txt")
    with open(ind, "w") as f:
        f.write("".join(l + "\n" for l in lines))
    out = tmp.join(name + ".pcap")
    subprocess.run([os.path.join(bin_dir, "picket-gen"), "-I", ind, "-w", out,
                    "--background", "0", "-q"], check=True)
    return out


def paced_capture(bin_dir, tmp):
    """One benign packet, then fresh.example's sessions DELAY s later."""
    filler = gen(bin_dir, tmp, "filler", ["domain:filler.test"])
    fresh = gen(bin_dir, tmp, "fresh", ["domain:" + FRESH[0]])
    e, head, frecs = read_pcap(filler)
    _, _, recs = read_pcap(fresh)
    first = frecs[0]
    base = recs[0][0]
    out = [[first[0], first[1], first[2], first[3]]]
    for sec, frac, orig, pkt in recs:
        out.append([first[0] + int(DELAY) + (sec - base), frac, orig, pkt])
    path = tmp.join("paced.pcap")
    write_pcap(path, e, head, out)
    return path


# ----------------------------------------------------------------- sensors
def sensor_cmd(bin_dir, tmp, pki, port, sid, pcap, extra=(), local=True):
    """A sensor of the collector at port; local: with a -I file of its own."""
    files = []
    if local:
        files = ["-I", tmp.join("local-%s.txt" % sid)]
        with open(files[1], "w") as f:
            f.write("domain:local-only-%s.example\n" % sid)
    return [os.path.join(bin_dir, "picket-sensor"), "-r", pcap] + files + [
            "-c", "127.0.0.1:%d" % port, "--ca", os.path.join(pki, "ca.pem"),
            "--cert", os.path.join(pki, sid + ".pem"), "--key", os.path.join(pki, sid + ".key"),
            "--spool", tmp.join("spool-" + sid), "--no-progress"] + list(extra)


class Sensor:
    def __init__(self, tmp, cmd, name):
        self.err_path = tmp.join(name + ".err")
        self.errf = open(self.err_path, "wb")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=self.errf)

    def log(self):
        with open(self.err_path, "rb") as f:
            return f.read().decode(errors="replace")

    def applied(self):
        """[(pushed version, count, store version, took ms)] of every applied line."""
        return re.findall(r"applied pushed indicator set (\w+): (\d+) indicators; store set "
                          r"(\w+) with the local files: \d+ indicators; took (\d+) ms",
                          self.log())

    def wait(self, timeout):
        try:
            return self.proc.wait(timeout)
        finally:
            self.errf.close()

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.errf.close()


def pushed_path(tmp, sid):
    return os.path.join(tmp.join("spool-" + sid), "pushed-indicators.jsonl")


def pushed_values(tmp, sid):
    """The values of the persisted set; its header line must be sound."""
    with open(pushed_path(tmp, sid), "rb") as f:
        head, text = f.read().split(b"\n", 1)
    m = re.fullmatch(rb"#picket-pushed-set 1 ([0-9a-f]{16}) (\d+)", head)
    T.check(m and int(m.group(2)) == len(text),
            "%s's persisted set has a sound header (%d bytes of text)" % (sid, len(text)))
    return {json.loads(l)["value"] for l in text.decode().splitlines() if l.strip()}


def alerts(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(l) for l in f if l.strip()]


# ------------------------------------------------------------------- phases
def check_initial(tmp, sensors, rows):
    for sid, partner in (("uk-1", "UK"), ("jp-1", "JP")):
        T.wait_for(lambda: sensors[sid].applied(), timeout=20,
                   what="%s applied its first pushed set" % sid)
        got, want = pushed_values(tmp, sid), expected(rows, partner)
        T.check(got == want, "%s's persisted set is exactly what %s may receive (%d values; "
                "missing %s, extra %s)" % (sid, partner, len(want), sorted(want - got)[:5],
                                           sorted(got - want)[:5]))
    uk, jp = pushed_values(tmp, "uk-1"), pushed_values(tmp, "jp-1")
    T.check("red-uk.example" in uk and "red-uk.example" not in jp, "UK's TLP:RED stays with UK")
    T.check("red-jp.example" in jp and "red-jp.example" not in uk, "JP's TLP:RED stays with JP")
    T.check("red-nobody.example" not in uk | jp, "a TLP:RED of no partner goes to nobody")
    T.check("share-uk.example" in uk and "share-uk.example" not in jp,
            "share_with=UK reaches UK only")
    T.check("198.51.100.9" in jp and "198.51.100.9" not in uk,
            "JP's share_with=JP stays with JP")
    T.check("clear.example" in jp and "green.example" in uk and "amber.example" in uk,
            "TLP:CLEAR, GREEN and AMBER (no share_with) reach the other partner")


def check_change(tmp, small_path, sensors):
    before = {sid: len(s.applied()) for sid, s in sensors.items()}
    t0 = time.monotonic()
    with open(small_path, "a") as f:
        f.write(zeek_line(FRESH))
    lat = {}
    for sid, s in sensors.items():
        T.wait_for(lambda: len(s.applied()) > before[sid], timeout=10, step=0.01,
                   what="%s applied the changed set" % sid)
        lat[sid] = time.monotonic() - t0
    print("apply latency from the file change: " +
          ", ".join("%s %.0f ms (its last part to the store in force: %s ms)"
                    % (k, v * 1000, sensors[k].applied()[-1][3]) for k, v in sorted(lat.items())))
    T.check(all(v < APPLY_LIMIT for v in lat.values()),
            "every connected sensor applied the new set within %.0f s" % APPLY_LIMIT)
    T.check(FRESH[0] in pushed_values(tmp, "uk-1") and FRESH[0] in pushed_values(tmp, "jp-1"),
            "the new indicator is in both persisted sets")
    return sensors["uk-1"].applied()[-1]


def check_sighup(coll, sensors):
    """SIGHUP reloads; shares that did not change are not sent again."""
    applied = {sid: len(s.applied()) for sid, s in sensors.items()}
    log = coll.log()
    coll.proc.send_signal(signal.SIGHUP)
    T.wait_for(lambda: coll.log().count(" in force: ") > log.count(" in force: "),
               what="the collector reloaded on SIGHUP")
    time.sleep(1.0)
    T.check(coll.log().count(" sent, ") == log.count(" sent, ") and
            all(len(s.applied()) == applied[sid] for sid, s in sensors.items()),
            "SIGHUP reloads the files; unchanged shares are not pushed again")


def check_metrics(coll):
    """/metrics counts what was loaded and sent: 3 sets (start, change,
    SIGHUP), 2 sensors x 2 shares of 4 frames each."""
    m = T.metrics(coll.http_port)
    got = {k: m.get("picket_collector_dist_%s_total" % k) for k in
           ("sets_loaded", "reloads_failed", "shares_sent", "frames_sent", "bytes_sent",
            "indicators_left_out")}
    T.check(got["sets_loaded"] >= 3 and got["reloads_failed"] == 0 and
            got["shares_sent"] == 4 and got["frames_sent"] == 16 and
            got["indicators_left_out"] == 0 and got["bytes_sent"] > 4 * 860000,
            "/metrics counts the distribution (%s)" % got)


def check_alert(tmp, sensor, applied):
    rc = sensor.wait(DELAY + 60)
    T.check(rc == 0, "uk-1 finished its paced replay (exit %d)" % rc)
    hits = [a for a in alerts(tmp.join("uk-1.jsonl"))
            if a["picket"]["indicator"]["value"] == FRESH[0]]
    T.check(hits, "uk-1 alerted on the new indicator (%d alerts)" % len(hits))
    T.check(all(a["picket"]["indicator_set"] == applied[2] for a in hits),
            "those alerts carry the store version uk-1 logged for the applied set (%s)"
            % applied[2])
    T.check(all(a["picket"]["indicator"]["partner"] == "UK" and
                a["picket"]["indicator"]["tlp"] == "green" for a in hits),
            "the alert names the pushed indicator's partner and TLP")


def check_restart(bin_dir, tmp, pki, port):
    pcap = gen(bin_dir, tmp, "reds", ["domain:red-uk.example", "domain:red-jp.example"])
    out = tmp.join("uk-1-restart.jsonl")
    s = Sensor(tmp, sensor_cmd(bin_dir, tmp, pki, port, "uk-1", pcap,
                               ["-o", out, "--drain-timeout", "1"], local=False), "uk-1-restart")
    rc = s.wait(60)
    T.check(rc == 0, "uk-1 runs with the collector down and no -I file (exit %d)" % rc)
    T.check("from the spool" in s.log(), "uk-1 loaded the pushed set from its spool")
    vals = {a["picket"]["indicator"]["value"] for a in alerts(out)}
    T.check("red-uk.example" in vals, "uk-1 alerts on a pushed-only indicator (UK's TLP:RED)")
    T.check("red-jp.example" not in vals, "uk-1 never alerts on JP's TLP:RED")


def check_corrupt(bin_dir, tmp, pki, port):
    """A damaged persisted set is refused as a whole, said and counted."""
    path = pushed_path(tmp, "uk-1")
    with open(path, "rb") as f:
        data = bytearray(f.read())
    i = data.index(b"red-uk.example")
    data[i] = ord("R")                         # one byte of the text changed
    with open(path, "wb") as f:
        f.write(data)
    pcap = tmp.join("reds.pcap")
    out = tmp.join("uk-1-corrupt.jsonl")
    s = Sensor(tmp, sensor_cmd(bin_dir, tmp, pki, port, "uk-1", pcap,
                               ["-o", out, "--drain-timeout", "1", "--stats"]), "uk-1-corrupt")
    rc = s.wait(60)
    log = s.log()
    T.check(rc == 0, "uk-1 with a damaged persisted set still runs (exit %d)" % rc)
    T.check(re.search(r"pushed indicator set in the spool rejected, not used: \S*"
                      r"pushed-indicators.jsonl: text does not hash to its version", log),
            "the log line names the file and why it was rejected")
    m = re.search(r"reload.pushed_rejected\s+(\d+)", log)
    T.check(m and int(m.group(1)) == 1, "it is counted (reload.pushed_rejected %s)"
            % (m.group(1) if m else "absent"))
    vals = {a["picket"]["indicator"]["value"] for a in alerts(out)}
    T.check(not vals & {"red-uk.example", "Red-uk.example"},
            "nothing of the damaged set is used (%d alerts)" % len(vals))


def report_sizes(coll_log):
    for line in coll_log.splitlines():
        if "for partner" in line or "in force" in line:
            print("collector: " + line.split(": ", 1)[-1])


def main():
    T.require_tools()
    bin_dir, _ = T.paths()
    tmp = T.TempDir("distribution")
    redis = coll = None
    sensors = {}
    try:
        pki = tmp.join("pki")
        T.make_certs(pki, ["uk-1:UK", "jp-1:JP"])
        redis = T.Redis(tmp).start()
        small, bulk = tmp.join("coalition.intel"), tmp.join("bulk.intel")
        with open(small, "w") as f:
            f.write(ZEEK_HEAD + "".join(zeek_line(r) for r in SMALL))
        rows = bulk_rows()
        with open(bulk, "w") as f:
            f.write(ZEEK_HEAD + "".join(zeek_line(r) for r in rows))
        coll = T.Collector(tmp, redis.port, pki,
                           extra=["--indicators", small, "--indicators", bulk,
                                  "--frame-limit", "262144"], http=True).start()
        pcap = paced_capture(bin_dir, tmp)
        for sid in ("uk-1", "jp-1"):
            sensors[sid] = Sensor(tmp, sensor_cmd(bin_dir, tmp, pki, coll.port, sid, pcap,
                                                  ["--replay-speed", "1", "-o",
                                                   tmp.join(sid + ".jsonl")]), sid)
        check_initial(tmp, sensors, SMALL + rows)
        frames = [int(n) for n in re.findall(r"bytes in (\d+) frames?,", coll.log())]
        T.check(frames and min(frames) > 1, "every share took several frames (%s)" % frames)
        applied = check_change(tmp, small, sensors)
        check_sighup(coll, sensors)
        check_metrics(coll)
        check_alert(tmp, sensors["uk-1"], applied)
        sensors["jp-1"].wait(DELAY + 60)
        report_sizes(coll.log())
        T.check(coll.stop() == 0, "collector stops cleanly")
        coll = None
        check_restart(bin_dir, tmp, pki, T.free_port())
        check_corrupt(bin_dir, tmp, pki, T.free_port())
        print("1 passed, 0 failed")
        return 0
    except AssertionError as e:
        print("FAIL: %s" % e)
        for sid, s in sensors.items():
            print("--- %s stderr:\n%s" % (sid, s.log()[-3000:]))
        if coll:
            print("--- collector log:\n" + coll.log()[-4000:])
        print("0 passed, 1 failed")
        return 1
    finally:
        for s in sensors.values():
            s.kill()
        if coll:
            coll.stop()
        if redis:
            redis.stop()
        tmp.cleanup()


if __name__ == "__main__":
    sys.exit(main())
