/* engine/bulk: many clients' INSERT rows into one table in one DuckDB statement.
 *
 * The group committer (session/gcommit.c) collects the rows of many sessions' autocommit
 * INSERTs and writes each table's rows with one prepared `INSERT INTO t (cols) SELECT ... FROM
 * duckd_rows(id)`: duckd_rows is a C table function that streams rows already converted by
 * the sessions into DuckDB vectors, so a batch costs one execution of a plan prepared once,
 * not a parse, bind and plan per row (an appender's flush is such a query, 0.4 ms each).
 *
 * - An eng_shape_t describes one target: a table and the columns a statement fills, with the
 *   column types and how each column travels (typed, or as text that DuckDB casts). Shapes are
 *   immutable once opened and may be shared by any threads.
 * - An eng_rows_t holds rows for one shape, converted by the session thread that owns it
 *   (eng_rows_add); a statement whose values do not convert exactly as DuckDB would take them
 *   is refused and runs the ordinary way instead.
 * - An eng_inserter_t is the prepared statement of one shape on the committer's connection;
 *   eng_inserter_run inserts any number of eng_rows_t of that shape in one execution.
 *
 * Threading: an eng_rows_t is used by one thread at a time (the session fills it, then hands it
 * to the committer until the batch is done); an eng_inserter_t by its connection's thread. */
#ifndef DUCKD_ENGINE_BULK_H
#define DUCKD_ENGINE_BULK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"
#include "util/err.h"

typedef struct eng_shape eng_shape_t;
typedef struct eng_rows eng_rows_t;
typedef struct eng_inserter eng_inserter_t;

/* Describes catalog.schema.table (NULL parts: the connection's defaults) filled through the
 * columns `cols` (unquoted names as DuckDB matches them; ncols 0 = every column in table
 * order), as seen by connection c. Returns 0 with *out owned by the caller (eng_shape_free),
 * or -1 with *err set (no such table, not a table, unknown column). */
int eng_shape_open(eng_conn_t *c, const char *catalog, const char *schema, const char *table,
                   const char *const *cols, size_t ncols, eng_shape_t **out, uerr_t *err)
    __attribute__((warn_unused_result));
void eng_shape_free(eng_shape_t *sh);
/* How many values each row has. */
size_t eng_shape_ncols(const eng_shape_t *sh);

/* One value of a row on its way into eng_rows_add. */
typedef enum {
    ENG_IN_NULL = 0,
    ENG_IN_TEXT,   /* a parameter in text format, of type oid */
    ENG_IN_STRING, /* a string literal: taken as DuckDB casts VARCHAR (a BLOB column's '\x41'
                      escapes, its booleans) or else run the ordinary way */
    ENG_IN_NUMBER, /* an unquoted numeric literal (only numeric columns take it here) */
    ENG_IN_BOOL,   /* TRUE / FALSE (only boolean columns take it here); data "t" or "f" */
    ENG_IN_BINARY  /* a parameter in PostgreSQL's binary format, of type oid */
} eng_in_kind_t;

typedef struct eng_in {
    eng_in_kind_t kind;
    const char *data; /* borrowed for the call */
    size_t len;
    uint32_t oid; /* the parameter's type (text or binary), 0 for literals */
} eng_in_t;

/* An empty row set for shape sh (borrowed: it must outlive the rows). */
eng_rows_t *eng_rows_new(const eng_shape_t *sh);
void eng_rows_free(eng_rows_t *r);
/* Drops every row (keeps the memory). */
void eng_rows_reset(eng_rows_t *r);
size_t eng_rows_count(const eng_rows_t *r);
/* Bytes of memory the rows hold (their buffers' capacity), for buffer_memory. */
size_t eng_rows_bytes(const eng_rows_t *r);
/* Drops the rows after the first nrows (a statement whose later row could not be added). */
void eng_rows_truncate(eng_rows_t *r, size_t nrows);
/* Converts and appends one row of n (= eng_shape_ncols) values, copying them. Returns 0, or
 * -1 when some value would not be taken exactly as DuckDB's own INSERT takes it (a number
 * into a text column, invalid UTF-8, a value this path does not convert): the row is not
 * added and the statement must run the ordinary way, where DuckDB decides. */
int eng_rows_add(eng_rows_t *r, const eng_in_t *vals, size_t n) __attribute__((warn_unused_result));

/* Prepares shape sh's INSERT on connection c (the committer's). On success *out is owned by
 * the caller (eng_inserter_free) and borrows sh and c, which must outlive it. */
int eng_inserter_open(eng_conn_t *c, const eng_shape_t *sh, eng_inserter_t **out, uerr_t *err)
    __attribute__((warn_unused_result));
void eng_inserter_free(eng_inserter_t *ins);
/* Inserts every row of parts[0..n) (each of the inserter's shape) with one execution, in the
 * connection's current transaction (or as its own autocommit statement). Returns 0 with
 * *nrows set, or -1 with *err set (a constraint, a cast DuckDB refused, a conflict: 40001). */
int eng_inserter_run(eng_inserter_t *ins, eng_rows_t *const *parts, size_t n, int64_t *nrows,
                     uerr_t *err) __attribute__((warn_unused_result));

/* Runs one fixed statement without a result (BEGIN, COMMIT, ROLLBACK) on c. */
int eng_conn_exec(eng_conn_t *c, const char *sql, uerr_t *err) __attribute__((warn_unused_result));

#endif
