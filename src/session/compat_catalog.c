/* The PostgreSQL dialect layer's constraint and index catalogs (see compat_catalog.h): the
 * SQL that describes the primary keys, unique constraints, foreign keys, CHECK constraints
 * and indexes of DuckDB's tables as PostgreSQL's pg_constraint, pg_index and pg_class rows,
 * and as pg_get_constraintdef() / pg_get_indexdef() text. Pure text building: the SQL reads
 * DuckDB's duckdb_constraints(), duckdb_indexes(), duckdb_columns() and duckdb_tables() when
 * it runs. */
#include "session/compat_catalog.h"

/* Synthetic OIDs. PostgreSQL gives every constraint and every index its own OID; DuckDB has
 * OIDs only for the indexes of CREATE INDEX. A constraint's OID is derived from its table's
 * OID and its rank among the table's constraints (stable while the table is unchanged), above
 * 2^31 so that it never meets an OID of DuckDB's own catalog; the index that implements a
 * primary key or unique constraint is the next number. */
#define CC_OID_BASE "2147483648"

/* A list of column names as PostgreSQL prints them in definitions: quoted unless plain. */
#define CC_QUOTE_LIST(list)                                                                        \
    "list_transform(" list ", cc_n -> CASE WHEN regexp_full_match(cc_n, '[a-z_][a-z0-9_$]*') "     \
    "THEN cc_n ELSE '\"' || replace(cc_n, '\"', '\"\"') || '\"' END)"

/* Each table's column names in attnum order (column_index is 1-based). */
#define CC_TABLE_COLUMNS                                                                           \
    "(SELECT table_oid AS cc_toid, list(column_name ORDER BY column_index) AS cc_cols "            \
    "FROM duckdb_columns() GROUP BY table_oid)"

void compat__catalog_constraints(ubuf_t *b)
{
    ubuf_puts(
        b,
        "SELECT k.*, "
        "CASE k.cc_type WHEN 'PRIMARY KEY' THEN k.table_name || '_pkey' "
        "WHEN 'FOREIGN KEY' THEN k.table_name || '_' || array_to_string(k.cc_cols, '_') || "
        "'_fkey' ELSE k.constraint_name END AS cc_name, "
        "(" CC_OID_BASE " + (k.table_oid % 16000000) * 128 + 2 * k.cc_rank)::BIGINT AS cc_oid, "
        "CASE k.cc_type WHEN 'PRIMARY KEY' THEN 'p' WHEN 'UNIQUE' THEN 'u' "
        "WHEN 'FOREIGN KEY' THEN 'f' ELSE 'c' END AS cc_contype, "
        "CASE WHEN k.cc_type = 'PRIMARY KEY' THEN 'PRIMARY KEY (' || "
        "array_to_string(k.cc_qcols, ', ') || ')' WHEN k.cc_type = 'UNIQUE' THEN 'UNIQUE (' || "
        "array_to_string(k.cc_qcols, ', ') || ')' WHEN k.cc_type = 'FOREIGN KEY' THEN "
        "'FOREIGN KEY (' || array_to_string(k.cc_qcols, ', ') || "
        "') REFERENCES ' || k.referenced_table || '(' || "
        "array_to_string(" CC_QUOTE_LIST(
            "k.referenced_column_names") ", ', ') || ')' "
                                         "WHEN k.expression LIKE '(%)' THEN 'CHECK ' || "
                                         "k.expression "
                                         "ELSE 'CHECK (' || k.expression || ')' END AS cc_def "
                                         "FROM (SELECT d.database_name, d.schema_name, "
                                         "d.schema_oid, d.table_name, d.table_oid, "
                                         "d.constraint_type AS cc_type, d.constraint_column_names "
                                         "AS cc_cols, " CC_QUOTE_LIST(
                                             "d.constraint_column_names") " AS cc_qcols, "
                                                                          "list_transform(d."
                                                                          "constraint_column_"
                                                                          "indexes, x -> (x + "
                                                                          "1)::SMALLINT) AS "
                                                                          "cc_keys, "
                                                                          "d.expression, "
                                                                          "d.constraint_name, "
                                                                          "d.referenced_table, "
                                                                          "d.referenced_column_"
                                                                          "names, "
                                                                          "COALESCE(r.table_oid, "
                                                                          "0) AS cc_reftable, "
                                                                          "list_transform(d."
                                                                          "referenced_column_names,"
                                                                          " "
                                                                          "x -> "
                                                                          "list_position(rc.cc_"
                                                                          "cols, x)::SMALLINT) AS "
                                                                          "cc_refkeys, "
                                                                          "row_number() OVER "
                                                                          "(PARTITION BY "
                                                                          "d.table_oid ORDER BY "
                                                                          "d.constraint_index) AS "
                                                                          "cc_rank "
                                                                          "FROM "
                                                                          "duckdb_constraints() d "
                                                                          "LEFT JOIN "
                                                                          "duckdb_tables() r ON "
                                                                          "d.constraint_type = "
                                                                          "'FOREIGN KEY' AND "
                                                                          "r.database_name = "
                                                                          "d.database_name AND "
                                                                          "r.schema_name = "
                                                                          "d.schema_name AND "
                                                                          "r.table_name = "
                                                                          "d.referenced_table "
                                                                          "LEFT "
                                                                          "JOIN " CC_TABLE_COLUMNS
                                                                          " rc ON rc.cc_toid = "
                                                                          "r.table_oid "
                                                                          "WHERE d.constraint_type "
                                                                          "IN ('PRIMARY KEY', "
                                                                          "'UNIQUE', 'FOREIGN "
                                                                          "KEY', 'CHECK')) k");
}

void compat__catalog_indexes(ubuf_t *b)
{
    ubuf_puts(b, "SELECT c.cc_oid + 1 AS cc_oid, c.cc_name AS cc_name, c.table_oid, c.table_name, "
                 "c.schema_name, c.schema_oid, true AS cc_unique, "
                 "c.cc_type = 'PRIMARY KEY' AS cc_primary, c.cc_keys, c.cc_qcols AS cc_defs, "
                 "NULL::VARCHAR AS cc_exprs, c.cc_oid AS cc_conoid FROM (");
    compat__catalog_constraints(b);
    ubuf_puts(
        b,
        ") c WHERE c.cc_type IN ('PRIMARY KEY', 'UNIQUE') UNION ALL "
        "SELECT i.index_oid, i.index_name, i.table_oid, i.table_name, i.schema_name, "
        "i.schema_oid, i.is_unique, i.is_primary, "
        "list_transform(i.cc_e, x -> COALESCE(list_position(i.cc_cols, x), 0)::SMALLINT), "
        "list_transform(i.cc_e, x -> CASE WHEN list_position(i.cc_cols, x) > 0 THEN "
        "(" CC_QUOTE_LIST(
            "[x]") ")[1] WHEN regexp_full_match(x, "
                   "'\\([A-Za-z_][A-Za-z0-9_.]*\\(.*\\)\\)') THEN x[2:-2] ELSE x END), "
                   "CASE WHEN list_bool_or(list_transform(i.cc_e, x -> "
                   "COALESCE(list_position(i.cc_cols, "
                   "x), 0) = 0)) THEN array_to_string(i.cc_e, ', ') END, 0::BIGINT "
                   "FROM (SELECT di.*, TRY_CAST(di.expressions AS VARCHAR[]) AS cc_e, tc.cc_cols "
                   "FROM duckdb_indexes() di LEFT JOIN " CC_TABLE_COLUMNS
                   " tc ON tc.cc_toid = di.table_oid) i");
}

void compat__catalog_pg_constraint(ubuf_t *b)
{
    ubuf_puts(b, "SELECT cc_oid AS oid, cc_name AS conname, schema_oid AS connamespace, "
                 "cc_contype AS contype, false AS condeferrable, false AS condeferred, "
                 "true AS convalidated, table_oid AS conrelid, 0::UINTEGER AS contypid, "
                 "CASE WHEN cc_contype IN ('p', 'u') THEN cc_oid + 1 "
                 "ELSE COALESCE(cc_refindex, 0) END AS conindid, "
                 "0::UINTEGER AS conparentid, cc_reftable AS confrelid, 'a' AS confupdtype, "
                 "'a' AS confdeltype, 's' AS confmatchtype, true AS conislocal, "
                 "0 AS coninhcount, false AS connoinherit, cc_keys AS conkey, "
                 "CASE WHEN cc_contype = 'f' THEN cc_refkeys END AS confkey, "
                 "NULL::UINTEGER[] AS conpfeqop, NULL::UINTEGER[] AS conppeqop, "
                 "NULL::UINTEGER[] AS conffeqop, NULL::UINTEGER[] AS conexclop, "
                 "expression AS conbin FROM (SELECT cc_k.*, (SELECT min(cc_r.cc_oid) + 1 FROM (");
    compat__catalog_constraints(b);
    /* a foreign key's index is the referenced table's key over the referenced columns */
    ubuf_puts(b, ") cc_r WHERE cc_r.table_oid = cc_k.cc_reftable AND cc_r.cc_contype IN ('p', "
                 "'u') AND cc_r.cc_cols = cc_k.referenced_column_names) AS cc_refindex FROM (");
    compat__catalog_constraints(b);
    ubuf_puts(b, ") cc_k) cc_c");
}

void compat__catalog_pg_index(ubuf_t *b)
{
    ubuf_puts(b, "SELECT cc_oid AS indexrelid, table_oid AS indrelid, "
                 "len(cc_keys)::SMALLINT AS indnatts, len(cc_keys)::SMALLINT AS indnkeyatts, "
                 "cc_unique AS indisunique, cc_primary AS indisprimary, "
                 "false AS indisexclusion, true AS indimmediate, false AS indisclustered, "
                 "true AS indisvalid, false AS indcheckxmin, true AS indisready, "
                 "true AS indislive, false AS indisreplident, false AS indnullsnotdistinct, "
                 "cc_keys AS indkey, "
                 "list_transform(cc_keys, x -> 0::UINTEGER) AS indcollation, "
                 "list_transform(cc_keys, x -> 0::UINTEGER) AS indclass, "
                 "list_transform(cc_keys, x -> 0::SMALLINT) AS indoption, "
                 "cc_exprs AS indexprs, NULL::VARCHAR AS indpred FROM (");
    compat__catalog_indexes(b);
    ubuf_puts(b, ") cc_i");
}

void compat__catalog_pg_class(ubuf_t *b)
{
    ubuf_puts(b, "SELECT * REPLACE (10::UINTEGER AS relowner, 'd' AS relreplident, "
                 "NULL::VARCHAR[] AS reloptions, NULL::VARCHAR[] AS relacl, "
                 "CASE relkind WHEN 'r' THEN 2 WHEN 'i' THEN " COMPAT_INDEX_AM_OID " ELSE 0 END "
                 "AS relam, oid IN (SELECT unnest([table_oid, cc_reftable]) FROM (");
    compat__catalog_constraints(b);
    ubuf_puts(b, ") cc_f WHERE cc_contype = 'f') AS relhastriggers), "
                 "false AS relforcerowsecurity FROM pg_catalog.pg_class UNION ALL BY NAME "
                 "SELECT cc_oid + 1 AS oid, cc_name AS relname, schema_oid AS relnamespace, "
                 "0 AS reltype, 0 AS reloftype, 10::UINTEGER AS relowner, " COMPAT_INDEX_AM_OID
                 " AS relam, "
                 "0 AS relfilenode, 0 AS reltablespace, 0 AS relpages, 0::FLOAT AS reltuples, "
                 "0 AS relallvisible, 0 AS reltoastrelid, 0 AS reltoastidxid, "
                 "false AS relhasindex, false AS relisshared, 'p' AS relpersistence, "
                 "'i' AS relkind, len(cc_keys)::BIGINT AS relnatts, 0::BIGINT AS relchecks, "
                 "false AS relhasoids, false AS relhaspkey, false AS relhasrules, "
                 "false AS relhastriggers, false AS relhassubclass, false AS relrowsecurity, "
                 "true AS relispopulated, 'n' AS relreplident, false AS relispartition, "
                 "0 AS relrewrite, 0 AS relfrozenxid, NULL::VARCHAR[] AS reloptions, "
                 "NULL::VARCHAR[] AS relacl, false AS relforcerowsecurity FROM (");
    compat__catalog_constraints(b);
    ubuf_puts(b, ") cc_k WHERE cc_contype IN ('p', 'u')");
}

void compat__catalog_constraintdef(ubuf_t *b, const char *oid)
{
    ubuf_puts(b, "(SELECT cc_def FROM (");
    compat__catalog_constraints(b);
    ubuf_printf(b, ") cc_k WHERE cc_oid = (%s))", oid);
}

void compat__catalog_indexdef(ubuf_t *b, const char *oid, const char *column)
{
    ubuf_printf(b,
                "(SELECT CASE WHEN COALESCE((%s), 0) = 0 THEN 'CREATE ' || CASE WHEN cc_unique "
                "THEN 'UNIQUE ' ELSE '' END || 'INDEX ' || cc_name || ' ON ' || schema_name || "
                "'.' || table_name || ' USING btree (' || array_to_string(cc_defs, ', ') || ')' "
                "ELSE cc_defs[(%s)] END FROM (",
                column, column);
    compat__catalog_indexes(b);
    ubuf_printf(b, ") cc_i WHERE cc_oid = (%s))", oid);
}

void compat__catalog_index_attributes(ubuf_t *b, const char *table_attributes)
{
    ubuf_printf(
        b, "SELECT x.cc_oid AS attrelid, COALESCE(ta.attname, nullif(regexp_extract(x.cc_def, "
           "'^([A-Za-z_][A-Za-z0-9_]*)[(]', 1), ''), 'expr') AS attname, "
           "COALESCE(ta.atttypid, 25)::UINTEGER AS atttypid, x.cc_ord::SMALLINT AS attnum, "
           "COALESCE(ta.atttypmod, -1) AS atttypmod, -1::SMALLINT AS attlen, "
           "0 AS attndims, COALESCE(ta.attstorage, 'p') AS attstorage, "
           "false AS attnotnull, false AS atthasdef, '' AS attidentity, "
           "'' AS attgenerated, false AS attisdropped, 0::UINTEGER AS attcollation "
           "FROM (SELECT cc_oid, table_oid, unnest(cc_keys) AS cc_key, unnest(cc_defs) AS cc_def, "
           "unnest(generate_series(1, len(cc_keys))) AS cc_ord FROM (");
    compat__catalog_indexes(b);
    ubuf_printf(b,
                ") cc_i) x LEFT JOIN %s ta ON ta.attrelid = x.table_oid AND "
                "ta.attnum = x.cc_key",
                table_attributes);
}

/* pg_attrdef: one row per column default. DuckDB numbers its rows per table; PostgreSQL
 * gives each default its own OID, which pg_depend rows point to. */
#define CC_ATTRDEF                                                                                 \
    "SELECT table_oid * 100000 + column_index AS oid, table_oid AS adrelid, "                      \
    "column_index::SMALLINT AS adnum, column_default AS adbin FROM duckdb_columns() "              \
    "WHERE column_default IS NOT NULL"

void compat__catalog_pg_attrdef(ubuf_t *b) { ubuf_puts(b, CC_ATTRDEF); }

void compat__catalog_pg_depend(ubuf_t *b)
{
    ubuf_puts(b, "SELECT * FROM pg_catalog.pg_depend UNION ALL BY NAME "
                 "SELECT (SELECT min(oid) FROM pg_catalog.pg_class WHERE relname = 'pg_attrdef') "
                 "AS classid, ad.oid AS objid, 0 AS objsubid, "
                 "(SELECT min(oid) FROM pg_catalog.pg_class WHERE relname = 'pg_class') "
                 "AS refclassid, s.sequence_oid AS refobjid, 0 AS refobjsubid, 'n' AS deptype "
                 "FROM (" CC_ATTRDEF ") ad JOIN duckdb_sequences() s ON s.sequence_name = "
                 "regexp_extract(ad.adbin, 'nextval[(]''(?:[^''.]*[.])?([^''.]*)''', 1)");
}
