"""Node.js clients against duckd: node-postgres (pg) and postgres.js, pinned in
tests/e2e/node/package.json + package-lock.json. Installs them with `npm ci` when
node_modules is missing, then runs tests/e2e/node/client_test.mjs, which asserts every value
itself and exits non-zero on the first failure."""

import os
import shutil
import subprocess

import pytest

NODE_DIR = os.path.join(os.path.dirname(__file__), "node")

pytestmark = pytest.mark.skipif(not (shutil.which("node") and shutil.which("npm")),
                                reason="needs node and npm")


@pytest.fixture(scope="module")
def node_modules():
    if not os.path.isdir(os.path.join(NODE_DIR, "node_modules")):
        res = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=NODE_DIR,
                             capture_output=True, text=True, timeout=600)
        assert res.returncode == 0, res.stdout + res.stderr
    return NODE_DIR


def run_node(srv, *sections):
    env = dict(os.environ, TZ="UTC")
    res = subprocess.run(["node", "client_test.mjs", str(srv.port)] + list(sections),
                         cwd=NODE_DIR, capture_output=True, text=True, timeout=300, env=env)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "checks passed" in res.stdout, res.stdout + res.stderr


def test_node_pg(server, node_modules):
    run_node(server, "pg-types", "pg-params", "pg-tx")


def test_node_postgres_js(server, node_modules):
    run_node(server, "js-types", "js-params", "js-tx")


def test_node_array_parameters(server, node_modules):
    run_node(server, "pg-arrays")


def test_node_postgres_js_array_parameters(server, node_modules):
    """sql.array() of int4, varchar, text and int8 values (the same checks pass against
    PostgreSQL 15). postgres.js fills its array-type map only after building the first query of
    a new connection (porsager/postgres#789, PostgreSQL rejects that query too), so the section
    starts with an explicit array type OID, which needs no map."""
    run_node(server, "js-arrays")


def test_node_postgres_js_untyped_parameter(server, node_modules):
    run_node(server, "js-untyped")
