/* PostgreSQL's auto-increment columns on DuckDB (compat_serial; see compat.h). DuckDB has
 * sequences but neither the SERIAL pseudo-types nor identity columns, so
 *     CREATE TABLE s.t (id SERIAL PRIMARY KEY, v text)
 * becomes the three statements PostgreSQL itself runs for it:
 *     CREATE SEQUENCE s.t_id_seq MAXVALUE 2147483647
 *     CREATE TABLE s.t (id INTEGER DEFAULT nextval('s.t_id_seq') PRIMARY KEY, v text)
 *     ALTER SEQUENCE s.t_id_seq OWNED BY s.t
 * (NOT NULL is added when neither NOT NULL nor PRIMARY KEY is written). DuckDB drops a
 * sequence owned by a table with the table, transactionally. GENERATED {ALWAYS | BY DEFAULT}
 * AS IDENTITY [(options)] is rewritten the same way, its options going to CREATE SEQUENCE.
 * ALTER TABLE ... ADD [COLUMN] gets no NOT NULL: DuckDB refuses constraints in ADD COLUMN,
 * and a later SET NOT NULL in the same transaction as the UPDATE that fills the existing
 * rows fails ("Cannot create index with outstanding updates"), so the column is nullable.
 * The session runs the steps in one transaction. Pure text over
 * sqlscan tokens: nothing here touches DuckDB. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "session/compat.h"
#include "session/sqlscan.h"
#include "util/buf.h"
#include "util/xalloc.h"

typedef sqlscan_toks_t ser_toks_t;

/* One auto-increment column found in the statement. */
typedef struct ser_col {
    size_t elem_first, elem_last; /* the column definition's tokens */
    size_t repl_first, repl_last; /* the tokens replaced (the SERIAL type or GENERATED ...) */
    const char *type;             /* INTEGER / BIGINT / SMALLINT for SERIAL, NULL for identity */
    const char *maxvalue;         /* the type's maximum, or NULL */
    size_t opt_first, opt_last;   /* identity's ( options ), exclusive of the brackets; empty
                                     when opt_first > opt_last */
    bool not_null;                /* NOT NULL or PRIMARY KEY written: not added */
    char *seq;                    /* owned: the sequence's qualified name, as SQL */
} ser_col_t;

static const struct {
    const char *name, *type, *max;
} ser_types[] = {
    {"serial", "INTEGER", "2147483647"},  {"serial4", "INTEGER", "2147483647"},
    {"bigserial", "BIGINT", NULL},        {"serial8", "BIGINT", NULL},
    {"smallserial", "SMALLINT", "32767"}, {"serial2", "SMALLINT", "32767"},
};

static bool ser_scan(ser_toks_t *k, const char *s, size_t n)
{
    return sqlscan_toks(k, s, n, (size_t)-1);
}

/* The identifier's value as PostgreSQL sees it: unquoted folded to lower case, quoted with
 * its doubled quotes undone. */
static void ser_ident_value(ubuf_t *b, const ser_toks_t *k, size_t i)
{
    char *v = sqlscan_tk_ident(k, i);
    ubuf_puts(b, v);
    free(v);
}

/* Appends name as an SQL identifier, quoted unless it is plain lower case. */
static void ser_put_ident(ubuf_t *b, const char *name)
{
    bool plain = name[0] && !(name[0] >= '0' && name[0] <= '9');
    for (const char *p = name; *p && plain; p++)
        plain = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_';
    if (plain) {
        ubuf_puts(b, name);
        return;
    }
    ubuf_put_ident(b, name);
}

static void ser_put_range(ubuf_t *b, const ser_toks_t *k, size_t first, size_t last)
{
    ubuf_append(b, k->s + k->t[first].start, k->t[last].start + k->t[last].len - k->t[first].start);
}

/* A relation name at token i: name or a.b or a.b.c. Returns the index of its last token, or
 * (size_t)-1 when there is none. */
static size_t ser_name_end(const ser_toks_t *k, size_t i)
{
    if (!sqlscan_tk_name(k, i))
        return (size_t)-1;
    while (sqlscan_tk_op(k, i + 1, ".") && sqlscan_tk_name(k, i + 2))
        i += 2;
    return i;
}

/* The sequence PostgreSQL names for table tokens [nf, nl] and column token c:
 * [prefix.]table_column_seq. */
static char *ser_seq_name(const ser_toks_t *k, size_t nf, size_t nl, size_t c)
{
    ubuf_t b = UBUF_INIT, name = UBUF_INIT;
    if (nl > nf) {
        ser_put_range(&b, k, nf, nl - 2);
        ubuf_putc(&b, '.');
    }
    ser_ident_value(&name, k, nl);
    ubuf_putc(&name, '_');
    ser_ident_value(&name, k, c);
    ubuf_puts(&name, "_seq");
    ser_put_ident(&b, ubuf_cstr(&name));
    ubuf_free(&name);
    ubuf_cstr(&b);
    return b.data;
}

/* The maximum of an identity column's integer type, or NULL. */
static const char *ser_type_max(const ser_toks_t *k, size_t i)
{
    if (sqlscan_tk_kw(k, i, "int") || sqlscan_tk_kw(k, i, "integer") || sqlscan_tk_kw(k, i, "int4"))
        return "2147483647";
    if (sqlscan_tk_kw(k, i, "smallint") || sqlscan_tk_kw(k, i, "int2"))
        return "32767";
    return NULL;
}

/* Examines one column definition [a, b]; fills *c and returns true for an auto-increment
 * one. */
static bool ser_column(const ser_toks_t *k, size_t a, size_t b, ser_col_t *c)
{
    static const char *const not_columns[] = {"CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK",
                                              "FOREIGN",    "LIKE",    "EXCLUDE"};
    memset(c, 0, sizeof *c);
    if (b <= a || !sqlscan_tk_name(k, a))
        return false;
    for (size_t w = 0; w < sizeof not_columns / sizeof not_columns[0]; w++)
        if (k->t[a].kind == SQLT_WORD && sqlscan_tk_kw(k, a, not_columns[w]))
            return false;
    c->elem_first = a;
    c->elem_last = b;
    c->opt_first = 1;
    for (size_t i = a + 1; i < b; i++)
        if ((sqlscan_tk_kw(k, i, "NOT") && sqlscan_tk_kw(k, i + 1, "NULL")) ||
            (sqlscan_tk_kw(k, i, "PRIMARY") && sqlscan_tk_kw(k, i + 1, "KEY")))
            c->not_null = true;
    if (k->t[a + 1].kind == SQLT_WORD && !sqlscan_tk_op(k, a + 2, ".") &&
        !sqlscan_tk_op(k, a + 2, "[")) {
        for (size_t t = 0; t < sizeof ser_types / sizeof ser_types[0]; t++) {
            if (sqlscan_tk_kw(k, a + 1, ser_types[t].name)) {
                c->repl_first = c->repl_last = a + 1;
                c->type = ser_types[t].type;
                c->maxvalue = ser_types[t].max;
                return true;
            }
        }
    }
    for (size_t g = a + 2; g <= b; g++) {
        size_t i = g + 1;
        if (!sqlscan_tk_kw(k, g, "GENERATED"))
            continue;
        if (sqlscan_tk_kw(k, i, "ALWAYS"))
            i++;
        else if (sqlscan_tk_kw(k, i, "BY") && sqlscan_tk_kw(k, i + 1, "DEFAULT"))
            i += 2;
        else
            continue;
        if (!sqlscan_tk_kw(k, i, "AS") || !sqlscan_tk_kw(k, i + 1, "IDENTITY"))
            continue;
        i++;
        c->repl_first = g;
        c->repl_last = i;
        if (sqlscan_tk_op(k, i + 1, "(")) {
            size_t depth = 0, j = i + 1;
            for (; j <= b; j++) {
                depth += sqlscan_tk_op(k, j, "(");
                if (sqlscan_tk_op(k, j, ")") && --depth == 0)
                    break;
            }
            if (j > b)
                return false;
            c->opt_first = i + 2;
            c->opt_last = j - 1;
            c->repl_last = j;
        }
        c->maxvalue = ser_type_max(k, a + 1);
        return true;
    }
    return false;
}

/* CREATE SEQUENCE for column c. Identity options pass through but for those DuckDB lacks
 * (SEQUENCE NAME, AS type, CACHE n, which only tunes PostgreSQL). */
static char *ser_create_seq(const ser_toks_t *k, const ser_col_t *c, bool temp, bool ine)
{
    ubuf_t b = UBUF_INIT;
    bool has_max = false;
    ubuf_printf(&b, "CREATE %sSEQUENCE %s%s", temp ? "TEMPORARY " : "", ine ? "IF NOT EXISTS " : "",
                c->seq);
    for (size_t i = c->opt_first; i <= c->opt_last && c->opt_first <= c->opt_last; i++) {
        if (sqlscan_tk_kw(k, i, "SEQUENCE") && sqlscan_tk_kw(k, i + 1, "NAME")) {
            i = ser_name_end(k, i + 2);
            if (i == (size_t)-1)
                break;
            continue;
        }
        if ((sqlscan_tk_kw(k, i, "AS") || sqlscan_tk_kw(k, i, "CACHE")) && i + 1 <= c->opt_last) {
            i++;
            continue;
        }
        has_max = has_max || sqlscan_tk_kw(k, i, "MAXVALUE");
        ubuf_putc(&b, ' ');
        ser_put_range(&b, k, i, i);
    }
    if (c->maxvalue && !has_max)
        ubuf_printf(&b, " MAXVALUE %s", c->maxvalue);
    ubuf_cstr(&b);
    return b.data;
}

/* The replacement text of column c's type or GENERATED clause. */
static void ser_put_default(ubuf_t *b, const ser_col_t *c, bool add_not_null)
{
    if (c->type) {
        ubuf_puts(b, c->type);
        ubuf_putc(b, ' ');
    }
    ubuf_puts(b, "DEFAULT nextval('");
    for (const char *p = c->seq; *p; p++) {
        if (*p == '\'')
            ubuf_putc(b, '\'');
        ubuf_putc(b, *p);
    }
    ubuf_puts(b, "')");
    if (add_not_null && !c->not_null)
        ubuf_puts(b, " NOT NULL");
}

typedef struct ser_out {
    char **steps;
    size_t n, cap;
} ser_out_t;

static void ser_push(ser_out_t *o, char *step)
{
    if (o->n == o->cap) {
        o->cap = o->cap ? o->cap * 2 : 8;
        o->steps = xrealloc(o->steps, o->cap * sizeof *o->steps);
    }
    o->steps[o->n++] = step;
}

static char *ser_owned_by(const ser_toks_t *k, const ser_col_t *c, size_t nf, size_t nl)
{
    ubuf_t b = UBUF_INIT;
    ubuf_printf(&b, "ALTER SEQUENCE %s OWNED BY ", c->seq);
    ser_put_range(&b, k, nf, nl);
    ubuf_cstr(&b);
    return b.data;
}

/* CREATE [OR REPLACE] [GLOBAL|LOCAL] [TEMP|TEMPORARY|UNLOGGED] TABLE [IF NOT EXISTS] name
 * ( elements ) ... */
static bool ser_create_table(const ser_toks_t *k, ser_out_t *o)
{
    size_t i = 1, nf, nl, open, close;
    bool temp = false, ine = false;
    if (sqlscan_tk_kw(k, i, "OR") && sqlscan_tk_kw(k, i + 1, "REPLACE"))
        return false; /* the replaced table's sequences would clash: left to DuckDB */
    if (sqlscan_tk_kw(k, i, "GLOBAL") || sqlscan_tk_kw(k, i, "LOCAL"))
        i++;
    if (sqlscan_tk_kw(k, i, "TEMP") || sqlscan_tk_kw(k, i, "TEMPORARY")) {
        temp = true;
        i++;
    } else if (sqlscan_tk_kw(k, i, "UNLOGGED")) {
        i++;
    }
    if (!sqlscan_tk_kw(k, i, "TABLE"))
        return false;
    i++;
    if (sqlscan_tk_kw(k, i, "IF") && sqlscan_tk_kw(k, i + 1, "NOT") &&
        sqlscan_tk_kw(k, i + 2, "EXISTS")) {
        ine = true;
        i += 3;
    }
    nf = i;
    nl = ser_name_end(k, nf);
    if (nl == (size_t)-1 || !sqlscan_tk_op(k, nl + 1, "("))
        return false;
    open = nl + 1;
    size_t depth = 0;
    for (close = open; close < k->nt; close++) {
        depth += sqlscan_tk_op(k, close, "(");
        if (sqlscan_tk_op(k, close, ")") && --depth == 0)
            break;
    }
    if (close >= k->nt)
        return false;

    ser_col_t *cols = NULL;
    size_t ncols = 0;
    depth = 0;
    for (size_t a = open + 1, j = open + 1; j <= close; j++) {
        if (j < close && (sqlscan_tk_op(k, j, "(") || sqlscan_tk_op(k, j, "[")))
            depth++;
        else if (j < close && (sqlscan_tk_op(k, j, ")") || sqlscan_tk_op(k, j, "]")))
            depth--;
        if (j == close || (depth == 0 && sqlscan_tk_op(k, j, ","))) {
            ser_col_t c;
            if (j > a && ser_column(k, a, j - 1, &c)) {
                c.seq = ser_seq_name(k, nf, nl, a);
                cols = xrealloc(cols, (ncols + 1) * sizeof *cols);
                cols[ncols++] = c;
            }
            a = j + 1;
        }
    }
    if (ncols == 0)
        return false;

    ubuf_t t = UBUF_INIT;
    size_t copied = 0;
    for (size_t c = 0; c < ncols; c++) {
        ser_push(o, ser_create_seq(k, &cols[c], temp, ine));
        ubuf_append(&t, k->s + copied, k->t[cols[c].repl_first].start - copied);
        ser_put_default(&t, &cols[c], true);
        copied = k->t[cols[c].repl_last].start + k->t[cols[c].repl_last].len;
    }
    ubuf_puts(&t, k->s + copied); /* the statement is NUL-terminated at len by the caller */
    ubuf_cstr(&t);
    ser_push(o, t.data);
    for (size_t c = 0; c < ncols; c++) {
        ser_push(o, ser_owned_by(k, &cols[c], nf, nl));
        free(cols[c].seq);
    }
    free(cols);
    return true;
}

/* ALTER TABLE [IF EXISTS] [ONLY] name ADD [COLUMN] [IF NOT EXISTS] column type ... */
static bool ser_alter_table(const ser_toks_t *k, ser_out_t *o)
{
    size_t i = 2, nf, nl;
    if (!sqlscan_tk_kw(k, 1, "TABLE"))
        return false;
    if (sqlscan_tk_kw(k, i, "IF") && sqlscan_tk_kw(k, i + 1, "EXISTS"))
        i += 2;
    if (sqlscan_tk_kw(k, i, "ONLY"))
        i++;
    nf = i;
    nl = ser_name_end(k, nf);
    if (nl == (size_t)-1 || !sqlscan_tk_kw(k, nl + 1, "ADD"))
        return false;
    i = nl + 2;
    if (sqlscan_tk_kw(k, i, "COLUMN"))
        i++;
    if (sqlscan_tk_kw(k, i, "IF") && sqlscan_tk_kw(k, i + 1, "NOT") &&
        sqlscan_tk_kw(k, i + 2, "EXISTS"))
        i += 3;
    for (size_t j = i; j < k->nt; j++)
        if (sqlscan_tk_op(k, j, ","))
            return false; /* several actions: DuckDB has none of them either */
    ser_col_t c;
    if (!ser_column(k, i, k->nt - 1, &c))
        return false;
    c.seq = ser_seq_name(k, nf, nl, i);
    ser_push(o, ser_create_seq(k, &c, false, false));
    ubuf_t t = UBUF_INIT;
    ubuf_append(&t, k->s, k->t[c.repl_first].start);
    ser_put_default(&t, &c, false);
    ubuf_puts(&t, k->s + k->t[c.repl_last].start + k->t[c.repl_last].len);
    ubuf_cstr(&t);
    ser_push(o, t.data);
    ser_push(o, ser_owned_by(k, &c, nf, nl));
    free(c.seq);
    return true;
}

size_t compat_serial(const char *stmt, size_t len, char ***steps)
{
    ser_toks_t k;
    ser_out_t o = {0};
    char *text = xstrndup(stmt, len);
    *steps = NULL;
    if (ser_scan(&k, text, len) && k.nt > 3) {
        if (sqlscan_tk_kw(&k, 0, "CREATE"))
            (void)ser_create_table(&k, &o);
        else if (sqlscan_tk_kw(&k, 0, "ALTER"))
            (void)ser_alter_table(&k, &o);
    }
    sqlscan_toks_free(&k);
    free(text);
    *steps = o.steps;
    return o.n;
}

char *compat_overriding(const char *stmt, size_t len)
{
    ser_toks_t k = {0};
    char *out = NULL;
    /* every INSERT comes here (group commit's too): the tokens only when the word is there */
    bool mentioned = false;
    for (size_t i = 0; !mentioned && i + 10 <= len; i++)
        mentioned = strncasecmp(stmt + i, "overriding", 10) == 0;
    if (mentioned && ser_scan(&k, stmt, len)) {
        for (size_t i = 0; i + 2 < k.nt; i++) {
            if (sqlscan_tk_kw(&k, i, "OVERRIDING") && sqlscan_tk_kw(&k, i + 1, "SYSTEM") &&
                sqlscan_tk_kw(&k, i + 2, "VALUE")) {
                ubuf_t b = UBUF_INIT;
                ubuf_append(&b, stmt, k.t[i].start);
                ubuf_append(&b, stmt + k.t[i + 2].start + k.t[i + 2].len,
                            len - (k.t[i + 2].start + k.t[i + 2].len));
                ubuf_cstr(&b);
                out = b.data;
                break;
            }
        }
    }
    sqlscan_toks_free(&k);
    return out;
}

/* ---- CREATE / ALTER SEQUENCE as pg_dump writes them ---- */

/* The output of a sequence rewrite: the statement with some token runs left out. */
typedef struct seq_out {
    const ser_toks_t *k;
    ubuf_t b;
    size_t copied; /* bytes of the statement already handled */
    bool changed;
} seq_out_t;

/* Leaves out tokens [first, last]. */
static void seq_skip(seq_out_t *o, size_t first, size_t last)
{
    ubuf_append(&o->b, o->k->s + o->copied, o->k->t[first].start - o->copied);
    o->copied = o->k->t[last].start + o->k->t[last].len;
    o->changed = true;
}

/* The type of AS <type>: its minimum and maximum for the 2- and 4-byte integers (bigint's
 * are DuckDB's defaults). False when the token names no integer type. */
static bool seq_type(const ser_toks_t *k, size_t i, const char **min, const char **max)
{
    *min = *max = NULL;
    if (sqlscan_tk_kw(k, i, "int") || sqlscan_tk_kw(k, i, "integer") ||
        sqlscan_tk_kw(k, i, "int4")) {
        *min = "-2147483648";
        *max = "2147483647";
    } else if (sqlscan_tk_kw(k, i, "smallint") || sqlscan_tk_kw(k, i, "int2")) {
        *min = "-32768";
        *max = "32767";
    } else if (!sqlscan_tk_kw(k, i, "bigint") && !sqlscan_tk_kw(k, i, "int8")) {
        return false;
    }
    return true;
}

/* The options of a CREATE / ALTER SEQUENCE from token `from` on: the integer type named by
 * AS (its bounds), whether the sequence descends and whether MINVALUE / MAXVALUE are given. */
static void seq_survey(const ser_toks_t *k, size_t from, const char **tmin, const char **tmax,
                       bool *descending, bool *has_min, bool *has_max)
{
    for (size_t i = from; i < k->nt; i++) {
        if (sqlscan_tk_kw(k, i, "AS") && seq_type(k, i + 1, tmin, tmax))
            i++;
        else if (sqlscan_tk_kw(k, i, "NO"))
            i++; /* NO MINVALUE / NO MAXVALUE / NO CYCLE */
        else if (sqlscan_tk_kw(k, i, "MINVALUE"))
            *has_min = true;
        else if (sqlscan_tk_kw(k, i, "MAXVALUE"))
            *has_max = true;
        else if (sqlscan_tk_kw(k, i, "INCREMENT")) {
            size_t v = i + 1 + sqlscan_tk_kw(k, i + 1, "BY");
            *descending = v < k->nt && k->s[k->t[v].start] == '-';
        }
    }
}

char *compat_sequence(const char *stmt, size_t len, bool *noop)
{
    ser_toks_t k;
    seq_out_t o = {.k = &k, .b = UBUF_INIT};
    char *out = NULL;
    const char *tmin = NULL, *tmax = NULL;
    bool create, has_min = false, has_max = false, descending = false;
    size_t i = 1, nl, kept = 0;
    *noop = false;
    if (!ser_scan(&k, stmt, len) || k.nt < 3)
        goto out;
    create = sqlscan_tk_kw(&k, 0, "CREATE");
    if (!create && !sqlscan_tk_kw(&k, 0, "ALTER"))
        goto out;
    if (create && (sqlscan_tk_kw(&k, i, "TEMP") || sqlscan_tk_kw(&k, i, "TEMPORARY") ||
                   sqlscan_tk_kw(&k, i, "UNLOGGED")))
        i++;
    if (!sqlscan_tk_kw(&k, i, "SEQUENCE"))
        goto out;
    i++;
    if (create && sqlscan_tk_kw(&k, i, "IF") && sqlscan_tk_kw(&k, i + 1, "NOT") &&
        sqlscan_tk_kw(&k, i + 2, "EXISTS"))
        i += 3;
    else if (!create && sqlscan_tk_kw(&k, i, "IF") && sqlscan_tk_kw(&k, i + 1, "EXISTS"))
        i += 2;
    if ((nl = ser_name_end(&k, i)) == (size_t)-1)
        goto out;
    seq_survey(&k, nl + 1, &tmin, &tmax, &descending, &has_min, &has_max);
    /* AS integer / smallint bounds the sequence by the type, as PostgreSQL does */
    const char *add_max = create && tmax && !descending && !has_max ? tmax : NULL;
    const char *add_min = create && tmin && descending && !has_min ? tmin : NULL;
    for (i = nl + 1; i < k.nt; i++) {
        if (sqlscan_tk_kw(&k, i, "AS") && seq_type(&k, i + 1, &tmin, &tmax)) {
            seq_skip(&o, i, i + 1); /* DuckDB's sequences are all BIGINT */
            i++;
        } else if (sqlscan_tk_kw(&k, i, "CACHE") && i + 1 < k.nt &&
                   k.t[i + 1].kind == SQLT_NUMBER) {
            seq_skip(&o, i, i + 1); /* a per-backend cache: nothing to tune in DuckDB */
            i++;
        } else if (sqlscan_tk_kw(&k, i, "NO") &&
                   ((add_max && sqlscan_tk_kw(&k, i + 1, "MAXVALUE")) ||
                    (add_min && sqlscan_tk_kw(&k, i + 1, "MINVALUE")))) {
            seq_skip(&o, i, i + 1); /* the type's bound is added instead */
            i++;
        } else if (!create && sqlscan_tk_kw(&k, i, "OWNED") && sqlscan_tk_kw(&k, i + 1, "BY") &&
                   sqlscan_tk_kw(&k, i + 2, "NONE") && k.t[i + 2].kind == SQLT_WORD) {
            seq_skip(&o, i, i + 2); /* DuckDB cannot disown: accepted, see COMPATIBILITY.md */
            i += 2;
        } else if (!create && sqlscan_tk_kw(&k, i, "OWNED") && sqlscan_tk_kw(&k, i + 1, "BY")) {
            size_t e = ser_name_end(&k, i + 2);
            /* PostgreSQL's schema.table.column: DuckDB's OWNED BY names the table. A two-part
             * name is DuckDB's schema.table and stays. */
            if (e != (size_t)-1 && e == i + 6)
                seq_skip(&o, e - 1, e);
            kept++;
            i = e == (size_t)-1 ? i + 1 : e;
        } else {
            if (sqlscan_tk_kw(&k, i, "NO"))
                i++;
            kept++;
        }
    }
    if (!o.changed)
        goto out;
    if (!create && kept == 0) { /* nothing DuckDB can do is left */
        *noop = true;
        goto out;
    }
    ubuf_append(&o.b, k.s + o.copied, len - o.copied);
    if (add_max)
        ubuf_printf(&o.b, " MAXVALUE %s", add_max);
    else if (add_min)
        ubuf_printf(&o.b, " MINVALUE %s", add_min);
    ubuf_cstr(&o.b);
    out = o.b.data;
    o.b.data = NULL;
out:
    ubuf_free(&o.b);
    sqlscan_toks_free(&k);
    return out;
}
