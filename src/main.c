/* duckd entry point: load the configuration, open the one DuckDB database (persistent,
 * ephemeral or in-memory), run the --init script, listen, accept connections until SIGTERM /
 * SIGINT, then shut down gracefully (stop accepting, let running statements finish within the
 * grace period, cancel the rest, CHECKPOINT, remove an ephemeral database, exit 0). */
#include <dirent.h>
#include <errno.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <systemd/sd-daemon.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cli/status.h"
#include "config/config.h"
#include "auth/tokens.h"
#include "engine/engine.h"
#include "http/server.h"
#include "info/info.h"
#include "info/metrics.h"
#include "info/sessions.h"
#include "pgwire/conn.h"
#include "pgwire/hba.h"
#include "auth/users.h"
#include "session/admit.h"
#include "session/gcommit.h"
#include "session/initrun.h"
#include "session/registry.h"
#include "session/session.h"
#include "session/sqlscan.h"
#include "util/crash.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/tz.h"
#include "util/xalloc.h"

extern char **environ;

#define EPHEMERAL_PREFIX "duckd-ephemeral-"

/* ---- ephemeral database files ---- */

static const char *ephemeral_dir(const cfg_t *cfg)
{
    if (cfg->ephemeral_dir && *cfg->ephemeral_dir)
        return cfg->ephemeral_dir;
    const char *t = getenv("TMPDIR");
    return t && *t ? t : "/tmp";
}

static void remove_db_files(const char *path)
{
    char wal[4200];
    unlink(path);
    snprintf(wal, sizeof wal, "%s.wal", path);
    unlink(wal);
}

/* Removes ephemeral databases left behind by crashed runs (their pid no longer exists). */
static void ephemeral_sweep(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    if (!d)
        return;
    while ((de = readdir(d)) != NULL) {
        size_t plen = strlen(EPHEMERAL_PREFIX);
        if (strncmp(de->d_name, EPHEMERAL_PREFIX, plen) != 0)
            continue;
        long pid = strtol(de->d_name + plen, NULL, 10);
        if (pid <= 0 || (kill((pid_t)pid, 0) != 0 && errno == ESRCH)) {
            char path[4200];
            snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
            ulog(ULOG_INFO, "removing left-over ephemeral database %s", path);
            unlink(path);
        }
    }
    closedir(d);
}

/* ---- sandbox ---- */

/* Splits a comma-separated list in place into *items (pointers into s; at most max). */
static size_t split_list(char *s, char **items, size_t max)
{
    size_t n = 0;
    for (char *save = NULL, *t = strtok_r(s, ",", &save); t && n < max;
         t = strtok_r(NULL, ",", &save)) {
        while (*t == ' ')
            t++;
        char *e = t + strlen(t);
        while (e > t && e[-1] == ' ')
            *--e = '\0';
        if (*t)
            items[n++] = t;
    }
    return n;
}

typedef struct {
    const char **names;
    size_t n;
} name_list_t;

static void add_name(void *ctx, const char *name)
{
    name_list_t *l = ctx;
    l->names[l->n++] = name;
}

/* Locks DuckDB down once --init has run (the sandbox setting). */
static int lock_down(eng_db_t *db, const cfg_t *cfg, uerr_t *err)
{
    enum { MAX_ITEMS = 256 };
    char *dirs = xstrdup(cfg->allowed_directories), *paths = xstrdup(cfg->allowed_paths);
    char *d[MAX_ITEMS], *p[MAX_ITEMS];
    const char *names[MAX_ITEMS];
    name_list_t configs = {names, 0};
    eng_lockdown_t l = {0};
    l.ndirectories = split_list(dirs, d, MAX_ITEMS);
    l.allowed_directories = (const char *const *)d;
    l.npaths = split_list(paths, p, MAX_ITEMS);
    l.allowed_paths = (const char *const *)p;
    guard_each_lockable_option(add_name, &configs);
    l.allowed_configs = names;
    l.nconfigs = configs.n;
    int rc = eng_db_lockdown(db, &l, err);
    if (rc == 0)
        ulog(ULOG_INFO, "sandbox on: %zu allowed directories, %zu allowed paths", l.ndirectories,
             l.npaths);
    free(dirs);
    free(paths);
    return rc;
}

/* ---- access ---- */

static bool is_loopback(const char *addr)
{
    return !addr || !*addr || !strcmp(addr, "localhost") || !strcmp(addr, "::1") ||
           !strncmp(addr, "127.", 4);
}

/* Loads the access rules and refuses a configuration that would let remote clients in
 * without a password. */
static int load_access(const cfg_t *cfg, pgw_hba_t **hba, uerr_t *err)
{
    ubuf_t text = UBUF_INIT;
    int rc = -1;
    if (!*cfg->hba_file) {
        *hba = pgw_hba_default();
    } else {
        FILE *f = fopen(cfg->hba_file, "rb");
        char chunk[4096];
        size_t n;
        if (!f) {
            uerr_set(err, "F0000", "cannot open hba_file %s: %s", cfg->hba_file, strerror(errno));
            goto out;
        }
        while ((n = fread(chunk, 1, sizeof chunk, f)) > 0 && text.len < (1u << 20))
            ubuf_append(&text, chunk, n);
        fclose(f);
        if (pgw_hba_parse(text.data ? text.data : "", text.len, cfg->hba_file, hba, err) != 0)
            goto out;
    }
    if (cfg->listen && !is_loopback(cfg->listen) && pgw_hba_trusts_remote(*hba)) {
        uerr_set(err, "F0000",
                 "refusing to listen on %s: an access rule trusts remote TCP clients without a "
                 "password; use scram-sha-256 for them (or listen on 127.0.0.1)",
                 cfg->listen);
        pgw_hba_free(*hba);
        *hba = NULL;
        goto out;
    }
    if (cfg->listen && !is_loopback(cfg->listen) && !*cfg->tls_cert_file)
        ulog(ULOG_WARN,
             "listening on %s without TLS: passwords are safe (SCRAM), but queries "
             "and results travel unencrypted; set tls_cert_file and tls_key_file",
             cfg->listen);
    rc = 0;
out:
    ubuf_free(&text);
    return rc;
}

/* ---- serving ---- */

typedef struct server {
    int fds[2]; /* TCP, Unix */
    int nfds;
    char unix_path[256];
    int sigfd;
} server_t;

static int open_listeners(const cfg_t *cfg, server_t *sv)
{
    if (cfg->listen && *cfg->listen) {
        int fd = pgw_listen_tcp(cfg->listen, cfg->port);
        if (fd < 0) {
            fprintf(stderr, "duckd: cannot listen on %s:%d: %s\n", cfg->listen, cfg->port,
                    strerror(-fd));
            return -1;
        }
        sv->fds[sv->nfds++] = fd;
        ulog(ULOG_INFO, "listening on %s:%d", cfg->listen, cfg->port);
    }
    if (cfg->socket_dir && *cfg->socket_dir) {
        int fd = pgw_listen_unix(cfg->socket_dir, cfg->port, sv->unix_path, sizeof sv->unix_path);
        if (fd < 0) {
            fprintf(stderr, "duckd: cannot listen on Unix socket in %s: %s\n", cfg->socket_dir,
                    strerror(-fd));
            return -1;
        }
        sv->fds[sv->nfds++] = fd;
        ulog(ULOG_INFO, "listening on %s", sv->unix_path);
    }
    if (sv->nfds == 0) {
        fprintf(stderr, "duckd: nothing to listen on (listen and socket_dir are both empty)\n");
        return -1;
    }
    return 0;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* An accept() failure. Running out of descriptors or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM)
 * leaves the connection in the backlog, so polling again at once would spin: the listeners
 * are then left alone for ACCEPT_BACKOFF_MS, and the failure is logged at most once a second.
 * Returns the time until which the listeners are not polled (0 = none). */
#define ACCEPT_BACKOFF_MS 100
static int64_t accept_failed(int err, int64_t *last_log_ms)
{
    if (err == EINTR || err == EAGAIN || err == ECONNABORTED || err == EPROTO)
        return 0; /* the client went away, or another wake-up took it: nothing to wait for */
    int64_t now = mono_ms();
    if (now - *last_log_ms >= 1000) {
        ulog(ULOG_WARN, "accept failed: %s; not accepting for %d ms", strerror(err),
             ACCEPT_BACKOFF_MS);
        *last_log_ms = now;
    }
    return now + ACCEPT_BACKOFF_MS;
}

/* ---- admission control ---- */

/* The cap max_concurrent_queries asks for: 0 means the number of DuckDB threads (the threads
 * setting, else the CPUs online, which is DuckDB's own default); -1 no cap (returned as 0). */
static int admit_cap(const cfg_t *cfg)
{
    int max = cfg->max_concurrent_queries;
    if (max == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        for (size_t i = 0; i < cfg->nduckdb; i++)
            if (strcmp(cfg->duckdb[i].key, "threads") == 0)
                n = atol(cfg->duckdb[i].value);
        max = n > 0 ? (int)(n < 100000 ? n : 100000) : 1;
    }
    return max < 0 ? 0 : max;
}

/* Admission control from the settings (always created, so that a reload can set a cap). */
static admit_t *admit_open(const cfg_t *cfg)
{
    int max = admit_cap(cfg);
    if (max == 0)
        ulog(ULOG_INFO, "admission control: no cap on concurrent statements");
    else
        ulog(ULOG_INFO, "admission control: at most %d concurrent statements, queue_timeout %d ms",
             max, cfg->queue_timeout);
    return admit_new(max, cfg->queue_timeout);
}

/* The admission counters, as the log's last word on them. */
static void admit_log(admit_t *a)
{
    admit_stats_t st;
    admit_stats_get(a, &st);
    ulog(ULOG_INFO,
         "admission: %llu statements admitted, %llu after waiting (%.3f s in all, longest "
         "%.3f s), %llu queue timeouts, %llu withdrawn, %llu out-of-memory reruns, %llu run "
         "without a slot as light",
         (unsigned long long)st.admitted, (unsigned long long)st.admitted_queued,
         (double)st.wait_us / 1e6, (double)st.max_wait_us / 1e6, (unsigned long long)st.timeouts,
         (unsigned long long)st.cancelled, (unsigned long long)st.exclusive,
         (unsigned long long)st.light);
}

/* ---- memory ---- */

/* Splits the operator's memory_limit between DuckDB and duckd's own buffers (util/mem.h):
 * sets the buffer budget and, when memory_limit is set, rewrites DuckDB's option in opts to
 * the rest (the text goes to val, the caller's storage of vlen bytes, which must outlive the
 * open). Logs the split. Returns 0, or -1 with *err set when the budget does not fit. */
static int plan_memory(const cfg_t *cfg, eng_option_t *opts, size_t nopts, char *val, size_t vlen,
                       uerr_t *err)
{
    eng_option_t *ml = NULL;
    int64_t limit = 0;
    long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
    int64_t ram = pages > 0 && psize > 0 ? (int64_t)pages * psize : 0;
    umem_split_t sp;
    for (size_t i = 0; i < nopts; i++)
        if (strcmp(opts[i].key, "memory_limit") == 0)
            ml = &opts[i];
    if (ml && !umem_parse_duckdb_size(ml->value, &limit)) {
        ulog(ULOG_WARN,
             "memory_limit \"%s\" is not a size duckd reads (e.g. 4GB, 4GiB): handed to DuckDB "
             "unchanged, and buffer_memory is not taken out of it",
             ml->value);
        ml = NULL;
        limit = 0;
    }
    if (umem_split(limit, cfg->buffer_memory, ram, &sp) != 0) {
        uerr_set(err, "F0000",
                 "buffer_memory (%lld bytes) leaves DuckDB less than a quarter of memory_limit "
                 "(%lld bytes)",
                 (long long)cfg->buffer_memory, (long long)limit);
        return -1;
    }
    umem_set_budget(sp.buffer);
    umem_set_wait_timeout(cfg->memory_wait_timeout);
    if (ml) {
        snprintf(val, vlen, "%lld bytes", (long long)sp.duckdb);
        ml->value = val;
        ulog(ULOG_INFO,
             "memory: memory_limit %.1f MiB = DuckDB %.1f MiB + duckd buffers %.1f MiB (%s)",
             (double)limit / 1048576, (double)sp.duckdb / 1048576, (double)sp.buffer / 1048576,
             sp.auto_buffer ? "automatic" : "buffer_memory");
    } else {
        ulog(ULOG_INFO,
             "memory: DuckDB's default memory_limit (80%% of RAM) + duckd buffers %.1f MiB (%s)",
             (double)sp.buffer / 1048576, sp.auto_buffer ? "automatic" : "buffer_memory");
    }
    return 0;
}

/* ---- SIGHUP ---- */

/* What a reload needs: the command line to read the configuration again, the running
 * configuration (updated with what was applied) and the sessions' shared environment. */
typedef struct reload {
    int argc;
    char **argv;
    cfg_t *cfg;
    sess_env_t *env;
} reload_t;

/* The settings a reload applies: new sessions (and, for the log settings, every session) use
 * the new value. Everything else needs a restart. */
static const char *const reloadable[] = {
    "server.log_level",
    "server.log_statements",
    "server.log_progress_interval",
    "server.statement_timeout",
    "server.idle_in_transaction_session_timeout",
    "server.idle_session_timeout",
    "server.max_connections",
    "server.max_connections_per_user",
    "server.conflict_retries",
    "server.max_concurrent_queries",
    "server.queue_timeout",
    "server.retry_out_of_memory",
};

/* cfg's effective settings, one "key = value  # origin" line each; owned by the caller. */
static char *effective_lines(const cfg_t *cfg)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return NULL;
    cfg_print_effective(cfg, f);
    fclose(f);
    return text;
}

/* The value of key in effective_lines' text (its origin cut off), into buf ("" absent). */
static void effective_value(const char *text, const char *key, char *buf, size_t n)
{
    size_t k = strlen(key);
    buf[0] = '\0';
    for (const char *line = text; line && *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        if (len > k + 3 && strncmp(line, key, k) == 0 && strncmp(line + k, " = ", 3) == 0) {
            const char *v = line + k + 3, *stop = line + len;
            for (const char *q = v; q + 2 < line + len; q++)
                if (q[0] == ' ' && q[1] == ' ' && q[2] == '#')
                    stop = q; /* the last "  #" starts the origin */
            snprintf(buf, n, "%.*s", (int)(stop - v), v);
            return;
        }
        line = end ? end + 1 : NULL;
    }
}

/* Reads the configuration again (file, environment at start, flags), applies the settings that
 * can change at run time and logs those that cannot. A broken file changes nothing. */
static void reload_config(reload_t *r)
{
    cfg_t next;
    uerr_t err = UERR_INIT;
    char *old_text = NULL, *new_text = NULL;
    if (cfg_load(&next, r->argc, r->argv, environ, &err) != CFG_ACTION_RUN) {
        ulog(ULOG_ERROR, "SIGHUP: configuration not reloaded: %s",
             err.message ? err.message : "invalid");
        goto out;
    }
    old_text = effective_lines(r->cfg);
    new_text = effective_lines(&next);
    if (!old_text || !new_text)
        goto out;
    ubuf_t applied = UBUF_INIT, fixed = UBUF_INIT;
    for (const char *line = new_text; line && *line;) {
        const char *end = strchr(line, '\n');
        const char *eq = strstr(line, " = ");
        if (eq && (!end || eq < end) && line[0] != '#') {
            char key[128], was[512], now[512];
            snprintf(key, sizeof key, "%.*s", (int)(eq - line), line);
            effective_value(old_text, key, was, sizeof was);
            effective_value(new_text, key, now, sizeof now);
            if (strcmp(was, now) != 0) {
                bool can = false;
                for (size_t i = 0; i < sizeof reloadable / sizeof reloadable[0]; i++)
                    can |= strcmp(key, reloadable[i]) == 0;
                ubuf_printf(can ? &applied : &fixed, "%s%s (%s -> %s)",
                            (can ? applied.len : fixed.len) ? ", " : "", key, was, now);
            }
        }
        line = end ? end + 1 : NULL;
    }
    ulog_set_level((ulog_level_t)ulog_parse_level(next.log_level));
    __atomic_store_n(&r->env->log_statements, next.log_statements, __ATOMIC_RELAXED);
    __atomic_store_n(&r->env->statement_timeout_ms, next.statement_timeout, __ATOMIC_RELAXED);
    __atomic_store_n(&r->env->idle_in_transaction_timeout_ms,
                     next.idle_in_transaction_session_timeout, __ATOMIC_RELAXED);
    __atomic_store_n(&r->env->idle_session_timeout_ms, next.idle_session_timeout, __ATOMIC_RELAXED);
    __atomic_store_n(&r->env->conflict_retries, next.conflict_retries, __ATOMIC_RELAXED);
    sreg_set_limits(next.max_connections, next.max_connections_per_user);
    sreg_log_progress(next.log_progress_interval);
    admit_configure(r->env->admit, admit_cap(&next), next.queue_timeout);
    __atomic_store_n(&r->env->oom_retry, next.retry_out_of_memory, __ATOMIC_RELAXED);
    /* the running configuration keeps what was applied (the rest stays as started) */
    r->cfg->log_statements = next.log_statements;
    r->cfg->statement_timeout = next.statement_timeout;
    r->cfg->idle_in_transaction_session_timeout = next.idle_in_transaction_session_timeout;
    r->cfg->idle_session_timeout = next.idle_session_timeout;
    r->cfg->conflict_retries = next.conflict_retries;
    r->cfg->max_connections = next.max_connections;
    r->cfg->max_connections_per_user = next.max_connections_per_user;
    r->cfg->log_progress_interval = next.log_progress_interval;
    r->cfg->max_concurrent_queries = next.max_concurrent_queries;
    r->cfg->queue_timeout = next.queue_timeout;
    r->cfg->retry_out_of_memory = next.retry_out_of_memory;
    char *level = r->cfg->log_level;
    r->cfg->log_level = next.log_level;
    next.log_level = level; /* freed with next */
    ulog(ULOG_INFO, "SIGHUP: configuration reloaded; applied: %s",
         applied.len ? ubuf_cstr(&applied) : "nothing changed");
    if (fixed.len)
        ulog(ULOG_WARN, "SIGHUP: these changed but need a restart, still as started: %s",
             ubuf_cstr(&fixed));
    ubuf_free(&applied);
    ubuf_free(&fixed);
out:
    free(old_text);
    free(new_text);
    cfg_free(&next);
    uerr_clear(&err);
}

/* Accepts connections until a termination signal arrives (SIGHUP reloads and goes on). */
static void accept_loop(server_t *sv, const pgw_server_cfg_t *pcfg, int max_threads,
                        reload_t *reload)
{
    struct pollfd p[3];
    int64_t backoff_until = 0, last_log_ms = -1000000;
    for (int i = 0; i < sv->nfds; i++)
        p[i] = (struct pollfd){sv->fds[i], POLLIN, 0};
    p[sv->nfds] = (struct pollfd){sv->sigfd, POLLIN, 0};
    for (;;) {
        int64_t wait = backoff_until ? backoff_until - mono_ms() : -1;
        if (backoff_until && wait <= 0) {
            backoff_until = 0;
            wait = -1;
        }
        for (int i = 0; i < sv->nfds; i++) /* a negative fd is skipped by poll */
            p[i].fd = backoff_until ? -1 : sv->fds[i];
        int r = poll(p, (nfds_t)sv->nfds + 1, (int)wait);
        if (r < 0 && errno == EINTR)
            continue;
        if (p[sv->nfds].revents) {
            struct signalfd_siginfo si;
            if (read(sv->sigfd, &si, sizeof si) != (ssize_t)sizeof si)
                continue;
            if (si.ssi_signo == SIGHUP) {
                (void)sd_notify(0, "RELOADING=1");
                reload_config(reload);
                (void)sd_notify(0, "READY=1");
                continue;
            }
            ulog(ULOG_INFO, "received %s: shutting down", strsignal((int)si.ssi_signo));
            return;
        }
        for (int i = 0; i < sv->nfds && !backoff_until; i++) {
            if (!p[i].revents)
                continue;
            int fd = accept4(sv->fds[i], NULL, NULL, SOCK_CLOEXEC);
            if (fd < 0) {
                backoff_until = accept_failed(errno, &last_log_ms);
                continue;
            }
            /* Sessions are capped by max_connections after authentication and connections in
             * startup by max_startup_connections (the oldest is evicted); this backstop only
             * bounds threads that are on their way out (refused or evicted, still closing). */
            if (pgw_conn_active() >= max_threads) {
                ulog(ULOG_WARN, "too many connection attempts in progress (%d): closing",
                     pgw_conn_active());
                close(fd);
                continue;
            }
            int rc = pgw_conn_spawn(pcfg, fd);
            if (rc != 0)
                ulog(ULOG_ERROR, "cannot start connection thread: %s", strerror(-rc));
        }
    }
}

/* Reads a PEM file into a NUL-terminated string (at most 1 MiB); NULL with *err set. */
static char *read_pem(const char *path, uerr_t *err)
{
    ubuf_t b = UBUF_INIT;
    char chunk[4096];
    size_t n;
    FILE *f = fopen(path, "rb");
    if (!f) {
        uerr_set(err, "F0000", "cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0 && b.len < (1u << 20))
        ubuf_append(&b, chunk, n);
    fclose(f);
    ubuf_cstr(&b);
    return b.data ? b.data : xstrdup("");
}

/* Starts the HTTP API when http_listen and http_port are set (NULL *out otherwise). */
static int start_http(const cfg_t *cfg, const sess_env_t *env, const pgw_hba_t *hba,
                      http_server_t **out, uerr_t *err)
{
    char *cert = NULL, *key = NULL;
    int rc = -1, fd;
    bool tls = cfg->http_tls && *cfg->tls_cert_file && *cfg->tls_key_file;
    *out = NULL;
    if (!*cfg->http_listen || cfg->http_port == 0)
        return 0;
    if (!is_loopback(cfg->http_listen) && pgw_hba_trusts_remote(hba)) {
        uerr_set(err, "F0000",
                 "refusing to serve HTTP on %s: an access rule trusts remote TCP clients without "
                 "a password",
                 cfg->http_listen);
        return -1;
    }
    if (tls &&
        (!(cert = read_pem(cfg->tls_cert_file, err)) || !(key = read_pem(cfg->tls_key_file, err))))
        goto out;
    fd = pgw_listen_tcp(cfg->http_listen, cfg->http_port);
    if (fd < 0) {
        uerr_set(err, "F0000", "cannot listen for HTTP on %s:%d: %s", cfg->http_listen,
                 cfg->http_port, strerror(-fd));
        goto out;
    }
    http_server_cfg_t hc = {.env = env,
                            .listen_fd = fd,
                            .max_body = (size_t)cfg->http_max_body,
                            .max_ingest = (size_t)cfg->http_max_ingest,
                            .max_params = (size_t)cfg->http_max_params,
                            .max_row_size = (size_t)cfg->max_row_size,
                            .request_timeout_s = cfg->http_request_timeout,
                            .cors_origins = cfg->http_cors_origins,
                            .auth = {hba, cfg->users_file, cfg->http_tokens_file},
                            .tls_cert_pem = cert,
                            .tls_key_pem = key,
                            .tls_min_version = cfg->tls_min_version,
                            .max_connections = (unsigned)cfg->max_connections + 64,
                            .parquet = cfg->http_parquet_max_size > 0,
                            .connection_pool = (unsigned)cfg->http_connection_pool};
    if (http_server_start(&hc, out, err) != 0)
        goto out;
    ulog(ULOG_INFO, "HTTP API listening on %s:%d%s", cfg->http_listen, cfg->http_port,
         tls ? " (HTTPS)" : "");
    if (!tls && !is_loopback(cfg->http_listen))
        ulog(ULOG_WARN, "HTTP API on %s without TLS: bearer tokens and results travel unencrypted",
             cfg->http_listen);
    rc = 0;
out:
    if (key)
        memset(key, 0, strlen(key));
    free(cert);
    free(key);
    return rc;
}

static void shutdown_sessions(const cfg_t *cfg)
{
    sreg_begin_shutdown();
    if (!sreg_wait_empty(cfg->shutdown_grace)) {
        ulog(ULOG_WARN, "grace period of %ds over: cancelling %d sessions", cfg->shutdown_grace,
             sreg_count());
        sreg_cancel_all();
        sreg_wait_empty(10);
    }
    for (int i = 0; i < 1000 && pgw_conn_active() > 0; i++) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

/* ---- main ---- */

static int print_action(cfg_action_t action, const cfg_t *cfg, const char *argv0)
{
    switch (action) {
    case CFG_ACTION_HELP: cfg_print_help(stdout, argv0); break;
    case CFG_ACTION_VERSION: printf("duckd %s (DuckDB %s)\n", DUCKD_VERSION, eng_version()); break;
    case CFG_ACTION_PRINT_CONFIG: cfg_print_effective(cfg, stdout); break;
    case CFG_ACTION_CONFIG_MARKDOWN: cfg_print_markdown(stdout); break;
    default: break;
    }
    return 0;
}

int main(int argc, char **argv)
{
    cfg_t cfg;
    uerr_t err = UERR_INIT;
    eng_db_t *db = NULL;
    gc_t *gc = NULL;       /* the group committer; stopped after the last session */
    admit_t *admit = NULL; /* admission control; freed after the last session */
    eng_option_t *opts = NULL;
    server_t sv = {{-1, -1}, 0, "", -1};
    pgw_tls_ctx_t *tls = NULL;
    pgw_hba_t *hba = NULL;
    http_server_t *http = NULL;
    char ephemeral_path[4200] = "";
    char memory_limit[48] = ""; /* DuckDB's share of memory_limit (plan_memory) */
    const char *path = NULL;
    int rc = 1;

    /* Buffers of 4 MiB and more (partial client messages, large rows) come from mmap and go
     * back to the system when freed. glibc's default raises this threshold to the size of
     * each freed mmapped block, after which such buffers stay in the heap's arenas and the
     * process keeps their memory: the per-connection limits would bound what is in use but
     * not what is resident. */
    mallopt(M_MMAP_THRESHOLD, 4 << 20);
    ucrash_install(); /* a fatal signal leaves its thread, address and backtrace in the log */
    sigset_t sigs;
    struct timespec t0;
    clock_gettime(CLOCK_REALTIME, &t0);
    const int64_t started_us = (int64_t)t0.tv_sec * 1000000 + t0.tv_nsec / 1000;

    memset(&cfg, 0, sizeof cfg);
    if (argc > 1 && strcmp(argv[1], "passwd") == 0) {
        const char *dflt = getenv("DUCKD_USERS_FILE");
        return pgw_users_passwd_main(argc - 1, argv + 1, dflt && *dflt ? dflt : "duckd.users");
    }
    if (argc > 1 && strcmp(argv[1], "token") == 0) {
        const char *dflt = getenv("DUCKD_HTTP_TOKENS_FILE");
        return tok_main(argc - 1, argv + 1, dflt && *dflt ? dflt : "duckd.tokens");
    }
    if (argc > 1 && strcmp(argv[1], "status") == 0)
        return cli_status_main(argc - 1, argv + 1);
    int action = cfg_load(&cfg, argc, argv, environ, &err);
    if (action < 0) {
        fprintf(stderr, "duckd: %s\n", err.message);
        goto out;
    }
    if (action != CFG_ACTION_RUN) {
        rc = print_action((cfg_action_t)action, &cfg, argv[0]);
        goto out;
    }
    ulog_set_level((ulog_level_t)ulog_parse_level(cfg.log_level));
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL); /* inherited by every thread started below */
    sv.sigfd = signalfd(-1, &sigs, SFD_CLOEXEC);

    if (cfg.mode == CFG_MODE_PERSISTENT) {
        path = cfg.db;
    } else if (cfg.mode == CFG_MODE_EPHEMERAL) {
        ephemeral_sweep(ephemeral_dir(&cfg));
        snprintf(ephemeral_path, sizeof ephemeral_path, "%s/" EPHEMERAL_PREFIX "%d.duckdb",
                 ephemeral_dir(&cfg), (int)getpid());
        remove_db_files(ephemeral_path);
        path = ephemeral_path;
    }
    opts = xcalloc(cfg.nduckdb + 1, sizeof *opts);
    for (size_t i = 0; i < cfg.nduckdb; i++)
        opts[i] = (eng_option_t){cfg.duckdb[i].key, cfg.duckdb[i].value, cfg.duckdb[i].origin};
    if (plan_memory(&cfg, opts, cfg.nduckdb, memory_limit, sizeof memory_limit, &err) != 0) {
        fprintf(stderr, "duckd: %s\n", err.message);
        goto out;
    }
    if (eng_db_open(&db, path, cfg.read_only, opts, cfg.nduckdb, &err) != 0) {
        fprintf(stderr, "duckd: %s\n", err.message);
        goto out;
    }
    eng_parquet_cfg_t pqc = {cfg.http_parquet_dir, (uint64_t)cfg.http_parquet_memory,
                             (uint64_t)cfg.http_parquet_max_size};
    eng_db_set_parquet(db, &pqc);
    ulog(ULOG_INFO, "duckd %s (DuckDB %s): %s database %s%s", DUCKD_VERSION, eng_version(),
         cfg_mode_name(cfg.mode), path ? path : "(in memory)", cfg.read_only ? " (read-only)" : "");
    info_src_t isrc = {db, cfg_mode_name(cfg.mode), path, cfg.read_only, started_us};
    if (info_setup(&isrc, &err) != 0 || info_sessions_setup(db, &err) != 0) {
        fprintf(stderr, "duckd: %s\n", err.message);
        goto out;
    }

    char tzname[128] = "UTC"; /* the default needs no ICU */
    if (strcmp(cfg.timezone, "UTC") != 0 && !utz_lookup(cfg.timezone, tzname, sizeof tzname)) {
        fprintf(stderr,
                "duckd: invalid value for setting timezone: \"%s\" (an IANA zone name such as "
                "Europe/Berlin)\n",
                cfg.timezone);
        goto out;
    }
    sess_env_t env = {db,
                      cfg.log_statements,
                      (size_t)cfg.max_message_size,
                      "15.0",
                      (size_t)cfg.max_row_size,
                      cfg.max_prepared_statements,
                      cfg.max_portals,
                      cfg.statement_timeout,
                      cfg.idle_in_transaction_session_timeout,
                      cfg.idle_session_timeout,
                      cfg.read_only,
                      eng_db_catalog(db),
                      NULL,
                      cfg.conflict_retries,
                      strcmp(cfg.foreign_keys, "enforce") == 0,
                      tzname,
                      NULL,
                      cfg.retry_out_of_memory};
    if (cfg.init && *cfg.init && sess_run_init(&env, cfg.init, cfg.init_progress) != 0)
        goto out;
    if (cfg.sandbox && lock_down(db, &cfg, &err) != 0) {
        fprintf(stderr, "duckd: %s\n", err.message);
        goto out;
    }
    if (!cfg.sandbox)
        ulog(ULOG_WARN, "sandbox off: clients can read and write the server's files");
    if (cfg.group_commit && !cfg.read_only) {
        gc_cfg_t gcfg = {db, cfg.group_commit_max_rows, cfg.conflict_retries};
        if (gc_open(&gcfg, &gc, &err) != 0) {
            fprintf(stderr, "duckd: %s\n", err.message);
            goto out;
        }
        env.gc = gc;
        info_set_gc(gc);
    }
    admit = admit_open(&cfg);
    env.admit = admit;
    metrics_set_admit(admit);
    metrics_setup(db, gc);
    sreg_init(cfg.max_connections, cfg.max_connections_per_user);
    if (load_access(&cfg, &hba, &err) != 0) {
        fprintf(stderr, "duckd: %s\n", err.message);
        goto out;
    }
    if (open_listeners(&cfg, &sv) != 0)
        goto out;
    if (*cfg.tls_cert_file || *cfg.tls_key_file) {
        if (pgw_tls_ctx_new(cfg.tls_cert_file, cfg.tls_key_file, cfg.tls_min_version, &tls, &err) !=
            0) {
            fprintf(stderr, "duckd: %s\n", err.message);
            goto out;
        }
        ulog(ULOG_INFO, "TLS on (%s or newer)%s", cfg.tls_min_version,
             cfg.tls_required ? ", required on TCP" : "");
    } else if (cfg.tls_required) {
        fprintf(stderr, "duckd: tls_required = true needs tls_cert_file and tls_key_file\n");
        goto out;
    }
    pgw_server_cfg_t pcfg = {&env,
                             (size_t)cfg.max_message_size,
                             (size_t)cfg.output_buffer,
                             cfg.authentication_timeout * 1000,
                             cfg.max_startup_connections,
                             (size_t)cfg.max_pending_input,
                             tls,
                             cfg.tls_required,
                             hba,
                             cfg.users_file,
                             NULL};
    sreg_log_progress(cfg.log_progress_interval);
    if (sreg_watchdog_start(100) != 0) {
        fprintf(stderr, "duckd: cannot start the watchdog thread\n");
        goto out;
    }
    if (start_http(&cfg, &env, hba, &http, &err) != 0) {
        fprintf(stderr, "duckd: %s\n", err.message);
        goto out;
    }
    ulog(ULOG_INFO, "ready to accept connections");
    /* systemd's Type=notify: a no-op unless NOTIFY_SOCKET is set */
    (void)sd_notifyf(0, "READY=1\nSTATUS=accepting connections\nMAINPID=%lu",
                     (unsigned long)getpid());
    reload_t reload = {argc, argv, &cfg, &env};
    accept_loop(&sv, &pcfg, cfg.max_connections + cfg.max_startup_connections + 64, &reload);

    for (int i = 0; i < sv.nfds; i++) {
        close(sv.fds[i]);
        sv.fds[i] = -1;
    }
    if (sv.unix_path[0])
        unlink(sv.unix_path);
    http_server_quiesce(http);
    (void)sd_notify(0, "STOPPING=1\nSTATUS=shutting down");
    shutdown_sessions(&cfg);
    rc = 0;
out:
    http_server_stop(http); /* joins its connection threads: no HTTP session is left */
    sreg_watchdog_stop();
    for (int i = 0; i < sv.nfds; i++)
        if (sv.fds[i] >= 0)
            close(sv.fds[i]);
    if (sv.sigfd >= 0)
        close(sv.sigfd);
    /* Sessions are gone (or stuck past every grace period): whatever is still queued is
     * committed or failed before the database closes; never acknowledged and then lost. */
    gc_stop(gc);
    info_set_gc(NULL);
    metrics_setup(NULL, NULL);
    if (pgw_conn_active() == 0)
        gc_close(gc);
    metrics_set_admit(NULL);
    if (admit && pgw_conn_active() == 0) {
        admit_log(admit);
        admit_free(admit);
    }
    if (db && pgw_conn_active() == 0) {
        eng_db_close(db);
        ulog(ULOG_INFO, "database closed");
    }
    if (ephemeral_path[0])
        remove_db_files(ephemeral_path);
    pgw_tls_ctx_free(tls);
    pgw_hba_free(hba);
    free(opts);
    cfg_free(&cfg);
    uerr_clear(&err);
    return rc;
}
