/* pgwire connection driver; see conn.h. One thread per connection: the state machine below
 * reads framed messages, hands them to the session, and writes responses. Every way a
 * connection ends goes through conn_close with a logged reason. */
#include "pgwire/conn.h"
#include "pgwire/tls.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "pgwire/auth.h"
#include "pgwire/codec.h"
#include "pgwire/scram.h"
#include "pgwire/transport.h"
#include "session/registry.h"
#include "types/pgtypes.h"
#include "util/buf.h"
#include "info/metrics.h"
#include "util/addr.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/xalloc.h"

#define CONN_READ_CHUNK 65536
#define CONN_AUTH_MSG_MAX 4096 /* SASL messages are a few hundred bytes */
/* Input buffer bytes a connection may always hold: they count in buffer_memory (umem_charge)
 * but are never refused; growth beyond must fit in the budget (umem_try_reserve). */
#define CONN_IN_ALLOWANCE (2 * CONN_READ_CHUNK)
/* Output: while buffer_memory is exhausted, a session flushes (waits for its client) once it
 * holds this much instead of output_buffer, and gives its larger buffer back after the write;
 * a buffer this small is always allowed, so no session ever waits on another's memory. */
#define CONN_OUT_MIN (32 * 1024)
/* An idle session keeps an output buffer up to this size for its next answer. */
#define CONN_OUT_KEEP (64 * 1024)

/* A connection that has not finished startup and authentication: linked, oldest first, in
 * conn_startup_list by the accept thread; unlinked by its connection thread when startup ends
 * or by the accept thread when it is evicted. Guarded by conn_startup_mu. */
typedef struct conn_startup {
    int fd;       /* the client socket; open while the entry is linked */
    bool linked;  /* in the list */
    bool evicted; /* the accept thread shut the socket down to make room */
    struct conn_startup *prev, *next;
} conn_startup_t;

static pthread_mutex_t conn_startup_mu = PTHREAD_MUTEX_INITIALIZER;
static conn_startup_t *conn_startup_oldest, *conn_startup_newest;
static int conn_startup_n;

/* Bytes of input buffers beyond CONN_IN_ALLOWANCE, summed over all connections: the
 * deprecated max_pending_input cap, checked only when it is set. */
static _Atomic int64_t conn_pending_input;

typedef enum {
    CONN_STARTUP = 0, /* waiting for the startup packet (or SSLRequest / CancelRequest) */
    CONN_READY,       /* normal operation */
    CONN_SKIP,        /* extended-protocol error: discard until Sync */
    CONN_CLOSING      /* finished; the loop exits */
} conn_state_t;

typedef struct conn {
    const pgw_server_cfg_t *cfg;
    pgw_transport_t *t; /* borrowed: the byte stream (socket or memory) */
    conn_state_t state;
    ubuf_t in;         /* input; bytes before in_pos are handled */
    size_t in_pos;     /* start of the first message not yet taken */
    ubuf_t out;        /* pending output */
    uint64_t out_base; /* bytes written to the client before out.data[0] */
    sreg_entry_t reg;  /* registry entry (pid/key) */
    bool registered;
    sess_t *sess;
    char *user;
    char *database;
    char *close_reason; /* why the connection ended (owned) */
    bool io_failed;     /* the transport failed: stop writing */
    double t_start;
    int64_t auth_deadline_ms; /* CLOCK_MONOTONIC ms by which startup and auth must end */
    conn_startup_t *startup;  /* owned: the startup-list entry until startup ends */
    bool evicted;             /* closed during startup to make room for a newer connection */
    int64_t idle_since_ms;    /* when ReadyForQuery was sent; 0 while a batch is in progress */
    size_t in_charged;        /* bytes of in.cap counted in buffer_memory (UMEM_INPUT); the
                                 part beyond CONN_IN_ALLOWANCE also in conn_pending_input */
    size_t out_charged;       /* bytes of out.cap counted in buffer_memory (UMEM_OUTPUT) */
    /* A group commit answered from the committer's thread (sess_set_async). From SESS_PENDING
     * until conn_await, the committer's thread owns out, out_base and the flags below; this
     * thread only waits for and reads input. */
    bool awaiting; /* the last Query or Sync is waiting for its commit */
    bool sent;     /* the committer's thread wrote the whole answer */
    bool answered; /* it committed and ReadyForQuery is in out (maybe partly written) */
} conn_t;

static int64_t conn_clock_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- connections in startup ---- */

static void conn_startup_unlink_locked(conn_startup_t *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        conn_startup_oldest = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        conn_startup_newest = e->prev;
    e->prev = e->next = NULL;
    e->linked = false;
    conn_startup_n--;
}

/* Accept thread: links a new startup connection (returned, owned by its connection thread),
 * first evicting the oldest ones while max are in startup: their sockets are shut down, which
 * their threads see as end of input. */
static conn_startup_t *conn_startup_add(int fd, int max)
{
    conn_startup_t *e = xcalloc(1, sizeof *e);
    e->fd = fd;
    pthread_mutex_lock(&conn_startup_mu);
    while (max > 0 && conn_startup_n >= max && conn_startup_oldest) {
        conn_startup_t *old = conn_startup_oldest;
        conn_startup_unlink_locked(old);
        old->evicted = true;
        shutdown(old->fd, SHUT_RDWR);
    }
    e->prev = conn_startup_newest;
    if (conn_startup_newest)
        conn_startup_newest->next = e;
    else
        conn_startup_oldest = e;
    conn_startup_newest = e;
    e->linked = true;
    conn_startup_n++;
    pthread_mutex_unlock(&conn_startup_mu);
    return e;
}

/* Connection thread: startup is over (or the connection ends); idempotent. Must run before
 * the socket is closed, since a linked entry's fd may be shut down by the accept thread. */
static void conn_startup_leave(conn_t *c)
{
    if (!c->startup)
        return;
    pthread_mutex_lock(&conn_startup_mu);
    if (c->startup->linked)
        conn_startup_unlink_locked(c->startup);
    c->evicted = c->startup->evicted;
    pthread_mutex_unlock(&conn_startup_mu);
    free(c->startup);
    c->startup = NULL;
}

/* ---- I/O ---- */

static void conn_error(conn_t *c, const char *severity, const char *sqlstate, const char *msg,
                       const char *detail, const char *hint);

static void conn_set_reason(conn_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void conn_set_reason(conn_t *c, const char *fmt, ...)
{
    if (c->close_reason)
        return;
    ubuf_t b = UBUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    ubuf_vprintf(&b, fmt, ap);
    va_end(ap);
    ubuf_cstr(&b);
    c->close_reason = b.data;
}

/* Brings the output buffer's count in buffer_memory up to date with its capacity (output is
 * never refused: over the budget, sessions flush sooner instead; see conn_maybe_flush). By the
 * thread that owns out. */
static void conn_out_account(conn_t *c)
{
    if (c->out.cap > c->out_charged)
        umem_charge(UMEM_OUTPUT, c->out.cap - c->out_charged);
    else if (c->out.cap < c->out_charged)
        umem_release(UMEM_OUTPUT, c->out_charged - c->out.cap);
    c->out_charged = c->out.cap;
}

/* Writes all pending output (blocking). Returns 0 or -1 when the client is gone. */
static int conn_flush(conn_t *c)
{
    if (c->io_failed)
        return -1;
    if (c->out.len && c->t->write(c->t->ctx, c->out.data, c->out.len) != 0) {
        c->io_failed = true;
        conn_set_reason(c, "%s", c->t->why ? c->t->why : "write failed");
        c->state = CONN_CLOSING;
        return -1;
    }
    c->out_base += c->out.len;
    metrics_bytes_sent(MET_PGWIRE, c->out.len);
    ubuf_reset(&c->out);
    if (c->out.cap > CONN_OUT_MIN && umem_over())
        ubuf_free(&c->out); /* the budget is short: give the larger buffer back */
    conn_out_account(c);
    return 0;
}

/* Output held back while the session's implicit transaction has coalesced INSERTs whose
 * CommandComplete it may still have to take back (sink out_rewind) is capped here; past it
 * the output goes out and a failure is reported at Sync instead. */
#define CONN_HELD_OUTPUT_MAX (4u << 20)

/* Writes the output once it reaches output_buffer, or CONN_OUT_MIN while buffer_memory is
 * exhausted: the session then stops fetching rows until its client has taken them
 * (backpressure), and its buffer goes back to the budget (conn_flush). */
static int conn_maybe_flush(conn_t *c)
{
    if (c->awaiting)
        return 0; /* while awaiting, out is the committer's (conn_async_done) */
    if (c->out.cap != c->out_charged)
        conn_out_account(c);
    if (c->out.len < c->cfg->output_buffer && (c->out.len < CONN_OUT_MIN || !umem_over()))
        return 0;
    if (c->sess && sess_holds_output(c->sess) && c->out.len < CONN_HELD_OUTPUT_MAX)
        return 0;
    return conn_flush(c);
}

/* The capacity the input buffer should grow to for want bytes: doubling, but no further
 * than the message being received needs (its length is known once its header is in). */
static size_t conn_in_target(const conn_t *c, size_t want)
{
    size_t cap = c->in.cap ? c->in.cap : CONN_IN_ALLOWANCE;
    while (cap < want)
        cap *= 2;
    if (c->state != CONN_STARTUP && c->in.len >= 5) {
        const uint8_t *h = (const uint8_t *)c->in.data;
        size_t total = 1 + ((size_t)h[1] << 24 | (size_t)h[2] << 16 | (size_t)h[3] << 8 | h[4]);
        if (total + CONN_READ_CHUNK + 1 >= want && total + CONN_READ_CHUNK + 1 < cap)
            cap = total + CONN_READ_CHUNK + 1;
    }
    return cap;
}

/* Gives back what the input buffer counts in buffer_memory and max_pending_input. */
static void conn_in_uncharge(conn_t *c)
{
    if (c->in_charged > CONN_IN_ALLOWANCE)
        atomic_fetch_sub(&conn_pending_input, (int64_t)(c->in_charged - CONN_IN_ALLOWANCE));
    umem_release(UMEM_INPUT, c->in_charged);
    c->in_charged = 0;
}

/* Frees a grown input buffer once it is empty (or the connection closes). */
static void conn_in_release(conn_t *c)
{
    if (c->in.cap > CONN_IN_ALLOWANCE && c->in.len == 0) {
        ubuf_free(&c->in);
        conn_in_uncharge(c);
    }
}

/* Counts an input buffer of cap bytes (more than in_charged): the first CONN_IN_ALLOWANCE
 * always, the rest only within buffer_memory and max_pending_input (when set). Returns 0, or
 * -1 with the FATAL 53200 answer queued when the budget is exhausted. */
static int conn_in_charge(conn_t *c, size_t cap)
{
    size_t old_beyond = c->in_charged > CONN_IN_ALLOWANCE ? c->in_charged - CONN_IN_ALLOWANCE : 0;
    size_t beyond = cap > CONN_IN_ALLOWANCE ? cap - CONN_IN_ALLOWANCE : 0;
    size_t extra = beyond - old_beyond; /* to reserve; the rest is within the allowance */
    const char *why = NULL;
    char detail[200];
    if (extra > 0 && c->cfg->max_pending_input > 0) {
        int64_t before = atomic_fetch_add(&conn_pending_input, (int64_t)extra);
        if (before + (int64_t)extra > (int64_t)c->cfg->max_pending_input) {
            snprintf(detail, sizeof detail,
                     "server input budget exhausted: partially received messages of all "
                     "connections reached max_pending_input (%zu bytes)",
                     c->cfg->max_pending_input);
            why = "input budget exhausted (max_pending_input)";
        }
    }
    if (extra > 0 && !why && !umem_try_reserve(UMEM_INPUT, extra)) {
        snprintf(detail, sizeof detail,
                 "server buffer memory exhausted: duckd's buffers (partially received messages, "
                 "results waiting for clients, COPY data) reached buffer_memory (%lld bytes)",
                 (long long)umem_budget());
        why = "buffer memory exhausted (buffer_memory)";
    }
    if (why) {
        if (extra > 0 && c->cfg->max_pending_input > 0)
            atomic_fetch_sub(&conn_pending_input, (int64_t)extra);
        conn_error(c, "FATAL", "53200", "out of memory", detail, NULL);
        (void)conn_flush(c);
        conn_set_reason(c, "%s", why);
        c->state = CONN_CLOSING;
        return -1;
    }
    umem_charge(UMEM_INPUT, (cap - c->in_charged) - extra);
    c->in_charged = cap;
    return 0;
}

/* Makes room to read CONN_READ_CHUNK more bytes. Growth beyond CONN_IN_ALLOWANCE must fit in
 * the server-wide buffer_memory budget (and max_pending_input, when set); when it does not,
 * the client gets FATAL 53200 and -1 is returned (the connection closes), never an abort. */
static int conn_in_room(conn_t *c)
{
    size_t want = c->in.len + CONN_READ_CHUNK + 1;
    if (want <= c->in.cap)
        return 0;
    size_t cap = conn_in_target(c, want);
    if (cap > c->in_charged && conn_in_charge(c, cap) != 0)
        return -1;
    c->in.data = xrealloc(c->in.data, cap);
    c->in.cap = cap;
    return 0;
}

/* The wait timeout: the authentication deadline during startup, else until the idle
 * deadline (idle_ms after ReadyForQuery; -1 = none). 0 means the deadline has passed. */
static int conn_wait_timeout(const conn_t *c, int64_t idle_ms)
{
    int64_t until;
    if (c->state == CONN_STARTUP)
        until = c->auth_deadline_ms;
    else if (idle_ms > 0 && c->idle_since_ms)
        until = c->idle_since_ms + idle_ms;
    else
        return -1;
    int64_t left = until - conn_clock_ms();
    return left <= 0 ? 0 : left > INT32_MAX ? INT32_MAX : (int)left;
}

/* Reads more input. Returns 1 on data, 0 on EOF / shutdown, -1 on error, -2 when idle_ms
 * (see conn_wait_timeout; -1 = none) passed. During startup the authentication deadline
 * applies, measured from connect, so a socket that trickles its startup packet (or, later,
 * its SCRAM messages) gains nothing by it. The transport's wait also wakes on server
 * shutdown, so an idle connection ends when the server stops. */
static int conn_read_more(conn_t *c, int64_t idle_ms)
{
    int w = c->t->wait(c->t->ctx, conn_wait_timeout(c, idle_ms));
    if (w == PGW_WAIT_TIMEOUT && c->state == CONN_STARTUP) {
        conn_set_reason(c, "authentication timeout");
        return -1;
    }
    if (w == PGW_WAIT_TIMEOUT)
        return -2;
    if (w == PGW_WAIT_SHUTDOWN)
        return 0;
    if (w == PGW_WAIT_WOKEN)
        return 2;
    if (w != PGW_WAIT_READY)
        return -1;
    if (conn_in_room(c) != 0)
        return -1;
    ssize_t n = c->t->read(c->t->ctx, c->in.data + c->in.len, c->in.cap - c->in.len - 1);
    if (n < 0 && c->t->why)
        conn_set_reason(c, "%s", c->t->why);
    if (n <= 0) {
        c->io_failed = n < 0;
        return n < 0 ? -1 : 0;
    }
    c->in.len += (size_t)n;
    return 1;
}

/* ---- responses ---- */

static void conn_error(conn_t *c, const char *severity, const char *sqlstate, const char *msg,
                       const char *detail, const char *hint)
{
    pgw_notice_t e = {severity, sqlstate, msg, detail, hint, 0, NULL};
    pgw_put_error(&c->out, &e);
}

static void conn_error_from(conn_t *c, const uerr_t *err)
{
    const char *msg = err->message ? err->message : "unknown error";
    pgw_notice_t e = {"ERROR",     err->sqlstate[0] ? err->sqlstate : "XX000",
                      msg,         err->detail,
                      err->hint,   err->position,
                      err->context};
    pgw_put_error(&c->out, &e);
    if (c->sess)
        sess_mark_failed(c->sess);
}

/* A protocol violation: FATAL error, then close. */
static void conn_fatal(conn_t *c, const char *sqlstate, const char *msg)
{
    conn_error(c, "FATAL", sqlstate, msg, NULL, NULL);
    (void)conn_flush(c);
    conn_set_reason(c, "%s", msg);
    c->state = CONN_CLOSING;
}

/* A message that cannot be framed: the stream cannot be resynchronised, so the connection
 * ends. */
static void conn_frame_error(conn_t *c, pgw_frame_status_t st)
{
    conn_fatal(c, "08P01",
               st == PGW_FRAME_TOO_LARGE ? "message too large" : "invalid message length");
}

static void conn_ready(conn_t *c)
{
    pgw_put_ready(&c->out, c->sess ? sess_txn_status(c->sess) : 'I');
    (void)conn_flush(c);
    if (c->out.cap > CONN_OUT_KEEP && c->out.len == 0) {
        ubuf_free(&c->out); /* an idle session does not sit on a large result's buffer */
        conn_out_account(c);
    }
    c->idle_since_ms = conn_clock_ms();
}

/* ---- session sink ---- */

static int sink_row_description(void *ctx, const sess_col_t *cols, size_t n, const int16_t *formats)
{
    conn_t *c = ctx;
    pgw_field_t *f = xcalloc(n ? n : 1, sizeof *f);
    for (size_t i = 0; i < n; i++) {
        f[i].name = cols[i].name ? cols[i].name : "?column?";
        f[i].type_oid = cols[i].oid;
        f[i].typlen = cols[i].typlen;
        f[i].typmod = cols[i].typmod;
        f[i].format = formats ? formats[i] : 0;
    }
    pgw_put_row_description(&c->out, f, n);
    free(f);
    return conn_maybe_flush(c);
}

static int sink_row(void *ctx, const sess_value_t *vals, size_t n)
{
    conn_t *c = ctx;
    size_t start = pgw_row_begin(&c->out, (uint16_t)n);
    for (size_t i = 0; i < n; i++) {
        if (vals[i].len < 0)
            pgw_row_null(&c->out);
        else
            pgw_row_value(&c->out, vals[i].data, (size_t)vals[i].len);
    }
    pgw_row_end(&c->out, start);
    return conn_maybe_flush(c);
}

static int sink_complete(void *ctx, const sess_result_t *r)
{
    conn_t *c = ctx;
    if (r)
        pgw_put_command_complete(&c->out, r->tag);
    else
        pgw_put_empty_query(&c->out);
    return conn_maybe_flush(c);
}

static uint64_t sink_out_mark(void *ctx)
{
    conn_t *c = ctx;
    return c->out_base + c->out.len;
}

static int sink_out_rewind(void *ctx, uint64_t mark)
{
    conn_t *c = ctx;
    if (mark < c->out_base || mark > c->out_base + c->out.len)
        return -1; /* already sent */
    c->out.len = (size_t)(mark - c->out_base);
    return 0;
}

static int sink_notice(void *ctx, const char *sqlstate, const char *message)
{
    conn_t *c = ctx;
    pgw_notice_t n = {"WARNING", sqlstate, message, NULL, NULL, 0, NULL};
    pgw_put_notice(&c->out, &n);
    return 0;
}

static int sink_parameter_status(void *ctx, const char *name, const char *value)
{
    conn_t *c = ctx;
    pgw_put_parameter_status(&c->out, name, value);
    return 0;
}

static int sink_copy_out_begin(void *ctx, bool binary, size_t ncols)
{
    conn_t *c = ctx;
    pgw_put_copy_out_response(&c->out, binary ? 1 : 0, (uint16_t)ncols, NULL);
    return conn_maybe_flush(c);
}

static int sink_copy_data(void *ctx, const void *data, size_t len)
{
    conn_t *c = ctx;
    pgw_put_copy_data(&c->out, data, len);
    return conn_maybe_flush(c);
}

static int sink_copy_out_end(void *ctx)
{
    conn_t *c = ctx;
    pgw_put_copy_done(&c->out);
    return conn_maybe_flush(c);
}

static int sink_copy_in_begin(void *ctx, bool binary, size_t ncols)
{
    conn_t *c = ctx;
    pgw_put_copy_in_response(&c->out, binary ? 1 : 0, (uint16_t)ncols, NULL);
    return conn_flush(c);
}

/* The next message of the COPY FROM STDIN sub-protocol. PostgreSQL ignores Flush and Sync
 * there; anything else but CopyData, CopyDone and CopyFail ends the COPY with an error. */
static int sink_copy_in_read(void *ctx, const void **data, size_t *len, uerr_t *err)
{
    conn_t *c = ctx;
    for (;;) {
        pgw_frame_t f;
        pgw_frame_status_t st = pgw_frame_next((const uint8_t *)c->in.data + c->in_pos,
                                               c->in.len - c->in_pos, c->cfg->max_message_size, &f);
        if (st == PGW_FRAME_NEED_MORE) {
            ubuf_consume(&c->in, c->in_pos); /* the data handed out last is no longer used */
            c->in_pos = 0;
            int r = conn_read_more(c, -1);
            if (r <= 0) {
                conn_set_reason(c, r == 0 ? "client disconnected during COPY" : "read failed");
                c->state = CONN_CLOSING;
                return -1;
            }
            continue;
        }
        if (st != PGW_FRAME_OK) {
            conn_frame_error(c, st);
            return -1;
        }
        c->in_pos += f.total_len;
        switch (f.type) {
        case 'd':
            *data = f.payload;
            *len = f.payload_len;
            return 1;
        case 'c': return 0;
        case 'f': {
            const char *msg = (const char *)f.payload;
            size_t n = strnlen(msg, f.payload_len);
            uerr_set(err, "57014", "COPY from stdin failed: %.*s", (int)(n > 200 ? 200 : n), msg);
            return -1;
        }
        case 'H':
        case 'S': continue;
        default:
            uerr_set(err, "08P01", "unexpected message type 0x%02X during COPY from stdin",
                     (unsigned char)f.type);
            return -1;
        }
    }
}

static sess_sink_t conn_sink(conn_t *c)
{
    sess_sink_t s = {.ctx = c,
                     .row_description = sink_row_description,
                     .row = sink_row,
                     .complete = sink_complete,
                     .notice = sink_notice,
                     .parameter_status = sink_parameter_status,
                     .copy_out_begin = sink_copy_out_begin,
                     .copy_data = sink_copy_data,
                     .copy_out_end = sink_copy_out_end,
                     .copy_in_begin = sink_copy_in_begin,
                     .copy_in_read = sink_copy_in_read,
                     .out_mark = sink_out_mark,
                     .out_rewind = sink_out_rewind};
    return s;
}

/* ---- extended protocol ---- */

/* True when the input already holds the rest of the client's batch and it is only [one
 * Execute, when allow_execute, then] Sync: the statement being handled is the last before
 * Sync, so the session may let it commit by itself (sess_hint_last). */
static bool conn_sync_follows(const conn_t *c, bool allow_execute)
{
    size_t pos = c->in_pos;
    for (int i = 0; i < 2; i++) {
        pgw_frame_t f;
        if (pos >= c->in.len || pgw_frame_next((const uint8_t *)c->in.data + pos, c->in.len - pos,
                                               c->cfg->max_message_size, &f) != PGW_FRAME_OK)
            return false;
        if (f.type == 'S')
            return true;
        if (f.type != 'E' || !allow_execute)
            return false;
        allow_execute = false;
        pos += f.total_len;
    }
    return false;
}

/* An extended-protocol error: the ErrorResponse goes out at once, as PostgreSQL flushes every
 * error (elog.c), so a client that half-closes or waits without Sync still learns of it; then
 * input is skipped until Sync. */
static void conn_fail(conn_t *c, uerr_t *err)
{
    conn_error_from(c, err);
    uerr_clear(err);
    (void)conn_flush(c);
    if (c->state == CONN_READY)
        c->state = CONN_SKIP;
}

static void conn_bad_message(conn_t *c, char type, const char *why)
{
    uerr_t err = UERR_INIT;
    uerr_set(&err, "08P01", "invalid \"%c\" message: %s", type, why);
    conn_fail(c, &err);
}

static void on_parse(conn_t *c, const uint8_t *p, size_t n)
{
    pgw_parse_t m;
    const char *why = NULL;
    uerr_t err = UERR_INIT;
    if (!pgw_decode_parse(p, n, &m, &why)) {
        conn_bad_message(c, 'P', why);
        return;
    }
    if (sess_prepare(c->sess, m.name, m.sql, m.sql_len, m.param_oids, m.nparams, &err) != 0)
        conn_fail(c, &err);
    else
        pgw_put_parse_complete(&c->out);
    pgw_parse_free(&m);
}

static void on_bind(conn_t *c, const uint8_t *p, size_t n)
{
    pgw_bind_t m;
    const char *why = NULL;
    uerr_t err = UERR_INIT;
    if (!pgw_decode_bind(p, n, &m, &why)) {
        conn_bad_message(c, 'B', why);
        return;
    }
    eng_param_t *params = xcalloc(m.nparams ? m.nparams : 1, sizeof *params);
    for (size_t i = 0; i < m.nparams; i++) {
        params[i].data = m.params[i].data;
        params[i].len = m.params[i].len;
        params[i].format = m.nformats == 0 ? 0 : m.formats[m.nformats == 1 ? 0 : i];
        params[i].oid = 0;
    }
    if (sess_bind(c->sess, m.portal, m.stmt, params, m.nparams, m.result_formats, m.nresult_formats,
                  &err) != 0)
        conn_fail(c, &err);
    else
        pgw_put_bind_complete(&c->out);
    free(params);
    pgw_bind_free(&m);
}

static void put_row_description(conn_t *c, const sess_col_t *cols, size_t ncols,
                                const int16_t *formats)
{
    if (ncols == 0)
        pgw_put_no_data(&c->out);
    else
        (void)sink_row_description(c, cols, ncols, formats);
}

static void on_describe(conn_t *c, const uint8_t *p, size_t n)
{
    pgw_target_t m;
    const char *why = NULL;
    uerr_t err = UERR_INIT;
    const sess_col_t *cols;
    size_t ncols;
    if (!pgw_decode_target(p, n, &m, &why)) {
        conn_bad_message(c, 'D', why);
        return;
    }
    if (m.kind == 'S') {
        const uint32_t *oids;
        size_t noids;
        if (sess_describe_statement(c->sess, m.name, &oids, &noids, &cols, &ncols, &err) != 0) {
            conn_fail(c, &err);
            return;
        }
        pgw_put_parameter_description(&c->out, oids, noids);
        put_row_description(c, cols, ncols, NULL);
    } else {
        const int16_t *formats;
        sess_hint_last(c->sess, conn_sync_follows(c, true));
        if (sess_describe_portal(c->sess, m.name, &cols, &ncols, &formats, &err) != 0) {
            conn_fail(c, &err);
            return;
        }
        put_row_description(c, cols, ncols, formats);
    }
}

static void on_execute(conn_t *c, const uint8_t *p, size_t n)
{
    pgw_execute_t m;
    const char *why = NULL;
    uerr_t err = UERR_INIT;
    bool suspended = false;
    if (!pgw_decode_execute(p, n, &m, &why)) {
        conn_bad_message(c, 'E', why);
        return;
    }
    sess_sink_t sink = conn_sink(c);
    sess_hint_last(c->sess, m.max_rows == 0 && conn_sync_follows(c, false));
    if (sess_execute(c->sess, m.portal, m.max_rows, &sink, &suspended, &err) != 0) {
        if (uerr_isset(&err))
            conn_fail(c, &err);
        return;
    }
    if (suspended)
        pgw_put_portal_suspended(&c->out);
}

static void on_close(conn_t *c, const uint8_t *p, size_t n)
{
    pgw_target_t m;
    const char *why = NULL;
    if (!pgw_decode_target(p, n, &m, &why)) {
        conn_bad_message(c, 'C', why);
        return;
    }
    if (m.kind == 'S')
        sess_close_statement(c->sess, m.name);
    else
        sess_close_portal(c->sess, m.name);
    pgw_put_close_complete(&c->out);
}

static void on_query(conn_t *c, const uint8_t *p, size_t n)
{
    pgw_query_t m;
    const char *why = NULL;
    uerr_t err = UERR_INIT;
    if (!pgw_decode_query(p, n, &m, &why)) {
        conn_bad_message(c, 'Q', why);
        c->state = CONN_READY;
        conn_ready(c);
        return;
    }
    /* the statements keep running while COPY FROM STDIN reads (and moves) input: own them */
    char *sql = xstrndup(m.sql, m.sql_len);
    sess_sink_t sink = conn_sink(c);
    int rc = sess_simple_query(c->sess, sql, m.sql_len, &sink, &err);
    free(sql);
    if (rc == SESS_PENDING) {
        c->awaiting = true; /* answered by conn_async_done or conn_await */
        return;
    }
    if (rc != 0 && uerr_isset(&err)) {
        conn_error_from(c, &err);
        uerr_clear(&err);
    }
    if (c->state != CONN_CLOSING)
        conn_ready(c);
}

/* The session's commit hook (sess_set_async), on the committer's thread: a committed batch is
 * answered here with ReadyForQuery, written without blocking, so this connection's thread
 * stays asleep until the client's next message; anything else (a failure, a client that does
 * not take the bytes at once) wakes the connection's thread to finish (conn_await). */
static void conn_async_done(void *ctx, bool committed)
{
    conn_t *c = ctx;
    c->sent = c->answered = false;
    if (committed) {
        pgw_put_ready(&c->out, 'I');
        c->answered = true;
        ssize_t w = c->t->try_write(c->t->ctx, c->out.data, c->out.len);
        if (w > 0) {
            c->out_base += (uint64_t)w;
            metrics_bytes_sent(MET_PGWIRE, (uint64_t)w);
            ubuf_consume(&c->out, (size_t)w);
        }
        c->sent = c->out.len == 0;
    }
    if (!c->sent)
        c->t->wake(c->t->ctx);
}

/* After SESS_PENDING: waits for the commit (at once if it is done) and finishes what the
 * committer's thread left: the rest of the answer, or the outcome of a batch that handed the
 * statements back or withdrew them. Called before this thread does anything else. */
static void conn_await(conn_t *c)
{
    uerr_t err = UERR_INIT;
    if (!c->awaiting)
        return;
    sess_sink_t sink = conn_sink(c);
    int rc = sess_finish(c->sess, &sink, &err);
    c->awaiting = false;
    if (c->sent || c->answered) {
        if (!c->sent)
            (void)conn_flush(c);
        c->idle_since_ms = conn_clock_ms();
    } else {
        if (rc != 0 && uerr_isset(&err))
            conn_error_from(c, &err);
        if (c->state != CONN_CLOSING)
            conn_ready(c);
    }
    uerr_clear(&err);
}

/* Sync ends the implicit transaction of the batch: a failed commit is reported before
 * ReadyForQuery, as PostgreSQL reports an error at commit. */
static void on_sync(conn_t *c)
{
    uerr_t err = UERR_INIT;
    sess_sink_t sink = conn_sink(c);
    bool skipping = c->state == CONN_SKIP;
    c->state = CONN_READY;
    int rc = sess_sync(c->sess, &sink, &err);
    if (rc == SESS_PENDING) {
        c->awaiting = true;
        return;
    }
    if (rc != 0 && uerr_isset(&err) && !skipping)
        conn_error_from(c, &err);
    uerr_clear(&err);
    if (c->state != CONN_CLOSING)
        conn_ready(c);
}

/* Dispatches one regular message. */
static void conn_dispatch(conn_t *c, char type, const uint8_t *p, size_t n)
{
    c->idle_since_ms = 0;
    if (c->state == CONN_SKIP && type != 'S' && type != 'X')
        return;
    switch (type) {
    case 'Q': on_query(c, p, n); break;
    case 'P': on_parse(c, p, n); break;
    case 'B': on_bind(c, p, n); break;
    case 'D': on_describe(c, p, n); break;
    case 'E': on_execute(c, p, n); break;
    case 'C': on_close(c, p, n); break;
    case 'H': (void)conn_flush(c); break;
    case 'S': on_sync(c); break;
    case 'X':
        conn_set_reason(c, "client terminated");
        c->state = CONN_CLOSING;
        break;
    case 'd':
    case 'c':
    case 'f': /* COPY messages outside COPY are ignored, as in PG */ break;
    default: {
        char msg[64];
        snprintf(msg, sizeof msg, "invalid frontend message type %d", (unsigned char)type);
        conn_fatal(c, "08P01", msg);
        break;
    }
    }
}

/* ---- startup ---- */

static int conn_startup_params(conn_t *c, const pgw_startup_t *s)
{
    const char *unknown[64];
    size_t nunknown = 0;
    for (size_t i = 0; i < s->nparams && nunknown < 64; i++)
        if (strncmp(s->params[i].key, "_pq_.", 5) == 0)
            unknown[nunknown++] = s->params[i].key;
    if ((s->code & 0xffff) != 0 || nunknown)
        pgw_put_negotiate_version(&c->out, 0, unknown, nunknown);
    const char *user = pgw_startup_get(s, "user");
    if (!user || !*user) {
        conn_fatal(c, "28000", "no PostgreSQL user name specified in startup packet");
        return -1;
    }
    const char *db = pgw_startup_get(s, "database");
    c->user = xstrdup(user);
    c->database = xstrdup(db && *db ? db : user);
    return 0;
}

static void conn_params_cb(void *ctx, const char *name, const char *value)
{
    conn_t *c = ctx;
    pgw_put_parameter_status(&c->out, name, value);
}

static int auth_flush(void *ctx) { return conn_flush(ctx); }

/* The client's next authentication message (SASLInitialResponse / SASLResponse), read
 * through the same framing as every other message, capped small, within the authentication
 * deadline (conn_read_more applies it while the connection is in startup). */
static int auth_read(void *ctx, char *type, const uint8_t **payload, size_t *len)
{
    conn_t *c = ctx;
    for (;;) {
        pgw_frame_t f;
        pgw_frame_status_t st = pgw_frame_next((const uint8_t *)c->in.data + c->in_pos,
                                               c->in.len - c->in_pos, CONN_AUTH_MSG_MAX, &f);
        if (st == PGW_FRAME_OK) {
            c->in_pos += f.total_len;
            *type = f.type;
            *payload = f.payload;
            *len = f.payload_len;
            return 0;
        }
        if (st != PGW_FRAME_NEED_MORE)
            return PGW_AUTH_MALFORMED;
        ubuf_consume(&c->in, c->in_pos); /* the message handed out last is no longer used */
        c->in_pos = 0;
        if (conn_read_more(c, -1) <= 0)
            return c->close_reason && !strcmp(c->close_reason, "authentication timeout")
                       ? PGW_AUTH_TIMEOUT
                       : PGW_AUTH_GONE;
    }
}

/* The startup "options" parameter holds command-line style settings: "-c name=value" or
 * "--name=value", separated by spaces (libpq's PGOPTIONS). */
static void conn_apply_options(conn_t *c, const char *opts)
{
    char *copy = xstrdup(opts), *save = NULL;
    bool next_is_setting = false;
    for (char *tok = strtok_r(copy, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
        char *setting = NULL;
        if (next_is_setting)
            setting = tok;
        else if (!strncmp(tok, "--", 2))
            setting = tok + 2;
        else if (!strncmp(tok, "-c", 2) && tok[2])
            setting = tok + 2;
        next_is_setting = !strcmp(tok, "-c");
        char *eq = setting ? strchr(setting, '=') : NULL;
        if (!eq)
            continue;
        *eq = '\0';
        if (!sess_set_startup_option(c->sess, setting, eq + 1))
            ulog(ULOG_DEBUG, "ignoring startup option %s", setting);
    }
    free(copy);
}

/* Handles the StartupMessage: auth, session, parameters, BackendKeyData, ReadyForQuery. */
static void conn_begin_session(conn_t *c, const pgw_startup_t *s)
{
    uerr_t err = UERR_INIT;
    if (conn_startup_params(c, s) != 0)
        return;
    if (c->cfg->tls_required && !c->t->is_unix && !c->t->tls) {
        conn_fatal(c, "28000", "TLS is required for TCP connections (tls_required = true)");
        return;
    }
    pgw_auth_io_t io = {c, &c->out, auth_flush, auth_read};
    pgw_scram_cb_t cb = {c->t->cb_data, c->t->cb_len};
    pgw_login_t login = {.hba = c->cfg->hba,
                         .users_file = c->cfg->users_file,
                         .peer = c->t->peer_len ? (const struct sockaddr *)&c->t->peer : NULL,
                         .peer_uid = c->t->peer_uid,
                         .is_unix = c->t->is_unix,
                         .tls = c->t->tls,
                         .cb = c->t->tls && c->t->cb_len ? &cb : NULL,
                         .user = c->user,
                         .database = c->database,
                         .test_nonce = c->cfg->test_scram_nonce};
    const char *method = "?";
    int role = GUARD_ROLE_READ_ONLY;
    if (pgw_auth_login(&login, &io, &role, &method, &err) != 0) {
        ulog(ULOG_WARN, "authentication failed: user=%s database=%s method=%s: %s%s%s", c->user,
             c->database, method, err.message, err.detail ? " — " : "",
             err.detail ? err.detail : "");
        conn_fatal(c, err.sqlstate, err.message);
        uerr_clear(&err);
        return;
    }
    /* Authenticated: from here on the connection holds a session slot, not a startup one
     * (PostgreSQL, too, checks max_connections only after authentication). */
    conn_startup_leave(c);
    if (c->evicted) {
        conn_set_reason(c, "evicted during startup (max_startup_connections)");
        c->state = CONN_CLOSING;
        return;
    }
    c->reg.proto = "pgwire";
    uaddr_text(c->t->peer_len ? (const struct sockaddr *)&c->t->peer : NULL, c->reg.client,
               sizeof c->reg.client);
    switch (sreg_admit(&c->reg, c->t->fd, c->user)) {
    case SREG_ADMITTED: break;
    case SREG_STOPPING: conn_fatal(c, "57P03", "the database system is shutting down"); return;
    case SREG_FULL: conn_fatal(c, "53300", "sorry, too many clients already"); return;
    case SREG_USER_FULL: {
        char msg[160];
        snprintf(msg, sizeof msg, "too many connections for role \"%s\"", c->user);
        conn_fatal(c, "53300", msg);
        return;
    }
    }
    c->registered = true;
    if (sess_create(c->cfg->env, c->user, c->database, pgw_startup_get(s, "application_name"),
                    &c->sess, &err) != 0) {
        conn_fatal(c, err.sqlstate, err.message);
        uerr_clear(&err);
        return;
    }
    sess_set_role(c->sess, (guard_role_t)role, false);
    /* Group commit answers from the committer's thread where the transport can write without
     * blocking and wake this thread (plain sockets; not TLS, not the memory transport). */
    if (c->t->try_write && c->t->wake && !c->t->tls)
        sess_set_async(c->sess, conn_async_done, c);
    for (size_t i = 0; i < s->nparams; i++) {
        const char *k = s->params[i].key;
        if (!strcmp(k, "options"))
            conn_apply_options(c, s->params[i].value);
        else if (strcmp(k, "user") && strcmp(k, "database") &&
                 !sess_set_startup_option(c->sess, k, s->params[i].value))
            ulog(ULOG_DEBUG, "ignoring startup parameter %s", k);
    }
    sess_set_protocol(c->sess, "pgwire");
    sreg_attach(&c->reg, c->sess);
    sess_set_backend_pid(c->sess, c->reg.id);
    sess_initial_parameters(c->sess, conn_params_cb, c);
    pgw_put_backend_key(&c->out, c->reg.id, c->reg.key);
    c->state = CONN_READY;
    ulog(ULOG_INFO, "connection start: pid=%d user=%s database=%s role=%s auth=%s%s", c->reg.id,
         c->user, c->database, guard_role_name((guard_role_t)role), method,
         c->t->tls ? " tls" : "");
    conn_ready(c);
}

/* SSLRequest: 'S' and the TLS handshake when a certificate is configured, else 'N'. Bytes the
 * client sent after the request but before the handshake would be taken as if they came
 * through TLS (CVE-2021-23214), so they end the connection. */
static void conn_start_tls(conn_t *c)
{
    const char *why = NULL;
    if (!c->t->start_tls || c->t->is_unix || c->t->tls) {
        if (c->t->tls) {
            conn_fatal(c, "08P01", "SSLRequest received over TLS");
            return;
        }
        ubuf_putc(&c->out, 'N');
        (void)conn_flush(c);
        return;
    }
    if (c->in_pos < c->in.len) {
        conn_fatal(c, "08P01", "received unencrypted data after SSL request");
        return;
    }
    ubuf_putc(&c->out, 'S');
    if (conn_flush(c) != 0)
        return;
    int64_t left = c->auth_deadline_ms - conn_clock_ms();
    if (left <= 0 || c->t->start_tls(c->t->ctx, (int)left, &why) != 0) {
        conn_set_reason(c, "%s", left <= 0 ? "authentication timeout" : why);
        c->io_failed = true;
        c->state = CONN_CLOSING;
    }
}

/* One startup-phase packet. */
static void conn_on_startup(conn_t *c, const uint8_t *in, size_t n)
{
    pgw_startup_t s;
    const char *why = NULL;
    /* The decoded packet borrows its bytes, and authentication reads (and moves) the input
     * buffer: decode a private copy (at most PGW_STARTUP_MAX bytes). */
    uint8_t *p = xmalloc(n ? n : 1);
    memcpy(p, in, n);
    if (!pgw_decode_startup(p, n, &s, &why)) {
        conn_fatal(c, "08P01", why ? why : "invalid startup packet");
        free(p);
        return;
    }
    switch (s.code) {
    case PGW_SSL_REQUEST: conn_start_tls(c); break;
    case PGW_GSSENC_REQUEST:
        ubuf_putc(&c->out, 'N');
        (void)conn_flush(c);
        break;
    case PGW_CANCEL_REQUEST:
        sreg_cancel(s.cancel_pid, s.cancel_key);
        conn_set_reason(c, "cancel request for pid %d", s.cancel_pid);
        c->state = CONN_CLOSING;
        break;
    default: conn_begin_session(c, &s); break;
    }
    pgw_startup_free(&s);
    free(p);
}

/* ---- main loop ---- */

/* Parses and handles every whole message in the input buffer. */
static void conn_process_input(conn_t *c)
{
    while (c->state != CONN_CLOSING && c->in_pos < c->in.len) {
        pgw_frame_t f;
        const uint8_t *data = (const uint8_t *)c->in.data + c->in_pos;
        size_t avail = c->in.len - c->in_pos;
        pgw_frame_status_t st = c->state == CONN_STARTUP
                                    ? pgw_frame_startup(data, avail, &f)
                                    : pgw_frame_next(data, avail, c->cfg->max_message_size, &f);
        if (st == PGW_FRAME_NEED_MORE)
            break;
        if (st != PGW_FRAME_OK) {
            conn_frame_error(c, st);
            break;
        }
        /* taken before it is handled: COPY FROM STDIN reads the messages that follow */
        c->in_pos += f.total_len;
        if (c->state == CONN_STARTUP)
            conn_on_startup(c, f.payload, f.payload_len);
        else
            conn_dispatch(c, f.type, f.payload, f.payload_len);
        /* A client that sent more already is answered in order: wait for the commit here. */
        if (c->awaiting && c->in_pos < c->in.len)
            conn_await(c);
        /* Replies to Parse/Bind/Close/Describe do not pass the sink: flush here too, so a
         * client that pipelines without reading blocks the session instead of growing it. */
        if (c->state != CONN_CLOSING)
            (void)conn_maybe_flush(c);
    }
    ubuf_consume(&c->in, c->in_pos);
    c->in_pos = 0;
    conn_in_release(c);
}

/* The idle timeout that applies while waiting for the next message (ms, -1 = none): after
 * ReadyForQuery, idle_in_transaction_session_timeout inside a block, else
 * idle_session_timeout. */
static int64_t conn_idle_timeout(const conn_t *c)
{
    if (c->state != CONN_READY || !c->sess || !c->idle_since_ms || c->awaiting)
        return -1;
    int64_t ms = sess_param_ms(c->sess, sess_txn_status(c->sess) == 'I'
                                            ? "idle_session_timeout"
                                            : "idle_in_transaction_session_timeout");
    return ms > 0 ? ms : -1;
}

/* An idle timeout passed: FATAL as PostgreSQL words it, then close. */
static void conn_idle_expired(conn_t *c)
{
    if (sess_txn_status(c->sess) == 'I')
        conn_fatal(c, "57P05", "terminating connection due to idle-session timeout");
    else
        conn_fatal(c, "25P03", "terminating connection due to idle-in-transaction timeout");
}

/* Serves the conversation on t (borrowed; the caller closes it afterwards); startup (may be
 * NULL, owned from here on) is its startup-list entry, t_accept_ms its connect time. */
static void conn_serve(const pgw_server_cfg_t *cfg, pgw_transport_t *t, conn_startup_t *startup,
                       int64_t t_accept_ms)
{
    conn_t c = {0};
    c.cfg = cfg;
    c.t = t;
    c.state = CONN_STARTUP;
    c.startup = startup;
    c.auth_deadline_ms = t_accept_ms + cfg->authentication_timeout_ms;
    while (c.state != CONN_CLOSING) {
        int r = conn_read_more(&c, conn_idle_timeout(&c));
        conn_await(&c); /* a pending commit first, whatever woke this thread */
        if (r == 2)
            continue; /* woken by the committer */
        if (r == -2) {
            conn_idle_expired(&c);
            break;
        }
        if (c.registered && sreg_terminated(&c.reg)) { /* pg_terminate_backend */
            conn_error(&c, "FATAL", "57P01", "terminating connection due to administrator command",
                       NULL, NULL);
            (void)conn_flush(&c);
            conn_set_reason(&c, "terminated by pg_terminate_backend");
            break;
        }
        if (r <= 0) {
            if (r == 0 && sreg_shutting_down() && c.state != CONN_STARTUP) {
                conn_error(&c, "FATAL", "57P01",
                           "terminating connection due to administrator command", NULL, NULL);
                (void)conn_flush(&c);
                conn_set_reason(&c, "server shutdown");
            }
            conn_set_reason(&c, r == 0 ? "client disconnected" : "read failed");
            break;
        }
        conn_process_input(&c);
        if (c.out.len && !c.io_failed && c.state == CONN_CLOSING)
            (void)conn_flush(&c);
    }
    if (c.sess) {
        sreg_attach(&c.reg, NULL);
        sess_destroy(c.sess);
    }
    if (c.registered) {
        sreg_remove(&c.reg);
        ulog(ULOG_INFO, "connection end: pid=%d user=%s reason=%s", c.reg.id, c.user ? c.user : "?",
             c.close_reason ? c.close_reason : "closed");
    }
    conn_startup_leave(&c);
    if (c.evicted)
        ulog(ULOG_INFO, "startup connection closed: evicted to make room for a newer one "
                        "(max_startup_connections)");
    else if (!c.registered && c.close_reason && !strcmp(c.close_reason, "authentication timeout"))
        ulog(ULOG_WARN, "startup connection closed: authentication timeout");
    ubuf_free(&c.in);
    conn_in_uncharge(&c);
    ubuf_free(&c.out);
    conn_out_account(&c);
    free(c.user);
    free(c.database);
    free(c.close_reason);
}

void pgw_conn_run(const pgw_server_cfg_t *cfg, pgw_transport_t *t, int64_t t_accept_ms)
{
    conn_serve(cfg, t, NULL, t_accept_ms);
}

void pgw_conn_serve(const pgw_server_cfg_t *cfg, int fd)
{
    pgw_transport_t *t = pgw_transport_socket(fd, cfg->tls);
    conn_serve(cfg, t, NULL, conn_clock_ms());
    pgw_transport_free(t);
}

typedef struct conn_arg {
    const pgw_server_cfg_t *cfg;
    int fd;
    conn_startup_t *startup; /* owned until the thread takes it */
    int64_t t_accept_ms;
} conn_arg_t;

static atomic_int conn_threads;

int pgw_conn_active(void) { return atomic_load(&conn_threads); }

static void *conn_thread(void *arg)
{
    conn_arg_t a = *(conn_arg_t *)arg;
    free(arg);
    pthread_setname_np(pthread_self(), "duckd-conn"); /* top -H, perf: one per connection */
    pgw_transport_t *t = pgw_transport_socket(a.fd, a.cfg->tls);
    /* conn_serve leaves the startup list before this closes the socket (see
     * conn_startup_leave: the accept thread may shut a linked entry's fd down). */
    conn_serve(a.cfg, t, a.startup, a.t_accept_ms);
    pgw_transport_free(t);
    pgw_tls_thread_end();
    atomic_fetch_sub(&conn_threads, 1);
    return NULL;
}

int pgw_conn_spawn(const pgw_server_cfg_t *cfg, int fd)
{
    pthread_t t;
    pthread_attr_t attr;
    conn_arg_t *a = xmalloc(sizeof *a);
    a->cfg = cfg;
    a->fd = fd;
    a->t_accept_ms = conn_clock_ms();
    a->startup = conn_startup_add(fd, cfg->max_startup);
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    atomic_fetch_add(&conn_threads, 1);
    int rc = pthread_create(&t, &attr, conn_thread, a);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        atomic_fetch_sub(&conn_threads, 1);
        conn_t dead = {.startup = a->startup};
        conn_startup_leave(&dead);
        free(a);
        close(fd);
        return -rc;
    }
    return 0;
}
