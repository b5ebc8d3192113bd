/* metrics: the server's counters, for a Prometheus scrape (GET /metrics on the HTTP API).
 *
 * Counters are updated where things happen, lock-free (relaxed atomics), by any thread:
 * statements by protocol and outcome with a duration histogram, rows and bytes sent, errors by
 * SQLSTATE. Gauges are read at scrape time from their owners: connections by protocol and
 * state (the session registry), group commit (its stats), admission control's queue, and the
 * memory DuckDB holds. metrics_render writes them all in Prometheus' text format 0.0.4. */
#ifndef DUCKD_INFO_METRICS_H
#define DUCKD_INFO_METRICS_H

#include <stdint.h>

#include "engine/engine.h"
#include "session/admit.h"
#include "util/buf.h"

struct gc;
struct sess_pool;

/* The protocols counters are kept for. */
typedef enum { MET_PGWIRE = 0, MET_HTTP, MET_INTERNAL, MET_NPROTO } met_proto_t;
/* The protocol named by a registry entry's proto string ("pgwire", "http", ...). */
met_proto_t metrics_proto(const char *name);

/* Where scrape-time gauges come from (borrowed; set once at start, NULL parts are skipped). */
void metrics_setup(eng_db_t *db, struct gc *gc);

/* Admission control's counters for the scrape (borrowed; NULL: none shown). */
void metrics_set_admit(admit_t *a);

/* The HTTP API's session pool, for the scrape (borrowed; NULL: none shown). Thread-safe. */
void metrics_set_pool(struct sess_pool *p);

/* A statement ended after `seconds`: sqlstate NULL or "" when it succeeded ("57014" counts as
 * cancelled); rows it returned. Thread-safe. */
void metrics_statement(met_proto_t p, double seconds, const char *sqlstate, int64_t rows);
/* A front-end wrote n bytes to a client. Thread-safe. */
void metrics_bytes_sent(met_proto_t p, uint64_t n);

/* Appends the whole exposition to out. Thread-safe; runs a small query on DuckDB. */
void metrics_render(ubuf_t *out);

#endif
