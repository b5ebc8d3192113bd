/* PostgreSQL's result column names (compat_colnames.h). PostgreSQL names a column that has no
 * alias with FigureColname (parser/parse_target.c) over the parse tree; this file applies the
 * same rules to sqlscan tokens of the client's text: it finds the top-level select list (or
 * RETURNING list), splits it into items, and names each item's expression by its outermost
 * construct, with PostgreSQL's "strength" (a cast keeps a strong name of its operand and
 * otherwise takes its type's name). Syntax it does not understand keeps DuckDB's name. */
#include "session/compat_colnames.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "session/sqlscan.h"
#include "util/buf.h"
#include "util/xalloc.h"

/* PostgreSQL truncates identifiers to NAMEDATALEN - 1 bytes. */
#define CN_MAX_IDENT 63
/* Nesting (parentheses, subqueries) followed before giving up. */
#define CN_MAX_DEPTH 64

/* What naming an expression gave: FigureColnameInternal's strength (0 none, so "?column?";
 * 1 a name a cast replaces by its type's; 2 a strong name) or CN_UNKNOWN (keep DuckDB's). */
#define CN_UNKNOWN (-1)

/* A name: an identifier cut to 63 bytes, or a keyword. Names live in fixed buffers: the
 * namer runs for every statement prepared, where a malloc costs more than the scan. */
typedef char cn_buf_t[CN_MAX_IDENT + 1];

typedef struct cn_name {
    int strength;
    cn_buf_t name; /* "" unless strength > 0 */
    bool ref;      /* a column reference: DuckDB names it the same up to case */
} cn_name_t;

typedef enum {
    CI_KEEP = 0, /* keep DuckDB's name */
    CI_NAME,     /* name */
    CI_STAR      /* *, t.*, COLUMNS(...): any number of columns */
} cn_kind_t;

typedef struct cn_item {
    cn_kind_t kind;
    cn_buf_t name;  /* CI_NAME */
    bool fold_only; /* an alias or column reference: rename only a case-only difference */
    bool wide;      /* unnest(...) / unpack(...): may expand to several columns */
} cn_item_t;

typedef struct cn_items {
    cn_item_t *v; /* `small`, or owned once more are needed */
    size_t n, cap;
    bool values; /* a VALUES list: column1, column2, ... */
    cn_item_t small[8];
} cn_items_t;

static void cn_items_init(cn_items_t *items)
{
    items->v = items->small;
    items->n = 0;
    items->cap = sizeof items->small / sizeof items->small[0];
    items->values = false;
}

static void cn_items_free(cn_items_t *items)
{
    if (items->v != items->small)
        free(items->v);
}

typedef struct cn {
    const sqlscan_toks_t *k;
    int depth;
} cn_t;

static size_t cn_postfix(cn_t *c, size_t i, size_t end, cn_name_t *out);
static void cn_expr(cn_t *c, size_t a, size_t b, cn_name_t *out);
static void cn_query(cn_t *c, size_t a, size_t b, cn_items_t *items);

/* ---- tokens ---- */

/* Token i is the keyword w (upper case). The first letter is compared first: this runs for
 * every keyword the namer knows on most tokens. */
static bool kw(const cn_t *c, size_t i, const char *w)
{
    if (i >= c->k->nt)
        return false;
    const sqlt_t *t = &c->k->t[i];
    const char *p = c->k->s + t->start;
    return t->kind == SQLT_WORD && (p[0] & ~0x20) == w[0] && strlen(w) == t->len &&
           strncasecmp(p, w, t->len) == 0;
}
static bool op(const cn_t *c, size_t i, const char *o) { return sqlscan_tk_op(c->k, i, o); }
static bool is_name(const cn_t *c, size_t i) { return sqlscan_tk_name(c->k, i); }

static bool kw_in(const cn_t *c, size_t i, const char *const *words)
{
    for (; *words; words++)
        if (kw(c, i, *words))
            return true;
    return false;
}

static bool is_open(const cn_t *c, size_t i)
{
    return op(c, i, "(") || op(c, i, "[") || op(c, i, "{");
}
static bool is_close(const cn_t *c, size_t i)
{
    return op(c, i, ")") || op(c, i, "]") || op(c, i, "}");
}

/* i is an opening bracket: the index after its match, or 0 when it has none before end. */
static size_t cn_close(const cn_t *c, size_t i, size_t end)
{
    int depth = 0;
    for (size_t j = i; j < end; j++) {
        if (is_open(c, j))
            depth++;
        else if (is_close(c, j) && --depth == 0)
            return j + 1;
    }
    return 0;
}

/* Copies s into out, cut to 63 bytes without splitting a UTF-8 sequence. */
static void cn_copy(cn_buf_t out, const char *s)
{
    size_t n = strlen(s);
    if (n > CN_MAX_IDENT) {
        n = CN_MAX_IDENT;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    memcpy(out, s, n);
    out[n] = '\0';
}

/* The identifier at i as PostgreSQL keeps it (unquoted folded to lower case, quoted with its
 * doubled quotes undone), cut to 63 bytes. */
static void cn_ident(const cn_t *c, size_t i, cn_buf_t out)
{
    const sqlt_t *t = &c->k->t[i];
    const char *p = c->k->s + t->start;
    char tmp[2 * (CN_MAX_IDENT + 1)];
    size_t o = 0;
    if (t->kind == SQLT_QIDENT && t->len >= 2) {
        for (size_t j = 1; j + 1 < t->len && o + 1 < sizeof tmp; j++) {
            tmp[o++] = p[j];
            if (p[j] == '"' && p[j + 1] == '"')
                j++;
        }
    } else {
        for (size_t j = 0; j < t->len && o + 1 < sizeof tmp; j++)
            tmp[o++] = (char)(p[j] >= 'A' && p[j] <= 'Z' ? p[j] - 'A' + 'a' : p[j]);
    }
    tmp[o] = '\0';
    cn_copy(out, tmp);
}

static void cn_set(cn_name_t *out, int strength, const char *name)
{
    out->strength = strength;
    cn_copy(out->name, name ? name : "");
    out->ref = false;
}

/* ---- types ---- */

/* True when token i is an integer from 1 to max. */
static bool cn_small_number(const cn_t *c, size_t i, int max)
{
    const sqlt_t *t = &c->k->t[i];
    int v = 0;
    if (t->kind != SQLT_NUMBER || t->len == 0 || t->len > 4)
        return false;
    for (size_t j = 0; j < t->len; j++) {
        char d = c->k->s[t->start + j];
        if (d < '0' || d > '9')
            return false;
        v = v * 10 + (d - '0');
    }
    return v >= 1 && v <= max;
}

static const char *const cn_fields[] = {"YEAR",   "MONTH",  "DAY", "HOUR",
                                        "MINUTE", "SECOND", "TO",  NULL};

/* Skips an interval qualifier (DAY, HOUR TO SECOND(3), ...). */
static size_t cn_skip_fields(const cn_t *c, size_t i, size_t end)
{
    while (i < end && kw_in(c, i, cn_fields)) {
        i++;
        if (op(c, i, "(") && cn_close(c, i, end))
            i = cn_close(c, i, end);
    }
    return i;
}

/* Parses a type name at i: returns the index after it and, when name is not NULL, its
 * PostgreSQL name there (the name PostgreSQL's grammar gives the SQL-standard spellings, else
 * the last part as written), or 0 when there is none. */
static size_t cn_type(const cn_t *c, size_t i, size_t end, char *name)
{
    static const struct {
        const char *word, *pg;
    } simple[] = {{"INT", "int4"},        {"INTEGER", "int4"},     {"SMALLINT", "int2"},
                  {"BIGINT", "int8"},     {"REAL", "float4"},      {"DECIMAL", "numeric"},
                  {"DEC", "numeric"},     {"NUMERIC", "numeric"},  {"BOOLEAN", "bool"},
                  {"VARCHAR", "varchar"}, {"INTERVAL", "interval"}};
    const char *pg = NULL;
    if (i >= end || !is_name(c, i))
        return 0;
    for (size_t s = 0; s < sizeof simple / sizeof simple[0] && !pg; s++)
        if (kw(c, i, simple[s].word))
            pg = simple[s].pg;
    if (pg) {
        i++;
        if (strcmp(pg, "interval") == 0)
            i = cn_skip_fields(c, i, end);
    } else if (kw(c, i, "DOUBLE") && kw(c, i + 1, "PRECISION")) {
        pg = "float8";
        i += 2;
    } else if (kw(c, i, "FLOAT")) {
        pg = "float8";
        i++;
        if (op(c, i, "(") && i + 1 < end && cn_small_number(c, i + 1, 24))
            pg = "float4";
    } else if (kw(c, i, "CHAR") || kw(c, i, "CHARACTER") || kw(c, i, "NCHAR") ||
               (kw(c, i, "NATIONAL") && (kw(c, i + 1, "CHAR") || kw(c, i + 1, "CHARACTER")))) {
        i += kw(c, i, "NATIONAL") ? 2 : 1;
        pg = kw(c, i, "VARYING") ? "varchar" : "bpchar";
        i += kw(c, i, "VARYING");
    } else if (kw(c, i, "BIT")) {
        i++;
        pg = kw(c, i, "VARYING") ? "varbit" : "bit";
        i += kw(c, i, "VARYING");
    } else if (kw(c, i, "TIMESTAMP") || kw(c, i, "TIME")) {
        bool ts = kw(c, i, "TIMESTAMP");
        i++;
        if (op(c, i, "(") && cn_close(c, i, end))
            i = cn_close(c, i, end);
        bool with = kw(c, i, "WITH");
        if ((with || kw(c, i, "WITHOUT")) && kw(c, i + 1, "TIME") && kw(c, i + 2, "ZONE"))
            i += 3;
        else
            with = false;
        pg = ts ? (with ? "timestamptz" : "timestamp") : (with ? "timetz" : "time");
    } else {
        size_t last = i;
        while (is_name(c, last) && op(c, last + 1, ".") && is_name(c, last + 2) && last + 2 < end)
            last += 2;
        if (name)
            cn_ident(c, last, name);
        i = last + 1;
    }
    if (pg && name)
        cn_copy(name, pg);
    if (op(c, i, "(") && cn_close(c, i, end)) /* typmods */
        i = cn_close(c, i, end);
    for (;;) { /* array bounds: [], [3], ARRAY, ARRAY[3] */
        if (op(c, i, "[") && cn_close(c, i, end))
            i = cn_close(c, i, end);
        else if (kw(c, i, "ARRAY"))
            i++;
        else
            break;
    }
    return i;
}

/* ---- expressions ---- */

/* A cast of *inner to the type named `type`: PostgreSQL keeps a strong name of the operand,
 * otherwise names the column after the type. */
static void cn_cast(cn_name_t *inner, const char *type)
{
    if (inner->strength == CN_UNKNOWN || inner->strength > 1) {
        inner->ref = false;
        return;
    }
    cn_set(inner, 1, type);
}

/* The first column's name of the subquery [a, b): a strong name, or CN_UNKNOWN. */
static void cn_subquery(cn_t *c, size_t a, size_t b, cn_name_t *out)
{
    cn_items_t items;
    cn_items_init(&items);
    cn_set(out, CN_UNKNOWN, NULL);
    cn_query(c, a, b, &items);
    if (items.values)
        cn_set(out, 2, "column1");
    else if (items.n > 0 && items.v[0].kind == CI_NAME)
        cn_set(out, 2, items.v[0].name);
    cn_items_free(&items);
}

static const char *const cn_value_functions[] = {
    "CURRENT_DATE",   "CURRENT_TIME",    "CURRENT_TIMESTAMP", "LOCALTIME",
    "LOCALTIMESTAMP", "CURRENT_ROLE",    "CURRENT_USER",      "SESSION_USER",
    "USER",           "CURRENT_CATALOG", "CURRENT_SCHEMA",    NULL};

/* Words that never start an operand. */
static const char *const cn_reserved[] = {
    "SELECT", "FROM",    "WHERE",   "AS",       "AND",    "OR",     "IS",   "IN",     "LIKE",
    "ILIKE",  "BETWEEN", "THEN",    "ELSE",     "WHEN",   "END",    "ON",   "BY",     "ORDER",
    "GROUP",  "LIMIT",   "UNION",   "DISTINCT", "ALL",    "ANY",    "SOME", "INTO",   "WITH",
    "VALUES", "TABLE",   "LATERAL", "USING",    "HAVING", "WINDOW", "OVER", "FILTER", NULL};

/* The function call whose name token is at n and whose argument list opens at i. */
static size_t cn_call(cn_t *c, size_t n, size_t i, size_t end, cn_name_t *out)
{
    size_t e = cn_close(c, i, end);
    if (!e)
        return 0;
    if (kw(c, n, "TRIM") && n + 1 == i) { /* TRIM(BOTH|LEADING|TRAILING ...) */
        cn_set(out, 2,
               kw(c, i + 1, "LEADING")    ? "ltrim"
               : kw(c, i + 1, "TRAILING") ? "rtrim"
                                          : "btrim");
    } else {
        cn_set(out, 2, NULL);
        cn_ident(c, n, out->name);
    }
    for (;;) {
        if (kw(c, e, "WITHIN") && kw(c, e + 1, "GROUP") && op(c, e + 2, "(") &&
            cn_close(c, e + 2, end))
            e = cn_close(c, e + 2, end);
        else if (kw(c, e, "FILTER") && op(c, e + 1, "(") && cn_close(c, e + 1, end))
            e = cn_close(c, e + 1, end);
        else if (kw(c, e, "OVER") && op(c, e + 1, "(") && cn_close(c, e + 1, end))
            e = cn_close(c, e + 1, end);
        else if (kw(c, e, "OVER") && is_name(c, e + 1) && e + 1 < end)
            e += 2;
        else
            return e;
    }
}

/* A primary expression at i: returns the index after it, or 0 when it is not understood. */
static size_t cn_primary(cn_t *c, size_t i, size_t end, cn_name_t *out)
{
    const sqlt_t *t = i < end ? &c->k->t[i] : NULL;
    size_t e = 0;
    cn_buf_t type;
    if (!t)
        return 0;
    if (op(c, i, "(")) {
        if (!(e = cn_close(c, i, end)))
            return 0;
        size_t a = i + 1;
        while (op(c, a, "("))
            a++;
        if (kw(c, a, "SELECT") || kw(c, a, "WITH") || kw(c, a, "VALUES") || kw(c, a, "TABLE") ||
            kw(c, a, "FROM")) {
            cn_subquery(c, i + 1, e - 1, out);
            return e;
        }
        int depth = 0;
        for (size_t j = i + 1; j + 1 < e; j++) {
            if (is_open(c, j))
                depth++;
            else if (is_close(c, j))
                depth--;
            else if (depth == 0 && op(c, j, ",")) {
                cn_set(out, 2, "row"); /* (a, b): an implicit ROW() */
                return e;
            }
        }
        cn_expr(c, i + 1, e - 1, out);
        return e;
    }
    if (t->kind == SQLT_NUMBER || t->kind == SQLT_STRING || t->kind == SQLT_PARAM) {
        cn_set(out, 0, NULL);
        return i + 1;
    }
    if (t->kind != SQLT_WORD && t->kind != SQLT_QIDENT)
        return 0;
    if (t->kind == SQLT_WORD) {
        if (kw(c, i, "NULL")) {
            cn_set(out, 0, NULL);
            return i + 1;
        }
        if (kw(c, i, "TRUE") || kw(c, i, "FALSE")) {
            cn_set(out, 0, NULL); /* a constant, unlike DuckDB's "bool" hint */
            return i + 1;
        }
        if (kw(c, i, "CASE")) {
            int depth = 0, cases = 0;
            for (size_t j = i; j < end; j++) {
                if (is_open(c, j))
                    depth++;
                else if (is_close(c, j))
                    depth--;
                else if (depth == 0 && kw(c, j, "CASE"))
                    cases++;
                else if (depth == 0 && kw(c, j, "END") && --cases == 0) {
                    cn_set(out, 1, "case");
                    return j + 1;
                }
            }
            return 0;
        }
        if ((kw(c, i, "EXISTS") || kw(c, i, "ARRAY") || kw(c, i, "ROW")) &&
            (op(c, i + 1, "(") || (kw(c, i, "ARRAY") && op(c, i + 1, "["))) &&
            (e = cn_close(c, i + 1, end))) {
            /* all strong: ARRAY[] and ROW() act like functions (a cast keeps the name) */
            cn_set(out, 2, kw(c, i, "EXISTS") ? "exists" : kw(c, i, "ROW") ? "row" : "array");
            return e;
        }
        if ((kw(c, i, "CAST") || kw(c, i, "TRY_CAST")) && op(c, i + 1, "(") &&
            (e = cn_close(c, i + 1, end))) {
            size_t as = 0;
            int depth = 0;
            for (size_t j = i + 2; j + 1 < e; j++) {
                if (is_open(c, j))
                    depth++;
                else if (is_close(c, j))
                    depth--;
                else if (depth == 0 && kw(c, j, "AS"))
                    as = j;
            }
            if (!as || cn_type(c, as + 1, e - 1, type) != e - 1)
                return 0;
            cn_expr(c, i + 2, as, out);
            cn_cast(out, type);
            return e;
        }
        if (kw_in(c, i, cn_value_functions)) {
            e = i + 1;
            if (op(c, e, "(") && cn_close(c, e, end))
                e = cn_close(c, e, end);
            cn_set(out, 2, NULL);
            cn_ident(c, i, out->name);
            return e;
        }
        if (kw(c, i, "COLLATION") && kw(c, i + 1, "FOR") && op(c, i + 2, "(") &&
            (e = cn_close(c, i + 2, end))) {
            cn_set(out, 2, "pg_collation_for");
            return e;
        }
        if (kw_in(c, i, cn_reserved))
            return 0;
    }
    /* a type-prefixed literal: DATE '2024-01-01', TIMESTAMP WITH TIME ZONE '...' */
    if ((e = cn_type(c, i, end, NULL)) && e < end && c->k->t[e].kind == SQLT_STRING) {
        cn_type(c, i, end, type);
        e++;
        if (strcmp(type, "interval") == 0)
            e = cn_skip_fields(c, e, end);
        cn_set(out, 1, type);
        return e;
    }
    /* a column reference or a function call: name [. name ...] [( ... )] */
    size_t last = i;
    while (op(c, last + 1, ".") && is_name(c, last + 2) && last + 2 < end)
        last += 2;
    if (op(c, last + 1, "(") && last + 1 < end)
        return cn_call(c, last, last + 1, end, out);
    if (op(c, last + 1, ".") && op(c, last + 2, "*"))
        return 0; /* t.* */
    cn_set(out, 2, NULL);
    cn_ident(c, last, out->name);
    out->ref = true;
    return last + 1;
}

/* A primary with its postfix parts: casts (::type), subscripts, field selection, COLLATE. */
static size_t cn_postfix(cn_t *c, size_t i, size_t end, cn_name_t *out)
{
    size_t e = cn_primary(c, i, end, out);
    cn_buf_t type;
    if (!e)
        return 0;
    while (e < end) {
        size_t n;
        if (op(c, e, "::")) {
            if (!(n = cn_type(c, e + 1, end, type)))
                return 0;
            cn_cast(out, type);
            e = n;
        } else if (op(c, e, "[")) {
            if (!(n = cn_close(c, e, end)))
                return 0;
            out->ref = false; /* a[1] is named after a, but DuckDB names it "a[1]" */
            e = n;
        } else if (op(c, e, ".") && is_name(c, e + 1) && e + 1 < end && !op(c, e + 2, "(")) {
            cn_set(out, 2, NULL);
            cn_ident(c, e + 1, out->name);
            e += 2;
        } else if (kw(c, e, "COLLATE") && e + 1 < end) {
            if (!(n = cn_type(c, e + 1, end, NULL))) /* a collation is a (qualified) name */
                return 0;
            out->ref = false;
            e = n;
        } else {
            break;
        }
    }
    return e;
}

static void cn_expr(cn_t *c, size_t a, size_t b, cn_name_t *out)
{
    cn_set(out, CN_UNKNOWN, NULL);
    if (a >= b || ++c->depth > CN_MAX_DEPTH) {
        c->depth--;
        return;
    }
    const sqlt_t *t = &c->k->t[a];
    if ((t->kind == SQLT_OP && !op(c, a, "(") && !op(c, a, "[") && !op(c, a, "{")) ||
        kw(c, a, "NOT")) {
        cn_set(out, 0, NULL); /* a prefix operator */
    } else {
        size_t e = cn_postfix(c, a, b, out);
        if (!e) {
            cn_set(out, CN_UNKNOWN, NULL);
        } else if (e < b) {
            cn_name_t zone;
            if (kw(c, e, "AT") && kw(c, e + 1, "TIME") && kw(c, e + 2, "ZONE") &&
                cn_postfix(c, e + 3, b, &zone) == b)
                cn_set(out, 2, "timezone"); /* PostgreSQL's timezone(zone, value) */
            else
                cn_set(out, 0, NULL); /* an operator expression */
        }
    }
    c->depth--;
}

/* ---- select lists ---- */

/* Words that may come right before a bare alias without being part of an expression. */
static const char *const cn_not_alias[] = {
    "NULL",   "TRUE",    "FALSE", "END",   "ZONE",       "PRECISION", "VARYING", "UNKNOWN",
    "ISNULL", "NOTNULL", "YEAR",  "MONTH", "DAY",        "HOUR",      "MINUTE",  "SECOND",
    "DESC",   "ASC",     "FIRST", "LAST",  "NORMALIZED", "DOCUMENT",  NULL};
static const char *const cn_before_operand[] = {
    "AND",     "OR",        "NOT",  "IS",       "IN",       "LIKE", "ILIKE",  "SIMILAR", "TO",
    "BETWEEN", "SYMMETRIC", "FROM", "DISTINCT", "AT",       "ZONE", "ESCAPE", "COLLATE", "OVER",
    "AS",      "THEN",      "ELSE", "WHEN",     "CASE",     "ANY",  "ALL",    "SOME",    "EXISTS",
    "ARRAY",   "OPERATOR",  "GLOB", "SELECT",   "INTERVAL", NULL};

/* True when the last token of item [a, b) is a bare alias (`expr name`). */
static bool cn_bare_alias(cn_t *c, size_t a, size_t b)
{
    if (b - a < 2 || !is_name(c, b - 1) || kw_in(c, b - 1, cn_not_alias) ||
        kw_in(c, b - 1, cn_reserved))
        return false;
    const sqlt_t *p = &c->k->t[b - 2];
    bool operand_end = op(c, b - 2, ")") || op(c, b - 2, "]") || p->kind == SQLT_NUMBER ||
                       p->kind == SQLT_STRING || p->kind == SQLT_PARAM || p->kind == SQLT_QIDENT ||
                       (p->kind == SQLT_WORD && !kw_in(c, b - 2, cn_before_operand));
    if (!operand_end)
        return false;
    cn_name_t whole;
    return cn_postfix(c, a, b, &whole) != b; /* `x::double precision` is one expression */
}

static void cn_push(cn_items_t *items, cn_item_t it)
{
    if (items->n == items->cap) {
        items->cap *= 2;
        if (items->v == items->small) {
            items->v = xmalloc(items->cap * sizeof *items->v);
            memcpy(items->v, items->small, sizeof items->small);
        } else {
            items->v = xrealloc(items->v, items->cap * sizeof *items->v);
        }
    }
    items->v[items->n++] = it;
}

/* Names select-list item [a, b). */
static cn_item_t cn_item(cn_t *c, size_t a, size_t b)
{
    cn_item_t it = {CI_KEEP, "", false, false};
    size_t j = a;
    if (a >= b)
        return it;
    while (is_name(c, j) && op(c, j + 1, "."))
        j += 2;
    if (op(c, j, "*") && j < b) {
        it.kind = CI_STAR;
        return it;
    }
    for (j = a; j + 1 < b; j++)
        if (kw(c, j, "COLUMNS") && op(c, j + 1, "(")) {
            it.kind = CI_STAR;
            return it;
        }
    it.wide = (kw(c, a, "UNNEST") || kw(c, a, "UNPACK")) && op(c, a + 1, "(");
    if ((b - a >= 3 && kw(c, b - 2, "AS") && is_name(c, b - 1)) || cn_bare_alias(c, a, b)) {
        it.kind = CI_NAME;
        cn_ident(c, b - 1, it.name);
        it.fold_only = true;
        return it;
    }
    cn_name_t n;
    if (b == a + 1 && is_name(c, a) && !kw(c, a, "NULL") && !kw(c, a, "TRUE") &&
        !kw(c, a, "FALSE") && !kw_in(c, a, cn_value_functions) && !kw_in(c, a, cn_reserved)) {
        cn_set(&n, 2, NULL); /* the usual item, a plain column, without the general parse */
        cn_ident(c, a, n.name);
        n.ref = true;
    } else {
        cn_expr(c, a, b, &n);
    }
    if (n.strength == CN_UNKNOWN)
        return it;
    it.kind = CI_NAME;
    cn_copy(it.name, n.strength > 0 ? n.name : "?column?");
    it.fold_only = n.ref;
    return it;
}

/* Words that end a select list at its top level. */
static const char *const cn_list_end[] = {
    "FROM",   "INTO",  "WHERE", "GROUP",  "HAVING", "WINDOW", "QUALIFY", "UNION",     "INTERSECT",
    "EXCEPT", "ORDER", "LIMIT", "OFFSET", "FETCH",  "FOR",    "USING",   "RETURNING", NULL};

/* Splits the select list starting at a (after SELECT) into items. */
static void cn_list(cn_t *c, size_t a, size_t b, cn_items_t *items)
{
    if (kw(c, a, "ALL")) {
        a++;
    } else if (kw(c, a, "DISTINCT")) {
        a++;
        if (kw(c, a, "ON") && op(c, a + 1, "(")) {
            size_t e = cn_close(c, a + 1, b);
            if (!e)
                return;
            a = e;
        }
    }
    int depth = 0;
    size_t start = a, j = a;
    for (; j < b; j++) {
        if (is_open(c, j)) {
            depth++;
        } else if (is_close(c, j)) {
            if (--depth < 0)
                break;
        } else if (depth == 0 && op(c, j, ",")) {
            cn_push(items, cn_item(c, start, j));
            start = j + 1;
        } else if (depth == 0 && kw_in(c, j, cn_list_end) &&
                   !(kw(c, j, "FROM") && kw(c, j - 1, "DISTINCT")) &&
                   !(kw(c, j, "GROUP") && kw(c, j - 1, "WITHIN")) &&
                   !(kw(c, j, "FOR") && kw(c, j - 1, "COLLATION"))) {
            break;
        }
    }
    if (j > start || items->n > 0)
        cn_push(items, cn_item(c, start, j));
}

/* The index of the first top-level word among words in [a, b), or b. */
static size_t cn_find(const cn_t *c, size_t a, size_t b, const char *const *words)
{
    int depth = 0;
    for (size_t j = a; j < b; j++) {
        if (is_open(c, j))
            depth++;
        else if (is_close(c, j))
            depth--;
        else if (depth == 0 && kw_in(c, j, words))
            return j;
    }
    return b;
}

/* The result items of the query or DML statement [a, b). */
static void cn_query(cn_t *c, size_t a, size_t b, cn_items_t *items)
{
    static const char *const main_words[] = {"SELECT", "VALUES", "INSERT", "UPDATE",
                                             "DELETE", "TABLE",  "FROM",   NULL};
    static const char *const select[] = {"SELECT", NULL};
    static const char *const returning[] = {"RETURNING", NULL};
    static const char *const for_word[] = {"FOR", NULL};
    if (++c->depth > CN_MAX_DEPTH)
        goto out;
    while (op(c, a, "("))
        a++;
    if (kw(c, a, "DECLARE")) {
        size_t f = cn_find(c, a, b, for_word);
        if (f < b)
            cn_query(c, f + 1, b, items);
        goto out;
    }
    if (kw(c, a, "WITH")) {
        a = cn_find(c, a + 1, b, main_words);
        while (op(c, a, "("))
            a++;
    }
    if (kw(c, a, "SELECT")) {
        cn_list(c, a + 1, b, items);
    } else if (kw(c, a, "VALUES")) {
        items->values = true;
    } else if (kw(c, a, "FROM")) {
        size_t s = cn_find(c, a, b, select);
        if (s < b)
            cn_list(c, s + 1, b, items);
    } else if (kw(c, a, "INSERT") || kw(c, a, "UPDATE") || kw(c, a, "DELETE")) {
        size_t r = cn_find(c, a, b, returning);
        if (r < b)
            cn_list(c, r + 1, b, items);
    }
out:
    c->depth--;
}

/* ---- matching items to columns ---- */

/* Names column col after item it (unless DuckDB's name is the same), allocating *names (ncols
 * entries) on the first name. */
static void cn_rename(char ***names, size_t ncols, const char *const *have, size_t col,
                      const cn_item_t *it)
{
    const char *h = have ? have[col] : NULL;
    if (it->kind != CI_NAME || !it->name[0]) /* "" (or a NUL in a quoted name): not a name */
        return;
    if (h && (strcmp(h, it->name) == 0 || (it->fold_only && strcasecmp(h, it->name) != 0)))
        return;
    if (!*names)
        *names = xcalloc(ncols, sizeof **names);
    (*names)[col] = xstrdup(it->name);
}

/* Scans stmt into k: a short statement's tokens into `stack` (n of them), a longer one's
 * into the heap (sqlscan_toks; *heap set). Scanning runs for every statement prepared, and
 * a malloc here costs more than the scan (the allocator consolidates DuckDB's frees). */
static bool cn_scan(sqlscan_toks_t *k, const char *stmt, size_t len, sqlt_t *stack, size_t n,
                    bool *heap)
{
    size_t pos = 0;
    *heap = false;
    k->s = stmt;
    k->t = stack;
    k->nt = 0;
    for (;;) {
        sqlt_t t = sqlscan_next(stmt, len, &pos);
        if (t.kind == SQLT_END)
            return true;
        if (t.kind == SQLT_ERROR || t.kind == SQLT_SEMI)
            return false;
        if (k->nt == n)
            break;
        stack[k->nt++] = t;
    }
    *heap = true;
    return sqlscan_toks(k, stmt, len, COMPAT_COLNAMES_MAX_TOKENS);
}

char **compat_colnames(const char *stmt, size_t len, const char *const *have, size_t ncols)
{
    sqlscan_toks_t k;
    sqlt_t stack[128];
    bool heap = false;
    cn_items_t items;
    char **names = NULL;
    cn_items_init(&items);
    if (ncols == 0)
        return NULL;
    if (!cn_scan(&k, stmt, len, stack, sizeof stack / sizeof stack[0], &heap))
        goto out;
    cn_t c = {&k, 0};
    cn_query(&c, 0, k.nt, &items);
    if (items.values) {
        for (size_t i = 0; i < ncols; i++) {
            cn_item_t col = {CI_NAME, "", false, false};
            snprintf(col.name, sizeof col.name, "column%zu", i + 1);
            cn_rename(&names, ncols, have, i, &col);
        }
    } else {
        size_t first = items.n, last = 0, nwide = 0;
        bool star = false;
        for (size_t i = 0; i < items.n; i++) {
            if (items.v[i].kind == CI_STAR || items.v[i].wide) {
                first = first < i ? first : i;
                last = i;
                nwide++;
                star = star || items.v[i].kind == CI_STAR;
            }
        }
        if (!star && items.n == ncols) { /* one column each */
            for (size_t i = 0; i < ncols; i++)
                cn_rename(&names, ncols, have, i, &items.v[i]);
        } else if (nwide > 0 && first + (items.n - last - 1) <= ncols) {
            for (size_t i = 0; i < first; i++)
                cn_rename(&names, ncols, have, i, &items.v[i]);
            for (size_t i = last + 1; i < items.n; i++)
                cn_rename(&names, ncols, have, ncols - (items.n - i), &items.v[i]);
        }
    }
out:
    cn_items_free(&items);
    if (heap)
        sqlscan_toks_free(&k);
    return names;
}

void compat_colnames_free(char **names, size_t ncols)
{
    if (!names)
        return;
    for (size_t i = 0; i < ncols; i++)
        free(names[i]);
    free(names);
}

/* ---- index names ---- */

/* PostgreSQL's name for index element [a, b): a column's name, else the expression's. */
static char *cn_index_elem(cn_t *c, size_t a, size_t b)
{
    static const char *const elem_end[] = {"ASC", "DESC", "NULLS", "COLLATE", NULL};
    if (is_name(c, a) && (a + 1 == b || kw_in(c, a + 1, elem_end) ||
                          (a + 2 == b && c->k->t[a + 1].kind == SQLT_WORD))) /* opclass */
    {
        cn_buf_t name;
        cn_ident(c, a, name);
        return xstrdup(name);
    }
    size_t e = b;
    if (op(c, a, "(") && cn_close(c, a, b))
        e = cn_close(c, a, b); /* (expression) [opclass] [ASC] ... */
    else if (is_name(c, a) && op(c, a + 1, "(") && cn_close(c, a + 1, b))
        e = cn_close(c, a + 1, b); /* f(x) [opclass] [ASC] ... */
    cn_name_t n;
    cn_expr(c, a, e, &n);
    return xstrdup(n.strength > 0 ? n.name : "expr");
}

/* Appends name to the "_"-joined list as PostgreSQL's ChooseIndexColumnNames does: a name
 * already used gets a number (expr, expr1, ...); the list stops growing past 63 bytes. */
static void cn_index_add(char **list, char ***used, size_t *nused, char *name)
{
    char *pick = xstrdup(name);
    for (int i = 1;; i++) {
        bool dup = false;
        for (size_t j = 0; j < *nused && !dup; j++)
            dup = strcmp((*used)[j], pick) == 0;
        if (!dup)
            break;
        free(pick);
        size_t cap = strlen(name) + 16;
        pick = xmalloc(cap);
        snprintf(pick, cap, "%s%d", name, i);
    }
    free(name);
    *used = xrealloc(*used, (*nused + 1) * sizeof **used);
    (*used)[(*nused)++] = pick;
    size_t have = strlen(*list);
    if (have >= CN_MAX_IDENT + 1)
        return;
    size_t add = strlen(pick) + (have ? 1 : 0);
    *list = xrealloc(*list, have + add + 1);
    snprintf(*list + have, add + 1, "%s%s", have ? "_" : "", pick);
}

bool compat_index_unnamed(const char *stmt, size_t len, compat_index_name_t *out)
{
    sqlscan_toks_t k;
    size_t i = 1, nused = 0;
    char **used = NULL;
    bool ok = false;
    memset(out, 0, sizeof *out);
    if (!sqlscan_toks(&k, stmt, len, COMPAT_COLNAMES_MAX_TOKENS))
        goto done;
    cn_t c = {&k, 0};
    if (!kw(&c, 0, "CREATE"))
        goto done;
    i += kw(&c, i, "UNIQUE");
    if (!kw(&c, i, "INDEX"))
        goto done;
    out->at = k.t[i].start + k.t[i].len;
    i++;
    if (kw(&c, i, "CONCURRENTLY")) {
        out->cut_from = k.t[i - 1].start + k.t[i - 1].len;
        out->cut_len = k.t[i].start + k.t[i].len - out->cut_from;
        i++;
    }
    if (!kw(&c, i, "ON"))
        goto done; /* named (or IF NOT EXISTS, which needs a name) */
    i += 1 + kw(&c, i + 1, "ONLY");
    if (!is_name(&c, i))
        goto done;
    if (op(&c, i + 1, ".") && is_name(&c, i + 2)) {
        cn_buf_t name;
        cn_ident(&c, i, name);
        out->schema = xstrdup(name);
        i += 2;
    }
    cn_buf_t table;
    cn_ident(&c, i++, table);
    out->table = xstrdup(table);
    if (kw(&c, i, "USING") && is_name(&c, i + 1))
        i += 2;
    size_t e = op(&c, i, "(") ? cn_close(&c, i, k.nt) : 0;
    if (!e || e == i + 2)
        goto done;
    out->cols = xstrdup("");
    int depth = 0;
    for (size_t j = i + 1, start = i + 1; j < e; j++) {
        if (is_open(&c, j))
            depth++;
        else if (is_close(&c, j) && depth > 0)
            depth--;
        else if (depth == 0 && (op(&c, j, ",") || j == e - 1)) {
            if (j == start)
                goto done;
            cn_index_add(&out->cols, &used, &nused, cn_index_elem(&c, start, j));
            start = j + 1;
        }
    }
    ok = true;
done:
    for (size_t j = 0; j < nused; j++)
        free(used[j]);
    free(used);
    sqlscan_toks_free(&k);
    if (!ok)
        compat_index_name_free(out);
    return ok;
}

/* Cuts s to at most n bytes without splitting a UTF-8 sequence; returns the length. */
static size_t cn_clip(const char *s, size_t n)
{
    size_t len = strlen(s);
    if (len <= n)
        return len;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return n;
}

char *compat_index_choose(const compat_index_name_t *n, int pass)
{
    char label[32];
    snprintf(label, sizeof label, pass ? "idx%d" : "idx", pass);
    /* makeObjectName: shorten the longer of the two parts until the whole fits 63 bytes */
    size_t n1 = strlen(n->table), n2 = strlen(n->cols);
    size_t avail = CN_MAX_IDENT - (strlen(label) + 1) - (n2 ? 1 : 0);
    while (n1 + n2 > avail) {
        if (n1 > n2)
            n1--;
        else
            n2--;
    }
    n1 = cn_clip(n->table, n1);
    n2 = cn_clip(n->cols, n2);
    size_t cap = n1 + n2 + strlen(label) + 3;
    char *out = xmalloc(cap);
    if (n2)
        snprintf(out, cap, "%.*s_%.*s_%s", (int)n1, n->table, (int)n2, n->cols, label);
    else
        snprintf(out, cap, "%.*s_%s", (int)n1, n->table, label);
    return out;
}

char *compat_index_named(const char *stmt, size_t len, const compat_index_name_t *n,
                         const char *name)
{
    ubuf_t b = UBUF_INIT;
    size_t at = n->at <= len ? n->at : len;
    ubuf_append(&b, stmt, at);
    ubuf_putc(&b, ' ');
    ubuf_put_ident(&b, name);
    if (n->cut_len && n->cut_from == at && at + n->cut_len <= len)
        at += n->cut_len;
    ubuf_append(&b, stmt + at, len - at);
    char *out = xstrdup(ubuf_cstr(&b));
    ubuf_free(&b);
    return out;
}

void compat_index_name_free(compat_index_name_t *n)
{
    free(n->schema);
    free(n->table);
    free(n->cols);
    memset(n, 0, sizeof *n);
}
