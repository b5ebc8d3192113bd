/* Bearer tokens: the tokens file and the `duckd token` command; see tokens.h. */
#include "auth/tokens.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth/users.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/fields.h"

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

typedef struct {
    unsigned char want[SHA256_DIGEST_LENGTH];
    char *user;
    size_t size;
    int found;
} lookup_t;

static void lookup_line(void *ctx, const unsigned char *hash, const char *user, size_t n)
{
    lookup_t *l = ctx;
    /* every line is compared in full, in constant time: no early exit reveals a prefix */
    if (CRYPTO_memcmp(hash, l->want, SHA256_DIGEST_LENGTH) == 0 && !l->found && n < l->size) {
        memcpy(l->user, user, n);
        l->user[n] = '\0';
        l->found = 1;
    }
}

int tok_lookup(const char *path, const char *token, size_t len, char *user, size_t size,
               uerr_t *err)
{
    ubuf_t b = UBUF_INIT;
    bool exists = false;
    lookup_t l = {{0}, user, size, 0};
    int rc = -1;
    if (!path || !*path || len == 0 || len > TOK_MAX)
        return 0;
    SHA256((const unsigned char *)token, len, l.want);
    if (ufile_read(path, "tokens file", TOK_FILE_MAX, true, true, &exists, &b, err) != 0)
        goto out;
    if (exists && tok_parse(b.data ? b.data : "", b.len, path, lookup_line, &l, err) != 0)
        goto out;
    rc = l.found;
out:
    OPENSSL_cleanse(l.want, sizeof l.want);
    ubuf_free(&b);
    return rc;
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
