/* Unit tests for the access rules: the default rule set, first-match order, IPv4 and IPv6
 * CIDRs (including prefixes that end inside a byte), IPv4-mapped IPv6 addresses, TLS-only and
 * plain-only listeners, user lists and malformed lines with their line numbers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <netinet/in.h>

#include "pgwire/hba.h"

/* A socket address from text ("1.2.3.4" or "::1"), in static storage. */
static const struct sockaddr *sa(const char *text)
{
    static struct sockaddr_storage ss[4];
    static int next;
    struct sockaddr_storage *s = &ss[next++ % 4];
    memset(s, 0, sizeof *s);
    if (strchr(text, ':')) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)s;
        a->sin6_family = AF_INET6;
        assert_int_equal(inet_pton(AF_INET6, text, &a->sin6_addr), 1);
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)s;
        a->sin_family = AF_INET;
        assert_int_equal(inet_pton(AF_INET, text, &a->sin_addr), 1);
    }
    return (const struct sockaddr *)s;
}

static pgw_hba_t *parse_ok(const char *text)
{
    pgw_hba_t *h = NULL;
    uerr_t err = UERR_INIT;
    if (pgw_hba_parse(text, strlen(text), "hba", &h, &err) != 0)
        fail_msg("unexpected error: %s", err.message);
    return h;
}

static pgw_hba_method_t tcp(const pgw_hba_t *h, const char *addr, bool tls, const char *user)
{
    return pgw_hba_match(h, PGW_LISTENER_TCP, addr ? sa(addr) : NULL, tls, user);
}

static void test_default_rules(void **state)
{
    pgw_hba_t *h = pgw_hba_default();
    assert_int_equal(pgw_hba_match(h, PGW_LISTENER_UNIX, NULL, false, "alice"), PGW_HBA_PEER);
    assert_int_equal(tcp(h, "127.0.0.1", false, "alice"), PGW_HBA_SCRAM);
    assert_int_equal(tcp(h, "::1", true, "bob"), PGW_HBA_SCRAM);
    assert_int_equal(tcp(h, NULL, false, "bob"), PGW_HBA_SCRAM);
    pgw_hba_free(h);
    assert_string_equal(pgw_hba_method_name(PGW_HBA_SCRAM), "scram-sha-256");
    assert_string_equal(pgw_hba_method_name(PGW_HBA_REJECT), "reject");
}

static void test_first_match_and_no_match(void **state)
{
    pgw_hba_t *h = parse_ok("# comment\n"
                            "\n"
                            "tcp 127.0.0.1/32 admin trust\n"
                            "tcp 127.0.0.0/8 all scram-sha-256\r\n"
                            "tcp 127.0.0.1/32 all trust\n"
                            "\ttcp\t10.0.0.0/8\tmallory,eve\treject\t\n"
                            "tcp 10.0.0.0/8 all scram-sha-256\n");
    assert_int_equal(tcp(h, "127.0.0.1", false, "admin"), PGW_HBA_TRUST);
    assert_int_equal(tcp(h, "127.0.0.1", false, "alice"), PGW_HBA_SCRAM); /* line 4 first */
    assert_int_equal(tcp(h, "127.255.0.9", false, "admin"), PGW_HBA_SCRAM);
    assert_int_equal(tcp(h, "10.1.2.3", false, "eve"), PGW_HBA_REJECT);
    assert_int_equal(tcp(h, "10.1.2.3", false, "mallory"), PGW_HBA_REJECT);
    assert_int_equal(tcp(h, "10.1.2.3", false, "evelyn"), PGW_HBA_SCRAM);
    assert_int_equal(tcp(h, "11.0.0.1", false, "alice"), PGW_HBA_REJECT); /* no rule */
    assert_int_equal(tcp(h, "::1", false, "admin"), PGW_HBA_REJECT);      /* v4 rules only */
    assert_int_equal(tcp(h, NULL, false, "admin"), PGW_HBA_REJECT);
    assert_int_equal(pgw_hba_match(h, PGW_LISTENER_UNIX, NULL, false, "admin"), PGW_HBA_REJECT);
    pgw_hba_free(h);
    h = parse_ok("");
    assert_int_equal(tcp(h, "127.0.0.1", false, "a"), PGW_HBA_REJECT);
    pgw_hba_free(h);
    assert_int_equal(tcp(NULL, "127.0.0.1", false, "a"), PGW_HBA_REJECT);
}

static void test_cidr(void **state)
{
    pgw_hba_t *h = parse_ok("tcp 192.168.1.128/25 all trust\n"
                            "tcp 172.16.0.0/12 all trust\n"
                            "tcp 10.9.9.9/8 all trust\n" /* host bits ignored */
                            "tcp 2001:db8::/33 all trust\n"
                            "tcp ::1/128 all trust\n"
                            "tcp 0.0.0.0/0 all scram-sha-256\n");
    assert_int_equal(tcp(h, "192.168.1.128", false, "u"), PGW_HBA_TRUST);
    assert_int_equal(tcp(h, "192.168.1.255", false, "u"), PGW_HBA_TRUST);
    assert_int_equal(tcp(h, "192.168.1.127", false, "u"), PGW_HBA_SCRAM);
    assert_int_equal(tcp(h, "172.31.255.255", false, "u"), PGW_HBA_TRUST);
    assert_int_equal(tcp(h, "172.32.0.0", false, "u"), PGW_HBA_SCRAM);
    assert_int_equal(tcp(h, "10.200.1.1", false, "u"), PGW_HBA_TRUST);
    assert_int_equal(tcp(h, "2001:db8:7fff::1", false, "u"), PGW_HBA_TRUST);
    assert_int_equal(tcp(h, "2001:db8:8000::1", false, "u"), PGW_HBA_REJECT);
    assert_int_equal(tcp(h, "::1", false, "u"), PGW_HBA_TRUST);
    assert_int_equal(tcp(h, "::2", false, "u"), PGW_HBA_REJECT); /* 0.0.0.0/0 is IPv4 only */
    /* IPv4-mapped IPv6 addresses match IPv4 rules. */
    assert_int_equal(tcp(h, "::ffff:192.168.1.200", false, "u"), PGW_HBA_TRUST);
    assert_int_equal(tcp(h, "::ffff:8.8.8.8", false, "u"), PGW_HBA_SCRAM);
    pgw_hba_free(h);
    h = parse_ok("tcp ::ffff:0:0/96 all trust\ntcp ::/0 all reject\n");
    assert_int_equal(tcp(h, "::ffff:1.2.3.4", false, "u"), PGW_HBA_TRUST);
    assert_int_equal(tcp(h, "1.2.3.4", false, "u"), PGW_HBA_REJECT);
    assert_int_equal(tcp(h, "fe80::1", false, "u"), PGW_HBA_REJECT);
    pgw_hba_free(h);
}

static void test_listeners(void **state)
{
    pgw_hba_t *h = parse_ok("tcpssl all all scram-sha-256\n"
                            "tcpnossl 127.0.0.1/32 all trust\n"
                            "unix - root trust\n"
                            "all all ro reject\n"
                            "unix - all peer\n");
    assert_int_equal(tcp(h, "8.8.8.8", true, "u"), PGW_HBA_SCRAM);
    assert_int_equal(tcp(h, "8.8.8.8", false, "u"), PGW_HBA_REJECT);
    assert_int_equal(tcp(h, "127.0.0.1", false, "u"), PGW_HBA_TRUST);
    assert_int_equal(pgw_hba_match(h, PGW_LISTENER_UNIX, NULL, false, "root"), PGW_HBA_TRUST);
    assert_int_equal(pgw_hba_match(h, PGW_LISTENER_UNIX, NULL, false, "ro"), PGW_HBA_REJECT);
    assert_int_equal(pgw_hba_match(h, PGW_LISTENER_UNIX, NULL, false, "u"), PGW_HBA_PEER);
    pgw_hba_free(h);
    /* "all" with a CIDR matches TCP only. */
    h = parse_ok("all 127.0.0.1/32 all trust\n");
    assert_int_equal(tcp(h, "127.0.0.1", true, "u"), PGW_HBA_TRUST);
    assert_int_equal(pgw_hba_match(h, PGW_LISTENER_UNIX, NULL, false, "u"), PGW_HBA_REJECT);
    pgw_hba_free(h);
}

static void test_user_lists(void **state)
{
    pgw_hba_t *h = parse_ok("tcp all alice,bob,c trust\ntcp all all reject\n");
    assert_int_equal(tcp(h, "1.1.1.1", false, "alice"), PGW_HBA_TRUST);
    assert_int_equal(tcp(h, "1.1.1.1", false, "bob"), PGW_HBA_TRUST);
    assert_int_equal(tcp(h, "1.1.1.1", false, "c"), PGW_HBA_TRUST);
    assert_int_equal(tcp(h, "1.1.1.1", false, "Alice"), PGW_HBA_REJECT);
    assert_int_equal(tcp(h, "1.1.1.1", false, "ali"), PGW_HBA_REJECT);
    assert_int_equal(tcp(h, "1.1.1.1", false, ""), PGW_HBA_REJECT);
    pgw_hba_free(h);
}

static void expect_error(const char *text, const char *want)
{
    pgw_hba_t *h = (pgw_hba_t *)1;
    uerr_t err = UERR_INIT;
    assert_int_equal(pgw_hba_parse(text, strlen(text), "hba.conf", &h, &err), -1);
    assert_null(h);
    assert_string_equal(err.sqlstate, "F0000");
    if (strcmp(err.message, want) != 0)
        fail_msg("got \"%s\", want \"%s\"", err.message, want);
    uerr_clear(&err);
}

static void test_malformed(void **state)
{
    expect_error("tcp all all", "hba.conf:1: expected \"LISTENER ADDRESS USER METHOD\"");
    expect_error("# x\ntcp all all trust extra\n", "hba.conf:2: expected \"LISTENER ADDRESS "
                                                   "USER METHOD\"");
    expect_error("\n\nhost all all trust\n",
                 "hba.conf:3: invalid listener (unix, tcp, tcpssl, tcpnossl or all)");
    static const char *bad_addr[] = {"1.2.3.4",     "1.2.3.4/33", "1.2.3.4/",  "/8",
                                     "::1/129",     "1.2.3/8",    "1.2.3.4/x", "::1/0128",
                                     "localhost/8", "1.2.3.4/-1", "::g/64"};
    for (size_t i = 0; i < sizeof bad_addr / sizeof bad_addr[0]; i++) {
        char line[80];
        snprintf(line, sizeof line, "tcp %s all trust\n", bad_addr[i]);
        expect_error(line, "hba.conf:1: invalid address (\"-\", all, or a CIDR such as "
                           "10.0.0.0/8 or ::1/128)");
    }
    expect_error("unix all all trust", "hba.conf:1: the address of a unix rule must be \"-\"");
    expect_error("tcp - all trust", "hba.conf:1: address \"-\" is only valid in unix rules");
    expect_error("all - all trust", "hba.conf:1: address \"-\" is only valid in unix rules");
    expect_error("tcp all a,,b trust",
                 "hba.conf:1: invalid user list (all, or names separated by commas)");
    expect_error("tcp all a, trust",
                 "hba.conf:1: invalid user list (all, or names separated by commas)");
    expect_error("tcp all ,a trust",
                 "hba.conf:1: invalid user list (all, or names separated by commas)");
    expect_error("tcp all all md5",
                 "hba.conf:1: invalid method (trust, peer, scram-sha-256 or reject)");
    expect_error("tcp all all SCRAM-SHA-256",
                 "hba.conf:1: invalid method (trust, peer, scram-sha-256 or reject)");
    expect_error("tcp all all peer", "hba.conf:1: peer authentication is only supported in unix "
                                     "rules");
    static const char nul[] = "tcp all all tr\0ust\n";
    pgw_hba_t *h;
    uerr_t err = UERR_INIT;
    assert_int_equal(pgw_hba_parse(nul, sizeof nul - 1, "x", &h, &err), -1);
    assert_string_equal(err.message, "x:1: NUL byte in rule");
    uerr_clear(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_rules), cmocka_unit_test(test_first_match_and_no_match),
        cmocka_unit_test(test_cidr),          cmocka_unit_test(test_listeners),
        cmocka_unit_test(test_user_lists),    cmocka_unit_test(test_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
