/* Widening GROUP BY with the columns PostgreSQL knows to depend on it (compat_groupby.h). */
#include "session/compat_groupby.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "session/sqlscan.h"
#include "util/buf.h"
#include "util/xalloc.h"

#define GB_MAX_TOKENS 8192

/* Length in tokens of a plain column reference at i spanning exactly [i, end): name or
 * name.name or name.name.name; 0 otherwise. An AS alias may follow. */
static size_t gb_colref(const sqlscan_toks_t *k, size_t i, size_t end)
{
    size_t j = i;
    if (!sqlscan_tk_name(k, j))
        return 0;
    j++;
    while (j + 1 < end && sqlscan_tk_op(k, j, ".") && sqlscan_tk_name(k, j + 1))
        j += 2;
    if (j == end)
        return j - i;
    if (sqlscan_tk_kw(k, j, "AS") && j + 2 == end && sqlscan_tk_name(k, j + 1))
        return j - i;
    if (j + 1 == end && sqlscan_tk_name(k, j) && k->t[j].kind == SQLT_QIDENT)
        return j - i; /* "col" "alias" */
    return 0;
}

/* Keywords that cannot be a column name standing alone in a select list. */
static bool gb_reserved(const sqlscan_toks_t *k, size_t i)
{
    static const char *const w[] = {
        "NULL",          "TRUE",         "FALSE",        "DISTINCT",
        "ALL",           "CASE",         "CURRENT_DATE", "CURRENT_TIMESTAMP",
        "CURRENT_TIME",  "CURRENT_USER", "SESSION_USER", "USER",
        "LOCALTIMESTAMP"};
    if (k->t[i].kind != SQLT_WORD)
        return false;
    for (size_t j = 0; j < sizeof w / sizeof w[0]; j++)
        if (sqlscan_is(k->s, &k->t[i], w[j]))
            return true;
    return false;
}

static bool gb_same(const sqlscan_toks_t *k, size_t a, size_t b, size_t n)
{
    for (size_t j = 0; j < n; j++) {
        const sqlt_t *x = &k->t[a + j], *y = &k->t[b + j];
        if (x->len != y->len || strncmp(k->s + x->start, k->s + y->start, x->len) != 0)
            return false;
    }
    return true;
}

char *compat_groupby_widen(const char *stmt, size_t len)
{
    sqlscan_toks_t k;
    char *out = NULL;
    /* each candidate: first token, length */
    size_t *cand = NULL, ncand = 0;
    if (!sqlscan_toks(&k, stmt, len, GB_MAX_TOKENS))
        goto done;
    /* the top-level SELECT list, FROM, GROUP BY and ORDER BY, at depth 0 */
    size_t sel = 0, from = 0, gb = 0, gb_end = 0, ob = 0, ob_end = 0;
    int depth = 0;
    if (!sqlscan_tk_kw(&k, 0, "SELECT"))
        goto done;
    for (size_t i = 0; i < k.nt; i++) {
        if (sqlscan_tk_op(&k, i, "(") || sqlscan_tk_op(&k, i, "[")) {
            depth++;
            continue;
        }
        if (sqlscan_tk_op(&k, i, ")") || sqlscan_tk_op(&k, i, "]")) {
            depth--;
            continue;
        }
        if (depth != 0)
            continue;
        if (sqlscan_tk_kw(&k, i, "UNION") || sqlscan_tk_kw(&k, i, "INTERSECT") ||
            sqlscan_tk_kw(&k, i, "EXCEPT"))
            goto done;
        if (i == 0)
            sel = 1;
        else if (!from && sqlscan_tk_kw(&k, i, "FROM"))
            from = i;
        else if (from && !gb && sqlscan_tk_kw(&k, i, "GROUP") && sqlscan_tk_kw(&k, i + 1, "BY"))
            gb = i + 2;
        else if (gb && !gb_end &&
                 (sqlscan_tk_kw(&k, i, "HAVING") || sqlscan_tk_kw(&k, i, "ORDER") ||
                  sqlscan_tk_kw(&k, i, "LIMIT") || sqlscan_tk_kw(&k, i, "OFFSET") ||
                  sqlscan_tk_kw(&k, i, "WINDOW") || sqlscan_tk_kw(&k, i, "QUALIFY") ||
                  sqlscan_tk_kw(&k, i, "FETCH") || sqlscan_tk_kw(&k, i, "FOR")))
            gb_end = i;
        if (from && sqlscan_tk_kw(&k, i, "ORDER") && sqlscan_tk_kw(&k, i + 1, "BY"))
            ob = i + 2;
        else if (ob && !ob_end &&
                 (sqlscan_tk_kw(&k, i, "LIMIT") || sqlscan_tk_kw(&k, i, "OFFSET") ||
                  sqlscan_tk_kw(&k, i, "FETCH") || sqlscan_tk_kw(&k, i, "FOR")))
            ob_end = i;
    }
    if (!sel || !from || !gb || depth != 0)
        goto done;
    if (!gb_end)
        gb_end = k.nt;
    if (ob && !ob_end)
        ob_end = k.nt;
    if (sqlscan_tk_kw(&k, gb, "ALL") || sqlscan_tk_kw(&k, gb, "ROLLUP") ||
        sqlscan_tk_kw(&k, gb, "CUBE") || sqlscan_tk_kw(&k, gb, "GROUPING"))
        goto done;
    /* every GROUP BY item must be a plain column reference: the table(s) they name are the
     * only ones whose other columns may be added (PostgreSQL's rule needs the table's primary
     * key among them) */
    size_t gq[64], ngq = 0; /* each GROUP BY item's first token and its length in tokens */
    for (size_t a = gb, i = gb; i <= gb_end; i++) {
        if (i < gb_end && !sqlscan_tk_op(&k, i, ","))
            continue;
        size_t n = i > a ? gb_colref(&k, a, i) : 0;
        if (!n || n != i - a || ngq == 32)
            goto done;
        gq[2 * ngq] = a;
        gq[2 * ngq + 1] = n;
        ngq++;
        a = i + 1;
    }
    cand = xmalloc(2 * k.nt * sizeof *cand);
    /* items: [a, b) separated by depth-0 commas, in the select list and in ORDER BY */
    size_t ranges[2][2] = {{sel + (sqlscan_tk_kw(&k, sel, "DISTINCT") ? 1 : 0), from},
                           {ob, ob_end}};
    for (int r = 0; r < 2; r++) {
        size_t a = ranges[r][0], e = ranges[r][1];
        if (!a)
            continue;
        for (size_t i = a; i <= e; i++) {
            if (i < e && (sqlscan_tk_op(&k, i, "(") || sqlscan_tk_op(&k, i, "[")))
                depth++;
            else if (i < e && (sqlscan_tk_op(&k, i, ")") || sqlscan_tk_op(&k, i, "]")))
                depth--;
            if (i < e && (depth != 0 || !sqlscan_tk_op(&k, i, ",")))
                continue;
            size_t b = i;
            if (r == 1) /* ORDER BY item: drop ASC/DESC/NULLS FIRST|LAST */
                while (b > a &&
                       (sqlscan_tk_kw(&k, b - 1, "ASC") || sqlscan_tk_kw(&k, b - 1, "DESC") ||
                        sqlscan_tk_kw(&k, b - 1, "FIRST") || sqlscan_tk_kw(&k, b - 1, "LAST") ||
                        sqlscan_tk_kw(&k, b - 1, "NULLS")))
                    b--;
            size_t n = b > a ? gb_colref(&k, a, b) : 0;
            if (n && !(n == 1 && gb_reserved(&k, a))) {
                cand[2 * ncand] = a;
                cand[2 * ncand + 1] = n;
                ncand++;
            }
            a = i + 1;
        }
    }
    /* keep those not already grouped (compared token by token) */
    ubuf_t add = UBUF_INIT;
    for (size_t c = 0; c < ncand; c++) {
        size_t a = cand[2 * c], n = cand[2 * c + 1];
        bool have = false;
        for (size_t g = gb; g + n <= gb_end && !have; g++)
            have = gb_same(&k, a, g, n) && (g + n == gb_end || sqlscan_tk_op(&k, g + n, ","));
        for (size_t d = 0; d < c && !have; d++)
            have = cand[2 * d + 1] == n && gb_same(&k, a, cand[2 * d], n);
        if (have)
            continue;
        /* an unqualified ORDER BY name may be a select-list alias: not a column to group */
        if (n == 1 && a >= ob && ob)
            continue;
        /* the column's qualifier (all but its last name) must be a grouped item's */
        bool same_table = false;
        for (size_t g = 0; g < ngq && !same_table; g++)
            same_table = gq[2 * g + 1] == n && (n == 1 || gb_same(&k, a, gq[2 * g], n - 1));
        if (!same_table)
            continue;
        size_t s0 = k.t[a].start, s1 = k.t[a + n - 1].start + k.t[a + n - 1].len;
        ubuf_puts(&add, ", ");
        ubuf_append(&add, stmt + s0, s1 - s0);
    }
    if (add.len) {
        size_t at = k.t[gb_end - 1].start + k.t[gb_end - 1].len;
        ubuf_t b = UBUF_INIT;
        ubuf_append(&b, stmt, at);
        ubuf_append(&b, add.data, add.len);
        ubuf_append(&b, stmt + at, len - at);
        ubuf_cstr(&b);
        out = b.data;
    }
    ubuf_free(&add);
done:
    free(cand);
    sqlscan_toks_free(&k);
    return out;
}
