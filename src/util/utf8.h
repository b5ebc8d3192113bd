/* uutf8: UTF-8 validation for text that enters the database from a client (COPY data). DuckDB
 * stores VARCHAR bytes as given, so invalid sequences must be refused before they get there,
 * as PostgreSQL refuses them for a UTF8 database. */
#ifndef DUCKD_UTIL_UTF8_H
#define DUCKD_UTIL_UTF8_H

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

/* True when s[0..n) is well-formed UTF-8 (no overlong forms, surrogates or code points above
 * U+10FFFF; NUL bytes are refused too, as PostgreSQL refuses them in text). When false and
 * bad is not NULL, *bad is the offset of the first offending byte. */
bool uutf8_valid(const char *s, size_t n, size_t *bad);
/* uutf8_valid as the SQL error PostgreSQL gives: 0, or -1 with *err set to 22021 naming the
 * first offending byte. */
int uutf8_check(const char *s, size_t n, uerr_t *err);

#endif
