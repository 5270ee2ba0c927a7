#!/usr/bin/env python3
"""timed.py - runs a command and reports its wall time, CPU time and peak RSS,
and the CPU time its main thread had used when given lines appeared on its
stderr.

Why it exists: the benchmark machine is shared, so wall time alone swings
with whatever else runs; the CPU time the command itself used is what the
packet path costs. /usr/bin/time only gives 10 ms steps; wait4 gives
microseconds, and /proc/PID/schedstat the main thread's run time in
nanoseconds at any moment. Marks let the benchmark time the sensor's
start-up: up to its "N indicators loaded" line, up to "reading capture".
(The read loop itself the sensor times: a mark is read when its line comes
through the pipe, which can be milliseconds late.)

  timed.py OUTFILE [--mark NAME=REGEX]... COMMAND [ARGS...]

Writes one line to OUTFILE:
  wall_s W user_s U sys_s S maxrss_kib M rc R [NAME_cpu_s C NAME_wall_s T]...
where NAME_cpu_s is the main thread's CPU time (user + system) and NAME_wall_s
the time since the start when the first stderr line matching REGEX was read.
The command's stderr is copied to ours, stdout passes through. Exits with
the command's status. Run it unpinned and pin the command (taskset inside
COMMAND), so reading the marks does not take the command's CPU.
"""
import os
import re
import sys
import time


def thread_cpu_s(pid):
    try:
        with open("/proc/%d/schedstat" % pid, encoding="ascii") as f:
            return int(f.read().split()[0]) / 1e9
    except (OSError, ValueError, IndexError):
        return float("nan")


def main():
    args = sys.argv[1:]
    if len(args) < 2:
        print("usage: timed.py OUTFILE [--mark NAME=REGEX]... COMMAND [ARGS...]",
              file=sys.stderr)
        return 2
    out = args.pop(0)
    marks = []
    while args and args[0] == "--mark":
        name, _, rx = args[1].partition("=")
        marks.append((name, re.compile(rx.encode())))
        args = args[2:]
    if not args:
        print("timed.py: no command", file=sys.stderr)
        return 2
    rfd, wfd = os.pipe()
    t0 = time.monotonic()
    pid = os.fork()
    if pid == 0:
        os.close(rfd)
        os.dup2(wfd, 2)
        os.close(wfd)
        try:
            os.execvp(args[0], args)
        except OSError as e:
            os.write(2, ("timed.py: %s: %s\n" % (args[0], e)).encode())
        os._exit(127)
    os.close(wfd)
    seen = {}
    with os.fdopen(rfd, "rb", buffering=0) as r:
        buf = b""
        while True:
            chunk = r.read(65536)
            if not chunk:
                break
            buf += chunk
            *lines, buf = buf.split(b"\n")
            for line in lines:
                for name, rx in marks:
                    if name not in seen and rx.search(line):
                        seen[name] = (thread_cpu_s(pid), time.monotonic() - t0)
                sys.stderr.buffer.write(line + b"\n")
        if buf:
            sys.stderr.buffer.write(buf)
        sys.stderr.flush()
    _, status, ru = os.wait4(pid, 0)
    wall = time.monotonic() - t0
    rc = os.waitstatus_to_exitcode(status)
    fields = ["wall_s %.6f user_s %.6f sys_s %.6f maxrss_kib %d rc %d"
              % (wall, ru.ru_utime, ru.ru_stime, ru.ru_maxrss, rc)]
    for name, _ in marks:
        if name in seen:
            fields.append("%s_cpu_s %.6f %s_wall_s %.6f" % (name, seen[name][0], name,
                                                           seen[name][1]))
    with open(out, "w", encoding="ascii") as f:
        f.write(" ".join(fields) + "\n")
    return rc if rc >= 0 else 128 - rc


if __name__ == "__main__":
    sys.exit(main())
