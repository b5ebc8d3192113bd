/* PostgreSQL text output for scalar values, byte-for-byte as PostgreSQL 15 prints them
 * (DateStyle ISO, IntervalStyle postgres, bytea hex, shortest round-trip floats). Integers,
 * dates and times are emitted digit by digit: this is the result hot path. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "types/pgtypes.h"

/* ---- integers ---- */

/* Writes the decimal digits of v into the end of tmp; returns the start. */
static char *u64_digits(char *end, uint64_t v)
{
    do {
        *--end = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return end;
}

void pgt_text_uint64(ubuf_t *out, uint64_t v)
{
    char tmp[24], *p = u64_digits(tmp + sizeof tmp, v);
    ubuf_append(out, p, (size_t)(tmp + sizeof tmp - p));
}

void pgt_text_int64(ubuf_t *out, int64_t v)
{
    char tmp[24], *end = tmp + sizeof tmp;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    char *p = u64_digits(end, u);
    if (v < 0)
        *--p = '-';
    ubuf_append(out, p, (size_t)(end - p));
}

void pgt_text_u128(ubuf_t *out, pgt_u128 v)
{
    char tmp[48], *end = tmp + sizeof tmp, *p = end;
    do {
        *--p = (char)('0' + (int)(v % 10));
        v /= 10;
    } while (v);
    ubuf_append(out, p, (size_t)(end - p));
}

void pgt_text_i128(ubuf_t *out, pgt_i128 v)
{
    if (v < 0) {
        ubuf_putc(out, '-');
        pgt_text_u128(out, (pgt_u128)0 - (pgt_u128)v);
    } else {
        pgt_text_u128(out, (pgt_u128)v);
    }
}

void pgt_text_bool(ubuf_t *out, bool v) { ubuf_putc(out, v ? 't' : 'f'); }

void pgt_text_decimal(ubuf_t *out, pgt_i128 unscaled, int scale)
{
    char tmp[64], *end = tmp + sizeof tmp, *p = end;
    pgt_u128 u = unscaled < 0 ? (pgt_u128)0 - (pgt_u128)unscaled : (pgt_u128)unscaled;
    int digits = 0;
    while (u > UINT64_MAX) { /* 128-bit division is a library call: only for huge values */
        *--p = (char)('0' + (int)(u % 10));
        u /= 10;
        digits++;
    }
    uint64_t u64 = (uint64_t)u;
    do {
        *--p = (char)('0' + (int)(u64 % 10));
        u64 /= 10;
        digits++;
    } while (u64);
    while (digits <= scale) { /* at least one digit before the point */
        *--p = '0';
        digits++;
    }
    if (unscaled < 0)
        ubuf_putc(out, '-');
    size_t n = (size_t)(end - p);
    if (scale <= 0) {
        ubuf_append(out, p, n);
        return;
    }
    ubuf_append(out, p, n - (size_t)scale);
    ubuf_putc(out, '.');
    ubuf_append(out, end - scale, (size_t)scale);
}

/* ---- floats: shortest text that reads back to the same value ---- */

/* Formats mantissa digits (no dot) and decimal exponent the way PostgreSQL's float out does:
 * plain notation when -4 <= exp < sci_limit, else d.ddde+XX. */
static void float_layout(ubuf_t *out, bool neg, const char *digits, int nd, int exp, int limit)
{
    if (neg)
        ubuf_putc(out, '-');
    if (exp < -4 || exp >= limit) {
        ubuf_putc(out, digits[0]);
        if (nd > 1) {
            ubuf_putc(out, '.');
            ubuf_append(out, digits + 1, (size_t)nd - 1);
        }
        ubuf_printf(out, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
    } else if (exp < 0) {
        ubuf_puts(out, "0.");
        for (int i = -1; i > exp; i--)
            ubuf_putc(out, '0');
        ubuf_append(out, digits, (size_t)nd);
    } else {
        for (int i = 0; i <= exp || i < nd; i++) {
            if (i == exp + 1)
                ubuf_putc(out, '.');
            ubuf_putc(out, i < nd ? digits[i] : '0');
        }
    }
}

/* Finds the fewest significant digits (1..maxprec) that round-trip; fills digits/exp. */
static int shortest_digits(double v, bool is_float, int maxprec, char *digits, int *exp)
{
    char buf[40];
    for (int prec = 1; prec <= maxprec; prec++) {
        snprintf(buf, sizeof buf, "%.*e", prec - 1, v);
        bool same = is_float ? strtof(buf, NULL) == (float)v : strtod(buf, NULL) == v;
        if (same || prec == maxprec) {
            int nd = 0;
            char *e = strchr(buf, 'e');
            for (char *c = buf; c < e; c++)
                if (*c >= '0' && *c <= '9')
                    digits[nd++] = *c;
            while (nd > 1 && digits[nd - 1] == '0')
                nd--;
            *exp = atoi(e + 1);
            return nd;
        }
    }
    return 0;
}

static bool float_special(ubuf_t *out, double v)
{
    if (isnan(v))
        ubuf_puts(out, "NaN");
    else if (isinf(v))
        ubuf_puts(out, v > 0 ? "Infinity" : "-Infinity");
    else if (v == 0)
        ubuf_puts(out, signbit(v) ? "-0" : "0");
    else
        return false;
    return true;
}

void pgt_text_float8(ubuf_t *out, double v)
{
    char digits[24];
    int exp;
    if (float_special(out, v))
        return;
    int nd = shortest_digits(fabs(v), false, 17, digits, &exp);
    float_layout(out, v < 0, digits, nd, exp, 15);
}

void pgt_text_float4(ubuf_t *out, float v)
{
    char digits[24];
    int exp;
    if (float_special(out, v))
        return;
    int nd = shortest_digits(fabs((double)v), true, 9, digits, &exp);
    float_layout(out, v < 0, digits, nd, exp, 6);
}

/* ---- bytea, uuid, arrays, json ---- */

static const char hexdig[] = "0123456789abcdef";

void pgt_text_bytea(ubuf_t *out, const uint8_t *p, size_t n)
{
    ubuf_reserve(out, 2 + 2 * n);
    char *w = out->data + out->len;
    *w++ = '\\';
    *w++ = 'x';
    for (size_t i = 0; i < n; i++) {
        *w++ = hexdig[p[i] >> 4];
        *w++ = hexdig[p[i] & 15];
    }
    out->len += 2 + 2 * n;
}

void pgt_text_uuid(ubuf_t *out, const uint8_t b[16])
{
    ubuf_reserve(out, 36);
    char *w = out->data + out->len;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *w++ = '-';
        *w++ = hexdig[b[i] >> 4];
        *w++ = hexdig[b[i] & 15];
    }
    out->len += 36;
}

static bool elem_needs_quotes(const char *s, size_t n)
{
    if (n == 0 || (n == 4 && (s[0] | 32) == 'n' && (s[1] | 32) == 'u' && (s[2] | 32) == 'l' &&
                   (s[3] | 32) == 'l'))
        return true;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '{' || c == '}' || c == ',' || c == '"' || c == '\\' || c == ' ' || c == '\t' ||
            c == '\n' || c == '\r' || c == '\v' || c == '\f')
            return true;
    }
    return false;
}

void pgt_text_array_elem(ubuf_t *out, const char *s, size_t n)
{
    if (!elem_needs_quotes(s, n)) {
        ubuf_append(out, s, n);
        return;
    }
    ubuf_putc(out, '"');
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"' || s[i] == '\\')
            ubuf_putc(out, '\\');
        ubuf_putc(out, s[i]);
    }
    ubuf_putc(out, '"');
}

void pgt_json_string(ubuf_t *out, const char *s, size_t n)
{
    ubuf_putc(out, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"': ubuf_puts(out, "\\\""); break;
        case '\\': ubuf_puts(out, "\\\\"); break;
        case '\n': ubuf_puts(out, "\\n"); break;
        case '\r': ubuf_puts(out, "\\r"); break;
        case '\t': ubuf_puts(out, "\\t"); break;
        case '\b': ubuf_puts(out, "\\b"); break;
        case '\f': ubuf_puts(out, "\\f"); break;
        default:
            if (c < 0x20)
                ubuf_printf(out, "\\u%04x", c);
            else
                ubuf_putc(out, (char)c);
        }
    }
    ubuf_putc(out, '"');
}
