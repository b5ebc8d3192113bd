"""The sessions view in SQL: duckd_sessions() and duckd_cancel(id), their visibility rules,
and DuckDB's progress of a long query."""
import threading
import time

import psycopg
import pytest

from conftest import OS_USER

LONG = "SELECT count(DISTINCT md5(md5(md5(a::varchar)))) FROM big"
# (a plain table scan: DuckDB reports no progress for some plans, e.g. with a range() source)


def sessions(conn):
    cur = conn.execute("SELECT id, \"user\", protocol, client, state, query, rows, progress "
                       "FROM duckd_sessions()")
    cols = [d.name for d in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


def run_long(dsn, errors):
    try:
        with psycopg.connect(dsn, autocommit=True) as c:
            c.execute(LONG)
    except psycopg.Error as e:
        errors.append(e)


def wait_for(pred, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.1)
    raise AssertionError("condition not reached in %ss" % timeout)


def test_sessions_view_and_cancel(server):
    with psycopg.connect(server.dsn, autocommit=True) as c:
        c.execute("CREATE TABLE big AS SELECT range a FROM range(20000000)")
    errors = []
    t = threading.Thread(target=run_long, args=(server.dsn, errors))
    t.start()
    with psycopg.connect(server.dsn_for("ro"), autocommit=True) as ro, \
            psycopg.connect(server.admin_dsn, autocommit=True) as adm, \
            psycopg.connect(server.dsn, autocommit=True) as me:
        busy = wait_for(lambda: [s for s in sessions(adm) if s["state"] == "active"
                                 and s["query"] == LONG])[0]
        assert busy["user"] == "test" and busy["protocol"] == "pgwire"
        assert busy["client"].startswith("127.0.0.1:")
        # my own row shows my query; another user sees the row without address or query
        mine = [s for s in sessions(me) if "duckd_sessions" in (s["query"] or "")]
        assert len(mine) == 1 and mine[0]["state"] == "active"
        other = [s for s in sessions(ro) if s["id"] == busy["id"]][0]
        assert other["client"] is None and other["query"] is None and other["state"] == "active"
        # DuckDB reports progress once the query has run for its progress-bar wait time
        prog = wait_for(lambda: [s["progress"] for s in sessions(adm)
                                 if s["id"] == busy["id"] and s["progress"] is not None])
        assert 0 <= prog[0] <= 100
        # read-only user may not cancel another user's session
        with pytest.raises(psycopg.Error) as e:
            ro.execute("SELECT * FROM duckd_cancel(%d)" % busy["id"])
        assert e.value.sqlstate == "42501"
        assert adm.execute("SELECT * FROM duckd_cancel(999999)").fetchone() == (False,)
        assert me.execute("SELECT * FROM duckd_cancel(%d)" % busy["id"]).fetchone() == (True,)
        t.join(30)
        assert not t.is_alive()
        assert len(errors) == 1 and errors[0].sqlstate == "57014"
        # its connection closed, so it leaves the view
        wait_for(lambda: not [s for s in sessions(adm) if s["id"] == busy["id"]])
        with pytest.raises(psycopg.Error) as e:
            me.execute("SELECT * FROM duckd_cancel(NULL)")


def test_idle_states(server):
    with psycopg.connect(server.dsn) as tx, psycopg.connect(server.admin_dsn, autocommit=True) as adm:
        tx.execute("SELECT 42")
        row = [s for s in sessions(adm) if s["user"] == "test"][0]
        assert row["state"] == "idle in transaction" and row["query"] == "SELECT 42"
        assert row["rows"] == 1
        with pytest.raises(psycopg.Error):
            tx.execute("SELECT nonsense_column")
        row = [s for s in sessions(adm) if s["user"] == "test"][0]
        assert row["state"] == "idle in transaction (aborted)"
        tx.rollback()
        row = [s for s in sessions(adm) if s["user"] == "test"][0]
        assert row["state"] == "idle"
        mine = [s for s in sessions(adm) if s["user"] == OS_USER]
        assert mine and mine[0]["client"] == "[local]"


def test_progress_logged(start_server):
    s = start_server("--memory", env={"DUCKD_LOG_PROGRESS_INTERVAL": "1"})
    with psycopg.connect(s.dsn, autocommit=True) as c:
        c.execute("CREATE TABLE big AS SELECT range a FROM range(20000000)")
        errors = []
        t = threading.Thread(target=run_long, args=(s.dsn, errors))
        t.start()
        line = wait_for(lambda: [l for l in s.read_log().splitlines()
                                 if "statement running for" in l and "md5(" in l
                                 and "% done" in l])
        assert "user=test" in line[0], line[0]
        assert "▕" not in s.read_log()  # DuckDB's own progress bar is never printed
        busy = [r[0] for r in c.execute("SELECT id FROM duckd_sessions() WHERE state = 'active' "
                                         "AND query LIKE '%md5%' AND query NOT LIKE '%duckd_sessions%'").fetchall()]
        c.execute("SELECT * FROM duckd_cancel(%d)" % busy[0])
        t.join(30)
        assert errors and errors[0].sqlstate == "57014"


def test_pg_stat_activity_and_signals(server):
    """PostgreSQL's names for the same: pg_stat_activity over duckd_sessions(), and
    pg_cancel_backend / pg_terminate_backend with PostgreSQL's permission rule."""
    with psycopg.connect(server.dsn, autocommit=True) as c:
        c.execute("CREATE TABLE big AS SELECT range a FROM range(20000000)")
    errors = []
    t = threading.Thread(target=run_long, args=(server.dsn + " application_name=longjob", errors))
    t.start()
    with psycopg.connect(server.dsn_for("ro"), autocommit=True) as ro, \
            psycopg.connect(server.admin_dsn, autocommit=True) as adm, \
            psycopg.connect(server.dsn, autocommit=True) as me:
        cols = [d.name for d in adm.execute("SELECT * FROM pg_catalog.pg_stat_activity").description]
        for want in ("datname", "pid", "usename", "application_name", "client_addr",
                     "client_port", "backend_start", "query_start", "state_change",
                     "wait_event_type", "wait_event", "state", "query", "backend_type"):
            assert want in cols
        pid = wait_for(lambda: adm.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = 'longjob' "
            "AND state = 'active' AND query = %s", (LONG,)).fetchone())[0]
        row = adm.execute("SELECT usename, client_addr, client_port > 0, datname "
                          "FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone()
        assert row[0] == "test" and row[1] == "127.0.0.1" and row[2] is True
        assert row[3] == me.execute("SELECT current_database()").fetchone()[0]
        # my own backend is in the view under pg_backend_pid()
        mypid = me.execute("SELECT pg_backend_pid()").fetchone()[0]
        assert me.execute("SELECT state FROM pg_stat_activity WHERE pid = pg_backend_pid()"
                          ).fetchone() == ("active",)
        assert ro.execute("SELECT query, client_addr FROM pg_stat_activity WHERE pid = %s",
                          (mypid,)).fetchone() == ("<insufficient privilege>", None)
        # another user's session: 42501, as in PostgreSQL
        for fn in ("pg_cancel_backend", "pg_terminate_backend"):
            with pytest.raises(psycopg.Error) as e:
                ro.execute("SELECT %s(%d)" % (fn, pid))
            assert e.value.sqlstate == "42501"
        assert adm.execute("SELECT pg_cancel_backend(999999), pg_cancel_backend(NULL)"
                           ).fetchone() == (False, None)
        # the usual idiom: cancel by a query over the view
        assert me.execute("SELECT pg_cancel_backend(pid) FROM pg_stat_activity "
                          "WHERE application_name = 'longjob'").fetchall() == [(True,)]
        t.join(30)
        assert not t.is_alive() and len(errors) == 1 and errors[0].sqlstate == "57014"
        assert adm.execute("SELECT count(*) FROM pg_locks").fetchone() == (0,)

        # terminate: an idle session is closed with FATAL 57P01
        victim = psycopg.connect(server.dsn, autocommit=True)
        vpid = victim.execute("SELECT pg_backend_pid()").fetchone()[0]
        assert adm.execute("SELECT pg_terminate_backend(%d)" % vpid).fetchone() == (True,)
        with pytest.raises(psycopg.OperationalError) as e:
            victim.execute("SELECT 1")
        victim.close()
        wait_for(lambda: not adm.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s",
                                         (vpid,)).fetchall())
        # and the server goes on
        assert me.execute("SELECT 42").fetchone() == (42,)
