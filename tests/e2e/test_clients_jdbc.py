"""JDBC (pgjdbc, /usr/share/java/postgresql.jar) against duckd: compiles
tests/e2e/java/ClientTest.java into a temporary directory and runs it against a server; the
Java program asserts every value itself and exits non-zero on the first failure."""

import os
import shutil
import subprocess

import pytest

JAR = "/usr/share/java/postgresql.jar"
SOURCE = os.path.join(os.path.dirname(__file__), "java", "ClientTest.java")

pytestmark = pytest.mark.skipif(
    not (shutil.which("javac") and shutil.which("java") and os.path.exists(JAR)),
    reason="needs javac/java and the PostgreSQL JDBC driver (%s)" % JAR)


@pytest.fixture(scope="module")
def classes(tmp_path_factory):
    out = tmp_path_factory.mktemp("jdbc")
    res = subprocess.run(["javac", "-encoding", "UTF-8", "-cp", JAR, "-d", str(out), SOURCE],
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
