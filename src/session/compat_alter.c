/* PostgreSQL's ALTER TABLE and CREATE INDEX turned into steps DuckDB can run (see
 * compat_alter.h). Works on sqlscan tokens, so quoted names and literals are never split. */
#include "session/compat_alter.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "session/sqlscan.h"
#include "util/buf.h"
#include "util/xalloc.h"

/* Statements longer than this many tokens pass to DuckDB unchanged. */
#define CALT_MAX_TOKENS 4096

/* The buffer's text, owned by the caller; the buffer is left empty for reuse. */
static char *calt_take(ubuf_t *b)
{
    ubuf_cstr(b);
    char *s = b->data;
    *b = (ubuf_t)UBUF_INIT;
    return s;
}

static bool calt_scan(sqlscan_toks_t *k, const char *s, size_t n)
{
    return sqlscan_toks(k, s, n, CALT_MAX_TOKENS);
}

/* The text of tokens [a, b) as written (with the original spacing). */
static char *cspan(const sqlscan_toks_t *k, size_t a, size_t b)
{
    if (a >= b)
        return xstrdup("");
    size_t from = k->t[a].start, to = k->t[b - 1].start + k->t[b - 1].len;
    return xstrndup(k->s + from, to - from);
}

/* The last token of the [catalog.][schema.]name that starts at i, or 0 when there is no name
 * there or it has more than three parts. */
static size_t calt_qname_last(const sqlscan_toks_t *k, size_t i)
{
    size_t at = i;
    if (!sqlscan_tk_name(k, i))
        return 0;
    while (sqlscan_tk_op(k, i + 1, ".") && sqlscan_tk_name(k, i + 2))
        i += 2;
    return i - at > 2 ? 0 : i;
}

/* Index just past a parenthesised group starting at i (which must be "("), or 0. */
static size_t cskip_parens(const sqlscan_toks_t *k, size_t i)
{
    int depth = 0;
    for (; i < k->nt; i++) {
        if (sqlscan_tk_op(k, i, "(") || sqlscan_tk_op(k, i, "["))
            depth++;
        else if ((sqlscan_tk_op(k, i, ")") || sqlscan_tk_op(k, i, "]")) && --depth == 0)
            return i + 1;
    }
    return 0;
}

void compat_alter_free(compat_alter_t *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->nsteps; i++) {
        compat_alter_step_t *st = &a->steps[i];
        free(st->sql);
        free(st->action);
        free(st->name);
        free(st->column);
        free(st->type);
        free(st->using_expr);
        free(st->rename_from);
        free(st->rename_to);
        free(st->fk_cols);
        free(st->fk_ref);
        free(st->fk_ref_cols);
        free(st->fk_rules);
    }
    free(a->steps);
    free(a->schema);
    free(a->table);
    free(a->qname);
    free(a);
}

bool compat_type_is_varchar(const char *type)
{
    static const char *const names[] = {
        "varchar", "character varying", "char varying", "text", "string",
        "bpchar",  "character",         "char"};
    size_t n = strcspn(type, "(");
    while (n > 0 && (type[n - 1] == ' ' || type[n - 1] == '\t'))
        n--;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i]) == n && strncasecmp(type, names[i], n) == 0)
            return true;
    return false;
}

static compat_alter_step_t *calt_add(compat_alter_t *a, compat_alter_kind_t kind)
{
    a->steps = xrealloc(a->steps, (a->nsteps + 1) * sizeof *a->steps);
    compat_alter_step_t *st = &a->steps[a->nsteps++];
    memset(st, 0, sizeof *st);
    st->kind = kind;
    return st;
}

/* "ALTER TABLE [IF EXISTS] name " + the action's tokens [a, b). */
static char *calt_sql(const compat_alter_t *a, const sqlscan_toks_t *k, size_t from, size_t to)
{
    ubuf_t b = UBUF_INIT;
    char *act = cspan(k, from, to);
    ubuf_printf(&b, "ALTER TABLE %s%s %s", a->if_exists ? "IF EXISTS " : "", a->qname, act);
    free(act);
    return calt_take(&b);
}

/* The contents of the parenthesised column list at i ("(a, b)") as written, or NULL. *next is
 * set past it. */
static char *calt_collist(const sqlscan_toks_t *k, size_t i, size_t *next)
{
    size_t end;
    if (!sqlscan_tk_op(k, i, "(") || (end = cskip_parens(k, i)) == 0 || end - i < 3)
        return NULL;
    *next = end;
    return cspan(k, i + 1, end - 1);
}

/* ADD [CONSTRAINT name] {UNIQUE | FOREIGN KEY | PRIMARY KEY} ...: tokens [i, end). */
static bool calt_add_constraint(compat_alter_t *a, const sqlscan_toks_t *k, size_t i, size_t end)
{
    char *name = NULL;
    size_t j = i;
    if (sqlscan_tk_kw(k, j, "CONSTRAINT")) {
        if (!sqlscan_tk_name(k, j + 1))
            return false;
        name = sqlscan_tk_ident(k, j + 1);
        j += 2;
    }
    if (sqlscan_tk_kw(k, j, "UNIQUE") ||
        (sqlscan_tk_kw(k, j, "PRIMARY") && sqlscan_tk_kw(k, j + 1, "KEY"))) {
        bool pk = sqlscan_tk_kw(k, j, "PRIMARY");
        size_t next;
        char *cols = calt_collist(k, j + (pk ? 2 : 1), &next);
        if (!cols) {
            free(name);
            return false;
        }
        compat_alter_step_t *st = calt_add(a, pk ? CALT_DUCKDB : CALT_ADD_UNIQUE);
        ubuf_t b = UBUF_INIT;
        if (pk) {
            /* DuckDB names the key itself */
            ubuf_printf(&b, "ALTER TABLE %s ADD PRIMARY KEY (%s)", a->qname, cols);
            ubuf_t ab = UBUF_INIT;
            ubuf_printf(&ab, "ADD PRIMARY KEY (%s)", cols);
            st->action = calt_take(&ab);
            st->rebuild_indexes = true;
            free(name);
        } else {
            if (!name) { /* PostgreSQL's default name: table_col_key */
                ubuf_t nb = UBUF_INIT;
                ubuf_printf(&nb, "%s_", a->table);
                for (const char *c = cols; *c; c++)
                    if (*c != '"' && *c != ' ')
                        ubuf_putc(&nb, *c == ',' ? '_' : *c);
                ubuf_puts(&nb, "_key");
                name = calt_take(&nb);
            }
            ubuf_puts(&b, "CREATE UNIQUE INDEX \"");
            for (const char *c = name; *c; c++) {
                if (*c == '"')
                    ubuf_putc(&b, '"');
                ubuf_putc(&b, *c);
            }
            ubuf_printf(&b, "\" ON %s (%s)", a->qname, cols);
            st->name = name;
        }
        st->sql = calt_take(&b);
        free(cols);
        /* DEFERRABLE / INITIALLY ... / USING INDEX TABLESPACE: nothing DuckDB can honour */
        return true;
    }
    if (sqlscan_tk_kw(k, j, "FOREIGN") && sqlscan_tk_kw(k, j + 1, "KEY")) {
        size_t next, r;
        char *cols = calt_collist(k, j + 2, &next);
        if (!cols || !sqlscan_tk_kw(k, next, "REFERENCES") || !sqlscan_tk_name(k, next + 1)) {
            free(cols);
            free(name);
            return false;
        }
        r = next + 2;
        while (sqlscan_tk_op(k, r, ".") && sqlscan_tk_name(k, r + 1))
            r += 2;
        compat_alter_step_t *st = calt_add(a, CALT_ADD_FK);
        st->fk_cols = cols;
        st->fk_ref = cspan(k, next + 1, r);
        if (sqlscan_tk_op(k, r, "("))
            st->fk_ref_cols = calt_collist(k, r, &r);
        st->fk_rules = cspan(k, r, end);
        if (!name) {
            ubuf_t nb = UBUF_INIT;
            ubuf_printf(&nb, "%s_", a->table);
            for (const char *c = cols; *c; c++)
                if (*c != '"' && *c != ' ')
                    ubuf_putc(&nb, *c == ',' ? '_' : *c);
            ubuf_puts(&nb, "_fkey");
            name = calt_take(&nb);
        }
        st->name = name;
        return true;
    }
    free(name);
    return false;
}

/* One action: tokens [i, end). */
static bool calt_action(compat_alter_t *a, const sqlscan_toks_t *k, size_t i, size_t end)
{
    if (sqlscan_tk_kw(k, i, "ADD") &&
        (sqlscan_tk_kw(k, i + 1, "CONSTRAINT") || sqlscan_tk_kw(k, i + 1, "UNIQUE") ||
         sqlscan_tk_kw(k, i + 1, "FOREIGN") ||
         (sqlscan_tk_kw(k, i + 1, "PRIMARY") && sqlscan_tk_kw(k, i + 2, "KEY"))))
        return calt_add_constraint(a, k, i + 1, end);
    if (sqlscan_tk_kw(k, i, "DROP") && sqlscan_tk_kw(k, i + 1, "CONSTRAINT")) {
        size_t j = i + 2;
        bool ife = sqlscan_tk_kw(k, j, "IF") && sqlscan_tk_kw(k, j + 1, "EXISTS");
        if (ife)
            j += 2;
        if (!sqlscan_tk_name(k, j))
            return false;
        compat_alter_step_t *st = calt_add(a, CALT_DROP_CONSTRAINT);
        st->name = sqlscan_tk_ident(k, j);
        st->if_exists = ife;
        return true;
    }
    if (sqlscan_tk_kw(k, i, "ADD")) {
        /* ADD [COLUMN] [IF NOT EXISTS] name type ... [NOT] NULL: DuckDB takes no NOT NULL
         * here, so the column is added and then made NOT NULL */
        size_t j = i + 1 + sqlscan_tk_kw(k, i + 1, "COLUMN");
        if (sqlscan_tk_kw(k, j, "IF") && sqlscan_tk_kw(k, j + 1, "NOT") &&
            sqlscan_tk_kw(k, j + 2, "EXISTS"))
            j += 3;
        if (!sqlscan_tk_name(k, j))
            return false;
        size_t col = j;
        ubuf_t b = UBUF_INIT;
        bool not_null = false;
        ubuf_printf(&b, "ALTER TABLE %s%s ", a->if_exists ? "IF EXISTS " : "", a->qname);
        size_t from = i;
        for (size_t t = col + 1; t < end; t++) {
            if (sqlscan_tk_op(k, t, "(")) {
                size_t e = cskip_parens(k, t);
                if (!e)
                    break;
                t = e - 1;
                continue;
            }
            bool nn = sqlscan_tk_kw(k, t, "NOT") && sqlscan_tk_kw(k, t + 1, "NULL");
            if (nn || sqlscan_tk_kw(k, t, "NULL")) {
                char *part = cspan(k, from, t);
                ubuf_puts(&b, part);
                ubuf_putc(&b, ' ');
                free(part);
                not_null |= nn;
                t += nn;
                from = t + 1;
            }
        }
        char *rest = cspan(k, from, end);
        ubuf_puts(&b, rest);
        free(rest);
        compat_alter_step_t *st = calt_add(a, CALT_DUCKDB);
        st->sql = calt_take(&b);
        if (not_null) {
            char *c = cspan(k, col, col + 1);
            st = calt_add(a, CALT_DUCKDB);
            ubuf_t nb = UBUF_INIT;
            ubuf_printf(&nb, "ALTER TABLE %s ALTER COLUMN %s SET NOT NULL", a->qname, c);
            st->sql = calt_take(&nb);
            ubuf_printf(&nb, "ALTER COLUMN %s SET NOT NULL", c);
            st->action = calt_take(&nb);
            st->rebuild_indexes = true;
            free(c);
        }
        return true;
    }
    compat_alter_step_t *st;
    if (sqlscan_tk_kw(k, i, "ALTER")) {
        size_t j = i + 1 + sqlscan_tk_kw(k, i + 1, "COLUMN");
        if (!sqlscan_tk_name(k, j))
            return false;
        size_t ty = 0;
        if (sqlscan_tk_kw(k, j + 1, "TYPE"))
            ty = j + 2;
        else if (sqlscan_tk_kw(k, j + 1, "SET") && sqlscan_tk_kw(k, j + 2, "DATA") &&
                 sqlscan_tk_kw(k, j + 3, "TYPE"))
            ty = j + 4;
        if (ty) {
            size_t te = ty;
            while (te < end && !sqlscan_tk_kw(k, te, "USING") && !sqlscan_tk_kw(k, te, "COLLATE"))
                te++;
            st = calt_add(a, CALT_TYPE);
            st->column = sqlscan_tk_ident(k, j);
            st->type = cspan(k, ty, te);
            if (sqlscan_tk_kw(k, te, "USING") && te + 1 < end)
                st->using_expr = cspan(k, te + 1, end);
            st->rebuild_indexes = st->rebuild_table = true;
        } else {
            st = calt_add(a, CALT_DUCKDB);
            /* SET/DROP NOT NULL: refused on an indexed table; SET/DROP DEFAULT are not */
            st->rebuild_indexes = !sqlscan_tk_kw(k, j + 2, "DEFAULT");
        }
        st->sql = calt_sql(a, k, i, end);
        st->action = cspan(k, i, end);
        return true;
    }
    st = calt_add(a, CALT_DUCKDB);
    st->sql = calt_sql(a, k, i, end);
    st->action = cspan(k, i, end);
    if (sqlscan_tk_kw(k, i, "DROP")) {
        size_t j = i + 1 + sqlscan_tk_kw(k, i + 1, "COLUMN");
        if (sqlscan_tk_kw(k, j, "IF") && sqlscan_tk_kw(k, j + 1, "EXISTS"))
            j += 2;
        if (sqlscan_tk_name(k, j))
            st->column = sqlscan_tk_ident(k, j);
        st->rebuild_indexes = st->rebuild_table = st->column != NULL;
    } else if (sqlscan_tk_kw(k, i, "RENAME")) {
        size_t j = i + 1;
        if (sqlscan_tk_kw(k, j, "TO") && sqlscan_tk_name(k, j + 1)) {
            st->rename_to = sqlscan_tk_ident(k, j + 1);
        } else {
            j += sqlscan_tk_kw(k, j, "COLUMN");
            if (sqlscan_tk_name(k, j) && sqlscan_tk_kw(k, j + 1, "TO") &&
                sqlscan_tk_name(k, j + 2)) {
                st->rename_from = sqlscan_tk_ident(k, j);
                st->rename_to = sqlscan_tk_ident(k, j + 2);
            }
        }
        st->rebuild_indexes = true;
    }
    return true;
}

compat_alter_t *compat_alter_parse(const char *stmt, size_t len)
{
    sqlscan_toks_t k;
    compat_alter_t *a = NULL;
    size_t i = 2, name_at;
    bool ok = false;
    if (!calt_scan(&k, stmt, len) || !sqlscan_tk_kw(&k, 0, "ALTER") ||
        !sqlscan_tk_kw(&k, 1, "TABLE"))
        goto out;
    a = xcalloc(1, sizeof *a);
    if (sqlscan_tk_kw(&k, i, "IF") && sqlscan_tk_kw(&k, i + 1, "EXISTS")) {
        a->if_exists = true;
        i += 2;
    }
    if (sqlscan_tk_kw(&k, i, "ONLY"))
        i++;
    if (!sqlscan_tk_name(&k, i))
        goto out;
    name_at = i;
    while (sqlscan_tk_op(&k, i + 1, ".") && sqlscan_tk_name(&k, i + 2))
        i += 2;
    if (i - name_at > 2) /* catalog.schema.table */
        goto out;
    a->table = sqlscan_tk_ident(&k, i);
    if (i > name_at)
        a->schema = sqlscan_tk_ident(&k, i - 2);
    a->qname = cspan(&k, name_at, i + 1);
    i++;
    if (sqlscan_tk_op(&k, i, "*"))
        i++;
    /* ALTER TABLE ... SET SCHEMA / RENAME / ... of one action that DuckDB runs as it is and
     * that no index blocks: not planned */
    if (i >= k.nt)
        goto out;
    for (size_t start = i; start < k.nt;) {
        size_t e = start;
        while (e < k.nt && !sqlscan_tk_op(&k, e, ",")) {
            if (sqlscan_tk_op(&k, e, "(")) {
                size_t p = cskip_parens(&k, e);
                if (!p)
                    goto out;
                e = p;
                continue;
            }
            e++;
        }
        if (e == start || !calt_action(a, &k, start, e))
            goto out;
        start = e + 1;
    }
    /* a lone action DuckDB runs unchanged and no index can block needs no plan */
    if (a->nsteps == 1 && a->steps[0].kind == CALT_DUCKDB && !a->steps[0].rebuild_indexes &&
        !sqlscan_tk_kw(&k, i, "ADD"))
        goto out;
    ok = true;
out:
    sqlscan_toks_free(&k);
    if (!ok) {
        compat_alter_free(a);
        a = NULL;
    }
    return a;
}

/* A step of `kind` for the table named by tokens [at, last]: its name and schema as PostgreSQL
 * reads them; the plan's table is the first one. Returns the step. */
static compat_alter_step_t *calt_table_step(compat_alter_t *a, const sqlscan_toks_t *k, size_t at,
                                            size_t last, compat_alter_kind_t kind)
{
    compat_alter_step_t *st = calt_add(a, kind);
    st->name = sqlscan_tk_ident(k, last);
    if (last > at)
        st->column = sqlscan_tk_ident(k, last - 2);
    if (!a->table) {
        a->table = sqlscan_tk_ident(k, last);
        a->qname = cspan(k, at, last + 1);
    }
    return st;
}

compat_alter_t *compat_drop_table_parse(const char *stmt, size_t len)
{
    sqlscan_toks_t k;
    compat_alter_t *a = NULL;
    size_t i = 2, first;
    const char *tail = "";
    bool ok = false;
    if (!calt_scan(&k, stmt, len) || !sqlscan_tk_kw(&k, 0, "DROP") ||
        !sqlscan_tk_kw(&k, 1, "TABLE"))
        goto out;
    a = xcalloc(1, sizeof *a);
    a->drop_table = true;
    if (sqlscan_tk_kw(&k, i, "IF") && sqlscan_tk_kw(&k, i + 1, "EXISTS")) {
        a->if_exists = true;
        i += 2;
    }
    first = i;
    /* the names, then CASCADE / RESTRICT */
    for (;;) {
        if (!(i = calt_qname_last(&k, i)))
            goto out;
        i++;
        if (!sqlscan_tk_op(&k, i, ","))
            break;
        i++;
    }
    if (i + 1 == k.nt && (sqlscan_tk_kw(&k, i, "CASCADE") || sqlscan_tk_kw(&k, i, "RESTRICT")))
        tail = sqlscan_tk_kw(&k, i, "CASCADE") ? " CASCADE" : " RESTRICT";
    else if (i != k.nt)
        goto out;
    /* DuckDB drops one table per statement: one DROP and one forget per name */
    for (i = first;;) {
        size_t at = i;
        i = calt_qname_last(&k, i);
        char *q = cspan(&k, at, i + 1);
        ubuf_t b = UBUF_INIT;
        ubuf_printf(&b, "DROP TABLE %s%s%s", a->if_exists ? "IF EXISTS " : "", q, tail);
        free(q);
        calt_add(a, CALT_DUCKDB)->sql = calt_take(&b);
        calt_table_step(a, &k, at, i, CALT_FORGET_FKS);
        i++;
        if (!sqlscan_tk_op(&k, i, ","))
            break;
        i++;
    }
    ok = true;
out:
    sqlscan_toks_free(&k);
    if (!ok) {
        compat_alter_free(a);
        a = NULL;
    }
    return a;
}

compat_alter_t *compat_truncate_parse(const char *stmt, size_t len)
{
    sqlscan_toks_t k;
    compat_alter_t *a = NULL;
    size_t i = 1;
    bool ok = false, restart = false;
    if (!calt_scan(&k, stmt, len) || !sqlscan_tk_kw(&k, 0, "TRUNCATE"))
        goto out;
    a = xcalloc(1, sizeof *a);
    if (sqlscan_tk_kw(&k, i, "TABLE"))
        i++;
    /* the options first: they apply to every table */
    size_t end = k.nt;
    while (end > i) {
        if (sqlscan_tk_kw(&k, end - 1, "CASCADE") || sqlscan_tk_kw(&k, end - 1, "RESTRICT"))
            end--;
        else if (end - i >= 2 && sqlscan_tk_kw(&k, end - 1, "IDENTITY") &&
                 (sqlscan_tk_kw(&k, end - 2, "RESTART") ||
                  sqlscan_tk_kw(&k, end - 2, "CONTINUE"))) {
            restart |= sqlscan_tk_kw(&k, end - 2, "RESTART");
            end -= 2;
        } else {
            break;
        }
    }
    for (;;) {
        if (sqlscan_tk_kw(&k, i, "ONLY"))
            i++;
        size_t at = i;
        if (!(i = calt_qname_last(&k, i)))
            goto out;
        char *q = cspan(&k, at, i + 1);
        ubuf_t b = UBUF_INIT;
        ubuf_printf(&b, "DELETE FROM %s", q);
        free(q);
        compat_alter_step_t *st = calt_table_step(a, &k, at, i, CALT_TRUNCATE);
        st->sql = calt_take(&b);
        st->restart_identity = restart;
        i++;
        if (sqlscan_tk_op(&k, i, "*"))
            i++;
        if (i == end)
            break;
        if (!sqlscan_tk_op(&k, i, ","))
            goto out;
        i++;
    }
    ok = true;
out:
    sqlscan_toks_free(&k);
    if (!ok) {
        compat_alter_free(a);
        a = NULL;
    }
    return a;
}

/* ---- CREATE TABLE's foreign keys (foreign_keys = record) ---- */

/* Appends 'text' as a SQL string literal (NULL as NULL). */
static void calt_literal(ubuf_t *b, const char *text)
{
    if (!text) {
        ubuf_puts(b, "NULL");
        return;
    }
    ubuf_putc(b, '\'');
    for (const char *c = text; *c; c++) {
        if (*c == '\'')
            ubuf_putc(b, '\'');
        ubuf_putc(b, *c);
    }
    ubuf_putc(b, '\'');
}

typedef struct {
    char **v;
    size_t n;
} calt_list_t;

static void calt_push(calt_list_t *l, char *s)
{
    l->v = xrealloc(l->v, (l->n + 1) * sizeof *l->v);
    l->v[l->n++] = s;
}

/* The statements that check one key's columns and record it. */
static void calt_fk_record(calt_list_t *l, const char *schema, const char *table, const char *qname,
                           const char *name, const char *cols, const char *ref,
                           const char *ref_cols, const char *rules)
{
    ubuf_t b = UBUF_INIT;
    ubuf_printf(&b, "SELECT %s FROM %s LIMIT 0", cols, qname);
    calt_push(l, calt_take(&b));
    ubuf_printf(&b, "SELECT %s FROM %s LIMIT 0", ref_cols ? ref_cols : "*", ref);
    calt_push(l, calt_take(&b));
    ubuf_puts(&b, "INSERT INTO duckd.foreign_keys SELECT coalesce(");
    calt_literal(&b, schema);
    ubuf_puts(&b, ", current_schema()), ");
    const char *vals[6] = {table, name, cols, ref, ref_cols, rules};
    for (size_t i = 0; i < 6; i++) {
        if (i)
            ubuf_puts(&b, ", ");
        calt_literal(&b, vals[i]);
    }
    /* CREATE TABLE IF NOT EXISTS of an existing table keeps its records */
    ubuf_puts(&b, " WHERE NOT EXISTS (SELECT 1 FROM duckd.foreign_keys f WHERE "
                  "f.constraint_name = ");
    calt_literal(&b, name);
    ubuf_puts(&b, " AND lower(f.table_name) = lower(");
    calt_literal(&b, table);
    ubuf_puts(&b, ") AND f.schema_name = coalesce(");
    calt_literal(&b, schema);
    ubuf_puts(&b, ", current_schema()))");
    calt_push(l, calt_take(&b));
}

/* PostgreSQL's default name of a key: table_col1_col2_fkey. */
static char *calt_fk_name(const char *table, const char *cols)
{
    ubuf_t nb = UBUF_INIT;
    ubuf_printf(&nb, "%s_", table);
    for (const char *c = cols; *c; c++)
        if (*c != '"' && *c != ' ')
            ubuf_putc(&nb, *c == ',' ? '_' : *c);
    ubuf_puts(&nb, "_fkey");
    return calt_take(&nb);
}

/* Past the referential actions of a REFERENCES clause whose target ends before i. */
static size_t calt_fk_tail(const sqlscan_toks_t *k, size_t i, size_t end)
{
    for (;;) {
        if (i < end && sqlscan_tk_kw(k, i, "MATCH"))
            i += 2;
        else if (sqlscan_tk_kw(k, i, "ON") &&
                 (sqlscan_tk_kw(k, i + 1, "DELETE") || sqlscan_tk_kw(k, i + 1, "UPDATE"))) {
            i += 2;
            if (sqlscan_tk_kw(k, i, "NO") || sqlscan_tk_kw(k, i, "SET"))
                i++;
            i++;
        } else if (sqlscan_tk_kw(k, i, "DEFERRABLE"))
            i++;
        else if (sqlscan_tk_kw(k, i, "NOT") && sqlscan_tk_kw(k, i + 1, "DEFERRABLE"))
            i += 2;
        else if (sqlscan_tk_kw(k, i, "INITIALLY"))
            i += 2;
        else
            return i < end ? i : end;
    }
}

char *compat_fk_split(const char *stmt, size_t len, char ***out, size_t *nout)
{
    sqlscan_toks_t k;
    calt_list_t rec = {0};
    ubuf_t b = UBUF_INIT;
    char *result = NULL, *schema = NULL, *table = NULL, *qname = NULL;
    size_t i = 1, name_at, open, close;
    bool if_not_exists = false, any = false;
    *out = NULL;
    *nout = 0;
    if (!calt_scan(&k, stmt, len) || !sqlscan_tk_kw(&k, 0, "CREATE"))
        goto done;
    if (sqlscan_tk_kw(&k, i, "OR") && sqlscan_tk_kw(&k, i + 1, "REPLACE"))
        i += 2;
    if (!sqlscan_tk_kw(&k, i, "TABLE")) /* TEMP, UNLOGGED, ...: DuckDB keeps a TEMP table's keys */
        goto done;
    i++;
    if (sqlscan_tk_kw(&k, i, "IF") && sqlscan_tk_kw(&k, i + 1, "NOT") &&
        sqlscan_tk_kw(&k, i + 2, "EXISTS")) {
        if_not_exists = true;
        i += 3;
    }
    if (!sqlscan_tk_name(&k, i))
        goto done;
    name_at = i;
    while (sqlscan_tk_op(&k, i + 1, ".") && sqlscan_tk_name(&k, i + 2))
        i += 2;
    if (i - name_at > 2)
        goto done;
    table = sqlscan_tk_ident(&k, i);
    schema = i > name_at ? sqlscan_tk_ident(&k, i - 2) : NULL;
    qname = cspan(&k, name_at, i + 1);
    open = i + 1;
    if (!sqlscan_tk_op(&k, open, "(") || !(close = cskip_parens(&k, open)))
        goto done;
    close--; /* the ")" */
    ubuf_append(&b, stmt, k.t[open].start + 1);
    bool first = true;
    for (size_t e = open + 1; e < close;) {
        size_t end = e;
        while (end < close && !sqlscan_tk_op(&k, end, ",")) {
            if (sqlscan_tk_op(&k, end, "(") || sqlscan_tk_op(&k, end, "[")) {
                size_t p = cskip_parens(&k, end);
                if (!p || p > close)
                    goto done;
                end = p;
                continue;
            }
            end++;
        }
        size_t c = e, keep_to = end;
        char *name = NULL, *cols = NULL, *ref = NULL, *ref_cols = NULL, *rules = NULL;
        if (sqlscan_tk_kw(&k, c, "CONSTRAINT") && sqlscan_tk_name(&k, c + 1)) {
            name = sqlscan_tk_ident(&k, c + 1);
            c += 2;
        }
        if (sqlscan_tk_kw(&k, c, "FOREIGN") && sqlscan_tk_kw(&k, c + 1, "KEY")) {
            size_t r;
            cols = calt_collist(&k, c + 2, &r);
            if (!cols || !sqlscan_tk_kw(&k, r, "REFERENCES") || !sqlscan_tk_name(&k, r + 1)) {
                free(name);
                free(cols);
                goto done;
            }
            keep_to = e; /* the whole element goes */
            c = r;
        } else {
            free(name);
            name = NULL;
            /* a column: [CONSTRAINT n] REFERENCES ... among its constraints */
            size_t j = e + 1;
            while (j < end && !sqlscan_tk_kw(&k, j, "REFERENCES")) {
                if (sqlscan_tk_op(&k, j, "(")) {
                    j = cskip_parens(&k, j);
                    continue;
                }
                j++;
            }
            if (j >= end) {
                c = end;
            } else {
                keep_to = j;
                if (j >= e + 2 && sqlscan_tk_kw(&k, j - 2, "CONSTRAINT")) {
                    keep_to = j - 2;
                    name = sqlscan_tk_ident(&k, j - 1);
                }
                cols = sqlscan_tk_ident(&k, e);
                c = j;
                /* quoted, as written */
                free(cols);
                cols = cspan(&k, e, e + 1);
            }
        }
        if (c < end && sqlscan_tk_kw(&k, c, "REFERENCES")) {
            size_t r = c + 1;
            if (!sqlscan_tk_name(&k, r)) {
                free(name);
                free(cols);
                goto done;
            }
            while (sqlscan_tk_op(&k, r + 1, ".") && sqlscan_tk_name(&k, r + 2))
                r += 2;
            ref = cspan(&k, c + 1, r + 1);
            r++;
            if (sqlscan_tk_op(&k, r, "("))
                ref_cols = calt_collist(&k, r, &r);
            size_t t = calt_fk_tail(&k, r, end);
            rules = cspan(&k, r, t);
            if (!name)
                name = calt_fk_name(table, cols);
            calt_fk_record(&rec, schema, table, qname, name, cols, ref, ref_cols, rules);
            any = true;
            /* the rest of a column's constraints stay */
            if (keep_to > e) {
                if (!first)
                    ubuf_puts(&b, ", ");
                first = false;
                char *head = cspan(&k, e, keep_to), *tail = cspan(&k, t, end);
                ubuf_printf(&b, "%s%s%s", head, *tail ? " " : "", tail);
                free(head);
                free(tail);
            }
        } else {
            if (!first)
                ubuf_puts(&b, ", ");
            first = false;
            char *el = cspan(&k, e, end);
            ubuf_puts(&b, el);
            free(el);
        }
        free(name);
        free(cols);
        free(ref);
        free(ref_cols);
        free(rules);
        e = end + 1;
    }
    if (!any || first)
        goto done;
    ubuf_append(&b, stmt + k.t[close].start, len - k.t[close].start);
    result = calt_take(&b);
    /* records of a table of the same name dropped behind duckd's back go first */
    calt_list_t all = {0};
    calt_push(&all, xstrdup(COMPAT_FK_SCHEMA_DDL));
    calt_push(&all, xstrdup(COMPAT_FK_TABLE_DDL));
    if (!if_not_exists) {
        ubuf_puts(&b, "DELETE FROM duckd.foreign_keys WHERE lower(table_name) = lower(");
        calt_literal(&b, table);
        ubuf_puts(&b, ") AND schema_name = coalesce(");
        calt_literal(&b, schema);
        ubuf_puts(&b, ", current_schema())");
        calt_push(&all, calt_take(&b));
    }
    for (size_t r = 0; r < rec.n; r++) {
        calt_push(&all, rec.v[r]);
        rec.v[r] = NULL;
    }
    *out = all.v;
    *nout = all.n;
done:
    for (size_t r = 0; r < rec.n; r++)
        free(rec.v[r]);
    free(rec.v);
    ubuf_free(&b);
    free(schema);
    free(table);
    free(qname);
    sqlscan_toks_free(&k);
    return result;
}

/* ---- CREATE INDEX ---- */

static bool calt_is_opclass(const sqlscan_toks_t *k, size_t i)
{
    if (i >= k->nt || k->t[i].kind != SQLT_WORD || k->t[i].len < 5)
        return false;
    return strncasecmp(k->s + k->t[i].start + k->t[i].len - 4, "_ops", 4) == 0;
}

char *compat_index_rewrite(const char *stmt, size_t len)
{
    sqlscan_toks_t k;
    char *out = NULL;
    size_t i = 1;
    bool *drop = NULL, changed = false;
    if (!calt_scan(&k, stmt, len) || !sqlscan_tk_kw(&k, 0, "CREATE"))
        goto done;
    if (sqlscan_tk_kw(&k, i, "UNIQUE"))
        i++;
    if (!sqlscan_tk_kw(&k, i, "INDEX"))
        goto done;
    drop = xcalloc(k.nt, sizeof *drop);
    while (i < k.nt && !sqlscan_tk_kw(&k, i, "ON"))
        i++;
    if (sqlscan_tk_kw(&k, i + 1, "ONLY")) {
        drop[i + 1] = changed = true;
    }
    while (i < k.nt && !sqlscan_tk_op(&k, i, "(") && !sqlscan_tk_kw(&k, i, "USING"))
        i++;
    if (sqlscan_tk_kw(&k, i, "USING") &&
        (sqlscan_tk_kw(&k, i + 1, "btree") || sqlscan_tk_kw(&k, i + 1, "hash"))) {
        drop[i] = drop[i + 1] = changed = true;
        i += 2;
    }
    if (!sqlscan_tk_op(&k, i, "("))
        goto done;
    size_t end = cskip_parens(&k, i);
    if (!end)
        goto done;
    /* an operator class follows an element: at depth 1, a word ending in _ops right before
     * "," / ")" / ASC / DESC / NULLS */
    int depth = 0;
    for (size_t j = i; j < end; j++) {
        if (sqlscan_tk_op(&k, j, "(") || sqlscan_tk_op(&k, j, "["))
            depth++;
        else if (sqlscan_tk_op(&k, j, ")") || sqlscan_tk_op(&k, j, "]"))
            depth--;
        else if (depth == 1 && j > i + 1 && calt_is_opclass(&k, j) &&
                 (sqlscan_tk_op(&k, j + 1, ",") || sqlscan_tk_op(&k, j + 1, ")") ||
                  sqlscan_tk_kw(&k, j + 1, "ASC") || sqlscan_tk_kw(&k, j + 1, "DESC") ||
                  sqlscan_tk_kw(&k, j + 1, "NULLS")))
            drop[j] = changed = true;
    }
    if (sqlscan_tk_kw(&k, end, "INCLUDE") && sqlscan_tk_op(&k, end + 1, "(")) {
        size_t e = cskip_parens(&k, end + 1);
        if (e) {
            for (size_t j = end; j < e; j++)
                drop[j] = true;
            changed = true;
        }
    }
    if (!changed)
        goto done;
    ubuf_t b = UBUF_INIT;
    size_t from = 0;
    for (size_t j = 0; j < k.nt; j++) {
        if (!drop[j])
            continue;
        ubuf_append(&b, stmt + from, k.t[j].start - from);
        from = k.t[j].start + k.t[j].len;
    }
    ubuf_append(&b, stmt + from, len - from);
    out = calt_take(&b);
done:
    free(drop);
    sqlscan_toks_free(&k);
    return out;
}
