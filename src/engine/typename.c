/* typename: DuckDB's spelling of a result column's type ("INTEGER", "DECIMAL(18,3)",
 * "VARCHAR[]", "STRUCT(a INTEGER, b VARCHAR)") and the JSON type its values take in the JSON
 * encoding, for front-ends that describe columns in DuckDB's terms (the HTTP API). The C API
 * has no type-to-string call, so the names are built here from the logical type. */
#include <stdio.h>
#include <string.h>

#include "engine/engine_internal.h"
#include "types/pgtypes.h"
#include "util/buf.h"
#include "util/xalloc.h"

static const char *tn_scalar(duckdb_type t)
{
    switch (t) {
    case DUCKDB_TYPE_BOOLEAN: return "BOOLEAN";
    case DUCKDB_TYPE_TINYINT: return "TINYINT";
    case DUCKDB_TYPE_SMALLINT: return "SMALLINT";
    case DUCKDB_TYPE_INTEGER: return "INTEGER";
    case DUCKDB_TYPE_BIGINT: return "BIGINT";
    case DUCKDB_TYPE_UTINYINT: return "UTINYINT";
    case DUCKDB_TYPE_USMALLINT: return "USMALLINT";
    case DUCKDB_TYPE_UINTEGER: return "UINTEGER";
    case DUCKDB_TYPE_UBIGINT: return "UBIGINT";
    case DUCKDB_TYPE_FLOAT: return "FLOAT";
    case DUCKDB_TYPE_DOUBLE: return "DOUBLE";
    case DUCKDB_TYPE_TIMESTAMP: return "TIMESTAMP";
    case DUCKDB_TYPE_DATE: return "DATE";
    case DUCKDB_TYPE_TIME: return "TIME";
    case DUCKDB_TYPE_INTERVAL: return "INTERVAL";
    case DUCKDB_TYPE_HUGEINT: return "HUGEINT";
    case DUCKDB_TYPE_UHUGEINT: return "UHUGEINT";
    case DUCKDB_TYPE_VARCHAR: return "VARCHAR";
    case DUCKDB_TYPE_BLOB: return "BLOB";
    case DUCKDB_TYPE_TIMESTAMP_S: return "TIMESTAMP_S";
    case DUCKDB_TYPE_TIMESTAMP_MS: return "TIMESTAMP_MS";
    case DUCKDB_TYPE_TIMESTAMP_NS: return "TIMESTAMP_NS";
    case DUCKDB_TYPE_ENUM: return "ENUM";
    case DUCKDB_TYPE_UUID: return "UUID";
    case DUCKDB_TYPE_BIT: return "BIT";
    case DUCKDB_TYPE_TIME_TZ: return "TIME WITH TIME ZONE";
    case DUCKDB_TYPE_TIMESTAMP_TZ: return "TIMESTAMP WITH TIME ZONE";
    case DUCKDB_TYPE_BIGNUM: return "BIGNUM";
    case DUCKDB_TYPE_SQLNULL: return "NULL";
    case DUCKDB_TYPE_TIME_NS: return "TIME_NS";
    default: return "VARCHAR"; /* opaque types reach clients as text (eng_prepare) */
    }
}

static void tn_put(ubuf_t *b, duckdb_logical_type lt)
{
    duckdb_type t = duckdb_get_type_id(lt);
    char *alias = duckdb_logical_type_get_alias(lt);
    if (alias) {
        ubuf_puts(b, alias);
        duckdb_free(alias);
        return;
    }
    switch (t) {
    case DUCKDB_TYPE_DECIMAL:
        ubuf_printf(b, "DECIMAL(%u,%u)", (unsigned)duckdb_decimal_width(lt),
                    (unsigned)duckdb_decimal_scale(lt));
        return;
    case DUCKDB_TYPE_LIST:
    case DUCKDB_TYPE_ARRAY: {
        duckdb_logical_type c = t == DUCKDB_TYPE_LIST ? duckdb_list_type_child_type(lt)
                                                      : duckdb_array_type_child_type(lt);
        tn_put(b, c);
        duckdb_destroy_logical_type(&c);
        if (t == DUCKDB_TYPE_LIST)
            ubuf_puts(b, "[]");
        else
            ubuf_printf(b, "[%llu]", (unsigned long long)duckdb_array_type_array_size(lt));
        return;
    }
    case DUCKDB_TYPE_MAP: {
        duckdb_logical_type k = duckdb_map_type_key_type(lt), v = duckdb_map_type_value_type(lt);
        ubuf_puts(b, "MAP(");
        tn_put(b, k);
        ubuf_puts(b, ", ");
        tn_put(b, v);
        ubuf_putc(b, ')');
        duckdb_destroy_logical_type(&k);
        duckdb_destroy_logical_type(&v);
        return;
    }
    case DUCKDB_TYPE_STRUCT:
    case DUCKDB_TYPE_UNION: {
        bool is_struct = t == DUCKDB_TYPE_STRUCT;
        idx_t n =
            is_struct ? duckdb_struct_type_child_count(lt) : duckdb_union_type_member_count(lt);
        ubuf_puts(b, is_struct ? "STRUCT(" : "UNION(");
        for (idx_t i = 0; i < n; i++) {
            char *name = is_struct ? duckdb_struct_type_child_name(lt, i)
                                   : duckdb_union_type_member_name(lt, i);
            duckdb_logical_type c = is_struct ? duckdb_struct_type_child_type(lt, i)
                                              : duckdb_union_type_member_type(lt, i);
            if (i)
                ubuf_puts(b, ", ");
            ubuf_printf(b, "\"%s\" ", name ? name : "");
            tn_put(b, c);
            duckdb_free(name);
            duckdb_destroy_logical_type(&c);
        }
        ubuf_putc(b, ')');
        return;
    }
    default: ubuf_puts(b, tn_scalar(t)); return;
    }
}

char *eng__type_name(duckdb_logical_type lt)
{
    ubuf_t b = UBUF_INIT;
    tn_put(&b, lt);
    char *name = xstrdup(ubuf_cstr(&b));
    ubuf_free(&b);
    return name;
}

const char *eng__json_type(const eng__enc_t *e)
{
    if ((e->oid == PGT_JSON || e->oid == PGT_JSONB) && e->type == DUCKDB_TYPE_VARCHAR)
        return "json"; /* a JSON value: any of them */
    switch (e->type) {
    case DUCKDB_TYPE_BOOLEAN: return "boolean";
    case DUCKDB_TYPE_STRUCT:
    case DUCKDB_TYPE_MAP: return "object";
    case DUCKDB_TYPE_LIST:
    case DUCKDB_TYPE_ARRAY: return "array";
    case DUCKDB_TYPE_UNION: return "json";
    default: return eng__type_is_number(e->type) ? "number" : "string";
    }
}
