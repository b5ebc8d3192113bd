/* Unit tests for the COPY FROM appender (engine/append.c) on an in-memory database, with and
 * without its background thread: rows converted into DuckDB data chunks land exactly and in
 * order across many chunks; a bad value, a value DuckDB's own cast refuses and a constraint
 * violation fail with the right SQLSTATE and name the right line and column; NULL-heavy rows;
 * columns that change representation mid-load; an abandoned load frees everything. */
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

typedef struct {
    eng_db_t *db;
    eng_conn_t *conn;
    bool background;
} fx_t;

static int setup_with(void **state, bool background)
{
    fx_t *fx = calloc(1, sizeof *fx);
    uerr_t err = UERR_INIT;
    assert_int_equal(eng_db_open(&fx->db, NULL, false, NULL, 0, &err), 0);
    assert_int_equal(eng_conn_open(fx->db, &fx->conn, &err), 0);
    fx->background = background;
    *state = fx;
    return 0;
}

static int setup_sync(void **state) { return setup_with(state, false); }
static int setup_thread(void **state) { return setup_with(state, true); }

static int teardown(void **state)
{
    fx_t *fx = *state;
    eng_conn_close(fx->conn);
    eng_db_close(fx->db);
    free(fx);
    return 0;
}

static int first_row(void *ctx, const eng_value_t *vals, size_t n)
{
    ubuf_t *b = ctx;
    if (b->len)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (i)
            ubuf_putc(b, '|');
        if (vals[i].len < 0)
            ubuf_puts(b, "\\N");
        else
            ubuf_append(b, vals[i].data, (size_t)vals[i].len);
    }
    return 0;
}

/* Runs sql and checks its first row, "|"-joined. */
static void expect(fx_t *fx, const char *sql, const char *want)
{
    eng_stmt_t *st = NULL;
    eng_cursor_t *cur = NULL;
    uerr_t err = UERR_INIT;
    ubuf_t b = UBUF_INIT;
    int64_t n;
    bool done;
    if (eng_prepare(fx->conn, sql, &st, &err) != 0 || eng_execute(st, &cur, &err) != 0)
        fail_msg("%s: %s", sql, err.message);
    assert_int_equal(eng_cursor_fetch(cur, 0, first_row, &b, &n, &done, &err), 0);
    if (strcmp(ubuf_cstr(&b), want) != 0)
        fail_msg("%s\n  want %s\n  got  %s", sql, want, ubuf_cstr(&b));
    eng_cursor_free(cur);
    eng_stmt_free(st);
    ubuf_free(&b);
}

static void exec(fx_t *fx, const char *sql) { expect(fx, sql, ""); }

/* Makes row i's text fields: `fmt` with %d replaced by i is split at tabs ("\\N" is NULL). */
typedef struct {
    char text[512];
    eng_value_t vals[16];
    size_t n;
} row_t;

static void make_row(row_t *r, const char *text)
{
    snprintf(r->text, sizeof r->text, "%s", text);
    r->n = 0;
    char *p = r->text;
    for (;;) {
        char *tab = strchr(p, '\t');
        if (tab)
            *tab = '\0';
        r->vals[r->n].data = p;
        r->vals[r->n].len = strcmp(p, "\\N") == 0 ? -1 : (int32_t)strlen(p);
        r->n++;
        if (!tab)
            break;
        p = tab + 1;
    }
}

typedef const char *(*row_fn)(int i, char *buf, size_t size);

/* Appends rows 1..nrows of gen to table t; returns the appender's result, err and where. */
static int load(fx_t *fx, const char *table, int nrows, row_fn gen, eng_append_where_t *where,
                uerr_t *err)
{
    eng_appender_t *a = NULL;
    row_t r;
    char buf[512];
    int rc = -1;
    if (eng_appender_open(fx->conn, NULL, NULL, table, NULL, 0, fx->background, &a, err) != 0)
        return -1;
    for (int i = 1; i <= nrows; i++) {
        make_row(&r, gen(i, buf, sizeof buf));
        if (eng_appender_row(a, r.vals, r.n, 0, i, where, err) != 0)
            goto out;
    }
    rc = eng_appender_finish(a, where, err);
out:
    eng_appender_free(a);
    return rc;
}

static const char *gen_mixed(int i, char *buf, size_t size)
{
    if (i % 7 == 0) /* NULL in every column */
        snprintf(buf, size, "%d\t\\N\t\\N\t\\N\t\\N\t\\N", i);
    else
        snprintf(buf, size, "%d\tv%d\t%d.25\t2024-02-%02d\t%s\t%d.5", i, i, i, 1 + i % 28,
                 i % 2 ? "t" : "f", i % 1000);
    return buf;
}

/* Many chunks (2048 rows each), NULLs every 7th row: every value lands, in order. */
static void test_many_chunks(void **state)
{
    fx_t *fx = *state;
    eng_append_where_t where;
    uerr_t err = UERR_INIT;
    exec(fx, "CREATE TABLE m (id INTEGER, s VARCHAR, f DOUBLE, d DATE, b BOOLEAN, n "
             "DECIMAL(8,2))");
    if (load(fx, "m", 10000, gen_mixed, &where, &err) != 0)
        fail_msg("load: %s", err.message);
    expect(fx,
           "SELECT count(*), count(s), sum(id), sum(f), min(d), max(d), count(*) FILTER (b) "
           "FROM m",
           "10000|8572|50005000|42865001|2024-02-02|2024-02-28|4286");
    /* insertion order is kept across chunks */
    expect(fx, "SELECT count(*) FROM (SELECT id, row_number() OVER () AS rn FROM m) WHERE id <> rn",
           "0");
    expect(fx, "SELECT s, f, d, b, n FROM m WHERE id = 4099", "v4099|4099.25|2024-02-12|t|99.50");
    expect(fx, "SELECT s, f, d, b, n FROM m WHERE id = 4102", "\\N|\\N|\\N|\\N|\\N");
    uerr_clear(&err);
}

static const char *gen_bad_int(int i, char *buf, size_t size)
{
    snprintf(buf, size, i == 5000 ? "x%d" : "%d", i);
    return buf;
}

/* A value duckd parses fails at its own row, in the third chunk. */
static void test_bad_value_names_row(void **state)
{
    fx_t *fx = *state;
    eng_append_where_t where;
    uerr_t err = UERR_INIT;
    exec(fx, "CREATE TABLE bi (id INTEGER)");
    assert_int_equal(load(fx, "bi", 6000, gen_bad_int, &where, &err), -1);
    assert_string_equal(err.sqlstate, "22P02");
    assert_int_equal(where.line, 5000);
    assert_int_equal(where.col, 0);
    assert_int_equal(where.value_len, 5);
    assert_memory_equal(where.value, "x5000", 5);
    uerr_clear(&err);
}

static const char *gen_bad_uuid(int i, char *buf, size_t size)
{
    snprintf(buf, size, "%d\t%s", i,
             i == 4500 ? "not-a-uuid" : "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
    return buf;
}

/* A value only DuckDB's cast checks (UUID) fails when its chunk is appended: the error still
 * names its row, column and text. */
static void test_cast_error_names_row(void **state)
{
    fx_t *fx = *state;
    eng_append_where_t where;
    uerr_t err = UERR_INIT;
    exec(fx, "CREATE TABLE bu (id INTEGER, u UUID)");
    assert_int_equal(load(fx, "bu", 6000, gen_bad_uuid, &where, &err), -1);
    assert_string_equal(err.sqlstate, "22P02");
    assert_int_equal(where.line, 4500);
    assert_int_equal(where.col, 1);
    assert_int_equal(where.value_len, 10);
    assert_memory_equal(where.value, "not-a-uuid", 10);
    uerr_clear(&err);
}

static const char *gen_dup(int i, char *buf, size_t size)
{
    snprintf(buf, size, "%d", i == 6000 ? 17 : i);
    return buf;
}

static void test_constraint(void **state)
{
    fx_t *fx = *state;
    eng_append_where_t where;
    uerr_t err = UERR_INIT;
    exec(fx, "CREATE TABLE pk (id INTEGER PRIMARY KEY)");
    exec(fx, "BEGIN");
    assert_int_equal(load(fx, "pk", 7000, gen_dup, &where, &err), -1);
    assert_string_equal(err.sqlstate, "23505");
    exec(fx, "ROLLBACK");
    expect(fx, "SELECT count(*) FROM pk", "0");
    uerr_clear(&err);
}

static const char *gen_switch(int i, char *buf, size_t size)
{
    /* plain values duckd parses, then spellings it leaves to DuckDB, then plain ones again */
    if (i == 3000)
        snprintf(buf, size, "%d\tNaN\t1.005\t1000", i);
    else if (i == 3001)
        snprintf(buf, size, "%d\t-Infinity\t\\N\t99999999999999999999", i);
    else
        snprintf(buf, size, "%d\t%d.5\t%d.25\t%d", i, i, i % 100, i);
    return buf;
}

/* Columns whose values stop fitting the chunk's representation mid-load keep every value. */
static void test_representation_switch(void **state)
{
    fx_t *fx = *state;
    eng_append_where_t where;
    uerr_t err = UERR_INIT;
    exec(fx, "CREATE TABLE sw (id INTEGER, f DOUBLE, n DECIMAL(6,2), h HUGEINT)");
    if (load(fx, "sw", 5000, gen_switch, &where, &err) != 0)
        fail_msg("load: %s", err.message);
    expect(fx, "SELECT f, n, h FROM sw WHERE id = 3000", "NaN|1.01|1000");
    expect(fx, "SELECT f, n, h FROM sw WHERE id = 3001", "-Infinity|\\N|99999999999999999999");
    expect(fx, "SELECT f, n, h FROM sw WHERE id = 4999", "4999.5|99.25|4999");
    expect(fx, "SELECT count(*), sum(id) FROM sw", "5000|12502500");
    expect(fx,
           "SELECT count(*) FROM (SELECT id, row_number() OVER () AS rn FROM sw) WHERE id <> rn",
           "0");
    uerr_clear(&err);
}

static const char *const fast_rows[] = {
    /* i INTEGER, b BIGINT, s SMALLINT, u UINTEGER, d DATE, v VARCHAR */
    "2147483647\t999999999999999999\t32767\t4294967295\t2024-02-29\t123456789012",
    "-2147483648\t-999999999999999999\t-32768\t0\t0001-01-01\t1234567890123",
    "-0\t9223372036854775807\t+5\t 7\t2020-1-5\t",
    "0042\t-9223372036854775808\t 12 \t+0\t2020-01-05 \té€ x",
};

static const char *gen_fast(int i, char *buf, size_t size)
{
    snprintf(buf, size, "%s", fast_rows[(i - 1) % 4]);
    return buf;
}

/* The text fast paths (plain integers stored by type, ISO dates, VARCHAR inline or not) and the
 * spellings they leave to the general conversion store the same values. */
static void test_fast_paths(void **state)
{
    fx_t *fx = *state;
    eng_append_where_t where;
    uerr_t err = UERR_INIT;
    exec(fx, "CREATE TABLE fp (i INTEGER, b BIGINT, s SMALLINT, u UINTEGER, d DATE, v VARCHAR)");
    if (load(fx, "fp", 4, gen_fast, &where, &err) != 0)
        fail_msg("load: %s", err.message);
    expect(fx, "SELECT i, b, s, u, d, v, length(v) FROM fp WHERE rowid = 0",
           "2147483647|999999999999999999|32767|4294967295|2024-02-29|123456789012|12");
    expect(fx, "SELECT i, b, s, u, d, v, length(v) FROM fp WHERE rowid = 1",
           "-2147483648|-999999999999999999|-32768|0|0001-01-01|1234567890123|13");
    expect(fx, "SELECT i, b, s, u, d, v = '' FROM fp WHERE rowid = 2",
           "0|9223372036854775807|5|7|2020-01-05|t");
    expect(fx, "SELECT i, b, s, u, d, v FROM fp WHERE rowid = 3",
           "42|-9223372036854775808|12|0|2020-01-05|é€ x");
    /* inline strings compare and group like DuckDB's own */
    expect(fx, "SELECT count(*) FROM fp WHERE v = '123456789012' OR v = '1234567890123'", "2");
    uerr_clear(&err);
}

/* One row of text into a fresh table of one column of `type`: the SQLSTATE, "" when it loads. */
static void expect_one(fx_t *fx, const char *type, const char *text, const char *want)
{
    eng_appender_t *a = NULL;
    eng_append_where_t where;
    uerr_t err = UERR_INIT;
    row_t r;
    char sql[128];
    exec(fx, "DROP TABLE IF EXISTS one");
    snprintf(sql, sizeof sql, "CREATE TABLE one (x %s)", type);
    exec(fx, sql);
    assert_int_equal(
        eng_appender_open(fx->conn, NULL, NULL, "one", NULL, 0, fx->background, &a, &err), 0);
    make_row(&r, text);
    int rc = eng_appender_row(a, r.vals, r.n, 0, 1, &where, &err);
    if (rc == 0)
        rc = eng_appender_finish(a, &where, &err);
    eng_appender_free(a);
    if (strcmp(rc == 0 ? "" : err.sqlstate, want) != 0)
        fail_msg("%s [%s]: want [%s], got [%s] %s", type, text, want, rc == 0 ? "" : err.sqlstate,
                 rc == 0 ? "" : err.message);
    uerr_clear(&err);
}

/* Values the fast paths refuse get the general conversion's errors. */
static void test_fast_path_errors(void **state)
{
    fx_t *fx = *state;
    expect_one(fx, "INTEGER", "2147483648", "22003");
    expect_one(fx, "INTEGER", "-2147483649", "22003");
    expect_one(fx, "INTEGER", "99999999999999999999", "22003");
    expect_one(fx, "INTEGER", "", "22P02");
    expect_one(fx, "INTEGER", "-", "22P02");
    expect_one(fx, "INTEGER", "1.5", "22P02");
    expect_one(fx, "INTEGER", "12a", "22P02");
    expect_one(fx, "BIGINT", "9223372036854775808", "22003");
    expect_one(fx, "BIGINT", "--1", "22P02");
    expect_one(fx, "SMALLINT", "32768", "22003");
    expect_one(fx, "TINYINT", "-129", "22003");
    expect_one(fx, "UTINYINT", "256", "22003");
    expect_one(fx, "UINTEGER", "-1", "22003");
    expect_one(fx, "DATE", "2023-02-29", "22003");
    expect_one(fx, "DATE", "2023-13-01", "22003");
    expect_one(fx, "DATE", "tomorrowish", "22P02");
}

/* An appender dropped mid-load (client gone, cancel) stops its thread and frees its chunks. */
static void test_abandon(void **state)
{
    fx_t *fx = *state;
    eng_appender_t *a = NULL;
    eng_append_where_t where;
    uerr_t err = UERR_INIT;
    row_t r;
    char buf[64];
    exec(fx, "CREATE TABLE ab (id INTEGER)");
    exec(fx, "BEGIN");
    assert_int_equal(
        eng_appender_open(fx->conn, NULL, NULL, "ab", NULL, 0, fx->background, &a, &err), 0);
    for (int i = 1; i <= 9000; i++) {
        snprintf(buf, sizeof buf, "%d", i);
        make_row(&r, buf);
        assert_int_equal(eng_appender_row(a, r.vals, r.n, 0, i, &where, &err), 0);
    }
    eng_appender_free(a);
    exec(fx, "ROLLBACK");
    expect(fx, "SELECT count(*) FROM ab", "0");
}

int main(void)
{
#define BOTH(t)                                                                                    \
    cmocka_unit_test_setup_teardown(t, setup_sync, teardown),                                      \
        cmocka_unit_test_setup_teardown(t, setup_thread, teardown)
    const struct CMUnitTest tests[] = {
        BOTH(test_many_chunks), BOTH(test_bad_value_names_row),   BOTH(test_cast_error_names_row),
        BOTH(test_constraint),  BOTH(test_representation_switch), BOTH(test_abandon),
        BOTH(test_fast_paths),  BOTH(test_fast_path_errors),
    };
#undef BOTH
    return cmocka_run_group_tests(tests, NULL, NULL);
}
