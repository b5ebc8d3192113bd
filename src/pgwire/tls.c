/* pgwire TLS on OpenSSL; see tls.h. Sessions run on blocking sockets: the handshake is
 * bounded by socket timeouts, and reads are only started when poll said the socket is
 * readable or OpenSSL already holds decrypted bytes. */
#include "pgwire/tls.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "util/xalloc.h"

struct pgw_tls_ctx {
    SSL_CTX *ctx;
    uint8_t endpoint[EVP_MAX_MD_SIZE]; /* tls-server-end-point hash of the certificate */
    size_t endpoint_len;
};

struct pgw_tls {
    SSL *ssl;
};

static void tls_error(uerr_t *err, const char *what, const char *file)
{
    char buf[256];
    unsigned long e = ERR_get_error();
    ERR_error_string_n(e, buf, sizeof buf);
    uerr_set(err, "F0000", "TLS: %s %s: %s", what, file ? file : "", e ? buf : "unknown error");
    ERR_clear_error();
}

/* RFC 5929: the certificate's signature hash, with MD5 and SHA-1 upgraded to SHA-256. */
static void tls_compute_endpoint(pgw_tls_ctx_t *c)
{
    X509 *cert = SSL_CTX_get0_certificate(c->ctx);
    int md_nid = NID_undef, pk_nid = NID_undef;
    unsigned int len = 0;
    c->endpoint_len = 0;
    if (!cert || !OBJ_find_sigid_algs(X509_get_signature_nid(cert), &md_nid, &pk_nid))
        return;
    if (md_nid == NID_md5 || md_nid == NID_sha1)
        md_nid = NID_sha256;
    const EVP_MD *md = EVP_get_digestbynid(md_nid);
    if (md && X509_digest(cert, md, c->endpoint, &len) == 1)
        c->endpoint_len = len;
}

int pgw_tls_ctx_new(const char *cert_file, const char *key_file, const char *min_version,
                    pgw_tls_ctx_t **out, uerr_t *err)
{
    pgw_tls_ctx_t *c = xcalloc(1, sizeof *c);
    int rc = -1;
    int min = min_version && strcmp(min_version, "TLSv1.3") == 0 ? TLS1_3_VERSION : TLS1_2_VERSION;
    *out = NULL;
    c->ctx = SSL_CTX_new(TLS_server_method());
    if (!c->ctx) {
        tls_error(err, "cannot create context", NULL);
        goto out;
    }
    SSL_CTX_set_min_proto_version(c->ctx, min);
    /* No renegotiation, no compression, no session tickets to leak across connections. */
    SSL_CTX_set_options(c->ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_NO_TICKET |
                                    SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_set_session_cache_mode(c->ctx, SSL_SESS_CACHE_OFF);
    if (SSL_CTX_use_certificate_chain_file(c->ctx, cert_file) != 1) {
        tls_error(err, "cannot load certificate", cert_file);
        goto out;
    }
    if (SSL_CTX_use_PrivateKey_file(c->ctx, key_file, SSL_FILETYPE_PEM) != 1) {
        tls_error(err, "cannot load private key", key_file);
        goto out;
    }
    if (SSL_CTX_check_private_key(c->ctx) != 1) {
        tls_error(err, "private key does not match certificate", key_file);
        goto out;
    }
    tls_compute_endpoint(c);
    *out = c;
    c = NULL;
    rc = 0;
out:
    pgw_tls_ctx_free(c);
    return rc;
}

void pgw_tls_ctx_free(pgw_tls_ctx_t *ctx)
{
    if (!ctx)
        return;
    SSL_CTX_free(ctx->ctx);
    free(ctx);
}

const uint8_t *pgw_tls_ctx_endpoint(const pgw_tls_ctx_t *ctx, size_t *len)
{
    *len = ctx->endpoint_len;
    return ctx->endpoint;
}

static void tls_set_timeout(int fd, int timeout_ms)
{
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

int pgw_tls_accept(pgw_tls_ctx_t *ctx, int fd, int timeout_ms, pgw_tls_t **out, const char **why)
{
    pgw_tls_t *t = xcalloc(1, sizeof *t);
    int rc = -1;
    *out = NULL;
    t->ssl = SSL_new(ctx->ctx);
    if (!t->ssl || SSL_set_fd(t->ssl, fd) != 1) {
        *why = "cannot create TLS session";
        goto out;
    }
    tls_set_timeout(fd, timeout_ms > 0 ? timeout_ms : 60000);
    int r = SSL_accept(t->ssl);
    tls_set_timeout(fd, 0);
    if (r != 1) {
        int e = SSL_get_error(t->ssl, r);
        *why = e == SSL_ERROR_SYSCALL || e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE
                   ? "TLS handshake: connection closed or timed out"
                   : "TLS handshake failed";
        ERR_clear_error();
        goto out;
    }
    *out = t;
    t = NULL;
    rc = 0;
out:
    if (t) {
        SSL_free(t->ssl);
        free(t);
    }
    return rc;
}

void pgw_tls_free(pgw_tls_t *t)
{
    if (!t)
        return;
    (void)SSL_shutdown(t->ssl); /* close_notify; we do not wait for the peer's */
    ERR_clear_error();
    SSL_free(t->ssl);
    free(t);
}

ssize_t pgw_tls_read(pgw_tls_t *t, void *buf, size_t n, const char **why)
{
    size_t got = 0;
    int r = SSL_read_ex(t->ssl, buf, n, &got);
    if (r == 1)
        return (ssize_t)got;
    int e = SSL_get_error(t->ssl, r);
    ERR_clear_error();
    if (e == SSL_ERROR_ZERO_RETURN)
        return 0;
    *why = e == SSL_ERROR_SYSCALL ? "TLS read: connection reset" : "TLS read failed";
    return -1;
}

int pgw_tls_write(pgw_tls_t *t, const void *buf, size_t n, const char **why)
{
    const char *p = buf;
    while (n > 0) {
        size_t put = 0;
        if (SSL_write_ex(t->ssl, p, n, &put) != 1) {
            ERR_clear_error();
            *why = "TLS write failed";
            return -1;
        }
        p += put;
        n -= put;
    }
    return 0;
}

bool pgw_tls_pending(const pgw_tls_t *t) { return SSL_pending(t->ssl) > 0; }

const char *pgw_tls_version(const pgw_tls_t *t) { return SSL_get_version(t->ssl); }

const char *pgw_tls_cipher(const pgw_tls_t *t) { return SSL_get_cipher_name(t->ssl); }

void pgw_tls_thread_end(void) { OPENSSL_thread_stop(); }
