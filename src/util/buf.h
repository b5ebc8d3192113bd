/* ubuf: a growable byte buffer used for building protocol messages and encoded values.
 * The buffer owns its storage; growth aborts on out-of-memory (see xalloc.h), so callers that
 * append client-controlled amounts must cap them first. */
#ifndef DUCKD_UTIL_BUF_H
#define DUCKD_UTIL_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct ubuf {
    char *data; /* owned storage, NULL until the first append */
    size_t len; /* bytes in use */
    size_t cap; /* bytes allocated */
} ubuf_t;

#define UBUF_INIT                                                                                  \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

/* Releases the storage and resets the buffer to empty; safe on an initialised empty buffer. */
void ubuf_free(ubuf_t *b);
/* Makes room for at least `extra` more bytes beyond len. */
void ubuf_grow(ubuf_t *b, size_t extra);
/* Appends formatted text (no NUL is counted in len). */
void ubuf_printf(ubuf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ubuf_vprintf(ubuf_t *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Removes the first n bytes, shifting the rest down. */
void ubuf_consume(ubuf_t *b, size_t n);
/* Appends s as a double-quoted SQL identifier (inner quotes doubled). */
void ubuf_put_ident(ubuf_t *b, const char *s);
/* Returns a NUL-terminated view of the contents (the NUL is not counted in len). */
const char *ubuf_cstr(ubuf_t *b);

static inline void ubuf_reserve(ubuf_t *b, size_t extra)
{
    if (b->cap - b->len < extra)
        ubuf_grow(b, extra);
}

static inline void ubuf_reset(ubuf_t *b) { b->len = 0; }

static inline void ubuf_append(ubuf_t *b, const void *p, size_t n)
{
    ubuf_reserve(b, n);
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
}

static inline void ubuf_puts(ubuf_t *b, const char *s) { ubuf_append(b, s, strlen(s)); }

static inline void ubuf_putc(ubuf_t *b, char c)
{
    ubuf_reserve(b, 1);
    b->data[b->len++] = c;
}

static inline void ubuf_put_u16be(ubuf_t *b, uint16_t v)
{
    ubuf_reserve(b, 2);
    unsigned char *p = (unsigned char *)b->data + b->len;
    p[0] = (unsigned char)(v >> 8);
    p[1] = (unsigned char)v;
    b->len += 2;
}

static inline void ubuf_put_u32be(ubuf_t *b, uint32_t v)
{
    ubuf_reserve(b, 4);
    unsigned char *p = (unsigned char *)b->data + b->len;
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
    b->len += 4;
}

static inline void ubuf_put_u64be(ubuf_t *b, uint64_t v)
{
    ubuf_put_u32be(b, (uint32_t)(v >> 32));
    ubuf_put_u32be(b, (uint32_t)v);
}

/* Overwrites 4 bytes at `off` (which must already be in use) with v in network order. */
static inline void ubuf_patch_u32be(ubuf_t *b, size_t off, uint32_t v)
{
    unsigned char *p = (unsigned char *)b->data + off;
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

#endif
