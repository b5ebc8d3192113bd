/* Authentication methods; see auth.h. */
#include "pgwire/auth.h"

#include <sys/socket.h>
#include <unistd.h>

#include "pgwire/codec.h"
#include "pgwire/scram.h"

bool pgw_auth_peer_is_owner(int fd)
{
    struct ucred cr;
    socklen_t len = sizeof cr;
    struct sockaddr_storage sa;
    socklen_t salen = sizeof sa;
    if (getsockname(fd, (struct sockaddr *)&sa, &salen) != 0 || sa.ss_family != AF_UNIX)
        return false;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) != 0 || len != sizeof cr)
        return false;
    return cr.uid == geteuid();
}

int pgw_auth_run(pgw_auth_method_t method, const char *user, pgw_auth_io_t *io, uerr_t *err)
{
    switch (method) {
    case PGW_AUTH_TRUST: pgw_put_auth_ok(io->out); return 0;
    }
    uerr_set(err, "28000", "authentication method not supported for user \"%s\"", user);
    return -1;
}

/* Reads the client's next message, which must be a 'p' (SASLInitialResponse/SASLResponse). */
static int read_sasl(pgw_auth_io_t *io, const uint8_t **p, size_t *n, uerr_t *err)
{
    char type = 0;
    if (io->read_msg(io->ctx, &type, p, n) != 0) {
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
