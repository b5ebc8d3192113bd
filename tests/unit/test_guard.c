/* Unit tests for the guard (session/guard.c): which SETs become session-scoped statements,
 * which are refused and with which SQLSTATE, and which statements each role may run. Pure:
 * statement kinds are given as DuckDB would report them; no database is involved. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "session/compat.h"
#include "session/guard.h"

static bool known(const char *name)
{
    return strcmp(name, "lock_configuration") == 0 || strcmp(name, "enable_logging") == 0 ||
           strcmp(name, "memory_limit") == 0;
}

static guard_ctx_t ctx(guard_role_t role)
{
    guard_ctx_t g = {role, false, "memory", "u", known};
    return g;
}

static const char *get_param(void *c, const char *name)
{
    (void)c, (void)name;
    return "";
}

/* Runs guard_set on sql; returns the SQLSTATE ("" on success) and the statement in *out. */
static const char *set_of(guard_role_t role, const char *sql, char *out, size_t size, bool *global)
{
    static char state[6];
    compat_t c;
    guard_ctx_t g = ctx(role);
    uerr_t err = UERR_INIT;
    ubuf_t b = UBUF_INIT;
    compat_classify(sql, strlen(sql), get_param, NULL, &c);
    assert_int_equal(c.action, COMPAT_DUCKDB_SET);
    state[0] = '\0';
    if (guard_set(&g, &c, &b, global, &err) != 0)
        snprintf(state, sizeof state, "%s", err.sqlstate);
    else
        snprintf(out, size, "%s", ubuf_cstr(&b));
    ubuf_free(&b);
    uerr_clear(&err);
    compat_free(&c);
    return state;
}

static void test_set_becomes_session_scoped(void **state)
{
    (void)state;
    char out[256];
    bool global;
    assert_string_equal(
        set_of(GUARD_ROLE_READ_ONLY, "SET default_order = 'desc'", out, sizeof out, &global), "");
    assert_string_equal(out, "SET SESSION default_order = 'desc'");
    assert_false(global);
    assert_string_equal(
        set_of(GUARD_ROLE_READ_WRITE, "RESET default_null_order", out, sizeof out, &global), "");
    assert_string_equal(out, "RESET SESSION default_null_order");
    assert_string_equal(
        set_of(GUARD_ROLE_READ_WRITE, "PRAGMA integer_division = true", out, sizeof out, &global),
        "");
    assert_string_equal(out, "SET SESSION integer_division = true");
}

static void test_server_wide_settings_refused(void **state)
{
    (void)state;
    char out[256];
    bool global;
    static const char *const sqls[] = {
        "SET memory_limit = '1GB'",
        "RESET memory_limit",
        "SET threads TO 1",
        "SET GLOBAL threads = 1",
        "ALTER SYSTEM SET threads = 1",
        "SET lock_configuration = false",
        "SET enable_logging = true",
        "PRAGMA threads = 2",
        "SET max_expression_depth = 100000",
        "SET max_expression_depth = '100000'",
        "SET max_expression_depth = 1e6",
        "SET max_expression_depth TO '  2000'",
    };
    for (size_t i = 0; i < sizeof sqls / sizeof sqls[0]; i++)
        assert_string_equal(set_of(GUARD_ROLE_READ_WRITE, sqls[i], out, sizeof out, &global),
                            "42501");
    assert_string_equal(set_of(GUARD_ROLE_READ_WRITE, "SET nope_xyz = 1", out, sizeof out, &global),
                        "42704");
    assert_string_equal(
        set_of(GUARD_ROLE_READ_WRITE, "SET default_order = (SELECT 1)", out, sizeof out, &global),
        "22023");
    assert_string_equal(set_of(GUARD_ROLE_READ_WRITE, "SET \"a;b\" = 1", out, sizeof out, &global),
                        "42704");
}

static void test_admin_needs_the_global_form(void **state)
{
    (void)state;
    char out[256];
    bool global;
    assert_string_equal(set_of(GUARD_ROLE_ADMIN, "SET threads = 1", out, sizeof out, &global),
                        "42501");
    assert_string_equal(
        set_of(GUARD_ROLE_ADMIN, "ALTER SYSTEM SET threads = 1", out, sizeof out, &global), "");
    assert_string_equal(out, "SET GLOBAL threads = 1");
    assert_true(global);
    assert_string_equal(
        set_of(GUARD_ROLE_ADMIN, "SET GLOBAL lock_configuration = false", out, sizeof out, &global),
        "55P02");
    assert_string_equal(
        set_of(GUARD_ROLE_ADMIN, "SET max_expression_depth = 5000", out, sizeof out, &global), "");
}

static void test_expression_depth_may_only_be_lowered(void **state)
{
    (void)state;
    char out[256];
    bool global;
    static const char *const ok[] = {
        "SET max_expression_depth = 500", "SET max_expression_depth TO '1000'",
        "SET max_expression_depth = 0100", "RESET max_expression_depth"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        assert_string_equal(set_of(GUARD_ROLE_READ_WRITE, ok[i], out, sizeof out, &global), "");
    assert_string_equal(set_of(GUARD_ROLE_READ_WRITE, "SET max_expression_depth = '00001001'", out,
                               sizeof out, &global),
                        "42501");
    /* not a literal at all: refused before the depth is read */
    assert_string_not_equal(
        set_of(GUARD_ROLE_READ_WRITE, "SET max_expression_depth = +5000", out, sizeof out, &global),
        "");
}

static const char *stmt(guard_role_t role, bool read_only_db, eng_kind_t kind, const char *sql)
{
    static char state[6];
    guard_ctx_t g = ctx(role);
    uerr_t err = UERR_INIT;
    g.db_read_only = read_only_db;
    state[0] = '\0';
    if (guard_statement(&g, kind, ENG_KIND_OTHER, false, sql, strlen(sql), &err) != 0)
        snprintf(state, sizeof state, "%s", err.sqlstate);
    uerr_clear(&err);
    return state;
}

static void test_statements_by_role(void **state)
{
    (void)state;
    const guard_role_t rw = GUARD_ROLE_READ_WRITE, ro = GUARD_ROLE_READ_ONLY, ad = GUARD_ROLE_ADMIN;
    assert_string_equal(stmt(rw, false, ENG_KIND_SELECT, "SELECT 1"), "");
    assert_string_equal(stmt(rw, false, ENG_KIND_SET, "SET threads = 1"), "42501");
    assert_string_equal(stmt(rw, false, ENG_KIND_ATTACH, "ATTACH ':memory:' AS o"), "42501");
    assert_string_equal(stmt(ad, false, ENG_KIND_ATTACH, "ATTACH ':memory:' AS o"), "");
    assert_string_equal(stmt(ad, false, ENG_KIND_DETACH, "DETACH memory"), "55006");
    assert_string_equal(stmt(ad, false, ENG_KIND_DETACH, "DETACH DATABASE IF EXISTS \"Memory\""),
                        "55006");
    assert_string_equal(stmt(ad, false, ENG_KIND_ATTACH, "ATTACH OR REPLACE '/x/memory.db'"),
                        "55006");
    assert_string_equal(stmt(ad, false, ENG_KIND_DETACH, "DETACH o"), "");
    assert_string_equal(stmt(rw, false, ENG_KIND_COPY, "COPY t TO '/tmp/x'"), "42501");
    assert_string_equal(stmt(rw, false, ENG_KIND_COPY, "COPY (SELECT 1 FROM t) TO '/tmp/x'"),
                        "42501");
    assert_string_equal(stmt(rw, false, ENG_KIND_COPY, "COPY t FROM '/data/x.csv'"), "");
    assert_string_equal(stmt(rw, false, ENG_KIND_COPY, "COPY FROM DATABASE a TO b"), "42501");
    assert_string_equal(stmt(ro, false, ENG_KIND_COPY, "COPY t FROM '/data/x.csv'"), "25006");
    assert_string_equal(stmt(ad, true, ENG_KIND_COPY, "COPY t TO '/tmp/x'"), "25006");
    assert_string_equal(stmt(ad, true, ENG_KIND_ATTACH, "ATTACH 'x.db'"), "25006");
    assert_string_equal(stmt(rw, false, ENG_KIND_LOAD, "INSTALL httpfs"), "42501");
    assert_string_equal(stmt(rw, false, ENG_KIND_CALL, "CHECKPOINT"), "42501");
    assert_string_equal(stmt(rw, false, ENG_KIND_CALL, "CALL enable_logging()"), "42501");
    assert_string_equal(stmt(rw, false, ENG_KIND_CALL, "CALL pragma_version()"), "");
    assert_string_equal(
        stmt(rw, false, ENG_KIND_SELECT, "SELECT * FROM system.main.\"Query\" ('select 1')"),
        "42501");
    assert_string_equal(stmt(rw, false, ENG_KIND_SELECT, "SELECT query FROM t -- query("), "");
    assert_string_equal(stmt(rw, false, ENG_KIND_SELECT, "SELECT 'query(' AS x"), "");
    assert_string_equal(stmt(rw, false, ENG_KIND_PRAGMA, "PRAGMA enable_profiling"), "42501");
    assert_string_equal(stmt(rw, false, ENG_KIND_CREATE, "CREATE OR REPLACE SECRET s (TYPE x)"),
                        "42501");
    assert_string_equal(stmt(ro, false, ENG_KIND_INSERT, "INSERT INTO t VALUES (1)"), "25006");
    assert_string_equal(stmt(ro, false, ENG_KIND_CREATE, "CREATE TEMP TABLE x (a INT)"), "25006");
    assert_string_equal(stmt(ro, false, ENG_KIND_SELECT, "SELECT nextval('s')"), "25006");
    assert_string_equal(stmt(ro, false, ENG_KIND_SELECT, "SELECT * FROM t"), "");
    assert_string_equal(stmt(ro, false, ENG_KIND_TRANSACTION, "BEGIN"), "");
}

static void test_inner_statement(void **state)
{
    (void)state;
    const char *a = "EXPLAIN ANALYZE INSERT INTO t VALUES (1)";
    assert_string_equal(a + guard_inner_statement(a, strlen(a)), " INSERT INTO t VALUES (1)");
    const char *b = "PREPARE p AS ATTACH ':memory:'";
    assert_string_equal(b + guard_inner_statement(b, strlen(b)), " ATTACH ':memory:'");
    const char *c = "EXPLAIN (FORMAT json) SELECT 1";
    assert_string_equal(c + guard_inner_statement(c, strlen(c)), " SELECT 1");
    assert_int_equal(guard_inner_statement("SELECT 1", 8), 0);
}

static void test_redaction(void **state)
{
    (void)state;
    const char *s = "CREATE SECRET x (TYPE s3, SECRET 'hunter2', KEY_ID 'abc')";
    ubuf_t b = UBUF_INIT;
    assert_true(guard_is_sensitive(s, strlen(s)));
    guard_redact(s, strlen(s), &b);
    assert_string_equal(ubuf_cstr(&b), "CREATE SECRET x (TYPE s3, SECRET '***', KEY_ID '***')");
    ubuf_free(&b);
    assert_false(guard_is_sensitive("SELECT 'x'", 10));
    const char *u = "ATTACH 'x' (ENCRYPTION_KEY 'k";
    assert_true(guard_is_sensitive(u, strlen(u)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set_becomes_session_scoped),
        cmocka_unit_test(test_server_wide_settings_refused),
        cmocka_unit_test(test_admin_needs_the_global_form),
        cmocka_unit_test(test_expression_depth_may_only_be_lowered),
        cmocka_unit_test(test_statements_by_role),
        cmocka_unit_test(test_inner_statement),
        cmocka_unit_test(test_redaction),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
