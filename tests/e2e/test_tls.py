"""TLS: SSLRequest answered 'S' when a certificate is configured, psql/psycopg with
sslmode=require and verify-full, TLS 1.2+ only, bytes pipelined before the handshake refused,
tls_required. The certificates are made per test run with the openssl command (a throwaway CA
and a server certificate for 127.0.0.1 / localhost)."""

import os
import socket
import ssl
import struct
import subprocess

import psycopg2
import pytest


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    d = str(tmp_path_factory.mktemp("tls"))

    def run(*args):
        subprocess.run(["openssl"] + list(args), cwd=d, check=True, capture_output=True)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=duckd test CA",
        "-keyout", "ca.key", "-out", "ca.crt")
    run("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout", "server.key",
        "-out", "server.csr")
    with open(os.path.join(d, "ext.cnf"), "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
        "-CAcreateserial", "-days", "2", "-extfile", "ext.cnf", "-out", "server.crt")
    os.chmod(os.path.join(d, "server.key"), 0o600)
    return d


def tls_server(start_server, certs, *extra):
    return start_server("--memory", "--tls-cert", os.path.join(certs, "server.crt"),
                        "--tls-key", os.path.join(certs, "server.key"), *extra)


def ssl_request():
    return struct.pack("!II", 8, 80877103)


def test_no_certificate_answers_n(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
        s.sendall(ssl_request())
        assert s.recv(1) == b"N"
    with pytest.raises(psycopg2.OperationalError):
        psycopg2.connect(server.dsn + " sslmode=require")


def test_sslmode_require_and_verify_full(start_server, certs):
    s = tls_server(start_server, certs)
    for mode in ("require", "verify-full"):
        dsn = s.dsn + " sslmode=%s sslrootcert=%s" % (mode, os.path.join(certs, "ca.crt"))
        with psycopg2.connect(dsn) as c:
            cur = c.cursor()
            cur.execute("SELECT 40 + 2")
            assert cur.fetchone()[0] == 42
            cur.execute("SELECT repeat('x', 1000000)")  # many TLS records
            assert len(cur.fetchone()[0]) == 1000000
    out = subprocess.run(
        ["psql", "-X", "-At", "-c", "SELECT 'over tls'",
         "host=localhost port=%d user=test dbname=test sslmode=verify-full sslrootcert=%s"
         % (s.port, os.path.join(certs, "ca.crt"))],
        capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "over tls"
    # plain connections still work unless TLS is required
    with psycopg2.connect(s.dsn + " sslmode=disable") as c:
        c.cursor().execute("SELECT 1")


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_tls_versions(start_server, certs):
    s = tls_server(start_server, certs)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    with socket.create_connection(("127.0.0.1", s.port), timeout=5) as raw:
        raw.sendall(ssl_request())
        assert raw.recv(1) == b"S"
        with pytest.raises((ssl.SSLError, ConnectionResetError, OSError)):
            ctx.wrap_socket(raw).do_handshake()
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.maximum_version = ssl.TLSVersion.TLSv1_3
    with socket.create_connection(("127.0.0.1", s.port), timeout=5) as raw:
        raw.sendall(ssl_request())
        assert raw.recv(1) == b"S"
        t = ctx.wrap_socket(raw)
        assert t.version() in ("TLSv1.2", "TLSv1.3")


def test_bytes_pipelined_before_the_handshake_are_refused(start_server, certs):
    s = tls_server(start_server, certs)
    body = b"user\0x\0\0"
    startup = struct.pack("!II", 8 + len(body), 196608) + body
    with socket.create_connection(("127.0.0.1", s.port), timeout=5) as raw:
        raw.sendall(ssl_request() + startup)  # the startup packet must come through TLS
        data = raw.recv(4096)
        assert data[:1] == b"E" and b"unencrypted data after SSL request" in data
    with psycopg2.connect(s.dsn + " sslmode=require") as c:
        c.cursor().execute("SELECT 1")


def test_tls_required(start_server, certs):
    s = start_server("--memory", "--tls-cert", os.path.join(certs, "server.crt"),
                     "--tls-key", os.path.join(certs, "server.key"),
                     env={"DUCKD_TLS_REQUIRED": "true"})
    with pytest.raises(psycopg2.OperationalError) as e:
        psycopg2.connect(s.dsn + " sslmode=disable")
    assert "TLS is required" in str(e.value)
    with psycopg2.connect(s.dsn + " sslmode=require") as c:
        c.cursor().execute("SELECT 1")
    # the Unix socket is local: no TLS needed
    c = psycopg2.connect(s.admin_dsn)
    c.close()


def test_bad_certificate_stops_start(start_server, certs, tmpdir_short):
    bad = os.path.join(tmpdir_short, "bad.pem")
    with open(bad, "w") as f:
        f.write("not a certificate\n")
    s = start_server("--memory", "--tls-cert", bad, "--tls-key", os.path.join(certs, "server.key"),
                     wait=False)
    assert s.proc.wait(timeout=30) != 0
    s.expected_rc = s.proc.returncode
    assert "cannot load certificate" in s.read_log()
