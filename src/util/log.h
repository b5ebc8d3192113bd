/* Minimal thread-safe logging to stderr: one line per event, with a timestamp and level. */
#ifndef DUCKD_UTIL_LOG_H
#define DUCKD_UTIL_LOG_H

typedef enum { ULOG_DEBUG = 0, ULOG_INFO, ULOG_WARN, ULOG_ERROR } ulog_level_t;

/* Sets the minimum level that is printed (default ULOG_INFO). */
void ulog_set_level(ulog_level_t level);
/* Parses "debug" / "info" / "warning" / "error"; returns -1 for anything else. */
int ulog_parse_level(const char *s);
void ulog(ulog_level_t level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define ULOG_DEBUG_ON() (ulog_enabled(ULOG_DEBUG))
int ulog_enabled(ulog_level_t level);

#endif
