/* Unit tests for the users file: parsing (comments, blanks, CRLF), errors that name the line,
 * the permission check of pgw_users_load, the atomic rewrite (comments kept, mode 0600, no
 * temporary files left) and the `duckd passwd` command fed through stdin. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pgwire/scram.h"
#include "auth/users.h"
#include "util/buf.h"

#define V                                                                                          \
    "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$"                                                 \
    "WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU="

static char dir[64];

static int setup(void **state)
{
    strcpy(dir, "/tmp/duckd-users-XXXXXX");
    assert_non_null(mkdtemp(dir));
    return 0;
}

static int teardown(void **state)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char p[512];
    while (d && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        unlink(p);
    }
    if (d)
        closedir(d);
    rmdir(dir);
    return 0;
}

static char *path_of(const char *name)
{
    static char p[256];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return p;
}

static void write_file(const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    assert_int_equal(chmod(path, mode), 0);
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    ubuf_t b = UBUF_INIT;
    char chunk[512];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        ubuf_append(&b, chunk, n);
    fclose(f);
    ubuf_cstr(&b);
    return b.data;
}

static int count_dir_entries(void)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    while ((e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static void test_parse_valid(void **state)
{
    const char *text = "# duckd users\n"
                       "\n"
                       "alice read_write " V "\n"
                       "   \t# indented comment\n"
                       "bob\tread_only\t" V "\r\n"
                       "  carol   admin  " V "   \n"
                       "d\xc3\xa9sir\xc3\xa9 read_only " V;
    pgw_users_t *t;
    uerr_t err = UERR_INIT;
    assert_int_equal(pgw_users_parse(text, strlen(text), "users", &t, &err), 0);
    assert_int_equal(t->n, 4);
    assert_string_equal(t->users[0].name, "alice");
    assert_int_equal(t->users[0].role, GUARD_ROLE_READ_WRITE);
    assert_string_equal(t->users[0].verifier, V);
    assert_int_equal(pgw_users_find(t, "bob")->role, GUARD_ROLE_READ_ONLY);
    assert_string_equal(pgw_users_find(t, "bob")->verifier, V);
    assert_int_equal(pgw_users_find(t, "carol")->role, GUARD_ROLE_ADMIN);
    assert_non_null(pgw_users_find(t, "d\xc3\xa9sir\xc3\xa9"));
    assert_null(pgw_users_find(t, "Alice"));
    assert_null(pgw_users_find(t, "al"));
    pgw_users_free(t);
    assert_int_equal(pgw_users_parse("", 0, "users", &t, &err), 0);
    assert_int_equal(t->n, 0);
    pgw_users_free(t);
}

static void expect_error(const char *text, const char *want)
{
    pgw_users_t *t = (pgw_users_t *)1;
    uerr_t err = UERR_INIT;
    assert_int_equal(pgw_users_parse(text, strlen(text), "f", &t, &err), -1);
    assert_null(t);
    assert_string_equal(err.sqlstate, "F0000");
    if (strstr(err.message, want) == NULL)
        fail_msg("\"%s\" does not contain \"%s\"", err.message, want);
    uerr_clear(&err);
}

static void test_parse_errors(void **state)
{
    expect_error("# c\n\nalice superuser " V "\n", "f:3: invalid role \"superuser\"");
    expect_error("alice read_write\n", "f:1: expected \"NAME ROLE VERIFIER\", found 2 fields");
    expect_error("alice\n", "f:1: expected \"NAME ROLE VERIFIER\", found 1 field");
    expect_error("a read_write " V " extra\n", "f:1: expected \"NAME ROLE VERIFIER\", found more");
    expect_error("a read_write " V " # comment\n", "f:1: expected");
    expect_error("ok read_only " V "\nb:c read_only " V "\n", "f:2: invalid user name");
    expect_error("0123456789012345678901234567890123456789012345678901234567890123 admin " V,
                 "f:1: invalid user name");
    expect_error("a\x01 admin " V, "f:1: invalid user name");
    expect_error("a admin md5abc\n", "f:1: invalid SCRAM-SHA-256 verifier for user \"a\"");
    expect_error("a admin " V "x\n", "f:1: invalid SCRAM-SHA-256 verifier");
    expect_error("a admin " V "\n\n\na read_only " V "\n", "f:4: duplicate user \"a\"");
    pgw_users_t *t;
    uerr_t err = UERR_INIT;
    static const char nul[] = "a admin " V "\n\0";
    assert_int_equal(pgw_users_parse(nul, sizeof nul - 1, "f", &t, &err), -1);
    uerr_clear(&err);
    /* 63 bytes is the longest name. */
    const char *ok = "012345678901234567890123456789012345678901234567890123456789012 admin " V;
    assert_int_equal(pgw_users_parse(ok, strlen(ok), "f", &t, &err), 0);
    pgw_users_free(t);
}

static void test_load_permissions(void **state)
{
    pgw_users_t *t;
    uerr_t err = UERR_INIT;
    char *p = path_of("users");
    write_file(p, "alice admin " V "\n", 0600);
    assert_int_equal(pgw_users_load(p, &t, &err), 0);
    assert_int_equal(t->n, 1);
    pgw_users_free(t);
    assert_int_equal(chmod(p, 0644), 0); /* world-readable is accepted (salted verifiers) */
    assert_int_equal(pgw_users_load(p, &t, &err), 0);
    pgw_users_free(t);
    static const mode_t bad[] = {0620, 0602, 0666};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(chmod(p, bad[i]), 0);
        assert_int_equal(pgw_users_load(p, &t, &err), -1);
        assert_null(t);
        assert_non_null(strstr(err.message, "writable by group or others"));
        uerr_clear(&err);
    }
    assert_int_equal(pgw_users_load(path_of("missing"), &t, &err), -1);
    assert_string_equal(err.sqlstate, "58030");
    assert_int_equal(pgw_users_load(dir, &t, &err), -1);
    uerr_clear(&err);
    write_file(p, "# x\nalice admin nope\n", 0600);
    assert_int_equal(pgw_users_load(p, &t, &err), -1);
    char want[600];
    snprintf(want, sizeof want, "%s:2: invalid SCRAM-SHA-256 verifier for user \"alice\"", p);
    assert_string_equal(err.message, want);
    uerr_clear(&err);
}

static void test_set_rewrites_atomically(void **state)
{
    uerr_t err = UERR_INIT;
    char *p = path_of("users");
    struct stat st;
    /* Created when missing, mode 0600. */
    assert_int_equal(pgw_users_set(p, "alice", GUARD_ROLE_ADMIN, V, &err), 0);
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    char *text = read_file(p);
    assert_string_equal(text, "alice admin " V "\n");
    free(text);
    /* Comments, blank lines and other users are kept byte for byte. */
    const char *orig = "# header comment\n\nalice\tadmin\t" V "\n  # between\nbob read_only " V;
    write_file(p, orig, 0644);
    ubuf_t v2 = UBUF_INIT;
    assert_int_equal(pgw_scram_make_verifier("pw2", 0, &v2, &err), 0);
    assert_int_equal(pgw_users_set(p, "alice", GUARD_ROLE_READ_ONLY, v2.data, &err), 0);
    assert_int_equal(pgw_users_set(p, "carol", GUARD_ROLE_READ_WRITE, V, &err), 0);
    text = read_file(p);
    ubuf_t want = UBUF_INIT;
    ubuf_printf(&want,
                "# header comment\n\nalice read_only %s\n  # between\nbob read_only " V
                "\ncarol read_write " V "\n",
                v2.data);
    assert_string_equal(text, ubuf_cstr(&want));
    free(text);
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(count_dir_entries(), 1); /* no temporary file left behind */
    pgw_users_t *t;
    assert_int_equal(pgw_users_load(p, &t, &err), 0);
    assert_int_equal(t->n, 3);
    assert_string_equal(pgw_users_find(t, "alice")->verifier, v2.data);
    pgw_users_free(t);
    /* Refusals: bad arguments, and a file that does not parse is left alone. */
    assert_int_equal(pgw_users_set(p, "a b", GUARD_ROLE_ADMIN, V, &err), -1);
    assert_int_equal(pgw_users_set(p, "x", GUARD_ROLE_ADMIN, "SCRAM-SHA-256$", &err), -1);
    write_file(p, "broken line\n", 0600);
    assert_int_equal(pgw_users_set(p, "x", GUARD_ROLE_ADMIN, V, &err), -1);
    assert_non_null(strstr(err.message, ":1: expected"));
    text = read_file(p);
    assert_string_equal(text, "broken line\n");
    free(text);
    assert_int_equal(pgw_users_set(path_of("nodir/users"), "x", GUARD_ROLE_ADMIN, V, &err), -1);
    assert_string_equal(err.sqlstate, "58030");
    assert_int_equal(count_dir_entries(), 1);
    uerr_clear(&err);
    ubuf_free(&v2);
    ubuf_free(&want);
}

/* Runs `duckd passwd` with `input` on stdin. */
static int run_passwd(const char *input, int argc, char **argv)
{
    char in[256], dflt[256];
    snprintf(in, sizeof in, "%s", path_of("stdin"));
    snprintf(dflt, sizeof dflt, "%s", path_of("default-users"));
    write_file(in, input, 0600);
    int saved = dup(0);
    int fd = open(in, O_RDONLY);
    assert_true(saved >= 0 && fd >= 0);
    assert_int_equal(dup2(fd, 0), 0);
    close(fd);
    int code = pgw_users_passwd_main(argc, argv, dflt);
    assert_int_equal(dup2(saved, 0), 0);
    close(saved);
    unlink(in);
    return code;
}

/* True when the file's entry for user has `role` and a verifier for `password`. */
static bool entry_is(const char *path, const char *user, guard_role_t role, const char *password)
{
    pgw_users_t *t;
    uerr_t err = UERR_INIT;
    assert_int_equal(pgw_users_load(path, &t, &err), 0);
    const pgw_user_t *u = pgw_users_find(t, user);
    pgw_scram_verifier_t pv;
    ubuf_t again = UBUF_INIT;
    assert_non_null(u);
    assert_true(pgw_scram_parse_verifier(u->verifier, &pv));
    assert_int_equal(
        pgw_scram__make_verifier_salt(password, pv.iterations, pv.salt, pv.salt_len, &again, &err),
        0);
    bool ok = u->role == role && strcmp(again.data, u->verifier) == 0;
    pgw_scram_verifier_free(&pv);
    ubuf_free(&again);
    pgw_users_free(t);
    return ok;
}

static void test_passwd_command(void **state)
{
    char *p = path_of("u");
    char path[256];
    snprintf(path, sizeof path, "%s", p);
    char *a1[] = {"passwd", "--users-file", path, "alice"};
    assert_int_equal(run_passwd("s3cret\nignored\n", 4, a1), 0);
    assert_true(entry_is(path, "alice", GUARD_ROLE_READ_WRITE, "s3cret"));
    char *a2[] = {"passwd", "--role=admin", "--users-file", path, "alice"};
    assert_int_equal(run_passwd("other\r\n", 5, a2), 0);
    assert_true(entry_is(path, "alice", GUARD_ROLE_ADMIN, "other"));
    /* An existing user keeps the role when --role is not given. */
    assert_int_equal(run_passwd("third", 4, a1), 0);
    assert_true(entry_is(path, "alice", GUARD_ROLE_ADMIN, "third"));
    char *a3[] = {"passwd", "--users-file=", "bob"};
    assert_int_equal(run_passwd("x\n", 3, a3), 1); /* empty path */
    char a4path[300];
    snprintf(a4path, sizeof a4path, "--users-file=%s", path);
    char *a4[] = {"passwd", a4path, "--role", "read_only", "bob"};
    assert_int_equal(run_passwd("pw\n", 5, a4), 0);
    assert_true(entry_is(path, "bob", GUARD_ROLE_READ_ONLY, "pw"));
    assert_true(entry_is(path, "alice", GUARD_ROLE_ADMIN, "third"));
    /* Refusals. */
    assert_int_equal(run_passwd("\n", 4, a1), 1);
    assert_int_equal(run_passwd("", 4, a1), 1);
    char *bad_role[] = {"passwd", "--role", "root", "alice"};
    assert_int_equal(run_passwd("pw\n", 4, bad_role), 1);
    char *no_user[] = {"passwd", "--users-file", path};
    assert_int_equal(run_passwd("pw\n", 3, no_user), 1);
    char *two_users[] = {"passwd", "a", "b"};
    assert_int_equal(run_passwd("pw\n", 3, two_users), 1);
    char *bad_name[] = {"passwd", "a:b"};
    assert_int_equal(run_passwd("pw\n", 2, bad_name), 1);
    char *unknown[] = {"passwd", "--force", "a"};
    assert_int_equal(run_passwd("pw\n", 3, unknown), 1);
    assert_true(entry_is(path, "alice", GUARD_ROLE_ADMIN, "third"));
    /* The default path is used without --users-file. */
    char *dflt[] = {"passwd", "carol"};
    assert_int_equal(run_passwd("pw\n", 2, dflt), 0);
    assert_true(entry_is(path_of("default-users"), "carol", GUARD_ROLE_READ_WRITE, "pw"));
}

static void test_roles(void **state)
{
    assert_int_equal(guard_role_parse("read_only"), GUARD_ROLE_READ_ONLY);
    assert_int_equal(guard_role_parse("admin"), GUARD_ROLE_ADMIN);
    assert_int_equal(guard_role_parse("Admin"), -1);
    assert_int_equal(guard_role_parse(""), -1);
    assert_string_equal(guard_role_name(GUARD_ROLE_READ_WRITE), "read_write");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roles),
        cmocka_unit_test(test_parse_valid),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test_setup_teardown(test_load_permissions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_rewrites_atomically, setup, teardown),
        cmocka_unit_test_setup_teardown(test_passwd_command, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
