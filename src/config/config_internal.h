/* Internals shared by the config module's files (the settings table, typed value parsing,
 * printing) and exposed to its unit tests and fuzzer. Not for the rest of duckd. */
#ifndef DUCKD_CONFIG_INTERNAL_H
#define DUCKD_CONFIG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config/config.h"
#include "util/buf.h"

#define CFG_KiB ((int64_t)1 << 10)
#define CFG_MiB ((int64_t)1 << 20)
#define CFG_GiB ((int64_t)1 << 30)

typedef enum {
    CFG_T_STRING,
    CFG_T_PATH,
    CFG_T_BOOL,
    CFG_T_INT,      /* min..max */
    CFG_T_SIZE,     /* bytes, min..max */
    CFG_T_DURATION, /* seconds, min..max */
    CFG_T_MILLIS,   /* milliseconds (PostgreSQL's time units), min..max */
    CFG_T_ENUM      /* one of choices */
} cfg_type_t;

typedef enum { CFG_SEC_SERVER, CFG_SEC_DUCKDB } cfg_section_t;

/* C type of a [server] row's cfg_t field (checked against the setting type at build time). */
typedef enum { CFG_F_NONE, CFG_F_STR, CFG_F_INT, CFG_F_BOOL, CFG_F_I64, CFG_F_ENUM } cfg_field_t;

/* One row of settings.def. */
typedef struct cfg_def {
    cfg_section_t section;
    const char *key;
    cfg_type_t type;
    int64_t min, max;    /* INT, SIZE (bytes), DURATION (seconds), MILLIS (ms) */
    const char *choices; /* ENUM: "a|b|c" */
    const char *dflt;    /* default as text; NULL: unset ([duckdb] rows) */
    const char *flag;    /* "--port"; NULL: none */
    const char *doc;
    cfg_field_t field; /* [server]: C type of the cfg_t field */
    size_t offset;     /* [server]: offset of the cfg_t field */
    int index;         /* [server]: CFG_KEY_<key>; -1 for [duckdb] */
} cfg_def_t;

extern const cfg_def_t cfg__defs[];
extern const size_t cfg__ndefs;

/* Command-line options that are not settings (actions and shorthands). */
typedef enum {
    CFG_OPT_CONFIG,
    CFG_OPT_EPHEMERAL,
    CFG_OPT_MEMORY,
    CFG_OPT_PRINT_CONFIG,
    CFG_OPT_VERSION,
    CFG_OPT_HELP,
    CFG_OPT_MARKDOWN
} cfg_opt_id_t;

typedef struct cfg_opt {
    cfg_opt_id_t id;
    const char *flag;    /* "--config" */
    const char *alias;   /* "-h"; NULL: none */
    const char *metavar; /* "FILE"; NULL: takes no value */
    const char *doc;     /* NULL: hidden from --help and the docs */
} cfg_opt_t;

extern const cfg_opt_t cfg__opts[];
extern const size_t cfg__nopts;

/* A parsed value: num for INT/SIZE/DURATION, boolean for BOOL, choice (index into choices)
 * for ENUM; canon is the text handed to DuckDB ("true", "4", the choice as written in the
 * table, or the input itself for STRING/PATH). */
typedef struct cfg_value {
    int64_t num;
    bool boolean;
    int choice;
    ubuf_t canon;
} cfg_value_t;

/* Parses and range-checks text for row d. On success fills *v (release v->canon with
 * ubuf_free) and returns true; otherwise appends the problem to *why (e.g. `invalid integer
 * "abc" for port (expected 1..65535)`) and returns false. */
bool cfg__parse_value(const cfg_def_t *d, const char *text, cfg_value_t *v, ubuf_t *why);
/* "64MB", "16KiB", "1 GB", "4096" (case-insensitive; K = KB = KiB = 1024) -> bytes. */
bool cfg__parse_size(const char *text, int64_t *bytes);
/* Appends bytes in the largest exact unit: 1024 -> "1KB", 1000 -> "1000". */
void cfg__format_size(ubuf_t *b, int64_t bytes);
/* Appends "string", "integer 1..65535", "size 1KB..1GB", "one of debug, info or error"... */
void cfg__describe_type(ubuf_t *b, const cfg_def_t *d);
/* Appends DUCKD_<KEY upper-cased>. */
void cfg__env_name(ubuf_t *b, const char *key);
/* Returns the choice-th alternative of "a|b|c" as a pointer and its length in *len. */
const char *cfg__choice(const char *choices, int choice, size_t *len);

/* The example duckd.ini shown in docs/CONFIG.md (a unit test loads it). */
extern const char cfg__example_ini[];

/* Loads defaults plus the INI text read from f (named `name` in origins and messages), with
 * no flags and no environment. Same contract as cfg_load (returns CFG_ACTION_RUN or -1). */
int cfg__load_file_stream(cfg_t *cfg, FILE *f, const char *name, uerr_t *err)
    __attribute__((warn_unused_result));

#endif
