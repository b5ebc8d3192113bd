/* umem: the server-wide budget of duckd's own buffers (issue 11). DuckDB's buffer manager has
 * memory_limit minus this budget; everything duckd itself holds for clients counts here, by
 * kind: partially received messages, result output waiting for a socket, COPY FROM STDIN
 * chunks queued for the table, group-commit rows, HTTP request bodies.
 *
 * The counters are atomics: charging is one atomic add to the total and one to the kind, made
 * when a buffer grows or is queued (never per row). Three ways to take memory:
 *   umem_charge        always succeeds: the minimum a holder needs to make progress at all
 *                      (a connection's first input chunk, a session's empty output buffer),
 *                      so no one ever deadlocks on the budget; the total may pass it by these.
 *   umem_try_reserve   succeeds only while the total stays within the budget: for holders that
 *                      fail the request when it does not (a partial message: FATAL 53200).
 *   umem_reserve_wait  waits until the budget frees or a deadline passes: for producers that
 *                      can wait (COPY chunks, group-commit rows).
 * Everything taken is given back with umem_release of the same kind and size. Thread-safe. */
#ifndef DUCKD_UTIL_MEM_H
#define DUCKD_UTIL_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    UMEM_INPUT = 0, /* partially received client messages (pgwire), HTTP request bodies */
    UMEM_OUTPUT,    /* result bytes waiting for a client's socket (pgwire and HTTP) */
    UMEM_COPY,      /* COPY FROM STDIN chunks queued for the table */
    UMEM_GCOMMIT,   /* rows queued for the group committer */
    UMEM_NKINDS
} umem_kind_t;

/* Sets the budget in bytes; 0 or less means no budget (every reservation succeeds). Called
 * once at start-up before any session runs; tests may call it again. */
void umem_set_budget(int64_t bytes);
/* The budget (0: none). */
int64_t umem_budget(void);
/* Bytes held now: in total, and of one kind. */
int64_t umem_used(void);
int64_t umem_used_kind(umem_kind_t k);
/* The kind's name for metrics and messages: "input", "output", "copy", "gcommit". */
const char *umem_kind_name(umem_kind_t k);

/* True when the total has reached the budget: holders that can shrink (output buffers)
 * should flush and give memory back. One atomic load. */
bool umem_over(void);

/* Takes n bytes whatever the budget says (the holder's minimum; see above). */
void umem_charge(umem_kind_t k, size_t n);
/* Takes n bytes if the total stays within the budget; returns false (nothing taken) if not. */
bool umem_try_reserve(umem_kind_t k, size_t n) __attribute__((warn_unused_result));
/* Takes n bytes, waiting while the budget is exhausted, at most until deadline_ms
 * (CLOCK_MONOTONIC milliseconds; see umem_now_ms). Returns 0 when taken, -1 when the deadline
 * passed first (nothing taken). A request larger than the whole budget could never fit and
 * fails at once. */
int umem_reserve_wait(umem_kind_t k, size_t n, int64_t deadline_ms)
    __attribute__((warn_unused_result));
/* How long producers that can wait (COPY chunks, group-commit rows) wait for room before
 * their statement fails with 53200: the memory_wait_timeout setting, ms (default 10 s). */
void umem_set_wait_timeout(int ms);
int umem_wait_timeout(void);
/* Gives back n bytes of kind k and wakes reservations waiting for room. */
void umem_release(umem_kind_t k, size_t n);

/* ---- the split of memory_limit ---- */

/* Bounds of the automatic budget: a tenth of the memory limit, clamped to these. */
#define UMEM_AUTO_MIN (64LL << 20)
#define UMEM_AUTO_MAX (1LL << 30)

/* Parses a size as DuckDB reads memory_limit: a number (a fraction allowed) and a unit, with
 * DuckDB's meanings (KB, MB, GB, TB are powers of 1000; KiB, MiB, GiB, TiB of 1024; B or
 * bytes; the long words kilobytes ... too), case-insensitive, spaces allowed around the unit.
 * Returns true with *bytes set; false for anything else (a bare number, a percentage, -1),
 * which DuckDB itself treats as its default. */
bool umem_parse_duckdb_size(const char *text, int64_t *bytes) __attribute__((warn_unused_result));

/* How memory_limit is shared between DuckDB and duckd's buffers. */
typedef struct umem_split {
    int64_t buffer;   /* duckd's budget, bytes */
    int64_t duckdb;   /* what DuckDB gets as its memory_limit, bytes; 0: DuckDB's default */
    bool auto_buffer; /* buffer was derived (buffer_memory = 0) */
} umem_split_t;

/* Splits limit (bytes of the operator's memory_limit; 0: unset) with buffer_setting (bytes of
 * buffer_memory; 0: automatic). Unset limit: DuckDB keeps its default (80% of ram, the
 * physical memory in bytes) and the automatic budget is a tenth of that. Set limit: the
 * automatic budget is a tenth of it and DuckDB gets the rest. The automatic budget is clamped
 * to [UMEM_AUTO_MIN, UMEM_AUTO_MAX], and to a quarter of a set limit (small limits). Returns
 * 0, or -1 when an explicit budget leaves DuckDB less than a quarter of the limit. */
int umem_split(int64_t limit, int64_t buffer_setting, int64_t ram, umem_split_t *out)
    __attribute__((warn_unused_result));

/* CLOCK_MONOTONIC in milliseconds, the clock of umem_reserve_wait's deadline. */
int64_t umem_now_ms(void);

#endif
