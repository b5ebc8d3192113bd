/* pgwire transports; see transport.h. The socket transport is the only pgwire code (besides
 * listen.c and tls.c) that calls poll, recv, send, getpeername and getsockopt. */
#include "pgwire/transport.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "session/registry.h"
#include "util/log.h"
#include "util/xalloc.h"

/* ---- socket ---- */

typedef struct sock {
    pgw_transport_t t;  /* first: t.ctx points back at this struct */
    int fd;             /* owned */
    pgw_tls_ctx_t *ctx; /* borrowed; NULL = no TLS offered */
    pgw_tls_t *tls;     /* owned once the handshake succeeded */
    int wake_fd;        /* owned eventfd behind wake(); -1 if it could not be made */
    char why[96];       /* text behind t.why for write errors */
} sock_t;

static int64_t sock_clock_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Polls the socket and the registry's shutdown eventfd. OpenSSL may already hold decrypted
 * bytes that poll cannot see, so those count as readable first. Readable input wins over a
 * shutdown that arrives at the same time. */
static int sock_wait(void *ctx, int timeout_ms)
{
    sock_t *s = ctx;
    int64_t until = timeout_ms >= 0 ? sock_clock_ms() + timeout_ms : -1;
    struct pollfd p[3] = {
        {s->fd, POLLIN, 0}, {s->wake_fd, POLLIN, 0}, {sreg_shutdown_fd(), POLLIN, 0}};
    if (s->tls && pgw_tls_pending(s->tls))
        return PGW_WAIT_READY;
    for (;;) {
        int left = -1;
        if (until >= 0) {
            int64_t l = until - sock_clock_ms();
            left = l <= 0 ? 0 : l > INT32_MAX ? INT32_MAX : (int)l;
        }
        int r = poll(p, p[2].fd >= 0 ? 3 : 2, left); /* a -1 fd is ignored by poll */
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return PGW_WAIT_ERROR;
        if (r == 0)
            return PGW_WAIT_TIMEOUT;
        if (p[1].revents) {
            uint64_t v;
            if (read(s->wake_fd, &v, sizeof v) < 0 && errno != EAGAIN)
                return PGW_WAIT_ERROR;
            return PGW_WAIT_WOKEN;
        }
        if (p[0].revents)
            return PGW_WAIT_READY;
        if (p[2].revents)
            return PGW_WAIT_SHUTDOWN;
    }
}

static ssize_t sock_read(void *ctx, void *buf, size_t n)
{
    sock_t *s = ctx;
    ssize_t r;
    if (s->tls)
        return pgw_tls_read(s->tls, buf, n, &s->t.why);
    do
        r = recv(s->fd, buf, n, 0);
    while (r < 0 && errno == EINTR);
    return r < 0 ? -1 : r;
}

static int sock_write(void *ctx, const void *buf, size_t n)
{
    sock_t *s = ctx;
    const char *p = buf;
    size_t off = 0;
    if (s->tls)
        return pgw_tls_write(s->tls, buf, n, &s->t.why);
    while (off < n) {
        ssize_t w = send(s->fd, p + off, n - off, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            snprintf(s->why, sizeof s->why, "write failed: %s", w < 0 ? strerror(errno) : "closed");
            s->t.why = s->why;
            return -1;
        }
        off += (size_t)w;
    }
    return 0;
}

static ssize_t sock_try_write(void *ctx, const void *buf, size_t n)
{
    sock_t *s = ctx;
    size_t off = 0;
    if (s->tls)
        return 0; /* OpenSSL's state belongs to the connection's thread */
    while (off < n) {
        ssize_t w = send(s->fd, (const char *)buf + off, n - off, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (w <= 0)
            return -1;
        off += (size_t)w;
    }
    return (ssize_t)off;
}

static void sock_wake(void *ctx)
{
    sock_t *s = ctx;
    uint64_t one = 1;
    if (s->wake_fd >= 0 && write(s->wake_fd, &one, sizeof one) < 0)
        ulog(ULOG_DEBUG, "wake: %s", strerror(errno));
}

static int sock_start_tls(void *ctx, int timeout_ms, const char **why)
{
    sock_t *s = ctx;
    if (pgw_tls_accept(s->ctx, s->fd, timeout_ms, &s->tls, why) != 0)
        return -1;
    s->t.tls = true;
    s->t.cb_data = pgw_tls_ctx_endpoint(s->ctx, &s->t.cb_len);
    if (s->t.cb_len == 0)
        s->t.cb_data = NULL;
    ulog(ULOG_DEBUG, "TLS: %s %s", pgw_tls_version(s->tls), pgw_tls_cipher(s->tls));
    return 0;
}

/* Sends close_notify (when TLS is on), closes the socket and frees everything. */
static void sock_close(void *ctx)
{
    sock_t *s = ctx;
    pgw_tls_free(s->tls);
    if (s->fd >= 0)
        close(s->fd);
    if (s->wake_fd >= 0)
        close(s->wake_fd);
    free(s);
}

pgw_transport_t *pgw_transport_socket(int fd, pgw_tls_ctx_t *tls)
{
    sock_t *s = xcalloc(1, sizeof *s);
    struct sockaddr_storage local;
    socklen_t len = sizeof local;
    s->fd = fd;
    s->ctx = tls;
    s->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    s->t = (pgw_transport_t){.ctx = s,
                             .wait = sock_wait,
                             .read = sock_read,
                             .write = sock_write,
                             .try_write = sock_try_write,
                             .wake = sock_wake,
                             .start_tls = tls ? sock_start_tls : NULL,
                             .close = sock_close,
                             .peer_uid = -1,
                             .fd = fd};
    if (s->wake_fd < 0)
        s->t.wake = NULL;
    s->t.is_unix =
        getsockname(fd, (struct sockaddr *)&local, &len) == 0 && local.ss_family == AF_UNIX;
    if (s->t.is_unix) {
        struct ucred cr;
        socklen_t crlen = sizeof cr;
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &crlen) == 0)
            s->t.peer_uid = (int)cr.uid;
    } else {
        s->t.peer_len = sizeof s->t.peer;
        if (getpeername(fd, (struct sockaddr *)&s->t.peer, &s->t.peer_len) != 0)
            s->t.peer_len = 0;
    }
    return &s->t;
}

/* ---- memory ---- */

typedef struct mem {
    pgw_transport_t t; /* first: t.ctx points back at this struct */
    const uint8_t *data;
    size_t len, pos;
    size_t *chunks; /* owned copy of the chunk lengths */
    size_t nchunks, next_chunk;
    bool timed_out; /* the one timeout after the input ran out was reported */
    ubuf_t *out;    /* borrowed; NULL = discard */
    size_t out_cap;
} mem_t;

static int mem_wait(void *ctx, int timeout_ms)
{
    mem_t *m = ctx;
    if (m->pos < m->len || timeout_ms < 0 || m->timed_out)
        return PGW_WAIT_READY;
    m->timed_out = true;
    return PGW_WAIT_TIMEOUT;
}

static ssize_t mem_read(void *ctx, void *buf, size_t n)
{
    mem_t *m = ctx;
    size_t take = m->len - m->pos;
    if (m->nchunks) {
        size_t c = m->chunks[m->next_chunk++ % m->nchunks];
        if (c && c < take)
            take = c;
    }
    if (take > n)
        take = n;
    memcpy(buf, m->data + m->pos, take);
    m->pos += take;
    return (ssize_t)take;
}

static int mem_write(void *ctx, const void *buf, size_t n)
{
    mem_t *m = ctx;
    if (m->out && m->out->len < m->out_cap)
        ubuf_append(m->out, buf, n < m->out_cap - m->out->len ? n : m->out_cap - m->out->len);
    return 0;
}

static void mem_close(void *ctx)
{
    mem_t *m = ctx;
    free(m->chunks);
    free(m);
}

pgw_transport_t *pgw_transport_memory(const uint8_t *data, size_t len, const size_t *chunk_lens,
                                      size_t nchunks, bool is_unix, ubuf_t *out, size_t out_cap)
{
    mem_t *m = xcalloc(1, sizeof *m);
    m->data = data;
    m->len = len;
    m->nchunks = nchunks;
    m->chunks = xcalloc(nchunks ? nchunks : 1, sizeof *m->chunks);
    if (nchunks)
        memcpy(m->chunks, chunk_lens, nchunks * sizeof *chunk_lens);
    m->out = out;
    m->out_cap = out_cap;
    m->t = (pgw_transport_t){.ctx = m,
                             .wait = mem_wait,
                             .read = mem_read,
                             .write = mem_write,
                             .close = mem_close,
                             .is_unix = is_unix,
                             .peer_uid = -1,
                             .fd = -1};
    if (!is_unix) {
        struct sockaddr_in *a = (struct sockaddr_in *)&m->t.peer;
        a->sin_family = AF_INET;
        a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        m->t.peer_len = sizeof *a;
    }
    return &m->t;
}

void pgw_transport_free(pgw_transport_t *t)
{
    if (t)
        t->close(t->ctx);
}
