/* The PostgreSQL dialect layer's classification (compat_classify; see compat.h): the
 * statements the session handles itself (transactions, SET/SHOW of emulated parameters,
 * DISCARD, DEALLOCATE, COPY to the client) are recognised on tokens from sqlscan; every other
 * statement passes to DuckDB through compat_rewrite (compat_rewrite.c). */
#include "session/compat.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "session/compat_alter.h"
#include "session/copy.h"
#include "session/cursor_sql.h"
#include "session/sqlscan.h"
#include "util/buf.h"
#include "util/xalloc.h"

static const compat_param_t compat_table[] = {
    {"server_version", "15.0", true},
    {"server_version_num", "150000", false},
    {"server_encoding", "UTF8", true},
    {"client_encoding", "UTF8", true},
    {"DateStyle", "ISO, MDY", true},
    {"IntervalStyle", "postgres", true},
    {"TimeZone", "UTC", true},
    {"integer_datetimes", "on", true},
    {"standard_conforming_strings", "on", true},
    {"application_name", "", true},
    {"is_superuser", "on", true},
    {"session_authorization", "duckd", true},
    {"default_transaction_read_only", "off", true},
    {"in_hot_standby", "off", true},
    {"extra_float_digits", "1", false},
    {"client_min_messages", "notice", false},
    {"search_path", "\"$user\", public", false},
    {"statement_timeout", "0", false},
    {"lock_timeout", "0", false},
    {"idle_in_transaction_session_timeout", "0", false},
    {"idle_session_timeout", "0", false},
    {"bytea_output", "hex", false},
    {"escape_string_warning", "on", false},
    {"synchronous_commit", "on", false},
    {"transaction_isolation", "repeatable read", false},
    {"default_transaction_isolation", "repeatable read", false},
    {"transaction_read_only", "off", false},
    {"max_identifier_length", "63", false},
    {"row_security", "on", false},
    /* what pg_dump sets at the top of a dump: stored and shown, no effect in duckd */
    {"check_function_bodies", "on", false},
    {"xmloption", "content", false},
    {"default_tablespace", "", false},
    {"default_table_access_method", "heap", false},
    {"jit", "off", false},
    {"lc_messages", "C", false},
    {"lc_monetary", "C", false},
    {"lc_numeric", "C", false},
    {"lc_time", "C", false},
    {"lc_collate", "C", false},
    {"lc_ctype", "C", false},
};

const compat_param_t *compat_params(size_t *n)
{
    *n = sizeof compat_table / sizeof compat_table[0];
    return compat_table;
}

const compat_param_t *compat_param_find(const char *name)
{
    size_t n;
    const compat_param_t *t = compat_params(&n);
    for (size_t i = 0; i < n; i++)
        if (strcasecmp(t[i].name, name) == 0)
            return &t[i];
    return NULL;
}

bool compat_param_custom(const char *name)
{
    size_t parts = 0, len = 0;
    const char *p = name;
    /* duckd's own names (COMPAT_FK_MODE, ...) are not for clients to set */
    if (!name || strlen(name) > 127 || strncasecmp(name, "duckd.", 6) == 0)
        return false;
    for (;;) {
        if (!(isalpha((unsigned char)*p) || *p == '_'))
            return false;
        for (len = 0; isalnum((unsigned char)*p) || *p == '_' || *p == '$'; p++)
            len++;
        parts++;
        if (*p == '\0')
            break;
        if (*p != '.')
            return false;
        p++;
    }
    return parts >= 2;
}

void compat_free(compat_t *c)
{
    if (c->copy) {
        copy_opts_free(c->copy);
        free(c->copy);
    }
    if (c->cursor) {
        csql_free(c->cursor);
        free(c->cursor);
    }
    compat_alter_free(c->alter);
    if (c->adv) {
        free(c->adv->colname);
        free(c->adv);
    }
    for (size_t i = 0; i < c->nsteps; i++)
        free(c->steps[i]);
    free(c->steps);
    free(c->sql);
    free(c->set_sql);
    free(c->param);
    free(c->value);
    memset(c, 0, sizeof *c);
}

/* ---- helpers over a token array ---- */

#define COMPAT_MAX_TOKENS 12

typedef struct {
    const char *s;
    size_t n;
    sqlt_t t[COMPAT_MAX_TOKENS];
    size_t nt; /* tokens scanned (capped) */
} toks_t;

static void toks_scan(toks_t *k, const char *s, size_t n)
{
    k->s = s;
    k->n = n;
    k->nt = sqlscan_tokens(s, n, k->t, COMPAT_MAX_TOKENS);
}

static bool kw(const toks_t *k, size_t i, const char *word)
{
    return i < k->nt && sqlscan_is(k->s, &k->t[i], word);
}

/* The unquoted text of a token: strips '...' / "..." quotes (doubling is left alone: names
 * and values of SET are simple in practice). */
static char *tok_text(const toks_t *k, size_t i)
{
    const sqlt_t *t = &k->t[i];
    const char *p = k->s + t->start;
    size_t len = t->len;
    if ((t->kind == SQLT_STRING || t->kind == SQLT_QIDENT) && len >= 2 && p[0] != '$' &&
        p[0] != 'E' && p[0] != 'e') {
        p++;
        len -= 2;
    }
    return xstrndup(p, len);
}

/* A custom parameter's name written as tokens i, i+1 ("."), i+2 ...: the name in lower case
 * (quoted parts as written), or NULL when the tokens are not one. *end receives the token
 * after the name. */
static char *custom_name(const toks_t *k, size_t i, size_t *end)
{
    ubuf_t b = UBUF_INIT;
    size_t j = i;
    char *out = NULL;
    for (;; j += 2) {
        if (j >= k->nt || (k->t[j].kind != SQLT_WORD && k->t[j].kind != SQLT_QIDENT))
            goto out;
        char *part = tok_text(k, j);
        if (k->t[j].kind == SQLT_WORD)
            for (char *c = part; *c; c++)
                *c = (char)tolower((unsigned char)*c);
        if (j > i)
            ubuf_putc(&b, '.');
        ubuf_puts(&b, part);
        free(part);
        if (j + 1 >= k->nt || !sqlscan_is_op(k->s, &k->t[j + 1], "."))
            break;
    }
    if (j == i || !compat_param_custom(ubuf_cstr(&b)))
        goto out;
    *end = j + 1;
    out = xstrdup(b.data);
out:
    ubuf_free(&b);
    return out;
}

/* ---- statement families ---- */

/* SAVEPOINT name / RELEASE [SAVEPOINT] name / ROLLBACK TO [SAVEPOINT] name: the name's token
 * is at i (unquoted names fold to lower case, as in PostgreSQL). */
static bool classify_savepoint(const toks_t *k, size_t i, compat_action_t action, const char *tag,
                               compat_t *out)
{
    if (i >= k->nt || i + 1 != k->nt ||
        (k->t[i].kind != SQLT_WORD && k->t[i].kind != SQLT_QIDENT)) {
        out->action = COMPAT_ERROR;
        out->sqlstate = "42601";
        out->message = "syntax error: a savepoint name is expected";
        return true;
    }
    out->action = action;
    out->tag = tag;
    out->param = tok_text(k, i);
    if (k->t[i].kind == SQLT_WORD)
        for (char *c = out->param; *c; c++)
            if (*c >= 'A' && *c <= 'Z')
                *c = (char)(*c - 'A' + 'a');
    return true;
}

static bool classify_txn(const toks_t *k, compat_t *out)
{
    if (kw(k, 0, "BEGIN") || (kw(k, 0, "START") && kw(k, 1, "TRANSACTION"))) {
        out->action = COMPAT_BEGIN;
        out->sql = xstrdup("BEGIN TRANSACTION");
        out->tag = kw(k, 0, "BEGIN") ? "BEGIN" : "START TRANSACTION";
        return true;
    }
    if ((kw(k, 0, "COMMIT") || kw(k, 0, "END")) && !kw(k, 1, "PREPARED")) {
        out->action = COMPAT_COMMIT;
        out->sql = xstrdup("COMMIT");
        out->tag = "COMMIT";
        return true;
    }
    if ((kw(k, 0, "ROLLBACK") || kw(k, 0, "ABORT")) && !kw(k, 1, "PREPARED")) {
        size_t to = kw(k, 1, "TO") ? 1 : kw(k, 2, "TO") ? 2 : 0;
        if (to) {
            size_t n = to + 1 + (kw(k, to + 1, "SAVEPOINT") ? 1 : 0);
            return classify_savepoint(k, n, COMPAT_ROLLBACK_TO, "ROLLBACK", out);
        }
        out->action = COMPAT_ROLLBACK;
        out->sql = xstrdup("ROLLBACK");
        out->tag = "ROLLBACK";
        return true;
    }
    if (kw(k, 0, "SAVEPOINT"))
        return classify_savepoint(k, 1, COMPAT_SAVEPOINT, "SAVEPOINT", out);
    if (kw(k, 0, "RELEASE"))
        return classify_savepoint(k, kw(k, 1, "SAVEPOINT") ? 2 : 1, COMPAT_RELEASE, "RELEASE", out);
    return false;
}

/* Joins the tokens of a SET value list: `ISO, MDY` or `'ISO, MDY'` -> ISO, MDY. */
static char *set_value(const toks_t *k, size_t first)
{
    ubuf_t b = UBUF_INIT;
    for (size_t i = first; i < k->nt; i++) {
        if (k->t[i].kind == SQLT_OP && k->s[k->t[i].start] == ',') {
            ubuf_puts(&b, ", ");
            continue;
        }
        char *v = tok_text(k, i);
        bool quoted = k->t[i].kind == SQLT_STRING && k->s[k->t[i].start] == '\'';
        for (const char *c = v; *c; c++) {
            ubuf_putc(&b, *c);
            if (quoted && c[0] == '\'' && c[1] == '\'')
                c++; /* 'it''s' is it's */
        }
        free(v);
    }
    ubuf_cstr(&b);
    return b.data;
}

/* SET/RESET of a DuckDB option (any name compat does not emulate): the guard decides what
 * runs. i is the name's token, vstart the first value token (k->nt for RESET). The value is
 * kept as the client wrote it, up to the end of the statement. */
static bool classify_duckdb_set(const toks_t *k, size_t i, size_t vstart, bool reset,
                                compat_scope_t scope, compat_t *out)
{
    out->action = COMPAT_DUCKDB_SET;
    out->tag = reset ? "RESET" : "SET";
    out->param = tok_text(k, i);
    out->set_scope = scope;
    if (!reset && !kw(k, vstart, "DEFAULT")) {
        size_t from = vstart < k->nt ? k->t[vstart].start : k->n;
        out->value = xstrndup(k->s + from, k->n - from);
    }
    return true;
}

/* SET [SESSION | LOCAL | GLOBAL] name {= | TO} value, RESET [scope] name, and the DuckDB
 * spellings ALTER SYSTEM SET / RESET (server-wide) and PRAGMA name = value. */
static bool classify_set(const toks_t *k, compat_t *out)
{
    size_t i = 1;
    bool reset = kw(k, 0, "RESET");
    compat_scope_t scope = COMPAT_SCOPE_DEFAULT;
    if (kw(k, 0, "USE") || ((kw(k, 0, "SET") || reset) && kw(k, 1, "VARIABLE"))) {
        out->set_vetted = true; /* session-local in DuckDB: runs as written */
        return false;
    }
    if (kw(k, 0, "ALTER") && kw(k, 1, "SYSTEM") && (kw(k, 2, "SET") || kw(k, 2, "RESET"))) {
        reset = kw(k, 2, "RESET");
        scope = COMPAT_SCOPE_GLOBAL;
        i = 3;
    } else if (kw(k, 0, "PRAGMA") && k->nt > 2 && k->s[k->t[2].start] == '=') {
        return classify_duckdb_set(k, 1, 3, false, scope, out);
    } else if (!kw(k, 0, "SET") && !reset) {
        return false;
    }
    if (scope == COMPAT_SCOPE_DEFAULT) {
        if (kw(k, 1, "SESSION"))
            scope = COMPAT_SCOPE_SESSION;
        else if (kw(k, 1, "LOCAL"))
            scope = COMPAT_SCOPE_LOCAL;
        else if (kw(k, 1, "GLOBAL"))
            scope = COMPAT_SCOPE_GLOBAL;
        if (scope != COMPAT_SCOPE_DEFAULT)
            i = 2;
    }
    if (kw(k, i, "TRANSACTION") || (kw(k, i, "CHARACTERISTICS"))) {
        out->action = COMPAT_NOOP;
        out->tag = "SET";
        return true;
    }
    if (reset && kw(k, i, "ALL")) {
        out->action = COMPAT_NOOP;
        out->tag = "RESET";
        return true;
    }
    const char *name = NULL;
    char *custom = NULL; /* owned: a custom parameter's name (compat_param_custom) */
    size_t vstart;
    if (!reset && kw(k, i, "TIME") && kw(k, i + 1, "ZONE")) {
        name = "TimeZone";
        vstart = i + 2;
    } else if (!reset && kw(k, i, "NAMES")) {
        name = "client_encoding";
        vstart = i + 1;
    } else if (scope != COMPAT_SCOPE_GLOBAL && (custom = custom_name(k, i, &vstart)) != NULL) {
        if (kw(k, vstart, "TO") || (vstart < k->nt && k->s[k->t[vstart].start] == '='))
            vstart++;
        if (!reset && vstart >= k->nt) {
            free(custom);
            return false; /* SET app.x with no value: DuckDB words the syntax error */
        }
        name = custom;
    } else if (i < k->nt && (k->t[i].kind == SQLT_WORD || k->t[i].kind == SQLT_QIDENT)) {
        char *n = tok_text(k, i);
        const compat_param_t *p = compat_param_find(n);
        free(n);
        vstart = i + 1;
        if (kw(k, vstart, "TO") || (vstart < k->nt && k->s[k->t[vstart].start] == '='))
            vstart++;
        if (!p || scope == COMPAT_SCOPE_GLOBAL)
            return classify_duckdb_set(k, i, reset ? k->nt : vstart, reset, scope, out);
        name = p->name;
    } else {
        return false;
    }
    out->action = COMPAT_SET_PARAM;
    out->tag = reset ? "RESET" : "SET";
    out->set_scope = scope; /* SET LOCAL: until the transaction block ends */
    out->param = custom ? custom : xstrdup(name);
    out->value =
        (reset || kw(k, vstart, "DEFAULT") || kw(k, vstart, "LOCAL")) ? NULL : set_value(k, vstart);
    return true;
}

/* A plain '...' literal's value (doubled quotes undone), or NULL for any other token. */
static char *plain_string(const toks_t *k, size_t i)
{
    if (i >= k->nt)
        return NULL;
    const sqlt_t *t = &k->t[i];
    const char *p = k->s + t->start;
    if (t->kind != SQLT_STRING || t->len < 2 || p[0] != '\'')
        return NULL;
    ubuf_t b = UBUF_INIT;
    ubuf_puts(&b, ""); /* an empty literal is "" rather than NULL */
    for (size_t j = 1; j + 1 < t->len; j++) {
        ubuf_putc(&b, p[j]);
        if (p[j] == '\'')
            j++;
    }
    ubuf_cstr(&b);
    return b.data;
}

/* SELECT [pg_catalog.]set_config('name', 'value', true | false), pg_dump's way of setting
 * search_path: applied as SET [LOCAL] name = 'value' would be (an emulated parameter, or a
 * DuckDB option through the guard), answering one row with the new value. */
static bool classify_set_config(const toks_t *k, compat_t *out)
{
    size_t i = 1;
    char *name = NULL, *value = NULL;
    bool ok = false;
    if (!kw(k, 0, "SELECT") || k->nt < 9)
        return false;
    if (kw(k, 1, "pg_catalog") && sqlscan_is_op(k->s, &k->t[2], "."))
        i = 3;
    if (!kw(k, i, "set_config") || i + 8 != k->nt || !sqlscan_is_op(k->s, &k->t[i + 1], "(") ||
        !sqlscan_is_op(k->s, &k->t[i + 3], ",") || !sqlscan_is_op(k->s, &k->t[i + 5], ",") ||
        !(kw(k, i + 6, "true") || kw(k, i + 6, "false")) ||
        !sqlscan_is_op(k->s, &k->t[i + 7], ")") || !(name = plain_string(k, i + 2)) ||
        !(value = plain_string(k, i + 4)))
        goto out;
    const compat_param_t *p = compat_param_find(name);
    if (!p && compat_param_custom(name))
        for (char *c = name; *c; c++)
            *c = (char)tolower((unsigned char)*c);
    out->set_config = true;
    out->set_scope = kw(k, i + 6, "true") ? COMPAT_SCOPE_LOCAL : COMPAT_SCOPE_DEFAULT;
    ubuf_t sel = UBUF_INIT;
    char *shown = NULL, **names = NULL;
    if (p && strcmp(p->name, "search_path") == 0) { /* as SHOW will show it */
        size_t n = compat_search_path_split(value, &names, &shown);
        for (size_t j = 0; j < n; j++)
            free(names[j]);
        free(names);
    }
    ubuf_puts(&sel, "SELECT CAST('");
    for (const char *c = shown ? shown : value; *c; c++) {
        if (*c == '\'')
            ubuf_putc(&sel, '\'');
        ubuf_putc(&sel, *c);
    }
    ubuf_puts(&sel, "' AS VARCHAR) AS set_config");
    free(shown);
    out->sql = xstrdup(ubuf_cstr(&sel));
    ubuf_free(&sel);
    if (p || compat_param_custom(name)) {
        out->action = COMPAT_SET_PARAM;
        out->param = xstrdup(p ? p->name : name);
        out->value = value;
        value = NULL;
    } else { /* a DuckDB option: the guard vets the value as written */
        out->action = COMPAT_DUCKDB_SET;
        out->param = name;
        name = NULL;
        out->value = xstrndup(k->s + k->t[i + 4].start, k->t[i + 4].len);
    }
    ok = true;
out:
    free(name);
    free(value);
    return ok;
}

/* SHOW of an emulated parameter becomes a one-row SELECT. */
static bool classify_show(const toks_t *k, compat_get_fn get, void *ctx, compat_t *out)
{
    if (!kw(k, 0, "SHOW") || k->nt < 2)
        return false;
    const char *name;
    char *custom = NULL;
    size_t end = 0;
    bool done = false;
    if (kw(k, 1, "TRANSACTION") && kw(k, 2, "ISOLATION"))
        name = "transaction_isolation";
    else if (kw(k, 1, "TIME") && kw(k, 2, "ZONE"))
        name = "TimeZone";
    else if ((custom = custom_name(k, 1, &end)) != NULL && end == k->nt)
        name = custom;
    else {
        char *n = tok_text(k, 1);
        const compat_param_t *p = k->nt == 2 ? compat_param_find(n) : NULL;
        free(n);
        if (!p)
            goto out;
        name = p->name;
    }
    const char *value = get(ctx, name);
    if (!value) { /* a custom parameter no one set in this session */
        out->action = COMPAT_ERROR;
        out->sqlstate = "42704";
        out->message = "unrecognized configuration parameter";
        done = true;
        goto out;
    }
    ubuf_t b = UBUF_INIT;
    ubuf_puts(&b, "SELECT '");
    for (const char *v = value ? value : ""; *v; v++) {
        if (*v == '\'')
            ubuf_putc(&b, '\'');
        ubuf_putc(&b, *v);
    }
    ubuf_printf(&b, "' AS \"%s\"", name);
    ubuf_cstr(&b);
    out->action = COMPAT_PASS;
    out->sql = b.data;
    out->tag = "SHOW";
    done = true;
out:
    free(custom);
    return done;
}

static bool classify_misc(const toks_t *k, compat_t *out)
{
    if (kw(k, 0, "DISCARD")) { /* the tag names what was discarded, as PostgreSQL's does */
        out->action = COMPAT_NOOP;
        out->tag = kw(k, 1, "PLANS")                           ? "DISCARD PLANS"
                   : kw(k, 1, "SEQUENCES")                     ? "DISCARD SEQUENCES"
                   : kw(k, 1, "TEMP") || kw(k, 1, "TEMPORARY") ? "DISCARD TEMP"
                                                               : "DISCARD ALL";
        return true;
    }
    if (kw(k, 0, "UNLISTEN")) { /* pools send it to reset a connection: nothing to undo */
        out->action = COMPAT_NOOP;
        out->tag = "UNLISTEN";
        return true;
    }
    if (kw(k, 0, "LISTEN") || kw(k, 0, "NOTIFY")) {
        out->action = COMPAT_ERROR;
        out->sqlstate = "0A000";
        out->message = "LISTEN/NOTIFY is not supported by duckd";
        return true;
    }
    if (kw(k, 0, "SET") && kw(k, 1, "CONSTRAINTS")) {
        /* DuckDB checks every constraint immediately: nothing is deferred to switch */
        out->action = COMPAT_NOOP;
        out->tag = "SET CONSTRAINTS";
        return true;
    }
    if (kw(k, 0, "DEALLOCATE")) {
        size_t i = kw(k, 1, "PREPARE") ? 2 : 1;
        out->action = COMPAT_DEALLOCATE;
        out->tag = "DEALLOCATE";
        out->param = kw(k, i, "ALL") || i >= k->nt ? NULL : tok_text(k, i);
        if (!out->param)
            out->tag = "DEALLOCATE ALL";
        return true;
    }
    return false;
}
/* DECLARE / FETCH / MOVE / CLOSE: the session runs them (session/sqlcursor.c); DECLARE's
 * query is rewritten like any statement passed to DuckDB. */
static bool classify_cursor(const char *stmt, size_t len, compat_get_fn get, void *ctx,
                            compat_t *out)
{
    csql_t c;
    const char *state = NULL, *msg = NULL;
    int r = csql_parse(stmt, len, &c, &state, &msg);
    if (r == 0)
        return false;
    if (r < 0) {
        out->action = COMPAT_ERROR;
        out->sqlstate = state;
        out->message = msg;
        return true;
    }
    out->action = COMPAT_CURSOR;
    out->cursor = xmalloc(sizeof *out->cursor);
    *out->cursor = c;
    switch (c.kind) {
    case CSQL_DECLARE:
        out->tag = "DECLARE CURSOR";
        out->sql = compat_rewrite(stmt + c.query_off, len - c.query_off, get, ctx);
        if (!out->sql)
            out->sql = xstrndup(stmt + c.query_off, len - c.query_off);
        break;
    case CSQL_CLOSE: out->tag = c.name ? "CLOSE CURSOR" : "CLOSE CURSOR ALL"; break;
    default: break;
    }
    return true;
}

/* CREATE TABLE with foreign keys while foreign_keys = record: the table without them (with
 * its SERIAL columns made as compat_serial makes them), then the statements that record the
 * keys, as one COMPAT_STEPS statement. */
static bool classify_create_fk(const char *stmt, size_t len, compat_get_fn get, void *ctx,
                               compat_t *out)
{
    const char *mode = get(ctx, COMPAT_FK_MODE);
    char **fk = NULL, **steps = NULL, *plain;
    size_t nfk = 0, n;
    if (!mode || strcmp(mode, "record") != 0 || !(plain = compat_fk_split(stmt, len, &fk, &nfk)))
        return false;
    n = compat_serial(plain, strlen(plain), &steps);
    if (n == 0) {
        steps = xmalloc(sizeof *steps);
        steps[n++] = plain;
        plain = NULL;
    }
    steps = xrealloc(steps, (n + nfk) * sizeof *steps);
    memcpy(steps + n, fk, nfk * sizeof *fk);
    n += nfk;
    for (size_t i = 0; i < n; i++) {
        char *r = compat_rewrite(steps[i], strlen(steps[i]), get, ctx);
        if (r) {
            free(steps[i]);
            steps[i] = r;
        }
    }
    out->action = COMPAT_STEPS;
    out->steps = steps;
    out->nsteps = n;
    out->tag = "CREATE TABLE";
    out->sql = xstrndup(stmt, len);
    free(fk);
    free(plain);
    return true;
}

/* CREATE / ALTER SEQUENCE with PostgreSQL's options DuckDB lacks (compat_sequence). */
static bool classify_sequence(const char *stmt, size_t len, compat_get_fn get, void *ctx,
                              compat_t *out)
{
    bool noop = false;
    char *seq = compat_sequence(stmt, len, &noop);
    if (noop) {
        out->action = COMPAT_NOOP;
        out->tag = "ALTER SEQUENCE";
        return true;
    }
    if (!seq)
        return false;
    out->action = COMPAT_PASS;
    out->sql = compat_rewrite(seq, strlen(seq), get, ctx);
    if (out->sql)
        free(seq);
    else
        out->sql = seq;
    return true;
}

/* COPY TO STDOUT / FROM STDIN (DuckDB would use the server's own stdout / stdin): the
 * session runs it with the client; its query is rewritten unless get is NULL (DuckDB's
 * dialect). False for every other statement (COPY to or from a file included). */
static bool classify_copy(const toks_t *k, const char *stmt, size_t len, compat_get_fn get,
                          void *ctx, compat_t *out)
{
    copy_opts_t o;
    const char *state = NULL, *msg = NULL;
    if (!kw(k, 0, "COPY"))
        return false;
    switch (copy_parse(stmt, len, &o, &state, &msg)) {
    case COPY_OK:
        out->action = o.to_stdout ? COMPAT_COPY_OUT : COMPAT_COPY_IN;
        out->sql = get ? compat_rewrite(o.query, strlen(o.query), get, ctx) : NULL;
        if (!out->sql)
            out->sql = xstrdup(o.query);
        out->copy = xmalloc(sizeof *out->copy);
        *out->copy = o;
        return true;
    case COPY_BAD:
        out->action = COMPAT_ERROR;
        out->sqlstate = state;
        out->message = msg;
        return true;
    case COPY_NOT_CLIENT: break;
    }
    return false;
}

const char *compat_owner_to(const char *stmt, size_t len)
{
    static const struct {
        const char *w1, *w2, *tag;
    } objs[] = {
        {"TABLE", NULL, "ALTER TABLE"},
        {"SEQUENCE", NULL, "ALTER SEQUENCE"},
        {"VIEW", NULL, "ALTER VIEW"},
        {"MATERIALIZED", "VIEW", "ALTER MATERIALIZED VIEW"},
        {"SCHEMA", NULL, "ALTER SCHEMA"},
        {"FUNCTION", NULL, "ALTER FUNCTION"},
        {"PROCEDURE", NULL, "ALTER PROCEDURE"},
        {"AGGREGATE", NULL, "ALTER AGGREGATE"},
        {"TYPE", NULL, "ALTER TYPE"},
        {"DOMAIN", NULL, "ALTER DOMAIN"},
        {"DATABASE", NULL, "ALTER DATABASE"},
        {"FOREIGN", "TABLE", "ALTER FOREIGN TABLE"},
        {"COLLATION", NULL, "ALTER COLLATION"},
        {"CONVERSION", NULL, "ALTER CONVERSION"},
        {"TEXT", "SEARCH", "ALTER TEXT SEARCH"},
        {"EXTENSION", NULL, "ALTER EXTENSION"},
        {"LARGE", "OBJECT", "ALTER LARGE OBJECT"},
        {"OPERATOR", NULL, "ALTER OPERATOR"},
        {"PUBLICATION", NULL, "ALTER PUBLICATION"},
        {"SUBSCRIPTION", NULL, "ALTER SUBSCRIPTION"},
        {"EVENT", "TRIGGER", "ALTER EVENT TRIGGER"},
        {"TABLESPACE", NULL, "ALTER TABLESPACE"},
        {"ROUTINE", NULL, "ALTER ROUTINE"},
    };
    sqlscan_toks_t k;
    const char *tag = NULL;
    /* ALTER x name OWNER TO role: OWNER TO closes the statement */
    if (sqlscan_toks(&k, stmt, len, 4096) && k.nt >= 5 && sqlscan_tk_kw(&k, 0, "ALTER") &&
        sqlscan_tk_kw(&k, k.nt - 3, "OWNER") && sqlscan_tk_kw(&k, k.nt - 2, "TO") &&
        sqlscan_tk_name(&k, k.nt - 1)) {
        for (size_t o = 0; !tag && o < sizeof objs / sizeof objs[0]; o++) {
            size_t i = objs[o].w2 ? 3 : 2;
            if (!sqlscan_tk_kw(&k, 1, objs[o].w1) ||
                (objs[o].w2 && !sqlscan_tk_kw(&k, 2, objs[o].w2)))
                continue;
            if (sqlscan_tk_kw(&k, i, "IF") && sqlscan_tk_kw(&k, i + 1, "EXISTS"))
                i += 2;
            /* the object's (qualified) name, then a function's (argument types) */
            if (!sqlscan_tk_name(&k, i))
                break;
            while (sqlscan_tk_op(&k, i + 1, ".") && sqlscan_tk_name(&k, i + 2))
                i += 2;
            i++;
            if (sqlscan_tk_op(&k, i, "(")) {
                size_t depth = 0;
                for (; i < k.nt - 3; i++) {
                    depth += sqlscan_tk_op(&k, i, "(");
                    if (sqlscan_tk_op(&k, i, ")") && --depth == 0)
                        break;
                }
                i++;
            }
            if (i == k.nt - 3)
                tag = objs[o].tag;
            break;
        }
    }
    sqlscan_toks_free(&k);
    return tag;
}

static void compat_classify_named(const char *stmt, size_t len, compat_get_fn get, void *ctx,
                                  compat_t *out);

void compat_classify(const char *stmt, size_t len, compat_get_fn get, void *ctx, compat_t *out)
{
    char *pub = compat_rewrite_public(stmt, len); /* every path below sees main.t */
    if (pub)
        compat_classify_named(pub, strlen(pub), get, ctx, out);
    else
        compat_classify_named(stmt, len, get, ctx, out);
    free(pub);
}

/* compat_classify of a statement whose public schema is already named main. */
static void compat_classify_named(const char *stmt, size_t len, compat_get_fn get, void *ctx,
                                  compat_t *out)
{
    toks_t k;
    memset(out, 0, sizeof *out);
    toks_scan(&k, stmt, len);
    if (classify_copy(&k, stmt, len, get, ctx, out))
        return;
    if (classify_cursor(stmt, len, get, ctx, out))
        return;
    if (classify_misc(&k, out))
        return;
    if (compat_advisory(stmt, len, get, ctx, out))
        return;
    if (kw(&k, 0, "ALTER") && (out->tag = compat_owner_to(stmt, len))) {
        out->action = COMPAT_NOOP; /* duckd has no per-object owners */
        return;
    }
    if ((kw(&k, 0, "CREATE") || kw(&k, 0, "ALTER")) && classify_sequence(stmt, len, get, ctx, out))
        return;
    if (kw(&k, 0, "CREATE") && classify_create_fk(stmt, len, get, ctx, out))
        return;
    if ((kw(&k, 0, "CREATE") || kw(&k, 0, "ALTER")) &&
        (out->nsteps = compat_serial(stmt, len, &out->steps)) > 0) {
        for (size_t i = 0; i < out->nsteps; i++) {
            char *r = compat_rewrite(out->steps[i], strlen(out->steps[i]), get, ctx);
            if (r) {
                free(out->steps[i]);
                out->steps[i] = r;
            }
        }
        out->action = COMPAT_STEPS;
        out->tag = kw(&k, 0, "CREATE") ? "CREATE TABLE" : "ALTER TABLE";
        out->sql = xstrndup(stmt, len);
        return;
    }
    if (kw(&k, 0, "ALTER") && kw(&k, 1, "TABLE")) {
        char *typed = compat_rewrite_types(stmt, len); /* jsonb -> JSON */
        out->alter =
            typed ? compat_alter_parse(typed, strlen(typed)) : compat_alter_parse(stmt, len);
        free(typed);
        if (out->alter) {
            out->action = COMPAT_ALTER;
            out->tag = "ALTER TABLE";
            out->sql = xstrndup(stmt, len);
            return;
        }
    }
    if (kw(&k, 0, "TRUNCATE") && (out->alter = compat_truncate_parse(stmt, len))) {
        out->action = COMPAT_ALTER;
        out->tag = "TRUNCATE TABLE";
        out->sql = xstrndup(stmt, len);
        return;
    }
    if (kw(&k, 0, "DROP") && kw(&k, 1, "TABLE") &&
        (out->alter = compat_drop_table_parse(stmt, len))) {
        out->action = COMPAT_ALTER;
        out->tag = "DROP TABLE";
        out->sql = xstrndup(stmt, len);
        return;
    }
    if (kw(&k, 0, "CREATE") && (kw(&k, 1, "INDEX") || kw(&k, 2, "INDEX")) &&
        (out->sql = compat_index_rewrite(stmt, len))) {
        out->action = COMPAT_PASS;
        return;
    }
    if (classify_txn(&k, out) || classify_set(&k, out) || classify_show(&k, get, ctx, out) ||
        classify_set_config(&k, out))
        return;
    char *plain = kw(&k, 0, "INSERT") ? compat_overriding(stmt, len) : NULL;
    out->action = COMPAT_PASS;
    if (plain) {
        out->sql = compat_rewrite(plain, strlen(plain), get, ctx);
        if (!out->sql)
            out->sql = plain;
        else
            free(plain);
        return;
    }
    out->sql = compat_rewrite(stmt, len, get, ctx);
    if (!out->sql)
        out->sql = xstrndup(stmt, len);
}

void compat_classify_duckdb(const char *stmt, size_t len, compat_t *out)
{
    toks_t k;
    memset(out, 0, sizeof *out);
    toks_scan(&k, stmt, len);
    if (classify_copy(&k, stmt, len, NULL, NULL, out)) /* the session refuses STDIN/STDOUT */
        return;
    if (classify_txn(&k, out) || classify_set(&k, out))
        return;
    out->action = COMPAT_PASS;
    out->sql = xstrndup(stmt, len);
}

/* ---- search_path values ---- */

/* True for a name PostgreSQL shows without quotes in a list (lower case, digits, _). */
static bool compat_plain_ident(const char *p)
{
    if (!*p || (*p >= '0' && *p <= '9'))
        return false;
    for (; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
            return false;
    return true;
}

size_t compat_search_path_split(const char *value, char ***names, char **show_out)
{
    ubuf_t sh = UBUF_INIT, *show = &sh;
    size_t n = 0, cap = 4;
    char **v = xcalloc(cap, sizeof *v);
    const char *p = value;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == ',')
            p++;
        if (!*p)
            break;
        ubuf_t e = UBUF_INIT;
        if (*p == '"') {
            for (p++; *p && !(*p == '"' && p[1] != '"'); p++) {
                if (*p == '"')
                    p++;
                ubuf_putc(&e, *p);
            }
            if (*p == '"')
                p++;
        } else {
            const char *end = p + strcspn(p, ",");
            const char *last = end;
            while (last > p && (last[-1] == ' ' || last[-1] == '\t' || last[-1] == '\n'))
                last--;
            ubuf_append(&e, p, (size_t)(last - p));
            p = end;
        }
        while (*p && *p != ',')
            p++;
        const char *name = ubuf_cstr(&e);
        if (show->len)
            ubuf_puts(show, ", ");
        if (compat_plain_ident(name)) {
            ubuf_puts(show, name);
        } else {
            ubuf_putc(show, '"');
            for (const char *c = name; *c; c++) {
                if (*c == '"')
                    ubuf_putc(show, '"');
                ubuf_putc(show, *c);
            }
            ubuf_putc(show, '"');
        }
        if (n == cap)
            v = xrealloc(v, (cap *= 2) * sizeof *v);
        v[n++] = e.data;
    }
    *names = v;
    *show_out = xstrdup(ubuf_cstr(show));
    ubuf_free(show);
    return n;
}
