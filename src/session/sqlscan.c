/* PostgreSQL-dialect lexer and statement splitter; see sqlscan.h. Every loop is bounded by
 * the input length, and unterminated constructs produce SQLT_ERROR instead of over-reading. */
#include "session/sqlscan.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/xalloc.h"

static bool is_ident_start(unsigned char c) { return isalpha(c) || c == '_' || c >= 0x80; }
static bool is_ident_char(unsigned char c)
{
    return isalnum(c) || c == '_' || c == '$' || c >= 0x80;
}

/* Skips white space and comments; returns false on an unterminated block comment. */
static bool skip_space(const char *s, size_t n, size_t *pos)
{
    size_t i = *pos;
    for (;;) {
        while (i < n && isspace((unsigned char)s[i]))
            i++;
        if (i + 1 < n && s[i] == '-' && s[i + 1] == '-') {
            while (i < n && s[i] != '\n')
                i++;
            continue;
        }
        if (i + 1 < n && s[i] == '/' && s[i + 1] == '*') {
            int depth = 1;
            i += 2;
            while (i < n && depth > 0) {
                if (i + 1 < n && s[i] == '/' && s[i + 1] == '*') {
                    depth++;
                    i += 2;
                } else if (i + 1 < n && s[i] == '*' && s[i + 1] == '/') {
                    depth--;
                    i += 2;
                } else {
                    i++;
                }
            }
            if (depth > 0) {
                *pos = n;
                return false;
            }
            continue;
        }
        break;
    }
    *pos = i;
    return true;
}

/* Scans a quoted run starting at s[i] == q; backslash escapes when `escapes`. Returns the
 * index after the closing quote, or n + 1 when unterminated. */
static size_t scan_quoted(const char *s, size_t n, size_t i, char q, bool escapes)
{
    i++;
    while (i < n) {
        if (escapes && s[i] == '\\' && i + 1 < n) {
            i += 2;
        } else if (s[i] == q) {
            if (i + 1 < n && s[i + 1] == q)
                i += 2; /* doubled quote */
            else
                return i + 1;
        } else {
            i++;
        }
    }
    return n + 1;
}

/* $tag$ ... $tag$ starting at s[i] == '$'. Returns the end index, 0 if this is not a dollar
 * quote opener, or n + 1 when unterminated. */
static size_t scan_dollar(const char *s, size_t n, size_t i)
{
    size_t j = i + 1;
    while (j < n && s[j] != '$' && (is_ident_char((unsigned char)s[j]) && s[j] != '$'))
        j++;
    if (j >= n || s[j] != '$')
        return 0;
    if (j > i + 1 && isdigit((unsigned char)s[i + 1]))
        return 0;
    size_t taglen = j - i + 1;
    for (size_t k = j + 1; k + taglen <= n; k++) {
        if (s[k] == '$' && memcmp(s + k, s + i, taglen) == 0)
            return k + taglen;
    }
    return n + 1;
}

/* Characters PostgreSQL's lexer combines into one operator token (`<=`, `!~*`, `->>`). */
static bool is_op_char(unsigned char c) { return c != 0 && strchr("+-*/<>=~!@#%^&|`?", c) != NULL; }

/* An operator starting at s[i]: the longest run of operator characters that does not start
 * a comment; like PostgreSQL, a multi-character operator cannot end in + or - unless it
 * contains one of ~ ! @ # % ^ & | ` ? (so `=-1` is `=` followed by `-1`). Returns the end. */
static size_t scan_operator(const char *s, size_t n, size_t i)
{
    size_t e = i + 1;
    bool special = false;
    while (e < n && is_op_char((unsigned char)s[e]) &&
           !(s[e] == '-' && e + 1 < n && s[e + 1] == '-') &&
           !(s[e] == '/' && e + 1 < n && s[e + 1] == '*'))
        e++;
    for (size_t k = i; k < e; k++)
        special = special || strchr("~!@#%^&|`?", s[k]) != NULL;
    while (e - i > 1 && !special && (s[e - 1] == '+' || s[e - 1] == '-'))
        e--;
    return e;
}

static sqlt_t tok(sqlt_kind_t kind, size_t start, size_t end)
{
    sqlt_t t = {kind, start, end - start};
    return t;
}

sqlt_t sqlscan_next(const char *s, size_t n, size_t *pos)
{
    size_t i = *pos, e;
    if (!skip_space(s, n, &i))
        return *pos = n, tok(SQLT_ERROR, i, n);
    if (i >= n)
        return *pos = n, tok(SQLT_END, n, n);
    unsigned char c = (unsigned char)s[i];
    if ((c == 'E' || c == 'e') && i + 1 < n && s[i + 1] == '\'') {
        e = scan_quoted(s, n, i + 1, '\'', true);
        return e > n ? (*pos = n, tok(SQLT_ERROR, i, n)) : (*pos = e, tok(SQLT_STRING, i, e));
    }
    if (c == '\'' || c == '"') {
        e = scan_quoted(s, n, i, (char)c, false);
        if (e > n)
            return *pos = n, tok(SQLT_ERROR, i, n);
        return *pos = e, tok(c == '"' ? SQLT_QIDENT : SQLT_STRING, i, e);
    }
    if (c == '$') {
        if (i + 1 < n && isdigit((unsigned char)s[i + 1])) {
            e = i + 1;
            while (e < n && isdigit((unsigned char)s[e]))
                e++;
            return *pos = e, tok(SQLT_PARAM, i, e);
        }
        e = scan_dollar(s, n, i);
        if (e > n)
            return *pos = n, tok(SQLT_ERROR, i, n);
        if (e > 0)
            return *pos = e, tok(SQLT_STRING, i, e);
    }
    if (is_ident_start(c)) {
        e = i + 1;
        while (e < n && is_ident_char((unsigned char)s[e]))
            e++;
        return *pos = e, tok(SQLT_WORD, i, e);
    }
    if (isdigit(c) || (c == '.' && i + 1 < n && isdigit((unsigned char)s[i + 1]))) {
        e = i + 1;
        while (e < n && (isalnum((unsigned char)s[e]) || s[e] == '.' || s[e] == '_'))
            e++;
        return *pos = e, tok(SQLT_NUMBER, i, e);
    }
    if (c == ';')
        return *pos = i + 1, tok(SQLT_SEMI, i, i + 1);
    if (c == ':' && i + 1 < n && s[i + 1] == ':')
        return *pos = i + 2, tok(SQLT_OP, i, i + 2);
    if (is_op_char(c))
        return e = scan_operator(s, n, i), *pos = e, tok(SQLT_OP, i, e);
    return *pos = i + 1, tok(SQLT_OP, i, i + 1);
}

long sqlscan_split(const char *s, size_t n, sql_range_t *out, size_t max)
{
    size_t pos = 0, count = 0;
    size_t first = 0, last = 0;
    bool have = false;
    for (;;) {
        sqlt_t t = sqlscan_next(s, n, &pos);
        if (t.kind == SQLT_ERROR)
            return -1;
        if (t.kind == SQLT_END || t.kind == SQLT_SEMI) {
            if (have) {
                if (count < max) {
                    out[count].start = first;
                    out[count].len = last - first;
                }
                count++;
            }
            have = false;
            if (t.kind == SQLT_END)
                break;
            continue;
        }
        if (!have)
            first = t.start;
        have = true;
        last = t.start + t.len;
    }
    return (long)count;
}

bool sqlscan_is(const char *s, const sqlt_t *t, const char *kw)
{
    size_t n = strlen(kw);
    return t->kind == SQLT_WORD && t->len == n && strncasecmp(s + t->start, kw, n) == 0;
}

bool sqlscan_is_op(const char *s, const sqlt_t *t, const char *op)
{
    size_t n = strlen(op);
    return t->kind == SQLT_OP && t->len == n && memcmp(s + t->start, op, n) == 0;
}

size_t sqlscan_tokens(const char *s, size_t n, sqlt_t *out, size_t max)
{
    size_t pos = 0, count = 0;
    while (count < max) {
        sqlt_t t = sqlscan_next(s, n, &pos);
        if (t.kind == SQLT_END || t.kind == SQLT_ERROR)
            break;
        out[count++] = t;
    }
    return count;
}

/* ---- a whole statement's tokens ---- */

bool sqlscan_toks(sqlscan_toks_t *k, const char *s, size_t n, size_t max)
{
    size_t pos = 0, cap = 64;
    k->s = s;
    k->nt = 0;
    k->t = xmalloc(cap * sizeof *k->t);
    for (;;) {
        sqlt_t t = sqlscan_next(s, n, &pos);
        if (t.kind == SQLT_END)
            return true;
        if (t.kind == SQLT_ERROR || t.kind == SQLT_SEMI || k->nt == max)
            return false;
        if (k->nt == cap) {
            cap *= 2;
            k->t = xrealloc(k->t, cap * sizeof *k->t);
        }
        k->t[k->nt++] = t;
    }
}

void sqlscan_toks_free(sqlscan_toks_t *k)
{
    free(k->t);
    k->t = NULL;
    k->nt = 0;
}

bool sqlscan_tk_kw(const sqlscan_toks_t *k, size_t i, const char *w)
{
    return i < k->nt && sqlscan_is(k->s, &k->t[i], w);
}

bool sqlscan_tk_op(const sqlscan_toks_t *k, size_t i, const char *op)
{
    return i < k->nt && sqlscan_is_op(k->s, &k->t[i], op);
}

bool sqlscan_tk_name(const sqlscan_toks_t *k, size_t i)
{
    return i < k->nt && (k->t[i].kind == SQLT_WORD || k->t[i].kind == SQLT_QIDENT);
}

char *sqlscan_tk_ident(const sqlscan_toks_t *k, size_t i)
{
    const sqlt_t *t = &k->t[i];
    const char *p = k->s + t->start;
    char *out = xmalloc(t->len + 1);
    size_t o = 0;
    if (t->kind == SQLT_QIDENT && t->len >= 2) {
        for (size_t j = 1; j + 1 < t->len; j++) {
            out[o++] = p[j];
            if (p[j] == '"' && p[j + 1] == '"')
                j++;
        }
    } else {
        for (size_t j = 0; j < t->len; j++)
            out[o++] = (char)(p[j] >= 'A' && p[j] <= 'Z' ? p[j] - 'A' + 'a' : p[j]);
    }
    out[o] = '\0';
    return out;
}
