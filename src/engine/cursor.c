/* Parameter binding, execution and streaming cursors. A cursor pulls one DuckDB chunk at a
 * time (duckdb_fetch_chunk on a streaming result) and encodes one row at a time into a
 * reused scratch buffer, so memory per session is bounded by one chunk plus one row. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine_internal.h"
#include "util/xalloc.h"

struct eng_cursor {
    eng_stmt_t *stmt; /* borrowed */
    utz_t *tz;        /* the connection's zone when the cursor opened (a reference) */
    duckdb_result result;
    bool have_result;
    duckdb_result_type rtype;
    size_t ncols;
    eng__enc_t *enc;         /* owned, one per column */
    eng_col_t *cols;         /* owned, one per column (names borrowed from result) */
    int16_t *formats;        /* owned, one per column */
    duckdb_data_chunk chunk; /* current chunk or NULL */
    duckdb_vector *vecs;     /* the current chunk's column vectors (owned array) */
    idx_t chunk_rows;
    idx_t pos;
    bool done;
    int64_t changed;
    duckdb_data_chunk *mat; /* materialised remaining chunks (owned) */
    size_t nmat, mat_pos;
    bool materialized;
    ubuf_t scratch;           /* encoded values of the current row */
    size_t max_row;           /* cap on scratch's length per row; 0 = none */
    eng_value_t *vals;        /* one per column */
    size_t *offs;             /* one per column */
    uint64_t chunk_seq;       /* counts the chunks pulled (engine/arrow.c's cache key) */
    struct eng__arrow *arrow; /* Arrow IPC state (engine/arrow.c, owned), NULL until used */
    struct eng__pqout *pqout; /* Parquet output (engine/parquet.c, owned), NULL until used */
    bool opaque;              /* a column the value encoders cannot send (eng_conn_keep_types) */
};

/* ---- binding ---- */

int eng_bind(eng_stmt_t *s, const eng_param_t *params, size_t n, uerr_t *err)
{
    if (n != s->nparams) {
        uerr_set(err, "08P01",
                 "bind message supplies %zu parameters, but prepared statement "
                 "requires %zu",
                 n, s->nparams);
        return -1;
    }
    if (s->ps)
        duckdb_clear_bindings(s->ps);
    for (size_t i = 0; i < n; i++) {
        const eng_param_t *p = &params[i];
        unsigned long long idx = i + 1;
        uint32_t oid = p->oid ? p->oid : s->param_oids[i];
        eng__val_t v = {.type = DUCKDB_TYPE_SQLNULL};
        char what[32];
        int rc = 0;
        snprintf(what, sizeof what, "parameter $%llu", idx);
        if (p->data && p->len >= 0 && p->format == 1)
            rc = eng__val_binary(&s->ptypes[i], oid, p->data, (size_t)p->len, &s->scratch, what, &v,
                                 err);
        else if (p->data && p->len >= 0)
            rc = eng__val_text(&s->ptypes[i], oid, (const char *)p->data, (size_t)p->len,
                               &s->scratch, what, &v, err);
        if (rc == 0 && eng__val_bind(s->ps, idx, &v) != DuckDBSuccess) {
            if (p->format == 1)
                uerr_set(err, "22P02", "could not bind parameter $%llu (type OID %u)", idx, oid);
            else
                uerr_set(err, "22P02", "invalid input for parameter $%llu", idx);
            rc = -1;
        }
        if (rc != 0)
            return -1;
    }
    return 0;
}

/* ---- execution ---- */

static void cursor_init_columns(eng_cursor_t *cur)
{
    cur->ncols = duckdb_column_count(&cur->result);
    size_t n = cur->ncols ? cur->ncols : 1;
    cur->enc = xcalloc(n, sizeof *cur->enc);
    cur->formats = xcalloc(n, sizeof *cur->formats);
    cur->vals = xcalloc(n, sizeof *cur->vals);
    cur->offs = xcalloc(n, sizeof *cur->offs);
    cur->cols = xcalloc(n, sizeof *cur->cols);
    cur->vecs = xcalloc(n, sizeof *cur->vecs);
    for (size_t i = 0; i < cur->ncols; i++) {
        duckdb_logical_type lt = duckdb_column_logical_type(&cur->result, i);
        eng__enc_init(&cur->enc[i], lt);
        eng__enc_set_tz(&cur->enc[i], cur->tz);
        cur->cols[i].type_name = eng__type_name(lt); /* the result's: parameters may differ */
        duckdb_destroy_logical_type(&lt);
        cur->cols[i].name = duckdb_column_name(&cur->result, i);
        if (eng__stmt_col_rename(cur->stmt, i)) /* the client dialect's name */
            cur->cols[i].name = eng__stmt_col_rename(cur->stmt, i);
        cur->cols[i].oid = cur->enc[i].oid;
        cur->cols[i].typlen = eng__enc_typlen(&cur->enc[i]);
        cur->cols[i].typmod = eng__enc_typmod(&cur->enc[i]);
        cur->cols[i].json_type = eng__json_type(&cur->enc[i]);
    }
}

int eng_execute(eng_stmt_t *s, eng_cursor_t **out, uerr_t *err)
{
    duckdb_pending_result pending = NULL;
    eng_cursor_t *cur = xcalloc(1, sizeof *cur);
    unsigned seq = eng__intr_seq(s->conn);
    int rc = -1;

    *out = NULL;
    cur->stmt = s;
    cur->changed = -1;
    if (s->script && eng__script_start(s, err) != 0)
        goto out;
    if (duckdb_pending_prepared_streaming(s->ps, &pending) != DuckDBSuccess) {
        eng__set_error(err, DUCKDB_ERROR_INVALID, duckdb_pending_error(pending));
        goto out;
    }
    /* an interrupt while DuckDB re-planned: it cleared it when the pending query started */
    if (eng__interrupted_since(s->conn, seq, err))
        goto out;
    if (duckdb_execute_pending(pending, &cur->result) != DuckDBSuccess) {
        eng__set_error(err, duckdb_result_error_type(&cur->result),
                       duckdb_result_error(&cur->result));
        duckdb_destroy_result(&cur->result);
        goto out;
    }
    cur->have_result = true;
    cur->rtype = duckdb_result_return_type(cur->result);
    cur->tz = utz_ref(s->conn->tz);
    cursor_init_columns(cur);
    for (size_t i = 0; i < cur->ncols; i++) {
        if (cur->enc[i].opaque && s->conn->keep_types) {
            cur->opaque = true;          /* only eng_cursor_fetch_parquet reads it */
        } else if (cur->enc[i].opaque) { /* typed by a parameter: eng_prepare could not wrap it */
            uerr_set(err, "0A000",
                     "result column \"%s\" has a DuckDB type PostgreSQL clients cannot receive",
                     cur->cols[i].name ? cur->cols[i].name : "?");
            uerr_set_hint(err, "Cast it to VARCHAR.");
            eng_cursor_free(cur);
            cur = NULL;
            goto out;
        }
    }
    *out = cur;
    cur = NULL;
    rc = 0;
out:
    if (pending)
        duckdb_destroy_pending(&pending);
    free(cur);
    return rc;
}

void eng_cursor_free(eng_cursor_t *cur)
{
    if (!cur)
        return;
    eng__arrow_free(cur->arrow);
    eng__pqout_free(cur->pqout);
    if (cur->chunk)
        duckdb_destroy_data_chunk(&cur->chunk);
    for (size_t i = cur->mat_pos; i < cur->nmat; i++)
        duckdb_destroy_data_chunk(&cur->mat[i]);
    free(cur->mat);
    for (size_t i = 0; i < cur->ncols; i++)
        eng__enc_free(&cur->enc[i]);
    free(cur->enc);
    for (size_t i = 0; i < cur->ncols; i++)
        free((char *)cur->cols[i].type_name);
    free(cur->cols);
    free(cur->vecs);
    free(cur->formats);
    free(cur->vals);
    free(cur->offs);
    ubuf_free(&cur->scratch);
    utz_close(cur->tz);
    if (cur->have_result)
        duckdb_destroy_result(&cur->result);
    free(cur);
}

void eng_cursor_set_formats(eng_cursor_t *cur, const int16_t *formats, size_t n)
{
    for (size_t i = 0; i < cur->ncols; i++)
        cur->formats[i] = n == 0 ? 0 : (n == 1 ? formats[0] : (i < n ? formats[i] : 0));
}

void eng_cursor_set_max_row(eng_cursor_t *cur, size_t max_bytes) { cur->max_row = max_bytes; }

bool eng_cursor_has_rows(const eng_cursor_t *cur)
{
    return cur->rtype == DUCKDB_RESULT_TYPE_QUERY_RESULT;
}

size_t eng_cursor_ncols(const eng_cursor_t *cur)
{
    return cur->rtype == DUCKDB_RESULT_TYPE_QUERY_RESULT ? cur->ncols : 0;
}

const eng_col_t *eng_cursor_col(const eng_cursor_t *cur, size_t i) { return &cur->cols[i]; }

int64_t eng_cursor_rows_changed(const eng_cursor_t *cur) { return cur->changed; }

bool eng_cursor_is_streaming(const eng_cursor_t *cur) { return !cur->done && !cur->materialized; }

/* Pulls the next chunk from the result (or the materialised list). Returns 1 with a chunk,
 * 0 at the end, -1 on error. */
static int cursor_next_chunk(eng_cursor_t *cur, uerr_t *err)
{
    if (cur->chunk)
        duckdb_destroy_data_chunk(&cur->chunk);
    cur->chunk = NULL;
    cur->pos = cur->chunk_rows = 0;
    if (cur->materialized) {
        if (cur->mat_pos == cur->nmat)
            return 0;
        cur->chunk = cur->mat[cur->mat_pos++];
    } else {
        cur->chunk = duckdb_fetch_chunk(cur->result);
        if (!cur->chunk) {
            const char *msg = duckdb_result_error(&cur->result);
            if (msg && *msg) {
                eng__set_error(err, duckdb_result_error_type(&cur->result), msg);
                return -1;
            }
            return 0;
        }
    }
    cur->chunk_seq++;
    cur->chunk_rows = duckdb_data_chunk_get_size(cur->chunk);
    for (size_t c = 0; c < cur->ncols; c++)
        cur->vecs[c] = duckdb_data_chunk_get_vector(cur->chunk, c);
    return 1;
}

/* For DML the single result row holds the changed-row count. */
static int cursor_read_count(eng_cursor_t *cur, uerr_t *err)
{
    int64_t total = 0;
    int r;
    while ((r = cursor_next_chunk(cur, err)) == 1) {
        if (cur->chunk_rows > 0 && cur->ncols > 0) {
            duckdb_vector v = duckdb_data_chunk_get_vector(cur->chunk, 0);
            total += ((const int64_t *)duckdb_vector_get_data(v))[0];
        }
    }
    cur->changed = total;
    cur->done = true;
    return r < 0 ? -1 : 0;
}

/* The encoded size of a string-like value, known before encoding it (0 for other types,
 * which are checked after encoding: DuckDB already holds them, and they are not copied twice). */
static size_t cursor_value_size(const eng_cursor_t *cur, size_t c, idx_t row)
{
    duckdb_type t = cur->enc[c].type;
    if (t != DUCKDB_TYPE_VARCHAR && t != DUCKDB_TYPE_BLOB)
        return 0;
    duckdb_string_t *str = (duckdb_string_t *)duckdb_vector_get_data(cur->vecs[c]) + row;
    size_t n = duckdb_string_t_length(*str);
    return t == DUCKDB_TYPE_BLOB && cur->formats[c] == 0 ? 2 + 2 * n : n; /* text bytea: \x hex */
}

static int cursor_row_too_big(const eng_cursor_t *cur, size_t need, uerr_t *err)
{
    uerr_set(err, "54000", "row is too big");
    uerr_set_detail(err, "A result row needs at least %zu bytes; max_row_size is %zu.", need,
                    cur->max_row);
    return -1;
}

/* Encodes one row into scratch; fails with 54000 when it would exceed max_row. */
static int cursor_encode_row(eng_cursor_t *cur, idx_t row, uerr_t *err)
{
    ubuf_reset(&cur->scratch);
    for (size_t c = 0; c < cur->ncols; c++) {
        duckdb_vector v = cur->vecs[c];
        uint64_t *validity = duckdb_vector_get_validity(v);
        if (validity && !((validity[row / 64] >> (row % 64)) & 1)) {
            cur->offs[c] = SIZE_MAX;
            continue;
        }
        size_t need = cur->max_row ? cur->scratch.len + cursor_value_size(cur, c, row) : 0;
        if (cur->max_row && need > cur->max_row)
            return cursor_row_too_big(cur, need, err);
        cur->offs[c] = cur->scratch.len;
        if (eng__encode(&cur->scratch, &cur->enc[c], v, row, cur->formats[c]) != 0) {
            uerr_set(err, "22008",
                     "value of column \"%s\" is out of range for PostgreSQL's "
                     "binary format",
                     cur->cols[c].name ? cur->cols[c].name : "?");
            uerr_set_hint(err, "Request the column in text format, or cast it to VARCHAR.");
            return -1;
        }
        if (cur->max_row && cur->scratch.len > cur->max_row)
            return cursor_row_too_big(cur, cur->scratch.len, err);
        cur->vals[c].len = (int32_t)(cur->scratch.len - cur->offs[c]);
    }
    for (size_t c = 0; c < cur->ncols; c++) {
        if (cur->offs[c] == SIZE_MAX) {
            cur->vals[c].data = NULL;
            cur->vals[c].len = -1;
        } else {
            cur->vals[c].data = cur->scratch.data ? cur->scratch.data + cur->offs[c] : "";
        }
    }
    return 0;
}

int eng_cursor_fetch(eng_cursor_t *cur, int64_t max_rows, eng_row_fn fn, void *ctx, int64_t *nrows,
                     bool *done, uerr_t *err)
{
    int64_t sent = 0;
    *nrows = 0;
    *done = false;
    if (cur->opaque) {
        uerr_set(err, "0A000", "the result has a column of a DuckDB type only Parquet carries");
        uerr_set_hint(err, "Cast it to VARCHAR.");
        return -1;
    }
    if (!cur->done && cur->rtype != DUCKDB_RESULT_TYPE_QUERY_RESULT) {
        if (cursor_read_count(cur, err) != 0)
            return -1;
    }
    while (!cur->done && (max_rows <= 0 || sent < max_rows)) {
        if (cur->pos >= cur->chunk_rows) {
            int r = cursor_next_chunk(cur, err);
            if (r < 0)
                return -1;
            if (r == 0) {
                cur->done = true;
                break;
            }
            continue;
        }
        if (cursor_encode_row(cur, cur->pos++, err) != 0)
            return -1;
        sent++;
        *nrows = sent;
        if (fn && fn(ctx, cur->vals, cur->ncols) != 0)
            return -1;
    }
    *nrows = sent;
    *done = cur->done;
    return 0;
}

/* ---- internals for engine/arrow.c and engine/parquet.c ---- */

duckdb_result *eng__cursor_result(eng_cursor_t *cur) { return &cur->result; }

struct eng__arrow **eng__cursor_arrow(eng_cursor_t *cur) { return &cur->arrow; }

struct eng__pqout **eng__cursor_parquet(eng_cursor_t *cur) { return &cur->pqout; }

eng_conn_t *eng__cursor_conn(eng_cursor_t *cur) { return cur->stmt->conn; }

size_t eng__cursor_max_row(const eng_cursor_t *cur) { return cur->max_row; }

int eng__cursor_chunk(eng_cursor_t *cur, eng__chunk_view_t *view, uerr_t *err)
{
    while (!cur->done && cur->pos >= cur->chunk_rows) {
        int r = cursor_next_chunk(cur, err);
        if (r < 0)
            return -1;
        if (r == 0)
            cur->done = true;
    }
    if (cur->done)
        return 0;
    view->chunk = cur->chunk;
    view->pos = cur->pos;
    view->rows = cur->chunk_rows;
    view->seq = cur->chunk_seq;
    return 1;
}

void eng__cursor_advance(eng_cursor_t *cur, idx_t n)
{
    cur->pos = cur->pos + n < cur->chunk_rows ? cur->pos + n : cur->chunk_rows;
}

int eng_cursor_materialize(eng_cursor_t *cur, uerr_t *err)
{
    if (cur->done || cur->materialized)
        return 0;
    size_t cap = 0;
    duckdb_data_chunk ch;
    while ((ch = duckdb_fetch_chunk(cur->result)) != NULL) {
        if (cur->nmat == cap) {
            cap = cap ? cap * 2 : 16;
            cur->mat = xrealloc(cur->mat, cap * sizeof *cur->mat);
        }
        cur->mat[cur->nmat++] = ch;
    }
    const char *msg = duckdb_result_error(&cur->result);
    cur->materialized = true;
    if (msg && *msg) {
        eng__set_error(err, duckdb_result_error_type(&cur->result), msg);
        return -1;
    }
    return 0;
}

/* ---- spilling a result into a temporary table ---- */

/* An appender's error as a uerr_t with DuckDB's SQLSTATE mapping (out of memory, a full
 * temp directory, ...). */
static void spill_appender_error(duckdb_appender app, uerr_t *err)
{
    duckdb_error_data ed = app ? duckdb_appender_error_data(app) : NULL;
    if (ed && duckdb_error_data_has_error(ed))
        eng__set_error(err, duckdb_error_data_error_type(ed), duckdb_error_data_message(ed));
    else
        uerr_set(err, "XX000", "could not keep a cursor's rows in a temporary table");
    if (ed)
        duckdb_destroy_error_data(&ed);
}

/* Runs one statement on c (no result wanted). */
static int spill_exec(duckdb_connection c, const char *sql, uerr_t *err)
{
    duckdb_result res;
    int rc = 0;
    if (duckdb_query(c, sql, &res) != DuckDBSuccess) {
        eng__set_error(err, duckdb_result_error_type(&res), duckdb_result_error(&res));
        rc = -1;
    }
    duckdb_destroy_result(&res);
    return rc;
}

/* Makes rows [0, n) of v NULL all the way down: a STRUCT's (or UNION's) children and an
 * ARRAY's elements are NULL too and a LIST's entries empty, so that nothing uninitialised is
 * read when the chunk is appended (DuckDB copies a STRUCT's children whatever its own
 * validity says). */
static void spill_null_fill(duckdb_vector v, duckdb_logical_type t, idx_t n)
{
    duckdb_vector_ensure_validity_writable(v);
    uint64_t *valid = duckdb_vector_get_validity(v);
    for (idx_t r = 0; r < n; r++)
        duckdb_validity_set_row_invalid(valid, r);
    switch (duckdb_get_type_id(t)) {
    case DUCKDB_TYPE_LIST:
    case DUCKDB_TYPE_MAP: {
        duckdb_list_entry *e = duckdb_vector_get_data(v);
        for (idx_t r = 0; r < n; r++)
            e[r].offset = e[r].length = 0;
        duckdb_list_vector_set_size(v, 0);
        break;
    }
    case DUCKDB_TYPE_ARRAY: {
        duckdb_logical_type ct = duckdb_array_type_child_type(t);
        spill_null_fill(duckdb_array_vector_get_child(v), ct, n * duckdb_array_type_array_size(t));
        duckdb_destroy_logical_type(&ct);
        break;
    }
    case DUCKDB_TYPE_STRUCT:
        for (idx_t i = 0; i < duckdb_struct_type_child_count(t); i++) {
            duckdb_logical_type ct = duckdb_struct_type_child_type(t, i);
            spill_null_fill(duckdb_struct_vector_get_child(v, i), ct, n);
            duckdb_destroy_logical_type(&ct);
        }
        break;
    case DUCKDB_TYPE_UNION: { /* a struct of the tag and the members */
        duckdb_logical_type tag = duckdb_create_logical_type(DUCKDB_TYPE_UTINYINT);
        spill_null_fill(duckdb_struct_vector_get_child(v, 0), tag, n);
        duckdb_destroy_logical_type(&tag);
        for (idx_t i = 0; i < duckdb_union_type_member_count(t); i++) {
            duckdb_logical_type ct = duckdb_union_type_member_type(t, i);
            spill_null_fill(duckdb_struct_vector_get_child(v, i + 1), ct, n);
            duckdb_destroy_logical_type(&ct);
        }
        break;
    }
    default: break;
    }
}

/* The SQL spelling of each result column's type, as DuckDB's typeof() writes it: one row of
 * NULLs of those types goes through an appender query into a scratch temporary table. Appends
 * ", cI TYPE" for each column to sql. */
static int spill_types(eng_cursor_t *cur, duckdb_connection c, duckdb_logical_type *types,
                       const char **names, ubuf_t *sql, uerr_t *err)
{
    duckdb_appender app = NULL;
    duckdb_data_chunk row = NULL;
    duckdb_result res;
    bool have_res = false;
    ubuf_t q = UBUF_INIT;
    int rc = -1;
    if (spill_exec(c, "CREATE TEMP TABLE IF NOT EXISTS duckd_spill_types (i INTEGER, t VARCHAR)",
                   err) != 0 ||
        spill_exec(c, "DELETE FROM duckd_spill_types", err) != 0)
        goto out;
    ubuf_puts(&q, "INSERT INTO duckd_spill_types SELECT unnest(range(");
    ubuf_printf(&q, "%zu)), unnest([", cur->ncols);
    for (size_t i = 0; i < cur->ncols; i++)
        ubuf_printf(&q, "%stypeof(c%zu)", i ? ", " : "", i);
    ubuf_puts(&q, "]) FROM appended_data");
    if (duckdb_appender_create_query(c, ubuf_cstr(&q), cur->ncols, types, NULL, names, &app) !=
        DuckDBSuccess) {
        spill_appender_error(app, err);
        goto out;
    }
    row = duckdb_create_data_chunk(types, cur->ncols);
    for (size_t i = 0; i < cur->ncols; i++)
        spill_null_fill(duckdb_data_chunk_get_vector(row, i), types[i], 1);
    duckdb_data_chunk_set_size(row, 1);
    if (duckdb_append_data_chunk(app, row) != DuckDBSuccess ||
        duckdb_appender_flush(app) != DuckDBSuccess) {
        spill_appender_error(app, err);
        goto out;
    }
    have_res = true;
    if (duckdb_query(c, "SELECT t FROM duckd_spill_types ORDER BY i", &res) != DuckDBSuccess ||
        duckdb_row_count(&res) != cur->ncols) {
        uerr_set(err, "XX000", "could not keep a cursor's rows: no column types");
        goto out;
    }
    for (size_t i = 0; i < cur->ncols; i++) {
        char *t = duckdb_value_varchar(&res, 0, i);
        ubuf_printf(sql, ", c%zu %s", i, t ? t : "VARCHAR");
        duckdb_free(t);
    }
    rc = 0;
out:
    if (have_res)
        duckdb_destroy_result(&res);
    if (row)
        duckdb_destroy_data_chunk(&row);
    if (app)
        duckdb_appender_destroy(&app);
    ubuf_free(&q);
    return rc;
}

/* The current chunk's rows from pos on, as a new chunk (the caller destroys it). */
static duckdb_data_chunk spill_rest_of_chunk(eng_cursor_t *cur, duckdb_logical_type *types)
{
    duckdb_data_chunk out = duckdb_create_data_chunk(types, cur->ncols);
    duckdb_selection_vector sel = duckdb_create_selection_vector(cur->chunk_rows);
    sel_t *ix = duckdb_selection_vector_get_data_ptr(sel);
    for (idx_t i = 0; i < cur->chunk_rows; i++)
        ix[i] = (sel_t)i;
    for (size_t c = 0; c < cur->ncols; c++)
        duckdb_vector_copy_sel(cur->vecs[c], duckdb_data_chunk_get_vector(out, c), sel,
                               cur->chunk_rows, cur->pos, 0);
    duckdb_data_chunk_set_size(out, cur->chunk_rows - cur->pos);
    duckdb_destroy_selection_vector(sel);
    return out;
}

int eng_cursor_spill(eng_cursor_t *cur, eng_conn_t *dst, const char *table, int64_t *nrows,
                     uerr_t *err)
{
    duckdb_logical_type *types = xcalloc(cur->ncols ? cur->ncols : 1, sizeof *types);
    const char **names = xcalloc(cur->ncols ? cur->ncols : 1, sizeof *names);
    char(*namebuf)[24] = xcalloc(cur->ncols ? cur->ncols : 1, sizeof *namebuf);
    duckdb_appender app = NULL;
    ubuf_t sql = UBUF_INIT;
    int rc = -1;
    *nrows = 0;
    if (cur->rtype != DUCKDB_RESULT_TYPE_QUERY_RESULT || cur->ncols == 0 || cur->materialized) {
        uerr_set(err, "XX000", "only a streaming query result can be spilled");
        goto out;
    }
    for (size_t i = 0; i < cur->ncols; i++) {
        types[i] = duckdb_column_logical_type(&cur->result, i);
        snprintf(namebuf[i], sizeof namebuf[i], "c%zu", i);
        names[i] = namebuf[i];
    }
    ubuf_printf(&sql, "CREATE TEMP TABLE \"%s\" (", table);
    size_t head = sql.len;
    if (spill_types(cur, dst->con, types, names, &sql, err) != 0)
        goto out;
    sql.data[head] = ' '; /* the first ", " */
    ubuf_puts(&sql, ")");
    if (spill_exec(dst->con, ubuf_cstr(&sql), err) != 0)
        goto out;
    if (duckdb_appender_create_ext(dst->con, "temp", "main", table, &app) != DuckDBSuccess) {
        spill_appender_error(app, err);
        goto out;
    }
    if (!cur->done && cur->chunk && cur->pos < cur->chunk_rows) {
        duckdb_data_chunk rest = spill_rest_of_chunk(cur, types);
        *nrows += (int64_t)(cur->chunk_rows - cur->pos);
        duckdb_state st = duckdb_append_data_chunk(app, rest);
        duckdb_destroy_data_chunk(&rest);
        cur->pos = cur->chunk_rows;
        if (st != DuckDBSuccess)
            goto append_failed;
    }
    while (!cur->done) {
        int r = cursor_next_chunk(cur, err);
        if (r < 0)
            goto out;
        if (r == 0) {
            cur->done = true;
            break;
        }
        *nrows += (int64_t)cur->chunk_rows;
        cur->pos = cur->chunk_rows;
        if (duckdb_append_data_chunk(app, cur->chunk) != DuckDBSuccess)
            goto append_failed;
    }
    if (duckdb_appender_flush(app) != DuckDBSuccess)
        goto append_failed;
    rc = 0;
    goto out;
append_failed:
    spill_appender_error(app, err);
out:
    if (app)
        duckdb_appender_destroy(&app);
    for (size_t i = 0; i < cur->ncols; i++)
        if (types[i])
            duckdb_destroy_logical_type(&types[i]);
    free(types);
    free(names);
    free(namebuf);
    ubuf_free(&sql);
    return rc;
}
