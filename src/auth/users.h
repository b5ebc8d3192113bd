/* pgwire users file: one "NAME ROLE VERIFIER" line per user (PostgreSQL SCRAM verifiers), with
 * '#' comments and blank lines. Loading, lookup, an atomic rewrite that keeps every other line,
 * and the `duckd passwd` command that writes an entry. */
#ifndef DUCKD_AUTH_USERS_H
#define DUCKD_AUTH_USERS_H

#include <stdbool.h>
#include <stddef.h>

#include "session/guard.h"
#include "util/err.h"

#define PGW_USER_NAME_MAX 63           /* bytes, as PostgreSQL's NAMEDATALEN - 1 */
#define PGW_USERS_FILE_MAX (16u << 20) /* refuse users files larger than 16 MiB */

typedef struct pgw_user {
    char *name; /* owned: 1..63 bytes, no whitespace, control characters or ':' */
    guard_role_t role;
    char *verifier; /* owned: "SCRAM-SHA-256$..." (validated by pgw_scram_parse_verifier) */
} pgw_user_t;

typedef struct pgw_users {
    pgw_user_t *users; /* owned array, in file order */
    size_t n;
} pgw_users_t;

/* "read_only" / "read_write" / "admin". */
/* True when name[0..n) is a valid user name (see pgw_user_t). */
bool pgw_user_name_valid(const char *name, size_t n);

/* Parses users-file text (len bytes; NUL bytes are refused). `origin` names the source in
 * error messages ("PATH:LINE: ..."). Rejects unknown roles, invalid names or verifiers, extra
 * fields and duplicate names. Returns 0 with a table the caller frees with pgw_users_free, or
 * -1 with *err set (F0000) and *out NULL. */
int pgw_users_parse(const char *text, size_t len, const char *origin, pgw_users_t **out,
                    uerr_t *err) __attribute__((warn_unused_result));
/* Reads and parses the file at `path`. The file must be a regular file that is neither group-
 * nor world-writable (anyone who can write it can grant themselves access); a world-readable
 * file is accepted, as verifiers are salted hashes, but 0600 is what pgw_users_set writes.
 * Returns 0 with a table (free with pgw_users_free), or -1 with *err set (58030 for I/O,
 * F0000 for permissions and content). */
int pgw_users_load(const char *path, pgw_users_t **out, uerr_t *err)
    __attribute__((warn_unused_result));
/* Finds a user by exact name; returns a pointer borrowed from `u`, or NULL. */
const pgw_user_t *pgw_users_find(const pgw_users_t *u, const char *name);
/* Frees a table; NULL is ignored. */
void pgw_users_free(pgw_users_t *u);

/* Adds or replaces `name`'s entry in the file at `path`, keeping every other line (comments
 * included) byte for byte. The file is created if missing. The new contents are written to a
 * temporary file in the same directory with mode 0600, fsynced, renamed over `path`, and the
 * directory is fsynced, so readers see the old or the new file, never a mix. An existing file
 * that does not parse is left alone. Returns 0, or -1 with *err set. */
int pgw_users_set(const char *path, const char *name, guard_role_t role, const char *verifier,
                  uerr_t *err) __attribute__((warn_unused_result));

/* The `duckd passwd [--users-file PATH] [--role ROLE] USER` command. argv[0] is the command
 * name ("passwd"), so main calls it as pgw_users_passwd_main(argc - 1, argv + 1, default) when
 * argv[1] is "passwd". The password is the first line of stdin when stdin is not a terminal,
 * else it is prompted for twice with echo off. A new user gets read_write unless --role is
 * given; an existing user keeps their role. Prints the result to stdout and errors to stderr;
 * returns the process exit code (0 or 1). */
int pgw_users_passwd_main(int argc, char **argv, const char *default_path);

#endif
