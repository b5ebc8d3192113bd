/* uerr implementation. */
#include "util/err.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

__attribute__((format(printf, 1, 0))) static char *uerr_vformat(const char *fmt, va_list ap)
{
    ubuf_t b = UBUF_INIT;
    ubuf_vprintf(&b, fmt, ap);
    ubuf_cstr(&b);
    return b.data;
}

void uerr_set(uerr_t *e, const char *sqlstate, const char *fmt, ...)
{
    uerr_clear(e);
    strncpy(e->sqlstate, sqlstate, 5);
    e->sqlstate[5] = '\0';
    va_list ap;
    va_start(ap, fmt);
    e->message = uerr_vformat(fmt, ap);
    va_end(ap);
}

void uerr_set_detail(uerr_t *e, const char *fmt, ...)
{
    free(e->detail);
    va_list ap;
    va_start(ap, fmt);
    e->detail = uerr_vformat(fmt, ap);
    va_end(ap);
}

void uerr_set_hint(uerr_t *e, const char *fmt, ...)
{
    free(e->hint);
    va_list ap;
    va_start(ap, fmt);
    e->hint = uerr_vformat(fmt, ap);
    va_end(ap);
}

void uerr_set_context(uerr_t *e, const char *fmt, ...)
{
    free(e->context);
    va_list ap;
    va_start(ap, fmt);
    e->context = uerr_vformat(fmt, ap);
    va_end(ap);
}

void uerr_clear(uerr_t *e)
{
    free(e->context);
    free(e->message);
    free(e->detail);
    free(e->hint);
    memset(e, 0, sizeof *e);
}

void uerr_move(uerr_t *dst, uerr_t *src)
{
    uerr_clear(dst);
    *dst = *src;
    memset(src, 0, sizeof *src);
}
