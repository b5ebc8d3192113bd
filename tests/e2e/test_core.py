"""Core protocol behaviour through psycopg2 (libpq) and psql: simple and extended queries,
command tags, transactions and failed-transaction state, SQLSTATEs, cancel."""

import os
import signal
import subprocess
from contextlib import closing
import threading
import time

import psycopg2

from conftest import OS_USER, SANITIZED
import psycopg2.errors
import psycopg2.extensions
import pytest


def connect(srv, **kw):
    return psycopg2.connect(srv.dsn, **kw)


def test_select_and_tags(server):
    with closing(connect(server)) as c:
        c.autocommit = True
        cur = c.cursor()
        cur.execute("select 1 as a, 'x' as b")
        assert cur.fetchall() == [(1, "x")]
        assert [d.name for d in cur.description] == ["a", "b"]
        cur.execute("create table t (id integer primary key, v varchar)")
        assert cur.statusmessage == "CREATE TABLE"
        cur.execute("insert into t values (1, 'a'), (2, 'b'), (3, 'c')")
        assert cur.statusmessage == "INSERT 0 3"
        assert cur.rowcount == 3
        cur.execute("update t set v = 'z' where id >= 2")
        assert cur.statusmessage == "UPDATE 2"
        cur.execute("delete from t where id = 3")
        assert cur.statusmessage == "DELETE 1"
        cur.execute("select * from t order by id")
        assert cur.statusmessage == "SELECT 2"
        assert cur.fetchall() == [(1, "a"), (2, "z")]
        cur.execute("drop table t")
        assert cur.statusmessage == "DROP TABLE"


def test_params_client_side(server):
    with closing(connect(server)) as c:
        cur = c.cursor()
        cur.execute("select %s::integer + 1, %s, %s", (41, "it's", None))
        assert cur.fetchone() == (42, "it's", None)


def test_multi_statement_simple_query(server):
    with closing(connect(server)) as c:
        c.autocommit = True
        cur = c.cursor()
        cur.execute("create table m (x int); insert into m values (1); insert into m values (2); select sum(x) from m")
        assert cur.fetchone() == (3,)


def test_empty_query(server):
    # libpq reports the server's EmptyQueryResponse as PGRES_EMPTY_QUERY, which psycopg2
    # turns into this error; psql prints nothing.
    with closing(connect(server)) as c:
        cur = c.cursor()
        with pytest.raises(psycopg2.ProgrammingError, match="empty query"):
            cur.execute("-- nothing here\n ;")


def test_transaction_rollback_and_commit(server):
    c1 = connect(server)
    c2 = connect(server)
    c2.autocommit = True
    try:
        cur = c1.cursor()
        cur.execute("create table acc (id int, bal int)")
        c1.commit()
        cur.execute("insert into acc values (1, 100)")
        assert c1.get_transaction_status() == psycopg2.extensions.TRANSACTION_STATUS_INTRANS
        c1.rollback()
        cur.execute("select count(*) from acc")
        assert cur.fetchone() == (0,)
        cur.execute("insert into acc values (2, 50)")
        # not visible to another session before commit
        c2cur = c2.cursor()
        c2cur.execute("select count(*) from acc")
        assert c2cur.fetchone() == (0,)
        c1.commit()
        c2cur.execute("select count(*) from acc")
        assert c2cur.fetchone() == (1,)
    finally:
        c1.close()
        c2.close()


def test_failed_transaction_state(server):
    c = connect(server)
    try:
        cur = c.cursor()
        cur.execute("select 1")
        with pytest.raises(psycopg2.errors.UndefinedTable) as ei:
            cur.execute("select * from no_such_table")
        assert ei.value.pgcode == "42P01"
        assert c.get_transaction_status() == psycopg2.extensions.TRANSACTION_STATUS_INERROR
        with pytest.raises(psycopg2.errors.InFailedSqlTransaction) as ei:
            cur.execute("select 1")
        assert ei.value.pgcode == "25P02"
        c.rollback()
        cur.execute("select 2")
        assert cur.fetchone() == (2,)
    finally:
        c.close()


@pytest.mark.parametrize("sql,state", [
    ("selec 1", "42601"),
    ("select * from nope", "42P01"),
    ("select nope from (select 1 as a)", "42703"),
    ("select 'abc'::integer", "22P02"),
    ("select 1/0::integer", None),  # DuckDB returns NULL for integer division by zero
])
def test_sqlstates(server, sql, state):
    with closing(connect(server)) as c:
        c.autocommit = True
        cur = c.cursor()
        if state is None:
            cur.execute(sql)
            return
        with pytest.raises(psycopg2.Error) as ei:
            cur.execute(sql)
        assert ei.value.pgcode == state, ei.value.pgerror


def test_constraint_sqlstates(server):
    with closing(connect(server)) as c:
        c.autocommit = True
        cur = c.cursor()
        cur.execute("create table u (id int primary key, v int not null)")
        cur.execute("insert into u values (1, 1)")
        with pytest.raises(psycopg2.errors.UniqueViolation):
            cur.execute("insert into u values (1, 2)")
        with pytest.raises(psycopg2.errors.NotNullViolation):
            cur.execute("insert into u values (2, null)")


def test_write_conflict_is_40001(server):
    a = connect(server)
    b = connect(server)
    try:
        a.autocommit = True
        a.cursor().execute("create table k (id int primary key, v int)")
        a.cursor().execute("insert into k values (1, 0)")
        a.autocommit = False
        b.autocommit = False
        a.cursor().execute("update k set v = 1 where id = 1")
        with pytest.raises(psycopg2.Error) as ei:
            b.cursor().execute("update k set v = 2 where id = 1")
            b.commit()
        assert ei.value.pgcode == "40001", ei.value.pgerror
        b.rollback()
        a.commit()
    finally:
        a.close()
        b.close()


def test_cancel_running_query(server):
    c = connect(server)
    try:
        cur = c.cursor()
        result = {}

        def run():
            try:
                cur.execute("select count(*) from range(1000000000000) a, range(1000) b")
            except Exception as e:  # noqa: BLE001 - we inspect it below
                result["err"] = e

        t = threading.Thread(target=run)
        t.start()
        time.sleep(1.0)
        c.cancel()
        t.join(30)
        assert not t.is_alive()
        assert getattr(result.get("err"), "pgcode", None) == "57014", result
        c.rollback()
        cur.execute("select 1")
        assert cur.fetchone() == (1,)
    finally:
        c.close()


def test_startup_parameters(server):
    with closing(connect(server)) as c:
        assert c.server_version == 150000
        assert c.get_parameter_status("server_encoding") == "UTF8"
        assert c.get_parameter_status("integer_datetimes") == "on"
        assert c.get_parameter_status("standard_conforming_strings") == "on"


def test_client_setup_statements(server):
    with closing(connect(server)) as c:
        c.autocommit = True
        cur = c.cursor()
        for sql in ["SET application_name = 'x'", "SET extra_float_digits = 3",
                    "SET DateStyle = 'ISO'", "SET client_encoding TO 'UTF8'",
                    "BEGIN ISOLATION LEVEL READ COMMITTED", "COMMIT",
                    "START TRANSACTION READ ONLY", "ROLLBACK"]:
            cur.execute(sql)
        cur.execute("show standard_conforming_strings")
        assert cur.fetchone() == ("on",)
        cur.execute("show transaction isolation level")
        assert cur.fetchone()[0]
        cur.execute("select pg_catalog.version()")
        assert cur.fetchone()[0].startswith("PostgreSQL 15")
        cur.execute("select current_setting('server_version_num')")
        assert cur.fetchone() == ("150000",)
        cur.execute("show application_name")
        assert cur.fetchone() == ("x",)


def test_psql_unix_socket(server):
    # peer authentication: the OS user running duckd (and the tests) is admin on the socket
    out = subprocess.run(["psql", "-h", server.socket_dir, "-p", str(server.port), "-U", OS_USER,
                          "-d", "d", "-X", "-A", "-t", "-c", "select 40 + 2"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "42"


def test_startup_options_become_session_parameters(server):
    c = psycopg2.connect(server.dsn + " application_name=myapp options='-c statement_timeout=5000 "
                         "--search_path=main'")
    try:
        assert c.get_parameter_status("application_name") == "myapp"
        cur = c.cursor()
        cur.execute("show application_name")
        assert cur.fetchone() == ("myapp",)
        cur.execute("show statement_timeout")
        assert cur.fetchone() == ("5s",)  # PostgreSQL shows it in its largest exact unit
        cur.execute("show search_path")
        assert cur.fetchone() == ("main",)
    finally:
        c.close()


@pytest.mark.skipif(SANITIZED, reason="sanitizer builds keep their own fatal-signal reports")
def test_fatal_signal_leaves_a_report(start_server):
    """A crash nobody can reproduce must leave more than a kernel line: the log gets the
    signal, the thread's name, the instruction and stack pointers and a backtrace
    (util/crash.h), then the process dies of the signal."""
    s = start_server("--memory")
    s.expected_rc = -signal.SIGSEGV
    os.kill(s.proc.pid, signal.SIGSEGV)
    assert s.proc.wait(timeout=30) == -signal.SIGSEGV
    log = s.read_log()
    assert "FATAL: duckd: fatal signal 11 (SEGV)" in log, log
    assert " in thread \"" in log and " ip 0x" in log and "backtrace" in log, log
