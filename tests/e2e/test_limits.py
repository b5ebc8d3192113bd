"""Limits against hostile and runaway clients: the authentication deadline, the startup
connection cap with eviction of the oldest, statement_timeout, the idle timeouts, cancelling a
statement whose client hung up, the server-wide budget for partially received messages, the
result row cap, the caps on prepared statements and portals, accept() back-off, and
backpressure on pipelined extended-protocol batches. Hostile cases use raw sockets; every test
then proves the server still serves a normal client."""

import os
import resource
import socket
import struct
import threading
import time

import psycopg2
import pytest

from conftest import SANITIZED, startup_packet

LONG_QUERY = "SELECT sum(a.range * b.range) FROM range(100000) a, range(1000000) b"


# ---- raw protocol helpers ----

def msg(t, payload=b""):
    return t + struct.pack("!I", len(payload) + 4) + payload


def query(sql):
    return msg(b"Q", sql.encode() + b"\0")


def parse(name, sql):
    return msg(b"P", name.encode() + b"\0" + sql.encode() + b"\0" + struct.pack("!H", 0))


def bind(portal, stmt):
    return msg(b"B", portal.encode() + b"\0" + stmt.encode() + b"\0" + struct.pack("!HHH", 0, 0, 0))


def execute(portal=""):
    return msg(b"E", portal.encode() + b"\0" + struct.pack("!I", 0))


SYNC = msg(b"S")


def read_messages(s, until=b"Z"):
    """Backend messages up to one of type `until`, or to EOF; returns [(type, payload)]."""
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
        try:
            chunk = s.recv(65536)
        except ConnectionResetError:
            return msgs
        if not chunk:
            return msgs
        buf += chunk


def error_fields(payload):
    return {chr(p[0]): p[1:].decode() for p in payload.split(b"\0") if p}


def errors(msgs):
    return [error_fields(p) for t, p in msgs if t == b"E"]


def tcp(server, timeout=10):
    return socket.create_connection(("127.0.0.1", server.port), timeout=timeout)


def unix(server, timeout=10):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(os.path.join(server.socket_dir, ".s.PGSQL.%d" % server.port))
    return s


def login(sock):
    sock.sendall(startup_packet())
    msgs = read_messages(sock)
    assert msgs and msgs[-1][0] == b"Z", msgs
    return sock


def backend_pid(msgs):
    return [struct.unpack("!ii", p)[0] for t, p in msgs if t == b"K"][0]


def assert_serves(server, host=None, max_seconds=None):
    """Connects with psycopg2 (TCP, or the Unix socket when host is a directory), runs a
    query, and returns the seconds the connection took."""
    dsn = server.dsn if host is None else server.admin_dsn
    t0 = time.monotonic()
    c = psycopg2.connect(dsn, connect_timeout=10)
    took = time.monotonic() - t0
    try:
        cur = c.cursor()
        cur.execute("select 42")
        assert cur.fetchone() == (42,)
    finally:
        c.close()
    if max_seconds is not None:
        assert took < max_seconds, "connecting took %.2f s" % took
    return took


def rss_kib(server):
    with open("/proc/%d/status" % server.proc.pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def wait_for_log(server, text, timeout=10, count=1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.read_log().count(text) >= count:
            return True
        time.sleep(0.05)
    return False


class Tricklers:
    """Sockets that each send one byte of a startup packet every `interval` seconds."""

    def __init__(self, server, n, interval, unix_every=0):
        self.socks = []
        for i in range(n):
            s = unix(server) if unix_every and i % unix_every == 0 else tcp(server)
            s.setblocking(False)
            self.socks.append(s)
        self.packet = startup_packet()
        self.stop = threading.Event()
        self.interval = interval
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        pos = 0
        while not self.stop.is_set() and pos < len(self.packet) - 1:
            for s in self.socks:
                try:
                    s.send(self.packet[pos:pos + 1])
                except OSError:
                    pass  # evicted or timed out: the server closed it
            pos += 1
            self.stop.wait(self.interval)

    def closed(self):
        """Indexes of the sockets the server has closed."""
        out = []
        for i, s in enumerate(self.socks):
            try:
                if s.recv(1) == b"":
                    out.append(i)
            except BlockingIOError:
                pass
            except OSError:
                out.append(i)
        return out

    def close(self):
        self.stop.set()
        self.thread.join(timeout=10)
        for s in self.socks:
            s.close()


# ---- 1. authentication_timeout ----

def test_authentication_timeout_is_a_deadline_from_connect(start_server):
    server = start_server("--memory", "--authentication-timeout", "1")
    s = tcp(server)
    packet = startup_packet()
    t0 = time.monotonic()
    closed_at = None
    for i in range(len(packet) - 1):  # one byte every 0.2 s: never idle for long
        try:
            s.sendall(packet[i:i + 1])
            s.settimeout(0.2)
            if s.recv(1) == b"":
                closed_at = time.monotonic() - t0
                break
        except socket.timeout:
            continue
        except OSError:
            closed_at = time.monotonic() - t0
            break
    s.close()
    assert closed_at is not None and 0.8 <= closed_at < 3, closed_at
    assert wait_for_log(server, "authentication timeout")
    assert_serves(server)


# ---- 2. startup connections: their own cap, oldest evicted ----

def test_200_trickling_sockets_do_not_delay_tcp_or_unix_clients(start_server):
    server = start_server("--memory")  # default max_startup_connections and timeout
    t = Tricklers(server, 200, interval=2.0, unix_every=4)
    try:
        time.sleep(0.5)
        took_tcp = assert_serves(server, max_seconds=1.0)
        took_unix = assert_serves(server, host=server.socket_dir, max_seconds=1.0)
        print("legit connect with 200 trickling sockets: tcp %.3f s, unix %.3f s"
              % (took_tcp, took_unix))
        assert t.closed() == []  # under the cap nobody was evicted
    finally:
        t.close()


def test_startup_cap_evicts_the_oldest(start_server):
    server = start_server("--memory", "--max-startup-connections", "20",
                          "--max-connections", "5")
    t = Tricklers(server, 60, interval=1.0, unix_every=3)
    try:
        time.sleep(0.5)
        assert_serves(server, max_seconds=1.0)
        assert_serves(server, host=server.socket_dir, max_seconds=1.0)
        # 60 tricklers through a cap of 20 evict 40; the TCP client one more; it then leaves
        # startup, so the Unix client finds room: 41 in all, the oldest first
        assert wait_for_log(server, "evicted to make room", count=41)
        deadline = time.monotonic() + 5
        while len(t.closed()) < 40 and time.monotonic() < deadline:
            time.sleep(0.1)
        closed = t.closed()
        assert 0 in closed and 59 not in closed, closed
        # Startup connections hold no session slot: five sessions still fit.
        conns = [psycopg2.connect(server.dsn) for _ in range(5)]
        for c in conns:
            c.close()
    finally:
        t.close()


# ---- 3. statement_timeout ----

def run_long(conn, sql=LONG_QUERY):
    cur = conn.cursor()
    t0 = time.monotonic()
    with pytest.raises(psycopg2.errors.QueryCanceled) as ei:
        cur.execute(sql)
    return time.monotonic() - t0, ei.value


def test_statement_timeout_set_show_reset(server):
    c = psycopg2.connect(server.dsn)
    c.autocommit = True
    try:
        cur = c.cursor()
        cur.execute("SET statement_timeout = 200")
        cur.execute("SHOW statement_timeout")
        assert cur.fetchone() == ("200ms",)
        took, e = run_long(c)
        assert e.pgcode == "57014"
        assert e.pgerror.startswith("ERROR:  canceling statement due to statement timeout"), e.pgerror
        assert took < 5, took
        cur.execute("select 1")  # the session goes on
        assert cur.fetchone() == (1,)
        cur.execute("SET statement_timeout TO '2s'")
        cur.execute("SHOW statement_timeout")
        assert cur.fetchone() == ("2s",)
        cur.execute("RESET statement_timeout")
        cur.execute("SHOW statement_timeout")
        assert cur.fetchone() == ("0",)
        with pytest.raises(psycopg2.Error) as ei:
            cur.execute("SET statement_timeout = 'soon'")
        assert ei.value.pgcode == "22023"
        cur.execute("SET statement_timeout = '1min'")
        cur.execute("select count(*) from range(1000)")  # quick statements are untouched
        assert cur.fetchone() == (1000,)
    finally:
        c.close()


def test_statement_timeout_covers_planning(server):
    """DuckDB plans a long chain of operators in time that grows with the cube of its length
    (seconds for a few hundred terms) and does not look at interrupts meanwhile: the timeout
    counts from the start of planning, and a statement whose planning outlived it fails with
    57014 instead of running (simple and extended protocol)."""
    import psycopg
    chain = "SELECT " + "+".join(["1"] * 450)
    c = psycopg2.connect(server.dsn)
    c.autocommit = True
    try:
        cur = c.cursor()
        cur.execute("SET statement_timeout = 100")
        with pytest.raises(psycopg2.errors.QueryCanceled) as ei:
            cur.execute(chain)
        assert "statement timeout" in ei.value.pgerror
        cur.execute("select 2")
        assert cur.fetchone() == (2,)
    finally:
        c.close()
    with psycopg.connect(server.dsn, autocommit=True) as c3:
        c3.execute("SET statement_timeout = 100")
        with pytest.raises(psycopg.errors.QueryCanceled):
            c3.execute(chain + " + %s", (1,), prepare=False)
        assert c3.execute("select %s::int", (3,)).fetchone() == (3,)


def test_statement_timeout_from_startup_options_and_server_default(start_server):
    server = start_server("--memory", "--statement-timeout", "300ms")
    c = psycopg2.connect(server.dsn)
    try:
        cur = c.cursor()
        cur.execute("SHOW statement_timeout")
        assert cur.fetchone() == ("300ms",)
        took, e = run_long(c)
        assert "statement timeout" in e.pgerror and took < 5
        c.rollback()
        cur.execute("RESET statement_timeout")  # back to the server's default, as in PostgreSQL
        cur.execute("SHOW statement_timeout")
        assert cur.fetchone() == ("300ms",)
    finally:
        c.close()
    c = psycopg2.connect(server.dsn + " options='-c statement_timeout=150'")
    try:
        took, e = run_long(c)
        assert "statement timeout" in e.pgerror and took < 5
    finally:
        c.close()


def test_cancel_request_keeps_its_message(server):
    c = psycopg2.connect(server.dsn)
    try:
        c.cursor().execute("SET statement_timeout = '1h'")
        timer = threading.Timer(0.5, c.cancel)
        timer.start()
        took, e = run_long(c)
        timer.join()
        assert "canceling statement due to user request" in e.pgerror, e.pgerror
    finally:
        c.close()


# ---- 4. idle timeouts ----

def test_idle_in_transaction_session_timeout(server):
    s = login(tcp(server))
    s.sendall(query("SET idle_in_transaction_session_timeout = 300"))
    read_messages(s)
    s.sendall(query("SELECT 1"))  # outside a block the timeout does not apply
    read_messages(s)
    time.sleep(0.6)
    s.sendall(query("BEGIN"))
    assert read_messages(s)[-1] == (b"Z", b"T")
    t0 = time.monotonic()
    msgs = read_messages(s)  # nothing sent: the server ends it
    took = time.monotonic() - t0
    s.close()
    e = errors(msgs)
    assert e and e[0]["S"] == "FATAL" and e[0]["C"] == "25P03", msgs
    assert e[0]["M"] == "terminating connection due to idle-in-transaction timeout"
    assert 0.2 < took < 3, took
    assert_serves(server)


def test_idle_session_timeout(start_server):
    server = start_server("--memory", "--idle-session-timeout", "400ms")
    s = login(tcp(server))
    t0 = time.monotonic()
    msgs = read_messages(s)
    took = time.monotonic() - t0
    s.close()
    e = errors(msgs)
    assert e and e[0]["C"] == "57P05", msgs
    assert e[0]["M"] == "terminating connection due to idle-session timeout"
    assert 0.3 < took < 3, took
    # A session that SETs it off stays.
    c = psycopg2.connect(server.dsn + " options='-c idle_session_timeout=0'")
    time.sleep(0.8)
    c.cursor().execute("select 1")
    c.close()


# ---- 5. a statement whose client hung up is interrupted ----

@pytest.mark.parametrize("transport", ["tcp", "unix"])
def test_query_interrupted_when_client_disconnects(server, transport):
    s = (tcp if transport == "tcp" else unix)(server)
    s.sendall(startup_packet())
    pid = backend_pid(read_messages(s))
    s.sendall(query(LONG_QUERY))
    time.sleep(0.5)
    t0 = time.monotonic()
    s.close()
    assert wait_for_log(server, "client hung up: cancelling the statement of pid=%d" % pid, 5)
    assert wait_for_log(server, "connection end: pid=%d" % pid, 5)
    took = time.monotonic() - t0
    print("statement of a vanished %s client cancelled, session gone after %.2f s" % (transport, took))
    assert took < 5
    assert_serves(server, max_seconds=2)


def test_pipelined_input_is_not_a_hangup(server):
    # Data waiting on the socket while a statement runs must not cancel it.
    s = login(tcp(server))
    s.sendall(query("SELECT count(*) FROM range(30000000)") + query("SELECT 7"))
    first = read_messages(s)
    second = read_messages(s)
    assert not errors(first) and not errors(second), (first, second)
    s.close()


# ---- 6. the budget for partially received messages ----

def test_pending_input_budget(start_server):
    server = start_server("--memory", "--max-pending-input", "16MB")
    before = rss_kib(server)
    socks = [login(tcp(server)) for _ in range(10)]
    body = b"x" * (6 << 20)
    refused = 0
    for s in socks:  # each declares a 60 MiB query and sends 6 MiB of it: two fit in 16MB
        try:
            s.sendall(b"Q" + struct.pack("!I", (60 << 20) + 4) + body)
        except OSError:
            refused += 1
    assert wait_for_log(server, "input budget exhausted", count=8), server.read_log()
    after = rss_kib(server)
    print("pending input: RSS %d KiB before, %d KiB with 10 x 6 MiB partial messages "
          "(budget 16MB)" % (before, after))
    e = []
    for s in socks:
        s.settimeout(2)
        try:
            e += errors(read_messages(s))
        except OSError:
            pass
        s.close()
    for f in e:
        assert f["C"] == "53200" and f["M"] == "out of memory" and "budget" in f["D"], f
    if not SANITIZED:  # without the budget: 10 x 8 MiB of buffers
        assert after - before < 32 * 1024, (before, after)
    assert_serves(server)


# ---- 7. the result row cap ----

def test_row_size_cap(start_server):
    server = start_server("--memory", "--max-row-size", "1MB")
    c = psycopg2.connect(server.dsn)
    c.autocommit = True
    try:
        cur = c.cursor()
        cur.execute("SELECT length(repeat('x', 500000)), repeat('x', 500000)")
        assert cur.fetchone()[0] == 500000
        before = rss_kib(server)
        with pytest.raises(psycopg2.Error) as ei:
            cur.execute("SELECT repeat('x', 100000000)")
        assert ei.value.pgcode == "54000" and "row is too big" in ei.value.pgerror
        with pytest.raises(psycopg2.Error) as ei:
            cur.execute("SELECT repeat('ab', 300000) AS a, repeat('cd', 300000) AS b")
        assert ei.value.pgcode == "54000"
        with pytest.raises(psycopg2.Error) as ei:  # checked after encoding for other types
            cur.execute("SELECT list_transform(range(200000), x -> x * 1000000) AS l")
        assert ei.value.pgcode == "54000"
        cur.execute("select 1")
        assert cur.fetchone() == (1,)
        print("row cap: RSS %d KiB before, %d KiB after a refused 100 MB value"
              % (before, rss_kib(server)))
    finally:
        c.close()


# ---- 8. prepared statements and portals per session ----

def test_prepared_statement_and_portal_caps(start_server):
    server = start_server("--memory", "--max-prepared-statements", "5", "--max-portals", "3")
    s = login(tcp(server))
    s.sendall(b"".join(parse("s%d" % i, "SELECT %d" % i) for i in range(5)) + SYNC)
    assert not errors(read_messages(s))
    s.sendall(parse("s5", "SELECT 5") + SYNC)
    e = errors(read_messages(s))
    assert e and e[0]["C"] == "53400" and "max_prepared_statements" in e[0]["M"], e
    s.sendall(parse("", "SELECT 'unnamed'") + bind("", "") + execute() + SYNC)
    assert not errors(read_messages(s))  # the unnamed statement does not count
    s.sendall(b"".join(bind("p%d" % i, "s%d" % i) for i in range(3)) + SYNC)
    assert not errors(read_messages(s))
    s.sendall(bind("p3", "s3") + SYNC)
    e = errors(read_messages(s))
    assert e and e[0]["C"] == "53400" and "max_portals" in e[0]["M"], e
    s.sendall(msg(b"C", b"Ss0\0") + parse("s5", "SELECT 5") + SYNC)  # closing makes room
    assert not errors(read_messages(s))
    s.close()
    assert_serves(server)


# ---- 9. accept() back-off and pipelining backpressure ----

def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_accept_backs_off_when_out_of_descriptors(start_server):
    limit = 200 if SANITIZED else 64

    def low_nofile():
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))

    server = start_server("--memory", "--max-connections", "500", preexec_fn=low_nofile)
    socks = []
    try:
        for _ in range(limit + 40):  # more than the server can hold: the backlog takes them
            socks.append(tcp(server))
        assert wait_for_log(server, "accept failed: Too many open files")
        c0, n0 = cpu_seconds(server.proc.pid), server.read_log().count("accept failed")
        time.sleep(1.5)
        used = cpu_seconds(server.proc.pid) - c0
        lines = server.read_log().count("accept failed") - n0
        print("EMFILE: %.2f s CPU in 1.5 s, %d log lines" % (used, lines))
        assert used < 0.5, used
        assert lines <= 2, lines
    finally:
        for s in socks:
            s.close()
    deadline = time.monotonic() + 10
    while True:  # descriptors come back as the server closes the dropped sockets
        try:
            assert_serves(server)
            break
        except psycopg2.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def pipeline_until_blocked(server, payload, seconds=3):
    """Sends payload without reading any reply; returns the bytes the server took before
    the send blocked for `seconds` (all of them if it never did)."""
    s = unix(server)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(seconds)
    sent = 0
    try:
        view = memoryview(payload)
        while sent < len(payload):
            sent += s.send(view[sent:sent + (1 << 20)])
    except socket.timeout:
        pass
    finally:
        s.close()
    return sent


@pytest.mark.parametrize("kind", ["close", "parse_bind_execute"])
def test_pipelined_batch_without_reading_blocks_the_session(start_server, kind):
    server = start_server("--memory", "--output-buffer", "8KB")
    hello = startup_packet()
    if kind == "close":  # only CloseComplete replies: they never pass the result sink
        one = msg(b"C", b"Sx\0")
        n = 2000000
    else:
        one = parse("", "SELECT 1") + bind("", "") + execute()
        n = 200000
    payload = hello + one * n
    before = rss_kib(server)
    sent = pipeline_until_blocked(server, payload)
    after = rss_kib(server)
    print("%s pipeline: server took %d of %d bytes before blocking; RSS %d -> %d KiB"
          % (kind, sent, len(payload), before, after))
    assert sent < len(payload) // 2
    if not SANITIZED:
        assert after - before < 64 * 1024
    assert wait_for_log(server, "write failed", 10)
    assert_serves(server)


def test_streaming_large_values_bounded_memory(server):
    """A streamed result of 10 KB values (2 GB in all) holds the server near its resting size:
    DuckDB computes ahead of the client only streaming_buffer_size (64 KB, set per
    connection by duckd), which it counts without the strings' bytes; at DuckDB's default
    (976.5 KiB) this result took the server to ~1 GB."""
    import psycopg
    base = rss_kib(server)
    peak = [base]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], rss_kib(server))
            time.sleep(0.05)

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    n = 0
    try:
        with psycopg.connect(server.dsn, autocommit=True) as c, c.cursor() as cur:
            with cur.copy("COPY (SELECT repeat('x', 10000) FROM range(200000)) TO STDOUT") as cp:
                for block in cp:
                    n += len(block)
    finally:
        done.set()
        t.join(5)
    assert n >= 200000 * 10000
    assert peak[0] - base < 400 * 1024, "server grew by %d MiB" % ((peak[0] - base) // 1024)
