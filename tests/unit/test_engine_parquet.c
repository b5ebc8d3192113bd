/* eng_cursor_fetch_parquet through a real in-memory DuckDB (not sandboxed, so the test reads
 * the file back with read_parquet): pieces of at most ENG_PARQUET_PIECE, the rows of a cursor
 * that was partly fetched as text before (the sliced first chunk), duplicate column names,
 * statements without rows, the size cap, Parquet turned off, a spool directory clients could
 * read, a stopping callback, and that no spool file outlives a call nor the spool directory
 * the database. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dirent.h>

#include <cmocka.h>

#include "engine/engine.h"
#include "util/buf.h"

typedef struct {
    eng_db_t *db;
    eng_conn_t *conn;
    char dir[64]; /* the spool directory's parent, a mkdtemp of the test's own */
} pfx_t;

static int pq_setup(void **state)
{
    pfx_t *fx = calloc(1, sizeof *fx);
    uerr_t err = UERR_INIT;
    snprintf(fx->dir, sizeof fx->dir, "/tmp/duckd-test-pq-XXXXXX");
    assert_non_null(mkdtemp(fx->dir));
    assert_int_equal(eng_db_open(&fx->db, NULL, false, NULL, 0, &err), 0);
    eng_parquet_cfg_t cfg = {fx->dir, 64u << 20, 64u << 20};
    eng_db_set_parquet(fx->db, &cfg);
    assert_int_equal(eng_conn_open(fx->db, &fx->conn, &err), 0);
    *state = fx;
    return 0;
}

/* Entries in dir (recursively one level: the spool directory's files count too). */
static int entries(const char *dir, int depth)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    if (!d)
        return 0;
    while ((e = readdir(d)) != NULL) {
        char p[512];
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        n++;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (depth > 0)
            n += entries(p, depth - 1);
    }
    closedir(d);
    return n;
}

static int pq_teardown(void **state)
{
    pfx_t *fx = *state;
    eng_conn_close(fx->conn);
    eng_db_close(fx->db);
    assert_int_equal(entries(fx->dir, 1), 0); /* the spool directory went with the database */
    assert_int_equal(rmdir(fx->dir), 0);
    free(fx);
    return 0;
}

typedef struct {
    ubuf_t out;
    size_t pieces, max_piece;
    size_t stop_at; /* > 0: fail at this piece */
} sink_t;

static int sink(void *ctx, const void *data, size_t len)
{
    sink_t *s = ctx;
    s->pieces++;
    if (len > s->max_piece)
        s->max_piece = len;
    if (s->stop_at && s->pieces >= s->stop_at)
        return -1;
    ubuf_append(&s->out, data, len);
    return 0;
}

/* The first row of sql as "|"-joined text. Caller frees. */
static int first_row(void *ctx, const eng_value_t *v, size_t n)
{
    ubuf_t *b = ctx;
    if (b->len)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (i)
            ubuf_putc(b, '|');
        ubuf_append(b, v[i].len < 0 ? "\\N" : v[i].data, v[i].len < 0 ? 2 : (size_t)v[i].len);
    }
    return 0;
}

static char *one(pfx_t *fx, const char *sql)
{
    eng_stmt_t *st = NULL;
    eng_cursor_t *cur = NULL;
    uerr_t err = UERR_INIT;
    ubuf_t b = UBUF_INIT;
    int64_t n;
    bool done;
    if (eng_prepare(fx->conn, sql, &st, &err) != 0 || eng_bind(st, NULL, 0, &err) != 0 ||
        eng_execute(st, &cur, &err) != 0 ||
        eng_cursor_fetch(cur, 0, first_row, &b, &n, &done, &err) != 0)
        fail_msg("%s: %s", sql, err.message);
    eng_cursor_free(cur);
    eng_stmt_free(st);
    ubuf_putc(&b, '\0');
    return b.data;
}

static void expect(pfx_t *fx, const char *sql, const char *want)
{
    char *got = one(fx, sql);
    if (strcmp(got, want) != 0)
        fail_msg("%s\n  want %s\n  got  %s", sql, want, got);
    free(got);
}

/* Runs sql into a Parquet file: fetches `text_rows` rows as text first (0 none), then the
 * rest as Parquet into s. Returns the fetch's result; *err set on failure. */
static int to_parquet(pfx_t *fx, const char *sql, int64_t text_rows, sink_t *s, int64_t *rows,
                      uerr_t *err)
{
    eng_stmt_t *st = NULL;
    eng_cursor_t *cur = NULL;
    int64_t n;
    bool done = false;
    int rc = -1;
    *rows = 0;
    if (eng_prepare(fx->conn, sql, &st, err) != 0 || eng_bind(st, NULL, 0, err) != 0 ||
        eng_execute(st, &cur, err) != 0)
        goto out;
    if (text_rows && eng_cursor_fetch(cur, text_rows, NULL, NULL, &n, &done, err) != 0)
        goto out;
    for (int calls = 0; !done; calls++) {
        assert_true(calls < 100000);
        if (eng_cursor_fetch_parquet(cur, sink, s, &n, &done, err) != 0)
            goto out;
        *rows += n;
        assert_int_equal(entries(fx->dir, 1), 1); /* the spool file is gone at once */
    }
    rc = 0;
out:
    eng_cursor_free(cur);
    eng_stmt_free(st);
    return rc;
}

/* Writes s's bytes to a file under the test directory and returns its path (static). */
static const char *save(pfx_t *fx, const sink_t *s)
{
    static char path[128];
    snprintf(path, sizeof path, "%s/out.parquet", fx->dir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(s->out.data, 1, s->out.len, f), s->out.len);
    fclose(f);
    return path;
}

static void test_rows_and_pieces(void **state)
{
    pfx_t *fx = *state;
    sink_t s = {UBUF_INIT, 0, 0, 0};
    uerr_t err = UERR_INIT;
    int64_t rows;
    char sql[512];
    eng_parquet_cfg_t cfg = {fx->dir, 8u << 20, 64u << 20}; /* row groups of 1 MiB */
    eng_db_set_parquet(fx->db, &cfg);
    assert_int_equal(to_parquet(fx, "SELECT i, md5(i::VARCHAR) AS h FROM range(300000) t(i)", 0, &s,
                                &rows, &err),
                     0);
    assert_int_equal(rows, 300000);
    assert_true(s.pieces > 1);
    assert_int_equal(s.max_piece, ENG_PARQUET_PIECE);
    assert_memory_equal(s.out.data, "PAR1", 4);
    assert_memory_equal(s.out.data + s.out.len - 4, "PAR1", 4);
    const char *p = save(fx, &s);
    snprintf(sql, sizeof sql,
             "SELECT count(*), sum(i), bool_and(h = md5(i::VARCHAR) AND i = file_row_number) "
             "FROM read_parquet('%s', file_row_number = true)",
             p);
    expect(fx, sql, "300000|44999850000|t"); /* in order across row groups cut by bytes */
    snprintf(sql, sizeof sql, "SELECT count(DISTINCT row_group_id) > 5 FROM parquet_metadata('%s')",
             p);
    expect(fx, sql, "t");
    unlink(p);
    ubuf_free(&s.out);
}

/* Rows fetched as text before are not in the file: the first chunk is sliced. */
static void test_partly_fetched_cursor(void **state)
{
    pfx_t *fx = *state;
    sink_t s = {UBUF_INIT, 0, 0, 0};
    uerr_t err = UERR_INIT;
    int64_t rows;
    char sql[512];
    assert_int_equal(to_parquet(fx, "SELECT i FROM range(5000) t(i)", 100, &s, &rows, &err), 0);
    assert_int_equal(rows, 4900);
    const char *p = save(fx, &s);
    snprintf(sql, sizeof sql, "SELECT count(*), min(i), max(i), sum(i) FROM read_parquet('%s')", p);
    expect(fx, sql, "4900|100|4999|12492550");
    unlink(p);
    ubuf_free(&s.out);
}

static void test_names_and_rowless(void **state)
{
    pfx_t *fx = *state;
    sink_t s = {UBUF_INIT, 0, 0, 0};
    uerr_t err = UERR_INIT;
    int64_t rows;
    char sql[512];
    assert_int_equal(
        to_parquet(fx, "SELECT 1 AS a, 2 AS A, 3 AS a_1, 4 AS \"x'y\"", 0, &s, &rows, &err), 0);
    const char *p = save(fx, &s);
    snprintf(sql, sizeof sql,
             "SELECT string_agg(name, ',' ORDER BY name) FROM parquet_schema('%s') WHERE "
             "num_children IS NULL",
             p);
    expect(fx, sql, "A_1,a,a_1_1,x'y");
    unlink(p);
    ubuf_reset(&s.out);
    /* a statement without rows sends nothing */
    assert_int_equal(to_parquet(fx, "CREATE TABLE t (i INTEGER)", 0, &s, &rows, &err), 0);
    assert_int_equal(s.out.len, 0);
    ubuf_free(&s.out);
}

static void test_size_cap_and_off(void **state)
{
    pfx_t *fx = *state;
    sink_t s = {UBUF_INIT, 0, 0, 0};
    uerr_t err = UERR_INIT;
    int64_t rows;
    eng_parquet_cfg_t cfg = {fx->dir, 64u << 20, 100000};
    eng_db_set_parquet(fx->db, &cfg);
    assert_int_equal(
        to_parquet(fx, "SELECT i, md5(i::VARCHAR) FROM range(1000000) t(i)", 0, &s, &rows, &err),
        -1);
    assert_string_equal(err.sqlstate, "54000");
    assert_int_equal(entries(fx->dir, 1), 1);
    uerr_clear(&err);
    /* the cap holds at the end too: a file that grows past it with its last row group */
    assert_int_equal(
        to_parquet(fx, "SELECT md5(i::VARCHAR) FROM range(10000) t(i)", 0, &s, &rows, &err), -1);
    assert_string_equal(err.sqlstate, "54000");
    uerr_clear(&err);
    assert_int_equal(s.out.len, 0);
    cfg.max_size = 0; /* off: refused before the encoder runs */
    eng_db_set_parquet(fx->db, &cfg);
    assert_int_equal(to_parquet(fx, "SELECT 1", 0, &s, &rows, &err), -1);
    assert_string_equal(err.sqlstate, "0A000");
    uerr_clear(&err);
    assert_int_equal(s.out.len, 0);
    cfg.max_size = 1u << 20;
    eng_db_set_parquet(fx->db, &cfg);
    assert_int_equal(to_parquet(fx, "SELECT 1", 0, &s, &rows, &err), 0);
    assert_true(s.out.len > 0);
    ubuf_free(&s.out);
    uerr_clear(&err);
}

static void test_query_error_and_stopped_callback(void **state)
{
    pfx_t *fx = *state;
    sink_t s = {UBUF_INIT, 0, 0, 0};
    uerr_t err = UERR_INIT;
    int64_t rows;
    assert_int_equal(to_parquet(fx,
                                "SELECT CASE WHEN i < 200000 THEN i ELSE error('boom ' || i) END "
                                "FROM range(300000) t(i)",
                                0, &s, &rows, &err),
                     -1);
    assert_non_null(strstr(err.message, "boom 200000"));
    assert_string_not_equal(err.sqlstate, "");
    uerr_clear(&err);
    s.stop_at = 2;
    assert_int_equal(
        to_parquet(fx, "SELECT i, md5(i::VARCHAR) FROM range(300000) t(i)", 0, &s, &rows, &err),
        -1);
    assert_false(uerr_isset(&err)); /* the callback stopped it */
    ubuf_free(&s.out);
}

/* A spool directory inside allowed_directories refuses Parquet for good. */
static void test_exposed_spool(void **state)
{
    pfx_t *fx = *state;
    sink_t s = {UBUF_INIT, 0, 0, 0};
    uerr_t err = UERR_INIT;
    int64_t rows;
    const char *dirs[] = {fx->dir};
    eng_lockdown_t l = {.allowed_directories = dirs, .ndirectories = 1};
    assert_int_equal(eng_db_lockdown(fx->db, &l, &err), 0);
    assert_int_equal(to_parquet(fx, "SELECT 1", 0, &s, &rows, &err), -1);
    assert_string_equal(err.sqlstate, "0A000");
    assert_non_null(strstr(err.message, "readable by clients"));
    uerr_clear(&err);
    assert_int_equal(to_parquet(fx, "SELECT 1", 0, &s, &rows, &err), -1);
    assert_string_equal(err.sqlstate, "0A000");
    assert_int_equal(entries(fx->dir, 1), 0);
    uerr_clear(&err);
    ubuf_free(&s.out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_rows_and_pieces, pq_setup, pq_teardown),
        cmocka_unit_test_setup_teardown(test_partly_fetched_cursor, pq_setup, pq_teardown),
        cmocka_unit_test_setup_teardown(test_names_and_rowless, pq_setup, pq_teardown),
        cmocka_unit_test_setup_teardown(test_size_cap_and_off, pq_setup, pq_teardown),
        cmocka_unit_test_setup_teardown(test_query_error_and_stopped_callback, pq_setup,
                                        pq_teardown),
        cmocka_unit_test_setup_teardown(test_exposed_spool, pq_setup, pq_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
