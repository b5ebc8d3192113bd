/* pgtypes: PostgreSQL's value formats, independent of DuckDB and of any socket.
 *
 * Pure functions that append PostgreSQL's text or binary representation of a C value to a
 * ubuf, and that decode the binary/text parameter formats clients send. The engine layer walks
 * DuckDB vectors and calls these on the hot path; unit tests check every function byte for
 * byte against what PostgreSQL 15 prints. No function here allocates except by growing the
 * caller's ubuf, and none keeps state. */
#ifndef DUCKD_TYPES_PGTYPES_H
#define DUCKD_TYPES_PGTYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

typedef __int128 pgt_i128;
typedef unsigned __int128 pgt_u128;

/* PostgreSQL type OIDs used by duckd (pg_type.oid in PostgreSQL 15). */
enum {
    PGT_BOOL = 16,
    PGT_BYTEA = 17,
    PGT_CHAR = 18,
    PGT_NAME = 19,
    PGT_INT8 = 20,
    PGT_INT2 = 21,
    PGT_INT4 = 23,
    PGT_TEXT = 25,
    PGT_OID = 26,
    PGT_JSON = 114,
    PGT_FLOAT4 = 700,
    PGT_FLOAT8 = 701,
    PGT_UNKNOWN = 705,
    PGT_BPCHAR = 1042,
    PGT_VARCHAR = 1043,
    PGT_DATE = 1082,
    PGT_TIME = 1083,
    PGT_TIMESTAMP = 1114,
    PGT_TIMESTAMPTZ = 1184,
    PGT_INTERVAL = 1186,
    PGT_TIMETZ = 1266,
    PGT_BIT = 1560,
    PGT_VARBIT = 1562,
    PGT_NUMERIC = 1700,
    PGT_UUID = 2950,
    PGT_JSONB = 3802,
    /* array types */
    PGT_BOOL_ARRAY = 1000,
    PGT_BYTEA_ARRAY = 1001,
    PGT_INT2_ARRAY = 1005,
    PGT_INT4_ARRAY = 1007,
    PGT_TEXT_ARRAY = 1009,
    PGT_VARCHAR_ARRAY = 1015,
    PGT_INT8_ARRAY = 1016,
    PGT_FLOAT4_ARRAY = 1021,
    PGT_FLOAT8_ARRAY = 1022,
    PGT_TIMESTAMP_ARRAY = 1115,
    PGT_DATE_ARRAY = 1182,
    PGT_TIME_ARRAY = 1183,
    PGT_TIMESTAMPTZ_ARRAY = 1185,
    PGT_INTERVAL_ARRAY = 1187,
    PGT_NUMERIC_ARRAY = 1231,
    PGT_TIMETZ_ARRAY = 1270,
    PGT_UUID_ARRAY = 2951,
    PGT_JSON_ARRAY = 199,
    PGT_JSONB_ARRAY = 3807,
    PGT_OID_ARRAY = 1028,
};

/* Static facts about one PostgreSQL type, as pg_type holds them. */
typedef struct pgt_info {
    uint32_t oid;
    const char *name;   /* pg_type.typname, e.g. "int4", "_int4" */
    int16_t typlen;     /* pg_type.typlen: fixed size in bytes, or -1 for varlena */
    uint32_t array_oid; /* the array type whose elements are this type, 0 if none */
    uint32_t elem_oid;  /* for an array type, its element type; 0 otherwise */
} pgt_info_t;

/* Returns the static description of `oid`, or NULL for a type duckd does not know. */
const pgt_info_t *pgt_info(uint32_t oid);
/* True for the array types of the table above; a switch, for the per-value paths (every Bind
 * parameter and COPY field asks). */
static inline bool pgt_is_array(uint32_t oid)
{
    switch (oid) {
    case PGT_BOOL_ARRAY:
    case PGT_BYTEA_ARRAY:
    case PGT_INT2_ARRAY:
    case PGT_INT4_ARRAY:
    case PGT_TEXT_ARRAY:
    case PGT_VARCHAR_ARRAY:
    case PGT_INT8_ARRAY:
    case PGT_FLOAT4_ARRAY:
    case PGT_FLOAT8_ARRAY:
    case PGT_TIMESTAMP_ARRAY:
    case PGT_DATE_ARRAY:
    case PGT_TIME_ARRAY:
    case PGT_TIMESTAMPTZ_ARRAY:
    case PGT_INTERVAL_ARRAY:
    case PGT_NUMERIC_ARRAY:
    case PGT_TIMETZ_ARRAY:
    case PGT_UUID_ARRAY:
    case PGT_JSON_ARRAY:
    case PGT_JSONB_ARRAY:
    case PGT_OID_ARRAY: return true;
    default: return false;
    }
}

/* ---- Text output: exactly what PostgreSQL 15 prints with DateStyle=ISO, MDY,
 * IntervalStyle=postgres, extra_float_digits >= 1, bytea_output=hex. ---- */

void pgt_text_bool(ubuf_t *out, bool v); /* t / f */
void pgt_text_int64(ubuf_t *out, int64_t v);
void pgt_text_uint64(ubuf_t *out, uint64_t v);
void pgt_text_i128(ubuf_t *out, pgt_i128 v);
void pgt_text_u128(ubuf_t *out, pgt_u128 v);
/* Shortest text that round-trips (PostgreSQL's float4out/float8out): NaN, Infinity,
 * -Infinity, 1e+20, 1.5e-07, 0.1, -0. Scientific notation when the decimal exponent is < -4
 * or >= 15 (float8) / >= 6 (float4). */
void pgt_text_float4(ubuf_t *out, float v);
void pgt_text_float8(ubuf_t *out, double v);
/* A DECIMAL: unscaled integer and scale (0..38): prints exactly `scale` fractional digits. */
void pgt_text_decimal(ubuf_t *out, pgt_i128 unscaled, int scale);
/* bytea hex format: \x followed by two lowercase hex digits per byte. */
void pgt_text_bytea(ubuf_t *out, const uint8_t *p, size_t n);
/* Days since 1970-01-01 (DuckDB's date_t). INT32_MAX prints "infinity", -INT32_MAX and
 * INT32_MIN print "-infinity". Years before 1 print with the " BC" suffix like PostgreSQL. */
void pgt_text_date(ubuf_t *out, int32_t days);
/* Microseconds since midnight: HH:MM:SS[.ffffff] with trailing zeros of the fraction trimmed. */
void pgt_text_time(ubuf_t *out, int64_t micros);
/* A time with a UTC offset in seconds east of Greenwich: 12:00:00+05:30, 12:00:00-08. */
void pgt_text_timetz(ubuf_t *out, int64_t micros, int32_t offset_seconds);
/* Microseconds since 1970-01-01 00:00:00. INT64_MAX / -INT64_MAX print infinity/-infinity. */
void pgt_text_timestamp(ubuf_t *out, int64_t micros);
/* An instant (microseconds since the epoch, UTC) shown in a zone `offset_seconds` east of UTC:
 * 2024-01-02 03:04:05.5+00, ...+05:30. */
void pgt_text_timestamptz(ubuf_t *out, int64_t micros, int32_t offset_seconds);
/* Nanosecond variants (DuckDB's TIMESTAMP_NS / TIME_NS, sent as text): the same layout with
 * up to nine fraction digits, trailing zeros trimmed. INT64_MAX / -INT64_MAX timestamps print
 * infinity/-infinity. */
void pgt_text_timestamp_ns(ubuf_t *out, int64_t nanos);
void pgt_text_time_ns(ubuf_t *out, int64_t nanos);
/* IntervalStyle=postgres: "1 year 2 mons 3 days 04:05:06.789", "-1 days +02:00:00", "00:00:00". */
void pgt_text_interval(ubuf_t *out, int32_t months, int32_t days, int64_t micros);
/* 16 bytes in network order -> 8-4-4-4-12 lowercase hex. */
void pgt_text_uuid(ubuf_t *out, const uint8_t bytes[16]);
/* Appends one array element's text as array_out writes it: quoted with "..." and backslash
 * escapes when it is empty, equals NULL (any case), or contains { } , " \ or white space. */
void pgt_text_array_elem(ubuf_t *out, const char *s, size_t n);
/* Appends s as a JSON string literal (with quotes, escaping per RFC 8259). */
void pgt_json_string(ubuf_t *out, const char *s, size_t n);

/* ---- Binary output (the bytes of one value, without the int32 length prefix). ---- */

void pgt_bin_bool(ubuf_t *out, bool v);
void pgt_bin_int2(ubuf_t *out, int16_t v);
void pgt_bin_int4(ubuf_t *out, int32_t v);
void pgt_bin_int8(ubuf_t *out, int64_t v);
void pgt_bin_float4(ubuf_t *out, float v);
void pgt_bin_float8(ubuf_t *out, double v);
/* numeric_send: ndigits, weight, sign, dscale, base-10000 digits. */
void pgt_bin_decimal(ubuf_t *out, pgt_i128 unscaled, int scale);
/* numeric_send of an integer given as decimal digits (most significant first, at least one,
 * no sign): DuckDB's BIGNUM. Returns false when it has more digits than numeric's binary
 * form can carry (131072); nothing is written then. */
bool pgt_bin_numeric_digits(ubuf_t *out, bool neg, const char *digits, size_t n);
/* Same for a 128-bit unsigned integer (UHUGEINT / UBIGINT widened). */
void pgt_bin_u128(ubuf_t *out, pgt_u128 v);
void pgt_bin_date(ubuf_t *out, int32_t days_since_1970); /* int32 days since 2000-01-01 */
void pgt_bin_time(ubuf_t *out, int64_t micros);          /* int64 microseconds */
void pgt_bin_timetz(ubuf_t *out, int64_t micros, int32_t offset_seconds); /* + int32 zone west */
void pgt_bin_timestamp(ubuf_t *out, int64_t micros_since_1970);           /* int64 us since 2000 */
void pgt_bin_interval(ubuf_t *out, int32_t months, int32_t days, int64_t micros);
void pgt_bin_uuid(ubuf_t *out, const uint8_t bytes[16]);
/* varbit_send: int32 bit count, then the bits left-aligned, the last byte zero-padded. */
void pgt_bin_varbit(ubuf_t *out, const char *bits, size_t nbits); /* bits: '0'/'1' chars */

/* ---- COPY data (server -> client) ---- */

/* One field of COPY's text format: backslash, the delimiter and \b \f \n \r \t \v are
 * escaped with a backslash, as PostgreSQL's COPY TO writes them. */
void pgt_copy_text_field(ubuf_t *out, const char *v, size_t n, char delim);
/* One field of COPY's CSV format: quoted (with quote and escape characters escaped inside)
 * when it contains the delimiter, the quote character, CR or LF, when it equals null_str
 * (so that it reads back as a value, not NULL) or, in a one-column row (single_column), is
 * exactly "\." (the end-of-data marker); else written as it is. */
void pgt_copy_csv_field(ubuf_t *out, const char *v, size_t n, char delim, char quote, char escape,
                        const char *null_str, bool single_column);

/* ---- Parameter input (client -> server). Each returns false on malformed input, leaving an
 * explanation (a static string) in *why when why is not NULL. ---- */

/* Binary int2/int4/int8 of length n (2, 4 or 8) into *v. */
bool pgt_parse_bin_int(const uint8_t *p, size_t n, int64_t *v, const char **why);
bool pgt_parse_bin_float(const uint8_t *p, size_t n, double *v, const char **why); /* n = 4|8 */
bool pgt_parse_bin_bool(const uint8_t *p, size_t n, bool *v, const char **why);
/* Binary numeric -> its decimal text ("-12.340", "NaN", "Infinity"), appended to out. */
bool pgt_parse_bin_numeric(const uint8_t *p, size_t n, ubuf_t *out, const char **why);
bool pgt_parse_bin_date(const uint8_t *p, size_t n, int32_t *days_since_1970, const char **why);
bool pgt_parse_bin_time(const uint8_t *p, size_t n, int64_t *micros, const char **why);
bool pgt_parse_bin_timestamp(const uint8_t *p, size_t n, int64_t *micros_since_1970,
                             const char **why);
bool pgt_parse_bin_interval(const uint8_t *p, size_t n, int32_t *months, int32_t *days,
                            int64_t *micros, const char **why);
bool pgt_parse_bin_uuid(const uint8_t *p, size_t n, uint8_t out[16], const char **why);
/* PostgreSQL array text ({1,2,NULL}, {"a b",{x}}) -> the list syntax DuckDB casts from a
 * VARCHAR value ([1,2,NULL], ["a b",[x]]): braces outside quotes become brackets; element
 * quoting and backslash escapes are the same in both. */
bool pgt_array_text_to_list(const char *s, size_t n, ubuf_t *out, const char **why);
/* Binary one-dimensional array (array_send) -> DuckDB list text ([1,2,NULL]) for binding as
 * VARCHAR; elements of int2/4/8, oid, float4/8, bool, numeric, date, timestamp(tz), uuid and
 * text-like types. */
bool pgt_bin_array_to_list(const uint8_t *p, size_t n, ubuf_t *out, const char **why);
/* Fast-path text parameter parsers: they accept only the plain forms (optional surrounding
 * ASCII whitespace, optional sign, digits) and return false for anything else, so that the
 * caller can hand unusual input (exponents, underscores, "NaN", out-of-range values) to the
 * engine's own cast and its error message. */
/* Decimal integer in [INT64_MIN, INT64_MAX]. */
bool pgt_parse_text_int(const char *s, size_t n, int64_t *v);
/* Unsigned decimal integer (an optional '+', no '-'). */
bool pgt_parse_text_uint(const char *s, size_t n, uint64_t *v);
/* "[-+]digits[.digits]" for DECIMAL(width, scale), width <= 18: returns 1 with *unscaled =
 * value * 10^scale; -1 when the number is plain but has more than width - scale integer
 * digits (PostgreSQL's "numeric field overflow"); 0 for anything else, including more than
 * `scale` fractional digits (rounding is left to the engine's cast). */
int pgt_parse_text_decimal(const char *s, size_t n, int width, int scale, int64_t *unscaled);
/* "[-+]digits[.digits][e[-+]digits]", finite and in range. */
bool pgt_parse_text_double(const char *s, size_t n, double *v);
bool pgt_parse_text_float(const char *s, size_t n, float *v);
/* A plain ISO date "YYYY-MM-DD" (four-digit year 0001-9999, a real calendar day) -> days
 * since 1970-01-01. Anything else (BC, "infinity", other DateStyles, spaces) returns false so
 * that the engine's own cast decides. */
bool pgt_parse_text_date(const char *s, size_t n, int32_t *days_since_1970);
/* t/f/true/false/1/0 (case-insensitive). */
bool pgt_parse_text_bool(const char *s, size_t n, bool *v);
/* bytea text input (hex "\x0a0b" or the escape format) -> raw bytes appended to out. */
bool pgt_parse_text_bytea(const char *s, size_t n, ubuf_t *out, const char **why);
/* The value of one hexadecimal digit, or -1. */
int pgt_hex_digit(char c);

#endif
