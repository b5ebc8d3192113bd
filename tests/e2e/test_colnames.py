"""Result column names as PostgreSQL gives them (docs/COMPATIBILITY.md, "Result column names").

Applications read rows as dicts (psycopg's dict_row, RealDictCursor, SQLAlchemy's mappings(),
pandas.read_sql), so an unaliased `count(*)` must be "count" and `1 + 1` "?column?", not
DuckDB's "count_star()" and "(1 + 1)". The same statements run on duckd and on a scratch
PostgreSQL 15 (the fixture of test_metadata.py) and the names are compared: over the simple
protocol (psycopg2), the extended protocol (psycopg 3, dict_row), a prepared statement's
Describe (asyncpg), a SQL cursor and a COPY header. The HTTP API speaks DuckDB's dialect and
keeps DuckDB's names."""

import asyncio
import io
import json

import psycopg
import psycopg2
import pytest
from psycopg.rows import dict_row

from conftest import PASSWORDS
from test_http import ok_json
from test_metadata import PGBIN, ScratchPostgres

SETUP = [
    "DROP TABLE IF EXISTS t",
    "CREATE TABLE t (a int, b int, x int, y text, arr int[], ts timestamp)",
    "INSERT INTO t VALUES (1, 2, 3, 'q', ARRAY[1,2], TIMESTAMP '2024-01-01 00:00:00')",
]

# Each statement runs on both servers; their column names must agree.
STATEMENTS = [
    "SELECT count(*) FROM t",
    "SELECT sum(x), max(y) FROM t",
    "SELECT 1, a + b, 'x' FROM t",
    "SELECT 1::int, x::text, now() FROM t",
    "SELECT CASE WHEN a > 0 THEN 1 END, coalesce(a, b), EXISTS(SELECT 1), ARRAY[1,2], "
    "(SELECT max(a) FROM t) FROM t",
    "SELECT 7/2",
    "SELECT 't'::regclass::oid",
    "SELECT a, t.b, T.X FROM t",
    'SELECT A, B AS Bee, x AS "Ex", count(*) AS Total, count(*) c FROM t GROUP BY a, b, x',
    "SELECT *, count(*) OVER () FROM t",
    "SELECT a, t.*, 1 FROM t",
    "SELECT DISTINCT a + 1 FROM t",
    "SELECT DISTINCT ON (a) a, b * 2 FROM t ORDER BY a",
    "WITH q AS (SELECT a FROM t) SELECT max(a), min(a) FROM q",
    "VALUES (1, 2), (3, 4)",
    "SELECT 1 UNION SELECT 2",
    "SELECT a + 1 FROM t UNION ALL SELECT count(*) FROM t",
    "(SELECT a * 2 FROM t) UNION (SELECT 3)",
    "SELECT true, false, null, -1, -a, NOT (a = 1) FROM t",
    "SELECT a IS NULL, a BETWEEN 1 AND 2, a IN (1, 2), a || 'x', ts AT TIME ZONE 'UTC' FROM t",
    "SELECT 1::bigint, 1::smallint, 1::real, 1::float, 1::double precision, 1::numeric(10,2)",
    "SELECT 'x'::varchar(3), 'x'::char(2), 'x'::character varying, 'x'::text, true::boolean",
    "SELECT '2024-01-01'::date, '2024-01-01'::timestamp, '2024-01-01'::timestamptz, "
    "'2024-01-01'::timestamp with time zone, '1 day'::interval",
    "SELECT CAST(1 AS int), CAST(a AS text), CAST(count(*) AS bigint) FROM t GROUP BY a",
    "SELECT DATE '2024-01-01', TIMESTAMP '2024-01-01 00:00', INTERVAL '1 day', TIME '12:00'",
    "SELECT current_date, current_timestamp, current_user, session_user, localtimestamp",
    "SELECT current_schema(), current_database(), version(), current_setting('TimeZone')",
    "SELECT upper(y), lower(y), length(y), abs(-1), round(1.5), pg_catalog.upper('x') FROM t",
    "SELECT greatest(1, 2), least(1, 2), nullif(1, 2)",
    "SELECT arr[1], (arr)[1] FROM t",
    "SELECT extract(year FROM ts), date_trunc('day', ts), substring(y FROM 1 FOR 1), "
    "position('q' IN y), trim(y), trim(both 'x' FROM y), trim(leading 'x' FROM y) FROM t",
    "SELECT row_number() OVER (ORDER BY a), rank() OVER w FROM t WINDOW w AS (ORDER BY a)",
    "SELECT count(*) FILTER (WHERE a > 0), percentile_cont(0.5) WITHIN GROUP (ORDER BY a) "
    "FROM t",
    "SELECT (SELECT a FROM t), (SELECT a + 1 FROM t), (SELECT a AS z FROM t), "
    "(SELECT 1 UNION SELECT 1), (VALUES (1))",
    "SELECT EXISTS (SELECT 1 FROM t), NOT EXISTS (SELECT 1 FROM t), ARRAY(SELECT a FROM t)",
    "SELECT ROW(1, 2), (1, 2)",
    "SELECT (a), (a + b), ((count(*))) FROM t GROUP BY a, b",
    "SELECT a::text::int, (a + 1)::text, count(*)::int, ARRAY[1,2]::int[], '{1,2}'::int[], "
    "(SELECT 1)::int FROM t GROUP BY a",
    "SELECT CASE WHEN a > 0 THEN 1 END::text, 'a' COLLATE \"C\" FROM t",
    "SELECT 1 AS \"quoted \"\"name\"\"\", 2 AS Mixed, 3 \"Mixed\"",
    "SELECT interval '1' day, 1::\"numeric\", $$dollar$$, E'esc'",
    "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) "
    "SELECT n, n * 2 FROM r",
    "SELECT unnest(ARRAY[1,2]), generate_series(1, 2)",
    "INSERT INTO t (a) VALUES (9) RETURNING a, a * 2, upper(y) AS U, b::text",
    "UPDATE t SET b = 1 WHERE a = 9 RETURNING a + 1, lower(y)",
    "DELETE FROM t WHERE a = 9 RETURNING a, coalesce(y, 'none')",
]


@pytest.fixture(scope="module")
def pg():
    import os
    if not os.path.exists(PGBIN + "/initdb"):
        pytest.skip("PostgreSQL 15 server binaries are not installed (%s)" % PGBIN)
    p = ScratchPostgres()
    try:
        create_table(p.dsn)
        yield p
    finally:
        p.stop()


@pytest.fixture
def dd(server):
    create_table(server.dsn)
    return server


def create_table(dsn):
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    with conn.cursor() as cur:
        for s in SETUP:
            cur.execute(s)
    conn.close()


def simple_names(dsn):
    """Each statement's names over the simple protocol (psycopg2 sends Query)."""
    out = []
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    with conn.cursor() as cur:
        for q in STATEMENTS:
            cur.execute(q)
            out.append([d[0] for d in cur.description])
    conn.close()
    return out


def dict_keys(dsn, prepare):
    """Each statement's first row as psycopg 3 dict_row gives it (extended protocol; with
    prepare, a named prepared statement described once and executed twice)."""
    out = []
    with psycopg.connect(dsn, autocommit=True, row_factory=dict_row) as conn:
        for q in STATEMENTS:
            for _ in range(2 if prepare else 1):
                cur = conn.execute(q, prepare=prepare)
                names = [d.name for d in cur.description]
                row = cur.fetchone()
            if row is not None and len(set(names)) == len(names):
                assert list(row.keys()) == names
            out.append(names)
    return out


def test_simple_protocol_matches_postgres(pg, dd):
    want, got = simple_names(pg.dsn), simple_names(dd.dsn)
    diff = [(q, w, g) for q, w, g in zip(STATEMENTS, want, got) if w != g]
    assert diff == []


@pytest.mark.parametrize("prepare", [False, True])
def test_extended_protocol_dict_rows_match_postgres(pg, dd, prepare):
    want, got = dict_keys(pg.dsn, prepare), dict_keys(dd.dsn, prepare)
    diff = [(q, w, g) for q, w, g in zip(STATEMENTS, want, got) if w != g]
    assert diff == []


def test_describe_statement_matches_rows(dd):
    """asyncpg describes a prepared statement (Describe 'S') and reads its rows by name: the
    description and the rows' RowDescription carry the same names."""
    import asyncpg

    async def run():
        conn = await asyncpg.connect(host="127.0.0.1", port=dd.port, user="test",
                                     password=PASSWORDS["test"], database="test")
        try:
            st = await conn.prepare("SELECT count(*), max(a) + 1, a::text FROM t GROUP BY a")
            assert [a.name for a in st.get_attributes()] == ["count", "?column?", "a"]
            row = await st.fetchrow()
            assert (row["count"], row["?column?"], row["a"]) == (1, 2, "1")
        finally:
            await conn.close()
    asyncio.run(run())


def test_sql_cursor_and_copy_header(dd):
    conn = psycopg2.connect(dd.dsn)
    with conn.cursor() as cur:
        cur.execute("DECLARE c CURSOR FOR SELECT count(*), a + 1 FROM t GROUP BY a")
        cur.execute("FETCH ALL FROM c")
        assert [d[0] for d in cur.description] == ["count", "?column?"]
        cur.execute("CLOSE c")
        buf = io.StringIO()
        cur.copy_expert("COPY (SELECT count(*), max(a) AS Top FROM t) TO STDOUT WITH CSV HEADER",
                        buf)
        assert buf.getvalue().splitlines()[0] == "count,top"
    conn.rollback()
    conn.close()


def test_pandas_and_sqlalchemy_mappings(dd):
    import pandas as pd
    import sqlalchemy as sa
    eng = sa.create_engine(dd.url.replace("postgresql://", "postgresql+psycopg2://"))
    try:
        with eng.connect() as c:
            m = c.execute(sa.text("SELECT count(*), sum(a) FROM t")).mappings().one()
            assert (m["count"], m["sum"]) == (1, 1)
            df = pd.read_sql("SELECT max(a), min(b) FROM t", c)
            assert list(df.columns) == ["max", "min"]
    finally:
        eng.dispose()


def test_http_keeps_duckdb_names(dd):
    r = ok_json(dd, "SELECT count(*), 1 + 1 FROM t")
    assert [c["name"] for c in r["columns"]] == ["count_star()", "(1 + 1)"]


INDEX_STATEMENTS = [
    'CREATE TABLE ti (a int, b int, y text, "Mixed Case" int)',
    "CREATE INDEX ON ti (a)",
    "CREATE INDEX ON ti (a)",
    "CREATE TABLE ti_a_idx2 (z int)",
    "CREATE INDEX ON ti (a)",
    "CREATE UNIQUE INDEX ON ti (a, b)",
    "CREATE INDEX ON ti (lower(y))",
    "CREATE INDEX ON ti ((a + b))",
    "CREATE INDEX ON ti (y varchar_pattern_ops)",
    "CREATE INDEX ON ti USING btree (b DESC)",
    'CREATE INDEX ON ti ("Mixed Case")',
    "CREATE INDEX ON ti ((a + 1), (b + 1))",
]


def index_names(dsn, query):
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS ti CASCADE")
        cur.execute("DROP TABLE IF EXISTS ti_a_idx2")
        for s in INDEX_STATEMENTS:
            cur.execute(s)
        cur.execute(query)
        names = [r[0] for r in cur.fetchall()]
        cur.execute("DROP TABLE ti CASCADE")
        cur.execute("DROP TABLE ti_a_idx2")
    conn.close()
    return names


def test_unnamed_index_gets_postgres_name(pg, dd):
    """CREATE INDEX ON t (cols) is named as PostgreSQL's ChooseIndexName names it, with a
    number when the name is taken (by an index or any other relation)."""
    want = index_names(pg.dsn, "SELECT indexname FROM pg_indexes WHERE tablename = 'ti' "
                               "ORDER BY 1")
    got = index_names(dd.dsn, "SELECT index_name FROM duckdb_indexes() WHERE table_name = 'ti' "
                              "ORDER BY 1")
    assert got == want
    assert "ti_a_idx3" in got  # ti_a_idx, ti_a_idx1 (indexes), ti_a_idx2 (a table)
