/* Internal allocation with an explicit out-of-memory policy: small internal allocations abort
 * the process on failure (there is no sane recovery), while sizes a client controls are capped
 * by their callers before they ever reach these functions. */
#ifndef DUCKD_UTIL_XALLOC_H
#define DUCKD_UTIL_XALLOC_H

#include <stddef.h>

/* Each returns memory owned by the caller (release with free()); never returns NULL. */
void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

#endif
