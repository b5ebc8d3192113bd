/* Arrow IPC streams of query results (eng_cursor_fetch_arrow). DuckDB's own Arrow export turns
 * the result's types into an ArrowSchema and each data chunk into an ArrowArray (with the
 * result's arrow options: regular utf8/binary and lists unless the session SET otherwise);
 * types/arrow_ipc.c encodes those into IPC messages. Rows come from the cursor's chunk source
 * (engine/cursor.c), so interrupts, errors and materialised cursors behave as for
 * eng_cursor_fetch. Memory: one chunk, its ArrowArray (kept while its rows are sent, so a
 * chunk split over several calls is converted once) and one message of at most about
 * ENG_ARROW_BATCH_BYTES (or the cursor's max_row) plus one row.
 *
 * ENUM columns are dictionary-encoded by DuckDB; every chunk carries the type's whole,
 * fixed value list, so the dictionaries are sent once, before the first record batch. */
#include <stdlib.h>
#include <string.h>

#include "engine/engine_internal.h"
#include "types/arrow_ipc.h"
#include "util/xalloc.h"

struct eng__arrow {
    duckdb_arrow_options opts; /* the result's arrow options (owned) */
    struct ArrowSchema schema; /* the result's schema (owned once schema.release is set) */
    struct ArrowArray array;   /* the current chunk (owned once array.release is set) */
    uint64_t seq;              /* eng__chunk_view_t.seq of the chunk `array` holds */
    bool schema_sent, dicts_sent, eos_sent;
    ubuf_t buf; /* the message being sent */
};

static void arrow_release_array(struct eng__arrow *a)
{
    if (a->array.release)
        a->array.release(&a->array);
    memset(&a->array, 0, sizeof a->array);
}

void eng__arrow_free(struct eng__arrow *a)
{
    if (!a)
        return;
    arrow_release_array(a);
    if (a->schema.release)
        a->schema.release(&a->schema);
    if (a->opts)
        duckdb_destroy_arrow_options(&a->opts);
    ubuf_free(&a->buf);
    free(a);
}

/* Sets *err from DuckDB's error data and destroys it. */
static int arrow_error(duckdb_error_data ed, uerr_t *err)
{
    if (duckdb_error_data_has_error(ed))
        eng__set_error(err, duckdb_error_data_error_type(ed), duckdb_error_data_message(ed));
    else
        uerr_set(err, "XX000", "DuckDB's Arrow export failed");
    duckdb_destroy_error_data(&ed);
    return -1;
}

/* Hands the message in a->buf to fn and empties the buffer. */
static int arrow_emit(struct eng__arrow *a, eng_bytes_fn fn, void *ctx)
{
    int rc = a->buf.len && fn ? fn(ctx, a->buf.data, a->buf.len) : 0;
    ubuf_reset(&a->buf);
    return rc;
}

/* Builds the result's ArrowSchema with DuckDB's export and sends the Schema message. */
static int arrow_start(eng_cursor_t *cur, struct eng__arrow *a, eng_bytes_fn fn, void *ctx,
                       uerr_t *err)
{
    duckdb_result *res = eng__cursor_result(cur);
    size_t n = eng_cursor_ncols(cur);
    duckdb_logical_type *types = xcalloc(n ? n : 1, sizeof *types);
    const char **names = xcalloc(n ? n : 1, sizeof *names);
    int rc = -1;
    a->opts = duckdb_result_get_arrow_options(res);
    if (!a->opts) {
        uerr_set(err, "XX000", "DuckDB has no arrow options for this result");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        types[i] = duckdb_column_logical_type(res, i);
        names[i] = eng_cursor_col(cur, i)->name ? eng_cursor_col(cur, i)->name : "";
    }
    duckdb_error_data ed = duckdb_to_arrow_schema(a->opts, types, names, n, &a->schema);
    if (ed) {
        arrow_error(ed, err);
        goto out;
    }
    if (aipc_schema_message(&a->buf, &a->schema, err) != 0)
        goto out;
    a->schema_sent = true;
    rc = arrow_emit(a, fn, ctx);
out:
    for (size_t i = 0; i < n; i++)
        if (types[i])
            duckdb_destroy_logical_type(&types[i]);
    free(types);
    free(names);
    return rc;
}

/* A statement without a result: a schema of no columns, then the end. */
static int arrow_empty(eng_cursor_t *cur, struct eng__arrow *a, eng_bytes_fn fn, void *ctx,
                       uerr_t *err)
{
    struct ArrowSchema none = {.format = "+s", .name = ""};
    int64_t n;
    bool done;
    if (eng_cursor_fetch(cur, 0, NULL, NULL, &n, &done, err) != 0) /* reads the change count */
        return -1;
    if (aipc_schema_message(&a->buf, &none, err) != 0)
        return -1;
    aipc_eos(&a->buf);
    a->schema_sent = a->eos_sent = true;
    return arrow_emit(a, fn, ctx);
}

/* How many of the n rows from pos on go into the next record batch: all, unless their message
 * would exceed the cap (ENG_ARROW_BATCH_BYTES, or max_row when smaller); halved until it fits
 * or one row is left. A single row over max_row fails with 54000. */
static int arrow_fit(eng_cursor_t *cur, struct eng__arrow *a, int64_t pos, int64_t *n, uerr_t *err)
{
    size_t max_row = eng__cursor_max_row(cur);
    uint64_t cap = max_row && max_row < ENG_ARROW_BATCH_BYTES ? max_row : ENG_ARROW_BATCH_BYTES;
    uint64_t body, total;
    for (;;) {
        if (aipc_batch_size(&a->schema, &a->array, pos, *n, &body, &total, err) != 0)
            return -1;
        if (body <= cap)
            return 0;
        if (*n == 1)
            break;
        *n = (*n + 1) / 2;
    }
    if (max_row && body > max_row) {
        uerr_set(err, "54000", "row is too big");
        uerr_set_detail(err, "A result row needs %llu bytes in Arrow; max_row_size is %zu.",
                        (unsigned long long)body, max_row);
        return -1;
    }
    return 0;
}

/* Sends the next record batch from the current chunk: at most `want` rows (0 = no limit).
 * *sent receives the rows sent; returns 1 when a batch was sent, 0 at the end, -1 on error
 * (err set) or when fn stopped (err unset). */
static int arrow_batch(eng_cursor_t *cur, struct eng__arrow *a, int64_t want, eng_bytes_fn fn,
                       void *ctx, int64_t *sent, uerr_t *err)
{
    eng__chunk_view_t v;
    *sent = 0;
    int r = eng__cursor_chunk(cur, &v, err);
    if (r <= 0)
        return r;
    if (!a->array.release || a->seq != v.seq) {
        arrow_release_array(a);
        duckdb_error_data ed = duckdb_data_chunk_to_arrow(a->opts, v.chunk, &a->array);
        if (ed)
            return arrow_error(ed, err);
        a->seq = v.seq;
    }
    if (!a->dicts_sent && aipc_has_dictionaries(&a->schema)) {
        if (aipc_dictionary_messages(&a->buf, &a->schema, &a->array, err) != 0)
            return -1;
        if (arrow_emit(a, fn, ctx) != 0)
            return -1;
    }
    a->dicts_sent = true;
    int64_t n = (int64_t)(v.rows - v.pos);
    if (want > 0 && n > want)
        n = want;
    if (arrow_fit(cur, a, (int64_t)v.pos, &n, err) != 0 ||
        aipc_batch_slice(&a->buf, &a->schema, &a->array, (int64_t)v.pos, n, err) != 0)
        return -1;
    eng__cursor_advance(cur, (idx_t)n);
    if (v.pos + (idx_t)n >= v.rows)
        arrow_release_array(a); /* this chunk is done: free its copy early */
    *sent = n;
    return arrow_emit(a, fn, ctx) != 0 ? -1 : 1;
}

int eng_cursor_fetch_arrow(eng_cursor_t *cur, int64_t max_rows, eng_bytes_fn fn, void *ctx,
                           int64_t *nrows, bool *done, uerr_t *err)
{
    struct eng__arrow **slot = eng__cursor_arrow(cur);
    int64_t total = 0;
    int r = 1;
    *nrows = 0;
    *done = false;
    if (!*slot)
        *slot = xcalloc(1, sizeof **slot);
    struct eng__arrow *a = *slot;
    ubuf_reset(&a->buf);
    if (a->eos_sent) {
        *done = true;
        return 0;
    }
    if (!eng_cursor_has_rows(cur)) {
        if (arrow_empty(cur, a, fn, ctx, err) != 0)
            return -1;
        *done = true;
        return 0;
    }
    if (!a->schema_sent && arrow_start(cur, a, fn, ctx, err) != 0)
        return -1;
    while (max_rows <= 0 || total < max_rows) {
        int64_t sent;
        r = arrow_batch(cur, a, max_rows > 0 ? max_rows - total : 0, fn, ctx, &sent, err);
        total += sent;
        *nrows = total;
        if (r < 0)
            return -1;
        if (r == 0)
            break;
    }
    if (r == 0) {
        arrow_release_array(a);
        aipc_eos(&a->buf);
        a->eos_sent = true;
        *done = true;
        if (arrow_emit(a, fn, ctx) != 0)
            return -1;
    }
    return 0;
}
