/* COPY ... FROM STDIN inside the session layer (internal to src/session/): copy_in.c runs the
 * sub-protocol and the load; session.c calls copy_in_run from portal_run and lends copy_in.c
 * the few session services it needs (declared here, defined in session.c). */
#ifndef DUCKD_SESSION_COPY_IN_H
#define DUCKD_SESSION_COPY_IN_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/engine.h"
#include "session/copy.h"
#include "session/session.h"
#include "util/buf.h"
#include "util/err.h"

/* Receives the client's rows of the COPY statement (options *o; es is its prepared DuckDB
 * statement, which describes the table's columns) through the sink and appends them to the
 * table; an autocommit COPY runs in its own transaction so that it lands whole or not at all.
 * A cancel or statement_timeout stops it with 57014. On success stores the row count in *rows
 * and appends "COPY n" to tag. Returns 0, or -1 with *err set (with err unset when the client
 * is gone). Everything is borrowed for the call. */
int copy_in_run(sess_t *s, const copy_opts_t *o, const eng_stmt_t *es, const sess_sink_t *sink,
                int64_t *rows, ubuf_t *tag, uerr_t *err) __attribute__((warn_unused_result));

/* ---- session.c's services for copy_in.c ---- */

/* The session's DuckDB connection (borrowed for the session's lifetime). */
eng_conn_t *sess__conn(sess_t *s);
/* The largest COPY row accepted, bytes (max_message_size). */
size_t sess__max_copy_row(const sess_t *s);
/* Buffers a streaming portal so the connection is free for the COPY. */
int sess__yield_stream(sess_t *s, uerr_t *err) __attribute__((warn_unused_result));
/* True when no transaction is open on the session's connection: neither a block nor the
 * implicit transaction of a multi-statement query or pipeline (the COPY then opens its own). */
bool sess__autocommit(const sess_t *s);
/* Runs a fixed statement (BEGIN, COMMIT, ROLLBACK) on the session's connection. */
int sess__run_plain(sess_t *s, const char *sql, uerr_t *err) __attribute__((warn_unused_result));
/* Why the running statement was interrupted (cancel, timeout, hang-up), SESS_INTR_NONE if it
 * was not. Thread-safe; cheap enough to call per CopyData message. */
sess_interrupt_t sess__interrupted(sess_t *s);

#endif
