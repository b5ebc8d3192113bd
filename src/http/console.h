/* http console: the web console's static files (web/ in the source tree), built into the
 * binary by scripts/embed_assets.sh (a generated console_assets.c under the build directory)
 * and looked up by request path here. The server answers GET / and GET /console/NAME with
 * them; the page itself holds no data, so it needs no authentication (the API calls it makes
 * do). Nothing here touches the file system. */
#ifndef DUCKD_HTTP_CONSOLE_H
#define DUCKD_HTTP_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>

/* The headers every console file is served with: a strict Content-Security-Policy (the page's
 * own scripts, styles and API calls only; no inline code, no framing), no MIME sniffing, no
 * referrer, and revalidation against the ETag on every load. */
#define HTTP_CONSOLE_CSP                                                                           \
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "               \
    "form-action 'none'; frame-ancestors 'none'"
#define HTTP_CONSOLE_CACHE "no-cache"

/* Finds the console file a request path names: "/" and "/console/" are index.html,
 * "/console/NAME" is the file NAME (a plain name of web/, no further '/'). Returns true with
 * *data (static, len bytes followed by a NUL), *len and *content_type (static) set, or false
 * when the path names no console file. */
bool http_console_asset(const char *path, const unsigned char **data, size_t *len,
                        const char **content_type);
/* The entity tag of the current set of console files, quoted (static): it changes whenever a
 * file of web/ changes. */
const char *http_console_etag(void);

/* ---- written by scripts/embed_assets.sh (cross-file internals) ---- */

typedef struct http_console_file {
    const char *name;          /* base name in web/ */
    const unsigned char *data; /* len bytes, then a NUL */
    size_t len;
} http_console_file_t;

extern const http_console_file_t http__console_files[];
extern const size_t http__console_nfiles;
extern const char http__console_etag[];

#endif
