"""Numeric to_char / to_number and LISTEN / NOTIFY through psycopg2, compared with PostgreSQL
15 (C locale: D is '.', G is ',', L is a blank): the documentation's "to_char Examples" table,
every numeric column type, NULLs, exact decimals, to_number's DECIMAL result and its errors,
the date/time to_char that must keep working, and LISTEN / NOTIFY / pg_notify's 0A000."""

import datetime
import decimal
from contextlib import closing

import psycopg2
import psycopg2.errors
import pytest


@pytest.fixture
def cur(server):
    with closing(psycopg2.connect(server.dsn)) as c:
        c.autocommit = True
        yield c.cursor()


def one(cur, sql, params=None):
    cur.execute(sql, params)
    return cur.fetchone()


# (expression, PostgreSQL 15's output): Table 9.29, in the C locale
DOCS = [
    ("to_char(-0.1, '99.99')", "  -.10"),
    ("to_char(-0.1, 'FM9.99')", "-.1"),
    ("to_char(-0.1, 'FM90.99')", "-0.1"),
    ("to_char(0.1, '0.9')", " 0.1"),
    ("to_char(12, '9990999.9')", "    0012.0"),
    ("to_char(12, 'FM9990999.9')", "0012."),
    ("to_char(485, '999')", " 485"),
    ("to_char(-485, '999')", "-485"),
    ("to_char(485, '9 9 9')", " 4 8 5"),
    ("to_char(1485, '9,999')", " 1,485"),
    ("to_char(1485, '9G999')", " 1,485"),
    ("to_char(148.5, '999.999')", " 148.500"),
    ("to_char(148.5, 'FM999.999')", "148.5"),
    ("to_char(148.5, 'FM999.990')", "148.500"),
    ("to_char(148.5, '999D999')", " 148.500"),
    ("to_char(3148.5, '9G999D999')", " 3,148.500"),
    ("to_char(-485, '999S')", "485-"),
    ("to_char(-485, '999MI')", "485-"),
    ("to_char(485, '999MI')", "485 "),
    ("to_char(485, 'FM999MI')", "485"),
    ("to_char(485, 'PL999')", "+ 485"),  # the table says '+485'; the server keeps the blank
    ("to_char(485, 'SG999')", "+485"),
    ("to_char(-485, 'SG999')", "-485"),
    ("to_char(-485, '9SG99')", "4-85"),
    ("to_char(-485, '999PR')", "<485>"),
    ("to_char(485, 'L999')", "  485"),
    ("to_char(485, 'RN')", "        CDLXXXV"),
    ("to_char(485, 'FMRN')", "CDLXXXV"),
    ("to_char(5.2, 'FMRN')", "V"),
    ("to_char(482, '999th')", " 482nd"),
    ("to_char(485, '\"Good number:\"999')", "Good number: 485"),
    ("to_char(485.8, '\"Pre:\"999\" Post:\" .999')", "Pre: 485 Post: .800"),
    ("to_char(12, '99V999')", " 12000"),
    ("to_char(12.4, '99V999')", " 12400"),
    ("to_char(12.45, '99V9')", " 125"),
    ("to_char(0.0004859, '9.99EEEE')", " 4.86e-04"),
]


def test_docs_examples(cur):
    cur.execute("select " + ", ".join(e for e, _ in DOCS))
    got = cur.fetchone()
    for (expr, want), g in zip(DOCS, got):
        assert g == want, expr


def test_report_formats(cur):
    assert one(cur, "select to_char(1234.5, '9,999.99')") == (" 1,234.50",)
    assert one(cur, "select to_char(5, '9'), to_char(5, 'FM9')") == (" 5", "5")
    assert one(cur, "select to_char(12345, '999'), to_char(-12345.6, '999.9')") == (
        " ###",
        "-###.#",
    )
    # half away from zero, from the decimal's exact digits
    assert one(cur, "select to_char(2.5, '9'), to_char(-2.5, '9'), to_char(0.125, '9.99')") == (
        " 3",
        "-3",
        "  .13",
    )
    assert one(cur, "select to_char(NULL::int, '999'), to_char(1, NULL)") == (None, None)


def test_column_types(cur):
    cur.execute(
        "create table amounts (n numeric(30,4), b bigint, i int, s smallint, "
        "d double precision, r real, h hugeint)"
    )
    cur.execute(
        "insert into amounts values (12345678901234567890123456.7891, 9007199254740993, "
        "-42, 7, 1234.5, 12.5, 170141183460469231731687303715884105727), "
        "(NULL, NULL, NULL, NULL, NULL, NULL, NULL)"
    )
    cur.execute(
        "select to_char(n, 'FM99,999,999,999,999,999,999,999,999.0000'), "
        "to_char(b, '9,999,999,999,999,999'), to_char(i, 'S999'), to_char(s, '00'), "
        "to_char(d, 'L9,999.99'), to_char(r, '99.9'), to_char(h, 'FM' || repeat('9', 39)) "
        "from amounts order by b nulls last"
    )
    assert cur.fetchall() == [
        (
            "12,345,678,901,234,567,890,123,456.7891",  # exact: no trip through a double
            " 9,007,199,254,740,993",
            " -42",  # S goes just before the first digit
            " 07",
            "  1,234.50",
            " 12.5",
            "170141183460469231731687303715884105727",
        ),
        (None,) * 7,
    ]
    # a parameter, as an ORM sends it
    assert one(cur, "select to_char(%s, 'FM9,999.00')", (decimal.Decimal("1234.5"),)) == (
        "1,234.50",
    )


def test_template_errors(cur):
    with pytest.raises(psycopg2.Error) as e:
        cur.execute("select to_char(1, '9.9.9')")
    assert e.value.pgcode == "42601"
    assert "multiple decimal points" in e.value.pgerror
    with pytest.raises(psycopg2.Error) as e:
        cur.execute("select to_char('abc', '999')")
    assert e.value.pgcode == "42883"


def test_to_number(cur):
    cur.execute(
        "select to_number('12,454.8-', '99G999D9S'), to_number('$1,234.56', 'L9G999D99'), "
        "to_number('<123>', '999PR'), to_number('1234', '99V99'), to_number(NULL, '999')"
    )
    assert cur.fetchone() == (
        decimal.Decimal("-12454.8"),
        decimal.Decimal("1234.56"),
        decimal.Decimal("-123"),
        decimal.Decimal("12.34"),
        None,
    )
    cur.execute("select to_number(s, '9,999.99') from (values ('1,234.5'), ('-7')) t(s)")
    assert cur.fetchall() == [(decimal.Decimal("1234.50"),), (decimal.Decimal("-7.00"),)]
    for bad in ("select to_number('abc', '999')", "select to_number('', '999')"):
        with pytest.raises(psycopg2.Error) as e:
            cur.execute(bad)
        assert e.value.pgcode == "22P02"
        assert "invalid input syntax for type numeric" in e.value.pgerror
    with pytest.raises(psycopg2.Error) as e:
        cur.execute("select to_number('1', '9.9EEEE')")
    assert e.value.pgcode == "0A000"


def test_date_to_char_unchanged(cur):
    ts = datetime.datetime(2024, 3, 5, 14, 7, 9)
    assert one(
        cur,
        "select to_char(%s::timestamp, 'YYYY-MM-DD HH24:MI:SS'), to_char(%s::date, 'FMDD Mon')",
        (ts, ts.date()),
    ) == ("2024-03-05 14:07:09", "5 Mar")
    assert one(cur, "select to_char(date '2024-03-05', 'HH24:MI')") == ("00:00",)


def test_listen_notify_refused(cur):
    for sql in ("LISTEN jobs", "NOTIFY jobs", "NOTIFY jobs, 'payload'",
                "select pg_notify('jobs', 'payload')"):
        with pytest.raises(psycopg2.Error) as e:
            cur.execute(sql)
        assert e.value.pgcode == "0A000", sql
        assert "LISTEN/NOTIFY is not supported by duckd" in e.value.pgerror
    cur.execute("UNLISTEN *")  # what pool resets send: still accepted
    assert cur.statusmessage == "UNLISTEN"
    assert one(cur, "select 1") == (1,)
