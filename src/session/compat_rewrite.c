/* The PostgreSQL dialect layer's expression rewrites (compat_rewrite; see compat.h): the
 * expressions and pg_catalog references that drivers and tools send on connect and for
 * metadata (psql's \d commands, JDBC's and asyncpg's type lookups, SQLAlchemy's reflection,
 * postgres.js's array types) become SQL DuckDB runs. Statements are matched on tokens from
 * sqlscan, so quoted text is never rewritten by accident. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "session/compat.h"
#include "session/compat_alter.h"
#include "session/compat_catalog.h"
#include "session/sqlscan.h"
#include "types/pgnumfmt.h"
#include "util/buf.h"
#include "util/xalloc.h"

/* ==== Expression rewrites ====
 *
 * compat_rewrite runs a few passes over a statement's tokens. Each pass collects edits (a
 * byte range of the statement and its replacement) and applies them; the next pass scans
 * the result again, so a pass may emit text that a later pass rewrites further (a regclass
 * lookup emits pg_catalog.pg_class, which the catalog pass replaces). Only tokens are ever
 * matched, so text inside string literals, quoted identifiers and comments is never changed.
 *
 *   hide     (only once duckd.foreign_keys exists; first) DuckDB's catalogs in FROM items
 *            and SHOW ALL TABLES become subqueries without duckd's own schema
 *   ops      OPERATOR(pg_catalog.~) -> ~; COLLATE pg_catalog.default removed; the regular
 *            expression operators ~ ~* !~ !~* get PostgreSQL's "match anywhere" semantics;
 *            x = ANY(array) -> list_contains(array, x)
 *   regcasts x::regclass, x::regtype, x::regnamespace, x::regproc (and CAST(x AS ...))
 *   casts    ::oid / ::name / ::jsonb / ::pg_catalog.text ... to DuckDB types; '{1,2}'::int[]
 *   calls    version(), current_setting('pg param'), pg_get_userbyid(), format_type(), ...;
 *            pg_catalog.f(...) -> f(...)
 *   catalog  pg_catalog tables DuckDB lacks or fills differently (pg_type with PostgreSQL
 *            OIDs, pg_attribute, pg_namespace, pg_database, pg_roles, pg_range, ...) become
 *            subqueries. */

#define CX_NONE ((size_t)-1)
#define CX_MAX_ARGS 9

typedef struct cx_toks {
    const char *s;
    size_t n;
    sqlt_t *t;
    size_t *match; /* for ( ) [ ]: index of the partner bracket, else CX_NONE */
    size_t nt;
} cx_toks_t;

typedef struct cx_ctx {
    compat_get_fn get;
    void *ctx;
} cx_ctx_t;

typedef struct cx_edit {
    size_t start, end;
    char *text; /* owned */
} cx_edit_t;

typedef struct cx_edits {
    cx_edit_t *e;
    size_t n, cap;
    size_t last_end;
} cx_edits_t;

static void cx_link_brackets(cx_toks_t *k)
{
    size_t *stack = xmalloc((k->nt ? k->nt : 1) * sizeof *stack);
    size_t depth = 0;
    for (size_t i = 0; i < k->nt; i++) {
        const sqlt_t *t = &k->t[i];
        k->match[i] = CX_NONE;
        if (t->kind != SQLT_OP || t->len != 1)
            continue;
        char c = k->s[t->start];
        if (c == '(' || c == '[') {
            stack[depth++] = i;
        } else if ((c == ')' || c == ']') && depth > 0) {
            size_t o = stack[depth - 1];
            char oc = k->s[k->t[o].start];
            if ((c == ')') != (oc == '('))
                continue; /* mismatched: leave both unlinked */
            depth--;
            k->match[i] = o;
            k->match[o] = i;
        }
    }
    free(stack);
}

/* Tokenizes s[0..n); false (nothing allocated) on an unterminated quote or comment. */
static bool cx_scan(cx_toks_t *k, const char *s, size_t n)
{
    size_t pos = 0, cap = 32;
    memset(k, 0, sizeof *k);
    k->s = s;
    k->n = n;
    k->t = xmalloc(cap * sizeof *k->t);
    for (;;) {
        sqlt_t t = sqlscan_next(s, n, &pos);
        if (t.kind == SQLT_ERROR) {
            free(k->t);
            k->t = NULL;
            return false;
        }
        if (t.kind == SQLT_END)
            break;
        if (k->nt == cap) {
            cap *= 2;
            k->t = xrealloc(k->t, cap * sizeof *k->t);
        }
        k->t[k->nt++] = t;
    }
    k->match = xmalloc((k->nt ? k->nt : 1) * sizeof *k->match);
    cx_link_brackets(k);
    return true;
}

static void cx_toks_free(cx_toks_t *k)
{
    free(k->t);
    free(k->match);
    memset(k, 0, sizeof *k);
}

/* Token predicates; an out-of-range index (including (size_t)-1) is never a match. */
static bool cx_word(const cx_toks_t *k, size_t i, const char *w)
{
    return i < k->nt && sqlscan_is(k->s, &k->t[i], w);
}

static bool cx_op(const cx_toks_t *k, size_t i, const char *op)
{
    return i < k->nt && sqlscan_is_op(k->s, &k->t[i], op);
}

static bool cx_kind(const cx_toks_t *k, size_t i, sqlt_kind_t kind)
{
    return i < k->nt && k->t[i].kind == kind;
}

static bool cx_name(const cx_toks_t *k, size_t i)
{
    return cx_kind(k, i, SQLT_WORD) || cx_kind(k, i, SQLT_QIDENT);
}

static size_t cx_start(const cx_toks_t *k, size_t i) { return k->t[i].start; }
static size_t cx_end(const cx_toks_t *k, size_t i) { return k->t[i].start + k->t[i].len; }

/* Words that end or start a clause: never an alias, a function name or an operand. */
static bool cx_keyword(const cx_toks_t *k, size_t i)
{
    static const char *const words[] = {
        "ALL",    "AND",   "ANY",       "ARRAY",     "AS",       "ASC",    "BETWEEN", "BY",
        "CASE",   "CAST",  "CROSS",     "DESC",      "DISTINCT", "ELSE",   "END",     "EXCEPT",
        "EXISTS", "FETCH", "FOR",       "FROM",      "FULL",     "GROUP",  "HAVING",  "ILIKE",
        "IN",     "INNER", "INTERSECT", "INTO",      "IS",       "JOIN",   "LATERAL", "LEFT",
        "LIKE",   "LIMIT", "NATURAL",   "NOT",       "OFFSET",   "ON",     "OR",      "ORDER",
        "OUTER",  "OVER",  "QUALIFY",   "RETURNING", "RIGHT",    "SELECT", "SET",     "SIMILAR",
        "SOME",   "THEN",  "UNION",     "USING",     "VALUES",   "WHEN",   "WHERE",   "WINDOW",
        "WITH",
    };
    if (!cx_kind(k, i, SQLT_WORD))
        return false;
    for (size_t w = 0; w < sizeof words / sizeof words[0]; w++)
        if (sqlscan_is(k->s, &k->t[i], words[w]))
            return true;
    return false;
}

/* Lower-cased text of a WORD, or the inside of a "quoted identifier", into buf (truncated). */
static void cx_ident(const cx_toks_t *k, size_t i, char *buf, size_t size)
{
    const sqlt_t *t = &k->t[i];
    const char *p = k->s + t->start;
    size_t len = t->len, o = 0;
    if (t->kind == SQLT_QIDENT && len >= 2) {
        p++;
        len -= 2;
    }
    for (size_t j = 0; j < len && o + 1 < size; j++)
        buf[o++] = t->kind == SQLT_WORD && p[j] >= 'A' && p[j] <= 'Z' ? (char)(p[j] + 32) : p[j];
    buf[o] = '\0';
}

/* ---- edits ---- */

/* Records that bytes [start, end) become `text` (owned). Edits must come in order and must
 * not overlap; an overlapping edit is dropped (a later pass iteration retries it). */
static void cx_edit(cx_edits_t *ed, size_t start, size_t end, char *text)
{
    if (start < ed->last_end || end < start) {
        free(text);
        return;
    }
    if (ed->n == ed->cap) {
        ed->cap = ed->cap ? ed->cap * 2 : 8;
        ed->e = xrealloc(ed->e, ed->cap * sizeof *ed->e);
    }
    ed->e[ed->n].start = start;
    ed->e[ed->n].end = end;
    ed->e[ed->n].text = text;
    ed->n++;
    ed->last_end = end;
}

static void cx_edit_str(cx_edits_t *ed, size_t start, size_t end, const char *text)
{
    cx_edit(ed, start, end, xstrdup(text));
}

static void cx_edit_buf(cx_edits_t *ed, size_t start, size_t end, ubuf_t *b)
{
    ubuf_cstr(b);
    cx_edit(ed, start, end, b->data);
    memset(b, 0, sizeof *b);
}

/* Applies and releases the edits: the new statement, or NULL when there were none. */
static char *cx_apply(const char *s, size_t n, cx_edits_t *ed)
{
    ubuf_t b = UBUF_INIT;
    size_t copied = 0;
    if (ed->n == 0) {
        free(ed->e);
        return NULL;
    }
    for (size_t i = 0; i < ed->n; i++) {
        ubuf_append(&b, s + copied, ed->e[i].start - copied);
        ubuf_puts(&b, ed->e[i].text);
        copied = ed->e[i].end;
        free(ed->e[i].text);
    }
    ubuf_append(&b, s + copied, n - copied);
    free(ed->e);
    ubuf_cstr(&b);
    return b.data;
}

static void cx_put_literal(ubuf_t *b, const char *v)
{
    ubuf_putc(b, '\'');
    for (; *v; v++) {
        if (*v == '\'')
            ubuf_putc(b, '\'');
        ubuf_putc(b, *v);
    }
    ubuf_putc(b, '\'');
}

static void cx_put_range(ubuf_t *b, const cx_toks_t *k, size_t first, size_t last)
{
    ubuf_append(b, k->s + cx_start(k, first), cx_end(k, last) - cx_start(k, first));
}

/* ---- expression shapes ---- */

/* Index one past a type name starting at token i: a possibly qualified name or "quoted"
 * name, multi-word spellings (double precision, timestamp with time zone, character
 * varying), a modifier list (varchar(10)) and array brackets. CX_NONE if none. */
static size_t cx_type_end(const cx_toks_t *k, size_t i)
{
    if (!cx_name(k, i))
        return CX_NONE;
    size_t e = i + 1;
    while (cx_op(k, e, ".") && cx_name(k, e + 1))
        e += 2;
    if ((cx_word(k, e - 1, "double") && cx_word(k, e, "precision")) ||
        ((cx_word(k, e - 1, "character") || cx_word(k, e - 1, "bit")) && cx_word(k, e, "varying")))
        e++;
    if (cx_op(k, e, "(") && k->match[e] != CX_NONE)
        e = k->match[e] + 1;
    if ((cx_word(k, e, "with") || cx_word(k, e, "without")) && cx_word(k, e + 1, "time") &&
        cx_word(k, e + 2, "zone"))
        e += 3;
    while (cx_op(k, e, "[") && k->match[e] != CX_NONE)
        e = k->match[e] + 1;
    return e;
}

/* First token of the operand that ends at token i (what a `::` after token i applies to):
 * a literal, a parameter, a possibly qualified name, a call, ARRAY[...], a parenthesised
 * expression, with subscripts and earlier casts (x::text::regclass). CX_NONE if unclear. */
static size_t cx_operand_start(const cx_toks_t *k, size_t i)
{
    for (;;) {
        size_t j = i;
        if (i >= k->nt)
            return CX_NONE;
        if (cx_op(k, i, ")") || cx_op(k, i, "]")) {
            j = k->match[i];
            if (j == CX_NONE)
                return CX_NONE;
            if (j > 0 && (cx_op(k, j - 1, ")") || cx_op(k, j - 1, "]"))) {
                i = j - 1; /* (expr)[1] or f(x)[1]: keep walking left */
                continue;
            }
            if (cx_name(k, j - 1) && (!cx_keyword(k, j - 1) || cx_word(k, j - 1, "ARRAY") ||
                                      cx_word(k, j - 1, "CAST") || cx_word(k, j - 1, "EXISTS")))
                j--;
        } else if (!cx_name(k, i) && !cx_kind(k, i, SQLT_STRING) && !cx_kind(k, i, SQLT_NUMBER) &&
                   !cx_kind(k, i, SQLT_PARAM)) {
            return CX_NONE;
        } else if (cx_keyword(k, i)) {
            return CX_NONE;
        }
        while (cx_name(k, j) && cx_op(k, j - 1, ".") && cx_name(k, j - 2))
            j -= 2;
        if (!cx_op(k, j - 1, "::"))
            return j;
        i = j - 2; /* j starts a type name: continue with the operand of that cast */
    }
}

/* Index one past the operand starting at token i (the right-hand side of a binary
 * operator), including subscripts and casts; CX_NONE if it is not a simple operand. */
static size_t cx_operand_end(const cx_toks_t *k, size_t i)
{
    size_t e;
    if (cx_kind(k, i, SQLT_STRING) || cx_kind(k, i, SQLT_NUMBER) || cx_kind(k, i, SQLT_PARAM)) {
        e = i + 1;
    } else if (cx_op(k, i, "(")) {
        if (k->match[i] == CX_NONE)
            return CX_NONE;
        e = k->match[i] + 1;
    } else if (cx_name(k, i) && !cx_keyword(k, i)) {
        e = i + 1;
        while (cx_op(k, e, ".") && cx_name(k, e + 1))
            e += 2;
        if (cx_op(k, e, "(") && k->match[e] != CX_NONE)
            e = k->match[e] + 1;
    } else {
        return CX_NONE;
    }
    for (;;) {
        if (cx_op(k, e, "[") && k->match[e] != CX_NONE)
            e = k->match[e] + 1;
        else if (cx_op(k, e, "::") && cx_type_end(k, e + 1) != CX_NONE)
            e = cx_type_end(k, e + 1);
        else
            return e;
    }
}

/* True when token i can end the left operand of a binary operator. */
static bool cx_ends_operand(const cx_toks_t *k, size_t i)
{
    if (cx_kind(k, i, SQLT_QIDENT) || cx_kind(k, i, SQLT_STRING) || cx_kind(k, i, SQLT_NUMBER) ||
        cx_kind(k, i, SQLT_PARAM) || cx_op(k, i, ")") || cx_op(k, i, "]"))
        return true;
    return cx_kind(k, i, SQLT_WORD) && (!cx_keyword(k, i) || cx_word(k, i, "END"));
}

/* ---- pass: operators and collations ---- */

/* The regular expression match operators: DuckDB's ~ must match the whole string while
 * PostgreSQL's matches anywhere, and DuckDB has no ~* / !~*. They become SIMILAR TO (DuckDB's
 * full-match regular expression operator, which a later iteration does not rewrite again)
 * with the pattern wrapped in .*(?: ... ).* and the s (and i) flags: in PostgreSQL `.`
 * matches a newline. */
static const char *cx_regex_prefix(const char *op, size_t len)
{
    if (len == 1 && memcmp(op, "~", 1) == 0)
        return "SIMILAR TO ('(?s).*(?:' || ";
    if (len == 2 && memcmp(op, "~*", 2) == 0)
        return "SIMILAR TO ('(?si).*(?:' || ";
    if (len == 2 && memcmp(op, "!~", 2) == 0)
        return "NOT SIMILAR TO ('(?s).*(?:' || ";
    if (len == 3 && memcmp(op, "!~*", 3) == 0)
        return "NOT SIMILAR TO ('(?si).*(?:' || ";
    return NULL;
}

/* An operator at tokens [i, last] spelled op[0..len) (either a plain operator or the inside
 * of OPERATOR(schema.op)): rewrites it, and for a regular expression operator its right
 * operand too. Returns the last token consumed. */
static size_t cx_rewrite_operator(const cx_toks_t *k, size_t i, size_t last, const char *op,
                                  size_t len, cx_edits_t *ed)
{
    const char *prefix = cx_ends_operand(k, i - 1) ? cx_regex_prefix(op, len) : NULL;
    size_t e = prefix ? cx_operand_end(k, last + 1) : CX_NONE;
    ubuf_t b = UBUF_INIT;
    if (e == CX_NONE) {
        if (last == i)
            return i; /* a plain operator that needs nothing */
        ubuf_append(&b, op, len);
        ubuf_putc(&b, ' ');
        cx_edit_buf(ed, cx_start(k, i), cx_end(k, last), &b);
        return last;
    }
    ubuf_puts(&b, prefix);
    cx_put_range(&b, k, last + 1, e - 1);
    ubuf_puts(&b, " || ').*')");
    cx_edit_buf(ed, cx_start(k, i), cx_end(k, e - 1), &b);
    return e - 1;
}

/* OPERATOR ( [schema .] op ) starting at token i: returns the last token consumed. */
static size_t cx_operator_syntax(const cx_toks_t *k, size_t i, cx_edits_t *ed)
{
    size_t close = k->match[i + 1];
    if (close == CX_NONE || close < i + 3 || !cx_kind(k, close - 1, SQLT_OP))
        return i;
    if (close - (i + 1) != 2 &&
        !(close - (i + 1) == 4 && cx_name(k, i + 2) && cx_op(k, i + 3, ".")))
        return i;
    const sqlt_t *op = &k->t[close - 1];
    return cx_rewrite_operator(k, i, close, k->s + op->start, op->len, ed);
}

/* COLLATE pg_catalog.default / "C" / "POSIX": DuckDB has no such collations and compares
 * bytes by default, which is what they mean. Returns the last token consumed. */
static size_t cx_collate(const cx_toks_t *k, size_t i, cx_edits_t *ed)
{
    static const char *const plain[] = {"default", "c", "posix", "ucs_basic"};
    char name[32];
    size_t last = i + 1;
    if (cx_word(k, i + 1, "pg_catalog") && cx_op(k, i + 2, ".") && cx_name(k, i + 3)) {
        last = i + 3;
    } else if (cx_name(k, i + 1)) {
        bool known = false;
        cx_ident(k, i + 1, name, sizeof name);
        for (size_t w = 0; w < sizeof plain / sizeof plain[0]; w++)
            known = known || strcasecmp(name, plain[w]) == 0;
        if (!known)
            return i;
    } else {
        return i;
    }
    cx_edit_str(ed, cx_start(k, i), cx_end(k, last), "");
    return last;
}

/* True when token i cannot continue an expression to its right, so that an operand
 * starting after it is the whole left-hand side of a comparison. */
static bool cx_expr_boundary(const cx_toks_t *k, size_t i)
{
    static const char *const words[] = {"AND",  "OR",     "NOT",  "WHERE", "ON",
                                        "WHEN", "SELECT", "THEN", "ELSE",  "HAVING"};
    if (i >= k->nt)
        return true; /* start of the statement */
    if (cx_op(k, i, "(") || cx_op(k, i, ","))
        return true;
    for (size_t w = 0; w < sizeof words / sizeof words[0]; w++)
        if (cx_word(k, i, words[w]))
            return true;
    return false;
}

/* x = ANY(array) / x <> ALL(array) with the operator at token i: DuckDB plans ANY over a
 * list as a subquery, which it cannot use in an outer join condition; list_contains is the
 * same test. ANY(SELECT ...) is left alone. Returns the last token consumed. */
static size_t cx_any_array(const cx_toks_t *k, size_t i, cx_edits_t *ed)
{
    bool eq = cx_op(k, i, "=");
    size_t open = i + 2, close, first;
    if (!(eq ? (cx_word(k, i + 1, "ANY") || cx_word(k, i + 1, "SOME"))
             : ((cx_op(k, i, "<>") || cx_op(k, i, "!=")) && cx_word(k, i + 1, "ALL"))) ||
        !cx_op(k, open, "(") || (close = k->match[open]) == CX_NONE || close == open + 1 ||
        cx_word(k, open + 1, "SELECT") || cx_word(k, open + 1, "WITH") ||
        cx_word(k, open + 1, "VALUES") || cx_word(k, open + 1, "TABLE") || cx_op(k, open + 1, "("))
        return i;
    first = cx_operand_start(k, i - 1);
    if (first == CX_NONE || !cx_expr_boundary(k, first - 1))
        return i;
    ubuf_t b = UBUF_INIT;
    ubuf_puts(&b, eq ? "list_contains(" : "NOT list_contains(");
    cx_put_range(&b, k, open + 1, close - 1);
    ubuf_puts(&b, ", ");
    cx_put_range(&b, k, first, i - 1);
    ubuf_putc(&b, ')');
    cx_edit_buf(ed, cx_start(k, first), cx_end(k, close), &b);
    return close;
}

static bool cx_array_literal(const char *p, size_t n, ubuf_t *out);

/* The text of an operand at tokens [first, e) as a function argument: a PostgreSQL array
 * literal ('{a,b}') becomes DuckDB's list (['a', 'b']) when `array`, else it is copied. */
static void cx_put_operand(ubuf_t *b, const cx_toks_t *k, size_t first, size_t e, bool array)
{
    const sqlt_t *t = &k->t[first];
    const char *p = k->s + t->start;
    ubuf_t lit = UBUF_INIT;
    if (array && e == first + 1 && cx_kind(k, first, SQLT_STRING) && t->len >= 4 && p[1] == '{' &&
        !memchr(p + 1, '\'', t->len - 2) && cx_array_literal(p + 1, t->len - 2, &lit))
        ubuf_append(b, lit.data, lit.len);
    else
        cx_put_range(b, k, first, e - 1);
    ubuf_free(&lit);
}

/* jsonb's path operators, x #> path / x #>> path (path a text array), and its key tests
 * x ? 'key', x ?| keys, x ?& keys: DuckDB's JSON functions over a JSON pointer ("/a/1": an
 * object's key or an array's index, as PostgreSQL's path elements are) and duckd's
 * duckd_jsonb_exists[_any|_all] (engine/pgfuncs.c: a key, or a string element of an array).
 * A `?` whose right-hand side is not a string literal is left alone (a positional parameter
 * to DuckDB). Returns the last token consumed. */
static size_t cx_json_op(const cx_toks_t *k, size_t i, cx_edits_t *ed)
{
    bool q = cx_op(k, i, "?"), qlist = cx_op(k, i, "?|") || cx_op(k, i, "?&");
    size_t first = cx_ends_operand(k, i - 1) ? cx_operand_start(k, i - 1) : CX_NONE;
    size_t e = CX_NONE;
    if (cx_word(k, i + 1, "ARRAY") && cx_op(k, i + 2, "[") && k->match[i + 2] != CX_NONE)
        e = k->match[i + 2] + 1;
    else if (!q || cx_kind(k, i + 1, SQLT_STRING))
        e = cx_operand_end(k, i + 1);
    if (first == CX_NONE || e == CX_NONE || (q && e != i + 2))
        return i;
    ubuf_t b = UBUF_INIT;
    if (q || qlist) {
        ubuf_puts(&b, q                   ? "duckd_jsonb_exists("
                      : cx_op(k, i, "?|") ? "duckd_jsonb_exists_any("
                                          : "duckd_jsonb_exists_all(");
        cx_put_range(&b, k, first, i - 1);
        ubuf_puts(&b, ", ");
        cx_put_operand(&b, k, i + 1, e, qlist);
        ubuf_putc(&b, ')');
        cx_edit_buf(ed, cx_start(k, first), cx_end(k, e - 1), &b);
        return e - 1;
    }
    ubuf_puts(&b, cx_op(k, i, "#>") ? "json_extract(" : "json_extract_string(");
    cx_put_range(&b, k, first, i - 1);
    ubuf_puts(&b, ", '/' || array_to_string(list_transform(");
    cx_put_operand(&b, k, i + 1, e, true);
    ubuf_puts(&b, ", cx_k -> replace(replace(CAST(cx_k AS VARCHAR), '~', '~0'), '/', "
                  "'~1')), '/'))");
    cx_edit_buf(ed, cx_start(k, first), cx_end(k, e - 1), &b);
    return e - 1;
}

/* Whether the operand at tokens [first, e) is cast to json or jsonb (x::jsonb). */
static bool cx_json_cast(const cx_toks_t *k, size_t first, size_t e)
{
    return e >= first + 3 && cx_op(k, e - 2, "::") &&
           (cx_word(k, e - 1, "jsonb") || cx_word(k, e - 1, "json"));
}

/* The binary operator at token i with simple operands: [*first, i) and (i, *e). */
static bool cx_binary_operands(const cx_toks_t *k, size_t i, size_t *first, size_t *e)
{
    *first = cx_ends_operand(k, i - 1) ? cx_operand_start(k, i - 1) : CX_NONE;
    if (cx_word(k, i + 1, "ARRAY") && cx_op(k, i + 2, "[") && k->match[i + 2] != CX_NONE)
        *e = k->match[i + 2] + 1;
    else if (cx_word(k, i + 1, "CAST") && cx_op(k, i + 2, "(") && k->match[i + 2] != CX_NONE)
        *e = k->match[i + 2] + 1;
    else
        *e = cx_operand_end(k, i + 1);
    return *first != CX_NONE && *e != CX_NONE;
}

/* a || b where either operand is cast to jsonb: jsonb's concatenation (objects merge, arrays
 * concatenate), duckd_jsonb_concat; DuckDB's || would join the texts. */
static size_t cx_json_concat(const cx_toks_t *k, size_t i, cx_edits_t *ed)
{
    size_t first, e;
    if (!cx_binary_operands(k, i, &first, &e) ||
        !(cx_json_cast(k, first, i) || cx_json_cast(k, i + 1, e)))
        return i;
    ubuf_t b = UBUF_INIT;
    ubuf_puts(&b, "duckd_jsonb_concat(");
    cx_put_range(&b, k, first, i - 1);
    ubuf_puts(&b, ", ");
    cx_put_range(&b, k, i + 1, e - 1);
    ubuf_putc(&b, ')');
    cx_edit_buf(ed, cx_start(k, first), cx_end(k, e - 1), &b);
    return e - 1;
}

static void cx_pass_ops(const cx_toks_t *k, const cx_ctx_t *c, cx_edits_t *ed)
{
    size_t j;
    (void)c;
    for (size_t i = 0; i < k->nt; i++) {
        const sqlt_t *t = &k->t[i];
        if (cx_word(k, i, "OPERATOR") && cx_op(k, i + 1, "("))
            i = cx_operator_syntax(k, i, ed);
        else if (cx_word(k, i, "COLLATE"))
            i = cx_collate(k, i, ed);
        else if ((cx_word(k, i + 1, "ANY") || cx_word(k, i + 1, "SOME") ||
                  cx_word(k, i + 1, "ALL")) &&
                 cx_any_array(k, i, ed) != i)
            i = k->match[i + 2];
        else if ((cx_op(k, i, "#>") || cx_op(k, i, "#>>") || cx_op(k, i, "?") ||
                  cx_op(k, i, "?|") || cx_op(k, i, "?&")) &&
                 (j = cx_json_op(k, i, ed)) != i)
            i = j;
        else if (cx_op(k, i, "||") && (j = cx_json_concat(k, i, ed)) != i)
            i = j;
        else if (t->kind == SQLT_OP && k->s[t->start] != '(' && k->s[t->start] != ')')
            i = cx_rewrite_operator(k, i, i, k->s + t->start, t->len, ed);
    }
}

/* ---- pass: casts to PostgreSQL's reg* types ---- */

typedef enum {
    CX_REG_NONE,
    CX_REG_CLASS,
    CX_REG_TYPE,
    CX_REG_NAMESPACE,
    CX_REG_PROC,
    CX_REG_ROLE
} cx_reg_t;

/* Which reg* type the type name at token i (maybe pg_catalog-qualified) is; *name_tok is
 * set to the token of the bare name. */
static cx_reg_t cx_reg_kind(const cx_toks_t *k, size_t i, size_t *name_tok)
{
    static const struct {
        const char *name;
        cx_reg_t kind;
    } regs[] = {{"regclass", CX_REG_CLASS},         {"regtype", CX_REG_TYPE},
                {"regnamespace", CX_REG_NAMESPACE}, {"regproc", CX_REG_PROC},
                {"regprocedure", CX_REG_PROC},      {"regrole", CX_REG_ROLE}};
    if (cx_word(k, i, "pg_catalog") && cx_op(k, i + 1, "."))
        i += 2;
    *name_tok = i;
    if (cx_op(k, i + 1, "[")) /* regclass[] etc.: leave alone */
        return CX_REG_NONE;
    for (size_t r = 0; r < sizeof regs / sizeof regs[0]; r++)
        if (cx_word(k, i, regs[r].name))
            return regs[r].kind;
    return CX_REG_NONE;
}

/* True when the type at token i is a text type (x::regclass::text prints the name). */
static bool cx_is_text_type(const cx_toks_t *k, size_t i)
{
    if (cx_word(k, i, "pg_catalog") && cx_op(k, i + 1, "."))
        i += 2;
    return (cx_word(k, i, "text") || cx_word(k, i, "varchar") || cx_word(k, i, "name")) &&
           !cx_op(k, i + 1, "[") && !cx_op(k, i + 1, "(");
}

/* The replacement for a cast of the operand text `x` to a reg* type: an OID lookup by OID or
 * by name, or the name itself when `as_name` (x::regclass::text). */
static void cx_reg_lookup_value(ubuf_t *b, cx_reg_t kind, const char *x, bool as_name,
                                const cx_ctx_t *c)
{
    switch (kind) {
    case CX_REG_CLASS:
        ubuf_printf(b,
                    "(SELECT %s FROM pg_catalog.pg_class cx_c WHERE cx_c.oid::VARCHAR = "
                    "(%s)::VARCHAR OR cx_c.relname = trim(regexp_extract((%s)::VARCHAR, "
                    "'[^.]*$'), '\"') ORDER BY cx_c.oid LIMIT 1)",
                    as_name ? "cx_c.relname" : "cx_c.oid", x, x);
        return;
    case CX_REG_TYPE:
        ubuf_printf(b,
                    "(SELECT %s FROM pg_catalog.pg_type cx_t WHERE cx_t.oid::VARCHAR = "
                    "(%s)::VARCHAR OR cx_t.typname = trim(regexp_extract((%s)::VARCHAR, "
                    "'[^.]*$'), '\"') OR format_type(cx_t.oid, NULL) = lower(trim((%s)::VARCHAR)) "
                    "ORDER BY cx_t.oid LIMIT 1)",
                    as_name ? "format_type(cx_t.oid, NULL)" : "cx_t.oid", x, x, x);
        return;
    case CX_REG_NAMESPACE:
        ubuf_printf(b,
                    "(SELECT %s FROM pg_catalog.pg_namespace cx_n WHERE cx_n.oid::VARCHAR "
                    "= (%s)::VARCHAR OR cx_n.nspname = trim((%s)::VARCHAR, '\"') "
                    "ORDER BY cx_n.oid LIMIT 1)",
                    as_name ? "cx_n.nspname" : "cx_n.oid", x, x);
        return;
    case CX_REG_PROC: /* functions are known by name: keep the name, without pg_catalog. */
        ubuf_printf(b, "regexp_replace((%s)::VARCHAR, '^pg_catalog\\.', '')", x);
        return;
    case CX_REG_ROLE:
        if (as_name)
            cx_put_literal(b, c->get(c->ctx, "session_authorization"));
        else
            ubuf_printf(b, "CAST(CASE WHEN (%s) IS NULL THEN NULL ELSE 10 END AS UINTEGER)", x);
        return;
    default: return;
    }
}

/* As cx_reg_lookup_value; a literal name that names nothing fails as in PostgreSQL
 * ('t'::regclass when there is no t: 42P01; a type: 42704) instead of giving NULL
 * (to_regclass() is another function and stays NULL). */
static void cx_reg_lookup(ubuf_t *b, cx_reg_t kind, const char *x, bool as_name, const cx_ctx_t *c)
{
    if (x[0] != '\'' || (kind != CX_REG_CLASS && kind != CX_REG_TYPE)) {
        cx_reg_lookup_value(b, kind, x, as_name, c);
        return;
    }
    ubuf_puts(b, "COALESCE(");
    cx_reg_lookup_value(b, kind, x, as_name, c);
    ubuf_printf(b, ", error('[SQLSTATE %s] %s \"' || (%s) || '\" does not exist'))",
                kind == CX_REG_CLASS ? "42P01" : "42704",
                kind == CX_REG_CLASS ? "relation" : "type", x);
}

/* True when tokens first..last are a whole item of a select list whose values reach the
 * client (not the list of an IN / = ANY subquery, where a reg* value is compared as an OID). */
static bool cx_select_item(const cx_toks_t *k, size_t first, size_t last)
{
    static const char *const after[] = {"AS",     "FROM",   "UNION",    "ORDER", "LIMIT",
                                        "WHERE",  "GROUP",  "HAVING",   "INTO",  "EXCEPT",
                                        "OFFSET", "WINDOW", "INTERSECT"};
    size_t sel = CX_NONE, n = last + 1;
    bool ends = n >= k->nt || cx_op(k, n, ",") || cx_op(k, n, ")") || cx_kind(k, n, SQLT_QIDENT) ||
                (cx_kind(k, n, SQLT_WORD) && !cx_keyword(k, n));
    for (size_t w = 0; !ends && w < sizeof after / sizeof after[0]; w++)
        ends = cx_word(k, n, after[w]);
    if (!ends)
        return false;
    static const char *const clauses[] = {"FROM", "WHERE",  "ON",        "JOIN",   "SET",
                                          "INTO", "VALUES", "RETURNING", "USING",  "GROUP",
                                          "BY",   "HAVING", "LIMIT",     "OFFSET", "WINDOW"};
    if (!(cx_op(k, first - 1, ",") || cx_word(k, first - 1, "SELECT") ||
          cx_word(k, first - 1, "DISTINCT")))
        return false;
    for (size_t j = first; j-- > 0 && sel == CX_NONE;) {
        if ((cx_op(k, j, ")") || cx_op(k, j, "]")) && k->match[j] != CX_NONE)
            j = k->match[j];
        else if (cx_word(k, j, "SELECT"))
            sel = j;
        else if (cx_op(k, j, "(") || cx_op(k, j, "["))
            return false;
        for (size_t w = 0; sel == CX_NONE && w < sizeof clauses / sizeof clauses[0]; w++)
            if (cx_word(k, j, clauses[w]))
                return false;
    }
    if (sel == CX_NONE)
        return false;
    return !(cx_op(k, sel - 1, "(") && (cx_word(k, sel - 2, "IN") || cx_word(k, sel - 2, "ANY") ||
                                        cx_word(k, sel - 2, "SOME") || cx_op(k, sel - 2, "=")));
}

/* True when token i starts an alias (AS x, or a name that is not a keyword). */
static bool cx_has_alias(const cx_toks_t *k, size_t i)
{
    return cx_word(k, i, "AS") || cx_kind(k, i, SQLT_QIDENT) ||
           (cx_kind(k, i, SQLT_WORD) && !cx_keyword(k, i));
}

/* `operand :: regtype [:: text]` with the `::` at token i. Returns the last token used. A
 * regclass, regtype or regnamespace value that a select list returns prints as its name, as
 * in PostgreSQL, and keeps the operand's column name. */
static size_t cx_regcast_colon(const cx_toks_t *k, size_t i, const cx_ctx_t *c, cx_edits_t *ed)
{
    size_t name_tok, last, first = cx_operand_start(k, i - 1);
    cx_reg_t kind = cx_reg_kind(k, i + 1, &name_tok);
    if (kind == CX_REG_NONE || first == CX_NONE)
        return i;
    if (kind == CX_REG_CLASS && first == i - 1 && cx_kind(k, first, SQLT_STRING) &&
        cx_op(k, first - 1, "(") && (cx_op(k, name_tok + 1, ")") || cx_op(k, name_tok + 1, ",")) &&
        (cx_word(k, first - 2, "nextval") || cx_word(k, first - 2, "currval") ||
         cx_word(k, first - 2, "setval"))) {
        /* nextval('seq'::regclass), as pg_dump and reflected defaults spell it: DuckDB's
         * nextval takes the name (and a DEFAULT cannot hold the lookup's subquery) */
        cx_edit_str(ed, cx_start(k, i), cx_end(k, name_tok), "");
        return name_tok;
    }
    bool as_name = cx_op(k, name_tok + 1, "::") && cx_is_text_type(k, name_tok + 2);
    bool item = false;
    last = name_tok;
    if (as_name)
        last = cx_type_end(k, name_tok + 2) - 1;
    else if (cx_op(k, name_tok + 1, "::") && cx_word(k, name_tok + 2, "oid"))
        last = name_tok + 2; /* ::regclass::oid is the lookup itself */
    else if ((kind == CX_REG_CLASS || kind == CX_REG_TYPE || kind == CX_REG_NAMESPACE) &&
             cx_select_item(k, first, last))
        as_name = item = true;
    char *x = xstrndup(k->s + cx_start(k, first), cx_end(k, i - 1) - cx_start(k, first));
    ubuf_t b = UBUF_INIT;
    cx_reg_lookup(&b, kind, x, as_name, c);
    free(x);
    if (item && !cx_has_alias(k, last + 1)) {
        ubuf_puts(&b, " AS ");
        cx_put_range(&b, k, cx_name(k, i - 1) ? i - 1 : name_tok,
                     cx_name(k, i - 1) ? i - 1 : name_tok);
    }
    cx_edit_buf(ed, cx_start(k, first), cx_end(k, last), &b);
    return last;
}

/* The last depth-0 AS inside CAST( ... ) whose parentheses are tokens open..close. */
static size_t cx_cast_as(const cx_toks_t *k, size_t open, size_t close)
{
    size_t as = CX_NONE;
    for (size_t j = open + 1; j < close; j++) {
        if ((cx_op(k, j, "(") || cx_op(k, j, "[")) && k->match[j] != CX_NONE)
            j = k->match[j];
        else if (cx_word(k, j, "AS"))
            as = j;
    }
    return as;
}

/* CAST ( operand AS regtype ) at token i. Returns the last token used. */
static size_t cx_regcast_call(const cx_toks_t *k, size_t i, const cx_ctx_t *c, cx_edits_t *ed)
{
    size_t close = k->match[i + 1], name_tok;
    size_t as = close == CX_NONE ? CX_NONE : cx_cast_as(k, i + 1, close);
    if (as == CX_NONE || as == i + 2)
        return i;
    cx_reg_t kind = cx_reg_kind(k, as + 1, &name_tok);
    if (kind == CX_REG_NONE || name_tok + 1 != close)
        return i;
    char *x = xstrndup(k->s + cx_start(k, i + 2), cx_end(k, as - 1) - cx_start(k, i + 2));
    ubuf_t b = UBUF_INIT;
    cx_reg_lookup(&b, kind, x, false, c);
    free(x);
    cx_edit_buf(ed, cx_start(k, i), cx_end(k, close), &b);
    return close;
}

static void cx_pass_regcasts(const cx_toks_t *k, const cx_ctx_t *c, cx_edits_t *ed)
{
    for (size_t i = 0; i < k->nt; i++) {
        if (cx_op(k, i, "::"))
            i = cx_regcast_colon(k, i, c, ed);
        else if (cx_word(k, i, "CAST") && cx_op(k, i + 1, "("))
            i = cx_regcast_call(k, i, c, ed);
    }
}

/* ---- pass: other casts ---- */

/* PostgreSQL type names DuckDB lacks, with the DuckDB type that holds the same values. */
static const char *cx_type_rename(const char *name)
{
    static const char *const map[][2] = {
        {"oid", "UINTEGER"},          {"xid", "UINTEGER"},         {"cid", "UINTEGER"},
        {"regoper", "UINTEGER"},      {"name", "VARCHAR"},         {"pg_node_tree", "VARCHAR"},
        {"int2vector", "SMALLINT[]"}, {"oidvector", "UINTEGER[]"}, {"jsonb", "JSON"},
        {"regconfig", "VARCHAR"},     {"aclitem", "VARCHAR"},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(name, map[i][0]) == 0)
            return map[i][1];
    return NULL;
}

/* Converts a PostgreSQL one-dimensional array literal's text ({a,"b c",NULL}) into a DuckDB
 * list expression (['a', 'b c', NULL]). False when it is not one (nested, malformed). */
static bool cx_array_literal(const char *p, size_t n, ubuf_t *out)
{
    size_t i = 0;
    bool first = true;
    if (n < 2 || p[0] != '{' || p[n - 1] != '}')
        return false;
    ubuf_putc(out, '[');
    for (i = 1; i < n - 1;) {
        ubuf_t el = UBUF_INIT;
        bool quoted = false;
        while (i < n - 1 && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n'))
            i++;
        if (p[i] == '"') {
            quoted = true;
            for (i++; i < n - 1 && p[i] != '"'; i++) {
                if (p[i] == '\\' && i + 1 < n - 1)
                    i++;
                ubuf_putc(&el, p[i]);
            }
            if (i >= n - 1) {
                ubuf_free(&el);
                return false;
            }
            i++;
        } else {
            while (i < n - 1 && p[i] != ',' && p[i] != '{' && p[i] != '"')
                ubuf_putc(&el, p[i++]);
            while (el.len && (el.data[el.len - 1] == ' ' || el.data[el.len - 1] == '\t'))
                el.len--;
        }
        while (i < n - 1 && p[i] == ' ')
            i++;
        if ((i < n - 1 && p[i] != ',') || (!quoted && el.len == 0 && (n > 2))) {
            ubuf_free(&el);
            return false;
        }
        i++;
        ubuf_puts(out, first ? "" : ", ");
        first = false;
        ubuf_cstr(&el);
        if (!quoted && strcasecmp(el.data, "NULL") == 0)
            ubuf_puts(out, "NULL");
        else
            cx_put_literal(out, el.data);
        ubuf_free(&el);
    }
    ubuf_putc(out, ']');
    return true;
}

/* '{1,2}'::int[] with the string at token i: rewrites the literal. */
static void cx_cast_array_literal(const cx_toks_t *k, size_t i, cx_edits_t *ed)
{
    const sqlt_t *t = &k->t[i];
    const char *p = k->s + t->start;
    if (t->len < 4 || p[0] != '\'' || p[1] != '{' || memchr(p + 1, '\'', t->len - 2) ||
        cx_op(k, i - 1, "::") || cx_op(k, i - 1, "."))
        return;
    ubuf_t b = UBUF_INIT;
    if (cx_array_literal(p + 1, t->len - 2, &b))
        cx_edit_buf(ed, t->start, t->start + t->len, &b);
    else
        ubuf_free(&b);
}

/* '\x0001ff'::bytea with the string at token i: PostgreSQL's hex format for bytea, which
 * DuckDB would read as one escaped byte followed by text. Becomes from_hex('0001ff'). */
static void cx_cast_bytea_literal(const cx_toks_t *k, size_t i, cx_edits_t *ed)
{
    const sqlt_t *t = &k->t[i];
    const char *p = k->s + t->start;
    if (t->len < 4 || p[0] != '\'' || p[1] != '\\' || (p[2] != 'x' && p[2] != 'X') ||
        (t->len - 4) % 2 != 0 || cx_op(k, i - 1, "::") || cx_op(k, i - 1, "."))
        return;
    for (size_t j = 3; j + 1 < t->len; j++)
        if (!isxdigit((unsigned char)p[j]))
            return;
    ubuf_t b = UBUF_INIT;
    ubuf_puts(&b, "from_hex('");
    ubuf_append(&b, p + 3, t->len - 4);
    ubuf_puts(&b, "')");
    cx_edit_buf(ed, t->start, t->start + t->len, &b);
}

/* A string literal at token i cast to the type that ends before token `end`: rewrites
 * PostgreSQL's array and bytea literal syntaxes. */
static void cx_cast_literal(const cx_toks_t *k, size_t i, size_t end, cx_edits_t *ed)
{
    if (!cx_kind(k, i, SQLT_STRING) || end == CX_NONE)
        return;
    if (cx_op(k, end - 1, "]"))
        cx_cast_array_literal(k, i, ed);
    else if (cx_word(k, end - 1, "bytea") || cx_word(k, end - 1, "blob"))
        cx_cast_bytea_literal(k, i, ed);
}

/* The type name at token i (after :: or AS): drops a pg_catalog. qualifier and renames
 * types DuckDB lacks. Returns the last token of the type. */
static size_t cx_cast_type(const cx_toks_t *k, size_t i, cx_edits_t *ed)
{
    size_t end = cx_type_end(k, i), name = i;
    char buf[32];
    if (end == CX_NONE)
        return i;
    if (cx_word(k, i, "pg_catalog") && cx_op(k, i + 1, ".") && cx_name(k, i + 2))
        name = i + 2;
    cx_ident(k, name, buf, sizeof buf);
    const char *to = cx_type_rename(buf);
    if (to)
        cx_edit_str(ed, cx_start(k, i), cx_end(k, name), to);
    else if (name != i)
        cx_edit_str(ed, cx_start(k, i), cx_start(k, name), "");
    return end - 1;
}

/* x.indkey::varchar with the `::` at token i: PostgreSQL's int2vector / oidvector columns
 * (indkey, indoption, indclass, indcollation) print as space-separated numbers, which
 * SQLAlchemy splits; the emulated columns are lists. Returns the last token used. */
static size_t cx_cast_vector(const cx_toks_t *k, size_t i, cx_edits_t *ed)
{
    static const char *const cols[] = {"indkey", "indoption", "indclass", "indcollation"};
    size_t first = cx_operand_start(k, i - 1), end = cx_type_end(k, i + 1);
    bool vector = false;
    for (size_t w = 0; w < sizeof cols / sizeof cols[0]; w++)
        vector = vector || cx_word(k, i - 1, cols[w]);
    if (!vector || first == CX_NONE || end == CX_NONE || !cx_is_text_type(k, i + 1))
        return i;
    ubuf_t b = UBUF_INIT;
    ubuf_puts(&b, "array_to_string(");
    cx_put_range(&b, k, first, i - 1);
    ubuf_puts(&b, ", ' ')");
    cx_edit_buf(ed, cx_start(k, first), cx_end(k, end - 1), &b);
    return end - 1;
}

static void cx_pass_casts(const cx_toks_t *k, const cx_ctx_t *c, cx_edits_t *ed)
{
    size_t pending[16], np = 0; /* AS tokens of the CAST( ... AS type) being scanned */
    (void)c;
    for (size_t i = 0; i < k->nt; i++) {
        if (np > 0 && pending[np - 1] == i) {
            size_t end = cx_type_end(k, i + 1);
            np--;
            if (cx_op(k, i - 2, "(") && cx_word(k, i - 3, "CAST"))
                cx_cast_literal(k, i - 1, end, ed);
            i = cx_cast_type(k, i + 1, ed);
        } else if (cx_op(k, i, "::") && cx_cast_vector(k, i, ed) != i) {
            i = cx_type_end(k, i + 1) - 1;
        } else if (cx_op(k, i, "::")) {
            cx_cast_literal(k, i - 1, cx_type_end(k, i + 1), ed);
            i = cx_cast_type(k, i + 1, ed);
        } else if (cx_word(k, i, "CAST") && cx_op(k, i + 1, "(") && k->match[i + 1] != CX_NONE) {
            size_t as = cx_cast_as(k, i + 1, k->match[i + 1]);
            if (as != CX_NONE && as > i + 2 && np < sizeof pending / sizeof pending[0])
                pending[np++] = as;
        }
    }
}

/* ---- the PostgreSQL types duckd describes (pg_type, format_type) ---- */

/* Base and pseudo types; each array type (typarray) is derived from its element type.
 * The OIDs are PostgreSQL 15's; they must cover every OID the engine sends. */
typedef struct cx_type {
    uint32_t oid;
    const char *name;    /* typname */
    const char *display; /* format_type() */
    int16_t len;
    char type;     /* typtype: b base, p pseudo */
    char category; /* typcategory */
    uint32_t array;
} cx_type_t;

static const cx_type_t cx_types[] = {
    {16, "bool", "boolean", 1, 'b', 'B', 1000},
    {17, "bytea", "bytea", -1, 'b', 'U', 1001},
    {18, "char", "\"char\"", 1, 'b', 'Z', 1002},
    {19, "name", "name", 64, 'b', 'S', 1003},
    {20, "int8", "bigint", 8, 'b', 'N', 1016},
    {21, "int2", "smallint", 2, 'b', 'N', 1005},
    {23, "int4", "integer", 4, 'b', 'N', 1007},
    {24, "regproc", "regproc", 4, 'b', 'N', 1008},
    {25, "text", "text", -1, 'b', 'S', 1009},
    {26, "oid", "oid", 4, 'b', 'N', 1028},
    {114, "json", "json", -1, 'b', 'U', 199},
    {142, "xml", "xml", -1, 'b', 'U', 143},
    {700, "float4", "real", 4, 'b', 'N', 1021},
    {701, "float8", "double precision", 8, 'b', 'N', 1022},
    {705, "unknown", "unknown", -2, 'p', 'X', 0},
    {1042, "bpchar", "character", -1, 'b', 'S', 1014},
    {1043, "varchar", "character varying", -1, 'b', 'S', 1015},
    {1082, "date", "date", 4, 'b', 'D', 1182},
    {1083, "time", "time without time zone", 8, 'b', 'D', 1183},
    {1114, "timestamp", "timestamp without time zone", 8, 'b', 'D', 1115},
    {1184, "timestamptz", "timestamp with time zone", 8, 'b', 'D', 1185},
    {1186, "interval", "interval", 16, 'b', 'T', 1187},
    {1266, "timetz", "time with time zone", 12, 'b', 'D', 1270},
    {1560, "bit", "bit", -1, 'b', 'V', 1561},
    {1562, "varbit", "bit varying", -1, 'b', 'V', 1563},
    {1700, "numeric", "numeric", -1, 'b', 'N', 1231},
    {2205, "regclass", "regclass", 4, 'b', 'N', 2210},
    {2206, "regtype", "regtype", 4, 'b', 'N', 2211},
    {2249, "record", "record", -1, 'p', 'P', 2287},
    {2275, "cstring", "cstring", -2, 'p', 'P', 1263},
    {2276, "any", "\"any\"", 4, 'p', 'P', 0},
    {2277, "anyarray", "anyarray", -1, 'p', 'P', 0},
    {2278, "void", "void", 4, 'p', 'P', 0},
    {2950, "uuid", "uuid", 16, 'b', 'U', 2951},
    {3802, "jsonb", "jsonb", -1, 'b', 'U', 3807},
    {4089, "regnamespace", "regnamespace", 4, 'b', 'N', 4090},
};

#define CX_NTYPES (sizeof cx_types / sizeof cx_types[0])

/* One VALUES row of pg_type for type t, or for its array type when `array`. */
static void cx_type_row(ubuf_t *b, const cx_type_t *t, bool array)
{
    bool byval = !array && (t->len == 1 || t->len == 2 || t->len == 4 || t->len == 8);
    if (array)
        ubuf_printf(b, "(%u,'_%s',-1,false,'%c','A',%u,0,11)", t->array, t->name, t->type, t->oid);
    else
        ubuf_printf(b, "(%u,'%s',%d,%s,'%c','%c',0,%u,11)", t->oid, t->name, t->len,
                    byval ? "true" : "false", t->type, t->category, t->array);
}

/* pg_type: PostgreSQL's OIDs and names (DuckDB's pg_type lists DuckDB's own types).
 * typtype is a BLOB: PostgreSQL's "char" type, which asyncpg reads as bytes (b'b'), has no
 * DuckDB equivalent, and a one-byte bytea is what its binary format looks like. */
static void cx_ov_pg_type(ubuf_t *b, const cx_ctx_t *c)
{
    (void)c;
    ubuf_puts(b,
              "SELECT v.oid::UINTEGER AS oid, v.typname, v.typnamespace::UINTEGER AS typnamespace, "
              "10::UINTEGER AS typowner, v.typlen::SMALLINT AS typlen, v.typbyval, "
              "v.typtype::BLOB AS typtype, v.typcategory, false AS typispreferred, "
              "true AS typisdefined, ',' AS typdelim, 0::UINTEGER AS typrelid, "
              "CASE WHEN v.typelem <> 0 THEN 'array_subscript_handler' ELSE '-' END "
              "AS typsubscript, v.typelem::UINTEGER AS typelem, v.typarray::UINTEGER AS typarray, "
              "CASE WHEN v.typelem <> 0 THEN 'array_in' ELSE v.typname || 'in' END AS typinput, "
              "CASE WHEN v.typelem <> 0 THEN 'array_out' ELSE v.typname || 'out' END AS typoutput, "
              "CASE WHEN v.typelem <> 0 THEN 'array_recv' ELSE v.typname || 'recv' END "
              "AS typreceive, "
              "CASE WHEN v.typelem <> 0 THEN 'array_send' ELSE v.typname || 'send' END AS typsend, "
              "'-' AS typmodin, '-' AS typmodout, '-' AS typanalyze, "
              "CASE v.typlen WHEN 1 THEN 'c' WHEN 2 THEN 's' WHEN 8 THEN 'd' ELSE 'i' END "
              "AS typalign, CASE WHEN v.typlen = -1 THEN 'x' ELSE 'p' END AS typstorage, "
              "false AS typnotnull, 0::UINTEGER AS typbasetype, -1 AS typtypmod, 0 AS typndims, "
              "(CASE WHEN v.typcategory = 'S' THEN 100 ELSE 0 END)::UINTEGER AS typcollation, "
              "NULL::VARCHAR AS typdefaultbin, NULL::VARCHAR AS typdefault, "
              "NULL::VARCHAR[] AS typacl FROM (VALUES ");
    for (size_t i = 0; i < CX_NTYPES; i++) {
        ubuf_puts(b, i ? "," : "");
        cx_type_row(b, &cx_types[i], false);
        if (cx_types[i].array) {
            ubuf_putc(b, ',');
            cx_type_row(b, &cx_types[i], true);
        }
    }
    /* the ENUM types of CREATE TYPE ... AS ENUM (SQLAlchemy's Enum, Django's choices by
     * hand), in their schemas, so clients that check for a type before creating it find it */
    ubuf_puts(b, " UNION ALL SELECT cx_e.type_oid, cx_e.type_name, 4, true, 'e', 'E', 0, 0, "
                 "cx_e.schema_oid FROM duckdb_types() cx_e WHERE cx_e.logical_type = 'ENUM' AND "
                 "NOT cx_e.internal AND cx_e.type_oid IS NOT NULL) "
                 "v(oid, typname, typlen, typbyval, typtype, typcategory, typelem, typarray, "
                 "typnamespace)");
}

/* format_type(oid, typmod): PostgreSQL's spelling of a type, with numeric(p,s) and
 * character varying(n) modifiers; '???' for an unknown OID, NULL for NULL. */
static void cx_format_type(ubuf_t *b, const char *oid, const char *typmod)
{
    ubuf_printf(b,
                "COALESCE((SELECT CASE WHEN cx_f.o = 1700 AND (%s) >= 4 THEN 'numeric(' || "
                "(((%s) - 4) // 65536) || ',' || (((%s) - 4) %% 65536) || ')' "
                "WHEN cx_f.o IN (1042, 1043) AND (%s) >= 4 THEN cx_f.d || '(' || "
                "((%s) - 4) || ')' ELSE cx_f.d END FROM (VALUES ",
                typmod, typmod, typmod, typmod, typmod);
    for (size_t i = 0; i < CX_NTYPES; i++) {
        const cx_type_t *t = &cx_types[i];
        ubuf_printf(b, "%s(%u,'%s')", i ? "," : "", t->oid, t->display);
        if (t->array)
            ubuf_printf(b, ",(%u,'%s[]')", t->array, t->display);
    }
    ubuf_printf(b,
                " UNION ALL SELECT cx_fe.type_oid, cx_fe.type_name FROM duckdb_types() cx_fe "
                "WHERE cx_fe.logical_type = 'ENUM' AND NOT cx_fe.internal AND cx_fe.type_oid IS "
                "NOT NULL) cx_f(o, d) WHERE cx_f.o = (%s)), CASE WHEN (%s) IS NULL THEN NULL "
                "ELSE '?\?\?' END)",
                oid, oid);
}

/* ---- pass: function calls ---- */

typedef struct cx_call {
    const cx_toks_t *k;
    size_t first, name, open, close; /* first: the qualifier or the name */
    size_t nargs;
    size_t arg_first[CX_MAX_ARGS], arg_last[CX_MAX_ARGS]; /* token ranges */
} cx_call_t;

/* Text of argument a (0-based), owned by the caller. */
static char *cx_arg(const cx_call_t *call, size_t a)
{
    const cx_toks_t *k = call->k;
    return xstrndup(k->s + cx_start(k, call->arg_first[a]),
                    cx_end(k, call->arg_last[a]) - cx_start(k, call->arg_first[a]));
}

/* Splits the arguments at depth-0 commas; false when one is empty. */
static bool cx_split_args(cx_call_t *call)
{
    const cx_toks_t *k = call->k;
    size_t start = call->open + 1;
    call->nargs = 0;
    if (start == call->close)
        return true;
    for (size_t j = start; j <= call->close; j++) {
        if ((cx_op(k, j, "(") || cx_op(k, j, "[")) && k->match[j] != CX_NONE && j != call->close) {
            j = k->match[j];
            continue;
        }
        if (j != call->close && !cx_op(k, j, ","))
            continue;
        if (j == start)
            return false;
        if (call->nargs < CX_MAX_ARGS) { /* later ones are only reachable through %* */
            call->arg_first[call->nargs] = start;
            call->arg_last[call->nargs] = j - 1;
        }
        call->nargs++;
        start = j + 1;
    }
    return true;
}

/* Expands a template: %1..%9 arguments, %* all of them, %u the session user as a literal. */
static void cx_expand(ubuf_t *b, const char *tmpl, const cx_call_t *call, const cx_ctx_t *c)
{
    const cx_toks_t *k = call->k;
    for (const char *p = tmpl; *p; p++) {
        if (*p != '%' || !p[1]) {
            ubuf_putc(b, *p);
            continue;
        }
        p++;
        if (*p >= '1' && *p <= '9' && (size_t)(*p - '1') < call->nargs &&
            (size_t)(*p - '1') < CX_MAX_ARGS) {
            size_t a = (size_t)(*p - '1');
            cx_put_range(b, k, call->arg_first[a], call->arg_last[a]);
        } else if (*p == '*' && call->nargs > 0) {
            cx_put_range(b, k, call->open + 1, call->close - 1);
        } else if (*p == 'u') {
            cx_put_literal(b, c->get(c->ctx, "session_authorization"));
        } else if (*p == '%') {
            ubuf_putc(b, '%');
        }
    }
}

/* version(): PostgreSQL's version string, which drivers parse. */
static bool cx_fn_version(ubuf_t *b, const cx_call_t *call, const cx_ctx_t *c)
{
    ubuf_t v = UBUF_INIT;
    (void)call;
    ubuf_printf(&v, "PostgreSQL %s on x86_64-pc-linux-gnu, compiled by duckd",
                c->get(c->ctx, "server_version"));
    cx_put_literal(b, ubuf_cstr(&v));
    ubuf_free(&v);
    return true;
}

/* pg_backend_pid(): the process id the client got in BackendKeyData. */
static bool cx_fn_backend_pid(ubuf_t *b, const cx_call_t *call, const cx_ctx_t *c)
{
    (void)call;
    ubuf_printf(b, "%d", atoi(c->get(c->ctx, "backend_pid")));
    return true;
}

/* current_setting('name' [, missing_ok]) of an emulated parameter: its value. */
static bool cx_fn_current_setting(ubuf_t *b, const cx_call_t *call, const cx_ctx_t *c)
{
    const cx_toks_t *k = call->k;
    size_t a = call->arg_first[0];
    if (call->nargs < 1 || call->nargs > 2 || a != call->arg_last[0] ||
        !cx_kind(k, a, SQLT_STRING) || k->s[cx_start(k, a)] != '\'')
        return false;
    char *name = xstrndup(k->s + cx_start(k, a) + 1, k->t[a].len - 2);
    const compat_param_t *p = compat_param_find(name);
    if (!p && compat_param_custom(name)) {
        /* read when the statement runs, from the calling session (duckd_setting, registered
         * by info/sessions.c), so a prepared statement sees later SETs. One the session never
         * set is 42704, as in PostgreSQL, unless missing_ok is given (anything but a literal
         * false counts as given: the NULL then stands). */
        bool missing_ok = false;
        if (call->nargs == 2) {
            size_t m = call->arg_first[1];
            missing_ok = !(m == call->arg_last[1] && cx_kind(k, m, SQLT_WORD) && k->t[m].len == 5 &&
                           !strncasecmp(k->s + cx_start(k, m), "false", 5));
        }
        for (char *q = name; *q; q++)
            *q = (char)tolower((unsigned char)*q);
        if (!missing_ok)
            ubuf_puts(b, "coalesce(");
        ubuf_puts(b, "duckd_setting(");
        cx_put_literal(b, name);
        ubuf_putc(b, ')');
        if (!missing_ok) {
            ubuf_t msg = UBUF_INIT;
            ubuf_printf(&msg, "[SQLSTATE 42704] unrecognized configuration parameter \"%s\"", name);
            ubuf_puts(b, ", error(");
            cx_put_literal(b, ubuf_cstr(&msg));
            ubuf_puts(b, "))");
            ubuf_free(&msg);
        }
        free(name);
        return true;
    }
    free(name);
    if (!p)
        return false; /* a DuckDB setting: DuckDB's current_setting() answers */
    cx_put_literal(b, c->get(c->ctx, p->name));
    return true;
}

static bool cx_fn_format_type(ubuf_t *b, const cx_call_t *call, const cx_ctx_t *c)
{
    (void)c;
    if (call->nargs != 2)
        return false;
    char *oid = cx_arg(call, 0), *typmod = cx_arg(call, 1);
    cx_format_type(b, oid, typmod);
    free(oid);
    free(typmod);
    return true;
}

/* True when the catalogs read the foreign keys duckd records (the table exists). */
static bool cx_fk_recorded(const cx_ctx_t *c)
{
    const char *v = c->get(c->ctx, COMPAT_FK_TABLE);
    return v && strcmp(v, "1") == 0;
}

/* pg_get_indexdef(oid [, column, pretty]) and pg_get_constraintdef(oid [, pretty]): the
 * definitions PostgreSQL prints, from the emulated catalogs (compat_catalog.c). */
static bool cx_fn_indexdef(ubuf_t *b, const cx_call_t *call, const cx_ctx_t *c)
{
    (void)c;
    if (call->nargs != 1 && call->nargs != 3)
        return false;
    char *oid = cx_arg(call, 0), *col = call->nargs == 3 ? cx_arg(call, 1) : xstrdup("0");
    compat__catalog_indexdef(b, oid, col);
    free(oid);
    free(col);
    return true;
}

/* generate_subscripts(array, dim [, reverse]): the subscripts of dimension 1 (duckd's lists
 * have one). PostgreSQL's int2vector and oidvector catalog columns (pg_index.indkey, ...)
 * count from 0, other arrays from 1; peewee reads index columns through indkey's. */
static bool cx_fn_subscripts(ubuf_t *b, const cx_call_t *call, const cx_ctx_t *c)
{
    static const char *const vectors[] = {"indkey", "indclass", "indcollation", "indoption",
                                          "proargtypes"};
    (void)c;
    if (call->nargs != 2 && call->nargs != 3)
        return false;
    const cx_toks_t *k = call->k;
    size_t first = call->arg_first[0], last = call->arg_last[0];
    bool column = last == first || (last == first + 2 && cx_op(k, first + 1, "."));
    bool zero = false;
    for (size_t v = 0; v < sizeof vectors / sizeof vectors[0] && column; v++)
        zero = zero || cx_word(k, last, vectors[v]);
    char *arr = cx_arg(call, 0), *dim = cx_arg(call, 1);
    char *rev = call->nargs == 3 ? cx_arg(call, 2) : xstrdup("false");
    ubuf_printf(b,
                "unnest(CASE WHEN (%s) = 1 AND len(%s) > 0 THEN CASE WHEN (%s) THEN "
                "generate_series(len(%s) - %d, %d, -1) ELSE generate_series(%d, len(%s) - %d) END "
                "ELSE []::BIGINT[] END)",
                dim, arr, rev, arr, zero ? 1 : 0, zero ? 0 : 1, zero ? 0 : 1, arr, zero ? 1 : 0);
    free(arr);
    free(dim);
    free(rev);
    return true;
}

static bool cx_fn_constraintdef(ubuf_t *b, const cx_call_t *call, const cx_ctx_t *c)
{
    if (call->nargs != 1 && call->nargs != 2)
        return false;
    char *oid = cx_arg(call, 0);
    compat__catalog_constraintdef(b, oid, cx_fk_recorded(c));
    free(oid);
    return true;
}

/* pg_get_expr(expr, relation [, pretty]): DuckDB keeps expressions as text; a sequence
 * default reads as PostgreSQL prints it, nextval('seq'::regclass). */
#define CX_GET_EXPR                                                                                \
    "regexp_replace(CAST(%1 AS VARCHAR), 'nextval[(]''([^'']*)''[)]', "                            \
    "'nextval(''\\1''::regclass)', 'g')"

/* pg_get_viewdef(oid [, pretty]): the view's query, as PostgreSQL prints it (` SELECT ...;`),
 * from the CREATE VIEW statement DuckDB keeps. */
#define CX_VIEWDEF                                                                                 \
    "(' ' || regexp_replace((SELECT cx_vd.sql FROM duckdb_views() cx_vd WHERE cx_vd.view_oid = "   \
    "(%1)), '^\\s*CREATE\\s+(OR\\s+REPLACE\\s+)?(TEMP(ORARY)?\\s+)?VIEW\\s+.*?\\s+AS\\s+"          \
    "(.*?)\\s*;?\\s*$', '\\4', 'is') || ';')"

/* pg_table_is_visible(oid): whether the relation's schema is on DuckDB's search path. */
#define CX_VISIBLE(rel, nsp)                                                                       \
    "COALESCE((SELECT list_contains(current_schemas(true), cx_vn.nspname) "                        \
    "FROM pg_catalog." rel " cx_vr JOIN pg_catalog.pg_namespace cx_vn ON "                         \
    "cx_vn.oid = cx_vr." nsp " WHERE cx_vr.oid = (%1)), false)"

/* pg_get_serial_sequence('[schema.]table', 'column'): the sequence named in the column's
 * DEFAULT nextval('...') (compat_serial.c writes them), qualified by its schema as
 * PostgreSQL answers (DuckDB's main is public); NULL when the column has none. */
#define CX_SP "replace(regexp_extract(%1, '^(.*)[.]', 1), '\"', '')"
#define CX_SERIAL_SEQUENCE                                                                         \
    "(SELECT CASE WHEN contains(cx_s.cx_q, '.') THEN cx_s.cx_q ELSE (CASE WHEN "                   \
    "cx_s.schema_name = 'main' THEN 'public' ELSE cx_s.schema_name END) || '.' || cx_s.cx_q "      \
    "END FROM (SELECT schema_name, database_name, table_name, column_name, "                       \
    "regexp_extract(column_default, '^nextval\\(''(.+)''\\)$', 1) AS cx_q "                        \
    "FROM duckdb_columns()) cx_s WHERE cx_s.cx_q <> '' AND lower(cx_s.table_name) = "              \
    "lower(replace(regexp_extract(%1, '([^.]*)$', 1), '\"', '')) AND "                             \
    "lower(cx_s.column_name) = lower(replace(%2, '\"', '')) AND (" CX_SP " = '' OR "               \
    "lower(cx_s.schema_name) = lower(CASE WHEN " CX_SP " = 'public' THEN 'main' ELSE " CX_SP       \
    " END)) ORDER BY cx_s.database_name = 'temp' DESC LIMIT 1)"

/* The text of a string literal token ('...', doubled quotes undone), or NULL. */
static char *cx_string_value(const cx_toks_t *k, size_t i)
{
    if (!cx_kind(k, i, SQLT_STRING) || k->s[cx_start(k, i)] != '\'')
        return NULL;
    const char *p = k->s + cx_start(k, i) + 1;
    size_t n = k->t[i].len - 2;
    char *out = xmalloc(n + 1), *o = out;
    for (size_t j = 0; j < n; j++) {
        *o++ = p[j];
        if (p[j] == '\'' && j + 1 < n && p[j + 1] == '\'')
            j++;
    }
    *o = '\0';
    return out;
}

/* One part of a name as PostgreSQL reads it: "Quoted" kept, unquoted folded to lower case. */
static void cx_name_part(ubuf_t *b, const char *p, size_t n)
{
    if (n >= 2 && p[0] == '"' && p[n - 1] == '"') {
        for (size_t j = 1; j + 1 < n; j++) {
            ubuf_putc(b, p[j]);
            if (p[j] == '"' && j + 2 < n && p[j + 1] == '"')
                j++;
        }
        return;
    }
    for (size_t j = 0; j < n; j++)
        ubuf_putc(b, (char)(p[j] >= 'A' && p[j] <= 'Z' ? p[j] - 'A' + 'a' : p[j]));
}

/* setval(seq, value [, is_called]). DuckDB cannot set a sequence, but it can move one on:
 * nextval is called as many times as it takes to reach the value (a sequence already past it
 * stays where it is, which keeps every later value unique; PostgreSQL would move it back).
 * The sequence is a literal name or pg_get_serial_sequence('table', 'column') of literals (a
 * SERIAL column's sequence is <table>_<column>_seq, compat_serial.c): DuckDB's nextval takes
 * only a constant name. Answers the value, as PostgreSQL does. Django's loaddata and
 * sqlsequencereset send `SELECT setval(pg_get_serial_sequence('"t"','id'), coalesce(max("id"),
 * 1), max("id") IS NOT null) FROM "t"`. */
static bool cx_fn_setval(ubuf_t *b, const cx_call_t *call, const cx_ctx_t *c)
{
    const cx_toks_t *k = call->k;
    ubuf_t name = UBUF_INIT;
    char *lit = NULL, *v = NULL, *called = NULL;
    bool ok = false;
    (void)c;
    if (call->nargs < 2 || call->nargs > 3)
        goto out;
    size_t a = call->arg_first[0], z = call->arg_last[0];
    if (a == z && (lit = cx_string_value(k, a))) {
        /* 'schema.seq' or 'seq', read as a name ("Quoted" parts kept) */
        const char *dot = strchr(lit, '.');
        if (dot && !strchr(dot + 1, '.')) {
            ubuf_t sch = UBUF_INIT;
            cx_name_part(&sch, lit, (size_t)(dot - lit));
            if (strcmp(ubuf_cstr(&sch), "public") != 0) { /* DuckDB's main */
                ubuf_append(&name, sch.data, sch.len);
                ubuf_putc(&name, '.');
            }
            ubuf_free(&sch);
            cx_name_part(&name, dot + 1, strlen(dot + 1));
        } else if (!dot) {
            cx_name_part(&name, lit, strlen(lit));
        }
    } else if (z == a + 5 && cx_word(k, a, "pg_get_serial_sequence") && cx_op(k, a + 1, "(") &&
               cx_op(k, a + 3, ",") && cx_op(k, a + 5, ")")) {
        char *t = cx_string_value(k, a + 2), *col = cx_string_value(k, a + 4);
        if (t && col) {
            const char *dot = strrchr(t, '.');
            if (dot) {
                size_t sn = (size_t)(dot - t);
                if (!(sn == 6 && strncmp(t, "public", 6) == 0)) {
                    cx_name_part(&name, t, sn);
                    ubuf_putc(&name, '.');
                }
            }
            const char *tn = dot ? dot + 1 : t;
            cx_name_part(&name, tn, strlen(tn));
            ubuf_putc(&name, '_');
            cx_name_part(&name, col, strlen(col));
            ubuf_puts(&name, "_seq");
        }
        free(t);
        free(col);
    }
    if (!name.len || strchr(ubuf_cstr(&name), '\''))
        goto out;
    v = cx_arg(call, 1);
    called = call->nargs == 3 ? cx_arg(call, 2) : xstrdup("true");
    const char *seq = ubuf_cstr(&name), *bare = strrchr(seq, '.');
    bare = bare ? bare + 1 : seq;
    ubuf_t look = UBUF_INIT;
    ubuf_puts(&look, "FROM duckdb_sequences() WHERE lower(sequence_name) = lower(");
    cx_put_literal(&look, bare);
    ubuf_putc(&look, ')');
    if (bare != seq) {
        ubuf_puts(&look, " AND lower(schema_name) = lower('");
        ubuf_append(&look, seq, (size_t)(bare - 1 - seq));
        ubuf_puts(&look, "')");
    }
    ubuf_puts(&look, " ORDER BY database_name = 'temp' DESC LIMIT 1");
    ubuf_printf(b, "(SELECT greatest(coalesce(max(cx_sv), (%s)), (%s)) FROM (SELECT nextval(", v,
                v);
    cx_put_literal(b, seq);
    ubuf_printf(b,
                ") AS cx_sv FROM range(greatest(0, ((%s) - CASE WHEN (%s) THEN 0 ELSE 1 END - "
                "(SELECT coalesce(last_value, start_value - increment_by) %s) + "
                "(SELECT increment_by %s) - 1) // (SELECT increment_by %s)))))",
                v, called, ubuf_cstr(&look), ubuf_cstr(&look), ubuf_cstr(&look));
    ubuf_free(&look);
    ok = true;
out:
    if (!ok)
        ubuf_puts(b, "error('setval() is supported by duckd for a literal sequence name or "
                     "pg_get_serial_sequence() of literals only')");
    ubuf_free(&name);
    free(lit);
    free(v);
    free(called);
    return true;
}

/* PostgreSQL's names of a JSON value's type (DuckDB's json_type says VARCHAR, BIGINT, ...) */
#define CX_JSON_TYPEOF                                                                             \
    "(CASE json_type(%1) WHEN 'VARCHAR' THEN 'string' WHEN 'BIGINT' THEN 'number' "                \
    "WHEN 'UBIGINT' THEN 'number' WHEN 'DOUBLE' THEN 'number' WHEN 'HUGEINT' THEN 'number' "       \
    "ELSE lower(json_type(%1)) END)"

/* PostgreSQL's date/time template patterns (to_char) and their strftime spelling; longer
 * patterns first. FM (fill mode) drops padding: DuckDB's %-d style. */
static const struct {
    const char *pg, *pad, *fm;
} cx_datefmt[] = {
    {"YYYY", "%Y", "%Y"},  {"HH24", "%H", "%-H"}, {"HH12", "%I", "%-I"}, {"Month", "%B", "%B"},
    {"MONTH", "%B", "%B"}, {"month", "%B", "%B"}, {"Mon", "%b", "%b"},   {"MON", "%b", "%b"},
    {"mon", "%b", "%b"},   {"Day", "%A", "%A"},   {"DAY", "%A", "%A"},   {"day", "%A", "%A"},
    {"DDD", "%j", "%-j"},  {"Dy", "%a", "%a"},    {"DY", "%a", "%a"},    {"dy", "%a", "%a"},
    {"YY", "%y", "%y"},    {"MM", "%m", "%-m"},   {"DD", "%d", "%-d"},   {"HH", "%I", "%-I"},
    {"MI", "%M", "%-M"},   {"SS", "%S", "%-S"},   {"MS", "%g", "%g"},    {"US", "%f", "%f"},
    {"AM", "%p", "%p"},    {"PM", "%p", "%p"},    {"TZ", "%Z", "%Z"},    {"tz", "%Z", "%Z"},
};

/* The strftime/strptime format of call's second argument, a literal date/time template;
 * false for anything else (a numeric template, an untranslated pattern, not a literal).
 * `parse` (strptime) reads padded and unpadded fields alike, so FM is dropped there. */
static bool cx_date_template(const cx_call_t *call, bool parse, ubuf_t *f)
{
    char *fmt = call->arg_first[1] == call->arg_last[1]
                    ? cx_string_value(call->k, call->arg_first[1])
                    : NULL;
    size_t patterns = 0; /* none: digits only, a numeric template ('9999.99') */
    bool ok = fmt != NULL && fmt[0] != '\0';
    for (const char *p = fmt; ok && *p;) {
        bool fm = strncmp(p, "FM", 2) == 0;
        const char *q = fm ? p + 2 : p;
        size_t m = 0, len = 0;
        for (; m < sizeof cx_datefmt / sizeof cx_datefmt[0]; m++)
            if (strncmp(q, cx_datefmt[m].pg, (len = strlen(cx_datefmt[m].pg))) == 0)
                break;
        if (m < sizeof cx_datefmt / sizeof cx_datefmt[0]) {
            ubuf_puts(f, fm && !parse ? cx_datefmt[m].fm : cx_datefmt[m].pad);
            patterns++;
            p = q + len;
        } else if (*p == '"') {
            for (p++; *p && *p != '"'; p++)
                ubuf_puts(f, *p == '%' ? "%%" : (char[]){*p, 0});
            p += *p == '"';
        } else if (isalpha((unsigned char)*p) || *p == '9') {
            ok = false; /* a numeric template (9, D, G, '999MI', ...) or a pattern not translated */
        } else {
            ubuf_puts(f, *p == '%' ? "%%" : (char[]){*p, 0});
            p++;
        }
    }
    free(fmt);
    return ok && patterns > 0;
}

/* to_char(x, 'template') with a date/time template given as a literal: strftime with the
 * template translated; a numeric template (9, 0, D, G, ...) or one that is not a literal is
 * left as it is. Quoted text ("...") and other characters are copied. */
static bool cx_fn_to_char(ubuf_t *b, const cx_call_t *call, const cx_ctx_t *c)
{
    ubuf_t f = UBUF_INIT;
    bool ok = cx_date_template(call, false, &f);
    (void)c;
    if (ok) {
        char *x = cx_arg(call, 0);
        ubuf_printf(b, "strftime(%s, ", x);
        cx_put_literal(b, ubuf_cstr(&f));
        ubuf_putc(b, ')');
        free(x);
    }
    ubuf_free(&f);
    return ok;
}

static bool cx_in_from_list(const cx_toks_t *k, size_t i);

/* generate_series(...) as a select-list item is a set-returning function in PostgreSQL (one
 * row per value) but a list in DuckDB: unnest() it. In a FROM list it is DuckDB's table
 * function already; inside an expression it stays a list. */
static bool cx_fn_generate_series(ubuf_t *b, const cx_call_t *call, const cx_ctx_t *c)
{
    const cx_toks_t *k = call->k;
    size_t before = call->first - 1;
    (void)c;
    bool item = cx_word(k, before, "SELECT") || cx_word(k, before, "DISTINCT") ||
                cx_word(k, before, "ALL") || (cx_op(k, before, ",") && !cx_in_from_list(k, before));
    if (!item) /* FROM, JOIN, an argument (list_transform(generate_series(...), ...)) */
        return false;
    ubuf_puts(b, "unnest(generate_series(");
    cx_put_range(b, k, call->open + 1, call->close - 1);
    ubuf_puts(b, "))");
    return true;
}

/* format('... %s %I %L ...', args): PostgreSQL's specifiers in DuckDB's printf (%s), each
 * argument as PostgreSQL prints it (%s: NULL is empty; %I: an identifier, quoted when needed;
 * %L: a literal, NULL unquoted; %n$s names argument n). Only a literal format string whose
 * specifiers all have their argument; otherwise (widths, flags) the call is left as it is. */
static bool cx_fn_format(ubuf_t *b, const cx_call_t *call, const cx_ctx_t *c)
{
    char *fmt = call->nargs >= 1 && call->arg_first[0] == call->arg_last[0]
                    ? cx_string_value(call->k, call->arg_first[0])
                    : NULL;
    ubuf_t f = UBUF_INIT, args = UBUF_INIT;
    size_t used = 1;
    bool ok = fmt != NULL && strchr(fmt, '%') != NULL;
    (void)c;
    for (const char *p = fmt; ok && *p; p++) {
        if (*p != '%') {
            ubuf_putc(&f, *p);
        } else if (p[1] == '%') {
            ubuf_puts(&f, "%%");
            p++;
        } else {
            const char *q = p + 1;
            size_t pos = 0;
            while (*q >= '0' && *q <= '9' && pos < 1000)
                pos = pos * 10 + (size_t)(*q++ - '0');
            if (q > p + 1 && *q == '$' && pos > 0)
                used = pos, q++; /* %n$s: argument n, and the next one after it */
            else
                q = p + 1;
            if (!(*q == 's' || *q == 'I' || *q == 'L') || used >= call->nargs ||
                used >= CX_MAX_ARGS) {
                /* widths, flags, a missing argument: a clear error, not DuckDB's format */
                ubuf_puts(b, used >= call->nargs ? "error('too few arguments for format()')"
                                                 : "error('format(): widths, flags and "
                                                   "specifiers other than %s, %I, %L are not "
                                                   "supported by duckd')");
                free(fmt);
                ubuf_free(&f);
                ubuf_free(&args);
                return true;
            }
            char *a = cx_arg(call, used++);
            p = q - 1;
            ubuf_puts(&f, "%s");
            if (p[1] == 's')
                ubuf_printf(&args, ", COALESCE(CAST((%s) AS VARCHAR), '')", a);
            else if (p[1] == 'I')
                ubuf_printf(&args,
                            ", (CASE WHEN regexp_full_match(CAST((%s) AS VARCHAR), "
                            "'[a-z_][a-z0-9_$]*') THEN CAST((%s) AS VARCHAR) ELSE '\"' || "
                            "replace(CAST((%s) AS VARCHAR), '\"', '\"\"') || '\"' END)",
                            a, a, a);
            else
                ubuf_printf(&args,
                            ", COALESCE('''' || replace(CAST((%s) AS VARCHAR), '''', '''''') "
                            "|| '''', 'NULL')",
                            a);
            free(a);
            p++;
        }
    }
    if (ok) { /* DuckDB's printf: its format() takes {} (and a second pass must not see it) */
        ubuf_puts(b, "printf(");
        cx_put_literal(b, ubuf_cstr(&f));
        ubuf_append(b, args.data, args.len);
        ubuf_putc(b, ')');
    }
    ubuf_free(&f);
    ubuf_free(&args);
    free(fmt);
    return ok;
}

/* encode(bytea, 'base64' | 'hex') / decode(text, 'base64' | 'hex') with a literal format:
 * DuckDB's to_base64 / from_base64 / hex / unhex (DuckDB's own encode() turns text into a
 * blob). 'escape' and other spellings are left as they are. */
static bool cx_fn_encode(ubuf_t *b, const cx_call_t *call, const cx_ctx_t *c)
{
    bool enc = cx_word(call->k, call->name, "encode");
    char *how = call->arg_first[1] == call->arg_last[1]
                    ? cx_string_value(call->k, call->arg_first[1])
                    : NULL;
    const char *fn = NULL;
    (void)c;
    if (how && strcasecmp(how, "base64") == 0)
        fn = enc ? "to_base64" : "from_base64";
    else if (how && strcasecmp(how, "hex") == 0)
        fn = enc ? "lower(hex" : "unhex";
    if (fn) {
        char *x = cx_arg(call, 0);
        ubuf_printf(b, "%s(%s)%s", fn, x, strcmp(fn, "lower(hex") == 0 ? ")" : "");
        free(x);
    }
    free(how);
    return fn != NULL;
}

/* to_date(text, 'template') / to_timestamp(text, 'template'): strptime with the template
 * translated as for to_char (padded fields: strptime reads them with or without zeros). */
static bool cx_fn_to_date(ubuf_t *b, const cx_call_t *call, const cx_ctx_t *c)
{
    ubuf_t f = UBUF_INIT;
    bool ok = cx_date_template(call, true, &f);
    (void)c;
    if (ok) {
        char *x = cx_arg(call, 0);
        ubuf_printf(b, "CAST(strptime(%s, ", x);
        cx_put_literal(b, ubuf_cstr(&f));
        ubuf_puts(b, cx_word(call->k, call->name, "to_date") ? ") AS DATE)" : ") AS TIMESTAMPTZ)");
        free(x);
    }
    ubuf_free(&f);
    return ok;
}

/* to_number(text, template): duckd's duckd_to_number (engine/pgfuncs.c, PostgreSQL's parsing)
 * gives the number as text, cast to a DECIMAL with the most digits after the point the
 * template can read (a literal template), or 10 of them (a template that is not a literal). */
static bool cx_fn_to_number(ubuf_t *b, const cx_call_t *call, const cx_ctx_t *c)
{
    char *t = call->arg_first[1] == call->arg_last[1] ? cx_string_value(call->k, call->arg_first[1])
                                                      : NULL;
    int scale = t ? pgnf_number_scale(t, strlen(t)) : 10;
    char *x = cx_arg(call, 0), *f = cx_arg(call, 1);
    (void)c;
    if (scale < 0) /* a template to_number refuses: duckd_to_number raises the error */
        scale = 0;
    ubuf_printf(b, "CAST(duckd_to_number(%s, %s) AS DECIMAL(38, %d))", x, f,
                scale > 38 ? 38 : scale);
    free(t);
    free(x);
    free(f);
    return true;
}

/* to_regclass(name) / to_regtype(name): the OID, or NULL when nothing has that name. */
static bool cx_fn_to_reg(ubuf_t *b, const cx_call_t *call, const cx_ctx_t *c)
{
    char *x = cx_arg(call, 0);
    ubuf_putc(b, '(');
    cx_reg_lookup_value(b, cx_word(call->k, call->name, "to_regclass") ? CX_REG_CLASS : CX_REG_TYPE,
                        x, false, c);
    ubuf_putc(b, ')');
    free(x);
    return true;
}

/* jsonb_set(target, '{a,b}', value [, create]): the path literal as DuckDB's list for duckd's
 * jsonb_set (engine/pgfuncs.c); any other path is left as it is. */
static bool cx_fn_jsonb_set(ubuf_t *b, const cx_call_t *call, const cx_ctx_t *c)
{
    const cx_toks_t *k = call->k;
    size_t p = call->arg_first[1];
    (void)c;
    if (call->nargs < 3 || call->nargs > 4 || p != call->arg_last[1] ||
        !cx_kind(k, p, SQLT_STRING) || k->t[p].len < 3 || k->s[k->t[p].start + 1] != '{')
        return false;
    cx_put_range(b, k, call->first, call->open);
    cx_put_range(b, k, call->arg_first[0], call->arg_last[0]);
    ubuf_puts(b, ", ");
    cx_put_operand(b, k, p, p + 1, true);
    ubuf_puts(b, ", ");
    cx_put_range(b, k, call->arg_first[2], call->close);
    return true;
}

/* The number of capturing groups of a literal regular expression ((?:...) does not count);
 * -1 when the pattern is not a literal. */
static int cx_regex_groups(const cx_toks_t *k, size_t first, size_t last)
{
    char *re = first == last ? cx_string_value(k, first) : NULL;
    int n = 0;
    bool cls = false;
    if (!re)
        return -1;
    for (const char *p = re; *p; p++) {
        if (*p == '\\' && p[1])
            p++;
        else if (cls && *p == ']')
            cls = false;
        else if (!cls && *p == '[')
            cls = true;
        else if (!cls && *p == '(' && p[1] != '?')
            n++;
    }
    free(re);
    return n;
}

/* The options of DuckDB's regexp functions for PostgreSQL's flags argument a (a literal): i,
 * c, s, and g (reported in *global); NULL for other flags. Owned by the caller. */
static char *cx_regex_flags(const cx_call_t *call, size_t a, bool *global)
{
    char *f = NULL;
    ubuf_t o = UBUF_INIT;
    bool ok = true;
    *global = false;
    if (a >= call->nargs)
        return xstrdup("");
    if (call->arg_first[a] == call->arg_last[a])
        f = cx_string_value(call->k, call->arg_first[a]);
    ok = f != NULL;
    for (const char *p = f; ok && *p; p++) {
        if (*p == 'g')
            *global = true;
        else if (*p == 'i' || *p == 'c' || *p == 's')
            ubuf_putc(&o, *p);
        else
            ok = false;
    }
    ubuf_cstr(&o);
    free(f);
    if (!ok)
        ubuf_free(&o);
    return ok ? o.data : NULL;
}

/* regexp_match(s, re [, flags]) -> text[] of the first match's groups (the whole match when
 * the pattern has none), NULL without a match; regexp_matches(s, re, 'g...') -> a row per
 * match. Needs a literal pattern (to count its groups). DuckDB's own regexp_matches (a
 * boolean test, also with options) is left alone. */
static bool cx_fn_regexp_match(ubuf_t *b, const cx_call_t *call, const cx_ctx_t *c)
{
    const cx_toks_t *k = call->k;
    bool global = false, all = cx_word(k, call->name, "regexp_matches");
    int groups = call->nargs >= 2 && call->nargs <= 3
                     ? cx_regex_groups(k, call->arg_first[1], call->arg_last[1])
                     : -1;
    char *opts = groups >= 0 && groups <= 8 ? cx_regex_flags(call, 2, &global) : NULL;
    if (!opts || global != all) {
        free(opts);
        return false;
    }
    (void)c;
    char *s = cx_arg(call, 0), *re = cx_arg(call, 1);
    ubuf_t o = UBUF_INIT;
    if (*opts) {
        ubuf_puts(&o, ", ");
        cx_put_literal(&o, opts);
    }
    const char *os = ubuf_cstr(&o);
    if (!all) {
        ubuf_printf(b, "(CASE WHEN regexp_matches(%s, %s%s) THEN [", s, re, os);
        for (int g = groups ? 1 : 0; g <= groups; g++)
            ubuf_printf(b, "%sregexp_extract(%s, %s, %d%s)", g > 1 ? ", " : "", s, re, g, os);
        ubuf_puts(b, "] END)");
    } else if (groups == 0) {
        ubuf_printf(b, "unnest(list_transform(regexp_extract_all(%s, %s, 0%s), cx_m -> [cx_m]))", s,
                    re, os);
    } else {
        ubuf_printf(b,
                    "unnest(list_transform(range(len(regexp_extract_all(%s, %s, 1%s))), cx_i -> [",
                    s, re, os);
        for (int g = 1; g <= groups; g++)
            ubuf_printf(b, "%sregexp_extract_all(%s, %s, %d%s)[cx_i + 1]", g > 1 ? ", " : "", s, re,
                        g, os);
        ubuf_puts(b, "]))");
    }
    ubuf_free(&o);
    free(opts);
    free(s);
    free(re);
    return true;
}

/* quote_literal(x): x as a string literal, E'...' with doubled backslashes when it has one */
#define CX_QUOTE_LITERAL                                                                           \
    "(CASE WHEN contains(CAST(%1 AS VARCHAR), '\\') THEN 'E''' ELSE '''' END || "                  \
    "replace(replace(CAST(%1 AS VARCHAR), '\\', '\\\\'), '''', '''''') || '''')"

#define CX_EACH_TEXT                                                                               \
    "(SELECT key, CASE WHEN json_type(value) IN ('OBJECT', 'ARRAY') THEN CAST(value AS VARCHAR) "  \
    "ELSE value ->> '$' END AS value FROM json_each(%1))"

typedef struct cx_func {
    const char *name;
    int nargs; /* -1: any */
    const char *tmpl;
    bool (*fn)(ubuf_t *b, const cx_call_t *call, const cx_ctx_t *c);
} cx_func_t;

static const cx_func_t cx_funcs[] = {
    {"version", 0, NULL, cx_fn_version},
    {"pg_backend_pid", 0, NULL, cx_fn_backend_pid},
    {"current_setting", -1, NULL, cx_fn_current_setting},
    {"format_type", 2, NULL, cx_fn_format_type},
    {"pg_get_userbyid", 1, "%u", NULL},
    {"pg_encoding_to_char", 1, "'UTF8'", NULL},
    {"pg_char_to_encoding", 1, "6", NULL},
    {"getdatabaseencoding", 0, "'UTF8'", NULL},
    {"to_char", 2, NULL, cx_fn_to_char},
    {"to_regclass", 1, NULL, cx_fn_to_reg},
    {"to_regtype", 1, NULL, cx_fn_to_reg},
    {"to_date", 2, NULL, cx_fn_to_date},
    {"to_number", 2, NULL, cx_fn_to_number},
    {"pg_notify", -1, "error('[SQLSTATE 0A000] LISTEN/NOTIFY is not supported by duckd')", NULL},
    {"to_timestamp", 2, NULL, cx_fn_to_date},
    {"generate_series", -1, NULL, cx_fn_generate_series},
    {"format", -1, NULL, cx_fn_format},
    {"encode", 2, NULL, cx_fn_encode},
    {"decode", 2, NULL, cx_fn_encode},
    {"every", 1, "bool_and(%1)", NULL},
    {"div", 2, "((%1) // (%2))", NULL},
    {"json_build_object", -1, "json_object(%*)", NULL},
    {"json_build_array", -1, "json_array(%*)", NULL},
    /* jsonb is DuckDB's JSON (cx_type_rename): its functions are json's */
    {"jsonb_build_object", -1, "json_object(%*)", NULL},
    {"jsonb_build_array", -1, "json_array(%*)", NULL},
    /* list() takes ORDER BY and FILTER (json_group_array is a macro, which does not) */
    {"json_agg", -1, "to_json(list(%*))", NULL},
    {"jsonb_agg", -1, "to_json(list(%*))", NULL},
    {"json_object_agg", -1, "json_group_object(%*)", NULL},
    {"jsonb_object_agg", -1, "json_group_object(%*)", NULL},
    {"to_jsonb", 1, "to_json(%1)", NULL},
    {"json_typeof", 1, CX_JSON_TYPEOF, NULL},
    {"jsonb_typeof", 1, CX_JSON_TYPEOF, NULL},
    {"jsonb_array_length", 1, "json_array_length(%1)", NULL},
    {"jsonb_extract_path", -1, "json_extract_path(%*)", NULL},
    {"jsonb_extract_path_text", -1, "json_extract_path_text(%*)", NULL},
    {"json_object_keys", 1, "unnest(json_keys(%1))", NULL},
    {"jsonb_object_keys", 1, "unnest(json_keys(%1))", NULL},
    {"json_array_elements", 1, "unnest(json_extract(%1, '$[*]'))", NULL},
    {"jsonb_array_elements", 1, "unnest(json_extract(%1, '$[*]'))", NULL},
    {"json_array_elements_text", 1, "unnest(json_extract_string(%1, '$[*]'))", NULL},
    {"jsonb_array_elements_text", 1, "unnest(json_extract_string(%1, '$[*]'))", NULL},
    {"jsonb_pretty", 1, "json_pretty(%1)", NULL},
    /* PostgreSQL's two columns (json_each has eight) */
    {"jsonb_each", 1, "(SELECT key, value FROM json_each(%1))", NULL},
    {"jsonb_each_text", 1, CX_EACH_TEXT, NULL},
    {"json_each_text", 1, CX_EACH_TEXT, NULL},
    {"jsonb_set", -1, NULL, cx_fn_jsonb_set},
    {"json_set", -1, NULL, cx_fn_jsonb_set},
    {"regexp_match", -1, NULL, cx_fn_regexp_match},
    {"regexp_matches", 3, NULL, cx_fn_regexp_match},
    {"quote_literal", 1, CX_QUOTE_LITERAL, NULL},
    {"quote_nullable", 1, "coalesce(" CX_QUOTE_LITERAL ", 'NULL')", NULL},
    {"array_to_string", 3,
     "array_to_string(list_transform(%1, cx_x -> coalesce(CAST(cx_x AS VARCHAR), %3)), %2)", NULL},
    {"string_to_array", 3, "list_transform(string_to_array(%1, %2), cx_x -> nullif(cx_x, %3))",
     NULL},
    {"transaction_timestamp", 0, "now()", NULL},
    {"pg_get_serial_sequence", 2, CX_SERIAL_SEQUENCE, NULL},
    {"setval", -1, NULL, cx_fn_setval},
    {"lastval", 0,
     "error('lastval() is not supported by duckd: use currval(''name'') or INSERT ... RETURNING')",
     NULL},
    {"generate_subscripts", -1, NULL, cx_fn_subscripts},
    {"array_upper", 2, "(CASE WHEN (%2) = 1 THEN nullif(len(%1), 0) END)", NULL},
    {"array_lower", 2, "(CASE WHEN (%2) = 1 AND len(%1) > 0 THEN 1 END)", NULL},
    {"pg_get_expr", 2, CX_GET_EXPR, NULL},
    {"pg_get_expr", 3, CX_GET_EXPR, NULL},
    {"pg_get_viewdef", 1, CX_VIEWDEF, NULL},
    {"pg_get_viewdef", 2, CX_VIEWDEF, NULL},
    {"pg_get_indexdef", -1, NULL, cx_fn_indexdef},
    {"pg_get_constraintdef", -1, NULL, cx_fn_constraintdef},
    {"pg_table_is_visible", 1, CX_VISIBLE("pg_class", "relnamespace"), NULL},
    {"pg_type_is_visible", 1, "true", NULL},
    {"quote_ident", 1,
     "(CASE WHEN regexp_full_match(%1, '[a-z_][a-z0-9_$]*') THEN %1 "
     "ELSE '\"' || replace(%1, '\"', '\"\"') || '\"' END)",
     NULL},
    /* a set of (x, n) records, the elements and their positions (pgjdbc's key columns) */
    {"_pg_expandarray", 1,
     "unnest(list_transform(generate_series(1, len(%1)), cx_i -> {'x': (%1)[cx_i], 'n': cx_i}))",
     NULL},
    {"pg_partition_ancestors", 1, "unnest([TRY_CAST(%1 AS BIGINT)])", NULL},
    {"pg_relation_is_publishable", 1, "false", NULL},
    {"pg_total_relation_size", 1, "0::BIGINT", NULL},
    {"pg_relation_size", 1, "0::BIGINT", NULL},
    {"pg_table_size", 1, "0::BIGINT", NULL},
    {"pg_indexes_size", 1, "0::BIGINT", NULL},
    {"pg_database_size", 1, "CAST(NULL AS BIGINT)", NULL},
    {"pg_tablespace_size", 1, "CAST(NULL AS BIGINT)", NULL},
    {"pg_get_function_identity_arguments", 1, "''", NULL},
    {"pg_get_function_result", 1, "''", NULL},
    {"pg_get_function_arguments", 1, "''", NULL},
    {"pg_get_triggerdef", -1, "''", NULL},
    {"pg_get_ruledef", -1, "''", NULL},
    {"pg_get_statisticsobjdef_columns", 1, "''", NULL},
    {"pg_get_partkeydef", 1, "CAST(NULL AS VARCHAR)", NULL},
    {"pg_get_partition_constraintdef", 1, "CAST(NULL AS VARCHAR)", NULL},
    {"pg_is_in_recovery", 0, "false", NULL},
    {"pg_tablespace_location", 1, "''", NULL},
    {"txid_current", 0, "1::BIGINT", NULL},
    {"pg_current_xact_id", 0, "1::BIGINT", NULL},
};

static const cx_func_t *cx_func_find(const cx_toks_t *k, size_t name, size_t nargs)
{
    for (size_t f = 0; f < sizeof cx_funcs / sizeof cx_funcs[0]; f++)
        if (cx_word(k, name, cx_funcs[f].name) &&
            (cx_funcs[f].nargs < 0 || (size_t)cx_funcs[f].nargs == nargs))
            return &cx_funcs[f];
    return NULL;
}

/* FROM generate_series(...) s: in PostgreSQL the alias of a function returning one column
 * also names that column (WHERE x = s); in DuckDB it names the row. Adds the column alias:
 * FROM generate_series(...) s(s). */
static void cx_function_alias(const cx_toks_t *k, size_t name, size_t close, cx_edits_t *ed)
{
    static const char *const fns[] = {"generate_series", "unnest", "generate_subscripts"};
    size_t before = cx_op(k, name - 1, ".") ? name - 3 : name - 1, a = close + 1;
    bool known = false;
    for (size_t f = 0; f < sizeof fns / sizeof fns[0]; f++)
        known = known || cx_word(k, name, fns[f]);
    if (!known || !(cx_word(k, before, "FROM") || cx_word(k, before, "JOIN") ||
                    (cx_op(k, before, ",") && cx_in_from_list(k, before))))
        return;
    if (cx_word(k, a, "AS"))
        a++;
    if (!cx_kind(k, a, SQLT_WORD) || cx_keyword(k, a) || cx_op(k, a + 1, "(") ||
        cx_op(k, a + 1, "."))
        return;
    ubuf_t b = UBUF_INIT;
    ubuf_putc(&b, '(');
    cx_put_range(&b, k, a, a);
    ubuf_putc(&b, ')');
    cx_edit_buf(ed, cx_end(k, a), cx_end(k, a), &b);
}

/* True when token i names a relation being created or written (INSERT INTO x, CREATE TABLE
 * x, UPDATE x, ... REFERENCES x): such a name is never a function call or a catalog read. */
static bool cx_defines_name(const cx_toks_t *k, size_t i)
{
    static const char *const words[] = {"INTO",       "TABLE",    "UPDATE",   "INDEX",
                                        "VIEW",       "TYPE",     "FUNCTION", "MACRO",
                                        "REFERENCES", "SEQUENCE", "ON"};
    for (size_t w = 0; w < sizeof words / sizeof words[0]; w++)
        if (cx_word(k, i, words[w]))
            return true;
    return cx_word(k, i, "EXISTS") && cx_word(k, i - 1, "NOT") && cx_word(k, i - 2, "IF");
}

/* Functions whose select-list column PostgreSQL names after the function (version) where
 * DuckDB would use the expression's text or the rewritten literal. */
static bool cx_named_call(const cx_toks_t *k, size_t name)
{
    static const char *const names[] = {"version",
                                        "current_database",
                                        "current_schema",
                                        "pg_backend_pid",
                                        "current_setting",
                                        "current_schemas",
                                        "pg_get_userbyid",
                                        "format_type",
                                        "pg_get_expr",
                                        "pg_get_indexdef",
                                        "pg_get_constraintdef",
                                        "pg_get_viewdef",
                                        "pg_table_is_visible",
                                        "setval",
                                        "pg_get_serial_sequence"};
    for (size_t n = 0; n < sizeof names / sizeof names[0]; n++)
        if (cx_word(k, name, names[n]))
            return true;
    return false;
}

/* Appends " AS name" with the (lower-case) name of token i. */
static void cx_put_alias(ubuf_t *b, const cx_toks_t *k, size_t i)
{
    char name[64];
    cx_ident(k, i, name, sizeof name);
    ubuf_printf(b, " AS %s", name);
}

/* FROM ..., unnest(a, b) [WITH ORDINALITY] alias(x, y [, n]) (Django's index reflection):
 * DuckDB's unnest takes one list. Becomes a lateral subquery that unnests each list side by
 * side, plus the ordinal. Returns the last token consumed, or call->name if not this shape. */
static size_t cx_unnest_multi(const cx_call_t *call, cx_edits_t *ed)
{
    const cx_toks_t *k = call->k;
    size_t before = call->first - 1, last = call->close;
    bool ordinality = cx_word(k, last + 1, "WITH") && cx_word(k, last + 2, "ORDINALITY");
    if (!cx_word(k, call->name, "unnest") || call->nargs < 2 || call->nargs > CX_MAX_ARGS ||
        !(cx_word(k, before, "FROM") || cx_word(k, before, "JOIN") ||
          (cx_op(k, before, ",") && cx_in_from_list(k, before))))
        return call->name;
    ubuf_t b = UBUF_INIT;
    ubuf_puts(&b, "LATERAL (SELECT ");
    for (size_t a = 0; a < call->nargs; a++) {
        ubuf_puts(&b, a ? ", unnest(" : "unnest(");
        cx_put_range(&b, k, call->arg_first[a], call->arg_last[a]);
        ubuf_putc(&b, ')');
    }
    if (ordinality) {
        ubuf_puts(&b, ", unnest(generate_series(1, len(");
        cx_put_range(&b, k, call->arg_first[0], call->arg_last[0]);
        ubuf_puts(&b, ")))");
        last += 2;
    }
    ubuf_putc(&b, ')');
    cx_edit_buf(ed, cx_start(k, call->first), cx_end(k, last), &b);
    return last;
}

/* A call name ( ... ) with the name at token i. Returns the last token handled. */
static size_t cx_call_at(const cx_toks_t *k, size_t i, const cx_ctx_t *c, cx_edits_t *ed)
{
    cx_call_t call = {.k = k, .first = i, .name = i, .open = i + 1, .close = k->match[i + 1]};
    bool qualified = cx_op(k, i - 1, ".") && !cx_op(k, i - 3, ".") &&
                     (cx_word(k, i - 2, "pg_catalog") || (cx_word(k, i - 2, "information_schema") &&
                                                          cx_word(k, i, "_pg_expandarray")));
    if (call.close == CX_NONE || (cx_op(k, i - 1, ".") && !qualified) || cx_keyword(k, i))
        return i;
    if (qualified)
        call.first = i - 2;
    if (cx_defines_name(k, call.first - 1))
        return i; /* CREATE TABLE version (...), INSERT INTO t (...) */
    bool split = cx_split_args(&call);
    size_t multi = split ? cx_unnest_multi(&call, ed) : i;
    if (multi != i)
        return multi;
    const cx_func_t *f = split ? cx_func_find(k, i, call.nargs) : NULL;
    bool named = cx_named_call(k, i) && cx_select_item(k, call.first, call.close) &&
                 !cx_has_alias(k, call.close + 1);
    ubuf_t b = UBUF_INIT;
    if (f && (f->fn ? f->fn(&b, &call, c) : (cx_expand(&b, f->tmpl, &call, c), true))) {
        if (named)
            cx_put_alias(&b, k, i);
        cx_edit_buf(ed, cx_start(k, call.first), cx_end(k, call.close), &b);
        return call.close;
    }
    if (qualified) /* DuckDB resolves pg_catalog.f only for its own pg_catalog macros */
        cx_edit_str(ed, cx_start(k, i - 2), cx_start(k, i), "");
    if (named) {
        cx_put_alias(&b, k, i);
        cx_edit_buf(ed, cx_end(k, call.close), cx_end(k, call.close), &b);
    }
    ubuf_free(&b);
    cx_function_alias(k, i, call.close, ed);
    return i;
}

/* current_user, session_user, current_role (SQL's parameterless functions) at token i: the
 * session's user (DuckDB would say "duckdb"), named as PostgreSQL names the column. */
static void cx_user_word(const cx_toks_t *k, size_t i, const cx_ctx_t *c, cx_edits_t *ed)
{
    if (!(cx_word(k, i, "current_user") || cx_word(k, i, "session_user") ||
          cx_word(k, i, "current_role")) ||
        cx_op(k, i - 1, ".") || cx_op(k, i + 1, ".") || cx_op(k, i + 1, "(") ||
        cx_word(k, i - 1, "AS") || cx_word(k, i - 1, "DEFAULT") || cx_defines_name(k, i - 1))
        return; /* a column DEFAULT current_user must stay an expression */
    ubuf_t b = UBUF_INIT;
    cx_put_literal(&b, c->get(c->ctx, "session_authorization"));
    if (cx_select_item(k, i, i) && !cx_has_alias(k, i + 1))
        cx_put_alias(&b, k, i);
    cx_edit_buf(ed, cx_start(k, i), cx_end(k, i), &b);
}

static void cx_pass_calls(const cx_toks_t *k, const cx_ctx_t *c, cx_edits_t *ed)
{
    for (size_t i = 0; i < k->nt; i++)
        if (cx_kind(k, i, SQLT_WORD) && cx_op(k, i + 1, "("))
            i = cx_call_at(k, i, c, ed);
        else if (cx_kind(k, i, SQLT_WORD))
            cx_user_word(k, i, c, ed);
}

/* ---- pass: pg_catalog tables ---- */

/* DuckDB type name (data_type of duckdb_columns(), without modifiers) -> PostgreSQL type and
 * array type, as the engine maps result columns (src/engine/encode.c); others are text. */
static const char cx_duck_types[] =
    "('BOOLEAN',16,1000),('TINYINT',21,1005),('SMALLINT',21,1005),('UTINYINT',21,1005),"
    "('INTEGER',23,1007),('USMALLINT',23,1007),('BIGINT',20,1016),('UINTEGER',20,1016),"
    "('UBIGINT',1700,1231),('HUGEINT',1700,1231),('UHUGEINT',1700,1231),"
    "('DECIMAL',1700,1231),('FLOAT',700,1021),('DOUBLE',701,1022),('VARCHAR',25,1009),"
    "('JSON',114,199),('BLOB',17,1001),('DATE',1082,1182),('TIME',1083,1183),"
    "('TIME_NS',1083,1183),('TIME WITH TIME ZONE',1266,1270),('TIMESTAMP',1114,1115),"
    "('TIMESTAMP_S',1114,1115),('TIMESTAMP_MS',1114,1115),('TIMESTAMP_NS',1114,1115),"
    "('TIMESTAMP WITH TIME ZONE',1184,1185),('INTERVAL',1186,1187),('UUID',2950,2951),"
    "('BIT',1562,1563),('STRUCT',114,199),('MAP',114,199)";

/* pg_attribute from duckdb_columns(), with PostgreSQL type OIDs and typmods, and the columns
 * of indexes (compat_catalog.c). */
static void cx_ov_pg_attribute(ubuf_t *b, const cx_ctx_t *c)
{
    (void)c;
    ubuf_puts(b, "WITH cx_ta AS (SELECT a.table_oid AS attrelid, a.column_name AS attname, "
                 "(CASE WHEN a.cx_nested THEN 25 WHEN a.cx_list THEN COALESCE(m.cx_arr, 1009) "
                 "ELSE COALESCE(m.cx_oid, 25) END)::UINTEGER AS atttypid, -1 AS attstattarget, "
                 "-1::SMALLINT AS attlen, a.column_index::SMALLINT AS attnum, "
                 "(CASE WHEN a.cx_list THEN 1 ELSE 0 END) AS attndims, -1 AS attcacheoff, "
                 "(CASE WHEN a.cx_base = 'DECIMAL' AND NOT a.cx_list THEN "
                 "a.numeric_precision * 65536 + a.numeric_scale + 4 ELSE -1 END) AS atttypmod, "
                 "false AS attbyval, 'i' AS attalign, CASE WHEN a.cx_list OR a.cx_nested THEN 'x' "
                 "WHEN m.cx_oid = 1700 THEN 'm' WHEN COALESCE(m.cx_oid, 25) IN (17, 25, 114, "
                 "1562) THEN 'x' ELSE 'p' END AS attstorage, '' AS attcompression, "
                 "NOT a.is_nullable AS attnotnull, a.column_default IS NOT NULL AS atthasdef, "
                 "false AS atthasmissing, '' AS attidentity, '' AS attgenerated, "
                 "false AS attisdropped, true AS attislocal, 0 AS attinhcount, "
                 "0::UINTEGER AS attcollation, NULL::VARCHAR[] AS attacl, "
                 "NULL::VARCHAR[] AS attoptions, NULL::VARCHAR[] AS attfdwoptions, "
                 "NULL::VARCHAR AS attmissingval FROM (SELECT *, "
                 "regexp_matches(data_type, '\\[\\d*\\]$') AS cx_list, "
                 "regexp_matches(data_type, '\\[\\d*\\]\\[\\d*\\]$') AS cx_nested, "
                 "regexp_replace(regexp_replace(data_type, '\\[\\d*\\]$', ''), '\\(.*$', '') "
                 "AS cx_base FROM duckdb_columns() WHERE database_name <> current_database() "
                 "OR schema_name <> 'duckd') a LEFT JOIN (VALUES ");
    ubuf_puts(b, cx_duck_types);
    ubuf_puts(b, ") m(cx_name, cx_oid, cx_arr) ON m.cx_name = a.cx_base) SELECT * FROM cx_ta "
                 "UNION ALL BY NAME ");
    compat__catalog_index_attributes(b, "cx_ta");
}

typedef struct cx_overlay {
    const char *name;
    void (*build)(ubuf_t *b, const cx_ctx_t *c);
} cx_overlay_t;

/* Catalog tables replaced by subqueries: the type catalogs here, the others in
 * compat_catalog.c. */
static const cx_overlay_t cx_overlays[] = {
    {"pg_type", cx_ov_pg_type},
    {"pg_attribute", cx_ov_pg_attribute},
};

/* True when the `,` at token i separates FROM items (rather than select-list items). */
static bool cx_in_from_list(const cx_toks_t *k, size_t i)
{
    static const char *const stop[] = {"SELECT", "WHERE",  "ON",        "SET",   "VALUES",
                                       "BY",     "HAVING", "RETURNING", "USING", "INTO",
                                       "WHEN",   "THEN",   "ELSE"};
    for (size_t j = i; j-- > 0;) {
        if ((cx_op(k, j, ")") || cx_op(k, j, "]")) && k->match[j] != CX_NONE) {
            j = k->match[j];
            continue;
        }
        if (cx_op(k, j, "(") || cx_op(k, j, "["))
            return false;
        if (cx_word(k, j, "FROM"))
            return true;
        for (size_t w = 0; w < sizeof stop / sizeof stop[0]; w++)
            if (cx_word(k, j, stop[w]))
                return false;
    }
    return false;
}

/* The definition of the emulated catalog relation named by token i into b (with its name in
 * *name); false if it is not one. */
static bool cx_overlay_build(const cx_toks_t *k, size_t i, const cx_ctx_t *c, ubuf_t *b,
                             const char **name)
{
    for (size_t o = 0; o < sizeof cx_overlays / sizeof cx_overlays[0]; o++) {
        if (cx_word(k, i, cx_overlays[o].name)) {
            *name = cx_overlays[o].name;
            cx_overlays[o].build(b, c);
            return true;
        }
    }
    const compat_relation_t *r = compat__catalog_relation(k->s + k->t[i].start, k->t[i].len);
    if (!r)
        return false;
    *name = r->name;
    if (r->sql)
        ubuf_puts(b, r->sql);
    else
        r->build(b, c->get(c->ctx, "session_authorization"), cx_fk_recorded(c));
    return true;
}

/* A catalog table name at token i: [pg_catalog.]name in a FROM item. */
static void cx_catalog_at(const cx_toks_t *k, size_t i, const cx_ctx_t *c, cx_edits_t *ed)
{
    size_t first = i, next = i + 1;
    const char *name = NULL;
    if (!cx_kind(k, i, SQLT_WORD) || cx_op(k, next, ".") || cx_op(k, next, "("))
        return;
    if (cx_op(k, i - 1, ".")) {
        if (!cx_word(k, i - 2, "pg_catalog") || cx_op(k, i - 3, ".") || cx_defines_name(k, i - 3))
            return;
        first = i - 2;
    } else if (!cx_word(k, i - 1, "FROM") && !cx_word(k, i - 1, "JOIN") &&
               !(cx_op(k, i - 1, ",") && cx_in_from_list(k, i - 1))) {
        return;
    }
    ubuf_t b = UBUF_INIT;
    ubuf_putc(&b, '(');
    if (!cx_overlay_build(k, i, c, &b, &name)) {
        ubuf_free(&b);
        return;
    }
    ubuf_putc(&b, ')');
    bool aliased = cx_word(k, next, "AS") || cx_kind(k, next, SQLT_QIDENT) ||
                   (cx_kind(k, next, SQLT_WORD) && !cx_keyword(k, next));
    if (!aliased)
        ubuf_printf(&b, " AS %s", name);
    cx_edit_buf(ed, cx_start(k, first), cx_end(k, i), &b);
}

static void cx_pass_catalog(const cx_toks_t *k, const cx_ctx_t *c, cx_edits_t *ed)
{
    for (size_t i = 0; i < k->nt; i++)
        if (cx_kind(k, i, SQLT_WORD) && k->t[i].len > 3 &&
            strncasecmp(k->s + k->t[i].start, "pg_", 3) == 0)
            cx_catalog_at(k, i, c, ed);
}

/* ---- pass: duckd's own schema left out of DuckDB's catalogs ---- */

/* DuckDB's catalog functions and views that list schema duckd (the foreign keys duckd
 * records, setting foreign_keys) once it exists. A FROM item naming one becomes a subquery
 * without duckd's rows; `filter` is the condition every other row meets. */
typedef struct cx_hidden {
    const char *schema; /* the qualifier it takes ("information_schema"), NULL if none */
    const char *name;
    bool call;          /* a table function: name() (also a view of the same name) */
    const char *filter; /* WHERE condition that keeps all but duckd's rows */
} cx_hidden_t;

#define CX_NOT_DUCKD(cat, sch) cat " <> current_database() OR " sch " <> 'duckd'"
#define CX_NOT_DUCKD_SQL "sql IS NULL OR NOT starts_with(sql, 'CREATE TABLE duckd.')"

static const cx_hidden_t cx_hidden[] = {
    {NULL, "duckdb_tables", true, CX_NOT_DUCKD("database_name", "schema_name")},
    {NULL, "duckdb_columns", true, CX_NOT_DUCKD("database_name", "schema_name")},
    {NULL, "duckdb_constraints", true, CX_NOT_DUCKD("database_name", "schema_name")},
    {NULL, "duckdb_schemas", true, CX_NOT_DUCKD("database_name", "schema_name")},
    {NULL, "duckdb_indexes", true, CX_NOT_DUCKD("database_name", "schema_name")},
    {"information_schema", "schemata", false, CX_NOT_DUCKD("catalog_name", "schema_name")},
    {"information_schema", "tables", false, CX_NOT_DUCKD("table_catalog", "table_schema")},
    {"information_schema", "columns", false, CX_NOT_DUCKD("table_catalog", "table_schema")},
    {"information_schema", "table_constraints", false,
     CX_NOT_DUCKD("table_catalog", "table_schema")},
    {"information_schema", "key_column_usage", false,
     CX_NOT_DUCKD("table_catalog", "table_schema")},
    {"information_schema", "constraint_column_usage", false,
     CX_NOT_DUCKD("table_catalog", "table_schema")},
    {"information_schema", "constraint_table_usage", false,
     CX_NOT_DUCKD("table_catalog", "table_schema")},
    {"information_schema", "check_constraints", false,
     CX_NOT_DUCKD("constraint_catalog", "constraint_schema")},
    {"information_schema", "referential_constraints", false,
     CX_NOT_DUCKD("constraint_catalog", "constraint_schema")},
    {NULL, "sqlite_master", false, CX_NOT_DUCKD_SQL},
    {NULL, "sqlite_schema", false, CX_NOT_DUCKD_SQL},
    {"pg_catalog", "pg_tables", false, "schemaname <> 'duckd'"},
};

/* The hidden catalog named at token i in a FROM item, with its first and last tokens. */
static const cx_hidden_t *cx_hidden_at(const cx_toks_t *k, size_t i, size_t *first, size_t *last)
{
    for (size_t h = 0; h < sizeof cx_hidden / sizeof cx_hidden[0]; h++) {
        const cx_hidden_t *x = &cx_hidden[h];
        bool qualified = cx_op(k, i - 1, ".");
        if (!cx_word(k, i, x->name) || cx_op(k, i + 1, "."))
            continue;
        if (qualified && !(x->schema && cx_word(k, i - 2, x->schema) && !cx_op(k, i - 3, ".")))
            continue;
        if (!qualified && x->schema && strcmp(x->schema, "pg_catalog") != 0)
            continue; /* information_schema's names need the qualifier */
        *first = qualified ? i - 2 : i;
        *last = i;
        if (cx_op(k, i + 1, "(")) {
            if (!x->call || k->match[i + 1] != i + 2)
                return NULL; /* a call with arguments, or a name DuckDB has no function of */
            *last = i + 2;
        }
        size_t before = *first - 1;
        if (!(cx_word(k, before, "FROM") || cx_word(k, before, "JOIN") ||
              (cx_op(k, before, ",") && cx_in_from_list(k, before))) ||
            cx_word(k, before - 1, "DELETE"))
            return NULL;
        return x;
    }
    return NULL;
}

/* SHOW ALL TABLES or a bare DESCRIBE (the same listing) in tokens [first, end): whether it
 * is one. */
static bool cx_show_all_tables(const cx_toks_t *k, size_t first, size_t end)
{
    size_t n = end - first;
    return (n == 3 && cx_word(k, first, "SHOW") && cx_word(k, first + 1, "ALL") &&
            cx_word(k, first + 2, "TABLES")) ||
           (n == 1 && cx_word(k, first, "DESCRIBE"));
}

#define CX_SHOW_ALL_TABLES                                                                         \
    "SELECT * FROM (SHOW ALL TABLES) WHERE " CX_NOT_DUCKD("\"database\"", "\"schema\"")

static void cx_pass_hide(const cx_toks_t *k, const cx_ctx_t *c, cx_edits_t *ed)
{
    (void)c;
    size_t n = k->nt;
    while (n > 0 && cx_kind(k, n - 1, SQLT_SEMI))
        n--;
    if (cx_show_all_tables(k, 0, n)) { /* the statement */
        cx_edit_str(ed, 0, k->n, CX_SHOW_ALL_TABLES);
        return;
    }
    for (size_t i = 0; i < k->nt; i++) {
        size_t first, last;
        if (cx_op(k, i, "(") && k->match[i] != CX_NONE &&
            cx_show_all_tables(k, i + 1, k->match[i])) { /* FROM (SHOW ALL TABLES) */
            cx_edit_str(ed, cx_start(k, i), cx_end(k, k->match[i]), "(" CX_SHOW_ALL_TABLES ")");
            i = k->match[i];
            continue;
        }
        const cx_hidden_t *x = cx_kind(k, i, SQLT_WORD) ? cx_hidden_at(k, i, &first, &last) : NULL;
        if (!x)
            continue;
        ubuf_t b = UBUF_INIT;
        ubuf_puts(&b, "(SELECT * FROM ");
        cx_put_range(&b, k, first, last);
        ubuf_printf(&b, " WHERE %s", x->filter);
        ubuf_t rec = UBUF_INIT; /* the keys duckd records, in the views that list keys */
        if (x->schema && strcmp(x->schema, "information_schema") == 0 &&
            compat__catalog_recorded_view(&rec, x->name)) {
            ubuf_puts(&b, " UNION ALL BY NAME ");
            ubuf_append(&b, rec.data, rec.len);
        }
        ubuf_free(&rec);
        ubuf_putc(&b, ')');
        if (!cx_has_alias(k, last + 1))
            ubuf_printf(&b, " AS %s", x->name);
        cx_edit_buf(ed, cx_start(k, first), cx_end(k, last), &b);
        i = last;
    }
}

/* ---- driver ---- */

typedef void (*cx_pass_fn)(const cx_toks_t *k, const cx_ctx_t *c, cx_edits_t *ed);

/* What a statement contains that some pass looks for; computed from one scan. */
enum {
    CX_NEED_OPS = 1,
    CX_NEED_REG = 2,
    CX_NEED_CASTS = 4,
    CX_NEED_CALLS = 8,
    CX_NEED_CATALOG = 16
};

static unsigned cx_needs(const cx_toks_t *k)
{
    unsigned need = 0;
    for (size_t i = 0; i < k->nt; i++) {
        const sqlt_t *t = &k->t[i];
        const char *p = k->s + t->start;
        if (t->kind == SQLT_OP &&
            (memchr(p, '~', t->len) != NULL || cx_op(k, i, "#>") || cx_op(k, i, "#>>") ||
             cx_op(k, i, "?") || cx_op(k, i, "?|") || cx_op(k, i, "?&") || cx_op(k, i, "||")))
            need |= CX_NEED_OPS;
        else if (cx_word(k, i, "OPERATOR") || cx_word(k, i, "COLLATE") || cx_word(k, i, "ANY") ||
                 cx_word(k, i, "SOME") || cx_word(k, i, "ALL"))
            need |= CX_NEED_OPS;
        else if (cx_op(k, i, "::") || cx_word(k, i, "CAST"))
            need |= CX_NEED_REG | CX_NEED_CASTS;
        else if (t->kind == SQLT_WORD && cx_op(k, i + 1, "("))
            need |= CX_NEED_CALLS;
        else if (cx_word(k, i, "current_user") || cx_word(k, i, "session_user") ||
                 cx_word(k, i, "current_role"))
            need |= CX_NEED_CALLS;
        if (t->kind == SQLT_WORD && t->len > 3 && strncasecmp(p, "pg_", 3) == 0)
            need |= CX_NEED_CATALOG;
    }
    return need;
}

/* ---- pass: stack-depth guard ---- */

/* DuckDB functions that recurse once per nesting level of a JSON document: their first
 * argument goes through duckd_json_guard (engine/sandbox.c), which refuses documents deep
 * enough to exhaust a thread's stack. */
static const char *const cx_json_recursive[] = {"json_structure", "json_deserialize_sql"};

static bool cx_json_recursive_call(const cx_toks_t *k, size_t i)
{
    if (!(cx_kind(k, i, SQLT_WORD) || cx_kind(k, i, SQLT_QIDENT)) || !cx_op(k, i + 1, "(") ||
        k->match[i + 1] == CX_NONE)
        return false;
    char name[64];
    cx_ident(k, i, name, sizeof name);
    for (size_t f = 0; f < sizeof cx_json_recursive / sizeof cx_json_recursive[0]; f++)
        if (strcasecmp(name, cx_json_recursive[f]) == 0)
            return true;
    return false;
}

/* Wraps each unguarded call's first argument; a call nested inside another's argument is
 * dropped by cx_edit's ordering and wrapped by the next run. */
static void cx_pass_guard(const cx_toks_t *k, const cx_ctx_t *c, cx_edits_t *ed)
{
    (void)c;
    for (size_t i = 0; i + 1 < k->nt; i++) {
        if (!cx_json_recursive_call(k, i))
            continue;
        size_t open = i + 1, close = k->match[open], end = open + 1;
        if (end == close || cx_word(k, end, "duckd_json_guard"))
            continue;
        while (end < close && !cx_op(k, end, ",")) {
            if (k->match[end] != CX_NONE && k->match[end] > end)
                end = k->match[end];
            end++;
        }
        cx_edit_str(ed, cx_start(k, open + 1), cx_start(k, open + 1), "duckd_json_guard(");
        cx_edit_str(ed, cx_start(k, end), cx_start(k, end), ")");
    }
}

/* Column types of CREATE TABLE and ALTER TABLE that DuckDB lacks under PostgreSQL's name:
 * jsonb (Django's JSONField, SQLAlchemy's JSONB) holds the same values as DuckDB's JSON. A
 * type follows its column's name, or TYPE in ALTER COLUMN ... [SET DATA] TYPE, or :: in a
 * USING expression or a default. */
static void cx_ddl_types(const cx_toks_t *k, cx_edits_t *ed)
{
    bool table = cx_word(k, 1, "TABLE") || cx_word(k, 2, "TABLE") || cx_word(k, 3, "TABLE");
    if (!table)
        return;
    for (size_t i = 3; i < k->nt; i++)
        if (cx_word(k, i, "jsonb") &&
            (cx_name(k, i - 1) || cx_word(k, i - 1, "TYPE") || cx_op(k, i - 1, "::")) &&
            !cx_op(k, i + 1, "(") && !cx_op(k, i + 1, "."))
            cx_edit_str(ed, cx_start(k, i), cx_end(k, i), "JSON");
}

/* CREATE [UNIQUE] INDEX ... USING btree (...): btree is what duckd reports for DuckDB's ART
 * indexes (pg_am), and tools replay it; DuckDB knows only USING art, its default. */
static void cx_pass_ddl(const cx_toks_t *k, const cx_ctx_t *c, cx_edits_t *ed)
{
    (void)c;
    if (cx_word(k, 0, "CREATE") || cx_word(k, 0, "ALTER"))
        cx_ddl_types(k, ed);
    if (!cx_word(k, 0, "CREATE") ||
        !(cx_word(k, 1, "INDEX") || (cx_word(k, 1, "UNIQUE") && cx_word(k, 2, "INDEX"))))
        return;
    for (size_t i = 2; i + 1 < k->nt; i++) {
        if (cx_op(k, i, "("))
            return; /* the column list: USING is before it */
        if (cx_word(k, i, "USING") && cx_word(k, i + 1, "btree")) {
            cx_edit_str(ed, cx_start(k, i), cx_end(k, i + 1), "");
            return;
        }
    }
}

/* A SELECT's locking clause, FOR UPDATE / FOR NO KEY UPDATE / FOR SHARE / FOR KEY SHARE
 * [OF table [, ...]] [NOWAIT | SKIP LOCKED], repeated: removed. DuckDB's MVCC takes no row
 * locks: two transactions that update the same row conflict, and the later one fails with
 * 40001 (a serialization failure, which callers of SELECT ... FOR UPDATE retry anyway)
 * instead of waiting. Returns the index after the clause, i when there is none. */
static size_t cx_lock_clause_end(const cx_toks_t *k, size_t i)
{
    size_t j = i + 1;
    if (!cx_word(k, i, "FOR"))
        return i;
    if (cx_word(k, j, "UPDATE") || cx_word(k, j, "SHARE"))
        j += 1;
    else if (cx_word(k, j, "NO") && cx_word(k, j + 1, "KEY") && cx_word(k, j + 2, "UPDATE"))
        j += 3;
    else if (cx_word(k, j, "KEY") && cx_word(k, j + 1, "SHARE"))
        j += 2;
    else
        return i;
    if (cx_word(k, j, "OF")) {
        j++;
        while (cx_name(k, j)) {
            j++;
            while (cx_op(k, j, ".") && cx_name(k, j + 1))
                j += 2;
            if (!cx_op(k, j, ","))
                break;
            j++;
        }
    }
    if (cx_word(k, j, "NOWAIT"))
        j++;
    else if (cx_word(k, j, "SKIP") && cx_word(k, j + 1, "LOCKED"))
        j += 2;
    return j;
}

static void cx_pass_locks(const cx_toks_t *k, const cx_ctx_t *c, cx_edits_t *ed)
{
    (void)c;
    for (size_t i = 1; i < k->nt; i++) {
        size_t end = cx_lock_clause_end(k, i);
        if (end == i)
            continue;
        cx_edit_str(ed, cx_start(k, i), cx_end(k, end - 1), "");
        i = end - 1;
    }
}

/* ---- pass: the public schema ---- */

/* True when token i is the identifier public (a word, or "public" quoted exactly so). */
static bool cx_public(const cx_toks_t *k, size_t i)
{
    if (cx_word(k, i, "public"))
        return true;
    return cx_kind(k, i, SQLT_QIDENT) && k->t[i].len == 8 &&
           memcmp(k->s + k->t[i].start, "\"public\"", 8) == 0;
}

/* True when token i is the sequence name 'public.x' of nextval( / currval( (pg_dump writes
 * column defaults as nextval('public.t_id_seq'::regclass)). */
static bool cx_seq_public_literal(const cx_toks_t *k, size_t i)
{
    const sqlt_t *t = &k->t[i];
    return cx_kind(k, i, SQLT_STRING) && t->len > 9 && k->s[t->start] == '\'' &&
           strncasecmp(k->s + t->start + 1, "public.", 7) == 0 && cx_op(k, i - 1, "(") &&
           (cx_word(k, i - 2, "nextval") || cx_word(k, i - 2, "currval"));
}

/* PostgreSQL's default schema public is DuckDB's main (docs/COMPATIBILITY.md,
 * "search_path"): a name qualified with it (public.t, db.public.t, "public"."t") and the
 * schema of CREATE SCHEMA [IF NOT EXISTS] public (pg_dump's and migration tools' first
 * statement) name main, as they name PostgreSQL's default schema. */
static void cx_pass_public(const cx_toks_t *k, const cx_ctx_t *c, cx_edits_t *ed)
{
    (void)c;
    for (size_t i = 0; i < k->nt; i++) {
        if (cx_seq_public_literal(k, i)) { /* nextval('public.s'): 'main.s' */
            cx_edit_str(ed, cx_start(k, i) + 1, cx_start(k, i) + 7, "main");
            continue;
        }
        if (!cx_public(k, i))
            continue;
        bool qualifier = cx_op(k, i + 1, ".") && cx_name(k, i + 2);
        bool created = cx_word(k, i - 1, "SCHEMA") && cx_word(k, i - 2, "CREATE");
        created = created || (cx_word(k, i - 1, "EXISTS") && cx_word(k, i - 2, "NOT") &&
                              cx_word(k, i - 3, "IF") && cx_word(k, i - 4, "SCHEMA") &&
                              cx_word(k, i - 5, "CREATE"));
        if (qualifier || created)
            cx_edit_str(ed, cx_start(k, i), cx_end(k, i), "main");
    }
}

/* Runs one pass up to `times` times over *cur (the statement so far, NULL = original). */
static void cx_run(cx_pass_fn pass, int times, const char *stmt, size_t len, char **cur,
                   const cx_ctx_t *c)
{
    for (int r = 0; r < times; r++) {
        const char *s = *cur ? *cur : stmt;
        size_t n = *cur ? strlen(*cur) : len;
        cx_toks_t k;
        cx_edits_t ed = {NULL, 0, 0, 0};
        if (!cx_scan(&k, s, n))
            return;
        pass(&k, c, &ed);
        char *out = cx_apply(s, n, &ed);
        cx_toks_free(&k);
        if (!out)
            return;
        free(*cur);
        *cur = out;
    }
}

char *compat_rewrite_public(const char *stmt, size_t len)
{
    char *cur = NULL;
    cx_ctx_t c = {NULL, NULL};
    cx_toks_t k;
    if (!cx_scan(&k, stmt, len))
        return NULL;
    bool public = false;
    for (size_t i = 0; i < k.nt && !public; i++)
    public = cx_public(&k, i) || cx_seq_public_literal(&k, i);
    cx_toks_free(&k);
    if (public)
        cx_run(cx_pass_public, 1, stmt, len, &cur, &c);
    return cur;
}

char *compat_rewrite_types(const char *stmt, size_t len)
{
    char *cur = NULL;
    cx_ctx_t c = {NULL, NULL};
    cx_run(cx_pass_ddl, 1, stmt, len, &cur, &c);
    return cur;
}

char *compat_hide_duckd(const char *stmt, size_t len)
{
    char *cur = NULL;
    cx_ctx_t c = {NULL, NULL};
    cx_run(cx_pass_hide, 1, stmt, len, &cur, &c);
    return cur;
}

char *compat_rewrite(const char *stmt, size_t len, compat_get_fn get, void *ctx)
{
    cx_ctx_t c = {get, ctx};
    cx_toks_t k;
    char *cur = NULL;
    if (!cx_scan(&k, stmt, len))
        return NULL;
    unsigned need = cx_needs(&k);
    int guarded = 0;
    for (size_t i = 0; i + 1 < k.nt; i++)
        guarded += cx_json_recursive_call(&k, i);
    bool ddl = k.nt > 2 && (cx_word(&k, 0, "CREATE") || cx_word(&k, 0, "ALTER"));

    bool locks = false;
    for (size_t i = 1; i < k.nt && !locks; i++)
        locks = cx_lock_clause_end(&k, i) != i;
    cx_toks_free(&k);
    if (cx_fk_recorded(&c)) /* before the catalogs below add DuckDB catalogs of their own */
        cx_run(cx_pass_hide, 1, stmt, len, &cur, &c);
    if (ddl)
        cx_run(cx_pass_ddl, 1, stmt, len, &cur, &c);
    if (locks)
        cx_run(cx_pass_locks, 1, stmt, len, &cur, &c);
    if (guarded)
        cx_run(cx_pass_guard, guarded, stmt, len, &cur, &c);
    if (need & CX_NEED_OPS)
        cx_run(cx_pass_ops, 3, stmt, len, &cur, &c);
    if (need & CX_NEED_REG)
        cx_run(cx_pass_regcasts, 4, stmt, len, &cur, &c);
    if (need & (CX_NEED_CASTS | CX_NEED_REG))
        cx_run(cx_pass_casts, 2, stmt, len, &cur, &c);
    if (need & (CX_NEED_CALLS | CX_NEED_REG))
        cx_run(cx_pass_calls, 3, stmt, len, &cur, &c);
    if (need & (CX_NEED_CATALOG | CX_NEED_REG))
        cx_run(cx_pass_catalog, 1, stmt, len, &cur, &c);
    return cur;
}

/* ---- retry: jsonb operators DuckDB could not bind ---- */

/* Which operators the retry rewrites (from DuckDB's binder error). */
typedef struct cx_jretry {
    bool contain, minus, minus_num;
} cx_jretry_t;

static void cx_json_retry_pass(const cx_toks_t *k, const cx_jretry_t *r, cx_edits_t *ed)
{
    for (size_t i = 1; i < k->nt; i++) {
        bool contains = cx_op(k, i, "@>"), contained = cx_op(k, i, "<@");
        size_t first, e;
        if (!(((contains || contained) && r->contain) || (cx_op(k, i, "-") && r->minus)) ||
            !cx_binary_operands(k, i, &first, &e))
            continue;
        if (!contains && !contained &&
            !(cx_kind(k, i + 1, SQLT_STRING) || cx_kind(k, i + 1, SQLT_PARAM) ||
              cx_word(k, i + 1, "ARRAY") ||
              (r->minus_num && (cx_kind(k, i + 1, SQLT_NUMBER) || cx_op(k, i + 1, "(")))))
            continue;
        ubuf_t b = UBUF_INIT;
        ubuf_puts(&b, contains || contained ? "duckd_jsonb_contains(" : "duckd_jsonb_delete(");
        cx_put_range(&b, k, contained ? i + 1 : first, contained ? e - 1 : i - 1);
        ubuf_puts(&b, ", ");
        cx_put_range(&b, k, contained ? first : i + 1, contained ? i - 1 : e - 1);
        ubuf_putc(&b, ')');
        cx_edit_buf(ed, cx_start(k, first), cx_end(k, e - 1), &b);
        i = e - 1;
    }
}

char *compat_json_retry(const char *stmt, size_t len, const char *error)
{
    cx_jretry_t r = {(strstr(error, "'@>(") != NULL || strstr(error, "'<@(") != NULL) &&
                         strstr(error, "JSON") != NULL,
                     strstr(error, "'-(JSON") != NULL, strstr(error, "'-(JSON, INTEGER") != NULL};
    char *cur = NULL;
    if (!r.contain && !r.minus)
        return NULL;
    for (int round = 0; round < 3; round++) { /* nested operators: one level per round */
        const char *s = cur ? cur : stmt;
        size_t n = cur ? strlen(cur) : len;
        cx_toks_t k;
        cx_edits_t ed = {NULL, 0, 0, 0};
        if (!cx_scan(&k, s, n))
            break;
        cx_json_retry_pass(&k, &r, &ed);
        char *out = cx_apply(s, n, &ed);
        cx_toks_free(&k);
        if (!out)
            break;
        free(cur);
        cur = out;
    }
    return cur;
}
