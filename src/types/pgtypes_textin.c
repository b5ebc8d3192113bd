/* Fast-path parsers for parameters sent in text format. They exist so that the engine can
 * bind a value of exactly the type DuckDB inferred for a parameter (a VARCHAR value for an
 * INTEGER parameter makes DuckDB re-plan the statement at every execution). Each accepts only
 * the plain spellings of its type and returns false for anything else; the caller then binds
 * the text unchanged and DuckDB's cast decides (and words the error). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "types/pgtypes.h"

#define TEXTIN_MAX 64 /* longer input is never a plain number: let the engine handle it */

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Trims ASCII whitespace on both sides; false when nothing is left. */
static bool trim(const char **s, size_t *n)
{
    const char *p = *s;
    size_t len = *n;
    while (len && is_space(*p)) {
        p++;
        len--;
    }
    while (len && is_space(p[len - 1]))
        len--;
    *s = p;
    *n = len;
    return len > 0;
}

static bool digits_to_u64(const char *p, size_t n, uint64_t limit, uint64_t *v)
{
    uint64_t acc = 0;
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        unsigned d = (unsigned)(p[i] - '0');
        if (acc > (limit - d) / 10)
            return false;
        acc = acc * 10 + d;
    }
    *v = acc;
    return true;
}

bool pgt_parse_text_int(const char *s, size_t n, int64_t *v)
{
    bool neg = false;
    uint64_t mag;
    /* the common case, at most 18 digits (no overflow possible), checked on the way */
    if (n > 0 && n <= 18) {
        size_t i = s[0] == '-';
        int64_t acc = 0;
        for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
            acc = acc * 10 + (s[i] - '0');
        if (i == n && n > (size_t)(s[0] == '-')) {
            *v = s[0] == '-' ? -acc : acc;
            return true;
        }
    }
    if (!trim(&s, &n))
        return false;
    if (*s == '-' || *s == '+') {
        neg = *s == '-';
        s++;
        n--;
    }
    if (!digits_to_u64(s, n, neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX, &mag))
        return false;
    *v = neg ? (int64_t)(0 - mag) : (int64_t)mag;
    return true;
}

bool pgt_parse_text_uint(const char *s, size_t n, uint64_t *v)
{
    if (!trim(&s, &n))
        return false;
    if (*s == '+') {
        s++;
        n--;
    }
    return digits_to_u64(s, n, UINT64_MAX, v);
}

int pgt_parse_text_decimal(const char *s, size_t n, int width, int scale, int64_t *unscaled)
{
    bool neg = false, seen_dot = false, any = false;
    uint64_t acc = 0;
    int nint = 0, nfrac = 0; /* significant integer digits, fractional digits */

    if (width < 1 || width > 18 || scale < 0 || scale > width || !trim(&s, &n))
        return 0;
    if (*s == '-' || *s == '+') {
        neg = *s == '-';
        s++;
        n--;
    }
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '.' && !seen_dot) {
            seen_dot = true;
            continue;
        }
        if (c < '0' || c > '9')
            return 0;
        any = true;
        if (!seen_dot) {
            if (nint > 0 || c != '0')
                nint++;
            if (nint > width - scale)
                continue; /* keep scanning: still malformed (0) or plainly too large (-1) */
        } else if (++nfrac > scale) {
            continue; /* would need rounding: the engine's cast decides */
        }
        acc = acc * 10 + (uint64_t)(c - '0');
    }
    if (!any)
        return 0;
    if (nint > width - scale)
        return -1;
    if (nfrac > scale)
        return 0;
    for (; nfrac < scale; nfrac++)
        acc *= 10;
    *unscaled = neg ? -(int64_t)acc : (int64_t)acc;
    return 1;
}

/* Copies a plain decimal floating-point spelling into buf (NUL-terminated); false for
 * anything with other characters (hex floats, "inf", "nan", underscores). */
static bool float_text(const char *s, size_t n, char *buf)
{
    bool digit = false;
    if (!trim(&s, &n) || n >= TEXTIN_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= '0' && c <= '9')
            digit = true;
        else if (c != '.' && c != 'e' && c != 'E' && c != '+' && c != '-')
            return false;
    }
    memcpy(buf, s, n);
    buf[n] = '\0';
    return digit;
}

bool pgt_parse_text_double(const char *s, size_t n, double *v)
{
    char buf[TEXTIN_MAX];
    char *end;
    if (!float_text(s, n, buf))
        return false;
    errno = 0;
    *v = strtod(buf, &end);
    return *end == '\0' && end != buf && errno == 0;
}

bool pgt_parse_text_float(const char *s, size_t n, float *v)
{
    char buf[TEXTIN_MAX];
    char *end;
    if (!float_text(s, n, buf))
        return false;
    errno = 0;
    *v = strtof(buf, &end);
    return *end == '\0' && end != buf && errno == 0;
}

bool pgt_parse_text_bool(const char *s, size_t n, bool *v)
{
    char w[6];
    if (!trim(&s, &n) || n > 5)
        return false;
    for (size_t i = 0; i < n; i++)
        w[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
    w[n] = '\0';
    if (!strcmp(w, "t") || !strcmp(w, "true") || !strcmp(w, "1"))
        *v = true;
    else if (!strcmp(w, "f") || !strcmp(w, "false") || !strcmp(w, "0"))
        *v = false;
    else
        return false;
    return true;
}
