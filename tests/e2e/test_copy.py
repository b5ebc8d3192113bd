"""COPY ... TO STDOUT through real clients: psql, psycopg2 (copy_expert), psycopg 3
(cursor.copy, text and binary), asyncpg (copy_from_query). The expected bytes are what
PostgreSQL 15 writes for the same rows and options (checked side by side when this test was
written: text, csv with header/delimiter/null/quote/escape, binary). COPY must never reach the
server's own stdout/stdin. COPY ... FROM STDIN is in test_copy_from.py.
"""

import asyncio
import io
import struct
import subprocess
from contextlib import closing

import asyncpg
import psycopg
import psycopg2
import psycopg2.errors
import pytest

# Every character COPY has to escape or quote, a NULL, an empty string and "\.".
ROWS_SQL = r"""SELECT * FROM (VALUES
 (1, E'tab\there', E'nl\nx', E'back\\slash', 'semi;colon', 'q"uote', '', NULL::TEXT, E'\\.'),
 (2, E'cr\rx', 'plain', 'a,b', ' sp ', 'N', 'x', 'y', 'z')) v(a, b, c, d, e, f, g, h, i)
 ORDER BY a"""

EXPECTED = {
    "": (b"1\ttab\\there\tnl\\nx\tback\\\\slash\tsemi;colon\tq\"uote\t\t\\N\t\\\\.\n"
         b"2\tcr\\rx\tplain\ta,b\t sp \tN\tx\ty\tz\n"),
    "(FORMAT csv)": (b'1,tab\there,"nl\nx",back\\slash,semi;colon,"q""uote","",,\\.\n'
                     b'2,"cr\rx",plain,"a,b", sp ,N,x,y,z\n'),
    "(FORMAT csv, HEADER, DELIMITER ';', NULL 'N')": (
        b"a;b;c;d;e;f;g;h;i\n"
        b'1;tab\there;"nl\nx";back\\slash;"semi;colon";"q""uote";;N;\\.\n'
        b'2;"cr\rx";plain;a,b; sp ;"N";x;y;z\n'),
    "(FORMAT csv, QUOTE '''', ESCAPE '\\')": (
        b"1,tab\there,'nl\nx',back\\slash,semi;colon,q\"uote,'',,\\.\n"
        b"2,'cr\rx',plain,'a,b', sp ,N,x,y,z\n"),
    "CSV HEADER": (b'a,b,c,d,e,f,g,h,i\n'
                   b'1,tab\there,"nl\nx",back\\slash,semi;colon,"q""uote","",,\\.\n'
                   b'2,"cr\rx",plain,"a,b", sp ,N,x,y,z\n'),
}


def psql(srv, sql, check=True):
    return subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", srv.host,
                           "-p", str(srv.port), "-U", "test", "-d", "test", "-c", sql],
                          capture_output=True, timeout=60, check=check)


@pytest.mark.parametrize("options", list(EXPECTED))
def test_copy_formats_match_postgresql(server, options):
    out = psql(server, "COPY (%s) TO STDOUT %s" % (ROWS_SQL, options)).stdout
    assert out == EXPECTED[options]


def test_copy_table_columns_and_tag(server):
    psql(server, "CREATE TABLE t (id INTEGER, name VARCHAR, v DOUBLE);"
                 "INSERT INTO t VALUES (1, 'a', 1.5), (2, NULL, -0.25)")
    with closing(psycopg2.connect(server.dsn)) as conn, conn.cursor() as cur:
        buf = io.StringIO()
        cur.copy_expert("COPY t (name, id) TO STDOUT WITH (FORMAT csv, HEADER true)", buf)
        assert buf.getvalue() == "name,id\na,1\n,2\n"
        assert cur.rowcount == 2
        buf = io.StringIO()
        cur.copy_expert("COPY t TO STDOUT", buf)
        assert buf.getvalue() == "1\ta\t1.5\n2\t\\N\t-0.25\n"
        # COPY in a transaction block sees the block's own writes
        cur.execute("BEGIN")
        cur.execute("INSERT INTO t VALUES (3, 'c', 0)")
        buf = io.StringIO()
        cur.copy_expert("COPY (SELECT count(*) FROM t) TO STDOUT", buf)
        assert buf.getvalue() == "3\n"
        cur.execute("ROLLBACK")


def test_copy_psycopg3_text_and_binary(server):
    with psycopg.connect(server.dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE r AS SELECT i::INTEGER AS i, 'v' || i AS s, "
                     "CASE WHEN i % 3 = 0 THEN NULL ELSE i * 0.5 END::DOUBLE AS f "
                     "FROM range(1000) t(i)")
        with conn.cursor() as cur:
            rows = []
            with cur.copy("COPY (SELECT * FROM r ORDER BY i) TO STDOUT") as copy:
                for row in copy.rows():
                    rows.append(row)
            assert len(rows) == 1000
            assert rows[1] == ("1", "v1", "0.5") and rows[3] == ("3", "v3", None)
            with cur.copy("COPY (SELECT * FROM r ORDER BY i) TO STDOUT (FORMAT BINARY)") as copy:
                copy.set_types(["int4", "text", "float8"])
                brows = list(copy.rows())
            assert brows[1] == (1, "v1", 0.5) and brows[3] == (3, "v3", None)
            assert len(brows) == 1000


def test_copy_binary_layout(server):
    """The binary format byte for byte: signature, flags, extension, tuples, trailer."""
    out = psql(server, "COPY (SELECT 7::INTEGER AS a, NULL::VARCHAR AS b, 'xy' AS c) "
                       "TO STDOUT (FORMAT binary)").stdout
    want = (b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
            + struct.pack(">h", 3) + struct.pack(">ii", 4, 7) + struct.pack(">i", -1)
            + struct.pack(">i", 2) + b"xy" + struct.pack(">h", -1))
    assert out == want


def test_copy_asyncpg(server):
    async def run():
        conn = await asyncpg.connect(server.url)
        try:
            await conn.execute("CREATE TABLE a AS SELECT i AS id, 'n' || i AS name FROM range(5) t(i)")
            buf = io.BytesIO()
            res = await conn.copy_from_query("SELECT * FROM a ORDER BY id", output=buf,
                                             format="csv", header=True)
            assert res == "COPY 5"
            assert buf.getvalue() == b"id,name\n0,n0\n1,n1\n2,n2\n3,n3\n4,n4\n"
            # the connection is still usable afterwards
            assert await conn.fetchval("SELECT count(*) FROM a") == 5
        finally:
            await conn.close()
    asyncio.run(run())


def test_copy_large_streams(server):
    """Two million rows through COPY: every line arrives, the server does not buffer them."""
    out = psql(server, "COPY (SELECT i, i * 2 FROM range(2000000) t(i)) TO STDOUT").stdout
    assert out.count(b"\n") == 2000000
    assert out.endswith(b"1999999\t3999998\n")


def test_copy_errors_are_clean(server):
    with closing(psycopg2.connect(server.dsn)) as conn:
        conn.autocommit = True
        cur = conn.cursor()
        cases = [
            ("COPY missing_table TO STDOUT", psycopg2.errors.UndefinedTable),
            ("COPY (SELECT 1) TO STDOUT (FORMAT xml)", psycopg2.errors.InvalidParameterValue),
            ("COPY (SELECT 1) TO STDOUT (DELIMITER 'ab')", psycopg2.errors.FeatureNotSupported),
            ("COPY (SELECT 1) TO STDOUT (FORMAT binary, HEADER)", psycopg2.errors.SyntaxError),
            ("COPY (SELECT 1) TO STDOUT (BOGUS 1)", psycopg2.errors.SyntaxError),
            ("COPY (SELECT 1) TO STDOUT (FORMAT csv, DELIMITER '\"')",
             psycopg2.errors.InvalidParameterValue),
            ("COPY (SELECT 1/0::INTEGER) TO STDOUT (FORCE_QUOTE *)",
             psycopg2.errors.FeatureNotSupported),
        ]
        for sql, exc in cases:
            with pytest.raises(exc):
                cur.copy_expert(sql, io.StringIO())
    # psql's \copy also goes through COPY TO STDOUT; the rows reach the client, never the
    # server's own stdout (which the test harness captures into the log)
    r = psql(server, "\\copy (SELECT 'zq' || 'marker' AS x) TO STDOUT CSV HEADER")
    assert r.stdout == b"x\nzqmarker\n"
    r = psql(server, "COPY (SELECT 'zq' || 'marker2') TO STDOUT (FORMAT binary)")
    assert b"zqmarker2" in r.stdout
    assert "zqmarker" not in server.read_log() and "PGCOPY" not in server.read_log()
