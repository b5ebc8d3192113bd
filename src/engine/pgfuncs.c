/* PostgreSQL functions DuckDB lacks, registered as DuckDB scalar functions on every database
 * (engine/sandbox.c's set-up): jsonb's containment, key tests, deletion, concatenation,
 * jsonb_set and jsonb_strip_nulls (over jansson), initcap, justify_days / justify_hours /
 * justify_interval, clock_timestamp, numeric to_char (types/pgnumfmt.c; any number type, the
 * value's own DuckDB type chosen at run time), duckd_to_number (to_number's text, which the
 * dialect layer casts to a DECIMAL of the template's scale) and hashtext (PostgreSQL's hash of
 * text, for pg_advisory_lock(hashtext('...'))). The dialect layer (session/compat_rewrite.c)
 * maps PostgreSQL's operators to the duckd_jsonb_* functions; the others keep PostgreSQL's
 * names. All are strict (a NULL argument gives NULL), as in PostgreSQL. */
#include <ctype.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/engine_internal.h"
#include "types/pgnumfmt.h"
#include "util/buf.h"
#include "util/xalloc.h"

#define PGF_MAX_INPUT (64u << 20) /* larger JSON documents are refused */
#define PGF_USECS_PER_DAY INT64_C(86400000000)

typedef enum { PGF_STR, PGF_JSON, PGF_BOOL, PGF_INTERVAL, PGF_TSTZ, PGF_INT } pgf_ret_t;

/* One row's result; the callback sets the member of its return kind. */
typedef struct pgf_out {
    ubuf_t s;
    bool b;
    duckdb_interval iv;
    int64_t ts;
    int32_t i;
    bool null;
    char err[300];
    bool typed;         /* to_char: the argument's type was looked up (once per chunk) */
    duckdb_type type;   /* its type id */
    duckdb_type dec_in; /* DECIMAL: the internal integer type */
    uint8_t dec_scale;  /* DECIMAL: the scale */
} pgf_out_t;

typedef bool (*pgf_row_fn)(duckdb_data_chunk in, idx_t row, pgf_out_t *o);

typedef struct pgf_def {
    const char *name;
    pgf_row_fn fn;
    pgf_ret_t ret;
    duckdb_type args[4]; /* DUCKDB_TYPE_INVALID ends; DUCKDB_TYPE_LIST: VARCHAR[] */
    bool is_volatile;
} pgf_def_t;

/* ---- argument access ---- */

static bool pgf_valid(duckdb_vector v, idx_t row)
{
    uint64_t *valid = duckdb_vector_get_validity(v);
    return !valid || duckdb_validity_row_is_valid(valid, row);
}

static void pgf_str(duckdb_data_chunk in, idx_t col, idx_t row, const char **p, size_t *n)
{
    duckdb_string_t *d =
        (duckdb_string_t *)duckdb_vector_get_data(duckdb_data_chunk_get_vector(in, col));
    *p = duckdb_string_t_data(&d[row]);
    *n = duckdb_string_t_length(d[row]);
}

/* Parses a JSON argument; false (o->err set) when it is not JSON. */
static json_t *pgf_json(duckdb_data_chunk in, idx_t col, idx_t row, pgf_out_t *o)
{
    const char *p;
    size_t n;
    json_error_t e;
    json_t *j = NULL;
    pgf_str(in, col, row, &p, &n);
    if (n <= PGF_MAX_INPUT)
        j = json_loadb(p, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
    if (!j)
        snprintf(o->err, sizeof o->err, "invalid input syntax for type json: %.100s",
                 n > PGF_MAX_INPUT ? "document too large" : e.text);
    return j;
}

/* ---- JSON text ---- */

static void pgf_put_string(ubuf_t *b, const char *p, size_t n)
{
    ubuf_putc(b, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        switch (c) {
        case '"': ubuf_puts(b, "\\\""); break;
        case '\\': ubuf_puts(b, "\\\\"); break;
        case '\n': ubuf_puts(b, "\\n"); break;
        case '\r': ubuf_puts(b, "\\r"); break;
        case '\t': ubuf_puts(b, "\\t"); break;
        case '\b': ubuf_puts(b, "\\b"); break;
        case '\f': ubuf_puts(b, "\\f"); break;
        default:
            if (c < 0x20)
                ubuf_printf(b, "\\u%04x", c);
            else
                ubuf_putc(b, (char)c);
        }
    }
    ubuf_putc(b, '"');
}

/* Compact JSON text, as DuckDB prints its JSON values; reals in their shortest form. */
static void pgf_dump(ubuf_t *b, const json_t *j)
{
    switch (json_typeof(j)) {
    case JSON_OBJECT: {
        const char *k;
        json_t *v;
        bool first = true;
        ubuf_putc(b, '{');
        json_object_foreach((json_t *)j, k, v)
        {
            if (!first)
                ubuf_putc(b, ',');
            first = false;
            pgf_put_string(b, k, strlen(k));
            ubuf_putc(b, ':');
            pgf_dump(b, v);
        }
        ubuf_putc(b, '}');
        break;
    }
    case JSON_ARRAY:
        ubuf_putc(b, '[');
        for (size_t i = 0; i < json_array_size(j); i++) {
            if (i)
                ubuf_putc(b, ',');
            pgf_dump(b, json_array_get(j, i));
        }
        ubuf_putc(b, ']');
        break;
    case JSON_STRING: pgf_put_string(b, json_string_value(j), json_string_length(j)); break;
    case JSON_INTEGER: ubuf_printf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(j)); break;
    case JSON_REAL: {
        char tmp[40];
        double d = json_real_value(j);
        snprintf(tmp, sizeof tmp, "%.15g", d);
        if (strtod(tmp, NULL) != d)
            snprintf(tmp, sizeof tmp, "%.17g", d);
        ubuf_puts(b, tmp);
        break;
    }
    case JSON_TRUE: ubuf_puts(b, "true"); break;
    case JSON_FALSE: ubuf_puts(b, "false"); break;
    case JSON_NULL: ubuf_puts(b, "null"); break;
    }
}

static bool pgf_scalar_equal(const json_t *a, const json_t *b)
{
    if (json_is_number(a) && json_is_number(b)) {
        if (json_is_integer(a) && json_is_integer(b))
            return json_integer_value(a) == json_integer_value(b);
        return json_number_value(a) == json_number_value(b);
    }
    if (json_typeof(a) != json_typeof(b))
        return false;
    if (json_is_string(a))
        return json_string_length(a) == json_string_length(b) &&
               memcmp(json_string_value(a), json_string_value(b), json_string_length(a)) == 0;
    return true; /* true, false, null */
}

/* jsonb's @>: whether a contains b (PostgreSQL's JsonbDeepContains; at the top level an
 * array also contains a scalar that is one of its elements). */
static bool pgf_contains(const json_t *a, const json_t *b, bool top)
{
    if (json_is_object(b)) {
        const char *k;
        json_t *v;
        if (!json_is_object(a))
            return false;
        json_object_foreach((json_t *)b, k, v)
        {
            const json_t *av = json_object_get(a, k);
            if (!av || !pgf_contains(av, v, false))
                return false;
        }
        return true;
    }
    if (json_is_array(b)) {
        if (!json_is_array(a))
            return false;
        for (size_t i = 0; i < json_array_size(b); i++) {
            const json_t *bv = json_array_get(b, i);
            bool found = false;
            for (size_t k = 0; k < json_array_size(a) && !found; k++) {
                const json_t *av = json_array_get(a, k);
                if (json_is_object(bv) || json_is_array(bv))
                    found = json_typeof(av) == json_typeof(bv) && pgf_contains(av, bv, false);
                else
                    found = pgf_scalar_equal(av, bv);
            }
            if (!found)
                return false;
        }
        return true;
    }
    if (json_is_array(a) && top) {
        for (size_t k = 0; k < json_array_size(a); k++)
            if (pgf_scalar_equal(json_array_get(a, k), b))
                return true;
        return false;
    }
    return !json_is_object(a) && !json_is_array(a) && pgf_scalar_equal(a, b);
}

static bool pgf_string_is(const json_t *j, const char *p, size_t n)
{
    return json_is_string(j) && json_string_length(j) == n &&
           memcmp(json_string_value(j), p, n) == 0;
}

/* jsonb's ?: an object's key, a string element of an array, or the string itself. */
static bool pgf_exists(const json_t *j, const char *p, size_t n)
{
    if (json_is_object(j)) {
        char *k = xstrndup(p, n);
        bool yes = strlen(k) == n && json_object_get(j, k) != NULL;
        free(k);
        return yes;
    }
    if (json_is_array(j)) {
        for (size_t i = 0; i < json_array_size(j); i++)
            if (pgf_string_is(json_array_get(j, i), p, n))
                return true;
        return false;
    }
    return pgf_string_is(j, p, n);
}

/* The VARCHAR[] argument at col: its child vector and the row's entry. */
static duckdb_vector pgf_list(duckdb_data_chunk in, idx_t col, idx_t row, duckdb_list_entry *e)
{
    duckdb_vector v = duckdb_data_chunk_get_vector(in, col);
    *e = ((duckdb_list_entry *)duckdb_vector_get_data(v))[row];
    return duckdb_list_vector_get_child(v);
}

static bool pgf_child_str(duckdb_vector child, idx_t i, const char **p, size_t *n)
{
    duckdb_string_t *d = (duckdb_string_t *)duckdb_vector_get_data(child);
    if (!pgf_valid(child, i))
        return false;
    *p = duckdb_string_t_data(&d[i]);
    *n = duckdb_string_t_length(d[i]);
    return true;
}

static bool pgf_row_contains(duckdb_data_chunk in, idx_t row, pgf_out_t *o)
{
    json_t *a = pgf_json(in, 0, row, o), *b = a ? pgf_json(in, 1, row, o) : NULL;
    if (b)
        o->b = pgf_contains(a, b, true);
    json_decref(a);
    json_decref(b);
    return b != NULL;
}

static bool pgf_row_exists(duckdb_data_chunk in, idx_t row, pgf_out_t *o)
{
    json_t *a = pgf_json(in, 0, row, o);
    const char *p;
    size_t n;
    if (!a)
        return false;
    pgf_str(in, 1, row, &p, &n);
    o->b = pgf_exists(a, p, n);
    json_decref(a);
    return true;
}

static bool pgf_row_exists_list(duckdb_data_chunk in, idx_t row, pgf_out_t *o, bool all)
{
    json_t *a = pgf_json(in, 0, row, o);
    duckdb_list_entry e;
    duckdb_vector child = pgf_list(in, 1, row, &e);
    if (!a)
        return false;
    o->b = all;
    for (idx_t i = e.offset; i < e.offset + e.length; i++) {
        const char *p;
        size_t n;
        bool has = pgf_child_str(child, i, &p, &n) && pgf_exists(a, p, n);
        if (has != all) {
            o->b = !all;
            break;
        }
    }
    json_decref(a);
    return true;
}

static bool pgf_row_exists_any(duckdb_data_chunk in, idx_t row, pgf_out_t *o)
{
    return pgf_row_exists_list(in, row, o, false);
}

static bool pgf_row_exists_all(duckdb_data_chunk in, idx_t row, pgf_out_t *o)
{
    return pgf_row_exists_list(in, row, o, true);
}

/* Removes key p[0..n) from an object, or the string elements equal to it from an array. */
static bool pgf_delete_key(json_t *a, const char *p, size_t n, pgf_out_t *o)
{
    if (json_is_object(a)) {
        char *k = xstrndup(p, n);
        if (strlen(k) == n)
            json_object_del(a, k);
        free(k);
        return true;
    }
    if (json_is_array(a)) {
        for (size_t i = json_array_size(a); i-- > 0;)
            if (pgf_string_is(json_array_get(a, i), p, n))
                json_array_remove(a, i);
        return true;
    }
    snprintf(o->err, sizeof o->err, "cannot delete from scalar");
    return false;
}

static bool pgf_finish_json(json_t *a, bool ok, pgf_out_t *o)
{
    if (ok)
        pgf_dump(&o->s, a);
    json_decref(a);
    return ok;
}

static bool pgf_row_delete_key(duckdb_data_chunk in, idx_t row, pgf_out_t *o)
{
    json_t *a = pgf_json(in, 0, row, o);
    const char *p;
    size_t n;
    if (!a)
        return false;
    pgf_str(in, 1, row, &p, &n);
    return pgf_finish_json(a, pgf_delete_key(a, p, n, o), o);
}

static bool pgf_row_delete_keys(duckdb_data_chunk in, idx_t row, pgf_out_t *o)
{
    json_t *a = pgf_json(in, 0, row, o);
    duckdb_list_entry e;
    duckdb_vector child = pgf_list(in, 1, row, &e);
    bool ok = a != NULL;
    for (idx_t i = e.offset; ok && i < e.offset + e.length; i++) {
        const char *p;
        size_t n;
        if (pgf_child_str(child, i, &p, &n))
            ok = pgf_delete_key(a, p, n, o);
    }
    return a ? pgf_finish_json(a, ok, o) : false;
}

static bool pgf_row_delete_index(duckdb_data_chunk in, idx_t row, pgf_out_t *o)
{
    json_t *a = pgf_json(in, 0, row, o);
    int64_t idx = ((int64_t *)duckdb_vector_get_data(duckdb_data_chunk_get_vector(in, 1)))[row];
    bool ok = false;
    if (!a)
        return false;
    if (json_is_array(a)) {
        int64_t len = (int64_t)json_array_size(a);
        if (idx < 0)
            idx += len;
        if (idx >= 0 && idx < len)
            json_array_remove(a, (size_t)idx);
        ok = true;
    } else {
        snprintf(o->err, sizeof o->err, "%s",
                 json_is_object(a) ? "cannot delete from object using integer index"
                                   : "cannot delete from scalar");
    }
    return pgf_finish_json(a, ok, o);
}

/* jsonb's ||: objects merge (the right one's keys win), arrays concatenate, and anything
 * else is concatenated as a one-element array. */
static bool pgf_row_concat(duckdb_data_chunk in, idx_t row, pgf_out_t *o)
{
    json_t *a = pgf_json(in, 0, row, o), *b = a ? pgf_json(in, 1, row, o) : NULL, *r = NULL;
    if (!b) {
        json_decref(a);
        return false;
    }
    if (json_is_object(a) && json_is_object(b)) {
        json_object_update(a, b);
        r = json_incref(a);
    } else {
        r = json_is_array(a) ? json_incref(a) : json_pack("[O]", a);
        if (json_is_array(b))
            json_array_extend(r, b);
        else
            json_array_append(r, b);
    }
    json_decref(a);
    json_decref(b);
    return pgf_finish_json(r, true, o);
}

/* jsonb_set's walk: sets path[i..] of j to v (PostgreSQL's setPath without jsonb_insert's
 * modes). Missing intermediate steps leave j unchanged. */
static bool pgf_set_path(json_t *j, duckdb_vector child, idx_t first, idx_t i, idx_t end, json_t *v,
                         bool create, pgf_out_t *o)
{
    const char *p;
    size_t n;
    bool last = i + 1 == end;
    if (!pgf_child_str(child, i, &p, &n)) {
        snprintf(o->err, sizeof o->err, "path element at position %llu is null",
                 (unsigned long long)(i - first + 1));
        return false;
    }
    char *k = xstrndup(p, n);
    bool ok = true;
    if (json_is_object(j)) {
        json_t *cur = json_object_get(j, k);
        if (last && (cur || create))
            json_object_set(j, k, v);
        else if (!last && cur && (json_is_object(cur) || json_is_array(cur)))
            ok = pgf_set_path(cur, child, first, i + 1, end, v, create, o);
    } else if (json_is_array(j)) {
        char *e = NULL;
        long long idx = strtoll(k, &e, 10);
        long long len = (long long)json_array_size(j);
        if (!*k || *e || n > 18) {
            snprintf(o->err, sizeof o->err,
                     "path element at position %llu is not an integer: \"%.40s\"",
                     (unsigned long long)(i - first + 1), k);
            ok = false;
        } else {
            if (idx < 0)
                idx += len;
            if (idx >= 0 && idx < len) {
                if (last)
                    json_array_set(j, (size_t)idx, v);
                else
                    ok = pgf_set_path(json_array_get(j, (size_t)idx), child, first, i + 1, end, v,
                                      create, o);
            } else if (last && create) {
                if (idx < 0)
                    json_array_insert(j, 0, v);
                else
                    json_array_append(j, v);
            }
        }
    }
    free(k);
    return ok;
}

static bool pgf_row_set(duckdb_data_chunk in, idx_t row, pgf_out_t *o)
{
    json_t *a = pgf_json(in, 0, row, o), *v = a ? pgf_json(in, 2, row, o) : NULL;
    duckdb_list_entry e;
    duckdb_vector child = pgf_list(in, 1, row, &e);
    bool create = true, ok = v != NULL;
    if (duckdb_data_chunk_get_column_count(in) > 3)
        create = ((bool *)duckdb_vector_get_data(duckdb_data_chunk_get_vector(in, 3)))[row];
    if (ok && !json_is_object(a) && !json_is_array(a)) {
        snprintf(o->err, sizeof o->err, "cannot set path in scalar");
        ok = false;
    } else if (ok && e.length > 0) {
        ok = pgf_set_path(a, child, e.offset, e.offset, e.offset + e.length, v, create, o);
    }
    json_decref(v);
    return a ? pgf_finish_json(a, ok, o) : false;
}

static void pgf_strip(json_t *j)
{
    if (json_is_object(j)) {
        const char *k;
        json_t *v;
        void *tmp;
        json_object_foreach_safe(j, tmp, k, v)
        {
            if (json_is_null(v))
                json_object_del(j, k);
            else
                pgf_strip(v);
        }
    } else if (json_is_array(j)) {
        for (size_t i = 0; i < json_array_size(j); i++)
            pgf_strip(json_array_get(j, i));
    }
}

static bool pgf_row_strip_nulls(duckdb_data_chunk in, idx_t row, pgf_out_t *o)
{
    json_t *a = pgf_json(in, 0, row, o);
    if (!a)
        return false;
    pgf_strip(a);
    return pgf_finish_json(a, true, o);
}

/* ---- text ---- */

/* initcap: the first letter of each word upper case, the others lower case; words are runs
 * of letters and digits (bytes of multi-byte UTF-8 characters count as letters, unchanged). */
static bool pgf_row_initcap(duckdb_data_chunk in, idx_t row, pgf_out_t *o)
{
    const char *p;
    size_t n;
    bool in_word = false;
    pgf_str(in, 0, row, &p, &n);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        bool alnum = c >= 0x80 || isalnum(c);
        if (c < 0x80)
            c = (unsigned char)(in_word ? tolower(c) : toupper(c));
        ubuf_putc(&o->s, (char)c);
        in_word = alnum;
    }
    return true;
}

/* ---- date/time ---- */

static duckdb_interval pgf_interval(duckdb_data_chunk in, idx_t row)
{
    return ((duckdb_interval *)duckdb_vector_get_data(duckdb_data_chunk_get_vector(in, 0)))[row];
}

/* justify_days: each 30 days become a month (PostgreSQL's interval_justify_days). */
static bool pgf_row_justify_days(duckdb_data_chunk in, idx_t row, pgf_out_t *o)
{
    duckdb_interval v = pgf_interval(in, row);
    int32_t whole = v.days / 30;
    v.days -= whole * 30;
    v.months += whole;
    if (v.months > 0 && v.days < 0) {
        v.days += 30;
        v.months--;
    } else if (v.months < 0 && v.days > 0) {
        v.days -= 30;
        v.months++;
    }
    o->iv = v;
    return true;
}

/* justify_hours: each 24 hours become a day (interval_justify_hours). */
static bool pgf_row_justify_hours(duckdb_data_chunk in, idx_t row, pgf_out_t *o)
{
    duckdb_interval v = pgf_interval(in, row);
    int64_t whole = v.micros / PGF_USECS_PER_DAY;
    v.micros -= whole * PGF_USECS_PER_DAY;
    v.days += (int32_t)whole;
    if (v.days > 0 && v.micros < 0) {
        v.micros += PGF_USECS_PER_DAY;
        v.days--;
    } else if (v.days < 0 && v.micros > 0) {
        v.micros -= PGF_USECS_PER_DAY;
        v.days++;
    }
    o->iv = v;
    return true;
}

/* justify_interval: both, with the signs made consistent (interval_justify_interval). */
static bool pgf_row_justify_interval(duckdb_data_chunk in, idx_t row, pgf_out_t *o)
{
    duckdb_interval v = pgf_interval(in, row);
    int32_t wm;
    int64_t wd;
    if ((v.days > 0 && v.micros > 0) || (v.days < 0 && v.micros < 0)) {
        wm = v.days / 30;
        v.days -= wm * 30;
        v.months += wm;
    }
    wd = v.micros / PGF_USECS_PER_DAY;
    v.micros -= wd * PGF_USECS_PER_DAY;
    v.days += (int32_t)wd;
    wm = v.days / 30;
    v.days -= wm * 30;
    v.months += wm;
    if (v.months > 0 && (v.days < 0 || (v.days == 0 && v.micros < 0))) {
        v.days += 30;
        v.months--;
    } else if (v.months < 0 && (v.days > 0 || (v.days == 0 && v.micros > 0))) {
        v.days -= 30;
        v.months++;
    }
    if (v.days > 0 && v.micros < 0) {
        v.micros += PGF_USECS_PER_DAY;
        v.days--;
    } else if (v.days < 0 && v.micros > 0) {
        v.micros -= PGF_USECS_PER_DAY;
        v.days++;
    }
    o->iv = v;
    return true;
}

/* clock_timestamp(): the current time, read at each call (now() is the transaction's start). */
static bool pgf_row_clock(duckdb_data_chunk in, idx_t row, pgf_out_t *o)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    o->ts = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
    return true;
}

/* ---- numeric to_char / to_number ---- */

static bool pgf_numfmt_fail(pgf_out_t *o, const pgnf_err_t *e)
{
    snprintf(o->err, sizeof o->err, ENG__SQLSTATE_MARK "%.5s] %s", e->sqlstate, e->message);
    return false;
}

/* v / 10^scale as decimal text; v is the magnitude, neg its sign */
static void pgf_decimal_text(unsigned __int128 v, bool neg, unsigned scale, char *buf, size_t cap)
{
    char rev[48];
    size_t n = 0, o = 0;
    do {
        rev[n++] = (char)('0' + (int)(v % 10));
        v /= 10;
    } while (v && n < sizeof rev);
    while (n <= scale && n < sizeof rev) /* at least one digit before the point */
        rev[n++] = '0';
    if (neg && o + 1 < cap)
        buf[o++] = '-';
    for (size_t i = n; i-- > 0 && o + 2 < cap;) {
        buf[o++] = rev[i];
        if (i == scale && scale > 0)
            buf[o++] = '.';
    }
    buf[o] = '\0';
}

static bool pgf_row_to_char(duckdb_data_chunk in, idx_t row, pgf_out_t *o)
{
    duckdb_vector v = duckdb_data_chunk_get_vector(in, 0);
    void *d = duckdb_vector_get_data(v);
    const char *t;
    size_t tn;
    char num[64];
    pgnf_err_t e;
    bool ok;
    if (!o->typed) {
        duckdb_logical_type lt = duckdb_vector_get_column_type(v);
        o->type = duckdb_get_type_id(lt);
        if (o->type == DUCKDB_TYPE_DECIMAL) {
            o->dec_in = duckdb_decimal_internal_type(lt);
            o->dec_scale = duckdb_decimal_scale(lt);
        }
        duckdb_destroy_logical_type(&lt);
        o->typed = true;
    }
    pgf_str(in, 1, row, &t, &tn);
    memset(&e, 0, sizeof e);
    switch (o->type) {
    case DUCKDB_TYPE_TINYINT: ok = pgnf_to_char_int4(((int8_t *)d)[row], t, tn, &o->s, &e); break;
    case DUCKDB_TYPE_SMALLINT: ok = pgnf_to_char_int4(((int16_t *)d)[row], t, tn, &o->s, &e); break;
    case DUCKDB_TYPE_INTEGER: ok = pgnf_to_char_int4(((int32_t *)d)[row], t, tn, &o->s, &e); break;
    case DUCKDB_TYPE_UTINYINT: ok = pgnf_to_char_int4(((uint8_t *)d)[row], t, tn, &o->s, &e); break;
    case DUCKDB_TYPE_USMALLINT:
        ok = pgnf_to_char_int4(((uint16_t *)d)[row], t, tn, &o->s, &e);
        break;
    case DUCKDB_TYPE_UINTEGER:
        ok = pgnf_to_char_int64(((uint32_t *)d)[row], t, tn, &o->s, &e);
        break;
    case DUCKDB_TYPE_BIGINT: ok = pgnf_to_char_int64(((int64_t *)d)[row], t, tn, &o->s, &e); break;
    case DUCKDB_TYPE_UBIGINT:
        pgf_decimal_text(((uint64_t *)d)[row], false, 0, num, sizeof num);
        ok = pgnf_to_char_decimal(num, strlen(num), t, tn, &o->s, &e);
        break;
    case DUCKDB_TYPE_HUGEINT:
    case DUCKDB_TYPE_UHUGEINT:
    case DUCKDB_TYPE_DECIMAL: {
        duckdb_type it = o->type == DUCKDB_TYPE_DECIMAL ? o->dec_in : o->type;
        unsigned scale = o->type == DUCKDB_TYPE_DECIMAL ? o->dec_scale : 0;
        __int128 sv = 0;
        unsigned __int128 mag;
        bool neg;
        if (it == DUCKDB_TYPE_UHUGEINT) {
            duckdb_uhugeint u = ((duckdb_uhugeint *)d)[row];
            mag = ((unsigned __int128)u.upper << 64) | u.lower;
            neg = false;
        } else {
            if (it == DUCKDB_TYPE_SMALLINT)
                sv = ((int16_t *)d)[row];
            else if (it == DUCKDB_TYPE_INTEGER)
                sv = ((int32_t *)d)[row];
            else if (it == DUCKDB_TYPE_BIGINT)
                sv = ((int64_t *)d)[row];
            else {
                duckdb_hugeint h = ((duckdb_hugeint *)d)[row];
                sv = (__int128)(((unsigned __int128)(uint64_t)h.upper << 64) | h.lower);
            }
            neg = sv < 0;
            mag = neg ? (unsigned __int128)0 - (unsigned __int128)sv : (unsigned __int128)sv;
        }
        pgf_decimal_text(mag, neg, scale, num, sizeof num);
        ok = pgnf_to_char_decimal(num, strlen(num), t, tn, &o->s, &e);
        break;
    }
    case DUCKDB_TYPE_FLOAT: ok = pgnf_to_char_float4(((float *)d)[row], t, tn, &o->s, &e); break;
    case DUCKDB_TYPE_DOUBLE: ok = pgnf_to_char_float8(((double *)d)[row], t, tn, &o->s, &e); break;
    case DUCKDB_TYPE_DATE:
    case DUCKDB_TYPE_TIME:
    case DUCKDB_TYPE_TIMESTAMP:
    case DUCKDB_TYPE_TIMESTAMP_TZ:
    case DUCKDB_TYPE_TIMESTAMP_S:
    case DUCKDB_TYPE_TIMESTAMP_MS:
    case DUCKDB_TYPE_TIMESTAMP_NS:
    case DUCKDB_TYPE_INTERVAL:
        snprintf(o->err, sizeof o->err,
                 ENG__SQLSTATE_MARK "0A000] to_char() of a date/time value is supported by "
                                    "duckd for a template given as a literal only");
        return false;
    default:
        snprintf(o->err, sizeof o->err,
                 ENG__SQLSTATE_MARK "42883] function to_char(%s, text) does not exist: duckd's "
                                    "to_char takes a number or a date/time value",
                 o->type == DUCKDB_TYPE_VARCHAR ? "text" : "this type");
        return false;
    }
    return ok || pgf_numfmt_fail(o, &e);
}

static bool pgf_row_to_number(duckdb_data_chunk in, idx_t row, pgf_out_t *o)
{
    const char *s, *t;
    size_t sn, tn;
    pgnf_err_t e;
    pgf_str(in, 0, row, &s, &sn);
    pgf_str(in, 1, row, &t, &tn);
    memset(&e, 0, sizeof e);
    return pgnf_to_number(s, sn, t, tn, &o->s, &e) || pgf_numfmt_fail(o, &e);
}

/* hashtext(text): PostgreSQL's hash_bytes (Bob Jenkins' lookup3 hashlittle, as
 * src/common/hashfn.c has it) of the string's bytes, as int4: the same values as
 * PostgreSQL, so keys derived from it (pg_advisory_lock(hashtext('name'))) agree. */
#define PGF_ROT(x, k) (((x) << (k)) | ((x) >> (32 - (k))))
static bool pgf_row_hashtext(duckdb_data_chunk in, idx_t row, pgf_out_t *o)
{
    const char *p;
    size_t n;
    pgf_str(in, 0, row, &p, &n);
    const unsigned char *k = (const unsigned char *)p;
    uint32_t len = (uint32_t)n, a, b, c;
    a = b = c = 0x9e3779b9u + len + 3923095u;
    while (len >= 12) {
        a += k[0] + ((uint32_t)k[1] << 8) + ((uint32_t)k[2] << 16) + ((uint32_t)k[3] << 24);
        b += k[4] + ((uint32_t)k[5] << 8) + ((uint32_t)k[6] << 16) + ((uint32_t)k[7] << 24);
        c += k[8] + ((uint32_t)k[9] << 8) + ((uint32_t)k[10] << 16) + ((uint32_t)k[11] << 24);
        a -= c, a ^= PGF_ROT(c, 4), c += b;
        b -= a, b ^= PGF_ROT(a, 6), a += c;
        c -= b, c ^= PGF_ROT(b, 8), b += a;
        a -= c, a ^= PGF_ROT(c, 16), c += b;
        b -= a, b ^= PGF_ROT(a, 19), a += c;
        c -= b, c ^= PGF_ROT(b, 4), b += a;
        k += 12;
        len -= 12;
    }
    /* the last bytes; the lowest byte of c is left for the length */
    for (uint32_t i = len; i-- > 0;) {
        uint32_t v = (uint32_t)k[i] << (8 * (i % 4));
        if (i >= 8)
            c += v << 8;
        else if (i >= 4)
            b += v;
        else
            a += v;
    }
    c ^= b, c -= PGF_ROT(b, 14);
    a ^= c, a -= PGF_ROT(c, 11);
    b ^= a, b -= PGF_ROT(a, 25);
    c ^= b, c -= PGF_ROT(b, 16);
    a ^= c, a -= PGF_ROT(c, 4);
    b ^= a, b -= PGF_ROT(a, 14);
    c ^= b, c -= PGF_ROT(b, 24);
    o->i = (int32_t)c;
    return true;
}
#undef PGF_ROT

/* ---- registration ---- */

#define V DUCKDB_TYPE_VARCHAR
#define L DUCKDB_TYPE_LIST
static const pgf_def_t pgf_defs[] = {
    {"duckd_jsonb_contains", pgf_row_contains, PGF_BOOL, {V, V}, false},
    {"duckd_jsonb_exists", pgf_row_exists, PGF_BOOL, {V, V}, false},
    {"duckd_jsonb_exists_any", pgf_row_exists_any, PGF_BOOL, {V, L}, false},
    {"duckd_jsonb_exists_all", pgf_row_exists_all, PGF_BOOL, {V, L}, false},
    {"duckd_jsonb_delete", pgf_row_delete_key, PGF_JSON, {V, V}, false},
    {"duckd_jsonb_delete", pgf_row_delete_keys, PGF_JSON, {V, L}, false},
    {"duckd_jsonb_delete", pgf_row_delete_index, PGF_JSON, {V, DUCKDB_TYPE_BIGINT}, false},
    {"duckd_jsonb_concat", pgf_row_concat, PGF_JSON, {V, V}, false},
    {"jsonb_set", pgf_row_set, PGF_JSON, {V, L, V}, false},
    {"jsonb_set", pgf_row_set, PGF_JSON, {V, L, V, DUCKDB_TYPE_BOOLEAN}, false},
    {"json_set", pgf_row_set, PGF_JSON, {V, L, V}, false},
    {"jsonb_strip_nulls", pgf_row_strip_nulls, PGF_JSON, {V}, false},
    {"json_strip_nulls", pgf_row_strip_nulls, PGF_JSON, {V}, false},
    {"initcap", pgf_row_initcap, PGF_STR, {V}, false},
    {"justify_days", pgf_row_justify_days, PGF_INTERVAL, {DUCKDB_TYPE_INTERVAL}, false},
    {"justify_hours", pgf_row_justify_hours, PGF_INTERVAL, {DUCKDB_TYPE_INTERVAL}, false},
    {"justify_interval", pgf_row_justify_interval, PGF_INTERVAL, {DUCKDB_TYPE_INTERVAL}, false},
    {"clock_timestamp", pgf_row_clock, PGF_TSTZ, {0}, true},
    {"to_char", pgf_row_to_char, PGF_STR, {DUCKDB_TYPE_ANY, V}, false},
    {"duckd_to_number", pgf_row_to_number, PGF_STR, {V, V}, false},
    {"hashtext", pgf_row_hashtext, PGF_INT, {V}, false},
};
#undef V
#undef L

static void pgf_exec(duckdb_function_info info, duckdb_data_chunk input, duckdb_vector output)
{
    const pgf_def_t *d = duckdb_scalar_function_get_extra_info(info);
    idx_t rows = duckdb_data_chunk_get_size(input),
          cols = duckdb_data_chunk_get_column_count(input);
    void *out = duckdb_vector_get_data(output);
    uint64_t *out_valid = NULL;
    pgf_out_t o;
    memset(&o, 0, sizeof o);
    if (cols == 0 && rows == 0)
        rows = 1;
    for (idx_t r = 0; r < rows; r++) {
        bool null = false;
        for (idx_t c = 0; c < cols && !null; c++)
            null = !pgf_valid(duckdb_data_chunk_get_vector(input, c), r);
        ubuf_reset(&o.s);
        o.err[0] = '\0';
        if (!null && !d->fn(input, r, &o)) {
            duckdb_scalar_function_set_error(info, o.err[0] ? o.err : "invalid input");
            break;
        }
        if (null) {
            if (!out_valid) {
                duckdb_vector_ensure_validity_writable(output);
                out_valid = duckdb_vector_get_validity(output);
            }
            duckdb_validity_set_row_invalid(out_valid, r);
            continue;
        }
        switch (d->ret) {
        case PGF_STR:
        case PGF_JSON:
            duckdb_vector_assign_string_element_len(output, r, o.s.data ? o.s.data : "", o.s.len);
            break;
        case PGF_BOOL: ((bool *)out)[r] = o.b; break;
        case PGF_INTERVAL: ((duckdb_interval *)out)[r] = o.iv; break;
        case PGF_TSTZ: ((duckdb_timestamp *)out)[r].micros = o.ts; break;
        case PGF_INT: ((int32_t *)out)[r] = o.i; break;
        }
    }
    ubuf_free(&o.s);
}

static duckdb_logical_type pgf_type(duckdb_type t)
{
    if (t == DUCKDB_TYPE_LIST) {
        duckdb_logical_type v = duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR);
        duckdb_logical_type l = duckdb_create_list_type(v);
        duckdb_destroy_logical_type(&v);
        return l;
    }
    return duckdb_create_logical_type(t);
}

static duckdb_logical_type pgf_ret_type(pgf_ret_t r)
{
    duckdb_logical_type t;
    switch (r) {
    case PGF_BOOL: return duckdb_create_logical_type(DUCKDB_TYPE_BOOLEAN);
    case PGF_INTERVAL: return duckdb_create_logical_type(DUCKDB_TYPE_INTERVAL);
    case PGF_TSTZ: return duckdb_create_logical_type(DUCKDB_TYPE_TIMESTAMP_TZ);
    case PGF_INT: return duckdb_create_logical_type(DUCKDB_TYPE_INTEGER);
    case PGF_JSON:
        t = duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR);
        duckdb_logical_type_set_alias(t, "JSON");
        return t;
    default: return duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR);
    }
}

int eng__pgfuncs_register(duckdb_connection con, uerr_t *err)
{
    int rc = 0;
    for (size_t i = 0; i < sizeof pgf_defs / sizeof pgf_defs[0] && rc == 0; i++) {
        const pgf_def_t *d = &pgf_defs[i];
        duckdb_scalar_function f = duckdb_create_scalar_function();
        duckdb_logical_type ret = pgf_ret_type(d->ret);
        duckdb_scalar_function_set_name(f, d->name);
        for (size_t a = 0; a < 4 && d->args[a] != DUCKDB_TYPE_INVALID; a++) {
            duckdb_logical_type t = pgf_type(d->args[a]);
            duckdb_scalar_function_add_parameter(f, t);
            duckdb_destroy_logical_type(&t);
        }
        duckdb_scalar_function_set_return_type(f, ret);
        duckdb_scalar_function_set_function(f, pgf_exec);
        duckdb_scalar_function_set_extra_info(f, (void *)d, NULL);
        if (d->is_volatile)
            duckdb_scalar_function_set_volatile(f);
        if (duckdb_register_scalar_function(con, f) != DuckDBSuccess) {
            uerr_set(err, "58000", "could not register %s", d->name);
            rc = -1;
        }
        duckdb_destroy_logical_type(&ret);
        duckdb_destroy_scalar_function(&f);
    }
    return rc;
}
