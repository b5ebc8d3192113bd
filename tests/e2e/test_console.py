"""The web console: its files served from the binary (headers, 404s, revalidation) and the page
itself in headless Chromium (Debian's /usr/bin/chromium driven by playwright-core from
tests/e2e/node, see node/console_test.js): token, a query, paging through 10,000 rows, charts,
an error's SQLSTATE, and cancelling a psycopg session's long query from the sessions list.

The browser test writes a screenshot of a sales-by-region demo to the test's temporary
directory; with DUCKD_CONSOLE_SCREENSHOT=PATH it is also copied there (docs/img/console.png
was made that way)."""
import json
import os
import queue
import shutil
import subprocess
import threading
import time
import urllib.error
import urllib.request

import psycopg
import pytest

from conftest import TOKENS

NODE_DIR = os.path.join(os.path.dirname(__file__), "node")
CHROMIUM = "/usr/bin/chromium"
LONG = "SELECT count(DISTINCT md5(a::varchar)) FROM big, range(100) r(b)"


def get(url, headers=None, method="GET"):
    req = urllib.request.Request(url, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def test_console_files(server):
    base = server.http_url
    st, h, body = get(base + "/")
    assert st == 200 and h["Content-Type"] == "text/html; charset=utf-8"
    assert b"<title>duckd console</title>" in body
    assert "default-src 'self'" in h["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in h["Content-Security-Policy"]
    assert h["X-Content-Type-Options"] == "nosniff" and h["Cache-Control"] == "no-cache"
    etag = h["ETag"]
    for path, ctype in [("/console/", "text/html; charset=utf-8"),
                        ("/console/console.js", "text/javascript; charset=utf-8"),
                        ("/console/console.css", "text/css; charset=utf-8"),
                        ("/console/favicon.svg", "image/svg+xml")]:
        st, h, body = get(base + path)
        assert st == 200 and h["Content-Type"] == ctype and len(body) > 0, path
        assert h["ETag"] == etag
    # revalidation: the browser's copy is current
    st, h, body = get(base + "/console/console.js", {"If-None-Match": etag})
    assert st == 304 and body == b""
    # HEAD answers the headers only
    st, h, body = get(base + "/", method="HEAD")
    assert st == 200 and body == b"" and h["Content-Type"].startswith("text/html")
    # unknown files and anything that is not a plain name are 404 JSON, as the API's errors
    for path in ["/console/nope.js", "/console/../web/index.html", "/console/a/b.js",
                 "/index.html", "/console", "/console/.hidden"]:
        st, h, body = get(base + path)
        assert st == 404 and h["Content-Type"] == "application/json", path
        assert json.loads(body)["code"] == "42704", path
    st, h, body = get(base + "/", method="POST")
    assert st == 405 and "GET" in h["Allow"]
    # the page needs no token, the API it calls does
    st, _, body = get(base + "/v1/sessions")
    assert st == 401


@pytest.fixture(scope="module")
def playwright():
    if not (shutil.which("node") and shutil.which("npm") and os.access(CHROMIUM, os.X_OK)):
        pytest.skip("needs node, npm and Debian's chromium")
    if not os.path.isdir(os.path.join(NODE_DIR, "node_modules", "playwright-core")):
        res = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=NODE_DIR,
                             capture_output=True, text=True, timeout=600)
        assert res.returncode == 0, res.stdout + res.stderr


def run_long(dsn, errors):
    try:
        with psycopg.connect(dsn, autocommit=True) as c:
            c.execute(LONG)
            errors.append("the long query was not cancelled")
    except psycopg.errors.QueryCanceled as e:
        errors.append(e)
    except psycopg.Error as e:
        errors.append(e)


def wait_active(server, deadline):
    with psycopg.connect(server.admin_dsn, autocommit=True) as adm:
        while not adm.execute("SELECT 1 FROM duckd_sessions() WHERE state = 'active' "
                              "AND query = %s", (LONG,)).fetchone():
            assert time.time() < deadline
            time.sleep(0.1)


def cancel_long(server):
    with psycopg.connect(server.admin_dsn, autocommit=True) as adm:
        for (sid,) in adm.execute("SELECT id FROM duckd_sessions() WHERE query = %s",
                                  (LONG,)).fetchall():
            adm.execute("SELECT * FROM duckd_cancel(%d)" % sid)


def test_console_in_chromium(server, playwright, tmp_path):
    # an idle session stays open (it shows in the sessions list of the screenshot)
    setup = psycopg.connect(server.dsn, autocommit=True)
    setup.execute("CREATE TABLE big AS SELECT range a FROM range(2000000)")
    setup.execute("CREATE TABLE sales (region VARCHAR, amount DECIMAL(12,2))")
    setup.execute("INSERT INTO sales SELECT ['North America', 'Europe', 'Asia Pacific', "
                  "'Latin America', 'Middle East', 'Africa'][1 + (i * 7919) % 6], "
                  "(5000 + (i * 104729) % 95000 + (i % 6) * 12000 + i % 89) / 100.0 FROM range(1, 2400) t(i)")
    shot = str(tmp_path / "console.png")
    node = subprocess.Popen(["node", "console_test.js", server.http_url, TOKENS["test"], shot],
                            cwd=NODE_DIR, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    out = queue.Queue()

    def reader():
        for line in node.stdout:
            out.put(line.rstrip("\n"))
        out.put(None)  # node ended

    threading.Thread(target=reader, daemon=True).start()
    errors, seen, long_thread = [], [], None
    deadline = time.time() + 180

    def next_line():
        line = out.get(timeout=max(1, deadline - time.time()))
        if line is None:
            raise AssertionError("node ended")
        seen.append(line)
        return line

    try:
        assert next_line() == "LONG?", seen
        long_thread = threading.Thread(target=run_long, args=(server.dsn, errors))
        long_thread.start()
        wait_active(server, deadline)
        node.stdin.write("GO\n")
        node.stdin.flush()
        line = next_line()
        assert line.startswith("CANCELLED "), seen
        long_thread.join(timeout=60)
        assert not long_thread.is_alive()
        assert len(errors) == 1 and isinstance(errors[0], psycopg.errors.QueryCanceled), errors
        # the demo: another long query runs while the screenshot is taken, then is cancelled
        assert next_line() == "DEMO?", seen
        long_thread = threading.Thread(target=run_long, args=(server.dsn, errors))
        long_thread.start()
        wait_active(server, deadline)
        node.stdin.write("GO\n")
        node.stdin.flush()
        assert next_line() == "SHOT", seen
        cancel_long(server)
        long_thread.join(timeout=60)
        assert not long_thread.is_alive()
        assert next_line() == "OK", seen
        assert node.wait(timeout=60) == 0
    except (queue.Empty, AssertionError, subprocess.TimeoutExpired):
        node.kill()
        node.wait()
        raise AssertionError("console test failed; its output:\n%s\n%s" % (
            "\n".join(seen), node.stderr.read()))
    finally:
        if node.poll() is None:
            node.kill()
            node.wait()
        if long_thread and long_thread.is_alive():
            cancel_long(server)
            long_thread.join(timeout=60)
        setup.close()
    with open(shot, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    if os.environ.get("DUCKD_CONSOLE_SCREENSHOT"):
        shutil.copyfile(shot, os.environ["DUCKD_CONSOLE_SCREENSHOT"])
