/* tablefn: duckd's own read-only SQL table functions (duckd_info(), duckd_tables(), ...),
 * registered on the database through DuckDB's C API with a small generic shape: a fixed list
 * of columns of simple types, and rows produced by a callback that a higher layer supplies.
 * The engine knows nothing of what the rows mean; the callback is told which engine
 * connection's owner runs the query (eng_conn_set_owner), so it can decide what that caller
 * may see (an admin sees paths, others NULL).
 *
 * The callback runs once per execution of the query (also for a prepared statement executed
 * again), on a thread of DuckDB's while the caller's statement runs, so it must be
 * thread-safe; it may open engine connections of its own and run queries on them, but must
 * not use the calling connection. Rows are collected in memory: meant for small results. */
#ifndef DUCKD_ENGINE_TABLEFN_H
#define DUCKD_ENGINE_TABLEFN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"
#include "util/err.h"

/* Column types (SQL type in parentheses). */
typedef enum {
    ENG_TF_BOOL = 0,    /* BOOLEAN */
    ENG_TF_BIGINT,      /* BIGINT */
    ENG_TF_DOUBLE,      /* DOUBLE */
    ENG_TF_TEXT,        /* VARCHAR */
    ENG_TF_TIMESTAMPTZ, /* TIMESTAMP WITH TIME ZONE, from microseconds since the Unix epoch */
} eng_tf_type_t;

typedef struct eng_tf_col {
    const char *name;
    eng_tf_type_t type;
} eng_tf_col_t;

/* One value of a row, read according to its column's type. */
typedef struct eng_tf_val {
    bool null;
    bool b;        /* ENG_TF_BOOL */
    int64_t i;     /* ENG_TF_BIGINT; ENG_TF_TIMESTAMPTZ: microseconds since the epoch */
    double d;      /* ENG_TF_DOUBLE */
    const char *s; /* ENG_TF_TEXT: NUL-terminated, borrowed for the call; NULL = SQL NULL */
} eng_tf_val_t;

/* Convenience constructors. */
static inline eng_tf_val_t eng_tf_null(void) { return (eng_tf_val_t){.null = true}; }
static inline eng_tf_val_t eng_tf_bool(bool b) { return (eng_tf_val_t){.b = b}; }
static inline eng_tf_val_t eng_tf_int(int64_t i) { return (eng_tf_val_t){.i = i}; }
static inline eng_tf_val_t eng_tf_double(double d) { return (eng_tf_val_t){.d = d}; }
static inline eng_tf_val_t eng_tf_text(const char *s)
{
    return (eng_tf_val_t){.null = s == NULL, .s = s};
}

/* The rows a callback fills (owned by the engine). */
typedef struct eng_tf_rows eng_tf_rows_t;

/* The function's BIGINT argument i (0-based, i < nparams). */
int64_t eng_tf_arg(const eng_tf_rows_t *rows, size_t i);

/* Appends one row of exactly ncols values (the function's column count), typed as its
 * columns; text is copied. */
void eng_tf_add_row(eng_tf_rows_t *rows, const eng_tf_val_t *vals);

/* Produces the rows of one execution. `caller` is the owner of the engine connection that runs
 * the query (eng_conn_set_owner), NULL when it has none. Returns 0, or -1 with *err set: the
 * query then fails with the error's message. */
typedef int (*eng_tf_fill_fn)(void *ctx, void *caller, eng_tf_rows_t *rows, uerr_t *err);

/* What to register. Borrowed for the call (copied). */
typedef struct eng_tf_def {
    const char *name; /* SQL name, e.g. "duckd_info" */
    const eng_tf_col_t *cols;
    size_t ncols;
    eng_tf_fill_fn fill;
    void *ctx;      /* borrowed: must outlive the database */
    size_t nparams; /* BIGINT arguments the function takes (at most ENG_TF_MAX_PARAMS); a
                       NULL argument fails the query (22004) */
} eng_tf_def_t;
#define ENG_TF_MAX_PARAMS 4

/* Registers a table function (with nparams BIGINT parameters) on the database, for every connection
 * (opened before or after). Register before eng_db_lockdown. Returns 0, or -1 with *err set. */
int eng_tf_register(eng_db_t *db, const eng_tf_def_t *def, uerr_t *err)
    __attribute__((warn_unused_result));

/* A scalar function of one BIGINT argument returning BOOLEAN, with a side effect (never
 * folded into a constant; called once per row). `caller` is as for table functions. Returns
 * 0 with *out set, or -1 with *err set: the query then fails with the error's message and
 * SQLSTATE. A NULL argument gives NULL without a call. */
typedef int (*eng_sf_bool_fn)(void *ctx, void *caller, int64_t arg, bool *out, uerr_t *err);

/* Registers such a function on the database for every connection, before eng_db_lockdown.
 * `name` is copied; ctx is borrowed and must outlive the database. Returns 0, or -1 with
 * *err set. */
int eng_sf_register_bool(eng_db_t *db, const char *name, eng_sf_bool_fn fn, void *ctx, uerr_t *err)
    __attribute__((warn_unused_result));

/* A scalar function of one VARCHAR returning VARCHAR that answers from the caller's state
 * (e.g. a session's custom parameters): volatile, called once per row with the argument
 * (len bytes, NUL-terminated); returns the value (borrowed, copied at once) or NULL for
 * SQL NULL. `caller` is as for table functions (NULL on a connection without an owner). A
 * NULL argument gives NULL without a call. */
typedef const char *(*eng_sf_text_fn)(void *ctx, void *caller, const char *arg, size_t len);

/* Registers such a function, as eng_sf_register_bool does. */
int eng_sf_register_text(eng_db_t *db, const char *name, eng_sf_text_fn fn, void *ctx, uerr_t *err)
    __attribute__((warn_unused_result));

/* Names the owner of an engine connection (e.g. its sess_t), which table function callbacks
 * receive as `caller` for queries the connection runs. Borrowed: clear it (NULL) or close the
 * connection before the owner goes away. */
void eng_conn_set_owner(eng_conn_t *c, void *owner);

#endif
