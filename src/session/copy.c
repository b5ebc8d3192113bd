/* COPY ... TO STDOUT / FROM STDIN recognition; see copy.h. The grammar is PostgreSQL 15's:
 *
 *   COPY { table [ ( columns ) ] | ( query ) } TO STDOUT [ [ WITH ] ( option [, ...] ) ]
 *   COPY table [ ( columns ) ] FROM STDIN [ [ WITH ] ( option [, ...] ) ] [ WHERE ... ]
 *   option: FORMAT text|csv|binary, DELIMITER 'c', NULL 's', HEADER [bool], QUOTE 'c',
 *           ESCAPE 'c', ENCODING 'UTF8', FREEZE [bool]
 *
 * plus the pre-9.0 spelling psql and old drivers still send:
 *   ... [ WITH ] [ BINARY ] [ DELIMITER [ AS ] 'c' ] [ NULL [ AS ] 's' ]
 *       [ CSV [ HEADER ] [ QUOTE [ AS ] 'c' ] [ ESCAPE [ AS ] 'c' ] ] */
#include "session/copy.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "session/sqlscan.h"
#include "util/buf.h"
#include "util/xalloc.h"

typedef struct {
    const char *s;
    size_t n, pos;
    sqlt_t t; /* current token */
} lex_t;

static void lex_next(lex_t *l) { l->t = sqlscan_next(l->s, l->n, &l->pos); }
static bool lex_kw(const lex_t *l, const char *w) { return sqlscan_is(l->s, &l->t, w); }
static bool lex_op(const lex_t *l, const char *op) { return sqlscan_is_op(l->s, &l->t, op); }

/* The value of a string literal token ('...' with '' doubled, E'...' with backslash escapes,
 * $tag$...$tag$ verbatim), or a word/number as written. Caller frees. */
static char *lex_value(const lex_t *l)
{
    const char *p = l->s + l->t.start;
    size_t n = l->t.len, i;
    ubuf_t b = UBUF_INIT;
    if (l->t.kind != SQLT_STRING)
        return xstrndup(p, n);
    if (p[0] == '$') { /* $tag$body$tag$ */
        const char *body = memchr(p + 1, '$', n - 1);
        size_t tag = (size_t)(body - p) + 1;
        return xstrndup(p + tag, n - 2 * tag);
    }
    bool esc = p[0] == 'E' || p[0] == 'e';
    if (esc) {
        p++;
        n--;
    }
    for (i = 1; i + 1 < n; i++) {
        char c = p[i];
        if (c == '\'' && p[i + 1] == '\'') {
            ubuf_putc(&b, '\'');
            i++;
        } else if (esc && c == '\\' && i + 2 < n) {
            char e = p[++i];
            switch (e) {
            case 'b': ubuf_putc(&b, '\b'); break;
            case 'f': ubuf_putc(&b, '\f'); break;
            case 'n': ubuf_putc(&b, '\n'); break;
            case 'r': ubuf_putc(&b, '\r'); break;
            case 't': ubuf_putc(&b, '\t'); break;
            case 'v': ubuf_putc(&b, '\v'); break;
            default: ubuf_putc(&b, e); break;
            }
        } else {
            ubuf_putc(&b, c);
        }
    }
    ubuf_cstr(&b);
    return b.data;
}

/* The identifier at the current token (a word as written, a quoted identifier without its
 * quotes and with "" undoubled). Caller frees. */
static char *lex_ident(const lex_t *l)
{
    const char *p = l->s + l->t.start;
    size_t n = l->t.len;
    if (l->t.kind != SQLT_QIDENT)
        return xstrndup(p, n);
    ubuf_t b = UBUF_INIT;
    for (size_t i = 1; i + 1 < n; i++) {
        ubuf_putc(&b, p[i]);
        if (p[i] == '"')
            i++; /* "" stands for one quote */
    }
    ubuf_cstr(&b);
    return b.data;
}

static bool lex_is_ident(const lex_t *l)
{
    return l->t.kind == SQLT_WORD || l->t.kind == SQLT_QIDENT;
}

/* Parses a boolean option value (HEADER / FREEZE); absent value means true. */
static bool opt_bool(const char *v, bool *out)
{
    if (!v || !strcasecmp(v, "true") || !strcasecmp(v, "on") || !strcmp(v, "1")) {
        *out = true;
        return true;
    }
    if (!strcasecmp(v, "false") || !strcasecmp(v, "off") || !strcmp(v, "0")) {
        *out = false;
        return true;
    }
    return false;
}

typedef struct {
    bool have_format, have_delim, have_null, have_header, have_quote, have_escape;
    const char *state, *msg;
} seen_t;

static bool bad(seen_t *z, const char *state, const char *msg)
{
    z->state = state;
    z->msg = msg;
    return false;
}

/* Applies one option (name, value may be NULL). */
static bool apply_option(copy_opts_t *o, seen_t *z, const char *name, const char *value)
{
    if (!strcasecmp(name, "format")) {
        if (z->have_format)
            return bad(z, "42601", "conflicting or redundant options: FORMAT");
        z->have_format = true;
        if (value && !strcasecmp(value, "text"))
            o->format = COPY_FMT_TEXT;
        else if (value && !strcasecmp(value, "csv"))
            o->format = COPY_FMT_CSV;
        else if (value && !strcasecmp(value, "binary"))
            o->format = COPY_FMT_BINARY;
        else
            return bad(z, "22023", "COPY format must be text, csv or binary");
        return true;
    }
    if (!strcasecmp(name, "delimiter") || !strcasecmp(name, "quote") ||
        !strcasecmp(name, "escape")) {
        bool *have = name[0] == 'd' || name[0] == 'D'   ? &z->have_delim
                     : name[0] == 'q' || name[0] == 'Q' ? &z->have_quote
                                                        : &z->have_escape;
        char *dst = have == &z->have_delim   ? &o->delim
                    : have == &z->have_quote ? &o->quote
                                             : &o->escape;
        if (*have)
            return bad(z, "42601", "conflicting or redundant COPY options");
        if (!value || strlen(value) != 1 || (unsigned char)value[0] >= 0x80)
            return bad(z, "0A000",
                       "COPY delimiter, quote and escape must be a single one-byte character");
        *have = true;
        *dst = value[0];
        return true;
    }
    if (!strcasecmp(name, "null")) {
        if (z->have_null)
            return bad(z, "42601", "conflicting or redundant options: NULL");
        if (!value)
            return bad(z, "42601", "COPY NULL needs a string");
        z->have_null = true;
        free(o->null_str);
        o->null_str = xstrdup(value);
        return true;
    }
    if (!strcasecmp(name, "header")) {
        if (z->have_header)
            return bad(z, "42601", "conflicting or redundant options: HEADER");
        z->have_header = true;
        if (!opt_bool(value, &o->header))
            return bad(z, "22023", "HEADER requires a Boolean value");
        return true;
    }
    if (!strcasecmp(name, "freeze")) {
        bool ignored;
        if (!opt_bool(value, &ignored))
            return bad(z, "22023", "FREEZE requires a Boolean value");
        return true;
    }
    if (!strcasecmp(name, "encoding")) {
        if (!value || (strcasecmp(value, "UTF8") && strcasecmp(value, "UTF-8")))
            return bad(z, "0A000", "COPY supports only ENCODING 'UTF8'");
        return true;
    }
    if (!strcasecmp(name, "force_quote") || !strcasecmp(name, "force_not_null") ||
        !strcasecmp(name, "force_null"))
        return bad(z, "0A000", "COPY FORCE_QUOTE, FORCE_NOT_NULL and FORCE_NULL are not supported");
    return bad(z, "42601", "COPY option not recognized");
}

/* Checks the combination and fills in the defaults that depend on the format. */
static bool finish_options(copy_opts_t *o, seen_t *z)
{
    if (o->format == COPY_FMT_BINARY &&
        (z->have_delim || z->have_null || z->have_header || z->have_quote || z->have_escape))
        return bad(z, "42601",
                   "cannot specify DELIMITER, NULL, HEADER, QUOTE or ESCAPE in "
                   "BINARY mode");
    if (o->format != COPY_FMT_CSV && (z->have_quote || z->have_escape))
        return bad(z, "0A000", "COPY QUOTE and ESCAPE are available only in CSV mode");
    if (!z->have_delim)
        o->delim = o->format == COPY_FMT_CSV ? ',' : '\t';
    if (!z->have_null)
        o->null_str = xstrdup(o->format == COPY_FMT_CSV ? "" : "\\N");
    if (!z->have_quote)
        o->quote = '"';
    if (!z->have_escape)
        o->escape = o->quote;
    if (o->delim == '\r' || o->delim == '\n' || (o->format == COPY_FMT_TEXT && o->delim == '\\'))
        return bad(z, "22023", "COPY delimiter cannot be newline, carriage return or backslash");
    if (strchr(o->null_str, '\r') || strchr(o->null_str, '\n'))
        return bad(z, "22023", "COPY null representation cannot use newline or carriage return");
    if (o->format == COPY_FMT_CSV && o->delim == o->quote)
        return bad(z, "22023", "COPY delimiter and quote must be different");
    return true;
}

/* Parses the option part after STDOUT / STDIN. */
static bool parse_options(lex_t *l, copy_opts_t *o, seen_t *z)
{
    if (lex_kw(l, "WITH"))
        lex_next(l);
    if (lex_op(l, "(")) { /* ( name [value] [, ...] ) */
        lex_next(l);
        while (!lex_op(l, ")")) {
            if (l->t.kind != SQLT_WORD)
                return bad(z, "42601", "syntax error in COPY options");
            char *name = xstrndup(l->s + l->t.start, l->t.len), *value = NULL;
            if (!strncasecmp(name, "force_", 6)) { /* its value may be a list or '*' */
                free(name);
                return bad(z, "0A000",
                           "COPY FORCE_QUOTE, FORCE_NOT_NULL and FORCE_NULL are not supported");
            }
            lex_next(l);
            if (!lex_op(l, ",") && !lex_op(l, ")")) {
                if (l->t.kind == SQLT_END || l->t.kind == SQLT_ERROR || l->t.kind == SQLT_OP) {
                    free(name);
                    return bad(z, "42601", "syntax error in COPY options");
                }
                value = lex_value(l);
                lex_next(l);
            }
            bool ok = apply_option(o, z, name, value);
            free(name);
            free(value);
            if (!ok)
                return false;
            if (lex_op(l, ","))
                lex_next(l);
            else if (!lex_op(l, ")"))
                return bad(z, "42601", "syntax error in COPY options");
        }
        lex_next(l);
    } else { /* the pre-9.0 keywords */
        for (;;) {
            const char *name = NULL;
            bool takes_value = true;
            if (lex_kw(l, "BINARY") || lex_kw(l, "CSV")) {
                if (!apply_option(o, z, "format", lex_kw(l, "CSV") ? "csv" : "binary"))
                    return false;
                lex_next(l);
                continue;
            }
            if (lex_kw(l, "HEADER"))
                name = "header", takes_value = false;
            else if (lex_kw(l, "DELIMITER"))
                name = "delimiter";
            else if (lex_kw(l, "NULL"))
                name = "null";
            else if (lex_kw(l, "QUOTE"))
                name = "quote";
            else if (lex_kw(l, "ESCAPE"))
                name = "escape";
            else if (lex_kw(l, "FORCE"))
                return bad(z, "0A000", "COPY FORCE QUOTE / FORCE NOT NULL are not supported");
            else
                break;
            lex_next(l);
            char *value = NULL;
            if (takes_value) {
                if (lex_kw(l, "AS"))
                    lex_next(l);
                if (l->t.kind != SQLT_STRING)
                    return bad(z, "42601", "syntax error in COPY options: a string is expected");
                value = lex_value(l);
                lex_next(l);
            }
            bool ok = apply_option(o, z, name, value);
            free(value);
            if (!ok)
                return false;
        }
    }
    return true;
}

copy_parse_rc_t copy_parse(const char *stmt, size_t len, copy_opts_t *o, const char **sqlstate,
                           const char **message)
{
    lex_t l = {stmt, len, 0, {0}};
    seen_t z = {0};
    size_t q0 = 0, q1 = 0, t0 = 0, t1 = 0, c0 = 0, c1 = 0;
    bool paren_query = false, columns_plain = true;

    memset(o, 0, sizeof *o);
    lex_next(&l);
    if (!lex_kw(&l, "COPY"))
        return COPY_NOT_CLIENT;
    lex_next(&l);
    if (lex_op(&l, "(")) { /* ( query ) */
        int depth = 1;
        paren_query = true;
        q0 = l.pos;
        while (depth > 0) {
            lex_next(&l);
            if (l.t.kind == SQLT_END || l.t.kind == SQLT_ERROR)
                return COPY_NOT_CLIENT; /* DuckDB reports the syntax error */
            if (lex_op(&l, "("))
                depth++;
            else if (lex_op(&l, ")"))
                depth--;
        }
        q1 = l.t.start;
        lex_next(&l);
    } else { /* table [ ( columns ) ] */
        if (!lex_is_ident(&l))
            return COPY_NOT_CLIENT;
        t0 = l.t.start;
        for (;;) {
            if (o->nname == 3)
                goto not_client; /* a.b.c.d: DuckDB reports it */
            o->name[o->nname++] = lex_ident(&l);
            t1 = l.t.start + l.t.len;
            lex_next(&l);
            if (!lex_op(&l, "."))
                break;
            lex_next(&l);
            if (!lex_is_ident(&l))
                goto not_client;
        }
        if (lex_op(&l, "(")) {
            c0 = l.pos;
            lex_next(&l);
            while (!lex_op(&l, ")")) {
                if (l.t.kind == SQLT_END || l.t.kind == SQLT_ERROR || lex_op(&l, "("))
                    goto not_client;
                if (lex_is_ident(&l)) {
                    o->cols = xrealloc(o->cols, (o->ncols + 1) * sizeof *o->cols);
                    o->cols[o->ncols++] = lex_ident(&l);
                } else if (!lex_op(&l, ",")) {
                    columns_plain = false;
                }
                lex_next(&l);
            }
            c1 = l.t.start;
            lex_next(&l);
        }
    }
    if (lex_kw(&l, "TO")) {
        lex_next(&l);
        if (!lex_kw(&l, "STDOUT"))
            goto not_client;
        o->to_stdout = true;
    } else if (lex_kw(&l, "FROM")) {
        lex_next(&l);
        if (!lex_kw(&l, "STDIN"))
            goto not_client;
        if (paren_query) {
            z.state = "42601";
            z.msg = "COPY (query) FROM STDIN is not valid: COPY FROM needs a table";
            goto bad;
        }
        if (!columns_plain) {
            z.state = "42601";
            z.msg = "syntax error in the column list of COPY FROM STDIN";
            goto bad;
        }
    } else {
        goto not_client;
    }
    lex_next(&l);
    if (!parse_options(&l, o, &z) || !finish_options(o, &z))
        goto bad;
    if (!o->to_stdout && lex_kw(&l, "WHERE")) {
        z.state = "0A000";
        z.msg = "COPY FROM STDIN with a WHERE clause is not supported";
        goto bad;
    }
    if (l.t.kind != SQLT_END) {
        z.state = "42601";
        z.msg = "syntax error in COPY statement";
        goto bad;
    }
    if (paren_query) {
        o->query = xstrndup(stmt + q0, q1 - q0);
    } else {
        ubuf_t b = UBUF_INIT;
        o->table = xstrndup(stmt + t0, t1 - t0);
        if (c1 > c0)
            o->columns = xstrndup(stmt + c0, c1 - c0);
        ubuf_printf(&b, "SELECT %s FROM %s", o->columns && o->to_stdout ? o->columns : "*",
                    o->table);
        ubuf_cstr(&b);
        o->query = b.data;
    }
    return COPY_OK;
bad:
    *sqlstate = z.state ? z.state : "42601";
    *message = z.msg ? z.msg : "syntax error in COPY statement";
    copy_opts_free(o);
    return COPY_BAD;
not_client:
    copy_opts_free(o);
    return COPY_NOT_CLIENT;
}

void copy_opts_free(copy_opts_t *o)
{
    for (size_t i = 0; i < o->nname; i++)
        free(o->name[i]);
    for (size_t i = 0; i < o->ncols; i++)
        free(o->cols[i]);
    free(o->cols);
    free(o->query);
    free(o->table);
    free(o->columns);
    free(o->null_str);
    memset(o, 0, sizeof *o);
}
