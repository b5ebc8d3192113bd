/* In-process DuckDB baseline for the duckd benchmarks: the same libduckdb, the same SQL, no
 * network and no PostgreSQL protocol. This is the physical limit duckd adds its overhead to.
 *
 *   duckdb_baseline [--db PATH] [--threads N] [--seed S] MODE [options]
 *
 * Modes (each prints one line of key=value pairs on stdout; errors go to stderr, exit 1):
 *   exec FILE                      run every statement of FILE (data generation)
 *   mix --file F --clients C --seconds S
 *                                  C threads, each on its own connection, run all statements
 *                                  of F in a loop (duckdb_query: parse+plan every time, like
 *                                  pgbench -M simple); tps counts whole mixes
 *   point --query Q [--keys N] [--literal] --clients C --seconds S
 *                                  prepared Q executed in a loop; when Q has a parameter it is
 *                                  bound to a random key in [0, N). --literal: the key is
 *                                  written into the SQL text in place of $1 and every query is
 *                                  parsed and planned (duckdb_query), like pgbench -M simple
 *   insert --clients C --seconds S --protocol simple|prepared|multirow [--batch B]
 *                                  INSERTs of (id, client, 'x') into table ins; B = 1 (the
 *                                  default): single-row autocommit INSERTs. B > 1, prepared:
 *                                  B executions in one transaction (BEGIN ... COMMIT) per
 *                                  batch, the commit a pipeline up to Sync gets from an
 *                                  implicit transaction; multirow: one autocommit INSERT ...
 *                                  VALUES (..),(..),... of B rows (parsed every time).
 *                                  ops and tps count batches; rows and rows_per_s rows
 *   scan --query Q                 streaming result, duckdb_fetch_chunk until done (no text)
 *   export --query Q --out PATH [--format tsv|csv|json]
 *                                  COPY (Q) TO PATH, reports the size written. tsv (the
 *                                  default): tab-separated, no header (COPY TO STDOUT's text);
 *                                  csv: DuckDB's CSV with a header line; json: DuckDB's JSON
 *                                  writer (one object per line, NDJSON)
 *   arrow --query Q                streaming result, every chunk converted to an Arrow C data
 *                                  interface array (duckdb_data_chunk_to_arrow, with the
 *                                  result's arrow options, as duckd's Arrow encoder gets them)
 *                                  and released: the in-process cost of producing Arrow
 *   load --file F --table T        COPY T FROM F (tab-separated, \N for NULL: the text that
 *                                  COPY ... TO STDOUT writes) with DuckDB's own CSV reader
 *   script --init F --file G       open, run F (load), then run G's statements discarding
 *                                  results (the private-copy report worker of W5b)
 *
 * Common output keys: ops, seconds, tps, lat_us (average per op), cpu_s (process user+sys
 * during the measured phase), peak_rss_kib (VmHWM of this process at the end).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "duckdb.h"

static const char *g_db = ":memory:";
static const char *g_threads;
static uint64_t g_seed = 42;
static int g_batch = 1; /* rows per batch of the insert mode */

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "duckdb_baseline: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    exit(1);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static long status_kib(const char *key)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = -1;
    size_t kl = strlen(key);
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, key, kl) == 0 && line[kl] == ':') {
            v = strtol(line + kl + 1, NULL, 10);
            break;
        }
    }
    fclose(f);
    return v;
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;
    if (!f)
        die("cannot open", path);
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
        die("cannot size", path);
    buf = malloc((size_t)n + 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
        die("cannot read", path);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* Split a SQL file into statements at ';' outside single quotes; drops "--" comments and
 * empty statements. Good enough for the benchmark's own query files. */
static size_t split_sql(char *text, char ***out)
{
    size_t cap = 16, n = 0;
    char **v = malloc(cap * sizeof *v);
    char *start = text, *p = text, *w;
    bool quote = false;
    for (;; p++) {
        if (!quote && p[0] == '-' && p[1] == '-') {
            while (*p && *p != '\n')
                *p++ = ' ';
        }
        if (*p == '\'')
            quote = !quote;
        if ((*p == ';' && !quote) || *p == '\0') {
            bool end = *p == '\0';
            *p = '\0';
            for (w = start; *w == ' ' || *w == '\n' || *w == '\t' || *w == '\r'; w++) {
            }
            if (*w) {
                if (n == cap)
                    v = realloc(v, (cap *= 2) * sizeof *v);
                v[n++] = w;
            }
            if (end)
                break;
            start = p + 1;
        }
    }
    *out = v;
    return n;
}

/* The Arrow C data interface's array (its ABI is fixed by the Arrow specification; duckdb.h
 * only declares it). */
#ifndef ARROW_C_DATA_INTERFACE
#define ARROW_C_DATA_INTERFACE
struct ArrowArray {
    int64_t length;
    int64_t null_count;
    int64_t offset;
    int64_t n_buffers;
    int64_t n_children;
    const void **buffers;
    struct ArrowArray **children;
    struct ArrowArray *dictionary;
    void (*release)(struct ArrowArray *);
    void *private_data;
};
#endif

static duckdb_database open_db(void)
{
    duckdb_database db;
    duckdb_config cfg;
    char *err = NULL;
    if (duckdb_create_config(&cfg) != DuckDBSuccess)
        die("duckdb_create_config", NULL);
    if (g_threads && duckdb_set_config(cfg, "threads", g_threads) != DuckDBSuccess)
        die("bad --threads", g_threads);
    if (duckdb_open_ext(g_db, &db, cfg, &err) != DuckDBSuccess)
        die("cannot open database", err);
    duckdb_destroy_config(&cfg);
    return db;
}

static duckdb_connection connect_db(duckdb_database db)
{
    duckdb_connection c;
    if (duckdb_connect(db, &c) != DuckDBSuccess)
        die("duckdb_connect", NULL);
    return c;
}

static void query_or_die(duckdb_connection c, const char *sql)
{
    duckdb_result r;
    if (duckdb_query(c, sql, &r) != DuckDBSuccess) {
        fprintf(stderr, "duckdb_baseline: query failed: %s\n  in: %.200s\n",
                duckdb_result_error(&r), sql);
        exit(1);
    }
    duckdb_destroy_result(&r);
}

/* Pull every chunk of a result (materialised or streaming); returns the row count. */
static uint64_t drain(duckdb_result *r)
{
    uint64_t rows = 0;
    duckdb_data_chunk ch;
    while ((ch = duckdb_fetch_chunk(*r)) != NULL) {
        rows += duckdb_data_chunk_get_size(ch);
        duckdb_destroy_data_chunk(&ch);
    }
    return rows;
}

static uint64_t rnd(uint64_t *s)
{ /* xorshift64* */
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ULL;
}

/* ---- the threaded loops ---- */

enum kind { K_MIX, K_POINT, K_POINT_LITERAL, K_INSERT_SIMPLE, K_INSERT_PREPARED, K_INSERT_MULTIROW };

typedef struct {
    duckdb_database db;
    enum kind kind;
    int id;
    double deadline;
    char **stmts;
    size_t nstmts;
    const char *query;
    uint64_t keys;
    _Atomic int *started;
    /* results */
    uint64_t ops;
    double lat_sum;
    double end;
} worker_t;

/* Binds an integer as exactly the parameter's type: DuckDB re-plans a prepared statement at
 * every execution when a bound value's type differs from the type it inferred (BIGINT for an
 * INTEGER column), which would make this baseline slower than DuckDB can be. */
static duckdb_state bind_int(duckdb_prepared_statement ps, idx_t i, int64_t v)
{
    switch (duckdb_param_type(ps, i)) {
    case DUCKDB_TYPE_INTEGER: return duckdb_bind_int32(ps, i, (int32_t)v);
    case DUCKDB_TYPE_SMALLINT: return duckdb_bind_int16(ps, i, (int16_t)v);
    default: return duckdb_bind_int64(ps, i, v);
    }
}

static void *worker(void *arg)
{
    worker_t *w = arg;
    duckdb_connection c = connect_db(w->db);
    duckdb_prepared_statement ps = NULL;
    uint64_t s = g_seed * 1000003ULL + (uint64_t)w->id * 7919ULL + 1;
    uint64_t seq = 0;
    char sql[1024];
    bool param = false;
    char *multi = NULL; /* K_INSERT_MULTIROW's statement text */
    size_t multi_cap = (size_t)g_batch * 48 + 64;
    const char *lit_tail = NULL;
    int lit_head = 0;

    if (w->kind == K_POINT_LITERAL) {
        const char *d = strstr(w->query, "$1");
        if (!d || strlen(w->query) > 900)
            die("--literal needs a query with $1", w->query);
        lit_head = (int)(d - w->query);
        lit_tail = d + 2;
    }
    if (w->kind == K_POINT || w->kind == K_INSERT_PREPARED) {
        const char *q = w->kind == K_POINT ? w->query : "INSERT INTO ins VALUES ($1, $2, 'x')";
        if (duckdb_prepare(c, q, &ps) != DuckDBSuccess)
            die("prepare failed", duckdb_prepare_error(ps));
        param = duckdb_nparams(ps) > 0;
    }
    if (w->kind == K_INSERT_MULTIROW && !(multi = malloc(multi_cap)))
        die("out of memory", NULL);
    atomic_fetch_add(w->started, 1);
    for (;;) {
        double t0 = now_s();
        duckdb_result r;
        if (t0 >= w->deadline)
            break;
        switch (w->kind) {
        case K_MIX:
            for (size_t i = 0; i < w->nstmts; i++) {
                if (duckdb_query(c, w->stmts[i], &r) != DuckDBSuccess)
                    die("mix query failed", duckdb_result_error(&r));
                drain(&r);
                duckdb_destroy_result(&r);
            }
            break;
        case K_POINT_LITERAL:
            snprintf(sql, sizeof sql, "%.*s%llu%s", lit_head, w->query,
                     (unsigned long long)(rnd(&s) % w->keys), lit_tail);
            if (duckdb_query(c, sql, &r) != DuckDBSuccess)
                die("point query failed", duckdb_result_error(&r));
            drain(&r);
            duckdb_destroy_result(&r);
            break;
        case K_POINT:
            if (param && bind_int(ps, 1, (int64_t)(rnd(&s) % w->keys)) != DuckDBSuccess)
                die("bind failed", NULL);
            if (duckdb_execute_prepared(ps, &r) != DuckDBSuccess)
                die("point query failed", duckdb_result_error(&r));
            drain(&r);
            duckdb_destroy_result(&r);
            break;
        case K_INSERT_SIMPLE:
            snprintf(sql, sizeof sql, "INSERT INTO ins VALUES (%llu, %d, 'x')",
                     (unsigned long long)seq++, w->id);
            if (duckdb_query(c, sql, &r) != DuckDBSuccess)
                die("insert failed", duckdb_result_error(&r));
            duckdb_destroy_result(&r);
            break;
        case K_INSERT_PREPARED:
            if (g_batch > 1)
                query_or_die(c, "BEGIN");
            for (int b = 0; b < g_batch; b++) {
                bind_int(ps, 1, (int64_t)seq++);
                bind_int(ps, 2, w->id);
                if (duckdb_execute_prepared(ps, &r) != DuckDBSuccess)
                    die("insert failed", duckdb_result_error(&r));
                duckdb_destroy_result(&r);
            }
            if (g_batch > 1)
                query_or_die(c, "COMMIT");
            break;
        case K_INSERT_MULTIROW: {
            size_t n = (size_t)snprintf(multi, multi_cap, "INSERT INTO ins VALUES ");
            for (int b = 0; b < g_batch; b++)
                n += (size_t)snprintf(multi + n, multi_cap - n, "%s(%llu, %d, 'x')",
                                      b ? ", " : "", (unsigned long long)seq++, w->id);
            if (duckdb_query(c, multi, &r) != DuckDBSuccess)
                die("insert failed", duckdb_result_error(&r));
            duckdb_destroy_result(&r);
            break;
        }
        }
        double t1 = now_s();
        w->lat_sum += t1 - t0;
        w->ops++;
        w->end = t1;
    }
    if (ps)
        duckdb_destroy_prepare(&ps);
    free(multi);
    duckdb_disconnect(&c);
    return NULL;
}

static void run_threads(duckdb_database db, enum kind kind, int clients, double seconds,
                        char **stmts, size_t nstmts, const char *query, uint64_t keys)
{
    worker_t *w = calloc((size_t)clients, sizeof *w);
    pthread_t *th = calloc((size_t)clients, sizeof *th);
    _Atomic int started = 0;
    double c0 = cpu_s(), t0 = now_s(), end = t0;
    uint64_t ops = 0;
    double lat = 0;
    for (int i = 0; i < clients; i++) {
        w[i] = (worker_t){.db = db, .kind = kind, .id = i, .deadline = t0 + seconds,
                          .stmts = stmts, .nstmts = nstmts, .query = query, .keys = keys,
                          .started = &started};
        if (pthread_create(&th[i], NULL, worker, &w[i]) != 0)
            die("pthread_create", strerror(errno));
    }
    for (int i = 0; i < clients; i++) {
        pthread_join(th[i], NULL);
        ops += w[i].ops;
        lat += w[i].lat_sum;
        if (w[i].end > end)
            end = w[i].end;
    }
    double el = end - t0, cpu = cpu_s() - c0;
    printf("ops=%llu seconds=%.4f tps=%.3f lat_us=%.2f lat_ms=%.4f cpu_s=%.4f "
           "cpu_us_per_op=%.3f clients=%d peak_rss_kib=%ld",
           (unsigned long long)ops, el, ops / el, ops ? lat / (double)ops * 1e6 : 0.0,
           ops ? lat / (double)ops * 1e3 : 0.0, cpu,
           ops ? cpu / (double)ops * 1e6 : 0.0, clients, status_kib("VmHWM"));
    if (kind == K_INSERT_SIMPLE || kind == K_INSERT_PREPARED || kind == K_INSERT_MULTIROW)
        printf(" batch=%d rows=%llu rows_per_s=%.1f", g_batch,
               (unsigned long long)ops * (unsigned long long)g_batch,
               (double)ops * g_batch / el);
    printf("\n");
    free(w);
    free(th);
}

static const char *opt(int argc, char **argv, const char *name, const char *def)
{
    for (int i = 0; i + 1 < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return argv[i + 1];
    return def;
}

static const char *need(int argc, char **argv, const char *name)
{
    const char *v = opt(argc, argv, name, NULL);
    if (!v)
        die("missing option", name);
    return v;
}

int main(int argc, char **argv)
{
    int i = 1;
    for (; i + 1 < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
        if (strcmp(argv[i], "--db") == 0)
            g_db = argv[i + 1];
        else if (strcmp(argv[i], "--threads") == 0)
            g_threads = argv[i + 1];
        else if (strcmp(argv[i], "--seed") == 0)
            g_seed = strtoull(argv[i + 1], NULL, 10);
        else
            die("unknown option", argv[i]);
    }
    if (i >= argc) {
        fprintf(stderr, "usage: duckdb_baseline [--db PATH] [--threads N] [--seed S] "
                        "exec|mix|point|insert|scan|export|arrow|load|script ...\n");
        return 2;
    }
    const char *mode = argv[i];
    int ac = argc - i;
    char **av = argv + i;
    int clients = atoi(opt(ac, av, "--clients", "1"));
    double seconds = atof(opt(ac, av, "--seconds", "5"));

    duckdb_database db = open_db();

    if (strcmp(mode, "exec") == 0) {
        if (ac < 2)
            die("exec needs a file", NULL);
        char *sql = read_file(av[1]);
        duckdb_connection c = connect_db(db);
        double t0 = now_s();
        query_or_die(c, sql);
        printf("seconds=%.4f\n", now_s() - t0);
        duckdb_disconnect(&c);
        free(sql);
    } else if (strcmp(mode, "mix") == 0) {
        char *text = read_file(need(ac, av, "--file")), **stmts;
        size_t n = split_sql(text, &stmts);
        duckdb_connection c = connect_db(db);
        for (size_t k = 0; k < n; k++) { /* warm-up: the buffer pool, like a running server */
            duckdb_result r;
            if (duckdb_query(c, stmts[k], &r) != DuckDBSuccess)
                die("warm-up query failed", duckdb_result_error(&r));
            duckdb_destroy_result(&r);
        }
        duckdb_disconnect(&c);
        run_threads(db, K_MIX, clients, seconds, stmts, n, NULL, 0);
        free(stmts);
        free(text);
    } else if (strcmp(mode, "point") == 0) {
        const char *q = need(ac, av, "--query");
        uint64_t keys = strtoull(opt(ac, av, "--keys", "1"), NULL, 10);
        bool literal = false;
        for (int k = 0; k < ac; k++)
            literal |= strcmp(av[k], "--literal") == 0;
        run_threads(db, literal ? K_POINT_LITERAL : K_POINT, clients, seconds, NULL, 0, q,
                    keys ? keys : 1);
    } else if (strcmp(mode, "insert") == 0) {
        const char *proto = opt(ac, av, "--protocol", "simple");
        enum kind k = strcmp(proto, "prepared") == 0   ? K_INSERT_PREPARED
                      : strcmp(proto, "multirow") == 0 ? K_INSERT_MULTIROW
                                                       : K_INSERT_SIMPLE;
        g_batch = atoi(opt(ac, av, "--batch", "1"));
        if (g_batch < 1 || g_batch > 100000)
            die("--batch must be 1..100000", NULL);
        run_threads(db, k, clients, seconds, NULL, 0, NULL, 0);
    } else if (strcmp(mode, "scan") == 0) {
        const char *q = need(ac, av, "--query");
        duckdb_connection c = connect_db(db);
        duckdb_prepared_statement ps;
        duckdb_result r;
        if (duckdb_prepare(c, q, &ps) != DuckDBSuccess)
            die("prepare failed", duckdb_prepare_error(ps));
        double c0 = cpu_s(), t0 = now_s();
        if (duckdb_execute_prepared_streaming(ps, &r) != DuckDBSuccess)
            die("scan failed", duckdb_result_error(&r));
        uint64_t rows = drain(&r);
        double el = now_s() - t0;
        printf("rows=%llu seconds=%.4f rows_per_s=%.1f cpu_s=%.4f peak_rss_kib=%ld\n",
               (unsigned long long)rows, el, rows / el, cpu_s() - c0, status_kib("VmHWM"));
        duckdb_destroy_result(&r);
        duckdb_destroy_prepare(&ps);
        duckdb_disconnect(&c);
    } else if (strcmp(mode, "export") == 0) {
        const char *q = need(ac, av, "--query"), *out = need(ac, av, "--out");
        const char *fmt = opt(ac, av, "--format", "tsv");
        const char *how = strcmp(fmt, "tsv") == 0    ? "FORMAT csv, DELIMITER '\t', HEADER false"
                          : strcmp(fmt, "csv") == 0  ? "FORMAT csv, HEADER true"
                          : strcmp(fmt, "json") == 0 ? "FORMAT json"
                                                     : NULL;
        if (!how)
            die("--format must be tsv, csv or json", fmt);
        char *sql = malloc(strlen(q) + strlen(out) + strlen(how) + 32);
        duckdb_connection c = connect_db(db);
        duckdb_result r;
        struct stat st;
        sprintf(sql, "COPY (%s) TO '%s' (%s)", q, out, how);
        double c0 = cpu_s(), t0 = now_s();
        if (duckdb_query(c, sql, &r) != DuckDBSuccess)
            die("export failed", duckdb_result_error(&r));
        double el = now_s() - t0;
        uint64_t rows = duckdb_rows_changed(&r);
        long long bytes = stat(out, &st) == 0 && S_ISREG(st.st_mode) ? (long long)st.st_size : -1;
        printf("rows=%llu bytes=%lld seconds=%.4f rows_per_s=%.1f mb_per_s=%.2f cpu_s=%.4f "
               "peak_rss_kib=%ld\n",
               (unsigned long long)rows, bytes, el, rows / el,
               bytes >= 0 ? (double)bytes / el / 1e6 : -1.0, cpu_s() - c0, status_kib("VmHWM"));
        duckdb_destroy_result(&r);
        duckdb_disconnect(&c);
        free(sql);
    } else if (strcmp(mode, "arrow") == 0) {
        const char *q = need(ac, av, "--query");
        duckdb_connection c = connect_db(db);
        duckdb_prepared_statement ps;
        duckdb_result r;
        duckdb_data_chunk ch;
        uint64_t rows = 0;
        if (duckdb_prepare(c, q, &ps) != DuckDBSuccess)
            die("prepare failed", duckdb_prepare_error(ps));
        double c0 = cpu_s(), t0 = now_s();
        if (duckdb_execute_prepared_streaming(ps, &r) != DuckDBSuccess)
            die("arrow query failed", duckdb_result_error(&r));
        duckdb_arrow_options ao = duckdb_result_get_arrow_options(&r);
        if (!ao)
            die("no arrow options for the result", NULL);
        while ((ch = duckdb_fetch_chunk(r)) != NULL) {
            struct ArrowArray a;
            memset(&a, 0, sizeof a);
            duckdb_error_data ed = duckdb_data_chunk_to_arrow(ao, ch, &a);
            if (ed) {
                die("duckdb_data_chunk_to_arrow failed", duckdb_error_data_has_error(ed)
                                                             ? duckdb_error_data_message(ed)
                                                             : NULL);
            }
            rows += (uint64_t)a.length;
            if (a.release)
                a.release(&a);
            duckdb_destroy_data_chunk(&ch);
        }
        double el = now_s() - t0;
        printf("rows=%llu seconds=%.4f rows_per_s=%.1f cpu_s=%.4f peak_rss_kib=%ld\n",
               (unsigned long long)rows, el, rows / el, cpu_s() - c0, status_kib("VmHWM"));
        duckdb_destroy_arrow_options(&ao);
        duckdb_destroy_result(&r);
        duckdb_destroy_prepare(&ps);
        duckdb_disconnect(&c);
    } else if (strcmp(mode, "load") == 0) {
        const char *f = need(ac, av, "--file"), *t = need(ac, av, "--table");
        char *sql = malloc(strlen(f) + strlen(t) + 128);
        duckdb_connection c = connect_db(db);
        duckdb_result r;
        struct stat st;
        sprintf(sql, "COPY %s FROM '%s' (FORMAT csv, DELIMITER '\t', NULL '\\N', HEADER false)",
                t, f);
        double c0 = cpu_s(), t0 = now_s();
        if (duckdb_query(c, sql, &r) != DuckDBSuccess)
            die("load failed", duckdb_result_error(&r));
        double el = now_s() - t0;
        uint64_t rows = duckdb_rows_changed(&r);
        long long bytes = stat(f, &st) == 0 ? (long long)st.st_size : -1;
        printf("rows=%llu bytes=%lld seconds=%.4f rows_per_s=%.1f mb_per_s=%.2f cpu_s=%.4f "
               "peak_rss_kib=%ld\n",
               (unsigned long long)rows, bytes, el, rows / el, (double)bytes / el / 1e6,
               cpu_s() - c0, status_kib("VmHWM"));
        duckdb_destroy_result(&r);
        duckdb_disconnect(&c);
        free(sql);
    } else if (strcmp(mode, "script") == 0) {
        char *init = read_file(need(ac, av, "--init"));
        char *text = read_file(need(ac, av, "--file")), **stmts;
        size_t n = split_sql(text, &stmts);
        duckdb_connection c = connect_db(db);
        double t0 = now_s();
        query_or_die(c, init);
        double t1 = now_s();
        for (size_t k = 0; k < n; k++) {
            duckdb_result r;
            if (duckdb_query(c, stmts[k], &r) != DuckDBSuccess)
                die("report failed", duckdb_result_error(&r));
            drain(&r);
            duckdb_destroy_result(&r);
        }
        double t2 = now_s();
        printf("load_s=%.4f reports=%zu run_s=%.4f seconds=%.4f cpu_s=%.4f peak_rss_kib=%ld\n",
               t1 - t0, n, t2 - t1, t2 - t0, cpu_s(), status_kib("VmHWM"));
        duckdb_disconnect(&c);
        free(stmts);
        free(text);
        free(init);
    } else {
        die("unknown mode", mode);
    }
    duckdb_close(&db);
    return 0;
}
