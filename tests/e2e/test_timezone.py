"""Session time zones: timestamptz text follows the session's TimeZone (SET TimeZone, SET TIME
ZONE, PGTZ, the options startup parameter), as PostgreSQL prints it -- half-hour zones,
daylight saving time, historical (local mean time) offsets --, text input without an offset
is read in that zone, DuckDB's date functions (date_trunc) work in it, binary results stay the
UTC instant, and one session's zone never changes another's. Where PostgreSQL 15 is installed
the same queries are compared with a scratch PostgreSQL."""

import datetime
import os
import shutil
import subprocess
import tempfile
import time
from contextlib import closing
from zoneinfo import ZoneInfo

import pytest

import psycopg
import psycopg2

from psycopg.adapt import Loader

from conftest import free_port


class RawText(Loader):
    def load(self, data):
        return bytes(data).decode()

UTC = datetime.timezone.utc


def psql(dsn, sql, env=None):
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run(["psql", dsn, "-X", "-A", "-t", "-c", sql], capture_output=True,
                          text=True, check=True, env=e).stdout.strip()


def test_psql_pgtz_and_options(server):
    sql = "SELECT '2024-01-02 03:04:05+00'::TIMESTAMPTZ"
    assert psql(server.dsn, sql) == "2024-01-02 03:04:05+00"
    assert psql(server.dsn, sql, {"PGTZ": "Europe/Berlin"}) == "2024-01-02 04:04:05+01"
    assert psql(server.dsn, sql, {"PGOPTIONS": "-c TimeZone=Asia/Kolkata"}) == \
        "2024-01-02 08:34:05+05:30"
    assert psql(server.dsn + " options='-c TimeZone=America/St_Johns'", sql) == \
        "2024-01-01 23:34:05-03:30"
    assert psql(server.dsn, "SHOW TimeZone", {"PGTZ": "asia/tokyo"}) == "Asia/Tokyo"


def test_set_show_reset_and_parameter_status(server):
    with closing(psycopg.connect(server.dsn, autocommit=True)) as c:
        assert c.info.parameter_status("TimeZone") == "UTC"
        c.execute("SET TimeZone = 'asia/kolkata'")
        assert c.info.parameter_status("TimeZone") == "Asia/Kolkata"
        assert c.execute("SHOW TimeZone").fetchone() == ("Asia/Kolkata",)
        assert c.execute("SELECT current_setting('TimeZone')").fetchone() == ("Asia/Kolkata",)
        c.execute("SET TIME ZONE 'America/St_Johns'")
        assert c.info.parameter_status("TimeZone") == "America/St_Johns"
        c.execute("RESET TimeZone")
        assert c.info.parameter_status("TimeZone") == "UTC"
        c.execute("SET TIME ZONE 'Europe/Paris'")
        c.execute("SET TIME ZONE LOCAL")
        assert c.execute("SHOW TIME ZONE").fetchone() == ("UTC",)
        with pytest.raises(psycopg.errors.InvalidParameterValue,
                           match='invalid value for parameter "TimeZone": "Mars/Olympus"'):
            c.execute("SET TimeZone = 'Mars/Olympus'")
        with pytest.raises(psycopg.errors.InvalidParameterValue):
            c.execute("SET TimeZone = 'Europe/Paris'' --'")
        assert c.execute("SHOW TimeZone").fetchone() == ("UTC",)


def test_output_input_and_date_functions(server):
    with closing(psycopg2.connect(server.dsn)) as c, c.cursor() as cur:
        c.autocommit = True
        cur.execute("SET TimeZone = 'Asia/Kolkata'")
        cur.execute("SELECT '2024-01-02 03:04:05+00'::TIMESTAMPTZ::TEXT, "
                    "'2024-01-02 03:04:05'::TIMESTAMPTZ::TEXT, "
                    "date_trunc('day', '2024-01-02 20:00:00+00'::TIMESTAMPTZ)::TEXT, "
                    "extract(hour FROM '2024-01-02 20:00:00+00'::TIMESTAMPTZ)")
        assert cur.fetchone() == ("2024-01-02 08:34:05+05:30", "2024-01-02 03:04:05+05:30",
                                  "2024-01-03 00:00:00+05:30", 1)
        # printed by duckd's encoders (not a DuckDB cast to text): same results
        cur.execute("SELECT '2024-01-02 03:04:05'::TIMESTAMPTZ, "
                    "date_trunc('day', '2024-01-02 20:00:00+00'::TIMESTAMPTZ)")
        assert [v.isoformat() for v in cur.fetchone()] == [
            "2024-01-02T03:04:05+05:30", "2024-01-03T00:00:00+05:30"]
        cur.execute("SET TimeZone = 'America/St_Johns'")
        cur.execute("SELECT ts, ts::TEXT FROM (VALUES ('2024-01-15 12:00:00+00'::TIMESTAMPTZ), "
                    "('2024-07-15 12:00:00+00'::TIMESTAMPTZ)) v(ts)")
        rows = cur.fetchall()
        assert [r[1] for r in rows] == ["2024-01-15 08:30:00-03:30", "2024-07-15 09:30:00-02:30"]
        assert [r[0].isoformat() for r in rows] == ["2024-01-15T08:30:00-03:30",
                                                     "2024-07-15T09:30:00-02:30"]
        # nested values and infinities
        cur.execute("SELECT ['2024-01-15 12:00:00+00'::TIMESTAMPTZ, NULL]::VARCHAR, "
                    "['2024-01-15 12:00:00+00'::TIMESTAMPTZ, 'infinity'::TIMESTAMPTZ]::TEXT, "
                    "{'t': '2024-01-15 12:00:00+00'::TIMESTAMPTZ}")
        r = cur.fetchone()
        assert r[0] == "['2024-01-15 08:30:00-03:30', NULL]"  # DuckDB's own rendering
        assert r[2] == {"t": "2024-01-15 08:30:00-03:30"}  # duckd's JSON of a STRUCT


def test_dst_transition(server):
    with closing(psycopg.connect(server.dsn, autocommit=True)) as c:
        # duckd's text of a timestamptz array, in the session zone
        c.execute("SET TimeZone = 'America/St_Johns'")
        c.adapters.register_loader(1185, RawText)
        assert c.execute("SELECT ['2024-01-15 12:00:00+00'::TIMESTAMPTZ, 'infinity', NULL]"
                         ).fetchone()[0] == '{"2024-01-15 08:30:00-03:30",infinity,NULL}'
    with closing(psycopg.connect(server.dsn, autocommit=True)) as c:
        c.execute("SET TimeZone = 'Europe/Paris'")
        got = c.execute(
            "SELECT (TIMESTAMPTZ '2024-03-31 00:59:59+00')::TEXT, "
            "(TIMESTAMPTZ '2024-03-31 01:00:00+00')::TEXT, "
            "(TIMESTAMPTZ '2024-10-27 00:59:59+00')::TEXT, "
            "(TIMESTAMPTZ '2024-10-27 01:00:00+00')::TEXT").fetchone()
        assert got == ("2024-03-31 01:59:59+01", "2024-03-31 03:00:00+02",
                       "2024-10-27 02:59:59+02", "2024-10-27 02:00:00+01")
        raw = c.execute("SELECT t FROM (VALUES (TIMESTAMPTZ '2024-03-31 00:59:59+00'), "
                        "(TIMESTAMPTZ '2024-03-31 01:00:00+00')) v(t)").fetchall()
        assert [r[0].utcoffset() for r in raw] == [datetime.timedelta(hours=1),
                                                    datetime.timedelta(hours=2)]
        # a local time in the gap: DuckDB's reading (ICU) moves it forward, as PostgreSQL does
        assert c.execute("SELECT (TIMESTAMPTZ '2024-03-31 02:30:00')::TEXT").fetchone() == (
            "2024-03-31 03:30:00+02",)


@pytest.mark.parametrize("binary", [False, True])
def test_psycopg_aware_datetimes(server, binary):
    with closing(psycopg.connect(server.dsn, autocommit=True)) as c:
        c.execute("SET TimeZone = 'Asia/Kolkata'")
        cur = c.cursor(binary=binary)
        v = cur.execute("SELECT TIMESTAMPTZ '2024-01-02 03:04:05.25+00'").fetchone()[0]
        assert v == datetime.datetime(2024, 1, 2, 3, 4, 5, 250000, tzinfo=UTC)
        assert v.tzinfo == ZoneInfo("Asia/Kolkata")
        assert v.utcoffset() == datetime.timedelta(hours=5, minutes=30)
        # a parameter without zone info is read in the session zone
        cur.execute("SELECT %s::TIMESTAMPTZ", (datetime.datetime(2024, 1, 2, 3, 4, 5),))
        assert cur.fetchone()[0] == datetime.datetime(2024, 1, 1, 21, 34, 5, tzinfo=UTC)
        # an aware parameter keeps its instant
        aware = datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=ZoneInfo("America/St_Johns"))
        cur.execute("SELECT %s::TIMESTAMPTZ", (aware,))
        assert cur.fetchone()[0] == aware


def test_zone_is_per_session_and_inserts_land_right(server):
    a = psycopg.connect(server.dsn, autocommit=True)
    b = psycopg.connect(server.dsn, autocommit=True)
    with closing(a), closing(b):
        a.execute("CREATE TABLE tz_t (id INTEGER, t TIMESTAMPTZ)")
        a.execute("SET TimeZone = 'Asia/Kolkata'")
        assert b.execute("SELECT TIMESTAMPTZ '2024-01-02 03:04:05+00'::TEXT").fetchone() == (
            "2024-01-02 03:04:05+00",)
        assert b.execute("SELECT current_setting('TimeZone')").fetchone() == ("UTC",)
        # autocommit INSERTs with text timestamps (group commit must not cast them in UTC)
        for i in range(20):
            a.execute("INSERT INTO tz_t VALUES (%d, '2024-01-02 03:04:05')" % i)
            b.execute("INSERT INTO tz_t VALUES (%d, '2024-01-02 03:04:05')" % (100 + i))
        rows = b.execute("SELECT DISTINCT id >= 100, t FROM tz_t ORDER BY 1").fetchall()
        assert rows == [(False, datetime.datetime(2024, 1, 1, 21, 34, 5, tzinfo=UTC)),
                        (True, datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC))]


# ---- compared with PostgreSQL 15 ----

PGBIN = "/usr/lib/postgresql/15/bin"


@pytest.fixture(scope="module")
def postgres():
    """A scratch PostgreSQL 15 on a Unix socket in a temporary directory (skipped when the
    binaries or a postgres user to run them are missing)."""
    if not os.path.exists(PGBIN + "/initdb"):
        pytest.skip("PostgreSQL 15 is not installed")
    root = os.geteuid() == 0
    if root and subprocess.call(["id", "postgres"], stdout=subprocess.DEVNULL) != 0:
        pytest.skip("no postgres user to run PostgreSQL")
    d = tempfile.mkdtemp(prefix="dkpg")
    as_pg = ["runuser", "-u", "postgres", "--"] if root else []
    if root:
        shutil.chown(d, "postgres")
    port = free_port()
    data = os.path.join(d, "data")
    subprocess.run(as_pg + [PGBIN + "/initdb", "-D", data, "-A", "trust", "-U", "postgres",
                            "-E", "UTF8", "--locale=C.UTF-8"], check=True, capture_output=True)
    subprocess.run(as_pg + [PGBIN + "/pg_ctl", "-D", data, "-l", os.path.join(d, "log"), "-w",
                            "-o", "-c listen_addresses= -k %s -p %d -c shared_buffers=16MB "
                            "-c max_connections=10" % (d, port), "start"],
                   check=True, capture_output=True)
    try:
        yield "host=%s port=%d user=postgres dbname=postgres" % (d, port)
    finally:
        subprocess.run(as_pg + [PGBIN + "/pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"],
                       capture_output=True)
        shutil.rmtree(d, ignore_errors=True)


COMPARE = [
    ("Asia/Kolkata", ["2024-01-02 03:04:05+00", "2024-01-02 03:04:05", "0044-03-15 12:00:00+00",
                      "12000-01-01 00:00:00+00"]),
    ("America/St_Johns", ["2024-01-15 12:00:00+00", "2024-07-15 12:00:00+00",
                          "1900-01-01 00:00:00+00", "2024-03-10 02:30:00"]),
    ("Europe/Paris", ["2024-03-31 00:59:59+00", "2024-03-31 01:00:00+00", "2024-10-27 00:59:59+00",
                      "2024-10-27 01:00:00.5+00", "1850-01-01 00:00:00+00", "2024-03-31 02:30:00"]),
    ("America/New_York", ["2024-11-03 05:59:59+00", "2024-11-03 06:00:00+00", "1883-11-18 12:00:00+00"]),
    ("Australia/Lord_Howe", ["2024-01-01 00:00:00+00", "2024-07-01 00:00:00+00"]),
    ("Asia/Kathmandu", ["2024-01-01 00:00:00+00", "1985-12-31 18:29:59+00"]),
    ("UTC", ["2024-01-01 00:00:00+05:30", "infinity", "-infinity"]),
]


@pytest.mark.parametrize("zone,values", COMPARE)
def test_same_as_postgresql(server, postgres, zone, values):
    sql = "SET TimeZone = '%s'; SELECT %s" % (zone, ", ".join(
        "'%s'::TIMESTAMPTZ, date_trunc('day', '%s'::TIMESTAMPTZ)" % (v, v) for v in values))
    assert psql(server.dsn, sql) == psql(postgres, sql)
    assert psql(server.dsn, "SET TimeZone = '%s'; SHOW TimeZone" % zone.lower()) == \
        psql(postgres, "SET TimeZone = '%s'; SHOW TimeZone" % zone.lower())


def test_set_local_time_zone(server):
    with closing(psycopg.connect(server.dsn)) as c:
        c.execute("SET LOCAL TimeZone = 'Asia/Kolkata'")
        assert c.info.parameter_status("TimeZone") == "Asia/Kolkata"
        assert c.execute("SELECT TIMESTAMPTZ '2024-01-02 00:00:00+00'").fetchone()[0].isoformat() \
            == "2024-01-02T05:30:00+05:30"
        c.commit()  # the block ends: the zone is UTC again, and the client is told so
        assert c.info.parameter_status("TimeZone") == "UTC"
        assert c.execute("SHOW TimeZone").fetchone() == ("UTC",)
        c.rollback()


def test_server_default_zone(start_server):
    srv = start_server("--memory", "--timezone", "america/st_johns")
    with closing(psycopg.connect(srv.dsn, autocommit=True)) as c:
        assert c.info.parameter_status("TimeZone") == "America/St_Johns"
        assert c.execute("SELECT TIMESTAMPTZ '2024-01-15 12:00:00+00'::TEXT").fetchone() == (
            "2024-01-15 08:30:00-03:30",)
        c.execute("SET TimeZone = 'UTC'")
        c.execute("RESET TimeZone")
        assert c.execute("SHOW TimeZone").fetchone() == ("America/St_Johns",)
        assert c.execute("SELECT TIMESTAMPTZ '2024-01-15 12:00:00'::TEXT").fetchone() == (
            "2024-01-15 12:00:00-03:30",)


def test_server_default_zone_invalid(start_server):
    srv = start_server("--memory", "--timezone", "Mars/Olympus", wait=False)
    srv.expected_rc = 1
    assert srv.proc.wait(timeout=60) == 1
    assert 'invalid value for setting timezone: "Mars/Olympus"' in srv.read_log()


def test_reset_returns_to_the_startup_zone(server):
    out = psql(server.dsn, "SET TimeZone = 'Asia/Tokyo'; RESET TimeZone; SHOW TimeZone",
               {"PGTZ": "Europe/Berlin"})
    assert out.splitlines()[-1] == "Europe/Berlin"
