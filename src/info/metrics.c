/* Prometheus metrics; see metrics.h. */
#include "info/metrics.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "session/gcommit.h"
#include "session/pool.h"
#include "session/registry.h"
#include "util/err.h"
#include "util/mem.h"

static const char *const met_proto_names[MET_NPROTO] = {"pgwire", "http", "internal"};

/* Upper bounds of the duration histogram's buckets, seconds (+Inf is implied). */
static const double met_buckets[] = {0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 60, 300};
#define MET_NBUCKETS (sizeof met_buckets / sizeof met_buckets[0])

enum { MET_OK = 0, MET_ERROR, MET_CANCELLED, MET_NOUTCOME };
static const char *const met_outcomes[MET_NOUTCOME] = {"ok", "error", "cancelled"};

typedef struct {
    uint64_t statements[MET_NOUTCOME];
    uint64_t buckets[MET_NBUCKETS]; /* non-cumulative here; summed when rendered */
    uint64_t duration_us;
    uint64_t rows;
    uint64_t bytes;
} met_counters_t;

static met_counters_t met_c[MET_NPROTO];

/* Errors by SQLSTATE: a small open-addressed table (errors are few; distinct codes fewer). */
#define MET_NSTATES 128
static struct {
    char code[6];
    uint64_t n;
} met_states[MET_NSTATES];
static uint64_t met_states_other; /* codes that found the table full */
static pthread_mutex_t met_states_mu = PTHREAD_MUTEX_INITIALIZER;

static eng_db_t *met_db;
static struct gc *met_gc;
static admit_t *met_admit;

void metrics_set_admit(admit_t *a) { met_admit = a; }

static sess_pool_t *met_pool; /* atomic: the HTTP server sets and clears it */

void metrics_set_pool(sess_pool_t *p) { __atomic_store_n(&met_pool, p, __ATOMIC_RELEASE); }

void metrics_setup(eng_db_t *db, struct gc *gc)
{
    met_db = db;
    met_gc = gc;
}

met_proto_t metrics_proto(const char *name)
{
    for (int i = 0; i < MET_NPROTO; i++)
        if (name && strcmp(name, met_proto_names[i]) == 0)
            return (met_proto_t)i;
    return MET_INTERNAL;
}

static void met_add(uint64_t *c, uint64_t n) { __atomic_fetch_add(c, n, __ATOMIC_RELAXED); }
static uint64_t met_get(const uint64_t *c) { return __atomic_load_n(c, __ATOMIC_RELAXED); }

static void met_count_state(const char *code)
{
    unsigned h = 0;
    for (int i = 0; i < 5 && code[i]; i++)
        h = h * 31 + (unsigned char)code[i];
    pthread_mutex_lock(&met_states_mu);
    for (unsigned i = 0; i < MET_NSTATES; i++) {
        unsigned k = (h + i) % MET_NSTATES;
        if (!met_states[k].code[0])
            memcpy(met_states[k].code, code, 5);
        if (memcmp(met_states[k].code, code, 5) == 0) {
            met_states[k].n++;
            pthread_mutex_unlock(&met_states_mu);
            return;
        }
    }
    met_states_other++;
    pthread_mutex_unlock(&met_states_mu);
}

void metrics_statement(met_proto_t p, double seconds, const char *sqlstate, int64_t rows)
{
    met_counters_t *c = &met_c[p < MET_NPROTO ? p : MET_INTERNAL];
    bool failed = sqlstate && sqlstate[0];
    int outcome = !failed ? MET_OK : strcmp(sqlstate, "57014") == 0 ? MET_CANCELLED : MET_ERROR;
    size_t b = 0;
    while (b < MET_NBUCKETS && seconds > met_buckets[b])
        b++;
    met_add(&c->statements[outcome], 1);
    if (b < MET_NBUCKETS)
        met_add(&c->buckets[b], 1);
    met_add(&c->duration_us, seconds > 0 ? (uint64_t)(seconds * 1e6) : 0);
    if (rows > 0)
        met_add(&c->rows, (uint64_t)rows);
    if (failed && strlen(sqlstate) == 5)
        met_count_state(sqlstate);
}

void metrics_bytes_sent(met_proto_t p, uint64_t n)
{
    met_add(&met_c[p < MET_NPROTO ? p : MET_INTERNAL].bytes, n);
}

static void met_head(ubuf_t *o, const char *name, const char *type, const char *help)
{
    ubuf_printf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void render_statements(ubuf_t *o)
{
    met_head(o, "duckd_statements_total", "counter", "Statements run, by protocol and outcome.");
    for (int p = 0; p < MET_NPROTO; p++)
        for (int k = 0; k < MET_NOUTCOME; k++)
            ubuf_printf(o, "duckd_statements_total{protocol=\"%s\",outcome=\"%s\"} %llu\n",
                        met_proto_names[p], met_outcomes[k],
                        (unsigned long long)met_get(&met_c[p].statements[k]));
    met_head(o, "duckd_statement_duration_seconds", "histogram",
             "Time from a statement's start to its last row, by protocol.");
    for (int p = 0; p < MET_NPROTO; p++) {
        uint64_t cum = 0, total = 0;
        for (int k = 0; k < MET_NOUTCOME; k++)
            total += met_get(&met_c[p].statements[k]);
        for (size_t b = 0; b < MET_NBUCKETS; b++) {
            cum += met_get(&met_c[p].buckets[b]);
            ubuf_printf(o,
                        "duckd_statement_duration_seconds_bucket{protocol=\"%s\",le=\"%g\"} %llu\n",
                        met_proto_names[p], met_buckets[b], (unsigned long long)cum);
        }
        ubuf_printf(o,
                    "duckd_statement_duration_seconds_bucket{protocol=\"%s\",le=\"+Inf\"} %llu\n",
                    met_proto_names[p], (unsigned long long)total);
        ubuf_printf(o, "duckd_statement_duration_seconds_sum{protocol=\"%s\"} %.6f\n",
                    met_proto_names[p], (double)met_get(&met_c[p].duration_us) / 1e6);
        ubuf_printf(o, "duckd_statement_duration_seconds_count{protocol=\"%s\"} %llu\n",
                    met_proto_names[p], (unsigned long long)total);
    }
    met_head(o, "duckd_rows_sent_total", "counter", "Result rows sent to clients, by protocol.");
    for (int p = 0; p < MET_NPROTO; p++)
        ubuf_printf(o, "duckd_rows_sent_total{protocol=\"%s\"} %llu\n", met_proto_names[p],
                    (unsigned long long)met_get(&met_c[p].rows));
    met_head(o, "duckd_bytes_sent_total", "counter", "Bytes written to clients, by protocol.");
    for (int p = 0; p < MET_NPROTO; p++)
        ubuf_printf(o, "duckd_bytes_sent_total{protocol=\"%s\"} %llu\n", met_proto_names[p],
                    (unsigned long long)met_get(&met_c[p].bytes));
    met_head(o, "duckd_errors_total", "counter", "Statements that failed, by SQLSTATE.");
    pthread_mutex_lock(&met_states_mu);
    for (unsigned i = 0; i < MET_NSTATES; i++)
        if (met_states[i].code[0])
            ubuf_printf(o, "duckd_errors_total{sqlstate=\"%.5s\"} %llu\n", met_states[i].code,
                        (unsigned long long)met_states[i].n);
    if (met_states_other)
        ubuf_printf(o, "duckd_errors_total{sqlstate=\"other\"} %llu\n",
                    (unsigned long long)met_states_other);
    pthread_mutex_unlock(&met_states_mu);
}

static const char *const met_states_shown[] = {"active",
                                               "queued",
                                               "waiting for commit",
                                               "waiting for lock",
                                               "idle",
                                               "idle in transaction",
                                               "idle in transaction (aborted)"};
#define MET_NSHOWN (sizeof met_states_shown / sizeof met_states_shown[0])

static void render_connections(ubuf_t *o)
{
    sreg_info_t *v = NULL;
    size_t n = sreg_list(&v);
    unsigned counts[MET_NPROTO][MET_NSHOWN] = {{0}};
    for (size_t i = 0; i < n; i++) {
        met_proto_t p = metrics_proto(v[i].proto);
        for (size_t k = 0; k < MET_NSHOWN; k++)
            if (strcmp(v[i].act.state, met_states_shown[k]) == 0)
                counts[p][k]++;
    }
    free(v);
    met_head(o, "duckd_connections", "gauge", "Client sessions, by protocol and state.");
    for (int p = 0; p < MET_NPROTO; p++)
        for (size_t k = 0; k < MET_NSHOWN; k++)
            ubuf_printf(o, "duckd_connections{protocol=\"%s\",state=\"%s\"} %u\n",
                        met_proto_names[p], met_states_shown[k], counts[p][k]);
}

/* One unlabelled sample with its HELP and TYPE lines. */
typedef struct {
    const char *name, *type, *help;
    double v;
} met_scalar_t;

static void render_scalars(ubuf_t *o, const met_scalar_t *g, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        met_head(o, g[i].name, g[i].type, g[i].help);
        ubuf_printf(o, "%s %.15g\n", g[i].name, g[i].v); /* counters stay exact to 10^15 */
    }
}

static void render_gc(ubuf_t *o)
{
    gc_stats_t st;
    if (!met_gc)
        return;
    gc_stats_get(met_gc, &st);
    met_scalar_t g[] = {
        {"duckd_group_commit_batches_total", "counter", "Group-commit batches committed.",
         (double)st.batches},
        {"duckd_group_commit_statements_total", "counter",
         "Statements committed through group commit.", (double)st.requests},
        {"duckd_group_commit_rows_total", "counter", "Rows committed through group commit.",
         (double)st.rows},
        {"duckd_group_commit_largest_batch_rows", "gauge", "Rows of the largest batch so far.",
         (double)st.max_rows},
        {"duckd_group_commit_commit_seconds_total", "counter",
         "Time spent writing and committing batches.", (double)st.commit_us / 1e6},
        {"duckd_group_commit_queue_wait_seconds_total", "counter",
         "Time statements waited for their batch to start.", (double)st.wait_us / 1e6},
        {"duckd_group_commit_conflicts_total", "counter",
         "Batch attempts that failed with a write-write conflict.", (double)st.conflicts},
        {"duckd_group_commit_retries_total", "counter", "Batch attempts retried after a conflict.",
         (double)st.retries},
        {"duckd_group_commit_splits_total", "counter", "Failed batches split in halves.",
         (double)st.splits},
        {"duckd_group_commit_fallbacks_total", "counter",
         "Statements handed back to run on their own session.", (double)st.fallbacks},
        {"duckd_group_commit_withdrawn_total", "counter",
         "Statements withdrawn while queued (cancel, timeout, hang-up).", (double)st.cancels},
    };
    render_scalars(o, g, sizeof g / sizeof g[0]);
}

static void render_admit(ubuf_t *o)
{
    admit_stats_t st;
    if (!met_admit)
        return;
    admit_stats_get(met_admit, &st);
    met_scalar_t g[] = {
        {"duckd_queue_slots", "gauge", "max_concurrent_queries in force (0: no cap).",
         (double)st.max},
        {"duckd_queue_running", "gauge", "Statements holding an execution slot.",
         (double)st.running},
        {"duckd_queue_waiting", "gauge", "Statements waiting for an execution slot.",
         (double)st.queued},
        {"duckd_queue_admitted_total", "counter", "Statements given an execution slot.",
         (double)st.admitted},
        {"duckd_queue_admitted_after_wait_total", "counter",
         "Statements given a slot after waiting for one.", (double)st.admitted_queued},
        {"duckd_queue_wait_seconds_total", "counter", "Time statements waited for a slot.",
         (double)st.wait_us / 1e6},
        {"duckd_queue_longest_wait_seconds", "gauge", "The longest wait for a slot so far.",
         (double)st.max_wait_us / 1e6},
        {"duckd_queue_timeouts_total", "counter",
         "Waits that ended at queue_timeout (SQLSTATE 53000).", (double)st.timeouts},
        {"duckd_queue_withdrawn_total", "counter",
         "Waits ended by a cancel, statement_timeout, hang-up or shutdown.", (double)st.cancelled},
        {"duckd_queue_light_total", "counter",
         "Statements run without a slot because their kind ran light last time.", (double)st.light},
        {"duckd_queue_out_of_memory_reruns_total", "counter",
         "Queries rerun alone after running out of memory.", (double)st.exclusive},
    };
    render_scalars(o, g, sizeof g / sizeof g[0]);
}

static void render_pool(ubuf_t *o)
{
    sess_pool_stats_t st;
    sess_pool_t *p = __atomic_load_n(&met_pool, __ATOMIC_ACQUIRE);
    if (!p)
        return;
    sess_pool_stats(p, &st);
    met_scalar_t g[] = {
        {"duckd_http_pool_idle", "gauge", "Idle DuckDB connections kept for HTTP requests.",
         (double)st.idle},
        {"duckd_http_pool_reused_total", "counter",
         "HTTP requests that ran on a pooled DuckDB connection.", (double)st.reused},
        {"duckd_http_pool_opened_total", "counter",
         "HTTP requests that opened a new DuckDB connection.", (double)st.opened},
        {"duckd_http_pool_returned_total", "counter",
         "DuckDB connections given back to the pool clean after a request.", (double)st.returned},
        {"duckd_http_pool_dropped_total", "counter",
         "DuckDB connections closed after a request (not provably clean, or the pool was full).",
         (double)st.dropped},
    };
    render_scalars(o, g, sizeof g / sizeof g[0]);
}

static void render_memory(ubuf_t *o)
{
    int64_t used = 0, temp = 0;
    uerr_t err = UERR_INIT;
    if (!met_db || eng_db_memory(met_db, &used, &temp, &err) != 0) {
        uerr_clear(&err);
        return;
    }
    met_head(o, "duckd_duckdb_memory_bytes", "gauge", "Memory DuckDB's buffer manager holds.");
    ubuf_printf(o, "duckd_duckdb_memory_bytes %lld\n", (long long)used);
    met_head(o, "duckd_duckdb_temp_bytes", "gauge", "Size of DuckDB's temporary (spill) files.");
    ubuf_printf(o, "duckd_duckdb_temp_bytes %lld\n", (long long)temp);
}

/* duckd's own buffers (util/mem.h): what each kind holds, and the budget. */
static void render_buffers(ubuf_t *o)
{
    met_head(o, "duckd_memory_bytes", "gauge",
             "Memory duckd's own buffers hold, by kind (counted in buffer_memory).");
    for (int k = 0; k < UMEM_NKINDS; k++)
        ubuf_printf(o, "duckd_memory_bytes{kind=\"%s\"} %lld\n", umem_kind_name((umem_kind_t)k),
                    (long long)umem_used_kind((umem_kind_t)k));
    met_head(o, "duckd_memory_budget_bytes", "gauge",
             "buffer_memory: the budget of duckd's own buffers, out of memory_limit (0: none).");
    ubuf_printf(o, "duckd_memory_budget_bytes %lld\n", (long long)umem_budget());
}

void metrics_render(ubuf_t *out)
{
    render_buffers(out);
    render_connections(out);
    render_statements(out);
    render_gc(out);
    render_admit(out);
    render_pool(out);
    render_memory(out);
}
