/* addr: a socket address as text, for logs and the sessions view. */
#ifndef DUCKD_UTIL_ADDR_H
#define DUCKD_UTIL_ADDR_H

#include <stddef.h>
#include <sys/socket.h>

/* Writes "127.0.0.1:5544", "[::1]:5544", or "[local]" (sa NULL or a Unix socket) into buf
 * (n bytes, always terminated; "?" for an unknown family). */
void uaddr_text(const struct sockaddr *sa, char *buf, size_t n);

#endif
