/* The server's facts about itself (see info.h): gathered from main's start-up facts, the
 * files on disk, DuckDB (on a connection of its own), the session registry and the group
 * committer; served as the SQL table functions duckd_info() and duckd_tables(). */
#include "info/info.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config/config.h"
#include "session/gcommit.h"
#include "session/registry.h"
#include "session/session.h"
#include "util/buf.h"
#include "util/mem.h"
#include "util/xalloc.h"

/* The fields: id, SQL column name, type, admin only. Their order is the column order of
 * duckd_info(); add new ones at the end (clients may read by position). */
#define INFO_FIELDS(X)                                                                             \
    X(MODE, "mode", ENG_TF_TEXT, false)                                                            \
    X(READ_ONLY, "read_only", ENG_TF_BOOL, false)                                                  \
    X(PATH, "path", ENG_TF_TEXT, true)                                                             \
    X(DATABASE_BYTES, "database_bytes", ENG_TF_BIGINT, false)                                      \
    X(WAL_BYTES, "wal_bytes", ENG_TF_BIGINT, false)                                                \
    X(MEMORY_BYTES, "memory_bytes", ENG_TF_BIGINT, false)                                          \
    X(MEMORY_LIMIT, "memory_limit", ENG_TF_TEXT, false)                                            \
    X(TEMP_BYTES, "temp_bytes", ENG_TF_BIGINT, false)                                              \
    X(TEMP_FILES, "temp_files", ENG_TF_BIGINT, false)                                              \
    X(TEMP_DIRECTORY, "temp_directory", ENG_TF_TEXT, true)                                         \
    X(TABLES, "tables", ENG_TF_BIGINT, false)                                                      \
    X(TABLE_ROWS, "table_rows", ENG_TF_BIGINT, false)                                              \
    X(CREATED_AT, "created_at", ENG_TF_TIMESTAMPTZ, false)                                         \
    X(STARTED_AT, "started_at", ENG_TF_TIMESTAMPTZ, false)                                         \
    X(UPTIME_SECONDS, "uptime_seconds", ENG_TF_DOUBLE, false)                                      \
    X(DUCKD_VERSION_F, "duckd_version", ENG_TF_TEXT, false)                                        \
    X(DUCKDB_VERSION_F, "duckdb_version", ENG_TF_TEXT, false)                                      \
    X(PID, "pid", ENG_TF_BIGINT, true)                                                             \
    X(SESSIONS, "sessions", ENG_TF_BIGINT, false)                                                  \
    X(SESSIONS_ACTIVE, "sessions_active", ENG_TF_BIGINT, false)                                    \
    X(SESSIONS_IDLE, "sessions_idle", ENG_TF_BIGINT, false)                                        \
    X(SESSIONS_IDLE_IN_TXN, "sessions_idle_in_transaction", ENG_TF_BIGINT, false)                  \
    X(GC_ON, "group_commit", ENG_TF_BOOL, false)                                                   \
    X(GC_BATCHES, "group_commit_batches", ENG_TF_BIGINT, false)                                    \
    X(GC_STATEMENTS, "group_commit_statements", ENG_TF_BIGINT, false)                              \
    X(GC_ROWS, "group_commit_rows", ENG_TF_BIGINT, false)                                          \
    X(GC_MAX_ROWS, "group_commit_max_batch_rows", ENG_TF_BIGINT, false)                            \
    X(GC_COMMIT_MS, "group_commit_commit_ms", ENG_TF_DOUBLE, false)                                \
    X(GC_WAIT_MS, "group_commit_wait_ms", ENG_TF_DOUBLE, false)                                    \
    X(GC_CONFLICTS, "group_commit_conflicts", ENG_TF_BIGINT, false)                                \
    X(GC_RETRIES, "group_commit_retries", ENG_TF_BIGINT, false)                                    \
    X(GC_SPLITS, "group_commit_splits", ENG_TF_BIGINT, false)                                      \
    X(GC_FALLBACKS, "group_commit_fallbacks", ENG_TF_BIGINT, false)                                \
    X(GC_CANCELS, "group_commit_cancels", ENG_TF_BIGINT, false)                                    \
    X(BUFFER_MEMORY, "buffer_memory", ENG_TF_BIGINT, false)                                        \
    X(BUFFER_MEMORY_USED, "buffer_memory_used", ENG_TF_BIGINT, false)

enum {
#define X(id, name, type, admin) F_##id,
    INFO_FIELDS(X)
#undef X
        INFO_NFIELDS
};

static const eng_tf_col_t info_cols[INFO_NFIELDS] = {
#define X(id, name, type, admin) {name, type},
    INFO_FIELDS(X)
#undef X
};

static const bool info_admin_only[INFO_NFIELDS] = {
#define X(id, name, type, admin) admin,
    INFO_FIELDS(X)
#undef X
};

static const eng_tf_col_t table_cols[] = {
    {"schema_name", ENG_TF_TEXT},
    {"table_name", ENG_TF_TEXT},
    {"rows", ENG_TF_BIGINT},
    {"columns", ENG_TF_BIGINT},
};

/* Set once by info_setup (main thread, before any session); info_gc by info_set_gc. */
static info_src_t info_src;
static char *info_path; /* owned copy of info_src.path */
static char *info_mode; /* owned copy of info_src.mode */
static struct gc *_Atomic info_gc;

size_t info_nfields(void) { return INFO_NFIELDS; }

const eng_tf_col_t *info_field(size_t i) { return i < INFO_NFIELDS ? &info_cols[i] : NULL; }

void info_set_gc(struct gc *gc) { info_gc = gc; }

/* ---- helpers ---- */

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Keeps a copy of s in the info and returns it (NULL stays NULL). */
static const char *keep(info_t *in, const char *s, size_t n)
{
    if (!s)
        return NULL;
    in->strings = xrealloc(in->strings, (in->nstrings + 1) * sizeof *in->strings);
    in->strings[in->nstrings] = xstrndup(s, n);
    return in->strings[in->nstrings++];
}

/* Size of a file in bytes, 0 when it does not exist, -1 on another error. */
static int64_t file_size(const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0)
        return (int64_t)st.st_size;
    return errno == ENOENT ? 0 : -1;
}

/* The file's birth time (µs since the epoch) where the file system records it, else -1. */
static int64_t file_birth_us(const char *path)
{
    struct statx sx;
    if (statx(AT_FDCWD, path, 0, STATX_BTIME, &sx) == 0 && (sx.stx_mask & STATX_BTIME))
        return (int64_t)sx.stx_btime.tv_sec * 1000000 + sx.stx_btime.tv_nsec / 1000;
    return -1;
}

/* Rows of a query on the private connection, as text values (NULL: len -1). */
typedef int (*q_row_fn)(void *ctx, const eng_value_t *vals, size_t n);

static int q_run(eng_conn_t *c, const char *sql, q_row_fn fn, void *ctx, uerr_t *err)
{
    eng_stmt_t *st = NULL;
    eng_cursor_t *cur = NULL;
    int64_t nrows = 0;
    bool done = false;
    int rc = -1;
    if (eng_prepare(c, sql, &st, err) != 0 || eng_execute(st, &cur, err) != 0)
        goto out;
    if (eng_cursor_fetch(cur, 0, fn, ctx, &nrows, &done, err) != 0)
        goto out;
    rc = 0;
out:
    eng_cursor_free(cur);
    eng_stmt_free(st);
    return rc;
}

static int64_t val_int(const eng_value_t *v)
{
    char buf[32];
    if (v->len < 0 || (size_t)v->len >= sizeof buf)
        return 0;
    memcpy(buf, v->data, (size_t)v->len);
    buf[v->len] = '\0';
    return strtoll(buf, NULL, 10);
}

static eng_tf_val_t val_or_null(const eng_value_t *v)
{
    return v->len < 0 ? eng_tf_null() : eng_tf_int(val_int(v));
}

typedef struct q_ctx {
    info_t *in;
} q_ctx_t;

/* SELECT memory, temp bytes, temp files, memory_limit, temp_directory */
static int engine_row(void *ctx, const eng_value_t *v, size_t n)
{
    info_t *in = ((q_ctx_t *)ctx)->in;
    if (n != 5)
        return 0;
    in->vals[F_MEMORY_BYTES] = val_or_null(&v[0]);
    in->vals[F_TEMP_BYTES] = val_or_null(&v[1]);
    in->vals[F_TEMP_FILES] = val_or_null(&v[2]);
    in->vals[F_MEMORY_LIMIT] =
        v[3].len < 0 ? eng_tf_null() : eng_tf_text(keep(in, v[3].data, (size_t)v[3].len));
    in->vals[F_TEMP_DIRECTORY] =
        v[4].len < 0 ? eng_tf_null() : eng_tf_text(keep(in, v[4].data, (size_t)v[4].len));
    return 0;
}

/* SELECT schema_name, table_name, column_count */
static int table_row(void *ctx, const eng_value_t *v, size_t n)
{
    info_t *in = ((q_ctx_t *)ctx)->in;
    if (n != 3 || v[0].len < 0 || v[1].len < 0)
        return 0;
    in->tables = xrealloc(in->tables, (in->ntables + 1) * sizeof *in->tables);
    info_table_t *t = &in->tables[in->ntables++];
    t->schema = xstrndup(v[0].data, (size_t)v[0].len);
    t->name = xstrndup(v[1].data, (size_t)v[1].len);
    t->columns = val_int(&v[2]);
    t->rows = 0;
    return 0;
}

static int count_row(void *ctx, const eng_value_t *v, size_t n)
{
    *(int64_t *)ctx = n == 1 ? val_int(&v[0]) : 0;
    return 0;
}

/* What DuckDB knows: memory, temp files, settings, tables with exact row counts. Runs on a
 * connection of its own, so it sees committed data only (not the caller's open transaction). */
static int gather_engine(info_t *in, uerr_t *err)
{
    eng_conn_t *c = NULL;
    ubuf_t q = UBUF_INIT;
    q_ctx_t qc = {in};
    int64_t total = 0;
    int rc = -1;
    if (eng_conn_open(info_src.db, &c, err) != 0)
        goto out;
    if (q_run(c,
              "SELECT (SELECT sum(memory_usage_bytes) FROM duckdb_memory())::BIGINT, "
              "(SELECT coalesce(sum(size), 0) FROM duckdb_temporary_files())::BIGINT, "
              "(SELECT count(*) FROM duckdb_temporary_files()), "
              "current_setting('memory_limit'), current_setting('temp_directory')",
              engine_row, &qc, err) != 0)
        goto out;
    if (q_run(c,
              "SELECT schema_name, table_name, column_count FROM duckdb_tables() "
              "WHERE database_name = current_database() AND NOT internal AND NOT temporary "
              "ORDER BY schema_name, table_name",
              table_row, &qc, err) != 0)
        goto out;
    for (size_t i = 0; i < in->ntables; i++) {
        info_table_t *t = &in->tables[i];
        ubuf_reset(&q);
        ubuf_puts(&q, "SELECT count(*) FROM ");
        ubuf_put_ident(&q, t->schema);
        ubuf_putc(&q, '.');
        ubuf_put_ident(&q, t->name);
        if (q_run(c, ubuf_cstr(&q), count_row, &t->rows, err) != 0)
            goto out;
        total += t->rows;
    }
    in->vals[F_TABLES] = eng_tf_int((int64_t)in->ntables);
    in->vals[F_TABLE_ROWS] = eng_tf_int(total);
    rc = 0;
out:
    ubuf_free(&q);
    eng_conn_close(c);
    return rc;
}

static void gather_files(info_t *in)
{
    int64_t started = info_src.started_us;
    in->vals[F_DATABASE_BYTES] = in->vals[F_WAL_BYTES] = eng_tf_null();
    in->vals[F_CREATED_AT] = eng_tf_int(started);
    if (!info_path)
        return;
    char wal[4200];
    snprintf(wal, sizeof wal, "%s.wal", info_path);
    int64_t db = file_size(info_path), w = file_size(wal);
    in->vals[F_DATABASE_BYTES] = db < 0 ? eng_tf_null() : eng_tf_int(db);
    in->vals[F_WAL_BYTES] = w < 0 ? eng_tf_null() : eng_tf_int(w);
    if (strcmp(info_mode, "persistent") == 0) {
        int64_t born = file_birth_us(info_path);
        in->vals[F_CREATED_AT] = born < 0 ? eng_tf_null() : eng_tf_int(born);
    }
}

static void gather_sessions(info_t *in)
{
    sreg_states_t st;
    sreg_count_states(&st);
    in->vals[F_SESSIONS] = eng_tf_int(st.total);
    in->vals[F_SESSIONS_ACTIVE] = eng_tf_int(st.active);
    in->vals[F_SESSIONS_IDLE] = eng_tf_int(st.idle);
    in->vals[F_SESSIONS_IDLE_IN_TXN] = eng_tf_int(st.idle_in_transaction);
}

/* duckd's own buffers (util/mem.h): the budget out of memory_limit and what is held now. */
static void gather_buffers(info_t *in)
{
    in->vals[F_BUFFER_MEMORY] = eng_tf_int(umem_budget());
    in->vals[F_BUFFER_MEMORY_USED] = eng_tf_int(umem_used());
}

static void gather_gc(info_t *in)
{
    struct gc *gc = info_gc;
    gc_stats_t s = {0};
    if (gc)
        gc_stats_get(gc, &s);
    in->vals[F_GC_ON] = eng_tf_bool(gc != NULL);
    in->vals[F_GC_BATCHES] = eng_tf_int((int64_t)s.batches);
    in->vals[F_GC_STATEMENTS] = eng_tf_int((int64_t)s.requests);
    in->vals[F_GC_ROWS] = eng_tf_int((int64_t)s.rows);
    in->vals[F_GC_MAX_ROWS] = eng_tf_int((int64_t)s.max_rows);
    in->vals[F_GC_COMMIT_MS] = eng_tf_double((double)s.commit_us / 1000.0);
    in->vals[F_GC_WAIT_MS] = eng_tf_double((double)s.wait_us / 1000.0);
    in->vals[F_GC_CONFLICTS] = eng_tf_int((int64_t)s.conflicts);
    in->vals[F_GC_RETRIES] = eng_tf_int((int64_t)s.retries);
    in->vals[F_GC_SPLITS] = eng_tf_int((int64_t)s.splits);
    in->vals[F_GC_FALLBACKS] = eng_tf_int((int64_t)s.fallbacks);
    in->vals[F_GC_CANCELS] = eng_tf_int((int64_t)s.cancels);
}

int info_gather(bool admin, info_t *out, uerr_t *err)
{
    info_t in = {0};
    int64_t now = now_us();
    in.vals = xcalloc(INFO_NFIELDS, sizeof *in.vals);
    for (size_t i = 0; i < INFO_NFIELDS; i++)
        in.vals[i] = eng_tf_null();
    in.vals[F_MODE] = eng_tf_text(info_mode);
    in.vals[F_READ_ONLY] = eng_tf_bool(info_src.read_only);
    in.vals[F_PATH] = eng_tf_text(info_path);
    in.vals[F_STARTED_AT] = eng_tf_int(info_src.started_us);
    in.vals[F_UPTIME_SECONDS] = eng_tf_double((double)(now - info_src.started_us) / 1e6);
    in.vals[F_DUCKD_VERSION_F] = eng_tf_text(DUCKD_VERSION);
    in.vals[F_DUCKDB_VERSION_F] = eng_tf_text(eng_version());
    in.vals[F_PID] = eng_tf_int((int64_t)getpid());
    gather_files(&in);
    gather_sessions(&in);
    gather_gc(&in);
    gather_buffers(&in);
    if (gather_engine(&in, err) != 0) {
        info_free(&in);
        return -1;
    }
    if (!admin)
        for (size_t i = 0; i < INFO_NFIELDS; i++)
            if (info_admin_only[i])
                in.vals[i] = eng_tf_null();
    *out = in;
    return 0;
}

void info_free(info_t *in)
{
    if (!in)
        return;
    for (size_t i = 0; i < in->nstrings; i++)
        free(in->strings[i]);
    for (size_t i = 0; i < in->ntables; i++) {
        free(in->tables[i].schema);
        free(in->tables[i].name);
    }
    free(in->strings);
    free(in->tables);
    free(in->vals);
    memset(in, 0, sizeof *in);
}

/* ---- the SQL table functions ---- */

/* The caller is the sess_t owning the connection that runs the query (NULL: an internal
 * connection, which sees no admin-only facts). */
static int fill_info(void *ctx, void *caller, eng_tf_rows_t *rows, uerr_t *err)
{
    info_t in;
    if (info_gather(caller && sess_is_admin(caller), &in, err) != 0)
        return -1;
    eng_tf_add_row(rows, in.vals);
    info_free(&in);
    return 0;
}

static int fill_tables(void *ctx, void *caller, eng_tf_rows_t *rows, uerr_t *err)
{
    info_t in;
    if (info_gather(false, &in, err) != 0)
        return -1;
    for (size_t i = 0; i < in.ntables; i++) {
        const info_table_t *t = &in.tables[i];
        eng_tf_val_t v[] = {eng_tf_text(t->schema), eng_tf_text(t->name), eng_tf_int(t->rows),
                            eng_tf_int(t->columns)};
        eng_tf_add_row(rows, v);
    }
    info_free(&in);
    return 0;
}

int info_setup(const info_src_t *src, uerr_t *err)
{
    eng_tf_def_t defs[] = {
        {"duckd_info", info_cols, INFO_NFIELDS, fill_info, NULL, 0},
        {"duckd_tables", table_cols, sizeof table_cols / sizeof table_cols[0], fill_tables, NULL,
         0},
    };
    info_src = *src;
    free(info_path);
    free(info_mode);
    info_path = src->path ? xstrdup(src->path) : NULL;
    info_mode = xstrdup(src->mode ? src->mode : "persistent");
    info_src.path = info_path;
    info_src.mode = info_mode;
    for (size_t i = 0; i < sizeof defs / sizeof defs[0]; i++)
        if (eng_tf_register(src->db, &defs[i], err) != 0)
            return -1;
    return 0;
}
