/* The grammar of DECLARE / FETCH / MOVE / CLOSE (see cursor_sql.h), on sqlscan's tokens. */
#include "session/cursor_sql.h"

#include <stdlib.h>
#include <string.h>

#include "session/sqlscan.h"
#include "util/xalloc.h"

/* PostgreSQL truncates identifiers to NAMEDATALEN - 1 bytes. */
#define CSQL_NAME_MAX 63
/* More tokens than any cursor statement but DECLARE's query needs. */
#define CSQL_MAX_TOKENS 16

typedef struct {
    const char *s;
    sqlt_t t[CSQL_MAX_TOKENS];
    size_t nt; /* tokens scanned (at most CSQL_MAX_TOKENS) */
    size_t i;  /* the next token */
} csql_toks_t;

static bool csql_kw(const csql_toks_t *k, const char *word)
{
    return k->i < k->nt && sqlscan_is(k->s, &k->t[k->i], word);
}

static bool csql_accept(csql_toks_t *k, const char *word)
{
    if (!csql_kw(k, word))
        return false;
    k->i++;
    return true;
}

/* A name (identifier or quoted identifier) at the next token: a copy, folded to lower case
 * unless quoted, "" unescaped, truncated to 63 bytes; NULL when the token is no name. */
static char *csql_name(csql_toks_t *k)
{
    if (k->i >= k->nt)
        return NULL;
    const sqlt_t *t = &k->t[k->i];
    const char *p = k->s + t->start;
    char *out = xmalloc(t->len + 1);
    size_t n = 0;
    if (t->kind == SQLT_WORD) {
        for (size_t j = 0; j < t->len; j++)
            out[n++] = (char)(p[j] >= 'A' && p[j] <= 'Z' ? p[j] + 32 : p[j]);
    } else if (t->kind == SQLT_QIDENT && t->len >= 2) {
        for (size_t j = 1; j + 1 < t->len; j++) {
            out[n++] = p[j];
            if (p[j] == '"')
                j++; /* "" is one quote */
        }
    } else {
        free(out);
        return NULL;
    }
    if (n > CSQL_NAME_MAX)
        n = CSQL_NAME_MAX;
    out[n] = '\0';
    k->i++;
    return out;
}

/* An integer constant with an optional sign (gram.y's SignedIconst: it fits an int4).
 * Returns true and advances when there is one. */
static bool csql_signed_int(csql_toks_t *k, int64_t *out, bool *bad)
{
    size_t i = k->i;
    int64_t sign = 1, v = 0;
    if (i < k->nt && k->t[i].kind == SQLT_OP && k->t[i].len == 1 &&
        (k->s[k->t[i].start] == '-' || k->s[k->t[i].start] == '+')) {
        sign = k->s[k->t[i].start] == '-' ? -1 : 1;
        i++;
    }
    if (i >= k->nt || k->t[i].kind != SQLT_NUMBER)
        return false;
    const char *p = k->s + k->t[i].start;
    for (size_t j = 0; j < k->t[i].len; j++) {
        if (p[j] < '0' || p[j] > '9' || v > 2147483648LL) {
            *bad = true; /* a float or an out-of-range number: PostgreSQL's syntax error */
            return false;
        }
        v = v * 10 + (p[j] - '0');
    }
    if (v > 2147483648LL || (sign > 0 && v > 2147483647LL)) {
        *bad = true;
        return false;
    }
    *out = sign * v;
    k->i = i + 1;
    return true;
}

static int csql_syntax(const char **sqlstate, const char **message, const char *msg)
{
    *sqlstate = "42601";
    *message = msg;
    return -1;
}

/* DECLARE name [options] CURSOR [{WITH|WITHOUT} HOLD] FOR query */
static int csql_declare(csql_toks_t *k, csql_t *out, const char **sqlstate, const char **message)
{
    bool sens = false, insens = false;
    out->kind = CSQL_DECLARE;
    if (!(out->name = csql_name(k)))
        return csql_syntax(sqlstate, message, "syntax error in DECLARE: cursor name expected");
    for (;;) {
        if (csql_accept(k, "BINARY"))
            out->binary = true;
        else if (csql_accept(k, "ASENSITIVE"))
            sens = true;
        else if (csql_accept(k, "INSENSITIVE"))
            insens = true;
        else if (csql_accept(k, "SCROLL"))
            out->scroll = true;
        else if (csql_kw(k, "NO") && k->i + 1 < k->nt &&
                 sqlscan_is(k->s, &k->t[k->i + 1], "SCROLL"))
            out->no_scroll = true, k->i += 2;
        else
            break;
    }
    if (!csql_accept(k, "CURSOR"))
        return csql_syntax(sqlstate, message, "syntax error in DECLARE: CURSOR expected");
    if (csql_accept(k, "WITH") || csql_accept(k, "WITHOUT")) {
        out->hold = sqlscan_is(k->s, &k->t[k->i - 1], "WITH");
        if (!csql_accept(k, "HOLD"))
            return csql_syntax(sqlstate, message, "syntax error in DECLARE: HOLD expected");
    }
    if (!csql_accept(k, "FOR") || k->i >= k->nt)
        return csql_syntax(sqlstate, message, "syntax error in DECLARE: FOR query expected");
    if (out->scroll && out->no_scroll) {
        *sqlstate = "42P11";
        *message = "cannot specify both SCROLL and NO SCROLL";
        return -1;
    }
    if (sens && insens) {
        *sqlstate = "42P11";
        *message = "cannot specify both INSENSITIVE and ASENSITIVE";
        return -1;
    }
    out->query_off = k->t[k->i].start;
    return 1;
}

/* FETCH / MOVE [direction] [FROM | IN] name */
static int csql_fetch(csql_toks_t *k, csql_t *out, const char **sqlstate, const char **message)
{
    static const char *const bad = "syntax error in FETCH/MOVE";
    bool num_bad = false;
    out->dir = CSQL_FORWARD;
    out->count = 1;
    if (k->nt - k->i <= 1) {
        /* just the name: a lone unreserved keyword (NEXT, FORWARD, ...) names a cursor, but
         * ALL, FROM and IN are reserved */
        if (csql_kw(k, "ALL") || csql_kw(k, "FROM") || csql_kw(k, "IN"))
            return csql_syntax(sqlstate, message, bad);
    } else if (csql_accept(k, "NEXT")) {
    } else if (csql_accept(k, "PRIOR")) {
        out->dir = CSQL_BACKWARD;
    } else if (csql_accept(k, "FIRST")) {
        out->dir = CSQL_ABSOLUTE;
    } else if (csql_accept(k, "LAST")) {
        out->dir = CSQL_ABSOLUTE;
        out->count = -1;
    } else if (csql_kw(k, "ABSOLUTE") || csql_kw(k, "RELATIVE")) {
        out->dir = csql_kw(k, "ABSOLUTE") ? CSQL_ABSOLUTE : CSQL_RELATIVE;
        k->i++;
        if (!csql_signed_int(k, &out->count, &num_bad))
            return csql_syntax(sqlstate, message, bad);
    } else if (csql_accept(k, "ALL")) {
        out->count = CSQL_ALL;
    } else if (csql_kw(k, "FORWARD") || csql_kw(k, "BACKWARD")) {
        out->dir = csql_kw(k, "FORWARD") ? CSQL_FORWARD : CSQL_BACKWARD;
        k->i++;
        if (csql_accept(k, "ALL"))
            out->count = CSQL_ALL;
        else if (!csql_signed_int(k, &out->count, &num_bad) && num_bad)
            return csql_syntax(sqlstate, message, bad);
    } else if (!csql_signed_int(k, &out->count, &num_bad) && num_bad) {
        return csql_syntax(sqlstate, message, bad);
    }
    if (!csql_accept(k, "FROM"))
        (void)csql_accept(k, "IN");
    if (!(out->name = csql_name(k)))
        return csql_syntax(sqlstate, message, bad);
    return 1;
}

int csql_parse(const char *sql, size_t len, csql_t *out, const char **sqlstate,
               const char **message)
{
    csql_toks_t k = {.s = sql};
    int rc;
    memset(out, 0, sizeof *out);
    k.nt = sqlscan_tokens(sql, len, k.t, CSQL_MAX_TOKENS);
    if (k.nt == 0 || k.t[0].kind != SQLT_WORD)
        return 0;
    k.i = 1;
    if (sqlscan_is(sql, &k.t[0], "DECLARE")) {
        rc = csql_declare(&k, out, sqlstate, message);
        k.i = k.nt; /* the query follows */
    } else if (sqlscan_is(sql, &k.t[0], "FETCH") || sqlscan_is(sql, &k.t[0], "MOVE")) {
        out->kind = sqlscan_is(sql, &k.t[0], "FETCH") ? CSQL_FETCH : CSQL_MOVE;
        rc = csql_fetch(&k, out, sqlstate, message);
    } else if (sqlscan_is(sql, &k.t[0], "CLOSE")) {
        out->kind = CSQL_CLOSE;
        rc = 1;
        if (!csql_accept(&k, "ALL") && !(out->name = csql_name(&k)))
            rc = csql_syntax(sqlstate, message, "syntax error in CLOSE: cursor name expected");
    } else {
        return 0;
    }
    if (rc == 1 && (k.i < k.nt || k.nt == CSQL_MAX_TOKENS) && out->kind != CSQL_DECLARE)
        rc = csql_syntax(sqlstate, message, "syntax error at end of cursor statement");
    if (rc == 1 && k.nt < CSQL_MAX_TOKENS) {
        size_t pos = k.nt ? k.t[k.nt - 1].start + k.t[k.nt - 1].len : 0;
        if (out->kind != CSQL_DECLARE && sqlscan_next(sql, len, &pos).kind == SQLT_ERROR)
            rc = csql_syntax(sqlstate, message, "unterminated quoted string or comment");
    }
    if (rc != 1)
        csql_free(out);
    return rc;
}

void csql_free(csql_t *c)
{
    free(c->name);
    c->name = NULL;
}
