"""PostgreSQL's advisory locks across sessions: pg_advisory_lock and kin exclude each other
between connections (what migration tools rely on), wait interruptibly, and are released at
the ends of transactions and sessions."""

import asyncio
import subprocess
import threading
import time
from contextlib import closing

import asyncpg
import psycopg
import psycopg2
import psycopg2.errors
import pytest


def connect(srv, autocommit=True):
    c = psycopg2.connect(srv.dsn)
    c.autocommit = autocommit
    return c


def one(c, sql, args=None):
    with c.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchone()[0]


def run_in_thread(fn):
    """Starts fn in a thread; returns (thread, result dict with 'value' or 'err')."""
    res = {}

    def body():
        try:
            res["value"] = fn()
        except Exception as e:  # noqa: BLE001 - inspected by the test
            res["err"] = e

    t = threading.Thread(target=body)
    t.start()
    return t, res


def test_try_lock_excludes_other_session(server):
    with closing(connect(server)) as a, closing(connect(server)) as b:
        assert one(a, "select pg_try_advisory_lock(42)") is True
        assert one(b, "select pg_try_advisory_lock(42)") is False
        assert one(b, "select pg_try_advisory_lock(43)") is True  # another key
        # re-entrant: a takes it again and must release twice
        assert one(a, "select pg_try_advisory_lock(42)") is True
        assert one(a, "select pg_advisory_unlock(42)") is True
        assert one(b, "select pg_try_advisory_lock(42)") is False
        assert one(a, "select pg_advisory_unlock(42)") is True
        assert one(a, "select pg_advisory_unlock(42)") is False  # not held any more
        assert one(b, "select pg_advisory_unlock(42)") is False  # b never got it
        assert one(b, "select pg_try_advisory_lock(42)") is True
        assert one(a, "select pg_try_advisory_lock(42)") is False


def test_result_columns_and_void(server):
    with closing(connect(server)) as a:
        with a.cursor() as cur:
            cur.execute("select pg_advisory_lock(7)")
            assert cur.description[0].name == "pg_advisory_lock"
            assert cur.description[0].type_code == 2278  # void
            assert cur.fetchall() == [("",)]
            cur.execute("SELECT pg_catalog.pg_advisory_unlock(7) AS released")
            assert cur.description[0].name == "released"
            assert cur.description[0].type_code == 16
            assert cur.fetchall() == [(True,)]
            cur.execute("select pg_advisory_unlock_all()")
            assert cur.fetchall() == [("",)]
            assert cur.statusmessage == "SELECT 1"


def test_key_spaces_and_shared(server):
    with closing(connect(server)) as a, closing(connect(server)) as b:
        # (int, int) keys are not the bigint keys, even when the bits would match
        assert one(a, "select pg_try_advisory_lock(0, 5)") is True
        assert one(b, "select pg_try_advisory_lock(5)") is True
        assert one(b, "select pg_try_advisory_lock(0, 5)") is False
        # shared locks share; exclusive waits for them
        assert one(a, "select pg_try_advisory_lock_shared(9)") is True
        assert one(b, "select pg_try_advisory_lock_shared(9)") is True
        assert one(b, "select pg_try_advisory_lock(9)") is False
        assert one(a, "select pg_advisory_unlock_shared(9)") is True
        assert one(b, "select pg_try_advisory_lock(9)") is True  # its own shared lock is no bar
        assert one(a, "select pg_try_advisory_lock_shared(9)") is False
        # expressions as keys
        assert one(a, "select pg_try_advisory_lock(1 + 1000 * 3)") is True
        assert one(b, "select pg_try_advisory_lock(3001)") is False


def test_blocking_lock_waits_for_unlock(server):
    with closing(connect(server)) as a, closing(connect(server)) as b:
        one(a, "select pg_advisory_lock(72707369)")
        t, res = run_in_thread(lambda: one(b, "select pg_advisory_lock(72707369)"))
        time.sleep(0.5)
        assert t.is_alive(), res  # waits
        # other sessions carry on meanwhile (no global lock held by the waiter)
        with closing(connect(server)) as c:
            assert one(c, "select 41 + 1") == 42
            assert one(c, "select pg_try_advisory_lock(72707369)") is False
        assert one(a, "select pg_advisory_unlock(72707369)") is True
        t.join(10)
        assert not t.is_alive() and "err" not in res, res
        assert one(a, "select pg_try_advisory_lock(72707369)") is False  # b holds it now


def test_cancel_waiting_lock(server):
    with closing(connect(server)) as a, closing(connect(server)) as b:
        one(a, "select pg_advisory_lock(5)")
        t, res = run_in_thread(lambda: one(b, "select pg_advisory_lock(5)"))
        time.sleep(0.5)
        b.cancel()
        t.join(10)
        assert not t.is_alive()
        assert isinstance(res.get("err"), psycopg2.errors.QueryCanceled), res
        assert "user request" in str(res["err"])
        assert one(b, "select pg_try_advisory_lock(5)") is False  # still a's
        assert one(b, "select 1") == 1


def test_statement_timeout_frees_waiter(server):
    with closing(connect(server)) as a, closing(connect(server)) as b:
        one(a, "select pg_advisory_lock(6)")
        with b.cursor() as cur:
            cur.execute("set statement_timeout = 300")
            t0 = time.time()
            with pytest.raises(psycopg2.errors.QueryCanceled) as e:
                cur.execute("select pg_advisory_lock(6)")
            assert "statement timeout" in str(e.value)
            assert time.time() - t0 < 5


def test_disconnect_releases(server):
    with closing(connect(server)) as b:
        a = connect(server)
        one(a, "select pg_advisory_lock(11)")
        one(a, "select pg_advisory_lock_shared(12)")
        assert one(b, "select pg_try_advisory_lock(11)") is False
        a.close()
        deadline = time.time() + 10
        while one(b, "select pg_try_advisory_lock(11)") is False and time.time() < deadline:
            time.sleep(0.05)
        assert one(b, "select pg_try_advisory_lock(12)") is True
        assert one(b, "select pg_advisory_unlock(11)") is True


def test_waiter_whose_client_dies(server):
    """A client killed while its lock waits: the server notices, the wait ends and the session
    goes, holding nothing."""
    with closing(connect(server)) as a:
        one(a, "select pg_advisory_lock(13)")
        p = subprocess.Popen(["psql", "-X", "-q", server.dsn, "-c",
                              "select pg_advisory_lock(13) as victim"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        count = ("select count(*) from pg_stat_activity "
                 "where query like '%victim%' and query not like '%pg_stat_activity%'")
        deadline = time.time() + 10
        while one(a, count) == 0 and time.time() < deadline:
            time.sleep(0.05)
        assert one(a, count) == 1
        p.kill()
        p.wait()
        deadline = time.time() + 10
        while one(a, count) != 0 and time.time() < deadline:
            time.sleep(0.05)
        assert one(a, count) == 0  # the waiting session ended while a still holds the lock
        assert one(a, "select pg_advisory_unlock(13)") is True
        with closing(connect(server)) as c:
            assert one(c, "select pg_try_advisory_lock(13)") is True


def test_discard_all_and_unlock_all(server):
    with closing(connect(server)) as a, closing(connect(server)) as b:
        one(a, "select pg_advisory_lock(21)")
        one(a, "select pg_advisory_lock(22)")
        with a.cursor() as cur:
            cur.execute("discard all")
        assert one(b, "select pg_try_advisory_lock(21)") is True
        assert one(b, "select pg_try_advisory_lock(22)") is True
        one(b, "select pg_advisory_unlock_all()")
        assert one(a, "select pg_try_advisory_lock(21)") is True


def test_xact_lock_released_at_commit_and_rollback(server):
    with closing(connect(server, autocommit=False)) as a, closing(connect(server)) as b:
        one(a, "select pg_advisory_xact_lock(31)")
        assert one(b, "select pg_try_advisory_lock(31)") is False
        assert one(a, "select pg_advisory_unlock(31)") is False  # not a session lock
        a.commit()
        assert one(b, "select pg_try_advisory_lock(31)") is True
        one(b, "select pg_advisory_unlock(31)")
        assert one(a, "select pg_try_advisory_xact_lock(32)") is True
        assert one(b, "select pg_try_advisory_lock(32)") is False
        a.rollback()
        assert one(b, "select pg_try_advisory_lock(32)") is True
        # a failed transaction keeps it until its rollback
        one(a, "select pg_advisory_xact_lock_shared(33)")
        with pytest.raises(psycopg2.Error):
            one(a, "select 1/0 from nonexistent_table")
        assert one(b, "select pg_try_advisory_lock(33)") is False
        a.rollback()
        assert one(b, "select pg_try_advisory_lock(33)") is True


def test_xact_lock_in_autocommit_statement(server):
    """Outside a block the transaction is the statement's own: released when it ends."""
    with closing(connect(server)) as a, closing(connect(server)) as b:
        one(a, "select pg_advisory_xact_lock(34)")
        assert one(b, "select pg_try_advisory_lock(34)") is True
        with a.cursor() as cur:  # one simple Query: the implicit transaction holds it
            cur.execute("select pg_advisory_xact_lock(35); select 1")
        assert one(b, "select pg_try_advisory_lock(35)") is True


def test_blocked_xact_lock_waits_for_commit(server):
    with closing(connect(server, autocommit=False)) as a, closing(connect(server)) as b:
        one(a, "select pg_advisory_xact_lock(36)")
        t, res = run_in_thread(lambda: one(b, "select pg_advisory_xact_lock(36)"))
        time.sleep(0.4)
        assert t.is_alive()
        a.commit()
        t.join(10)
        assert not t.is_alive() and "err" not in res, res


def test_buried_call_is_refused(server):
    with closing(connect(server)) as a:
        with pytest.raises(psycopg2.errors.FeatureNotSupported):
            one(a, "select pg_advisory_lock(1) from range(3)")
        with pytest.raises(psycopg2.errors.FeatureNotSupported):
            one(a, "select 1 where pg_try_advisory_lock(1)")
        # not a call: a column or string that only mentions the name is fine
        assert one(a, "select 'pg_advisory_lock(1)'") == "pg_advisory_lock(1)"


def test_extended_protocol_psycopg3(server):
    with psycopg.connect(server.dsn, autocommit=True) as a, \
            psycopg.connect(server.dsn, autocommit=True) as b:
        assert a.execute("select pg_try_advisory_lock(%s)", (77431708279161,)).fetchone() == (True,)
        assert b.execute("select pg_try_advisory_lock(%s)", (77431708279161,)).fetchone() == (False,)
        # prepared server-side and run again (golang-migrate style $1)
        for _ in range(3):
            assert b.execute("select pg_try_advisory_lock(%s, %s)", (1, 2), prepare=True) \
                .fetchone() == (True,)
        assert a.execute("select pg_try_advisory_lock(%s, %s)", (1, 2)).fetchone() == (False,)
        cur = a.execute("select pg_advisory_unlock(%s)", (77431708279161,))
        assert cur.description[0].name == "pg_advisory_unlock"
        assert cur.fetchone() == (True,)
        cur = b.execute("select pg_advisory_lock(%s)", (77431708279161,))
        assert cur.description[0].type_code == 2278
        assert cur.fetchone() == ("",)
        # binary results
        with b.cursor(binary=True) as bc:
            assert bc.execute("select pg_advisory_unlock(%s)", (77431708279161,)).fetchone() \
                == (True,)


def test_extended_protocol_asyncpg(server):
    async def main():
        a = await asyncpg.connect(server.url)
        b = await asyncpg.connect(server.url)
        try:
            await a.execute("select pg_advisory_lock($1)", 8675309)
            assert await b.fetchval("select pg_try_advisory_lock($1)", 8675309) is False
            waiter = asyncio.ensure_future(b.fetchval("select pg_advisory_lock($1)", 8675309))
            await asyncio.sleep(0.3)
            assert not waiter.done()
            assert await a.fetchval("select pg_advisory_unlock($1)", 8675309) is True
            assert await asyncio.wait_for(waiter, 10) is None
            assert await a.fetchval("select pg_try_advisory_lock($1)", 8675309) is False
            assert await b.fetchval("select pg_advisory_unlock($1)", 8675309) is True
            assert await a.fetchval("select pg_try_advisory_lock($1, $2)", 1, -2) is True
        finally:
            await a.close()
            await b.close()

    asyncio.run(main())


def test_hashtext_keys(server):
    """hashtext() gives PostgreSQL's values (its hash_bytes), so hashed keys agree with it."""
    # reference values from PostgreSQL 15
    want = {"": -1477818771, "x": 1074944137, "hello world": 1021725223,
            "abcdefghijklmnopqrstuvwxyz": 167831483, "café": 103771354}
    with closing(connect(server, autocommit=False)) as a, closing(connect(server)) as b:
        for text, h in want.items():
            assert one(a, "select hashtext(%s)", (text,)) == h
        one(a, "select pg_advisory_xact_lock(hashtext('migrations'))")
        h = one(b, "select hashtext('migrations')")
        assert one(b, "select pg_try_advisory_lock(%s)", (h,)) is False
        a.commit()
        assert one(b, "select pg_try_advisory_xact_lock(hashtext('migrations'))") is True


def test_pg_locks_and_activity(server):
    with closing(connect(server)) as a, closing(connect(server)) as b:
        pa, pb = a.info.backend_pid, b.info.backend_pid
        one(a, "select pg_advisory_lock(%s)" % ((3 << 32) + 5))
        one(a, "select pg_advisory_lock_shared(2, 3)")
        t, res = run_in_thread(lambda: one(b, "select pg_advisory_lock(2, 3)"))
        time.sleep(0.4)
        with a.cursor() as cur:
            cur.execute("select locktype, classid, objid, objsubid, pid, mode, granted "
                        "from pg_locks where locktype = 'advisory' order by granted desc, objsubid")
            assert cur.fetchall() == [
                ("advisory", 3, 5, 1, pa, "ExclusiveLock", True),
                ("advisory", 2, 3, 2, pa, "ShareLock", True),
                ("advisory", 2, 3, 2, pb, "ExclusiveLock", False),
            ]
            cur.execute("select state, wait_event_type, wait_event from pg_stat_activity "
                        "where pid = %s", (pb,))
            assert cur.fetchone() == ("active", "Lock", "advisory")
        one(a, "select pg_advisory_unlock_all()")
        t.join(10)
        assert "err" not in res, res
        with a.cursor() as cur:
            cur.execute("select pid, mode from pg_locks")
            assert cur.fetchall() == [(pb, "ExclusiveLock")]


def test_untyped_text_parameter(server):
    """golang-migrate passes its key as a string parameter of unknown type."""
    with psycopg.connect(server.dsn, autocommit=True) as a, \
            psycopg.connect(server.dsn, autocommit=True) as b:
        a.execute("select pg_advisory_lock(%s)", ("1486364155",))
        assert b.execute("select pg_try_advisory_lock(%s::bigint)", (1486364155,)).fetchone() \
            == (False,)
        assert a.execute("select pg_advisory_unlock(%s)", ("1486364155",)).fetchone() == (True,)
        with pytest.raises(psycopg.Error):
            a.execute("select pg_advisory_lock(%s)", ("not a number",))
        assert a.execute("select 1").fetchone() == (1,)


def test_unlock_not_held_warns(server):
    with closing(connect(server)) as a:
        del a.notices[:]
        assert one(a, "select pg_advisory_unlock(99)") is False
        assert one(a, "select pg_advisory_unlock_shared(99)") is False
        assert any("you don't own a lock of type ExclusiveLock" in n for n in a.notices), a.notices
        assert any("you don't own a lock of type ShareLock" in n for n in a.notices), a.notices


def test_xact_lock_extended_protocol_released_at_sync(server):
    with psycopg.connect(server.dsn, autocommit=True) as a, \
            psycopg.connect(server.dsn, autocommit=True) as b:
        assert a.execute("select pg_try_advisory_xact_lock(%s)", (51,)).fetchone() == (True,)
        assert b.execute("select pg_try_advisory_lock(%s)", (51,)).fetchone() == (True,)
        with a.transaction():
            a.execute("select pg_advisory_xact_lock(%s)", (52,))
            assert b.execute("select pg_try_advisory_lock(%s)", (52,)).fetchone() == (False,)
        assert b.execute("select pg_try_advisory_lock(%s)", (52,)).fetchone() == (True,)


def test_savepoints(server):
    """Session-level locks are not transactional, so a savepoint can be rolled back over them;
    a transaction-level lock taken since the savepoint cannot be undone by duckd."""
    with closing(connect(server, autocommit=False)) as a:
        with a.cursor() as cur:
            cur.execute("savepoint s1")
            cur.execute("select pg_try_advisory_lock(61)")
            cur.execute("rollback to savepoint s1")
            cur.execute("select pg_advisory_xact_lock(62)")
            cur.execute("savepoint s2")
            cur.execute("select pg_advisory_xact_lock(63)")
            with pytest.raises(psycopg2.errors.FeatureNotSupported):
                cur.execute("rollback to savepoint s2")
        a.rollback()
        assert one(a, "select pg_advisory_unlock(61)") is True  # kept across the rollback


def test_deadlock_detected(server):
    """Two transactions waiting for each other's locks: one fails with 40P01 after about a
    second (deadlock_timeout); its rollback lets the other through."""
    with closing(connect(server, autocommit=False)) as a, \
            closing(connect(server, autocommit=False)) as b:
        one(a, "select pg_advisory_xact_lock(71)")
        one(b, "select pg_advisory_xact_lock(72)")
        def b_waits():
            try:
                return one(b, "select pg_advisory_xact_lock(71)")
            except psycopg2.Error:
                b.rollback()  # the victim's rollback releases 72
                raise

        t, res = run_in_thread(b_waits)
        time.sleep(0.2)
        t0 = time.time()
        try:
            one(a, "select pg_advisory_xact_lock(72)")
            a_err = None
        except psycopg2.Error as e:
            a_err = e
        if a_err is None:  # b was the victim: a got 72 once b's transaction was gone
            t.join(10)
            assert isinstance(res.get("err"), psycopg2.errors.DeadlockDetected), res
        else:
            assert isinstance(a_err, psycopg2.errors.DeadlockDetected), a_err
            a.rollback()
            t.join(10)
            assert "err" not in res, res
        assert time.time() - t0 < 10
        a.rollback()
        b.rollback()


def test_mutual_exclusion_under_contention(server):
    """Eight sessions take turns on one key (blocking and try-lock loops, as migration tools
    do): never two inside at once, and nobody is left waiting."""
    inside = []
    overlaps = []
    guard = threading.Lock()

    def worker(n):
        with closing(connect(server)) as c:
            for i in range(15):
                if n % 2:
                    one(c, "select pg_advisory_lock(4242)")
                else:
                    while not one(c, "select pg_try_advisory_lock(4242)"):
                        time.sleep(0.001)
                with guard:
                    inside.append(n)
                    if len(inside) > 1:
                        overlaps.append(list(inside))
                time.sleep(0.001)
                with guard:
                    inside.remove(n)
                assert one(c, "select pg_advisory_unlock(4242)") is True

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads)
    assert overlaps == []
    with closing(connect(server)) as c:
        assert one(c, "select count(*) from pg_locks") == 0


def test_terminate_waiting_session(server):
    with closing(connect(server)) as a:
        b = connect(server)
        pb = b.info.backend_pid
        one(b, "select pg_advisory_lock_shared(81)")
        one(a, "select pg_advisory_lock(82)")
        t, res = run_in_thread(lambda: one(b, "select pg_advisory_lock(82)"))
        time.sleep(0.3)
        assert one(a, "select pg_terminate_backend(%s)", (pb,)) is True
        t.join(10)
        assert not t.is_alive() and isinstance(res.get("err"), psycopg2.Error), res
        b.close()
        deadline = time.time() + 10
        while one(a, "select count(*) from pg_locks where pid = %s", (pb,)) and \
                time.time() < deadline:
            time.sleep(0.05)
        assert one(a, "select count(*) from pg_locks where pid = %s", (pb,)) == 0
        assert one(a, "select pg_try_advisory_lock(81)") is True


def test_shutdown_with_waiter(start_server):
    """SIGTERM while a session waits for a lock: the server still stops (the wait is
    cancelled when the server cancels what runs)."""
    srv = start_server("--memory")
    a = connect(srv)
    b = connect(srv)
    one(a, "select pg_advisory_lock(91)")
    t, res = run_in_thread(lambda: one(b, "select pg_advisory_lock(91)"))
    time.sleep(0.3)
    t0 = time.time()
    assert srv.stop(timeout=60) == 0
    assert time.time() - t0 < 30
    t.join(10)
    assert not t.is_alive()
    a.close()
    b.close()
