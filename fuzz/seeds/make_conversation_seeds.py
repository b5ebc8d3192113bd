#!/usr/bin/python3
"""Writes the seed corpus of fuzz_pgw_conversation (fuzz/corpus/fuzz_pgw_conversation/).

Each seed is one flags byte (see fuzz/fuzz_pgw_conversation.c) followed by the client's byte
stream. The SCRAM seed's client proof is computed here for the fuzzer's fixed user, password,
salt and server nonce, so that conversation reaches the authenticated state."""
import base64
import hashlib
import hmac
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "corpus",
                   "fuzz_pgw_conversation")
PASSWORD, SALT, ITER, SNONCE = b"fuzzpass", b"duckd-fuzz-salt!", 4096, "fuzzservernonce"


def startup(user, **params):
    body = struct.pack("!I", 196608) + b"user\0" + user.encode() + b"\0"
    for k, v in params.items():
        body += k.encode() + b"\0" + v.encode() + b"\0"
    body += b"\0"
    return struct.pack("!I", len(body) + 4) + body


def msg(t, payload=b""):
    return t.encode() + struct.pack("!I", len(payload) + 4) + payload


def cstr(s):
    return s.encode() + b"\0"


def query(sql):
    return msg("Q", cstr(sql))


def parse(name, sql):
    return msg("P", cstr(name) + cstr(sql) + struct.pack("!H", 0))


def bind(portal, stmt, params=()):
    p = cstr(portal) + cstr(stmt) + struct.pack("!H", 0) + struct.pack("!H", len(params))
    for v in params:
        p += struct.pack("!i", -1) if v is None else struct.pack("!i", len(v)) + v
    return msg("B", p + struct.pack("!H", 0))


def execute(portal, rows=0):
    return msg("E", cstr(portal) + struct.pack("!I", rows))


def describe(kind, name):
    return msg("D", kind.encode() + cstr(name))


SYNC, TERM = msg("S"), msg("X")
SSL = struct.pack("!II", 8, 80877103)
CANCEL = struct.pack("!IIII", 16, 80877102, 1, 2)


def scram_login(user="scram"):
    cnonce = "clientnonce"
    bare = "n=,r=" + cnonce
    first = "n,," + bare
    init = cstr("SCRAM-SHA-256") + struct.pack("!i", len(first)) + first.encode()
    nonce = cnonce + SNONCE
    server_first = "r=%s,s=%s,i=%d" % (nonce, base64.b64encode(SALT).decode(), ITER)
    final_wo = "c=biws,r=" + nonce
    auth = ",".join([bare, server_first, final_wo]).encode()
    salted = hashlib.pbkdf2_hmac("sha256", PASSWORD, SALT, ITER)
    ckey = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    sig = hmac.new(hashlib.sha256(ckey).digest(), auth, hashlib.sha256).digest()
    proof = bytes(a ^ b for a, b in zip(ckey, sig))
    final = final_wo + ",p=" + base64.b64encode(proof).decode()
    return startup(user) + msg("p", init) + msg("p", final.encode())


SEEDS = {
    "trusted_simple": startup("raw", application_name="fuzz") +
    query("SELECT 1 AS a, 'x' AS b") + query("BEGIN; CREATE TABLE t(i INT); COMMIT") +
    query("SELECT * FROM t; SELECT 2") + query("") + TERM,
    "extended_error_sync": startup("raw") + parse("s1", "SELECT $1::int + 1") +
    bind("", "s1", [b"41"]) + describe("P", "") + execute("") + parse("", "SELEC broken") +
    bind("", "") + execute("") + SYNC + parse("", "SELECT 3") + bind("p", "") +
    execute("p", 1) + msg("H") + SYNC + msg("C", b"Ss1\0") + SYNC + TERM,
    "copy_from_stdin": startup("raw") + query("CREATE TABLE c(a INT, b TEXT)") +
    query("COPY c FROM STDIN") + msg("d", b"1\tone\n2\t") + msg("d", b"two\n") + msg("c") +
    query("COPY c FROM STDIN (FORMAT csv)") + msg("d", b"3,x\n") + msg("f", b"abort\0") +
    query("COPY c TO STDOUT") + query("COPY (SELECT * FROM c) TO STDOUT (FORMAT csv)") + TERM,
    "scram_login": scram_login() + query("SELECT current_user") + TERM,
    "scram_wrong_user": scram_login("nobody") + TERM,
    "ssl_then_startup": SSL + startup("raw") + query("SHOW server_version") + TERM,
    "cancel_request": CANCEL,
    "unix_peer": startup("scram") + TERM,
    "group_commit": startup("raw") +
    query("CREATE TABLE g(a INT PRIMARY KEY, b TEXT, d DATE)") +
    query("INSERT INTO g VALUES (1, 'x', '2024-01-01')") +
    query("INSERT INTO g VALUES (2, NULL, NULL), (3, 'y', NULL); INSERT INTO g (a) VALUES (4)") +
    query("INSERT INTO g VALUES (5, 'z', NULL); INSERT INTO g VALUES (1, 'dup', NULL)") +
    parse("ins", "INSERT INTO g VALUES ($1, $2, $3)") +
    bind("", "ins", [b"6", b"p", b"2024-02-02"]) + execute("") +
    bind("", "ins", [b"7", None, None]) + execute("") + SYNC +
    bind("", "ins", [b"8", b"q", None]) + execute("") +
    bind("", "ins", [b"6", b"dup", None]) + execute("") +
    bind("", "ins", [b"9", b"r", None]) + execute("") + SYNC +
    query("SELECT count(*) FROM g") + TERM,
    "cursors": startup("raw") +
    query("BEGIN; DECLARE c SCROLL CURSOR FOR SELECT x FROM range(10) t(x)") +
    query("FETCH LAST c; FETCH BACKWARD 3 c; MOVE ABSOLUTE 2 c; FETCH RELATIVE 0 c") +
    query("DECLARE s CURSOR FOR SELECT x, 'v' || x FROM range(5000) t(x)") +
    query("FETCH 3000 s; FETCH PRIOR s") + query("ROLLBACK") +
    query("DECLARE h CURSOR WITH HOLD FOR SELECT x FROM range(3) t(x)") +
    parse("", "FETCH 2 FROM h") + bind("p", "") + describe("P", "p") + execute("p") +
    describe("P", "h") + msg("C", b"Ph\0") + SYNC + query("FETCH h; CLOSE ALL") + TERM,
    "pipeline_no_sync": startup("raw", options="-c statement_timeout=100") +
    parse("", "SELECT 1") + bind("", "") + execute("") + execute("") + TERM,
}
FLAGS = {"unix_peer": 8, "ssl_then_startup": 1, "extended_error_sync": 2}

os.makedirs(OUT, exist_ok=True)
for name, data in SEEDS.items():
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(bytes([FLAGS.get(name, 0)]) + data)
