/* session internals shared by the files of src/session/ that implement sessions: session.c
 * (statements, portals, execution) and unit.c (implicit transactions and group commit). Not
 * for other layers: session.h is the API. */
#ifndef DUCKD_SESSION_SESSION_INTERNAL_H
#define DUCKD_SESSION_SESSION_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "engine/engine.h"
#include "session/admit.h"
#include "session/compat.h"
#include "session/fastins.h"
#include "session/gcommit.h"
#include "session/guard.h"
#include "session/session.h"
#include "util/buf.h"
#include "util/err.h"

/* The most values one coalesced INSERT may carry (a larger one runs the ordinary way). */
#define SESS_FAST_MAX_VALUES 1000000

/* A prepared statement: the classified text plus the DuckDB statement (NULL when the session
 * handles the statement itself). Reference-counted: portals keep their statement alive. */
typedef struct sess_stmt {
    char *name;
    char *text; /* the client's text (for logs and tags) */
    compat_t compat;
    eng_stmt_t *es;
    uint32_t *param_oids; /* owned: client-declared merged with inferred */
    size_t nparams;
    fastins_t *fi;      /* owned: set when group commit may coalesce the statement (fastins.h) */
    uint64_t admit_fp;  /* its text's fingerprint for admission control's history, 0 = not yet */
    sess_col_t adv_col; /* COMPAT_ADVISORY: its result column (advisory.c) */
    int refs;
    struct sess_stmt *next;
} sess_stmt_t;

/* A coalesced INSERT of the current implicit transaction, kept until the transaction ends so
 * that it can run the ordinary way if its batch hands it back (gcommit.h). */
typedef struct sess_pend {
    sess_stmt_t *stmt;   /* holds a reference */
    eng_param_t *params; /* owned copies (extended protocol) */
    size_t nparams;
    ubuf_t param_bytes;
    char tag[32];  /* "INSERT 0 n" */
    int64_t rows;  /* n */
    bool tag_sent; /* extended protocol: CommandComplete went out at Execute */
    bool marked;   /* mark is where that CommandComplete starts in the output */
    uint64_t mark;
    struct sess_pend *next;
} sess_pend_t;

typedef struct sess_portal {
    char *name;
    sess_stmt_t *stmt;   /* holds a reference */
    eng_param_t *params; /* owned copies */
    size_t nparams;
    ubuf_t param_bytes; /* storage for the copied parameter values */
    int16_t *formats;   /* owned result formats as sent by the client */
    size_t nformats;
    int16_t *col_formats; /* owned: resolved per column once started */
    eng_cursor_t *cur;    /* once started */
    bool started;
    bool done;
    int64_t rows; /* rows sent so far */
    struct sess_portal *next;
} sess_portal_t;

/* A PostgreSQL parameter value set in this session. */
typedef struct sess_param {
    const compat_param_t *def; /* compat's table, or &custom for a custom parameter */
    compat_param_t custom;     /* a custom parameter's definition: name owned, default "" */
    char *value;
    char *boot; /* the value the startup packet gave, which RESET returns to (owned), or NULL */
    struct sess_param *next;
} sess_param_t;

/* A parameter SET LOCAL changed inside a transaction block: its value before (restored when
 * the block ends), or, once restored, a reportable name whose ParameterStatus is due. */
typedef struct sess_local {
    char *name;
    char *value;        /* NULL: it had no session value (the default) */
    char *commit_value; /* a plain SET in the block: the value COMMIT keeps (owned) */
    bool commit_set;    /* commit_value is meaningful (NULL = back to the default) */
    struct sess_local *next;
} sess_local_t;

struct sess {
    const sess_env_t *env;
    eng_conn_t *conn;
    struct sess_pool *pool; /* where conn came from and goes back to (borrowed); NULL none */
    /* Something may have left state on conn that a later session could observe (a statement
     * other than plain SELECT/INSERT/UPDATE/DELETE, an interrupt): conn is not pooled. Atomic:
     * sess_interrupt sets it from other threads. */
    bool conn_dirty;
    char txn; /* 'I', 'T', 'E' */
    sess_stmt_t *stmts;
    sess_portal_t *portals;
    sess_portal_t *streaming;       /* the portal whose cursor is streaming, if any */
    struct sess_cursor *cursors;    /* SQL-level cursors (DECLARE), owned (sqlcursor.c) */
    struct sess_cursor *stream_cur; /* the one of them whose result is streaming, if any */
    eng_conn_t *spill;  /* a private connection whose temporary tables hold SCROLL, WITH HOLD
                         * and interleaved cursors' rows (sqlcursor.c); NULL until needed */
    unsigned spill_seq; /* names those tables */
    sess_param_t *params;
    char *user;
    char backend_pid[16]; /* BackendKeyData's pid as text, for pg_backend_pid(); "0" unset */
    bool fk_table; /* duckd.foreign_keys exists, for the statement being classified (catalogs) */
    guard_role_t role;
    bool trusted; /* the operator's own statements (--init): no guard */
    sess_dialect_t dialect;
    int proto; /* met_proto_t of the front-end (metrics.h), MET_INTERNAL until told */
    sess_encoding_t encoding;
    /* PostgreSQL's implicit transaction (a simple Query's statements, or an extended-protocol
     * pipeline up to Sync) while txn is 'I': */
    gc_req_t *req;              /* rows of the coalesced INSERTs deferred so far (owned) */
    sess_pend_t *pend;          /* those INSERTs, in order (owned) */
    sess_pend_t **pend_tail;    /* where the next one is linked */
    bool itx;                   /* a DuckDB transaction is open for it */
    bool unit_failed;           /* a statement of it failed (extended protocol, until Sync) */
    bool alone;                 /* the running statement is known to be its unit's only one */
    bool ddl;                   /* it (or the explicit block) changed the schema */
    sess_local_t *local_undo;   /* SET LOCAL values to restore at the block's end (owned) */
    sess_local_t *local_report; /* restored reportable parameters to announce (owned) */
    bool path_partial; /* some search_path schemas did not exist: re-applied after a CREATE */
    /* Savepoints of the transaction block (DuckDB has none: see sess_savepoint). */
    char **savepoints; /* owned names, oldest first */
    uint64_t *sp_work; /* txn_work when each was set */
    size_t nsp;
    uint64_t txn_work;  /* statements that may have changed something in the block so far */
    bool names_private; /* names may resolve (or text cast) differently on another
                           connection (temp objects, USE, search_path, TimeZone): never
                           coalesce */
    /* Answering from the committer's thread (sess_set_async): */
    sess_async_fn async_fn; /* the front-end's hook, NULL = wait in the session's thread */
    void *async_ctx;
    sess_sink_t async_sink;   /* copy of the sink of the Query or Sync being committed */
    bool awaiting;            /* a request is queued: sess_finish must run before anything */
    char timeout_dflt[3][16]; /* server defaults of sess_timeouts[], as SHOW prints them */
    int64_t timeout_ms[3];    /* effective values of sess_timeouts[] (read per statement) */
    /* The statement watch, guarded by watch_mu: the watchdog thread reads it to enforce
     * statement_timeout and to interrupt a statement whose client hung up. */
    pthread_mutex_t watch_mu;
    gc_req_t *waiting;         /* the group-commit request being waited for, or NULL */
    bool running;              /* a statement is running */
    bool planning;             /* ... still being planned (sess_watch_plan) */
    int64_t deadline_ms;       /* CLOCK_MONOTONIC ms when it times out; 0 = never */
    sess_interrupt_t intr_why; /* why it was interrupted, SESS_INTR_NONE if it was not */
    /* What the sessions view shows (sess_activity), also under watch_mu: */
    char act_query[SESS_ACTIVITY_QUERY_MAX]; /* the latest statement's text, cut */
    int64_t act_start_ms;                    /* its start, wall clock ms */
    int64_t act_end_ms;                      /* its end (0 while it runs) */
    int64_t act_rows;                        /* rows it sent or changed so far (atomic) */
    char act_app[64];                        /* application_name, cut */
    bool admitting;   /* admit_tk may be waiting: sess_interrupt withdraws it */
    bool adv_waiting; /* an advisory lock request may be waiting (sessions view) */
    /* Admission control (sess_admit.c): the session's place, used by its thread only (other
     * threads go through admit_cancel / admit_queued_since). */
    admit_ticket_t admit_tk;
    bool oom_retried;      /* the running statement already ran again after running out of memory */
    uint64_t admit_fp;     /* the fingerprint whose cost is being measured, 0 = none */
    int64_t admit_cpu_us;  /* the thread's CPU time when that statement started */
    int64_t admit_wall_us; /* and the wall clock */
    /* Advisory locks (advisory.c): the session may hold some at session / transaction level
     * (so that the ends of transactions only visit the server's lock table when needed). */
    bool adv_session;
    bool adv_xact;
};

/* ---- session.c, for unit.c ---- */

/* Drops a reference to a statement (freeing it with the last). */
void sess__stmt_unref(sess_stmt_t *st);
/* The guard's view of the session, and the check of a prepared statement against its role. */
guard_ctx_t sess__guard_ctx(const sess_t *s);
int sess__guard(sess_t *s, const sess_stmt_t *st, uerr_t *err) __attribute__((warn_unused_result));
/* Logs a failed statement (redacted when it may carry a secret). */
void sess__log_failed(const char *sql, size_t len, const uerr_t *err);
/* The statement stopped running; an interrupt error gets the message of its cause. */
void sess__watch_end(sess_t *s, uerr_t *err);
/* CLOCK_MONOTONIC in ms. */
int64_t sess__clock_ms(void);
/* Sync's end of the unnamed portal: dropped if it completed. */
void sess__sync_portal(sess_t *s);
/* True if the statement has `word` as a top-level token (not inside quotes). */
bool sess__has_word(const char *text, const char *word);

/* True if a portal of this name exists; the number of named portals. */
bool sess__portal_exists(sess_t *s, const char *name);
int sess__named_portals(const sess_t *s);

/* ---- sqlcursor.c, for session.c and unit.c: DECLARE / FETCH / MOVE / CLOSE ---- */

typedef struct sess_cursor sess_cursor_t;

/* Runs portal p's cursor statement (compat.action COMPAT_CURSOR); simple: the simple query
 * protocol (FETCH sends its RowDescription; a BINARY cursor's rows are binary). Appends the
 * command tag to tag. Returns 0, or -1 with err set (or unset: the client is gone). */
int sess__cursor_run(sess_t *s, sess_portal_t *p, bool simple, const sess_sink_t *sink, ubuf_t *tag,
                     uerr_t *err) __attribute__((warn_unused_result));
/* The columns of cursor `name` (ncols 0 when there is none). formats NULL: columns only
 * (Describe of a FETCH statement); p NULL: the cursor's own formats (the cursor described as
 * a portal); else portal p's (a FETCH portal: Bind's result formats, kept in p). */
int sess__cursor_describe(sess_t *s, const char *name, sess_portal_t *p, const sess_col_t **cols,
                          size_t *ncols, const int16_t **formats, uerr_t *err)
    __attribute__((warn_unused_result));
bool sess__cursor_exists(sess_t *s, const char *name);
int sess__cursor_count(const sess_t *s);
/* A transaction ended: cursors without HOLD are dropped, and WITH HOLD ones declared in it
 * too unless it committed. */
void sess__cursors_txn_end(sess_t *s, bool committed);
/* Closes cursor `name`; false when there is none. */
bool sess__cursor_close(sess_t *s, const char *name);
/* Drops every cursor (CLOSE ALL, DISCARD ALL, the session's end). */
void sess__cursors_free(sess_t *s);
/* Another statement needs the connection: the streaming cursor's remaining rows move to a
 * temporary table of the session's spill connection. */
int sess__cursor_yield(sess_t *s, uerr_t *err) __attribute__((warn_unused_result));
/* COMMIT/ROLLBACK is about to run: the streaming cursor (never WITH HOLD) dies with the
 * transaction, so its stream is dropped instead of buffered. */
void sess__cursor_discard(sess_t *s);

/* ---- alter.c, for session.c ---- */

struct compat_alter;
/* Runs a COMPAT_ALTER statement's steps in one transaction (the block's, the implicit
 * transaction's, or its own when it is alone); notices go to sink. 0 or -1 (err set). */
int sess__alter_run(sess_t *s, const struct compat_alter *a, const sess_sink_t *sink, uerr_t *err)
    __attribute__((warn_unused_result));

/* ---- unit.c, for session.c: PostgreSQL's implicit transaction and group commit ---- */

/* Copies n parameters and their bytes (dflt_oids fills a 0 type; may be NULL). */
void sess__params_copy(const eng_param_t *src, size_t n, const uint32_t *dflt_oids,
                       eng_param_t **out, ubuf_t *bytes);
/* Parses a statement group commit may coalesce: 1 DuckDB's preparation skipped, 0 still
 * needed, -1 (err set) refused by the guard. */
int sess__stmt_fast(sess_t *s, sess_stmt_t *st, bool simple, uerr_t *err);
bool sess__classify_fast(sess_t *s, const char *sql, size_t len, sess_stmt_t *st);
/* Prepares a statement whose preparation stmt_fast skipped (no-op when prepared). */
int sess__stmt_prepare_late(sess_t *s, sess_stmt_t *st, uerr_t *err)
    __attribute__((warn_unused_result));
/* Ends the implicit transaction without committing anything. */
void sess__unit_abort(sess_t *s);
/* Opens the implicit transaction's DuckDB transaction before a statement DuckDB runs (unless
 * it is alone), running the deferred INSERTs in it first. */
int sess__unit_enter(sess_t *s, const sess_sink_t *sink, uerr_t *err)
    __attribute__((warn_unused_result));
/* A COMPAT_STEPS statement (compat_serial): sess__steps_guard judges each of its steps
 * against the session's role; sess__steps_run runs them, in order, inside the implicit
 * transaction (opened even when the statement is alone) or the block. 0, or -1 with err
 * set; a failure leaves the transaction to be rolled back by the caller's error path. */
int sess__steps_guard(sess_t *s, const sess_stmt_t *st, uerr_t *err)
    __attribute__((warn_unused_result));
int sess__steps_run(sess_t *s, const sess_stmt_t *st, const sess_sink_t *sink, uerr_t *err)
    __attribute__((warn_unused_result));
/* sess__unit_enter before statement st; a statement that runs several DuckDB statements
 * gets a transaction even when it is alone, so that it is atomic. */
int sess__unit_enter_for(sess_t *s, const sess_stmt_t *st, const sess_sink_t *sink, uerr_t *err)
    __attribute__((warn_unused_result));
/* Ends the implicit transaction: 0 committed, -1 failed (err set, or unset: client gone), or
 * SESS_PENDING with allow_async (see session.h). */
int sess__unit_commit(sess_t *s, const sess_sink_t *sink, bool allow_async, uerr_t *err)
    __attribute__((warn_unused_result));
/* Statements DuckDB runs inside the implicit transaction (not transaction control). */
bool sess__runs_in_unit(const sess_stmt_t *st);
/* True when statement st would be coalesced now (if its target allows). */
bool sess__may_defer(const sess_t *s, const sess_stmt_t *st);
/* Defers portal p's INSERT for group commit: 1 deferred, 0 run it the ordinary way, -1 the
 * client is gone. */
int sess__defer(sess_t *s, sess_portal_t *p, const sess_sink_t *sink, bool hold_tag);
/* Sends a coalesced INSERT's completion (INSERT, pe->rows rows) to the sink. */
int sess__complete_pend(const sess_sink_t *sink, const sess_pend_t *pe);
/* After a statement ran: schema changes and name-resolution changes (see unit.c). */
void sess__after_statement(sess_t *s, const sess_stmt_t *st);
/* ---- advisory.c: the advisory lock functions (COMPAT_ADVISORY) ---- */

/* Fills st->adv_col, the statement's result column (bool or void, named as the client sees). */
void sess__advisory_col(sess_stmt_t *st);
/* Portal p's result format for that column (resolved once from Bind's formats). */
int16_t *sess__advisory_formats(sess_portal_t *p);
/* Runs the statement of portal p: evaluates the key (st->es, when the arguments are not
 * literals), takes or releases the lock (a blocking request waits until granted or the
 * statement is interrupted: 57014), sends the row (with its description when with_desc) and
 * writes the tag. 0, or -1 with err set (or unset: the client is gone). */
int sess__advisory_run(sess_t *s, sess_portal_t *p, bool with_desc, const sess_sink_t *sink,
                       ubuf_t *tag, uerr_t *err) __attribute__((warn_unused_result));
/* The transaction ended (committed or not): its transaction-level locks go. */
void sess__advisory_txn_end(sess_t *s);
/* pg_advisory_unlock_all() / DISCARD ALL: the session-level locks go. */
void sess__advisory_unlock_all(sess_t *s);
/* The session ends: every lock it holds goes. */
void sess__advisory_end(sess_t *s);

/* ---- sess_admit.c: admission control of statements ---- */

/* True when statement st must hold an execution slot to run (see sess_admit.c). */
bool sess__admit_needed(const sess_t *s, const sess_stmt_t *st);
/* Takes a slot for st if it needs one and the session holds none (unless st's kind ran light
 * last time: admit_known_light), waiting in the queue if needed: 0, or -1 with err set (53000
 * queue_timeout; 57014 withdrawn by sess_interrupt). Call it inside the statement's watch;
 * sess__admit_release ends what it started (and records what the statement cost). */
int sess__admit(sess_t *s, sess_stmt_t *st, uerr_t *err) __attribute__((warn_unused_result));
/* Gives the slot back, if the session holds one. */
void sess__admit_release(sess_t *s);
/* st failed with err while holding a slot: if it is an autocommit query that ran out of memory
 * (53200) for the first time, waits until it can run alone and returns true (err cleared: run
 * it again); false leaves err (or replaces it with the wait's error). */
bool sess__admit_oom_retry(sess_t *s, const sess_stmt_t *st, uerr_t *err);

/* ---- parameters (session/params.c) ---- */

/* The current value of an emulated parameter (the compat_get_fn of compat_classify; ctx is
 * the session). Borrowed until the parameter next changes. */
const char *sess__param_value(void *ctx, const char *name);
/* Whether the table duckd.foreign_keys exists (as this session's connection sees it): *yes.
 * Returns 0, or -1 with err set. */
int sess__fk_table_exists(sess_t *s, bool *yes, uerr_t *err);
/* Whether a table, view, sequence or index `name` exists in schema `schema` (NULL: the
 * current schema), as the session's connection sees it: *yes. 0, or -1 with err set. */
int sess__relation_exists(sess_t *s, const char *schema, const char *name, bool *yes, uerr_t *err);
/* Stores a value unchecked (NULL = the reset value); unknown names are ignored. */
void sess__param_set(sess_t *s, const char *name, const char *value);
/* SET of an emulated parameter: timeouts validated and stored in PostgreSQL's spelling,
 * TimeZone and search_path also applied to the DuckDB connection. value NULL resets. Returns
 * 0, or -1 with *err set (22023) and the old value kept. */
int sess__param_set_checked(sess_t *s, const char *name, const char *value, uerr_t *err);
/* Writes ms as PostgreSQL's SHOW does: the largest unit that divides it ("5s", "100ms"). */
void sess__format_ms(char *out, size_t n, int64_t ms);
/* Applies the session's search_path to DuckDB again (after a CREATE, when some of its schemas
 * did not exist before); errors are ignored (the old path stays). */
void sess__reapply_search_path(sess_t *s);
/* RESET ALL / DISCARD ALL; announces the reportable parameters that changed. Returns -1 when
 * the client is gone. */
int sess__reset_all(sess_t *s, const sess_sink_t *sink);
/* SET [LOCAL] name inside a transaction block: remembers the value before the block (once per
 * block and name). After a plain SET (local false) of it, sess__local_commit_value records
 * the value a COMMIT keeps. */
sess_local_t *sess__local_save(sess_t *s, const char *name);
void sess__local_commit_value(sess_t *s, sess_local_t *l);
/* The block ended: as in PostgreSQL, a ROLLBACK undoes every SET of the block, a COMMIT keeps
 * plain SETs and undoes SET LOCAL; reportable ones queue for sess__local_report. */
void sess__local_restore(sess_t *s, bool committed);
int sess__local_report(sess_t *s, const sess_sink_t *sink);
void sess__local_free(sess_local_t **list);

/* Sleeps before retry `attempt` (0-based) of a statement that hit a write-write conflict:
 * exponential backoff with jitter, ~50 us to ~6.4 ms. */
void sess__conflict_backoff(int attempt);

#endif
