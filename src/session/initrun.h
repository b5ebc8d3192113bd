/* initrun: the operator's --init script, run once before clients are accepted, as a trusted
 * admin session, with a log line per statement (its beginning, rows, time) and, for a
 * statement running longer than the progress interval, a progress line per interval from
 * DuckDB's estimate, so a long hydration is not a silent wait. */
#ifndef DUCKD_SESSION_INITRUN_H
#define DUCKD_SESSION_INITRUN_H

#include "session/session.h"

/* Runs every statement of `file` in order. progress_ms: interval of progress lines for long
 * statements (0 = none). Returns 0, or -1 after printing the failing statement and its error
 * to stderr. */
int sess_run_init(const sess_env_t *env, const char *file, int progress_ms)
    __attribute__((warn_unused_result));

/* Writes the statement's beginning for a log line into out (n bytes): white space runs
 * collapsed into one space, at most max characters (then "..."). Exposed for tests. */
void sess_init_head(const char *sql, size_t len, size_t max, char *out, size_t n);

#endif
