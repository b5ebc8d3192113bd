/* session pool: engine connections kept open for short-lived sessions to reuse (the HTTP
 * API opens a session per request; opening a DuckDB connection and setting it up costs more
 * than a small query). A session created from a pool takes an idle connection, or opens one;
 * when it ends, its connection goes back only if the session can prove it left nothing a
 * later session could observe (see sess_conn_reusable in session.c): it ran only plain
 * SELECT / INSERT / UPDATE / DELETE statements, ended outside any transaction and was never
 * interrupted. Anything else (SET, temporary objects, PREPARE, USE, ATTACH, transaction
 * blocks, COPY, CALL, PRAGMA, EXPLAIN, setseed, ...) closes the connection instead.
 * Thread-safe: one mutex guards the idle list. */
#ifndef DUCKD_SESSION_POOL_H
#define DUCKD_SESSION_POOL_H

#include <stddef.h>
#include <stdint.h>

#include "session/session.h"

typedef struct sess_pool sess_pool_t;

/* A pool keeping at most max_idle idle connections (0: none are kept, every session opens
 * its own). The caller owns it and frees it with sess_pool_free. */
sess_pool_t *sess_pool_new(size_t max_idle);
/* Closes the idle connections and frees the pool. Every session created from it must have
 * been destroyed, and the database must still be open. NULL is a no-op. */
void sess_pool_free(sess_pool_t *p);

typedef struct sess_pool_stats {
    uint64_t reused;   /* sessions that took an idle connection */
    uint64_t opened;   /* sessions that opened a new one */
    uint64_t returned; /* connections given back clean */
    uint64_t dropped;  /* connections closed at a session's end: not provably clean, or full */
    size_t idle;       /* idle connections now */
} sess_pool_stats_t;
/* A snapshot of p's counters (thread-safe). */
void sess_pool_stats(sess_pool_t *p, sess_pool_stats_t *out);

/* sess_create (session.h) on a connection of pool (NULL: as sess_create). sess_destroy gives
 * the connection back when the session left it clean. pool is borrowed and must outlive the
 * session. */
int sess_create_pooled(const sess_env_t *env, sess_pool_t *pool, const char *user,
                       const char *database, const char *application_name, sess_t **out,
                       uerr_t *err) __attribute__((warn_unused_result));

/* For session.c: an idle connection, or NULL when none is idle (counted as opened). */
eng_conn_t *sess__pool_take(sess_pool_t *p);
/* For session.c: gives a clean connection back (true), or refuses it when the pool is full
 * (false: the caller closes it). clean false only counts the drop. */
bool sess__pool_give(sess_pool_t *p, eng_conn_t *c, bool clean);

#endif
