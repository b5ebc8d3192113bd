/* Logging implementation: each line is formatted in a local buffer and written with a single
 * write(2) so lines from concurrent sessions never interleave. */
#include "util/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "util/utf8.h"

static volatile int ulog_min = ULOG_INFO;

void ulog_set_level(ulog_level_t level)
{
    __atomic_store_n(&ulog_min, (int)level, __ATOMIC_RELAXED);
}

int ulog_enabled(ulog_level_t level)
{
    return (int)level >= __atomic_load_n(&ulog_min, __ATOMIC_RELAXED);
}

int ulog_parse_level(const char *s)
{
    if (!strcasecmp(s, "debug"))
        return ULOG_DEBUG;
    if (!strcasecmp(s, "info"))
        return ULOG_INFO;
    if (!strcasecmp(s, "warning") || !strcasecmp(s, "warn"))
        return ULOG_WARN;
    if (!strcasecmp(s, "error"))
        return ULOG_ERROR;
    return -1;
}

void ulog(ulog_level_t level, const char *fmt, ...)
{
    static const char *names[] = {"DEBUG", "INFO", "WARNING", "ERROR"};
    if (!ulog_enabled(level))
        return;
    char line[2048];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    int n = snprintf(line, sizeof line,
                     "%04d-%02d-%02d %02d:%02d:%02d.%03ldZ [%d] %s: ", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     ts.tv_nsec / 1000000, (int)getpid(), names[level]);
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    size_t mlen = m < 0 ? 0 : (size_t)m >= sizeof msg ? sizeof msg - 1 : (size_t)m;
    /* Client-supplied text (user names, SQL) must not forge log lines: control characters are
     * written as \xNN, one line per call. Bytes that are not well-formed UTF-8 are escaped the
     * same way, so the log stays valid UTF-8 for whatever reads it. */
    size_t len = n < 0 ? 0 : (size_t)n;
    size_t ok = 0; /* bytes from msg[i] on known to be well-formed UTF-8 */
    for (size_t i = 0; i < mlen && len < sizeof line - 6; i++) {
        unsigned char c = (unsigned char)msg[i];
        if (ok == 0 && c >= 0x80) {
            ok = mlen - i;
            (void)uutf8_valid(msg + i, mlen - i, &ok);
        }
        if (c < 0x20 || c == 0x7f || (c >= 0x80 && ok == 0))
            len += (size_t)snprintf(line + len, 5, "\\x%02x", c);
        else
            line[len++] = (char)c;
        if (ok)
            ok--;
    }
    line[len++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, len);
    (void)w;
}
