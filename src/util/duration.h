/* udur: PostgreSQL's spelling of time-valued parameters (statement_timeout,
 * idle_session_timeout, ...): a number with an optional unit, milliseconds when unit-less. */
#ifndef DUCKD_UTIL_DURATION_H
#define DUCKD_UTIL_DURATION_H

#include <stdbool.h>
#include <stdint.h>

/* Parses text as PostgreSQL parses an integer parameter whose base unit is milliseconds:
 * optional blanks, a decimal number (a fraction is rounded), optional blanks, an optional unit
 * (us, ms, s, min, h, d; case-sensitive as in PostgreSQL), optional blanks. On success stores
 * the value in milliseconds in *ms and returns true; returns false when the text is not such a
 * value or the result is negative or above INT32_MAX (PostgreSQL's range for these). */
bool udur_parse_ms(const char *text, int64_t *ms) __attribute__((warn_unused_result));

#endif
