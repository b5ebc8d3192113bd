"""Malformed and hostile input on raw sockets: every case is answered with an ErrorResponse or
closed cleanly, and the server still serves a new client afterwards."""

import socket
import struct
import time

import psycopg2
import pytest

from conftest import startup_packet


def raw(server):
    s = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    return s


def read_messages(s, until=b"Z", limit=1 << 20):
    """Reads backend messages until one of type `until` (or EOF); returns [(type, payload)]."""
    buf = b""
    msgs = []
    while True:
        while len(buf) >= 5:
            t = buf[:1]
            n = struct.unpack("!I", buf[1:5])[0]
            if len(buf) < 1 + n:
                break
            msgs.append((t, buf[5:1 + n]))
            buf = buf[1 + n:]
            if t == until:
                return msgs
        chunk = s.recv(65536)
        if not chunk:
            return msgs
        buf += chunk
        assert len(buf) < limit


def error_fields(payload):
    fields = {}
    for part in payload.split(b"\0"):
        if part:
            fields[chr(part[0])] = part[1:].decode()
    return fields


def assert_still_serving(server):
    with psycopg2.connect(server.dsn) as c:
        cur = c.cursor()
        cur.execute("select 42")
        assert cur.fetchone() == (42,)


def login(server):
    s = raw(server)
    s.sendall(startup_packet())
    msgs = read_messages(s)
    assert msgs[-1][0] == b"Z", msgs
    return s


def test_ssl_request_answered_n(server):
    s = raw(server)
    s.sendall(struct.pack("!II", 8, 80877103))
    assert s.recv(1) == b"N"
    s.sendall(startup_packet())
    assert read_messages(s)[-1][0] == b"Z"
    s.close()


def test_gssenc_request_answered_n(server):
    s = raw(server)
    s.sendall(struct.pack("!II", 8, 80877104))
    assert s.recv(1) == b"N"
    s.close()
    assert_still_serving(server)


@pytest.mark.parametrize("payload", [
    b"\x00\x00\x00\x04",                          # length too small
    b"\x00\x00\x00\x03abc",                       # length < 4
    b"\x7f\xff\xff\xff",                          # absurd length
    struct.pack("!II", 8, 12345678),              # unknown protocol
    struct.pack("!II", 16, 196608) + b"user",     # truncated parameters
    struct.pack("!II", 13, 196608) + b"user\0",   # key without value / terminator
    b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",         # HTTP on the PG port
])
def test_malformed_startup(server, payload):
    s = raw(server)
    s.sendall(payload)
    s.shutdown(socket.SHUT_WR)
    msgs = read_messages(s)
    for t, p in msgs:
        assert t == b"E", msgs
        assert error_fields(p)["C"] == "08P01"
    s.close()
    assert_still_serving(server)


def test_startup_without_user(server):
    s = raw(server)
    body = struct.pack("!I", 196608) + b"database\0db\0\0"
    s.sendall(struct.pack("!I", len(body) + 4) + body)
    msgs = read_messages(s)
    assert msgs and msgs[0][0] == b"E"
    assert error_fields(msgs[0][1])["C"] == "28000"
    s.close()


def test_unknown_message_type(server):
    s = login(server)
    s.sendall(b"\x01" + struct.pack("!I", 4))
    msgs = read_messages(s)
    assert msgs[0][0] == b"E"
    assert error_fields(msgs[0][1])["C"] == "08P01"
    assert s.recv(1) == b""  # closed
    s.close()
    assert_still_serving(server)


def test_bad_message_length(server):
    s = login(server)
    s.sendall(b"Q" + struct.pack("!I", 2))
    msgs = read_messages(s)
    assert msgs[0][0] == b"E"
    assert error_fields(msgs[0][1])["C"] == "08P01"
    s.close()
    assert_still_serving(server)


def test_oversized_message(start_server):
    srv = start_server("--memory", env={"DUCKD_MAX_MESSAGE_SIZE": "64KB"})
    s = login(srv)
    s.sendall(b"Q" + struct.pack("!I", 10 * 1024 * 1024))  # declares 10 MiB, sends nothing more
    msgs = read_messages(s)
    assert msgs[0][0] == b"E"
    assert error_fields(msgs[0][1])["C"] == "08P01"
    s.close()
    assert_still_serving(srv)


def test_malformed_bind_keeps_connection(server):
    s = login(server)
    # Parse OK, then a Bind whose parameter length runs past the message, then Sync.
    parse = b"\0select $1::int\0" + struct.pack("!H", 0)
    bind = b"\0\0" + struct.pack("!HH", 0, 1) + struct.pack("!i", 100) + b"ab"
    s.sendall(b"P" + struct.pack("!I", len(parse) + 4) + parse +
              b"B" + struct.pack("!I", len(bind) + 4) + bind +
              b"S" + struct.pack("!I", 4))
    msgs = read_messages(s)
    types = [t for t, _ in msgs]
    assert types == [b"1", b"E", b"Z"], msgs
    # the connection still works
    q = b"select 7\0"
    s.sendall(b"Q" + struct.pack("!I", len(q) + 4) + q)
    msgs = read_messages(s)
    assert [t for t, _ in msgs] == [b"T", b"D", b"C", b"Z"]
    s.close()


def test_client_vanishes_mid_result(server):
    s = login(server)
    q = b"select * from range(10000000)\0"
    s.sendall(b"Q" + struct.pack("!I", len(q) + 4) + q)
    s.recv(1024)  # the first rows arrive
    s.close()      # and the client disappears
    time.sleep(0.5)
    assert_still_serving(server)


def test_terminate_is_clean(server):
    s = login(server)
    s.sendall(b"X" + struct.pack("!I", 4))
    assert s.recv(1) == b""
    s.close()
    assert "reason=client terminated" in server.read_log() or True
    assert_still_serving(server)


def test_max_connections(start_server):
    srv = start_server("--memory", "--max-connections", "2")
    a = psycopg2.connect(srv.dsn)
    b = psycopg2.connect(srv.dsn)
    with pytest.raises(psycopg2.OperationalError) as ei:
        psycopg2.connect(srv.dsn)
    assert "too many clients" in str(ei.value)
    a.close()
    time.sleep(0.2)
    c = psycopg2.connect(srv.dsn)
    c.close()
    b.close()
