/* libFuzzer target for the HTTP API's request-side parsers: the bytes as a POST /v1/query
 * body (jansson under duckd's caps), as an Accept header and a format= value, as a request
 * path, as an ingest table name, as a CSV header line, and as an NDJSON body fed in two
 * pieces split at the first byte's value. Every result must be consistent: success with a
 * filled request and no error, or failure with an error and nothing to free. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_query(const char *text, size_t size)
{
    http_query_req_t q;
    http_limits_t lim = {4096, 16};
    uerr_t err = UERR_INIT;
    if (http_query_parse(text, size, &lim, &q, &err) == 0) {
        if (err.message || !q.sql || strlen(q.sql) != q.sql_len || q.sql_len > lim.max_sql ||
            q.nparams > lim.max_params)
            abort();
        for (size_t i = 0; i < q.nparams; i++)
            if (q.params[i].data ? (int32_t)strlen(q.params[i].data) != q.params[i].len
                                 : q.params[i].len != -1)
                abort();
    } else if (!err.message || q.sql || q.params) {
        abort();
    }
    if (err.message && http_status_for(err.sqlstate) < 400)
        abort();
    http_query_free(&q);
    uerr_clear(&err);
}

static void check_strings(const char *s)
{
    http_format_t f;
    char table[HTTP_TABLE_MAX + 1];
    const char *allow;
    ubuf_t b = UBUF_INIT;
    uerr_t err = UERR_INIT;
    if (http_pick_format(NULL, s, &f) == 0 && (unsigned)f > HTTP_FMT_PARQUET)
        abort();
    (void)http_pick_format(s, NULL, &f);
    if (http_route("POST", s, table, &allow) == HTTP_ROUTE_INGEST) {
        if (http_table_ident(table, &b, &err) != 0 && !err.message)
            abort();
    }
    uerr_clear(&err);
    ubuf_reset(&b);
    if (http_csv_header_columns(s, strlen(s), &b, &err) != 0 && !err.message)
        abort();
    uerr_clear(&err);
    ubuf_reset(&b);
    http_json_str(&b, s, strlen(s));
    http_csv_field(&b, s, strlen(s));
    ubuf_free(&b);
}

static void check_ndjson(const char *text, size_t size)
{
    http_ndjson_t n;
    ubuf_t out = UBUF_INIT;
    uerr_t err = UERR_INIT;
    size_t cut = size ? (unsigned char)text[0] % (size + 1) : 0;
    http_ndjson_init(&n, 1024);
    if (size && text[0] & 1) {
        const char *cols[] = {"a", "b", "c"};
        http_ndjson_set_columns(&n, cols, 3);
    }
    if (http_ndjson_feed(&n, text, cut, &out, &err) == 0 &&
        http_ndjson_feed(&n, text + cut, size - cut, &out, &err) == 0)
        (void)http_ndjson_finish(&n, &out, &err);
    http_ndjson_free(&n);
    ubuf_free(&out);
    uerr_clear(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    check_query(text, size);
    check_strings(text);
    check_ndjson(text, size);
    free(text);
    return 0;
}
