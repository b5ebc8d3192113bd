/* cursor_sql: the grammar of PostgreSQL's SQL-level cursor statements, DECLARE, FETCH, MOVE
 * and CLOSE (gram.y's DeclareCursorStmt, FetchStmt and ClosePortalStmt). csql_parse
 * recognises one statement's text and fills a csql_t; the session (sqlcursor.c) runs it.
 * Pure text processing over sqlscan tokens; nothing here allocates except the caller-owned
 * name in the result. */
#ifndef DUCKD_SESSION_CURSOR_SQL_H
#define DUCKD_SESSION_CURSOR_SQL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* FETCH ALL / FORWARD ALL / BACKWARD ALL: PostgreSQL's FETCH_ALL. */
#define CSQL_ALL INT64_MAX

typedef enum { CSQL_DECLARE = 1, CSQL_FETCH, CSQL_MOVE, CSQL_CLOSE } csql_kind_t;

/* FETCH/MOVE directions as PostgreSQL's parser leaves them: NEXT is FORWARD 1, PRIOR is
 * BACKWARD 1, FIRST is ABSOLUTE 1, LAST is ABSOLUTE -1, a bare count n is FORWARD n. */
typedef enum { CSQL_FORWARD = 0, CSQL_BACKWARD, CSQL_ABSOLUTE, CSQL_RELATIVE } csql_dir_t;

typedef struct csql {
    csql_kind_t kind;
    char *name; /* owned (csql_free): the cursor's name, case-folded unless quoted; NULL for
                 * CLOSE ALL */
    /* DECLARE */
    bool binary;
    bool scroll;      /* SCROLL */
    bool no_scroll;   /* NO SCROLL */
    bool hold;        /* WITH HOLD */
    size_t query_off; /* where the query after FOR starts in the statement's text */
    /* FETCH / MOVE */
    csql_dir_t dir;
    int64_t count; /* CSQL_ALL for ALL; may be negative (FORWARD -2 = BACKWARD 2) */
} csql_t;

/* Parses one statement (no trailing semicolon). Returns 0 when it is not a cursor statement
 * (the first word is not DECLARE/FETCH/MOVE/CLOSE), 1 with *out filled (release it with
 * csql_free), or -1 with *sqlstate and *message (static strings) set for a malformed one. */
int csql_parse(const char *sql, size_t len, csql_t *out, const char **sqlstate,
               const char **message);
void csql_free(csql_t *c);

#endif
