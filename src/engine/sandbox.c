/* The engine's part of duckd's sandbox: the guard functions every database gets, and the
 * lock-down of DuckDB's own settings once --init has run (see session/guard.h for the
 * statement-level half and docs/SECURITY.md for the whole). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine_internal.h"
#include "util/buf.h"
#include "util/xalloc.h"

/* Deeper JSON documents are refused before DuckDB functions that recurse over a document's
 * nesting (json_structure, ...) see them: each level costs a few hundred bytes of stack, and
 * 100,000 levels overflow a thread's 8 MiB stack. PostgreSQL refuses such documents too
 * ("stack depth limit exceeded"). */
#define ENG_JSON_MAX_DEPTH 10000

/* Returns true when the JSON text nests arrays/objects deeper than the limit (brackets inside
 * strings do not count; the text need not be valid JSON). */
static bool json_too_deep(const char *p, size_t n)
{
    size_t depth = 0;
    bool in_str = false;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = false;
        } else if (c == '"') {
            in_str = true;
        } else if (c == '[' || c == '{') {
            if (++depth > ENG_JSON_MAX_DEPTH)
                return true;
        } else if ((c == ']' || c == '}') && depth > 0) {
            depth--;
        }
    }
    return false;
}

/* duckd_json_guard(VARCHAR) -> VARCHAR: its argument unchanged, or an error when the
 * document is nested too deeply. The dialect layer wraps the first argument of the
 * recursive JSON functions in it. */
static void json_guard_fn(duckdb_function_info info, duckdb_data_chunk input, duckdb_vector output)
{
    idx_t n = duckdb_data_chunk_get_size(input);
    duckdb_vector in = duckdb_data_chunk_get_vector(input, 0);
    duckdb_string_t *data = (duckdb_string_t *)duckdb_vector_get_data(in);
    uint64_t *valid = duckdb_vector_get_validity(in);
    uint64_t *out_valid = NULL;
    for (idx_t i = 0; i < n; i++) {
        if (valid && !duckdb_validity_row_is_valid(valid, i)) {
            if (!out_valid) {
                duckdb_vector_ensure_validity_writable(output);
                out_valid = duckdb_vector_get_validity(output);
            }
            duckdb_validity_set_row_invalid(out_valid, i);
            continue;
        }
        const char *p = duckdb_string_t_data(&data[i]);
        uint32_t len = duckdb_string_t_length(data[i]);
        if (json_too_deep(p, len)) {
            duckdb_scalar_function_set_error(
                info, "JSON document nested deeper than 10000 levels (stack depth limit)");
            return;
        }
        duckdb_vector_assign_string_element_len(output, i, p, len);
    }
}

static int register_json_guard(duckdb_connection con, uerr_t *err)
{
    duckdb_scalar_function f = duckdb_create_scalar_function();
    duckdb_logical_type v = duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR);
    int rc = 0;
    duckdb_scalar_function_set_name(f, "duckd_json_guard");
    duckdb_scalar_function_add_parameter(f, v);
    duckdb_scalar_function_set_return_type(f, v);
    duckdb_scalar_function_set_function(f, json_guard_fn);
    if (duckdb_register_scalar_function(con, f) != DuckDBSuccess) {
        uerr_set(err, "58000", "could not register duckd_json_guard");
        rc = -1;
    }
    duckdb_destroy_logical_type(&v);
    duckdb_destroy_scalar_function(&f);
    return rc;
}

static int read_catalog(duckdb_connection con, char **catalog, uerr_t *err)
{
    duckdb_result res;
    int rc = -1;
    if (duckdb_query(con, "SELECT current_database()", &res) != DuckDBSuccess) {
        eng__set_error(err, duckdb_result_error_type(&res), duckdb_result_error(&res));
        goto out;
    }
    char *v = duckdb_value_varchar(&res, 0, 0);
    *catalog = xstrdup(v ? v : "memory");
    duckdb_free(v);
    rc = 0;
out:
    duckdb_destroy_result(&res);
    return rc;
}

int eng__db_setup(duckdb_database db, char **catalog, uerr_t *err)
{
    duckdb_connection con = NULL;
    int rc = -1;
    *catalog = NULL;
    if (duckdb_connect(db, &con) != DuckDBSuccess) {
        uerr_set(err, "58000", "could not connect to the new database");
        return -1;
    }
    if (register_json_guard(con, err) == 0 && eng__bulk_register(con, err) == 0 &&
        eng__pgfuncs_register(con, err) == 0 && read_catalog(con, catalog, err) == 0)
        rc = 0;
    duckdb_disconnect(&con);
    return rc;
}

/* Appends a DuckDB list literal of strings: ['a', 'b''c']. */
static void put_string_list(ubuf_t *b, const char *const *v, size_t n)
{
    ubuf_putc(b, '[');
    for (size_t i = 0; i < n; i++) {
        ubuf_puts(b, i ? ", '" : "'");
        for (const char *p = v[i]; *p; p++) {
            if (*p == '\'')
                ubuf_putc(b, '\'');
            ubuf_putc(b, *p);
        }
        ubuf_putc(b, '\'');
    }
    ubuf_putc(b, ']');
}

static int run_set(duckdb_connection con, const char *sql, uerr_t *err)
{
    duckdb_result res;
    int rc = 0;
    if (duckdb_query(con, sql, &res) != DuckDBSuccess) {
        uerr_set(err, "F0000", "sandbox: %s failed: %s", sql, duckdb_result_error(&res));
        rc = -1;
    }
    duckdb_destroy_result(&res);
    return rc;
}

/* SET GLOBAL name = [v...]; nothing when the list is empty (DuckDB's default stays). */
static int set_list(duckdb_connection con, const char *name, const char *const *v, size_t n,
                    uerr_t *err)
{
    ubuf_t b = UBUF_INIT;
    int rc = 0;
    if (n) {
        ubuf_printf(&b, "SET GLOBAL %s = ", name);
        put_string_list(&b, v, n);
        rc = run_set(con, ubuf_cstr(&b), err);
    }
    ubuf_free(&b);
    return rc;
}

int eng_db_lockdown(eng_db_t *db, const eng_lockdown_t *l, uerr_t *err)
{
    static const char *const fixed[] = {
        "SET GLOBAL enable_external_access = false",
        "SET GLOBAL autoinstall_known_extensions = false",
        "SET GLOBAL autoload_known_extensions = false",
        "SET GLOBAL allow_community_extensions = false",
        "SET GLOBAL allow_persistent_secrets = false",
    };
    duckdb_connection con = NULL;
    int rc = -1;
    if (duckdb_connect(eng__db_handle(db), &con) != DuckDBSuccess) {
        uerr_set(err, "58000", "sandbox: could not connect");
        return -1;
    }
    if (set_list(con, "allowed_directories", l->allowed_directories, l->ndirectories, err) != 0 ||
        set_list(con, "allowed_paths", l->allowed_paths, l->npaths, err) != 0)
        goto out;
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        if (run_set(con, fixed[i], err) != 0)
            goto out;
    /* the options every new connection sets for itself (eng_conn_open) stay settable too;
     * clients still cannot set them unless the guard lets them (session/guard.c) */
    static const char *const own[] = {"enable_progress_bar", "enable_progress_bar_print",
                                      "streaming_buffer_size"};
    size_t n = l->nconfigs + sizeof own / sizeof own[0];
    const char **configs = xcalloc(n, sizeof *configs);
    for (size_t i = 0; i < l->nconfigs; i++)
        configs[i] = l->allowed_configs[i];
    for (size_t i = 0; i < sizeof own / sizeof own[0]; i++)
        configs[l->nconfigs + i] = own[i];
    int lrc = set_list(con, "allowed_configs", configs, n, err);
    free(configs);
    if (lrc != 0)
        goto out;
    rc = run_set(con, "SET GLOBAL lock_configuration = true", err);
out:
    duckdb_disconnect(&con);
    return rc;
}
