"""The HTTP API's pool of DuckDB connections (http_connection_pool, session/pool.h): requests
reuse connections, and nothing one request leaves on its connection reaches a later request of
another user. Every request of user "adm" (an admin, whom the guard lets do the most) below tries to leave state behind (temporary
objects, variables, settings, a prepared statement, an open transaction, a random seed, ...);
the requests of user "ro" that follow, sequentially, would run on that very connection if it
went back to the pool (the pool hands out the most recently returned one first), and must see
a pristine connection. The metrics show each such connection dropped, and plain requests
reusing connections."""

import http.client
import json

import psycopg
import pytest

from conftest import TOKENS


def post(s, sql, user="test", params=None):
    c = http.client.HTTPConnection("127.0.0.1", s.http_port, timeout=60)
    body = {"sql": sql}
    if params is not None:
        body["params"] = params
    c.request("POST", "/v1/query", body=json.dumps(body),
              headers={"Authorization": "Bearer " + TOKENS[user]})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, json.loads(data)


def rows(s, sql, user="ro"):
    st, doc = post(s, sql, user)
    assert st == 200, (sql, doc)
    return doc["rows"]


def pool_metrics(s):
    c = http.client.HTTPConnection("127.0.0.1", s.http_port, timeout=60)
    c.request("GET", "/metrics", headers={"Authorization": "Bearer " + TOKENS["adm"]})
    text = c.getresponse().read().decode()
    c.close()
    out = {}
    for line in text.splitlines():
        if line.startswith("duckd_http_pool_"):
            name, value = line.split()
            out[name[len("duckd_http_pool_"):]] = float(value)
    return out


def test_plain_requests_reuse_connections(start_server):
    s = start_server("--memory")
    before = pool_metrics(s)
    for i in range(20):
        assert post(s, "SELECT 1", user="test" if i % 2 else "ro")[0] == 200
    after = pool_metrics(s)
    assert after["reused_total"] - before["reused_total"] >= 19, (before, after)
    assert after["opened_total"] - before["opened_total"] <= 1, (before, after)
    assert after["idle"] >= 1


# What a request may try to leave behind, and a query that would show it to the next request
# (of another user): its answer must stay what it was on a pristine connection.
LEAKS = [
    ("CREATE TEMP TABLE hidden AS SELECT 42 AS v",
     "SELECT count(*) FROM duckdb_tables() WHERE temporary"),
    ("CREATE TEMP VIEW hidden_v AS SELECT 42 AS v",
     "SELECT count(*) FROM duckdb_views() WHERE temporary AND NOT internal"),
    ("CREATE TEMP SEQUENCE hidden_s",
     "SELECT count(*) FROM duckdb_sequences() WHERE temporary"),
    ("CREATE TEMP MACRO hidden_m(x) AS x + 42",
     "SELECT count(*) FROM duckdb_functions() WHERE function_name = 'hidden_m'"),
    ("SET VARIABLE hidden_var = 42", "SELECT count(*) FROM duckdb_variables()"),
    ("SET TimeZone = 'Asia/Tokyo'", "SELECT current_setting('TimeZone')"),
    ("SET search_path = 'temp'", "SELECT current_setting('search_path')"),
    ("SET default_order = 'desc'", "SELECT current_setting('default_order')"),
    ("SET errors_as_json = true", "SELECT current_setting('errors_as_json')"),
    ("USE other", "SELECT current_database(), current_schema()"),
    ("PREPARE hidden_p AS SELECT 42", "SELECT count(*) FROM duckdb_prepared_statements()"),
    ("BEGIN", None),
    ("SELECT setseed(0.25)", None),
    ("EXPLAIN ANALYZE CREATE TEMP TABLE hidden2 AS SELECT 1",
     "SELECT count(*) FROM duckdb_tables() WHERE temporary"),
]


@pytest.mark.parametrize("leak,check", LEAKS, ids=[l for l, _ in LEAKS])
def test_nothing_leaks_to_the_next_request(start_server, leak, check):
    s = start_server("--memory", env={"DUCKD_HTTP_CONNECTION_POOL": "4"})
    for _ in range(4):  # warm the pool
        post(s, "SELECT 1")
    with psycopg.connect(s.dsn, autocommit=True) as pg:
        pg.execute("CREATE TABLE t (a INT)")
        pg.execute("CREATE SCHEMA other")
        pg.execute("SELECT setseed(0.25)")  # the seed stays on the connection:
        seeded = pg.execute("SELECT random()").fetchone()[0]  # the next statement's value
    want = rows(s, check) if check else None
    before = pool_metrics(s)
    st, doc = post(s, leak, user="adm")  # an admin: the guard lets the most through
    after = pool_metrics(s)
    assert st == 200, doc
    assert after["dropped_total"] == before["dropped_total"] + 1, (before, after)
    assert after["returned_total"] == before["returned_total"], (before, after)
    # the checks run on connections that stay clean, so a leak would persist through them
    for _ in range(3):
        if check:
            assert rows(s, check) == want
        assert rows(s, "SELECT current_setting('TimeZone')") == [["UTC"]]
        assert rows(s, "SELECT count(*) FROM duckdb_tables() WHERE temporary") == [[0]]
        assert rows(s, "SELECT count(*) FROM duckdb_variables()") == [[0]]
        assert rows(s, "SELECT random()")[0][0] != seeded
        # not inside a transaction left open: a write commits at once, for every reader
        assert post(s, "INSERT INTO t VALUES (1)", user="test")[0] == 200
        with psycopg.connect(s.dsn, autocommit=True) as pg:
            n = pg.execute("SELECT count(*) FROM t").fetchone()[0]
        assert rows(s, "SELECT count(*) FROM t") == [[n]]


def test_prepared_statement_does_not_outlive_its_request(start_server):
    s = start_server("--memory")
    post(s, "SELECT 1")
    assert post(s, "PREPARE hidden_p2 AS SELECT 42", user="adm")[0] == 200
    st, doc = post(s, "EXECUTE hidden_p2", user="ro")
    assert st != 200, doc


def test_interrupted_request_drops_its_connection(start_server):
    s = start_server("--memory", env={"DUCKD_HTTP_REQUEST_TIMEOUT": "1"})
    post(s, "SELECT 1")
    before = pool_metrics(s)
    st, doc = post(s, "SELECT sum(i * i) FROM range(10000000000) t(i)")
    assert (st, doc["code"]) == (504, "57014")
    after = pool_metrics(s)
    assert after["dropped_total"] == before["dropped_total"] + 1
    assert rows(s, "SELECT 42") == [[42]]


def test_pool_off(start_server):
    s = start_server("--memory", env={"DUCKD_HTTP_CONNECTION_POOL": "0"})
    for _ in range(5):
        assert rows(s, "SELECT 1") == [[1]]
    m = pool_metrics(s)
    assert m["reused_total"] == 0 and m["idle"] == 0
