/* http codec: routing, negotiation, request parsing, error mapping and result encoders for
 * the HTTP API; see codec.h. Pure functions over buffers: nothing here blocks or allocates
 * beyond what a caller-imposed cap allows. */
#include "http/codec.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/utf8.h"
#include "util/xalloc.h"

#define HTTP_IDENT_MAX 63 /* bytes of one identifier, as PostgreSQL's NAMEDATALEN - 1 */

/* The length of the valid UTF-8 sequence at s (n bytes available), 0 when it is not one. */
static size_t utf8_seq_len(const char *s, size_t n)
{
    size_t bad = 0;
    size_t k = (unsigned char)s[0] >= 0xF0 ? 4 : (unsigned char)s[0] >= 0xE0 ? 3 : 2;
    if (k > n || !uutf8_valid(s, k, &bad))
        return 0;
    return k;
}

static bool utf8_valid(const char *s, size_t n)
{
    size_t bad = 0;
    return uutf8_valid(s, n, &bad);
}

/* ---- routing ---- */

http_route_t http_route(const char *method, const char *path, char *table, const char **allow)
{
    static const char prefix[] = "/v1/ingest/";
    http_route_t r = HTTP_ROUTE_NOT_FOUND;
    bool get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
    bool post = !strcmp(method, "POST");
    *allow = "";
    table[0] = '\0';
    if (!strcmp(path, "/v1/query")) {
        *allow = "POST, OPTIONS";
        r = post ? HTTP_ROUTE_QUERY : HTTP_ROUTE_BAD_METHOD;
    } else if (!strncmp(path, prefix, sizeof prefix - 1) && path[sizeof prefix - 1] &&
               !strchr(path + sizeof prefix - 1, '/')) {
        const char *t = path + sizeof prefix - 1;
        if (strlen(t) > HTTP_TABLE_MAX)
            return HTTP_ROUTE_NOT_FOUND;
        strcpy(table, t);
        *allow = "POST, OPTIONS";
        r = post ? HTTP_ROUTE_INGEST : HTTP_ROUTE_BAD_METHOD;
    } else if (!strcmp(path, "/v1/info") || !strcmp(path, "/v1/sessions")) {
        *allow = "GET, HEAD, OPTIONS";
        r = !get ? HTTP_ROUTE_BAD_METHOD : path[4] == 'i' ? HTTP_ROUTE_INFO : HTTP_ROUTE_SESSIONS;
    } else if (!strncmp(path, "/v1/sessions/", 13)) {
        const char *id = path + 13;
        size_t n = strspn(id, "0123456789");
        if (n == 0 || n > 10 || strcmp(id + n, "/cancel") != 0)
            return HTTP_ROUTE_NOT_FOUND;
        memcpy(table, id, n);
        table[n] = '\0';
        *allow = "POST, OPTIONS";
        r = post ? HTTP_ROUTE_CANCEL : HTTP_ROUTE_BAD_METHOD;
    } else if (!strcmp(path, "/metrics")) {
        *allow = "GET, HEAD, OPTIONS";
        r = get ? HTTP_ROUTE_METRICS : HTTP_ROUTE_BAD_METHOD;
    } else if (!strcmp(path, "/healthz") || !strcmp(path, "/readyz")) {
        *allow = "GET, HEAD, OPTIONS";
        r = !get ? HTTP_ROUTE_BAD_METHOD : path[1] == 'h' ? HTTP_ROUTE_HEALTHZ : HTTP_ROUTE_READYZ;
    }
    if (r == HTTP_ROUTE_BAD_METHOD && !strcmp(method, "OPTIONS"))
        r = HTTP_ROUTE_PREFLIGHT;
    return r;
}

static int ident_part(const char *p, size_t n, ubuf_t *out, uerr_t *err)
{
    if (n == 0 || n > HTTP_IDENT_MAX) {
        uerr_set(err, "42602", "invalid table name: each part must be 1 to %d bytes",
                 HTTP_IDENT_MAX);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c < 0x20 || c == 0x7f || c == '"') {
            uerr_set(err, "42602", "invalid table name: control characters and '\"' are refused");
            return -1;
        }
    }
    if (!utf8_valid(p, n)) {
        uerr_set(err, "42602", "invalid table name: not UTF-8");
        return -1;
    }
    ubuf_putc(out, '"');
    ubuf_append(out, p, n);
    ubuf_putc(out, '"');
    return 0;
}

int http_table_ident(const char *table, ubuf_t *out, uerr_t *err)
{
    const char *dot = strchr(table, '.');
    if (dot && strchr(dot + 1, '.')) {
        uerr_set(err, "42602", "invalid table name: at most one '.' (schema.table)");
        return -1;
    }
    if (dot) {
        if (ident_part(table, (size_t)(dot - table), out, err) != 0)
            return -1;
        ubuf_putc(out, '.');
        return ident_part(dot + 1, strlen(dot + 1), out, err);
    }
    return ident_part(table, strlen(table), out, err);
}

/* ---- formats ---- */

static const struct {
    const char *name, *mime;
} formats[] = {
    [HTTP_FMT_JSON] = {"json", "application/json"},
    [HTTP_FMT_NDJSON] = {"ndjson", "application/x-ndjson"},
    [HTTP_FMT_CSV] = {"csv", "text/csv"},
    [HTTP_FMT_ARROW] = {"arrow", "application/vnd.apache.arrow.stream"},
    [HTTP_FMT_PARQUET] = {"parquet", "application/vnd.apache.parquet"},
};

const char *http_format_mime(http_format_t f) { return formats[f].mime; }
const char *http_format_name(http_format_t f) { return formats[f].name; }

/* Matches one media type (n bytes, parameters already cut) against the formats. */
static int media_format(const char *m, size_t n, http_format_t *out)
{
    static const struct {
        const char *type;
        http_format_t f;
    } aliases[] = {{"*/*", HTTP_FMT_JSON},
                   {"application/*", HTTP_FMT_JSON},
                   {"application/ndjson", HTTP_FMT_NDJSON},
                   {"application/jsonl", HTTP_FMT_NDJSON},
                   {"application/json-seq", HTTP_FMT_NDJSON},
                   {"text/*", HTTP_FMT_CSV},
                   {"application/parquet", HTTP_FMT_PARQUET},
                   {"application/vnd.apache.arrow.file", HTTP_FMT_ARROW}};
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
        if (strlen(formats[i].mime) == n && !strncasecmp(m, formats[i].mime, n)) {
            *out = (http_format_t)i;
            return 0;
        }
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
        if (strlen(aliases[i].type) == n && !strncasecmp(m, aliases[i].type, n)) {
            *out = aliases[i].f;
            return 0;
        }
    return -1;
}

int http_pick_format(const char *format_param, const char *accept, http_format_t *out)
{
    *out = HTTP_FMT_JSON;
    if (format_param) {
        for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
            if (!strcasecmp(format_param, formats[i].name)) {
                *out = (http_format_t)i;
                return 0;
            }
        return -1;
    }
    if (!accept || !*accept)
        return 0;
    for (const char *p = accept; *p;) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        const char *start = p;
        while (*p && *p != ',' && *p != ';' && *p != ' ' && *p != '\t')
            p++;
        if (p > start && media_format(start, (size_t)(p - start), out) == 0)
            return 0;
        while (*p && *p != ',')
            p++;
    }
    return -1;
}

/* ---- query requests ---- */

/* The text of a scalar or nested JSON value as a parameter; NULL for JSON null. */
static char *param_text(json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_STRING: return xstrdup(json_string_value(v));
    case JSON_NULL: return NULL;
    case JSON_TRUE: return xstrdup("true");
    case JSON_FALSE: return xstrdup("false");
    default: {
        char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
        if (!s) /* jansson's allocation failed */
            abort();
        char *copy = xstrdup(s);
        free(s);
        return copy;
    }
    }
}

int http_query_parse(const char *body, size_t len, const http_limits_t *lim, http_query_req_t *out,
                     uerr_t *err)
{
    json_error_t je;
    json_t *root = NULL;
    const char *key;
    json_t *v;
    int rc = -1;
    memset(out, 0, sizeof *out);
    root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        uerr_set(err, "22P02", "invalid JSON in request body: %s (line %d, column %d)", je.text,
                 je.line, je.column);
        goto out;
    }
    if (!json_is_object(root)) {
        uerr_set(err, "22023", "the request body must be a JSON object {\"sql\": ...}");
        goto out;
    }
    json_object_foreach(root, key, v)
    {
        if (strcmp(key, "sql") && strcmp(key, "params")) {
            uerr_set(err, "22023", "unknown key in request body (only \"sql\" and \"params\")");
            goto out;
        }
    }
    v = json_object_get(root, "sql");
    if (!json_is_string(v)) {
        uerr_set(err, "22023", "\"sql\" must be a string");
        goto out;
    }
    if (json_string_length(v) > lim->max_sql) {
        uerr_set(err, "54000", "\"sql\" is longer than %zu bytes", lim->max_sql);
        goto out;
    }
    out->sql_len = json_string_length(v);
    out->sql = xmalloc(out->sql_len + 1);
    memcpy(out->sql, json_string_value(v), out->sql_len + 1);
    v = json_object_get(root, "params");
    if (v && !json_is_null(v)) {
        size_t i;
        json_t *item;
        if (!json_is_array(v)) {
            uerr_set(err, "22023", "\"params\" must be an array");
            goto out;
        }
        if (json_array_size(v) > lim->max_params) {
            uerr_set(err, "54000", "more than %zu parameters", lim->max_params);
            goto out;
        }
        out->params = xcalloc(json_array_size(v) + 1, sizeof *out->params);
        json_array_foreach(v, i, item)
        {
            char *t = param_text(item);
            out->params[i].data = t;
            out->params[i].len = t ? (int32_t)strlen(t) : -1;
            out->nparams = i + 1;
        }
    }
    rc = 0;
out:
    json_decref(root);
    if (rc != 0)
        http_query_free(out);
    return rc;
}

void http_query_free(http_query_req_t *r)
{
    for (size_t i = 0; i < r->nparams; i++)
        free(r->params[i].data);
    free(r->params);
    free(r->sql);
    memset(r, 0, sizeof *r);
}

/* ---- errors ---- */

int http_status_for(const char *sqlstate)
{
    static const struct {
        const char *code; /* a full SQLSTATE, or a two-character class */
        int status;
    } map[] = {
        {"28P01", 401}, {"28000", 401}, {"42501", 403}, {"25006", 403}, {"42P01", 404},
        {"42704", 404}, {"3F000", 404}, {"3D000", 404}, {"42883", 400}, {"57014", 504},
        {"57P01", 503}, {"57P03", 503}, {"53300", 429}, {"53000", 503}, {"53100", 507},
        {"53200", 503}, {"54000", 413}, {"40001", 409}, {"40P01", 409}, {"0A000", 400},
        {"F0000", 500}, {"58030", 500}, {"XX000", 500}, {"08", 400},    {"22", 400},
        {"23", 409},    {"25", 409},    {"26", 400},    {"34", 404},    {"42", 400},
        {"44", 400},    {"2B", 409},    {"3B", 409},    {"0L", 403},    {"0P", 403},
    };
    if (!sqlstate || strlen(sqlstate) != 5)
        return 500;
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        size_t n = strlen(map[i].code);
        if (!strncmp(sqlstate, map[i].code, n))
            return map[i].status;
    }
    return 500;
}

void http_error_json(ubuf_t *out, const char *sqlstate, const char *message, const char *detail,
                     const char *hint)
{
    ubuf_puts(out, "{\"code\":");
    http_json_str(out, sqlstate, strlen(sqlstate));
    ubuf_puts(out, ",\"message\":");
    message = message ? message : "";
    http_json_str(out, message, strlen(message));
    if (detail) {
        ubuf_puts(out, ",\"detail\":");
        http_json_str(out, detail, strlen(detail));
    }
    if (hint) {
        ubuf_puts(out, ",\"hint\":");
        http_json_str(out, hint, strlen(hint));
    }
    ubuf_putc(out, '}');
}

/* ---- result encoders ---- */

void http_json_str(ubuf_t *out, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    ubuf_reserve(out, n + 2);
    ubuf_putc(out, '"');
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x80) {
            size_t k = utf8_seq_len(s + i, n - i);
            if (k == 0) {
                ubuf_puts(out, "\xEF\xBF\xBD"); /* U+FFFD for a byte that is not UTF-8 */
                i++;
            } else {
                ubuf_append(out, s + i, k);
                i += k;
            }
            continue;
        }
        if (c == '"' || c == '\\') {
            ubuf_putc(out, '\\');
            ubuf_putc(out, (char)c);
        } else if (c == '\n') {
            ubuf_puts(out, "\\n");
        } else if (c == '\r') {
            ubuf_puts(out, "\\r");
        } else if (c == '\t') {
            ubuf_puts(out, "\\t");
        } else if (c < 0x20 || c == 0x7f) {
            char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            ubuf_append(out, e, sizeof e);
        } else {
            ubuf_putc(out, (char)c);
        }
        i++;
    }
    ubuf_putc(out, '"');
}

void http_csv_field(ubuf_t *out, const char *s, size_t n)
{
    bool quote = n == 0 || s[0] == ' ' || s[0] == '\t' || s[n - 1] == ' ' || s[n - 1] == '\t' ||
                 memchr(s, ',', n) || memchr(s, '"', n) || memchr(s, '\n', n) || memchr(s, '\r', n);
    if (!quote) {
        ubuf_append(out, s, n);
        return;
    }
    ubuf_putc(out, '"');
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"')
            ubuf_putc(out, '"');
        ubuf_putc(out, s[i]);
    }
    ubuf_putc(out, '"');
}

void http_enc_begin(http_enc_t *e, http_format_t fmt, const http_col_t *cols, size_t ncols,
                    bool header, ubuf_t *out)
{
    ubuf_t k = UBUF_INIT;
    memset(e, 0, sizeof *e);
    e->fmt = fmt;
    e->ncols = ncols;
    e->begun = true;
    e->keys = xcalloc(ncols + 1, sizeof *e->keys);
    for (size_t i = 0; i < ncols; i++) {
        ubuf_reset(&k);
        http_json_str(&k, cols[i].name, strlen(cols[i].name));
        e->keys[i] = xstrdup(ubuf_cstr(&k));
    }
    ubuf_free(&k);
    switch (fmt) {
    case HTTP_FMT_JSON:
        ubuf_puts(out, "{\"columns\":[");
        for (size_t i = 0; i < ncols; i++) {
            const char *t = cols[i].type;
            ubuf_printf(out, "%s{\"name\":%s,\"type\":", i ? "," : "", e->keys[i]);
            if (t)
                http_json_str(out, t, strlen(t));
            else
                ubuf_puts(out, "null");
            ubuf_puts(out, ",\"json_type\":");
            if (cols[i].json_type)
                http_json_str(out, cols[i].json_type, strlen(cols[i].json_type));
            else
                ubuf_puts(out, "null");
            ubuf_putc(out, '}');
        }
        ubuf_puts(out, "],\"rows\":[");
        break;
    case HTTP_FMT_CSV:
        if (!header || ncols == 0)
            break;
        for (size_t i = 0; i < ncols; i++) {
            if (i)
                ubuf_putc(out, ',');
            http_csv_field(out, cols[i].name, strlen(cols[i].name));
        }
        ubuf_puts(out, "\r\n");
        break;
    default: break;
    }
}

void http_enc_row(http_enc_t *e, const eng_value_t *vals, ubuf_t *out)
{
    switch (e->fmt) {
    case HTTP_FMT_JSON:
        ubuf_puts(out, e->rows ? ",[" : "[");
        for (size_t i = 0; i < e->ncols; i++) {
            if (i)
                ubuf_putc(out, ',');
            if (vals[i].len < 0)
                ubuf_puts(out, "null");
            else
                ubuf_append(out, vals[i].data, (size_t)vals[i].len);
        }
        ubuf_putc(out, ']');
        break;
    case HTTP_FMT_NDJSON:
        ubuf_putc(out, '{');
        for (size_t i = 0; i < e->ncols; i++) {
            ubuf_printf(out, "%s%s:", i ? "," : "", e->keys[i]);
            if (vals[i].len < 0)
                ubuf_puts(out, "null");
            else
                ubuf_append(out, vals[i].data, (size_t)vals[i].len);
        }
        ubuf_puts(out, "}\n");
        break;
    case HTTP_FMT_CSV:
        for (size_t i = 0; i < e->ncols; i++) {
            if (i)
                ubuf_putc(out, ',');
            if (vals[i].len > 0)
                ubuf_append(out, vals[i].data, (size_t)vals[i].len);
        }
        ubuf_puts(out, "\r\n");
        break;
    default: break;
    }
    e->rows++;
}

void http_enc_end(http_enc_t *e, int64_t row_count, const char *command, ubuf_t *out)
{
    if (e->ended)
        return;
    e->ended = true;
    if (e->fmt != HTTP_FMT_JSON)
        return;
    ubuf_printf(out, "],\"row_count\":%lld,\"command\":", (long long)row_count);
    if (command)
        http_json_str(out, command, strlen(command));
    else
        ubuf_puts(out, "null");
    ubuf_puts(out, "}\n");
}

void http_enc_fail(http_enc_t *e, const char *sqlstate, const char *message, ubuf_t *out)
{
    if (e->ended)
        return;
    e->ended = true;
    if (e->fmt == HTTP_FMT_JSON) {
        ubuf_printf(out, "],\"row_count\":%llu,\"error\":", (unsigned long long)e->rows);
        http_error_json(out, sqlstate, message, NULL, NULL);
        ubuf_puts(out, "}\n");
    } else if (e->fmt == HTTP_FMT_NDJSON) {
        ubuf_puts(out, "{\"error\":");
        http_error_json(out, sqlstate, message, NULL, NULL);
        ubuf_puts(out, "}\n");
    }
}

void http_enc_free(http_enc_t *e)
{
    for (size_t i = 0; e->keys && i < e->ncols; i++)
        free(e->keys[i]);
    free(e->keys);
    memset(e, 0, sizeof *e);
}

/* ---- ingest ---- */

static void column_list_add(ubuf_t *out, const char *name, size_t n, bool first)
{
    ubuf_puts(out, first ? "(\"" : ", \"");
    for (size_t i = 0; i < n; i++) {
        if (name[i] == '"')
            ubuf_putc(out, '"');
        ubuf_putc(out, name[i]);
    }
    ubuf_putc(out, '"');
}

static int column_name_ok(const char *name, size_t n, uerr_t *err)
{
    if (n == 0 || n > HTTP_IDENT_MAX || memchr(name, '\0', n) || !utf8_valid(name, n)) {
        uerr_set(err, "42602", "invalid column name in the header: 1 to %d bytes of UTF-8",
                 HTTP_IDENT_MAX);
        return -1;
    }
    return 0;
}

int http_csv_header_columns(const char *line, size_t len, ubuf_t *out, uerr_t *err)
{
    ubuf_t name = UBUF_INIT;
    size_t i = 0, ncols = 0;
    int rc = -1;
    if (len > 0 && line[len - 1] == '\r')
        len--;
    for (;;) {
        ubuf_reset(&name);
        if (i < len && line[i] == '"') {
            for (i++;; i++) {
                if (i >= len) {
                    uerr_set(err, "22P04", "unterminated quoted field in the CSV header");
                    goto out;
                }
                if (line[i] == '"') {
                    if (i + 1 < len && line[i + 1] == '"') {
                        ubuf_putc(&name, '"');
                        i++;
                        continue;
                    }
                    i++;
                    break;
                }
                ubuf_putc(&name, line[i]);
            }
            if (i < len && line[i] != ',') {
                uerr_set(err, "22P04", "extra data after a quoted field in the CSV header");
                goto out;
            }
        } else {
            while (i < len && line[i] != ',')
                ubuf_putc(&name, line[i++]);
        }
        if (column_name_ok(name.data ? name.data : "", name.len, err) != 0)
            goto out;
        column_list_add(out, name.data, name.len, ncols++ == 0);
        if (i >= len)
            break;
        i++; /* the comma */
    }
    ubuf_putc(out, ')');
    rc = 0;
out:
    ubuf_free(&name);
    return rc;
}

void http_ndjson_init(http_ndjson_t *n, size_t max_line)
{
    memset(n, 0, sizeof *n);
    n->max_line = max_line;
}

void http_ndjson_set_columns(http_ndjson_t *n, const char *const *names, size_t count)
{
    for (size_t i = 0; i < n->ncols; i++)
        free(n->cols[i]);
    free(n->cols);
    n->cols = xcalloc(count + 1, sizeof *n->cols);
    for (size_t i = 0; i < count; i++)
        n->cols[i] = xstrdup(names[i]);
    n->ncols = count;
}

void http_ndjson_free(http_ndjson_t *n)
{
    for (size_t i = 0; i < n->ncols; i++)
        free(n->cols[i]);
    free(n->cols);
    ubuf_free(&n->partial);
    memset(n, 0, sizeof *n);
}

/* One value as a CSV field (nothing for NULL). */
static void ndjson_value(ubuf_t *out, json_t *v)
{
    if (!v || json_is_null(v))
        return;
    if (json_is_string(v)) {
        http_csv_field(out, json_string_value(v), json_string_length(v));
        return;
    }
    char *s = param_text(v);
    http_csv_field(out, s, strlen(s));
    free(s);
}

/* Converts one line (no line end) into a CSV row. */
static int ndjson_line(http_ndjson_t *n, const char *p, size_t len, ubuf_t *out, uerr_t *err)
{
    json_error_t je;
    json_t *o = NULL;
    const char *key;
    json_t *v;
    int rc = -1;
    n->line++;
    while (len > 0 && (p[len - 1] == '\r' || p[len - 1] == ' ' || p[len - 1] == '\t'))
        len--;
    if (len == 0)
        return 0;
    o = json_loadb(p, len, JSON_REJECT_DUPLICATES, &je);
    if (!o || !json_is_object(o)) {
        uerr_set(err, "22P02", "line %lld: %s", (long long)n->line,
                 o ? "not a JSON object" : je.text);
        goto out;
    }
    if (n->ncols == 0) {
        size_t k = 0;
        if (json_object_size(o) == 0) {
            uerr_set(err, "22P02", "line %lld: the first object has no keys", (long long)n->line);
            goto out;
        }
        n->cols = xcalloc(json_object_size(o), sizeof *n->cols);
        json_object_foreach(o, key, v)
        {
            if (column_name_ok(key, strlen(key), err) != 0)
                goto out;
            n->cols[k++] = xstrdup(key);
            n->ncols = k;
        }
    } else {
        json_object_foreach(o, key, v)
        {
            size_t i = 0;
            while (i < n->ncols && strcmp(n->cols[i], key))
                i++;
            if (i == n->ncols) {
                uerr_set(err, "42703", "line %lld: key \"%.64s\" is not a column of the table",
                         (long long)n->line, key);
                goto out;
            }
        }
    }
    for (size_t i = 0; i < n->ncols; i++) {
        if (i)
            ubuf_putc(out, ',');
        ndjson_value(out, json_object_get(o, n->cols[i]));
    }
    ubuf_puts(out, "\n");
    rc = 0;
out:
    json_decref(o);
    return rc;
}

int http_ndjson_feed(http_ndjson_t *n, const char *data, size_t len, ubuf_t *out, uerr_t *err)
{
    while (len > 0) {
        const char *nl = memchr(data, '\n', len);
        size_t take = nl ? (size_t)(nl - data) : len;
        if (n->partial.len + take > n->max_line) {
            uerr_set(err, "54000", "line %lld is longer than %zu bytes", (long long)n->line + 1,
                     n->max_line);
            return -1;
        }
        if (!nl) {
            ubuf_append(&n->partial, data, take);
            return 0;
        }
        int rc;
        if (n->partial.len) {
            ubuf_append(&n->partial, data, take);
            rc = ndjson_line(n, n->partial.data, n->partial.len, out, err);
            ubuf_reset(&n->partial);
        } else {
            rc = ndjson_line(n, data, take, out, err);
        }
        if (rc != 0)
            return -1;
        data += take + 1;
        len -= take + 1;
    }
    return 0;
}

int http_ndjson_finish(http_ndjson_t *n, ubuf_t *out, uerr_t *err)
{
    int rc = 0;
    if (n->partial.len)
        rc = ndjson_line(n, n->partial.data, n->partial.len, out, err);
    ubuf_reset(&n->partial);
    return rc;
}
