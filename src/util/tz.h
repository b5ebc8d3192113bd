/* Time zones for the session's TimeZone parameter: names are looked up and offsets computed
 * with ICU (libicu), never with a hand-made zone table. A utz_t belongs to one session (one
 * thread at a time) and caches the offset of the last span between two transitions, so the
 * encoders of a result ask ICU once per span rather than once per value. */
#ifndef DUCKD_UTIL_TZ_H
#define DUCKD_UTIL_TZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct utz utz_t;

/* Finds the zone called `name` (an IANA name such as "Asia/Kolkata", "UTC", matched without
 * regard to case, as PostgreSQL does) and writes its proper spelling into canon (n bytes).
 * Returns false for an unknown name or one longer than n - 1. */
bool utz_lookup(const char *name, char *canon, size_t n);
/* Opens the zone `name` (as utz_lookup spells it). Returns NULL if it is unknown. The caller
 * owns the result (utz_close). */
utz_t *utz_open(const char *name);
/* Takes one more reference to z (NULL passes through); every reference is released with
 * utz_close, the last one frees it. References are not thread-safe: one session's thread. */
utz_t *utz_ref(utz_t *z);
void utz_close(utz_t *z);
/* The zone's name, as given to utz_open (borrowed). */
const char *utz_name(const utz_t *z);
/* The offset east of UTC, in seconds, at the instant `micros` after 1970-01-01 00:00 UTC. */
int32_t utz_offset(utz_t *z, int64_t micros);

#endif
