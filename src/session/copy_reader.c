/* COPY FROM STDIN data formats; see copy_reader.h. The rules are PostgreSQL 15's (CopyReadLine,
 * CopyReadAttributesText / CopyReadAttributesCSV, the binary file format):
 *
 *   text    rows end at a newline ("\r\n" too) not escaped by a backslash; fields are split
 *           at the delimiter; \b \f \n \r \t \v, \ooo (octal), \xhh (hex) and \<c> (c itself)
 *           are de-escaped; a field whose raw text equals the NULL string is NULL; "\." ends
 *           the data.
 *   csv     rows end at a newline outside quotes; a quoted section may hold delimiters and
 *           newlines, the escape character escapes the quote (and itself); an unquoted field
 *           equal to the NULL string is NULL; a line that is exactly "\." ends the data.
 *   binary  "PGCOPY\n\377\r\n\0", int32 flags, int32 extension length + extension, then
 *           tuples: int16 field count (-1: trailer), per field int32 length (-1: NULL) + bytes.
 *
 * Input is scanned where it arrives: rows wholly inside a CopyData piece are parsed in place
 * and only an incomplete last row is copied, into `buf`, to be completed by the next piece.
 * A row with no backslash (text) or quote (CSV) and no carriage return, the common case, is
 * split at its delimiters eight bytes at a time and its fields are handed on where they lie
 * (plain_row); any other row takes the general, byte-at-a-time path. */
#include "session/copy_reader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "types/pgtypes.h"
#include "util/buf.h"
#include "util/utf8.h"
#include "util/xalloc.h"

#define COPY_BIN_HEADER 19 /* signature (11) + flags (4) + extension length (4) */

struct copy_reader {
    const copy_opts_t *o;     /* borrowed */
    const char *const *names; /* borrowed, may be NULL */
    size_t ncols, max_row;
    size_t null_len;         /* strlen(o->null_str) */
    ubuf_t buf;              /* the start of an incomplete row (or binary header) */
    size_t scan;             /* text/CSV: bytes of the pending row already scanned */
    bool in_quote, last_esc; /* CSV: the quote state at `scan` */
    ubuf_t fields;           /* de-escaped text of the current row's fields */
    eng_value_t *vals;       /* ncols fields handed to the callback */
    size_t *offs;            /* ncols offsets into `fields` (SIZE_MAX: NULL) */
    const char **direct;     /* ncols: a field without escapes, in place in the row, or NULL */
    uint64_t pat_delim;      /* the delimiter in every byte (plain_row) */
    uint64_t pat_special;    /* '\\' (text) or the quote (CSV) in every byte */
    uint64_t pat_pad;        /* in every byte, an ASCII byte neither the delimiter nor special */
    bool null_escape;        /* text: the NULL string is a backslash and a letter ("\\N") */
    bool fast;               /* the fast paths are used (copy_reader_set_fast) */
    int64_t line;            /* lines (tuples) read so far */
    int64_t rows;            /* data rows handed out */
    bool header_pending;     /* HEADER: the first line is skipped */
    bool bin_header_done;    /* binary: the file header was read */
    bool ended;              /* the end-of-data marker was seen */
};

copy_reader_t *copy_reader_new(const copy_opts_t *o, size_t ncols, const char *const *names,
                               size_t max_row)
{
    copy_reader_t *r = xcalloc(1, sizeof *r);
    r->o = o;
    r->names = names;
    r->ncols = ncols ? ncols : 1;
    r->max_row = max_row;
    r->null_len = strlen(o->null_str);
    r->vals = xcalloc(r->ncols, sizeof *r->vals);
    r->offs = xcalloc(r->ncols, sizeof *r->offs);
    r->direct = xcalloc(r->ncols, sizeof *r->direct);
    r->header_pending = o->header && o->format != COPY_FMT_BINARY;
    r->fast = true;
    char special = o->format == COPY_FMT_CSV ? o->quote : '\\';
    r->pat_delim = 0x0101010101010101ull * (unsigned char)o->delim;
    r->pat_special = 0x0101010101010101ull * (unsigned char)special;
    unsigned char pad = ' ';
    while (pad == (unsigned char)o->delim || pad == (unsigned char)special)
        pad++;
    r->pat_pad = 0x0101010101010101ull * pad;
    const char *ns = o->null_str;
    r->null_escape = o->format == COPY_FMT_TEXT && r->null_len == 2 && ns[0] == '\\' &&
                     ((ns[1] >= 'A' && ns[1] <= 'Z') || (ns[1] >= 'a' && ns[1] <= 'z'));
    return r;
}

void copy_reader_free(copy_reader_t *r)
{
    if (!r)
        return;
    ubuf_free(&r->buf);
    ubuf_free(&r->fields);
    free(r->vals);
    free(r->offs);
    free(r->direct);
    free(r);
}

void copy_reader_set_fast(copy_reader_t *r, bool on) { r->fast = on; }

int64_t copy_reader_line(const copy_reader_t *r) { return r->line; }
int64_t copy_reader_rows(const copy_reader_t *r) { return r->rows; }

static int bad_format(uerr_t *err, const char *msg)
{
    uerr_set(err, "22P04", "%s", msg);
    return -1;
}

static int too_long(const copy_reader_t *r, uerr_t *err)
{
    uerr_set(err, "54000", "COPY row is longer than the limit of %zu bytes", r->max_row);
    uerr_set_hint(err, "The limit is the server's max_message_size.");
    return -1;
}

/* Names column i (0-based) for messages. */
static void col_name(const copy_reader_t *r, size_t i, char *buf, size_t size)
{
    if (r->names && r->names[i])
        snprintf(buf, size, "\"%s\"", r->names[i]);
    else
        snprintf(buf, size, "%zu", i + 1);
}

static int missing_column(const copy_reader_t *r, size_t i, uerr_t *err)
{
    char name[128];
    col_name(r, i, name, sizeof name);
    uerr_set(err, "22P04", "missing data for column %s", name);
    return -1;
}

/* Hands the assembled text/CSV row (nf == ncols fields in `fields`/`offs`) to fn. */
static int emit_text_row(copy_reader_t *r, copy_row_fn fn, void *ctx, uerr_t *err)
{
    for (size_t i = 0; i < r->ncols; i++) {
        if (r->offs[i] == SIZE_MAX) {
            r->vals[i].data = NULL;
            r->vals[i].len = -1;
        } else if (r->direct[i]) {
            r->vals[i].data = r->direct[i];
        } else {
            r->vals[i].data = r->fields.data ? r->fields.data + r->offs[i] : "";
        }
    }
    r->rows++;
    return fn(ctx, r->vals, r->ncols, err);
}

/* Records the end of field nf: `raw` is its input text (for the NULL comparison), `start` the
 * offset of its de-escaped text in `fields`. */
static int end_field(copy_reader_t *r, size_t nf, const char *raw, size_t raw_len, bool may_null,
                     size_t start, uerr_t *err)
{
    if (nf >= r->ncols)
        return bad_format(err, "extra data after last expected column");
    r->direct[nf] = NULL;
    if (may_null && raw_len == r->null_len && memcmp(raw, r->o->null_str, raw_len) == 0) {
        r->offs[nf] = SIZE_MAX;
        r->fields.len = start;
    } else {
        r->offs[nf] = start;
        r->vals[nf].len = (int32_t)(r->fields.len - start);
    }
    return 0;
}

/* De-escapes one backslash sequence of the text format starting after the backslash at
 * row[*i]; appends the byte it stands for. Returns 1 for the end-of-data marker "\.", 0
 * otherwise; *high is set when an escape produced a non-ASCII byte. */
static int text_escape(copy_reader_t *r, const char *row, size_t len, size_t *i, bool *high)
{
    char c = row[(*i)++], out;
    switch (c) {
    case '0':
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
    case '6':
    case '7': {
        int v = c - '0';
        for (int k = 0; k < 2 && *i < len && row[*i] >= '0' && row[*i] <= '7'; k++)
            v = v * 8 + (row[(*i)++] - '0');
        out = (char)(v & 0xFF);
        break;
    }
    case 'x':
        if (*i < len && pgt_hex_digit(row[*i]) >= 0) {
            int v = pgt_hex_digit(row[(*i)++]);
            if (*i < len && pgt_hex_digit(row[*i]) >= 0)
                v = v * 16 + pgt_hex_digit(row[(*i)++]);
            out = (char)v;
        } else {
            out = 'x';
        }
        break;
    case 'b': out = '\b'; break;
    case 'f': out = '\f'; break;
    case 'n': out = '\n'; break;
    case 'r': out = '\r'; break;
    case 't': out = '\t'; break;
    case 'v': out = '\v'; break;
    case '.': return 1;
    default: out = c; break;
    }
    if ((unsigned char)out >= 0x80 || out == '\0')
        *high = true;
    ubuf_putc(&r->fields, out);
    return 0;
}

/* Splits one text-format row (without its line ending). Returns 1 when the row held the
 * end-of-data marker (the fields before it, if any, form the last row), 0, or -1. */
static int text_row(copy_reader_t *r, const char *row, size_t len, size_t *nfields, uerr_t *err)
{
    char delim = r->o->delim;
    size_t i = 0, nf = 0;
    ubuf_reset(&r->fields);
    for (;;) {
        size_t raw0 = i, start = r->fields.len, run = i;
        bool high = false;
        /* the common case: no escape in the field, which is then used where it lies */
        while (i < len && row[i] != delim && row[i] != '\\' && row[i] != '\r')
            i++;
        if (i >= len || row[i] == delim) {
            if (end_field(r, nf, row + raw0, i - raw0, true, start, err) != 0)
                return -1;
            if (r->offs[nf] != SIZE_MAX) {
                r->direct[nf] = row + raw0;
                r->vals[nf].len = (int32_t)(i - raw0);
            }
            nf++;
            if (i >= len)
                break;
            i++;
            continue;
        }
        while (i < len && row[i] != delim) {
            char c = row[i];
            if (c == '\r') {
                uerr_set(err, "22P04", "literal carriage return found in data");
                uerr_set_hint(err, "Use \"\\r\" to represent carriage return.");
                return -1;
            }
            if (c != '\\') {
                i++;
                continue;
            }
            ubuf_append(&r->fields, row + run, i - run);
            i++;
            if (i >= len) { /* a backslash at the very end of the data: dropped */
                run = i;
                break;
            }
            if (text_escape(r, row, len, &i, &high) == 1) {
                if (i != len)
                    return bad_format(err, "end-of-copy marker corrupt");
                if (nf == 0 && raw0 == 0 && r->fields.len == start) {
                    *nfields = 0; /* "\." alone: no row */
                    return 1;
                }
                if (end_field(r, nf, row + raw0, i - 2 - raw0, true, start, err) != 0)
                    return -1;
                *nfields = nf + 1;
                return 1;
            }
            run = i;
        }
        ubuf_append(&r->fields, row + run, i - run);
        if (high && uutf8_check(r->fields.data + start, r->fields.len - start, err) != 0)
            return -1;
        if (end_field(r, nf, row + raw0, i - raw0, true, start, err) != 0)
            return -1;
        nf++;
        if (i >= len)
            break;
        i++; /* the delimiter: another field follows, possibly empty */
    }
    *nfields = nf;
    return 0;
}

/* Splits one CSV row (without its line ending). */
static int csv_row(copy_reader_t *r, const char *row, size_t len, size_t *nfields, uerr_t *err)
{
    char delim = r->o->delim, quote = r->o->quote, esc = r->o->escape;
    size_t i = 0, nf = 0;
    ubuf_reset(&r->fields);
    for (;;) {
        size_t raw0 = i, start = r->fields.len, k = i;
        bool saw_quote = false;
        /* the common fields, used where they lie: unquoted without a quote or line break, or
         * quoted without an escape or inner quote and ending at a delimiter */
        if (!r->fast) {
            /* the general path below */
        } else if (k < len && row[k] == quote) {
            for (k++; k < len && row[k] != quote && row[k] != esc; k++)
                ;
            if (k < len && row[k] == quote && (k + 1 == len || row[k + 1] == delim)) {
                if (end_field(r, nf, row + raw0, 0, false, start, err) != 0)
                    return -1;
                r->direct[nf] = row + raw0 + 1;
                r->vals[nf].len = (int32_t)(k - raw0 - 1);
                i = k + 1;
                goto next;
            }
        } else {
            while (k < len && row[k] != delim && row[k] != quote && row[k] != '\r' &&
                   row[k] != '\n')
                k++;
            if (k == len || row[k] == delim) {
                if (end_field(r, nf, row + raw0, k - raw0, true, start, err) != 0)
                    return -1;
                if (r->offs[nf] != SIZE_MAX) {
                    r->direct[nf] = row + raw0;
                    r->vals[nf].len = (int32_t)(k - raw0);
                }
                i = k;
                goto next;
            }
        }
        while (i < len && row[i] != delim) {
            char c = row[i++];
            if (c != quote) {
                if (c == '\r' || c == '\n')
                    return bad_format(err, c == '\r' ? "unquoted carriage return found in data"
                                                     : "unquoted newline found in data");
                ubuf_putc(&r->fields, c);
                continue;
            }
            saw_quote = true;
            for (;;) { /* inside quotes */
                if (i >= len)
                    return bad_format(err, "unterminated CSV quoted field");
                c = row[i++];
                if (c == esc && i < len && (row[i] == quote || row[i] == esc)) {
                    ubuf_putc(&r->fields, row[i++]);
                    continue;
                }
                if (c == quote)
                    break;
                ubuf_putc(&r->fields, c);
            }
        }
        if (end_field(r, nf, row + raw0, i - raw0, !saw_quote, start, err) != 0)
            return -1;
    next:
        nf++;
        if (i >= len)
            break;
        i++;
    }
    *nfields = nf;
    return 0;
}

#define SWAR_LO7 0x7F7F7F7F7F7F7F7Full
#define SWAR_CR (0x0101010101010101ull * '\r')

/* 0x80 in every byte of x that is zero, 0 in the others (exact, unlike the borrow trick). */
static inline uint64_t zero_bytes(uint64_t x)
{
    return ~(((x & SWAR_LO7) + SWAR_LO7) | x | SWAR_LO7);
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/* Text: whether every backslash flagged in m (0x80 per byte of the word at row[i]) begins a
 * field that is exactly the NULL string ("\N"), which a plain row may hold: such a field is
 * NULL by its raw text, and a backslash and a letter never make the general path fail. */
static bool only_null_escapes(const copy_reader_t *r, const char *row, size_t len, size_t i,
                              uint64_t m)
{
    if (!r->null_escape)
        return false;
    for (; m; m &= m - 1) {
        size_t b = i + ((size_t)__builtin_ctzll(m) >> 3);
        if ((b > 0 && row[b - 1] != r->o->delim) || b + 1 >= len ||
            row[b + 1] != r->o->null_str[1] || (b + 2 < len && row[b + 2] != r->o->delim))
            return false;
    }
    return true;
}
#endif

/* The common row: no backslash (text) or quote (CSV) and no carriage return, so every field is
 * its own raw text (in text, a field that is exactly the NULL string "\N" may hold one). Splits it
 * at the delimiters, eight bytes at a time, into r->vals (pointing into the row). Returns the
 * number of fields, or SIZE_MAX when the row is not plain or has too many fields (the caller
 * takes the general path, which words any error in its order). *ascii is set when the bytes scanned
 * hold neither a NUL nor a byte >= 0x80 (then the row is valid UTF-8); it is only meaningful for a
 * plain row. */
static size_t plain_row(copy_reader_t *r, const char *row, size_t len, bool *ascii)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    size_t nf = 0, start = 0, ncols = r->ncols, null_len = r->null_len;
    const char *null_str = r->o->null_str;
    uint64_t bad = 0; /* high bits and NUL bytes seen */
    for (size_t i = 0; i < len; i += 8) {
        uint64_t w;
        if (len - i >= 8) {
            memcpy(&w, row + i, 8);
        } else { /* the last bytes, padded with a byte that is nothing special */
            size_t rest = len - i;
            w = r->pat_pad << (8 * rest);
            for (size_t k = 0; k < rest; k++)
                w |= (uint64_t)(unsigned char)row[i + k] << (8 * k);
        }
        bad |= (w & 0x8080808080808080ull) | zero_bytes(w);
        uint64_t special = zero_bytes(w ^ r->pat_special);
        if (zero_bytes(w ^ SWAR_CR) || (special && !only_null_escapes(r, row, len, i, special))) {
            *ascii = false;
            return SIZE_MAX;
        }
        for (uint64_t m = zero_bytes(w ^ r->pat_delim); m; m &= m - 1) {
            size_t end = i + ((size_t)__builtin_ctzll(m) >> 3);
            if (nf + 1 >= ncols) { /* extra data: the general path words it */
                *ascii = false;
                return SIZE_MAX;
            }
            size_t n = end - start;
            bool null = n == null_len && memcmp(row + start, null_str, n) == 0;
            r->vals[nf].data = null ? NULL : row + start;
            r->vals[nf].len = null ? -1 : (int32_t)n;
            nf++;
            start = end + 1;
        }
    }
    size_t n = len - start;
    bool null = n == null_len && memcmp(row + start, null_str, n) == 0;
    r->vals[nf].data = null ? NULL : row + start;
    r->vals[nf].len = null ? -1 : (int32_t)n;
    *ascii = bad == 0;
    return nf + 1;
#else
    (void)r, (void)row, (void)len;
    *ascii = false;
    return SIZE_MAX;
#endif
}

/* One complete text/CSV line (without its line ending). Returns 1 at the end marker. */
static int on_line(copy_reader_t *r, const char *row, size_t len, copy_row_fn fn, void *ctx,
                   uerr_t *err)
{
    size_t nf = 0;
    int rc;
    r->line++;
    if (r->header_pending) {
        r->header_pending = false;
        return 0;
    }
    if (r->o->format == COPY_FMT_CSV && len == 2 && row[0] == '\\' && row[1] == '.')
        return 1;
    bool ascii = false;
    nf = r->fast ? plain_row(r, row, len, &ascii) : SIZE_MAX;
    if (!ascii && uutf8_check(row, len, err) != 0)
        return -1;
    if (nf != SIZE_MAX) {
        if (nf < r->ncols)
            return missing_column(r, nf, err);
        r->rows++;
        return fn(ctx, r->vals, r->ncols, err);
    }
    rc = r->o->format == COPY_FMT_CSV ? csv_row(r, row, len, &nf, err)
                                      : text_row(r, row, len, &nf, err);
    if (rc < 0)
        return -1;
    if (rc == 1 && nf == 0)
        return 1;
    if (nf < r->ncols)
        return missing_column(r, nf, err);
    if (emit_text_row(r, fn, ctx, err) != 0)
        return -1;
    return rc;
}

/* True when the newline at p[nl] is escaped by an odd run of backslashes (text format). */
static bool escaped_at(const char *p, size_t from, size_t nl)
{
    size_t k = 0;
    while (nl > from + k && p[nl - 1 - k] == '\\')
        k++;
    return k % 2 == 1;
}

/* Finds the end of the row starting at p[from] (the newline's offset) scanning from *scan;
 * returns SIZE_MAX when the row is incomplete (and leaves *scan and the CSV state there). */
static size_t find_row_end(copy_reader_t *r, const char *p, size_t n, size_t from, size_t *scan)
{
    size_t i = *scan > from ? *scan : from;
    if (r->o->format != COPY_FMT_CSV) {
        for (;;) {
            const char *nl = memchr(p + i, '\n', n - i);
            if (!nl) {
                *scan = n;
                return SIZE_MAX;
            }
            i = (size_t)(nl - p);
            if (!escaped_at(p, from, i))
                return i;
            i++;
        }
    }
    /* as in PostgreSQL: an escape equal to the quote is just the quote, which toggles */
    char quote = r->o->quote, esc = r->o->escape == quote ? '\0' : r->o->escape;
    for (; i < n; i++) {
        char c = p[i];
        if (r->in_quote && c == esc)
            r->last_esc = !r->last_esc;
        if (c == quote && !r->last_esc)
            r->in_quote = !r->in_quote;
        if (c != esc)
            r->last_esc = false;
        if (c == '\n' && !r->in_quote) {
            r->last_esc = false;
            return i;
        }
    }
    *scan = n;
    return SIZE_MAX;
}

/* Length of the row p[from..nl) without a "\r" that ends it ("\r\n" line endings). */
static size_t strip_cr(const copy_reader_t *r, const char *p, size_t from, size_t nl)
{
    if (nl > from && p[nl - 1] == '\r' &&
        (r->o->format == COPY_FMT_CSV || !escaped_at(p, from, nl - 1)))
        return nl - 1 - from;
    return nl - from;
}

/* Text/CSV: handles every complete row in p[0..n); returns the bytes consumed or -1. */
static long process_lines(copy_reader_t *r, const char *p, size_t n, copy_row_fn fn, void *ctx,
                          uerr_t *err)
{
    size_t pos = 0;
    while (!r->ended) {
        size_t nl = find_row_end(r, p, n, pos, &r->scan);
        if (nl == SIZE_MAX)
            break;
        if (nl - pos > r->max_row)
            return too_long(r, err);
        int rc = on_line(r, p + pos, strip_cr(r, p, pos, nl), fn, ctx, err);
        if (rc < 0)
            return -1;
        pos = nl + 1;
        r->scan = pos;
        if (rc == 1)
            r->ended = true;
    }
    if (r->ended)
        return (long)n;
    if (n - pos > r->max_row)
        return too_long(r, err);
    return (long)pos;
}

static uint32_t rd32(const char *p)
{
    const unsigned char *u = (const unsigned char *)p;
    return (uint32_t)u[0] << 24 | (uint32_t)u[1] << 16 | (uint32_t)u[2] << 8 | u[3];
}

/* Binary: the file header at p[0..n). Returns the bytes it occupies, 0 when incomplete, -1. */
static long binary_header(copy_reader_t *r, const char *p, size_t n, uerr_t *err)
{
    static const char sig[11] = "PGCOPY\n\377\r\n";
    if (n < COPY_BIN_HEADER)
        return memcmp(p, sig, n < 11 ? n : 11) == 0 ? 0
                                                    : bad_format(err, "COPY file signature "
                                                                      "not recognized");
    if (memcmp(p, sig, 11) != 0)
        return bad_format(err, "COPY file signature not recognized");
    uint32_t flags = rd32(p + 11), ext = rd32(p + 15);
    if (flags & (1u << 16))
        return bad_format(err, "invalid COPY file header (WITH OIDS)");
    if (flags & 0xFFFE0000u)
        return bad_format(err, "unrecognized critical flags in COPY file header");
    if (ext > r->max_row)
        return too_long(r, err);
    if (n - COPY_BIN_HEADER < ext)
        return 0;
    r->bin_header_done = true;
    return (long)(COPY_BIN_HEADER + ext);
}

/* Binary: one tuple at p[0..n). Returns its size (0 when incomplete; 2 for the trailer, which
 * sets `ended`) or -1; fills vals. */
static long binary_tuple(copy_reader_t *r, const char *p, size_t n, uerr_t *err)
{
    if (n < 2)
        return 0;
    int16_t count = (int16_t)((unsigned char)p[0] << 8 | (unsigned char)p[1]);
    if (count == -1) {
        r->ended = true;
        return 2;
    }
    if (count < 0 || (size_t)count != r->ncols) {
        uerr_set(err, "22P04", "row field count is %d, expected %zu", count, r->ncols);
        return -1;
    }
    size_t q = 2;
    for (size_t i = 0; i < r->ncols; i++) {
        if (q > r->max_row)
            return too_long(r, err);
        if (n - q < 4)
            return 0;
        int32_t len = (int32_t)rd32(p + q);
        q += 4;
        if (len < -1)
            return bad_format(err, "invalid field size");
        r->vals[i].data = len < 0 ? NULL : p + q;
        r->vals[i].len = len;
        if (len < 0)
            continue;
        if ((size_t)len > r->max_row)
            return too_long(r, err);
        if (n - q < (size_t)len)
            return 0;
        q += (size_t)len;
    }
    return (long)q;
}

static long process_binary(copy_reader_t *r, const char *p, size_t n, copy_row_fn fn, void *ctx,
                           uerr_t *err)
{
    size_t pos = 0;
    if (!r->bin_header_done) {
        long h = binary_header(r, p, n, err);
        if (h <= 0)
            return h;
        pos = (size_t)h;
    }
    while (!r->ended) {
        long t = binary_tuple(r, p + pos, n - pos, err);
        if (t < 0)
            return -1;
        if (t == 0)
            break;
        pos += (size_t)t;
        if (r->ended)
            break;
        r->line++;
        r->rows++;
        if (fn(ctx, r->vals, r->ncols, err) != 0)
            return -1;
    }
    return r->ended ? (long)n : (long)pos;
}

static long process(copy_reader_t *r, const char *p, size_t n, copy_row_fn fn, void *ctx,
                    uerr_t *err)
{
    return r->o->format == COPY_FMT_BINARY ? process_binary(r, p, n, fn, ctx, err)
                                           : process_lines(r, p, n, fn, ctx, err);
}

int copy_reader_feed(copy_reader_t *r, const char *data, size_t n, copy_row_fn fn, void *ctx,
                     uerr_t *err)
{
    long used;
    if (r->ended || n == 0)
        return 0;
    if (r->buf.len == 0) { /* parse in place; keep only an incomplete last row */
        used = process(r, data, n, fn, ctx, err);
        if (used < 0)
            return -1;
        ubuf_append(&r->buf, data + used, n - (size_t)used);
        r->scan = r->scan > (size_t)used ? r->scan - (size_t)used : 0;
        return 0;
    }
    ubuf_append(&r->buf, data, n);
    used = process(r, r->buf.data, r->buf.len, fn, ctx, err);
    if (used < 0)
        return -1;
    ubuf_consume(&r->buf, (size_t)used);
    r->scan = r->scan > (size_t)used ? r->scan - (size_t)used : 0;
    return 0;
}

int copy_reader_finish(copy_reader_t *r, copy_row_fn fn, void *ctx, uerr_t *err)
{
    if (r->ended)
        return 0;
    if (r->o->format == COPY_FMT_BINARY) {
        if (!r->bin_header_done)
            return bad_format(err, "COPY file signature not recognized");
        if (r->buf.len)
            return bad_format(err, "unexpected EOF in COPY data");
        return 0;
    }
    if (r->buf.len == 0)
        return 0;
    if (r->o->format == COPY_FMT_CSV && r->in_quote)
        return bad_format(err, "unterminated CSV quoted field");
    size_t len = r->buf.len;
    if (r->buf.data[len - 1] == '\r')
        len = strip_cr(r, r->buf.data, 0, len);
    int rc = on_line(r, r->buf.data, len, fn, ctx, err);
    ubuf_reset(&r->buf);
    r->ended = true;
    return rc < 0 ? -1 : 0;
}
