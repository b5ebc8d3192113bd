"""duckd.Server: a duckd process started as a child of this one (persistent, ephemeral or
in-memory database) or a running server to attach to."""

import base64
import getpass
import hashlib
import hmac
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import weakref
from pathlib import Path

from . import _conn, _info

READY_LINE = "ready to accept connections"


class ServerError(RuntimeError):
    """duckd could not be found, did not start, or exited."""


def find_binary(binary=None):
    """The duckd executable: `binary` when given (which must exist), else $DUCKD_BIN, else
    `duckd` on PATH, else the build of the repository this package lives in (build/duckd
    next to python/)."""
    if binary:
        if os.path.isfile(binary) and os.access(binary, os.X_OK):
            return os.path.abspath(binary)
        raise ServerError("duckd binary %s not found or not executable" % binary)
    candidates = [os.environ.get("DUCKD_BIN"), shutil.which("duckd")]
    here = Path(__file__).resolve().parent
    for up in (here.parent.parent, here.parent):
        candidates.append(str(up / "build" / "duckd"))
    for c in candidates:
        if c and os.path.isfile(c) and os.access(c, os.X_OK):
            return os.path.abspath(c)
    raise ServerError("duckd binary not found: set DUCKD_BIN, put duckd on PATH or build the "
                      "repository (make)")


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _scram_verifier(password, iterations=4096):
    """PostgreSQL's SCRAM-SHA-256 verifier, the form duckd's users file holds."""
    salt = os.urandom(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    server_key = hmac.new(salted, b"Server Key", "sha256").digest()
    b64 = lambda b: base64.b64encode(b).decode()
    return "SCRAM-SHA-256$%d:%s$%s:%s" % (iterations, b64(salt),
                                          b64(hashlib.sha256(client_key).digest()),
                                          b64(server_key))


def _ini_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _stop(proc, workdir, timeout):
    """Stops the child (SIGTERM, then SIGKILL after `timeout` s) and removes its directory.
    Safe to call twice; used by close() and by the finalizer."""
    if proc is not None and proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if workdir:
        shutil.rmtree(workdir, ignore_errors=True)


class Server:
    """A duckd server. Start one with Server.persistent(path), Server.ephemeral() or
    Server.memory(init=...), or use a running one with Server.attach(dsn). A server started
    here listens on a free 127.0.0.1 port and on a Unix socket in a private directory; this
    process's OS user is admin on that socket (peer authentication), so `dsn` needs no
    password. `tcp_dsn` logs in over TCP as the read_write user "app" with a random password.
    close() (or leaving the `with` block) stops the child and removes every file it made, except
    a persistent database; it is idempotent and also runs at interpreter exit."""

    def __init__(self, mode, path=None, init=None, init_sql=None, config=None, duckdb=None,
                 binary=None, startup_timeout=60.0, stop_timeout=60.0, read_only=False):
        if mode not in ("persistent", "ephemeral", "memory"):
            raise ValueError("mode must be persistent, ephemeral or memory")
        if mode == "persistent" and not path:
            raise ValueError("a persistent server needs a database path")
        self.mode = mode
        self.path = Path(path).resolve() if path else None
        self._proc = None
        self._closed = False
        self._stop_timeout = stop_timeout
        self.binary = find_binary(binary)
        self.workdir = tempfile.mkdtemp(prefix="duckd-py-")
        self._finalizer = weakref.finalize(self, _stop, None, self.workdir, stop_timeout)
        try:
            self._start(init, init_sql, config or {}, duckdb or {}, startup_timeout, read_only)
        except BaseException:
            self.close()
            raise

    # ---- constructors in the seed's words ----

    @classmethod
    def persistent(cls, path, **kw):
        """A server on the database file `path` (created if missing; kept at close)."""
        return cls("persistent", path=path, **kw)

    @classmethod
    def ephemeral(cls, **kw):
        """A server on a fresh temporary database file, removed at close."""
        return cls("ephemeral", **kw)

    @classmethod
    def memory(cls, init=None, **kw):
        """A server on an in-memory database; `init` names an SQL file run once before
        clients are accepted (`init_sql` gives the SQL itself)."""
        return cls("memory", init=init, **kw)

    @classmethod
    def attach(cls, dsn):
        """A running server, reached through `dsn`; close() leaves it running."""
        return _Attached(dsn)

    # ---- lifecycle ----

    def _start(self, init, init_sql, config, duckdb, timeout, read_only):
        self.port = _free_port()
        self.socket_dir = self.workdir
        self._password = secrets.token_urlsafe(18)
        users = os.path.join(self.workdir, "duckd.users")
        with open(users, "w") as f:
            f.write("app read_write %s\n" % _scram_verifier(self._password))
        os.chmod(users, 0o600)
        if init_sql is not None:
            init = os.path.join(self.workdir, "init.sql")
            with open(init, "w") as f:
                f.write(init_sql)
        server = {"mode": self.mode, "port": self.port, "listen": "127.0.0.1",
                  "socket_dir": self.workdir, "users_file": users,
                  "ephemeral_dir": self.workdir, "read_only": read_only}
        if self.path:
            server["db"] = str(self.path)
        if init:
            server["init"] = os.path.abspath(init)
        server.update(config)
        ini = os.path.join(self.workdir, "duckd.ini")
        with open(ini, "w") as f:
            f.write("[server]\n")
            for k, v in server.items():
                f.write("%s = %s\n" % (k, _ini_value(v)))
            if duckdb:
                f.write("[duckdb]\n")
                for k, v in duckdb.items():
                    f.write("%s = %s\n" % (k, _ini_value(v)))
        self.config_file = ini
        self.log_path = os.path.join(self.workdir, "duckd.log")
        env = {k: v for k, v in os.environ.items() if not k.startswith("DUCKD_")}
        with open(self.log_path, "wb") as log:
            self._proc = subprocess.Popen([self.binary, "--config", ini], stdout=log,
                                          stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                          cwd=self.workdir, env=env)
        self._finalizer.detach()
        self._finalizer = weakref.finalize(self, _stop, self._proc, self.workdir,
                                           self._stop_timeout)
        deadline = time.monotonic() + timeout
        while True:
            if self._proc.poll() is not None:
                raise ServerError("duckd exited with %s:\n%s" % (self._proc.returncode,
                                                                 self.log()))
            if READY_LINE in self.log():
                return
            if time.monotonic() > deadline:
                raise ServerError("duckd did not become ready within %ss:\n%s" %
                                  (timeout, self.log()))
            time.sleep(0.02)

    def log(self):
        """duckd's log so far (text)."""
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    @property
    def pid(self):
        return self._proc.pid if self._proc else None

    @property
    def running(self):
        return self._proc is not None and self._proc.poll() is None

    @property
    def dsn(self):
        """libpq connection string: the Unix socket as this OS user (admin)."""
        return "host=%s port=%d user=%s dbname=duckd" % (self.socket_dir, self.port,
                                                        getpass.getuser())

    @property
    def tcp_dsn(self):
        """libpq connection string over TCP as the read_write user "app"."""
        return "host=127.0.0.1 port=%d user=app password=%s dbname=duckd" % (self.port,
                                                                           self._password)

    def close(self):
        """Stops the server (SIGTERM: running statements finish, a persistent database is
        checkpointed) and removes its private directory. Idempotent."""
        if self._closed:
            return
        self._closed = True
        self._finalizer()
        self.returncode = self._proc.returncode if self._proc else None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ---- clients ----

    def connect(self, **kw):
        """A new duckd.Connection to this server (autocommit unless autocommit=False)."""
        return _conn.connect(self.dsn, **kw)

    async def connect_async(self, **kw):
        return await _conn.connect_async(self.dsn, **kw)

    def info(self):
        """duckd.Info from duckd_info() and duckd_tables()."""
        with self.connect() as c:
            return _info.read_info(c.raw)

    def __repr__(self):
        return "<duckd.Server %s %s port %s%s>" % (
            self.mode, self.path or "", getattr(self, "port", "?"),
            " closed" if self._closed else "")


class _Attached(Server):
    """A server this process did not start (Server.attach)."""

    def __init__(self, dsn):
        self._dsn = dsn
        self.mode = None
        self.path = None
        self._proc = None
        self._closed = False

    @property
    def dsn(self):
        return self._dsn

    @property
    def tcp_dsn(self):
        return self._dsn

    def log(self):
        return ""

    def close(self):
        self._closed = True

    def __repr__(self):
        return "<duckd.Server attached %r>" % self._dsn
