/* Bulk appends for COPY ... FROM STDIN. Client values in PostgreSQL's text or binary format are
 * converted as Bind parameters are (engine/value.c) and written straight into the vectors of a
 * DuckDB data chunk; each full chunk goes to the table's appender whole
 * (duckdb_append_data_chunk). A column whose values duckd does not parse itself (UUID, TIME,
 * intervals, lists, unusual spellings) is filled as VARCHAR and DuckDB casts the whole vector.
 *
 * With a background appender (eng_appender_open's `background`), a second thread appends chunk
 * N while the caller converts rows into chunk N+1. They share up to APP_SLOTS chunks through a
 * queue: when every chunk is full or being appended, or the queued ones hold APP_QUEUE_BYTES,
 * the caller waits, so a slow table stalls the client (backpressure) and memory stays bounded
 * by the queue plus the appender's buffer. Queued chunks also count in the server's
 * buffer_memory (util/mem.h, UMEM_COPY): a chunk that does not fit waits for room up to
 * memory_wait_timeout and then fails the COPY with 53200; one that finds none of its COPY's
 * chunks in flight is always let through, so a COPY never waits on memory only it could free.
 *
 * The appender writes into the connection's current transaction; the caller wraps an
 * autocommit COPY in BEGIN/COMMIT so a failure leaves nothing behind. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine_internal.h"
#include "types/pgtypes.h"
#include "util/mem.h"
#include "util/utf8.h"
#include "util/xalloc.h"

/* Chunks in flight: one being filled, the others queued or being appended. Without a
 * background thread one chunk is enough. With one, the queue must absorb DuckDB's bursts: every
 * 122,880 rows the appending thread compresses and writes a whole row group (tens of ms), and
 * a queue of a few chunks made the filler wait through each of them (the first background
 * version measured no faster for that reason). Slots are created as needed, up to APP_SLOTS
 * and to as many as APP_QUEUE_BYTES holds at 16 bytes per value (wide tables get fewer), and
 * the filler also waits while the queued chunks hold APP_QUEUE_BYTES of values. */
#define APP_SLOTS 48
#define APP_QUEUE_BYTES (24u << 20)
/* A chunk is handed on early once its values pass this many bytes, so wide rows do not make
 * a 2048-row chunk huge. */
#define APP_CHUNK_BYTES (2u << 20)
/* Rows are handed to the table (transaction-local storage) at least this often, so the
 * appender's own buffer stays small whatever the row width. A background thread flushes more
 * often (APP_BG_FLUSH_BYTES): one flush of 8 MiB is a long burst of work the filler could
 * otherwise only wait through (see APP_SLOTS). */
#define APP_FLUSH_BYTES (8u << 20)
#define APP_BG_FLUSH_BYTES (1u << 20)
/* The DuckDB error a chunk whose VARCHAR column does not cast raises; the rows are then
 * appended one value at a time to find the row, column and DuckDB's message. */
#define APP_CAST_ERROR "type mismatch in AppendDataChunk"

/* How a text-format value of a column can be stored without the general conversion
 * (app_fast_text); anything that path does not take goes the general way. */
enum {
    APP_FAST_NONE = 0,
    APP_FAST_INT,  /* an integer type: plain decimal digits */
    APP_FAST_I32,  /* INTEGER: the same, stored without a type switch */
    APP_FAST_I64,  /* BIGINT: the same */
    APP_FAST_DATE, /* DATE: YYYY-MM-DD */
    APP_FAST_TEXT, /* VARCHAR: the text as it is */
};

/* One data chunk and what the filler knows about it. */
typedef struct app_slot {
    duckdb_data_chunk chunk; /* owned */
    unsigned layout;         /* the column types it was created with (eng_appender.layout) */
    duckdb_type *types;      /* owned: each column's type id in this chunk */
    void **data;             /* owned array; each vector's data, borrowed from chunk */
    uint64_t **validity;     /* owned array; NULL until the column's first NULL */
    int64_t *lines;          /* owned: each row's line, for messages */
    idx_t rows;              /* rows filled */
    size_t bytes;            /* bytes of values filled */
    size_t charged;          /* bytes counted in buffer_memory while queued or appended */
    struct app_slot *next;   /* queue or free list link */
} app_slot_t;

struct eng_appender {
    duckdb_appender app;
    size_t ncols;
    eng__ptype_t *types; /* owned: each column's DuckDB type */
    uint32_t *oids;      /* owned: each column's PostgreSQL type (what binary COPY sends) */
    char **what;         /* owned: "column N" for messages */
    bool *via_value;     /* owned: text goes through a duckdb_value (see app_describe) */
    uint8_t *fast;       /* owned: each column's APP_FAST_* kind for text-format values */
    duckdb_type *ctype;  /* owned: the type each column is filled as (target or VARCHAR...) */
    unsigned layout;     /* bumped whenever ctype changes */
    idx_t cap;           /* rows per chunk (duckdb_vector_size) */
    ubuf_t scratch;      /* value conversion */
    size_t pending;      /* bytes appended since the last flush (appending thread) */
    size_t flush_bytes;  /* flush the appender at least every this many bytes */
    size_t nslots;       /* slots in use so far (created on demand, up to max_slots) */
    size_t max_slots;    /* 1 without a background thread; see APP_SLOTS */
    app_slot_t slots[APP_SLOTS];
    app_slot_t *fill; /* the chunk the caller fills (caller's thread only) */
    /* Shared with the background thread, under mu. */
    bool background; /* a thread appends; else the caller's thread does */
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv_work;          /* a chunk was queued, or stop */
    pthread_cond_t cv_done;          /* a chunk was appended (freed) */
    app_slot_t *queue, **queue_tail; /* chunks to append, oldest first */
    app_slot_t *free_slots;
    size_t queued_bytes; /* bytes of values in the queued chunks */
    size_t charged;      /* bytes of buffer_memory the queued and appending chunks hold */
    bool busy;           /* the thread is appending a chunk */
    bool stop;           /* the thread must exit */
    bool failed;         /* an append failed: fail_err / fail_where hold the first error */
    uerr_t fail_err;
    eng_append_where_t fail_where;
};

/* Fills *err from the appender's error (after a failed append, flush or close). */
static void app_error(eng_appender_t *a, uerr_t *err)
{
    duckdb_error_data e = duckdb_appender_error_data(a->app);
    if (e && duckdb_error_data_has_error(e))
        eng__set_error(err, duckdb_error_data_error_type(e), duckdb_error_data_message(e));
    else
        uerr_set(err, "XX000", "appending to the table failed");
    if (e)
        duckdb_destroy_error_data(&e);
}

static void where_set(eng_append_where_t *w, int64_t line, size_t col, const char *v, size_t n)
{
    w->line = line;
    w->col = col;
    w->value_len = -1;
    if (v) {
        w->value_len = (int)(n < sizeof w->value ? n : sizeof w->value);
        memcpy(w->value, v, (size_t)w->value_len);
    }
}

/* True for the types a chunk column can be filled with natively (app_store). */
static bool app_native(duckdb_type t)
{
    return (eng__type_is_number(t) && t != DUCKDB_TYPE_UHUGEINT) || t == DUCKDB_TYPE_BOOLEAN ||
           t == DUCKDB_TYPE_DATE || t == DUCKDB_TYPE_TIME || t == DUCKDB_TYPE_TIMESTAMP ||
           t == DUCKDB_TYPE_TIMESTAMP_TZ || t == DUCKDB_TYPE_INTERVAL || t == DUCKDB_TYPE_VARCHAR ||
           t == DUCKDB_TYPE_BLOB;
}

static bool app_is_small_int(duckdb_type t);

static void app_describe(eng_appender_t *a)
{
    a->ncols = duckdb_appender_column_count(a->app);
    size_t n = a->ncols ? a->ncols : 1;
    a->types = xcalloc(n, sizeof *a->types);
    a->oids = xcalloc(n, sizeof *a->oids);
    a->what = xcalloc(n, sizeof *a->what);
    a->via_value = xcalloc(n, sizeof *a->via_value);
    a->ctype = xcalloc(n, sizeof *a->ctype);
    a->fast = xcalloc(n, sizeof *a->fast);
    for (size_t i = 0; i < a->ncols; i++) {
        duckdb_logical_type lt = duckdb_appender_column_type(a->app, i);
        a->types[i].type = duckdb_get_type_id(lt);
        if (a->types[i].type == DUCKDB_TYPE_DECIMAL) {
            a->types[i].dec_width = duckdb_decimal_width(lt);
            a->types[i].dec_scale = duckdb_decimal_scale(lt);
        }
        a->oids[i] = eng__oid_for_type(lt);
        /* The appender's per-value path casts text to these types with a conversion it does
         * not implement ("Unimplemented type for cast (VARCHAR -> INTERVAL)"); a duckdb_value
         * takes DuckDB's general cast instead (app_replay only: chunks cast whole vectors). */
        a->via_value[i] =
            a->types[i].type == DUCKDB_TYPE_INTERVAL || a->types[i].type == DUCKDB_TYPE_TIME_TZ;
        a->ctype[i] = app_native(a->types[i].type) ? a->types[i].type : DUCKDB_TYPE_VARCHAR;
        /* the kinds eng__val_text converts to exactly these values (see app_fast_text) */
        duckdb_type t = a->types[i].type;
        if (t == DUCKDB_TYPE_INTEGER)
            a->fast[i] = APP_FAST_I32;
        else if (t == DUCKDB_TYPE_BIGINT)
            a->fast[i] = APP_FAST_I64;
        else if (app_is_small_int(t))
            a->fast[i] = APP_FAST_INT;
        else if (t == DUCKDB_TYPE_DATE)
            a->fast[i] = APP_FAST_DATE;
        else if (t == DUCKDB_TYPE_VARCHAR && a->oids[i] != PGT_BYTEA && !pgt_is_array(a->oids[i]))
            a->fast[i] = APP_FAST_TEXT;
        duckdb_destroy_logical_type(&lt);
        char w[32];
        snprintf(w, sizeof w, "column %zu", i + 1);
        a->what[i] = xstrdup(w);
    }
}

/* ---- chunks ---- */

static void slot_release(app_slot_t *s)
{
    if (s->chunk)
        duckdb_destroy_data_chunk(&s->chunk);
    free(s->types);
    free(s->data);
    free(s->validity);
    free(s->lines);
    memset(s, 0, sizeof *s);
}

/* Points the slot's cached vector pointers at its (fresh or reset) chunk. */
static void slot_bind(eng_appender_t *a, app_slot_t *s)
{
    for (size_t i = 0; i < a->ncols; i++) {
        s->data[i] = duckdb_vector_get_data(duckdb_data_chunk_get_vector(s->chunk, i));
        s->validity[i] = NULL;
    }
    s->rows = 0;
    s->bytes = 0;
}

/* Makes s an empty chunk of the current layout, creating it again if the layout changed. */
static void slot_prepare(eng_appender_t *a, app_slot_t *s)
{
    if (s->chunk && s->layout == a->layout) {
        duckdb_data_chunk_reset(s->chunk);
        slot_bind(a, s);
        return;
    }
    size_t n = a->ncols ? a->ncols : 1;
    if (s->chunk)
        duckdb_destroy_data_chunk(&s->chunk);
    if (!s->types) {
        s->types = xcalloc(n, sizeof *s->types);
        s->data = xcalloc(n, sizeof *s->data);
        s->validity = xcalloc(n, sizeof *s->validity);
        s->lines = xcalloc(a->cap, sizeof *s->lines);
    }
    duckdb_logical_type *lts = xcalloc(n, sizeof *lts);
    for (size_t i = 0; i < a->ncols; i++) {
        s->types[i] = a->ctype[i];
        lts[i] = a->ctype[i] == a->types[i].type ? duckdb_appender_column_type(a->app, i)
                                                 : duckdb_create_logical_type(a->ctype[i]);
    }
    s->chunk = duckdb_create_data_chunk(lts, a->ncols);
    for (size_t i = 0; i < a->ncols; i++)
        duckdb_destroy_logical_type(&lts[i]);
    free(lts);
    s->layout = a->layout;
    slot_bind(a, s);
}

/* True when the integer v fits the integer type t. */
static bool app_int_fits(duckdb_type t, int64_t v)
{
    switch (t) {
    case DUCKDB_TYPE_TINYINT: return v >= INT8_MIN && v <= INT8_MAX;
    case DUCKDB_TYPE_SMALLINT: return v >= INT16_MIN && v <= INT16_MAX;
    case DUCKDB_TYPE_INTEGER: return v >= INT32_MIN && v <= INT32_MAX;
    case DUCKDB_TYPE_BIGINT:
    case DUCKDB_TYPE_HUGEINT: return true;
    case DUCKDB_TYPE_UTINYINT: return v >= 0 && v <= UINT8_MAX;
    case DUCKDB_TYPE_USMALLINT: return v >= 0 && v <= UINT16_MAX;
    case DUCKDB_TYPE_UINTEGER: return v >= 0 && v <= UINT32_MAX;
    default: return false;
    }
}

static bool app_is_small_int(duckdb_type t)
{
    return t == DUCKDB_TYPE_TINYINT || t == DUCKDB_TYPE_SMALLINT || t == DUCKDB_TYPE_INTEGER ||
           t == DUCKDB_TYPE_BIGINT || t == DUCKDB_TYPE_UTINYINT || t == DUCKDB_TYPE_USMALLINT ||
           t == DUCKDB_TYPE_UINTEGER;
}

/* Writes the integer v into row r of a column of integer type t (which it fits). */
static void app_put_int(void *data, duckdb_type t, idx_t r, int64_t v)
{
    switch (t) {
    case DUCKDB_TYPE_TINYINT: ((int8_t *)data)[r] = (int8_t)v; break;
    case DUCKDB_TYPE_SMALLINT: ((int16_t *)data)[r] = (int16_t)v; break;
    case DUCKDB_TYPE_INTEGER: ((int32_t *)data)[r] = (int32_t)v; break;
    case DUCKDB_TYPE_BIGINT: ((int64_t *)data)[r] = v; break;
    case DUCKDB_TYPE_UTINYINT: ((uint8_t *)data)[r] = (uint8_t)v; break;
    case DUCKDB_TYPE_USMALLINT: ((uint16_t *)data)[r] = (uint16_t)v; break;
    case DUCKDB_TYPE_UINTEGER: ((uint32_t *)data)[r] = (uint32_t)v; break;
    default: /* HUGEINT */
        ((duckdb_hugeint *)data)[r] = (duckdb_hugeint){(uint64_t)v, v < 0 ? -1 : 0};
        break;
    }
}

/* Writes a DECIMAL in the physical width of column i. */
static void app_put_decimal(const eng_appender_t *a, void *data, size_t i, idx_t r,
                            duckdb_hugeint v)
{
    uint8_t w = a->types[i].dec_width;
    if (w <= 4)
        ((int16_t *)data)[r] = (int16_t)(int64_t)v.lower;
    else if (w <= 9)
        ((int32_t *)data)[r] = (int32_t)(int64_t)v.lower;
    else if (w <= 18)
        ((int64_t *)data)[r] = (int64_t)v.lower;
    else
        ((duckdb_hugeint *)data)[r] = v;
}

/* Writes a VARCHAR value: a string of up to 12 bytes goes inline into the vector's
 * duckdb_string_t (zero-padded, as DuckDB compares it); a longer one is copied into the
 * vector's string heap. */
static void app_put_text(app_slot_t *s, size_t i, idx_t r, const char *p, size_t n)
{
    if (n <= 12) {
        duckdb_string_t *str = &((duckdb_string_t *)s->data[i])[r];
        memset(str, 0, sizeof *str);
        str->value.inlined.length = (uint32_t)n;
        if (n)
            memcpy(str->value.inlined.inlined, p, n);
        return;
    }
    duckdb_vector_assign_string_element_len(duckdb_data_chunk_get_vector(s->chunk, i), r, p,
                                            (idx_t)n);
}

/* Stores value x (converted from the client's raw text/bytes) in row r of column i of the
 * chunk being filled. Returns 0, or 1 when the column's chunk type cannot hold x (the caller
 * switches the column to x's type and redoes the row in a new chunk). */
static int app_store(eng_appender_t *a, app_slot_t *s, size_t i, idx_t r, const eng__val_t *x,
                     const eng_value_t *raw, int16_t format)
{
    duckdb_type ct = s->types[i];
    void *d = s->data[i];
    duckdb_vector vec;
    if (x->type != ct) {
        if (app_is_small_int(x->type) && app_int_fits(ct, x->v.i)) {
            app_put_int(d, ct, r, x->v.i);
            return 0;
        }
        if (ct != DUCKDB_TYPE_VARCHAR || format != 0)
            return 1;
        /* the column is filled as text (DuckDB casts it): the client's own spelling */
        vec = duckdb_data_chunk_get_vector(s->chunk, i);
        if (x->type == DUCKDB_TYPE_BLOB)
            return 1;
        duckdb_vector_assign_string_element_len(vec, r, raw->data, (idx_t)raw->len);
        return 0;
    }
    switch (ct) {
    case DUCKDB_TYPE_BOOLEAN: ((bool *)d)[r] = x->v.b; break;
    case DUCKDB_TYPE_UBIGINT: ((uint64_t *)d)[r] = x->v.u; break;
    case DUCKDB_TYPE_FLOAT: ((float *)d)[r] = x->v.f; break;
    case DUCKDB_TYPE_DOUBLE: ((double *)d)[r] = x->v.d; break;
    case DUCKDB_TYPE_DECIMAL: app_put_decimal(a, d, i, r, x->v.dec.value); break;
    case DUCKDB_TYPE_DATE: ((duckdb_date *)d)[r] = x->v.date; break;
    case DUCKDB_TYPE_TIME: ((duckdb_time *)d)[r] = x->v.time; break;
    case DUCKDB_TYPE_TIMESTAMP:
    case DUCKDB_TYPE_TIMESTAMP_TZ: ((duckdb_timestamp *)d)[r] = x->v.ts; break;
    case DUCKDB_TYPE_INTERVAL: ((duckdb_interval *)d)[r] = x->v.iv; break;
    case DUCKDB_TYPE_VARCHAR: app_put_text(s, i, r, x->p ? x->p : "", x->n); break;
    case DUCKDB_TYPE_BLOB:
        vec = duckdb_data_chunk_get_vector(s->chunk, i);
        duckdb_vector_assign_string_element_len(vec, r, x->p ? x->p : "", (idx_t)x->n);
        break;
    default: app_put_int(d, ct, r, x->v.i); break;
    }
    return 0;
}

static void app_put_null(app_slot_t *s, size_t i, idx_t r)
{
    if (!s->validity[i]) {
        duckdb_vector v = duckdb_data_chunk_get_vector(s->chunk, i);
        duckdb_vector_ensure_validity_writable(v);
        s->validity[i] = duckdb_vector_get_validity(v);
    }
    duckdb_validity_set_row_invalid(s->validity[i], r);
}

/* ---- appending a chunk (the background thread, or the caller's) ---- */

/* Reads row r of column i of a filled chunk back as a value (for app_replay). */
static void app_read(const eng_appender_t *a, const app_slot_t *s, size_t i, idx_t r, eng__val_t *x)
{
    const void *d = s->data[i];
    memset(x, 0, sizeof *x);
    x->type = s->types[i];
    if (s->validity[i] && !duckdb_validity_row_is_valid(s->validity[i], r)) {
        x->type = DUCKDB_TYPE_SQLNULL;
        return;
    }
    switch (x->type) {
    case DUCKDB_TYPE_BOOLEAN: x->v.b = ((const bool *)d)[r]; break;
    case DUCKDB_TYPE_TINYINT: x->v.i = ((const int8_t *)d)[r]; break;
    case DUCKDB_TYPE_SMALLINT: x->v.i = ((const int16_t *)d)[r]; break;
    case DUCKDB_TYPE_INTEGER: x->v.i = ((const int32_t *)d)[r]; break;
    case DUCKDB_TYPE_BIGINT: x->v.i = ((const int64_t *)d)[r]; break;
    case DUCKDB_TYPE_UTINYINT: x->v.i = ((const uint8_t *)d)[r]; break;
    case DUCKDB_TYPE_USMALLINT: x->v.i = ((const uint16_t *)d)[r]; break;
    case DUCKDB_TYPE_UINTEGER: x->v.i = ((const uint32_t *)d)[r]; break;
    case DUCKDB_TYPE_UBIGINT: x->v.u = ((const uint64_t *)d)[r]; break;
    case DUCKDB_TYPE_HUGEINT: /* duckd writes only values within int64 */
        x->v.i = (int64_t)((const duckdb_hugeint *)d)[r].lower;
        break;
    case DUCKDB_TYPE_FLOAT: x->v.f = ((const float *)d)[r]; break;
    case DUCKDB_TYPE_DOUBLE: x->v.d = ((const double *)d)[r]; break;
    case DUCKDB_TYPE_DATE: x->v.date = ((const duckdb_date *)d)[r]; break;
    case DUCKDB_TYPE_TIME: x->v.time = ((const duckdb_time *)d)[r]; break;
    case DUCKDB_TYPE_TIMESTAMP:
    case DUCKDB_TYPE_TIMESTAMP_TZ: x->v.ts = ((const duckdb_timestamp *)d)[r]; break;
    case DUCKDB_TYPE_INTERVAL: x->v.iv = ((const duckdb_interval *)d)[r]; break;
    case DUCKDB_TYPE_VARCHAR:
    case DUCKDB_TYPE_BLOB: {
        duckdb_string_t *str = &((duckdb_string_t *)s->data[i])[r];
        x->p = duckdb_string_t_data(str);
        x->n = duckdb_string_t_length(*str);
        break;
    }
    case DUCKDB_TYPE_DECIMAL: { /* always the target's width and scale */
        uint8_t w = a->types[i].dec_width;
        int64_t v = w <= 4   ? ((const int16_t *)d)[r]
                    : w <= 9 ? ((const int32_t *)d)[r]
                             : (w <= 18 ? ((const int64_t *)d)[r] : 0);
        duckdb_hugeint h = {(uint64_t)v, v < 0 ? -1 : 0};
        if (w > 18)
            h = ((const duckdb_hugeint *)d)[r];
        x->v.dec = (duckdb_decimal){w, a->types[i].dec_scale, h};
        break;
    }
    default: break;
    }
}

/* A chunk whose VARCHAR columns did not cast: appends its rows one value at a time, which
 * stops at the first value DuckDB refuses with DuckDB's own message for it. Returns 0 when
 * every row went in after all (then in order: the appender is flushed), else -1 with *err and
 * *where naming the row and column. */
static int app_replay(eng_appender_t *a, app_slot_t *s, eng_append_where_t *where, uerr_t *err)
{
    for (idx_t r = 0; r < s->rows; r++) {
        for (size_t i = 0; i < a->ncols; i++) {
            eng__val_t x;
            duckdb_state st;
            app_read(a, s, i, r, &x);
            if (x.type == DUCKDB_TYPE_VARCHAR && a->via_value[i]) {
                duckdb_value dv = duckdb_create_varchar_length(x.p ? x.p : "", x.n);
                st = duckdb_append_value(a->app, dv);
                duckdb_destroy_value(&dv);
            } else {
                st = eng__val_append(a->app, &x);
            }
            if (st != DuckDBSuccess) {
                app_error(a, err);
                bool text = x.type == DUCKDB_TYPE_VARCHAR;
                where_set(where, s->lines[r], i, text ? x.p : NULL, text ? x.n : 0);
                return -1;
            }
        }
        if (duckdb_appender_end_row(a->app) != DuckDBSuccess) {
            app_error(a, err);
            where_set(where, s->lines[r], SIZE_MAX, NULL, 0);
            return -1;
        }
    }
    if (duckdb_appender_flush(a->app) != DuckDBSuccess) {
        app_error(a, err);
        where_set(where, -1, SIZE_MAX, NULL, 0);
        return -1;
    }
    return 0;
}

/* Hands one filled chunk to the appender (and the table, every APP_FLUSH_BYTES). */
static int app_append(eng_appender_t *a, app_slot_t *s, eng_append_where_t *where, uerr_t *err)
{
    if (s->rows == 0)
        return 0;
    duckdb_data_chunk_set_size(s->chunk, s->rows);
    if (duckdb_append_data_chunk(a->app, s->chunk) != DuckDBSuccess) {
        app_error(a, err);
        if (strncmp(err->message, APP_CAST_ERROR, strlen(APP_CAST_ERROR)) != 0) {
            where_set(where, -1, SIZE_MAX, NULL, 0);
            return -1;
        }
        uerr_clear(err);
        if (app_replay(a, s, where, err) != 0)
            return -1;
    }
    a->pending += s->bytes;
    if (a->pending >= a->flush_bytes) {
        a->pending = 0;
        if (duckdb_appender_flush(a->app) != DuckDBSuccess) {
            app_error(a, err);
            where_set(where, -1, SIZE_MAX, NULL, 0);
            return -1;
        }
    }
    return 0;
}

/* The background thread: appends queued chunks in order until told to stop. After a failure
 * it keeps returning chunks unappended so the filler never waits forever. */
static void *app_thread(void *arg)
{
    eng_appender_t *a = arg;
    pthread_setname_np(pthread_self(), "duckd-append"); /* a COPY's DuckDB side */
    pthread_mutex_lock(&a->mu);
    for (;;) {
        while (!a->queue && !a->stop)
            pthread_cond_wait(&a->cv_work, &a->mu);
        if (a->stop)
            break;
        app_slot_t *s = a->queue;
        a->queue = s->next;
        if (!a->queue)
            a->queue_tail = &a->queue;
        bool skip = a->failed;
        a->busy = true;
        pthread_mutex_unlock(&a->mu);

        uerr_t err = UERR_INIT;
        eng_append_where_t where;
        int rc = skip ? 0 : app_append(a, s, &where, &err);

        pthread_mutex_lock(&a->mu);
        a->queued_bytes -= s->bytes;
        a->charged -= s->charged;
        umem_release(UMEM_COPY, s->charged);
        s->charged = 0;
        if (rc != 0 && !a->failed) {
            a->failed = true;
            uerr_move(&a->fail_err, &err);
            a->fail_where = where;
        }
        uerr_clear(&err);
        s->next = a->free_slots;
        a->free_slots = s;
        a->busy = false;
        pthread_cond_broadcast(&a->cv_done);
    }
    pthread_mutex_unlock(&a->mu);
    return NULL;
}

/* Copies the background thread's first error to the caller. Caller holds mu. */
static int app_failed(eng_appender_t *a, eng_append_where_t *where, uerr_t *err)
{
    uerr_set(err, a->fail_err.sqlstate, "%s", a->fail_err.message);
    if (a->fail_err.detail)
        uerr_set_detail(err, "%s", a->fail_err.detail);
    if (a->fail_err.hint)
        uerr_set_hint(err, "%s", a->fail_err.hint);
    *where = a->fail_where;
    return -1;
}

/* Counts chunk s, about to be queued, in buffer_memory: at once when none of this COPY's
 * chunks holds any (the minimum that lets it progress), else waiting for room up to
 * memory_wait_timeout. Returns 0, or -1 with *err set (53200). Caller's thread, mu not held. */
static int app_charge(eng_appender_t *a, app_slot_t *s, uerr_t *err)
{
    pthread_mutex_lock(&a->mu);
    bool alone = a->charged == 0;
    pthread_mutex_unlock(&a->mu);
    if (alone) {
        umem_charge(UMEM_COPY, s->bytes);
    } else if (umem_reserve_wait(UMEM_COPY, s->bytes, umem_now_ms() + umem_wait_timeout()) != 0) {
        uerr_set(err, "53200", "out of memory");
        uerr_set_detail(err,
                        "COPY data waiting for the table did not fit in the server's "
                        "buffer_memory (%lld bytes) within memory_wait_timeout (%d ms)",
                        (long long)umem_budget(), umem_wait_timeout());
        return -1;
    }
    pthread_mutex_lock(&a->mu);
    s->charged = s->bytes;
    a->charged += s->charged;
    pthread_mutex_unlock(&a->mu);
    return 0;
}

/* Hands the filled chunk on and makes a->fill an empty one: appends it here, or queues it
 * for the background thread and waits until a chunk is free (backpressure). Returns 0, or
 * -1 with *err (and *where) set by this append or by an earlier one that failed. */
static int app_submit(eng_appender_t *a, eng_append_where_t *where, uerr_t *err)
{
    app_slot_t *s = a->fill;
    int rc = -1;
    if (!a->background) {
        if (app_append(a, s, where, err) != 0)
            return -1;
        slot_prepare(a, s);
        return 0;
    }
    if (app_charge(a, s, err) != 0) {
        where_set(where, -1, SIZE_MAX, NULL, 0);
        return -1;
    }
    pthread_mutex_lock(&a->mu);
    if (a->failed) {
        a->charged -= s->charged; /* not queued after all */
        umem_release(UMEM_COPY, s->charged);
        s->charged = 0;
        goto out;
    }
    a->fill = NULL;
    s->next = NULL;
    *a->queue_tail = s;
    a->queue_tail = &s->next;
    a->queued_bytes += s->bytes;
    pthread_cond_signal(&a->cv_work);
    for (;;) {
        if (a->failed)
            goto out;
        if (a->queued_bytes <= APP_QUEUE_BYTES && a->free_slots) {
            a->fill = a->free_slots;
            a->free_slots = a->fill->next;
            break;
        }
        if (a->queued_bytes <= APP_QUEUE_BYTES && a->nslots < a->max_slots) {
            a->fill = &a->slots[a->nslots++];
            break;
        }
        pthread_cond_wait(&a->cv_done, &a->mu);
    }
    rc = 0;
out:
    if (rc != 0)
        (void)app_failed(a, where, err);
    pthread_mutex_unlock(&a->mu);
    if (rc == 0)
        slot_prepare(a, a->fill);
    return rc;
}

/* ---- API ---- */

int eng_appender_open(eng_conn_t *c, const char *catalog, const char *schema, const char *table,
                      const char *const *cols, size_t ncols, bool background, eng_appender_t **out,
                      uerr_t *err)
{
    eng_appender_t *a = xcalloc(1, sizeof *a);
    int rc = -1;

    *out = NULL;
    pthread_mutex_init(&a->mu, NULL);
    pthread_cond_init(&a->cv_work, NULL);
    pthread_cond_init(&a->cv_done, NULL);
    a->queue_tail = &a->queue;
    if (!catalog && !schema && c->npath) {
        /* an unqualified name under a session search_path: DuckDB's appender knows only its
         * default schema, so look the table up in temp, then the path's schemas, in order */
        for (size_t i = 0; i <= c->npath && !a->app; i++) {
            if (duckdb_appender_create_ext(c->con, i ? NULL : "temp", i ? c->path[i - 1] : "main",
                                           table, &a->app) != DuckDBSuccess)
                duckdb_appender_destroy(&a->app);
        }
    }
    if (!a->app &&
        duckdb_appender_create_ext(c->con, catalog, schema, table, &a->app) != DuckDBSuccess) {
        if (a->app)
            app_error(a, err);
        else
            uerr_set(err, "42P01", "relation \"%s\" does not exist", table);
        goto out;
    }
    for (size_t i = 0; i < ncols; i++) {
        if (duckdb_appender_add_column(a->app, cols[i]) != DuckDBSuccess) {
            app_error(a, err);
            goto out;
        }
    }
    app_describe(a);
    a->cap = duckdb_vector_size();
    a->flush_bytes = background ? APP_BG_FLUSH_BYTES : APP_FLUSH_BYTES;
    a->nslots = 1;
    a->max_slots = APP_QUEUE_BYTES / ((size_t)a->cap * (a->ncols ? a->ncols : 1) * 16);
    a->max_slots = a->max_slots < 2 ? 2 : a->max_slots > APP_SLOTS ? APP_SLOTS : a->max_slots;
    a->fill = &a->slots[0];
    slot_prepare(a, a->fill);
    if (background) {
        if (pthread_create(&a->thread, NULL, app_thread, a) != 0) {
            uerr_set(err, "53000", "could not start the COPY appender thread");
            goto out;
        }
        a->background = true;
    }
    *out = a;
    a = NULL;
    rc = 0;
out:
    eng_appender_free(a);
    return rc;
}

size_t eng_appender_ncols(const eng_appender_t *a) { return a->ncols; }

uint32_t eng_appender_col_oid(const eng_appender_t *a, size_t i) { return a->oids[i]; }

/* Converts one non-NULL value of column i. */
static int app_convert(eng_appender_t *a, size_t i, const eng_value_t *v, int16_t format,
                       eng__val_t *x, uerr_t *err)
{
    int rc = format == 1 ? eng__val_binary(&a->types[i], a->oids[i], (const uint8_t *)v->data,
                                           (size_t)v->len, &a->scratch, a->what[i], x, err)
                         : eng__val_text(&a->types[i], a->oids[i], v->data, (size_t)v->len,
                                         &a->scratch, a->what[i], x, err);
    if (rc != 0)
        return -1;
    /* text and CSV input was validated as a whole line; binary text arrives unchecked */
    if (format == 1 && x->type == DUCKDB_TYPE_VARCHAR && uutf8_check(x->p, x->n, err) != 0)
        return -1;
    return 0;
}

/* Column i cannot hold type t in the chunk being filled: the rows so far are handed on and
 * the column is filled as t from the next chunk on (DuckDB casts it to the table's type). */
static int app_switch(eng_appender_t *a, size_t i, duckdb_type t, eng_append_where_t *where,
                      uerr_t *err)
{
    if (a->fill->rows > 0 && app_submit(a, where, err) != 0)
        return -1;
    a->ctype[i] = t;
    a->layout++;
    slot_prepare(a, a->fill);
    return 0;
}

/* The common text-format values stored straight into row r of column i (whose chunk column
 * has the table's own type): plain integers that fit, ISO dates, VARCHAR text. These are
 * exactly the values eng__val_text would produce for them. Returns true when stored; false
 * when the value needs the general path (which also words any error). */
static bool app_fast_text(eng_appender_t *a, app_slot_t *s, size_t i, idx_t r, const char *d,
                          size_t n)
{
    uint8_t kind = a->fast[i];
    switch (kind) {
    case APP_FAST_INT:
    case APP_FAST_I32:
    case APP_FAST_I64: {
        size_t k = n > 0 && d[0] == '-';
        if (n <= k || n > 18) /* at most 18 digits: no overflow */
            return false;
        int64_t v = 0;
        for (size_t j = k; j < n; j++) {
            unsigned dig = (unsigned)(unsigned char)d[j] - '0';
            if (dig > 9)
                return false;
            v = v * 10 + (int64_t)dig;
        }
        if (k)
            v = -v;
        if (kind == APP_FAST_I64) {
            ((int64_t *)s->data[i])[r] = v;
        } else if (kind == APP_FAST_I32) {
            if (v < INT32_MIN || v > INT32_MAX)
                return false;
            ((int32_t *)s->data[i])[r] = (int32_t)v;
        } else {
            if (!app_int_fits(s->types[i], v))
                return false;
            app_put_int(s->data[i], s->types[i], r, v);
        }
        return true;
    }
    case APP_FAST_DATE: {
        int32_t days;
        if (!pgt_parse_text_date(d, n, &days))
            return false;
        ((duckdb_date *)s->data[i])[r].days = days;
        return true;
    }
    case APP_FAST_TEXT: app_put_text(s, i, r, d, n); return true;
    default: return false;
    }
}

int eng_appender_row(eng_appender_t *a, const eng_value_t *vals, size_t n, int16_t format,
                     int64_t line, eng_append_where_t *where, uerr_t *err)
{
    size_t bytes;
    app_slot_t *s;
    idx_t r;
retry:
    s = a->fill;
    r = s->rows;
    bytes = 0;
    for (size_t i = 0; i < n && i < a->ncols; i++) {
        eng__val_t x;
        if (vals[i].len < 0) {
            app_put_null(s, i, r);
            continue;
        }
        bytes += (size_t)vals[i].len;
        if (format == 0 && s->types[i] == a->types[i].type &&
            app_fast_text(a, s, i, r, vals[i].data, (size_t)vals[i].len))
            continue;
        if (app_convert(a, i, &vals[i], format, &x, err) != 0) {
            where_set(where, line, i, vals[i].data, (size_t)vals[i].len);
            return -1;
        }
        if (app_store(a, s, i, r, &x, &vals[i], format) != 0) {
            if (app_switch(a, i, x.type, where, err) != 0)
                return -1;
            goto retry;
        }
    }
    s->lines[r] = line;
    s->rows++;
    s->bytes += bytes;
    if (s->rows == a->cap || s->bytes >= APP_CHUNK_BYTES)
        return app_submit(a, where, err);
    return 0;
}

int eng_appender_finish(eng_appender_t *a, eng_append_where_t *where, uerr_t *err)
{
    int rc = -1;
    if (a->background) {
        pthread_mutex_lock(&a->mu);
        if (!a->failed && a->fill && a->fill->rows > 0) {
            app_slot_t *s = a->fill;
            a->fill = NULL;
            s->next = NULL;
            s->charged = s->bytes; /* the last chunk: counted, never refused */
            a->charged += s->charged;
            umem_charge(UMEM_COPY, s->charged);
            *a->queue_tail = s;
            a->queue_tail = &s->next;
            a->queued_bytes += s->bytes;
            pthread_cond_signal(&a->cv_work);
        }
        while ((a->queue || a->busy) && !a->failed)
            pthread_cond_wait(&a->cv_done, &a->mu);
        if (a->failed)
            (void)app_failed(a, where, err);
        pthread_mutex_unlock(&a->mu);
        if (uerr_isset(err))
            goto out;
    } else if (app_append(a, a->fill, where, err) != 0) {
        goto out;
    } else {
        a->fill->rows = 0;
    }
    /* the thread is idle with nothing queued: this thread may use the appender */
    if (duckdb_appender_close(a->app) != DuckDBSuccess) {
        app_error(a, err);
        where_set(where, -1, SIZE_MAX, NULL, 0);
        goto out;
    }
    rc = 0;
out:
    return rc;
}

void eng_appender_free(eng_appender_t *a)
{
    if (!a)
        return;
    if (a->background) {
        pthread_mutex_lock(&a->mu);
        a->stop = true;
        pthread_cond_signal(&a->cv_work);
        pthread_mutex_unlock(&a->mu);
        pthread_join(a->thread, NULL);
        for (app_slot_t *s = a->queue; s; s = s->next) /* stopped before appending them */
            umem_release(UMEM_COPY, s->charged);
    }
    if (a->app)
        (void)duckdb_appender_destroy(&a->app);
    for (size_t i = 0; i < APP_SLOTS; i++)
        slot_release(&a->slots[i]);
    for (size_t i = 0; i < a->ncols; i++)
        free(a->what[i]);
    free(a->what);
    free(a->via_value);
    free(a->fast);
    free(a->ctype);
    free(a->types);
    free(a->oids);
    ubuf_free(&a->scratch);
    uerr_clear(&a->fail_err);
    pthread_cond_destroy(&a->cv_done);
    pthread_cond_destroy(&a->cv_work);
    pthread_mutex_destroy(&a->mu);
    free(a);
}
