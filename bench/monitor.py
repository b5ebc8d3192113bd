#!/usr/bin/python3
"""Server resource monitor for one measurement.

    monitor.py --out FILE [--interval 0.1] [--pss] (--pid PID | --tree PID)...

--pid PID   one process (duckd; its threads are included): utime+stime, VmRSS sampled and VmHWM
            at the end (the peak is reset first by writing 5 to /proc/PID/clear_refs).
--tree PID  PID and all its descendants (PostgreSQL's postmaster and its backends, or a shell
            running worker processes): the sum of VmRSS over the live processes is sampled;
            CPU counts the live processes' utime+stime deltas plus the root's cutime+cstime
            delta (backends that exited and were reaped during the run).

Writes FILE.started once the "before" snapshot is taken, then samples until SIGTERM/SIGINT and
writes one JSON object to FILE: peak_rss_kib (peak of the summed VmRSS; for --pid the larger of
that and VmHWM), cpu_s, samples, and with --pss peak_pss_kib (Pss from smaps_rollup: shared
pages such as PostgreSQL's shared_buffers are split between the processes mapping them).

    monitor.py --once [--pss] (--pid PID | --tree PID)...   prints the current values as JSON
"""

import json
import os
import signal
import sys
import time

TICK = os.sysconf("SC_CLK_TCK")
stop = False


def on_signal(signum, frame):
    global stop
    stop = True


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return None


def stat_fields(pid):
    s = read("/proc/%d/stat" % pid)
    if not s:
        return None
    # the command name may contain spaces: split after the closing parenthesis
    rest = s[s.rindex(")") + 2:].split()
    # rest[0] is field 3 (state); utime is field 14, stime 15, cutime 16, cstime 17
    return {"ppid": int(rest[1]), "utime": int(rest[11]), "stime": int(rest[12]),
            "cutime": int(rest[13]), "cstime": int(rest[14])}


def status_kib(pid, key):
    s = read("/proc/%d/status" % pid)
    if not s:
        return 0
    for line in s.splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def pss_kib(pid):
    s = read("/proc/%d/smaps_rollup" % pid)
    if not s:
        return 0
    for line in s.splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    return 0


def children(pid):
    """Direct children via /proc/PID/task/*/children (CONFIG_PROC_CHILDREN), or None."""
    try:
        tasks = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return []
    out = []
    for t in tasks:
        s = read("/proc/%d/task/%s/children" % (pid, t))
        if s is None:
            return None
        out.extend(int(x) for x in s.split())
    return out


def descendants(root):
    """root and every live descendant."""
    if children(root) is not None:
        out, todo = set(), [root]
        while todo:
            p = todo.pop()
            if p in out or not os.path.exists("/proc/%d" % p):
                continue
            out.add(p)
            todo.extend(children(p) or [])
        return out
    parent = {}  # fallback: one scan of /proc
    for d in os.listdir("/proc"):
        if d.isdigit():
            st = stat_fields(int(d))
            if st:
                parent[int(d)] = st["ppid"]
    out = {root} if root in parent else set()
    changed = True
    while changed:
        changed = False
        for p, pp in parent.items():
            if pp in out and p not in out:
                out.add(p)
                changed = True
    return out


class Group:
    def __init__(self, pid, tree):
        self.root = pid
        self.tree = tree

    def pids(self):
        return descendants(self.root) if self.tree else ({self.root} if read("/proc/%d/stat" % self.root) else set())

    def cpu_snapshot(self):
        snap = {}
        for p in self.pids():
            st = stat_fields(p)
            if st:
                snap[p] = st["utime"] + st["stime"]
        root = stat_fields(self.root)
        children = (root["cutime"] + root["cstime"]) if root else 0
        return snap, children

    def rss(self, pss=False):
        pids = self.pids()
        r = sum(status_kib(p, "VmRSS") for p in pids)
        return r, (sum(pss_kib(p) for p in pids) if pss else 0), len(pids)


def cpu_delta(before, after):
    (s0, c0), (s1, c1) = before, after
    ticks = sum(v - s0.get(p, 0) for p, v in s1.items())
    ticks -= sum(v for p, v in s0.items() if p not in s1)  # reaped: counted in cutime instead
    ticks += c1 - c0
    return max(ticks, 0) / TICK


def main():
    args = sys.argv[1:]
    out = None
    interval = 0.1
    pss = False
    once = False
    groups = []
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--out":
            out = args[i + 1]; i += 2
        elif a == "--interval":
            interval = float(args[i + 1]); i += 2
        elif a == "--pss":
            pss = True; i += 1
        elif a == "--once":
            once = True; i += 1
        elif a in ("--pid", "--tree"):
            groups.append(Group(int(args[i + 1]), a == "--tree")); i += 2
        else:
            sys.exit("monitor.py: unknown argument " + a)
    if not groups:
        sys.exit("monitor.py: need --pid or --tree")

    if once:
        rss = pssv = n = 0
        for g in groups:
            r, p, k = g.rss(pss)
            rss += r; pssv += p; n += k
        print(json.dumps({"rss_kib": rss, "pss_kib": pssv, "processes": n}))
        return

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    for g in groups:
        if not g.tree:
            try:
                with open("/proc/%d/clear_refs" % g.root, "w") as f:
                    f.write("5")  # reset VmHWM to the current RSS
            except OSError:
                pass
    before = [g.cpu_snapshot() for g in groups]
    with open(out + ".started", "w") as f:
        f.write("1\n")
    peak = peak_pss = samples = 0
    while True:
        rss = pssv = 0
        for g in groups:
            r, p, _ = g.rss(pss)
            rss += r; pssv += p
        peak = max(peak, rss)
        peak_pss = max(peak_pss, pssv)
        samples += 1
        if stop:
            break
        time.sleep(interval)
    after = [g.cpu_snapshot() for g in groups]
    hwm = sum(status_kib(g.root, "VmHWM") for g in groups if not g.tree)
    if hwm and all(not g.tree for g in groups):
        peak = max(peak, hwm)
    res = {"peak_rss_kib": peak, "cpu_s": round(sum(cpu_delta(b, a) for b, a in zip(before, after)), 3),
           "samples": samples}
    if pss:
        res["peak_pss_kib"] = peak_pss
    with open(out, "w") as f:
        json.dump(res, f)


if __name__ == "__main__":
    main()
