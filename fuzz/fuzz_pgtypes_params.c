/* libFuzzer target: every parameter decoder on arbitrary bytes (the first byte picks one);
 * whatever decodes is re-encoded through the text and binary formatters. */
#include <stddef.h>
#include <stdint.h>

#include "types/pgtypes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void decode(uint8_t which, const uint8_t *p, size_t n, ubuf_t *out)
{
    int64_t i, us;
    double f;
    bool b;
    int32_t days, months;
    uint8_t uuid[16];
    switch (which % 10) {
    case 0:
        if (pgt_parse_bin_int(p, n, &i, NULL))
            pgt_text_int64(out, i);
        break;
    case 1:
        if (pgt_parse_bin_float(p, n, &f, NULL)) {
            pgt_text_float8(out, f);
            pgt_text_float4(out, (float)f);
        }
        break;
    case 2:
        if (pgt_parse_bin_bool(p, n, &b, NULL))
            pgt_text_bool(out, b);
        break;
    case 3: (void)pgt_parse_bin_numeric(p, n, out, NULL); break;
    case 4:
        if (pgt_parse_bin_date(p, n, &days, NULL)) {
            pgt_text_date(out, days);
            pgt_bin_date(out, days);
        }
        break;
    case 5:
        if (pgt_parse_bin_time(p, n, &us, NULL)) {
            pgt_text_time(out, us);
            pgt_text_timetz(out, us, (int32_t)(us % 50000));
        }
        break;
    case 6:
        if (pgt_parse_bin_timestamp(p, n, &us, NULL)) {
            pgt_text_timestamp(out, us);
            pgt_text_timestamptz(out, us, 3600);
        }
        break;
    case 7:
        if (pgt_parse_bin_interval(p, n, &months, &days, &us, NULL))
            pgt_text_interval(out, months, days, us);
        break;
    case 8:
        if (pgt_parse_bin_uuid(p, n, uuid, NULL))
            pgt_text_uuid(out, uuid);
        break;
    default: {
        ubuf_t raw = UBUF_INIT; /* a separate buffer: the formatter must not alias its input */
        if (pgt_parse_text_bytea((const char *)p, n, &raw, NULL))
            pgt_text_bytea(out, (const uint8_t *)raw.data, raw.len);
        ubuf_free(&raw);
        break;
    }
    }
}

/* The text fast-path parsers: whatever they accept must print back to the same number. */
static void text_fast(const uint8_t *p, size_t n, ubuf_t *out)
{
    const char *s = (const char *)p;
    int64_t i, dec;
    uint64_t u;
    double f;
    float f4;
    bool b;
    if (pgt_parse_text_int(s, n, &i)) {
        pgt_text_int64(out, i);
        if (!pgt_parse_text_int(out->data, out->len, &dec) || dec != i)
            __builtin_trap();
    }
    (void)pgt_parse_text_uint(s, n, &u);
    for (int w = 1; w <= 18; w += 5)
        if (pgt_parse_text_decimal(s, n, w, w / 2, &dec) == 1)
            pgt_text_decimal(out, (pgt_i128)dec, w / 2);
    if (pgt_parse_text_double(s, n, &f))
        pgt_text_float8(out, f);
    if (pgt_parse_text_float(s, n, &f4))
        pgt_text_float4(out, f4);
    (void)pgt_parse_text_bool(s, n, &b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ubuf_t out = UBUF_INIT;
    if (size == 0)
        return 0;
    decode(data[0], data + 1, size - 1, &out);
    ubuf_reset(&out);
    text_fast(data + 1, size - 1, &out);
    if (size >= 17) { /* also exercise the numeric and decimal encoders on raw 128-bit input */
        pgt_i128 v;
        __builtin_memcpy(&v, data + 1, sizeof v);
        pgt_text_decimal(&out, v, data[0] % 39);
        pgt_bin_decimal(&out, v, data[0] % 39);
        pgt_text_array_elem(&out, (const char *)data, size);
        pgt_json_string(&out, (const char *)data, size);
    }
    ubuf_free(&out);
    return 0;
}
