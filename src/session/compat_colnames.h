/* compat_colnames: PostgreSQL's names for result columns (its FigureColname rules) computed
 * from a statement's text, for the PostgreSQL dialect: an unaliased function call is named
 * after the function ("count", not DuckDB's "count_star()"), a cast after its operand or else
 * its type ("int4"), CASE / ARRAY / ROW / EXISTS after the construct, a scalar subquery after
 * its first column, anything else "?column?"; unquoted aliases and column references are
 * folded to lower case. Pure text processing on sqlscan tokens. */
#ifndef DUCKD_SESSION_COMPAT_COLNAMES_H
#define DUCKD_SESSION_COMPAT_COLNAMES_H

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

#endif
