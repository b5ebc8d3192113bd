/* copy_reader: the data of COPY ... FROM STDIN (PostgreSQL's text, CSV or binary format) split
 * into rows of fields, fed in pieces of any size as the client's CopyData messages arrive.
 * Sans-I/O and engine-free, so unit tests and a fuzzer drive exactly this code. Text and CSV
 * fields come out de-escaped (each value's PostgreSQL text representation), binary fields as
 * their raw bytes; the caller converts them to column values. Every length the client
 * controls is capped: one row may not exceed `max_row` bytes. */
#ifndef DUCKD_SESSION_COPY_READER_H
#define DUCKD_SESSION_COPY_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"
#include "session/copy.h"
#include "util/err.h"

typedef struct copy_reader copy_reader_t;

/* Called once per data row with exactly ncols fields (len -1: NULL), borrowed for the call
 * only. Returns 0, or -1 with *err set to stop the COPY. */
typedef int (*copy_row_fn)(void *ctx, const eng_value_t *fields, size_t ncols, uerr_t *err);

/* A reader for rows of ncols (>= 1) fields in the format and options of *o, which is borrowed
 * for the reader's lifetime, as are `names` (ncols column names for messages, or NULL). */
copy_reader_t *copy_reader_new(const copy_opts_t *o, size_t ncols, const char *const *names,
                               size_t max_row);
void copy_reader_free(copy_reader_t *r);

/* Feeds the next n bytes of the stream, calling fn for every row they complete. Returns 0, or
 * -1 with *err set: 22P04 (malformed data), 22021 (invalid UTF-8), 54000 (row over max_row),
 * or whatever fn set. After the end-of-data marker (text and CSV "\.", the binary trailer)
 * further bytes are ignored. */
int copy_reader_feed(copy_reader_t *r, const char *data, size_t n, copy_row_fn fn, void *ctx,
                     uerr_t *err) __attribute__((warn_unused_result));
/* The stream ended (CopyDone): a last line without a newline is a row; an incomplete binary
 * tuple or an open CSV quote is an error. Returns 0 or -1 with *err set. */
int copy_reader_finish(copy_reader_t *r, copy_row_fn fn, void *ctx, uerr_t *err)
    __attribute__((warn_unused_result));

/* Whether the fast paths for plain rows and fields are used (on by default). Off, every text
 * and CSV row takes the general splitter: the fuzzer checks that both give the same rows and
 * errors. */
void copy_reader_set_fast(copy_reader_t *r, bool on);

/* The number of the line (text, CSV: counting a header line) or tuple (binary) read last,
 * 1-based: the row an error is about. */
int64_t copy_reader_line(const copy_reader_t *r);
/* Data rows handed to fn so far. */
int64_t copy_reader_rows(const copy_reader_t *r);

#endif
