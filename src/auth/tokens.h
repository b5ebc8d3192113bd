/* Bearer tokens of the HTTP API: a tokens file of "SHA256-HEX USER" lines ('#' comments and
 * blank lines allowed), where SHA256-HEX is the SHA-256 of the token in lower-case hex. The
 * token itself is never stored: `duckd token USER` makes a random one, prints it once and
 * appends its hash. A token stands for its user; the role comes from the users file. */
#ifndef DUCKD_AUTH_TOKENS_H
#define DUCKD_AUTH_TOKENS_H

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

#define TOK_FILE_MAX (16u << 20) /* refuse tokens files larger than 16 MiB */
#define TOK_MAX 512              /* longest token accepted, bytes */

/* Finds the user of `token` (len bytes) in the tokens file at path: hashes the token and
 * compares the hash with every line's in constant time. The file must be a regular file
 * that is neither group- nor world-writable. Its parsed lines are cached while a stat of the
 * file shows it unchanged (device, inode, size, modification and status-change times, and
 * modified more than 2 s before it was read), so an edit, a replacement or a chmod takes
 * effect at the next lookup. Thread-safe. Returns 1 with the user copied to user (size
 * bytes), 0 when no line matches (or the file is missing), or -1 with *err set (58030 I/O,
 * F0000 permissions or a malformed line). */
int tok_lookup(const char *path, const char *token, size_t len, char *user, size_t size,
               uerr_t *err) __attribute__((warn_unused_result));
/* Forgets the cached tokens file (tests; the cache needs no clearing otherwise). */
void tok_cache_clear(void);

/* Parses tokens-file text; calls fn(ctx, hash32, user, user_len) for each entry. Returns 0, or
 * -1 with *err set (F0000 naming "ORIGIN:LINE"). For the fuzzer and tok_lookup. */
int tok_parse(const char *text, size_t len, const char *origin,
              void (*fn)(void *ctx, const unsigned char *hash, const char *user, size_t n),
              void *ctx, uerr_t *err) __attribute__((warn_unused_result));

/* The `duckd token [--tokens-file PATH] USER` command (argv[0] is "token"): makes a random
 * token ("duckd_" and 43 base64url characters), appends "HASH USER" to the file (created with
 * mode 0600; fsynced), prints the token on stdout. Returns the process exit code. */
int tok_main(int argc, char **argv, const char *default_path);

#endif
