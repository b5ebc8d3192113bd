/* Internal declarations shared by the engine's files (engine.c, encode.c, errors.c).
 * Nothing outside src/engine/ includes this header. */
#ifndef DUCKD_ENGINE_INTERNAL_H
#define DUCKD_ENGINE_INTERNAL_H

#include <duckdb.h>
#include <pthread.h>

#include "engine/engine.h"
#include "util/buf.h"
#include "util/tz.h"

struct eng_conn {
    duckdb_connection con;
    utz_t *tz;   /* the session's TimeZone for timestamptz text (owned); NULL = UTC */
    char **path; /* the schemas of the search_path set on DuckDB (owned); NULL = default */
    size_t npath;
    void *owner;                 /* eng_conn_set_owner (borrowed); NULL none */
    idx_t conn_id;               /* DuckDB's id of con, set with the owner */
    struct eng_conn *owner_next; /* in tablefn.c's list of owned connections */
    eng_db_t *db;                /* the database it belongs to (borrowed) */
    bool keep_types;             /* eng_conn_keep_types */
    /* A connection of duckd's own working for this one's statement (the Parquet encoder's,
     * engine/parquet.c), interrupted with it; guarded by side_mu, a leaf lock. */
    pthread_mutex_t side_mu;
    duckdb_connection side;
    /* Bumped by every eng_conn_interrupt: DuckDB does not see an interrupt that arrives while
     * a statement is being planned (and clears it when execution starts), so eng_prepare and
     * eng_execute compare it before and after. */
    unsigned intr_seq;
};

/* c's interrupt count now (see intr_seq), and whether an interrupt came since `seq` was read:
 * then *err is 57014 (the session names the cause). */
unsigned eng__intr_seq(eng_conn_t *c);
bool eng__interrupted_since(eng_conn_t *c, unsigned seq, uerr_t *err);

/* Sets (or, with NULL, clears) c's side connection: eng_conn_interrupt interrupts it too. The
 * caller disconnects the side connection only after clearing it. */
void eng__conn_set_side(eng_conn_t *c, duckdb_connection side);

/* Takes the connection out of tablefn.c's list of owned connections (before it closes). */
void eng__conn_forget_owner(eng_conn_t *c);

/* Set-up every opened database gets (engine/sandbox.c): registers duckd's guard functions
 * and reads the served catalog's name into *catalog (owned by the caller). */
int eng__db_setup(duckdb_database db, char **catalog, uerr_t *err);
/* Registers the duckd_rows table function of engine/bulk.c on the database. */
int eng__bulk_register(duckdb_connection con, uerr_t *err);
/* Registers the PostgreSQL functions of engine/pgfuncs.c (jsonb_set, initcap, ...). */
int eng__pgfuncs_register(duckdb_connection con, uerr_t *err);
/* The DuckDB handle of an opened database (borrowed). */
duckdb_database eng__db_handle(eng_db_t *db);

/* ---- the Parquet encoder (engine/parquet.c) ---- */

/* The encoder state of a database: created with defaults by eng_db_open, freed (encoder closed,
 * spool directory removed) by eng_db_close. */
struct eng__pq *eng__pq_new(void);
void eng__pq_free(struct eng__pq *pq);
/* The database's encoder state (borrowed for the database's lifetime). */
struct eng__pq *eng__db_pq(eng_db_t *db);

/* DuckDB's integer types of at most 64 bits, signed or unsigned (TINYINT .. UBIGINT). */
bool eng__type_is_int(duckdb_type t);
/* Those, HUGEINT, UHUGEINT, DECIMAL, FLOAT and DOUBLE. */
bool eng__type_is_number(duckdb_type t);

/* DuckDB's inferred type of one parameter. A value bound with exactly this type lets DuckDB
 * reuse the prepared plan; any other type makes it re-bind and re-plan at every execution. */
typedef struct eng__ptype {
    duckdb_type type;
    uint8_t dec_width, dec_scale; /* DECIMAL only */
} eng__ptype_t;

struct eng_stmt {
    eng_conn_t *conn;
    duckdb_prepared_statement ps;
    eng_kind_t kind;
    size_t nparams;
    uint32_t *param_oids;   /* owned */
    bool *param_unresolved; /* owned: DuckDB could not infer the parameter's type */
    eng__ptype_t *ptypes;   /* owned: DuckDB's type of each parameter (exact-type binding) */
    size_t ncols;
    eng_col_t *cols; /* owned; names duckdb_free'd, except renamed ones */
    bool *renamed;   /* owned, NULL until eng_stmt_rename_cols: cols[i].name is ours (free) */
    ubuf_t scratch;  /* parameter conversion scratch */
    char *script;    /* owned: the text of a script expansion (multi.c), extracted
                        and run again at each execution (eng__script_start); else NULL */
};

/* The name eng_stmt_rename_cols gave s's column i (borrowed for s's life), or NULL. */
const char *eng__stmt_col_rename(const eng_stmt_t *s, size_t i);

/* engine/multi.c. After duckdb_prepare refused s's text as several statements: prepares
 * s->ps as described there. Returns 1 (s->ps prepared), 0 (not an expansion; nothing set),
 * or -1 with err set (s->ps / s->script may be set: the caller frees the statement). */
int eng__prepare_multi(eng_stmt_t *s, const char *sql, uerr_t *err);
/* Runs a script's statements up to its last one and prepares that one into s->ps, which
 * the caller then executes. 0, or -1 with err set. */
int eng__script_start(eng_stmt_t *s, uerr_t *err);

/* One client value on its way into DuckDB (engine/value.c): an exact DuckDB type duckd
 * parsed itself, VARCHAR text for DuckDB to cast, BLOB bytes, or SQLNULL. */
typedef struct eng__val {
    duckdb_type type;
    union {
        int64_t i;  /* signed and unsigned integers up to 32 bits, BIGINT, HUGEINT within int64 */
        uint64_t u; /* UBIGINT */
        double d;
        float f;
        bool b;
        duckdb_decimal dec;
        duckdb_date date;
        duckdb_time time;
        duckdb_timestamp ts; /* TIMESTAMP and TIMESTAMP_TZ */
        duckdb_interval iv;
    } v;
    const char *p; /* VARCHAR / BLOB: borrowed from the input or from the scratch buffer */
    size_t n;
} eng__val_t;

/* Converts one value in PostgreSQL's text (eng__val_text) or binary (eng__val_binary) format,
 * sent as type `oid`, for a target of DuckDB type *pt. `scratch` may receive converted bytes
 * that *out then borrows (valid until scratch is next reset). `what` names the value in error
 * messages ("parameter $2"). Returns 0, or -1 with *err set (22P02, 22P03, 22003, 0A000). */
int eng__val_text(const eng__ptype_t *pt, uint32_t oid, const char *d, size_t n, ubuf_t *scratch,
                  const char *what, eng__val_t *out, uerr_t *err);
int eng__val_binary(const eng__ptype_t *pt, uint32_t oid, const uint8_t *d, size_t n,
                    ubuf_t *scratch, const char *what, eng__val_t *out, uerr_t *err);
/* Hands a converted value to DuckDB: as parameter idx (1-based) of a prepared statement, or
 * as the next value of the appender's current row. DuckDB copies the value. */
duckdb_state eng__val_bind(duckdb_prepared_statement ps, idx_t idx, const eng__val_t *x);
duckdb_state eng__val_append(duckdb_appender a, const eng__val_t *x);

/* How one result column (or a nested child) is encoded: derived once per statement from its
 * DuckDB logical type. */
typedef struct eng__enc {
    duckdb_type type;     /* DuckDB type id */
    uint32_t oid;         /* PostgreSQL OID the client is told */
    uint32_t elem_oid;    /* for arrays: element OID */
    bool json;            /* STRUCT/MAP/JSON-ish: text is JSON */
    uint8_t dec_scale;    /* DECIMAL scale */
    uint8_t dec_width;    /* DECIMAL width */
    duckdb_type internal; /* DECIMAL / ENUM physical storage type */
    char **enum_dict;     /* ENUM dictionary (owned, duckdb_free'd strings) */
    uint32_t enum_n;
    idx_t array_size;          /* ARRAY fixed size */
    struct eng__enc *children; /* LIST/ARRAY: 1 child; STRUCT: n; MAP: key, value */
    char **child_names;        /* STRUCT field names (owned) */
    size_t nchildren;
    bool opaque; /* this type or a nested one is not encoded here (GEOMETRY, VARIANT, ...) */
    utz_t *tz;   /* zone timestamptz text is shown in (borrowed from the connection); NULL = UTC */
} eng__enc_t;

/* Builds the encoder for a logical type (borrowed). Always succeeds; a type it cannot encode
 * sets e->opaque, and such a column must not reach eng__encode (see eng_prepare). */
void eng__enc_init(eng__enc_t *e, duckdb_logical_type lt);
void eng__enc_free(eng__enc_t *e);
/* DuckDB's name of a logical type (borrowed), e.g. "DECIMAL(18,3)", "VARCHAR[]"; owned by
 * the caller (free). engine/typename.c */
char *eng__type_name(duckdb_logical_type lt);
/* The marker of a SQLSTATE in an error message duckd's own functions raise through DuckDB:
 * "[SQLSTATE 42501] message"; eng__set_error reports it with that SQLSTATE. */
#define ENG__SQLSTATE_MARK "[SQLSTATE "
/* The JSON type values of e take in ENG_FMT_JSON: "number", "string", "boolean", "object",
 * "array", or "json" (any JSON value). Static. */
const char *eng__json_type(const eng__enc_t *e);
/* True when lt, or a type nested in it, is one the encoders cannot send (what e->opaque of
 * its encoder would say, without building the encoder). */
bool eng__type_opaque(duckdb_logical_type lt);
/* Makes e and its nested encoders show timestamptz in zone tz (borrowed; NULL = UTC). */
void eng__enc_set_tz(eng__enc_t *e, utz_t *tz);
/* The RowDescription facts for an encoder. */
int16_t eng__enc_typlen(const eng__enc_t *e);
int32_t eng__enc_typmod(const eng__enc_t *e);

/* Appends the value at `row` of vector `v` in text (format 0) or binary (format 1). The value
 * must be valid (non-NULL); callers check validity first. Returns 0, or -1 when the value
 * (or an array element) lies beyond what PostgreSQL's binary format of its type can carry
 * (DuckDB's oldest dates and timestamps); `out` may then hold a partial value. */
int eng__encode(ubuf_t *out, const eng__enc_t *e, duckdb_vector v, idx_t row, int format)
    __attribute__((warn_unused_result));

/* Maps a logical type to a PostgreSQL OID for parameter descriptions. */
uint32_t eng__oid_for_type(duckdb_logical_type lt);

/* ---- what engine/arrow.c needs of a cursor (engine/cursor.c) ---- */

/* The cursor's DuckDB result (borrowed for the cursor's life). */
duckdb_result *eng__cursor_result(eng_cursor_t *cur);
/* The slot for the cursor's Arrow IPC state; eng_cursor_free calls eng__arrow_free on it. */
struct eng__arrow **eng__cursor_arrow(eng_cursor_t *cur);
void eng__arrow_free(struct eng__arrow *a);
/* The slot for the cursor's Parquet output (engine/parquet.c); eng_cursor_free calls
 * eng__pqout_free on it. */
struct eng__pqout **eng__cursor_parquet(eng_cursor_t *cur);
void eng__pqout_free(struct eng__pqout *o);
/* The connection the cursor's statement runs on (borrowed). */
eng_conn_t *eng__cursor_conn(eng_cursor_t *cur);
/* The cursor's max_row cap (eng_cursor_set_max_row), 0 = none. */
size_t eng__cursor_max_row(const eng_cursor_t *cur);

/* The unfetched rows [pos, rows) of the cursor's current chunk. */
typedef struct eng__chunk_view {
    duckdb_data_chunk chunk; /* borrowed: valid until the rows are advanced past or the cursor
                                is freed */
    idx_t pos, rows;
    uint64_t seq; /* differs for every chunk the cursor pulls */
} eng__chunk_view_t;

/* Fills *view with the current chunk's unfetched rows, pulling the next chunk (from the
 * stream or the materialised list, as eng_cursor_fetch does) when they are used up. Returns 1,
 * 0 at the end of the result (the cursor is then done), or -1 with *err set (a DuckDB error,
 * an interrupt). */
int eng__cursor_chunk(eng_cursor_t *cur, eng__chunk_view_t *view, uerr_t *err);
/* Marks n more rows of the current chunk as fetched. */
void eng__cursor_advance(eng_cursor_t *cur, idx_t n);

/* Fills *err from a DuckDB error (type may be DUCKDB_ERROR_INVALID when unknown). */
void eng__set_error(uerr_t *err, duckdb_error_type type, const char *msg);

#endif
