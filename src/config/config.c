/* Configuration loading driven by the settings table (settings.def): defaults, the INI file
 * (inih), the environment and the command line, in increasing precedence. Every value is
 * validated where it is read, so errors name their file line, variable or flag, and each
 * effective value remembers its origin. */
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

#include "config/config_internal.h"
#include "util/xalloc.h"

/* ---- the table ---- */

#define NOFLAG NULL
#define NODEFAULT NULL

#define CFG_TYPE_STRING CFG_T_STRING, 0, 0, NULL
#define CFG_TYPE_PATH CFG_T_PATH, 0, 0, NULL
#define CFG_TYPE_BOOL CFG_T_BOOL, 0, 0, NULL
#define CFG_TYPE_INT(lo, hi) CFG_T_INT, lo, hi, NULL
#define CFG_TYPE_SIZE(lo, hi) CFG_T_SIZE, lo, hi, NULL
#define CFG_TYPE_DURATION(lo, hi) CFG_T_DURATION, lo, hi, NULL
#define CFG_TYPE_MILLIS(lo, hi) CFG_T_MILLIS, lo, hi, NULL
#define CFG_TYPE_ENUM(choices) CFG_T_ENUM, 0, 0, choices

#define CFG_TYPEID_STRING CFG_T_STRING
#define CFG_TYPEID_PATH CFG_T_PATH
#define CFG_TYPEID_BOOL CFG_T_BOOL
#define CFG_TYPEID_INT(lo, hi) CFG_T_INT
#define CFG_TYPEID_SIZE(lo, hi) CFG_T_SIZE
#define CFG_TYPEID_DURATION(lo, hi) CFG_T_DURATION
#define CFG_TYPEID_MILLIS(lo, hi) CFG_T_MILLIS
#define CFG_TYPEID_ENUM(choices) CFG_T_ENUM

#define CFG_SEC_server CFG_SEC_SERVER
#define CFG_SEC_duckdb CFG_SEC_DUCKDB

/* The C type of a cfg_t field; any enum type (cfg_mode_t) lands on CFG_F_ENUM or CFG_F_INT. */
#define CFG_FIELD_KIND(f)                                                                          \
    _Generic((f), char *: CFG_F_STR, int: CFG_F_INT, bool: CFG_F_BOOL, int64_t: CFG_F_I64,      \
             default: CFG_F_ENUM)
#define CFG_FIELD_server(key) CFG_FIELD_KIND(((cfg_t *)0)->key), offsetof(cfg_t, key), CFG_KEY_##key
#define CFG_FIELD_duckdb(key) CFG_F_NONE, 0, -1

/* Which field C types a setting type may be stored in. */
#define CFG_FITS(t, f)                                                                             \
    ((t) == CFG_T_ENUM ? (f) != CFG_F_BOOL && (f) != CFG_F_I64                                     \
     : (t) == CFG_T_INT || (t) == CFG_T_DURATION || (t) == CFG_T_MILLIS ? (f) == CFG_F_INT         \
     : (t) == CFG_T_SIZE                                                ? (f) == CFG_F_I64         \
     : (t) == CFG_T_BOOL                                                ? (f) == CFG_F_BOOL        \
                                                                        : (f) == CFG_F_STR)
#define CFG_CHECK_server(key, t)                                                                   \
    _Static_assert(CFG_FITS(t, CFG_FIELD_KIND(((cfg_t *)0)->key)),                                 \
                   "cfg_t." #key " does not have the C type its setting type needs");
#define CFG_CHECK_duckdb(key, t)

#define CFG(sec, key, type, dflt, flag, doc) CFG_CHECK_##sec(key, CFG_TYPEID_##type)
#include "config/settings.def"
#undef CFG

_Static_assert(sizeof(cfg_mode_t) == sizeof(int), "enum settings are stored as int");

#define CFG(sec, key, type, dflt, flag, doc)                                                       \
    {CFG_SEC_##sec, #key, CFG_TYPE_##type, dflt, flag, doc, CFG_FIELD_##sec(key)},
const cfg_def_t cfg__defs[] = {
#include "config/settings.def"
};
#undef CFG
const size_t cfg__ndefs = sizeof cfg__defs / sizeof cfg__defs[0];

enum {
#define CFG(sec, key, type, dflt, flag, doc) CFG_ROW_##sec##_##key,
#include "config/settings.def"
#undef CFG
    CFG_NDEFS
};

const cfg_opt_t cfg__opts[] = {
    {CFG_OPT_CONFIG, "--config", NULL, "FILE",
     "Read settings from this INI file (default: the file named by DUCKD_CONFIG; none)."},
    {CFG_OPT_EPHEMERAL, "--ephemeral", NULL, NULL, "Shorthand for mode = ephemeral."},
    {CFG_OPT_MEMORY, "--memory", NULL, NULL, "Shorthand for mode = memory."},
    {CFG_OPT_PRINT_CONFIG, "--print-config", NULL, NULL,
     "Print every effective setting and where it came from, then exit."},
    {CFG_OPT_VERSION, "--version", "-V", NULL, "Print the version and exit."},
    {CFG_OPT_HELP, "--help", "-h", NULL, "Print this help and exit."},
    {CFG_OPT_MARKDOWN, "--config-markdown", NULL, NULL, NULL},
};
const size_t cfg__nopts = sizeof cfg__opts / sizeof cfg__opts[0];

/* ---- the loader: raw text per row, highest precedence wins ---- */

typedef enum { PRIO_UNSET, PRIO_DEFAULT, PRIO_FILE, PRIO_ENV, PRIO_FLAG } prio_t;

typedef struct raw {
    char *text; /* NULL = unset */
    char *origin;
    prio_t prio;
    int file_line; /* line of the file that set it, 0 = none (duplicate detection) */
} raw_t;

/* A key of the file's [duckdb] section that is not in the table. */
typedef struct extra {
    char *key, *value, *origin;
    int line;
} extra_t;

typedef struct loader {
    raw_t raw[CFG_NDEFS];
    extra_t *extra; /* in file order */
    size_t nextra;
    const char *mode_flag; /* the first of --db, --ephemeral, --memory given */
    uerr_t *err;
    /* while reading the file */
    FILE *fp;
    const char *file;
    int lineno;
    char *line; /* getline buffer */
    size_t linecap;
    const char *cur; /* the current physical line in `line`, without newline and BOM */
    int fail_line;   /* line of the first error the reader or handler found; 0 = none */
} loader_t;

static const char *section_name(cfg_section_t sec)
{
    return sec == CFG_SEC_SERVER ? "server" : "duckdb";
}

static const cfg_def_t *find_key(cfg_section_t sec, const char *key)
{
    const cfg_def_t *found = NULL;
    for (size_t i = 0; i < cfg__ndefs && !found; i++)
        if (cfg__defs[i].section == sec && strcasecmp(cfg__defs[i].key, key) == 0)
            found = &cfg__defs[i];
    return found;
}

static const cfg_def_t *find_flag(const char *flag)
{
    const cfg_def_t *found = NULL;
    for (size_t i = 0; i < cfg__ndefs && !found; i++)
        if (cfg__defs[i].flag && strcmp(cfg__defs[i].flag, flag) == 0)
            found = &cfg__defs[i];
    return found;
}

static const cfg_opt_t *find_opt(const char *flag)
{
    const cfg_opt_t *found = NULL;
    for (size_t i = 0; i < cfg__nopts && !found; i++)
        if (strcmp(cfg__opts[i].flag, flag) == 0 ||
            (cfg__opts[i].alias && strcmp(cfg__opts[i].alias, flag) == 0))
            found = &cfg__opts[i];
    return found;
}

/* Case-insensitive Levenshtein distance; SIZE_MAX for strings of 64 bytes or more. */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), prev[64], cur[64], dist = SIZE_MAX;
    if (la < 64 && lb < 64) {
        for (size_t j = 0; j <= lb; j++)
            prev[j] = j;
        for (size_t i = 1; i <= la; i++) {
            cur[0] = i;
            for (size_t j = 1; j <= lb; j++) {
                size_t sub = prev[j - 1] +
                             (tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]));
                size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
                cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
            }
            memcpy(prev, cur, (lb + 1) * sizeof prev[0]);
        }
        dist = prev[lb];
    }
    return dist;
}

/* Keeps cand in *best when it is a plausible typo of name and closer than *best. */
static void consider(const char *name, const char *cand, const char **best, size_t *best_dist)
{
    size_t d = cand ? edit_distance(name, cand) : SIZE_MAX;
    if (d <= 2 && d * 2 <= strlen(cand) && d < *best_dist) {
        *best = cand;
        *best_dist = d;
    }
}

/* The key of section sec (or, with flags, the flag) that name is most likely a typo of. */
static const char *suggest(const char *name, cfg_section_t sec, bool flags)
{
    const char *best = NULL;
    size_t dist = SIZE_MAX;
    for (size_t i = 0; i < cfg__ndefs; i++)
        if (flags || cfg__defs[i].section == sec)
            consider(name, flags ? cfg__defs[i].flag : cfg__defs[i].key, &best, &dist);
    for (size_t i = 0; flags && i < cfg__nopts; i++)
        consider(name, cfg__opts[i].doc ? cfg__opts[i].flag : NULL, &best, &dist);
    return best;
}

static void set_raw(loader_t *l, const cfg_def_t *d, const char *text, prio_t prio,
                    const char *origin)
{
    raw_t *r = &l->raw[d - cfg__defs];
    if (prio >= r->prio) {
        free(r->text);
        free(r->origin);
        r->text = xstrdup(text);
        r->origin = xstrdup(origin);
        r->prio = prio;
    }
}

/* Validates text for row d and records it; on error the message starts with `where` and
 * ends with `note` (if any). */
static int set_checked(loader_t *l, const cfg_def_t *d, const char *text, prio_t prio,
                       const char *origin, const char *where, const char *note)
{
    cfg_value_t v;
    ubuf_t why = UBUF_INIT;
    int rc = -1;
    if (cfg__parse_value(d, text, &v, &why)) {
        set_raw(l, d, text, prio, origin);
        rc = 0;
    } else {
        uerr_set(l->err, "F0000", "%s: %s%s", where, ubuf_cstr(&why), note ? note : "");
    }
    ubuf_free(&v.canon);
    ubuf_free(&why);
    return rc;
}

static void loader_init(loader_t *l, uerr_t *err)
{
    memset(l, 0, sizeof *l);
    l->err = err;
    for (size_t i = 0; i < cfg__ndefs; i++)
        if (cfg__defs[i].dflt)
            set_raw(l, &cfg__defs[i], cfg__defs[i].dflt, PRIO_DEFAULT, "default");
}

static void loader_free(loader_t *l)
{
    for (size_t i = 0; i < CFG_NDEFS; i++) {
        free(l->raw[i].text);
        free(l->raw[i].origin);
    }
    for (size_t i = 0; i < l->nextra; i++) {
        free(l->extra[i].key);
        free(l->extra[i].value);
        free(l->extra[i].origin);
    }
    free(l->extra);
    free(l->line);
    memset(l, 0, sizeof *l);
}

/* ---- the INI file, through inih ---- */

/* An unknown [server] key: say where it belongs or what it resembles. */
static void unknown_key(loader_t *l, const char *name, const char *origin)
{
    const char *near = suggest(name, CFG_SEC_SERVER, false);
    if (find_key(CFG_SEC_DUCKDB, name))
        uerr_set(l->err, "F0000",
                 "%s: unknown key \"%s\" in section [server] (it belongs in section [duckdb])",
                 origin, name);
    else if (near)
        uerr_set(l->err, "F0000",
                 "%s: unknown key \"%s\" in section [server] (did you mean \"%s\"?)", origin, name,
                 near);
    else
        uerr_set(l->err, "F0000", "%s: unknown key \"%s\" in section [server]", origin, name);
}

static int file_table_key(loader_t *l, const cfg_def_t *d, const char *name, const char *value,
                          const char *origin)
{
    raw_t *r = &l->raw[d - cfg__defs];
    const char *note =
        strstr(value, " #") ? " (a comment after a value starts with \" ;\", not \"#\")" : NULL;
    int rc = -1;
    if (r->file_line)
        uerr_set(l->err, "F0000",
                 "%s: key \"%s\" is given twice in section [%s] (first on line %d)", origin, name,
                 section_name(d->section), r->file_line);
    else if (set_checked(l, d, value, PRIO_FILE, origin, origin, note) == 0)
        rc = 0;
    if (rc == 0)
        r->file_line = l->lineno;
    return rc;
}

/* A [duckdb] key that is not in the table: kept verbatim for DuckDB to judge. */
static int file_extra_key(loader_t *l, const char *name, const char *value, const char *origin)
{
    int rc = 0;
    for (size_t i = 0; i < l->nextra && rc == 0; i++) {
        if (strcasecmp(l->extra[i].key, name) == 0) {
            uerr_set(l->err, "F0000",
                     "%s: key \"%s\" is given twice in section [duckdb] (first on line %d)", origin,
                     name, l->extra[i].line);
            rc = -1;
        }
    }
    if (rc == 0) {
        l->extra = xrealloc(l->extra, (l->nextra + 1) * sizeof *l->extra);
        l->extra[l->nextra++] =
            (extra_t){xstrdup(name), xstrdup(value), xstrdup(origin), l->lineno};
    }
    return rc;
}

static int file_key(loader_t *l, const char *section, const char *name, const char *value,
                    const char *origin)
{
    bool server = strcasecmp(section, "server") == 0, duckdb = strcasecmp(section, "duckdb") == 0;
    const cfg_def_t *d =
        server || duckdb ? find_key(server ? CFG_SEC_SERVER : CFG_SEC_DUCKDB, name) : NULL;
    int rc = -1;
    if (!*section)
        uerr_set(l->err, "F0000",
                 "%s: key \"%s\" is outside any section (expected [server] or "
                 "[duckdb] first)",
                 origin, name);
    else if (!server && !duckdb)
        uerr_set(l->err, "F0000", "%s: unknown section [%s] (expected [server] or [duckdb])",
                 origin, section);
    else if (!*name)
        uerr_set(l->err, "F0000", "%s: missing key name before \"=\"", origin);
    else if (d)
        rc = file_table_key(l, d, name, value, origin);
    else if (duckdb && find_key(CFG_SEC_SERVER, name))
        uerr_set(l->err, "F0000", "%s: key \"%s\" belongs in section [server], not [duckdb]",
                 origin, name);
    else if (duckdb)
        rc = file_extra_key(l, name, value, origin);
    else
        unknown_key(l, name, origin);
    return rc;
}

/* True when inih passes an indented line as the continuation of the previous value rather
 * than as "name = value" (its multi-line mode, which duckd does not support). */
static bool is_continuation(const char *line, const char *name)
{
    size_t n = strlen(name);
    while (isspace((unsigned char)*line))
        line++;
    bool pair = strncmp(line, name, n) == 0;
    line += pair ? n : 0;
    while (isspace((unsigned char)*line))
        line++;
    return !pair || (*line != '=' && *line != ':');
}

static int file_handler(void *user, const char *section, const char *name, const char *value)
{
    loader_t *l = user;
    ubuf_t origin = UBUF_INIT, unquoted = UBUF_INIT;
    size_t n = strlen(value);
    int rc = -1;
    ubuf_printf(&origin, "%s:%d", l->file, l->lineno);
    ubuf_cstr(&origin);
    if (is_continuation(l->cur, name))
        uerr_set(l->err, "F0000",
                 "%s: indented line continues the value of \"%s\"; multi-line "
                 "values are not supported (remove the indentation)",
                 origin.data, name);
    else if (value[0] == '"' && (n < 2 || value[n - 1] != '"'))
        uerr_set(l->err, "F0000",
                 "%s: unterminated quoted value for \"%s\" (\" ;\" starts a "
                 "comment)",
                 origin.data, name);
    else {
        if (value[0] == '"')
            ubuf_append(&unquoted, value + 1, n - 2);
        else
            ubuf_puts(&unquoted, value);
        rc = file_key(l, section, name, ubuf_cstr(&unquoted), origin.data);
    }
    if (rc != 0 && !l->fail_line)
        l->fail_line = l->lineno;
    ubuf_free(&origin);
    ubuf_free(&unquoted);
    return rc == 0;
}

/* A section header line: rejects unknown sections (even empty ones) and text after "]". */
static int check_section_line(loader_t *l, const char *s)
{
    const char *end = NULL, *rest = "";
    size_t len = 0;
    int rc = 0;
    while (isspace((unsigned char)*s))
        s++;
    if (*s == '[' && (end = strchr(s, ']')) != NULL) {
        len = (size_t)(end - s - 1);
        for (rest = end + 1; isspace((unsigned char)*rest);)
            rest++;
    }
    if (end && !(len == 6 &&
                 (strncasecmp(s + 1, "server", 6) == 0 || strncasecmp(s + 1, "duckdb", 6) == 0))) {
        uerr_set(l->err, "F0000", "%s:%d: unknown section [%.*s] (expected [server] or [duckdb])",
                 l->file, l->lineno, (int)len, s + 1);
        rc = -1;
    } else if (end && *rest && *rest != ';' && *rest != '#') {
        uerr_set(l->err, "F0000", "%s:%d: unexpected text after [%.*s]: \"%s\"", l->file, l->lineno,
                 (int)len, s + 1, rest);
        rc = -1;
    }
    return rc;
}

/* Normalises the physical line just read (newline; l->cur skips a BOM) and rejects what inih
 * would misread: NUL bytes, lines longer than its buffer (it would split them), bad section
 * headers. */
static int check_line(loader_t *l, size_t n, size_t max)
{
    char *s = l->line;
    int rc = -1;
    if (n > 0 && s[n - 1] == '\n')
        s[--n] = '\0';
    if (n > 0 && s[n - 1] == '\r')
        s[--n] = '\0';
    if (l->lineno == 1 && n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
        s += 3;
        n -= 3;
    }
    l->cur = s;
    if (memchr(s, '\0', n))
        uerr_set(l->err, "F0000", "%s:%d: NUL byte in line", l->file, l->lineno);
    else if (n + 1 > max)
        uerr_set(l->err, "F0000", "%s:%d: line longer than %zu bytes", l->file, l->lineno, max - 1);
    else
        rc = check_section_line(l, s);
    return rc;
}

/* inih's line reader: one physical line per call, so inih's line numbers are the file's.
 * Returns NULL (end of input) after the first error, which stops the parse there. */
static char *file_reader(char *buf, int size, void *stream)
{
    loader_t *l = stream;
    ssize_t n = -1;
    char *res = NULL;
    if (!l->fail_line)
        n = getline(&l->line, &l->linecap, l->fp);
    if (n < 0) {
        if (!l->fail_line && ferror(l->fp)) {
            uerr_set(l->err, "F0000", "cannot read config file %s: %s", l->file, strerror(errno));
            l->fail_line = l->lineno + 1;
        }
        goto out;
    }
    l->lineno++;
    if (check_line(l, (size_t)n, (size_t)size) != 0) {
        l->fail_line = l->lineno;
        goto out;
    }
    memcpy(buf, l->cur, strlen(l->cur) + 1);
    res = buf;
out:
    return res;
}

static int load_stream(loader_t *l, FILE *fp, const char *name)
{
    int rc, ret = -1;
    l->fp = fp;
    l->file = name;
    l->lineno = 0;
    l->fail_line = 0;
    rc = ini_parse_stream(file_reader, l, file_handler, l);
    if (rc > 0 && (l->fail_line == 0 || rc < l->fail_line))
        uerr_set(l->err, "F0000",
                 "%s:%d: syntax error (expected [server], [duckdb], "
                 "key = value or a comment)",
                 name, rc);
    else if (rc < 0 && l->fail_line == 0)
        uerr_set(l->err, "F0000", "%s: cannot parse (inih error %d)", name, rc);
    else if (l->fail_line == 0)
        ret = 0;
    free(l->line);
    l->line = NULL;
    l->cur = NULL;
    l->linecap = 0;
    l->fp = NULL;
    return ret;
}

static int load_file(loader_t *l, const char *path)
{
    FILE *fp = fopen(path, "r");
    int rc = -1;
    if (!fp) {
        uerr_set(l->err, "F0000", "cannot open config file %s: %s", path, strerror(errno));
        goto out;
    }
    rc = load_stream(l, fp, path);
    fclose(fp);
out:
    return rc;
}

/* ---- the environment ---- */

static const char *env_get(char **envp, const char *name)
{
    size_t n = strlen(name);
    const char *found = NULL;
    for (char **e = envp; e && *e && !found; e++)
        if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
            found = *e + n + 1;
    return found;
}

static int load_env(loader_t *l, char **envp)
{
    ubuf_t name = UBUF_INIT, origin = UBUF_INIT, where = UBUF_INIT;
    int rc = 0;
    for (size_t i = 0; i < cfg__ndefs && rc == 0; i++) {
        ubuf_reset(&name);
        cfg__env_name(&name, cfg__defs[i].key);
        const char *value = env_get(envp, name.data);
        if (!value)
            continue;
        ubuf_reset(&origin);
        ubuf_printf(&origin, "env %s", name.data);
        ubuf_reset(&where);
        ubuf_printf(&where, "environment %s", name.data);
        rc = set_checked(l, &cfg__defs[i], value, PRIO_ENV, ubuf_cstr(&origin), ubuf_cstr(&where),
                         NULL);
    }
    ubuf_free(&name);
    ubuf_free(&origin);
    ubuf_free(&where);
    return rc;
}

/* ---- the command line ---- */

/* The value of flag: after "=" (inline), else the next argument unless that is an option. */
static int take_value(loader_t *l, int argc, char **argv, int *i, const char *flag,
                      const char **val)
{
    int rc = 0;
    if (*val)
        goto out;
    if (*i + 1 < argc && strncmp(argv[*i + 1], "--", 2) != 0) {
        *val = argv[++*i];
    } else {
        uerr_set(l->err, "F0000", "%s: missing value", flag);
        rc = -1;
    }
out:
    return rc;
}

/* --db, --ephemeral and --memory each select a storage mode; two different ones conflict. */
static int set_mode_flag(loader_t *l, const char *flag, const char *mode)
{
    int rc = 0;
    if (l->mode_flag && strcmp(l->mode_flag, flag) != 0) {
        uerr_set(l->err, "F0000",
                 "%s conflicts with %s (choose one of --db, --ephemeral, "
                 "--memory)",
                 flag, l->mode_flag);
        rc = -1;
    } else {
        l->mode_flag = flag;
        set_raw(l, &cfg__defs[CFG_ROW_server_mode], mode, PRIO_FLAG, flag);
    }
    return rc;
}

/* When several actions are given, the most informative one wins. */
static int stronger_action(int a, int b)
{
    static const int rank[] = {[CFG_ACTION_RUN] = 0,
                               [CFG_ACTION_PRINT_CONFIG] = 1,
                               [CFG_ACTION_VERSION] = 2,
                               [CFG_ACTION_CONFIG_MARKDOWN] = 3,
                               [CFG_ACTION_HELP] = 4};
    return rank[b] > rank[a] ? b : a;
}

static int opt_flag(loader_t *l, const cfg_opt_t *o, const char *val, int argc, char **argv, int *i,
                    const char **config_file, int *action)
{
    int rc = 0;
    if (val && !o->metavar) {
        uerr_set(l->err, "F0000", "%s: takes no value", o->flag);
        rc = -1;
        goto out;
    }
    switch (o->id) {
    case CFG_OPT_CONFIG:
        rc = take_value(l, argc, argv, i, o->flag, &val);
        if (rc == 0 && !*val) {
            uerr_set(l->err, "F0000", "%s: empty file name", o->flag);
            rc = -1;
        }
        *config_file = rc == 0 ? val : *config_file;
        break;
    case CFG_OPT_EPHEMERAL: rc = set_mode_flag(l, o->flag, "ephemeral"); break;
    case CFG_OPT_MEMORY: rc = set_mode_flag(l, o->flag, "memory"); break;
    case CFG_OPT_PRINT_CONFIG: *action = stronger_action(*action, CFG_ACTION_PRINT_CONFIG); break;
    case CFG_OPT_VERSION: *action = stronger_action(*action, CFG_ACTION_VERSION); break;
    case CFG_OPT_HELP: *action = stronger_action(*action, CFG_ACTION_HELP); break;
    case CFG_OPT_MARKDOWN: *action = stronger_action(*action, CFG_ACTION_CONFIG_MARKDOWN); break;
    }
out:
    return rc;
}

static int table_flag(loader_t *l, const cfg_def_t *d, const char *val, int argc, char **argv,
                      int *i)
{
    int rc = 0;
    if (!val && d->type == CFG_T_BOOL)
        val = "true"; /* a bare boolean flag: --read-only */
    rc = take_value(l, argc, argv, i, d->flag, &val);
    if (rc == 0)
        rc = set_checked(l, d, val, PRIO_FLAG, d->flag, d->flag, NULL);
    if (rc == 0 && d == &cfg__defs[CFG_ROW_server_db])
        rc = set_mode_flag(l, d->flag, "persistent");
    return rc;
}

static void unknown_arg(loader_t *l, const char *arg, const char *name)
{
    const char *near = suggest(name, CFG_SEC_SERVER, true);
    if (arg[0] != '-' || strcmp(arg, "-") == 0 || strcmp(arg, "--") == 0)
        uerr_set(l->err, "F0000", "unexpected argument \"%s\" (see --help)", arg);
    else if (near)
        uerr_set(l->err, "F0000", "unknown option %s (did you mean %s?)", name, near);
    else
        uerr_set(l->err, "F0000", "unknown option %s (see --help)", name);
}

static int load_arg(loader_t *l, int argc, char **argv, int *i, const char **config_file,
                    int *action)
{
    const char *arg = argv[*i], *eq = strncmp(arg, "--", 2) == 0 ? strchr(arg, '=') : NULL;
    ubuf_t name = UBUF_INIT;
    int rc = -1;
    ubuf_append(&name, arg, eq ? (size_t)(eq - arg) : strlen(arg));
    const cfg_opt_t *o = find_opt(ubuf_cstr(&name));
    const cfg_def_t *d = o ? NULL : find_flag(name.data);
    const char *val = eq ? eq + 1 : NULL;
    if (o)
        rc = opt_flag(l, o, val, argc, argv, i, config_file, action);
    else if (d)
        rc = table_flag(l, d, val, argc, argv, i);
    else
        unknown_arg(l, arg, name.data);
    ubuf_free(&name);
    return rc;
}

/* ---- the effective configuration ---- */

static void store_field(cfg_t *cfg, const cfg_def_t *d, const cfg_value_t *v)
{
    void *field = (char *)cfg + d->offset;
    switch (d->field) {
    case CFG_F_STR:
        free(*(char **)field);
        *(char **)field = xstrdup(v->canon.data);
        break;
    case CFG_F_INT: *(int *)field = d->type == CFG_T_ENUM ? v->choice : (int)v->num; break;
    case CFG_F_ENUM: *(int *)field = v->choice; break;
    case CFG_F_BOOL: *(bool *)field = v->boolean; break;
    case CFG_F_I64: *(int64_t *)field = v->num; break;
    case CFG_F_NONE: break;
    }
}

static void add_duckdb(cfg_t *cfg, const char *key, const char *value, const char *origin)
{
    cfg->duckdb = xrealloc(cfg->duckdb, (cfg->nduckdb + 1) * sizeof *cfg->duckdb);
    cfg->duckdb[cfg->nduckdb++] = (cfg_duckdb_opt_t){xstrdup(key), xstrdup(value), xstrdup(origin)};
}

/* Converts the winning text of row i into cfg (its field, or a DuckDB option). */
static int apply_row(loader_t *l, cfg_t *cfg, size_t i)
{
    const cfg_def_t *d = &cfg__defs[i];
    const raw_t *r = &l->raw[i];
    cfg_value_t v;
    ubuf_t why = UBUF_INIT;
    int rc = 0;
    if (!cfg__parse_value(d, r->text, &v, &why)) {
        uerr_set(l->err, "F0000", "%s: %s", r->origin, ubuf_cstr(&why));
        rc = -1;
    } else if (d->section == CFG_SEC_SERVER) {
        store_field(cfg, d, &v);
        cfg->src[d->index] = (cfg_source_t){xstrdup(r->text), xstrdup(r->origin)};
    } else {
        add_duckdb(cfg, d->key, v.canon.data, r->origin);
    }
    ubuf_free(&v.canon);
    ubuf_free(&why);
    return rc;
}

static int finish(loader_t *l, cfg_t *cfg)
{
    int rc = 0;
    for (size_t i = 0; i < cfg__ndefs && rc == 0; i++)
        if (l->raw[i].text)
            rc = apply_row(l, cfg, i);
    for (size_t i = 0; i < l->nextra && rc == 0; i++)
        add_duckdb(cfg, l->extra[i].key, l->extra[i].value, l->extra[i].origin);
    if (rc == 0 && cfg->read_only && cfg->mode != CFG_MODE_PERSISTENT) {
        uerr_set(l->err, "F0000",
                 "read_only = true (from %s) needs persistent mode, but mode "
                 "is %s (from %s)",
                 cfg->src[CFG_KEY_read_only].origin, cfg_mode_name(cfg->mode),
                 cfg->src[CFG_KEY_mode].origin);
        rc = -1;
    }
    return rc;
}

/* ---- public ---- */

int cfg_load(cfg_t *cfg, int argc, char **argv, char **envp, uerr_t *err)
{
    loader_t l;
    const char *file = NULL;
    int action = CFG_ACTION_RUN, rc = 0;
    bool loads;
    memset(cfg, 0, sizeof *cfg);
    loader_init(&l, err);
    for (int i = 1; i < argc && rc == 0; i++)
        rc = load_arg(&l, argc, argv, &i, &file, &action);
    loads = action == CFG_ACTION_RUN || action == CFG_ACTION_PRINT_CONFIG;
    if (rc != 0 || !loads)
        goto out;
    if (!file)
        file = env_get(envp, "DUCKD_CONFIG");
    if (file && !*file)
        file = NULL; /* DUCKD_CONFIG= means no file */
    if (file) {
        cfg->config_file = xstrdup(file);
        rc = load_file(&l, file);
    }
    if (rc == 0)
        rc = load_env(&l, envp);
    if (rc == 0)
        rc = finish(&l, cfg);
out:
    loader_free(&l);
    if (rc != 0 || !loads)
        cfg_free(cfg);
    return rc != 0 ? -1 : action;
}

int cfg__load_file_stream(cfg_t *cfg, FILE *f, const char *name, uerr_t *err)
{
    loader_t l;
    int rc;
    memset(cfg, 0, sizeof *cfg);
    loader_init(&l, err);
    rc = load_stream(&l, f, name);
    if (rc == 0)
        rc = finish(&l, cfg);
    if (rc == 0)
        cfg->config_file = xstrdup(name);
    loader_free(&l);
    if (rc != 0)
        cfg_free(cfg);
    return rc != 0 ? -1 : CFG_ACTION_RUN;
}

void cfg_free(cfg_t *cfg)
{
    for (size_t i = 0; i < cfg__ndefs; i++)
        if (cfg__defs[i].field == CFG_F_STR)
            free(*(char **)((char *)cfg + cfg__defs[i].offset));
    for (size_t i = 0; i < CFG_NSERVER; i++) {
        free(cfg->src[i].text);
        free(cfg->src[i].origin);
    }
    for (size_t i = 0; i < cfg->nduckdb; i++) {
        free(cfg->duckdb[i].key);
        free(cfg->duckdb[i].value);
        free(cfg->duckdb[i].origin);
    }
    free(cfg->duckdb);
    free(cfg->config_file);
    memset(cfg, 0, sizeof *cfg);
}

const char *cfg_mode_name(cfg_mode_t mode)
{
    static const char *const names[] = {[CFG_MODE_PERSISTENT] = "persistent",
                                        [CFG_MODE_EPHEMERAL] = "ephemeral",
                                        [CFG_MODE_MEMORY] = "memory"};
    return (unsigned)mode < sizeof names / sizeof names[0] ? names[mode] : "unknown";
}
