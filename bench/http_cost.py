#!/usr/bin/python3
"""Server CPU per small HTTP request: duckd (one or two binaries, or one binary with different
environments) serves `bench/httpclient loop` (libcurl, one kept-alive connection, POST
/v1/query in a loop) for a few seconds; the server's CPU time (utime + stime from /proc) over
the requests it answered is the cost. Runs are paired and interleaved (A B A B ...) and the
medians reported, so drift of a shared machine hits both sides alike.

  bench/http_cost.py --httpclient PATH [--sql Q] [--seconds S] [--pairs N]
                     --a NAME=BIN[,ENV=VAL...] --b NAME=BIN[,ENV=VAL...]

Prints one line per run and a summary: requests/s and server µs of CPU per request, medians.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
import conftest  # noqa: E402  (the e2e fixtures' Server: users, tokens, free ports)


def cpu_s(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def parse_side(spec):
    name, rest = spec.split("=", 1)
    parts = rest.split(",")
    env = dict(p.split("=", 1) for p in parts[1:])
    return name, parts[0], env


def run_once(binary, env, args):
    tmp = tempfile.mkdtemp(prefix="dkc")
    conftest.DUCKD_BIN = binary
    s = conftest.Server(["--memory", "--max-connections", "100"], tmp, env=env)
    try:
        tokfile = os.path.join(tmp, "tok")
        with open(tokfile, "w") as f:
            f.write(conftest.TOKENS["test"] + "\n")
        cmd = [args.httpclient, s.http_url, "--token-file", tokfile, "loop", "--sql", args.sql,
               "--seconds", str(args.seconds)]
        subprocess.run(cmd[:-1] + ["0.5"], check=True, capture_output=True)  # warm-up
        c0 = cpu_s(s.proc.pid)
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        c1 = cpu_s(s.proc.pid)
        kv = dict(w.split("=", 1) for w in out.split() if "=" in w)
        ops = int(kv["ops"])
        return ops / float(kv["seconds"]), (c1 - c0) / ops * 1e6
    finally:
        s.stop()
        subprocess.call(["rm", "-rf", tmp])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--httpclient", required=True)
    ap.add_argument("--sql", default="SELECT 1")
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--pairs", type=int, default=5)
    ap.add_argument("--a", required=True)
    ap.add_argument("--b", required=True)
    args = ap.parse_args()
    sides = [parse_side(args.a), parse_side(args.b)]
    res = {name: [] for name, _, _ in sides}
    for i in range(args.pairs):
        for name, binary, env in (sides if i % 2 == 0 else sides[::-1]):
            tps, us = run_once(binary, env, args)
            res[name].append((tps, us))
            print("run %d %s: %.0f req/s, %.0f us server CPU/request" % (i, name, tps, us),
                  flush=True)
    for name, _, _ in sides:
        r = res[name]
        print("%s: median %.0f req/s, median %.0f us server CPU per request (%d runs)" %
              (name, statistics.median(x[0] for x in r), statistics.median(x[1] for x in r),
               len(r)))


if __name__ == "__main__":
    main()
