"""PostgreSQL's command-line tools against duckd: psql's meta-commands (which query pg_catalog
through the dialect layer) and pgbench with a custom script in the simple, extended and
prepared query modes."""

import os
import re
import subprocess

import pytest


def psql(srv, *args, input=None, timeout=60):
    cmd = ["psql", "-h", "127.0.0.1", "-p", str(srv.port), "-U", "test", "-d", "test", "-X",
           "-v", "ON_ERROR_STOP=1"] + list(args)
    out = subprocess.run(cmd, capture_output=True, text=True, input=input, timeout=timeout,
                         env=dict(os.environ, PGCONNECT_TIMEOUT="10", PAGER=""))
    assert out.returncode == 0, "psql %s failed:\n%s%s" % (args, out.stdout, out.stderr)
    assert "ERROR" not in out.stderr, out.stderr
    return out.stdout


SETUP = """
CREATE TABLE customers (id INTEGER PRIMARY KEY, name VARCHAR NOT NULL, balance DECIMAL(18,3),
                        tags VARCHAR[], created TIMESTAMP DEFAULT current_timestamp);
CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers (id),
                     amount DOUBLE CHECK (amount >= 0));
CREATE INDEX orders_customer ON orders (customer_id);
CREATE VIEW big_orders AS SELECT * FROM orders WHERE amount > 100;
CREATE SCHEMA sales;
CREATE TABLE sales.regions (code VARCHAR);
INSERT INTO customers (id, name, balance) VALUES (1, 'Ada', 10.5), (2, 'Grace', NULL);
"""


def test_psql_queries(server):
    psql(server, "-q", input=SETUP)
    out = psql(server, "-A", "-t", "-c", "select name, balance is null from customers order by id")
    assert out.splitlines() == ["Ada|f", "Grace|t"]
    out = psql(server, "-A", "-t", "-F", ",", "-c", "select 1 as a, 'x' as b",
               "-c", "select count(*) from customers")
    assert out.splitlines() == ["1,x", "2"]
    out = psql(server, "-c", "select id, name from customers order by id")
    assert re.search(r"^\s*id\s*\|\s*name\s*$", out, re.M), out
    assert "(2 rows)" in out
    # a statement that fails: psql reports the server's message and exits 1
    bad = subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(server.port), "-U", "test", "-X",
                          "-d", "test", "-c", "select * from missing_table"],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1 and "missing_table" in bad.stderr


def test_psql_describe_commands(server):
    psql(server, "-q", input=SETUP)
    out = psql(server, "-c", r"\dt")
    assert "List of relations" in out
    rows = {(m.group(1), m.group(2)) for m in
            re.finditer(r"^\s*(\w+)\s*\|\s*(\w+)\s*\|\s*table\s*\|", out, re.M)}
    assert {("main", "customers"), ("main", "orders")} <= rows, out
    assert "big_orders" not in out  # \dt lists tables only
    out = psql(server, "-c", r"\dt sales.*")
    assert re.search(r"sales\s*\|\s*regions\s*\|\s*table", out), out
    out = psql(server, "-c", r"\dv")
    assert re.search(r"main\s*\|\s*big_orders\s*\|\s*view", out), out

    out = psql(server, "-c", r"\d customers")
    assert 'Table "main.customers"' in out, out
    columns = dict(re.findall(r"^\s*(\w+)\s*\|\s*([\w ,()\[\]]+?)\s*\|", out, re.M))
    assert columns["id"] == "integer"
    assert columns["name"] == "text"
    assert columns["balance"] == "numeric(18,3)"
    assert columns["tags"] == "text[]"
    assert columns["created"] == "timestamp without time zone"
    assert re.search(r"^\s*name\s*\|.*\|\s*not null\s*\|", out, re.M), out

    out = psql(server, "-c", r"\d orders")
    assert 'Table "main.orders"' in out and "Check constraints:" in out, out
    assert "orders_customer" in out, out

    out = psql(server, "-c", r"\dn")
    assert "List of schemas" in out
    assert re.search(r"^\s*main\s*\|", out, re.M) and re.search(r"^\s*sales\s*\|", out, re.M)

    out = psql(server, "-c", r"\l")
    assert "List of databases" in out
    assert re.search(r"^\s*memory\s*\|\s*\w+\s*\|\s*UTF8", out, re.M), out

    # the other listings answer (empty where DuckDB has no such objects) instead of an error
    for cmd, title in ((r"\du", "List of roles"), (r"\dx", "List of installed extensions"),
                       (r"\dT", "List of data types"), (r"\df", "List of functions"),
                       (r"\dp", "Access privileges"), (r"\db", "List of tablespaces"),
                       (r"\dD", "List of domains"), (r"\dC", "List of casts"),
                       (r"\do", "List of operators")):
        out = psql(server, "-c", cmd)
        assert title in out, (cmd, out)

    out = psql(server, "-c", r"\d")  # tables, views (and sequences) together
    assert "customers" in out and "big_orders" in out

    # psql's own "not found" message (exit 1), not a server error
    out = subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(server.port), "-U", "test", "-X",
                          "-d", "test", "-c", r"\d nothing_here"],
                         capture_output=True, text=True, timeout=60)
    assert 'Did not find any relation named "nothing_here"' in out.stderr, out.stderr
    assert "ERROR" not in out.stderr


# pgbench: each client updates its own rows (no write-write conflicts between clients,
# which DuckDB's optimistic concurrency would report as serialization failures) and reads
# them back, inside explicit transactions.
PGBENCH_SCRIPT = r"""
\set aid (:client_id * 100) + random(1, 100)
BEGIN;
UPDATE bench_accounts SET balance = balance + 1 WHERE aid = :aid;
SELECT balance FROM bench_accounts WHERE aid = :aid;
END;
SELECT count(*) FROM bench_accounts WHERE aid <= :aid;
"""

CLIENTS, TRANSACTIONS = 4, 50


def pgbench_available():
    # Debian ships pgbench with the server package (postgresql-15); /usr/bin/pgbench is a
    # wrapper that fails when no version of it is installed.
    try:
        return subprocess.run(["pgbench", "--version"], capture_output=True,
                              timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@pytest.mark.skipif(not pgbench_available(), reason="pgbench is not installed (postgresql-15)")
@pytest.mark.parametrize("mode", ["simple", "extended", "prepared"])
def test_pgbench(server, tmp_path, mode):
    psql(server, "-q", "-c", "CREATE TABLE bench_accounts (aid INTEGER PRIMARY KEY, "
                             "balance BIGINT NOT NULL)",
         "-c", "INSERT INTO bench_accounts SELECT i, 0 FROM range(0, %d) t(i)" % (CLIENTS * 100 + 101))
    script = tmp_path / "bench.sql"
    script.write_text(PGBENCH_SCRIPT)
    out = subprocess.run(["pgbench", "-n", "-f", str(script), "-M", mode, "-c", str(CLIENTS),
                          "-j", "2", "-t", str(TRANSACTIONS), "-h", "127.0.0.1",
                          "-p", str(server.port), "-U", "test", "test"],
                         capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "query mode: %s" % mode in out.stdout
    total = CLIENTS * TRANSACTIONS
    assert "number of transactions actually processed: %d/%d" % (total, total) in out.stdout, \
        out.stdout + out.stderr
    assert "number of failed transactions: 0 (0.000%)" in out.stdout, out.stdout + out.stderr
    out = psql(server, "-A", "-t", "-c", "select sum(balance) from bench_accounts")
    assert out.strip() == str(total)  # every committed update is there
