"""COPY ... FROM STDIN through real clients: psql (\\copy and COPY with inline data), psycopg2
(copy_expert, copy_from), psycopg 3 (cursor.copy, text and binary), asyncpg
(copy_records_to_table: binary; copy_to_table: text and CSV), and raw sockets for the
protocol's edges (extended-protocol COPY, CopyFail, a client that vanishes mid-COPY).

What must hold: every row arrives exactly as COPY TO STDOUT writes it (round trips in text,
CSV and binary); a COPY lands whole or not at all (bad data, a constraint violation, CopyFail
or a disconnect leave the table unchanged; inside a transaction block the block is aborted);
each failure is a proper ErrorResponse with its SQLSTATE and a CONTEXT naming the line; the
connection and the server keep serving afterwards.
"""

import asyncio
import datetime
import decimal
import io
import itertools
import os
import struct
import subprocess
import threading
import time
import uuid
from contextlib import closing

import asyncpg
import psycopg
import psycopg2
import psycopg2.errors
import pytest

from conftest import startup_packet
from test_hostile import assert_still_serving, error_fields, login, raw, read_messages

TYPES_TABLE = """CREATE TABLE ty (
    id INTEGER PRIMARY KEY, s VARCHAR, f DOUBLE, n DECIMAL(12, 3), b BOOLEAN, d DATE,
    ts TIMESTAMP, tz TIMESTAMPTZ, iv INTERVAL, u UUID, bl BLOB, l INTEGER[], big BIGINT)"""

# Every character the text and CSV formats escape or quote, NULLs, empty strings, "\.", and
# one value of each type.
ROWS_SQL = r"""INSERT INTO ty VALUES
 (1, E'tab\there nl\nx cr\rx back\\slash', 1.5, 12.345, true, DATE '2024-02-29',
  TIMESTAMP '2024-01-02 03:04:05.123456', TIMESTAMPTZ '2024-01-02 03:04:05+00',
  INTERVAL '1 day 02:03:04', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '\x00\xff'::BLOB,
  [1, 2, 3], 9007199254740993),
 (2, '', -0.0, -0.001, false, DATE '1999-12-31', NULL, NULL, NULL, NULL, ''::BLOB, [], 0),
 (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (4, E'\\.', 1e300, 999999999.999, true, DATE '0001-01-01', TIMESTAMP '2262-04-11 23:47:16',
  NULL, INTERVAL '-3 months', NULL, NULL, [NULL, 5], -9223372036854775808),
 (5, 'quote" comma, semi; ''apos'' é ü 日本', 3.25, 0, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, 1)"""


def psql(srv, sql, stdin=None, check=True):
    return subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", srv.host,
                           "-p", str(srv.port), "-U", "test", "-d", "test", "-c", sql],
                          input=stdin, capture_output=True, timeout=120, check=check)


def fetch(srv, sql):
    with closing(psycopg2.connect(srv.dsn)) as conn, conn.cursor() as cur:
        cur.execute(sql)
        return cur.fetchall()


def copy_out(srv, sql):
    return psql(srv, sql).stdout


@pytest.mark.parametrize("fmt", ["", "(FORMAT csv)", "(FORMAT csv, HEADER, DELIMITER '|', "
                                 "NULL 'NUL', QUOTE '''', ESCAPE '\\')", "(FORMAT binary)",
                                 "(DELIMITER ',', NULL '')"])
def test_round_trip_every_type(server, fmt):
    """COPY TO STDOUT, then the same bytes back through COPY FROM STDIN: identical tables."""
    psql(server, TYPES_TABLE + ";" + ROWS_SQL)
    data = copy_out(server, "COPY ty TO STDOUT %s" % fmt)
    psql(server, "CREATE TABLE ty2 AS SELECT * FROM ty LIMIT 0")
    r = psql(server, "COPY ty2 FROM STDIN %s" % fmt, stdin=data)
    assert r.returncode == 0, r.stderr
    if fmt == "(DELIMITER ',', NULL '')":  # '' is NULL in this format: row 2's '' reads back
        assert fetch(server, "SELECT s FROM ty2 WHERE id = 2") == [(None,)]
        return
    assert copy_out(server, "COPY (SELECT * FROM ty2 ORDER BY id) TO STDOUT %s" % fmt) == data
    assert fetch(server, "SELECT count(*) FROM (SELECT * FROM ty EXCEPT SELECT * FROM ty2)") \
        == [(0,)]


def test_psql_inline_data_columns_and_defaults(server):
    psql(server, "CREATE TABLE t (id INTEGER, name VARCHAR, v DOUBLE DEFAULT 7.5, "
                 "ok BOOLEAN DEFAULT true)")
    # psql sends the lines after the command as COPY data, up to "\."
    r = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", server.host,
                        "-p", str(server.port), "-U", "test", "-d", "test"],
                       input=b"COPY t (name, id) FROM STDIN;\nalice\t1\n\\N\t2\n\\.\n"
                             b"SELECT 'after';\n", capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert b"after" in r.stdout
    assert fetch(server, "SELECT * FROM t ORDER BY id") == [(1, "alice", 7.5, True),
                                                          (2, None, 7.5, True)]
    # \copy reads a client-side file
    path = os.path.join(server.tmpdir, "in.csv")
    with open(path, "w") as f:
        f.write("id,name\n3,\"x,y\"\n4,\"multi\nline\"\n")
    psql(server, "\\copy t (id, name) FROM '%s' CSV HEADER" % path)
    assert fetch(server, "SELECT name FROM t WHERE id >= 3 ORDER BY id") == [("x,y",),
                                                                           ("multi\nline",)]


def test_psycopg2_copy_expert_large_and_streamed(server):
    """A million rows in 64 KiB pieces: all arrive, in one transaction, with one tag."""
    with closing(psycopg2.connect(server.dsn)) as conn, conn.cursor() as cur:
        conn.autocommit = True
        cur.execute("CREATE TABLE big (i BIGINT, s VARCHAR, f DOUBLE)")

        class Gen(io.RawIOBase):
            def __init__(self, n):
                self.rows = iter(range(n))
                self.pending = b""

            def readable(self):
                return True

            def readinto(self, b):
                while len(self.pending) < len(b):
                    chunk = b"".join(b"%d\tv%d\t%d.5\n" % (i, i % 97, i)
                                     for i in itertools.islice(self.rows, 4096))
                    if not chunk:
                        break
                    self.pending += chunk
                n = min(len(b), len(self.pending))
                b[:n] = self.pending[:n]
                self.pending = self.pending[n:]
                return n

        cur.copy_expert("COPY big FROM STDIN", io.BufferedReader(Gen(1000000)), size=65536)
        assert cur.rowcount == 1000000
        cur.execute("SELECT count(*), sum(i), count(DISTINCT s), max(f) FROM big")
        assert cur.fetchone() == (1000000, 499999500000, 97, 999999.5)


def test_psycopg2_copy_from(server):
    with closing(psycopg2.connect(server.dsn)) as conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE cf (a INTEGER, b VARCHAR)")
        cur.copy_from(io.StringIO("1\tx\n2\t\\N\n"), "cf", columns=("a", "b"))
        conn.commit()
        cur.execute("SELECT * FROM cf ORDER BY a")
        assert cur.fetchall() == [(1, "x"), (2, None)]


def test_psycopg3_text_and_binary(server):
    with psycopg.connect(server.dsn, autocommit=True) as conn:
        conn.execute(TYPES_TABLE)
        rows = [(1, "a\tb\nc", 1.25, decimal.Decimal("1.500"), True, datetime.date(2024, 2, 29),
                 datetime.datetime(2024, 1, 2, 3, 4, 5, 6), b"\x00\x01", 2 ** 40),
                (2, None, None, None, None, None, None, None, None)]
        cols = "(id, s, f, n, b, d, ts, bl, big)"
        with conn.cursor() as cur:
            with cur.copy("COPY ty %s FROM STDIN" % cols) as copy:
                for r in rows:
                    copy.write_row(r)
            assert cur.rowcount == 2
            cur.execute("SELECT id, s, f, n, b, d, ts, bl, big FROM ty ORDER BY id")
            assert cur.fetchall() == rows
            conn.execute("DELETE FROM ty")
            with cur.copy("COPY ty %s FROM STDIN (FORMAT BINARY)" % cols) as copy:
                copy.set_types(["int4", "text", "float8", "numeric", "bool", "date",
                                "timestamp", "bytea", "int8"])
                for r in rows:
                    copy.write_row(r)
            cur.execute("SELECT id, s, f, n, b, d, ts, bl, big FROM ty ORDER BY id")
            assert cur.fetchall() == rows


def test_asyncpg_copy_records_and_text(server):
    async def run():
        conn = await asyncpg.connect(server.url)
        try:
            await conn.execute("CREATE TABLE a (id INTEGER, name VARCHAR, v DOUBLE, "
                               "d DATE, u UUID)")
            recs = [(i, "n%d" % i, i / 4, datetime.date(2024, 1, 1 + i % 28),
                     uuid.UUID(int=i)) for i in range(5000)]
            res = await conn.copy_records_to_table("a", records=recs)
            assert res == "COPY 5000"
            assert await conn.fetchval("SELECT count(*) FROM a") == 5000
            assert tuple(await conn.fetchrow("SELECT * FROM a WHERE id = 4999")) == recs[-1]
            res = await conn.copy_to_table("a", source=io.BytesIO(b"id,name\n9001,csv\n"),
                                           columns=["id", "name"], format="csv", header=True)
            assert res == "COPY 1"
            assert await conn.fetchval("SELECT name FROM a WHERE id = 9001") == "csv"
        finally:
            await conn.close()
    asyncio.run(run())


def test_bad_data_lands_nothing_and_says_where(server):
    with closing(psycopg2.connect(server.dsn)) as conn, conn.cursor() as cur:
        conn.autocommit = True
        cur.execute("CREATE TABLE e (id INTEGER PRIMARY KEY, name VARCHAR)")
        cur.execute("INSERT INTO e VALUES (0, 'kept')")
        # 10,000 good rows, then a bad one: nothing of the COPY may remain
        good = "".join("%d\tr%d\n" % (i, i) for i in range(1, 10001))
        cases = [
            (good + "x\ty\n", psycopg2.errors.InvalidTextRepresentation,
             'COPY e, line 10001, column id: "x"'),
            (good + "99999999999\ty\n", psycopg2.errors.NumericValueOutOfRange, "line 10001"),
            (good + "1\n", psycopg2.errors.BadCopyFileFormat, "line 10001"),
            (good + "1\t2\t3\n", psycopg2.errors.BadCopyFileFormat, "line 10001"),
            (good + "1\ta\rb\n", psycopg2.errors.BadCopyFileFormat, "line 10001"),
            (good + "5\tdup\n", psycopg2.errors.UniqueViolation, None),
            ("1\t\xff\n", None, "line 1"),
        ]
        for data, exc, where in cases:
            payload = data.encode("latin-1") if "\xff" in data else data.encode()
            with pytest.raises(exc or psycopg2.errors.CharacterNotInRepertoire) as ei:
                cur.copy_expert("COPY e FROM STDIN", io.BytesIO(payload))
            if where:
                assert where in (ei.value.diag.context or ""), ei.value.diag.context
            cur.execute("SELECT count(*), min(name) FROM e")
            assert cur.fetchone() == (1, "kept")
        # a value DuckDB's own cast refuses (not parsed by duckd): still 22P02
        cur.execute("CREATE TABLE ed (f DOUBLE, ts TIMESTAMP)")
        for data in ("1.5\tnot a time\n", "not a number\t2024-01-01\n"):
            with pytest.raises(psycopg2.errors.InvalidTextRepresentation):
                cur.copy_expert("COPY ed FROM STDIN", io.StringIO(data))
        # the same inside a transaction block: the block is aborted, ROLLBACK restores it
        conn.autocommit = False
        cur.execute("INSERT INTO e VALUES (1, 'in block')")
        with pytest.raises(psycopg2.errors.InvalidTextRepresentation):
            cur.copy_expert("COPY e FROM STDIN", io.StringIO("2\tok\nbad\tno\n"))
        with pytest.raises(psycopg2.errors.InFailedSqlTransaction):
            cur.execute("SELECT 1")
        conn.rollback()
        cur.execute("SELECT count(*) FROM e")
        assert cur.fetchone() == (1,)
        # and a good COPY inside a block commits with the block
        cur.copy_expert("COPY e FROM STDIN", io.StringIO("2\tok\n"))
        conn.commit()
        cur.execute("SELECT count(*) FROM e")
        assert cur.fetchone() == (2,)


def test_statement_errors(server):
    with closing(psycopg2.connect(server.dsn)) as conn, conn.cursor() as cur:
        conn.autocommit = True
        cur.execute("CREATE TABLE s (a INTEGER, b VARCHAR)")
        cases = [
            ("COPY nosuch FROM STDIN", psycopg2.errors.UndefinedTable),
            ("COPY s (a, nosuch) FROM STDIN", psycopg2.errors.UndefinedColumn),
            ("COPY s (a, A) FROM STDIN", psycopg2.errors.DuplicateColumn),
            ("COPY s FROM STDIN WHERE a > 1", psycopg2.errors.FeatureNotSupported),
            ("COPY s FROM STDIN (FORMAT xml)", psycopg2.errors.InvalidParameterValue),
            ("COPY (SELECT 1) FROM STDIN", psycopg2.errors.SyntaxError),
        ]
        for sql, exc in cases:
            with pytest.raises(exc):
                cur.copy_expert(sql, io.StringIO("1\tx\n"))
        cur.execute("SELECT count(*) FROM s")
        assert cur.fetchone() == (0,)
        # a temporary table, an upper-case quoted name, a schema-qualified name
        cur.execute('CREATE TEMP TABLE tmp (x INTEGER); CREATE SCHEMA sc; '
                    'CREATE TABLE sc."Mixed Case" ("Col" INTEGER, y VARCHAR)')
        cur.copy_expert("COPY tmp FROM STDIN", io.StringIO("5\n"))
        cur.copy_expert('COPY sc."Mixed Case" ("Col") FROM STDIN', io.StringIO("6\n"))
        cur.execute('SELECT (SELECT x FROM tmp), (SELECT "Col" FROM sc."Mixed Case")')
        assert cur.fetchone() == (5, 6)


def test_row_size_is_capped(start_server):
    srv = start_server("--memory", "--max-message-size", "65536")
    with closing(psycopg2.connect(srv.dsn)) as conn, conn.cursor() as cur:
        conn.autocommit = True
        cur.execute("CREATE TABLE w (s VARCHAR)")
        # one 1 MiB line sent in small pieces: refused once it passes the cap
        with pytest.raises(psycopg2.errors.ProgramLimitExceeded):
            cur.copy_expert("COPY w FROM STDIN", io.BytesIO(b"x" * (1 << 20) + b"\n"),
                            size=8192)
        cur.copy_expert("COPY w FROM STDIN", io.BytesIO(b"y" * 60000 + b"\n"), size=8192)
        cur.execute("SELECT count(*), max(length(s)) FROM w")
        assert cur.fetchone() == (1, 60000)


def msg(t, payload=b""):
    return t + struct.pack("!I", len(payload) + 4) + payload


def test_raw_extended_protocol_copy_and_copyfail(server):
    psql(server, "CREATE TABLE r (a INTEGER, b VARCHAR)")
    s = login(server)
    # Parse/Bind/Execute of COPY FROM STDIN, then data, CopyDone and Sync
    s.sendall(msg(b"P", b"\0COPY r FROM STDIN (FORMAT csv)\0\0\0")
              + msg(b"B", b"\0\0\0\0\0\0\0\0") + msg(b"E", b"\0\0\0\0\0"))
    m = read_messages(s, until=b"G")
    assert [t for t, _ in m] == [b"1", b"2", b"G"], m
    s.sendall(msg(b"d", b"1,one\n2,") + msg(b"H") + msg(b"d", b"two\n") + msg(b"c")
              + msg(b"S"))
    m = read_messages(s)
    assert (b"C", b"COPY 2\0") in m and m[-1] == (b"Z", b"I"), m
    # CopyFail: the COPY is abandoned with 57014, the rows sent so far do not land
    s.sendall(msg(b"Q", b"COPY r FROM STDIN\0"))
    assert read_messages(s, until=b"G")[-1][0] == b"G"
    s.sendall(msg(b"d", b"3\tthree\n") + msg(b"f", b"client changed its mind\0"))
    m = read_messages(s)
    err = [error_fields(p) for t, p in m if t == b"E"]
    assert err and err[0]["C"] == "57014" and "client changed its mind" in err[0]["M"], m
    # copy messages after the COPY ended are dropped; an unexpected message ends it with 08P01
    s.sendall(msg(b"d", b"junk\n") + msg(b"c") + msg(b"Q", b"COPY r FROM STDIN\0"))
    assert read_messages(s, until=b"G")[-1][0] == b"G"
    s.sendall(msg(b"d", b"4\tfour\n") + msg(b"Q", b"SELECT 1\0"))
    m = read_messages(s)
    err = [error_fields(p) for t, p in m if t == b"E"]
    assert err and err[0]["C"] == "08P01", m
    s.sendall(msg(b"Q", b"SELECT count(*) FROM r\0"))
    m = read_messages(s)
    assert (b"D", struct.pack("!hi", 1, 1) + b"2") in m, m
    s.close()
    assert_still_serving(server)


def test_client_vanishes_mid_copy(server):
    psql(server, "CREATE TABLE v (a INTEGER)")
    for _ in range(3):
        s = login(server)
        s.sendall(msg(b"Q", b"COPY v FROM STDIN\0"))
        assert read_messages(s, until=b"G")[-1][0] == b"G"
        s.sendall(msg(b"d", b"".join(b"%d\n" % i for i in range(10000))) + msg(b"d", b"12"))
        s.close()
    assert_still_serving(server)
    assert fetch(server, "SELECT count(*) FROM v") == [(0,)]



def test_read_only_server_refuses_copy_from(start_server, tmpdir_short):
    srv = start_server("--db", "ro.duckdb")
    psql(srv, "CREATE TABLE t AS SELECT 1 AS x")
    assert srv.stop() == 0
    ro = start_server("--db", "ro.duckdb", "--read-only")
    with closing(psycopg2.connect(ro.dsn)) as conn, conn.cursor() as cur:
        conn.autocommit = True
        with pytest.raises(psycopg2.errors.ReadOnlySqlTransaction):
            cur.copy_expert("COPY t FROM STDIN", io.StringIO("2\n"))
        cur.execute("SELECT count(*) FROM t")
        assert cur.fetchone() == (1,)


# ---- data chunks (2048 rows each), NULLs, cancel and statement_timeout ----

def test_bad_value_in_third_chunk_names_its_line(server):
    """Rows are converted into 2048-row chunks appended as a whole: a bad value in chunk 3
    still names its own line and column, and nothing of the COPY lands."""
    with closing(psycopg2.connect(server.dsn)) as conn, conn.cursor() as cur:
        conn.autocommit = True
        cur.execute("CREATE TABLE c3 (id INTEGER, u UUID, ts TIMESTAMP, s VARCHAR)")
        good = "%d\ta0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\t2024-01-02 03:04:05\ts%d\n"
        rows = [good % (i, i) for i in range(1, 6001)]
        cases = [  # (line, bad row, SQLSTATE class, context)
            (4500, "x\ta0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\t2024-01-02\ts\n",
             psycopg2.errors.InvalidTextRepresentation, 'COPY c3, line 4500, column id: "x"'),
            # values only DuckDB's cast checks fail when their chunk is appended
            (4600, "1\tnot-a-uuid\t2024-01-02\ts\n", psycopg2.errors.InvalidTextRepresentation,
             'COPY c3, line 4600, column u: "not-a-uuid"'),
            (4700, "1\ta0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\tnot a time\ts\n",
             psycopg2.errors.InvalidTextRepresentation,
             'COPY c3, line 4700, column ts: "not a time"'),
        ]
        for line, bad, exc, context in cases:
            data = "".join(rows[:line - 1]) + bad + "".join(rows[line:])
            with pytest.raises(exc) as ei:
                cur.copy_expert("COPY c3 FROM STDIN", io.StringIO(data))
            assert ei.value.diag.context == context, ei.value.diag.context
            cur.execute("SELECT count(*) FROM c3")
            assert cur.fetchone() == (0,)
        cur.copy_expert("COPY c3 FROM STDIN", io.StringIO("".join(rows)))
        cur.execute("SELECT count(*), count(DISTINCT s), min(ts) FROM c3")
        assert cur.fetchone() == (6000, 6000, datetime.datetime(2024, 1, 2, 3, 4, 5))


def test_constraint_violations_across_chunks(server):
    with closing(psycopg2.connect(server.dsn)) as conn, conn.cursor() as cur:
        conn.autocommit = True
        cur.execute("CREATE TABLE cv (id INTEGER PRIMARY KEY, v VARCHAR NOT NULL)")
        cur.execute("INSERT INTO cv VALUES (0, 'kept')")
        rows = ["%d\tv\n" % i for i in range(1, 9001)]
        dup = "".join(rows[:7000]) + "123\tdup\n" + "".join(rows[7000:])
        with pytest.raises(psycopg2.errors.UniqueViolation):
            cur.copy_expert("COPY cv FROM STDIN", io.StringIO(dup))
        null = "".join(rows[:5000]) + "99999\t\\N\n" + "".join(rows[5000:])
        with pytest.raises(psycopg2.errors.NotNullViolation):
            cur.copy_expert("COPY cv FROM STDIN", io.StringIO(null))
        cur.execute("SELECT count(*), min(v) FROM cv")
        assert cur.fetchone() == (1, "kept")


def test_null_heavy_load(server):
    """Mostly NULLs in every kind of column, across chunks: every value exact."""
    with closing(psycopg2.connect(server.dsn)) as conn, conn.cursor() as cur:
        conn.autocommit = True
        cur.execute(TYPES_TABLE)
        lines = []
        for i in range(1, 10001):
            if i % 10:
                lines.append("%d" % i + "\t\\N" * 12 + "\n")
            else:
                lines.append("%d\ts%d\t%d.5\t%d.125\tt\t2024-03-%02d\t2024-03-01 00:00:%02d\t"
                             "2024-03-01 00:00:00+00\t1 day\t%s\t\\\\x0a\t{1,NULL}\t%d\n"
                             % (i, i, i, i, 1 + i % 28, i % 60, uuid.UUID(int=i), -i))
        cur.copy_expert("COPY ty FROM STDIN", io.StringIO("".join(lines)))
        cur.execute("SELECT count(*), count(s), count(f), count(n), count(b), count(d), "
                    "count(ts), count(tz), count(iv), count(u), count(bl), count(l), "
                    "count(big), sum(big), sum(n) FROM ty")
        assert cur.fetchone() == (10000,) + (1000,) * 12 + (-5005000, decimal.Decimal(
            "5005125.000"))
        cur.execute("SELECT s, f, d, ts, u, bl, l FROM ty WHERE id = 4090")
        row = cur.fetchone()
        assert row[:5] + (bytes(row[5]),) + row[6:] == ("s4090", 4090.5, datetime.date(2024, 3, 3),
                                  datetime.datetime(2024, 3, 1, 0, 0, 10), str(uuid.UUID(int=4090)),
                                  b"\n", [1, None])
        cur.execute("SELECT count(*) FROM ty WHERE id % 10 <> 0 AND s IS NULL AND bl IS NULL "
                    "AND l IS NULL AND big IS NULL")
        assert cur.fetchone() == (9000,)


class SlowRows(io.RawIOBase):
    """COPY data fed slowly: a 1,000-row piece every `delay` seconds, for at most `limit`
    seconds, and end of data `grace` seconds after stop() (so a test stays bounded)."""

    def __init__(self, delay=0.05, limit=20.0, grace=1.0):
        self.delay, self.deadline, self.grace = delay, time.time() + limit, grace
        self.stopped_at = None
        self.next = 0
        self.sent = 0
        self.pending = b""

    def stop(self):
        self.stopped_at = time.time()

    def readable(self):
        return True

    def readinto(self, b):
        if not self.pending:
            now = time.time()
            if now > self.deadline or (self.stopped_at and now > self.stopped_at + self.grace):
                return 0
            time.sleep(self.delay)
            self.pending = b"".join(b"%d\tslow\n" % i for i in range(self.next, self.next + 1000))
            self.next += 1000
            self.sent += 1
        n = min(len(b), len(self.pending))
        b[:n] = self.pending[:n]
        self.pending = self.pending[n:]
        return n


def test_cancel_stops_copy_from_stdin(server):
    """A CancelRequest during COPY FROM STDIN: 57014, the table unchanged, the connection
    usable (PostgreSQL's behaviour; the rest of the client's data is discarded)."""
    with closing(psycopg2.connect(server.dsn)) as conn, conn.cursor() as cur:
        conn.autocommit = True
        cur.execute("CREATE TABLE cc (id INTEGER, s VARCHAR)")
        src = SlowRows()

        def cancel():
            conn.cancel()
            src.stop()

        timer = threading.Timer(0.6, cancel)
        timer.start()
        t0 = time.time()
        try:
            with pytest.raises(psycopg2.errors.QueryCanceled) as ei:
                cur.copy_expert("COPY cc FROM STDIN", io.BufferedReader(src, 8192), size=8192)
        finally:
            timer.cancel()
        assert "canceling statement due to user request" in str(ei.value)
        assert time.time() - t0 < 10
        assert src.sent > 3  # the COPY was under way when the cancel came
        cur.execute("SELECT count(*) FROM cc")
        assert cur.fetchone() == (0,)
        cur.copy_expert("COPY cc FROM STDIN", io.StringIO("1\tafter\n"))
        cur.execute("SELECT s FROM cc")
        assert cur.fetchall() == [("after",)]


def test_cancel_copy_raw_protocol(server):
    """The same on the wire: ErrorResponse 57014 and ReadyForQuery while the client is still
    sending; its later CopyData and CopyDone are ignored; the next query works."""
    psql(server, "CREATE TABLE cr (a INTEGER)")
    s = raw(server)
    s.sendall(startup_packet())
    m = read_messages(s)
    pid, key = struct.unpack("!II", [p for t, p in m if t == b"K"][0])
    s.sendall(msg(b"Q", b"COPY cr FROM STDIN\0"))
    assert read_messages(s, until=b"G")[-1][0] == b"G"
    s.sendall(msg(b"d", b"".join(b"%d\n" % i for i in range(5000))))
    time.sleep(0.3)
    c = raw(server)
    c.sendall(struct.pack("!IIII", 16, 80877102, pid, key))
    c.close()
    time.sleep(0.3)
    s.sendall(msg(b"d", b"1\n2\n"))  # the COPY notices the cancel at its next piece
    m = read_messages(s)
    err = [error_fields(p) for t, p in m if t == b"E"]
    assert err and err[0]["C"] == "57014", m
    assert m[-1] == (b"Z", b"I"), m
    s.sendall(msg(b"d", b"3\n") + msg(b"c") + msg(b"Q", b"SELECT count(*) FROM cr\0"))
    m = read_messages(s)
    assert (b"D", struct.pack("!hi", 1, 1) + b"0") in m, m
    s.close()
    assert_still_serving(server)


def test_statement_timeout_stops_slow_copy(server):
    with closing(psycopg2.connect(server.dsn)) as conn, conn.cursor() as cur:
        conn.autocommit = True
        cur.execute("CREATE TABLE ct (id INTEGER, s VARCHAR)")
        cur.execute("SET statement_timeout = '400ms'")
        src = SlowRows(limit=8.0)
        t0 = time.time()
        with pytest.raises(psycopg2.errors.QueryCanceled) as ei:
            cur.copy_expert("COPY ct FROM STDIN", io.BufferedReader(src, 8192), size=8192)
        assert "canceling statement due to statement timeout" in str(ei.value)
        assert time.time() - t0 < 8.5
        cur.execute("SET statement_timeout = 0")
        cur.execute("SELECT count(*) FROM ct")
        assert cur.fetchone() == (0,)
