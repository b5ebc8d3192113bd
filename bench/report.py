#!/usr/bin/python3
"""Turns bench/run's records (results.jsonl) into docs/BENCHMARKS.md and PNG charts.

    report.py --results R --meta M --analysis bench/ANALYSIS.md --out FILE.md --img DIR
              [--elapsed SECONDS]
    report.py --results R --check W1,W2,...     exit 1 unless every expected record is there

Every cell is the median over the repetitions with [min-max]; ratios pair the systems'
measurements of the same repetition (measured back to back) and report the median ratio.
"""

import argparse
import json
import os
import re
import statistics
import sys
from collections import defaultdict

QNAME = {"select1": "SELECT 1", "point": "point lookup, `-M prepared` ($1)",
         "pointlit": "point lookup, `-M simple` (literal key)"}
SYSNAME = {"duckd": "duckd", "postgres": "PostgreSQL", "inproc": "DuckDB in-process",
           "sqlite": "SQLite (WAL)", "shared": "one duckd --memory --init",
           "private": "8 private in-memory DuckDB copies",
           "http-readers": "duckd, readers over HTTP (writer pgwire)",
           "http": "duckd, all five over HTTP",
           "ceiling": "no-op server (client ceiling)"}
COLOR = {"duckd": "#d62728", "postgres": "#1f77b4", "inproc": "#7f7f7f", "sqlite": "#2ca02c",
         "shared": "#d62728", "private": "#7f7f7f", "http-readers": "#ff9896", "http": "#ff7f0e",
         "ceiling": "#bcbd22"}
EXPECTED = {  # workload -> systems every case must have (smoke check)
    "W1": ("duckd", "postgres", "inproc"), "W2": ("duckd", "postgres", "inproc"),
    "W3": ("duckd", "postgres", "inproc", "ceiling"), "W5a": ("duckd", "postgres", "sqlite", "http-readers", "http"),
    "W5b": ("shared", "private"), "W6": ("duckd", "postgres"),
    "W7": ("duckd", "postgres", "inproc"), "W8": ("duckd", "postgres", "inproc"),
}
W9_EXPECTED = {"json": ("duckd",), "ndjson": ("duckd", "inproc"), "csv": ("duckd", "inproc"),
               "arrow": ("duckd", "inproc")}
W9_BASE = {"json": "ndjson", "ndjson": "ndjson", "csv": "csv", "arrow": "arrow"}  # in-process case
W5A_CHART = ("duckd", "http-readers", "http", "postgres", "sqlite")
W5A_LABEL = {"duckd": "duckd\npgwire", "http-readers": "duckd\nHTTP readers", "http": "duckd\nall HTTP",
             "postgres": "PostgreSQL", "sqlite": "SQLite WAL"}
W4_EXPECTED = {"copy": ("duckd", "postgres", "inproc"), "select": ("duckd", "postgres", "inproc"),
               "slow": ("duckd", "postgres")}


class Data:
    def __init__(self, path):
        self.recs = []
        with open(path) as f:
            for line in f:
                if line.strip():
                    self.recs.append(json.loads(line))
        self.by = defaultdict(list)
        for r in self.recs:
            self.by[(r.get("workload"), str(r.get("case")), r.get("system"))].append(r)

    def rows(self, wl, case, sysname):
        return self.by.get((wl, case, sysname), [])

    def status(self, wl, case, sysname):
        rs = self.rows(wl, case, sysname)
        if not rs:
            return None
        if all(r["status"] == "n/a" for r in rs):
            return "n/a (%s)" % rs[0].get("reason", "")
        if all(r["status"] == "error" for r in rs):
            return "error"
        return "ok"

    def values(self, wl, case, sysname, key):
        return [r[key] for r in self.rows(wl, case, sysname)
                if r["status"] == "ok" and isinstance(r.get(key), (int, float))]

    def stat(self, wl, case, sysname, key):
        v = self.values(wl, case, sysname, key)
        if not v:
            return None
        return statistics.median(v), min(v), max(v), len(v)

    def med(self, wl, case, sysname, key):
        s = self.stat(wl, case, sysname, key)
        return s[0] if s else None

    def ratio(self, wl, case, a, b, key, case_b=None, key_b=None):
        """median over repetitions of a/b (paired by rep), else ratio of medians."""
        case_b = case_b or case
        key_b = key_b or key
        ra = {r["rep"]: r.get(key) for r in self.rows(wl, case, a) if r["status"] == "ok"}
        rb = {r["rep"]: r.get(key_b) for r in self.rows(wl, case_b, b) if r["status"] == "ok"}
        pairs = [ra[k] / rb[k] for k in ra if k in rb and isinstance(ra[k], (int, float))
                 and isinstance(rb[k], (int, float)) and rb[k]]
        if pairs:
            return statistics.median(pairs)
        ma, mb = self.med(wl, case, a, key), self.med(wl, case_b, b, key_b)
        return ma / mb if ma is not None and mb else None

    def ratio_x(self, a, b, key):
        """median over repetitions of a/b where a and b are (workload, case, system) triples
        (paired by rep), else the ratio of medians."""
        ra = {r["rep"]: r.get(key) for r in self.rows(*a) if r["status"] == "ok"}
        rb = {r["rep"]: r.get(key) for r in self.rows(*b) if r["status"] == "ok"}
        pairs = [ra[k] / rb[k] for k in ra if k in rb and isinstance(ra[k], (int, float))
                 and isinstance(rb[k], (int, float)) and rb[k]]
        if pairs:
            return statistics.median(pairs)
        ma, mb = self.med(*a, key), self.med(*b, key)
        return ma / mb if ma is not None and mb else None

    def cases(self, wl):
        seen = []
        for r in self.recs:
            if r.get("workload") == wl and str(r.get("case")) not in seen:
                seen.append(str(r.get("case")))
        return seen


def fmt(v, unit=""):
    if v is None:
        return "–"
    a = abs(v)
    if a >= 100:
        s = "{:,.0f}".format(v)
    elif a >= 10:
        s = "{:.1f}".format(v)
    elif a >= 1:
        s = "{:.2f}".format(v)
    else:
        s = "{:.3g}".format(v)
    return s + unit


def cell(d, wl, case, sysname, key, scale=1.0, unit=""):
    st = d.status(wl, case, sysname)
    if st is None:
        return "–"
    if st != "ok":
        return st
    s = d.stat(wl, case, sysname, key)
    if not s:
        return "–"
    m, lo, hi, n = s[0] * scale, s[1] * scale, s[2] * scale, s[3]
    if n > 1:
        return "%s <sub>[%s–%s]</sub>" % (fmt(m, unit), fmt(lo), fmt(hi))
    return fmt(m, unit)


def cpu_per(d, wl, case, sysname, count_key):
    """Median over repetitions of CPU µs per counted unit: the server's (duckd, PostgreSQL)
    or the whole process's (in-process)."""
    key = "server_cpu_s" if sysname != "inproc" else "cpu_s"
    v = [r[key] / r[count_key] * 1e6 for r in d.rows(wl, case, sysname)
         if r["status"] == "ok" and isinstance(r.get(key), (int, float))
         and isinstance(r.get(count_key), (int, float)) and r[count_key]]
    return statistics.median(v) if v else None


def xr(v):
    if v is None:
        return "–"
    if v < 0.1:  # two significant digits: 0.0033×, not 0.00×
        return "%.2g×" % v
    return "%.2f×" % v if v < 10 else "%.0f×" % v


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out) + "\n"


def mib(kib):
    return None if kib is None else kib / 1024.0


# ---------------------------------------------------------------------------------------
# charts


def chart(path, title, groups, systems, getter, ylabel, log=False, na=None):
    """grouped bars: groups on x, one bar per system, min/max error bars."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(max(6, 1.3 * len(groups) + 2), 3.6), dpi=110)
    width = 0.8 / max(1, len(systems))
    for i, s in enumerate(systems):
        xs, ys, lo, hi = [], [], [], []
        for g, (label, key) in enumerate(groups):
            st = getter(key, s)
            if st is None:
                label = na(key, s) if na else None
                if label:
                    ax.annotate(label, (g + (i - (len(systems) - 1) / 2) * width, 0.02),
                                xycoords=("data", "axes fraction"), ha="center", va="bottom",
                                rotation=90, fontsize=7, color=COLOR.get(s))
                continue
            m, mn, mx = st[:3]
            xs.append(g + (i - (len(systems) - 1) / 2) * width)
            ys.append(m)
            lo.append(m - mn)
            hi.append(mx - m)
        if xs:
            ax.bar(xs, ys, width, yerr=[lo, hi], capsize=2, label=SYSNAME.get(s, s),
                   color=COLOR.get(s))
    ax.set_xticks(range(len(groups)))
    ax.set_xticklabels([g[0] for g in groups], fontsize=8)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    if log:
        ax.set_yscale("log")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


# ---------------------------------------------------------------------------------------


def report(d, meta, analysis, out_md, img_dir, elapsed):
    os.makedirs(img_dir, exist_ok=True)
    rel_img = os.path.relpath(img_dir, os.path.dirname(os.path.abspath(out_md)))
    md = []
    add = md.append
    S = meta["seconds"]
    R = meta["rows"]
    add("# duckd benchmarks\n")
    add("<!-- generated by bench/run from its measurements; the analysis section is "
        "bench/ANALYSIS.md. Do not edit by hand: rerun `%s`. -->\n" % meta["command"])
    add("duckd side by side with PostgreSQL 15 (the server it imitates), with DuckDB linked "
        "into the client process (the physical limit: same library, same SQL, no network, no "
        "protocol) and, for the many-processes scenario, with SQLite in WAL mode.\n")
    add("- **Run**: `%s` on %s, %s repetition(s) of every measurement, seed %s; measurements "
        "took %s s. Each cell: median <sub>[min–max]</sub>. Ratios pair the systems' "
        "measurements of the same repetition (run back to back) and give the median ratio."
        % (meta["command"], meta["date"], meta["reps"], meta["seed"], elapsed))
    add("- **Machine**: %s CPUs (%s), %s RAM, %s, %s. Shared and noisy (load average "
        "%s at the start, %s at the end): read the ratios, not the absolute numbers."
        % (meta["nproc"], meta["cpu"], meta["memory"], meta["os"], meta["kernel"],
           meta.get("load_start", "?"), meta.get("load_end", "?")))
    add("- **Software**: duckd %s; DuckDB %s (the libduckdb.so duckd links); %s; %s; "
        "SQLite %s." % (meta["duckd"], meta["duckdb"], meta["postgres"], meta["pgbench"],
                        meta["sqlite"]))
    add("- **Data** (`--size %s`): fact %s rows, dim %s, kv %s (primary key), events %s; "
        "generated by the same integer arithmetic in both SQL dialects, verified equal by "
        "checksums (`%s`)." % (meta["size"], "{:,}".format(R["fact"]), "{:,}".format(R["dim"]),
                              "{:,}".format(R["kv"]), "{:,}".format(R["events"]),
                              meta["checksum"][0] if meta["checksum"] else "?"))
    add("- **Servers**: duckd `--db FILE --threads %d --max-connections 1100`; PostgreSQL "
        "`%s` (fsync and synchronous_commit on: the defaults). In-process DuckDB uses "
        "`threads=%d` too. Load generators: pgbench (`-j 2`, TCP loopback), "
        "bench/pqclient (libpq), bench/httpclient (libcurl, duckd's HTTP API with a bearer "
        "token), bench/duckdb_baseline, bench/sqlite_mixed. Server memory is "
        "peak RSS sampled every 100 ms (PostgreSQL: summed over postmaster and backends, "
        "which counts shared_buffers pages once per process touching them); server CPU is "
        "utime+stime from /proc before/after.\n"
        % (meta["threads"], re.sub(r"-k \S+", "-k DIR", re.sub(r"-p \d+", "-p PORT", meta["pg_settings"])),
           meta["threads"]))

    # ---------------- headline
    add("## Headline ratios\n")
    head = []

    def hl(what, v, how):
        head.append((what, xr(v) if isinstance(v, float) or v is None else v, how))

    for c in ("c1", "c8"):
        if d.cases("W1") and c in d.cases("W1"):
            hl("W1 analytics, %s client(s): duckd vs PostgreSQL" % c[1:],
               d.ratio("W1", c, "duckd", "postgres", "tps"), "query mixes/s, duckd ÷ PostgreSQL")
            hl("W1 analytics, %s client(s): duckd vs in-process" % c[1:],
               d.ratio("W1", c, "duckd", "inproc", "tps"), "query mixes/s, duckd ÷ in-process")
    for q, name in (("select1", "SELECT 1"), ("point", "point lookup ($1 prepared)"),
                    ("pointlit", "point lookup (literal, simple)")):
        if "%s-c8" % q in d.cases("W2"):
            hl("W2 %s, 8 clients: duckd vs PostgreSQL" % name,
               d.ratio("W2", q + "-c8", "duckd", "postgres", "tps"), "queries/s, duckd ÷ PostgreSQL")
            o1 = d.med("W2", q + "-c1", "duckd", "lat_us")
            i1 = d.med("W2", q + "-c1", "inproc", "lat_us")
            if o1 is not None and i1 is not None:
                head.append(("W2 %s: duckd's overhead per query" % name,
                             "%s µs" % fmt(o1 - i1), "1-client latency, duckd − in-process"))
    for m in ("prepared",):
        for c in ("1", "16", "64"):
            case = "%s-c%s" % (m, c)
            if case in d.cases("W3"):
                hl("W3 INSERT, %s client(s), %s: duckd vs PostgreSQL" % (c, m),
                   d.ratio("W3", case, "duckd", "postgres", "tps"), "inserts/s, duckd ÷ PostgreSQL")
                hl("W3 INSERT, %s client(s), %s: duckd vs in-process" % (c, m),
                   d.ratio("W3", case, "duckd", "inproc", "tps"), "inserts/s, duckd ÷ in-process")
                if d.rows("W3", case, "ceiling"):
                    hl("W3 INSERT, %s client(s), %s: no-op server vs PostgreSQL" % (c, m),
                       d.ratio("W3", case, "ceiling", "postgres", "tps"),
                       "inserts/s, the most any server reaches with this client and machine ÷ PostgreSQL")
    for m, name in (("pipeline", "pipeline up to Sync"), ("multirow", "multi-row INSERT")):
        for c in ("1", "16"):
            case = "%s-c%s" % (m, c)
            if case in d.cases("W8"):
                hl("W8 batched inserts, %s, %s client(s): duckd vs PostgreSQL" % (name, c),
                   d.ratio("W8", case, "duckd", "postgres", "rows_per_s"), "rows/s, duckd ÷ PostgreSQL")
                hl("W8 batched inserts, %s, %s client(s): duckd vs in-process" % (name, c),
                   d.ratio("W8", case, "duckd", "inproc", "rows_per_s"), "rows/s, duckd ÷ in-process")
    if "select" in d.cases("W4"):
        hl("W4 SELECT * to a libpq client: duckd vs PostgreSQL",
           d.ratio("W4", "select", "duckd", "postgres", "rows_per_s"), "rows/s, duckd ÷ PostgreSQL")
        hl("W4 SELECT *: duckd vs in-process streaming result (no text)",
           d.ratio("W4", "select", "duckd", "inproc", "rows_per_s"), "rows/s, duckd ÷ in-process fetch_chunk")
        hl("W4 SELECT *: duckd vs in-process COPY TO file (CSV)",
           d.ratio("W4", "select", "duckd", "inproc", "rows_per_s", case_b="copy"),
           "rows/s, duckd ÷ in-process export")
        st = d.status("W4", "copy", "duckd")
        if st and st.startswith("n/a"):
            head.append(("W4 COPY TO STDOUT", st, "duckd"))
        elif st:
            hl("W4 COPY TO STDOUT: duckd vs PostgreSQL",
               d.ratio("W4", "copy", "duckd", "postgres", "rows_per_s"), "rows/s, duckd ÷ PostgreSQL")
            hl("W4 COPY TO STDOUT: duckd vs in-process COPY TO file (CSV)",
               d.ratio("W4", "copy", "duckd", "inproc", "rows_per_s"),
               "rows/s, duckd ÷ in-process export")
        g = [r["server_peak_rss_kib"] - r["idle_rss_kib"] for r in d.rows("W4", "slow", "duckd")
             if r["status"] == "ok" and r.get("server_peak_rss_kib") and r.get("idle_rss_kib")]
        if g:
            head.append(("W4 slow reader: duckd's RSS growth while streaming",
                         "%s MiB" % fmt(statistics.median(g) / 1024), "peak RSS − idle RSS"))
    if "mixed" in d.cases("W5a"):
        for k, n in (("writes_per_s", "writes/s"), ("reads_per_s", "reads/s")):
            hl("W5a 1 writer + 4 readers, %s: duckd vs PostgreSQL" % n,
               d.ratio("W5a", "mixed", "duckd", "postgres", k), "%s, duckd ÷ PostgreSQL" % n)
            hl("W5a 1 writer + 4 readers, %s: duckd vs SQLite WAL" % n,
               d.ratio("W5a", "mixed", "duckd", "sqlite", k), "%s, duckd ÷ SQLite" % n)
        for s_, what in (("http-readers", "readers over HTTP"), ("http", "all five over HTTP")):
            if d.status("W5a", "mixed", s_):
                for k, n in (("reads_per_s", "reads/s"), ("writes_per_s", "writes/s")):
                    hl("W5a %s, %s: HTTP vs pgwire" % (what, n),
                       d.ratio("W5a", "mixed", s_, "duckd", k), "%s, HTTP ÷ pgwire (duckd)" % n)
        if d.status("W5a", "mixed", "http"):
            hl("W5a all five over HTTP, reads/s: duckd vs PostgreSQL (pgwire)",
               d.ratio("W5a", "mixed", "http", "postgres", "reads_per_s"),
               "reads/s, duckd over HTTP ÷ PostgreSQL")
    if "reports" in d.cases("W5b"):
        hl("W5b 8 report workers: total time, shared duckd vs private copies",
           d.ratio("W5b", "reports", "shared", "private", "seconds"), "seconds, shared ÷ private")
        hl("W5b 8 report workers: total RSS, shared duckd vs private copies",
           d.ratio("W5b", "reports", "shared", "private", "server_peak_rss_kib"), "peak RSS, shared ÷ private")
    for f in d.cases("W9"):
        base = W9_BASE.get(f, f)
        hl("W9 HTTP download as %s: duckd vs in-process %s" % (
            f, {"csv": "COPY TO CSV file", "ndjson": "COPY TO JSON file",
                "arrow": "chunks to Arrow arrays"}[base]),
           d.ratio("W9", f, "duckd", "inproc", "rows_per_s", case_b=base),
           "rows/s, duckd ÷ in-process")
    if "csv" in d.cases("W9") and d.status("W4", "copy", "duckd") == "ok":
        hl("W9 HTTP CSV vs W4 pgwire COPY TO STDOUT (duckd)",
           d.ratio_x(("W9", "csv", "duckd"), ("W4", "copy", "duckd"), "rows_per_s"),
           "rows/s, HTTP ÷ pgwire")
    if "json" in d.cases("W9") and d.status("W4", "select", "duckd") == "ok":
        hl("W9 HTTP JSON vs W4 pgwire SELECT * (duckd)",
           d.ratio_x(("W9", "json", "duckd"), ("W4", "select", "duckd"), "rows_per_s"),
           "rows/s, HTTP ÷ pgwire")
    g = [r["server_peak_rss_kib"] - r["idle_rss_kib"] for r in d.recs
         if r.get("workload") == "W9" and r.get("system") == "duckd" and r["status"] == "ok"
         and r.get("server_peak_rss_kib") and r.get("idle_rss_kib")]
    if g:
        head.append(("W9 HTTP downloads: duckd's RSS growth while streaming (largest)",
                     "%s MiB" % fmt(max(g) / 1024), "peak RSS − idle RSS, every format and repetition"))
    if "copyin" in d.cases("W7"):
        hl("W7 bulk load, COPY FROM STDIN: duckd vs PostgreSQL",
           d.ratio("W7", "copyin", "duckd", "postgres", "rows_per_s"), "rows/s, duckd ÷ PostgreSQL")
        hl("W7 bulk load: duckd vs in-process COPY FROM file",
           d.ratio("W7", "copyin", "duckd", "inproc", "rows_per_s"), "rows/s, duckd ÷ in-process")
    if "n1000" in d.cases("W6"):
        hl("W6 memory per idle connection (1,000): duckd vs PostgreSQL",
           d.ratio("W6", "n1000", "duckd", "postgres", "pss_per_conn_kib"),
           "PSS per connection, duckd ÷ PostgreSQL")
        hl("W6 active latency, 1,000 idle ÷ 1 idle: duckd",
           d.ratio("W6", "n1000", "duckd", "duckd", "lat_us", case_b="n1"), "duckd's latency growth")
        hl("W6 active latency with 1,000 idle: duckd vs PostgreSQL",
           d.ratio("W6", "n1000", "duckd", "postgres", "lat_us"), "avg latency, duckd ÷ PostgreSQL")
    add(table(["comparison", "ratio", "what is divided"], head))
    add("Throughput ratios above 1 mean duckd is faster; time, latency and memory ratios "
        "below 1 mean duckd uses less.\n")

    # ---------------- W1
    if d.cases("W1"):
        add("## W1 analytics\n")
        add("Five queries (join + group-by, filtered daily aggregate, top-N, join + "
            "count(DISTINCT), LIKE scan; `bench/sql/analytics.sql`) over fact and dim. One "
            "transaction = the whole mix; pgbench `-M simple` for %g s per measurement, "
            "in-process: the same statements with `duckdb_query` on one connection per "
            "client thread after one warm-up pass.\n" % S["mix"])
        rows = []
        for c in d.cases("W1"):
            n = c[1:]
            for s in ("duckd", "postgres", "inproc"):
                rows.append([n, SYSNAME[s], cell(d, "W1", c, s, "tps"), cell(d, "W1", c, s, "lat_ms", unit=" ms"),
                             cell(d, "W1", c, s, "server_cpu_s") if s != "inproc" else cell(d, "W1", c, s, "cpu_s"),
                             cell(d, "W1", c, s, "server_peak_rss_kib", 1 / 1024) if s != "inproc"
                             else cell(d, "W1", c, s, "peak_rss_kib", 1 / 1024),
                             xr(d.ratio("W1", c, "duckd", s, "tps")) if s != "duckd" else ""])
        add(table(["clients", "system", "mixes/s", "latency per mix", "server CPU s",
                   "server peak RSS MiB", "duckd ÷ this (mixes/s)"], rows))
        add("(in-process rows: CPU and RSS are the whole benchmark process's.)\n")
        chart(os.path.join(img_dir, "w1_analytics.png"), "W1 analytics: query mixes per second",
              [("%s client(s)" % c[1:], c) for c in d.cases("W1")], ["duckd", "postgres", "inproc"],
              lambda k, s: d.stat("W1", k, s, "tps"), "mixes/s", log=True)
        add("![W1](%s/w1_analytics.png)\n" % rel_img)

    # ---------------- W2
    if d.cases("W2"):
        add("## W2 small reads\n")
        add("`SELECT 1` and a primary-key lookup on kv (random key), pgbench `-M prepared`, "
            "%g s per measurement; in-process: a prepared statement executed in a loop on one "
            "connection per thread. The lookup also runs with `-M simple` (the key is a literal "
            "in the SQL text, parsed and planned every time; in-process: `duckdb_query` on the "
            "same text): DuckDB re-plans a prepared statement with parameters at every "
            "execution, so the two protocols cost about the same there. Overhead = duckd's latency − in-process latency at the same "
            "client count (at 1 client: the pure per-query cost of the server round trip).\n"
            % S["small"])
        rows = []
        for c in d.cases("W2"):
            q, n = c.split("-c")
            for s in ("duckd", "postgres", "inproc"):
                ops = d.med("W2", c, s, "ops")
                cpu = d.med("W2", c, s, "server_cpu_s" if s != "inproc" else "cpu_s")
                cpu_us = (cpu / ops * 1e6) if ops and cpu is not None else None
                over = ""
                if s == "duckd":
                    a, b = d.med("W2", c, "duckd", "lat_us"), d.med("W2", c, "inproc", "lat_us")
                    over = "+%s µs" % fmt(a - b) if a is not None and b is not None else "–"
                rows.append([QNAME[q], n, SYSNAME[s],
                             cell(d, "W2", c, s, "tps"), cell(d, "W2", c, s, "lat_us", unit=" µs"),
                             fmt(cpu_us, " µs"), over,
                             xr(d.ratio("W2", c, "duckd", s, "tps")) if s != "duckd" else ""])
        add(table(["query", "clients", "system", "queries/s", "avg latency",
                   "server CPU per query", "duckd overhead", "duckd ÷ this (q/s)"], rows))
        add("(server CPU per query: duckd's or PostgreSQL's processes only, pgbench's own CPU "
            "excluded; in-process: the whole process.)\n")
        chart(os.path.join(img_dir, "w2_small_reads.png"), "W2 small reads: average latency (µs, lower is better)",
              [(c.replace("select1", "SELECT 1").replace("pointlit", "lookup lit.")
                 .replace("point", "lookup $1").replace("-c", ", c="), c)
               for c in d.cases("W2")], ["duckd", "postgres", "inproc"],
              lambda k, s: d.stat("W2", k, s, "lat_us"), "µs", log=True)
        add("![W2](%s/w2_small_reads.png)\n" % rel_img)

    # ---------------- W3
    if d.cases("W3"):
        add("## W3 small writes\n")
        add("Single-row autocommit `INSERT INTO ins VALUES (…)`, pgbench `-M simple` and "
            "`-M prepared`, %g s per measurement. duckd and in-process DuckDB write a database "
            "file (WAL on every commit); PostgreSQL with fsync and synchronous_commit on.\n"
            % S["small"])
        rows = []
        for c in d.cases("W3"):
            m, n = c.split("-c")
            for s in ("duckd", "postgres", "inproc", "ceiling"):
                if s == "ceiling" and not d.rows("W3", c, s):
                    continue
                rows.append([m, n, SYSNAME[s], cell(d, "W3", c, s, "tps"),
                             cell(d, "W3", c, s, "lat_us", unit=" µs"),
                             cell(d, "W3", c, s, "server_cpu_s") if s != "inproc" else cell(d, "W3", c, s, "cpu_s"),
                             fmt(cpu_per(d, "W3", c, s, "ops"), " µs"),
                             xr(d.ratio("W3", c, "duckd", s, "tps")) if s != "duckd" else ""])
        add(table(["protocol", "clients", "system", "inserts/s", "avg latency", "server CPU s",
                   "server CPU per insert", "duckd ÷ this (inserts/s)"], rows))
        add("(server CPU per insert: the median over repetitions of server CPU ÷ inserts; "
            "in-process: the whole process. The no-op server, bench/nullserver, answers each "
            "INSERT on one epoll thread without doing anything: pgbench's rate against it is "
            "the most any server can reach with this client on this machine.)\n")
        chart(os.path.join(img_dir, "w3_small_writes.png"), "W3 autocommit inserts per second",
              [(c.replace("-c", ", c="), c) for c in d.cases("W3")],
              [s for s in ("duckd", "postgres", "inproc", "ceiling") if s != "ceiling" or d.rows("W3", d.cases("W3")[0], s)],
              lambda k, s: d.stat("W3", k, s, "tps"), "inserts/s", log=True)
        add("![W3](%s/w3_small_writes.png)\n" % rel_img)

    # ---------------- W8
    if d.cases("W8"):
        b = d.med("W8", d.cases("W8")[0], "duckd", "batch") or d.med("W8", d.cases("W8")[0], "postgres", "batch")
        add("## W8 batched inserts\n")
        add("%s rows `(id, client, 'x')` per round trip into ins, for %g s per measurement, "
            "by bench/pqclient (libpq, one thread and connection per client). `pipeline`: "
            "libpq pipeline mode, the INSERT prepared once, then per batch Bind/Execute × %s "
            "and one Sync (what JDBC `executeBatch` and asyncpg `executemany` send); a batch "
            "counts when its Sync's ReadyForQuery arrived. PostgreSQL runs a pipeline up to "
            "Sync as one implicit transaction (one commit per batch). `multirow`: one "
            "simple-Query `INSERT INTO ins VALUES (…), (…), …` of %s rows (one statement, one "
            "commit). In-process: the same prepared INSERT executed %s times inside "
            "`BEGIN … COMMIT` (one commit per batch; DuckDB's Appender would be faster but is "
            "not what a SQL client can send), or the same multi-row statement text.\n"
            % (fmt(b) if b else "B", S["small"], fmt(b) if b else "B", fmt(b) if b else "B",
               fmt(b) if b else "B"))
        rows = []
        for c in d.cases("W8"):
            m, n = c.split("-c")
            for s in ("duckd", "postgres", "inproc"):
                cpu_key = "server_cpu_s" if s != "inproc" else "cpu_s"
                rows.append([m, n, SYSNAME[s], cell(d, "W8", c, s, "rows_per_s"),
                             cell(d, "W8", c, s, "lat_us", 1 / 1000, unit=" ms"),
                             cell(d, "W8", c, s, cpu_key),
                             fmt(cpu_per(d, "W8", c, s, "rows"), " µs"),
                             xr(d.ratio("W8", c, "duckd", s, "rows_per_s")) if s != "duckd" else ""])
        add(table(["batch", "clients", "system", "rows/s", "avg batch latency", "server CPU s",
                   "server CPU per row", "duckd ÷ this (rows/s)"], rows))
        chart(os.path.join(img_dir, "w8_batched_inserts.png"), "W8 batched inserts: rows per second",
              [(c.replace("-c", ", c="), c) for c in d.cases("W8")], ["duckd", "postgres", "inproc"],
              lambda k, s: d.stat("W8", k, s, "rows_per_s"), "rows/s", log=True)
        add("![W8](%s/w8_batched_inserts.png)\n" % rel_img)

    # ---------------- W4
    if d.cases("W4"):
        add("## W4 large results\n")
        add("All %s rows of fact (7 columns). `copy`: `COPY (SELECT * FROM fact) TO STDOUT` read "
            "with `PQgetCopyData`; in-process: DuckDB `COPY … TO` a CSV file on tmpfs. "
            "`select`: `SELECT * FROM fact` read by bench/pqclient in single-row mode, every "
            "row discarded (text format; MB = field bytes received); in-process: a streaming "
            "result pulled with `duckdb_fetch_chunk` (binary vectors, nothing converted to "
            "text). `slow`: the same SELECT read by a client that sleeps 2 ms every 50 rows "
            "with a 64 KiB receive buffer, stopped after %g s.\n"
            % ("{:,}".format(R["fact"]), S["slow"]))
        rows = []
        for c in ("copy", "select", "slow"):
            for s in W4_EXPECTED[c]:
                st = d.status("W4", c, s)
                if st is None:
                    continue
                if st != "ok":
                    rows.append([c, SYSNAME[s], st, "", "", "", "", "", ""])
                    continue
                rss_key = "server_peak_rss_kib" if s != "inproc" else "peak_rss_kib"
                rows.append([c, SYSNAME[s], cell(d, "W4", c, s, "rows_per_s"),
                             cell(d, "W4", c, s, "mb_per_s"),
                             cell(d, "W4", c, s, "client_cpu_s") if s != "inproc" else "(same process)",
                             cell(d, "W4", c, s, "server_cpu_s") if s != "inproc" else cell(d, "W4", c, s, "cpu_s"),
                             cell(d, "W4", c, s, rss_key, 1 / 1024),
                             cell(d, "W4", c, s, "idle_rss_kib", 1 / 1024) if c == "slow" else "",
                             xr(d.ratio("W4", c, "duckd", s, "rows_per_s")) if s != "duckd" and c != "slow" else ""])
        add(table(["case", "system", "rows/s", "MB/s", "client CPU s", "server CPU s",
                   "peak RSS MiB", "idle RSS MiB",
                   "duckd ÷ this (rows/s)"], rows))
        chart(os.path.join(img_dir, "w4_large_results.png"), "W4 large results: rows per second",
              [("COPY TO STDOUT / file", "copy"), ("SELECT * (discarded)", "select")],
              ["duckd", "postgres", "inproc"], lambda k, s: d.stat("W4", k, s, "rows_per_s"),
              "rows/s", log=True,
              na=lambda k, s: "duckd: n/a" if (d.status("W4", k, s) or "").startswith("n/a") else None)
        add("![W4](%s/w4_large_results.png)\n" % rel_img)

    # ---------------- W9
    if d.cases("W9"):
        add("## W9 result downloads over HTTP\n")
        add("W4's `SELECT * FROM fact` (all %s rows) through `POST /v1/query?format=F` of duckd's "
            "HTTP API, read by bench/httpclient (libcurl, bearer token, plain HTTP on loopback): "
            "the body is discarded as it streams in and checked complete (json: its `row_count`; "
            "csv and ndjson: one line per row; arrow: the end-of-stream marker). MB = bytes of "
            "the body. duckd's RSS is sampled every 100 ms during the download (and its VmHWM, "
            "reset before); *RSS growth* = that peak − duckd's RSS just before the request. "
            "In-process DuckDB produces the same result in the same format without a server: "
            "`COPY (SELECT * FROM fact) TO` a file on tmpfs with its CSV writer (header line) or "
            "its JSON writer (one object per line: the baseline of both `ndjson` and `json`), "
            "and for `arrow` a streaming result whose chunks are converted to Arrow C data "
            "interface arrays with `duckdb_data_chunk_to_arrow` and released (what duckd's IPC "
            "encoder starts from; not serialised, so no MB/s).\n" % "{:,}".format(R["fact"]))
        rows = []
        for c in d.cases("W9"):
            for s in ("duckd", "inproc"):
                if s == "inproc" and W9_BASE.get(c, c) != c:
                    continue
                st = d.status("W9", c, s)
                if st is None:
                    continue
                if st != "ok":
                    rows.append([c, SYSNAME[s], st] + [""] * 8)
                    continue
                g = [r["server_peak_rss_kib"] - r["idle_rss_kib"] for r in d.rows("W9", c, s)
                     if r["status"] == "ok" and r.get("server_peak_rss_kib") and r.get("idle_rss_kib")]
                rows.append([c, "duckd over HTTP" if s == "duckd" else SYSNAME[s],
                             cell(d, "W9", c, s, "rows_per_s"),
                             cell(d, "W9", c, s, "mb_per_s") if s == "duckd" or c != "arrow" else "",
                             cell(d, "W9", c, s, "ttfb_ms", unit=" ms") if s == "duckd" else "",
                             cell(d, "W9", c, s, "client_cpu_s") if s == "duckd" else "(same process)",
                             cell(d, "W9", c, s, "server_cpu_s") if s == "duckd" else cell(d, "W9", c, s, "cpu_s"),
                             cell(d, "W9", c, s, "server_peak_rss_kib" if s == "duckd" else "peak_rss_kib", 1 / 1024),
                             fmt(statistics.median(g) / 1024) if g else "",
                             xr(d.ratio("W9", c, "duckd", "inproc", "rows_per_s", case_b=W9_BASE.get(c, c)))
                             if s == "duckd" else ""])
        add(table(["format", "system", "rows/s", "MB/s", "time to first byte", "client CPU s",
                   "server CPU s", "peak RSS MiB", "RSS growth MiB", "duckd ÷ in-process (rows/s)"],
                  rows))
        add("(json's in-process baseline is the NDJSON export. In-process rows: CPU and RSS are "
            "the whole exporting process's. For comparison over pgwire (W4, duckd): `COPY TO "
            "STDOUT` %s rows/s, `SELECT *` to libpq %s rows/s.)\n"
            % (fmt(d.med("W4", "copy", "duckd", "rows_per_s")),
               fmt(d.med("W4", "select", "duckd", "rows_per_s"))))
        chart(os.path.join(img_dir, "w9_http_downloads.png"),
              "W9 downloads over HTTP vs in-process export: rows per second",
              [({"json": "json\n(in-process: NDJSON file)", "ndjson": "ndjson\n(NDJSON file)",
                 "csv": "csv\n(CSV file)", "arrow": "arrow\n(C data arrays)"}.get(c, c), c)
               for c in d.cases("W9")], ["duckd", "inproc"],
              lambda k, s: d.stat("W9", W9_BASE.get(k, k) if s == "inproc" else k, s, "rows_per_s"),
              "rows/s")
        add("![W9](%s/w9_http_downloads.png)\n" % rel_img)

    # ---------------- W5
    if d.cases("W5a") or d.cases("W5b"):
        add("## W5 the seeds' scenarios\n")
    if d.cases("W5a"):
        add("**(a) one writer + four readers on one table** for %g s: five separate processes "
            "(pgbench `-M prepared -c 1` each, or forked SQLite connections with "
            "busy_timeout 5000 ms); the writer inserts single rows (autocommit), the readers "
            "run `SELECT count(*) FROM events` (events starts with %s rows).\n"
            % (S["mixed"], "{:,}".format(R["events"])))
        rows = []
        for s in ("duckd", "postgres", "sqlite"):
            rows.append([SYSNAME[s], cell(d, "W5a", "mixed", s, "writes_per_s"),
                         cell(d, "W5a", "mixed", s, "reads_per_s"),
                         cell(d, "W5a", "mixed", s, "server_peak_rss_kib", 1 / 1024),
                         cell(d, "W5a", "mixed", s, "server_cpu_s" if s != "sqlite" else "cpu_s"),
                         xr(d.ratio("W5a", "mixed", "duckd", s, "writes_per_s")) if s != "duckd" else "",
                         xr(d.ratio("W5a", "mixed", "duckd", s, "reads_per_s")) if s != "duckd" else ""])
        add(table(["system", "writes/s", "reads/s", "peak RSS MiB (server / SQLite processes)",
                   "CPU s (server / all SQLite processes)",
                   "duckd ÷ this (writes)", "duckd ÷ this (reads)"], rows))
        hs = [s for s in ("http-readers", "http") if d.status("W5a", "mixed", s)]
        if hs:
            add("**The same scenario over the HTTP API**: the four readers are bench/httpclient "
                "processes (libcurl, one kept-alive connection each) posting `{\"sql\": \"SELECT "
                "count(*) FROM events\"}` to `/v1/query` in a loop, as `pgbench -c 1` does over "
                "pgwire; every request authenticates its bearer token and is a session of its own. "
                "The writer is pgbench over pgwire (*readers over HTTP*: the dashboard reads "
                "through the API while the application writes through its driver) or a fifth "
                "httpclient posting `INSERT INTO events VALUES ($1, 'w')` with `\"params\": [k]` "
                "(*all five over HTTP*). Ratios pair each repetition with duckd's pgwire run "
                "(first row above) of the same repetition.\n")
            rows = []
            for s in ["duckd"] + hs:
                rows.append([SYSNAME[s] + (" (pgwire, as above)" if s == "duckd" else ""),
                             cell(d, "W5a", "mixed", s, "writes_per_s"),
                             cell(d, "W5a", "mixed", s, "reads_per_s"),
                             cell(d, "W5a", "mixed", s, "read_lat_ms", unit=" ms"),
                             cell(d, "W5a", "mixed", s, "server_cpu_s"),
                             fmt(cpu_per(d, "W5a", "mixed", s, "requests"), " µs"),
                             cell(d, "W5a", "mixed", s, "reader_cpu_s") if s != "duckd" else "",
                             cell(d, "W5a", "mixed", s, "server_peak_rss_kib", 1 / 1024),
                             xr(d.ratio("W5a", "mixed", s, "duckd", "writes_per_s")) if s != "duckd" else "",
                             xr(d.ratio("W5a", "mixed", s, "duckd", "reads_per_s")) if s != "duckd" else ""])
            add(table(["variant", "writes/s", "reads/s", "avg read latency", "server CPU s",
                       "server CPU per request", "4 readers' CPU s", "peak RSS MiB",
                       "this ÷ pgwire (writes)", "this ÷ pgwire (reads)"], rows))
    if d.cases("W5b"):
        add("**(b) eight report workers, 100 reports** (four templates with different "
            "parameters, split round-robin): eight psql processes against one `duckd --memory "
            "--init load.sql` (loads fact and dim from Parquet once) vs eight processes that "
            "each open a private in-memory DuckDB, run the same load.sql, then their reports. "
            "Time: from starting the server (or the workers) until the last worker is done. RSS: "
            "peak of the summed RSS of every process of the scenario (server + workers).\n")
        rows = []
        for s in ("shared", "private"):
            rows.append([SYSNAME[s], cell(d, "W5b", "reports", s, "seconds", unit=" s"),
                         cell(d, "W5b", "reports", s, "load_s", unit=" s"),
                         cell(d, "W5b", "reports", s, "server_peak_rss_kib", 1 / 1024),
                         cell(d, "W5b", "reports", s, "total_cpu_s", unit=" s")])
        add(table(["scenario", "total time", "load time", "total peak RSS MiB",
                   "CPU (all processes)"], rows))
    if d.cases("W5a") or d.cases("W5b"):
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, axs = plt.subplots(1, 3, figsize=(11, 3.4), dpi=110)
        for ax, (wl, case, key, systems, title) in zip(axs, [
                ("W5a", "mixed", "writes_per_s", W5A_CHART, "W5a writes/s"),
                ("W5a", "mixed", "reads_per_s", W5A_CHART, "W5a reads/s (log)"),
                ("W5b", "reports", "seconds", ("shared", "private"), "W5b total seconds")]):
            labels, ys, err, colors = [], [], [[], []], []
            for s in systems:
                st = d.stat(wl, case, s, key)
                if st:
                    labels.append(W5A_LABEL.get(s) or SYSNAME[s].replace(" --memory --init", "").replace(" in-memory DuckDB", ""))
                    ys.append(st[0]); err[0].append(st[0] - st[1]); err[1].append(st[2] - st[0])
                    colors.append(COLOR[s])
            ax.bar(range(len(ys)), ys, yerr=err, capsize=3, color=colors)
            ax.set_xticks(range(len(ys)))
            ax.set_xticklabels(labels, fontsize=7)
            ax.set_title(title, fontsize=9)
            if "log" in title:
                ax.set_yscale("log")
            ax.grid(axis="y", alpha=0.3)
        fig.tight_layout()
        fig.savefig(os.path.join(img_dir, "w5_scenarios.png"))
        plt.close(fig)
        add("![W5](%s/w5_scenarios.png)\n" % rel_img)

    # ---------------- W6
    if d.cases("W6"):
        add("## W6 connections\n")
        add("N idle connections (each ran `SELECT 1` once) held by one libpq process; server "
            "memory is measured before and with them (duckd is restarted for every measurement, "
            "so heap freed by an earlier N does not hide the cost). Per connection: the RSS and "
            "PSS growth divided by N (PSS splits shared pages between PostgreSQL's processes, "
            "RSS counts them in every backend). Then 4 active pgbench clients (`-M simple` point "
            "lookups with a literal key, so both use their primary-key index) run for %g s while the N stay idle.\n" % S["conn"])
        rows = []
        ns = d.cases("W6")
        for c in ns:
            for s in ("duckd", "postgres"):
                rows.append(["{:,}".format(int(c[1:])), SYSNAME[s],
                             cell(d, "W6", c, s, "rss_per_conn_kib", unit=" KiB"),
                             cell(d, "W6", c, s, "pss_per_conn_kib", unit=" KiB"),
                             cell(d, "W6", c, s, "connect_ms_each", unit=" ms"),
                             cell(d, "W6", c, s, "tps"), cell(d, "W6", c, s, "lat_us", unit=" µs"),
                             xr(d.ratio("W6", c, s, s, "lat_us", case_b=ns[0])),
                             cell(d, "W6", c, s, "server_peak_rss_kib", 1 / 1024)])
        add(table(["idle connections", "system", "RSS per connection", "PSS per connection",
                   "connect + first query", "active queries/s", "active latency",
                   "latency ÷ with %s idle" % ns[0][1:], "server peak RSS MiB"], rows))
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, axs = plt.subplots(1, 2, figsize=(10, 3.4), dpi=110)
        ns = d.cases("W6")
        for s in ("duckd", "postgres"):
            xs = [int(c[1:]) for c in ns]
            y1 = [d.med("W6", c, s, "pss_per_conn_kib") for c in ns]
            y2 = [d.med("W6", c, s, "lat_us") for c in ns]
            axs[0].plot(xs, y1, "o-", label=SYSNAME[s], color=COLOR[s])
            axs[1].plot(xs, y2, "o-", label=SYSNAME[s], color=COLOR[s])
        for ax, t, yl in ((axs[0], "memory per idle connection (PSS)", "KiB"),
                          (axs[1], "active point-lookup latency", "µs")):
            ax.set_xscale("log")
            ax.set_xlabel("idle connections")
            ax.set_ylabel(yl)
            ax.set_title(t, fontsize=9)
            ax.grid(alpha=0.3)
            ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(os.path.join(img_dir, "w6_connections.png"))
        plt.close(fig)
        add("![W6](%s/w6_connections.png)\n" % rel_img)

    # ---------------- W7
    if d.cases("W7"):
        add("## W7 bulk load\n")
        add("All %s rows of fact as `COPY fact TO STDOUT` writes them (text format, %s), loaded "
            "into an empty table: `COPY fact_load FROM STDIN` sent by bench/pqclient in 64 KiB "
            "CopyData messages (duckd: a file database, committed with its WAL; PostgreSQL: a "
            "logged table, fsync on). In-process: DuckDB's own parallel CSV reader loading the "
            "same file (`COPY fact_load FROM 'file'`), no client and no protocol.\n"
            % ("{:,}".format(R["fact"]),
               fmt(d.med("W7", "copyin", "duckd", "bytes") / 1e6, " MB")
               if d.med("W7", "copyin", "duckd", "bytes") else "?"))
        rows = []
        for s in ("duckd", "postgres", "inproc"):
            rows.append([SYSNAME[s], cell(d, "W7", "copyin", s, "rows_per_s"),
                         cell(d, "W7", "copyin", s, "mb_per_s"),
                         cell(d, "W7", "copyin", s, "seconds", unit=" s"),
                         cell(d, "W7", "copyin", s, "server_cpu_s") if s != "inproc"
                         else cell(d, "W7", "copyin", s, "cpu_s"),
                         cell(d, "W7", "copyin", s, "server_peak_rss_kib" if s != "inproc"
                              else "peak_rss_kib", 1 / 1024),
                         xr(d.ratio("W7", "copyin", "duckd", s, "rows_per_s")) if s != "duckd"
                         else ""])
        add(table(["system", "rows/s", "MB/s", "load time", "server CPU s", "peak RSS MiB",
                   "duckd ÷ this (rows/s)"], rows))
        add("(in-process rows: CPU and RSS are the whole loading process's.)\n")

    errs = [r for r in d.recs if r["status"] == "error"]
    if errs:
        add("## Failed measurements\n")
        add(table(["workload", "case", "system", "rep", "error"],
                  [[r.get("workload"), r.get("case"), r.get("system"), r.get("rep"),
                    r.get("error", "")[:200].replace("|", "/").replace("\n", " ")] for r in errs]))

    # bench/admission's last results (it writes bench/ADMISSION.md and splices the same
    # block into docs/BENCHMARKS.md; keep it when the rest is regenerated)
    admission = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ADMISSION.md")
    if os.path.exists(admission):
        with open(admission) as f:
            add("<!-- admission:begin -->\n" + f.read() + "<!-- admission:end -->\n")

    add("## Analysis\n")
    if analysis and os.path.exists(analysis):
        with open(analysis) as f:
            text = f.read()
        # drop the file's own title: it is a section here
        lines = text.splitlines()
        if lines and lines[0].startswith("# "):
            lines = lines[1:]
        add("\n".join(lines).strip() + "\n")
    add("## Reproduce\n")
    add("```sh\nmake bench BENCH_ARGS='--size quick'     # or: bench/run --size quick|full|tiny, "
        "--reps N, --only W1,W4\nbench/run --size tiny --smoke            # < 2 minutes, checks "
        "the harness, never writes docs/\n```\n")
    add("Raw outputs and every record (results.jsonl) stay in bench/out/ (not committed).\n")
    with open(out_md, "w") as f:
        f.write("\n".join(md))


def check(d, only):
    missing = []
    wls = [w.strip() for w in only.split(",")]
    for w in wls:
        names = ["W5a", "W5b"] if w == "W5" else [w]
        for wl in names:
            if wl == "W9":
                for case, systems in W9_EXPECTED.items():
                    for s in systems:
                        if d.status("W9", case, s) != "ok":
                            missing.append("W9/%s/%s: %s" % (case, s, d.status("W9", case, s)))
                continue
            if wl == "W4":
                for case, systems in W4_EXPECTED.items():
                    for s in systems:
                        if d.status("W4", case, s) not in ("ok",) and not (d.status("W4", case, s) or "").startswith("n/a"):
                            missing.append("W4/%s/%s: %s" % (case, s, d.status("W4", case, s)))
                continue
            cases = d.cases(wl)
            if not cases:
                missing.append("%s: no records" % wl)
            for c in cases:
                for s in EXPECTED[wl]:
                    if d.status(wl, c, s) != "ok":
                        missing.append("%s/%s/%s: %s" % (wl, c, s, d.status(wl, c, s)))
    for m in missing:
        print("check: " + m, file=sys.stderr)
    return not missing


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", required=True)
    ap.add_argument("--meta")
    ap.add_argument("--analysis")
    ap.add_argument("--out")
    ap.add_argument("--img")
    ap.add_argument("--elapsed", default="?")
    ap.add_argument("--check")
    a = ap.parse_args()
    d = Data(a.results)
    if a.check:
        sys.exit(0 if check(d, a.check) else 1)
    with open(a.meta) as f:
        meta = json.load(f)
    report(d, meta, a.analysis, a.out, a.img, a.elapsed)


if __name__ == "__main__":
    main()
