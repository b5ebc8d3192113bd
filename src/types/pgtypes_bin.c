/* PostgreSQL binary output (the *send functions): network byte order integers and floats,
 * numeric as base-10000 digit groups, dates and timestamps relative to 2000-01-01. */
#include <string.h>

#include "types/pgtypes.h"

#define PG_EPOCH_DAYS 10957 /* 2000-01-01 - 1970-01-01 */
#define PG_EPOCH_USECS INT64_C(946684800000000)

void pgt_bin_bool(ubuf_t *out, bool v) { ubuf_putc(out, v ? 1 : 0); }
void pgt_bin_int2(ubuf_t *out, int16_t v) { ubuf_put_u16be(out, (uint16_t)v); }
void pgt_bin_int4(ubuf_t *out, int32_t v) { ubuf_put_u32be(out, (uint32_t)v); }
void pgt_bin_int8(ubuf_t *out, int64_t v) { ubuf_put_u64be(out, (uint64_t)v); }

void pgt_bin_float4(ubuf_t *out, float v)
{
    uint32_t u;
    memcpy(&u, &v, sizeof u);
    ubuf_put_u32be(out, u);
}

void pgt_bin_float8(ubuf_t *out, double v)
{
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    ubuf_put_u64be(out, u);
}

/* numeric_send for |value| = mag / 10^scale. The decimal digits are grouped by four from the
 * decimal point outwards (the last fraction group is padded with zeros), leading and trailing
 * zero groups are dropped, and weight is the power of 10000 of the first group. Working on
 * the digit string avoids any 128-bit overflow. */
static void bin_numeric(ubuf_t *out, pgt_u128 mag, bool neg, int scale)
{
    char dig[96];
    int nd = 0;
    uint16_t groups[32];
    int ng = 0;
    do { /* least significant first */
        dig[nd++] = (char)(mag % 10);
        mag /= 10;
    } while (mag);
    while (nd <= scale)
        dig[nd++] = 0;
    int intd = nd - scale;             /* digits before the point */
    int lead = (4 - intd % 4) % 4;     /* zero digits to complete the first group */
    int fracpad = (4 - scale % 4) % 4; /* zero digits to complete the last group */
    int total = lead + nd + fracpad;
    for (int g = 0; g < total / 4; g++) {
        int v = 0;
        for (int k = 0; k < 4; k++) {
            int pos = g * 4 + k - lead; /* index from the most significant digit */
            int d = pos >= 0 && pos < nd ? dig[nd - 1 - pos] : 0;
            v = v * 10 + d;
        }
        groups[ng++] = (uint16_t)v;
    }
    int weight = (lead + intd) / 4 - 1;
    int first = 0, last = ng;
    while (first < last && groups[first] == 0) {
        first++;
        weight--;
    }
    while (last > first && groups[last - 1] == 0)
        last--;
    int ndigits = last - first;
    ubuf_put_u16be(out, (uint16_t)ndigits);
    ubuf_put_u16be(out, (uint16_t)(int16_t)(ndigits ? weight : 0));
    ubuf_put_u16be(out, neg && ndigits ? 0x4000 : 0x0000);
    ubuf_put_u16be(out, (uint16_t)scale);
    for (int i = first; i < last; i++)
        ubuf_put_u16be(out, groups[i]);
}

void pgt_bin_decimal(ubuf_t *out, pgt_i128 unscaled, int scale)
{
    bool neg = unscaled < 0;
    pgt_u128 mag = neg ? (pgt_u128)0 - (pgt_u128)unscaled : (pgt_u128)unscaled;
    bin_numeric(out, mag, neg, scale);
}

void pgt_bin_u128(ubuf_t *out, pgt_u128 v) { bin_numeric(out, v, false, 0); }

bool pgt_bin_numeric_digits(ubuf_t *out, bool neg, const char *digits, size_t n)
{
    while (n > 1 && digits[0] == '0') {
        digits++;
        n--;
    }
    if (n == 0 || n > 131072)
        return false;
    size_t lead = (4 - n % 4) % 4; /* zero digits completing the first group */
    size_t ng = (lead + n) / 4, last = ng;
    size_t pos = 0;
    while (last > 0) { /* trailing zero groups are dropped */
        size_t g = last - 1, zero = 1;
        for (size_t k = 0; k < 4 && zero; k++) {
            size_t i = g * 4 + k;
            zero = i < lead || digits[i - lead] == '0';
        }
        if (!zero)
            break;
        last--;
    }
    ubuf_put_u16be(out, (uint16_t)last);
    ubuf_put_u16be(out, (uint16_t)(int16_t)(last ? (int)ng - 1 : 0));
    ubuf_put_u16be(out, neg && last ? 0x4000 : 0x0000);
    ubuf_put_u16be(out, 0);
    for (size_t g = 0; g < last; g++) {
        unsigned v = 0;
        for (size_t k = 0; k < 4; k++, pos++)
            v = v * 10 + (pos < lead ? 0 : (unsigned)(digits[pos - lead] - '0'));
        ubuf_put_u16be(out, (uint16_t)v);
    }
    return true;
}

void pgt_bin_varbit(ubuf_t *out, const char *bits, size_t nbits)
{
    ubuf_put_u32be(out, (uint32_t)nbits);
    for (size_t i = 0; i < nbits; i += 8) {
        uint8_t b = 0;
        for (size_t k = 0; k < 8; k++)
            b = (uint8_t)(b << 1 | (i + k < nbits && bits[i + k] == '1'));
        ubuf_putc(out, (char)b);
    }
}

void pgt_bin_date(ubuf_t *out, int32_t days)
{
    int32_t v;
    if (days == INT32_MAX)
        v = INT32_MAX;
    else if (days == -INT32_MAX || days == INT32_MIN)
        v = INT32_MIN;
    else
        v = days - PG_EPOCH_DAYS;
    ubuf_put_u32be(out, (uint32_t)v);
}

void pgt_bin_time(ubuf_t *out, int64_t micros) { ubuf_put_u64be(out, (uint64_t)micros); }

void pgt_bin_timetz(ubuf_t *out, int64_t micros, int32_t offset_seconds)
{
    ubuf_put_u64be(out, (uint64_t)micros);
    ubuf_put_u32be(out, (uint32_t)-offset_seconds);
}

void pgt_bin_timestamp(ubuf_t *out, int64_t micros)
{
    int64_t v;
    if (micros == INT64_MAX)
        v = INT64_MAX;
    else if (micros == -INT64_MAX || micros == INT64_MIN)
        v = INT64_MIN;
    else
        v = micros - PG_EPOCH_USECS;
    ubuf_put_u64be(out, (uint64_t)v);
}

void pgt_bin_interval(ubuf_t *out, int32_t months, int32_t days, int64_t micros)
{
    ubuf_put_u64be(out, (uint64_t)micros);
    ubuf_put_u32be(out, (uint32_t)days);
    ubuf_put_u32be(out, (uint32_t)months);
}

void pgt_bin_uuid(ubuf_t *out, const uint8_t bytes[16]) { ubuf_append(out, bytes, 16); }
