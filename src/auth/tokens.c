/* Bearer tokens: the tokens file and the `duckd token` command; see tokens.h. */
#include "auth/tokens.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "auth/users.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/fields.h"
#include "util/xalloc.h"

static int hex_nibble(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

int tok_parse(const char *text, size_t len, const char *origin,
              void (*fn)(void *ctx, const unsigned char *hash, const char *user, size_t n),
              void *ctx, uerr_t *err)
{
    size_t pos = 0, n;
    const char *line;
    long lineno = 0;
    if (memchr(text, '\0', len)) {
        uerr_set(err, "F0000", "%s: NUL byte in the tokens file", origin);
        return -1;
    }
    while (ulines_next(text, len, &pos, &line, &n)) {
        ufields_t fs;
        unsigned char hash[SHA256_DIGEST_LENGTH];
        lineno++;
        ufields_split(line, n, 3, &fs);
        if (ufields_skip(&fs))
            continue;
        if (fs.count != 2 || fs.n[0] != 2 * SHA256_DIGEST_LENGTH ||
            !pgw_user_name_valid(fs.f[1], fs.n[1])) {
            uerr_set(err, "F0000", "%s:%ld: expected \"SHA256-HEX USER\"", origin, lineno);
            return -1;
        }
        for (size_t i = 0; i < SHA256_DIGEST_LENGTH; i++) {
            int hi = hex_nibble(fs.f[0][2 * i]), lo = hex_nibble(fs.f[0][2 * i + 1]);
            if (hi < 0 || lo < 0) {
                uerr_set(err, "F0000", "%s:%ld: the hash must be 64 lower-case hex digits", origin,
                         lineno);
                return -1;
            }
            hash[i] = (unsigned char)(hi << 4 | lo);
        }
        fn(ctx, hash, fs.f[1], fs.n[1]);
    }
    return 0;
}

/* ---- the cache of the tokens file ----
 *
 * The file is parsed once and kept while it provably has not changed: its device, inode,
 * size, modification and status-change times are those it had when read (an edit, a
 * replacement by rename, a chmod all change one of them), and its modification time was at
 * least TOK_RACY_NS older than the moment it was read, so that an edit in the same clock
 * tick that kept the size (file times are as coarse as the kernel's tick) cannot hide behind
 * an unchanged stat. Until then (a file just written) it is read at every lookup. A stat per
 * lookup thus keeps revocation immediate. One mutex guards the cache; lookups scan a
 * snapshot under it. */

#define TOK_RACY_NS 2000000000LL /* 2 s */

typedef struct {
    unsigned char hash[SHA256_DIGEST_LENGTH];
    char user[PGW_USER_NAME_MAX + 1];
} tok_entry_t;

typedef struct {
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime, ctime;
} tok_stamp_t;

typedef struct {
    tok_entry_t *v;
    size_t n, cap;
} tok_list_t;

static pthread_mutex_t tok_mu = PTHREAD_MUTEX_INITIALIZER;
static char *tok_path;       /* the cached file's path (owned); NULL: nothing cached */
static tok_stamp_t tok_seen; /* its stat when read */
static tok_list_t tok_cached;

static void tok_stamp(const struct stat *st, tok_stamp_t *out)
{
    memset(out, 0, sizeof *out);
    out->dev = st->st_dev;
    out->ino = st->st_ino;
    out->size = st->st_size;
    out->mtime = st->st_mtim;
    out->ctime = st->st_ctim;
}

static bool tok_stamp_eq(const tok_stamp_t *a, const tok_stamp_t *b)
{
    return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
           a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec &&
           a->ctime.tv_sec == b->ctime.tv_sec && a->ctime.tv_nsec == b->ctime.tv_nsec;
}

static void tok_add(void *ctx, const unsigned char *hash, const char *user, size_t n)
{
    tok_list_t *l = ctx;
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 16;
        l->v = xrealloc(l->v, l->cap * sizeof *l->v);
    }
    memcpy(l->v[l->n].hash, hash, SHA256_DIGEST_LENGTH);
    memcpy(l->v[l->n].user, user, n); /* a valid user name: n <= PGW_USER_NAME_MAX */
    l->v[l->n].user[n] = '\0';
    l->n++;
}

static void tok_list_free(tok_list_t *l)
{
    if (l->v)
        OPENSSL_cleanse(l->v, l->cap * sizeof *l->v);
    free(l->v);
    *l = (tok_list_t){0};
}

/* Compares want with every entry, in constant time (no early exit reveals a prefix); the
 * first match's user is copied to user (size bytes). Returns 1 or 0. */
static int tok_match(const tok_list_t *l, const unsigned char *want, char *user, size_t size)
{
    int found = 0;
    for (size_t i = 0; i < l->n; i++) {
        if (CRYPTO_memcmp(l->v[i].hash, want, SHA256_DIGEST_LENGTH) == 0 && !found &&
            strlen(l->v[i].user) < size) {
            snprintf(user, size, "%s", l->v[i].user);
            found = 1;
        }
    }
    return found;
}

/* Reads and parses the file into *out; *fresh is set when it may be cached (its stat did not
 * change while it was read, and it was last modified long enough ago). Returns 0 (a missing
 * file is empty), or -1 with *err set. */
static int tok_load(const char *path, tok_list_t *out, tok_stamp_t *stamp, bool *fresh, uerr_t *err)
{
    ubuf_t b = UBUF_INIT;
    bool exists = false;
    struct stat before, after;
    struct timespec now;
    int rc = -1;
    *fresh = false;
    bool stat_ok = stat(path, &before) == 0;
    if (ufile_read(path, "tokens file", TOK_FILE_MAX, true, true, &exists, &b, err) != 0)
        goto out;
    if (exists && tok_parse(b.data ? b.data : "", b.len, path, tok_add, out, err) != 0)
        goto out;
    clock_gettime(CLOCK_REALTIME, &now);
    if (exists && stat_ok && stat(path, &after) == 0) {
        tok_stamp_t a;
        tok_stamp(&before, stamp);
        tok_stamp(&after, &a);
        int64_t age = ((int64_t)now.tv_sec - after.st_mtim.tv_sec) * 1000000000LL +
                      (now.tv_nsec - after.st_mtim.tv_nsec);
        *fresh = tok_stamp_eq(stamp, &a) && age >= TOK_RACY_NS;
    }
    rc = 0;
out:
    if (b.data)
        OPENSSL_cleanse(b.data, b.len);
    ubuf_free(&b);
    return rc;
}

int tok_lookup(const char *path, const char *token, size_t len, char *user, size_t size,
               uerr_t *err)
{
    unsigned char want[SHA256_DIGEST_LENGTH];
    tok_list_t fresh_list = {0};
    tok_stamp_t now_stamp;
    struct stat st;
    bool fresh = false;
    int rc = -1;
    if (!path || !*path || len == 0 || len > TOK_MAX)
        return 0;
    SHA256((const unsigned char *)token, len, want);
    if (stat(path, &st) == 0) {
        tok_stamp(&st, &now_stamp);
        pthread_mutex_lock(&tok_mu);
        if (tok_path && strcmp(tok_path, path) == 0 && tok_stamp_eq(&tok_seen, &now_stamp)) {
            rc = tok_match(&tok_cached, want, user, size);
            pthread_mutex_unlock(&tok_mu);
            goto out;
        }
        pthread_mutex_unlock(&tok_mu);
    }
    if (tok_load(path, &fresh_list, &now_stamp, &fresh, err) != 0)
        goto out;
    rc = tok_match(&fresh_list, want, user, size);
    pthread_mutex_lock(&tok_mu);
    if (fresh) { /* keep it for the next lookups */
        free(tok_path);
        tok_list_free(&tok_cached);
        tok_path = xstrdup(path);
        tok_seen = now_stamp;
        tok_cached = fresh_list;
        fresh_list = (tok_list_t){0};
    } else if (tok_path && strcmp(tok_path, path) == 0) { /* changed: forget the old copy */
        free(tok_path);
        tok_path = NULL;
        tok_list_free(&tok_cached);
    }
    pthread_mutex_unlock(&tok_mu);
out:
    tok_list_free(&fresh_list);
    OPENSSL_cleanse(want, sizeof want);
    return rc;
}

void tok_cache_clear(void)
{
    pthread_mutex_lock(&tok_mu);
    free(tok_path);
    tok_path = NULL;
    tok_list_free(&tok_cached);
    pthread_mutex_unlock(&tok_mu);
}

/* ---- duckd token ---- */

static int usage(void)
{
    fprintf(stderr, "usage: duckd token [--tokens-file PATH] USER\n");
    return 1;
}

int tok_main(int argc, char **argv, const char *default_path)
{
    const char *path = default_path, *user = NULL;
    unsigned char raw[32], hash[SHA256_DIGEST_LENGTH];
    char token[80], line[160];
    int fd = -1, rc = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--tokens-file") && i + 1 < argc)
            path = argv[++i];
        else if (argv[i][0] == '-' || user)
            return usage();
        else
            user = argv[i];
    }
    if (!user)
        return usage();
    if (!pgw_user_name_valid(user, strlen(user))) {
        fprintf(stderr, "duckd token: invalid user name \"%s\"\n", user);
        return 1;
    }
    if (RAND_bytes(raw, sizeof raw) != 1) {
        fprintf(stderr, "duckd token: no randomness available\n");
        return 1;
    }
    /* "duckd_" + base64url without padding: 43 characters for 32 bytes */
    memcpy(token, "duckd_", 6);
    int n = EVP_EncodeBlock((unsigned char *)token + 6, raw, sizeof raw);
    while (n > 0 && token[6 + n - 1] == '=')
        n--;
    token[6 + n] = '\0';
    for (char *p = token + 6; *p; p++)
        *p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
    SHA256((const unsigned char *)token, strlen(token), hash);
    int k = 0;
    for (size_t i = 0; i < sizeof hash; i++)
        k += snprintf(line + k, sizeof line - (size_t)k, "%02x", hash[i]);
    snprintf(line + k, sizeof line - (size_t)k, " %s\n", user);
    fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) {
        fprintf(stderr, "duckd token: cannot open %s: %s\n", path, strerror(errno));
        goto out;
    }
    size_t want = strlen(line);
    if (write(fd, line, want) != (ssize_t)want || fsync(fd) != 0) {
        fprintf(stderr, "duckd token: cannot write %s: %s\n", path, strerror(errno));
        goto out;
    }
    printf("%s\n", token);
    fprintf(stderr, "duckd token: added a token for \"%s\" to %s\n", user, path);
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    OPENSSL_cleanse(raw, sizeof raw);
    OPENSSL_cleanse(token, sizeof token);
    return rc;
}
