/* gcommit: group commit of many sessions' autocommit INSERTs.
 *
 * A session that ends an implicit transaction made only of coalescable INSERTs (fastins.h)
 * does not commit on its own connection: it converts its rows into a request (one eng_rows_t
 * per target table and column list, see engine/bulk.h) and submits the request. One committer
 * thread takes every request waiting in the queue, at most max_batch_rows rows, and writes
 * them in one DuckDB transaction on its own connection: one prepared INSERT ... SELECT per
 * table, one commit (one WAL sync) for the batch. The submitting session sleeps until the
 * batch that holds its request has committed, so an acknowledged row is exactly as durable
 * as if it had committed alone; requests that arrive while a commit is in flight form the next
 * batch, so a lone client waits for nothing but its own commit.
 *
 * Failure isolation: a batch that fails is retried (a DuckDB write conflict, up to
 * conflict_retries times) and then split in halves until the failing requests stand alone; a
 * request that fails alone is handed back (GC_FALLBACK) and its session runs the statements
 * itself, on its own connection, so the client gets exactly DuckDB's error for its statement
 * and nobody else is affected. Each request commits whole or not at all.
 *
 * Shapes: sessions look up a shared, reference-counted cache of target descriptions
 * (gc_shape_get), invalidated whenever a session changes the schema (gc_schema_changed).
 *
 * Threading: every function may be called from any session thread; a request is owned by
 * its session and only lent to the committer from gc_submit_async until gc_wait returns. Lock
 * order: a session's watch mutex, then the committer's mutex (gc_cancel); the committer takes
 * no session lock. */
#ifndef DUCKD_SESSION_GCOMMIT_H
#define DUCKD_SESSION_GCOMMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/bulk.h"
#include "engine/engine.h"
#include "util/err.h"

typedef struct gc gc_t;
typedef struct gc_shape gc_shape_t;
typedef struct gc_req gc_req_t;

typedef struct gc_cfg {
    eng_db_t *db;         /* borrowed: outlives the committer */
    int max_batch_rows;   /* rows per batch; a larger request still forms a batch alone */
    int conflict_retries; /* retries of a batch that hit a write-write conflict */
} gc_cfg_t;

/* Counters since start (for logs and a later metrics endpoint). */
typedef struct gc_stats {
    uint64_t batches;   /* commits of batches that succeeded */
    uint64_t requests;  /* requests committed */
    uint64_t rows;      /* rows committed */
    uint64_t max_rows;  /* largest batch, rows */
    uint64_t commit_us; /* time spent writing and committing successful batches */
    uint64_t wait_us;   /* time requests waited in the queue before their batch started */
    uint64_t conflicts; /* batch attempts that failed with a write-write conflict */
    uint64_t retries;   /* attempts retried after a conflict */
    uint64_t splits;    /* failed batches split in halves */
    uint64_t fallbacks; /* requests handed back to run on their session */
    uint64_t cancels;   /* requests withdrawn while queued (cancel, timeout, hang-up) */
} gc_stats_t;

/* Opens the committer's own connection and starts its thread. On success *out is owned by
 * the caller (gc_close). */
int gc_open(const gc_cfg_t *cfg, gc_t **out, uerr_t *err) __attribute__((warn_unused_result));
/* Stops taking requests (later submits fail with 57P01), commits or fails what is queued,
 * joins the thread. Idempotent. */
void gc_stop(gc_t *g);
/* gc_stop, then frees everything. No session may use g any more. NULL is a no-op. */
void gc_close(gc_t *g);

/* The shape of catalog/schema/table name[0..nname) (1 to 3 parts, as in the statement) filled
 * through cols (ncols 0: every column), as connection c resolves it. Returns 0 with a
 * reference in *out (gc_shape_unref), or -1 when the target cannot take coalesced rows (no
 * such table, a view, an unknown column): the statement runs the ordinary way. */
int gc_shape_get(gc_t *g, eng_conn_t *c, char *const *name, size_t nname, char *const *cols,
                 size_t ncols, gc_shape_t **out) __attribute__((warn_unused_result));
void gc_shape_unref(gc_t *g, gc_shape_t *sh);
const eng_shape_t *gc_shape_eng(const gc_shape_t *sh);
/* A session changed the schema (DDL): every cached shape is looked up afresh. */
void gc_schema_changed(gc_t *g);

/* A request (owned by its session, reused across submits). */
gc_req_t *gc_req_new(void);
void gc_req_free(gc_t *g, gc_req_t *r);
/* Empties the request (drops its rows and shape references). */
void gc_req_reset(gc_t *g, gc_req_t *r);
/* The request's rows for shape sh (created on first use, taking a reference to sh). */
eng_rows_t *gc_req_rows(gc_t *g, gc_req_t *r, gc_shape_t *sh);
/* Rows in the request. */
size_t gc_req_nrows(const gc_req_t *r);
/* Counts the request's rows in buffer_memory (util/mem.h, UMEM_GCOMMIT) until gc_req_reset,
 * before it is submitted: a small request (64 KiB) at once, a larger one waiting for room up
 * to memory_wait_timeout. Returns 0, or -1 with *err set (53200 "out of memory"). */
int gc_req_reserve(gc_req_t *r, uerr_t *err) __attribute__((warn_unused_result));

typedef enum {
    GC_COMMITTED = 0, /* every row of the request is committed */
    GC_FALLBACK = 1,  /* nothing committed: run the statements on the session instead */
    GC_FAILED = -1    /* nothing committed; *err says why (57014 withdrawn, 57P01 stopping) */
} gc_result_t;

/* Called once when a request is done, from the committer's thread (or the thread that
 * withdraws it, holding its locks: the callback must take no lock and must not block), before
 * gc_wait returns. The session uses it to answer the client from the committer's thread. */
typedef void (*gc_done_fn)(void *ctx, gc_result_t res);
/* Queues the request without waiting (fn may be NULL); gc_wait sleeps until its batch is done
 * (or it is withdrawn by gc_cancel) and must follow exactly once before the request is reset,
 * reused or freed. */
void gc_submit_async(gc_t *g, gc_req_t *r, gc_done_fn fn, void *ctx);
gc_result_t gc_wait(gc_req_t *r, uerr_t *err) __attribute__((warn_unused_result));
/* Withdraws r if it still waits in the queue (its gc_wait then fails with 57014); a request
 * whose batch is already being written completes. Thread-safe. */
void gc_cancel(gc_t *g, gc_req_t *r);
/* A session retried a statement of its own after a write conflict (counted with the batches'
 * retries). */
void gc_note_retry(gc_t *g);
void gc_stats_get(gc_t *g, gc_stats_t *out);

#endif
