/* libFuzzer target for the COPY FROM STDIN data reader. The first byte picks the format and
 * options, the second the column count (1..8) and the size of the pieces the rest is fed in
 * (as CopyData messages of that size), so rows straddle pieces at every offset. Every row the
 * reader hands out must have exactly the column count, with lengths inside the cap; its bytes
 * are touched so AddressSanitizer sees any field pointing outside live memory. Each input is
 * read twice, with the fast paths for plain rows and fields and without them
 * (copy_reader_set_fast): both must give the same rows (fields, lengths, NULLs), the same
 * result and the same error (SQLSTATE, message, line). */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "session/copy.h"
#include "session/copy_reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ROW 4096

typedef struct {
    size_t ncols;
    uint64_t hash; /* FNV-1a over every row's field lengths and bytes */
} ctx_t;

static void mix(ctx_t *c, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        c->hash = (c->hash ^ b[i]) * 1099511628211ull;
}

static int on_row(void *ctx, const eng_value_t *f, size_t n, uerr_t *err)
{
    ctx_t *c = ctx;
    (void)err;
    if (n != c->ncols)
        abort();
    for (size_t i = 0; i < n; i++) {
        if (f[i].len < -1 || f[i].len > 2 * MAX_ROW)
            abort();
        mix(c, &f[i].len, sizeof f[i].len);
        if (f[i].len > 0)
            mix(c, f[i].data, (size_t)f[i].len);
    }
    return 0;
}

static const char *const stmts[] = {
    "COPY t FROM STDIN",
    "COPY t FROM STDIN (FORMAT csv)",
    "COPY t FROM STDIN (FORMAT binary)",
    "COPY t FROM STDIN (FORMAT csv, HEADER, DELIMITER ';', NULL 'N', QUOTE '''', ESCAPE '\\')",
    "COPY t FROM STDIN (DELIMITER ',', NULL '', HEADER)",
    "COPY t FROM STDIN (FORMAT csv, ESCAPE '\\')",
};

/* One read of the input; fills *c, *err and *line; returns the reader's result. */
static int read_all(const copy_opts_t *o, const uint8_t *data, size_t size, bool fast, ctx_t *c,
                    uerr_t *err, int64_t *line)
{
    size_t piece = 1 + (data[1] >> 3) * 7;
    copy_reader_t *r = copy_reader_new(o, c->ncols, NULL, MAX_ROW);
    copy_reader_set_fast(r, fast);
    const char *p = (const char *)data + 2;
    size_t n = size - 2;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i += piece)
        rc = copy_reader_feed(r, p + i, n - i < piece ? n - i : piece, on_row, c, err);
    if (rc == 0)
        rc = copy_reader_finish(r, on_row, c, err);
    if ((rc != 0) != uerr_isset(err))
        abort();
    *line = copy_reader_line(r);
    copy_reader_free(r);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    const char *stmt = stmts[data[0] % (sizeof stmts / sizeof stmts[0])];
    copy_opts_t o;
    const char *state = NULL, *msg = NULL;
    if (copy_parse(stmt, strlen(stmt), &o, &state, &msg) != COPY_OK)
        abort();
    ctx_t fast = {1 + (data[1] & 7), 14695981039346656037ull}, slow = fast;
    uerr_t efast = UERR_INIT, eslow = UERR_INIT;
    int64_t lfast, lslow;
    int rfast = read_all(&o, data, size, true, &fast, &efast, &lfast);
    int rslow = read_all(&o, data, size, false, &slow, &eslow, &lslow);
    if (rfast != rslow || fast.hash != slow.hash || lfast != lslow)
        abort();
    if (rfast != 0 &&
        (strcmp(efast.sqlstate, eslow.sqlstate) != 0 || strcmp(efast.message, eslow.message) != 0))
        abort();
    uerr_clear(&efast);
    uerr_clear(&eslow);
    copy_opts_free(&o);
    return 0;
}
