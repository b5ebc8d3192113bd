/* compat_colnames: PostgreSQL's default names. For result columns (its FigureColname rules)
 * computed from a statement's text, for the PostgreSQL dialect: an unaliased function call is named
 * after the function ("count", not DuckDB's "count_star()"), a cast after its operand or else
 * its type ("int4"), CASE / ARRAY / ROW / EXISTS after the construct, a scalar subquery after
 * its first column, anything else "?column?"; unquoted aliases and column references are
 * folded to lower case. For an index created without a name: table_col1_col2_idx, as
 * PostgreSQL's ChooseIndexName makes it. Pure text processing on sqlscan tokens. */
#ifndef DUCKD_SESSION_COMPAT_COLNAMES_H
#define DUCKD_SESSION_COMPAT_COLNAMES_H

#include <stdbool.h>
#include <stddef.h>

/* The most tokens a statement may have for its columns to be named (longer ones keep
 * DuckDB's names). */
#define COMPAT_COLNAMES_MAX_TOKENS 65536

/* PostgreSQL's names for the ncols result columns of statement stmt[0..len) (the client's
 * text, before any rewrite): SELECT (also WITH ..., DISTINCT [ON], set operations: the first
 * branch, DuckDB's FROM-first), VALUES (column1, column2, ...), INSERT/UPDATE/DELETE ...
 * RETURNING and DECLARE ... CURSOR FOR. have[i] is DuckDB's name of column i (have may be
 * NULL, or an entry NULL, when unknown): an alias or a column reference is renamed only when
 * it differs from DuckDB's name by case alone. Items are matched to columns by position, up
 * to the first and after the last star-like item (*, t.*, COLUMNS(...), unnest(...)).
 * Returns an array of ncols entries (entry NULL: keep DuckDB's name), or NULL when no column
 * changes name. The caller frees it with compat_colnames_free. Never fails. */
char **compat_colnames(const char *stmt, size_t len, const char *const *have, size_t ncols);
void compat_colnames_free(char **names, size_t ncols);

/* CREATE [UNIQUE] INDEX [CONCURRENTLY] ON [ONLY] [schema.]table [USING m] (elements) ...
 * without an index name: what PostgreSQL names it after. */
typedef struct compat_index_name {
    char *schema; /* owned: the table's schema as PostgreSQL folds it, NULL when unqualified */
    char *table;  /* owned: the table's name, folded */
    char *cols;   /* owned: the element names joined with "_" (columns; expressions named as
                     result columns are, "expr" when they have no name) */
    size_t at;    /* byte offset in the statement where the name goes */
    size_t cut_from, cut_len; /* bytes to remove (CONCURRENTLY, which DuckDB does not know) */
} compat_index_name_t;

/* True (and *out filled; compat_index_name_free) when stmt[0..len) creates an index without
 * naming it. */
bool compat_index_unnamed(const char *stmt, size_t len, compat_index_name_t *out);
/* The name of the pass'th try (0, 1, ...): table_cols_idx, then table_cols_idx1, ..., each
 * cut to 63 bytes as PostgreSQL's makeObjectName cuts it. Caller frees. */
char *compat_index_choose(const compat_index_name_t *n, int pass);
/* The statement with `name` (quoted as needed) in its place. Caller frees. */
char *compat_index_named(const char *stmt, size_t len, const compat_index_name_t *n,
                         const char *name);
void compat_index_name_free(compat_index_name_t *n);

#endif
