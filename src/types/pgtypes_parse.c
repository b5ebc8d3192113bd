/* Decoders for the parameter formats clients send: binary values of fixed-size types,
 * numeric_recv into decimal text, and bytea text input. Lengths are never trusted: every
 * decoder checks the exact size and the ranges it reads, and fails closed. */
#include <string.h>

#include "types/pgtypes.h"

#define PG_EPOCH_DAYS 10957
#define PG_EPOCH_USECS INT64_C(946684800000000)
#define NUMERIC_MAX_DIGITS 1000

static uint64_t be(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

static bool fail(const char **why, const char *msg)
{
    if (why)
        *why = msg;
    return false;
}

bool pgt_parse_bin_int(const uint8_t *p, size_t n, int64_t *v, const char **why)
{
    switch (n) {
    case 2: *v = (int16_t)be(p, 2); return true;
    case 4: *v = (int32_t)be(p, 4); return true;
    case 8: *v = (int64_t)be(p, 8); return true;
    default: return fail(why, "integer must be 2, 4 or 8 bytes");
    }
}

bool pgt_parse_bin_float(const uint8_t *p, size_t n, double *v, const char **why)
{
    if (n == 4) {
        uint32_t u = (uint32_t)be(p, 4);
        float f;
        memcpy(&f, &u, 4);
        *v = f;
        return true;
    }
    if (n == 8) {
        uint64_t u = be(p, 8);
        memcpy(v, &u, 8);
        return true;
    }
    return fail(why, "float must be 4 or 8 bytes");
}

bool pgt_parse_bin_bool(const uint8_t *p, size_t n, bool *v, const char **why)
{
    if (n != 1)
        return fail(why, "bool must be 1 byte");
    *v = p[0] != 0;
    return true;
}

static void put_group(ubuf_t *out, unsigned g, bool pad)
{
    char d[4] = {(char)('0' + g / 1000), (char)('0' + g / 100 % 10), (char)('0' + g / 10 % 10),
                 (char)('0' + g % 10)};
    int start = 0;
    if (!pad)
        while (start < 3 && d[start] == '0')
            start++;
    ubuf_append(out, d + start, (size_t)(4 - start));
}

bool pgt_parse_bin_numeric(const uint8_t *p, size_t n, ubuf_t *out, const char **why)
{
    if (n < 8)
        return fail(why, "numeric header too short");
    int ndigits = (int16_t)be(p, 2), weight = (int16_t)be(p + 2, 2);
    unsigned sign = (unsigned)be(p + 4, 2);
    int dscale = (int16_t)be(p + 6, 2);
    if (ndigits < 0 || ndigits > NUMERIC_MAX_DIGITS || n != 8 + 2 * (size_t)ndigits)
        return fail(why, "numeric digit count does not match its length");
    if (dscale < 0 || dscale > NUMERIC_MAX_DIGITS || weight < -NUMERIC_MAX_DIGITS ||
        weight > NUMERIC_MAX_DIGITS)
        return fail(why, "numeric scale or weight out of range");
    if (sign == 0xC000)
        return ubuf_puts(out, "NaN"), true;
    if (sign == 0xD000)
        return ubuf_puts(out, "Infinity"), true;
    if (sign == 0xF000)
        return ubuf_puts(out, "-Infinity"), true;
    if (sign != 0 && sign != 0x4000)
        return fail(why, "invalid numeric sign");
    const uint8_t *d = p + 8;
    for (int i = 0; i < ndigits; i++)
        if (be(d + 2 * i, 2) >= 10000)
            return fail(why, "invalid numeric digit");
    if (sign == 0x4000)
        ubuf_putc(out, '-');
    /* integer part: groups with weight >= 0 */
    if (weight < 0) {
        ubuf_putc(out, '0');
    } else {
        for (int w = 0; w <= weight; w++) {
            unsigned g = w < ndigits ? (unsigned)be(d + 2 * w, 2) : 0;
            put_group(out, g, w > 0);
        }
    }
    if (dscale > 0) {
        ubuf_putc(out, '.');
        int written = 0;
        for (int w = weight + 1; written < dscale; w++) {
            int idx = w; /* index into digits of the group with weight -(w - weight) */
            unsigned g = idx >= 0 && idx < ndigits ? (unsigned)be(d + 2 * idx, 2) : 0;
            char s[4] = {(char)('0' + g / 1000), (char)('0' + g / 100 % 10),
                         (char)('0' + g / 10 % 10), (char)('0' + g % 10)};
            int take = dscale - written < 4 ? dscale - written : 4;
            ubuf_append(out, s, (size_t)take);
            written += take;
        }
    }
    return true;
}

bool pgt_parse_bin_date(const uint8_t *p, size_t n, int32_t *days, const char **why)
{
    if (n != 4)
        return fail(why, "date must be 4 bytes");
    int32_t v = (int32_t)be(p, 4);
    if (v == INT32_MAX)
        *days = INT32_MAX;
    else if (v == INT32_MIN)
        *days = -INT32_MAX;
    else if (v > INT32_MAX - PG_EPOCH_DAYS)
        return fail(why, "date out of range");
    else
        *days = v + PG_EPOCH_DAYS;
    return true;
}

bool pgt_parse_bin_time(const uint8_t *p, size_t n, int64_t *micros, const char **why)
{
    if (n != 8)
        return fail(why, "time must be 8 bytes");
    *micros = (int64_t)be(p, 8);
    if (*micros < 0 || *micros > INT64_C(86400000000))
        return fail(why, "time out of range");
    return true;
}

bool pgt_parse_bin_timestamp(const uint8_t *p, size_t n, int64_t *micros, const char **why)
{
    if (n != 8)
        return fail(why, "timestamp must be 8 bytes");
    int64_t v = (int64_t)be(p, 8);
    if (v == INT64_MAX)
        *micros = INT64_MAX;
    else if (v == INT64_MIN)
        *micros = -INT64_MAX;
    else if (v > INT64_MAX - PG_EPOCH_USECS)
        return fail(why, "timestamp out of range");
    else
        *micros = v + PG_EPOCH_USECS;
    return true;
}

bool pgt_parse_bin_interval(const uint8_t *p, size_t n, int32_t *months, int32_t *days,
                            int64_t *micros, const char **why)
{
    if (n != 16)
        return fail(why, "interval must be 16 bytes");
    *micros = (int64_t)be(p, 8);
    *days = (int32_t)be(p + 8, 4);
    *months = (int32_t)be(p + 12, 4);
    return true;
}

bool pgt_parse_bin_uuid(const uint8_t *p, size_t n, uint8_t out[16], const char **why)
{
    if (n != 16)
        return fail(why, "uuid must be 16 bytes");
    memcpy(out, p, 16);
    return true;
}

int pgt_hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool pgt_parse_text_bytea(const char *s, size_t n, ubuf_t *out, const char **why)
{
    if (n >= 2 && s[0] == '\\' && s[1] == 'x') {
        for (size_t i = 2; i < n;) {
            if (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
                i++;
                continue;
            }
            int hi = pgt_hex_digit(s[i]), lo = i + 1 < n ? pgt_hex_digit(s[i + 1]) : -1;
            if (hi < 0 || lo < 0)
                return fail(why, "invalid hexadecimal data in bytea");
            ubuf_putc(out, (char)(hi << 4 | lo));
            i += 2;
        }
        return true;
    }
    for (size_t i = 0; i < n;) { /* escape format */
        if (s[i] != '\\') {
            ubuf_putc(out, s[i++]);
        } else if (i + 1 < n && s[i + 1] == '\\') {
            ubuf_putc(out, '\\');
            i += 2;
        } else if (i + 3 < n + 0 && s[i + 1] >= '0' && s[i + 1] <= '3' && s[i + 2] >= '0' &&
                   s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
            ubuf_putc(out,
                      (char)((s[i + 1] - '0') << 6 | (s[i + 2] - '0') << 3 | (s[i + 3] - '0')));
            i += 4;
        } else {
            return fail(why, "invalid input syntax for type bytea");
        }
    }
    return true;
}

bool pgt_array_text_to_list(const char *s, size_t n, ubuf_t *out, const char **why)
{
    size_t i = 0;
    int depth = 0;
    bool quoted = false;
    while (i < n && (s[i] == ' ' || s[i] == '\t'))
        i++;
    if (i == n || s[i] != '{')
        return fail(why, "array value must start with \"{\"");
    for (; i < n; i++) {
        char c = s[i];
        if (quoted) {
            if (c == '\\' && i + 1 < n) {
                ubuf_putc(out, c);
                c = s[++i];
            } else if (c == '"') {
                quoted = false;
            }
        } else if (c == '"') {
            quoted = true;
        } else if (c == '{') {
            depth++;
            c = '[';
        } else if (c == '}') {
            if (--depth < 0)
                return fail(why, "unbalanced braces in array value");
            c = ']';
        }
        ubuf_putc(out, c);
    }
    if (quoted || depth != 0)
        return fail(why, "unterminated array value");
    return true;
}

/* Appends one binary element of type `oid` as text (list element syntax). */
static bool bin_elem_text(uint32_t oid, const uint8_t *p, size_t n, ubuf_t *out, const char **why)
{
    ubuf_t t = UBUF_INIT;
    int64_t i, us;
    double f;
    bool b, ok = true;
    int32_t days;
    uint8_t u[16];
    switch (oid) {
    case PGT_INT2:
    case PGT_INT4:
    case PGT_INT8:
        if ((ok = pgt_parse_bin_int(p, n, &i, why)))
            pgt_text_int64(&t, i);
        break;
    case PGT_OID:
        if ((ok = n == 4))
            pgt_text_uint64(&t, be(p, 4));
        break;
    case PGT_FLOAT4:
    case PGT_FLOAT8:
        if ((ok = pgt_parse_bin_float(p, n, &f, why)))
            pgt_text_float8(&t, f);
        break;
    case PGT_BOOL:
        if ((ok = pgt_parse_bin_bool(p, n, &b, why)))
            pgt_text_bool(&t, b);
        break;
    case PGT_NUMERIC: ok = pgt_parse_bin_numeric(p, n, &t, why); break;
    case PGT_DATE:
        if ((ok = pgt_parse_bin_date(p, n, &days, why)))
            pgt_text_date(&t, days);
        break;
    case PGT_TIMESTAMP:
    case PGT_TIMESTAMPTZ:
        if ((ok = pgt_parse_bin_timestamp(p, n, &us, why)))
            oid == PGT_TIMESTAMP ? pgt_text_timestamp(&t, us) : pgt_text_timestamptz(&t, us, 0);
        break;
    case PGT_UUID:
        if ((ok = pgt_parse_bin_uuid(p, n, u, why)))
            pgt_text_uuid(&t, u);
        break;
    case PGT_TEXT:
    case PGT_VARCHAR:
    case PGT_NAME:
    case PGT_BPCHAR:
    case PGT_JSON: ubuf_append(&t, p, n); break;
    case PGT_JSONB:
        if ((ok = n >= 1 && (uint8_t)p[0] == 1))
            ubuf_append(&t, p + 1, n - 1);
        else
            ok = fail(why, "unsupported jsonb version");
        break;
    default: ok = fail(why, "binary arrays of this element type are not supported");
    }
    if (ok)
        pgt_text_array_elem(out, t.data ? t.data : "", t.len);
    ubuf_free(&t);
    return ok;
}

bool pgt_bin_array_to_list(const uint8_t *p, size_t n, ubuf_t *out, const char **why)
{
    if (n < 12)
        return fail(why, "array header too short");
    int32_t ndim = (int32_t)be(p, 4);
    uint32_t elem = (uint32_t)be(p + 8, 4);
    size_t pos = 12;
    int64_t count = 0;
    if (ndim == 0) {
        ubuf_puts(out, "[]");
        return n == 12 ? true : fail(why, "trailing bytes after empty array");
    }
    if (ndim != 1)
        return fail(why, "only one-dimensional binary arrays are supported");
    if (n < pos + 8)
        return fail(why, "array dimensions truncated");
    count = (int32_t)be(p + pos, 4);
    pos += 8; /* length and lower bound */
    if (count < 0 || (size_t)count > (n - pos) / 4)
        return fail(why, "array element count out of range");
    ubuf_putc(out, '[');
    for (int64_t k = 0; k < count; k++) {
        if (n - pos < 4)
            return fail(why, "array element truncated");
        int32_t len = (int32_t)be(p + pos, 4);
        pos += 4;
        if (k)
            ubuf_putc(out, ',');
        if (len == -1) {
            ubuf_puts(out, "NULL");
            continue;
        }
        if (len < 0 || (size_t)len > n - pos)
            return fail(why, "array element length out of range");
        if (!bin_elem_text(elem, p + pos, (size_t)len, out, why))
            return false;
        pos += (size_t)len;
    }
    ubuf_putc(out, ']');
    return pos == n ? true : fail(why, "trailing bytes after array");
}
