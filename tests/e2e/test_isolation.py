"""Isolation and sandbox: what one client does must not reach another client, the served
database or the host. Each test replays an attack observed on an unguarded server (issue 8)
and checks it is now refused (with its SQLSTATE) or harmless, and that the server still serves.

TCP clients here are ordinary read_write users; the Unix socket client runs as the OS user
that runs duckd, which is admin (peer)."""

import os
import signal
import socket
import struct
import subprocess

import psycopg2
import pytest


def tcp(server, **kw):
    c = psycopg2.connect(server.dsn, **kw)
    c.autocommit = True
    return c


def admin(server):
    c = psycopg2.connect(server.admin_dsn)
    c.autocommit = True
    return c


def fails(conn, sql, sqlstate, params=None):
    cur = conn.cursor()
    with pytest.raises(psycopg2.Error) as e:
        cur.execute(sql, params)
    assert e.value.pgcode == sqlstate, (sql, e.value.pgcode, str(e.value))
    return str(e.value)


def one(conn, sql, params=None):
    cur = conn.cursor()
    cur.execute(sql, params)
    return cur.fetchone()[0]


def alive(server):
    with tcp(server) as c:
        assert one(c, "SELECT 41 + 1") == 42


# ---- sessions are isolated ----

def test_set_changes_only_the_own_session(server):
    a, b = tcp(server), tcp(server)
    one(a, "SELECT 1")
    a.cursor().execute("CREATE TABLE t AS SELECT range AS x FROM range(3)")
    a.cursor().execute("SET default_order = 'desc'")
    a.cursor().execute("SET SESSION default_null_order = 'nulls_first'")
    a.cursor().execute("PRAGMA integer_division = true")
    cur = b.cursor()
    cur.execute("SELECT x FROM t ORDER BY x")
    assert [r[0] for r in cur.fetchall()] == [0, 1, 2]
    assert one(b, "SELECT 7 / 2") == 3.5
    cur = a.cursor()
    cur.execute("SELECT x FROM t ORDER BY x")
    assert [r[0] for r in cur.fetchall()] == [2, 1, 0]
    assert one(a, "SELECT 7 / 2") == 3
    a.cursor().execute("RESET default_order")
    cur.execute("SELECT x FROM t ORDER BY x")
    assert [r[0] for r in cur.fetchall()] == [0, 1, 2]
    a.cursor().execute("SET VARIABLE v = 42")
    assert one(a, "SELECT getvariable('v')") == 42
    assert one(b, "SELECT getvariable('v')") is None


@pytest.mark.parametrize("sql", [
    "SET memory_limit = '1GB'",
    "RESET memory_limit",
    "SET threads TO 1",
    "SET SESSION threads = 1",
    "SET GLOBAL threads = 1",
    "ALTER SYSTEM SET threads = 1",
    "PRAGMA threads = 1",
    "SET temp_directory = '/tmp/evil'",
    "SET enable_external_access = true",
    "SET lock_configuration = false",
    "SET lock_configuration = true",
    "SET allowed_directories = ['/']",
    "SET custom_extension_repository = 'http://127.0.0.1:1/'",
    "SET autoinstall_known_extensions = true",
    "SET allow_community_extensions = true",
    "SET enable_logging = true",
    "SET profiling_output = '/tmp/evil.json'",
    "SET max_expression_depth TO 100000000",
    "SET max_expression_depth TO '100000000'",
    "SET max_expression_depth = 1e8",
    "SET \"max_expression_depth\" TO 100000000",
    "SET SESSION max_expression_depth TO 100000000",
    "SET LOCAL max_expression_depth = 100000000",
    "PRAGMA max_expression_depth = 100000000",
])
def test_server_wide_settings_are_refused(server, sql):
    c = tcp(server)
    before = one(c, "SELECT current_setting('threads')::VARCHAR")
    fails(c, sql, "42501")
    assert one(c, "SELECT current_setting('threads')::VARCHAR") == before
    assert one(c, "SELECT current_setting('enable_external_access')") is False
    alive(server)


def test_unknown_and_non_literal_settings(server):
    c = tcp(server)
    fails(c, "SET no_such_setting_xyz = 1", "42704")
    fails(c, "SET default_order = (SELECT 'desc')", "22023")
    assert one(c, "SHOW default_order".replace("SHOW default_order",
                                                "SELECT current_setting('default_order')")) \
        .upper().startswith("ASC")


def test_admin_changes_server_wide_settings_explicitly(server):
    a = admin(server)
    msg = fails(a, "SET threads = 1", "42501")
    assert "SET GLOBAL" in msg
    a.cursor().execute("SET GLOBAL threads = 1")
    assert one(tcp(server), "SELECT current_setting('threads')") == 1
    a.cursor().execute("ALTER SYSTEM SET threads = 2")
    assert one(tcp(server), "SELECT current_setting('threads')") == 2
    fails(a, "SET GLOBAL enable_external_access = true", "55P02")
    fails(a, "SET GLOBAL lock_configuration = false", "55P02")
    assert "changes a server-wide setting: SET GLOBAL threads = 1" in server.read_log()


# ---- the host's files are not the client's ----

@pytest.mark.parametrize("sql", [
    "SELECT * FROM read_csv('/etc/passwd', header = false)",
    "SELECT * FROM read_text('/etc/hostname')",
    "SELECT * FROM read_blob('/etc/hostname')",
    "SELECT * FROM glob('/root/*')",
    "SELECT * FROM read_parquet('/tmp/*.parquet')",
    "COPY (SELECT 1) TO '/tmp/duckd-evil.csv'",
])
def test_host_files_are_out_of_reach(server, sql):
    for conn in (tcp(server), admin(server)):
        fails(conn, sql, "42501")
    assert not os.path.exists("/tmp/duckd-evil.csv")


def test_replacement_scans_of_host_files_are_off(server):
    # FROM 'file' is no table at all once external access is off
    fails(tcp(server), "SELECT * FROM '/etc/passwd'", "42P01")


def test_allowed_directories(start_server, tmpdir_short):
    data = os.path.join(tmpdir_short, "data")
    os.mkdir(data)
    with open(os.path.join(data, "a.csv"), "w") as f:
        f.write("x,y\n1,2\n3,4\n")
    with open(os.path.join(tmpdir_short, "outside.csv"), "w") as f:
        f.write("x\n1\n")
    s = start_server("--memory", env={"DUCKD_ALLOWED_DIRECTORIES": data + "/"})
    c = tcp(s)
    assert one(c, "SELECT sum(y) FROM read_csv(%s)", (os.path.join(data, "a.csv"),)) == 6
    fails(c, "SELECT * FROM read_csv(%s)", "42501", (os.path.join(tmpdir_short, "outside.csv"),))
    fails(c, "COPY (SELECT 1) TO %s", "42501", (os.path.join(data, "b.csv"),))  # writing: admin
    admin(s).cursor().execute("COPY (SELECT 1 AS x) TO %s", (os.path.join(data, "b.csv"),))
    assert os.path.exists(os.path.join(data, "b.csv"))


def test_init_may_read_files_before_the_lock(start_server, tmpdir_short):
    path = os.path.join(tmpdir_short, "seed.csv")
    with open(path, "w") as f:
        f.write("x\n1\n2\n")
    init = os.path.join(tmpdir_short, "init.sql")
    with open(init, "w") as f:
        f.write("SET threads = 2;\nCREATE TABLE seed AS SELECT * FROM read_csv('%s');\n" % path)
    s = start_server("--memory", "--init", init)
    c = tcp(s)
    assert one(c, "SELECT count(*) FROM seed") == 2
    fails(c, "SELECT * FROM read_csv(%s)", "42501", (path,))


def test_no_sandbox_is_explicit(start_server, tmpdir_short):
    s = start_server("--memory", "--sandbox=false")
    assert "sandbox off" in s.read_log()
    c = tcp(s)
    # the files are reachable again, but sessions stay isolated
    assert one(c, "SELECT count(*) FROM read_text('/etc/hostname')") == 1
    fails(c, "SET threads = 1", "42501")


# ---- extensions ----

@pytest.mark.parametrize("sql", ["INSTALL httpfs", "LOAD httpfs", "FORCE INSTALL json",
                                 "UPDATE EXTENSIONS"])
def test_extensions_cannot_be_installed_or_loaded(server, sql):
    fails(tcp(server), sql, "42501")
    with pytest.raises(psycopg2.Error):  # admins too: external access is off, nothing downloads
        admin(server).cursor().execute(sql)


# ---- other sessions' work stays private; server-wide switches are admin-only ----

@pytest.mark.parametrize("sql", [
    "CALL enable_logging('QueryLog')",
    "SELECT * FROM enable_logging('QueryLog')",
    "SELECT * FROM duckdb_logs()",
    "SELECT * FROM main.\"DUCKDB_LOGS\"()",
    "SELECT * FROM query('SELECT 1')",
    "SELECT * FROM query_table('t')",
    "SELECT * FROM disable_peg_parser()",
    "SELECT * FROM force_checkpoint()",
    "SELECT * FROM duckdb_secrets()",
    "CHECKPOINT",
    "FORCE CHECKPOINT",
    "PRAGMA enable_profiling",
    "PRAGMA disable_optimizer",
    "PRAGMA enable_checkpoint_on_shutdown",
    "EXPORT DATABASE '/tmp/duckd-evil-export'",
    "IMPORT DATABASE '/tmp/duckd-evil-export'",
])
def test_admin_only_statements(server, sql):
    c = tcp(server)
    c.cursor().execute("CREATE TABLE IF NOT EXISTS t (a INT)")
    fails(c, sql, "42501")
    alive(server)


def test_read_pragmas_still_work(server):
    c = tcp(server)
    c.cursor().execute("CREATE TABLE p (a INT)")
    cur = c.cursor()
    cur.execute("PRAGMA table_info('p')")
    assert cur.fetchall()[0][1] == "a"
    cur.execute("PRAGMA version")
    assert cur.fetchone()
    cur.execute("CALL pragma_version()")
    assert cur.fetchone()


def test_logging_cannot_expose_other_sessions(server):
    victim, spy = tcp(server), tcp(server)
    fails(spy, "CALL enable_logging('QueryLog')", "42501")
    victim.cursor().execute("SELECT 'top secret' AS s")
    fails(spy, "SELECT message FROM duckdb_logs()", "42501")


def test_statements_inside_prepare_and_explain_are_guarded(server):
    c = tcp(server)
    fails(c, "EXPLAIN ANALYZE COPY (SELECT 1) TO '/tmp/duckd-evil.csv'", "42501")
    fails(c, "PREPARE q AS SELECT * FROM enable_logging('QueryLog')", "42501")
    c.cursor().execute("PREPARE ok AS SELECT 40 + $1")
    assert one(c, "EXECUTE ok(2)") == 42


# ---- the served database cannot be taken away ----

def test_attach_and_detach_are_admin_only(server):
    c = tcp(server)
    fails(c, "ATTACH ':memory:' AS o", "42501")
    fails(c, "DETACH memory", "55006")
    fails(c, "DETACH DATABASE IF EXISTS memory", "55006")


def test_the_served_database_cannot_be_detached_or_replaced(server, tmpdir_short):
    other = tcp(server)
    other.cursor().execute("CREATE TABLE mine AS SELECT 1 AS x")
    a = admin(server)
    a.cursor().execute("ATTACH ':memory:' AS o")
    a.cursor().execute("USE o")
    fails(a, "DETACH memory", "55006")
    fails(a, "DETACH \"MEMORY\"", "55006")
    fails(a, "ATTACH OR REPLACE ':memory:' AS memory", "55006")
    fails(a, "ATTACH OR REPLACE %s AS memory", "55006", (os.path.join(tmpdir_short, "m.duckdb"),))
    assert one(other, "SELECT count(*) FROM mine") == 1
    a.cursor().execute("USE memory")
    a.cursor().execute("DETACH o")
    a.close()
    other.close()
    assert server.stop() == 0


def test_read_only_server_writes_nothing(start_server, tmpdir_short):
    db = os.path.join(tmpdir_short, "ro.duckdb")
    other = os.path.join(tmpdir_short, "other.duckdb")
    s = start_server("--db", db)
    admin(s).cursor().execute("CREATE TABLE t AS SELECT 1 AS x")
    s.stop()
    s2 = start_server("--db", other)
    admin(s2).cursor().execute("CREATE TABLE o AS SELECT 1 AS x")
    s2.stop()
    before = os.path.getmtime(other)
    ro = start_server("--db", db, "--read-only",
                      env={"DUCKD_ALLOWED_DIRECTORIES": tmpdir_short + "/"})
    a = admin(ro)
    fails(a, "ATTACH %s (READ_WRITE)", "25006", (other,))
    fails(a, "ATTACH ':memory:' AS m", "25006")
    fails(a, "COPY t TO %s", "25006", (os.path.join(tmpdir_short, "out.csv"),))
    fails(a, "EXPORT DATABASE %s", "25006", (os.path.join(tmpdir_short, "exp"),))
    fails(a, "INSERT INTO t VALUES (2)", "25006")
    assert not os.path.exists(os.path.join(tmpdir_short, "out.csv"))
    assert os.path.getmtime(other) == before
    assert one(tcp(ro), "SELECT count(*) FROM t") == 1


# ---- nothing a client sends crashes the server ----

def test_deeply_nested_json_is_refused(server):
    c = tcp(server)
    deep = "[" * 100000 + "]" * 100000
    fails(c, "SELECT json_structure(%s)", "22023", (deep,))
    fails(c, "SELECT system.main.json_structure(json_structure(%s))", "22023", (deep,))
    fails(c, "SELECT \"JSON_STRUCTURE\"(%s::JSON)", "22023", (deep,))
    fails(c, "SELECT json_structure(repeat('[', 300000) || repeat(']', 300000))", "22023")
    assert one(c, "SELECT json_structure(%s)::VARCHAR", ("[" * 5000 + "]" * 5000,)).startswith("[[")
    assert one(c, "SELECT length(%s::JSON::VARCHAR)", (deep,)) == 200000
    alive(server)


def test_expression_depth_guard_stays(server):
    c = tcp(server)
    fails(c, "SET max_expression_depth TO 100000000", "42501")
    fails(c, "SET max_expression_depth TO '100000000'", "42501")  # DuckDB casts the string
    assert one(c, "SELECT current_setting('max_expression_depth')::VARCHAR") == "1000"
    c.cursor().execute("SET max_expression_depth TO 500")
    with pytest.raises(psycopg2.Error):
        c.cursor().execute("SELECT " + "+".join(["1"] * 7000))
    alive(server)


def test_two_sessions_scripted_series(server):
    """The kind of mixed SET/ATTACH/SELECT series that crashed the unguarded server."""
    a, b = tcp(server), admin(server)
    for i in range(30):
        for conn, sql in ((a, "SET default_order = 'desc'"), (b, "ATTACH ':memory:' AS x%d" % i),
                          (a, "SELECT count(*) FROM range(1000)"), (b, "USE x%d" % i),
                          (a, "DETACH memory"), (b, "DETACH memory"), (b, "USE memory"),
                          (b, "DETACH x%d" % i), (a, "RESET default_order"),
                          (a, "SET threads = 1")):
            try:
                conn.cursor().execute(sql)
            except psycopg2.Error:
                pass
    alive(server)


# ---- logs ----

def test_logs_never_contain_secret_values(server):
    c = tcp(server)
    with pytest.raises(psycopg2.Error):
        c.cursor().execute("CREATE SECRET s (TYPE s3, KEY_ID 'AKIDEXAMPLE', SECRET 'hunter2-xyz')")
    with pytest.raises(psycopg2.Error):
        c.cursor().execute("CREATE SECRET s2 (TYPE s3, SECRET 'hunter2-abc' syntax error here")
    log = server.read_log()
    assert "hunter2" not in log and "AKIDEXAMPLE" not in log
    assert "CREATE SECRET s (TYPE s3, KEY_ID '***', SECRET '***')" in log


def test_control_characters_in_client_text_are_escaped(server):
    evil_user = "mallory\n2026-01-01 00:00:00.000Z [1] INFO: forged line"
    with pytest.raises(psycopg2.Error):  # no such user: the name is logged all the same
        psycopg2.connect(host="127.0.0.1", port=server.port, user=evil_user, dbname="x",
                         password="x")
    c = tcp(server)
    with pytest.raises(psycopg2.Error):
        c.cursor().execute("SELECT * FROM nope_\x1b[31m_table")
    c.close()
    log = server.read_log()
    assert "INFO: forged line" in log  # present, but only inside an escaped line
    for line in log.splitlines():
        assert not line.startswith("2026-01-01"), line
        assert "\x1b" not in line
    assert "mallory\\x0a2026" in log


# ---- the Unix socket ----

def test_unix_socket_is_not_world_writable(server):
    path = os.path.join(server.socket_dir, ".s.PGSQL.%d" % server.port)
    assert os.stat(path).st_mode & 0o777 == 0o770
