"""Group commit and PostgreSQL's transaction semantics, through real clients.

Autocommit INSERTs of many sessions are coalesced into one DuckDB commit per batch
(session/gcommit.c). What must hold: every acknowledged row is there, each statement lands
whole or not at all, a failing statement fails alone with its own SQLSTATE while the rest of
its batch commits, names resolve as the session sees them (temp tables), a statement still
waiting for its batch can be cancelled or time out, and the server's final log line counts
batches, conflicts and retries. A multi-statement simple Query and an extended-protocol
pipeline up to Sync are one implicit transaction, as in PostgreSQL.
"""

import asyncio
import re
import socket
import struct
import threading
import time
from contextlib import closing

import asyncpg
import psycopg
import psycopg2
import psycopg2.errors
import pytest

from conftest import SANITIZED
from test_hostile import assert_still_serving, login

N_THREADS = 8 if SANITIZED else 16


def connect(srv, autocommit=True):
    c = psycopg2.connect(srv.dsn, connect_timeout=10)
    c.autocommit = autocommit
    return c


def fetch(srv, sql):
    with closing(connect(srv)) as conn, conn.cursor() as cur:
        cur.execute(sql)
        return cur.fetchall()


def run_threads(n, fn):
    errors = []

    def wrap(i):
        try:
            fn(i)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    ts = [threading.Thread(target=wrap, args=(i,)) for i in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(120)
    assert not errors, errors


def final_stats(srv):
    """Stops the server and returns the counters of its last group-commit log line."""
    srv.stop()
    lines = [l for l in srv.read_log().splitlines() if "group commit:" in l and "since start" in l]
    assert lines, srv.read_log()[-3000:]
    nums = dict((k, int(v)) for v, k in re.findall(
        r"(\d+) (batches|statements|conflicts|retries|splits|fallbacks|withdrawn)", lines[-1]))
    return nums


def test_concurrent_inserts_share_commits(start_server, tmpdir_short):
    srv = start_server("--db", tmpdir_short + "/gc.duckdb")
    with closing(connect(srv)) as c, c.cursor() as cur:
        cur.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, client INTEGER, v VARCHAR, "
                    "ts TIMESTAMP, d DATE, f DOUBLE, ok BOOLEAN)")
    per = 40

    def work(i):
        with closing(connect(srv)) as conn, conn.cursor() as cur:
            for k in range(per):
                cur.execute("INSERT INTO t VALUES (%s, %s, %s, '2024-01-02 03:04:05', "
                            "'2024-02-29', 1.5, true)", (i * 1000 + k, i, "row %d" % k))
                assert cur.statusmessage == "INSERT 0 1"

    run_threads(N_THREADS, work)
    assert fetch(srv, "SELECT count(*), count(DISTINCT client) FROM t") == [(N_THREADS * per,
                                                                             N_THREADS)]
    assert fetch(srv, "SELECT DISTINCT ts::VARCHAR, d::VARCHAR, f, ok FROM t") == [
        ("2024-01-02 03:04:05", "2024-02-29", 1.5, True)]
    st = final_stats(srv)
    assert st["statements"] >= N_THREADS * per
    assert st["batches"] < st["statements"], st  # some commits were shared
    assert st["fallbacks"] == 0


def test_failing_row_fails_alone(server):
    with closing(connect(server)) as c, c.cursor() as cur:
        cur.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER NOT NULL)")
        cur.execute("INSERT INTO t VALUES (0, 0)")
    bad = {}

    def work(i):
        with closing(connect(server)) as conn, conn.cursor() as cur:
            for k in range(30):
                kind = (i * 30 + k) % 10
                try:
                    if kind == 3:
                        cur.execute("INSERT INTO t VALUES (0, 1)")  # duplicate key
                    elif kind == 5:
                        cur.execute("INSERT INTO t VALUES (%s, NULL)", (i * 100 + k + 1,))
                    elif kind == 7:
                        cur.execute("INSERT INTO t VALUES ('x%s', 1)" % k)  # not a number
                    elif kind == 8:
                        cur.execute("INSERT INTO nosuch VALUES (1, 1)")
                    else:
                        cur.execute("INSERT INTO t VALUES (%s, 1)", (i * 100 + k + 1,))
                        continue
                    raise AssertionError("kind %d did not fail" % kind)
                except psycopg2.Error as e:
                    bad.setdefault(kind, set()).add(e.pgcode)

    run_threads(N_THREADS, work)
    assert bad[3] == {"23505"}
    assert bad[5] == {"23502"}
    assert bad[7] <= {"22P02", "22018"}
    assert bad[8] == {"42P01"}
    good = sum(1 for i in range(N_THREADS) for k in range(30) if (i * 30 + k) % 10 not in
               (3, 5, 7, 8))
    assert fetch(server, "SELECT count(*) FROM t WHERE id > 0") == [(good,)]


def test_mixed_tables_defaults_and_sequences(server):
    with closing(connect(server)) as c, c.cursor() as cur:
        cur.execute("CREATE SEQUENCE s")
        cur.execute("CREATE TABLE a (id BIGINT DEFAULT nextval('s'), v VARCHAR, "
                    "created TIMESTAMP DEFAULT now(), n INTEGER DEFAULT 7)")
        cur.execute("CREATE TABLE b (x INTEGER, y VARCHAR)")

    def work(i):
        with closing(connect(server)) as conn, conn.cursor() as cur:
            for k in range(20):
                cur.execute("INSERT INTO a (v) VALUES (%s)", ("c%d" % i,))
                cur.execute("INSERT INTO b VALUES (%s, 'b'); INSERT INTO a (v, n) VALUES "
                            "('both', 1)", (i,))

    run_threads(N_THREADS, work)
    n = N_THREADS * 20
    assert fetch(server, "SELECT count(*), count(DISTINCT id), min(id), max(id), "
                         "count(created), sum(n) FROM a") == [(2 * n, 2 * n, 1, 2 * n, 2 * n,
                                                               n * 7 + n)]
    assert fetch(server, "SELECT count(*) FROM b") == [(n,)]


def test_multi_statement_query_is_one_transaction(server):
    with closing(connect(server)) as c, c.cursor() as cur:
        cur.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
        with pytest.raises(psycopg2.errors.UniqueViolation):
            cur.execute("INSERT INTO t VALUES (1); INSERT INTO t VALUES (2); "
                        "INSERT INTO t VALUES (1)")
        with pytest.raises(psycopg2.Error):
            cur.execute("INSERT INTO t VALUES (3); UPDATE t SET id = id; SELECT 1 / 0::INTEGER "
                        "FROM t WHERE error('boom') IS NULL")
        cur.execute("SELECT count(*) FROM t")
        assert cur.fetchone() == (0,)
        # a statement reading the earlier ones' rows sees them
        cur.execute("INSERT INTO t VALUES (4); INSERT INTO t VALUES (5); SELECT count(*) FROM t")
        assert cur.fetchone() == (2,)
        # BEGIN/COMMIT inside the query: PostgreSQL's rules
        cur.execute("INSERT INTO t VALUES (6); BEGIN; INSERT INTO t VALUES (7); COMMIT")
        cur.execute("SELECT count(*) FROM t")
        assert cur.fetchone() == (4,)
        cur.execute("BEGIN; INSERT INTO t VALUES (8); ROLLBACK; INSERT INTO t VALUES (9)")
        cur.execute("SELECT list(id ORDER BY id) FROM t")
        assert cur.fetchone() == ([4, 5, 6, 7, 9],)


def test_psql_reports_each_statement_before_the_failure(server):
    import subprocess
    with closing(connect(server)) as c, c.cursor() as cur:
        cur.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
    out = subprocess.run(["psql", "-X", "-h", server.host, "-p", str(server.port), "-U", "test",
                          "-d", "test", "-c", "INSERT INTO t VALUES (1); INSERT INTO t VALUES (1)"],
                         capture_output=True, text=True, timeout=60,
                         env={"PGPASSWORD": __import__("conftest").PASSWORDS["test"],
                              "PATH": "/usr/bin:/bin"})
    assert "INSERT 0 1" in out.stdout and "duplicate key" in out.stderr.lower()
    assert fetch(server, "SELECT count(*) FROM t") == [(0,)]


def test_psycopg3_pipeline_and_executemany(server):
    with psycopg.connect(server.dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v VARCHAR, ts TIMESTAMP)")
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO t VALUES (%s, %s, %s)",
                            [(i, "v%d" % i, "2024-01-01 00:00:%02d" % (i % 60)) for i in range(500)])
        assert conn.execute("SELECT count(*) FROM t").fetchone() == (500,)
        # one bad row: the whole pipeline up to Sync rolls back
        with pytest.raises(psycopg.errors.UniqueViolation):
            with conn.cursor() as cur:
                cur.executemany("INSERT INTO t VALUES (%s, %s, NULL)",
                                [(1000 + i, "x") for i in range(50)] + [(1, "dup")])
        assert conn.execute("SELECT count(*) FROM t").fetchone() == (500,)
        with conn.pipeline():
            for i in range(100):
                conn.execute("INSERT INTO t VALUES (%s, 'p', NULL)", (2000 + i,))
        assert conn.execute("SELECT count(*) FROM t WHERE v = 'p'").fetchone() == (100,)


def test_asyncpg_executemany_binary(server):
    import datetime

    async def go():
        conn = await asyncpg.connect(host=server.host, port=server.port, user="test",
                                     password=__import__("conftest").PASSWORDS["test"],
                                     database="test")
        try:
            await conn.execute("CREATE TABLE t (id BIGINT PRIMARY KEY, n INTEGER, f DOUBLE, "
                               "d DATE, ts TIMESTAMP, b BOOLEAN, s VARCHAR, bl BLOB)")
            rows = [(i, i % 7, i / 4, datetime.date(2024, 1, 1 + i % 28),
                     datetime.datetime(2024, 1, 2, 3, 4, 5, i), i % 2 == 0, "s%d" % i,
                     bytes([i % 256, 0, 255])) for i in range(300)]
            await conn.executemany("INSERT INTO t VALUES ($1, $2, $3, $4, $5, $6, $7, $8)", rows)
            got = await conn.fetch("SELECT * FROM t ORDER BY id")
            assert [tuple(r) for r in got] == rows
            with pytest.raises(asyncpg.UniqueViolationError):
                await conn.executemany("INSERT INTO t (id) VALUES ($1)", [(1000,), (1,)])
            assert await conn.fetchval("SELECT count(*) FROM t") == 300
        finally:
            await conn.close()

    asyncio.run(go())


def test_values_reach_the_table_as_duckdb_takes_them(start_server, tmpdir_short):
    """The coalesced path and DuckDB's own INSERT store the same values."""
    stmts = [
        "INSERT INTO t VALUES (1, 'a''b', -5, 1.25, 2.5, true, '2024-01-01', '12:34:56', "
        "'2024-01-01 01:02:03.456789', '2024-01-01 01:02:03+02', '1 day', "
        "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '\\x41ff', '[1,2]', 'é日本', 123456789012)",
        "INSERT INTO t VALUES (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, "
        "NULL, NULL, NULL, NULL, NULL)",
        "INSERT INTO t (id, n, f, dec) VALUES (3, '7', '-0.5', '10.005')",
        "INSERT INTO t (id, f, dec, big) VALUES (4, 1e3, 1e2, -9223372036854775808)",
        "INSERT INTO t (id, n) VALUES (5, 2.5)",
        "INSERT INTO t (id, s) VALUES (6, 42)",
    ]
    create = ("CREATE TABLE t (id INTEGER, s VARCHAR, n INTEGER, dec DECIMAL(10,2), f DOUBLE, "
              "b BOOLEAN, d DATE, tm TIME, ts TIMESTAMP, tz TIMESTAMPTZ, iv INTERVAL, u UUID, "
              "bl BLOB, l INTEGER[], s2 VARCHAR, big BIGINT)")
    results = []
    for gc in ("true", "false"):
        srv = start_server("--memory", "--group-commit=" + gc)
        with closing(connect(srv)) as c, c.cursor() as cur:
            cur.execute(create)
            for s in stmts:
                cur.execute(s)
            cur.execute("SELECT t::VARCHAR FROM t ORDER BY id")
            results.append(cur.fetchall())
        srv.stop()
    assert results[0] == results[1]


def test_temp_table_names_resolve_as_the_session_sees_them(server):
    with closing(connect(server)) as a, closing(connect(server)) as b:
        ca, cb = a.cursor(), b.cursor()
        ca.execute("CREATE TABLE t (v VARCHAR)")
        cb.execute("CREATE TEMP TABLE t (v VARCHAR)")
        cb.execute("INSERT INTO t VALUES ('temp')")
        ca.execute("INSERT INTO t VALUES ('main')")
        cb.execute("SELECT list(v) FROM t")
        assert cb.fetchone() == (["temp"],)
        ca.execute("SELECT list(v) FROM t")
        assert ca.fetchone() == (["main"],)


def test_read_your_writes_across_sessions(server):
    with closing(connect(server)) as a, closing(connect(server)) as b:
        ca, cb = a.cursor(), b.cursor()
        ca.execute("CREATE TABLE t (id INTEGER)")
        for i in range(50):
            ca.execute("INSERT INTO t VALUES (%s)", (i,))
            cb.execute("SELECT count(*) FROM t")
            assert cb.fetchone() == (i + 1,)


def test_schema_change_between_inserts(server):
    with closing(connect(server)) as c, c.cursor() as cur:
        cur.execute("CREATE TABLE t (a INTEGER, b VARCHAR)")
        cur.execute("INSERT INTO t VALUES (1, 'x')")
        cur.execute("DROP TABLE t")
        cur.execute("CREATE TABLE t (a VARCHAR, b INTEGER, c INTEGER DEFAULT 9)")
        cur.execute("INSERT INTO t VALUES ('y', 2, 3)")
        cur.execute("INSERT INTO t (a) VALUES ('z')")
        cur.execute("SELECT * FROM t ORDER BY a")
        assert cur.fetchall() == [("y", 2, 3), ("z", None, 9)]
        cur.execute("CREATE VIEW vw AS SELECT 1")
        with pytest.raises(psycopg2.Error):
            cur.execute("INSERT INTO vw VALUES (1)")


def slow_table(cur):
    # each row costs the committer a few milliseconds: batches behind it wait
    cur.execute("CREATE TABLE slow (v INTEGER CHECK (length(repeat('x', 3000000 + v)) > 0))")
    cur.execute("CREATE TABLE fast (v INTEGER)")


def start_slow_insert(srv, rows, server_stops=False):
    def run():
        try:
            with closing(connect(srv)) as conn, conn.cursor() as cur:
                cur.execute("INSERT INTO slow VALUES " + ", ".join("(%d)" % i for i in range(rows)))
        except psycopg2.OperationalError:
            if not server_stops:  # a shutdown may close the connection: that is the test
                raise

    t = threading.Thread(target=run)
    t.start()
    time.sleep(0.3)
    return t


def test_statement_timeout_and_cancel_withdraw_a_waiting_insert(server):
    with closing(connect(server)) as c, c.cursor() as cur:
        slow_table(cur)
    t = start_slow_insert(server, 400 if not SANITIZED else 150)
    with closing(connect(server)) as c, c.cursor() as cur:
        cur.execute("SET statement_timeout = '100ms'")
        with pytest.raises(psycopg2.errors.QueryCanceled) as e:
            cur.execute("INSERT INTO fast VALUES (1)")
        assert "statement timeout" in str(e.value)
    with closing(connect(server)) as c, c.cursor() as cur:
        threading.Timer(0.2, c.cancel).start()
        with pytest.raises(psycopg2.errors.QueryCanceled):
            cur.execute("INSERT INTO fast VALUES (2)")
    t.join(120)
    assert fetch(server, "SELECT count(*) FROM fast") == [(0,)]
    assert fetch(server, "SELECT count(*) > 0 FROM slow") == [(True,)]
    st = final_stats(server)
    assert st["withdrawn"] >= 2


def test_disconnect_while_waiting_changes_nothing_for_others(server):
    with closing(connect(server)) as c, c.cursor() as cur:
        slow_table(cur)
    t = start_slow_insert(server, 200 if not SANITIZED else 80)
    s = login(server)
    q = b"INSERT INTO fast VALUES (7)\0"
    s.sendall(b"Q" + struct.pack("!I", len(q) + 4) + q)
    s.close()
    with closing(connect(server)) as c, c.cursor() as cur:
        cur.execute("INSERT INTO fast VALUES (8)")
    t.join(120)
    assert (8,) in fetch(server, "SELECT v FROM fast")
    assert_still_serving(server)


def test_sigterm_commits_or_fails_pending_batches(start_server, tmpdir_short):
    db = tmpdir_short + "/sd.duckdb"
    srv = start_server("--db", db)
    with closing(connect(srv)) as c, c.cursor() as cur:
        slow_table(cur)
    t = start_slow_insert(srv, 200 if not SANITIZED else 80, server_stops=True)
    acked, lock = [], threading.Lock()

    def work(i):
        try:
            with closing(connect(srv)) as conn, conn.cursor() as cur:
                for k in range(1000):
                    cur.execute("INSERT INTO fast VALUES (%s)", (i * 10000 + k,))
                    with lock:
                        acked.append(i * 10000 + k)
        except psycopg2.Error:
            pass

    ts = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for x in ts:
        x.start()
    time.sleep(0.2)
    srv.stop()
    for x in ts:
        x.join(60)
    t.join(60)
    srv2 = start_server("--db", db)
    have = set(v for (v,) in fetch(srv2, "SELECT v FROM fast"))
    assert set(acked) <= have, "acknowledged rows lost: %d" % len(set(acked) - have)


def test_conflicting_autocommit_updates_are_retried(start_server):
    srv = start_server("--memory", env={"DUCKD_CONFLICT_RETRIES": "100"})
    with closing(connect(srv)) as c, c.cursor() as cur:
        cur.execute("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER)")
        cur.execute("INSERT INTO counter VALUES (1, 0)")

    def work(i):
        with closing(connect(srv)) as conn, conn.cursor() as cur:
            for _ in range(25):
                cur.execute("UPDATE counter SET n = n + 1 WHERE id = 1")

    run_threads(8, work)
    assert fetch(srv, "SELECT n FROM counter") == [(200,)]
    st = final_stats(srv)
    assert st["retries"] == st["conflicts"]


def test_read_only_role_cannot_insert_through_the_fast_path(server):
    with closing(connect(server)) as c, c.cursor() as cur:
        cur.execute("CREATE TABLE t (v INTEGER)")
    with closing(psycopg2.connect(server.dsn_for("ro"))) as c:
        c.autocommit = True
        with c.cursor() as cur, pytest.raises(psycopg2.Error) as e:
            cur.execute("INSERT INTO t VALUES (1)")
        assert e.value.pgcode in ("25006", "42501")
    assert fetch(server, "SELECT count(*) FROM t") == [(0,)]
