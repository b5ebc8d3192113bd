/* Unit tests for the pgwire codec: framing (whole, partial, back-to-back, split at every
 * byte), the fail-closed reader, every frontend decoder on valid, truncated and malformed
 * input, and every backend builder against hand-written expected bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pgwire/codec.h"

/* ---- helpers ---- */

/* Byte arrays from string literals: L("...") gives pointer and length without the final NUL
 * the compiler adds (embedded NULs are written as \0 and are part of the data). */
#define L(s) (const uint8_t *)(s), (sizeof(s) - 1)

/* Exact-size heap copy, so AddressSanitizer catches any read past the end. */
static uint8_t *dup_exact(const uint8_t *p, size_t n)
{
    uint8_t *q = malloc(n ? n : 1);
    assert_non_null(q);
    if (n)
        memcpy(q, p, n);
    return q;
}

#define EXPECT_BUF(buf, ...)                                                                       \
    do {                                                                                           \
        static const uint8_t exp_[] = {__VA_ARGS__};                                               \
        assert_int_equal((buf)->len, sizeof exp_);                                                 \
        assert_memory_equal((buf)->data, exp_, sizeof exp_);                                       \
    } while (0)

typedef bool (*decode_fn)(const uint8_t *p, size_t n);

static bool dec_startup(const uint8_t *p, size_t n)
{
    pgw_startup_t s;
    const char *why = NULL;
    bool ok = pgw_decode_startup(p, n, &s, &why);
    if (!ok) {
        assert_non_null(why);
        assert_null(s.params);
        assert_int_equal(s.nparams, 0);
    }
    pgw_startup_free(&s);
    return ok;
}

static bool dec_query(const uint8_t *p, size_t n)
{
    pgw_query_t q;
    const char *why = NULL;
    bool ok = pgw_decode_query(p, n, &q, &why);
    if (!ok)
        assert_non_null(why);
    return ok;
}

static bool dec_parse(const uint8_t *p, size_t n)
{
    pgw_parse_t m;
    const char *why = NULL;
    bool ok = pgw_decode_parse(p, n, &m, &why);
    if (!ok) {
        assert_non_null(why);
        assert_null(m.param_oids);
    }
    pgw_parse_free(&m);
    return ok;
}

static bool dec_bind(const uint8_t *p, size_t n)
{
    pgw_bind_t m;
    const char *why = NULL;
    bool ok = pgw_decode_bind(p, n, &m, &why);
    if (!ok) {
        assert_non_null(why);
        assert_null(m.formats);
        assert_null(m.params);
        assert_null(m.result_formats);
    }
    pgw_bind_free(&m);
    return ok;
}

static bool dec_target(const uint8_t *p, size_t n)
{
    pgw_target_t t;
    const char *why = NULL;
    bool ok = pgw_decode_target(p, n, &t, &why);
    if (!ok)
        assert_non_null(why);
    return ok;
}

static bool dec_execute(const uint8_t *p, size_t n)
{
    pgw_execute_t e;
    const char *why = NULL;
    bool ok = pgw_decode_execute(p, n, &e, &why);
    if (!ok)
        assert_non_null(why);
    return ok;
}

/* Decodes an exact-size copy of p[0..n). */
static bool dec_copy(decode_fn fn, const uint8_t *p, size_t n)
{
    uint8_t *q = dup_exact(p, n);
    bool ok = fn(q, n);
    free(q);
    return ok;
}

/* The whole message must decode; every strict prefix must be rejected, as must the message
 * with one byte of trailing garbage. */
static void sweep(decode_fn fn, const uint8_t *p, size_t n)
{
    assert_true(dec_copy(fn, p, n));
    for (size_t k = 0; k < n; k++) {
        if (dec_copy(fn, p, k))
            fail_msg("prefix of %zu/%zu bytes was accepted", k, n);
    }
    assert_false(fn(NULL, 0));
    uint8_t *longer = malloc(n + 1);
    assert_non_null(longer);
    memcpy(longer, p, n);
    longer[n] = 'x';
    assert_false(fn(longer, n + 1));
    longer[n] = '\0';
    assert_false(fn(longer, n + 1));
    free(longer);
}

/* ---- framing ---- */

static const uint8_t k_stream[] = {
    'Q', 0, 0, 0, 13, 'S', 'E', 'L', 'E', 'C', 'T', ' ', '1', 0, /* Query */
    'P', 0, 0, 0, 9,  0,   'x', 0,   0,   0,                     /* Parse "" "x" 0 */
    'S', 0, 0, 0, 4,                                             /* Sync */
    'd', 0, 0, 0, 7,  'a', 'b', 'c',                             /* CopyData */
    'X', 0, 0, 0, 4,                                             /* Terminate */
};
static const char k_stream_types[] = "QPSdX";

static void test_frame_complete(void **state)
{
    pgw_frame_t f;
    assert_int_equal(pgw_frame_next(k_stream, 14, 1 << 20, &f), PGW_FRAME_OK);
    assert_int_equal(f.type, 'Q');
    assert_ptr_equal(f.payload, k_stream + 5);
    assert_int_equal(f.payload_len, 9);
    assert_int_equal(f.total_len, 14);
    assert_memory_equal(f.payload, "SELECT 1", 9);
    /* more bytes after the message don't change anything */
    assert_int_equal(pgw_frame_next(k_stream, sizeof k_stream, 1 << 20, &f), PGW_FRAME_OK);
    assert_int_equal(f.total_len, 14);
}

static void test_frame_partial(void **state)
{
    pgw_frame_t f;
    for (size_t k = 0; k < 14; k++) {
        uint8_t *q = dup_exact(k_stream, k);
        assert_int_equal(pgw_frame_next(q, k, 1 << 20, &f), PGW_FRAME_NEED_MORE);
        free(q);
    }
    assert_int_equal(pgw_frame_next(NULL, 0, 1 << 20, &f), PGW_FRAME_NEED_MORE);
}

static void test_frame_back_to_back(void **state)
{
    size_t off = 0, i = 0;
    pgw_frame_t f;
    while (off < sizeof k_stream) {
        assert_int_equal(pgw_frame_next(k_stream + off, sizeof k_stream - off, 64, &f),
                         PGW_FRAME_OK);
        assert_int_equal(f.type, k_stream_types[i++]);
        assert_int_equal(f.total_len, f.payload_len + 5);
        off += f.total_len;
    }
    assert_int_equal(off, sizeof k_stream);
    assert_int_equal(i, strlen(k_stream_types));
    assert_int_equal(pgw_frame_next(k_stream + off, 0, 64, &f), PGW_FRAME_NEED_MORE);
}

/* Feeds `stream` to a receive buffer in pieces (cut at the offsets in cuts[0..ncuts), then
 * the rest), framing greedily after each piece; checks the same messages come out. */
static void feed_and_check(const size_t *cuts, size_t ncuts)
{
    ubuf_t in = UBUF_INIT;
    size_t from = 0, got = 0, ref = 0;
    for (size_t c = 0; c <= ncuts; c++) {
        size_t to = c < ncuts ? cuts[c] : sizeof k_stream;
        ubuf_append(&in, k_stream + from, to - from);
        from = to;
        pgw_frame_t f;
        pgw_frame_status_t st;
        while ((st = pgw_frame_next((const uint8_t *)in.data, in.len, 64, &f)) == PGW_FRAME_OK) {
            assert_int_equal(f.type, k_stream_types[got++]);
            assert_memory_equal(f.payload, k_stream + ref + 5, f.payload_len);
            ref += f.total_len;
            ubuf_consume(&in, f.total_len);
        }
        assert_int_equal(st, PGW_FRAME_NEED_MORE);
    }
    assert_int_equal(got, strlen(k_stream_types));
    assert_int_equal(in.len, 0);
    ubuf_free(&in);
}

static void test_frame_byte_by_byte(void **state)
{
    size_t cuts[sizeof k_stream];
    for (size_t i = 0; i < sizeof k_stream; i++)
        cuts[i] = i + 1;
    feed_and_check(cuts, sizeof k_stream);
}

static void test_frame_split_everywhere(void **state)
{
    for (size_t i = 0; i <= sizeof k_stream; i++) {
        size_t cut = i;
        feed_and_check(&cut, 1);
    }
    for (size_t i = 0; i <= sizeof k_stream; i++) {
        for (size_t j = i; j <= sizeof k_stream; j++) {
            size_t cuts[2] = {i, j};
            feed_and_check(cuts, 2);
        }
    }
}

static void test_frame_bad_length(void **state)
{
    pgw_frame_t f;
    static const uint32_t bad[] = {0, 1, 2, 3, 0x80000000u, 0xFFFFFFFFu, 0xFFFFFFFCu};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint8_t h[5] = {'Q', (uint8_t)(bad[i] >> 24), (uint8_t)(bad[i] >> 16),
                        (uint8_t)(bad[i] >> 8), (uint8_t)bad[i]};
        assert_int_equal(pgw_frame_next(h, 5, 1 << 20, &f), PGW_FRAME_BAD_LENGTH);
        assert_int_equal(pgw_frame_next(h, 5, SIZE_MAX, &f), PGW_FRAME_BAD_LENGTH);
        assert_int_equal(pgw_frame_next(h, 4, 1 << 20, &f), PGW_FRAME_NEED_MORE);
    }
    /* length 4 = empty payload, fine */
    static const uint8_t sync[] = {'S', 0, 0, 0, 4};
    assert_int_equal(pgw_frame_next(sync, 5, 4, &f), PGW_FRAME_OK);
    assert_int_equal(f.payload_len, 0);
    assert_int_equal(f.total_len, 5);
}

static void test_frame_too_large(void **state)
{
    pgw_frame_t f;
    /* declared 1 MiB + 1 with a 1 MiB cap: rejected from the 5-byte header alone */
    static const uint8_t big[] = {'Q', 0x00, 0x10, 0x00, 0x01};
    assert_int_equal(pgw_frame_next(big, 5, 1 << 20, &f), PGW_FRAME_TOO_LARGE);
    assert_int_equal(pgw_frame_next(big, 4, 1 << 20, &f), PGW_FRAME_NEED_MORE);
    static const uint8_t huge[] = {'Q', 0x7F, 0xFF, 0xFF, 0xFF};
    assert_int_equal(pgw_frame_next(huge, 5, 1 << 20, &f), PGW_FRAME_TOO_LARGE);
    /* exactly at the cap: waits for the body */
    static const uint8_t atcap[] = {'Q', 0x00, 0x10, 0x00, 0x00};
    assert_int_equal(pgw_frame_next(atcap, 5, 1 << 20, &f), PGW_FRAME_NEED_MORE);
    /* a tiny cap */
    assert_int_equal(pgw_frame_next(k_stream, sizeof k_stream, 12, &f), PGW_FRAME_TOO_LARGE);
    assert_int_equal(pgw_frame_next(k_stream, sizeof k_stream, 13, &f), PGW_FRAME_OK);
}

static void test_frame_startup(void **state)
{
    pgw_frame_t f;
    static const uint8_t ssl[] = {0, 0, 0, 8, 0x04, 0xD2, 0x16, 0x2F, 'Q'};
    for (size_t k = 0; k < 8; k++)
        assert_int_equal(pgw_frame_startup(ssl, k, &f), PGW_FRAME_NEED_MORE);
    assert_int_equal(pgw_frame_startup(ssl, sizeof ssl, &f), PGW_FRAME_OK);
    assert_int_equal(f.type, 0);
    assert_ptr_equal(f.payload, ssl + 4);
    assert_int_equal(f.payload_len, 4);
    assert_int_equal(f.total_len, 8);

    static const uint32_t bad[] = {0, 3, 4, 7, 0x80000000u, 0xFFFFFFFFu};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint8_t h[4] = {(uint8_t)(bad[i] >> 24), (uint8_t)(bad[i] >> 16), (uint8_t)(bad[i] >> 8),
                        (uint8_t)bad[i]};
        assert_int_equal(pgw_frame_startup(h, 4, &f), PGW_FRAME_BAD_LENGTH);
    }
    uint8_t h[4] = {0, 0, (uint8_t)((PGW_STARTUP_MAX + 1) >> 8), (uint8_t)(PGW_STARTUP_MAX + 1)};
    assert_int_equal(pgw_frame_startup(h, 4, &f), PGW_FRAME_TOO_LARGE);
    uint8_t *max = calloc(1, PGW_STARTUP_MAX);
    assert_non_null(max);
    max[2] = (uint8_t)(PGW_STARTUP_MAX >> 8);
    max[3] = (uint8_t)PGW_STARTUP_MAX;
    assert_int_equal(pgw_frame_startup(max, PGW_STARTUP_MAX - 1, &f), PGW_FRAME_NEED_MORE);
    assert_int_equal(pgw_frame_startup(max, PGW_STARTUP_MAX, &f), PGW_FRAME_OK);
    assert_int_equal(f.payload_len, PGW_STARTUP_MAX - 4);
    free(max);
}

/* ---- reader ---- */

static void test_reader_basic(void **state)
{
    static const uint8_t b[] = {0xAB, 0xFF, 0xFE, 0x80, 0, 0, 1, 'h', 'i', 0, 1, 2, 3};
    pgw_rd_t r;
    pgw_rd_init(&r, b, sizeof b);
    assert_int_equal(pgw_rd_u8(&r), 0xAB);
    assert_int_equal(pgw_rd_i16(&r), -2);
    assert_int_equal(pgw_rd_i32(&r), (int32_t)0x80000001u);
    size_t n = 99;
    const char *s = pgw_rd_cstr(&r, &n);
    assert_string_equal(s, "hi");
    assert_int_equal(n, 2);
    assert_false(pgw_rd_done(&r));
    const uint8_t *p = pgw_rd_bytes(&r, 0);
    assert_non_null(p);
    p = pgw_rd_bytes(&r, 3);
    assert_ptr_equal(p, b + 10);
    assert_true(pgw_rd_done(&r));
    assert_false(r.bad);
    /* over-read: zero values, bad is sticky */
    assert_int_equal(pgw_rd_u8(&r), 0);
    assert_true(r.bad);
    assert_false(pgw_rd_done(&r));
    assert_int_equal(pgw_rd_i32(&r), 0);
    assert_null(pgw_rd_cstr(&r, &n));
    assert_int_equal(n, 0);
    assert_null(pgw_rd_bytes(&r, 0));
}

static void test_reader_short_reads(void **state)
{
    static const uint8_t b[] = {1, 2, 3};
    pgw_rd_t r;
    pgw_rd_init(&r, b, 3);
    assert_int_equal(pgw_rd_i32(&r), 0);
    assert_true(r.bad);
    /* a failed read does not consume, but the reader stays bad */
    assert_int_equal(pgw_rd_u8(&r), 0);

    pgw_rd_init(&r, b, 1);
    assert_int_equal(pgw_rd_i16(&r), 0);
    assert_true(r.bad);

    pgw_rd_init(&r, b, 3);
    assert_null(pgw_rd_bytes(&r, -1));
    assert_true(r.bad);

    pgw_rd_init(&r, b, 3);
    assert_null(pgw_rd_bytes(&r, 4));
    assert_true(r.bad);

    pgw_rd_init(&r, NULL, 0);
    assert_true(pgw_rd_done(&r));
    assert_non_null(pgw_rd_bytes(&r, 0));
    assert_true(pgw_rd_done(&r));
    assert_null(pgw_rd_cstr(&r, NULL));
    assert_true(r.bad);
}

static void test_reader_cstr_bounds(void **state)
{
    /* the NUL is in memory but outside the reader's window */
    static const char b[] = "abc";
    pgw_rd_t r;
    pgw_rd_init(&r, (const uint8_t *)b, 3);
    assert_null(pgw_rd_cstr(&r, NULL));
    assert_true(r.bad);
    /* empty string */
    pgw_rd_init(&r, (const uint8_t *)b + 3, 1);
    size_t n = 5;
    assert_string_equal(pgw_rd_cstr(&r, &n), "");
    assert_int_equal(n, 0);
    assert_true(pgw_rd_done(&r));
    /* window starting mid-buffer */
    static const uint8_t c[] = {'x', 0, 'y', 'z'};
    pgw_rd_init(&r, c, sizeof c);
    assert_string_equal(pgw_rd_cstr(&r, NULL), "x");
    assert_null(pgw_rd_cstr(&r, NULL));
    assert_true(r.bad);
}

/* ---- startup ---- */

#define V30 "\x00\x03\x00\x00"

static void test_startup_valid(void **state)
{
    static const char msg[] = V30 "user\0alice\0database\0db1\0application_name\0psql\0\0";
    pgw_startup_t s;
    const char *why = NULL;
    assert_true(pgw_decode_startup(L(msg), &s, &why));
    assert_int_equal(s.code, PGW_PROTOCOL_3_0);
    assert_int_equal(s.nparams, 3);
    assert_string_equal(s.params[0].key, "user");
    assert_string_equal(s.params[0].value, "alice");
    assert_string_equal(s.params[2].key, "application_name");
    assert_string_equal(pgw_startup_get(&s, "database"), "db1");
    assert_string_equal(pgw_startup_get(&s, "application_name"), "psql");
    assert_null(pgw_startup_get(&s, "options"));
    assert_null(pgw_startup_get(&s, "use"));
    pgw_startup_free(&s);
    assert_null(s.params);
    pgw_startup_free(&s); /* idempotent */

    sweep(dec_startup, L(msg));
}

static void test_startup_variants(void **state)
{
    pgw_startup_t s;
    const char *why = NULL;
    /* no parameters at all: just the terminator */
    assert_true(pgw_decode_startup(L(V30 "\0"), &s, &why));
    assert_int_equal(s.nparams, 0);
    assert_null(pgw_startup_get(&s, "user"));
    pgw_startup_free(&s);
    /* minor version > 0 accepted, code kept for NegotiateProtocolVersion */
    assert_true(pgw_decode_startup(L("\x00\x03\x00\x02user\0u\0_pq_.x\0y\0\0"), &s, &why));
    assert_int_equal(s.code, (3u << 16) | 2u);
    assert_string_equal(pgw_startup_get(&s, "_pq_.x"), "y");
    pgw_startup_free(&s);
    /* empty value; duplicate key: last wins */
    assert_true(pgw_decode_startup(L(V30 "user\0a\0options\0\0user\0b\0\0"), &s, &why));
    assert_int_equal(s.nparams, 3);
    assert_string_equal(pgw_startup_get(&s, "options"), "");
    assert_string_equal(pgw_startup_get(&s, "user"), "b");
    pgw_startup_free(&s);
}

static void test_startup_malformed(void **state)
{
    /* missing terminator */
    assert_false(dec_copy(dec_startup, L(V30 "user\0alice\0")));
    assert_false(dec_copy(dec_startup, L(V30)));
    /* odd pairs: a key without a value (its would-be value is the terminator) */
    assert_false(dec_copy(dec_startup, L(V30 "user\0alice\0database\0\0")));
    assert_false(dec_copy(dec_startup, L(V30 "user\0")));
    /* missing NUL at the very end */
    assert_false(dec_copy(dec_startup, L(V30 "user\0alice")));
    /* trailing bytes after the terminator */
    assert_false(dec_copy(dec_startup, L(V30 "user\0alice\0\0x\0y\0\0")));
    assert_false(dec_copy(dec_startup, L(V30 "\0\0")));
    /* too short for a code */
    assert_false(dec_copy(dec_startup, L("\x00\x03\x00")));
    assert_false(dec_startup(NULL, 0));
}

static void test_startup_versions(void **state)
{
    assert_false(dec_copy(dec_startup, L("\x00\x02\x00\x00user\0a\0\0")));
    assert_false(dec_copy(dec_startup, L("\x00\x04\x00\x00user\0a\0\0")));
    assert_false(dec_copy(dec_startup, L("\x00\x00\x00\x00\0")));
    /* 1234/5681 is no request we know */
    assert_false(dec_copy(dec_startup, L("\x04\xd2\x16\x31")));
    assert_false(dec_copy(dec_startup, L("\x04\xd2\x16\x31\0")));
}

static void test_startup_param_cap(void **state)
{
    ubuf_t b = UBUF_INIT;
    ubuf_append(&b, V30, 4);
    for (unsigned i = 0; i < PGW_STARTUP_MAX_PARAMS; i++) {
        ubuf_printf(&b, "k%u", i);
        ubuf_putc(&b, 0);
        ubuf_printf(&b, "v%u", i);
        ubuf_putc(&b, 0);
    }
    ubuf_putc(&b, 0);
    pgw_startup_t s;
    const char *why;
    assert_true(pgw_decode_startup((const uint8_t *)b.data, b.len, &s, &why));
    assert_int_equal(s.nparams, PGW_STARTUP_MAX_PARAMS);
    assert_string_equal(pgw_startup_get(&s, "k63"), "v63");
    pgw_startup_free(&s);
    b.len--; /* one pair too many */
    ubuf_append(&b, "kx\0vx\0\0", 7);
    why = NULL;
    assert_false(pgw_decode_startup((const uint8_t *)b.data, b.len, &s, &why));
    assert_non_null(why);
    assert_null(s.params);
    ubuf_free(&b);
}

static void test_ssl_gss_request(void **state)
{
    pgw_startup_t s;
    const char *why;
    assert_true(pgw_decode_startup(L("\x04\xd2\x16\x2f"), &s, &why));
    assert_int_equal(s.code, PGW_SSL_REQUEST);
    assert_int_equal(s.nparams, 0);
    pgw_startup_free(&s);
    assert_true(pgw_decode_startup(L("\x04\xd2\x16\x30"), &s, &why));
    assert_int_equal(s.code, PGW_GSSENC_REQUEST);
    pgw_startup_free(&s);
    /* exactly 8 bytes in total */
    assert_false(dec_copy(dec_startup, L("\x04\xd2\x16\x2f\0")));
    assert_false(dec_copy(dec_startup, L("\x04\xd2\x16\x30\0\0\0\0")));
    sweep(dec_startup, L("\x04\xd2\x16\x2f"));
    sweep(dec_startup, L("\x04\xd2\x16\x30"));
}

static void test_cancel_request(void **state)
{
    static const char msg[] = "\x04\xd2\x16\x2e\x00\x00\x30\x39\xff\xff\xff\xfe";
    pgw_startup_t s;
    const char *why;
    assert_true(pgw_decode_startup(L(msg), &s, &why));
    assert_int_equal(s.code, PGW_CANCEL_REQUEST);
    assert_int_equal(s.cancel_pid, 12345);
    assert_int_equal(s.cancel_key, -2);
    assert_null(s.params);
    pgw_startup_free(&s);
    sweep(dec_startup, L(msg));
}

/* ---- Query ---- */

static void test_query(void **state)
{
    pgw_query_t q;
    const char *why;
    assert_true(pgw_decode_query(L("SELECT 1\0"), &q, &why));
    assert_string_equal(q.sql, "SELECT 1");
    assert_int_equal(q.sql_len, 8);
    assert_true(pgw_decode_query(L("\0"), &q, &why));
    assert_string_equal(q.sql, "");
    assert_int_equal(q.sql_len, 0);
    why = NULL;
    assert_false(pgw_decode_query(L("SELECT 1"), &q, &why));
    assert_non_null(why);
    assert_null(q.sql);
    assert_false(dec_copy(dec_query, L("SELECT 1\0;")));
    assert_false(dec_copy(dec_query, L("SELECT 1\0\0")));
    assert_true(pgw_decode_query(L("x\0"), &q, NULL)); /* why may be NULL */
    assert_false(pgw_decode_query(L("x"), &q, NULL));
    sweep(dec_query, L("SELECT 1\0"));
}

/* ---- Parse ---- */

static void test_parse_valid(void **state)
{
    static const char msg[] = "s1\0SELECT $1, $2\0\x00\x02\x00\x00\x00\x17\x00\x00\x00\x00";
    pgw_parse_t m;
    const char *why;
    assert_true(pgw_decode_parse(L(msg), &m, &why));
    assert_string_equal(m.name, "s1");
    assert_string_equal(m.sql, "SELECT $1, $2");
    assert_int_equal(m.sql_len, 13);
    assert_int_equal(m.nparams, 2);
    assert_int_equal(m.param_oids[0], 23);
    assert_int_equal(m.param_oids[1], 0);
    pgw_parse_free(&m);
    assert_null(m.param_oids);
    sweep(dec_parse, L(msg));

    assert_true(pgw_decode_parse(L("\0SELECT 1\0\0\0"), &m, &why));
    assert_string_equal(m.name, "");
    assert_int_equal(m.nparams, 0);
    assert_null(m.param_oids);
    pgw_parse_free(&m);
    sweep(dec_parse, L("\0SELECT 1\0\0\0"));
}

static void test_parse_large_count(void **state)
{
    /* 40000 parameters: > 32767, so negative as int16; read as uint16 */
    /* name "" (1) + "x\0" (2) + count (2) + oids */
    size_t n = 1 + 2 + 2 + 40000u * 4;
    uint8_t *b = calloc(1, n);
    assert_non_null(b);
    b[1] = 'x';
    b[3] = 40000 >> 8;
    b[4] = 40000 & 0xFF;
    b[n - 1] = 25;
    pgw_parse_t m;
    const char *why;
    assert_true(pgw_decode_parse(b, n, &m, &why));
    assert_int_equal(m.nparams, 40000);
    assert_int_equal(m.param_oids[39999], 25);
    pgw_parse_free(&m);
    assert_false(dec_copy(dec_parse, b, n - 1));
    free(b);
}

static void test_parse_malformed(void **state)
{
    /* count says 2, one OID present; count says 1, two present */
    assert_false(dec_copy(dec_parse, L("\0x\0\x00\x02\x00\x00\x00\x17")));
    assert_false(dec_copy(dec_parse, L("\0x\0\x00\x01\x00\x00\x00\x17\x00\x00\x00\x17")));
    /* a 10-byte message claiming 65535 parameters */
    assert_false(dec_copy(dec_parse, L("\0x\0\xff\xff\x00\x00\x00\x17\x00")));
    /* missing NULs */
    assert_false(dec_copy(dec_parse, L("name")));
    assert_false(dec_copy(dec_parse, L("name\0SELECT")));
    /* no count */
    assert_false(dec_copy(dec_parse, L("\0x\0")));
    assert_false(dec_copy(dec_parse, L("\0x\0\0")));
}

/* ---- Bind ---- */

/* portal "", stmt "s1", 1 format (binary), 3 params: "42", NULL, "", 2 result formats 0,1 */
static const char k_bind[] = "\0s1\0"
                             "\x00\x01\x00\x01"
                             "\x00\x03"
                             "\x00\x00\x00\x02"
                             "42"
                             "\xff\xff\xff\xff"
                             "\x00\x00\x00\x00"
                             "\x00\x02\x00\x00\x00\x01";

static void test_bind_valid(void **state)
{
    pgw_bind_t m;
    const char *why;
    assert_true(pgw_decode_bind(L(k_bind), &m, &why));
    assert_string_equal(m.portal, "");
    assert_string_equal(m.stmt, "s1");
    assert_int_equal(m.nformats, 1);
    assert_int_equal(m.formats[0], 1);
    assert_int_equal(m.nparams, 3);
    assert_int_equal(m.params[0].len, 2);
    assert_memory_equal(m.params[0].data, "42", 2);
    assert_int_equal(m.params[1].len, -1);
    assert_null(m.params[1].data);
    assert_int_equal(m.params[2].len, 0);
    assert_non_null(m.params[2].data); /* empty value, not NULL */
    assert_int_equal(m.nresult_formats, 2);
    assert_int_equal(m.result_formats[0], 0);
    assert_int_equal(m.result_formats[1], 1);
    pgw_bind_free(&m);
    assert_null(m.params);
    sweep(dec_bind, L(k_bind));
}

static void test_bind_minimal(void **state)
{
    static const char msg[] = "p\0s\0\x00\x00\x00\x00\x00\x00";
    pgw_bind_t m;
    const char *why;
    assert_true(pgw_decode_bind(L(msg), &m, &why));
    assert_string_equal(m.portal, "p");
    assert_int_equal(m.nformats, 0);
    assert_int_equal(m.nparams, 0);
    assert_int_equal(m.nresult_formats, 0);
    assert_null(m.formats);
    assert_null(m.params);
    assert_null(m.result_formats);
    pgw_bind_free(&m);
    sweep(dec_bind, L(msg));
    /* one format with no parameters is allowed (PostgreSQL does too) */
    assert_true(dec_copy(dec_bind, L("\0\0\x00\x01\x00\x00\x00\x00\x00\x00")));
    /* many result formats: the driver checks them against the columns */
    assert_true(dec_copy(dec_bind, L("\0\0\x00\x00\x00\x00\x00\x03\x00\x00\x00\x01\x00\x00")));
}

static void test_bind_per_param_formats(void **state)
{
    static const char msg[] = "\0\0\x00\x02\x00\x00\x00\x01"
                              "\x00\x02\x00\x00\x00\x01"
                              "a"
                              "\x00\x00\x00\x04\x00\x00\x00\x07"
                              "\x00\x00";
    pgw_bind_t m;
    const char *why;
    assert_true(pgw_decode_bind(L(msg), &m, &why));
    assert_int_equal(m.nformats, 2);
    assert_int_equal(m.formats[0], 0);
    assert_int_equal(m.formats[1], 1);
    assert_int_equal(m.params[1].len, 4);
    assert_memory_equal(m.params[1].data, "\x00\x00\x00\x07", 4);
    pgw_bind_free(&m);
    sweep(dec_bind, L(msg));
}

static void test_bind_malformed(void **state)
{
    /* nformats 2 but 3 params */
    assert_false(dec_copy(dec_bind, L("\0\0\x00\x02\x00\x00\x00\x00"
                                      "\x00\x03\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"
                                      "\x00\x00")));
    /* nformats 2 but 0 params */
    assert_false(dec_copy(dec_bind, L("\0\0\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00")));
    /* bad parameter format codes: 2 and -1 */
    assert_false(dec_copy(dec_bind, L("\0\0\x00\x01\x00\x02\x00\x00\x00\x00")));
    assert_false(dec_copy(dec_bind, L("\0\0\x00\x01\xff\xff\x00\x00\x00\x00")));
    /* bad result format code */
    assert_false(dec_copy(dec_bind, L("\0\0\x00\x00\x00\x00\x00\x02\x00\x01\x00\x02")));
    /* negative length other than -1 */
    assert_false(dec_copy(dec_bind, L("\0\0\x00\x00\x00\x01\xff\xff\xff\xfe\x00\x00")));
    assert_false(dec_copy(dec_bind, L("\0\0\x00\x00\x00\x01\x80\x00\x00\x00\x00\x00")));
    /* length larger than what is left */
    assert_false(dec_copy(dec_bind, L("\0\0\x00\x00\x00\x01\x00\x00\x00\x09"
                                      "abc\x00\x00")));
    assert_false(dec_copy(dec_bind, L("\0\0\x00\x00\x00\x01\x7f\xff\xff\xff\x00\x00")));
    /* huge counts in a tiny message */
    assert_false(dec_copy(dec_bind, L("\0\0\xff\xff\x00\x00")));
    assert_false(dec_copy(dec_bind, L("\0\0\x00\x00\xff\xff\x00\x00")));
    assert_false(dec_copy(dec_bind, L("\0\0\x00\x00\x00\x00\xff\xff\x00\x00")));
    /* missing NULs */
    assert_false(dec_copy(dec_bind, L("portal")));
    assert_false(dec_copy(dec_bind, L("\0stmt")));
    /* trailing garbage */
    assert_false(dec_copy(dec_bind, L("\0\0\x00\x00\x00\x00\x00\x00!")));
}

/* ---- Describe / Close ---- */

static void test_target(void **state)
{
    pgw_target_t t;
    const char *why;
    assert_true(pgw_decode_target(L("Sstmt1\0"), &t, &why));
    assert_int_equal(t.kind, 'S');
    assert_string_equal(t.name, "stmt1");
    assert_true(pgw_decode_target(L("P\0"), &t, &why));
    assert_int_equal(t.kind, 'P');
    assert_string_equal(t.name, "");
    why = NULL;
    assert_false(pgw_decode_target(L("Xname\0"), &t, &why));
    assert_non_null(why);
    assert_false(dec_copy(dec_target, L("s\0")));
    assert_false(dec_copy(dec_target, L("\0\0")));
    assert_false(dec_copy(dec_target, L("Sname")));
    assert_false(dec_copy(dec_target, L("S")));
    sweep(dec_target, L("Sstmt1\0"));
    sweep(dec_target, L("P\0"));
}

/* ---- Execute ---- */

static void test_execute(void **state)
{
    pgw_execute_t e;
    const char *why;
    assert_true(pgw_decode_execute(L("\0\x00\x00\x00\x00"), &e, &why));
    assert_string_equal(e.portal, "");
    assert_int_equal(e.max_rows, 0);
    assert_true(pgw_decode_execute(L("c1\0\x00\x00\x01\x00"), &e, &why));
    assert_string_equal(e.portal, "c1");
    assert_int_equal(e.max_rows, 256);
    assert_true(pgw_decode_execute(L("c1\0\xff\xff\xff\xff"), &e, &why));
    assert_int_equal(e.max_rows, 0);
    assert_true(pgw_decode_execute(L("c1\0\x80\x00\x00\x00"), &e, &why));
    assert_int_equal(e.max_rows, 0);
    assert_false(dec_copy(dec_execute, L("c1\0\x00\x00\x00")));
    assert_false(dec_copy(dec_execute, L("c1\x00\x00\x00\x01")));
    sweep(dec_execute, L("c1\0\x00\x00\x01\x00"));
}

/* ---- builders ---- */

static void test_build_msg_begin_end(void **state)
{
    ubuf_t b = UBUF_INIT;
    ubuf_append(&b, "xyz", 3);
    size_t start = pgw_msg_begin(&b, 'C');
    assert_int_equal(start, 3); /* offset of the type byte */
    ubuf_append(&b, "OK\0", 3);
    pgw_msg_end(&b, start);
    EXPECT_BUF(&b, 'x', 'y', 'z', 'C', 0, 0, 0, 7, 'O', 'K', 0);
    ubuf_free(&b);
}

static void test_build_auth(void **state)
{
    ubuf_t b = UBUF_INIT;
    pgw_put_auth_ok(&b);
    EXPECT_BUF(&b, 'R', 0, 0, 0, 8, 0, 0, 0, 0);
    ubuf_reset(&b);
    pgw_put_auth_cleartext(&b);
    EXPECT_BUF(&b, 'R', 0, 0, 0, 8, 0, 0, 0, 3);
    ubuf_reset(&b);
    const char *const mechs[] = {"SCRAM-SHA-256", "X"};
    pgw_put_auth_sasl(&b, mechs, 2);
    EXPECT_BUF(&b, 'R', 0, 0, 0, 25, 0, 0, 0, 10, 'S', 'C', 'R', 'A', 'M', '-', 'S', 'H', 'A', '-',
               '2', '5', '6', 0, 'X', 0, 0);
    ubuf_reset(&b);
    pgw_put_auth_sasl(&b, NULL, 0);
    EXPECT_BUF(&b, 'R', 0, 0, 0, 9, 0, 0, 0, 10, 0);
    ubuf_reset(&b);
    pgw_put_auth_sasl_continue(&b, (const uint8_t *)"r=ab", 4);
    EXPECT_BUF(&b, 'R', 0, 0, 0, 12, 0, 0, 0, 11, 'r', '=', 'a', 'b');
    ubuf_reset(&b);
    pgw_put_auth_sasl_final(&b, (const uint8_t *)"v=z", 3);
    EXPECT_BUF(&b, 'R', 0, 0, 0, 11, 0, 0, 0, 12, 'v', '=', 'z');
    ubuf_free(&b);
}

static void test_build_startup_replies(void **state)
{
    ubuf_t b = UBUF_INIT;
    pgw_put_parameter_status(&b, "TimeZone", "UTC");
    EXPECT_BUF(&b, 'S', 0, 0, 0, 17, 'T', 'i', 'm', 'e', 'Z', 'o', 'n', 'e', 0, 'U', 'T', 'C', 0);
    ubuf_reset(&b);
    pgw_put_backend_key(&b, 0x01020304, -1);
    EXPECT_BUF(&b, 'K', 0, 0, 0, 12, 1, 2, 3, 4, 0xFF, 0xFF, 0xFF, 0xFF);
    ubuf_reset(&b);
    const char *const unknown[] = {"_pq_.a", "_pq_.b"};
    pgw_put_negotiate_version(&b, 0, unknown, 2);
    EXPECT_BUF(&b, 'v', 0, 0, 0, 26, 0, 0, 0, 0, 0, 0, 0, 2, '_', 'p', 'q', '_', '.', 'a', 0, '_',
               'p', 'q', '_', '.', 'b', 0);
    ubuf_reset(&b);
    pgw_put_negotiate_version(&b, 0, NULL, 0);
    EXPECT_BUF(&b, 'v', 0, 0, 0, 12, 0, 0, 0, 0, 0, 0, 0, 0);
    ubuf_reset(&b);
    pgw_put_ready(&b, 'I');
    EXPECT_BUF(&b, 'Z', 0, 0, 0, 5, 'I');
    ubuf_reset(&b);
    pgw_put_ready(&b, 'E');
    EXPECT_BUF(&b, 'Z', 0, 0, 0, 5, 'E');
    ubuf_free(&b);
}

static void test_build_empty_messages(void **state)
{
    ubuf_t b = UBUF_INIT;
    pgw_put_parse_complete(&b);
    pgw_put_bind_complete(&b);
    pgw_put_close_complete(&b);
    pgw_put_no_data(&b);
    pgw_put_portal_suspended(&b);
    pgw_put_empty_query(&b);
    pgw_put_copy_done(&b);
    EXPECT_BUF(&b, '1', 0, 0, 0, 4, '2', 0, 0, 0, 4, '3', 0, 0, 0, 4, 'n', 0, 0, 0, 4, 's', 0, 0, 0,
               4, 'I', 0, 0, 0, 4, 'c', 0, 0, 0, 4);
    ubuf_free(&b);
}

static void test_build_command_complete(void **state)
{
    ubuf_t b = UBUF_INIT;
    pgw_put_command_complete(&b, "SELECT 1");
    EXPECT_BUF(&b, 'C', 0, 0, 0, 13, 'S', 'E', 'L', 'E', 'C', 'T', ' ', '1', 0);
    ubuf_reset(&b);
    pgw_put_command_complete(&b, "INSERT 0 2");
    EXPECT_BUF(&b, 'C', 0, 0, 0, 15, 'I', 'N', 'S', 'E', 'R', 'T', ' ', '0', ' ', '2', 0);
    ubuf_free(&b);
}

static void test_build_parameter_description(void **state)
{
    ubuf_t b = UBUF_INIT;
    const uint32_t oids[] = {23, 0x01020304};
    pgw_put_parameter_description(&b, oids, 2);
    EXPECT_BUF(&b, 't', 0, 0, 0, 14, 0, 2, 0, 0, 0, 23, 1, 2, 3, 4);
    ubuf_reset(&b);
    pgw_put_parameter_description(&b, NULL, 0);
    EXPECT_BUF(&b, 't', 0, 0, 0, 6, 0, 0);
    ubuf_free(&b);
}

static void test_build_row_description(void **state)
{
    ubuf_t b = UBUF_INIT;
    const pgw_field_t fields[] = {
        {"id", 0, 0, 23, 4, -1, 0},
        {"t", 0x11223344, 2, 25, -1, 0x00010203, 1},
    };
    pgw_put_row_description(&b, fields, 2);
    EXPECT_BUF(
        &b, 'T', 0, 0, 0, 47, 0, 2,
        /* id */ 'i', 'd', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 23, 0, 4, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0,
        /* t */ 't', 0, 0x11, 0x22, 0x33, 0x44, 0, 2, 0, 0, 0, 25, 0xFF, 0xFF, 0, 1, 2, 3, 0, 1);
    ubuf_reset(&b);
    pgw_put_row_description(&b, NULL, 0);
    EXPECT_BUF(&b, 'T', 0, 0, 0, 6, 0, 0);
    ubuf_free(&b);
}

static void test_build_error_full(void **state)
{
    ubuf_t b = UBUF_INIT;
    pgw_notice_t e = {"ERROR", "42601", "bad", "det", "hnt", 12, "cx"};
    pgw_put_error(&b, &e);
    EXPECT_BUF(&b, 'E', 0, 0, 0, 49, 'S', 'E', 'R', 'R', 'O', 'R', 0, 'V', 'E', 'R', 'R', 'O', 'R',
               0, 'C', '4', '2', '6', '0', '1', 0, 'M', 'b', 'a', 'd', 0, 'D', 'd', 'e', 't', 0,
               'H', 'h', 'n', 't', 0, 'P', '1', '2', 0, 'W', 'c', 'x', 0, 0);
    ubuf_free(&b);
}

static void test_build_error_minimal(void **state)
{
    ubuf_t b = UBUF_INIT;
    pgw_notice_t e = {"FATAL", "08P01", "x", NULL, NULL, 0, NULL};
    pgw_put_error(&b, &e);
    EXPECT_BUF(&b, 'E', 0, 0, 0, 29, 'S', 'F', 'A', 'T', 'A', 'L', 0, 'V', 'F', 'A', 'T', 'A', 'L',
               0, 'C', '0', '8', 'P', '0', '1', 0, 'M', 'x', 0, 0);
    ubuf_reset(&b);
    pgw_notice_t n = {"NOTICE", "00000", "hi", NULL, "h", -5, NULL};
    pgw_put_notice(&b, &n);
    EXPECT_BUF(&b, 'N', 0, 0, 0, 35, 'S', 'N', 'O', 'T', 'I', 'C', 'E', 0, 'V', 'N', 'O', 'T', 'I',
               'C', 'E', 0, 'C', '0', '0', '0', '0', '0', 0, 'M', 'h', 'i', 0, 'H', 'h', 0, 0);
    ubuf_reset(&b);
    pgw_notice_t z = {NULL, NULL, NULL, NULL, NULL, 0, NULL};
    pgw_put_error(&b, &z);
    EXPECT_BUF(&b, 'E', 0, 0, 0, 28, 'S', 'E', 'R', 'R', 'O', 'R', 0, 'V', 'E', 'R', 'R', 'O', 'R',
               0, 'C', 'X', 'X', '0', '0', '0', 0, 'M', 0, 0);
    ubuf_free(&b);
}

/* Walks an ErrorResponse's fields and checks they round-trip through the reader. */
static void test_build_error_parse_back(void **state)
{
    ubuf_t b = UBUF_INIT;
    pgw_notice_t e = {"ERROR", "22012", "division by zero", NULL, NULL, 2147483647, NULL};
    pgw_put_error(&b, &e);
    pgw_frame_t f;
    assert_int_equal(pgw_frame_next((const uint8_t *)b.data, b.len, 1 << 20, &f), PGW_FRAME_OK);
    assert_int_equal(f.total_len, b.len);
    pgw_rd_t r;
    pgw_rd_init(&r, f.payload, f.payload_len);
    const char *want[][2] = {{"S", "ERROR"},
                             {"V", "ERROR"},
                             {"C", "22012"},
                             {"M", "division by zero"},
                             {"P", "2147483647"}};
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(pgw_rd_u8(&r), want[i][0][0]);
        assert_string_equal(pgw_rd_cstr(&r, NULL), want[i][1]);
    }
    assert_int_equal(pgw_rd_u8(&r), 0);
    assert_true(pgw_rd_done(&r));
    ubuf_free(&b);
}

static void test_build_data_row(void **state)
{
    ubuf_t b = UBUF_INIT;
    ubuf_append(&b, "Z", 1); /* something before the row */
    size_t start = pgw_row_begin(&b, 4);
    assert_int_equal(start, 1);
    pgw_row_value(&b, "42", 2);
    pgw_row_null(&b);
    pgw_row_value(&b, "", 0);
    size_t off = pgw_row_value_begin(&b);
    ubuf_append(&b, "abc", 3);
    pgw_row_value_end(&b, off);
    pgw_row_end(&b, start);
    EXPECT_BUF(&b, 'Z', 'D', 0, 0, 0, 27, 0, 4, 0, 0, 0, 2, '4', '2', 0xFF, 0xFF, 0xFF, 0xFF, 0, 0,
               0, 0, 0, 0, 0, 3, 'a', 'b', 'c');
    /* a second row right after */
    ubuf_reset(&b);
    start = pgw_row_begin(&b, 0);
    pgw_row_end(&b, start);
    start = pgw_row_begin(&b, 1);
    pgw_row_null(&b);
    pgw_row_end(&b, start);
    EXPECT_BUF(&b, 'D', 0, 0, 0, 6, 0, 0, 'D', 0, 0, 0, 10, 0, 1, 0xFF, 0xFF, 0xFF, 0xFF);
    ubuf_free(&b);
}

static void test_build_copy(void **state)
{
    ubuf_t b = UBUF_INIT;
    const int16_t fmts[] = {0, 1};
    pgw_put_copy_out_response(&b, 0, 2, fmts);
    EXPECT_BUF(&b, 'H', 0, 0, 0, 11, 0, 0, 2, 0, 0, 0, 1);
    ubuf_reset(&b);
    pgw_put_copy_in_response(&b, 1, 3, NULL);
    EXPECT_BUF(&b, 'G', 0, 0, 0, 13, 1, 0, 3, 0, 1, 0, 1, 0, 1);
    ubuf_reset(&b);
    pgw_put_copy_in_response(&b, 0, 0, NULL);
    EXPECT_BUF(&b, 'G', 0, 0, 0, 7, 0, 0, 0);
    ubuf_reset(&b);
    pgw_put_copy_data(&b, "a,b\n", 4);
    EXPECT_BUF(&b, 'd', 0, 0, 0, 8, 'a', ',', 'b', '\n');
    ubuf_reset(&b);
    pgw_put_copy_data(&b, NULL, 0);
    EXPECT_BUF(&b, 'd', 0, 0, 0, 4);
    ubuf_free(&b);
}

/* Every builder's output frames as exactly one message whose length matches. */
static void test_build_frames_cleanly(void **state)
{
    ubuf_t b = UBUF_INIT;
    const char *const m[] = {"SCRAM-SHA-256"};
    pgw_put_auth_sasl(&b, m, 1);
    pgw_put_parameter_status(&b, "a", "b");
    pgw_put_command_complete(&b, "BEGIN");
    pgw_notice_t e = {"ERROR", "XX000", "m", "d", "h", 1, "ctx"};
    pgw_put_error(&b, &e);
    pgw_put_ready(&b, 'T');
    size_t off = 0, count = 0;
    pgw_frame_t f;
    while (pgw_frame_next((const uint8_t *)b.data + off, b.len - off, 1 << 20, &f) ==
           PGW_FRAME_OK) {
        off += f.total_len;
        count++;
    }
    assert_int_equal(off, b.len);
    assert_int_equal(count, 5);
    ubuf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frame_complete),
        cmocka_unit_test(test_frame_partial),
        cmocka_unit_test(test_frame_back_to_back),
        cmocka_unit_test(test_frame_byte_by_byte),
        cmocka_unit_test(test_frame_split_everywhere),
        cmocka_unit_test(test_frame_bad_length),
        cmocka_unit_test(test_frame_too_large),
        cmocka_unit_test(test_frame_startup),
        cmocka_unit_test(test_reader_basic),
        cmocka_unit_test(test_reader_short_reads),
        cmocka_unit_test(test_reader_cstr_bounds),
        cmocka_unit_test(test_startup_valid),
        cmocka_unit_test(test_startup_variants),
        cmocka_unit_test(test_startup_malformed),
        cmocka_unit_test(test_startup_versions),
        cmocka_unit_test(test_startup_param_cap),
        cmocka_unit_test(test_ssl_gss_request),
        cmocka_unit_test(test_cancel_request),
        cmocka_unit_test(test_query),
        cmocka_unit_test(test_parse_valid),
        cmocka_unit_test(test_parse_large_count),
        cmocka_unit_test(test_parse_malformed),
        cmocka_unit_test(test_bind_valid),
        cmocka_unit_test(test_bind_minimal),
        cmocka_unit_test(test_bind_per_param_formats),
        cmocka_unit_test(test_bind_malformed),
        cmocka_unit_test(test_target),
        cmocka_unit_test(test_execute),
        cmocka_unit_test(test_build_msg_begin_end),
        cmocka_unit_test(test_build_auth),
        cmocka_unit_test(test_build_startup_replies),
        cmocka_unit_test(test_build_empty_messages),
        cmocka_unit_test(test_build_command_complete),
        cmocka_unit_test(test_build_parameter_description),
        cmocka_unit_test(test_build_row_description),
        cmocka_unit_test(test_build_error_full),
        cmocka_unit_test(test_build_error_minimal),
        cmocka_unit_test(test_build_error_parse_back),
        cmocka_unit_test(test_build_data_row),
        cmocka_unit_test(test_build_copy),
        cmocka_unit_test(test_build_frames_cleanly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
