/* W5a on SQLite: one writer process and R reader processes on one database file in WAL mode,
 * for a fixed time -- the embedded-database answer to "many processes, one database".
 *
 *   sqlite_mixed --db PATH [--readers 4] [--seconds 5] [--prefill 100000]
 *
 * The parent (re)creates table events(id INTEGER, src TEXT) with --prefill rows, then forks
 * the writer (single-row autocommit INSERTs, prepared) and the readers (SELECT count(*) FROM
 * events, prepared), each with its own connection and busy_timeout = 5000 ms. Synchronous
 * stays at the library default (FULL with WAL in Debian's build: the WAL is synced at every
 * commit, like PostgreSQL with synchronous_commit = on).
 *
 * Output: writes=… reads=… seconds=… writes_per_s=… reads_per_s=… busy=… synchronous=…
 * cpu_s=… (user+sys of this process and its five children)
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *opt(int argc, char **argv, const char *name, const char *def)
{
    for (int i = 0; i + 1 < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return argv[i + 1];
    return def;
}

static sqlite3 *open_db(const char *path)
{
    sqlite3 *db;
    if (sqlite3_open(path, &db) != SQLITE_OK) {
        fprintf(stderr, "sqlite_mixed: open %s: %s\n", path, sqlite3_errmsg(db));
        exit(1);
    }
    sqlite3_busy_timeout(db, 5000);
    return db;
}

static void exec_or_die(sqlite3 *db, const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
        fprintf(stderr, "sqlite_mixed: %s: %s\n", sql, err);
        exit(1);
    }
}

/* Runs in a child: returns (ops, busy) through the pipe. */
static void child(const char *path, bool writer, double deadline, int fd, int64_t first_id)
{
    sqlite3 *db = open_db(path);
    sqlite3_stmt *st;
    const char *sql = writer ? "INSERT INTO events VALUES (?, 'w')" : "SELECT count(*) FROM events";
    uint64_t res[2] = {0, 0}; /* ops, busy errors */
    int64_t id = first_id;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "sqlite_mixed: prepare: %s\n", sqlite3_errmsg(db));
        _exit(1);
    }
    while (now_s() < deadline) {
        int rc;
        if (writer)
            sqlite3_bind_int64(st, 1, id);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        }
        sqlite3_reset(st);
        if (rc == SQLITE_DONE) {
            res[0]++;
            id++;
        } else if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
            res[1]++;
        } else {
            fprintf(stderr, "sqlite_mixed: step: %s\n", sqlite3_errmsg(db));
            _exit(1);
        }
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    if (writer)
        res[0] |= 1ULL << 63; /* tells the parent which record is the writer's */
    if (write(fd, res, sizeof res) != (ssize_t)sizeof res)
        _exit(1);
    _exit(0);
}

int main(int argc, char **argv)
{
    const char *path = opt(argc, argv, "--db", NULL);
    int readers = atoi(opt(argc, argv, "--readers", "4"));
    double secs = atof(opt(argc, argv, "--seconds", "5"));
    long prefill = atol(opt(argc, argv, "--prefill", "100000"));
    char sql[256];
    int p[2];
    if (!path) {
        fprintf(stderr, "usage: sqlite_mixed --db PATH [--readers R] [--seconds S] [--prefill N]\n");
        return 2;
    }
    sqlite3 *db = open_db(path);
    sqlite3_stmt *st;
    int sync = -1;
    exec_or_die(db, "PRAGMA journal_mode=WAL");
    exec_or_die(db, "DROP TABLE IF EXISTS events");
    exec_or_die(db, "CREATE TABLE events (id INTEGER, src TEXT)");
    snprintf(sql, sizeof sql,
             "WITH RECURSIVE r(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM r WHERE i + 1 < %ld) "
             "INSERT INTO events SELECT i, 'p' FROM r",
             prefill);
    if (prefill > 0)
        exec_or_die(db, sql);
    if (sqlite3_prepare_v2(db, "PRAGMA synchronous", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        sync = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);

    if (pipe(p) != 0) {
        perror("pipe");
        return 1;
    }
    double t0 = now_s(), deadline = t0 + secs;
    for (int i = 0; i <= readers; i++) {
        pid_t pid = fork();
        if (pid < 0) {
            perror("fork");
            return 1;
        }
        if (pid == 0) {
            close(p[0]);
            child(path, i == 0, deadline, p[1], prefill);
        }
    }
    close(p[1]);
    uint64_t writes = 0, reads = 0, busy = 0;
    for (int i = 0; i <= readers; i++) {
        int status;
        if (wait(&status) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            fprintf(stderr, "sqlite_mixed: a child failed\n");
            return 1;
        }
    }
    double el = now_s() - t0;
    for (int i = 0; i <= readers; i++) {
        uint64_t r2[2];
        if (read(p[0], r2, sizeof r2) != (ssize_t)sizeof r2) {
            fprintf(stderr, "sqlite_mixed: short read from a child\n");
            return 1;
        }
        if (r2[0] >> 63)
            writes += r2[0] & ~(1ULL << 63);
        else
            reads += r2[0];
        busy += r2[1];
    }
    struct rusage self, kids;
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &kids);
    double cpu = (double)(self.ru_utime.tv_sec + self.ru_stime.tv_sec + kids.ru_utime.tv_sec +
                          kids.ru_stime.tv_sec) +
                 (double)(self.ru_utime.tv_usec + self.ru_stime.tv_usec + kids.ru_utime.tv_usec +
                          kids.ru_stime.tv_usec) / 1e6;
    printf("writes=%llu reads=%llu seconds=%.4f writes_per_s=%.1f reads_per_s=%.1f busy=%llu "
           "synchronous=%d readers=%d cpu_s=%.3f\n",
           (unsigned long long)writes, (unsigned long long)reads, el, writes / el, reads / el,
           (unsigned long long)busy, sync, readers, cpu);
    return 0;
}
