/* Engine tests for statements DuckDB expands into several (engine/multi.c): PIVOT's CREATE
 * prefix runs at prepare and the query is described; ALTER TABLE ... ADD COLUMN with a
 * nextval default is a script that runs at each execution, in or out of a transaction;
 * other shapes and plain errors keep clear messages. A real in-memory database. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/engine.h"
#include "util/buf.h"

#include "engine_fx.h"

/* Appends every row as "a|b;" to the buffer. */
static int collect_row(void *ctx, const eng_value_t *vals, size_t n)
{
    ubuf_t *out = ctx;
    for (size_t i = 0; i < n; i++) {
        if (i)
            ubuf_putc(out, '|');
        if (vals[i].len < 0)
            ubuf_puts(out, "\\N");
        else
            ubuf_append(out, vals[i].data, (size_t)vals[i].len);
    }
    ubuf_putc(out, ';');
    return 0;
}

/* Executes a prepared statement; returns its rows (caller frees). */
static char *exec_stmt(eng_stmt_t *st)
{
    eng_cursor_t *cur = NULL;
    uerr_t err = UERR_INIT;
    ubuf_t out = UBUF_INIT;
    int64_t n;
    bool done;
    int16_t format = 0;
    assert_int_equal(eng_bind(st, NULL, 0, &err), 0);
    if (eng_execute(st, &cur, &err) != 0)
        fail_msg("execute: %s", err.message);
    eng_cursor_set_formats(cur, &format, 1);
    if (eng_cursor_fetch(cur, 0, collect_row, &out, &n, &done, &err) != 0)
        fail_msg("fetch: %s", err.message);
    eng_cursor_free(cur);
    ubuf_cstr(&out);
    return out.data;
}

static char *run(fx_t *fx, const char *sql)
{
    eng_stmt_t *st = NULL;
    uerr_t err = UERR_INIT;
    if (eng_prepare(fx->conn, sql, &st, &err) != 0)
        fail_msg("prepare %s: %s", sql, err.message);
    char *rows = exec_stmt(st);
    eng_stmt_free(st);
    return rows;
}

static void run_ok(fx_t *fx, const char *sql) { free(run(fx, sql)); }

static void test_pivot_prefix(void **state)
{
    fx_t *fx = *state;
    eng_stmt_t *st = NULL;
    uerr_t err = UERR_INIT;
    run_ok(fx, "CREATE TABLE s (r VARCHAR, q VARCHAR, a INTEGER)");
    run_ok(fx, "INSERT INTO s VALUES ('n', 'q1', 1), ('n', 'q2', 2), ('s', 'q1', 3)");
    const char *pivot = "PIVOT s ON q USING sum(a) GROUP BY r ORDER BY r";
    assert_int_equal(eng_prepare(fx->conn, pivot, &st, &err), 0);
    assert_false(eng_stmt_is_script(st));
    assert_int_equal(eng_stmt_kind(st), ENG_KIND_SELECT);
    assert_int_equal(eng_stmt_ncols(st), 3);
    assert_string_equal(eng_stmt_col(st, 1)->name, "q1");
    for (int i = 0; i < 2; i++) { /* a prepared PIVOT runs again */
        char *rows = exec_stmt(st);
        assert_string_equal(rows, "n|1|2;s|3|\\N;");
        free(rows);
    }
    eng_stmt_free(st);
}

static void test_add_column_script(void **state)
{
    fx_t *fx = *state;
    eng_stmt_t *st = NULL;
    uerr_t err = UERR_INIT;
    run_ok(fx, "CREATE SEQUENCE q");
    run_ok(fx, "CREATE TABLE t (v VARCHAR)");
    run_ok(fx, "INSERT INTO t VALUES ('a'), ('b')");
    /* prepared outside a transaction, executed inside one, as the session does */
    assert_int_equal(
        eng_prepare(fx->conn, "ALTER TABLE t ADD COLUMN n INTEGER DEFAULT nextval('q')", &st, &err),
        0);
    assert_true(eng_stmt_is_script(st));
    assert_int_equal(eng_stmt_kind(st), ENG_KIND_ALTER);
    assert_int_equal(eng_stmt_ncols(st), 0);
    assert_int_equal(eng_stmt_nparams(st), 0);
    run_ok(fx, "BEGIN");
    free(exec_stmt(st));
    run_ok(fx, "COMMIT");
    eng_stmt_free(st);
    char *rows = run(fx, "SELECT v, n FROM t ORDER BY n");
    assert_string_equal(rows, "a|1;b|2;");
    free(rows);
    /* and outside one: DuckDB's own BEGIN/COMMIT are left out */
    run_ok(fx, "ALTER TABLE t ADD COLUMN m INTEGER DEFAULT nextval('q')");
    rows = run(fx, "SELECT count(DISTINCT m) FROM t");
    assert_string_equal(rows, "2;");
    free(rows);
}

static void test_errors_stay_clear(void **state)
{
    fx_t *fx = *state;
    eng_stmt_t *st = NULL;
    uerr_t err = UERR_INIT;
    run_ok(fx, "CREATE TABLE t (v VARCHAR)");
    /* a script fails when it runs: its later statements cannot be prepared before */
    eng_cursor_t *cur = NULL;
    assert_int_equal(eng_prepare(fx->conn,
                                 "ALTER TABLE t ADD COLUMN n INTEGER DEFAULT nextval('nope')", &st,
                                 &err),
                     0);
    assert_int_equal(eng_bind(st, NULL, 0, &err), 0);
    assert_int_equal(eng_execute(st, &cur, &err), -1);
    assert_null(cur);
    assert_non_null(strstr(err.message, "nope"));
    uerr_clear(&err);
    eng_stmt_free(st);
    st = NULL;
    assert_int_equal(eng_prepare(fx->conn, "PIVOT nosuch ON q USING sum(a)", &st, &err), -1);
    assert_non_null(strstr(err.message, "nosuch"));
    uerr_clear(&err);
    assert_int_equal(eng_prepare(fx->conn, "SELEC 1", &st, &err), -1);
    assert_string_equal(err.sqlstate, "42601");
    uerr_clear(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_pivot_prefix, setup, teardown),
        cmocka_unit_test_setup_teardown(test_add_column_script, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors_stay_clear, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
