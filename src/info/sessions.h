/* sessions: the live sessions as SQL, for every front-end's clients:
 *   SELECT * FROM duckd_sessions()  -- id, user, protocol, client, connected, state, query,
 *                                      query_start, query_end, rows, progress,
 *                                      application_name
 *   SELECT * FROM duckd_cancel(id)  -- cancels that session's running statement
 *   SELECT pg_cancel_backend(id), pg_terminate_backend(id)  -- PostgreSQL's, the same rules
 *   (pg_stat_activity is the compatibility layer's view over duckd_sessions())
 * A user sees every session, but the client address and query of other users' sessions only
 * as an admin; cancelling another user's session needs admin (42501 otherwise). */
#ifndef DUCKD_INFO_SESSIONS_H
#define DUCKD_INFO_SESSIONS_H

#include "engine/engine.h"
#include "engine/tablefn.h"
#include "util/err.h"

/* Registers duckd_sessions(), duckd_cancel(), pg_cancel_backend() and pg_terminate_backend() on db
 * (before eng_db_lockdown). Returns 0, or -1 with *err set. */
int info_sessions_setup(eng_db_t *db, uerr_t *err) __attribute__((warn_unused_result));

#endif
