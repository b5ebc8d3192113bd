/* ubuf implementation: amortised doubling growth on top of the aborting allocator. */
#include "util/buf.h"

#include <stdio.h>
#include <stdlib.h>

#include "util/xalloc.h"

void ubuf_free(ubuf_t *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

void ubuf_grow(ubuf_t *b, size_t extra)
{
    size_t need = b->len + extra + 1; /* +1 keeps room for ubuf_cstr's NUL */
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    b->data = xrealloc(b->data, cap);
    b->cap = cap;
}

void ubuf_vprintf(ubuf_t *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    ubuf_reserve(b, 64);
    int n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
    if (n >= 0 && (size_t)n >= b->cap - b->len) {
        ubuf_reserve(b, (size_t)n + 1);
        n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap2);
    }
    va_end(ap2);
    if (n > 0)
        b->len += (size_t)n;
}

void ubuf_printf(ubuf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ubuf_vprintf(b, fmt, ap);
    va_end(ap);
}

void ubuf_consume(ubuf_t *b, size_t n)
{
    if (n >= b->len) {
        b->len = 0;
        return;
    }
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
}

const char *ubuf_cstr(ubuf_t *b)
{
    ubuf_reserve(b, 1);
    b->data[b->len] = '\0';
    return b->data;
}

void ubuf_put_ident(ubuf_t *b, const char *s)
{
    ubuf_putc(b, '"');
    for (; *s; s++) {
        if (*s == '"')
            ubuf_putc(b, '"');
        ubuf_putc(b, *s);
    }
    ubuf_putc(b, '"');
}
