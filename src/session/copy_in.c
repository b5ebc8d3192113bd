/* COPY ... FROM STDIN: the client's CopyData pieces, read through the sink on the session's
 * thread, are split into rows in place by copy_reader and converted into DuckDB data chunks by
 * the engine's appender, whose own thread hands each full chunk to the table (see engine.h,
 * eng_appender_open). The COPY is checked for a cancel or statement_timeout once per
 * piece. See copy_in.h. */
#include "session/copy_in.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "session/copy_reader.h"
#include "util/xalloc.h"

/* Whether a thread of the appender's own appends chunk N (DuckDB's append, statistics,
 * compression and optimistic writes of full row groups) while the session thread reads and
 * converts the next ones. Since the session side was made cheap (fast paths in copy_reader.c
 * and engine/append.c) DuckDB's side is the longer one, and with it on the other core a 2M-row
 * W7 load runs in about the appending thread's time (docs/BENCHMARKS.md, section 5). Build with
 * -DCOPY_IN_BACKGROUND=0 to append on the session thread. */
#ifndef COPY_IN_BACKGROUND
#define COPY_IN_BACKGROUND 1
#endif

typedef struct {
    sess_t *s;
    eng_appender_t *app;
    const copy_reader_t *rd;
    const copy_opts_t *o;
    const char *const *names; /* the appended columns' names, for messages */
    eng_append_where_t where; /* where the appender failed */
    bool app_failed;          /* the error is the appender's (its context is set) */
} copy_in_ctx_t;

/* Where a COPY FROM error happened, as PostgreSQL words it: "COPY t, line 3, column b: "x"".
 * line -1: not one row's (no context); col SIZE_MAX: the row as a whole; v may be NULL. */
static void copy_in_context(const copy_in_ctx_t *c, int64_t line, size_t col, const char *v,
                            int vlen, uerr_t *err)
{
    if (line < 0)
        return;
    ubuf_t b = UBUF_INIT;
    ubuf_printf(&b, "COPY %s, line %lld", c->o->table, (long long)line);
    if (col != SIZE_MAX && c->names)
        ubuf_printf(&b, ", column %s", c->names[col]);
    if (col != SIZE_MAX && v && vlen >= 0 && c->o->format != COPY_FMT_BINARY)
        ubuf_printf(&b, ": \"%.*s\"", vlen > 64 ? 64 : vlen, v);
    uerr_set_context(err, "%s", ubuf_cstr(&b));
    ubuf_free(&b);
}

/* The appender failed: its error gets the context of the row it names. */
static void copy_in_where(const copy_in_ctx_t *c, uerr_t *err)
{
    const eng_append_where_t *w = &c->where;
    copy_in_context(c, w->line, w->col, w->value_len >= 0 ? w->value : NULL, w->value_len, err);
}

static int copy_in_row(void *ctx, const eng_value_t *f, size_t n, uerr_t *err)
{
    copy_in_ctx_t *c = ctx;
    int16_t format = c->o->format == COPY_FMT_BINARY ? 1 : 0;
    if (eng_appender_row(c->app, f, n, format, copy_reader_line(c->rd), &c->where, err) == 0)
        return 0;
    c->app_failed = true;
    copy_in_where(c, err);
    return -1;
}

/* The columns COPY FROM fills: the statement's column list matched (case-insensitively, as
 * DuckDB matches identifiers) against the table's columns, which es describes. On success
 * *names holds every appended column's name in order (borrowed from the statement; the array
 * is the caller's to free) and *ncols its length; *listed says whether the client gave a list
 * (else every column is filled). */
static int copy_in_columns(const copy_opts_t *o, const eng_stmt_t *es, const char ***names,
                           size_t *ncols, bool *listed, uerr_t *err)
{
    size_t ntab = eng_stmt_ncols(es);
    *listed = o->ncols > 0;
    *ncols = o->ncols ? o->ncols : ntab;
    *names = xcalloc(*ncols ? *ncols : 1, sizeof **names);
    for (size_t i = 0; i < *ncols; i++) {
        const char *want = o->ncols ? o->cols[i] : NULL;
        if (!want)
            (*names)[i] = eng_stmt_col(es, i)->name;
        for (size_t k = 0; k < ntab && !(*names)[i]; k++)
            if (strcasecmp(eng_stmt_col(es, k)->name, want) == 0)
                (*names)[i] = eng_stmt_col(es, k)->name;
        if (!(*names)[i]) {
            uerr_set(err, "42703", "column \"%s\" of relation \"%s\" does not exist", want,
                     o->table);
            return -1;
        }
        for (size_t k = 0; k < i; k++)
            if ((*names)[k] == (*names)[i]) {
                uerr_set(err, "42701", "column \"%s\" specified more than once", want);
                return -1;
            }
    }
    return 0;
}

/* A cancel, statement_timeout or hang-up reached the COPY: 57014 (sess_watch_end words the
 * message after its cause). */
static bool copy_in_cancelled(copy_in_ctx_t *c, uerr_t *err)
{
    if (sess__interrupted(c->s) == SESS_INTR_NONE)
        return false;
    uerr_set(err, "57014", "canceling statement due to user request");
    return true;
}

/* Feeds the client's data to the reader, whose rows go to the appender, until CopyDone. */
static int copy_in_stream(copy_in_ctx_t *c, copy_reader_t *rd, const sess_sink_t *sink, uerr_t *err)
{
    for (;;) {
        const void *data;
        size_t len;
        int r = sink->copy_in_read(sink->ctx, &data, &len, err);
        if (r < 0)
            return -1;
        if (copy_in_cancelled(c, err))
            return -1;
        if (r == 0)
            break;
        if (copy_reader_feed(rd, data, len, copy_in_row, c, err) != 0)
            goto fail;
    }
    if (copy_reader_finish(rd, copy_in_row, c, err) == 0)
        return 0;
fail:
    if (!c->app_failed) /* the reader's own errors are about the line it read last */
        copy_in_context(c, copy_reader_line(rd), SIZE_MAX, NULL, -1, err);
    return -1;
}

int copy_in_run(sess_t *s, const copy_opts_t *o, const eng_stmt_t *es, const sess_sink_t *sink,
                int64_t *rows, ubuf_t *tag, uerr_t *err)
{
    const char **names = NULL;
    copy_in_ctx_t c = {.s = s, .o = o};
    copy_reader_t *rd = NULL;
    size_t ncols = 0;
    bool listed, own_txn = false;
    int rc = -1;
    const char *part[3] = {NULL, NULL, NULL}; /* catalog, schema, table */

    if (!sink->copy_in_begin || !sink->copy_in_read) {
        uerr_set(err, "0A000", "COPY FROM STDIN is not available on this protocol");
        goto out;
    }
    for (size_t i = 0; i < o->nname; i++)
        part[3 - o->nname + i] = o->name[i];
    if (sess__yield_stream(s, err) != 0 || copy_in_columns(o, es, &names, &ncols, &listed, err))
        goto out;
    if (sess__autocommit(s)) {
        if (sess__run_plain(s, "BEGIN", err) != 0)
            goto out;
        own_txn = true;
    }
    if (eng_appender_open(sess__conn(s), part[0], part[1], part[2], listed ? names : NULL,
                          listed ? ncols : 0, COPY_IN_BACKGROUND, &c.app, err) != 0)
        goto out;
    if (eng_appender_ncols(c.app) != ncols) { /* e.g. generated columns: no names to show */
        ncols = eng_appender_ncols(c.app);
        free(names);
        names = NULL;
    }
    c.names = names;
    rd = copy_reader_new(o, ncols, names, sess__max_copy_row(s));
    c.rd = rd;
    if (sink->copy_in_begin(sink->ctx, o->format == COPY_FMT_BINARY, ncols) != 0 ||
        copy_in_stream(&c, rd, sink, err) != 0)
        goto out;
    if (eng_appender_finish(c.app, &c.where, err) != 0) {
        copy_in_where(&c, err);
        goto out;
    }
    eng_appender_free(c.app);
    c.app = NULL;
    if (own_txn && sess__run_plain(s, "COMMIT", err) != 0)
        goto out;
    own_txn = false;
    *rows = copy_reader_rows(rd);
    ubuf_printf(tag, "COPY %lld", (long long)*rows);
    rc = 0;
out:
    eng_appender_free(c.app); /* flushes what it holds into the transaction rolled back next */
    if (own_txn) {
        uerr_t ignored = UERR_INIT;
        if (sess__run_plain(s, "ROLLBACK", &ignored) != 0) /* the connection is gone */
            uerr_clear(&ignored);
        uerr_clear(&ignored);
    }
    copy_reader_free(rd);
    free(names);
    return rc;
}
