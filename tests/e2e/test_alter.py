"""ALTER TABLE and CREATE INDEX as PostgreSQL migration tools write them (Django, Alembic,
Rails): several actions in one statement, ADD CONSTRAINT UNIQUE / FOREIGN KEY, DROP
CONSTRAINT, varchar length changes, and the ALTERs DuckDB refuses on a table that has indexes
(DuckDB: "Cannot alter entry ... because there are entries that depend on it"), which duckd
runs by dropping and recreating the indexes, or rebuilding the table, inside the statement's
transaction. Plus PostgreSQL's GROUP BY of a primary key with the table's other columns
selected (what Django's annotate() sends).

What must hold: each statement applies whole or not at all (in autocommit and inside a block,
where ROLLBACK undoes it); rows, defaults, NOT NULL, unique indexes and sequences survive a
rebuild; errors carry PostgreSQL's SQLSTATEs."""

from contextlib import closing

import psycopg2
import psycopg2.errors
import pytest


def connect(server, autocommit=True):
    c = psycopg2.connect(server.dsn)
    c.autocommit = autocommit
    return c


def one(cur, sql, args=None):
    cur.execute(sql, args)
    return cur.fetchall()


def indexes(cur, table):
    return one(cur, "SELECT index_name, is_unique FROM duckdb_indexes() WHERE table_name = %s "
                    "ORDER BY index_name", (table,))


def columns(cur, table):
    return one(cur, "SELECT column_name, data_type, is_nullable FROM duckdb_columns() "
                    "WHERE table_name = %s ORDER BY column_index", (table,))


def test_index_opclass_using_only_include(server):
    with closing(connect(server)) as c, c.cursor() as cur:
        cur.execute("CREATE TABLE ix (a INTEGER, b VARCHAR, c INTEGER)")
        cur.execute('CREATE INDEX ix_b_like ON ix ("b" varchar_pattern_ops)')
        cur.execute("CREATE INDEX ix_a ON ONLY ix USING btree (a DESC NULLS LAST)")
        cur.execute("CREATE UNIQUE INDEX ix_ac ON ix (a, c text_pattern_ops) INCLUDE (b)")
        assert indexes(cur, "ix") == [("ix_a", False), ("ix_ac", True), ("ix_b_like", False)]
        # a literal that looks like an operator class is left alone
        cur.execute("CREATE INDEX ix_e ON ix ((b || 'x_ops'))")
        with pytest.raises(psycopg2.Error):
            cur.execute("CREATE INDEX ix_bad ON ix USING gist (a)")


def test_add_unique_and_primary_key_constraints(server):
    with closing(connect(server)) as c, c.cursor() as cur:
        cur.execute("CREATE TABLE u (id INTEGER, a INTEGER, b INTEGER)")
        cur.execute("ALTER TABLE u ADD CONSTRAINT u_ab_uniq UNIQUE (a, b) DEFERRABLE "
                    "INITIALLY DEFERRED, ADD PRIMARY KEY (id)")
        assert indexes(cur, "u") == [("u_ab_uniq", True)]
        cur.execute("INSERT INTO u VALUES (1, 1, 1)")
        with pytest.raises(psycopg2.errors.UniqueViolation):
            cur.execute("INSERT INTO u VALUES (2, 1, 1)")
        with pytest.raises(psycopg2.errors.UniqueViolation):
            cur.execute("INSERT INTO u VALUES (1, 2, 2)")
        cur.execute("ALTER TABLE u ADD UNIQUE (b)")  # PostgreSQL's default name
        assert ("u_b_key", True) in indexes(cur, "u")
        cur.execute("ALTER TABLE u DROP CONSTRAINT u_ab_uniq")
        cur.execute("INSERT INTO u VALUES (3, 1, 3)")
        with pytest.raises(psycopg2.errors.UndefinedObject):
            cur.execute("ALTER TABLE u DROP CONSTRAINT u_ab_uniq")
        cur.execute("ALTER TABLE u DROP CONSTRAINT IF EXISTS u_ab_uniq")
        assert "does not exist, skipping" in c.notices[-1]


def test_foreign_key_recorded_not_enforced(server):
    with closing(connect(server)) as c, c.cursor() as cur:
        cur.execute("CREATE TABLE p (id INTEGER PRIMARY KEY)")
        cur.execute("CREATE TABLE ch (id INTEGER PRIMARY KEY, pid INTEGER)")
        cur.execute('ALTER TABLE "ch" ADD CONSTRAINT "ch_pid_fk" FOREIGN KEY ("pid") '
                    'REFERENCES "p" ("id") DEFERRABLE INITIALLY DEFERRED')
        assert "recorded but not enforced" in c.notices[-1]
        assert one(cur, "SELECT table_name, constraint_name, columns, ref_table, ref_columns "
                        "FROM duckd.foreign_keys") == [("ch", "ch_pid_fk", '"pid"', '"p"', '"id"')]
        with pytest.raises(psycopg2.errors.DuplicateObject):
            cur.execute("ALTER TABLE ch ADD CONSTRAINT ch_pid_fk FOREIGN KEY (pid) REFERENCES p")
        # names are checked on both sides
        with pytest.raises(psycopg2.errors.UndefinedColumn):
            cur.execute("ALTER TABLE ch ADD CONSTRAINT x FOREIGN KEY (nope) REFERENCES p (id)")
        with pytest.raises(psycopg2.errors.UndefinedTable):
            cur.execute("ALTER TABLE ch ADD CONSTRAINT x FOREIGN KEY (pid) REFERENCES nope (id)")
        # the parent row can go before the child, as with Django's deferred constraints
        cur.execute("INSERT INTO p VALUES (1)")
        cur.execute("INSERT INTO ch VALUES (10, 1)")
        cur.execute("BEGIN")
        cur.execute("DELETE FROM ch WHERE pid = 1")
        cur.execute("DELETE FROM p WHERE id = 1")
        cur.execute("COMMIT")
        cur.execute("ALTER TABLE ch DROP CONSTRAINT ch_pid_fk")
        assert one(cur, "SELECT count(*) FROM duckd.foreign_keys") == [(0,)]


def test_alters_duckdb_refuses_on_indexed_tables(server):
    with closing(connect(server)) as c, c.cursor() as cur:
        cur.execute("CREATE SEQUENCE ct_id_seq")
        cur.execute("CREATE TABLE ct (id INTEGER DEFAULT nextval('ct_id_seq') PRIMARY KEY, "
                    "name VARCHAR(100) NOT NULL, app VARCHAR(100) NOT NULL, "
                    "model VARCHAR(100) NOT NULL, n INTEGER)")
        cur.execute("ALTER SEQUENCE ct_id_seq OWNED BY ct")
        cur.execute("ALTER TABLE ct ADD CONSTRAINT ct_uniq UNIQUE (app, model)")
        cur.execute("CREATE INDEX ct_model ON ct (model varchar_pattern_ops)")
        cur.execute("CREATE INDEX ct_n ON ct (n)")
        cur.execute("INSERT INTO ct (name, app, model, n) VALUES ('a', 'x', 'm1', 1), "
                    "('b', 'x', 'm2', 2)")
        # what Django's contenttypes 0002 and auth migrations send
        cur.execute('ALTER TABLE "ct" ALTER COLUMN "name" DROP NOT NULL')
        cur.execute('ALTER TABLE "ct" DROP COLUMN "name" CASCADE')
        cur.execute('ALTER TABLE "ct" ALTER COLUMN "model" TYPE varchar(300) '
                    'USING "model"::varchar(300)')
        cur.execute('ALTER TABLE "ct" ALTER COLUMN "n" TYPE bigint USING "n" * 10, '
                    'ALTER COLUMN "n" SET NOT NULL')
        cur.execute('ALTER TABLE "ct" RENAME COLUMN "app" TO "app_label"')
        cur.execute('ALTER TABLE "ct" ADD COLUMN "flag" boolean DEFAULT false NOT NULL')
        assert columns(cur, "ct") == [
            ("id", "INTEGER", False), ("app_label", "VARCHAR", False), ("model", "VARCHAR", False),
            ("n", "BIGINT", False), ("flag", "BOOLEAN", False)]
        assert indexes(cur, "ct") == [("ct_model", False), ("ct_n", False), ("ct_uniq", True)]
        assert one(cur, "SELECT id, app_label, model, n, flag FROM ct ORDER BY id") == [
            (1, "x", "m1", 10, False), (2, "x", "m2", 20, False)]
        # the sequence goes on where it was, and still belongs to the table
        cur.execute("INSERT INTO ct (app_label, model, n) VALUES ('y', 'm', 3) RETURNING id")
        assert cur.fetchone() == (3,)
        with pytest.raises(psycopg2.errors.UniqueViolation):
            cur.execute("INSERT INTO ct (app_label, model, n) VALUES ('x', 'm1', 4)")
        with pytest.raises(psycopg2.errors.NotNullViolation):
            cur.execute("INSERT INTO ct (app_label, model) VALUES ('z', 'z')")
        cur.execute("ALTER TABLE ct RENAME TO ct2")
        assert indexes(cur, "ct2") == [("ct_model", False), ("ct_n", False), ("ct_uniq", True)]
        cur.execute("DROP TABLE ct2")
        assert one(cur, "SELECT count(*) FROM duckdb_sequences() WHERE sequence_name = 'ct_id_seq'") == [(0,)]


def test_alter_is_atomic(server):
    with closing(connect(server)) as c, c.cursor() as cur:
        cur.execute("CREATE TABLE att (id INTEGER PRIMARY KEY, a INTEGER, b INTEGER)")
        cur.execute("CREATE UNIQUE INDEX at_b ON att (b)")
        cur.execute("INSERT INTO att VALUES (1, 1, 1), (2, NULL, 2)")
        before = columns(cur, "att")
        # the second action fails (NULL in a): the first is undone with it
        with pytest.raises(psycopg2.Error):
            cur.execute("ALTER TABLE att DROP COLUMN b, ALTER COLUMN a SET NOT NULL")
        assert columns(cur, "att") == before
        assert indexes(cur, "att") == [("at_b", True)]
        # inside a block, ROLLBACK undoes a rebuild
        cur.execute("BEGIN")
        cur.execute("ALTER TABLE att DROP COLUMN a")
        cur.execute("ALTER TABLE att ADD CONSTRAINT at_x UNIQUE (id, b)")
        cur.execute("ROLLBACK")
        assert columns(cur, "att") == before
        assert indexes(cur, "att") == [("at_b", True)]
        assert one(cur, "SELECT * FROM att ORDER BY id") == [(1, 1, 1), (2, None, 2)]
        # in an implicit transaction (several statements in one Query) too
        with pytest.raises(psycopg2.Error):
            cur.execute("ALTER TABLE att DROP COLUMN a; SELECT 'x'::INTEGER")
        assert columns(cur, "att") == before
        # other sessions see the table all along
        with closing(connect(server)) as c2, c2.cursor() as cur2:
            assert one(cur2, "SELECT count(*) FROM att") == [(2,)]
        with pytest.raises(psycopg2.errors.UndefinedTable):
            cur.execute("ALTER TABLE nope DROP COLUMN a, DROP COLUMN b")
        cur.execute("ALTER TABLE IF EXISTS nope DROP COLUMN a, DROP COLUMN b")
        with pytest.raises(psycopg2.errors.UndefinedColumn):
            cur.execute("ALTER TABLE att DROP COLUMN nope")


def test_group_by_primary_key_selects_other_columns(server):
    with closing(connect(server)) as c, c.cursor() as cur:
        cur.execute("CREATE TABLE au (id INTEGER PRIMARY KEY, name VARCHAR, email VARCHAR)")
        cur.execute("CREATE TABLE bk (id INTEGER PRIMARY KEY, author_id INTEGER, pages INTEGER)")
        cur.execute("INSERT INTO au VALUES (1, 'Ann', 'a@x'), (2, 'Bob', 'b@x')")
        cur.execute("INSERT INTO bk VALUES (1, 1, 10), (2, 1, 20), (3, 2, 5)")
        q = ('SELECT "au"."id", "au"."name", "au"."email" AS "mail", COUNT("bk"."id") AS "n", '
             'SUM("bk"."pages") FROM "au" LEFT OUTER JOIN "bk" ON ("au"."id" = "bk"."author_id") '
             'WHERE "au"."id" > %s GROUP BY "au"."id" HAVING COUNT("bk"."id") > 0 '
             'ORDER BY "au"."name" DESC')
        assert one(cur, q, (0,)) == [(2, "Bob", "b@x", 1, 5), (1, "Ann", "a@x", 2, 30)]
        # a query PostgreSQL refuses too is still refused
        with pytest.raises(psycopg2.errors.GroupingError):
            cur.execute("SELECT author_id, pages FROM bk GROUP BY author_id + 1")


def test_drop_table_forgets_its_foreign_keys(server):
    # Django's "migrate app zero" then "migrate" again: the same constraint names come back
    with closing(connect(server)) as c, c.cursor() as cur:
        for _ in range(2):
            cur.execute("CREATE TABLE fp (id INTEGER PRIMARY KEY)")
            cur.execute("CREATE TABLE fc (id INTEGER PRIMARY KEY, pid INTEGER)")
            cur.execute("ALTER TABLE fc ADD CONSTRAINT fc_pid_fk FOREIGN KEY (pid) "
                        "REFERENCES fp (id)")
            assert one(cur, "SELECT count(*) FROM duckd.foreign_keys") == [(1,)]
            cur.execute("DROP TABLE fc, fp CASCADE")
            assert one(cur, "SELECT count(*) FROM duckd.foreign_keys") == [(0,)]
        cur.execute("DROP TABLE IF EXISTS fc")
        with pytest.raises(psycopg2.errors.UndefinedTable):
            cur.execute("DROP TABLE fc")
        # inside a block that rolls back, the record stays with the table
        cur.execute("CREATE TABLE fp (id INTEGER PRIMARY KEY)")
        cur.execute("CREATE TABLE fc (id INTEGER PRIMARY KEY, pid INTEGER)")
        cur.execute("ALTER TABLE fc ADD CONSTRAINT fc_pid_fk FOREIGN KEY (pid) REFERENCES fp (id)")
        cur.execute("BEGIN")
        cur.execute("DROP TABLE fc")
        cur.execute("ROLLBACK")
        assert one(cur, "SELECT count(*) FROM duckd.foreign_keys") == [(1,)]


def test_create_table_foreign_keys_recorded(server):
    """foreign_keys = record (the default): CREATE TABLE's keys are recorded, not checked, so an
    ORM deletes children and then the parent in one transaction (DuckDB's own check refuses
    that), SQLAlchemy's cascade included."""
    sqlalchemy = pytest.importorskip("sqlalchemy")
    from sqlalchemy.orm import Session, declarative_base, relationship
    with closing(connect(server)) as c, c.cursor() as cur:
        cur.execute("CREATE TABLE rp (id SERIAL PRIMARY KEY, name VARCHAR)")
        cur.execute("CREATE TABLE rc (id SERIAL PRIMARY KEY, a INTEGER REFERENCES rp, "
                    "b INTEGER CONSTRAINT rc_b_fk REFERENCES rp (id) ON DELETE CASCADE NOT NULL, "
                    "FOREIGN KEY (a, b) REFERENCES rp (id, id) DEFERRABLE)")
        assert one(cur, "SELECT constraint_name, columns, ref_table, ref_columns, rules FROM "
                        "duckd.foreign_keys ORDER BY constraint_name") == [
            ("rc_a_b_fkey", "a, b", "rp", "id, id", "DEFERRABLE"),
            ("rc_a_fkey", "a", "rp", None, ""),
            ("rc_b_fk", "b", "rp", "id", "ON DELETE CASCADE")]
        assert columns(cur, "rc") == [("id", "INTEGER", False), ("a", "INTEGER", True),
                                      ("b", "INTEGER", False)]
        # names are checked, and nothing is left behind when they are wrong
        with pytest.raises(psycopg2.errors.UndefinedTable):
            cur.execute("CREATE TABLE rx (id INTEGER, p INTEGER REFERENCES nope (id))")
        with pytest.raises(psycopg2.errors.UndefinedTable):
            cur.execute("SELECT * FROM rx")
        # CREATE TABLE IF NOT EXISTS of the same table keeps one record per key
        cur.execute("CREATE TABLE IF NOT EXISTS rc (id SERIAL PRIMARY KEY, a INTEGER REFERENCES rp)")
        assert one(cur, "SELECT count(*) FROM duckd.foreign_keys") == [(3,)]
        cur.execute("DROP TABLE rc")
        cur.execute("DROP TABLE rp")

    Base = declarative_base()

    class Parent(Base):
        __tablename__ = "parent"
        id = sqlalchemy.Column(sqlalchemy.Integer, primary_key=True)
        children = relationship("Child", cascade="all, delete-orphan")

    class Child(Base):
        __tablename__ = "child"
        id = sqlalchemy.Column(sqlalchemy.Integer, primary_key=True)
        parent_id = sqlalchemy.Column(sqlalchemy.Integer, sqlalchemy.ForeignKey("parent.id"))

    engine = sqlalchemy.create_engine(server.url.replace("postgresql://", "postgresql+psycopg2://"))
    try:
        Base.metadata.create_all(engine)
        with Session(engine) as s:
            p = Parent(children=[Child(), Child()])
            s.add(p)
            s.commit()
            s.delete(p)  # DELETE the children, then the parent, in one transaction
            s.commit()
            assert s.query(Child).count() == 0
        Base.metadata.drop_all(engine)
    finally:
        engine.dispose()


def test_foreign_keys_enforce(start_server):
    """foreign_keys = enforce: CREATE TABLE's keys are DuckDB's, and checked."""
    server = start_server("--memory", "--foreign-keys", "enforce")
    with closing(connect(server)) as c, c.cursor() as cur:
        cur.execute("CREATE TABLE ep (id INTEGER PRIMARY KEY)")
        cur.execute("CREATE TABLE ec (id INTEGER PRIMARY KEY, pid INTEGER REFERENCES ep (id))")
        with pytest.raises(psycopg2.errors.ForeignKeyViolation):
            cur.execute("INSERT INTO ec VALUES (1, 42)")
        assert one(cur, "SELECT count(*) FROM duckdb_constraints() WHERE table_name = 'ec' AND "
                        "constraint_type = 'FOREIGN KEY'") == [(1,)]


def test_index_on_keyword_named_column_is_reflected(server):
    # pandas.to_sql(index=True) indexes a column named "index": DuckDB keeps it quoted in
    # duckdb_indexes().expressions, and it must still read as a column, not an expression
    sqlalchemy = pytest.importorskip("sqlalchemy")
    with closing(connect(server)) as c, c.cursor() as cur:
        cur.execute('CREATE TABLE kw ("index" BIGINT, "Select" INTEGER)')
        cur.execute('CREATE INDEX ix_kw_index ON kw ("index")')
        cur.execute('CREATE UNIQUE INDEX ix_kw_both ON kw ("Select", "index")')
    engine = sqlalchemy.create_engine(server.url.replace("postgresql://", "postgresql+psycopg2://"))
    try:
        got = sorted((i["name"], tuple(i["column_names"]), bool(i["unique"]))
                     for i in sqlalchemy.inspect(engine).get_indexes("kw"))
        assert got == [("ix_kw_both", ("Select", "index"), True),
                       ("ix_kw_index", ("index",), False)]
    finally:
        engine.dispose()


def test_truncate_as_postgresql_spells_it(server):
    # Django's flush: TRUNCATE "a", "b" RESTART IDENTITY [CASCADE]
    with closing(connect(server)) as c, c.cursor() as cur:
        cur.execute("CREATE TABLE ta (id SERIAL PRIMARY KEY, v INTEGER)")
        cur.execute("CREATE INDEX ta_v ON ta (v)")
        cur.execute("CREATE TABLE tb (id BIGSERIAL PRIMARY KEY, a INTEGER REFERENCES ta)")
        cur.execute("CREATE TABLE tc (v INTEGER)")
        for _ in range(3):
            cur.execute("INSERT INTO ta (v) VALUES (1) RETURNING id")
            cur.execute("INSERT INTO tb (a) VALUES (1)")
            cur.execute("INSERT INTO tc VALUES (1)")
        cur.execute('TRUNCATE "ta", tb CONTINUE IDENTITY')
        assert cur.statusmessage == "TRUNCATE TABLE"
        assert (count_rows(cur, "ta"), count_rows(cur, "tb")) == (0, 0)
        cur.execute("INSERT INTO ta (v) VALUES (1) RETURNING id")
        assert cur.fetchone() == (4,)
        cur.execute('TRUNCATE TABLE ONLY ta, tb, tc RESTART IDENTITY CASCADE')
        assert count_rows(cur, "tc") == 0
        cur.execute("INSERT INTO ta (v) VALUES (7) RETURNING id")
        assert cur.fetchone() == (1,)
        cur.execute("INSERT INTO tb (a) VALUES (1) RETURNING id")
        assert cur.fetchone() == (1,)
        assert indexes(cur, "ta") == [("ta_v", False)]
        # the sequence still belongs to the table, and a block rolls a TRUNCATE back
        cur.execute("BEGIN")
        cur.execute("TRUNCATE ta RESTART IDENTITY")
        cur.execute("ROLLBACK")
        assert count_rows(cur, "ta") == 1
        cur.execute("DROP TABLE tb")
        cur.execute("DROP TABLE ta")
        assert one(cur, "SELECT count(*) FROM duckdb_sequences()") == [(0,)]
        with pytest.raises(psycopg2.errors.UndefinedTable):
            cur.execute("TRUNCATE nope")


def count_rows(cur, table):
    cur.execute("SELECT count(*) FROM " + table)
    return cur.fetchone()[0]


def http_rows(server, sql):
    """Rows of sql run through the HTTP API (DuckDB's own dialect), as JSON lists."""
    import http.client
    import json
    from conftest import TOKENS
    c = http.client.HTTPConnection("127.0.0.1", server.http_port, timeout=60)
    try:
        c.request("POST", "/v1/query", body=json.dumps({"sql": sql}),
                  headers={"Authorization": "Bearer " + TOKENS["test"]})
        r = c.getresponse()
        body = r.read()
        assert r.status == 200, body
        return json.loads(body)["rows"]
    finally:
        c.close()


def duckd_mentions(cur):
    """What DuckDB's own catalogs show of duckd's schema (each should be nothing)."""
    seen = {}
    cur.execute("SHOW ALL TABLES")
    seen["SHOW ALL TABLES"] = [r for r in cur.fetchall() if "duckd" in r[:3]]
    cur.execute("SELECT * FROM duckdb_schemas()")
    seen["duckdb_schemas()"] = [r for r in cur.fetchall() if "duckd" in r]
    cur.execute("SELECT table_schema, table_name FROM information_schema.tables")
    seen["information_schema.tables"] = [r for r in cur.fetchall() if "duckd" in r]
    cur.execute("SELECT schema_name, table_name FROM duckdb_tables()")
    seen["duckdb_tables()"] = [r for r in cur.fetchall() if "duckd" in r]
    cur.execute("SELECT DISTINCT table_schema FROM information_schema.columns")
    seen["information_schema.columns"] = [r for r in cur.fetchall() if "duckd" in r]
    return {k: v for k, v in seen.items() if v}


def test_recorded_keys_hidden_from_duckdb_catalogs(start_server, tmpdir_short):
    """The keys duckd records (foreign_keys = record) live in its own table duckd.foreign_keys
    of the served database. DuckDB's catalogs (SHOW ALL TABLES, duckdb_schemas(),
    information_schema) leave schema duckd out, over the PostgreSQL protocol and the HTTP API,
    while pg_constraint still shows the key; the records still roll back with the client's
    transaction and survive a restart."""
    import os
    path = os.path.join(tmpdir_short, "fk.duckdb")
    dirs = [os.path.join(tmpdir_short, d) for d in ("a", "b")]
    for d in dirs:
        os.mkdir(d)
    server = start_server("--db", path, tmpdir=dirs[0])
    key = [("hc_pid_fkey", "f", "FOREIGN KEY (pid) REFERENCES hp(id)")]
    constraints = ("SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
                   "WHERE conrelid = 'hc'::regclass")
    with closing(connect(server)) as c, c.cursor() as cur:
        cur.execute("CREATE TABLE hp (id INTEGER PRIMARY KEY)")
        # recorded inside a block that rolls back: the table of keys goes too
        cur.execute("BEGIN")
        cur.execute("CREATE TABLE hc (id INTEGER, pid INTEGER REFERENCES hp (id))")
        assert one(cur, constraints) == key
        assert duckd_mentions(cur) == {}
        cur.execute("ROLLBACK")
        with pytest.raises(psycopg2.errors.UndefinedTable):
            cur.execute("SELECT * FROM hc")
        with pytest.raises(psycopg2.errors.UndefinedTable):
            cur.execute("SELECT * FROM duckd.foreign_keys")
        cur.execute("CREATE TABLE hc (id INTEGER, pid INTEGER REFERENCES hp (id))")
        assert one(cur, "SELECT count(*) FROM duckd.foreign_keys") == [(1,)]
        assert duckd_mentions(cur) == {}
        assert one(cur, constraints) == key
        # information_schema lists the recorded key as PostgreSQL's lists a foreign key
        assert one(cur, "SELECT constraint_name, table_name, is_deferrable FROM "
                        "information_schema.table_constraints "
                        "WHERE constraint_type = 'FOREIGN KEY'") == [("hc_pid_fkey", "hc", "NO")]
        assert one(cur, "SELECT tc.table_name, kcu.column_name, ccu.table_name, ccu.column_name "
                        "FROM information_schema.table_constraints tc "
                        "JOIN information_schema.key_column_usage kcu "
                        "ON tc.constraint_name = kcu.constraint_name "
                        "JOIN information_schema.constraint_column_usage ccu "
                        "ON ccu.constraint_name = tc.constraint_name "
                        "WHERE tc.constraint_type = 'FOREIGN KEY'") == [("hc", "pid", "hp", "id")]
        assert one(cur, "SELECT rc.constraint_name, rc.delete_rule, tc.table_name "
                        "FROM information_schema.referential_constraints rc "
                        "JOIN information_schema.table_constraints tc "
                        "ON tc.constraint_name = rc.unique_constraint_name") == [
            ("hc_pid_fkey", "NO ACTION", "hp")]
        # nor do the emulated pg_catalog relations show duckd's table
        assert one(cur, "SELECT count(*) FROM pg_class WHERE relname = 'foreign_keys'") == [(0,)]
        assert one(cur, "SELECT count(*) FROM pg_attribute WHERE attname = 'ref_table'") == [(0,)]
        # the user's tables are all still there
        assert one(cur, "SELECT table_name FROM information_schema.tables "
                        "WHERE table_schema = 'main' ORDER BY 1") == [("hc",), ("hp",)]
        assert one(cur, "SELECT name FROM (SHOW ALL TABLES) ORDER BY 1") == [("hc",), ("hp",)]
    # DuckDB's own dialect (the HTTP API) leaves it out too
    assert http_rows(server, "SELECT schema_name, table_name FROM duckdb_tables() "
                             "ORDER BY ALL") == [["main", "hc"], ["main", "hp"]]
    assert http_rows(server, "SELECT schema_name FROM duckdb_schemas() "
                             "WHERE schema_name = 'duckd'") == []
    assert server.stop() == 0
    # a restart on the same file: the key is still recorded, and still hidden
    server = start_server("--db", path, tmpdir=dirs[1])
    with closing(connect(server)) as c, c.cursor() as cur:
        assert duckd_mentions(cur) == {}
        assert one(cur, constraints) == key
