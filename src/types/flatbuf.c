/* A small back-to-front FlatBuffers builder (see flatbuf.h). The layout it writes, as the
 * FlatBuffers binary format defines it:
 *   - the buffer starts with a uint32 offset to the root table;
 *   - a table starts with an int32 `soffset`: the table's address minus its vtable's address;
 *     its fields follow, each aligned to its size;
 *   - a vtable is uint16s: the vtable's size in bytes, the table's size in bytes, then per
 *     field id the field's offset from the table's start (0 = absent, the reader's default);
 *   - a reference to a table, vector or string is a uint32 offset from where it is stored;
 *   - a vector is a uint32 element count followed by the elements; a string is a vector of
 *     bytes followed by a NUL.
 * Alignment is counted from the end of the buffer, which fb_finish pads so the start is
 * aligned too. Defaults are written out like any value (no field is elided). */
#include "types/flatbuf.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

void fb_init(fb_builder_t *b)
{
    memset(b, 0, sizeof *b);
    b->minalign = 1;
}

void fb_free(fb_builder_t *b)
{
    free(b->buf);
    fb_init(b);
}

void fb_reset(fb_builder_t *b)
{
    b->size = 0;
    b->minalign = 1;
    b->in_table = false;
    b->nfields = 0;
}

/* Makes room for n more bytes at the front, moving the data to the end of a larger buffer. */
static void fb_room(fb_builder_t *b, size_t n)
{
    if (b->cap - b->size >= n)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->size < n)
        cap *= 2;
    uint8_t *nb = xmalloc(cap);
    if (b->size)
        memcpy(nb + cap - b->size, b->buf + b->cap - b->size, b->size);
    free(b->buf);
    b->buf = nb;
    b->cap = cap;
}

/* The first byte of the data written so far. */
static uint8_t *fb_front(fb_builder_t *b) { return b->buf + b->cap - b->size; }

/* Prepends zero bytes so that, once `len` more bytes are prepended, the data's front is
 * aligned to `align` (counted from the end). */
static void fb_prealign(fb_builder_t *b, size_t len, size_t align)
{
    assert(align && (align & (align - 1)) == 0 && align <= 8);
    if (align > b->minalign)
        b->minalign = align;
    size_t pad = (align - ((b->size + len) & (align - 1))) & (align - 1);
    if (pad) {
        fb_room(b, pad);
        b->size += pad;
        memset(fb_front(b), 0, pad);
    }
}

/* Prepends n raw bytes (no alignment). */
static void fb_push(fb_builder_t *b, const void *p, size_t n)
{
    fb_room(b, n);
    b->size += n;
    if (n)
        memcpy(fb_front(b), p, n);
}

/* Prepends an unsigned little-endian scalar of n bytes (1, 2, 4, 8), aligned to n. */
static void fb_push_le(fb_builder_t *b, uint64_t v, size_t n)
{
    uint8_t le[8];
    for (size_t i = 0; i < n; i++)
        le[i] = (uint8_t)(v >> (8 * i));
    fb_prealign(b, n, n);
    fb_push(b, le, n);
}

/* Prepends a uint32 offset from the place it is written to the object `ref`. */
static void fb_push_ref(fb_builder_t *b, fb_ref_t ref)
{
    fb_prealign(b, 4, 4);
    assert(ref <= b->size);
    fb_push_le(b, (uint32_t)(b->size + 4 - ref), 4);
}

fb_ref_t fb_string(fb_builder_t *b, const char *s, size_t n)
{
    assert(!b->in_table);
    fb_prealign(b, n + 1, 4);
    fb_push(b, "", 1);
    fb_push(b, s, n);
    fb_push_le(b, (uint32_t)n, 4);
    return (fb_ref_t)b->size;
}

fb_ref_t fb_vec_raw(fb_builder_t *b, const void *elems, size_t n, size_t elem_size, size_t align)
{
    assert(!b->in_table);
    fb_prealign(b, n * elem_size, 4); /* the count right before the elements */
    fb_prealign(b, n * elem_size, align);
    fb_push(b, elems, n * elem_size);
    fb_push_le(b, (uint32_t)n, 4);
    return (fb_ref_t)b->size;
}

fb_ref_t fb_vec_refs(fb_builder_t *b, const fb_ref_t *refs, size_t n)
{
    assert(!b->in_table);
    fb_prealign(b, n * 4, 4);
    for (size_t i = n; i-- > 0;)
        fb_push_ref(b, refs[i]);
    fb_push_le(b, (uint32_t)n, 4);
    return (fb_ref_t)b->size;
}

void fb_table_start(fb_builder_t *b)
{
    assert(!b->in_table);
    b->in_table = true;
    b->table_start = b->size;
    b->nfields = 0;
    memset(b->fields, 0, sizeof b->fields);
}

/* Records that field `id` now starts at the front of the data. */
static void fb_field(fb_builder_t *b, unsigned id)
{
    assert(b->in_table && id < FB_MAX_FIELDS && !b->fields[id]);
    b->fields[id] = (fb_ref_t)b->size;
    if (id + 1 > b->nfields)
        b->nfields = (uint16_t)(id + 1);
}

void fb_add_u8(fb_builder_t *b, unsigned id, uint8_t v)
{
    fb_push_le(b, v, 1);
    fb_field(b, id);
}

void fb_add_i16(fb_builder_t *b, unsigned id, int16_t v)
{
    fb_push_le(b, (uint16_t)v, 2);
    fb_field(b, id);
}

void fb_add_i32(fb_builder_t *b, unsigned id, int32_t v)
{
    fb_push_le(b, (uint32_t)v, 4);
    fb_field(b, id);
}

void fb_add_i64(fb_builder_t *b, unsigned id, int64_t v)
{
    fb_push_le(b, (uint64_t)v, 8);
    fb_field(b, id);
}

void fb_add_ref(fb_builder_t *b, unsigned id, fb_ref_t ref)
{
    fb_push_ref(b, ref);
    fb_field(b, id);
}

fb_ref_t fb_table_end(fb_builder_t *b)
{
    assert(b->in_table);
    fb_push_le(b, 0, 4); /* the soffset, patched below */
    fb_ref_t table = (fb_ref_t)b->size;
    size_t table_size = table - b->table_start;
    /* The vtable, back to front: the field offsets from the last id down, then the sizes. */
    for (unsigned id = b->nfields; id-- > 0;)
        fb_push_le(b, b->fields[id] ? (uint16_t)(table - b->fields[id]) : 0, 2);
    fb_push_le(b, (uint16_t)table_size, 2);
    fb_push_le(b, (uint16_t)(4 + 2 * b->nfields), 2);
    fb_ref_t vtable = (fb_ref_t)b->size;
    /* The table's address minus the vtable's: the vtable lies before it, so this is positive. */
    uint32_t soff = vtable - table;
    uint8_t *t = b->buf + b->cap - table;
    for (int i = 0; i < 4; i++)
        t[i] = (uint8_t)(soff >> (8 * i));
    b->in_table = false;
    return table;
}

const uint8_t *fb_finish(fb_builder_t *b, fb_ref_t root, size_t *len)
{
    assert(!b->in_table);
    fb_prealign(b, 4, 8); /* the whole buffer a multiple of 8 (Arrow pads metadata to 8) */
    fb_push_ref(b, root);
    assert(b->size % 8 == 0 && b->minalign <= 8);
    *len = b->size;
    return fb_front(b);
}
