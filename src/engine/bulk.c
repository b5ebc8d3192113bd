/* Group-commit inserts: shapes (a table and the columns a statement fills), rows converted by
 * the sessions, and one prepared INSERT ... SELECT FROM duckd_rows(id) per shape on the
 * committer's connection. See bulk.h. */
#include "engine/bulk.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/engine_internal.h"
#include "types/pgtypes.h"
#include "util/utf8.h"
#include "util/xalloc.h"

/* How a target column's values travel through duckd_rows. */
typedef enum {
    BULK_TYPED, /* one column of the target's own type, filled exactly */
    BULK_TEXT,  /* one VARCHAR column that the INSERT casts to the target type */
    BULK_BOTH   /* date/time types: a typed column (binary parameters) and a VARCHAR one
                   (text), joined with COALESCE */
} bulk_carry_t;

typedef struct bulk_col {
    eng__ptype_t pt;    /* the target column's DuckDB type */
    bulk_carry_t carry; /* how its values travel */
    char *name;         /* owned: the listed column's name, NULL when none were listed */
} bulk_col_t;

struct eng_shape {
    char *catalog, *schema, *table; /* owned; NULL parts: the connection's defaults */
    size_t ncols;
    bulk_col_t *cols; /* owned, ncols */
    bool listed;      /* the statement named its columns */
};

/* One converted value: tag 0 NULL, 1 the typed value in v, 2 bytes at off/len of the rows'
 * byte arena (text, or a BLOB's bytes). */
typedef struct bulk_cell {
    uint8_t tag;
    uint32_t len;
    uint64_t off;
    union {
        int64_t i;
        uint64_t u;
        double d;
        float f;
        bool b;
    } v;
} bulk_cell_t;

struct eng_rows {
    const eng_shape_t *sh; /* borrowed */
    ubuf_t cells;          /* nrows * ncols bulk_cell_t */
    ubuf_t bytes;          /* text and blob bytes the cells point into */
    ubuf_t scratch;        /* conversions */
    size_t nrows;
};

struct eng_inserter {
    const eng_shape_t *sh; /* borrowed */
    eng_conn_t *conn;      /* borrowed */
    duckdb_prepared_statement ps;
    int64_t id;    /* its number in the registry below (duckd_rows' argument) */
    idx_t conn_id; /* DuckDB's id of conn: duckd_rows answers no other connection */
    /* The rows of the running execution (set by eng_inserter_run only). */
    eng_rows_t *const *parts;
    size_t nparts, part, row;
};

/* ---- the registry of inserters, for duckd_rows' bind ---- */

static pthread_mutex_t bulk_mu = PTHREAD_MUTEX_INITIALIZER;
static eng_inserter_t **bulk_ins; /* indexed by id - 1; NULL slots are free */
static size_t bulk_nins;

static int64_t bulk_register(eng_inserter_t *ins)
{
    size_t i;
    pthread_mutex_lock(&bulk_mu);
    for (i = 0; i < bulk_nins && bulk_ins[i]; i++)
        ;
    if (i == bulk_nins) {
        bulk_nins = bulk_nins ? bulk_nins * 2 : 16;
        bulk_ins = xrealloc(bulk_ins, bulk_nins * sizeof *bulk_ins);
        memset(bulk_ins + i, 0, (bulk_nins - i) * sizeof *bulk_ins);
    }
    bulk_ins[i] = ins;
    pthread_mutex_unlock(&bulk_mu);
    return (int64_t)i + 1;
}

static void bulk_unregister(int64_t id)
{
    pthread_mutex_lock(&bulk_mu);
    if (id > 0 && (size_t)id <= bulk_nins)
        bulk_ins[id - 1] = NULL;
    pthread_mutex_unlock(&bulk_mu);
}

static eng_inserter_t *bulk_lookup(int64_t id)
{
    eng_inserter_t *ins = NULL;
    pthread_mutex_lock(&bulk_mu);
    if (id > 0 && (size_t)id <= bulk_nins)
        ins = bulk_ins[id - 1];
    pthread_mutex_unlock(&bulk_mu);
    return ins;
}

/* ---- the duckd_rows table function ---- */

static bool bulk_typed_ok(duckdb_type t)
{
    return eng__type_is_int(t) || t == DUCKDB_TYPE_BOOLEAN || t == DUCKDB_TYPE_FLOAT ||
           t == DUCKDB_TYPE_DOUBLE || t == DUCKDB_TYPE_VARCHAR || t == DUCKDB_TYPE_BLOB;
}

static bool bulk_both(duckdb_type t)
{
    return t == DUCKDB_TYPE_DATE || t == DUCKDB_TYPE_TIME || t == DUCKDB_TYPE_TIMESTAMP ||
           t == DUCKDB_TYPE_TIMESTAMP_TZ;
}

static void bulk_add_column(duckdb_bind_info info, const char *name, duckdb_type t)
{
    duckdb_logical_type lt = duckdb_create_logical_type(t);
    duckdb_bind_add_result_column(info, name, lt);
    duckdb_destroy_logical_type(&lt);
}

static void bulk_bind(duckdb_bind_info info)
{
    duckdb_value v = duckdb_bind_get_parameter(info, 0);
    int64_t id = v ? duckdb_get_int64(v) : 0;
    duckdb_client_context ctx = NULL;
    eng_inserter_t *ins = bulk_lookup(id);
    char name[32];

    if (v)
        duckdb_destroy_value(&v);
    duckdb_table_function_get_client_context(info, &ctx);
    if (!ins || !ctx || duckdb_client_context_get_connection_id(ctx) != ins->conn_id) {
        duckdb_bind_set_error(info, "duckd_rows is internal to duckd");
        goto out;
    }
    for (size_t i = 0; i < ins->sh->ncols; i++) {
        const bulk_col_t *c = &ins->sh->cols[i];
        snprintf(name, sizeof name, "c%zu", i);
        bulk_add_column(info, name, c->carry == BULK_TEXT ? DUCKDB_TYPE_VARCHAR : c->pt.type);
        if (c->carry == BULK_BOTH) {
            snprintf(name, sizeof name, "t%zu", i);
            bulk_add_column(info, name, DUCKDB_TYPE_VARCHAR);
        }
    }
    duckdb_bind_set_bind_data(info, ins, NULL);
out:
    if (ctx)
        duckdb_destroy_client_context(&ctx);
}

static void bulk_init(duckdb_init_info info)
{
    eng_inserter_t *ins = duckdb_init_get_bind_data(info);
    ins->part = ins->row = 0;
    duckdb_init_set_max_threads(info, 1);
}

static void bulk_set_null(duckdb_vector v, idx_t row)
{
    duckdb_vector_ensure_validity_writable(v);
    duckdb_validity_set_row_invalid(duckdb_vector_get_validity(v), row);
}

/* Writes one cell into row `row` of the typed vector v (type t). */
static void bulk_put_typed(duckdb_vector v, duckdb_type t, idx_t row, const bulk_cell_t *c,
                           const eng_rows_t *r)
{
    void *d = duckdb_vector_get_data(v);
    switch (t) {
    case DUCKDB_TYPE_BOOLEAN: ((bool *)d)[row] = c->v.b; break;
    case DUCKDB_TYPE_TINYINT: ((int8_t *)d)[row] = (int8_t)c->v.i; break;
    case DUCKDB_TYPE_SMALLINT: ((int16_t *)d)[row] = (int16_t)c->v.i; break;
    case DUCKDB_TYPE_INTEGER: ((int32_t *)d)[row] = (int32_t)c->v.i; break;
    case DUCKDB_TYPE_DATE: ((int32_t *)d)[row] = (int32_t)c->v.i; break;
    case DUCKDB_TYPE_UTINYINT: ((uint8_t *)d)[row] = (uint8_t)c->v.i; break;
    case DUCKDB_TYPE_USMALLINT: ((uint16_t *)d)[row] = (uint16_t)c->v.i; break;
    case DUCKDB_TYPE_UINTEGER: ((uint32_t *)d)[row] = (uint32_t)c->v.i; break;
    case DUCKDB_TYPE_UBIGINT: ((uint64_t *)d)[row] = c->v.u; break;
    case DUCKDB_TYPE_FLOAT: ((float *)d)[row] = c->v.f; break;
    case DUCKDB_TYPE_DOUBLE: ((double *)d)[row] = c->v.d; break;
    case DUCKDB_TYPE_VARCHAR:
    case DUCKDB_TYPE_BLOB:
        duckdb_vector_assign_string_element_len(v, row, r->bytes.data + c->off, c->len);
        break;
    default: ((int64_t *)d)[row] = c->v.i; break; /* BIGINT, TIME, TIMESTAMP(_TZ) */
    }
}

static void bulk_fn(duckdb_function_info info, duckdb_data_chunk out)
{
    eng_inserter_t *ins = duckdb_function_get_bind_data(info);
    const eng_shape_t *sh = ins->sh;
    idx_t max = duckdb_vector_size(), n = 0;

    while (n < max && ins->part < ins->nparts) {
        const eng_rows_t *r = ins->parts[ins->part];
        if (ins->row >= r->nrows) {
            ins->part++;
            ins->row = 0;
            continue;
        }
        const bulk_cell_t *cells = (const bulk_cell_t *)r->cells.data + ins->row * sh->ncols;
        idx_t vi = 0;
        for (size_t i = 0; i < sh->ncols; i++) {
            const bulk_col_t *col = &sh->cols[i];
            const bulk_cell_t *c = &cells[i];
            duckdb_vector v = duckdb_data_chunk_get_vector(out, vi++);
            duckdb_vector t =
                col->carry == BULK_BOTH ? duckdb_data_chunk_get_vector(out, vi++) : NULL;
            if (c->tag == 0) {
                bulk_set_null(v, n);
            } else if (col->carry == BULK_TEXT) {
                duckdb_vector_assign_string_element_len(v, n, r->bytes.data + c->off, c->len);
            } else if (c->tag == 2 && col->carry == BULK_BOTH) {
                bulk_set_null(v, n);
                duckdb_vector_assign_string_element_len(t, n, r->bytes.data + c->off, c->len);
                t = NULL;
            } else {
                bulk_put_typed(v, col->pt.type, n, c, r);
            }
            if (t)
                bulk_set_null(t, n);
        }
        ins->row++;
        n++;
    }
    duckdb_data_chunk_set_size(out, n);
}

int eng__bulk_register(duckdb_connection con, uerr_t *err)
{
    duckdb_table_function f = duckdb_create_table_function();
    duckdb_logical_type big = duckdb_create_logical_type(DUCKDB_TYPE_BIGINT);
    int rc = 0;
    duckdb_table_function_set_name(f, "duckd_rows");
    duckdb_table_function_add_parameter(f, big);
    duckdb_table_function_set_bind(f, bulk_bind);
    duckdb_table_function_set_init(f, bulk_init);
    duckdb_table_function_set_function(f, bulk_fn);
    if (duckdb_register_table_function(con, f) != DuckDBSuccess) {
        uerr_set(err, "58000", "could not register duckd_rows");
        rc = -1;
    }
    duckdb_destroy_logical_type(&big);
    duckdb_destroy_table_function(&f);
    return rc;
}

/* ---- shapes ---- */

int eng_shape_open(eng_conn_t *c, const char *catalog, const char *schema, const char *table,
                   const char *const *cols, size_t ncols, eng_shape_t **out, uerr_t *err)
{
    duckdb_appender app = NULL;
    eng_shape_t *sh = NULL;
    int rc = -1;

    *out = NULL;
    /* The appender resolves the table and the columns as an INSERT would, without a query. */
    if (duckdb_appender_create_ext(c->con, catalog, schema, table, &app) != DuckDBSuccess) {
        uerr_set(err, "42P01", "relation \"%s\" does not exist", table);
        goto out;
    }
    for (size_t i = 0; i < ncols; i++) {
        if (duckdb_appender_add_column(app, cols[i]) != DuckDBSuccess) {
            uerr_set(err, "42703", "column \"%s\" of relation \"%s\" does not exist", cols[i],
                     table);
            goto out;
        }
    }
    sh = xcalloc(1, sizeof *sh);
    sh->catalog = catalog ? xstrdup(catalog) : NULL;
    sh->schema = schema ? xstrdup(schema) : NULL;
    sh->table = xstrdup(table);
    sh->listed = ncols > 0;
    sh->ncols = duckdb_appender_column_count(app);
    sh->cols = xcalloc(sh->ncols ? sh->ncols : 1, sizeof *sh->cols);
    for (size_t i = 0; i < sh->ncols; i++) {
        duckdb_logical_type lt = duckdb_appender_column_type(app, i);
        bulk_col_t *bc = &sh->cols[i];
        bc->pt.type = duckdb_get_type_id(lt);
        if (bc->pt.type == DUCKDB_TYPE_DECIMAL) {
            bc->pt.dec_width = duckdb_decimal_width(lt);
            bc->pt.dec_scale = duckdb_decimal_scale(lt);
        }
        bc->carry = bulk_typed_ok(bc->pt.type) ? BULK_TYPED
                    : bulk_both(bc->pt.type)   ? BULK_BOTH
                                               : BULK_TEXT;
        bc->name = i < ncols ? xstrdup(cols[i]) : NULL;
        duckdb_destroy_logical_type(&lt);
    }
    if (ncols && sh->ncols != ncols) { /* cannot happen for plain columns; be safe */
        uerr_set(err, "42703", "unexpected columns of relation \"%s\"", table);
        goto out;
    }
    *out = sh;
    sh = NULL;
    rc = 0;
out:
    if (app)
        (void)duckdb_appender_destroy(&app);
    eng_shape_free(sh);
    return rc;
}

void eng_shape_free(eng_shape_t *sh)
{
    if (!sh)
        return;
    for (size_t i = 0; i < sh->ncols; i++)
        free(sh->cols[i].name);
    free(sh->cols);
    free(sh->catalog);
    free(sh->schema);
    free(sh->table);
    free(sh);
}

size_t eng_shape_ncols(const eng_shape_t *sh) { return sh->ncols; }

/* ---- rows ---- */

eng_rows_t *eng_rows_new(const eng_shape_t *sh)
{
    eng_rows_t *r = xcalloc(1, sizeof *r);
    r->sh = sh;
    return r;
}

void eng_rows_free(eng_rows_t *r)
{
    if (!r)
        return;
    ubuf_free(&r->cells);
    ubuf_free(&r->bytes);
    ubuf_free(&r->scratch);
    free(r);
}

void eng_rows_reset(eng_rows_t *r)
{
    ubuf_reset(&r->cells);
    ubuf_reset(&r->bytes);
    r->nrows = 0;
}

size_t eng_rows_count(const eng_rows_t *r) { return r->nrows; }

size_t eng_rows_bytes(const eng_rows_t *r) { return r->cells.cap + r->bytes.cap + r->scratch.cap; }

void eng_rows_truncate(eng_rows_t *r, size_t nrows)
{
    const bulk_cell_t *cells = (const bulk_cell_t *)r->cells.data;
    size_t ncols = r->sh->ncols;
    if (nrows >= r->nrows)
        return;
    for (size_t i = nrows * ncols; i < r->nrows * ncols; i++)
        if (cells[i].tag == 2 && cells[i].off < r->bytes.len)
            r->bytes.len = cells[i].off;
    r->cells.len = nrows * ncols * sizeof(bulk_cell_t);
    r->nrows = nrows;
}

static void bulk_bytes(eng_rows_t *r, bulk_cell_t *c, const char *p, size_t n)
{
    c->tag = 2;
    c->off = r->bytes.len;
    c->len = (uint32_t)n;
    ubuf_append(&r->bytes, p, n);
}

/* A text value (string literal or text parameter) into column type t. */
static int bulk_text(eng_rows_t *r, const bulk_col_t *col, const eng_in_t *in, bulk_cell_t *c)
{
    const char *why = NULL;
    int64_t i64;
    duckdb_type t = col->pt.type;

    if (in->oid == PGT_BYTEA || t == DUCKDB_TYPE_BLOB) {
        if (t != DUCKDB_TYPE_BLOB)
            return -1;
        ubuf_reset(&r->scratch);
        if (!pgt_parse_text_bytea(in->data, in->len, &r->scratch, &why))
            return -1;
        bulk_bytes(r, c, r->scratch.data ? r->scratch.data : "", r->scratch.len);
        return 0;
    }
    if (!uutf8_valid(in->data, in->len, NULL))
        return -1;
    if (pgt_is_array(in->oid)) { /* PostgreSQL's '{1,2}' becomes DuckDB's '[1, 2]' */
        ubuf_reset(&r->scratch);
        if (col->carry != BULK_TEXT ||
            !pgt_array_text_to_list(in->data, in->len, &r->scratch, &why))
            return -1;
        bulk_bytes(r, c, r->scratch.data ? r->scratch.data : "", r->scratch.len);
        return 0;
    }
    if (col->carry != BULK_TYPED || t == DUCKDB_TYPE_VARCHAR) {
        bulk_bytes(r, c, in->data, in->len);
        return 0;
    }
    c->tag = 1;
    switch (t) {
    case DUCKDB_TYPE_BOOLEAN: return pgt_parse_text_bool(in->data, in->len, &c->v.b) ? 0 : -1;
    case DUCKDB_TYPE_FLOAT: return pgt_parse_text_float(in->data, in->len, &c->v.f) ? 0 : -1;
    case DUCKDB_TYPE_DOUBLE: return pgt_parse_text_double(in->data, in->len, &c->v.d) ? 0 : -1;
    case DUCKDB_TYPE_UBIGINT: return pgt_parse_text_uint(in->data, in->len, &c->v.u) ? 0 : -1;
    default: break;
    }
    /* the integer types: exact and in range, or the ordinary path */
    if (!pgt_parse_text_int(in->data, in->len, &i64))
        return -1;
    c->v.i = i64;
    switch (t) {
    case DUCKDB_TYPE_TINYINT: return i64 >= INT8_MIN && i64 <= INT8_MAX ? 0 : -1;
    case DUCKDB_TYPE_SMALLINT: return i64 >= INT16_MIN && i64 <= INT16_MAX ? 0 : -1;
    case DUCKDB_TYPE_INTEGER: return i64 >= INT32_MIN && i64 <= INT32_MAX ? 0 : -1;
    case DUCKDB_TYPE_BIGINT: return 0;
    case DUCKDB_TYPE_UTINYINT: return i64 >= 0 && i64 <= UINT8_MAX ? 0 : -1;
    case DUCKDB_TYPE_USMALLINT: return i64 >= 0 && i64 <= UINT16_MAX ? 0 : -1;
    case DUCKDB_TYPE_UINTEGER: return i64 >= 0 && i64 <= UINT32_MAX ? 0 : -1;
    default: return -1;
    }
}

/* A binary parameter of type in->oid into the column: only an exact match of types. */
static int bulk_binary(eng_rows_t *r, const bulk_col_t *col, const eng_in_t *in, bulk_cell_t *c)
{
    eng__val_t x;
    uerr_t err = UERR_INIT;
    duckdb_type t = col->pt.type;
    int rc = -1;

    if (eng__val_binary(&col->pt, in->oid, (const uint8_t *)in->data, in->len, &r->scratch,
                        "parameter", &x, &err) != 0)
        goto out;
    if (x.type == DUCKDB_TYPE_VARCHAR || x.type == DUCKDB_TYPE_BLOB) {
        if ((x.type == DUCKDB_TYPE_BLOB) != (t == DUCKDB_TYPE_BLOB) || col->carry == BULK_BOTH)
            goto out;
        if (x.type == DUCKDB_TYPE_VARCHAR && !uutf8_valid(x.p, x.n, NULL))
            goto out;
        bulk_bytes(r, c, x.p ? x.p : "", x.n);
        rc = 0;
        goto out;
    }
    bool ts = (x.type == DUCKDB_TYPE_TIMESTAMP || x.type == DUCKDB_TYPE_TIMESTAMP_TZ) &&
              (t == DUCKDB_TYPE_TIMESTAMP || t == DUCKDB_TYPE_TIMESTAMP_TZ);
    if ((x.type != t && !ts) || col->carry == BULK_TEXT)
        goto out;
    c->tag = 1;
    switch (t) {
    case DUCKDB_TYPE_BOOLEAN: c->v.b = x.v.b; break;
    case DUCKDB_TYPE_FLOAT: c->v.f = x.v.f; break;
    case DUCKDB_TYPE_DOUBLE: c->v.d = x.v.d; break;
    case DUCKDB_TYPE_UBIGINT: c->v.u = x.v.u; break;
    case DUCKDB_TYPE_DATE: c->v.i = x.v.date.days; break;
    case DUCKDB_TYPE_TIME: c->v.i = x.v.time.micros; break;
    case DUCKDB_TYPE_TIMESTAMP:
    case DUCKDB_TYPE_TIMESTAMP_TZ: c->v.i = x.v.ts.micros; break;
    default: c->v.i = x.v.i; break;
    }
    rc = 0;
out:
    uerr_clear(&err);
    return rc;
}

/* Where PostgreSQL's reading of a text value (a parameter's) and DuckDB's cast of a string
 * literal differ, the literal runs the ordinary way: bytes (DuckDB's '\xNN' escapes against
 * bytea's hex format) and booleans other than the spellings both accept. */
static bool bulk_string_ok(duckdb_type t, const eng_in_t *in)
{
    static const char *const both[] = {"true", "false", "t", "f", "1", "0"};
    if (t == DUCKDB_TYPE_BLOB)
        return false;
    if (t != DUCKDB_TYPE_BOOLEAN)
        return true;
    for (size_t i = 0; i < sizeof both / sizeof both[0]; i++)
        if (in->len == strlen(both[i]) && strncasecmp(in->data, both[i], in->len) == 0)
            return true;
    return false;
}

int eng_rows_add(eng_rows_t *r, const eng_in_t *vals, size_t n)
{
    const eng_shape_t *sh = r->sh;
    size_t cells0 = r->cells.len, bytes0 = r->bytes.len;
    if (n != sh->ncols)
        return -1;
    ubuf_reserve(&r->cells, n * sizeof(bulk_cell_t));
    for (size_t i = 0; i < n; i++) {
        const bulk_col_t *col = &sh->cols[i];
        const eng_in_t *in = &vals[i];
        bulk_cell_t c;
        int rc = 0;
        memset(&c, 0, sizeof c);
        switch (in->kind) {
        case ENG_IN_NULL: break;
        case ENG_IN_TEXT: rc = bulk_text(r, col, in, &c); break;
        case ENG_IN_STRING:
            rc = bulk_string_ok(col->pt.type, in) ? bulk_text(r, col, in, &c) : -1;
            break;
        case ENG_IN_BINARY: rc = bulk_binary(r, col, in, &c); break;
        case ENG_IN_NUMBER:
            /* DuckDB types a bare number itself (INTEGER, DECIMAL, DOUBLE) and casts that:
             * into a number column its text says the same; elsewhere it would not. */
            rc = eng__type_is_number(col->pt.type) ? bulk_text(r, col, in, &c) : -1;
            break;
        case ENG_IN_BOOL:
            if (col->pt.type != DUCKDB_TYPE_BOOLEAN)
                rc = -1;
            else
                c.tag = 1, c.v.b = in->len > 0 && in->data[0] == 't';
            break;
        }
        if (rc != 0) {
            r->cells.len = cells0;
            r->bytes.len = bytes0;
            return -1;
        }
        ubuf_append(&r->cells, &c, sizeof c);
    }
    r->nrows++;
    return 0;
}

/* ---- inserters ---- */

static const char *bulk_type_sql(duckdb_type t)
{
    switch (t) {
    case DUCKDB_TYPE_DATE: return "DATE";
    case DUCKDB_TYPE_TIME: return "TIME";
    case DUCKDB_TYPE_TIMESTAMP: return "TIMESTAMP";
    default: return "TIMESTAMPTZ";
    }
}

/* INSERT INTO "c"."s"."t" ("a", "b") SELECT c0, COALESCE(c1, CAST(t1 AS DATE)) FROM
 * duckd_rows(id) */
static void bulk_sql(const eng_shape_t *sh, int64_t id, ubuf_t *b)
{
    ubuf_puts(b, "INSERT INTO ");
    if (sh->catalog) {
        ubuf_put_ident(b, sh->catalog);
        ubuf_putc(b, '.');
    }
    if (sh->schema) {
        ubuf_put_ident(b, sh->schema);
        ubuf_putc(b, '.');
    }
    ubuf_put_ident(b, sh->table);
    if (sh->listed) {
        ubuf_puts(b, " (");
        for (size_t i = 0; i < sh->ncols; i++) {
            if (i)
                ubuf_puts(b, ", ");
            ubuf_put_ident(b, sh->cols[i].name);
        }
        ubuf_putc(b, ')');
    }
    ubuf_puts(b, " SELECT ");
    for (size_t i = 0; i < sh->ncols; i++) {
        if (i)
            ubuf_puts(b, ", ");
        if (sh->cols[i].carry == BULK_BOTH)
            ubuf_printf(b, "COALESCE(c%zu, CAST(t%zu AS %s))", i, i,
                        bulk_type_sql(sh->cols[i].pt.type));
        else
            ubuf_printf(b, "c%zu", i);
    }
    ubuf_printf(b, " FROM duckd_rows(%lld)", (long long)id);
}

int eng_inserter_open(eng_conn_t *c, const eng_shape_t *sh, eng_inserter_t **out, uerr_t *err)
{
    eng_inserter_t *ins = xcalloc(1, sizeof *ins);
    duckdb_client_context ctx = NULL;
    ubuf_t sql = UBUF_INIT;
    int rc = -1;

    *out = NULL;
    ins->sh = sh;
    ins->conn = c;
    duckdb_connection_get_client_context(c->con, &ctx);
    ins->conn_id = duckdb_client_context_get_connection_id(ctx);
    duckdb_destroy_client_context(&ctx);
    ins->id = bulk_register(ins);
    bulk_sql(sh, ins->id, &sql);
    if (duckdb_prepare(c->con, ubuf_cstr(&sql), &ins->ps) != DuckDBSuccess) {
        eng__set_error(err, DUCKDB_ERROR_INVALID, duckdb_prepare_error(ins->ps));
        goto out;
    }
    *out = ins;
    ins = NULL;
    rc = 0;
out:
    eng_inserter_free(ins);
    ubuf_free(&sql);
    return rc;
}

void eng_inserter_free(eng_inserter_t *ins)
{
    if (!ins)
        return;
    if (ins->ps)
        duckdb_destroy_prepare(&ins->ps);
    bulk_unregister(ins->id);
    free(ins);
}

int eng_inserter_run(eng_inserter_t *ins, eng_rows_t *const *parts, size_t n, int64_t *nrows,
                     uerr_t *err)
{
    duckdb_result res;
    int rc = -1;
    ins->parts = parts;
    ins->nparts = n;
    ins->part = ins->row = 0;
    *nrows = 0;
    if (duckdb_execute_prepared(ins->ps, &res) != DuckDBSuccess) {
        eng__set_error(err, duckdb_result_error_type(&res), duckdb_result_error(&res));
    } else {
        *nrows = (int64_t)duckdb_rows_changed(&res);
        rc = 0;
    }
    duckdb_destroy_result(&res);
    ins->parts = NULL;
    ins->nparts = 0;
    return rc;
}

int eng_conn_exec(eng_conn_t *c, const char *sql, uerr_t *err)
{
    duckdb_result res;
    int rc = 0;
    if (duckdb_query(c->con, sql, &res) != DuckDBSuccess) {
        eng__set_error(err, duckdb_result_error_type(&res), duckdb_result_error(&res));
        rc = -1;
    }
    duckdb_destroy_result(&res);
    return rc;
}
