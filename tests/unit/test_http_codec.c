/* Unit tests for the HTTP API's sans-I/O parts: routing, format negotiation, the query body
 * parser and its caps, SQLSTATE to status, JSON/CSV escaping, the three result encoders
 * (success and failure mid-stream), the CSV header and NDJSON converters of ingest, the
 * tokens file and the password check against SCRAM verifiers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "auth/tokens.h"
#include "http/auth.h"
#include "http/codec.h"
#include "pgwire/scram.h"
#include "util/buf.h"

static void test_route(void **state)
{
    char t[HTTP_TABLE_MAX + 1];
    const char *allow;
    assert_int_equal(http_route("POST", "/v1/query", t, &allow), HTTP_ROUTE_QUERY);
    assert_int_equal(http_route("GET", "/v1/query", t, &allow), HTTP_ROUTE_BAD_METHOD);
    assert_string_equal(allow, "POST, OPTIONS");
    assert_int_equal(http_route("OPTIONS", "/v1/query", t, &allow), HTTP_ROUTE_PREFLIGHT);
    assert_int_equal(http_route("POST", "/v1/ingest/s.t", t, &allow), HTTP_ROUTE_INGEST);
    assert_string_equal(t, "s.t");
    assert_int_equal(http_route("POST", "/v1/ingest/", t, &allow), HTTP_ROUTE_NOT_FOUND);
    assert_int_equal(http_route("POST", "/v1/ingest/a/b", t, &allow), HTTP_ROUTE_NOT_FOUND);
    assert_int_equal(http_route("GET", "/healthz", t, &allow), HTTP_ROUTE_HEALTHZ);
    assert_int_equal(http_route("HEAD", "/readyz", t, &allow), HTTP_ROUTE_READYZ);
    assert_int_equal(http_route("POST", "/healthz", t, &allow), HTTP_ROUTE_BAD_METHOD);
    assert_int_equal(http_route("GET", "/", t, &allow), HTTP_ROUTE_CONSOLE);
    assert_int_equal(http_route("HEAD", "/console/console.js", t, &allow), HTTP_ROUTE_CONSOLE);
    assert_int_equal(http_route("POST", "/", t, &allow), HTTP_ROUTE_BAD_METHOD);
    assert_string_equal(allow, "GET, HEAD, OPTIONS");
    assert_int_equal(http_route("GET", "/console", t, &allow), HTTP_ROUTE_NOT_FOUND);
    assert_int_equal(http_route("GET", "/metrics", t, &allow), HTTP_ROUTE_METRICS);
    assert_int_equal(http_route("GET", "/v1/info", t, &allow), HTTP_ROUTE_INFO);
    assert_int_equal(http_route("GET", "/v1/sessions", t, &allow), HTTP_ROUTE_SESSIONS);
    assert_int_equal(http_route("POST", "/v1/sessions/1042/cancel", t, &allow), HTTP_ROUTE_CANCEL);
    assert_string_equal(t, "1042");
    assert_int_equal(http_route("POST", "/v1/sessions/12345678901/cancel", t, &allow),
                     HTTP_ROUTE_NOT_FOUND);
    assert_int_equal(http_route("POST", "/v1/sessions/1/kill", t, &allow), HTTP_ROUTE_NOT_FOUND);
}

static void test_table_ident(void **state)
{
    ubuf_t b = UBUF_INIT;
    uerr_t err = UERR_INIT;
    assert_int_equal(http_table_ident("s.Tab le", &b, &err), 0);
    assert_string_equal(ubuf_cstr(&b), "\"s\".\"Tab le\"");
    ubuf_reset(&b);
    assert_int_equal(http_table_ident("a\"b", &b, &err), -1);
    assert_string_equal(err.sqlstate, "42602");
    uerr_clear(&err);
    assert_int_equal(http_table_ident("a.b.c", &b, &err), -1);
    uerr_clear(&err);
    assert_int_equal(http_table_ident(".b", &b, &err), -1);
    uerr_clear(&err);
    ubuf_free(&b);
}

static void test_pick_format(void **state)
{
    http_format_t f;
    assert_int_equal(http_pick_format(NULL, NULL, &f), 0);
    assert_int_equal(f, HTTP_FMT_JSON);
    assert_int_equal(http_pick_format("CSV", "application/json", &f), 0);
    assert_int_equal(f, HTTP_FMT_CSV);
    assert_int_equal(http_pick_format("xml", NULL, &f), -1);
    assert_int_equal(http_pick_format(NULL, "image/png, application/x-ndjson;q=0.5", &f), 0);
    assert_int_equal(f, HTTP_FMT_NDJSON);
    assert_int_equal(http_pick_format(NULL, "*/*", &f), 0);
    assert_int_equal(f, HTTP_FMT_JSON);
    assert_int_equal(http_pick_format(NULL, "application/vnd.apache.arrow.stream", &f), 0);
    assert_int_equal(f, HTTP_FMT_ARROW);
    assert_int_equal(http_pick_format(NULL, "image/png", &f), -1);
    assert_string_equal(http_format_mime(HTTP_FMT_CSV), "text/csv");
}

static void test_query_parse(void **state)
{
    http_limits_t lim = {16, 3};
    http_query_req_t q;
    uerr_t err = UERR_INIT;
    const char *ok = "{\"sql\": \"SELECT $1\", \"params\": [1.5, \"x\", null]}";
    assert_int_equal(http_query_parse(ok, strlen(ok), &lim, &q, &err), 0);
    assert_string_equal(q.sql, "SELECT $1");
    assert_int_equal(q.nparams, 3);
    assert_string_equal(q.params[0].data, "1.5");
    assert_string_equal(q.params[1].data, "x");
    assert_null(q.params[2].data);
    assert_int_equal(q.params[2].len, -1);
    http_query_free(&q);

    const char *nested = "{\"params\": [[1, 2], {\"a\": true}, false], \"sql\": \"x\"}";
    assert_int_equal(http_query_parse(nested, strlen(nested), &lim, &q, &err), 0);
    assert_string_equal(q.params[0].data, "[1,2]");
    assert_string_equal(q.params[1].data, "{\"a\":true}");
    assert_string_equal(q.params[2].data, "false");
    http_query_free(&q);

    static const struct {
        const char *body, *code;
    } bad[] = {
        {"", "22P02"},
        {"[]", "22023"},
        {"{\"sql\": 1}", "22023"},
        {"{\"sql\": \"x\", \"other\": 1}", "22023"},
        {"{\"sql\": \"x\", \"sql\": \"y\"}", "22P02"},
        {"{\"sql\": \"x\\u0000y\"}", "22P02"},
        {"{\"sql\": \"x\"} trailing", "22P02"},
        {"{\"sql\": \"01234567890123456\"}", "54000"},
        {"{\"sql\": \"x\", \"params\": [1, 2, 3, 4]}", "54000"},
        {"{\"sql\": \"x\", \"params\": {}}", "22023"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(http_query_parse(bad[i].body, strlen(bad[i].body), &lim, &q, &err), -1);
        assert_string_equal(err.sqlstate, bad[i].code);
        assert_null(q.sql);
        uerr_clear(&err);
    }
}

static void test_status_for(void **state)
{
    assert_int_equal(http_status_for("42601"), 400);
    assert_int_equal(http_status_for("22P02"), 400);
    assert_int_equal(http_status_for("28P01"), 401);
    assert_int_equal(http_status_for("25006"), 403);
    assert_int_equal(http_status_for("42501"), 403);
    assert_int_equal(http_status_for("42P01"), 404);
    assert_int_equal(http_status_for("57014"), 504);
    assert_int_equal(http_status_for("54000"), 413);
    assert_int_equal(http_status_for("53300"), 429);
    assert_int_equal(http_status_for("57P03"), 503);
    assert_int_equal(http_status_for("23505"), 409);
    assert_int_equal(http_status_for("XX000"), 500);
    assert_int_equal(http_status_for(""), 500);
    assert_int_equal(http_status_for(NULL), 500);
}

static void test_escaping(void **state)
{
    ubuf_t b = UBUF_INIT;
    http_json_str(&b, "a\"\\\n\x01\xc3\xa9\xff", 8);
    assert_string_equal(ubuf_cstr(&b), "\"a\\\"\\\\\\n\\u0001\xc3\xa9\xef\xbf\xbd\"");
    ubuf_reset(&b);
    http_csv_field(&b, "plain", 5);
    http_csv_field(&b, "", 0);
    http_csv_field(&b, "a,\"b\"", 5);
    http_csv_field(&b, " x", 2);
    assert_string_equal(ubuf_cstr(&b), "plain\"\"\"a,\"\"b\"\"\"\" x\"");
    ubuf_free(&b);
}

static void test_encoders(void **state)
{
    http_col_t cols[] = {{"a", "INTEGER", "number"}, {"b\"", "VARCHAR", "string"}};
    eng_value_t json_row[] = {{"1", 1}, {"\"x\"", 3}};
    eng_value_t null_row[] = {{NULL, -1}, {NULL, -1}};
    eng_value_t csv_row[] = {{"1", 1}, {"\"\"", 2}};
    http_enc_t e;
    ubuf_t b = UBUF_INIT;

    http_enc_begin(&e, HTTP_FMT_JSON, cols, 2, true, &b);
    http_enc_row(&e, json_row, &b);
    http_enc_row(&e, null_row, &b);
    http_enc_end(&e, 2, "SELECT 2", &b);
    assert_string_equal(
        ubuf_cstr(&b),
        "{\"columns\":[{\"name\":\"a\",\"type\":\"INTEGER\",\"json_type\":\"number\"},"
        "{\"name\":\"b\\\"\",\"type\":\"VARCHAR\",\"json_type\":\"string\"}],"
        "\"rows\":[[1,\"x\"],[null,null]],\"row_count\":2,\"command\":\"SELECT 2\"}\n");
    http_enc_free(&e);

    ubuf_reset(&b);
    http_enc_begin(&e, HTTP_FMT_JSON, cols, 2, true, &b);
    http_enc_row(&e, json_row, &b);
    http_enc_fail(&e, "22012", "division by zero", &b);
    http_enc_end(&e, 1, NULL, &b); /* ignored after a failure */
    assert_non_null(strstr(ubuf_cstr(&b),
                           "\"rows\":[[1,\"x\"]],\"row_count\":1,\"error\":"
                           "{\"code\":\"22012\",\"message\":\"division by zero\"}}\n"));
    http_enc_free(&e);

    ubuf_reset(&b);
    http_enc_begin(&e, HTTP_FMT_NDJSON, cols, 2, true, &b);
    http_enc_row(&e, json_row, &b);
    http_enc_row(&e, null_row, &b);
    http_enc_fail(&e, "57014", "cancelled", &b);
    assert_string_equal(ubuf_cstr(&b),
                        "{\"a\":1,\"b\\\"\":\"x\"}\n{\"a\":null,\"b\\\"\":null}\n"
                        "{\"error\":{\"code\":\"57014\",\"message\":\"cancelled\"}}\n");
    http_enc_free(&e);

    ubuf_reset(&b);
    http_enc_begin(&e, HTTP_FMT_CSV, cols, 2, true, &b);
    http_enc_row(&e, csv_row, &b);
    http_enc_row(&e, null_row, &b);
    http_enc_end(&e, 2, "SELECT 2", &b);
    assert_string_equal(ubuf_cstr(&b), "a,\"b\"\"\"\r\n1,\"\"\r\n,\r\n");
    http_enc_free(&e);

    ubuf_reset(&b);
    http_enc_begin(&e, HTTP_FMT_JSON, NULL, 0, true, &b);
    http_enc_end(&e, 3, "INSERT 0 3", &b);
    assert_string_equal(ubuf_cstr(&b), "{\"columns\":[],\"rows\":[],\"row_count\":3,"
                                       "\"command\":\"INSERT 0 3\"}\n");
    http_enc_free(&e);
    ubuf_free(&b);
}

static void test_csv_header(void **state)
{
    ubuf_t b = UBUF_INIT;
    uerr_t err = UERR_INIT;
    const char *h = "a,\"b \"\"q\"\"\",c\r";
    assert_int_equal(http_csv_header_columns(h, strlen(h), &b, &err), 0);
    assert_string_equal(ubuf_cstr(&b), "(\"a\", \"b \"\"q\"\"\", \"c\")");
    ubuf_reset(&b);
    assert_int_equal(http_csv_header_columns("a,,b", 4, &b, &err), -1);
    assert_string_equal(err.sqlstate, "42602");
    uerr_clear(&err);
    assert_int_equal(http_csv_header_columns("\"a", 2, &b, &err), -1);
    assert_string_equal(err.sqlstate, "22P04");
    uerr_clear(&err);
    ubuf_free(&b);
}

static void test_ndjson(void **state)
{
    http_ndjson_t n;
    ubuf_t out = UBUF_INIT;
    uerr_t err = UERR_INIT;
    const char *cols[] = {"a", "b", "c"};
    const char *body =
        "{\"b\": \"x,y\", \"a\": 1}\n\n{\"c\": [1, 2]}\r\n{\"a\": null, \"b\": \"\"}";
    http_ndjson_init(&n, 1024);
    http_ndjson_set_columns(&n, cols, 3);
    /* fed in two pieces split inside a line */
    assert_int_equal(http_ndjson_feed(&n, body, 10, &out, &err), 0);
    assert_int_equal(http_ndjson_feed(&n, body + 10, strlen(body) - 10, &out, &err), 0);
    assert_int_equal(http_ndjson_finish(&n, &out, &err), 0);
    assert_string_equal(ubuf_cstr(&out), "1,\"x,y\",\n,,\"[1,2]\"\n,\"\",\n");
    ubuf_reset(&out);
    assert_int_equal(http_ndjson_feed(&n, "{\"zz\": 1}\n", 10, &out, &err), -1);
    assert_string_equal(err.sqlstate, "42703");
    uerr_clear(&err);
    assert_int_equal(http_ndjson_feed(&n, "[1]\n", 4, &out, &err), -1);
    assert_string_equal(err.sqlstate, "22P02");
    uerr_clear(&err);
    http_ndjson_free(&n);

    http_ndjson_init(&n, 8); /* a line longer than the cap */
    assert_int_equal(http_ndjson_feed(&n, "{\"a\": 12345678}", 15, &out, &err), -1);
    assert_string_equal(err.sqlstate, "54000");
    uerr_clear(&err);
    http_ndjson_free(&n);
    ubuf_free(&out);
}

typedef struct {
    int n;
    char user[64];
} tok_seen_t;

static void tok_cb(void *ctx, const unsigned char *hash, const char *user, size_t n)
{
    tok_seen_t *s = ctx;
    s->n++;
    snprintf(s->user, sizeof s->user, "%.*s", (int)n, user);
}

static void test_tokens(void **state)
{
    char path[] = "/tmp/duckd-tokens-XXXXXX";
    char user[64];
    uerr_t err = UERR_INIT;
    tok_seen_t seen = {0};
    /* sha256("secret") */
    const char *text = "# comment\n\n"
                       "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b alice\n";
    assert_int_equal(tok_parse(text, strlen(text), "t", tok_cb, &seen, &err), 0);
    assert_int_equal(seen.n, 1);
    assert_string_equal(seen.user, "alice");
    assert_int_equal(tok_parse("abc alice\n", 10, "t", tok_cb, &seen, &err), -1);
    assert_string_equal(err.sqlstate, "F0000");
    assert_non_null(strstr(err.message, "t:1"));
    uerr_clear(&err);

    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    assert_int_equal(tok_lookup(path, "secret", 6, user, sizeof user, &err), 1);
    assert_string_equal(user, "alice");
    assert_int_equal(tok_lookup(path, "Secret", 6, user, sizeof user, &err), 0);
    assert_int_equal(tok_lookup("/nonexistent/tokens", "secret", 6, user, sizeof user, &err), 0);
    chmod(path, 0666); /* writable by others: refused */
    assert_int_equal(tok_lookup(path, "secret", 6, user, sizeof user, &err), -1);
    uerr_clear(&err);
    unlink(path);
}

/* Writes text to path (truncating) and sets its modification time to `mtime` (0: now). */
static void tok_write(const char *path, const char *text, time_t mtime)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    if (mtime) {
        struct timespec ts[2] = {{mtime, 0}, {mtime, 0}};
        assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
    }
}

/* The cached tokens file: every change is seen at the next lookup, also one that keeps the
 * size and (for a file modified long ago) the modification time. */
static void test_tokens_cache(void **state)
{
    char path[] = "/tmp/duckd-tokens-XXXXXX";
    char user[64];
    uerr_t err = UERR_INIT;
    /* sha256("secret") for alice, then the same line length for bob with another hash */
    const char *alice = "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b alice\n";
    const char *other = "0000000000000000000000000000000000000000000000000000000000000000 alice\n";
    const char *bob = "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b bob\n";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    tok_cache_clear();
    /* just written: read at every lookup, even a same-size rewrite in the same tick */
    tok_write(path, alice, 0);
    assert_int_equal(tok_lookup(path, "secret", 6, user, sizeof user, &err), 1);
    tok_write(path, other, 0);
    assert_int_equal(tok_lookup(path, "secret", 6, user, sizeof user, &err), 0);
    /* old enough to be cached; a same-size rewrite with the old mtime put back still shows
     * (its status-change time moved) */
    time_t old = time(NULL) - 3600;
    tok_write(path, alice, old);
    assert_int_equal(tok_lookup(path, "secret", 6, user, sizeof user, &err), 1);
    assert_int_equal(tok_lookup(path, "secret", 6, user, sizeof user, &err), 1); /* cached */
    assert_string_equal(user, "alice");
    tok_write(path, other, old);
    assert_int_equal(tok_lookup(path, "secret", 6, user, sizeof user, &err), 0);
    /* another user for the token; a replacement by rename; removal */
    tok_write(path, bob, old);
    assert_int_equal(tok_lookup(path, "secret", 6, user, sizeof user, &err), 1);
    assert_string_equal(user, "bob");
    char tmp[64];
    snprintf(tmp, sizeof tmp, "%s.new", path);
    tok_write(tmp, other, old);
    assert_int_equal(rename(tmp, path), 0);
    assert_int_equal(tok_lookup(path, "secret", 6, user, sizeof user, &err), 0);
    tok_write(path, alice, old);
    assert_int_equal(tok_lookup(path, "secret", 6, user, sizeof user, &err), 1);
    chmod(path, 0666); /* a chmod is seen too */
    assert_int_equal(tok_lookup(path, "secret", 6, user, sizeof user, &err), -1);
    uerr_clear(&err);
    unlink(path);
    assert_int_equal(tok_lookup(path, "secret", 6, user, sizeof user, &err), 0);
    tok_cache_clear();
}

static void test_password_check(void **state)
{
    ubuf_t v = UBUF_INIT;
    uerr_t err = UERR_INIT;
    assert_int_equal(pgw_scram_make_verifier("pässword", 4096, &v, &err), 0);
    assert_true(http_auth_password_ok(ubuf_cstr(&v), "pässword"));
    assert_false(http_auth_password_ok(ubuf_cstr(&v), "password"));
    assert_false(http_auth_password_ok("not a verifier", "x"));
    assert_false(http_auth_password_ok(NULL, "x"));
    ubuf_free(&v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_route),        cmocka_unit_test(test_table_ident),
        cmocka_unit_test(test_pick_format),  cmocka_unit_test(test_query_parse),
        cmocka_unit_test(test_status_for),   cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_encoders),     cmocka_unit_test(test_csv_header),
        cmocka_unit_test(test_ndjson),       cmocka_unit_test(test_tokens),
        cmocka_unit_test(test_tokens_cache), cmocka_unit_test(test_password_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
