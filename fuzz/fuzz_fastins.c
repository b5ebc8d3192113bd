/* libFuzzer target for fastins, the recogniser of coalescable INSERTs: whatever the input,
 * a recognised statement has 1 to 3 name parts, as many values as rows times width, every
 * string or number inside its byte copy, and parameters numbered from 1. When fastins_plain
 * accepts it, compat_classify must pass the text through unchanged (the session skips the
 * classification for such statements). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "session/compat.h"
#include "session/fastins.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *get_param(void *ctx, const char *name)
{
    (void)ctx;
    const compat_param_t *p = compat_param_find(name);
    return p ? p->dflt : "duckd";
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fastins_t f;
    if (!fastins_parse((const char *)data, size, 4096, &f))
        return 0;
    size_t nbytes = f.bytes ? strlen(f.bytes) : 0;
    if (f.nname < 1 || f.nname > 3 || f.width == 0 || f.nrows == 0 || f.nrows * f.width > 4096 ||
        (f.ncols && f.ncols != f.width))
        abort();
    for (size_t i = 0; i < f.nrows * f.width; i++) {
        const fastins_val_t *v = &f.vals[i];
        if ((v->kind == FASTINS_STRING || v->kind == FASTINS_NUMBER) &&
            (v->off > nbytes + size || v->len > size))
            abort();
        if (v->kind == FASTINS_PARAM && (v->param < 1 || v->param > f.max_param))
            abort();
    }
    if (fastins_plain(&f) && !memchr(data, 0, size)) { /* statement text has no NUL bytes */
        compat_t c;
        compat_classify((const char *)data, size, get_param, NULL, &c);
        if (c.action != COMPAT_PASS || !c.sql || strlen(c.sql) != size ||
            memcmp(c.sql, data, size) != 0)
            abort();
        compat_free(&c);
    }
    fastins_free(&f);
    return 0;
}
