/* compat_colnames tests: PostgreSQL's result column names (FigureColname) computed from the
 * statement text, the items matched to columns around stars, aliases and column references
 * renamed only for a difference of case, and what is left to DuckDB. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "session/compat_colnames.h"

/* Checks the names of sql's ncols columns against want: names separated by '|', "-" for a
 * column that keeps DuckDB's name. have (may be NULL) holds DuckDB's names the same way. */
static void check_have(const char *sql, size_t ncols, const char *have_s, const char *want)
{
    char *have[64] = {0};
    char buf[1024];
    size_t n = 0;
    if (have_s) {
        snprintf(buf, sizeof buf, "%s", have_s);
        for (char *save = NULL, *p = strtok_r(buf, "|", &save); p && n < 64;
             p = strtok_r(NULL, "|", &save))
            have[n++] = p;
        assert_int_equal(n, ncols);
    }
    char **names =
        compat_colnames(sql, strlen(sql), have_s ? (const char *const *)have : NULL, ncols);
    char got[1024] = "";
    for (size_t i = 0; i < ncols; i++) {
        if (i)
            strcat(got, "|");
        strcat(got, names && names[i] ? names[i] : "-");
    }
    if (strcmp(got, want) != 0)
        print_error("%s\n  got  %s\n  want %s\n", sql, got, want);
    assert_string_equal(got, want);
    compat_colnames_free(names, ncols);
}

static void check(const char *sql, size_t ncols, const char *want)
{
    check_have(sql, ncols, NULL, want);
}

static void test_functions_and_literals(void **state)
{
    check("SELECT count(*) FROM t", 1, "count");
    check("select sum(x), max(y) from t", 2, "sum|max");
    check("SELECT 1, a + b, 'x'", 3, "?column?|?column?|?column?");
    check("SELECT pg_catalog.version(), \"upper\"('x'), Lower('Y')", 3, "version|upper|lower");
    check("SELECT now(), random() < 2, -1, +a, NOT a", 5,
          "now|?column?|?column?|?column?|?column?");
    check("SELECT true, false, null, $1, 1.5e3, E'x', $$y$$", 7,
          "?column?|?column?|?column?|?column?|?column?|?column?|?column?");
    check("SELECT count(*) FILTER (WHERE a > 0), row_number() OVER (ORDER BY a), rank() OVER w, "
          "percentile_cont(0.5) WITHIN GROUP (ORDER BY a) FROM t WINDOW w AS (ORDER BY a)",
          4, "count|row_number|rank|percentile_cont");
    check("SELECT extract(year FROM ts), substring(y FROM 1 FOR 2), position('q' IN y), trim(y), "
          "trim(both 'x' FROM y), trim(leading FROM y), trim(trailing 'x' FROM y) FROM t",
          7, "extract|substring|position|btrim|btrim|ltrim|rtrim");
    check("SELECT current_date, CURRENT_TIMESTAMP, current_timestamp(3), current_user, "
          "session_user, user, localtime, current_catalog, current_schema, current_role",
          10,
          "current_date|current_timestamp|current_timestamp|current_user|session_user|user|"
          "localtime|current_catalog|current_schema|current_role");
    check("SELECT coalesce(a, b), greatest(1, 2), least(1, 2), nullif(a, 0) FROM t", 4,
          "coalesce|greatest|least|nullif");
    check("SELECT ts AT TIME ZONE 'UTC', a IS NULL, a BETWEEN 1 AND 2, a IN (1, 2), a || 'x', "
          "a IS DISTINCT FROM b, x LIKE 'a%' ESCAPE '!' FROM t",
          7, "timezone|?column?|?column?|?column?|?column?|?column?|?column?");
}

static void test_casts(void **state)
{
    check("SELECT 1::int, x::text, 'a'::text, 1::bigint, 1::smallint, 1::real, 1::float, "
          "1::float(10), 1::double precision, 1::numeric(10,2), 1::decimal, true::boolean",
          12, "int4|x|text|int8|int2|float4|float8|float4|float8|numeric|numeric|bool");
    check("SELECT 'x'::varchar(3), 'x'::char(2), 'x'::character varying, 'x'::bpchar, "
          "'1'::timestamp, '1'::timestamp(3) with time zone, '1'::time without time zone, "
          "'1'::timestamptz, '1'::interval day to second, 1::pg_catalog.int4, '{1}'::int[], "
          "'x'::\"char\"",
          12,
          "varchar|bpchar|varchar|bpchar|timestamp|timestamptz|time|timestamptz|interval|"
          "int4|int4|char");
    check("SELECT CAST(1 AS int), CAST(a AS text), CAST(count(*) AS bigint), "
          "CAST(CASE WHEN a THEN 1 END AS text) FROM t",
          4, "int4|a|count|text");
    check("SELECT 'acct'::regclass::oid, (a + 1)::text, count(*)::int, a::text::int, "
          "ARRAY[1]::int[], (SELECT 1)::int, max(a)::text COLLATE \"C\" FROM t",
          7, "oid|text|count|a|array|?column?|max");
    check("SELECT DATE '2024-01-01', TIMESTAMP WITH TIME ZONE '2024-01-01', INTERVAL '1' DAY, "
          "int4 '1', interval '1 day' + ts",
          5, "date|timestamptz|interval|int4|?column?");
}

static void test_constructs(void **state)
{
    check("SELECT CASE WHEN a > 0 THEN 1 END, CASE a WHEN 1 THEN CASE WHEN b THEN 2 END END, "
          "EXISTS (SELECT 1), NOT EXISTS (SELECT 1), ARRAY[1, 2], ARRAY(SELECT a FROM t), "
          "ROW(1, 2), (1, 2), (SELECT max(a) FROM t) FROM t",
          9, "case|case|exists|?column?|array|array|row|row|max");
    check("SELECT (SELECT a FROM t), (SELECT a + 1 FROM t), (SELECT a AS z FROM t), "
          "(SELECT 1 UNION SELECT 2), (VALUES (1)), (SELECT * FROM t), ((SELECT Y FROM t))",
          7, "a|?column?|z|?column?|column1|-|y");
    check("SELECT (a), ((count(*))), (a + b), arr[1], (arr)[1:2], (r).f1 FROM t", 6,
          "a|count|?column?|arr|arr|f1");
    /* DuckDB-only syntax keeps DuckDB's names */
    check("SELECT [1, 2], {'a': 1}, list_transform([1], x -> x + 1)", 3, "-|-|list_transform");
}

static void test_aliases_and_refs(void **state)
{
    check("SELECT 1 AS a, 2 b, 3 \"C\", 4 AS Dee, count(*) Total FROM t", 5, "a|b|C|dee|total");
    check("SELECT A, t.B, T.x, \"Q\" FROM t", 4, "a|b|x|Q");
    check("SELECT a::int c1, abs(a) abs_a, -a neg, x::double precision, "
          "f() OVER w, CURRENT_DATE d FROM t",
          6, "c1|abs_a|neg|x|f|d");
    /* with DuckDB's names: only a difference of case is renamed */
    check_have("SELECT A, b AS Bee, c AS \"Cee\", count(*) FROM t", 4, "A|Bee|Cee|count_star()",
               "a|bee|-|count");
    check_have("SELECT a, b FROM t", 2, "a|b", "-|-");
    check_have("SELECT mixed FROM t", 1, "Mixed", "mixed");
    check_have("SELECT x FROM t", 1, "other", "-");
    check_have("SELECT count(*) FROM t", 1, "count", "-");
}

static void test_statements(void **state)
{
    check("SELECT DISTINCT a + 1 FROM t", 1, "?column?");
    check("SELECT DISTINCT ON (a) a, b * 2 FROM t ORDER BY a", 2, "a|?column?");
    check("SELECT ALL max(a) FROM t", 1, "max");
    check("WITH q AS (SELECT a FROM t), r AS MATERIALIZED (SELECT 1) SELECT max(a), min(a) FROM q",
          2, "max|min");
    check("WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT n, n * 2 FROM r",
          2, "n|?column?");
    check("VALUES (1, 2), (3, 4)", 2, "column1|column2");
    check_have("VALUES (1)", 1, "column1", "-");
    check("SELECT a + 1 FROM t UNION ALL SELECT count(*) FROM t", 1, "?column?");
    check("(SELECT a * 2 FROM t) UNION (SELECT 3)", 1, "?column?");
    check("FROM t SELECT count(*), a", 2, "count|a");
    check("FROM t", 3, "-|-|-");
    check("TABLE t", 2, "-|-");
    check("INSERT INTO t (a) VALUES (1) RETURNING a, a + 1, upper(y) AS U", 3, "a|?column?|u");
    check("UPDATE t SET b = 1 RETURNING *, a * 3", 4, "-|-|-|?column?");
    check("DELETE FROM t WHERE a = 9 RETURNING lower(y)", 1, "lower");
    check("WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x RETURNING count_it()", 1, "count_it");
    check("DECLARE c CURSOR WITH HOLD FOR SELECT count(*), a FROM t", 2, "count|a");
    check("SELECT a FROM t WHERE a IS NOT DISTINCT FROM 1 FOR UPDATE", 1, "a");
    check("SELECT a, count(*) FROM t GROUP BY a HAVING count(*) > 0 ORDER BY 1 LIMIT 1", 2,
          "a|count");
    check("SELECT COLLATION FOR ('x')", 1, "pg_collation_for");
    /* statements without a select list of their own */
    check("EXPLAIN SELECT count(*) FROM t", 2, "-|-");
    check("SHOW search_path", 1, "-");
    check("CREATE TABLE x AS SELECT count(*) FROM t", 1, "-");
}

static void test_stars(void **state)
{
    check("SELECT * FROM t", 3, "-|-|-");
    check("SELECT *, count(*) OVER () FROM t", 4, "-|-|-|count");
    check("SELECT a + 1, t.*, 1 FROM t", 5, "?column?|-|-|-|?column?");
    check("SELECT max(a), * EXCLUDE (b), min(a) FROM t", 4, "max|-|-|min");
    check("SELECT max(COLUMNS(*)), 1 FROM t", 3, "-|-|?column?");
    check("SELECT count(*), s.* FROM s", 1, "count");
    /* unnest may add columns: matched only when the counts agree */
    check("SELECT a, unnest(arr), b + 1 FROM t", 3, "a|unnest|?column?");
    check("SELECT a, unnest(s), b + 1 FROM t", 4, "a|-|-|?column?");
    /* a list that does not match the columns is left alone */
    check("SELECT a, b FROM t", 3, "-|-|-");
    check("SELECT a + 1, * FROM t", 0, "");
}

static void test_hostile(void **state)
{
    check("SELECT 'unterminated", 1, "-");
    check("SELECT (((((1", 1, "-");
    check("SELECT )))), ((", 2, "-|-");
    check("SELECT CASE WHEN", 1, "-");
    check("SELECT CAST(1 AS", 1, "-");
    check("SELECT a::", 1, "-");
    check("SELECT", 1, "-");
    check("", 1, "-");
    check("SELECT 1 AS", 1, "?column?");
    /* deep nesting is cut off, not followed */
    char deep[4096] = "SELECT ";
    for (int i = 0; i < 1000; i++)
        strcat(deep, "(");
    strcat(deep, "1");
    for (int i = 0; i < 1000; i++)
        strcat(deep, ")");
    check(deep, 1, "-");
    /* a long name is cut to 63 bytes, as PostgreSQL's identifiers are */
    check("SELECT 1 AS "
          "abcdefghij_abcdefghij_abcdefghij_abcdefghij_abcdefghij_abcdefghij_xyz",
          1, "abcdefghij_abcdefghij_abcdefghij_abcdefghij_abcdefghij_abcdefgh");
}

/* The index name for sql at pass `pass`, or "-" when the statement names its index. */
static void check_index(const char *sql, int pass, const char *want, const char *want_sql)
{
    compat_index_name_t n;
    if (!compat_index_unnamed(sql, strlen(sql), &n)) {
        assert_string_equal("-", want);
        return;
    }
    char *name = compat_index_choose(&n, pass);
    assert_string_equal(name, want);
    if (want_sql) {
        char *named = compat_index_named(sql, strlen(sql), &n, name);
        assert_string_equal(named, want_sql);
        free(named);
    }
    free(name);
    compat_index_name_free(&n);
}

static void test_index_names(void **state)
{
    check_index("CREATE INDEX ON t (a, b)", 0, "t_a_b_idx",
                "CREATE INDEX \"t_a_b_idx\" ON t (a, b)");
    check_index("create index on t (a)", 2, "t_a_idx2", NULL);
    check_index("CREATE UNIQUE INDEX ON s.T (A)", 0, "t_a_idx", NULL);
    check_index("CREATE INDEX CONCURRENTLY ON t (a)", 0, "t_a_idx",
                "CREATE INDEX \"t_a_idx\" ON t (a)");
    check_index("CREATE INDEX ON ONLY t USING btree (y varchar_pattern_ops, b DESC NULLS LAST)", 0,
                "t_y_b_idx", NULL);
    check_index("CREATE INDEX ON t (lower(y), (a + b), (a * 2), \"Q\")", 0,
                "t_lower_expr_expr1_Q_idx", NULL);
    check_index("CREATE INDEX ON t (a) WHERE a > 0", 0, "t_a_idx", NULL);
    /* 63 bytes at most: the longer part is cut first (names PostgreSQL 15 gave) */
    check_index("CREATE INDEX ON a_very_long_table_name_that_goes_on_and_on_and_on_forever "
                "(a_long_column_name_too, another_long_column)",
                0, "a_very_long_table_name_that_g_a_long_column_name_too_anothe_idx", NULL);
    check_index("CREATE INDEX ON a_very_long_table_name_that_goes_on_and_on_and_on_forever "
                "(a_long_column_name_too, another_long_column)",
                1, "a_very_long_table_name_that_g_a_long_column_name_too_anoth_idx1", NULL);
    /* named, or not an index */
    check_index("CREATE INDEX i ON t (a)", 0, "-", NULL);
    check_index("CREATE INDEX IF NOT EXISTS ON t (a)", 0, "-", NULL);
    check_index("CREATE INDEX ON t ()", 0, "-", NULL);
    check_index("CREATE INDEX ON t (a,)", 0, "-", NULL);
    check_index("CREATE INDEX ON t (a", 0, "-", NULL);
    check_index("CREATE TABLE t (a int)", 0, "-", NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_functions_and_literals),
        cmocka_unit_test(test_casts),
        cmocka_unit_test(test_constructs),
        cmocka_unit_test(test_aliases_and_refs),
        cmocka_unit_test(test_statements),
        cmocka_unit_test(test_stars),
        cmocka_unit_test(test_hostile),
        cmocka_unit_test(test_index_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
