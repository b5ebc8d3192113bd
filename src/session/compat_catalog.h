/* compat_catalog: SQL text that describes DuckDB's constraints and indexes the way
 * PostgreSQL's catalogs do (pg_constraint, pg_index, the index rows of pg_class) and the
 * definitions pg_get_constraintdef() / pg_get_indexdef() print. Internal to the dialect layer
 * (compat_rewrite.c); every function appends SQL to a caller-owned buffer. */
#ifndef DUCKD_SESSION_COMPAT_CATALOG_H
#define DUCKD_SESSION_COMPAT_CATALOG_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"

/* The pg_am row of DuckDB's ART indexes: btree (403), the method PostgreSQL clients take
 * for the default (Django and SQLAlchemy treat any other name as a special index type, and
 * DuckDB refuses CREATE INDEX ... USING btree, which compat drops). Tables use heap (2). */
#define COMPAT_INDEX_AM_OID "403"

/* A pg_catalog relation that the dialect layer replaces with a subquery. */
typedef struct compat_relation {
    const char *name; /* e.g. "pg_class" */
    const char *sql;  /* a fixed definition, or NULL to call build */
    /* appends the definition; `user` is the session's user (borrowed); `recorded`: the
     * table of keys duckd records (duckd.foreign_keys) exists and is read too */
    void (*build)(ubuf_t *b, const char *user, bool recorded);
} compat_relation_t;

/* The emulated relation called name[0..len) (case-insensitive), or NULL. pg_type and
 * pg_attribute are compat_rewrite.c's. */
const compat_relation_t *compat__catalog_relation(const char *name, size_t len);

/* A query with one row per PRIMARY KEY, UNIQUE, FOREIGN KEY and CHECK constraint (with the
 * keys duckd records in duckd.foreign_keys when `recorded`; the table must exist): DuckDB's
 * columns plus cc_name (PostgreSQL's naming), cc_oid (a synthetic OID; the constraint's
 * index is cc_oid + 1), cc_contype, cc_keys (attnums), cc_refkeys, cc_reftable, cc_def. */
void compat__catalog_constraints(ubuf_t *b, bool recorded);
/* Rows of information_schema's view (table_constraints, key_column_usage,
 * constraint_column_usage or referential_constraints) for the keys duckd records in
 * duckd.foreign_keys (the table must exist), in the view's column names, to add to DuckDB's
 * own with UNION ALL BY NAME. False (nothing appended) for any other view. */
bool compat__catalog_recorded_view(ubuf_t *b, const char *view);
/* A query with one row per index: those behind primary keys and unique constraints, and
 * DuckDB's CREATE INDEX ones: cc_oid, cc_name, table/schema names and OIDs, cc_unique,
 * cc_primary, cc_keys (attnums, 0 for an expression), cc_defs (each column's text), cc_exprs
 * (NULL unless an expression is indexed). */
void compat__catalog_indexes(ubuf_t *b);
/* Bodies of the pg_constraint, pg_index and pg_class relations (without parentheses). */
void compat__catalog_pg_constraint(ubuf_t *b, bool recorded);
void compat__catalog_pg_index(ubuf_t *b);
void compat__catalog_pg_class(ubuf_t *b, bool recorded);
/* pg_attrdef with an OID per default, and pg_depend with the dependency of each default on
 * the sequence its nextval() reads (Django's get_sequences follows it). */
void compat__catalog_pg_attrdef(ubuf_t *b);
void compat__catalog_pg_depend(ubuf_t *b);
/* pg_attribute rows of the indexes' columns; `table_attributes` (borrowed) names a relation
 * in scope with the tables' pg_attribute rows (attrelid, attnum, attname, atttypid, ...). */
void compat__catalog_index_attributes(ubuf_t *b, const char *table_attributes);
/* pg_get_constraintdef(oid) and pg_get_indexdef(oid, column): scalar subqueries; `oid` and
 * `column` are SQL expressions (borrowed) evaluated twice at most. */
void compat__catalog_constraintdef(ubuf_t *b, const char *oid, bool recorded);
void compat__catalog_indexdef(ubuf_t *b, const char *oid, const char *column);

#endif
