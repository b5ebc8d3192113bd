/* compat_alter: PostgreSQL's ALTER TABLE and CREATE INDEX as migration tools (Django, Alembic,
 * Rails) write them, turned into what DuckDB can run. Pure text processing: the parse of one
 * statement into steps; the session (session/alter.c) runs the steps with the catalog
 * lookups some of them need.
 *
 * DuckDB runs one action per ALTER TABLE, cannot add UNIQUE or FOREIGN KEY constraints to an
 * existing table, refuses most ALTERs of a table that has indexes, and knows no index
 * operator classes; PostgreSQL clients send all of these. */
#ifndef DUCKD_SESSION_COMPAT_ALTER_H
#define DUCKD_SESSION_COMPAT_ALTER_H

#include <stdbool.h>
#include <stddef.h>

typedef enum {
    CALT_DUCKDB = 0,      /* run `sql` (an ALTER TABLE of one action) on DuckDB */
    CALT_TYPE,            /* ALTER COLUMN `column` TYPE: `sql`, unless only a varchar length
                             changes (DuckDB's VARCHAR has none): then nothing */
    CALT_ADD_UNIQUE,      /* ADD CONSTRAINT name UNIQUE (...): `sql` is a CREATE UNIQUE INDEX */
    CALT_ADD_FK,          /* ADD CONSTRAINT name FOREIGN KEY: recorded, not enforced */
    CALT_DROP_CONSTRAINT, /* DROP CONSTRAINT name */
    CALT_TRUNCATE,        /* TRUNCATE of table `name` (schema `column`): `sql` deletes the
                             rows; with restart_identity its SERIAL sequences start over */
    CALT_FORGET_FKS       /* after DROP TABLE (`sql`): the recorded foreign keys of the tables
                             `name` (schema `column`, NULL = current) go too */
} compat_alter_kind_t;

typedef struct compat_alter_step {
    compat_alter_kind_t kind;
    char *sql;             /* owned: CALT_DUCKDB, CALT_TYPE, CALT_ADD_UNIQUE */
    char *action;          /* owned: CALT_DUCKDB, CALT_TYPE: sql's action alone (what follows
                              ALTER TABLE name) */
    char *name;            /* owned: the constraint's name (ADD_UNIQUE, ADD_FK, DROP_CONSTRAINT) */
    char *column;          /* owned: CALT_TYPE's column; the column a DROP COLUMN drops */
    char *type;            /* owned: CALT_TYPE's new type as written */
    char *using_expr;      /* owned: CALT_TYPE's USING expression, or NULL */
    char *rename_from;     /* owned: RENAME [COLUMN] a TO b: a (NULL for a table rename) */
    char *rename_to;       /* owned: b, or the table's new name */
    char *fk_cols;         /* owned: ADD_FK: the referencing columns, as written: a, "b" */
    char *fk_ref;          /* owned: ADD_FK: the referenced table, as written */
    char *fk_ref_cols;     /* owned: ADD_FK: its columns (NULL: its primary key) */
    char *fk_rules;        /* owned: ADD_FK: ON DELETE / ON UPDATE / DEFERRABLE text */
    bool if_exists;        /* DROP CONSTRAINT IF EXISTS */
    bool restart_identity; /* CALT_TRUNCATE ... RESTART IDENTITY */
    bool rebuild_indexes;  /* DuckDB refuses it while the table has indexes: drop and recreate
                              them around it */
    bool rebuild_table;    /* DROP COLUMN / TYPE: on an indexed table, DuckDB refuses it even
                              with the indexes dropped in the same transaction; the table is
                              created anew with the new definition instead */
} compat_alter_step_t;

typedef struct compat_alter {
    char *schema; /* owned: as written, unquoted; NULL when unqualified */
    char *table;  /* owned: unquoted */
    char *qname;  /* owned: the table as written (quoted, qualified) */
    bool if_exists;
    bool drop_table;            /* a DROP TABLE plan (compat_drop_table_parse) */
    compat_alter_step_t *steps; /* owned */
    size_t nsteps;
} compat_alter_t;

/* Parses an ALTER TABLE that needs more than DuckDB's own (several actions, constraints,
 * ALTERs DuckDB refuses on an indexed table, varchar length changes). Returns a plan the
 * caller frees with compat_alter_free, or NULL when the statement should pass to DuckDB
 * unchanged (including any statement it does not understand). */
compat_alter_t *compat_alter_parse(const char *stmt, size_t len);
void compat_alter_free(compat_alter_t *a);

/* DROP TABLE [IF EXISTS] names [CASCADE | RESTRICT]: the statement as DuckDB runs it, then
 * one CALT_FORGET_FKS step per table. NULL when not a DROP TABLE. */
compat_alter_t *compat_drop_table_parse(const char *stmt, size_t len);

/* Foreign keys duckd records instead of DuckDB (setting foreign_keys): the table, and the
 * name under which compat_get_fn answers the mode ("record" or "enforce"). */
#define COMPAT_FK_MODE "duckd.foreign_keys"
/* The name under which compat_get_fn answers "1" when the table of recorded keys exists. */
#define COMPAT_FK_TABLE "duckd.foreign_keys table"
#define COMPAT_FK_SCHEMA_DDL "CREATE SCHEMA IF NOT EXISTS duckd"
#define COMPAT_FK_TABLE_DDL                                                                        \
    "CREATE TABLE IF NOT EXISTS duckd.foreign_keys (schema_name VARCHAR NOT NULL, "                \
    "table_name VARCHAR NOT NULL, constraint_name VARCHAR NOT NULL, columns VARCHAR NOT NULL, "    \
    "ref_table VARCHAR NOT NULL, ref_columns VARCHAR, rules VARCHAR)"

/* CREATE TABLE with FOREIGN KEY / REFERENCES clauses, for foreign_keys = record: returns the
 * statement without them (caller frees) and sets *out / *nout to the statements that check
 * their columns and record them, to run after it in the same transaction (caller frees each
 * and the array). NULL when the statement declares none, is a TEMP table or CREATE TABLE AS,
 * or is not understood. */
char *compat_fk_split(const char *stmt, size_t len, char ***out, size_t *nout);

/* TRUNCATE [TABLE] [ONLY] name [*] [, ...] [RESTART IDENTITY | CONTINUE IDENTITY]
 * [CASCADE | RESTRICT]: one CALT_TRUNCATE step per table (DuckDB truncates one table and
 * knows neither option). NULL when not such a statement. */
compat_alter_t *compat_truncate_parse(const char *stmt, size_t len);

/* CREATE [UNIQUE] INDEX with PostgreSQL-only parts that carry no meaning for DuckDB's ART
 * index removed: operator classes (varchar_pattern_ops), USING btree/hash, ON ONLY,
 * INCLUDE (...). Returns the new text (caller frees) or NULL when nothing changes. */
char *compat_index_rewrite(const char *stmt, size_t len);

/* True for a type name PostgreSQL spells for DuckDB's VARCHAR (varchar(n), character
 * varying(n), text, char varying, bpchar...). */
bool compat_type_is_varchar(const char *type);

#endif
