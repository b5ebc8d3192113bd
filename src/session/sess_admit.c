/* sess_admit: how a session's statements pass admission control (admit.h).
 *
 * What holds a slot: a statement that makes DuckDB work — a query or DML statement DuckDB runs
 * (COMPAT_PASS, except the literal INSERTs group commit may take), COPY ... TO STDOUT, a
 * cursor's DECLARE/FETCH/MOVE, and an ALTER TABLE the session runs step by step — from the
 * moment it starts (or a suspended portal resumes) until its result is fully produced, it
 * fails, or it is suspended (Execute with a row limit, a Describe that started the portal).
 * The slot is never held across a return to the front-end, so a client that leaves a portal
 * or a cursor open, or a transaction block idle, holds nothing while others wait. It is held
 * while the session writes rows its client does not read fast enough (the socket blocks): that
 * statement still holds DuckDB's memory for its result; statement_timeout bounds it.
 *
 * What never waits: transaction control (BEGIN, COMMIT, ROLLBACK, savepoints), SET/SHOW and
 * what the session answers itself, group commit's INSERTs (cheap by construction, and written
 * by the committer as one unit), COPY FROM STDIN (it waits on the client's data; holding a
 * slot across it would let a slow uploader stall everybody). A statement that waits holds no
 * slot and DuckDB takes no blocking locks (conflicts fail instead), so a session inside a
 * transaction block cannot be waited for by a slot holder: no deadlock.
 *
 * Waiting counts toward statement_timeout (the statement's watch is armed), and sess_interrupt
 * (CancelRequest, statement_timeout, the watchdog's hang-up check, forced shutdown) withdraws a
 * waiting statement at once: it fails with 57014 and its place goes to the next. A wait longer
 * than queue_timeout fails with 53000. */
#include <string.h>
#include <time.h>

#include "session/admit.h"
#include "session/copy_in.h"
#include "session/session_internal.h"
#include "session/sqlscan.h"
#include "util/log.h"

bool sess__admit_needed(const sess_t *s, const sess_stmt_t *st)
{
    if (!s->env->admit || s->trusted)
        return false;
    switch (st->compat.action) {
    case COMPAT_PASS: return st->fi == NULL; /* INSERT ... VALUES of literals: cheap */
    case COMPAT_COPY_OUT:
    case COMPAT_CURSOR:
    case COMPAT_ALTER: return true;
    default: return false;
    }
}

/* The fingerprint of a statement's text: FNV-1a over its tokens, keywords folded to lower case,
 * literals and parameters blanked, so `... WHERE id = 42` and `... WHERE id = $1` share one
 * history. Never 0. */
static uint64_t sess_admit_fp(const char *text)
{
    uint64_t h = 1469598103934665603ULL;
    size_t n = strlen(text), pos = 0;
    for (;;) {
        sqlt_t t = sqlscan_next(text, n, &pos);
        if (t.kind == SQLT_END || t.kind == SQLT_ERROR)
            break;
        h = (h ^ (uint64_t)t.kind) * 1099511628211ULL;
        if (t.kind == SQLT_STRING || t.kind == SQLT_NUMBER || t.kind == SQLT_PARAM)
            continue;
        for (size_t i = 0; i < t.len; i++) {
            unsigned char c = (unsigned char)text[t.start + i];
            if (t.kind == SQLT_WORD && c >= 'A' && c <= 'Z')
                c = (unsigned char)(c - 'A' + 'a');
            h = (h ^ c) * 1099511628211ULL;
        }
    }
    return h ? h : 1;
}

static int64_t sess_clock_us(clockid_t clk)
{
    struct timespec ts;
    clock_gettime(clk, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Waits for a slot (exclusive: alone) with the ticket armed for sess_interrupt. */
static admit_rc_t sess_admit_wait(sess_t *s, bool exclusive)
{
    pthread_mutex_lock(&s->watch_mu);
    if (s->intr_why != SESS_INTR_NONE) {
        pthread_mutex_unlock(&s->watch_mu);
        return ADMIT_CANCELLED;
    }
    admit_arm(&s->admit_tk);
    s->admitting = true;
    pthread_mutex_unlock(&s->watch_mu);
    if (ULOG_DEBUG_ON()) {
        admit_stats_t st;
        admit_stats_get(s->env->admit, &st);
        ulog(ULOG_DEBUG, "statement queued%s: user=%s running=%d queued=%d",
             exclusive ? " to run alone" : "", s->user ? s->user : "", st.running, st.queued + 1);
    }
    admit_rc_t rc = admit_enter(s->env->admit, &s->admit_tk, s->user, exclusive);
    pthread_mutex_lock(&s->watch_mu);
    s->admitting = false;
    pthread_mutex_unlock(&s->watch_mu);
    return rc;
}

/* The error of a wait that did not end with a slot. */
static void sess_admit_error(sess_t *s, admit_rc_t rc, uerr_t *err)
{
    if (rc == ADMIT_CANCELLED) {
        /* sess__watch_end rewrites the message for a timeout or a hang-up */
        uerr_set(err, "57014", "canceling statement due to user request");
        return;
    }
    admit_stats_t st;
    admit_stats_get(s->env->admit, &st);
    uerr_set(err, "53000",
             "canceling statement: no execution slot became free within queue_timeout");
    uerr_set_detail(err, "max_concurrent_queries is %d; %d statements running, %d waiting.", st.max,
                    st.running, st.queued);
    uerr_set_hint(err, "Retry later, or raise max_concurrent_queries or queue_timeout.");
}

int sess__admit(sess_t *s, sess_stmt_t *st, uerr_t *err)
{
    if (!sess__admit_needed(s, st) || s->admit_tk.held || s->admit_fp)
        return 0;
    if (!st->admit_fp)
        st->admit_fp = sess_admit_fp(st->text);
    s->oom_retried = false;
    s->admit_fp = st->admit_fp;
    s->admit_cpu_us = sess_clock_us(CLOCK_THREAD_CPUTIME_ID);
    s->admit_wall_us = sess_clock_us(CLOCK_MONOTONIC);
    if (admit_known_light(s->env->admit, st->admit_fp) ||
        admit_try_enter(s->env->admit, &s->admit_tk))
        return 0;
    admit_rc_t rc = sess_admit_wait(s, false);
    if (rc == ADMIT_OK) {
        s->admit_cpu_us = sess_clock_us(CLOCK_THREAD_CPUTIME_ID);
        s->admit_wall_us = sess_clock_us(CLOCK_MONOTONIC);
        return 0;
    }
    s->admit_fp = 0;
    sess_admit_error(s, rc, err);
    return -1;
}

void sess__admit_release(sess_t *s)
{
    if (!s->env->admit)
        return;
    if (s->admit_fp) /* what it cost decides whether the next one of its kind takes a slot */
        admit_note_cost(s->env->admit, s->admit_fp,
                        sess_clock_us(CLOCK_THREAD_CPUTIME_ID) - s->admit_cpu_us,
                        sess_clock_us(CLOCK_MONOTONIC) - s->admit_wall_us);
    s->admit_fp = 0;
    if (s->admit_tk.held)
        admit_leave(s->env->admit, &s->admit_tk);
}

bool sess__admit_oom_retry(sess_t *s, const sess_stmt_t *st, uerr_t *err)
{
    if (!s->env->admit || !s->env->oom_retry || !s->admit_fp || s->oom_retried ||
        strcmp(err->sqlstate, "53200") != 0 || !sess__autocommit(s) || !st->es ||
        eng_stmt_kind(st->es) != ENG_KIND_SELECT)
        return false;
    s->oom_retried = true;
    ulog(ULOG_INFO, "out of memory; the statement waits to run again alone: user=%s",
         s->user ? s->user : "");
    admit_leave(s->env->admit, &s->admit_tk); /* no-op if it ran as light */
    admit_rc_t rc = sess_admit_wait(s, true);
    if (rc != ADMIT_OK) {
        sess_admit_error(s, rc, err);
        return false;
    }
    uerr_clear(err);
    return true;
}

int64_t sess_queued_since_ms(sess_t *s)
{
    return s->env->admit ? admit_queued_since(s->env->admit, &s->admit_tk) : 0;
}
