/* Encodes DuckDB vector values as PostgreSQL text or binary values: the result hot path.
 * The mapping DuckDB type -> PostgreSQL OID lives here (documented in docs/COMPATIBILITY.md);
 * the byte-level formats come from types/pgtypes.h. */
#include <stdlib.h>
#include <string.h>

#include "engine/engine_internal.h"
#include "types/pgtypes.h"
#include "util/xalloc.h"

/* ---- type mapping ---- */

static uint32_t enc_scalar_oid(duckdb_type t)
{
    switch (t) {
    case DUCKDB_TYPE_BOOLEAN: return PGT_BOOL;
    case DUCKDB_TYPE_TINYINT:
    case DUCKDB_TYPE_SMALLINT:
    case DUCKDB_TYPE_UTINYINT: return PGT_INT2;
    case DUCKDB_TYPE_INTEGER:
    case DUCKDB_TYPE_USMALLINT: return PGT_INT4;
    case DUCKDB_TYPE_BIGINT: return PGT_INT8;
    case DUCKDB_TYPE_UINTEGER: return PGT_OID; /* catalogs use UINTEGER for OIDs */
    case DUCKDB_TYPE_UBIGINT:
    case DUCKDB_TYPE_HUGEINT:
    case DUCKDB_TYPE_UHUGEINT:
    case DUCKDB_TYPE_BIGNUM:
    case DUCKDB_TYPE_DECIMAL: return PGT_NUMERIC;
    case DUCKDB_TYPE_FLOAT: return PGT_FLOAT4;
    case DUCKDB_TYPE_DOUBLE: return PGT_FLOAT8;
    case DUCKDB_TYPE_VARCHAR:
    case DUCKDB_TYPE_ENUM: return PGT_TEXT;
    case DUCKDB_TYPE_BLOB: return PGT_BYTEA;
    case DUCKDB_TYPE_DATE: return PGT_DATE;
    case DUCKDB_TYPE_TIME: return PGT_TIME;
    case DUCKDB_TYPE_TIME_TZ: return PGT_TIMETZ;
    case DUCKDB_TYPE_TIMESTAMP:
    case DUCKDB_TYPE_TIMESTAMP_S:
    case DUCKDB_TYPE_TIMESTAMP_MS: return PGT_TIMESTAMP;
    case DUCKDB_TYPE_TIMESTAMP_TZ: return PGT_TIMESTAMPTZ;
    case DUCKDB_TYPE_INTERVAL: return PGT_INTERVAL;
    case DUCKDB_TYPE_UUID: return PGT_UUID;
    case DUCKDB_TYPE_BIT: return PGT_VARBIT;
    case DUCKDB_TYPE_STRUCT:
    case DUCKDB_TYPE_MAP: return PGT_JSON;
    default: return PGT_TEXT; /* TIMESTAMP_NS, TIME_NS, UNION, opaque types: text */
    }
}

/* The types this file encodes itself; any other (GEOMETRY, VARIANT, types newer than duckd)
 * is opaque: eng_prepare has DuckDB cast such columns to VARCHAR (engine.c). */
static bool enc_known(duckdb_type t)
{
    switch (t) {
    case DUCKDB_TYPE_BOOLEAN:
    case DUCKDB_TYPE_TINYINT:
    case DUCKDB_TYPE_SMALLINT:
    case DUCKDB_TYPE_INTEGER:
    case DUCKDB_TYPE_BIGINT:
    case DUCKDB_TYPE_UTINYINT:
    case DUCKDB_TYPE_USMALLINT:
    case DUCKDB_TYPE_UINTEGER:
    case DUCKDB_TYPE_UBIGINT:
    case DUCKDB_TYPE_HUGEINT:
    case DUCKDB_TYPE_UHUGEINT:
    case DUCKDB_TYPE_BIGNUM:
    case DUCKDB_TYPE_FLOAT:
    case DUCKDB_TYPE_DOUBLE:
    case DUCKDB_TYPE_DECIMAL:
    case DUCKDB_TYPE_VARCHAR:
    case DUCKDB_TYPE_BLOB:
    case DUCKDB_TYPE_BIT:
    case DUCKDB_TYPE_ENUM:
    case DUCKDB_TYPE_DATE:
    case DUCKDB_TYPE_TIME:
    case DUCKDB_TYPE_TIME_NS:
    case DUCKDB_TYPE_TIME_TZ:
    case DUCKDB_TYPE_TIMESTAMP:
    case DUCKDB_TYPE_TIMESTAMP_S:
    case DUCKDB_TYPE_TIMESTAMP_MS:
    case DUCKDB_TYPE_TIMESTAMP_NS:
    case DUCKDB_TYPE_TIMESTAMP_TZ:
    case DUCKDB_TYPE_INTERVAL:
    case DUCKDB_TYPE_UUID:
    case DUCKDB_TYPE_LIST:
    case DUCKDB_TYPE_ARRAY:
    case DUCKDB_TYPE_STRUCT:
    case DUCKDB_TYPE_MAP:
    case DUCKDB_TYPE_UNION:
    /* a column typed by a parameter is only known at execution (checked again then) */
    case DUCKDB_TYPE_INVALID:
    case DUCKDB_TYPE_ANY:
    case DUCKDB_TYPE_SQLNULL:
    case DUCKDB_TYPE_STRING_LITERAL:
    case DUCKDB_TYPE_INTEGER_LITERAL: return true;
    default: return false;
    }
}

static bool enc_is_json_alias(duckdb_logical_type lt)
{
    char *alias = duckdb_logical_type_get_alias(lt);
    bool is_json = alias && strcmp(alias, "JSON") == 0;
    duckdb_free(alias);
    return is_json;
}

static void enc_init_children(eng__enc_t *e, duckdb_logical_type lt)
{
    if (e->type == DUCKDB_TYPE_LIST || e->type == DUCKDB_TYPE_ARRAY) {
        duckdb_logical_type c = e->type == DUCKDB_TYPE_LIST ? duckdb_list_type_child_type(lt)
                                                            : duckdb_array_type_child_type(lt);
        e->nchildren = 1;
        e->children = xcalloc(1, sizeof *e->children);
        eng__enc_init(&e->children[0], c);
        duckdb_destroy_logical_type(&c);
        if (e->type == DUCKDB_TYPE_ARRAY)
            e->array_size = duckdb_array_type_array_size(lt);
    } else if (e->type == DUCKDB_TYPE_STRUCT) {
        e->nchildren = duckdb_struct_type_child_count(lt);
        e->children = xcalloc(e->nchildren, sizeof *e->children);
        e->child_names = xcalloc(e->nchildren, sizeof *e->child_names);
        for (size_t i = 0; i < e->nchildren; i++) {
            duckdb_logical_type c = duckdb_struct_type_child_type(lt, i);
            eng__enc_init(&e->children[i], c);
            duckdb_destroy_logical_type(&c);
            e->child_names[i] = duckdb_struct_type_child_name(lt, i);
        }
    } else if (e->type == DUCKDB_TYPE_UNION) {
        /* physically a STRUCT: child 0 is the UTINYINT tag, child 1 + i member i */
        idx_t n = duckdb_union_type_member_count(lt);
        e->nchildren = n + 1;
        e->children = xcalloc(n + 1, sizeof *e->children);
        e->children[0].type = DUCKDB_TYPE_UTINYINT;
        e->children[0].oid = PGT_INT2;
        for (idx_t i = 0; i < n; i++) {
            duckdb_logical_type c = duckdb_union_type_member_type(lt, i);
            eng__enc_init(&e->children[i + 1], c);
            duckdb_destroy_logical_type(&c);
        }
    } else if (e->type == DUCKDB_TYPE_MAP) {
        duckdb_logical_type k = duckdb_map_type_key_type(lt);
        duckdb_logical_type v = duckdb_map_type_value_type(lt);
        e->nchildren = 2;
        e->children = xcalloc(2, sizeof *e->children);
        eng__enc_init(&e->children[0], k);
        eng__enc_init(&e->children[1], v);
        duckdb_destroy_logical_type(&k);
        duckdb_destroy_logical_type(&v);
    }
}

bool eng__type_opaque(duckdb_logical_type lt)
{
    duckdb_type t = duckdb_get_type_id(lt);
    if (!enc_known(t))
        return true;
    bool opaque = false;
    duckdb_logical_type c = NULL;
    switch (t) {
    case DUCKDB_TYPE_LIST:
    case DUCKDB_TYPE_ARRAY:
        c = t == DUCKDB_TYPE_LIST ? duckdb_list_type_child_type(lt)
                                  : duckdb_array_type_child_type(lt);
        opaque = eng__type_opaque(c);
        duckdb_destroy_logical_type(&c);
        break;
    case DUCKDB_TYPE_MAP:
        c = duckdb_map_type_key_type(lt);
        opaque = eng__type_opaque(c);
        duckdb_destroy_logical_type(&c);
        c = duckdb_map_type_value_type(lt);
        opaque = opaque || eng__type_opaque(c);
        duckdb_destroy_logical_type(&c);
        break;
    case DUCKDB_TYPE_STRUCT:
        for (idx_t i = 0; i < duckdb_struct_type_child_count(lt) && !opaque; i++) {
            c = duckdb_struct_type_child_type(lt, i);
            opaque = eng__type_opaque(c);
            duckdb_destroy_logical_type(&c);
        }
        break;
    case DUCKDB_TYPE_UNION:
        for (idx_t i = 0; i < duckdb_union_type_member_count(lt) && !opaque; i++) {
            c = duckdb_union_type_member_type(lt, i);
            opaque = eng__type_opaque(c);
            duckdb_destroy_logical_type(&c);
        }
        break;
    default: break;
    }
    return opaque;
}

void eng__enc_init(eng__enc_t *e, duckdb_logical_type lt)
{
    memset(e, 0, sizeof *e);
    e->type = duckdb_get_type_id(lt);
    e->oid = enc_scalar_oid(e->type);
    if (e->type == DUCKDB_TYPE_DECIMAL) {
        e->dec_width = duckdb_decimal_width(lt);
        e->dec_scale = duckdb_decimal_scale(lt);
        e->internal = duckdb_decimal_internal_type(lt);
    } else if (e->type == DUCKDB_TYPE_ENUM) {
        e->internal = duckdb_enum_internal_type(lt);
        e->enum_n = duckdb_enum_dictionary_size(lt);
        e->enum_dict = xcalloc(e->enum_n ? e->enum_n : 1, sizeof *e->enum_dict);
        for (uint32_t i = 0; i < e->enum_n; i++)
            e->enum_dict[i] = duckdb_enum_dictionary_value(lt, i);
    } else if (e->type == DUCKDB_TYPE_VARCHAR && enc_is_json_alias(lt)) {
        /* jsonb: what PostgreSQL applications declare (Django's JSONField reads only jsonb
         * as text; psycopg, asyncpg, pgjdbc and node-postgres decode json and jsonb alike) */
        e->oid = PGT_JSONB;
    }
    enc_init_children(e, lt);
    e->opaque = !enc_known(e->type);
    for (size_t i = 0; i < e->nchildren; i++)
        e->opaque = e->opaque || e->children[i].opaque;
    if (e->type == DUCKDB_TYPE_STRUCT || e->type == DUCKDB_TYPE_MAP)
        e->json = true;
    if (e->type == DUCKDB_TYPE_LIST || e->type == DUCKDB_TYPE_ARRAY) {
        const pgt_info_t *ci = pgt_info(e->children[0].oid);
        bool scalar_child = e->children[0].nchildren == 0 || e->children[0].json ||
                            e->children[0].type == DUCKDB_TYPE_UNION;
        if (ci && ci->array_oid && scalar_child) {
            e->oid = ci->array_oid;
            e->elem_oid = e->children[0].oid;
        } else {
            e->oid = PGT_TEXT; /* nested arrays: text only, PostgreSQL array syntax */
        }
    }
}

void eng__enc_free(eng__enc_t *e)
{
    for (uint32_t i = 0; i < e->enum_n; i++)
        duckdb_free(e->enum_dict[i]);
    free(e->enum_dict);
    for (size_t i = 0; i < e->nchildren; i++) {
        eng__enc_free(&e->children[i]);
        if (e->child_names)
            duckdb_free(e->child_names[i]);
    }
    free(e->children);
    free(e->child_names);
    memset(e, 0, sizeof *e);
}

void eng__enc_set_tz(eng__enc_t *e, utz_t *tz)
{
    e->tz = tz;
    for (size_t i = 0; i < e->nchildren; i++)
        eng__enc_set_tz(&e->children[i], tz);
}

int16_t eng__enc_typlen(const eng__enc_t *e)
{
    const pgt_info_t *i = pgt_info(e->oid);
    return i ? i->typlen : -1;
}

int32_t eng__enc_typmod(const eng__enc_t *e)
{
    if (e->type == DUCKDB_TYPE_DECIMAL)
        return (int32_t)(((uint32_t)e->dec_width << 16) | e->dec_scale) + 4;
    return -1;
}

uint32_t eng__oid_for_type(duckdb_logical_type lt)
{
    eng__enc_t e;
    eng__enc_init(&e, lt);
    uint32_t oid = e.oid;
    eng__enc_free(&e);
    return oid;
}

/* ---- scalar access helpers ---- */

static inline const char *enc_string(duckdb_vector v, idx_t row, uint32_t *len)
{
    duckdb_string_t *s = (duckdb_string_t *)duckdb_vector_get_data(v) + row;
    *len = s->value.inlined.length;
    return *len <= 12 ? s->value.inlined.inlined : s->value.pointer.ptr;
}

static inline bool enc_valid(duckdb_vector v, idx_t row)
{
    uint64_t *validity = duckdb_vector_get_validity(v);
    return !validity || (validity[row / 64] >> (row % 64)) & 1;
}

static pgt_i128 enc_hugeint(const duckdb_hugeint *h)
{
    return (pgt_i128)(((pgt_u128)(uint64_t)h->upper << 64) | h->lower);
}

static pgt_i128 enc_decimal_value(const eng__enc_t *e, const void *data, idx_t row)
{
    switch (e->internal) {
    case DUCKDB_TYPE_SMALLINT: return ((const int16_t *)data)[row];
    case DUCKDB_TYPE_INTEGER: return ((const int32_t *)data)[row];
    case DUCKDB_TYPE_BIGINT: return ((const int64_t *)data)[row];
    default: return enc_hugeint((const duckdb_hugeint *)data + row);
    }
}

static uint64_t enc_enum_index(const eng__enc_t *e, const void *data, idx_t row)
{
    switch (e->internal) {
    case DUCKDB_TYPE_UTINYINT: return ((const uint8_t *)data)[row];
    case DUCKDB_TYPE_USMALLINT: return ((const uint16_t *)data)[row];
    default: return ((const uint32_t *)data)[row];
    }
}

static void enc_uuid_bytes(const duckdb_hugeint *h, uint8_t out[16])
{
    uint64_t hi = (uint64_t)h->upper ^ (UINT64_C(1) << 63);
    for (int i = 0; i < 8; i++) {
        out[i] = (uint8_t)(hi >> (56 - 8 * i));
        out[8 + i] = (uint8_t)(h->lower >> (56 - 8 * i));
    }
}

static int64_t enc_timestamp_micros(duckdb_type t, int64_t raw)
{
    if (raw == INT64_MAX || raw == -INT64_MAX)
        return raw; /* infinities are the same in every unit */
    switch (t) {
    case DUCKDB_TYPE_TIMESTAMP_S: return raw * 1000000;
    case DUCKDB_TYPE_TIMESTAMP_MS: return raw * 1000;
    case DUCKDB_TYPE_TIMESTAMP_NS: return raw / 1000 - (raw % 1000 < 0);
    default: return raw;
    }
}

/* DuckDB's BIGNUM: a 3-byte header (bit 23 set for non-negative values, the low 23 bits the
 * number of magnitude bytes) and the magnitude big-endian; a negative value has every byte,
 * header included, inverted. Appends the decimal digits (no sign) and returns the sign. */
static bool enc_bignum_digits(ubuf_t *out, const uint8_t *p, uint32_t n)
{
    if (n < 4) {
        ubuf_putc(out, '0');
        return false;
    }
    bool neg = !(p[0] & 0x80);
    uint8_t inv = neg ? 0xff : 0x00;
    size_t nb = n - 3;
    /* magnitude -> base 10^9 limbs, least significant first */
    size_t cap = nb / 3 + 2, nl = 0;
    uint32_t *limb = xcalloc(cap, sizeof *limb);
    for (size_t i = 0; i < nb; i++) {
        uint64_t carry = (uint8_t)(p[3 + i] ^ inv);
        for (size_t k = 0; k < nl; k++) {
            uint64_t v = (uint64_t)limb[k] * 256 + carry;
            limb[k] = (uint32_t)(v % 1000000000);
            carry = v / 1000000000;
        }
        while (carry) {
            limb[nl++] = (uint32_t)(carry % 1000000000);
            carry /= 1000000000;
        }
    }
    if (nl == 0) {
        ubuf_putc(out, '0');
        neg = false;
    } else {
        ubuf_printf(out, "%u", limb[nl - 1]);
        for (size_t k = nl - 1; k-- > 0;)
            ubuf_printf(out, "%09u", limb[k]);
    }
    free(limb);
    return neg;
}

static void enc_bignum_text(ubuf_t *out, duckdb_vector v, idx_t row)
{
    uint32_t n;
    const uint8_t *p = (const uint8_t *)enc_string(v, row, &n);
    ubuf_t digits = UBUF_INIT;
    if (enc_bignum_digits(&digits, p, n))
        ubuf_putc(out, '-');
    ubuf_append(out, digits.data, digits.len);
    ubuf_free(&digits);
}

static bool enc_bignum_bin(ubuf_t *out, duckdb_vector v, idx_t row)
{
    uint32_t n;
    const uint8_t *p = (const uint8_t *)enc_string(v, row, &n);
    ubuf_t digits = UBUF_INIT;
    bool neg = enc_bignum_digits(&digits, p, n);
    bool ok = pgt_bin_numeric_digits(out, neg, digits.data, digits.len);
    ubuf_free(&digits);
    return ok;
}

/* The active member of a UNION value: its vector and encoder. */
static duckdb_vector enc_union_member(const eng__enc_t *e, duckdb_vector v, idx_t row,
                                      const eng__enc_t **me)
{
    duckdb_vector tags = duckdb_struct_vector_get_child(v, 0);
    uint8_t tag = ((const uint8_t *)duckdb_vector_get_data(tags))[row];
    if ((size_t)tag + 1 >= e->nchildren)
        tag = 0;
    *me = &e->children[tag + 1];
    return duckdb_struct_vector_get_child(v, (idx_t)tag + 1);
}

static void enc_bit_text(ubuf_t *out, const char *p, uint32_t n)
{
    if (n == 0)
        return;
    uint8_t pad = (uint8_t)p[0];
    size_t nbits = (size_t)(n - 1) * 8;
    ubuf_reserve(out, nbits);
    for (size_t i = pad; i < nbits; i++) {
        uint8_t byte = (uint8_t)p[1 + i / 8];
        ubuf_putc(out, (byte >> (7 - i % 8)) & 1 ? '1' : '0');
    }
}

/* ---- nested values ---- */

static void enc_text(ubuf_t *out, const eng__enc_t *e, duckdb_vector v, idx_t row);
static void enc_json(ubuf_t *out, const eng__enc_t *e, duckdb_vector v, idx_t row);

/* Returns the child vector and [first, first+count) range of a LIST/ARRAY/MAP value. */
static duckdb_vector enc_list_range(const eng__enc_t *e, duckdb_vector v, idx_t row, idx_t *first,
                                    idx_t *count)
{
    if (e->type == DUCKDB_TYPE_ARRAY) {
        *first = row * e->array_size;
        *count = e->array_size;
        return duckdb_array_vector_get_child(v);
    }
    const duckdb_list_entry *le = (const duckdb_list_entry *)duckdb_vector_get_data(v) + row;
    *first = le->offset;
    *count = le->length;
    return duckdb_list_vector_get_child(v);
}

static void enc_array_text(ubuf_t *out, const eng__enc_t *e, duckdb_vector v, idx_t row)
{
    idx_t first, count;
    duckdb_vector child = enc_list_range(e, v, row, &first, &count);
    const eng__enc_t *ce = &e->children[0];
    bool nested = ce->type == DUCKDB_TYPE_LIST || ce->type == DUCKDB_TYPE_ARRAY;
    ubuf_t tmp = UBUF_INIT;
    ubuf_putc(out, '{');
    for (idx_t i = 0; i < count; i++) {
        if (i)
            ubuf_putc(out, ',');
        if (!enc_valid(child, first + i)) {
            ubuf_puts(out, "NULL");
        } else if (nested) {
            enc_array_text(out, ce, child, first + i);
        } else {
            ubuf_reset(&tmp);
            enc_text(&tmp, ce, child, first + i);
            pgt_text_array_elem(out, tmp.data ? tmp.data : "", tmp.len);
        }
    }
    ubuf_putc(out, '}');
    ubuf_free(&tmp);
}

static bool enc_json_is_bare(duckdb_type t)
{
    return (eng__type_is_number(t) && t != DUCKDB_TYPE_FLOAT && t != DUCKDB_TYPE_DOUBLE) ||
           t == DUCKDB_TYPE_BOOLEAN || t == DUCKDB_TYPE_BIGNUM;
}

static void enc_json_list(ubuf_t *out, const eng__enc_t *e, duckdb_vector v, idx_t row)
{
    idx_t first, count;
    duckdb_vector child = enc_list_range(e, v, row, &first, &count);
    ubuf_putc(out, '[');
    for (idx_t i = 0; i < count; i++) {
        if (i)
            ubuf_putc(out, ',');
        enc_json(out, &e->children[0], child, first + i);
    }
    ubuf_putc(out, ']');
}

static void enc_json_map(ubuf_t *out, const eng__enc_t *e, duckdb_vector v, idx_t row)
{
    idx_t first, count;
    duckdb_vector entries = enc_list_range(e, v, row, &first, &count);
    duckdb_vector keys = duckdb_struct_vector_get_child(entries, 0);
    duckdb_vector vals = duckdb_struct_vector_get_child(entries, 1);
    ubuf_t tmp = UBUF_INIT;
    ubuf_putc(out, '{');
    for (idx_t i = 0; i < count; i++) {
        if (i)
            ubuf_putc(out, ',');
        ubuf_reset(&tmp);
        if (enc_valid(keys, first + i))
            enc_text(&tmp, &e->children[0], keys, first + i);
        pgt_json_string(out, tmp.data ? tmp.data : "", tmp.len);
        ubuf_putc(out, ':');
        enc_json(out, &e->children[1], vals, first + i);
    }
    ubuf_putc(out, '}');
    ubuf_free(&tmp);
}

static void enc_json_struct(ubuf_t *out, const eng__enc_t *e, duckdb_vector v, idx_t row)
{
    ubuf_putc(out, '{');
    for (size_t i = 0; i < e->nchildren; i++) {
        if (i)
            ubuf_putc(out, ',');
        const char *name = e->child_names[i];
        pgt_json_string(out, name, strlen(name));
        ubuf_putc(out, ':');
        enc_json(out, &e->children[i], duckdb_struct_vector_get_child(v, i), row);
    }
    ubuf_putc(out, '}');
}

/* Appends the value as a JSON value (used inside STRUCT/MAP output). */
static void enc_json(ubuf_t *out, const eng__enc_t *e, duckdb_vector v, idx_t row)
{
    if (!enc_valid(v, row)) {
        ubuf_puts(out, "null");
        return;
    }
    switch (e->type) {
    case DUCKDB_TYPE_STRUCT: enc_json_struct(out, e, v, row); return;
    case DUCKDB_TYPE_MAP: enc_json_map(out, e, v, row); return;
    case DUCKDB_TYPE_LIST:
    case DUCKDB_TYPE_ARRAY: enc_json_list(out, e, v, row); return;
    case DUCKDB_TYPE_BOOLEAN:
        ubuf_puts(out, ((const bool *)duckdb_vector_get_data(v))[row] ? "true" : "false");
        return;
    case DUCKDB_TYPE_UNION: {
        const eng__enc_t *me;
        duckdb_vector mv = enc_union_member(e, v, row, &me);
        enc_json(out, me, mv, row);
        return;
    }
    default: break;
    }
    if (e->oid == PGT_JSON || e->oid == PGT_JSONB) { /* a JSON string is already JSON */
        enc_text(out, e, v, row);
        return;
    }
    if (enc_json_is_bare(e->type)) {
        enc_text(out, e, v, row);
        return;
    }
    ubuf_t tmp = UBUF_INIT;
    enc_text(&tmp, e, v, row);
    if ((e->type == DUCKDB_TYPE_FLOAT || e->type == DUCKDB_TYPE_DOUBLE) && tmp.len &&
        (tmp.data[tmp.len - 1] >= '0' && tmp.data[tmp.len - 1] <= '9'))
        ubuf_append(out, tmp.data, tmp.len); /* finite floats are bare JSON numbers */
    else
        pgt_json_string(out, tmp.data ? tmp.data : "", tmp.len);
    ubuf_free(&tmp);
}

/* ---- scalar text / binary ---- */

static void enc_text(ubuf_t *out, const eng__enc_t *e, duckdb_vector v, idx_t row)
{
    const void *d = duckdb_vector_get_data(v);
    uint32_t n;
    const char *s;
    switch (e->type) {
    case DUCKDB_TYPE_BOOLEAN: pgt_text_bool(out, ((const bool *)d)[row]); break;
    case DUCKDB_TYPE_TINYINT: pgt_text_int64(out, ((const int8_t *)d)[row]); break;
    case DUCKDB_TYPE_SMALLINT: pgt_text_int64(out, ((const int16_t *)d)[row]); break;
    case DUCKDB_TYPE_INTEGER: pgt_text_int64(out, ((const int32_t *)d)[row]); break;
    case DUCKDB_TYPE_BIGINT: pgt_text_int64(out, ((const int64_t *)d)[row]); break;
    case DUCKDB_TYPE_UTINYINT: pgt_text_int64(out, ((const uint8_t *)d)[row]); break;
    case DUCKDB_TYPE_USMALLINT: pgt_text_int64(out, ((const uint16_t *)d)[row]); break;
    case DUCKDB_TYPE_UINTEGER: pgt_text_int64(out, ((const uint32_t *)d)[row]); break;
    case DUCKDB_TYPE_UBIGINT: pgt_text_uint64(out, ((const uint64_t *)d)[row]); break;
    case DUCKDB_TYPE_HUGEINT:
        pgt_text_i128(out, enc_hugeint((const duckdb_hugeint *)d + row));
        break;
    case DUCKDB_TYPE_UHUGEINT: {
        const duckdb_uhugeint *u = (const duckdb_uhugeint *)d + row;
        pgt_text_u128(out, ((pgt_u128)u->upper << 64) | u->lower);
        break;
    }
    case DUCKDB_TYPE_BIGNUM: enc_bignum_text(out, v, row); break;
    case DUCKDB_TYPE_FLOAT: pgt_text_float4(out, ((const float *)d)[row]); break;
    case DUCKDB_TYPE_DOUBLE: pgt_text_float8(out, ((const double *)d)[row]); break;
    case DUCKDB_TYPE_DECIMAL:
        pgt_text_decimal(out, enc_decimal_value(e, d, row), e->dec_scale);
        break;
    case DUCKDB_TYPE_VARCHAR:
        s = enc_string(v, row, &n);
        ubuf_append(out, s, n);
        break;
    case DUCKDB_TYPE_BLOB:
        s = enc_string(v, row, &n);
        pgt_text_bytea(out, (const uint8_t *)s, n);
        break;
    case DUCKDB_TYPE_BIT:
        s = enc_string(v, row, &n);
        enc_bit_text(out, s, n);
        break;
    case DUCKDB_TYPE_ENUM: {
        uint64_t i = enc_enum_index(e, d, row);
        if (i < e->enum_n)
            ubuf_puts(out, e->enum_dict[i]);
        break;
    }
    case DUCKDB_TYPE_DATE: pgt_text_date(out, ((const int32_t *)d)[row]); break;
    case DUCKDB_TYPE_TIME: pgt_text_time(out, ((const int64_t *)d)[row]); break;
    case DUCKDB_TYPE_TIME_NS: pgt_text_time_ns(out, ((const int64_t *)d)[row]); break;
    case DUCKDB_TYPE_TIME_TZ: {
        duckdb_time_tz_struct tz = duckdb_from_time_tz(((const duckdb_time_tz *)d)[row]);
        int64_t us = ((int64_t)tz.time.hour * 3600 + tz.time.min * 60 + tz.time.sec) * 1000000 +
                     tz.time.micros;
        pgt_text_timetz(out, us, tz.offset);
        break;
    }
    case DUCKDB_TYPE_TIMESTAMP:
    case DUCKDB_TYPE_TIMESTAMP_S:
    case DUCKDB_TYPE_TIMESTAMP_MS:
        pgt_text_timestamp(out, enc_timestamp_micros(e->type, ((const int64_t *)d)[row]));
        break;
    case DUCKDB_TYPE_TIMESTAMP_NS: pgt_text_timestamp_ns(out, ((const int64_t *)d)[row]); break;
    case DUCKDB_TYPE_TIMESTAMP_TZ: {
        int64_t us = ((const int64_t *)d)[row];
        bool finite = us != INT64_MAX && us != -INT64_MAX && us != INT64_MIN;
        pgt_text_timestamptz(out, us, e->tz && finite ? utz_offset(e->tz, us) : 0);
        break;
    }
    case DUCKDB_TYPE_INTERVAL: {
        const duckdb_interval *iv = (const duckdb_interval *)d + row;
        pgt_text_interval(out, iv->months, iv->days, iv->micros);
        break;
    }
    case DUCKDB_TYPE_UUID: {
        uint8_t b[16];
        enc_uuid_bytes((const duckdb_hugeint *)d + row, b);
        pgt_text_uuid(out, b);
        break;
    }
    case DUCKDB_TYPE_LIST:
    case DUCKDB_TYPE_ARRAY: enc_array_text(out, e, v, row); break;
    case DUCKDB_TYPE_STRUCT: enc_json_struct(out, e, v, row); break;
    case DUCKDB_TYPE_MAP: enc_json_map(out, e, v, row); break;
    case DUCKDB_TYPE_UNION: {
        const eng__enc_t *me;
        duckdb_vector mv = enc_union_member(e, v, row, &me);
        if (enc_valid(mv, row))
            enc_text(out, me, mv, row);
        break;
    }
    default:
        /* unreachable: eng_prepare casts opaque columns to VARCHAR or refuses the statement */
        break;
    }
}

static int enc_array_bin(ubuf_t *out, const eng__enc_t *e, duckdb_vector v, idx_t row);

/* PostgreSQL's binary date is int32 days and its timestamp int64 microseconds, both since
 * 2000-01-01, with the extreme values meaning -infinity/infinity; DuckDB's oldest dates and
 * timestamps lie beyond that (they print fine as text). */
static bool enc_date_fits(int32_t days)
{
    return days == INT32_MAX || days == -INT32_MAX || days == INT32_MIN ||
           (int64_t)days - 10957 > INT32_MIN;
}

static bool enc_timestamp_fits(int64_t micros)
{
    return micros == INT64_MAX || micros == -INT64_MAX || micros == INT64_MIN ||
           micros > INT64_MIN + INT64_C(946684800000000);
}

#define ENC_BIN_TEXT 0   /* the binary form is the text */
#define ENC_BIN_DONE 1   /* written */
#define ENC_BIN_RANGE -1 /* beyond PostgreSQL's binary format; nothing written */

static int enc_bin(ubuf_t *out, const eng__enc_t *e, duckdb_vector v, idx_t row)
{
    const void *d = duckdb_vector_get_data(v);
    switch (e->type) {
    case DUCKDB_TYPE_BOOLEAN: pgt_bin_bool(out, ((const bool *)d)[row]); return ENC_BIN_DONE;
    case DUCKDB_TYPE_TINYINT: pgt_bin_int2(out, ((const int8_t *)d)[row]); return ENC_BIN_DONE;
    case DUCKDB_TYPE_SMALLINT: pgt_bin_int2(out, ((const int16_t *)d)[row]); return ENC_BIN_DONE;
    case DUCKDB_TYPE_UTINYINT: pgt_bin_int2(out, ((const uint8_t *)d)[row]); return ENC_BIN_DONE;
    case DUCKDB_TYPE_INTEGER: pgt_bin_int4(out, ((const int32_t *)d)[row]); return ENC_BIN_DONE;
    case DUCKDB_TYPE_USMALLINT: pgt_bin_int4(out, ((const uint16_t *)d)[row]); return ENC_BIN_DONE;
    case DUCKDB_TYPE_BIGINT: pgt_bin_int8(out, ((const int64_t *)d)[row]); return ENC_BIN_DONE;
    case DUCKDB_TYPE_UINTEGER:
        pgt_bin_int4(out, (int32_t)((const uint32_t *)d)[row]);
        return ENC_BIN_DONE;
    case DUCKDB_TYPE_UBIGINT: pgt_bin_u128(out, ((const uint64_t *)d)[row]); return ENC_BIN_DONE;
    case DUCKDB_TYPE_HUGEINT:
        pgt_bin_decimal(out, enc_hugeint((const duckdb_hugeint *)d + row), 0);
        return ENC_BIN_DONE;
    case DUCKDB_TYPE_UHUGEINT: {
        const duckdb_uhugeint *u = (const duckdb_uhugeint *)d + row;
        pgt_bin_u128(out, ((pgt_u128)u->upper << 64) | u->lower);
        return ENC_BIN_DONE;
    }
    case DUCKDB_TYPE_BIGNUM: return enc_bignum_bin(out, v, row) ? ENC_BIN_DONE : ENC_BIN_RANGE;
    case DUCKDB_TYPE_FLOAT: pgt_bin_float4(out, ((const float *)d)[row]); return ENC_BIN_DONE;
    case DUCKDB_TYPE_DOUBLE: pgt_bin_float8(out, ((const double *)d)[row]); return ENC_BIN_DONE;
    case DUCKDB_TYPE_DECIMAL:
        pgt_bin_decimal(out, enc_decimal_value(e, d, row), e->dec_scale);
        return ENC_BIN_DONE;
    case DUCKDB_TYPE_BLOB: {
        uint32_t n;
        const char *s = enc_string(v, row, &n);
        ubuf_append(out, s, n);
        return ENC_BIN_DONE;
    }
    case DUCKDB_TYPE_DATE:
        if (!enc_date_fits(((const int32_t *)d)[row]))
            return ENC_BIN_RANGE;
        pgt_bin_date(out, ((const int32_t *)d)[row]);
        return ENC_BIN_DONE;
    case DUCKDB_TYPE_TIME: pgt_bin_time(out, ((const int64_t *)d)[row]); return ENC_BIN_DONE;
    case DUCKDB_TYPE_TIME_TZ: {
        duckdb_time_tz_struct tz = duckdb_from_time_tz(((const duckdb_time_tz *)d)[row]);
        int64_t us = ((int64_t)tz.time.hour * 3600 + tz.time.min * 60 + tz.time.sec) * 1000000 +
                     tz.time.micros;
        pgt_bin_timetz(out, us, tz.offset);
        return ENC_BIN_DONE;
    }
    case DUCKDB_TYPE_BIT: {
        ubuf_t bits = UBUF_INIT;
        uint32_t n;
        const char *s = enc_string(v, row, &n);
        enc_bit_text(&bits, s, n);
        pgt_bin_varbit(out, bits.data, bits.len);
        ubuf_free(&bits);
        return ENC_BIN_DONE;
    }
    case DUCKDB_TYPE_TIMESTAMP:
    case DUCKDB_TYPE_TIMESTAMP_S:
    case DUCKDB_TYPE_TIMESTAMP_MS:
    case DUCKDB_TYPE_TIMESTAMP_TZ: {
        int64_t us = enc_timestamp_micros(e->type, ((const int64_t *)d)[row]);
        if (!enc_timestamp_fits(us))
            return ENC_BIN_RANGE;
        pgt_bin_timestamp(out, us);
        return ENC_BIN_DONE;
    }
    case DUCKDB_TYPE_INTERVAL: {
        const duckdb_interval *iv = (const duckdb_interval *)d + row;
        pgt_bin_interval(out, iv->months, iv->days, iv->micros);
        return ENC_BIN_DONE;
    }
    case DUCKDB_TYPE_UUID: {
        uint8_t b[16];
        enc_uuid_bytes((const duckdb_hugeint *)d + row, b);
        pgt_bin_uuid(out, b);
        return ENC_BIN_DONE;
    }
    case DUCKDB_TYPE_LIST:
    case DUCKDB_TYPE_ARRAY:
        if (!e->elem_oid)
            return ENC_BIN_TEXT;
        return enc_array_bin(out, e, v, row);
    case DUCKDB_TYPE_VARCHAR:
        if (e->oid == PGT_JSONB)
            ubuf_putc(out, 1); /* jsonb's binary form: a version byte, then the text */
        return ENC_BIN_TEXT;
    default: return ENC_BIN_TEXT; /* text-like OIDs: the binary form is the text */
    }
}

static int enc_array_bin(ubuf_t *out, const eng__enc_t *e, duckdb_vector v, idx_t row)
{
    idx_t first, count;
    duckdb_vector child = enc_list_range(e, v, row, &first, &count);
    bool hasnull = false;
    for (idx_t i = 0; i < count && !hasnull; i++)
        hasnull = !enc_valid(child, first + i);
    ubuf_put_u32be(out, count ? 1 : 0);
    ubuf_put_u32be(out, hasnull);
    ubuf_put_u32be(out, e->elem_oid);
    if (count) {
        ubuf_put_u32be(out, (uint32_t)count);
        ubuf_put_u32be(out, 1);
    }
    for (idx_t i = 0; i < count; i++) {
        if (!enc_valid(child, first + i)) {
            ubuf_put_u32be(out, UINT32_MAX);
            continue;
        }
        size_t off = out->len;
        ubuf_put_u32be(out, 0);
        if (eng__encode(out, &e->children[0], child, first + i, 1) != 0)
            return ENC_BIN_RANGE;
        ubuf_patch_u32be(out, off, (uint32_t)(out->len - off - 4));
    }
    return ENC_BIN_DONE;
}

/* ---- CSV ---- */

/* True when the CSV field p[0..n) must be quoted: empty (an unquoted empty field is NULL),
 * edge spaces, or a delimiter, quote or line break inside. */
static bool enc_csv_needs_quotes(const char *p, size_t n)
{
    if (n == 0 || p[0] == ' ' || p[n - 1] == ' ')
        return true;
    for (size_t i = 0; i < n; i++)
        if (p[i] == ',' || p[i] == '"' || p[i] == '\n' || p[i] == '\r')
            return true;
    return false;
}

/* One RFC 4180 field: the value's text (nested values as JSON, booleans true/false). */
static void enc_csv(ubuf_t *out, const eng__enc_t *e, duckdb_vector v, idx_t row)
{
    size_t start = out->len;
    switch (e->type) {
    case DUCKDB_TYPE_BOOLEAN:
        ubuf_puts(out, ((const bool *)duckdb_vector_get_data(v))[row] ? "true" : "false");
        return;
    case DUCKDB_TYPE_STRUCT:
    case DUCKDB_TYPE_MAP:
    case DUCKDB_TYPE_LIST:
    case DUCKDB_TYPE_ARRAY:
    case DUCKDB_TYPE_UNION: enc_json(out, e, v, row); break;
    default: enc_text(out, e, v, row); break;
    }
    size_t n = out->len - start;
    if (!enc_csv_needs_quotes(out->data ? out->data + start : "", n))
        return;
    ubuf_t q = UBUF_INIT;
    ubuf_putc(&q, '"');
    for (size_t i = 0; i < n; i++) {
        char c = out->data[start + i];
        if (c == '"')
            ubuf_putc(&q, '"');
        ubuf_putc(&q, c);
    }
    ubuf_putc(&q, '"');
    out->len = start;
    ubuf_append(out, q.data, q.len);
    ubuf_free(&q);
}

int eng__encode(ubuf_t *out, const eng__enc_t *e, duckdb_vector v, idx_t row, int format)
{
    int r = ENC_BIN_TEXT;
    switch (format) {
    case ENG_FMT_BINARY: r = enc_bin(out, e, v, row); break;
    case ENG_FMT_JSON: enc_json(out, e, v, row); return 0;
    case ENG_FMT_CSV: enc_csv(out, e, v, row); return 0;
    default: break;
    }
    if (r == ENC_BIN_TEXT)
        enc_text(out, e, v, row);
    return r == ENC_BIN_RANGE ? -1 : 0;
}
