/* libFuzzer target for the startup phase: frames the input as a startup packet and decodes
 * it (or, when the framing rejects it, decodes the raw input as a payload so the decoder is
 * exercised either way), then looks parameters up and answers with the builders. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pgwire/codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void answer(const pgw_startup_t *s)
{
    ubuf_t out = UBUF_INIT;
    const char *unknown[PGW_STARTUP_MAX_PARAMS];
    size_t nunknown = 0;
    for (size_t i = 0; i < s->nparams; i++) {
        const char *key = s->params[i].key;
        /* every decoded key must be found again */
        if (pgw_startup_get(s, key) == NULL)
            abort();
        if (strncmp(key, "_pq_.", 5) == 0)
            unknown[nunknown++] = key;
        else
            pgw_put_parameter_status(&out, key, s->params[i].value);
    }
    const char *user = pgw_startup_get(s, "user");
    pgw_notice_t e = {"FATAL",
                      "28000",
                      user ? user : "no user",
                      pgw_startup_get(s, "database"),
                      pgw_startup_get(s, "options"),
                      0,
                      pgw_startup_get(s, "application_name")};
    pgw_put_error(&out, &e);
    if ((s->code & 0xFFFFu) > 0 || nunknown)
        pgw_put_negotiate_version(&out, 0, unknown, nunknown);
    pgw_put_backend_key(&out, s->cancel_pid, s->cancel_key);
    pgw_put_ready(&out, 'I');
    ubuf_free(&out);
}

static void decode(const uint8_t *p, size_t n)
{
    pgw_startup_t s;
    const char *why = NULL;
    if (pgw_decode_startup(p, n, &s, &why)) {
        answer(&s);
    } else if (why == NULL || s.params != NULL || s.nparams != 0) {
        abort();
    }
    pgw_startup_free(&s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pgw_frame_t f;
    if (pgw_frame_startup(data, size, &f) == PGW_FRAME_OK) {
        if (f.total_len > size || f.payload != data + 4 || f.payload_len + 4 != f.total_len)
            abort();
        decode(f.payload, f.payload_len);
    } else {
        decode(data, size);
    }
    return 0;
}
