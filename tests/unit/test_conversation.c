/* Conversation tests: whole client conversations through pgw_conn_run over the memory
 * transport, against a real in-memory database, asserting on the bytes the server writes:
 * startup to ReadyForQuery, an extended-protocol error skipped until Sync, the SASL offer to a
 * SCRAM user, SSLRequest refused with 'N', and regressions found by fuzz_pgw_conversation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine/engine.h"
#include "pgwire/conn.h"
#include "pgwire/hba.h"
#include "pgwire/scram.h"
#include "pgwire/transport.h"
#include "session/registry.h"
#include "util/buf.h"
#include "util/log.h"

#define RULES "tcp all raw trust\ntcp all all scram-sha-256\n"

typedef struct {
    eng_db_t *db;
    sess_env_t env;
    pgw_hba_t *hba;
    char users_path[64];
    pgw_server_cfg_t cfg;
} fx_t;

static int setup(void **state)
{
    fx_t *fx = calloc(1, sizeof *fx);
    uerr_t err = UERR_INIT;
    ubuf_t v = UBUF_INIT;
    ulog_set_level(ULOG_ERROR);
    assert_int_equal(eng_db_open(&fx->db, NULL, false, NULL, 0, &err), 0);
    fx->env = (sess_env_t){.db = fx->db,
                           .max_copy_row = 1 << 20,
                           .server_version = "15.0",
                           .catalog = eng_db_catalog(fx->db)};
    assert_int_equal(pgw_hba_parse(RULES, strlen(RULES), "test", &fx->hba, &err), 0);
    assert_int_equal(pgw_scram_make_verifier("secret", 4096, &v, &err), 0);
    snprintf(fx->users_path, sizeof fx->users_path, "/tmp/duckd-conv-users-%d", (int)getpid());
    FILE *f = fopen(fx->users_path, "w");
    assert_non_null(f);
    fprintf(f, "scram read_write %s\n", v.data);
    fclose(f);
    ubuf_free(&v);
    sreg_init(8, 0);
    fx->cfg = (pgw_server_cfg_t){.env = &fx->env,
                                 .max_message_size = 1 << 20,
                                 .output_buffer = 8192,
                                 .authentication_timeout_ms = 1000,
                                 .max_pending_input = 1 << 24,
                                 .hba = fx->hba,
                                 .users_file = fx->users_path};
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fx_t *fx = *state;
    unlink(fx->users_path);
    pgw_hba_free(fx->hba);
    eng_db_close(fx->db);
    free(fx);
    return 0;
}

/* ---- client messages ---- */

static void put_u32(ubuf_t *b, uint32_t v)
{
    uint8_t x[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    ubuf_append(b, x, 4);
}

/* A startup packet (protocol 3.0) for user. */
static void put_startup(ubuf_t *b, const char *user)
{
    ubuf_t p = UBUF_INIT;
    put_u32(&p, 196608);
    ubuf_append(&p, "user", 5);
    ubuf_append(&p, user, strlen(user) + 1);
    ubuf_append(&p, "", 1);
    put_u32(b, (uint32_t)p.len + 4);
    ubuf_append(b, p.data, p.len);
    ubuf_free(&p);
}

/* A regular message: type, then the payload given as n NUL-terminated strings. */
static void put_msg(ubuf_t *b, char type, int n, ...)
{
    ubuf_t p = UBUF_INIT;
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++) {
        const char *s = va_arg(ap, const char *);
        ubuf_append(&p, s, strlen(s) + 1);
    }
    va_end(ap);
    ubuf_putc(b, type);
    put_u32(b, (uint32_t)p.len + 4);
    if (p.len)
        ubuf_append(b, p.data, p.len);
    ubuf_free(&p);
}

static void put_raw(ubuf_t *b, char type, const void *payload, size_t n)
{
    ubuf_putc(b, type);
    put_u32(b, (uint32_t)n + 4);
    ubuf_append(b, payload, n);
}

/* Runs the conversation in `in` (chunked by chunk bytes, 0 = whole) and returns the server's
 * message types as a string (the one-byte SSL answer appears as itself). */
static char *converse(fx_t *fx, const ubuf_t *in, size_t chunk, ubuf_t *out)
{
    size_t chunks[1] = {chunk};
    pgw_transport_t *t =
        pgw_transport_memory((const uint8_t *)in->data, in->len, chunks, 1, false, out, 1 << 20);
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    pgw_conn_run(&fx->cfg, t, (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
    pgw_transport_free(t);
    char *types = calloc(out->len + 1, 1);
    size_t pos = 0, n = 0;
    const uint8_t *d = (const uint8_t *)out->data;
    if (pos < out->len && (d[0] == 'N' || d[0] == 'S') &&
        (out->len == 1 || d[1] == 'E' || d[1] == 'R' || d[1] == 'v'))
        types[n++] = (char)d[pos++];
    while (pos + 5 <= out->len) {
        size_t len = (size_t)d[pos + 1] << 24 | (size_t)d[pos + 2] << 16 | (size_t)d[pos + 3] << 8 |
                     d[pos + 4];
        types[n++] = (char)d[pos];
        pos += 1 + len;
    }
    return types;
}

static void test_trusted_simple_query(void **state)
{
    fx_t *fx = *state;
    ubuf_t in = UBUF_INIT, out = UBUF_INIT;
    put_startup(&in, "raw");
    put_msg(&in, 'Q', 1, "SELECT 1 AS one");
    put_msg(&in, 'X', 0);
    char *types = converse(fx, &in, 0, &out);
    /* AuthenticationOk, parameters ..., BackendKeyData, ReadyForQuery, then the query */
    assert_int_equal(types[0], 'R');
    const char *k = strchr(types, 'K');
    assert_non_null(k);
    assert_string_equal(k, "KZTDCZ");
    free(types);
    ubuf_free(&in);
    ubuf_free(&out);
}

static void test_extended_error_skips_until_sync(void **state)
{
    fx_t *fx = *state;
    ubuf_t in = UBUF_INIT, out = UBUF_INIT;
    static const uint8_t bind[] = {0, 0, 0, 0, 0, 0, 0, 0}; /* "" portal, "" stmt, no params */
    static const uint8_t exec[] = {0, 0, 0, 0, 0};
    put_startup(&in, "raw");
    static const char parse[] = "\0SELEC broken\0\0"; /* "" stmt, SQL, no parameter types */
    put_raw(&in, 'P', parse, sizeof parse);
    put_raw(&in, 'B', bind, sizeof bind);
    put_raw(&in, 'E', exec, sizeof exec);
    put_msg(&in, 'S', 0);
    put_msg(&in, 'Q', 1, "SELECT 2");
    put_msg(&in, 'X', 0);
    char *types = converse(fx, &in, 7, &out);
    const char *k = strchr(types, 'K');
    assert_non_null(k);
    /* the Parse fails; Bind and Execute are skipped (no '2', no 'D'); Sync ends the skip */
    assert_string_equal(k, "KZEZTDCZ");
    free(types);
    ubuf_free(&in);
    ubuf_free(&out);
}

static void test_scram_user_gets_sasl(void **state)
{
    fx_t *fx = *state;
    ubuf_t in = UBUF_INIT, out = UBUF_INIT;
    put_startup(&in, "scram");
    char *types = converse(fx, &in, 0, &out);
    /* AuthenticationSASL (code 10) listing SCRAM-SHA-256, then the input ends: FATAL */
    assert_true(out.len > 9);
    assert_int_equal(out.data[0], 'R');
    assert_int_equal((uint8_t)out.data[8], 10);
    assert_non_null(memmem(out.data, out.len, "SCRAM-SHA-256", 13));
    assert_null(memmem(out.data, out.len, "SCRAM-SHA-256-PLUS", 18));
    assert_string_equal(types, "RE");
    free(types);
    ubuf_free(&in);
    ubuf_free(&out);
}

static void test_ssl_request_refused(void **state)
{
    fx_t *fx = *state;
    ubuf_t in = UBUF_INIT, out = UBUF_INIT;
    put_u32(&in, 8);
    put_u32(&in, 80877103);
    put_startup(&in, "raw");
    put_msg(&in, 'X', 0);
    char *types = converse(fx, &in, 1, &out);
    assert_int_equal(types[0], 'N');
    assert_int_equal(types[1], 'R');
    assert_non_null(strstr(types, "KZ"));
    free(types);
    ubuf_free(&in);
    ubuf_free(&out);
}

static void test_copy_from_stdin(void **state)
{
    fx_t *fx = *state;
    ubuf_t in = UBUF_INIT, out = UBUF_INIT;
    put_startup(&in, "raw");
    put_msg(&in, 'Q', 1, "CREATE TABLE conv_copy(a INT, b TEXT)");
    put_msg(&in, 'Q', 1, "COPY conv_copy FROM STDIN");
    put_raw(&in, 'd', "1\tone\n2\t", 8);
    put_raw(&in, 'd', "two\n", 4);
    put_msg(&in, 'c', 0);
    put_msg(&in, 'Q', 1, "SELECT count(*) FROM conv_copy");
    put_msg(&in, 'X', 0);
    char *types = converse(fx, &in, 3, &out);
    const char *k = strchr(types, 'K');
    assert_non_null(k);
    /* CopyInResponse, then CommandComplete "COPY 2" and the count */
    assert_string_equal(k, "KZCZGCZTDCZ");
    assert_non_null(memmem(out.data, out.len, "COPY 2", 6));
    free(types);
    ubuf_free(&in);
    ubuf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trusted_simple_query),
        cmocka_unit_test(test_extended_error_skips_until_sync),
        cmocka_unit_test(test_scram_user_gets_sasl),
        cmocka_unit_test(test_ssl_request_refused),
        cmocka_unit_test(test_copy_from_stdin),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
