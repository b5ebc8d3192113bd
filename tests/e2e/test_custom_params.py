"""PostgreSQL's custom ("placeholder") parameters: SET app.user_id = '42', SHOW app.user_id,
current_setting('app.user_id' [, missing_ok]) and set_config('app.user_id', v, is_local) --
what row-level-security style applications, PostgREST-like request contexts and audit
triggers use to pass a per-session value to SQL. What must hold: the value is the session's
own (never another session's, never a pooled connection's previous owner's), read when the
statement runs (a prepared statement sees a later SET), SET LOCAL / set_config(..., true)
last until the block ends, RESET and RESET ALL empty it, and an INSERT that reads it stores
the session's value even when group commit would coalesce plain INSERTs."""

import asyncio
from contextlib import closing

import asyncpg
import psycopg
import psycopg.errors
import pytest


def connect(srv):
    return psycopg.connect(srv.dsn, autocommit=True)


def one(c, sql, params=None):
    return c.execute(sql, params).fetchone()[0]


def test_set_show_current_setting(server):
    with closing(connect(server)) as c:
        with pytest.raises(psycopg.errors.UndefinedObject):
            c.execute("SHOW app.user_id")
        assert one(c, "SELECT current_setting('app.user_id', true)") is None
        # never set: 42704 as in PostgreSQL, also with missing_ok false and prepared
        for sql, params in (("SELECT current_setting('app.user_id')", None),
                            ("SELECT current_setting('app.user_id', false)", None),
                            ("SELECT current_setting('app.user_id') || %s", ("x",))):
            with pytest.raises(psycopg.errors.UndefinedObject) as ei:
                c.execute(sql, params)
            assert 'unrecognized configuration parameter "app.user_id"' in str(ei.value)
        assert one(c, "SELECT coalesce(current_setting('app.none', true), 'dflt')") == "dflt"
        c.execute("SET app.user_id = '42'")
        assert one(c, "SHOW app.user_id") == "42"
        assert one(c, "SELECT current_setting('app.user_id')") == "42"
        # unquoted names fold to lower case; quotes inside the value are the value's
        c.execute("SET App.User_Id TO 'it''s'")
        assert one(c, "SELECT current_setting('APP.USER_ID')") == "it's"
        assert one(c, "SHOW app.user_id") == "it's"
        c.execute("SET my.level.three = 7")
        assert one(c, "SELECT current_setting('my.level.three')") == "7"
        c.execute("RESET app.user_id")
        assert one(c, "SELECT current_setting('app.user_id')") == ""
        c.execute("SET app.user_id = 'x'")
        c.execute("RESET ALL")
        assert one(c, "SELECT current_setting('app.user_id')") == ""


def test_duckds_own_names_are_not_settable(server):
    """duckd's internal names (duckd.foreign_keys, the foreign-key mode) are not custom
    parameters: a client cannot switch its session to another mode by setting one."""
    with closing(connect(server)) as c:
        with pytest.raises(psycopg.Error):
            c.execute("SET duckd.foreign_keys = 'enforce'")
        with pytest.raises(psycopg.Error):
            c.execute("SELECT set_config('duckd.foreign_keys', 'enforce', false)")
        c.execute("CREATE TABLE p (id INTEGER PRIMARY KEY)")
        c.execute("CREATE TABLE ch (id INTEGER, p INTEGER REFERENCES p(id) ON DELETE CASCADE)")
        c.execute("INSERT INTO ch VALUES (1, 99)")  # recorded, not enforced (the default)


def test_set_local_and_set_config(server):
    with closing(connect(server)) as c:
        c.execute("SET app.tenant = 'outer'")
        with c.transaction():
            c.execute("SET LOCAL app.tenant = 'inner'")
            assert one(c, "SELECT current_setting('app.tenant')") == "inner"
        assert one(c, "SELECT current_setting('app.tenant')") == "outer"
        assert one(c, "SELECT set_config('app.tenant', 't1', false)") == "t1"
        assert one(c, "SHOW app.tenant") == "t1"
        with c.transaction():
            assert one(c, "SELECT set_config('app.tenant', 'tx', true)") == "tx"
            assert one(c, "SELECT current_setting('app.tenant')") == "tx"
        assert one(c, "SELECT current_setting('app.tenant')") == "t1"


def test_sessions_do_not_see_each_other(server):
    with closing(connect(server)) as a, closing(connect(server)) as b:
        a.execute("SET app.user_id = 'alice'")
        b.execute("SET app.user_id = 'bob'")
        assert one(a, "SELECT current_setting('app.user_id')") == "alice"
        assert one(b, "SELECT current_setting('app.user_id')") == "bob"
    # a later session (maybe on a pooled engine connection) starts without it
    for _ in range(3):
        with closing(connect(server)) as c:
            assert one(c, "SELECT current_setting('app.user_id', true)") is None


def test_prepared_statement_reads_the_current_value(server):
    with closing(connect(server)) as c:
        c.execute("SET app.user_id = 'first'")
        q = "SELECT current_setting('app.user_id') || %s"
        assert c.execute(q, ("!",), prepare=True).fetchone()[0] == "first!"
        c.execute("SET app.user_id = 'second'")
        assert c.execute(q, ("!",), prepare=True).fetchone()[0] == "second!"

    async def run():
        conn = await asyncpg.connect(server.url)
        try:  # asyncpg prepares and caches every statement
            await conn.execute("SET app.role = 'r1'")
            first = await conn.fetchval("SELECT current_setting('app.role')")
            await conn.execute("SET app.role = 'r2'")
            second = await conn.fetchval("SELECT current_setting('app.role')")
            return first, second
        finally:
            await conn.close()
    assert asyncio.run(run()) == ("r1", "r2")


def test_insert_reads_the_sessions_value(server):
    """Autocommit INSERTs of many sessions are coalesced and written on another connection;
    one that reads the session's parameter must still store the session's value."""
    with closing(connect(server)) as c:
        c.execute("CREATE TABLE audit (who VARCHAR, v INTEGER)")
    conns = [connect(server) for _ in range(4)]
    try:
        for i, c in enumerate(conns):
            c.execute("SET app.user_id = %s" % ("'u%d'" % i))
        for n in range(5):
            for i, c in enumerate(conns):
                c.execute("INSERT INTO audit VALUES (current_setting('app.user_id'), %s)", (n,))
                c.execute("INSERT INTO audit VALUES (current_setting('app.user_id'), 100)")
        rows = conns[0].execute(
            "SELECT who, count(*) FROM audit GROUP BY who ORDER BY who").fetchall()
        assert rows == [("u%d" % i, 10) for i in range(4)]
    finally:
        for c in conns:
            c.close()
