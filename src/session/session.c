/* Protocol-neutral sessions: prepared statements, portals, transaction status, and the one
 * execution path shared by the simple and extended query protocols. See session.h. */
#include "session/session.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "engine/bulk.h"
#include "engine/tablefn.h"
#include "session/compat.h"
#include "session/compat_alter.h"
#include "session/compat_colnames.h"
#include "session/compat_groupby.h"
#include "info/metrics.h"
#include "session/copy.h"
#include "session/copy_in.h"
#include "session/cursor_sql.h"
#include "session/session_internal.h"
#include "session/fastins.h"
#include "session/gcommit.h"
#include "session/pool.h"
#include "session/sqlscan.h"
#include "types/pgtypes.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/xalloc.h"

#define SESS_MAX_STATEMENTS_PER_QUERY 100000

void sess_set_backend_pid(sess_t *s, int32_t pid)
{
    snprintf(s->backend_pid, sizeof s->backend_pid, "%d", (int)pid);
}

/* ---- lifecycle ---- */

int sess_create(const sess_env_t *env, const char *user, const char *database,
                const char *application_name, sess_t **out, uerr_t *err)
{
    return sess_create_pooled(env, NULL, user, database, application_name, out, err);
}

int sess_create_pooled(const sess_env_t *env, sess_pool_t *pool, const char *user,
                       const char *database, const char *application_name, sess_t **out,
                       uerr_t *err)
{
    sess_t *s = xcalloc(1, sizeof *s);
    *out = NULL;
    s->env = env;
    s->txn = 'I';
    s->proto = MET_INTERNAL;
    s->user = xstrdup(user ? user : "duckd");
    s->role = GUARD_ROLE_READ_WRITE;
    s->pend_tail = &s->pend;
    s->pool = pool;
    /* a pooled connection is as this function left it for the session before: opened, with
     * the server's default time zone applied (sess_conn_reusable proves nothing changed) */
    bool reused = pool && (s->conn = sess__pool_take(pool)) != NULL;
    if (!reused && eng_conn_open(env->db, &s->conn, err) != 0) {
        free(s->user);
        free(s);
        return -1;
    }
    pthread_mutex_init(&s->watch_mu, NULL);
    eng_conn_set_owner(s->conn, s); /* duckd's table functions see who asks (tablefn.h) */
    /* SIGHUP may change these server defaults while sessions start (main.c) */
    const int dflt[3] = {__atomic_load_n(&env->statement_timeout_ms, __ATOMIC_RELAXED),
                         __atomic_load_n(&env->idle_in_transaction_timeout_ms, __ATOMIC_RELAXED),
                         __atomic_load_n(&env->idle_session_timeout_ms, __ATOMIC_RELAXED)};
    for (size_t i = 0; i < 3; i++) {
        if (dflt[i] > 0)
            sess__format_ms(s->timeout_dflt[i], sizeof s->timeout_dflt[i], dflt[i]);
        s->timeout_ms[i] = dflt[i] > 0 ? dflt[i] : 0;
    }
    if (env->timezone && strcmp(env->timezone, "UTC") != 0) { /* the server's default zone */
        char canon[128];
        uerr_t tzerr = UERR_INIT; /* validated at start-up: not expected */
        if (!reused &&
            eng_conn_set_timezone(s->conn, env->timezone, canon, sizeof canon, &tzerr) != 0)
            ulog(ULOG_WARN, "session time zone stays UTC: %s", tzerr.message);
        uerr_clear(&tzerr);
        s->names_private = true; /* see sess__param_set_checked */
    }
    if (application_name)
        sess__param_set(s, "application_name", application_name);
    (void)database;
    *out = s;
    return 0;
}

void sess__stmt_unref(sess_stmt_t *st)
{
    if (!st || --st->refs > 0)
        return;
    eng_stmt_free(st->es);
    if (st->fi)
        fastins_free(st->fi);
    free(st->fi);
    compat_free(&st->compat);
    free(st->param_oids);
    free(st->name);
    free(st->text);
    free(st);
}

static void portal_free(sess_t *s, sess_portal_t *p)
{
    if (s->streaming == p)
        s->streaming = NULL;
    eng_cursor_free(p->cur);
    sess__stmt_unref(p->stmt);
    free(p->params);
    ubuf_free(&p->param_bytes);
    free(p->formats);
    free(p->col_formats);
    free(p->name);
    free(p);
}

static void sess_savepoints_end(sess_t *s);
static void sess_count(const sess_t *s, double ms, const uerr_t *err, int64_t rows);

/* Whether s's engine connection may serve another session: nothing the session did can
 * have left state on it that a later session (of another user) could observe. Proven by what
 * ran, never guessed: only plain SELECT/INSERT/UPDATE/DELETE statements (stmt_build clears
 * nothing, it only sets conn_dirty), no interrupt, no transaction or implicit transaction
 * open, no deferred INSERT or commit pending, no result left streaming, no SQL cursor, no
 * savepoint, no spill connection. Call before sess_destroy tears anything down. */
static bool sess_conn_reusable(const sess_t *s)
{
    return !__atomic_load_n(&s->conn_dirty, __ATOMIC_ACQUIRE) && s->txn == 'I' && !s->itx &&
           !s->pend && !s->awaiting && !s->streaming && !s->stream_cur && !s->cursors &&
           s->nsp == 0 && !s->spill && !s->local_undo;
}

void sess_destroy(sess_t *s)
{
    if (!s)
        return;
    bool reusable = s->pool && sess_conn_reusable(s);
    if (s->awaiting) { /* the front-end finishes first; this is only a safety net */
        uerr_t ignored = UERR_INIT;
        s->awaiting = false;
        if (gc_wait(s->req, &ignored) != GC_COMMITTED)
            ulog(ULOG_DEBUG, "a pending commit ended with the session");
        uerr_clear(&ignored);
    }
    /* results first: rolling back with a result still streaming would buffer all of it */
    sess__cursors_free(s);
    while (s->portals) {
        sess_portal_t *p = s->portals;
        s->portals = p->next;
        portal_free(s, p);
    }
    sess__unit_abort(s);
    sess__advisory_end(s); /* after the rollback: PostgreSQL releases them at the session's end */
    gc_req_free(s->env->gc, s->req);
    while (s->stmts) {
        sess_stmt_t *st = s->stmts;
        s->stmts = st->next;
        sess__stmt_unref(st);
    }
    sess_savepoints_end(s);
    sess__local_free(&s->local_undo);
    sess__local_free(&s->local_report);
    while (s->params) {
        sess_param_t *p = s->params;
        s->params = p->next;
        free(p->value);
        free(p->boot);
        free((char *)p->custom.name);
        free(p);
    }
    if (s->pool) {
        eng_conn_set_owner(s->conn, NULL);
        if (sess__pool_give(s->pool, s->conn, reusable))
            s->conn = NULL;
        else
            ulog(ULOG_DEBUG, "session pool: closing the connection of a session that %s",
                 reusable ? "found the pool full" : "may have left state on it");
    }
    eng_conn_close(s->conn);
    eng_conn_close(s->spill);
    admit_ticket_destroy(&s->admit_tk);
    pthread_mutex_destroy(&s->watch_mu);
    free(s->user);
    free(s);
}

char sess_txn_status(const sess_t *s) { return s->txn; }

char sess_txn_status_peek(const sess_t *s) { return __atomic_load_n(&s->txn, __ATOMIC_RELAXED); }

bool sess_is_admin(const sess_t *s) { return s->trusted || s->role == GUARD_ROLE_ADMIN; }

const char *sess_user(const sess_t *s) { return s->user ? s->user : ""; }

bool sess_progress(sess_t *s, eng_progress_t *out) { return eng_conn_progress(s->conn, out); }

void sess_set_role(sess_t *s, guard_role_t role, bool trusted)
{
    s->role = role;
    s->trusted = trusted;
}

void sess_set_dialect(sess_t *s, sess_dialect_t d) { s->dialect = d; }

void sess_set_protocol(sess_t *s, const char *proto) { s->proto = metrics_proto(proto); }

void sess_set_encoding(sess_t *s, sess_encoding_t e)
{
    s->encoding = e;
    eng_conn_keep_types(s->conn, e == SESS_ENC_PARQUET); /* Parquet takes every DuckDB type */
}

void sess_cancel(sess_t *s) { (void)sess_interrupt(s, SESS_INTR_USER); }

int64_t sess__clock_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Caller holds watch_mu. */
static bool sess_interrupt_locked(sess_t *s, sess_interrupt_t why)
{
    bool hit = s->running && s->intr_why == SESS_INTR_NONE;
    if (why != SESS_INTR_USER && !hit)
        return false;
    if (s->running && s->intr_why == SESS_INTR_NONE)
        s->intr_why = why;
    __atomic_store_n(&s->conn_dirty, true, __ATOMIC_RELEASE); /* never pooled after this */
    eng_conn_interrupt(s->conn);
    if (s->waiting)
        gc_cancel(s->env->gc, s->waiting);
    if (s->admitting)
        admit_cancel(s->env->admit, &s->admit_tk);
    return hit;
}

bool sess_interrupt(sess_t *s, sess_interrupt_t why)
{
    pthread_mutex_lock(&s->watch_mu);
    bool hit = sess_interrupt_locked(s, why);
    pthread_mutex_unlock(&s->watch_mu);
    return hit;
}

bool sess_running(sess_t *s)
{
    pthread_mutex_lock(&s->watch_mu);
    bool r = s->running;
    pthread_mutex_unlock(&s->watch_mu);
    return r;
}

bool sess_watch_deadline(sess_t *s)
{
    bool hit = false;
    pthread_mutex_lock(&s->watch_mu);
    if (s->running && s->deadline_ms && sess__clock_ms() >= s->deadline_ms)
        hit = sess_interrupt_locked(s, SESS_INTR_TIMEOUT);
    pthread_mutex_unlock(&s->watch_mu);
    return hit;
}

static int64_t sess_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A statement starts: arms its statement_timeout for the watchdog and shows `text` (the
 * client's statement) in the sessions view. */
static void sess_watch_begin(sess_t *s, const char *text)
{
    int64_t timeout = sess_param_ms(s, "statement_timeout");
    size_t n = strnlen(text, sizeof s->act_query - 1);
    int64_t now = sess_wall_ms();
    pthread_mutex_lock(&s->watch_mu);
    if (s->running && s->planning) { /* planned under this watch: its deadline stands */
        s->planning = false;
        pthread_mutex_unlock(&s->watch_mu);
        return;
    }
    s->running = true;
    s->intr_why = SESS_INTR_NONE;
    s->deadline_ms = timeout > 0 ? sess__clock_ms() + timeout : 0;
    memcpy(s->act_query, text, n);
    s->act_query[n] = '\0';
    s->act_start_ms = now;
    s->act_end_ms = 0;
    __atomic_store_n(&s->act_rows, 0, __ATOMIC_RELAXED);
    pthread_mutex_unlock(&s->watch_mu);
}

void sess_activity(sess_t *s, sess_activity_t *a)
{
    char txn = __atomic_load_n(&s->txn, __ATOMIC_RELAXED);
    pthread_mutex_lock(&s->watch_mu);
    a->state = s->waiting       ? "waiting for commit"
               : s->admitting   ? "queued"
               : s->adv_waiting ? "waiting for lock"
               : s->running     ? "active"
               : txn == 'T'     ? "idle in transaction"
               : txn == 'E'     ? "idle in transaction (aborted)"
                                : "idle";
    memcpy(a->query, s->act_query, sizeof a->query);
    a->query_start_ms = s->act_start_ms;
    a->query_end_ms = s->act_end_ms;
    a->rows = __atomic_load_n(&s->act_rows, __ATOMIC_RELAXED);
    memcpy(a->application_name, s->act_app, sizeof a->application_name);
    eng_progress_t pr;
    a->progress = s->running && eng_conn_progress(s->conn, &pr) ? pr.percent : -1;
    pthread_mutex_unlock(&s->watch_mu);
}

/* A statement is parsed and planned (DuckDB's planning of a deep expression can take
 * seconds): statement_timeout and CancelRequest count from here. On success the watch stays
 * open for the portal that runs it (sess_watch_begin keeps the deadline) or, for Parse, ends
 * with the message. */
static void sess_watch_plan(sess_t *s, const char *sql, size_t len)
{
    char text[SESS_ACTIVITY_QUERY_MAX];
    size_t n = len < sizeof text - 1 ? len : sizeof text - 1;
    memcpy(text, sql, n);
    text[n] = '\0';
    sess_watch_begin(s, text);
    pthread_mutex_lock(&s->watch_mu);
    s->planning = true;
    pthread_mutex_unlock(&s->watch_mu);
}

/* The statement stopped running. An interrupt error gets the message of its cause. */
void sess__watch_end(sess_t *s, uerr_t *err)
{
    int64_t now = sess_wall_ms();
    pthread_mutex_lock(&s->watch_mu);
    sess_interrupt_t why = s->intr_why;
    s->planning = false;
    s->running = false;
    s->act_end_ms = now;
    s->deadline_ms = 0;
    s->intr_why = SESS_INTR_NONE;
    pthread_mutex_unlock(&s->watch_mu);
    if (!err || !uerr_isset(err) || strcmp(err->sqlstate, "57014") != 0)
        return;
    if (why == SESS_INTR_TIMEOUT)
        uerr_set(err, "57014", "canceling statement due to statement timeout");
    else if (why == SESS_INTR_HANGUP)
        uerr_set(err, "57014", "canceling statement because the client disconnected");
}

void sess_mark_failed(sess_t *s)
{
    if (s->txn == 'T')
        s->txn = 'E';
    else if (s->itx || s->pend)
        s->unit_failed = true;
}

/* ---- statements ---- */

static sess_stmt_t **stmt_find(sess_t *s, const char *name)
{
    sess_stmt_t **pp = &s->stmts;
    while (*pp && strcmp((*pp)->name, name) != 0)
        pp = &(*pp)->next;
    return pp;
}

static sess_portal_t **portal_find(sess_t *s, const char *name)
{
    sess_portal_t **pp = &s->portals;
    while (*pp && strcmp((*pp)->name, name) != 0)
        pp = &(*pp)->next;
    return pp;
}

static bool sess_ends_block(const sess_stmt_t *st)
{
    /* ROLLBACK TO reaches its handler in a failed block, which says why it cannot help */
    return st->compat.action == COMPAT_COMMIT || st->compat.action == COMPAT_ROLLBACK ||
           st->compat.action == COMPAT_ROLLBACK_TO;
}

/* ---- savepoints ----
 * DuckDB has no savepoints. duckd keeps PostgreSQL's savepoint names and honours every use
 * it can honour exactly: SAVEPOINT and RELEASE (nothing to undo), and ROLLBACK TO a savepoint
 * after which nothing was changed (only queries ran). A ROLLBACK TO that would have to undo
 * changes fails with 0A000 and leaves the block failed, so the work it should have undone is
 * never committed (the block's COMMIT rolls back). */

static void sess_savepoints_pop(sess_t *s, size_t keep)
{
    while (s->nsp > keep)
        free(s->savepoints[--s->nsp]);
}

static void sess_savepoints_end(sess_t *s)
{
    sess_savepoints_pop(s, 0);
    free(s->savepoints);
    free(s->sp_work);
    s->savepoints = NULL;
    s->sp_work = NULL;
    s->txn_work = 0;
}

/* True when the statement may change what a ROLLBACK TO would have to undo: anything but a
 * query and transaction control. */
static bool sess_may_change(const sess_stmt_t *st)
{
    switch (st->compat.action) {
    case COMPAT_PASS: return !st->es || eng_stmt_kind(st->es) != ENG_KIND_SELECT;
    case COMPAT_BEGIN:
    case COMPAT_COMMIT:
    case COMPAT_ROLLBACK:
    case COMPAT_SAVEPOINT:
    case COMPAT_RELEASE:
    case COMPAT_ROLLBACK_TO:
    case COMPAT_NOOP:
    case COMPAT_COPY_OUT:
    case COMPAT_DEALLOCATE:
    case COMPAT_ERROR: return false;
    /* a transaction-level advisory lock would have to be released (session-level ones are
     * not transactional in PostgreSQL either) */
    case COMPAT_ADVISORY: return st->compat.adv->xact && st->compat.adv->op != COMPAT_ADV_UNLOCK;
    default: return true;
    }
}

static int sess_savepoint(sess_t *s, const sess_stmt_t *st, uerr_t *err)
{
    const char *name = st->compat.param;
    compat_action_t a = st->compat.action;
    size_t i;
    if (s->txn == 'I') {
        uerr_set(err, "25P01", "%s can only be used in transaction blocks",
                 a == COMPAT_SAVEPOINT ? "SAVEPOINT"
                 : a == COMPAT_RELEASE ? "RELEASE SAVEPOINT"
                                       : "ROLLBACK TO SAVEPOINT");
        return -1;
    }
    if (a == COMPAT_SAVEPOINT) {
        s->savepoints = xrealloc(s->savepoints, (s->nsp + 1) * sizeof *s->savepoints);
        s->sp_work = xrealloc(s->sp_work, (s->nsp + 1) * sizeof *s->sp_work);
        s->savepoints[s->nsp] = xstrdup(name);
        s->sp_work[s->nsp++] = s->txn_work;
        return 0;
    }
    for (i = s->nsp; i > 0 && strcmp(s->savepoints[i - 1], name) != 0; i--)
        ;
    if (i == 0) {
        uerr_set(err, "3B001", "savepoint \"%s\" does not exist", name);
        return -1;
    }
    if (a == COMPAT_RELEASE) {
        sess_savepoints_pop(s, i - 1);
        return 0;
    }
    if (s->txn == 'E' || s->txn_work != s->sp_work[i - 1]) {
        uerr_set(err, "0A000",
                 "cannot roll back to savepoint \"%s\": changes were made since it was set, and "
                 "DuckDB has no savepoints to undo them with; the transaction is aborted and "
                 "will roll back",
                 name);
        return -1;
    }
    sess_savepoints_pop(s, i); /* it stays, the ones set after it go */
    return 0;
}

static void sess_set_aborted_error(uerr_t *err)
{
    uerr_set(err, "25P02",
             "current transaction is aborted, commands ignored until end of transaction block");
}

/* The DuckDB type an unresolved parameter is cast to: the type the client declared in Parse,
 * or VARCHAR, as PostgreSQL resolves an unknown-typed parameter to text. A numeric one
 * (psycopg 3 and pg8000 declare Python's Decimal so, JDBC setBigDecimal too) must stay a
 * number that arithmetic and comparisons accept, and DuckDB's DECIMAL needs a width and
 * scale before the value is known: DECIMAL(38,10) holds 28 integer and 10 fractional
 * digits; PostgreSQL's unconstrained numeric keeps more, which is the documented difference. */
static const char *param_cast_type(uint32_t oid)
{
    switch (oid) {
    case PGT_BOOL: return "BOOLEAN";
    case PGT_INT2: return "SMALLINT";
    case PGT_INT4: return "INTEGER";
    case PGT_INT8: return "BIGINT";
    case PGT_FLOAT4: return "REAL";
    case PGT_FLOAT8: return "DOUBLE";
    case PGT_DATE: return "DATE";
    case PGT_TIME: return "TIME";
    case PGT_TIMESTAMP: return "TIMESTAMP";
    case PGT_TIMESTAMPTZ: return "TIMESTAMPTZ";
    case PGT_INTERVAL: return "INTERVAL";
    case PGT_NUMERIC: return "DECIMAL(38,10)";
    case PGT_TIMETZ: return "TIMETZ";
    case PGT_UUID: return "UUID";
    case PGT_BYTEA: return "BLOB";
    case PGT_JSON:
    case PGT_JSONB: return "JSON";
    default: return "VARCHAR";
    }
}

/* The type OID of a type name a parameter is cast to ($1::integer), 0 if not a simple one. */
static uint32_t param_named_type(const char *name, size_t len)
{
    static const struct {
        const char *name;
        uint32_t oid;
    } names[] = {{"integer", PGT_INT4},        {"int", PGT_INT4},
                 {"int4", PGT_INT4},           {"bigint", PGT_INT8},
                 {"int8", PGT_INT8},           {"smallint", PGT_INT2},
                 {"int2", PGT_INT2},           {"boolean", PGT_BOOL},
                 {"bool", PGT_BOOL},           {"text", PGT_TEXT},
                 {"varchar", PGT_TEXT},        {"real", PGT_FLOAT4},
                 {"float4", PGT_FLOAT4},       {"float8", PGT_FLOAT8},
                 {"double", PGT_FLOAT8},       {"date", PGT_DATE},
                 {"timestamp", PGT_TIMESTAMP}, {"timestamptz", PGT_TIMESTAMPTZ},
                 {"uuid", PGT_UUID},           {"bytea", PGT_BYTEA}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i].name) == len && strncasecmp(names[i].name, name, len) == 0)
            return names[i].oid;
    return 0;
}

/* Whether parameter i is cast to the client's type: when DuckDB could not infer its type, and
 * when the client declared it numeric but DuckDB inferred an integer from the context
 * (`$1 > 1`), where PostgreSQL keeps the declared numeric and a Decimal such as 1.25 would
 * fail. A numeric DuckDB type inferred from a column (DECIMAL(10,2), HUGEINT, BIGNUM) stays:
 * it holds what the column can. */
static bool param_needs_cast(const eng_stmt_t *es, size_t i, const uint32_t *oids, size_t noids)
{
    if (eng_stmt_param_unresolved(es, i))
        return true;
    uint32_t inferred = eng_stmt_param_oid(es, i);
    return i < noids && oids[i] == PGT_NUMERIC &&
           (inferred == PGT_INT2 || inferred == PGT_INT4 || inferred == PGT_INT8);
}

/* True when token t is an arithmetic operator. */
static bool param_arith_op(const char *sql, const sqlt_t *t)
{
    static const char *const ops[] = {"+", "-", "*", "/", "%"};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (sqlscan_is_op(sql, t, ops[i]))
            return true;
    return false;
}

/* The type OID of a number literal, as PostgreSQL types it: integer, bigint or numeric. */
static uint32_t param_number_type(const char *sql, const sqlt_t *t)
{
    bool integral = true;
    for (size_t i = 0; i < t->len && integral; i++)
        integral = sql[t->start + i] >= '0' && sql[t->start + i] <= '9';
    if (!integral)
        return PGT_NUMERIC;
    return t->len < 10 || (t->len == 10 && strncmp(sql + t->start, "2147483647", 10) <= 0)
               ? PGT_INT4
           : t->len <= 18 ? PGT_INT8
                          : PGT_NUMERIC;
}

/* When DuckDB could not infer some parameter types (SELECT $1 || 'x'), its description of
 * the statement is provisional (a placeholder column), and a client that describes before
 * binding would decode garbage. Returns the SQL with each unresolved $n cast to a definite
 * type, or NULL when every parameter is resolved. A parameter the statement casts to a type
 * ($1::integer) has that type, as in PostgreSQL: cast_oids[n] (n entries, zeroed by the
 * caller) receives it. */
static char *sql_with_param_casts(const char *sql, const eng_stmt_t *es, const uint32_t *oids,
                                  size_t noids, uint32_t *cast_oids)
{
    size_t n = eng_stmt_nparams(es), pos = 0, copied = 0, len = strlen(sql);
    bool any = false;
    for (size_t i = 0; i < n && !any; i++)
        any = param_needs_cast(es, i, oids, noids);
    if (!any)
        return NULL;
    ubuf_t b = UBUF_INIT;
    sqlt_t prev = {0}, prev2 = {0};
    for (;;) {
        sqlt_t t = sqlscan_next(sql, len, &pos);
        if (t.kind == SQLT_END || t.kind == SQLT_ERROR)
            break;
        sqlt_t before = prev, before2 = prev2;
        prev2 = prev;
        prev = t;
        if (t.kind != SQLT_PARAM)
            continue;
        long idx = strtol(sql + t.start + 1, NULL, 10) - 1;
        if (idx < 0 || (size_t)idx >= n || !param_needs_cast(es, (size_t)idx, oids, noids))
            continue;
        uint32_t oid = (size_t)idx < noids ? oids[idx] : 0;
        const pgt_info_t *info = pgt_info(oid);
        bool array = info && info->elem_oid;
        size_t after = pos;
        sqlt_t cast = sqlscan_next(sql, len, &after), type = sqlscan_next(sql, len, &after);
        sqlt_t next = sqlscan_next(sql, len, &after);
        if (!eng_stmt_param_unresolved(es, (size_t)idx) && sqlscan_is_op(sql, &cast, "::"))
            continue; /* a numeric $1::numeric(5,2): the statement's own cast decides */
        ubuf_append(&b, sql + copied, t.start - copied);
        uint32_t to = sqlscan_is_op(sql, &cast, "::") && type.kind == SQLT_WORD
                          ? param_named_type(sql + type.start, type.len)
                          : 0;
        if (oid == 0 && to == 0 && eng_stmt_param_unresolved(es, (size_t)idx)) {
            /* $1 * 2, 1.5 + $1: PostgreSQL gives the parameter the other operand's type */
            if (param_arith_op(sql, &before) && before2.kind == SQLT_NUMBER)
                to = param_number_type(sql, &before2);
            else if (param_arith_op(sql, &cast) && type.kind == SQLT_NUMBER &&
                     !sqlscan_is_op(sql, &next, "::"))
                to = param_number_type(sql, &type);
        }
        if (oid == 0 && to != 0 && !sqlscan_is_op(sql, &next, "[") &&
            !sqlscan_is_op(sql, &next, "(") && !sqlscan_is_op(sql, &next, ".")) {
            /* $1::integer: PostgreSQL gives the parameter the type it is cast to */
            cast_oids[idx] = to;
            ubuf_printf(&b, "(%.*s::%s)", (int)t.len, sql + t.start, param_cast_type(to));
        } else
            ubuf_printf(&b, "(%.*s::%s%s)", (int)t.len, sql + t.start,
                        param_cast_type(array ? info->elem_oid : oid), array ? "[]" : "");
        copied = t.start + t.len;
    }
    ubuf_append(&b, sql + copied, len - copied);
    ubuf_cstr(&b);
    return b.data;
}

static int sess_yield_stream(sess_t *s, struct sess_portal *p, uerr_t *err);

guard_ctx_t sess__guard_ctx(const sess_t *s)
{
    guard_ctx_t g = {s->role, s->env->read_only, s->env->catalog, s->user, eng_option_known};
    return g;
}

/* A SET/RESET of a DuckDB option: the guard turns it into the session-scoped statement to
 * run (or an admin's explicit server-wide one, which is logged), or refuses it. */
static int sess_vet_set(sess_t *s, sess_stmt_t *st, uerr_t *err)
{
    guard_ctx_t g = sess__guard_ctx(s);
    ubuf_t sql = UBUF_INIT;
    bool global = false;
    if (s->trusted && st->compat.set_config) { /* the text is the SELECT set_config(...) */
        ubuf_puts(&sql, "SET ");
        ubuf_put_ident(&sql, st->compat.param);
        ubuf_printf(&sql, " = %s", st->compat.value);
    } else if (s->trusted) {
        ubuf_puts(&sql, st->text);
    } else if (guard_set(&g, &st->compat, &sql, &global, err) != 0) {
        ubuf_free(&sql);
        return -1;
    }
    if (global)
        ulog(ULOG_WARN, "user %s changes a server-wide setting: %s", s->user, ubuf_cstr(&sql));
    if (st->compat.set_config) { /* the SET runs first, then the SELECT of the value */
        st->compat.set_sql = xstrdup(ubuf_cstr(&sql));
        ubuf_free(&sql);
        return 0;
    }
    free(st->compat.sql);
    st->compat.sql = xstrdup(ubuf_cstr(&sql));
    st->compat.action = COMPAT_PASS;
    st->compat.set_vetted = true;
    ubuf_free(&sql);
    return 0;
}

/* Checks a prepared statement against the session's role (session/guard.h). PREPARE and
 * EXPLAIN are judged by the statement inside them too. */
int sess__guard(sess_t *s, const sess_stmt_t *st, uerr_t *err)
{
    guard_ctx_t g = sess__guard_ctx(s);
    const char *sql = st->compat.sql;
    size_t len = strlen(sql), off;
    eng_kind_t kind = eng_stmt_kind(st->es), inner = ENG_KIND_OTHER;
    if (s->trusted)
        return 0;
    if (st->compat.action == COMPAT_COPY_IN)
        kind = ENG_KIND_INSERT;
    if ((kind == ENG_KIND_EXPLAIN || kind == ENG_KIND_PREPARE) &&
        (off = guard_inner_statement(sql, len)) > 0) {
        eng_stmt_t *es = NULL;
        uerr_t ignored = UERR_INIT;
        char *text = xstrndup(sql + off, len - off);
        if (eng_prepare(s->conn, text, &es, &ignored) == 0)
            inner = eng_stmt_kind(es);
        eng_stmt_free(es);
        uerr_clear(&ignored);
        int r = guard_statement(&g, inner, ENG_KIND_OTHER, false, text, strlen(text), err);
        free(text);
        if (r != 0)
            return -1;
    }
    return guard_statement(&g, kind, inner, st->compat.set_vetted, sql, len, err);
}

/* Prepares st's DuckDB statement. A query DuckDB refuses because it selects columns that
 * PostgreSQL knows to depend on its GROUP BY (grouped by primary key) runs with those columns
 * added to GROUP BY (compat_groupby.h); one that applies jsonb's @>, <@ or - to a JSON value
 * runs with those operators as duckd's functions (compat_json_retry); otherwise DuckDB's error
 * stands. */
static int stmt_prepare(sess_t *s, sess_stmt_t *st, uerr_t *err)
{
    uerr_t again = UERR_INIT;
    char *wide = NULL;
    int rc = -1;
    if (eng_prepare(s->conn, st->compat.sql, &st->es, err) == 0)
        return 0;
    if (s->dialect != SESS_DIALECT_POSTGRES)
        goto out;
    if (strcmp(err->sqlstate, "42803") == 0) {
        wide = compat_groupby_widen(st->compat.sql, strlen(st->compat.sql));
        if (!wide || eng_prepare(s->conn, wide, &st->es, &again) != 0)
            goto out;
    } else if (strcmp(err->sqlstate, "42883") == 0) {
        /* jsonb's @>, <@, - on a JSON value: each refusal names one operator */
        const char *msg = err->message;
        for (int round = 0;; round++) {
            char *next = round < 3 && msg
                             ? compat_json_retry(wide ? wide : st->compat.sql,
                                                 strlen(wide ? wide : st->compat.sql), msg)
                             : NULL;
            if (!next)
                goto out;
            free(wide);
            wide = next;
            uerr_clear(&again);
            if (eng_prepare(s->conn, wide, &st->es, &again) == 0)
                break;
            if (strcmp(again.sqlstate, "42883") != 0)
                goto out;
            msg = again.message;
        }
    } else {
        goto out;
    }
    uerr_clear(err);
    free(st->compat.sql);
    st->compat.sql = wide;
    wide = NULL;
    rc = 0;
out:
    uerr_clear(&again);
    free(wide);
    return rc;
}

/* Whether sql[0..len) contains word, ignoring case. */
static bool sess_mentions(const char *sql, size_t len, const char *word)
{
    size_t n = strlen(word);
    for (size_t i = 0; i + n <= len; i++)
        if (strncasecmp(sql + i, word, n) == 0)
            return true;
    return false;
}

/* Whether the statement reads a catalog that shows the keys duckd records or that must leave
 * duckd's schema out (compat_hide_duckd): pg_class, pg_constraint, pg_get_constraintdef,
 * DuckDB's duckdb_*() catalogs, information_schema, sqlite_master, pg_tables, SHOW ALL
 * TABLES and DESCRIBE. */
static bool sess_reads_catalog(const char *sql, size_t len)
{
    static const char *const words[] = {"pg_class", "pg_constraint", "constraintdef",     "duckdb_",
                                        "sqlite_",  "pg_tables",     "information_schema"};
    size_t lead = 0;
    while (lead < len &&
           (sql[lead] == ' ' || sql[lead] == '\t' || sql[lead] == '\r' || sql[lead] == '\n'))
        lead++;
    if (len - lead >= 8 && strncasecmp(sql + lead, "describe", 8) == 0)
        return true;
    if (len - lead >= 4 && strncasecmp(sql + lead, "show", 4) == 0)
        return sess_mentions(sql + lead, len - lead, "tables");
    for (size_t w = 0; w < sizeof words / sizeof words[0]; w++)
        if (sess_mentions(sql, len, words[w]))
            return true;
    return false;
}

/* Whether the catalogs may read duckd.foreign_keys (the keys recorded instead of DuckDB's)
 * and must leave duckd's schema out of DuckDB's own: the table is created on first use, and
 * a query naming it fails while it does not exist. Asked only for statements that read such
 * a catalog (sess_reads_catalog); once seen outside a transaction block the answer is kept
 * for the process (duckd never drops the table). */
static bool sess_fk_table(sess_t *s, const char *sql, size_t len)
{
    static _Atomic bool known = false;
    bool yes = false;
    uerr_t err = UERR_INIT;
    if (known)
        return true;
    if (!sess_reads_catalog(sql, len) || sess_yield_stream(s, NULL, &err) != 0 ||
        sess__fk_table_exists(s, &yes, &err) != 0) {
        uerr_clear(&err);
        return false;
    }
    if (yes && s->txn == 'I')
        known = true;
    return yes;
}

/* Names st's result columns as PostgreSQL would (compat_colnames.h), from the client's text
 * sql[0..len) rather than the rewritten statement; the names stay with the prepared statement
 * and its cursors. */
static void stmt_pg_colnames(sess_stmt_t *st, const char *sql, size_t len)
{
    size_t n = eng_stmt_ncols(st->es);
    const char *few[16], **have = n <= 16 ? few : NULL; /* no malloc for the usual few */
    char **names = NULL;
    if (n == 0)
        return;
    if (!have)
        have = xcalloc(n, sizeof *have);
    for (size_t i = 0; i < n; i++)
        have[i] = eng_stmt_col(st->es, i)->name;
    if ((names = compat_colnames(sql, len, have, n)))
        eng_stmt_rename_cols(st->es, (const char *const *)names, n);
    compat_colnames_free(names, n);
    if (have != few)
        free(have);
}

/* CREATE INDEX without a name gets PostgreSQL's (table_col_idx, table_col_idx1 when that is
 * taken, compat_colnames.h); DuckDB would refuse it. 0, or -1 with err set. */
static int stmt_index_name(sess_t *s, sess_stmt_t *st, uerr_t *err)
{
    compat_index_name_t n;
    const char *sql = st->compat.sql;
    int rc = -1;
    sql += strspn(sql, " \t\r\n");
    if (strncasecmp(sql, "create", 6) != 0 ||
        !compat_index_unnamed(st->compat.sql, strlen(st->compat.sql), &n))
        return 0;
    for (int pass = 0; pass < 1000; pass++) {
        char *name = compat_index_choose(&n, pass);
        bool taken = true;
        if (sess__relation_exists(s, n.schema, name, &taken, err) != 0) {
            free(name);
            goto out;
        }
        if (!taken) {
            char *named = compat_index_named(st->compat.sql, strlen(st->compat.sql), &n, name);
            free(name);
            free(st->compat.sql);
            st->compat.sql = named;
            rc = 0;
            goto out;
        }
        free(name);
    }
    uerr_set(err, "42P07", "could not choose a name for the index on \"%s\"", n.table);
out:
    compat_index_name_free(&n);
    return rc;
}

/* Builds a statement from one SQL statement's text (no semicolons). */
/* Whether running st can leave nothing on the engine connection that a later session could
 * observe (session pool, pool.h): a plain SELECT, INSERT, UPDATE or DELETE passed to DuckDB
 * as written. Everything else may (SET and RESET, temporary objects, PREPARE, USE, ATTACH,
 * LOAD, PRAGMA, CALL, transaction control, COPY, EXPLAIN ANALYZE of any of those), and so may
 * setseed(), the one function that changes connection state from a SELECT. */
static bool stmt_conn_neutral(const sess_stmt_t *st)
{
    if (st->compat.action == COMPAT_ADVISORY) /* at most a SELECT of its arguments */
        return !st->compat.sql || !strcasestr(st->compat.sql, "setseed");
    if (st->compat.action != COMPAT_PASS || !st->es)
        return false;
    switch (eng_stmt_kind(st->es)) {
    case ENG_KIND_SELECT:
    case ENG_KIND_INSERT:
    case ENG_KIND_UPDATE:
    case ENG_KIND_DELETE: break;
    default: return false;
    }
    return !strcasestr(st->compat.sql, "setseed");
}

static int stmt_build(sess_t *s, const char *name, const char *sql, size_t len,
                      const uint32_t *oids, size_t noids, bool simple, sess_stmt_t **out,
                      uerr_t *err)
{
    sess_stmt_t *st = xcalloc(1, sizeof *st);
    int rc = -1, fast;
    uint32_t *cast_oids = NULL; /* types of parameters the statement casts ($1::integer) */
    size_t cast_n = 0;
    st->refs = 1;
    st->name = xstrdup(name);
    st->text = xstrndup(sql, len);
    s->fk_table = s->txn != 'E' && sess_fk_table(s, sql, len);
    if (s->dialect == SESS_DIALECT_DUCKDB) {
        compat_classify_duckdb(sql, len, &st->compat);
        char *hidden = s->fk_table && st->compat.action == COMPAT_PASS
                           ? compat_hide_duckd(st->compat.sql, strlen(st->compat.sql))
                           : NULL;
        if (hidden) {
            free(st->compat.sql);
            st->compat.sql = hidden;
        }
    } else {
        if (!sess__classify_fast(s, sql, len, st))
            compat_classify(sql, len, sess__param_value, s, &st->compat);
    }
    if (s->txn == 'E' && !sess_ends_block(st)) {
        sess_set_aborted_error(err);
        goto out;
    }
    if (st->compat.action == COMPAT_DUCKDB_SET && sess_vet_set(s, st, err) != 0)
        goto out;
    if ((fast = sess__stmt_fast(s, st, simple, err)) < 0)
        goto out;
    compat_action_t act = fast ? COMPAT_NOOP : st->compat.action;
    if (act == COMPAT_CURSOR && st->compat.cursor->kind == CSQL_DECLARE)
        act = COMPAT_PASS; /* the cursor's query is prepared like any statement */
    if (act == COMPAT_COMMIT || act == COMPAT_ROLLBACK)
        sess__cursor_discard(s);
    switch (act) {
    case COMPAT_ADVISORY:
        sess__advisory_col(st);
        if (!st->compat.sql)
            break; /* literal keys: nothing for DuckDB to evaluate */
        __attribute__((fallthrough));
    case COMPAT_PASS:
    case COMPAT_COPY_OUT:
    case COMPAT_COPY_IN:
    case COMPAT_BEGIN:
    case COMPAT_COMMIT:
    case COMPAT_ROLLBACK:
        /* Any DuckDB call on this connection ends a streaming result, so a portal suspended
         * mid-stream is buffered first (clients such as pgjdbc Parse while one is open). */
        if (sess_yield_stream(s, NULL, err) != 0 ||
            (s->dialect == SESS_DIALECT_POSTGRES && act == COMPAT_PASS &&
             stmt_index_name(s, st, err) != 0) ||
            stmt_prepare(s, st, err) != 0)
            goto out;
        cast_n = eng_stmt_nparams(st->es);
        cast_oids = xcalloc(cast_n + 1, sizeof *cast_oids);
        char *cast = sql_with_param_casts(st->compat.sql, st->es, oids, noids, cast_oids);
        if (cast) {
            eng_stmt_free(st->es);
            st->es = NULL;
            free(st->compat.sql);
            st->compat.sql = cast;
            if (eng_prepare(s->conn, st->compat.sql, &st->es, err) != 0)
                goto out;
        }
        st->nparams = eng_stmt_nparams(st->es);
        if (sess__guard(s, st, err) != 0)
            goto out;
        if (s->dialect == SESS_DIALECT_POSTGRES && act == COMPAT_PASS)
            stmt_pg_colnames(st, sql, len);
        else if (s->dialect == SESS_DIALECT_POSTGRES && act == COMPAT_COPY_OUT &&
                 !st->compat.copy->table) /* COPY (query) TO STDOUT HEADER */
            stmt_pg_colnames(st, st->compat.copy->query, strlen(st->compat.copy->query));
        break;
    case COMPAT_ALTER: {
        /* its steps are prepared as they run (each may depend on the one before) */
        guard_ctx_t g = sess__guard_ctx(s);
        eng_kind_t kind = st->compat.alter->drop_table ? ENG_KIND_DROP : ENG_KIND_ALTER;
        if (!s->trusted && guard_statement(&g, kind, ENG_KIND_OTHER, false, st->compat.sql,
                                           strlen(st->compat.sql), err) != 0)
            goto out;
        break;
    }
    case COMPAT_STEPS:
        if (sess__steps_guard(s, st, err) != 0)
            goto out;
        break;
    case COMPAT_ERROR: uerr_set(err, st->compat.sqlstate, "%s", st->compat.message); goto out;
    default: break;
    }
    if (st->compat.set_config && /* its one row: SELECT of the new value */
        (sess_yield_stream(s, NULL, err) != 0 ||
         eng_prepare(s->conn, st->compat.sql, &st->es, err) != 0))
        goto out;
    if (noids > st->nparams && st->compat.action == COMPAT_PASS) {
        uerr_set(err, "42P18", "could not determine data type of parameter $%zu", noids);
        goto out;
    }
    st->param_oids = xcalloc(st->nparams ? st->nparams : 1, sizeof *st->param_oids);
    for (size_t i = 0; i < st->nparams; i++)
        st->param_oids[i] = i < noids && oids[i] ? oids[i]
                            : i < cast_n && eng_stmt_param_unresolved(st->es, i) && cast_oids[i]
                                ? cast_oids[i]
                                : eng_stmt_param_oid(st->es, i);
    if (!fast && !stmt_conn_neutral(st))
        __atomic_store_n(&s->conn_dirty, true, __ATOMIC_RELEASE);
    *out = st;
    st = NULL;
    rc = 0;
out:
    free(cast_oids);
    if (st) {
        st->refs = 1;
        sess__stmt_unref(st);
    }
    return rc;
}

/* True (with err set, SQLSTATE 53400) if the session holds max_prepared_statements named
 * statements already. */
static bool sess_over_stmt_cap(const sess_t *s, uerr_t *err)
{
    int n = 0, max = s->env->max_prepared_statements;
    for (const sess_stmt_t *st = s->stmts; st && max > 0 && n < max; st = st->next)
        n += st->name[0] != '\0';
    if (max <= 0 || n < max)
        return false;
    uerr_set(err, "53400",
             "too many prepared statements in this session (max_prepared_statements "
             "is %d)",
             max);
    uerr_set_hint(err, "Close or DEALLOCATE prepared statements that are no longer needed.");
    return true;
}

/* True (with err set, SQLSTATE 53400) if the session holds max_portals named portals. */
static bool sess_over_portal_cap(const sess_t *s, uerr_t *err)
{
    int n = sess__cursor_count(s), max = s->env->max_portals;
    for (const sess_portal_t *p = s->portals; p && max > 0 && n < max; p = p->next)
        n += p->name[0] != '\0';
    if (max <= 0 || n < max)
        return false;
    uerr_set(err, "53400", "too many portals in this session (max_portals is %d)", max);
    uerr_set_hint(err, "Close portals that are no longer needed.");
    return true;
}

int sess_prepare(sess_t *s, const char *name, const char *sql, size_t len,
                 const uint32_t *param_oids, size_t nparam_oids, uerr_t *err)
{
    sql_range_t r[2];
    long n = sqlscan_split(sql, len, r, 2);
    sess_stmt_t *st = NULL;
    if (n < 0) {
        uerr_set(err, "42601", "unterminated quoted string or comment");
        return -1;
    }
    if (n > 1) {
        uerr_set(err, "42601", "cannot insert multiple commands into a prepared statement");
        return -1;
    }
    if (name[0] && *stmt_find(s, name)) {
        uerr_set(err, "42P05", "prepared statement \"%s\" already exists", name);
        return -1;
    }
    if (name[0] && sess_over_stmt_cap(s, err))
        return -1;
    if (n == 0) {
        r[0].start = 0;
        r[0].len = 0;
    }
    if (n == 0) {
        /* an empty statement: Execute answers EmptyQueryResponse */
        st = xcalloc(1, sizeof *st);
        st->refs = 1;
        st->name = xstrdup(name);
        st->text = xstrdup("");
        st->compat.action = COMPAT_NOOP;
        st->compat.tag = NULL;
        st->param_oids = xcalloc(1, sizeof *st->param_oids);
    } else {
        sess_watch_plan(s, sql + r[0].start, r[0].len);
        int brc = stmt_build(s, name, sql + r[0].start, r[0].len, param_oids, nparam_oids, false,
                             &st, err);
        sess__watch_end(s, err);
        if (brc != 0) {
            sess_count(s, 0, err, 0); /* a statement that never runs is counted failed here */
            return -1;
        }
    }
    if (!name[0]) { /* replace the unnamed statement */
        sess_stmt_t **pp = stmt_find(s, "");
        if (*pp) {
            sess_stmt_t *old = *pp;
            *pp = old->next;
            sess__stmt_unref(old);
        }
    }
    st->next = s->stmts;
    s->stmts = st;
    return 0;
}

bool sess__portal_exists(sess_t *s, const char *name) { return *portal_find(s, name) != NULL; }

int sess__named_portals(const sess_t *s)
{
    int n = 0;
    for (const sess_portal_t *p = s->portals; p; p = p->next)
        n += p->name[0] != '\0';
    return n;
}

int sess_close_statement(sess_t *s, const char *name)
{
    sess_stmt_t **pp = stmt_find(s, name);
    if (*pp) {
        sess_stmt_t *st = *pp;
        *pp = st->next;
        sess__stmt_unref(st);
    }
    return 0;
}

int sess_close_portal(sess_t *s, const char *name)
{
    sess_portal_t **pp = portal_find(s, name);
    if (!*pp && name[0] && sess__cursor_exists(s, name)) {
        sess__cursor_close(s, name); /* a cursor is a portal: Close (portal) closes it */
        return 0;
    }
    if (*pp) {
        sess_portal_t *p = *pp;
        *pp = p->next;
        portal_free(s, p);
    }
    return 0;
}

int sess_describe_statement(sess_t *s, const char *name, const uint32_t **param_oids,
                            size_t *nparams, const sess_col_t **cols, size_t *ncols, uerr_t *err)
{
    sess_stmt_t *st = *stmt_find(s, name);
    if (!st) {
        uerr_set(err, "26000", "prepared statement \"%s\" does not exist", name);
        return -1;
    }
    *param_oids = st->param_oids;
    *nparams = st->nparams;
    *ncols = st->es && (st->compat.action == COMPAT_PASS || st->compat.set_config)
                 ? eng_stmt_ncols(st->es)
                 : 0;
    *cols = *ncols ? eng_stmt_col(st->es, 0) : NULL;
    if (st->compat.action == COMPAT_ADVISORY) {
        *ncols = 1;
        *cols = &st->adv_col;
    }
    if (st->compat.action == COMPAT_CURSOR && st->compat.cursor->kind == CSQL_FETCH)
        return sess__cursor_describe(s, st->compat.cursor->name, NULL, cols, ncols, NULL, err);
    return 0;
}

/* ---- command tags ---- */

/* Appends the upper-cased word at token t. */
static void tag_word(ubuf_t *b, const char *text, const sqlt_t *t)
{
    for (size_t i = 0; i < t->len; i++) {
        char c = text[t->start + i];
        ubuf_putc(b, (char)(c >= 'a' && c <= 'z' ? c - 32 : c));
    }
}

/* CREATE/DROP/ALTER tags name the object: "CREATE TABLE", "DROP VIEW". */
static void tag_ddl(ubuf_t *b, const char *text)
{
    static const char *skip[] = {"OR", "REPLACE", "TEMP",   "TEMPORARY",  "UNIQUE",
                                 "IF", "NOT",     "EXISTS", "PERSISTENT", "UNLOGGED"};
    size_t pos = 0, len = strlen(text);
    sqlt_t t = sqlscan_next(text, len, &pos);
    tag_word(b, text, &t);
    for (int i = 0; i < 6; i++) {
        t = sqlscan_next(text, len, &pos);
        if (t.kind != SQLT_WORD)
            return;
        bool skipped = false;
        for (size_t k = 0; k < sizeof skip / sizeof skip[0]; k++)
            skipped = skipped || sqlscan_is(text, &t, skip[k]);
        if (skipped)
            continue;
        ubuf_putc(b, ' ');
        if (sqlscan_is(text, &t, "MACRO"))
            ubuf_puts(b, "FUNCTION");
        else
            tag_word(b, text, &t);
        return;
    }
}

/* True if the statement has `word` as a top-level token (not inside quotes). */
bool sess__has_word(const char *text, const char *word)
{
    size_t pos = 0, len = strlen(text);
    for (;;) {
        sqlt_t t = sqlscan_next(text, len, &pos);
        if (t.kind == SQLT_END || t.kind == SQLT_ERROR)
            return false;
        if (sqlscan_is(text, &t, word))
            return true;
    }
}

static void make_tag(ubuf_t *b, const sess_stmt_t *st, const eng_cursor_t *cur, int64_t rows)
{
    int64_t changed = cur ? eng_cursor_rows_changed(cur) : -1;
    int64_t n = changed >= 0 ? changed : rows;
    if (st->compat.tag) {
        ubuf_puts(b, st->compat.tag);
        return;
    }
    switch (st->es ? eng_stmt_kind(st->es) : ENG_KIND_OTHER) {
    case ENG_KIND_INSERT: ubuf_printf(b, "INSERT 0 %lld", (long long)n); return;
    case ENG_KIND_UPDATE: ubuf_printf(b, "UPDATE %lld", (long long)n); return;
    case ENG_KIND_DELETE: ubuf_printf(b, "DELETE %lld", (long long)n); return;
    case ENG_KIND_COPY: ubuf_printf(b, "COPY %lld", (long long)n); return;
    case ENG_KIND_SET: ubuf_puts(b, "SET"); return;
    case ENG_KIND_CREATE:
        tag_ddl(b, st->text);
        if (changed >= 0 && strcmp(ubuf_cstr(b), "CREATE TABLE") == 0 &&
            sess__has_word(st->text, "AS")) {
            ubuf_reset(b);
            ubuf_printf(b, "SELECT %lld", (long long)changed); /* CREATE TABLE AS */
        }
        return;
    case ENG_KIND_DROP:
    case ENG_KIND_ALTER: tag_ddl(b, st->text); return;
    case ENG_KIND_SELECT: ubuf_printf(b, "SELECT %lld", (long long)rows); return;
    default:
        if (cur && eng_cursor_has_rows(cur)) {
            ubuf_printf(b, "SELECT %lld", (long long)rows);
        } else {
            size_t pos = 0;
            sqlt_t t = sqlscan_next(st->text, strlen(st->text), &pos);
            tag_word(b, st->text, &t);
        }
    }
}

/* ---- execution ---- */

/* Hands portal p's completion to the sink: what ran, its row count and its tag. */
static int portal_complete(sess_t *s, const sess_portal_t *p, const char *tag,
                           const sess_sink_t *sink)
{
    int64_t changed = p->cur ? eng_cursor_rows_changed(p->cur) : -1;
    compat_action_t a = p->stmt->compat.action;
    sess_result_t r = {p->stmt->es ? eng_stmt_kind(p->stmt->es) : ENG_KIND_OTHER, -1, tag};
    if (a == COMPAT_COPY_IN || a == COMPAT_COPY_OUT) {
        r.kind = ENG_KIND_COPY; /* p->rows counts the rows copied */
        r.rows = p->rows;
    } else if (changed >= 0) {
        r.rows = changed;
    } else if (p->cur && eng_cursor_has_rows(p->cur)) {
        r.rows = p->rows;
    }
    if (r.rows > 0)
        __atomic_store_n(&s->act_rows, r.rows, __ATOMIC_RELAXED);
    return sink->complete(sink->ctx, &r);
}

static double sess_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Runs a fixed statement (ROLLBACK) outside any portal. */
static int sess_run_plain(sess_t *s, const char *sql, uerr_t *err)
{
    eng_stmt_t *es = NULL;
    eng_cursor_t *cur = NULL;
    int64_t n;
    bool done;
    int rc = -1;
    if (strcmp(sql, "COMMIT") == 0 || strcmp(sql, "ROLLBACK") == 0)
        sess__cursor_discard(s);
    if (sess_yield_stream(s, NULL, err) != 0 || eng_prepare(s->conn, sql, &es, err) != 0)
        goto out;
    if (eng_execute(es, &cur, err) != 0)
        goto out;
    if (eng_cursor_fetch(cur, 0, NULL, NULL, &n, &done, err) != 0)
        goto out;
    rc = 0;
out:
    eng_cursor_free(cur);
    eng_stmt_free(es);
    return rc;
}

/* Buffers the streaming portal (other than p) so a new statement can use the connection. */
static int sess_yield_stream(sess_t *s, sess_portal_t *p, uerr_t *err)
{
    sess_portal_t *o = s->streaming;
    if (sess__cursor_yield(s, err) != 0)
        return -1;
    if (!o || o == p)
        return 0;
    s->streaming = NULL;
    return eng_cursor_materialize(o->cur, err);
}

static int sess_notice(const sess_sink_t *sink, const char *state, const char *msg)
{
    return sink->notice ? sink->notice(sink->ctx, state, msg) : 0;
}

/* Statements the session answers itself. Returns 1 if handled (tag in *b), 0 if DuckDB must
 * run st->es, -1 on error / client gone. */
static int portal_session_action(sess_t *s, sess_portal_t *p, const sess_sink_t *sink, ubuf_t *tag,
                                 uerr_t *err)
{
    sess_stmt_t *st = p->stmt;
    const char *state = NULL, *msg = NULL;
    const compat_param_t *def;
    switch (st->compat.action) {
    case COMPAT_BEGIN:
        if (s->txn == 'I' && (s->itx || s->pend)) {
            /* BEGIN inside an implicit transaction makes it the block, as in PostgreSQL */
            s->alone = false;
            if (sess__unit_enter(s, sink, err) != 0)
                return -1;
            s->itx = false;
            s->txn = 'T';
            ubuf_puts(tag, "BEGIN");
            return 1;
        }
        if (s->txn == 'I')
            return 0;
        state = "25001", msg = "there is already a transaction in progress";
        break;
    case COMPAT_COMMIT:
    case COMPAT_ROLLBACK:
        if (s->txn == 'T')
            return 0;
        if (s->txn == 'E') {
            s->txn = 'I';
            s->ddl = false;
            sess_savepoints_end(s);
            sess__local_restore(s, false);
            sess__cursors_txn_end(s, false);
            sess__advisory_txn_end(s);
            if (sess_run_plain(s, "ROLLBACK", err) != 0)
                return -1;
            ubuf_puts(tag, "ROLLBACK");
            return 1;
        }
        /* inside an implicit transaction: it ends here (PostgreSQL warns the same way) */
        if (st->compat.action == COMPAT_COMMIT && sess__unit_commit(s, sink, false, err) != 0)
            return -1;
        sess__unit_abort(s);
        state = "25P01", msg = "there is no transaction in progress";
        break;
    case COMPAT_SET_PARAM:
        if (st->compat.set_config && st->compat.set_scope == COMPAT_SCOPE_LOCAL && s->txn != 'T')
            return 0; /* set_config(..., true) outside a block: over with this statement */
        if (st->compat.set_scope == COMPAT_SCOPE_LOCAL && s->txn != 'T') {
            /* as PostgreSQL: it would only last for this statement */
            state = "25P01", msg = "SET LOCAL can only be used in transaction blocks";
            break;
        }
        /* inside a block every SET is undone by ROLLBACK, SET LOCAL by COMMIT too */
        sess_local_t *undo = s->txn == 'T' ? sess__local_save(s, st->compat.param) : NULL;
        if (sess__param_set_checked(s, st->compat.param, st->compat.value, err) != 0)
            return -1;
        if (undo && st->compat.set_scope != COMPAT_SCOPE_LOCAL)
            sess__local_commit_value(s, undo);
        def = compat_param_find(st->compat.param); /* NULL: a custom parameter */
        if (def && def->report && sink->parameter_status &&
            sink->parameter_status(sink->ctx, def->name, sess__param_value(s, def->name)) != 0)
            return -1;
        if (st->compat.set_config)
            return 0; /* DuckDB answers the row */
        break;
    case COMPAT_DUCKDB_SET: /* set_config of a DuckDB option, vetted (sess_vet_set) */
        if (sess_yield_stream(s, NULL, err) != 0 ||
            eng_conn_exec(s->conn, st->compat.set_sql, err) != 0)
            return -1;
        return 0;
    case COMPAT_DEALLOCATE:
        /* PostgreSQL has one namespace for the protocol's statements and SQL PREPARE's; SQL
         * PREPARE / EXECUTE run in DuckDB, so a name the protocol does not know is DuckDB's */
        if (st->compat.param && *stmt_find(s, st->compat.param)) {
            sess_close_statement(s, st->compat.param);
        } else if (st->compat.param) {
            uerr_t ignored = UERR_INIT;
            ubuf_t b = UBUF_INIT;
            ubuf_puts(&b, "DEALLOCATE ");
            ubuf_put_ident(&b, st->compat.param);
            ubuf_cstr(&b);
            int rc = eng_conn_exec(s->conn, b.data, &ignored);
            ubuf_free(&b);
            uerr_clear(&ignored);
            if (rc != 0) {
                uerr_set(err, "26000", "prepared statement \"%s\" does not exist",
                         st->compat.param);
                return -1;
            }
        } else {
            uerr_t ignored = UERR_INIT;
            while (s->stmts)
                sess_close_statement(s, s->stmts->name);
            if (eng_conn_exec(s->conn, "DEALLOCATE ALL", &ignored) != 0)
                uerr_clear(&ignored); /* nothing to drop on DuckDB's side is not an error */
        }
        break;
    case COMPAT_ALTER:
        if (sess__alter_run(s, st->compat.alter, sink, err) != 0)
            return -1;
        break;
    case COMPAT_SAVEPOINT:
    case COMPAT_RELEASE:
    case COMPAT_ROLLBACK_TO:
        if (sess_savepoint(s, st, err) != 0)
            return -1;
        break;
    case COMPAT_STEPS:
        if (sess__steps_run(s, st, sink, err) != 0)
            return -1;
        break;
    case COMPAT_NOOP:
        if (!st->compat.tag) { /* empty statement */
            if (sink->complete(sink->ctx, NULL) != 0)
                return -1;
            return 2;
        }
        if ((strcmp(st->compat.tag, "DISCARD ALL") == 0 || strcmp(st->compat.tag, "RESET") == 0) &&
            sess__reset_all(s, sink) != 0)
            return -1;
        if (strcmp(st->compat.tag, "DISCARD ALL") == 0 && sess__has_word(st->text, "ALL")) {
            sess__cursors_free(s);        /* DISCARD ALL includes CLOSE ALL */
            sess__advisory_unlock_all(s); /* and pg_advisory_unlock_all() */
        }
        break;
    default: return 0;
    }
    if (msg && sess_notice(sink, state, msg) != 0)
        return -1;
    ubuf_puts(tag, st->compat.tag);
    return 1;
}

static void portal_after(sess_t *s, const sess_stmt_t *st, bool ok)
{
    switch (st->compat.action) {
    case COMPAT_BEGIN:
        if (ok)
            s->txn = 'T';
        break;
    case COMPAT_COMMIT:
    case COMPAT_ROLLBACK:
        if (ok && s->ddl && st->compat.action == COMPAT_COMMIT && s->env->gc)
            gc_schema_changed(s->env->gc);
        sess__cursors_txn_end(s, ok && st->compat.action == COMPAT_COMMIT);
        sess__advisory_txn_end(s);
        sess_savepoints_end(s);
        s->ddl = false;
        s->txn = 'I';
        sess__local_restore(s, ok && st->compat.action == COMPAT_COMMIT);
        break;
    default: break;
    }
}

void sess__conflict_backoff(int attempt)
{
    /* exponential, from ~50 us up to ~6.4 ms, with jitter: retrying at once mostly meets the
     * same writer still in flight, and under load a statement lost every one of 100 retries */
    static _Thread_local unsigned seed;
    if (!seed)
        seed = (unsigned)(uintptr_t)&seed ^ (unsigned)time(NULL);
    long base_us = 50L << (attempt < 7 ? attempt : 7);
    long us = base_us / 2 + (long)(rand_r(&seed) % (unsigned)base_us);
    struct timespec ts = {0, us * 1000};
    nanosleep(&ts, NULL);
}

/* True when a failed autocommit statement may run again: a write-write conflict (40001) hit
 * a DML statement alone in its transaction before anything reached the client. Waits a
 * little (sess__conflict_backoff) before saying so. */
static bool sess_may_retry(sess_t *s, const sess_stmt_t *st, const uerr_t *err, int attempt)
{
    eng_kind_t k = st->es ? eng_stmt_kind(st->es) : ENG_KIND_OTHER;
    if (s->txn != 'I' || s->itx ||
        attempt >= __atomic_load_n(&s->env->conflict_retries, __ATOMIC_RELAXED) ||
        strcmp(err->sqlstate, "40001") != 0 ||
        (k != ENG_KIND_INSERT && k != ENG_KIND_UPDATE && k != ENG_KIND_DELETE))
        return false;
    if (s->env->gc)
        gc_note_retry(s->env->gc);
    sess__conflict_backoff(attempt);
    return true;
}

/* Binds and starts the portal's DuckDB statement. */
static int portal_start(sess_t *s, sess_portal_t *p, uerr_t *err)
{
    sess_stmt_t *st = p->stmt;
    p->started = true;
    if (s->txn == 'E' && !sess_ends_block(st)) {
        sess_set_aborted_error(err);
        return -1;
    }
    if (!st->es)
        return 0;
    if (sess_ends_block(st))
        sess__cursor_discard(s); /* ends with the transaction: no need to buffer it */
    if (sess_yield_stream(s, p, err) != 0)
        return -1;
    if (eng_bind(st->es, p->params, p->nparams, err) != 0)
        return -1;
    for (int attempt = 0; eng_execute(st->es, &p->cur, err) != 0; attempt++) {
        if (!sess_may_retry(s, st, err, attempt) && !sess__admit_oom_retry(s, st, err)) {
            portal_after(s, st, false);
            return -1;
        }
        ulog(ULOG_DEBUG, "write conflict, running the statement again: %s", err->message);
        uerr_clear(err);
    }
    int16_t enc = s->encoding == SESS_ENC_ARROW || s->encoding == SESS_ENC_PARQUET
                      ? ENG_FMT_TEXT
                      : (int16_t)s->encoding;
    const int16_t *formats = s->encoding == SESS_ENC_PG ? p->formats : &enc;
    size_t nformats = s->encoding == SESS_ENC_PG ? p->nformats : 1;
    eng_cursor_set_formats(p->cur, formats, nformats);
    eng_cursor_set_max_row(p->cur, s->env->max_row_size);
    size_t ncols = eng_cursor_ncols(p->cur);
    if (nformats > 1 && nformats != ncols) {
        uerr_set(err, "08P01", "bind message has %zu result formats but query has %zu columns",
                 nformats, ncols);
        return -1;
    }
    free(p->col_formats); /* one Describe set it up for a set_config */
    p->col_formats = xcalloc(ncols ? ncols : 1, sizeof *p->col_formats);
    for (size_t i = 0; i < ncols; i++)
        p->col_formats[i] = nformats == 0 ? 0 : formats[nformats == 1 ? 0 : i];
    if (eng_cursor_is_streaming(p->cur))
        s->streaming = p;
    return 0;
}

/* A statement's text as logs show it: string literals redacted when it may carry a secret
 * (CREATE SECRET, ATTACH options, passwords), at most 4 KiB. */
static void sess_log_text(const char *sql, size_t len, ubuf_t *out)
{
    if (len > 4096)
        len = 4096;
    if (guard_is_sensitive(sql, len))
        guard_redact(sql, len, out);
    else
        ubuf_append(out, sql, len);
}

/* Error messages may quote the statement, so a sensitive one's message is not logged. */
void sess__log_failed(const char *sql, size_t len, const uerr_t *err)
{
    ubuf_t b = UBUF_INIT;
    bool sensitive = guard_is_sensitive(sql, len > 4096 ? 4096 : len);
    sess_log_text(sql, len, &b);
    ulog(ULOG_WARN, "statement failed: %s [SQLSTATE %s]: %s", ubuf_cstr(&b), err->sqlstate,
         sensitive ? "(message not logged: the statement may carry a secret)" : err->message);
    ubuf_free(&b);
}

/* Counts a statement that ended (metrics.h): ms it ran, its error or success, rows sent. */
static void sess_count(const sess_t *s, double ms, const uerr_t *err, int64_t rows)
{
    metrics_statement(s->proto, ms / 1000, err && uerr_isset(err) ? err->sqlstate : NULL, rows);
}

static void portal_log(sess_t *s, const sess_portal_t *p, double t0, const uerr_t *err)
{
    sess_count(s, sess_now_ms() - t0, err, p->cur && eng_cursor_has_rows(p->cur) ? p->rows : 0);
    if (err && uerr_isset(err))
        sess__log_failed(p->stmt->text, strlen(p->stmt->text), err);
    else if (__atomic_load_n(&s->env->log_statements, __ATOMIC_RELAXED)) {
        ubuf_t b = UBUF_INIT;
        sess_log_text(p->stmt->text, strlen(p->stmt->text), &b);
        ulog(ULOG_INFO, "statement: %s (%.3f ms, %lld rows)", ubuf_cstr(&b), sess_now_ms() - t0,
             (long long)p->rows);
        ubuf_free(&b);
    }
}

/* ---- COPY ... TO STDOUT ---- */

typedef struct {
    const sess_sink_t *sink;
    const copy_opts_t *o;
    ubuf_t line;
    bool header_pending; /* binary: the file header goes out with the first row or trailer */
} copy_ctx_t;

/* The binary COPY file header: signature, flags, header extension length. PostgreSQL sends it
 * in the same CopyData message as the first row (clients such as psycopg rely on that). */
static void copy_binary_header(copy_ctx_t *c)
{
    static const char sig[11] = "PGCOPY\n\377\r\n"; /* the 11th byte is the NUL */
    if (!c->header_pending)
        return;
    ubuf_append(&c->line, sig, sizeof sig);
    ubuf_put_u32be(&c->line, 0);
    ubuf_put_u32be(&c->line, 0);
    c->header_pending = false;
}

static int copy_row(void *ctx, const sess_value_t *vals, size_t n)
{
    copy_ctx_t *c = ctx;
    const copy_opts_t *o = c->o;
    ubuf_reset(&c->line);
    if (o->format == COPY_FMT_BINARY) {
        copy_binary_header(c);
        ubuf_put_u16be(&c->line, (uint16_t)n);
        for (size_t i = 0; i < n; i++) {
            ubuf_put_u32be(&c->line, vals[i].len < 0 ? UINT32_MAX : (uint32_t)vals[i].len);
            if (vals[i].len > 0)
                ubuf_append(&c->line, vals[i].data, (size_t)vals[i].len);
        }
    } else {
        for (size_t i = 0; i < n; i++) {
            if (i)
                ubuf_putc(&c->line, o->delim);
            if (vals[i].len < 0)
                ubuf_puts(&c->line, o->null_str);
            else if (o->format == COPY_FMT_CSV)
                pgt_copy_csv_field(&c->line, vals[i].data, (size_t)vals[i].len, o->delim, o->quote,
                                   o->escape, o->null_str, n == 1);
            else
                pgt_copy_text_field(&c->line, vals[i].data, (size_t)vals[i].len, o->delim);
        }
        ubuf_putc(&c->line, '\n');
    }
    return c->sink->copy_data(c->sink->ctx, c->line.data, c->line.len);
}

/* Streams a started COPY TO STDOUT portal to the end: the rows are encoded in the COPY format
 * one at a time, so memory stays at one chunk plus one row. Appends "COPY n" to tag. */
static int copy_out_run(sess_t *s, sess_portal_t *p, const sess_sink_t *sink, ubuf_t *tag,
                        uerr_t *err)
{
    const copy_opts_t *o = p->stmt->compat.copy;
    copy_ctx_t c = {sink, o, UBUF_INIT, false};
    size_t ncols = eng_cursor_ncols(p->cur);
    int16_t fmt = o->format == COPY_FMT_BINARY ? 1 : 0;
    int64_t n = 0;
    bool done = false;
    int rc = -1;

    if (!sink->copy_out_begin || !sink->copy_data || !sink->copy_out_end) {
        uerr_set(err, "0A000", "COPY TO STDOUT is not available on this protocol");
        goto out;
    }
    eng_cursor_set_formats(p->cur, &fmt, 1);
    if (sink->copy_out_begin(sink->ctx, fmt == 1, ncols) != 0)
        goto out;
    if (o->format == COPY_FMT_BINARY) {
        c.header_pending = true;
    } else if (o->header) {
        sess_value_t *names = xcalloc(ncols ? ncols : 1, sizeof *names);
        for (size_t i = 0; i < ncols; i++) {
            const char *nm = eng_cursor_col(p->cur, i)->name;
            names[i].data = nm ? nm : "";
            names[i].len = (int32_t)strlen(names[i].data);
        }
        int hr = copy_row(&c, names, ncols);
        free(names);
        if (hr != 0)
            goto out;
    }
    if (eng_cursor_fetch(p->cur, 0, copy_row, &c, &n, &done, err) != 0)
        goto out;
    p->rows += n;
    if (o->format == COPY_FMT_BINARY) {
        ubuf_reset(&c.line);
        copy_binary_header(&c);              /* no rows: header and trailer together */
        ubuf_put_u16be(&c.line, UINT16_MAX); /* trailer: -1 */
        if (sink->copy_data(sink->ctx, c.line.data, c.line.len) != 0)
            goto out;
    }
    if (sink->copy_out_end(sink->ctx) != 0)
        goto out;
    ubuf_printf(tag, "COPY %lld", (long long)p->rows);
    rc = 0;
out:
    if (s->streaming == p)
        s->streaming = NULL;
    ubuf_free(&c.line);
    return rc;
}

/* ---- COPY ... FROM STDIN (session/copy_in.c): the session services it uses ---- */

eng_conn_t *sess__conn(sess_t *s) { return s->conn; }

size_t sess__max_copy_row(const sess_t *s) { return s->env->max_copy_row; }

int sess__yield_stream(sess_t *s, uerr_t *err) { return sess_yield_stream(s, NULL, err); }

int sess__run_plain(sess_t *s, const char *sql, uerr_t *err) { return sess_run_plain(s, sql, err); }

bool sess__autocommit(const sess_t *s) { return s->txn == 'I' && !s->itx; }

sess_interrupt_t sess__interrupted(sess_t *s)
{
    pthread_mutex_lock(&s->watch_mu);
    sess_interrupt_t why = s->intr_why;
    pthread_mutex_unlock(&s->watch_mu);
    return why;
}

/* Runs or resumes a portal. with_desc: send the row description first (simple query). */
static int portal_run(sess_t *s, sess_portal_t *p, int64_t max_rows, const sess_sink_t *sink,
                      bool with_desc, bool *suspended, uerr_t *err)
{
    ubuf_t tag = UBUF_INIT;
    double t0 = sess_now_ms();
    int rc = -1, r;
    bool done = false;
    int64_t n = 0;
    *suspended = false;
    sess_watch_begin(s, p->stmt->text);
    if (!p->started && s->txn == 'E' && !sess_ends_block(p->stmt)) {
        sess_set_aborted_error(err);
        goto out;
    }
    if (!p->started) {
        r = sess__defer(s, p, sink, with_desc);
        if (r != 0) {
            rc = r > 0 ? 0 : -1;
            goto out;
        }
        if (sess__admit(s, p->stmt, err) != 0)
            goto out;
        if (p->stmt->fi && sess__stmt_prepare_late(s, p->stmt, err) != 0)
            goto out;
        if (s->txn == 'T' && sess_may_change(p->stmt))
            s->txn_work++;
        if (p->stmt->compat.action == COMPAT_CURSOR) {
            p->started = true;
            r = sess__cursor_run(s, p, with_desc, sink, &tag, err) == 0 ? 1 : -1;
        } else if (p->stmt->compat.action == COMPAT_ADVISORY) {
            p->started = true;
            r = sess__advisory_run(s, p, with_desc, sink, &tag, err) == 0 ? 1 : -1;
        } else {
            r = portal_session_action(s, p, sink, &tag, err);
        }
        if (r < 0)
            goto out;
        if (r == 0 && sess__runs_in_unit(p->stmt) &&
            sess__unit_enter_for(s, p->stmt, sink, err) != 0)
            goto out;
        if (r == 2) {
            rc = 0;
            goto out;
        }
        if (r == 0 && p->stmt->compat.action == COMPAT_COPY_IN) {
            p->started = true;
            if (copy_in_run(s, p->stmt->compat.copy, p->stmt->es, sink, &p->rows, &tag, err) != 0)
                goto out;
        } else if (r == 0 && portal_start(s, p, err) != 0) {
            goto out;
        }
        p->started = true;
    }
    if (p->cur && !p->done && sess__admit(s, p->stmt, err) != 0)
        goto out; /* a suspended portal resumes */
    if (p->cur && !p->done && p->stmt->compat.action == COMPAT_COPY_OUT) {
        r = copy_out_run(s, p, sink, &tag, err);
        portal_after(s, p->stmt, r == 0);
        if (r != 0)
            goto out;
    } else if (p->cur && !p->done) {
        size_t ncols = eng_cursor_ncols(p->cur);
        if (with_desc && ncols &&
            sink->row_description(sink->ctx, eng_cursor_col(p->cur, 0), ncols, p->col_formats))
            goto out;
        if (s->encoding == SESS_ENC_ARROW && sink->stream_data)
            r = eng_cursor_fetch_arrow(p->cur, max_rows, sink->stream_data, sink->ctx, &n, &done,
                                       err);
        else if (s->encoding == SESS_ENC_PARQUET && sink->stream_data)
            r = eng_cursor_fetch_parquet(p->cur, sink->stream_data, sink->ctx, &n, &done, err);
        else
            r = eng_cursor_fetch(p->cur, max_rows, sink->row, sink->ctx, &n, &done, err);
        p->rows += n;
        __atomic_store_n(&s->act_rows, p->rows, __ATOMIC_RELAXED);
        if (r != 0) {
            portal_after(s, p->stmt, false);
            goto out;
        }
        if (!done) {
            *suspended = true;
            rc = 0;
            goto out;
        }
        if (s->streaming == p)
            s->streaming = NULL;
        portal_after(s, p->stmt, true);
        make_tag(&tag, p->stmt, p->cur, p->rows);
    } else if (!tag.len) {
        make_tag(&tag, p->stmt, p->cur, p->rows);
    }
    p->done = true;
    sess__after_statement(s, p->stmt);
    if (s->local_report && sess__local_report(s, sink) != 0)
        goto out;
    if (portal_complete(s, p, ubuf_cstr(&tag), sink) != 0)
        goto out;
    rc = 0;
out:
    sess__admit_release(s);
    sess__watch_end(s, err);
    if (!*suspended && (rc == 0 || uerr_isset(err)))
        portal_log(s, p, t0, err);
    ubuf_free(&tag);
    return rc;
}

static sess_portal_t *portal_new(sess_stmt_t *st, const char *name)
{
    sess_portal_t *p = xcalloc(1, sizeof *p);
    p->name = xstrdup(name);
    p->stmt = st;
    st->refs++;
    return p;
}

int sess_bind(sess_t *s, const char *portal, const char *stmt, const eng_param_t *params,
              size_t nparams, const int16_t *result_formats, size_t nresult_formats, uerr_t *err)
{
    sess_stmt_t *st = *stmt_find(s, stmt);
    if (!st) {
        uerr_set(err, "26000", "prepared statement \"%s\" does not exist", stmt);
        return -1;
    }
    if (nparams != st->nparams) {
        uerr_set(err, "08P01",
                 "bind message supplies %zu parameters, but prepared statement "
                 "\"%s\" requires %zu",
                 nparams, stmt, st->nparams);
        return -1;
    }
    sess_portal_t **pp = portal_find(s, portal);
    if (portal[0] && sess__cursor_exists(s, portal)) {
        uerr_set(err, "42P03", "portal \"%s\" already exists", portal);
        return -1;
    }
    if (*pp) {
        if (portal[0]) {
            uerr_set(err, "42P03", "portal \"%s\" already exists", portal);
            return -1;
        }
        sess_close_portal(s, portal);
    } else if (portal[0] && sess_over_portal_cap(s, err)) {
        return -1;
    }
    sess_portal_t *p = portal_new(st, portal);
    p->nparams = nparams;
    sess__params_copy(params, nparams, st->param_oids, &p->params, &p->param_bytes);
    p->nformats = nresult_formats;
    p->formats = xcalloc(nresult_formats ? nresult_formats : 1, sizeof *p->formats);
    if (nresult_formats)
        memcpy(p->formats, result_formats, nresult_formats * sizeof *p->formats);
    p->next = s->portals;
    s->portals = p;
    return 0;
}

int sess_describe_portal(sess_t *s, const char *portal, const sess_col_t **cols, size_t *ncols,
                         const int16_t **formats, uerr_t *err)
{
    sess_portal_t *p = *portal_find(s, portal);
    *ncols = 0;
    *cols = NULL;
    *formats = NULL;
    if (!p && portal[0] && sess__cursor_exists(s, portal)) /* a cursor is a portal too */
        return sess__cursor_describe(s, portal, NULL, cols, ncols, formats, err);
    if (!p) {
        uerr_set(err, "34000", "portal \"%s\" does not exist", portal);
        return -1;
    }
    if (p->stmt->compat.action == COMPAT_CURSOR && p->stmt->compat.cursor->kind == CSQL_FETCH)
        return sess__cursor_describe(s, p->stmt->compat.cursor->name, p, cols, ncols, formats, err);
    if (p->stmt->compat.action == COMPAT_ADVISORY) {
        *ncols = 1;
        *cols = &p->stmt->adv_col;
        *formats = sess__advisory_formats(p);
        return 0;
    }
    /* Describing needs the real result types, so the statement starts here; Execute then
     * streams from the same cursor. Statements the session answers itself have no rows. */
    if (!p->started && p->stmt->es && p->stmt->compat.action == COMPAT_PASS &&
        !sess__may_defer(s, p->stmt)) {
        sess_watch_begin(s, p->stmt->text);
        int rc = sess__admit(s, p->stmt, err);
        if (rc == 0)
            rc = sess__unit_enter_for(s, p->stmt, NULL, err);
        if (rc == 0)
            rc = portal_start(s, p, err);
        sess__admit_release(s);
        sess__watch_end(s, err);
        if (rc != 0)
            return -1;
    }
    if (!p->started && p->stmt->es && p->stmt->compat.set_config) {
        /* the setting is applied by Execute: its one text column is described from here */
        free(p->col_formats);
        p->col_formats = xcalloc(1, sizeof *p->col_formats);
        p->col_formats[0] = p->nformats ? p->formats[0] : 0;
        *ncols = eng_stmt_ncols(p->stmt->es);
        *cols = eng_stmt_col(p->stmt->es, 0);
        *formats = p->col_formats;
        return 0;
    }
    if (p->cur) {
        *ncols = eng_cursor_ncols(p->cur);
        *cols = *ncols ? eng_cursor_col(p->cur, 0) : NULL;
        *formats = p->col_formats;
    }
    return 0;
}

int sess_execute(sess_t *s, const char *portal, int64_t max_rows, const sess_sink_t *sink,
                 bool *suspended, uerr_t *err)
{
    sess_portal_t *p = *portal_find(s, portal);
    *suspended = false;
    if (!p) {
        uerr_set(err, "34000", "portal \"%s\" does not exist", portal);
        return -1;
    }
    return portal_run(s, p, max_rows, sink, false, suspended, err);
}

void sess__sync_portal(sess_t *s)
{
    sess_portal_t *p = *portal_find(s, "");
    if (p && p->done)
        sess_close_portal(s, "");
}

int sess_simple_query(sess_t *s, const char *sql, size_t len, const sess_sink_t *sink, uerr_t *err)
{
    sql_range_t one, *r = &one;
    long n = sqlscan_split(sql, len, &one, 1);
    int rc = -1;
    sess_close_statement(s, "");
    sess_close_portal(s, "");
    if (n < 0) {
        uerr_set(err, "42601", "unterminated quoted string or comment");
        return -1;
    }
    if (n == 0)
        return sink->complete(sink->ctx, NULL);
    if (n > SESS_MAX_STATEMENTS_PER_QUERY) {
        uerr_set(err, "54000", "too many statements in one query (%ld)", n);
        return -1;
    }
    if (n > 1) {
        r = xcalloc((size_t)n, sizeof *r);
        (void)sqlscan_split(sql, len, r, (size_t)n);
    }
    /* The statements form one implicit transaction, as in PostgreSQL (unless they hold BEGIN
     * or COMMIT themselves); a lone statement commits by itself. */
    for (long i = 0; i < n; i++) {
        sess_stmt_t *st = NULL;
        bool suspended;
        s->alone = n == 1;
        sess_watch_plan(s, sql + r[i].start, r[i].len);
        if (stmt_build(s, "", sql + r[i].start, r[i].len, NULL, 0, true, &st, err) != 0) {
            sess__watch_end(s, err);
            sess__log_failed(sql + r[i].start, r[i].len, err);
            sess_count(s, 0, err, 0);
            goto fail;
        }
        sess_portal_t *p = portal_new(st, "");
        sess__stmt_unref(st); /* the portal holds the only reference */
        int prc = portal_run(s, p, 0, sink, true, &suspended, err);
        portal_free(s, p);
        if (prc != 0)
            goto fail;
    }
    s->alone = false;
    rc = sess__unit_commit(s, sink, true, err);
    goto out;
fail:
    /* PostgreSQL answers each statement before the failing one: the deferred ones too */
    for (sess_pend_t *pe = s->pend; pe && uerr_isset(err); pe = pe->next)
        if (!pe->tag_sent && sess__complete_pend(sink, pe) == 0)
            pe->tag_sent = true;
    s->alone = false;
    sess__unit_abort(s);
out:
    if (rc != SESS_PENDING && s->txn == 'I') /* the implicit transaction ended */
        sess__advisory_txn_end(s);
    if (r != &one)
        free(r);
    return rc;
}
