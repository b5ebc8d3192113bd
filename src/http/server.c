/* http server: the libmicrohttpd driver of the HTTP API; see server.h.
 *
 * Threads: MHD runs one thread per connection; a request's access handler, its content
 * reader and the response's free callback all run on that thread, so the request's session
 * is used by one thread only. The registry's watchdog may interrupt the session from its own
 * thread (statement_timeout, the client's socket hung up), as for pgwire.
 *
 * A query runs in three steps: the final access-handler call parses the body, creates the
 * session, prepares, binds and runs the portal for its first batch of rows; errors up to
 * there get a proper status and a JSON error body. If rows remain, a chunked response
 * follows whose reader resumes the portal one batch at a time as MHD drains the socket
 * (MHD calls it only when there is room), so at most one batch is buffered. A failure later
 * ends the body with the format's error record (and cuts the stream for NDJSON and CSV). */
#include "http/server.h"

#include <errno.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "http/codec.h"
#include "http/console.h"
#include "http/ingest.h"
#include "http/internal.h"
#include "info/metrics.h"
#include "session/pool.h"
#include "session/registry.h"
#include "util/addr.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/xalloc.h"

#define HTTP_BLOCK (64 * 1024)        /* bytes MHD asks the reader for at most */
#define HTTP_BATCH_BYTES (256 * 1024) /* target size of one batch of encoded rows */
#define HTTP_BATCH_MIN 16             /* rows per batch, bounds */
#define HTTP_BATCH_MAX 65536
#define HTTP_BATCH_FIRST 1024
#define HTTP_BATCH_ARROW 16384    /* rows per batch of an Arrow stream (record batches of 2048) */
#define HTTP_DROP_MAX (64u << 20) /* body bytes read and dropped after a failure, at most */
/* buffer_memory (util/mem.h): while it is exhausted, a batch aims at this many bytes and the
 * stream gives its larger buffer back once MHD took it; request bodies up to HTTP_BLOCK are
 * always accepted, larger ones only within the budget. */
#define HTTP_BATCH_BYTES_LOW (32 * 1024)

struct http_server {
    http_server_cfg_t cfg;
    char *cert, *key; /* owned PEM copies */
    struct MHD_Daemon *d;
    sess_pool_t *pool; /* DuckDB connections requests reuse (owned; freed after the daemon) */
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- responses ---- */

/* Adds the CORS headers when the request's Origin is allowed. */
static void add_cors(const http_server_t *sv, struct MHD_Connection *c, struct MHD_Response *r)
{
    const char *origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
    const char *list = sv->cfg.cors_origins;
    size_t n;
    if (!origin || !list || !*list)
        return;
    n = strlen(origin);
    for (const char *p = list; *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *e = p;
        while (*e && *e != ',')
            e++;
        const char *t = e;
        while (t > p && t[-1] == ' ')
            t--;
        if ((t - p == 1 && *p == '*') || ((size_t)(t - p) == n && !strncmp(p, origin, n))) {
            MHD_add_response_header(r, "Access-Control-Allow-Origin", origin);
            MHD_add_response_header(r, "Vary", "Origin");
            MHD_add_response_header(r, "Access-Control-Expose-Headers",
                                    "X-Duckd-Row-Count, X-Duckd-Command");
            return;
        }
        p = e;
    }
}

static enum MHD_Result send_bytes(const http_server_t *sv, struct MHD_Connection *c, int status,
                                  const char *type, const char *data, size_t len)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, (void *)data, MHD_RESPMEM_MUST_COPY);
    enum MHD_Result ret;
    if (!r)
        return MHD_NO;
    metrics_bytes_sent(MET_HTTP, len);
    if (type)
        MHD_add_response_header(r, "Content-Type", type);
    MHD_add_response_header(r, "Cache-Control", "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    if (status == 401)
        MHD_add_response_header(r, "WWW-Authenticate",
                                sv->cfg.tls_cert_pem ? "Bearer, Basic realm=\"duckd\""
                                                     : "Bearer realm=\"duckd\"");
    add_cors(sv, c, r);
    ret = MHD_queue_response(c, (unsigned)status, r);
    MHD_destroy_response(r);
    return ret;
}

/* Sends an error: the status for its SQLSTATE (or `status` when > 0) and the JSON body. */
static enum MHD_Result send_error(const http_server_t *sv, struct MHD_Connection *c, int status,
                                  const uerr_t *err)
{
    ubuf_t b = UBUF_INIT;
    const char *code = err->sqlstate[0] ? err->sqlstate : "XX000";
    ulog(ULOG_DEBUG, "http: answering %d: %s %s", status > 0 ? status : http_status_for(code), code,
         err->message ? err->message : "");
    http_error_json(&b, code, err->message ? err->message : "internal error", err->detail,
                    err->hint);
    ubuf_putc(&b, '\n');
    enum MHD_Result ret = send_bytes(sv, c, status > 0 ? status : http_status_for(code),
                                     "application/json", b.data, b.len);
    ubuf_free(&b);
    return ret;
}

static enum MHD_Result send_simple_error(const http_server_t *sv, struct MHD_Connection *c,
                                         int status, const char *code, const char *msg)
{
    uerr_t err = UERR_INIT;
    uerr_set(&err, code, "%s", msg);
    enum MHD_Result ret = send_error(sv, c, status, &err);
    uerr_clear(&err);
    return ret;
}

static enum MHD_Result send_not_allowed(const http_server_t *sv, struct MHD_Connection *c,
                                        const char *allow)
{
    ubuf_t b = UBUF_INIT;
    struct MHD_Response *r;
    enum MHD_Result ret = MHD_NO;
    http_error_json(&b, "42601", "method not allowed on this endpoint", NULL, NULL);
    ubuf_putc(&b, '\n');
    r = MHD_create_response_from_buffer(b.len, b.data, MHD_RESPMEM_MUST_COPY);
    if (r) {
        MHD_add_response_header(r, "Content-Type", "application/json");
        MHD_add_response_header(r, "Allow", allow);
        add_cors(sv, c, r);
        ret = MHD_queue_response(c, MHD_HTTP_METHOD_NOT_ALLOWED, r);
        MHD_destroy_response(r);
    }
    ubuf_free(&b);
    return ret;
}

/* ---- sessions ---- */

/* Admits, creates and registers a session for who. Returns 0 with *out, or -1 with *err and
 * *status (429 / 503 for the registry's refusals). */
int http__sess_open(const http_server_t *sv, struct MHD_Connection *c, const http_who_t *who,
                    sess_encoding_t enc, http_sess_t **out, int *status, uerr_t *err)
{
    http_sess_t *hs = xcalloc(1, sizeof *hs);
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    int rc = -1;
    *status = 0;
    const union MHD_ConnectionInfo *ai =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    snprintf(hs->user, sizeof hs->user, "%s", who->user);
    hs->reg.proto = "http";
    uaddr_text(ai ? ai->client_addr : NULL, hs->reg.client, sizeof hs->reg.client);
    switch (sreg_admit(&hs->reg, ci ? ci->connect_fd : -1, hs->user)) {
    case SREG_ADMITTED: hs->registered = true; break;
    case SREG_STOPPING: uerr_set(err, "57P03", "the database system is shutting down"); goto out;
    case SREG_FULL: uerr_set(err, "53300", "sorry, too many clients already"); goto out;
    case SREG_USER_FULL:
        uerr_set(err, "53300", "too many connections for role \"%s\"", hs->user);
        goto out;
    }
    if (sess_create_pooled(sv->cfg.env, sv->pool, hs->user, "duckd", "http", &hs->sess, err) != 0)
        goto out;
    sess_set_role(hs->sess, who->role, false);
    sess_set_dialect(hs->sess, SESS_DIALECT_DUCKDB);
    sess_set_encoding(hs->sess, enc);
    sess_set_protocol(hs->sess, "http");
    if (sv->cfg.request_timeout_s > 0) {
        int64_t cur = sess_param_ms(hs->sess, "statement_timeout");
        int64_t want = (int64_t)sv->cfg.request_timeout_s * 1000;
        char v[32];
        if (cur == 0 || cur > want) {
            snprintf(v, sizeof v, "%lld", (long long)want);
            (void)sess_set_startup_option(hs->sess, "statement_timeout", v);
        }
    }
    sreg_attach(&hs->reg, hs->sess);
    sess_set_backend_pid(hs->sess, hs->reg.id);
    *out = hs;
    hs = NULL;
    rc = 0;
out:
    http__sess_close(hs);
    return rc;
}

void http__sess_close(http_sess_t *hs)
{
    if (!hs)
        return;
    if (hs->sess) {
        sreg_attach(&hs->reg, NULL);
        sess_destroy(hs->sess); /* a suspended streaming result is dropped, not buffered */
    }
    if (hs->registered)
        sreg_remove(&hs->reg);
    free(hs);
}

/* ---- query streams ---- */

typedef struct stream {
    const http_server_t *sv;
    http_sess_t *hs;
    http_format_t fmt;
    http_enc_t enc;
    ubuf_t out;        /* encoded bytes not yet handed to MHD */
    size_t out_pos;    /* of which this many were */
    bool suspended;    /* the portal has more rows */
    bool finished;     /* the answer is complete (or failed and ended) */
    bool cut;          /* end the body with an error (no final chunk) */
    int64_t batch;     /* rows of the next batch */
    int64_t deadline;  /* monotonic ms; 0 none */
    int64_t row_count; /* from completion */
    char command[64];
    size_t charged; /* bytes of out.cap counted in buffer_memory (UMEM_OUTPUT) */
} stream_t;

/* Brings the stream buffer's count in buffer_memory up to date with its capacity. */
static void st_account(stream_t *st)
{
    if (st->out.cap > st->charged)
        umem_charge(UMEM_OUTPUT, st->out.cap - st->charged);
    else if (st->out.cap < st->charged)
        umem_release(UMEM_OUTPUT, st->charged - st->out.cap);
    st->charged = st->out.cap;
}

static int st_row(void *ctx, const sess_value_t *vals, size_t n)
{
    stream_t *st = ctx;
    if (n != st->enc.ncols)
        return -1;
    http_enc_row(&st->enc, vals, &st->out);
    return 0;
}

/* Arrow IPC and Parquet: the session hands the stream's bytes as they are encoded */
static int st_data(void *ctx, const void *data, size_t len)
{
    stream_t *st = ctx;
    ubuf_append(&st->out, data, len);
    return 0;
}

static int st_complete(void *ctx, const sess_result_t *r)
{
    stream_t *st = ctx;
    st->row_count = r ? r->rows : -1;
    snprintf(st->command, sizeof st->command, "%s", r && r->tag ? r->tag : "");
    return 0;
}

static int st_desc(void *ctx, const sess_col_t *c, size_t n, const int16_t *f) { return 0; }
static int st_notice(void *ctx, const char *code, const char *msg) { return 0; }
static int st_param(void *ctx, const char *name, const char *value) { return 0; }

static int st_copy_begin(void *ctx, bool binary, size_t ncols) { return -1; }

static sess_sink_t st_sink(stream_t *st)
{
    sess_sink_t s = {.ctx = st,
                     .row_description = st_desc,
                     .row = st_row,
                     .complete = st_complete,
                     .notice = st_notice,
                     .parameter_status = st_param,
                     .copy_out_begin = st_copy_begin,
                     .copy_in_begin = st_copy_begin,
                     .stream_data = st_data};
    return s;
}

static void st_free(stream_t *st)
{
    if (!st)
        return;
    http__sess_close(st->hs);
    http_enc_free(&st->enc);
    ubuf_free(&st->out);
    st_account(st);
    free(st);
}

/* Runs the next batch of the portal; on its last rows also ends the implicit transaction.
 * Returns 0, or -1 with *err set (or unset: the client is gone). */
static int st_step(stream_t *st, uerr_t *err)
{
    sess_sink_t sink = st_sink(st);
    size_t before = st->out.len;
    uint64_t rows_before = st->enc.rows;
    if (st->deadline && now_ms() > st->deadline) {
        uerr_set(err, "57014", "canceling statement due to request timeout");
        return -1;
    }
    if (sess_execute(st->hs->sess, "", st->batch, &sink, &st->suspended, err) != 0)
        return -1;
    /* the next batch aims at HTTP_BATCH_BYTES of output */
    uint64_t rows = st->enc.rows - rows_before;
    if (rows > 0) {
        size_t per_row = (st->out.len - before) / rows + 1;
        int64_t b = (int64_t)((umem_over() ? HTTP_BATCH_BYTES_LOW : HTTP_BATCH_BYTES) / per_row);
        st->batch = b < HTTP_BATCH_MIN ? HTTP_BATCH_MIN : b > HTTP_BATCH_MAX ? HTTP_BATCH_MAX : b;
    }
    if (st->suspended)
        return 0;
    if (sess_sync(st->hs->sess, &sink, err) != 0)
        return -1;
    http_enc_end(&st->enc, st->row_count, st->command[0] ? st->command : NULL, &st->out);
    st->finished = true;
    return 0;
}

/* Ends a stream that failed after its headers went out. */
static void st_fail(stream_t *st, const uerr_t *err)
{
    const char *code = err->sqlstate[0] ? err->sqlstate : "XX000";
    ulog(ULOG_INFO, "http: query failed while streaming: %s %s", code,
         err->message ? err->message : "");
    http_enc_fail(&st->enc, code, err->message ? err->message : "client gone", &st->out);
    st->finished = true;
    st->cut = st->fmt != HTTP_FMT_JSON;
}

static ssize_t st_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    stream_t *st = cls;
    while (st->out_pos >= st->out.len) {
        uerr_t err = UERR_INIT;
        ubuf_reset(&st->out);
        if (st->out.cap > HTTP_BATCH_BYTES_LOW && umem_over())
            ubuf_free(&st->out); /* the budget is short: give the larger buffer back */
        st->out_pos = 0;
        if (st->finished)
            return st->cut ? MHD_CONTENT_READER_END_WITH_ERROR : MHD_CONTENT_READER_END_OF_STREAM;
        if (st_step(st, &err) != 0) {
            if (!uerr_isset(&err))
                return MHD_CONTENT_READER_END_WITH_ERROR; /* the client is gone */
            st_fail(st, &err);
        }
        uerr_clear(&err);
    }
    if (st->out.cap != st->charged)
        st_account(st);
    size_t n = st->out.len - st->out_pos;
    if (n > max)
        n = max;
    memcpy(buf, st->out.data + st->out_pos, n);
    st->out_pos += n;
    metrics_bytes_sent(MET_HTTP, n);
    return (ssize_t)n;
}

static void st_free_cb(void *cls) { st_free(cls); }

/* ---- requests ---- */

typedef struct req {
    http_route_t route;
    bool failed; /* the body broke a cap or the ingest failed: err is the answer */
    int status;  /* its HTTP status (0: the SQLSTATE's) */
    uerr_t err;
    size_t dropped; /* body bytes dropped after the failure */
    char table[HTTP_TABLE_MAX + 1];
    ubuf_t body;
    size_t charged; /* bytes of body counted in buffer_memory (UMEM_INPUT) */
    bool answered;  /* a response was queued */
    http_who_t who;
    http_format_t fmt;
    http_ingest_t *ingest;
} req_t;

/* Records a failure found while the body arrives: MHD cannot answer before the whole request
 * was read, so the rest of the body is dropped and the error sent at the end. */
static void req_fail(req_t *rq, int status, const char *code, const char *msg)
{
    rq->failed = true;
    rq->status = status;
    uerr_set(&rq->err, code, "%s", msg);
}

/* Counts a request body of len bytes in buffer_memory: HTTP_BLOCK always, more only within
 * the budget. Returns 0, or -1 with the request failed (503, SQLSTATE 53200). */
static int req_charge(req_t *rq, size_t len)
{
    if (len <= rq->charged)
        return 0;
    size_t free_part = len < HTTP_BLOCK ? len : HTTP_BLOCK;
    size_t old_free = rq->charged < HTTP_BLOCK ? rq->charged : HTTP_BLOCK;
    size_t extra = (len - free_part) - (rq->charged - old_free);
    if (extra > 0 && !umem_try_reserve(UMEM_INPUT, extra)) {
        req_fail(rq, 503, "53200", "out of memory: the server's buffer_memory is exhausted");
        return -1;
    }
    umem_charge(UMEM_INPUT, free_part - old_free);
    rq->charged = len;
    return 0;
}

/* Runs one statement for who and answers with its result in fmt (Content-Type mime, NULL:
 * the format's). */
static enum MHD_Result run_sql(http_server_t *sv, struct MHD_Connection *c, const http_who_t *who,
                               http_format_t fmt, const char *mime, const http_query_req_t *q)
{
    uerr_t err = UERR_INIT;
    stream_t *st = xcalloc(1, sizeof *st);
    eng_param_t *params = NULL;
    http_col_t *hcols = NULL;
    const sess_col_t *cols;
    const int16_t *formats;
    size_t ncols = 0;
    int status = 0;
    enum MHD_Result ret = MHD_NO;
    st->sv = sv;
    st->fmt = fmt;
    st->batch = fmt == HTTP_FMT_ARROW ? HTTP_BATCH_ARROW : HTTP_BATCH_FIRST;
    st->row_count = -1;
    if (sv->cfg.request_timeout_s > 0)
        st->deadline = now_ms() + (int64_t)sv->cfg.request_timeout_s * 1000;
    sess_encoding_t enc = fmt == HTTP_FMT_CSV       ? SESS_ENC_CSV
                          : fmt == HTTP_FMT_ARROW   ? SESS_ENC_ARROW
                          : fmt == HTTP_FMT_PARQUET ? SESS_ENC_PARQUET
                                                    : SESS_ENC_JSON;
    if (http__sess_open(sv, c, who, enc, &st->hs, &status, &err) != 0)
        goto fail;
    params = xcalloc(q->nparams + 1, sizeof *params);
    for (size_t i = 0; i < q->nparams; i++)
        params[i] = (eng_param_t){(const uint8_t *)q->params[i].data, q->params[i].len, 0, 0};
    /* the statement is alone in its implicit transaction: it commits by itself, with no
     * BEGIN/COMMIT around it (the hint must come before Describe, which starts the portal) */
    sess_hint_last(st->hs->sess, true);
    if (sess_prepare(st->hs->sess, "", q->sql, q->sql_len, NULL, 0, &err) != 0 ||
        sess_bind(st->hs->sess, "", "", params, q->nparams, NULL, 0, &err) != 0 ||
        sess_describe_portal(st->hs->sess, "", &cols, &ncols, &formats, &err) != 0)
        goto fail;
    hcols = xcalloc(ncols + 1, sizeof *hcols);
    for (size_t i = 0; i < ncols; i++)
        hcols[i] = (http_col_t){cols[i].name, cols[i].type_name, cols[i].json_type};
    http_enc_begin(&st->enc, fmt, hcols, ncols, true, &st->out);
    if (st_step(st, &err) != 0) {
        if (!uerr_isset(&err))
            uerr_set(&err, "08006", "connection failure");
        goto fail;
    }
    struct MHD_Response *r;
    if (st->finished) { /* the whole answer is here: send it with a length */
        r = MHD_create_response_from_buffer(st->out.len, st->out.data, MHD_RESPMEM_MUST_COPY);
        metrics_bytes_sent(MET_HTTP, st->out.len);
    } else {
        r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, HTTP_BLOCK, st_read, st,
                                              st_free_cb);
    }
    if (!r)
        goto out;
    MHD_add_response_header(r, "Content-Type", mime ? mime : http_format_mime(fmt));
    MHD_add_response_header(r, "Cache-Control", "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    if (st->finished && ncols == 0) {
        char v[32];
        snprintf(v, sizeof v, "%lld", (long long)st->row_count);
        MHD_add_response_header(r, "X-Duckd-Row-Count", v);
        if (st->command[0])
            MHD_add_response_header(r, "X-Duckd-Command", st->command);
    }
    add_cors(sv, c, r);
    ret = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    if (!st->finished)
        st = NULL; /* the response owns it now */
    goto out;
fail:
    ret = send_error(sv, c, status, &err);
out:
    st_free(st);
    free(hcols);
    free(params);
    uerr_clear(&err);
    return ret;
}

static enum MHD_Result run_query(http_server_t *sv, struct MHD_Connection *c, req_t *rq)
{
    http_query_req_t q = {0};
    http_limits_t lim = {sv->cfg.max_body, sv->cfg.max_params};
    uerr_t err = UERR_INIT;
    enum MHD_Result ret;
    if (http_query_parse(rq->body.data ? rq->body.data : "", rq->body.len, &lim, &q, &err) != 0)
        ret = send_error(sv, c, 0, &err);
    else
        ret = run_sql(sv, c, &rq->who, rq->fmt, NULL, &q);
    http_query_free(&q);
    uerr_clear(&err);
    return ret;
}

/* GET /v1/info, GET /v1/sessions, POST /v1/sessions/{id}/cancel: duckd's own table functions
 * (info/), run as the request's user so their admin-only rules apply. */
static enum MHD_Result run_builtin(http_server_t *sv, struct MHD_Connection *c, req_t *rq)
{
    http_query_req_t q = {0};
    http_param_t id = {rq->table, (int32_t)strlen(rq->table)};
    switch (rq->route) {
    case HTTP_ROUTE_INFO: /* one row: answered as one JSON object (an NDJSON line) */
        q.sql = "SELECT * FROM duckd_info()";
        q.sql_len = strlen(q.sql);
        return run_sql(sv, c, &rq->who, HTTP_FMT_NDJSON, "application/json", &q);
    case HTTP_ROUTE_SESSIONS:
        q.sql = "SELECT * FROM duckd_sessions()";
        q.sql_len = strlen(q.sql);
        return run_sql(sv, c, &rq->who, HTTP_FMT_JSON, NULL, &q);
    default:
        q.sql = "SELECT * FROM duckd_cancel($1::BIGINT)";
        q.sql_len = strlen(q.sql);
        q.params = &id;
        q.nparams = 1;
        return run_sql(sv, c, &rq->who, HTTP_FMT_NDJSON, "application/json", &q);
    }
}

/* Answers GET / and /console/NAME with an embedded console file (404 JSON when there is no
 * such file; 304 when the browser's copy is current). No authentication: the page holds no
 * data, and the API calls it makes authenticate themselves. */
static enum MHD_Result send_console(const http_server_t *sv, struct MHD_Connection *c,
                                    const char *url)
{
    const unsigned char *data;
    size_t len;
    const char *type, *inm;
    bool fresh;
    struct MHD_Response *r;
    enum MHD_Result ret;
    if (!http_console_asset(url, &data, &len, &type))
        return send_simple_error(sv, c, 404, "42704", "no such console file");
    inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "If-None-Match");
    fresh = inm && !strcmp(inm, http_console_etag());
    r = MHD_create_response_from_buffer(fresh ? 0 : len, (void *)data, MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    if (!fresh)
        MHD_add_response_header(r, "Content-Type", type);
    MHD_add_response_header(r, "ETag", http_console_etag());
    MHD_add_response_header(r, "Cache-Control", HTTP_CONSOLE_CACHE);
    MHD_add_response_header(r, "Content-Security-Policy", HTTP_CONSOLE_CSP);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "X-Frame-Options", "DENY");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    ret = MHD_queue_response(c, fresh ? MHD_HTTP_NOT_MODIFIED : MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result send_health(http_server_t *sv, struct MHD_Connection *c, bool ready)
{
    if (ready && sreg_shutting_down())
        return send_bytes(sv, c, 503, "application/json", "{\"status\":\"shutting down\"}\n", 27);
    return ready ? send_bytes(sv, c, 200, "application/json", "{\"status\":\"ready\"}\n", 19)
                 : send_bytes(sv, c, 200, "application/json", "{\"status\":\"ok\"}\n", 16);
}

static enum MHD_Result send_preflight(http_server_t *sv, struct MHD_Connection *c,
                                      const char *allow)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
    enum MHD_Result ret;
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Allow", allow);
    if (sv->cfg.cors_origins && *sv->cfg.cors_origins) {
        add_cors(sv, c, r);
        MHD_add_response_header(r, "Access-Control-Allow-Methods", allow);
        MHD_add_response_header(r, "Access-Control-Allow-Headers",
                                "Authorization, Content-Type, Accept");
        MHD_add_response_header(r, "Access-Control-Max-Age", "600");
    }
    ret = MHD_queue_response(c, MHD_HTTP_NO_CONTENT, r);
    MHD_destroy_response(r);
    return ret;
}

/* The first call of a request: route, size, format and authentication checks, so a refusal
 * goes out before the body is read. Returns MHD_YES with rq->answered set when it answered. */
static enum MHD_Result begin_request(http_server_t *sv, struct MHD_Connection *c, req_t *rq,
                                     const char *method, const char *url)
{
    const char *allow, *len;
    const union MHD_ConnectionInfo *ci;
    uerr_t err = UERR_INIT;
    int status = 0;
    enum MHD_Result ret = MHD_YES;
    rq->route = http_route(method, url, rq->table, &allow);
    rq->answered = true;
    switch (rq->route) {
    case HTTP_ROUTE_NOT_FOUND: return send_simple_error(sv, c, 404, "42704", "no such endpoint");
    case HTTP_ROUTE_BAD_METHOD: return send_not_allowed(sv, c, allow);
    case HTTP_ROUTE_PREFLIGHT: return send_preflight(sv, c, allow);
    case HTTP_ROUTE_HEALTHZ: return send_health(sv, c, false);
    case HTTP_ROUTE_READYZ: return send_health(sv, c, true);
    case HTTP_ROUTE_CONSOLE: return send_console(sv, c, url);
    default: break;
    }
    len = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
    size_t cap = rq->route == HTTP_ROUTE_QUERY ? sv->cfg.max_body : sv->cfg.max_ingest;
    if (len && strtoull(len, NULL, 10) > cap)
        return send_simple_error(sv, c, 413, "54000", "request body too large");
    if (rq->route == HTTP_ROUTE_QUERY &&
        http_pick_format(MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "format"),
                         MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept"), &rq->fmt) != 0)
        return send_simple_error(sv, c, 406, "0A000",
                                 "no acceptable result format: use json, ndjson or csv");
    if (rq->fmt == HTTP_FMT_PARQUET && !sv->cfg.parquet)
        return send_simple_error(sv, c, 406, "0A000",
                                 "Parquet results are off (http_parquet_max_size is 0): "
                                 "use format=arrow, csv or ndjson");
    ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (http_auth(&sv->cfg.auth, MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization"),
                  ci ? ci->client_addr : NULL, sv->cfg.tls_cert_pem != NULL, &rq->who, &status,
                  &err) != 0) {
        ulog(ULOG_WARN, "http: authentication failed: %s", err.message);
        ret = send_error(sv, c, status, &err);
        uerr_clear(&err);
        return ret;
    }
    if (rq->route == HTTP_ROUTE_METRICS) {
        ubuf_t m = UBUF_INIT;
        metrics_render(&m);
        ret = send_bytes(sv, c, 200, "text/plain; version=0.0.4", m.data ? m.data : "", m.len);
        ubuf_free(&m);
        return ret;
    }
    if (rq->route == HTTP_ROUTE_INGEST) {
        http_ingest_cfg_t icfg = {sv->cfg.max_ingest, sv->cfg.max_row_size};
        if (http_ingest_begin(&icfg, rq->table,
                              MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type"),
                              MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "format"),
                              MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "header"),
                              &rq->ingest, &status, &err) != 0) {
            ret = send_error(sv, c, status, &err);
            uerr_clear(&err);
            return ret;
        }
    }
    rq->answered = false;
    return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    http_server_t *sv = cls;
    req_t *rq = *con_cls;
    if (!rq) {
        rq = xcalloc(1, sizeof *rq);
        *con_cls = rq;
        return begin_request(sv, c, rq, method, url);
    }
    if (rq->answered) { /* refused before the body: MHD closes after the answer */
        *upload_size = 0;
        return MHD_YES;
    }
    if (*upload_size > 0) {
        size_t n = *upload_size;
        *upload_size = 0;
        if (rq->failed) { /* drop the rest of the body, up to a bound, then answer */
            rq->dropped += n;
            return rq->dropped > HTTP_DROP_MAX ? MHD_NO : MHD_YES;
        }
        if (rq->route == HTTP_ROUTE_QUERY) {
            if (rq->body.len + n > sv->cfg.max_body) {
                req_fail(rq, 413, "54000", "request body too large");
                return MHD_YES;
            }
            if (req_charge(rq, rq->body.len + n) != 0)
                return MHD_YES;
            ubuf_append(&rq->body, upload, n);
        } else if (http_ingest_feed(rq->ingest, sv, c, &rq->who, upload, n, &rq->status,
                                    &rq->err) != 0) {
            rq->failed = true;
            http_ingest_free(rq->ingest); /* rolls the COPY back now */
            rq->ingest = NULL;
        }
        return MHD_YES;
    }
    if (rq->failed) {
        rq->answered = true;
        return send_error(sv, c, rq->status, &rq->err);
    }
    rq->answered = true;
    if (rq->route == HTTP_ROUTE_QUERY)
        return run_query(sv, c, rq);
    if (rq->route != HTTP_ROUTE_INGEST)
        return run_builtin(sv, c, rq);
    /* ingest: the body is all there */
    {
        uerr_t err = UERR_INIT;
        int st = 0;
        int64_t rows = 0;
        enum MHD_Result ret;
        if (http_ingest_finish(rq->ingest, sv, c, &rq->who, &rows, &st, &err) != 0) {
            ret = send_error(sv, c, st, &err);
        } else {
            char body[64];
            int n = snprintf(body, sizeof body, "{\"row_count\":%lld}\n", (long long)rows);
            ret = send_bytes(sv, c, 200, "application/json", body, (size_t)n);
        }
        uerr_clear(&err);
        return ret;
    }
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    req_t *rq = *con_cls;
    if (!rq)
        return;
    http_ingest_free(rq->ingest);
    ubuf_free(&rq->body);
    umem_release(UMEM_INPUT, rq->charged);
    uerr_clear(&rq->err);
    free(rq);
    *con_cls = NULL;
}

static void on_log(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
static void on_log(void *cls, const char *fmt, va_list ap)
{
    char buf[512];
    vsnprintf(buf, sizeof buf, fmt, ap);
    size_t n = strlen(buf);
    while (n > 0 && buf[n - 1] == '\n')
        buf[--n] = '\0';
    ulog(ULOG_DEBUG, "http: %s", buf);
}

/* ---- lifecycle ---- */

int http_server_start(const http_server_cfg_t *cfg, http_server_t **out, uerr_t *err)
{
    http_server_t *sv = xcalloc(1, sizeof *sv);
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC |
                     MHD_USE_ERROR_LOG;
    unsigned timeout = cfg->request_timeout_s > 0 && cfg->request_timeout_s < 60
                           ? (unsigned)cfg->request_timeout_s
                           : 60;
    struct MHD_OptionItem opts[16];
    int n = 0, rc = -1;
    sv->cfg = *cfg;
    sv->pool = sess_pool_new(cfg->connection_pool);
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)on_log, NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_LISTEN_SOCKET, cfg->listen_fd, NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT, cfg->max_connections, NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT, timeout, NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_MEMORY_LIMIT, 64 * 1024, NULL};
    if (cfg->tls_cert_pem) {
        if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
            uerr_set(err, "F0000", "this libmicrohttpd has no TLS support: cannot serve HTTPS");
            goto out;
        }
        sv->cert = xstrdup(cfg->tls_cert_pem);
        sv->key = xstrdup(cfg->tls_key_pem);
        sv->cfg.tls_cert_pem = sv->cert;
        sv->cfg.tls_key_pem = sv->key;
        flags |= MHD_USE_TLS;
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, sv->cert};
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, sv->key};
        opts[n++] = (struct MHD_OptionItem){
            MHD_OPTION_HTTPS_PRIORITIES, 0,
            (void *)(cfg->tls_min_version && !strcmp(cfg->tls_min_version, "TLSv1.3")
                         ? "NORMAL:-VERS-ALL:+VERS-TLS1.3"
                         : "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2")};
    }
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    sv->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, sv, MHD_OPTION_ARRAY, opts,
                             MHD_OPTION_END);
    if (!sv->d) {
        uerr_set(err, "F0000", "cannot start the HTTP server (libmicrohttpd refused the options%s)",
                 cfg->tls_cert_pem ? "; check the TLS certificate and key" : "");
        goto out;
    }
    metrics_set_pool(sv->pool);
    *out = sv;
    sv = NULL;
    rc = 0;
out:
    if (sv) {
        close(cfg->listen_fd);
        sess_pool_free(sv->pool);
        free(sv->cert);
        free(sv->key);
        free(sv);
    }
    return rc;
}

void http_server_quiesce(http_server_t *s)
{
    if (!s || !s->d)
        return;
    MHD_socket fd = MHD_quiesce_daemon(s->d);
    if (fd != MHD_INVALID_SOCKET)
        close(fd);
}

void http_server_stop(http_server_t *s)
{
    if (!s)
        return;
    if (s->d)
        MHD_stop_daemon(s->d); /* every request's session ended: the pool is idle */
    metrics_set_pool(NULL);
    sess_pool_free(s->pool);
    if (s->key)
        memset(s->key, 0, strlen(s->key));
    free(s->cert);
    free(s->key);
    free(s);
}
