/* advlock tests: the server's advisory lock table (re-entrant session locks, shared and
 * exclusive modes, the two key spaces, transaction-level release, release of everything at
 * the session's end, waits that end when granted, when told to stop, or on a deadlock). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "session/advlock.h"

#define A 1
#define B 2
#define C 3

static int try_lock(advlock_tbl_t *t, uint64_t owner, advlock_key_t k, advlock_mode_t m,
                    advlock_scope_t sc)
{
    uerr_t err = UERR_INIT;
    int r = advlock_acquire(t, owner, (int32_t)owner, k, m, sc, false, NULL, NULL, &err);
    assert_false(uerr_isset(&err));
    return r;
}

static void test_reentrant_session_locks(void **state)
{
    advlock_tbl_t *t = advlock_new();
    advlock_key_t k = advlock_key64(42);
    assert_int_equal(try_lock(t, A, k, ADVLOCK_EXCLUSIVE, ADVLOCK_SESSION), 1);
    assert_int_equal(try_lock(t, A, k, ADVLOCK_EXCLUSIVE, ADVLOCK_SESSION), 1);
    assert_int_equal(advlock_count(t, A, k, ADVLOCK_EXCLUSIVE, ADVLOCK_SESSION), 2);
    assert_int_equal(try_lock(t, B, k, ADVLOCK_EXCLUSIVE, ADVLOCK_SESSION), 0);
    assert_true(advlock_release(t, A, k, ADVLOCK_EXCLUSIVE));
    assert_int_equal(try_lock(t, B, k, ADVLOCK_EXCLUSIVE, ADVLOCK_SESSION), 0);
    assert_true(advlock_release(t, A, k, ADVLOCK_EXCLUSIVE));
    assert_false(advlock_release(t, A, k, ADVLOCK_EXCLUSIVE)); /* not held any more */
    assert_false(advlock_release(t, B, k, ADVLOCK_EXCLUSIVE)); /* never held */
    assert_int_equal(try_lock(t, B, k, ADVLOCK_EXCLUSIVE, ADVLOCK_SESSION), 1);
    advlock_free(t);
}

static void test_shared_and_exclusive(void **state)
{
    advlock_tbl_t *t = advlock_new();
    advlock_key_t k = advlock_key64(-7);
    assert_int_equal(try_lock(t, A, k, ADVLOCK_SHARED, ADVLOCK_SESSION), 1);
    assert_int_equal(try_lock(t, B, k, ADVLOCK_SHARED, ADVLOCK_SESSION), 1);
    assert_int_equal(try_lock(t, C, k, ADVLOCK_EXCLUSIVE, ADVLOCK_SESSION), 0);
    /* a holder's own shared lock does not stand in its way, the others' do */
    assert_int_equal(try_lock(t, A, k, ADVLOCK_EXCLUSIVE, ADVLOCK_SESSION), 0);
    assert_true(advlock_release(t, B, k, ADVLOCK_SHARED));
    assert_int_equal(try_lock(t, A, k, ADVLOCK_EXCLUSIVE, ADVLOCK_SESSION), 1);
    assert_int_equal(try_lock(t, B, k, ADVLOCK_SHARED, ADVLOCK_SESSION), 0);
    /* unlock names the mode: the exclusive one is not released by unlock_shared's */
    assert_false(advlock_release(t, B, k, ADVLOCK_SHARED));
    assert_true(advlock_release(t, A, k, ADVLOCK_SHARED));
    assert_int_equal(try_lock(t, B, k, ADVLOCK_SHARED, ADVLOCK_SESSION), 0);
    assert_true(advlock_release(t, A, k, ADVLOCK_EXCLUSIVE));
    assert_int_equal(try_lock(t, B, k, ADVLOCK_SHARED, ADVLOCK_SESSION), 1);
    advlock_free(t);
}

static void test_key_spaces(void **state)
{
    advlock_tbl_t *t = advlock_new();
    /* (0, 5) and the bigint 5 have the same classid/objid but not the same objsubid */
    advlock_key_t k64 = advlock_key64(5), k32 = advlock_key32(0, 5);
    assert_int_equal(k64.classid, 0);
    assert_int_equal(k64.objid, 5);
    assert_int_equal(k64.objsubid, 1);
    assert_int_equal(k32.objsubid, 2);
    advlock_key_t big = advlock_key64(((int64_t)3 << 32) | 9);
    assert_int_equal(big.classid, 3);
    assert_int_equal(big.objid, 9);
    assert_int_equal(try_lock(t, A, k64, ADVLOCK_EXCLUSIVE, ADVLOCK_SESSION), 1);
    assert_int_equal(try_lock(t, B, k32, ADVLOCK_EXCLUSIVE, ADVLOCK_SESSION), 1);
    assert_int_equal(try_lock(t, B, k64, ADVLOCK_EXCLUSIVE, ADVLOCK_SESSION), 0);
    advlock_free(t);
}

static void test_release_all_and_xact(void **state)
{
    advlock_tbl_t *t = advlock_new();
    advlock_key_t k1 = advlock_key64(1), k2 = advlock_key64(2), k3 = advlock_key32(1, 1);
    assert_int_equal(try_lock(t, A, k1, ADVLOCK_EXCLUSIVE, ADVLOCK_SESSION), 1);
    assert_int_equal(try_lock(t, A, k1, ADVLOCK_EXCLUSIVE, ADVLOCK_XACT), 1);
    assert_int_equal(try_lock(t, A, k2, ADVLOCK_SHARED, ADVLOCK_XACT), 1);
    assert_int_equal(try_lock(t, A, k3, ADVLOCK_EXCLUSIVE, ADVLOCK_SESSION), 1);
    /* unlock does not touch transaction-level acquisitions */
    assert_false(advlock_release(t, A, k2, ADVLOCK_SHARED));
    /* the transaction ends: k2 goes, k1 stays (session-level acquisition left) */
    advlock_release_all(t, A, ADVLOCK_XACT, false);
    assert_int_equal(try_lock(t, B, k2, ADVLOCK_EXCLUSIVE, ADVLOCK_SESSION), 1);
    assert_int_equal(try_lock(t, B, k1, ADVLOCK_EXCLUSIVE, ADVLOCK_SESSION), 0);
    assert_int_equal(advlock_count(t, A, k1, ADVLOCK_EXCLUSIVE, ADVLOCK_XACT), 0);
    assert_int_equal(advlock_count(t, A, k1, ADVLOCK_EXCLUSIVE, ADVLOCK_SESSION), 1);
    /* pg_advisory_unlock_all: session-level ones go, transaction-level ones stay */
    assert_int_equal(try_lock(t, A, k1, ADVLOCK_EXCLUSIVE, ADVLOCK_XACT), 1);
    advlock_release_all(t, A, ADVLOCK_SESSION, false);
    assert_int_equal(try_lock(t, B, k3, ADVLOCK_EXCLUSIVE, ADVLOCK_SESSION), 1);
    assert_int_equal(try_lock(t, B, k1, ADVLOCK_EXCLUSIVE, ADVLOCK_SESSION), 0);
    /* the session ends: everything goes */
    advlock_release_all(t, A, ADVLOCK_SESSION, true);
    assert_int_equal(try_lock(t, B, k1, ADVLOCK_EXCLUSIVE, ADVLOCK_SESSION), 1);
    advlock_info_t info[8];
    assert_int_equal(advlock_snapshot(t, info, 8), 3); /* B: k2, k3, k1 */
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(info[i].pid, B);
        assert_true(info[i].granted);
    }
    advlock_release_all(t, B, ADVLOCK_SESSION, true);
    assert_int_equal(advlock_snapshot(t, info, 8), 0);
    advlock_free(t);
}

typedef struct waiter {
    advlock_tbl_t *t;
    uint64_t owner;
    advlock_key_t key;
    volatile int stop;
    int rc;
    char sqlstate[6];
} waiter_t;

static bool waiter_stop(void *ctx) { return ((waiter_t *)ctx)->stop != 0; }

static void *waiter_main(void *arg)
{
    waiter_t *w = arg;
    uerr_t err = UERR_INIT;
    w->rc = advlock_acquire(w->t, w->owner, 9, w->key, ADVLOCK_EXCLUSIVE, ADVLOCK_SESSION, true,
                            waiter_stop, w, &err);
    if (uerr_isset(&err))
        memcpy(w->sqlstate, err.sqlstate, 6);
    if (w->rc < 0) /* its client gives up what it holds (the deadlock test's other victim) */
        advlock_release_all(w->t, w->owner, ADVLOCK_SESSION, true);
    uerr_clear(&err);
    return NULL;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void test_wait_granted_on_release(void **state)
{
    advlock_tbl_t *t = advlock_new();
    waiter_t w = {t, B, advlock_key64(5), 0, -2, ""};
    pthread_t th;
    assert_int_equal(try_lock(t, A, w.key, ADVLOCK_EXCLUSIVE, ADVLOCK_SESSION), 1);
    pthread_create(&th, NULL, waiter_main, &w);
    sleep_ms(100);
    advlock_info_t info[4];
    assert_int_equal(advlock_snapshot(t, info, 4), 2); /* A's, and B waiting */
    assert_false(info[1].granted);
    /* other keys are free to take while B waits */
    assert_int_equal(try_lock(t, C, advlock_key64(6), ADVLOCK_EXCLUSIVE, ADVLOCK_SESSION), 1);
    assert_true(advlock_release(t, A, w.key, ADVLOCK_EXCLUSIVE));
    pthread_join(th, NULL);
    assert_int_equal(w.rc, 1);
    assert_int_equal(try_lock(t, A, w.key, ADVLOCK_EXCLUSIVE, ADVLOCK_SESSION), 0);
    advlock_free(t);
}

static void test_wait_stopped(void **state)
{
    advlock_tbl_t *t = advlock_new();
    waiter_t w = {t, B, advlock_key32(1, 2), 0, -2, ""};
    pthread_t th;
    assert_int_equal(try_lock(t, A, w.key, ADVLOCK_EXCLUSIVE, ADVLOCK_SESSION), 1);
    pthread_create(&th, NULL, waiter_main, &w);
    sleep_ms(60);
    w.stop = 1;
    pthread_join(th, NULL);
    assert_int_equal(w.rc, -1);
    assert_string_equal(w.sqlstate, "57014");
    advlock_info_t info[4];
    assert_int_equal(advlock_snapshot(t, info, 4), 1); /* nothing left of B */
    advlock_free(t);
}

static void test_deadlock_detected(void **state)
{
    advlock_tbl_t *t = advlock_new();
    waiter_t w = {t, B, advlock_key64(1), 0, -2, ""};
    pthread_t th;
    uerr_t err = UERR_INIT;
    assert_int_equal(try_lock(t, A, advlock_key64(1), ADVLOCK_EXCLUSIVE, ADVLOCK_SESSION), 1);
    assert_int_equal(try_lock(t, B, advlock_key64(2), ADVLOCK_EXCLUSIVE, ADVLOCK_SESSION), 1);
    pthread_create(&th, NULL, waiter_main, &w); /* B waits for A's key 1 */
    sleep_ms(50);
    /* A now waits for B's key 2: a cycle; one of the two fails with 40P01 */
    int r = advlock_acquire(t, A, 1, advlock_key64(2), ADVLOCK_EXCLUSIVE, ADVLOCK_SESSION, true,
                            NULL, NULL, &err);
    if (r < 0) {
        assert_string_equal(err.sqlstate, "40P01");
        uerr_clear(&err);
        advlock_release_all(t, A, ADVLOCK_SESSION, true); /* A's transaction gives up */
        pthread_join(th, NULL);
        assert_int_equal(w.rc, 1);
    } else { /* B was the victim and gave its key 2 up, so A got it */
        pthread_join(th, NULL);
        assert_int_equal(w.rc, -1);
        assert_string_equal(w.sqlstate, "40P01");
    }
    advlock_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reentrant_session_locks),
        cmocka_unit_test(test_shared_and_exclusive),
        cmocka_unit_test(test_key_spaces),
        cmocka_unit_test(test_release_all_and_xact),
        cmocka_unit_test(test_wait_granted_on_release),
        cmocka_unit_test(test_wait_stopped),
        cmocka_unit_test(test_deadlock_detected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
