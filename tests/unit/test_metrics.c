/* Unit tests of the metrics counters and their Prometheus exposition (info/metrics.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "info/metrics.h"
#include "util/mem.h"

static bool has_line(const char *text, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = text; (p = strstr(p, line)); p += n)
        if ((p == text || p[-1] == '\n') && p[n] == '\n')
            return true;
    return false;
}

static void test_render(void **state)
{
    ubuf_t out = UBUF_INIT;
    metrics_statement(MET_PGWIRE, 0.0002, NULL, 3);
    metrics_statement(MET_PGWIRE, 0.02, "42P01", 0);
    metrics_statement(MET_HTTP, 2.5, "57014", 0);
    metrics_statement(MET_HTTP, 400, "", 10);
    metrics_bytes_sent(MET_HTTP, 1234);
    umem_set_budget(1 << 20);
    umem_charge(UMEM_COPY, 4096);
    assert_int_equal(metrics_proto("http"), MET_HTTP);
    assert_int_equal(metrics_proto("nonsense"), MET_INTERNAL);
    metrics_render(&out);
    const char *t = ubuf_cstr(&out);
    const char *want[] = {
        "# TYPE duckd_statements_total counter",
        "duckd_statements_total{protocol=\"pgwire\",outcome=\"ok\"} 1",
        "duckd_statements_total{protocol=\"pgwire\",outcome=\"error\"} 1",
        "duckd_statements_total{protocol=\"http\",outcome=\"cancelled\"} 1",
        "duckd_statements_total{protocol=\"http\",outcome=\"ok\"} 1",
        "duckd_statement_duration_seconds_bucket{protocol=\"pgwire\",le=\"0.0005\"} 1",
        "duckd_statement_duration_seconds_bucket{protocol=\"pgwire\",le=\"0.01\"} 1",
        "duckd_statement_duration_seconds_bucket{protocol=\"pgwire\",le=\"0.05\"} 2",
        "duckd_statement_duration_seconds_bucket{protocol=\"http\",le=\"300\"} 1",
        "duckd_statement_duration_seconds_bucket{protocol=\"http\",le=\"+Inf\"} 2",
        "duckd_statement_duration_seconds_count{protocol=\"http\"} 2",
        "duckd_rows_sent_total{protocol=\"pgwire\"} 3",
        "duckd_rows_sent_total{protocol=\"http\"} 10",
        "duckd_bytes_sent_total{protocol=\"http\"} 1234",
        "duckd_errors_total{sqlstate=\"42P01\"} 1",
        "duckd_errors_total{sqlstate=\"57014\"} 1",
        "duckd_connections{protocol=\"pgwire\",state=\"active\"} 0",
        "# TYPE duckd_memory_bytes gauge",
        "duckd_memory_bytes{kind=\"copy\"} 4096",
        "duckd_memory_bytes{kind=\"input\"} 0",
        "duckd_memory_budget_bytes 1048576",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (!has_line(t, want[i]))
            fail_msg("missing line: %s\n%s", want[i], t);
    /* every sample line is "name{labels} value" or "name value" */
    for (const char *p = t; *p;) {
        const char *e = strchr(p, '\n');
        assert_non_null(e);
        if (*p != '#')
            assert_non_null(memchr(p, ' ', (size_t)(e - p)));
        p = e + 1;
    }
    ubuf_free(&out);
    umem_release(UMEM_COPY, 4096);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_render)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
