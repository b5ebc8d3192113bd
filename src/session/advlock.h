/* advlock: PostgreSQL's advisory locks, one table for the whole server (every session of the
 * database shares it), protocol-neutral. A lock is named by a key (PostgreSQL's classid,
 * objid, objsubid: a bigint key is its high and low halves with objsubid 1, an (int, int) key
 * the two integers with objsubid 2, so the two key spaces never meet) and taken in exclusive
 * or shared mode, at session level (re-entrant: each acquisition needs its own release) or at
 * transaction level (released all at once when the transaction ends). A holder's own locks
 * never conflict with its requests; another holder's exclusive lock conflicts with anything,
 * its shared lock with an exclusive request.
 *
 * Waiting never holds anything another session needs: the table's mutex is released while a
 * request waits on the condition variable, and the wait wakes every ADVLOCK_POLL_MS to ask the
 * caller whether to give up (a cancel, statement_timeout, a client that hung up). A waiter
 * that has waited ADVLOCK_DEADLOCK_MS looks once for a cycle of waiters and fails with 40P01
 * when it is in one, as PostgreSQL's deadlock_timeout check does. */
#ifndef DUCKD_SESSION_ADVLOCK_H
#define DUCKD_SESSION_ADVLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* The most holds (key, holder, mode) the table keeps; beyond it a request fails with 53200
 * as PostgreSQL's full lock table does. */
#define ADVLOCK_MAX_HOLDS 65536
#define ADVLOCK_POLL_MS 20
#define ADVLOCK_DEADLOCK_MS 1000

typedef struct advlock_tbl advlock_tbl_t;

typedef struct advlock_key {
    uint32_t classid;
    uint32_t objid;
    uint16_t objsubid; /* 1: bigint key, 2: (int, int) key */
} advlock_key_t;

typedef enum { ADVLOCK_EXCLUSIVE = 0, ADVLOCK_SHARED = 1 } advlock_mode_t;
typedef enum { ADVLOCK_SESSION = 0, ADVLOCK_XACT = 1 } advlock_scope_t;

/* The key of pg_advisory_lock(bigint) / pg_advisory_lock(int, int). */
advlock_key_t advlock_key64(int64_t key);
advlock_key_t advlock_key32(int32_t key1, int32_t key2);

/* A table of its own (tests); advlock_global is the server's (created on first use). */
advlock_tbl_t *advlock_new(void);
void advlock_free(advlock_tbl_t *t);
advlock_tbl_t *advlock_global(void);

/* Asks whether a waiting request should give up (called without the table's lock held by
 * anyone else's wait, from the waiting thread). */
typedef bool (*advlock_stop_fn)(void *ctx);

/* Takes the lock for `owner` (any nonzero id unique among live holders; pid is what pg_locks
 * shows). wait false: returns at once. Returns 1 granted, 0 not granted (only without wait),
 * -1 with err set: 57014 when stop said so, 40P01 deadlock, 53200 table full. */
int advlock_acquire(advlock_tbl_t *t, uint64_t owner, int32_t pid, advlock_key_t key,
                    advlock_mode_t mode, advlock_scope_t scope, bool wait, advlock_stop_fn stop,
                    void *stop_ctx, uerr_t *err) __attribute__((warn_unused_result));
/* Releases one session-level acquisition of key in mode; false when owner holds none. */
bool advlock_release(advlock_tbl_t *t, uint64_t owner, advlock_key_t key, advlock_mode_t mode);
/* Releases every lock of owner of that scope (pg_advisory_unlock_all / the end of the
 * transaction); ADVLOCK_SESSION and ADVLOCK_XACT both with all: the session ended. */
void advlock_release_all(advlock_tbl_t *t, uint64_t owner, advlock_scope_t scope, bool all);
/* How many acquisitions owner holds of key in mode at that scope (tests, diagnostics). */
int64_t advlock_count(advlock_tbl_t *t, uint64_t owner, advlock_key_t key, advlock_mode_t mode,
                      advlock_scope_t scope);

/* One granted or awaited lock, as pg_locks shows it. */
typedef struct advlock_info {
    advlock_key_t key;
    advlock_mode_t mode;
    int32_t pid;
    bool granted;
} advlock_info_t;
/* Copies up to max locks (held ones, then waited-for ones) into out; returns how many there
 * are in all (may exceed max). */
size_t advlock_snapshot(advlock_tbl_t *t, advlock_info_t *out, size_t max);

#endif
