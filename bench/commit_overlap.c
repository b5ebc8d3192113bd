/* commit_overlap: does DuckDB overlap one connection's INSERT with another's commit, and what
 * does an explicit transaction cost? Evidence for docs/ARCHITECTURE.md ("Why one batch at a
 * time"): the group committer's batch is a prepared INSERT ... SELECT of ROWS rows into a
 * file-backed table like W3's, each committed with a WAL sync.
 *
 *   commit_overlap DBFILE MODE [BATCHES] [ROWS]
 *     MODE auto1     one connection, each INSERT autocommits (what the committer does)
 *     MODE auto2     two connections on two threads, each INSERT autocommits, in parallel
 *     MODE explicit  one connection, BEGIN; INSERT; COMMIT (what an ordered pipeline needs)
 *
 * Prints wall and process CPU milliseconds per batch. DBFILE (and its .wal) is replaced.
 * Build: see bench/README.md. */
#include <duckdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static duckdb_database co_db;
static int co_batches = 1000, co_rows = 32;

static double co_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double co_cpu(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           (double)(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

static void co_query(duckdb_connection c, const char *sql)
{
    duckdb_result r;
    if (duckdb_query(c, sql, &r) != DuckDBSuccess) {
        fprintf(stderr, "commit_overlap: %s: %s\n", sql, duckdb_result_error(&r));
        exit(1);
    }
    duckdb_destroy_result(&r);
}

typedef struct {
    int first, step;
    bool explicit_txn;
} co_arg_t;

/* Runs batches first, first + step, ... on a connection of its own. */
static void *co_worker(void *p)
{
    const co_arg_t *a = p;
    duckdb_connection c;
    duckdb_prepared_statement ps;
    char sql[160];
    if (duckdb_connect(co_db, &c) != DuckDBSuccess)
        exit(1);
    snprintf(sql, sizeof sql, "INSERT INTO ins SELECT $1 * 100000 + i, 1, 'x' FROM range(%d) t(i)",
             co_rows);
    if (duckdb_prepare(c, sql, &ps) != DuckDBSuccess) {
        fprintf(stderr, "commit_overlap: %s\n", duckdb_prepare_error(ps));
        exit(1);
    }
    for (int b = a->first; b < co_batches; b += a->step) {
        duckdb_result r;
        if (a->explicit_txn)
            co_query(c, "BEGIN");
        duckdb_bind_int64(ps, 1, b);
        if (duckdb_execute_prepared(ps, &r) != DuckDBSuccess) {
            fprintf(stderr, "commit_overlap: %s\n", duckdb_result_error(&r));
            exit(1);
        }
        duckdb_destroy_result(&r);
        if (a->explicit_txn)
            co_query(c, "COMMIT");
    }
    duckdb_destroy_prepare(&ps);
    duckdb_disconnect(&c);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: commit_overlap DBFILE auto1|auto2|explicit [BATCHES] [ROWS]\n");
        return 2;
    }
    const char *path = argv[1], *mode = argv[2];
    int nthreads = strcmp(mode, "auto2") == 0 ? 2 : 1;
    bool explicit_txn = strcmp(mode, "explicit") == 0;
    char wal[4096];
    pthread_t th[2];
    co_arg_t args[2];
    duckdb_connection c;

    if (argc > 3)
        co_batches = atoi(argv[3]);
    if (argc > 4)
        co_rows = atoi(argv[4]);
    snprintf(wal, sizeof wal, "%s.wal", path);
    remove(path);
    remove(wal);
    if (duckdb_open(path, &co_db) != DuckDBSuccess || duckdb_connect(co_db, &c) != DuckDBSuccess)
        return 1;
    co_query(c, "CREATE TABLE ins (id BIGINT, client INTEGER, v VARCHAR)");
    duckdb_disconnect(&c);
    double t0 = co_now(), c0 = co_cpu();
    for (int i = 0; i < nthreads; i++) {
        args[i] = (co_arg_t){i, nthreads, explicit_txn};
        pthread_create(&th[i], NULL, co_worker, &args[i]);
    }
    for (int i = 0; i < nthreads; i++)
        pthread_join(th[i], NULL);
    printf("commit_overlap %s: %d batches of %d rows: %.3f ms wall, %.3f ms CPU per batch\n", mode,
           co_batches, co_rows, (co_now() - t0) * 1e3 / co_batches,
           (co_cpu() - c0) * 1e3 / co_batches);
    duckdb_close(&co_db);
    return 0;
}
