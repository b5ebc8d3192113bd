/* fb: a small FlatBuffers builder, just enough to write Apache Arrow's IPC metadata (tables,
 * vtables, vectors of scalars, structs and tables, strings, unions as a type byte plus a table
 * reference). No schema compiler and no reader: the callers (types/arrow_ipc.c) spell out each
 * table's field ids from Arrow's Schema.fbs and Message.fbs.
 *
 * Like the reference implementation it builds back to front: every object is prepended, so an
 * object always lies at a higher address than the references to it (FlatBuffers' uoffset_t is
 * unsigned and points forward). An object is named by an fb_ref_t, its distance from the end of
 * the buffer, which stays valid as the buffer grows. Everything is written little-endian. Out of
 * memory aborts (xalloc.h); the callers' objects are small (a schema's names and types). */
#ifndef DUCKD_TYPES_FLATBUF_H
#define DUCKD_TYPES_FLATBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The largest field id a table may use (Arrow's tables have at most 7 fields). */
#define FB_MAX_FIELDS 16

typedef uint32_t fb_ref_t; /* an object's position, counted from the end of the buffer */

typedef struct fb_builder {
    uint8_t *buf;                   /* owned; the data occupies buf[cap - size, cap) */
    size_t cap;                     /* bytes allocated */
    size_t size;                    /* bytes written so far */
    size_t minalign;                /* the largest alignment any object needed */
    bool in_table;                  /* between fb_table_start and fb_table_end */
    size_t table_start;             /* size when the open table started */
    fb_ref_t fields[FB_MAX_FIELDS]; /* the open table's fields by id; 0 = absent */
    uint16_t nfields;               /* highest field id used + 1 */
} fb_builder_t;

/* An empty builder; fb_free releases it. */
void fb_init(fb_builder_t *b);
void fb_free(fb_builder_t *b);
/* Empties the builder for another buffer, keeping its storage. */
void fb_reset(fb_builder_t *b);

/* Prepends a string (n bytes, NUL added) and returns its reference. Not inside a table. */
fb_ref_t fb_string(fb_builder_t *b, const char *s, size_t n);
/* Prepends a vector of n elements of elem_size bytes each, given in order as little-endian bytes
 * (scalars or structs), every element aligned to `align` (a power of two up to 8). */
fb_ref_t fb_vec_raw(fb_builder_t *b, const void *elems, size_t n, size_t elem_size, size_t align);
/* Prepends a vector of references to tables or strings (refs in order). */
fb_ref_t fb_vec_refs(fb_builder_t *b, const fb_ref_t *refs, size_t n);

/* Opens a table: add its fields (in any order, each id at most once, each < FB_MAX_FIELDS),
 * then close it with fb_table_end. Objects the table refers to must be built before
 * fb_table_start; tables do not nest. */
void fb_table_start(fb_builder_t *b);
void fb_add_u8(fb_builder_t *b, unsigned id, uint8_t v);
void fb_add_i16(fb_builder_t *b, unsigned id, int16_t v);
void fb_add_i32(fb_builder_t *b, unsigned id, int32_t v);
void fb_add_i64(fb_builder_t *b, unsigned id, int64_t v);
void fb_add_ref(fb_builder_t *b, unsigned id, fb_ref_t ref);
/* Writes the table and its vtable; returns the table's reference. */
fb_ref_t fb_table_end(fb_builder_t *b);

/* Prepends the root reference to `root`, padding the whole so its start is aligned for every
 * object in it. Returns the finished buffer (borrowed from b, valid until b changes) and its
 * length in *len, a multiple of 8. */
const uint8_t *fb_finish(fb_builder_t *b, fb_ref_t root, size_t *len);

#endif
