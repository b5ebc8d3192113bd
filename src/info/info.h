/* info: what the server knows about itself, gathered in one place for every front-end: the
 * SQL table functions duckd_info() and duckd_tables() (registered here through
 * engine/tablefn.h), `duckd status` (which reads duckd_info() over the wire) and the HTTP
 * API's GET /v1/info.
 *
 * One row of facts: storage mode, database path (admins only), sizes on disk of the database
 * and its WAL, memory DuckDB holds, temp directory use, tables and their rows, created and
 * started times, versions, sessions by state and group-commit counters. The fields are one
 * table (INFO_FIELDS in info.c) that drives the SQL columns and any other rendering, so a new
 * fact appears everywhere at once.
 *
 * Threading: info_setup and info_set_gc are called by main before/after the serving threads
 * start; info_gather may be called from any thread (it opens an engine connection of its own
 * and reads the session registry and the committer's counters under their locks). */
#ifndef DUCKD_INFO_INFO_H
#define DUCKD_INFO_INFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"
#include "engine/tablefn.h"
#include "util/err.h"

struct gc;

/* What main knows and the server does not learn at run time. Copied by info_setup. */
typedef struct info_src {
    eng_db_t *db;       /* borrowed: lives until the process exits */
    const char *mode;   /* "persistent", "ephemeral" or "memory" */
    const char *path;   /* the database file; NULL in memory mode */
    bool read_only;     /* --read-only */
    int64_t started_us; /* when the server started, µs since the Unix epoch */
} info_src_t;

/* Records the server's facts and registers duckd_info() and duckd_tables() on src->db (before
 * the sandbox locks DuckDB down). Returns 0, or -1 with *err set. */
int info_setup(const info_src_t *src, uerr_t *err) __attribute__((warn_unused_result));
/* The group committer whose counters duckd_info() shows (NULL: group commit is off). */
void info_set_gc(struct gc *gc);

/* The fields of one info row, in column order. */
size_t info_nfields(void);
/* Field i's name and type (static). */
const eng_tf_col_t *info_field(size_t i);

/* One table of the served database. */
typedef struct info_table {
    char *schema; /* owned */
    char *name;   /* owned */
    int64_t rows; /* exact row count */
    int64_t columns;
} info_table_t;

/* One gathered row. vals[i] is field i (text borrowed from `strings`, owned here). */
typedef struct info {
    eng_tf_val_t *vals; /* info_nfields() values (owned) */
    char **strings;     /* owned text the values point at */
    size_t nstrings;
    info_table_t *tables; /* owned */
    size_t ntables;
} info_t;

/* Gathers the facts now. `admin` shows admin-only fields (paths, pid); for anybody else they
 * are NULL. Returns 0 with *out filled (info_free), or -1 with *err set. */
int info_gather(bool admin, info_t *out, uerr_t *err) __attribute__((warn_unused_result));
void info_free(info_t *in);

#endif
