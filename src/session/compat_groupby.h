/* compat_groupby: PostgreSQL lets a query select any column of a table it groups by primary
 * key (the other columns depend on the key); DuckDB asks for every selected column in GROUP
 * BY (SQLSTATE 42803). ORMs rely on PostgreSQL's rule (Django's annotate(Count(...)) groups
 * by the model's primary key and selects all its fields). Pure text processing. */
#ifndef DUCKD_SESSION_COMPAT_GROUPBY_H
#define DUCKD_SESSION_COMPAT_GROUPBY_H

#include <stddef.h>

/* The statement with the plain column references of its top-level select list and ORDER BY
 * (a name or a qualified name, not inside a function call or expression) added to its
 * top-level GROUP BY. For every query PostgreSQL accepts, these columns depend on the
 * grouping, so the result is the same. Returns the new text (caller frees) or NULL when there
 * is nothing to add or the statement is not understood. */
char *compat_groupby_widen(const char *stmt, size_t len);

#endif
