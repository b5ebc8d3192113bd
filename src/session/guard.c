/* The guard's policy tables and decisions; see guard.h. Each table below is the single
 * source of docs/SECURITY.md's lists. Decisions use DuckDB's statement kind where it is
 * exact, and a token scan (sqlscan: quotes and comments are never mistaken for structure)
 * for what the kind does not tell: the target of COPY, the name DETACH detaches, the table
 * functions a statement calls. */
#include "session/guard.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "session/sqlscan.h"
#include "util/xalloc.h"

/* ---- policy tables ---- */

/* DuckDB options whose session scope (SET SESSION) changes only the client's own session:
 * every client may set these; a plain SET of one becomes SET SESSION. */
static const char *const guard_session_options[] = {
    "default_order",
    "default_null_order",
    "null_order",
    "default_collation",
    "Calendar",
    "explain_output",
    "max_expression_depth", /* lowering only: see guard_check_value */
    "ordered_aggregate_threshold",
    "perfect_ht_threshold",
    "nested_loop_join_threshold",
    "merge_join_threshold",
    "asof_loop_join_threshold",
    "pivot_limit",
    "pivot_filter_threshold",
    "late_materialization_max_rows",
    "dynamic_or_filter_threshold",
    "index_scan_max_count",
    "index_scan_percentage",
    "partitioned_write_max_open_files",
    "partitioned_write_flush_threshold",
    "write_buffer_row_group_count",
    "catalog_error_max_schemas",
    "lambda_syntax",
    "arrow_output_version",
    "arrow_large_buffer_size",
    "arrow_lossless_conversion",
    "arrow_output_list_view",
    "produce_arrow_string_view",
    "binary_as_string",
    "enable_progress_bar",
    "progress_bar_time",
    "errors_as_json",
    "integer_division",
    "old_implicit_casting",
    "order_by_non_integer_literal",
    "preserve_insertion_order",
    "preserve_identifier_case",
    "scalar_subquery_error_on_multiple_rows",
    "prefer_range_joins",
    "ieee_floating_point_ops",
    "disable_timestamptz_casts",
    "enable_view_dependencies",
    "enable_macro_dependencies",
    "streaming_buffer_size",
    "schema",
};

/* Server-wide options an admin may change while the server runs, with SET GLOBAL or
 * ALTER SYSTEM SET (every session option above may be set globally by an admin too). Every
 * other option (external access, allowed paths, extensions, logging, secrets, the lock
 * itself, debug switches) is fixed once the server has started. */
static const char *const guard_admin_options[] = {
    "memory_limit",
    "max_memory",
    "threads",
    "worker_threads",
    "temp_directory",
    "max_temp_directory_size",
    "checkpoint_threshold",
    "wal_autocheckpoint",
    "TimeZone",
    "enable_object_cache",
    "enable_http_metadata_cache",
    "parquet_metadata_cache",
};

/* Table functions that change the server for everyone, show other sessions' work or run SQL
 * that the guard cannot see; only an admin may call them. */
static const char *const guard_admin_functions[] = {
    "query",
    "query_table",
    "json_execute_serialized_sql",
    "enable_logging",
    "disable_logging",
    "truncate_duckdb_logs",
    "duckdb_logs",
    "duckdb_logs_parsed",
    "duckdb_log_contexts",
    "enable_profiling",
    "disable_profiling",
    "enable_peg_parser",
    "disable_peg_parser",
    "check_peg_parser",
    "checkpoint",
    "force_checkpoint",
    "duckdb_secrets",
    "which_secret",
};

/* Functions a read_only session may not call (they write: PostgreSQL refuses them in a
 * read-only transaction too). */
static const char *const guard_write_functions[] = {"nextval", "setval"};

/* PRAGMAs that only read; every other PRAGMA (profiling, verification, optimizer switches,
 * checkpoint-on-shutdown, ...) is admin-only. */
static const char *const guard_read_pragmas[] = {
    "table_info",    "show_tables",   "show_tables_expanded", "show_databases",
    "database_list", "database_size", "storage_info",         "metadata_info",
    "version",       "platform",      "user_agent",           "collations",
    "functions",     "show",          "extension_versions",
};

#define GUARD_N(a) (sizeof(a) / sizeof((a)[0]))

static bool guard_in(const char *const *list, size_t n, const char *name, size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(list[i]) == len && strncasecmp(list[i], name, len) == 0)
            return true;
    return false;
}

int guard_role_parse(const char *s)
{
    if (!strcmp(s, "read_only"))
        return GUARD_ROLE_READ_ONLY;
    if (!strcmp(s, "read_write"))
        return GUARD_ROLE_READ_WRITE;
    if (!strcmp(s, "admin"))
        return GUARD_ROLE_ADMIN;
    return -1;
}

const char *guard_role_name(guard_role_t r)
{
    switch (r) {
    case GUARD_ROLE_READ_ONLY: return "read_only";
    case GUARD_ROLE_READ_WRITE: return "read_write";
    case GUARD_ROLE_ADMIN: return "admin";
    }
    return "?";
}

void guard_each_lockable_option(void (*fn)(void *ctx, const char *name), void *ctx)
{
    for (size_t i = 0; i < GUARD_N(guard_session_options); i++)
        fn(ctx, guard_session_options[i]);
    for (size_t i = 0; i < GUARD_N(guard_admin_options); i++)
        fn(ctx, guard_admin_options[i]);
}

/* ---- SET ---- */

static bool guard_plain_name(const char *n)
{
    if (!n || !(isalpha((unsigned char)n[0]) || n[0] == '_'))
        return false;
    for (const char *p = n; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_')
            return false;
    return strlen(n) < 128;
}

/* Whether a max_expression_depth value is a whole number of at most 1000, however DuckDB
 * would read it: bare or quoted ('5000' casts too), with blanks or a sign. Anything else
 * (1e6, 0x..., a list) counts as raising it. */
static bool guard_depth_ok(const char *v)
{
    char buf[32];
    size_t n = 0;
    for (const char *p = v; *p; p++) {
        if (*p == '\'' || isspace((unsigned char)*p))
            continue;
        if (n + 1 >= sizeof buf)
            return false;
        buf[n++] = *p;
    }
    buf[n] = '\0';
    const char *d = buf[0] == '+' ? buf + 1 : buf;
    if (!*d || strspn(d, "0123456789") != strlen(d))
        return false;
    while (*d == '0' && d[1])
        d++;
    return strlen(d) <= 4 && atoi(d) <= 1000;
}

/* A SET value must be literals only (strings, numbers, words, lists of them): no
 * expressions, so nothing runs while the setting is applied. */
static int guard_check_value(const guard_ctx_t *g, const char *name, const char *v, uerr_t *err)
{
    size_t pos = 0, n = strlen(v), count = 0;
    for (;;) {
        sqlt_t t = sqlscan_next(v, n, &pos);
        if (t.kind == SQLT_END)
            break;
        bool ok = t.kind == SQLT_STRING || t.kind == SQLT_NUMBER || t.kind == SQLT_WORD ||
                  t.kind == SQLT_QIDENT || sqlscan_is_op(v, &t, ",") || sqlscan_is_op(v, &t, "-") ||
                  sqlscan_is_op(v, &t, ".");
        if (!ok || ++count > 64) {
            uerr_set(err, "22023", "invalid value for parameter \"%s\": %s", name, v);
            uerr_set_hint(err, "a setting's value must be a literal");
            return -1;
        }
    }
    if (count == 0) {
        uerr_set(err, "42601", "syntax error: SET %s needs a value", name);
        return -1;
    }
    /* DuckDB's parser guard against stack exhaustion: lowering it is fine, raising it lets
     * one statement crash the server. */
    if (!strcasecmp(name, "max_expression_depth") && g->role != GUARD_ROLE_ADMIN &&
        !guard_depth_ok(v)) {
        uerr_set(err, "42501", "permission denied to raise \"max_expression_depth\" above 1000");
        return -1;
    }
    return 0;
}

static void guard_refuse_global(const guard_ctx_t *g, const char *name, uerr_t *err)
{
    uerr_set(err, "42501", "permission denied to set parameter \"%s\"", name);
    uerr_set_detail(err,
                    "\"%s\" is a server-wide DuckDB setting: changing it changes every "
                    "session.",
                    name);
    if (g->role == GUARD_ROLE_ADMIN)
        uerr_set_hint(err,
                      "An admin changes it for the whole server with SET GLOBAL %s = ... "
                      "(or ALTER SYSTEM SET).",
                      name);
    else
        uerr_set_hint(err, "Only an admin can change it, for the whole server.");
}

int guard_set(const guard_ctx_t *g, const compat_t *c, ubuf_t *sql, bool *global, uerr_t *err)
{
    const char *name = c->param;
    size_t nlen = name ? strlen(name) : 0;
    bool session_ok = guard_in(guard_session_options, GUARD_N(guard_session_options), name, nlen);
    bool admin_ok = guard_in(guard_admin_options, GUARD_N(guard_admin_options), name, nlen);
    *global = false;
    if (!guard_plain_name(name) || (!session_ok && !admin_ok && !g->option_known(name))) {
        uerr_set(err, "42704", "unrecognized configuration parameter \"%s\"", name ? name : "");
        return -1;
    }
    if (c->set_scope == COMPAT_SCOPE_GLOBAL) {
        if (g->role != GUARD_ROLE_ADMIN) {
            guard_refuse_global(g, name, err);
            return -1;
        }
        if (!session_ok && !admin_ok) {
            uerr_set(err, "55P02", "parameter \"%s\" cannot be changed now", name);
            uerr_set_detail(err, "It is fixed while the server runs (sandbox).");
            uerr_set_hint(err, "Set it in the configuration file and restart duckd.");
            return -1;
        }
        *global = true;
    } else if (!session_ok) {
        guard_refuse_global(g, name, err);
        return -1;
    }
    if (c->value && guard_check_value(g, name, c->value, err) != 0)
        return -1;
    if (c->value)
        ubuf_printf(sql, "SET %s %s = %s", *global ? "GLOBAL" : "SESSION", name, c->value);
    else
        ubuf_printf(sql, "RESET %s %s", *global ? "GLOBAL" : "SESSION", name);
    return 0;
}

/* ---- statements ---- */

#define GUARD_TOKS 16

typedef struct {
    const char *s;
    size_t n;
    sqlt_t t[GUARD_TOKS];
    size_t nt;
} guard_toks_t;

static void guard_scan(guard_toks_t *k, const char *s, size_t n)
{
    k->s = s;
    k->n = n;
    k->nt = sqlscan_tokens(s, n, k->t, GUARD_TOKS);
}

static bool gkw(const guard_toks_t *k, size_t i, const char *w)
{
    return i < k->nt && sqlscan_is(k->s, &k->t[i], w);
}

/* A name token's text without quotes, compared to `want` ignoring case (DuckDB matches
 * identifiers case-insensitively, quoted or not). */
static bool guard_name_is(const char *s, const sqlt_t *t, const char *want)
{
    const char *p = s + t->start;
    size_t len = t->len;
    if ((t->kind == SQLT_QIDENT || t->kind == SQLT_STRING) && len >= 2) {
        p++;
        len -= 2;
    } else if (t->kind != SQLT_WORD) {
        return false;
    }
    return strlen(want) == len && strncasecmp(p, want, len) == 0;
}

/* The name of a database a path attaches as when no alias is given: the file name without
 * directories and extension, as DuckDB derives it. */
static bool guard_path_names(const char *s, const sqlt_t *t, const char *want)
{
    if (t->kind != SQLT_STRING || t->len < 2)
        return false;
    const char *p = s + t->start + 1, *end = s + t->start + t->len - 1;
    for (const char *q = p; q < end; q++)
        if (*q == '/' || *q == ':')
            p = q + 1;
    const char *dot = end;
    for (const char *q = p; q < end; q++)
        if (*q == '.')
            dot = q;
    return (size_t)(dot - p) == strlen(want) && strncasecmp(p, want, strlen(want)) == 0;
}

/* ATTACH / DETACH must never touch the served database: not detach it, not attach another
 * file under its name (OR REPLACE) — for anybody, admins included. */
static int guard_served_db(const guard_ctx_t *g, eng_kind_t kind, const guard_toks_t *k,
                           uerr_t *err)
{
    size_t i = 1;
    bool hit = false;
    if (!g->catalog)
        return 0;
    if (kind == ENG_KIND_DETACH) {
        i += gkw(k, i, "DATABASE");
        i += gkw(k, i, "IF") ? 2 : 0;
        hit = i < k->nt && guard_name_is(k->s, &k->t[i], g->catalog);
    } else if (kind == ENG_KIND_ATTACH) {
        for (size_t j = 1; j < k->nt && !hit; j++) {
            if (gkw(k, j, "AS") && j + 1 < k->nt)
                hit = guard_name_is(k->s, &k->t[j + 1], g->catalog);
            else if (k->t[j].kind == SQLT_STRING && !(j + 1 < k->nt && gkw(k, j + 1, "AS")))
                hit = guard_path_names(k->s, &k->t[j], g->catalog);
        }
    }
    if (hit) {
        uerr_set(err, "55006", "database \"%s\" is served by duckd and cannot be %s", g->catalog,
                 kind == ENG_KIND_DETACH ? "detached" : "replaced");
        return -1;
    }
    return 0;
}

/* COPY that reads or writes a server-side file: returns 'T' for COPY ... TO, 'F' for FROM, 'D'
 * for COPY FROM DATABASE (which writes into another attached database). */
static char guard_copy_direction(const char *s, size_t n)
{
    size_t pos = 0;
    int depth = 0;
    sqlt_t t = sqlscan_next(s, n, &pos); /* COPY */
    for (int i = 0;; i++) {
        t = sqlscan_next(s, n, &pos);
        if (t.kind == SQLT_END || t.kind == SQLT_ERROR)
            return 'T'; /* unknown: treat as the stricter case */
        if (sqlscan_is_op(s, &t, "("))
            depth++;
        else if (sqlscan_is_op(s, &t, ")"))
            depth--;
        else if (depth == 0 && sqlscan_is(s, &t, "TO"))
            return 'T';
        else if (depth == 0 && sqlscan_is(s, &t, "FROM")) {
            sqlt_t d = sqlscan_next(s, n, &pos);
            return i == 0 && sqlscan_is(s, &d, "DATABASE") ? 'D' : 'F';
        }
    }
}

/* Finds a call of a listed function anywhere in the statement (qualified or quoted names
 * too). Returns the list entry, or NULL. */
static const char *guard_calls(const char *s, size_t n, const char *const *list, size_t nlist)
{
    size_t pos = 0;
    sqlt_t prev = {SQLT_END, 0, 0};
    for (;;) {
        sqlt_t t = sqlscan_next(s, n, &pos);
        if (t.kind == SQLT_END || t.kind == SQLT_ERROR)
            return NULL;
        if (sqlscan_is_op(s, &t, "(") && (prev.kind == SQLT_WORD || prev.kind == SQLT_QIDENT))
            for (size_t i = 0; i < nlist; i++)
                if (guard_name_is(s, &prev, list[i]))
                    return list[i];
        prev = t;
    }
}

static int guard_denied(uerr_t *err, const char *what)
{
    uerr_set(err, "42501", "permission denied: %s", what);
    uerr_set_hint(err, "Only an admin may do this on a shared duckd server.");
    return -1;
}

static int guard_read_only(uerr_t *err, const char *tag, bool server)
{
    uerr_set(err, "25006", "cannot execute %s in a read-only transaction", tag);
    if (server)
        uerr_set_detail(err, "The server runs with --read-only: nothing is written anywhere.");
    else
        uerr_set_detail(err, "The role of this user is read_only.");
    return -1;
}

/* What only an admin may run, whatever the role's reads and writes. Returns 0 or -1. */
static int guard_admin_only(eng_kind_t kind, const guard_toks_t *k, const char *sql, size_t len,
                            uerr_t *err)
{
    const char *fn;
    switch (kind) {
    case ENG_KIND_ATTACH: return guard_denied(err, "ATTACH");
    case ENG_KIND_DETACH: return guard_denied(err, "DETACH");
    case ENG_KIND_LOAD: return guard_denied(err, "INSTALL and LOAD of extensions");
    case ENG_KIND_EXPORT: return guard_denied(err, "EXPORT DATABASE writes files");
    case ENG_KIND_OTHER: return guard_denied(err, "this kind of statement");
    case ENG_KIND_COPY:
        if (guard_copy_direction(sql, len) != 'F')
            return guard_denied(err, "COPY to a server-side file");
        break;
    case ENG_KIND_PRAGMA: return guard_denied(err, "this PRAGMA");
    default: break;
    }
    if (gkw(k, 0, "CHECKPOINT") || (gkw(k, 0, "FORCE") && gkw(k, 1, "CHECKPOINT")))
        return guard_denied(err, "CHECKPOINT");
    if (gkw(k, 0, "IMPORT"))
        return guard_denied(err, "IMPORT DATABASE");
    if (gkw(k, 0, "PRAGMA") && k->nt > 1 &&
        !guard_in(guard_read_pragmas, GUARD_N(guard_read_pragmas), sql + k->t[1].start,
                  k->t[1].len))
        return guard_denied(err, "this PRAGMA");
    for (size_t i = 1; i < k->nt && i < 6; i++)
        if ((gkw(k, 0, "CREATE") || gkw(k, 0, "DROP")) && gkw(k, i, "SECRET"))
            return guard_denied(err, "secrets are server-wide");
    fn = guard_calls(sql, len, guard_admin_functions, GUARD_N(guard_admin_functions));
    if (fn) {
        uerr_set(err, "42501", "permission denied for function %s", fn);
        uerr_set_hint(err, "Only an admin may call it on a shared duckd server.");
        return -1;
    }
    return 0;
}

/* The statement kinds a read_only role may run (reads, session settings, transactions). */
static bool guard_reads(eng_kind_t kind, eng_kind_t inner)
{
    switch (kind) {
    case ENG_KIND_SELECT:
    case ENG_KIND_TRANSACTION:
    case ENG_KIND_SET:
    case ENG_KIND_CALL:
    case ENG_KIND_EXECUTE: return true;
    case ENG_KIND_EXPLAIN:
    case ENG_KIND_PREPARE: return inner == ENG_KIND_OTHER || guard_reads(inner, ENG_KIND_OTHER);
    default: return false;
    }
}

static const char *guard_tag(const guard_toks_t *k, char *buf, size_t size)
{
    size_t n = k->nt ? k->t[0].len : 0;
    if (n >= size)
        n = size - 1;
    for (size_t i = 0; i < n; i++)
        buf[i] = (char)toupper((unsigned char)k->s[k->t[0].start + i]);
    buf[n] = '\0';
    return buf;
}

int guard_statement(const guard_ctx_t *g, eng_kind_t kind, eng_kind_t inner_kind, bool vetted_set,
                    const char *sql, size_t len, uerr_t *err)
{
    guard_toks_t k;
    char tag[32];
    guard_scan(&k, sql, len);
    if (kind == ENG_KIND_SET && !vetted_set)
        return guard_denied(err, "this form of SET");
    if (guard_served_db(g, kind, &k, err) != 0)
        return -1;
    if (g->db_read_only && (kind == ENG_KIND_ATTACH || kind == ENG_KIND_EXPORT ||
                            (kind == ENG_KIND_COPY && guard_copy_direction(sql, len) != 'F')))
        return guard_read_only(err, guard_tag(&k, tag, sizeof tag), true);
    if (g->role == GUARD_ROLE_ADMIN)
        return 0;
    if (guard_admin_only(kind, &k, sql, len, err) != 0)
        return -1;
    if (g->role == GUARD_ROLE_READ_ONLY) {
        if (!guard_reads(kind, inner_kind))
            return guard_read_only(err, guard_tag(&k, tag, sizeof tag), false);
        const char *fn =
            guard_calls(sql, len, guard_write_functions, GUARD_N(guard_write_functions));
        if (fn) {
            char what[64];
            snprintf(what, sizeof what, "%s()", fn);
            return guard_read_only(err, what, false);
        }
    }
    return 0;
}

size_t guard_inner_statement(const char *sql, size_t len)
{
    size_t pos = 0;
    sqlt_t t = sqlscan_next(sql, len, &pos);
    if (sqlscan_is(sql, &t, "EXPLAIN")) {
        size_t before = pos;
        sqlt_t u = sqlscan_next(sql, len, &pos);
        if (sqlscan_is(sql, &u, "ANALYZE") || sqlscan_is(sql, &u, "ANALYSE"))
            return pos;
        if (sqlscan_is_op(sql, &u, "(")) {
            int depth = 1;
            while (depth > 0) {
                u = sqlscan_next(sql, len, &pos);
                if (u.kind == SQLT_END || u.kind == SQLT_ERROR)
                    return 0;
                depth += sqlscan_is_op(sql, &u, "(") - sqlscan_is_op(sql, &u, ")");
            }
            return pos;
        }
        return before;
    }
    if (sqlscan_is(sql, &t, "PREPARE")) {
        for (;;) {
            t = sqlscan_next(sql, len, &pos);
            if (t.kind == SQLT_END || t.kind == SQLT_ERROR)
                return 0;
            if (sqlscan_is(sql, &t, "AS"))
                return pos;
        }
    }
    return 0;
}

/* ---- logs ---- */

bool guard_is_sensitive(const char *sql, size_t len)
{
    static const char *const words[] = {"SECRET",     "PASSWORD", "ENCRYPTION_KEY", "KEY_ID",
                                        "SECRET_KEY", "TOKEN",    "ATTACH",         "CREDENTIALS"};
    size_t pos = 0;
    for (;;) {
        sqlt_t t = sqlscan_next(sql, len, &pos);
        if (t.kind == SQLT_END)
            return false;
        if (t.kind == SQLT_ERROR)
            return true; /* cannot tell where literals end: redact the lot */
        for (size_t i = 0; i < GUARD_N(words); i++)
            if (sqlscan_is(sql, &t, words[i]))
                return true;
    }
}

void guard_redact(const char *sql, size_t len, ubuf_t *out)
{
    size_t pos = 0, copied = 0;
    for (;;) {
        sqlt_t t = sqlscan_next(sql, len, &pos);
        if (t.kind == SQLT_END)
            break;
        if (t.kind == SQLT_ERROR) {
            ubuf_append(out, sql + copied, t.start - copied);
            ubuf_puts(out, "***");
            return;
        }
        if (t.kind != SQLT_STRING)
            continue;
        ubuf_append(out, sql + copied, t.start - copied);
        ubuf_puts(out, "'***'");
        copied = t.start + t.len;
    }
    ubuf_append(out, sql + copied, len - copied);
}
