/* SCRAM-SHA-256 server exchange, verifiers and SASLprep (see scram.h). The parsers work on a
 * NUL-terminated copy of each client message after checking its size and that it carries no
 * NUL byte, and report errors with PostgreSQL 15's SQLSTATEs, messages and details. */
#include "pgwire/scram.h"

#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <stringprep.h>

#include "pgwire/codec.h"
#include "util/utf8.h"
#include "util/xalloc.h"

#define VERIFIER_MAX 1024
#define ITERATIONS_MAX 100000000

typedef enum {
    ST_INIT = 0,   /* waiting for client-first-message */
    ST_SENT_FIRST, /* server-first-message sent, waiting for client-final-message */
    ST_FINISHED    /* succeeded or failed: nothing more is accepted */
} scram_state_t;

struct pgw_scram {
    scram_state_t state;
    bool plus;       /* SCRAM-SHA-256-PLUS was selected */
    bool cb_offered; /* the connection offers channel binding (cb/cb_len valid) */
    bool doomed;     /* mock verifier: the proof check must fail */
    bool empty_sent; /* an empty challenge was already answered (no initial response) */
    char *user;      /* owned: the startup user name, for the error message */
    uint8_t cb[PGW_SCRAM_CB_MAX];
    size_t cb_len;
    pgw_scram_verifier_t v; /* the real or mock verifier; owned salt */
    char server_nonce[64];  /* base64 of the random bytes (or the test hook's value) */
    char *gs2_header;       /* owned: "n,," / "y,," / "p=tls-server-end-point,," */
    char *first_bare;       /* owned: client-first-message-bare */
    char *nonce;            /* owned: client nonce + server nonce */
    char *server_first;     /* owned: server-first-message */
};

/* ---- Base64 ---- */

static const char b64chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void pgw_b64_encode(ubuf_t *out, const uint8_t *p, size_t n)
{
    ubuf_reserve(out, (n + 2) / 3 * 4);
    for (size_t i = 0; i < n; i += 3) {
        uint32_t w = (uint32_t)p[i] << 16;
        if (i + 1 < n)
            w |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < n)
            w |= p[i + 2];
        ubuf_putc(out, b64chars[w >> 18 & 63]);
        ubuf_putc(out, b64chars[w >> 12 & 63]);
        ubuf_putc(out, i + 1 < n ? b64chars[w >> 6 & 63] : '=');
        ubuf_putc(out, i + 2 < n ? b64chars[w & 63] : '=');
    }
}

static int b64_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/* Decodes one 4-character group into w; returns the number of padding characters, or -1. */
static int b64_group(const char *g, bool last, uint32_t *w)
{
    int pad = 0;
    *w = 0;
    for (int j = 0; j < 4; j++) {
        int v = 0;
        if (g[j] == '=') {
            if (!last || j < 2)
                return -1;
            pad++;
        } else if (pad || (v = b64_value(g[j])) < 0) {
            return -1;
        }
        *w = *w << 6 | (uint32_t)v;
    }
    if ((pad == 1 && (*w & 0xFF)) || (pad == 2 && (*w & 0xFFFF)))
        return -1; /* non-zero trailing bits: not canonical */
    return pad;
}

long pgw_b64_decode(const char *s, size_t n, uint8_t *dst, size_t cap)
{
    if (n % 4 != 0)
        return -1;
    size_t len = 0;
    for (size_t i = 0; i < n; i += 4) {
        uint32_t w;
        int pad = b64_group(s + i, i + 4 == n, &w);
        if (pad < 0)
            return -1;
        size_t k = 3 - (size_t)pad;
        if (cap - len < k)
            return -1;
        for (size_t j = 0; j < k; j++)
            dst[len++] = (uint8_t)(w >> (16 - 8 * j));
    }
    return (long)len;
}

/* ---- Errors ---- */

/* Copies client text into an error detail: printable ASCII only, at most 64 characters. */
static void sanitize(char *dst, size_t cap, const char *src, size_t n)
{
    size_t j = 0;
    for (size_t i = 0; i < n && j + 1 < cap && i < 64; i++)
        dst[j++] = (src[i] >= 0x20 && src[i] < 0x7F) ? src[i] : '?';
    dst[j] = '\0';
}

/* A character for a detail message, the way PostgreSQL's sanitize_char shows it. */
static const char *show_char(char c, char buf[8])
{
    if (c == '\0')
        return "end of string";
    if (c >= 0x21 && c <= 0x7E)
        snprintf(buf, 8, "%c", c);
    else
        snprintf(buf, 8, "0x%02x", (unsigned char)c);
    return buf;
}

__attribute__((format(printf, 2, 3))) static int malformed(uerr_t *err, const char *fmt, ...)
{
    ubuf_t b = UBUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    ubuf_vprintf(&b, fmt, ap);
    va_end(ap);
    uerr_set(err, "08P01", "malformed SCRAM message");
    uerr_set_detail(err, "%s", ubuf_cstr(&b));
    ubuf_free(&b);
    return -1;
}

static int auth_failed(const pgw_scram_t *s, uerr_t *err)
{
    uerr_set(err, "28P01", "password authentication failed for user \"%s\"", s->user);
    return -1;
}

/* ---- Crypto helpers ---- */

static void hmac256(const uint8_t *key, size_t klen, const void *d, size_t n,
                    uint8_t out[PGW_SCRAM_KEY_LEN])
{
    unsigned int olen = PGW_SCRAM_KEY_LEN;
    if (HMAC(EVP_sha256(), key, (int)klen, d, n, out, &olen) == NULL)
        abort(); /* only fails on allocation failure: the xmalloc policy */
}

/* StoredKey and ServerKey from the salted password (RFC 5802 section 3). */
static void keys_from_salted(const uint8_t salted[PGW_SCRAM_KEY_LEN], pgw_scram_verifier_t *v)
{
    uint8_t client_key[PGW_SCRAM_KEY_LEN];
    hmac256(salted, PGW_SCRAM_KEY_LEN, "Client Key", 10, client_key);
    SHA256(client_key, sizeof client_key, v->stored_key);
    hmac256(salted, PGW_SCRAM_KEY_LEN, "Server Key", 10, v->server_key);
    OPENSSL_cleanse(client_key, sizeof client_key);
}

/* ---- SASLprep and verifiers ---- */

static bool is_ascii(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s & 0x80)
            return false;
    return true;
}

char *pgw_scram_saslprep(const char *password)
{
    size_t n = strlen(password);
    if (is_ascii(password) || !uutf8_valid(password, n, NULL))
        return xstrdup(password);
    char *prepped = NULL;
    int rc = stringprep_profile(password, &prepped, "SASLprep", STRINGPREP_NO_UNASSIGNED);
    if (rc != STRINGPREP_OK || prepped == NULL) {
        free(prepped);
        return xstrdup(password);
    }
    char *r = xstrdup(prepped);
    explicit_bzero(prepped, strlen(prepped));
    free(prepped);
    return r;
}

int pgw_scram__make_verifier_salt(const char *password, int iterations, const uint8_t *salt,
                                  size_t salt_len, ubuf_t *out, uerr_t *err)
{
    if (iterations < 1 || iterations > ITERATIONS_MAX || salt_len == 0 || salt_len > 256) {
        uerr_set(err, "22023", "invalid SCRAM iteration count or salt");
        return -1;
    }
    char *prepped = pgw_scram_saslprep(password);
    uint8_t salted[PGW_SCRAM_KEY_LEN];
    pgw_scram_verifier_t v = {0};
    int ok = PKCS5_PBKDF2_HMAC(prepped, (int)strlen(prepped), salt, (int)salt_len, iterations,
                               EVP_sha256(), PGW_SCRAM_KEY_LEN, salted);
    explicit_bzero(prepped, strlen(prepped));
    free(prepped);
    if (!ok)
        abort(); /* allocation failure inside libcrypto */
    keys_from_salted(salted, &v);
    OPENSSL_cleanse(salted, sizeof salted);
    ubuf_reset(out);
    ubuf_printf(out, "SCRAM-SHA-256$%d:", iterations);
    pgw_b64_encode(out, salt, salt_len);
    ubuf_putc(out, '$');
    pgw_b64_encode(out, v.stored_key, PGW_SCRAM_KEY_LEN);
    ubuf_putc(out, ':');
    pgw_b64_encode(out, v.server_key, PGW_SCRAM_KEY_LEN);
    ubuf_cstr(out);
    pgw_scram_verifier_free(&v);
    return 0;
}

int pgw_scram_make_verifier(const char *password, int iterations, ubuf_t *out, uerr_t *err)
{
    if (iterations == 0)
        iterations = PGW_SCRAM_DEFAULT_ITERATIONS;
    if (iterations < PGW_SCRAM_DEFAULT_ITERATIONS || iterations > ITERATIONS_MAX) {
        uerr_set(err, "22023", "SCRAM iteration count must be between %d and %d",
                 PGW_SCRAM_DEFAULT_ITERATIONS, ITERATIONS_MAX);
        return -1;
    }
    uint8_t salt[PGW_SCRAM_SALT_LEN];
    if (RAND_bytes(salt, sizeof salt) != 1) {
        uerr_set(err, "58000", "could not generate random salt");
        return -1;
    }
    return pgw_scram__make_verifier_salt(password, iterations, salt, sizeof salt, out, err);
}

void pgw_scram_verifier_free(pgw_scram_verifier_t *v)
{
    if (v->salt) {
        OPENSSL_cleanse(v->salt, v->salt_len);
        free(v->salt);
    }
    OPENSSL_cleanse(v, sizeof *v);
}

/* Decodes exactly PGW_SCRAM_KEY_LEN bytes of base64 from s[0..n). */
static bool decode_key(const char *s, size_t n, uint8_t key[PGW_SCRAM_KEY_LEN])
{
    uint8_t tmp[PGW_SCRAM_KEY_LEN + 3];
    long k = pgw_b64_decode(s, n, tmp, sizeof tmp);
    bool ok = k == PGW_SCRAM_KEY_LEN;
    if (ok)
        memcpy(key, tmp, PGW_SCRAM_KEY_LEN);
    OPENSSL_cleanse(tmp, sizeof tmp);
    return ok;
}

static bool parse_iterations(const char *s, size_t n, int *out)
{
    long long v = 0;
    if (n == 0 || n > 10)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    if (v < 1 || v > INT_MAX)
        return false;
    *out = (int)v;
    return true;
}

bool pgw_scram_parse_verifier(const char *text, pgw_scram_verifier_t *v)
{
    static const char prefix[] = "SCRAM-SHA-256$";
    memset(v, 0, sizeof *v);
    size_t n = strnlen(text, VERIFIER_MAX + 1);
    if (n > VERIFIER_MAX || strncmp(text, prefix, sizeof prefix - 1) != 0)
        return false;
    const char *it = text + sizeof prefix - 1;
    const char *colon1 = strchr(it, ':');
    const char *dollar = colon1 ? strchr(colon1 + 1, '$') : NULL;
    const char *colon2 = dollar ? strchr(dollar + 1, ':') : NULL;
    if (colon2 == NULL || !parse_iterations(it, (size_t)(colon1 - it), &v->iterations))
        goto bad;
    size_t salt_b64 = (size_t)(dollar - colon1 - 1);
    v->salt = xmalloc(salt_b64 / 4 * 3 + 1);
    long k = pgw_b64_decode(colon1 + 1, salt_b64, v->salt, salt_b64 / 4 * 3);
    if (k <= 0)
        goto bad;
    v->salt_len = (size_t)k;
    if (!decode_key(dollar + 1, (size_t)(colon2 - dollar - 1), v->stored_key) ||
        !decode_key(colon2 + 1, strlen(colon2 + 1), v->server_key))
        goto bad;
    return true;
bad:
    pgw_scram_verifier_free(v);
    return false;
}

/* ---- Exchange state ---- */

const char *const *pgw_scram_mechanisms(bool plus_available, size_t *n)
{
    static const char *const mechs[] = {PGW_SCRAM_MECH_PLUS, PGW_SCRAM_MECH};
    *n = plus_available ? 2 : 1;
    return plus_available ? mechs : mechs + 1;
}

int pgw_scram_decode_initial(const uint8_t *p, size_t n, pgw_scram_initial_t *out, uerr_t *err)
{
    pgw_rd_t r;
    pgw_rd_init(&r, p, n);
    memset(out, 0, sizeof *out);
    const char *mech = pgw_rd_cstr(&r, NULL);
    int32_t len = pgw_rd_i32(&r);
    const uint8_t *data = len == -1 ? NULL : pgw_rd_bytes(&r, len);
    if (!pgw_rd_done(&r) || (len != -1 && data == NULL)) {
        uerr_set(err, "08P01", "invalid message format");
        uerr_set_detail(err, "Malformed SASLInitialResponse message.");
        return -1;
    }
    out->mechanism = mech;
    out->data = data;
    out->len = data ? (size_t)len : 0;
    return 0;
}

static uint8_t process_secret[32];

static void process_secret_init(void)
{
    if (RAND_bytes(process_secret, sizeof process_secret) != 1)
        abort(); /* no randomness at all: nothing safe to do */
}

/* The mock verifier of an unknown user: a salt PostgreSQL-style from SHA-256(user || secret),
 * and keys nobody can produce a proof for without the secret. */
static void mock_verifier(pgw_scram_t *s, const uint8_t *secret, size_t secret_len)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    if (secret == NULL || secret_len == 0) {
        pthread_once(&once, process_secret_init);
        secret = process_secret;
        secret_len = sizeof process_secret;
    }
    uint8_t digest[SHA256_DIGEST_LENGTH];
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 ||
        EVP_DigestUpdate(ctx, s->user, strlen(s->user)) != 1 ||
        EVP_DigestUpdate(ctx, secret, secret_len) != 1 ||
        EVP_DigestFinal_ex(ctx, digest, NULL) != 1)
        abort(); /* allocation failure inside libcrypto */
    EVP_MD_CTX_free(ctx);
    s->v.iterations = PGW_SCRAM_DEFAULT_ITERATIONS;
    s->v.salt_len = PGW_SCRAM_SALT_LEN;
    s->v.salt = xmalloc(PGW_SCRAM_SALT_LEN);
    memcpy(s->v.salt, digest, PGW_SCRAM_SALT_LEN);
    hmac256(secret, secret_len, digest, sizeof digest, s->v.stored_key);
    hmac256(secret, secret_len, s->v.stored_key, PGW_SCRAM_KEY_LEN, s->v.server_key);
    OPENSSL_cleanse(digest, sizeof digest);
    s->doomed = true;
}

pgw_scram_t *pgw_scram_new(const char *user, const char *verifier, const uint8_t *mock_secret,
                           size_t mock_len, const pgw_scram_cb_t *cb)
{
    pgw_scram_t *s = xcalloc(1, sizeof *s);
    s->user = xstrdup(user);
    if (verifier == NULL || !pgw_scram_parse_verifier(verifier, &s->v))
        mock_verifier(s, mock_secret, mock_len);
    if (cb && cb->data && cb->len > 0 && cb->len <= PGW_SCRAM_CB_MAX) {
        memcpy(s->cb, cb->data, cb->len);
        s->cb_len = cb->len;
        s->cb_offered = true;
    }
    return s;
}

void pgw_scram_free(pgw_scram_t *s)
{
    if (s == NULL)
        return;
    pgw_scram_verifier_free(&s->v);
    free(s->user);
    free(s->gs2_header);
    free(s->first_bare);
    free(s->nonce);
    free(s->server_first);
    OPENSSL_cleanse(s, sizeof *s);
    free(s);
}

void pgw_scram__set_nonce(pgw_scram_t *s, const char *nonce)
{
    snprintf(s->server_nonce, sizeof s->server_nonce, "%s", nonce);
}

int pgw_scram_select_mechanism(pgw_scram_t *s, const char *mechanism, uerr_t *err)
{
    if (s->state == ST_INIT && strcmp(mechanism, PGW_SCRAM_MECH) == 0) {
        s->plus = false;
        return 0;
    }
    if (s->state == ST_INIT && s->cb_offered && strcmp(mechanism, PGW_SCRAM_MECH_PLUS) == 0) {
        s->plus = true;
        return 0;
    }
    uerr_set(err, "08P01", "client selected an invalid SASL authentication mechanism");
    return -1;
}

/* ---- Message parsing ---- */

/* Reads "<attr>=<value>" at *pp up to the next ',' or the end (not consuming the ','). */
static int read_attr(const char **pp, char attr, const char **val, size_t *vlen, uerr_t *err)
{
    const char *p = *pp;
    char cb[8];
    if (*p != attr)
        return malformed(err, "Expected attribute \"%c\" but found \"%s\".", attr,
                         show_char(*p, cb));
    if (p[1] != '=')
        return malformed(err, "Expected character \"=\" for attribute \"%c\".", attr);
    *val = p + 2;
    *vlen = strcspn(*val, ",");
    *pp = *val + *vlen;
    return 0;
}

/* Reads any "<letter>=<value>"; returns the attribute letter in *attr. */
static int read_any_attr(const char **pp, char *attr, const char **val, size_t *vlen, uerr_t *err)
{
    char c = **pp, cb[8];
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')))
        return malformed(err, "Attribute expected, but found invalid character \"%s\".",
                         show_char(c, cb));
    *attr = c;
    return read_attr(pp, c, val, vlen, err);
}

static int expect_comma(const char **pp, const char *where, uerr_t *err)
{
    char cb[8];
    if (**pp != ',')
        return malformed(err, "Comma expected in %s, but found character \"%s\".", where,
                         show_char(**pp, cb));
    (*pp)++;
    return 0;
}

/* The gs2 header: cbind flag, empty authzid. Leaves *pp after the second ','. */
static int parse_gs2(pgw_scram_t *s, const char **pp, uerr_t *err)
{
    const char *val;
    size_t vlen;
    char cb[8];
    switch (**pp) {
    case 'n':
    case 'y':
        if (s->plus)
            return malformed(err, "The client selected SCRAM-SHA-256-PLUS, but the SCRAM "
                                  "message does not include channel binding data.");
        if (**pp == 'y' && s->cb_offered) {
            uerr_set(err, "08P01", "SCRAM channel binding negotiation error");
            uerr_set_detail(err, "The client supports SCRAM channel binding but thinks the "
                                 "server does not.  However, this server does support channel "
                                 "binding.");
            return -1;
        }
        (*pp)++;
        break;
    case 'p':
        if (!s->plus)
            return malformed(err, "The client selected SCRAM-SHA-256 without channel binding, "
                                  "but the SCRAM message includes channel binding data.");
        if (read_attr(pp, 'p', &val, &vlen, err) != 0)
            return -1;
        if (vlen != 20 || memcmp(val, "tls-server-end-point", 20) != 0) {
            char name[72];
            sanitize(name, sizeof name, val, vlen);
            uerr_set(err, "08P01", "unsupported SCRAM channel-binding type \"%s\"", name);
            return -1;
        }
        break;
    default: return malformed(err, "Unexpected channel-binding flag \"%s\".", show_char(**pp, cb));
    }
    if (expect_comma(pp, "the GS2 header", err) != 0)
        return -1;
    if (**pp == 'a') {
        uerr_set(err, "0A000", "client uses authorization identity, but it is not supported");
        return -1;
    }
    if (**pp != ',')
        return malformed(err, "Unexpected attribute \"%s\" in client-first-message.",
                         show_char(**pp, cb));
    (*pp)++;
    return 0;
}

static bool nonce_printable(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] < 0x21 || p[i] > 0x7E || p[i] == ',')
            return false;
    return n > 0;
}

/* Skips optional extensions ",x=..." until the end of the message. */
static int skip_extensions(const char **pp, uerr_t *err)
{
    while (**pp == ',') {
        const char *val;
        size_t vlen;
        char attr;
        (*pp)++;
        if (read_any_attr(pp, &attr, &val, &vlen, err) != 0)
            return -1;
    }
    char cb[8];
    if (**pp != '\0')
        return malformed(err, "Unexpected character \"%s\".", show_char(**pp, cb));
    return 0;
}

/* Makes the server nonce (unless the test hook set one) and server-first-message. */
static int build_server_first(pgw_scram_t *s, const char *cnonce, size_t cn, ubuf_t *out,
                              uerr_t *err)
{
    if (s->server_nonce[0] == '\0') {
        uint8_t raw[PGW_SCRAM_NONCE_RAW_LEN];
        ubuf_t b = UBUF_INIT;
        if (RAND_bytes(raw, sizeof raw) != 1) {
            uerr_set(err, "XX000", "could not generate random nonce");
            return -1;
        }
        pgw_b64_encode(&b, raw, sizeof raw);
        pgw_scram__set_nonce(s, ubuf_cstr(&b));
        ubuf_free(&b);
    }
    ubuf_t b = UBUF_INIT;
    ubuf_append(&b, cnonce, cn);
    ubuf_puts(&b, s->server_nonce);
    s->nonce = xstrdup(ubuf_cstr(&b));
    ubuf_reset(&b);
    ubuf_printf(&b, "r=%s,s=", s->nonce);
    pgw_b64_encode(&b, s->v.salt, s->v.salt_len);
    ubuf_printf(&b, ",i=%d", s->v.iterations);
    s->server_first = xstrdup(ubuf_cstr(&b));
    ubuf_free(&b);
    ubuf_puts(out, s->server_first);
    return 0;
}

/* client-first-message = gs2-header [reserved-mext ","] username "," nonce ["," extensions] */
static int step_first(pgw_scram_t *s, const char *msg, ubuf_t *out, uerr_t *err)
{
    const char *p = msg, *user, *cnonce;
    size_t ulen, cn;
    if (parse_gs2(s, &p, err) != 0)
        return -1;
    s->gs2_header = xstrndup(msg, (size_t)(p - msg));
    s->first_bare = xstrdup(p);
    if (*p == 'm') {
        uerr_set(err, "0A000", "client requires an unsupported SCRAM extension");
        return -1;
    }
    /* The SCRAM user name is ignored: the startup packet's user is authenticated. */
    if (read_attr(&p, 'n', &user, &ulen, err) != 0 ||
        expect_comma(&p, "client-first-message", err) != 0 ||
        read_attr(&p, 'r', &cnonce, &cn, err) != 0)
        return -1;
    if (!nonce_printable(cnonce, cn))
        return malformed(err, "Client nonce contains invalid characters.");
    if (skip_extensions(&p, err) != 0)
        return -1;
    return build_server_first(s, cnonce, cn, out, err);
}

/* Checks c= against the gs2 header (plus the channel-binding data for -PLUS). */
static int check_binding(const pgw_scram_t *s, const char *val, size_t vlen, uerr_t *err)
{
    ubuf_t raw = UBUF_INIT, exp = UBUF_INIT;
    ubuf_puts(&raw, s->gs2_header);
    if (s->plus)
        ubuf_append(&raw, s->cb, s->cb_len);
    pgw_b64_encode(&exp, (const uint8_t *)raw.data, raw.len);
    bool ok = exp.len == vlen && memcmp(exp.data, val, vlen) == 0;
    ubuf_free(&raw);
    ubuf_free(&exp);
    if (ok)
        return 0;
    if (s->plus)
        uerr_set(err, "28000", "SCRAM channel binding check failed");
    else
        uerr_set(err, "08P01",
                 "unexpected SCRAM channel-binding attribute in client-final-message");
    return -1;
}

/* The proof check of RFC 5802: H(ClientProof XOR HMAC(StoredKey, AuthMessage)) == StoredKey.
 * Runs the same work for a mock verifier, which then fails. */
static int verify_proof(pgw_scram_t *s, const char *without_proof, size_t wlen,
                        const uint8_t proof[PGW_SCRAM_KEY_LEN], ubuf_t *out, uerr_t *err)
{
    ubuf_t am = UBUF_INIT;
    uint8_t sig[PGW_SCRAM_KEY_LEN], key[PGW_SCRAM_KEY_LEN], h[PGW_SCRAM_KEY_LEN];
    ubuf_printf(&am, "%s,%s,", s->first_bare, s->server_first);
    ubuf_append(&am, without_proof, wlen);
    hmac256(s->v.stored_key, PGW_SCRAM_KEY_LEN, am.data, am.len, sig);
    for (size_t i = 0; i < PGW_SCRAM_KEY_LEN; i++)
        key[i] = proof[i] ^ sig[i];
    SHA256(key, sizeof key, h);
    bool ok = CRYPTO_memcmp(h, s->v.stored_key, PGW_SCRAM_KEY_LEN) == 0 && !s->doomed;
    int rc = -1;
    if (!ok) {
        auth_failed(s, err);
        goto out;
    }
    hmac256(s->v.server_key, PGW_SCRAM_KEY_LEN, am.data, am.len, sig);
    ubuf_puts(out, "v=");
    pgw_b64_encode(out, sig, sizeof sig);
    rc = 0;
out:
    OPENSSL_cleanse(sig, sizeof sig);
    OPENSSL_cleanse(key, sizeof key);
    ubuf_free(&am);
    return rc;
}

/* client-final-message = channel-binding "," nonce ["," extensions] "," proof */
static int step_final(pgw_scram_t *s, const char *msg, ubuf_t *out, uerr_t *err)
{
    const char *p = msg, *val, *proof_at;
    size_t vlen;
    char attr;
    if (read_attr(&p, 'c', &val, &vlen, err) != 0 || check_binding(s, val, vlen, err) != 0 ||
        expect_comma(&p, "client-final-message", err) != 0 ||
        read_attr(&p, 'r', &val, &vlen, err) != 0)
        return -1;
    if (vlen != strlen(s->nonce) || memcmp(val, s->nonce, vlen) != 0) {
        uerr_set(err, "08P01", "invalid SCRAM response");
        uerr_set_detail(err, "Nonce does not match.");
        return -1;
    }
    do {
        if (expect_comma(&p, "client-final-message", err) != 0)
            return -1;
        proof_at = p;
        if (read_any_attr(&p, &attr, &val, &vlen, err) != 0)
            return -1;
    } while (attr != 'p');
    if (*p != '\0')
        return malformed(err, "Garbage found at the end of client-final-message.");
    uint8_t proof[PGW_SCRAM_KEY_LEN];
    if (!decode_key(val, vlen, proof))
        return malformed(err, "Malformed proof in client-final-message.");
    int rc = verify_proof(s, msg, (size_t)(proof_at - 1 - msg), proof, out, err);
    OPENSSL_cleanse(proof, sizeof proof);
    return rc;
}

int pgw_scram_step(pgw_scram_t *s, const uint8_t *in, size_t in_len, ubuf_t *out, uerr_t *err)
{
    ubuf_reset(out);
    if (s->state == ST_INIT && in == NULL && !s->empty_sent) {
        s->empty_sent = true; /* no initial response: an empty challenge asks for it */
        return PGW_SCRAM_CONTINUE;
    }
    size_t cap = s->state == ST_INIT ? PGW_SCRAM_FIRST_MAX : PGW_SCRAM_FINAL_MAX;
    int rc = -1;
    char *msg = NULL;
    if (s->state == ST_FINISHED) {
        uerr_set(err, "08P01", "SCRAM exchange already finished");
        goto out;
    }
    if (in == NULL || in_len == 0) {
        malformed(err, "The message is empty.");
        goto out;
    }
    if (in_len > cap) {
        malformed(err, "The message is longer than %zu bytes.", cap);
        goto out;
    }
    if (memchr(in, '\0', in_len) != NULL) {
        malformed(err, "Message length does not match input length.");
        goto out;
    }
    msg = xstrndup((const char *)in, in_len);
    if (s->state == ST_INIT)
        rc = step_first(s, msg, out, err) == 0 ? PGW_SCRAM_CONTINUE : -1;
    else
        rc = step_final(s, msg, out, err) == 0 ? PGW_SCRAM_DONE_OK : -1;
out:
    free(msg);
    if (rc == PGW_SCRAM_CONTINUE) {
        s->state = ST_SENT_FIRST;
    } else {
        s->state = ST_FINISHED;
        if (rc != PGW_SCRAM_DONE_OK)
            ubuf_reset(out);
    }
    return rc < 0 ? PGW_SCRAM_FAIL : rc;
}
