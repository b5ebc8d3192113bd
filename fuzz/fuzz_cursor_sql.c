/* libFuzzer target for the cursor statement grammar (session/cursor_sql.c): parses the input
 * as one statement and checks the result's invariants: a name for everything but CLOSE ALL,
 * no longer than PostgreSQL's 63 bytes, DECLARE's query inside the input and not empty, a
 * static SQLSTATE and message on failure; then classifies it through compat_classify too. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "session/compat.h"
#include "session/cursor_sql.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *get_param(void *ctx, const char *name)
{
    (void)ctx;
    const compat_param_t *p = compat_param_find(name);
    return p ? p->dflt : "duckd";
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    const char *state = NULL, *msg = NULL;
    csql_t c;
    int r = csql_parse(s, size, &c, &state, &msg);
    if (r < -1 || r > 1)
        abort();
    if (r < 0 && (!state || strlen(state) != 5 || !msg || !*msg))
        abort();
    if (r == 1) {
        if (!c.name && !(c.kind == CSQL_CLOSE))
            abort();
        if (c.name && strlen(c.name) > 63)
            abort();
        if (c.kind == CSQL_DECLARE && (c.query_off == 0 || c.query_off >= size))
            abort();
        if ((c.kind == CSQL_FETCH || c.kind == CSQL_MOVE) && c.dir > CSQL_RELATIVE)
            abort();
        csql_free(&c);
    }
    compat_t k;
    compat_classify(s, size, get_param, NULL, &k);
    if (r == 1 && (k.action != COMPAT_CURSOR || !k.cursor))
        abort();
    compat_free(&k);
    return 0;
}
