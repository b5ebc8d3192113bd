"""Restoring a plain pg_dump through psql (`pg_dump db | psql -h duckd ...`): (a) a committed
dump of PostgreSQL 15 (tests/e2e/data/pgdump_sample.sql: serial and bigserial keys, a foreign
key, a CHECK, a view, an index, a comment, jsonb and text[] columns) restores with no error,
and (b) a real pg_dump of a small database on a scratch PostgreSQL 15 restores with the same
rows; (b) is skipped when the PostgreSQL server binaries are missing. See
docs/COMPATIBILITY.md, "Restoring a plain pg_dump"."""

import os
import shutil
import subprocess
import tempfile

import psycopg2
import pytest

from conftest import free_port

PGBIN = "/usr/lib/postgresql/15/bin"
SAMPLE = os.path.join(os.path.dirname(__file__), "data", "pgdump_sample.sql")


def restore(server, path, *opts):
    """psql -f of the dump, stopping at the first error; returns psql's stderr."""
    res = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", server.dsn,
                          *opts, "-f", path], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "ERROR" not in res.stderr, res.stderr
    return res.stderr


def query(dsn, sql, args=None):
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(sql, args)
            return cur.fetchall() if cur.description else None
    finally:
        conn.close()


def test_restore_sample_dump(server):
    err = restore(server, SAMPLE)
    # the foreign key is recorded, not enforced (DuckDB cannot add one to a table)
    assert "books_author_id_fkey" in err and "not enforced" in err
    q = lambda sql: query(server.dsn, sql)
    assert q("SELECT id, name, born::text, meta::text FROM authors ORDER BY id") == [
        (1, "Ann", "1970-01-02", '{"a": 1}'), (2, "Bob", None, "{}")]
    assert q("SELECT id, author_id, title, price::text, tags FROM books ORDER BY id") == [
        (1, 1, "A tale", "9.50", ["x", "y"]), (2, 2, "B\\tside", "12.00", None)]
    # setval moved the sequences on: the keys continue after the restored rows
    assert q("INSERT INTO authors (name) VALUES ('Cy') RETURNING id") == [(3,)]
    assert q("INSERT INTO books (title, price) VALUES ('C', 1) RETURNING id") == [(3,)]
    # AS integer bounds the sequence as PostgreSQL does; bigserial's is BIGINT's
    assert q("SELECT sequence_name, max_value FROM duckdb_sequences() ORDER BY 1") == [
        ("authors_id_seq", 2147483647), ("books_id_seq", 9223372036854775807)]
    assert q("SELECT id, title FROM cheap ORDER BY id") == [(1, "A tale"), (3, "C")]
    assert ("books_title_idx",) in q("SELECT indexname FROM pg_indexes")
    assert sorted(q("SELECT conname, contype FROM pg_constraint")) == [
        ("authors_pkey", "p"), ("books_author_id_fkey", "f"), ("books_pkey", "p"),
        ("books_price_check", "c")]
    assert q("SELECT comment FROM duckdb_tables() WHERE table_name = 'books'") == [
        ("all books",)]
    # the CHECK and the UNIQUE constraint hold
    with pytest.raises(psycopg2.Error):
        q("INSERT INTO books (title, price) VALUES ('neg', -1)")
    with pytest.raises(psycopg2.Error):
        q("INSERT INTO authors (name) VALUES ('Ann')")
    # the sequences belong to their tables: dropped with them
    q("DROP VIEW cheap")
    q("DROP TABLE books")
    assert q("SELECT sequence_name FROM duckdb_sequences()") == [("authors_id_seq",)]


def test_restore_sample_single_transaction(server):
    """psql -1 (--single-transaction): the whole dump in one transaction block."""
    restore(server, SAMPLE, "-1")
    assert query(server.dsn, "SELECT count(*) FROM books") == [(2,)]
    assert query(server.dsn, "SELECT nextval('authors_id_seq')") == [(3,)]
    assert query(server.dsn, "SHOW search_path") == [('"$user", public',)]


def test_dump_statements_one_by_one(server):
    """What the dump's header and DDL answer, statement by statement (psql's tags)."""
    res = subprocess.run(
        ["psql", "-X", "-d", server.dsn, "-v", "ON_ERROR_STOP=1"],
        input="SELECT pg_catalog.set_config('search_path', '', false);\n"
              "SHOW search_path;\n"
              "SET check_function_bodies = false;\nSET xmloption = content;\n"
              "SET default_tablespace = '';\nSET default_table_access_method = heap;\n"
              "SET row_security = off;\nSHOW default_table_access_method;\n"
              "CREATE TABLE public.t (id integer NOT NULL);\n"
              "ALTER TABLE public.t OWNER TO postgres;\n"
              "CREATE SEQUENCE public.t_id_seq AS integer START WITH 1 INCREMENT BY 1 "
              "NO MINVALUE NO MAXVALUE CACHE 1;\n"
              "ALTER TABLE public.t_id_seq OWNER TO postgres;\n"
              "ALTER SEQUENCE public.t_id_seq OWNED BY public.t.id;\n"
              "ALTER SEQUENCE public.t_id_seq OWNED BY NONE;\n"
              "ALTER SEQUENCE public.t_id_seq OWNER TO postgres;\n"
              "CREATE VIEW public.v AS SELECT id FROM public.t;\n"
              "ALTER VIEW public.v OWNER TO postgres;\n"
              "CREATE SCHEMA app;\nALTER SCHEMA app OWNER TO postgres;\n",
        capture_output=True, text=True, timeout=60)
    assert res.returncode == 0 and not res.stderr, res.stdout + res.stderr
    out = [line.strip() for line in res.stdout.splitlines()]
    assert out[:4] == ["set_config", "------------", "", "(1 row)"]
    assert "heap" in out
    for tag in ["CREATE TABLE", "ALTER TABLE", "CREATE SEQUENCE", "ALTER SEQUENCE",
                "CREATE VIEW", "ALTER VIEW", "CREATE SCHEMA", "ALTER SCHEMA"]:
        assert tag in out, (tag, out)


def test_set_config_extended_protocol(server):
    """set_config over the extended protocol: Describe describes its one text column."""
    psycopg = pytest.importorskip("psycopg")
    with psycopg.connect(server.dsn, autocommit=True) as conn:
        for prepare in (False, True):
            cur = conn.execute("SELECT pg_catalog.set_config('search_path', 'app, public', "
                               "false)", prepare=prepare)
            assert [d.name for d in cur.description] == ["set_config"]
            assert cur.description[0].type_code == 25
            assert cur.fetchall() == [("app, public",)]
        assert conn.execute("SHOW search_path").fetchall() == [("app, public",)]
        conn.execute("BEGIN")
        assert conn.execute("SELECT set_config('application_name', 'x', true)").fetchall() == [
            ("x",)]
        assert conn.execute("SHOW application_name").fetchall() == [("x",)]
        conn.execute("COMMIT")
        assert conn.execute("SHOW application_name").fetchall() != [("x",)]


def as_postgres(cmd):
    """Runs a PostgreSQL server binary, as the postgres user when we are root (initdb refuses
    root)."""
    if os.geteuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--"] + cmd
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180)


PG_SCHEMA = """
CREATE SCHEMA app;
CREATE TABLE authors (id serial PRIMARY KEY, name text NOT NULL UNIQUE, born date,
                      meta jsonb DEFAULT '{}');
CREATE TABLE books (id bigserial PRIMARY KEY, author_id int REFERENCES authors(id),
                    title varchar(200) NOT NULL, price numeric(10,2) CHECK (price >= 0),
                    tags text[], created timestamptz DEFAULT now());
CREATE TABLE app.notes (id smallserial PRIMARY KEY, body text, "Weird Col" int);
CREATE INDEX books_title_idx ON books (title);
CREATE VIEW cheap AS SELECT id, title FROM books WHERE price < 10;
COMMENT ON TABLE books IS 'all books';
INSERT INTO authors (name, born, meta) VALUES ('Ann', '1970-01-02', '{"a": 1}'), ('Bob', NULL,
    '{}'), ('O''Hara', '1980-05-06', '{"q": "it''s"}');
INSERT INTO books (author_id, title, price, tags, created) VALUES
    (1, 'A tale', 9.50, '{x,y}', '2024-01-02 03:04:05+00'),
    (2, E'B\\tside', 12, NULL, '2024-01-02 03:04:05+00'),
    (3, 'Ünïcode', 0, '{"with space",z}', '2024-01-02 03:04:05+00');
INSERT INTO app.notes (body, "Weird Col") VALUES ('first', 1), (NULL, NULL);
DELETE FROM authors WHERE false;
"""


@pytest.fixture
def pg15():
    if not os.path.exists(PGBIN + "/initdb"):
        pytest.skip("PostgreSQL 15 server binaries are not installed (%s)" % PGBIN)
    d = tempfile.mkdtemp(prefix="dkdpg")
    data = os.path.join(d, "data")
    port = free_port()
    started = False
    try:
        if os.geteuid() == 0:
            shutil.chown(d, "postgres", "postgres")
        res = as_postgres([PGBIN + "/initdb", "-D", data, "-A", "trust", "-U", "test",
                           "-E", "UTF8", "--locale=C.UTF-8"])
        assert res.returncode == 0, res.stdout + res.stderr
        opts = "-c listen_addresses=127.0.0.1 -p %d -k %s -c fsync=off" % (port, d)
        res = as_postgres([PGBIN + "/pg_ctl", "-D", data, "-l", os.path.join(d, "pg.log"),
                           "-o", opts, "-w", "-t", "120", "start"])
        started = res.returncode == 0
        assert started, res.stdout + res.stderr
        yield {"dsn": "host=127.0.0.1 port=%d user=test dbname=postgres" % port, "dir": d}
    finally:
        if started:
            as_postgres([PGBIN + "/pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"])
        shutil.rmtree(d, ignore_errors=True)


def test_restore_real_pg_dump(server, pg15, tmp_path):
    conn = psycopg2.connect(pg15["dsn"])
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(PG_SCHEMA)
    conn.close()
    dump = str(tmp_path / "dump.sql")
    res = subprocess.run([PGBIN + "/pg_dump", "-d", pg15["dsn"], "-f", dump],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    restore(server, dump)
    checks = [
        "SELECT id, name, born::text, meta::text FROM public.authors ORDER BY id",
        "SELECT id, author_id, title, price::text, tags, created::text FROM public.books "
        "ORDER BY id",
        'SELECT id, body, "Weird Col" FROM app.notes ORDER BY id',
        "SELECT id, title FROM public.cheap ORDER BY id",
    ]
    for sql in checks:
        want = query(pg15["dsn"], sql)
        got = query(server.dsn, sql)
        assert got == want, (sql, got, want)
    # the keys continue after the restored rows, on both
    for sql, want in [("INSERT INTO public.authors (name) VALUES ('Dee') RETURNING id", 4),
                      ("INSERT INTO public.books (title) VALUES ('D') RETURNING id", 4),
                      ("INSERT INTO app.notes (body) VALUES ('x') RETURNING id", 3)]:
        assert query(server.dsn, sql) == [(want,)]
    assert ("books_title_idx",) in query(server.dsn, "SELECT indexname FROM pg_indexes")
    assert ("books_author_id_fkey", "f") in query(
        server.dsn, "SELECT conname, contype FROM pg_constraint")
