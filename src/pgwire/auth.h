/* pgwire authentication: the step between the startup packet and AuthenticationOk.
 * Methods are trust and SCRAM-SHA-256 (SASL, see scram.h); the exchange is a loop of server
 * challenges and client responses read through pgw_auth_io_t, so the connection driver only
 * provides framing and flushing. */
#ifndef DUCKD_PGWIRE_AUTH_H
#define DUCKD_PGWIRE_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "util/buf.h"
#include "util/err.h"

#define PGW_AUTH_GONE (-1)
#define PGW_AUTH_MALFORMED (-2)
#define PGW_AUTH_TIMEOUT (-3)

/* How an authentication method talks to the client: queue messages in `out`, flush them, and
 * read the client's next message ('p' PasswordMessage / SASLInitialResponse / SASLResponse). */
typedef struct pgw_auth_io {
    void *ctx;
    ubuf_t *out;
    int (*flush)(void *ctx);
    /* Reads one message: returns 0 with the type, payload and length borrowed until the next call,
     * PGW_AUTH_GONE when the client is gone, PGW_AUTH_MALFORMED for a message that cannot be
     * framed (bad or oversized length), PGW_AUTH_TIMEOUT when authentication_timeout passed. */
    int (*read_msg)(void *ctx, char *type, const uint8_t **payload, size_t *len);
} pgw_auth_io_t;

/* Everything the login decision needs about one connection. Borrowed for the call. */
typedef struct pgw_login {
    const struct pgw_hba *hba;     /* the access rules (hba.h) */
    const char *users_file;        /* users.h; a missing file means no users */
    const struct sockaddr *peer;   /* the TCP peer address (the transport's); NULL unknown */
    int peer_uid;                  /* the Unix-socket peer's uid (SO_PEERCRED); -1 unknown */
    bool is_unix;                  /* came over the Unix socket */
    bool tls;                      /* the connection is encrypted */
    const struct pgw_scram_cb *cb; /* channel binding data on TLS, else NULL */
    const char *user;
    const char *database;
    const char *test_nonce; /* NULL in production: fixes the SCRAM server nonce for tests */
} pgw_login_t;

/* Authenticates the connection by the first access rule that matches it (listener, address,
 * user): trust, peer (the Unix-socket peer's OS user must be the requested user; the OS user
 * running duckd is admin), scram-sha-256 against the users file, or reject. On success queues
 * AuthenticationOk, sets *role (the users file's role; trust for an unlisted user gives
 * read_write) and returns 0; on failure returns -1 with *err set (28000 rejected, 28P01 wrong
 * password or unknown user — the same message for both —, 08P01 protocol violation, 08006
 * client gone); the caller sends it as FATAL and closes. *method_name is set for logs. */
int pgw_auth_login(const pgw_login_t *l, pgw_auth_io_t *io, int *role, const char **method_name,
                   uerr_t *err) __attribute__((warn_unused_result));

struct pgw_scram_cb;

/* What SCRAM needs besides the user name; everything is borrowed for the call. */
typedef struct pgw_auth_scram_opts {
    const char *verifier;       /* the user's verifier from the users file; NULL = unknown */
    const uint8_t *mock_secret; /* see pgw_scram_new; NULL = a random per-process secret */
    size_t mock_len;
    const struct pgw_scram_cb *cb; /* tls-server-end-point data on TLS; NULL = none */
    const char *test_nonce;        /* NULL in production: fixes the server nonce for tests */
} pgw_auth_scram_opts_t;

/* Runs SCRAM-SHA-256 for `user` over io: queues and flushes AuthenticationSASL (with -PLUS
 * listed only when o->cb is set), reads SASLInitialResponse ('p'), answers
 * AuthenticationSASLContinue, reads SASLResponse ('p'), and on success queues
 * AuthenticationSASLFinal and AuthenticationOk (not flushed, like pgw_auth_run) and returns 0.
 * On failure returns -1 with *err set (28P01 wrong password or unknown user, 08P01 protocol
 * violation, 08006 client gone); the caller sends it as FATAL and closes. */
int pgw_auth_scram(const char *user, const pgw_auth_scram_opts_t *o, pgw_auth_io_t *io, uerr_t *err)
    __attribute__((warn_unused_result));

#endif
