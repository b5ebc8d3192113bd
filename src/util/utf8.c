/* UTF-8 validation (see utf8.h): an ASCII fast path eight bytes at a time, then the
 * well-formed byte sequences of the Unicode standard (table 3-7). */
#include "util/utf8.h"

#include <stdint.h>
#include <string.h>

bool uutf8_valid(const char *s, size_t n, size_t *bad)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        if (n - i >= 8) {
            uint64_t w;
            memcpy(&w, p + i, 8);
            /* no byte has its high bit set and none is zero */
            if (!(w & 0x8080808080808080ull) &&
                !((w - 0x0101010101010101ull) & ~w & 0x8080808080808080ull)) {
                i += 8;
                continue;
            }
        }
        unsigned c = p[i];
        size_t len;
        unsigned lo = 0x80, hi = 0xBF; /* the range of the second byte */
        if (c == 0)
            goto fail;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF)
            len = 2;
        else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            if (c == 0xE0)
                lo = 0xA0; /* overlong */
            else if (c == 0xED)
                hi = 0x9F; /* surrogates */
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            if (c == 0xF0)
                lo = 0x90; /* overlong */
            else if (c == 0xF4)
                hi = 0x8F; /* above U+10FFFF */
        } else
            goto fail;
        if (n - i < len || p[i + 1] < lo || p[i + 1] > hi)
            goto fail;
        for (size_t k = 2; k < len; k++)
            if ((p[i + k] & 0xC0) != 0x80)
                goto fail;
        i += len;
    }
    return true;
fail:
    if (bad)
        *bad = i;
    return false;
}

int uutf8_check(const char *s, size_t n, uerr_t *err)
{
    size_t at = 0;
    if (uutf8_valid(s, n, &at))
        return 0;
    uerr_set(err, "22021", "invalid byte sequence for encoding \"UTF8\": 0x%02x",
             (unsigned char)s[at]);
    return -1;
}
