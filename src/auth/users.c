/* Users file: parser, loader with a permission check, atomic rewrite and the `duckd passwd`
 * command (see users.h). Lines are split on runs of blanks; the rewrite copies every line it
 * does not replace byte for byte, so comments and layout survive. */
#include "auth/users.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "pgwire/scram.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/fields.h"
#include "util/xalloc.h"

#define PASSWORD_MAX 1024

/* ---- Names and roles ---- */

static const char *const role_names[] = {"read_only", "read_write", "admin"};

static int role_parse_n(const char *s, size_t n, guard_role_t *out)
{
    for (int i = 0; i < 3; i++) {
        if (strlen(role_names[i]) == n && memcmp(s, role_names[i], n) == 0) {
            *out = (guard_role_t)i;
            return 0;
        }
    }
    return -1;
}

static int role_parse(const char *s, guard_role_t *out) { return role_parse_n(s, strlen(s), out); }

bool pgw_user_name_valid(const char *name, size_t n)
{
    if (n == 0 || n > PGW_USER_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c <= 0x20 || c == 0x7F || c == ':')
            return false;
    }
    return name[0] != '#';
}

/* ---- Parsing ---- */

static void table_add(pgw_users_t *t, const ufields_t *fs, guard_role_t role)
{
    t->users = xrealloc(t->users, (t->n + 1) * sizeof *t->users);
    pgw_user_t *u = &t->users[t->n++];
    u->name = xstrndup(fs->f[0], fs->n[0]);
    u->role = role;
    u->verifier = xstrndup(fs->f[2], fs->n[2]);
}

/* Validates one non-comment line and appends it to t; returns 0 or an error. */
static int parse_line(pgw_users_t *t, const ufields_t *fs, const char *where, uerr_t *err)
{
    guard_role_t role;
    if (fs->count != 3) {
        uerr_set(err, "F0000", "%s: expected \"NAME ROLE VERIFIER\", found %s field%s", where,
                 fs->count > 3    ? "more than 3"
                 : fs->count == 2 ? "2"
                                  : "1",
                 fs->count == 1 ? "" : "s");
        return -1;
    }
    if (!pgw_user_name_valid(fs->f[0], fs->n[0])) {
        uerr_set(err, "F0000",
                 "%s: invalid user name (1..%d bytes, no control characters, "
                 "blanks or ':')",
                 where, PGW_USER_NAME_MAX);
        return -1;
    }
    if (role_parse_n(fs->f[1], fs->n[1], &role) != 0) {
        uerr_set(err, "F0000", "%s: invalid role \"%.*s\" (read_only, read_write or admin)", where,
                 (int)(fs->n[1] > 32 ? 32 : fs->n[1]), fs->f[1]);
        return -1;
    }
    char *v = xstrndup(fs->f[2], fs->n[2]);
    pgw_scram_verifier_t pv;
    bool ok = pgw_scram_parse_verifier(v, &pv);
    pgw_scram_verifier_free(&pv);
    free(v);
    if (!ok) {
        uerr_set(err, "F0000", "%s: invalid SCRAM-SHA-256 verifier for user \"%.*s\"", where,
                 (int)fs->n[0], fs->f[0]);
        return -1;
    }
    for (size_t i = 0; i < t->n; i++) {
        if (strlen(t->users[i].name) == fs->n[0] &&
            memcmp(t->users[i].name, fs->f[0], fs->n[0]) == 0) {
            uerr_set(err, "F0000", "%s: duplicate user \"%s\"", where, t->users[i].name);
            return -1;
        }
    }
    table_add(t, fs, role);
    return 0;
}

int pgw_users_parse(const char *text, size_t len, const char *origin, pgw_users_t **out,
                    uerr_t *err)
{
    pgw_users_t *t = xcalloc(1, sizeof *t);
    *out = NULL;
    if (memchr(text, '\0', len) != NULL) {
        uerr_set(err, "F0000", "%s: the file contains a NUL byte", origin);
        goto fail;
    }
    size_t pos = 0, lineno = 0;
    const char *line;
    size_t n;
    while (ulines_next(text, len, &pos, &line, &n)) {
        lineno++;
        ufields_t fs;
        ufields_split(line, n, 4, &fs);
        if (ufields_skip(&fs))
            continue;
        char where[512];
        snprintf(where, sizeof where, "%s:%zu", origin, lineno);
        if (parse_line(t, &fs, where, err) != 0)
            goto fail;
    }
    *out = t;
    return 0;
fail:
    pgw_users_free(t);
    return -1;
}

/* Reads the users file at path into b (file.h). */
static int read_text(const char *path, ubuf_t *b, bool missing_ok, bool check_mode, bool *exists,
                     uerr_t *err)
{
    return ufile_read(path, "users file", PGW_USERS_FILE_MAX, missing_ok, check_mode, exists, b,
                      err);
}

int pgw_users_load(const char *path, pgw_users_t **out, uerr_t *err)
{
    ubuf_t b = UBUF_INIT;
    bool exists;
    *out = NULL;
    int rc = read_text(path, &b, false, true, &exists, err);
    if (rc == 0)
        rc = pgw_users_parse(b.data ? b.data : "", b.len, path, out, err);
    ubuf_free(&b);
    return rc;
}

const pgw_user_t *pgw_users_find(const pgw_users_t *u, const char *name)
{
    for (size_t i = 0; u && i < u->n; i++)
        if (strcmp(u->users[i].name, name) == 0)
            return &u->users[i];
    return NULL;
}

void pgw_users_free(pgw_users_t *u)
{
    if (u == NULL)
        return;
    for (size_t i = 0; i < u->n; i++) {
        free(u->users[i].name);
        free(u->users[i].verifier);
    }
    free(u->users);
    free(u);
}

/* ---- Atomic rewrite ---- */

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* fsyncs the directory holding path, so the rename itself is durable. */
static int sync_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir = slash ? xstrndup(path, slash == path ? 1 : (size_t)(slash - path)) : xstrdup(".");
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc = fd >= 0 && fsync(fd) == 0 ? 0 : -1;
    if (fd >= 0)
        close(fd);
    free(dir);
    return rc;
}

static int write_atomic(const char *path, const ubuf_t *b, uerr_t *err)
{
    ubuf_t tmp = UBUF_INIT;
    ubuf_printf(&tmp, "%s.tmp.XXXXXX", path);
    char *name = (char *)ubuf_cstr(&tmp);
    int rc = -1;
    int fd = mkostemp(name, O_CLOEXEC);
    if (fd < 0) {
        uerr_set(err, "58030", "could not create \"%s\": %s", name, strerror(errno));
        goto out;
    }
    if (fchmod(fd, 0600) != 0 || write_all(fd, b->data ? b->data : "", b->len) != 0 ||
        fsync(fd) != 0) {
        uerr_set(err, "58030", "could not write \"%s\": %s", name, strerror(errno));
        goto out;
    }
    int closed = close(fd);
    fd = -1;
    if (closed != 0 || rename(name, path) != 0) {
        uerr_set(err, "58030", "could not replace \"%s\": %s", path, strerror(errno));
        goto out;
    }
    if (sync_dir(path) != 0) {
        uerr_set(err, "58030", "could not fsync the directory of \"%s\": %s", path,
                 strerror(errno));
        goto out;
    }
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    if (rc != 0)
        unlink(name);
    ubuf_free(&tmp);
    return rc;
}

/* Copies old to neu, replacing name's line by `entry`, or appending it. */
static void splice_entry(const ubuf_t *old, const char *name, const char *entry, ubuf_t *neu)
{
    size_t pos = 0, nlen = strlen(name);
    bool replaced = false;
    while (pos < old->len) {
        const char *line = old->data + pos;
        const char *nl = memchr(line, '\n', old->len - pos);
        size_t n = nl ? (size_t)(nl - line) : old->len - pos;
        ufields_t fs;
        ufields_split(line, n, 4, &fs);
        pos += n + (nl != NULL);
        if (!replaced && !ufields_skip(&fs) && fs.n[0] == nlen &&
            memcmp(fs.f[0], name, nlen) == 0) {
            ubuf_printf(neu, "%s\n", entry);
            replaced = true;
        } else {
            ubuf_append(neu, line, n + (nl != NULL));
        }
    }
    if (!replaced) {
        if (neu->len && neu->data[neu->len - 1] != '\n')
            ubuf_putc(neu, '\n');
        ubuf_printf(neu, "%s\n", entry);
    }
}

int pgw_users_set(const char *path, const char *name, guard_role_t role, const char *verifier,
                  uerr_t *err)
{
    ubuf_t old = UBUF_INIT, neu = UBUF_INIT, entry = UBUF_INIT;
    pgw_users_t *t = NULL;
    pgw_scram_verifier_t pv;
    bool exists;
    int rc = -1;
    if (!pgw_user_name_valid(name, strlen(name)) || (unsigned)role > GUARD_ROLE_ADMIN) {
        uerr_set(err, "22023", "invalid user name or role");
        goto out;
    }
    bool vok = pgw_scram_parse_verifier(verifier, &pv);
    pgw_scram_verifier_free(&pv);
    if (!vok) {
        uerr_set(err, "22023", "invalid SCRAM-SHA-256 verifier");
        goto out;
    }
    if (read_text(path, &old, true, false, &exists, err) != 0 ||
        pgw_users_parse(old.data ? old.data : "", old.len, path, &t, err) != 0)
        goto out;
    ubuf_printf(&entry, "%s %s %s", name, guard_role_name(role), verifier);
    splice_entry(&old, name, ubuf_cstr(&entry), &neu);
    rc = write_atomic(path, &neu, err);
out:
    pgw_users_free(t);
    ubuf_free(&entry);
    ubuf_free(&neu);
    ubuf_free(&old);
    return rc;
}

/* ---- duckd passwd ---- */

/* Reads one line from fd 0 into buf (without '\n' or "\r\n"); -1 on error, EOF before any
 * byte, or a line longer than cap - 1. */
static int read_line(char *buf, size_t cap, size_t *len)
{
    size_t n = 0;
    for (;;) {
        char c;
        ssize_t k = read(0, &c, 1);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0 || c == '\n') {
            if (k <= 0 && n == 0)
                return -1;
            break;
        }
        if (n + 1 >= cap)
            return -1;
        buf[n++] = c;
    }
    if (n && buf[n - 1] == '\r')
        n--;
    buf[n] = '\0';
    *len = n;
    return 0;
}

static int prompt(const char *text, char *buf, size_t cap)
{
    struct termios old, quiet;
    size_t n;
    fputs(text, stderr);
    fflush(stderr);
    if (tcgetattr(0, &old) != 0)
        return -1;
    quiet = old;
    quiet.c_lflag &= ~(tcflag_t)ECHO;
    (void)tcsetattr(0, TCSAFLUSH, &quiet);
    int rc = read_line(buf, cap, &n);
    (void)tcsetattr(0, TCSAFLUSH, &old);
    fputc('\n', stderr);
    return rc;
}

/* Gets the password from stdin (first line) or the terminal (twice). */
static int get_password(char *pw, size_t cap)
{
    size_t n;
    if (!isatty(0)) {
        if (read_line(pw, cap, &n) != 0 || n == 0) {
            fprintf(stderr,
                    "duckd passwd: no password on the first line of stdin (or longer "
                    "than %zu bytes)\n",
                    cap - 1);
            return -1;
        }
        return 0;
    }
    char again[PASSWORD_MAX];
    int rc = -1;
    if (prompt("Password: ", pw, cap) != 0 || pw[0] == '\0')
        fprintf(stderr, "duckd passwd: empty password refused\n");
    else if (prompt("Repeat password: ", again, sizeof again) != 0 || strcmp(pw, again) != 0)
        fprintf(stderr, "duckd passwd: passwords do not match\n");
    else
        rc = 0;
    explicit_bzero(again, sizeof again);
    return rc;
}

typedef struct passwd_args {
    const char *path;
    const char *user;
    bool have_role;
    guard_role_t role;
} passwd_args_t;

static int parse_passwd_args(int argc, char **argv, passwd_args_t *a)
{
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *val = NULL;
        bool is_path = strncmp(arg, "--users-file", 12) == 0;
        if (strcmp(arg, "--users-file") == 0 || strcmp(arg, "--role") == 0) {
            if (i + 1 >= argc)
                return -1;
            val = argv[++i];
        } else if (strncmp(arg, "--users-file=", 13) == 0 || strncmp(arg, "--role=", 7) == 0) {
            val = strchr(arg, '=') + 1;
        }
        if (val && is_path) {
            a->path = val;
        } else if (val) {
            if (role_parse(val, &a->role) != 0)
                return -1;
            a->have_role = true;
        } else if (arg[0] == '-' || a->user) {
            return -1;
        } else {
            a->user = arg;
        }
    }
    return a->user && a->path && a->path[0] ? 0 : -1;
}

/* The role an existing user has in the file (read without the permission check). */
static guard_role_t existing_role(const char *path, const char *user, guard_role_t dflt)
{
    ubuf_t b = UBUF_INIT;
    pgw_users_t *t = NULL;
    uerr_t err = UERR_INIT;
    bool exists;
    guard_role_t role = dflt;
    if (read_text(path, &b, true, false, &exists, &err) == 0 && exists &&
        pgw_users_parse(b.data ? b.data : "", b.len, path, &t, &err) == 0) {
        const pgw_user_t *u = pgw_users_find(t, user);
        if (u)
            role = u->role;
    }
    pgw_users_free(t);
    uerr_clear(&err);
    ubuf_free(&b);
    return role;
}

int pgw_users_passwd_main(int argc, char **argv, const char *default_path)
{
    passwd_args_t a = {default_path, NULL, false, GUARD_ROLE_READ_WRITE};
    char pw[PASSWORD_MAX];
    ubuf_t v = UBUF_INIT;
    uerr_t err = UERR_INIT;
    int code = 1;
    if (parse_passwd_args(argc, argv, &a) != 0) {
        fprintf(stderr, "usage: duckd passwd [--users-file PATH] "
                        "[--role read_only|read_write|admin] USER\n");
        return 1;
    }
    if (!pgw_user_name_valid(a.user, strlen(a.user))) {
        fprintf(stderr, "duckd passwd: invalid user name \"%s\"\n", a.user);
        return 1;
    }
    if (get_password(pw, sizeof pw) != 0)
        goto out;
    if (!a.have_role)
        a.role = existing_role(a.path, a.user, GUARD_ROLE_READ_WRITE);
    if (pgw_scram_make_verifier(pw, 0, &v, &err) != 0 ||
        pgw_users_set(a.path, a.user, a.role, ubuf_cstr(&v), &err) != 0) {
        fprintf(stderr, "duckd passwd: %s\n", err.message);
        goto out;
    }
    printf("duckd: user \"%s\" (role %s) written to %s\n", a.user, guard_role_name(a.role), a.path);
    fflush(stdout);
    code = 0;
out:
    explicit_bzero(pw, sizeof pw);
    uerr_clear(&err);
    ubuf_free(&v);
    return code;
}
