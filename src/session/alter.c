/* Runs the steps of a PostgreSQL ALTER TABLE that DuckDB cannot run as written (the plan comes
 * from compat_alter_parse, compat_alter.h), all inside one transaction, so the statement
 * applies whole or not at all as in PostgreSQL:
 * - each action of a multi-action ALTER TABLE runs as its own DuckDB ALTER TABLE;
 * - DuckDB refuses most ALTERs of a table that has indexes ("Cannot alter entry ... because
 *   there are entries that depend on it"): the table's indexes are dropped before such a step
 *   and created again after it (renamed with the column or table; an index on a dropped
 *   column goes with the column, as in PostgreSQL);
 * - a change of a varchar's length only is nothing to DuckDB, whose VARCHAR has none;
 * - ADD CONSTRAINT UNIQUE becomes a unique index of the constraint's name;
 * - ADD CONSTRAINT FOREIGN KEY, which DuckDB cannot add to an existing table, is recorded in
 *   duckd.foreign_keys (shown by the catalogs) and not enforced; the client gets a NOTICE.
 * - DROP CONSTRAINT drops such an index or recorded foreign key. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "session/compat_alter.h"
#include "session/copy_in.h"
#include "session/session_internal.h"
#include "session/sqlscan.h"
#include "util/buf.h"
#include "util/xalloc.h"

/* The table's schema: as written, or the session's current one. */
#define ALTER_SCHEMA "coalesce($2, current_schema())"

typedef struct {
    char **v; /* owned strings, two per index: name, sql */
    size_t n;
} alter_rows_t;

static void alter_rows_free(alter_rows_t *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->v[i]);
    free(r->v);
    memset(r, 0, sizeof *r);
}

static int alter_collect(void *ctx, const eng_value_t *vals, size_t ncols)
{
    alter_rows_t *r = ctx;
    r->v = xrealloc(r->v, (r->n + ncols) * sizeof *r->v);
    for (size_t i = 0; i < ncols; i++)
        r->v[r->n++] = vals[i].len < 0 ? NULL : xstrndup(vals[i].data, (size_t)vals[i].len);
    return 0;
}

/* Runs sql with text parameters (NULL = SQL NULL), collecting its rows into *rows (may be
 * NULL). */
static int alter_exec(sess_t *s, const char *sql, const char *const *params, size_t n,
                      alter_rows_t *rows, uerr_t *err)
{
    eng_stmt_t *es = NULL;
    eng_cursor_t *cur = NULL;
    eng_param_t p[4];
    int64_t got;
    bool done;
    int rc = -1;
    for (size_t i = 0; i < n && i < 4; i++) {
        p[i].data = (const uint8_t *)params[i];
        p[i].len = params[i] ? (int32_t)strlen(params[i]) : -1;
        p[i].format = 0;
        p[i].oid = 25;
    }
    if (eng_prepare(s->conn, sql, &es, err) != 0 || eng_bind(es, p, n, err) != 0 ||
        eng_execute(es, &cur, err) != 0 ||
        eng_cursor_fetch(cur, 0, rows ? alter_collect : NULL, rows, &got, &done, err) != 0)
        goto out;
    rc = 0;
out:
    eng_cursor_free(cur);
    eng_stmt_free(es);
    return rc;
}

/* schema.name, both quoted. */
static void alter_qname(ubuf_t *b, const char *schema, const char *name)
{
    ubuf_put_ident(b, schema);
    ubuf_putc(b, '.');
    ubuf_put_ident(b, name);
}

/* True when the token is the name `name` (quoted exactly, or unquoted in any case). */
static bool alter_tok_is(const char *s, const sqlt_t *t, const char *name)
{
    size_t n = strlen(name);
    if (t->kind == SQLT_WORD)
        return t->len == n && strncasecmp(s + t->start, name, n) == 0;
    if (t->kind == SQLT_QIDENT)
        return t->len == n + 2 && strncmp(s + t->start + 1, name, n) == 0;
    return false;
}

/* The index's CREATE statement adapted to the step that ran: column or table renamed.
 * Returns NULL when the index goes away (it names a dropped column). Caller frees. */
static char *alter_index_sql(const char *sql, const compat_alter_step_t *st)
{
    ubuf_t b = UBUF_INIT;
    size_t n = strlen(sql), pos = 0, from = 0;
    bool after_on = false, in_cols = false;
    while (n > 0 && (sql[n - 1] == ';' || sql[n - 1] == ' ' || sql[n - 1] == '\n'))
        n--;
    for (;;) {
        sqlt_t t = sqlscan_next(sql, n, &pos);
        if (t.kind == SQLT_END || t.kind == SQLT_ERROR)
            break;
        if (!in_cols && sqlscan_is(sql, &t, "ON")) {
            after_on = true;
            continue;
        }
        if (after_on && !in_cols && sqlscan_is_op(sql, &t, "(")) {
            in_cols = true;
            continue;
        }
        const char *repl = NULL;
        if (in_cols && st->column && alter_tok_is(sql, &t, st->column)) {
            ubuf_free(&b);
            return NULL;
        }
        if (in_cols && st->rename_from && alter_tok_is(sql, &t, st->rename_from))
            repl = st->rename_to;
        else if (after_on && !in_cols && !st->rename_from && st->rename_to &&
                 (t.kind == SQLT_WORD || t.kind == SQLT_QIDENT)) {
            size_t peek = pos;
            sqlt_t nx = sqlscan_next(sql, n, &peek);
            if (!sqlscan_is_op(sql, &nx, ".")) /* the table's own name, not its schema */
                repl = st->rename_to;
        }
        if (repl) {
            ubuf_append(&b, sql + from, t.start - from);
            ubuf_put_ident(&b, repl);
            from = t.start + t.len;
        }
    }
    ubuf_append(&b, sql + from, n - from);
    ubuf_cstr(&b);
    return b.data;
}

/* Runs one step that DuckDB refuses while the table has indexes: drops them, runs it, and
 * creates them again. */
static int alter_with_indexes(sess_t *s, const compat_alter_t *a, const compat_alter_step_t *st,
                              uerr_t *err)
{
    alter_rows_t ix = {0};
    const char *args[2] = {a->table, a->schema};
    int rc = -1;
    if (alter_exec(s,
                   "SELECT schema_name, index_name, sql FROM duckdb_indexes() WHERE "
                   "database_name = current_database() AND lower(table_name) = lower($1) AND "
                   "schema_name = " ALTER_SCHEMA " AND sql IS NOT NULL ORDER BY index_oid",
                   args, 2, &ix, err) != 0)
        goto out;
    for (size_t i = 0; i + 2 < ix.n; i += 3) {
        ubuf_t b = UBUF_INIT;
        ubuf_puts(&b, "DROP INDEX ");
        alter_qname(&b, ix.v[i], ix.v[i + 1]);
        int r = alter_exec(s, ubuf_cstr(&b), NULL, 0, NULL, err);
        ubuf_free(&b);
        if (r != 0)
            goto out;
    }
    if (alter_exec(s, st->sql, NULL, 0, NULL, err) != 0)
        goto out;
    for (size_t i = 0; i + 2 < ix.n; i += 3) {
        char *sql = ix.v[i + 2] ? alter_index_sql(ix.v[i + 2], st) : NULL;
        int r = sql ? alter_exec(s, sql, NULL, 0, NULL, err) : 0;
        free(sql);
        if (r != 0)
            goto out;
    }
    rc = 0;
out:
    alter_rows_free(&ix);
    return rc;
}

/* True for the words that end a column's type in DuckDB's CREATE TABLE text. */
static bool alter_ends_type(const char *sql, const sqlt_t *t)
{
    static const char *const words[] = {"NOT",       "NULL",       "DEFAULT",    "PRIMARY",
                                        "UNIQUE",    "CHECK",      "REFERENCES", "COLLATE",
                                        "GENERATED", "CONSTRAINT", "AS"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (sqlscan_is(sql, t, words[i]))
            return true;
    return false;
}

/* The table's CREATE statement (DuckDB's own text) rewritten for a rebuild: named `newname`,
 * without the dropped column and the table constraints that name it, or with the column's
 * new type. Returns NULL when the text is not understood. Caller frees. */
static char *alter_rebuild_ddl(const char *sql, const compat_alter_step_t *st, const char *schema,
                               const char *newname)
{
    sqlt_t t[1024];
    size_t n = strlen(sql), nt;
    ubuf_t b = UBUF_INIT;
    while (n > 0 && (sql[n - 1] == ';' || sql[n - 1] == ' ' || sql[n - 1] == '\n'))
        n--;
    nt = sqlscan_tokens(sql, n, t, sizeof t / sizeof t[0]);
    size_t open = 0, close = 0;
    for (size_t i = 0; i < nt; i++)
        if (sqlscan_is_op(sql, &t[i], "(")) {
            open = i;
            break;
        }
    if (!open || nt == sizeof t / sizeof t[0] || !sqlscan_is_op(sql, &t[nt - 1], ")"))
        return NULL;
    close = nt - 1;
    ubuf_puts(&b, "CREATE TABLE ");
    alter_qname(&b, schema, newname);
    ubuf_puts(&b, " (");
    bool first = true, found = false;
    for (size_t e = open + 1; e < close;) {
        size_t end = e;
        int depth = 0;
        for (; end < close; end++) {
            if (sqlscan_is_op(sql, &t[end], "(") || sqlscan_is_op(sql, &t[end], "["))
                depth++;
            else if (sqlscan_is_op(sql, &t[end], ")") || sqlscan_is_op(sql, &t[end], "]"))
                depth--;
            else if (depth == 0 && sqlscan_is_op(sql, &t[end], ","))
                break;
        }
        bool is_constraint = sqlscan_is(sql, &t[e], "PRIMARY") ||
                             sqlscan_is(sql, &t[e], "UNIQUE") || sqlscan_is(sql, &t[e], "CHECK") ||
                             sqlscan_is(sql, &t[e], "FOREIGN") ||
                             sqlscan_is(sql, &t[e], "CONSTRAINT");
        bool mine = st->rebuild_table && !is_constraint && alter_tok_is(sql, &t[e], st->column);
        bool skip = false;
        if (st->rebuild_table && st->kind != CALT_TYPE) { /* DROP COLUMN */
            skip = mine;
            for (size_t j = e; is_constraint && j < end; j++)
                skip |= alter_tok_is(sql, &t[j], st->column);
        }
        found |= mine;
        if (!skip) {
            size_t from = t[e].start, to = t[end - 1].start + t[end - 1].len;
            if (!first)
                ubuf_puts(&b, ", ");
            first = false;
            if (mine && st->kind == CALT_TYPE) {
                size_t k = e + 1;
                while (k < end && !alter_ends_type(sql, &t[k]))
                    k++;
                ubuf_append(&b, sql + t[e].start, t[e].len);
                ubuf_printf(&b, " %s", st->type);
                if (k < end)
                    ubuf_printf(&b, " %.*s", (int)(to - t[k].start), sql + t[k].start);
            } else {
                ubuf_append(&b, sql + from, to - from);
            }
        }
        e = end + 1;
    }
    ubuf_putc(&b, ')');
    ubuf_cstr(&b);
    if ((st->rebuild_table && !found) || first) {
        ubuf_free(&b);
        return NULL;
    }
    return b.data;
}

/* A SERIAL column's sequence (named <table>_<column>_seq and owned by the table) would go
 * with the old table, and DuckDB moves no sequence to another owner: the rebuild takes it off
 * the new table's default, lets it go, creates it again in its current state (DuckDB's own
 * CREATE text starts at the next value) and gives it back to the new table. */
typedef struct {
    alter_rows_t cols; /* column, default text, sequence name: three per serial column */
    alter_rows_t ddl;  /* the sequences' CREATE statements, one per serial column */
} alter_serials_t;

static void alter_serials_free(alter_serials_t *z)
{
    alter_rows_free(&z->cols);
    alter_rows_free(&z->ddl);
}

static int alter_serials_load(sess_t *s, const char *schema, const char *table, alter_serials_t *z,
                              uerr_t *err)
{
    alter_rows_t r = {0};
    const char *args[2] = {table, schema};
    int rc = -1;
    if (alter_exec(s,
                   "SELECT column_name, column_default FROM duckdb_columns() WHERE "
                   "database_name = current_database() AND table_name = $1 AND schema_name = $2 "
                   "AND column_default LIKE 'nextval(%'",
                   args, 2, &r, err) != 0)
        goto out;
    for (size_t i = 0; i + 1 < r.n; i += 2) {
        ubuf_t want = UBUF_INIT;
        if (!r.v[i] || !r.v[i + 1])
            continue;
        ubuf_printf(&want, "%s_%s_seq", table, r.v[i]);
        const char *q = strchr(r.v[i + 1], '\'');
        const char *e = q ? strchr(q + 1, '\'') : NULL;
        const char *nm = ubuf_cstr(&want);
        size_t len = strlen(nm);
        if (e) { /* 'seq' or 'schema.seq' */
            const char *dot = memchr(q + 1, '.', (size_t)(e - q - 1));
            const char *from = dot ? dot + 1 : q + 1;
            if ((size_t)(e - from) == len && strncasecmp(from, nm, len) == 0) {
                z->cols.v = xrealloc(z->cols.v, (z->cols.n + 3) * sizeof *z->cols.v);
                z->cols.v[z->cols.n++] = xstrdup(r.v[i]);
                z->cols.v[z->cols.n++] = xstrdup(r.v[i + 1]);
                z->cols.v[z->cols.n++] = xstrndup(from, len);
            }
        }
        ubuf_free(&want);
    }
    rc = 0;
out:
    alter_rows_free(&r);
    return rc;
}

/* "ALTER TABLE schema.table ALTER COLUMN col " + tail */
static int alter_column_exec(sess_t *s, const char *schema, const char *table, const char *col,
                             const char *tail, uerr_t *err)
{
    ubuf_t b = UBUF_INIT;
    ubuf_puts(&b, "ALTER TABLE ");
    alter_qname(&b, schema, table);
    ubuf_puts(&b, " ALTER COLUMN ");
    ubuf_put_ident(&b, col);
    ubuf_printf(&b, " %s", tail);
    int rc = alter_exec(s, ubuf_cstr(&b), NULL, 0, NULL, err);
    ubuf_free(&b);
    return rc;
}

/* Before the old table goes: the new table (tmp) lets go of the sequences, whose current
 * state is read. A serial column the step drops loses its sequence, as in PostgreSQL. */
static int alter_serials_release(sess_t *s, const char *schema, const char *tmp,
                                 const compat_alter_step_t *st, alter_serials_t *z, uerr_t *err)
{
    for (size_t i = 0; i + 2 < z->cols.n; i += 3) {
        const char *args[2] = {schema, z->cols.v[i + 2]};
        size_t had = z->ddl.n;
        bool dropped =
            st->rebuild_table && st->kind != CALT_TYPE && strcasecmp(z->cols.v[i], st->column) == 0;
        if (!dropped && alter_column_exec(s, schema, tmp, z->cols.v[i], "DROP DEFAULT", err) != 0)
            return -1;
        /* a restart (TRUNCATE ... RESTART IDENTITY) makes it again from its START value;
         * otherwise DuckDB's own text starts it at its next value */
        if (alter_exec(s,
                       st->kind == CALT_TRUNCATE
                           ? "SELECT 'CREATE SEQUENCE s INCREMENT BY ' || increment_by || "
                             "' MINVALUE ' || min_value || ' MAXVALUE ' || max_value || ' START ' "
                             "|| start_value || CASE WHEN cycle THEN ' CYCLE' ELSE ' NO CYCLE' END "
                             "FROM duckdb_sequences() WHERE database_name = current_database() "
                             "AND schema_name = $1 AND sequence_name = $2"
                           : "SELECT sql FROM duckdb_sequences() WHERE database_name = "
                             "current_database() AND schema_name = $1 AND sequence_name = $2",
                       args, 2, &z->ddl, err) != 0)
            return -1;
        if (z->ddl.n != had + 1 || dropped) { /* keep one entry per column */
            while (z->ddl.n > had)
                free(z->ddl.v[--z->ddl.n]);
            z->ddl.v = xrealloc(z->ddl.v, (had + 1) * sizeof *z->ddl.v);
            z->ddl.v[z->ddl.n++] = NULL;
        }
    }
    return 0;
}

/* After the old table went: the sequences come back, on the new table's defaults. */
static int alter_serials_restore(sess_t *s, const char *schema, const char *tmp, alter_serials_t *z,
                                 uerr_t *err)
{
    for (size_t i = 0, d = 0; i + 2 < z->cols.n; i += 3, d++) {
        const char *sql = d < z->ddl.n ? z->ddl.v[d] : NULL;
        if (!sql)
            continue;
        /* DuckDB's text: CREATE SEQUENCE name INCREMENT BY ... START next ...; */
        size_t pos = 0;
        sqlt_t t[3];
        for (int j = 0; j < 3; j++)
            t[j] = sqlscan_next(sql, strlen(sql), &pos);
        ubuf_t b = UBUF_INIT, dflt = UBUF_INIT;
        ubuf_puts(&b, "CREATE SEQUENCE ");
        alter_qname(&b, schema, z->cols.v[i + 2]);
        ubuf_puts(&b, sql + t[2].start + t[2].len);
        while (b.len && (b.data[b.len - 1] == ';' || b.data[b.len - 1] == '\n'))
            b.len--;
        ubuf_printf(&dflt, "SET DEFAULT %s", z->cols.v[i + 1]);
        int r = alter_exec(s, ubuf_cstr(&b), NULL, 0, NULL, err);
        if (r == 0)
            r = alter_column_exec(s, schema, tmp, z->cols.v[i], ubuf_cstr(&dflt), err);
        ubuf_free(&b);
        ubuf_free(&dflt);
        if (r != 0)
            return -1;
    }
    return 0;
}

/* At the end: the table owns its sequences again. */
static int alter_serials_own(sess_t *s, const char *schema, const char *table, alter_serials_t *z,
                             uerr_t *err)
{
    for (size_t i = 0, d = 0; i + 2 < z->cols.n; i += 3, d++) {
        if (d >= z->ddl.n || !z->ddl.v[d])
            continue;
        ubuf_t b = UBUF_INIT;
        ubuf_puts(&b, "ALTER SEQUENCE ");
        alter_qname(&b, schema, z->cols.v[i + 2]);
        ubuf_puts(&b, " OWNED BY ");
        alter_qname(&b, schema, table);
        int r = alter_exec(s, ubuf_cstr(&b), NULL, 0, NULL, err);
        ubuf_free(&b);
        if (r != 0)
            return -1;
    }
    return 0;
}

/* DROP COLUMN / ALTER COLUMN TYPE on an indexed table: the table is created anew under a
 * temporary name with the new definition, filled from the old one (the altered column cast,
 * through USING when given), the old one dropped (its indexes with it), the new one renamed,
 * and the indexes created again. All inside the statement's transaction. */
static int alter_rebuild(sess_t *s, const compat_alter_t *a, const compat_alter_step_t *st,
                         uerr_t *err)
{
    alter_rows_t def = {0}, cols = {0}, ix = {0};
    alter_serials_t z = {0};
    const char *args[2] = {a->table, a->schema};
    ubuf_t b = UBUF_INIT, tmp = UBUF_INIT;
    char *ddl = NULL;
    int rc = -1;
    if (alter_exec(s,
                   "SELECT schema_name, table_name, sql FROM duckdb_tables() WHERE "
                   "database_name = current_database() AND lower(table_name) = lower($1) AND "
                   "schema_name = " ALTER_SCHEMA,
                   args, 2, &def, err) != 0)
        goto out;
    if (def.n != 3 || !def.v[0] || !def.v[1] || !def.v[2]) {
        uerr_set(err, "42P01", "relation \"%s\" does not exist", a->table);
        goto out;
    }
    const char *schema = def.v[0], *table = def.v[1];
    ubuf_printf(&tmp, "%s__duckd_rebuild", table);
    ddl = alter_rebuild_ddl(def.v[2], st, schema, ubuf_cstr(&tmp));
    if (!ddl && st->rebuild_table) {
        uerr_set(err, "42703", "column \"%s\" of relation \"%s\" does not exist", st->column,
                 a->table);
        goto out;
    }
    if (!ddl) {
        uerr_set(err, "0A000", "cannot alter table \"%s\": its definition is too large to rebuild",
                 a->table);
        goto out;
    }
    const char *cargs[2] = {table, schema};
    if (alter_exec(s,
                   "SELECT column_name FROM duckdb_columns() WHERE database_name = "
                   "current_database() AND table_name = $1 AND schema_name = $2 ORDER BY "
                   "column_index",
                   cargs, 2, &cols, err) != 0 ||
        alter_exec(s,
                   "SELECT schema_name, index_name, sql FROM duckdb_indexes() WHERE "
                   "database_name = current_database() AND table_name = $1 AND schema_name = $2 "
                   "AND sql IS NOT NULL ORDER BY index_oid",
                   cargs, 2, &ix, err) != 0 ||
        alter_serials_load(s, schema, table, &z, err) != 0 ||
        alter_exec(s, ddl, NULL, 0, NULL, err) != 0)
        goto out;
    bool empty = st->kind == CALT_TRUNCATE; /* TRUNCATE ... RESTART IDENTITY */
    ubuf_puts(&b, "INSERT INTO ");
    alter_qname(&b, schema, ubuf_cstr(&tmp));
    ubuf_puts(&b, " SELECT ");
    bool first = true;
    for (size_t i = 0; i < cols.n; i++) {
        bool mine = st->rebuild_table && cols.v[i] && strcasecmp(cols.v[i], st->column) == 0;
        if (!cols.v[i] || (mine && st->kind != CALT_TYPE))
            continue;
        if (!first)
            ubuf_puts(&b, ", ");
        first = false;
        if (mine && st->using_expr) {
            ubuf_printf(&b, "CAST((%s) AS %s)", st->using_expr, st->type);
        } else if (mine) {
            ubuf_puts(&b, "CAST(");
            ubuf_put_ident(&b, cols.v[i]);
            ubuf_printf(&b, " AS %s)", st->type);
        } else {
            ubuf_put_ident(&b, cols.v[i]);
        }
    }
    ubuf_puts(&b, " FROM ");
    alter_qname(&b, schema, table);
    if (!empty && alter_exec(s, ubuf_cstr(&b), NULL, 0, NULL, err) != 0)
        goto out;
    if (alter_serials_release(s, schema, ubuf_cstr(&tmp), st, &z, err) != 0)
        goto out;
    ubuf_reset(&b);
    ubuf_puts(&b, "DROP TABLE ");
    alter_qname(&b, schema, table);
    if (alter_exec(s, ubuf_cstr(&b), NULL, 0, NULL, err) != 0 ||
        alter_serials_restore(s, schema, ubuf_cstr(&tmp), &z, err) != 0)
        goto out;
    /* any other action runs on the new table, which has no indexes yet */
    bool renames_table = !st->rebuild_table && st->rename_to && !st->rename_from;
    if (!st->rebuild_table && st->action) {
        ubuf_reset(&b);
        ubuf_puts(&b, "ALTER TABLE ");
        alter_qname(&b, schema, ubuf_cstr(&tmp));
        ubuf_printf(&b, " %s", st->action);
        if (alter_exec(s, ubuf_cstr(&b), NULL, 0, NULL, err) != 0)
            goto out;
    }
    if (!renames_table) {
        ubuf_reset(&b);
        ubuf_puts(&b, "ALTER TABLE ");
        alter_qname(&b, schema, ubuf_cstr(&tmp));
        ubuf_puts(&b, " RENAME TO ");
        ubuf_put_ident(&b, table);
        if (alter_exec(s, ubuf_cstr(&b), NULL, 0, NULL, err) != 0)
            goto out;
    }
    if (alter_serials_own(s, schema, renames_table ? st->rename_to : table, &z, err) != 0)
        goto out;
    for (size_t i = 0; i + 2 < ix.n; i += 3) {
        compat_alter_step_t keep = *st;
        if (st->kind == CALT_TYPE)
            keep.column = NULL; /* the index stays, on the column's new type */
        char *sql = ix.v[i + 2] ? alter_index_sql(ix.v[i + 2], &keep) : NULL;
        int r = sql ? alter_exec(s, sql, NULL, 0, NULL, err) : 0;
        free(sql);
        if (r != 0)
            goto out;
    }
    rc = 0;
out:
    free(ddl);
    ubuf_free(&b);
    ubuf_free(&tmp);
    alter_rows_free(&def);
    alter_rows_free(&cols);
    alter_rows_free(&ix);
    alter_serials_free(&z);
    return rc;
}

/* True when the table has indexes DuckDB would trip over (*unique: one of them is unique,
 * which DuckDB will not create again under its name in the transaction that dropped it). */
static int alter_has_indexes(sess_t *s, const compat_alter_t *a, bool *yes, bool *unique,
                             uerr_t *err)
{
    alter_rows_t r = {0};
    const char *args[2] = {a->table, a->schema};
    int rc = alter_exec(s,
                        "SELECT count(*), count(*) FILTER (WHERE is_unique) FROM duckdb_indexes() "
                        "WHERE database_name = current_database() AND lower(table_name) = "
                        "lower($1) AND schema_name = " ALTER_SCHEMA,
                        args, 2, &r, err);
    *yes = rc == 0 && r.n == 2 && r.v[0] && strcmp(r.v[0], "0") != 0;
    *unique = *yes && r.v[1] && strcmp(r.v[1], "0") != 0;
    alter_rows_free(&r);
    return rc;
}

/* ALTER COLUMN TYPE of a VARCHAR column to a varchar of some length: nothing to do. */
static int alter_type_is_noop(sess_t *s, const compat_alter_t *a, const compat_alter_step_t *st,
                              bool *noop, uerr_t *err)
{
    alter_rows_t r = {0};
    const char *args[3] = {a->table, a->schema, st->column};
    int rc = 0;
    *noop = false;
    if (!compat_type_is_varchar(st->type))
        return 0;
    rc = alter_exec(s,
                    "SELECT data_type FROM duckdb_columns() WHERE database_name = "
                    "current_database() AND lower(table_name) = lower($1) AND schema_name = "
                    "" ALTER_SCHEMA " AND lower(column_name) = lower($3)",
                    args, 3, &r, err);
    *noop = rc == 0 && r.n == 1 && r.v[0] && strcmp(r.v[0], "VARCHAR") == 0;
    alter_rows_free(&r);
    return rc;
}

int sess__fk_table_exists(sess_t *s, bool *yes, uerr_t *err)
{
    alter_rows_t r = {0};
    int rc = alter_exec(s,
                        "SELECT count(*) FROM duckdb_tables() WHERE database_name = "
                        "current_database() AND schema_name = 'duckd' AND table_name = "
                        "'foreign_keys'",
                        NULL, 0, &r, err);
    *yes = rc == 0 && r.n == 1 && r.v[0] && strcmp(r.v[0], "0") != 0;
    alter_rows_free(&r);
    return rc;
}

int sess__relation_exists(sess_t *s, const char *schema, const char *name, bool *yes, uerr_t *err)
{
    const char *params[2] = {name, schema};
    alter_rows_t r = {0};
    int rc = alter_exec(
        s,
        "SELECT count(*) FROM (SELECT schema_name AS s, index_name AS n FROM duckdb_indexes() "
        "WHERE database_name = current_database() UNION ALL SELECT schema_name, table_name FROM "
        "duckdb_tables() WHERE database_name = current_database() UNION ALL SELECT schema_name, "
        "view_name FROM duckdb_views() WHERE database_name = current_database() UNION ALL SELECT "
        "schema_name, sequence_name FROM duckdb_sequences() WHERE database_name = "
        "current_database()) WHERE n = $1 AND s = coalesce($2, current_schema())",
        params, 2, &r, err);
    *yes = rc != 0 || (r.n == 1 && r.v[0] && strcmp(r.v[0], "0") != 0);
    alter_rows_free(&r);
    return rc;
}

/* ADD CONSTRAINT ... FOREIGN KEY: checks the names, records it, tells the client. */
static int alter_add_fk(sess_t *s, const compat_alter_t *a, const compat_alter_step_t *st,
                        const sess_sink_t *sink, uerr_t *err)
{
    ubuf_t b = UBUF_INIT;
    alter_rows_t r = {0};
    int rc = -1;
    /* the columns on both sides must exist (the binder says which does not) */
    ubuf_printf(&b, "SELECT %s FROM %s LIMIT 0", st->fk_cols, a->qname);
    if (alter_exec(s, ubuf_cstr(&b), NULL, 0, NULL, err) != 0)
        goto out;
    ubuf_reset(&b);
    ubuf_printf(&b, "SELECT %s FROM %s LIMIT 0", st->fk_ref_cols ? st->fk_ref_cols : "*",
                st->fk_ref);
    if (alter_exec(s, ubuf_cstr(&b), NULL, 0, NULL, err) != 0)
        goto out;
    if (alter_exec(s, COMPAT_FK_SCHEMA_DDL, NULL, 0, NULL, err) != 0 ||
        alter_exec(s, COMPAT_FK_TABLE_DDL, NULL, 0, NULL, err) != 0)
        goto out;
    const char *args[3] = {a->table, a->schema, st->name};
    if (alter_exec(s,
                   "SELECT count(*) FROM duckd.foreign_keys WHERE lower(table_name) = lower($1) "
                   "AND schema_name = " ALTER_SCHEMA " AND constraint_name = $3",
                   args, 3, &r, err) != 0)
        goto out;
    if (r.n == 1 && r.v[0] && strcmp(r.v[0], "0") != 0) {
        uerr_set(err, "42710", "constraint \"%s\" for relation \"%s\" already exists", st->name,
                 a->table);
        goto out;
    }
    const char *row[4] = {a->table, a->schema, st->name, NULL};
    ubuf_reset(&b);
    ubuf_puts(&b, "INSERT INTO duckd.foreign_keys VALUES (" ALTER_SCHEMA ", $1, $3, ");
    /* the remaining values are SQL literals of text the client wrote */
    const char *vals[4] = {st->fk_cols, st->fk_ref, st->fk_ref_cols, st->fk_rules};
    for (size_t i = 0; i < 4; i++) {
        if (i)
            ubuf_puts(&b, ", ");
        if (!vals[i]) {
            ubuf_puts(&b, "NULL");
            continue;
        }
        ubuf_putc(&b, '\'');
        for (const char *c = vals[i]; *c; c++) {
            if (*c == '\'')
                ubuf_putc(&b, '\'');
            ubuf_putc(&b, *c);
        }
        ubuf_putc(&b, '\'');
    }
    ubuf_putc(&b, ')');
    if (alter_exec(s, ubuf_cstr(&b), row, 3, NULL, err) != 0)
        goto out;
    ubuf_reset(&b);
    ubuf_printf(&b,
                "foreign key constraint \"%s\" of table \"%s\" is recorded but not enforced: "
                "DuckDB cannot add a foreign key to an existing table",
                st->name, a->table);
    if (sink->notice && sink->notice(sink->ctx, "01000", ubuf_cstr(&b)) != 0)
        goto out;
    rc = 0;
out:
    alter_rows_free(&r);
    ubuf_free(&b);
    return rc;
}

/* DROP CONSTRAINT: a unique index of that name, or a recorded foreign key. */
static int alter_drop_constraint(sess_t *s, const compat_alter_t *a, const compat_alter_step_t *st,
                                 const sess_sink_t *sink, uerr_t *err)
{
    alter_rows_t r = {0};
    ubuf_t b = UBUF_INIT;
    const char *args[3] = {a->table, a->schema, st->name};
    bool fk_table = false;
    int rc = -1;
    if (alter_exec(s,
                   "SELECT schema_name FROM duckdb_indexes() WHERE database_name = "
                   "current_database() AND lower(table_name) = lower($1) AND schema_name = "
                   "" ALTER_SCHEMA " AND index_name = $3",
                   args, 3, &r, err) != 0)
        goto out;
    if (r.n == 1 && r.v[0]) {
        ubuf_puts(&b, "DROP INDEX ");
        alter_qname(&b, r.v[0], st->name);
        rc = alter_exec(s, ubuf_cstr(&b), NULL, 0, NULL, err);
        goto out;
    }
    alter_rows_free(&r);
    if (sess__fk_table_exists(s, &fk_table, err) != 0)
        goto out;
    if (fk_table) {
        if (alter_exec(s,
                       "DELETE FROM duckd.foreign_keys WHERE lower(table_name) = lower($1) AND "
                       "schema_name = " ALTER_SCHEMA " AND constraint_name = $3 RETURNING 1",
                       args, 3, &r, err) != 0)
            goto out;
        if (r.n > 0) {
            rc = 0;
            goto out;
        }
    }
    if (st->if_exists) {
        ubuf_printf(&b, "constraint \"%s\" of relation \"%s\" does not exist, skipping", st->name,
                    a->table);
        rc = sink->notice ? sink->notice(sink->ctx, "00000", ubuf_cstr(&b)) : 0;
        goto out;
    }
    uerr_set(err, "42704", "constraint \"%s\" of relation \"%s\" does not exist", st->name,
             a->table);
out:
    alter_rows_free(&r);
    ubuf_free(&b);
    return rc;
}

static int alter_step(sess_t *s, const compat_alter_t *a, const compat_alter_step_t *st,
                      const sess_sink_t *sink, uerr_t *err)
{
    bool flag = false, unique = false;
    switch (st->kind) {
    case CALT_ADD_FK: return alter_add_fk(s, a, st, sink, err);
    case CALT_DROP_CONSTRAINT: return alter_drop_constraint(s, a, st, sink, err);
    case CALT_ADD_UNIQUE: return alter_exec(s, st->sql, NULL, 0, NULL, err);
    case CALT_TRUNCATE: {
        /* DuckDB cannot restart a sequence its table owns: the (emptied) table is rebuilt,
         * which makes the sequences again from their start */
        compat_alter_t one = {.schema = st->column, .table = st->name};
        alter_serials_t z = {0};
        int r = 0;
        if (st->restart_identity) {
            alter_rows_t w = {0};
            const char *args[2] = {st->name, st->column};
            r = alter_exec(s,
                           "SELECT schema_name, table_name FROM duckdb_tables() WHERE "
                           "database_name = current_database() AND lower(table_name) = lower($1) "
                           "AND schema_name = " ALTER_SCHEMA,
                           args, 2, &w, err);
            if (r == 0 && w.n == 2)
                r = alter_serials_load(s, w.v[0], w.v[1], &z, err);
            alter_rows_free(&w);
        }
        if (r == 0)
            r = z.cols.n ? alter_rebuild(s, &one, st, err)
                         : alter_exec(s, st->sql, NULL, 0, NULL, err);
        alter_serials_free(&z);
        return r;
    }
    case CALT_FORGET_FKS: {
        const char *args[2] = {st->name, st->column};
        if (sess__fk_table_exists(s, &flag, err) != 0)
            return -1;
        return flag ? alter_exec(s,
                                 "DELETE FROM duckd.foreign_keys WHERE lower(table_name) = "
                                 "lower($1) AND schema_name = " ALTER_SCHEMA,
                                 args, 2, NULL, err)
                    : 0;
    }
    case CALT_TYPE:
        if (alter_type_is_noop(s, a, st, &flag, err) != 0)
            return -1;
        if (flag)
            return 0;
        break;
    case CALT_DUCKDB: break;
    }
    if (st->rebuild_indexes) {
        if (alter_has_indexes(s, a, &flag, &unique, err) != 0)
            return -1;
        if (flag)
            return st->rebuild_table || (unique && st->action) ? alter_rebuild(s, a, st, err)
                                                               : alter_with_indexes(s, a, st, err);
    }
    return alter_exec(s, st->sql, NULL, 0, NULL, err);
}

int sess__alter_run(sess_t *s, const compat_alter_t *a, const sess_sink_t *sink, uerr_t *err)
{
    bool own = s->txn == 'I' && !s->itx && s->alone && !s->pend;
    bool exists = true;
    int rc = -1;
    if (sess__yield_stream(s, err) != 0)
        return -1;
    if (own ? sess__run_plain(s, "BEGIN", err) != 0 : sess__unit_enter(s, sink, err) != 0)
        return -1;
    if (a->if_exists && !a->drop_table) { /* DuckDB's DROP TABLE IF EXISTS says it itself */
        alter_rows_t r = {0};
        const char *args[2] = {a->table, a->schema};
        rc = alter_exec(s,
                        "SELECT count(*) FROM duckdb_tables() WHERE database_name = "
                        "current_database() AND lower(table_name) = lower($1) AND schema_name "
                        "= " ALTER_SCHEMA,
                        args, 2, &r, err);
        exists = rc == 0 && r.n == 1 && r.v[0] && strcmp(r.v[0], "0") != 0;
        alter_rows_free(&r);
        if (rc != 0)
            goto out;
        rc = -1;
        if (!exists && sink->notice) {
            ubuf_t b = UBUF_INIT;
            ubuf_printf(&b, "relation \"%s\" does not exist, skipping", a->table);
            int r2 = sink->notice(sink->ctx, "00000", ubuf_cstr(&b));
            ubuf_free(&b);
            if (r2 != 0)
                goto out;
        }
    }
    for (size_t i = 0; exists && i < a->nsteps; i++)
        if (alter_step(s, a, &a->steps[i], sink, err) != 0)
            goto out;
    rc = 0;
out:
    if (own) {
        uerr_t ignored = UERR_INIT;
        if (rc == 0)
            rc = sess__run_plain(s, "COMMIT", err);
        if (rc != 0 && sess__run_plain(s, "ROLLBACK", &ignored) != 0)
            uerr_clear(&ignored);
        uerr_clear(&ignored);
        if (rc == 0 && s->env->gc)
            gc_schema_changed(s->env->gc);
    } else {
        s->ddl = true;
    }
    return rc;
}
