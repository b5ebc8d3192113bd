/* admit tests: the cap and its fast path, FIFO order with round robin between users, the
 * queue timeout, withdrawal (before and during the wait), exclusive entries that drain the
 * others and run alone, and the statement history. Waiters run on threads; the tests wait for
 * the counters to show them queued before going on, so the order is deterministic. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "session/admit.h"

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Waits (bounded) until `queued` statements wait. */
static void wait_queued(admit_t *a, int queued)
{
    admit_stats_t st;
    for (int i = 0; i < 5000; i++) {
        admit_stats_get(a, &st);
        if (st.queued == queued)
            return;
        sleep_ms(1);
    }
    fail_msg("queued stayed %d, expected %d", st.queued, queued);
}

typedef struct waiter {
    admit_t *a;
    admit_ticket_t tk;
    const char *user;
    bool exclusive;
    bool leave_at_once; /* give the slot back as soon as it is granted */
    int id;
    int *order; /* ids in the order they were admitted (guarded by order_mu) */
    int *norder;
    admit_rc_t rc;
    pthread_t th;
} waiter_t;

static pthread_mutex_t order_mu = PTHREAD_MUTEX_INITIALIZER;

static void *waiter_main(void *arg)
{
    waiter_t *w = arg;
    w->rc = admit_enter(w->a, &w->tk, w->user, w->exclusive);
    if (w->rc == ADMIT_OK && w->order) {
        pthread_mutex_lock(&order_mu);
        w->order[(*w->norder)++] = w->id;
        pthread_mutex_unlock(&order_mu);
    }
    if (w->rc == ADMIT_OK && w->leave_at_once)
        admit_leave(w->a, &w->tk);
    return NULL;
}

/* Starts a thread that enters (exclusive: alone) and, unless `keep`, leaves at once. */
static void waiter_run(waiter_t *w, admit_t *a, const char *user, int id, int *order, int *n,
                       bool exclusive, bool keep)
{
    memset(w, 0, sizeof *w);
    w->a = a;
    w->user = user;
    w->id = id;
    w->order = order;
    w->norder = n;
    w->exclusive = exclusive;
    w->leave_at_once = !keep;
    assert_int_equal(pthread_create(&w->th, NULL, waiter_main, w), 0);
}

static void waiter_start(waiter_t *w, admit_t *a, const char *user, int id, int *order, int *n)
{
    waiter_run(w, a, user, id, order, n, false, false);
}

static void waiter_join(waiter_t *w)
{
    pthread_join(w->th, NULL);
    admit_ticket_destroy(&w->tk);
}

static void test_cap_and_fast_path(void **state)
{
    admit_t *a = admit_new(2, 0);
    admit_ticket_t t1 = ADMIT_TICKET_INIT, t2 = ADMIT_TICKET_INIT, t3 = ADMIT_TICKET_INIT;
    assert_true(admit_try_enter(a, &t1));
    assert_true(admit_try_enter(a, &t2));
    assert_false(admit_try_enter(a, &t3));
    admit_stats_t st;
    admit_stats_get(a, &st);
    assert_int_equal(st.running, 2);
    assert_int_equal(st.max, 2);
    admit_leave(a, &t1);
    assert_true(admit_try_enter(a, &t3));
    admit_leave(a, &t2);
    admit_leave(a, &t3);
    admit_leave(a, &t3); /* a ticket that holds nothing: no-op */
    admit_stats_get(a, &st);
    assert_int_equal(st.running, 0);
    assert_int_equal(st.admitted, 3);
    admit_free(a);
}

static void test_no_cap(void **state)
{
    admit_t *a = admit_new(0, 0);
    admit_ticket_t t[50];
    for (int i = 0; i < 50; i++) {
        t[i] = (admit_ticket_t)ADMIT_TICKET_INIT;
        assert_true(admit_try_enter(a, &t[i]));
    }
    for (int i = 0; i < 50; i++)
        admit_leave(a, &t[i]);
    admit_free(a);
}

/* a1, a2, a3 of user a and b1 of user b queue in that order behind one holder: the round robin
 * serves a1, b1, a2, a3. */
static void test_fifo_round_robin(void **state)
{
    admit_t *a = admit_new(1, 0);
    admit_ticket_t holder = ADMIT_TICKET_INIT;
    assert_true(admit_try_enter(a, &holder));
    int order[4], n = 0;
    waiter_t w[4];
    const char *users[4] = {"a", "a", "a", "b"};
    int ids[4] = {1, 2, 3, 10};
    for (int i = 0; i < 4; i++) {
        waiter_start(&w[i], a, users[i], ids[i], order, &n);
        wait_queued(a, i + 1);
    }
    sleep_ms(5); /* past the hand-over window: the slot goes straight to the next in line */
    assert_false(admit_try_enter(a, &(admit_ticket_t)ADMIT_TICKET_INIT));
    admit_leave(a, &holder);
    for (int i = 0; i < 4; i++)
        waiter_join(&w[i]);
    assert_int_equal(n, 4);
    assert_int_equal(order[0], 1);
    assert_int_equal(order[1], 10);
    assert_int_equal(order[2], 2);
    assert_int_equal(order[3], 3);
    admit_stats_t st;
    admit_stats_get(a, &st);
    assert_int_equal(st.queued, 0);
    assert_int_equal(st.running, 0);
    assert_int_equal(st.admitted_queued, 4);
    assert_true(st.wait_us > 0);
    admit_free(a);
}

static void test_timeout(void **state)
{
    admit_t *a = admit_new(1, 50);
    admit_ticket_t holder = ADMIT_TICKET_INIT, tk = ADMIT_TICKET_INIT;
    assert_true(admit_try_enter(a, &holder));
    assert_int_equal(admit_enter(a, &tk, "u", false), ADMIT_TIMEOUT);
    admit_stats_t st;
    admit_stats_get(a, &st);
    assert_int_equal(st.timeouts, 1);
    assert_int_equal(st.queued, 0);
    assert_int_equal(admit_queued_since(a, &tk), 0);
    admit_leave(a, &holder);
    assert_int_equal(admit_enter(a, &tk, "u", false), ADMIT_OK); /* the ticket is reusable */
    admit_leave(a, &tk);
    admit_ticket_destroy(&tk);
    admit_free(a);
}

static void test_cancel_while_waiting(void **state)
{
    admit_t *a = admit_new(1, 0);
    admit_ticket_t holder = ADMIT_TICKET_INIT;
    assert_true(admit_try_enter(a, &holder));
    waiter_t w1, w2;
    int order[2], n = 0;
    waiter_start(&w1, a, "u", 1, order, &n);
    wait_queued(a, 1);
    waiter_start(&w2, a, "u", 2, order, &n);
    wait_queued(a, 2);
    assert_true(admit_queued_since(a, &w1.tk) > 0);
    admit_cancel(a, &w1.tk); /* the first leaves the queue at once; its place goes to w2 */
    pthread_join(w1.th, NULL);
    assert_int_equal(w1.rc, ADMIT_CANCELLED);
    wait_queued(a, 1);
    admit_leave(a, &holder);
    waiter_join(&w2);
    admit_ticket_destroy(&w1.tk);
    assert_int_equal(w2.rc, ADMIT_OK);
    assert_int_equal(n, 1);
    assert_int_equal(order[0], 2);
    admit_stats_t st;
    admit_stats_get(a, &st);
    assert_int_equal(st.cancelled, 1);
    admit_free(a);
}

static void test_cancel_before_waiting(void **state)
{
    admit_t *a = admit_new(1, 0);
    admit_ticket_t holder = ADMIT_TICKET_INIT, tk = ADMIT_TICKET_INIT;
    assert_true(admit_try_enter(a, &holder));
    admit_arm(&tk);
    admit_cancel(a, &tk); /* arrives before the wait starts */
    assert_int_equal(admit_enter(a, &tk, "u", false), ADMIT_CANCELLED);
    admit_arm(&tk);
    admit_leave(a, &holder);
    assert_int_equal(admit_enter(a, &tk, "u", false), ADMIT_OK);
    admit_cancel(a, &tk); /* no effect on a ticket holding a slot */
    assert_true(tk.held);
    admit_leave(a, &tk);
    admit_ticket_destroy(&tk);
    admit_free(a);
}

static void test_exclusive_drains_and_runs_alone(void **state)
{
    admit_t *a = admit_new(2, 0);
    admit_ticket_t h1 = ADMIT_TICKET_INIT, h2 = ADMIT_TICKET_INIT, late = ADMIT_TICKET_INIT;
    assert_true(admit_try_enter(a, &h1));
    assert_true(admit_try_enter(a, &h2));
    waiter_t ex;
    int order[1], n = 0;
    waiter_run(&ex, a, "u", 1, order, &n, true, true);
    wait_queued(a, 1);
    admit_leave(a, &h1); /* one slot free, but the exclusive entry blocks newcomers */
    assert_false(admit_try_enter(a, &late));
    assert_int_equal(n, 0);
    admit_leave(a, &h2); /* nothing runs: the exclusive entry starts */
    pthread_join(ex.th, NULL);
    assert_int_equal(ex.rc, ADMIT_OK);
    assert_false(admit_try_enter(a, &late)); /* it runs alone */
    admit_leave(a, &ex.tk);
    assert_true(admit_try_enter(a, &late));
    admit_leave(a, &late);
    admit_stats_t st;
    admit_stats_get(a, &st);
    assert_int_equal(st.exclusive, 1);
    admit_ticket_destroy(&ex.tk);
    admit_free(a);
}

static void test_exclusive_without_cap(void **state)
{
    admit_t *a = admit_new(0, 30);
    admit_ticket_t h = ADMIT_TICKET_INIT, ex = ADMIT_TICKET_INIT;
    assert_true(admit_try_enter(a, &h));
    assert_int_equal(admit_enter(a, &ex, NULL, true), ADMIT_TIMEOUT); /* h still runs */
    admit_leave(a, &h);
    assert_int_equal(admit_enter(a, &ex, NULL, true), ADMIT_OK);
    admit_leave(a, &ex);
    admit_ticket_destroy(&ex);
    admit_free(a);
}

static void test_larger_cap_admits_waiters(void **state)
{
    admit_t *a = admit_new(1, 0);
    admit_ticket_t holder = ADMIT_TICKET_INIT;
    assert_true(admit_try_enter(a, &holder));
    waiter_t w;
    int order[1], n = 0;
    waiter_start(&w, a, NULL, 7, order, &n);
    wait_queued(a, 1);
    admit_configure(a, 2, 0);
    waiter_join(&w);
    assert_int_equal(w.rc, ADMIT_OK);
    admit_leave(a, &holder);
    admit_free(a);
}

static void test_history(void **state)
{
    admit_t *a = admit_new(1, 0);
    uint64_t fp = 0x123456789abcdef1ULL;
    assert_false(admit_known_light(a, fp)); /* never seen: takes a slot */
    admit_note_cost(a, fp, 100, 200);
    assert_true(admit_known_light(a, fp));
    assert_false(admit_known_light(a, fp + 4096)); /* same entry, another fingerprint */
    admit_note_cost(a, fp, ADMIT_LIGHT_CPU_US, 200);
    assert_false(admit_known_light(a, fp));
    admit_note_cost(a, fp, 100, ADMIT_LIGHT_WALL_US);
    assert_false(admit_known_light(a, fp));
    admit_stats_t st;
    admit_stats_get(a, &st);
    assert_int_equal(st.light, 1);
    admit_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cap_and_fast_path),
        cmocka_unit_test(test_no_cap),
        cmocka_unit_test(test_fifo_round_robin),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_cancel_while_waiting),
        cmocka_unit_test(test_cancel_before_waiting),
        cmocka_unit_test(test_exclusive_drains_and_runs_alone),
        cmocka_unit_test(test_exclusive_without_cap),
        cmocka_unit_test(test_larger_cap_admits_waiters),
        cmocka_unit_test(test_history),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
