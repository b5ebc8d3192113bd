/* Unit tests for the SCRAM-SHA-256 server: the RFC 7677 example exchange, verifier generation
 * and parsing, wrong passwords and unknown users, every truncation and byte flip of the client
 * messages, nonce and channel-binding mismatches, SASLprep (RFC 4013) and strict base64. A
 * small SCRAM client written here with libcrypto plays the other side. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "pgwire/auth.h"
#include "pgwire/codec.h"
#include "pgwire/scram.h"

static const uint8_t SECRET[] = "0123456789abcdef0123456789abcdef";
#define SECRET_ARGS SECRET, sizeof SECRET - 1

static const char RFC_FIRST[] = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO";
static const char RFC_SNONCE[] = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
static const char RFC_SERVER_FIRST[] = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
                                       "s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
static const char RFC_FINAL[] = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
                                "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
static const char RFC_SERVER_FINAL[] = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

#define IN(s) (const uint8_t *)(s), strlen(s)

/* The RFC 7677 user's verifier: password "pencil", the RFC's salt, 4096 iterations. */
static char *rfc_verifier(void)
{
    uint8_t salt[16];
    const char *b64 = "W22ZaJ0SNY7soEsUEjb6gQ==";
    assert_int_equal(pgw_b64_decode(b64, strlen(b64), salt, sizeof salt), 16);
    ubuf_t v = UBUF_INIT;
    uerr_t err = UERR_INIT;
    assert_int_equal(pgw_scram__make_verifier_salt("pencil", 4096, salt, 16, &v, &err), 0);
    return v.data;
}

/* ---- A minimal SCRAM client ---- */

/* Extracts the value of attribute `a` from a server-first-message. */
static char *attr_of(const char *msg, char a)
{
    for (const char *p = msg; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL) {
        if (p[0] == a && p[1] == '=') {
            size_t n = strcspn(p + 2, ",");
            char *r = malloc(n + 1);
            memcpy(r, p + 2, n);
            r[n] = '\0';
            return r;
        }
    }
    return NULL;
}

/* Builds client-final-message for `password` answering `server_first`; `cbind` is the c= value.
 * When sig is not NULL, stores the ServerSignature the server must answer with ("v=..."). */
static void client_final(const char *password, const char *first_bare, const char *server_first,
                         const char *cbind, ubuf_t *out, ubuf_t *sig)
{
    char *nonce = attr_of(server_first, 'r'), *salt64 = attr_of(server_first, 's');
    char *iters = attr_of(server_first, 'i');
    uint8_t salt[128], salted[32], ckey[32], skey[32], stored[32], csig[32], ssig[32];
    unsigned int len = 32;
    long sl = pgw_b64_decode(salt64, strlen(salt64), salt, sizeof salt);
    assert_true(sl > 0);
    assert_int_equal(PKCS5_PBKDF2_HMAC(password, (int)strlen(password), salt, (int)sl, atoi(iters),
                                       EVP_sha256(), 32, salted),
                     1);
    HMAC(EVP_sha256(), salted, 32, (const uint8_t *)"Client Key", 10, ckey, &len);
    HMAC(EVP_sha256(), salted, 32, (const uint8_t *)"Server Key", 10, skey, &len);
    SHA256(ckey, 32, stored);
    ubuf_t am = UBUF_INIT;
    ubuf_reset(out);
    ubuf_printf(out, "c=%s,r=%s", cbind, nonce);
    ubuf_printf(&am, "%s,%s,", first_bare, server_first);
    ubuf_append(&am, out->data, out->len);
    HMAC(EVP_sha256(), stored, 32, (const uint8_t *)am.data, am.len, csig, &len);
    HMAC(EVP_sha256(), skey, 32, (const uint8_t *)am.data, am.len, ssig, &len);
    for (int i = 0; i < 32; i++)
        ckey[i] ^= csig[i];
    ubuf_puts(out, ",p=");
    pgw_b64_encode(out, ckey, 32);
    ubuf_cstr(out);
    if (sig) {
        ubuf_reset(sig);
        ubuf_puts(sig, "v=");
        pgw_b64_encode(sig, ssig, 32);
        ubuf_cstr(sig);
    }
    ubuf_free(&am);
    free(nonce);
    free(salt64);
    free(iters);
}

/* Runs a whole exchange with fixed client messages; returns the last step's result and leaves
 * the error (if any) in *err. */
static int run_fixed(const char *verifier, const uint8_t *first, size_t flen, const uint8_t *fin,
                     size_t finlen, uerr_t *err)
{
    pgw_scram_t *s = pgw_scram_new("user", verifier, SECRET_ARGS, NULL);
    pgw_scram__set_nonce(s, RFC_SNONCE);
    ubuf_t out = UBUF_INIT;
    int rc = pgw_scram_step(s, first, flen, &out, err);
    if (rc == PGW_SCRAM_CONTINUE)
        rc = pgw_scram_step(s, fin, finlen, &out, err);
    ubuf_free(&out);
    pgw_scram_free(s);
    return rc;
}

static void assert_failed_cleanly(int rc, uerr_t *err)
{
    assert_int_equal(rc, PGW_SCRAM_FAIL);
    assert_true(uerr_isset(err));
    const char *st = err->sqlstate;
    assert_true(strcmp(st, "08P01") == 0 || strcmp(st, "28P01") == 0 || strcmp(st, "0A000") == 0 ||
                strcmp(st, "28000") == 0);
    uerr_clear(err);
}

/* ---- Tests ---- */

static void test_rfc7677_exchange(void **state)
{
    char *verifier = rfc_verifier();
    pgw_scram_t *s = pgw_scram_new("user", verifier, SECRET_ARGS, NULL);
    ubuf_t out = UBUF_INIT;
    uerr_t err = UERR_INIT;
    assert_int_equal(pgw_scram_select_mechanism(s, "SCRAM-SHA-256", &err), 0);
    pgw_scram__set_nonce(s, RFC_SNONCE);
    assert_int_equal(pgw_scram_step(s, IN(RFC_FIRST), &out, &err), PGW_SCRAM_CONTINUE);
    assert_int_equal(out.len, strlen(RFC_SERVER_FIRST));
    assert_memory_equal(out.data, RFC_SERVER_FIRST, out.len);
    assert_int_equal(pgw_scram_step(s, IN(RFC_FINAL), &out, &err), PGW_SCRAM_DONE_OK);
    assert_int_equal(out.len, strlen(RFC_SERVER_FINAL));
    assert_memory_equal(out.data, RFC_SERVER_FINAL, out.len);
    assert_false(uerr_isset(&err));
    /* Nothing is accepted after the end. */
    assert_int_equal(pgw_scram_step(s, IN(RFC_FINAL), &out, &err), PGW_SCRAM_FAIL);
    assert_string_equal(err.sqlstate, "08P01");
    uerr_clear(&err);
    ubuf_free(&out);
    pgw_scram_free(s);
    free(verifier);
}

/* A verifier from pgw_scram_make_verifier, then a full exchange with the test client. */
static int exchange(const char *user, const char *verifier, const char *password, uerr_t *err,
                    ubuf_t *server_first_out)
{
    const char *first = "n,,n=,r=fyko+d2lbbFgONRv9qkxdawL";
    pgw_scram_t *s = pgw_scram_new(user, verifier, SECRET_ARGS, NULL);
    ubuf_t out = UBUF_INIT, fin = UBUF_INIT, sig = UBUF_INIT;
    int rc = pgw_scram_step(s, IN(first), &out, err);
    assert_int_equal(rc, PGW_SCRAM_CONTINUE);
    if (server_first_out)
        ubuf_append(server_first_out, out.data, out.len);
    client_final(password, first + 3, ubuf_cstr(&out), "biws", &fin, &sig);
    rc = pgw_scram_step(s, (const uint8_t *)fin.data, fin.len, &out, err);
    if (rc == PGW_SCRAM_DONE_OK)
        assert_string_equal(ubuf_cstr(&out), sig.data);
    else
        assert_int_equal(out.len, 0);
    ubuf_free(&out);
    ubuf_free(&fin);
    ubuf_free(&sig);
    pgw_scram_free(s);
    return rc;
}

static void test_verifier_round_trip(void **state)
{
    ubuf_t v = UBUF_INIT, v2 = UBUF_INIT;
    uerr_t err = UERR_INIT;
    assert_int_equal(pgw_scram_make_verifier("secret", 0, &v, &err), 0);
    assert_int_equal(strncmp(ubuf_cstr(&v), "SCRAM-SHA-256$4096:", 19), 0);
    pgw_scram_verifier_t pv;
    assert_true(pgw_scram_parse_verifier(v.data, &pv));
    assert_int_equal(pv.iterations, 4096);
    assert_int_equal(pv.salt_len, 16);
    pgw_scram_verifier_free(&pv);
    assert_int_equal(exchange("alice", v.data, "secret", &err, NULL), PGW_SCRAM_DONE_OK);
    /* A second verifier for the same password has a different salt. */
    assert_int_equal(pgw_scram_make_verifier("secret", 5000, &v2, &err), 0);
    assert_string_not_equal(v.data, v2.data);
    assert_int_equal(exchange("alice", v2.data, "secret", &err, NULL), PGW_SCRAM_DONE_OK);
    assert_int_equal(pgw_scram_make_verifier("secret", 1000, &v2, &err), -1);
    assert_string_equal(err.sqlstate, "22023");
    uerr_clear(&err);
    ubuf_free(&v);
    ubuf_free(&v2);
}

static void test_wrong_password_and_unknown_user(void **state)
{
    ubuf_t v = UBUF_INIT, sf1 = UBUF_INIT, sf2 = UBUF_INIT, sf3 = UBUF_INIT;
    uerr_t err = UERR_INIT;
    assert_int_equal(pgw_scram_make_verifier("secret", 0, &v, &err), 0);
    assert_int_equal(exchange("alice", v.data, "Secret", &err, NULL), PGW_SCRAM_FAIL);
    assert_string_equal(err.sqlstate, "28P01");
    assert_string_equal(err.message, "password authentication failed for user \"alice\"");
    uerr_clear(&err);
    /* Unknown user: the same error; the mock salt is stable per name and differs by name. */
    assert_int_equal(exchange("bob", NULL, "secret", &err, &sf1), PGW_SCRAM_FAIL);
    assert_string_equal(err.sqlstate, "28P01");
    assert_string_equal(err.message, "password authentication failed for user \"bob\"");
    uerr_clear(&err);
    assert_int_equal(exchange("bob", NULL, "", &err, &sf2), PGW_SCRAM_FAIL);
    uerr_clear(&err);
    assert_int_equal(exchange("carol", "garbage", "secret", &err, &sf3), PGW_SCRAM_FAIL);
    assert_string_equal(err.message, "password authentication failed for user \"carol\"");
    uerr_clear(&err);
    /* Without a caller secret a per-process one is used: still stable per name. */
    pgw_scram_t *m1 = pgw_scram_new("dave", NULL, NULL, 0, NULL);
    pgw_scram_t *m2 = pgw_scram_new("dave", NULL, NULL, 0, NULL);
    ubuf_t o1 = UBUF_INIT, o2 = UBUF_INIT;
    assert_int_equal(pgw_scram_step(m1, IN("n,,n=,r=abc"), &o1, &err), PGW_SCRAM_CONTINUE);
    assert_int_equal(pgw_scram_step(m2, IN("n,,n=,r=abc"), &o2, &err), PGW_SCRAM_CONTINUE);
    char *m1s = attr_of(ubuf_cstr(&o1), 's'), *m2s = attr_of(ubuf_cstr(&o2), 's');
    assert_string_equal(m1s, m2s);
    free(m1s);
    free(m2s);
    ubuf_free(&o1);
    ubuf_free(&o2);
    pgw_scram_free(m1);
    pgw_scram_free(m2);
    char *s1 = attr_of(ubuf_cstr(&sf1), 's'), *s2 = attr_of(ubuf_cstr(&sf2), 's');
    char *s3 = attr_of(ubuf_cstr(&sf3), 's'), *i1 = attr_of(sf1.data, 'i');
    assert_string_equal(s1, s2);
    assert_string_not_equal(s1, s3);
    assert_int_equal(strlen(s1), 24); /* 16 bytes, like a real verifier's salt */
    assert_string_equal(i1, "4096");
    free(s1);
    free(s2);
    free(s3);
    free(i1);
    ubuf_free(&v);
    ubuf_free(&sf1);
    ubuf_free(&sf2);
    ubuf_free(&sf3);
}

/* Every prefix and every single-byte corruption of either message fails cleanly. */
static void test_truncation_and_flips(void **state)
{
    char *verifier = rfc_verifier();
    uerr_t err = UERR_INIT;
    static const uint8_t masks[] = {0x01, 0x20, 0x80, 0xFF};
    size_t fl = strlen(RFC_FIRST), nl = strlen(RFC_FINAL);
    uint8_t *buf = malloc(nl);
    for (size_t n = 0; n < fl; n++) {
        uint8_t *p = malloc(n + 1); /* exact size (+1 for n = 0): ASan sees any over-read */
        memcpy(p, RFC_FIRST, n);
        assert_failed_cleanly(run_fixed(verifier, p, n, IN(RFC_FINAL), &err), &err);
        free(p);
    }
    for (size_t n = 0; n < nl; n++) {
        uint8_t *p = malloc(n + 1);
        memcpy(p, RFC_FINAL, n);
        assert_failed_cleanly(run_fixed(verifier, IN(RFC_FIRST), p, n, &err), &err);
        free(p);
    }
    for (size_t i = 0; i < fl; i++) {
        for (size_t m = 0; m < sizeof masks; m++) {
            memcpy(buf, RFC_FIRST, fl);
            buf[i] ^= masks[m];
            assert_failed_cleanly(run_fixed(verifier, buf, fl, IN(RFC_FINAL), &err), &err);
        }
    }
    for (size_t i = 0; i < nl; i++) {
        for (size_t m = 0; m < sizeof masks; m++) {
            memcpy(buf, RFC_FINAL, nl);
            buf[i] ^= masks[m];
            assert_failed_cleanly(run_fixed(verifier, IN(RFC_FIRST), buf, nl, &err), &err);
        }
    }
    assert_int_equal(run_fixed(verifier, IN(RFC_FIRST), IN(RFC_FINAL), &err), PGW_SCRAM_DONE_OK);
    free(buf);
    free(verifier);
}

static void expect_first_error(const char *first, const char *sqlstate, const char *message)
{
    pgw_scram_t *s = pgw_scram_new("user", NULL, SECRET_ARGS, NULL);
    ubuf_t out = UBUF_INIT;
    uerr_t err = UERR_INIT;
    assert_int_equal(pgw_scram_step(s, IN(first), &out, &err), PGW_SCRAM_FAIL);
    assert_string_equal(err.sqlstate, sqlstate);
    assert_string_equal(err.message, message);
    assert_int_equal(out.len, 0);
    uerr_clear(&err);
    ubuf_free(&out);
    pgw_scram_free(s);
}

static void test_client_first_errors(void **state)
{
    const char *bad = "malformed SCRAM message";
    expect_first_error("x,,n=,r=abc", "08P01", bad);
    expect_first_error("n,a=admin,n=,r=abc", "0A000",
                       "client uses authorization identity, but it is not supported");
    expect_first_error("n,,m=ext,n=,r=abc", "0A000",
                       "client requires an unsupported SCRAM extension");
    expect_first_error("p=tls-server-end-point,,n=,r=abc", "08P01", bad);
    expect_first_error("n,,n=,r=", "08P01", bad);
    expect_first_error("n,,n=,r=a\x7f", "08P01", bad);
    expect_first_error("n,,n=,r=abc,", "08P01", bad);
    expect_first_error("n,,n=,r=abc,1=x", "08P01", bad);
    expect_first_error("n,,r=abc", "08P01", bad);
    expect_first_error("n,,n=,x=abc", "08P01", bad);
    /* Optional extensions after the nonce are ignored, as RFC 5802 requires. */
    pgw_scram_t *s = pgw_scram_new("user", NULL, SECRET_ARGS, NULL);
    ubuf_t out = UBUF_INIT;
    uerr_t err = UERR_INIT;
    assert_int_equal(pgw_scram_step(s, IN("y,,n=x,r=abc,q=1,z=2"), &out, &err), PGW_SCRAM_CONTINUE);
    assert_int_equal(strncmp(ubuf_cstr(&out), "r=abc", 5), 0);
    assert_int_equal(out.len, strlen("r=abc,s=,i=4096") + 24 + 24);
    pgw_scram_free(s);
    /* Size cap and embedded NUL. */
    char big[PGW_SCRAM_FIRST_MAX + 2];
    memset(big, 'a', sizeof big);
    memcpy(big, "n,,n=,r=", 8);
    s = pgw_scram_new("user", NULL, SECRET_ARGS, NULL);
    assert_int_equal(pgw_scram_step(s, (const uint8_t *)big, sizeof big, &out, &err),
                     PGW_SCRAM_FAIL);
    assert_string_equal(err.sqlstate, "08P01");
    pgw_scram_free(s);
    s = pgw_scram_new("user", NULL, SECRET_ARGS, NULL);
    assert_int_equal(pgw_scram_step(s, (const uint8_t *)"n,,n=,r=a\0b", 11, &out, &err),
                     PGW_SCRAM_FAIL);
    assert_string_equal(err.detail, "Message length does not match input length.");
    pgw_scram_free(s);
    uerr_clear(&err);
    ubuf_free(&out);
}

static void test_nonce_mismatch(void **state)
{
    char *verifier = rfc_verifier();
    uerr_t err = UERR_INIT;
    const char *fin = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k1,"
                      "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
    assert_int_equal(run_fixed(verifier, IN(RFC_FIRST), IN(fin), &err), PGW_SCRAM_FAIL);
    assert_string_equal(err.sqlstate, "08P01");
    assert_string_equal(err.message, "invalid SCRAM response");
    assert_string_equal(err.detail, "Nonce does not match.");
    /* Only the client's half of the nonce echoed back. */
    fin = "c=biws,r=rOprNGfwEbeRWgbNEkqO,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
    assert_int_equal(run_fixed(verifier, IN(RFC_FIRST), IN(fin), &err), PGW_SCRAM_FAIL);
    assert_string_equal(err.message, "invalid SCRAM response");
    /* c= must match the gs2 header the client sent ("y,," is "eSws"). */
    fin = "c=eSws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
          "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
    assert_int_equal(run_fixed(verifier, IN(RFC_FIRST), IN(fin), &err), PGW_SCRAM_FAIL);
    assert_string_equal(err.message,
                        "unexpected SCRAM channel-binding attribute in client-final-message");
    /* A short proof and a proof followed by more attributes. */
    fin = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzb";
    assert_int_equal(run_fixed(verifier, IN(RFC_FIRST), IN(fin), &err), PGW_SCRAM_FAIL);
    assert_string_equal(err.detail, "Malformed proof in client-final-message.");
    uerr_clear(&err);
    free(verifier);
}

/* SCRAM-SHA-256-PLUS with tls-server-end-point data from the "driver". */
static int plus_exchange(const uint8_t *server_cb, const uint8_t *client_cb, uerr_t *err)
{
    const char *first = "p=tls-server-end-point,,n=,r=clientnonce";
    pgw_scram_cb_t cb = {server_cb, 32};
    ubuf_t v = UBUF_INIT, out = UBUF_INIT, fin = UBUF_INIT, sig = UBUF_INIT, c = UBUF_INIT;
    assert_int_equal(pgw_scram_make_verifier("pw", 0, &v, err), 0);
    pgw_scram_t *s = pgw_scram_new("u", v.data, SECRET_ARGS, &cb);
    assert_int_equal(pgw_scram_select_mechanism(s, "SCRAM-SHA-256-PLUS", err), 0);
    assert_int_equal(pgw_scram_step(s, IN(first), &out, err), PGW_SCRAM_CONTINUE);
    ubuf_t raw = UBUF_INIT;
    ubuf_puts(&raw, "p=tls-server-end-point,,");
    ubuf_append(&raw, client_cb, 32);
    pgw_b64_encode(&c, (const uint8_t *)raw.data, raw.len);
    client_final("pw", strstr(first, "n="), ubuf_cstr(&out), ubuf_cstr(&c), &fin, &sig);
    int rc = pgw_scram_step(s, (const uint8_t *)fin.data, fin.len, &out, err);
    if (rc == PGW_SCRAM_DONE_OK)
        assert_string_equal(ubuf_cstr(&out), sig.data);
    pgw_scram_free(s);
    ubuf_free(&raw);
    ubuf_free(&v);
    ubuf_free(&out);
    ubuf_free(&fin);
    ubuf_free(&sig);
    ubuf_free(&c);
    return rc;
}

static void test_channel_binding(void **state)
{
    uint8_t h1[32], h2[32];
    uerr_t err = UERR_INIT;
    memset(h1, 0xA5, sizeof h1);
    memcpy(h2, h1, sizeof h2);
    h2[31] ^= 1;
    assert_int_equal(plus_exchange(h1, h1, &err), PGW_SCRAM_DONE_OK);
    assert_int_equal(plus_exchange(h1, h2, &err), PGW_SCRAM_FAIL);
    assert_string_equal(err.sqlstate, "28000");
    assert_string_equal(err.message, "SCRAM channel binding check failed");
    /* PLUS is refused when the connection offers no channel binding. */
    pgw_scram_t *s = pgw_scram_new("u", NULL, SECRET_ARGS, NULL);
    assert_int_equal(pgw_scram_select_mechanism(s, "SCRAM-SHA-256-PLUS", &err), -1);
    assert_string_equal(err.message, "client selected an invalid SASL authentication mechanism");
    assert_int_equal(pgw_scram_select_mechanism(s, "SCRAM-SHA-1", &err), -1);
    pgw_scram_free(s);
    /* With binding offered: "y" is a downgrade; PLUS without "p=" is malformed. */
    pgw_scram_cb_t cb = {h1, 32};
    ubuf_t out = UBUF_INIT;
    s = pgw_scram_new("u", NULL, SECRET_ARGS, &cb);
    assert_int_equal(pgw_scram_step(s, IN("y,,n=,r=abc"), &out, &err), PGW_SCRAM_FAIL);
    assert_string_equal(err.message, "SCRAM channel binding negotiation error");
    pgw_scram_free(s);
    s = pgw_scram_new("u", NULL, SECRET_ARGS, &cb);
    assert_int_equal(pgw_scram_select_mechanism(s, "SCRAM-SHA-256-PLUS", &err), 0);
    assert_int_equal(pgw_scram_step(s, IN("n,,n=,r=abc"), &out, &err), PGW_SCRAM_FAIL);
    assert_string_equal(err.message, "malformed SCRAM message");
    pgw_scram_free(s);
    s = pgw_scram_new("u", NULL, SECRET_ARGS, &cb);
    assert_int_equal(pgw_scram_select_mechanism(s, "SCRAM-SHA-256-PLUS", &err), 0);
    assert_int_equal(pgw_scram_step(s, IN("p=tls-unique,,n=,r=abc"), &out, &err), PGW_SCRAM_FAIL);
    assert_string_equal(err.message, "unsupported SCRAM channel-binding type \"tls-unique\"");
    pgw_scram_free(s);
    /* "n" with binding offered but not selected is fine (client does not support it). */
    s = pgw_scram_new("u", NULL, SECRET_ARGS, &cb);
    assert_int_equal(pgw_scram_step(s, IN("n,,n=,r=abc"), &out, &err), PGW_SCRAM_CONTINUE);
    pgw_scram_free(s);
    uerr_clear(&err);
    ubuf_free(&out);
}

static void test_mechanisms_and_initial(void **state)
{
    size_t n;
    const char *const *m = pgw_scram_mechanisms(true, &n);
    assert_int_equal(n, 2);
    assert_string_equal(m[0], "SCRAM-SHA-256-PLUS");
    assert_string_equal(m[1], "SCRAM-SHA-256");
    m = pgw_scram_mechanisms(false, &n);
    assert_int_equal(n, 1);
    assert_string_equal(m[0], "SCRAM-SHA-256");

    pgw_scram_initial_t in;
    uerr_t err = UERR_INIT;
    static const uint8_t ok[] = "SCRAM-SHA-256\0\0\0\0\x03n,,";
    assert_int_equal(pgw_scram_decode_initial(ok, sizeof ok - 1, &in, &err), 0);
    assert_string_equal(in.mechanism, "SCRAM-SHA-256");
    assert_int_equal(in.len, 3);
    assert_memory_equal(in.data, "n,,", 3);
    static const uint8_t none[] = "SCRAM-SHA-256\0\xff\xff\xff\xff";
    assert_int_equal(pgw_scram_decode_initial(none, sizeof none - 1, &in, &err), 0);
    assert_null(in.data);
    for (size_t k = 0; k < sizeof ok - 1; k++)
        assert_int_equal(pgw_scram_decode_initial(ok, k, &in, &err), -1);
    static const uint8_t extra[] = "SCRAM-SHA-256\0\0\0\0\x01n,";
    assert_int_equal(pgw_scram_decode_initial(extra, sizeof extra - 1, &in, &err), -1);
    static const uint8_t neg[] = "SCRAM-SHA-256\0\xff\xff\xff\xfe";
    assert_int_equal(pgw_scram_decode_initial(neg, sizeof neg - 1, &in, &err), -1);
    assert_string_equal(err.sqlstate, "08P01");
    uerr_clear(&err);

    /* No initial response: an empty challenge, then client-first as SASLResponse. */
    char *verifier = rfc_verifier();
    pgw_scram_t *s = pgw_scram_new("user", verifier, SECRET_ARGS, NULL);
    pgw_scram__set_nonce(s, RFC_SNONCE);
    ubuf_t out = UBUF_INIT;
    assert_int_equal(pgw_scram_step(s, NULL, 0, &out, &err), PGW_SCRAM_CONTINUE);
    assert_int_equal(out.len, 0);
    assert_int_equal(pgw_scram_step(s, IN(RFC_FIRST), &out, &err), PGW_SCRAM_CONTINUE);
    assert_int_equal(pgw_scram_step(s, IN(RFC_FINAL), &out, &err), PGW_SCRAM_DONE_OK);
    pgw_scram_free(s);
    ubuf_free(&out);
    free(verifier);
}

static void expect_prep(const char *in, const char *want)
{
    char *got = pgw_scram_saslprep(in);
    assert_string_equal(got, want);
    free(got);
}

static void test_saslprep(void **state)
{
    expect_prep("I\xC2\xADX", "IX");   /* soft hyphen mapped to nothing */
    expect_prep("user", "user");       /* no transformation */
    expect_prep("USER", "USER");       /* case preserved */
    expect_prep("\xC2\xAA", "a");      /* NFKC */
    expect_prep("\xE2\x85\xA8", "IX"); /* NFKC: ROMAN NUMERAL NINE */
    expect_prep("a\xC2\xA0"
                "b",
                "a b");          /* non-ASCII space mapped to space */
    expect_prep("\x07", "\x07"); /* prohibited, but ASCII is used as is */
    expect_prep("\xD8\xA7"
                "1",
                "\xD8\xA7"
                "1");                                      /* bidi violation: raw bytes */
    expect_prep("a\xEF\xBF\xBD\xCC", "a\xEF\xBF\xBD\xCC"); /* invalid UTF-8: raw bytes */
    expect_prep("\xff\xfe", "\xff\xfe");
    /* The verifier uses the normalised password. */
    uint8_t salt[16] = {1, 2, 3};
    ubuf_t a = UBUF_INIT, b = UBUF_INIT;
    uerr_t err = UERR_INIT;
    assert_int_equal(pgw_scram__make_verifier_salt("I\xC2\xADX", 4096, salt, 16, &a, &err), 0);
    assert_int_equal(pgw_scram__make_verifier_salt("IX", 4096, salt, 16, &b, &err), 0);
    assert_string_equal(a.data, b.data);
    assert_int_equal(pgw_scram__make_verifier_salt("\xff", 4096, salt, 16, &a, &err), 0);
    assert_string_not_equal(a.data, b.data);
    ubuf_free(&a);
    ubuf_free(&b);
}

static void test_base64(void **state)
{
    uint8_t buf[8];
    assert_int_equal(pgw_b64_decode("", 0, buf, sizeof buf), 0);
    assert_int_equal(pgw_b64_decode("biws", 4, buf, sizeof buf), 3);
    assert_memory_equal(buf, "n,,", 3);
    assert_int_equal(pgw_b64_decode("YQ==", 4, buf, sizeof buf), 1);
    assert_int_equal(pgw_b64_decode("YWI=", 4, buf, sizeof buf), 2);
    assert_int_equal(pgw_b64_decode("YR==", 4, buf, sizeof buf), -1); /* trailing bits */
    assert_int_equal(pgw_b64_decode("YWJ=", 4, buf, sizeof buf), -1);
    assert_int_equal(pgw_b64_decode("YQ=", 3, buf, sizeof buf), -1);
    assert_int_equal(pgw_b64_decode("Y===", 4, buf, sizeof buf), -1);
    assert_int_equal(pgw_b64_decode("YQ==YQ==", 8, buf, sizeof buf), -1);
    assert_int_equal(pgw_b64_decode("Y=Q=", 4, buf, sizeof buf), -1);
    assert_int_equal(pgw_b64_decode("bi s", 4, buf, sizeof buf), -1);
    assert_int_equal(pgw_b64_decode("biwsbiws", 8, buf, 5), -1); /* over cap */
    ubuf_t o = UBUF_INIT;
    pgw_b64_encode(&o, (const uint8_t *)"ab", 2);
    assert_int_equal(o.len, 4);
    assert_memory_equal(o.data, "YWI=", 4);
    ubuf_free(&o);
}

static void expect_verifier(const char *text, bool ok)
{
    pgw_scram_verifier_t v;
    assert_int_equal(pgw_scram_parse_verifier(text, &v), ok);
    if (!ok)
        assert_null(v.salt);
    pgw_scram_verifier_free(&v);
}

static void test_parse_verifier(void **state)
{
    const char *good = "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$"
                       "WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:"
                       "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=";
    char *rfc = rfc_verifier();
    assert_string_equal(rfc, good); /* RFC 7677's StoredKey/ServerKey for "pencil" */
    free(rfc);
    expect_verifier(good, true);
    expect_verifier("SCRAM-SHA-256$1:W22ZaJ0SNY7soEsUEjb6gQ==$"
                    "WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:"
                    "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=",
                    true);
    static const char *bad[] = {
        "",
        "md5abcdef",
        "SCRAM-SHA-256$",
        "SCRAM-SHA-256$0:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:"
        "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=",
        "SCRAM-SHA-256$-1:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:"
        "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=",
        "SCRAM-SHA-256$9999999999:W22ZaJ0SNY7soEsUEjb6gQ==$"
        "WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=",
        "SCRAM-SHA-256$4096:$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:"
        "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=",
        "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ=$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:"
        "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=",
        "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4q==:"
        "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=",
        "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:"
        "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=:",
        "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=",
        "scram-sha-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:"
        "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_verifier(bad[i], false);
    /* Every prefix of the good verifier is refused. */
    char buf[200];
    for (size_t n = 0; n < strlen(good); n++) {
        memcpy(buf, good, n);
        buf[n] = '\0';
        expect_verifier(buf, false);
    }
}

/* ---- pgw_auth_scram over a fake connection ---- */

typedef struct fake {
    ubuf_t out;      /* what the server queued since the last flush */
    char mechs[128]; /* mechanisms of AuthenticationSASL, ','-joined */
    char server_first[256];
    const char *password;
    char reply_type; /* message type the fake client sends ('p') */
    int stage;
    ubuf_t msg; /* the client's current message (borrowed by the server) */
} fake_t;

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Reads the 'R' messages the server flushed: the mechanism list and server-first. */
static int fake_flush(void *ctx)
{
    fake_t *f = ctx;
    pgw_frame_t fr;
    size_t pos = 0;
    while (pgw_frame_next((const uint8_t *)f->out.data + pos, f->out.len - pos, 1 << 20, &fr) ==
           PGW_FRAME_OK) {
        assert_int_equal(fr.type, 'R');
        uint32_t code = be32(fr.payload);
        if (code == 10) {
            f->mechs[0] = '\0';
            for (const char *m = (const char *)fr.payload + 4; *m; m += strlen(m) + 1)
                snprintf(f->mechs + strlen(f->mechs), sizeof f->mechs - strlen(f->mechs), "%s%s",
                         f->mechs[0] ? "," : "", m);
        } else if (code == 11) {
            snprintf(f->server_first, sizeof f->server_first, "%.*s", (int)fr.payload_len - 4,
                     (const char *)fr.payload + 4);
        }
        pos += fr.total_len;
    }
    ubuf_reset(&f->out);
    return 0;
}

static int fake_read(void *ctx, char *type, const uint8_t **p, size_t *n)
{
    fake_t *f = ctx;
    const char *first = "n,,n=,r=fakeclientnonce";
    ubuf_reset(&f->msg);
    if (f->stage == 0) {
        ubuf_append(&f->msg, "SCRAM-SHA-256", 14);
        ubuf_put_u32be(&f->msg, (uint32_t)strlen(first));
        ubuf_puts(&f->msg, first);
    } else if (f->stage == 1) {
        client_final(f->password, first + 3, f->server_first, "biws", &f->msg, NULL);
    } else {
        return -1;
    }
    f->stage++;
    *type = f->reply_type;
    *p = (const uint8_t *)f->msg.data;
    *n = f->msg.len;
    return 0;
}

static int run_auth(fake_t *f, const char *password, const pgw_scram_cb_t *cb, uerr_t *err)
{
    ubuf_t v = UBUF_INIT;
    assert_int_equal(pgw_scram_make_verifier("secret", 0, &v, err), 0);
    memset(f, 0, sizeof *f);
    f->password = password;
    f->reply_type = 'p';
    pgw_auth_io_t io = {f, &f->out, fake_flush, fake_read};
    pgw_auth_scram_opts_t o = {v.data, SECRET_ARGS, cb, NULL};
    int rc = pgw_auth_scram("alice", &o, &io, err);
    ubuf_free(&v);
    ubuf_free(&f->msg);
    return rc;
}

static void test_auth_scram_flow(void **state)
{
    fake_t f;
    uerr_t err = UERR_INIT;
    assert_int_equal(run_auth(&f, "secret", NULL, &err), 0);
    assert_string_equal(f.mechs, "SCRAM-SHA-256");
    /* Queued, not yet flushed: AuthenticationSASLFinal then AuthenticationOk. */
    pgw_frame_t fr;
    assert_int_equal(pgw_frame_next((const uint8_t *)f.out.data, f.out.len, 1024, &fr), 0);
    assert_int_equal(be32(fr.payload), 12);
    assert_int_equal(strncmp((const char *)fr.payload + 4, "v=", 2), 0);
    assert_int_equal(f.out.len, fr.total_len + 9);
    assert_memory_equal(f.out.data + fr.total_len, "R\0\0\0\x08\0\0\0\0", 9);
    ubuf_free(&f.out);
    assert_int_equal(run_auth(&f, "wrong", NULL, &err), -1);
    assert_string_equal(err.sqlstate, "28P01");
    assert_string_equal(err.message, "password authentication failed for user \"alice\"");
    ubuf_free(&f.out);
    uint8_t h[32] = {1};
    pgw_scram_cb_t cb = {h, sizeof h};
    assert_int_equal(run_auth(&f, "secret", &cb, &err), 0); /* a non-PLUS client */
    assert_string_equal(f.mechs, "SCRAM-SHA-256-PLUS,SCRAM-SHA-256");
    ubuf_free(&f.out);
    /* A wrong message type and a vanished client. */
    memset(&f, 0, sizeof f);
    f.reply_type = 'Q';
    pgw_auth_io_t io = {&f, &f.out, fake_flush, fake_read};
    pgw_auth_scram_opts_t o = {NULL, NULL, 0, NULL, NULL};
    assert_int_equal(pgw_auth_scram("bob", &o, &io, &err), -1);
    assert_string_equal(err.sqlstate, "08P01");
    assert_string_equal(err.message, "expected SASL response, got message type 81");
    f.stage = 5;
    f.reply_type = 'p';
    assert_int_equal(pgw_auth_scram("bob", &o, &io, &err), -1);
    assert_string_equal(err.sqlstate, "08006");
    uerr_clear(&err);
    ubuf_free(&f.out);
    ubuf_free(&f.msg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc7677_exchange),
        cmocka_unit_test(test_verifier_round_trip),
        cmocka_unit_test(test_wrong_password_and_unknown_user),
        cmocka_unit_test(test_truncation_and_flips),
        cmocka_unit_test(test_client_first_errors),
        cmocka_unit_test(test_nonce_mismatch),
        cmocka_unit_test(test_channel_binding),
        cmocka_unit_test(test_mechanisms_and_initial),
        cmocka_unit_test(test_saslprep),
        cmocka_unit_test(test_base64),
        cmocka_unit_test(test_parse_verifier),
        cmocka_unit_test(test_auth_scram_flow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
