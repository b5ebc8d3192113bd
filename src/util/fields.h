/* ufields: the line-and-field splitting of duckd's small text files (the users file, the
 * access rules): lines end at '\n' (a trailing '\r' is ignored), fields are runs of non-blank
 * bytes separated by spaces or tabs. Pure functions over borrowed text. */
#ifndef DUCKD_UTIL_FIELDS_H
#define DUCKD_UTIL_FIELDS_H

#include <stdbool.h>
#include <stddef.h>

#define UFIELDS_MAX 8

/* One line's fields, borrowed from the line. */
typedef struct ufields {
    const char *f[UFIELDS_MAX]; /* field starts */
    size_t n[UFIELDS_MAX];      /* field lengths */
    int count;                  /* fields found; == max means "max or more" */
} ufields_t;

/* Splits line[0..len) into at most max (<= UFIELDS_MAX) fields. */
void ufields_split(const char *line, size_t len, int max, ufields_t *fs);

/* The next line of text[0..len) starting at *pos: sets *line and *n (without the newline),
 * advances *pos past it and returns true; false at the end of the text. */
bool ulines_next(const char *text, size_t len, size_t *pos, const char **line, size_t *n);

/* True for a line without fields or whose first field starts with '#'. */
static inline bool ufields_skip(const ufields_t *fs)
{
    return fs->count == 0 || fs->f[0][0] == '#';
}

#endif
