"""The HTTP API (docs/HTTP.md) end to end: every endpoint, format and error through curl and
Python's http.client against the real binary; authentication (bearer tokens bound to the users
file's roles, Basic over TLS only); bounded server memory over a 10M-row download; a client that
disconnects mid-stream stops its query; ingest of CSV and NDJSON, all or nothing."""

import base64
import csv
import http.client
import io
import json
import os
import signal
import socket
import ssl
import subprocess
import threading
import time

import pytest

from conftest import PASSWORDS, SANITIZED, TOKENS


def auth(user="test"):
    return {"Authorization": "Bearer " + TOKENS[user]}


def request(server, method, path, body=None, headers=None, user="test", conn=None):
    """One request; returns (status, headers dict (lower-case names), body bytes)."""
    h = dict(auth(user) if user else {})
    h.update(headers or {})
    if isinstance(body, (dict, list)):
        body = json.dumps(body)
    c = conn or http.client.HTTPConnection("127.0.0.1", server.http_port, timeout=60)
    c.request(method, path, body=body, headers=h)
    r = c.getresponse()
    data = r.read()
    hdrs = {k.lower(): v for k, v in r.getheaders()}
    if not conn:
        c.close()
    return r.status, hdrs, data


def query(server, sql, params=None, fmt=None, user="test", headers=None):
    body = {"sql": sql}
    if params is not None:
        body["params"] = params
    path = "/v1/query" + ("?format=" + fmt if fmt else "")
    return request(server, "POST", path, body, headers=headers, user=user)


def ok_json(server, sql, params=None, user="test"):
    st, _, data = query(server, sql, params, user=user)
    assert st == 200, data
    return json.loads(data)


def error_of(status_headers_body):
    st, h, data = status_headers_body
    assert h["content-type"] == "application/json"
    e = json.loads(data)
    return st, e["code"], e["message"]


def proc_status(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])  # kB
    return 0


def cpu_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


# ---- health ----

def test_health_endpoints(server):
    for path, status in (("/healthz", "ok"), ("/readyz", "ready")):
        out = subprocess.run(["curl", "-s", "-i", server.http_url + path], capture_output=True,
                             timeout=30)
        assert out.stdout.startswith(b"HTTP/1.1 200"), out.stdout
        assert json.loads(out.stdout.split(b"\r\n\r\n", 1)[1]) == {"status": status}
    st, h, _ = request(server, "HEAD", "/healthz", user=None)
    assert st == 200


def test_metrics_and_sessions(server):
    ok_json(server, "SELECT 1")
    st, h, data = request(server, "GET", "/metrics")
    assert st == 200 and h["content-type"].startswith("text/plain")
    assert 'duckd_statements_total{protocol="http",outcome="ok"}' in data.decode()
    assert request(server, "GET", "/metrics", user=None)[0] == 401
    rows = ok_json(server, "SELECT protocol, \"user\", state FROM duckd_sessions()")["rows"]
    assert rows == [["http", "test", "active"]]


def test_info_sessions_and_cancel_endpoints(server):
    st, h, data = request(server, "GET", "/v1/info")
    info = json.loads(data)
    assert st == 200 and h["content-type"] == "application/json"
    assert info["mode"] == "memory" and info["path"] is None  # admin-only for others
    info = json.loads(request(server, "GET", "/v1/info", user="adm")[2])
    assert info["pid"] == server.proc.pid
    doc = json.loads(request(server, "GET", "/v1/sessions")[2])
    assert doc["rows"][0][2] == "http"
    out = {}
    t = threading.Thread(target=lambda: out.update(
        r=query(server, "SELECT sum(i * i) FROM range(100000000000) t(i)")))
    t.start()
    deadline = time.time() + 20
    while True:
        doc = json.loads(request(server, "GET", "/v1/sessions")[2])
        ids = [r[0] for r in doc["rows"] if (r[6] or "").startswith("SELECT sum")]
        if ids:
            break
        assert time.time() < deadline
        time.sleep(0.05)
    # another read_write user may not cancel it; its owner may
    st, code, _ = error_of(request(server, "POST", "/v1/sessions/%d/cancel" % ids[0], user="ro"))
    assert st == 403
    st, _, data = request(server, "POST", "/v1/sessions/%d/cancel" % ids[0])
    assert st == 200 and json.loads(data) == {"cancelled": True}
    t.join(30)
    assert error_of(out["r"])[:2] == (504, "57014")
    assert request(server, "POST", "/v1/sessions/x/cancel")[0] == 404


def test_cancel_from_sql(server):
    """duckd_cancel(id) from another request stops an HTTP query (the registry is shared)."""
    out = {}

    def run():
        out["r"] = query(server, "SELECT sum(i * i) FROM range(100000000000) t(i)")

    t = threading.Thread(target=run)
    t.start()
    deadline = time.time() + 20
    while True:
        rows = ok_json(server, "SELECT id FROM duckd_sessions() WHERE query LIKE 'SELECT sum%' "
                       "AND state = 'active'")["rows"]
        if rows:
            break
        assert time.time() < deadline
        time.sleep(0.05)
    ok_json(server, "SELECT * FROM duckd_cancel(%d)" % rows[0][0])
    t.join(30)
    st, code, _ = error_of(out["r"])
    assert (st, code) == (504, "57014")


# ---- queries and formats ----

def test_query_json_types_and_params(server):
    r = ok_json(server, "SELECT 1 AS i, $1::BIGINT AS b, $2 AS s, $3::INT AS n, [1, 2] AS l, "
                "{'x': 1.5} AS st, true AS t, 1.25::DECIMAL(5,2) AS d, DATE '2024-01-02' AS dt, "
                "$4::INT[] AS arr", [42, "he said \"hi\"\n", None, [3, 4]])
    assert [c["name"] for c in r["columns"]] == ["i", "b", "s", "n", "l", "st", "t", "d", "dt",
                                                  "arr"]
    types = {c["name"]: (c["type"], c["json_type"]) for c in r["columns"]}
    assert types["i"] == ("INTEGER", "number")
    assert types["l"] == ("INTEGER[]", "array")
    assert types["st"][1] == "object"
    assert types["t"] == ("BOOLEAN", "boolean")
    assert types["d"] == ("DECIMAL(5,2)", "number")
    assert types["dt"] == ("DATE", "string")
    assert r["rows"] == [[1, 42, "he said \"hi\"\n", None, [1, 2], {"x": 1.5}, True, 1.25,
                          "2024-01-02", [3, 4]]]
    assert r["row_count"] == 1


def test_query_ndjson_and_csv(server):
    sql = "SELECT i, 'v,' || i AS s, CASE WHEN i = 1 THEN NULL ELSE '' END AS e FROM range(3) t(i)"
    st, h, data = query(server, sql, fmt="ndjson")
    assert st == 200 and h["content-type"] == "application/x-ndjson"
    rows = [json.loads(l) for l in data.decode().splitlines()]
    assert rows == [{"i": 0, "s": "v,0", "e": ""}, {"i": 1, "s": "v,1", "e": None},
                    {"i": 2, "s": "v,2", "e": ""}]
    st, h, data = query(server, sql, headers={"Accept": "text/csv"})
    assert st == 200 and h["content-type"] == "text/csv"
    assert data == b'i,s,e\r\n0,"v,0",""\r\n1,"v,1",\r\n2,"v,2",""\r\n'
    assert list(csv.reader(io.StringIO(data.decode()))) == [
        ["i", "s", "e"], ["0", "v,0", ""], ["1", "v,1", ""], ["2", "v,2", ""]]
    # Accept with several types: the first known one wins; format= beats Accept
    st, h, _ = query(server, "SELECT 1", headers={"Accept": "image/png, application/x-ndjson"})
    assert h["content-type"] == "application/x-ndjson"
    st, h, _ = query(server, "SELECT 1", fmt="json", headers={"Accept": "text/csv"})
    assert h["content-type"] == "application/json"


def test_statements_without_rows(server):
    r = ok_json(server, "CREATE TABLE t (a INT PRIMARY KEY, b VARCHAR)")
    assert r["columns"] == [] and r["rows"] == []
    st, h, data = query(server, "INSERT INTO t VALUES (1, 'x'), (2, 'y')")
    assert st == 200 and h["x-duckd-row-count"] == "2"
    assert json.loads(data)["row_count"] == 2
    # each request is its own session: a transaction it opens ends with it, so the next
    # request runs in autocommit and its write stays
    ok_json(server, "BEGIN")
    ok_json(server, "INSERT INTO t VALUES (3, 'z')")
    assert ok_json(server, "SELECT count(*) FROM t")["rows"] == [[3]]


def test_curl_streams_chunked(server):
    out = subprocess.run(
        ["curl", "-s", "-i", "-H", "Authorization: Bearer " + TOKENS["test"],
         "--data", json.dumps({"sql": "SELECT * FROM range(100000)"}),
         server.http_url + "/v1/query?format=csv"], capture_output=True, timeout=60)
    head, body = out.stdout.split(b"\r\n\r\n", 1)
    assert b"Transfer-Encoding: chunked" in head
    lines = body.split(b"\r\n")
    assert lines[0] == b"range" and lines[1] == b"0" and lines[100000] == b"99999"


# ---- errors ----

def test_errors(server):
    assert error_of(query(server, "SELEC 1"))[:2] == (400, "42601")
    assert error_of(query(server, "SELECT * FROM nope"))[:2] == (404, "42P01")
    assert error_of(query(server, "SELECT 1; SELECT 2"))[:2] == (400, "42601")
    assert error_of(query(server, "SELECT $1::INT", ["x"]))[:2] == (400, "22P02")
    assert error_of(query(server, "SELECT $1::INT, $2::INT", [1]))[0] == 400
    assert error_of(request(server, "POST", "/v1/query", "{nope"))[:2] == (400, "22P02")
    assert error_of(request(server, "POST", "/v1/query", {"sql": 1}))[:2] == (400, "22023")
    assert error_of(request(server, "POST", "/v1/query", {"sql": "SELECT 1", "x": 1}))[:2] == \
        (400, "22023")
    assert error_of(request(server, "POST", "/v1/query", [1]))[:2] == (400, "22023")
    assert error_of(request(server, "POST", "/v1/query",
                            '{"sql": "SELECT 1", "sql": "SELECT 2"}'))[:2] == (400, "22P02")
    assert error_of(query(server, "SELECT 1", fmt="xml"))[:2] == (406, "0A000")
    assert error_of(query(server, "SELECT 1", headers={"Accept": "image/png"}))[0] == 406
    st, h, data = query(server, "SELECT 1", fmt="parquet")  # see test_parquet.py
    assert st == 200 and h["content-type"] == "application/vnd.apache.parquet"
    assert error_of(request(server, "GET", "/nope"))[:2] == (404, "42704")
    st, h, _ = request(server, "GET", "/v1/query")
    assert st == 405 and h["allow"] == "POST, OPTIONS"
    # a failing statement rolls back; the server still serves
    assert ok_json(server, "SELECT 42")["rows"] == [[42]]


def test_error_while_streaming(server):
    sql = ("SELECT CASE WHEN i < 200000 THEN i::VARCHAR ELSE error('boom') END AS v "
           "FROM range(300000) t(i)")
    st, h, data = query(server, sql)
    assert st in (200, 400)
    if st == 200:  # the first rows went out: the JSON ends with the error
        doc = json.loads(data)
        assert doc["error"]["message"].find("boom") >= 0
    c = http.client.HTTPConnection("127.0.0.1", server.http_port, timeout=60)
    c.request("POST", "/v1/query?format=ndjson", body=json.dumps({"sql": sql}), headers=auth())
    r = c.getresponse()
    if r.status == 200:
        with pytest.raises(http.client.IncompleteRead) as e:  # the stream is cut
            r.read()
        assert b'{"error":' in e.value.partial
    c.close()


def test_limits(start_server):
    s = start_server("--memory", env={"DUCKD_HTTP_MAX_BODY": "4KB", "DUCKD_HTTP_MAX_PARAMS": "3"})
    st, code, _ = error_of(query(s, "SELECT '" + "x" * 5000 + "'"))
    assert (st, code) == (413, "54000")
    st, code, _ = error_of(query(s, "SELECT 1", [1, 2, 3, 4]))
    assert code == "54000"
    # a chunked body without a length is capped too
    c = http.client.HTTPConnection("127.0.0.1", s.http_port, timeout=30)
    c.request("POST", "/v1/query", body=iter([b'{"sql": "', b"x" * 8000, b'"}']),
              headers=auth(), encode_chunked=True)
    r = c.getresponse()
    assert r.status == 413
    c.close()
    assert ok_json(s, "SELECT 1")["rows"] == [[1]]


def test_request_timeout(start_server):
    s = start_server("--memory", env={"DUCKD_HTTP_REQUEST_TIMEOUT": "1"})
    t0 = time.time()
    st, code, _ = error_of(query(s, "SELECT sum(i * i) FROM range(10000000000) t(i)"))
    assert (st, code) == (504, "57014")
    assert time.time() - t0 < 20


def test_max_connections(start_server):
    s = start_server("--memory", "--max-connections", "1")
    c = http.client.HTTPConnection("127.0.0.1", s.http_port, timeout=60)
    c.request("POST", "/v1/query?format=csv",
              body=json.dumps({"sql": "SELECT * FROM range(100000000)"}), headers=auth())
    r = c.getresponse()
    r.read(100000)
    st, code, _ = error_of(query(s, "SELECT 1"))
    assert (st, code) == (429, "53300")
    c.close()


# ---- authentication ----

def test_auth(server):
    st, h, data = query(server, "SELECT 1", user=None)
    assert st == 401 and h["www-authenticate"].startswith("Bearer")
    assert json.loads(data)["code"] == "28000"
    st, _, data = query(server, "SELECT 1", user=None,
                        headers={"Authorization": "Bearer duckd_wrong"})
    assert st == 401 and json.loads(data)["code"] == "28P01"
    # HTTP Basic needs TLS
    basic = "Basic " + base64.b64encode(b"test:" + PASSWORDS["test"].encode()).decode()
    st, _, data = query(server, "SELECT 1", user=None, headers={"Authorization": basic})
    assert st == 401 and "TLS" in json.loads(data)["message"]
    # roles: read_only reads but cannot write
    ok_json(server, "CREATE TABLE r (a INT)", user="adm")
    assert ok_json(server, "SELECT count(*) FROM r", user="ro")["rows"] == [[0]]
    st, code, _ = error_of(query(server, "INSERT INTO r VALUES (1)", user="ro"))
    assert (st, code) == (403, "25006")
    st, code, _ = error_of(query(server, "CREATE TABLE r2 (a INT)", user="ro"))
    assert st == 403
    ok_json(server, "INSERT INTO r VALUES (1)", user="test")


def test_token_command_and_revocation(start_server, tmpdir_short):
    from conftest import DUCKD_BIN
    s = start_server("--memory")
    tokens = os.path.join(tmpdir_short, "duckd.tokens")
    out = subprocess.run([DUCKD_BIN, "token", "--tokens-file", tokens, "ro"], capture_output=True,
                         text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    tok = out.stdout.strip()
    assert tok.startswith("duckd_") and tok not in open(tokens).read()
    assert os.stat(tokens).st_mode & 0o077 == 0
    st, _, _ = query(s, "SELECT 1", user=None, headers={"Authorization": "Bearer " + tok})
    assert st == 200
    # removing its line revokes it at once
    lines = [l for l in open(tokens) if not l.rstrip().endswith(" ro")]
    with open(tokens, "w") as f:
        f.writelines(lines)
    st, _, _ = query(s, "SELECT 1", user=None, headers={"Authorization": "Bearer " + tok})
    assert st == 401


def test_revocation_with_the_tokens_file_cached(start_server, tmpdir_short):
    """duckd keeps the parsed tokens file while a stat shows it unchanged: a file modified
    long ago is cached, and removing a line (even keeping the size and putting the old
    modification time back) revokes at once."""
    s = start_server("--memory")
    tokens = os.path.join(tmpdir_short, "duckd.tokens")
    old = time.time() - 3600
    os.utime(tokens, (old, old))
    for _ in range(3):
        assert query(s, "SELECT 1", user="ro")[0] == 200
    text = open(tokens).read()
    ro_line = [l for l in text.splitlines(True) if l.rstrip().endswith(" ro")][0]
    with open(tokens, "w") as f:  # same size: the line's hash zeroed
        f.write(text.replace(ro_line, "0" * 64 + " ro\n"))
    os.utime(tokens, (old, old))
    st, _, _ = query(s, "SELECT 1", user="ro")
    assert st == 401
    assert query(s, "SELECT 1", user="test")[0] == 200


def test_access_rules_apply(start_server, tmpdir_short):
    with open(os.path.join(tmpdir_short, "rules.hba"), "w") as f:
        f.write("tcp all ro reject\ntcp 127.0.0.1/32 all trust\n")
    s = start_server("--memory", "--hba-file", os.path.join(tmpdir_short, "rules.hba"))
    st, code, _ = error_of(query(s, "SELECT 1", user="ro"))
    assert (st, code) == (403, "28000")
    # a trust rule for every user admits requests without credentials
    st, _, _ = query(s, "SELECT 1", user=None)
    assert st == 200


@pytest.fixture
def tls_server(start_server, tmpdir_short):
    d = tmpdir_short
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", "k.pem", "-out", "c.pem"], cwd=d, check=True, capture_output=True)
    s = start_server("--memory", "--tls-cert", os.path.join(d, "c.pem"),
                     "--tls-key", os.path.join(d, "k.pem"))
    ctx = ssl.create_default_context(cafile=os.path.join(d, "c.pem"))
    return s, ctx, os.path.join(d, "c.pem")


def test_https_and_basic(tls_server):
    s, ctx, cafile = tls_server

    def https(headers):
        c = http.client.HTTPSConnection("127.0.0.1", s.http_port, context=ctx, timeout=30)
        c.request("POST", "/v1/query", body=json.dumps({"sql": "SELECT current_user"}),
                  headers=headers)
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, data

    st, data = https(auth())
    assert st == 200, data
    basic = lambda u, p: {"Authorization": "Basic " + base64.b64encode(
        (u + ":" + p).encode()).decode()}
    st, data = https(basic("test", PASSWORDS["test"]))
    assert st == 200, data
    st, data = https(basic("test", "wrong"))
    assert st == 401 and json.loads(data)["code"] == "28P01"
    st, data = https(basic("nobody", "x"))
    assert st == 401 and json.loads(data)["code"] == "28P01"
    # curl verifies the certificate too; plain HTTP on the TLS port fails
    out = subprocess.run(["curl", "-s", "--cacert", cafile, "https://127.0.0.1:%d/healthz" %
                          s.http_port], capture_output=True, text=True, timeout=30)
    assert json.loads(out.stdout) == {"status": "ok"}
    with pytest.raises(Exception):
        request(s, "GET", "/healthz")


# ---- CORS ----

def test_cors_off_by_default(server):
    st, h, _ = query(server, "SELECT 1", headers={"Origin": "http://evil.example"})
    assert st == 200 and "access-control-allow-origin" not in h


def test_cors_configured(start_server):
    s = start_server("--memory", env={"DUCKD_HTTP_CORS_ORIGINS": "http://app.example"})
    st, h, _ = query(s, "SELECT 1", headers={"Origin": "http://app.example"})
    assert h["access-control-allow-origin"] == "http://app.example"
    st, h, _ = query(s, "SELECT 1", headers={"Origin": "http://evil.example"})
    assert "access-control-allow-origin" not in h
    st, h, _ = request(s, "OPTIONS", "/v1/query", user=None,
                       headers={"Origin": "http://app.example",
                                "Access-Control-Request-Method": "POST"})
    assert st == 204 and h["access-control-allow-origin"] == "http://app.example"
    assert "Authorization" in h["access-control-allow-headers"]


# ---- memory and disconnects ----

def test_large_download_bounded_memory(server):
    """10M rows (about 300 MB of JSON) stream through while the server's RSS stays small."""
    pid = server.proc.pid
    base = proc_status(pid, "VmRSS")
    peak = [0]
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            peak[0] = max(peak[0], proc_status(pid, "VmRSS"))
            time.sleep(0.05)

    t = threading.Thread(target=sample)
    t.start()
    c = http.client.HTTPConnection("127.0.0.1", server.http_port, timeout=300)
    c.request("POST", "/v1/query", body=json.dumps(
        {"sql": "SELECT i, i * 2 AS j, 'row ' || i AS s FROM range(10000000) t(i)"}),
        headers=auth())
    r = c.getresponse()
    total, tail = 0, b""
    while True:
        chunk = r.read(1 << 20)
        if not chunk:
            break
        total += len(chunk)
        tail = (tail + chunk)[-200:]
    c.close()
    stop.set()
    t.join()
    assert total > 250_000_000
    assert tail.endswith(b'],"row_count":10000000,"command":"SELECT 10000000"}\n')
    grown_mb = (peak[0] - base) / 1024
    print("10M-row JSON download: %d bytes, server RSS %d MB -> peak %d MB" % (
        total, base // 1024, peak[0] // 1024))
    assert grown_mb < (800 if SANITIZED else 150), grown_mb


def test_disconnect_mid_stream_stops_query(start_server):
    s = start_server("--memory", "--max-connections", "1")
    pid = s.proc.pid
    c = http.client.HTTPConnection("127.0.0.1", s.http_port, timeout=60)
    c.request("POST", "/v1/query?format=ndjson", body=json.dumps(
        {"sql": "SELECT i, md5(i::VARCHAR) FROM range(1000000000) t(i)"}), headers=auth())
    r = c.getresponse()
    assert len(r.read(1 << 20)) == 1 << 20
    c.sock.shutdown(socket.SHUT_RDWR)
    c.close()
    # the session leaves the registry: with max_connections 1 a new request gets in
    deadline = time.time() + 20
    while True:
        st, _, _ = query(s, "SELECT 1")
        if st == 200:
            break
        assert time.time() < deadline, "the abandoned query still holds its session"
        time.sleep(0.1)
    a = cpu_ticks(pid)
    time.sleep(1)
    assert cpu_ticks(pid) - a < 30  # nothing keeps computing


def test_disconnect_while_computing_cancels(server):
    """A client that hangs up before the first row: the watchdog interrupts the statement."""
    body = json.dumps({"sql": "SELECT sum(i * i) FROM range(100000000000) t(i)"}).encode()
    sock = socket.create_connection(("127.0.0.1", server.http_port))
    sock.sendall(b"POST /v1/query HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                 TOKENS["test"].encode() + b"\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    time.sleep(0.5)
    sock.close()
    deadline = time.time() + 20
    while "client hung up" not in server.read_log():
        assert time.time() < deadline
        time.sleep(0.1)


def test_concurrent_requests(server):
    ok_json(server, "CREATE TABLE c AS SELECT * FROM range(100000) t(i)")
    results = []

    def worker():
        results.append(ok_json(server, "SELECT sum(i) FROM c")["rows"][0][0])

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [4999950000] * 8


# ---- ingest ----

def ingest(server, table, body, ctype, query_string="", user="test"):
    return request(server, "POST", "/v1/ingest/" + table + query_string, body,
                   headers={"Content-Type": ctype}, user=user)


def test_ingest_csv_and_ndjson(server):
    ok_json(server, "CREATE TABLE ing (a INT, b VARCHAR, c DOUBLE)")
    st, _, data = ingest(server, "ing", 'c,a,b\n1.5,1,x\n,2,"y,z"\n', "text/csv")
    assert st == 200 and json.loads(data) == {"row_count": 2}
    st, _, data = ingest(server, "ing", "3,q,2.5\n", "text/csv", "?header=false")
    assert st == 200 and json.loads(data) == {"row_count": 1}
    nd = '{"b": "n1", "a": 10}\n{"a": 11, "c": 2.5}\n\n{"a": 12, "b": null}'
    st, _, data = ingest(server, "ing", nd, "application/x-ndjson")
    assert st == 200 and json.loads(data) == {"row_count": 3}
    assert ok_json(server, "SELECT * FROM ing ORDER BY a")["rows"] == [
        [1, "x", 1.5], [2, "y,z", None], [3, "q", 2.5], [10, "n1", None], [11, None, 2.5],
        [12, None, None]]
    # schema-qualified names
    ok_json(server, "CREATE SCHEMA s")
    ok_json(server, "CREATE TABLE s.t (a INT)")
    st, _, data = ingest(server, "s.t", "a\n1\n2\n", "text/csv")
    assert st == 200 and json.loads(data) == {"row_count": 2}


def test_ingest_is_all_or_nothing(server):
    ok_json(server, "CREATE TABLE ing (a INT PRIMARY KEY, b VARCHAR)")
    ingest(server, "ing", "a,b\n1,x\n", "text/csv")
    bad_csv = "a,b\n" + "".join("%d,v\n" % i for i in range(2, 50000)) + "oops,v\n"
    st, code, _ = error_of(ingest(server, "ing", bad_csv, "text/csv"))
    assert (st, code) == (400, "22P02")
    st, code, _ = error_of(ingest(server, "ing", "a,b\n5,x\n1,dup\n", "text/csv"))
    assert code == "23505"
    st, code, _ = error_of(ingest(server, "ing", '{"a": 7}\n{"zz": 1}\n', "application/x-ndjson"))
    assert (st, code) == (400, "42703")
    st, code, _ = error_of(ingest(server, "ing", '{"a": 7}\n[1]\n', "application/x-ndjson"))
    assert code == "22P02"
    assert ok_json(server, "SELECT a, b FROM ing")["rows"] == [[1, "x"]]
    # unknown table, bad name, unsupported body type, read-only role
    assert error_of(ingest(server, "nope", "a\n1\n", "text/csv"))[:2] == (404, "42P01")
    assert error_of(ingest(server, "a.b.c", "a\n1\n", "text/csv"))[0] == 400
    assert error_of(ingest(server, "ing", "a\n1\n", "application/xml"))[0] == 415
    assert error_of(ingest(server, "ing", "a\n9\n", "text/csv", user="ro"))[:2] == (403, "25006")
    assert ok_json(server, "SELECT count(*) FROM ing")["rows"] == [[1]]


def test_ingest_disconnect_mid_upload_leaves_table_unchanged(server):
    ok_json(server, "CREATE TABLE ing (a INT)")
    sock = socket.create_connection(("127.0.0.1", server.http_port))
    sock.sendall(b"POST /v1/ingest/ing HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                 TOKENS["test"].encode() + b"\r\nContent-Type: text/csv\r\n"
                 b"Content-Length: 100000000\r\n\r\na\n" + b"1\n" * 100000)
    time.sleep(0.5)
    sock.close()
    time.sleep(0.5)
    assert ok_json(server, "SELECT count(*) FROM ing")["rows"] == [[0]]


def test_ingest_large_streams(server):
    ok_json(server, "CREATE TABLE big (i BIGINT, s VARCHAR)")
    body = "i,s\n" + "".join("%d,row %d\n" % (i, i) for i in range(500000))
    st, _, data = ingest(server, "big", body, "text/csv")
    assert st == 200 and json.loads(data) == {"row_count": 500000}
    assert ok_json(server, "SELECT count(*), sum(i) FROM big")["rows"] == [[500000, 124999750000]]


# ---- shutdown ----

def test_sigterm_with_idle_keepalive(start_server):
    s = start_server("--memory")
    c = http.client.HTTPConnection("127.0.0.1", s.http_port, timeout=30)
    st, _, _ = request(s, "POST", "/v1/query", {"sql": "SELECT 1"}, conn=c)
    assert st == 200
    t0 = time.time()
    assert s.stop(signal.SIGTERM) == 0
    assert time.time() - t0 < 15
    c.close()


def test_http_disabled(start_server):
    s = start_server("--memory", "--http-port", "0")
    assert "HTTP API listening" not in s.read_log()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", s.http_port), timeout=2).close()


def test_malformed_requests_then_still_serves(server):
    """Garbage, oversized headers and broken chunked framing close their connections; the
    server keeps serving."""
    payloads = [
        b"\x00\xff garbage\r\n\r\n",
        b"POST /v1/query HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 200000 + b"\r\n\r\n",
        b"POST /v1/query HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"POST /v1/query HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
        b"GET /" + b"a" * 100000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        b"POST /v1/ingest/%00x HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
    ]
    for p in payloads:
        s = socket.create_connection(("127.0.0.1", server.http_port), timeout=10)
        try:
            s.sendall(p)
            s.shutdown(socket.SHUT_WR)
            while s.recv(65536):
                pass
        except OSError:
            pass
        s.close()
    assert ok_json(server, "SELECT 1")["rows"] == [[1]]
