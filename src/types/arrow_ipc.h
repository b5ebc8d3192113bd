/* aipc: an Apache Arrow IPC *stream* encoder (sans-I/O). It turns data described by Arrow's C
 * Data Interface (struct ArrowSchema / struct ArrowArray, as DuckDB's Arrow export produces
 * them) into the encapsulated messages of the IPC streaming format: a Schema message, then
 * DictionaryBatch and RecordBatch messages, then the end-of-stream marker. It never reads or
 * writes a file or socket and does not release the C Data Interface structs it is given.
 *
 * Messages are appended to a caller-owned ubuf_t; the body of a record batch is copied into it,
 * so the caller bounds memory by the size of the batches it asks for (aipc_batch_size tells
 * before any copy). Host byte order must be little-endian (the schema says so).
 *
 * Supported formats (C Data Interface spelling): n b c C s S i I l L e f g d:P,S[,W] w:N z Z u
 * U tdD tdm tts ttm ttu ttn ts{s,m,u,n}:[TZ] tD{s,m,u,n} tiM tiD tin +l +L +w:N +s +m +us:
 * +ud: and dictionary-encoded fields (integer indices); field names, nullability and custom
 * metadata (extension types) are kept. Anything else (views vu/vz/+vl/+vL, run-end encoded +r,
 * nested dictionaries) fails with SQLSTATE 0A000 naming the format and the field. */
#ifndef DUCKD_TYPES_ARROW_IPC_H
#define DUCKD_TYPES_ARROW_IPC_H

#include <stdbool.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/err.h"

/* Arrow's C Data Interface, exactly as the specification defines it (the guard lets another
 * definition, DuckDB's or Arrow's own, win without a conflict). */
#ifndef ARROW_C_DATA_INTERFACE
#define ARROW_C_DATA_INTERFACE

#define ARROW_FLAG_DICTIONARY_ORDERED 1
#define ARROW_FLAG_NULLABLE 2
#define ARROW_FLAG_MAP_KEYS_SORTED 4

struct ArrowSchema {
    /* Array type description */
    const char *format;
    const char *name;
    const char *metadata;
    int64_t flags;
    int64_t n_children;
    struct ArrowSchema **children;
    struct ArrowSchema *dictionary;

    /* Release callback */
    void (*release)(struct ArrowSchema *);
    /* Opaque producer-specific data */
    void *private_data;
};

struct ArrowArray {
    /* Array data description */
    int64_t length;
    int64_t null_count;
    int64_t offset;
    int64_t n_buffers;
    int64_t n_children;
    const void **buffers;
    struct ArrowArray **children;
    struct ArrowArray *dictionary;

    /* Release callback */
    void (*release)(struct ArrowArray *);
    /* Opaque producer-specific data */
    void *private_data;
};

#endif /* ARROW_C_DATA_INTERFACE */

/* The MIME type of an Arrow IPC stream. */
#define AIPC_MIME_STREAM "application/vnd.apache.arrow.stream"

/* Appends the Schema message for `schema`, a struct ("+s") whose children are the columns.
 * Dictionary-encoded fields get ids 0, 1, ... in depth-first order (as
 * aipc_dictionary_messages numbers them). Returns 0, or -1 with *err set (0A000 for a type it
 * cannot write, 54000 for nesting deeper than 64 levels); out is then left as it was. */
int aipc_schema_message(ubuf_t *out, const struct ArrowSchema *schema, uerr_t *err)
    __attribute__((warn_unused_result));

/* Appends one DictionaryBatch message (whole dictionary, not a delta) for every
 * dictionary-encoded field of `array` (a struct array described by `schema`), in id order.
 * Nothing is appended when there are none. A stream must carry a field's dictionary before the
 * first record batch that uses it. Returns 0, or -1 with *err set (out left as it was). */
int aipc_dictionary_messages(ubuf_t *out, const struct ArrowSchema *schema,
                             const struct ArrowArray *array, uerr_t *err)
    __attribute__((warn_unused_result));

/* True when schema (or a field nested in it) is dictionary-encoded. */
bool aipc_has_dictionaries(const struct ArrowSchema *schema);

/* The size in bytes of the RecordBatch message aipc_batch_slice would append for rows
 * [start, start + len) of `array`: *body_len is its body, *total the whole message. Reads
 * the validity bitmaps (null counts) but copies nothing. Returns 0, or -1 with *err set. */
int aipc_batch_size(const struct ArrowSchema *schema, const struct ArrowArray *array, int64_t start,
                    int64_t len, uint64_t *body_len, uint64_t *total, uerr_t *err)
    __attribute__((warn_unused_result));

/* Appends a RecordBatch message with its body for rows [start, start + len) of `array`, a
 * struct array of `schema` without nulls of its own (each column is a child). The array's and
 * its children's `offset` fields are honoured: bitmaps that do not start on a byte boundary are
 * shifted, offsets rebased, and only the rows asked for are copied. Buffers are 8-byte aligned
 * and padded, their offsets relative to the body's start. Returns 0, or -1 with *err set (out
 * left as it was). */
int aipc_batch_slice(ubuf_t *out, const struct ArrowSchema *schema, const struct ArrowArray *array,
                     int64_t start, int64_t len, uerr_t *err) __attribute__((warn_unused_result));

/* aipc_batch_slice over the whole array. */
int aipc_batch_message(ubuf_t *out, const struct ArrowSchema *schema,
                       const struct ArrowArray *array, uerr_t *err)
    __attribute__((warn_unused_result));

/* Appends the end-of-stream marker (0xFFFFFFFF then a zero metadata length). */
void aipc_eos(ubuf_t *out);

#endif
