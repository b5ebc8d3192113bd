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

typedef struct {
    const char *s;
    size_t n;
    sqlt_t *t;
    size_t nt;
} calt_toks_t;

static bool calt_scan(calt_toks_t *k, const char *s, size_t n)
{
    size_t pos = 0, cap = 64;
    k->s = s;
    k->n = n;
    k->nt = 0;
    k->t = xmalloc(cap * sizeof *k->t);
    for (;;) {
        sqlt_t t = sqlscan_next(s, n, &pos);
        if (t.kind == SQLT_END)
            return true;
        if (t.kind == SQLT_ERROR || t.kind == SQLT_SEMI || k->nt == CALT_MAX_TOKENS)
            return false;
        if (k->nt == cap) {
            cap *= 2;
            k->t = xrealloc(k->t, cap * sizeof *k->t);
        }
        k->t[k->nt++] = t;
    }
}

static bool ckw(const calt_toks_t *k, size_t i, const char *w)
{
    return i < k->nt && sqlscan_is(k->s, &k->t[i], w);
}

static bool cop(const calt_toks_t *k, size_t i, const char *op)
{
    return i < k->nt && sqlscan_is_op(k->s, &k->t[i], op);
}

static bool cname(const calt_toks_t *k, size_t i)
{
    return i < k->nt && (k->t[i].kind == SQLT_WORD || k->t[i].kind == SQLT_QIDENT);
}

/* The text of tokens [a, b) as written (with the original spacing). */
static char *cspan(const calt_toks_t *k, size_t a, size_t b)
{
    if (a >= b)
        return xstrdup("");
    size_t from = k->t[a].start, to = k->t[b - 1].start + k->t[b - 1].len;
    return xstrndup(k->s + from, to - from);
}

/* A name token without its quotes ("a""b" -> a"b); unquoted names fold to lower case, as in
 * PostgreSQL. */
static char *cident(const calt_toks_t *k, size_t i)
{
    const sqlt_t *t = &k->t[i];
    const char *p = k->s + t->start;
    char *out;
    if (t->kind == SQLT_QIDENT && t->len >= 2) {
        out = xmalloc(t->len);
        size_t o = 0;
        for (size_t j = 1; j + 1 < t->len; j++) {
            out[o++] = p[j];
            if (p[j] == '"' && p[j + 1] == '"')
                j++;
        }
        out[o] = '\0';
        return out;
    }
    out = xstrndup(p, t->len);
    for (char *c = out; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c - 'A' + 'a');
    return out;
}

/* Index just past a parenthesised group starting at i (which must be "("), or 0. */
static size_t cskip_parens(const calt_toks_t *k, size_t i)
{
    int depth = 0;
    for (; i < k->nt; i++) {
        if (cop(k, i, "(") || cop(k, i, "["))
            depth++;
        else if ((cop(k, i, ")") || cop(k, i, "]")) && --depth == 0)
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
static char *calt_sql(const compat_alter_t *a, const calt_toks_t *k, size_t from, size_t to)
{
    ubuf_t b = UBUF_INIT;
    char *act = cspan(k, from, to);
    ubuf_printf(&b, "ALTER TABLE %s%s %s", a->if_exists ? "IF EXISTS " : "", a->qname, act);
    free(act);
    return calt_take(&b);
}

/* The contents of the parenthesised column list at i ("(a, b)") as written, or NULL. *next is
 * set past it. */
static char *calt_collist(const calt_toks_t *k, size_t i, size_t *next)
{
    size_t end;
    if (!cop(k, i, "(") || (end = cskip_parens(k, i)) == 0 || end - i < 3)
        return NULL;
    *next = end;
    return cspan(k, i + 1, end - 1);
}

/* ADD [CONSTRAINT name] {UNIQUE | FOREIGN KEY | PRIMARY KEY} ...: tokens [i, end). */
static bool calt_add_constraint(compat_alter_t *a, const calt_toks_t *k, size_t i, size_t end)
{
    char *name = NULL;
    size_t j = i;
    if (ckw(k, j, "CONSTRAINT")) {
        if (!cname(k, j + 1))
            return false;
        name = cident(k, j + 1);
        j += 2;
    }
    if (ckw(k, j, "UNIQUE") || (ckw(k, j, "PRIMARY") && ckw(k, j + 1, "KEY"))) {
        bool pk = ckw(k, j, "PRIMARY");
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
    if (ckw(k, j, "FOREIGN") && ckw(k, j + 1, "KEY")) {
        size_t next, r;
        char *cols = calt_collist(k, j + 2, &next);
        if (!cols || !ckw(k, next, "REFERENCES") || !cname(k, next + 1)) {
            free(cols);
            free(name);
            return false;
        }
        r = next + 2;
        while (cop(k, r, ".") && cname(k, r + 1))
            r += 2;
        compat_alter_step_t *st = calt_add(a, CALT_ADD_FK);
        st->fk_cols = cols;
        st->fk_ref = cspan(k, next + 1, r);
        if (cop(k, r, "("))
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
static bool calt_action(compat_alter_t *a, const calt_toks_t *k, size_t i, size_t end)
{
    if (ckw(k, i, "ADD") &&
        (ckw(k, i + 1, "CONSTRAINT") || ckw(k, i + 1, "UNIQUE") || ckw(k, i + 1, "FOREIGN") ||
         (ckw(k, i + 1, "PRIMARY") && ckw(k, i + 2, "KEY"))))
        return calt_add_constraint(a, k, i + 1, end);
    if (ckw(k, i, "DROP") && ckw(k, i + 1, "CONSTRAINT")) {
        size_t j = i + 2;
        bool ife = ckw(k, j, "IF") && ckw(k, j + 1, "EXISTS");
        if (ife)
            j += 2;
        if (!cname(k, j))
            return false;
        compat_alter_step_t *st = calt_add(a, CALT_DROP_CONSTRAINT);
        st->name = cident(k, j);
        st->if_exists = ife;
        return true;
    }
    if (ckw(k, i, "ADD")) {
        /* ADD [COLUMN] [IF NOT EXISTS] name type ... [NOT] NULL: DuckDB takes no NOT NULL
         * here, so the column is added and then made NOT NULL */
        size_t j = i + 1 + ckw(k, i + 1, "COLUMN");
        if (ckw(k, j, "IF") && ckw(k, j + 1, "NOT") && ckw(k, j + 2, "EXISTS"))
            j += 3;
        if (!cname(k, j))
            return false;
        size_t col = j;
        ubuf_t b = UBUF_INIT;
        bool not_null = false;
        ubuf_printf(&b, "ALTER TABLE %s%s ", a->if_exists ? "IF EXISTS " : "", a->qname);
        size_t from = i;
        for (size_t t = col + 1; t < end; t++) {
            if (cop(k, t, "(")) {
                size_t e = cskip_parens(k, t);
                if (!e)
                    break;
                t = e - 1;
                continue;
            }
            bool nn = ckw(k, t, "NOT") && ckw(k, t + 1, "NULL");
            if (nn || ckw(k, t, "NULL")) {
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
    if (ckw(k, i, "ALTER")) {
        size_t j = i + 1 + ckw(k, i + 1, "COLUMN");
        if (!cname(k, j))
            return false;
        size_t ty = 0;
        if (ckw(k, j + 1, "TYPE"))
            ty = j + 2;
        else if (ckw(k, j + 1, "SET") && ckw(k, j + 2, "DATA") && ckw(k, j + 3, "TYPE"))
            ty = j + 4;
        if (ty) {
            size_t te = ty;
            while (te < end && !ckw(k, te, "USING") && !ckw(k, te, "COLLATE"))
                te++;
            st = calt_add(a, CALT_TYPE);
            st->column = cident(k, j);
            st->type = cspan(k, ty, te);
            if (ckw(k, te, "USING") && te + 1 < end)
                st->using_expr = cspan(k, te + 1, end);
            st->rebuild_indexes = st->rebuild_table = true;
        } else {
            st = calt_add(a, CALT_DUCKDB);
            /* SET/DROP NOT NULL: refused on an indexed table; SET/DROP DEFAULT are not */
            st->rebuild_indexes = !ckw(k, j + 2, "DEFAULT");
        }
        st->sql = calt_sql(a, k, i, end);
        st->action = cspan(k, i, end);
        return true;
    }
    st = calt_add(a, CALT_DUCKDB);
    st->sql = calt_sql(a, k, i, end);
    st->action = cspan(k, i, end);
    if (ckw(k, i, "DROP")) {
        size_t j = i + 1 + ckw(k, i + 1, "COLUMN");
        if (ckw(k, j, "IF") && ckw(k, j + 1, "EXISTS"))
            j += 2;
        if (cname(k, j))
            st->column = cident(k, j);
        st->rebuild_indexes = st->rebuild_table = st->column != NULL;
    } else if (ckw(k, i, "RENAME")) {
        size_t j = i + 1;
        if (ckw(k, j, "TO") && cname(k, j + 1)) {
            st->rename_to = cident(k, j + 1);
        } else {
            j += ckw(k, j, "COLUMN");
            if (cname(k, j) && ckw(k, j + 1, "TO") && cname(k, j + 2)) {
                st->rename_from = cident(k, j);
                st->rename_to = cident(k, j + 2);
            }
        }
        st->rebuild_indexes = true;
    }
    return true;
}

compat_alter_t *compat_alter_parse(const char *stmt, size_t len)
{
    calt_toks_t k;
    compat_alter_t *a = NULL;
    size_t i = 2, name_at;
    bool ok = false;
    if (!calt_scan(&k, stmt, len) || !ckw(&k, 0, "ALTER") || !ckw(&k, 1, "TABLE"))
        goto out;
    a = xcalloc(1, sizeof *a);
    if (ckw(&k, i, "IF") && ckw(&k, i + 1, "EXISTS")) {
        a->if_exists = true;
        i += 2;
    }
    if (ckw(&k, i, "ONLY"))
        i++;
    if (!cname(&k, i))
        goto out;
    name_at = i;
    while (cop(&k, i + 1, ".") && cname(&k, i + 2))
        i += 2;
    if (i - name_at > 2) /* catalog.schema.table */
        goto out;
    a->table = cident(&k, i);
    if (i > name_at)
        a->schema = cident(&k, i - 2);
    a->qname = cspan(&k, name_at, i + 1);
    i++;
    if (cop(&k, i, "*"))
        i++;
    /* ALTER TABLE ... SET SCHEMA / RENAME / ... of one action that DuckDB runs as it is and
     * that no index blocks: not planned */
    if (i >= k.nt)
        goto out;
    for (size_t start = i; start < k.nt;) {
        size_t e = start;
        while (e < k.nt && !cop(&k, e, ",")) {
            if (cop(&k, e, "(")) {
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
        !ckw(&k, i, "ADD"))
        goto out;
    ok = true;
out:
    free(k.t);
    if (!ok) {
        compat_alter_free(a);
        a = NULL;
    }
    return a;
}

compat_alter_t *compat_drop_table_parse(const char *stmt, size_t len)
{
    calt_toks_t k;
    compat_alter_t *a = NULL;
    size_t i = 2, first;
    const char *tail = "";
    bool ok = false;
    if (!calt_scan(&k, stmt, len) || !ckw(&k, 0, "DROP") || !ckw(&k, 1, "TABLE"))
        goto out;
    a = xcalloc(1, sizeof *a);
    a->drop_table = true;
    if (ckw(&k, i, "IF") && ckw(&k, i + 1, "EXISTS")) {
        a->if_exists = true;
        i += 2;
    }
    first = i;
    /* the names, then CASCADE / RESTRICT */
    for (;;) {
        size_t at = i;
        if (!cname(&k, i))
            goto out;
        while (cop(&k, i + 1, ".") && cname(&k, i + 2))
            i += 2;
        if (i - at > 2)
            goto out;
        i++;
        if (!cop(&k, i, ","))
            break;
        i++;
    }
    if (i + 1 == k.nt && (ckw(&k, i, "CASCADE") || ckw(&k, i, "RESTRICT")))
        tail = ckw(&k, i, "CASCADE") ? " CASCADE" : " RESTRICT";
    else if (i != k.nt)
        goto out;
    /* DuckDB drops one table per statement: one DROP and one forget per name */
    for (i = first;;) {
        size_t at = i;
        while (cop(&k, i + 1, ".") && cname(&k, i + 2))
            i += 2;
        char *q = cspan(&k, at, i + 1);
        ubuf_t b = UBUF_INIT;
        ubuf_printf(&b, "DROP TABLE %s%s%s", a->if_exists ? "IF EXISTS " : "", q, tail);
        compat_alter_step_t *st = calt_add(a, CALT_DUCKDB);
        st->sql = calt_take(&b);
        st = calt_add(a, CALT_FORGET_FKS);
        st->name = cident(&k, i);
        if (i > at)
            st->column = cident(&k, i - 2);
        if (!a->table) {
            a->table = cident(&k, i);
            a->qname = q;
        } else {
            free(q);
        }
        i++;
        if (!cop(&k, i, ","))
            break;
        i++;
    }
    ok = true;
out:
    free(k.t);
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
static size_t calt_fk_tail(const calt_toks_t *k, size_t i, size_t end)
{
    for (;;) {
        if (i < end && ckw(k, i, "MATCH"))
            i += 2;
        else if (ckw(k, i, "ON") && (ckw(k, i + 1, "DELETE") || ckw(k, i + 1, "UPDATE"))) {
            i += 2;
            if (ckw(k, i, "NO") || ckw(k, i, "SET"))
                i++;
            i++;
        } else if (ckw(k, i, "DEFERRABLE"))
            i++;
        else if (ckw(k, i, "NOT") && ckw(k, i + 1, "DEFERRABLE"))
            i += 2;
        else if (ckw(k, i, "INITIALLY"))
            i += 2;
        else
            return i < end ? i : end;
    }
}

char *compat_fk_split(const char *stmt, size_t len, char ***out, size_t *nout)
{
    calt_toks_t k;
    calt_list_t rec = {0};
    ubuf_t b = UBUF_INIT;
    char *result = NULL, *schema = NULL, *table = NULL, *qname = NULL;
    size_t i = 1, name_at, open, close;
    bool if_not_exists = false, any = false;
    *out = NULL;
    *nout = 0;
    if (!calt_scan(&k, stmt, len) || !ckw(&k, 0, "CREATE"))
        goto done;
    if (ckw(&k, i, "OR") && ckw(&k, i + 1, "REPLACE"))
        i += 2;
    if (!ckw(&k, i, "TABLE")) /* TEMP, UNLOGGED, ...: DuckDB keeps a TEMP table's keys */
        goto done;
    i++;
    if (ckw(&k, i, "IF") && ckw(&k, i + 1, "NOT") && ckw(&k, i + 2, "EXISTS")) {
        if_not_exists = true;
        i += 3;
    }
    if (!cname(&k, i))
        goto done;
    name_at = i;
    while (cop(&k, i + 1, ".") && cname(&k, i + 2))
        i += 2;
    if (i - name_at > 2)
        goto done;
    table = cident(&k, i);
    schema = i > name_at ? cident(&k, i - 2) : NULL;
    qname = cspan(&k, name_at, i + 1);
    open = i + 1;
    if (!cop(&k, open, "(") || !(close = cskip_parens(&k, open)))
        goto done;
    close--; /* the ")" */
    ubuf_append(&b, stmt, k.t[open].start + 1);
    bool first = true;
    for (size_t e = open + 1; e < close;) {
        size_t end = e;
        while (end < close && !cop(&k, end, ",")) {
            if (cop(&k, end, "(") || cop(&k, end, "[")) {
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
        if (ckw(&k, c, "CONSTRAINT") && cname(&k, c + 1)) {
            name = cident(&k, c + 1);
            c += 2;
        }
        if (ckw(&k, c, "FOREIGN") && ckw(&k, c + 1, "KEY")) {
            size_t r;
            cols = calt_collist(&k, c + 2, &r);
            if (!cols || !ckw(&k, r, "REFERENCES") || !cname(&k, r + 1)) {
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
            while (j < end && !ckw(&k, j, "REFERENCES")) {
                if (cop(&k, j, "(")) {
                    j = cskip_parens(&k, j);
                    continue;
                }
                j++;
            }
            if (j >= end) {
                c = end;
            } else {
                keep_to = j;
                if (j >= e + 2 && ckw(&k, j - 2, "CONSTRAINT")) {
                    keep_to = j - 2;
                    name = cident(&k, j - 1);
                }
                cols = cident(&k, e);
                c = j;
                /* quoted, as written */
                free(cols);
                cols = cspan(&k, e, e + 1);
            }
        }
        if (c < end && ckw(&k, c, "REFERENCES")) {
            size_t r = c + 1;
            if (!cname(&k, r)) {
                free(name);
                free(cols);
                goto done;
            }
            while (cop(&k, r + 1, ".") && cname(&k, r + 2))
                r += 2;
            ref = cspan(&k, c + 1, r + 1);
            r++;
            if (cop(&k, r, "("))
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
    free(k.t);
    return result;
}

/* ---- CREATE INDEX ---- */

static bool calt_is_opclass(const calt_toks_t *k, size_t i)
{
    if (i >= k->nt || k->t[i].kind != SQLT_WORD || k->t[i].len < 5)
        return false;
    return strncasecmp(k->s + k->t[i].start + k->t[i].len - 4, "_ops", 4) == 0;
}

char *compat_index_rewrite(const char *stmt, size_t len)
{
    calt_toks_t k;
    char *out = NULL;
    size_t i = 1;
    bool *drop = NULL, changed = false;
    if (!calt_scan(&k, stmt, len) || !ckw(&k, 0, "CREATE"))
        goto done;
    if (ckw(&k, i, "UNIQUE"))
        i++;
    if (!ckw(&k, i, "INDEX"))
        goto done;
    drop = xcalloc(k.nt, sizeof *drop);
    while (i < k.nt && !ckw(&k, i, "ON"))
        i++;
    if (ckw(&k, i + 1, "ONLY")) {
        drop[i + 1] = changed = true;
    }
    while (i < k.nt && !cop(&k, i, "(") && !ckw(&k, i, "USING"))
        i++;
    if (ckw(&k, i, "USING") && (ckw(&k, i + 1, "btree") || ckw(&k, i + 1, "hash"))) {
        drop[i] = drop[i + 1] = changed = true;
        i += 2;
    }
    if (!cop(&k, i, "("))
        goto done;
    size_t end = cskip_parens(&k, i);
    if (!end)
        goto done;
    /* an operator class follows an element: at depth 1, a word ending in _ops right before
     * "," / ")" / ASC / DESC / NULLS */
    int depth = 0;
    for (size_t j = i; j < end; j++) {
        if (cop(&k, j, "(") || cop(&k, j, "["))
            depth++;
        else if (cop(&k, j, ")") || cop(&k, j, "]"))
            depth--;
        else if (depth == 1 && j > i + 1 && calt_is_opclass(&k, j) &&
                 (cop(&k, j + 1, ",") || cop(&k, j + 1, ")") || ckw(&k, j + 1, "ASC") ||
                  ckw(&k, j + 1, "DESC") || ckw(&k, j + 1, "NULLS")))
            drop[j] = changed = true;
    }
    if (ckw(&k, end, "INCLUDE") && cop(&k, end + 1, "(")) {
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
    free(k.t);
    return out;
}
