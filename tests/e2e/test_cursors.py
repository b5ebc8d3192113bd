"""Server-side cursors: DECLARE / FETCH / MOVE / CLOSE at the SQL level (every direction, the
command tags and PostgreSQL's errors), WITH HOLD across COMMIT and ROLLBACK, and the clients
that use them: psycopg2 named cursors (itersize, withhold in autocommit, scroll), psycopg 3
server cursors (text and binary, over the extended protocol with $n parameters and a Describe
of the cursor's portal), SQLAlchemy 1.4 stream_results / yield_per, pandas read_sql with
chunksize, Django's .iterator() pattern, and a 2M-row result streamed through a cursor while
the server's memory stays bounded. The expected answers were taken from PostgreSQL 15."""

import socket
import struct
import time
from contextlib import closing

import pandas as pd
import psycopg
import psycopg2
import psycopg2.errors
import psycopg2.extensions
import pytest
import sqlalchemy as sa

from conftest import SANITIZED, startup_packet

# ASan's quarantine keeps freed memory resident, so RSS bounds are checked in the release build
RSS_CHECKED = not SANITIZED

FIVE = "SELECT x FROM generate_series(1, 5) AS t(x)"


def connect(server, autocommit=False):
    c = psycopg2.connect(server.dsn)
    c.autocommit = autocommit
    return c


def run(cur, sql):
    """Runs one statement; returns (command tag, rows or None)."""
    cur.execute(sql)
    rows = cur.fetchall() if cur.description is not None else None
    return cur.statusmessage, rows


def vals(rows):
    return [r[0] for r in rows]


def rss_kib(server):
    with open("/proc/%d/status" % server.proc.pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def test_scroll_cursor_every_direction(server):
    with closing(connect(server)) as c, c.cursor() as cur:
        assert run(cur, "DECLARE c SCROLL CURSOR FOR " + FIVE) == ("DECLARE CURSOR", None)
        # (statement, tag, rows) as PostgreSQL 15 answers them, in order
        steps = [
            ("FETCH LAST c", "FETCH 1", [5]),
            ("FETCH PRIOR c", "FETCH 1", [4]),
            ("FETCH BACKWARD ALL c", "FETCH 3", [3, 2, 1]),
            ("FETCH NEXT c", "FETCH 1", [1]),
            ("MOVE ABSOLUTE 3 c", "MOVE 1", None),
            ("MOVE ABSOLUTE 9 c", "MOVE 0", None),
            ("MOVE ABSOLUTE -9 c", "MOVE 0", None),
            ("MOVE RELATIVE 2 c", "MOVE 1", None),
            ("FETCH RELATIVE 0 c", "FETCH 1", [2]),
            ("FETCH FORWARD 0 c", "FETCH 1", [2]),
            ("MOVE LAST c", "MOVE 1", None),
            ("MOVE BACKWARD 2 c", "MOVE 2", None),
            ("FETCH ABSOLUTE -2 c", "FETCH 1", [4]),
            ("MOVE RELATIVE 0 c", "MOVE 1", None),
            ("FETCH -1 c", "FETCH 1", [3]),
            ("FETCH 10 c", "FETCH 2", [4, 5]),
            ("FETCH BACKWARD 10 c", "FETCH 5", [5, 4, 3, 2, 1]),
            ("FETCH FIRST FROM c", "FETCH 1", [1]),
            ("FETCH ABSOLUTE 0 c", "FETCH 0", []),
            ("FETCH FORWARD 2 IN c", "FETCH 2", [1, 2]),
            ("FETCH ALL FROM c", "FETCH 3", [3, 4, 5]),
            ("FETCH NEXT c", "FETCH 0", []),
            ("MOVE BACKWARD ALL IN c", "MOVE 5", None),
            ("FETCH RELATIVE 3 c", "FETCH 1", [3]),
            ("FETCH RELATIVE -2 c", "FETCH 1", [1]),
            ("FETCH BACKWARD 1 c", "FETCH 0", []),
            ("FETCH FORWARD ALL c", "FETCH 5", [1, 2, 3, 4, 5]),
            ("MOVE FORWARD ALL c", "MOVE 0", None),
            ("FETCH c", "FETCH 0", []),
        ]
        for sql, tag, rows in steps:
            got_tag, got = run(cur, sql)
            assert got_tag == tag, sql
            assert (None if got is None else vals(got)) == rows, sql
        assert run(cur, "CLOSE c") == ("CLOSE CURSOR", None)
        assert run(cur, "CLOSE ALL") == ("CLOSE CURSOR ALL", None)
        c.rollback()


def test_no_scroll_cursor_moves_forward_only(server):
    with closing(connect(server)) as c, c.cursor() as cur:
        run(cur, "DECLARE c NO SCROLL CURSOR FOR " + FIVE)
        assert run(cur, "FETCH RELATIVE 0 FROM c") == ("FETCH 0", [])
        assert run(cur, "FETCH FIRST c") == ("FETCH 1", [(1,)])
        assert run(cur, "FETCH 2 c") == ("FETCH 2", [(2,), (3,)])
        assert run(cur, "MOVE 0 c") == ("MOVE 1", None)
        assert run(cur, "FETCH ABSOLUTE 5 c") == ("FETCH 1", [(5,)])
        assert run(cur, "MOVE FORWARD ALL IN c") == ("MOVE 0", None)
        with pytest.raises(psycopg2.errors.ObjectNotInPrerequisiteState) as e:
            cur.execute("FETCH PRIOR c")
        assert e.value.pgcode == "55000"
        assert "cursor can only scan forward" in str(e.value)
        c.rollback()
        for sql in ("FETCH 0 c", "FETCH ABSOLUTE 1 c", "FETCH LAST c", "MOVE BACKWARD ALL c"):
            run(cur, "DECLARE c CURSOR FOR " + FIVE)
            run(cur, "FETCH 1 c")
            with pytest.raises(psycopg2.Error) as e:
                cur.execute(sql)
            assert e.value.pgcode == "55000", sql
            c.rollback()


def test_binary_cursor_and_quoted_names(server):
    with closing(connect(server)) as c, c.cursor() as cur:
        raw = psycopg2.extensions.new_type((23,), "RAW_INT4", lambda v, _: v)
        psycopg2.extensions.register_type(raw, cur)
        run(cur, 'DECLARE "Mixed Case" BINARY CURSOR FOR SELECT 1094861636::INTEGER AS a')
        cur.execute('FETCH FROM "Mixed Case"')
        assert cur.fetchone()[0] == "ABCD"  # 0x41424344 in binary
        with pytest.raises(psycopg2.errors.InvalidCursorName):
            cur.execute("FETCH mixed")  # unquoted names fold to lower case
        c.rollback()


def test_cursor_errors(server):
    with closing(connect(server, autocommit=True)) as c, c.cursor() as cur:
        with pytest.raises(psycopg2.errors.NoActiveSqlTransaction) as e:
            cur.execute("DECLARE c CURSOR FOR SELECT 1")
        assert "DECLARE CURSOR can only be used in transaction blocks" in str(e.value)
        for sql in ("FETCH nope", "MOVE nope", "CLOSE nope"):
            with pytest.raises(psycopg2.errors.InvalidCursorName) as e:
                cur.execute(sql)
            assert 'cursor "nope" does not exist' in str(e.value)
        for sql in ("FETCH 1.5 c", "FETCH FORWARD 99999999999 c", "CLOSE", "DECLARE c CURSOR",
                    "DECLARE c CURSOR FOR", "FETCH NEXT FROM", "DECLARE c CURSOR WITH FOR SELECT 1"):
            with pytest.raises(psycopg2.errors.SyntaxError):
                cur.execute(sql)
        with pytest.raises(psycopg2.Error) as e:
            cur.execute("DECLARE c SCROLL NO SCROLL CURSOR FOR SELECT 1")
        assert e.value.pgcode == "42P11"
        with pytest.raises(psycopg2.Error) as e:
            cur.execute("DECLARE c CURSOR WITH HOLD FOR CREATE TABLE t (a INT)")
        assert e.value.pgcode == "42601"
        cur.execute("BEGIN")
        cur.execute("DECLARE c CURSOR FOR SELECT 1")
        with pytest.raises(psycopg2.errors.DuplicateCursor) as e:
            cur.execute("DECLARE c CURSOR FOR SELECT 2")
        assert 'cursor "c" already exists' in str(e.value)
        with pytest.raises(psycopg2.errors.InFailedSqlTransaction):
            cur.execute("FETCH c")
        cur.execute("ROLLBACK")
        with pytest.raises(psycopg2.errors.InvalidCursorName):
            cur.execute("FETCH c")  # a cursor without HOLD ends with its transaction
        # the session still serves
        cur.execute("SELECT 42")
        assert cur.fetchone() == (42,)


def test_with_hold_survives_commit_and_dies_with_rollback(server):
    with closing(connect(server, autocommit=True)) as c, c.cursor() as cur:
        cur.execute("CREATE TABLE h (x INTEGER)")
        cur.execute("INSERT INTO h SELECT * FROM range(10)")
        cur.execute("BEGIN")
        cur.execute("DECLARE keep CURSOR WITH HOLD FOR SELECT x FROM h ORDER BY x")
        cur.execute("DECLARE gone CURSOR FOR SELECT x FROM h")
        assert run(cur, "FETCH 3 keep") == ("FETCH 3", [(0,), (1,), (2,)])
        cur.execute("COMMIT")
        # the hold cursor sees its declaring transaction's snapshot
        cur.execute("INSERT INTO h VALUES (100)")
        assert run(cur, "FETCH ALL keep") == ("FETCH 7", [(i,) for i in range(3, 10)])
        with pytest.raises(psycopg2.errors.InvalidCursorName):
            cur.execute("FETCH gone")
        # a hold cursor declared in a transaction that rolls back is dropped ...
        cur.execute("BEGIN")
        cur.execute("DECLARE rb CURSOR WITH HOLD FOR SELECT 1")
        cur.execute("ROLLBACK")
        with pytest.raises(psycopg2.errors.InvalidCursorName):
            cur.execute("FETCH rb")
        # ... one from an earlier, committed transaction is kept
        cur.execute("BEGIN")
        with pytest.raises(psycopg2.errors.ObjectNotInPrerequisiteState):
            cur.execute("FETCH PRIOR keep")  # no SCROLL: forward only
        cur.execute("ROLLBACK")
        assert run(cur, "FETCH keep") == ("FETCH 0", [])
        # a failing implicit transaction drops the hold cursor it declared
        with pytest.raises(psycopg2.Error):
            cur.execute("DECLARE imp CURSOR WITH HOLD FOR SELECT 1; SELECT 1/0::INTEGER; "
                        "SELECT * FROM nonexistent")
        with pytest.raises(psycopg2.errors.InvalidCursorName):
            cur.execute("FETCH imp")
        # an autocommit WITH HOLD cursor outlives its statement
        cur.execute("DECLARE auto SCROLL CURSOR WITH HOLD FOR SELECT x FROM h ORDER BY x")
        assert run(cur, "FETCH LAST auto") == ("FETCH 1", [(100,)])
        assert run(cur, "FETCH ABSOLUTE 2 auto") == ("FETCH 1", [(1,)])
        cur.execute("CLOSE auto")
        cur.execute("CLOSE keep")


def test_implicit_block_of_a_multi_statement_query(server):
    with closing(connect(server, autocommit=True)) as c, c.cursor() as cur:
        cur.execute("DECLARE m CURSOR FOR " + FIVE + "; FETCH 2 FROM m")
        assert cur.statusmessage == "FETCH 2"
        assert vals(cur.fetchall()) == [1, 2]
        with pytest.raises(psycopg2.errors.InvalidCursorName):
            cur.execute("FETCH m")  # gone with its implicit transaction


def test_cursor_counts_against_max_portals(start_server):
    srv = start_server("--memory", "--max-portals", "2")
    with closing(connect(srv)) as c, c.cursor() as cur:
        cur.execute("DECLARE a CURSOR FOR SELECT 1")
        cur.execute("DECLARE b CURSOR FOR SELECT 1")
        with pytest.raises(psycopg2.Error) as e:
            cur.execute("DECLARE d CURSOR FOR SELECT 1")
        assert e.value.pgcode == "53400"
        c.rollback()
        cur.execute("BEGIN")
        cur.execute("DECLARE a CURSOR FOR SELECT 1")  # freed by the rollback
        c.rollback()


def test_statement_timeout_applies_to_fetch(server):
    with closing(connect(server, autocommit=True)) as c, c.cursor() as cur:
        cur.execute("DECLARE big CURSOR WITH HOLD FOR "
                    "SELECT x, repeat('y', 50) AS pad FROM range(3000000) t(x)")
        cur.execute("SET statement_timeout = '150ms'")
        t0 = time.monotonic()
        with pytest.raises(psycopg2.errors.QueryCanceled) as e:
            cur.execute("FETCH ALL FROM big")
        assert "statement timeout" in str(e.value)
        assert time.monotonic() - t0 < 20
        cur.execute("SET statement_timeout = 0")
        cur.execute("CLOSE big")
        cur.execute("SELECT 1")


def test_disconnect_with_open_cursors(server):
    c = connect(server)
    cur = c.cursor()
    cur.execute("DECLARE s CURSOR FOR SELECT x FROM range(1000000) t(x)")
    cur.execute("DECLARE h SCROLL CURSOR WITH HOLD FOR SELECT x FROM range(100000) t(x)")
    cur.execute("FETCH 10 s")
    c.close()  # the server frees both (LSan checks at teardown)
    with closing(connect(server)) as c2, c2.cursor() as cur2:
        with pytest.raises(psycopg2.errors.InvalidCursorName):
            cur2.execute("FETCH h")  # cursors are private to their session


def test_psycopg2_named_cursors(server):
    with closing(connect(server)) as c:
        with c.cursor() as cur:
            cur.execute("CREATE TABLE n (x INTEGER, s VARCHAR)")
            cur.execute("INSERT INTO n SELECT x, 'v' || x FROM range(1000) t(x)")
        c.commit()
        with c.cursor("it") as cur:
            cur.itersize = 64
            cur.execute("SELECT x, s FROM n WHERE x >= %s ORDER BY x", (100,))
            rows = list(cur)
        assert len(rows) == 900 and rows[0] == (100, "v100") and rows[-1] == (999, "v999")
        c.commit()
        with c.cursor("sc", scrollable=True) as cur:
            cur.execute("SELECT x FROM n ORDER BY x")
            assert vals(cur.fetchmany(3)) == [0, 1, 2]
            cur.scroll(-2)
            assert cur.fetchone() == (1,)
            cur.scroll(500, mode="absolute")
            assert cur.fetchone() == (500,)
            assert len(cur.fetchall()) == 499
        c.commit()
        with c.cursor("ns", scrollable=False) as cur:
            cur.execute("SELECT x FROM n ORDER BY x")
            assert cur.fetchone() == (0,)
            with pytest.raises(psycopg2.Error):
                cur.scroll(-1)
        c.rollback()
        c.autocommit = True
        with c.cursor("wh", withhold=True) as cur:
            cur.itersize = 100
            cur.execute("SELECT x FROM n ORDER BY x")
            assert vals(cur) == list(range(1000))


def test_django_iterator_pattern(server):
    """Django's QuerySet.iterator() in autocommit: a psycopg2 named cursor WITH HOLD read with
    fetchmany, while other queries run on the same connection between the chunks."""
    with closing(connect(server, autocommit=True)) as c:
        with c.cursor() as cur:
            cur.execute("CREATE TABLE app_item (id INTEGER PRIMARY KEY, name VARCHAR)")
            cur.execute("INSERT INTO app_item SELECT x, 'item ' || x FROM range(5000) t(x)")
        seen = []
        named = c.cursor("_django_curs_1_sync_1", withhold=True)
        named.execute('SELECT "app_item"."id", "app_item"."name" FROM "app_item" '
                      'ORDER BY "app_item"."id" ASC')
        other = c.cursor()
        while True:
            rows = named.fetchmany(2000)
            if not rows:
                break
            seen.extend(r[0] for r in rows)
            other.execute("SELECT count(*) FROM app_item WHERE id < %s", (rows[-1][0],))
            assert other.fetchone()[0] == rows[-1][0]
        named.close()
        assert seen == list(range(5000))


def test_psycopg3_server_cursors(server):
    for binary in (False, True):
        with psycopg.connect(server.dsn) as c:
            with c.cursor(name="p3", binary=binary) as cur:
                cur.execute("SELECT x, x::VARCHAR AS t, 1.5::DOUBLE AS d FROM range(50) t(x) "
                            "WHERE x < %s ORDER BY x", (40,))
                assert [d.name for d in cur.description] == ["x", "t", "d"]
                assert cur.fetchone() == (0, "0", 1.5)
                assert cur.fetchmany(2) == [(1, "1", 1.5), (2, "2", 1.5)]
                assert len(cur.fetchall()) == 37
            c.commit()
            with c.cursor(name="p3p", binary=binary) as cur:
                # one FETCH FORWARD 1 per row, each an unnamed Parse/Bind/Execute with the
                # cursor's result format
                cur.execute("SELECT x, x::VARCHAR AS t FROM range(100) t(x) ORDER BY x")
                got = [cur.fetchone() for _ in range(30)]
                assert got == [(i, str(i)) for i in range(30)]
            c.commit()
            with c.cursor(name="p3s", scrollable=True, binary=binary) as cur:
                cur.execute("SELECT x FROM range(10) t(x) ORDER BY x")
                cur.scroll(5, mode="absolute")
                assert cur.fetchone() == (5,)
                cur.scroll(-3)
                assert cur.fetchone() == (3,)
            c.commit()
            c.autocommit = True
            with c.cursor(name="p3h", withhold=True, binary=binary) as cur:
                cur.execute("SELECT x FROM range(5) t(x) WHERE x < %s ORDER BY x", (3,))
                assert cur.fetchall() == [(0,), (1,), (2,)]
            with c.cursor(name="p3e") as cur:
                with pytest.raises(psycopg.errors.NoActiveSqlTransaction):
                    cur.execute("SELECT 1")


def sa_engine(server):
    return sa.create_engine(server.url.replace("postgresql://", "postgresql+psycopg2://"),
                            future=True)


def test_sqlalchemy_stream_results_and_yield_per(server):
    engine = sa_engine(server)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE sa_t (id INTEGER, v VARCHAR)"))
            conn.execute(sa.text("INSERT INTO sa_t SELECT x, 'v' || x FROM range(3000) t(x)"))
        with engine.connect() as conn:
            res = conn.execution_options(stream_results=True).execute(
                sa.text("SELECT id, v FROM sa_t ORDER BY id"))
            n = 0
            for part in res.partitions(500):
                n += len(part)
            assert n == 3000
        with engine.connect() as conn:
            res = conn.execution_options(yield_per=100).execute(
                sa.text("SELECT id FROM sa_t WHERE id < :m ORDER BY id"), {"m": 1000})
            assert [r[0] for r in res] == list(range(1000))
        with engine.connect() as conn:
            chunks = list(pd.read_sql(sa.text("SELECT id, v FROM sa_t ORDER BY id"),
                                      conn.execution_options(stream_results=True),
                                      chunksize=700))
            assert [len(ch) for ch in chunks] == [700, 700, 700, 700, 200]
            assert chunks[-1]["v"].iloc[-1] == "v2999"
    finally:
        engine.dispose()


def test_large_result_through_a_cursor_keeps_memory_bounded(server):
    """2M rows of ~110 bytes (over 200 MB as text) through a streaming cursor: the server holds
    one chunk at a time, so its resident memory grows by far less than the result."""
    with closing(connect(server)) as c:
        before = rss_kib(server)
        peak = before
        with c.cursor("big") as cur:
            cur.itersize = 20000
            cur.execute("SELECT x, repeat('z', 100) AS pad FROM range(2000000) t(x)")
            n = 0
            total = 0
            for row in cur:
                n += 1
                total += row[0]
                if n % 200000 == 0:
                    peak = max(peak, rss_kib(server))
        c.rollback()
        assert n == 2000000 and total == 2000000 * 1999999 // 2
        if RSS_CHECKED:
            assert peak - before < 120 * 1024, "server RSS grew by %d KiB" % (peak - before)


# ---- the extended protocol, byte by byte ----

def _msg(t, payload=b""):
    return t + struct.pack("!I", len(payload) + 4) + payload


def _cstr(s):
    return s.encode() + b"\0"


def _bind(portal, stmt, rfmts=()):
    body = _cstr(portal) + _cstr(stmt) + struct.pack("!HH", 0, 0)
    body += struct.pack("!H", len(rfmts)) + b"".join(struct.pack("!H", f) for f in rfmts)
    return _msg(b"B", body)


def _exchange(sock, data):
    """Sends data and reads until ReadyForQuery: returns [(type, payload)]."""
    sock.sendall(data)
    buf, out = b"", []
    deadline = time.time() + 30
    while time.time() < deadline:
        while len(buf) >= 5:
            n = struct.unpack("!I", buf[1:5])[0]
            if len(buf) < 1 + n:
                break
            out.append((buf[:1], buf[5:1 + n]))
            buf = buf[1 + n:]
            if out[-1][0] == b"Z":
                return out
        chunk = sock.recv(65536)
        assert chunk, "server closed the connection"
        buf += chunk
    raise AssertionError("no ReadyForQuery: %r" % out)


def _row_formats(payload):
    """The format code of each column of a RowDescription."""
    n = struct.unpack("!H", payload[:2])[0]
    pos, fmts = 2, []
    for _ in range(n):
        pos = payload.index(b"\0", pos) + 1 + 18
        fmts.append(struct.unpack("!H", payload[pos - 2:pos])[0])
    return fmts


def _sqlstate(payload):
    for f in payload.split(b"\0"):
        if f[:1] == b"C":
            return f[1:].decode()
    return None


def test_extended_protocol_describe_close_and_names(server):
    with socket.create_connection((server.host, server.port)) as s:
        _exchange(s, startup_packet())
        q = lambda sql: _msg(b"Q", _cstr(sql))  # noqa: E731
        got = _exchange(s, q("BEGIN; DECLARE c SCROLL CURSOR FOR "
                             "SELECT x, x * 2 AS y FROM range(5) t(x)"))
        assert [t for t, _ in got if t == b"C"] == [b"C", b"C"]
        # Describe of a prepared FETCH statement describes the cursor's columns
        got = _exchange(s, _msg(b"P", _cstr("f") + _cstr("FETCH 1 FROM c") + b"\0\0")
                        + _msg(b"D", b"S" + _cstr("f")) + _msg(b"S"))
        assert [t for t, _ in got] == [b"1", b"t", b"T", b"Z"], got
        assert _row_formats(got[2][1]) == [0, 0]
        # a FETCH portal with binary results: Describe gives the cursor's columns in binary;
        # Describe of the cursor's own name describes it in text; Close (portal) closes it
        got = _exchange(s, _msg(b"P", _cstr("") + _cstr("FETCH 2 FROM c") + b"\0\0")
                        + _bind("p", "", rfmts=(1,)) + _msg(b"D", b"P" + _cstr("p"))
                        + _msg(b"E", _cstr("p") + b"\0\0\0\0") + _msg(b"D", b"P" + _cstr("c"))
                        + _msg(b"C", b"P" + _cstr("c")) + _msg(b"S"))
        types = [t for t, _ in got]
        assert types == [b"1", b"2", b"T", b"D", b"D", b"C", b"T", b"3", b"Z"], got
        assert _row_formats(got[2][1]) == [1, 1]
        assert got[3][1] == b"\0\x02" + b"\0\0\0\x08" + struct.pack("!q", 0) + \
            b"\0\0\0\x08" + struct.pack("!q", 0)
        assert got[5][1] == b"FETCH 2\0"
        assert _row_formats(got[6][1]) == [0, 0]
        assert got[-1][1] == b"T"
        got = _exchange(s, q("FETCH c"))
        assert _sqlstate(got[0][1]) == "34000"
        _exchange(s, q("ROLLBACK"))
        # a Bind to a portal named like an open cursor fails: one namespace
        _exchange(s, q("BEGIN; DECLARE c CURSOR FOR SELECT 1"))
        got = _exchange(s, _msg(b"P", _cstr("") + _cstr("SELECT 2") + b"\0\0")
                        + _bind("c", "") + _msg(b"S"))
        assert got[1][0] == b"E" and _sqlstate(got[1][1]) == "42P03", got
        assert got[-1][1] == b"E"
        _exchange(s, q("ROLLBACK"))
        # DISCARD ALL closes cursors
        _exchange(s, q("DECLARE h CURSOR WITH HOLD FOR SELECT 1"))
        _exchange(s, q("DISCARD ALL"))
        got = _exchange(s, q("FETCH h"))
        assert _sqlstate(got[0][1]) == "34000"
        s.sendall(_msg(b"X"))


def test_hold_scroll_and_interleaved_cursors_spill(start_server, tmpdir_short):
    """WITH HOLD / SCROLL cursors, and a streaming cursor interleaved with other statements,
    keep their rows in DuckDB's temporary storage, within memory_limit and spilled to the temp
    directory, not in duckd's memory: 3M rows of ~110 bytes would take about 350 MB."""
    import os
    temp = os.path.join(tmpdir_short, "spill")
    os.mkdir(temp)
    srv = start_server("--memory", "--memory-limit", "100MB", "--temp-directory", temp)
    big = "SELECT x, repeat('z', 100) AS pad FROM range(3000000) t(x)"
    with closing(connect(srv, autocommit=True)) as c, c.cursor() as cur:
        before = rss_kib(srv)
        cur.execute("DECLARE h SCROLL CURSOR WITH HOLD FOR " + big)
        grown = rss_kib(srv) - before
        if RSS_CHECKED:
            assert grown < 200 * 1024, "server RSS grew by %d KiB" % grown
        assert os.listdir(temp), "nothing was spilled"
        assert run(cur, "FETCH LAST h")[1][0][0] == 2999999
        assert run(cur, "FETCH ABSOLUTE 1500001 h")[1][0][0] == 1500000
        assert vals(run(cur, "FETCH BACKWARD 3 h")[1]) == [1499999, 1499998, 1499997]
        cur.execute("CLOSE h")
    with closing(connect(srv)) as c:
        before = rss_kib(srv)
        peak = before
        named = c.cursor("it")
        named.itersize = 10000
        named.execute(big)
        other = c.cursor()
        n = total = 0
        for row in named:
            n += 1
            total += row[0]
            if n % 300000 == 1:  # another statement while the cursor is mid-stream
                other.execute("SELECT %s + 1", (n,))
                assert other.fetchone()[0] == n + 1
                peak = max(peak, rss_kib(srv))
        assert n == 3000000 and total == 3000000 * 2999999 // 2
        if RSS_CHECKED:
            assert peak - before < 200 * 1024, "server RSS grew by %d KiB" % (peak - before)
        c.rollback()


def test_every_type_through_spilled_and_streaming_cursors(server):
    """A row of every mapped type reads back the same through a plain SELECT, a streaming
    cursor and a SCROLL / WITH HOLD one (whose rows went through a temporary table)."""
    from test_clients_python import COLUMNS, CREATE_SQL, INSERT_SQL
    sql = "SELECT %s FROM alltypes ORDER BY id" % ", ".join(COLUMNS)
    with psycopg.connect(server.dsn, autocommit=True) as c:
        for stmt in (CREATE_SQL, INSERT_SQL):
            for part in stmt.split(";"):
                if part.strip():
                    c.execute(part)
        for binary in (False, True):
            plain = c.cursor(binary=binary).execute(sql).fetchall()
            assert len(plain) == 2
            with c.transaction():
                with c.cursor(name="stream", binary=binary) as cur:
                    cur.execute(sql)
                    assert cur.fetchall() == plain
                with c.cursor(name="scroll", binary=binary, scrollable=True) as cur:
                    cur.execute(sql)
                    assert cur.fetchall() == plain
                    cur.scroll(0, mode="absolute")
                    assert cur.fetchone() == plain[0]
            with c.cursor(name="held", binary=binary, withhold=True) as cur:
                cur.execute(sql)
                assert cur.fetchall() == plain


def test_psql_fetch_count(server):
    """psql's FETCH_COUNT reads a query through DECLARE _psql_cursor / FETCH FORWARD n."""
    from test_clients_tools import psql
    out = psql(server, "-v", "FETCH_COUNT=3", "-c", "SELECT x FROM range(7) t(x)")
    assert "(7 rows)" in out
    assert [line.strip() for line in out.splitlines()[2:9]] == [str(i) for i in range(7)]


DJANGO_MODELS = '''
from django.db import models


class Item(models.Model):
    id = models.IntegerField(primary_key=True)
    name = models.CharField(max_length=50)

    class Meta:
        app_label = "djapp"
        db_table = "dj_item"
'''

DJANGO_SCRIPT = '''
import sys
import django
from django.conf import settings

settings.configure(
    DATABASES={"default": {"ENGINE": "django.db.backends.postgresql", "HOST": "127.0.0.1",
                           "PORT": sys.argv[1], "NAME": "test", "USER": "test",
                           "PASSWORD": sys.argv[2]}},
    INSTALLED_APPS=["djapp"], USE_TZ=True)
django.setup()
from django.db import connection, transaction
from djapp.models import Item

with connection.cursor() as c:
    c.execute("CREATE TABLE dj_item (id INTEGER PRIMARY KEY, name VARCHAR(50) NOT NULL)")
    c.execute("INSERT INTO dj_item SELECT x, 'item ' || x FROM range(5000) t(x)")
# autocommit: a psycopg2 named cursor WITH HOLD read in chunks, other queries in between
seen = []
for it in Item.objects.order_by("id").iterator(chunk_size=700):
    seen.append(it.id)
    if it.id % 1000 == 0:
        assert Item.objects.filter(id__lt=it.id).count() == it.id
assert seen == list(range(5000)), seen[:10]
# inside atomic(): a named cursor without HOLD
with transaction.atomic():
    names = [it.name for it in Item.objects.filter(id__gte=4990).order_by("-id").iterator()]
    assert names == ["item %d" % i for i in range(4999, 4989, -1)], names
print("django iterator ok")
'''


def test_django_queryset_iterator(server, tmpdir_short):
    """Django's own QuerySet.iterator() (run in a child process: Django's settings are
    process-wide): server-side cursors WITH HOLD in autocommit, without inside atomic()."""
    import os
    import subprocess
    from conftest import PASSWORDS
    app = os.path.join(tmpdir_short, "dj", "djapp")
    os.makedirs(app)
    open(os.path.join(app, "__init__.py"), "w").close()
    with open(os.path.join(app, "models.py"), "w") as f:
        f.write(DJANGO_MODELS)
    script = os.path.join(tmpdir_short, "dj", "run.py")
    with open(script, "w") as f:
        f.write(DJANGO_SCRIPT)
    out = subprocess.run(["/usr/bin/python3", script, str(server.port), PASSWORDS["test"]],
                         cwd=os.path.dirname(script), capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "django iterator ok" in out.stdout


def test_cursors_and_group_committed_inserts(server):
    """Coalesced autocommit INSERTs (group commit) are visible to a cursor declared after them,
    also in the same implicit transaction, where the deferred INSERT runs first."""
    with closing(connect(server, autocommit=True)) as c, c.cursor() as cur:
        cur.execute("CREATE TABLE g (a INTEGER)")
        for i in range(5):
            cur.execute("INSERT INTO g VALUES (%s)", (i,))
        cur.execute("DECLARE h CURSOR WITH HOLD FOR SELECT a FROM g ORDER BY a")
        assert vals(run(cur, "FETCH ALL h")[1]) == [0, 1, 2, 3, 4]
        cur.execute("INSERT INTO g VALUES (5); DECLARE m CURSOR FOR SELECT count(*) FROM g; "
                    "FETCH m")
        assert cur.fetchall() == [(6,)]
        cur.execute("INSERT INTO g VALUES (6); DECLARE m2 CURSOR WITH HOLD FOR SELECT a FROM g "
                    "WHERE a > 4 ORDER BY a; INSERT INTO g VALUES (7)")
        assert vals(run(cur, "FETCH ALL m2")[1]) == [5, 6]  # the declaring snapshot
        cur.execute("SELECT count(*) FROM g")
        assert cur.fetchone() == (8,)
        cur.execute("CLOSE ALL")
