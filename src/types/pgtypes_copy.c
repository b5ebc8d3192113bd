/* COPY TO field formats (text and CSV), byte-compatible with PostgreSQL's CopyAttributeOutText
 * and CopyAttributeOutCSV for UTF-8 data. */
#include <string.h>

#include "types/pgtypes.h"

void pgt_copy_text_field(ubuf_t *out, const char *v, size_t n, char delim)
{
    size_t run = 0; /* start of the pending run of bytes that need no escape */
    for (size_t i = 0; i < n; i++) {
        char c = v[i], e;
        switch (c) {
        case '\\': e = '\\'; break;
        case '\b': e = 'b'; break;
        case '\f': e = 'f'; break;
        case '\n': e = 'n'; break;
        case '\r': e = 'r'; break;
        case '\t': e = 't'; break;
        case '\v': e = 'v'; break;
        default:
            if (c != delim)
                continue;
            e = c;
            break;
        }
        ubuf_append(out, v + run, i - run);
        ubuf_putc(out, '\\');
        ubuf_putc(out, e);
        run = i + 1;
    }
    ubuf_append(out, v + run, n - run);
}

void pgt_copy_csv_field(ubuf_t *out, const char *v, size_t n, char delim, char quote, char escape,
                        const char *null_str, bool single_column)
{
    bool need = (n == strlen(null_str) && memcmp(v, null_str, n) == 0) ||
                (single_column && n == 2 && v[0] == '\\' && v[1] == '.');
    for (size_t i = 0; i < n && !need; i++)
        need = v[i] == delim || v[i] == quote || v[i] == '\n' || v[i] == '\r';
    if (!need) {
        ubuf_append(out, v, n);
        return;
    }
    ubuf_putc(out, quote);
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i] == quote || v[i] == escape) {
            ubuf_append(out, v + run, i - run);
            ubuf_putc(out, escape);
            run = i; /* the character itself follows its escape */
        }
    }
    ubuf_append(out, v + run, n - run);
    ubuf_putc(out, quote);
}
