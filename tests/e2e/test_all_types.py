"""Every column of DuckDB's test_all_types() (its minimum, maximum and NULL rows) reaches
psql and psycopg 3 -- text and binary results -- intact. The wire text of each value is
compared with what duckd documents (docs/COMPATIBILITY.md, "Types"): PostgreSQL's own text
where PostgreSQL has the type, DuckDB's rendering (the value cast to VARCHAR) where it has not;
binary results must decode to the same values as text results, and where Python cannot hold
a value (years beyond 9999, 24:00:00) the binary bytes are decoded here and compared with
DuckDB's own numbers. tests/e2e/java/ClientTest.java does the same for JDBC."""

import math
import os
import shutil
import struct
import subprocess
from contextlib import closing

import pytest

import psycopg
from psycopg.adapt import Loader
from psycopg.pq import Format

# column: (OID sent, text of the minimum row, text of the maximum row); the third row is NULL.
# bignum, medium_enum and geometry are added below (long values).
EXPECTED_TEXT = {
    'bool': (16, 'f', 't'),
    'tinyint': (21, '-128', '127'),
    'smallint': (21, '-32768', '32767'),
    'int': (23, '-2147483648', '2147483647'),
    'bigint': (20, '-9223372036854775808', '9223372036854775807'),
    'hugeint': (1700, '-170141183460469231731687303715884105728', '170141183460469231731687303715884105727'),
    'uhugeint': (1700, '0', '340282366920938463463374607431768211455'),
    'utinyint': (21, '0', '255'),
    'usmallint': (23, '0', '65535'),
    'uint': (26, '0', '4294967295'),
    'ubigint': (1700, '0', '18446744073709551615'),
    'date': (1082, '5877642-06-25 BC', '5881580-07-10'),
    'time': (1083, '00:00:00', '24:00:00'),
    'timestamp': (1114, '290309-12-22 00:00:00 BC', '294247-01-10 04:00:54.775806'),
    'timestamp_s': (1114, '290309-12-22 00:00:00 BC', '294247-01-10 04:00:54'),
    'timestamp_ms': (1114, '290309-12-22 00:00:00 BC', '294247-01-10 04:00:54.775'),
    'timestamp_ns': (25, '1677-09-22 00:00:00', '2262-04-11 23:47:16.854775806'),
    'time_tz': (1266, '00:00:00+15:59:59', '24:00:00-15:59:59'),
    'timestamp_tz': (1184, '290309-12-22 00:00:00+00 BC', '294247-01-10 04:00:54.775806+00'),
    'float': (700, '-3.4028235e+38', '3.4028235e+38'),
    'double': (701, '-1.7976931348623157e+308', '1.7976931348623157e+308'),
    'dec_4_1': (1700, '-999.9', '999.9'),
    'dec_9_4': (1700, '-99999.9999', '99999.9999'),
    'dec_18_6': (1700, '-999999999999.999999', '999999999999.999999'),
    'dec38_10': (1700, '-9999999999999999999999999999.9999999999', '9999999999999999999999999999.9999999999'),
    'uuid': (2950, '00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff'),
    'interval': (1186, '00:00:00', '83 years 3 mons 999 days 00:16:39.999999'),
    'varchar': (25, '🦆🦆🦆🦆🦆🦆', 'goo\x00se'),
    'blob': (17, '\\x746869736973616c6f6e67626c6f6200776974686e756c6c6279746573', '\\x00000061'),
    'bit': (1562, '0010001001011100010101011010111', '10101'),
    'small_enum': (25, 'DUCK_DUCK_ENUM', 'GOOSE'),
    'large_enum': (25, 'enum_0', 'enum_69999'),
    'int_array': (1007, '{}', '{42,999,NULL,NULL,-42}'),
    'double_array': (1022, '{}', '{42,NaN,Infinity,-Infinity,NULL,-42}'),
    'date_array': (1182, '{}', '{1970-01-01,infinity,-infinity,NULL,2022-05-12}'),
    'timestamp_array': (1115, '{}', '{"1970-01-01 00:00:00",infinity,-infinity,NULL,"2022-05-12 16:23:45"}'),
    'timestamptz_array': (1185, '{}', '{"1970-01-01 00:00:00+00",infinity,-infinity,NULL,"2022-05-12 23:23:45+00"}'),
    'varchar_array': (1009, '{}', '{🦆🦆🦆🦆🦆🦆,goose,NULL,""}'),
    'nested_int_array': (25, '{}', '{{},{42,999,NULL,NULL,-42},NULL,{},{42,999,NULL,NULL,-42}}'),
    'struct': (114, '{"a":null,"b":null}', '{"a":42,"b":"🦆🦆🦆🦆🦆🦆"}'),
    'struct_of_arrays': (114, '{"a":null,"b":null}', '{"a":[42,999,null,null,-42],"b":["🦆🦆🦆🦆🦆🦆","goose",null,""]}'),
    'array_of_structs': (199, '{}', '{"{\\"a\\":null,\\"b\\":null}","{\\"a\\":42,\\"b\\":\\"🦆🦆🦆🦆🦆🦆\\"}",NULL}'),
    'map': (114, '{}', '{"key1":"🦆🦆🦆🦆🦆🦆","key2":"goose"}'),
    'union': (25, 'Frank', '5'),
    'fixed_int_array': (1007, '{NULL,2,3}', '{4,5,6}'),
    'fixed_varchar_array': (1009, '{a,NULL,c}', '{d,e,f}'),
    'fixed_nested_int_array': (25, '{{NULL,2,3},NULL,{NULL,2,3}}', '{{4,5,6},{NULL,2,3},{4,5,6}}'),
    'fixed_nested_varchar_array': (25, '{{a,NULL,c},NULL,{a,NULL,c}}', '{{d,e,f},{a,NULL,c},{d,e,f}}'),
    'fixed_struct_array': (199, '{"{\\"a\\":null,\\"b\\":null}","{\\"a\\":42,\\"b\\":\\"🦆🦆🦆🦆🦆🦆\\"}","{\\"a\\":null,\\"b\\":null}"}', '{"{\\"a\\":42,\\"b\\":\\"🦆🦆🦆🦆🦆🦆\\"}","{\\"a\\":null,\\"b\\":null}","{\\"a\\":42,\\"b\\":\\"🦆🦆🦆🦆🦆🦆\\"}"}'),
    'struct_of_fixed_array': (114, '{"a":[null,2,3],"b":["a",null,"c"]}', '{"a":[4,5,6],"b":["d","e","f"]}'),
    'fixed_array_of_int_list': (25, '{{},{42,999,NULL,NULL,-42},{}}', '{{42,999,NULL,NULL,-42},{},{42,999,NULL,NULL,-42}}'),
    'list_of_fixed_int_array': (25, '{{NULL,2,3},{4,5,6},{NULL,2,3}}', '{{4,5,6},{NULL,2,3},{4,5,6}}'),
    'time_ns': (25, '00:00:00', '24:00:00'),
}
BIGNUM_MAX = ("1797693134862315708145274237317043567980705675258449965989174768031572607800285387605"
              "8955863276687817154045895351438246423432132688946418276846754670353751698604991057"
              "6551282076245490090389328944075868508455133942304583236903222948165808559332123348"
              "274797826204144723168738177180919299881250404026184124858368")
EXPECTED_TEXT["bignum"] = (1700, "-" + BIGNUM_MAX, BIGNUM_MAX)
EXPECTED_TEXT["medium_enum"] = (25, "enum_0", "enum_299")
# GEOMETRY has no PostgreSQL type: DuckDB's own rendering (WKT), as text; checked against
# DuckDB's VARCHAR cast at run time
EXPECTED_TEXT["geometry"] = (25, None, None)

# The maximum values of the columns Python cannot hold, as PostgreSQL's binary format carries
# them (days or microseconds since 2000-01-01), from DuckDB's own numbers. The minimum values
# (5877642 BC, 290309 BC) lie beyond what that format can carry: they are refused with 22008
# in binary (text carries them, see EXPECTED_TEXT).
PG_EPOCH_US = 946684800000000
BINARY_MAX = {
    "date": (1082, "!i", 2147483646 - 10957),
    "timestamp": (1114, "!q", 9223372036854775806 - PG_EPOCH_US),
    "timestamp_s": (1114, "!q", 9223372036854000000 - PG_EPOCH_US),
    "timestamp_ms": (1114, "!q", 9223372036854775000 - PG_EPOCH_US),
    "timestamp_tz": (1184, "!q", 9223372036854775806 - PG_EPOCH_US),
}


class RawText(Loader):
    def load(self, data):
        return bytes(data).decode()


class RawBytes(Loader):
    format = Format.BINARY

    def load(self, data):
        return bytes(data)


def columns(conn):
    return [r[0] for r in conn.execute(
        "SELECT column_name FROM (DESCRIBE SELECT * FROM test_all_types())").fetchall()]


def expected_text(conn):
    exp = dict(EXPECTED_TEXT)
    geo = [r[0] for r in conn.execute("SELECT geometry::VARCHAR FROM test_all_types()")]
    exp["geometry"] = (25, geo[0], geo[1])
    return exp


def test_every_column_is_expected(server):
    with closing(psycopg.connect(server.dsn, autocommit=True)) as conn:
        assert sorted(columns(conn)) == sorted(EXPECTED_TEXT)


def test_psycopg_wire_text(server):
    """The exact text of every value, as sent in text format."""
    with closing(psycopg.connect(server.dsn, autocommit=True)) as conn:
        exp = expected_text(conn)
        cur = conn.cursor()
        cur.execute("SELECT * FROM test_all_types()")
        for d in cur.description:
            conn.adapters.register_loader(d.type_code, RawText)
        cur = conn.cursor()
        cur.execute("SELECT * FROM test_all_types()")
        rows = cur.fetchall()
        for i, d in enumerate(cur.description):
            oid, lo, hi = exp[d.name]
            assert (d.name, d.type_code) == (d.name, oid)
            assert [r[i] for r in rows] == [lo, hi, None], d.name
            assert "unsupported" not in str(lo) + str(hi)


def test_psql(server):
    """psql prints every value as sent (a NUL byte inside text ends psql's C string)."""
    with closing(psycopg.connect(server.dsn, autocommit=True)) as conn:
        exp = expected_text(conn)
        names = columns(conn)
    out = subprocess.run(
        ["psql", server.dsn, "-X", "-A", "-t", "-F", "\x1f", "-R", "\x1e", "-P", "null=<NULL>",
         "-c", "SELECT * FROM test_all_types()"],
        capture_output=True, check=True).stdout.decode()
    rows = [r.split("\x1f") for r in out.rstrip("\n").split("\x1e")]
    assert len(rows) == 3
    for i, name in enumerate(names):
        _, lo, hi = exp[name]
        want = [v.split("\x00")[0] for v in (lo, hi)] + ["<NULL>"]
        assert [r[i] for r in rows] == want, name


def same(a, b):
    """Equality where NaN equals NaN (double_array holds one)."""
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return a == b


OUT_OF_PYTHON = {"date", "time", "timestamp", "timestamp_s", "timestamp_ms", "time_tz",
                 "timestamp_tz", "date_array", "timestamp_array", "timestamptz_array"}


@pytest.mark.parametrize("binary", [False, True])
def test_psycopg_values(server, binary):
    """psycopg's own decoding of every column, text and binary results alike."""
    with closing(psycopg.connect(server.dsn, autocommit=True)) as conn:
        text_rows = {}
        for name in columns(conn):
            if name in OUT_OF_PYTHON:
                continue
            q = 'SELECT "%s" FROM test_all_types()' % name
            t = [r[0] for r in conn.cursor().execute(q)]
            b = [r[0] for r in conn.cursor(binary=True).execute(q)]
            text_rows[name] = t
            if name == "float":  # text is the shortest round trip of the float4
                t = [struct.unpack("!f", struct.pack("!f", v))[0] if v is not None else v
                     for v in t]
            if name == "bit":  # psycopg has no varbit loader: decode varbit_send here
                bits = []
                for v in b:
                    if v is not None:
                        n = struct.unpack("!i", v[:4])[0]
                        v = "".join(str(v[4 + k // 8] >> (7 - k % 8) & 1) for k in range(n))
                    bits.append(v)
                b = bits
            if binary:
                assert same(b, t), name
            assert t[2] is None and b[2] is None, name
        assert [str(v) for v in text_rows["bignum"][:2]] == ["-" + BIGNUM_MAX, BIGNUM_MAX]
        assert text_rows["union"] == ["Frank", "5", None]
        assert text_rows["timestamp_ns"][1] == "2262-04-11 23:47:16.854775806"


def test_psycopg_binary_out_of_python_range(server):
    """The values Python cannot hold, decoded from PostgreSQL's binary format by hand."""
    with closing(psycopg.connect(server.dsn, autocommit=True)) as conn:
        for oid in (1082, 1083, 1114, 1184, 1266):
            conn.adapters.register_loader(oid, RawBytes)
        for name, (oid, fmt, hi) in BINARY_MAX.items():
            cur = conn.cursor(binary=True)
            cur.execute('SELECT "%s" FROM test_all_types() OFFSET 1' % name)
            assert cur.description[0].type_code == oid
            assert [r[0] and struct.unpack(fmt, r[0])[0] for r in cur] == [hi, None], name
            with pytest.raises(psycopg.errors.DatetimeFieldOverflow, match="binary format"):
                conn.cursor(binary=True).execute(
                    'SELECT "%s" FROM test_all_types() LIMIT 1' % name).fetchall()
        cur = conn.cursor(binary=True)
        cur.execute("SELECT time FROM test_all_types()")
        assert [r[0] and struct.unpack("!q", r[0])[0] for r in cur] == [0, 86400000000, None]
        cur = conn.cursor(binary=True)
        cur.execute("SELECT time_tz FROM test_all_types()")
        got = [r[0] for r in cur]
        # timetz_send: microseconds, then the zone in seconds WEST of UTC
        assert [struct.unpack("!qi", v) for v in got[:2]] == [(0, -57599), (86400000000, 57599)]
        cur = conn.cursor(binary=True)
        cur.execute("SELECT timestamptz_array, date_array FROM test_all_types()")
        r = cur.fetchall()[1]
        assert [v and struct.unpack("!q", v)[0] for v in r[0]] == [
            -PG_EPOCH_US, 2 ** 63 - 1, -2 ** 63, None, 1652397825000000 - PG_EPOCH_US]
        assert [v and struct.unpack("!i", v)[0] for v in r[1]] == [
            -10957, 2 ** 31 - 1, -2 ** 31, None, 19124 - 10957]


def test_nested_and_opaque_values(server):
    """UNION, BIGNUM and GEOMETRY inside LIST/STRUCT/MAP; statements DuckDB cannot wrap."""
    with closing(psycopg.connect(server.dsn, autocommit=True)) as conn:
        r = conn.execute(
            "SELECT [union_value(a := 1::BIGNUM), union_value(a := -2::BIGNUM)] AS l, "
            "{'n': 123456789012345678901234567890::BIGNUM, 'u': union_value(s := 'x')} AS s, "
            "MAP {'k': 5::BIGNUM} AS m, [1::BIGNUM, NULL] AS bl, "
            "'2024-01-02 03:04:05.123456789'::TIMESTAMP_NS AS tns, "
            "['2024-01-02 03:04:05.000000001'::TIMESTAMP_NS] AS tnsl").fetchone()
        assert r[0] == ["1", "-2"]
        assert r[1] == {"n": 123456789012345678901234567890, "u": "x"}
        assert r[2] == {"k": 5}
        assert [str(v) if v is not None else v for v in r[3]] == ["1", None]
        assert r[4] == "2024-01-02 03:04:05.123456789"
        assert r[5] == ["2024-01-02 03:04:05.000000001"]
        # GEOMETRY nested: the whole column is rendered by DuckDB
        cur = conn.execute("SELECT {'g': 'POINT(1 2)'::GEOMETRY} AS s, 1 AS \"a\"\"b\"")
        assert cur.fetchone() == ("{'g': 'POINT (1 2)'}", 1)
        assert [d.name for d in cur.description] == ["s", 'a"b']
        # with parameters
        cur = conn.cursor(binary=True)
        cur.execute("SELECT %s::GEOMETRY AS g, %s::BIGNUM AS n",
                    ("LINESTRING(0 0, 1 1)", "-99999999999999999999999"))
        assert cur.fetchone() == ("LINESTRING (0 0, 1 1)", -99999999999999999999999)
        conn.execute("CREATE TABLE geo (id INTEGER, g GEOMETRY, n BIGNUM)")
        conn.execute("INSERT INTO geo VALUES (1, 'POINT(3 4)', %s)", ("12345678901234567890123",))
        assert conn.execute("SELECT g, n FROM geo").fetchone() == (
            "POINT (3 4)", 12345678901234567890123)
        # RETURNING cannot be wrapped: refused with a clear error, never a placeholder
        with pytest.raises(psycopg.errors.FeatureNotSupported, match="cast it|Cast it"):
            conn.execute("INSERT INTO geo VALUES (2, 'POINT(5 6)', 1) RETURNING g")
        assert conn.execute("SELECT count(*) FROM geo").fetchone() == (1,)


JAR = "/usr/share/java/postgresql.jar"


def escape(v):
    if v is None:
        return "\\N"
    return (v.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
            .replace("\x00", "\\0"))


@pytest.mark.skipif(not (shutil.which("javac") and shutil.which("java") and os.path.exists(JAR)),
                    reason="needs javac/java and pgjdbc")
def test_jdbc(server, tmp_path):
    """pgjdbc reads every column (tests/e2e/java/ClientTest.java, section alltypes)."""
    with closing(psycopg.connect(server.dsn, autocommit=True)) as conn:
        exp = expected_text(conn)
    path = tmp_path / "alltypes.tsv"
    path.write_text("".join("%s\t%d\t%s\t%s\n" % (n, o, escape(lo), escape(hi))
                            for n, (o, lo, hi) in exp.items()), encoding="utf-8")
    src = os.path.join(os.path.dirname(__file__), "java", "ClientTest.java")
    res = subprocess.run(["javac", "-encoding", "UTF-8", "-cp", JAR, "-d", str(tmp_path), src],
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    res = subprocess.run(["java", "-cp", str(tmp_path) + os.pathsep + JAR, "ClientTest",
                          str(server.port), "alltypes"], capture_output=True, text=True,
                         timeout=300, env=dict(os.environ, ALLTYPES_FILE=str(path)))
    assert res.returncode == 0, res.stdout + res.stderr
    assert "checks passed" in res.stdout


@pytest.mark.parametrize("fmt", ["%t", "%b"])
def test_parameters_of_duckdb_only_types(server, fmt):
    """Bind parameters into BIGNUM, TIMESTAMP_NS, TIME_NS, UNION and GEOMETRY columns, in text
    and binary format; the values come back intact."""
    import datetime
    import decimal
    with closing(psycopg.connect(server.dsn, autocommit=True)) as conn:
        conn.execute("CREATE TABLE p (n BIGNUM, tn TIMESTAMP_NS, t TIME_NS, "
                     "u UNION(i INTEGER, s VARCHAR), g GEOMETRY)")
        big = -10 ** 60 + 7
        conn.execute("INSERT INTO p VALUES (%s, %s, %s, %s, %s)".replace("%s", fmt),
                     (decimal.Decimal(big), datetime.datetime(2024, 1, 2, 3, 4, 5, 123456),
                      datetime.time(1, 2, 3, 456789), "x", "POINT(1 2)"))
        row = conn.cursor(binary=(fmt == "%b")).execute("SELECT * FROM p").fetchone()
        assert row == (big, "2024-01-02 03:04:05.123456", "01:02:03.456789", "x", "POINT (1 2)")
        assert conn.execute("SELECT n = %s::BIGNUM FROM p".replace("%s", fmt),
                            (str(big) if fmt == "%t" else decimal.Decimal(big),)).fetchone() == (True,)
