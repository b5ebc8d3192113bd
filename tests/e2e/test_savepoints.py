"""Savepoints. DuckDB has none; duckd keeps their names and honours every use it can honour
exactly: SAVEPOINT, RELEASE, and ROLLBACK TO a savepoint after which only queries ran. A
ROLLBACK TO that would have to undo changes fails with 0A000 and leaves the block failed, so
what it should have undone is never committed. That covers the nested blocks of ORMs and
drivers when they succeed (psycopg 3 transaction(), SQLAlchemy begin_nested(), Django's
nested atomic())."""

from contextlib import closing

import psycopg
import psycopg2
import psycopg2.errors
import pytest


def connect(server):
    c = psycopg2.connect(server.dsn)
    c.autocommit = True
    return c


def count(cur, table):
    cur.execute("SELECT count(*) FROM " + table)
    return cur.fetchone()[0]


def test_savepoint_release_and_rollback_to_without_changes(server):
    with closing(connect(server)) as c, c.cursor() as cur:
        cur.execute("CREATE TABLE sp (v INTEGER)")
        cur.execute("BEGIN")
        cur.execute("INSERT INTO sp VALUES (1)")
        cur.execute("SAVEPOINT a")
        assert cur.statusmessage == "SAVEPOINT"
        cur.execute("SELECT count(*) FROM sp")
        cur.execute("ROLLBACK TO SAVEPOINT a")  # only a query since: exact
        assert cur.statusmessage == "ROLLBACK"
        cur.execute('SAVEPOINT "B"')
        cur.execute("INSERT INTO sp VALUES (2)")
        cur.execute('RELEASE SAVEPOINT "B"')
        assert cur.statusmessage == "RELEASE"
        cur.execute("COMMIT")
        assert count(cur, "sp") == 2
        # a survives a ROLLBACK TO it, and the ones set after it go
        cur.execute("BEGIN")
        cur.execute("SAVEPOINT a")
        cur.execute("SAVEPOINT b")
        cur.execute("ROLLBACK TO a")
        with pytest.raises(psycopg2.errors.InvalidSavepointSpecification):
            cur.execute("RELEASE b")
        cur.execute("ROLLBACK")
        cur.execute("BEGIN")
        cur.execute("SAVEPOINT a")
        cur.execute("ROLLBACK TO a")
        cur.execute("RELEASE a")
        cur.execute("COMMIT")
        assert cur.statusmessage == "COMMIT"


def test_rollback_to_over_changes_aborts_the_block(server):
    with closing(connect(server)) as c, c.cursor() as cur:
        cur.execute("CREATE TABLE sq (v INTEGER)")
        cur.execute("BEGIN")
        cur.execute("INSERT INTO sq VALUES (1)")
        cur.execute("SAVEPOINT a")
        cur.execute("INSERT INTO sq VALUES (2)")
        with pytest.raises(psycopg2.errors.FeatureNotSupported) as e:
            cur.execute("ROLLBACK TO SAVEPOINT a")
        assert "cannot roll back to savepoint" in str(e.value)
        with pytest.raises(psycopg2.errors.InFailedSqlTransaction):
            cur.execute("SELECT 1")
        cur.execute("COMMIT")  # a failed block rolls back
        assert cur.statusmessage == "ROLLBACK"
        assert count(cur, "sq") == 0


def test_savepoint_errors(server):
    with closing(connect(server)) as c, c.cursor() as cur:
        with pytest.raises(psycopg2.errors.NoActiveSqlTransaction):
            cur.execute("SAVEPOINT a")
        cur.execute("BEGIN")
        with pytest.raises(psycopg2.errors.InvalidSavepointSpecification):
            cur.execute("RELEASE SAVEPOINT nope")
        cur.execute("ROLLBACK")
        cur.execute("BEGIN")
        cur.execute("SAVEPOINT a")
        cur.execute("RELEASE a")
        with pytest.raises(psycopg2.errors.InvalidSavepointSpecification):
            cur.execute("ROLLBACK TO a")  # released
        cur.execute("ROLLBACK")
        with pytest.raises(psycopg2.errors.SyntaxError):
            cur.execute("SAVEPOINT")


def test_drivers_and_orms_nested_blocks(server):
    # psycopg 3: nested transaction() blocks are savepoints
    with psycopg.connect(server.dsn, autocommit=True) as c:
        c.execute("CREATE TABLE nt (v INTEGER)")
        with c.transaction():
            c.execute("INSERT INTO nt VALUES (1)")
            with c.transaction():
                c.execute("INSERT INTO nt VALUES (2)")
        assert c.execute("SELECT count(*) FROM nt").fetchone()[0] == 2
        # a nested block rolled back over changes takes the whole transaction down with it:
        # nothing of it is committed (psycopg logs the failed ROLLBACK TO and rolls back)
        with c.transaction():
            c.execute("INSERT INTO nt VALUES (3)")
            with c.transaction():
                c.execute("INSERT INTO nt VALUES (4)")
                raise psycopg.Rollback()
        assert c.execute("SELECT count(*) FROM nt").fetchone()[0] == 2
        # ... and one that only read is rolled back exactly
        with c.transaction():
            c.execute("INSERT INTO nt VALUES (3)")
            with c.transaction():
                c.execute("SELECT count(*) FROM nt")
                raise psycopg.Rollback()
        assert c.execute("SELECT count(*) FROM nt").fetchone()[0] == 3

    # SQLAlchemy begin_nested()
    sqlalchemy = pytest.importorskip("sqlalchemy")
    engine = sqlalchemy.create_engine(server.url.replace("postgresql://", "postgresql+psycopg2://"))
    try:
        with engine.begin() as conn:
            conn.execute(sqlalchemy.text("INSERT INTO nt VALUES (5)"))
            with conn.begin_nested():
                conn.execute(sqlalchemy.text("INSERT INTO nt VALUES (6)"))
        with engine.connect() as conn:
            assert conn.execute(sqlalchemy.text("SELECT count(*) FROM nt")).scalar() == 5
    finally:
        engine.dispose()
