/* The static facts about every PostgreSQL type duckd uses, as pg_type holds them. */
#include <stddef.h>

#include "types/pgtypes.h"

static const pgt_info_t pgt_infos[] = {
    {PGT_BOOL, "bool", 1, PGT_BOOL_ARRAY, 0},
    {PGT_BYTEA, "bytea", -1, PGT_BYTEA_ARRAY, 0},
    {PGT_CHAR, "char", 1, 0, 0},
    {PGT_NAME, "name", 64, 0, 0},
    {PGT_INT8, "int8", 8, PGT_INT8_ARRAY, 0},
    {PGT_INT2, "int2", 2, PGT_INT2_ARRAY, 0},
    {PGT_INT4, "int4", 4, PGT_INT4_ARRAY, 0},
    {PGT_TEXT, "text", -1, PGT_TEXT_ARRAY, 0},
    {PGT_OID, "oid", 4, PGT_OID_ARRAY, 0},
    {PGT_JSON, "json", -1, PGT_JSON_ARRAY, 0},
    {PGT_FLOAT4, "float4", 4, PGT_FLOAT4_ARRAY, 0},
    {PGT_FLOAT8, "float8", 8, PGT_FLOAT8_ARRAY, 0},
    {PGT_UNKNOWN, "unknown", -2, 0, 0},
    {PGT_BPCHAR, "bpchar", -1, 0, 0},
    {PGT_VARCHAR, "varchar", -1, PGT_VARCHAR_ARRAY, 0},
    {PGT_DATE, "date", 4, PGT_DATE_ARRAY, 0},
    {PGT_TIME, "time", 8, PGT_TIME_ARRAY, 0},
    {PGT_TIMESTAMP, "timestamp", 8, PGT_TIMESTAMP_ARRAY, 0},
    {PGT_TIMESTAMPTZ, "timestamptz", 8, PGT_TIMESTAMPTZ_ARRAY, 0},
    {PGT_INTERVAL, "interval", 16, PGT_INTERVAL_ARRAY, 0},
    {PGT_TIMETZ, "timetz", 12, PGT_TIMETZ_ARRAY, 0},
    {PGT_BIT, "bit", -1, 0, 0},
    {PGT_VARBIT, "varbit", -1, 0, 0},
    {PGT_NUMERIC, "numeric", -1, PGT_NUMERIC_ARRAY, 0},
    {PGT_UUID, "uuid", 16, PGT_UUID_ARRAY, 0},
    {PGT_JSONB, "jsonb", -1, PGT_JSONB_ARRAY, 0},
    {PGT_BOOL_ARRAY, "_bool", -1, 0, PGT_BOOL},
    {PGT_BYTEA_ARRAY, "_bytea", -1, 0, PGT_BYTEA},
    {PGT_INT2_ARRAY, "_int2", -1, 0, PGT_INT2},
    {PGT_INT4_ARRAY, "_int4", -1, 0, PGT_INT4},
    {PGT_TEXT_ARRAY, "_text", -1, 0, PGT_TEXT},
    {PGT_VARCHAR_ARRAY, "_varchar", -1, 0, PGT_VARCHAR},
    {PGT_INT8_ARRAY, "_int8", -1, 0, PGT_INT8},
    {PGT_FLOAT4_ARRAY, "_float4", -1, 0, PGT_FLOAT4},
    {PGT_FLOAT8_ARRAY, "_float8", -1, 0, PGT_FLOAT8},
    {PGT_TIMESTAMP_ARRAY, "_timestamp", -1, 0, PGT_TIMESTAMP},
    {PGT_DATE_ARRAY, "_date", -1, 0, PGT_DATE},
    {PGT_TIME_ARRAY, "_time", -1, 0, PGT_TIME},
    {PGT_TIMESTAMPTZ_ARRAY, "_timestamptz", -1, 0, PGT_TIMESTAMPTZ},
    {PGT_INTERVAL_ARRAY, "_interval", -1, 0, PGT_INTERVAL},
    {PGT_NUMERIC_ARRAY, "_numeric", -1, 0, PGT_NUMERIC},
    {PGT_TIMETZ_ARRAY, "_timetz", -1, 0, PGT_TIMETZ},
    {PGT_UUID_ARRAY, "_uuid", -1, 0, PGT_UUID},
    {PGT_JSON_ARRAY, "_json", -1, 0, PGT_JSON},
    {PGT_JSONB_ARRAY, "_jsonb", -1, 0, PGT_JSONB},
    {PGT_OID_ARRAY, "_oid", -1, 0, PGT_OID},
};

const pgt_info_t *pgt_info(uint32_t oid)
{
    for (size_t i = 0; i < sizeof pgt_infos / sizeof pgt_infos[0]; i++)
        if (pgt_infos[i].oid == oid)
            return &pgt_infos[i];
    return NULL;
}
