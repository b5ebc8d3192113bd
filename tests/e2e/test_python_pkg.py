"""The duckd Python package (python/): every call of its API against the real binary, the
three scenarios of the Python teams' seeds written their way (report workers sharing one
in-memory server, an API process writing while a dashboard process reads, an asyncio service
issuing 1,000 concurrent inserts), and `pip install ./python` offline."""

import asyncio
import concurrent.futures
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import pandas as pd
import psycopg
import pytest

from conftest import DUCKD_BIN, SAN_MARKERS

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(REPO, "python"))
import duckd  # noqa: E402

os.environ["DUCKD_BIN"] = os.path.abspath(DUCKD_BIN)
# Children inherit these: under ASan the LeakSanitizer needs DuckDB's suppressions.
os.environ.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0:halt_on_error=1")
os.environ.setdefault("LSAN_OPTIONS", "suppressions=%s:print_suppressions=0" % os.path.join(
    os.path.dirname(__file__), "lsan.supp"))
SAN = bool(os.environ.get("DUCKD_SAN"))

LOAD_SQL = """
-- the hydration a report pipeline runs once
CREATE TABLE sales AS
  SELECT range AS id, range % 8 AS region, (range * 7) % 1000 AS amount
  FROM range(200000);
CREATE TABLE regions (id INTEGER, name VARCHAR);
INSERT INTO regions SELECT range, 'region-' || range FROM range(8);
"""


def checked_close(server):
    """Closes a server and checks it stopped cleanly with nothing reported by sanitizers."""
    log = server.log()
    server.close()
    for m in SAN_MARKERS:
        assert m not in log, log
    assert server.returncode == 0, log


@pytest.fixture
def workdir():
    d = tempfile.mkdtemp(prefix="duckd-pytest-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def load_sql(workdir):
    path = os.path.join(workdir, "load.sql")
    with open(path, "w") as f:
        f.write(LOAD_SQL)
    return path


@pytest.fixture
def mem(load_sql):
    s = duckd.Server.memory(init=load_sql)
    yield s
    checked_close(s)


# ---- the binary and the server's lifecycle ----

def test_find_binary(monkeypatch, workdir):
    assert duckd.find_binary() == os.path.abspath(DUCKD_BIN)
    assert duckd.find_binary(DUCKD_BIN) == os.path.abspath(DUCKD_BIN)
    monkeypatch.setenv("DUCKD_BIN", os.path.join(workdir, "missing"))
    monkeypatch.setenv("PATH", workdir)
    # the repository's build is the last resort (this test runs from the repository)
    assert duckd.find_binary().endswith(os.path.join("build", "duckd"))
    with pytest.raises(duckd.ServerError):
        duckd.find_binary(os.path.join(workdir, "missing"))
    monkeypatch.setattr(duckd._server, "__file__", os.path.join(workdir, "a", "b", "x.py"))
    with pytest.raises(duckd.ServerError, match="not found"):
        duckd.find_binary()


def test_memory_init_info_and_close(mem):
    assert mem.running
    with mem.connect() as con:
        assert con.sql("SELECT count(*) FROM sales").fetchone() == (200000,)
    info = mem.info()
    assert isinstance(info, duckd.Info)
    assert info.mode == "memory" and info.path is None and info.read_only is False
    assert info.database_bytes is None and info.wal_bytes is None
    assert info.memory_bytes > 0 and info.size_mb == info.memory_bytes / 2**20 > 0
    assert info.table_names == ["regions", "sales"]
    assert [(t.name, t.rows, t.columns) for t in info.tables] == [("regions", 8, 2),
                                                                  ("sales", 200000, 3)]
    assert info.table_count == 2 and info.table_rows == 200008
    assert info.duckd_version and info.duckdb_version.startswith("v")
    assert info.pid == mem.pid  # admin (the OS user on the socket) sees the pid
    assert info.started_at.tzinfo is not None and info.created_at == info.started_at
    assert info.uptime_seconds >= 0 and info.sessions >= 1 and info.sessions_active >= 1
    workdir, pid = mem.workdir, mem.pid
    mem.close()
    mem.close()  # idempotent
    assert not os.path.exists(workdir)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_init_failure_raises_with_log(workdir):
    bad = os.path.join(workdir, "bad.sql")
    with open(bad, "w") as f:
        f.write("CREATE TABLE t (a int);\nSELECT * FROM nowhere;\n")
    with pytest.raises(duckd.ServerError, match="nowhere"):
        duckd.Server.memory(init=bad)
    assert not [d for d in os.listdir(tempfile.gettempdir()) if d.startswith("duckd-py-")
                and not os.listdir(os.path.join(tempfile.gettempdir(), d))]


def test_ephemeral_leaves_nothing():
    with duckd.Server.ephemeral(init_sql="CREATE TABLE t AS SELECT 1 AS x;") as s:
        info = s.info()
        assert info.mode == "ephemeral"
        assert str(info.path).startswith(s.workdir) and info.path.exists()
        assert info.database_bytes >= 0 and info.wal_bytes >= 0
        path, workdir = info.path, s.workdir
        log = s.log()
    assert s.returncode == 0, log
    assert not path.exists() and not os.path.exists(workdir)


def test_persistent_keeps_data(workdir):
    db = os.path.join(workdir, "app.duckdb")
    with duckd.Server.persistent(db) as s:
        with s.connect() as con:
            con.execute("CREATE TABLE kept (x INTEGER)")
            con.executemany("INSERT INTO kept VALUES (%s)", [(i,) for i in range(10)])
        info = s.info()
        assert info.mode == "persistent" and str(info.path) == os.path.realpath(db)
        assert info.disk_bytes > 0 and info.size_mb == info.disk_bytes / 2**20
        # the file's birth time where the file system records it (this file is newer than
        # the server: duckd created it)
        assert info.created_at is None or info.created_at >= info.started_at
        created = info.created_at
    assert s.returncode == 0
    assert os.path.exists(db)
    with duckd.Server.persistent(db, duckdb={"threads": 2}) as s:
        info = s.info()
        assert info.tables[0].rows == 10
        assert info.created_at == created and (created is None or created < info.started_at)
        with s.connect() as con:
            assert con.sql("SELECT current_setting('threads')").fetchone() == (2,)


def test_settings_in_one_place(workdir):
    with duckd.Server.memory(config={"statement_timeout": "50ms"},
                             duckdb={"memory_limit": "512MB"}) as s:
        with s.connect() as con:
            assert con.sql("SHOW statement_timeout").fetchone() == ("50ms",)
            # DuckDB's share: 512MB less duckd's buffer_memory (automatic: 64 MiB)
            assert s.info().memory_limit in ("424.2 MiB", "424.3 MiB"), s.info().memory_limit
            with pytest.raises(psycopg.errors.QueryCanceled):
                con.execute("SELECT count(*) FROM range(10000000000)")


def test_attach(mem):
    other = duckd.Server.attach(mem.dsn)
    assert other.dsn == mem.dsn
    assert other.info().table_names == ["regions", "sales"]
    with other.connect() as con:
        assert con.sql("SELECT count(*) FROM regions").fetchone() == (8,)
    other.close()
    other.close()
    assert mem.running  # attach never stops a server it did not start


def test_tcp_user_sees_no_admin_fields(mem):
    with duckd.connect(mem.tcp_dsn) as con:
        info = con.info()
        assert info.path is None and info.pid is None and info.temp_directory is None
        assert info.mode == "memory" and info.table_count == 2
        con.execute("INSERT INTO regions VALUES (100, 'x')")  # read_write
    assert mem.info().pid == mem.pid


# ---- connections ----

def test_connection_dbapi(mem):
    con = mem.connect()
    cur = con.cursor()
    cur.execute("SELECT id, name FROM regions WHERE id < %s ORDER BY id", [3])
    assert cur.fetchone() == (0, "region-0")
    assert cur.fetchmany(1) == [(1, "region-1")]
    assert cur.fetchall() == [(2, "region-2")]
    assert [d.name for d in cur.description] == ["id", "name"]
    assert con.execute("SELECT 1 + %s", [1]).fetchone() == (2,)
    con.close()
    assert con.closed


def test_sql_relation(mem):
    with mem.connect() as con:
        rel = con.sql("SELECT region, sum(amount) AS total FROM sales WHERE region < %s "
                      "GROUP BY region ORDER BY region", [3])
        df = rel.df()
        assert list(df.columns) == ["region", "total"] and len(df) == 3
        assert df["total"].sum() == con.sql(
            "SELECT sum(amount) FROM sales WHERE region < 3").fetchone()[0]
        assert rel.fetchall() == [tuple(r) for r in df.itertuples(index=False)]
        assert rel.fetchone() == tuple(df.iloc[0])
        assert len(rel.fetchmany(2)) == 2
        assert con.sql("SELECT * FROM regions WHERE false").df().empty


def test_iteration_streams_server_side(mem):
    with mem.connect() as con:
        n = 0
        for row in con.sql("SELECT id FROM sales ORDER BY id", itersize=5000):
            assert row == (n,)
            n += 1
        assert n == 200000
        # a loop left early leaves the connection usable, outside any transaction
        it = iter(con.sql("SELECT id FROM sales"))
        next(it)
        it.close()
        assert con.raw.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        assert con.sql("SELECT 1").fetchone() == (1,)


def test_iteration_holds_one_batch(mem):
    """The server-side cursor fetches itersize rows per round trip: psycopg sends FETCH n."""
    with mem.connect() as con:
        seen = []
        with con.raw.transaction():
            with con.raw.cursor(name="probe") as cur:
                cur.itersize = 100
                cur.execute("SELECT id FROM sales")
                seen.append(len(cur.fetchmany(100)))
                other = mem.connect()
                info = other.info()
                other.close()
                assert info.sessions_active >= 0  # the server is fine mid-cursor
        assert seen == [100]


def test_executemany_and_group_commit(mem):
    with mem.connect() as con:
        con.execute("CREATE TABLE events (id INTEGER, kind VARCHAR)")
        before = con.info()
        n = con.executemany("INSERT INTO events VALUES (%s, %s)",
                            [(i, "k%d" % (i % 3)) for i in range(500)])
        assert con.sql("SELECT count(*), count(DISTINCT kind) FROM events").fetchone() == (500, 3)
        after = con.info()
        assert after.group_commit
        assert after.group_commit_statements > before.group_commit_statements
        assert after.group_commit_rows >= before.group_commit_rows + 500
        assert n in (500, -1, 1)  # psycopg reports the last statement's count in pipelines


def test_executemany_is_atomic(mem):
    with mem.connect() as con:
        con.execute("CREATE TABLE uniq (id INTEGER PRIMARY KEY)")
        with pytest.raises(psycopg.errors.UniqueViolation):
            con.executemany("INSERT INTO uniq VALUES (%s)", [(1,), (2,), (1,)])
        assert con.sql("SELECT count(*) FROM uniq").fetchone() == (0,)


def test_insert_df_and_rows(mem):
    with mem.connect() as con:
        con.execute("CREATE TABLE m (a INTEGER, b VARCHAR, c DOUBLE, d TIMESTAMP, e BOOLEAN)")
        df = pd.DataFrame({"a": [1, None, 3], "b": ["x", None, ""], "c": [1.5, float("nan"), 2.0],
                           "d": pd.to_datetime(["2024-01-01 10:00", None, "2024-03-01"]),
                           "e": [True, False, None]})
        assert con.insert_df("m", df) == 3
        assert con.insert_rows("main.m", [(4, "y", 0.25, None, True)], columns=["a", "b", "c",
                                                                                 "d", "e"]) == 1
        got = con.sql("SELECT * FROM m ORDER BY a NULLS FIRST").df()
        assert got["a"].isna().sum() == 1 and got["b"].tolist()[1:] == ["x", "", "y"]
        assert got["b"].isna().sum() == 1 and got["c"].isna().sum() == 1
        assert str(got["d"].dropna().iloc[0]) == "2024-01-01 10:00:00"
        # a bad value fails the whole COPY
        with pytest.raises(psycopg.errors.InvalidTextRepresentation):
            con.insert_df("m", pd.DataFrame({"a": ["not a number"]}))
        assert con.sql("SELECT count(*) FROM m").fetchone() == (4,)


def test_transactions(mem):
    with mem.connect() as con:
        con.execute("CREATE TABLE tx (x INTEGER)")
        with pytest.raises(RuntimeError):
            with con.transaction():
                con.execute("INSERT INTO tx VALUES (1)")
                raise RuntimeError("boom")
        with con.transaction():
            con.execute("INSERT INTO tx VALUES (2)")
        assert con.sql("SELECT x FROM tx").fetchall() == [(2,)]
    with mem.connect(autocommit=False) as con:
        con.execute("INSERT INTO tx VALUES (3)")
        con.rollback()
        con.execute("INSERT INTO tx VALUES (4)")
        con.commit()
        assert con.sql("SELECT x FROM tx ORDER BY x").fetchall() == [(2,), (4,)]


def test_async_api(mem):
    async def main():
        async with await duckd.connect_async(mem.dsn) as con:
            await con.execute("CREATE TABLE a (x INTEGER, y VARCHAR)")
            await con.executemany("INSERT INTO a VALUES (%s, %s)", [(i, str(i)) for i in range(50)])
            assert await con.insert_df("a", pd.DataFrame({"x": [100], "y": ["z"]})) == 1
            assert await con.insert_rows("a", [(101, "w")]) == 1
            assert await con.fetchone("SELECT count(*) FROM a") == (52,)
            assert (await con.fetchall("SELECT x FROM a WHERE x < %s ORDER BY x", [2])) == [(0,),
                                                                                            (1,)]
            df = await con.df("SELECT * FROM a ORDER BY x")
            assert len(df) == 52 and list(df.columns) == ["x", "y"]
            n = 0
            async for row in con.stream("SELECT id FROM sales ORDER BY id", itersize=10000):
                assert row == (n,)
                n += 1
            assert n == 200000
            info = await con.info()
            assert info.table_names == ["a", "regions", "sales"]
            async with con.transaction():
                await con.execute("DELETE FROM a")
            await con.commit()
            assert await con.fetchone("SELECT count(*) FROM a") == (0,)
        async with duckd.AsyncPool(mem.dsn, size=3, setup=["SET TimeZone = 'Europe/Berlin'"]) as pool:
            assert await pool.fetchone("SHOW TimeZone") == ("Europe/Berlin",)
            assert await pool.execute("INSERT INTO a VALUES (1, 'p')") == 1
            assert await pool.executemany("INSERT INTO a VALUES (%s, 'q')", [(2,), (3,)]) in (1, 2)
            assert await pool.fetchall("SELECT x FROM a ORDER BY x") == [(1,), (2,), (3,)]
            results = await asyncio.gather(*[pool.fetchone("SELECT %s::INTEGER", [i])
                                             for i in range(20)])
            assert results == [(i,) for i in range(20)]
    asyncio.run(main())


# ---- the seeds' scenarios ----

REPORTS = 24


def report_worker(dsn, region):
    """One report, the seed's way: a worker process connects to the shared server and runs
    its queries (000_b8351f05: hydrate once, N workers query)."""
    con = duckd.connect(dsn)
    try:
        df = con.sql("SELECT s.region, r.name, count(*) AS n, sum(amount) AS total "
                     "FROM sales s JOIN regions r ON r.id = s.region WHERE s.region = %s "
                     "GROUP BY ALL", [region]).df()
        pid = con.sql("SELECT pg_backend_pid()").fetchone()[0]
        return os.getpid(), pid, df.to_dict("records")
    finally:
        con.close()


def test_scenario_report_workers_share_one_memory_server(load_sql):
    """Eight report worker processes share one Server.memory(init=...): the data is hydrated
    once, in the server, and every worker queries it (no copy per process)."""
    with duckd.Server.memory(init=load_sql) as server:
        ctx = multiprocessing.get_context("fork")
        with concurrent.futures.ProcessPoolExecutor(max_workers=8, mp_context=ctx) as pool:
            futures = [pool.submit(report_worker, server.dsn, i % 8) for i in range(REPORTS)]
            results = [f.result(timeout=120) for f in futures]
        assert len({r[0] for r in results}) > 1  # several worker processes took part
        for i, (_, _, rows) in enumerate(results):
            assert rows == [{"region": i % 8, "name": "region-%d" % (i % 8), "n": 25000,
                             "total": rows[0]["total"]}]
        info = server.info()
        assert info.table_rows == 200008
        log = server.log()
    assert server.returncode == 0, log
    assert "statement 1/3 done" in log  # --init's per-statement lines


def api_writer(dsn, n, ready):
    """The API process: small autocommit writes, as requests arrive."""
    con = duckd.connect(dsn)
    ready.wait(30)
    for i in range(n):
        con.execute("INSERT INTO orders VALUES (%s, %s)", [i, i * 10])
    con.close()


def dashboard_reader(dsn, ready, done, out):
    """The dashboard process: polls aggregates while the API writes."""
    con = duckd.connect(dsn)
    ready.wait(30)
    counts = []
    while not done.is_set():
        counts.append(con.sql("SELECT count(*), coalesce(sum(amount), 0) FROM orders").fetchone())
    counts.append(con.sql("SELECT count(*), coalesce(sum(amount), 0) FROM orders").fetchone())
    con.close()
    out.put(counts)


def test_scenario_api_writes_while_dashboard_reads(workdir):
    n = 1000
    with duckd.Server.persistent(os.path.join(workdir, "app.duckdb")) as server:
        with server.connect() as con:
            con.execute("CREATE TABLE orders (id INTEGER, amount INTEGER)")
        ctx = multiprocessing.get_context("fork")
        ready, done, out = ctx.Event(), ctx.Event(), ctx.Queue()
        writer = ctx.Process(target=api_writer, args=(server.dsn, n, ready))
        reader = ctx.Process(target=dashboard_reader, args=(server.dsn, ready, done, out))
        writer.start()
        reader.start()
        t0 = time.monotonic()
        ready.set()
        writer.join(120)
        elapsed = time.monotonic() - t0
        done.set()
        counts = out.get(timeout=60)
        reader.join(60)
        assert writer.exitcode == 0 and reader.exitcode == 0
        # every snapshot the dashboard saw is consistent and counts never go back
        for c, s in counts:
            assert s == 10 * c * (c - 1) // 2
        assert [c for c, _ in counts] == sorted(c for c, _ in counts)
        assert counts[-1][0] == n and len(counts) > 1
        print("\napi writer: %d inserts in %.2f s while the dashboard ran %d queries" % (
            n, elapsed, len(counts)))


def test_scenario_asyncio_service_1000_concurrent_inserts():
    """An asyncio service (the seed's AsyncDuckDBPool) issues 1,000 concurrent small inserts
    without blocking its event loop: a ticker task measures the loop's worst stall."""
    stalls = []

    async def ticker(stop):
        interval = 0.005
        while not stop.is_set():
            t = time.perf_counter()
            await asyncio.sleep(interval)
            stalls.append(time.perf_counter() - t - interval)

    async def service(dsn):
        async with duckd.AsyncPool(dsn, size=16) as pool:
            await pool.execute("CREATE TABLE hits (id INTEGER, path VARCHAR, ms DOUBLE)")
            stop = asyncio.Event()
            tick = asyncio.create_task(ticker(stop))
            t0 = time.perf_counter()
            await asyncio.gather(*[
                pool.execute("INSERT INTO hits VALUES (%s, %s, %s)", [i, "/p/%d" % (i % 7),
                                                                       i / 3])
                for i in range(1000)])
            elapsed = time.perf_counter() - t0
            stop.set()
            await tick
            count = await pool.fetchone("SELECT count(*), count(DISTINCT id) FROM hits")
            return elapsed, count

    with duckd.Server.memory() as server:
        elapsed, count = asyncio.run(service(server.dsn))
        info = server.info()
    assert count == (1000, 1000)
    stalls.sort()
    worst, median = stalls[-1], stalls[len(stalls) // 2]
    print("\nasyncio service: 1000 concurrent inserts in %.3f s (%.0f/s); event loop stall "
          "worst %.1f ms, median %.1f ms over %d ticks; group commit: %d batches for %d "
          "statements" % (elapsed, 1000 / elapsed, worst * 1000, median * 1000, len(stalls),
                          info.group_commit_batches, info.group_commit_statements))
    assert info.group_commit_statements >= 1000
    # The worst stall is the loop starting 1,000 tasks at once (CPU in psycopg), not waiting
    # for the server: no call blocks. Generous bounds for a loaded 2-core machine.
    assert worst < (2.0 if SAN else 0.5), worst
    assert median < (0.2 if SAN else 0.05), median


# ---- installation ----

def test_pip_install_offline(workdir):
    """`pip install ./python` works without a network: in a venv that sees Debian's
    python3-psycopg (a copy of python/ is installed, so no build files land in the tree)."""
    src = os.path.join(workdir, "src")
    shutil.copytree(os.path.join(REPO, "python"), src,
                    ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    venv = os.path.join(workdir, "venv")
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", venv], check=True)
    py = os.path.join(venv, "bin", "python")
    env = dict(os.environ, PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    r = subprocess.run([py, "-m", "pip", "install", src], env=env, capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    r = subprocess.run([py, "-c", "import duckd, sys; print(duckd.__file__, duckd.__version__);"
                        "s = duckd.Server.memory(); print(s.info().mode); s.close()"],
                       env=env, capture_output=True, text=True, timeout=120, cwd=workdir)
    assert r.returncode == 0, r.stdout + r.stderr
    assert venv in r.stdout and "memory" in r.stdout
