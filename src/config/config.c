/* Configuration loading from the settings table (settings.def): defaults, the INI file (inih),
 * environment variables and flags, in increasing precedence, each value remembering its
 * origin; then typed validation into cfg_t. Also --help, --print-config and the generated
 * docs/CONFIG.md. */
#include "config/config.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/config_internal.h"
#include "util/buf.h"
#include "util/xalloc.h"

typedef enum { T_STRING, T_PATH, T_INT, T_BOOL, T_SIZE, T_ENUM } cfg_type_t;
typedef enum { SEC_SERVER, SEC_DUCKDB } cfg_section_t;

typedef struct cfg_def {
    cfg_section_t section;
    const char *key;
    cfg_type_t type;
    const char *dflt;    /* NULL: unset (DuckDB options) */
    const char *flag;    /* NULL: no flag */
    int64_t min, max;
    const char *choices; /* ENUM */
    const char *doc;
    size_t offset;       /* [server]: field offset in cfg_t */
} cfg_def_t;

#define CFG_SERVER(k, t, d, f, lo, hi, ch, doc)                                              \
    {SEC_SERVER, #k, T_##t, d, f, lo, hi, ch, doc, offsetof(cfg_t, k)},
#define CFG_DUCKDB(k, t, f, doc) {SEC_DUCKDB, #k, T_##t, NULL, f, 0, 0, NULL, doc, 0},
static const cfg_def_t cfg_defs[] = {
#include "config/settings.def"
};
#undef CFG_SERVER
#undef CFG_DUCKDB
#define CFG_NDEFS (sizeof cfg_defs / sizeof cfg_defs[0])

_Static_assert(CFG_NDEFS <= 64, "cfg_t.origins is too small for the settings table");

/* Raw value of one table row while loading. */
typedef struct raw {
    char *value;  /* NULL = unset */
    char *origin;
    int prio;     /* 0 default, 1 file, 2 env, 3 flag */
} raw_t;

/* A [duckdb] key from the file that is not in the table. */
typedef struct extra {
    char *key, *value, *origin;
    struct extra *next;
} extra_t;

typedef struct loader {
    raw_t raw[CFG_NDEFS];
    extra_t *extra, **extra_tail;
    const char *file;  /* for messages */
    int line;          /* current line while parsing the file */
    uerr_t *err;
    bool failed;
} loader_t;

/* ---- small helpers ---- */

static const cfg_def_t *cfg_find(cfg_section_t sec, const char *key)
{
    for (size_t i = 0; i < CFG_NDEFS; i++)
        if (cfg_defs[i].section == sec && strcasecmp(cfg_defs[i].key, key) == 0)
            return &cfg_defs[i];
    return NULL;
}

static const cfg_def_t *cfg_find_flag(const char *flag, size_t len)
{
    for (size_t i = 0; i < CFG_NDEFS; i++)
        if (cfg_defs[i].flag && strlen(cfg_defs[i].flag) == len &&
            strncmp(cfg_defs[i].flag, flag, len) == 0)
            return &cfg_defs[i];
    return NULL;
}

static void loader_set(loader_t *l, const cfg_def_t *d, const char *value, int prio,
                       const char *origin)
{
    raw_t *r = &l->raw[d - cfg_defs];
    if (r->prio > prio)
        return;
    free(r->value);
    free(r->origin);
    r->value = xstrdup(value);
    r->origin = xstrdup(origin);
    r->prio = prio;
}

static void env_name(char *out, size_t n, const char *key)
{
    size_t i = 0;
    int w = snprintf(out, n, "DUCKD_");
    for (i = 0; key[i] && (size_t)w + i + 1 < n; i++)
        out[w + i] = (char)toupper((unsigned char)key[i]);
    out[w + i] = '\0';
}

/* ---- the file ---- */

static char *file_reader(char *str, int num, void *stream)
{
    loader_t *l = ((void **)stream)[1];
    char *r = fgets(str, num, ((void **)stream)[0]);
    if (r)
        l->line++;
    return r;
}

static int file_handler(void *user, const char *section, const char *name, const char *value)
{
    loader_t *l = user;
    char origin[512];
    snprintf(origin, sizeof origin, "%s:%d", l->file, l->line);
    cfg_section_t sec;
    if (strcasecmp(section, "server") == 0)
        sec = SEC_SERVER;
    else if (strcasecmp(section, "duckdb") == 0)
        sec = SEC_DUCKDB;
    else {
        uerr_set(l->err, "F0000", "%s: unknown section [%s] (expected [server] or [duckdb])",
                 origin, section);
        return 0;
    }
    const cfg_def_t *d = cfg_find(sec, name);
    if (!d && sec == SEC_SERVER) {
        uerr_set(l->err, "F0000", "%s: unknown key \"%s\" in section [server]", origin, name);
        return 0;
    }
    if (d) {
        if (l->raw[d - cfg_defs].prio == 1) {
            uerr_set(l->err, "F0000", "%s: key \"%s\" is set twice in section [%s]", origin,
                     name, section);
            return 0;
        }
        loader_set(l, d, value, 1, origin);
        return 1;
    }
    for (extra_t *e = l->extra; e; e = e->next) {
        if (strcasecmp(e->key, name) == 0) {
            uerr_set(l->err, "F0000", "%s: key \"%s\" is set twice in section [duckdb]", origin,
                     name);
            return 0;
        }
    }
    extra_t *e = xcalloc(1, sizeof *e);
    e->key = xstrdup(name);
    e->value = xstrdup(value);
    e->origin = xstrdup(origin);
    *l->extra_tail = e;
    l->extra_tail = &e->next;
    return 1;
}

static int load_stream(loader_t *l, FILE *f, const char *name)
{
    void *stream[2] = {f, l};
    l->file = name;
    l->line = 0;
    int rc = ini_parse_stream(file_reader, stream, file_handler, l);
    if (rc == 0)
        return 0;
    if (!uerr_isset(l->err))
        uerr_set(l->err, "F0000", "%s:%d: syntax error", name, rc > 0 ? rc : l->line);
    return -1;
}

static int load_file(loader_t *l, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        uerr_set(l->err, "F0000", "cannot open config file %s: %s", path, strerror(errno));
        return -1;
    }
    int rc = load_stream(l, f, path);
    fclose(f);
    return rc;
}

/* ---- environment and flags ---- */

static void load_env(loader_t *l, char **envp)
{
    for (size_t i = 0; i < CFG_NDEFS; i++) {
        char name[128];
        env_name(name, sizeof name, cfg_defs[i].key);
        size_t n = strlen(name);
        for (char **e = envp; e && *e; e++) {
            if (strncmp(*e, name, n) == 0 && (*e)[n] == '=') {
                char origin[160];
                snprintf(origin, sizeof origin, "env %s", name);
                loader_set(l, &cfg_defs[i], *e + n + 1, 2, origin);
            }
        }
    }
}

static int flag_error(uerr_t *err, const char *what, const char *arg)
{
    uerr_set(err, "F0000", "%s %s%s", what, arg, strcmp(what, "unknown option") == 0 ? " (see --help)" : "");
    return -1;
}

/* Parses argv. Returns the action, or -1 with err set. */
static int load_flags(loader_t *l, int argc, char **argv, const char **config_file)
{
    int action = CFG_ACTION_RUN;
    const char *mode_flag = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *eq = strchr(a, '=');
        size_t alen = eq ? (size_t)(eq - a) : strlen(a);
        const char *val = eq ? eq + 1 : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h"))
            action = CFG_ACTION_HELP;
        else if (!strcmp(a, "--version") || !strcmp(a, "-V"))
            action = action == CFG_ACTION_RUN ? CFG_ACTION_VERSION : action;
        else if (!strcmp(a, "--print-config"))
            action = action == CFG_ACTION_RUN ? CFG_ACTION_PRINT_CONFIG : action;
        else if (!strcmp(a, "--config-markdown"))
            action = CFG_ACTION_CONFIG_MARKDOWN;
        else if (!strcmp(a, "--memory") || !strcmp(a, "--ephemeral")) {
            if (mode_flag && strcmp(mode_flag, a) != 0) {
                uerr_set(l->err, "F0000", "%s conflicts with %s", a, mode_flag);
                return -1;
            }
            mode_flag = a;
            loader_set(l, cfg_find(SEC_SERVER, "mode"), a + 2, 3, a);
        } else if (alen == 8 && !strncmp(a, "--config", 8)) {
            if (!val && i + 1 >= argc)
                return flag_error(l->err, "missing value for", "--config");
            *config_file = val ? val : argv[++i];
        } else {
            const cfg_def_t *d = cfg_find_flag(a, alen);
            if (!d)
                return flag_error(l->err, "unknown option", a);
            if (!val && d->type == T_BOOL)
                val = "true";
            if (!val && i + 1 >= argc)
                return flag_error(l->err, "missing value for", d->flag);
            if (!val)
                val = argv[++i];
            loader_set(l, d, val, 3, d->flag);
            if (!strcmp(d->key, "db")) {
                if (mode_flag) {
                    uerr_set(l->err, "F0000", "--db conflicts with %s", mode_flag);
                    return -1;
                }
                mode_flag = "--db";
                loader_set(l, cfg_find(SEC_SERVER, "mode"), "persistent", 3, "--db");
            }
        }
    }
    return action;
}

/* ---- typed conversion ---- */

static bool parse_bool(const char *v, bool *out)
{
    static const char *yes[] = {"true", "on", "yes", "1"}, *no[] = {"false", "off", "no", "0"};
    for (int i = 0; i < 4; i++) {
        if (!strcasecmp(v, yes[i]))
            return *out = true, true;
        if (!strcasecmp(v, no[i]))
            return *out = false, true;
    }
    return false;
}

static bool parse_int(const char *v, int64_t *out)
{
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (errno || end == v || *end || !*v)
        return false;
    *out = x;
    return true;
}

/* "64MB", "16KiB", "1GB", "4096" -> bytes (binary multiples). */
static bool cfg_parse_size(const char *v, int64_t *out)
{
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (errno || end == v || x < 0)
        return false;
    while (*end == ' ')
        end++;
    static const struct { const char *u; double m; } units[] = {
        {"", 1}, {"B", 1}, {"KB", 1024.0}, {"KiB", 1024.0}, {"K", 1024.0},
        {"MB", 1048576.0}, {"MiB", 1048576.0}, {"M", 1048576.0},
        {"GB", 1073741824.0}, {"GiB", 1073741824.0}, {"G", 1073741824.0},
        {"TB", 1099511627776.0}, {"TiB", 1099511627776.0}};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (!strcasecmp(end, units[i].u)) {
            double b = x * units[i].m;
            if (b > 9.0e18)
                return false;
            *out = (int64_t)b;
            return true;
        }
    }
    return false;
}

static bool enum_ok(const char *choices, const char *v)
{
    size_t n = strlen(v);
    for (const char *p = choices; p && *p;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && !strncasecmp(p, v, n))
            return true;
        p = bar ? bar + 1 : NULL;
    }
    return false;
}

/* Validates one raw value of `d`; on success stores it (server) and returns 0. */
static int convert(cfg_t *cfg, const cfg_def_t *d, const raw_t *r, uerr_t *err)
{
    const char *v = r->value;
    int64_t i = 0;
    bool b = false;
    void *field = (char *)cfg + d->offset;
    const char *what = NULL;
    switch (d->type) {
    case T_INT:
        if (!parse_int(v, &i))
            what = "invalid integer";
        else if (d->section == SEC_SERVER && (i < d->min || i > d->max))
            what = "out of range";
        break;
    case T_SIZE:
        if (!cfg_parse_size(v, &i))
            what = "invalid size (use e.g. 64MB, 16KB, 4096)";
        else if (i < d->min || i > d->max)
            what = "out of range";
        break;
    case T_BOOL:
        if (!parse_bool(v, &b))
            what = "invalid boolean (use true/false, on/off, yes/no, 1/0)";
        break;
    case T_ENUM:
        if (!enum_ok(d->choices, v))
            what = "invalid value";
        break;
    default:
        break;
    }
    if (what) {
        uerr_set(err, "F0000", "%s: %s \"%s\" for %s", r->origin, what, v, d->key);
        if (d->type == T_ENUM || (d->type == T_INT && d->min != d->max))
            uerr_set_hint(err, "allowed: %s", d->choices ? d->choices : "see --help");
        return -1;
    }
    if (d->section != SEC_SERVER)
        return 0;
    switch (d->type) {
    case T_INT: *(int *)field = (int)i; break;
    case T_SIZE: *(int64_t *)field = i; break;
    case T_BOOL: *(bool *)field = b; break;
    case T_ENUM:
        if (!strcmp(d->key, "mode")) {
            cfg->mode = !strcasecmp(v, "memory")      ? CFG_MODE_MEMORY
                        : !strcasecmp(v, "ephemeral") ? CFG_MODE_EPHEMERAL
                                                      : CFG_MODE_PERSISTENT;
            break;
        }
        free(*(char **)field); /* other enums are kept as strings */
        *(char **)field = xstrdup(v);
        break;
    default:
        free(*(char **)field);
        *(char **)field = xstrdup(v);
        break;
    }
    return 0;
}

static void add_duckdb(cfg_t *cfg, const char *key, const char *value, const char *origin)
{
    cfg->duckdb = xrealloc(cfg->duckdb, (cfg->nduckdb + 1) * sizeof *cfg->duckdb);
    cfg->duckdb[cfg->nduckdb].key = xstrdup(key);
    cfg->duckdb[cfg->nduckdb].value = xstrdup(value);
    cfg->duckdb[cfg->nduckdb].origin = xstrdup(origin);
    cfg->nduckdb++;
}

static int finish(loader_t *l, cfg_t *cfg)
{
    for (size_t i = 0; i < CFG_NDEFS; i++) {
        const cfg_def_t *d = &cfg_defs[i];
        raw_t *r = &l->raw[i];
        if (!r->value)
            continue;
        if (convert(cfg, d, r, l->err) != 0)
            return -1;
        if (d->section == SEC_SERVER)
            cfg->origins[i] = xstrdup(r->origin);
        else
            add_duckdb(cfg, d->key, r->value, r->origin);
    }
    for (extra_t *e = l->extra; e; e = e->next)
        add_duckdb(cfg, e->key, e->value, e->origin);
    if (cfg->read_only && cfg->mode != CFG_MODE_PERSISTENT) {
        uerr_set(l->err, "F0000", "read_only needs persistent mode (mode is %s)",
                 cfg_mode_name(cfg->mode));
        return -1;
    }
    return 0;
}

static void loader_init(loader_t *l, uerr_t *err)
{
    memset(l, 0, sizeof *l);
    l->err = err;
    l->extra_tail = &l->extra;
    for (size_t i = 0; i < CFG_NDEFS; i++)
        if (cfg_defs[i].dflt)
            loader_set(l, &cfg_defs[i], cfg_defs[i].dflt, 0, "default");
}

static void loader_free(loader_t *l)
{
    for (size_t i = 0; i < CFG_NDEFS; i++) {
        free(l->raw[i].value);
        free(l->raw[i].origin);
    }
    while (l->extra) {
        extra_t *e = l->extra;
        l->extra = e->next;
        free(e->key);
        free(e->value);
        free(e->origin);
        free(e);
    }
}

int cfg_load(cfg_t *cfg, int argc, char **argv, char **envp, uerr_t *err)
{
    loader_t l;
    const char *file = NULL;
    int action;
    memset(cfg, 0, sizeof *cfg);
    loader_init(&l, err);
    action = load_flags(&l, argc, argv, &file);
    if (action < 0)
        goto out;
    if (action == CFG_ACTION_HELP || action == CFG_ACTION_CONFIG_MARKDOWN ||
        action == CFG_ACTION_VERSION)
        goto out;
    if (!file)
        for (char **e = envp; e && *e; e++)
            if (!strncmp(*e, "DUCKD_CONFIG=", 13) && (*e)[13])
                file = *e + 13;
    if (file) {
        cfg->config_file = xstrdup(file);
        if (load_file(&l, file) != 0) {
            action = -1;
            goto out;
        }
    }
    load_env(&l, envp);
    if (finish(&l, cfg) != 0)
        action = -1;
out:
    loader_free(&l);
    if (action < 0)
        cfg_free(cfg);
    return action;
}

int cfg__load_text(cfg_t *cfg, const char *text, size_t len, uerr_t *err)
{
    loader_t l;
    int rc = -1;
    memset(cfg, 0, sizeof *cfg);
    loader_init(&l, err);
    FILE *f = fmemopen((void *)text, len, "r");
    if (f && load_stream(&l, f, "fuzz.ini") == 0 && finish(&l, cfg) == 0)
        rc = CFG_ACTION_RUN;
    if (f)
        fclose(f);
    if (!f)
        uerr_set(err, "F0000", "fmemopen failed");
    loader_free(&l);
    if (rc < 0)
        cfg_free(cfg);
    return rc;
}

void cfg_free(cfg_t *cfg)
{
    for (size_t i = 0; i < CFG_NDEFS; i++) {
        const cfg_def_t *d = &cfg_defs[i];
        if (d->section == SEC_SERVER &&
            (d->type == T_STRING || d->type == T_PATH ||
             (d->type == T_ENUM && strcmp(d->key, "mode") != 0)))
            free(*(char **)((char *)cfg + d->offset));
        free(cfg->origins[i]);
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
    switch (mode) {
    case CFG_MODE_EPHEMERAL: return "ephemeral";
    case CFG_MODE_MEMORY: return "memory";
    default: return "persistent";
    }
}

/* ---- printing ---- */

static const char *type_name(const cfg_def_t *d)
{
    static const char *names[] = {"string", "path", "integer", "boolean", "size", "enum"};
    return names[d->type];
}

void cfg_print_help(FILE *f, const char *argv0)
{
    fprintf(f, "Usage: %s [--db PATH | --ephemeral | --memory] [--read-only] [--init FILE.sql]\n"
               "       [--listen ADDR] [--port N] [--socket-dir DIR] [--config FILE]\n"
               "       [--print-config] [--version] [--help]\n\n"
               "duckd serves one DuckDB database to many clients over the PostgreSQL wire "
               "protocol.\n\nSettings (flag / environment variable, default):\n",
            argv0 ? argv0 : "duckd");
    for (size_t i = 0; i < CFG_NDEFS; i++) {
        const cfg_def_t *d = &cfg_defs[i];
        char env[128];
        env_name(env, sizeof env, d->key);
        fprintf(f, "  [%s] %s (%s%s%s)\n", d->section == SEC_SERVER ? "server" : "duckdb",
                d->key, type_name(d), d->choices ? ": " : "", d->choices ? d->choices : "");
        fprintf(f, "      %s%s%s  default: %s\n", d->flag ? d->flag : "", d->flag ? ", " : "",
                env, d->dflt ? (*d->dflt ? d->dflt : "\"\"") : "(DuckDB's default)");
        fprintf(f, "      %s\n", d->doc);
    }
    fprintf(f, "\n  --ephemeral, --memory   shorthands for mode=ephemeral / mode=memory\n"
               "  --config FILE           INI file with [server] and [duckdb] sections "
               "(or DUCKD_CONFIG)\n"
               "  --print-config          print every effective value and its origin\n\n"
               "Precedence: flag > environment > config file > default. Any other [duckdb] "
               "key in the file is passed to DuckDB as is.\n");
}

void cfg_print_effective(const cfg_t *cfg, FILE *f)
{
    if (cfg->config_file)
        fprintf(f, "# config file: %s\n", cfg->config_file);
    for (size_t i = 0; i < CFG_NDEFS; i++) {
        const cfg_def_t *d = &cfg_defs[i];
        if (d->section != SEC_SERVER)
            continue;
        const void *field = (const char *)cfg + d->offset;
        fprintf(f, "server.%s = ", d->key);
        switch (d->type) {
        case T_INT: fprintf(f, "%d", *(const int *)field); break;
        case T_SIZE: fprintf(f, "%lld", (long long)*(const int64_t *)field); break;
        case T_BOOL: fprintf(f, "%s", *(const bool *)field ? "true" : "false"); break;
        default:
            if (!strcmp(d->key, "mode"))
                fprintf(f, "%s", cfg_mode_name(cfg->mode));
            else
                fprintf(f, "%s", *(char *const *)field ? *(char *const *)field : "");
        }
        fprintf(f, "  # %s\n", cfg->origins[i] ? cfg->origins[i] : "default");
    }
    for (size_t i = 0; i < cfg->nduckdb; i++)
        fprintf(f, "duckdb.%s = %s  # %s\n", cfg->duckdb[i].key, cfg->duckdb[i].value,
                cfg->duckdb[i].origin);
}

static void md_section(FILE *f, cfg_section_t sec)
{
    fprintf(f, "| key | type | default | flag | environment | description |\n"
               "|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < CFG_NDEFS; i++) {
        const cfg_def_t *d = &cfg_defs[i];
        char env[128];
        if (d->section != sec)
            continue;
        env_name(env, sizeof env, d->key);
        fprintf(f, "| `%s` | %s%s%s%s | %s%s%s | %s%s%s | `%s` | %s |\n", d->key, type_name(d),
                d->choices ? " (`" : "", d->choices ? d->choices : "", d->choices ? "`)" : "",
                d->dflt ? "`" : "", d->dflt ? (*d->dflt ? d->dflt : "\"\"") : "DuckDB's",
                d->dflt ? "`" : "", d->flag ? "`" : "", d->flag ? d->flag : "—",
                d->flag ? "`" : "", env, d->doc);
    }
}

void cfg_print_markdown(FILE *f)
{
    fprintf(f, "# duckd configuration reference\n\n"
               "<!-- Generated by `duckd --config-markdown` from src/config/settings.def "
               "(`make docs`); `make test` fails when this file is stale. -->\n\n"
               "Every setting has one definition (src/config/settings.def) and can be given "
               "in four ways, in increasing precedence:\n\n"
               "1. its default;\n"
               "2. the config file named by `--config FILE` or `DUCKD_CONFIG` (INI, sections "
               "`[server]` and `[duckdb]`);\n"
               "3. the environment variable `DUCKD_<KEY>` (e.g. `DUCKD_PORT=6000`);\n"
               "4. the command-line flag (e.g. `--port 6000` or `--port=6000`).\n\n"
               "`duckd --print-config` prints every effective value and where it came from. "
               "An unknown key, an unknown section, a key given twice or an invalid value "
               "stops start-up with an error naming the key, the file and the line.\n\n"
               "```ini\n[server]\nport = 5433\nmode = memory\ninit = /etc/duckd/load.sql\n"
               "max_connections = 200\n\n[duckdb]\nmemory_limit = 8GB\nthreads = 4\n"
               "temp_directory = /var/tmp/duckd\n```\n\n"
               "Sizes accept `B`, `KB`/`KiB`, `MB`/`MiB`, `GB`/`GiB` (binary multiples). "
               "Booleans accept true/false, on/off, yes/no, 1/0.\n\n"
               "## [server]\n\n");
    md_section(f, SEC_SERVER);
    fprintf(f, "\n`--memory` and `--ephemeral` set `mode`; `--db PATH` sets `db` and selects "
               "persistent mode. `read_only` needs persistent mode.\n\n"
               "## [duckdb]\n\n"
               "Every key of this section is handed to DuckDB when the database opens "
               "(`duckdb_set_config`); nothing else in duckd sets DuckDB options. The keys "
               "below are documented and have flags or environment variables; any other "
               "DuckDB option may be written in the file and is passed through as is — "
               "DuckDB rejects unknown ones, and duckd reports the file and line.\n\n");
    md_section(f, SEC_DUCKDB);
}
