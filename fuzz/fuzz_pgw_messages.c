/* libFuzzer target for the regular (post-startup) message stream: frames the input message
 * by message with a 1 MiB cap, decodes each by type, and builds a response from the decoded
 * data so the builders run on fuzzer-controlled strings and counts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgwire/codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CAP ((size_t)1 << 20)

static void on_query(ubuf_t *out, const pgw_frame_t *f)
{
    pgw_query_t q;
    const char *why = NULL;
    if (!pgw_decode_query(f->payload, f->payload_len, &q, &why)) {
        pgw_notice_t e = {"ERROR", "08P01", why, NULL, NULL, 0, NULL};
        pgw_put_error(out, &e);
        return;
    }
    if (strlen(q.sql) != q.sql_len)
        abort();
    if (q.sql_len == 0) {
        pgw_put_empty_query(out);
        return;
    }
    pgw_field_t col = {"?column?", 0, 0, 25, -1, -1, 0};
    pgw_put_row_description(out, &col, 1);
    size_t row = pgw_row_begin(out, 1);
    pgw_row_value(out, q.sql, q.sql_len);
    pgw_row_end(out, row);
    pgw_put_command_complete(out, q.sql);
    pgw_notice_t n = {"NOTICE", "00000", q.sql, q.sql, NULL, (int)(q.sql_len % 1000), q.sql};
    pgw_put_notice(out, &n);
}

static void on_parse(ubuf_t *out, const pgw_frame_t *f)
{
    pgw_parse_t m;
    const char *why = NULL;
    if (pgw_decode_parse(f->payload, f->payload_len, &m, &why)) {
        pgw_put_parse_complete(out);
        pgw_put_parameter_description(out, m.param_oids, m.nparams);
        pgw_put_command_complete(out, m.name);
    } else if (why == NULL || m.param_oids != NULL) {
        abort();
    }
    pgw_parse_free(&m);
}

static void on_bind(ubuf_t *out, const pgw_frame_t *f)
{
    pgw_bind_t m;
    const char *why = NULL;
    if (pgw_decode_bind(f->payload, f->payload_len, &m, &why)) {
        if (m.nformats > 1 && m.nformats != m.nparams)
            abort();
        pgw_put_bind_complete(out);
        size_t row = pgw_row_begin(out, m.nparams);
        for (size_t i = 0; i < m.nparams; i++) {
            if (m.params[i].data == NULL)
                pgw_row_null(out);
            else
                pgw_row_value(out, m.params[i].data, (size_t)m.params[i].len);
        }
        pgw_row_end(out, row);
        pgw_put_copy_out_response(out, 0, m.nresult_formats, m.result_formats);
    } else if (why == NULL || m.params != NULL || m.formats != NULL) {
        abort();
    }
    pgw_bind_free(&m);
}

static void on_target(ubuf_t *out, const pgw_frame_t *f)
{
    pgw_target_t t;
    const char *why = NULL;
    if (!pgw_decode_target(f->payload, f->payload_len, &t, &why))
        return;
    if (t.kind != 'S' && t.kind != 'P')
        abort();
    if (f->type == 'C') {
        pgw_put_close_complete(out);
        return;
    }
    pgw_field_t col = {t.name, 0, 0, 23, 4, -1, 1};
    pgw_put_row_description(out, &col, 1);
    pgw_put_no_data(out);
}

static void on_execute(ubuf_t *out, const pgw_frame_t *f)
{
    pgw_execute_t e;
    const char *why = NULL;
    if (!pgw_decode_execute(f->payload, f->payload_len, &e, &why))
        return;
    if (e.max_rows < 0)
        abort();
    size_t row = pgw_row_begin(out, 2);
    size_t off = pgw_row_value_begin(out);
    ubuf_printf(out, "%d", (int)e.max_rows);
    pgw_row_value_end(out, off);
    pgw_row_value(out, e.portal, strlen(e.portal));
    pgw_row_end(out, row);
    if (e.max_rows)
        pgw_put_portal_suspended(out);
    else
        pgw_put_command_complete(out, "SELECT 1");
}

static void dispatch(ubuf_t *out, const pgw_frame_t *f)
{
    switch (f->type) {
    case 'Q': on_query(out, f); break;
    case 'P': on_parse(out, f); break;
    case 'B': on_bind(out, f); break;
    case 'D':
    case 'C': on_target(out, f); break;
    case 'E': on_execute(out, f); break;
    case 'S': pgw_put_ready(out, 'I'); break;
    case 'H': pgw_put_ready(out, 'T'); break;
    case 'd': pgw_put_copy_data(out, f->payload, f->payload_len); break;
    case 'c': pgw_put_copy_done(out); break;
    default: break; /* unknown types are the driver's business */
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    ubuf_t out = UBUF_INIT;
    size_t off = 0;
    pgw_frame_t f;
    while (pgw_frame_next(data + off, size - off, CAP, &f) == PGW_FRAME_OK) {
        if (f.total_len > size - off || f.total_len != f.payload_len + 5 ||
            f.payload != data + off + 5)
            abort();
        dispatch(&out, &f);
        /* every message built must frame back cleanly */
        size_t o = 0;
        pgw_frame_t g;
        while (o < out.len) {
            if (pgw_frame_next((const uint8_t *)out.data + o, out.len - o, SIZE_MAX, &g) !=
                PGW_FRAME_OK)
                abort();
            o += g.total_len;
        }
        if (o != out.len)
            abort();
        ubuf_reset(&out);
        off += f.total_len;
    }
    ubuf_free(&out);
    return 0;
}
