/* Client values into DuckDB: one PostgreSQL-format value (text or binary, as a Bind parameter
 * or a COPY FROM field carries it) becomes an eng__val_t of exactly the target's DuckDB type
 * where duckd parses the format itself, or VARCHAR text that DuckDB casts. The same value is
 * then bound to a prepared statement (eng__val_bind) or appended to a table (eng__val_append),
 * so parameters and COPY FROM share one conversion. */
#include <string.h>

#include "engine/engine_internal.h"
#include "types/pgtypes.h"

/* Sets an integer as exactly the target type when it is an integer type and the value fits.
 * Returns true when set; false when not applicable (the caller hands a BIGINT and DuckDB
 * casts, or reports the overflow). */
bool eng__type_is_int(duckdb_type t)
{
    return t == DUCKDB_TYPE_TINYINT || t == DUCKDB_TYPE_SMALLINT || t == DUCKDB_TYPE_INTEGER ||
           t == DUCKDB_TYPE_BIGINT || t == DUCKDB_TYPE_UTINYINT || t == DUCKDB_TYPE_USMALLINT ||
           t == DUCKDB_TYPE_UINTEGER || t == DUCKDB_TYPE_UBIGINT;
}

bool eng__type_is_number(duckdb_type t)
{
    return eng__type_is_int(t) || t == DUCKDB_TYPE_HUGEINT || t == DUCKDB_TYPE_UHUGEINT ||
           t == DUCKDB_TYPE_DECIMAL || t == DUCKDB_TYPE_FLOAT || t == DUCKDB_TYPE_DOUBLE;
}

static bool val_int_exact(duckdb_type target, int64_t v, eng__val_t *out)
{
    switch (target) {
    case DUCKDB_TYPE_TINYINT:
        if (v < INT8_MIN || v > INT8_MAX)
            return false;
        break;
    case DUCKDB_TYPE_SMALLINT:
        if (v < INT16_MIN || v > INT16_MAX)
            return false;
        break;
    case DUCKDB_TYPE_INTEGER:
        if (v < INT32_MIN || v > INT32_MAX)
            return false;
        break;
    case DUCKDB_TYPE_BIGINT:
    case DUCKDB_TYPE_HUGEINT: break;
    case DUCKDB_TYPE_UTINYINT:
        if (v < 0 || v > UINT8_MAX)
            return false;
        break;
    case DUCKDB_TYPE_USMALLINT:
        if (v < 0 || v > UINT16_MAX)
            return false;
        break;
    case DUCKDB_TYPE_UINTEGER:
        if (v < 0 || v > UINT32_MAX)
            return false;
        break;
    case DUCKDB_TYPE_UBIGINT:
        if (v < 0)
            return false;
        break;
    default: return false;
    }
    out->type = target;
    out->v.i = v;
    return true;
}

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

static void val_text_as_is(const char *d, size_t n, eng__val_t *out)
{
    out->type = DUCKDB_TYPE_VARCHAR;
    out->p = d;
    out->n = n;
}

/* Text of a scalar into exactly the target type, for the types whose plain spellings are
 * parsed here (integers, DECIMAL up to 18 digits, floats, booleans, ISO dates). Other types, and
 * unusual spellings of non-integers, stay VARCHAR: DuckDB's cast then decides and words the
 * error. An integer target whose text is not a PostgreSQL integer fails with 22P02 (DuckDB's
 * cast would round "1.5"), one out of the type's range with 22003. */
static int val_text_exact(const eng__ptype_t *pt, const char *d, size_t n, eng__val_t *out,
                          uerr_t *err)
{
    int64_t i64;
    int show = (int)(n > 64 ? 64 : n);

    val_text_as_is(d, n, out);
    switch (pt->type) {
    case DUCKDB_TYPE_TINYINT:
    case DUCKDB_TYPE_SMALLINT:
    case DUCKDB_TYPE_INTEGER:
    case DUCKDB_TYPE_BIGINT:
    case DUCKDB_TYPE_UTINYINT:
    case DUCKDB_TYPE_USMALLINT:
    case DUCKDB_TYPE_UINTEGER: {
        if (!pgt_parse_text_int(d, n, &i64)) {
            /* an integer's syntax (spaces, a sign, digits, spaces) but no int64: out of range */
            size_t i = 0, k;
            while (i < n && d[i] == ' ')
                i++;
            if (i < n && (d[i] == '-' || d[i] == '+'))
                i++;
            for (k = i; i < n && d[i] >= '0' && d[i] <= '9'; i++)
                ;
            bool digits = i > k;
            while (i < n && d[i] == ' ')
                i++;
            if (digits && i == n)
                uerr_set(err, "22003", "value \"%.*s\" is out of range for type %s", show, d,
                         int_type_name(pt->type));
            else
                uerr_set(err, "22P02", "invalid input syntax for type %s: \"%.*s\"",
                         int_type_name(pt->type), show, d);
            return -1;
        }
        if (val_int_exact(pt->type, i64, out))
            return 0;
        uerr_set(err, "22003", "value \"%.*s\" is out of range for type %s", show, d,
                 int_type_name(pt->type));
        return -1;
    }
    case DUCKDB_TYPE_HUGEINT: /* beyond int64: DuckDB's cast */
        if (pgt_parse_text_int(d, n, &i64))
            (void)val_int_exact(pt->type, i64, out);
        return 0;
    case DUCKDB_TYPE_UBIGINT:
        if (!pgt_parse_text_uint(d, n, &out->v.u)) {
            uerr_set(err, "22P02", "invalid input syntax for type ubigint: \"%.*s\"", show, d);
            return -1;
        }
        out->type = DUCKDB_TYPE_UBIGINT;
        return 0;
    case DUCKDB_TYPE_DECIMAL:
        switch (pgt_parse_text_decimal(d, n, pt->dec_width, pt->dec_scale, &i64)) {
        case 1: break;
        case -1:
            uerr_set(err, "22003", "numeric field overflow: \"%.*s\" does not fit DECIMAL(%d,%d)",
                     show, d, pt->dec_width, pt->dec_scale);
            return -1;
        default: return 0;
        }
        out->type = DUCKDB_TYPE_DECIMAL;
        out->v.dec =
            (duckdb_decimal){pt->dec_width, pt->dec_scale, {(uint64_t)i64, i64 < 0 ? -1 : 0}};
        return 0;
    case DUCKDB_TYPE_DOUBLE:
        if (pgt_parse_text_double(d, n, &out->v.d))
            out->type = DUCKDB_TYPE_DOUBLE;
        return 0;
    case DUCKDB_TYPE_FLOAT:
        if (pgt_parse_text_float(d, n, &out->v.f))
            out->type = DUCKDB_TYPE_FLOAT;
        return 0;
    case DUCKDB_TYPE_BOOLEAN:
        if (pgt_parse_text_bool(d, n, &out->v.b))
            out->type = DUCKDB_TYPE_BOOLEAN;
        return 0;
    case DUCKDB_TYPE_DATE:
        if (pgt_parse_text_date(d, n, &out->v.date.days))
            out->type = DUCKDB_TYPE_DATE;
        return 0;
    default: return 0;
    }
}

int eng__val_text(const eng__ptype_t *pt, uint32_t oid, const char *d, size_t n, ubuf_t *scratch,
                  const char *what, eng__val_t *out, uerr_t *err)
{
    const char *why = NULL;
    memset(out, 0, sizeof *out);
    if (oid == PGT_BYTEA) {
        why = "invalid input syntax for type bytea";
        ubuf_reset(scratch);
        if (!pgt_parse_text_bytea(d, n, scratch, &why))
            goto bad;
        out->type = DUCKDB_TYPE_BLOB;
        out->p = scratch->data ? scratch->data : "";
        out->n = scratch->len;
        return 0;
    }
    if (pgt_is_array(oid)) {
        why = "malformed array literal";
        ubuf_reset(scratch);
        if (!pgt_array_text_to_list(d, n, scratch, &why))
            goto bad;
        val_text_as_is(scratch->data, scratch->len, out);
        return 0;
    }
    return val_text_exact(pt, d, n, out, err);
bad:
    uerr_set(err, "22P02", "%s: %s", what, why);
    return -1;
}

int eng__val_binary(const eng__ptype_t *pt, uint32_t oid, const uint8_t *d, size_t n,
                    ubuf_t *scratch, const char *what, eng__val_t *out, uerr_t *err)
{
    const char *why = "malformed value";
    int64_t i64;
    int32_t days, months;
    uint8_t uuid[16];

    memset(out, 0, sizeof *out);
    switch (oid) {
    case PGT_INT2:
    case PGT_INT4:
    case PGT_INT8:
    case PGT_OID:
        if (!pgt_parse_bin_int(d, n, &i64, &why))
            goto bad;
        if (oid == PGT_OID && n == 4)
            i64 = (uint32_t)i64; /* oid is unsigned */
        if (!val_int_exact(pt->type, i64, out)) {
            out->type = DUCKDB_TYPE_BIGINT;
            out->v.i = i64;
        }
        return 0;
    case PGT_FLOAT4:
    case PGT_FLOAT8:
        if (!pgt_parse_bin_float(d, n, &out->v.d, &why))
            goto bad;
        out->type = DUCKDB_TYPE_DOUBLE;
        if (oid == PGT_FLOAT4 && pt->type == DUCKDB_TYPE_FLOAT) { /* exact: it was a float */
            out->type = DUCKDB_TYPE_FLOAT;
            out->v.f = (float)out->v.d;
        }
        return 0;
    case PGT_BOOL:
        if (!pgt_parse_bin_bool(d, n, &out->v.b, &why))
            goto bad;
        out->type = DUCKDB_TYPE_BOOLEAN;
        return 0;
    case PGT_BYTEA:
        out->type = DUCKDB_TYPE_BLOB;
        out->p = (const char *)d;
        out->n = n;
        return 0;
    case PGT_TEXT:
    case PGT_VARCHAR:
    case PGT_BPCHAR:
    case PGT_NAME:
    case PGT_JSON:
    case PGT_UNKNOWN:
    case PGT_CHAR: val_text_as_is((const char *)d, n, out); return 0;
    case PGT_JSONB:
        if (n < 1 || d[0] != 1) {
            why = "unsupported jsonb version";
            goto bad;
        }
        val_text_as_is((const char *)d + 1, n - 1, out);
        return 0;
    case PGT_NUMERIC:
        ubuf_reset(scratch);
        if (!pgt_parse_bin_numeric(d, n, scratch, &why))
            goto bad;
        val_text_as_is(scratch->data, scratch->len, out);
        return 0;
    case PGT_DATE:
        if (!pgt_parse_bin_date(d, n, &days, &why))
            goto bad;
        out->type = DUCKDB_TYPE_DATE;
        out->v.date = (duckdb_date){days};
        return 0;
    case PGT_TIME:
        if (!pgt_parse_bin_time(d, n, &i64, &why))
            goto bad;
        out->type = DUCKDB_TYPE_TIME;
        out->v.time = (duckdb_time){i64};
        return 0;
    case PGT_TIMESTAMP:
    case PGT_TIMESTAMPTZ:
        if (!pgt_parse_bin_timestamp(d, n, &i64, &why))
            goto bad;
        out->type = oid == PGT_TIMESTAMP ? DUCKDB_TYPE_TIMESTAMP : DUCKDB_TYPE_TIMESTAMP_TZ;
        out->v.ts = (duckdb_timestamp){i64};
        return 0;
    case PGT_INTERVAL:
        if (!pgt_parse_bin_interval(d, n, &months, &days, &i64, &why))
            goto bad;
        out->type = DUCKDB_TYPE_INTERVAL;
        out->v.iv = (duckdb_interval){months, days, i64};
        return 0;
    case PGT_UUID:
        if (!pgt_parse_bin_uuid(d, n, uuid, &why))
            goto bad;
        ubuf_reset(scratch);
        pgt_text_uuid(scratch, uuid);
        val_text_as_is(scratch->data, scratch->len, out);
        return 0;
    default:
        if (pgt_is_array(oid)) {
            ubuf_reset(scratch);
            if (!pgt_bin_array_to_list(d, n, scratch, &why))
                goto bad;
            val_text_as_is(scratch->data, scratch->len, out);
            return 0;
        }
        uerr_set(err, "0A000", "binary format for %s of type OID %u is not supported", what, oid);
        return -1;
    }
bad:
    uerr_set(err, "22P03", "incorrect binary data format in %s: %s", what, why);
    return -1;
}

duckdb_state eng__val_bind(duckdb_prepared_statement ps, idx_t idx, const eng__val_t *x)
{
    switch (x->type) {
    case DUCKDB_TYPE_SQLNULL: return duckdb_bind_null(ps, idx);
    case DUCKDB_TYPE_BOOLEAN: return duckdb_bind_boolean(ps, idx, x->v.b);
    case DUCKDB_TYPE_TINYINT: return duckdb_bind_int8(ps, idx, (int8_t)x->v.i);
    case DUCKDB_TYPE_SMALLINT: return duckdb_bind_int16(ps, idx, (int16_t)x->v.i);
    case DUCKDB_TYPE_INTEGER: return duckdb_bind_int32(ps, idx, (int32_t)x->v.i);
    case DUCKDB_TYPE_BIGINT: return duckdb_bind_int64(ps, idx, x->v.i);
    case DUCKDB_TYPE_HUGEINT:
        return duckdb_bind_hugeint(ps, idx,
                                   (duckdb_hugeint){(uint64_t)x->v.i, x->v.i < 0 ? -1 : 0});
    case DUCKDB_TYPE_UTINYINT: return duckdb_bind_uint8(ps, idx, (uint8_t)x->v.i);
    case DUCKDB_TYPE_USMALLINT: return duckdb_bind_uint16(ps, idx, (uint16_t)x->v.i);
    case DUCKDB_TYPE_UINTEGER: return duckdb_bind_uint32(ps, idx, (uint32_t)x->v.i);
    case DUCKDB_TYPE_UBIGINT: return duckdb_bind_uint64(ps, idx, x->v.u);
    case DUCKDB_TYPE_DECIMAL: return duckdb_bind_decimal(ps, idx, x->v.dec);
    case DUCKDB_TYPE_FLOAT: return duckdb_bind_float(ps, idx, x->v.f);
    case DUCKDB_TYPE_DOUBLE: return duckdb_bind_double(ps, idx, x->v.d);
    case DUCKDB_TYPE_DATE: return duckdb_bind_date(ps, idx, x->v.date);
    case DUCKDB_TYPE_TIME: return duckdb_bind_time(ps, idx, x->v.time);
    case DUCKDB_TYPE_TIMESTAMP: return duckdb_bind_timestamp(ps, idx, x->v.ts);
    case DUCKDB_TYPE_TIMESTAMP_TZ: return duckdb_bind_timestamp_tz(ps, idx, x->v.ts);
    case DUCKDB_TYPE_INTERVAL: return duckdb_bind_interval(ps, idx, x->v.iv);
    case DUCKDB_TYPE_BLOB: return duckdb_bind_blob(ps, idx, x->p ? x->p : "", x->n);
    default: return duckdb_bind_varchar_length(ps, idx, x->p ? x->p : "", x->n);
    }
}

/* DECIMAL has no typed append call: it goes through a duckdb_value. */
static duckdb_state val_append_decimal(duckdb_appender a, duckdb_decimal dec)
{
    duckdb_value v = duckdb_create_decimal(dec);
    duckdb_state st = v ? duckdb_append_value(a, v) : DuckDBError;
    if (v)
        duckdb_destroy_value(&v);
    return st;
}

duckdb_state eng__val_append(duckdb_appender a, const eng__val_t *x)
{
    switch (x->type) {
    case DUCKDB_TYPE_SQLNULL: return duckdb_append_null(a);
    case DUCKDB_TYPE_BOOLEAN: return duckdb_append_bool(a, x->v.b);
    case DUCKDB_TYPE_TINYINT: return duckdb_append_int8(a, (int8_t)x->v.i);
    case DUCKDB_TYPE_SMALLINT: return duckdb_append_int16(a, (int16_t)x->v.i);
    case DUCKDB_TYPE_INTEGER: return duckdb_append_int32(a, (int32_t)x->v.i);
    case DUCKDB_TYPE_BIGINT: return duckdb_append_int64(a, x->v.i);
    case DUCKDB_TYPE_HUGEINT:
        return duckdb_append_hugeint(a, (duckdb_hugeint){(uint64_t)x->v.i, x->v.i < 0 ? -1 : 0});
    case DUCKDB_TYPE_UTINYINT: return duckdb_append_uint8(a, (uint8_t)x->v.i);
    case DUCKDB_TYPE_USMALLINT: return duckdb_append_uint16(a, (uint16_t)x->v.i);
    case DUCKDB_TYPE_UINTEGER: return duckdb_append_uint32(a, (uint32_t)x->v.i);
    case DUCKDB_TYPE_UBIGINT: return duckdb_append_uint64(a, x->v.u);
    case DUCKDB_TYPE_DECIMAL: return val_append_decimal(a, x->v.dec);
    case DUCKDB_TYPE_FLOAT: return duckdb_append_float(a, x->v.f);
    case DUCKDB_TYPE_DOUBLE: return duckdb_append_double(a, x->v.d);
    case DUCKDB_TYPE_DATE: return duckdb_append_date(a, x->v.date);
    case DUCKDB_TYPE_TIME: return duckdb_append_time(a, x->v.time);
    case DUCKDB_TYPE_TIMESTAMP:
    case DUCKDB_TYPE_TIMESTAMP_TZ: return duckdb_append_timestamp(a, x->v.ts);
    case DUCKDB_TYPE_INTERVAL: return duckdb_append_interval(a, x->v.iv);
    case DUCKDB_TYPE_BLOB: return duckdb_append_blob(a, x->p ? x->p : "", x->n);
    default: return duckdb_append_varchar_length(a, x->p ? x->p : "", x->n);
    }
}
