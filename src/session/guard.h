/* guard: what a client may run. duckd serves one DuckDB database to many untrusted clients,
 * and DuckDB itself has no privilege boundary (most of its settings are server-wide, and SQL
 * can read files, attach databases and load extensions). The guard is that boundary: every
 * statement a client sends passes guard_statement (by DuckDB's own statement type plus a
 * token scan), and every SET/RESET/PRAGMA of a DuckDB option is rewritten by guard_set into a
 * session-scoped SET or refused. The tables in guard.c are the policy; docs/SECURITY.md
 * lists them. Pure: no DuckDB calls, no I/O. */
#ifndef DUCKD_SESSION_GUARD_H
#define DUCKD_SESSION_GUARD_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/engine.h"
#include "session/compat.h"
#include "util/buf.h"
#include "util/err.h"

/* A client's role (the users file assigns it; the OS user running duckd, on the Unix socket,
 * is admin). */
typedef enum {
    GUARD_ROLE_READ_ONLY = 0, /* reads only: anything else is refused with 25006 */
    GUARD_ROLE_READ_WRITE,    /* reads and writes the served database */
    GUARD_ROLE_ADMIN          /* also server-wide settings, ATTACH, files, extensions */
} guard_role_t;

/* The facts a decision depends on. Borrowed. */
typedef struct guard_ctx {
    guard_role_t role;
    bool db_read_only;   /* the server runs --read-only: nothing is written anywhere */
    const char *catalog; /* the served database's catalog name (never detached) */
    const char *user;    /* for messages and logs */
    bool (*option_known)(const char *name); /* is this a DuckDB option name? */
} guard_ctx_t;

/* Parses "read_only" / "read_write" / "admin"; returns -1 when unknown. */
int guard_role_parse(const char *s);
const char *guard_role_name(guard_role_t r);

/* Decides a SET-family statement that compat classified as COMPAT_DUCKDB_SET (c->param the
 * option, c->value its value text or NULL for RESET, c->set_scope the scope the client named).
 * On success writes the statement to run into *sql (session-scoped SET/RESET, or for an admin's
 * explicit SET GLOBAL / ALTER SYSTEM the global form, then *global is set) and returns 0; else
 * returns -1 with *err set (42501 not permitted, 42704 unknown option, 22023 bad value). */
int guard_set(const guard_ctx_t *g, const compat_t *c, ubuf_t *sql, bool *global, uerr_t *err)
    __attribute__((warn_unused_result));

/* Checks one statement before it runs: its DuckDB statement kind, its text (one statement)
 * and, for PREPARE / EXPLAIN ANALYZE, the kind of the statement inside (ENG_KIND_OTHER when
 * not applicable). Returns 0 when the role may run it, else -1 with *err set (42501, 25006,
 * 55006). `vetted_set` says the statement is a SET duckd generated itself (guard_set). */
int guard_statement(const guard_ctx_t *g, eng_kind_t kind, eng_kind_t inner_kind, bool vetted_set,
                    const char *sql, size_t len, uerr_t *err) __attribute__((warn_unused_result));

/* Where a statement has an inner statement whose kind matters (PREPARE name AS <stmt>,
 * EXPLAIN ANALYZE <stmt>): returns its byte offset in sql, or 0 when there is none. */
size_t guard_inner_statement(const char *sql, size_t len);

/* The DuckDB options that stay changeable once the configuration is locked (DuckDB's
 * allowed_configs): the session-scoped ones and those an admin may change server-wide.
 * Calls fn for each name. */
void guard_each_lockable_option(void (*fn)(void *ctx, const char *name), void *ctx);

/* True when the statement's text may carry a secret (CREATE SECRET, ATTACH with options,
 * anything naming a password or key), so logs must show it with string literals redacted. */
bool guard_is_sensitive(const char *sql, size_t len);
/* Appends sql to out with every string literal replaced by '***'. */
void guard_redact(const char *sql, size_t len, ubuf_t *out);

#endif
