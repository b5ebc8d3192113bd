/* Parquet results (eng_cursor_fetch_parquet). DuckDB's Parquet writer only writes files, so a
 * result becomes a file in a private spool directory, written by a private DuckDB instance
 * (the *encoder*: in memory, one thread, its own memory_limit, external access off except the
 * spool directory, no extension loading, configuration locked) that runs nothing but the fixed
 * COPY below. Its source is the table function duckd_parquet_source(id), which pulls the
 * client's cursor chunk by chunk and hands DuckDB the chunk's vectors by reference (vectors
 * belong to no database instance; the buffers are shared and reference-counted), so the file
 * holds exactly what DuckDB's own COPY TO would write for that result. The query itself keeps
 * running on the client's connection, with its limits and cancel; an interrupt of that
 * connection also interrupts the encoder's (eng__conn_set_side).
 *
 * Safety: clients never reach the encoder (it is another database), and the spool directory
 * (mode 0700, mkdtemp) is refused when it lies inside a directory the served database lets
 * clients read. The file is opened and unlinked as soon as the COPY returns, on every path;
 * it is read back from the open descriptor. Its size is checked after every chunk (the writer
 * writes each row group as it completes) and once more at the end, so the cap is passed by at
 * most one row group; the row group being built lives in the encoder's memory_limit.
 *
 * Concurrency: each request gets its own encoder connection and its COPY runs on the calling
 * thread (threads=1), so requests encode in parallel and share only the encoder's memory
 * limit. The sources of running COPYs are listed under the encoder's mutex for the table
 * function's bind to find. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dirent.h>
#include <signal.h>

#include "engine/engine_internal.h"
#include "util/log.h"
#include "util/xalloc.h"

#define PQ_DEFAULT_MEMORY (256ull << 20)
#define PQ_DEFAULT_MAX_SIZE (1ull << 30)
#define PQ_SOURCE "duckd_parquet_source"
#define PQ_PREFIX "duckd-parquet-" /* spool directories: PQ_PREFIX "<pid>-XXXXXX" */

/* One COPY's source: what duckd_parquet_source(id) reads. */
typedef struct pq_src {
    uint64_t id;
    eng_cursor_t *cur;        /* borrowed: the client's cursor */
    const char *path;         /* the spool file (borrowed) */
    uint64_t max_size;        /* 0: none */
    uint64_t row_group_bytes; /* the writer's cap on one row group */
    int64_t rows;             /* handed to the writer so far */
    uerr_t err;               /* the source's own failure: the query's error, the size cap */
    struct pq_src *next;
} pq_src_t;

struct eng__pq {
    pthread_mutex_t mu; /* guards every field below */
    char *dir;          /* parent of the spool directory (owned); NULL: $TMPDIR or /tmp */
    uint64_t memory;    /* the encoder's memory_limit, bytes */
    uint64_t max_size;  /* 0: Parquet is refused */
    duckdb_database db; /* the encoder; NULL until first use */
    char *spool;        /* the spool directory (owned); NULL until first use */
    char *refusal;      /* why Parquet is refused for good (owned), NULL: served */
    uint64_t next_id;
    pq_src_t *srcs; /* the running COPYs' sources */
};

/* A cursor's Parquet output: the unlinked spool file, sent piece by piece. */
struct eng__pqout {
    int fd;        /* the spool file, opened and unlinked; -1 once sent */
    uint64_t size; /* its size */
    uint64_t off;  /* bytes sent */
    char *buf;     /* one piece (owned) */
};

/* ---- configuration and lifetime ---- */

struct eng__pq *eng__pq_new(void)
{
    struct eng__pq *pq = xcalloc(1, sizeof *pq);
    pthread_mutex_init(&pq->mu, NULL);
    pq->memory = PQ_DEFAULT_MEMORY;
    pq->max_size = PQ_DEFAULT_MAX_SIZE;
    return pq;
}

void eng_db_set_parquet(eng_db_t *db, const eng_parquet_cfg_t *cfg)
{
    struct eng__pq *pq = eng__db_pq(db);
    pthread_mutex_lock(&pq->mu);
    free(pq->dir);
    pq->dir = cfg->dir && *cfg->dir ? xstrdup(cfg->dir) : NULL;
    pq->memory = cfg->memory ? cfg->memory : PQ_DEFAULT_MEMORY;
    pq->max_size = cfg->max_size;
    pthread_mutex_unlock(&pq->mu);
}

/* Removes the spool directory with whatever is left in it (files of a COPY a crash or a stuck
 * thread left behind; normally nothing). Only a real directory (not a symlink) of duckd's own
 * user is emptied; its entries are unlinked relative to it, never followed. */
static void pq_remove_spool(const char *spool)
{
    int fd = open(spool, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    struct stat sb;
    DIR *d;
    if (fd < 0)
        return;
    if (fstat(fd, &sb) != 0 || sb.st_uid != geteuid() || !(d = fdopendir(fd))) {
        close(fd);
        return;
    }
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            (void)unlinkat(dirfd(d), e->d_name, 0);
    closedir(d); /* closes fd */
    if (rmdir(spool) != 0 && errno != ENOENT)
        ulog(ULOG_WARN, "cannot remove the Parquet spool directory %s: %s", spool, strerror(errno));
}

void eng__pq_free(struct eng__pq *pq)
{
    if (!pq)
        return;
    if (pq->db)
        duckdb_close(&pq->db);
    if (pq->spool)
        pq_remove_spool(pq->spool);
    free(pq->spool);
    free(pq->dir);
    free(pq->refusal);
    pthread_mutex_destroy(&pq->mu);
    free(pq);
}

/* Removes the spool directories a duckd that is gone left in dir (killed while a request
 * encoded): those named for a process that no longer exists. */
static void pq_sweep(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    if (!d)
        return;
    while ((e = readdir(d)) != NULL) {
        size_t plen = strlen(PQ_PREFIX);
        char path[PATH_MAX];
        if (strncmp(e->d_name, PQ_PREFIX, plen) != 0)
            continue;
        long pid = strtol(e->d_name + plen, NULL, 10);
        if (pid <= 0 || pid == (long)getpid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        ulog(ULOG_INFO, "removing the left-over Parquet spool directory %s", path);
        pq_remove_spool(path);
    }
    closedir(d);
}

/* ---- the table function: the client's chunks into the writer ---- */

/* Appends a DuckDB string literal: 'it''s'. */
static void put_literal(ubuf_t *b, const char *s)
{
    ubuf_putc(b, '\'');
    for (; *s; s++) {
        if (*s == '\'')
            ubuf_putc(b, '\'');
        ubuf_putc(b, *s);
    }
    ubuf_putc(b, '\'');
}

/* Column names as DuckDB's COPY TO would write them: a name met before (ignoring ASCII case,
 * as DuckDB's binder does) gets _1, _2, ... until it is new. Returns n owned strings. */
static char **pq_names(eng_cursor_t *cur, size_t n)
{
    char **names = xcalloc(n ? n : 1, sizeof *names);
    for (size_t i = 0; i < n; i++) {
        const char *base = eng_cursor_col(cur, i)->name ? eng_cursor_col(cur, i)->name : "";
        char *name = xstrdup(base);
        for (unsigned k = 1;; k++) {
            size_t j = 0;
            while (j < i && strcasecmp(names[j], name) != 0)
                j++;
            if (j == i)
                break;
            size_t len = strlen(base) + 12;
            name = xrealloc(name, len);
            snprintf(name, len, "%s_%u", base, k);
        }
        names[i] = name;
    }
    return names;
}

static void pq_source_bind(duckdb_bind_info info)
{
    struct eng__pq *pq = duckdb_bind_get_extra_info(info);
    duckdb_value v = duckdb_bind_get_parameter(info, 0);
    uint64_t id = (uint64_t)duckdb_get_int64(v);
    pq_src_t *src;
    duckdb_destroy_value(&v);
    pthread_mutex_lock(&pq->mu);
    for (src = pq->srcs; src && src->id != id; src = src->next)
        ;
    pthread_mutex_unlock(&pq->mu);
    if (!src) {
        duckdb_bind_set_error(info, "no such Parquet source");
        return;
    }
    duckdb_result *res = eng__cursor_result(src->cur);
    size_t n = eng_cursor_ncols(src->cur);
    char **names = pq_names(src->cur, n);
    for (size_t i = 0; i < n; i++) {
        duckdb_logical_type t = duckdb_column_logical_type(res, i);
        duckdb_bind_add_result_column(info, names[i], t);
        duckdb_destroy_logical_type(&t);
        free(names[i]);
    }
    free(names);
    duckdb_bind_set_bind_data(info, src, NULL);
}

static void pq_source_init(duckdb_init_info info) { duckdb_init_set_max_threads(info, 1); }

/* Fails the COPY with the source's error (already in src->err). */
static void pq_source_fail(duckdb_function_info info, pq_src_t *src)
{
    duckdb_function_set_error(info, src->err.message ? src->err.message : "source failed");
}

static void pq_source_fn(duckdb_function_info info, duckdb_data_chunk out)
{
    pq_src_t *src = duckdb_function_get_bind_data(info);
    eng__chunk_view_t v;
    struct stat sb;
    duckdb_data_chunk_set_size(out, 0);
    if (src->max_size && stat(src->path, &sb) == 0 && (uint64_t)sb.st_size > src->max_size) {
        uerr_set(&src->err, "54000", "Parquet result too large");
        uerr_set_detail(&src->err,
                        "The Parquet file passed http_parquet_max_size (%llu bytes) after %lld "
                        "rows.",
                        (unsigned long long)src->max_size, (long long)src->rows);
        pq_source_fail(info, src);
        return;
    }
    int r = eng__cursor_chunk(src->cur, &v, &src->err);
    if (r < 0) {
        pq_source_fail(info, src);
        return;
    }
    if (r == 0)
        return;
    idx_t n = v.rows - v.pos;
    size_t ncols = eng_cursor_ncols(src->cur);
    duckdb_selection_vector sel = NULL;
    if (v.pos > 0) { /* rows before pos went out already: pass only the rest */
        sel = duckdb_create_selection_vector(n);
        sel_t *s = duckdb_selection_vector_get_data_ptr(sel);
        for (idx_t i = 0; i < n; i++)
            s[i] = (sel_t)(v.pos + i);
    }
    for (size_t c = 0; c < ncols; c++) {
        duckdb_vector to = duckdb_data_chunk_get_vector(out, c);
        duckdb_vector_reference_vector(to, duckdb_data_chunk_get_vector(v.chunk, c));
        if (sel)
            duckdb_slice_vector(to, sel, n);
    }
    if (sel)
        duckdb_destroy_selection_vector(sel);
    duckdb_data_chunk_set_size(out, n);
    eng__cursor_advance(src->cur, n);
    src->rows += (int64_t)n;
}

static int pq_register(duckdb_connection con, struct eng__pq *pq, uerr_t *err)
{
    duckdb_table_function tf = duckdb_create_table_function();
    duckdb_logical_type id = duckdb_create_logical_type(DUCKDB_TYPE_BIGINT);
    int rc = 0;
    duckdb_table_function_set_name(tf, PQ_SOURCE);
    duckdb_table_function_add_parameter(tf, id);
    duckdb_table_function_set_extra_info(tf, pq, NULL);
    duckdb_table_function_set_bind(tf, pq_source_bind);
    duckdb_table_function_set_init(tf, pq_source_init);
    duckdb_table_function_set_function(tf, pq_source_fn);
    if (duckdb_register_table_function(con, tf) != DuckDBSuccess) {
        uerr_set(err, "58000", "could not register " PQ_SOURCE);
        rc = -1;
    }
    duckdb_destroy_logical_type(&id);
    duckdb_destroy_table_function(&tf);
    return rc;
}

/* ---- opening the encoder ---- */

/* True when path p is d or lies below it (both absolute, d with or without a final '/'). */
static bool path_under(const char *p, const char *d)
{
    size_t n = strlen(d);
    while (n > 1 && d[n - 1] == '/')
        n--;
    if (n == 1 && d[0] == '/')
        return p[0] == '/';
    return !strncmp(p, d, n) && (p[n] == '\0' || p[n] == '/');
}

/* Refuses (0A000) a spool directory that clients of the served database could read: one
 * inside an entry of its allowed_directories (which also holds DuckDB's temp directory) while
 * external access is off. With external access on (the sandbox off) clients can read every
 * file duckd can, the spool included; that is the operator's choice. */
static int pq_check_exposure(duckdb_database main, const char *spool, uerr_t *err)
{
    duckdb_connection con = NULL;
    duckdb_result res;
    int rc = -1;
    if (duckdb_connect(main, &con) != DuckDBSuccess) {
        uerr_set(err, "58000", "could not connect to read the sandbox's settings");
        return -1;
    }
    if (duckdb_query(con,
                     "SELECT current_setting('enable_external_access')::BOOLEAN, "
                     "unnest(current_setting('allowed_directories'))::VARCHAR",
                     &res) != DuckDBSuccess) {
        eng__set_error(err, duckdb_result_error_type(&res), duckdb_result_error(&res));
        goto out;
    }
    rc = 0;
    for (idx_t i = 0; i < duckdb_row_count(&res) && rc == 0; i++) {
        char *d = duckdb_value_varchar(&res, 1, i);
        char real[PATH_MAX];
        if (!duckdb_value_boolean(&res, 0, i) && d &&
            (path_under(spool, d) || (realpath(d, real) && path_under(spool, real)))) {
            uerr_set(err, "0A000",
                     "Parquet results are off: the spool directory is readable "
                     "by clients");
            uerr_set_detail(err, "%s lies inside the allowed directory %s.", spool, d);
            uerr_set_hint(err, "Set http_parquet_dir to a directory outside allowed_directories "
                               "and DuckDB's temp_directory.");
            rc = -1;
        }
        duckdb_free(d);
    }
out:
    duckdb_destroy_result(&res);
    duckdb_disconnect(&con);
    return rc;
}

static int pq_run(duckdb_connection con, const char *sql, uerr_t *err)
{
    duckdb_result res;
    int rc = 0;
    if (duckdb_query(con, sql, &res) != DuckDBSuccess) {
        uerr_set(err, "58000", "Parquet encoder: %s failed: %s", sql, duckdb_result_error(&res));
        rc = -1;
    }
    duckdb_destroy_result(&res);
    return rc;
}

/* Opens the encoder database, locked down to the spool directory. */
static int pq_open_db(struct eng__pq *pq, uerr_t *err)
{
    static const struct {
        const char *key, *value;
    } opts[] = {
        {"threads", "1"},
        /* lets COPY cut row groups by bytes (ROW_GROUP_SIZE_BYTES); with one thread and a
         * source of one thread the rows keep their order all the same */
        {"preserve_insertion_order", "false"},
        {"temp_directory", ""}, /* no spilling: the memory limit is the bound */
        {"autoinstall_known_extensions", "false"},
        {"autoload_known_extensions", "false"},
        {"allow_community_extensions", "false"},
        {"allow_persistent_secrets", "false"},
    };
    duckdb_config config = NULL;
    duckdb_connection con = NULL;
    char *open_err = NULL;
    ubuf_t sql = UBUF_INIT;
    int rc = -1;
    if (duckdb_create_config(&config) != DuckDBSuccess) {
        uerr_set(err, "58000", "could not create the Parquet encoder's configuration");
        goto out;
    }
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
        (void)duckdb_set_config(config, opts[i].key, opts[i].value);
    char mem[32];
    snprintf(mem, sizeof mem, "%lluKiB", (unsigned long long)(pq->memory >> 10));
    if (duckdb_set_config(config, "memory_limit", mem) != DuckDBSuccess) {
        uerr_set(err, "F0000", "invalid http_parquet_memory \"%s\"", mem);
        goto out;
    }
    if (duckdb_open_ext(":memory:", &pq->db, config, &open_err) != DuckDBSuccess) {
        uerr_set(err, "58000", "could not open the Parquet encoder: %s",
                 open_err ? open_err : "unknown error");
        pq->db = NULL;
        goto out;
    }
    if (duckdb_connect(pq->db, &con) != DuckDBSuccess) {
        uerr_set(err, "58000", "could not connect to the Parquet encoder");
        goto out;
    }
    ubuf_puts(&sql, "SET GLOBAL allowed_directories = [");
    put_literal(&sql, pq->spool);
    ubuf_puts(&sql, "]");
    if (pq_run(con, ubuf_cstr(&sql), err) != 0 ||
        pq_run(con, "SET GLOBAL enable_external_access = false", err) != 0 ||
        pq_register(con, pq, err) != 0 ||
        pq_run(con, "SET GLOBAL lock_configuration = true", err) != 0)
        goto out;
    rc = 0;
out:
    if (con)
        duckdb_disconnect(&con);
    if (rc != 0 && pq->db)
        duckdb_close(&pq->db);
    if (open_err)
        duckdb_free(open_err);
    if (config)
        duckdb_destroy_config(&config);
    ubuf_free(&sql);
    return rc;
}

/* Opens the encoder and its spool directory at first use (under pq->mu). Returns 0, or -1 with
 * *err set; a spool directory clients could read refuses Parquet for good. */
static int pq_open(struct eng__pq *pq, duckdb_database main, uerr_t *err)
{
    char tmpl[PATH_MAX], real[PATH_MAX];
    const char *dir = pq->dir ? pq->dir : getenv("TMPDIR");
    if (pq->max_size == 0) {
        uerr_set(err, "0A000", "Parquet results are off (http_parquet_max_size is 0)");
        return -1;
    }
    if (pq->db)
        return 0;
    if (pq->refusal) {
        uerr_set(err, "0A000", "%s", pq->refusal);
        return -1;
    }
    if (!dir || !*dir)
        dir = "/tmp";
    pq_sweep(dir);
    if ((size_t)snprintf(tmpl, sizeof tmpl, "%s/" PQ_PREFIX "%d-XXXXXX", dir, (int)getpid()) >=
            sizeof tmpl ||
        !mkdtemp(tmpl) || !realpath(tmpl, real)) {
        uerr_set(err, "58030", "cannot create the Parquet spool directory in %s: %s", dir,
                 strerror(errno));
        return -1;
    }
    pq->spool = xstrdup(real);
    if (pq_check_exposure(main, pq->spool, err) != 0) {
        if (!strcmp(err->sqlstate, "0A000")) {
            pq->refusal = xstrdup(err->message);
            ulog(ULOG_WARN, "%s: %s %s", err->message, err->detail ? err->detail : "",
                 err->hint ? err->hint : "");
        }
        goto fail;
    }
    if (pq_open_db(pq, err) != 0)
        goto fail;
    ulog(ULOG_INFO, "Parquet encoder opened: spool directory %s, memory_limit %llu MiB", pq->spool,
         (unsigned long long)(pq->memory >> 20));
    return 0;
fail:
    pq_remove_spool(pq->spool);
    free(pq->spool);
    pq->spool = NULL;
    return -1;
}

/* ---- one result into one file ---- */

void eng__pqout_free(struct eng__pqout *o)
{
    if (!o)
        return;
    if (o->fd >= 0)
        close(o->fd);
    free(o->buf);
    free(o);
}

/* Runs the COPY of src into src->path on a new encoder connection, interrupted with the
 * cursor's connection. Returns 0, or -1 with *err set. */
static int pq_copy(duckdb_database edb, pq_src_t *src, uerr_t *err)
{
    duckdb_connection con = NULL;
    duckdb_result res;
    ubuf_t sql = UBUF_INIT;
    eng_conn_t *owner = eng__cursor_conn(src->cur);
    int rc = -1;
    if (duckdb_connect(edb, &con) != DuckDBSuccess) {
        uerr_set(err, "53000", "could not connect to the Parquet encoder");
        return -1;
    }
    ubuf_printf(&sql, "COPY (SELECT * FROM " PQ_SOURCE "(%llu)) TO ", (unsigned long long)src->id);
    put_literal(&sql, src->path);
    ubuf_printf(&sql, " (FORMAT parquet, ROW_GROUP_SIZE_BYTES %llu)",
                (unsigned long long)src->row_group_bytes);
    eng__conn_set_side(owner, con);
    duckdb_state st = duckdb_query(con, ubuf_cstr(&sql), &res);
    eng__conn_set_side(owner, NULL);
    if (st == DuckDBSuccess) {
        rc = 0;
    } else if (uerr_isset(&src->err)) { /* the query's own error, or the size cap */
        uerr_move(err, &src->err);
    } else {
        eng__set_error(err, duckdb_result_error_type(&res), duckdb_result_error(&res));
        if (!strcmp(err->sqlstate, "53200"))
            uerr_set_hint(err, "The Parquet writer buffers one row group in http_parquet_memory, "
                               "shared by the requests encoding at once; raise it.");
    }
    duckdb_destroy_result(&res);
    duckdb_disconnect(&con);
    ubuf_free(&sql);
    return rc;
}

/* The byte size at which the writer closes a row group (it closes one at 122,880 rows too):
 * an eighth of the encoder's memory, as the writer needs a few times a row group's bytes
 * while it compresses one and several requests share the memory, within [1 MiB, 64 MiB]. */
static uint64_t pq_row_group_bytes(uint64_t memory)
{
    uint64_t b = memory / 8;
    return b < (1u << 20) ? (1u << 20) : b > (64u << 20) ? (64u << 20) : b;
}

/* Writes the cursor's remaining rows into a new spool file and opens it (unlinked). Returns
 * 0 with *out (owned by the caller) and *nrows, or -1 with *err set. */
static int pq_encode(eng_cursor_t *cur, struct eng__pqout **out, int64_t *nrows, uerr_t *err)
{
    struct eng__pq *pq = eng__db_pq(eng__cursor_conn(cur)->db);
    duckdb_database main = eng__db_handle(eng__cursor_conn(cur)->db);
    pq_src_t src = {.cur = cur, .err = UERR_INIT};
    uint64_t rnd = 0;
    char *path = NULL;
    int fd = -1, rc = -1;
    struct stat sb;
    pthread_mutex_lock(&pq->mu);
    if (pq_open(pq, main, err) != 0) {
        pthread_mutex_unlock(&pq->mu);
        return -1;
    }
    duckdb_database edb = pq->db;
    src.id = ++pq->next_id;
    src.max_size = pq->max_size;
    src.row_group_bytes = pq_row_group_bytes(pq->memory);
    if (getrandom(&rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
        rnd ^= (uint64_t)(uintptr_t)&src;
    size_t plen = strlen(pq->spool) + 64;
    path = xmalloc(plen);
    snprintf(path, plen, "%s/%llu-%016llx.parquet", pq->spool, (unsigned long long)src.id,
             (unsigned long long)rnd);
    src.path = path;
    src.next = pq->srcs;
    pq->srcs = &src;
    pthread_mutex_unlock(&pq->mu);

    int copied = pq_copy(edb, &src, err);
    if (copied == 0)
        fd = open(path, O_RDONLY | O_CLOEXEC);
    if (unlink(path) != 0 && errno != ENOENT)
        ulog(ULOG_WARN, "cannot remove the Parquet spool file %s: %s", path, strerror(errno));

    pthread_mutex_lock(&pq->mu);
    for (pq_src_t **p = &pq->srcs; *p; p = &(*p)->next)
        if (*p == &src) {
            *p = src.next;
            break;
        }
    pthread_mutex_unlock(&pq->mu);
    if (copied != 0)
        goto out;
    if (fd < 0 || fstat(fd, &sb) != 0) {
        uerr_set(err, "58030", "cannot read the Parquet spool file: %s", strerror(errno));
        goto out;
    }
    if ((uint64_t)sb.st_size > src.max_size) {
        uerr_set(err, "54000", "Parquet result too large");
        uerr_set_detail(err, "The Parquet file needs %llu bytes; http_parquet_max_size is %llu.",
                        (unsigned long long)sb.st_size, (unsigned long long)src.max_size);
        goto out;
    }
    *out = xcalloc(1, sizeof **out);
    (*out)->fd = fd;
    (*out)->size = (uint64_t)sb.st_size;
    (*out)->buf = xmalloc(ENG_PARQUET_PIECE);
    *nrows = src.rows;
    fd = -1;
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    uerr_clear(&src.err);
    free(path);
    return rc;
}

int eng_cursor_fetch_parquet(eng_cursor_t *cur, eng_bytes_fn fn, void *ctx, int64_t *nrows,
                             bool *done, uerr_t *err)
{
    struct eng__pqout **slot = eng__cursor_parquet(cur);
    *nrows = 0;
    *done = false;
    if (!*slot) {
        if (!eng_cursor_has_rows(cur)) /* reads the change count */
            return eng_cursor_fetch(cur, 0, NULL, NULL, nrows, done, err);
        if (pq_encode(cur, slot, nrows, err) != 0)
            return -1;
    }
    struct eng__pqout *o = *slot;
    if (o->fd < 0) {
        *done = true;
        return 0;
    }
    size_t want =
        o->size - o->off < ENG_PARQUET_PIECE ? (size_t)(o->size - o->off) : ENG_PARQUET_PIECE;
    size_t got = 0;
    while (got < want) {
        ssize_t r = pread(o->fd, o->buf + got, want - got, (off_t)(o->off + got));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            uerr_set(err, "58030", "cannot read the Parquet spool file: %s",
                     r < 0 ? strerror(errno) : "unexpected end of file");
            return -1;
        }
        got += (size_t)r;
    }
    o->off += got;
    if (o->off >= o->size) {
        close(o->fd);
        o->fd = -1;
        *done = true;
    }
    if (got && fn && fn(ctx, o->buf, got) != 0)
        return -1;
    return 0;
}
