"""search_path: PostgreSQL's SET search_path becomes DuckDB's per-connection search_path, so
unqualified names resolve (and new tables land) in the schemas the client named -- public is
DuckDB's main, "$user" is dropped --, SHOW/current_schema() stay coherent, SET LOCAL lasts
until the block ends, one session's path never changes another's, and group commit never
coalesces an INSERT whose table name resolves differently."""

import os
import subprocess
import threading
from contextlib import closing

import pytest

import psycopg


def connect(srv, **kw):
    return psycopg.connect(srv.dsn, autocommit=True, **kw)


def one(c, sql):
    return c.execute(sql).fetchone()[0]


@pytest.fixture
def schemas(server):
    with closing(connect(server)) as c:
        for s in ("a", "b"):
            c.execute("CREATE SCHEMA %s" % s)
            c.execute("CREATE TABLE %s.t (id INTEGER, who VARCHAR)" % s)
            c.execute("INSERT INTO %s.t VALUES (0, '%s')" % (s, s))
        c.execute("CREATE TABLE main.t (id INTEGER, who VARCHAR)")
        c.execute("INSERT INTO main.t VALUES (0, 'main')")
    return server


def test_set_show_reset(schemas):
    with closing(connect(schemas)) as c:
        assert one(c, "SHOW search_path") == '"$user", public'
        assert one(c, "SELECT current_schema()") == "main"
        assert one(c, "SELECT who FROM t") == "main"
        c.execute("SET search_path = a, public")
        assert one(c, "SHOW search_path") == "a, public"
        assert one(c, "SELECT current_setting('search_path')") == "a, public"
        assert one(c, "SELECT current_schema()") == "a"
        assert "a" in one(c, "SELECT current_schemas(true)")
        assert one(c, "SELECT who FROM t") == "a"
        c.execute("CREATE TABLE fresh (x INTEGER)")
        assert one(c, "SELECT table_schema FROM information_schema.tables "
                      "WHERE table_name = 'fresh'") == "a"
        c.execute("SET search_path TO 'b'")
        assert one(c, "SELECT who FROM t") == "b"
        c.execute("SET search_path = public")
        assert one(c, "SELECT who FROM t") == "main"
        c.execute("SET search_path = b")
        c.execute("RESET search_path")
        assert one(c, "SHOW search_path") == '"$user", public'
        assert one(c, "SELECT who FROM t") == "main"
        c.execute("SET search_path = b")
        c.execute("SET search_path = DEFAULT")
        assert one(c, "SELECT current_schema()") == "main"


def test_missing_schema_then_created(schemas):
    with closing(connect(schemas)) as c:
        c.execute('SET search_path = "$user", later, "My Schema", public')
        assert one(c, "SHOW search_path") == '"$user", later, "My Schema", public'
        assert one(c, "SELECT who FROM t") == "main"  # later does not exist yet
        c.execute("CREATE SCHEMA later")
        assert one(c, "SELECT current_schema()") == "later"
        c.execute("CREATE TABLE t (id INTEGER, who VARCHAR)")
        c.execute("INSERT INTO t VALUES (1, 'later')")
        assert one(c, "SELECT who FROM later.t") == "later"


def test_per_session(schemas):
    with closing(connect(schemas)) as c1, closing(connect(schemas)) as c2:
        c1.execute("SET search_path = a")
        assert one(c1, "SELECT who FROM t") == "a"
        assert one(c2, "SELECT who FROM t") == "main"
        assert one(c2, "SHOW search_path") == '"$user", public'
        assert one(c2, "SELECT current_schema()") == "main"


def test_set_local(schemas):
    with closing(connect(schemas)) as c:
        c.autocommit = False
        c.execute("SET LOCAL search_path = a")
        assert one(c, "SELECT who FROM t") == "a"
        c.rollback()
        assert one(c, "SELECT who FROM t") == "main"
        c.execute("SET search_path = b")
        c.execute("SET LOCAL search_path = a")
        assert one(c, "SHOW search_path") == "a"
        c.commit()
        assert one(c, "SHOW search_path") == "b"
        assert one(c, "SELECT who FROM t") == "b"
        c.commit()
        # a failed block: ROLLBACK restores as well
        c.execute("SET LOCAL search_path = a")
        with pytest.raises(psycopg.Error):
            c.execute("SELECT nosuch FROM t")
        c.rollback()
        assert one(c, "SELECT who FROM t") == "b"
        c.rollback()
        c.autocommit = True
        notices = []
        c.add_notice_handler(lambda d: notices.append(d.message_primary))
        c.execute("SET LOCAL search_path = a")  # outside a block: a warning, no effect
        assert notices == ["SET LOCAL can only be used in transaction blocks"]
        assert one(c, "SELECT who FROM t") == "b"


def test_startup_option_and_psql_dt(schemas):
    with closing(psycopg.connect(schemas.dsn + " options='-c search_path=b'",
                                 autocommit=True)) as c:
        assert one(c, "SELECT who FROM t") == "b"
    env = dict(os.environ, PGOPTIONS="-c search_path=a")
    out = subprocess.run(["psql", schemas.dsn, "-X", "-A", "-t", "-c", "SELECT who FROM t",
                          "-c", r"\dt t"], capture_output=True, text=True, check=True,
                         env=env).stdout
    lines = out.strip().splitlines()
    assert lines[0] == "a"
    assert any(line.startswith("a|t|table") for line in lines[1:]), out


def test_group_commit_keeps_resolution(schemas):
    """Autocommit INSERTs of sessions whose t resolves to a.t, b.t and main.t, concurrently:
    group commit must not coalesce them under one resolution."""
    n = 200
    errors = []

    def writer(path, who):
        try:
            with closing(connect(schemas)) as c:
                if path:
                    c.execute("SET search_path = %s" % path)
                for i in range(1, n + 1):
                    c.execute("INSERT INTO t VALUES (%d, '%s')" % (i, who))
        except Exception as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=writer, args=a)
               for a in (("a", "a"), ("b", "b"), (None, "main"), ("b, a", "b"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    with closing(connect(schemas)) as c:
        for s, count in (("a", n + 1), ("b", 2 * n + 1), ("main", n + 1)):
            rows = c.execute("SELECT who, count(*) FROM %s.t GROUP BY who" % s).fetchall()
            assert rows == [(s, count)], (s, rows)


def test_copy_from_stdin_follows_the_path(schemas):
    """COPY t FROM STDIN appends to the table the path names (DuckDB's appender alone would
    take main.t); a temporary table still comes first, as in DuckDB's own resolution."""
    with closing(connect(schemas)) as c:
        c.execute("SET search_path = b, public")
        with c.cursor().copy("COPY t (id, who) FROM STDIN") as cp:
            cp.write_row((7, "copied"))
        assert c.execute("SELECT who FROM b.t WHERE id = 7").fetchall() == [("copied",)]
        c.execute("CREATE TABLE main.only_main (x INTEGER)")
        with c.cursor().copy("COPY only_main FROM STDIN") as cp:
            cp.write_row((1,))
        assert one(c, "SELECT count(*) FROM main.only_main") == 1
        c.execute("CREATE TEMP TABLE t (id INTEGER, who VARCHAR)")
        with c.cursor().copy("COPY t FROM STDIN") as cp:
            cp.write_row((8, "temp"))
        assert one(c, "SELECT count(*) FROM temp.t") == 1
        assert one(c, "SELECT count(*) FROM b.t WHERE id = 8") == 0


def test_reset_all_and_discard_all(schemas):
    """RESET ALL and DISCARD ALL (what poolers send between clients) put search_path and
    TimeZone back to their reset values, on DuckDB too; a startup value is the reset value."""
    with closing(psycopg.connect(schemas.dsn + " options='-c search_path=b'",
                                 autocommit=True)) as c:
        c.execute("SET search_path = a")
        c.execute("SET TimeZone = 'Asia/Kolkata'")
        c.execute("DISCARD ALL")
        assert one(c, "SHOW search_path") == "b"
        assert one(c, "SELECT who FROM t") == "b"
        assert c.info.parameter_status("TimeZone") == "UTC"
        c.execute("SET search_path = a")
        c.execute("RESET search_path")
        assert one(c, "SELECT who FROM t") == "b"
    with closing(connect(schemas)) as c:
        c.execute("SET search_path = a")
        c.execute("SET TimeZone = 'Asia/Kolkata'")
        c.execute("RESET ALL")
        assert one(c, "SELECT who FROM t") == "main"
        assert one(c, "SHOW search_path") == '"$user", public'
        assert one(c, "SELECT TIMESTAMPTZ '2024-01-02 00:00:00+00'::TEXT") == \
            "2024-01-02 00:00:00+00"


def test_public_qualified_names_are_main(server):
    # pg_dump, migration tools and hand-written SQL qualify names with PostgreSQL's default
    # schema; in duckd that schema is DuckDB's main.
    with closing(connect(server)) as c:
        c.execute("CREATE SCHEMA IF NOT EXISTS public")
        c.execute("CREATE SEQUENCE public.pq_seq")
        c.execute("CREATE TABLE public.pq (id INTEGER DEFAULT nextval('public.pq_seq'::regclass) "
                  "PRIMARY KEY, v VARCHAR)")
        c.execute("INSERT INTO public.pq (v) VALUES ('a')")
        c.execute('INSERT INTO "public"."pq" (v) VALUES (%s)', ["b"])  # extended protocol
        for i in range(3):  # coalesced autocommit INSERTs
            c.execute("INSERT INTO public.pq (v) VALUES ('c%d')" % i)
        c.execute("UPDATE public.pq SET v = 'A' WHERE id = 1")
        c.execute("ALTER TABLE public.pq ADD COLUMN w INTEGER")
        assert c.execute("SELECT public.pq.id, v FROM public.pq ORDER BY id").fetchall() == [
            (1, "A"), (2, "b"), (3, "c0"), (4, "c1"), (5, "c2")]
        assert one(c, "SELECT count(*) FROM main.pq") == 5
        assert one(c, "SELECT currval('public.pq_seq')") == 5
        with c.cursor().copy("COPY public.pq (v) FROM STDIN") as cp:
            cp.write_row(["d"])
        assert one(c, "SELECT count(*) FROM pq") == 6
        c.execute("TRUNCATE public.pq")
        c.execute("DROP TABLE public.pq")
        with pytest.raises(psycopg.errors.DuplicateSchema):
            c.execute("CREATE SCHEMA public")  # PostgreSQL: schema "public" already exists
        # only names: a string or an alias called public stays
        assert c.execute("SELECT 'public.x', 1 AS public").fetchone() == ("public.x", 1)


def test_set_in_a_rolled_back_block_is_undone(schemas):
    """As in PostgreSQL, a plain SET inside a transaction block lasts only if the block
    commits: ROLLBACK (also of a failed block) undoes it, for DuckDB's search path too; SET
    LOCAL after a SET in the same block returns to the SET's value at COMMIT."""
    with closing(connect(schemas)) as c:
        c.autocommit = False
        c.execute("SET search_path = a")
        c.execute("SET TimeZone = 'Asia/Tokyo'")
        c.execute("SET statement_timeout = '5s'")
        c.execute("SET app.tenant = 't1'")
        assert one(c, "SELECT who FROM t") == "a"
        c.rollback()
        assert one(c, "SHOW search_path") == '"$user", public'
        assert one(c, "SELECT who FROM t") == "main"
        assert one(c, "SHOW TimeZone") == "UTC"
        assert one(c, "SHOW statement_timeout") == "0"
        # PostgreSQL keeps the placeholder it created, empty
        assert one(c, "SELECT current_setting('app.tenant', true)") == ""
        c.rollback()
        # a failed block
        c.execute("SET search_path = b")
        with pytest.raises(psycopg.Error):
            c.execute("SELECT nosuch FROM t")
        c.rollback()
        assert one(c, "SELECT who FROM t") == "main"
        c.rollback()
        # COMMIT keeps a plain SET, even with a SET LOCAL after it
        c.execute("SET search_path = b")
        c.execute("SET app.tenant = 't2'")
        c.execute("SET LOCAL search_path = a")
        assert one(c, "SELECT who FROM t") == "a"
        c.commit()
        assert one(c, "SELECT who FROM t") == "b"
        assert one(c, "SHOW app.tenant") == "t2"
        c.commit()
        # outside a block a SET stays, as before
        c.autocommit = True
        c.execute("SET search_path = a")
        assert one(c, "SELECT who FROM t") == "a"
