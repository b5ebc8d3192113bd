/* Maps DuckDB errors to PostgreSQL SQLSTATEs. DuckDB reports an error type (when the API
 * exposes it) and a message prefixed with the type's name ("Catalog Error: ..."); both are
 * used, the message to refine a coarse type (a Catalog error may be an undefined table or an
 * undefined function, a Constraint error a unique or a not-null violation). */
#include <string.h>
#include <strings.h>

#include "engine/engine_internal.h"
#include "util/log.h"

typedef struct {
    const char *prefix; /* message prefix DuckDB uses for the error type */
    duckdb_error_type type;
} err_prefix_t;

static const err_prefix_t err_prefixes[] = {
    {"Parser Error", DUCKDB_ERROR_PARSER},
    {"Syntax Error", DUCKDB_ERROR_SYNTAX},
    {"Catalog Error", DUCKDB_ERROR_CATALOG},
    {"Binder Error", DUCKDB_ERROR_BINDER},
    {"Constraint Error", DUCKDB_ERROR_CONSTRAINT},
    {"Conversion Error", DUCKDB_ERROR_CONVERSION},
    {"Out of Range Error", DUCKDB_ERROR_OUT_OF_RANGE},
    {"TransactionContext Error", DUCKDB_ERROR_TRANSACTION},
    {"Transaction Error", DUCKDB_ERROR_TRANSACTION},
    {"Invalid Input Error", DUCKDB_ERROR_INVALID_INPUT},
    {"Out of Memory Error", DUCKDB_ERROR_OUT_OF_MEMORY},
    {"INTERRUPT Error", DUCKDB_ERROR_INTERRUPT},
    {"Interrupt Error", DUCKDB_ERROR_INTERRUPT},
    {"Permission Error", DUCKDB_ERROR_PERMISSION},
    {"Not implemented Error", DUCKDB_ERROR_NOT_IMPLEMENTED},
    {"IO Error", DUCKDB_ERROR_IO},
    {"Dependency Error", DUCKDB_ERROR_DEPENDENCY},
    {"Sequence Error", DUCKDB_ERROR_SEQUENCE},
    {"Invalid Error", DUCKDB_ERROR_INVALID},
    {"Fatal Error", DUCKDB_ERROR_FATAL},
    {"FATAL Error", DUCKDB_ERROR_FATAL},
    {"INTERNAL Error", DUCKDB_ERROR_INTERNAL},
    {"Mismatch Type Error", DUCKDB_ERROR_MISMATCH_TYPE},
    {"Decimal Error", DUCKDB_ERROR_DECIMAL},
    {"Type Error", DUCKDB_ERROR_INVALID_TYPE},
    {"Settings Error", DUCKDB_ERROR_SETTINGS},
    {"Parameter Not Resolved Error", DUCKDB_ERROR_PARAMETER_NOT_RESOLVED},
    {"Parameter Not Allowed Error", DUCKDB_ERROR_PARAMETER_NOT_ALLOWED},
    {"Missing Extension Error", DUCKDB_ERROR_MISSING_EXTENSION},
    {"Extension Autoloading Error", DUCKDB_ERROR_AUTOLOAD},
    {"HTTP Error", DUCKDB_ERROR_HTTP},
};

static duckdb_error_type err_type_from_message(const char *msg)
{
    for (size_t i = 0; i < sizeof err_prefixes / sizeof err_prefixes[0]; i++) {
        size_t n = strlen(err_prefixes[i].prefix);
        if (strncasecmp(msg, err_prefixes[i].prefix, n) == 0 && msg[n] == ':')
            return err_prefixes[i].type;
    }
    return DUCKDB_ERROR_INVALID;
}

static bool has(const char *msg, const char *needle) { return strcasestr(msg, needle) != NULL; }

static const char *err_catalog(const char *msg)
{
    if ((has(msg, "Table with name") || has(msg, "View with name")) && has(msg, "does not exist"))
        return "42P01";
    if (has(msg, "Table \"") && has(msg, "could not be found")) /* the appender's wording */
        return "42P01";
    if (has(msg, "Function with name") || has(msg, "Scalar Function"))
        return "42883";
    if (has(msg, "already exists")) /* before "Schema with name": also its wording */
        return has(msg, "Schema") ? "42P06" : "42P07";
    if (has(msg, "Schema with name"))
        return "3F000";
    if (has(msg, "Type with name"))
        return "42704";
    if (has(msg, "does not exist"))
        return "42704";
    return "42000";
}

static const char *err_constraint(const char *msg)
{
    if (has(msg, "NOT NULL"))
        return "23502";
    if (has(msg, "Duplicate key") || has(msg, "unique") || has(msg, "PRIMARY KEY"))
        return "23505";
    if (has(msg, "foreign key"))
        return "23503";
    if (has(msg, "CHECK constraint"))
        return "23514";
    return "23000";
}

static const char *err_binder(const char *msg)
{
    if (has(msg, "Referenced column") || (has(msg, "column") && has(msg, "not found")))
        return "42703";
    if (has(msg, "No function matches") || has(msg, "Function with name"))
        return "42883";
    if (has(msg, "must appear in the GROUP BY"))
        return "42803";
    if (has(msg, "Ambiguous"))
        return "42702";
    if (has(msg, "Table") && has(msg, "does not exist"))
        return "42P01";
    return "42000";
}

const char *eng_sqlstate_for(int type, const char *msg)
{
    if (!msg)
        msg = "";
    if (type == DUCKDB_ERROR_INVALID)
        type = err_type_from_message(msg);
    switch ((duckdb_error_type)type) {
    case DUCKDB_ERROR_PARSER:
    case DUCKDB_ERROR_SYNTAX: return "42601";
    case DUCKDB_ERROR_CATALOG: return err_catalog(msg);
    case DUCKDB_ERROR_BINDER: return err_binder(msg);
    case DUCKDB_ERROR_CONSTRAINT: return err_constraint(msg);
    case DUCKDB_ERROR_CONVERSION: return has(msg, "out of range") ? "22003" : "22P02";
    case DUCKDB_ERROR_OUT_OF_RANGE: return "22003";
    case DUCKDB_ERROR_DIVIDE_BY_ZERO: return "22012";
    case DUCKDB_ERROR_DECIMAL: return "22003";
    case DUCKDB_ERROR_TRANSACTION:
        if (has(msg, "conflict"))
            return "40001";
        if (has(msg, "aborted"))
            return "25P02";
        if (has(msg, "no transaction is active") || has(msg, "cannot commit - no transaction"))
            return "25P01";
        if (has(msg, "already active") || has(msg, "cannot start a transaction"))
            return "25001";
        return "25000";
    case DUCKDB_ERROR_OUT_OF_MEMORY: return "53200";
    case DUCKDB_ERROR_INTERRUPT: return "57014";
    case DUCKDB_ERROR_PERMISSION: return "42501";
    case DUCKDB_ERROR_NOT_IMPLEMENTED: return "0A000";
    case DUCKDB_ERROR_IO: return "58030";
    case DUCKDB_ERROR_DEPENDENCY: return "2BP01";
    case DUCKDB_ERROR_SEQUENCE: return "2200H";
    case DUCKDB_ERROR_MISMATCH_TYPE:
    case DUCKDB_ERROR_INVALID_TYPE: return "42804";
    case DUCKDB_ERROR_PARAMETER_NOT_RESOLVED:
    case DUCKDB_ERROR_PARAMETER_NOT_ALLOWED: return "42P18";
    case DUCKDB_ERROR_SETTINGS: return "22023";
    case DUCKDB_ERROR_FATAL:
    case DUCKDB_ERROR_INTERNAL: return "XX000";
    case DUCKDB_ERROR_INVALID_INPUT:
        if (has(msg, "read-only") || has(msg, "read only") || has(msg, "readonly"))
            return "25006";
        if (has(msg, "division by zero"))
            return "22012";
        if (has(msg, "Could not convert")) /* a failed cast, as the appender reports it */
            return "22P02";
        return "22023";
    default:
        if (has(msg, "read-only") || has(msg, "read only") || has(msg, "readonly"))
            return "25006";
        if (has(msg, "Conflict on"))
            return "40001";
        return "XX000";
    }
}

void eng__set_error(uerr_t *err, duckdb_error_type type, const char *msg)
{
    if (!msg || !*msg)
        msg = "unknown DuckDB error";
    /* duckd's own functions (tablefn.c) raise their errors through DuckDB, which knows no
     * SQLSTATE: they put it in a marker that is taken out here */
    const char *mark = strstr(msg, ENG__SQLSTATE_MARK);
    if (mark && strlen(mark) >= sizeof ENG__SQLSTATE_MARK + 6 &&
        strncmp(mark + sizeof ENG__SQLSTATE_MARK + 4, "] ", 2) == 0) {
        char state[6];
        memcpy(state, mark + sizeof ENG__SQLSTATE_MARK - 1, 5);
        state[5] = '\0';
        uerr_set(err, state, "%s", mark + sizeof ENG__SQLSTATE_MARK + 6);
        return;
    }
    const char *state = eng_sqlstate_for(type, msg);
    if (strcmp(state, "57014") == 0) /* DuckDB says "INTERRUPT Error: Interrupted!" */
        msg = "canceling statement due to user request";
    /* DuckDB appends a native stack trace (library paths, addresses) and a paragraph about
     * reporting the bug to its INTERNAL errors: the server log keeps them, the client gets
     * the message */
    const char *trace = strstr(msg, "\nStack Trace:");
    if (trace) {
        size_t n = (size_t)(trace - msg);
        while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
            n--;
        ulog(ULOG_WARN, "DuckDB internal error: %s", msg);
        uerr_set(err, state, "%.*s", (int)n, msg);
        return;
    }
    uerr_set(err, state, "%s", msg);
}
