"""Lifetimes of HTTP connections, requests and their sessions around libmicrohttpd's connection
timeout (min(http_request_timeout, 60) s), made short here so that "idle for minutes" becomes
seconds: keep-alive connections left idle past the timeout and then reused, result streams
abandoned at several points (closed, half-closed, left unread until the timeout cuts them),
request bodies stalled past the timeout, requests racing the timeout, ingest bodies abandoned
mid-upload. After each round the server must still answer, its sessions view must hold only
the asking request, and (under DUCKD_SAN) no sanitizer report may appear."""

import http.client
import json
import socket
import threading
import time

from conftest import TOKENS

TIMEOUT_S = 2  # http_request_timeout: also MHD's idle connection timeout


def hdrs(extra=b""):
    return (b"Host: x\r\nAuthorization: Bearer " + TOKENS["test"].encode() + b"\r\n" + extra)


def raw_query(sql, fmt="json", keep_alive=True):
    body = json.dumps({"sql": sql}).encode()
    return (b"POST /v1/query?format=" + fmt.encode() + b" HTTP/1.1\r\n" + hdrs() +
            (b"" if keep_alive else b"Connection: close\r\n") +
            b"Content-Length: %d\r\n\r\n" % len(body) + body)


def post(s, sql, conn=None):
    c = conn or http.client.HTTPConnection("127.0.0.1", s.http_port, timeout=30)
    c.request("POST", "/v1/query", body=json.dumps({"sql": sql}),
              headers={"Authorization": "Bearer " + TOKENS["test"]})
    r = c.getresponse()
    data = r.read()
    if not conn:
        c.close()
    return r.status, data


def sessions_settle(s, deadline_s=20):
    """Waits until the sessions view shows only the asking request (every abandoned
    request's session has ended); returns the rows seen last."""
    deadline = time.time() + deadline_s
    while True:
        st, data = post(s, "SELECT id, protocol, state FROM duckd_sessions()")
        assert st == 200, data
        rows = json.loads(data)["rows"]
        if len(rows) == 1:
            return rows
        assert time.time() < deadline, rows
        time.sleep(0.2)


def test_idle_keepalive_past_timeout_then_reused(start_server):
    s = start_server("--memory", env={"DUCKD_HTTP_REQUEST_TIMEOUT": str(TIMEOUT_S)})
    conns = [http.client.HTTPConnection("127.0.0.1", s.http_port, timeout=30) for _ in range(6)]
    for c in conns:
        assert post(s, "SELECT 1", conn=c)[0] == 200
    time.sleep(TIMEOUT_S + 1.5)  # MHD closes every one of them
    for c in conns:
        try:
            st, _ = post(s, "SELECT 2", conn=c)
            assert st == 200
        except (http.client.RemoteDisconnected, ConnectionError, http.client.BadStatusLine):
            c.close()  # http.client reconnects on the next request
            assert post(s, "SELECT 2", conn=c)[0] == 200
    # reused right at the edge of the timeout, many times
    for delay in (TIMEOUT_S - 0.2, TIMEOUT_S - 0.05, TIMEOUT_S, TIMEOUT_S + 0.05):
        c = http.client.HTTPConnection("127.0.0.1", s.http_port, timeout=30)
        assert post(s, "SELECT 3", conn=c)[0] == 200
        time.sleep(delay)
        try:
            post(s, "SELECT 4", conn=c)
        except (http.client.RemoteDisconnected, ConnectionError, http.client.BadStatusLine):
            pass
        c.close()
    for c in conns:
        c.close()
    sessions_settle(s)


def abandon_stream(port, fmt, read_bytes, how):
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.sendall(raw_query("SELECT i, repeat('x', 50) FROM range(100000000) t(i)", fmt))
    got = 0
    while got < read_bytes:
        d = sock.recv(min(65536, read_bytes - got))
        if not d:
            break
        got += len(d)
    if how == "close":
        sock.close()
    elif how == "shut_wr":  # half-close: the server may still write
        sock.shutdown(socket.SHUT_WR)
        time.sleep(0.2)
        sock.close()
    elif how == "idle":  # stop reading: MHD's timeout ends the connection mid-stream
        time.sleep(TIMEOUT_S + 1.5)
        sock.close()
    elif how == "rst":
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        sock.close()


def test_streams_abandoned_at_various_points(start_server):
    s = start_server("--memory", env={"DUCKD_HTTP_REQUEST_TIMEOUT": str(TIMEOUT_S)})
    threads = []
    for fmt in ("json", "ndjson", "csv", "arrow"):
        for read_bytes in (0, 100, 300000):
            for how in ("close", "shut_wr", "idle", "rst"):
                threads.append(threading.Thread(target=abandon_stream,
                                                args=(s.http_port, fmt, read_bytes, how)))
    for i in range(0, len(threads), 8):  # 8 at a time
        batch = threads[i:i + 8]
        for t in batch:
            t.start()
        for t in batch:
            t.join()
    sessions_settle(s)
    assert post(s, "SELECT 42")[1].startswith(b'{"columns"')


def test_requests_racing_the_timeout(start_server):
    s = start_server("--memory", env={"DUCKD_HTTP_REQUEST_TIMEOUT": str(TIMEOUT_S)})
    body = json.dumps({"sql": "SELECT 1"}).encode()

    def stalled(delay, split):
        sock = socket.create_connection(("127.0.0.1", s.http_port), timeout=30)
        req = (b"POST /v1/query HTTP/1.1\r\n" + hdrs() + b"Content-Length: %d\r\n\r\n" % len(body)
               + body)
        sock.sendall(req[:split])
        time.sleep(delay)
        try:
            sock.sendall(req[split:])
            sock.recv(65536)
        except OSError:
            pass
        sock.close()

    threads = []
    for delay in (TIMEOUT_S - 0.1, TIMEOUT_S, TIMEOUT_S + 0.1, TIMEOUT_S + 1):
        for split in (10, len(b"POST /v1/query HTTP/1.1\r\n") + 20, -3):
            threads.append(threading.Thread(target=stalled, args=(delay, split)))
    # a statement that outlives the request timeout on a connection that goes idle after it
    threads.append(threading.Thread(
        target=lambda: post(s, "SELECT sum(i * i) FROM range(10000000000) t(i)")))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    sessions_settle(s)


def test_ingest_stalled_past_timeout(start_server):
    s = start_server("--memory", env={"DUCKD_HTTP_REQUEST_TIMEOUT": str(TIMEOUT_S)})
    assert post(s, "CREATE TABLE ing (a INT)")[0] == 200

    def stall(ctype, first):
        sock = socket.create_connection(("127.0.0.1", s.http_port), timeout=30)
        sock.sendall(b"POST /v1/ingest/ing HTTP/1.1\r\n" + hdrs(b"Content-Type: " + ctype +
                     b"\r\nContent-Length: 100000000\r\n\r\n") + first)
        time.sleep(TIMEOUT_S + 1.5)
        try:
            sock.sendall(b"1\n" * 1000)
        except OSError:
            pass
        sock.close()

    threads = [threading.Thread(target=stall, args=(b"text/csv", b"a\n1\n2\n")),
               threading.Thread(target=stall, args=(b"text/csv", b"")),
               threading.Thread(target=stall, args=(b"text/csv", b"a")),
               threading.Thread(target=stall, args=(b"application/x-ndjson", b'{"a": 1}\n'))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    sessions_settle(s)
    st, data = post(s, "SELECT count(*) FROM ing")
    assert json.loads(data)["rows"] == [[0]]
