/* The Arrow IPC stream encoder (see arrow_ipc.h). Hand-written because no Arrow IPC writer can
 * be linked here (neither Debian 12 nor npm carries libarrow or nanoarrow for C); the output is
 * checked against the apache-arrow JavaScript reader in the tests.
 *
 * The IPC format, as this file writes it (Arrow's Columnar Format specification):
 *   message  := 0xFFFFFFFF, int32 metadata length, flatbuffer Message padded to 8, body
 *   stream   := Schema message, { DictionaryBatch | RecordBatch }*, 0xFFFFFFFF 0x00000000
 * A RecordBatch lists one FieldNode (length, null count) per field in depth-first order and
 * one Buffer (offset, length) per buffer of each field, in the order the layout of its type
 * defines (validity first); the body holds those buffers, each starting 8-byte aligned.
 *
 * A batch is encoded in two passes: plan_array walks the arrays and records the nodes and a
 * description of every buffer (where its bytes come from, whether a bitmap must be shifted or
 * offsets rebased because of a slice or an `offset`), which gives the body's size before any
 * byte is copied; batch_write then builds the metadata and copies the buffers. */
#include "types/arrow_ipc.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "types/flatbuf.h"
#include "util/xalloc.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the Arrow IPC encoder copies buffers as they are: it needs a little-endian host"
#endif

/* Nesting deeper than this is refused (the walks recurse once per level). */
#define AIPC_MAX_DEPTH 64

/* Schema.fbs: the Type union's tags, and the enums the type tables use. */
enum {
    FBT_NULL = 1,
    FBT_INT = 2,
    FBT_FLOAT = 3,
    FBT_BINARY = 4,
    FBT_UTF8 = 5,
    FBT_BOOL = 6,
    FBT_DECIMAL = 7,
    FBT_DATE = 8,
    FBT_TIME = 9,
    FBT_TIMESTAMP = 10,
    FBT_INTERVAL = 11,
    FBT_LIST = 12,
    FBT_STRUCT = 13,
    FBT_UNION = 14,
    FBT_FIXED_BINARY = 15,
    FBT_FIXED_LIST = 16,
    FBT_MAP = 17,
    FBT_DURATION = 18,
    FBT_LARGE_BINARY = 19,
    FBT_LARGE_UTF8 = 20,
    FBT_LARGE_LIST = 21,
};
/* Message.fbs: MessageHeader tags and MetadataVersion V5. */
enum { FBM_SCHEMA = 1, FBM_DICTIONARY = 2, FBM_RECORD_BATCH = 3, FB_METADATA_V5 = 4 };

/* How a field's values are laid out in buffers. */
typedef enum {
    AK_NULL,    /* no buffers */
    AK_FIXED,   /* validity, values of `bits` bits each (bool: 1) */
    AK_BINARY,  /* validity, int32 offsets, bytes */
    AK_LBINARY, /* validity, int64 offsets, bytes */
    AK_LIST,    /* validity, int32 offsets; one child (map: a struct child) */
    AK_LLIST,   /* validity, int64 offsets; one child */
    AK_FLIST,   /* validity; one child of `param` values per value */
    AK_STRUCT,  /* validity; children */
    AK_SUNION,  /* int8 type ids; children as long as the union */
    AK_DUNION,  /* int8 type ids, int32 offsets into the children */
} aipc_kind_t;

/* A format string, parsed. */
typedef struct aipc_type {
    aipc_kind_t kind;
    int bits;        /* AK_FIXED: bits per value */
    uint8_t fbt;     /* the Type union tag */
    int p1, p2, p3;  /* the type table's fields (see type_table) */
    const char *tz;  /* Timestamp: the zone text (borrowed from the format), NULL = none */
    const char *ids; /* unions: the type ids list (borrowed from the format) */
} aipc_type_t;

/* ---- small helpers ---- */

static void put_le32(ubuf_t *out, uint32_t v)
{
    unsigned char b[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    ubuf_append(out, b, 4);
}

static void le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t pad8(uint64_t n) { return (n + 7) & ~(uint64_t)7; }

static const char *field_name(const struct ArrowSchema *f) { return f && f->name ? f->name : ""; }

/* Parses a non-negative decimal integer up to INT32_MAX at *p, moving *p past it. */
static bool parse_int(const char **p, int *v)
{
    long n = 0;
    const char *s = *p;
    if (*s < '0' || *s > '9')
        return false;
    while (*s >= '0' && *s <= '9') {
        n = n * 10 + (*s++ - '0');
        if (n > INT_MAX)
            return false;
    }
    *p = s;
    *v = (int)n;
    return true;
}

static aipc_type_t fixed(uint8_t fbt, int bits, int p1, int p2)
{
    return (aipc_type_t){.kind = AK_FIXED, .bits = bits, .fbt = fbt, .p1 = p1, .p2 = p2};
}

/* The time unit letter of a t... format: Schema.fbs TimeUnit (SECOND .. NANOSECOND), or -1. */
static int time_unit(char c)
{
    switch (c) {
    case 's': return 0;
    case 'm': return 1;
    case 'u': return 2;
    case 'n': return 3;
    default: return -1;
    }
}

/* Parses the temporal formats (t...). Returns false for one it does not know. */
static bool type_parse_time(const char *f, aipc_type_t *t)
{
    int u = f[0] && f[1] ? time_unit(f[2]) : -1;
    if (!strcmp(f, "tdD") || !strcmp(f, "tdm")) {
        *t = fixed(FBT_DATE, f[2] == 'D' ? 32 : 64, f[2] == 'D' ? 0 : 1, 0);
    } else if (f[1] == 't' && u >= 0 && !f[3]) { /* time32 s/ms, time64 us/ns */
        int bits = u <= 1 ? 32 : 64;
        *t = fixed(FBT_TIME, bits, u, bits);
    } else if (f[1] == 's' && u >= 0 && f[3] == ':') {
        *t = fixed(FBT_TIMESTAMP, 64, u, 0);
        t->tz = f[4] ? f + 4 : NULL;
    } else if (f[1] == 'D' && u >= 0 && !f[3]) {
        *t = fixed(FBT_DURATION, 64, u, 0);
    } else if (!strcmp(f, "tiM") || !strcmp(f, "tiD") || !strcmp(f, "tin")) {
        int unit = f[2] == 'M' ? 0 : f[2] == 'D' ? 1 : 2; /* YEAR_MONTH, DAY_TIME, MONTH_DAY_NANO */
        *t = fixed(FBT_INTERVAL, unit == 0 ? 32 : unit == 1 ? 64 : 128, unit, 0);
    } else {
        return false;
    }
    return true;
}

/* Parses "d:P,S[,W]" (W 32, 64, 128 or 256; 128 when absent). */
static bool type_parse_decimal(const char *f, aipc_type_t *t)
{
    const char *p = f + 2;
    int prec, scale, width = 128;
    if (!parse_int(&p, &prec) || *p++ != ',')
        return false;
    bool neg = *p == '-';
    if (neg)
        p++;
    if (!parse_int(&p, &scale))
        return false;
    if (*p == ',') {
        p++;
        if (!parse_int(&p, &width))
            return false;
    }
    if (*p || (width != 32 && width != 64 && width != 128 && width != 256))
        return false;
    *t = fixed(FBT_DECIMAL, width, prec, neg ? -scale : scale);
    t->p3 = width;
    return true;
}

/* Parses a format string into *t. Returns false for a format this encoder does not write. */
static bool type_parse(const char *f, aipc_type_t *t)
{
    static const struct {
        char c;
        uint8_t fbt;
        int bits, p1, p2;
    } simple[] = {
        {'b', FBT_BOOL, 1, 0, 0},   {'c', FBT_INT, 8, 8, 1},    {'C', FBT_INT, 8, 8, 0},
        {'s', FBT_INT, 16, 16, 1},  {'S', FBT_INT, 16, 16, 0},  {'i', FBT_INT, 32, 32, 1},
        {'I', FBT_INT, 32, 32, 0},  {'l', FBT_INT, 64, 64, 1},  {'L', FBT_INT, 64, 64, 0},
        {'e', FBT_FLOAT, 16, 0, 0}, {'f', FBT_FLOAT, 32, 1, 0}, {'g', FBT_FLOAT, 64, 2, 0},
    };
    int n;
    const char *p;
    memset(t, 0, sizeof *t);
    if (!f || !*f)
        return false;
    if (!f[1]) {
        for (size_t i = 0; i < sizeof simple / sizeof simple[0]; i++)
            if (simple[i].c == f[0]) {
                *t = fixed(simple[i].fbt, simple[i].bits, simple[i].p1, simple[i].p2);
                return true;
            }
        switch (f[0]) {
        case 'n': *t = (aipc_type_t){.kind = AK_NULL, .fbt = FBT_NULL}; return true;
        case 'z': *t = (aipc_type_t){.kind = AK_BINARY, .fbt = FBT_BINARY}; return true;
        case 'u': *t = (aipc_type_t){.kind = AK_BINARY, .fbt = FBT_UTF8}; return true;
        case 'Z': *t = (aipc_type_t){.kind = AK_LBINARY, .fbt = FBT_LARGE_BINARY}; return true;
        case 'U': *t = (aipc_type_t){.kind = AK_LBINARY, .fbt = FBT_LARGE_UTF8}; return true;
        default: return false;
        }
    }
    switch (f[0]) {
    case 't': return type_parse_time(f, t);
    case 'd': return f[1] == ':' && type_parse_decimal(f, t);
    case 'w':
        p = f + 2;
        if (f[1] != ':' || !parse_int(&p, &n) || *p || n < 1 || n > INT_MAX / 8)
            return false;
        *t = fixed(FBT_FIXED_BINARY, 8 * n, n, 0);
        return true;
    case '+': break;
    default: return false;
    }
    if (!strcmp(f, "+l") || !strcmp(f, "+L") || !strcmp(f, "+s") || !strcmp(f, "+m")) {
        static const aipc_kind_t kinds[] = {
            ['l'] = AK_LIST, ['L'] = AK_LLIST, ['s'] = AK_STRUCT, ['m'] = AK_LIST};
        static const uint8_t fbts[] = {
            ['l'] = FBT_LIST, ['L'] = FBT_LARGE_LIST, ['s'] = FBT_STRUCT, ['m'] = FBT_MAP};
        *t = (aipc_type_t){.kind = kinds[(unsigned char)f[1]], .fbt = fbts[(unsigned char)f[1]]};
        return true;
    }
    if (!strncmp(f, "+w:", 3)) {
        p = f + 3;
        if (!parse_int(&p, &n) || *p)
            return false;
        *t = (aipc_type_t){.kind = AK_FLIST, .fbt = FBT_FIXED_LIST, .p1 = n};
        return true;
    }
    if ((!strncmp(f, "+us:", 4) || !strncmp(f, "+ud:", 4))) {
        *t = (aipc_type_t){.kind = f[2] == 's' ? AK_SUNION : AK_DUNION,
                           .fbt = FBT_UNION,
                           .p1 = f[2] == 's' ? 0 : 1,
                           .ids = f + 4};
        return true;
    }
    return false; /* views (+vl, +vL), run-end encoded (+r), anything newer */
}

/* The 0A000 error for a field whose format is not written. */
static int unsupported(const struct ArrowSchema *f, const char *what, uerr_t *err)
{
    uerr_set(err, "0A000", "Arrow IPC: %s \"%s\" of column \"%s\" is not supported", what,
             f && f->format ? f->format : "(none)", field_name(f));
    if (f && f->format && (f->format[0] == 'v' || !strncmp(f->format, "+v", 2)))
        uerr_set_hint(err,
                      "Views come with arrow_output_version 1.4 or later; "
                      "SET arrow_output_version = '1.0' and produce_arrow_string_view = false.");
    return -1;
}

/* The type of field f as written: the dictionary's value type for a dictionary-encoded field,
 * whose index type goes to *index. Returns 0, or -1 with err set. */
static int field_types(const struct ArrowSchema *f, aipc_type_t *t, aipc_type_t *index, uerr_t *err)
{
    const struct ArrowSchema *vt = f->dictionary ? f->dictionary : f;
    if (!type_parse(vt->format, t))
        return unsupported(f, "type", err);
    if (f->dictionary) {
        if (!type_parse(f->format, index) || index->fbt != FBT_INT)
            return unsupported(f, "dictionary index type", err);
        if (aipc_has_dictionaries(f->dictionary))
            return unsupported(f, "nested dictionary in", err);
    }
    if (vt->n_children < 0 || (vt->n_children > 0 && !vt->children))
        return unsupported(f, "type without its children:", err);
    for (int64_t i = 0; i < vt->n_children; i++)
        if (!vt->children[i])
            return unsupported(f, "type without its children:", err);
    switch (t->kind) {
    case AK_LIST:
    case AK_LLIST:
    case AK_FLIST:
        if (vt->n_children != 1)
            return unsupported(f, "list without one child:", err);
        if (t->fbt == FBT_MAP) {
            const struct ArrowSchema *e = vt->children[0];
            if (!e->format || strcmp(e->format, "+s") || e->n_children != 2 || e->dictionary)
                return unsupported(f, "map without a key/value struct:", err);
        }
        return 0;
    case AK_STRUCT:
    case AK_SUNION:
    case AK_DUNION: return 0;
    default:
        if (vt->n_children > 0)
            return unsupported(f, "type with children", err);
        return 0;
    }
}

bool aipc_has_dictionaries(const struct ArrowSchema *s)
{
    if (!s)
        return false;
    if (s->dictionary)
        return true;
    for (int64_t i = 0; i < s->n_children && s->children; i++)
        if (aipc_has_dictionaries(s->children[i]))
            return true;
    return false;
}

/* ---- the Schema message ---- */

/* Reads a native int32 of C Data Interface metadata. */
static int32_t md_i32(const char *p)
{
    int32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* Builds the vector of KeyValue tables of C Data Interface metadata `md` (int32 count, then
 * per pair an int32 length and the key's bytes, an int32 length and the value's bytes).
 * *have is false when there is none. Returns 0, or -1 with err set. */
static int meta_build(fb_builder_t *b, const char *md, fb_ref_t *out, bool *have, uerr_t *err)
{
    *have = false;
    if (!md)
        return 0;
    int32_t n = md_i32(md);
    if (n < 0 || n > 65536) {
        uerr_set(err, "XX000", "Arrow IPC: field metadata has %d entries", (int)n);
        return -1;
    }
    if (n == 0)
        return 0;
    fb_ref_t *kv = xcalloc((size_t)n, sizeof *kv);
    const char *p = md + 4;
    int rc = -1;
    for (int32_t i = 0; i < n; i++) {
        int32_t kl = md_i32(p);
        const char *k = p + 4;
        int32_t vl = md_i32(k + (kl > 0 ? kl : 0));
        const char *v = k + (kl > 0 ? kl : 0) + 4;
        if (kl < 0 || vl < 0) {
            uerr_set(err, "XX000", "Arrow IPC: field metadata has a negative length");
            goto out;
        }
        p = v + vl;
        fb_ref_t ks = fb_string(b, k, (size_t)kl), vs = fb_string(b, v, (size_t)vl);
        fb_table_start(b);
        fb_add_ref(b, 0, ks);
        fb_add_ref(b, 1, vs);
        kv[i] = fb_table_end(b);
    }
    *out = fb_vec_refs(b, kv, (size_t)n);
    *have = true;
    rc = 0;
out:
    free(kv);
    return rc;
}

/* Builds the type table of Schema.fbs for t (fields as each table defines them). */
static fb_ref_t type_table(fb_builder_t *b, const aipc_type_t *t, const struct ArrowSchema *vt)
{
    fb_ref_t tz = 0, ids = 0;
    if (t->fbt == FBT_TIMESTAMP && t->tz)
        tz = fb_string(b, t->tz, strlen(t->tz));
    if (t->fbt == FBT_UNION) {
        size_t n = (size_t)vt->n_children;
        uint8_t *le = xcalloc(n ? n : 1, 4);
        const char *p = t->ids;
        for (size_t i = 0; i < n; i++) {
            int id = 0;
            (void)parse_int(&p, &id); /* checked by union_ids_ok */
            if (*p == ',')
                p++;
            for (int k = 0; k < 4; k++)
                le[4 * i + k] = (uint8_t)((uint32_t)id >> (8 * k));
        }
        ids = fb_vec_raw(b, le, n, 4, 4);
        free(le);
    }
    fb_table_start(b);
    switch (t->fbt) {
    case FBT_INT: /* bitWidth: int, is_signed: bool */
        fb_add_i32(b, 0, t->p1);
        fb_add_u8(b, 1, (uint8_t)t->p2);
        break;
    case FBT_FLOAT:    /* precision: short */
    case FBT_DATE:     /* unit: short */
    case FBT_INTERVAL: /* unit: short */
    case FBT_DURATION: /* unit: short */ fb_add_i16(b, 0, (int16_t)t->p1); break;
    case FBT_DECIMAL: /* precision, scale, bitWidth: int */
        fb_add_i32(b, 0, t->p1);
        fb_add_i32(b, 1, t->p2);
        fb_add_i32(b, 2, t->p3);
        break;
    case FBT_TIME: /* unit: short, bitWidth: int */
        fb_add_i16(b, 0, (int16_t)t->p1);
        fb_add_i32(b, 1, t->p2);
        break;
    case FBT_TIMESTAMP: /* unit: short, timezone: string */
        fb_add_i16(b, 0, (int16_t)t->p1);
        if (tz)
            fb_add_ref(b, 1, tz);
        break;
    case FBT_FIXED_BINARY: /* byteWidth: int */
    case FBT_FIXED_LIST: /* listSize: int */ fb_add_i32(b, 0, t->p1); break;
    case FBT_MAP: /* keysSorted: bool */
        fb_add_u8(b, 0, (vt->flags & ARROW_FLAG_MAP_KEYS_SORTED) != 0);
        break;
    case FBT_UNION: /* mode: short, typeIds: [int] */
        fb_add_i16(b, 0, (int16_t)t->p1);
        fb_add_ref(b, 1, ids);
        break;
    default: break; /* Null, Bool, Binary, Utf8, List, Struct_ and the large ones: no fields */
    }
    return fb_table_end(b);
}

/* A union's type ids list must name one id (0..127) per child. */
static bool union_ids_ok(const aipc_type_t *t, int64_t nchildren)
{
    const char *p = t->ids;
    for (int64_t i = 0; i < nchildren; i++) {
        int id;
        if (!parse_int(&p, &id) || id > 127 || (*p != ',' && i + 1 < nchildren))
            return false;
        if (*p == ',')
            p++;
    }
    return *p == '\0';
}

/* Builds the Field table for schema f (and, first, everything it refers to). Dictionary ids
 * are taken from *next_dict in depth-first order, a field before its children. */
static int field_build(fb_builder_t *b, const struct ArrowSchema *f, int depth, int64_t *next_dict,
                       fb_ref_t *out, uerr_t *err)
{
    aipc_type_t t, index;
    fb_ref_t *kids = NULL, kidvec, name, md = 0, type, dict = 0;
    bool have_md;
    int rc = -1;
    if (depth > AIPC_MAX_DEPTH) {
        uerr_set(err, "54000", "Arrow IPC: column \"%s\" is nested more than %d levels deep",
                 field_name(f), AIPC_MAX_DEPTH);
        return -1;
    }
    if (field_types(f, &t, &index, err) != 0)
        return -1;
    const struct ArrowSchema *vt = f->dictionary ? f->dictionary : f;
    if (t.fbt == FBT_UNION && !union_ids_ok(&t, vt->n_children))
        return unsupported(f, "union type ids", err);
    int64_t dict_id = f->dictionary ? (*next_dict)++ : -1;
    size_t n = (size_t)vt->n_children;
    kids = xcalloc(n ? n : 1, sizeof *kids);
    for (size_t i = 0; i < n; i++)
        if (field_build(b, vt->children[i], depth + 1, next_dict, &kids[i], err) != 0)
            goto out;
    kidvec = fb_vec_refs(b, kids, n);
    name = fb_string(b, field_name(f), strlen(field_name(f)));
    if (meta_build(b, f->metadata, &md, &have_md, err) != 0)
        goto out;
    type = type_table(b, &t, vt);
    if (f->dictionary) {
        fb_ref_t itype = type_table(b, &index, f);
        fb_table_start(b); /* DictionaryEncoding */
        fb_add_i64(b, 0, dict_id);
        fb_add_ref(b, 1, itype);
        fb_add_u8(b, 2, (f->flags & ARROW_FLAG_DICTIONARY_ORDERED) != 0);
        dict = fb_table_end(b);
    }
    fb_table_start(b); /* Field */
    fb_add_ref(b, 0, name);
    fb_add_u8(b, 1, (f->flags & ARROW_FLAG_NULLABLE) != 0);
    fb_add_u8(b, 2, t.fbt);
    fb_add_ref(b, 3, type);
    if (dict)
        fb_add_ref(b, 4, dict);
    fb_add_ref(b, 5, kidvec);
    if (have_md)
        fb_add_ref(b, 6, md);
    *out = fb_table_end(b);
    rc = 0;
out:
    free(kids);
    return rc;
}

/* Checks that schema is a struct of columns. */
static int root_check(const struct ArrowSchema *schema, uerr_t *err)
{
    if (!schema || !schema->format || strcmp(schema->format, "+s") || schema->dictionary ||
        schema->n_children < 0 || (schema->n_children > 0 && !schema->children)) {
        uerr_set(err, "XX000", "Arrow IPC: the schema of a result must be a struct of columns");
        return -1;
    }
    return 0;
}

/* Finishes Message{version V5, header, bodyLength} and appends it encapsulated. */
static int message_emit(ubuf_t *out, fb_builder_t *b, uint8_t htype, fb_ref_t header,
                        uint64_t body_len, uerr_t *err)
{
    size_t len;
    fb_table_start(b);
    fb_add_i16(b, 0, FB_METADATA_V5);
    fb_add_u8(b, 1, htype);
    fb_add_ref(b, 2, header);
    fb_add_i64(b, 3, (int64_t)body_len);
    fb_ref_t msg = fb_table_end(b);
    const uint8_t *fb = fb_finish(b, msg, &len);
    if (len > INT32_MAX) {
        uerr_set(err, "54000", "Arrow IPC: message metadata of %zu bytes is too large", len);
        return -1;
    }
    put_le32(out, 0xFFFFFFFFu);
    put_le32(out, (uint32_t)len); /* a multiple of 8: the body that follows stays aligned */
    ubuf_append(out, fb, len);
    return 0;
}

int aipc_schema_message(ubuf_t *out, const struct ArrowSchema *schema, uerr_t *err)
{
    fb_builder_t b;
    fb_ref_t *cols = NULL, md = 0;
    bool have_md = false;
    int64_t next_dict = 0;
    size_t start = out->len;
    int rc = -1;
    fb_init(&b);
    if (root_check(schema, err) != 0)
        goto out;
    size_t n = (size_t)schema->n_children;
    cols = xcalloc(n ? n : 1, sizeof *cols);
    for (size_t i = 0; i < n; i++)
        if (field_build(&b, schema->children[i], 1, &next_dict, &cols[i], err) != 0)
            goto out;
    fb_ref_t fields = fb_vec_refs(&b, cols, n);
    if (meta_build(&b, schema->metadata, &md, &have_md, err) != 0)
        goto out;
    fb_table_start(&b);   /* Schema */
    fb_add_i16(&b, 0, 0); /* endianness: Little */
    fb_add_ref(&b, 1, fields);
    if (have_md)
        fb_add_ref(&b, 2, md);
    fb_ref_t sch = fb_table_end(&b);
    rc = message_emit(out, &b, FBM_SCHEMA, sch, 0, err);
out:
    if (rc != 0)
        out->len = start;
    free(cols);
    fb_free(&b);
    return rc;
}

void aipc_eos(ubuf_t *out)
{
    put_le32(out, 0xFFFFFFFFu);
    put_le32(out, 0);
}

/* ---- record batches: the plan ---- */

/* Where one body buffer's bytes come from. */
typedef enum {
    BS_RAW,   /* len bytes from src + start */
    BS_BITS,  /* count bits from bit `start` of src, shifted to bit 0 */
    BS_OFF32, /* count + 1 int32 offsets from src[start], each minus base (src NULL: zeros) */
    BS_OFF64, /* the same with int64 offsets */
} aipc_how_t;

typedef struct aipc_buf {
    aipc_how_t how;
    const uint8_t *src;
    int64_t start, count, base;
    uint64_t off, len; /* place in the body and unpadded length */
} aipc_buf_t;

typedef struct aipc_plan {
    int64_t *nodes; /* (length, null_count) pairs in depth-first order */
    size_t nnodes, capnodes;
    aipc_buf_t *bufs;
    size_t nbufs, capbufs;
    uint64_t body; /* bytes so far, a multiple of 8 */
} aipc_plan_t;

static void plan_free(aipc_plan_t *p)
{
    free(p->nodes);
    free(p->bufs);
    memset(p, 0, sizeof *p);
}

static void plan_node(aipc_plan_t *p, int64_t length, int64_t nulls)
{
    if (p->nnodes == p->capnodes) {
        p->capnodes = p->capnodes ? 2 * p->capnodes : 16;
        p->nodes = xrealloc(p->nodes, p->capnodes * 2 * sizeof *p->nodes);
    }
    p->nodes[2 * p->nnodes] = length;
    p->nodes[2 * p->nnodes + 1] = nulls;
    p->nnodes++;
}

static void plan_buf(aipc_plan_t *p, aipc_how_t how, const void *src, int64_t start, int64_t count,
                     int64_t base, uint64_t len)
{
    if (p->nbufs == p->capbufs) {
        p->capbufs = p->capbufs ? 2 * p->capbufs : 16;
        p->bufs = xrealloc(p->bufs, p->capbufs * sizeof *p->bufs);
    }
    p->bufs[p->nbufs++] = (aipc_buf_t){how, src, start, count, base, p->body, len};
    p->body += pad8(len);
}

static const uint8_t *abuf(const struct ArrowArray *a, int64_t i)
{
    return i < a->n_buffers && a->buffers ? a->buffers[i] : NULL;
}

/* The number of zero bits in [start, start + count) of bitmap v. */
static int64_t count_zeros(const uint8_t *v, int64_t start, int64_t count)
{
    int64_t ones = 0, i = start, end = start + count;
    for (; i < end && (i & 7); i++)
        ones += (v[i >> 3] >> (i & 7)) & 1;
    for (; i + 64 <= end; i += 64) {
        uint64_t w;
        memcpy(&w, v + (i >> 3), 8);
        ones += __builtin_popcountll(w);
    }
    for (; i + 8 <= end; i += 8)
        ones += __builtin_popcount(v[i >> 3]);
    for (; i < end; i++)
        ones += (v[i >> 3] >> (i & 7)) & 1;
    return count - ones;
}

static int broken(const struct ArrowSchema *f, const char *what, uerr_t *err)
{
    uerr_set(err, "XX000", "Arrow IPC: the array of column \"%s\" is malformed: %s", field_name(f),
             what);
    return -1;
}

/* Plans the offsets buffer of rows [phys, phys + len) (int32 or int64 offsets) and returns the
 * first and last offset in *lo / *hi, checking they never decrease. */
static int plan_offsets(aipc_plan_t *p, const struct ArrowSchema *f, const uint8_t *src,
                        int64_t phys, int64_t len, bool wide, int64_t *lo, int64_t *hi, uerr_t *err)
{
    *lo = *hi = 0;
    if (len > 0) {
        if (!src)
            return broken(f, "no offsets buffer", err);
        int64_t prev = 0;
        for (int64_t i = 0; i <= len; i++) {
            int64_t v;
            if (wide) {
                memcpy(&v, src + 8 * (phys + i), 8);
            } else {
                int32_t v32;
                memcpy(&v32, src + 4 * (phys + i), 4);
                v = v32;
            }
            if (v < 0 || (i > 0 && v < prev))
                return broken(f, "offsets decrease", err);
            prev = v;
            if (i == 0)
                *lo = v;
        }
        *hi = prev;
    }
    if (!wide && *hi - *lo > INT32_MAX)
        return broken(f, "offsets overflow", err);
    plan_buf(p, wide ? BS_OFF64 : BS_OFF32, len > 0 ? src : NULL, phys, len, *lo,
             (uint64_t)(len + 1) * (wide ? 8 : 4));
    return 0;
}

static int plan_array(aipc_plan_t *p, const struct ArrowSchema *f, const struct ArrowArray *a,
                      int64_t start, int64_t len, int depth, uerr_t *err);

/* Plans the children of a struct or sparse union: rows [phys, phys + len) of each. */
static int plan_children(aipc_plan_t *p, const struct ArrowSchema *vt, const struct ArrowArray *a,
                         int64_t start, int64_t len, int depth, uerr_t *err)
{
    for (int64_t i = 0; i < vt->n_children; i++)
        if (plan_array(p, vt->children[i], a->children[i], start, len, depth + 1, err) != 0)
            return -1;
    return 0;
}

/* The node, validity buffer and layout-specific buffers of an array with a validity bitmap. */
static int plan_valid_array(aipc_plan_t *p, const struct ArrowSchema *f,
                            const struct ArrowSchema *vt, const aipc_type_t *t,
                            const struct ArrowArray *a, int64_t phys, int64_t len, int depth,
                            uerr_t *err)
{
    const uint8_t *valid = abuf(a, 0), *b1 = abuf(a, 1);
    int64_t nulls = valid && a->null_count != 0 ? count_zeros(valid, phys, len) : 0;
    int64_t lo, hi;
    plan_node(p, len, nulls);
    plan_buf(p, BS_BITS, valid, phys, len, 0, nulls ? (uint64_t)(len + 7) / 8 : 0);
    switch (t->kind) {
    case AK_FIXED:
        if (!b1 && len > 0)
            return broken(f, "no data buffer", err);
        if (t->bits == 1)
            plan_buf(p, BS_BITS, b1, phys, len, 0, (uint64_t)(len + 7) / 8);
        else
            plan_buf(p, BS_RAW, b1, phys * (t->bits / 8), 0, 0, (uint64_t)len * (t->bits / 8));
        return 0;
    case AK_BINARY:
    case AK_LBINARY:
        if (plan_offsets(p, f, b1, phys, len, t->kind == AK_LBINARY, &lo, &hi, err) != 0)
            return -1;
        if (hi > lo && !abuf(a, 2))
            return broken(f, "no data buffer", err);
        plan_buf(p, BS_RAW, abuf(a, 2), lo, 0, 0, (uint64_t)(hi - lo));
        return 0;
    case AK_LIST:
    case AK_LLIST:
        if (plan_offsets(p, f, b1, phys, len, t->kind == AK_LLIST, &lo, &hi, err) != 0)
            return -1;
        return plan_array(p, vt->children[0], a->children[0], lo, hi - lo, depth + 1, err);
    case AK_FLIST:
        return plan_array(p, vt->children[0], a->children[0], phys * t->p1, len * t->p1, depth + 1,
                          err);
    case AK_STRUCT: return plan_children(p, vt, a, phys, len, depth, err);
    default: return broken(f, "unexpected layout", err);
    }
}

/* Plans rows [start, start + len) of array a (field f): its FieldNode, its buffers, then its
 * children's, depth first. `start` counts from a's logical start (a->offset is added here). */
static int plan_array(aipc_plan_t *p, const struct ArrowSchema *f, const struct ArrowArray *a,
                      int64_t start, int64_t len, int depth, uerr_t *err)
{
    aipc_type_t t, index;
    if (depth > AIPC_MAX_DEPTH) {
        uerr_set(err, "54000", "Arrow IPC: column \"%s\" is nested more than %d levels deep",
                 field_name(f), AIPC_MAX_DEPTH);
        return -1;
    }
    if (field_types(f, &t, &index, err) != 0)
        return -1;
    const struct ArrowSchema *vt = f->dictionary ? f->dictionary : f;
    if (!a || start < 0 || len < 0 || a->offset < 0 || start > a->length - len)
        return broken(f, "rows out of range", err);
    if (!f->dictionary && a->n_children != vt->n_children)
        return broken(f, "children do not match the schema", err);
    for (int64_t i = 0; !f->dictionary && i < a->n_children; i++)
        if (!a->children || !a->children[i])
            return broken(f, "a child is missing", err);
    int64_t phys = a->offset + start;
    if (f->dictionary) /* the indices; the dictionary goes in a DictionaryBatch */
        return plan_valid_array(p, f, vt, &index, a, phys, len, depth, err);
    switch (t.kind) {
    case AK_NULL: plan_node(p, len, len); return 0;
    case AK_SUNION:
    case AK_DUNION:
        if (!abuf(a, 0) && len > 0)
            return broken(f, "no type ids buffer", err);
        plan_node(p, len, 0);
        plan_buf(p, BS_RAW, abuf(a, 0), phys, 0, 0, (uint64_t)len);
        if (t.kind == AK_SUNION)
            return plan_children(p, vt, a, phys, len, depth, err);
        if (!abuf(a, 1) && len > 0)
            return broken(f, "no union offsets buffer", err);
        plan_buf(p, BS_RAW, abuf(a, 1), phys * 4, 0, 0, (uint64_t)len * 4);
        for (int64_t i = 0; i < vt->n_children; i++) /* offsets index the whole children */
            if (plan_array(p, vt->children[i], a->children[i], 0, a->children[i]->length, depth + 1,
                           err) != 0)
                return -1;
        return 0;
    default: return plan_valid_array(p, f, vt, &t, a, phys, len, depth, err);
    }
}

/* Plans rows [start, start + len) of every column of a result batch. */
static int plan_batch(aipc_plan_t *p, const struct ArrowSchema *schema,
                      const struct ArrowArray *array, int64_t start, int64_t len, uerr_t *err)
{
    if (root_check(schema, err) != 0)
        return -1;
    if (!array || array->n_children != schema->n_children || start < 0 || len < 0 ||
        array->offset < 0 || start > array->length - len ||
        (array->n_children > 0 && !array->children))
        return broken(schema, "the batch does not match its schema", err);
    int64_t phys = array->offset + start;
    const uint8_t *valid = abuf(array, 0);
    if (valid && array->null_count != 0 && count_zeros(valid, phys, len) > 0) {
        uerr_set(err, "XX000", "Arrow IPC: a record batch cannot hold NULL rows");
        return -1;
    }
    for (int64_t i = 0; i < schema->n_children; i++)
        if (plan_array(p, schema->children[i], array->children[i], phys, len, 1, err) != 0)
            return -1;
    return 0;
}

/* ---- record batches: writing ---- */

/* Copies count bits from bit `start` of src to dst (from bit 0), zeroing the unused bits of
 * the last byte. */
static void copy_bits(uint8_t *dst, const uint8_t *src, int64_t start, int64_t count)
{
    int64_t nbytes = (count + 7) / 8, first = start >> 3, last = (start + count - 1) >> 3;
    unsigned sh = (unsigned)(start & 7);
    if (count <= 0)
        return;
    if (sh == 0) {
        memcpy(dst, src + first, (size_t)nbytes);
    } else {
        for (int64_t i = 0; i < nbytes; i++) {
            unsigned v = src[first + i] >> sh;
            if (first + i + 1 <= last)
                v |= (unsigned)src[first + i + 1] << (8 - sh);
            dst[i] = (uint8_t)v;
        }
    }
    if (count & 7)
        dst[nbytes - 1] &= (uint8_t)((1u << (count & 7)) - 1);
}

/* Copies one planned buffer to dst (its unpadded length). */
static void buf_copy(uint8_t *dst, const aipc_buf_t *b)
{
    switch (b->how) {
    case BS_RAW:
        if (b->len)
            memcpy(dst, b->src + b->start, b->len);
        break;
    case BS_BITS:
        if (b->len)
            copy_bits(dst, b->src, b->start, b->count);
        break;
    case BS_OFF32:
        for (int64_t i = 0; i <= b->count; i++) {
            int32_t v = 0;
            if (b->src) {
                memcpy(&v, b->src + 4 * (b->start + i), 4);
                v = (int32_t)(v - b->base);
            }
            memcpy(dst + 4 * i, &v, 4);
        }
        break;
    case BS_OFF64:
        for (int64_t i = 0; i <= b->count; i++) {
            int64_t v = 0;
            if (b->src) {
                memcpy(&v, b->src + 8 * (b->start + i), 8);
                v -= b->base;
            }
            memcpy(dst + 8 * i, &v, 8);
        }
        break;
    }
}

/* Builds the RecordBatch table of a plan: length, nodes, buffers. */
static fb_ref_t batch_table(fb_builder_t *b, const aipc_plan_t *p, int64_t length)
{
    size_t nn = p->nnodes, nb = p->nbufs;
    uint8_t *le = xmalloc(16 * (nn > nb ? nn : nb) + 16);
    for (size_t i = 0; i < nn; i++) {
        le64(le + 16 * i, (uint64_t)p->nodes[2 * i]);
        le64(le + 16 * i + 8, (uint64_t)p->nodes[2 * i + 1]);
    }
    fb_ref_t nodes = fb_vec_raw(b, le, nn, 16, 8);
    for (size_t i = 0; i < nb; i++) {
        le64(le + 16 * i, p->bufs[i].off);
        le64(le + 16 * i + 8, p->bufs[i].len);
    }
    fb_ref_t bufs = fb_vec_raw(b, le, nb, 16, 8);
    free(le);
    fb_table_start(b);
    fb_add_i64(b, 0, length);
    fb_add_ref(b, 1, nodes);
    fb_add_ref(b, 2, bufs);
    return fb_table_end(b);
}

/* Appends a planned batch: the Message (a RecordBatch, or a DictionaryBatch of id dict_id
 * when dict_id >= 0) and its body. */
static int batch_write(ubuf_t *out, const aipc_plan_t *p, int64_t length, int64_t dict_id,
                       uerr_t *err)
{
    fb_builder_t b;
    int rc;
    fb_init(&b);
    fb_ref_t rb = batch_table(&b, p, length);
    if (dict_id >= 0) {
        fb_table_start(&b); /* DictionaryBatch */
        fb_add_i64(&b, 0, dict_id);
        fb_add_ref(&b, 1, rb);
        fb_add_u8(&b, 2, 0); /* isDelta */
        rb = fb_table_end(&b);
    }
    rc = message_emit(out, &b, dict_id >= 0 ? FBM_DICTIONARY : FBM_RECORD_BATCH, rb, p->body, err);
    fb_free(&b);
    if (rc != 0)
        return -1;
    ubuf_reserve(out, p->body);
    uint8_t *body = (uint8_t *)out->data + out->len;
    memset(body, 0, p->body);
    for (size_t i = 0; i < p->nbufs; i++)
        buf_copy(body + p->bufs[i].off, &p->bufs[i]);
    out->len += p->body;
    return 0;
}

int aipc_batch_size(const struct ArrowSchema *schema, const struct ArrowArray *array, int64_t start,
                    int64_t len, uint64_t *body_len, uint64_t *total, uerr_t *err)
{
    aipc_plan_t p = {0};
    ubuf_t meta = UBUF_INIT;
    fb_builder_t b;
    int rc = -1;
    fb_init(&b);
    if (plan_batch(&p, schema, array, start, len, err) != 0)
        goto out;
    if (message_emit(&meta, &b, FBM_RECORD_BATCH, batch_table(&b, &p, len), p.body, err) != 0)
        goto out;
    *body_len = p.body;
    *total = meta.len + p.body;
    rc = 0;
out:
    fb_free(&b);
    ubuf_free(&meta);
    plan_free(&p);
    return rc;
}

int aipc_batch_slice(ubuf_t *out, const struct ArrowSchema *schema, const struct ArrowArray *array,
                     int64_t start, int64_t len, uerr_t *err)
{
    aipc_plan_t p = {0};
    size_t at = out->len;
    int rc = -1;
    if (plan_batch(&p, schema, array, start, len, err) == 0 &&
        batch_write(out, &p, len, -1, err) == 0)
        rc = 0;
    if (rc != 0)
        out->len = at;
    plan_free(&p);
    return rc;
}

int aipc_batch_message(ubuf_t *out, const struct ArrowSchema *schema,
                       const struct ArrowArray *array, uerr_t *err)
{
    if (!array) {
        uerr_set(err, "XX000", "Arrow IPC: no array");
        return -1;
    }
    return aipc_batch_slice(out, schema, array, 0, array->length, err);
}

/* ---- dictionaries ---- */

/* Writes the DictionaryBatch of every dictionary-encoded field under f (array a), numbering
 * them as field_build does. */
static int dict_walk(ubuf_t *out, const struct ArrowSchema *f, const struct ArrowArray *a,
                     int depth, int64_t *next_dict, uerr_t *err)
{
    if (depth > AIPC_MAX_DEPTH) {
        uerr_set(err, "54000", "Arrow IPC: column \"%s\" is nested more than %d levels deep",
                 field_name(f), AIPC_MAX_DEPTH);
        return -1;
    }
    if (!a)
        return broken(f, "no array", err);
    if (f->dictionary) {
        aipc_plan_t p = {0};
        const struct ArrowArray *d = a->dictionary;
        int rc = -1;
        if (!d)
            return broken(f, "no dictionary", err);
        if (plan_array(&p, f->dictionary, d, 0, d->length, depth, err) == 0 &&
            batch_write(out, &p, d->length, (*next_dict)++, err) == 0)
            rc = 0;
        plan_free(&p);
        return rc; /* no dictionaries nested in its values (field_types refuses them) */
    }
    if (a->n_children != f->n_children || (f->n_children > 0 && !a->children))
        return broken(f, "children do not match the schema", err);
    for (int64_t i = 0; i < f->n_children; i++)
        if (dict_walk(out, f->children[i], a->children[i], depth + 1, next_dict, err) != 0)
            return -1;
    return 0;
}

int aipc_dictionary_messages(ubuf_t *out, const struct ArrowSchema *schema,
                             const struct ArrowArray *array, uerr_t *err)
{
    int64_t next_dict = 0;
    size_t at = out->len;
    if (root_check(schema, err) != 0)
        return -1;
    if (!array || array->n_children != schema->n_children ||
        (array->n_children > 0 && !array->children)) {
        uerr_set(err, "XX000", "Arrow IPC: the batch does not match its schema");
        return -1;
    }
    for (int64_t i = 0; i < schema->n_children; i++)
        if (dict_walk(out, schema->children[i], array->children[i], 1, &next_dict, err) != 0) {
            out->len = at;
            return -1;
        }
    return 0;
}
