/* Session parameters: PostgreSQL's emulated parameters (compat.h's table) as one session
 * sees them -- SET/RESET/SHOW values, reset values from the startup packet, the timeouts in
 * milliseconds, TimeZone and search_path carried over to the session's DuckDB connection --,
 * SET LOCAL's undo list, and RESET ALL. See session_internal.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "session/compat.h"
#include "session/compat_alter.h"
#include "session/session_internal.h"
#include "util/buf.h"
#include "util/duration.h"
#include "util/log.h"
#include "util/xalloc.h"

/* The millisecond-based parameters whose server default comes from sess_env_t. */
static const char *const sess_timeouts[3] = {
    "statement_timeout", "idle_in_transaction_session_timeout", "idle_session_timeout"};

/* ---- parameters ---- */

/* The index of a timeout parameter in sess_timeouts[], or -1. */
static int sess_timeout_index(const char *name)
{
    for (int i = 0; i < (int)(sizeof sess_timeouts / sizeof sess_timeouts[0]); i++)
        if (strcasecmp(name, sess_timeouts[i]) == 0)
            return i;
    return -1;
}

static bool sess_is_timeout_param(const char *name) { return sess_timeout_index(name) >= 0; }

static sess_param_t *sess_param_get(const sess_t *s, const char *name)
{
    for (sess_param_t *p = s->params; p; p = p->next)
        if (strcasecmp(p->def->name, name) == 0)
            return p;
    return NULL;
}

/* A parameter's default: the server setting for the timeouts, else compat's table. */
static const char *sess_param_default(const sess_t *s, const compat_param_t *def)
{
    const sess_param_t *p = sess_param_get(s, def->name);
    if (p && p->boot)
        return p->boot;
    if (strcasecmp(def->name, "TimeZone") == 0 && s->env->timezone)
        return s->env->timezone;
    for (size_t i = 0; i < sizeof sess_timeouts / sizeof sess_timeouts[0]; i++)
        if (strcasecmp(def->name, sess_timeouts[i]) == 0 && s->timeout_dflt[i][0])
            return s->timeout_dflt[i];
    return def->dflt;
}

const char *sess__param_value(void *ctx, const char *name)
{
    const sess_t *s = ctx;
    const sess_param_t *p = sess_param_get(s, name);
    if (p)
        return p->value;
    if (strcasecmp(name, "server_version") == 0)
        return s->env->server_version;
    if (strcasecmp(name, "session_authorization") == 0 && s->user)
        return s->user;
    if (strcmp(name, COMPAT_FK_MODE) == 0)
        return s->env->fk_enforce ? "enforce" : "record";
    if (strcasecmp(name, "backend_pid") == 0)
        return s->backend_pid[0] ? s->backend_pid : "0";
    if (strcmp(name, COMPAT_FK_TABLE) == 0)
        return s->fk_table ? "1" : "0";
    if (compat_param_custom(name))
        return NULL; /* never set in this session: SHOW answers 42704 */
    const compat_param_t *d = compat_param_find(name);
    return d ? sess_param_default(s, d) : "";
}

void sess__param_set(sess_t *s, const char *name, const char *value)
{
    const compat_param_t *def = compat_param_find(name);
    sess_param_t *p = sess_param_get(s, name);
    if (!def && !p && !compat_param_custom(name))
        return;
    if (!p) {
        p = xcalloc(1, sizeof *p);
        if (!def) { /* a custom parameter: its own definition, default "" */
            p->custom.name = xstrdup(name);
            p->custom.dflt = "";
            def = &p->custom;
        }
        p->def = def;
        p->next = s->params;
        s->params = p;
    }
    def = p->def;
    free(p->value);
    p->value = xstrdup(value ? value : sess_param_default(s, def));
    if (strcmp(def->name, "application_name") == 0) { /* shown by the sessions view */
        pthread_mutex_lock(&s->watch_mu);
        snprintf(s->act_app, sizeof s->act_app, "%s", p->value);
        pthread_mutex_unlock(&s->watch_mu);
    }
    int t = sess_timeout_index(def->name);
    if (t >= 0 && !udur_parse_ms(p->value, &s->timeout_ms[t]))
        s->timeout_ms[t] = 0;
}

/* Writes ms as PostgreSQL's SHOW does: the largest unit that divides it ("5s", "100ms"). */
void sess__format_ms(char *out, size_t n, int64_t ms)
{
    static const struct {
        const char *unit;
        int64_t ms;
    } units[] = {{"d", 86400000}, {"h", 3600000}, {"min", 60000}, {"s", 1000}};
    for (size_t i = 0; ms > 0 && i < sizeof units / sizeof units[0]; i++) {
        if (ms % units[i].ms == 0) {
            snprintf(out, n, "%lld%s", (long long)(ms / units[i].ms), units[i].unit);
            return;
        }
    }
    snprintf(out, n, ms ? "%lldms" : "%lld", (long long)ms);
}

/* SET search_path: PostgreSQL's list becomes DuckDB's own per-connection search_path, so
 * names resolve (and new tables land) as the client expects. "$user" is dropped (duckd has no
 * per-user schemas) and public means DuckDB's default schema main; the default path, or one
 * naming only public/main, restores DuckDB's default. SHOW shows PostgreSQL's spelling. */
static int sess_set_search_path(sess_t *s, const char *value, uerr_t *err)
{
    const compat_param_t *def = compat_param_find("search_path");
    char **names = NULL, *show = NULL;
    size_t n = compat_search_path_split(value ? value : sess_param_default(s, def), &names, &show);
    const char **path = xcalloc(n ? n : 1, sizeof *path);
    size_t np = 0, kept = 0;
    for (size_t i = 0; i < n; i++) {
        if (!*names[i] || strcmp(names[i], "$user") == 0)
            continue;
        path[np++] = strcasecmp(names[i], "public") == 0 ? "main" : names[i];
    }
    bool dflt = np == 0 || (np == 1 && strcasecmp(path[0], "main") == 0);
    int rc = eng_conn_set_search_path(s->conn, path, dflt ? 0 : np, &kept, err);
    if (rc == 0) {
        s->path_partial = !dflt && kept < np;
        if (!dflt)
            s->names_private = true; /* names resolve differently than on the committer's */
        sess__param_set(s, "search_path", value ? show : NULL);
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    free(path);
    free(show);
    return rc;
}

void sess__reapply_search_path(sess_t *s)
{
    const sess_param_t *p = sess_param_get(s, "search_path");
    uerr_t err = UERR_INIT;
    if (p && sess_set_search_path(s, p->value, &err) != 0)
        ulog(ULOG_DEBUG, "search_path not re-applied: %s", err.message);
    uerr_clear(&err);
}

/* SET of a custom parameter (app.user_id): kept in the parameter list (SHOW, SET LOCAL, RESET
 * ALL) and read by the SQL function duckd_setting() when a statement runs, which
 * current_setting() of such a name becomes (compat_rewrite.c), so a prepared statement sees
 * later SETs. Reset leaves it set to '', as PostgreSQL does. */
static int sess_set_custom(sess_t *s, const char *name, const char *value)
{
    sess__param_set(s, name, value ? value : "");
    return 0;
}

const char *sess_custom_setting(const sess_t *s, const char *name)
{
    const sess_param_t *p = s ? sess_param_get(s, name) : NULL;
    return p && p->def == &p->custom ? p->value : NULL;
}

/* SET of an emulated parameter: the timeouts are validated and stored in PostgreSQL's
 * canonical spelling; TimeZone and search_path also go to the engine; everything else is
 * stored as given. value NULL resets. */
int sess__param_set_checked(sess_t *s, const char *name, const char *value, uerr_t *err)
{
    char canon[128];
    int64_t ms;
    if (strcasecmp(name, "TimeZone") == 0) {
        /* the engine shows timestamptz in it and keeps DuckDB's own zone in step */
        const char *zone = value ? value : sess_param_default(s, compat_param_find(name));
        if (eng_conn_set_timezone(s->conn, zone, canon, sizeof canon, err) != 0)
            return -1;
        /* the committer's connection casts text in UTC: this session's INSERTs run alone */
        if (strcmp(canon, "UTC") != 0)
            s->names_private = true;
        sess__param_set(s, name, canon);
        return 0;
    }
    if (strcasecmp(name, "search_path") == 0)
        return sess_set_search_path(s, value, err);
    if (!compat_param_find(name) && compat_param_custom(name))
        return sess_set_custom(s, name, value);
    if (value && sess_is_timeout_param(name)) {
        if (!udur_parse_ms(value, &ms)) {
            uerr_set(err, "22023", "invalid value for parameter \"%s\": \"%s\"", name, value);
            uerr_set_hint(err, "Valid units for this parameter are \"us\", \"ms\", \"s\", "
                               "\"min\", \"h\", and \"d\".");
            return -1;
        }
        sess__format_ms(canon, sizeof canon, ms);
        value = canon;
    }
    sess__param_set(s, name, value);
    return 0;
}

int64_t sess_param_ms(const sess_t *s, const char *name)
{
    int t = sess_timeout_index(name);
    return t >= 0 ? s->timeout_ms[t] : 0; /* kept current by sess__param_set */
}

bool sess_set_startup_option(sess_t *s, const char *name, const char *value)
{
    const compat_param_t *def = compat_param_find(name);
    uerr_t err = UERR_INIT;
    if (!def || !strcasecmp(name, "server_version") || !strcasecmp(name, "server_encoding") ||
        !strcasecmp(name, "server_version_num") || !strcasecmp(name, "integer_datetimes"))
        return false; /* unknown, or fixed by the server */
    if (sess__param_set_checked(s, def->name, value, &err) != 0) {
        uerr_clear(&err);
        return false; /* an invalid value: the caller logs and ignores it */
    }
    sess_param_t *p = sess_param_get(s, def->name);
    if (p) { /* RESET returns to it, as PostgreSQL's reset value */
        free(p->boot);
        p->boot = xstrdup(p->value);
    }
    return true;
}

void sess_initial_parameters(const sess_t *s,
                             void (*fn)(void *ctx, const char *name, const char *value), void *ctx)
{
    size_t n;
    const compat_param_t *t = compat_params(&n);
    for (size_t i = 0; i < n; i++)
        if (t[i].report)
            fn(ctx, t[i].name, sess__param_value((void *)s, t[i].name));
}

/* ---- SET LOCAL and RESET ALL ---- */

/* RESET ALL / DISCARD ALL: every parameter the session changed returns to its reset value
 * (TimeZone and search_path on DuckDB too), so a pooled connection passes on nothing; the
 * reportable ones are announced. */
int sess__reset_all(sess_t *s, const sess_sink_t *sink)
{
    for (sess_param_t *p = s->params; p; p = p->next) {
        const char *dflt = sess_param_default(s, p->def);
        if (strcmp(p->value, dflt) == 0)
            continue;
        uerr_t err = UERR_INIT;
        if (sess__param_set_checked(s, p->def->name, NULL, &err) != 0)
            ulog(ULOG_WARN, "RESET ALL: %s: %s", p->def->name, err.message);
        uerr_clear(&err);
        if (p->def->report && sink->parameter_status &&
            sink->parameter_status(sink->ctx, p->def->name, p->value) != 0)
            return -1;
    }
    return 0;
}

/* SET [LOCAL] name inside a block: remembers the value before the block (once per name). */
sess_local_t *sess__local_save(sess_t *s, const char *name)
{
    const compat_param_t *def = compat_param_find(name);
    const char *canon = def ? def->name : name; /* a custom parameter's name is canonical */
    for (sess_local_t *l = s->local_undo; l; l = l->next)
        if (strcasecmp(l->name, canon) == 0)
            return l;
    const sess_param_t *p = sess_param_get(s, canon);
    sess_local_t *l = xcalloc(1, sizeof *l);
    l->name = xstrdup(canon);
    l->value = p ? xstrdup(p->value) : NULL;
    l->next = s->local_undo;
    s->local_undo = l;
    return l;
}

/* A plain SET of l's parameter in the block took effect: COMMIT keeps its value now. */
void sess__local_commit_value(sess_t *s, sess_local_t *l)
{
    const sess_param_t *p = sess_param_get(s, l->name);
    free(l->commit_value);
    l->commit_value = p ? xstrdup(p->value) : NULL;
    l->commit_set = true;
}

void sess__local_free(sess_local_t **list)
{
    while (*list) {
        sess_local_t *l = *list;
        *list = l->next;
        free(l->name);
        free(l->value);
        free(l->commit_value);
        free(l);
    }
}

/* The transaction block ended: each parameter its SETs changed takes the value COMMIT keeps
 * (the last plain SET's, else the value before the block) or, after a ROLLBACK, the value
 * before the block; reportable ones that changed are announced before the COMMIT/ROLLBACK
 * completes (sess__local_report). */
void sess__local_restore(sess_t *s, bool committed)
{
    while (s->local_undo) {
        sess_local_t *l = s->local_undo;
        s->local_undo = l->next;
        l->next = NULL;
        const char *target = committed && l->commit_set ? l->commit_value : l->value;
        const sess_param_t *now = sess_param_get(s, l->name);
        if ((now ? now->value : NULL) && target && strcmp(now->value, target) == 0) {
            sess__local_free(&l); /* unchanged */
            continue;
        }
        uerr_t err = UERR_INIT;
        if (sess__param_set_checked(s, l->name, target, &err) != 0)
            ulog(ULOG_WARN, "could not restore %s at the end of a block: %s", l->name, err.message);
        uerr_clear(&err);
        const compat_param_t *def = compat_param_find(l->name); /* NULL: custom */
        if (def && def->report) {
            l->next = s->local_report;
            s->local_report = l;
        } else {
            sess__local_free(&l);
        }
    }
}

int sess__local_report(sess_t *s, const sess_sink_t *sink)
{
    int rc = 0;
    for (sess_local_t *l = s->local_report; l && rc == 0; l = l->next)
        if (sink->parameter_status)
            rc = sink->parameter_status(sink->ctx, l->name, sess__param_value(s, l->name));
    sess__local_free(&s->local_report);
    return rc;
}
