"""Catalog metadata as PostgreSQL clients read it: one schema (primary keys, a composite key,
UNIQUE constraints, CREATE [UNIQUE] INDEX on columns and on an expression, a foreign key,
CHECK, NOT NULL, defaults, array columns, numeric/varchar modifiers, a view, a sequence, a
second schema) is created on duckd and on a scratch PostgreSQL 15, and what psql's \\d
commands, SQLAlchemy's inspector (psycopg2 and asyncpg) and Django's introspection report is
compared. The PostgreSQL side is skipped only when its binaries are missing.

The differences that cannot be removed are normalised here, each for a stated reason (see
docs/COMPATIBILITY.md, "Catalogs"):
  - DuckDB's default schema is `main` (PostgreSQL's is `public`, owned by pg_database_owner);
  - DuckDB keeps no varchar length: VARCHAR(n) columns are text;
  - DuckDB prints a CHECK expression without PostgreSQL's implicit casts (`0` vs `0::numeric`);
  - current_database() is DuckDB's catalog name (memory), not the name the client sent."""

import asyncio
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import warnings

import psycopg2
import pytest

from conftest import PASSWORDS, free_port

PGBIN = "/usr/lib/postgresql/15/bin"

SCHEMA = [
    "CREATE SCHEMA other",
    "CREATE SEQUENCE item_seq",
    "CREATE TABLE authors (id INTEGER PRIMARY KEY, name VARCHAR(100) NOT NULL, "
    "email VARCHAR UNIQUE)",
    "CREATE TABLE books (id INTEGER DEFAULT nextval('item_seq') PRIMARY KEY, "
    "author_id INTEGER NOT NULL REFERENCES authors (id), title TEXT NOT NULL, "
    "price DECIMAL(10,2) DEFAULT 0 CHECK (price >= 0), tags TEXT[], scores INTEGER[], "
    "published DATE, UNIQUE (author_id, title))",
    "CREATE TABLE line (order_id INTEGER, line_no INTEGER, qty INTEGER NOT NULL DEFAULT 1, "
    "PRIMARY KEY (order_id, line_no))",
    "CREATE INDEX books_published_idx ON books (published)",
    "CREATE UNIQUE INDEX books_title_pub_idx ON books (title, published)",
    "CREATE INDEX books_lower_title_idx ON books (lower(title))",
    "CREATE VIEW book_titles AS SELECT id, title FROM books",
    "CREATE TABLE other.things (id BIGINT PRIMARY KEY, label VARCHAR(20))",
    'CREATE TABLE "Mixed" ("Col A" INTEGER PRIMARY KEY, b INTEGER, u INTEGER, UNIQUE (b, u))',
    'CREATE TABLE kid (id INTEGER, pb INTEGER, pu INTEGER, FOREIGN KEY (pb, pu) '
    'REFERENCES "Mixed" (b, u))',
]

TABLES = ["authors", "books", "line"]


def as_postgres(cmd):
    """Runs a PostgreSQL server binary, as the postgres user when we are root (initdb refuses
    root)."""
    if os.geteuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--"] + cmd
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180)


class ScratchPostgres:
    """A PostgreSQL 15 in a temporary directory on a free loopback port, superuser "test"."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="dkdpg")
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        self.data = os.path.join(self.dir, "data")
        self.port = free_port()
        res = as_postgres([PGBIN + "/initdb", "-D", self.data, "-A", "trust", "-U", "test",
                           "-E", "UTF8", "--locale=C.UTF-8"])
        assert res.returncode == 0, res.stdout + res.stderr
        opts = "-c listen_addresses=127.0.0.1 -p %d -k %s -c fsync=off" % (self.port, self.dir)
        res = as_postgres([PGBIN + "/pg_ctl", "-D", self.data, "-l",
                           os.path.join(self.dir, "pg.log"), "-o", opts, "-w", "-t", "120",
                           "start"])
        assert res.returncode == 0, res.stdout + res.stderr
        self.dsn = "host=127.0.0.1 port=%d user=test dbname=postgres" % self.port
        self.url = "postgresql://test@127.0.0.1:%d/postgres" % self.port

    def stop(self):
        as_postgres([PGBIN + "/pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop"])
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def pg():
    if not os.path.exists(PGBIN + "/initdb"):
        pytest.skip("PostgreSQL 15 server binaries are not installed (%s)" % PGBIN)
    p = ScratchPostgres()
    try:
        run_schema(p.dsn)
        yield p
    finally:
        p.stop()


@pytest.fixture
def dd(server):
    run_schema(server.dsn)
    server.url_sa = server.url
    return server


def run_schema(dsn):
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    with conn.cursor() as cur:
        for stmt in SCHEMA:
            cur.execute(stmt)
    conn.close()


# ------------------------------------------------------------------------------ psql \d

def psql(dsn, command):
    res = subprocess.run(["psql", "-X", "-d", dsn, "-c", command], capture_output=True,
                         text=True, timeout=60)
    assert res.returncode == 0 and not res.stderr, command + "\n" + res.stdout + res.stderr
    return res.stdout


def normalise_pg(text):
    """PostgreSQL's answer with the stated differences taken out."""
    text = re.sub(r"character varying(\(\d+\))?", "text", text)
    text = text.replace("0::numeric", "0")
    text = text.replace("pg_database_owner", "test")
    return re.sub(r"\bpublic\b", "main", text)


def squeeze(text):
    """psql's aligned output without padding (normalising a name changes column widths), the
    rows of a list sorted (renaming public to main changes the order of \\dn)."""
    lines = [re.sub(r"\s+", " ", re.sub(r"-+", "-", line)).strip() for line in text.splitlines()]
    if len(lines) > 3 and lines[2].startswith("-+") and re.match(r"\(\d+ rows?\)", lines[-2]):
        lines[3:-2] = sorted(lines[3:-2])
    return lines


PSQL_COMMANDS = ["\\d books", "\\d+ books", "\\d authors", "\\d line", "\\d other.things",
                 "\\d book_titles", "\\d item_seq", "\\d books_pkey", "\\d books_lower_title_idx",
                 '\\d "Mixed"', "\\d kid", "\\dt", "\\dt other.*", "\\di", "\\ds", "\\dv", "\\dn"]


@pytest.mark.parametrize("command", PSQL_COMMANDS)
def test_psql_describe_matches_postgres(pg, dd, command):
    want = squeeze(normalise_pg(psql(pg.dsn, command)))
    got = squeeze(psql(dd.dsn, command))
    assert got == want


def test_psql_describe_sections(dd):
    """What psql shows for a table with every kind of constraint, without a PostgreSQL."""
    out = psql(dd.dsn, "\\d books")
    for line in ['"books_pkey" PRIMARY KEY, btree (id)',
                 '"books_author_id_title_key" UNIQUE CONSTRAINT, btree (author_id, title)',
                 '"books_lower_title_idx" btree (lower(title))',
                 '"books_title_pub_idx" UNIQUE, btree (title, published)',
                 '"books_price_check" CHECK (price >= 0)',
                 '"books_author_id_fkey" FOREIGN KEY (author_id) REFERENCES authors(id)',
                 "nextval('item_seq'::regclass)", "text[]", "integer[]", "numeric(10,2)"]:
        assert line in out, out
    out = psql(dd.dsn, "\\d authors")
    assert 'TABLE "books" CONSTRAINT "books_author_id_fkey" FOREIGN KEY (author_id) ' \
        'REFERENCES authors(id)' in out, out


# ------------------------------------------------------------------------------ SQLAlchemy

def inspect_all(insp, schema=None):
    """Everything SQLAlchemy's inspector reports for the schema, as plain data."""
    out = {"schemas": sorted(insp.get_schema_names()),
           "tables": sorted(insp.get_table_names(schema)),
           "views": insp.get_view_names(schema),
           "has": (insp.has_table("books", schema), insp.has_table("nope", schema))}
    for t in TABLES:
        out[t + ".columns"] = [(c["name"], str(c["type"]), c["nullable"], c["default"],
                                c.get("autoincrement"))
                               for c in insp.get_columns(t, schema)]
        out[t + ".pk"] = insp.get_pk_constraint(t, schema)
        out[t + ".fk"] = insp.get_foreign_keys(t, schema)
        out[t + ".indexes"] = insp.get_indexes(t, schema)
        out[t + ".unique"] = insp.get_unique_constraints(t, schema)
        out[t + ".checks"] = insp.get_check_constraints(t, schema)
    out["other.things.pk"] = insp.get_pk_constraint("things", "other")
    out["other.things.columns"] = [c["name"] for c in insp.get_columns("things", "other")]
    out["other.tables"] = insp.get_table_names("other")
    return out


def normalise_sa(d):
    d = dict(d, schemas=sorted(n.replace("public", "main") for n in d["schemas"]))
    text = repr(d)
    text = re.sub(r"VARCHAR(\(\d+\))?", "TEXT", text)
    text = text.replace("(0)::numeric", "0")
    return re.sub(r"'public'", "'main'", text)


def sa_inspect(url):
    import sqlalchemy as sa
    engine = sa.create_engine(url)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the expression index is skipped with a warning
            data = inspect_all(sa.inspect(engine))
            md = sa.MetaData()
            md.reflect(engine)
            data["reflected"] = {name: ([c.name for c in t.columns],
                                        sorted(c.name for c in t.primary_key.columns),
                                        sorted(fk.target_fullname for fk in t.foreign_keys),
                                        sorted(i.name for i in t.indexes))
                                 for name, t in sorted(md.tables.items())}
        return data
    finally:
        engine.dispose()


def sa_inspect_async(url):
    import sqlalchemy as sa
    from sqlalchemy.ext.asyncio import create_async_engine

    async def run():
        engine = create_async_engine(url)
        try:
            async with engine.connect() as conn:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    return await conn.run_sync(lambda c: inspect_all(sa.inspect(c)))
        finally:
            await engine.dispose()
    return asyncio.run(run())


def test_sqlalchemy_inspector_matches_postgres(pg, dd):
    want = normalise_sa(sa_inspect(pg.url.replace("postgresql://", "postgresql+psycopg2://")))
    got = normalise_sa(sa_inspect(dd.url.replace("postgresql://", "postgresql+psycopg2://")))
    assert got == want


def test_sqlalchemy_asyncpg_inspector_matches_postgres(pg, dd):
    want = normalise_sa(sa_inspect_async(pg.url.replace("postgresql://", "postgresql+asyncpg://")))
    got = normalise_sa(sa_inspect_async(dd.url.replace("postgresql://", "postgresql+asyncpg://")))
    assert got == want


def test_sqlalchemy_reflect_round_trip(dd):
    """Tables reflected from duckd are created again (in another schema) from the metadata."""
    import sqlalchemy as sa
    engine = sa.create_engine(dd.url)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            md = sa.MetaData()
            md.reflect(engine, only=["authors", "books", "line"])
            copy = sa.MetaData(schema="other")
            for t in md.sorted_tables:
                t.to_metadata(copy, schema="other")
            for t in copy.sorted_tables:  # keep the reflected nextval() default, not SERIAL
                for c in t.columns:
                    c.autoincrement = False
            copy.create_all(engine)
            insp = sa.inspect(engine)
            assert insp.get_pk_constraint("line", "other")["constrained_columns"] == \
                ["order_id", "line_no"]
            fks = insp.get_foreign_keys("books", "other")
            assert [(f["constrained_columns"], f["referred_table"], f["referred_columns"])
                    for f in fks] == [(["author_id"], "authors", ["id"])]
            assert sorted(i["name"] for i in insp.get_indexes("books", "other")) == \
                ["books_author_id_title_key", "books_published_idx", "books_title_pub_idx"]
    finally:
        engine.dispose()


# ------------------------------------------------------------------------------ Django

DJANGO_SCRIPT = r"""
import json, sys
import django
from django.conf import settings
host, port, user, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
settings.configure(DATABASES={"default": {
    "ENGINE": "django.db.backends.postgresql", "NAME": "postgres", "USER": user,
    "PASSWORD": password, "HOST": host, "PORT": port}}, INSTALLED_APPS=[], USE_TZ=True)
django.setup()
from django.db import connection
out = {}
with connection.cursor() as c:
    intro = connection.introspection
    out["tables"] = sorted([t.name, t.type] for t in intro.get_table_list(c))
    for t in ["authors", "books", "line"]:
        out[t + ".description"] = [[d.name, d.type_code, d.internal_size, d.precision, d.scale,
                                    d.null_ok, d.default]
                                   for d in intro.get_table_description(c, t)]
        out[t + ".constraints"] = intro.get_constraints(c, t)
        out[t + ".relations"] = intro.get_relations(c, t)
        out[t + ".primary_key"] = intro.get_primary_key_column(c, t)
        out[t + ".sequences"] = intro.get_sequences(c, t)
print(json.dumps(out, sort_keys=True, indent=1))
"""


def django_introspect(port, user, password):
    # A separate process: Django's settings can be configured once per process.
    res = subprocess.run(["/usr/bin/python3", "-c", DJANGO_SCRIPT, "127.0.0.1", str(port), user,
                          password], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr
    return res.stdout


def normalise_django(text):
    data = json.loads(text)
    for key, value in data.items():
        if key.endswith(".description"):
            for d in value:
                if d[1] == 1043:  # varchar(n): DuckDB has text (25) without a length
                    d[1], d[2] = 25, -1
    return json.loads(re.sub(r"\bpublic\.", "main.", json.dumps(data)))


def test_django_introspection_matches_postgres(pg, dd):
    pytest.importorskip("django")
    want = normalise_django(django_introspect(pg.port, "test", ""))
    got = json.loads(django_introspect(dd.port, "test", PASSWORDS["test"]))
    assert got == want


# ------------------------------------------------------------------------------ functions

def test_function_column_names_match_postgres(pg, dd):
    query = ("SELECT version(), current_database(), current_schema(), current_user, "
             "session_user, pg_backend_pid(), current_setting('server_version_num')")
    names = []
    for dsn in (pg.dsn, dd.dsn):
        conn = psycopg2.connect(dsn)
        with conn.cursor() as cur:
            cur.execute(query)
            names.append([d[0] for d in cur.description])
            row = cur.fetchone()
            assert row[0].startswith("PostgreSQL 15")
            assert row[3] == row[4] == "test"
            assert row[5] == conn.get_backend_pid()
        conn.close()
    assert names[1] == names[0]


def test_function_column_names(dd):
    conn = psycopg2.connect(dd.dsn)
    with conn.cursor() as cur:
        cur.execute("SELECT version()")
        assert [d[0] for d in cur.description] == ["version"]
        cur.execute("SELECT pg_catalog.version() AS v, current_user AS u")
        assert [d[0] for d in cur.description] == ["v", "u"]
        assert cur.fetchone()[1] == "test"
        cur.execute("SELECT pg_backend_pid()")
        assert cur.fetchone()[0] == conn.get_backend_pid()
    conn.close()


def test_ordinary_queries_are_not_rewritten(dd):
    """The catalog emulation costs nothing for statements that do not read the catalogs: a
    query on a user table runs as sent (its columns get PostgreSQL's names all the same)."""
    conn = psycopg2.connect(dd.dsn)
    with conn.cursor() as cur:
        cur.execute("SELECT count(*), max(id) FROM books WHERE title <> 'x'")
        assert [d[0] for d in cur.description] == ["count", "max"]
        start = time.monotonic()
        for _ in range(200):
            cur.execute("SELECT id, title FROM books WHERE id = %s", (1,))
        assert time.monotonic() - start < 30
    conn.close()


def test_cast_parameter_is_described_with_its_type(dd):
    """SQLAlchemy's asyncpg dialect writes `WHERE a.attrelid = $1::INTEGER`: a parameter the
    statement casts has that type in ParameterDescription (as in PostgreSQL) even where DuckDB
    cannot infer it, so asyncpg encodes an int rather than refusing it as text."""
    import asyncpg

    async def run():
        conn = await asyncpg.connect(host="127.0.0.1", port=dd.port, user="test",
                                     password=PASSWORDS["test"], database="test")
        try:
            st = await conn.prepare("SELECT attname FROM pg_catalog.pg_attribute a "
                                    "WHERE a.attrelid = $1::INTEGER AND a.attnum = 1")
            assert [t.name for t in st.get_parameters()] == ["int4"]
            oid = await conn.fetchval("SELECT 'authors'::regclass::oid")
            assert await st.fetchval(oid) == "id"
        finally:
            await conn.close()
    asyncio.run(run())
