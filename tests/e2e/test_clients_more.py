"""More Python clients as their users run them: numeric (Decimal) parameters through
psycopg 3's extended protocol, pg8000 (a pure-Python protocol implementation with its own
type OIDs), and the peewee ORM. Debian's python3-pg8000 is 1.10, which predates SCRAM, so it
logs in over the Unix socket by peer authentication."""
import asyncio
import datetime
import decimal
import os
import uuid

import pytest

import asyncpg
import enum
import psycopg2.extensions
import sqlalchemy as sa
from sqlalchemy import orm
import pg8000
import psycopg

from conftest import OS_USER

D = decimal.Decimal


def test_psycopg3_decimal_parameters_are_numbers(server):
    # psycopg 3 declares a Decimal parameter numeric (OID 1700); PostgreSQL keeps it numeric
    # wherever it stands, so arithmetic, comparisons and aggregates over it work.
    with psycopg.connect(server.dsn, autocommit=True, connect_timeout=10) as c:
        c.execute("CREATE TABLE m (id INTEGER, price DECIMAL(10,2), f DOUBLE, b BIGINT)")
        for binary in (False, True):
            cur = c.cursor(binary=binary)
            assert cur.execute("SELECT %s * 2", [D("1.25")]).fetchone()[0] == D("2.5")
            assert cur.description[0].type_code == 1700
            assert cur.execute("SELECT %s + 1", [D("1.25")]).fetchone()[0] == D("2.25")
            assert cur.execute("SELECT %s > 1", [D("1.25")]).fetchone()[0] is True
            assert cur.execute("SELECT round(%s, 1)", [D("1.25")]).fetchone()[0] == D("1.3")
            assert cur.execute("SELECT sum(x) FROM (VALUES (%s), (%s)) t(x)",
                               [D("1.1"), D("2.2")]).fetchone()[0] == D("3.3")
            big = D("12345678901234567890.123456789")
            assert cur.execute("SELECT %s", [big]).fetchone()[0] == big
            # the statement's own cast decides
            assert cur.execute("SELECT %s::numeric(5,2)", [D("1.255")]).fetchone()[0] == D("1.26")
            assert cur.execute("SELECT %s::text", [D("1.5")]).fetchone()[0] == "1.5"
        c.execute("INSERT INTO m VALUES (%s, %s, %s, %s)", [1, D("1.25"), D("2.5"), D("7")])
        c.execute("INSERT INTO m VALUES (%s, %s, %s, %s)", [D("2"), D("3.255"), 1.5, 8])
        c.cursor().executemany("INSERT INTO m VALUES (%s, %s, %s, %s)",
                               [(3, D("9.99"), D("0.1"), D("9")), (4, D("1"), None, None)])
        assert c.execute("SELECT * FROM m ORDER BY id").fetchall() == [
            (1, D("1.25"), 2.5, 7), (2, D("3.26"), 1.5, 8), (3, D("9.99"), 0.1, 9),
            (4, D("1.00"), None, None)]
        assert c.execute("SELECT id FROM m WHERE price > %s ORDER BY id",
                         [D("1.251")]).fetchall() == [(2,), (3,)]
        assert c.execute("SELECT id FROM m WHERE price = %s", [D("1.25")]).fetchall() == [(1,)]
        assert c.execute("UPDATE m SET price = price * %s WHERE id = %s RETURNING price",
                         [D("2"), 1]).fetchall() == [(D("2.50"),)]


def test_generate_subscripts(server):
    with psycopg.connect(server.dsn, autocommit=True, connect_timeout=10) as c:
        assert c.execute("SELECT * FROM generate_subscripts(ARRAY[5, 6, 7], 1) s "
                         "ORDER BY s").fetchall() == [(1,), (2,), (3,)]
        assert c.execute("SELECT generate_subscripts(ARRAY['a', 'b'], 1, true)").fetchall() == [
            (2,), (1,)]
        assert c.execute("SELECT count(*) FROM generate_subscripts(ARRAY[1], 2) s").fetchone() == (0,)
        # int2vector counts from 0, as in PostgreSQL
        c.execute("CREATE TABLE gs (a INTEGER, b INTEGER)")
        c.execute("CREATE INDEX gs_ab ON gs (a, b)")
        assert c.execute("SELECT k FROM pg_index i, generate_subscripts(i.indkey, 1) AS k "
                         "WHERE i.indexrelid = 'gs_ab'::regclass ORDER BY k").fetchall() == [
            (0,), (1,)]


def test_untyped_parameters_take_the_other_operands_type(server):
    # asyncpg declares nothing and encodes by the server's ParameterDescription: PostgreSQL
    # types $1 in `$1 * 2` as integer, in `$1 + 1.5` as numeric.
    async def run():
        c = await asyncpg.connect(server.url, timeout=10)
        try:
            assert await c.fetchval("SELECT $1 * 2", 5) == 10
            assert await c.fetchval("SELECT 2 * $1", 5) == 10
            assert await c.fetchval("SELECT $1 - 3000000000", 5) == 5 - 3000000000
            assert await c.fetchval("SELECT $1 + 1.5", D("1")) == D("2.5")
            assert await c.fetchval("SELECT $1 || 'x'", "a") == "ax"
            assert await c.fetchval("SELECT $1::int * 2", 5) == 10
        finally:
            await c.close()
    asyncio.run(run())


class Mood(enum.Enum):
    happy = "happy"
    sad = "sad"


def test_sqlalchemy_enum_types_survive_a_second_create_all(server):
    # SQLAlchemy's Enum is CREATE TYPE ... AS ENUM, after asking pg_type whether the type
    # exists; an application that calls create_all at every start must find it.
    eng = sa.create_engine("postgresql+psycopg2://test:test-pw@127.0.0.1:%d/test" % server.port)
    base = orm.declarative_base()

    class Pet(base):
        __tablename__ = "pets"
        id = sa.Column(sa.Integer, primary_key=True)
        mood = sa.Column(sa.Enum(Mood))

    try:
        for _ in range(2):
            base.metadata.create_all(eng)
        with orm.Session(eng) as s:
            s.add_all([Pet(mood=Mood.happy), Pet(mood=Mood.sad)])
            s.commit()
            assert s.execute(sa.select(sa.func.count()).select_from(Pet)
                             .where(Pet.mood == Mood.sad)).scalar() == 1
        assert sa.inspect(eng).get_enums() == [
            {"name": "mood", "schema": "main", "visible": True, "labels": ["happy", "sad"]}]
        base.metadata.drop_all(eng)  # drops the table, then the type
        assert sa.inspect(eng).get_enums() == []
        base.metadata.create_all(eng)
    finally:
        eng.dispose()


def pg8000_connect(server):
    return pg8000.connect(user=OS_USER, database="test",
                          unix_sock=os.path.join(server.socket_dir, ".s.PGSQL.%d" % server.port))


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # pg8000 1.10 uses distutils
def test_pg8000(server):
    con = pg8000_connect(server)
    try:
        cur = con.cursor()
        cur.execute("CREATE TABLE t (id SERIAL PRIMARY KEY, name TEXT, v NUMERIC(10,2), "
                    "ts TIMESTAMPTZ DEFAULT now(), j JSONB, b BYTEA, arr INTEGER[])")
        cur.execute("INSERT INTO t (name, v, j, b, arr) VALUES (%s, %s, %s, %s, %s) RETURNING id",
                    ("a", D("1.5"), '{"x": 1}', b"\x00\x01", [1, 2, 3]))
        assert cur.fetchall() == ([1],)
        cur.executemany("INSERT INTO t (name, v) VALUES (%s, %s)", [("b", 2), ("c", None)])
        con.commit()
        cur.execute("SELECT id, name, v, j, b, arr FROM t ORDER BY id")
        assert [list(r) for r in cur.fetchall()] == [
            [1, "a", D("1.50"), {"x": 1}, b"\x00\x01", [1, 2, 3]],
            [2, "b", D("2.00"), None, None, None],
            [3, "c", None, None, None, None]]
        cur.execute("SELECT ts FROM t WHERE id = 1")
        assert isinstance(cur.fetchone()[0], datetime.datetime)
        u = uuid.UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")
        cur.execute("SELECT %s::date, %s, %s, %s, %s, %s * 2",
                    ("2024-01-02", u, datetime.timedelta(days=1), True,
                     datetime.datetime(2024, 1, 2, 3, 4, 5), D("1.25")))
        assert list(cur.fetchone()) == [datetime.date(2024, 1, 2), u, datetime.timedelta(days=1),
                                        True, datetime.datetime(2024, 1, 2, 3, 4, 5), D("2.5")]
        with pytest.raises(pg8000.ProgrammingError) as e:
            cur.execute("SELECT * FROM nosuch")
        assert "42P01" in str(e.value)
        con.rollback()
        cur.execute("SELECT count(*) FROM t")
        assert cur.fetchone()[0] == 3
    finally:
        con.close()


@pytest.fixture
def pw():
    """peewee, imported only here: peewee.py calls psycopg2's register_uuid() when imported,
    which changes what every psycopg2 connection in this pytest process returns for uuid
    columns (UUID objects instead of str). The fixture puts psycopg2's process-wide
    typecasters back when the test ends, so the other test files see stock psycopg2."""
    casters = psycopg2.extensions.string_types
    saved = {oid: casters.get(oid) for oid in (2950, 2951)}  # uuid, uuid[]
    import peewee
    yield peewee
    for oid, caster in saved.items():
        if caster is None:
            casters.pop(oid, None)
        else:
            casters[oid] = caster


def test_peewee_orm(server, pw):
    db = pw.PostgresqlDatabase("test", user="test", host="127.0.0.1", port=server.port,
                               password="test-pw")

    class Base(pw.Model):
        class Meta:
            database = db

    class Author(Base):
        name = pw.CharField(unique=True)
        born = pw.DateField(null=True)

    class Book(Base):
        author = pw.ForeignKeyField(Author, backref="books")
        title = pw.TextField()
        price = pw.DecimalField(max_digits=10, decimal_places=2)
        published = pw.DateTimeField(default=datetime.datetime(2024, 1, 2, 3, 4, 5))
        rating = pw.FloatField(null=True)
        flag = pw.BooleanField(default=False)

    db.connect()
    try:
        db.create_tables([Author, Book])
        a = Author.create(name="Ann", born=datetime.date(1970, 1, 2))
        b = Author.create(name="Bob")
        assert (a.id, b.id) == (1, 2)
        with db.atomic():
            for i in range(5):
                Book.create(author=a if i % 2 else b, title="t%d" % i, price=D("9.99") + i,
                            rating=i / 2)
        Book.insert_many([{"author": a, "title": "bulk%d" % i, "price": 1}
                          for i in range(3)]).execute()
        q = (Author.select(Author.name, pw.fn.COUNT(Book.id).alias("n"),
                           pw.fn.SUM(Book.price).alias("total"))
             .join(Book).group_by(Author.name).order_by(Author.name))
        assert [(r.name, r.n, r.total) for r in q] == [("Ann", 5, D("26.98")),
                                                      ("Bob", 3, D("35.97"))]
        assert [bk.title for bk in Book.select().where(Book.price > D("10.5"))
                .order_by(Book.id)] == ["t1", "t2", "t3", "t4"]
        Book.update(price=Book.price * 2).where(Book.title == "t1").execute()
        assert Book.get(Book.title == "t1").price == D("21.98")
        assert Book.get(Book.title == "t1").author.name == "Ann"
        with pytest.raises(pw.IntegrityError):
            with db.atomic():
                Author.create(name="Ann")
        with db.atomic() as txn:
            Author.create(name="Cid")
            txn.rollback()
        assert Author.select().count() == 2
        assert Book.select().order_by(Book.id).paginate(2, 3).count() == 3
        assert Book.delete().where(Book.flag == False).execute() == 8  # noqa: E712
        # peewee's introspection reads the catalogs (generate_subscripts of pg_index.indkey);
        # DuckDB's default schema is main where PostgreSQL's is public (docs/COMPATIBILITY.md)
        idx = db.get_indexes("author", schema="main")
        assert [(i.name, i.columns, i.unique) for i in idx] == [("author_name", ["name"], True)]
        assert db.get_tables(schema="main") == ["author", "book"]
        assert db.get_primary_keys("book", schema="main") == ["id"]
    finally:
        db.close()
