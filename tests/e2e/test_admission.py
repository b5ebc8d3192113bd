"""Admission control (max_concurrent_queries, queue_timeout, retry_out_of_memory): with one
slot, a second statement waits while the first runs and the wait shows in the log and the
counters; a statement whose kind ran light runs without a slot; a wait ends with 53000 at
queue_timeout, with 57014 on a CancelRequest or statement_timeout, and when the client hangs
up (its place is freed at once); sessions holding a transaction, an open SQL cursor or a
suspended portal hold no slot, so others run meanwhile (no deadlock); an autocommit query
that runs out of memory waits until it can run alone and runs once more; HTTP queries wait in
the same queue."""

import socket
import struct
import threading
import time

import psycopg2
import pytest

from conftest import startup_packet

# Runs until cancelled (seconds of CPU); each test cancels it.
LONG_QUERY = "SELECT sum(a.range * b.range) FROM range(100000) a, range(1000000) b"
# string_agg over 3M strings: far more than a 100 MB memory_limit allows, even alone.
OOM_QUERY = ("SELECT sum(length(x)) FROM (SELECT i % 200000 AS g, string_agg(md5(i::VARCHAR), "
             "',') AS x FROM range(3000000) r(i) GROUP BY 1)")


class Running:
    """A statement running on its own connection and thread; .error / .rows / .took when done."""

    def __init__(self, server, sql, setup=()):
        self.conn = psycopg2.connect(server.dsn)
        self.conn.autocommit = True
        for s in setup:
            self.conn.cursor().execute(s)
        self.sql = sql
        self.error = self.rows = self.took = None
        self.thread = threading.Thread(target=self._run)
        self.t0 = time.monotonic()
        self.thread.start()

    def _run(self):
        try:
            cur = self.conn.cursor()
            cur.execute(self.sql)
            self.rows = cur.fetchall()
        except psycopg2.Error as e:
            self.error = e
        self.took = time.monotonic() - self.t0

    def done(self, timeout):
        self.thread.join(timeout)
        return not self.thread.is_alive()

    def cancel_and_close(self):
        self.conn.cancel()
        assert self.done(20), "statement did not stop after a cancel"
        self.conn.close()


def wait_for_log(server, text, timeout=10, count=1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.read_log().count(text) >= count:
            return True
        time.sleep(0.05)
    return False


def one_slot(start_server, *extra):
    return start_server("--memory", "--max-concurrent-queries", "1", "--log-level", "debug",
                        *extra)


def hold_the_slot(server):
    """Starts LONG_QUERY and waits until it holds the one slot."""
    n = server.read_log().count("statement queued")
    holder = Running(server, LONG_QUERY)
    time.sleep(0.5)
    assert holder.error is None and not holder.done(0), holder.error
    assert server.read_log().count("statement queued") == n  # it did not wait itself
    return holder


def sessions_by_state(conn):
    cur = conn.cursor()
    cur.execute("SELECT state, query FROM duckd_sessions() ORDER BY id")
    return cur.fetchall()


def test_second_statement_waits_then_runs(start_server):
    server = one_slot(start_server)
    watcher = psycopg2.connect(server.dsn)
    sessions_by_state(watcher)  # runs once with the slot free: known light from now on
    holder = hold_the_slot(server)
    waiter = Running(server, "SELECT 42 AS answer")
    assert wait_for_log(server, "statement queued: user=test running=1 queued=1", 5)
    assert not waiter.done(1.0), "the second statement ran although the slot was taken"
    # the sessions view shows who waits (and, being light, does not wait itself)
    states = sessions_by_state(watcher)
    assert ("queued", "SELECT 42 AS answer") in states, states
    assert ("active", LONG_QUERY) in states, states
    watcher.close()
    holder.cancel_and_close()
    assert holder.error is not None and holder.error.pgcode == "57014"
    assert waiter.done(10) and waiter.error is None and waiter.rows == [(42,)]
    assert waiter.took > 1.0
    waiter.conn.close()
    # The same kind of statement ran light: the next one does not wait even with the slot taken.
    holder = hold_the_slot(server)
    c = psycopg2.connect(server.dsn)
    t0 = time.monotonic()
    cur = c.cursor()
    cur.execute("SELECT 7 AS answer")
    assert cur.fetchall() == [(7,)] and time.monotonic() - t0 < 1.0
    c.close()
    holder.cancel_and_close()
    server.stop()
    log = server.read_log()
    assert "admission control: at most 1 concurrent statements" in log
    assert "1 after waiting" in log, log[-2000:]


def test_queue_timeout_fails_with_53000(start_server):
    server = one_slot(start_server, "--queue-timeout", "300ms")
    holder = hold_the_slot(server)
    c = psycopg2.connect(server.dsn)
    t0 = time.monotonic()
    with pytest.raises(psycopg2.Error) as ei:
        c.cursor().execute("SELECT count(*) FROM range(10)")
    took = time.monotonic() - t0
    assert ei.value.pgcode == "53000", ei.value.pgerror
    assert "queue_timeout" in ei.value.pgerror
    assert "max_concurrent_queries is 1" in ei.value.pgerror  # the detail
    assert 0.25 < took < 5, took
    c.close()
    holder.cancel_and_close()
    server.stop()
    assert "1 queue timeouts" in server.read_log()


def test_cancel_while_queued(start_server):
    server = one_slot(start_server)
    holder = hold_the_slot(server)
    waiter = Running(server, "SELECT count(*) FROM range(20)")
    assert wait_for_log(server, "statement queued", 5)
    t0 = time.monotonic()
    waiter.conn.cancel()
    assert waiter.done(5), "a cancelled statement stayed in the queue"
    assert time.monotonic() - t0 < 3
    assert waiter.error.pgcode == "57014"
    assert "canceling statement due to user request" in waiter.error.pgerror
    assert not holder.done(0)  # the running statement is not affected
    # the session goes on: its next statement waits again and runs once the slot is free
    # (the cancel does not linger on its DuckDB connection)
    result = []

    def again():
        cur = waiter.conn.cursor()
        cur.execute("SELECT count(*) FROM range(20)")
        result.extend(cur.fetchall())

    t = threading.Thread(target=again)
    t.start()
    holder.cancel_and_close()
    t.join(10)
    assert not t.is_alive() and result == [(20,)], result
    waiter.conn.close()


def test_statement_timeout_while_queued(start_server):
    server = one_slot(start_server)
    holder = hold_the_slot(server)
    waiter = Running(server, "SELECT count(*) FROM range(30)", setup=["SET statement_timeout = 400"])
    assert waiter.done(5)
    assert waiter.error.pgcode == "57014"
    assert "canceling statement due to statement timeout" in waiter.error.pgerror
    assert 0.3 < waiter.took < 4
    waiter.conn.close()
    holder.cancel_and_close()


def read_messages(s, until=b"Z"):
    buf, msgs = b"", []
    while True:
        while len(buf) >= 5:
            n = struct.unpack("!I", buf[1:5])[0]
            if len(buf) < 1 + n:
                break
            msgs.append((buf[:1], buf[5:1 + n]))
            buf = buf[1 + n:]
            if msgs[-1][0] == until:
                return msgs
        chunk = s.recv(65536)
        if not chunk:
            return msgs
        buf += chunk


def msg(t, payload=b""):
    return t + struct.pack("!I", len(payload) + 4) + payload


def test_disconnect_while_queued_leaves_the_queue(start_server):
    server = one_slot(start_server)
    holder = hold_the_slot(server)
    s = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    s.sendall(startup_packet())
    pid = [struct.unpack("!ii", p)[0] for t, p in read_messages(s) if t == b"K"][0]
    s.sendall(msg(b"Q", b"SELECT count(*) FROM range(40)\0"))
    assert wait_for_log(server, "statement queued", 5)
    s.close()
    # The watchdog sees the hang-up; the session leaves the queue and ends while the slot is
    # still taken.
    assert wait_for_log(server, "connection end: pid=%d" % pid, 5), server.read_log()[-2000:]
    assert not holder.done(0)
    holder.cancel_and_close()
    server.stop()
    assert "1 withdrawn" in server.read_log()


def test_transactions_cursors_and_portals_hold_no_slot(start_server):
    """With one slot: a session in a transaction block with an open SQL cursor, and one with a
    suspended portal (Execute with a row limit, no Sync), leave the slot free between their
    statements, so another session runs; then both go on."""
    server = one_slot(start_server, "--queue-timeout", "5s")
    a = psycopg2.connect(server.dsn)
    cur = a.cursor()
    cur.execute("BEGIN")
    cur.execute("DECLARE c CURSOR FOR SELECT range AS i FROM range(1000000)")
    cur.execute("FETCH 10 FROM c")
    assert len(cur.fetchall()) == 10
    # a suspended portal inside a block, on the raw protocol
    s = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    s.sendall(startup_packet())
    read_messages(s)
    s.sendall(msg(b"Q", b"BEGIN\0"))
    read_messages(s)
    s.sendall(msg(b"P", b"\0SELECT range FROM range(1000000)\0" + struct.pack("!H", 0)) +
              msg(b"B", b"p\0\0" + struct.pack("!HHH", 0, 0, 0)) +
              msg(b"E", b"p\0" + struct.pack("!I", 5)) + msg(b"H"))
    got = read_messages(s, until=b"s")
    assert got[-1][0] == b"s" and sum(1 for t, _ in got if t == b"D") == 5, got
    # both hold their transactions; another session runs at once
    b = psycopg2.connect(server.dsn)
    t0 = time.monotonic()
    bc = b.cursor()
    bc.execute("SELECT count(*) FROM range(123456)")
    assert bc.fetchall() == [(123456,)]
    assert time.monotonic() - t0 < 3
    # and both go on
    cur.execute("FETCH 5 FROM c")
    assert [r[0] for r in cur.fetchall()] == [10, 11, 12, 13, 14]
    cur.execute("COMMIT")
    s.sendall(msg(b"E", b"p\0" + struct.pack("!I", 3)) + msg(b"S"))
    got = read_messages(s)
    assert sum(1 for t, _ in got if t == b"D") == 3 and got[-1] == (b"Z", b"T"), got
    s.sendall(msg(b"Q", b"COMMIT\0"))
    assert read_messages(s)[-1] == (b"Z", b"I")
    s.close()
    a.close()
    b.close()


def test_out_of_memory_reruns_alone_once(start_server):
    server = start_server("--memory", "--memory-limit", "100MB", "--max-concurrent-queries", "-1",
                          "--log-level", "debug")
    holder = hold_the_slot(server)
    q = Running(server, OOM_QUERY)
    # it runs out of memory, then waits for the holder to finish before it runs again alone
    assert wait_for_log(server, "out of memory; the statement waits to run again alone", 30)
    assert wait_for_log(server, "statement queued to run alone", 5)
    assert not q.done(1.0)
    holder.cancel_and_close()
    assert q.done(60)
    assert q.error is not None and q.error.pgcode == "53200", q.error  # too big even alone
    q.conn.close()
    server.stop()
    assert "1 out-of-memory reruns" in server.read_log()


def test_out_of_memory_rerun_can_be_turned_off(start_server):
    server = start_server("--memory", "--memory-limit", "100MB", "--log-level", "debug",
                          env={"DUCKD_RETRY_OUT_OF_MEMORY": "false"})
    c = psycopg2.connect(server.dsn)
    with pytest.raises(psycopg2.Error) as ei:
        c.cursor().execute(OOM_QUERY)
    assert ei.value.pgcode == "53200"
    c.close()
    assert "waits to run again alone" not in server.read_log()


def test_http_statements_share_the_queue(start_server):
    """One queue for both front-ends: with a pgwire statement holding the one slot, an HTTP
    query waits, and fails with 53000 at queue_timeout."""
    import http.client
    import json

    from conftest import TOKENS

    server = one_slot(start_server, "--queue-timeout", "300ms")
    holder = hold_the_slot(server)
    c = http.client.HTTPConnection("127.0.0.1", server.http_port, timeout=30)
    t0 = time.monotonic()
    c.request("POST", "/v1/query", body=json.dumps({"sql": "SELECT count(*) FROM range(77)"}),
              headers={"Authorization": "Bearer " + TOKENS["test"]})
    r = c.getresponse()
    body = json.loads(r.read())
    took = time.monotonic() - t0
    c.close()
    assert (r.status, body["code"]) == (503, "53000"), (r.status, body)
    assert 0.25 < took < 5, took
    holder.cancel_and_close()


def test_sighup_changes_the_cap(start_server, tmpdir_short):
    """max_concurrent_queries and queue_timeout change at run time: a waiting statement is
    admitted when the cap grows."""
    import os
    import signal

    ini = os.path.join(tmpdir_short, "admit.ini")
    with open(ini, "w") as f:
        f.write("[server]\nmax_concurrent_queries = 1\n")
    server = start_server("--memory", "--config", ini, "--log-level", "debug")
    holder = hold_the_slot(server)
    waiter = Running(server, "SELECT 5 AS five")
    assert wait_for_log(server, "statement queued", 5)
    assert not waiter.done(0.5)
    with open(ini, "w") as f:
        f.write("[server]\nmax_concurrent_queries = 2\nqueue_timeout = 5s\n")
    server.proc.send_signal(signal.SIGHUP)
    assert wait_for_log(server, "server.max_concurrent_queries (1 -> 2)", 5), server.read_log()[-1500:]
    assert waiter.done(5) and waiter.rows == [(5,)], waiter.error
    assert not holder.done(0)
    waiter.conn.close()
    holder.cancel_and_close()
