/* The advisory lock functions the session answers itself (COMPAT_ADVISORY): evaluates the
 * key, takes or releases the lock in the server's table (session/advlock.h) and sends the one
 * row PostgreSQL would. Also the releases at the ends of transactions and of the session. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "session/advlock.h"
#include "session/copy_in.h"
#include "session/session_internal.h"
#include "util/xalloc.h"

static uint64_t sadv_owner(const sess_t *s) { return (uint64_t)(uintptr_t)s; }

/* Shows a blocking request in the sessions view as waiting (it may be granted at once). */
static void sadv_set_waiting(sess_t *s, bool on)
{
    pthread_mutex_lock(&s->watch_mu);
    s->adv_waiting = on;
    pthread_mutex_unlock(&s->watch_mu);
}

static bool sadv_stop(void *ctx) { return sess__interrupted((sess_t *)ctx) != SESS_INTR_NONE; }

typedef struct sadv_vals {
    int64_t v[2];
    bool null;
    bool bad;
    size_t rows;
} sadv_vals_t;

static int sadv_row(void *ctx, const eng_value_t *vals, size_t n)
{
    sadv_vals_t *r = ctx;
    r->rows++;
    for (size_t i = 0; i < n && i < 2; i++) {
        char buf[32];
        if (vals[i].len < 0) {
            r->null = true;
            continue;
        }
        if ((size_t)vals[i].len >= sizeof buf) {
            r->bad = true;
            continue;
        }
        memcpy(buf, vals[i].data, (size_t)vals[i].len);
        buf[vals[i].len] = '\0';
        char *end = NULL;
        errno = 0;
        r->v[i] = strtoll(buf, &end, 10);
        r->bad |= errno != 0 || end == buf || *end != '\0';
    }
    return 0;
}

/* Runs the statement that evaluates the arguments, with the portal's parameters. */
static int sadv_eval(sess_t *s, sess_portal_t *p, sadv_vals_t *out, uerr_t *err)
{
    eng_cursor_t *cur = NULL;
    int64_t n = 0;
    bool done = false;
    int rc = -1;
    if (sess__yield_stream(s, err) != 0 || eng_bind(p->stmt->es, p->params, p->nparams, err) != 0 ||
        eng_execute(p->stmt->es, &cur, err) != 0)
        goto out;
    eng_cursor_set_formats(cur, NULL, 0);
    if (eng_cursor_fetch(cur, 0, sadv_row, out, &n, &done, err) != 0)
        goto out;
    if (out->rows != 1 || out->bad) {
        uerr_set(err, "22003", "advisory lock key out of range");
        goto out;
    }
    rc = 0;
out:
    eng_cursor_free(cur);
    return rc;
}

void sess__advisory_col(sess_stmt_t *st)
{
    const compat_adv_t *a = st->compat.adv;
    bool b = a->op == COMPAT_ADV_TRY || a->op == COMPAT_ADV_UNLOCK;
    st->adv_col = (sess_col_t){a->colname, b ? 16 : 2278,          b ? 1 : 4,
                               -1,         b ? "BOOLEAN" : "VOID", b ? "boolean" : "json"};
}

int16_t *sess__advisory_formats(sess_portal_t *p)
{
    if (!p->col_formats) {
        p->col_formats = xcalloc(1, sizeof *p->col_formats);
        p->col_formats[0] = p->nformats ? p->formats[0] : 0;
    }
    return p->col_formats;
}

int sess__advisory_run(sess_t *s, sess_portal_t *p, bool with_desc, const sess_sink_t *sink,
                       ubuf_t *tag, uerr_t *err)
{
    const compat_adv_t *a = p->stmt->compat.adv;
    advlock_tbl_t *t = advlock_global();
    sadv_vals_t k = {{a->lit[0], a->lit[1]}, false, false, 1};
    int32_t pid = (int32_t)atoi(s->backend_pid);
    bool yes = true;
    int rc = -1;
    int16_t *fmt = sess__advisory_formats(p);
    if (p->nformats > 1) {
        uerr_set(err, "08P01", "bind message has %zu result formats but query has 1 columns",
                 p->nformats);
        goto out;
    }
    if (!a->literal && a->nargs > 0) {
        k.rows = 0;
        if (sadv_eval(s, p, &k, err) != 0)
            goto out;
    }
    if (!k.null) {
        advlock_key_t key =
            a->nargs == 2 ? advlock_key32((int32_t)k.v[0], (int32_t)k.v[1]) : advlock_key64(k.v[0]);
        advlock_mode_t mode = a->shared ? ADVLOCK_SHARED : ADVLOCK_EXCLUSIVE;
        advlock_scope_t scope = a->xact ? ADVLOCK_XACT : ADVLOCK_SESSION;
        int r;
        switch (a->op) {
        case COMPAT_ADV_LOCK:
        case COMPAT_ADV_TRY:
            sadv_set_waiting(s, a->op == COMPAT_ADV_LOCK);
            r = advlock_acquire(t, sadv_owner(s), pid, key, mode, scope, a->op == COMPAT_ADV_LOCK,
                                sadv_stop, s, err);
            sadv_set_waiting(s, false);
            if (r < 0)
                goto out;
            yes = r > 0;
            if (yes && a->xact)
                s->adv_xact = true;
            else if (yes)
                s->adv_session = true;
            break;
        case COMPAT_ADV_UNLOCK: yes = advlock_release(t, sadv_owner(s), key, mode); break;
        case COMPAT_ADV_UNLOCK_ALL:
            if (s->adv_session)
                advlock_release_all(t, sadv_owner(s), ADVLOCK_SESSION, false);
            s->adv_session = false;
            break;
        }
    }
    bool b = a->op == COMPAT_ADV_TRY || a->op == COMPAT_ADV_UNLOCK;
    char one = fmt[0] == 1 ? (char)yes : yes ? 't' : 'f';
    sess_value_t v = {k.null ? NULL : b ? &one : "", k.null ? -1 : b ? 1 : 0};
    if (with_desc && sink->row_description(sink->ctx, &p->stmt->adv_col, 1, fmt) != 0)
        goto out;
    if (a->op == COMPAT_ADV_UNLOCK && !yes && !k.null && sink->notice &&
        sink->notice(sink->ctx, "01000",
                     a->shared ? "you don't own a lock of type ShareLock"
                               : "you don't own a lock of type ExclusiveLock") != 0)
        goto out;
    if (sink->row(sink->ctx, &v, 1) != 0)
        goto out;
    p->rows = 1;
    ubuf_puts(tag, "SELECT 1");
    rc = 0;
out:
    return rc;
}

void sess__advisory_txn_end(sess_t *s)
{
    if (!s->adv_xact)
        return;
    advlock_release_all(advlock_global(), sadv_owner(s), ADVLOCK_XACT, false);
    s->adv_xact = false;
}

void sess__advisory_unlock_all(sess_t *s)
{
    if (!s->adv_session)
        return;
    advlock_release_all(advlock_global(), sadv_owner(s), ADVLOCK_SESSION, false);
    s->adv_session = false;
}

void sess__advisory_end(sess_t *s)
{
    if (s->adv_session || s->adv_xact)
        advlock_release_all(advlock_global(), sadv_owner(s), ADVLOCK_SESSION, true);
    s->adv_session = s->adv_xact = false;
}
