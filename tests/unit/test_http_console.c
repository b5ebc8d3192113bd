/* Unit tests for the embedded web console: file lookup by path (index, names, refusals of
 * anything that is not a plain embedded name), content types and the entity tag. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "http/console.h"

static void test_console_lookup(void **state)
{
    const unsigned char *data, *index;
    size_t len, index_len;
    const char *type;
    assert_true(http_console_asset("/", &index, &index_len, &type));
    assert_string_equal(type, "text/html; charset=utf-8");
    assert_non_null(strstr((const char *)index, "<title>duckd console</title>"));
    assert_int_equal(index[index_len], '\0');
    assert_true(http_console_asset("/console/", &data, &len, &type));
    assert_ptr_equal(data, index);
    assert_true(http_console_asset("/console/console.js", &data, &len, &type));
    assert_string_equal(type, "text/javascript; charset=utf-8");
    assert_true(len > 1000);
    assert_true(http_console_asset("/console/console.css", &data, &len, &type));
    assert_string_equal(type, "text/css; charset=utf-8");
    assert_true(http_console_asset("/console/favicon.svg", &data, &len, &type));
    assert_string_equal(type, "image/svg+xml");
    const char *no[] = {"/console/nope.js",
                        "/console/../web/index.html",
                        "/console/a/b.js",
                        "/console/web/index.html",
                        "/console",
                        "/index.html",
                        "",
                        "//",
                        "/console//index.html",
                        "/console/index.html/"};
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        assert_false(http_console_asset(no[i], &data, &len, &type));
    const char *etag = http_console_etag();
    assert_true(strlen(etag) > 2 && etag[0] == '"' && etag[strlen(etag) - 1] == '"');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_console_lookup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
