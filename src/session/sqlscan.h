/* sqlscan: a small PostgreSQL-dialect lexer used to split a query string into statements
 * and to recognise the statements duckd handles itself (transaction control, SET/SHOW of
 * PostgreSQL-only parameters). It understands quoting ('...', E'...', "...", $tag$...$tag$)
 * and comments (-- and nested slash-star) so that semicolons or keywords inside them are never
 * mistaken for statement structure. Pure functions over borrowed text; no allocation except
 * the caller-owned output arrays. */
#ifndef DUCKD_SESSION_SQLSCAN_H
#define DUCKD_SESSION_SQLSCAN_H

#include <stdbool.h>
#include <stddef.h>

typedef enum {
    SQLT_END = 0,
    SQLT_WORD,   /* identifier or keyword (unquoted) */
    SQLT_QIDENT, /* "quoted identifier" */
    SQLT_STRING, /* '...', E'...', $$...$$ */
    SQLT_NUMBER,
    SQLT_PARAM, /* $1 */
    SQLT_SEMI,  /* ; */
    SQLT_OP,    /* punctuation ( ) [ ] , . : (one character each), `::`, or an operator
                   run as PostgreSQL lexes it (`=`, `<>`, `!~*`, `->>`) */
    SQLT_ERROR  /* unterminated quote or comment */
} sqlt_kind_t;

typedef struct sqlt {
    sqlt_kind_t kind;
    size_t start; /* byte offset of the token in the input */
    size_t len;
} sqlt_t;

/* Scans the token starting at or after *pos (skipping white space and comments) and advances
 * *pos past it. At the end of input returns a SQLT_END token. */
sqlt_t sqlscan_next(const char *s, size_t n, size_t *pos);

/* Scans the first tokens of s[0..n) into out, at most max, stopping at the end or at an
 * unterminated quote or comment; returns how many were scanned. */
size_t sqlscan_tokens(const char *s, size_t n, sqlt_t *out, size_t max);

/* One statement's byte range inside the query string. */
typedef struct sql_range {
    size_t start;
    size_t len;
} sql_range_t;

/* Splits s[0..n) at top-level semicolons. Statements that are empty (only white space and
 * comments) are dropped. Writes up to `max` ranges and returns how many statements there are
 * (which may exceed max), or -1 on an unterminated quote/comment. */
long sqlscan_split(const char *s, size_t n, sql_range_t *out, size_t max);

/* True when the token is a WORD equal to kw ignoring ASCII case. */
bool sqlscan_is(const char *s, const sqlt_t *t, const char *kw);
/* True when the token is the operator or punctuation `op` exactly (e.g. "(", "::", "~"). */
bool sqlscan_is_op(const char *s, const sqlt_t *t, const char *op);

/* A whole statement's tokens, for the dialect layer's parsers (compat_alter, compat_serial,
 * compat_groupby). */
typedef struct sqlscan_toks {
    const char *s; /* borrowed text */
    sqlt_t *t;     /* owned */
    size_t nt;
} sqlscan_toks_t;

/* Scans all of s[0..n) into k. False (k still to be freed) on an unterminated quote or
 * comment, a semicolon, or more than max tokens. */
bool sqlscan_toks(sqlscan_toks_t *k, const char *s, size_t n, size_t max);
void sqlscan_toks_free(sqlscan_toks_t *k);
/* Token i is the keyword w / the operator op / a name (unquoted or quoted); false past the
 * end. */
bool sqlscan_tk_kw(const sqlscan_toks_t *k, size_t i, const char *w);
bool sqlscan_tk_op(const sqlscan_toks_t *k, size_t i, const char *op);
bool sqlscan_tk_name(const sqlscan_toks_t *k, size_t i);
/* The name token's value as PostgreSQL sees it: unquoted folded to lower case, quoted with its
 * doubled quotes undone. Caller frees. */
char *sqlscan_tk_ident(const sqlscan_toks_t *k, size_t i);

#endif
