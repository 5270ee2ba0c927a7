#!/usr/bin/env python3
"""report.py - turns the raw numbers of tests/bench/run.sh into markdown.

Why it exists: run.sh records every measurement (key, repetition, value) in a
TSV file; this computes the per-repetition ratios, takes medians, checks the
targets and prints the tables README's "Performance" section shows.

  report.py results-YYYYMMDD-HHMMSS.tsv

Exit status: 0 when every target is met, 1 when one is missed (the tables
are printed either way), 2 on unreadable input.
"""
import statistics
import sys
from collections import defaultdict

MIB = 1024 * 1024
FLOOD_SLACK = 8 * MIB


def load(path):
    runs = defaultdict(dict)
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 3:
                continue
            key, run, value = parts
            runs[key][int(run)] = value
    return runs


class Results:
    def __init__(self, raw):
        self.raw = raw

    def one(self, key, default=None):
        v = self.raw.get(key, {})
        return v.get(0, next(iter(v.values()), default)) if v else default

    def num(self, key, default=0.0):
        v = self.one(key)
        try:
            return float(v)
        except (TypeError, ValueError):
            return default

    def series(self, key):
        return {r: float(v) for r, v in self.raw.get(key, {}).items() if v != ""}

    def has(self, key):
        return key in self.raw


def med(values):
    values = list(values)
    return statistics.median(values) if values else float("nan")


def fmt_int(n):
    return "{:,}".format(int(round(n)))


def fmt_rate(pps):
    if pps >= 1e6:
        return "%.2f M" % (pps / 1e6)
    return "%.0f k" % (pps / 1e3)


def fmt_mib(b):
    return "%.1f MiB" % (b / MIB)


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        return 2
    try:
        r = Results(load(sys.argv[1]))
    except OSError as e:
        print("report.py: %s" % e, file=sys.stderr)
        return 2

    packets = r.num("cap_packets")
    wire_bytes = r.num("cap_bytes")
    loop = r.series("loop_cpu_s")
    runs = sorted(loop)
    n_full = int(r.num("full_count"))
    n_tiny = int(r.num("tiny_count"))
    cpu = r.one("cpu", "1")
    out = []
    out.append("Machine: %s, %s cores, Linux %s, libpcap %s; load average %s at the "
               "start, %s at the end; %s (%s); picket %s."
               % (r.one("machine", "?"), r.one("cores", "?"), r.one("kernel", "?"),
                  r.one("libpcap", "?"), r.one("load_start", "?"), r.one("load_end", "?"),
                  r.one("date", "?"),
                  {"1": "quick run", "2": "smoke run"}.get(r.one("quick"), "default run"),
                  r.one("commit", "?")))
    out.append("")
    out.append("Capture: %s packets over %s flows (`picket-gen --bench`), %s, "
               "%s indicator hits planted; one core (`taskset -c %s`); "
               "medians of %d repetitions, ratios taken within each repetition."
               % (fmt_int(packets), fmt_int(r.num("flows")),
                  fmt_mib(r.num("cap_file_bytes")), r.one("gen_hits", "?"), cpu,
                  len(runs)))
    out.append("")
    out.append("| read loop | packets/s | Gbit/s | ns/packet | rate vs empty loop "
               "| same, by wall time |")
    out.append("|---|---:|---:|---:|---:|---:|")

    def diff(a, b):
        sa, sb = r.series(a), r.series(b)
        return {k: sa[k] - sb[k] for k in sa if k in sb}

    def default_buffer_note():
        """The full set against libpcap's loop as it opens files by default."""
        plain, full = r.series("loop_cpu_s"), r.series("full_loop_cpu_s")
        common = [k for k in full if k in plain and full[k] > 0]
        if not r.series("loop_buf_cpu_s") or not common:
            return ""
        return (" Ratios are against the fastest empty loop, the one reading "
                "through the same 256 KiB stdio buffer as the sensor; against "
                "libpcap's loop with stdio's default 4 KiB buffer (a read(2) per "
                "4 KiB) the full set runs at %.2f×."
                % med(plain[k] / full[k] for k in common))

    def row(label, tag, ref, npk=packets, nbytes=wire_bytes):
        """tag: series prefix (TAG_cpu_s or, for the sensor, TAG_loop_cpu_s)."""
        cpu_t = r.series(tag + "_cpu_s") or r.series(tag + "_loop_cpu_s")
        wall_t = r.series(tag + "_wall_s") or r.series(tag + "_loop_wall_s")
        ref_cpu, ref_wall = r.series(ref + "_cpu_s"), r.series(ref + "_wall_s")
        common = [k for k in cpu_t if k in ref_cpu and cpu_t[k] > 0]
        if not common:
            return None
        t = med(cpu_t[k] for k in common)
        ratio = med(ref_cpu[k] / cpu_t[k] for k in common)
        wcommon = [k for k in wall_t if k in ref_wall and wall_t[k] > 0]
        wratio = med(ref_wall[k] / wall_t[k] for k in wcommon) if wcommon else float("nan")
        out.append("| %s | %s | %.2f | %.0f | %.2f | %.2f |"
                   % (label, fmt_rate(npk / t), nbytes * 8 / t / 1e9,
                      t / npk * 1e9, ratio, wratio))
        return ratio

    # The limit: libpcap's empty loop reading as the sensor reads (a 256 KiB
    # stdio buffer); results of runs before that row existed use the plain one.
    ref = "loop_buf" if r.series("loop_buf_cpu_s") else "loop"
    if ref == "loop_buf":
        row("libpcap, empty callback, 256 KiB stdio buffer (as picket-sensor reads files)",
            "loop_buf", ref)
    row("libpcap, empty callback (`pcap_dispatch`), stdio's default buffer", "loop", ref)
    row("libpcap, `pcap_next_ex` loop, stdio's default buffer", "next_ex", ref)
    row("picket-sensor, %s indicators" % fmt_int(n_tiny), "tiny", ref)
    full_ratio = row("picket-sensor, %s indicators" % fmt_int(n_full), "full", ref)
    if r.has("flood_loop_cpu_s"):
        fp = r.num("flood_packets_file")
        row("flow flood: %s one-packet flows, %s indicators" % (fmt_int(fp), fmt_int(n_tiny)),
            "flood", "floodpcap", npk=fp, nbytes=r.num("flood_bytes"))
    out.append("")
    out.append("Times are the read loop's CPU time (user + system): for "
               "`picket-sensor -r FILE -I SET -o /dev/null --stats`, the main "
               "thread's around its read loop, which its \"capture ended\" line "
               "reports (start-up, with the indicators loaded, the flow table "
               "committed and the capture opened, is not in it, just as the empty "
               "loop times its loop after opening the file); the last column divides wall times instead. The flood row is "
               "compared with the empty loop over the flood file." + default_buffer_note())
    out.append("")

    # ---- load, memory, reload, flood ------------------------------------------
    file_bytes = r.num("full_file_bytes")
    load_ms = med(r.series("probe_load_ms").values())
    load_cpu_ms = med(r.series("probe_load_cpu_ms").values()) if r.has("probe_load_cpu_ms") else load_ms
    start_cpu = med(r.series("full0_start_cpu_s").values())
    store = r.num("probe_store_bytes")
    rss_kept = med(r.series("probe_rss_after_kib")[k] - r.series("probe_rss_before_kib")[k]
                   for k in r.series("probe_rss_after_kib")) * 1024
    startup = med(r.series("full0_start_wall_s").values())
    ready = (med(r.series("full_ready_wall_s").values())
             if r.has("full_ready_wall_s") else None)
    peak_full = max(r.series("full_rss_kib").values() or [0]) * 1024
    peak_tiny = max(r.series("tiny_rss_kib").values() or [0]) * 1024
    alerts = med(r.series("full_alerts").values())

    targets = []   # (what, measured, target, ok)
    targets.append(("packet rate, full set, vs the fastest empty libpcap loop (1 core)",
                    "%.2f×" % full_ratio if full_ratio else "n/a", "≥ 0.5×",
                    bool(full_ratio and full_ratio >= 0.5)))
    targets.append(("load %s indicators (CPU time; wall in brackets)" % fmt_int(n_full),
                    "%.2f s [%.2f s]; picket-sensor from exec to \"indicators loaded\": "
                    "%.2f s [%.2f s]%s"
                    % (load_cpu_ms / 1e3, load_ms / 1e3, start_cpu, startup,
                       "" if ready is None else
                       "; to \"reading capture\" (flow table committed, capture "
                       "open): [%.2f s]" % ready),
                    "< 0.6 s", load_cpu_ms < 600))
    targets.append(("store memory vs indicator file (%s)" % fmt_mib(file_bytes),
                    "%s = %.2f× (process keeps %s = %.2f×)"
                    % (fmt_mib(store), store / file_bytes, fmt_mib(rss_kept),
                       rss_kept / file_bytes),
                    "≤ 1.5×", store <= 1.5 * file_bytes and rss_kept <= 1.5 * file_bytes))
    targets.append(("peak RSS, full set, whole capture",
                    "%s (near-empty set: %s)" % (fmt_mib(peak_full), fmt_mib(peak_tiny)),
                    "< 128 MiB", 0 < peak_full < 128 * MIB))
    if r.has("reload_sent"):
        ms = sorted(r.series("reload_ms").values())
        sent = int(r.num("reload_sent"))
        done = int(r.num("reload_done"))
        failed = int(r.num("reload_failed"))
        rp = r.num("reload_packets")
        ra = r.num("reload_alerts")
        hung = r.num("reload_hung") == 1
        ok = (sent > 0 and done == sent and failed == 0 and rp == packets and
              ra == alerts and r.num("reload_rc", 1) == 0 and not hung)
        targets.append(("hot reload (SIGHUP ×%d while replaying at %s×)"
                        % (sent, r.one("reload_speed", "?")),
                        "%s ms each; %s of %s packets read, %s alerts (%s without reload)"
                        "; %d done, %d failed%s"
                        % (", ".join("%d" % m for m in ms) or "none", fmt_int(rp),
                           fmt_int(packets), fmt_int(ra), fmt_int(alerts), done, failed,
                           "; **sensor hung at exit, killed**" if hung else ""),
                        "drops nothing", ok))
    if r.has("flood_loop_cpu_s"):
        cap = r.num("flood_flow.capacity")
        active = r.num("flood_flow.active")
        created = r.num("flood_flow.created")
        evicted = r.num("flood_flow.evicted")
        expired = r.num("flood_flow.expired")
        rss = max(r.series("flood_rss_kib").values()) * 1024
        rss0 = max(r.series("flood0_rss_kib").values()) * 1024
        # The sensor commits its flow table when it starts, so flood0 (an
        # empty capture with the same --flow-memory) already holds it: the
        # flood may add no more than the slack.
        bound = rss0 + FLOOD_SLACK
        ok = (active == cap and created - evicted - expired == active and rss <= bound)
        targets.append(("flow flood, %s distinct flows" % fmt_int(created),
                        "active %s = capacity %s, evicted %s, expired %s; peak RSS %s"
                        % (fmt_int(active), fmt_int(cap), fmt_int(evicted),
                           fmt_int(expired), fmt_mib(rss)),
                        "memory at its bound (≤ %s)" % fmt_mib(bound), ok))
    out.append("| target | measured | goal | |")
    out.append("|---|---|---|---|")
    for what, measured, goal, ok in targets:
        out.append("| %s | %s | %s | %s |" % (what, measured, goal, "met" if ok else "**missed**"))
    out.append("")
    out.append("Alerts with the full set: %s (picket-gen planted %s hits)."
               % (fmt_int(alerts), r.one("gen_hits", "?")))
    print("\n".join(out))
    return 0 if all(t[3] for t in targets) else 1


if __name__ == "__main__":
    sys.exit(main())
