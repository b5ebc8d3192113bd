/* libFuzzer target for the COPY FROM STDIN data reader. The first byte picks the format and
 * options, the second the column count (1..8) and the size of the pieces the rest is fed in
 * (as CopyData messages of that size), so rows straddle pieces at every offset. Every row the
 * reader hands out must have exactly the column count, with lengths inside the cap; its bytes
 * are touched so AddressSanitizer sees any field pointing outside live memory. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "session/copy.h"
#include "session/copy_reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ROW 4096

typedef struct {
    size_t ncols;
    unsigned sum;
} ctx_t;

static int on_row(void *ctx, const eng_value_t *f, size_t n, uerr_t *err)
{
    ctx_t *c = ctx;
    (void)err;
    if (n != c->ncols)
        abort();
    for (size_t i = 0; i < n; i++) {
        if (f[i].len < -1 || f[i].len > 2 * MAX_ROW)
            abort();
        for (int32_t k = 0; k < f[i].len; k++)
            c->sum += (unsigned char)f[i].data[k];
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    const char *stmt = stmts[data[0] % (sizeof stmts / sizeof stmts[0])];
    ctx_t c = {1 + (data[1] & 7), 0};
    size_t piece = 1 + (data[1] >> 3) * 7;
    copy_opts_t o;
    const char *state = NULL, *msg = NULL;
    if (copy_parse(stmt, strlen(stmt), &o, &state, &msg) != COPY_OK)
        abort();
    copy_reader_t *r = copy_reader_new(&o, c.ncols, NULL, MAX_ROW);
    uerr_t err = UERR_INIT;
    const char *p = (const char *)data + 2;
    size_t n = size - 2;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i += piece)
        rc = copy_reader_feed(r, p + i, n - i < piece ? n - i : piece, on_row, &c, &err);
    if (rc == 0)
        rc = copy_reader_finish(r, on_row, &c, &err);
    if ((rc != 0) != uerr_isset(&err))
        abort();
    uerr_clear(&err);
    copy_reader_free(r);
    copy_opts_free(&o);
    return 0;
}
