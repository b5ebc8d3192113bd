/* fastins: recognises the INSERT statements that group commit can coalesce, without DuckDB.
 *
 * The shape it accepts is exactly `INSERT INTO name [(col, ...)] VALUES (v, ...)[, (...)]`
 * with an optional trailing semicolon, where name has one to three parts (quoted or not) and
 * every v is a plain string literal ('...', quotes doubled), a number with an optional sign,
 * NULL, TRUE, FALSE or a parameter ($n). Anything else — casts, functions, DEFAULT, E'' or
 * dollar quoting, ON CONFLICT, RETURNING, INSERT OR REPLACE, BY NAME, SELECT — is not
 * recognised and runs the ordinary way. Pure function over borrowed text; the result owns
 * copies of everything it needs. */
#ifndef DUCKD_SESSION_FASTINS_H
#define DUCKD_SESSION_FASTINS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    FASTINS_NULL = 0,
    FASTINS_STRING, /* text at off/len of the statement's bytes, quotes undone */
    FASTINS_NUMBER, /* text at off/len, sign included */
    FASTINS_TRUE,
    FASTINS_FALSE,
    FASTINS_PARAM /* $param (1-based) */
} fastins_kind_t;

typedef struct fastins_val {
    fastins_kind_t kind;
    uint32_t param;
    size_t off, len;
} fastins_val_t;

typedef struct fastins {
    char
        *name[3]; /* owned; the parts as given (quotes undone; DuckDB matches names without case) */
    size_t nname; /* 1..3 */
    char **cols;  /* owned; the listed columns, likewise */
    size_t ncols; /* 0: none listed */
    size_t nrows;
    size_t width;        /* values per row */
    fastins_val_t *vals; /* owned, nrows * width */
    char *bytes;         /* owned: the unquoted strings and numbers */
    uint32_t max_param;  /* the highest $n used, 0 for none */
} fastins_t;

/* Parses sql[0..len). Returns true with *out filled (release with fastins_free), or false with
 * *out untouched when the statement is not of the accepted shape. At most max_values values
 * are accepted (a larger VALUES list runs the ordinary way). */
bool fastins_parse(const char *sql, size_t len, size_t max_values, fastins_t *out);
void fastins_free(fastins_t *f);
/* True when every name part and column of f is one that PostgreSQL-dialect rewriting
 * (compat.h) never touches, so that compat_classify would return the statement's text
 * unchanged: none starts with pg_ (the catalog rewrites) or is a word those rewrites look for
 * (ANY, ALL, SOME, OPERATOR, COLLATE, current_user, session_user, current_role,
 * json_structure, json_deserialize_sql). The session then skips the rewriting altogether
 * (tests/unit/test_compat.c checks the claim). */
bool fastins_plain(const fastins_t *f);

#endif
