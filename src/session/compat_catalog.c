/* The PostgreSQL dialect layer's constraint and index catalogs (see compat_catalog.h): the
 * SQL that describes the primary keys, unique constraints, foreign keys, CHECK constraints
 * and indexes of DuckDB's tables as PostgreSQL's pg_constraint, pg_index and pg_class rows,
 * and as pg_get_constraintdef() / pg_get_indexdef() text. Pure text building: the SQL reads
 * DuckDB's duckdb_constraints(), duckdb_indexes(), duckdb_columns() and duckdb_tables() when
 * it runs. */
#include "session/compat_catalog.h"

#include <string.h>
#include <strings.h>

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

/* The identifiers of a list as written ("a", b) -> [a, b]: quoted ones as they are, others
 * folded to lower case, as PostgreSQL resolves them. */
#define CC_IDENTS(x)                                                                               \
    "list_transform(string_split(replace(replace(" x ", '(', ''), ')', ''), ','), cc_s -> "        \
    "CASE WHEN trim(cc_s) LIKE '\"%\"' THEN replace(trim(cc_s)[2:-2], '\"\"', '\"') "              \
    "ELSE lower(trim(cc_s)) END)"

/* The OID of duckd's own schema (which holds the recorded foreign keys), left out of
 * pg_namespace, pg_class and pg_attribute; no row when it does not exist. */
#define CC_DUCKD_SCHEMA                                                                            \
    "SELECT oid FROM duckdb_schemas() WHERE database_name = current_database() AND "               \
    "schema_name = 'duckd'"

/* The keys duckd records instead of DuckDB (duckd.foreign_keys, setting foreign_keys), in the
 * columns of DuckDB's constraints below. */
static void cc_recorded_keys(ubuf_t *b)
{
    ubuf_puts(b, "SELECT t.database_name, t.schema_name, t.schema_oid, t.table_name, t.table_oid, "
                 "'FOREIGN KEY' AS cc_type, f.cc_fcols AS cc_cols, "
                 "list_transform(f.cc_fcols, x -> list_position(tc.cc_cols, x)::SMALLINT) AS "
                 "cc_keys, NULL::VARCHAR AS expression, f.constraint_name, "
                 "f.cc_rname AS referenced_table, "
                 "COALESCE(f.cc_rcols, pk.constraint_column_names) AS referenced_column_names, "
                 "COALESCE(r.table_oid, 0) AS cc_reftable, "
                 "list_transform(COALESCE(f.cc_rcols, pk.constraint_column_names), "
                 "x -> list_position(rc.cc_cols, x)::SMALLINT) AS cc_refkeys, "
                 "40 + row_number() OVER (PARTITION BY t.table_oid ORDER BY f.constraint_name) "
                 "AS cc_rank, true AS cc_recorded, COALESCE(f.rules, '') AS cc_rules "
                 "FROM (SELECT fk.*, " CC_IDENTS("fk.columns") " AS cc_fcols, ");
    /* the referenced table as written: [schema.]name, each maybe quoted */
    ubuf_puts(b, CC_IDENTS("regexp_extract(fk.ref_table, '(\"[^\"]*\"|[^.\"]+)$', 1)"));
    ubuf_puts(b, "[1] AS cc_rname, CASE WHEN contains(fk.ref_table, '.') THEN ");
    ubuf_puts(
        b, CC_IDENTS("regexp_extract(fk.ref_table, '^(\"[^\"]*\"|[^.\"]+)[.]', 1)") "[1] END AS "
                                                                                    "cc_rschema, ");
    ubuf_puts(
        b,
        "CASE WHEN fk.ref_columns IS NOT NULL THEN " CC_IDENTS(
            "fk.ref_columns") " END AS cc_rcols FROM duckd.foreign_keys fk) f "
                              "JOIN duckdb_tables() t ON t.database_name = current_database() AND "
                              "t.schema_name = f.schema_name AND lower(t.table_name) = "
                              "lower(f.table_name) "
                              "LEFT JOIN duckdb_tables() r ON r.database_name = t.database_name "
                              "AND "
                              "r.schema_name = COALESCE(CASE WHEN f.cc_rschema = 'public' THEN "
                              "'main' ELSE "
                              "f.cc_rschema END, t.schema_name) AND lower(r.table_name) = "
                              "lower(f.cc_rname) "
                              "LEFT JOIN " CC_TABLE_COLUMNS " tc ON tc.cc_toid = t.table_oid "
                              "LEFT JOIN " CC_TABLE_COLUMNS " rc ON rc.cc_toid = r.table_oid "
                              "LEFT JOIN (SELECT table_oid, constraint_column_names FROM "
                              "duckdb_constraints() "
                              "WHERE constraint_type = 'PRIMARY KEY') pk ON pk.table_oid = "
                              "r.table_oid");
}

void compat__catalog_constraints(ubuf_t *b, bool recorded)
{
    ubuf_puts(b,
              "SELECT k.*, CASE WHEN k.cc_recorded THEN k.constraint_name "
              "WHEN k.cc_type = 'PRIMARY KEY' THEN k.table_name || '_pkey' "
              "WHEN k.cc_type = 'FOREIGN KEY' THEN k.table_name || '_' || "
              "array_to_string(k.cc_cols, '_') || '_fkey' ELSE k.constraint_name END AS cc_name, "
              "(" CC_OID_BASE " + (k.table_oid % 16000000) * 128 + 2 * k.cc_rank)::BIGINT "
              "AS cc_oid, CASE k.cc_type WHEN 'PRIMARY KEY' THEN 'p' WHEN 'UNIQUE' THEN 'u' "
              "WHEN 'FOREIGN KEY' THEN 'f' ELSE 'c' END AS cc_contype, ");
    ubuf_puts(b, "CASE WHEN k.cc_type = 'PRIMARY KEY' THEN 'PRIMARY KEY (' || "
                 "array_to_string(k.cc_qcols, ', ') || ')' WHEN k.cc_type = 'UNIQUE' THEN "
                 "'UNIQUE (' || array_to_string(k.cc_qcols, ', ') || ')' "
                 "WHEN k.cc_type = 'FOREIGN KEY' THEN 'FOREIGN KEY (' || "
                 "array_to_string(k.cc_qcols, ', ') || ') REFERENCES ' || ");
    ubuf_puts(b, "(" CC_QUOTE_LIST("[k.referenced_table]") ")[1] || '(' || array_to_string(");
    ubuf_puts(
        b, CC_QUOTE_LIST(
               "k.referenced_column_names") ", ', ') || ')' || CASE WHEN "
                                            "k.cc_rules <> '' THEN ' ' || k.cc_rules ELSE '' END "
                                            "WHEN k.expression LIKE '(%)' THEN 'CHECK ' || "
                                            "k.expression "
                                            "ELSE 'CHECK (' || k.expression || ')' END AS cc_def "
                                            "FROM (SELECT u.*, ");
    ubuf_puts(b, CC_QUOTE_LIST("u.cc_cols") " AS cc_qcols FROM (");
    ubuf_puts(b, "SELECT d.database_name, d.schema_name, d.schema_oid, d.table_name, "
                 "d.table_oid, d.constraint_type AS cc_type, d.constraint_column_names AS cc_cols, "
                 "list_transform(d.constraint_column_indexes, x -> (x + 1)::SMALLINT) AS cc_keys, "
                 "d.expression, d.constraint_name, d.referenced_table, "
                 "d.referenced_column_names, COALESCE(r.table_oid, 0) AS cc_reftable, "
                 "list_transform(d.referenced_column_names, "
                 "x -> list_position(rc.cc_cols, x)::SMALLINT) AS cc_refkeys, "
                 "row_number() OVER (PARTITION BY d.table_oid ORDER BY d.constraint_index) "
                 "AS cc_rank, false AS cc_recorded, '' AS cc_rules "
                 "FROM duckdb_constraints() d LEFT JOIN duckdb_tables() r ON "
                 "d.constraint_type = 'FOREIGN KEY' AND r.database_name = d.database_name AND "
                 "r.schema_name = d.schema_name AND r.table_name = d.referenced_table "
                 "LEFT JOIN " CC_TABLE_COLUMNS " rc ON rc.cc_toid = r.table_oid "
                 "WHERE d.constraint_type IN ('PRIMARY KEY', 'UNIQUE', 'FOREIGN KEY', 'CHECK')");
    if (recorded) {
        ubuf_puts(b, " UNION ALL ");
        cc_recorded_keys(b);
    }
    ubuf_puts(b, ") u) k");
}

/* Columns of information_schema views that name a recorded key and its table. */
#define CC_RK_NAMES                                                                                \
    "rk.database_name AS constraint_catalog, rk.schema_name AS constraint_schema, "                \
    "rk.constraint_name, rk.database_name AS table_catalog, rk.schema_name AS table_schema, "
#define CC_RK_RULE(what)                                                                           \
    "COALESCE(NULLIF(regexp_extract(upper(rk.cc_rules), 'ON " what                                 \
    " (CASCADE|SET NULL|SET DEFAULT|RESTRICT|NO ACTION)', 1), ''), 'NO ACTION')"

bool compat__catalog_recorded_view(ubuf_t *b, const char *view)
{
    if (strcasecmp(view, "table_constraints") == 0) {
        ubuf_puts(b, "SELECT " CC_RK_NAMES "rk.table_name, 'FOREIGN KEY' AS constraint_type, "
                     "CASE WHEN upper(rk.cc_rules) LIKE '%DEFERRABLE%' AND upper(rk.cc_rules) "
                     "NOT LIKE '%NOT DEFERRABLE%' THEN 'YES' ELSE 'NO' END AS is_deferrable, "
                     "CASE WHEN upper(rk.cc_rules) LIKE '%INITIALLY DEFERRED%' THEN 'YES' "
                     "ELSE 'NO' END AS initially_deferred, 'NO' AS enforced");
    } else if (strcasecmp(view, "key_column_usage") == 0) {
        ubuf_puts(b, "SELECT " CC_RK_NAMES "rk.table_name, unnest(rk.cc_cols) AS column_name, "
                     "unnest(range(1, len(rk.cc_cols) + 1)) AS ordinal_position, "
                     "unnest(range(1, len(rk.cc_cols) + 1)) AS position_in_unique_constraint");
    } else if (strcasecmp(view, "constraint_column_usage") == 0) {
        /* PostgreSQL's rows of a foreign key: the referenced columns (DuckDB lists the
         * referencing ones for its own keys) */
        ubuf_puts(b, "SELECT " CC_RK_NAMES "rk.referenced_table AS table_name, "
                     "unnest(rk.referenced_column_names) AS column_name, "
                     "'FOREIGN KEY' AS constraint_type");
    } else if (strcasecmp(view, "referential_constraints") == 0) {
        ubuf_puts(b, "SELECT rk.database_name AS constraint_catalog, rk.schema_name AS "
                     "constraint_schema, rk.constraint_name, rk.database_name AS "
                     "unique_constraint_catalog, rk.schema_name AS unique_constraint_schema, "
                     "(SELECT d.constraint_name FROM duckdb_constraints() d WHERE "
                     "d.table_oid = rk.cc_reftable AND d.constraint_type IN ('PRIMARY KEY', "
                     "'UNIQUE') AND d.constraint_column_names = rk.referenced_column_names "
                     "LIMIT 1) AS unique_constraint_name, 'NONE' AS match_option, " CC_RK_RULE(
                         "UPDATE") " AS update_rule, " CC_RK_RULE("DELETE") " AS delete_rule");
    } else {
        return false;
    }
    ubuf_puts(b, " FROM (");
    cc_recorded_keys(b);
    ubuf_puts(b, ") rk");
    return true;
}

void compat__catalog_indexes(ubuf_t *b)
{
    const bool recorded = false; /* recorded keys have no index */
    ubuf_puts(b, "SELECT c.cc_oid + 1 AS cc_oid, c.cc_name AS cc_name, c.table_oid, c.table_name, "
                 "c.schema_name, c.schema_oid, true AS cc_unique, "
                 "c.cc_type = 'PRIMARY KEY' AS cc_primary, c.cc_keys, c.cc_qcols AS cc_defs, "
                 "NULL::VARCHAR AS cc_exprs, c.cc_oid AS cc_conoid FROM (");
    compat__catalog_constraints(b, recorded);
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
                   "FROM (SELECT di.*, list_transform(TRY_CAST(di.expressions AS VARCHAR[]), x -> "
                   "CASE WHEN regexp_full_match(x, '\"([^\"]|\"\")*\"') THEN "
                   "replace(x[2:-2], '\"\"', '\"') ELSE x END) AS cc_e, tc.cc_cols "
                   "FROM duckdb_indexes() di LEFT JOIN " CC_TABLE_COLUMNS
                   " tc ON tc.cc_toid = di.table_oid) i");
}

/* A foreign key's ON UPDATE / ON DELETE action as pg_constraint's letter (a: no action). */
#define CC_RULE(on)                                                                                \
    "CASE regexp_extract(upper(cc_rules), 'ON\\s+" on "\\s+(CASCADE|SET\\s+NULL|SET\\s+"           \
    "DEFAULT|RESTRICT)', 1) WHEN 'CASCADE' THEN 'c' WHEN 'RESTRICT' THEN 'r' WHEN '' THEN 'a' "    \
    "ELSE CASE WHEN upper(cc_rules) LIKE '%" on "%SET%NULL%' THEN 'n' ELSE 'd' END END"

void compat__catalog_pg_constraint(ubuf_t *b, bool recorded)
{
    ubuf_puts(
        b, "SELECT cc_oid AS oid, cc_name AS conname, schema_oid AS connamespace, "
           "cc_contype AS contype, regexp_matches(upper(cc_rules), '(^|\\s)DEFERRABLE') AND NOT "
           "regexp_matches(upper(cc_rules), 'NOT\\s+DEFERRABLE') AS condeferrable, "
           "regexp_matches(upper(cc_rules), 'INITIALLY\\s+DEFERRED') AS condeferred, "
           "true AS convalidated, table_oid AS conrelid, 0::UINTEGER AS contypid, "
           "CASE WHEN cc_contype IN ('p', 'u') THEN cc_oid + 1 "
           "ELSE COALESCE(cc_refindex, 0) END AS conindid, "
           "0::UINTEGER AS conparentid, cc_reftable AS confrelid, " CC_RULE(
               "UPDATE") " AS confupdtype, " CC_RULE("DELETE") " AS confdeltype, 's' AS "
                                                               "confmatchtype, true AS conislocal, "
                                                               "0 AS coninhcount, false AS "
                                                               "connoinherit, cc_keys AS conkey, "
                                                               "CASE WHEN cc_contype = 'f' THEN "
                                                               "cc_refkeys END AS confkey, "
                                                               "NULL::UINTEGER[] AS conpfeqop, "
                                                               "NULL::UINTEGER[] AS conppeqop, "
                                                               "NULL::UINTEGER[] AS conffeqop, "
                                                               "NULL::UINTEGER[] AS conexclop, "
                                                               "expression AS conbin FROM (SELECT "
                                                               "cc_k.*, (SELECT min(cc_r.cc_oid) + "
                                                               "1 FROM (");
    compat__catalog_constraints(b, recorded);
    /* a foreign key's index is the referenced table's key over the referenced columns */
    ubuf_puts(b, ") cc_r WHERE cc_r.table_oid = cc_k.cc_reftable AND cc_r.cc_contype IN ('p', "
                 "'u') AND cc_r.cc_cols = cc_k.referenced_column_names) AS cc_refindex FROM (");
    compat__catalog_constraints(b, recorded);
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

void compat__catalog_pg_class(ubuf_t *b, bool recorded)
{
    ubuf_puts(b, "SELECT * REPLACE (10::UINTEGER AS relowner, 'd' AS relreplident, "
                 "CASE WHEN relkind = 'i' THEN 'p' ELSE relpersistence END AS relpersistence, "
                 "NULL::VARCHAR[] AS reloptions, NULL::VARCHAR[] AS relacl, "
                 "CASE relkind WHEN 'r' THEN 2 WHEN 'i' THEN " COMPAT_INDEX_AM_OID " ELSE 0 END "
                 "AS relam, oid IN (SELECT unnest([table_oid, cc_reftable]) FROM (");
    compat__catalog_constraints(b, recorded);
    ubuf_puts(b, ") cc_f WHERE cc_contype = 'f') AS relhastriggers), "
                 "false AS relforcerowsecurity FROM pg_catalog.pg_class "
                 "WHERE relnamespace NOT IN (" CC_DUCKD_SCHEMA ") UNION ALL BY NAME "
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
    compat__catalog_constraints(b, recorded);
    ubuf_puts(b, ") cc_k WHERE cc_contype IN ('p', 'u')");
}

void compat__catalog_constraintdef(ubuf_t *b, const char *oid, bool recorded)
{
    ubuf_puts(b, "(SELECT cc_def FROM (");
    compat__catalog_constraints(b, recorded);
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

/* Appends v as a SQL string literal. */
static void cc_put_literal(ubuf_t *b, const char *v)
{
    ubuf_putc(b, '\'');
    for (; *v; v++) {
        if (*v == '\'')
            ubuf_putc(b, '\'');
        ubuf_putc(b, *v);
    }
    ubuf_putc(b, '\'');
}

/* pg_namespace: DuckDB's schemas of the current database (but duckd's own, which holds the
 * recorded foreign keys), plus pg_catalog (OID 11, which
 * pg_type rows point to), information_schema and the temporary schema. */
static void cc_pg_namespace(ubuf_t *b, const char *user, bool recorded)
{
    (void)recorded;
    (void)user;
    ubuf_puts(b, "SELECT oid, CASE WHEN database_name = 'temp' THEN 'pg_temp_1' ELSE schema_name "
                 "END AS nspname, 10::UINTEGER AS nspowner, NULL::VARCHAR[] AS nspacl "
                 "FROM duckdb_schemas() WHERE (database_name = current_database() AND "
                 "schema_name <> 'duckd') OR "
                 "database_name = 'temp' OR (database_name = 'system' AND "
                 "schema_name = 'information_schema') UNION ALL "
                 "SELECT 11, 'pg_catalog', 10::UINTEGER, NULL::VARCHAR[]");
}

static void cc_pg_database(ubuf_t *b, const char *user, bool recorded)
{
    (void)recorded;
    (void)user;
    ubuf_puts(b, "SELECT database_oid AS oid, database_name AS datname, 10::UINTEGER AS datdba, "
                 "6 AS encoding, 'c' AS datlocprovider, false AS datistemplate, "
                 "true AS datallowconn, -1 AS datconnlimit, 0::UINTEGER AS datfrozenxid, "
                 "0::UINTEGER AS datminmxid, 0::UINTEGER AS dattablespace, 'C' AS datcollate, "
                 "'C' AS datctype, NULL::VARCHAR AS daticulocale, "
                 "NULL::VARCHAR AS datcollversion, NULL::VARCHAR[] AS datacl "
                 "FROM duckdb_databases() WHERE NOT internal");
}

/* pg_roles / pg_authid: one role, the session's user, who may do everything. */
static void cc_pg_roles(ubuf_t *b, const char *user, bool recorded)
{
    (void)recorded;
    ubuf_puts(b, "SELECT 10::UINTEGER AS oid, ");
    cc_put_literal(b, user);
    ubuf_puts(b, " AS rolname, true AS rolsuper, true AS rolinherit, true AS rolcreaterole, "
                 "true AS rolcreatedb, true AS rolcanlogin, false AS rolreplication, "
                 "true AS rolbypassrls, -1 AS rolconnlimit, '********' AS rolpassword, "
                 "NULL::TIMESTAMPTZ AS rolvaliduntil, NULL::VARCHAR[] AS rolconfig");
}

static void cc_pg_user(ubuf_t *b, const char *user, bool recorded)
{
    (void)recorded;
    ubuf_puts(b, "SELECT ");
    cc_put_literal(b, user);
    ubuf_puts(b, " AS usename, 10::UINTEGER AS usesysid, true AS usecreatedb, "
                 "true AS usesuper, false AS userepl, true AS usebypassrls, "
                 "'********' AS passwd, NULL::TIMESTAMPTZ AS valuntil, "
                 "NULL::VARCHAR[] AS useconfig");
}

static void cc_pg_class(ubuf_t *b, const char *user, bool recorded)
{
    (void)user;
    compat__catalog_pg_class(b, recorded);
}

static void cc_pg_constraint(ubuf_t *b, const char *user, bool recorded)
{
    (void)user;
    compat__catalog_pg_constraint(b, recorded);
}

static void cc_pg_index(ubuf_t *b, const char *user, bool recorded)
{
    (void)recorded;
    (void)user;
    compat__catalog_pg_index(b);
}

static void cc_pg_attrdef(ubuf_t *b, const char *user, bool recorded)
{
    (void)recorded;
    (void)user;
    compat__catalog_pg_attrdef(b);
}

static void cc_pg_depend(ubuf_t *b, const char *user, bool recorded)
{
    (void)recorded;
    (void)user;
    compat__catalog_pg_depend(b);
}

/* The emulated relations. The empty ones are what psql, JDBC and asyncpg join against for
 * features DuckDB does not have (inheritance, ranges, triggers, ...). */
static const compat_relation_t cc_relations[] = {
    {"pg_class", NULL, cc_pg_class},
    {"pg_constraint", NULL, cc_pg_constraint},
    {"pg_index", NULL, cc_pg_index},
    {"pg_attrdef", NULL, cc_pg_attrdef},
    {"pg_depend", NULL, cc_pg_depend},
    {"pg_namespace", NULL, cc_pg_namespace},
    {"pg_database", NULL, cc_pg_database},
    {"pg_roles", NULL, cc_pg_roles},
    {"pg_authid", NULL, cc_pg_roles},
    {"pg_user", NULL, cc_pg_user},
    {"pg_am",
     "SELECT * FROM (VALUES (2::UINTEGER, 'heap', 'heap_tableam_handler', 't'), "
     "(" COMPAT_INDEX_AM_OID
     "::UINTEGER, 'btree', 'bthandler', 'i')) v(oid, amname, amhandler, amtype)",
     NULL},
    /* DuckDB's pg_enum leaves oid NULL; PostgreSQL's oids of one type's labels follow their
     * order (SQLAlchemy's get_enums orders by it) */
    {"pg_enum",
     "SELECT * REPLACE ((enumtypid * 1024 + enumsortorder)::UINTEGER AS oid) "
     "FROM pg_catalog.pg_enum",
     NULL},
    {"pg_sequence",
     "SELECT * REPLACE (20::UINTEGER AS seqtypid, 1::BIGINT AS seqcache) "
     "FROM pg_catalog.pg_sequence",
     NULL},
    /* DuckDB's settings plus PostgreSQL's compile-time limits that drivers read (pgjdbc's
     * getMaxIndexKeys) */
    {"pg_settings",
     "SELECT * FROM pg_catalog.pg_settings UNION ALL BY NAME SELECT * FROM (VALUES "
     "('max_index_keys', '32', 'integer'), ('max_identifier_length', '63', 'integer'), "
     "('block_size', '8192', 'integer')) v(name, setting, vartype)",
     NULL},
    {"pg_range",
     "SELECT NULL::UINTEGER AS rngtypid, NULL::UINTEGER AS rngsubtype, "
     "NULL::UINTEGER AS rngmultitypid, NULL::UINTEGER AS rngcollation, "
     "NULL::UINTEGER AS rngsubopc, NULL::VARCHAR AS rngcanonical, "
     "NULL::VARCHAR AS rngsubdiff WHERE false",
     NULL},
    {"pg_policy",
     "SELECT NULL::UINTEGER AS oid, NULL::VARCHAR AS polname, NULL::BIGINT AS polrelid, "
     "NULL::VARCHAR AS polcmd, NULL::BOOLEAN AS polpermissive, NULL::UINTEGER[] AS polroles, "
     "NULL::VARCHAR AS polqual, NULL::VARCHAR AS polwithcheck WHERE false",
     NULL},
    {"pg_statistic_ext",
     "SELECT NULL::UINTEGER AS oid, NULL::BIGINT AS stxrelid, NULL::VARCHAR AS stxname, "
     "NULL::BIGINT AS stxnamespace, NULL::UINTEGER AS stxowner, NULL::INTEGER AS stxstattarget, "
     "NULL::SMALLINT[] AS stxkeys, NULL::VARCHAR[] AS stxkind, NULL::VARCHAR AS stxexprs "
     "WHERE false",
     NULL},
    {"pg_publication",
     "SELECT NULL::UINTEGER AS oid, NULL::VARCHAR AS pubname, NULL::UINTEGER AS pubowner, "
     "NULL::BOOLEAN AS puballtables, NULL::BOOLEAN AS pubinsert, NULL::BOOLEAN AS pubupdate, "
     "NULL::BOOLEAN AS pubdelete, NULL::BOOLEAN AS pubtruncate, NULL::BOOLEAN AS pubviaroot "
     "WHERE false",
     NULL},
    {"pg_publication_rel",
     "SELECT NULL::UINTEGER AS oid, NULL::UINTEGER AS prpubid, NULL::BIGINT AS prrelid, "
     "NULL::VARCHAR AS prqual, NULL::SMALLINT[] AS prattrs WHERE false",
     NULL},
    {"pg_publication_namespace",
     "SELECT NULL::UINTEGER AS oid, NULL::UINTEGER AS pnpubid, NULL::BIGINT AS pnnspid "
     "WHERE false",
     NULL},
    {"pg_trigger",
     "SELECT NULL::UINTEGER AS oid, NULL::BIGINT AS tgrelid, NULL::UINTEGER AS tgparentid, "
     "NULL::VARCHAR AS tgname, NULL::UINTEGER AS tgfoid, NULL::SMALLINT AS tgtype, "
     "NULL::VARCHAR AS tgenabled, NULL::BOOLEAN AS tgisinternal, NULL::BIGINT AS tgconstrrelid, "
     "NULL::UINTEGER AS tgconstrindid, NULL::UINTEGER AS tgconstraint, "
     "NULL::BOOLEAN AS tgdeferrable, NULL::BOOLEAN AS tginitdeferred, NULL::SMALLINT AS tgnargs "
     "WHERE false",
     NULL},
    {"pg_rewrite",
     "SELECT NULL::UINTEGER AS oid, NULL::VARCHAR AS rulename, NULL::BIGINT AS ev_class, "
     "NULL::VARCHAR AS ev_type, NULL::VARCHAR AS ev_enabled, NULL::BOOLEAN AS is_instead "
     "WHERE false",
     NULL},
    /* casts and operators are DuckDB's own, not catalogued (psql \dC, \do list none) */
    {"pg_cast",
     "SELECT NULL::UINTEGER AS oid, NULL::UINTEGER AS castsource, NULL::UINTEGER AS casttarget, "
     "NULL::UINTEGER AS castfunc, NULL::VARCHAR AS castcontext, NULL::VARCHAR AS castmethod "
     "WHERE false",
     NULL},
    {"pg_operator",
     "SELECT NULL::UINTEGER AS oid, NULL::VARCHAR AS oprname, NULL::BIGINT AS oprnamespace, "
     "NULL::UINTEGER AS oprowner, NULL::VARCHAR AS oprkind, NULL::BOOLEAN AS oprcanmerge, "
     "NULL::BOOLEAN AS oprcanhash, NULL::UINTEGER AS oprleft, NULL::UINTEGER AS oprright, "
     "NULL::UINTEGER AS oprresult, NULL::UINTEGER AS oprcom, NULL::UINTEGER AS oprnegate, "
     "NULL::VARCHAR AS oprcode, NULL::VARCHAR AS oprrest, NULL::VARCHAR AS oprjoin WHERE false",
     NULL},
    {"pg_auth_members",
     "SELECT NULL::UINTEGER AS oid, NULL::UINTEGER AS roleid, NULL::UINTEGER AS member, "
     "NULL::UINTEGER AS grantor, NULL::BOOLEAN AS admin_option WHERE false",
     NULL},
    {"pg_extension",
     "SELECT NULL::UINTEGER AS oid, NULL::VARCHAR AS extname, NULL::UINTEGER AS extowner, "
     "NULL::BIGINT AS extnamespace, NULL::BOOLEAN AS extrelocatable, "
     "NULL::VARCHAR AS extversion, NULL::UINTEGER[] AS extconfig, "
     "NULL::VARCHAR[] AS extcondition WHERE false",
     NULL},
    /* duckd's sessions as PostgreSQL's activity view: pid is the session id (BackendKeyData's
     * process id, what pg_cancel_backend and pg_terminate_backend take); a statement waiting
     * for an execution slot or for its group commit is "active" with a wait event. Another
     * user's client and query are NULL unless the caller is an admin (duckd_sessions()). */
    {"pg_stat_activity",
     "SELECT 1::UINTEGER AS datid, current_database() AS datname, id::INTEGER AS pid, "
     "NULL::INTEGER AS leader_pid, 10::UINTEGER AS usesysid, \"user\" AS usename, "
     "application_name, CASE WHEN client = '[local]' THEN NULL "
     "ELSE regexp_extract(client, '^\\[?(.*?)\\]?:[0-9]+$', 1) END AS client_addr, "
     "NULL::VARCHAR AS client_hostname, CASE WHEN client = '[local]' THEN -1 "
     "ELSE TRY_CAST(regexp_extract(client, ':([0-9]+)$', 1) AS INTEGER) END AS client_port, "
     "connected AS backend_start, NULL::TIMESTAMPTZ AS xact_start, query_start, "
     "COALESCE(query_end, query_start, connected) AS state_change, "
     "CASE state WHEN 'queued' THEN 'Extension' WHEN 'waiting for commit' THEN 'IO' "
     "WHEN 'waiting for lock' THEN 'Lock' END "
     "AS wait_event_type, "
     "CASE state WHEN 'queued' THEN 'AdmissionQueue' WHEN 'waiting for commit' THEN "
     "'GroupCommit' WHEN 'waiting for lock' THEN 'advisory' END AS wait_event, "
     "CASE WHEN state IN ('queued', 'waiting for commit', 'waiting for lock') THEN 'active' "
     "ELSE state END AS state, "
     "NULL::UINTEGER AS backend_xid, NULL::UINTEGER AS backend_xmin, NULL::BIGINT AS query_id, "
     "COALESCE(query, '<insufficient privilege>') AS query, 'client backend' AS backend_type "
     "FROM duckd_sessions()",
     NULL},
    /* the advisory locks (session/advlock.h), the only locks duckd's clients take: DuckDB's
     * MVCC takes no row or table locks a client could see */
    {"pg_locks",
     "SELECT 'advisory' AS locktype, 1::UINTEGER AS database, NULL::BIGINT AS relation, "
     "NULL::INTEGER AS page, NULL::SMALLINT AS tuple, NULL::VARCHAR AS virtualxid, "
     "NULL::UINTEGER AS transactionid, classid::UINTEGER AS classid, objid::UINTEGER AS objid, "
     "objsubid::SMALLINT AS objsubid, NULL::VARCHAR AS virtualtransaction, pid::INTEGER AS pid, "
     "mode, granted, false AS fastpath, NULL::TIMESTAMPTZ AS waitstart "
     "FROM duckd_advisory_locks()",
     NULL},
    {"pg_language",
     "SELECT * FROM (VALUES (12::UINTEGER, 'internal', 10::UINTEGER, false, false, 0::UINTEGER, "
     "0::UINTEGER, 0::UINTEGER), (13::UINTEGER, 'c', 10::UINTEGER, false, false, 0::UINTEGER, "
     "0::UINTEGER, 0::UINTEGER), (14::UINTEGER, 'sql', 10::UINTEGER, false, true, 0::UINTEGER, "
     "0::UINTEGER, 0::UINTEGER)) v(oid, lanname, lanowner, lanispl, lanpltrusted, "
     "lanplcallfoid, laninline, lanvalidator), "
     "(SELECT NULL::VARCHAR[] AS lanacl, 2612::UINTEGER AS tableoid)",
     NULL},
    {"pg_event_trigger",
     "SELECT NULL::UINTEGER AS oid, NULL::VARCHAR AS evtname, NULL::VARCHAR AS evtevent, "
     "NULL::UINTEGER AS evtowner, NULL::UINTEGER AS evtfoid, NULL::VARCHAR AS evtenabled, "
     "NULL::VARCHAR[] AS evttags WHERE false",
     NULL},
    {"pg_db_role_setting",
     "SELECT NULL::UINTEGER AS setdatabase, NULL::UINTEGER AS setrole, "
     "NULL::VARCHAR[] AS setconfig WHERE false",
     NULL},
    {"pg_inherits",
     "SELECT NULL::BIGINT AS inhrelid, NULL::BIGINT AS inhparent, NULL::INTEGER AS inhseqno, "
     "NULL::BOOLEAN AS inhdetachpending WHERE false",
     NULL},
};

const compat_relation_t *compat__catalog_relation(const char *name, size_t len)
{
    for (size_t r = 0; r < sizeof cc_relations / sizeof cc_relations[0]; r++)
        if (strlen(cc_relations[r].name) == len &&
            strncasecmp(cc_relations[r].name, name, len) == 0)
            return &cc_relations[r];
    return NULL;
}
