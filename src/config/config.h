/* config: duckd's settings, from one declarative table (config/settings.def).
 *
 * The table feeds everything: the INI file (sections [server] and [duckdb], parsed by inih),
 * environment variables (DUCKD_<KEY>), command-line flags, --help, --print-config and
 * docs/CONFIG.md. Precedence: flag > environment > file > default. Each effective value
 * remembers where it came from. */
#ifndef DUCKD_CONFIG_CONFIG_H
#define DUCKD_CONFIG_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "util/err.h"

typedef enum {
    CFG_MODE_PERSISTENT = 0, /* --db PATH (default ./duckd.duckdb) */
    CFG_MODE_EPHEMERAL,      /* temporary file, removed at shutdown */
    CFG_MODE_MEMORY          /* in memory, no file ever created */
} cfg_mode_t;

typedef enum {
    CFG_ACTION_RUN = 0,
    CFG_ACTION_HELP,
    CFG_ACTION_VERSION,
    CFG_ACTION_PRINT_CONFIG,
    CFG_ACTION_CONFIG_MARKDOWN
} cfg_action_t;

/* Index of each [server] setting in cfg_t.src, in table order: CFG_KEY_db, CFG_KEY_port, ... */
typedef enum {
#define CFG(section, key, type, dflt, flag, doc) CFG_KEY_IF_##section(key)
#define CFG_KEY_IF_server(key) CFG_KEY_##key,
#define CFG_KEY_IF_duckdb(key)
#include "config/settings.def"
#undef CFG
#undef CFG_KEY_IF_server
#undef CFG_KEY_IF_duckdb
    CFG_NSERVER /* number of [server] settings */
} cfg_key_t;

/* Where one [server] value came from, and its text as given there (e.g. "64MB"). */
typedef struct cfg_source {
    char *text;   /* owned */
    char *origin; /* owned: "default", "duckd.ini:3", "env DUCKD_PORT", "--port" */
} cfg_source_t;

/* One setting handed to DuckDB at open ([duckdb] section, or a table entry of that section
 * set through env/flag). */
typedef struct cfg_duckdb_opt {
    char *key;    /* owned, DuckDB option name, e.g. "memory_limit" */
    char *value;  /* owned */
    char *origin; /* owned, e.g. "duckd.ini:12", "env DUCKD_THREADS", "--threads" */
} cfg_duckdb_opt_t;

/* The effective configuration. All strings are owned by the struct (cfg_free releases them);
 * after a successful load every string field is non-NULL ("" where the doc says "none"). */
typedef struct cfg {
    /* [server] */
    char *db;                     /* database file for persistent mode */
    cfg_mode_t mode;              /* storage mode */
    bool read_only;               /* open the persistent file read-only */
    char *init;                   /* SQL file run once before accepting clients; "" = none */
    int init_progress;            /* ms between --init progress lines (0 = none) */
    char *listen;                 /* TCP listen address; "" disables TCP */
    int port;                     /* TCP port, also names the Unix socket */
    char *socket_dir;             /* directory for .s.PGSQL.<port>; "" disables the socket */
    char *ephemeral_dir;          /* where ephemeral database files live ("" = $TMPDIR or /tmp) */
    int max_connections;          /* concurrent client sessions; more get SQLSTATE 53300 */
    int max_connections_per_user; /* sessions one user may hold; 0 = no cap */
    int64_t max_message_size;     /* largest frontend message accepted, bytes */
    int64_t output_buffer;        /* per-session bytes buffered before blocking on the socket */
    int shutdown_grace;           /* seconds running statements get after SIGTERM before cancel */
    bool group_commit;            /* coalesce autocommit INSERTs into shared commits */
    int group_commit_max_rows;    /* rows one batch takes from the queue */
    int conflict_retries;         /* reruns of an autocommit write after a conflict */
    int max_concurrent_queries;   /* statements running at once; 0 = automatic, -1 = no cap */
    int queue_timeout;            /* ms a statement may wait for a slot; 0 = no limit */
    bool retry_out_of_memory;     /* rerun an out-of-memory autocommit query alone */
    char *foreign_keys;           /* record | enforce */
    bool log_statements;          /* log every statement with its duration */
    int log_progress_interval;    /* seconds: log long statements' progress; 0 = never */
    char *log_level;              /* debug | info | warning | error */
    char *users_file;             /* users, SCRAM verifiers and roles */
    char *hba_file;               /* access rules; "" = the built-in defaults */
    char *tls_cert_file;          /* PEM certificate chain; "" = no TLS */
    char *tls_key_file;           /* PEM private key */
    char *tls_min_version;        /* TLSv1.2 | TLSv1.3 */
    bool tls_required;            /* TCP clients must use TLS */
    bool sandbox;                 /* lock DuckDB down after --init */
    char *allowed_directories;    /* comma-separated; "" = none */
    char *allowed_paths;          /* comma-separated; "" = none */

    /* [server] limits and timeouts against hostile or runaway clients */
    int max_startup_connections; /* connections in startup/auth; the oldest is evicted */
    int authentication_timeout;  /* seconds from connect to finish startup and auth */
    int64_t buffer_memory;       /* duckd's own buffers, bytes, out of memory_limit; 0 = auto */
    int memory_wait_timeout;     /* ms COPY and group commit wait for buffer_memory */
    int64_t max_pending_input;   /* extra cap on partial-message bytes; 0 = buffer_memory only */
    int64_t max_row_size;        /* largest result row sent to a client, bytes */
    int max_prepared_statements; /* named prepared statements per session */
    int max_portals;             /* named portals per session */
    int statement_timeout;       /* default statement_timeout, ms (0 = off) */
    /* default idle_in_transaction_session_timeout and idle_session_timeout, ms (0 = off) */
    int idle_in_transaction_session_timeout;
    int idle_session_timeout;
    char *timezone; /* default TimeZone of the sessions (IANA name) */

    /* [server] HTTP API */
    char *http_listen;             /* HTTP listen address; "" disables HTTP */
    int http_port;                 /* HTTP port; 0 disables HTTP */
    int64_t http_max_body;         /* largest POST /v1/query body, bytes */
    int64_t http_max_ingest;       /* largest POST /v1/ingest body, bytes */
    int http_max_params;           /* most bound parameters per query */
    int http_request_timeout;      /* seconds per request (0 = none) */
    int http_connection_pool;      /* idle DuckDB connections kept for requests */
    char *http_cors_origins;       /* comma-separated allowed origins, "*"; "" = no CORS */
    char *http_tokens_file;        /* bearer tokens: "SHA256-HEX USER" lines */
    bool http_tls;                 /* HTTPS when the TLS certificate is configured */
    int64_t http_parquet_max_size; /* largest Parquet result file, bytes; 0 refuses Parquet */
    int64_t http_parquet_memory;   /* the Parquet encoder's DuckDB memory_limit, bytes */
    char *http_parquet_dir;        /* where the spool directory is made ("" = $TMPDIR or /tmp) */

    /* [duckdb]: every entry is passed to DuckDB's config at open, in order: the table's
     * well-known keys that are set (table order), then other file keys (file order). */
    cfg_duckdb_opt_t *duckdb;
    size_t nduckdb;

    /* bookkeeping */
    char *config_file;             /* the file that was read, NULL if none */
    cfg_source_t src[CFG_NSERVER]; /* per [server] setting: text as given and its origin */
} cfg_t;

/* Loads the configuration from the command line, the environment (envp, NULL-terminated) and
 * the config file named by --config or DUCKD_CONFIG, and returns the action main should take.
 * *cfg need not be initialised; it is always left in a state cfg_free accepts, so callers
 * call cfg_free unconditionally:
 *   - CFG_ACTION_RUN / CFG_ACTION_PRINT_CONFIG: *cfg holds the effective configuration;
 *   - CFG_ACTION_HELP / _VERSION / _CONFIG_MARKDOWN: *cfg is zeroed (the file and the
 *     environment are not read, so a broken config never hides --help);
 *   - error: returns -1, *cfg is zeroed and *err holds a message (SQLSTATE F0000) naming the
 *     key and where it came from ("duckd.ini:7: ...", "environment DUCKD_PORT: ...",
 *     "--port: ..."). */
int cfg_load(cfg_t *cfg, int argc, char **argv, char **envp, uerr_t *err)
    __attribute__((warn_unused_result));
/* Releases every string and zeroes *cfg; safe on a zeroed or already freed struct. */
void cfg_free(cfg_t *cfg);

/* Writes --help text (usage plus every setting with its flag, env var, default and doc). */
void cfg_print_help(FILE *f, const char *argv0);
/* Writes each effective value and where it came from, one grep-able line per setting:
 * "server.port = 5433  # default", "duckdb.threads = 4  # env DUCKD_THREADS". */
void cfg_print_effective(const cfg_t *cfg, FILE *f);
/* Writes docs/CONFIG.md (Markdown reference generated from the table). */
void cfg_print_markdown(FILE *f);
/* Returns "persistent" / "ephemeral" / "memory". */
const char *cfg_mode_name(cfg_mode_t mode);

#define DUCKD_VERSION "0.1.0"

#endif
