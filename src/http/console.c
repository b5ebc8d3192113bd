/* http console: path lookup and content types of the embedded web console; see console.h. */
#include "http/console.h"

#include <string.h>

/* The Content-Type of a file name by its extension (static). */
static const char *content_type_of(const char *name)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".json", "application/json"},
        {".txt", "text/plain; charset=utf-8"},
    };
    const char *dot = strrchr(name, '.');
    for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
        if (!strcmp(dot, types[i].ext))
            return types[i].type;
    return "application/octet-stream";
}

bool http_console_asset(const char *path, const unsigned char **data, size_t *len,
                        const char **content_type)
{
    static const char prefix[] = "/console/";
    const char *name = NULL;
    if (!strcmp(path, "/") || !strcmp(path, prefix))
        name = "index.html";
    else if (!strncmp(path, prefix, sizeof prefix - 1))
        name = path + sizeof prefix - 1;
    if (!name || strchr(name, '/'))
        return false;
    for (size_t i = 0; i < http__console_nfiles; i++) {
        if (!strcmp(http__console_files[i].name, name)) {
            *data = http__console_files[i].data;
            *len = http__console_files[i].len;
            *content_type = content_type_of(name);
            return true;
        }
    }
    return false;
}

const char *http_console_etag(void) { return http__console_etag; }
