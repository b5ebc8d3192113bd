/* The sessions view in SQL: duckd_sessions() lists every session as pg_stat_activity does,
 * and duckd_cancel(id) cancels one's running statement; see sessions.h. */
#include "info/sessions.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "session/advlock.h"
#include "session/registry.h"

static const eng_tf_col_t sessions_cols[] = {
    {"id", ENG_TF_BIGINT},
    {"user", ENG_TF_TEXT},
    {"protocol", ENG_TF_TEXT},
    {"client", ENG_TF_TEXT},
    {"connected", ENG_TF_TIMESTAMPTZ},
    {"state", ENG_TF_TEXT},
    {"query", ENG_TF_TEXT},
    {"query_start", ENG_TF_TIMESTAMPTZ},
    {"query_end", ENG_TF_TIMESTAMPTZ},
    {"rows", ENG_TF_BIGINT},
    {"progress", ENG_TF_DOUBLE},
    {"application_name", ENG_TF_TEXT},
};
#define SESSIONS_NCOLS (sizeof sessions_cols / sizeof sessions_cols[0])

static eng_tf_val_t ms_ts(int64_t ms) { return ms ? eng_tf_int(ms * 1000) : eng_tf_null(); }

/* Every session; another user's client address and query are shown to admins only (as
 * PostgreSQL hides them in pg_stat_activity). */
static int fill_sessions(void *ctx, void *caller, eng_tf_rows_t *rows, uerr_t *err)
{
    sreg_info_t *v = NULL;
    size_t n = sreg_list(&v);
    bool admin = caller && sess_is_admin(caller);
    const char *me = caller ? sess_user(caller) : "";
    for (size_t i = 0; i < n; i++) {
        const sreg_info_t *s = &v[i];
        bool see = admin || strcmp(s->user, me) == 0;
        eng_tf_val_t row[SESSIONS_NCOLS] = {
            eng_tf_int(s->id),
            eng_tf_text(s->user),
            eng_tf_text(s->proto),
            eng_tf_text(see ? s->client : NULL),
            ms_ts(s->since_ms),
            eng_tf_text(s->act.state),
            eng_tf_text(see ? s->act.query : NULL),
            ms_ts(s->act.query_start_ms),
            ms_ts(s->act.query_end_ms),
            eng_tf_int(s->act.rows),
            s->act.progress >= 0 ? eng_tf_double(s->act.progress) : eng_tf_null(),
            eng_tf_text(s->act.application_name),
        };
        eng_tf_add_row(rows, row);
    }
    free(v);
    return 0;
}

/* The advisory locks held or awaited (session/advlock.h), for pg_locks: the key as
 * PostgreSQL's classid / objid / objsubid, the mode as its lock mode's name, the holder's
 * session id. */
static const eng_tf_col_t advlock_cols[] = {
    {"classid", ENG_TF_BIGINT}, {"objid", ENG_TF_BIGINT}, {"objsubid", ENG_TF_BIGINT},
    {"mode", ENG_TF_TEXT},      {"pid", ENG_TF_BIGINT},   {"granted", ENG_TF_BOOL},
};
#define ADVLOCK_NCOLS (sizeof advlock_cols / sizeof advlock_cols[0])
#define ADVLOCK_LIST_MAX 100000 /* rows listed at most */

static int fill_advlocks(void *ctx, void *caller, eng_tf_rows_t *rows, uerr_t *err)
{
    advlock_tbl_t *t = advlock_global();
    size_t cap = 64, n;
    advlock_info_t *v = NULL;
    for (;;) { /* the table may grow between the count and the copy: ask until it fits */
        advlock_info_t *nv = realloc(v, cap * sizeof *v);
        if (!nv) {
            uerr_set(err, "53200", "out of memory listing advisory locks");
            free(v);
            return -1;
        }
        v = nv;
        n = advlock_snapshot(t, v, cap);
        if (n <= cap || cap >= ADVLOCK_LIST_MAX)
            break;
        cap = n < ADVLOCK_LIST_MAX ? n + 64 : ADVLOCK_LIST_MAX;
    }
    for (size_t i = 0; i < n && i < cap; i++) {
        eng_tf_val_t row[ADVLOCK_NCOLS] = {
            eng_tf_int(v[i].key.classid),
            eng_tf_int(v[i].key.objid),
            eng_tf_int(v[i].key.objsubid),
            eng_tf_text(v[i].mode == ADVLOCK_SHARED ? "ShareLock" : "ExclusiveLock"),
            eng_tf_int(v[i].pid),
            eng_tf_bool(v[i].granted),
        };
        eng_tf_add_row(rows, row);
    }
    free(v);
    return 0;
}

static const eng_tf_col_t cancel_cols[] = {{"cancelled", ENG_TF_BOOL}};

/* duckd_cancel(id): true when the session's statement was interrupted (or it was idle),
 * false when no such session exists; 42501 for another user's session unless admin. */
static int fill_cancel(void *ctx, void *caller, eng_tf_rows_t *rows, uerr_t *err)
{
    int64_t id = eng_tf_arg(rows, 0);
    bool admin = caller && sess_is_admin(caller);
    sreg_cancel_t r = id < INT32_MIN || id > INT32_MAX
                          ? SREG_NO_SUCH
                          : sreg_cancel_id((int32_t)id, caller ? sess_user(caller) : NULL, admin);
    if (r == SREG_FORBIDDEN) {
        uerr_set(err, "42501", "permission denied to cancel session %lld: it is another user's",
                 (long long)id);
        return -1;
    }
    eng_tf_val_t row[1] = {eng_tf_bool(r == SREG_CANCELLED)};
    eng_tf_add_row(rows, row);
    return 0;
}

/* pg_cancel_backend(pid) / pg_terminate_backend(pid), as PostgreSQL's: true when a session
 * with that id was signalled, false when there is none; 42501 for another user's session
 * unless admin. */
static int sf_signal(bool terminate, void *caller, int64_t id, bool *out, uerr_t *err)
{
    bool admin = caller && sess_is_admin(caller);
    const char *user = caller ? sess_user(caller) : NULL;
    sreg_cancel_t r = SREG_NO_SUCH;
    if (id >= INT32_MIN && id <= INT32_MAX)
        r = terminate ? sreg_terminate_id((int32_t)id, user, admin, caller)
                      : sreg_cancel_id((int32_t)id, user, admin);
    if (r == SREG_FORBIDDEN) {
        uerr_set(err, "42501",
                 "permission denied to %s process %lld: it belongs to another user (only an "
                 "admin may signal other users' sessions)",
                 terminate ? "terminate" : "cancel", (long long)id);
        return -1;
    }
    *out = r == SREG_CANCELLED;
    return 0;
}

static int sf_cancel(void *ctx, void *caller, int64_t id, bool *out, uerr_t *err)
{
    (void)ctx;
    return sf_signal(false, caller, id, out, err);
}

static int sf_terminate(void *ctx, void *caller, int64_t id, bool *out, uerr_t *err)
{
    (void)ctx;
    return sf_signal(true, caller, id, out, err);
}

/* duckd_setting(name): the calling session's custom parameter (current_setting('app.x')
 * becomes it), NULL when unset or on a connection of no session. */
static const char *sf_setting(void *ctx, void *caller, const char *name, size_t len)
{
    (void)ctx;
    (void)len;
    return sess_custom_setting(caller, name);
}

int info_sessions_setup(eng_db_t *db, uerr_t *err)
{
    if (eng_sf_register_bool(db, "pg_cancel_backend", sf_cancel, NULL, err) != 0 ||
        eng_sf_register_bool(db, "pg_terminate_backend", sf_terminate, NULL, err) != 0 ||
        eng_sf_register_text(db, "duckd_setting", sf_setting, NULL, err) != 0)
        return -1;
    eng_tf_def_t defs[] = {
        {"duckd_sessions", sessions_cols, SESSIONS_NCOLS, fill_sessions, NULL, 0},
        {"duckd_cancel", cancel_cols, 1, fill_cancel, NULL, 1},
        {"duckd_advisory_locks", advlock_cols, ADVLOCK_NCOLS, fill_advlocks, NULL, 0},
    };
    for (size_t i = 0; i < sizeof defs / sizeof defs[0]; i++)
        if (eng_tf_register(db, &defs[i], err) != 0)
            return -1;
    return 0;
}
