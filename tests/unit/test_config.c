/* Config tests: defaults, each source alone, precedence flag > env > file > default, storage
 * modes, actions, [duckdb] pass-through with origins, typed values, every error message, and
 * the generated --help / --print-config / Markdown output. Temporary INI files live in a
 * mkdtemp directory removed at the end. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/config.h"
#include "config/config_internal.h"

static char tmpdir[64];
static char ini_path[128];

static int group_setup(void **state)
{
    strcpy(tmpdir, "/tmp/duckd-test-config-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int group_teardown(void **state)
{
    DIR *d = opendir(tmpdir);
    struct dirent *e;
    char path[512];
    while (d && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            snprintf(path, sizeof path, "%s/%s", tmpdir, e->d_name);
            unlink(path);
        }
    }
    if (d)
        closedir(d);
    return rmdir(tmpdir);
}

/* Writes text (len bytes) to <tmpdir>/name and leaves its path in ini_path. */
static const char *write_file(const char *name, const char *text, size_t len)
{
    snprintf(ini_path, sizeof ini_path, "%s/%s", tmpdir, name);
    FILE *f = fopen(ini_path, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    return ini_path;
}

static const char *write_ini(const char *text)
{
    return write_file("duckd.ini", text, strlen(text));
}

/* cfg_load with env (NULL-terminated) and the NULL-terminated arguments after "duckd". */
static int load(cfg_t *c, uerr_t *err, char **env, ...)
{
    char *argv[32] = {"duckd"};
    int argc = 1;
    va_list ap;
    va_start(ap, env);
    while (argc < 31 && (argv[argc] = va_arg(ap, char *)) != NULL)
        argc++;
    va_end(ap);
    return cfg_load(c, argc, argv, env, err);
}

static bool is_zeroed(const cfg_t *c)
{
    static const cfg_t zero;
    return memcmp(c, &zero, sizeof zero) == 0;
}

static char *no_env[] = {NULL};

/* ---- defaults and single sources ---- */

static void test_defaults(void **state)
{
    cfg_t c;
    uerr_t err = UERR_INIT;
    assert_int_equal(load(&c, &err, no_env, NULL), CFG_ACTION_RUN);
    assert_string_equal(c.db, "./duckd.duckdb");
    assert_int_equal(c.mode, CFG_MODE_PERSISTENT);
    assert_false(c.read_only);
    assert_string_equal(c.init, "");
    assert_string_equal(c.listen, "127.0.0.1");
    assert_int_equal(c.port, 5433);
    assert_string_equal(c.socket_dir, "/tmp");
    assert_string_equal(c.ephemeral_dir, "");
    assert_int_equal(c.max_connections, 100);
    assert_int_equal(c.max_message_size, 64 << 20);
    assert_int_equal(c.output_buffer, 256 << 10);
    assert_int_equal(c.shutdown_grace, 10);
    assert_false(c.log_statements);
    assert_string_equal(c.log_level, "info");
    assert_int_equal(c.nduckdb, 0);
    assert_null(c.config_file);
    for (int i = 0; i < CFG_NSERVER; i++)
        assert_string_equal(c.src[i].origin, "default");
    assert_string_equal(c.src[CFG_KEY_max_message_size].text, "64MB");
    assert_false(uerr_isset(&err));
    cfg_free(&c);
    assert_true(is_zeroed(&c));
    cfg_free(&c); /* idempotent */
}

/* MILLIS settings take PostgreSQL's units and default to milliseconds. */
static void test_millis_settings(void **state)
{
    cfg_t c;
    uerr_t err = UERR_INIT;
    assert_int_equal(load(&c, &err, no_env, "--statement-timeout", "1.5", NULL), -1);
    assert_non_null(strstr(err.message, "invalid duration \"1.5\" for statement_timeout"));
    assert_non_null(strstr(err.message, "0..2147483647 milliseconds"));
    uerr_clear(&err);
    assert_int_equal(load(&c, &err, no_env, "--statement-timeout", "250", "--idle-session-timeout",
                          "2min", "--idle-in-transaction-session-timeout", "3s", NULL),
                     CFG_ACTION_RUN);
    assert_int_equal(c.statement_timeout, 250);
    assert_int_equal(c.idle_session_timeout, 120000);
    assert_int_equal(c.idle_in_transaction_session_timeout, 3000);
    assert_int_equal(c.authentication_timeout, 60);
    assert_int_equal(c.max_startup_connections, 256);
    cfg_free(&c);
}

static void test_file_only(void **state)
{
    cfg_t c;
    uerr_t err = UERR_INIT;
    const char *path = write_ini("; comment\n# comment\n[server]\nport = 6000\nlisten = \"\"\n"
                                 "log_level = DEBUG\nmode: ephemeral\nshutdown_grace = 2m\n");
    assert_int_equal(load(&c, &err, no_env, "--config", path, NULL), CFG_ACTION_RUN);
    assert_int_equal(c.port, 6000);
    assert_string_equal(c.listen, "");
    assert_string_equal(c.log_level, "debug");
    assert_int_equal(c.mode, CFG_MODE_EPHEMERAL);
    assert_int_equal(c.shutdown_grace, 120);
    assert_string_equal(c.config_file, path);
    char want[256];
    snprintf(want, sizeof want, "%s:4", path);
    assert_string_equal(c.src[CFG_KEY_port].origin, want);
    snprintf(want, sizeof want, "%s:8", path);
    assert_string_equal(c.src[CFG_KEY_shutdown_grace].origin, want);
    assert_string_equal(c.src[CFG_KEY_shutdown_grace].text, "2m");
    assert_string_equal(c.src[CFG_KEY_db].origin, "default");
    cfg_free(&c);
}

static void test_env_only(void **state)
{
    cfg_t c;
    uerr_t err = UERR_INIT;
    char *env[] = {"HOME=/root",
                   "DUCKD_PORT=6001",
                   "DUCKD_LOG_STATEMENTS=on",
                   "DUCKD_LISTEN=",
                   "DUCKD_OUTPUT_BUFFER=1MiB",
                   "DUCKD_BIN=/x/duckd",
                   "DUCKD_MODE=memory",
                   NULL};
    assert_int_equal(load(&c, &err, env, NULL), CFG_ACTION_RUN);
    assert_int_equal(c.port, 6001);
    assert_true(c.log_statements);
    assert_string_equal(c.listen, "");
    assert_int_equal(c.output_buffer, 1 << 20);
    assert_int_equal(c.mode, CFG_MODE_MEMORY);
    assert_string_equal(c.src[CFG_KEY_port].origin, "env DUCKD_PORT");
    assert_string_equal(c.src[CFG_KEY_listen].origin, "env DUCKD_LISTEN");
    cfg_free(&c);
}

static void test_flags_only(void **state)
{
    cfg_t c;
    uerr_t err = UERR_INIT;
    assert_int_equal(load(&c, &err, no_env, "--port", "6002", "--listen=0.0.0.0",
                          "--log-statements", "--max-connections=7", "--shutdown-grace", "0",
                          "--log-level", "warning", "--socket-dir=", "--init", "x.sql",
                          "--max-message-size", "1KB", "--output-buffer=8KB", NULL),
                     CFG_ACTION_RUN);
    assert_int_equal(c.port, 6002);
    assert_string_equal(c.listen, "0.0.0.0");
    assert_true(c.log_statements);
    assert_int_equal(c.max_connections, 7);
    assert_int_equal(c.shutdown_grace, 0);
    assert_string_equal(c.log_level, "warning");
    assert_string_equal(c.socket_dir, "");
    assert_string_equal(c.init, "x.sql");
    assert_int_equal(c.max_message_size, 1024);
    assert_int_equal(c.output_buffer, 8192);
    assert_string_equal(c.src[CFG_KEY_port].origin, "--port");
    assert_string_equal(c.src[CFG_KEY_log_statements].text, "true");
    cfg_free(&c);
    /* booleans take an inline value too; the last occurrence of a flag wins */
    assert_int_equal(load(&c, &err, no_env, "--log-statements", "--log-statements=off", "--port",
                          "1", "--port", "2", NULL),
                     CFG_ACTION_RUN);
    assert_false(c.log_statements);
    assert_int_equal(c.port, 2);
    cfg_free(&c);
}

/* ---- precedence ---- */

static void test_precedence(void **state)
{
    cfg_t c;
    uerr_t err = UERR_INIT;
    const char *path = write_ini("[server]\nport = 6000\nmax_connections = 7\nlog_level = debug\n"
                                 "listen = 10.0.0.1\n[duckdb]\nthreads = 2\nmemory_limit = 1GB\n"
                                 "temp_directory = /file\n");
    char cfgenv[256];
    snprintf(cfgenv, sizeof cfgenv, "DUCKD_CONFIG=%s", path);
    char *env[] = {cfgenv,
                   "DUCKD_PORT=6001",
                   "DUCKD_MAX_CONNECTIONS=8",
                   "DUCKD_THREADS=3",
                   "DUCKD_MEMORY_LIMIT=2GB",
                   NULL};
    /* flags before and after nothing in particular: order does not matter */
    assert_int_equal(load(&c, &err, env, "--threads=4", "--port", "6002", NULL), CFG_ACTION_RUN);
    assert_int_equal(c.port, 6002); /* flag > env > file */
    assert_string_equal(c.src[CFG_KEY_port].origin, "--port");
    assert_int_equal(c.max_connections, 8); /* env > file */
    assert_string_equal(c.src[CFG_KEY_max_connections].origin, "env DUCKD_MAX_CONNECTIONS");
    assert_string_equal(c.log_level, "debug"); /* file > default */
    assert_string_equal(c.listen, "10.0.0.1");
    assert_int_equal(c.shutdown_grace, 10); /* default */
    assert_string_equal(c.config_file, path);
    assert_int_equal(c.nduckdb, 3); /* table order: memory_limit, threads, temp_directory */
    assert_string_equal(c.duckdb[0].key, "memory_limit");
    assert_string_equal(c.duckdb[0].value, "2GB");
    assert_string_equal(c.duckdb[0].origin, "env DUCKD_MEMORY_LIMIT");
    assert_string_equal(c.duckdb[1].key, "threads");
    assert_string_equal(c.duckdb[1].value, "4");
    assert_string_equal(c.duckdb[1].origin, "--threads");
    assert_string_equal(c.duckdb[2].key, "temp_directory");
    assert_string_equal(c.duckdb[2].value, "/file");
    char want[256];
    snprintf(want, sizeof want, "%s:9", path);
    assert_string_equal(c.duckdb[2].origin, want);
    cfg_free(&c);
}

static void test_config_file_selection(void **state)
{
    cfg_t c;
    uerr_t err = UERR_INIT;
    char a[256], cfgenv[300];
    snprintf(a, sizeof a, "%s", write_file("a.ini", "[server]\nport = 1111\n", 21));
    const char *b = write_file("b.ini", "[server]\nport = 2222\n", 21);
    snprintf(cfgenv, sizeof cfgenv, "DUCKD_CONFIG=%s", a);
    char *env[] = {cfgenv, NULL};
    assert_int_equal(load(&c, &err, env, NULL), CFG_ACTION_RUN);
    assert_int_equal(c.port, 1111);
    cfg_free(&c);
    assert_int_equal(load(&c, &err, env, "--config", b, NULL), CFG_ACTION_RUN); /* flag wins */
    assert_int_equal(c.port, 2222);
    assert_string_equal(c.config_file, b);
    cfg_free(&c);
    char *empty[] = {"DUCKD_CONFIG=", NULL}; /* empty: no file */
    assert_int_equal(load(&c, &err, empty, NULL), CFG_ACTION_RUN);
    assert_null(c.config_file);
    cfg_free(&c);
}

/* ---- storage modes ---- */

static void test_modes(void **state)
{
    cfg_t c;
    uerr_t err = UERR_INIT;
    assert_int_equal(load(&c, &err, no_env, "--memory", NULL), CFG_ACTION_RUN);
    assert_int_equal(c.mode, CFG_MODE_MEMORY);
    assert_string_equal(c.src[CFG_KEY_mode].origin, "--memory");
    cfg_free(&c);
    assert_int_equal(load(&c, &err, no_env, "--ephemeral", "--ephemeral", NULL), CFG_ACTION_RUN);
    assert_int_equal(c.mode, CFG_MODE_EPHEMERAL);
    cfg_free(&c);
    /* --db selects persistent mode even over a file's and the environment's mode */
    const char *path = write_ini("[server]\nmode = memory\n");
    char *env[] = {"DUCKD_MODE=ephemeral", NULL};
    assert_int_equal(load(&c, &err, env, "--config", path, "--db=x.duckdb", "--read-only", NULL),
                     CFG_ACTION_RUN);
    assert_int_equal(c.mode, CFG_MODE_PERSISTENT);
    assert_string_equal(c.src[CFG_KEY_mode].origin, "--db");
    assert_string_equal(c.db, "x.duckdb");
    assert_true(c.read_only);
    cfg_free(&c);
    /* without --db the environment's mode wins over the file's */
    assert_int_equal(load(&c, &err, env, "--config", path, NULL), CFG_ACTION_RUN);
    assert_int_equal(c.mode, CFG_MODE_EPHEMERAL);
    cfg_free(&c);
    /* DUCKD_DB sets the path only */
    char *dbenv[] = {"DUCKD_DB=/data/x.duckdb", "DUCKD_MODE=memory", NULL};
    assert_int_equal(load(&c, &err, dbenv, NULL), CFG_ACTION_RUN);
    assert_string_equal(c.db, "/data/x.duckdb");
    assert_int_equal(c.mode, CFG_MODE_MEMORY);
    cfg_free(&c);
    assert_string_equal(cfg_mode_name(CFG_MODE_PERSISTENT), "persistent");
    assert_string_equal(cfg_mode_name(CFG_MODE_EPHEMERAL), "ephemeral");
    assert_string_equal(cfg_mode_name(CFG_MODE_MEMORY), "memory");
}

static void expect_load_error(char **env, const char *want, ...)
{
    cfg_t c;
    uerr_t err = UERR_INIT;
    char *argv[16] = {"duckd"};
    int argc = 1;
    va_list ap;
    va_start(ap, want);
    while (argc < 15 && (argv[argc] = va_arg(ap, char *)) != NULL)
        argc++;
    va_end(ap);
    assert_int_equal(cfg_load(&c, argc, argv, env, &err), -1);
    assert_true(is_zeroed(&c));
    assert_non_null(err.message);
    if (strcmp(err.message, want) != 0)
        fail_msg("want \"%s\"\n got \"%s\"", want, err.message);
    assert_string_equal(err.sqlstate, "F0000");
    uerr_clear(&err);
    cfg_free(&c);
}

static void test_mode_errors(void **state)
{
    expect_load_error(no_env,
                      "read_only = true (from --read-only) needs persistent mode, but "
                      "mode is memory (from --memory)",
                      "--memory", "--read-only", NULL);
    char *env[] = {"DUCKD_READ_ONLY=yes", NULL};
    expect_load_error(env,
                      "read_only = true (from env DUCKD_READ_ONLY) needs persistent mode, "
                      "but mode is ephemeral (from --ephemeral)",
                      "--ephemeral", NULL);
    char path[256];
    snprintf(path, sizeof path, "%s", write_ini("[server]\nread_only = 1\nmode = memory\n"));
    char want[1024];
    snprintf(want, sizeof want,
             "read_only = true (from %s:2) needs persistent mode, but mode is "
             "memory (from %s:3)",
             path, path);
    expect_load_error(no_env, want, "--config", path, NULL);
    expect_load_error(no_env,
                      "--ephemeral conflicts with --memory (choose one of --db, "
                      "--ephemeral, --memory)",
                      "--memory", "--ephemeral", NULL);
    expect_load_error(no_env,
                      "--memory conflicts with --db (choose one of --db, --ephemeral, "
                      "--memory)",
                      "--db", "x", "--memory", NULL);
    expect_load_error(no_env,
                      "--db conflicts with --ephemeral (choose one of --db, --ephemeral, "
                      "--memory)",
                      "--ephemeral", "--db=x", NULL);
}

/* ---- actions ---- */

static void test_actions(void **state)
{
    cfg_t c;
    uerr_t err = UERR_INIT;
    const char *broken = write_ini("[server]\nprot = 1\n");
    struct {
        char *a, *b;
        int want;
    } cases[] = {
        {"--help", NULL, CFG_ACTION_HELP},
        {"-h", NULL, CFG_ACTION_HELP},
        {"--version", NULL, CFG_ACTION_VERSION},
        {"-V", NULL, CFG_ACTION_VERSION},
        {"--config-markdown", NULL, CFG_ACTION_CONFIG_MARKDOWN},
        {"--version", "--help", CFG_ACTION_HELP},
        {"--help", "--print-config", CFG_ACTION_HELP},
        {"--print-config", "--version", CFG_ACTION_VERSION},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        /* the broken file is not even read for these actions */
        assert_int_equal(load(&c, &err, no_env, "--config", broken, cases[i].a, cases[i].b, NULL),
                         cases[i].want);
        assert_true(is_zeroed(&c));
        cfg_free(&c);
    }
    assert_int_equal(load(&c, &err, no_env, "--print-config", "--port=7", NULL),
                     CFG_ACTION_PRINT_CONFIG);
    assert_int_equal(c.port, 7); /* --print-config loads everything */
    cfg_free(&c);
    assert_int_equal(load(&c, &err, no_env, "--config", broken, "--print-config", NULL), -1);
    uerr_clear(&err);
    assert_int_equal(load(&c, &err, no_env, "--help", "--frob", NULL), -1); /* argv is checked */
    uerr_clear(&err);
}

/* ---- errors ---- */

/* Loads ini through --config and expects "<path>:<line>: <msg>" (line 0: "<path>: <msg>"). */
static void expect_file_error_n(const char *ini, size_t len, int line, const char *msg)
{
    char path[256], want[1024];
    snprintf(path, sizeof path, "%s", write_file("duckd.ini", ini, len));
    if (line > 0)
        snprintf(want, sizeof want, "%s:%d: %s", path, line, msg);
    else
        snprintf(want, sizeof want, "%s", msg);
    expect_load_error(no_env, want, "--config", path, NULL);
}

static void expect_file_error(const char *ini, int line, const char *msg)
{
    expect_file_error_n(ini, strlen(ini), line, msg);
}

static void test_file_errors(void **state)
{
    expect_file_error("[server]\nport = 1\n\nprot = 2\n", 4,
                      "unknown key \"prot\" in section [server] (did you mean \"port\"?)");
    expect_file_error("[server]\nfrobnicate = 2\n", 2,
                      "unknown key \"frobnicate\" in section [server]");
    expect_file_error("[server]\nthreads = 2\n", 2,
                      "unknown key \"threads\" in section [server] "
                      "(it belongs in section [duckdb])");
    expect_file_error("[duckdb]\nport = 2\n", 2,
                      "key \"port\" belongs in section [server], not [duckdb]");
    expect_file_error("[server]\nport = 1\n[srv]\n", 3,
                      "unknown section [srv] (expected [server] or [duckdb])");
    expect_file_error("[ server ]\n", 1,
                      "unknown section [ server ] (expected [server] or [duckdb])");
    expect_file_error("port = 1\n", 1,
                      "key \"port\" is outside any section (expected [server] or [duckdb] first)");
    expect_file_error("[server]\nport = 1\nport = 2\n", 3,
                      "key \"port\" is given twice in section [server] (first on line 2)");
    expect_file_error("[server]\nport = 1\n[duckdb]\n[SERVER]\nPORT = 2\n", 5,
                      "key \"PORT\" is given twice in section [server] (first on line 2)");
    expect_file_error("[duckdb]\nsome_opt = 1\nSOME_OPT = 2\n", 3,
                      "key \"SOME_OPT\" is given twice in section [duckdb] (first on line 2)");
    expect_file_error("[duckdb]\nthreads = 1\nthreads = 1\n", 3,
                      "key \"threads\" is given twice in section [duckdb] (first on line 2)");
    expect_file_error("[server]\nport = abc\n", 2,
                      "invalid integer \"abc\" for port (expected 1..65535)");
    expect_file_error("[server]\nport = 70000\n", 2,
                      "value \"70000\" for port is out of range (1..65535)");
    expect_file_error("[server]\nport = 99999999999999999999\n", 2,
                      "value \"99999999999999999999\" for port is out of range (1..65535)");
    expect_file_error("[server]\nport = 5433 # main\n", 2,
                      "invalid integer \"5433 # main\" for "
                      "port (expected 1..65535) (a comment after a value starts with \" ;\", not "
                      "\"#\")");
    expect_file_error("[server]\nmax_message_size = 12 parsecs\n", 2,
                      "invalid size \"12 parsecs\" for max_message_size (expected a byte count "
                      "or e.g. 64MB, 16KiB; 1KB..1GB)");
    expect_file_error("[server]\noutput_buffer = 4KB\n", 2,
                      "value \"4KB\" for output_buffer is out of range (8KB..64MB)");
    expect_file_error("[server]\nlog_statements = maybe\n", 2,
                      "invalid boolean \"maybe\" for "
                      "log_statements (expected true/false, on/off, yes/no or 1/0)");
    expect_file_error("[server]\nmode = cloud\n", 2,
                      "invalid value \"cloud\" for mode (expected "
                      "persistent, ephemeral or memory)");
    expect_file_error("[server]\nshutdown_grace = soon\n", 2,
                      "invalid duration \"soon\" for "
                      "shutdown_grace (expected seconds, e.g. 10, 10s, 2m; 0..3600 seconds)");
    expect_file_error("[server]\nshutdown_grace = 2h\n", 2,
                      "value \"2h\" for shutdown_grace is "
                      "out of range (0..3600 seconds)");
    expect_file_error("[duckdb]\npreserve_insertion_order = nope\n", 2,
                      "invalid boolean \"nope\" "
                      "for preserve_insertion_order (expected true/false, on/off, yes/no or 1/0)");
    expect_file_error("[server]\nport\n", 2,
                      "syntax error (expected [server], [duckdb], key = "
                      "value or a comment)");
    expect_file_error("[server\nport = 1\n", 1,
                      "syntax error (expected [server], [duckdb], key "
                      "= value or a comment)");
    /* the first error wins: a syntax error before an unknown key */
    expect_file_error("[server]\noops\nprot = 1\n", 2,
                      "syntax error (expected [server], "
                      "[duckdb], key = value or a comment)");
    expect_file_error("[server]\nprot = 1\noops\n", 2,
                      "unknown key \"prot\" in section [server] (did you mean \"port\"?)");
    expect_file_error("[server]\nport = 1\n  listen = x\n", 3,
                      "indented line continues the "
                      "value of \"port\"; multi-line values are not supported (remove the "
                      "indentation)");
    expect_file_error("[server] port = 5\n", 1, "unexpected text after [server]: \"port = 5\"");
    expect_file_error("[server]\nlisten = \"abc\n", 2,
                      "unterminated quoted value for \"listen\" (\" ;\" starts a comment)");
    expect_file_error("[server]\n = 5\n", 2, "missing key name before \"=\"");
    expect_file_error_n("[server]\nport = 1\0x\n", 18, 2, "NUL byte in line");
    char longline[400];
    snprintf(longline, sizeof longline, "[server]\ninit = %0300d\n", 0);
    expect_file_error(longline, 2, "line longer than 199 bytes");
    expect_load_error(no_env,
                      "cannot open config file /nonexistent/duckd.ini: No such file or "
                      "directory",
                      "--config=/nonexistent/duckd.ini", NULL);
    char want[300];
    snprintf(want, sizeof want, "cannot read config file %s: Is a directory", tmpdir);
    expect_load_error(no_env, want, "--config", tmpdir, NULL);
}

static void test_env_errors(void **state)
{
    char *e1[] = {"DUCKD_PORT=abc", NULL};
    expect_load_error(e1,
                      "environment DUCKD_PORT: invalid integer \"abc\" for port (expected "
                      "1..65535)",
                      NULL);
    char *e2[] = {"DUCKD_LOG_STATEMENTS=sometimes", NULL};
    expect_load_error(e2,
                      "environment DUCKD_LOG_STATEMENTS: invalid boolean \"sometimes\" for "
                      "log_statements (expected true/false, on/off, yes/no or 1/0)",
                      NULL);
    char *e3[] = {"DUCKD_MAX_MESSAGE_SIZE=2GB", NULL};
    expect_load_error(e3,
                      "environment DUCKD_MAX_MESSAGE_SIZE: value \"2GB\" for "
                      "max_message_size is out of range (1KB..1GB)",
                      NULL);
    char *e4[] = {"DUCKD_THREADS=0", NULL};
    expect_load_error(e4,
                      "environment DUCKD_THREADS: value \"0\" for threads is out of range "
                      "(1..65536)",
                      NULL);
    char *e5[] = {"DUCKD_PORT= 5433", NULL}; /* no trimming */
    expect_load_error(e5,
                      "environment DUCKD_PORT: invalid integer \" 5433\" for port (expected "
                      "1..65535)",
                      NULL);
}

static void test_flag_errors(void **state)
{
    expect_load_error(no_env, "unknown option --frob (see --help)", "--frob", NULL);
    expect_load_error(no_env, "unknown option --frob (see --help)", "--frob=1", NULL);
    expect_load_error(no_env, "unknown option --prot (did you mean --port?)", "--prot", "1", NULL);
    expect_load_error(no_env, "unknown option --memroy (did you mean --memory?)", "--memroy", NULL);
    expect_load_error(no_env, "unknown option -x (see --help)", "-x", NULL);
    expect_load_error(no_env, "unexpected argument \"5433\" (see --help)", "5433", NULL);
    expect_load_error(no_env, "--port: missing value", "--port", NULL);
    expect_load_error(no_env, "--port: missing value", "--port", "--memory", NULL);
    expect_load_error(no_env, "--config: missing value", "--config", NULL);
    expect_load_error(no_env, "--config: empty file name", "--config=", NULL);
    expect_load_error(no_env, "--port: invalid integer \"abc\" for port (expected 1..65535)",
                      "--port", "abc", NULL);
    expect_load_error(no_env, "--port: invalid integer \"\" for port (expected 1..65535)",
                      "--port=", NULL);
    expect_load_error(no_env,
                      "--max-connections: value \"0\" for max_connections is out of range "
                      "(1..100000)",
                      "--max-connections=0", NULL);
    expect_load_error(no_env,
                      "--read-only: invalid boolean \"maybe\" for read_only (expected "
                      "true/false, on/off, yes/no or 1/0)",
                      "--read-only=maybe", NULL);
    expect_load_error(no_env, "--memory: takes no value", "--memory=yes", NULL);
    expect_load_error(no_env, "--help: takes no value", "--help=1", NULL);
    expect_load_error(no_env,
                      "--log-level: invalid value \"loud\" for log_level (expected "
                      "debug, info, warning or error)",
                      "--log-level", "loud", NULL);
}

/* ---- [duckdb] ---- */

static void test_duckdb_passthrough(void **state)
{
    cfg_t c;
    uerr_t err = UERR_INIT;
    const char *path = write_ini("[duckdb]\nzeta_option = 1\nThreads = 08\n"
                                 "enable_progress_bar = \"false\"\n\n[server]\nport = 1\n"
                                 "[duckdb]\nenable_external_access = off\nalpha = some text\n");
    char *env[] = {"DUCKD_DEFAULT_ORDER=DESC", "DUCKD_ZETA_OPTION=ignored", NULL};
    assert_int_equal(load(&c, &err, env, "--memory-limit", "4GB", "--config", path, NULL),
                     CFG_ACTION_RUN);
    struct {
        const char *key, *value;
        const char *origin; /* NULL: <path>:<line> */
        int line;
    } want[] = {
        {"memory_limit", "4GB", "--memory-limit", 0},
        {"threads", "8", NULL, 3}, /* canonical integer */
        {"default_order", "desc", "env DUCKD_DEFAULT_ORDER", 0},
        {"enable_external_access", "false", NULL, 9}, /* canonical boolean */
        {"zeta_option", "1", NULL, 2},                /* then other keys in file order */
        {"enable_progress_bar", "false", NULL, 4},    /* quotes removed */
        {"alpha", "some text", NULL, 10},
    };
    assert_int_equal(c.nduckdb, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < c.nduckdb; i++) {
        char origin[300];
        if (want[i].origin)
            snprintf(origin, sizeof origin, "%s", want[i].origin);
        else
            snprintf(origin, sizeof origin, "%s:%d", path, want[i].line);
        assert_string_equal(c.duckdb[i].key, want[i].key);
        assert_string_equal(c.duckdb[i].value, want[i].value);
        assert_string_equal(c.duckdb[i].origin, origin);
    }
    cfg_free(&c);
}

/* ---- values ---- */

static void test_sizes(void **state)
{
    struct {
        const char *text;
        int64_t bytes;
    } ok[] = {
        {"4096", 4096},
        {"0", 0},
        {"64MB", 64 << 20},
        {"16KiB", 16 << 10},
        {"1GB", 1 << 30},
        {"1gib", 1 << 30},
        {"2 kb", 2048},
        {"3K", 3072},
        {"5m", 5 << 20},
        {"7B", 7},
        {"2TB", (int64_t)2 << 40},
        {"1tib", (int64_t)1 << 40},
    };
    const char *bad[] = {"",
                         "MB",
                         "-1",
                         "1.5MB",
                         "1 MBs",
                         "64 parsecs",
                         " 64MB",
                         "64MB ",
                         "99999999999999999999",
                         "9999999999TB",
                         "0x10"};
    int64_t v;
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        assert_true(cfg__parse_size(ok[i].text, &v));
        assert_int_equal(v, ok[i].bytes);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (cfg__parse_size(bad[i], &v))
            fail_msg("\"%s\" parsed as a size", bad[i]);
    struct {
        int64_t bytes;
        const char *text;
    } fmt[] = {
        {1024, "1KB"},  {1000, "1000"},           {0, "0"}, {64 << 20, "64MB"}, {1 << 30, "1GB"},
        {1536, "1536"}, {(int64_t)3 << 40, "3TB"}};
    for (size_t i = 0; i < sizeof fmt / sizeof fmt[0]; i++) {
        ubuf_t b = UBUF_INIT;
        cfg__format_size(&b, fmt[i].bytes);
        assert_string_equal(ubuf_cstr(&b), fmt[i].text);
        ubuf_free(&b);
    }
    /* stored in bytes, printed back as given */
    cfg_t c;
    uerr_t err = UERR_INIT;
    char *env[] = {"DUCKD_MAX_MESSAGE_SIZE=16 KiB", NULL};
    assert_int_equal(load(&c, &err, env, NULL), CFG_ACTION_RUN);
    assert_int_equal(c.max_message_size, 16384);
    assert_string_equal(c.src[CFG_KEY_max_message_size].text, "16 KiB");
    cfg_free(&c);
}

static const cfg_def_t *def_of(const char *key)
{
    for (size_t i = 0; i < cfg__ndefs; i++)
        if (strcmp(cfg__defs[i].key, key) == 0)
            return &cfg__defs[i];
    fail_msg("no setting %s", key);
    return NULL;
}

static void test_values(void **state)
{
    const char *yes[] = {"true", "TRUE", "on", "On", "yes", "1"};
    const char *no[] = {"false", "off", "no", "NO", "0"};
    const char *notbool[] = {"", "2", "y", "t", "truee", "enabled"};
    const cfg_def_t *b = def_of("read_only"), *g = def_of("shutdown_grace"), *p = def_of("port"),
                    *e = def_of("log_level");
    cfg_value_t v;
    ubuf_t why = UBUF_INIT;
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        assert_true(cfg__parse_value(b, yes[i], &v, &why));
        assert_true(v.boolean);
        assert_string_equal(v.canon.data, "true");
        ubuf_free(&v.canon);
    }
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
        assert_true(cfg__parse_value(b, no[i], &v, &why));
        assert_false(v.boolean);
        ubuf_free(&v.canon);
    }
    for (size_t i = 0; i < sizeof notbool / sizeof notbool[0]; i++) {
        assert_false(cfg__parse_value(b, notbool[i], &v, &why));
        ubuf_free(&v.canon);
    }
    struct {
        const cfg_def_t *d;
        const char *text;
        int64_t num;
    } nums[] = {{g, "90", 90},    {g, "90s", 90}, {g, "2m", 120},      {g, "1h", 3600},
                {g, "1 H", 3600}, {p, "1", 1},    {p, "65535", 65535}, {p, "007", 7}};
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        assert_true(cfg__parse_value(nums[i].d, nums[i].text, &v, &why));
        assert_int_equal(v.num, nums[i].num);
        ubuf_free(&v.canon);
    }
    const char *notport[] = {"0", "-1", "65536", "+5", "5.0", "1e3", "", "0x10"};
    for (size_t i = 0; i < sizeof notport / sizeof notport[0]; i++) {
        assert_false(cfg__parse_value(p, notport[i], &v, &why));
        ubuf_free(&v.canon);
    }
    assert_true(cfg__parse_value(e, "WARNING", &v, &why));
    assert_int_equal(v.choice, 2);
    assert_string_equal(v.canon.data, "warning");
    ubuf_free(&v.canon);
    ubuf_free(&why);
}

/* ---- the table itself ---- */

static void test_table(void **state)
{
    int nserver = 0;
    for (size_t i = 0; i < cfg__ndefs; i++) {
        const cfg_def_t *d = &cfg__defs[i];
        cfg_value_t v;
        ubuf_t why = UBUF_INIT;
        if (d->dflt && !cfg__parse_value(d, d->dflt, &v, &why))
            fail_msg("default of %s: %s", d->key, ubuf_cstr(&why));
        if (d->dflt)
            ubuf_free(&v.canon);
        ubuf_free(&why);
        assert_true(d->doc && *d->doc);
        assert_true(!d->flag || strncmp(d->flag, "--", 2) == 0);
        assert_int_equal(d->section == CFG_SEC_SERVER, d->dflt != NULL);
        if (d->section == CFG_SEC_SERVER)
            assert_int_equal(d->index, nserver++);
        for (size_t j = 0; j < i; j++) {
            assert_true(strcasecmp(d->key, cfg__defs[j].key) != 0); /* also unique env names */
            assert_true(!d->flag || !cfg__defs[j].flag || strcmp(d->flag, cfg__defs[j].flag));
        }
        for (size_t j = 0; d->flag && j < cfg__nopts; j++)
            assert_true(strcmp(d->flag, cfg__opts[j].flag) != 0);
    }
    assert_int_equal(nserver, CFG_NSERVER);
    /* cfg_mode_t follows the order of mode's choices */
    size_t len;
    const char *c = cfg__choice(def_of("mode")->choices, CFG_MODE_MEMORY, &len);
    assert_int_equal(len, strlen("memory"));
    assert_memory_equal(c, "memory", len);
    c = cfg__choice(def_of("mode")->choices, CFG_MODE_EPHEMERAL, &len);
    assert_memory_equal(c, "ephemeral", len);
}

/* ---- generated output ---- */

static char *capture_help(void)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cfg_print_help(f, "/usr/bin/duckd");
    fclose(f);
    return buf;
}

static char *capture_markdown(void)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cfg_print_markdown(f);
    fclose(f);
    return buf;
}

static void assert_contains(const char *hay, const char *needle, const char *what)
{
    if (!strstr(hay, needle))
        fail_msg("\"%s\" missing from %s", needle, what);
}

static void test_help_and_markdown_cover_every_setting(void **state)
{
    char *help = capture_help(), *md = capture_markdown();
    assert_contains(help, "Usage: duckd [--db PATH | --ephemeral | --memory] [--read-only]",
                    "help");
    assert_contains(help, "Precedence: flag > environment > config file > default", "help");
    for (size_t i = 0; i < cfg__ndefs; i++) {
        const cfg_def_t *d = &cfg__defs[i];
        char line[200];
        ubuf_t env = UBUF_INIT;
        cfg__env_name(&env, d->key);
        snprintf(line, sizeof line, "  %s", d->key);
        assert_contains(help, line, "help");
        assert_contains(help, env.data, "help");
        snprintf(line, sizeof line, "| `%s` |", d->key);
        assert_contains(md, line, "markdown");
        snprintf(line, sizeof line, "`%s`", env.data);
        assert_contains(md, line, "markdown");
        if (d->flag) {
            assert_contains(help, d->flag, "help");
            snprintf(line, sizeof line, "`%s", d->flag);
            assert_contains(md, line, "markdown");
        }
        ubuf_free(&env);
    }
    for (size_t i = 0; i < cfg__nopts; i++)
        if (cfg__opts[i].doc) {
            assert_contains(help, cfg__opts[i].flag, "help");
            assert_contains(md, cfg__opts[i].flag, "markdown");
        }
    assert_null(strstr(help, "--config-markdown")); /* hidden */
    /* the examples in the docs really ran */
    assert_null(strstr(md, "(no error)"));
    assert_null(strstr(md, "failed to load"));
    assert_contains(md, "duckd: duckd.ini:3: unknown key \"prot\" in section [server]", "markdown");
    assert_contains(md, "duckdb.default_null_order = nulls_last  # duckd.ini:14", "markdown");
    free(help);
    free(md);
}

static void test_print_effective(void **state)
{
    cfg_t c;
    uerr_t err = UERR_INIT;
    char *buf = NULL;
    size_t len = 0;
    const char *path = write_ini("[server]\nmax_message_size = 16 KiB\n[duckdb]\nfoo = bar\n");
    char *env[] = {"DUCKD_THREADS=3", NULL};
    assert_int_equal(load(&c, &err, env, "--print-config", "--port=6000", "--listen", "",
                          "--config", path, NULL),
                     CFG_ACTION_PRINT_CONFIG);
    FILE *f = open_memstream(&buf, &len);
    cfg_print_effective(&c, f);
    fclose(f);
    char line[400];
    snprintf(line, sizeof line, "server.max_message_size = 16 KiB  # %s:2\n", path);
    assert_contains(buf, line, "effective config");
    snprintf(line, sizeof line, "duckdb.foo = bar  # %s:4\n", path);
    assert_contains(buf, line, "effective config");
    assert_contains(buf, "\nserver.port = 6000  # --port\n", "effective config");
    assert_contains(buf, "\nserver.listen = \"\"  # --listen\n", "effective config");
    assert_contains(buf, "\nserver.db = ./duckd.duckdb  # default\n", "effective config");
    assert_contains(buf, "\nduckdb.threads = 3  # env DUCKD_THREADS\n", "effective config");
    for (size_t i = 0; i < cfg__ndefs; i++) {
        if (cfg__defs[i].section != CFG_SEC_SERVER)
            continue;
        snprintf(line, sizeof line, "\nserver.%s = ", cfg__defs[i].key);
        assert_contains(buf, line, "effective config");
    }
    free(buf);
    cfg_free(&c);
}

/* ---- the internal stream entry (fuzzer) and the docs example ---- */

static void test_file_stream(void **state)
{
    cfg_t c;
    uerr_t err = UERR_INIT;
    FILE *f = fmemopen((void *)cfg__example_ini, strlen(cfg__example_ini), "r");
    assert_int_equal(cfg__load_file_stream(&c, f, "example.ini", &err), CFG_ACTION_RUN);
    fclose(f);
    assert_int_equal(c.mode, CFG_MODE_MEMORY);
    assert_string_equal(c.config_file, "example.ini");
    assert_string_equal(c.src[CFG_KEY_mode].origin, "example.ini:3");
    cfg_free(&c);
    const char *bad = "[server]\nport = 0\n";
    f = fmemopen((void *)bad, strlen(bad), "r");
    assert_int_equal(cfg__load_file_stream(&c, f, "x.ini", &err), -1);
    fclose(f);
    assert_true(is_zeroed(&c));
    assert_string_equal(err.message, "x.ini:2: value \"0\" for port is out of range (1..65535)");
    uerr_clear(&err);
    const char *bom = "\xEF\xBB\xBF[server]\r\n  port = 7 ; CRLF, BOM, indented first key\r\n";
    f = fmemopen((void *)bom, strlen(bom), "r");
    assert_int_equal(cfg__load_file_stream(&c, f, "bom.ini", &err), CFG_ACTION_RUN);
    fclose(f);
    assert_int_equal(c.port, 7);
    assert_string_equal(c.src[CFG_KEY_port].origin, "bom.ini:2");
    cfg_free(&c);
    f = fmemopen((void *)"", 1, "r"); /* one NUL byte */
    assert_int_equal(cfg__load_file_stream(&c, f, "nul.ini", &err), -1);
    fclose(f);
    uerr_clear(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_file_only),
        cmocka_unit_test(test_env_only),
        cmocka_unit_test(test_flags_only),
        cmocka_unit_test(test_precedence),
        cmocka_unit_test(test_config_file_selection),
        cmocka_unit_test(test_modes),
        cmocka_unit_test(test_mode_errors),
        cmocka_unit_test(test_actions),
        cmocka_unit_test(test_file_errors),
        cmocka_unit_test(test_env_errors),
        cmocka_unit_test(test_flag_errors),
        cmocka_unit_test(test_duckdb_passthrough),
        cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_help_and_markdown_cover_every_setting),
        cmocka_unit_test(test_print_effective),
        cmocka_unit_test(test_millis_settings),
        cmocka_unit_test(test_file_stream),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
