/* Access rules (see hba.h): a parser into a flat array of rules and a first-match lookup.
 * Addresses are kept as 16 bytes in network order (IPv4 in the first 4) with a prefix length,
 * so matching is a masked byte comparison. */
#include "pgwire/hba.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/fields.h"
#include "util/xalloc.h"

typedef enum { L_UNIX, L_TCP, L_TCPSSL, L_TCPNOSSL, L_ALL } listener_rule_t;

typedef enum {
    A_DASH, /* "-": Unix sockets */
    A_ALL,  /* any address, or none */
    A_V4,   /* IPv4 CIDR */
    A_V6    /* IPv6 CIDR */
} addr_rule_t;

typedef struct hba_rule {
    listener_rule_t listener;
    addr_rule_t addr_kind;
    uint8_t addr[16]; /* network order; IPv4 uses the first 4 bytes */
    unsigned prefix;  /* mask length in bits */
    char **users;     /* owned names; NULL = all */
    size_t nusers;
    pgw_hba_method_t method;
} hba_rule_t;

struct pgw_hba {
    hba_rule_t *rules; /* owned, in file order */
    size_t n;
};

static const char *const listener_names[] = {"unix", "tcp", "tcpssl", "tcpnossl", "all"};
static const char *const method_names[] = {"reject", "trust", "peer", "scram-sha-256"};

const char *pgw_hba_method_name(pgw_hba_method_t m)
{
    return (unsigned)m < 4 ? method_names[m] : "?";
}

/* Index of s[0..n) in names[0..count), or -1. */
static int lookup(const char *const *names, int count, const char *s, size_t n)
{
    for (int i = 0; i < count; i++)
        if (strlen(names[i]) == n && memcmp(names[i], s, n) == 0)
            return i;
    return -1;
}

static bool field_is(const char *s, size_t n, const char *word)
{
    return strlen(word) == n && memcmp(s, word, n) == 0;
}

/* Parses "ADDR/PREFIX" (IPv4 or IPv6) into r. */
static bool parse_cidr(const char *s, size_t n, hba_rule_t *r)
{
    char buf[64];
    const char *slash = memchr(s, '/', n);
    if (slash == NULL || n >= sizeof buf || slash == s)
        return false;
    size_t alen = (size_t)(slash - s), plen = n - alen - 1;
    memcpy(buf, s, alen);
    buf[alen] = '\0';
    bool v6 = memchr(buf, ':', alen) != NULL;
    if (inet_pton(v6 ? AF_INET6 : AF_INET, buf, r->addr) != 1)
        return false;
    unsigned prefix = 0, max = v6 ? 128 : 32;
    if (plen == 0 || plen > 3)
        return false;
    for (size_t i = 0; i < plen; i++) {
        if (slash[1 + i] < '0' || slash[1 + i] > '9')
            return false;
        prefix = prefix * 10 + (unsigned)(slash[1 + i] - '0');
    }
    if (prefix > max)
        return false;
    r->addr_kind = v6 ? A_V6 : A_V4;
    r->prefix = prefix;
    return true;
}

/* Parses "all" or "name,name,...". */
static bool parse_users(const char *s, size_t n, hba_rule_t *r)
{
    if (field_is(s, n, "all"))
        return true;
    size_t pos = 0;
    for (;;) {
        const char *comma = memchr(s + pos, ',', n - pos);
        size_t len = comma ? (size_t)(comma - (s + pos)) : n - pos;
        if (len == 0)
            return false;
        r->users = xrealloc(r->users, (r->nusers + 1) * sizeof *r->users);
        r->users[r->nusers++] = xstrndup(s + pos, len);
        if (comma == NULL)
            return true;
        pos += len + 1;
    }
}

static void rule_clear(hba_rule_t *r)
{
    for (size_t i = 0; i < r->nusers; i++)
        free(r->users[i]);
    free(r->users);
    memset(r, 0, sizeof *r);
}

/* Parses the four fields into r; on failure returns a static explanation. */
static const char *parse_rule(const ufields_t *fs, hba_rule_t *r)
{
    if (fs->count != 4)
        return "expected \"LISTENER ADDRESS USER METHOD\"";
    int l = lookup(listener_names, 5, fs->f[0], fs->n[0]);
    if (l < 0)
        return "invalid listener (unix, tcp, tcpssl, tcpnossl or all)";
    r->listener = (listener_rule_t)l;
    if (field_is(fs->f[1], fs->n[1], "-"))
        r->addr_kind = A_DASH;
    else if (field_is(fs->f[1], fs->n[1], "all"))
        r->addr_kind = A_ALL;
    else if (!parse_cidr(fs->f[1], fs->n[1], r))
        return "invalid address (\"-\", all, or a CIDR such as 10.0.0.0/8 or ::1/128)";
    if (r->listener == L_UNIX && r->addr_kind != A_DASH)
        return "the address of a unix rule must be \"-\"";
    if (r->listener != L_UNIX && r->addr_kind == A_DASH)
        return "address \"-\" is only valid in unix rules";
    if (!parse_users(fs->f[2], fs->n[2], r))
        return "invalid user list (all, or names separated by commas)";
    int m = lookup(method_names, 4, fs->f[3], fs->n[3]);
    if (m < 0)
        return "invalid method (trust, peer, scram-sha-256 or reject)";
    r->method = (pgw_hba_method_t)m;
    if (r->method == PGW_HBA_PEER && r->listener != L_UNIX)
        return "peer authentication is only supported in unix rules";
    return NULL;
}

int pgw_hba_parse(const char *text, size_t len, const char *origin, pgw_hba_t **out, uerr_t *err)
{
    pgw_hba_t *h = xcalloc(1, sizeof *h);
    size_t pos = 0, lineno = 0;
    *out = NULL;
    const char *line;
    size_t n;
    while (ulines_next(text, len, &pos, &line, &n)) {
        lineno++;
        ufields_t fs;
        ufields_split(line, n, 5, &fs);
        if (ufields_skip(&fs))
            continue;
        hba_rule_t r = {0};
        const char *why = memchr(line, '\0', n) ? "NUL byte in rule" : parse_rule(&fs, &r);
        if (why) {
            rule_clear(&r);
            uerr_set(err, "F0000", "%s:%zu: %s", origin, lineno, why);
            pgw_hba_free(h);
            return -1;
        }
        h->rules = xrealloc(h->rules, (h->n + 1) * sizeof *h->rules);
        h->rules[h->n++] = r;
    }
    *out = h;
    return 0;
}

pgw_hba_t *pgw_hba_default(void)
{
    pgw_hba_t *h = NULL;
    uerr_t err = UERR_INIT;
    if (pgw_hba_parse(PGW_HBA_DEFAULT, strlen(PGW_HBA_DEFAULT), "default", &h, &err) != 0)
        abort(); /* the built-in text is constant and parses */
    return h;
}

void pgw_hba_free(pgw_hba_t *rules)
{
    if (rules == NULL)
        return;
    for (size_t i = 0; i < rules->n; i++)
        rule_clear(&rules->rules[i]);
    free(rules->rules);
    free(rules);
}

/* ---- Matching ---- */

static bool prefix_equal(const uint8_t *a, const uint8_t *b, unsigned bits)
{
    unsigned whole = bits / 8, rest = bits % 8;
    if (memcmp(a, b, whole) != 0)
        return false;
    if (rest == 0)
        return true;
    uint8_t mask = (uint8_t)(0xFF << (8 - rest));
    return (a[whole] & mask) == (b[whole] & mask);
}

/* Does the connection address match rule r? v4 / v6 are NULL when not available. */
static bool addr_matches(const hba_rule_t *r, const uint8_t *v4, const uint8_t *v6)
{
    switch (r->addr_kind) {
    case A_ALL: return true;
    case A_DASH: return false; /* only reached for TCP, which unix rules never match */
    case A_V4: return v4 && prefix_equal(r->addr, v4, r->prefix);
    case A_V6: return v6 && prefix_equal(r->addr, v6, r->prefix);
    }
    return false;
}

static bool listener_matches(listener_rule_t l, pgw_listener_t kind, bool tls)
{
    if (kind == PGW_LISTENER_UNIX)
        return l == L_UNIX || l == L_ALL;
    return l == L_TCP || l == L_ALL || (l == L_TCPSSL && tls) || (l == L_TCPNOSSL && !tls);
}

static bool user_matches(const hba_rule_t *r, const char *user)
{
    if (r->users == NULL)
        return true;
    for (size_t i = 0; i < r->nusers; i++)
        if (strcmp(r->users[i], user) == 0)
            return true;
    return false;
}

pgw_hba_method_t pgw_hba_match(const pgw_hba_t *rules, pgw_listener_t kind,
                               const struct sockaddr *addr, bool tls, const char *user)
{
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
    const uint8_t *v4 = NULL, *v6 = NULL;
    if (kind == PGW_LISTENER_TCP && addr && addr->sa_family == AF_INET) {
        v4 = (const uint8_t *)&((const struct sockaddr_in *)(const void *)addr)->sin_addr;
    } else if (kind == PGW_LISTENER_TCP && addr && addr->sa_family == AF_INET6) {
        v6 = ((const struct sockaddr_in6 *)(const void *)addr)->sin6_addr.s6_addr;
        if (memcmp(v6, mapped, sizeof mapped) == 0)
            v4 = v6 + 12;
    }
    for (size_t i = 0; rules && i < rules->n; i++) {
        const hba_rule_t *r = &rules->rules[i];
        if (!listener_matches(r->listener, kind, tls) || !user_matches(r, user))
            continue;
        if (kind == PGW_LISTENER_UNIX ? (r->addr_kind == A_DASH || r->addr_kind == A_ALL)
                                      : addr_matches(r, v4, v6))
            return r->method;
    }
    return PGW_HBA_REJECT;
}

/* True when the rule's address range contains an address outside loopback (127.0.0.0/8,
 * ::1, ::ffff:127.0.0.0/104). */
static bool rule_beyond_loopback(const hba_rule_t *r)
{
    static const uint8_t v6_loop[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    switch (r->addr_kind) {
    case A_DASH: return false;
    case A_ALL: return true;
    case A_V4: return r->prefix < 8 || r->addr[0] != 127;
    case A_V6: return r->prefix < 128 || memcmp(r->addr, v6_loop, 16) != 0;
    }
    return true;
}

bool pgw_hba_trusts_remote(const pgw_hba_t *rules)
{
    for (size_t i = 0; i < rules->n; i++) {
        const hba_rule_t *r = &rules->rules[i];
        if (r->method == PGW_HBA_TRUST && r->listener != L_UNIX && rule_beyond_loopback(r))
            return true;
    }
    return false;
}
