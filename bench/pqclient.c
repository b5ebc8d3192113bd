/* libpq client for the workloads pgbench cannot express.
 *
 *   pqclient CONNINFO MODE [options]
 *
 *   select --query Q                 read a large result in single-row mode and discard it
 *          [--seconds S --batch N --sleep-us U --rcvbuf BYTES]
 *                                    slow reader: after every N rows sleep U microseconds,
 *                                    stop (close the connection) after S seconds
 *   copy --query Q                   COPY ... TO STDOUT, discard the data; if the server does
 *                                    not answer with CopyOutResponse: prints unsupported=1,
 *                                    exit 3
 *   copyin --query Q --file F        COPY ... FROM STDIN with the bytes of F, sent in 64 KiB
 *                                    CopyData messages; rows = the server's "COPY n" count
 *   hold --n N --seconds S           open N connections (each runs SELECT 1 once), print
 *                                    "ready", keep them idle for S seconds (or until SIGTERM)
 *   insert --mode pipeline|multirow --batch B --clients C --seconds S [--table T]
 *                                    C threads, one connection each, insert (id, client, 'x')
 *                                    rows into T (default ins) in batches of B rows, one
 *                                    round trip per batch, for S seconds:
 *                                    pipeline: libpq pipeline mode, Parse once, then per batch
 *                                    Bind/Execute x B and one Sync (what JDBC executeBatch and
 *                                    asyncpg executemany send); multirow: one simple Query
 *                                    "INSERT INTO T VALUES (..),(..),..." of B rows.
 *                                    A batch counts when every result up to its Sync (or
 *                                    the statement's CommandComplete) arrived without error.
 *
 * Output: one line of key=value pairs on stdout (rows, bytes = payload bytes the client got,
 * seconds, rows_per_s, mb_per_s, client_cpu_s = this process's user+sys CPU, ...).
 * Errors: stderr, exit 1.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

static volatile sig_atomic_t g_stop;

static void on_term(int sig)
{
    (void)sig;
    g_stop = 1;
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

static const char *opt(int argc, char **argv, const char *name, const char *def)
{
    for (int i = 0; i + 1 < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return argv[i + 1];
    return def;
}

static PGconn *connect_or_die(const char *conninfo)
{
    PGconn *c = PQconnectdb(conninfo);
    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "pqclient: connection failed: %s", PQerrorMessage(c));
        exit(1);
    }
    return c;
}

static int mode_select(const char *conninfo, int argc, char **argv)
{
    const char *q = opt(argc, argv, "--query", NULL);
    double limit = atof(opt(argc, argv, "--seconds", "0"));
    long batch = atol(opt(argc, argv, "--batch", "0"));
    long sleep_us = atol(opt(argc, argv, "--sleep-us", "0"));
    int rcvbuf = atoi(opt(argc, argv, "--rcvbuf", "0"));
    PGconn *c = connect_or_die(conninfo);
    PGresult *r;
    uint64_t rows = 0, bytes = 0;
    bool stopped = false, failed = false;

    if (!q) {
        fprintf(stderr, "pqclient: select needs --query\n");
        return 1;
    }
    if (rcvbuf > 0 && setsockopt(PQsocket(c), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf) != 0)
        perror("pqclient: SO_RCVBUF");
    double t0 = now_s();
    if (!PQsendQuery(c, q) || !PQsetSingleRowMode(c)) {
        fprintf(stderr, "pqclient: send failed: %s", PQerrorMessage(c));
        return 1;
    }
    while ((r = PQgetResult(c)) != NULL) {
        ExecStatusType st = PQresultStatus(r);
        if (st == PGRES_SINGLE_TUPLE) {
            int nf = PQnfields(r);
            for (int f = 0; f < nf; f++)
                bytes += (uint64_t)PQgetlength(r, 0, f);
            rows++;
            if (batch > 0 && rows % (uint64_t)batch == 0) {
                if (sleep_us > 0)
                    usleep((useconds_t)sleep_us);
                if (limit > 0 && now_s() - t0 >= limit) {
                    PQclear(r);
                    stopped = true;
                    break;
                }
            }
        } else if (st != PGRES_TUPLES_OK) {
            fprintf(stderr, "pqclient: query failed: %s", PQresultErrorMessage(r));
            failed = true;
        }
        PQclear(r);
    }
    double el = now_s() - t0;
    PQfinish(c); /* a slow reader that stopped early just hangs up */
    if (failed)
        return 1;
    printf("rows=%llu bytes=%llu seconds=%.4f rows_per_s=%.1f mb_per_s=%.2f stopped=%d "
           "client_cpu_s=%.4f\n",
           (unsigned long long)rows, (unsigned long long)bytes, el, rows / el,
           (double)bytes / el / 1e6, stopped ? 1 : 0, cpu_s());
    return 0;
}

static int mode_copy(const char *conninfo, int argc, char **argv)
{
    const char *q = opt(argc, argv, "--query", NULL);
    PGconn *c = connect_or_die(conninfo);
    uint64_t rows = 0, bytes = 0;
    char *buf;
    int n;
    if (!q) {
        fprintf(stderr, "pqclient: copy needs --query\n");
        return 1;
    }
    double t0 = now_s();
    PGresult *r = PQexec(c, q);
    if (PQresultStatus(r) != PGRES_COPY_OUT) {
        printf("unsupported=1 status=%s\n", PQresStatus(PQresultStatus(r)));
        PQclear(r);
        PQfinish(c);
        return 3;
    }
    PQclear(r);
    while ((n = PQgetCopyData(c, &buf, 0)) > 0) {
        bytes += (uint64_t)n;
        for (int i = 0; i < n; i++)
            rows += buf[i] == '\n';
        PQfreemem(buf);
    }
    if (n == -2) {
        fprintf(stderr, "pqclient: copy failed: %s", PQerrorMessage(c));
        return 1;
    }
    while ((r = PQgetResult(c)) != NULL) {
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            fprintf(stderr, "pqclient: copy failed: %s", PQresultErrorMessage(r));
            return 1;
        }
        PQclear(r);
    }
    double el = now_s() - t0;
    PQfinish(c);
    printf("rows=%llu bytes=%llu seconds=%.4f rows_per_s=%.1f mb_per_s=%.2f client_cpu_s=%.4f\n",
           (unsigned long long)rows, (unsigned long long)bytes, el, rows / el,
           (double)bytes / el / 1e6, cpu_s());
    return 0;
}

static int mode_copyin(const char *conninfo, int argc, char **argv)
{
    const char *q = opt(argc, argv, "--query", NULL), *path = opt(argc, argv, "--file", NULL);
    static char buf[65536];
    uint64_t bytes = 0;
    size_t n;
    if (!q || !path) {
        fprintf(stderr, "pqclient: copyin needs --query and --file\n");
        return 1;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "pqclient: %s: %s\n", path, strerror(errno));
        return 1;
    }
    PGconn *c = connect_or_die(conninfo);
    double t0 = now_s();
    PGresult *r = PQexec(c, q);
    if (PQresultStatus(r) != PGRES_COPY_IN) {
        fprintf(stderr, "pqclient: copyin: %s", PQresultErrorMessage(r));
        return 1;
    }
    PQclear(r);
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        if (PQputCopyData(c, buf, (int)n) != 1) {
            fprintf(stderr, "pqclient: copyin: %s", PQerrorMessage(c));
            return 1;
        }
        bytes += n;
    }
    fclose(f);
    if (PQputCopyEnd(c, NULL) != 1) {
        fprintf(stderr, "pqclient: copyin: %s", PQerrorMessage(c));
        return 1;
    }
    unsigned long long rows = 0;
    while ((r = PQgetResult(c)) != NULL) {
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            fprintf(stderr, "pqclient: copyin failed: %s", PQresultErrorMessage(r));
            return 1;
        }
        rows = strtoull(PQcmdTuples(r), NULL, 10);
        PQclear(r);
    }
    double el = now_s() - t0;
    PQfinish(c);
    printf("rows=%llu bytes=%llu seconds=%.4f rows_per_s=%.1f mb_per_s=%.2f client_cpu_s=%.4f\n",
           rows, (unsigned long long)bytes, el, rows / el, (double)bytes / el / 1e6, cpu_s());
    return 0;
}

static int mode_hold(const char *conninfo, int argc, char **argv)
{
    int n = atoi(opt(argc, argv, "--n", "1"));
    double secs = atof(opt(argc, argv, "--seconds", "60"));
    PGconn **cs = calloc((size_t)(n > 0 ? n : 1), sizeof *cs);
    double t0 = now_s();
    for (int i = 0; i < n && !g_stop; i++) {
        cs[i] = connect_or_die(conninfo);
        PGresult *r = PQexec(cs[i], "SELECT 1");
        if (PQresultStatus(r) != PGRES_TUPLES_OK) {
            fprintf(stderr, "pqclient: SELECT 1 failed on connection %d: %s", i,
                    PQresultErrorMessage(r));
            return 1;
        }
        PQclear(r);
    }
    double el = now_s() - t0;
    printf("ready connections=%d connect_seconds=%.4f connect_ms_each=%.3f\n", n, el,
           n ? el / n * 1e3 : 0.0);
    fflush(stdout);
    while (!g_stop && now_s() - t0 < secs + el)
        usleep(20000);
    for (int i = 0; i < n; i++)
        if (cs[i])
            PQfinish(cs[i]);
    free(cs);
    return 0;
}

/* ---- insert: batched writes, one round trip per batch ---- */

typedef struct {
    PGconn *conn;
    int id;
    bool pipeline;
    int batch;
    const char *table;
    double seconds;
    pthread_barrier_t *start;
    /* results */
    uint64_t batches;
    double lat_sum; /* seconds from sending a batch to its last result */
    double end;
    char error[512];
} inserter_t;

static void ins_fail(inserter_t *w, const char *what, const char *msg)
{
    snprintf(w->error, sizeof w->error, "client %d: %s: %s", w->id, what, msg);
}

/* Sends one batch of B Bind/Execute on the prepared statement "w8" and a Sync, then reads
 * B command results (each followed by NULL) and the PIPELINE_SYNC. */
static bool ins_pipeline_batch(inserter_t *w, uint64_t *seq)
{
    char idbuf[32], clbuf[16];
    const char *vals[2] = {idbuf, clbuf};
    snprintf(clbuf, sizeof clbuf, "%d", w->id);
    for (int i = 0; i < w->batch; i++) {
        snprintf(idbuf, sizeof idbuf, "%llu",
                 (unsigned long long)(((uint64_t)w->id << 40) | (*seq)++));
        if (!PQsendQueryPrepared(w->conn, "w8", 2, vals, NULL, NULL, 0)) {
            ins_fail(w, "send", PQerrorMessage(w->conn));
            return false;
        }
    }
    if (!PQpipelineSync(w->conn)) {
        ins_fail(w, "sync", PQerrorMessage(w->conn));
        return false;
    }
    bool ok = true;
    for (int i = 0; i < w->batch; i++) {
        PGresult *r = PQgetResult(w->conn);
        if (!r) {
            ins_fail(w, "pipeline", PQerrorMessage(w->conn));
            return false;
        }
        if (ok && PQresultStatus(r) != PGRES_COMMAND_OK) {
            ins_fail(w, "insert", PQresultErrorMessage(r));
            ok = false;
        }
        PQclear(r);
        if ((r = PQgetResult(w->conn)) != NULL) { /* the NULL that ends each command */
            PQclear(r);
            ins_fail(w, "pipeline", "unexpected extra result");
            return false;
        }
    }
    PGresult *r = PQgetResult(w->conn);
    if (!r || PQresultStatus(r) != PGRES_PIPELINE_SYNC) {
        ins_fail(w, "pipeline", r ? PQresStatus(PQresultStatus(r)) : PQerrorMessage(w->conn));
        PQclear(r);
        return false;
    }
    PQclear(r);
    return ok;
}

static bool ins_multirow_batch(inserter_t *w, uint64_t *seq, char *sql, size_t cap)
{
    size_t n = (size_t)snprintf(sql, cap, "INSERT INTO %s VALUES ", w->table);
    for (int i = 0; i < w->batch && n < cap; i++)
        n += (size_t)snprintf(sql + n, cap - n, "%s(%llu, %d, 'x')", i ? ", " : "",
                              (unsigned long long)(((uint64_t)w->id << 40) | (*seq)++), w->id);
    if (n >= cap) {
        ins_fail(w, "multirow", "batch too large");
        return false;
    }
    PGresult *r = PQexec(w->conn, sql);
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok)
        ins_fail(w, "insert", PQresultErrorMessage(r));
    PQclear(r);
    return ok;
}

static void *inserter(void *arg)
{
    inserter_t *w = arg;
    size_t cap = (size_t)w->batch * 48 + 256;
    char *sql = malloc(cap);
    uint64_t seq = 0;
    bool ready = sql != NULL;
    if (!ready)
        ins_fail(w, "malloc", strerror(errno));
    if (ready && w->pipeline) {
        snprintf(sql, cap, "INSERT INTO %s VALUES ($1, $2, 'x')", w->table);
        PGresult *r = PQprepare(w->conn, "w8", sql, 2, NULL);
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            ins_fail(w, "prepare", PQresultErrorMessage(r));
            ready = false;
        }
        PQclear(r);
        if (ready && !PQenterPipelineMode(w->conn)) {
            ins_fail(w, "pipeline mode", PQerrorMessage(w->conn));
            ready = false;
        }
    }
    pthread_barrier_wait(w->start);
    double deadline = now_s() + w->seconds;
    while (ready && !g_stop) {
        double t0 = now_s();
        if (t0 >= deadline)
            break;
        if (!(w->pipeline ? ins_pipeline_batch(w, &seq) : ins_multirow_batch(w, &seq, sql, cap)))
            break;
        double t1 = now_s();
        w->lat_sum += t1 - t0;
        w->batches++;
        w->end = t1;
    }
    free(sql);
    return NULL;
}

static int mode_insert(const char *conninfo, int argc, char **argv)
{
    const char *mode = opt(argc, argv, "--mode", "pipeline");
    int batch = atoi(opt(argc, argv, "--batch", "100"));
    int clients = atoi(opt(argc, argv, "--clients", "1"));
    double secs = atof(opt(argc, argv, "--seconds", "5"));
    const char *table = opt(argc, argv, "--table", "ins");
    bool pipeline = strcmp(mode, "pipeline") == 0;
    if ((!pipeline && strcmp(mode, "multirow") != 0) || batch < 1 || batch > 100000 ||
        clients < 1 || clients > 1000) {
        fprintf(stderr, "pqclient: insert needs --mode pipeline|multirow, 1 <= --batch <= "
                        "100000, 1 <= --clients <= 1000\n");
        return 2;
    }
    inserter_t *w = calloc((size_t)clients, sizeof *w);
    pthread_t *th = calloc((size_t)clients, sizeof *th);
    pthread_barrier_t start;
    if (!w || !th || pthread_barrier_init(&start, NULL, (unsigned)clients + 1) != 0) {
        fprintf(stderr, "pqclient: out of memory\n");
        return 1;
    }
    for (int i = 0; i < clients; i++) {
        w[i] = (inserter_t){.conn = connect_or_die(conninfo),
                            .id = i,
                            .pipeline = pipeline,
                            .batch = batch,
                            .table = table,
                            .seconds = secs,
                            .start = &start};
        if (pthread_create(&th[i], NULL, inserter, &w[i]) != 0) {
            fprintf(stderr, "pqclient: pthread_create failed\n");
            return 1;
        }
    }
    double c0 = cpu_s();
    pthread_barrier_wait(&start);
    double t0 = now_s(), end = t0, lat = 0;
    uint64_t batches = 0;
    int rc = 0;
    for (int i = 0; i < clients; i++) {
        pthread_join(th[i], NULL);
        if (w[i].error[0]) {
            fprintf(stderr, "pqclient: %s", w[i].error);
            rc = 1;
        }
        batches += w[i].batches;
        lat += w[i].lat_sum;
        if (w[i].end > end)
            end = w[i].end;
        PQfinish(w[i].conn);
    }
    double el = end > t0 ? end - t0 : 1e-9;
    uint64_t rows = batches * (uint64_t)batch;
    printf("rows=%llu batches=%llu batch=%d clients=%d seconds=%.4f rows_per_s=%.1f "
           "batches_per_s=%.2f lat_us=%.1f client_cpu_s=%.4f\n",
           (unsigned long long)rows, (unsigned long long)batches, batch, clients, el,
           (double)rows / el, (double)batches / el, batches ? lat / (double)batches * 1e6 : 0.0,
           cpu_s() - c0);
    pthread_barrier_destroy(&start);
    free(w);
    free(th);
    return rc;
}

int main(int argc, char **argv)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_term;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (argc < 3) {
        fprintf(stderr, "usage: pqclient CONNINFO select|copy|copyin|hold|insert [options]\n");
        return 2;
    }
    if (strcmp(argv[2], "select") == 0)
        return mode_select(argv[1], argc - 2, argv + 2);
    if (strcmp(argv[2], "copy") == 0)
        return mode_copy(argv[1], argc - 2, argv + 2);
    if (strcmp(argv[2], "copyin") == 0)
        return mode_copyin(argv[1], argc - 2, argv + 2);
    if (strcmp(argv[2], "hold") == 0)
        return mode_hold(argv[1], argc - 2, argv + 2);
    if (strcmp(argv[2], "insert") == 0)
        return mode_insert(argv[1], argc - 2, argv + 2);
    fprintf(stderr, "pqclient: unknown mode %s\n", argv[2]);
    return 2;
}
