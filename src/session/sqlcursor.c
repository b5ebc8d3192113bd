/* PostgreSQL's SQL-level cursors in the session: DECLARE, FETCH, MOVE and CLOSE (parsed by
 * cursor_sql.c), with PostgreSQL's position rules (pquery.c's DoPortalFetch and
 * PortalRunSelect: a position, at-start and at-end flags, forward and backward runs).
 *
 * A cursor without SCROLL or WITH HOLD streams: it owns a streaming engine cursor on the
 * session's connection and FETCH pulls the next rows from it, so its memory is one DuckDB
 * chunk (2,048 rows) plus one row; it can only move forward (55000 otherwise). A SCROLL or
 * WITH HOLD cursor is spilled at DECLARE: its whole result moves into a temporary table of the
 * session's private spill connection (eng_cursor_spill), which DuckDB's buffer manager keeps
 * within memory_limit and spills to its temp directory; FETCH reads ranges of it by rowid, in
 * either direction, and the table outlives the transaction. A streaming cursor is spilled the
 * same way, from its position on, when another statement needs the connection while it is
 * mid-stream (DuckDB streams one result per connection); a COMMIT or ROLLBACK drops its stream
 * instead (sess__cursor_discard). A cursor without HOLD ends with its transaction; a WITH HOLD
 * cursor survives COMMIT and is dropped when the transaction that declared it rolls back.
 * Cursors share PostgreSQL's portal namespace and max_portals with the extended protocol's
 * named portals. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session/copy_in.h"
#include "session/cursor_sql.h"
#include "session/session_internal.h"
#include "util/log.h"
#include "util/xalloc.h"

/* Rows sent between checks for a cancel / statement_timeout (a spilled cursor's rows come from
 * the spill connection, which a cancel does not interrupt). */
#define SQLCUR_INTR_EVERY 1024

struct sess_cursor {
    char *name;
    sess_stmt_t *stmt; /* holds a reference: the DECLARE, whose DuckDB statement cur borrows */
    eng_cursor_t *cur; /* owned: the query's result (exhausted once spilled, its columns still
                        * describe the cursor); NULL when its stream was discarded */
    bool scroll;       /* backward movement allowed */
    bool binary;       /* DECLARE BINARY: rows in binary in the simple protocol */
    bool hold;         /* WITH HOLD */
    bool broken;       /* spilling failed: its rows are lost, FETCH fails */
    bool spilled;      /* the rows from `base` on are in temporary table `table` of the
                        * session's spill connection (row base + i has rowid i) */
    char table[40];
    int64_t base, nrows;          /* spilled: the first row it holds (0-based), and how many */
    const int16_t *fetch_formats; /* the running FETCH's formats (borrowed for the FETCH) */
    bool in_txn;                  /* declared in the open transaction: dropped if it rolls back */
    int64_t pos;                  /* PostgreSQL's portalPos: rows before the current position */
    bool at_start, at_end;
    int16_t *col_formats; /* owned: the cursor's own formats, one per column */
    struct sess_cursor *next;
};

/* Where a run's rows go: a sink (FETCH) or nowhere (MOVE, skipping). */
typedef struct {
    sess_t *s;
    const sess_sink_t *sink; /* NULL: rows are dropped */
    int64_t seen;
    bool interrupted; /* stopped by a cancel / statement_timeout */
} sqlcur_dest_t;

/* Runs a statement without rows on the spill connection. */
static int spill_run(sess_t *s, const char *sql, uerr_t *err)
{
    eng_stmt_t *es = NULL;
    eng_cursor_t *cur = NULL;
    int64_t n;
    bool done;
    int rc = -1;
    if (eng_prepare(s->spill, sql, &es, err) == 0 && eng_execute(es, &cur, err) == 0 &&
        eng_cursor_fetch(cur, 0, NULL, NULL, &n, &done, err) == 0)
        rc = 0;
    eng_cursor_free(cur);
    eng_stmt_free(es);
    return rc;
}

/* Moves the rest of c's streaming result into a temporary table of the session's spill
 * connection (opened on first use), which DuckDB's buffer manager holds and spills. */
static int cursor_spill(sess_t *s, sess_cursor_t *c, uerr_t *err)
{
    if (!s->spill && eng_conn_open(s->env->db, &s->spill, err) != 0)
        return -1;
    snprintf(c->table, sizeof c->table, "duckd_cursor_%u", ++s->spill_seq);
    c->base = c->pos;
    if (s->stream_cur == c)
        s->stream_cur = NULL;
    c->spilled = true; /* from here on the table is dropped with the cursor */
    if (eng_cursor_spill(c->cur, s->spill, c->table, &c->nrows, err) != 0) {
        c->broken = true; /* part of its rows may be neither in the table nor in the stream */
        return -1;
    }
    return 0;
}

static sess_cursor_t **cursor_find(sess_t *s, const char *name)
{
    sess_cursor_t **pp = &s->cursors;
    while (*pp && strcmp((*pp)->name, name) != 0)
        pp = &(*pp)->next;
    return pp;
}

static void cursor_free(sess_t *s, sess_cursor_t *c)
{
    if (s->stream_cur == c)
        s->stream_cur = NULL;
    if (c->spilled && s->spill) {
        char sql[96];
        uerr_t ignored = UERR_INIT;
        snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS temp.main.\"%s\"", c->table);
        if (spill_run(s, sql, &ignored) != 0)
            ulog(ULOG_DEBUG, "dropping a cursor's table failed: %s", ignored.message);
        uerr_clear(&ignored);
    }
    eng_cursor_free(c->cur);
    sess__stmt_unref(c->stmt);
    free(c->col_formats);
    free(c->name);
    free(c);
}

bool sess__cursor_exists(sess_t *s, const char *name) { return *cursor_find(s, name) != NULL; }

int sess__cursor_count(const sess_t *s)
{
    int n = 0;
    for (const sess_cursor_t *c = s->cursors; c; c = c->next)
        n++;
    return n;
}

bool sess__cursor_close(sess_t *s, const char *name)
{
    sess_cursor_t **pp = cursor_find(s, name);
    sess_cursor_t *c = *pp;
    if (!c)
        return false;
    *pp = c->next;
    cursor_free(s, c);
    return true;
}

void sess__cursors_free(sess_t *s)
{
    while (s->cursors) {
        sess_cursor_t *c = s->cursors;
        s->cursors = c->next;
        cursor_free(s, c);
    }
}

void sess__cursors_txn_end(sess_t *s, bool committed)
{
    sess_cursor_t **pp = &s->cursors;
    while (*pp) {
        sess_cursor_t *c = *pp;
        if (!c->hold || (c->in_txn && !committed)) {
            *pp = c->next;
            cursor_free(s, c);
            continue;
        }
        c->in_txn = false;
        pp = &c->next;
    }
}

int sess__cursor_yield(sess_t *s, uerr_t *err)
{
    sess_cursor_t *c = s->stream_cur;
    if (!c)
        return 0;
    s->stream_cur = NULL;
    if (c->at_end || !eng_cursor_is_streaming(c->cur))
        return 0; /* nothing left to read from the connection */
    return cursor_spill(s, c, err);
}

void sess__cursor_discard(sess_t *s)
{
    sess_cursor_t *c = s->stream_cur;
    if (!c)
        return;
    s->stream_cur = NULL;
    eng_cursor_free(c->cur); /* the transaction's end drops the cursor anyway */
    c->cur = NULL;
}

/* ---- DECLARE ---- */

static int cursor_declare(sess_t *s, sess_portal_t *p, bool simple, const sess_sink_t *sink,
                          uerr_t *err)
{
    sess_stmt_t *st = p->stmt;
    const csql_t *q = st->compat.cursor;
    sess_cursor_t *c = NULL;
    eng_cursor_t *cur = NULL;
    int max = s->env->max_portals;
    bool spill = q->scroll || q->hold;

    if (sess__cursor_exists(s, q->name) || sess__portal_exists(s, q->name)) {
        uerr_set(err, "42P03", "cursor \"%s\" already exists", q->name);
        return -1;
    }
    if (max > 0 && sess__cursor_count(s) + sess__named_portals(s) >= max) {
        uerr_set(err, "53400", "too many portals in this session (max_portals is %d)", max);
        uerr_set_hint(err, "Close cursors and portals that are no longer needed.");
        return -1;
    }
    /* PostgreSQL's RequireTransactionBlock: a block, or an implicit one (several statements
     * in one simple Query); a WITH HOLD cursor may outlive its implicit transaction. */
    if (!q->hold && s->txn != 'T' && !(simple && !s->alone)) {
        uerr_set(err, "25P01", "DECLARE CURSOR can only be used in transaction blocks");
        return -1;
    }
    if (!st->es || eng_stmt_kind(st->es) != ENG_KIND_SELECT || eng_stmt_ncols(st->es) == 0) {
        uerr_set(err, "42601", "DECLARE CURSOR needs a query that returns rows (SELECT, VALUES)");
        return -1;
    }
    if (sess__unit_enter(s, sink, err) != 0 || sess__yield_stream(s, err) != 0 ||
        eng_bind(st->es, p->params, p->nparams, err) != 0)
        return -1;
    if (eng_execute(st->es, &cur, err) != 0)
        return -1;
    eng_cursor_set_max_row(cur, s->env->max_row_size);
    c = xcalloc(1, sizeof *c);
    c->name = xstrdup(q->name);
    c->stmt = st;
    st->refs++;
    c->cur = cur;
    c->scroll = q->scroll;
    c->binary = q->binary;
    c->hold = q->hold;

    c->in_txn = s->txn != 'I' || s->itx;
    c->at_start = true;
    size_t ncols = eng_cursor_ncols(cur);
    c->col_formats = xcalloc(ncols ? ncols : 1, sizeof *c->col_formats);
    for (size_t i = 0; i < ncols; i++)
        c->col_formats[i] = c->binary ? 1 : 0;
    c->next = s->cursors;
    s->cursors = c;
    s->stream_cur = c;
    /* SCROLL and WITH HOLD: the whole result goes to DuckDB's temporary storage now */
    if (spill && cursor_spill(s, c, err) != 0) {
        s->cursors = c->next;
        cursor_free(s, c);
        return -1;
    }
    return 0;
}

/* ---- FETCH / MOVE: PostgreSQL's PortalRunSelect and DoPortalFetch ---- */

static int dest_row(void *ctx, const eng_value_t *vals, size_t n)
{
    sqlcur_dest_t *d = ctx;
    if (++d->seen % SQLCUR_INTR_EVERY == 0 && sess__interrupted(d->s) != SESS_INTR_NONE) {
        d->interrupted = true;
        return -1;
    }
    return d->sink ? d->sink->row(d->sink->ctx, vals, n) : 0;
}

static int cursor_backward_error(uerr_t *err)
{
    uerr_set(err, "55000", "cursor can only scan forward");
    uerr_set_hint(err, "Declare it with SCROLL option to enable backward scan.");
    return -1;
}

static int cursor_lost_error(const sess_cursor_t *c, uerr_t *err)
{
    uerr_set(err, "55000", "cursor \"%s\" can no longer be used", c->name);
    uerr_set_detail(err, c->broken ? "Its remaining rows could not be kept when another "
                                     "statement needed the connection."
                                   : "Its rows were discarded when a COMMIT or ROLLBACK was "
                                     "prepared.");
    return -1;
}

/* Emits n rows of a spilled cursor starting at row first (0-based), forward or backward. */
static int cursor_emit(sess_t *s, sess_cursor_t *c, int64_t first, int64_t n, bool forward,
                       sqlcur_dest_t *d, uerr_t *err)
{
    char sql[160];
    eng_stmt_t *es = NULL;
    eng_cursor_t *rd = NULL;
    int64_t got;
    bool done;
    int rc = -1;
    if (n <= 0)
        return 0;
    int64_t lo = (forward ? first : first - n + 1) - c->base, hi = lo + n - 1;
    snprintf(sql, sizeof sql,
             "SELECT * FROM temp.main.\"%s\" WHERE rowid BETWEEN %lld AND %lld ORDER BY rowid%s",
             c->table, (long long)lo, (long long)hi, forward ? "" : " DESC");
    if (eng_prepare(s->spill, sql, &es, err) != 0 || eng_execute(es, &rd, err) != 0)
        goto out;
    eng_cursor_set_formats(rd, c->fetch_formats, c->fetch_formats ? eng_cursor_ncols(rd) : 0);
    eng_cursor_set_max_row(rd, s->env->max_row_size);
    if (eng_cursor_fetch(rd, 0, dest_row, d, &got, &done, err) != 0) {
        if (d->interrupted)
            uerr_set(err, "57014", "canceling statement due to user request");
        goto out;
    }
    rc = 0;
out:
    eng_cursor_free(rd);
    eng_stmt_free(es);
    return rc;
}

/* PortalRunSelect: moves up to count rows (CSQL_ALL: all) forward or backward, sending them
 * to d; *n gets the rows processed. */
static int cursor_run(sess_t *s, sess_cursor_t *c, bool forward, int64_t count, sqlcur_dest_t *d,
                      int64_t *n, uerr_t *err)
{
    *n = 0;
    if (!c->cur || c->broken)
        return cursor_lost_error(c, err);
    d->seen = 0;
    if (forward) {
        if (c->at_end || count <= 0)
            return 0;
        if (c->spilled) {
            int64_t left = c->base + c->nrows - c->pos;
            int64_t k = count == CSQL_ALL || count > left ? left : count;
            if (cursor_emit(s, c, c->pos, k, true, d, err) != 0)
                return -1;
        } else {
            bool done;
            int64_t got = 0;
            if (eng_cursor_fetch(c->cur, count == CSQL_ALL ? 0 : count, dest_row, d, &got, &done,
                                 err) != 0) {
                if (d->interrupted)
                    uerr_set(err, "57014", "canceling statement due to user request");
                return -1;
            }
        }
        *n = d->seen;
        if (*n > 0)
            c->at_start = false;
        if (count == CSQL_ALL || *n < count)
            c->at_end = true;
        c->pos += *n;
        return 0;
    }
    if (!c->scroll)
        return cursor_backward_error(err);
    if (c->at_start || count <= 0)
        return 0;
    int64_t from = c->at_end ? c->pos : c->pos - 1; /* 1-based row to emit first */
    int64_t k = count == CSQL_ALL || count > from ? from : count;
    if (cursor_emit(s, c, from - 1, k, false, d, err) != 0)
        return -1;
    *n = d->seen;
    if (*n > 0 && c->at_end) {
        c->at_end = false;
        c->pos++;
    }
    if (count == CSQL_ALL || *n < count) {
        c->at_start = true;
        c->pos = 0;
    } else {
        c->pos -= *n;
    }
    return 0;
}

/* DoPortalRewind: back to the start (only a scrollable cursor that moved). */
static int cursor_rewind(sess_cursor_t *c, uerr_t *err)
{
    if (c->at_start && !c->at_end)
        return 0;
    if (!c->scroll)
        return cursor_backward_error(err);
    c->at_start = true;
    c->at_end = false;
    c->pos = 0;
    return 0;
}

/* DoPortalFetch: runs FETCH/MOVE `dir count`; rows go to d (d->sink NULL for MOVE). *result
 * is the command tag's count. */
static int cursor_fetch(sess_t *s, sess_cursor_t *c, csql_dir_t dir, int64_t count,
                        sqlcur_dest_t *d, int64_t *result, uerr_t *err)
{
    sqlcur_dest_t none = {s, NULL, 0, false};
    int64_t n;
    bool move = d->sink == NULL;
    *result = 0;
    if (dir == CSQL_FORWARD && count < 0)
        dir = CSQL_BACKWARD, count = -count;
    else if (dir == CSQL_BACKWARD && count < 0)
        dir = CSQL_FORWARD, count = -count;
    else if (dir == CSQL_ABSOLUTE && count > 0) {
        if (count - 1 <= c->pos / 2) {
            if (cursor_rewind(c, err) != 0 ||
                (count > 1 && cursor_run(s, c, true, count - 1, &none, &n, err) != 0))
                return -1;
        } else {
            int64_t p = c->pos + (c->at_end ? 1 : 0);
            if (count <= p && cursor_run(s, c, false, p - count + 1, &none, &n, err) != 0)
                return -1;
            if (count > p + 1 && cursor_run(s, c, true, count - p - 1, &none, &n, err) != 0)
                return -1;
        }
        return cursor_run(s, c, true, 1, d, result, err);
    } else if (dir == CSQL_ABSOLUTE && count < 0) {
        if (cursor_run(s, c, true, CSQL_ALL, &none, &n, err) != 0 ||
            (count < -1 && cursor_run(s, c, false, -count - 1, &none, &n, err) != 0))
            return -1;
        return cursor_run(s, c, false, 1, d, result, err);
    } else if (dir == CSQL_ABSOLUTE) {
        if (cursor_rewind(c, err) != 0)
            return -1;
        return cursor_run(s, c, true, 0, d, result, err);
    } else if (dir == CSQL_RELATIVE && count > 0) {
        if (count > 1 && cursor_run(s, c, true, count - 1, &none, &n, err) != 0)
            return -1;
        return cursor_run(s, c, true, 1, d, result, err);
    } else if (dir == CSQL_RELATIVE && count < 0) {
        if (count < -1 && cursor_run(s, c, false, -count - 1, &none, &n, err) != 0)
            return -1;
        return cursor_run(s, c, false, 1, d, result, err);
    } else if (dir == CSQL_RELATIVE) {
        dir = CSQL_FORWARD;
    }
    bool forward = dir == CSQL_FORWARD;
    if (count == 0) {
        bool on_row = !c->at_start && !c->at_end;
        if (move) {
            *result = on_row ? 1 : 0;
            return 0;
        }
        if (on_row) { /* back up one and fetch it again */
            if (cursor_run(s, c, false, 1, &none, &n, err) != 0)
                return -1;
            count = 1;
            forward = true;
        }
    }
    if (!forward && count == CSQL_ALL && move) {
        int64_t r = c->pos;
        if (r > 0 && !c->at_end)
            r--;
        if (cursor_rewind(c, err) != 0)
            return -1;
        *result = r;
        return 0;
    }
    return cursor_run(s, c, forward, count, d, result, err);
}

/* The formats of FETCH's rows: Bind's (extended protocol), else the cursor's own. Fills
 * *out (owned by the caller) with one per column. */
static int cursor_formats(const sess_cursor_t *c, const sess_portal_t *p, bool simple,
                          int16_t **out, uerr_t *err)
{
    size_t ncols = c->cur ? eng_cursor_ncols(c->cur) : 0;
    *out = NULL;
    if (!simple && p->nformats > 1 && p->nformats != ncols) {
        uerr_set(err, "08P01", "bind message has %zu result formats but query has %zu columns",
                 p->nformats, ncols);
        return -1;
    }
    *out = xcalloc(ncols ? ncols : 1, sizeof **out);
    for (size_t i = 0; i < ncols; i++)
        (*out)[i] = simple ? c->col_formats[i]
                           : (p->nformats == 0 ? 0 : p->formats[p->nformats == 1 ? 0 : i]);
    return 0;
}

static int cursor_fetch_stmt(sess_t *s, sess_portal_t *p, bool simple, const sess_sink_t *sink,
                             ubuf_t *tag, uerr_t *err)
{
    const csql_t *q = p->stmt->compat.cursor;
    sess_cursor_t *c = *cursor_find(s, q->name);
    sqlcur_dest_t d = {s, NULL, 0, false};
    int16_t *formats = NULL;
    int64_t result = 0;
    int rc = -1;
    if (!c) {
        uerr_set(err, "34000", "cursor \"%s\" does not exist", q->name);
        return -1;
    }
    if (!c->cur || c->broken)
        return cursor_lost_error(c, err);
    if (q->kind == CSQL_FETCH) {
        size_t ncols = eng_cursor_ncols(c->cur);
        if (cursor_formats(c, p, simple, &formats, err) != 0)
            goto out;
        eng_cursor_set_formats(c->cur, formats, ncols);
        c->fetch_formats = formats;
        if (simple &&
            sink->row_description(sink->ctx, eng_cursor_col(c->cur, 0), ncols, formats) != 0)
            goto out;
        d.sink = sink;
    }
    rc = cursor_fetch(s, c, q->dir, q->count, &d, &result, err);
    c->fetch_formats = NULL;
    if (rc != 0)
        goto out;
    rc = -1;
    p->rows = q->kind == CSQL_FETCH ? result : 0;
    ubuf_printf(tag, "%s %lld", q->kind == CSQL_FETCH ? "FETCH" : "MOVE", (long long)result);
    rc = 0;
out:
    free(formats);
    return rc;
}

int sess__cursor_run(sess_t *s, sess_portal_t *p, bool simple, const sess_sink_t *sink, ubuf_t *tag,
                     uerr_t *err)
{
    const csql_t *q = p->stmt->compat.cursor;
    switch (q->kind) {
    case CSQL_DECLARE:
        if (cursor_declare(s, p, simple, sink, err) != 0)
            return -1;
        break;
    case CSQL_FETCH:
    case CSQL_MOVE: return cursor_fetch_stmt(s, p, simple, sink, tag, err);
    case CSQL_CLOSE:
        if (!q->name) {
            sess__cursors_free(s);
        } else if (!sess__cursor_close(s, q->name)) {
            uerr_set(err, "34000", "cursor \"%s\" does not exist", q->name);
            return -1;
        }
        break;
    }
    ubuf_puts(tag, p->stmt->compat.tag);
    return 0;
}

int sess__cursor_describe(sess_t *s, const char *name, sess_portal_t *p, const sess_col_t **cols,
                          size_t *ncols, const int16_t **formats, uerr_t *err)
{
    sess_cursor_t *c = *cursor_find(s, name);
    *cols = NULL;
    *ncols = 0;
    if (formats)
        *formats = NULL;
    if (!c || !c->cur)
        return 0;
    *ncols = eng_cursor_ncols(c->cur);
    *cols = *ncols ? eng_cursor_col(c->cur, 0) : NULL;
    if (!formats)
        return 0;
    if (!p) { /* the cursor itself, described as a portal */
        *formats = c->col_formats;
        return 0;
    }
    free(p->col_formats);
    p->col_formats = NULL;
    if (cursor_formats(c, p, false, &p->col_formats, err) != 0)
        return -1;
    *formats = p->col_formats;
    return 0;
}
