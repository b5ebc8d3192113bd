/* Authentication methods; see auth.h. */
#include "pgwire/auth.h"

#include <sys/socket.h>
#include <unistd.h>

#include "pgwire/codec.h"

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
