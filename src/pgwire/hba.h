/* pgwire access rules in the spirit of pg_hba.conf: "LISTENER ADDRESS USER METHOD" lines,
 * first match wins, no match rejects. Decides which authentication method a connection gets
 * from how it arrived (Unix socket or TCP, with or without TLS), its address and its user. */
#ifndef DUCKD_PGWIRE_HBA_H
#define DUCKD_PGWIRE_HBA_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "util/err.h"

/* The default rules: peer authentication on the Unix socket, SCRAM on every TCP address. */
#define PGW_HBA_DEFAULT "unix - all peer\ntcp all all scram-sha-256\n"

typedef enum {
    PGW_HBA_REJECT = 0, /* refuse the connection (also the result when no rule matches) */
    PGW_HBA_TRUST,      /* accept without a password */
    PGW_HBA_PEER,       /* the OS user of a Unix-socket peer (SO_PEERCRED) must equal the user */
    PGW_HBA_SCRAM       /* SCRAM-SHA-256 against the users file */
} pgw_hba_method_t;

typedef enum {
    PGW_LISTENER_UNIX = 0, /* a Unix-domain socket connection */
    PGW_LISTENER_TCP       /* a TCP connection, plain or TLS (see the tls argument) */
} pgw_listener_t;

typedef struct pgw_hba pgw_hba_t;

/* Parses rules from text (len bytes): one rule per line, '#' comment lines and blank lines
 * allowed, fields separated by blanks.
 *   LISTENER  unix | tcp (plain and TLS) | tcpssl (TLS only) | tcpnossl (plain only) | all
 *   ADDRESS   "-" (unix only), all, or an IPv4/IPv6 CIDR such as 10.0.0.0/8 or ::1/128 (host
 *             bits beyond the prefix are ignored, as in PostgreSQL)
 *   USER      all, or a comma-separated list of names (no empty items)
 *   METHOD    trust | peer (unix only) | scram-sha-256 | reject
 * Returns 0 with rules the caller frees with pgw_hba_free, or -1 with *err set to F0000 and a
 * message "ORIGIN:LINE: ..." and *out NULL. */
int pgw_hba_parse(const char *text, size_t len, const char *origin, pgw_hba_t **out, uerr_t *err)
    __attribute__((warn_unused_result));
/* The rules of PGW_HBA_DEFAULT; the caller frees them with pgw_hba_free. Never returns NULL. */
pgw_hba_t *pgw_hba_default(void);
/* Frees rules; NULL is ignored. */
void pgw_hba_free(pgw_hba_t *rules);

/* The method of the first rule matching the connection, or PGW_HBA_REJECT. `addr` is the
 * peer address of a TCP connection (AF_INET or AF_INET6; an IPv4-mapped IPv6 address also
 * matches IPv4 rules), or NULL for a Unix socket (a NULL address matches only ADDRESS "all"
 * and "-" rules); `tls` tells whether the TCP connection is encrypted. All borrowed. */
pgw_hba_method_t pgw_hba_match(const pgw_hba_t *rules, pgw_listener_t kind,
                               const struct sockaddr *addr, bool tls, const char *user);
/* "reject" / "trust" / "peer" / "scram-sha-256". */
const char *pgw_hba_method_name(pgw_hba_method_t m);
/* True when some TCP rule trusts (no password) an address range beyond loopback: duckd then
 * refuses to listen on a non-loopback address. */
bool pgw_hba_trusts_remote(const pgw_hba_t *rules);

#endif
