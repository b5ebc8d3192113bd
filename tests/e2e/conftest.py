"""End-to-end fixtures: start the real duckd binary on a free loopback port and drive it with
real clients. Every server a test starts is stopped (SIGTERM, then SIGKILL after a timeout) and
its log is checked for sanitizer reports, so a leak or crash fails the test that caused it."""

import base64
import getpass
import hashlib
import hmac
import os
import signal
import struct
import socket
import subprocess
import tempfile
import time

import pytest

DUCKD_BIN = os.environ.get("DUCKD_BIN") or os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "duckd")
SANITIZED = bool(os.environ.get("DUCKD_SAN"))
# Every test server gets a users file (SCRAM verifiers, as `duckd passwd` writes them) and
# access rules: the OS user is admin on the Unix socket (peer), the raw-protocol tests' user
# "raw" is trusted on loopback TCP (they test the protocol, not authentication), everybody
# else logs in with SCRAM-SHA-256 -- the default rule for TCP. libpq-based clients (psql,
# pgbench, psycopg, asyncpg, node) find the password of "test" in PGPASSWORD.
OS_USER = getpass.getuser()
PASSWORDS = {"test": "test-pw", "ro": "ro-pw", "adm": "adm-pw"}
ROLES = {"test": "read_write", "ro": "read_only", "adm": "admin"}
os.environ["PGPASSWORD"] = PASSWORDS["test"]
HBA = (
    "unix - raw trust\nunix - all peer\ntcp 127.0.0.1/32 raw trust\ntcp all all scram-sha-256\n")


def scram_verifier(password, iterations=4096):
    """PostgreSQL's SCRAM-SHA-256 verifier of password (RFC 5802 keys, random salt)."""
    salt = os.urandom(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    server_key = hmac.new(salted, b"Server Key", "sha256").digest()
    b64 = lambda b: base64.b64encode(b).decode()
    return "SCRAM-SHA-256$%d:%s$%s:%s" % (iterations, b64(salt),
                                          b64(hashlib.sha256(client_key).digest()), b64(server_key))


USERS_FILE = "".join("%s %s %s\n" % (u, ROLES[u], scram_verifier(p)) for u, p in PASSWORDS.items())
# HTTP API bearer tokens of the same users (the tokens file holds their SHA-256, as
# `duckd token` writes it).
TOKENS = {u: "duckd_test_token_of_" + u for u in PASSWORDS}
TOKENS_FILE = "".join("%s %s\n" % (hashlib.sha256(t.encode()).hexdigest(), u)
                      for u, t in TOKENS.items())


def write_access_files(tmpdir):
    users = os.path.join(tmpdir, "duckd.users")
    if not os.path.exists(users):
        with open(users, "w") as f:
            f.write(USERS_FILE)
        os.chmod(users, 0o600)
    with open(os.path.join(tmpdir, "duckd.hba"), "w") as f:
        f.write(HBA)
    tokens = os.path.join(tmpdir, "duckd.tokens")
    if not os.path.exists(tokens):
        with open(tokens, "w") as f:
            f.write(TOKENS_FILE)
        os.chmod(tokens, 0o600)


def startup_packet(user="raw", **params):
    """A protocol 3.0 StartupMessage for the raw-protocol tests (user "raw" is trusted)."""
    body = struct.pack("!I", 196608)
    for k, v in dict(user=user, database="db", **params).items():
        body += k.encode() + b"\0" + v.encode() + b"\0"
    body += b"\0"
    return struct.pack("!I", len(body) + 4) + body


SAN_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
               "ThreadSanitizer")


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One running duckd process."""

    def __init__(self, args, tmpdir, env=None, wait=True, preexec_fn=None):
        self.tmpdir = tmpdir
        self.port = free_port()
        self.http_port = free_port()  # the HTTP API's (a test's own --http-port wins)
        self.host = "127.0.0.1"
        self.socket_dir = tmpdir
        self.logpath = os.path.join(tmpdir, "duckd.log")
        write_access_files(tmpdir)
        self.args = [DUCKD_BIN, "--port", str(self.port), "--socket-dir", tmpdir,
                     "--hba-file", os.path.join(tmpdir, "duckd.hba"),
                     "--http-port", str(self.http_port)] + list(args)
        e = dict(os.environ)
        e.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0:halt_on_error=1")
        e.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
        supp = os.path.join(os.path.dirname(__file__), "lsan.supp")
        e.setdefault("LSAN_OPTIONS", "suppressions=" + supp + ":print_suppressions=0")
        e["TMPDIR"] = tmpdir
        if env:
            e.update(env)
        self.log = open(self.logpath, "w+")
        self.proc = subprocess.Popen(self.args, stdout=self.log, stderr=subprocess.STDOUT,
                                     env=e, cwd=tmpdir, preexec_fn=preexec_fn)
        self.returncode = None
        self.expected_rc = 0  # what teardown expects; tests of failing starts change it
        if wait:
            self.wait_ready()

    def wait_ready(self, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("duckd exited with %s:\n%s" % (self.proc.returncode, self.read_log()))
            if "ready to accept connections" in self.read_log():
                return
            time.sleep(0.05)
        raise RuntimeError("duckd did not become ready:\n" + self.read_log())

    def read_log(self):
        with open(self.logpath) as f:
            return f.read()

    @property
    def dsn(self):
        return "host=127.0.0.1 port=%d user=test password=%s dbname=test" % (
            self.port, PASSWORDS["test"])

    def dsn_for(self, user):
        """A TCP DSN for one of the users of the users file (test, ro, adm)."""
        return "host=127.0.0.1 port=%d user=%s password=%s dbname=test" % (
            self.port, user, PASSWORDS[user])

    @property
    def admin_dsn(self):
        """The Unix socket as the OS user running duckd: admin by peer authentication."""
        return "host=%s port=%d user=%s dbname=test" % (self.socket_dir, self.port, OS_USER)

    @property
    def http_url(self):
        """The HTTP API's base URL (plain HTTP unless the test configured TLS)."""
        return "http://127.0.0.1:%d" % self.http_port

    @property
    def url(self):
        return "postgresql://test:%s@127.0.0.1:%d/test" % (PASSWORDS["test"], self.port)

    def stop(self, sig=signal.SIGTERM, timeout=60):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("duckd did not stop within %ss:\n%s" % (timeout, self.read_log()))
        self.returncode = self.proc.returncode
        self.log.close()
        return self.returncode

    def check_clean(self):
        log = self.read_log()
        for m in SAN_MARKERS:
            assert m not in log, "sanitizer report in duckd log:\n" + log


@pytest.fixture
def tmpdir_short():
    # Unix socket paths must stay short (108 bytes), so use a short temp dir.
    d = tempfile.mkdtemp(prefix="dkd")
    yield d
    subprocess.call(["rm", "-rf", d])


@pytest.fixture
def start_server(tmpdir_short):
    """Factory: start_server(*args) -> Server; all are stopped and checked at teardown."""
    servers = []

    def start(*args, env=None, wait=True, tmpdir=None, preexec_fn=None):
        s = Server(args, tmpdir or tmpdir_short, env=env, wait=wait, preexec_fn=preexec_fn)
        servers.append(s)
        return s

    yield start
    for s in servers:
        rc = s.stop()
        s.check_clean()
        assert rc == s.expected_rc, "duckd exit code %s:\n%s" % (rc, s.read_log())


@pytest.fixture
def server(start_server):
    """A default in-memory server."""
    return start_server("--memory")
