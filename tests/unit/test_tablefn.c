/* engine/tablefn.h: a registered table function answers SQL with the callback's rows, every
 * column type and NULL, more rows than one DuckDB chunk, a fresh call per execution of a
 * prepared statement, the caller's owner, and a callback's error; plus the --init log line's
 * statement head (session/initrun.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/engine.h"
#include "engine/tablefn.h"
#include "session/initrun.h"
#include "util/buf.h"

typedef struct {
    eng_db_t *db;
    eng_conn_t *conn;
    int calls;     /* fill calls so far */
    int64_t nrows; /* rows the next fill produces */
    void *caller;  /* the caller the last fill saw */
    bool fail;     /* the next fill fails */
} fx_t;

static const eng_tf_col_t cols[] = {
    {"n", ENG_TF_BIGINT},  {"label", ENG_TF_TEXT},     {"half", ENG_TF_DOUBLE},
    {"even", ENG_TF_BOOL}, {"ts", ENG_TF_TIMESTAMPTZ}, {"ncall", ENG_TF_BIGINT},
};

static int fill(void *ctx, void *caller, eng_tf_rows_t *rows, uerr_t *err)
{
    fx_t *fx = ctx;
    char label[32];
    fx->calls++;
    fx->caller = caller;
    if (fx->fail) {
        uerr_set(err, "XX000", "the callback failed on purpose");
        return -1;
    }
    for (int64_t i = 0; i < fx->nrows; i++) {
        snprintf(label, sizeof label, "row-%lld", (long long)i);
        eng_tf_val_t v[] = {eng_tf_int(i),
                            i == 1 ? eng_tf_text(NULL) : eng_tf_text(label),
                            eng_tf_double((double)i / 2),
                            i == 2 ? eng_tf_null() : eng_tf_bool(i % 2 == 0),
                            eng_tf_int(1700000000LL * 1000000 + i),
                            eng_tf_int(fx->calls)};
        eng_tf_add_row(rows, v);
    }
    return 0;
}

static int setup(void **state)
{
    fx_t *fx = calloc(1, sizeof *fx);
    uerr_t err = UERR_INIT;
    eng_tf_def_t def = {"test_rows", cols, sizeof cols / sizeof cols[0], fill, fx, 0};
    assert_int_equal(eng_db_open(&fx->db, NULL, false, NULL, 0, &err), 0);
    assert_int_equal(eng_tf_register(fx->db, &def, &err), 0);
    assert_int_equal(eng_conn_open(fx->db, &fx->conn, &err), 0);
    fx->nrows = 3;
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fx_t *fx = *state;
    eng_conn_close(fx->conn);
    eng_db_close(fx->db);
    free(fx);
    return 0;
}

/* Rows as "a|b|c\n" lines (NULL as \N). */
static int collect(void *ctx, const eng_value_t *vals, size_t n)
{
    ubuf_t *b = ctx;
    for (size_t i = 0; i < n; i++) {
        if (i)
            ubuf_putc(b, '|');
        if (vals[i].len < 0)
            ubuf_puts(b, "\\N");
        else
            ubuf_append(b, vals[i].data, (size_t)vals[i].len);
    }
    ubuf_putc(b, '\n');
    return 0;
}

/* Executes a prepared statement; returns its rows (caller frees), or NULL with *err set. */
static char *exec_stmt(eng_stmt_t *st, uerr_t *err)
{
    eng_cursor_t *cur = NULL;
    ubuf_t b = UBUF_INIT;
    int64_t n;
    bool done;
    char *out = NULL;
    if (eng_execute(st, &cur, err) == 0 &&
        eng_cursor_fetch(cur, 0, collect, &b, &n, &done, err) == 0)
        out = strdup(ubuf_cstr(&b));
    eng_cursor_free(cur);
    ubuf_free(&b);
    return out;
}

static char *query(fx_t *fx, const char *sql, uerr_t *err)
{
    eng_stmt_t *st = NULL;
    char *out = NULL;
    if (eng_prepare(fx->conn, sql, &st, err) == 0)
        out = exec_stmt(st, err);
    eng_stmt_free(st);
    return out;
}

static void test_rows_and_types(void **state)
{
    fx_t *fx = *state;
    uerr_t err = UERR_INIT;
    char *got =
        query(fx, "SELECT n, label, half, even, ts, ncall FROM test_rows() ORDER BY n", &err);
    if (!got)
        fail_msg("%s", err.message);
    assert_string_equal(got, "0|row-0|0|t|2023-11-14 22:13:20+00|1\n"
                             "1|\\N|0.5|f|2023-11-14 22:13:20.000001+00|1\n"
                             "2|row-2|1|\\N|2023-11-14 22:13:20.000002+00|1\n");
    free(got);
    assert_null(fx->caller); /* the connection has no owner */
}

static void test_many_rows_and_fresh_calls(void **state)
{
    fx_t *fx = *state;
    uerr_t err = UERR_INIT;
    eng_stmt_t *st = NULL;
    fx->nrows = 5000; /* more than two DuckDB chunks */
    assert_int_equal(
        eng_prepare(fx->conn, "SELECT count(*), sum(n), max(ncall) FROM test_rows()", &st, &err),
        0);
    char *a = exec_stmt(st, &err);
    fx->nrows = 10;
    char *b = exec_stmt(st, &err); /* the same prepared statement runs the callback again */
    assert_non_null(a);
    assert_non_null(b);
    assert_string_equal(a, "5000|12497500|1\n");
    assert_string_equal(b, "10|45|2\n");
    free(a);
    free(b);
    eng_stmt_free(st);
}

static void test_owner_is_the_caller(void **state)
{
    fx_t *fx = *state;
    uerr_t err = UERR_INIT;
    int owner = 42;
    eng_conn_t *other = NULL;
    eng_conn_set_owner(fx->conn, &owner);
    assert_int_equal(eng_conn_open(fx->db, &other, &err), 0);
    eng_conn_set_owner(other, fx); /* another owned connection must not be confused with it */
    free(query(fx, "SELECT * FROM test_rows()", &err));
    assert_ptr_equal(fx->caller, &owner);
    eng_conn_set_owner(fx->conn, NULL);
    free(query(fx, "SELECT * FROM test_rows()", &err));
    assert_null(fx->caller);
    eng_conn_close(other); /* closing an owned connection unlinks it */
}

static void test_callback_error(void **state)
{
    fx_t *fx = *state;
    uerr_t err = UERR_INIT;
    fx->fail = true;
    assert_null(query(fx, "SELECT * FROM test_rows()", &err));
    assert_non_null(strstr(err.message, "the callback failed on purpose"));
    uerr_clear(&err);
    fx->fail = false;
    char *ok = query(fx, "SELECT count(*) FROM test_rows()", &err);
    assert_string_equal(ok, "3\n");
    free(ok);
}

static void test_init_head(void **state)
{
    char out[64];
    sess_init_head("  CREATE   TABLE\n  t\t(a int)  ", 30, 80, out, sizeof out);
    assert_string_equal(out, "CREATE TABLE t (a int)");
    sess_init_head("SELECT 1234567890", 17, 10, out, sizeof out);
    assert_string_equal(out, "SELECT 123...");
    sess_init_head("SELECT 'ääää'", strlen("SELECT 'ääää'"), 11, out, sizeof out);
    assert_string_equal(out, "SELECT 'äää...");
    sess_init_head("abcdefghijklmnopqrstuvwxyz", 26, 80, out, 12);
    assert_true(strlen(out) < 12);
    assert_non_null(strstr(out, "..."));
    sess_init_head("", 0, 80, out, sizeof out);
    assert_string_equal(out, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_rows_and_types, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_rows_and_fresh_calls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_owner_is_the_caller, setup, teardown),
        cmocka_unit_test_setup_teardown(test_callback_error, setup, teardown),
        cmocka_unit_test(test_init_head),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
