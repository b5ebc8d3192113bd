/* The INSERT shapes group commit coalesces; see fastins.h. One pass over sqlscan's tokens. */
#include "session/fastins.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "session/sqlscan.h"
#include "util/buf.h"
#include "util/xalloc.h"

typedef struct {
    const char *s;
    size_t n, pos;
    sqlt_t t; /* the current token */
} fi_lex_t;

static void fi_next(fi_lex_t *x) { x->t = sqlscan_next(x->s, x->n, &x->pos); }

static bool fi_op(const fi_lex_t *x, const char *op)
{
    return x->t.kind == SQLT_OP && sqlscan_is_op(x->s, &x->t, op);
}

/* Words that end a name or start a clause: never taken as a name. */
static bool fi_reserved(const fi_lex_t *x)
{
    static const char *const kw[] = {"values", "default",   "select", "by",         "or",
                                     "on",     "returning", "as",     "overriding", "with"};
    for (size_t i = 0; i < sizeof kw / sizeof kw[0]; i++)
        if (sqlscan_is(x->s, &x->t, kw[i]))
            return true;
    return false;
}

/* An identifier (word or "quoted", quotes undone) into a new string, or NULL. */
static char *fi_ident(fi_lex_t *x)
{
    const char *p = x->s + x->t.start;
    if (x->t.kind == SQLT_WORD && !fi_reserved(x))
        return xstrndup(p, x->t.len);
    if (x->t.kind != SQLT_QIDENT || x->t.len < 3)
        return NULL;
    ubuf_t b = UBUF_INIT;
    for (size_t i = 1; i + 1 < x->t.len; i++) {
        ubuf_putc(&b, p[i]);
        if (p[i] == '"')
            i++; /* "" -> " */
    }
    ubuf_cstr(&b);
    return b.data;
}

/* One value of a VALUES row. */
static bool fi_value(fi_lex_t *x, ubuf_t *bytes, fastins_val_t *v)
{
    const char *p = x->s + x->t.start;
    memset(v, 0, sizeof *v);
    if (x->t.kind == SQLT_STRING) {
        if (p[0] != '\'')
            return false; /* E'...', $$...$$: the ordinary way */
        v->kind = FASTINS_STRING;
        v->off = bytes->len;
        for (size_t i = 1; i + 1 < x->t.len; i++) {
            ubuf_putc(bytes, p[i]);
            if (p[i] == '\'')
                i++;
        }
        v->len = bytes->len - v->off;
        return true;
    }
    if (x->t.kind == SQLT_PARAM) {
        long k = 0; /* the token's digits only: the text need not end after it */
        for (size_t i = 1; i < x->t.len && k <= 65535; i++) {
            if (p[i] < '0' || p[i] > '9')
                return false;
            k = k * 10 + (p[i] - '0');
        }
        if (k < 1 || k > 65535)
            return false;
        v->kind = FASTINS_PARAM;
        v->param = (uint32_t)k;
        return true;
    }
    if (x->t.kind == SQLT_WORD) {
        if (sqlscan_is(x->s, &x->t, "null"))
            v->kind = FASTINS_NULL;
        else if (sqlscan_is(x->s, &x->t, "true"))
            v->kind = FASTINS_TRUE;
        else if (sqlscan_is(x->s, &x->t, "false"))
            v->kind = FASTINS_FALSE;
        else
            return false;
        return true;
    }
    v->off = bytes->len;
    if (fi_op(x, "-") || fi_op(x, "+")) {
        ubuf_putc(bytes, p[0]);
        fi_next(x);
        p = x->s + x->t.start;
    }
    if (x->t.kind != SQLT_NUMBER)
        return false;
    ubuf_append(bytes, p, x->t.len);
    v->kind = FASTINS_NUMBER;
    v->len = bytes->len - v->off;
    return true;
}

/* (v, v, ...): appends the values; *width is set by the first row and checked after. */
static bool fi_row(fi_lex_t *x, ubuf_t *vals, ubuf_t *bytes, size_t *width, size_t max)
{
    size_t n = 0;
    if (!fi_op(x, "("))
        return false;
    for (;;) {
        fastins_val_t v;
        fi_next(x);
        if (vals->len / sizeof v >= max || !fi_value(x, bytes, &v))
            return false;
        ubuf_append(vals, &v, sizeof v);
        n++;
        fi_next(x);
        if (fi_op(x, ")"))
            break;
        if (!fi_op(x, ","))
            return false;
    }
    if (*width && n != *width)
        return false;
    *width = n;
    fi_next(x);
    return true;
}

bool fastins_parse(const char *sql, size_t len, size_t max_values, fastins_t *out)
{
    fi_lex_t x = {sql, len, 0, {0}};
    fastins_t f;
    ubuf_t vals = UBUF_INIT, bytes = UBUF_INIT;
    bool ok = false;

    memset(&f, 0, sizeof f);
    fi_next(&x);
    if (!sqlscan_is(sql, &x.t, "insert"))
        goto out;
    fi_next(&x);
    if (!sqlscan_is(sql, &x.t, "into"))
        goto out;
    for (;;) { /* name */
        fi_next(&x);
        if (f.nname == 3 || !(f.name[f.nname] = fi_ident(&x)))
            goto out;
        f.nname++;
        fi_next(&x);
        if (!fi_op(&x, "."))
            break;
    }
    if (fi_op(&x, "(")) {
        for (;;) {
            char *c;
            fi_next(&x);
            if (!(c = fi_ident(&x)))
                goto out;
            f.cols = xrealloc(f.cols, (f.ncols + 1) * sizeof *f.cols);
            f.cols[f.ncols++] = c;
            fi_next(&x);
            if (fi_op(&x, ")"))
                break;
            if (!fi_op(&x, ","))
                goto out;
        }
        fi_next(&x);
    }
    if (!sqlscan_is(sql, &x.t, "values"))
        goto out;
    fi_next(&x);
    for (;;) {
        if (!fi_row(&x, &vals, &bytes, &f.width, max_values))
            goto out;
        f.nrows++;
        if (!fi_op(&x, ","))
            break;
        fi_next(&x);
    }
    if (x.t.kind == SQLT_SEMI)
        fi_next(&x);
    if (x.t.kind != SQLT_END || (f.ncols && f.ncols != f.width))
        goto out;
    f.vals = (fastins_val_t *)vals.data;
    vals = (ubuf_t)UBUF_INIT;
    ubuf_cstr(&bytes);
    f.bytes = bytes.data;
    bytes = (ubuf_t)UBUF_INIT;
    for (size_t i = 0; i < f.nrows * f.width; i++)
        if (f.vals[i].kind == FASTINS_PARAM && f.vals[i].param > f.max_param)
            f.max_param = f.vals[i].param;
    *out = f;
    ok = true;
out:
    if (!ok)
        fastins_free(&f);
    ubuf_free(&vals);
    ubuf_free(&bytes);
    return ok;
}

static bool fi_plain_name(const char *n)
{
    static const char *const words[] = {
        "any",          "all",          "some",         "operator",       "collate",
        "current_user", "session_user", "current_role", "json_structure", "json_deserialize_sql",
        "public"};
    if (strncasecmp(n, "pg_", 3) == 0)
        return false;
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strcasecmp(n, words[i]) == 0)
            return false;
    return true;
}

bool fastins_plain(const fastins_t *f)
{
    for (size_t i = 0; i < f->nname; i++)
        if (!fi_plain_name(f->name[i]))
            return false;
    for (size_t i = 0; i < f->ncols; i++)
        if (!fi_plain_name(f->cols[i]))
            return false;
    return true;
}

void fastins_free(fastins_t *f)
{
    for (size_t i = 0; i < f->nname; i++)
        free(f->name[i]);
    for (size_t i = 0; i < f->ncols; i++)
        free(f->cols[i]);
    free(f->cols);
    free(f->vals);
    free(f->bytes);
    memset(f, 0, sizeof *f);
}
