"""Python client matrix: psycopg2 (text, client-side parameters), psycopg 3 (extended protocol,
text and binary results, server-side prepared statements), asyncpg (binary everything, type
introspection), SQLAlchemy 1.4 Core and ORM over psycopg2 and asyncpg, and pandas.read_sql.

Every client creates the same table holding one value of each type duckd maps (see
docs/COMPATIBILITY.md) plus a row of NULLs, reads both back and checks the values as that
library decodes them; runs queries with and without parameters; and rolls a transaction back.
"""

import asyncio
import datetime
import decimal
import json
import uuid
import warnings
from contextlib import closing

import pytest

import asyncpg
import pandas as pd
import psycopg
import psycopg2
import psycopg2.extras
import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

D = decimal.Decimal
UTC = datetime.timezone.utc

CREATE_SQL = """
CREATE TABLE alltypes (
    id INTEGER PRIMARY KEY,
    b BOOLEAN, i2 SMALLINT, i4 INTEGER, i8 BIGINT, hi HUGEINT,
    d18 DECIMAL(18,3), d38 DECIMAL(38,10), f4 REAL, f8 DOUBLE,
    s VARCHAR, bl BLOB, dt DATE, tm TIME, ts TIMESTAMP, tstz TIMESTAMPTZ, iv INTERVAL,
    u UUID, j JSON, li INTEGER[], ls VARCHAR[], st STRUCT(a INTEGER, b VARCHAR),
    mp MAP(VARCHAR, INTEGER))
"""

INSERT_SQL = """
INSERT INTO alltypes VALUES (1, true, -12345, 2147483647, 9223372036854775807,
    170141183460469231731687303715884105727, 1.250, 12345678901234567890.0123456789,
    1.5, 2.25, 'héllo, "world"', '\\x00\\x01\\xff'::BLOB, DATE '2024-02-29',
    TIME '13:45:06.5', TIMESTAMP '2024-02-29 13:45:06.123456',
    TIMESTAMPTZ '2024-02-29 13:45:06.5+00', INTERVAL '1 year 2 months 3 days 04:05:06.5',
    'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"k": [1, 2, null]}', [1, 2, NULL],
    ['a', 'b c', NULL], {'a': 1, 'b': 'x'}, MAP {'k': 1});
INSERT INTO alltypes (id) VALUES (2)
"""

COLUMNS = ["id", "b", "i2", "i4", "i8", "hi", "d18", "d38", "f4", "f8", "s", "bl", "dt", "tm",
           "ts", "tstz", "iv", "u", "j", "li", "ls", "st", "mp"]
SELECT_SQL = "SELECT %s FROM alltypes WHERE id = 1" % ", ".join(COLUMNS)
SELECT_NULLS_SQL = "SELECT %s FROM alltypes WHERE id = 2" % ", ".join(COLUMNS)

# The interval 1 year 2 mons 3 days 04:05:06.5 as Python drivers turn it into a timedelta:
# a year counts 365 days and a month 30.
INTERVAL = datetime.timedelta(days=365 + 2 * 30 + 3, hours=4, minutes=5, seconds=6.5)

EXPECTED = {
    "id": 1, "b": True, "i2": -12345, "i4": 2147483647, "i8": 9223372036854775807,
    "hi": D("170141183460469231731687303715884105727"), "d18": D("1.250"),
    "d38": D("12345678901234567890.0123456789"), "f4": 1.5, "f8": 2.25,
    "s": 'héllo, "world"', "bl": b"\x00\x01\xff", "dt": datetime.date(2024, 2, 29),
    "tm": datetime.time(13, 45, 6, 500000),
    "ts": datetime.datetime(2024, 2, 29, 13, 45, 6, 123456),
    "tstz": datetime.datetime(2024, 2, 29, 13, 45, 6, 500000, tzinfo=UTC),
    "iv": INTERVAL, "u": uuid.UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
    "j": {"k": [1, 2, None]}, "li": [1, 2, None], "ls": ["a", "b c", None],
    "st": {"a": 1, "b": "x"}, "mp": {"k": 1},
}


def check_row(row, expected=EXPECTED, convert=None):
    """Compares a fetched row (sequence in COLUMNS order) with the expected values; decimals
    must keep their scale. `convert` maps column -> function applied to the fetched value
    first, for what a library returns in its own types (memoryview, JSON text)."""
    got = dict(zip(COLUMNS, row))
    for col in COLUMNS:
        value = got[col]
        if convert and col in convert:
            value = convert[col](value)
        want = expected[col]
        assert value == want, "column %s: got %r, want %r" % (col, value, want)
        if isinstance(want, D):
            assert str(value) == str(want), "column %s: scale of %r" % (col, value)


def check_nulls(row):
    assert row[0] == 2
    assert list(row[1:]) == [None] * (len(COLUMNS) - 1)


def create_table(execute):
    for sql in (CREATE_SQL, INSERT_SQL):
        execute(sql)


# ---------------------------------------------------------------- psycopg2 (libpq, text)

def p2connect(srv, **kw):
    conn = psycopg2.connect(srv.dsn, connect_timeout=10, **kw)
    psycopg2.extras.register_uuid(conn_or_curs=conn)
    return conn


def test_psycopg2_types(server):
    with closing(p2connect(server)) as c:
        c.autocommit = True
        cur = c.cursor()
        create_table(cur.execute)
        cur.execute(SELECT_SQL)
        assert [d.name for d in cur.description] == COLUMNS
        check_row(cur.fetchone(), convert={"bl": bytes})
        cur.execute(SELECT_NULLS_SQL)
        check_nulls(cur.fetchone())


def test_psycopg2_parameters_and_rollback(server):
    with closing(p2connect(server)) as c:
        cur = c.cursor()
        cur.execute("CREATE TABLE p (id INTEGER, d DECIMAL(18,3), dt DATE, ts TIMESTAMPTZ, "
                    "bl BLOB, u UUID, s VARCHAR, li INTEGER[])")
        c.commit()
        row = (1, D("-7.125"), datetime.date(1999, 12, 31),
               datetime.datetime(2024, 1, 2, 3, 4, 5, 600000, tzinfo=UTC), b"\x00\xfe'\\",
               uuid.UUID("12345678-1234-5678-1234-567812345678"), "it's", [3, None, 4])
        cur.execute("INSERT INTO p VALUES (%s, %s, %s, %s, %s, %s, %s, %s)", row)
        c.commit()
        cur.execute("SELECT * FROM p WHERE id = %(id)s AND s = %(s)s", {"id": 1, "s": "it's"})
        got = cur.fetchone()
        assert got[:4] == row[:4] and bytes(got[4]) == row[4] and got[5:] == row[5:]
        assert str(got[1]) == "-7.125"
        # a transaction rolled back leaves nothing behind
        cur.execute("INSERT INTO p (id) VALUES (2)")
        cur.execute("SELECT count(*) FROM p")
        assert cur.fetchone() == (2,)
        c.rollback()
        cur.execute("SELECT count(*) FROM p")
        assert cur.fetchone() == (1,)
        c.rollback()


# ---------------------------------------------------------------- psycopg 3

def p3connect(srv, **kw):
    return psycopg.connect(srv.dsn, connect_timeout=10, **kw)


def test_psycopg3_text_types(server):
    with p3connect(server, autocommit=True) as c:
        create_table(c.execute)
        cur = c.execute(SELECT_SQL)
        assert [d.name for d in cur.description] == COLUMNS
        check_row(cur.fetchone())
        check_nulls(c.execute(SELECT_NULLS_SQL).fetchone())


def test_psycopg3_binary_types(server):
    with p3connect(server, autocommit=True) as c:
        create_table(c.execute)
        cur = c.cursor(binary=True)
        cur.execute(SELECT_SQL)
        check_row(cur.fetchone())
        cur.execute(SELECT_NULLS_SQL)
        check_nulls(cur.fetchone())


def test_psycopg3_prepared_parameters(server):
    with p3connect(server, autocommit=True) as c:
        create_table(c.execute)
        sql = ("SELECT id, s, d18, dt, tstz, bl, u FROM alltypes "
               "WHERE id = %s AND d18 = %s AND dt = %s AND tstz = %s AND bl = %s AND u = %s")
        args = (1, D("1.250"), datetime.date(2024, 2, 29), EXPECTED["tstz"], b"\x00\x01\xff",
                EXPECTED["u"])
        for binary in (False, True):
            cur = c.cursor(binary=binary)
            for _ in range(3):  # prepare=True: Parse once, then Bind/Execute the named statement
                cur.execute(sql, args, prepare=True)
                assert cur.fetchall() == [(1, EXPECTED["s"], D("1.250"), datetime.date(2024, 2, 29),
                                           EXPECTED["tstz"], b"\x00\x01\xff", EXPECTED["u"])]
        cur = c.execute("SELECT %s::INTEGER + 1, %s::VARCHAR, %s::BOOLEAN, %s::DOUBLE",
                        (41, "x", None, 0.5), prepare=True)
        assert cur.fetchone() == (42, "x", None, 0.5)


def test_psycopg3_transaction_rollback(server):
    # Connection.transaction() in autocommit mode is BEGIN ... COMMIT / ROLLBACK. (Nested
    # blocks, and transaction() inside an implicit transaction, use SAVEPOINT, which DuckDB
    # does not have: duckd answers 0A000.)
    with p3connect(server, autocommit=True) as c:
        c.execute("CREATE TABLE r (x INTEGER)")
        with pytest.raises(ZeroDivisionError):
            with c.transaction():
                c.execute("INSERT INTO r VALUES (%s)", (1,))
                1 / 0
        assert c.execute("SELECT count(*) FROM r").fetchone() == (0,)
        with c.transaction():
            c.execute("INSERT INTO r VALUES (%s)", (2,))
        assert c.execute("SELECT x FROM r").fetchall() == [(2,)]
    with p3connect(server) as c:  # implicit transactions: commit() / rollback()
        c.execute("INSERT INTO r VALUES (%s)", (3,))
        c.rollback()
        c.execute("INSERT INTO r VALUES (%s)", (4,))
        c.commit()
        assert c.execute("SELECT x FROM r ORDER BY x").fetchall() == [(2,), (4,)]


# ---------------------------------------------------------------- asyncpg

def run_async(coro, timeout=60):
    return asyncio.run(asyncio.wait_for(coro, timeout))


async def aconnect(srv):
    return await asyncpg.connect(host="127.0.0.1", port=srv.port, user="test", database="test",
                                 timeout=10)


# asyncpg decodes json as its text (no codec registered), and a one-dimensional array of a
# type it has no built-in codec for (int4[] is one) only after introspecting pg_type.
ASYNCPG_CONVERT = {"j": json.loads, "st": json.loads, "mp": json.loads}
SCALARS = [c for c in COLUMNS if c not in ("li", "ls")]


def test_asyncpg_types(server):
    async def run():
        c = await aconnect(server)
        try:
            for sql in (CREATE_SQL, INSERT_SQL):
                await c.execute(sql)
            row = await c.fetchrow("SELECT %s FROM alltypes WHERE id = 1" % ", ".join(SCALARS))
            exp = {k: EXPECTED[k] for k in SCALARS}
            got = dict(row)
            for k in SCALARS:
                v = ASYNCPG_CONVERT[k](got[k]) if k in ASYNCPG_CONVERT else got[k]
                assert v == exp[k], (k, got[k])
                if isinstance(exp[k], D):
                    assert str(v) == str(exp[k])
            row = await c.fetchrow("SELECT %s FROM alltypes WHERE id = 2" % ", ".join(SCALARS))
            assert list(row.values())[1:] == [None] * (len(SCALARS) - 1)
        finally:
            await c.close()
    run_async(run())


def test_asyncpg_arrays(server):
    async def run():
        c = await aconnect(server)
        try:
            for sql in (CREATE_SQL, INSERT_SQL):
                await c.execute(sql)
            row = await c.fetchrow("SELECT li, ls FROM alltypes WHERE id = 1")
            assert row["li"] == [1, 2, None] and row["ls"] == ["a", "b c", None]
            assert await c.fetchval("SELECT $1::INTEGER[]", [5, None]) == [5, None]
        finally:
            await c.close()
    run_async(run())


def test_asyncpg_describes_statements_duckdb_binds_at_execution(server):
    """DuckDB binds array_length/len of a parameter again at execution and cannot type the
    result before; asyncpg describes every statement before binding it, so duckd describes such
    a SELECT from a probe: the real columns (a duplicate name gets DuckDB's _1 suffix, in the
    rows too), inside a transaction that stays usable."""
    async def run():
        c = await aconnect(server)
        try:
            await c.execute("CREATE TABLE rb (id INTEGER, s VARCHAR)")
            await c.execute("INSERT INTO rb VALUES (1, 'a'), (2, 'b'), (3, 'c')")
            async with c.transaction():
                st = await c.prepare("SELECT $1::TEXT[] AS t, array_length($2::TEXT[], 1) AS n, "
                                     "len($1::TEXT[]) AS n")
                assert [(a.name, a.type.name) for a in st.get_attributes()] == [
                    ("t", "text[]"), ("n", "int8"), ("n_1", "int8")]
                assert tuple(await st.fetchrow(["a", None], ["x", "y", "z"])) == (
                    ["a", None], 3, 2)
                st = await c.prepare("SELECT id, s FROM rb WHERE id = ANY($1::INTEGER[]) "
                                     "AND len($1::INTEGER[]) > 1 ORDER BY id")
                assert [(a.name, a.type.name) for a in st.get_attributes()] == [
                    ("id", "int4"), ("s", "text")]
                assert [tuple(r) for r in await st.fetch([1, 3])] == [(1, "a"), (3, "c")]
                assert await st.fetch([1]) == []
                assert await c.fetchval("SELECT len($1) AS n", "abc") == 3
                await c.execute("INSERT INTO rb VALUES (4, 'd')")
            assert await c.fetchval("SELECT count(*) FROM rb") == 4
        finally:
            await c.close()
    run_async(run())


def test_asyncpg_parameters_prepared_and_rollback(server):
    async def run():
        c = await aconnect(server)
        try:
            await c.execute("CREATE TABLE a (id INTEGER PRIMARY KEY, d DECIMAL(18,3), s VARCHAR, "
                            "ts TIMESTAMP, dt DATE, u UUID, bl BLOB, f DOUBLE, ok BOOLEAN)")
            vals = (1, D("12.500"), "x'y", datetime.datetime(2020, 5, 6, 7, 8, 9, 10),
                    datetime.date(2020, 5, 6), uuid.UUID(int=7), b"\x01\x02", 0.25, False)
            await c.execute("INSERT INTO a VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)", *vals)
            stmt = await c.prepare("SELECT * FROM a WHERE id = $1")
            for _ in range(2):
                row = await stmt.fetchrow(1)
                assert tuple(row) == vals
                assert str(row["d"]) == "12.500"
            assert await stmt.fetchrow(2) is None
            with pytest.raises(RuntimeError):
                async with c.transaction():
                    await c.execute("INSERT INTO a (id) VALUES ($1)", 2)
                    assert await c.fetchval("SELECT count(*) FROM a") == 2
                    raise RuntimeError("roll back")
            assert await c.fetchval("SELECT count(*) FROM a") == 1
            async with c.transaction():
                await c.execute("INSERT INTO a (id) VALUES ($1)", 3)
            assert await c.fetchval("SELECT count(*) FROM a") == 2
            with pytest.raises(asyncpg.UniqueViolationError):
                await c.execute("INSERT INTO a (id) VALUES (1)")
            assert await c.fetchval("SELECT 40 + 2") == 42
        finally:
            await c.close()
    run_async(run())


# ---------------------------------------------------------------- SQLAlchemy 1.4

metadata = sa.MetaData()
items = sa.Table(
    "items", metadata,
    # Ids are given here (autoincrement=False); test_serial.py covers SERIAL autoincrement keys.
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("name", sa.String(50), nullable=False),
    sa.Column("price", sa.Numeric(18, 3)),
    sa.Column("created", sa.DateTime),
    sa.Column("flag", sa.Boolean),
)

Base = orm.declarative_base()


class Person(Base):
    __tablename__ = "people"
    id = sa.Column(sa.Integer, primary_key=True, autoincrement=False)
    name = sa.Column(sa.String, nullable=False)
    born = sa.Column(sa.Date)
    score = sa.Column(sa.Float)


def sa_url(srv, driver):
    return "postgresql+%s://test@127.0.0.1:%d/test" % (driver, srv.port)


def exercise_core(conn_factory, engine):
    """Core: DDL with has_table checks, inserts with parameters, selects, rollback."""
    metadata.create_all(engine)
    metadata.create_all(engine)  # checkfirst: has_table() finds the table now
    created = datetime.datetime(2024, 3, 1, 12, 30, 15, 250000)
    with engine.begin() as conn:
        conn.execute(items.insert(), [
            {"id": 1, "name": "apple", "price": D("1.250"), "created": created, "flag": True},
            {"id": 2, "name": "pear", "price": None, "created": None, "flag": False},
        ])
    with engine.connect() as conn:
        rows = conn.execute(sa.select(items).order_by(items.c.id)).fetchall()
        assert [tuple(r) for r in rows] == [(1, "apple", D("1.250"), created, True),
                                            (2, "pear", None, None, False)]
        n = conn.execute(sa.select(sa.func.count()).select_from(items)
                         .where(items.c.name.like(sa.bindparam("p")))
                         .where(items.c.price > sa.bindparam("min")),
                         {"p": "a%", "min": D("1")}).scalar()
        assert n == 1
        assert conn.execute(sa.text("select 1 + 1")).scalar() == 2
    with pytest.raises(RuntimeError):
        with engine.begin() as conn:
            conn.execute(items.insert(), {"id": 3, "name": "plum"})
            raise RuntimeError("roll back")
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(items)).scalar() == 2


def exercise_reflection(engine):
    insp = sa.inspect(engine)
    assert "items" in insp.get_table_names()
    assert insp.has_table("items") and not insp.has_table("nope")
    cols = {c["name"]: c for c in insp.get_columns("items")}
    assert list(cols) == ["id", "name", "price", "created", "flag"]
    assert isinstance(cols["id"]["type"], sa.Integer)
    assert isinstance(cols["price"]["type"], sa.Numeric)
    assert (cols["price"]["type"].precision, cols["price"]["type"].scale) == (18, 3)
    assert isinstance(cols["created"]["type"], sa.DateTime)
    assert isinstance(cols["flag"]["type"], sa.Boolean)
    assert cols["name"]["nullable"] is False and cols["price"]["nullable"] is True
    reflected = sa.Table("items", sa.MetaData(), autoload_with=engine)
    assert [c.name for c in reflected.columns] == ["id", "name", "price", "created", "flag"]


def exercise_orm(engine):
    Base.metadata.create_all(engine)
    with orm.Session(engine) as session:
        session.add_all([Person(id=1, name="Ada", born=datetime.date(1815, 12, 10), score=9.5),
                         Person(id=2, name="Alan", born=datetime.date(1912, 6, 23), score=8.0)])
        session.commit()
    with orm.Session(engine) as session:
        ada = session.get(Person, 1)
        assert (ada.name, ada.born, ada.score) == ("Ada", datetime.date(1815, 12, 10), 9.5)
        ada.score = 10.0
        session.add(Person(id=3, name="Grace"))
        session.flush()
        assert session.query(Person).count() == 3
        session.rollback()
        assert session.get(Person, 1).score == 9.5
        assert session.query(Person).count() == 2
        names = [p.name for p in session.query(Person).filter(Person.name.startswith("A"))
                 .order_by(Person.id)]
        assert names == ["Ada", "Alan"]


def test_sqlalchemy_psycopg2_core_orm_reflection(server):
    engine = sa.create_engine(sa_url(server, "psycopg2"), future=True)
    try:
        exercise_core(None, engine)
        exercise_reflection(engine)
        exercise_orm(engine)
    finally:
        engine.dispose()


def test_sqlalchemy_asyncpg_core_orm(server):
    async def run():
        engine = create_async_engine(sa_url(server, "asyncpg"))
        try:
            async with engine.begin() as conn:
                await conn.run_sync(metadata.create_all)
                await conn.run_sync(Base.metadata.create_all)
            created = datetime.datetime(2024, 3, 1, 12, 30, 15, 250000)
            async with engine.begin() as conn:
                await conn.execute(items.insert(), [
                    {"id": 1, "name": "apple", "price": D("1.250"), "created": created,
                     "flag": True},
                    {"id": 2, "name": "pear", "price": None, "created": None, "flag": False}])
            async with engine.connect() as conn:
                rows = (await conn.execute(sa.select(items).order_by(items.c.id))).fetchall()
                assert [tuple(r) for r in rows] == [(1, "apple", D("1.250"), created, True),
                                                    (2, "pear", None, None, False)]
                got = (await conn.execute(sa.select(items.c.name).where(
                    items.c.price == sa.bindparam("p")), {"p": D("1.25")})).scalar()
                assert got == "apple"
                assert (await conn.execute(sa.text("select 40 + 2"))).scalar() == 42
                names = await conn.run_sync(lambda c: sa.inspect(c).get_table_names())
                assert {"items", "people"} <= set(names)
            with pytest.raises(RuntimeError):
                async with engine.begin() as conn:
                    await conn.execute(items.insert(), {"id": 3, "name": "plum"})
                    raise RuntimeError("roll back")
            async with AsyncSession(engine) as session:
                session.add(Person(id=1, name="Ada", born=datetime.date(1815, 12, 10),
                                   score=9.5))
                await session.commit()
                ada = await session.get(Person, 1)
                assert (ada.name, ada.born) == ("Ada", datetime.date(1815, 12, 10))
                session.add(Person(id=2, name="Alan"))
                await session.flush()
                await session.rollback()
                n = (await session.execute(sa.select(sa.func.count()).select_from(Person)))
                assert n.scalar() == 1
            async with engine.connect() as conn:
                n = (await conn.execute(sa.select(sa.func.count()).select_from(items))).scalar()
                assert n == 2
        finally:
            await engine.dispose()
    run_async(run())


# ---------------------------------------------------------------- pandas

# pandas 1.5 calls SQLAlchemy APIs that 1.4 flags as removed in 2.0
@pytest.mark.filterwarnings("ignore::sqlalchemy.exc.RemovedIn20Warning")
def test_pandas_read_sql(server):
    engine = sa.create_engine(sa_url(server, "psycopg2"))
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE m (id INTEGER, x DOUBLE, s VARCHAR, d DATE, "
                                 "n DECIMAL(10,2))")
            conn.exec_driver_sql("INSERT INTO m VALUES (1, 0.5, 'a', DATE '2024-01-02', 1.50), "
                                 "(2, NULL, NULL, NULL, NULL), (3, 2.5, 'c', DATE '2024-01-04', 3)")
        df = pd.read_sql("SELECT * FROM m ORDER BY id", engine)
        assert list(df.columns) == ["id", "x", "s", "d", "n"]
        assert df["id"].tolist() == [1, 2, 3]
        assert df["x"].tolist()[0] == 0.5 and pd.isna(df["x"][1])
        assert df["s"].tolist() == ["a", None, "c"]
        assert df["d"].tolist() == [datetime.date(2024, 1, 2), None, datetime.date(2024, 1, 4)]
        assert df["n"].tolist()[0] == D("1.50")
        df = pd.read_sql(sa.text("SELECT id FROM m WHERE x > :v ORDER BY id"), engine,
                         params={"v": 1})
        assert df["id"].tolist() == [3]
        df = pd.read_sql_table("m", engine)  # reflection through SQLAlchemy
        assert len(df) == 3 and list(df.columns) == ["id", "x", "s", "d", "n"]
        with closing(psycopg2.connect(server.dsn, connect_timeout=10)) as c:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # "only SQLAlchemy is supported"
                df = pd.read_sql("SELECT id, s FROM m WHERE id <> %s ORDER BY id", c,
                                 params=(2,))
            assert df.values.tolist() == [[1, "a"], [3, "c"]]
    finally:
        engine.dispose()
