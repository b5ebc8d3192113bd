/* Unit tests for the cursor statement grammar (session/cursor_sql.c): DECLARE's options and
 * where its query starts, every FETCH/MOVE direction as PostgreSQL's parser leaves it, CLOSE
 * and CLOSE ALL, name folding and quoting, the syntax errors, and compat_classify's tags. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "session/compat.h"
#include "session/cursor_sql.h"

static int parse(const char *sql, csql_t *c, const char **state)
{
    const char *msg = NULL;
    *state = NULL;
    int r = csql_parse(sql, strlen(sql), c, state, &msg);
    if (r < 0)
        assert_non_null(msg);
    return r;
}

static void expect_fetch(const char *sql, csql_kind_t kind, csql_dir_t dir, int64_t count,
                         const char *name)
{
    csql_t c;
    const char *state;
    if (parse(sql, &c, &state) != 1)
        fail_msg("[%s] did not parse (%s)", sql, state ? state : "not a cursor statement");
    assert_int_equal(c.kind, kind);
    if (c.dir != dir || c.count != count)
        fail_msg("[%s]: dir %d count %lld", sql, (int)c.dir, (long long)c.count);
    assert_string_equal(c.name, name);
    csql_free(&c);
}

static void expect_error(const char *sql, const char *want_state)
{
    csql_t c;
    const char *state;
    if (parse(sql, &c, &state) != -1)
        fail_msg("[%s] parsed", sql);
    assert_string_equal(state, want_state);
}

static void test_declare(void **unused)
{
    (void)unused;
    csql_t c;
    const char *state;
    const char *sql = "DECLARE Cur CURSOR FOR SELECT 1";
    assert_int_equal(parse(sql, &c, &state), 1);
    assert_int_equal(c.kind, CSQL_DECLARE);
    assert_string_equal(c.name, "cur");
    assert_false(c.scroll || c.no_scroll || c.hold || c.binary);
    assert_string_equal(sql + c.query_off, "SELECT 1");
    csql_free(&c);

    sql = "declare \"My \"\"Cur\"\"\" binary insensitive no scroll cursor with hold for "
          "values ($1)";
    assert_int_equal(parse(sql, &c, &state), 1);
    assert_string_equal(c.name, "My \"Cur\"");
    assert_true(c.binary && c.no_scroll && c.hold);
    assert_false(c.scroll);
    assert_string_equal(sql + c.query_off, "values ($1)");
    csql_free(&c);

    sql = "DECLARE c ASENSITIVE SCROLL CURSOR WITHOUT HOLD FOR /* q */ WITH a AS (SELECT 1) "
          "SELECT * FROM a";
    assert_int_equal(parse(sql, &c, &state), 1);
    assert_true(c.scroll);
    assert_false(c.hold);
    assert_string_equal(sql + c.query_off, "WITH a AS (SELECT 1) SELECT * FROM a");
    csql_free(&c);

    /* names are truncated to 63 bytes, as PostgreSQL does */
    char longname[128];
    snprintf(longname, sizeof longname, "DECLARE a%070d CURSOR FOR SELECT 1", 7);
    assert_int_equal(parse(longname, &c, &state), 1);
    assert_int_equal(strlen(c.name), 63);
    csql_free(&c);

    expect_error("DECLARE", "42601");
    expect_error("DECLARE c", "42601");
    expect_error("DECLARE c CURSOR", "42601");
    expect_error("DECLARE c CURSOR FOR", "42601");
    expect_error("DECLARE c CURSOR WITH FOR SELECT 1", "42601");
    expect_error("DECLARE c NO CURSOR FOR SELECT 1", "42601");
    expect_error("DECLARE 'c' CURSOR FOR SELECT 1", "42601");
    expect_error("DECLARE c SCROLL NO SCROLL CURSOR FOR SELECT 1", "42P11");
    expect_error("DECLARE c INSENSITIVE ASENSITIVE CURSOR FOR SELECT 1", "42P11");
}

static void test_fetch_directions(void **unused)
{
    (void)unused;
    expect_fetch("FETCH c", CSQL_FETCH, CSQL_FORWARD, 1, "c");
    expect_fetch("fetch next from c", CSQL_FETCH, CSQL_FORWARD, 1, "c");
    expect_fetch("FETCH FROM c", CSQL_FETCH, CSQL_FORWARD, 1, "c");
    expect_fetch("FETCH IN \"C\"", CSQL_FETCH, CSQL_FORWARD, 1, "C");
    expect_fetch("FETCH PRIOR c", CSQL_FETCH, CSQL_BACKWARD, 1, "c");
    expect_fetch("FETCH FIRST IN c", CSQL_FETCH, CSQL_ABSOLUTE, 1, "c");
    expect_fetch("FETCH LAST c", CSQL_FETCH, CSQL_ABSOLUTE, -1, "c");
    expect_fetch("FETCH ABSOLUTE -3 FROM c", CSQL_FETCH, CSQL_ABSOLUTE, -3, "c");
    expect_fetch("FETCH ABSOLUTE 0 c", CSQL_FETCH, CSQL_ABSOLUTE, 0, "c");
    expect_fetch("FETCH RELATIVE +2 c", CSQL_FETCH, CSQL_RELATIVE, 2, "c");
    expect_fetch("FETCH 7 c", CSQL_FETCH, CSQL_FORWARD, 7, "c");
    expect_fetch("FETCH -7 IN c", CSQL_FETCH, CSQL_FORWARD, -7, "c");
    expect_fetch("FETCH ALL c", CSQL_FETCH, CSQL_FORWARD, CSQL_ALL, "c");
    expect_fetch("FETCH FORWARD c", CSQL_FETCH, CSQL_FORWARD, 1, "c");
    expect_fetch("FETCH FORWARD 0 FROM c", CSQL_FETCH, CSQL_FORWARD, 0, "c");
    expect_fetch("FETCH FORWARD ALL IN c", CSQL_FETCH, CSQL_FORWARD, CSQL_ALL, "c");
    expect_fetch("FETCH BACKWARD c", CSQL_FETCH, CSQL_BACKWARD, 1, "c");
    expect_fetch("FETCH BACKWARD 2147483647 c", CSQL_FETCH, CSQL_BACKWARD, 2147483647, "c");
    expect_fetch("FETCH BACKWARD -2147483648 c", CSQL_FETCH, CSQL_BACKWARD, -2147483648LL, "c");
    expect_fetch("FETCH BACKWARD ALL c", CSQL_FETCH, CSQL_BACKWARD, CSQL_ALL, "c");
    expect_fetch("MOVE LAST IN c", CSQL_MOVE, CSQL_ABSOLUTE, -1, "c");
    expect_fetch("move backward all c", CSQL_MOVE, CSQL_BACKWARD, CSQL_ALL, "c");
    expect_fetch("FETCH next", CSQL_FETCH, CSQL_FORWARD, 1, "next"); /* a lone word: the name */

    expect_error("FETCH", "42601");
    expect_fetch("FETCH FORWARD", CSQL_FETCH, CSQL_FORWARD, 1, "forward");
    expect_error("FETCH ALL", "42601");
    expect_error("FETCH IN", "42601");
    expect_error("FETCH NEXT FROM", "42601");
    expect_error("FETCH 1.5 c", "42601");
    expect_error("FETCH 2147483648 c", "42601");
    expect_error("FETCH FORWARD 99999999999 c", "42601");
    expect_error("FETCH ABSOLUTE c", "42601");
    expect_error("FETCH c d", "42601");
    expect_error("FETCH NEXT FROM c extra", "42601");
    expect_error("MOVE 'c'", "42601");
    expect_error("FETCH c 'unterminated", "42601");
}

static void test_close_and_others(void **unused)
{
    (void)unused;
    csql_t c;
    const char *state;
    assert_int_equal(parse("CLOSE c", &c, &state), 1);
    assert_int_equal(c.kind, CSQL_CLOSE);
    assert_string_equal(c.name, "c");
    csql_free(&c);
    assert_int_equal(parse("close all", &c, &state), 1);
    assert_null(c.name);
    csql_free(&c);
    expect_error("CLOSE", "42601");
    expect_error("CLOSE a b", "42601");
    assert_int_equal(parse("SELECT 1", &c, &state), 0);
    assert_int_equal(parse("", &c, &state), 0);
    assert_int_equal(parse("\"DECLARE\" x", &c, &state), 0);
    assert_int_equal(parse("-- just a comment", &c, &state), 0);
}

static const char *get_param(void *ctx, const char *name)
{
    (void)ctx;
    const compat_param_t *p = compat_param_find(name);
    return p ? p->dflt : "duckd";
}

static void test_classify(void **unused)
{
    (void)unused;
    static const struct {
        const char *sql;
        compat_action_t action;
        const char *tag;
    } cases[] = {
        {"DECLARE c CURSOR FOR SELECT version()", COMPAT_CURSOR, "DECLARE CURSOR"},
        {"FETCH 2 c", COMPAT_CURSOR, NULL},
        {"CLOSE c", COMPAT_CURSOR, "CLOSE CURSOR"},
        {"CLOSE ALL", COMPAT_CURSOR, "CLOSE CURSOR ALL"},
        {"FETCH 1.5 c", COMPAT_ERROR, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        compat_t k;
        compat_classify(cases[i].sql, strlen(cases[i].sql), get_param, NULL, &k);
        assert_int_equal(k.action, cases[i].action);
        if (cases[i].tag)
            assert_string_equal(k.tag, cases[i].tag);
        if (k.action == COMPAT_CURSOR)
            assert_non_null(k.cursor);
        compat_free(&k);
    }
    /* DECLARE's query is rewritten like any statement passed to DuckDB */
    compat_t k;
    const char *sql = "DECLARE c CURSOR FOR SELECT version()";
    compat_classify(sql, strlen(sql), get_param, NULL, &k);
    assert_non_null(k.sql);
    assert_null(strstr(k.sql, "version()"));
    assert_int_equal(k.cursor->kind, CSQL_DECLARE);
    compat_free(&k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_declare),
        cmocka_unit_test(test_fetch_directions),
        cmocka_unit_test(test_close_and_others),
        cmocka_unit_test(test_classify),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
