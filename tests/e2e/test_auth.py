"""Authentication and roles: SCRAM-SHA-256 exactly as PostgreSQL 15 does it (psql, psycopg2,
psycopg 3, asyncpg here; JDBC and node log in with SCRAM in their own client tests), the same
28P01 for an unknown user and a wrong password, peer authentication on the Unix socket,
access rules, `duckd passwd`, the three roles, SCRAM-SHA-256-PLUS over TLS, and hostile SASL
messages. The test servers' users and rules come from conftest (test / ro / adm)."""

import asyncio
import os
import socket
import statistics
import struct
import subprocess
import time

import psycopg2
import pytest

from conftest import DUCKD_BIN, OS_USER, PASSWORDS


def connect(server, user, password, **kw):
    c = psycopg2.connect(host="127.0.0.1", port=server.port, user=user, password=password,
                         dbname="test", **kw)
    c.autocommit = True
    return c


def login_error(server, user, password):
    with pytest.raises(psycopg2.OperationalError) as e:
        connect(server, user, password)
    return str(e.value)


def test_scram_with_psql_psycopg2_psycopg3_asyncpg(server):
    out = subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(server.port), "-U", "test", "-d",
                          "test", "-X", "-At", "-c", "SELECT 'psql'"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0 and out.stdout.strip() == "psql", out.stderr
    with connect(server, "test", PASSWORDS["test"]) as c:
        c.cursor().execute("SELECT 1")
    import psycopg
    with psycopg.connect(server.dsn) as c:
        assert c.execute("SELECT 42").fetchone()[0] == 42
    import asyncpg

    async def run():
        c = await asyncpg.connect(host="127.0.0.1", port=server.port, user="ro",
                                  password=PASSWORDS["ro"], database="test")
        v = await c.fetchval("SELECT 7")
        await c.close()
        return v
    assert asyncio.run(run()) == 7
    assert "role=read_write auth=scram-sha-256" in server.read_log()


def test_unknown_user_and_wrong_password_look_the_same(server):
    wrong = login_error(server, "test", "not-the-password")
    unknown = login_error(server, "nobody", "whatever")
    assert 'password authentication failed for user "test"' in wrong
    assert 'password authentication failed for user "nobody"' in unknown
    assert wrong.replace('"test"', "U") == unknown.replace('"nobody"', "U")

    def once(user):
        t0 = time.perf_counter()
        with pytest.raises(psycopg2.OperationalError):
            connect(server, user, "wrong")
        return time.perf_counter() - t0
    once("test"), once("nobody")  # warm-up
    samples = {"test": [], "nobody": []}
    for _ in range(15):  # interleaved, so machine noise hits both alike
        for user in samples:
            samples[user].append(once(user))
    t_wrong, t_unknown = (statistics.median(samples[u]) for u in ("test", "nobody"))
    # The client's PBKDF2 dominates both; the server does the same work for a mock user.
    assert 0.5 < t_wrong / t_unknown < 2.0, (t_wrong, t_unknown)


def test_roles(server):
    rw = connect(server, "test", PASSWORDS["test"])
    rw.cursor().execute("CREATE TABLE r AS SELECT 1 AS x")
    ro = connect(server, "ro", PASSWORDS["ro"])
    cur = ro.cursor()
    cur.execute("SELECT count(*) FROM r")
    assert cur.fetchone()[0] == 1
    for sql in ("INSERT INTO r VALUES (2)", "UPDATE r SET x = 3", "DELETE FROM r",
                "CREATE TABLE r2 (a INT)", "DROP TABLE r", "CREATE TEMP TABLE t (a INT)",
                "ALTER TABLE r ADD COLUMN y INT"):
        with pytest.raises(psycopg2.Error) as e:
            cur.execute(sql)
        assert e.value.pgcode == "25006", sql
    cur.execute("BEGIN")
    cur.execute("SELECT x FROM r")
    cur.execute("COMMIT")
    adm = connect(server, "adm", PASSWORDS["adm"])
    adm.cursor().execute("SET GLOBAL threads = 1")
    with pytest.raises(psycopg2.Error) as e:
        rw.cursor().execute("SET GLOBAL threads = 2")
    assert e.value.pgcode == "42501"


def test_peer_on_the_unix_socket(server):
    with psycopg2.connect(server.admin_dsn) as c:  # the OS user running duckd: admin
        c.autocommit = True
        c.cursor().execute("SET GLOBAL threads = 1")
    with pytest.raises(psycopg2.OperationalError) as e:
        psycopg2.connect(host=server.socket_dir, port=server.port, user="test", dbname="x")
    assert 'Peer authentication failed for user "test"' in str(e.value)


def test_access_rules(start_server, tmpdir_short):
    rules = os.path.join(tmpdir_short, "rules.hba")
    with open(rules, "w") as f:
        f.write("# comment\ntcp all ro reject\ntcp 127.0.0.1/32 test scram-sha-256\n"
                "unix - all peer\n")
    s = start_server("--memory", "--hba-file", rules)
    assert 'no access rule allows host "127.0.0.1", user "ro"' in login_error(s, "ro", PASSWORDS["ro"])
    connect(s, "test", PASSWORDS["test"]).close()
    msg = login_error(s, "adm", PASSWORDS["adm"])  # no rule matches: rejected
    assert 'no access rule allows host "127.0.0.1", user "adm"' in msg


def test_bad_rules_stop_start(start_server, tmpdir_short):
    rules = os.path.join(tmpdir_short, "bad.hba")
    with open(rules, "w") as f:
        f.write("tcp all all password\n")
    s = start_server("--memory", "--hba-file", rules, wait=False)
    assert s.proc.wait(timeout=30) != 0
    s.expected_rc = s.proc.returncode
    assert "bad.hba:1" in s.read_log()


def test_trusting_remote_clients_is_refused(start_server, tmpdir_short):
    rules = os.path.join(tmpdir_short, "trust.hba")
    with open(rules, "w") as f:
        f.write("tcp all all trust\n")
    s = start_server("--memory", "--hba-file", rules, "--listen", "0.0.0.0", wait=False)
    assert s.proc.wait(timeout=30) != 0
    s.expected_rc = s.proc.returncode
    assert "trusts remote TCP clients without a password" in s.read_log()


def test_duckd_passwd(start_server, tmpdir_short):
    users = os.path.join(tmpdir_short, "my.users")
    run = lambda *a, pw: subprocess.run([DUCKD_BIN, "passwd", "--users-file", users] + list(a),
                                        input=pw + "\n", capture_output=True, text=True,
                                        timeout=30)
    r = run("--role", "read_only", "carol", pw="c-pass")
    assert r.returncode == 0, r.stderr
    assert 'user "carol" (role read_only)' in r.stdout
    assert os.stat(users).st_mode & 0o777 == 0o600
    assert "c-pass" not in open(users).read()
    s = start_server("--memory", "--users-file", users)
    c = connect(s, "carol", "c-pass")
    with pytest.raises(psycopg2.Error) as e:
        c.cursor().execute("CREATE TABLE x (a INT)")
    assert e.value.pgcode == "25006"
    # a new password and role apply to the next login, without a restart
    assert run("--role", "read_write", "carol", pw="new-pass").returncode == 0
    login_error(s, "carol", "c-pass")
    connect(s, "carol", "new-pass").cursor().execute("CREATE TABLE x (a INT)")
    assert run("carol", pw="").returncode != 0  # empty passwords are refused


def test_scram_plus_over_tls(start_server, tmpdir_short):
    d = tmpdir_short
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", "k.pem", "-out", "c.pem"], cwd=d, check=True, capture_output=True)
    s = start_server("--memory", "--tls-cert", os.path.join(d, "c.pem"),
                     "--tls-key", os.path.join(d, "k.pem"))
    with psycopg2.connect(s.dsn + " sslmode=require channel_binding=require") as c:
        c.cursor().execute("SELECT 1")
    with pytest.raises(psycopg2.OperationalError):
        psycopg2.connect(s.dsn + " sslmode=disable channel_binding=require")


# ---- hostile SASL exchanges ----

def startup(user):
    body = struct.pack("!I", 196608) + b"user\0" + user.encode() + b"\0database\0test\0\0"
    return struct.pack("!I", len(body) + 4) + body


def read_msg(s):
    hdr = b""
    while len(hdr) < 5:
        chunk = s.recv(5 - len(hdr))
        if not chunk:
            return None, None
        hdr += chunk
    n = struct.unpack("!I", hdr[1:])[0] - 4
    body = b""
    while len(body) < n:
        chunk = s.recv(n - len(body))
        if not chunk:
            return None, None
        body += chunk
    return hdr[:1], body


def sasl_case(server, send):
    s = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    s.sendall(startup("test"))
    t, body = read_msg(s)
    assert t == b"R" and struct.unpack("!I", body[:4])[0] == 10  # AuthenticationSASL
    assert b"SCRAM-SHA-256" in body
    try:
        s.sendall(send)
        t, body = read_msg(s)
    except OSError:
        t = None
    s.close()
    return t, body


def p_msg(payload):
    return b"p" + struct.pack("!I", len(payload) + 4) + payload


@pytest.mark.parametrize("send", [
    b"Q\0\0\0\x0dSELECT 1\0",                                      # a query instead of SASL
    p_msg(b"NO-SUCH-MECH\0" + struct.pack("!i", 4) + b"n,,x"),     # unknown mechanism
    p_msg(b"SCRAM-SHA-256\0" + struct.pack("!i", 100) + b"n,,"),   # length beyond the payload
    p_msg(b"SCRAM-SHA-256\0" + struct.pack("!i", -1)),             # no data
    p_msg(b"SCRAM-SHA-256\0" + struct.pack("!i", 8) + b"x,,n=,r="),  # bad gs2 header
    p_msg(b"SCRAM-SHA-256\0" + struct.pack("!i", 9) + b"n,,n=a,r="),  # empty nonce
    p_msg(b"SCRAM-SHA-256"),                                        # no terminator
    b"p" + struct.pack("!I", 1 << 20),                              # oversized
    b"p\0\0\0\x03",                                                 # bad length
], ids=["query", "mechanism", "length", "nodata", "gs2", "nonce", "noterm", "oversized", "badlen"])
def test_malformed_sasl_messages(server, send):
    t, body = sasl_case(server, send)
    if send == p_msg(b"SCRAM-SHA-256\0" + struct.pack("!i", -1)):
        assert t == b"R"  # as PostgreSQL: an empty SASLContinue asks for client-first
        t = None
    assert t in (b"E", None), (t, body)
    if t == b"E":
        assert b"C08P01" in body or b"C28P01" in body or b"C28000" in body, body
    connect(server, "test", PASSWORDS["test"]).close()  # still serving


def test_stalled_scram_exchange_times_out(start_server):
    s = start_server("--memory", env={"DUCKD_AUTHENTICATION_TIMEOUT": "1"})
    sock = socket.create_connection(("127.0.0.1", s.port), timeout=10)
    sock.sendall(startup("test"))
    assert read_msg(sock)[0] == b"R"
    t0 = time.monotonic()
    t, body = read_msg(sock)  # the server gives up, not our socket timeout
    assert time.monotonic() - t0 < 5
    assert t is None or (t == b"E" and b"canceling authentication due to timeout" in body), body
    assert read_msg(sock)[0] is None
    sock.close()


def test_per_user_connection_limit(start_server):
    s = start_server("--memory", env={"DUCKD_MAX_CONNECTIONS_PER_USER": "2"})
    a, b = connect(s, "test", PASSWORDS["test"]), connect(s, "test", PASSWORDS["test"])
    with pytest.raises(psycopg2.OperationalError) as e:
        connect(s, "test", PASSWORDS["test"])
    assert 'too many connections for role "test"' in str(e.value)
    connect(s, "ro", PASSWORDS["ro"]).close()  # other users are not affected
    a.close()
    for _ in range(50):  # the slot frees once the server saw the close
        try:
            connect(s, "test", PASSWORDS["test"]).close()
            break
        except psycopg2.OperationalError:
            time.sleep(0.05)
    else:
        raise AssertionError("the freed slot was not reusable")
    b.close()
