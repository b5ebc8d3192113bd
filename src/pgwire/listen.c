/* Listening sockets for the PostgreSQL front-end: TCP and the Unix socket that psql finds as
 * <dir>/.s.PGSQL.<port>. */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "pgwire/conn.h"

int pgw_listen_tcp(const char *addr, int port)
{
    struct addrinfo hints = {0}, *res = NULL;
    char portstr[16];
    int fd = -1, rc, one = 1;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    snprintf(portstr, sizeof portstr, "%d", port);
    rc = getaddrinfo(addr && *addr && strcmp(addr, "*") != 0 ? addr : NULL, portstr, &hints, &res);
    if (rc != 0)
        return -EINVAL;
    fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        rc = -errno;
        goto out;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, 1024) != 0) {
        rc = -errno;
        close(fd);
        fd = -1;
        goto out;
    }
    rc = fd;
out:
    freeaddrinfo(res);
    return rc;
}

int pgw_listen_unix(const char *dir, int port, char *path_out, size_t path_len)
{
    struct sockaddr_un sa = {0};
    int fd, n;
    sa.sun_family = AF_UNIX;
    n = snprintf(sa.sun_path, sizeof sa.sun_path, "%s/.s.PGSQL.%d", dir, port);
    if (n < 0 || (size_t)n >= sizeof sa.sun_path)
        return -ENAMETOOLONG;
    snprintf(path_out, path_len, "%s", sa.sun_path);
    /* A stale socket file from a crashed run: remove it only if nobody answers on it. */
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) {
        close(fd);
        return -EADDRINUSE;
    }
    close(fd);
    unlink(sa.sun_path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 1024) != 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    /* Owner and group only: other local users cannot even connect (PostgreSQL's default is
     * 0777, relying on authentication alone). */
    chmod(sa.sun_path, 0770);
    return fd;
}
