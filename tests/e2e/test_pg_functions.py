"""PostgreSQL functions and operators that ORMs and hand-written PostgreSQL SQL use, through
psycopg2, compared with PostgreSQL 15's documented results: jsonb's operators (@>, <@, ?, ?|,
?&, -, ||) and functions (jsonb_set, jsonb_strip_nulls, jsonb_each_text), the string
functions DuckDB lacks (initcap, quote_literal, regexp_match, ...), justify_*,
clock_timestamp, DISCARD's tags. DuckDB's own operators must keep their meaning."""

import datetime
import json
from contextlib import closing

import psycopg2
import psycopg2.extensions
import psycopg2.extras
import pytest


@pytest.fixture
def cur(server):
    with closing(psycopg2.connect(server.dsn)) as c:
        c.autocommit = True
        yield c.cursor()


def one(cur, sql, params=None):
    cur.execute(sql, params)
    return cur.fetchone()


def test_jsonb_containment_and_keys(cur):
    cur.execute("create table docs (id int, data jsonb)")
    cur.execute(
        "insert into docs values (1, '{\"a\": 1, \"tags\": [\"x\", \"y\"], \"n\": {\"m\": 2}}'),"
        " (2, '{\"b\": 2}'), (3, '[\"a\", \"k\"]'), (4, NULL)"
    )

    def ids(where, params=None):
        cur.execute("select id from docs where " + where + " order by id", params)
        return [r[0] for r in cur.fetchall()]

    # Django's JSONField lookups: contains, contained_by, has_key, has_keys, has_any_keys
    assert ids("data @> %s", (psycopg2.extras.Json({"a": 1}),)) == [1]
    assert ids("data @> %s", (psycopg2.extras.Json({"tags": ["y"]}),)) == [1]
    assert ids("data @> %s", (psycopg2.extras.Json({"n": {"m": 2}}),)) == [1]
    assert ids("data <@ %s", (psycopg2.extras.Json({"b": 2, "c": 3}),)) == [2]
    assert ids("data ? %s", ("a",)) == [1, 3]  # an array's string element counts
    assert ids("data ?& %s", (["a", "tags"],)) == [1]
    assert ids("data ?| %s", (["b", "k"],)) == [2, 3]
    # SQLAlchemy's JSONB comparator casts its operand
    assert ids("data @> CAST(%s AS JSONB)", ('{"b": 2}',)) == [2]
    assert ids("data ?| array['zz']") == []
    assert one(cur, "select '[1,2,3]'::jsonb @> '[1,3]'::jsonb, '[1,2,3]'::jsonb @> '1'") == (
        True,
        True,
    )
    assert one(cur, "select '{\"a\":[1,2]}'::jsonb @> '{\"a\":1}', '{\"a\":1}'::jsonb <@ '{}'") == (
        False,
        False,
    )
    # DuckDB's list operators keep their meaning
    assert one(cur, "select [1,2] @> [1], [1] <@ [1,2], [1,2] @> [3]") == (True, True, False)


def test_jsonb_delete_concat_set(cur):
    assert one(cur, "select '{\"a\":1,\"b\":2}'::jsonb - 'a'") == ({"b": 2},)
    assert one(cur, "select '[\"a\",\"b\",\"a\"]'::jsonb - 'a'") == (["b"],)
    assert one(cur, "select '[1,2,3]'::jsonb - 1, '[1,2,3]'::jsonb - (-1)") == ([1, 3], [1, 2])
    assert one(cur, "select '{\"a\":1,\"b\":2,\"c\":3}'::jsonb - array['a','b']") == ({"c": 3},)
    assert one(cur, "select '{\"a\":1}'::jsonb || '{\"b\":2}'::jsonb") == ({"a": 1, "b": 2},)
    assert one(cur, "select '{\"a\":1}'::jsonb || '{\"a\":[2]}'::jsonb") == ({"a": [2]},)
    assert one(cur, "select '[1,2]'::jsonb || '[3]'::jsonb, '[1]'::jsonb || '2'::jsonb") == (
        [1, 2, 3],
        [1, 2],
    )
    # DuckDB's own - and || stay
    assert one(cur, "select date '2024-01-02' - 1, 'a' || 'b', [1] || [2], 5 - 2") == (
        datetime.date(2024, 1, 1),
        "ab",
        [1, 2],
        3,
    )
    assert one(cur, "select jsonb_set('{\"a\":1,\"b\":{\"c\":2}}', '{b,c}', '5')") == (
        {"a": 1, "b": {"c": 5}},
    )
    assert one(cur, "select jsonb_set('{\"a\":1}', '{d}', '\"x\"')") == ({"a": 1, "d": "x"},)
    assert one(cur, "select jsonb_set('{\"a\":1}', '{d}', '\"x\"', false)") == ({"a": 1},)
    assert one(cur, "select jsonb_set('[1,2,3]', '{-1}', '9'), jsonb_set('[1]', '{5}', '2')") == (
        [1, 2, 9],
        [1, 2],
    )
    assert one(cur, "select jsonb_strip_nulls('{\"a\":1,\"b\":null,\"c\":[null]}')") == (
        {"a": 1, "c": [None]},
    )
    cur.execute("create table kv (id int, data jsonb)")
    cur.execute("insert into kv values (1, '{\"a\": 1, \"b\": 2}')")
    cur.execute("update kv set data = data - 'a' where id = 1")
    cur.execute("update kv set data = data || '{\"z\": true}'::jsonb")
    cur.execute("update kv set data = jsonb_set(data, '{b}', %s)", (json.dumps([1]),))
    assert one(cur, "select data from kv") == ({"b": [1], "z": True},)
    with pytest.raises(psycopg2.Error) as e:
        cur.execute("select '1'::jsonb - 'a'")
    assert "cannot delete from scalar" in str(e.value)


def test_jsonb_set_returning(cur):
    cur.execute("select * from jsonb_each('{\"a\":1,\"b\":\"x\"}'::jsonb)")
    assert cur.fetchall() == [("a", 1), ("b", "x")]
    cur.execute("select key, value from jsonb_each_text('{\"a\":1,\"b\":\"x\",\"c\":null}')")
    assert cur.fetchall() == [("a", "1"), ("b", "x"), ("c", None)]


def test_string_functions(cur):
    assert one(cur, "select initcap('hello wORLD foo-bar')") == ("Hello World Foo-Bar",)
    assert one(cur, "select quote_literal('it''s'), quote_literal(42), quote_literal('a\\b')") == (
        "'it''s'",
        "'42'",
        "E'a\\\\b'",
    )
    assert one(cur, "select quote_nullable(NULL), quote_nullable('x')") == ("NULL", "'x'")
    assert one(cur, "select quote_ident('My Col'), quote_ident('abc')") == ('"My Col"', "abc")
    assert one(cur, "select string_to_array('a,b,,c', ',', '')") == (["a", "b", None, "c"],)
    assert one(cur, "select array_to_string(ARRAY[1,NULL,3], ',', '*')") == ("1,*,3",)
    assert one(cur, "select regexp_match('foobarbequebaz', '(bar)(beque)')") == (["bar", "beque"],)
    assert one(cur, "select regexp_match('abc', 'x'), regexp_match('abc', 'B', 'i')") == (
        None,
        ["b"],
    )
    cur.execute("select regexp_matches('foobarbequebaz', 'ba.', 'g')")
    assert cur.fetchall() == [(["bar"],), (["baz"],)]
    cur.execute("select regexp_matches('foobarbequebaz', '(b)(a.)', 'g')")
    assert cur.fetchall() == [(["b", "ar"],), (["b", "az"],)]
    assert one(cur, "select split_part('a,b,c', ',', -1), left('abcde', -2), right('abcde', -2)") == (
        "c",
        "abc",
        "cde",
    )
    assert one(cur, "select format('%s, %I, %L', 'x', 'My Col', NULL)") == ('x, "My Col", NULL',)


def test_date_time_functions(cur):
    as_text = psycopg2.extensions.new_type((1186,), "INTERVAL_TEXT", lambda v, c: v)
    psycopg2.extensions.register_type(as_text, cur)
    cur.execute(
        "select justify_days(interval '35 days'), justify_hours(interval '27 hours'),"
        " justify_interval(interval '1 mon -1 hour')"
    )
    assert cur.fetchone() == ("1 mon 5 days", "1 day 03:00:00", "29 days 23:00:00")
    assert one(cur, "select age(timestamp '2001-04-10', timestamp '1957-06-13')") == (
        "43 years 9 mons 27 days",
    )
    assert one(cur, "select make_date(2024, 2, 29), date_part('hour', interval '4 hours 3 min')") == (
        datetime.date(2024, 2, 29),
        4,
    )
    cur.execute("begin")
    a = one(cur, "select clock_timestamp(), now(), transaction_timestamp() = now()")
    b = one(cur, "select clock_timestamp()")
    cur.execute("commit")
    assert a[2] is True
    assert a[0] >= a[1] and b[0] > a[0]  # clock_timestamp moves within a transaction


def test_discard_tags(cur):
    for stmt, tag in [
        ("DISCARD ALL", "DISCARD ALL"),
        ("DISCARD PLANS", "DISCARD PLANS"),
        ("DISCARD SEQUENCES", "DISCARD SEQUENCES"),
        ("DISCARD TEMP", "DISCARD TEMP"),
        ("DISCARD TEMPORARY", "DISCARD TEMP"),
    ]:
        cur.execute(stmt)
        assert cur.statusmessage == tag
    cur.execute("PREPARE p1 AS SELECT 1")
    cur.execute("DEALLOCATE PREPARE p1")
    with pytest.raises(psycopg2.Error):
        cur.execute("EXECUTE p1")
