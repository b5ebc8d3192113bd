/* PostgreSQL's implicit transactions and group commit on the session side: which INSERTs are
 * deferred and coalesced (fastins.h), the request handed to the group committer
 * (gcommit.h), what happens when a batch hands statements back, and the end of an implicit
 * transaction at the end of a Query or at Sync, answered from the committer's thread when the
 * front-end allows it. See docs/ARCHITECTURE.md, "Implicit transactions" and "Group commit". */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session/copy_in.h"
#include "session/session_internal.h"
#include "session/sqlscan.h"
#include "util/log.h"
#include "util/xalloc.h"

/* An INSERT that group commit may coalesce (fastins.h) gets its parsed form. In a simple
 * query, where no client asks for its description, DuckDB's preparation is skipped too: the
 * guard judges it as the INSERT it is, and it is prepared only if it has to run the ordinary
 * way. Returns 1 when the preparation was skipped, 0 when it is still needed, -1 (err set)
 * when the guard refuses the statement. */
int sess__stmt_fast(sess_t *s, sess_stmt_t *st, bool simple, uerr_t *err)
{
    fastins_t f;
    if (!st->fi) {
        if (!s->env->gc || s->trusted || st->compat.action != COMPAT_PASS ||
            !fastins_parse(st->compat.sql, strlen(st->compat.sql), SESS_FAST_MAX_VALUES, &f))
            return 0;
        st->fi = xmalloc(sizeof f);
        *st->fi = f;
    }
    f = *st->fi;
    if (!simple || f.max_param > 0 || s->txn != 'I' || s->itx || s->names_private)
        return 0;
    guard_ctx_t g = sess__guard_ctx(s);
    if (guard_statement(&g, ENG_KIND_INSERT, ENG_KIND_OTHER, false, st->compat.sql,
                        strlen(st->compat.sql), err) != 0)
        return -1;
    return 1;
}

/* Classifies a statement that group commit may coalesce without PostgreSQL-dialect
 * rewriting: when sql[0..len) has fastins' shape and only plain names (fastins_plain),
 * compat_classify would pass it through unchanged, so st->compat becomes COMPAT_PASS with a
 * copy of the text and st->fi its parsed form (sess__stmt_fast then does not parse it again).
 * This skips about half of the session thread's instructions per coalesced INSERT. Returns
 * false, with st untouched, for every other statement. */
bool sess__classify_fast(sess_t *s, const char *sql, size_t len, sess_stmt_t *st)
{
    fastins_t f;
    if (!s->env->gc || s->trusted || !fastins_parse(sql, len, SESS_FAST_MAX_VALUES, &f))
        return false;
    if (!fastins_plain(&f)) {
        fastins_free(&f);
        return false;
    }
    memset(&st->compat, 0, sizeof st->compat);
    st->compat.action = COMPAT_PASS;
    st->compat.sql = xstrndup(sql, len);
    st->fi = xmalloc(sizeof f);
    *st->fi = f;
    return true;
}

/* Copies n parameters and their bytes into *out (owned by the caller) and bytes. */
void sess__params_copy(const eng_param_t *src, size_t n, const uint32_t *dflt_oids,
                       eng_param_t **out, ubuf_t *bytes)
{
    eng_param_t *dst = xcalloc(n ? n : 1, sizeof *dst);
    size_t off = 0;
    for (size_t i = 0; i < n; i++)
        if (src[i].data && src[i].len > 0)
            ubuf_append(bytes, src[i].data, (size_t)src[i].len);
    for (size_t i = 0; i < n; i++) {
        dst[i] = src[i];
        if (!dst[i].oid && dflt_oids)
            dst[i].oid = dflt_oids[i];
        if (src[i].data && src[i].len > 0) {
            dst[i].data = (const uint8_t *)bytes->data + off;
            off += (size_t)src[i].len;
        } else if (src[i].data) {
            dst[i].data = (const uint8_t *)"";
        }
    }
    *out = dst;
}

static void pend_free_all(sess_t *s)
{
    while (s->pend) {
        sess_pend_t *pe = s->pend;
        s->pend = pe->next;
        sess__stmt_unref(pe->stmt);
        free(pe->params);
        ubuf_free(&pe->param_bytes);
        free(pe);
    }
    s->pend_tail = &s->pend;
}

/* Forgets the deferred INSERTs of the implicit transaction (nothing of them was written). */
static void sess_unit_reset(sess_t *s)
{
    pend_free_all(s);
    if (s->req)
        gc_req_reset(s->env->gc, s->req);
    s->unit_failed = false;
}

void sess__unit_abort(sess_t *s)
{
    sess_unit_reset(s);
    if (s->itx) {
        uerr_t ignored = UERR_INIT;
        s->itx = false;
        if (sess__run_plain(s, "ROLLBACK", &ignored) != 0)
            ulog(ULOG_DEBUG, "ROLLBACK of an implicit transaction failed: %s", ignored.message);
        uerr_clear(&ignored);
    }
    if (s->txn == 'I') {
        s->ddl = false;
        sess__cursors_txn_end(s, false);
    }
}

/* Prepares a statement whose DuckDB preparation was skipped because it was to be coalesced. */
int sess__stmt_prepare_late(sess_t *s, sess_stmt_t *st, uerr_t *err)
{
    if (st->es)
        return 0;
    if (sess__yield_stream(s, err) != 0 || eng_prepare(s->conn, st->compat.sql, &st->es, err))
        return -1;
    st->nparams = eng_stmt_nparams(st->es);
    return sess__guard(s, st, err);
}

/* Runs one deferred INSERT the ordinary way on the session's connection; sends its
 * CommandComplete unless it went out already. */
static int pend_run(sess_t *s, sess_pend_t *pe, const sess_sink_t *sink, uerr_t *err)
{
    sess_stmt_t *st = pe->stmt;
    eng_cursor_t *cur = NULL;
    int64_t n;
    bool done;
    int rc = -1;
    if (sess__stmt_prepare_late(s, st, err) != 0 || sess__yield_stream(s, err) != 0 ||
        eng_bind(st->es, pe->params, pe->nparams, err) != 0 ||
        eng_execute(st->es, &cur, err) != 0 ||
        eng_cursor_fetch(cur, 0, NULL, NULL, &n, &done, err) != 0)
        goto out;
    if (!pe->tag_sent && sink) {
        pe->tag_sent = true;
        if (sess__complete_pend(sink, pe) != 0)
            goto out;
    }
    rc = 0;
out:
    eng_cursor_free(cur);
    if (rc != 0 && uerr_isset(err)) {
        sess__log_failed(st->text, strlen(st->text), err);
        /* the error takes the place of this statement's answer and of everything after it */
        if (pe->marked && sink && sink->out_rewind)
            (void)sink->out_rewind(sink->ctx, pe->mark);
    }
    return rc;
}

/* Makes sure a DuckDB transaction is open for the implicit transaction before a statement
 * that DuckDB runs, unless that statement is alone in it (then it commits by itself). The
 * INSERTs deferred so far run first, in order, inside it. */
int sess__unit_enter(sess_t *s, const sess_sink_t *sink, uerr_t *err)
{
    if (s->txn != 'I' || s->itx || (s->alone && !s->pend))
        return 0;
    if (sess__run_plain(s, "BEGIN", err) != 0)
        return -1;
    s->itx = true;
    if (s->req)
        gc_req_reset(s->env->gc, s->req);
    for (sess_pend_t *pe = s->pend; pe; pe = pe->next)
        if (pend_run(s, pe, sink, err) != 0)
            return -1;
    pend_free_all(s);
    return 0;
}

/* sess__unit_enter for statement st: a statement that runs several DuckDB statements (a
 * script of engine/multi.c) opens the implicit transaction even when it is alone, so that
 * it is atomic. */
int sess__unit_enter_for(sess_t *s, const sess_stmt_t *st, const sess_sink_t *sink, uerr_t *err)
{
    if (st->es && eng_stmt_is_script(st->es))
        s->alone = false;
    return sess__unit_enter(s, sink, err);
}

static bool sess_first_word_is(const char *sql, const char *word);

/* ---- statements that run as several DuckDB statements (COMPAT_STEPS) ---- */

int sess__steps_guard(sess_t *s, const sess_stmt_t *st, uerr_t *err)
{
    guard_ctx_t g = sess__guard_ctx(s);
    if (s->trusted)
        return 0;
    for (size_t i = 0; i < st->compat.nsteps; i++) {
        const char *q = st->compat.steps[i];
        eng_kind_t kind = sess_first_word_is(q, "ALTER") ? ENG_KIND_ALTER : ENG_KIND_CREATE;
        if (guard_statement(&g, kind, ENG_KIND_OTHER, false, q, strlen(q), err) != 0)
            return -1;
    }
    return 0;
}

int sess__steps_run(sess_t *s, const sess_stmt_t *st, const sess_sink_t *sink, uerr_t *err)
{
    if (s->txn == 'I')
        s->alone = false; /* all steps or none: the implicit transaction holds them */
    if (sess__unit_enter(s, sink, err) != 0)
        return -1;
    for (size_t i = 0; i < st->compat.nsteps; i++)
        if (sess__run_plain(s, st->compat.steps[i], err) != 0)
            return -1;
    /* the schema changed: group commit's shapes are stale once this commits */
    s->ddl = true;
    if (sess__has_word(st->compat.sql, "TEMP") || sess__has_word(st->compat.sql, "TEMPORARY"))
        s->names_private = true;
    return 0;
}

/* The batch handed the deferred INSERTs back: they run here, alone with their own commit
 * (retried on a write conflict), or together in one transaction. */
static int sess_unit_fallback(sess_t *s, const sess_sink_t *sink, uerr_t *err)
{
    int rc = -1;
    if (!s->pend->next) {
        for (int attempt = 0;; attempt++) {
            rc = pend_run(s, s->pend, sink, err);
            if (rc == 0 || !uerr_isset(err) || strcmp(err->sqlstate, "40001") != 0 ||
                attempt >= __atomic_load_n(&s->env->conflict_retries, __ATOMIC_RELAXED))
                break;
            gc_note_retry(s->env->gc);
            sess__conflict_backoff(attempt);
            uerr_clear(err);
        }
        return rc;
    }
    if (sess__run_plain(s, "BEGIN", err) != 0)
        return -1;
    s->itx = true;
    for (sess_pend_t *pe = s->pend; pe; pe = pe->next)
        if (pend_run(s, pe, sink, err) != 0)
            return -1; /* the caller rolls back */
    s->itx = false;
    return sess__run_plain(s, "COMMIT", err);
}

/* The session's watch while its request waits in the committer's queue: a CancelRequest,
 * statement_timeout or hang-up withdraws it there (sess_interrupt_locked). */
static void sess_wait_begin(sess_t *s)
{
    int64_t timeout = sess_param_ms(s, "statement_timeout");
    pthread_mutex_lock(&s->watch_mu);
    s->running = true;
    s->intr_why = SESS_INTR_NONE;
    s->deadline_ms = timeout > 0 ? sess__clock_ms() + timeout : 0;
    s->waiting = s->req;
    pthread_mutex_unlock(&s->watch_mu);
}

/* The committer's verdict on the deferred INSERTs, in the session's thread: answered
 * (CommandCompletes not yet sent go out), handed back (they run here), or withdrawn. */
static int sess_unit_after_gc(sess_t *s, gc_result_t res, const sess_sink_t *sink, uerr_t *err)
{
    pthread_mutex_lock(&s->watch_mu);
    s->waiting = NULL;
    pthread_mutex_unlock(&s->watch_mu);
    sess__watch_end(s, err);
    gc_req_reset(s->env->gc, s->req);
    if (res == GC_FAILED)
        return -1;
    if (res == GC_FALLBACK)
        return sess_unit_fallback(s, sink, err);
    for (sess_pend_t *pe = s->pend; pe; pe = pe->next) {
        if (!pe->tag_sent) {
            pe->tag_sent = true;
            if (sess__complete_pend(sink, pe) != 0)
                return -1;
        }
    }
    return 0;
}

/* The committer's thread (or a cancelling one) is done with an asynchronous request: when it
 * committed, the held CommandCompletes go out here and the front-end may answer the client at
 * once, so the session's thread is not woken just to write ReadyForQuery. */
static void sess_async_done(void *ctx, gc_result_t res)
{
    sess_t *s = ctx;
    if (res == GC_COMMITTED) {
        for (sess_pend_t *pe = s->pend; pe; pe = pe->next) {
            if (!pe->tag_sent) {
                pe->tag_sent = true;
                (void)sess__complete_pend(&s->async_sink, pe);
            }
        }
        pthread_mutex_lock(&s->watch_mu);
        s->running = false;
        s->deadline_ms = 0;
        s->intr_why = SESS_INTR_NONE;
        s->waiting = NULL;
        pthread_mutex_unlock(&s->watch_mu);
    }
    s->async_fn(s->async_ctx, res == GC_COMMITTED);
}

/* After the implicit transaction ended (rc 0: committed): schema changes made in it take
 * effect for group commit's shapes, and whatever a failure left open is rolled back. */
static int sess_unit_end(sess_t *s, int rc)
{
    if (rc == 0 && s->ddl && s->env->gc)
        gc_schema_changed(s->env->gc);
    if (rc == 0)
        s->ddl = false;
    if (s->txn == 'I')
        sess__cursors_txn_end(s, rc == 0);
    sess__unit_abort(s); /* rolls back what a failure left open */
    return rc;
}

/* Ends the implicit transaction: commits it (through group commit when it holds only
 * deferred INSERTs), or rolls it back when that fails. With allow_async (the end of a Query or
 * Sync) and a front-end that answers from the committer's thread (sess_set_async), it returns
 * SESS_PENDING once the request is queued; sess_finish completes it. */
int sess__unit_commit(sess_t *s, const sess_sink_t *sink, bool allow_async, uerr_t *err)
{
    int rc = 0;
    if (s->pend && gc_req_reserve(s->req, err) != 0) {
        rc = -1; /* the budget stayed full: the statements fail, nothing was written */
    } else if (s->pend) {
        sess_wait_begin(s);
        if (allow_async && s->async_fn) {
            s->async_sink = *sink;
            s->awaiting = true;
            gc_submit_async(s->env->gc, s->req, sess_async_done, s);
            return SESS_PENDING;
        }
        gc_submit_async(s->env->gc, s->req, NULL, NULL);
        rc = sess_unit_after_gc(s, gc_wait(s->req, err), sink, err);
    } else if (s->itx) {
        s->itx = false;
        rc = sess__run_plain(s, "COMMIT", err);
    }
    return sess_unit_end(s, rc);
}

/* Statements that DuckDB runs inside the implicit transaction (not transaction control). */
bool sess__runs_in_unit(const sess_stmt_t *st)
{
    return st->es && (st->compat.action == COMPAT_PASS || st->compat.action == COMPAT_COPY_IN ||
                      st->compat.action == COMPAT_COPY_OUT);
}

/* True when statement st would be coalesced now (if its target allows). */
bool sess__may_defer(const sess_t *s, const sess_stmt_t *st)
{
    return st->fi && s->env->gc && s->txn == 'I' && !s->itx && !s->names_private && !s->trusted;
}

int sess__complete_pend(const sess_sink_t *sink, const sess_pend_t *pe)
{
    sess_result_t r = {ENG_KIND_INSERT, pe->rows, pe->tag};
    return sink->complete(sink->ctx, &r);
}

/* Defers portal p's INSERT into the implicit transaction for group commit when it can be
 * coalesced. Returns 1 when deferred (its CommandComplete sent, or held when hold_tag), 0
 * when it must run the ordinary way, -1 when the client is gone. */
int sess__defer(sess_t *s, sess_portal_t *p, const sess_sink_t *sink, bool hold_tag)
{
    sess_stmt_t *st = p->stmt;
    const fastins_t *fi = st->fi;
    gc_t *g = s->env->gc;
    gc_shape_t *sh = NULL;
    eng_in_t *in = NULL;
    int rc = 0;

    if (!sess__may_defer(s, st) || fi->max_param > p->nparams)
        return 0;
    if (gc_shape_get(g, s->conn, fi->name, fi->nname, fi->cols, fi->ncols, &sh) != 0)
        return 0;
    if (eng_shape_ncols(gc_shape_eng(sh)) != fi->width)
        goto out;
    if (!s->req)
        s->req = gc_req_new();
    eng_rows_t *rows = gc_req_rows(g, s->req, sh);
    size_t mark = eng_rows_count(rows);
    in = xcalloc(fi->width, sizeof *in);
    for (size_t r = 0; r < fi->nrows; r++) {
        for (size_t c = 0; c < fi->width; c++) {
            const fastins_val_t *v = &fi->vals[r * fi->width + c];
            eng_in_t *x = &in[c];
            memset(x, 0, sizeof *x);
            switch (v->kind) {
            case FASTINS_NULL: x->kind = ENG_IN_NULL; break;
            case FASTINS_STRING:
            case FASTINS_NUMBER:
                x->kind = v->kind == FASTINS_STRING ? ENG_IN_STRING : ENG_IN_NUMBER;
                x->data = fi->bytes + v->off;
                x->len = v->len;
                break;
            case FASTINS_TRUE:
            case FASTINS_FALSE:
                x->kind = ENG_IN_BOOL;
                x->data = v->kind == FASTINS_TRUE ? "t" : "f";
                x->len = 1;
                break;
            case FASTINS_PARAM: {
                const eng_param_t *pa = &p->params[v->param - 1];
                x->kind = !pa->data ? ENG_IN_NULL : pa->format == 1 ? ENG_IN_BINARY : ENG_IN_TEXT;
                x->data = (const char *)pa->data;
                x->len = pa->len > 0 ? (size_t)pa->len : 0;
                x->oid = pa->oid;
                break;
            }
            }
        }
        if (eng_rows_add(rows, in, fi->width) != 0) {
            eng_rows_truncate(rows, mark);
            goto out;
        }
    }
    sess_pend_t *pe = xcalloc(1, sizeof *pe);
    pe->stmt = st;
    st->refs++;
    sess__params_copy(p->params, p->nparams, NULL, &pe->params, &pe->param_bytes);
    pe->nparams = p->nparams;
    snprintf(pe->tag, sizeof pe->tag, "INSERT 0 %zu", fi->nrows);
    pe->rows = (int64_t)fi->nrows;
    *s->pend_tail = pe;
    s->pend_tail = &pe->next;
    p->rows = (int64_t)fi->nrows;
    p->started = p->done = true;
    rc = 1;
    if (!hold_tag) {
        pe->tag_sent = true;
        if (sink->out_mark) {
            pe->marked = true;
            pe->mark = sink->out_mark(sink->ctx);
        }
        if (sess__complete_pend(sink, pe) != 0)
            rc = -1;
    }
out:
    free(in);
    gc_shape_unref(g, sh);
    return rc;
}

static bool sess_first_word_is(const char *sql, const char *word)
{
    size_t pos = 0;
    sqlt_t t = sqlscan_next(sql, strlen(sql), &pos);
    return sqlscan_is(sql, &t, word);
}

/* After a statement ran: schema changes invalidate group commit's shapes (at once in
 * autocommit, else when the transaction commits), and statements after which a name may
 * resolve differently on another connection stop this session's coalescing. */
void sess__after_statement(sess_t *s, const sess_stmt_t *st)
{
    eng_kind_t k = st->es ? eng_stmt_kind(st->es) : ENG_KIND_OTHER;
    if (st->es && k == ENG_KIND_CREATE && s->path_partial)
        sess__reapply_search_path(s); /* CREATE SCHEMA of a schema named in it */
    if (!st->es || !s->env->gc)
        return;
    if (k == ENG_KIND_CREATE || k == ENG_KIND_DROP || k == ENG_KIND_ALTER || k == ENG_KIND_ATTACH ||
        k == ENG_KIND_DETACH || k == ENG_KIND_OTHER) {
        if (s->txn == 'I' && !s->itx)
            gc_schema_changed(s->env->gc);
        else
            s->ddl = true;
    }
    if ((k == ENG_KIND_CREATE &&
         (sess__has_word(st->compat.sql, "TEMP") || sess__has_word(st->compat.sql, "TEMPORARY"))) ||
        sess_first_word_is(st->compat.sql, "USE") ||
        (st->compat.set_vetted && (sess__has_word(st->compat.sql, "search_path") ||
                                   sess__has_word(st->compat.sql, "schema"))))
        s->names_private = true;
}

/* ---- the extended protocol's end of batch, and answers from the committer's thread ---- */

int sess_sync(sess_t *s, const sess_sink_t *sink, uerr_t *err)
{
    int rc = 0;
    if (s->unit_failed)
        sess__unit_abort(s);
    else if (s->itx || s->pend)
        rc = sess__unit_commit(s, sink, true, err);
    s->alone = false;
    sess__sync_portal(s);
    if (rc != SESS_PENDING && s->txn == 'I') /* the implicit transaction ended */
        sess__advisory_txn_end(s);
    return rc;
}

bool sess_holds_output(const sess_t *s) { return s->pend != NULL; }

void sess_set_async(sess_t *s, sess_async_fn fn, void *ctx)
{
    s->async_fn = fn;
    s->async_ctx = ctx;
}

bool sess_awaiting(const sess_t *s) { return s->awaiting; }

int sess_finish(sess_t *s, const sess_sink_t *sink, uerr_t *err)
{
    if (!s->awaiting)
        return 0;
    s->awaiting = false;
    gc_result_t res = gc_wait(s->req, err);
    int rc = sess_unit_end(s, sess_unit_after_gc(s, res, sink, err));
    if (s->txn == 'I')
        sess__advisory_txn_end(s);
    return rc;
}

void sess_hint_last(sess_t *s, bool last) { s->alone = last && !s->itx && !s->pend; }
