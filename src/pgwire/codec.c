/* pgwire codec implementation: message framing, the fail-closed reader and the frontend
 * message decoders and backend message builders of the PostgreSQL v3 protocol (see codec.h).
 * Pure byte manipulation: no I/O, no session state. */
#include "pgwire/codec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

/* ---- Framing ---- */

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* The declared length is an int32 on the wire: a value with the top bit set is negative and
 * therefore below the minimum (BAD_LENGTH), as in PostgreSQL's pq_getmessage. */
static pgw_frame_status_t frame_check(uint32_t declared, size_t min_len, size_t max_len)
{
    if (declared > (uint32_t)INT32_MAX || declared < min_len)
        return PGW_FRAME_BAD_LENGTH;
    if (declared > max_len)
        return PGW_FRAME_TOO_LARGE;
    return PGW_FRAME_OK;
}

pgw_frame_status_t pgw_frame_next(const uint8_t *data, size_t len, size_t max_len, pgw_frame_t *f)
{
    if (len < 5)
        return PGW_FRAME_NEED_MORE;
    uint32_t declared = be32(data + 1);
    pgw_frame_status_t st = frame_check(declared, 4, max_len);
    if (st != PGW_FRAME_OK)
        return st;
    if (len - 1 < declared)
        return PGW_FRAME_NEED_MORE;
    f->type = (char)data[0];
    f->payload = data + 5;
    f->payload_len = (size_t)declared - 4;
    f->total_len = (size_t)declared + 1;
    return PGW_FRAME_OK;
}

pgw_frame_status_t pgw_frame_startup(const uint8_t *data, size_t len, pgw_frame_t *f)
{
    if (len < 4)
        return PGW_FRAME_NEED_MORE;
    uint32_t declared = be32(data);
    pgw_frame_status_t st = frame_check(declared, 8, PGW_STARTUP_MAX);
    if (st != PGW_FRAME_OK)
        return st;
    if (len < declared)
        return PGW_FRAME_NEED_MORE;
    f->type = 0;
    f->payload = data + 4;
    f->payload_len = (size_t)declared - 4;
    f->total_len = (size_t)declared;
    return PGW_FRAME_OK;
}

/* ---- Reader ---- */

void pgw_rd_init(pgw_rd_t *r, const uint8_t *p, size_t len)
{
    r->p = p;
    r->len = p ? len : 0;
    r->pos = 0;
    r->bad = (p == NULL && len > 0);
}

static size_t rd_left(const pgw_rd_t *r) { return r->bad ? 0 : r->len - r->pos; }

/* Takes n bytes, or marks the reader bad and returns NULL. Never returns NULL on success,
 * even for n == 0, so a zero-length value stays distinguishable from SQL NULL. */
static const uint8_t *rd_take(pgw_rd_t *r, size_t n)
{
    static const uint8_t empty[1];
    if (r->bad || r->len - r->pos < n) {
        r->bad = true;
        return NULL;
    }
    if (r->p == NULL)
        return empty;
    const uint8_t *q = r->p + r->pos;
    r->pos += n;
    return q;
}

uint8_t pgw_rd_u8(pgw_rd_t *r)
{
    const uint8_t *q = rd_take(r, 1);
    return q ? q[0] : 0;
}

static uint16_t rd_u16(pgw_rd_t *r)
{
    const uint8_t *q = rd_take(r, 2);
    return q ? (uint16_t)((unsigned)q[0] << 8 | q[1]) : 0;
}

static uint32_t rd_u32(pgw_rd_t *r)
{
    const uint8_t *q = rd_take(r, 4);
    return q ? be32(q) : 0;
}

int16_t pgw_rd_i16(pgw_rd_t *r) { return (int16_t)rd_u16(r); }

int32_t pgw_rd_i32(pgw_rd_t *r) { return (int32_t)rd_u32(r); }

const char *pgw_rd_cstr(pgw_rd_t *r, size_t *n)
{
    if (n)
        *n = 0;
    size_t left = rd_left(r);
    const uint8_t *s = left ? r->p + r->pos : NULL;
    const uint8_t *z = s ? memchr(s, 0, left) : NULL;
    if (z == NULL) {
        r->bad = true;
        return NULL;
    }
    size_t slen = (size_t)(z - s);
    r->pos += slen + 1;
    if (n)
        *n = slen;
    return (const char *)s;
}

const uint8_t *pgw_rd_bytes(pgw_rd_t *r, int32_t n)
{
    if (n < 0) {
        r->bad = true;
        return NULL;
    }
    return rd_take(r, (size_t)n);
}

bool pgw_rd_done(const pgw_rd_t *r) { return !r->bad && r->pos == r->len; }

/* ---- Decoders ---- */

static bool fail(const char **why, const char *msg)
{
    if (why)
        *why = msg;
    return false;
}

/* First pass over StartupMessage pairs: validates the layout and counts the pairs. */
static bool startup_scan(pgw_rd_t *r, size_t *count, const char **why)
{
    size_t c = 0;
    for (;;) {
        size_t klen;
        pgw_rd_cstr(r, &klen);
        if (r->bad)
            return fail(why, "startup packet lacks its terminator");
        if (klen == 0)
            break;
        pgw_rd_cstr(r, NULL);
        if (r->bad)
            return fail(why, "startup packet parameter has no value");
        if (++c > PGW_STARTUP_MAX_PARAMS)
            return fail(why, "startup packet has too many parameters");
    }
    if (!pgw_rd_done(r))
        return fail(why, "startup packet has bytes after its terminator");
    *count = c;
    return true;
}

static bool startup_params(const uint8_t *p, size_t n, pgw_startup_t *out, const char **why)
{
    pgw_rd_t r;
    pgw_rd_init(&r, p, n);
    rd_u32(&r); /* the protocol version, already decoded */
    size_t count = 0;
    if (!startup_scan(&r, &count, why))
        return false;
    pgw_rd_init(&r, p, n);
    rd_u32(&r);
    pgw_kv_t *kv = count ? xcalloc(count, sizeof *kv) : NULL;
    for (size_t i = 0; i < count; i++) {
        kv[i].key = pgw_rd_cstr(&r, NULL);
        kv[i].value = pgw_rd_cstr(&r, NULL);
    }
    out->params = kv;
    out->nparams = count;
    return true;
}

static bool startup_decode(const uint8_t *p, size_t n, pgw_startup_t *out, const char **why)
{
    pgw_rd_t r;
    pgw_rd_init(&r, p, n);
    out->code = rd_u32(&r);
    if (r.bad)
        return fail(why, "startup packet too short");
    switch (out->code) {
    case PGW_SSL_REQUEST:
    case PGW_GSSENC_REQUEST:
        return pgw_rd_done(&r) || fail(why, "invalid length of encryption request packet");
    case PGW_CANCEL_REQUEST:
        out->cancel_pid = pgw_rd_i32(&r);
        out->cancel_key = pgw_rd_i32(&r);
        return pgw_rd_done(&r) || fail(why, "invalid length of cancel request packet");
    default: break;
    }
    if ((out->code >> 16) == 1234)
        return fail(why, "unsupported startup request code");
    if ((out->code >> 16) != 3)
        return fail(why, "unsupported frontend protocol version");
    return startup_params(p, n, out, why);
}

bool pgw_decode_startup(const uint8_t *p, size_t n, pgw_startup_t *out, const char **why)
{
    memset(out, 0, sizeof *out);
    if (startup_decode(p, n, out, why))
        return true;
    pgw_startup_free(out);
    return false;
}

void pgw_startup_free(pgw_startup_t *s)
{
    free(s->params);
    memset(s, 0, sizeof *s);
}

const char *pgw_startup_get(const pgw_startup_t *s, const char *key)
{
    for (size_t i = s->nparams; i-- > 0;) {
        if (strcmp(s->params[i].key, key) == 0)
            return s->params[i].value;
    }
    return NULL;
}

bool pgw_decode_query(const uint8_t *p, size_t n, pgw_query_t *out, const char **why)
{
    memset(out, 0, sizeof *out);
    pgw_rd_t r;
    pgw_rd_init(&r, p, n);
    pgw_query_t m;
    m.sql = pgw_rd_cstr(&r, &m.sql_len);
    if (r.bad)
        return fail(why, "Query message lacks a terminated query string");
    if (!pgw_rd_done(&r))
        return fail(why, "Query message has bytes after its query string");
    *out = m;
    return true;
}

bool pgw_decode_parse(const uint8_t *p, size_t n, pgw_parse_t *out, const char **why)
{
    memset(out, 0, sizeof *out);
    pgw_rd_t r;
    pgw_rd_init(&r, p, n);
    pgw_parse_t m = {0};
    m.name = pgw_rd_cstr(&r, NULL);
    m.sql = pgw_rd_cstr(&r, &m.sql_len);
    m.nparams = rd_u16(&r);
    if (r.bad)
        return fail(why, "truncated Parse message");
    if (rd_left(&r) != (size_t)m.nparams * 4)
        return fail(why, "Parse message length does not match its parameter count");
    if (m.nparams) {
        m.param_oids = xcalloc(m.nparams, sizeof *m.param_oids);
        for (size_t i = 0; i < m.nparams; i++)
            m.param_oids[i] = rd_u32(&r);
    }
    *out = m;
    return true;
}

void pgw_parse_free(pgw_parse_t *m)
{
    free(m->param_oids);
    memset(m, 0, sizeof *m);
}

/* An int16 count followed by that many int16 format codes, each 0 (text) or 1 (binary). */
static bool rd_format_codes(pgw_rd_t *r, uint16_t *count, int16_t **codes, const char **why)
{
    uint16_t c = rd_u16(r);
    if (r->bad)
        return fail(why, "truncated Bind message");
    if (rd_left(r) / 2 < c)
        return fail(why, "Bind message format count exceeds its length");
    int16_t *a = c ? xcalloc(c, sizeof *a) : NULL;
    for (size_t i = 0; i < c; i++) {
        a[i] = pgw_rd_i16(r);
        if (a[i] != 0 && a[i] != 1) {
            free(a);
            return fail(why, "Bind message has an unsupported format code");
        }
    }
    *count = c;
    *codes = a;
    return true;
}

/* An int16 count followed by that many (int32 length, bytes) values; length -1 is NULL. */
static bool rd_bind_values(pgw_rd_t *r, uint16_t *count, pgw_param_t **params, const char **why)
{
    uint16_t c = rd_u16(r);
    if (r->bad)
        return fail(why, "truncated Bind message");
    if (rd_left(r) / 4 < c)
        return fail(why, "Bind message parameter count exceeds its length");
    pgw_param_t *a = c ? xcalloc(c, sizeof *a) : NULL;
    for (size_t i = 0; i < c; i++) {
        int32_t len = pgw_rd_i32(r);
        if (len < -1) {
            free(a);
            return fail(why, "Bind message has an invalid parameter length");
        }
        a[i].len = len;
        a[i].data = len < 0 ? NULL : pgw_rd_bytes(r, len);
        if (r->bad) {
            free(a);
            return fail(why, "truncated Bind message");
        }
    }
    *count = c;
    *params = a;
    return true;
}

/* Fills *m field by field; on failure the caller frees whatever arrays were set. */
static bool bind_decode(pgw_rd_t *r, pgw_bind_t *m, const char **why)
{
    m->portal = pgw_rd_cstr(r, NULL);
    m->stmt = pgw_rd_cstr(r, NULL);
    if (r->bad)
        return fail(why, "truncated Bind message");
    if (!rd_format_codes(r, &m->nformats, &m->formats, why) ||
        !rd_bind_values(r, &m->nparams, &m->params, why))
        return false;
    if (m->nformats > 1 && m->nformats != m->nparams)
        return fail(why, "Bind message format count does not match its parameter count");
    if (!rd_format_codes(r, &m->nresult_formats, &m->result_formats, why))
        return false;
    if (!pgw_rd_done(r))
        return fail(why, "Bind message has bytes after its result formats");
    return true;
}

bool pgw_decode_bind(const uint8_t *p, size_t n, pgw_bind_t *out, const char **why)
{
    memset(out, 0, sizeof *out);
    pgw_rd_t r;
    pgw_rd_init(&r, p, n);
    if (bind_decode(&r, out, why))
        return true;
    pgw_bind_free(out);
    return false;
}

void pgw_bind_free(pgw_bind_t *m)
{
    free(m->formats);
    free(m->params);
    free(m->result_formats);
    memset(m, 0, sizeof *m);
}

bool pgw_decode_target(const uint8_t *p, size_t n, pgw_target_t *out, const char **why)
{
    memset(out, 0, sizeof *out);
    pgw_rd_t r;
    pgw_rd_init(&r, p, n);
    pgw_target_t m;
    m.kind = (char)pgw_rd_u8(&r);
    m.name = pgw_rd_cstr(&r, NULL);
    if (r.bad)
        return fail(why, "truncated Describe/Close message");
    if (m.kind != 'S' && m.kind != 'P')
        return fail(why, "invalid Describe/Close target type");
    if (!pgw_rd_done(&r))
        return fail(why, "Describe/Close message has bytes after its name");
    *out = m;
    return true;
}

bool pgw_decode_execute(const uint8_t *p, size_t n, pgw_execute_t *out, const char **why)
{
    memset(out, 0, sizeof *out);
    pgw_rd_t r;
    pgw_rd_init(&r, p, n);
    pgw_execute_t m;
    m.portal = pgw_rd_cstr(&r, NULL);
    m.max_rows = pgw_rd_i32(&r);
    if (r.bad)
        return fail(why, "truncated Execute message");
    if (!pgw_rd_done(&r))
        return fail(why, "Execute message has bytes after its row limit");
    if (m.max_rows < 0)
        m.max_rows = 0; /* PostgreSQL treats any count <= 0 as "no limit" */
    *out = m;
    return true;
}

/* ---- Builders ---- */

static void put_cstr(ubuf_t *out, const char *s) { ubuf_append(out, s, strlen(s) + 1); }

static void put_i16(ubuf_t *out, int16_t v) { ubuf_put_u16be(out, (uint16_t)v); }

size_t pgw_msg_begin(ubuf_t *out, char type)
{
    size_t start = out->len;
    ubuf_putc(out, type);
    ubuf_put_u32be(out, 0);
    return start;
}

void pgw_msg_end(ubuf_t *out, size_t start)
{
    ubuf_patch_u32be(out, start + 1, (uint32_t)(out->len - start - 1));
}

/* A message with no payload: type byte + length 4. */
static void put_empty(ubuf_t *out, char type)
{
    ubuf_putc(out, type);
    ubuf_put_u32be(out, 4);
}

static void put_auth(ubuf_t *out, uint32_t code, const uint8_t *data, size_t n)
{
    ubuf_putc(out, 'R');
    ubuf_put_u32be(out, (uint32_t)(8 + n));
    ubuf_put_u32be(out, code);
    ubuf_append(out, data, n);
}

void pgw_put_auth_ok(ubuf_t *out) { put_auth(out, 0, NULL, 0); }

void pgw_put_auth_cleartext(ubuf_t *out) { put_auth(out, 3, NULL, 0); }

void pgw_put_auth_sasl(ubuf_t *out, const char *const *mechanisms, size_t n)
{
    size_t start = pgw_msg_begin(out, 'R');
    ubuf_put_u32be(out, 10);
    for (size_t i = 0; i < n; i++)
        put_cstr(out, mechanisms[i]);
    ubuf_putc(out, '\0');
    pgw_msg_end(out, start);
}

void pgw_put_auth_sasl_continue(ubuf_t *out, const uint8_t *data, size_t n)
{
    put_auth(out, 11, data, n);
}

void pgw_put_auth_sasl_final(ubuf_t *out, const uint8_t *data, size_t n)
{
    put_auth(out, 12, data, n);
}

void pgw_put_parameter_status(ubuf_t *out, const char *name, const char *value)
{
    size_t start = pgw_msg_begin(out, 'S');
    put_cstr(out, name);
    put_cstr(out, value);
    pgw_msg_end(out, start);
}

void pgw_put_backend_key(ubuf_t *out, int32_t pid, int32_t key)
{
    ubuf_putc(out, 'K');
    ubuf_put_u32be(out, 12);
    ubuf_put_u32be(out, (uint32_t)pid);
    ubuf_put_u32be(out, (uint32_t)key);
}

void pgw_put_negotiate_version(ubuf_t *out, uint32_t newest_minor, const char *const *unknown,
                               size_t n)
{
    size_t start = pgw_msg_begin(out, 'v');
    ubuf_put_u32be(out, newest_minor);
    ubuf_put_u32be(out, (uint32_t)n);
    for (size_t i = 0; i < n; i++)
        put_cstr(out, unknown[i]);
    pgw_msg_end(out, start);
}

void pgw_put_ready(ubuf_t *out, char status)
{
    ubuf_putc(out, 'Z');
    ubuf_put_u32be(out, 5);
    ubuf_putc(out, status);
}

void pgw_put_parse_complete(ubuf_t *out) { put_empty(out, '1'); }

void pgw_put_bind_complete(ubuf_t *out) { put_empty(out, '2'); }

void pgw_put_close_complete(ubuf_t *out) { put_empty(out, '3'); }

void pgw_put_no_data(ubuf_t *out) { put_empty(out, 'n'); }

void pgw_put_portal_suspended(ubuf_t *out) { put_empty(out, 's'); }

void pgw_put_empty_query(ubuf_t *out) { put_empty(out, 'I'); }

void pgw_put_command_complete(ubuf_t *out, const char *tag)
{
    size_t start = pgw_msg_begin(out, 'C');
    put_cstr(out, tag);
    pgw_msg_end(out, start);
}

void pgw_put_parameter_description(ubuf_t *out, const uint32_t *oids, size_t n)
{
    size_t start = pgw_msg_begin(out, 't');
    ubuf_put_u16be(out, (uint16_t)n);
    for (size_t i = 0; i < n; i++)
        ubuf_put_u32be(out, oids[i]);
    pgw_msg_end(out, start);
}

void pgw_put_row_description(ubuf_t *out, const pgw_field_t *fields, size_t n)
{
    size_t start = pgw_msg_begin(out, 'T');
    ubuf_put_u16be(out, (uint16_t)n);
    for (size_t i = 0; i < n; i++) {
        const pgw_field_t *f = &fields[i];
        put_cstr(out, f->name);
        ubuf_put_u32be(out, f->table_oid);
        put_i16(out, f->column);
        ubuf_put_u32be(out, f->type_oid);
        put_i16(out, f->typlen);
        ubuf_put_u32be(out, (uint32_t)f->typmod);
        put_i16(out, f->format);
    }
    pgw_msg_end(out, start);
}

static void put_field(ubuf_t *out, char code, const char *value)
{
    ubuf_putc(out, code);
    put_cstr(out, value);
}

static void put_error_or_notice(ubuf_t *out, char type, const pgw_notice_t *e)
{
    const char *severity = e->severity ? e->severity : "ERROR";
    size_t start = pgw_msg_begin(out, type);
    put_field(out, 'S', severity);
    put_field(out, 'V', severity);
    put_field(out, 'C', e->sqlstate ? e->sqlstate : "XX000");
    put_field(out, 'M', e->message ? e->message : "");
    if (e->detail)
        put_field(out, 'D', e->detail);
    if (e->hint)
        put_field(out, 'H', e->hint);
    if (e->position > 0) {
        char pos[16];
        snprintf(pos, sizeof pos, "%d", e->position);
        put_field(out, 'P', pos);
    }
    if (e->context)
        put_field(out, 'W', e->context);
    ubuf_putc(out, '\0');
    pgw_msg_end(out, start);
}

void pgw_put_error(ubuf_t *out, const pgw_notice_t *e) { put_error_or_notice(out, 'E', e); }

void pgw_put_notice(ubuf_t *out, const pgw_notice_t *e) { put_error_or_notice(out, 'N', e); }

static void put_copy_response(ubuf_t *out, char type, int8_t format, uint16_t ncols,
                              const int16_t *col_formats)
{
    ubuf_putc(out, type);
    ubuf_put_u32be(out, 4 + 1 + 2 + 2 * (uint32_t)ncols);
    ubuf_putc(out, (char)format);
    ubuf_put_u16be(out, ncols);
    for (size_t i = 0; i < ncols; i++)
        put_i16(out, col_formats ? col_formats[i] : (int16_t)format);
}

void pgw_put_copy_out_response(ubuf_t *out, int8_t format, uint16_t ncols,
                               const int16_t *col_formats)
{
    put_copy_response(out, 'H', format, ncols, col_formats);
}

void pgw_put_copy_in_response(ubuf_t *out, int8_t format, uint16_t ncols,
                              const int16_t *col_formats)
{
    put_copy_response(out, 'G', format, ncols, col_formats);
}

void pgw_put_copy_data(ubuf_t *out, const void *p, size_t n)
{
    ubuf_putc(out, 'd');
    ubuf_put_u32be(out, (uint32_t)(4 + n));
    ubuf_append(out, p, n);
}

void pgw_put_copy_done(ubuf_t *out) { put_empty(out, 'c'); }
