/* util/tz: zone names matched like PostgreSQL (any case), offsets at instants from ICU --
 * half-hour zones, daylight saving time on both sides of a transition, local mean time --
 * and the per-span cache giving the same answers in any order of instants. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util/tz.h"

#define US(s) ((int64_t)(s)*1000000)

static void test_lookup(void **state)
{
    char canon[64];
    assert_true(utz_lookup("Asia/Kolkata", canon, sizeof canon));
    assert_string_equal(canon, "Asia/Kolkata");
    assert_true(utz_lookup("asia/kolkata", canon, sizeof canon));
    assert_string_equal(canon, "Asia/Kolkata");
    assert_true(utz_lookup("utc", canon, sizeof canon));
    assert_string_equal(canon, "UTC");
    assert_false(utz_lookup("Mars/Olympus", canon, sizeof canon));
    assert_false(utz_lookup("", canon, sizeof canon));
    assert_false(utz_lookup("Asia/Kolkata", canon, 5)); /* does not fit */
    assert_null(utz_open("Mars/Olympus"));
}

static void test_offsets(void **state)
{
    utz_t *k = utz_open("Asia/Kolkata");
    utz_t *p = utz_open("Europe/Paris");
    utz_t *j = utz_open("America/St_Johns");
    assert_non_null(k);
    assert_string_equal(utz_name(k), "Asia/Kolkata");
    assert_int_equal(utz_offset(k, US(1704164645)), 19800); /* 2024-01-02 */
    /* 2024-03-31 01:00:00 UTC: Paris moves from +01 to +02 */
    int64_t t = US(1711846800);
    for (int round = 0; round < 2; round++) { /* the second round answers from the cache */
        assert_int_equal(utz_offset(p, t - 1), 3600);
        assert_int_equal(utz_offset(p, t), 7200);
        assert_int_equal(utz_offset(p, t - 1000000), 3600);
        assert_int_equal(utz_offset(p, t + US(86400 * 100)), 7200);
    }
    assert_int_equal(utz_offset(j, US(1705320000)), -(3 * 3600 + 1800));       /* 2024-01-15 */
    assert_int_equal(utz_offset(j, US(1721044800)), -(2 * 3600 + 1800));       /* 2024-07-15 */
    assert_int_equal(utz_offset(j, US(-2208988800)), -(3 * 3600 + 1800 + 52)); /* 1900: LMT */
    utz_t *r = utz_ref(p);
    utz_close(p);
    assert_int_equal(utz_offset(r, t), 7200); /* still open: one reference left */
    utz_close(r);
    utz_close(k);
    utz_close(j);
    utz_close(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lookup),
        cmocka_unit_test(test_offsets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
