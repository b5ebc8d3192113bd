/* Authentication methods; see auth.h. */
#include "pgwire/auth.h"

#include "pgwire/codec.h"

int pgw_auth_run(pgw_auth_method_t method, const char *user, pgw_auth_io_t *io, uerr_t *err)
{
    switch (method) {
    case PGW_AUTH_TRUST: pgw_put_auth_ok(io->out); return 0;
    }
    uerr_set(err, "28000", "authentication method not supported for user \"%s\"", user);
    return -1;
}
