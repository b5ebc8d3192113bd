"""Parquet results over HTTP (format=parquet, engine/parquet.c) end to end: the file is read back
with read_parquet by a duckd started with the sandbox off and compared with what DuckDB's own
COPY TO writes for the same query (every column of test_all_types()); errors before and while
encoding, the size cap, a timeout and a client that hangs up all leave the spool directory
empty; clients cannot reach the spool directory from SQL, and a spool directory inside
allowed_directories refuses Parquet; concurrent requests; bounded server memory."""

import glob
import http.client
import json
import os
import shutil
import socket
import tempfile
import threading
import time

from conftest import SANITIZED, TOKENS

PARQUET_MIME = "application/vnd.apache.parquet"


def auth(user="test"):
    return {"Authorization": "Bearer " + TOKENS[user]}


def query(server, sql, fmt=None, timeout=120, user="test"):
    """POST /v1/query; returns (status, headers (lower-case names), body bytes)."""
    c = http.client.HTTPConnection("127.0.0.1", server.http_port, timeout=timeout)
    c.request("POST", "/v1/query" + ("?format=" + fmt if fmt else ""),
              body=json.dumps({"sql": sql}), headers=auth(user))
    r = c.getresponse()
    data = r.read()
    hdrs = {k.lower(): v for k, v in r.getheaders()}
    c.close()
    return r.status, hdrs, data


def rows(server, sql):
    st, _, data = query(server, sql)
    assert st == 200, data
    return json.loads(data)["rows"]


def error_of(res):
    st, h, data = res
    assert h["content-type"] == "application/json", data[:200]
    e = json.loads(data)
    return st, e["code"], e["message"]


def download(server, sql, name):
    """format=parquet into a file in the server's directory; returns its path."""
    st, h, data = query(server, sql, "parquet")
    assert st == 200, data[:500]
    assert h["content-type"] == PARQUET_MIME
    assert data[:4] == b"PAR1" and data[-4:] == b"PAR1"
    path = os.path.join(server.tmpdir, name)
    with open(path, "wb") as f:
        f.write(data)
    return path


def spool_dir(server):
    """The spool directory the server logged when it opened its encoder."""
    for line in server.read_log().splitlines():
        if "Parquet encoder opened: spool directory " in line:
            return line.split("spool directory ")[1].split(",")[0]
    return None


def spool_files(server):
    return os.listdir(spool_dir(server))


def lit(path):
    return "'" + path.replace("'", "''") + "'"


def column_diffs(server, a, b, cols):
    """Columns whose values (as text, row by row) differ between files a and b."""
    out = []
    for c in cols:
        q = '"' + c.replace('"', '""') + '"'
        n = rows(server, (
            "SELECT count(*) FROM (SELECT file_row_number AS rn, {q}::VARCHAR AS v FROM "
            "read_parquet({a}, file_row_number = true)) x FULL JOIN (SELECT file_row_number AS rn,"
            " {q}::VARCHAR AS v FROM read_parquet({b}, file_row_number = true)) y USING (rn) "
            "WHERE x.v IS DISTINCT FROM y.v").format(q=q, a=a, b=b))[0][0]
        if n:
            out.append(c)
    return out


# ---- what the file holds ----

def test_all_types_as_duckdb_writes_them(start_server):
    """Every column of test_all_types(): the names, the Parquet types and the values are those
    of DuckDB's own COPY TO of the same query."""
    s = start_server("--memory", "--sandbox=false")
    ours = download(s, "SELECT * FROM test_all_types()", "ours.parquet")
    ref = os.path.join(s.tmpdir, "ref.parquet")
    st, _, data = query(s, "COPY (SELECT * FROM test_all_types()) TO %s (FORMAT parquet)"
                        % lit(ref), user="adm")  # DuckDB's own writer, as an admin may run it
    assert st == 200, data
    desc_ours = rows(s, "DESCRIBE SELECT * FROM read_parquet(%s)" % lit(ours))
    desc_ref = rows(s, "DESCRIBE SELECT * FROM read_parquet(%s)" % lit(ref))
    assert [r[:2] for r in desc_ours] == [r[:2] for r in desc_ref]
    cols = [r[0] for r in rows(s, "DESCRIBE SELECT * FROM test_all_types()")]
    assert [r[0] for r in desc_ours] == cols
    assert column_diffs(s, lit(ours), lit(ref), cols) == []
    assert rows(s, "SELECT count(*) FROM read_parquet(%s)" % lit(ours)) == [[3]]
    # what Parquet cannot hold as DuckDB has it (DuckDB's writer's choices, documented in
    # docs/HTTP.md): HUGEINT/UHUGEINT become DOUBLE, TIMETZ is normalised to UTC, a negative
    # INTERVAL does not survive, a UNION becomes its STRUCT; everything else reads back equal
    lossy = []
    for c in cols:
        q = '"' + c + '"'
        n = rows(s, (
            "SELECT count(*) FROM (SELECT row_number() OVER () AS rn, {q}::VARCHAR AS v FROM "
            "test_all_types()) x FULL JOIN (SELECT file_row_number + 1 AS rn, {q}::VARCHAR AS v "
            "FROM read_parquet({a}, file_row_number = true)) y USING (rn) "
            "WHERE x.v IS DISTINCT FROM y.v").format(q=q, a=lit(ours)))[0][0]
        if n:
            lossy.append(c)
    assert set(lossy) <= {"hugeint", "uhugeint", "time_tz", "interval", "union"}, lossy
    types = dict((r[0], r[1]) for r in desc_ours)
    assert types["hugeint"] == "DOUBLE" and types["small_enum"] == "VARCHAR"
    assert types["union"].startswith("STRUCT")


def test_names_nulls_empty_and_statements_without_rows(start_server):
    s = start_server("--memory", "--sandbox=false")
    p = download(s, 'SELECT 1 AS a, 2 AS A, 3 AS a_1, NULL::INT AS "we""ird \'name", '
                 "'ü' AS \"ü\"", "names.parquet")
    assert [r[0] for r in rows(s, "DESCRIBE SELECT * FROM read_parquet(%s)" % lit(p))] == \
        ["a", "A_1", "a_1_1", "we\"ird 'name", "ü"]
    assert rows(s, "SELECT * FROM read_parquet(%s)" % lit(p)) == [[1, 2, 3, None, "ü"]]
    p = download(s, "SELECT i FROM range(10) t(i) WHERE i > 100", "empty.parquet")
    assert rows(s, "SELECT count(*) FROM read_parquet(%s)" % lit(p)) == [[0]]
    # a statement without rows: 200, no body, its count in the headers
    st, h, data = query(s, "CREATE TABLE t AS SELECT * FROM range(5) t(i)", "parquet")
    assert st == 200 and data == b"" and h["x-duckd-row-count"] == "5"
    # the cursor's own rows: a parameterless query over a table, ordered
    p = download(s, "SELECT i, i * 2 AS j FROM t ORDER BY i DESC", "t.parquet")
    assert rows(s, "SELECT * FROM read_parquet(%s)" % lit(p)) == [[i, 2 * i]
                                                                 for i in range(4, -1, -1)]


def test_large_result_and_concurrent_requests(start_server):
    """1M rows in several row groups, in order; four requests encoding at once each get their
    own result."""
    s = start_server("--memory", "--sandbox=false")
    p = download(s, "SELECT i, 'row ' || i AS s FROM range(1000000) t(i)", "big.parquet")
    assert rows(s, "SELECT count(*), sum(i), bool_and(i = file_row_number AND s = 'row ' || i) "
                "FROM read_parquet(%s, file_row_number = true)" % lit(p)) == \
        [[1000000, 499999500000, True]]
    assert rows(s, "SELECT count(DISTINCT row_group_id) FROM parquet_metadata(%s)" % lit(p)) == \
        [[9]]  # 122,880 rows a row group
    results = {}

    def worker(k):
        n = 200000 + k * 1000
        results[k] = download(s, "SELECT i * %d AS v FROM range(%d) t(i)" % (k + 1, n),
                              "c%d.parquet" % k)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for k in range(4):
        n = 200000 + k * 1000
        assert rows(s, "SELECT count(*), sum(v) FROM read_parquet(%s)" % lit(results[k])) == \
            [[n, (k + 1) * n * (n - 1) // 2]]
    assert spool_files(s) == []


# ---- errors and cleanup ----

def test_errors_get_a_status_and_leave_no_file(server):
    st, code, msg = error_of(query(server, "SELECT * FROM nosuch", "parquet"))
    assert (st, code) == (404, "42P01")
    # an error in row 300,000, after two row groups went into the file
    st, code, msg = error_of(query(
        server, "SELECT CASE WHEN i < 300000 THEN i ELSE error('boom at ' || i) END AS x "
        "FROM range(1000000) t(i)", "parquet"))
    assert st == 400 and "boom at 300000" in msg, msg
    assert spool_files(server) == []
    # the server still serves Parquet
    st, h, data = query(server, "SELECT 42 AS x", "parquet")
    assert st == 200 and data[:4] == b"PAR1"
    assert spool_files(server) == []


def test_size_cap(start_server):
    s = start_server("--memory", env={"DUCKD_HTTP_PARQUET_MAX_SIZE": "1MB"})
    st, code, msg = error_of(query(
        s, "SELECT i, md5(i::VARCHAR) AS h FROM range(2000000) t(i)", "parquet"))
    assert (st, code) == (413, "54000") and "too large" in msg
    assert spool_files(s) == []
    st, _, data = query(s, "SELECT i FROM range(1000) t(i)", "parquet")
    assert st == 200 and data[:4] == b"PAR1"


def test_encoder_memory(start_server):
    """Row groups are cut by bytes too, so wide rows fit a small encoder; a value larger than
    its memory fails with 53200."""
    s = start_server("--memory", env={"DUCKD_HTTP_PARQUET_MEMORY": "16MB"})
    st, _, data = query(s, "SELECT i, repeat('x', 1000) || i AS s FROM range(100000) t(i)",
                        "parquet")
    assert st == 200 and data[:4] == b"PAR1" and len(data) > 50000
    st, code, msg = error_of(query(s, "SELECT repeat('x', 50000000) AS s", "parquet"))
    assert (st, code) == (503, "53200"), msg
    assert spool_files(s) == []


def test_parquet_off(start_server):
    s = start_server("--memory", env={"DUCKD_HTTP_PARQUET_MAX_SIZE": "0"})
    st, code, msg = error_of(query(s, "SELECT 1", "parquet"))
    assert (st, code) == (406, "0A000") and "Parquet" in msg


def test_timeout_stops_the_encoding(start_server):
    s = start_server("--memory", env={"DUCKD_HTTP_REQUEST_TIMEOUT": "2"})
    t0 = time.time()
    st, code, msg = error_of(query(
        s, "SELECT i, md5(i::VARCHAR) AS h FROM range(1000000000) t(i)", "parquet"))
    assert (st, code) == (504, "57014"), msg
    assert time.time() - t0 < 30
    assert spool_files(s) == []


def test_disconnect_stops_the_encoding_and_removes_the_file(server):
    query(server, "SELECT 1", "parquet")  # opens the encoder: its spool directory is known
    body = json.dumps({"sql": "SELECT i, md5(i::VARCHAR) AS h FROM range(1000000000) t(i)"})
    sock = socket.create_connection(("127.0.0.1", server.http_port))
    sock.sendall(b"POST /v1/query?format=parquet HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                 TOKENS["test"].encode() + b"\r\nContent-Length: %d\r\n\r\n" % len(body) +
                 body.encode())
    deadline = time.time() + 30
    while not spool_files(server):  # the file is being written
        assert time.time() < deadline
        time.sleep(0.05)
    sock.close()
    deadline = time.time() + 30
    while spool_files(server) or "client hung up" not in server.read_log():
        assert time.time() < deadline, (spool_files(server), server.read_log()[-2000:])
        time.sleep(0.1)


def test_cancel_by_id_stops_the_encoding(server):
    query(server, "SELECT 1", "parquet")
    out = {}
    t = threading.Thread(target=lambda: out.update(r=query(
        server, "SELECT i, md5(i::VARCHAR) AS h FROM range(1000000000) t(i)", "parquet")))
    t.start()
    deadline = time.time() + 30
    while not spool_files(server):
        assert time.time() < deadline
        time.sleep(0.05)
    c = http.client.HTTPConnection("127.0.0.1", server.http_port, timeout=60)
    c.request("GET", "/v1/sessions", headers=auth())
    doc = json.loads(c.getresponse().read())
    ids = [r[0] for r in doc["rows"] if "md5" in (r[6] or "")]
    c.request("POST", "/v1/sessions/%d/cancel" % ids[0], headers=auth())
    assert json.loads(c.getresponse().read()) == {"cancelled": True}
    c.close()
    t.join(30)
    assert error_of(out["r"])[:2] == (504, "57014")
    assert spool_files(server) == []


def test_disconnect_while_sending(server):
    """The file is written and unlinked; the client reads a little and goes away."""
    c = http.client.HTTPConnection("127.0.0.1", server.http_port, timeout=60)
    c.request("POST", "/v1/query?format=parquet", body=json.dumps(
        {"sql": "SELECT i, md5(i::VARCHAR) AS h FROM range(3000000) t(i)"}), headers=auth())
    r = c.getresponse()
    assert r.status == 200 and r.read(4) == b"PAR1"
    c.sock.shutdown(socket.SHUT_RDWR)
    c.close()
    assert spool_files(server) == []
    st, _, data = query(server, "SELECT 1 AS x", "parquet")
    assert st == 200


def test_shutdown_removes_the_spool_directory(start_server):
    s = start_server("--memory")
    query(s, "SELECT 1", "parquet")
    d = spool_dir(s)
    assert os.path.isdir(d) and oct(os.stat(d).st_mode & 0o777) == "0o700"
    assert s.stop() == 0
    assert not os.path.exists(d)


def test_left_over_spool_directories_are_swept(start_server, tmpdir_short):
    """A spool directory of a duckd that is gone (killed while encoding) is removed when the
    encoder opens; a symlink with such a name is not followed."""
    dead = os.path.join(tmpdir_short, "duckd-parquet-99999999-abcdef")
    os.mkdir(dead, 0o700)
    with open(os.path.join(dead, "1-00.parquet"), "wb") as f:
        f.write(b"PAR1")
    other = os.path.join(tmpdir_short, "keep")
    os.mkdir(other)
    with open(os.path.join(other, "precious"), "w") as f:
        f.write("x")
    os.symlink(other, os.path.join(tmpdir_short, "duckd-parquet-99999998-link"))
    s = start_server("--memory")
    st, _, _ = query(s, "SELECT 1", "parquet")
    assert st == 200
    assert not os.path.exists(dead)
    assert os.listdir(other) == ["precious"]
    assert "removing the left-over Parquet spool directory" in s.read_log()


# ---- isolation ----

def test_clients_cannot_reach_the_spool(server):
    query(server, "SELECT 1", "parquet")
    d = spool_dir(server)
    assert d and d.startswith(server.tmpdir)
    for sql in ("SELECT * FROM glob(%s)" % lit(d + "/*"),
                "SELECT * FROM read_parquet(%s)" % lit(d + "/*.parquet"),
                "COPY (SELECT 1) TO %s" % lit(d + "/x.parquet")):
        st, code, msg = error_of(query(server, sql))
        assert st in (400, 403) and code in ("42501", "0A000"), (sql, code, msg)
    # duckd's own source function exists only in the encoder
    st, code, msg = error_of(query(server, "SELECT * FROM duckd_parquet_source(1)"))
    assert st >= 400


def test_spool_inside_allowed_directories_is_refused(start_server, tmpdir_short):
    s = start_server("--memory", env={"DUCKD_ALLOWED_DIRECTORIES": tmpdir_short})
    st, code, msg = error_of(query(s, "SELECT 1", "parquet"))
    assert (st, code) == (400, "0A000") and "readable by clients" in msg
    assert "http_parquet_dir" in s.read_log()
    assert not glob.glob(os.path.join(tmpdir_short, "duckd-parquet-*"))
    # with the spool elsewhere it is served
    other = tempfile.mkdtemp(prefix="dkq")
    os.mkdir(os.path.join(tmpdir_short, "s2"))
    s2 = start_server("--memory", env={"DUCKD_ALLOWED_DIRECTORIES": tmpdir_short,
                                        "DUCKD_HTTP_PARQUET_DIR": other},
                      tmpdir=os.path.join(tmpdir_short, "s2"))
    try:
        st, _, data = query(s2, "SELECT 1", "parquet")
        assert st == 200 and data[:4] == b"PAR1"
        assert spool_dir(s2).startswith(other)
    finally:
        s2.stop()
        assert os.listdir(other) == []
        shutil.rmtree(other)


# ---- memory ----

def proc_rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def timed_download(server, fmt, sql):
    pid = server.proc.pid
    peak = [proc_rss_kb(pid)]
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            peak[0] = max(peak[0], proc_rss_kb(pid))
            time.sleep(0.02)

    t = threading.Thread(target=sample)
    t.start()
    t0 = time.time()
    c = http.client.HTTPConnection("127.0.0.1", server.http_port, timeout=600)
    c.request("POST", "/v1/query?format=" + fmt, body=json.dumps({"sql": sql}), headers=auth())
    r = c.getresponse()
    assert r.status == 200
    total = 0
    while True:
        chunk = r.read(1 << 20)
        if not chunk:
            break
        total += len(chunk)
    c.close()
    stop.set()
    t.join()
    return total, time.time() - t0, peak[0]


def test_large_download_bounded_memory(server):
    """10M rows: the server's RSS grows by the writer's row group and the encoder's buffers,
    not by the result."""
    sql = "SELECT i, i * 2 AS j, 'row ' || i AS s FROM range(10000000) t(i)"
    base = proc_rss_kb(server.proc.pid)
    total, secs, peak = timed_download(server, "parquet", sql)
    print("10M-row Parquet download: %d bytes in %.2fs, server RSS %d MB -> peak %d MB" % (
        total, secs, base // 1024, peak // 1024))
    assert total > 50_000_000
    assert (peak - base) / 1024 < (1000 if SANITIZED else 300)
    assert spool_files(server) == []
