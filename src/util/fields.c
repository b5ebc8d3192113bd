/* Line and field splitting; see fields.h. */
#include "util/fields.h"

#include <string.h>

static bool is_blank(char c) { return c == ' ' || c == '\t'; }

void ufields_split(const char *line, size_t len, int max, ufields_t *fs)
{
    size_t i = 0;
    if (max > UFIELDS_MAX)
        max = UFIELDS_MAX;
    if (len && line[len - 1] == '\r')
        len--;
    fs->count = 0;
    while (i < len && fs->count < max) {
        while (i < len && is_blank(line[i]))
            i++;
        if (i == len)
            break;
        size_t start = i;
        while (i < len && !is_blank(line[i]))
            i++;
        fs->f[fs->count] = line + start;
        fs->n[fs->count++] = i - start;
    }
}

bool ulines_next(const char *text, size_t len, size_t *pos, const char **line, size_t *n)
{
    if (*pos >= len)
        return false;
    const char *p = text + *pos;
    const char *nl = memchr(p, '\n', len - *pos);
    *line = p;
    *n = nl ? (size_t)(nl - p) : len - *pos;
    *pos += *n + (nl != NULL);
    return true;
}
