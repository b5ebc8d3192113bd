/* libFuzzer target for the SCRAM server: drives a whole exchange (first byte: flags for channel
 * binding, -PLUS and a known user; next two bytes: where the rest splits into client-first and
 * client-final), then feeds the same bytes to the SASLInitialResponse decoder, the verifier
 * parser and the base64 decoder. The server nonce is fixed so the final message can match. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pgwire/scram.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RFC_VERIFIER                                                                               \
    "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:"    \
    "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU="

static void check_failure(int rc, const uerr_t *err, const ubuf_t *out)
{
    if (rc != PGW_SCRAM_FAIL)
        return;
    static const char *const ok[] = {"08P01", "28P01", "0A000", "28000", "XX000"};
    bool known = false;
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        known |= strcmp(err->sqlstate, ok[i]) == 0;
    if (!known || err->message == NULL || out->len != 0)
        abort();
}

static void exchange(uint8_t flags, const uint8_t *first, size_t flen, const uint8_t *fin,
                     size_t finlen)
{
    static const uint8_t secret[] = "fuzz-mock-secret";
    uint8_t cbdata[32];
    memset(cbdata, 0x5A, sizeof cbdata);
    pgw_scram_cb_t cb = {cbdata, sizeof cbdata};
    bool known = flags & 4;
    pgw_scram_t *s = pgw_scram_new("user", known ? RFC_VERIFIER : NULL, secret, sizeof secret - 1,
                                   (flags & 1) ? &cb : NULL);
    ubuf_t out = UBUF_INIT;
    uerr_t err = UERR_INIT;
    pgw_scram__set_nonce(s, "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0");
    if ((flags & 2) && pgw_scram_select_mechanism(s, PGW_SCRAM_MECH_PLUS, &err) != 0)
        uerr_clear(&err);
    int rc = pgw_scram_step(s, (flags & 8) ? NULL : first, flen, &out, &err);
    check_failure(rc, &err, &out);
    if (rc == PGW_SCRAM_CONTINUE) {
        rc = pgw_scram_step(s, fin, finlen, &out, &err);
        check_failure(rc, &err, &out);
        if (rc == PGW_SCRAM_DONE_OK && !known)
            abort(); /* a mock verifier must never authenticate */
    }
    uerr_clear(&err);
    ubuf_free(&out);
    pgw_scram_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    uint8_t flags = data[0];
    size_t split = ((size_t)data[1] << 8 | data[2]);
    const uint8_t *rest = data + 3;
    size_t n = size - 3;
    if (split > n)
        split = n;
    /* Exact-size copies, so any over-read is caught. */
    uint8_t *first = malloc(split ? split : 1), *fin = malloc(n - split ? n - split : 1);
    memcpy(first, rest, split);
    memcpy(fin, rest + split, n - split);
    exchange(flags, first, split, fin, n - split);
    free(first);
    free(fin);

    pgw_scram_initial_t init;
    uerr_t err = UERR_INIT;
    if (pgw_scram_decode_initial(rest, n, &init, &err) == 0 && init.data &&
        (init.data < rest || init.data + init.len > rest + n))
        abort();
    uerr_clear(&err);
    char *text = malloc(n + 1);
    memcpy(text, rest, n);
    text[n] = '\0';
    pgw_scram_verifier_t v;
    if (pgw_scram_parse_verifier(text, &v) && (v.iterations < 1 || v.salt_len == 0))
        abort();
    pgw_scram_verifier_free(&v);
    uint8_t dec[96];
    long k = pgw_b64_decode(text, n, dec, sizeof dec);
    if (k >= 0) {
        ubuf_t again = UBUF_INIT;
        pgw_b64_encode(&again, dec, (size_t)k);
        if (again.len != n || (n && memcmp(again.data, text, n) != 0))
            abort(); /* strict decoding round-trips exactly */
        ubuf_free(&again);
    }
    free(text);
    return 0;
}
