/* umem tests: charging and releasing by kind, try-reserve at the budget, waiting
 * reservations (woken by a release, or failing at their deadline), DuckDB's size syntax and
 * the split of memory_limit between DuckDB and duckd's buffers. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/mem.h"

static int reset(void **state)
{
    for (int k = 0; k < UMEM_NKINDS; k++)
        umem_release((umem_kind_t)k, (size_t)umem_used_kind((umem_kind_t)k));
    umem_set_budget(0);
    return 0;
}

static void test_counts_by_kind(void **state)
{
    umem_charge(UMEM_INPUT, 100);
    umem_charge(UMEM_OUTPUT, 50);
    assert_true(umem_try_reserve(UMEM_COPY, 25));
    assert_int_equal(umem_used(), 175);
    assert_int_equal(umem_used_kind(UMEM_INPUT), 100);
    assert_int_equal(umem_used_kind(UMEM_OUTPUT), 50);
    assert_int_equal(umem_used_kind(UMEM_COPY), 25);
    assert_int_equal(umem_used_kind(UMEM_GCOMMIT), 0);
    umem_release(UMEM_INPUT, 100);
    umem_release(UMEM_OUTPUT, 50);
    umem_release(UMEM_COPY, 25);
    assert_int_equal(umem_used(), 0);
    assert_string_equal(umem_kind_name(UMEM_GCOMMIT), "gcommit");
    assert_string_equal(umem_kind_name(UMEM_INPUT), "input");
}

static void test_no_budget_never_refuses(void **state)
{
    assert_false(umem_over());
    assert_true(umem_try_reserve(UMEM_INPUT, (size_t)1 << 40));
    assert_false(umem_over());
    assert_int_equal(umem_reserve_wait(UMEM_INPUT, 1, umem_now_ms()), 0);
    umem_release(UMEM_INPUT, ((size_t)1 << 40) + 1);
}

static void test_try_reserve_at_budget(void **state)
{
    umem_set_budget(1000);
    assert_int_equal(umem_budget(), 1000);
    assert_true(umem_try_reserve(UMEM_INPUT, 600));
    assert_false(umem_try_reserve(UMEM_INPUT, 401)); /* 1001 > 1000 */
    assert_int_equal(umem_used(), 600);              /* the refusal took nothing */
    assert_false(umem_over());
    assert_true(umem_try_reserve(UMEM_OUTPUT, 400)); /* exactly the budget */
    assert_true(umem_over());
    assert_false(umem_try_reserve(UMEM_OUTPUT, 1));
    /* a charge passes the budget: the minimum a holder needs */
    umem_charge(UMEM_OUTPUT, 10);
    assert_int_equal(umem_used(), 1010);
    umem_release(UMEM_OUTPUT, 410);
    umem_release(UMEM_INPUT, 600);
    assert_false(umem_over());
    assert_int_equal(umem_used(), 0);
}

static void test_wait_times_out(void **state)
{
    umem_set_budget(100);
    umem_charge(UMEM_OUTPUT, 100);
    int64_t t0 = umem_now_ms();
    assert_int_equal(umem_reserve_wait(UMEM_COPY, 10, t0 + 150), -1);
    int64_t waited = umem_now_ms() - t0;
    assert_true(waited >= 140 && waited < 2000);
    assert_int_equal(umem_used_kind(UMEM_COPY), 0);
    /* larger than the whole budget: fails at once */
    umem_release(UMEM_OUTPUT, 100);
    t0 = umem_now_ms();
    assert_int_equal(umem_reserve_wait(UMEM_COPY, 101, t0 + 5000), -1);
    assert_true(umem_now_ms() - t0 < 1000);
    assert_int_equal(umem_used(), 0);
}

static void *release_later(void *arg)
{
    usleep(50 * 1000);
    umem_release(UMEM_OUTPUT, 60);
    return arg;
}

static void test_wait_woken_by_release(void **state)
{
    pthread_t t;
    umem_set_budget(100);
    umem_charge(UMEM_OUTPUT, 100);
    assert_int_equal(pthread_create(&t, NULL, release_later, NULL), 0);
    int64_t t0 = umem_now_ms();
    assert_int_equal(umem_reserve_wait(UMEM_COPY, 50, t0 + 10000), 0);
    assert_true(umem_now_ms() - t0 < 5000);
    pthread_join(t, NULL);
    assert_int_equal(umem_used_kind(UMEM_COPY), 50);
    assert_int_equal(umem_used(), 90);
    umem_release(UMEM_COPY, 50);
    umem_release(UMEM_OUTPUT, 40);
}

/* Many threads reserving and releasing at once never let the total pass the budget through
 * try-reserve, and it returns to zero. */
#define RACE_THREADS 4
#define RACE_ROUNDS 20000
static _Atomic int race_over;
static void *race(void *arg)
{
    for (int i = 0; i < RACE_ROUNDS; i++) {
        if (umem_try_reserve(UMEM_INPUT, 300)) {
            if (umem_used() > 1000 + 300 * RACE_THREADS)
                race_over = 1;
            umem_release(UMEM_INPUT, 300);
        }
        if (umem_reserve_wait(UMEM_COPY, 200, umem_now_ms() + 1000) == 0)
            umem_release(UMEM_COPY, 200);
    }
    return arg;
}

static void test_concurrent(void **state)
{
    pthread_t t[RACE_THREADS];
    umem_set_budget(1000);
    for (int i = 0; i < RACE_THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, race, NULL), 0);
    for (int i = 0; i < RACE_THREADS; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(race_over, 0);
    assert_int_equal(umem_used(), 0);
    assert_int_equal(umem_used_kind(UMEM_INPUT), 0);
    assert_int_equal(umem_used_kind(UMEM_COPY), 0);
}

static int64_t size_of(const char *text)
{
    int64_t v = -1;
    assert_true(umem_parse_duckdb_size(text, &v));
    return v;
}

static void test_duckdb_sizes(void **state)
{
    int64_t v;
    assert_int_equal(size_of("1GB"), 1000000000LL);
    assert_int_equal(size_of("1 GB"), 1000000000LL);
    assert_int_equal(size_of("1gb"), 1000000000LL);
    assert_int_equal(size_of("1GiB"), 1LL << 30);
    assert_int_equal(size_of("1.5GB"), 1500000000LL);
    assert_int_equal(size_of("896MiB"), 896LL << 20);
    assert_int_equal(size_of("939524096 bytes"), 939524096LL);
    assert_int_equal(size_of("100KiB"), 102400);
    assert_int_equal(size_of("2 gigabytes"), 2000000000LL);
    assert_false(umem_parse_duckdb_size("1000", &v)); /* DuckDB: its default */
    assert_false(umem_parse_duckdb_size("80%", &v));
    assert_false(umem_parse_duckdb_size("-1", &v));
    assert_false(umem_parse_duckdb_size("", &v));
    assert_false(umem_parse_duckdb_size("GB", &v));
    assert_false(umem_parse_duckdb_size("1 parsec", &v));
    assert_false(umem_parse_duckdb_size("1GB x", &v));
    assert_false(umem_parse_duckdb_size("99999999999TB", &v));
}

static void test_split(void **state)
{
    umem_split_t s;
    const int64_t GiB = 1LL << 30, MiB = 1LL << 20;
    /* 10% of the limit */
    assert_int_equal(umem_split(4 * GiB, 0, 0, &s), 0);
    assert_true(s.auto_buffer);
    assert_int_equal(s.buffer, 4 * GiB / 10);
    assert_int_equal(s.duckdb, 4 * GiB - 4 * GiB / 10);
    /* clamped to 1 GiB */
    assert_int_equal(umem_split(64 * GiB, 0, 0, &s), 0);
    assert_int_equal(s.buffer, GiB);
    assert_int_equal(s.duckdb, 63 * GiB);
    /* clamped to 64 MiB, but at most a quarter of a small limit */
    assert_int_equal(umem_split(400 * MiB, 0, 0, &s), 0);
    assert_int_equal(s.buffer, 64 * MiB);
    assert_int_equal(umem_split(100 * MiB, 0, 0, &s), 0);
    assert_int_equal(s.buffer, 25 * MiB);
    assert_int_equal(s.duckdb, 75 * MiB);
    /* explicit */
    assert_int_equal(umem_split(1 * GiB, 128 * MiB, 0, &s), 0);
    assert_false(s.auto_buffer);
    assert_int_equal(s.duckdb, 896 * MiB);
    assert_int_equal(umem_split(1 * GiB, 900 * MiB, 0, &s), -1);
    /* no limit: DuckDB keeps its default (0), the budget is a tenth of 80% of RAM */
    assert_int_equal(umem_split(0, 0, 10 * GiB, &s), 0);
    assert_int_equal(s.duckdb, 0);
    assert_int_equal(s.buffer, 10 * GiB / 10 * 8 / 10);
    assert_int_equal(umem_split(0, 2 * MiB, 10 * GiB, &s), 0);
    assert_int_equal(s.buffer, 2 * MiB);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_counts_by_kind, reset),
        cmocka_unit_test_setup(test_no_budget_never_refuses, reset),
        cmocka_unit_test_setup(test_try_reserve_at_budget, reset),
        cmocka_unit_test_setup(test_wait_times_out, reset),
        cmocka_unit_test_setup(test_wait_woken_by_release, reset),
        cmocka_unit_test_setup(test_concurrent, reset),
        cmocka_unit_test(test_duckdb_sizes),
        cmocka_unit_test(test_split),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
