/* compat: the PostgreSQL dialect layer. PostgreSQL clients send statements DuckDB does not
 * know or answers differently (BEGIN ISOLATION LEVEL ..., SET application_name, SHOW
 * standard_conforming_strings, pg_catalog.version(), current_setting('server_version_num')).
 * compat_classify recognises them in one statement's text and tells the session what to do:
 * handle it itself, or run a rewritten statement on DuckDB; compat_rewrite does the
 * expression-level rewrites (pg_catalog tables with PostgreSQL's type OIDs, reg* casts,
 * OPERATOR(...), ...). Pure text processing: nothing here touches DuckDB. */
#ifndef DUCKD_SESSION_COMPAT_H
#define DUCKD_SESSION_COMPAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    COMPAT_PASS = 0,    /* run `sql` on DuckDB (maybe rewritten) */
    COMPAT_BEGIN,       /* start a transaction block */
    COMPAT_COMMIT,      /* end the block (COMMIT / END) */
    COMPAT_ROLLBACK,    /* abort the block (ROLLBACK / ABORT) */
    COMPAT_SET_PARAM,   /* SET/RESET of a PostgreSQL-only parameter: the session stores it */
    COMPAT_NOOP,        /* accepted and ignored (SET TRANSACTION ..., DISCARD ALL, ...) */
    COMPAT_DEALLOCATE,  /* DEALLOCATE name / ALL: drop prepared statements */
    COMPAT_COPY_OUT,    /* COPY ... TO STDOUT: run `sql` and send its rows as COPY data */
    COMPAT_COPY_IN,     /* COPY ... FROM STDIN: `sql` describes the target table */
    COMPAT_DUCKDB_SET,  /* SET/RESET/PRAGMA/ALTER SYSTEM of a DuckDB option: session/guard.h
                           decides and writes the statement to run (param, value, set_scope) */
    COMPAT_SAVEPOINT,   /* SAVEPOINT `param` */
    COMPAT_RELEASE,     /* RELEASE [SAVEPOINT] `param` */
    COMPAT_ROLLBACK_TO, /* ROLLBACK TO [SAVEPOINT] `param`: honoured when nothing changed since */
    COMPAT_STEPS,       /* several DuckDB statements run as one, in one transaction: `steps`
                           (SERIAL / identity columns, compat_serial); `tag` answers */
    COMPAT_ALTER,       /* ALTER TABLE the session runs step by step (`alter`, compat_alter.h) */
    COMPAT_CURSOR,      /* DECLARE / FETCH / MOVE / CLOSE (`cursor`); for DECLARE, `sql` is the
                           cursor's query */
    COMPAT_ADVISORY,    /* SELECT pg_advisory_lock(...) and its kin alone (`adv`): the session
                           takes or releases the advisory lock (session/advlock.h); `sql`, when
                           set, evaluates the arguments (one BIGINT or two INTEGER columns) */
    COMPAT_ERROR        /* unsupported: `message` explains, `sqlstate` classifies */
} compat_action_t;

/* What a COMPAT_ADVISORY statement does. */
typedef enum {
    COMPAT_ADV_LOCK = 0,  /* pg_advisory[_xact]_lock[_shared]: waits; returns void */
    COMPAT_ADV_TRY,       /* pg_try_advisory[_xact]_lock[_shared]: returns bool */
    COMPAT_ADV_UNLOCK,    /* pg_advisory_unlock[_shared]: returns bool */
    COMPAT_ADV_UNLOCK_ALL /* pg_advisory_unlock_all(): returns void */
} compat_adv_op_t;

typedef struct compat_adv {
    const char *fn; /* static: the function's name, e.g. "pg_try_advisory_lock" */
    compat_adv_op_t op;
    bool shared;   /* the _shared variants */
    bool xact;     /* the _xact_ variants (released when the transaction ends) */
    char *colname; /* owned: the result column's name (the function's, or the alias) */
    size_t nargs;  /* 0 (unlock_all), 1 (bigint key) or 2 (int, int key) */
    bool literal;  /* the arguments are integer literals, in lit (no `sql` to evaluate) */
    int64_t lit[2];
} compat_adv_t;

/* The scope a SET-family statement names. */
typedef enum {
    COMPAT_SCOPE_DEFAULT = 0, /* SET x = v, RESET x, PRAGMA x = v */
    COMPAT_SCOPE_SESSION,     /* SET SESSION x = v */
    COMPAT_SCOPE_LOCAL,       /* SET LOCAL x = v */
    COMPAT_SCOPE_GLOBAL       /* SET GLOBAL x = v, ALTER SYSTEM SET x = v */
} compat_scope_t;

typedef struct compat {
    compat_action_t action;
    char *sql;            /* owned: statement to run for COMPAT_PASS / COMPAT_BEGIN... */
    const char *tag;      /* static command tag override, or NULL to derive from the kind */
    char *param;          /* owned: SET_PARAM canonical name / DUCKDB_SET option name as written /
                             DEALLOCATE name (NULL = ALL) */
    char *value;          /* owned: SET_PARAM value (NULL = reset to default); DUCKDB_SET value text
                             exactly as written (NULL = RESET) */
    const char *sqlstate; /* COMPAT_ERROR */
    const char *message;  /* COMPAT_ERROR (static) */
    struct copy_opts *copy;     /* owned: COMPAT_COPY_*'s format and options (session/copy.h) */
    struct compat_alter *alter; /* owned: COMPAT_ALTER's steps (session/compat_alter.h) */
    struct csql *cursor;        /* owned: COMPAT_CURSOR's statement (session/cursor_sql.h) */
    compat_scope_t set_scope;   /* COMPAT_DUCKDB_SET / COMPAT_SET_PARAM: the scope named */
    bool set_vetted;            /* a SET-kind statement that may run as it is (USE, SET VARIABLE) */
    struct compat_adv *adv;     /* owned: COMPAT_ADVISORY's function and arguments */
    bool set_config;            /* SELECT set_config(name, value, is_local): a COMPAT_SET_PARAM
                                   or COMPAT_DUCKDB_SET that answers one row, `sql` (a SELECT
                                   of the new value, column set_config) */
    char *set_sql;              /* owned: set_config of a DuckDB option: the vetted SET */
    char **steps;               /* owned: COMPAT_STEPS's statements, in order */
    size_t nsteps;
} compat_t;

/* Looks up the current value of a PostgreSQL parameter for SHOW / current_setting(). */
typedef const char *(*compat_get_fn)(void *ctx, const char *name);

/* Classifies one statement (no trailing semicolon) and fills *out; the caller releases it
 * with compat_free. Never fails for well-formed input; unknown statements pass unchanged. */
void compat_classify(const char *stmt, size_t len, compat_get_fn get, void *ctx, compat_t *out);
/* The same for a session that speaks DuckDB's own SQL (the HTTP API): only what the session
 * must see itself is classified (transaction control, SET-family statements for the guard,
 * COPY to/from the client); everything else passes unchanged. */
void compat_classify_duckdb(const char *stmt, size_t len, compat_t *out);
void compat_free(compat_t *c);

/* The expression-level rewrites compat_classify applies to statements it passes to DuckDB:
 * PostgreSQL-only syntax (OPERATOR(pg_catalog.~), COLLATE pg_catalog.default, ::regclass,
 * '{1,2}'::int[]), functions (version(), current_setting(), pg_get_userbyid(), format_type())
 * and pg_catalog tables with PostgreSQL's contents (pg_type, pg_attribute, pg_namespace, ...).
 * Returns the rewritten statement (caller frees), or NULL when nothing needed rewriting.
 * `get` supplies parameter values (server_version, session_authorization, ...). */
char *compat_rewrite(const char *stmt, size_t len, compat_get_fn get, void *ctx);
/* Leaves duckd's own schema `duckd` (the table of foreign keys it records) out of DuckDB's
 * catalogs the statement reads: FROM items naming duckdb_tables() / duckdb_columns() /
 * duckdb_constraints() / duckdb_schemas() / duckdb_indexes() (or their views),
 * information_schema's schemata, tables, columns and constraint views, sqlite_master,
 * pg_tables, and the statements SHOW ALL TABLES and DESCRIBE, become subqueries without its
 * rows. compat_rewrite does this first when `get` answers "1" for COMPAT_FK_TABLE; the session
 * calls it itself for DuckDB's dialect. Returns the new text (caller frees) or NULL. */
char *compat_hide_duckd(const char *stmt, size_t len);
/* Only the DDL type renames of compat_rewrite (a column type jsonb -> JSON in CREATE / ALTER
 * TABLE). Returns the rewritten statement (caller frees), or NULL when nothing changed. */
char *compat_rewrite_types(const char *stmt, size_t len);
/* PostgreSQL's default schema public named as DuckDB's main: public.t -> main.t, CREATE
 * SCHEMA [IF NOT EXISTS] public -> ... main. Returns the new text (owned) or NULL when
 * nothing changes. compat_classify applies it first. */
char *compat_rewrite_public(const char *stmt, size_t len);

/* jsonb's @>, <@ and - (key deletion) where DuckDB's binder refused the operator on a JSON
 * operand (`error` is its message, e.g. "... '@>(JSON, STRING_LITERAL)'"): the statement with
 * those operators as duckd's jsonb functions (engine/pgfuncs.c), or NULL when the error is
 * another one. DuckDB-native SQL never gets here: it is only tried after DuckDB refused the
 * statement. Caller frees. */
char *compat_json_retry(const char *stmt, size_t len, const char *error);

/* compat_serial.c: a CREATE TABLE or ALTER TABLE ... ADD COLUMN with SERIAL-family columns
 * (serial, bigserial, smallserial, serial2/4/8) or GENERATED ... AS IDENTITY becomes the
 * statements PostgreSQL runs for it: CREATE SEQUENCE <table>_<column>_seq, the table with
 * DEFAULT nextval('<seq>'), ALTER SEQUENCE ... OWNED BY <table>. Returns how many steps it
 * wrote into *steps (an owned array of owned strings), or 0 (nothing allocated) when the
 * statement has no such column. */
size_t compat_serial(const char *stmt, size_t len, char ***steps);
/* INSERT ... OVERRIDING SYSTEM VALUE ...: the statement without those words (DuckDB knows
 * neither them nor GENERATED ALWAYS, so explicit values are always accepted); caller frees.
 * NULL when they are absent. */
char *compat_overriding(const char *stmt, size_t len);

/* compat_advisory.c: `SELECT [pg_catalog.]pg_advisory_lock(args) [[AS] alias]` and the other
 * advisory lock functions, alone in a statement, become COMPAT_ADVISORY (true, *out filled);
 * such a function buried in a larger statement becomes COMPAT_ERROR 0A000 (true). False for
 * every other statement (nothing set). */
bool compat_advisory(const char *stmt, size_t len, compat_get_fn get, void *ctx, compat_t *out);

/* CREATE / ALTER SEQUENCE as pg_dump writes them: without AS <integer type> (DuckDB's
 * sequences are BIGINT; AS integer / smallint becomes the type's MAXVALUE, or MINVALUE when
 * descending, unless one is given) and CACHE n; ALTER SEQUENCE ... OWNED BY schema.table.column
 * names the table (DuckDB's form), OWNED BY NONE is dropped. Returns the new text (caller
 * frees), or NULL when nothing changes; *noop is set (and NULL returned) for an ALTER SEQUENCE
 * left with nothing to do. */
char *compat_sequence(const char *stmt, size_t len, bool *noop);
/* ALTER <object> name ... OWNER TO role: the command tag to answer ("ALTER TABLE", "ALTER
 * FUNCTION", ...) when it is one, else NULL. duckd has no per-object owners. */
const char *compat_owner_to(const char *stmt, size_t len);

/* The PostgreSQL parameters duckd emulates. */
typedef struct compat_param {
    const char *name; /* canonical spelling, e.g. "DateStyle" */
    const char *dflt; /* default value */
    bool report;      /* sent as ParameterStatus at startup and when changed */
} compat_param_t;

/* Returns the parameter table entry for name (case-insensitive), or NULL. */
const compat_param_t *compat_param_find(const char *name);
/* The whole table: *n entries. */
const compat_param_t *compat_params(size_t *n);
/* PostgreSQL's custom ("placeholder") parameters: a qualified name such as app.user_id that
 * any session may SET, SHOW and read with current_setting(), with no meaning to the server.
 * Returns whether name is one: two or more dot-separated parts, each a plain identifier
 * (letters, digits, _ and $, not starting with a digit), at most 127 bytes in all, outside the
 * prefix duckd. that duckd's own names use. Names are compared in lower case, as PostgreSQL
 * folds unquoted identifiers. */
bool compat_param_custom(const char *name);

/* Splits a search_path value (`"$user", public`, `app,"My Schema"`, as SET leaves it) into
 * schema names (quotes removed; *names and each name owned by the caller, free()) and writes
 * PostgreSQL's display of the list (`"$user", public`) into *show (owned). Returns the number
 * of names. Never fails: any text splits into some list. */
size_t compat_search_path_split(const char *value, char ***names, char **show);

#endif
