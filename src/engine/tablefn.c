/* duckd's generic read-only table functions (see tablefn.h) and the owners of engine
 * connections, through which a callback learns who runs the query. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine_internal.h"
#include "engine/tablefn.h"
#include "util/xalloc.h"

/* ---- connection owners ---- */

/* Connections with an owner, linked through eng_conn.owner_next under owners_mu. The list
 * holds at most one entry per session, and is walked once per table function query. */
static pthread_mutex_t owners_mu = PTHREAD_MUTEX_INITIALIZER;
static eng_conn_t *owners;

static void owners_unlink_locked(eng_conn_t *c)
{
    for (eng_conn_t **p = &owners; *p; p = &(*p)->owner_next)
        if (*p == c) {
            *p = c->owner_next;
            c->owner_next = NULL;
            return;
        }
}

void eng_conn_set_owner(eng_conn_t *c, void *owner)
{
    duckdb_client_context ctx = NULL;
    pthread_mutex_lock(&owners_mu);
    owners_unlink_locked(c);
    c->owner = owner;
    if (owner) {
        duckdb_connection_get_client_context(c->con, &ctx);
        c->conn_id = ctx ? duckdb_client_context_get_connection_id(ctx) : 0;
        c->owner_next = owners;
        owners = c;
    }
    pthread_mutex_unlock(&owners_mu);
    if (ctx)
        duckdb_destroy_client_context(&ctx);
}

void eng__conn_forget_owner(eng_conn_t *c)
{
    pthread_mutex_lock(&owners_mu);
    owners_unlink_locked(c);
    c->owner = NULL;
    pthread_mutex_unlock(&owners_mu);
}

/* The owner of the connection with DuckDB id `id`, or NULL. */
static void *owner_of(idx_t id)
{
    void *owner = NULL;
    pthread_mutex_lock(&owners_mu);
    for (eng_conn_t *c = owners; c; c = c->owner_next)
        if (c->conn_id == id) {
            owner = c->owner;
            break;
        }
    pthread_mutex_unlock(&owners_mu);
    return owner;
}

/* ---- rows ---- */

struct eng_tf_rows {
    size_t ncols;
    const eng_tf_col_t *cols; /* borrowed from the function */
    eng_tf_val_t *vals;       /* nrows * ncols; text owned (xstrdup) */
    int64_t args[ENG_TF_MAX_PARAMS];
    size_t nrows, cap;
};

int64_t eng_tf_arg(const eng_tf_rows_t *rows, size_t i)
{
    return i < ENG_TF_MAX_PARAMS ? rows->args[i] : 0;
}

void eng_tf_add_row(eng_tf_rows_t *r, const eng_tf_val_t *vals)
{
    if (r->nrows == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 8;
        r->vals = xrealloc(r->vals, r->cap * r->ncols * sizeof *r->vals);
    }
    eng_tf_val_t *dst = r->vals + r->nrows * r->ncols;
    for (size_t i = 0; i < r->ncols; i++) {
        dst[i] = vals[i];
        if (r->cols[i].type == ENG_TF_TEXT) {
            dst[i].null = vals[i].null || !vals[i].s;
            dst[i].s = dst[i].null ? NULL : xstrdup(vals[i].s);
        }
    }
    r->nrows++;
}

static void rows_free(void *p)
{
    eng_tf_rows_t *r = p;
    if (!r)
        return;
    for (size_t i = 0; i < r->nrows * r->ncols; i++)
        free((char *)r->vals[i].s);
    free(r->vals);
    free(r);
}

/* ---- the DuckDB table function ---- */

/* A registered function (extra info, owned by DuckDB once registered). */
typedef struct tf_fn {
    char *name;
    eng_tf_col_t *cols; /* names owned */
    size_t ncols;
    eng_tf_fill_fn fill;
    void *ctx;
    size_t nparams;
} tf_fn_t;

static void tf_fn_free(void *p)
{
    tf_fn_t *f = p;
    if (!f)
        return;
    for (size_t i = 0; i < f->ncols; i++)
        free((char *)f->cols[i].name);
    free(f->cols);
    free(f->name);
    free(f);
}

/* Bind data: who runs the query (a connection always runs its statements, so the owner found
 * at bind stays right when a prepared statement is executed again). */
typedef struct tf_bind {
    void *caller;
    int64_t args[ENG_TF_MAX_PARAMS];
} tf_bind_t;

/* Init data: the rows of this execution and how far they were emitted. */
typedef struct tf_state {
    eng_tf_rows_t *rows;
    size_t next;
} tf_state_t;

static void tf_state_free(void *p)
{
    tf_state_t *st = p;
    if (!st)
        return;
    rows_free(st->rows);
    free(st);
}

static duckdb_type tf_duck_type(eng_tf_type_t t)
{
    switch (t) {
    case ENG_TF_BOOL: return DUCKDB_TYPE_BOOLEAN;
    case ENG_TF_BIGINT: return DUCKDB_TYPE_BIGINT;
    case ENG_TF_DOUBLE: return DUCKDB_TYPE_DOUBLE;
    case ENG_TF_TIMESTAMPTZ: return DUCKDB_TYPE_TIMESTAMP_TZ;
    default: return DUCKDB_TYPE_VARCHAR;
    }
}

static void tf_bind(duckdb_bind_info info)
{
    tf_fn_t *f = duckdb_bind_get_extra_info(info);
    duckdb_client_context ctx = NULL;
    tf_bind_t *b = xcalloc(1, sizeof *b);
    for (size_t i = 0; i < f->ncols; i++) {
        duckdb_logical_type lt = duckdb_create_logical_type(tf_duck_type(f->cols[i].type));
        duckdb_bind_add_result_column(info, f->cols[i].name, lt);
        duckdb_destroy_logical_type(&lt);
    }
    for (size_t i = 0; i < f->nparams; i++) {
        duckdb_value v = duckdb_bind_get_parameter(info, i);
        bool null = !v || duckdb_is_null_value(v);
        if (!null)
            b->args[i] = duckdb_get_int64(v);
        if (v)
            duckdb_destroy_value(&v);
        if (null) {
            duckdb_bind_set_error(info, ENG__SQLSTATE_MARK "22004] the argument must not be NULL");
            free(b);
            return;
        }
    }
    duckdb_table_function_get_client_context(info, &ctx);
    if (ctx) {
        b->caller = owner_of(duckdb_client_context_get_connection_id(ctx));
        duckdb_destroy_client_context(&ctx);
    }
    duckdb_bind_set_bind_data(info, b, free);
}

static void tf_init(duckdb_init_info info)
{
    tf_fn_t *f = duckdb_init_get_extra_info(info);
    tf_bind_t *b = duckdb_init_get_bind_data(info);
    tf_state_t *st = xcalloc(1, sizeof *st);
    uerr_t err = UERR_INIT;

    st->rows = xcalloc(1, sizeof *st->rows);
    st->rows->ncols = f->ncols;
    st->rows->cols = f->cols;
    memcpy(st->rows->args, b->args, sizeof b->args);
    duckdb_init_set_max_threads(info, 1);
    if (f->fill(f->ctx, b->caller, st->rows, &err) != 0) {
        char msg[1024];
        snprintf(msg, sizeof msg, ENG__SQLSTATE_MARK "%.5s] %s",
                 err.sqlstate[0] ? err.sqlstate : "XX000",
                 err.message ? err.message : "table function failed");
        duckdb_init_set_error(info, msg);
    }
    duckdb_init_set_init_data(info, st, tf_state_free);
    uerr_clear(&err);
}

static void tf_set_null(duckdb_vector v, idx_t row)
{
    duckdb_vector_ensure_validity_writable(v);
    duckdb_validity_set_row_invalid(duckdb_vector_get_validity(v), row);
}

static void tf_function(duckdb_function_info info, duckdb_data_chunk out)
{
    tf_fn_t *f = duckdb_function_get_extra_info(info);
    tf_state_t *st = duckdb_function_get_init_data(info);
    idx_t max = duckdb_vector_size(), n = 0;

    for (; n < max && st->next < st->rows->nrows; n++, st->next++) {
        const eng_tf_val_t *row = st->rows->vals + st->next * f->ncols;
        for (size_t i = 0; i < f->ncols; i++) {
            duckdb_vector v = duckdb_data_chunk_get_vector(out, i);
            void *d = duckdb_vector_get_data(v);
            if (row[i].null) {
                tf_set_null(v, n);
                continue;
            }
            switch (f->cols[i].type) {
            case ENG_TF_BOOL: ((bool *)d)[n] = row[i].b; break;
            case ENG_TF_BIGINT:
            case ENG_TF_TIMESTAMPTZ: ((int64_t *)d)[n] = row[i].i; break;
            case ENG_TF_DOUBLE: ((double *)d)[n] = row[i].d; break;
            case ENG_TF_TEXT: duckdb_vector_assign_string_element(v, n, row[i].s); break;
            }
        }
    }
    duckdb_data_chunk_set_size(out, n);
}

int eng_tf_register(eng_db_t *db, const eng_tf_def_t *def, uerr_t *err)
{
    duckdb_connection con = NULL;
    duckdb_table_function tf = NULL;
    tf_fn_t *f = xcalloc(1, sizeof *f);
    int rc = -1;

    f->name = xstrdup(def->name);
    f->cols = xcalloc(def->ncols ? def->ncols : 1, sizeof *f->cols);
    for (size_t i = 0; i < def->ncols; i++)
        f->cols[i] = (eng_tf_col_t){xstrdup(def->cols[i].name), def->cols[i].type};
    f->ncols = def->ncols;
    f->fill = def->fill;
    f->ctx = def->ctx;
    f->nparams = def->nparams < ENG_TF_MAX_PARAMS ? def->nparams : ENG_TF_MAX_PARAMS;
    if (duckdb_connect(eng__db_handle(db), &con) != DuckDBSuccess) {
        uerr_set(err, "58000", "could not connect to register %s", def->name);
        goto out;
    }
    tf = duckdb_create_table_function();
    duckdb_table_function_set_name(tf, f->name);
    duckdb_table_function_set_extra_info(tf, f, tf_fn_free);
    for (size_t i = 0; i < f->nparams; i++) {
        duckdb_logical_type lt = duckdb_create_logical_type(DUCKDB_TYPE_BIGINT);
        duckdb_table_function_add_parameter(tf, lt);
        duckdb_destroy_logical_type(&lt);
    }
    duckdb_table_function_set_bind(tf, tf_bind);
    duckdb_table_function_set_init(tf, tf_init);
    duckdb_table_function_set_function(tf, tf_function);
    f = NULL; /* DuckDB owns it now (freed with the function, even when registration fails) */
    if (duckdb_register_table_function(con, tf) != DuckDBSuccess) {
        uerr_set(err, "58000", "could not register table function %s", def->name);
        goto out;
    }
    rc = 0;
out:
    if (tf)
        duckdb_destroy_table_function(&tf);
    if (con)
        duckdb_disconnect(&con);
    tf_fn_free(f);
    return rc;
}

/* ---- scalar functions with a side effect ---- */

typedef struct sf_fn {
    eng_sf_bool_fn fn;
    void *ctx;
} sf_fn_t;

/* Bind data: the caller, found at bind as for table functions. */
typedef struct sf_bind {
    void *caller;
} sf_bind_t;

static void *sf_bind_copy(void *p)
{
    sf_bind_t *b = xcalloc(1, sizeof *b);
    *b = *(const sf_bind_t *)p;
    return b;
}

static void sf_bind(duckdb_bind_info info)
{
    duckdb_client_context ctx = NULL;
    sf_bind_t *b = xcalloc(1, sizeof *b);
    duckdb_scalar_function_get_client_context(info, &ctx);
    if (ctx) {
        b->caller = owner_of(duckdb_client_context_get_connection_id(ctx));
        duckdb_destroy_client_context(&ctx);
    }
    duckdb_scalar_function_set_bind_data(info, b, free);
    duckdb_scalar_function_set_bind_data_copy(info, sf_bind_copy);
}

static void sf_call(duckdb_function_info info, duckdb_data_chunk input, duckdb_vector output)
{
    const sf_fn_t *f = duckdb_scalar_function_get_extra_info(info);
    const sf_bind_t *b = duckdb_scalar_function_get_bind_data(info);
    idx_t n = duckdb_data_chunk_get_size(input);
    duckdb_vector in = duckdb_data_chunk_get_vector(input, 0);
    const int64_t *args = duckdb_vector_get_data(in);
    uint64_t *valid = duckdb_vector_get_validity(in);
    bool *out = duckdb_vector_get_data(output);
    uerr_t err = UERR_INIT;

    for (idx_t i = 0; i < n; i++) {
        if (valid && !duckdb_validity_row_is_valid(valid, i)) {
            tf_set_null(output, i);
            continue;
        }
        if (f->fn(f->ctx, b ? b->caller : NULL, args[i], &out[i], &err) != 0) {
            char msg[1024];
            snprintf(msg, sizeof msg, ENG__SQLSTATE_MARK "%.5s] %s",
                     err.sqlstate[0] ? err.sqlstate : "XX000",
                     err.message ? err.message : "function failed");
            duckdb_scalar_function_set_error(info, msg);
            break;
        }
    }
    uerr_clear(&err);
}

/* The text kind: eng_sf_text_fn per row. */
typedef struct sf_text_fn {
    eng_sf_text_fn fn;
    void *ctx;
} sf_text_fn_t;

static void sf_text_call(duckdb_function_info info, duckdb_data_chunk input, duckdb_vector output)
{
    const sf_text_fn_t *f = duckdb_scalar_function_get_extra_info(info);
    const sf_bind_t *b = duckdb_scalar_function_get_bind_data(info);
    idx_t n = duckdb_data_chunk_get_size(input);
    duckdb_vector in = duckdb_data_chunk_get_vector(input, 0);
    duckdb_string_t *args = duckdb_vector_get_data(in);
    uint64_t *valid = duckdb_vector_get_validity(in);
    char arg[256];

    for (idx_t i = 0; i < n; i++) {
        const char *v = NULL;
        if (!valid || duckdb_validity_row_is_valid(valid, i)) {
            size_t len = duckdb_string_t_length(args[i]);
            if (len < sizeof arg) { /* longer names are nobody's */
                memcpy(arg, duckdb_string_t_data(&args[i]), len);
                arg[len] = '\0';
                v = f->fn(f->ctx, b ? b->caller : NULL, arg, len);
            }
        }
        if (v)
            duckdb_vector_assign_string_element(output, i, v);
        else
            tf_set_null(output, i);
    }
}

/* Registers scalar function f (its name, parameter and return types set) on the database. */
static int sf_register(eng_db_t *db, const char *name, duckdb_scalar_function f, uerr_t *err)
{
    duckdb_connection con = NULL;
    int rc = -1;
    if (duckdb_connect(eng__db_handle(db), &con) != DuckDBSuccess) {
        uerr_set(err, "58000", "could not connect to register %s", name);
        goto out;
    }
    if (duckdb_register_scalar_function(con, f) != DuckDBSuccess) {
        uerr_set(err, "58000", "could not register function %s", name);
        goto out;
    }
    rc = 0;
out:
    if (con)
        duckdb_disconnect(&con);
    return rc;
}

int eng_sf_register_text(eng_db_t *db, const char *name, eng_sf_text_fn fn, void *ctx, uerr_t *err)
{
    duckdb_scalar_function f = duckdb_create_scalar_function();
    duckdb_logical_type t = duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR);
    sf_text_fn_t *info = xcalloc(1, sizeof *info);
    info->fn = fn;
    info->ctx = ctx;
    duckdb_scalar_function_set_name(f, name);
    duckdb_scalar_function_add_parameter(f, t);
    duckdb_scalar_function_set_return_type(f, t);
    duckdb_scalar_function_set_volatile(f);
    duckdb_scalar_function_set_bind(f, sf_bind);
    duckdb_scalar_function_set_function(f, sf_text_call);
    duckdb_scalar_function_set_extra_info(f, info, free); /* DuckDB owns it now */
    int rc = sf_register(db, name, f, err);
    duckdb_destroy_scalar_function(&f);
    duckdb_destroy_logical_type(&t);
    return rc;
}

int eng_sf_register_bool(eng_db_t *db, const char *name, eng_sf_bool_fn fn, void *ctx, uerr_t *err)
{
    duckdb_scalar_function f = duckdb_create_scalar_function();
    duckdb_logical_type arg = duckdb_create_logical_type(DUCKDB_TYPE_BIGINT);
    duckdb_logical_type ret = duckdb_create_logical_type(DUCKDB_TYPE_BOOLEAN);
    sf_fn_t *info = xcalloc(1, sizeof *info);

    info->fn = fn;
    info->ctx = ctx;
    duckdb_scalar_function_set_name(f, name);
    duckdb_scalar_function_add_parameter(f, arg);
    duckdb_scalar_function_set_return_type(f, ret);
    duckdb_scalar_function_set_volatile(f);
    duckdb_scalar_function_set_bind(f, sf_bind);
    duckdb_scalar_function_set_function(f, sf_call);
    duckdb_scalar_function_set_extra_info(f, info, free); /* DuckDB owns it now */
    int rc = sf_register(db, name, f, err);
    duckdb_destroy_scalar_function(&f);
    duckdb_destroy_logical_type(&arg);
    duckdb_destroy_logical_type(&ret);
    return rc;
}
