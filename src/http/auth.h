/* http auth: who an HTTP request runs as. A request carries a bearer token (the tokens file,
 * auth/tokens.h) or, over TLS only, HTTP Basic credentials checked against the users file's
 * SCRAM verifiers; the access rules (pgwire/hba.h) then apply as to a TCP connection of that
 * user, so the operator's intent is the same for both protocols: a "reject" rule refuses, a
 * "trust" rule admits Basic without a password check and a request without credentials (as
 * user "anonymous", role read_write) when the rule covers every user. */
#ifndef DUCKD_HTTP_AUTH_H
#define DUCKD_HTTP_AUTH_H

#include <stdbool.h>
#include <sys/socket.h>

#include "auth/users.h"
#include "pgwire/hba.h"
#include "session/guard.h"
#include "util/err.h"

typedef struct http_auth_cfg {
    const pgw_hba_t *hba;    /* borrowed: the access rules */
    const char *users_file;  /* users, verifiers and roles; "" = none */
    const char *tokens_file; /* bearer tokens; "" = none */
} http_auth_cfg_t;

typedef struct http_who {
    char user[PGW_USER_NAME_MAX + 1];
    guard_role_t role;
    const char *method; /* "bearer" | "basic" | "trust" (static) */
} http_who_t;

/* Authenticates a request from its Authorization header (NULL when absent), its peer address
 * (borrowed) and whether it came over TLS. Returns 0 with *who filled, or -1 with *err set:
 * 28000/28P01 with *status 401 (no or bad credentials; the caller adds WWW-Authenticate) or
 * 403 (an access rule rejects the user), 58030/F0000 with 500 when a file is unreadable. */
int http_auth(const http_auth_cfg_t *c, const char *authorization, const struct sockaddr *peer,
              bool tls, http_who_t *who, int *status, uerr_t *err)
    __attribute__((warn_unused_result));

/* True when password matches a "SCRAM-SHA-256$..." verifier (SASLprep, PBKDF2 with the
 * verifier's salt and iterations, StoredKey compared in constant time). */
bool http_auth_password_ok(const char *verifier, const char *password);

#endif
