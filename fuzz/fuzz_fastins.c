/* libFuzzer target for fastins, the recogniser of coalescable INSERTs: whatever the input,
 * a recognised statement has 1 to 3 name parts, as many values as rows times width, every
 * string or number inside its byte copy, and parameters numbered from 1. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "session/fastins.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
    fastins_free(&f);
    return 0;
}
