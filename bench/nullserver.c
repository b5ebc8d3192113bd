/* bench/nullserver: the cheapest server pgbench can talk to, to measure the client's own
 * ceiling on this machine. It speaks just enough of the PostgreSQL protocol for
 * `pgbench -n -M simple|prepared` (trust login; every Query or Execute answered "INSERT 0 1"
 * without looking at it) on one epoll thread, so the rate pgbench reaches against it bounds what
 * any server could reach here with the same client, cores and loopback TCP.
 *
 *   nullserver PORT [SECONDS]    listens on 127.0.0.1:PORT; exits after SECONDS (default 600)
 *                                 and prints its own CPU time to stderr
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    int fd;
    int started;
    size_t in_len, out_len;
    unsigned char in[65536], out[65536];
} nconn_t;

static void put(nconn_t *c, char type, const void *body, uint32_t len)
{
    if (c->out_len + 5 + len > sizeof c->out)
        return; /* pgbench never gets that far ahead */
    unsigned char *p = c->out + c->out_len;
    uint32_t n = htonl(len + 4);
    p[0] = (unsigned char)type;
    memcpy(p + 1, &n, 4);
    memcpy(p + 5, body, len);
    c->out_len += 5 + len;
}

static void put_ready(nconn_t *c) { put(c, 'Z', "I", 1); }

static void put_param(nconn_t *c, const char *k, const char *v)
{
    char b[128];
    size_t kl = strlen(k) + 1, vl = strlen(v) + 1;
    memcpy(b, k, kl);
    memcpy(b + kl, v, vl);
    put(c, 'S', b, (uint32_t)(kl + vl));
}

/* Handles every whole message in c->in; returns -1 to close the connection. */
static int handle(nconn_t *c)
{
    size_t pos = 0;
    for (;;) {
        size_t avail = c->in_len - pos;
        unsigned char *p = c->in + pos;
        if (!c->started) {
            if (avail < 8)
                break;
            uint32_t len, code;
            memcpy(&len, p, 4);
            memcpy(&code, p + 4, 4);
            len = ntohl(len);
            code = ntohl(code);
            if (len < 8 || len > sizeof c->in)
                return -1;
            if (avail < len)
                break;
            pos += len;
            if (code == 80877103) { /* SSLRequest: no */
                c->out[c->out_len++] = 'N';
                continue;
            }
            uint32_t zero = 0, key[2] = {htonl(1), htonl(2)};
            put(c, 'R', &zero, 4);
            put_param(c, "server_version", "15.0");
            put_param(c, "client_encoding", "UTF8");
            put_param(c, "standard_conforming_strings", "on");
            put_param(c, "DateStyle", "ISO, MDY");
            put_param(c, "integer_datetimes", "on");
            put(c, 'K', key, 8);
            put_ready(c);
            c->started = 1;
            continue;
        }
        if (avail < 5)
            break;
        uint32_t len;
        memcpy(&len, p + 1, 4);
        len = ntohl(len);
        if (len < 4 || len + 1 > sizeof c->in)
            return -1;
        if (avail < len + 1)
            break;
        char type = (char)p[0];
        pos += len + 1;
        switch (type) {
        case 'Q':
            put(c, 'C', "INSERT 0 1", 11);
            put_ready(c);
            break;
        case 'P': put(c, '1', "", 0); break;
        case 'B': put(c, '2', "", 0); break;
        case 'D':
            if (p[5] == 'S') {
                unsigned char pd[2] = {0, 0};
                put(c, 't', pd, 2);
            }
            put(c, 'n', "", 0);
            break;
        case 'E': put(c, 'C', "INSERT 0 1", 11); break;
        case 'C': put(c, '3', "", 0); break;
        case 'S': put_ready(c); break;
        case 'H': break;
        case 'X': return -1;
        default: return -1;
        }
    }
    memmove(c->in, c->in + pos, c->in_len - pos);
    c->in_len -= pos;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: nullserver PORT [SECONDS]\n");
        return 2;
    }
    int seconds = argc > 2 ? atoi(argv[2]) : 600;
    int ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1]))};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(ls, (struct sockaddr *)&a, sizeof a) || listen(ls, 1024)) {
        perror("nullserver: bind/listen");
        return 1;
    }
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
    time_t end = time(NULL) + seconds;
    while (time(NULL) < end) {
        struct epoll_event evs[128];
        int n = epoll_wait(ep, evs, 128, 1000);
        for (int i = 0; i < n; i++) {
            nconn_t *c = evs[i].data.ptr;
            if (!c) {
                int fd = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
                if (fd < 0)
                    continue;
                setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                c = calloc(1, sizeof *c);
                c->fd = fd;
                struct epoll_event cev = {.events = EPOLLIN, .data.ptr = c};
                epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev);
                continue;
            }
            ssize_t r = recv(c->fd, c->in + c->in_len, sizeof c->in - c->in_len, 0);
            int bad = r <= 0 && !(r < 0 && errno == EAGAIN);
            if (r > 0) {
                c->in_len += (size_t)r;
                bad = handle(c) < 0;
            }
            if (!bad && c->out_len) {
                ssize_t w = send(c->fd, c->out, c->out_len, MSG_NOSIGNAL);
                bad = w != (ssize_t)c->out_len; /* loopback takes a few bytes at once */
                c->out_len = 0;
            }
            if (bad) {
                epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
                close(c->fd);
                free(c);
            }
        }
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    fprintf(stderr, "nullserver cpu user=%.2fs sys=%.2fs\n",
            (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6,
            (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6);
    return 0;
}
