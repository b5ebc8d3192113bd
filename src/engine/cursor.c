/* Parameter binding, execution and streaming cursors. A cursor pulls one DuckDB chunk at a
 * time (duckdb_fetch_chunk on a streaming result) and encodes one row at a time into a
 * reused scratch buffer, so memory per session is bounded by one chunk plus one row. */
#include <stdlib.h>
#include <string.h>

#include "engine/engine_internal.h"
#include "types/pgtypes.h"
#include "util/xalloc.h"

struct eng_cursor {
    eng_stmt_t *stmt; /* borrowed */
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
    ubuf_t scratch;    /* encoded values of the current row */
    eng_value_t *vals; /* one per column */
    size_t *offs;      /* one per column */
};

/* ---- binding ---- */

/* Binds an integer as exactly the parameter's DuckDB type when it is an integer type and the
 * value fits. Returns 1 when bound, 0 when not applicable (the caller binds a wider value and
 * DuckDB casts, or reports the overflow), -1 when DuckDB refused. */
static int bind_int_exact(eng_stmt_t *s, idx_t idx, int64_t v)
{
    duckdb_prepared_statement ps = s->ps;
    duckdb_state st;
    switch (s->ptypes[idx - 1].type) {
    case DUCKDB_TYPE_TINYINT:
        if (v < INT8_MIN || v > INT8_MAX)
            return 0;
        st = duckdb_bind_int8(ps, idx, (int8_t)v);
        break;
    case DUCKDB_TYPE_SMALLINT:
        if (v < INT16_MIN || v > INT16_MAX)
            return 0;
        st = duckdb_bind_int16(ps, idx, (int16_t)v);
        break;
    case DUCKDB_TYPE_INTEGER:
        if (v < INT32_MIN || v > INT32_MAX)
            return 0;
        st = duckdb_bind_int32(ps, idx, (int32_t)v);
        break;
    case DUCKDB_TYPE_BIGINT: st = duckdb_bind_int64(ps, idx, v); break;
    case DUCKDB_TYPE_HUGEINT:
        st = duckdb_bind_hugeint(ps, idx, (duckdb_hugeint){(uint64_t)v, v < 0 ? -1 : 0});
        break;
    case DUCKDB_TYPE_UTINYINT:
        if (v < 0 || v > UINT8_MAX)
            return 0;
        st = duckdb_bind_uint8(ps, idx, (uint8_t)v);
        break;
    case DUCKDB_TYPE_USMALLINT:
        if (v < 0 || v > UINT16_MAX)
            return 0;
        st = duckdb_bind_uint16(ps, idx, (uint16_t)v);
        break;
    case DUCKDB_TYPE_UINTEGER:
        if (v < 0 || v > UINT32_MAX)
            return 0;
        st = duckdb_bind_uint32(ps, idx, (uint32_t)v);
        break;
    case DUCKDB_TYPE_UBIGINT:
        if (v < 0)
            return 0;
        st = duckdb_bind_uint64(ps, idx, (uint64_t)v);
        break;
    default: return 0;
    }
    return st == DuckDBSuccess ? 1 : -1;
}

/* Text-format value -> a value of exactly the parameter's DuckDB type, for the types whose
 * plain spellings are parsed here (integers, DECIMAL up to 18 digits, floats, booleans).
 * Returns 1 when bound, 0 when the text should be bound as VARCHAR for DuckDB to cast (other
 * types, unusual spellings of non-integers: DuckDB's cast then decides and words the error),
 * -1 with *err set when DuckDB refused the value or for an integer parameter whose text is
 * not a PostgreSQL integer (22P02) or out of the type's range (22003). */
static const char *int_type_name(duckdb_type t)
{
    switch (t) {
    case DUCKDB_TYPE_TINYINT: return "tinyint";
    case DUCKDB_TYPE_SMALLINT: return "smallint";
    case DUCKDB_TYPE_INTEGER: return "integer";
    case DUCKDB_TYPE_UTINYINT: return "utinyint";
    case DUCKDB_TYPE_USMALLINT: return "usmallint";
    case DUCKDB_TYPE_UINTEGER: return "uinteger";
    default: return "bigint";
    }
}

static int bind_text_exact(eng_stmt_t *s, idx_t idx, const char *d, size_t n, uerr_t *err)
{
    const eng__ptype_t *pt = &s->ptypes[idx - 1];
    duckdb_state st;
    int64_t i64;
    uint64_t u64;
    double f8;
    float f4;
    bool b;

    switch (pt->type) {
    case DUCKDB_TYPE_TINYINT:
    case DUCKDB_TYPE_SMALLINT:
    case DUCKDB_TYPE_INTEGER:
    case DUCKDB_TYPE_BIGINT:
    case DUCKDB_TYPE_UTINYINT:
    case DUCKDB_TYPE_USMALLINT:
    case DUCKDB_TYPE_UINTEGER: {
        int rc;
        if (!pgt_parse_text_int(d, n, &i64)) {
            /* PostgreSQL's integer input takes digits only (DuckDB's cast would round "1.5") */
            bool digits = n > 0;
            for (size_t i = 0; i < n && digits; i++)
                digits = (d[i] >= '0' && d[i] <= '9') || d[i] == '-' || d[i] == '+' || d[i] == ' ';
            if (digits) /* only digits but no int64: out of range */
                uerr_set(err, "22003", "value \"%.*s\" is out of range for type %s",
                         (int)(n > 64 ? 64 : n), d, int_type_name(pt->type));
            else
                uerr_set(err, "22P02", "invalid input syntax for type %s: \"%.*s\"",
                         int_type_name(pt->type), (int)(n > 64 ? 64 : n), d);
            return -1;
        }
        rc = bind_int_exact(s, idx, i64);
        if (rc == 0) /* a well-formed integer outside the parameter's type */
            uerr_set(err, "22003", "value \"%.*s\" is out of range for type %s",
                     (int)(n > 64 ? 64 : n), d, int_type_name(pt->type));
        return rc == 0 ? -1 : rc;
    }
    case DUCKDB_TYPE_HUGEINT: /* beyond int64: DuckDB's cast */
        return pgt_parse_text_int(d, n, &i64) ? bind_int_exact(s, idx, i64) : 0;
    case DUCKDB_TYPE_UBIGINT:
        if (!pgt_parse_text_uint(d, n, &u64)) {
            uerr_set(err, "22P02", "invalid input syntax for type ubigint: \"%.*s\"",
                     (int)(n > 64 ? 64 : n), d);
            return -1;
        }
        st = duckdb_bind_uint64(s->ps, idx, u64);
        break;
    case DUCKDB_TYPE_DECIMAL:
        switch (pgt_parse_text_decimal(d, n, pt->dec_width, pt->dec_scale, &i64)) {
        case 1: break;
        case -1:
            uerr_set(err, "22003", "numeric field overflow: \"%.*s\" does not fit DECIMAL(%d,%d)",
                     (int)(n > 64 ? 64 : n), d, pt->dec_width, pt->dec_scale);
            return -1;
        default: return 0;
        }
        st = duckdb_bind_decimal(
            s->ps, idx,
            (duckdb_decimal){pt->dec_width, pt->dec_scale, {(uint64_t)i64, i64 < 0 ? -1 : 0}});
        break;
    case DUCKDB_TYPE_DOUBLE:
        if (!pgt_parse_text_double(d, n, &f8))
            return 0;
        st = duckdb_bind_double(s->ps, idx, f8);
        break;
    case DUCKDB_TYPE_FLOAT:
        if (!pgt_parse_text_float(d, n, &f4))
            return 0;
        st = duckdb_bind_float(s->ps, idx, f4);
        break;
    case DUCKDB_TYPE_BOOLEAN:
        if (!pgt_parse_text_bool(d, n, &b))
            return 0;
        st = duckdb_bind_boolean(s->ps, idx, b);
        break;
    default: return 0;
    }
    return st == DuckDBSuccess ? 1 : -1;
}

static int bind_binary(eng_stmt_t *s, idx_t idx, uint32_t oid, const eng_param_t *p, uerr_t *err)
{
    const uint8_t *d = p->data;
    size_t n = (size_t)p->len;
    const char *why = "malformed value";
    duckdb_state st = DuckDBError;
    int64_t i64;
    double f8;
    bool b;
    int32_t days, months;
    int64_t us;
    uint8_t uuid[16];

    switch (oid) {
    case PGT_INT2:
    case PGT_INT4:
    case PGT_INT8:
    case PGT_OID:
        if (!pgt_parse_bin_int(d, n, &i64, &why))
            goto bad;
        if (oid == PGT_OID && n == 4)
            i64 = (uint32_t)i64; /* oid is unsigned */
        switch (bind_int_exact(s, idx, i64)) {
        case 1: st = DuckDBSuccess; break;
        case 0: st = duckdb_bind_int64(s->ps, idx, i64); break;
        default: st = DuckDBError; break;
        }
        break;
    case PGT_FLOAT4:
    case PGT_FLOAT8:
        if (!pgt_parse_bin_float(d, n, &f8, &why))
            goto bad;
        if (oid == PGT_FLOAT4 && s->ptypes[idx - 1].type == DUCKDB_TYPE_FLOAT)
            st = duckdb_bind_float(s->ps, idx, (float)f8); /* exact: it was a float */
        else
            st = duckdb_bind_double(s->ps, idx, f8);
        break;
    case PGT_BOOL:
        if (!pgt_parse_bin_bool(d, n, &b, &why))
            goto bad;
        st = duckdb_bind_boolean(s->ps, idx, b);
        break;
    case PGT_BYTEA: st = duckdb_bind_blob(s->ps, idx, d, n); break;
    case PGT_TEXT:
    case PGT_VARCHAR:
    case PGT_BPCHAR:
    case PGT_NAME:
    case PGT_JSON:
    case PGT_UNKNOWN:
    case PGT_CHAR: st = duckdb_bind_varchar_length(s->ps, idx, (const char *)d, n); break;
    case PGT_JSONB:
        if (n < 1 || d[0] != 1) {
            why = "unsupported jsonb version";
            goto bad;
        }
        st = duckdb_bind_varchar_length(s->ps, idx, (const char *)d + 1, n - 1);
        break;
    case PGT_NUMERIC:
        ubuf_reset(&s->scratch);
        if (!pgt_parse_bin_numeric(d, n, &s->scratch, &why))
            goto bad;
        st = duckdb_bind_varchar_length(s->ps, idx, s->scratch.data, s->scratch.len);
        break;
    case PGT_DATE:
        if (!pgt_parse_bin_date(d, n, &days, &why))
            goto bad;
        st = duckdb_bind_date(s->ps, idx, (duckdb_date){days});
        break;
    case PGT_TIME:
        if (!pgt_parse_bin_time(d, n, &us, &why))
            goto bad;
        st = duckdb_bind_time(s->ps, idx, (duckdb_time){us});
        break;
    case PGT_TIMESTAMP:
    case PGT_TIMESTAMPTZ:
        if (!pgt_parse_bin_timestamp(d, n, &us, &why))
            goto bad;
        st = oid == PGT_TIMESTAMP ? duckdb_bind_timestamp(s->ps, idx, (duckdb_timestamp){us})
                                  : duckdb_bind_timestamp_tz(s->ps, idx, (duckdb_timestamp){us});
        break;
    case PGT_INTERVAL:
        if (!pgt_parse_bin_interval(d, n, &months, &days, &us, &why))
            goto bad;
        st = duckdb_bind_interval(s->ps, idx, (duckdb_interval){months, days, us});
        break;
    case PGT_UUID:
        if (!pgt_parse_bin_uuid(d, n, uuid, &why))
            goto bad;
        ubuf_reset(&s->scratch);
        pgt_text_uuid(&s->scratch, uuid);
        st = duckdb_bind_varchar_length(s->ps, idx, s->scratch.data, s->scratch.len);
        break;
    default:
        if (pgt_info(oid) && pgt_info(oid)->elem_oid) {
            ubuf_reset(&s->scratch);
            if (!pgt_bin_array_to_list(d, n, &s->scratch, &why))
                goto bad;
            st = duckdb_bind_varchar_length(s->ps, idx, s->scratch.data, s->scratch.len);
            break;
        }
        uerr_set(err, "0A000", "binary format for parameter $%llu of type OID %u is not supported",
                 (unsigned long long)idx, oid);
        return -1;
    }
    if (st != DuckDBSuccess) {
        uerr_set(err, "22P02", "could not bind parameter $%llu (type OID %u)",
                 (unsigned long long)idx, oid);
        return -1;
    }
    return 0;
bad:
    uerr_set(err, "22P03", "incorrect binary data format in parameter $%llu: %s",
             (unsigned long long)idx, why);
    return -1;
}

static int bind_text(eng_stmt_t *s, idx_t idx, uint32_t oid, const eng_param_t *p, uerr_t *err)
{
    duckdb_state st;
    if (oid == PGT_BYTEA) {
        const char *why = "invalid input syntax for type bytea";
        ubuf_reset(&s->scratch);
        if (!pgt_parse_text_bytea((const char *)p->data, (size_t)p->len, &s->scratch, &why)) {
            uerr_set(err, "22P02", "parameter $%llu: %s", (unsigned long long)idx, why);
            return -1;
        }
        st = duckdb_bind_blob(s->ps, idx, s->scratch.data ? s->scratch.data : "", s->scratch.len);
    } else if (pgt_info(oid) && pgt_info(oid)->elem_oid) {
        const char *why = "malformed array literal";
        ubuf_reset(&s->scratch);
        if (!pgt_array_text_to_list((const char *)p->data, (size_t)p->len, &s->scratch, &why)) {
            uerr_set(err, "22P02", "parameter $%llu: %s", (unsigned long long)idx, why);
            return -1;
        }
        st = duckdb_bind_varchar_length(s->ps, idx, s->scratch.data, s->scratch.len);
    } else {
        int rc = bind_text_exact(s, idx, (const char *)p->data, (size_t)p->len, err);
        if (rc == 0)
            st = duckdb_bind_varchar_length(s->ps, idx, (const char *)p->data, (idx_t)p->len);
        else
            st = rc == 1 ? DuckDBSuccess : DuckDBError;
    }
    if (st != DuckDBSuccess) {
        if (!uerr_isset(err))
            uerr_set(err, "22P02", "invalid input for parameter $%llu", (unsigned long long)idx);
        return -1;
    }
    return 0;
}

int eng_bind(eng_stmt_t *s, const eng_param_t *params, size_t n, uerr_t *err)
{
    if (n != s->nparams) {
        uerr_set(err, "08P01",
                 "bind message supplies %zu parameters, but prepared statement "
                 "requires %zu",
                 n, s->nparams);
        return -1;
    }
    duckdb_clear_bindings(s->ps);
    for (size_t i = 0; i < n; i++) {
        const eng_param_t *p = &params[i];
        idx_t idx = i + 1;
        uint32_t oid = p->oid ? p->oid : s->param_oids[i];
        int rc;
        if (!p->data || p->len < 0)
            rc = duckdb_bind_null(s->ps, idx) == DuckDBSuccess ? 0 : -1;
        else if (p->format == 1)
            rc = bind_binary(s, idx, oid, p, err);
        else
            rc = bind_text(s, idx, oid, p, err);
        if (rc != 0) {
            if (!uerr_isset(err))
                uerr_set(err, "22P02", "could not bind parameter $%llu", (unsigned long long)idx);
            return -1;
        }
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
        duckdb_destroy_logical_type(&lt);
        cur->cols[i].name = duckdb_column_name(&cur->result, i);
        cur->cols[i].oid = cur->enc[i].oid;
        cur->cols[i].typlen = eng__enc_typlen(&cur->enc[i]);
        cur->cols[i].typmod = eng__enc_typmod(&cur->enc[i]);
    }
}

int eng_execute(eng_stmt_t *s, eng_cursor_t **out, uerr_t *err)
{
    duckdb_pending_result pending = NULL;
    eng_cursor_t *cur = xcalloc(1, sizeof *cur);
    int rc = -1;

    *out = NULL;
    cur->stmt = s;
    cur->changed = -1;
    if (duckdb_pending_prepared_streaming(s->ps, &pending) != DuckDBSuccess) {
        eng__set_error(err, DUCKDB_ERROR_INVALID, duckdb_pending_error(pending));
        goto out;
    }
    if (duckdb_execute_pending(pending, &cur->result) != DuckDBSuccess) {
        eng__set_error(err, duckdb_result_error_type(&cur->result),
                       duckdb_result_error(&cur->result));
        duckdb_destroy_result(&cur->result);
        goto out;
    }
    cur->have_result = true;
    cur->rtype = duckdb_result_return_type(cur->result);
    cursor_init_columns(cur);
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
    if (cur->chunk)
        duckdb_destroy_data_chunk(&cur->chunk);
    for (size_t i = cur->mat_pos; i < cur->nmat; i++)
        duckdb_destroy_data_chunk(&cur->mat[i]);
    free(cur->mat);
    for (size_t i = 0; i < cur->ncols; i++)
        eng__enc_free(&cur->enc[i]);
    free(cur->enc);
    free(cur->cols);
    free(cur->vecs);
    free(cur->formats);
    free(cur->vals);
    free(cur->offs);
    ubuf_free(&cur->scratch);
    if (cur->have_result)
        duckdb_destroy_result(&cur->result);
    free(cur);
}

void eng_cursor_set_formats(eng_cursor_t *cur, const int16_t *formats, size_t n)
{
    for (size_t i = 0; i < cur->ncols; i++)
        cur->formats[i] = n == 0 ? 0 : (n == 1 ? formats[0] : (i < n ? formats[i] : 0));
}

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

static void cursor_encode_row(eng_cursor_t *cur, idx_t row)
{
    ubuf_reset(&cur->scratch);
    for (size_t c = 0; c < cur->ncols; c++) {
        duckdb_vector v = cur->vecs[c];
        uint64_t *validity = duckdb_vector_get_validity(v);
        if (validity && !((validity[row / 64] >> (row % 64)) & 1)) {
            cur->offs[c] = SIZE_MAX;
            continue;
        }
        cur->offs[c] = cur->scratch.len;
        eng__encode(&cur->scratch, &cur->enc[c], v, row, cur->formats[c]);
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
}

int eng_cursor_fetch(eng_cursor_t *cur, int64_t max_rows, eng_row_fn fn, void *ctx, int64_t *nrows,
                     bool *done, uerr_t *err)
{
    int64_t sent = 0;
    *nrows = 0;
    *done = false;
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
        cursor_encode_row(cur, cur->pos++);
        sent++;
        *nrows = sent;
        if (fn && fn(ctx, cur->vals, cur->ncols) != 0)
            return -1;
    }
    *nrows = sent;
    *done = cur->done;
    return 0;
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
