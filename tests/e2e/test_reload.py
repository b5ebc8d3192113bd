"""Operations: SIGHUP reloads the settings that can change at run time (and logs those that
cannot), a broken file changes nothing, and systemd's readiness protocol (sd_notify)."""
import os
import signal
import socket
import time

import psycopg

from conftest import PASSWORDS


def wait_log(server, text, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if text in server.read_log():
            return
        time.sleep(0.05)
    raise AssertionError("%r not in log:\n%s" % (text, server.read_log()[-3000:]))


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def test_sighup_reloads(start_server, tmpdir_short):
    ini = os.path.join(tmpdir_short, "duckd.ini")
    write(ini, "[server]\nstatement_timeout = 0\nmax_connections = 50\nlog_level = info\n")
    s = start_server("--memory", "--config", ini)
    with psycopg.connect(s.dsn, autocommit=True) as before:
        assert before.execute("SHOW statement_timeout").fetchone() == ("0",)
        write(ini, "[server]\nstatement_timeout = 150ms\nmax_connections = 50\n"
                   "log_level = info\nmax_message_size = 32MB\nlog_statements = true\n")
        s.proc.send_signal(signal.SIGHUP)
        wait_log(s, "SIGHUP: configuration reloaded")
        log = s.read_log()
        assert "server.statement_timeout (0 -> 150ms)" in log
        assert "server.log_statements (false -> true)" in log
        assert "need a restart" in log and "server.max_message_size (64MB -> 32MB)" in log
        # new sessions get the new default; a running one keeps its own
        with psycopg.connect(s.dsn, autocommit=True) as after:
            assert after.execute("SHOW statement_timeout").fetchone() == ("150ms",)
            try:
                after.execute("SELECT count(*) FROM range(100000000000)")
                raise AssertionError("not cancelled")
            except psycopg.errors.QueryCanceled:
                pass
            after.execute("SELECT 'logged now'")
        assert before.execute("SHOW statement_timeout").fetchone() == ("0",)
        wait_log(s, "SELECT 'logged now'")
        # the Unix socket still works
        with psycopg.connect(s.admin_dsn) as c:
            c.execute("SELECT 1")
        # a broken file changes nothing and the server goes on
        write(ini, "[server]\nstatement_timeout = soon\n")
        s.proc.send_signal(signal.SIGHUP)
        wait_log(s, "SIGHUP: configuration not reloaded")
        with psycopg.connect(s.dsn, autocommit=True) as again:
            assert again.execute("SHOW statement_timeout").fetchone() == ("150ms",)
    assert s.proc.poll() is None


def test_max_connections_reloaded(start_server, tmpdir_short):
    ini = os.path.join(tmpdir_short, "duckd.ini")
    write(ini, "[server]\nmax_connections = 50\n")
    s = start_server("--memory", "--config", ini)
    held = [psycopg.connect(s.dsn) for _ in range(2)]
    write(ini, "[server]\nmax_connections = 2\n")
    s.proc.send_signal(signal.SIGHUP)
    wait_log(s, "server.max_connections (50 -> 2)")
    try:
        psycopg.connect(s.dsn)
        raise AssertionError("admitted beyond max_connections")
    except psycopg.OperationalError as e:
        assert "too many clients" in str(e)
    for c in held:
        c.close()


def test_sd_notify(start_server, tmpdir_short):
    path = os.path.join(tmpdir_short, "notify")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(30)
    try:
        s = start_server("--memory", env={"NOTIFY_SOCKET": path})
        msgs = [sock.recv(4096).decode()]
        assert "READY=1" in msgs[0] and "MAINPID=%d" % s.proc.pid in msgs[0]
        s.proc.send_signal(signal.SIGHUP)
        assert sock.recv(4096).decode() == "RELOADING=1"
        assert sock.recv(4096).decode() == "READY=1"
        s.stop()
        assert sock.recv(4096).decode().startswith("STOPPING=1")
    finally:
        sock.close()
