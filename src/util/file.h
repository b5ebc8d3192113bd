/* file: reading a small configuration file whole, with the checks a server owes its secrets. */
#ifndef DUCKD_UTIL_FILE_H
#define DUCKD_UTIL_FILE_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"
#include "util/err.h"

/* Appends the whole regular file at path (at most max bytes) to b. `what` names the file in
 * errors ("users file"). When it is missing and missing_ok, returns 0 with *exists false;
 * with private_only, refuses a group- or world-writable file. Returns 0, or -1 with *err set
 * (58030 for I/O, F0000 for a file of the wrong kind, size or mode). */
int ufile_read(const char *path, const char *what, size_t max, bool missing_ok, bool private_only,
               bool *exists, ubuf_t *b, uerr_t *err) __attribute__((warn_unused_result));

#endif
