/* The Arrow IPC encoder on hand-built C Data Interface arrays: the framing (continuation,
 * metadata length, 8-byte alignment, end marker), the flatbuffer metadata read back field by
 * field, and the body bytes of sliced arrays (shifted bitmaps, rebased offsets, list children),
 * dictionaries, and the errors for refused or malformed input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "types/arrow_ipc.h"
#include "util/buf.h"

/* ---- a minimal flatbuffer reader ---- */

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int64_t rd64(const uint8_t *p)
{
    return (int64_t)((uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32);
}

/* Field id of table t, or NULL when absent. */
static const uint8_t *fld(const uint8_t *t, int id)
{
    const uint8_t *vt = t - (int32_t)rd32(t);
    uint16_t vsize = (uint16_t)(vt[0] | vt[1] << 8);
    if (4 + 2 * id >= vsize)
        return NULL;
    uint16_t off = (uint16_t)(vt[4 + 2 * id] | vt[5 + 2 * id] << 8);
    return off ? t + off : NULL;
}

/* The object a reference field points to. */
static const uint8_t *deref(const uint8_t *t, int id)
{
    const uint8_t *p = fld(t, id);
    assert_non_null(p);
    return p + rd32(p);
}

/* Element i of a vector of tables. */
static const uint8_t *vec_table(const uint8_t *vec, uint32_t i)
{
    const uint8_t *p = vec + 4 + 4 * i;
    return p + rd32(p);
}

static void assert_str(const uint8_t *s, const char *want)
{
    assert_int_equal(rd32(s), strlen(want));
    assert_memory_equal(s + 4, want, strlen(want));
    assert_int_equal(s[4 + strlen(want)], 0);
}

/* One encapsulated message at *pos of buf: returns its Message table and moves *pos past it;
 * *body points at its body. */
static const uint8_t *message(const ubuf_t *buf, size_t *pos, const uint8_t **body)
{
    const uint8_t *d = (const uint8_t *)buf->data + *pos;
    assert_true(*pos + 8 <= buf->len);
    assert_int_equal(rd32(d), 0xFFFFFFFFu);
    uint32_t mlen = rd32(d + 4);
    assert_int_equal(mlen % 8, 0);
    assert_int_equal(((uintptr_t)(*pos + 8 + mlen)) % 8, 0);
    const uint8_t *fb = d + 8, *msg = fb + rd32(fb);
    assert_int_equal(rd32(fld(msg, 0)) & 0xFFFF, 4); /* MetadataVersion V5 */
    int64_t blen = rd64(fld(msg, 3));
    assert_int_equal(blen % 8, 0);
    *body = fb + mlen;
    *pos += 8 + mlen + (size_t)blen;
    assert_true(*pos <= buf->len);
    return msg;
}

/* ---- hand-built arrays ---- */

static struct ArrowSchema col(const char *format, const char *name)
{
    return (struct ArrowSchema){.format = format, .name = name, .flags = ARROW_FLAG_NULLABLE};
}

static struct ArrowSchema root(struct ArrowSchema **kids, int64_t n)
{
    return (struct ArrowSchema){.format = "+s", .name = "", .n_children = n, .children = kids};
}

static struct ArrowArray arr(int64_t length, int64_t offset, int64_t nulls, const void **bufs,
                             int64_t nbufs)
{
    return (struct ArrowArray){.length = length,
                               .offset = offset,
                               .null_count = nulls,
                               .n_buffers = nbufs,
                               .buffers = bufs};
}

static void test_eos(void **state)
{
    ubuf_t b = UBUF_INIT;
    aipc_eos(&b);
    assert_int_equal(b.len, 8);
    assert_memory_equal(b.data, "\xff\xff\xff\xff\0\0\0\0", 8);
    ubuf_free(&b);
}

static void test_schema(void **state)
{
    /* int32 "a" with extension metadata, utf8 "b", list<int64> "c", dictionary<int8, utf8> "d",
     * timestamp[us, UTC] "e", decimal(9,2) "f" */
    static const char md[] = "\x01\x00\x00\x00"
                             "\x14\x00\x00\x00"
                             "ARROW:extension:name"
                             "\x09\x00\x00\x00"
                             "arrow.foo";
    struct ArrowSchema a = col("i", "a"), b = col("u", "b"), c = col("+l", "c"),
                       item = col("l", "item"), d = col("c", "d"), dv = col("u", ""),
                       e = col("tsu:UTC", "e"), f = col("d:9,2", "f");
    struct ArrowSchema *ck[] = {&item};
    a.metadata = md;
    c.n_children = 1;
    c.children = ck;
    d.dictionary = &dv;
    struct ArrowSchema *kids[] = {&a, &b, &c, &d, &e, &f};
    struct ArrowSchema s = root(kids, 6);
    ubuf_t buf = UBUF_INIT;
    uerr_t err = UERR_INIT;
    size_t pos = 0;
    const uint8_t *body;
    assert_int_equal(aipc_schema_message(&buf, &s, &err), 0);
    const uint8_t *msg = message(&buf, &pos, &body);
    assert_int_equal(pos, buf.len);
    assert_int_equal(*fld(msg, 1), 1); /* header: Schema */
    const uint8_t *sch = deref(msg, 2), *fields = deref(sch, 1);
    assert_int_equal(rd32(fields), 6);
    const uint8_t *fa = vec_table(fields, 0);
    assert_str(deref(fa, 0), "a");
    assert_int_equal(*fld(fa, 1), 1); /* nullable */
    assert_int_equal(*fld(fa, 2), 2); /* Type.Int */
    assert_int_equal(rd32(fld(deref(fa, 3), 0)), 32);
    assert_int_equal(*fld(deref(fa, 3), 1), 1); /* signed */
    const uint8_t *kv = vec_table(deref(fa, 6), 0);
    assert_str(deref(kv, 0), "ARROW:extension:name");
    assert_str(deref(kv, 1), "arrow.foo");
    assert_int_equal(*fld(vec_table(fields, 1), 2), 5); /* Utf8 */
    const uint8_t *fc = vec_table(fields, 2);
    assert_int_equal(*fld(fc, 2), 12); /* List */
    assert_int_equal(rd32(deref(fc, 5)), 1);
    assert_str(deref(vec_table(deref(fc, 5), 0), 0), "item");
    const uint8_t *fd = vec_table(fields, 3);
    assert_int_equal(*fld(fd, 2), 5); /* the dictionary's value type: Utf8 */
    const uint8_t *enc = deref(fd, 4);
    assert_int_equal(rd64(fld(enc, 0)), 0); /* dictionary id */
    assert_int_equal(rd32(fld(deref(enc, 1), 0)), 8);
    const uint8_t *fe = vec_table(fields, 4), *ts = deref(fe, 3);
    assert_int_equal(*fld(fe, 2), 10);              /* Timestamp */
    assert_int_equal(rd32(fld(ts, 0)) & 0xFFFF, 2); /* MICROSECOND */
    assert_str(deref(ts, 1), "UTC");
    const uint8_t *dec = deref(vec_table(fields, 5), 3);
    assert_int_equal(rd32(fld(dec, 0)), 9);
    assert_int_equal(rd32(fld(dec, 1)), 2);
    assert_int_equal(rd32(fld(dec, 2)), 128);
    ubuf_free(&buf);
}

/* Reads RecordBatch buffers: offsets and lengths. */
static void batch_buffers(const uint8_t *msg, int64_t *len, uint32_t *nnodes, const uint8_t **nodes,
                          uint32_t *nbufs, const uint8_t **bufs)
{
    const uint8_t *rb = deref(msg, 2);
    *len = rd64(fld(rb, 0));
    const uint8_t *nv = deref(rb, 1), *bv = deref(rb, 2);
    *nnodes = rd32(nv);
    *nodes = nv + 4;
    *nbufs = rd32(bv);
    *bufs = bv + 4;
    assert_int_equal(((uintptr_t)*nodes) % 8, 0);
}

static void test_batch_slices(void **state)
{
    /* int32 column: 12 values, array offset 3, rows [2, 2+7) of it -> physical 5..11 */
    int32_t iv[12];
    for (int i = 0; i < 12; i++)
        iv[i] = i * 10;
    uint8_t ivalid[2] = {0xFF & ~(1 << 6), 0xFF}; /* physical row 6 is NULL */
    const void *ib[] = {ivalid, iv};
    struct ArrowArray ia = arr(9, 3, -1, ib, 2);
    /* utf8 column: "a" "bb" "ccc" ... 12 strings, offset 3 */
    int32_t so[13];
    char sd[100];
    size_t sl = 0;
    for (int i = 0; i < 12; i++) {
        so[i] = (int32_t)sl;
        for (int k = 0; k <= i % 4; k++)
            sd[sl++] = (char)('a' + i);
    }
    so[12] = (int32_t)sl;
    const void *sb[] = {NULL, so, sd};
    struct ArrowArray sa = arr(9, 3, 0, sb, 3);
    /* bool column: bits 0101..., offset 3 */
    uint8_t bv[2] = {0x55, 0x55};
    const void *bb[] = {NULL, bv};
    struct ArrowArray ba = arr(9, 3, 0, bb, 2);
    struct ArrowArray *cols[] = {&ia, &sa, &ba};
    struct ArrowArray top = {.length = 9,
                             .n_buffers = 1,
                             .buffers = (const void *[]){NULL},
                             .n_children = 3,
                             .children = cols};
    struct ArrowSchema i = col("i", "i"), s = col("u", "s"), b = col("b", "b");
    struct ArrowSchema *kids[] = {&i, &s, &b};
    struct ArrowSchema sch = root(kids, 3);
    ubuf_t buf = UBUF_INIT;
    uerr_t err = UERR_INIT;
    uint64_t body_len, total;
    size_t pos = 0;
    const uint8_t *body, *nodes, *bufs;
    uint32_t nn, nb;
    int64_t len;
    assert_int_equal(aipc_batch_size(&sch, &top, 2, 7, &body_len, &total, &err), 0);
    assert_int_equal(aipc_batch_slice(&buf, &sch, &top, 2, 7, &err), 0);
    assert_int_equal(total, buf.len);
    const uint8_t *msg = message(&buf, &pos, &body);
    assert_int_equal(*fld(msg, 1), 3); /* RecordBatch */
    assert_int_equal(rd64(fld(msg, 3)), body_len);
    batch_buffers(msg, &len, &nn, &nodes, &nb, &bufs);
    assert_int_equal(len, 7);
    assert_int_equal(nn, 3);
    assert_int_equal(nb, 2 + 3 + 2);
    /* int column: 7 values from physical 5, one NULL (physical 6) */
    assert_int_equal(rd64(nodes), 7);
    assert_int_equal(rd64(nodes + 8), 1);
    for (uint32_t k = 0; k < nb; k++) {
        assert_int_equal(rd64(bufs + 16 * k) % 8, 0); /* aligned in the body */
        assert_true((uint64_t)(rd64(bufs + 16 * k) + rd64(bufs + 16 * k + 8)) <= body_len);
    }
    const uint8_t *valid = body + rd64(bufs), *vals = body + rd64(bufs + 16);
    assert_int_equal(rd64(bufs + 8), 1);
    assert_int_equal(valid[0], 0x7F & ~(1 << 1)); /* row 1 of the slice NULL, bit 7 unused */
    assert_int_equal(rd64(bufs + 24), 7 * 4);
    for (int k = 0; k < 7; k++)
        assert_int_equal(rd32(vals + 4 * k), (5 + k) * 10);
    /* utf8 column: no validity, offsets rebased to 0, the bytes of strings 5..11 */
    assert_int_equal(rd64(nodes + 16), 7);
    assert_int_equal(rd64(nodes + 24), 0);
    assert_int_equal(rd64(bufs + 32 + 8), 0);
    const uint8_t *offs = body + rd64(bufs + 48), *data = body + rd64(bufs + 64);
    assert_int_equal(rd64(bufs + 56), 8 * 4);
    assert_int_equal(rd32(offs), 0);
    assert_int_equal(rd32(offs + 28), so[12] - so[5]);
    assert_int_equal(rd64(bufs + 72), so[12] - so[5]);
    assert_memory_equal(data, sd + so[5], (size_t)(so[12] - so[5]));
    /* bool column: bits 5..11 of 0x5555 shifted to bit 0: 0,1,0,1,0,1,0 -> 0x2A */
    const uint8_t *bits = body + rd64(bufs + 96);
    assert_int_equal(rd64(bufs + 104), 1);
    assert_int_equal(bits[0], 0x2A);
    ubuf_free(&buf);
}

static void test_list_and_dictionary(void **state)
{
    /* list<int16>: [[1,2],[3],[],[4,5,6]] with offset 1 -> [[3],[],[4,5,6]] */
    int16_t items[] = {1, 2, 3, 4, 5, 6};
    int32_t lo[] = {0, 2, 3, 3, 6};
    const void *ib[] = {NULL, items}, *lb[] = {NULL, lo};
    struct ArrowArray child = arr(6, 0, 0, ib, 2);
    struct ArrowArray *lc[] = {&child};
    struct ArrowArray la = arr(3, 1, 0, lb, 2);
    la.n_children = 1;
    la.children = lc;
    /* dictionary<uint8, utf8>: indices 1, 0, 1 into ["x", "yy"] */
    uint8_t idx[] = {1, 0, 1};
    int32_t doffs[] = {0, 1, 3};
    const void *xb[] = {NULL, idx}, *db[] = {NULL, doffs, "xyy"};
    struct ArrowArray dict = arr(2, 0, 0, db, 3);
    struct ArrowArray da = arr(3, 0, 0, xb, 2);
    da.dictionary = &dict;
    struct ArrowArray *cols[] = {&la, &da};
    struct ArrowArray top = {.length = 3, .n_children = 2, .children = cols};
    struct ArrowSchema item = col("s", "item"), l = col("+l", "l"), d = col("C", "d"),
                       dv = col("u", "");
    struct ArrowSchema *ik[] = {&item};
    l.n_children = 1;
    l.children = ik;
    d.dictionary = &dv;
    struct ArrowSchema *kids[] = {&l, &d};
    struct ArrowSchema sch = root(kids, 2);
    ubuf_t buf = UBUF_INIT;
    uerr_t err = UERR_INIT;
    size_t pos = 0;
    const uint8_t *body, *nodes, *bufs;
    uint32_t nn, nb;
    int64_t len;
    assert_true(aipc_has_dictionaries(&sch));
    assert_int_equal(aipc_dictionary_messages(&buf, &sch, &top, &err), 0);
    assert_int_equal(aipc_batch_message(&buf, &sch, &top, &err), 0);
    /* the DictionaryBatch: id 0, a one-column batch of 2 strings */
    const uint8_t *msg = message(&buf, &pos, &body);
    assert_int_equal(*fld(msg, 1), 2);
    const uint8_t *dbatch = deref(msg, 2);
    assert_int_equal(rd64(fld(dbatch, 0)), 0);
    const uint8_t *rb = deref(dbatch, 1);
    assert_int_equal(rd64(fld(rb, 0)), 2);
    /* the RecordBatch: list node, child node of 4 items (3, 4, 5, 6), dictionary indices */
    msg = message(&buf, &pos, &body);
    assert_int_equal(pos, buf.len);
    batch_buffers(msg, &len, &nn, &nodes, &nb, &bufs);
    assert_int_equal(len, 3);
    assert_int_equal(nn, 3);
    assert_int_equal(rd64(nodes + 16), 4);
    const uint8_t *offs = body + rd64(bufs + 16);
    assert_int_equal(rd32(offs), 0);
    assert_int_equal(rd32(offs + 4), 1);
    assert_int_equal(rd32(offs + 8), 1);
    assert_int_equal(rd32(offs + 12), 4);
    const uint8_t *iv = body + rd64(bufs + 48);
    assert_int_equal(iv[0] | iv[1] << 8, 3);
    assert_int_equal(iv[6] | iv[7] << 8, 6);
    const uint8_t *ix = body + rd64(bufs + 80);
    assert_memory_equal(ix, idx, 3);
    ubuf_free(&buf);
}

static void test_refused(void **state)
{
    static const char *bad[] = {"vu", "vz", "+vl", "+r", "tiX", "d:5", "w:0", "?", ""};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        struct ArrowSchema c = col(bad[k], "col");
        struct ArrowSchema *kids[] = {&c};
        struct ArrowSchema s = root(kids, 1);
        ubuf_t buf = UBUF_INIT;
        uerr_t err = UERR_INIT;
        ubuf_puts(&buf, "keep");
        assert_int_equal(aipc_schema_message(&buf, &s, &err), -1);
        assert_string_equal(err.sqlstate, "0A000");
        assert_non_null(strstr(err.message, "\"col\""));
        assert_int_equal(buf.len, 4); /* left as it was */
        uerr_clear(&err);
        ubuf_free(&buf);
    }
    /* offsets that go backwards are a malformed array, not a crash */
    int32_t so[] = {0, 5, 2};
    const void *sb[] = {NULL, so, "abcde"};
    struct ArrowArray sa = arr(2, 0, 0, sb, 3);
    struct ArrowArray *cols[] = {&sa};
    struct ArrowArray top = {.length = 2, .n_children = 1, .children = cols};
    struct ArrowSchema s = col("u", "s");
    struct ArrowSchema *kids[] = {&s};
    struct ArrowSchema sch = root(kids, 1);
    ubuf_t buf = UBUF_INIT;
    uerr_t err = UERR_INIT;
    assert_int_equal(aipc_batch_message(&buf, &sch, &top, &err), -1);
    assert_string_equal(err.sqlstate, "XX000");
    assert_int_equal(buf.len, 0);
    uerr_clear(&err);
    /* a slice beyond the array */
    assert_int_equal(aipc_batch_slice(&buf, &sch, &top, 1, 2, &err), -1);
    uerr_clear(&err);
    /* not a struct at the top */
    assert_int_equal(aipc_schema_message(&buf, &s, &err), -1);
    uerr_clear(&err);
    ubuf_free(&buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eos),          cmocka_unit_test(test_schema),
        cmocka_unit_test(test_batch_slices), cmocka_unit_test(test_list_and_dictionary),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
