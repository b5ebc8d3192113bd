/* Unit tests for COPY: session/copy's recognition of the client COPY statements (TO STDOUT,
 * FROM STDIN) and their options in the modern and pre-9.0 spellings, with the SQLSTATE of
 * every refusal; and types/pgtypes_copy's text and CSV field encoders, whose expected bytes
 * are what PostgreSQL 15's COPY TO writes for the same values. Pure text: no database. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "session/copy.h"
#include "types/pgtypes.h"
#include "util/buf.h"

/* Parses sql, which must be accepted; the caller releases *o. */
static void parse_ok(const char *sql, copy_opts_t *o)
{
    const char *state = NULL, *msg = NULL;
    copy_parse_rc_t rc = copy_parse(sql, strlen(sql), o, &state, &msg);
    if (rc != COPY_OK)
        fail_msg("[%s]: rc %d (%s %s)", sql, (int)rc, state ? state : "-", msg ? msg : "-");
}

/* Parses sql, which must be refused with SQLSTATE want_state. */
static void parse_bad(const char *sql, const char *want_state)
{
    copy_opts_t o;
    const char *state = NULL, *msg = NULL;
    copy_parse_rc_t rc = copy_parse(sql, strlen(sql), &o, &state, &msg);
    if (rc != COPY_BAD)
        fail_msg("[%s]: expected a refusal, rc %d", sql, (int)rc);
    assert_non_null(msg);
    if (strcmp(state, want_state) != 0)
        fail_msg("[%s]: SQLSTATE %s (%s), want %s", sql, state, msg, want_state);
    assert_null(o.query); /* nothing left to free */
}

static void parse_not_client(const char *sql)
{
    copy_opts_t o;
    const char *state = NULL, *msg = NULL;
    if (copy_parse(sql, strlen(sql), &o, &state, &msg) != COPY_NOT_CLIENT)
        fail_msg("[%s]: expected to pass through to DuckDB", sql);
    assert_null(o.query);
}

static void test_copy_defaults(void **state)
{
    (void)state;
    copy_opts_t o;
    parse_ok("COPY (SELECT 1, (2)) TO STDOUT", &o);
    assert_true(o.to_stdout);
    assert_string_equal(o.query, "SELECT 1, (2)");
    assert_null(o.table);
    assert_int_equal(o.format, COPY_FMT_TEXT);
    assert_int_equal(o.delim, '\t');
    assert_string_equal(o.null_str, "\\N");
    assert_false(o.header);
    copy_opts_free(&o);

    parse_ok("copy public.\"My T\" (a, \"b c\") to stdout with (format csv)", &o);
    assert_string_equal(o.table, "public.\"My T\"");
    assert_string_equal(o.columns, "a, \"b c\"");
    assert_string_equal(o.query, "SELECT a, \"b c\" FROM public.\"My T\"");
    assert_int_equal(o.format, COPY_FMT_CSV);
    assert_int_equal(o.delim, ',');
    assert_string_equal(o.null_str, "");
    assert_int_equal(o.quote, '"');
    assert_int_equal(o.escape, '"');
    copy_opts_free(&o);

    parse_ok("COPY t FROM STDIN", &o);
    assert_false(o.to_stdout);
    assert_string_equal(o.query, "SELECT * FROM t");
    copy_opts_free(&o);
}

static void test_copy_options(void **state)
{
    (void)state;
    copy_opts_t o;
    parse_ok("COPY t TO STDOUT (FORMAT csv, HEADER, DELIMITER ';', NULL 'N', QUOTE '''', "
             "ESCAPE E'\\\\', ENCODING 'UTF8', FREEZE false)",
             &o);
    assert_true(o.header);
    assert_int_equal(o.delim, ';');
    assert_string_equal(o.null_str, "N");
    assert_int_equal(o.quote, '\'');
    assert_int_equal(o.escape, '\\');
    copy_opts_free(&o);

    parse_ok("COPY t TO STDOUT (FORMAT csv, HEADER off)", &o);
    assert_false(o.header);
    copy_opts_free(&o);

    parse_ok("COPY t TO STDOUT (FORMAT binary)", &o);
    assert_int_equal(o.format, COPY_FMT_BINARY);
    copy_opts_free(&o);

    parse_ok("COPY t TO STDOUT (NULL $$--$$)", &o); /* dollar quoting */
    assert_string_equal(o.null_str, "--");
    copy_opts_free(&o);

    /* the pre-9.0 spelling psql and older drivers send */
    parse_ok("COPY t TO STDOUT WITH CSV HEADER DELIMITER AS '|' NULL AS 'x' QUOTE '*'", &o);
    assert_int_equal(o.format, COPY_FMT_CSV);
    assert_true(o.header);
    assert_int_equal(o.delim, '|');
    assert_string_equal(o.null_str, "x");
    assert_int_equal(o.quote, '*');
    assert_int_equal(o.escape, '*');
    copy_opts_free(&o);

    parse_ok("COPY t TO STDOUT BINARY", &o);
    assert_int_equal(o.format, COPY_FMT_BINARY);
    copy_opts_free(&o);

    parse_ok("COPY \"S\".t (\"A b\", c) FROM STDIN", &o); /* identifiers, unquoted */
    assert_int_equal(o.nname, 2);
    assert_string_equal(o.name[0], "S");
    assert_string_equal(o.name[1], "t");
    assert_int_equal(o.ncols, 2);
    assert_string_equal(o.cols[0], "A b");
    assert_string_equal(o.cols[1], "c");
    assert_string_equal(o.query, "SELECT * FROM \"S\".t"); /* describes the whole table */
    copy_opts_free(&o);
    parse_ok("COPY db.\"s\"\"q\".t FROM STDIN", &o);
    assert_int_equal(o.nname, 3);
    assert_string_equal(o.name[1], "s\"q");
    copy_opts_free(&o);
}

static void test_copy_refusals(void **state)
{
    (void)state;
    parse_bad("COPY t TO STDOUT (FORMAT xml)", "22023");
    parse_bad("COPY t TO STDOUT (FORMAT csv, FORMAT text)", "42601");
    parse_bad("COPY t TO STDOUT (DELIMITER 'ab')", "0A000");
    parse_bad("COPY t TO STDOUT (DELIMITER '\n')", "22023");
    parse_bad("COPY t TO STDOUT (DELIMITER E'\\\\')", "22023");
    parse_bad("COPY t TO STDOUT (FORMAT csv, DELIMITER '\"')", "22023");
    parse_bad("COPY t TO STDOUT (FORMAT binary, HEADER)", "42601");
    parse_bad("COPY t TO STDOUT (QUOTE '*')", "0A000"); /* CSV only */
    parse_bad("COPY t TO STDOUT (HEADER maybe)", "22023");
    parse_bad("COPY t TO STDOUT (ENCODING 'LATIN1')", "0A000");
    parse_bad("COPY t TO STDOUT (FORCE_QUOTE *)", "0A000");
    parse_bad("COPY t TO STDOUT WITH CSV FORCE QUOTE a", "0A000");
    parse_bad("COPY t TO STDOUT (BOGUS 1)", "42601");
    parse_bad("COPY t TO STDOUT (FORMAT csv", "42601");
    parse_bad("COPY t TO STDOUT (NULL)", "42601");
    parse_bad("COPY t TO STDOUT (NULL E'a\\nb')", "22023");
    parse_bad("COPY t TO STDOUT WITH NULL 3", "42601");
    parse_bad("COPY t TO STDOUT trailing", "42601");
    parse_bad("COPY (SELECT 1) FROM STDIN", "42601");
    parse_bad("COPY t FROM STDIN WHERE a > 1", "0A000");
    parse_bad("COPY t (a + 1) FROM STDIN", "42601");
}

static void test_copy_passes_through(void **state)
{
    (void)state;
    parse_not_client("SELECT 1");
    parse_not_client("COPY t TO 'out.csv' (FORMAT csv)"); /* DuckDB's own server-side COPY */
    parse_not_client("COPY t FROM 'in.parquet'");
    parse_not_client("COPY (SELECT (1) TO STDOUT"); /* unbalanced: DuckDB reports it */
    parse_not_client("COPY t (a, (b)) TO STDOUT");
    parse_not_client("COPY");
    parse_not_client("COPY FROM DATABASE a TO b");
}

/* Encodes one field with fn's arguments and compares with want. */
static void expect_text(const char *v, char delim, const char *want)
{
    ubuf_t b = UBUF_INIT;
    pgt_copy_text_field(&b, v, strlen(v), delim);
    ubuf_cstr(&b);
    assert_string_equal(b.data, want);
    ubuf_free(&b);
}

static void expect_csv(const char *v, const char *null_str, bool single, const char *want)
{
    ubuf_t b = UBUF_INIT;
    pgt_copy_csv_field(&b, v, strlen(v), ',', '"', '"', null_str, single);
    ubuf_cstr(&b);
    assert_string_equal(b.data, want);
    ubuf_free(&b);
}

static void test_copy_text_field(void **state)
{
    (void)state;
    expect_text("plain", '\t', "plain");
    expect_text("", '\t', "");
    expect_text("a\tb\nc\rd\\e\bf\fg\vh", '\t', "a\\tb\\nc\\rd\\\\e\\bf\\fg\\vh");
    expect_text("a|b", '|', "a\\|b");
    expect_text("\\.", '\t', "\\\\.");
    expect_text("é ü", '\t', "é ü"); /* UTF-8 bytes pass as they are */
}

static void test_copy_csv_field(void **state)
{
    (void)state;
    expect_csv("plain", "", false, "plain");
    expect_csv("", "", false, "\"\""); /* equals the NULL string: quoted */
    expect_csv("N", "N", false, "\"N\"");
    expect_csv("a,b", "", false, "\"a,b\"");
    expect_csv("q\"uote", "", false, "\"q\"\"uote\"");
    expect_csv("nl\nx", "", false, "\"nl\nx\"");
    expect_csv("cr\rx", "", false, "\"cr\rx\"");
    expect_csv("\\.", "", false, "\\.");
    expect_csv("\\.", "", true, "\"\\.\""); /* alone on a line it would end the data */
    expect_csv(" sp ", "", false, " sp ");

    ubuf_t b = UBUF_INIT; /* a distinct escape character escapes itself and the quote */
    pgt_copy_csv_field(&b, "a'b\\c,", 6, ',', '\'', '\\', "", false);
    ubuf_cstr(&b);
    assert_string_equal(b.data, "'a\\'b\\\\c,'");
    ubuf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_copy_defaults),   cmocka_unit_test(test_copy_options),
        cmocka_unit_test(test_copy_refusals),   cmocka_unit_test(test_copy_passes_through),
        cmocka_unit_test(test_copy_text_field), cmocka_unit_test(test_copy_csv_field),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
