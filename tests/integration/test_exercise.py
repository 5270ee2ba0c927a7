#!/usr/bin/env python3
"""test_exercise.py - exercise alerts stay out of live operations, and the
coverage report names exactly what each partner's sensor missed.

Why it exists: exercise planners replay a picket-gen capture through every
partner's sensor with --exercise while the same collector keeps serving
live traffic. Real redis-server, certificates made at test time, real
picket-sensor processes:
- uk-1 (UK) and jp-1 (JP) replay the capture with --exercise EX1; uk-1 is
  loaded with a reduced indicator set (MISSED is left out), jp-1 with all;
- uk-live (UK) replays the same capture at the same time with no
  --exercise, so live and exercise traffic carry the very same
  (indicator, community_id) keys and must not deduplicate against each
  other;
- a hand-made batch mixing a live alert, an EX2 alert and one with a
  malformed exercise name is split, and the malformed one counted.
Checked: picket:alerts holds only live alerts, picket:exercise:EX1:alerts
only EX1's, each with the right dedup counts; sightings go to the
exercise's stream; picket:exercises; the coverage hash; -o and
/api/stream (live and ?exercise=EX1); the coverage report in text and
JSON; its errors for an unknown exercise and an unreachable Redis.
"""
import collections
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import collector_testlib as T  # noqa: E402

FULL_SET = """\
ip:192.0.2.200
ip:2001:db8:77::5
cidr:198.51.100.64/28
domain:c2.coverage.example
domain:beacon.drill.example
sni:tls.coverage.example
http_host:web.coverage.example
url:http://files.coverage.example/drop/x.bin
ja3:cd08e31494f9531f560d64c695473da9
ja4:t13d1715h2_5b57614c22b0_3d5424432f57
ip:203.0.113.99
domain:exfil.drill.example
"""
# Left out of uk-1's set: (type as alerts name it, normalised value).
MISSED = {("ipv4", "203.0.113.99"), ("domain", "exfil.drill.example"),
          ("url", "files.coverage.example/drop/x.bin"), ("sni", "tls.coverage.example")}
MISSED_LINES = {"ip:203.0.113.99", "domain:exfil.drill.example",
                "url:http://files.coverage.example/drop/x.bin", "sni:tls.coverage.example"}
NEVER_SEEN = ("domain", "never.generated.example")    # in the report's set only
SENSORS = [("uk-1", "UK"), ("jp-1", "JP"), ("uk-live", "UK"), ("mix-1", "UK")]
EXERCISE_SENSORS = {"uk-1": "UK", "jp-1": "JP"}


def write_sets(tmp):
    full, reduced, extra = tmp.join("full.txt"), tmp.join("reduced.txt"), tmp.join("extra.txt")
    with open(full, "w") as f:
        f.write(FULL_SET)
    lines = [l for l in FULL_SET.splitlines() if l not in MISSED_LINES]
    T.check(len(lines) == len(FULL_SET.splitlines()) - len(MISSED),
            "reduced set leaves out %d of %d indicators" % (len(MISSED), len(lines) + len(MISSED)))
    with open(reduced, "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(extra, "w") as f:
        f.write("%s:%s\n" % NEVER_SEEN)
    return full, reduced, extra


def sensor_cmd(bin_dir, tmp, pki, port, sid, pcap, ind, exercise):
    cmd = [os.path.join(bin_dir, "picket-sensor"), "-r", pcap, "-I", ind,
           "-c", "127.0.0.1:%d" % port, "--ca", os.path.join(pki, "ca.pem"),
           "--cert", os.path.join(pki, sid + ".pem"), "--key", os.path.join(pki, sid + ".key"),
           "--spool", tmp.join("spool-" + sid), "-o", tmp.join(sid + ".jsonl"),
           "--drain-timeout", "60"]
    return cmd + (["--exercise", exercise] if exercise else [])


def raised(tmp, sid):
    with open(tmp.join(sid + ".jsonl")) as f:
        return [json.loads(l) for l in f if l.strip()]


def dedup_key(a):
    i = a["picket"]["indicator"]
    return (i["type"], i["value"], a["community_id"])


def ind_of(a):
    i = a["picket"]["indicator"]
    return (i["type"], i["value"])


class SSE:
    """curl -N on /api/stream[?exercise=...], events counted at the end."""

    def __init__(self, tmp, http_port, query, name):
        self.path = tmp.join(name + ".sse")
        self.out = open(self.path, "wb")
        self.proc = subprocess.Popen(
            ["curl", "-s", "-N", "-m", "120",
             "http://127.0.0.1:%d/api/stream%s" % (http_port, query)], stdout=self.out)

    def count(self, kind):
        with open(self.path, encoding="utf-8") as f:
            return sum(1 for l in f if l.strip() == "event: " + kind)

    def events(self, alerts):
        """Waits (generously: the machine may be loaded) for at least that
        many alert events, then stops curl and parses everything it got."""
        T.wait_for(lambda: self.count("alert") >= alerts, timeout=30,
                   what="%d alert events on %s" % (alerts, self.path))
        self.proc.terminate()
        self.proc.wait(10)
        self.out.close()
        evs, kind = [], None
        for line in open(self.path, encoding="utf-8"):
            if line.startswith("event: "):
                kind = line[7:].strip()
            elif line.startswith("data: "):
                evs.append((kind, json.loads(line[6:])))
        return evs


def check_streams(rc, tmp, collector_out):
    live = raised(tmp, "uk-live")
    ex = {sid: raised(tmp, sid) for sid in EXERCISE_SENSORS}
    T.check(live and all(ex.values()), "every sensor raised alerts (live %d, %s)" % (
        len(live), ", ".join("%s %d" % (s, len(a)) for s, a in ex.items())))
    live_entries = [json.loads(f["alert"]) for _, f in T.stream_entries(rc, "picket:alerts")]
    want_live = {dedup_key(a) for a in live}
    T.check(all(a["picket"].get("exercise") is None for a in live_entries)
            and {dedup_key(a) for a in live_entries} == want_live
            and len(live_entries) == len(want_live),
            "picket:alerts holds the %d live dedup keys only" % len(want_live))
    ex_entries = [json.loads(f["alert"]) for _, f in
                  T.stream_entries(rc, "picket:exercise:EX1:alerts")]
    who = collections.defaultdict(set)
    for sid, alerts in ex.items():
        for a in alerts:
            who[dedup_key(a)].add(sid)
    T.check(all(a["picket"].get("exercise") == "EX1" for a in ex_entries)
            and {dedup_key(a) for a in ex_entries} == set(who) and len(ex_entries) == len(who),
            "picket:exercise:EX1:alerts holds the %d exercise dedup keys only, though live "
            "traffic had the same keys" % len(who))
    bad = 0
    for a in ex_entries:
        aid = a["picket"]["alert_id"]
        count = rc.cmd("HGET", "picket:exercise:EX1:alert:" + aid, "count")
        sensors = set(rc.cmd("SMEMBERS", "picket:exercise:EX1:alert:%s:sensors" % aid) or [])
        if int(count or 0) != len(who[dedup_key(a)]) or sensors != who[dedup_key(a)]:
            bad += 1
    T.check(bad == 0, "dedup count and sensors right for all %d exercise entries" % len(ex_entries))
    bad = sum(1 for a in live_entries
              if rc.cmd("HGET", "picket:alert:" + a["picket"]["alert_id"], "count") != "1")
    T.check(bad == 0, "dedup count 1 for all %d live entries (one live sensor)" % len(live_entries))
    partners = collections.defaultdict(set)
    for sid, alerts in ex.items():
        for a in alerts:
            partners[ind_of(a)].add(EXERCISE_SENSORS[sid])
    shared = sum(1 for p in partners.values() if len(p) == 2)
    sightings = T.stream_entries(rc, "picket:exercise:EX1:sightings")
    T.check(len(sightings) == shared and shared > 0 and
            all(json.loads(f["sighting"]).get("exercise") == "EX1" for _, f in sightings),
            "one EX1 sighting per indicator both partners caught: %d" % shared)
    T.check(not T.stream_entries(rc, "picket:sightings"),
            "no live sighting (only one live partner)")
    with open(collector_out) as f:
        out = [json.loads(l) for l in f if l.strip()]
    T.check({dedup_key(a) for a in out} == want_live and len(out) == len(want_live) and
            all(a["picket"].get("exercise") is None for a in out),
            "-o holds the %d live alerts only" % len(out))
    return live_entries, ex_entries, ex


def check_coverage_hash(rc, ex):
    h = rc.cmd("HGETALL", "picket:exercise:EX1:coverage") or []
    h = dict(zip(h[0::2], h[1::2]))
    want = collections.Counter()
    for sid, alerts in ex.items():
        for a in alerts:
            t, v = ind_of(a)
            want["%s\t%s\t%s|%s" % (EXERCISE_SENSORS[sid], sid, t, v)] += 1
    T.check({k: int(v) for k, v in h.items()} == dict(want),
            "coverage hash: %d (partner, sensor, indicator) fields, counts = alerts raised"
            % len(want))
    uk_caught = {tuple(k.split("\t")[2].split("|", 1)) for k in h if k.startswith("UK\tuk-1\t")}
    T.check(not (uk_caught & MISSED), "uk-1 caught none of the %d left out" % len(MISSED))


def report(bin_dir, redis_port, sets, *extra):
    args = [os.path.join(bin_dir, "picket-collector"), "--coverage-report"] + list(extra[:1]) + \
        ["--redis", "127.0.0.1:%d" % redis_port] + sum((["-I", s] for s in sets), []) + \
        list(extra[1:])
    return subprocess.run(args, capture_output=True, text=True, timeout=60)


def check_report(bin_dir, redis_port, sets, manifest):
    exercised = {(e["type"], e["value"]) for e in manifest["exercised"]}
    j = report(bin_dir, redis_port, sets, "EX1", "--format", "json")
    T.check(j.returncode == 0, "JSON report exits 0 (stderr: %s)" % j.stderr.strip())
    rep = json.loads(j.stdout)
    rows = {(r["type"], r["value"]): r for r in rep["indicators"]}
    T.check(set(rows) == exercised | {NEVER_SEEN} and len(exercised) == 12,
            "JSON report has a row per indicator of the set: %d" % len(rows))
    T.check(rep["partners"] == ["JP", "UK"] or sorted(rep["partners"]) == ["JP", "UK"],
            "expected partners are those that reported: %s" % rep["partners"])
    wrong = []
    for key, r in rows.items():
        if key == NEVER_SEEN:
            want = ([], sorted(["JP", "UK"]), "missed_by_all")
        elif key in MISSED:
            want = (["JP"], ["UK"], "missed_by_some")
        else:
            want = (["JP", "UK"], [], "caught_by_all")
        if (sorted(r["caught_by"]), sorted(r["missed_by"]), r["status"]) != want:
            wrong.append((key, r))
    T.check(not wrong, "caught_by/missed_by right for all %d rows %s" % (len(rows), wrong[:2]))
    s = rep["summary"]
    T.check((s["indicators"], s["caught_by_all"], s["missed_by_some"], s["missed_by_all"]) ==
            (13, 8, 4, 1), "JSON summary: %s" % s)
    t = report(bin_dir, redis_port, sets, "EX1")
    lines = t.stdout.splitlines()
    some = {l.split()[-1] for l in lines if l.startswith("missed by some")}
    T.check(t.returncode == 0 and some == {v for _, v in MISSED},
            "text report: the 'missed by some' rows are exactly the %d left out" % len(some))
    T.check(all(l.split()[4:6] == ["JP", "UK"] for l in lines if l.startswith("missed by some")),
            "text report: those rows are caught by JP, missed by UK")
    T.check(lines[-1] == "summary: 13 indicators, 8 caught by all, 4 missed by some, "
                        "1 missed by all", "text summary line: %s" % lines[-1])
    print("\n".join("  | " + l for l in lines))
    fr = json.loads(report(bin_dir, redis_port, sets, "EX1", "--format", "json",
                           "--partners", "JP,UK,FR").stdout)["summary"]
    T.check(fr["caught_by_all"] == 0 and fr["missed_by_some"] == 12 and fr["missed_by_all"] == 1,
            "--partners JP,UK,FR: FR missed everything: %s" % fr)


def check_report_errors(bin_dir, redis_port, sets):
    u = report(bin_dir, redis_port, sets, "NOPE")
    T.check(u.returncode == 1 and "unknown" in u.stderr, "unknown exercise: exit 1, says so")
    d = report(bin_dir, T.free_port(), sets, "EX1")
    T.check(d.returncode == 1 and "cannot connect" in d.stderr,
            "unreachable Redis: exit 1, says so: %s" % d.stderr.strip())
    b = report(bin_dir, redis_port, sets, "EX1", "--format", "xml")
    T.check(b.returncode == 2 and "--format" in b.stderr, "bad --format: exit 2")


def check_mixed_batch(rc, collector, pki):
    s = T.Sensor(collector.port, pki, "mix-1")
    s.hello()
    live = T.make_alert("mix-1", 1, "domain", "mixed.live.example", community_id="1:mixA")
    drill = T.make_alert("mix-1", 2, "domain", "mixed.live.example", community_id="1:mixA")
    drill["picket"]["exercise"] = "EX2"
    bad = T.make_alert("mix-1", 3, "domain", "mixed.live.example", community_id="1:mixA")
    bad["picket"]["exercise"] = "bad name!"
    T.check(s.alerts([(1, live), (2, drill), (3, bad)]) == 3, "mixed batch acknowledged")
    s.close()
    live_ids = [json.loads(f["alert"])["picket"]["alert_id"]
                for _, f in T.stream_entries(rc, "picket:alerts")]
    ex2 = [json.loads(f["alert"])["picket"]["alert_id"]
           for _, f in T.stream_entries(rc, "picket:exercise:EX2:alerts")]
    T.check("mix-1:1" in live_ids and "mix-1:2" not in live_ids and ex2 == ["mix-1:2"],
            "mixed batch split: live alert in picket:alerts, EX2 alert in its own stream")
    T.check(sorted(rc.cmd("SMEMBERS", "picket:exercises")) == ["EX1", "EX2"],
            "picket:exercises lists EX1 and EX2")
    m = T.metrics(collector.http_port)
    T.check(m.get('picket_collector_errors_total{kind="exercise_invalid"}') == 1,
            "malformed exercise name counted once")


def start_collector(run, pki):
    """redis-server, a collector with -o and --http, and two SSE clients."""
    run.redis = T.Redis(run.tmp).start()
    out = run.tmp.join("collector-out.jsonl")
    run.collector = T.Collector(run.tmp, run.redis.port, pki, extra=["-o", out],
                                http=True).start()
    streams = [SSE(run.tmp, run.collector.http_port, "", "live"),
               SSE(run.tmp, run.collector.http_port, "?exercise=EX1", "ex1")]
    for s in streams:
        run.close_later(s.proc.kill)
    T.wait_for(lambda: T.metrics(run.collector.http_port).get(
        "picket_collector_sse_clients") == 2, what="two /api/stream clients")
    return out, streams


def run_sensors(bin_dir, run, pki, pcap, full, reduced):
    cmds = {"uk-1": (reduced, "EX1"), "jp-1": (full, "EX1"), "uk-live": (full, None)}
    procs = {sid: subprocess.Popen(sensor_cmd(bin_dir, run.tmp, pki, run.collector.port, sid,
                                              pcap, ind, ex),
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
             for sid, (ind, ex) in cmds.items()}
    for sid, p in procs.items():
        _, err = p.communicate(timeout=120)
        T.check(p.returncode == 0 and "not yet acknowledged" not in err,
                "%s exited 0 with every alert acknowledged" % sid)


def check_sse(streams, live_entries, ex_entries, http_port):
    code, _ = T.curl("http://127.0.0.1:%d/api/stream?exercise=bad%%20name" % http_port)
    T.check(code == 400, "/api/stream?exercise=<bad name> refused with 400 (got %d)" % code)
    live_sse = streams[0].events(len(live_entries))
    ex_sse = streams[1].events(len(ex_entries))
    la = [d for k, d in live_sse if k == "alert"]
    xa = [d for k, d in ex_sse if k == "alert"]
    T.check(len(la) == len(live_entries) and all(d["picket"]["exercise"] is None for d in la),
            "/api/stream sent the %d live alerts only" % len(la))
    T.check(len(xa) == len(ex_entries) and all(d["picket"]["exercise"] == "EX1" for d in xa)
            and sum(1 for k, _ in ex_sse if k == "sighting") > 0,
            "/api/stream?exercise=EX1 sent the %d EX1 alerts and its sightings" % len(xa))


def body(run):
    bin_dir, _ = T.paths()
    pki = run.tmp.join("pki")
    T.make_certs(pki, ["%s:%s" % s for s in SENSORS])
    full, reduced, extra = write_sets(run.tmp)
    pcap, mpath = run.tmp.join("ex.pcap"), run.tmp.join("manifest.json")
    subprocess.run([os.path.join(bin_dir, "picket-gen"), "-I", full, "-w", pcap,
                    "--seed", "7", "--manifest", mpath, "-q"], check=True)
    with open(mpath) as f:
        manifest = json.load(f)
    out, streams = start_collector(run, pki)
    run_sensors(bin_dir, run, pki, pcap, full, reduced)
    rc = run.redis.client()
    live_entries, ex_entries, ex = check_streams(rc, run.tmp, out)
    T.check(rc.cmd("SMEMBERS", "picket:exercises") == ["EX1"], "picket:exercises is {EX1}")
    check_coverage_hash(rc, ex)
    check_sse(streams, live_entries, ex_entries, run.collector.http_port)
    check_report(bin_dir, run.redis.port, [full, extra], manifest)
    check_report_errors(bin_dir, run.redis.port, [full, extra])
    check_mixed_batch(rc, run.collector, pki)
    T.check(run.collector.stop() == 0, "collector stops cleanly")
    run.collector = None
    print("exercise: %d live entries, %d EX1 entries, 13 indicators in the report"
          % (len(live_entries), len(ex_entries)))


def main():
    T.require_tools()
    return T.run_test("exercise", body)


if __name__ == "__main__":
    sys.exit(main())
