/* The --init script (see initrun.h). The statements run on the calling (main) thread; a
 * monitor thread wakes periodically and, while a statement has been running longer than the
 * progress interval, logs DuckDB's progress estimate for it (sess_progress, which is
 * thread-safe). The monitor only reads what the mutex guards and the session pointer, which
 * outlives it. */
#include "session/initrun.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "session/sqlscan.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/xalloc.h"

#define INIT_HEAD_CHARS 80

void sess_init_head(const char *sql, size_t len, size_t max, char *out, size_t n)
{
    size_t o = 0, chars = 0;
    bool space = false;
    if (n == 0)
        return;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)sql[i];
        bool lead = (c & 0xC0) != 0x80; /* counts characters, not UTF-8 continuation bytes */
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            space = o > 0;
            continue;
        }
        if (lead && (chars + space >= max || o + space + 4 + 4 >= n)) {
            memcpy(out + o, "...", 3);
            o += 3;
            break;
        }
        if (space && lead) {
            out[o++] = ' ';
            chars++;
        }
        space = false;
        out[o++] = (char)c;
        chars += lead;
    }
    out[o] = '\0';
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* What the monitor thread watches; guarded by mu. */
typedef struct init_mon {
    pthread_mutex_t mu;
    pthread_cond_t cv; /* CLOCK_MONOTONIC */
    bool stop;
    sess_t *s; /* borrowed: outlives the thread */
    const char *file;
    int progress_ms;
    long idx, count;    /* the running statement (1-based) of count */
    int64_t started_ms; /* when it started; 0 = none runs */
    int64_t next_ms;    /* when its next progress line is due */
    char head[INIT_HEAD_CHARS * 4 + 8];
} init_mon_t;

static void *init_monitor(void *arg)
{
    init_mon_t *m = arg;
    int tick = m->progress_ms < 1000 ? m->progress_ms : 1000;
    pthread_mutex_lock(&m->mu);
    while (!m->stop) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_sec += tick / 1000;
        ts.tv_nsec += (long)(tick % 1000) * 1000000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        (void)pthread_cond_timedwait(&m->cv, &m->mu, &ts);
        int64_t now = mono_ms();
        if (m->stop || !m->started_ms || now < m->next_ms)
            continue;
        m->next_ms = now + m->progress_ms;
        eng_progress_t p;
        if (sess_progress(m->s, &p) && (p.percent > 0 || p.rows_done > 0))
            ulog(ULOG_INFO,
                 "--init %s: statement %ld/%ld running for %.1f s: %.1f%% (%llu of about %llu "
                 "rows): %s",
                 m->file, m->idx, m->count, (double)(now - m->started_ms) / 1000.0, p.percent,
                 (unsigned long long)p.rows_done, (unsigned long long)p.rows_total, m->head);
        else
            ulog(ULOG_INFO, "--init %s: statement %ld/%ld running for %.1f s: %s", m->file, m->idx,
                 m->count, (double)(now - m->started_ms) / 1000.0, m->head);
    }
    pthread_mutex_unlock(&m->mu);
    return NULL;
}

/* The sink of the script's statements: rows are discarded, the last row count is kept. */
typedef struct init_sink {
    long long rows; /* rows returned or changed by the last statement; -1 none */
} init_sink_t;

static int discard_rows(void *ctx, const sess_value_t *v, size_t n) { return 0; }
static int discard_desc(void *ctx, const sess_col_t *c, size_t n, const int16_t *f) { return 0; }
/* Keeps the row count of a statement whose PostgreSQL tag carries one ("SELECT 3",
 * "INSERT 0 5", "COPY 7"; CREATE TABLE AS answers "SELECT n"), as psql would show it. */
static int keep_rows(void *ctx, const sess_result_t *r)
{
    const char *sp = r && r->tag ? strrchr(r->tag, ' ') : NULL;
    bool counted = sp && sp[1] >= '0' && sp[1] <= '9';
    ((init_sink_t *)ctx)->rows = counted ? (long long)r->rows : -1;
    return 0;
}

/* Turns on DuckDB's progress measurement for the session (without its terminal bar),
 * starting early enough for the first progress line (DuckDB's default waits 2 s). */
static void init_enable_progress(sess_t *s, const sess_sink_t *sink, int progress_ms)
{
    char bar_time[64];
    snprintf(bar_time, sizeof bar_time, "SET progress_bar_time = %d",
             progress_ms / 2 < 2000 ? progress_ms / 2 : 2000);
    const char *const sets[] = {"SET enable_progress_bar = true",
                                "SET enable_progress_bar_print = false", bar_time};
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) {
        uerr_t err = UERR_INIT;
        if (sess_simple_query(s, sets[i], strlen(sets[i]), sink, &err) != 0)
            ulog(ULOG_DEBUG, "--init: %s failed: %s", sets[i], err.message);
        uerr_clear(&err);
    }
}

static int read_file(const char *file, ubuf_t *sql)
{
    FILE *f = fopen(file, "rb");
    char chunk[65536];
    size_t n;
    if (!f) {
        fprintf(stderr, "duckd: cannot open --init file %s: %s\n", file, strerror(errno));
        return -1;
    }
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        ubuf_append(sql, chunk, n);
    fclose(f);
    return 0;
}

int sess_run_init(const sess_env_t *env, const char *file, int progress_ms)
{
    ubuf_t sql = UBUF_INIT;
    sess_t *s = NULL;
    uerr_t err = UERR_INIT;
    sql_range_t *r = NULL;
    init_mon_t m = {.file = file, .progress_ms = progress_ms};
    pthread_t mon;
    bool mon_started = false;
    int rc = -1;
    init_sink_t k = {-1};
    sess_sink_t sink = {
        .ctx = &k, .row_description = discard_desc, .row = discard_rows, .complete = keep_rows};

    if (read_file(file, &sql) != 0)
        return -1;
    const char *text = sql.data ? sql.data : "";
    long count = sqlscan_split(text, sql.len, NULL, 0);
    if (count < 0) {
        fprintf(stderr, "duckd: --init %s: unterminated quote or comment\n", file);
        goto out;
    }
    r = xcalloc((size_t)count + 1, sizeof *r);
    (void)sqlscan_split(text, sql.len, r, (size_t)count);
    if (sess_create(env, "duckd", "duckd", "duckd-init", &s, &err) != 0)
        goto fail;
    sess_set_role(s, GUARD_ROLE_ADMIN, true); /* the operator's own script */
    ulog(ULOG_INFO, "--init %s: %ld statements", file, count);
    if (progress_ms > 0) {
        pthread_condattr_t ca;
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&m.cv, &ca);
        pthread_condattr_destroy(&ca);
        pthread_mutex_init(&m.mu, NULL);
        m.s = s;
        m.count = count;
        init_enable_progress(s, &sink, progress_ms);
        mon_started = pthread_create(&mon, NULL, init_monitor, &m) == 0;
        if (!mon_started) {
            pthread_cond_destroy(&m.cv);
            pthread_mutex_destroy(&m.mu);
        }
    }
    int64_t t_all = mono_ms();
    for (long i = 0; i < count; i++) {
        char head[sizeof m.head];
        const char *stmt = text + r[i].start;
        sess_init_head(stmt, r[i].len, INIT_HEAD_CHARS, head, sizeof head);
        int64_t t0 = mono_ms();
        if (mon_started) {
            pthread_mutex_lock(&m.mu);
            m.idx = i + 1;
            m.started_ms = t0;
            m.next_ms = t0 + progress_ms;
            memcpy(m.head, head, sizeof head);
            pthread_mutex_unlock(&m.mu);
        }
        k.rows = -1;
        int qrc = sess_simple_query(s, stmt, r[i].len, &sink, &err);
        if (mon_started) {
            pthread_mutex_lock(&m.mu);
            m.started_ms = 0;
            pthread_mutex_unlock(&m.mu);
        }
        if (qrc != 0) {
            fprintf(stderr, "duckd: --init %s: statement %ld failed: %.*s\n", file, i + 1,
                    (int)r[i].len, stmt);
            goto fail;
        }
        double secs = (double)(mono_ms() - t0) / 1000.0;
        long long rows = k.rows;
        if (rows >= 0)
            ulog(ULOG_INFO, "--init %s: statement %ld/%ld done in %.3f s, %lld rows: %s", file,
                 i + 1, count, secs, rows, head);
        else
            ulog(ULOG_INFO, "--init %s: statement %ld/%ld done in %.3f s: %s", file, i + 1, count,
                 secs, head);
    }
    ulog(ULOG_INFO, "--init %s: %ld statements done in %.3f s", file, count,
         (double)(mono_ms() - t_all) / 1000.0);
    rc = 0;
    goto out;
fail:
    fprintf(stderr, "duckd: ERROR [SQLSTATE %s]: %s\n", err.sqlstate, err.message);
out:
    if (mon_started) {
        pthread_mutex_lock(&m.mu);
        m.stop = true;
        pthread_cond_signal(&m.cv);
        pthread_mutex_unlock(&m.mu);
        pthread_join(mon, NULL);
        pthread_cond_destroy(&m.cv);
        pthread_mutex_destroy(&m.mu);
    }
    sess_destroy(s);
    uerr_clear(&err);
    free(r);
    ubuf_free(&sql);
    return rc;
}
