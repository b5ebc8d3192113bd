/* eng_cursor_fetch_arrow through a real in-memory DuckDB: the stream's framing (schema first,
 * one batch per chunk, end marker last), max_rows cutting chunks, empty results, statements
 * without rows, ENUM dictionaries, refused types and max_row.
 *
 * Run with arguments it is also the e2e tests' dumper (tests/e2e/test_arrow.py):
 *   test_engine_arrow --dump OUT [--max-rows N] [--setup SQL]... [--text] SQL
 * writes SQL's result as an Arrow IPC stream to OUT (fetching max_rows at a time), or with
 * --text as one JSON array per row of the values as text (PostgreSQL text, so cast to VARCHAR
 * for DuckDB's spelling). Errors go to stderr as "SQLSTATE message" with exit status 1. */
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

/* Collects the stream and the offset of each piece handed to the callback. */
typedef struct {
    ubuf_t out;
    size_t pieces;
    int stop_after; /* > 0: the callback fails at this piece */
} sink_t;

static int sink(void *ctx, const void *data, size_t len)
{
    sink_t *s = ctx;
    s->pieces++;
    if (s->stop_after > 0 && (int)s->pieces >= s->stop_after)
        return -1;
    ubuf_append(&s->out, data, len);
    return 0;
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* One message of a stream, as far as the framing tells: the header type byte is found through
 * the flatbuffer (root table -> vtable field 1 of Message). */
typedef struct {
    int type; /* 1 schema, 2 dictionary, 3 record batch, 0 end of stream */
    int64_t body;
    int64_t length; /* RecordBatch length */
} msg_t;

static int64_t rd64(const uint8_t *p)
{
    return (int64_t)((uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32);
}

/* Field `id` of the table at t (a pointer into the flatbuffer), or NULL when absent. */
static const uint8_t *fb_field(const uint8_t *t, int id)
{
    const uint8_t *vt = t - (int32_t)rd32(t);
    uint16_t vsize = (uint16_t)(vt[0] | vt[1] << 8);
    if (4 + 2 * id >= vsize)
        return NULL;
    uint16_t off = (uint16_t)(vt[4 + 2 * id] | vt[5 + 2 * id] << 8);
    return off ? t + off : NULL;
}

/* Splits a stream into its messages (at most max); returns how many, checking the framing. */
static size_t split_stream(const ubuf_t *s, msg_t *msgs, size_t max)
{
    size_t pos = 0, n = 0;
    const uint8_t *d = (const uint8_t *)s->data;
    while (pos + 8 <= s->len && n < max) {
        assert_int_equal(rd32(d + pos), 0xFFFFFFFFu);
        uint32_t mlen = rd32(d + pos + 4);
        assert_int_equal(mlen % 8, 0);
        if (mlen == 0) {
            msgs[n++] = (msg_t){0, 0, 0};
            pos += 8;
            break;
        }
        const uint8_t *fb = d + pos + 8, *root = fb + rd32(fb);
        const uint8_t *ht = fb_field(root, 1), *hdr = fb_field(root, 2), *bl = fb_field(root, 3);
        assert_non_null(ht);
        assert_non_null(hdr);
        msg_t m = {ht[0], bl ? rd64(bl) : 0, 0};
        const uint8_t *h = hdr + rd32(hdr);
        if (m.type == 3 && fb_field(h, 0))
            m.length = rd64(fb_field(h, 0));
        assert_int_equal(m.body % 8, 0);
        msgs[n++] = m;
        pos += 8 + mlen + (size_t)m.body;
        assert_int_equal((8 + mlen) % 8, 0);
    }
    assert_int_equal(pos, s->len);
    return n;
}

/* Runs sql and streams it fetching max_rows at a time into s; returns the number of calls. */
static int stream(fx_t *fx, const char *sql, int64_t max_rows, sink_t *s, int64_t *rows)
{
    eng_stmt_t *st = NULL;
    eng_cursor_t *cur = NULL;
    uerr_t err = UERR_INIT;
    bool done = false;
    int calls = 0;
    *rows = 0;
    if (eng_prepare(fx->conn, sql, &st, &err) != 0 || eng_execute(st, &cur, &err) != 0)
        fail_msg("%s: %s", sql, err.message);
    while (!done) {
        int64_t n;
        if (eng_cursor_fetch_arrow(cur, max_rows, sink, s, &n, &done, &err) != 0)
            fail_msg("%s: fetch: %s", sql, err.message);
        assert_true(max_rows <= 0 || n <= max_rows);
        *rows += n;
        calls++;
    }
    int64_t n;
    assert_int_equal(eng_cursor_fetch_arrow(cur, 0, sink, s, &n, &done, &err), 0);
    assert_int_equal(n, 0); /* nothing after the end */
    eng_cursor_free(cur);
    eng_stmt_free(st);
    return calls;
}

static void test_framing(void **state)
{
    fx_t *fx = *state;
    sink_t s = {UBUF_INIT, 0, 0};
    msg_t m[64];
    int64_t rows;
    /* 5000 rows: DuckDB chunks of 2048, 2048, 904 */
    stream(fx, "select x, x::varchar s, [x, null] l from range(5000) t(x)", 0, &s, &rows);
    assert_int_equal(rows, 5000);
    size_t n = split_stream(&s.out, m, 64);
    assert_int_equal(n, 5);
    assert_int_equal(m[0].type, 1);
    assert_int_equal(m[1].type, 3);
    assert_int_equal(m[1].length, 2048);
    assert_int_equal(m[2].length, 2048);
    assert_int_equal(m[3].length, 904);
    assert_int_equal(m[4].type, 0);
    ubuf_free(&s.out);
}

static void test_max_rows(void **state)
{
    fx_t *fx = *state;
    sink_t s = {UBUF_INIT, 0, 0};
    msg_t m[64];
    int64_t rows, total = 0;
    int calls = stream(fx, "select x, x % 3 = 0 b from range(2500) t(x)", 1000, &s, &rows);
    assert_int_equal(rows, 2500);
    assert_int_equal(calls, 3);
    size_t n = split_stream(&s.out, m, 64);
    /* 1000 | 1000 + 48 (the first chunk's rest, then 952 of the second) | 500 */
    assert_int_equal(m[0].type, 1);
    for (size_t i = 1; i + 1 < n; i++) {
        assert_int_equal(m[i].type, 3);
        total += m[i].length;
    }
    assert_int_equal(total, 2500);
    assert_int_equal(m[n - 1].type, 0);
    assert_int_equal(m[1].length, 1000);
    assert_int_equal(m[2].length, 1000);
    assert_int_equal(m[3].length, 48);
    ubuf_free(&s.out);
}

static void test_empty_and_dml(void **state)
{
    fx_t *fx = *state;
    sink_t s = {UBUF_INIT, 0, 0};
    msg_t m[8];
    int64_t rows;
    stream(fx, "select 1 a where false", 0, &s, &rows);
    assert_int_equal(rows, 0);
    assert_int_equal(split_stream(&s.out, m, 8), 2);
    assert_int_equal(m[0].type, 1);
    assert_int_equal(m[1].type, 0);
    ubuf_reset(&s.out);
    stream(fx, "create table t (a int)", 0, &s, &rows);
    assert_int_equal(split_stream(&s.out, m, 8), 2);
    assert_int_equal(m[0].type, 1);
    assert_int_equal(m[1].type, 0);
    ubuf_free(&s.out);
}

static void test_enum_dictionary(void **state)
{
    fx_t *fx = *state;
    sink_t s = {UBUF_INIT, 0, 0};
    msg_t m[16];
    int64_t rows;
    stream(fx, "select (['a','b','c'])[x % 3 + 1]::enum('a','b','c') e from range(3000) t(x)", 0,
           &s, &rows);
    size_t n = split_stream(&s.out, m, 16);
    assert_int_equal(n, 5); /* schema, the dictionary once, two batches, end */
    assert_int_equal(m[1].type, 2);
    assert_int_equal(m[2].type, 3);
    assert_int_equal(m[3].type, 3);
    ubuf_free(&s.out);
}

static void test_refused_and_limits(void **state)
{
    fx_t *fx = *state;
    eng_stmt_t *st = NULL;
    eng_cursor_t *cur = NULL;
    uerr_t err = UERR_INIT;
    sink_t s = {UBUF_INIT, 0, 0};
    int64_t n;
    bool done;
    /* views (arrow_output_version 1.4) are refused before any byte is sent */
    char *sets[] = {"set arrow_output_version = '1.4'", "set produce_arrow_string_view = true"};
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(eng_prepare(fx->conn, sets[i], &st, &err), 0);
        assert_int_equal(eng_execute(st, &cur, &err), 0);
        assert_int_equal(eng_cursor_fetch(cur, 0, NULL, NULL, &n, &done, &err), 0);
        eng_cursor_free(cur);
        eng_stmt_free(st);
    }
    assert_int_equal(eng_prepare(fx->conn, "select 'x' s", &st, &err), 0);
    assert_int_equal(eng_execute(st, &cur, &err), 0);
    assert_int_equal(eng_cursor_fetch_arrow(cur, 0, sink, &s, &n, &done, &err), -1);
    assert_string_equal(err.sqlstate, "0A000");
    assert_non_null(strstr(err.message, "\"vu\""));
    assert_int_equal(s.out.len, 0);
    uerr_clear(&err);
    eng_cursor_free(cur);
    eng_stmt_free(st);
    assert_int_equal(eng_prepare(fx->conn, "reset arrow_output_version", &st, &err), 0);
    assert_int_equal(eng_execute(st, &cur, &err), 0);
    assert_int_equal(eng_cursor_fetch(cur, 0, NULL, NULL, &n, &done, &err), 0);
    eng_cursor_free(cur);
    eng_stmt_free(st);

    /* a row over max_row fails with 54000; one under it goes through */
    assert_int_equal(eng_prepare(fx->conn, "select repeat('x', 100000) s", &st, &err), 0);
    assert_int_equal(eng_execute(st, &cur, &err), 0);
    eng_cursor_set_max_row(cur, 50000);
    assert_int_equal(eng_cursor_fetch_arrow(cur, 0, sink, &s, &n, &done, &err), -1);
    assert_string_equal(err.sqlstate, "54000");
    uerr_clear(&err);
    eng_cursor_free(cur);
    eng_stmt_free(st);

    /* the callback stopping ends the fetch without an error */
    ubuf_reset(&s.out);
    s.stop_after = 2;
    assert_int_equal(eng_prepare(fx->conn, "select x from range(10000) t(x)", &st, &err), 0);
    assert_int_equal(eng_execute(st, &cur, &err), 0);
    assert_int_equal(eng_cursor_fetch_arrow(cur, 0, sink, &s, &n, &done, &err), -1);
    assert_false(uerr_isset(&err));
    eng_cursor_free(cur);
    eng_stmt_free(st);
    ubuf_free(&s.out);
}

/* A chunk whose message would pass ENG_ARROW_BATCH_BYTES is sent as several batches. */
static void test_split_big_chunk(void **state)
{
    fx_t *fx = *state;
    sink_t s = {UBUF_INIT, 0, 0};
    msg_t m[64];
    int64_t rows, total = 0;
    stream(fx, "select repeat('y', 10000) || x s from range(2048) t(x)", 0, &s, &rows);
    size_t n = split_stream(&s.out, m, 64);
    assert_true(n > 4);
    for (size_t i = 1; i + 1 < n; i++) {
        assert_true((uint64_t)m[i].body <= ENG_ARROW_BATCH_BYTES);
        total += m[i].length;
    }
    assert_int_equal(total, 2048);
    ubuf_free(&s.out);
}

/* ---- the dumper ---- */

static void json_str(FILE *f, const char *p, int32_t n)
{
    fputc('"', f);
    for (int32_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

static int text_row(void *ctx, const eng_value_t *vals, size_t n)
{
    FILE *f = ctx;
    fputc('[', f);
    for (size_t i = 0; i < n; i++) {
        if (i)
            fputc(',', f);
        if (vals[i].len < 0)
            fputs("null", f);
        else
            json_str(f, vals[i].data, vals[i].len);
    }
    fputs("]\n", f);
    return 0;
}

static int file_bytes(void *ctx, const void *data, size_t len)
{
    return fwrite(data, 1, len, ctx) == len ? 0 : -1;
}

static int run_sql(eng_conn_t *conn, const char *sql, FILE *out, bool text, int64_t max_rows,
                   uerr_t *err)
{
    eng_stmt_t *st = NULL;
    eng_cursor_t *cur = NULL;
    bool done = false;
    int rc = -1;
    if (eng_prepare(conn, sql, &st, err) != 0 || eng_execute(st, &cur, err) != 0)
        goto out;
    while (!done) {
        int64_t n;
        int r = text ? eng_cursor_fetch(cur, max_rows, out ? text_row : NULL, out, &n, &done, err)
                     : eng_cursor_fetch_arrow(cur, max_rows, file_bytes, out, &n, &done, err);
        if (r != 0)
            goto out;
    }
    rc = 0;
out:
    eng_cursor_free(cur);
    eng_stmt_free(st);
    return rc;
}

static int dump(int argc, char **argv)
{
    eng_db_t *db = NULL;
    eng_conn_t *conn = NULL;
    uerr_t err = UERR_INIT;
    FILE *out = NULL;
    bool text = false;
    int64_t max_rows = 0;
    int rc = 1, i = 3;
    if (argc < 4)
        return 2;
    if (eng_db_open(&db, NULL, false, NULL, 0, &err) != 0 || eng_conn_open(db, &conn, &err) != 0)
        goto out;
    for (; i < argc - 1; i++) {
        if (!strcmp(argv[i], "--max-rows") && i + 1 < argc - 1)
            max_rows = atoll(argv[++i]);
        else if (!strcmp(argv[i], "--text"))
            text = true;
        else if (!strcmp(argv[i], "--setup") && i + 1 < argc - 1) {
            if (run_sql(conn, argv[++i], NULL, true, 0, &err) != 0)
                goto out;
        } else
            return 2;
    }
    out = fopen(argv[2], "wb");
    if (!out) {
        perror(argv[2]);
        goto out;
    }
    if (run_sql(conn, argv[argc - 1], out, text, max_rows, &err) != 0)
        goto out;
    rc = 0;
out:
    if (out && fclose(out) != 0)
        rc = 1;
    if (uerr_isset(&err))
        fprintf(stderr, "%s %s\n", err.sqlstate, err.message);
    uerr_clear(&err);
    eng_conn_close(conn);
    eng_db_close(db);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "--dump"))
        return dump(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_framing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_max_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_and_dml, setup, teardown),
        cmocka_unit_test_setup_teardown(test_enum_dictionary, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_and_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_split_big_chunk, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
