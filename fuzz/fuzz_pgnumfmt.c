/* libFuzzer target for the numeric template parser and formatter (types/pgnumfmt.c): the
 * input is "value\ntemplate"; the template formats the value as a decimal, an int4, an int8,
 * a float8 and a float4, and reads the value back with to_number. Each call either succeeds
 * or sets a five-character SQLSTATE; to_number's text must be a plain decimal. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "types/pgnumfmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok, const pgnf_err_t *e)
{
    if (!ok && strlen(e->sqlstate) != 5)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data, *nl = memchr(p, '\n', size);
    size_t vlen = nl ? (size_t)(nl - p) : 0, tlen = nl ? size - vlen - 1 : size;
    const char *v = p, *t = nl ? nl + 1 : p;
    ubuf_t b = UBUF_INIT;
    pgnf_err_t e;
    int64_t iv = 0;
    double dv = 0;
    memcpy(&iv, data, size < sizeof iv ? size : sizeof iv);
    memcpy(&dv, data, size < sizeof dv ? size : sizeof dv);

    memset(&e, 0, sizeof e);
    check(pgnf_to_char_decimal(v, vlen, t, tlen, &b, &e), &e);
    ubuf_reset(&b);
    check(pgnf_to_char_int4((int32_t)iv, t, tlen, &b, &e), &e);
    ubuf_reset(&b);
    check(pgnf_to_char_int64(iv, t, tlen, &b, &e), &e);
    ubuf_reset(&b);
    check(pgnf_to_char_float8(dv, t, tlen, &b, &e), &e);
    ubuf_reset(&b);
    check(pgnf_to_char_float4((float)dv, t, tlen, &b, &e), &e);
    ubuf_reset(&b);
    bool ok = pgnf_to_number(v, vlen, t, tlen, &b, &e);
    check(ok, &e);
    if (ok) { /* [-]digits[.digits] */
        const char *s = ubuf_cstr(&b);
        size_t i = s[0] == '-', digits = 0, dots = 0;
        for (; s[i]; i++) {
            if (s[i] == '.')
                dots++;
            else if (s[i] >= '0' && s[i] <= '9')
                digits++;
            else
                abort();
        }
        if (digits == 0 || dots > 1)
            abort();
    }
    (void)pgnf_number_scale(t, tlen);
    ubuf_free(&b);
    return 0;
}
