/* pgwire authentication: the step between the startup packet and AuthenticationOk.
 * Today the only method is trust; the exchange is shaped as a loop of server challenges and
 * client responses (read through pgw_auth_io_t) so SCRAM-SHA-256 (SASL) slots in without
 * touching the connection driver. */
#ifndef DUCKD_PGWIRE_AUTH_H
#define DUCKD_PGWIRE_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/err.h"

typedef enum {
    PGW_AUTH_TRUST = 0 /* accept every user (loopback default until SCRAM lands) */
} pgw_auth_method_t;

/* How an authentication method talks to the client: queue messages in `out`, flush them, and
 * read the client's next message ('p' PasswordMessage / SASLInitialResponse / SASLResponse). */
typedef struct pgw_auth_io {
    void *ctx;
    ubuf_t *out;
    int (*flush)(void *ctx);
    /* Reads one message: returns 0 with the type, payload and length borrowed until the next call,
     * or -1 when the client is gone or sent something malformed. */
    int (*read_msg)(void *ctx, char *type, const uint8_t **payload, size_t *len);
} pgw_auth_io_t;

/* True when the peer of Unix socket `fd` runs as the same OS user as duckd (SO_PEERCRED):
 * the operator, who is admin. False for TCP sockets and for other users. */
bool pgw_auth_peer_is_owner(int fd);

/* Authenticates `user`. On success queues AuthenticationOk and returns 0; on failure returns
 * -1 with *err set (SQLSTATE 28000/28P01); the caller sends it as FATAL and closes. */
int pgw_auth_run(pgw_auth_method_t method, const char *user, pgw_auth_io_t *io, uerr_t *err)
    __attribute__((warn_unused_result));

#endif
