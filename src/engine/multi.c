/* Statements DuckDB expands into several (engine.h, eng_prepare). A client sends one
 * statement, but DuckDB's parser turns a few of them into a list: PIVOT without an IN list
 * first creates an ENUM type of the pivoted values, ALTER TABLE ... ADD COLUMN with a
 * volatile default (nextval) becomes BEGIN, ADD COLUMN, UPDATE, SET DEFAULT, COMMIT.
 * duckdb_prepare refuses such a text ("Cannot prepare multiple statements at once"), and the
 * later statements cannot even be prepared before the earlier ones ran (the ENUM, the new
 * column must exist). Two shapes are handled, as DuckDB's own Query() runs them, the client
 * getting the last statement's result:
 *   - a prefix of CREATE statements (PIVOT's types): it runs while the statement is
 *     prepared, so the final statement is prepared and described as usual;
 *   - anything else (ADD COLUMN: BEGIN, ADD COLUMN, UPDATE, SET DEFAULT, COMMIT outside a
 *     transaction, SET ..., the same, RESET ... inside one): a *script*. Nothing runs
 *     at prepare; every execution runs the statements, the last one that is not a wrapper
 *     as the cursor's statement. The wrappers (BEGIN, COMMIT, and inside a transaction the
 *     SET/RESET of current_transaction_invalidation_policy, which duckd's locked
 *     configuration refuses) are left out: the session runs a script inside its own
 *     (implicit or explicit) transaction, which makes it atomic.
 * A prefix that is not all CREATE, and a script statement of another kind than a data or
 * schema change (which the session's guard would not have judged), are refused with 0A000. An
 * extracted statement can be prepared only once (DuckDB moves it out), so a script is extracted
 * again at each run. */
#include <stdlib.h>
#include <string.h>

#include "engine/engine_internal.h"
#include "util/xalloc.h"

/* Prepares extracted statement i of ex into *ps; 0, or -1 with err set (*ps destroyed). */
static int multi_prepare_one(eng_stmt_t *s, duckdb_extracted_statements ex, idx_t i,
                             duckdb_prepared_statement *ps, uerr_t *err)
{
    if (duckdb_prepare_extracted_statement(s->conn->con, ex, i, ps) == DuckDBSuccess)
        return 0;
    const char *msg = duckdb_prepare_error(*ps);
    eng__set_error(err, DUCKDB_ERROR_INVALID, msg ? msg : "could not prepare a statement");
    duckdb_destroy_prepare(ps);
    return -1;
}

/* Runs a prepared statement to completion; its result is discarded. */
static int multi_run(duckdb_prepared_statement ps, uerr_t *err)
{
    duckdb_result res;
    int rc = 0;
    if (duckdb_execute_prepared(ps, &res) != DuckDBSuccess) {
        eng__set_error(err, duckdb_result_error_type(&res), duckdb_result_error(&res));
        rc = -1;
    }
    duckdb_destroy_result(&res);
    return rc;
}

/* The statements DuckDB wraps an expansion in: BEGIN and COMMIT outside a transaction, SET
 * and RESET of a setting (current_transaction_invalidation_policy) inside one. A script
 * leaves them out: the session's transaction does their work. */
static bool multi_wrapper(duckdb_prepared_statement ps)
{
    duckdb_statement_type t = duckdb_prepared_statement_type(ps);
    return t == DUCKDB_STATEMENT_TYPE_TRANSACTION || t == DUCKDB_STATEMENT_TYPE_SET;
}

/* The statements a script may run: data and schema changes of the kinds DuckDB's known
 * expansions produce. The session's guard judged the client's statement by its first one;
 * a kind it did not see (ATTACH, SET, LOAD, ...) is refused rather than run unjudged. */
static bool multi_script_kind(duckdb_prepared_statement ps)
{
    switch (duckdb_prepared_statement_type(ps)) {
    case DUCKDB_STATEMENT_TYPE_ALTER:
    case DUCKDB_STATEMENT_TYPE_UPDATE:
    case DUCKDB_STATEMENT_TYPE_INSERT:
    case DUCKDB_STATEMENT_TYPE_DELETE:
    case DUCKDB_STATEMENT_TYPE_CREATE:
    case DUCKDB_STATEMENT_TYPE_DROP:
    case DUCKDB_STATEMENT_TYPE_SELECT: return true;
    default: return false;
    }
}

static void multi_refuse(uerr_t *err, const char *why)
{
    uerr_set(err, "0A000", "DuckDB expands this statement into several; %s", why);
}

/* The CREATE prefix: statements 0 .. n-2 must be parameterless CREATEs (first is statement
 * 0, prepared; this function destroys it); they run here, and the last one is prepared into
 * s->ps. */
static int multi_prefix(eng_stmt_t *s, duckdb_extracted_statements ex, idx_t n,
                        duckdb_prepared_statement first, uerr_t *err)
{
    duckdb_prepared_statement ps = first;
    for (idx_t i = 0; i + 1 < n; i++) {
        int rc = 0;
        if (i > 0 && multi_prepare_one(s, ex, i, &ps, err) != 0)
            return -1;
        if (duckdb_prepared_statement_type(ps) != DUCKDB_STATEMENT_TYPE_CREATE) {
            multi_refuse(err, "duckd runs only a prefix of CREATE statements");
            rc = -1;
        } else if (duckdb_nparams(ps) > 0) {
            multi_refuse(err, "parameters are not supported in such a statement");
            rc = -1;
        } else {
            rc = multi_run(ps, err);
        }
        duckdb_destroy_prepare(&ps);
        if (rc != 0)
            return -1;
    }
    return multi_prepare_one(s, ex, n - 1, &s->ps, err);
}

/* A script: prepares its first statement that is not a wrapper into s->ps for the
 * statement's kind and description (each execution prepares it again). first_wraps: statement
 * 0 is a wrapper (it was moved out of an earlier extraction; ex is a fresh one). */
static int multi_script(eng_stmt_t *s, duckdb_extracted_statements ex, bool first_wraps,
                        const char *sql, uerr_t *err)
{
    if (multi_prepare_one(s, ex, first_wraps ? 1 : 0, &s->ps, err) != 0)
        return -1;
    if (!multi_script_kind(s->ps)) {
        multi_refuse(err, "duckd runs only data and schema changes in one");
        return -1;
    }
    if (duckdb_nparams(s->ps) > 0) {
        multi_refuse(err, "parameters are not supported in such a statement");
        return -1;
    }
    s->script = xstrdup(sql);
    return 0;
}

int eng__prepare_multi(eng_stmt_t *s, const char *sql, uerr_t *err)
{
    duckdb_extracted_statements ex = NULL;
    duckdb_prepared_statement first = NULL;
    int rc = -1;
    idx_t n = duckdb_extract_statements(s->conn->con, sql, &ex);
    if (n < 2) {
        rc = 0; /* not an expansion: the caller reports duckdb_prepare's error */
        goto out;
    }
    if (multi_prepare_one(s, ex, 0, &first, err) != 0)
        goto out;
    bool wraps = multi_wrapper(first);
    if (duckdb_prepared_statement_type(first) == DUCKDB_STATEMENT_TYPE_CREATE) {
        rc = multi_prefix(s, ex, n, first, err) == 0 ? 1 : -1;
        goto out;
    }
    duckdb_destroy_prepare(&first);
    duckdb_destroy_extracted(&ex);
    ex = NULL;
    /* statement 0 was moved out: extract again */
    if (duckdb_extract_statements(s->conn->con, sql, &ex) != n) {
        uerr_set(err, "XX000", "DuckDB expanded the statement differently twice");
        goto out;
    }
    rc = multi_script(s, ex, wraps, sql, err) == 0 ? 1 : -1;
out:
    duckdb_destroy_extracted(&ex);
    return rc;
}

/* The index of a script's last statement that is not a wrapper: a wrapper can be prepared
 * at any time, the work only after what precedes it ran, so a failed preparation means
 * work. */
static int script_last(eng_stmt_t *s, idx_t *last, uerr_t *err)
{
    duckdb_extracted_statements ex = NULL;
    duckdb_prepared_statement ps = NULL;
    idx_t n = duckdb_extract_statements(s->conn->con, s->script, &ex);
    int rc = -1;
    if (n < 2) {
        uerr_set(err, "XX000", "the statement's expansion changed; prepare it again");
        goto out;
    }
    *last = n - 1;
    if (duckdb_prepare_extracted_statement(s->conn->con, ex, n - 1, &ps) == DuckDBSuccess &&
        multi_wrapper(ps))
        *last = n - 2;
    rc = 0;
out:
    duckdb_destroy_prepare(&ps);
    duckdb_destroy_extracted(&ex);
    return rc;
}

int eng__script_start(eng_stmt_t *s, uerr_t *err)
{
    duckdb_extracted_statements ex = NULL;
    idx_t last = 0;
    int rc = -1;
    /* DuckDB wraps the expansion in BEGIN ... COMMIT only outside a transaction */
    if (script_last(s, &last, err) != 0)
        goto out;
    if (duckdb_extract_statements(s->conn->con, s->script, &ex) <= last) {
        uerr_set(err, "XX000", "the statement's expansion changed; prepare it again");
        goto out;
    }
    for (idx_t i = 0; i < last; i++) {
        duckdb_prepared_statement ps = NULL;
        if (multi_prepare_one(s, ex, i, &ps, err) != 0)
            goto out;
        int r = 0;
        if (!multi_wrapper(ps) && !multi_script_kind(ps)) {
            multi_refuse(err, "duckd runs only data and schema changes in one");
            r = -1;
        } else if (!multi_wrapper(ps)) {
            r = multi_run(ps, err);
        }
        duckdb_destroy_prepare(&ps);
        if (r != 0)
            goto out;
    }
    duckdb_destroy_prepare(&s->ps);
    rc = multi_prepare_one(s, ex, last, &s->ps, err);
    if (rc == 0 && !multi_script_kind(s->ps)) {
        multi_refuse(err, "duckd runs only data and schema changes in one");
        rc = -1;
    }
out:
    duckdb_destroy_extracted(&ex);
    return rc;
}
