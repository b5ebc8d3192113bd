/* pgwire TLS: the server side of PostgreSQL's SSLRequest upgrade, on OpenSSL. One context per
 * server (certificate, key, minimum protocol version); one session per connection, on the
 * connection's blocking socket. The connection driver reads and writes through pgw_tls_read /
 * pgw_tls_write once the handshake is done, so the protocol code above never sees whether the
 * bytes travel in clear or encrypted. */
#ifndef DUCKD_PGWIRE_TLS_H
#define DUCKD_PGWIRE_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/err.h"

typedef struct pgw_tls_ctx pgw_tls_ctx_t;
typedef struct pgw_tls pgw_tls_t;

/* Loads the certificate chain and private key (PEM files) and builds a server context that
 * accepts TLS 1.2 or `min_version` ("TLSv1.2" | "TLSv1.3") and newer. On failure returns -1
 * with *err set (F0000) naming the file and OpenSSL's reason. *out is owned by the caller. */
int pgw_tls_ctx_new(const char *cert_file, const char *key_file, const char *min_version,
                    pgw_tls_ctx_t **out, uerr_t *err) __attribute__((warn_unused_result));
void pgw_tls_ctx_free(pgw_tls_ctx_t *ctx);
/* The tls-server-end-point channel binding data (RFC 5929): the hash of the server
 * certificate, for SCRAM-SHA-256-PLUS. Borrowed for the context's lifetime; *len 0 when the
 * certificate's signature algorithm gives no usable hash. */
const uint8_t *pgw_tls_ctx_endpoint(const pgw_tls_ctx_t *ctx, size_t *len);

/* Runs the server handshake on fd, waiting at most timeout_ms in total. Returns 0 with *out
 * (owned by the caller; pgw_tls_free) or -1 with a static reason in *why. */
int pgw_tls_accept(pgw_tls_ctx_t *ctx, int fd, int timeout_ms, pgw_tls_t **out, const char **why)
    __attribute__((warn_unused_result));
/* Sends close_notify (best effort) and frees the session; the socket stays open. NULL is a
 * no-op. */
void pgw_tls_free(pgw_tls_t *t);

/* Frees the calling thread's OpenSSL state (its random generators, error queue), which
 * OpenSSL would otherwise free only in the thread's exit handlers: a detached connection
 * thread calls it last, so nothing of OpenSSL's outlives the count of running threads that
 * shutdown waits on. */
void pgw_tls_thread_end(void);
/* Reads up to n bytes: > 0 bytes read, 0 on orderly close, -1 on error (errno-like reason in
 * *why). The socket must be readable or pgw_tls_pending true, else it blocks. */
ssize_t pgw_tls_read(pgw_tls_t *t, void *buf, size_t n, const char **why);
/* Writes all n bytes (blocking); returns 0 or -1. */
int pgw_tls_write(pgw_tls_t *t, const void *buf, size_t n, const char **why);
/* True when decrypted bytes are already buffered (poll would not see them). */
bool pgw_tls_pending(const pgw_tls_t *t);
/* The negotiated protocol and cipher, for logs ("TLSv1.3 TLS_AES_256_GCM_SHA384"). */
const char *pgw_tls_version(const pgw_tls_t *t);
const char *pgw_tls_cipher(const pgw_tls_t *t);

#endif
