/* Output generated from the settings table: --help, --print-config and docs/CONFIG.md. The
 * examples in the docs (effective config, error messages) are produced by really loading
 * them, so the reference cannot drift from the behaviour. */
#include <stdlib.h>
#include <string.h>

#include "config/config_internal.h"

#define HELP_WIDTH 79

const char cfg__example_ini[] = "; duckd.ini: start with `duckd --config duckd.ini`\n"
                                "[server]\n"
                                "mode = memory\n"
                                "init = /etc/duckd/load.sql\n"
                                "listen = *\n"
                                "max_connections = 200\n"
                                "max_message_size = 16MB\n"
                                "log_statements = on\n"
                                "\n"
                                "[duckdb]\n"
                                "memory_limit = 8GB\n"
                                "threads = 8\n"
                                "; any other DuckDB option is passed through:\n"
                                "default_null_order = nulls_last\n";

/* ---- helpers ---- */

/* Writes text word-wrapped at HELP_WIDTH, continuing on the current line at column `col`
 * (0: a fresh line) and indenting further lines by `indent` spaces. */
static void wrap(FILE *f, const char *text, int col, int indent)
{
    bool first = true;
    while (*text) {
        size_t n = strcspn(text, " ");
        if (!first && col + 1 + (int)n > HELP_WIDTH) {
            fputc('\n', f);
            col = 0;
        }
        if (col < indent)
            col += fprintf(f, "%*s", indent - col, "");
        else if (!first)
            col += fprintf(f, " ");
        col += fprintf(f, "%.*s", (int)n, text);
        text += n;
        text += strspn(text, " ");
        first = false;
    }
    fputc('\n', f);
}

/* The placeholder of a flag's value in --help: "N", "PATH", "debug|info|warning|error". */
static const char *metavar(const cfg_def_t *d)
{
    static const char *const names[] = {
        [CFG_T_STRING] = "VALUE", [CFG_T_PATH] = "PATH", [CFG_T_BOOL] = "",
        [CFG_T_INT] = "N",        [CFG_T_SIZE] = "SIZE", [CFG_T_DURATION] = "SECONDS",
        [CFG_T_MILLIS] = "MS",    [CFG_T_ENUM] = NULL};
    return d->type == CFG_T_ENUM ? d->choices : names[d->type];
}

/* Appends d's default for display ("" when empty), in backticks when code is set; unset
 * defaults ([duckdb] rows) read "DuckDB's". */
static void append_default(ubuf_t *b, const cfg_def_t *d, bool code)
{
    if (!d->dflt)
        ubuf_puts(b, "DuckDB's");
    else
        ubuf_printf(b, "%s%s%s", code ? "`" : "", *d->dflt ? d->dflt : "\"\"", code ? "`" : "");
    ubuf_cstr(b);
}

/* Writes a value as --print-config shows it: quoted when empty or space-padded. */
static void put_value(FILE *f, const char *v)
{
    size_t n = v ? strlen(v) : 0;
    bool quote = n == 0 || v[0] == ' ' || v[0] == '\t' || v[n - 1] == ' ' || v[n - 1] == '\t';
    fprintf(f, quote ? "\"%s\"" : "%s", v ? v : "");
}

/* ---- --help ---- */

static void help_setting(FILE *f, const cfg_def_t *d)
{
    ubuf_t b = UBUF_INIT;
    ubuf_printf(&b, "  %s%s", d->key, d->dflt ? " = " : "");
    if (d->dflt)
        append_default(&b, d, false);
    fprintf(f, "%-34s ", ubuf_cstr(&b));
    ubuf_reset(&b);
    cfg__describe_type(&b, d);
    fprintf(f, "%s\n", b.data);
    ubuf_reset(&b);
    if (d->flag)
        ubuf_printf(&b, "%s%s%s, ", d->flag, *metavar(d) ? " " : "", metavar(d));
    cfg__env_name(&b, d->key);
    fprintf(f, "      %s\n", b.data);
    wrap(f, d->doc, 0, 6);
    ubuf_free(&b);
}

static void help_option(FILE *f, const cfg_opt_t *o)
{
    ubuf_t b = UBUF_INIT;
    ubuf_printf(&b, "%s%s%s%s%s", o->alias ? o->alias : "", o->alias ? ", " : "", o->flag,
                o->metavar ? " " : "", o->metavar ? o->metavar : "");
    wrap(f, o->doc, fprintf(f, "  %-32s ", ubuf_cstr(&b)), 35);
    ubuf_free(&b);
}

void cfg_print_help(FILE *f, const char *argv0)
{
    const char *prog = argv0 && strrchr(argv0, '/') ? strrchr(argv0, '/') + 1 : argv0;
    int pad = (int)strlen(prog && *prog ? prog : "duckd") + 8;
    fprintf(f,
            "Usage: %s [--db PATH | --ephemeral | --memory] [--read-only] [--init FILE.sql]\n"
            "%*s[--listen ADDR] [--port N] [--socket-dir DIR] [--config FILE]\n"
            "%*s[--print-config] [--version] [--help] [--SETTING VALUE ...]\n\n",
            prog && *prog ? prog : "duckd", pad, "", pad, "");
    wrap(f, "Serves one DuckDB database to many clients over the PostgreSQL wire protocol.", 0, 0);
    fprintf(f, "\nOptions:\n");
    for (size_t i = 0; i < cfg__nopts; i++)
        if (cfg__opts[i].doc)
            help_option(f, &cfg__opts[i]);
    for (int sec = CFG_SEC_SERVER; sec <= CFG_SEC_DUCKDB; sec++) {
        fprintf(f, "\nSettings of section [%s] (%s, type; flag, environment):\n",
                sec == CFG_SEC_SERVER ? "server" : "duckdb",
                sec == CFG_SEC_SERVER ? "key = default" : "key, unset by default");
        for (size_t i = 0; i < cfg__ndefs; i++)
            if ((int)cfg__defs[i].section == sec)
                help_setting(f, &cfg__defs[i]);
    }
    fprintf(f, "\n");
    wrap(f,
         "Other keys of the config file's [duckdb] section are passed to DuckDB as they "
         "are. Precedence: flag > environment > config file > default. Reference: "
         "docs/CONFIG.md.",
         0, 0);
}

/* ---- --print-config ---- */

void cfg_print_effective(const cfg_t *cfg, FILE *f)
{
    fprintf(f, "# duckd %s effective configuration (", DUCKD_VERSION);
    fprintf(f, cfg->config_file ? "config file %s)\n" : "no config file)\n",
            cfg->config_file ? cfg->config_file : "");
    for (size_t i = 0; i < cfg__ndefs; i++) {
        const cfg_def_t *d = &cfg__defs[i];
        if (d->section != CFG_SEC_SERVER)
            continue;
        fprintf(f, "server.%s = ", d->key);
        put_value(f, cfg->src[d->index].text);
        fprintf(f, "  # %s\n", cfg->src[d->index].origin ? cfg->src[d->index].origin : "unset");
    }
    for (size_t i = 0; i < cfg->nduckdb; i++) {
        fprintf(f, "duckdb.%s = ", cfg->duckdb[i].key);
        put_value(f, cfg->duckdb[i].value);
        fprintf(f, "  # %s\n", cfg->duckdb[i].origin);
    }
}

/* ---- docs/CONFIG.md ---- */

/* Writes plain text safely inside a Markdown table cell. */
static void md_text(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '|': fputs("\\|", f); break;
        case '*': fputs("\\*", f); break;
        case '\\': fputs("\\\\", f); break;
        case '`': fputs("\\`", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        default: fputc(*s, f); break;
        }
    }
}

static void md_row(FILE *f, const cfg_def_t *d)
{
    ubuf_t b = UBUF_INIT;
    fprintf(f, "| `%s` | ", d->key);
    cfg__describe_type(&b, d);
    md_text(f, b.data);
    ubuf_reset(&b);
    append_default(&b, d, true);
    fprintf(f, " | %s | ", b.data);
    if (d->flag) {
        fprintf(f, "`%s%s", d->flag, *metavar(d) ? " " : "");
        for (const char *p = metavar(d); *p; p++)
            fprintf(f, "%s%c", *p == '|' ? "\\" : "", *p); /* a table cell needs \| */
        fputc('`', f);
    }
    ubuf_reset(&b);
    cfg__env_name(&b, d->key);
    fprintf(f, " | `%s` | ", b.data);
    md_text(f, d->doc);
    fprintf(f, " |\n");
    ubuf_free(&b);
}

static void md_table(FILE *f, cfg_section_t sec)
{
    fprintf(f, "| Key | Type | Default | Flag | Environment | Description |\n"
               "|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < cfg__ndefs; i++)
        if (cfg__defs[i].section == sec)
            md_row(f, &cfg__defs[i]);
}

/* The effective configuration of the example file, as --print-config shows it. */
static void md_example_effective(FILE *f)
{
    cfg_t cfg = {0};
    uerr_t err = UERR_INIT;
    FILE *in = fmemopen((void *)cfg__example_ini, strlen(cfg__example_ini), "r");
    if (in && cfg__load_file_stream(&cfg, in, "duckd.ini", &err) == CFG_ACTION_RUN)
        cfg_print_effective(&cfg, f);
    else
        fprintf(f, "(example failed to load: %s)\n", err.message ? err.message : "fmemopen");
    if (in)
        fclose(in);
    cfg_free(&cfg);
    uerr_clear(&err);
}

/* Error messages shown in the docs: each is produced by loading it. */
typedef struct md_error {
    const char *ini; /* file text (named duckd.ini), or NULL */
    char *argv[3];   /* arguments after "duckd" */
    char *env;       /* one environment entry, or NULL */
} md_error_t;

static const md_error_t md_errors[] = {
    {"[server]\nport = 5433\nprot = 5434\n", {NULL}, NULL},
    {"[server]\nmax_connections = 100\n\n[server]\nmax_connections = 200\n", {NULL}, NULL},
    {"[server]\nmax_message_size = 64 parsecs\n", {NULL}, NULL},
    {"[duckdb]\nthreads = 4\n[sever]\n", {NULL}, NULL},
    {NULL, {NULL}, "DUCKD_PORT=abc"},
    {NULL, {"--max-connections", "0", NULL}, NULL},
    {NULL, {"--memory", "--read-only", NULL}, NULL},
    {NULL, {"--prot", "6000", NULL}, NULL},
};

static void md_error_line(FILE *f, const md_error_t *e)
{
    cfg_t cfg = {0};
    uerr_t err = UERR_INIT;
    char *argv[5] = {"duckd", e->argv[0], e->argv[1], e->argv[2], NULL};
    char *envp[2] = {e->env, NULL};
    int argc = 1, rc = 0;
    FILE *in = e->ini ? fmemopen((void *)e->ini, strlen(e->ini), "r") : NULL;
    while (argc < 4 && argv[argc])
        argc++;
    if (in)
        rc = cfg__load_file_stream(&cfg, in, "duckd.ini", &err);
    else if (!e->ini)
        rc = cfg_load(&cfg, argc, argv, envp, &err);
    fprintf(f, "duckd: %s\n", rc < 0 && err.message ? err.message : "(no error)");
    if (in)
        fclose(in);
    cfg_free(&cfg);
    uerr_clear(&err);
}

static void md_intro(FILE *f)
{
    fprintf(f,
            "# duckd configuration reference\n\n"
            "<!-- Generated from src/config/settings.def by `duckd --config-markdown` (`make "
            "docs`); `make docs-check` fails when it is stale. Do not edit by hand. -->\n\n"
            "Every setting is declared once, in `src/config/settings.def`, and can be given in "
            "four ways, each overriding the ones before it:\n\n"
            "1. its **default** (tables below);\n"
            "2. the **config file** named by `--config FILE`, or else by the environment variable "
            "`DUCKD_CONFIG` (duckd reads no file otherwise): INI syntax, sections `[server]` and "
            "`[duckdb]`;\n"
            "3. the **environment variable** `DUCKD_<KEY>`, the key in upper case "
            "(`DUCKD_PORT=6000`);\n"
            "4. the **command-line flag**, for the settings that have one (`--port 6000` or "
            "`--port=6000`).\n\n"
            "In short: flag > environment > file > default. `duckd --print-config` loads "
            "everything, prints every effective value and where it came from, and exits.\n\n"
            "## Example\n\n"
            "```ini\n%s```\n\n"
            "With no `DUCKD_` variables set, `duckd --config duckd.ini --print-config` prints:\n\n"
            "```text\n",
            cfg__example_ini);
    md_example_effective(f);
    fprintf(f, "```\n\n");
}

static void md_syntax(FILE *f)
{
    fprintf(f,
            "## Syntax and values\n\n"
            "- Lines are `key = value` (or `key: value`); section names and keys are "
            "case-insensitive. Comments are lines starting with `;` or `#`, and the rest of a "
            "line after ` ;`.\n"
            "- A value may be enclosed in double quotes, which are removed: `listen = \"\"` "
            "disables TCP. There are no escapes. An empty value (`init =`) is the empty string.\n"
            "- An indented line would continue the previous value in some INI dialects; duckd "
            "rejects it, as well as lines longer than libinih's line buffer (200 bytes by "
            "default) and NUL bytes.\n"
            "- Booleans: `true`/`false`, `on`/`off`, `yes`/`no`, `1`/`0`, in any case. A boolean "
            "flag alone means true (`--read-only`); `--read-only=false` works too.\n"
            "- Sizes: a byte count, or a whole number with a unit `K`/`KB`/`KiB`, `M`/`MB`/`MiB`, "
            "`G`/`GB`/`GiB` or `T`/`TB`/`TiB` (any case, optionally after a space). Units are "
            "binary: `1KB` = `1KiB` = 1024 bytes. `--print-config` shows a size as it was "
            "given.\n"
            "- Durations: whole seconds, optionally with a unit `s`, `m` or `h` (`90`, `90s`, "
            "`2m`).\n\n"
            "## Errors\n\n"
            "Start-up stops, with a message naming the setting and where it came from, on an "
            "unknown section, an unknown `[server]` key, a key given twice, a syntax error, an "
            "invalid or out-of-range value from any source, or an unknown flag. For example:\n\n"
            "```text\n");
    for (size_t i = 0; i < sizeof md_errors / sizeof md_errors[0]; i++)
        md_error_line(f, &md_errors[i]);
    fprintf(f, "```\n\n");
}

static void md_options(FILE *f)
{
    fprintf(f, "## Command-line options\n\n"
               "Besides the flags of the settings above (`--flag VALUE` or `--flag=VALUE`):\n\n"
               "| Option | Description |\n|---|---|\n");
    for (size_t i = 0; i < cfg__nopts; i++) {
        const cfg_opt_t *o = &cfg__opts[i];
        if (!o->doc)
            continue;
        fprintf(f, "| %s%s%s`%s%s%s` | ", o->alias ? "`" : "", o->alias ? o->alias : "",
                o->alias ? "`, " : "", o->flag, o->metavar ? " " : "",
                o->metavar ? o->metavar : "");
        md_text(f, o->doc);
        fprintf(f, " |\n");
    }
}

void cfg_print_markdown(FILE *f)
{
    md_intro(f);
    md_syntax(f);
    fprintf(f, "## [server]\n\n");
    md_table(f, CFG_SEC_SERVER);
    fprintf(f, "\n`--db PATH` sets `db` and selects persistent mode; `--ephemeral` and "
               "`--memory` select the other modes; giving two different ones is an error. "
               "`read_only` needs persistent mode.\n\n"
               "## [duckdb]\n\n"
               "This section configures DuckDB itself: duckd hands every setting of it that is "
               "set to DuckDB when it opens the database, and unset ones keep DuckDB's own "
               "default. duckd validates the well-known keys below, which also have "
               "environment variables and some flags:\n\n");
    md_table(f, CFG_SEC_DUCKDB);
    fprintf(f, "\nAny other key of the file's `[duckdb]` section is passed to DuckDB verbatim "
               "(after the keys above, in file order), so every DuckDB configuration option "
               "can be set. DuckDB checks such keys when the database opens, and duckd's error "
               "names the file and line. They have no environment variable or flag.\n\n");
    md_options(f);
}
