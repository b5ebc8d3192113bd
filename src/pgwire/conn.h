/* pgwire connection driver: the protocol state machine of one client conversation (startup,
 * SSLRequest, authentication, simple and extended query with error skipping until Sync, COPY)
 * over a transport (pgwire/transport.h): it reads bytes, frames and decodes them with the
 * codec, calls the session, and writes the encoded responses. It never touches a socket, so a
 * memory transport can drive whole conversations in tests and fuzzers. Output is buffered up
 * to a bound and then written blocking, so a client that reads slowly stalls its own
 * statement instead of growing memory. */
#ifndef DUCKD_PGWIRE_CONN_H
#define DUCKD_PGWIRE_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pgwire/tls.h"
#include "pgwire/transport.h"
#include "session/session.h"

/* Settings every connection shares (borrowed for the server's lifetime). */
typedef struct pgw_server_cfg {
    const sess_env_t *env;
    size_t max_message_size;       /* largest frontend message accepted */
    size_t output_buffer;          /* bytes buffered before a blocking flush */
    int authentication_timeout_ms; /* deadline from connect to the end of startup and auth */
    int max_startup;               /* connections in startup; the oldest is evicted beyond */
    size_t max_pending_input;      /* partial-message bytes all connections may hold */
    pgw_tls_ctx_t *tls;            /* SSLRequest is answered 'S' when set; NULL = no TLS */
    bool tls_required;             /* TCP clients must use TLS (Unix socket: never needed) */
    const struct pgw_hba *hba;     /* access rules (pgwire/hba.h) */
    const char *users_file;        /* SCRAM verifiers and roles (auth/users.h) */
    const char *test_scram_nonce;  /* NULL in production: fixes the SCRAM server nonce (tests) */
} pgw_server_cfg_t;

/* Starts a detached thread serving the accepted socket fd (ownership of fd passes to it).
 * The connection counts against cfg->max_startup until it has finished startup and
 * authentication; when that cap is reached, the oldest connection still in startup is closed
 * to make room (so trickling sockets cannot lock legitimate clients out).
 * Returns 0, or -errno if the thread could not be started (fd is then closed). */
int pgw_conn_spawn(const pgw_server_cfg_t *cfg, int fd);

/* Number of connection threads still running (including ones not yet past startup). */
int pgw_conn_active(void);

/* Serves one connection on the calling thread until it ends; closes fd. It does not count
 * against max_startup (pgw_conn_spawn's connections do). */
void pgw_conn_serve(const pgw_server_cfg_t *cfg, int fd);

/* Serves one whole conversation over t (borrowed; the caller frees it afterwards) on the
 * calling thread, until the client terminates, the input ends, or the server closes it.
 * t_accept_ms is the CLOCK_MONOTONIC time (ms) of connect, from which
 * authentication_timeout runs. Does not count against max_startup. Touches no socket. */
void pgw_conn_run(const pgw_server_cfg_t *cfg, pgw_transport_t *t, int64_t t_accept_ms);

/* Opens listening sockets. Return the fd or -errno. */
int pgw_listen_tcp(const char *addr, int port);
int pgw_listen_unix(const char *dir, int port, char *path_out, size_t path_len);

#endif
