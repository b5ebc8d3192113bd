/* uerr: the error convention above the syscall level. A caller-owned struct carrying a
 * PostgreSQL SQLSTATE and a message; pgwire turns it into an ErrorResponse, http (later) into a
 * status code and a JSON body. */
#ifndef DUCKD_UTIL_ERR_H
#define DUCKD_UTIL_ERR_H

#include <stdbool.h>
#include <stddef.h>

typedef struct uerr {
    char sqlstate[6]; /* five characters + NUL; "" when no error is set */
    char *message;    /* owned, NULL when no error is set */
    char *detail;     /* owned, optional */
    char *hint;       /* owned, optional */
    int position;     /* 1-based character position in the query, 0 = none */
    char *context;    /* owned, optional: where it happened ("COPY t, line 3") */
} uerr_t;

#define UERR_INIT                                                                                  \
    {                                                                                              \
        {0}, NULL, NULL, NULL, 0, NULL                                                             \
    }

/* Sets (replacing any previous error) the SQLSTATE and a formatted message. */
void uerr_set(uerr_t *e, const char *sqlstate, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Sets the optional detail text (replaces any previous one). */
void uerr_set_detail(uerr_t *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void uerr_set_hint(uerr_t *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void uerr_set_context(uerr_t *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Releases everything and returns the struct to the no-error state. */
void uerr_clear(uerr_t *e);
/* Moves src's contents into dst (clearing dst first); src is left empty. */
void uerr_move(uerr_t *dst, uerr_t *src);

static inline bool uerr_isset(const uerr_t *e) { return e->message != NULL; }

#endif
