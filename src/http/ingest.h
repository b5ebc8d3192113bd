/* http ingest: POST /v1/ingest/{table}. The body (CSV with a header line, or NDJSON) streams
 * into the table through the session's COPY ... FROM STDIN (the bulk write path), run by a
 * worker thread of the request: each piece of the body MHD hands the access handler is lent
 * to the worker and taken back once the COPY consumed it, so nothing is buffered beyond one
 * piece (and one NDJSON line). The COPY runs in its own transaction: the table gets every row
 * or none; a client that disconnects mid-upload aborts it. */
#ifndef DUCKD_HTTP_INGEST_H
#define DUCKD_HTTP_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include "http/auth.h"
#include "http/server.h"
#include "util/err.h"

struct MHD_Connection;
typedef struct http_ingest http_ingest_t;

typedef struct http_ingest_cfg {
    size_t max_body; /* bytes of body accepted */
    size_t max_line; /* longest line (CSV header, NDJSON object) */
} http_ingest_cfg_t;

/* Starts an ingest into `table` (the path segment) for a body of content_type (text/csv or
 * application/x-ndjson; format overrides it: "csv" | "ndjson"); header ("true" default,
 * "false") tells whether a CSV body starts with the column names. Returns 0 with *out, or -1
 * with *err and *status set (415 unsupported body type, 400 bad table name). */
int http_ingest_begin(const http_ingest_cfg_t *cfg, const char *table, const char *content_type,
                      const char *format, const char *header, http_ingest_t **out, int *status,
                      uerr_t *err) __attribute__((warn_unused_result));
/* Hands the next len bytes of the body to the COPY (starting it once the columns are known),
 * returning when they were consumed. Returns 0, or -1 with *err and *status set when the
 * COPY failed or the body broke a cap (the table is then unchanged). */
int http_ingest_feed(http_ingest_t *in, const http_server_t *sv, struct MHD_Connection *c,
                     const http_who_t *who, const char *data, size_t len, int *status, uerr_t *err)
    __attribute__((warn_unused_result));
/* Ends the body and waits for the COPY's commit. Returns 0 with *rows, or -1 with *err and
 * *status set. */
int http_ingest_finish(http_ingest_t *in, const http_server_t *sv, struct MHD_Connection *c,
                       const http_who_t *who, int64_t *rows, int *status, uerr_t *err)
    __attribute__((warn_unused_result));
/* Aborts an unfinished COPY (rolled back), joins the worker, closes the session, frees. NULL
 * is a no-op. */
void http_ingest_free(http_ingest_t *in);

#endif
