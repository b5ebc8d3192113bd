/* libFuzzer target for the dialect layer's DDL and GROUP BY rewriters (compat_alter.h,
 * compat_groupby.h): whatever the input, a parsed ALTER TABLE plan has a table name and at
 * least one step, every step carries the text its kind needs, and rewritten statements are
 * NUL-terminated text no longer than the input plus what the rewrite adds. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "session/compat_alter.h"
#include "session/compat_groupby.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    for (int pass = 0; pass < 3; pass++) {
        compat_alter_t *a = pass == 0   ? compat_alter_parse(s, size)
                            : pass == 1 ? compat_drop_table_parse(s, size)
                                        : compat_truncate_parse(s, size);
        if (!a)
            continue;
        if (!a->table || !a->qname || a->nsteps == 0)
            abort();
        for (size_t i = 0; i < a->nsteps; i++) {
            const compat_alter_step_t *st = &a->steps[i];
            switch (st->kind) {
            case CALT_DUCKDB:
            case CALT_ADD_UNIQUE:
                if (!st->sql)
                    abort();
                break;
            case CALT_TYPE:
                if (!st->sql || !st->column || !st->type)
                    abort();
                break;
            case CALT_ADD_FK:
                if (!st->name || !st->fk_cols || !st->fk_ref || !st->fk_rules)
                    abort();
                break;
            case CALT_DROP_CONSTRAINT:
            case CALT_TRUNCATE:
            case CALT_FORGET_FKS:
                if (!st->name)
                    abort();
                break;
            }
            if (st->rebuild_table && !st->column)
                abort();
        }
        compat_alter_free(a);
    }
    char **rec = NULL;
    size_t nrec = 0;
    char *t = compat_fk_split(s, size, &rec, &nrec);
    if (!t != !nrec)
        abort();
    for (size_t i = 0; i < nrec; i++)
        free(rec[i]);
    free(rec);
    free(t);
    bool text = memchr(data, 0, size) == NULL; /* lengths compare only without NULs */
    char *r = compat_index_rewrite(s, size);
    if (r && text && strlen(r) > size)
        abort(); /* the index rewrite only removes text */
    free(r);
    r = compat_groupby_widen(s, size);
    if (r && text && strlen(r) <= size)
        abort(); /* widening only adds text */
    free(r);
    return 0;
}
