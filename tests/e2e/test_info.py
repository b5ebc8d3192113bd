"""Database info from SQL and the command line: duckd_info() and duckd_tables() (columns,
values, what each role sees), `duckd status` (output and exit codes), and the --init log
(a line per statement, progress lines for a long one)."""

import os
import re
import subprocess
import threading
import time

import psycopg
import pytest

from conftest import DUCKD_BIN, PASSWORDS

INFO_COLUMNS = [
    ("mode", "text"), ("read_only", "bool"), ("path", "text"), ("database_bytes", "int8"),
    ("wal_bytes", "int8"), ("memory_bytes", "int8"), ("memory_limit", "text"),
    ("temp_bytes", "int8"), ("temp_files", "int8"), ("temp_directory", "text"),
    ("tables", "int8"), ("table_rows", "int8"), ("created_at", "timestamptz"),
    ("started_at", "timestamptz"), ("uptime_seconds", "float8"), ("duckd_version", "text"),
    ("duckdb_version", "text"), ("pid", "int8"), ("sessions", "int8"),
    ("sessions_active", "int8"), ("sessions_idle", "int8"),
    ("sessions_idle_in_transaction", "int8"), ("group_commit", "bool"),
    ("group_commit_batches", "int8"), ("group_commit_statements", "int8"),
    ("group_commit_rows", "int8"), ("group_commit_max_batch_rows", "int8"),
    ("group_commit_commit_ms", "float8"), ("group_commit_wait_ms", "float8"),
    ("group_commit_conflicts", "int8"), ("group_commit_retries", "int8"),
    ("group_commit_splits", "int8"), ("group_commit_fallbacks", "int8"),
    ("group_commit_cancels", "int8"), ("buffer_memory", "int8"), ("buffer_memory_used", "int8")]
ADMIN_ONLY = {"path", "temp_directory", "pid"}


def info(conn):
    cur = conn.execute("SELECT * FROM duckd_info()")
    row = cur.fetchone()
    assert cur.fetchone() is None
    return dict(zip([d.name for d in cur.description], row))


def test_info_columns_and_values(start_server, tmpdir_short):
    db = os.path.join(tmpdir_short, "x.duckdb")
    s = start_server("--db", db)
    with psycopg.connect(s.admin_dsn, autocommit=True) as c:
        cur = c.execute("SELECT * FROM duckd_info()")
        types = {t.oid: t.name for t in [psycopg.adapters.types[n] for n in
                                         ("text", "bool", "int8", "float8", "timestamptz")]}
        assert [(d.name, types[d.type_code]) for d in cur.description] == INFO_COLUMNS
        c.execute("CREATE TABLE t AS SELECT range AS i FROM range(1000)")
        c.execute("DELETE FROM t WHERE i < 10")
        c.execute("CREATE SCHEMA s2")
        c.execute('CREATE TABLE s2."odd ""name""" (a INT, b INT, c INT)')
        c.execute("CREATE TEMP TABLE mine (x INT)")  # private to the session: not listed
        i = info(c)
        assert i["mode"] == "persistent" and i["read_only"] is False
        assert i["path"] == db and i["pid"] == s.proc.pid
        assert i["database_bytes"] == os.path.getsize(db)
        assert i["wal_bytes"] == os.path.getsize(db + ".wal") > 0
        assert i["memory_bytes"] > 0 and i["memory_limit"]
        assert i["temp_bytes"] == 0 and i["temp_files"] == 0
        assert i["temp_directory"].endswith(".tmp")
        assert i["tables"] == 2 and i["table_rows"] == 990
        assert i["started_at"] <= i["created_at"] or i["created_at"] is None
        assert 0 <= i["uptime_seconds"] < 600
        assert i["duckd_version"] and i["duckdb_version"].startswith("v1.")
        assert i["sessions"] == 1 and i["sessions_active"] == 1
        assert c.execute("SELECT * FROM duckd_tables()").fetchall() == [
            ("main", "t", 990, 1), ("s2", 'odd "name"', 0, 3)]
        # a prepared statement reads fresh values at every execution
        q = "SELECT table_rows FROM duckd_info()"
        assert c.execute(q, prepare=True).fetchone() == (990,)
        c.execute("INSERT INTO t VALUES (1), (2)")
        assert c.execute(q, prepare=True).fetchone() == (992,)


def test_info_inside_a_transaction(server):
    """The facts come from duckd's own connection: committed data only, and no deadlock with
    the caller's open transaction, its DDL or its writes."""
    with psycopg.connect(server.admin_dsn, autocommit=True) as c:
        c.execute("CREATE TABLE t AS SELECT 1 AS x")
        with c.transaction():
            c.execute("CREATE TABLE fresh (y INT)")
            c.execute("INSERT INTO t VALUES (2)")
            c.execute("DROP TABLE t")
            assert info(c)["tables"] == 1 and info(c)["table_rows"] == 1
            assert c.execute("SELECT table_name, rows FROM duckd_tables()").fetchall() == [
                ("t", 1)]
        assert c.execute("SELECT table_name, rows FROM duckd_tables()").fetchall() == [
            ("fresh", 0)]
        # and from a read-only user, inside a failed block it is refused like anything else
        with psycopg.connect(server.dsn_for("ro")) as ro:
            with pytest.raises(psycopg.errors.UndefinedTable):
                ro.execute("SELECT * FROM nothing")
            with pytest.raises(psycopg.errors.InFailedSqlTransaction):
                ro.execute("SELECT * FROM duckd_info()")


@pytest.mark.parametrize("mode", ["--memory", "--ephemeral"])
def test_info_modes(start_server, mode):
    s = start_server(mode)
    with psycopg.connect(s.admin_dsn, autocommit=True) as c:
        i = info(c)
    if mode == "--memory":
        assert i["mode"] == "memory" and i["path"] is None
        assert i["database_bytes"] is None and i["wal_bytes"] is None
    else:
        assert i["mode"] == "ephemeral" and "duckd-ephemeral-" in i["path"]
        assert i["database_bytes"] is not None
    assert i["created_at"] == i["started_at"]


def test_info_by_role(server):
    """Paths, the temp directory and the pid are the admin's; everybody may call both."""
    with psycopg.connect(server.admin_dsn, autocommit=True) as c:
        c.execute("CREATE TABLE t (x INT)")
        admin = info(c)
    for user, is_admin in (("test", False), ("ro", False), ("adm", True)):
        with psycopg.connect(server.dsn_for(user), autocommit=True) as c:
            i = info(c)
            for k, v in i.items():
                if k in ADMIN_ONLY and not is_admin:
                    assert v is None, (user, k)
                elif k in ("mode", "tables", "duckd_version", "memory_limit"):
                    assert v == admin[k], (user, k)
            assert c.execute("SELECT table_name FROM duckd_tables()").fetchall() == [("t",)]
    assert admin["temp_directory"] and admin["pid"] == server.proc.pid


def test_info_sessions_by_state_and_group_commit(server):
    idle = psycopg.connect(server.dsn, autocommit=True)
    in_txn = psycopg.connect(server.dsn)
    in_txn.execute("SELECT 1")  # psycopg opened a transaction block
    busy = psycopg.connect(server.dsn, autocommit=True)
    t = threading.Thread(target=lambda: pytest.raises(
        psycopg.errors.QueryCanceled, busy.execute,
        "SELECT count(*) FROM range(100000000000) a"))
    t.start()
    try:
        with psycopg.connect(server.dsn, autocommit=True) as c:
            deadline = time.time() + 30
            while True:
                i = info(c)
                if i["sessions_active"] == 2 or time.time() > deadline:
                    break
                time.sleep(0.05)
            assert (i["sessions"], i["sessions_active"], i["sessions_idle"],
                    i["sessions_idle_in_transaction"]) == (4, 2, 1, 1)
            busy.cancel()
            t.join(30)
            c.execute("CREATE TABLE g (x INT)")
            before = info(c)
            writers = [psycopg.connect(server.dsn, autocommit=True) for _ in range(4)]
            ts = [threading.Thread(target=lambda w=w: [w.execute("INSERT INTO g VALUES (1)")
                                                       for _ in range(50)]) for w in writers]
            [x.start() for x in ts]
            [x.join(60) for x in ts]
            [w.close() for w in writers]
            after = info(c)
            assert after["group_commit"] is True
            assert after["group_commit_statements"] - before["group_commit_statements"] == 200
            assert after["group_commit_rows"] - before["group_commit_rows"] == 200
            assert after["group_commit_batches"] > before["group_commit_batches"]
            assert after["group_commit_max_batch_rows"] >= 1
            assert after["group_commit_commit_ms"] > 0
    finally:
        for x in (idle, in_txn, busy):
            x.close()


def status(*args, env=None):
    e = dict(os.environ)
    e.pop("PGPASSWORD", None)
    e.update(env or {})
    return subprocess.run([DUCKD_BIN, "status"] + list(args), capture_output=True, text=True,
                          timeout=60, env=e)


def write_config(tmpdir, port, **extra):
    path = os.path.join(tmpdir, "status.ini")
    with open(path, "w") as f:
        f.write("[server]\nport = %d\nsocket_dir = %s\n" % (port, tmpdir))
        for k, v in extra.items():
            f.write("%s = %s\n" % (k, v))
    return path


def test_status_running(start_server, tmpdir_short):
    s = start_server("--memory")
    with psycopg.connect(s.admin_dsn, autocommit=True) as c:
        c.execute("CREATE TABLE items AS SELECT range AS i FROM range(42)")
    cfg = write_config(tmpdir_short, s.port)
    r = status("--config", cfg)
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert out.startswith("duckd is running (%s port %d)" % (tmpdir_short, s.port))
    lines = dict(re.findall(r"^(\w+) +(.*)$", out, re.M))
    assert lines["mode"] == "memory" and lines["path"] == "-"
    assert lines["pid"] == str(s.proc.pid)  # the OS user on the socket is admin
    assert re.fullmatch(r"[\d.]+ (B|KiB|MiB|GiB) \(\d+\)", lines["memory_bytes"])
    assert lines["tables"] == "1" and lines["sessions"] == "1"
    assert "1 table\n  main.items  42 rows, 1 columns" in out
    # flags override the file, as for the server
    r = status("--config", cfg, "--port", str(s.port))
    assert r.returncode == 0
    # over TCP only, with a password from PGPASSWORD
    r = status("--port", str(s.port), "--socket-dir", "",
               env={"PGUSER": "test", "PGPASSWORD": PASSWORDS["test"]})
    assert r.returncode == 0, r.stderr
    assert "duckd is running (127.0.0.1 port %d)" % s.port in r.stdout
    assert re.search(r"^path +-$", r.stdout, re.M) and re.search(r"^pid +-$", r.stdout, re.M)
    # refused: a wrong password is an error, not "down"
    r = status("--port", str(s.port), "--socket-dir", "",
               env={"PGUSER": "test", "PGPASSWORD": "wrong"})
    assert r.returncode == 1 and "password authentication failed" in r.stderr


def test_status_down_and_usage(tmpdir_short):
    from conftest import free_port
    port = free_port()
    r = status("--config", write_config(tmpdir_short, port))
    assert r.returncode == 3
    assert "no server is running on %s or 127.0.0.1 port %d" % (tmpdir_short, port) in r.stderr
    r = status("--config", os.path.join(tmpdir_short, "missing.ini"))
    assert r.returncode == 1 and "missing.ini" in r.stderr
    r = status("--help")
    assert r.returncode == 0 and "usage: duckd status" in r.stdout


def test_init_logs_statements_and_progress(start_server, tmpdir_short):
    init = os.path.join(tmpdir_short, "load.sql")
    with open(init, "w") as f:
        f.write("-- hydrate\nCREATE TABLE big AS SELECT range AS i FROM range(10000000);\n"
                "CREATE TABLE\n   small (a int,\n b text);\n"
                "INSERT INTO small VALUES (1, 'x'), (2, 'y');\n"
                "CREATE TABLE h AS SELECT i, md5(i::VARCHAR) AS m FROM big;\n"
                "SELECT 'a very long statement that goes on and on and on' || repeat('x', 3) "
                "AS padding_padding_padding_padding;\n")
    s = start_server("--memory", "--init", init, "--init-progress", "300ms")
    log = s.read_log()
    lines = [l.split(" INFO: ", 1)[1] for l in log.splitlines() if "--init" in l and
             " INFO: " in l]
    name = "--init %s: " % init
    assert lines[0] == name + "5 statements"
    done = [l for l in lines if " done in " in l and "statement " in l]
    assert len(done) == 5
    assert re.fullmatch(re.escape(name) + r"statement 1/5 done in [\d.]+ s, 10000000 rows: "
                        r"CREATE TABLE big AS SELECT range AS i FROM range\(10000000\)", done[0])
    assert re.fullmatch(re.escape(name) + r"statement 2/5 done in [\d.]+ s: "
                        r"CREATE TABLE small \(a int, b text\)", done[1]), done[1]
    assert ", 2 rows: INSERT INTO small" in done[2]
    long_stmt = ("SELECT 'a very long statement that goes on and on and on' || repeat('x', 3) "
                 "AS padding_padding_padding_padding")
    assert done[4].endswith(", 1 rows: " + long_stmt[:80] + "...")
    progress = [l for l in lines if " running for " in l]
    assert progress, log  # the md5 over 10M rows takes well over 300 ms
    assert any(re.search(r"statement 4/5 running for [\d.]+ s: [\d.]+% \(\d+ of about \d+ "
                         r"rows\): CREATE TABLE h AS", l) for l in progress), progress
    assert re.fullmatch(re.escape(name) + r"5 statements done in [\d.]+ s", lines[-1])
