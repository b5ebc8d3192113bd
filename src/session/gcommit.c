/* The group committer: a queue of requests, one thread that writes them in batches, the
 * shape cache, and the counters. See gcommit.h. */
#include "session/gcommit.h"

#include <ctype.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/buf.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/xalloc.h"

#define GC_SHAPE_CACHE_MAX 256 /* cached targets; unreferenced ones beyond this are dropped */
#define GC_INSERTERS_MAX 64    /* prepared INSERTs kept on the committer's connection */
#define GC_LOG_EVERY_US 60000000

struct gc_shape {
    char *key;       /* owned: lower-cased name parts and columns */
    eng_shape_t *es; /* owned; NULL: the target cannot take coalesced rows */
    uint64_t id;     /* unique for the process */
    uint64_t epoch;  /* the schema epoch it was described in */
    atomic_int refs; /* the cache's own reference while cached, plus users */
    bool cached;     /* still in the cache list */
    struct gc_shape *next;
};

typedef struct gc_part {
    gc_shape_t *sh; /* holds a reference */
    eng_rows_t *rows;
} gc_part_t;

typedef enum { GC_REQ_IDLE = 0, GC_REQ_QUEUED, GC_REQ_RUNNING, GC_REQ_DONE } gc_req_state_t;

struct gc_req {
    gc_part_t *parts; /* owned */
    size_t nparts, cap;
    /* Guarded by the committer's mutex from gc_submit_async until gc_wait returns: */
    gc_req_state_t state;
    gc_result_t result;
    bool stopped;       /* refused because the committer was stopping */
    gc_done_fn done_fn; /* called once when the request is done, before the semaphore */
    void *done_ctx;
    int64_t t_queued;
    size_t charged; /* bytes counted in buffer_memory (gc_req_reserve) until the reset */
    sem_t done;     /* posted once when state becomes DONE (no shared lock to wake through) */
    struct gc_req *next;
};

/* A prepared INSERT of one shape on the committer's connection. */
typedef struct gc_ins {
    gc_shape_t *sh; /* holds a reference */
    eng_inserter_t *ins;
    uint64_t used; /* batch number of its last use, for eviction */
} gc_ins_t;

struct gc {
    gc_cfg_t cfg;
    eng_conn_t *conn; /* the committer's own connection (committer thread only) */
    pthread_t thread;
    bool started;
    /* mu guards the queue, stopping and the stats */
    pthread_mutex_t mu;
    pthread_cond_t work; /* signalled when a request is queued or stopping is set */
    gc_req_t *head, *tail;
    size_t nqueued;  /* requests in the queue */
    size_t want;     /* the committer sleeps until nqueued reaches this (0: not sleeping) */
    size_t last_n;   /* requests in the previous batch */
    int64_t last_us; /* how long the previous batch took to write */
    bool stopping, stopped;
    gc_stats_t st;
    /* shape cache */
    pthread_mutex_t shape_mu;
    gc_shape_t *shapes;
    size_t nshapes;
    uint64_t next_shape_id;
    atomic_uint_fast64_t epoch;
    /* committer thread only */
    gc_ins_t ins[GC_INSERTERS_MAX];
    size_t nins;
    uint64_t nbatch;
    int64_t last_log;
    gc_stats_t logged;
};

static int64_t gc_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---- shapes ---- */

static void gc_shape_free(gc_shape_t *sh)
{
    eng_shape_free(sh->es);
    free(sh->key);
    free(sh);
}

/* References are atomic: the cache holds one while the shape is listed (under shape_mu), so
 * the count reaches zero only after it left the cache. */
static void gc_shape_unref_locked(gc_shape_t *sh)
{
    if (atomic_fetch_sub(&sh->refs, 1) == 1)
        gc_shape_free(sh);
}

void gc_shape_unref(gc_t *g, gc_shape_t *sh)
{
    (void)g;
    if (sh)
        gc_shape_unref_locked(sh);
}

static void gc_shape_ref(gc_shape_t *sh) { atomic_fetch_add(&sh->refs, 1); }

const eng_shape_t *gc_shape_eng(const gc_shape_t *sh) { return sh->es; }

void gc_schema_changed(gc_t *g) { atomic_fetch_add(&g->epoch, 1); }

static void gc_key_part(ubuf_t *b, const char *s)
{
    for (; *s; s++)
        ubuf_putc(b, (char)tolower((unsigned char)*s));
    ubuf_putc(b, '\x1f');
}

/* Unlinks cached shapes that are stale (older epoch) or, beyond the cap, unreferenced.
 * Caller holds shape_mu. */
static void gc_shape_prune(gc_t *g, uint64_t epoch)
{
    gc_shape_t **pp = &g->shapes;
    while (*pp) {
        gc_shape_t *sh = *pp;
        if (sh->epoch != epoch ||
            (g->nshapes > GC_SHAPE_CACHE_MAX && atomic_load(&sh->refs) == 1)) {
            *pp = sh->next;
            sh->cached = false;
            g->nshapes--;
            gc_shape_unref_locked(sh);
        } else {
            pp = &sh->next;
        }
    }
}

int gc_shape_get(gc_t *g, eng_conn_t *c, char *const *name, size_t nname, char *const *cols,
                 size_t ncols, gc_shape_t **out)
{
    ubuf_t key = UBUF_INIT;
    gc_shape_t *sh = NULL;
    uerr_t err = UERR_INIT;
    const char *part[3] = {NULL, NULL, NULL}; /* catalog, schema, table */
    int rc = -1;

    *out = NULL;
    for (size_t i = 0; i < nname; i++) {
        gc_key_part(&key, name[i]);
        part[3 - nname + i] = name[i];
    }
    ubuf_putc(&key, '(');
    for (size_t i = 0; i < ncols; i++)
        gc_key_part(&key, cols[i]);
    ubuf_cstr(&key);
    uint64_t epoch = atomic_load(&g->epoch);
    pthread_mutex_lock(&g->shape_mu);
    gc_shape_prune(g, epoch);
    for (sh = g->shapes; sh && strcmp(sh->key, key.data) != 0; sh = sh->next)
        ;
    if (sh)
        gc_shape_ref(sh);
    pthread_mutex_unlock(&g->shape_mu);
    if (!sh) { /* describe it outside the lock: a DuckDB call on the session's connection */
        sh = xcalloc(1, sizeof *sh);
        sh->key = key.data;
        key = (ubuf_t)UBUF_INIT;
        sh->epoch = epoch;
        atomic_init(&sh->refs, 2); /* the cache's and the caller's */
        if (eng_shape_open(c, part[0], part[1], part[2], (const char *const *)cols, ncols, &sh->es,
                           &err) != 0)
            sh->es = NULL; /* remembered too: the ordinary path until the schema changes */
        pthread_mutex_lock(&g->shape_mu);
        sh->id = ++g->next_shape_id;
        sh->cached = true;
        sh->next = g->shapes;
        g->shapes = sh;
        g->nshapes++;
        pthread_mutex_unlock(&g->shape_mu);
    }
    if (sh->es) {
        *out = sh;
        rc = 0;
    } else {
        gc_shape_unref(g, sh);
    }
    uerr_clear(&err);
    ubuf_free(&key);
    return rc;
}

/* ---- requests ---- */

gc_req_t *gc_req_new(void)
{
    gc_req_t *r = xcalloc(1, sizeof *r);
    sem_init(&r->done, 0, 0);
    return r;
}

void gc_req_reset(gc_t *g, gc_req_t *r)
{
    for (size_t i = 0; i < r->nparts; i++) {
        eng_rows_free(r->parts[i].rows);
        gc_shape_unref(g, r->parts[i].sh);
    }
    r->nparts = 0;
    umem_release(UMEM_GCOMMIT, r->charged);
    r->charged = 0;
}

void gc_req_free(gc_t *g, gc_req_t *r)
{
    if (!r)
        return;
    gc_req_reset(g, r);
    free(r->parts);
    sem_destroy(&r->done);
    free(r);
}

eng_rows_t *gc_req_rows(gc_t *g, gc_req_t *r, gc_shape_t *sh)
{
    for (size_t i = 0; i < r->nparts; i++)
        if (r->parts[i].sh == sh)
            return r->parts[i].rows;
    if (r->nparts == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 4;
        r->parts = xrealloc(r->parts, r->cap * sizeof *r->parts);
    }
    (void)g;
    gc_shape_ref(sh); /* the request's own reference */
    gc_part_t *p = &r->parts[r->nparts++];
    p->sh = sh;
    p->rows = eng_rows_new(sh->es);
    return p->rows;
}

#define GC_REQ_FREE_BYTES (64u << 10) /* a request this small never waits for memory */

int gc_req_reserve(gc_req_t *r, uerr_t *err)
{
    size_t n = 0;
    for (size_t i = 0; i < r->nparts; i++)
        n += eng_rows_bytes(r->parts[i].rows);
    if (n <= r->charged)
        return 0;
    n -= r->charged;
    if (r->charged + n <= GC_REQ_FREE_BYTES) {
        umem_charge(UMEM_GCOMMIT, n);
    } else if (umem_reserve_wait(UMEM_GCOMMIT, n, umem_now_ms() + umem_wait_timeout()) != 0) {
        uerr_set(err, "53200", "out of memory");
        uerr_set_detail(err,
                        "rows waiting for group commit did not fit in the server's "
                        "buffer_memory (%lld bytes) within memory_wait_timeout (%d ms)",
                        (long long)umem_budget(), umem_wait_timeout());
        return -1;
    }
    r->charged += n;
    return 0;
}

size_t gc_req_nrows(const gc_req_t *r)
{
    size_t n = 0;
    for (size_t i = 0; i < r->nparts; i++)
        n += eng_rows_count(r->parts[i].rows);
    return n;
}

/* ---- the committer ---- */

/* The prepared INSERT of shape sh on the committer's connection, prepared on first use. */
static eng_inserter_t *gc_inserter(gc_t *g, gc_shape_t *sh, uerr_t *err)
{
    size_t i, victim = 0;
    for (i = 0; i < g->nins; i++) {
        if (g->ins[i].sh == sh) {
            g->ins[i].used = g->nbatch;
            return g->ins[i].ins;
        }
        if (g->ins[i].used < g->ins[victim].used)
            victim = i;
    }
    eng_inserter_t *ins = NULL;
    if (eng_inserter_open(g->conn, sh->es, &ins, err) != 0)
        return NULL;
    if (g->nins == GC_INSERTERS_MAX) { /* evict the least recently used */
        eng_inserter_free(g->ins[victim].ins);
        gc_shape_unref(g, g->ins[victim].sh);
        i = victim;
    } else {
        i = g->nins++;
    }
    gc_shape_ref(sh);
    g->ins[i] = (gc_ins_t){sh, ins, g->nbatch};
    return ins;
}

/* Drops the prepared INSERTs of shapes that left the cache (stale after a schema change). */
static void gc_inserters_prune(gc_t *g)
{
    for (size_t i = 0; i < g->nins;) {
        pthread_mutex_lock(&g->shape_mu);
        bool stale = !g->ins[i].sh->cached;
        pthread_mutex_unlock(&g->shape_mu);
        if (!stale) {
            i++;
            continue;
        }
        eng_inserter_free(g->ins[i].ins);
        gc_shape_unref(g, g->ins[i].sh);
        g->ins[i] = g->ins[--g->nins];
    }
}

/* One attempt at writing reqs[0..n) in one transaction. Returns 0 or -1 with *err set. */
static int gc_try(gc_t *g, gc_req_t **reqs, size_t n, int64_t *nrows, uerr_t *err)
{
    gc_shape_t **shapes = NULL;
    eng_rows_t **parts = NULL;
    size_t nshapes = 0, total = 0;
    bool txn = false;
    int rc = -1;

    *nrows = 0;
    for (size_t i = 0; i < n; i++)
        total += reqs[i]->nparts;
    shapes = xcalloc(total ? total : 1, sizeof *shapes);
    parts = xcalloc(total ? total : 1, sizeof *parts);
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < reqs[i]->nparts; k++) {
            size_t s;
            for (s = 0; s < nshapes && shapes[s] != reqs[i]->parts[k].sh; s++)
                ;
            if (s == nshapes)
                shapes[nshapes++] = reqs[i]->parts[k].sh;
        }
    if (nshapes > 1) { /* one table: its INSERT commits by itself */
        if (eng_conn_exec(g->conn, "BEGIN", err) != 0)
            goto out;
        txn = true;
    }
    for (size_t s = 0; s < nshapes; s++) {
        size_t np = 0;
        int64_t rows;
        for (size_t i = 0; i < n; i++)
            for (size_t k = 0; k < reqs[i]->nparts; k++)
                if (reqs[i]->parts[k].sh == shapes[s] && eng_rows_count(reqs[i]->parts[k].rows))
                    parts[np++] = reqs[i]->parts[k].rows;
        if (np == 0)
            continue;
        eng_inserter_t *ins = gc_inserter(g, shapes[s], err);
        if (!ins || eng_inserter_run(ins, parts, np, &rows, err) != 0)
            goto out;
        *nrows += rows;
    }
    if (txn && eng_conn_exec(g->conn, "COMMIT", err) != 0)
        goto out;
    txn = false;
    rc = 0;
out:
    if (txn) {
        uerr_t ignored = UERR_INIT;
        if (eng_conn_exec(g->conn, "ROLLBACK", &ignored) != 0)
            ulog(ULOG_WARN, "group commit: ROLLBACK failed: %s", ignored.message);
        uerr_clear(&ignored);
    }
    free(shapes);
    free(parts);
    return rc;
}

static void gc_set_result(gc_t *g, gc_req_t **reqs, size_t n, gc_result_t res)
{
    pthread_mutex_lock(&g->mu);
    for (size_t i = 0; i < n; i++)
        reqs[i]->result = res;
    pthread_mutex_unlock(&g->mu);
}

/* Writes reqs[0..n): retries conflicts, then splits a failing set in halves until each
 * failing request stands alone and is handed back to its session. */
static void gc_run(gc_t *g, gc_req_t **reqs, size_t n)
{
    uerr_t err = UERR_INIT;
    int64_t rows = 0, t0 = gc_now_us();
    int attempt = 0;
    for (;;) {
        if (gc_try(g, reqs, n, &rows, &err) == 0) {
            int64_t dt = gc_now_us() - t0;
            gc_set_result(g, reqs, n, GC_COMMITTED);
            pthread_mutex_lock(&g->mu);
            g->st.batches++;
            g->st.requests += n;
            g->st.rows += (uint64_t)rows;
            g->st.commit_us += (uint64_t)dt;
            if ((uint64_t)rows > g->st.max_rows)
                g->st.max_rows = (uint64_t)rows;
            pthread_mutex_unlock(&g->mu);
            ulog(ULOG_DEBUG, "group commit: %zu requests, %lld rows, %.3f ms", n, (long long)rows,
                 (double)dt / 1e3);
            goto out;
        }
        bool conflict = strcmp(err.sqlstate, "40001") == 0;
        pthread_mutex_lock(&g->mu);
        g->st.conflicts += conflict;
        bool retry = conflict && attempt < g->cfg.conflict_retries;
        g->st.retries += retry;
        pthread_mutex_unlock(&g->mu);
        if (!retry)
            break;
        attempt++;
        uerr_clear(&err);
    }
    if (n == 1) {
        ulog(ULOG_DEBUG, "group commit: a request runs on its session instead: [%s] %s",
             err.sqlstate, err.message ? err.message : "");
        gc_set_result(g, reqs, 1, GC_FALLBACK);
        pthread_mutex_lock(&g->mu);
        g->st.fallbacks++;
        pthread_mutex_unlock(&g->mu);
        goto out;
    }
    pthread_mutex_lock(&g->mu);
    g->st.splits++;
    pthread_mutex_unlock(&g->mu);
    uerr_clear(&err);
    gc_run(g, reqs, n / 2);
    gc_run(g, reqs + n / 2, n - n / 2);
out:
    uerr_clear(&err);
}

static void gc_log_stats(gc_t *g, bool force)
{
    gc_stats_t s, d;
    int64_t now = gc_now_us();
    if (!force && now - g->last_log < GC_LOG_EVERY_US)
        return;
    gc_stats_get(g, &s);
    d = s;
    d.batches -= g->logged.batches;
    d.rows -= g->logged.rows;
    d.commit_us -= g->logged.commit_us;
    d.wait_us -= g->logged.wait_us;
    d.requests -= g->logged.requests;
    if (d.batches || force)
        ulog(ULOG_INFO,
             "group commit: %llu batches, %llu statements, %llu rows (%.1f rows per batch, "
             "largest %llu), commit %.3f ms and queue wait %.3f ms on average; since start: "
             "%llu conflicts, %llu retries, %llu splits, %llu fallbacks, %llu withdrawn",
             (unsigned long long)d.batches, (unsigned long long)d.requests,
             (unsigned long long)d.rows, d.batches ? (double)d.rows / (double)d.batches : 0.0,
             (unsigned long long)s.max_rows,
             d.batches ? (double)d.commit_us / 1e3 / (double)d.batches : 0.0,
             d.requests ? (double)d.wait_us / 1e3 / (double)d.requests : 0.0,
             (unsigned long long)s.conflicts, (unsigned long long)s.retries,
             (unsigned long long)s.splits, (unsigned long long)s.fallbacks,
             (unsigned long long)s.cancels);
    g->logged = s;
    g->last_log = now;
}

/* Takes the next batch off the queue (at least one request, at most max_batch_rows rows).
 * Caller holds mu. */
static size_t gc_take(gc_t *g, gc_req_t ***batch, size_t *cap)
{
    size_t n = 0, rows = 0;
    int64_t now = gc_now_us();
    while (g->head) {
        gc_req_t *r = g->head;
        size_t rr = gc_req_nrows(r);
        if (n > 0 && g->cfg.max_batch_rows > 0 && rows + rr > (size_t)g->cfg.max_batch_rows)
            break;
        g->head = r->next;
        if (!g->head)
            g->tail = NULL;
        r->next = NULL;
        r->state = GC_REQ_RUNNING;
        g->nqueued--;
        g->st.wait_us += (uint64_t)(now - r->t_queued);
        if (n == *cap) {
            *cap = *cap ? *cap * 2 : 64;
            *batch = xrealloc(*batch, *cap * sizeof **batch);
        }
        (*batch)[n++] = r;
        rows += rr;
    }
    return n;
}

/* Many sessions commit in waves: the clients of the previous batch, answered together, send
 * their next statements together. When that batch was large and only a few requests wait
 * yet, the committer waits a little for the rest of the wave (at most a quarter of the
 * previous batch's write time, 1 ms) instead of committing a small batch first and making
 * the wave wait behind it. A lone client never waits: its previous batch had one request.
 * Caller holds mu. */
static void gc_gather(gc_t *g)
{
    if (g->last_n < 4 || g->nqueued * 2 >= g->last_n || g->stopping)
        return;
    int64_t wait_us = g->last_us / 4 < 1000 ? g->last_us / 4 : 1000;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += (long)wait_us * 1000;
    ts.tv_sec += ts.tv_nsec / 1000000000;
    ts.tv_nsec %= 1000000000;
    g->want = g->last_n / 2;
    while (g->nqueued < g->want && !g->stopping)
        if (pthread_cond_timedwait(&g->work, &g->mu, &ts) != 0)
            break;
    g->want = 0;
}

/* A request is done: its callback runs (it may answer the client from this thread), then its
 * session may go on. */
static void gc_req_done(gc_req_t *r)
{
    if (r->done_fn)
        r->done_fn(r->done_ctx, r->result);
    sem_post(&r->done);
}

static void *gc_main(void *arg)
{
    gc_t *g = arg;
    gc_req_t **batch = NULL;
    size_t cap = 0;
    pthread_setname_np(pthread_self(), "duckd-commit");
    g->last_log = gc_now_us();
    pthread_mutex_lock(&g->mu);
    for (;;) {
        while (!g->head && !g->stopping) {
            g->want = 1;
            pthread_cond_wait(&g->work, &g->mu);
        }
        g->want = 0;
        if (!g->head)
            break; /* stopping with nothing queued */
        gc_gather(g);
        size_t n = gc_take(g, &batch, &cap);
        pthread_mutex_unlock(&g->mu);
        g->nbatch++;
        gc_inserters_prune(g);
        int64_t t0 = gc_now_us();
        gc_run(g, batch, n);
        pthread_mutex_lock(&g->mu);
        g->last_n = n;
        g->last_us = gc_now_us() - t0;
        for (size_t i = 0; i < n; i++)
            batch[i]->state = GC_REQ_DONE;
        pthread_mutex_unlock(&g->mu);
        /* outside the lock: each woken session goes on without touching it */
        for (size_t i = 0; i < n; i++)
            gc_req_done(batch[i]);
        gc_log_stats(g, false);
        pthread_mutex_lock(&g->mu);
    }
    pthread_mutex_unlock(&g->mu);
    free(batch);
    return NULL;
}

int gc_open(const gc_cfg_t *cfg, gc_t **out, uerr_t *err)
{
    gc_t *g = xcalloc(1, sizeof *g);
    *out = NULL;
    g->cfg = *cfg;
    pthread_mutex_init(&g->mu, NULL);
    pthread_cond_init(&g->work, NULL);
    pthread_mutex_init(&g->shape_mu, NULL);
    atomic_init(&g->epoch, 1);
    if (eng_conn_open(cfg->db, &g->conn, err) != 0)
        goto fail;
    /* Nobody watches the batches' progress, and with it on DuckDB recomputes every
     * pipeline's progress after each task: ~3% of the committer thread's samples at 64
     * clients (perf), on the serial part of the write path. */
    (void)eng_conn_measure_progress(g->conn, false);
    if (pthread_create(&g->thread, NULL, gc_main, g) != 0) {
        uerr_set(err, "58000", "cannot start the group commit thread");
        goto fail;
    }
    g->started = true;
    *out = g;
    return 0;
fail:
    gc_close(g);
    return -1;
}

void gc_stop(gc_t *g)
{
    if (!g)
        return;
    pthread_mutex_lock(&g->mu);
    g->stopping = true;
    pthread_cond_signal(&g->work);
    pthread_mutex_unlock(&g->mu);
    if (g->started && !g->stopped) {
        pthread_join(g->thread, NULL);
        g->stopped = true;
        gc_log_stats(g, true);
    }
}

void gc_close(gc_t *g)
{
    if (!g)
        return;
    gc_stop(g);
    for (size_t i = 0; i < g->nins; i++) {
        eng_inserter_free(g->ins[i].ins);
        gc_shape_unref(g, g->ins[i].sh);
    }
    while (g->shapes) {
        gc_shape_t *sh = g->shapes;
        g->shapes = sh->next;
        sh->cached = false;
        gc_shape_unref(g, sh);
    }
    eng_conn_close(g->conn);
    pthread_mutex_destroy(&g->shape_mu);
    pthread_cond_destroy(&g->work);
    pthread_mutex_destroy(&g->mu);
    free(g);
}

void gc_submit_async(gc_t *g, gc_req_t *r, gc_done_fn fn, void *ctx)
{
    r->done_fn = fn;
    r->done_ctx = ctx;
    r->result = GC_FAILED;
    r->stopped = false;
    pthread_mutex_lock(&g->mu);
    if (g->stopping) {
        pthread_mutex_unlock(&g->mu);
        r->state = GC_REQ_DONE;
        r->stopped = true;
        gc_req_done(r);
        return;
    }
    r->state = GC_REQ_QUEUED;
    r->t_queued = gc_now_us();
    r->next = NULL;
    if (g->tail)
        g->tail->next = r;
    else
        g->head = r;
    g->tail = r;
    g->nqueued++;
    if (g->want && g->nqueued >= g->want)
        pthread_cond_signal(&g->work);
    pthread_mutex_unlock(&g->mu);
}

gc_result_t gc_wait(gc_req_t *r, uerr_t *err)
{
    while (sem_wait(&r->done) != 0)
        ; /* EINTR */
    /* sem_post/sem_wait order the committer's write of result before this read; state stays
     * DONE (not QUEUED: gc_cancel leaves it alone) until the next submit */
    if (r->result == GC_FAILED && r->stopped)
        uerr_set(err, "57P01", "terminating connection due to administrator command");
    else if (r->result == GC_FAILED)
        uerr_set(err, "57014", "canceling statement due to user request");
    return r->result;
}

void gc_cancel(gc_t *g, gc_req_t *r)
{
    pthread_mutex_lock(&g->mu);
    if (r->state == GC_REQ_QUEUED) {
        gc_req_t **pp = &g->head, *prev = NULL;
        while (*pp && *pp != r) {
            prev = *pp;
            pp = &(*pp)->next;
        }
        if (*pp) {
            *pp = r->next;
            if (g->tail == r)
                g->tail = prev;
            g->nqueued--;
        }
        r->next = NULL;
        r->state = GC_REQ_DONE;
        r->result = GC_FAILED;
        g->st.cancels++;
        gc_req_done(r); /* its callback must take no lock (it runs under the caller's) */
    }
    pthread_mutex_unlock(&g->mu);
}

void gc_stats_get(gc_t *g, gc_stats_t *out)
{
    pthread_mutex_lock(&g->mu);
    *out = g->st;
    pthread_mutex_unlock(&g->mu);
}

void gc_note_retry(gc_t *g)
{
    pthread_mutex_lock(&g->mu);
    g->st.conflicts++;
    g->st.retries++;
    pthread_mutex_unlock(&g->mu);
}
