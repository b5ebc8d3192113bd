/* libFuzzer target for the SQL scanner and the dialect layer: splits the input into
 * statements (checking that every range lies inside the input, in order), walks its tokens
 * (each one inside the input and the scan always advancing), and classifies and rewrites each
 * statement with compat_classify, then rewrites the rewrite once more; each statement also goes
 * through the dialect's other rewriters (types, public, the jsonb retry after DuckDB's binder
 * error, SERIAL steps, OVERRIDING), each result a NUL-terminated string; the whole input also
 * goes through the search_path splitter. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "session/compat.h"
#include "session/sqlscan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *get_param(void *ctx, const char *name)
{
    (void)ctx;
    const compat_param_t *p = compat_param_find(name);
    return p ? p->dflt : "duckd";
}

static void walk_tokens(const char *s, size_t n)
{
    size_t pos = 0;
    for (;;) {
        size_t before = pos;
        sqlt_t t = sqlscan_next(s, n, &pos);
        if (t.start > n || t.len > n - t.start || pos > n)
            abort();
        if (t.kind == SQLT_END || t.kind == SQLT_ERROR)
            return;
        if (pos <= before || t.len == 0)
            abort(); /* no progress */
    }
}

/* The search_path splitter: every name lies within the input's length. */
static void split_path(const char *s)
{
    char **names = NULL, *show = NULL;
    size_t n = compat_search_path_split(s, &names, &show);
    for (size_t i = 0; i < n; i++) {
        if (strlen(names[i]) > strlen(s))
            abort();
        free(names[i]);
    }
    free(names);
    free(show);
}

static void classify(const char *s, size_t n)
{
    compat_t c;
    compat_classify(s, n, get_param, NULL, &c);
    if (c.action == COMPAT_PASS && !c.sql)
        abort();
    if (c.sql) {
        char *again = compat_rewrite(c.sql, strlen(c.sql), get_param, NULL);
        free(again);
    }
    compat_free(&c);
}

/* The rewriters compat_classify does not always reach. */
static void rewriters(const char *s, size_t n)
{
    static const char *const errors[] = {
        "Binder Error: No function matches the given name and argument types "
        "'@>(JSON, STRING_LITERAL)'. You might need to add explicit type casts.",
        "Binder Error: No function matches the given name and argument types "
        "'-(JSON, INTEGER_LITERAL)'.",
        "Catalog Error: Scalar Function with name x does not exist!"};
    char *out[4 + sizeof errors / sizeof errors[0]];
    size_t k = 0;
    out[k++] = compat_rewrite_types(s, n);
    out[k++] = compat_rewrite_public(s, n);
    out[k++] = compat_overriding(s, n);
    out[k++] = compat_hide_duckd(s, n);
    for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++)
        out[k++] = compat_json_retry(s, n, errors[i]);
    for (size_t i = 0; i < k; i++) {
        if (out[i] && strlen(out[i]) > 16 * n + 4096)
            abort(); /* a rewrite grows the text by a bounded factor */
        free(out[i]);
    }
    char **steps = NULL;
    size_t ns = compat_serial(s, n, &steps);
    for (size_t i = 0; i < ns; i++) {
        if (!steps[i])
            abort();
        free(steps[i]);
    }
    free(steps);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    sql_range_t r[16];
    walk_tokens(s, size);
    long n = sqlscan_split(s, size, r, 16);
    if (n < -1)
        abort();
    size_t last = 0;
    for (long i = 0; i < n && i < 16; i++) {
        if (r[i].start < last || r[i].start > size || r[i].len > size - r[i].start || r[i].len == 0)
            abort();
        last = r[i].start + r[i].len;
        classify(s + r[i].start, r[i].len);
        rewriters(s + r[i].start, r[i].len);
    }
    if (n < 0)
        classify(s, size);      /* unterminated quote or comment: must still be safe */
    char *z = malloc(size + 1); /* the splitter takes a C string, as SET leaves it */
    if (z) {
        memcpy(z, data, size);
        z[size] = '\0';
        split_path(z);
        free(z);
    }
    return 0;
}
