#!/usr/bin/python3
"""Small helpers for bench/run (one subcommand each):

    benchlib.py freeport                         print a free loopback TCP port
    benchlib.py pgbench FILE                     print pgbench's results as key=value
    benchlib.py record RESULTS [--kv FILE] [--pgbench FILE] [--monitor FILE] [--rc N]
                       [--stderr FILE] key=value...
                                                 append one JSON record to RESULTS
    benchlib.py reports DIR N_REPORTS WORKERS    write W5b's report files
    benchlib.py pgsum KEY FILE...                sum one pgbench result over several outputs
    benchlib.py pgavg KEY FILE...                average one pgbench result over them
    benchlib.py kvsum KEY FILE...                sum one key=value result over several outputs
    benchlib.py kvavg KEY FILE...                average one key=value result over them
"""

import json
import re
import socket
import sys


def freeport():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        print(s.getsockname()[1])


def parse_pgbench(text):
    """tps, lat_ms, ops, failed, conn_ms from pgbench's summary."""
    out = {}
    pats = {
        "ops": r"number of transactions actually processed: (\d+)",
        "failed": r"number of failed transactions: (\d+)",
        "lat_ms": r"latency average = ([\d.]+) ms",
        "lat_stddev_ms": r"latency stddev = ([\d.]+) ms",
        "conn_ms": r"initial connection time = ([\d.]+) ms",
        "tps": r"tps = ([\d.]+) \(without initial connection time\)",
    }
    for k, p in pats.items():
        m = re.search(p, text)
        if m:
            out[k] = float(m.group(1))
    if "lat_ms" in out:
        out["lat_us"] = out["lat_ms"] * 1000.0
    return out


def parse_kv(text):
    out = {}
    for tok in text.split():
        if "=" in tok:
            k, v = tok.split("=", 1)
            try:
                out[k] = float(v) if any(c in v for c in ".e") else int(v)
            except ValueError:
                out[k] = v
    return out


def read(path):
    with open(path, errors="replace") as f:
        return f.read()


def record(args):
    results = args[0]
    rec = {}
    i = 1
    while i < len(args):
        a = args[i]
        if a == "--kv":
            rec.update(parse_kv(read(args[i + 1]))); i += 2
        elif a == "--pgbench":
            text = read(args[i + 1])
            p = parse_pgbench(text)
            if "tps" not in p:
                rec["error"] = (rec.get("error", "") + " pgbench: " + text[-400:]).strip()
            rec.update(p); i += 2
        elif a == "--monitor":
            try:
                m = json.loads(read(args[i + 1]))
                rec["server_peak_rss_kib"] = m.get("peak_rss_kib")
                rec["server_cpu_s"] = m.get("cpu_s")
                if "peak_pss_kib" in m:
                    rec["server_peak_pss_kib"] = m["peak_pss_kib"]
            except (OSError, ValueError) as e:
                rec["monitor_error"] = str(e)
            i += 2
        elif a == "--rc":
            rc = int(args[i + 1])
            rec["rc"] = rc
            i += 2
        elif a == "--stderr":
            try:
                err = read(args[i + 1]).strip()
            except OSError:
                err = ""
            rec["_stderr"] = err[-600:]
            i += 2
        else:
            k, v = a.split("=", 1)
            try:
                rec[k] = float(v) if re.fullmatch(r"-?\d+\.\d*(e-?\d+)?", v) else int(v)
            except ValueError:
                rec[k] = v
            i += 1
    stderr = rec.pop("_stderr", "")
    if rec.get("rc", 0) not in (0,) and not rec.get("na"):
        rec["error"] = (rec.get("error", "") + " exit %s: %s" % (rec["rc"], stderr)).strip()
    if rec.get("error"):
        rec["status"] = "error"
    elif rec.get("na"):
        rec["status"] = "n/a"
    else:
        rec["status"] = "ok"
    with open(results, "a") as f:
        f.write(json.dumps(rec, sort_keys=True) + "\n")
    if rec["status"] == "error":
        print("bench: ERROR in %s %s %s: %s" % (rec.get("workload"), rec.get("case"),
                                                rec.get("system"), rec["error"][:300]),
              file=sys.stderr)


REPORTS = [
    # (template, parameter function of r) -- DuckDB SQL, 100 reports from four templates
    "SELECT d.region, sum(f.qty * f.price_cents) AS revenue, count(*) AS n FROM fact f "
    "JOIN dim d ON d.id = f.dim_id WHERE f.day >= DATE '2020-01-01' + {a} "
    "AND f.day < DATE '2020-01-01' + {a} + 90 GROUP BY d.region ORDER BY d.region;",
    "SELECT f.customer, sum(f.qty * f.price_cents) AS spend FROM fact f JOIN dim d "
    "ON d.id = f.dim_id WHERE d.segment = 'seg-{s}' GROUP BY f.customer "
    "ORDER BY spend DESC, f.customer LIMIT 20;",
    "SELECT date_trunc('month', day) AS month, sum(qty) AS units, avg(price_cents) AS price "
    "FROM fact WHERE dim_id % 10 = {m} GROUP BY month ORDER BY month;",
    "SELECT count(DISTINCT customer) AS customers, sum(qty) AS units FROM fact "
    "WHERE dim_id BETWEEN {lo} AND {lo} + 50 AND note LIKE 'item-{m}%';",
]


def reports(outdir, n, workers):
    n, workers = int(n), int(workers)
    files = [[] for _ in range(workers)]
    for r in range(n):
        t = REPORTS[r % len(REPORTS)]
        q = t.format(a=(r * 13) % 1300, s=r % 5, m=r % 10, lo=(r * 37) % 900)
        files[r % workers].append("-- report %d\n%s\n" % (r, q))
    for w in range(workers):
        with open("%s/reports_%d.sql" % (outdir, w), "w") as f:
            f.write("".join(files[w]))


def pgsum(key, files, average=False):
    """Sum (or average) one pgbench result over several pgbench outputs (exit 1 if one has
    none)."""
    total = 0.0
    for p in files:
        v = parse_pgbench(read(p)).get(key)
        if v is None:
            sys.exit("benchlib.py: no %s in %s" % (key, p))
        total += v
    print("%.3f" % (total / len(files) if average else total))


def kvsum(key, files, average=False):
    """Sum (or average) one key=value result over several outputs (exit 1 if one has none)."""
    vals = []
    for p in files:
        v = parse_kv(read(p)).get(key)
        if not isinstance(v, (int, float)):
            sys.exit("benchlib.py: no %s in %s" % (key, p))
        vals.append(v)
    print("%.3f" % (sum(vals) / len(vals) if average else sum(vals)))


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "freeport":
        freeport()
    elif cmd == "pgbench":
        p = parse_pgbench(read(args[0]))
        print(" ".join("%s=%s" % kv for kv in p.items()))
    elif cmd == "record":
        record(args)
    elif cmd == "reports":
        reports(*args)
    elif cmd in ("pgsum", "pgavg"):
        pgsum(args[0], args[1:], average=cmd == "pgavg")
    elif cmd in ("kvsum", "kvavg"):
        kvsum(args[0], args[1:], average=cmd == "kvavg")
    else:
        sys.exit("benchlib.py: unknown command " + cmd)


if __name__ == "__main__":
    main()
