/* copy: recognises PostgreSQL's client COPY statements, the ones whose data travels over the
 * connection (COPY ... TO STDOUT, COPY ... FROM STDIN), and parses their options. Other COPY
 * forms (to and from server-side files) are DuckDB's own statement and pass through. Pure
 * text processing over borrowed input. */
#ifndef DUCKD_SESSION_COPY_H
#define DUCKD_SESSION_COPY_H

#include <stdbool.h>
#include <stddef.h>

typedef enum { COPY_FMT_TEXT = 0, COPY_FMT_CSV, COPY_FMT_BINARY } copy_format_t;

typedef struct copy_opts {
    bool to_stdout;       /* COPY ... TO STDOUT (false: FROM STDIN) */
    char *query;          /* owned: TO STDOUT: the SELECT that produces the rows */
    char *table;          /* owned: the table's text as written (NULL for COPY (query)) */
    char *columns;        /* owned: the column list's text without parentheses, or NULL */
    copy_format_t format; /* FORMAT text | csv | binary */
    char delim;           /* DELIMITER: tab (text), ',' (csv) */
    char *null_str;       /* owned: NULL: "\N" (text), "" (csv) */
    bool header;          /* HEADER (csv) */
    char quote;           /* QUOTE (csv), '"' */
    char escape;          /* ESCAPE (csv), defaults to quote */
    /* FROM STDIN: the target as identifiers (quotes removed): name[0..nname) is
     * [catalog.][schema.]table, cols[0..ncols) the column list (ncols 0: every column). */
    char *name[3];
    size_t nname;
    char **cols;
    size_t ncols;
} copy_opts_t;

typedef enum {
    COPY_NOT_CLIENT = 0, /* not a COPY to STDOUT / from STDIN: run it as it is */
    COPY_OK,             /* *o filled; release with copy_opts_free */
    COPY_BAD             /* malformed or unsupported: *sqlstate and *message (static) say why */
} copy_parse_rc_t;

/* Parses one statement (no trailing semicolon). For TO STDOUT, o->query is the SELECT whose
 * rows are sent; for FROM STDIN it is "SELECT * FROM table", which describes the target. */
copy_parse_rc_t copy_parse(const char *stmt, size_t len, copy_opts_t *o, const char **sqlstate,
                           const char **message);
void copy_opts_free(copy_opts_t *o);

#endif
