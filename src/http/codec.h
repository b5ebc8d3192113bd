/* http codec: the sans-I/O part of the HTTP API. Routing, format negotiation, the parser of a
 * query request's JSON (jansson, with caps on every size a client controls), SQLSTATE to HTTP
 * status mapping, the JSON error body, and the result encoders (JSON, NDJSON, CSV) that turn
 * column descriptions and rows into bytes appended to a buffer. No sockets, no clocks, no
 * sessions: http/server.c drives it, unit tests and fuzz/fuzz_http_request.c call it
 * directly. */
#ifndef DUCKD_HTTP_CODEC_H
#define DUCKD_HTTP_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"
#include "util/buf.h"
#include "util/err.h"

/* ---- routing ---- */

typedef enum {
    HTTP_ROUTE_NOT_FOUND = 0, /* 404 */
    HTTP_ROUTE_BAD_METHOD,    /* a known path with a method it does not take: 405 */
    HTTP_ROUTE_PREFLIGHT,     /* OPTIONS on a known path (CORS preflight) */
    HTTP_ROUTE_QUERY,         /* POST /v1/query */
    HTTP_ROUTE_INGEST,        /* POST /v1/ingest/{table} */
    HTTP_ROUTE_HEALTHZ,       /* GET|HEAD /healthz */
    HTTP_ROUTE_READYZ,        /* GET|HEAD /readyz */
    HTTP_ROUTE_METRICS,       /* GET /metrics (Prometheus text format) */
    HTTP_ROUTE_INFO,          /* GET /v1/info (duckd_info() as one object) */
    HTTP_ROUTE_SESSIONS,      /* GET /v1/sessions (duckd_sessions()) */
    HTTP_ROUTE_CANCEL,        /* POST /v1/sessions/{id}/cancel (id in the table buffer) */
    HTTP_ROUTE_CONSOLE        /* GET|HEAD / and /console/...: the web console's files */
} http_route_t;

#define HTTP_TABLE_MAX 127 /* bytes of a {table} path segment: [schema.]name */

/* Routes a request by method and (percent-decoded) path. For HTTP_ROUTE_INGEST the table
 * segment is copied to table (HTTP_TABLE_MAX + 1 bytes) as given, for HTTP_ROUTE_CANCEL the
 * session id (1 to 10 digits); *allow receives the methods
 * the path accepts (for 405's Allow header and preflights; static). */
http_route_t http_route(const char *method, const char *path, char *table, const char **allow);

/* Splits an ingest {table} ("name" or "schema.name") and appends it to out as a quoted SQL
 * identifier ("schema"."name"). Each part must be 1..63 bytes without '"', control
 * characters or further dots. Returns 0, or -1 with *err set (42602). */
int http_table_ident(const char *table, ubuf_t *out, uerr_t *err)
    __attribute__((warn_unused_result));

/* ---- formats ---- */

typedef enum {
    HTTP_FMT_JSON = 0, /* application/json: columns, then rows as arrays */
    HTTP_FMT_NDJSON,   /* application/x-ndjson: one JSON object per row */
    HTTP_FMT_CSV,      /* text/csv: a header line, then RFC 4180 rows */
    HTTP_FMT_ARROW,    /* application/vnd.apache.arrow.stream (encoder: engine, when built) */
    HTTP_FMT_PARQUET   /* application/vnd.apache.parquet (encoder: engine/parquet.c) */
} http_format_t;

/* Picks the result format: the query string's format= (json, ndjson, csv, arrow, parquet)
 * wins; else the first media type of the Accept header that names one of the formats (q
 * values are ignored; * / * and application/ * mean JSON); no Accept or no format= means
 * JSON. Returns 0, or -1 when nothing acceptable was named (406). */
int http_pick_format(const char *format_param, const char *accept, http_format_t *out)
    __attribute__((warn_unused_result));
/* The Content-Type of a format (static). */
const char *http_format_mime(http_format_t f);
/* The name used in format= (static). */
const char *http_format_name(http_format_t f);

/* ---- query requests ---- */

/* Caps on what one request may contain. */
typedef struct http_limits {
    size_t max_sql;    /* bytes of "sql" */
    size_t max_params; /* entries of "params" */
} http_limits_t;

/* One bound parameter as text: data NULL is SQL NULL. */
typedef struct http_param {
    char *data; /* owned, NUL-terminated */
    int32_t len;
} http_param_t;

/* A parsed POST /v1/query body: {"sql": "...", "params": [...]}. */
typedef struct http_query_req {
    char *sql; /* owned, NUL-terminated, no NUL inside */
    size_t sql_len;
    http_param_t *params; /* owned array */
    size_t nparams;
} http_query_req_t;

/* Parses a query body (len bytes, not NUL-terminated). "sql" is a required string; "params"
 * an optional array whose items become text parameters: strings as they are, numbers and
 * booleans as their JSON text, null as NULL, arrays and objects as their compact JSON text
 * (DuckDB casts it to a LIST or STRUCT). Other keys, duplicate keys, NUL characters and
 * trailing data are refused. Returns 0 with *out filled (free with http_query_free), or -1
 * with *err set (22P02 malformed JSON, 22023 wrong shape, 54000 over a cap) and *out zeroed. */
int http_query_parse(const char *body, size_t len, const http_limits_t *lim, http_query_req_t *out,
                     uerr_t *err) __attribute__((warn_unused_result));
/* Frees what http_query_parse filled and zeroes *r; safe on a zeroed struct. */
void http_query_free(http_query_req_t *r);

/* ---- errors ---- */

/* The HTTP status for an error's SQLSTATE: 400 for syntax and data errors, 401 for 28P01 and
 * 28000, 403 for 42501 and 25006, 404 for undefined objects, 406/413/429/503/504 for their
 * cases, 409 for conflicts, 500 otherwise. */
int http_status_for(const char *sqlstate);
/* Appends {"code": SQLSTATE, "message": ...} (plus "detail"/"hint" when set) to out. */
void http_error_json(ubuf_t *out, const char *sqlstate, const char *message, const char *detail,
                     const char *hint);

/* ---- result encoders ---- */

/* A result column: its name, DuckDB type name ("INTEGER", "VARCHAR[]") and the JSON type of
 * its values ("number", "string", "boolean", "array", "object", "json"); both types may be
 * NULL when unknown. */
typedef struct http_col {
    const char *name;
    const char *type;
    const char *json_type;
} http_col_t;

/* One statement's answer being encoded. Values handed to http_enc_row are already encoded
 * for the format by the session (sess_set_encoding): a complete JSON literal for JSON and
 * NDJSON, one CSV field for CSV; len -1 is NULL. */
typedef struct http_enc {
    http_format_t fmt;
    size_t ncols;
    char **keys;   /* owned: each column name as a JSON string literal (NDJSON keys) */
    uint64_t rows; /* rows encoded so far */
    bool begun, ended;
} http_enc_t;

/* Starts an answer: JSON writes {"columns":[...],"rows":[ ; CSV writes the header line (when
 * header is true); NDJSON writes nothing. ncols 0 is a statement without rows. */
void http_enc_begin(http_enc_t *e, http_format_t fmt, const http_col_t *cols, size_t ncols,
                    bool header, ubuf_t *out);
/* Appends one row of e->ncols values (len -1: NULL). */
void http_enc_row(http_enc_t *e, const eng_value_t *vals, ubuf_t *out);
/* Ends a successful answer: JSON closes rows and adds "row_count" (rows returned, or rows
 * changed when the statement has no result columns; -1 unknown) and "command" (the
 * statement's tag, may be NULL). NDJSON and CSV write nothing. */
void http_enc_end(http_enc_t *e, int64_t row_count, const char *command, ubuf_t *out);
/* Ends an answer that failed after it began: JSON closes rows and adds "error": {...}; NDJSON
 * writes an {"error": {...}} line; CSV writes nothing (the driver cuts the stream). */
void http_enc_fail(http_enc_t *e, const char *sqlstate, const char *message, ubuf_t *out);
/* Frees the encoder's memory; safe on a zeroed struct. */
void http_enc_free(http_enc_t *e);

/* Appends s (n bytes) as a JSON string literal: quotes, backslash escapes for ", \ and
 * control characters; bytes of invalid UTF-8 become U+FFFD. */
void http_json_str(ubuf_t *out, const char *s, size_t n);
/* Appends s (n bytes) as one RFC 4180 CSV field, quoted when it holds a comma, a quote, CR,
 * LF, leading or trailing blanks, or is empty (an unquoted empty field is NULL). */
void http_csv_field(ubuf_t *out, const char *s, size_t n);

/* ---- ingest ---- */

/* Parses the header line of a CSV body (without its line end) into column names appended to
 * out as a parenthesised SQL column list ("a", "b"). Returns 0, or -1 with *err set (22P04
 * for malformed CSV, 42602 for an empty or too long name). */
int http_csv_header_columns(const char *line, size_t len, ubuf_t *out, uerr_t *err)
    __attribute__((warn_unused_result));

/* NDJSON to CSV: the columns are set first (http_ndjson_set_columns: the table's), or else
 * the first object's keys fix them; each line must be an object whose keys are among them (a
 * missing key is NULL). Values become CSV fields: strings as
 * they are, numbers and booleans as their JSON text, null as NULL, arrays and objects as their
 * JSON text. Blank lines are skipped. */
typedef struct http_ndjson {
    char **cols; /* owned: the column names */
    size_t ncols;
    size_t max_line; /* longest line accepted, bytes */
    ubuf_t partial;  /* a line not yet ended */
    int64_t line;    /* lines seen (for messages) */
} http_ndjson_t;

/* Prepares a converter accepting lines up to max_line bytes. */
void http_ndjson_init(http_ndjson_t *n, size_t max_line);
/* Sets the columns (names copied), in the order the CSV rows give them. */
void http_ndjson_set_columns(http_ndjson_t *n, const char *const *names, size_t count);
/* Feeds len bytes of the body: every completed line is converted and its CSV row appended to
 * out. Returns 0, or -1 with *err set (22P02 bad JSON, 42703 unknown key, 54000 line too
 * long). */
int http_ndjson_feed(http_ndjson_t *n, const char *data, size_t len, ubuf_t *out, uerr_t *err)
    __attribute__((warn_unused_result));
/* Converts a last line without a line end. Returns 0 or -1 as http_ndjson_feed. */
int http_ndjson_finish(http_ndjson_t *n, ubuf_t *out, uerr_t *err)
    __attribute__((warn_unused_result));
void http_ndjson_free(http_ndjson_t *n);

#endif
