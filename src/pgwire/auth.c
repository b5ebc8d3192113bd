/* Authentication methods; see auth.h. */
#include "pgwire/auth.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "pgwire/codec.h"
#include "pgwire/hba.h"
#include "pgwire/scram.h"
#include "auth/users.h"
#include "session/guard.h"

/* Reads the client's next message, which must be a 'p' (SASLInitialResponse/SASLResponse). */
static int read_sasl(pgw_auth_io_t *io, const uint8_t **p, size_t *n, uerr_t *err)
{
    char type = 0;
    int r = io->read_msg(io->ctx, &type, p, n);
    if (r == PGW_AUTH_MALFORMED) {
        uerr_set(err, "08P01", "invalid message length during authentication");
        return -1;
    }
    if (r == PGW_AUTH_TIMEOUT) {
        uerr_set(err, "57014", "canceling authentication due to timeout");
        return -1;
    }
    if (r != 0) {
        uerr_set(err, "08006", "connection lost during authentication");
        return -1;
    }
    if (type != 'p') {
        uerr_set(err, "08P01", "expected SASL response, got message type %d", type);
        return -1;
    }
    return 0;
}

int pgw_auth_scram(const char *user, const pgw_auth_scram_opts_t *o, pgw_auth_io_t *io, uerr_t *err)
{
    size_t nmech;
    const char *const *mechs = pgw_scram_mechanisms(o->cb != NULL, &nmech);
    pgw_scram_t *s = pgw_scram_new(user, o->verifier, o->mock_secret, o->mock_len, o->cb);
    ubuf_t reply = UBUF_INIT;
    const uint8_t *p;
    size_t n;
    pgw_scram_initial_t init;
    int rc = -1, st;
    if (o->test_nonce)
        pgw_scram__set_nonce(s, o->test_nonce);
    pgw_put_auth_sasl(io->out, mechs, nmech);
    if (io->flush(io->ctx) != 0 || read_sasl(io, &p, &n, err) != 0 ||
        pgw_scram_decode_initial(p, n, &init, err) != 0 ||
        pgw_scram_select_mechanism(s, init.mechanism, err) != 0)
        goto out;
    st = pgw_scram_step(s, init.data, init.len, &reply, err);
    while (st == PGW_SCRAM_CONTINUE) {
        pgw_put_auth_sasl_continue(io->out, (const uint8_t *)reply.data, reply.len);
        if (io->flush(io->ctx) != 0 || read_sasl(io, &p, &n, err) != 0)
            goto out;
        st = pgw_scram_step(s, p, n, &reply, err);
    }
    if (st != PGW_SCRAM_DONE_OK)
        goto out;
    pgw_put_auth_sasl_final(io->out, (const uint8_t *)reply.data, reply.len);
    pgw_put_auth_ok(io->out);
    rc = 0;
out:
    if (rc != 0 && !uerr_isset(err))
        uerr_set(err, "08006", "connection lost during authentication");
    ubuf_free(&reply);
    pgw_scram_free(s);
    return rc;
}

/* ---- the login decision ---- */

/* The peer's address as text, for messages ("127.0.0.1", "[local]"). */
static void peer_host(const pgw_login_t *l, const struct sockaddr *sa, char *buf, size_t size)
{
    const void *a = NULL;
    if (l->is_unix || !sa) {
        snprintf(buf, size, "[local]");
        return;
    }
    if (sa->sa_family == AF_INET)
        a = &((const struct sockaddr_in *)sa)->sin_addr;
    else if (sa->sa_family == AF_INET6)
        a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
    if (!a || !inet_ntop(sa->sa_family, a, buf, (socklen_t)size))
        snprintf(buf, size, "?");
}

/* Peer authentication: the Unix-socket peer's OS user (its uid, which the transport took
 * from SO_PEERCRED) must be the requested user. The OS user running duckd is the operator
 * (admin); any other needs a users-file entry for its role. */
static int login_peer(const pgw_login_t *l, const pgw_users_t *users, int *role, uerr_t *err)
{
    struct passwd pw, *res = NULL;
    char buf[4096];
    if (!l->is_unix || l->peer_uid < 0 ||
        getpwuid_r((uid_t)l->peer_uid, &pw, buf, sizeof buf, &res) != 0 || !res ||
        strcmp(res->pw_name, l->user) != 0) {
        uerr_set(err, "28000", "Peer authentication failed for user \"%s\"", l->user);
        return -1;
    }
    const pgw_user_t *u = users ? pgw_users_find(users, l->user) : NULL;
    if ((uid_t)l->peer_uid == geteuid()) {
        *role = GUARD_ROLE_ADMIN;
    } else if (u) {
        *role = (int)u->role;
    } else {
        uerr_set(err, "28000", "role \"%s\" does not exist", l->user);
        uerr_set_hint(err, "Add it with: duckd passwd --role ROLE %s", l->user);
        return -1;
    }
    return 0;
}

/* Loads the users file; a missing file is no users. A broken one fails closed. */
static int login_users(const pgw_login_t *l, pgw_users_t **users, uerr_t *err)
{
    *users = NULL;
    if (!l->users_file || !*l->users_file || access(l->users_file, F_OK) != 0)
        return 0;
    if (pgw_users_load(l->users_file, users, err) == 0)
        return 0;
    /* the detail names the file and line for the server log; the client learns nothing */
    uerr_set_detail(err, "%s", err->message ? err->message : "");
    uerr_set(err, "28000", "authentication failed for user \"%s\": the users file is invalid",
             l->user);
    return -1;
}

int pgw_auth_login(const pgw_login_t *l, pgw_auth_io_t *io, int *role, const char **method_name,
                   uerr_t *err)
{
    const struct sockaddr *sa = l->is_unix ? NULL : l->peer;
    pgw_hba_method_t m = pgw_hba_match(l->hba, l->is_unix ? PGW_LISTENER_UNIX : PGW_LISTENER_TCP,
                                       sa, l->tls, l->user);
    pgw_users_t *users = NULL;
    const pgw_user_t *u;
    char host[64];
    int rc = -1;
    *method_name = pgw_hba_method_name(m);
    *role = GUARD_ROLE_READ_WRITE;
    if (m != PGW_HBA_REJECT && login_users(l, &users, err) != 0)
        goto out;
    u = users ? pgw_users_find(users, l->user) : NULL;
    switch (m) {
    case PGW_HBA_REJECT:
        peer_host(l, sa, host, sizeof host);
        uerr_set(err, "28000",
                 "no access rule allows host \"%s\", user \"%s\", database \"%s\", %s", host,
                 l->user, l->database, l->tls ? "TLS" : "no encryption");
        goto out;
    case PGW_HBA_TRUST:
        if (u)
            *role = (int)u->role;
        pgw_put_auth_ok(io->out);
        rc = 0;
        goto out;
    case PGW_HBA_PEER:
        if (login_peer(l, users, role, err) != 0)
            goto out;
        pgw_put_auth_ok(io->out);
        rc = 0;
        goto out;
    case PGW_HBA_SCRAM: {
        pgw_auth_scram_opts_t o = {u ? u->verifier : NULL, NULL, 0, l->cb, l->test_nonce};
        if (pgw_auth_scram(l->user, &o, io, err) != 0)
            goto out;
        *role = u ? (int)u->role : GUARD_ROLE_READ_ONLY; /* unknown users never get here */
        rc = 0;
        goto out;
    }
    }
out:
    pgw_users_free(users);
    return rc;
}
