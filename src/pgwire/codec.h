/* pgwire codec: the PostgreSQL v3 wire protocol as a sans-I/O library.
 *
 * Framing (splitting a byte stream into messages, with a size cap), a bounds-checked reader
 * that fails closed, decoders for every frontend message duckd accepts, and typed builders for
 * every backend message it sends. Nothing here touches a socket, a session or DuckDB, so the
 * driver (pgwire/conn.c), unit tests and fuzzers all use exactly the same code.
 *
 * Decoded messages borrow from the input bytes: their pointers stay valid as long as the
 * caller keeps the message buffer unchanged. Arrays inside decoded messages are owned by the
 * decoded struct and released with the matching *_free function. */
#ifndef DUCKD_PGWIRE_CODEC_H
#define DUCKD_PGWIRE_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

#define PGW_PROTOCOL_3_0 196608u     /* 3 << 16 */
#define PGW_CANCEL_REQUEST 80877102u /* 1234 << 16 | 5678 */
#define PGW_SSL_REQUEST 80877103u    /* 1234 << 16 | 5679 */
#define PGW_GSSENC_REQUEST 80877104u /* 1234 << 16 | 5680 */
#define PGW_STARTUP_MAX 10000u       /* PostgreSQL's own cap on a startup packet */
#define PGW_MAX_PARAMS 65535u
#define PGW_STARTUP_MAX_PARAMS 64u /* cap on key/value pairs in a StartupMessage */

/* ---- Framing ---- */

typedef enum {
    PGW_FRAME_OK = 0,    /* a whole message is available */
    PGW_FRAME_NEED_MORE, /* not enough bytes yet */
    PGW_FRAME_TOO_LARGE, /* declared length exceeds the cap: protocol violation */
    PGW_FRAME_BAD_LENGTH /* declared length < 4: protocol violation */
} pgw_frame_status_t;

typedef struct pgw_frame {
    char type;              /* message type byte; 0 for a startup-phase packet */
    const uint8_t *payload; /* borrowed: points into the input, after the length field */
    size_t payload_len;     /* bytes of payload (declared length - 4) */
    size_t total_len;       /* bytes the whole message occupies in the input */
} pgw_frame_t;

/* Splits one regular message (type byte + int32 length) off the front of data[0..len).
 * `max_len` caps the declared length (payload + 4). On PGW_FRAME_OK fills *f. */
pgw_frame_status_t pgw_frame_next(const uint8_t *data, size_t len, size_t max_len, pgw_frame_t *f);
/* The same for a startup-phase packet (int32 length, no type byte; f->type = 0), capped at
 * PGW_STARTUP_MAX. */
pgw_frame_status_t pgw_frame_startup(const uint8_t *data, size_t len, pgw_frame_t *f);

/* ---- Bounds-checked reader: any over-read sets `bad` and returns zero/NULL values, so a
 * decoder can read everything and check `bad` once at the end. ---- */

typedef struct pgw_rd {
    const uint8_t *p;
    size_t len;
    size_t pos;
    bool bad;
} pgw_rd_t;

void pgw_rd_init(pgw_rd_t *r, const uint8_t *p, size_t len);
uint8_t pgw_rd_u8(pgw_rd_t *r);
int16_t pgw_rd_i16(pgw_rd_t *r);
int32_t pgw_rd_i32(pgw_rd_t *r);
/* A NUL-terminated string: returns a borrowed pointer (NUL-terminated in the input) and its
 * length via *n (may be NULL); sets bad if no NUL lies within the remaining bytes. */
const char *pgw_rd_cstr(pgw_rd_t *r, size_t *n);
/* n raw bytes (borrowed); sets bad if fewer remain or n < 0. */
const uint8_t *pgw_rd_bytes(pgw_rd_t *r, int32_t n);
/* True when every byte was consumed and nothing over-read. */
bool pgw_rd_done(const pgw_rd_t *r);

/* ---- Frontend message decoders. Each returns false (and leaves a static explanation in
 * *why, if why is not NULL) on a malformed message; on success the struct borrows from the
 * payload. On failure *out is left zeroed with nothing allocated; calling the matching
 * *_free on it anyway is harmless. ---- */

typedef struct pgw_kv {
    const char *key;
    const char *value;
} pgw_kv_t;

typedef struct pgw_startup {
    uint32_t code; /* protocol version, or one of the *_REQUEST codes */
    /* StartupMessage: */
    pgw_kv_t *params; /* owned array of borrowed strings */
    size_t nparams;
    /* CancelRequest: */
    int32_t cancel_pid;
    int32_t cancel_key;
} pgw_startup_t;

/* Decodes a startup-phase packet payload (after the length). Accepts protocol 3.x only
 * (minor versions > 0 are accepted; the driver answers NegotiateProtocolVersion).
 * SSLRequest/GSSENCRequest must be exactly the code, CancelRequest exactly code+pid+key; a
 * StartupMessage must end with the empty-name terminator as its last byte and carry at most
 * PGW_STARTUP_MAX_PARAMS pairs. On failure *out is left zeroed (nothing to free). */
bool pgw_decode_startup(const uint8_t *p, size_t n, pgw_startup_t *out, const char **why);
void pgw_startup_free(pgw_startup_t *s);
/* Looks up a startup parameter by name; returns NULL if absent. If the client repeated a
 * name, the last occurrence wins (as in PostgreSQL, which assigns them in order). */
const char *pgw_startup_get(const pgw_startup_t *s, const char *key);

typedef struct pgw_query { /* 'Q' */
    const char *sql;
    size_t sql_len;
} pgw_query_t;
bool pgw_decode_query(const uint8_t *p, size_t n, pgw_query_t *out, const char **why);

typedef struct pgw_parse { /* 'P' */
    const char *name;
    const char *sql;
    size_t sql_len;
    uint16_t nparams;
    uint32_t *param_oids; /* owned */
} pgw_parse_t;
bool pgw_decode_parse(const uint8_t *p, size_t n, pgw_parse_t *out, const char **why);
void pgw_parse_free(pgw_parse_t *m);

typedef struct pgw_param {
    const uint8_t *data; /* borrowed; NULL for SQL NULL */
    int32_t len;         /* -1 for NULL */
} pgw_param_t;

typedef struct pgw_bind { /* 'B' */
    const char *portal;
    const char *stmt;
    uint16_t nformats; /* 0: all text; 1: applies to all; else one per parameter */
    int16_t *formats;  /* owned */
    uint16_t nparams;
    pgw_param_t *params; /* owned array */
    uint16_t nresult_formats;
    int16_t *result_formats; /* owned */
} pgw_bind_t;
/* Also validates that every format code is 0 or 1 and that nformats is 0, 1 or nparams. */
bool pgw_decode_bind(const uint8_t *p, size_t n, pgw_bind_t *out, const char **why);
void pgw_bind_free(pgw_bind_t *m);

typedef struct pgw_target { /* 'D' Describe and 'C' Close */
    char kind;              /* 'S' statement or 'P' portal */
    const char *name;
} pgw_target_t;
bool pgw_decode_target(const uint8_t *p, size_t n, pgw_target_t *out, const char **why);

typedef struct pgw_execute { /* 'E' */
    const char *portal;
    int32_t max_rows; /* 0 = no limit (a negative count from the client is mapped to 0) */
} pgw_execute_t;
bool pgw_decode_execute(const uint8_t *p, size_t n, pgw_execute_t *out, const char **why);

/* ---- Backend message builders: each appends one whole message to out. ---- */

/* Starts a message of `type`, reserving its length field; returns the offset to pass to
 * pgw_msg_end, which back-patches the length. For building messages field by field.
 * The returned offset is that of the TYPE byte (the length field is at offset + 1); the
 * length written is every byte after the type byte (out->len - offset - 1). */
size_t pgw_msg_begin(ubuf_t *out, char type);
void pgw_msg_end(ubuf_t *out, size_t start);

void pgw_put_auth_ok(ubuf_t *out);
void pgw_put_auth_sasl(ubuf_t *out, const char *const *mechanisms, size_t n);
void pgw_put_auth_sasl_continue(ubuf_t *out, const uint8_t *data, size_t n);
void pgw_put_auth_sasl_final(ubuf_t *out, const uint8_t *data, size_t n);
void pgw_put_auth_cleartext(ubuf_t *out);
void pgw_put_parameter_status(ubuf_t *out, const char *name, const char *value);
void pgw_put_backend_key(ubuf_t *out, int32_t pid, int32_t key);
void pgw_put_negotiate_version(ubuf_t *out, uint32_t newest_minor, const char *const *unknown,
                               size_t n);
/* status: 'I' idle, 'T' in a transaction block, 'E' in a failed transaction block. */
void pgw_put_ready(ubuf_t *out, char status);
void pgw_put_parse_complete(ubuf_t *out);
void pgw_put_bind_complete(ubuf_t *out);
void pgw_put_close_complete(ubuf_t *out);
void pgw_put_no_data(ubuf_t *out);
void pgw_put_portal_suspended(ubuf_t *out);
void pgw_put_empty_query(ubuf_t *out);
void pgw_put_command_complete(ubuf_t *out, const char *tag);
void pgw_put_parameter_description(ubuf_t *out, const uint32_t *oids, size_t n);

typedef struct pgw_field {
    const char *name;
    uint32_t table_oid; /* 0 */
    int16_t column;     /* 0 */
    uint32_t type_oid;
    int16_t typlen;
    int32_t typmod; /* -1 unless known */
    int16_t format; /* 0 text, 1 binary */
} pgw_field_t;
void pgw_put_row_description(ubuf_t *out, const pgw_field_t *fields, size_t n);

/* ErrorResponse ('E') or NoticeResponse ('N'). severity: "ERROR", "FATAL", "NOTICE", ...
 * detail/hint/context may be NULL; position 0 = none. Fields are written in the order S, V
 * (same text as S), C, M, then D, H, P, W when present, then the terminating zero byte. A NULL
 * severity, sqlstate or message is sent as "ERROR", "XX000" or "" respectively. */
typedef struct pgw_notice {
    const char *severity;
    const char *sqlstate;
    const char *message;
    const char *detail;
    const char *hint;
    int position;
    const char *context; /* 'W': where it happened; may be NULL */
} pgw_notice_t;
void pgw_put_error(ubuf_t *out, const pgw_notice_t *e);
void pgw_put_notice(ubuf_t *out, const pgw_notice_t *e);

/* DataRow built incrementally: begin, then one pgw_row_value / pgw_row_null per column (or
 * reserve space with pgw_row_value_begin/_end to encode in place), then end.
 * These run once per value of every result row, so they are static inline here. A value
 * must be shorter than 2^31 bytes (the caller caps what it encodes). pgw_row_begin returns
 * the offset of the 'D' type byte, exactly like pgw_msg_begin. */
static inline size_t pgw_row_begin(ubuf_t *out, uint16_t ncols)
{
    size_t start = out->len;
    ubuf_reserve(out, 7);
    out->data[out->len++] = 'D';
    ubuf_put_u32be(out, 0); /* back-patched by pgw_row_end */
    ubuf_put_u16be(out, ncols);
    return start;
}

static inline void pgw_row_null(ubuf_t *out) { ubuf_put_u32be(out, 0xFFFFFFFFu); }

static inline void pgw_row_value(ubuf_t *out, const void *p, size_t n)
{
    ubuf_reserve(out, 4 + n);
    ubuf_put_u32be(out, (uint32_t)n);
    ubuf_append(out, p, n);
}

/* Returns the offset of the value's length field; append the encoded bytes, then call
 * pgw_row_value_end, which back-patches the length. */
static inline size_t pgw_row_value_begin(ubuf_t *out)
{
    size_t off = out->len;
    ubuf_put_u32be(out, 0);
    return off;
}

static inline void pgw_row_value_end(ubuf_t *out, size_t off)
{
    ubuf_patch_u32be(out, off, (uint32_t)(out->len - off - 4));
}

static inline void pgw_row_end(ubuf_t *out, size_t start)
{
    ubuf_patch_u32be(out, start + 1, (uint32_t)(out->len - start - 1));
}

/* CopyOutResponse / CopyInResponse / CopyData / CopyDone: for the COPY issue.
 * format: 0 text, 1 binary (overall); col_formats holds ncols per-column codes, or may be
 * NULL to send `format` for every column. */
void pgw_put_copy_out_response(ubuf_t *out, int8_t format, uint16_t ncols,
                               const int16_t *col_formats);
void pgw_put_copy_in_response(ubuf_t *out, int8_t format, uint16_t ncols,
                              const int16_t *col_formats);
void pgw_put_copy_data(ubuf_t *out, const void *p, size_t n);
void pgw_put_copy_done(ubuf_t *out);

#endif
