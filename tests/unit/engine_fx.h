/* The fixture of the engine's unit tests: an in-memory database and one connection to it,
 * opened by setup and closed by teardown (cmocka group or per-test). */
#ifndef DUCKD_TESTS_ENGINE_FX_H
#define DUCKD_TESTS_ENGINE_FX_H

#include <stdlib.h>

#include "engine/engine.h"

typedef struct {
    eng_db_t *db;
    eng_conn_t *conn;
} fx_t;

static inline int setup(void **state)
{
    fx_t *fx = calloc(1, sizeof *fx);
    uerr_t err = UERR_INIT;
    assert_int_equal(eng_db_open(&fx->db, NULL, false, NULL, 0, &err), 0);
    assert_int_equal(eng_conn_open(fx->db, &fx->conn, &err), 0);
    *state = fx;
    return 0;
}

static inline int teardown(void **state)
{
    fx_t *fx = *state;
    eng_conn_close(fx->conn);
    eng_db_close(fx->db);
    free(fx);
    return 0;
}

#endif
