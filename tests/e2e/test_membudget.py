"""One memory budget (issue 11): memory_limit is split between DuckDB and duckd's own buffers
(buffer_memory); partially received messages beyond the budget get FATAL 53200 while other
clients keep working; results waiting for slow clients make their sessions wait
(backpressure), never fail; the budget and what each kind holds show in duckd_info() and
/metrics."""

import io
import struct
import threading
import time
import urllib.request

import psycopg2
import pytest

from test_limits import (SYNC, assert_serves, bind, errors, execute, login, parse, query,
                         read_messages, tcp, wait_for_log)

MiB = 1 << 20


def info(server):
    c = psycopg2.connect(server.dsn)
    try:
        cur = c.cursor()
        cur.execute("SELECT current_setting('memory_limit'), memory_limit, buffer_memory, "
                    "buffer_memory_used FROM duckd_info()")
        return cur.fetchone()
    finally:
        c.close()


def test_memory_limit_is_split(start_server):
    server = start_server("--memory", "--memory-limit", "1GiB", "--buffer-memory", "128MiB")
    setting, shown, budget, used = info(server)
    assert setting == "896.0 MiB" and shown == setting, (setting, shown)
    assert budget == 128 * MiB and 0 <= used < budget
    assert "DuckDB 896.0 MiB + duckd buffers 128.0 MiB" in server.read_log()
    server.stop()
    # automatic: a tenth of memory_limit (DuckDB's units: 2GB = 2 * 10^9 bytes)
    server = start_server("--memory", "--memory-limit", "2GB")
    setting, _, budget, _ = info(server)
    assert budget == 200000000, budget
    assert setting == "1.6 GiB", setting  # 1.8e9 bytes


def test_budget_must_leave_duckdb_most(start_server):
    server = start_server("--memory", "--memory-limit", "1GiB", "--buffer-memory", "900MiB",
                          wait=False)
    server.expected_rc = 1
    assert server.proc.wait(30) == 1
    assert "leaves DuckDB less than a quarter" in server.read_log()


def test_partial_messages_over_budget_get_53200(start_server):
    server = start_server("--memory", "--buffer-memory", "4MB")
    hog = login(tcp(server))
    # declares a 60 MiB query and sends 8 MiB of it: more than the whole budget
    try:
        hog.sendall(b"Q" + struct.pack("!I", (60 << 20) + 4) + b"x" * (8 << 20))
    except OSError:
        pass
    hog.settimeout(10)
    e = errors(read_messages(hog))
    hog.close()
    assert len(e) == 1, e
    assert e[0]["S"] == "FATAL" and e[0]["C"] == "53200" and "buffer_memory" in e[0]["D"], e
    assert wait_for_log(server, "buffer memory exhausted (buffer_memory)")
    # the others keep working, and the hog's memory went back
    assert_serves(server)
    deadline = time.monotonic() + 10
    while info(server)[3] > 1 * MiB and time.monotonic() < deadline:
        time.sleep(0.1)
    assert info(server)[3] <= 1 * MiB


BIG = "SELECT i, repeat('x', 100) AS pad FROM range(%d) t(i)"


def stream(server, rows, slow, out, idx):
    """One raw client that reads a big result, slowly at first when slow; stores
    (rows received, errors) in out[idx]."""
    s = login(tcp(server, timeout=60))
    s.sendall(query(BIG % rows))
    if slow:
        time.sleep(1.5)  # let the session fill the socket and its buffer and stall
    n, errs, buf = 0, [], b""
    while True:
        chunk = s.recv(1 << 16)
        if not chunk:
            break
        buf += chunk
        done = False
        while len(buf) >= 5:
            ln = struct.unpack("!I", buf[1:5])[0]
            if len(buf) < 1 + ln:
                break
            t, payload = buf[:1], buf[5:1 + ln]
            buf = buf[1 + ln:]
            if t == b"D":
                n += 1
            elif t == b"E":
                errs.append(payload)
            elif t == b"Z":
                done = True
        if done:
            break
    s.close()
    out[idx] = (n, errs)


def test_many_streams_all_complete_under_a_tiny_budget(start_server):
    server = start_server("--memory", "--buffer-memory", "1MB", "--max-concurrent-queries", "-1")
    nclients, rows = 12, 200000  # ~25 MB of DataRows each, 300 MB in all, through a 1 MB budget
    out = [None] * nclients
    threads = [threading.Thread(target=stream, args=(server, rows, i % 2 == 0, out, i))
               for i in range(nclients)]
    for t in threads:
        t.start()
    time.sleep(1.0)
    # while the slow half stalls: what duckd's buffers hold stays near the budget (the
    # minimum each session may always keep: its input allowance and a small output buffer)
    held = info(server)[3]
    for t in threads:
        t.join(120)
    assert all(not t.is_alive() for t in threads)
    for n, errs in out:
        assert errs == [] and n == rows, (n, errs)
    print("buffer_memory 1MB, %d streams: %d KiB held while the slow ones stalled"
          % (nclients, held // 1024))
    assert held < 1 * MiB + nclients * 256 * 1024, held
    assert "53200" not in server.read_log()


def test_http_streams_under_a_tiny_budget(start_server):
    server = start_server("--memory", "--buffer-memory", "1MB")
    out = []

    def get():
        req = urllib.request.Request(
            server.http_url + "/v1/query?format=csv", data=(
                '{"sql": "SELECT i, repeat(\'y\', 100) FROM range(100000) t(i)"}').encode(),
            headers={"Authorization": "Bearer duckd_test_token_of_test",
                     "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as r:
            out.append(r.read().count(b"\n"))

    threads = [threading.Thread(target=get) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert out == [100001] * 6, out


def test_metrics_show_the_budget(start_server):
    server = start_server("--memory", "--buffer-memory", "8MB")
    req = urllib.request.Request(server.http_url + "/metrics",
                                 headers={"Authorization": "Bearer duckd_test_token_of_adm"})
    with urllib.request.urlopen(req, timeout=30) as r:
        text = r.read().decode()
    assert "duckd_memory_budget_bytes 8388608" in text
    for kind in ("input", "output", "copy", "gcommit"):
        assert 'duckd_memory_bytes{kind="%s"}' % kind in text


def hold_output(server, n=10):
    """n raw clients that ask for a big result and do not read it: their sessions stall with
    full output buffers. Returns the sockets once buffer_memory_used passed the budget."""
    socks = []
    for _ in range(n):
        s = login(tcp(server, timeout=60))
        s.sendall(query(BIG % 2000000))
        socks.append(s)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        _, _, budget, used = info(server)
        if used > budget:
            return socks
        time.sleep(0.1)
    raise AssertionError("the stalled clients did not fill the budget")


def test_group_commit_waits_then_fails_when_the_budget_stays_full(start_server):
    server = start_server("--memory", "--buffer-memory", "1MB", "--max-concurrent-queries", "-1",
                          env={"DUCKD_MEMORY_WAIT_TIMEOUT": "300ms"})
    c = psycopg2.connect(server.dsn)
    c.autocommit = True
    cur = c.cursor()
    cur.execute("CREATE TABLE t (i INT, s TEXT)")
    # 30 INSERTs of 50 rows in one implicit transaction (extended protocol, one Sync): each
    # message is small, but their rows (~200 KB) go to the group committer as one request
    ins = "INSERT INTO t VALUES " + ",".join("(%d, '%s')" % (i, "z" * 100) for i in range(50))
    batch = (parse("", ins) + bind("", "") + execute()) * 30 + SYNC
    socks = hold_output(server)
    s = login(tcp(server))
    t0 = time.monotonic()
    s.sendall(batch)
    e = errors(read_messages(s))
    waited = time.monotonic() - t0
    assert len(e) == 1 and e[0]["C"] == "53200" and "memory_wait_timeout" in e[0]["D"], e
    assert waited >= 0.25, waited
    cur.execute("SELECT count(*) FROM t")
    assert cur.fetchone() == (0,)
    cur.execute("INSERT INTO t VALUES (1, 'small')")  # a small request never waits
    for h in socks:
        h.close()
    deadline = time.monotonic() + 20  # their sessions notice, end, and give the memory back
    while info(server)[3] > 256 * 1024 and time.monotonic() < deadline:
        time.sleep(0.1)
    s.sendall(batch)  # room again
    assert errors(read_messages(s)) == []
    s.close()
    cur.execute("SELECT count(*) FROM t")
    assert cur.fetchone() == (1501,)
    c.close()


def test_copy_under_a_tiny_budget(start_server):
    server = start_server("--memory", "--buffer-memory", "1MB")
    c = psycopg2.connect(server.dsn)
    c.autocommit = True
    cur = c.cursor()
    cur.execute("CREATE TABLE t (i INT, s TEXT)")
    data = "".join("%d\t%s\n" % (i, "q" * 50) for i in range(300000))
    cur.copy_expert("COPY t FROM STDIN", io.StringIO(data))
    cur.execute("SELECT count(*) FROM t")
    assert cur.fetchone() == (300000,)
    c.close()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        req = urllib.request.Request(server.http_url + "/metrics",
                                     headers={"Authorization": "Bearer duckd_test_token_of_adm"})
        with urllib.request.urlopen(req, timeout=30) as r:
            if 'duckd_memory_bytes{kind="copy"} 0\n' in r.read().decode():
                return
        time.sleep(0.1)
    raise AssertionError("COPY's buffer memory was not given back")
