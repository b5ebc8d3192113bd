/* fastins tests: the INSERT shapes group commit coalesces, how their values come out (quotes
 * undone, signs kept, parameters numbered), and every near miss that must run the ordinary
 * way instead. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "session/fastins.h"

static bool parse(const char *sql, fastins_t *f)
{
    return fastins_parse(sql, strlen(sql), 1000, f);
}

static void assert_val(const fastins_t *f, size_t i, fastins_kind_t kind, const char *text)
{
    assert_int_equal(f->vals[i].kind, kind);
    if (text) {
        assert_int_equal(f->vals[i].len, strlen(text));
        assert_memory_equal(f->bytes + f->vals[i].off, text, strlen(text));
    }
}

static void test_single_row(void **state)
{
    fastins_t f;
    assert_true(parse("INSERT INTO t VALUES (1, 'a''b', NULL, true, false, -2.5, +3)", &f));
    assert_int_equal(f.nname, 1);
    assert_string_equal(f.name[0], "t");
    assert_int_equal(f.ncols, 0);
    assert_int_equal(f.nrows, 1);
    assert_int_equal(f.width, 7);
    assert_val(&f, 0, FASTINS_NUMBER, "1");
    assert_val(&f, 1, FASTINS_STRING, "a'b");
    assert_val(&f, 2, FASTINS_NULL, NULL);
    assert_val(&f, 3, FASTINS_TRUE, NULL);
    assert_val(&f, 4, FASTINS_FALSE, NULL);
    assert_val(&f, 5, FASTINS_NUMBER, "-2.5");
    assert_val(&f, 6, FASTINS_NUMBER, "+3");
    assert_int_equal(f.max_param, 0);
    fastins_free(&f);
}

static void test_names_columns_rows_params(void **state)
{
    fastins_t f;
    assert_true(parse("insert into \"My\"\"Db\".main.\"T\" (a, \"B c\") values ($2, $1), "
                      "('', $10);",
                      &f));
    assert_int_equal(f.nname, 3);
    assert_string_equal(f.name[0], "My\"Db");
    assert_string_equal(f.name[1], "main");
    assert_string_equal(f.name[2], "T");
    assert_int_equal(f.ncols, 2);
    assert_string_equal(f.cols[1], "B c");
    assert_int_equal(f.nrows, 2);
    assert_int_equal(f.vals[0].kind, FASTINS_PARAM);
    assert_int_equal(f.vals[0].param, 2);
    assert_val(&f, 2, FASTINS_STRING, "");
    assert_int_equal(f.max_param, 10);
    fastins_free(&f);
    assert_true(parse("/* c */ INSERT -- x\n INTO t VALUES (1) -- end", &f));
    fastins_free(&f);
}

static void test_not_coalescable(void **state)
{
    static const char *const no[] = {
        "INSERT INTO t SELECT 1",
        "INSERT INTO t VALUES (now())",
        "INSERT INTO t VALUES ('1'::INT)",
        "INSERT INTO t VALUES (DEFAULT)",
        "INSERT INTO t DEFAULT VALUES",
        "INSERT INTO t VALUES (E'a\\n')",
        "INSERT INTO t VALUES ($$a$$)",
        "INSERT INTO t VALUES (1) RETURNING *",
        "INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING",
        "INSERT OR REPLACE INTO t VALUES (1)",
        "INSERT INTO t BY NAME SELECT 1 AS a",
        "INSERT INTO t VALUES (1), (1, 2)",
        "INSERT INTO t (a, b) VALUES (1)",
        "INSERT INTO t VALUES (1); SELECT 1",
        "INSERT INTO t VALUES (1",
        "INSERT INTO t VALUES ('a' 'b')",
        "INSERT INTO t VALUES (- 'a')",
        "INSERT INTO a.b.c.d VALUES (1)",
        "INSERT INTO t VALUES ()",
        "INSERT INTO t VALUES ($0)",
        "INSERT INTO t VALUES (1 + 2)",
        "INSERT INTO values VALUES (1)",
        "INSERT INTO t VALUES ('unterminated)",
        "UPDATE t SET a = 1",
        "WITH x AS (SELECT 1) INSERT INTO t VALUES (1)",
    };
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
        fastins_t f;
        if (parse(no[i], &f)) {
            fastins_free(&f);
            fail_msg("coalescable by mistake: %s", no[i]);
        }
    }
}

static void test_value_cap(void **state)
{
    fastins_t f;
    assert_false(fastins_parse("INSERT INTO t VALUES (1, 2, 3)", 30, 2, &f));
    assert_true(fastins_parse("INSERT INTO t VALUES (1, 2, 3)", 30, 3, &f));
    fastins_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single_row),
        cmocka_unit_test(test_names_columns_rows_params),
        cmocka_unit_test(test_not_coalescable),
        cmocka_unit_test(test_value_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
