"""Arrow IPC streams of query results (engine/arrow.c, types/arrow_ipc.c) read back by the
apache-arrow npm package. The unit test binary test_engine_arrow doubles as the dumper: it runs a
query on an in-memory DuckDB through the engine API and writes the stream (or, with --text, the
values as text) to a file; tests/e2e/node/arrow_read.js reads the stream with apache-arrow and
prints the schema, the batch lengths and the values in a canonical spelling, which is compared
with what DuckDB itself says of the same values."""

import datetime
import json
import math
import os
import re
import shutil
import struct
import subprocess

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
NODE_DIR = os.path.join(ROOT, "tests", "e2e", "node")
DUCKD_BIN = os.environ.get("DUCKD_BIN") or os.path.join(ROOT, "build", "duckd")
DUMPER = os.path.join(os.path.dirname(os.path.abspath(DUCKD_BIN)), "tests", "test_engine_arrow")

pytestmark = pytest.mark.skipif(not (shutil.which("node") and shutil.which("npm")),
                                reason="needs node and npm")


@pytest.fixture(scope="module")
def tools():
    if not os.path.isdir(os.path.join(NODE_DIR, "node_modules", "apache-arrow")):
        res = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=NODE_DIR,
                             capture_output=True, text=True, timeout=600)
        assert res.returncode == 0, res.stdout + res.stderr
    if not os.path.exists(DUMPER):  # `make unit` builds it; an e2e-only run builds it here
        args = ["make", "-C", ROOT] + (["SAN=1"] if os.environ.get("DUCKD_SAN") else [])
        res = subprocess.run(args + [os.path.relpath(DUMPER, ROOT)], capture_output=True,
                             text=True, timeout=900)
        assert res.returncode == 0, res.stdout + res.stderr
    return True


def dump(tmp_path, sql, *opts, expect_error=None):
    """Runs sql through the engine into a file; returns its path (or stderr on expected
    failure)."""
    out = str(tmp_path / ("q%d" % len(os.listdir(tmp_path))))
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:halt_on_error=1",
               LSAN_OPTIONS="suppressions=" + os.path.join(ROOT, "tests", "e2e", "lsan.supp") +
               ":print_suppressions=0")
    res = subprocess.run([DUMPER, "--dump", out] + list(opts) + [sql], capture_output=True,
                         text=True, timeout=300, env=env)
    if expect_error:
        assert res.returncode == 1, res.stderr
        assert expect_error in res.stderr, res.stderr
        return res.stderr
    assert res.returncode == 0, res.stderr
    return out


def duck_rows(tmp_path, sql):
    with open(dump(tmp_path, sql, "--text")) as f:
        return [json.loads(line) for line in f]


def arrow(tmp_path, sql, *opts):
    path = dump(tmp_path, sql, *opts)
    res = subprocess.run(["node", "arrow_read.js", path], cwd=NODE_DIR, capture_output=True,
                         text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


# ---- comparing apache-arrow's values with DuckDB's ----

INF_DAYS, INF_US = 2147483647, 9223372036854775807
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def same_float(a, b, single):
    a, b = float(a), float(b)
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if single:
        return struct.pack("<f", a) == struct.pack("<f", b)
    return a == b


def interval_text(s):
    """DuckDB's interval text ("1 year 2 months 3 days 04:05:06.5") as months:days:nanos."""
    months = days = micros = 0
    for n, unit in re.findall(r"(-?\d+) (year|month|day)s?", s):
        if unit == "year":
            months += 12 * int(n)
        elif unit == "month":
            months += int(n)
        else:
            days += int(n)
    m = re.search(r"(-?)(\d+):(\d+):(\d+)(?:\.(\d+))?$", s)
    if m:
        micros = ((int(m.group(2)) * 60 + int(m.group(3))) * 60 + int(m.group(4))) * 1000000
        micros += int((m.group(5) or "0").ljust(6, "0"))
        if m.group(1):
            micros = -micros
    return "%d:%d:%d" % (months, days, micros * 1000)


def same_nested(nv, jv, f):
    """nv: arrow_read.js's canonical value of field f; jv: DuckDB's to_json of it."""
    if nv is None or jv is None:
        return nv is None and jv is None
    t = f["type"]
    kids = f["children"]
    if t.startswith("List") or t.startswith("FixedSizeList"):
        return len(nv) == len(jv) and all(same_nested(a, b, kids[0]) for a, b in zip(nv, jv))
    if t.startswith("Struct"):
        return all(same_nested(nv[k["name"]], jv[k["name"]], k) for k in kids)
    if t.startswith("Map"):
        value = kids[0]["children"][1]
        got = {e["key"]: e["value"] for e in nv}
        return got.keys() == jv.keys() and all(same_nested(got[k], jv[k], value) for k in jv)
    if t.startswith("Union"):
        (tag, val), = jv.items()
        member = next(k for k in kids if k["name"] == tag)
        return same_nested(nv, val, member)
    if t.startswith("Int") or t.startswith("Uint"):
        return int(nv) == jv
    if t == "Bool":
        return nv == ("true" if jv else "false")
    if t.startswith("Float"):
        return same_float(nv, jv, t == "Float32")
    if t.startswith("Date32"):
        if jv in ("infinity", "-infinity"):
            return int(nv) == (INF_DAYS if jv == "infinity" else -INF_DAYS)
        return int(nv) == (datetime.date.fromisoformat(jv) - datetime.date(1970, 1, 1)).days
    if t.startswith("Timestamp<MICROSECOND"):
        if jv in ("infinity", "-infinity"):
            return int(nv) == (INF_US if jv == "infinity" else -INF_US)
        ts = datetime.datetime.fromisoformat(jv.replace("+00", "+00:00") if jv.endswith("+00")
                                             else jv + "+00:00")
        return int(nv) == (ts - EPOCH) // datetime.timedelta(microseconds=1)
    return nv == jv


def canon_sql(name, t):
    """A SQL expression for DuckDB's spelling of column `name` of type t in arrow_read.js's
    canonical form (or close enough for same_value), or None to compare no values."""
    c = '"%s"' % name
    if t == "DATE":
        return "(%s - DATE '1970-01-01')::VARCHAR" % c
    if t in ("TIME", "TIME WITH TIME ZONE"):  # DuckDB exports a TIMETZ's time, not its offset
        return "epoch_us(%s::TIME)::VARCHAR" % c
    if t == "TIME_NS":
        return "(epoch_us(%s::TIME) * 1000)::VARCHAR" % c
    if t in ("TIMESTAMP", "TIMESTAMP WITH TIME ZONE"):
        return "epoch_us(%s)::VARCHAR" % c
    if t == "TIMESTAMP_S":
        return "epoch(%s)::BIGINT::VARCHAR" % c
    if t == "TIMESTAMP_MS":
        return "epoch_ms(%s)::VARCHAR" % c
    if t == "TIMESTAMP_NS":
        return "epoch_ns(%s)::VARCHAR" % c
    if t.startswith("DECIMAL"):
        return "replace(%s::VARCHAR, '.', '')" % c
    if t == "BLOB":
        return "lower(hex(%s))" % c
    if t in ("BIT", "BIGNUM"):  # DuckDB's own byte layout, exported as binary
        return None
    if t.endswith("[]") or re.search(r"\[\d+\]$", t) or t.startswith(("STRUCT", "MAP", "UNION")):
        return "to_json(%s)::VARCHAR" % c
    return "%s::VARCHAR" % c


def same_value(nv, dv, t, f):
    if dv is None or nv is None:
        return dv is None and nv is None
    if t == "FLOAT" or t == "DOUBLE":
        return same_float(nv, dv, t == "FLOAT")
    if t.startswith("DECIMAL") or t == "HUGEINT":
        return int(nv) == int(dv)
    if t == "UHUGEINT":  # DuckDB exports it as decimal128(38,0): above 2^127 it wraps
        v = int(dv)
        return int(nv) == (v - (1 << 128) if v >= (1 << 127) else v)
    if t == "INTERVAL":
        return nv == interval_text(dv)
    if t.endswith("]") or t.startswith(("STRUCT", "MAP", "UNION")):
        return same_nested(nv, json.loads(dv), f)
    return nv == dv


def check_against_duckdb(tmp_path, select, got):
    """Compares arrow_read.js's output for `SELECT * FROM (select)` with DuckDB's own values."""
    cols = duck_rows(tmp_path, "SELECT column_name, column_type FROM (DESCRIBE %s)" % select)
    exprs = [canon_sql(n, t) or "NULL" for n, t in cols]
    want = duck_rows(tmp_path, "SELECT %s FROM (%s)" % (", ".join(exprs), select))
    assert [f["name"] for f in got["schema"]] == [n for n, _ in cols]
    assert len(got["rows"]) == len(want)
    bad = []
    for k, (name, t) in enumerate(cols):
        if canon_sql(name, t) is None:
            continue
        for r, (grow, wrow) in enumerate(zip(got["rows"], want)):
            if not same_value(grow[k], wrow[k], t, got["schema"][k]):
                bad.append("%s (%s) row %d: arrow %r, duckdb %r" % (name, t, r, grow[k], wrow[k]))
    assert not bad, "\n".join(bad)


# ---- the tests ----

def test_all_types(tmp_path, tools):
    """Every column of DuckDB's test_all_types(): min, max and NULL of each type."""
    got = arrow(tmp_path, "SELECT * FROM test_all_types()")
    types = {f["name"]: f for f in got["schema"]}
    assert types["hugeint"]["type"] == "Decimal[38e0]"
    assert types["small_enum"]["type"] == "Dictionary<Uint8, Utf8>"
    assert types["timestamp_tz"]["type"] == "Timestamp<MICROSECOND, UTC>"
    assert types["interval"]["type"] == "Interval<MONTH_DAY_NANO>"
    assert types["map"]["type"].startswith("Map<")
    assert types["union"]["type"].startswith("Union<")
    assert types["fixed_int_array"]["type"] == "FixedSizeList[3]<Int32>"
    assert types["bignum"]["metadata"]["ARROW:extension:name"] == "arrow.opaque"
    assert got["batches"] == [3]
    check_against_duckdb(tmp_path, "SELECT * FROM test_all_types()", got)


def test_chunks_nulls_and_max_rows(tmp_path, tools):
    """5000 rows (three DuckDB chunks) fetched 1000 at a time: batches cut at max_rows and at
    chunk ends, NULLs at odd places, bitmaps of sliced chunks shifted right."""
    sql = ("SELECT x, CASE WHEN x % 7 = 3 THEN NULL ELSE x::VARCHAR END s, "
           "CASE WHEN x % 5 = 1 THEN NULL ELSE [x, NULL, x + 1] END l, "
           "{'a': x, 'b': CASE WHEN x % 3 = 0 THEN NULL ELSE x % 2 = 0 END} st, "
           "(x * 1.5)::DECIMAL(18,3) d, x % 11 = 0 b FROM range(5000) t(x)")
    got = arrow(tmp_path, sql, "--max-rows", "1000")
    assert sum(got["batches"]) == 5000
    assert got["batches"][:4] == [1000, 1000, 48, 952]
    check_against_duckdb(tmp_path, sql, got)
    for x in (0, 3, 1001, 2047, 2048, 4999):
        row = got["rows"][x]
        assert row[0] == str(x)
        assert row[1] == (None if x % 7 == 3 else str(x))
        assert row[2] == (None if x % 5 == 1 else [str(x), None, str(x + 1)])


def test_empty_and_no_rows(tmp_path, tools):
    got = arrow(tmp_path, "SELECT 1::INTEGER a, 'x' b WHERE false")
    assert [f["type"] for f in got["schema"]] == ["Int32", "Utf8"]
    assert sum(got["batches"]) == 0 and got["rows"] == []  # apache-arrow yields one empty batch
    got = arrow(tmp_path, "CREATE TABLE t (a INTEGER)")
    assert got["schema"] == [] and got["rows"] == []


def test_more_types(tmp_path, tools):
    """Formats test_all_types() does not produce with the default options: large strings and
    lists, UUID as the arrow.uuid extension (lossless conversion), a TIME with nanoseconds, a
    sparse union, nested structs in maps."""
    got = arrow(tmp_path, "SELECT 'abc' s, '\\x01'::BLOB b, [1, 2] l, "
                "uuid '0f0e0d0c-0b0a-0908-0706-050403020100' u",
                "--setup", "SET arrow_large_buffer_size = true",
                "--setup", "SET arrow_lossless_conversion = true")
    assert [f["type"] for f in got["schema"]] == [
        "LargeUtf8", "LargeBinary", "LargeList<Int32>", "FixedSizeBinary[16]"]
    assert got["schema"][3]["metadata"]["ARROW:extension:name"] == "arrow.uuid"
    assert got["rows"] == [["abc", "01", ["1", "2"], "0f0e0d0c0b0a09080706050403020100"]]
    sql = ("SELECT map([1, 2], [{'x': 'a'}, NULL]) m, union_value(n := 7) u, "
           "[[1.5::FLOAT]] f, TIMESTAMP_NS '2020-01-01 00:00:00.123456789' ns, "
           "INTERVAL '-1 month 2 days -3 seconds' i")
    got = arrow(tmp_path, sql)
    check_against_duckdb(tmp_path, sql, got)


def test_refused(tmp_path, tools):
    """String views (arrow_output_version 1.4) are refused with 0A000 before any byte."""
    err = dump(tmp_path, "SELECT 'x' s", "--setup", "SET arrow_output_version = '1.4'",
               "--setup", "SET produce_arrow_string_view = true", expect_error="0A000")
    assert '"vu"' in err


# ---- over the HTTP API ----

def http_arrow(server, tmp_path, sql, status=200):
    """POSTs sql to /v1/query?format=arrow; returns what arrow_read.js read (or the error)."""
    import http.client
    from conftest import TOKENS
    c = http.client.HTTPConnection("127.0.0.1", server.http_port, timeout=120)
    c.request("POST", "/v1/query?format=arrow", body=json.dumps({"sql": sql}),
              headers={"Authorization": "Bearer " + TOKENS["test"]})
    r = c.getresponse()
    data = r.read()
    c.close()
    assert r.status == status, data[:500]
    if status != 200:
        return json.loads(data)
    assert r.getheader("Content-Type") == "application/vnd.apache.arrow.stream"
    path = str(tmp_path / ("h%d" % len(os.listdir(tmp_path))))
    with open(path, "wb") as f:
        f.write(data)
    res = subprocess.run(["node", "arrow_read.js", path], cwd=NODE_DIR, capture_output=True,
                         text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


def test_http_arrow(server, tmp_path, tools):
    got = http_arrow(server, tmp_path, "SELECT range AS i, 'v' || range AS s, "
                     "CASE WHEN range % 3 = 0 THEN NULL ELSE range * 0.5 END AS d "
                     "FROM range(100000)")
    assert [f["name"] for f in got["schema"]] == ["i", "s", "d"]
    assert sum(got["batches"]) == 100000 and max(got["batches"]) <= 16384
    rows = got["rows"]
    assert rows[0] == ["0", "v0", None] and rows[99999][:2] == ["99999", "v99999"]
    # a statement without rows is an empty stream; errors before the first byte are HTTP errors
    assert http_arrow(server, tmp_path, "CREATE TABLE t (a INT)")["rows"] == []
    err = http_arrow(server, tmp_path, "SELECT * FROM nope", status=404)
    assert err["code"] == "42P01"
