/* DuckDB database, connections, prepared statements and streaming cursors.
 * Every duckdb_* handle created here is destroyed on every path, including errors. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/engine_internal.h"
#include "types/pgtypes.h"
#include "util/log.h"
#include "util/xalloc.h"

/* Statements longer than this keep DuckDB's own result description (eng_stmt_probe_result). */
#define ENG_PROBE_MAX_SQL ((size_t)16 << 20)

struct eng_db {
    duckdb_database db;
    bool checkpoint_on_close; /* persistent and writable */
    char *catalog;            /* owned: the served database's catalog name */
    struct eng__pq *pq;       /* owned: the Parquet encoder (engine/parquet.c) */
};

/* ---- database ---- */

const char *eng_version(void) { return duckdb_library_version(); }

bool eng_option_known(const char *name)
{
    size_t n = duckdb_config_count();
    for (size_t i = 0; i < n; i++) {
        const char *opt = NULL, *desc = NULL;
        if (duckdb_get_config_flag(i, &opt, &desc) == DuckDBSuccess && opt &&
            strcasecmp(opt, name) == 0)
            return true;
    }
    return false;
}

int eng_db_open(eng_db_t **out, const char *path, bool read_only, const eng_option_t *opts,
                size_t nopts, uerr_t *err)
{
    int rc = -1;
    duckdb_config config = NULL;
    char *open_err = NULL;
    eng_db_t *db = xcalloc(1, sizeof *db);

    *out = NULL;
    if (duckdb_create_config(&config) != DuckDBSuccess) {
        uerr_set(err, "58000", "could not create DuckDB configuration");
        goto out;
    }
    for (size_t i = 0; i < nopts; i++) {
        if (!eng_option_known(opts[i].key)) {
            uerr_set(err, "F0000", "%s: unknown DuckDB setting \"%s\"", opts[i].origin,
                     opts[i].key);
            goto out;
        }
        if (duckdb_set_config(config, opts[i].key, opts[i].value) != DuckDBSuccess) {
            uerr_set(err, "F0000", "%s: invalid value \"%s\" for DuckDB setting \"%s\"",
                     opts[i].origin, opts[i].value, opts[i].key);
            goto out;
        }
    }
    if (read_only)
        (void)duckdb_set_config(config, "access_mode", "READ_ONLY");
    if (!path)
        path = ":memory:";
    if (duckdb_open_ext(path, &db->db, config, &open_err) != DuckDBSuccess) {
        uerr_set(err, "58030", "could not open database \"%s\": %s", path,
                 open_err ? open_err : "unknown error");
        goto out;
    }
    db->checkpoint_on_close = !read_only && strcmp(path, ":memory:") != 0;
    db->pq = eng__pq_new();
    if (eng__db_setup(db->db, &db->catalog, err) != 0) {
        duckdb_close(&db->db);
        goto out;
    }
    *out = db;
    db = NULL;
    rc = 0;
out:
    if (open_err)
        duckdb_free(open_err);
    if (config)
        duckdb_destroy_config(&config);
    free(db);
    return rc;
}

int eng_db_checkpoint(eng_db_t *db, uerr_t *err)
{
    duckdb_connection con = NULL;
    duckdb_result res;
    int rc = -1;
    if (duckdb_connect(db->db, &con) != DuckDBSuccess) {
        uerr_set(err, "58000", "could not connect for CHECKPOINT");
        return -1;
    }
    if (duckdb_query(con, "CHECKPOINT", &res) != DuckDBSuccess)
        eng__set_error(err, duckdb_result_error_type(&res), duckdb_result_error(&res));
    else
        rc = 0;
    duckdb_destroy_result(&res);
    duckdb_disconnect(&con);
    return rc;
}

int eng_db_memory(eng_db_t *db, int64_t *used, int64_t *temp, uerr_t *err)
{
    duckdb_connection con = NULL;
    duckdb_result res;
    int rc = -1;
    if (duckdb_connect(db->db, &con) != DuckDBSuccess) {
        uerr_set(err, "58000", "could not connect to read DuckDB's memory use");
        return -1;
    }
    if (duckdb_query(con,
                     "SELECT (SELECT coalesce(sum(memory_usage_bytes), 0) FROM duckdb_memory())"
                     "::BIGINT, (SELECT coalesce(sum(size), 0) FROM duckdb_temporary_files())"
                     "::BIGINT",
                     &res) != DuckDBSuccess) {
        eng__set_error(err, duckdb_result_error_type(&res), duckdb_result_error(&res));
    } else {
        *used = duckdb_value_int64(&res, 0, 0);
        *temp = duckdb_value_int64(&res, 1, 0);
        rc = 0;
    }
    duckdb_destroy_result(&res);
    duckdb_disconnect(&con);
    return rc;
}

void eng_db_close(eng_db_t *db)
{
    if (!db)
        return;
    if (db->checkpoint_on_close) {
        uerr_t err = UERR_INIT;
        if (eng_db_checkpoint(db, &err) != 0)
            ulog(ULOG_WARN, "CHECKPOINT at shutdown failed: %s", err.message);
        uerr_clear(&err);
    }
    eng__pq_free(db->pq);
    duckdb_close(&db->db);
    free(db->catalog);
    free(db);
}

const char *eng_db_catalog(const eng_db_t *db) { return db->catalog; }

duckdb_database eng__db_handle(eng_db_t *db) { return db->db; }

struct eng__pq *eng__db_pq(eng_db_t *db) { return db->pq; }

/* ---- connections ---- */

int eng_conn_open(eng_db_t *db, eng_conn_t **out, uerr_t *err)
{
    eng_conn_t *c = xcalloc(1, sizeof *c);
    if (duckdb_connect(db->db, &c->con) != DuckDBSuccess) {
        free(c);
        *out = NULL;
        uerr_set(err, "53000", "could not open a DuckDB connection");
        return -1;
    }
    c->db = db;
    pthread_mutex_init(&c->side_mu, NULL);
    /* The encoders print timestamptz in UTC; DuckDB's own time zone arithmetic (casts,
     * date_trunc on timestamptz) must agree, whatever the machine's local zone is. DuckDB
     * measures a query's progress only with its progress bar on (a connection setting: the
     * database's default does not reach connections); duckd reports the progress in the
     * sessions view and the log and never prints DuckDB's bar. A streaming result computes
     * ahead of the client only streaming_buffer_size, which DuckDB counts without the bytes of
     * strings: at its default (976.5 KiB) a result of 10 KB values buffered ~1 GB; 64 KB
     * bounds that to ~150 MB; no cost in download time showed within this host's noise. */
    duckdb_result res;
    if (duckdb_query(c->con,
                     "SET TimeZone = 'UTC'; SET enable_progress_bar = true; "
                     "SET enable_progress_bar_print = false; SET streaming_buffer_size = '64KB'",
                     &res) != DuckDBSuccess)
        ulog(ULOG_DEBUG, "connection setup failed: %s", duckdb_result_error(&res));
    duckdb_destroy_result(&res);
    *out = c;
    return 0;
}

static void eng_conn_free_path(eng_conn_t *c)
{
    for (size_t i = 0; i < c->npath; i++)
        free(c->path[i]);
    free(c->path);
    c->path = NULL;
    c->npath = 0;
}

void eng_conn_close(eng_conn_t *c)
{
    if (!c)
        return;
    if (c->owner)
        eng__conn_forget_owner(c);
    utz_close(c->tz);
    eng_conn_free_path(c);
    duckdb_disconnect(&c->con);
    pthread_mutex_destroy(&c->side_mu);
    free(c);
}

void eng_conn_interrupt(eng_conn_t *c)
{
    __atomic_add_fetch(&c->intr_seq, 1, __ATOMIC_SEQ_CST);
    duckdb_interrupt(c->con);
    pthread_mutex_lock(&c->side_mu);
    if (c->side)
        duckdb_interrupt(c->side);
    pthread_mutex_unlock(&c->side_mu);
}

unsigned eng__intr_seq(eng_conn_t *c) { return __atomic_load_n(&c->intr_seq, __ATOMIC_SEQ_CST); }

bool eng__interrupted_since(eng_conn_t *c, unsigned seq, uerr_t *err)
{
    if (eng__intr_seq(c) == seq)
        return false;
    uerr_set(err, "57014", "canceling statement due to user request");
    return true;
}

void eng_conn_keep_types(eng_conn_t *c, bool on) { c->keep_types = on; }

bool eng_conn_measure_progress(eng_conn_t *c, bool measure)
{
    duckdb_result res;
    bool now = false, changed = false;
    if (duckdb_query(c->con, "SELECT current_setting('enable_progress_bar')", &res) ==
            DuckDBSuccess &&
        duckdb_row_count(&res) == 1)
        now = duckdb_value_boolean(&res, 0, 0);
    duckdb_destroy_result(&res);
    if (now == measure)
        goto out;
    changed =
        duckdb_query(c->con,
                     measure ? "SET enable_progress_bar = true" : "SET enable_progress_bar = false",
                     &res) == DuckDBSuccess;
    duckdb_destroy_result(&res);
out:
    return changed;
}

void eng__conn_set_side(eng_conn_t *c, duckdb_connection side)
{
    pthread_mutex_lock(&c->side_mu);
    c->side = side;
    pthread_mutex_unlock(&c->side_mu);
}

bool eng_conn_progress(eng_conn_t *c, eng_progress_t *out)
{
    duckdb_query_progress_type p = duckdb_query_progress(c->con);
    *out = (eng_progress_t){p.percentage, p.rows_processed, p.total_rows_to_process};
    return p.percentage >= 0;
}

/* Runs one SET/RESET of the connection's search_path; returns 0 or -1 with *msg (owned) set
 * to DuckDB's message. */
static int eng_run_set_path(eng_conn_t *c, const char *const *schemas, size_t n, char **msg)
{
    ubuf_t q = UBUF_INIT;
    duckdb_result res;
    if (n == 0) {
        ubuf_puts(&q, "RESET search_path");
    } else {
        ubuf_puts(&q, "SET SESSION search_path = '");
        for (size_t i = 0; i < n; i++) {
            ubuf_puts(&q, i ? ",\"" : "\"");
            for (const char *p = schemas[i]; *p; p++) {
                if (*p == '"')
                    ubuf_putc(&q, '"');
                if (*p == '\'')
                    ubuf_putc(&q, '\'');
                ubuf_putc(&q, *p);
            }
            ubuf_putc(&q, '"');
        }
        ubuf_putc(&q, '\'');
    }
    int rc = duckdb_query(c->con, ubuf_cstr(&q), &res) == DuckDBSuccess ? 0 : -1;
    if (rc != 0 && msg)
        *msg = xstrdup(duckdb_result_error(&res) ? duckdb_result_error(&res) : "error");
    duckdb_destroy_result(&res);
    ubuf_free(&q);
    return rc;
}

int eng_conn_set_search_path(eng_conn_t *c, const char *const *schemas, size_t n, size_t *kept,
                             uerr_t *err)
{
    int rc = -1;
    char *msg = NULL;
    const char **ok = xcalloc(n ? n : 1, sizeof *ok);
    size_t nok = 0;
    /* PostgreSQL accepts schemas that do not exist (yet); DuckDB refuses them: keep those it
     * knows, in order */
    for (size_t i = 0; i < n; i++)
        if (eng_run_set_path(c, &schemas[i], 1, NULL) == 0)
            ok[nok++] = schemas[i];
    eng_conn_free_path(c);
    if (eng_run_set_path(c, ok, nok, &msg) != 0) {
        uerr_set(err, "22023", "invalid value for parameter \"search_path\"");
        uerr_set_detail(err, "%s", msg);
        (void)eng_run_set_path(c, NULL, 0, NULL);
        goto out;
    }
    /* kept for what resolves names without DuckDB's binder (the COPY appender) */
    c->npath = nok;
    c->path = nok ? xcalloc(nok, sizeof *c->path) : NULL;
    for (size_t i = 0; i < nok; i++)
        c->path[i] = xstrdup(ok[i]);
    *kept = nok;
    rc = 0;
out:
    free(msg);
    free(ok);
    return rc;
}

int eng_conn_set_timezone(eng_conn_t *c, const char *name, char *canon, size_t n, uerr_t *err)
{
    int rc = -1;
    ubuf_t q = UBUF_INIT;
    duckdb_result res;
    bool have_res = false;
    utz_t *tz = NULL;
    if (!utz_lookup(name, canon, n)) {
        uerr_set(err, "22023", "invalid value for parameter \"TimeZone\": \"%s\"", name);
        goto out;
    }
    bool utc = strcmp(canon, "UTC") == 0;
    if (!utc && (tz = utz_open(canon)) == NULL) {
        uerr_set(err, "22023", "invalid value for parameter \"TimeZone\": \"%s\"", name);
        goto out;
    }
    /* DuckDB's own casts, date_trunc, extract, ... of timestamptz follow the same zone */
    ubuf_puts(&q, "SET SESSION TimeZone = '");
    for (const char *p = canon; *p; p++) {
        if (*p == '\'')
            ubuf_putc(&q, '\'');
        ubuf_putc(&q, *p);
    }
    ubuf_putc(&q, '\'');
    have_res = true;
    if (duckdb_query(c->con, ubuf_cstr(&q), &res) != DuckDBSuccess) {
        uerr_set(err, "22023", "invalid value for parameter \"TimeZone\": \"%s\"", name);
        uerr_set_detail(err, "%s", duckdb_result_error(&res));
        goto out;
    }
    utz_close(c->tz);
    c->tz = tz;
    tz = NULL;
    rc = 0;
out:
    if (have_res)
        duckdb_destroy_result(&res);
    utz_close(tz);
    ubuf_free(&q);
    return rc;
}

/* ---- statements ---- */

static eng_kind_t eng_kind_of(duckdb_statement_type t)
{
    switch (t) {
    case DUCKDB_STATEMENT_TYPE_SELECT: return ENG_KIND_SELECT;
    case DUCKDB_STATEMENT_TYPE_INSERT: return ENG_KIND_INSERT;
    case DUCKDB_STATEMENT_TYPE_UPDATE: return ENG_KIND_UPDATE;
    case DUCKDB_STATEMENT_TYPE_DELETE: return ENG_KIND_DELETE;
    case DUCKDB_STATEMENT_TYPE_CREATE:
    case DUCKDB_STATEMENT_TYPE_CREATE_FUNC: return ENG_KIND_CREATE;
    case DUCKDB_STATEMENT_TYPE_DROP: return ENG_KIND_DROP;
    case DUCKDB_STATEMENT_TYPE_ALTER: return ENG_KIND_ALTER;
    case DUCKDB_STATEMENT_TYPE_TRANSACTION: return ENG_KIND_TRANSACTION;
    case DUCKDB_STATEMENT_TYPE_SET:
    case DUCKDB_STATEMENT_TYPE_VARIABLE_SET: return ENG_KIND_SET;
    case DUCKDB_STATEMENT_TYPE_COPY: return ENG_KIND_COPY;
    case DUCKDB_STATEMENT_TYPE_EXPLAIN: return ENG_KIND_EXPLAIN;
    case DUCKDB_STATEMENT_TYPE_PRAGMA: return ENG_KIND_PRAGMA;
    case DUCKDB_STATEMENT_TYPE_CALL: return ENG_KIND_CALL;
    case DUCKDB_STATEMENT_TYPE_ATTACH: return ENG_KIND_ATTACH;
    case DUCKDB_STATEMENT_TYPE_DETACH: return ENG_KIND_DETACH;
    case DUCKDB_STATEMENT_TYPE_LOAD:
    case DUCKDB_STATEMENT_TYPE_EXTENSION: return ENG_KIND_LOAD;
    case DUCKDB_STATEMENT_TYPE_EXPORT: return ENG_KIND_EXPORT;
    case DUCKDB_STATEMENT_TYPE_VACUUM:
    case DUCKDB_STATEMENT_TYPE_ANALYZE: return ENG_KIND_VACUUM;
    case DUCKDB_STATEMENT_TYPE_PREPARE: return ENG_KIND_PREPARE;
    case DUCKDB_STATEMENT_TYPE_EXECUTE: return ENG_KIND_EXECUTE;
    default: return ENG_KIND_OTHER; /* relation, logical plan, multi, newer kinds */
    }
}

/* Fills in what a column description derives from its DuckDB type (not the name). */
static void eng_col_set_type(eng_col_t *col, duckdb_logical_type lt)
{
    eng__enc_t e;
    eng__enc_init(&e, lt);
    col->oid = e.oid;
    col->typlen = eng__enc_typlen(&e);
    col->typmod = eng__enc_typmod(&e);
    col->json_type = eng__json_type(&e);
    col->type_name = eng__type_name(lt);
    eng__enc_free(&e);
}

static void eng_stmt_describe(eng_stmt_t *s)
{
    s->nparams = duckdb_nparams(s->ps);
    s->param_oids = xcalloc(s->nparams ? s->nparams : 1, sizeof *s->param_oids);
    s->param_unresolved = xcalloc(s->nparams ? s->nparams : 1, sizeof *s->param_unresolved);
    s->ptypes = xcalloc(s->nparams ? s->nparams : 1, sizeof *s->ptypes);
    for (size_t i = 0; i < s->nparams; i++) {
        duckdb_logical_type lt = duckdb_param_logical_type(s->ps, i + 1);
        duckdb_type t = lt ? duckdb_get_type_id(lt) : DUCKDB_TYPE_INVALID;
        s->ptypes[i].type = t;
        if (t == DUCKDB_TYPE_DECIMAL) {
            s->ptypes[i].dec_width = duckdb_decimal_width(lt);
            s->ptypes[i].dec_scale = duckdb_decimal_scale(lt);
        }
        s->param_unresolved[i] = t == DUCKDB_TYPE_INVALID || t == DUCKDB_TYPE_ANY ||
                                 t == DUCKDB_TYPE_SQLNULL || t == DUCKDB_TYPE_STRING_LITERAL;
        s->param_oids[i] = s->param_unresolved[i] ? PGT_TEXT : eng__oid_for_type(lt);
        if (t == DUCKDB_TYPE_INTEGER_LITERAL)
            s->param_oids[i] = PGT_INT4;
        if (lt)
            duckdb_destroy_logical_type(&lt);
    }
    s->ncols = duckdb_prepared_statement_column_count(s->ps);
    s->cols = xcalloc(s->ncols ? s->ncols : 1, sizeof *s->cols);
    for (size_t i = 0; i < s->ncols; i++) {
        duckdb_logical_type lt = duckdb_prepared_statement_column_logical_type(s->ps, i);
        s->cols[i].name = duckdb_prepared_statement_column_name(s->ps, i);
        eng_col_set_type(&s->cols[i], lt);
        duckdb_destroy_logical_type(&lt);
    }
}

/* Releases the statement's column descriptions and leaves it describing none. */
static void stmt_cols_free(eng_stmt_t *s)
{
    for (size_t i = 0; i < s->ncols; i++) {
        if (s->renamed && s->renamed[i])
            free((char *)s->cols[i].name);
        else
            duckdb_free((void *)s->cols[i].name);
        free((char *)s->cols[i].type_name);
    }
    s->ncols = 0;
}

/* DuckDB cannot type the result of a statement whose binding depends on a parameter's value
 * (array_length($1::TEXT[], 1), len($1): such functions are bound again at execution) and
 * describes it as one INVALID column "unknown". A client that describes the statement before
 * binding it (asyncpg, postgres.js) then reads the rows against that one text column. For such
 * a SELECT the result is described from a probe instead: the statement wrapped as
 *   SELECT * FROM (<sql>) AS duckd_describe LIMIT 0
 * run once with every parameter NULL (no rows, no side effects: a SELECT). The probe's names
 * also name the executed result's columns (DuckDB suffixes duplicate names in a subquery with
 * _1, ...), so Describe and the rows agree. If the probe fails, DuckDB's description stays. */
static void eng_stmt_probe_result(eng_stmt_t *s, const char *sql)
{
    ubuf_t q = UBUF_INIT;
    duckdb_prepared_statement probe = NULL;
    duckdb_result res;
    bool have_res = false;
    if (s->kind != ENG_KIND_SELECT || s->script || s->nparams == 0 || s->ncols != 1 ||
        duckdb_prepared_statement_column_type(s->ps, 0) != DUCKDB_TYPE_INVALID ||
        strlen(sql) > ENG_PROBE_MAX_SQL)
        goto out;
    ubuf_puts(&q, "SELECT * FROM (\n");
    ubuf_puts(&q, sql);
    ubuf_puts(&q, "\n) AS duckd_describe LIMIT 0");
    if (duckdb_prepare(s->conn->con, ubuf_cstr(&q), &probe) != DuckDBSuccess ||
        duckdb_nparams(probe) != s->nparams)
        goto out;
    for (idx_t i = 1; i <= s->nparams; i++)
        if (duckdb_bind_null(probe, i) != DuckDBSuccess)
            goto out;
    have_res = true;
    if (duckdb_execute_prepared(probe, &res) != DuckDBSuccess)
        goto out;
    idx_t n = duckdb_column_count(&res);
    for (idx_t i = 0; i < n; i++) {
        duckdb_logical_type lt = duckdb_column_logical_type(&res, i);
        bool unusable = duckdb_get_type_id(lt) == DUCKDB_TYPE_INVALID || eng__type_opaque(lt);
        duckdb_destroy_logical_type(&lt);
        if (unusable)
            goto out;
    }
    if (n == 0)
        goto out;
    stmt_cols_free(s);
    free(s->cols);
    free(s->renamed);
    s->cols = xcalloc(n, sizeof *s->cols);
    s->renamed = xcalloc(n, sizeof *s->renamed);
    s->ncols = n;
    for (idx_t i = 0; i < n; i++) {
        duckdb_logical_type lt = duckdb_column_logical_type(&res, i);
        const char *name = duckdb_column_name(&res, i);
        s->cols[i].name = xstrdup(name ? name : "?column?");
        s->renamed[i] = true;
        eng_col_set_type(&s->cols[i], lt);
        duckdb_destroy_logical_type(&lt);
    }
out:
    if (have_res)
        duckdb_destroy_result(&res);
    duckdb_destroy_prepare(&probe);
    ubuf_free(&q);
}

/* DuckDB describes DML and DDL as returning one BIGINT "Count" (or "Success") column; a
 * PostgreSQL client expects NoData for them, so only real row-returning statements keep
 * their columns (INSERT ... RETURNING keeps its own). */
static void eng_stmt_hide_count_column(eng_stmt_t *s)
{
    bool dml =
        s->kind == ENG_KIND_INSERT || s->kind == ENG_KIND_UPDATE || s->kind == ENG_KIND_DELETE;
    bool rowless = s->kind == ENG_KIND_CREATE || s->kind == ENG_KIND_DROP ||
                   s->kind == ENG_KIND_ALTER || s->kind == ENG_KIND_TRANSACTION ||
                   s->kind == ENG_KIND_SET;
    bool count_only =
        s->ncols == 1 && s->cols[0].name &&
        (strcmp(s->cols[0].name, "Count") == 0 || strcmp(s->cols[0].name, "Success") == 0);
    if (rowless || (dml && count_only))
        stmt_cols_free(s);
}

/* The index of the first result column whose type (or a nested one) the encoders cannot send,
 * or -1. */
static long eng_first_opaque_column(duckdb_prepared_statement ps)
{
    long found = -1;
    idx_t n = duckdb_prepared_statement_column_count(ps);
    for (idx_t i = 0; i < n && found < 0; i++) {
        duckdb_logical_type lt = duckdb_prepared_statement_column_logical_type(ps, i);
        if (eng__type_opaque(lt))
            found = (long)i;
        duckdb_destroy_logical_type(&lt);
    }
    return found;
}

/* A SELECT whose result has opaque columns (GEOMETRY, VARIANT, ...: types PostgreSQL has no
 * match for and duckd does not decode) is prepared again as
 *   SELECT #1 AS "a", CAST(#2 AS VARCHAR) AS "g" FROM (<sql>) AS duckd_opaque
 * so DuckDB itself renders those columns as text and every value reaches the client. Any
 * other statement with such a column is refused: nothing is ever sent as a placeholder.
 * Returns 0 with *ps replaced (the old one destroyed), or -1 with *err set. */
static int eng_wrap_opaque(eng_conn_t *c, const char *sql, duckdb_prepared_statement *ps,
                           long first, uerr_t *err)
{
    int rc = -1;
    ubuf_t q = UBUF_INIT;
    duckdb_prepared_statement wrapped = NULL;
    const char *name = duckdb_prepared_statement_column_name(*ps, (idx_t)first);
    if (duckdb_prepared_statement_type(*ps) != DUCKDB_STATEMENT_TYPE_SELECT) {
        uerr_set(err, "0A000",
                 "result column \"%s\" has a DuckDB type PostgreSQL clients "
                 "cannot receive",
                 name ? name : "?");
        uerr_set_hint(err, "Cast it to VARCHAR.");
        goto out;
    }
    ubuf_puts(&q, "SELECT ");
    idx_t n = duckdb_prepared_statement_column_count(*ps);
    for (idx_t i = 0; i < n; i++) {
        duckdb_logical_type lt = duckdb_prepared_statement_column_logical_type(*ps, i);
        const char *cn = duckdb_prepared_statement_column_name(*ps, i);
        ubuf_printf(&q, eng__type_opaque(lt) ? "%sCAST(#%llu AS VARCHAR) AS \"" : "%s#%llu AS \"",
                    i ? ", " : "", (unsigned long long)i + 1);
        for (const char *p = cn ? cn : ""; *p; p++) {
            if (*p == '"')
                ubuf_putc(&q, '"');
            ubuf_putc(&q, *p);
        }
        ubuf_putc(&q, '"');
        duckdb_free((void *)cn);
        duckdb_destroy_logical_type(&lt);
    }
    ubuf_puts(&q, " FROM (\n");
    ubuf_puts(&q, sql);
    ubuf_puts(&q, "\n) AS duckd_opaque");
    if (duckdb_prepare(c->con, ubuf_cstr(&q), &wrapped) != DuckDBSuccess ||
        eng_first_opaque_column(wrapped) >= 0) {
        uerr_set(err, "0A000",
                 "result column \"%s\" has a DuckDB type PostgreSQL clients "
                 "cannot receive",
                 name ? name : "?");
        uerr_set_hint(err, "Cast it to VARCHAR.");
        goto out;
    }
    duckdb_destroy_prepare(ps);
    *ps = wrapped;
    wrapped = NULL;
    rc = 0;
out:
    duckdb_destroy_prepare(&wrapped);
    duckdb_free((void *)name);
    ubuf_free(&q);
    return rc;
}

int eng_prepare(eng_conn_t *c, const char *sql, eng_stmt_t **out, uerr_t *err)
{
    eng_stmt_t *s = xcalloc(1, sizeof *s);
    unsigned seq = __atomic_load_n(&c->intr_seq, __ATOMIC_SEQ_CST);
    *out = NULL;
    s->conn = c;
    if (duckdb_prepare(c->con, sql, &s->ps) != DuckDBSuccess) {
        duckdb_prepared_statement failed = s->ps;
        const char *msg = duckdb_prepare_error(failed);
        int multi = 0;
        s->ps = NULL;
        /* DuckDB's own expansion of one statement into several (multi.c) */
        if (msg && strstr(msg, "multiple statements"))
            multi = eng__prepare_multi(s, sql, err);
        if (multi == 0)
            eng__set_error(err, DUCKDB_ERROR_INVALID, msg);
        duckdb_destroy_prepare(&failed);
        if (multi <= 0) {
            eng_stmt_free(s);
            return -1;
        }
    }
    if (eng__interrupted_since(c, seq, err)) { /* planning took long enough to be cancelled */
        eng_stmt_free(s);
        return -1;
    }
    long opaque = eng_first_opaque_column(s->ps);
    if (opaque >= 0 && !c->keep_types && eng_wrap_opaque(c, sql, &s->ps, opaque, err) != 0) {
        duckdb_destroy_prepare(&s->ps);
        free(s);
        return -1;
    }
    s->kind = eng_kind_of(duckdb_prepared_statement_type(s->ps));
    eng_stmt_describe(s);
    eng_stmt_probe_result(s, sql);
    eng_stmt_hide_count_column(s);
    *out = s;
    return 0;
}

void eng_stmt_free(eng_stmt_t *s)
{
    if (!s)
        return;
    stmt_cols_free(s);
    free(s->cols);
    free(s->renamed);
    free(s->param_oids);
    free(s->param_unresolved);
    free(s->ptypes);
    ubuf_free(&s->scratch);
    duckdb_destroy_prepare(&s->ps);
    free(s->script);
    free(s);
}

eng_kind_t eng_stmt_kind(const eng_stmt_t *s) { return s->kind; }
size_t eng_stmt_nparams(const eng_stmt_t *s) { return s->nparams; }
uint32_t eng_stmt_param_oid(const eng_stmt_t *s, size_t i) { return s->param_oids[i]; }
bool eng_stmt_param_unresolved(const eng_stmt_t *s, size_t i) { return s->param_unresolved[i]; }
size_t eng_stmt_ncols(const eng_stmt_t *s) { return s->ncols; }
bool eng_stmt_is_script(const eng_stmt_t *s) { return s->script != NULL; }
const eng_col_t *eng_stmt_col(const eng_stmt_t *s, size_t i) { return &s->cols[i]; }

void eng_stmt_rename_cols(eng_stmt_t *s, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n && i < s->ncols; i++) {
        if (!names[i])
            continue;
        if (!s->renamed)
            s->renamed = xcalloc(s->ncols, sizeof *s->renamed);
        if (s->renamed[i])
            free((char *)s->cols[i].name);
        else
            duckdb_free((void *)s->cols[i].name);
        s->cols[i].name = xstrdup(names[i]);
        s->renamed[i] = true;
    }
}

const char *eng__stmt_col_rename(const eng_stmt_t *s, size_t i)
{
    return s && s->renamed && i < s->ncols && s->renamed[i] ? s->cols[i].name : NULL;
}
