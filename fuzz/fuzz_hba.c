/* libFuzzer target for the access-rule parser: arbitrary bytes as rules, then a match for a
 * few fixed connections (Unix, IPv4, IPv6, IPv4-mapped, no address) with and without TLS. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pgwire/hba.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void match_all(const pgw_hba_t *h)
{
    static const char *const addrs[] = {"127.0.0.1", "10.1.2.3", "::1", "::ffff:10.1.2.3",
                                        "2001:db8::1"};
    static const char *const users[] = {"alice", "all", "", "bob"};
    for (size_t u = 0; u < 4; u++) {
        if ((unsigned)pgw_hba_match(h, PGW_LISTENER_UNIX, NULL, false, users[u]) > PGW_HBA_SCRAM ||
            (unsigned)pgw_hba_match(h, PGW_LISTENER_TCP, NULL, true, users[u]) > PGW_HBA_SCRAM)
            abort();
        for (size_t a = 0; a < 5; a++) {
            struct sockaddr_storage ss;
            memset(&ss, 0, sizeof ss);
            if (strchr(addrs[a], ':')) {
                struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
                s6->sin6_family = AF_INET6;
                inet_pton(AF_INET6, addrs[a], &s6->sin6_addr);
            } else {
                struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
                s4->sin_family = AF_INET;
                inet_pton(AF_INET, addrs[a], &s4->sin_addr);
            }
            for (int tls = 0; tls < 2; tls++) {
                pgw_hba_method_t m =
                    pgw_hba_match(h, PGW_LISTENER_TCP, (const struct sockaddr *)&ss, tls, users[u]);
                if (m == PGW_HBA_PEER || (unsigned)m > PGW_HBA_SCRAM)
                    abort(); /* peer is refused in TCP rules at parse time */
            }
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size ? size : 1);
    memcpy(text, data, size);
    pgw_hba_t *h = NULL;
    uerr_t err = UERR_INIT;
    if (pgw_hba_parse(text, size, "fuzz", &h, &err) == 0)
        match_all(h);
    else if (h != NULL || err.message == NULL)
        abort();
    pgw_hba_free(h);
    uerr_clear(&err);
    free(text);
    return 0;
}
