/* Whole-file reads of small configuration files; see file.h. */
#include "util/file.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int ufile_read(const char *path, const char *what, size_t max, bool missing_ok, bool private_only,
               bool *exists, ubuf_t *b, uerr_t *err)
{
    int rc = -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    *exists = fd >= 0;
    if (fd < 0) {
        if (errno == ENOENT && missing_ok)
            return 0;
        uerr_set(err, "58030", "could not open %s \"%s\": %s", what, path, strerror(errno));
        goto out;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size > max) {
        uerr_set(err, "F0000", "%s \"%s\" is not a regular file of at most %zu bytes", what, path,
                 max);
        goto out;
    }
    if (private_only && (st.st_mode & (S_IWGRP | S_IWOTH))) {
        uerr_set(err, "F0000", "%s \"%s\" is writable by group or others (mode %04o)", what, path,
                 (unsigned)(st.st_mode & 07777));
        uerr_set_hint(err, "Run chmod 600 on it.");
        goto out;
    }
    for (;;) {
        ubuf_reserve(b, 4096);
        ssize_t k = read(fd, b->data + b->len, b->cap - b->len);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            uerr_set(err, "58030", "could not read %s \"%s\": %s", what, path, strerror(errno));
            goto out;
        }
        if (k == 0)
            break;
        b->len += (size_t)k;
        if (b->len > max) {
            uerr_set(err, "F0000", "%s \"%s\" is larger than %zu bytes", what, path, max);
            goto out;
        }
    }
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    return rc;
}
