/* pgwire transport: the byte stream under one client conversation. The connection driver
 * (conn.c) and authentication (auth.c) never touch sockets or TLS; they wait, read and write
 * through this small vtable and learn the peer from its fields. Two implementations: the
 * socket transport (a connected fd, TLS after SSLRequest, waits that also wake on server
 * shutdown) and the memory transport (input from a byte array in chunks, output collected or
 * discarded), which lets tests and fuzzers drive whole conversations in-process. */
#ifndef DUCKD_PGWIRE_TRANSPORT_H
#define DUCKD_PGWIRE_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "pgwire/tls.h"
#include "util/buf.h"

/* What wait() reports. */
#define PGW_WAIT_TIMEOUT 0  /* timeout_ms passed without input */
#define PGW_WAIT_READY 1    /* read() will not block (data, EOF or an error is pending) */
#define PGW_WAIT_SHUTDOWN 2 /* the server is shutting down */
#define PGW_WAIT_WOKEN 3    /* another thread called wake() */
#define PGW_WAIT_ERROR (-1)

typedef struct pgw_transport {
    void *ctx; /* the implementation's state, passed to every call */
    /* Waits at most timeout_ms (-1 = no limit) for input: PGW_WAIT_*. */
    int (*wait)(void *ctx, int timeout_ms);
    /* Reads up to n bytes: > 0 bytes read, 0 end of input, -1 error (reason in why). */
    ssize_t (*read)(void *ctx, void *buf, size_t n);
    /* Writes all n bytes (blocking): 0, or -1 when the client is gone (reason in why). */
    int (*write)(void *ctx, const void *buf, size_t n);
    /* Optional (NULL when unsupported, and on TLS): writes what it can of n bytes without
     * blocking, from any thread while the connection's own thread waits; returns the bytes
     * written (0 .. n), or -1 when the client is gone. */
    ssize_t (*try_write)(void *ctx, const void *buf, size_t n);
    /* Optional: makes a wait() in progress or the next one return PGW_WAIT_WOKEN. Thread-safe,
     * never blocks. */
    void (*wake)(void *ctx);
    /* Runs the server TLS handshake within timeout_ms: 0, or -1 with a static reason in *why.
     * NULL when this transport offers no TLS (SSLRequest is then answered 'N'). */
    int (*start_tls)(void *ctx, int timeout_ms, const char **why);
    /* Releases ctx (and, for the socket transport, the TLS session and the socket). */
    void (*close)(void *ctx);
    bool is_unix;                 /* the client came over a Unix-domain socket */
    bool tls;                     /* start_tls succeeded: the stream is encrypted */
    struct sockaddr_storage peer; /* TCP peer address when peer_len > 0 */
    socklen_t peer_len;           /* 0 = unknown (Unix socket, or getpeername failed) */
    int peer_uid;                 /* the Unix-socket peer's uid (SO_PEERCRED), -1 unknown */
    int fd;                       /* the socket, for the registry's forced shutdown; -1 none */
    const uint8_t *cb_data;       /* tls-server-end-point data once tls; borrowed */
    size_t cb_len;                /* 0 = no channel binding */
    const char *why;              /* static reason of the last failed read / write */
} pgw_transport_t;

/* The socket transport over the connected fd (ownership of fd passes to it; close() closes
 * it). tls (borrowed, may be NULL) enables start_tls. Fills is_unix, the peer address and, on
 * a Unix socket, the peer uid once, here. Never returns NULL. */
pgw_transport_t *pgw_transport_socket(int fd, pgw_tls_ctx_t *tls);

/* The memory transport: read() returns the next chunk of data (borrowed; it must outlive
 * the transport), chunk_lens[0..nchunks) cycling (a 0 entry or nchunks 0 means "all that is
 * left"). wait() returns PGW_WAIT_READY while input remains; once it is used up, a wait with
 * a timeout reports PGW_WAIT_TIMEOUT the first time, and then READY with read() returning 0
 * (end of input), so timeouts and disconnects are both exercised. write() appends to out
 * (borrowed, may be NULL = discard) up to out_cap bytes, silently dropping the rest. No TLS;
 * the peer is TCP 127.0.0.1 unless is_unix. Never returns NULL. */
pgw_transport_t *pgw_transport_memory(const uint8_t *data, size_t len, const size_t *chunk_lens,
                                      size_t nchunks, bool is_unix, ubuf_t *out, size_t out_cap);

/* Closes the transport (calls its close hook) and frees it; NULL is a no-op. */
void pgw_transport_free(pgw_transport_t *t);

#endif
