/* pgnf tests: PostgreSQL 15's numeric to_char / to_number, with the outputs of the
 * documentation's "to_char Examples" table (C locale: D '.', G ',', L ' ') and more. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "types/pgnumfmt.h"

static void check_dec(const char *num, const char *tmpl, const char *want)
{
    ubuf_t b = UBUF_INIT;
    pgnf_err_t e;
    memset(&e, 0, sizeof e);
    bool ok = pgnf_to_char_decimal(num, strlen(num), tmpl, strlen(tmpl), &b, &e);
    if (!ok || strcmp(ubuf_cstr(&b), want) != 0)
        fail_msg("to_char(%s, '%s') = '%s' (%s), want '%s'", num, tmpl, ubuf_cstr(&b),
                 ok ? "ok" : e.message, want);
    ubuf_free(&b);
}

static void check_int(int32_t v, const char *tmpl, const char *want)
{
    ubuf_t b = UBUF_INIT;
    pgnf_err_t e;
    bool ok = pgnf_to_char_int4(v, tmpl, strlen(tmpl), &b, &e);
    if (!ok || strcmp(ubuf_cstr(&b), want) != 0)
        fail_msg("to_char(%d, '%s') = '%s' (%s), want '%s'", v, tmpl, ubuf_cstr(&b),
                 ok ? "ok" : e.message, want);
    ubuf_free(&b);
}

static void check_f8(double v, const char *tmpl, const char *want)
{
    ubuf_t b = UBUF_INIT;
    pgnf_err_t e;
    bool ok = pgnf_to_char_float8(v, tmpl, strlen(tmpl), &b, &e);
    if (!ok || strcmp(ubuf_cstr(&b), want) != 0)
        fail_msg("to_char(%g::float8, '%s') = '%s' (%s), want '%s'", v, tmpl, ubuf_cstr(&b),
                 ok ? "ok" : e.message, want);
    ubuf_free(&b);
}

static void check_num(const char *in, const char *tmpl, const char *want)
{
    ubuf_t b = UBUF_INIT;
    pgnf_err_t e;
    memset(&e, 0, sizeof e);
    bool ok = pgnf_to_number(in, strlen(in), tmpl, strlen(tmpl), &b, &e);
    if (!ok || strcmp(ubuf_cstr(&b), want) != 0)
        fail_msg("to_number('%s', '%s') = '%s' (%s), want '%s'", in, tmpl, ubuf_cstr(&b),
                 ok ? "ok" : e.message, want);
    ubuf_free(&b);
}

static void check_num_err(const char *in, const char *tmpl, const char *state)
{
    ubuf_t b = UBUF_INIT;
    pgnf_err_t e;
    memset(&e, 0, sizeof e);
    bool ok = pgnf_to_number(in, strlen(in), tmpl, strlen(tmpl), &b, &e);
    if (ok || strcmp(e.sqlstate, state) != 0)
        fail_msg("to_number('%s', '%s') = '%s' / %s, want error %s", in, tmpl, ubuf_cstr(&b),
                 e.sqlstate, state);
    ubuf_free(&b);
}

static void check_err(const char *tmpl, const char *state, const char *msg)
{
    ubuf_t b = UBUF_INIT;
    pgnf_err_t e;
    memset(&e, 0, sizeof e);
    bool ok = pgnf_to_char_decimal("1", 1, tmpl, strlen(tmpl), &b, &e);
    assert_false(ok);
    assert_string_equal(e.sqlstate, state);
    assert_string_equal(e.message, msg);
    ubuf_free(&b);
}

/* Table 9.29 of the PostgreSQL 15 documentation (integers there are int4, others numeric) */
static void test_docs_table(void **state)
{
    check_dec("-0.1", "99.99", "  -.10");
    check_dec("-0.1", "FM9.99", "-.1");
    check_dec("-0.1", "FM90.99", "-0.1");
    check_dec("0.1", "0.9", " 0.1");
    check_int(12, "9990999.9", "    0012.0");
    check_int(12, "FM9990999.9", "0012.");
    check_int(485, "999", " 485");
    check_int(-485, "999", "-485");
    check_int(485, "9 9 9", " 4 8 5");
    check_int(1485, "9,999", " 1,485");
    check_int(1485, "9G999", " 1,485");
    check_dec("148.5", "999.999", " 148.500");
    check_dec("148.5", "FM999.999", "148.5");
    check_dec("148.5", "FM999.990", "148.500");
    check_dec("148.5", "999D999", " 148.500");
    check_dec("3148.5", "9G999D999", " 3,148.500");
    check_int(-485, "999S", "485-");
    check_int(-485, "999MI", "485-");
    check_int(485, "999MI", "485 ");
    check_int(485, "FM999MI", "485");
    /* the table says '+485', but PostgreSQL's code (NUM_processor) keeps the blank sign column
     * for PL alone: the server prints '+ 485' */
    check_int(485, "PL999", "+ 485");
    check_int(485, "FMPL999", "+485");
    check_int(485, "SG999", "+485");
    check_int(-485, "SG999", "-485");
    check_int(-485, "9SG99", "4-85");
    check_int(-485, "999PR", "<485>");
    check_int(485, "L999", "  485");
    check_int(485, "RN", "        CDLXXXV");
    check_int(485, "FMRN", "CDLXXXV");
    check_dec("5.2", "FMRN", "V");
    check_int(482, "999th", " 482nd");
    check_int(485, "\"Good number:\"999", "Good number: 485");
    check_dec("485.8", "\"Pre:\"999\" Post:\" .999", "Pre: 485 Post: .800");
    check_int(12, "99V999", " 12000");
    check_dec("12.4", "99V999", " 12400");
    check_dec("12.45", "99V9", " 125");
    check_dec("0.0004859", "9.99EEEE", " 4.86e-04");
}

static void test_more_to_char(void **state)
{
    check_dec("1234.5", "9,999.99", " 1,234.50");
    check_dec("-1234.5", "9,999.99", "-1,234.50");
    check_dec("1234.5", "FM9,999.99", "1,234.5");
    check_int(5, "9", " 5");
    check_int(5, "FM9", "5");
    check_int(0, "9", " 0");
    check_int(0, "99.99", "   .00");
    check_dec("0.1", "9.9", "  .1");
    check_int(12345, "999", " ###");
    check_dec("12345.678", "999.99", " ###.##");
    check_dec("-12345.678", "999.99", "-###.##");
    /* rounding half away from zero, from the exact digits */
    check_dec("2.5", "9", " 3");
    check_dec("-2.5", "9", "-3");
    check_dec("0.125", "9.99", "  .13");
    check_dec("9.995", "9.99", " #.##");
    check_dec("-0.001", "9.99", "  .00");
    check_dec("123456789012345678901234567890.123456789",
              "FM999999999999999999999999999990.999999999",
              "123456789012345678901234567890.123456789");
    check_dec("99999999999999999999999999999999999999", "99999999999999999999999999999999999999",
              " 99999999999999999999999999999999999999");
    check_dec("12", "0000", " 0012");
    check_dec("-12", "0000", "-0012");
    check_dec("12", "FM0000", "0012");
    check_dec("1", "9th", " 1st");
    check_dec("11", "99TH", " 11TH");
    check_dec("23", "FM99th", "23rd");
    check_dec("-23", "99th", "-23");
    check_dec("485", "999S", "485+");
    check_dec("485", "S999", "+485");
    check_dec("-485", "S999", "-485");
    check_dec("485", "999PR", " 485 ");
    check_dec("485", "FM999PR", "485");
    check_dec("1234", "9.99EEEE", " 1.23e+03");
    check_dec("-1234", "9.99EEEE", "-1.23e+03");
    check_dec("0", "9.99EEEE", " 0.00e+00");
    check_dec("9.99", "9.9EEEE", " 10.0e+00");
    check_dec("125", "9.9EEEE", " 1.3e+02");
    check_int(125, "9.9EEEE", " 1.2e+02"); /* int4 goes through float8: printf's rounding */
    check_dec("3999", "RN", "      MMMCMXCIX");
    check_dec("4000", "RN", "###############");
    check_dec("14", "rn", "            xiv");
    check_dec("1485", "9G999", " 1,485");
    check_int(-42, "S999", " -42"); /* S goes just before the first digit */
    check_int(5, "9,999", "     5");
    check_int(0, "FM999", "0");
    check_dec("0.5", "FM9.99", ".5");
    check_dec("-5", "FM9", "-5");
    check_dec("1", "\\\"9", "\" 1");
    check_dec("1", "\"a\\\"b\"9", "a\"b 1");
    check_dec("12.5", "B99.9C", " 12.5");
}

static void test_reals(void **state)
{
    check_f8(1234.5, "9,999.99", " 1,234.50");
    check_f8(-0.1, "99.99", "  -.10");
    check_f8(0.5, "9", " 0"); /* printf rounds half to even on the binary value */
    check_f8(2.675, "9.99", " 2.67");
    check_f8(1234.5, "9.99EEEE", " 1.23e+03");
    check_f8(1.0 / 0.0, "9.99EEEE", " #.######");
    check_f8(123456789012.345, "999999999999.999", " 123456789012.345");
    check_f8(1234567890123.456, "9999999999999.999", " 1234567890123.46");
    ubuf_t b = UBUF_INIT;
    pgnf_err_t e;
    assert_true(pgnf_to_char_float4(12.5f, "99.99", 5, &b, &e));
    assert_string_equal(ubuf_cstr(&b), " 12.50");
    ubuf_free(&b);
}

static void test_template_errors(void **state)
{
    check_err("9.9.9", "42601", "multiple decimal points");
    check_err("99V9.9", "42601", "cannot use \"V\" and decimal point together");
    check_err("S99S", "42601", "cannot use \"S\" twice");
    check_err("S99MI", "42601", "cannot use \"S\" and \"MI\" together");
    check_err("99PR9", "42601", "\"9\" must be ahead of \"PR\"");
    check_err("9.99EEEE9", "42601", "\"EEEE\" must be the last pattern used");
    check_err("FM9.99EEEE", "42601", "\"EEEE\" is incompatible with other formats");
    ubuf_t b = UBUF_INIT;
    pgnf_err_t e;
    assert_true(pgnf_to_char_decimal("1", 1, "", 0, &b, &e));
    assert_int_equal(b.len, 0);
    ubuf_free(&b);
}

static void test_to_number(void **state)
{
    check_num("12,454.8-", "99G999D9S", "-12454.8");
    check_num("12,454.8", "99G999D9", "12454.8");
    check_num("-12,454.8", "99G999D9", "-12454.8");
    check_num("$1,234.56", "L9G999D99", "1234.56");
    check_num("1.5", "9.99", "1.5");
    check_num("  1.50", "999.99", "1.50");
    check_num("12345", "99", "12");
    check_num("<123>", "999PR", "-123");
    check_num("123-", "999MI", "-123");
    check_num("5.01-", "FM9.999999MI", "-5.01");
    check_num("+42", "S99", "42");
    check_num("1234", "99V99", "12.34");
    check_num("5", "9V99", "0.05");
    check_num("0012", "0000", "12");
    check_num("1st", "9th", "1");
    check_num("1,2,3", "9,9,9", "123");
    check_num_err("abc", "999", "22P02");
    check_num_err("", "999", "22P02");
    check_num_err("123.45", "9.99", "22003");
    check_num_err("1", "9.9EEEE", "0A000");
    check_num_err("X", "RN", "0A000");
    check_num_err("1", "9.9.9", "42601");
    assert_int_equal(pgnf_number_scale("99G999D9S", 9), 1);
    assert_int_equal(pgnf_number_scale("999", 3), 0);
    assert_int_equal(pgnf_number_scale("99V999", 6), 3);
    assert_int_equal(pgnf_number_scale("9.99EEEE", 8), -1);
    assert_int_equal(pgnf_number_scale("9..9", 4), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_docs_table), cmocka_unit_test(test_more_to_char),
        cmocka_unit_test(test_reals),      cmocka_unit_test(test_template_errors),
        cmocka_unit_test(test_to_number),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
