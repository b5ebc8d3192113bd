/* udur tests: PostgreSQL's spellings of millisecond-based parameters, units, rounding, and
 * every way a value is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "util/duration.h"

static int64_t ms_of(const char *text)
{
    int64_t v = -1;
    assert_true(udur_parse_ms(text, &v));
    return v;
}

static void test_plain_numbers_are_milliseconds(void **state)
{
    assert_int_equal(ms_of("0"), 0);
    assert_int_equal(ms_of("100"), 100);
    assert_int_equal(ms_of("  250  "), 250);
    assert_int_equal(ms_of("2147483647"), 2147483647);
}

static void test_units(void **state)
{
    assert_int_equal(ms_of("100ms"), 100);
    assert_int_equal(ms_of("2s"), 2000);
    assert_int_equal(ms_of("2 s"), 2000);
    assert_int_equal(ms_of("1min"), 60000);
    assert_int_equal(ms_of("1h"), 3600000);
    assert_int_equal(ms_of("1d"), 86400000);
    assert_int_equal(ms_of("1500us"), 2);
    assert_int_equal(ms_of("1.5s"), 1500);
}

static void test_refused(void **state)
{
    int64_t v = 7;
    const char *bad[] = {"",     "  ",  "abc", "10 parsecs", "10S", "-1",
                         "1e20", "nan", "inf", "5 s x",      "s"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(udur_parse_ms(bad[i], &v));
    assert_int_equal(v, 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_numbers_are_milliseconds),
        cmocka_unit_test(test_units),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
