/* engine: the only layer that talks to DuckDB.
 *
 * One eng_db_t owns the database; each client session owns one eng_conn_t (a DuckDB
 * connection), so transactions, temp tables, SET and prepared statements are per session.
 * Statements are prepared into eng_stmt_t, bound with client parameters and executed into an
 * eng_cursor_t that streams: rows are encoded (PostgreSQL text or binary format, see
 * types/pgtypes.h) one DuckDB chunk at a time and handed to the caller's row callback, so no
 * layer ever materialises a whole result. Every DuckDB error becomes a uerr_t with a SQLSTATE.
 *
 * Threading: an eng_conn_t and everything created from it is used by one thread at a time;
 * eng_conn_interrupt is the exception and may be called from any thread. */
#ifndef DUCKD_ENGINE_ENGINE_H
#define DUCKD_ENGINE_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

typedef struct eng_db eng_db_t;
typedef struct eng_conn eng_conn_t;
typedef struct eng_stmt eng_stmt_t;
typedef struct eng_cursor eng_cursor_t;

/* One DuckDB configuration option passed at open. */
typedef struct eng_option {
    const char *key;
    const char *value;
    const char *origin; /* where it came from, used in error messages */
} eng_option_t;

/* Opens the database. path NULL or ":memory:" = in-memory. Borrowed arguments are only used
 * during the call. On failure returns -1 with *err set (an option error names its origin). */
int eng_db_open(eng_db_t **out, const char *path, bool read_only, const eng_option_t *opts,
                size_t nopts, uerr_t *err) __attribute__((warn_unused_result));
/* Runs CHECKPOINT (best effort, unless read-only/in-memory) and closes the database. All
 * connections must be closed first. NULL is a no-op. */
void eng_db_close(eng_db_t *db);
/* What the sandbox locks once --init has run (eng_db_lockdown). Borrowed for the call. */
typedef struct eng_lockdown {
    const char *const *allowed_directories; /* clients may read (and admins write) here */
    size_t ndirectories;
    const char *const *allowed_paths; /* single files, likewise */
    size_t npaths;
    const char *const *allowed_configs; /* options that stay changeable (see session/guard.h) */
    size_t nconfigs;
} eng_lockdown_t;

/* Locks DuckDB down for untrusted clients, in this order: the allowed directories and paths,
 * external access off (one-way in DuckDB), no extension autoinstall/autoload, no community
 * extensions, no persistent secrets, then the configuration locked except allowed_configs.
 * Returns 0, or -1 with *err set naming the setting that failed. */
int eng_db_lockdown(eng_db_t *db, const eng_lockdown_t *l, uerr_t *err)
    __attribute__((warn_unused_result));
/* The catalog name of the served database ("memory" for an in-memory one). Static for the
 * database's lifetime. */
const char *eng_db_catalog(const eng_db_t *db);
/* What DuckDB's buffer manager holds now (duckdb_memory()) and its temporary files' size,
 * bytes, read on a private connection (thread-safe). Returns 0, or -1 with *err set. */
int eng_db_memory(eng_db_t *db, int64_t *used, int64_t *temp, uerr_t *err)
    __attribute__((warn_unused_result));
/* Runs CHECKPOINT on a private connection. */
int eng_db_checkpoint(eng_db_t *db, uerr_t *err);
/* The DuckDB library version string (static). */
const char *eng_version(void);
/* True when DuckDB knows a configuration option of this name. */
bool eng_option_known(const char *name);

int eng_conn_open(eng_db_t *db, eng_conn_t **out, uerr_t *err) __attribute__((warn_unused_result));
/* Closes the connection (rolling back any open transaction). NULL is a no-op. */
void eng_conn_close(eng_conn_t *c);
/* For a connection whose results only go out through eng_cursor_fetch_parquet, which takes
 * every DuckDB type: result columns of types the value encoders cannot send (GEOMETRY,
 * VARIANT, ...) are kept as they are instead of being cast to VARCHAR (or refused), and
 * eng_cursor_fetch refuses a cursor holding one (0A000). Default off. */
void eng_conn_keep_types(eng_conn_t *c, bool on);
/* Interrupts whatever the connection is running. Thread-safe; harmless when idle. */
void eng_conn_interrupt(eng_conn_t *c);
/* DuckDB's progress of the query the connection runs. */
typedef struct eng_progress {
    double percent;      /* 0..100 */
    uint64_t rows_done;  /* rows (or other units of work) processed so far */
    uint64_t rows_total; /* DuckDB's estimate of the total */
} eng_progress_t;
/* Reads the running query's progress (thread-safe, like eng_conn_interrupt). Returns false
 * when DuckDB has none: nothing runs, or the query is younger than the connection's
 * progress_bar_time, or enable_progress_bar is off on the connection (DuckDB only measures
 * progress when it is on: SET enable_progress_bar = true). */
bool eng_conn_progress(eng_conn_t *c, eng_progress_t *out);
/* Turns DuckDB's progress measurement on the connection off (measure false) or on. With it
 * on, DuckDB recomputes every pipeline's progress after each task it runs, for every query:
 * connections that nobody watches (the group-commit writer's) turn it off. Returns true when
 * the setting was changed (false: it already had that value, or DuckDB refused). */
bool eng_conn_measure_progress(eng_conn_t *c, bool measure);
/* Sets the connection's time zone: timestamptz values are shown in it (text results; binary
 * stays the UTC instant) and DuckDB's casts and date functions use it. `name` is an IANA zone
 * name, matched regardless of case; its proper spelling is written to canon (n bytes, for
 * SHOW and ParameterStatus). Returns 0, or -1 with 22023 in *err (unknown zone), leaving the
 * connection's zone unchanged. */
int eng_conn_set_timezone(eng_conn_t *c, const char *name, char *canon, size_t n, uerr_t *err)
    __attribute__((warn_unused_result));
/* Sets DuckDB's search_path of this connection to the schemas (names as they are, borrowed)
 * that exist, in order; n 0 restores DuckDB's default. *kept receives how many existed.
 * Returns 0, or -1 with *err set (22023) and DuckDB's default path back. */
int eng_conn_set_search_path(eng_conn_t *c, const char *const *schemas, size_t n, size_t *kept,
                             uerr_t *err) __attribute__((warn_unused_result));

/* What kind of statement (for CommandComplete tags and transaction tracking). */
typedef enum {
    ENG_KIND_OTHER = 0,
    ENG_KIND_SELECT,
    ENG_KIND_INSERT,
    ENG_KIND_UPDATE,
    ENG_KIND_DELETE,
    ENG_KIND_CREATE,
    ENG_KIND_DROP,
    ENG_KIND_ALTER,
    ENG_KIND_TRANSACTION,
    ENG_KIND_SET,
    ENG_KIND_COPY,
    ENG_KIND_EXPLAIN,
    ENG_KIND_PRAGMA,
    ENG_KIND_CALL,
    ENG_KIND_ATTACH,
    ENG_KIND_DETACH,
    ENG_KIND_LOAD,    /* INSTALL / LOAD / UPDATE EXTENSIONS */
    ENG_KIND_EXPORT,  /* EXPORT DATABASE */
    ENG_KIND_VACUUM,  /* VACUUM / ANALYZE */
    ENG_KIND_PREPARE, /* SQL-level PREPARE name AS ... */
    ENG_KIND_EXECUTE, /* SQL-level EXECUTE name */
} eng_kind_t;

/* A result column as the client sees it. */
typedef struct eng_col {
    const char *name; /* borrowed from the statement */
    uint32_t oid;     /* PostgreSQL type OID */
    int16_t typlen;
    int32_t typmod;
    const char *type_name; /* DuckDB's type ("INTEGER", "DECIMAL(18,3)", "VARCHAR[]") */
    const char *json_type; /* what its values are in ENG_FMT_JSON: "number", "string",
                              "boolean", "object", "array" or "json" (any) */
} eng_col_t;

/* Value encodings a cursor can produce, per column (eng_cursor_set_formats):
 * PostgreSQL's text and binary formats (the format codes of its protocol), a JSON literal
 * (numbers bare, strings/dates/times quoted and escaped, nested values as JSON arrays and
 * objects, NaN/Infinity as strings), or one RFC 4180 CSV field (quoted when it holds a comma,
 * quote, CR/LF or edge spaces, or is empty; booleans true/false; nested values as JSON).
 * NULL is always the value with len -1. */
enum { ENG_FMT_TEXT = 0, ENG_FMT_BINARY = 1, ENG_FMT_JSON = 2, ENG_FMT_CSV = 3 };

/* Prepares one SQL statement (the caller has already split a multi-statement string).
 * On success *out is owned by the caller (eng_stmt_free). A statement DuckDB expands into
 * several (PIVOT, ALTER TABLE ... ADD COLUMN with a volatile default) is handled as
 * engine/multi.c explains: a prefix of CREATEs runs here, a BEGIN ... COMMIT expansion
 * becomes a script (eng_stmt_is_script); other shapes fail with 0A000. */
int eng_prepare(eng_conn_t *c, const char *sql, eng_stmt_t **out, uerr_t *err)
    __attribute__((warn_unused_result));
void eng_stmt_free(eng_stmt_t *s);
eng_kind_t eng_stmt_kind(const eng_stmt_t *s);
size_t eng_stmt_nparams(const eng_stmt_t *s);
/* The PostgreSQL type OID DuckDB inferred for parameter i (0-based); text if unknown. */
uint32_t eng_stmt_param_oid(const eng_stmt_t *s, size_t i);
/* True when DuckDB could not infer parameter i's type (e.g. SELECT $1 || 'x'). */
bool eng_stmt_param_unresolved(const eng_stmt_t *s, size_t i);
size_t eng_stmt_ncols(const eng_stmt_t *s);
/* True for a statement DuckDB expanded into BEGIN ... COMMIT: each execution runs several
 * statements without that BEGIN and COMMIT, so the caller must run it inside a transaction
 * to keep it atomic. It has no parameters and describes no columns. */
bool eng_stmt_is_script(const eng_stmt_t *s);
/* Column i; the struct and its name stay valid until the statement is freed. */
const eng_col_t *eng_stmt_col(const eng_stmt_t *s, size_t i);
/* Gives result columns the names the client's dialect uses: column i (i < n) is named
 * names[i] (copied), or keeps DuckDB's name when names[i] is NULL. The statement's own
 * description (eng_stmt_col) and every cursor it opens afterwards (eng_cursor_col) carry the
 * new names. */
void eng_stmt_rename_cols(eng_stmt_t *s, const char *const *names, size_t n);

/* One parameter value as the client sent it. */
typedef struct eng_param {
    const uint8_t *data; /* NULL for SQL NULL */
    int32_t len;
    int16_t format; /* 0 text, 1 binary */
    uint32_t oid;   /* the type the client declared, 0 = unspecified */
} eng_param_t;

/* Binds all parameters (n must equal eng_stmt_nparams). Values are copied into DuckDB. */
int eng_bind(eng_stmt_t *s, const eng_param_t *params, size_t n, uerr_t *err)
    __attribute__((warn_unused_result));

/* Starts executing the bound statement. The cursor borrows the statement, which must outlive
 * it; only one cursor per connection may be open-and-unfinished at a time unless the earlier
 * one is materialised first (eng_cursor_materialize). */
int eng_execute(eng_stmt_t *s, eng_cursor_t **out, uerr_t *err) __attribute__((warn_unused_result));
void eng_cursor_free(eng_cursor_t *cur);

/* One encoded value handed to a row callback: len -1 is NULL. Borrowed for the call only. */
typedef struct eng_value {
    const char *data;
    int32_t len;
} eng_value_t;

/* Called once per row with `ncols` encoded values; returns 0 to go on, -1 to stop (the fetch
 * then returns -1 without setting err, e.g. when the client's socket died). */
typedef int (*eng_row_fn)(void *ctx, const eng_value_t *vals, size_t ncols);

/* Sets per-column output formats (0 text, 1 binary); n 0 = all text, 1 = applies to all. */
void eng_cursor_set_formats(eng_cursor_t *cur, const int16_t *formats, size_t n);
/* Caps the encoded size of one row at max_bytes (0 = no cap): a row that would be larger fails
 * eng_cursor_fetch with SQLSTATE 54000 before it is copied, so a huge value (repeat('x', 1e9))
 * costs no memory beyond DuckDB's own. */
void eng_cursor_set_max_row(eng_cursor_t *cur, size_t max_bytes);
/* Streams up to max_rows rows (0 = all) into fn. Sets *done when the result is exhausted.
 * Returns 0, or -1 with *err set on a DuckDB error (or with err unset if fn stopped). */
int eng_cursor_fetch(eng_cursor_t *cur, int64_t max_rows, eng_row_fn fn, void *ctx, int64_t *nrows,
                     bool *done, uerr_t *err) __attribute__((warn_unused_result));
/* Called with each piece of an Arrow IPC stream (whole encapsulated messages; data borrowed
 * for the call only). Returns 0 to go on, -1 to stop (the fetch then returns -1 with err
 * unset, e.g. when the client went away). */
typedef int (*eng_bytes_fn)(void *ctx, const void *data, size_t len);
/* Streams up to max_rows rows (0 = all) of the cursor as an Arrow IPC stream
 * (application/vnd.apache.arrow.stream, engine/arrow.c) into fn: the first call sends the
 * Schema message (made by DuckDB's Arrow export with the result's arrow options), the first
 * batch is preceded by the dictionaries of ENUM columns, each DuckDB chunk becomes one
 * RecordBatch (split into several when it would exceed ENG_ARROW_BATCH_BYTES, or when
 * max_rows ends inside it), and the call that reaches the end of the result sends the
 * end-of-stream marker and sets *done; later calls send nothing. Rows come from the same
 * source as eng_cursor_fetch (streaming, materialised), which may be mixed with it. A
 * statement without a result sends a schema of no columns and the end marker. Returns 0, or
 * -1 with *err set: 0A000 for a column type the encoder cannot write (checked at the first
 * call, before any byte is sent), 54000 for one row over max_row bytes, a DuckDB error; or
 * -1 with err unset when fn stopped. */
int eng_cursor_fetch_arrow(eng_cursor_t *cur, int64_t max_rows, eng_bytes_fn fn, void *ctx,
                           int64_t *nrows, bool *done, uerr_t *err)
    __attribute__((warn_unused_result));
/* The body size above which a chunk is sent as several record batches. */
#define ENG_ARROW_BATCH_BYTES (8u << 20)

/* How Parquet results are made (engine/parquet.c). Strings are copied. */
typedef struct eng_parquet_cfg {
    const char *dir;   /* where the private spool directory is created; NULL or "":
                          $TMPDIR, else /tmp */
    uint64_t memory;   /* the encoder's DuckDB memory_limit, bytes (0: 256 MiB) */
    uint64_t max_size; /* largest Parquet file, bytes; 0: Parquet results are refused */
} eng_parquet_cfg_t;
/* Sets how Parquet results are made; call before the first one (default: $TMPDIR, 256MB,
 * 1 GiB). */
void eng_db_set_parquet(eng_db_t *db, const eng_parquet_cfg_t *cfg);
/* Bytes of the Parquet file handed to fn per call of eng_cursor_fetch_parquet, at most. */
#define ENG_PARQUET_PIECE (256u << 10)
/* Streams the rest of the cursor's result as one Parquet file (application/vnd.apache.parquet).
 * The first call writes every remaining row into a file: a private in-memory DuckDB (the
 * encoder, opened at first use, reachable by no client SQL) runs COPY ... TO (FORMAT parquet)
 * in a private spool directory over a table function that hands it the cursor's chunks as
 * they are (vectors shared, not copied), so column names and types are exactly those of
 * DuckDB's own COPY TO. The file is opened and unlinked at once; then this and every later
 * call hand at most ENG_PARQUET_PIECE bytes of it to fn and set *done with the last byte.
 * *nrows receives the rows written (first call only). A statement without a result sends
 * nothing and is done. Returns 0, or -1 with *err set: the query's own error (or 57014 when
 * its connection is interrupted, which stops the encoder too), 54000 when the file outgrows
 * max_size, 53200 when the encoder runs out of its memory_limit, 0A000 when Parquet results
 * are refused, 58030 for a file error; or -1 with err unset when fn stopped. The spool file
 * never outlives the call that wrote it. */
int eng_cursor_fetch_parquet(eng_cursor_t *cur, eng_bytes_fn fn, void *ctx, int64_t *nrows,
                             bool *done, uerr_t *err) __attribute__((warn_unused_result));
/* The result's columns (0 for statements that return no rows). Valid until the cursor is
 * freed. */
size_t eng_cursor_ncols(const eng_cursor_t *cur);
const eng_col_t *eng_cursor_col(const eng_cursor_t *cur, size_t i);
/* Rows changed by an INSERT/UPDATE/DELETE (after the cursor is done), else -1. */
int64_t eng_cursor_rows_changed(const eng_cursor_t *cur);
/* True if the statement produces rows (a query result), false for DML counts / nothing. */
bool eng_cursor_has_rows(const eng_cursor_t *cur);
/* Buffers the rest of a streaming result in memory so another statement can run on the same
 * connection (PostgreSQL allows several open portals; DuckDB streams one at a time). */
int eng_cursor_materialize(eng_cursor_t *cur, uerr_t *err) __attribute__((warn_unused_result));
bool eng_cursor_is_streaming(const eng_cursor_t *cur);
/* Moves every row of cur not yet fetched into a new temporary table `table` (unquoted; the
 * caller picks a unique name) on connection dst, with columns c0, c1, ... of the result's
 * types, in order, so that row i of what remained has rowid i. The table lives in DuckDB's
 * buffer manager: it counts against memory_limit and spills to the temp directory. Only a
 * streaming query result that was not materialised can be spilled; cur is exhausted
 * afterwards (its columns stay valid). dst must be another connection than cur's (or cur must
 * be done with its connection). Returns 0 with *nrows set, or -1 with *err set (dst may then
 * hold a partial table, which the caller drops). */
int eng_cursor_spill(eng_cursor_t *cur, eng_conn_t *dst, const char *table, int64_t *nrows,
                     uerr_t *err) __attribute__((warn_unused_result));

/* ---- bulk appends (COPY ... FROM STDIN) ---- */

typedef struct eng_appender eng_appender_t;

/* Where a failed append went wrong, for the caller's error context. */
typedef struct eng_append_where {
    int64_t line;   /* the failing row's `line` as given to eng_appender_row; -1 when the
                     * failure is not one row's (a constraint checked as rows reach the table) */
    size_t col;     /* its column (0-based), SIZE_MAX when not one value's */
    char value[64]; /* the start of the value as the client sent it, when known */
    int value_len;  /* bytes in value, -1 when unknown */
} eng_append_where_t;

/* Opens an appender on catalog.schema.table (catalog and schema may be NULL: the defaults)
 * of connection c, filling the columns `cols` (unquoted names, in the order the rows give
 * them) or, when ncols is 0, every column; the others get their defaults. The rows go into
 * the connection's current transaction (each flush commits on its own otherwise). Rows are
 * converted into DuckDB data chunks; with `background`, a thread of the appender's own hands
 * full chunks to DuckDB (and DuckDB compresses and writes them) while the caller fills the
 * next ones (a bounded queue of chunks: the caller waits when it is full). Until
 * eng_appender_finish or
 * eng_appender_free the caller must not use the connection. On success *out is owned by the
 * caller (eng_appender_free). */
int eng_appender_open(eng_conn_t *c, const char *catalog, const char *schema, const char *table,
                      const char *const *cols, size_t ncols, bool background, eng_appender_t **out,
                      uerr_t *err) __attribute__((warn_unused_result));
size_t eng_appender_ncols(const eng_appender_t *a);
/* The PostgreSQL type OID of column i, in which a binary COPY sends its values. */
uint32_t eng_appender_col_oid(const eng_appender_t *a, size_t i);
/* Adds one row of n (= ncols) values, each in PostgreSQL's text (format 0) or binary
 * (format 1) representation, len -1 for NULL; values are copied. `line` is the row's number
 * for messages. A bad value fails here; DuckDB's own casts and the table's constraints fail
 * a later call (or eng_appender_finish) for rows added earlier. On failure returns -1 with
 * *err set and *where naming the row and value; the appender is then unusable and the
 * transaction must be rolled back. */
int eng_appender_row(eng_appender_t *a, const eng_value_t *vals, size_t n, int16_t format,
                     int64_t line, eng_append_where_t *where, uerr_t *err)
    __attribute__((warn_unused_result));
/* Hands every buffered row to the table; constraint violations are reported here. Returns 0,
 * or -1 with *err and *where set as for eng_appender_row. */
int eng_appender_finish(eng_appender_t *a, eng_append_where_t *where, uerr_t *err)
    __attribute__((warn_unused_result));
/* Stops the background thread (waiting for the chunk it is appending) and destroys the
 * appender (rows not yet finished are flushed into the transaction, which the caller rolls
 * back after a failure). NULL is a no-op. */
void eng_appender_free(eng_appender_t *a);

/* Maps a DuckDB error (type + message) to a SQLSTATE; exposed for tests. */
const char *eng_sqlstate_for(int duckdb_error_type, const char *message);

#endif
