/* Engine tests: every DuckDB type through a real in-memory database, encoded as PostgreSQL
 * text (and binary where it differs), the OIDs the client is told, parameter binding, and
 * the DuckDB error -> SQLSTATE mapping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/bulk.h"
#include "engine/engine.h"
#include "types/pgtypes.h"
#include "util/buf.h"

#include "engine_fx.h"

/* Collects the first row's values as a "|"-joined string (NULL as \N). */
typedef struct {
    ubuf_t out;
    int rows;
} collect_t;

static int collect_row(void *ctx, const eng_value_t *vals, size_t n)
{
    collect_t *c = ctx;
    if (c->rows++ > 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (i)
            ubuf_putc(&c->out, '|');
        if (vals[i].len < 0)
            ubuf_puts(&c->out, "\\N");
        else
            ubuf_append(&c->out, vals[i].data, (size_t)vals[i].len);
    }
    return 0;
}

/* Runs sql with the given parameters and one format for all columns; returns the first row
 * (caller frees) and the first column's OID. */
static char *run_params(fx_t *fx, const char *sql, const eng_param_t *p, size_t np, int16_t format,
                        uint32_t *oid)
{
    eng_stmt_t *st = NULL;
    eng_cursor_t *cur = NULL;
    uerr_t err = UERR_INIT;
    collect_t c = {UBUF_INIT, 0};
    int64_t n;
    bool done;
    if (eng_prepare(fx->conn, sql, &st, &err) != 0)
        fail_msg("prepare %s: %s", sql, err.message);
    assert_int_equal(eng_bind(st, p, np, &err), 0);
    if (eng_execute(st, &cur, &err) != 0)
        fail_msg("execute %s: %s", sql, err.message);
    eng_cursor_set_formats(cur, &format, 1);
    if (oid)
        *oid = eng_cursor_ncols(cur) ? eng_cursor_col(cur, 0)->oid : 0;
    assert_int_equal(eng_cursor_fetch(cur, 0, collect_row, &c, &n, &done, &err), 0);
    assert_true(done);
    eng_cursor_free(cur);
    eng_stmt_free(st);
    uerr_clear(&err);
    ubuf_cstr(&c.out);
    return c.out.data;
}

static char *run(fx_t *fx, const char *sql, int16_t format, uint32_t *oid)
{
    return run_params(fx, sql, NULL, 0, format, oid);
}

static void expect_text(fx_t *fx, const char *sql, uint32_t oid, const char *want)
{
    uint32_t got_oid = 0;
    char *got = run(fx, sql, 0, &got_oid);
    if (strcmp(got, want) != 0 || got_oid != oid)
        fail_msg("%s\n  want %s (oid %u)\n  got  %s (oid %u)", sql, want, oid, got, got_oid);
    free(got);
}

static void test_text_scalars(void **state)
{
    fx_t *fx = *state;
    expect_text(fx, "select true", PGT_BOOL, "t");
    expect_text(fx, "select false", PGT_BOOL, "f");
    expect_text(fx, "select (-5)::tinyint", PGT_INT2, "-5");
    expect_text(fx, "select 255::utinyint", PGT_INT2, "255");
    expect_text(fx, "select 32767::smallint", PGT_INT2, "32767");
    expect_text(fx, "select 65535::usmallint", PGT_INT4, "65535");
    expect_text(fx, "select (-2147483648)::integer", PGT_INT4, "-2147483648");
    expect_text(fx, "select 4294967295::uinteger", PGT_OID, "4294967295");
    expect_text(fx, "select (-9223372036854775808)::bigint", PGT_INT8, "-9223372036854775808");
    expect_text(fx, "select 18446744073709551615::ubigint", PGT_NUMERIC, "18446744073709551615");
    expect_text(fx, "select (-170141183460469231731687303715884105727)::hugeint", PGT_NUMERIC,
                "-170141183460469231731687303715884105727");
    expect_text(fx, "select 340282366920938463463374607431768211455::uhugeint", PGT_NUMERIC,
                "340282366920938463463374607431768211455");
    expect_text(fx, "select 1.5::decimal(4,1)", PGT_NUMERIC, "1.5");
    expect_text(fx, "select (-0.05)::decimal(9,3)", PGT_NUMERIC, "-0.050");
    expect_text(fx, "select 123456789012.345::decimal(18,3)", PGT_NUMERIC, "123456789012.345");
    expect_text(fx, "select 12345678901234567890.1234567890::decimal(38,10)", PGT_NUMERIC,
                "12345678901234567890.1234567890");
    expect_text(fx, "select 0.1::real", PGT_FLOAT4, "0.1");
    expect_text(fx, "select 0.1::double", PGT_FLOAT8, "0.1");
    expect_text(fx, "select 1e20::double", PGT_FLOAT8, "1e+20");
    expect_text(fx, "select 'nan'::double", PGT_FLOAT8, "NaN");
    expect_text(fx, "select '-inf'::double", PGT_FLOAT8, "-Infinity");
    expect_text(fx, "select 'héllo'", PGT_TEXT, "héllo");
    expect_text(fx, "select '\\xDE\\xAD'::blob", PGT_BYTEA, "\\xdead");
    expect_text(fx, "select null::integer", PGT_INT4, "\\N");
}

static void test_text_datetime(void **state)
{
    fx_t *fx = *state;
    expect_text(fx, "select date '2024-02-29'", PGT_DATE, "2024-02-29");
    expect_text(fx, "select date '0044-03-15 (BC)'", PGT_DATE, "0044-03-15 BC");
    expect_text(fx, "select 'infinity'::date", PGT_DATE, "infinity");
    expect_text(fx, "select time '04:05:06.5'", PGT_TIME, "04:05:06.5");
    expect_text(fx, "select timestamp '2024-01-02 03:04:05.123'", PGT_TIMESTAMP,
                "2024-01-02 03:04:05.123");
    /* nanoseconds have no PostgreSQL type: text with every digit (never truncated) */
    expect_text(fx, "select timestamp_ns '2024-01-02 03:04:05.123456789'", PGT_TEXT,
                "2024-01-02 03:04:05.123456789");
    expect_text(fx, "select timestamp_ns '2024-01-02 03:04:05.1'", PGT_TEXT,
                "2024-01-02 03:04:05.1");
    expect_text(fx, "select '01:02:03.000000007'::time_ns", PGT_TEXT, "01:02:03.000000007");
    expect_text(fx, "select 12345678901234567890123456789::bignum", PGT_NUMERIC,
                "12345678901234567890123456789");
    expect_text(fx, "select -256::bignum", PGT_NUMERIC, "-256");
    expect_text(fx, "select 0::bignum", PGT_NUMERIC, "0");
    expect_text(fx, "select union_value(k := 7)", PGT_TEXT, "7");
    expect_text(fx, "select timestamp_s '2024-01-02 03:04:05'", PGT_TIMESTAMP,
                "2024-01-02 03:04:05");
    expect_text(fx, "select 'infinity'::timestamp", PGT_TIMESTAMP, "infinity");
    expect_text(fx, "select interval '1 year 2 months 3 days 04:05:06.789'", PGT_INTERVAL,
                "1 year 2 mons 3 days 04:05:06.789");
    expect_text(fx, "select interval '0 seconds'", PGT_INTERVAL, "00:00:00");
    expect_text(fx, "select uuid '6ba7b810-9dad-11d1-80b4-00c04fd430c8'", PGT_UUID,
                "6ba7b810-9dad-11d1-80b4-00c04fd430c8");
    expect_text(fx, "select uuid '00000000-0000-0000-0000-000000000001'", PGT_UUID,
                "00000000-0000-0000-0000-000000000001");
}

static void test_text_nested(void **state)
{
    fx_t *fx = *state;
    expect_text(fx, "select [1, 2, null]", PGT_INT4_ARRAY, "{1,2,NULL}");
    expect_text(fx, "select ['a', 'b c', '', 'NULL', 'q\"x']", PGT_TEXT_ARRAY,
                "{a,\"b c\",\"\",\"NULL\",\"q\\\"x\"}");
    expect_text(fx, "select []::integer[]", PGT_INT4_ARRAY, "{}");
    expect_text(fx, "select [[1, 2], [3]]", PGT_TEXT, "{{1,2},{3}}");
    expect_text(fx, "select array_value(1.5::double, 2)", PGT_FLOAT8_ARRAY, "{1.5,2}");
    expect_text(fx, "select {'a': 1, 'b': 'x', 'c': null}", PGT_JSON,
                "{\"a\":1,\"b\":\"x\",\"c\":null}");
    expect_text(fx, "select map {'k': [1, 2]}", PGT_JSON, "{\"k\":[1,2]}");
    expect_text(fx, "select {'d': date '2024-01-02', 'f': 0.5::double, 't': true}", PGT_JSON,
                "{\"d\":\"2024-01-02\",\"f\":0.5,\"t\":true}");
    expect_text(fx, "select 'x'::enum ('x', 'y')", PGT_TEXT, "x");
}

static void expect_fmt(fx_t *fx, const char *sql, int16_t format, const char *want)
{
    char *got = run(fx, sql, format, NULL);
    if (strcmp(got, want) != 0)
        fail_msg("%s (format %d)\n  want %s\n  got  %s", sql, format, want, got);
    free(got);
}

/* The JSON and CSV encodings of the HTTP API, and DuckDB's type names of result columns. */
static void test_json_csv(void **state)
{
    fx_t *fx = *state;
    const char *sql = "select 1, -2.50::decimal(5,2), 'a,\"b\"', '', null, true, [1, null], "
                      "{'k': 'v'}, 'nan'::double, 1.5::double, date '2024-01-02', ' x'";
    expect_fmt(fx, sql, ENG_FMT_JSON,
               "1|-2.50|\"a,\\\"b\\\"\"|\"\"|\\N|true|[1,null]|{\"k\":\"v\"}|\"NaN\"|1.5|"
               "\"2024-01-02\"|\" x\"");
    expect_fmt(
        fx, sql, ENG_FMT_CSV,
        "1|-2.50|\"a,\"\"b\"\"\"|\"\"|\\N|true|\"[1,null]\"|\"{\"\"k\"\":\"\"v\"\"}\"|NaN|1.5|"
        "2024-01-02|\" x\"");
    eng_stmt_t *st = NULL;
    eng_cursor_t *cur = NULL;
    uerr_t err = UERR_INIT;
    assert_int_equal(eng_prepare(fx->conn,
                                 "select 1::integer a, 2.5::decimal(18,3) b, ['x'] c, "
                                 "{'k': 1} d, map {'a': 1} e, true f, '{}'::json g",
                                 &st, &err),
                     0);
    assert_int_equal(eng_execute(st, &cur, &err), 0);
    const char *names[] = {
        "INTEGER", "DECIMAL(18,3)", "VARCHAR[]", "STRUCT(\"k\" INTEGER)", "MAP(VARCHAR, INTEGER)",
        "BOOLEAN", "JSON"};
    const char *json[] = {"number", "number", "array", "object", "object", "boolean", "json"};
    assert_int_equal(eng_cursor_ncols(cur), 7);
    for (size_t i = 0; i < 7; i++) {
        assert_string_equal(eng_cursor_col(cur, i)->type_name, names[i]);
        assert_string_equal(eng_cursor_col(cur, i)->json_type, json[i]);
        assert_string_equal(eng_stmt_col(st, i)->type_name, names[i]);
    }
    eng_cursor_free(cur);
    eng_stmt_free(st);
}

static void test_binary(void **state)
{
    fx_t *fx = *state;
    char *got = run(fx, "select 258::integer", 1, NULL);
    assert_memory_equal(got, "\x00\x00\x01\x02", 4);
    free(got);
    got = run(fx, "select date '2000-01-02'", 1, NULL);
    assert_memory_equal(got, "\x00\x00\x00\x01", 4);
    free(got);
    got = run(fx, "select 'abc'", 1, NULL);
    assert_string_equal(got, "abc");
    free(got);
}

static void test_params(void **state)
{
    fx_t *fx = *state;
    eng_stmt_t *st = NULL;
    uerr_t err = UERR_INIT;
    const char *sql = "select $1::integer + 1, $2, $3::date";
    assert_int_equal(eng_prepare(fx->conn, sql, &st, &err), 0);
    assert_int_equal(eng_stmt_nparams(st), 3);
    assert_int_equal(eng_stmt_param_oid(st, 0), PGT_INT4);
    eng_stmt_free(st);
    const uint8_t bin41[4] = {0, 0, 0, 41};
    const uint8_t days[4] = {0, 0, 0, 1}; /* 2000-01-02 */
    eng_param_t p[3] = {
        {bin41, 4, 1, PGT_INT4}, {(const uint8_t *)"x y", 3, 0, 0}, {days, 4, 1, PGT_DATE}};
    char *got = run_params(fx, sql, p, 3, 0, NULL);
    assert_string_equal(got, "42|x y|2000-01-02");
    free(got);
}

/* A statement DuckDB binds again at execution (array_length/len of a parameter) is described
 * by its probe: the real columns and types before any Bind, and the executed result carries
 * the same names (a duplicate gets DuckDB's _1 suffix in both). */
static void test_describe_rebound_statement(void **state)
{
    fx_t *fx = *state;
    eng_stmt_t *st = NULL;
    eng_cursor_t *cur = NULL;
    uerr_t err = UERR_INIT;
    collect_t c = {UBUF_INIT, 0};
    int64_t n;
    bool done;
    const char *sql = "select $1::text[] as t, array_length($2::text[], 1) as n, "
                      "len($1::text[]) as n";
    assert_int_equal(eng_prepare(fx->conn, sql, &st, &err), 0);
    assert_int_equal(eng_stmt_nparams(st), 2);
    assert_int_equal(eng_stmt_ncols(st), 3);
    assert_string_equal(eng_stmt_col(st, 0)->name, "t");
    assert_int_equal(eng_stmt_col(st, 0)->oid, PGT_TEXT_ARRAY);
    assert_string_equal(eng_stmt_col(st, 1)->name, "n");
    assert_int_equal(eng_stmt_col(st, 1)->oid, PGT_INT8);
    assert_string_equal(eng_stmt_col(st, 2)->name, "n_1");
    assert_int_equal(eng_stmt_col(st, 2)->oid, PGT_INT8);
    eng_param_t p[2] = {{(const uint8_t *)"{a,b}", 5, 0, 0}, {(const uint8_t *)"{x}", 3, 0, 0}};
    assert_int_equal(eng_bind(st, p, 2, &err), 0);
    assert_int_equal(eng_execute(st, &cur, &err), 0);
    assert_int_equal(eng_cursor_ncols(cur), 3);
    assert_string_equal(eng_cursor_col(cur, 2)->name, "n_1");
    assert_int_equal(eng_cursor_col(cur, 1)->oid, PGT_INT8);
    int16_t format = 0;
    eng_cursor_set_formats(cur, &format, 1);
    assert_int_equal(eng_cursor_fetch(cur, 0, collect_row, &c, &n, &done, &err), 0);
    assert_string_equal(ubuf_cstr(&c.out), "{a,b}|1|2");
    eng_cursor_free(cur);
    eng_stmt_free(st);
    ubuf_free(&c.out);
    /* a statement DuckDB describes itself is left alone */
    assert_int_equal(eng_prepare(fx->conn, "select $1::text[] as t, 1 as n", &st, &err), 0);
    assert_int_equal(eng_stmt_ncols(st), 2);
    assert_string_equal(eng_stmt_col(st, 1)->name, "n");
    eng_stmt_free(st);
}

/* Executes sql with all parameters in text format; returns 0 or -1 with err set. */
static int exec_text(fx_t *fx, const char *sql, const char *const *vals, size_t n, uerr_t *err)
{
    eng_stmt_t *st = NULL;
    eng_cursor_t *cur = NULL;
    eng_param_t p[16];
    int64_t rows;
    bool done;
    int rc = -1;
    assert_true(n <= 16);
    for (size_t i = 0; i < n; i++)
        p[i] =
            (eng_param_t){(const uint8_t *)vals[i], vals[i] ? (int32_t)strlen(vals[i]) : -1, 0, 0};
    if (eng_prepare(fx->conn, sql, &st, err) == 0 && eng_bind(st, p, n, err) == 0 &&
        eng_execute(st, &cur, err) == 0)
        rc = eng_cursor_fetch(cur, 0, NULL, NULL, &rows, &done, err);
    eng_cursor_free(cur);
    eng_stmt_free(st);
    return rc;
}

/* Text parameters are bound as exactly the type DuckDB inferred (so that it does not re-plan
 * per execution); the values and errors must be the same as DuckDB's own cast would give. */
static void test_params_exact_types(void **state)
{
    fx_t *fx = *state;
    uerr_t err = UERR_INIT;
    const char *ins = "insert into tx values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
    assert_int_equal(exec_text(fx,
                               "create table tx (a tinyint, b smallint, c integer, d bigint, "
                               "e utinyint, f ubigint, g decimal(6,2), h double, i float, "
                               "j boolean, k hugeint, l decimal(30,2))",
                               NULL, 0, &err),
                     0);
    const char *row1[12] = {"-128",
                            "32767",
                            " 7 ",
                            "-9223372036854775808",
                            "+255",
                            "18446744073709551615",
                            "-1234.5",
                            "1e3",
                            "0.1",
                            "TRUE",
                            "170141183460469231731687303715884105727",
                            "12.3"};
    assert_int_equal(exec_text(fx, ins, row1, 12, &err), 0);
    /* spellings the fast path leaves to DuckDB's cast: rounding, exponents, NULL */
    const char *row2[12] = {"0",     "0",      "0",   "0", "0",  "0",
                            "1.239", "-.5e-1", "2.5", "f", "-1", NULL};
    assert_int_equal(exec_text(fx, ins, row2, 12, &err), 0);
    char *got = run(fx, "select * from tx order by a", 0, NULL);
    assert_string_equal(got, "-128|32767|7|-9223372036854775808|255|18446744073709551615|"
                             "-1234.50|1000|0.1|t|170141183460469231731687303715884105727|12.30");
    free(got);
    got = run(fx, "select g, h, l from tx where a = 0", 0, NULL);
    assert_string_equal(got, "1.24|-0.05|\\N");
    free(got);
    /* out of range and malformed values still fail with PostgreSQL's SQLSTATEs */
    const char *bad[][2] = {{"300", "22003"}, {"abc", "22P02"}, {"1.5", "22P02"}};
    for (size_t i = 0; i < 3; i++) {
        const char *v[12] = {bad[i][0], "0", "0", "0", "0", "0", "0", "0", "0", "t", "0", "0"};
        assert_int_equal(exec_text(fx, ins, v, 12, &err), -1);
        if (strcmp(err.sqlstate, bad[i][1]) != 0)
            fail_msg("%s: want %s, got %s (%s)", bad[i][0], bad[i][1], err.sqlstate, err.message);
        uerr_clear(&err);
    }
    const char *v[12] = {"0", "0", "0", "0", "0", "0", "10000.00", "0", "0", "t", "0", "0"};
    assert_int_equal(exec_text(fx, ins, v, 12, &err), -1);
    assert_string_equal(err.sqlstate, "22003");
    uerr_clear(&err);
}

/* DuckDB's INTERNAL errors carry a native stack trace (library paths, addresses) and a
 * paragraph about reporting bugs: the client gets the message alone. The statement is one
 * DuckDB answers with an internal error (a column where its OWNED BY wants a table; the
 * dialect layer rewrites PostgreSQL's form before DuckDB sees it). */
static void test_internal_error_without_stack_trace(void **state)
{
    fx_t *fx = *state;
    uerr_t err = UERR_INIT;
    assert_int_equal(eng_conn_exec(fx->conn, "CREATE TABLE own_t (id INTEGER)", &err), 0);
    assert_int_equal(eng_conn_exec(fx->conn, "CREATE SEQUENCE own_s", &err), 0);
    if (eng_conn_exec(fx->conn, "ALTER SEQUENCE own_s OWNED BY main.own_t.id", &err) == 0) {
        skip(); /* this DuckDB accepts it: nothing to check */
    }
    assert_string_equal(err.sqlstate, "XX000");
    assert_non_null(err.message);
    assert_null(strstr(err.message, "Stack Trace"));
    assert_null(strstr(err.message, "libduckdb"));
    assert_null(strchr(err.message, '\n'));
    assert_non_null(strstr(err.message, "owned_by"));
    uerr_clear(&err);
}

static void test_sqlstates(void **state)
{
    fx_t *fx = *state;
    struct {
        const char *sql, *state;
    } cases[] = {
        {"selec 1", "42601"},
        {"select * from missing_table", "42P01"},
        {"select missing_col from (select 1 as a)", "42703"},
        {"select no_such_fn(1)", "42883"},
        {"select 'abc'::integer", "22P02"},
        {"select 300::tinyint", "22003"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        eng_stmt_t *st = NULL;
        eng_cursor_t *cur = NULL;
        uerr_t err = UERR_INIT;
        int64_t n;
        bool done;
        int rc = eng_prepare(fx->conn, cases[i].sql, &st, &err);
        if (rc == 0 && eng_bind(st, NULL, 0, &err) == 0 && eng_execute(st, &cur, &err) == 0)
            rc = eng_cursor_fetch(cur, 0, NULL, NULL, &n, &done, &err);
        else
            rc = -1;
        if (rc == 0 || strcmp(err.sqlstate, cases[i].state) != 0)
            fail_msg("%s: want %s, got %s (%s)", cases[i].sql, cases[i].state, err.sqlstate,
                     err.message ? err.message : "no error");
        eng_cursor_free(cur);
        eng_stmt_free(st);
        uerr_clear(&err);
    }
    assert_string_equal(
        eng_sqlstate_for(0, "TransactionContext Error: Conflict on tuple deletion!"), "40001");
    assert_string_equal(eng_sqlstate_for(0, "Constraint Error: NOT NULL constraint failed: t.v"),
                        "23502");
    assert_string_equal(eng_sqlstate_for(0, "Constraint Error: Duplicate key \"id: 1\""), "23505");
    assert_string_equal(eng_sqlstate_for(0, "Out of Memory Error: failed to allocate"), "53200");
    assert_string_equal(eng_sqlstate_for(0, "Invalid Input Error: Could not convert string "
                                            "'x' to DOUBLE"),
                        "22P02");
    assert_string_equal(
        eng_sqlstate_for(0, "Invalid Input Error: Cannot append to a readonly database."), "25006");
    assert_string_equal(eng_sqlstate_for(0, "Catalog Error: Table \"a.main.t\" could not be found"),
                        "42P01");
    assert_string_equal(eng_sqlstate_for(0, "INTERRUPT Error: Interrupted!"), "57014");
}

/* eng_cursor_spill moves what is left of a half-read streaming result (mid-chunk: 3000 rows
 * read of 5000, chunks hold 2048) into a temporary table of another connection, in order and
 * with the same types, so that rowid i is the i-th remaining row. */
static void test_cursor_spill(void **state)
{
    fx_t *fx = *state;
    eng_conn_t *dst = NULL;
    eng_stmt_t *st = NULL;
    eng_cursor_t *cur = NULL;
    uerr_t err = UERR_INIT;
    int64_t n, spilled;
    bool done;
    assert_int_equal(eng_conn_open(fx->db, &dst, &err), 0);
    assert_int_equal(eng_prepare(fx->conn,
                                 "select x, x::varchar as s, [x, null] as l, {'a': x} as st, "
                                 "(x * 1.5)::decimal(18,3) as d from range(5000) t(x)",
                                 &st, &err),
                     0);
    assert_int_equal(eng_execute(st, &cur, &err), 0);
    assert_int_equal(eng_cursor_fetch(cur, 3000, NULL, NULL, &n, &done, &err), 0);
    assert_int_equal(n, 3000);
    if (eng_cursor_spill(cur, dst, "spilled", &spilled, &err) != 0)
        fail_msg("spill: %s", err.message);
    assert_int_equal(spilled, 2000);
    eng_cursor_free(cur);
    eng_stmt_free(st);
    /* the source connection is free again */
    char *got = run(fx, "select 42", 0, NULL);
    assert_string_equal(got, "42");
    free(got);
    fx_t other = {fx->db, dst};
    got = run(&other,
              "select count(*), min(c0), max(c0), min(rowid), "
              "bool_and(c0 = rowid + 3000 and c1 = c0::varchar and c2 = [c0, null] and "
              "c3.a = c0 and c4 = (c0 * 1.5)::decimal(18,3)), "
              "string_agg(distinct typeof(c4), ',') from temp.main.spilled",
              0, NULL);
    assert_string_equal(got, "2000|3000|4999|0|t|DECIMAL(18,3)");
    free(got);
    eng_conn_close(dst);
    uerr_clear(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_text_scalars, setup, teardown),
        cmocka_unit_test_setup_teardown(test_text_datetime, setup, teardown),
        cmocka_unit_test_setup_teardown(test_text_nested, setup, teardown),
        cmocka_unit_test_setup_teardown(test_binary, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_csv, setup, teardown),
        cmocka_unit_test_setup_teardown(test_params, setup, teardown),
        cmocka_unit_test_setup_teardown(test_params_exact_types, setup, teardown),
        cmocka_unit_test_setup_teardown(test_describe_rebound_statement, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sqlstates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_internal_error_without_stack_trace, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cursor_spill, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
