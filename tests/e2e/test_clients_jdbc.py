"""JDBC (pgjdbc, /usr/share/java/postgresql.jar) against duckd: compiles
tests/e2e/java/ClientTest.java into a temporary directory and runs it against a server; the
Java program asserts every value itself and exits non-zero on the first failure.
tests/e2e/java/MetadataDump.java prints what DatabaseMetaData reports for the schema of
test_metadata.py, compared with a scratch PostgreSQL's answers."""

import os
import re
import shutil
import subprocess

import pytest

from test_metadata import pg, run_schema  # noqa: F401 (pg is a fixture)

JAR = "/usr/share/java/postgresql.jar"
SOURCES = [os.path.join(os.path.dirname(__file__), "java", name)
           for name in ("ClientTest.java", "MetadataDump.java")]

pytestmark = pytest.mark.skipif(
    not (shutil.which("javac") and shutil.which("java") and os.path.exists(JAR)),
    reason="needs javac/java and the PostgreSQL JDBC driver (%s)" % JAR)


@pytest.fixture(scope="module")
def classes(tmp_path_factory):
    out = tmp_path_factory.mktemp("jdbc")
    res = subprocess.run(["javac", "-encoding", "UTF-8", "-cp", JAR, "-d", str(out)] + SOURCES,
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    return str(out)


def test_jdbc_client(server, classes):
    res = subprocess.run(["java", "-cp", classes + os.pathsep + JAR, "ClientTest",
                          str(server.port)], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "checks passed" in res.stdout, res.stdout + res.stderr


def test_jdbc_interleaved_portals(server, classes):
    res = subprocess.run(["java", "-cp", classes + os.pathsep + JAR, "ClientTest",
                          str(server.port), "interleaved"],
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr


def metadata_dump(classes, port, database, user):
    res = subprocess.run(["java", "-cp", classes + os.pathsep + JAR, "MetadataDump", str(port),
                          database, user], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    return res.stdout.splitlines()


def normalise(lines):
    """Sorted rows, PostgreSQL's public schema as DuckDB's main, varchar(n) as text (DuckDB
    keeps no length); see test_metadata.py."""
    out = []
    for line in lines:
        line = line.replace("=public|", "=main|")
        if line.endswith("=public"):
            line = line[:-len("public")] + "main"
        if "TYPE_NAME=varchar|" in line:
            line = re.sub(r"TYPE_NAME=varchar\|COLUMN_SIZE=\d+", "TYPE_NAME=text|COLUMN_SIZE=2147483647",
                          line)
        out.append(line)
    return sorted(out)


def test_jdbc_database_metadata_matches_postgres(pg, server, classes):  # noqa: F811
    run_schema(server.dsn)
    want = normalise(metadata_dump(classes, pg.port, "postgres", "test"))
    got = normalise(metadata_dump(classes, server.port, "test", "test"))
    # getTypeInfo: every type duckd describes is PostgreSQL's, with the same JDBC type
    want_types = {line for line in want if line.startswith("getTypeInfo")}
    got_types = {line for line in got if line.startswith("getTypeInfo")}
    assert got_types <= want_types
    for name in ("int4", "int8", "text", "varchar", "numeric", "bool", "date", "timestamp",
                 "timestamptz", "float8", "bytea", "uuid", "json", "_int4", "_text"):
        assert any(line.startswith("getTypeInfo|TYPE_NAME=%s|" % name) for line in got_types), name
    assert [line for line in got if not line.startswith("getTypeInfo")] == \
        [line for line in want if not line.startswith("getTypeInfo")]
