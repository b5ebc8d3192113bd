/* compat_alter / compat_groupby tests: how PostgreSQL's ALTER TABLE (as Django, Alembic and
 * Rails write it) becomes steps, which statements pass to DuckDB untouched, the CREATE INDEX
 * clean-up, and the GROUP BY widening with its limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "session/compat_alter.h"
#include "session/compat_groupby.h"

static compat_alter_t *parse(const char *sql) { return compat_alter_parse(sql, strlen(sql)); }

static void test_alter_django_fk(void **state)
{
    compat_alter_t *a =
        parse("ALTER TABLE \"app_book\" ADD CONSTRAINT \"app_book_author_id_fk\" FOREIGN KEY "
              "(\"author_id\") REFERENCES \"app_author\" (\"id\") DEFERRABLE INITIALLY DEFERRED");
    assert_non_null(a);
    assert_string_equal(a->table, "app_book");
    assert_null(a->schema);
    assert_string_equal(a->qname, "\"app_book\"");
    assert_int_equal(a->nsteps, 1);
    assert_int_equal(a->steps[0].kind, CALT_ADD_FK);
    assert_string_equal(a->steps[0].name, "app_book_author_id_fk");
    assert_string_equal(a->steps[0].fk_cols, "\"author_id\"");
    assert_string_equal(a->steps[0].fk_ref, "\"app_author\"");
    assert_string_equal(a->steps[0].fk_ref_cols, "\"id\"");
    assert_string_equal(a->steps[0].fk_rules, "DEFERRABLE INITIALLY DEFERRED");
    compat_alter_free(a);

    a = parse("alter table s.t add foreign key (a, b) references s.p on delete cascade");
    assert_non_null(a);
    assert_string_equal(a->schema, "s");
    assert_string_equal(a->table, "t");
    assert_string_equal(a->steps[0].name, "t_a_b_fkey"); /* PostgreSQL's default name */
    assert_string_equal(a->steps[0].fk_ref, "s.p");
    assert_null(a->steps[0].fk_ref_cols);
    compat_alter_free(a);
}

static void test_alter_unique_and_pk(void **state)
{
    compat_alter_t *a = parse("ALTER TABLE t ADD CONSTRAINT \"t_a_b_uniq\" UNIQUE (\"a\", \"b\"), "
                              "ADD CONSTRAINT t_pk PRIMARY KEY (id), ADD UNIQUE (c)");
    assert_non_null(a);
    assert_int_equal(a->nsteps, 3);
    assert_int_equal(a->steps[0].kind, CALT_ADD_UNIQUE);
    assert_string_equal(a->steps[0].sql, "CREATE UNIQUE INDEX \"t_a_b_uniq\" ON t (\"a\", \"b\")");
    assert_int_equal(a->steps[1].kind, CALT_DUCKDB);
    assert_string_equal(a->steps[1].sql, "ALTER TABLE t ADD PRIMARY KEY (id)");
    assert_string_equal(a->steps[2].sql, "CREATE UNIQUE INDEX \"t_c_key\" ON t (c)");
    compat_alter_free(a);
}

static void test_alter_columns(void **state)
{
    compat_alter_t *a = parse(
        "ALTER TABLE IF EXISTS ONLY \"T\" ALTER COLUMN \"n\" TYPE numeric(10, 2) USING "
        "\"n\"::numeric(10, 2), ALTER n SET NOT NULL, DROP COLUMN IF EXISTS x CASCADE, "
        "RENAME COLUMN a TO \"B\", ALTER c SET DEFAULT 1, ADD COLUMN d int DEFAULT 0 NOT NULL");
    assert_non_null(a);
    assert_true(a->if_exists);
    assert_string_equal(a->table, "T");
    assert_int_equal(a->nsteps, 7);
    assert_int_equal(a->steps[0].kind, CALT_TYPE);
    assert_string_equal(a->steps[0].column, "n");
    assert_string_equal(a->steps[0].type, "numeric(10, 2)");
    assert_string_equal(a->steps[0].using_expr, "\"n\"::numeric(10, 2)");
    assert_true(a->steps[0].rebuild_table);
    assert_true(a->steps[1].rebuild_indexes);
    assert_false(a->steps[1].rebuild_table);
    assert_string_equal(a->steps[2].column, "x");
    assert_true(a->steps[2].rebuild_table);
    assert_string_equal(a->steps[3].rename_from, "a");
    assert_string_equal(a->steps[3].rename_to, "B");
    assert_false(a->steps[4].rebuild_indexes); /* SET DEFAULT: DuckDB allows it */
    /* ADD COLUMN ... NOT NULL: DuckDB takes the constraint separately */
    assert_string_equal(a->steps[5].sql, "ALTER TABLE IF EXISTS \"T\" ADD COLUMN d int DEFAULT 0 ");
    assert_string_equal(a->steps[6].sql, "ALTER TABLE \"T\" ALTER COLUMN d SET NOT NULL");
    compat_alter_free(a);
}

static void test_alter_passes_through(void **state)
{
    /* one action DuckDB runs as it is and no index can block */
    assert_null(parse("ALTER TABLE t ALTER COLUMN a SET DEFAULT 3"));
    assert_null(parse("ALTER TABLE t SET SCHEMA s"));
    assert_null(parse("ALTER VIEW v RENAME TO w"));
    assert_null(parse("ALTER TABLE a.b.c.d DROP COLUMN x"));
    assert_null(parse("ALTER TABLE t"));
    assert_null(parse("ALTER TABLE t ADD CONSTRAINT c CHECK"));
    assert_null(parse("ALTER TABLE t DROP COLUMN 'x"));
    assert_null(parse("ALTER TABLE t ADD x int; DROP TABLE u"));
}

static void test_varchar_types(void **state)
{
    assert_true(compat_type_is_varchar("varchar(150)"));
    assert_true(compat_type_is_varchar("character varying (10)"));
    assert_true(compat_type_is_varchar("TEXT"));
    assert_false(compat_type_is_varchar("bigint"));
    assert_false(compat_type_is_varchar("varchar2"));
}

static void check_index(const char *in, const char *want)
{
    char *out = compat_index_rewrite(in, strlen(in));
    if (!want) {
        assert_null(out);
        return;
    }
    assert_non_null(out);
    assert_string_equal(out, want);
    free(out);
}

static void test_index_rewrite(void **state)
{
    check_index("CREATE INDEX \"a_like\" ON \"t\" (\"name\" varchar_pattern_ops)",
                "CREATE INDEX \"a_like\" ON \"t\" (\"name\" )");
    check_index("CREATE UNIQUE INDEX i ON ONLY t USING btree (a DESC, b text_pattern_ops NULLS "
                "FIRST) INCLUDE (c, d)",
                "CREATE UNIQUE INDEX i ON  t   (a DESC, b  NULLS FIRST)   ");
    check_index("CREATE INDEX i ON t (a)", NULL);
    check_index("CREATE INDEX i ON t USING gin (a)", NULL);  /* DuckDB says what it lacks */
    check_index("CREATE INDEX i ON t (lower(x_ops))", NULL); /* a column, not an opclass */
    check_index("CREATE INDEX i ON t ((a || 'b_ops'))", NULL);
}

static void check_gb(const char *in, const char *want)
{
    char *out = compat_groupby_widen(in, strlen(in));
    if (!want) {
        assert_null(out);
        return;
    }
    assert_non_null(out);
    assert_string_equal(out, want);
    free(out);
}

static void test_groupby_widen(void **state)
{
    check_gb("SELECT \"a\".\"id\", \"a\".\"name\", COUNT(\"b\".\"id\") AS \"n\" FROM \"a\" LEFT "
             "JOIN \"b\" ON (\"a\".\"id\" = \"b\".\"aid\") GROUP BY \"a\".\"id\" ORDER BY "
             "\"a\".\"email\" DESC LIMIT 3",
             "SELECT \"a\".\"id\", \"a\".\"name\", COUNT(\"b\".\"id\") AS \"n\" FROM \"a\" LEFT "
             "JOIN \"b\" ON (\"a\".\"id\" = \"b\".\"aid\") GROUP BY \"a\".\"id\", \"a\".\"name\", "
             "\"a\".\"email\" ORDER BY \"a\".\"email\" DESC LIMIT 3");
    check_gb("SELECT id, name AS n, count(*) FROM t GROUP BY id HAVING count(*) > 1",
             "SELECT id, name AS n, count(*) FROM t GROUP BY id, name HAVING count(*) > 1");
    /* another table's column, an expression grouping, a set operation: left to DuckDB */
    check_gb("SELECT a.id, b.x FROM a, b GROUP BY a.id", NULL);
    check_gb("SELECT x, y FROM t GROUP BY x + 1", NULL);
    check_gb("SELECT x, y FROM t GROUP BY x UNION SELECT 1, 2", NULL);
    check_gb("SELECT x, count(*) FROM t GROUP BY x", NULL);
    check_gb("SELECT x FROM t", NULL);
    check_gb("SELECT x, NULL FROM t GROUP BY x", NULL);
    check_gb("SELECT x, y FROM t GROUP BY ROLLUP (x)", NULL);
    /* an unqualified ORDER BY name may be an alias of the select list */
    check_gb("SELECT x, count(*) AS c FROM t GROUP BY x ORDER BY c", NULL);
}

static void free_list(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static void test_fk_split(void **state)
{
    const char *sql = "CREATE TABLE s.c (id INTEGER PRIMARY KEY, a INT REFERENCES p ON DELETE "
                      "CASCADE NOT NULL, b INT CONSTRAINT bk REFERENCES s.p (id), CONSTRAINT ab "
                      "FOREIGN KEY (a, b) REFERENCES p (x, y) DEFERRABLE INITIALLY DEFERRED)";
    char **rec;
    size_t n;
    char *t = compat_fk_split(sql, strlen(sql), &rec, &n);
    assert_non_null(t);
    assert_string_equal(t, "CREATE TABLE s.c (id INTEGER PRIMARY KEY, a INT NOT NULL, b INT)");
    /* schema + table DDL, the stale records, then per key: two checks and the record */
    assert_int_equal(n, 3 + 3 * 3);
    assert_string_equal(rec[3], "SELECT a FROM s.c LIMIT 0");
    assert_string_equal(rec[4], "SELECT * FROM p LIMIT 0");
    assert_non_null(strstr(rec[5], "'c', 'c_a_fkey', 'a', 'p', NULL, 'ON DELETE CASCADE'"));
    assert_string_equal(rec[7], "SELECT id FROM s.p LIMIT 0");
    assert_non_null(strstr(rec[8], "'bk', 'b', 's.p', 'id', ''"));
    assert_non_null(strstr(rec[11], "'ab', 'a, b', 'p', 'x, y', 'DEFERRABLE INITIALLY DEFERRED'"));
    free(t);
    free_list(rec, n);

    const char *none[] = {
        "CREATE TABLE t (a INT)",     "CREATE TEMP TABLE t (a INT REFERENCES p)",
        "CREATE TABLE t AS SELECT 1", "CREATE TABLE t (a INT REFERENCES)",
        "CREATE VIEW v AS SELECT 1",  "CREATE TABLE t (FOREIGN KEY (a) REFERENCES p)"};
    for (size_t i = 0; i < sizeof none / sizeof none[0]; i++) {
        t = compat_fk_split(none[i], strlen(none[i]), &rec, &n);
        assert_null(t);
        assert_int_equal(n, 0);
    }
}

static void test_truncate(void **state)
{
    const char *sql = "TRUNCATE TABLE ONLY \"A\", s.b * RESTART IDENTITY CASCADE";
    compat_alter_t *a = compat_truncate_parse(sql, strlen(sql));
    assert_non_null(a);
    assert_int_equal(a->nsteps, 2);
    assert_int_equal(a->steps[0].kind, CALT_TRUNCATE);
    assert_string_equal(a->steps[0].sql, "DELETE FROM \"A\"");
    assert_string_equal(a->steps[0].name, "A");
    assert_null(a->steps[0].column);
    assert_true(a->steps[0].restart_identity);
    assert_string_equal(a->steps[1].sql, "DELETE FROM s.b");
    assert_string_equal(a->steps[1].column, "s");
    compat_alter_free(a);
    sql = "TRUNCATE t CONTINUE IDENTITY";
    a = compat_truncate_parse(sql, strlen(sql));
    assert_non_null(a);
    assert_false(a->steps[0].restart_identity);
    compat_alter_free(a);
    const char *bad[] = {"TRUNCATE", "TRUNCATE t u", "TRUNCATE t,", "TRUNCATE a.b.c.d"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_null(compat_truncate_parse(bad[i], strlen(bad[i])));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alter_django_fk), cmocka_unit_test(test_alter_unique_and_pk),
        cmocka_unit_test(test_alter_columns),   cmocka_unit_test(test_alter_passes_through),
        cmocka_unit_test(test_varchar_types),   cmocka_unit_test(test_index_rewrite),
        cmocka_unit_test(test_groupby_widen),   cmocka_unit_test(test_fk_split),
        cmocka_unit_test(test_truncate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
