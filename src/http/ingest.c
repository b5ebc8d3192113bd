/* http ingest: a request body streamed into a table through COPY ... FROM STDIN; see ingest.h.
 *
 * Two threads share one hand-off slot under a mutex: the connection thread (producer) lends
 * a piece of the body and waits until the worker (consumer, inside the session's COPY) asks
 * for the next one, which returns the previous piece; eof, abort and the worker's end wake
 * the other side. */
#include "http/ingest.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/codec.h"
#include "http/internal.h"
#include "util/buf.h"
#include "util/xalloc.h"

#define INGEST_HEADER_MAX (64 * 1024) /* bytes of a CSV header line */

struct http_ingest {
    http_ingest_cfg_t cfg;
    bool ndjson;      /* else CSV */
    bool header;      /* CSV: the first line names the columns */
    ubuf_t ident;     /* the quoted table name */
    ubuf_t first;     /* CSV: the body up to its first line end, until the COPY starts */
    http_ndjson_t nd; /* NDJSON: the converter to CSV */
    ubuf_t conv;      /* NDJSON: converted rows not yet handed over */
    size_t received;  /* body bytes so far */

    bool started; /* the worker runs (or ran) */
    pthread_t th;
    http_sess_t *hs;
    ubuf_t sql;

    pthread_mutex_t mu;
    pthread_cond_t cv;
    const char *piece; /* lent by the producer, NULL when none */
    size_t piece_len;
    bool lent;    /* the consumer holds piece until its next read */
    bool eof;     /* the producer has no more */
    bool aborted; /* the request ended without its body: the COPY must fail */
    bool done;    /* the worker's COPY returned */
    int rc;
    uerr_t err;
    int64_t rows;
};

/* ---- the worker ---- */

static int in_read(void *ctx, const void **data, size_t *len, uerr_t *err)
{
    http_ingest_t *in = ctx;
    int rc;
    pthread_mutex_lock(&in->mu);
    if (in->lent) { /* the previous piece is consumed: give it back */
        in->lent = false;
        in->piece = NULL;
        pthread_cond_broadcast(&in->cv);
    }
    while (!in->piece && !in->eof && !in->aborted)
        pthread_cond_wait(&in->cv, &in->mu);
    if (in->aborted) {
        uerr_set(err, "08006", "the client disconnected before the end of the body");
        rc = -1;
    } else if (in->piece) {
        *data = in->piece;
        *len = in->piece_len;
        in->lent = true;
        rc = 1;
    } else {
        rc = 0;
    }
    pthread_mutex_unlock(&in->mu);
    return rc;
}

static int in_complete(void *ctx, const sess_result_t *r)
{
    http_ingest_t *in = ctx;
    in->rows = r && r->rows > 0 ? r->rows : 0;
    return 0;
}

static int in_ok(void *ctx) { return 0; }
static int in_copy_begin(void *ctx, bool binary, size_t ncols) { return 0; }
static int in_desc(void *ctx, const sess_col_t *c, size_t n, const int16_t *f) { return 0; }
static int in_row(void *ctx, const sess_value_t *v, size_t n) { return 0; }
static int in_notice(void *ctx, const char *code, const char *msg) { return 0; }
static int in_param(void *ctx, const char *name, const char *value) { return 0; }
static int in_copy_out(void *ctx, bool binary, size_t ncols) { return -1; }
static int in_copy_data(void *ctx, const void *d, size_t n) { return -1; }

static void *in_main(void *arg)
{
    http_ingest_t *in = arg;
    /* else it inherits "MHD-connection" from its creator: a crash report names it apart */
    pthread_setname_np(pthread_self(), "duckd-ingest");
    sess_sink_t sink = {.ctx = in,
                        .row_description = in_desc,
                        .row = in_row,
                        .complete = in_complete,
                        .notice = in_notice,
                        .parameter_status = in_param,
                        .copy_out_begin = in_copy_out,
                        .copy_data = in_copy_data,
                        .copy_out_end = in_ok,
                        .copy_in_begin = in_copy_begin,
                        .copy_in_read = in_read};
    uerr_t err = UERR_INIT;
    int rc = sess_simple_query(in->hs->sess, in->sql.data, in->sql.len, &sink, &err);
    if (rc != 0 && !uerr_isset(&err))
        uerr_set(&err, "08006", "the client disconnected before the end of the body");
    pthread_mutex_lock(&in->mu);
    in->rc = rc;
    uerr_move(&in->err, &err);
    in->done = true;
    in->lent = false;
    in->piece = NULL;
    pthread_cond_broadcast(&in->cv);
    pthread_mutex_unlock(&in->mu);
    return NULL;
}

/* ---- the producer ---- */

int http_ingest_begin(const http_ingest_cfg_t *cfg, const char *table, const char *content_type,
                      const char *format, const char *header, http_ingest_t **out, int *status,
                      uerr_t *err)
{
    http_ingest_t *in = xcalloc(1, sizeof *in);
    *out = NULL;
    *status = 400;
    in->cfg = *cfg;
    pthread_mutex_init(&in->mu, NULL);
    pthread_cond_init(&in->cv, NULL);
    http_ndjson_init(&in->nd, cfg->max_line);
    if (format) {
        in->ndjson = !strcasecmp(format, "ndjson");
        if (!in->ndjson && strcasecmp(format, "csv")) {
            *status = 415;
            uerr_set(err, "0A000", "ingest formats are csv and ndjson");
            goto fail;
        }
    } else if (content_type) {
        size_t n = strcspn(content_type, "; \t");
        in->ndjson = (n == 20 && !strncasecmp(content_type, "application/x-ndjson", n)) ||
                     (n == 18 && !strncasecmp(content_type, "application/ndjson", n)) ||
                     (n == 17 && !strncasecmp(content_type, "application/jsonl", n));
        if (!in->ndjson && !(n == 8 && !strncasecmp(content_type, "text/csv", n))) {
            *status = 415;
            uerr_set(err, "0A000",
                     "the body must be text/csv or application/x-ndjson (Content-Type)");
            goto fail;
        }
    } else {
        *status = 415;
        uerr_set(err, "0A000",
                 "say what the body is: Content-Type text/csv or application/x-ndjson");
        goto fail;
    }
    in->header = !header || !strcasecmp(header, "true") || !strcmp(header, "1");
    if (header && !in->header && strcasecmp(header, "false") && strcmp(header, "0")) {
        uerr_set(err, "22023", "header must be true or false");
        goto fail;
    }
    if (http_table_ident(table, &in->ident, err) != 0)
        goto fail;
    *out = in;
    return 0;
fail:
    http_ingest_free(in);
    return -1;
}

/* NDJSON: the table's columns, in order, become the converter's (and the COPY's). */
static int in_table_columns(http_ingest_t *in, uerr_t *err)
{
    ubuf_t q = UBUF_INIT;
    const uint32_t *oids;
    const sess_col_t *cols;
    size_t nparams, ncols = 0;
    const char **names = NULL;
    int rc = -1;
    ubuf_printf(&q, "SELECT * FROM %.*s LIMIT 0", (int)in->ident.len, in->ident.data);
    if (sess_prepare(in->hs->sess, "", q.data, q.len, NULL, 0, err) != 0 ||
        sess_describe_statement(in->hs->sess, "", &oids, &nparams, &cols, &ncols, err) != 0)
        goto out;
    names = xcalloc(ncols + 1, sizeof *names);
    for (size_t i = 0; i < ncols; i++)
        names[i] = cols[i].name;
    http_ndjson_set_columns(&in->nd, names, ncols);
    rc = 0;
out:
    (void)sess_close_statement(in->hs->sess, "");
    free(names);
    ubuf_free(&q);
    return rc;
}

/* Starts the worker with COPY table [columns] FROM STDIN (FORMAT csv ...). */
static int in_start(http_ingest_t *in, const http_server_t *sv, struct MHD_Connection *c,
                    const http_who_t *who, const ubuf_t *columns, int *status, uerr_t *err)
{
    ubuf_printf(&in->sql, "COPY %.*s", (int)in->ident.len, in->ident.data);
    if (columns && columns->len)
        ubuf_printf(&in->sql, " %.*s", (int)columns->len, columns->data);
    ubuf_printf(&in->sql, " FROM STDIN (FORMAT csv%s)",
                !in->ndjson && in->header ? ", HEADER true" : "");
    if (http__sess_open(sv, c, who, SESS_ENC_PG, &in->hs, status, err) != 0)
        return -1;
    if (in->ndjson && in_table_columns(in, err) != 0)
        return -1;
    if (pthread_create(&in->th, NULL, in_main, in) != 0) {
        *status = 503;
        uerr_set(err, "53000", "cannot start the ingest thread");
        return -1;
    }
    in->started = true;
    return 0;
}

/* Lends data to the worker and waits until it consumed it. Returns 0, or -1 when the worker
 * ended (with its error). */
static int in_lend(http_ingest_t *in, const char *data, size_t len, int *status, uerr_t *err)
{
    int rc = 0;
    if (len == 0)
        return 0;
    pthread_mutex_lock(&in->mu);
    if (!in->done) {
        in->piece = data;
        in->piece_len = len;
        pthread_cond_broadcast(&in->cv);
        while ((in->piece || in->lent) && !in->done)
            pthread_cond_wait(&in->cv, &in->mu);
    }
    if (in->done) {
        in->piece = NULL;
        if (in->rc != 0 || uerr_isset(&in->err)) {
            uerr_move(err, &in->err);
            if (!uerr_isset(err))
                uerr_set(err, "XX000", "the COPY ended early");
        } else {
            uerr_set(err, "22P04", "the COPY ended before the body did");
        }
        *status = 0;
        rc = -1;
    }
    pthread_mutex_unlock(&in->mu);
    return rc;
}

int http_ingest_feed(http_ingest_t *in, const http_server_t *sv, struct MHD_Connection *c,
                     const http_who_t *who, const char *data, size_t len, int *status, uerr_t *err)
{
    ubuf_t cols = UBUF_INIT;
    int rc = -1;
    *status = 0;
    in->received += len;
    if (in->received > in->cfg.max_body) {
        *status = 413;
        uerr_set(err, "54000", "request body too large (more than %zu bytes)", in->cfg.max_body);
        goto out;
    }
    if (in->ndjson) {
        if (!in->started && in_start(in, sv, c, who, NULL, status, err) != 0)
            goto out;
        ubuf_reset(&in->conv);
        if (http_ndjson_feed(&in->nd, data, len, &in->conv, err) != 0 ||
            in_lend(in, in->conv.data, in->conv.len, status, err) != 0)
            goto out;
        rc = 0;
        goto out;
    }
    if (in->started) {
        rc = in_lend(in, data, len, status, err);
        goto out;
    }
    if (!in->header) {
        if (in_start(in, sv, c, who, NULL, status, err) != 0)
            goto out;
        rc = in_lend(in, data, len, status, err);
        goto out;
    }
    /* CSV with a header: collect the first line, which names the columns */
    const char *nl = memchr(data, '\n', len);
    size_t take = nl ? (size_t)(nl - data) + 1 : len;
    if (in->first.len + take > INGEST_HEADER_MAX) {
        *status = 413;
        uerr_set(err, "54000", "the CSV header line is longer than %d bytes", INGEST_HEADER_MAX);
        goto out;
    }
    ubuf_append(&in->first, data, take);
    if (!nl) {
        rc = 0;
        goto out;
    }
    if (http_csv_header_columns(in->first.data, in->first.len - 1, &cols, err) != 0 ||
        in_start(in, sv, c, who, &cols, status, err) != 0 ||
        in_lend(in, in->first.data, in->first.len, status, err) != 0 ||
        in_lend(in, data + take, len - take, status, err) != 0)
        goto out;
    rc = 0;
out:
    ubuf_free(&cols);
    return rc;
}

int http_ingest_finish(http_ingest_t *in, const http_server_t *sv, struct MHD_Connection *c,
                       const http_who_t *who, int64_t *rows, int *status, uerr_t *err)
{
    int rc = -1;
    *status = 0;
    *rows = 0;
    if (in->ndjson) {
        if (!in->started && in_start(in, sv, c, who, NULL, status, err) != 0)
            return -1;
        ubuf_reset(&in->conv);
        if (http_ndjson_finish(&in->nd, &in->conv, err) != 0 ||
            in_lend(in, in->conv.data, in->conv.len, status, err) != 0)
            return -1;
    } else if (!in->started) {
        ubuf_t cols = UBUF_INIT;
        if (in->header) {
            if (in->first.len == 0) {
                uerr_set(err, "22P04", "the body is empty: a CSV header line is expected");
                *status = 400;
                return -1;
            }
            rc = http_csv_header_columns(in->first.data, in->first.len, &cols, err);
        } else {
            rc = 0;
        }
        if (rc == 0)
            rc = in_start(in, sv, c, who, &cols, status, err);
        if (rc == 0)
            rc = in_lend(in, in->first.data, in->first.len, status, err);
        ubuf_free(&cols);
        if (rc != 0)
            return -1;
    }
    pthread_mutex_lock(&in->mu);
    in->eof = true;
    pthread_cond_broadcast(&in->cv);
    while (!in->done)
        pthread_cond_wait(&in->cv, &in->mu);
    rc = in->rc;
    if (rc != 0) {
        uerr_move(err, &in->err);
        if (!uerr_isset(err))
            uerr_set(err, "XX000", "the COPY failed");
    }
    *rows = in->rows;
    pthread_mutex_unlock(&in->mu);
    return rc == 0 ? 0 : -1;
}

void http_ingest_free(http_ingest_t *in)
{
    if (!in)
        return;
    if (in->started) {
        pthread_mutex_lock(&in->mu);
        if (!in->done)
            in->aborted = true;
        pthread_cond_broadcast(&in->cv);
        pthread_mutex_unlock(&in->mu);
        pthread_join(in->th, NULL);
    }
    http__sess_close(in->hs);
    pthread_mutex_destroy(&in->mu);
    pthread_cond_destroy(&in->cv);
    http_ndjson_free(&in->nd);
    ubuf_free(&in->ident);
    ubuf_free(&in->first);
    ubuf_free(&in->conv);
    ubuf_free(&in->sql);
    uerr_clear(&in->err);
    free(in);
}
