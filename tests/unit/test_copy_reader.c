/* Unit tests for session/copy_reader (COPY FROM STDIN data in text, CSV and binary format)
 * and util/utf8. Every stream is also fed one byte at a time and in two pieces split at every
 * offset, so rows that straddle CopyData messages parse exactly like whole ones. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "session/copy.h"
#include "session/copy_reader.h"
#include "util/buf.h"
#include "util/utf8.h"

/* Rows collected as text: fields joined by '|', NULL as <N>, rows by '\n'. */
typedef struct {
    ubuf_t out;
    int stop_at; /* > 0: the callback fails on this row */
    int rows;
} sink_t;

static int collect(void *ctx, const eng_value_t *f, size_t n, uerr_t *err)
{
    sink_t *s = ctx;
    if (++s->rows == s->stop_at) {
        uerr_set(err, "XX001", "stop");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (i)
            ubuf_putc(&s->out, '|');
        if (f[i].len < 0)
            ubuf_puts(&s->out, "<N>");
        else
            ubuf_append(&s->out, f[i].data, (size_t)f[i].len);
    }
    ubuf_putc(&s->out, '\n');
    return 0;
}

static copy_opts_t opts(const char *stmt)
{
    copy_opts_t o;
    const char *state = NULL, *msg = NULL;
    if (copy_parse(stmt, strlen(stmt), &o, &state, &msg) != COPY_OK)
        fail_msg("[%s] does not parse: %s", stmt, msg ? msg : "?");
    return o;
}

/* Feeds data in pieces of `piece` bytes (0: split once at `split`). Returns the rows as text,
 * or NULL with the SQLSTATE in state[6] on failure. The caller frees. */
static char *run(const char *stmt, const char *data, size_t n, size_t ncols, size_t piece,
                 size_t split, char state[6], size_t max_row)
{
    copy_opts_t o = opts(stmt);
    copy_reader_t *r = copy_reader_new(&o, ncols, NULL, max_row);
    sink_t s = {UBUF_INIT, 0, 0};
    uerr_t err = UERR_INIT;
    int rc = 0;
    if (piece) {
        for (size_t i = 0; i < n && rc == 0; i += piece)
            rc = copy_reader_feed(r, data + i, n - i < piece ? n - i : piece, collect, &s, &err);
    } else {
        rc = copy_reader_feed(r, data, split, collect, &s, &err);
        if (rc == 0)
            rc = copy_reader_feed(r, data + split, n - split, collect, &s, &err);
    }
    if (rc == 0)
        rc = copy_reader_finish(r, collect, &s, &err);
    copy_reader_free(r);
    copy_opts_free(&o);
    state[0] = '\0';
    if (rc != 0) {
        assert_true(uerr_isset(&err));
        memcpy(state, err.sqlstate, 6);
        uerr_clear(&err);
        ubuf_free(&s.out);
        return NULL;
    }
    ubuf_cstr(&s.out);
    return s.out.data ? s.out.data : calloc(1, 1);
}

/* The stream must give `want` rows (or fail with want_state) however it is cut. */
static void expect_n(const char *stmt, const char *data, size_t n, size_t ncols, const char *want,
                     const char *want_state)
{
    char state[6];
    for (size_t mode = 0; mode <= n + 1; mode++) {
        /* mode 0: whole; 1: byte by byte; 2..n+1: two pieces split at mode - 1 */
        size_t piece = mode == 0 ? n + 1 : mode == 1 ? 1 : 0;
        char *got = run(stmt, data, n, ncols, piece, mode >= 2 ? mode - 1 : 0, state, 1 << 20);
        if (want_state) {
            if (got || strcmp(state, want_state) != 0)
                fail_msg("[%s] mode %zu: want SQLSTATE %s, got %s [%s]", stmt, mode, want_state,
                         got ? "rows" : state, got ? got : "");
        } else if (!got || strcmp(got, want) != 0) {
            fail_msg("[%s] mode %zu:\n got  [%s] (%s)\n want [%s]", stmt, mode, got ? got : "",
                     state, want);
        }
        free(got);
    }
}

static void expect(const char *stmt, const char *data, size_t ncols, const char *want,
                   const char *want_state)
{
    expect_n(stmt, data, strlen(data), ncols, want, want_state);
}

static const char *T = "COPY t FROM STDIN";

static void test_text_rows_and_escapes(void **state)
{
    (void)state;
    expect(T, "1\ta\n2\tb\n", 2, "1|a\n2|b\n", NULL);
    expect(T, "1\ta", 2, "1|a\n", NULL);                  /* last line without newline */
    expect(T, "1\ta\r\n2\tb\r\n", 2, "1|a\n2|b\n", NULL); /* \r\n line endings */
    expect(T, "\\N\t\n", 2, "<N>|\n", NULL);              /* NULL and an empty string */
    expect(T, "a\\tb\\nc\\\\d\\re\\bf\\fg\\vh\n", 1, "a\tb\nc\\d\re\bf\fg\vh\n", NULL);
    expect(T, "\\101\\x42\\x4a\\7\\q\n", 1, "ABJ\aq\n", NULL); /* octal, hex, other */
    expect(T, "\\xg\n", 1, "xg\n", NULL);                      /* \x without hex digits is 'x' */
    expect(T, "a\\\nb\n", 1, "a\nb\n", NULL);                  /* escaped newline is data */
    expect(T, "a\\\\\nb\n", 1, "a\\\nb\n", NULL);              /* even backslashes: the row ends */
    expect(T, "a\\\tb\n", 1, "a\tb\n", NULL);                  /* escaped delimiter is data */
    expect(T, "\\N\n", 1, "<N>\n", NULL);
    expect(T, "\\\\N\n", 1, "\\N\n", NULL); /* escaped: the text \N, not NULL */
    expect(T, "\n", 1, "\n", NULL);         /* empty line, one column: '' */
    expect(T, "é\tü\n", 2, "é|ü\n", NULL);
    expect("COPY t FROM STDIN (DELIMITER '|', NULL 'nil')", "1|nil|\\|x\n", 3, "1|<N>||x\n", NULL);
    expect("COPY t FROM STDIN (HEADER)", "a\tb\n1\t2\n", 2, "1|2\n", NULL);
}

static void test_text_end_marker(void **state)
{
    (void)state;
    expect(T, "1\n\\.\n2\n", 1, "1\n", NULL); /* the rest is ignored */
    expect(T, "1\n\\.", 1, "1\n", NULL);
    expect(T, "1\n\\.\r\n", 1, "1\n", NULL);
    expect(T, "1\t2\\.\n", 2, "1|2\n", NULL); /* at the end of a row: that row is the last */
    expect(T, "1\\.x\n", 1, NULL, "22P04");   /* marker corrupt */
}

static void test_text_errors(void **state)
{
    (void)state;
    expect(T, "1\n", 2, NULL, "22P04");       /* missing data for column 2 */
    expect(T, "1\t2\t3\n", 2, NULL, "22P04"); /* extra data after last expected column */
    expect(T, "a\rb\n", 1, NULL, "22P04");    /* literal carriage return */
    expect(T, "\xff\n", 1, NULL, "22021");
    expect(T, "\xc3\n", 1, NULL, "22021");    /* truncated sequence */
    expect(T, "\\377\n", 1, NULL, "22021");   /* an escape yielding invalid UTF-8 */
    expect(T, "a\\000b\n", 1, NULL, "22021"); /* NUL */
    expect_n(T, "a\0b\n", 4, 1, NULL, "22021");
}

/* Rows without escapes, quotes or carriage returns are split eight bytes at a time: fields
 * across and at word boundaries, the padded last bytes, NULL strings, delimiters that collide
 * with the padding, and the errors such a row can raise (invalid UTF-8 winning, as on the
 * general path). */
static void test_plain_rows(void **state)
{
    (void)state;
    const char *C = "COPY t FROM STDIN (FORMAT csv)";
    expect(T, "1234567\t12345678\t123456789\t\t1234567890123456\n", 5,
           "1234567|12345678|123456789||1234567890123456\n", NULL);
    expect(T, "\t\t\t\t\t\t\t\t\n", 9, "||||||||\n", NULL); /* nine empty fields */
    expect(T, "abcdefg\n", 1, "abcdefg\n", NULL);
    expect(T, "abcdefgh\n", 1, "abcdefgh\n", NULL);
    expect(T, "abcdefghi\n", 1, "abcdefghi\n", NULL);
    expect(T, "1\t2\t3\t4\t5\t6\t7\t8\t9\n", 9, "1|2|3|4|5|6|7|8|9\n", NULL);
    expect("COPY t FROM STDIN (DELIMITER '|', NULL 'nil')", "nil|a|nil|nilx|xnil\n", 5,
           "<N>|a|<N>|nilx|xnil\n", NULL);
    expect("COPY t FROM STDIN (DELIMITER ' ')", "a b  c\n", 4, "a|b||c\n", NULL);
    expect("COPY t FROM STDIN (DELIMITER '!')", "a! !c\n", 3, "a| |c\n", NULL);
    expect(C, "1,,\"\",x\n", 4, "1|<N>||x\n", NULL); /* unquoted empty: NULL; quoted: '' */
    expect(C, "12345678,123456789\n12,\"a\"\n", 2, "12345678|123456789\n12|a\n", NULL);
    expect("COPY t FROM STDIN (FORMAT csv, QUOTE '''')", "a\"b,'c,d'\n", 2, "a\"b|c,d\n", NULL);
    expect(T, "é\tabcdefgh\tü\n", 3, "é|abcdefgh|ü\n", NULL);
    /* text NULLs ("\N") stay on the fast path; any other backslash leaves it */
    expect(T, "\\N\tabcdefgh\t\\N\t1234567\\N\t\\N\n", 5, "<N>|abcdefgh|<N>|1234567N|<N>\n", NULL);
    expect(T, "1\t\\Nx\t\\\\N\t\\n\n", 4, "1|Nx|\\N|\n\n", NULL);
    expect(T, "\\N\n", 1, "<N>\n", NULL);
    expect(T, "\\N\t\\N\t\\N\n", 2, NULL, "22P04");
    expect(T, "\\N\tab\\000\n", 1, NULL, "22021"); /* a NUL escape before the extra data */
    expect("COPY t FROM STDIN (NULL '\\x')", "\\x\t\\N\n", 2, "<N>|N\n", NULL);
    /* errors */
    expect(T, "1\t2\t3\n", 2, NULL, "22P04");         /* extra data */
    expect(T, "1\t2\t3\xff\n", 2, NULL, "22021");     /* invalid UTF-8 first */
    expect(T, "abcdefghijk\xff\n", 1, NULL, "22021"); /* in the padded last bytes */
    expect(T,
           "abc\xff"
           "defghijk\n",
           1, NULL, "22021");                             /* in a whole word */
    expect_n(T, "abcdefghij\0k\n", 13, 1, NULL, "22021"); /* NUL in the last bytes */
    expect_n(T, "ab\0cdefghijk\n", 13, 1, NULL, "22021"); /* NUL in a word */
    expect(T, "1\t2\n", 3, NULL, "22P04");                /* missing data */
    expect(C, "1,2,3\n", 2, NULL, "22P04");
}

static void test_csv(void **state)
{
    (void)state;
    const char *C = "COPY t FROM STDIN (FORMAT csv)";
    expect(C, "1,a\n2,\"b,c\"\n", 2, "1|a\n2|b,c\n", NULL);
    expect(C, "\"multi\nline\",x\n", 2, "multi\nline|x\n", NULL);
    expect(C, "\"q\"\"uote\",\"\"\n", 2, "q\"uote|\n", NULL); /* quoted "" is '' not NULL */
    expect(C, ",\n", 2, "<N>|<N>\n", NULL);
    expect(C, "ab\"cd\"ef,x\n", 2, "abcdef|x\n", NULL); /* quotes inside a field */
    expect(C, "\"a\r\nb\"\r\n", 1, "a\r\nb\n", NULL);
    expect(C, "\\.\n", 1, "", NULL);
    expect(C, "\"\\.\"\n", 1, "\\.\n", NULL); /* quoted: data */
    expect(C, "a\n\\.\nb\n", 1, "a\n", NULL);
    expect(C, "\"open\n", 1, NULL, "22P04");
    expect(C, "a\rb\n", 1, NULL, "22P04");
    expect("COPY t FROM STDIN (FORMAT csv, HEADER, DELIMITER ';', NULL 'N', QUOTE '''', "
           "ESCAPE '\\')",
           "h1;h2\n'a\\'b\\\\';N\n'N';\n", 2, "a'b\\|<N>\nN|\n", NULL);
    expect("COPY t FROM STDIN (FORMAT csv, ESCAPE '\\')", "\"a\\\"\nb\",c\n", 2, "a\"\nb|c\n",
           NULL);
    /* fields used where they lie, and the spellings that leave that path mid-row */
    expect(C, "\"abc\",def,\"\",,\"x y\"\n", 5, "abc|def||<N>|x y\n", NULL);
    expect(C, "\"a\"b,c,\"d\"\n", 3, "ab|c|d\n", NULL);
    expect(C, "x,\"a\"\"b\",\"c\"\n", 3, "x|a\"b|c\n", NULL);
    expect(C, "\"a,b\",\"c\nd\"\n", 2, "a,b|c\nd\n", NULL);
    expect("COPY t FROM STDIN (FORMAT csv, ESCAPE '\\')", "\"a\\b\",\"c\"\n", 2, "a\\b|c\n", NULL);
    expect(C, "\"a\",\"b\",\"c\"\n", 2, NULL, "22P04"); /* extra data */
    expect(C, "1,\"a\rb\",x\ry\n", 3, NULL, "22P04");   /* unquoted carriage return */
}

/* A binary COPY stream: the header, then tuples given as (count, len, bytes...) triples. */
static size_t bin_stream(char *buf, const char *tuples, size_t tlen, bool trailer)
{
    static const char hdr[19] = "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0";
    memcpy(buf, hdr, 19);
    memcpy(buf + 19, tuples, tlen);
    size_t n = 19 + tlen;
    if (trailer) {
        buf[n++] = (char)0xFF;
        buf[n++] = (char)0xFF;
    }
    return n;
}

static void test_binary(void **state)
{
    (void)state;
    const char *B = "COPY t FROM STDIN (FORMAT binary)";
    char buf[256];
    /* (2 fields: "ab", NULL), (2 fields: "xy", "") */
    static const char tup[] = "\0\2"
                              "\0\0\0\2ab"
                              "\xff\xff\xff\xff"
                              "\0\2"
                              "\0\0\0\2xy"
                              "\0\0\0\0";
    size_t n = bin_stream(buf, tup, sizeof tup - 1, true);
    expect_n(B, buf, n, 2, "ab|<N>\nxy|\n", NULL);
    static const char tup1[] = "\0\1\0\0\0\3abc";
    n = bin_stream(buf, tup1, sizeof tup1 - 1, true);
    expect_n(B, buf, n, 1, "abc\n", NULL);
    n = bin_stream(buf, tup1, sizeof tup1 - 1, false); /* no trailer: fine at a boundary */
    expect_n(B, buf, n, 1, "abc\n", NULL);
    expect_n(B, buf, n - 1, 1, NULL, "22P04");  /* cut inside a tuple */
    expect_n(B, buf, 10, 1, NULL, "22P04");     /* cut inside the header */
    static const char tup2[] = "\0\2\0\0\0\1a"; /* two fields announced for one column */
    n = bin_stream(buf, tup2, sizeof tup2 - 1, true);
    expect_n(B, buf, n, 1, NULL, "22P04");
    static const char tup3[] = "\0\1\xff\xff\xff\xfe"; /* length -2 */
    n = bin_stream(buf, tup3, sizeof tup3 - 1, true);
    expect_n(B, buf, n, 1, NULL, "22P04");
    memcpy(buf, "PGCOPX", 6);
    expect_n(B, buf, n, 1, NULL, "22P04"); /* signature */
    n = bin_stream(buf, tup1, sizeof tup1 - 1, true);
    buf[12] = 1; /* flags bit 16: WITH OIDS */
    expect_n(B, buf, n, 1, NULL, "22P04");
    expect_n(B, "", 0, 1, NULL, "22P04"); /* nothing at all */
}

static void test_limits_and_callback_errors(void **state)
{
    (void)state;
    char st[6];
    char *got = run(T, "12345678901\n", 12, 1, 3, 0, st, 10); /* a row over the cap */
    assert_null(got);
    assert_string_equal(st, "54000");
    got = run(T, "1234567\n123\n", 12, 1, 3, 0, st, 10);
    assert_string_equal(got, "1234567\n123\n");
    free(got);
    char big[64] = "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0"
                   "\0\1\0\0\1\0"; /* a 256-byte field, cap 100 */
    got = run("COPY t FROM STDIN (FORMAT binary)", big, 25, 1, 25, 0, st, 100);
    assert_null(got);
    assert_string_equal(st, "54000");

    /* the callback's error stops the stream */
    copy_opts_t o = opts(T);
    copy_reader_t *r = copy_reader_new(&o, 1, NULL, 100);
    sink_t s = {UBUF_INIT, 2, 0};
    uerr_t err = UERR_INIT;
    assert_int_equal(copy_reader_feed(r, "a\nb\nc\n", 6, collect, &s, &err), -1);
    assert_string_equal(err.sqlstate, "XX001");
    assert_int_equal(copy_reader_line(r), 2);
    assert_int_equal(copy_reader_rows(r), 2);
    uerr_clear(&err);
    ubuf_free(&s.out);
    copy_reader_free(r);
    copy_opts_free(&o);
}

static void test_utf8(void **state)
{
    (void)state;
    size_t at = 0;
    assert_true(uutf8_valid("", 0, NULL));
    assert_true(uutf8_valid("plain ascii, long enough for the fast path", 42, NULL));
    static const char mixed[] = "é ü 日本 \xf0\x9f\x98\x80";
    assert_true(uutf8_valid(mixed, sizeof mixed - 1, NULL));
    assert_true(uutf8_valid("\xed\x9f\xbf\xf4\x8f\xbf\xbf", 7, NULL)); /* U+D7FF, U+10FFFF */
    static const char *const bad[] = {"\x80",
                                      "\xc0\xaf",
                                      "\xc1\xbf",
                                      "\xe0\x80\xaf",
                                      "\xed\xa0\x80",
                                      "\xf0\x80\x80\xaf",
                                      "\xf4\x90\x80\x80",
                                      "\xf5\x80\x80\x80",
                                      "\xe6\x97",
                                      "\xff"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char b[32];
        size_t n = (size_t)snprintf(b, sizeof b, "abcdefgh%s", bad[i]);
        if (uutf8_valid(b, n, &at))
            fail_msg("bad sequence %zu accepted", i);
        assert_int_equal(at, 8);
    }
    assert_false(uutf8_valid("abcdefgh\0", 9, &at)); /* NUL inside the fast path's word */
    assert_int_equal(at, 8);
    assert_false(uutf8_valid("ab\0cdefghijk", 12, &at));
    assert_int_equal(at, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_rows_and_escapes),
        cmocka_unit_test(test_text_end_marker),
        cmocka_unit_test(test_text_errors),
        cmocka_unit_test(test_plain_rows),
        cmocka_unit_test(test_csv),
        cmocka_unit_test(test_binary),
        cmocka_unit_test(test_limits_and_callback_errors),
        cmocka_unit_test(test_utf8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
