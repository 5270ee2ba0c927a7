#!/usr/bin/env python3
"""test_pipeline.py - real sensors -> real collector -> real Redis.

Why it exists: the promise to watch floors is end to end. Three
picket-sensor processes of two partners (UK: uk-1, uk-2; JP: jp-1), with
certificates made at test time, replay a picket-gen capture at the same
time through one picket-collector into a redis-server started by the
test. Checked against what the sensors themselves raised (their -o copies):
- the stream holds exactly one entry per (indicator, Community ID): the
  default dedup rule; each entry's repeat count, sensors and partners are
  those of the sensors that raised it;
- exactly one coalition sighting per indicator seen by both partners;
- uk-1 replays the same capture again through a restarted collector (new
  process, same Redis, same spool): the stream gains nothing.
"""
import collections
import glob
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import collector_testlib as T  # noqa: E402

SENSORS = [("uk-1", "UK"), ("uk-2", "UK"), ("jp-1", "JP")]


def make_capture(tmp, bin_dir, src):
    rules = [f for f in sorted(glob.glob(os.path.join(src, "rules", "*"))) if not f.endswith(".md")]
    ind = sum((["-I", f] for f in rules), [])
    pcap = tmp.join("exercise.pcap")
    subprocess.run([os.path.join(bin_dir, "picket-gen")] + ind +
                   ["-w", pcap, "--seed", "5", "-q"], check=True)
    return pcap, ind


def sensor_cmd(bin_dir, tmp, pki, collector_port, sid, pcap, ind, run):
    return [os.path.join(bin_dir, "picket-sensor"), "-r", pcap] + ind + [
        "-c", "127.0.0.1:%d" % collector_port, "--ca", os.path.join(pki, "ca.pem"),
        "--cert", os.path.join(pki, sid + ".pem"), "--key", os.path.join(pki, sid + ".key"),
        "--spool", tmp.join("spool-" + sid), "-o", tmp.join("%s-%d.jsonl" % (sid, run)),
        "--drain-timeout", "60"]


def run_sensors(cmds):
    procs = [subprocess.Popen(c, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
             for c in cmds]
    out = []
    for p in procs:
        _, err = p.communicate(timeout=120)
        out.append((p.returncode, err))
    return out


def raised_by(tmp, sid, run):
    with open(tmp.join("%s-%d.jsonl" % (sid, run))) as f:
        return [json.loads(l) for l in f if l.strip()]


def dedup_key(a):
    i = a["picket"]["indicator"]
    return (i["type"], i["value"], a["community_id"])


def expected_view(tmp):
    """(dedup key -> set of sensors), partners per indicator, alerts raised."""
    who = collections.defaultdict(set)
    partners = collections.defaultdict(set)
    total = 0
    for sid, partner in SENSORS:
        for a in raised_by(tmp, sid, 1):
            total += 1
            who[dedup_key(a)].add(sid)
            i = a["picket"]["indicator"]
            partners[(i["type"], i["value"])].add(partner)
        T.check(total > 0, "%s raised alerts" % sid)
    return who, partners, total


def check_stream(rc, who, partners, total):
    entries = T.stream_entries(rc, "picket:alerts")
    seen = collections.Counter(dedup_key(json.loads(f["alert"])) for _, f in entries)
    T.check(set(seen) == set(who),
            "stream holds one entry per (indicator, community_id): %d entries for %d alerts raised"
            % (len(entries), total))
    T.check(all(n == 1 for n in seen.values()), "no key appears twice in the stream")
    bad = 0
    for _, f in entries:
        a = json.loads(f["alert"])
        aid = a["picket"]["alert_id"]
        h = rc.cmd("HGETALL", "picket:alert:" + aid) or []
        h = dict(zip(h[0::2], h[1::2]))
        sensors = set(rc.cmd("SMEMBERS", "picket:alert:%s:sensors" % aid) or [])
        want = who[dedup_key(a)]
        if int(h.get("count", 0)) != len(want) or sensors != want:
            bad += 1
    T.check(bad == 0, "repeat count and sensor set of every entry match the sensors that raised it")
    shared = {k for k, p in partners.items() if len(p) >= 2}
    sightings = T.stream_entries(rc, "picket:sightings")
    T.check(len(sightings) == len(shared),
            "one coalition sighting per indicator both partners saw: %d" % len(shared))
    return len(entries)


def body(run):
    bin_dir, src = T.paths()
    tmp = run.tmp
    pki = tmp.join("pki")
    T.make_certs(pki, ["%s:%s" % s for s in SENSORS])
    run.redis = T.Redis(tmp).start()
    run.collector = T.Collector(tmp, run.redis.port, pki).start()
    pcap, ind = make_capture(tmp, bin_dir, src)
    results = run_sensors([sensor_cmd(bin_dir, tmp, pki, run.collector.port, sid, pcap, ind, 1)
                           for sid, _ in SENSORS])
    for (sid, _), (rc_, err) in zip(SENSORS, results):
        T.check(rc_ == 0 and "not yet acknowledged" not in err,
                "%s exited 0 with every alert acknowledged" % sid)
    who, partners, total = expected_view(tmp)
    rc = run.redis.client()
    n = check_stream(rc, who, partners, total)

    T.check(run.collector.stop() == 0, "collector stops cleanly")
    run.collector = T.Collector(tmp, run.redis.port, pki, name="collector2").start()
    (rc2, err2), = run_sensors([sensor_cmd(bin_dir, tmp, pki, run.collector.port, "uk-1",
                                           pcap, ind, 2)])
    T.check(rc2 == 0 and "not yet acknowledged" not in err2,
            "uk-1 replays the capture through a restarted collector")
    again = len(T.stream_entries(rc, "picket:alerts"))
    T.check(again == n, "no duplicate in the stream after the replay (%d entries)" % again)
    print("pipeline: %d alerts raised by 3 sensors, %d unique in the stream, %d sightings"
          % (total, n, len(T.stream_entries(rc, "picket:sightings"))))


def main():
    T.require_tools()
    return T.run_test("picket-pipeline-", body)


if __name__ == "__main__":
    sys.exit(main())
