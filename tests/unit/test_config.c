/* Config tests: defaults, each source, precedence flag > env > file > default, storage-mode
 * flags, [duckdb] pass-through with origins, sizes, and every error message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/config.h"
#include "config/config_internal.h"

static char ini_path[64];

static void write_ini(const char *text)
{
    strcpy(ini_path, "/tmp/duckd-test-XXXXXX");
    int fd = mkstemp(ini_path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

static int load(cfg_t *cfg, uerr_t *err, char **env, int argc, ...)
{
    char *argv[32] = {"duckd"};
    va_list ap;
    va_start(ap, argc);
    for (int i = 0; i < argc; i++)
        argv[i + 1] = va_arg(ap, char *);
    va_end(ap);
    return cfg_load(cfg, argc + 1, argv, env, err);
}

static void test_defaults(void **state)
{
    cfg_t c;
    uerr_t err = UERR_INIT;
    char *env[] = {NULL};
    assert_int_equal(load(&c, &err, env, 0), CFG_ACTION_RUN);
    assert_string_equal(c.db, "./duckd.duckdb");
    assert_int_equal(c.mode, CFG_MODE_PERSISTENT);
    assert_int_equal(c.port, 5433);
    assert_string_equal(c.listen, "127.0.0.1");
    assert_string_equal(c.socket_dir, "/tmp");
    assert_int_equal(c.max_connections, 100);
    assert_int_equal(c.max_message_size, 64 << 20);
    assert_int_equal(c.output_buffer, 256 << 10);
    assert_false(c.read_only);
    assert_int_equal(c.nduckdb, 0);
    cfg_free(&c);
}

static void test_precedence(void **state)
{
    cfg_t c;
    uerr_t err = UERR_INIT;
    write_ini("[server]\nport = 6000\nmax_connections = 7\nlog_level = debug\n"
              "[duckdb]\nthreads = 2\nmemory_limit = 1GB\n");
    char cfgenv[128];
    snprintf(cfgenv, sizeof cfgenv, "DUCKD_CONFIG=%s", ini_path);
    char *env[] = {cfgenv, "DUCKD_PORT=6001", "DUCKD_MAX_CONNECTIONS=8", "DUCKD_THREADS=3", NULL};
    assert_int_equal(load(&c, &err, env, 2, "--port", "6002"), CFG_ACTION_RUN);
    assert_int_equal(c.port, 6002);            /* flag */
    assert_int_equal(c.max_connections, 8);    /* env */
    assert_string_equal(c.log_level, "debug"); /* file */
    assert_int_equal(c.shutdown_grace, 10);    /* default */
    assert_int_equal(c.nduckdb, 2);
    assert_string_equal(c.duckdb[0].key, "memory_limit");
    assert_string_equal(c.duckdb[1].key, "threads");
    assert_string_equal(c.duckdb[1].value, "3");
    assert_string_equal(c.duckdb[1].origin, "env DUCKD_THREADS");
    cfg_free(&c);
    unlink(ini_path);
}

static void test_modes(void **state)
{
    cfg_t c;
    uerr_t err = UERR_INIT;
    char *env[] = {NULL};
    assert_int_equal(load(&c, &err, env, 1, "--memory"), CFG_ACTION_RUN);
    assert_int_equal(c.mode, CFG_MODE_MEMORY);
    cfg_free(&c);
    assert_int_equal(load(&c, &err, env, 1, "--ephemeral"), CFG_ACTION_RUN);
    assert_int_equal(c.mode, CFG_MODE_EPHEMERAL);
    cfg_free(&c);
    assert_int_equal(load(&c, &err, env, 3, "--db=x.duckdb", "--read-only", "--port=1"),
                     CFG_ACTION_RUN);
    assert_int_equal(c.mode, CFG_MODE_PERSISTENT);
    assert_string_equal(c.db, "x.duckdb");
    assert_true(c.read_only);
    cfg_free(&c);
    assert_int_equal(load(&c, &err, env, 2, "--memory", "--read-only"), -1);
    assert_non_null(strstr(err.message, "read_only"));
    uerr_clear(&err);
    assert_int_equal(load(&c, &err, env, 3, "--memory", "--db", "x"), -1);
    assert_non_null(strstr(err.message, "conflicts"));
    uerr_clear(&err);
    assert_int_equal(load(&c, &err, env, 1, "--help"), CFG_ACTION_HELP);
    cfg_free(&c);
    assert_int_equal(load(&c, &err, env, 1, "--print-config"), CFG_ACTION_PRINT_CONFIG);
    cfg_free(&c);
}

static void expect_error(char **env, const char *ini, const char *want, int argc, char *a1)
{
    cfg_t c;
    uerr_t err = UERR_INIT;
    char cfgarg[128];
    if (ini) {
        write_ini(ini);
        snprintf(cfgarg, sizeof cfgarg, "--config=%s", ini_path);
        a1 = cfgarg;
        argc = 1;
    }
    assert_int_equal(load(&c, &err, env, argc, a1), -1);
    if (!strstr(err.message, want))
        fail_msg("want \"%s\" in \"%s\"", want, err.message);
    uerr_clear(&err);
    if (ini)
        unlink(ini_path);
}

static void test_errors(void **state)
{
    char *none[] = {NULL};
    expect_error(none, "[server]\nport = 1\nprot = 2\n", ":3: unknown key \"prot\" in section [server]", 0, NULL);
    expect_error(none, "[server]\nport = abc\n", ":2: invalid integer \"abc\" for port", 0, NULL);
    expect_error(none, "[server]\nport = 70000\n", "out of range \"70000\" for port", 0, NULL);
    expect_error(none, "[server]\nmax_message_size = 12 parsecs\n", "invalid size", 0, NULL);
    expect_error(none, "[server]\nlog_statements = maybe\n", "invalid boolean", 0, NULL);
    expect_error(none, "[server]\nmode = cloud\n", "invalid value \"cloud\" for mode", 0, NULL);
    expect_error(none, "[srv]\nport = 1\n", ":2: unknown section [srv]", 0, NULL);
    expect_error(none, "[server]\nport = 1\nport = 2\n", ":3: key \"port\" is set twice", 0, NULL);
    expect_error(none, "[server]\nport\n", "syntax error", 0, NULL);
    expect_error(none, NULL, "unknown option --frob", 1, "--frob");
    expect_error(none, NULL, "missing value for --port", 1, "--port");
    char *bad_env[] = {"DUCKD_PORT=x", NULL};
    expect_error(bad_env, NULL, "env DUCKD_PORT: invalid integer \"x\"", 0, NULL);
    expect_error(none, NULL, "cannot open config file", 1, "--config=/nonexistent/duckd.ini");
}

static void test_sizes_and_passthrough(void **state)
{
    cfg_t c;
    uerr_t err = UERR_INIT;
    const char *ini = "[server]\nmax_message_size = 16KiB\noutput_buffer = 1MB\n"
                      "[duckdb]\nsome_option = x\n";
    assert_int_equal(cfg__load_text(&c, ini, strlen(ini), &err), CFG_ACTION_RUN);
    assert_int_equal(c.max_message_size, 16384);
    assert_int_equal(c.output_buffer, 1 << 20);
    assert_int_equal(c.nduckdb, 1);
    assert_string_equal(c.duckdb[0].key, "some_option");
    assert_string_equal(c.duckdb[0].origin, "fuzz.ini:5");
    cfg_free(&c);
}

static void test_generated_docs_cover_every_key(void **state)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cfg_print_markdown(f);
    cfg_print_help(f, "duckd");
    fclose(f);
    const char *keys[] = {"db", "mode", "read_only", "init", "listen", "port", "socket_dir",
                          "max_connections", "max_message_size", "output_buffer",
                          "shutdown_grace", "log_statements", "memory_limit", "threads",
                          "temp_directory", "DUCKD_PORT", "--memory-limit"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (!strstr(buf, keys[i]))
            fail_msg("%s missing from generated docs", keys[i]);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_precedence),
        cmocka_unit_test(test_modes),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_sizes_and_passthrough),
        cmocka_unit_test(test_generated_docs_cover_every_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
