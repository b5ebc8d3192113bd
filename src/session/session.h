/* session: one client's protocol-neutral state on top of its own engine connection.
 *
 * A session owns named/unnamed prepared statements and portals, tracks the transaction status
 * (idle, in a block, failed block) with PostgreSQL's semantics, applies the SQL compatibility
 * layer (session/compat.h), and runs statements, streaming their rows to a caller-supplied
 * sink. Front-ends (pgwire, later http) translate their protocol to these calls; none of them
 * touches DuckDB. A session is used by one thread; sess_cancel may be called from any. */
#ifndef DUCKD_SESSION_SESSION_H
#define DUCKD_SESSION_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"
#include "session/guard.h"
#include "util/err.h"

typedef struct sess sess_t;

/* A result column as described to the client. */
typedef eng_col_t sess_col_t;
typedef eng_value_t sess_value_t;

/* How a statement ended, for the front-end's completion message. */
typedef struct sess_result {
    eng_kind_t kind; /* what ran (ENG_KIND_OTHER for what the session answered itself) */
    int64_t rows;    /* rows returned, or changed by INSERT/UPDATE/DELETE/COPY; -1 none */
    const char *tag; /* PostgreSQL's CommandComplete tag ("SELECT 3", "INSERT 0 1") */
} sess_result_t;

/* Where a session writes results. Every callback returns 0, or -1 when the client is gone
 * (the session then stops the statement and returns -1 with no error set). */
typedef struct sess_sink {
    void *ctx;
    /* Columns of the rows that follow; formats has one entry per column (0 text, 1 binary). */
    int (*row_description)(void *ctx, const sess_col_t *cols, size_t n, const int16_t *formats);
    int (*row)(void *ctx, const sess_value_t *vals, size_t n);
    /* A statement finished (r borrowed for the call); r NULL: the query string was empty. */
    int (*complete)(void *ctx, const sess_result_t *r);
    /* A non-fatal message (e.g. "there is no transaction in progress"). */
    int (*notice)(void *ctx, const char *sqlstate, const char *message);
    /* A reportable session parameter changed (application_name, DateStyle, TimeZone, ...). */
    int (*parameter_status)(void *ctx, const char *name, const char *value);
    /* COPY ... TO STDOUT: begin (binary: the data is PostgreSQL's binary COPY format, else
     * text lines), the data in pieces (each a whole row, or the binary header/trailer), end.
     * complete() follows with "COPY n". */
    int (*copy_out_begin)(void *ctx, bool binary, size_t ncols);
    int (*copy_data)(void *ctx, const void *data, size_t len);
    int (*copy_out_end)(void *ctx);
    /* COPY ... FROM STDIN: begin (the client is told the format and the column count), then
     * the client's data in pieces of any size: copy_in_read returns 1 with the next piece
     * (borrowed until the next call), 0 when the client has sent all of it (CopyDone), -1
     * with *err set when the client aborted (CopyFail) or broke the protocol, or with err
     * unset when it is gone. complete() follows with "COPY n". */
    int (*copy_in_begin)(void *ctx, bool binary, size_t ncols);
    int (*copy_in_read)(void *ctx, const void **data, size_t *len, uerr_t *err);
    /* Optional: the position in the output (out_mark), and taking back everything written
     * after such a position (out_rewind: 0, or -1 when it already went out). An implicit
     * transaction whose coalesced INSERT fails at commit takes back the answers that
     * followed it, so the error stands where PostgreSQL would have sent it. */
    uint64_t (*out_mark)(void *ctx);
    int (*out_rewind)(void *ctx, uint64_t mark);
    /* SESS_ENC_ARROW: the result as an Arrow IPC stream, in pieces (the schema message
     * first, a record batch per DuckDB chunk, the end-of-stream marker with the last rows);
     * SESS_ENC_PARQUET: the bytes of one Parquet file, in pieces. row() is not called. */
    int (*stream_data)(void *ctx, const void *data, size_t len);
} sess_sink_t;

/* Shared, read-only facts every session needs. Borrowed for the sessions' lifetime. */
typedef struct sess_env {
    eng_db_t *db;
    bool log_statements;
    size_t max_copy_row;         /* COPY FROM STDIN: the largest row accepted, bytes */
    const char *server_version;  /* e.g. "15.0 (duckd 0.1.0)" */
    size_t max_row_size;         /* largest encoded result row, bytes; 0 = no cap */
    int max_prepared_statements; /* named prepared statements per session; 0 = no cap */
    int max_portals;             /* named portals per session; 0 = no cap */
    /* Server defaults of the PostgreSQL timeouts, ms (0 = off); sessions may SET their own. */
    int statement_timeout_ms;
    int idle_in_transaction_timeout_ms;
    int idle_session_timeout_ms;
    bool read_only;       /* the database is open read-only (--read-only) */
    const char *catalog;  /* the served database's catalog name */
    struct gc *gc;        /* the group committer (session/gcommit.h); NULL: off */
    int conflict_retries; /* times an autocommit write is run again after a conflict */
    bool fk_enforce;      /* foreign_keys = enforce: CREATE TABLE's keys go to DuckDB */
    const char *timezone; /* default TimeZone, as utz_lookup spells it; NULL = UTC */
    struct admit *admit;  /* admission control (session/admit.h); NULL: every statement runs */
    bool oom_retry;       /* an autocommit query that ran out of memory runs once more alone */
} sess_env_t;

/* Why a running statement was interrupted; picks the message of its 57014 error. */
typedef enum {
    SESS_INTR_NONE = 0,
    SESS_INTR_USER,    /* CancelRequest: "canceling statement due to user request" */
    SESS_INTR_TIMEOUT, /* statement_timeout: "canceling statement due to statement timeout" */
    SESS_INTR_HANGUP   /* the client hung up while the statement ran */
} sess_interrupt_t;

/* Creates a session with its own engine connection. `user`, `database` and
 * `application_name` come from the startup packet (may be NULL). */
int sess_create(const sess_env_t *env, const char *user, const char *database,
                const char *application_name, sess_t **out, uerr_t *err)
    __attribute__((warn_unused_result));
/* Applies a run-time parameter the client sent in its startup packet (DateStyle, TimeZone,
 * extra_float_digits, ...). Returns true if it is a parameter duckd emulates; others are
 * ignored by the caller. */
bool sess_set_startup_option(sess_t *s, const char *name, const char *value);
/* Records the process id the client was given in BackendKeyData, which pg_backend_pid()
 * returns. */
void sess_set_backend_pid(sess_t *s, int32_t pid);
/* Sets the session's role (default read_write); the front-end calls it after authentication.
 * `trusted` sessions (the operator's --init script) skip the guard altogether. */
void sess_set_role(sess_t *s, guard_role_t role, bool trusted);
/* The SQL a session speaks. PostgreSQL's (pgwire): the compatibility layer rewrites what
 * DuckDB does not know (pg_catalog, SERIAL, ALTER TABLE forms, cursors, SHOW, version(), ...).
 * DuckDB's own (HTTP): statements run as written, except what the session must see itself
 * (transaction control, SET-family statements the guard vets, COPY to/from the client). */
typedef enum { SESS_DIALECT_POSTGRES = 0, SESS_DIALECT_DUCKDB } sess_dialect_t;
/* Sets the dialect (default PostgreSQL); call before the first statement. */
void sess_set_dialect(sess_t *s, sess_dialect_t d);
/* How result values reach the sink's row callback. PostgreSQL's: each portal's text/binary
 * result formats, as the client asked at Bind. JSON / CSV: every value one JSON literal / one
 * CSV field (see ENG_FMT_JSON / ENG_FMT_CSV in engine/engine.h), encoded straight from
 * DuckDB's vectors; NULL is len -1 in all of them. */
typedef enum {
    SESS_ENC_PG = ENG_FMT_TEXT,
    SESS_ENC_JSON = ENG_FMT_JSON,
    SESS_ENC_CSV = ENG_FMT_CSV,
    SESS_ENC_ARROW = 100,  /* whole results as an Arrow IPC stream to sink->stream_data */
    SESS_ENC_PARQUET = 101 /* whole results as one Parquet file to sink->stream_data: the
                              first Execute writes the file (every row, whatever max_rows),
                              each Execute then sends ENG_PARQUET_PIECE bytes of it */
} sess_encoding_t;
/* Sets the encoding of every later result (default PostgreSQL's). */
void sess_set_encoding(sess_t *s, sess_encoding_t e);
/* Names the front-end ("pgwire", "http") the session's statements are counted for in the
 * metrics (default "internal"). */
void sess_set_protocol(sess_t *s, const char *proto);
/* Destroys the session: closes portals and statements, rolls back, closes the connection. */
void sess_destroy(sess_t *s);

/* 'I' idle, 'T' in a transaction block, 'E' in a failed transaction block. */
char sess_txn_status(const sess_t *s);
/* The same, read from another thread (registry walks): a snapshot that may be stale. */
char sess_txn_status_peek(const sess_t *s);
/* True for an admin session or the operator's own (--init); set before the first statement,
 * read-only afterwards, so any thread may ask while the session is alive. */
bool sess_is_admin(const sess_t *s);
/* The session's user (as given at sess_create; "" none). Static for its lifetime. */
const char *sess_user(const sess_t *s);
/* The value of a custom parameter (SET app.user_id = ...) the session set, or NULL: read by
 * the SQL function duckd_setting() on the session's behalf while one of its statements runs
 * (the session thread is then waiting, so its parameters do not change). Borrowed. */
const char *sess_custom_setting(const sess_t *s, const char *name);
/* DuckDB's progress of the statement the session runs (thread-safe; eng_conn_progress). */
bool sess_progress(sess_t *s, eng_progress_t *out);
/* Interrupts the statement the session is running (thread-safe): a user cancel. */
void sess_cancel(sess_t *s);
/* Interrupts the running statement for `why` (thread-safe). SESS_INTR_USER always reaches
 * DuckDB (as sess_cancel); the others only while a statement runs, and only the first reason
 * sticks. Returns true if this call interrupted a running statement. */
bool sess_interrupt(sess_t *s, sess_interrupt_t why);
/* What a session is doing, for the sessions view (pg_stat_activity's counterpart). */
#define SESS_ACTIVITY_QUERY_MAX 1024
typedef struct sess_activity {
    const char *state;                   /* "active", "queued" (waiting for max_concurrent_queries),
                                            "waiting for commit", "waiting for lock" (an
                                            advisory lock), "idle", "idle in transaction",
                                            "idle in transaction (aborted)" (static) */
    char query[SESS_ACTIVITY_QUERY_MAX]; /* the running or latest statement, cut; "" none */
    int64_t query_start_ms;              /* wall clock ms; 0 none */
    int64_t query_end_ms;                /* 0 while it runs */
    int64_t rows;                        /* rows sent or changed by it so far */
    double progress;           /* DuckDB's progress of the running query, 0..100; -1 unknown */
    char application_name[64]; /* the client's application_name, cut; "" none */
} sess_activity_t;
/* Fills *a (thread-safe; the session must stay alive during the call, which the registry's
 * lock guarantees for attached sessions). */
void sess_activity(sess_t *s, sess_activity_t *a);

/* True while the session runs a statement (between its start and its last row; thread-safe). */
bool sess_running(sess_t *s);
/* CLOCK_MONOTONIC ms since which the session's statement waits for an execution slot
 * (max_concurrent_queries), 0 when it does not wait (thread-safe: the sessions view). */
int64_t sess_queued_since_ms(sess_t *s);
/* The watchdog's check (thread-safe): interrupts the running statement if its
 * statement_timeout deadline has passed. Returns true if it did. */
bool sess_watch_deadline(sess_t *s);
/* The session's current value of a millisecond-based PostgreSQL parameter
 * (statement_timeout, idle_in_transaction_session_timeout, idle_session_timeout); 0 when it is
 * off or not such a parameter. Session thread only. */
int64_t sess_param_ms(const sess_t *s, const char *name);
/* The reportable parameters to send at startup: calls fn(ctx, name, value) for each. */
void sess_initial_parameters(const sess_t *s,
                             void (*fn)(void *ctx, const char *name, const char *value), void *ctx);

/* Simple query: runs every statement of `sql` in order, each with row description, rows and
 * completion on the sink; stops at the first error (returned in *err). An empty query string
 * (only white space / comments) calls complete(ctx, NULL): the EmptyQueryResponse.
 * Returns 0, SESS_PENDING (see below), or -1 with err set (statement error) or unset (client
 * gone). */
int sess_simple_query(sess_t *s, const char *sql, size_t len, const sess_sink_t *sink, uerr_t *err)
    __attribute__((warn_unused_result));

/* Extended protocol. Names are "" for the unnamed statement/portal. */
int sess_prepare(sess_t *s, const char *name, const char *sql, size_t len,
                 const uint32_t *param_oids, size_t nparam_oids, uerr_t *err)
    __attribute__((warn_unused_result));
/* Describes a prepared statement: parameter OIDs and result columns (ncols 0 = no rows). */
int sess_describe_statement(sess_t *s, const char *name, const uint32_t **param_oids,
                            size_t *nparams, const sess_col_t **cols, size_t *ncols, uerr_t *err)
    __attribute__((warn_unused_result));
int sess_bind(sess_t *s, const char *portal, const char *stmt, const eng_param_t *params,
              size_t nparams, const int16_t *result_formats, size_t nresult_formats, uerr_t *err)
    __attribute__((warn_unused_result));
/* Describes a portal's result columns and their formats (ncols 0 = no rows). */
int sess_describe_portal(sess_t *s, const char *portal, const sess_col_t **cols, size_t *ncols,
                         const int16_t **formats, uerr_t *err) __attribute__((warn_unused_result));
/* Runs (or resumes) a portal for up to max_rows rows (0 = all): rows go to the sink, and on
 * completion sink->complete gets the tag. *suspended is set when rows remain. */
int sess_execute(sess_t *s, const char *portal, int64_t max_rows, const sess_sink_t *sink,
                 bool *suspended, uerr_t *err) __attribute__((warn_unused_result));
int sess_close_statement(sess_t *s, const char *name);
int sess_close_portal(sess_t *s, const char *name);
/* End of an extended-protocol batch (Sync): ends the implicit transaction of the statements
 * since the last Sync — commits it (through group commit when it holds only coalesced
 * INSERTs), or rolls it back after an error — and drops the unnamed portal if it completed.
 * Returns 0, or -1 with *err set when the commit failed (then reported before
 * ReadyForQuery), or with err unset when the client is gone. */
int sess_sync(sess_t *s, const sess_sink_t *sink, uerr_t *err) __attribute__((warn_unused_result));
/* sess_simple_query and sess_sync return this when the implicit transaction's coalesced
 * INSERTs are queued for group commit and the front-end answers from the committer's thread
 * (sess_set_async): the front-end sends nothing more for now and calls sess_finish before it
 * handles anything else for this session (the next message, a disconnect, a shutdown). */
#define SESS_PENDING 1

/* Called once from the committer's thread (or a thread cancelling the statement) when a
 * pending commit is done. committed: the CommandCompletes went to the sink already and the
 * front-end may send ReadyForQuery (idle) itself, without blocking; otherwise it must wake its
 * session's thread, which calls sess_finish to report the outcome. Must take no lock. */
typedef void (*sess_async_fn)(void *ctx, bool committed);
/* Lets the session return SESS_PENDING (fn NULL: it waits in its own thread). */
void sess_set_async(sess_t *s, sess_async_fn fn, void *ctx);
/* True between SESS_PENDING and sess_finish. */
bool sess_awaiting(const sess_t *s);
/* Waits until the pending commit is done and finishes it in the session's thread: returns 0
 * (committed; answers already sent if the hook said so), or -1 with *err set (withdrawn, or
 * a statement that failed when it ran here after its batch handed it back), or with err unset
 * when the client is gone. A no-op returning 0 when nothing is pending. */
int sess_finish(sess_t *s, const sess_sink_t *sink, uerr_t *err)
    __attribute__((warn_unused_result));

/* A front-end's hint before Describe (portal) or Execute: true when nothing but that portal's
 * Execute and a Sync follow, so the statement is alone in its implicit transaction and may
 * commit by itself instead of inside BEGIN/COMMIT. */
void sess_hint_last(sess_t *s, bool last);
/* True while the implicit transaction holds coalesced INSERTs whose CommandComplete may still
 * be taken back: the front-end keeps its output buffered (up to a cap) until Sync. */
bool sess_holds_output(const sess_t *s);
/* Records that the front-end reported an error to the client while a transaction block was
 * open, so the block becomes failed ('E') as in PostgreSQL. */
void sess_mark_failed(sess_t *s);

#endif
