/* Typed values of the settings table: parsing with range checks, the wording of value
 * problems shared by file, environment and flag errors, and the type descriptions used by
 * --help and docs/CONFIG.md. */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "config/config_internal.h"

typedef enum { NUM_OK, NUM_BAD, NUM_RANGE } num_status_t;

typedef struct unit {
    const char *name;
    int64_t factor;
} unit_t;

static const unit_t size_units[] = {
    {"", 1},
    {"b", 1},
    {"k", CFG_KiB},
    {"kb", CFG_KiB},
    {"kib", CFG_KiB},
    {"m", CFG_MiB},
    {"mb", CFG_MiB},
    {"mib", CFG_MiB},
    {"g", CFG_GiB},
    {"gb", CFG_GiB},
    {"gib", CFG_GiB},
    {"t", CFG_GiB * 1024},
    {"tb", CFG_GiB * 1024},
    {"tib", CFG_GiB * 1024},
};

static const unit_t duration_units[] = {{"", 1}, {"s", 1}, {"m", 60}, {"h", 3600}};
/* PostgreSQL's units of a millisecond-based setting such as statement_timeout. */
static const unit_t millis_units[] = {{"", 1},        {"ms", 1},      {"s", 1000},
                                      {"min", 60000}, {"h", 3600000}, {"d", 86400000}};

/* Reads the decimal digits at *s (at least one) into *out and advances *s past them. */
static num_status_t read_digits(const char **s, int64_t *out)
{
    const char *p = *s;
    int64_t v = 0;
    num_status_t st = isdigit((unsigned char)*p) ? NUM_OK : NUM_BAD;
    for (; isdigit((unsigned char)*p); p++) {
        int digit = *p - '0';
        if (v > (INT64_MAX - digit) / 10)
            st = NUM_RANGE;
        else
            v = v * 10 + digit;
    }
    *s = p;
    *out = v;
    return st;
}

/* An optionally negative decimal integer and nothing else. */
static num_status_t parse_int(const char *text, int64_t *out)
{
    const char *p = text + (*text == '-');
    num_status_t st = read_digits(&p, out);
    if (st != NUM_BAD && *p)
        st = NUM_BAD;
    if (st == NUM_OK && *text == '-')
        *out = -*out;
    return st;
}

/* Digits, optional blanks, then one of units (case-insensitive): the product. */
static num_status_t parse_scaled(const char *text, const unit_t *units, size_t nunits, int64_t *out)
{
    const char *p = text;
    int64_t n = 0;
    num_status_t st = read_digits(&p, &n);
    size_t i = 0;
    while (*p == ' ' || *p == '\t')
        p++;
    while (i < nunits && strcasecmp(p, units[i].name) != 0)
        i++;
    if (i == nunits)
        st = NUM_BAD;
    else if (st == NUM_OK && n > INT64_MAX / units[i].factor)
        st = NUM_RANGE;
    if (st == NUM_OK)
        *out = n * units[i].factor;
    return st;
}

bool cfg__parse_size(const char *text, int64_t *bytes)
{
    return parse_scaled(text, size_units, sizeof size_units / sizeof size_units[0], bytes) ==
           NUM_OK;
}

static bool parse_bool(const char *text, bool *out)
{
    static const char *const words[] = {"false", "true", "off", "on", "no", "yes", "0", "1"};
    bool found = false;
    for (size_t i = 0; i < sizeof words / sizeof words[0] && !found; i++) {
        if (strcasecmp(text, words[i]) == 0) {
            found = true;
            *out = (i % 2) == 1;
        }
    }
    return found;
}

const char *cfg__choice(const char *choices, int choice, size_t *len)
{
    const char *p = choices;
    for (int i = 0; p && i < choice; i++) {
        p = strchr(p, '|');
        p = p ? p + 1 : NULL;
    }
    *len = p ? strcspn(p, "|") : 0;
    return p;
}

/* Index of text among choices (case-insensitive), or -1. */
static int find_choice(const char *choices, const char *text)
{
    size_t n = strlen(text), len = 0;
    int found = -1;
    const char *c;
    for (int i = 0; found < 0 && (c = cfg__choice(choices, i, &len)) != NULL; i++)
        if (len == n && strncasecmp(c, text, n) == 0)
            found = i;
    return found;
}

/* Appends "1..65535", "1KB..1GB" or "0..3600 seconds". */
static void append_range(ubuf_t *b, const cfg_def_t *d)
{
    if (d->type == CFG_T_SIZE) {
        cfg__format_size(b, d->min);
        ubuf_puts(b, "..");
        cfg__format_size(b, d->max);
    } else {
        ubuf_printf(b, "%lld..%lld", (long long)d->min, (long long)d->max);
    }
    if (d->type == CFG_T_DURATION)
        ubuf_puts(b, " seconds");
    else if (d->type == CFG_T_MILLIS)
        ubuf_puts(b, " milliseconds");
}

/* Appends "persistent, ephemeral or memory". */
static void append_choices(ubuf_t *b, const char *choices)
{
    size_t len = 0, next_len = 0;
    const char *c;
    for (int i = 0; (c = cfg__choice(choices, i, &len)) != NULL; i++) {
        if (i > 0)
            ubuf_puts(b, cfg__choice(choices, i + 1, &next_len) ? ", " : " or ");
        ubuf_append(b, c, len);
    }
}

/* Parses a number-like type into v->num; appends the problem to why on failure. */
static bool parse_number(const cfg_def_t *d, const char *text, cfg_value_t *v, ubuf_t *why)
{
    static const char *const what[] = {[CFG_T_INT] = "integer",
                                       [CFG_T_SIZE] = "size",
                                       [CFG_T_DURATION] = "duration",
                                       [CFG_T_MILLIS] = "duration"};
    static const char *const hint[] = {[CFG_T_INT] = "",
                                       [CFG_T_SIZE] = "a byte count or e.g. 64MB, 16KiB; ",
                                       [CFG_T_DURATION] = "seconds, e.g. 10, 10s, 2m; ",
                                       [CFG_T_MILLIS] =
                                           "milliseconds, e.g. 500, 500ms, 5s, 1min; "};
    num_status_t st;
    if (d->type == CFG_T_INT)
        st = parse_int(text, &v->num);
    else if (d->type == CFG_T_SIZE)
        st = parse_scaled(text, size_units, sizeof size_units / sizeof size_units[0], &v->num);
    else if (d->type == CFG_T_MILLIS)
        st =
            parse_scaled(text, millis_units, sizeof millis_units / sizeof millis_units[0], &v->num);
    else
        st = parse_scaled(text, duration_units, sizeof duration_units / sizeof duration_units[0],
                          &v->num);
    if (st == NUM_OK && (v->num < d->min || v->num > d->max))
        st = NUM_RANGE;
    if (st == NUM_BAD)
        ubuf_printf(why, "invalid %s \"%s\" for %s (expected %s", what[d->type], text, d->key,
                    hint[d->type]);
    else if (st == NUM_RANGE)
        ubuf_printf(why, "value \"%s\" for %s is out of range (", text, d->key);
    if (st != NUM_OK) {
        append_range(why, d);
        ubuf_putc(why, ')');
    } else if (d->type == CFG_T_INT) {
        ubuf_printf(&v->canon, "%lld", (long long)v->num);
    }
    return st == NUM_OK;
}

bool cfg__parse_value(const cfg_def_t *d, const char *text, cfg_value_t *v, ubuf_t *why)
{
    bool ok = true;
    memset(v, 0, sizeof *v);
    switch (d->type) {
    case CFG_T_INT:
    case CFG_T_SIZE:
    case CFG_T_DURATION:
    case CFG_T_MILLIS: ok = parse_number(d, text, v, why); break;
    case CFG_T_BOOL:
        ok = parse_bool(text, &v->boolean);
        if (!ok)
            ubuf_printf(why,
                        "invalid boolean \"%s\" for %s (expected true/false, on/off, "
                        "yes/no or 1/0)",
                        text, d->key);
        else
            ubuf_puts(&v->canon, v->boolean ? "true" : "false");
        break;
    case CFG_T_ENUM:
        v->choice = find_choice(d->choices, text);
        ok = v->choice >= 0;
        if (!ok) {
            ubuf_printf(why, "invalid value \"%s\" for %s (expected ", text, d->key);
            append_choices(why, d->choices);
            ubuf_putc(why, ')');
        } else {
            size_t len = 0;
            const char *c = cfg__choice(d->choices, v->choice, &len);
            ubuf_append(&v->canon, c, len);
        }
        break;
    case CFG_T_STRING:
    case CFG_T_PATH: break;
    }
    if (ok && v->canon.len == 0)
        ubuf_puts(&v->canon, text);
    ubuf_cstr(&v->canon);
    return ok;
}

void cfg__format_size(ubuf_t *b, int64_t bytes)
{
    static const unit_t units[] = {
        {"TB", CFG_GiB * 1024}, {"GB", CFG_GiB}, {"MB", CFG_MiB}, {"KB", CFG_KiB}};
    size_t i = 0;
    while (i < sizeof units / sizeof units[0] && (bytes == 0 || bytes % units[i].factor != 0))
        i++;
    if (i < sizeof units / sizeof units[0])
        ubuf_printf(b, "%lld%s", (long long)(bytes / units[i].factor), units[i].name);
    else
        ubuf_printf(b, "%lld", (long long)bytes);
}

void cfg__env_name(ubuf_t *b, const char *key)
{
    ubuf_puts(b, "DUCKD_");
    for (const char *p = key; *p; p++)
        ubuf_putc(b, (char)toupper((unsigned char)*p));
    ubuf_cstr(b);
}

void cfg__describe_type(ubuf_t *b, const cfg_def_t *d)
{
    static const char *const names[] = {
        [CFG_T_STRING] = "string",    [CFG_T_PATH] = "path",   [CFG_T_BOOL] = "boolean",
        [CFG_T_INT] = "integer ",     [CFG_T_SIZE] = "size ",  [CFG_T_DURATION] = "duration ",
        [CFG_T_MILLIS] = "duration ", [CFG_T_ENUM] = "one of "};
    ubuf_puts(b, names[d->type]);
    if (d->type == CFG_T_INT || d->type == CFG_T_SIZE || d->type == CFG_T_DURATION ||
        d->type == CFG_T_MILLIS)
        append_range(b, d);
    else if (d->type == CFG_T_ENUM)
        append_choices(b, d->choices);
    ubuf_cstr(b);
}
