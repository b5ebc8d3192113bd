/* http server: the HTTP API's driver on libmicrohttpd. One thread per connection (MHD's
 * thread-per-connection mode); every request runs in a session of its own (session/session.h)
 * registered in the session registry, so max_connections, cancel, statement_timeout, the
 * watchdog and shutdown apply as to pgwire. Results stream with chunked encoding: MHD pulls
 * the next bytes as the socket drains, and each pull runs the portal for a bounded number of
 * rows, so server memory stays bounded whatever the result size. Endpoints and formats:
 * docs/HTTP.md. */
#ifndef DUCKD_HTTP_SERVER_H
#define DUCKD_HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "http/auth.h"
#include "session/session.h"
#include "util/err.h"

typedef struct http_server http_server_t;

/* What the server needs; borrowed for the server's lifetime unless noted. */
typedef struct http_server_cfg {
    const sess_env_t *env;
    int listen_fd;            /* a bound, listening TCP socket; the server owns it from start */
    size_t max_body;          /* POST /v1/query body cap, bytes */
    size_t max_ingest;        /* POST /v1/ingest body cap, bytes */
    size_t max_params;        /* bound parameters per query */
    size_t max_row_size;      /* longest NDJSON/CSV line accepted by ingest, bytes */
    int request_timeout_s;    /* per request, streaming included; 0 = none */
    const char *cors_origins; /* comma-separated, "*", or "" (no CORS) */
    http_auth_cfg_t auth;
    const char *tls_cert_pem; /* PEM text (copied at start); NULL = plain HTTP */
    const char *tls_key_pem;
    const char *tls_min_version; /* "TLSv1.2" | "TLSv1.3" */
    unsigned max_connections;    /* HTTP connections served at once (threads) */
    bool parquet;                /* serve format=parquet (else 406) */
    unsigned connection_pool;    /* idle DuckDB connections kept for requests (session/pool.h) */
} http_server_cfg_t;

/* Starts serving on cfg->listen_fd. Returns 0 with *out, or -1 with *err set (F0000); the
 * listening socket is closed on failure too. */
int http_server_start(const http_server_cfg_t *cfg, http_server_t **out, uerr_t *err)
    __attribute__((warn_unused_result));
/* Stops accepting new connections (requests on open connections still run: they are refused
 * with 57P03 once the registry is shutting down). NULL is a no-op. */
void http_server_quiesce(http_server_t *s);
/* Closes every connection, waits for the connection threads and frees the server. Call after
 * the registry emptied (or the grace period ended and sessions were cancelled). NULL is a
 * no-op. */
void http_server_stop(http_server_t *s);

#endif
