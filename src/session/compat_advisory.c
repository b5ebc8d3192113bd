/* PostgreSQL's advisory lock functions, recognised where the session can answer them: a
 * statement that is only `SELECT fn(args) [[AS] alias]`. See compat_advisory in compat.h. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "session/compat.h"
#include "session/sqlscan.h"
#include "util/buf.h"
#include "util/xalloc.h"

/* The most tokens a statement recognised as an advisory lock call may have (its arguments
 * may be expressions such as hashtext('...')). */
#define CADV_MAX_TOKENS 4096

typedef struct cadv_fn {
    const char *name;
    compat_adv_op_t op;
    bool shared, xact;
} cadv_fn_t;

static const cadv_fn_t cadv_fns[] = {
    {"pg_advisory_lock", COMPAT_ADV_LOCK, false, false},
    {"pg_advisory_lock_shared", COMPAT_ADV_LOCK, true, false},
    {"pg_try_advisory_lock", COMPAT_ADV_TRY, false, false},
    {"pg_try_advisory_lock_shared", COMPAT_ADV_TRY, true, false},
    {"pg_advisory_unlock", COMPAT_ADV_UNLOCK, false, false},
    {"pg_advisory_unlock_shared", COMPAT_ADV_UNLOCK, true, false},
    {"pg_advisory_unlock_all", COMPAT_ADV_UNLOCK_ALL, false, false},
    {"pg_advisory_xact_lock", COMPAT_ADV_LOCK, false, true},
    {"pg_advisory_xact_lock_shared", COMPAT_ADV_LOCK, true, true},
    {"pg_try_advisory_xact_lock", COMPAT_ADV_TRY, false, true},
    {"pg_try_advisory_xact_lock_shared", COMPAT_ADV_TRY, true, true},
};

/* The advisory function token i names (unquoted or quoted), or NULL. */
static const cadv_fn_t *cadv_fn_at(const sqlscan_toks_t *k, size_t i)
{
    const cadv_fn_t *found = NULL;
    if (!sqlscan_tk_name(k, i))
        return NULL;
    char *name = sqlscan_tk_ident(k, i);
    for (size_t f = 0; f < sizeof cadv_fns / sizeof cadv_fns[0] && !found; f++)
        if (strcmp(name, cadv_fns[f].name) == 0)
            found = &cadv_fns[f];
    free(name);
    return found;
}

/* Whether s[0..n) holds "advisory" in any case (the cheap test before scanning tokens). */
static bool cadv_mentions(const char *s, size_t n)
{
    for (size_t i = 0; i + 8 <= n; i++)
        if ((s[i] == 'a' || s[i] == 'A') && strncasecmp(s + i, "advisory", 8) == 0)
            return true;
    return false;
}

/* An integer literal argument tokens [a, b): NUMBER or - NUMBER, digits only. */
static bool cadv_literal(const sqlscan_toks_t *k, size_t a, size_t b, int64_t *v)
{
    bool neg = b - a == 2 && sqlscan_tk_op(k, a, "-");
    if (b - a != 1 + (size_t)neg || k->t[b - 1].kind != SQLT_NUMBER)
        return false;
    const sqlt_t *t = &k->t[b - 1];
    char buf[32];
    if (t->len >= sizeof buf - 1)
        return false;
    for (size_t i = 0; i < t->len; i++)
        if (k->s[t->start + i] < '0' || k->s[t->start + i] > '9')
            return false;
    buf[0] = '-';
    memcpy(buf + 1, k->s + t->start, t->len);
    buf[t->len + 1] = '\0';
    errno = 0;
    long long x = strtoll(neg ? buf : buf + 1, NULL, 10);
    if (errno != 0)
        return false;
    *v = (int64_t)x;
    return true;
}

static bool cadv_buried(const sqlscan_toks_t *k, compat_t *out)
{
    for (size_t i = 0; i + 1 < k->nt; i++) {
        const cadv_fn_t *f = sqlscan_tk_op(k, i + 1, "(") ? cadv_fn_at(k, i) : NULL;
        if (!f || (i > 0 && sqlscan_tk_op(k, i - 1, ".") &&
                   !(i > 1 && sqlscan_tk_kw(k, i - 2, "pg_catalog"))))
            continue;
        out->action = COMPAT_ERROR;
        out->sqlstate = "0A000";
        out->message = "advisory lock functions are only supported as a statement of their own "
                       "(SELECT pg_advisory_lock(key))";
        return true;
    }
    return false;
}

bool compat_advisory(const char *stmt, size_t len, compat_get_fn get, void *ctx, compat_t *out)
{
    sqlscan_toks_t k = {0};
    bool hit = false;
    size_t i = 1, args[3], nargs = 0, depth = 0, close = 0;
    const cadv_fn_t *f = NULL;
    compat_adv_t *adv = NULL;
    ubuf_t sql = UBUF_INIT;
    if (!cadv_mentions(stmt, len) || !sqlscan_toks(&k, stmt, len, CADV_MAX_TOKENS))
        goto out;
    if (!sqlscan_tk_kw(&k, 0, "SELECT"))
        goto buried;
    if (sqlscan_tk_kw(&k, 1, "pg_catalog") && sqlscan_tk_op(&k, 2, "."))
        i = 3;
    if (!(f = cadv_fn_at(&k, i)) || !sqlscan_tk_op(&k, i + 1, "("))
        goto buried;
    args[0] = i + 2;
    for (size_t j = i + 2; j < k.nt && !close; j++) {
        if (sqlscan_tk_op(&k, j, "(") || sqlscan_tk_op(&k, j, "["))
            depth++;
        else if ((sqlscan_tk_op(&k, j, ")") || sqlscan_tk_op(&k, j, "]")) && depth > 0)
            depth--;
        else if (sqlscan_tk_op(&k, j, ")"))
            close = j;
        else if (sqlscan_tk_op(&k, j, ",") && depth == 0 && nargs < 1)
            args[++nargs] = j + 1;
        else if (sqlscan_tk_op(&k, j, ",") && depth == 0)
            goto buried; /* no advisory function takes more than two */
    }
    if (!close)
        goto buried;
    nargs = close == args[0] ? 0 : nargs + 1;
    args[nargs] = close + 1; /* each argument ends one token before the next one starts */
    if (f->op == COMPAT_ADV_UNLOCK_ALL ? nargs != 0 : nargs < 1)
        goto buried;
    for (size_t a = 0; a < nargs; a++)
        if (args[a + 1] - 1 == args[a]) /* an empty argument: f(, 1) */
            goto buried;
    /* [[AS] alias] and nothing else */
    size_t j = close + 1, alias = 0;
    bool as = sqlscan_tk_kw(&k, j, "AS");
    if (as)
        j++;
    if (j < k.nt && sqlscan_tk_name(&k, j) && !sqlscan_tk_kw(&k, j, "FROM") &&
        !sqlscan_tk_kw(&k, j, "WHERE") && !sqlscan_tk_kw(&k, j, "LIMIT") &&
        !sqlscan_tk_kw(&k, j, "UNION") && !sqlscan_tk_kw(&k, j, "ORDER") &&
        !sqlscan_tk_kw(&k, j, "GROUP") && !sqlscan_tk_kw(&k, j, "INTO"))
        alias = j++;
    if (j != k.nt || (as && !alias))
        goto buried;
    for (size_t a = 0; a < nargs; a++) {
        /* 1.5, 1e3: PostgreSQL has no numeric variant (DuckDB's cast would round) */
        const sqlt_t *t = &k.t[args[a + 1] - 2];
        if (args[a + 1] - 2 <= args[a] + 1 && t->kind == SQLT_NUMBER &&
            (memchr(stmt + t->start, '.', t->len) || memchr(stmt + t->start, 'e', t->len) ||
             memchr(stmt + t->start, 'E', t->len))) {
            out->action = COMPAT_ERROR;
            out->sqlstate = "42883";
            out->message = "advisory lock functions take bigint or (integer, integer) keys, "
                           "not numeric";
            hit = true;
            goto out;
        }
    }
    adv = xcalloc(1, sizeof *adv);
    adv->fn = f->name;
    adv->op = f->op;
    adv->shared = f->shared;
    adv->xact = f->xact;
    adv->nargs = nargs;
    adv->colname = alias ? sqlscan_tk_ident(&k, alias) : xstrdup(f->name);
    adv->literal = true;
    for (size_t a = 0; a < nargs; a++)
        adv->literal = adv->literal && cadv_literal(&k, args[a], args[a + 1] - 1, &adv->lit[a]);
    if (adv->literal && nargs == 2)
        for (size_t a = 0; a < 2; a++)
            adv->literal = adv->literal && adv->lit[a] >= INT32_MIN && adv->lit[a] <= INT32_MAX;
    if (!adv->literal && nargs > 0) {
        /* DuckDB evaluates the arguments (and, out of range, refuses them as PostgreSQL
         * does); the compatibility rewrites apply to them as to any expression */
        ubuf_puts(&sql, "SELECT ");
        for (size_t a = 0; a < nargs; a++) {
            size_t from = k.t[args[a]].start, to = k.t[args[a + 1] - 2].start;
            to += k.t[args[a + 1] - 2].len;
            ubuf_printf(&sql, "%sCAST((%.*s) AS %s)", a ? ", " : "", (int)(to - from), stmt + from,
                        nargs == 1 ? "BIGINT" : "INTEGER");
        }
        ubuf_cstr(&sql);
        out->sql = compat_rewrite(sql.data, sql.len, get, ctx);
        if (!out->sql)
            out->sql = xstrdup(sql.data);
    }
    out->action = COMPAT_ADVISORY;
    out->adv = adv;
    out->tag = "SELECT 1";
    adv = NULL;
    hit = true;
    goto out;
buried:
    hit = cadv_buried(&k, out);
out:
    if (adv) {
        free(adv->colname);
        free(adv);
    }
    ubuf_free(&sql);
    sqlscan_toks_free(&k);
    return hit;
}
