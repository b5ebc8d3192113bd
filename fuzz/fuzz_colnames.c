/* libFuzzer target for PostgreSQL's default names (compat_colnames.h): whatever the text and
 * column count, result column names are NUL-terminated, non-empty and at most 63 bytes or
 * "columnN" / "?column?", and an unnamed CREATE INDEX gets a name of at most 63 bytes that
 * the rewritten statement carries. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "session/compat_colnames.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    size_t ncols = size ? data[0] % 9 : 0; /* the first byte picks a column count */
    const char *have[8] = {"a", "A", "count_star()", "(1 + 1)", "x", "col0", "Total", NULL};
    for (int pass = 0; pass < 2; pass++) {
        char **names = compat_colnames(s, size, pass ? have : NULL, ncols);
        for (size_t i = 0; names && i < ncols; i++) {
            if (names[i] && (names[i][0] == '\0' || strlen(names[i]) > 63))
                abort();
        }
        compat_colnames_free(names, ncols);
    }
    compat_index_name_t n;
    if (compat_index_unnamed(s, size, &n)) {
        for (int pass = 0; pass < 3; pass++) {
            char *name = compat_index_choose(&n, pass);
            if (strlen(name) > 63)
                abort();
            char *sql = compat_index_named(s, size, &n, name);
            /* compared only without NULs, and for names without quotes (doubled in sql) */
            if (!memchr(data, 0, size) && !strchr(name, '"') && !strstr(sql, name))
                abort();
            free(sql);
            free(name);
        }
        compat_index_name_free(&n);
    }
    return 0;
}
