/* http internals shared by server.c and ingest.c (not for other modules): a request's
 * session and its registry entry. */
#ifndef DUCKD_HTTP_INTERNAL_H
#define DUCKD_HTTP_INTERNAL_H

#include <stdbool.h>

#include "http/auth.h"
#include "http/server.h"
#include "session/registry.h"
#include "session/session.h"

struct MHD_Connection;

typedef struct http_sess {
    sess_t *sess;
    sreg_entry_t reg;
    bool registered;
    char user[PGW_USER_NAME_MAX + 1]; /* the registry borrows it */
} http_sess_t;

/* Admits a session of who into the registry (the connection's socket lets the watchdog see
 * a hang-up), creates it (DuckDB dialect, encoding enc, who's role, statement_timeout at most
 * the request timeout) and attaches it. Returns 0 with *out (close with http__sess_close), or
 * -1 with *err set and *status the HTTP status (0: the SQLSTATE's). */
int http__sess_open(const http_server_t *sv, struct MHD_Connection *c, const http_who_t *who,
                    sess_encoding_t enc, http_sess_t **out, int *status, uerr_t *err)
    __attribute__((warn_unused_result));
/* Detaches, destroys (rolling back what is open) and unregisters; NULL is a no-op. */
void http__sess_close(http_sess_t *hs);

#endif
