/* Bulk appends for COPY ... FROM STDIN: a DuckDB appender on one table, fed row by row with
 * client values in PostgreSQL's text or binary format, converted as Bind parameters are
 * (engine/value.c). The appender writes into the connection's current transaction; the
 * caller wraps an autocommit COPY in BEGIN/COMMIT so a failure leaves nothing behind. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine_internal.h"
#include "types/pgtypes.h"
#include "util/utf8.h"
#include "util/xalloc.h"

/* Rows are handed to the table (transaction-local storage) at least this often, so the
 * appender's own buffer stays small whatever the row width. */
#define ENG_APPEND_FLUSH_BYTES (8u << 20)

struct eng_appender {
    duckdb_appender app;
    size_t ncols;
    eng__ptype_t *types; /* owned: each column's DuckDB type */
    uint32_t *oids;      /* owned: each column's PostgreSQL type (what binary COPY sends) */
    char **what;         /* owned: "column N" for messages */
    bool *via_value;     /* owned: text goes through a duckdb_value (see app_describe) */
    ubuf_t scratch;      /* value conversion */
    size_t pending;      /* bytes appended since the last flush */
};

/* Fills *err from the appender's error (after a failed append, flush or close). */
static void app_error(eng_appender_t *a, uerr_t *err)
{
    duckdb_error_data e = duckdb_appender_error_data(a->app);
    if (e && duckdb_error_data_has_error(e))
        eng__set_error(err, duckdb_error_data_error_type(e), duckdb_error_data_message(e));
    else
        uerr_set(err, "XX000", "appending to the table failed");
    if (e)
        duckdb_destroy_error_data(&e);
}

static void app_describe(eng_appender_t *a)
{
    a->ncols = duckdb_appender_column_count(a->app);
    size_t n = a->ncols ? a->ncols : 1;
    a->types = xcalloc(n, sizeof *a->types);
    a->oids = xcalloc(n, sizeof *a->oids);
    a->what = xcalloc(n, sizeof *a->what);
    a->via_value = xcalloc(n, sizeof *a->via_value);
    for (size_t i = 0; i < a->ncols; i++) {
        duckdb_logical_type lt = duckdb_appender_column_type(a->app, i);
        a->types[i].type = duckdb_get_type_id(lt);
        if (a->types[i].type == DUCKDB_TYPE_DECIMAL) {
            a->types[i].dec_width = duckdb_decimal_width(lt);
            a->types[i].dec_scale = duckdb_decimal_scale(lt);
        }
        a->oids[i] = eng__oid_for_type(lt);
        /* The appender casts text to these types with a conversion it does not implement
         * ("Unimplemented type for cast (VARCHAR -> INTERVAL)"); a duckdb_value takes
         * DuckDB's general cast instead. */
        a->via_value[i] =
            a->types[i].type == DUCKDB_TYPE_INTERVAL || a->types[i].type == DUCKDB_TYPE_TIME_TZ;
        duckdb_destroy_logical_type(&lt);
        char w[32];
        snprintf(w, sizeof w, "column %zu", i + 1);
        a->what[i] = xstrdup(w);
    }
}

int eng_appender_open(eng_conn_t *c, const char *catalog, const char *schema, const char *table,
                      const char *const *cols, size_t ncols, eng_appender_t **out, uerr_t *err)
{
    eng_appender_t *a = xcalloc(1, sizeof *a);
    int rc = -1;

    *out = NULL;
    if (duckdb_appender_create_ext(c->con, catalog, schema, table, &a->app) != DuckDBSuccess) {
        if (a->app)
            app_error(a, err);
        else
            uerr_set(err, "42P01", "relation \"%s\" does not exist", table);
        goto out;
    }
    for (size_t i = 0; i < ncols; i++) {
        if (duckdb_appender_add_column(a->app, cols[i]) != DuckDBSuccess) {
            app_error(a, err);
            goto out;
        }
    }
    app_describe(a);
    *out = a;
    a = NULL;
    rc = 0;
out:
    eng_appender_free(a);
    return rc;
}

size_t eng_appender_ncols(const eng_appender_t *a) { return a->ncols; }

uint32_t eng_appender_col_oid(const eng_appender_t *a, size_t i) { return a->oids[i]; }

/* Appends one non-NULL value to column i. */
static int app_value(eng_appender_t *a, size_t i, const eng_value_t *v, int16_t format, uerr_t *err)
{
    eng__val_t x;
    int rc = format == 1 ? eng__val_binary(&a->types[i], a->oids[i], (const uint8_t *)v->data,
                                           (size_t)v->len, &a->scratch, a->what[i], &x, err)
                         : eng__val_text(&a->types[i], a->oids[i], v->data, (size_t)v->len,
                                         &a->scratch, a->what[i], &x, err);
    if (rc != 0)
        return -1;
    /* text and CSV input was validated as a whole line; binary text arrives unchecked */
    if (format == 1 && x.type == DUCKDB_TYPE_VARCHAR && uutf8_check(x.p, x.n, err) != 0)
        return -1;
    duckdb_state st;
    if (x.type == DUCKDB_TYPE_VARCHAR && a->via_value[i]) {
        duckdb_value dv = duckdb_create_varchar_length(x.p ? x.p : "", x.n);
        st = duckdb_append_value(a->app, dv);
        duckdb_destroy_value(&dv);
    } else {
        st = eng__val_append(a->app, &x);
    }
    if (st != DuckDBSuccess) {
        app_error(a, err);
        return -1;
    }
    return 0;
}

int eng_appender_row(eng_appender_t *a, const eng_value_t *vals, size_t n, int16_t format,
                     size_t *bad_col, uerr_t *err)
{
    *bad_col = SIZE_MAX;
    for (size_t i = 0; i < n && i < a->ncols; i++) {
        int rc;
        if (vals[i].len < 0) {
            rc = duckdb_append_null(a->app) == DuckDBSuccess ? 0 : -1;
            if (rc != 0)
                app_error(a, err);
        } else {
            rc = app_value(a, i, &vals[i], format, err);
            a->pending += (size_t)vals[i].len;
        }
        if (rc != 0) {
            *bad_col = i;
            return -1;
        }
    }
    if (duckdb_appender_end_row(a->app) != DuckDBSuccess) {
        app_error(a, err);
        return -1;
    }
    if (a->pending >= ENG_APPEND_FLUSH_BYTES) {
        a->pending = 0;
        if (duckdb_appender_flush(a->app) != DuckDBSuccess) {
            app_error(a, err);
            return -1;
        }
    }
    return 0;
}

int eng_appender_finish(eng_appender_t *a, uerr_t *err)
{
    if (duckdb_appender_close(a->app) != DuckDBSuccess) {
        app_error(a, err);
        return -1;
    }
    return 0;
}

void eng_appender_free(eng_appender_t *a)
{
    if (!a)
        return;
    if (a->app)
        (void)duckdb_appender_destroy(&a->app);
    for (size_t i = 0; i < a->ncols; i++)
        free(a->what[i]);
    free(a->what);
    free(a->via_value);
    free(a->types);
    free(a->oids);
    ubuf_free(&a->scratch);
    free(a);
}
