/* PostgreSQL text output for dates, times, timestamps and intervals (DateStyle ISO, MDY;
 * IntervalStyle postgres). Calendar arithmetic is proleptic Gregorian on days since
 * 1970-01-01, with DuckDB's year 0 shown as 1 BC like PostgreSQL. */
#include <stdlib.h>
#include <string.h>

#include "types/pgtypes.h"

#define USECS_PER_DAY INT64_C(86400000000)
#define USECS_PER_SEC INT64_C(1000000)

/* Converts days since 1970-01-01 to a civil date (Howard Hinnant's algorithm). */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yy + (*m <= 2);
}

/* Days since 1970-01-01 of a civil date (the inverse of civil_from_days). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

/* The value of n ASCII digits at s, or -1 if one is not a digit. */
static int digits_value(const char *s, size_t n)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

bool pgt_parse_text_date(const char *s, size_t n, int32_t *days_since_1970)
{
    static const unsigned char mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (n != 10 || s[4] != '-' || s[7] != '-')
        return false;
    int y = digits_value(s, 4), m = digits_value(s + 5, 2), d = digits_value(s + 8, 2);
    if (y < 1 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
        return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (m == 2 && d == 29 && !leap)
        return false;
    *days_since_1970 = (int32_t)days_from_civil(y, (unsigned)m, (unsigned)d);
    return true;
}

static void put_2(ubuf_t *out, unsigned v)
{
    ubuf_putc(out, (char)('0' + v / 10 % 10));
    ubuf_putc(out, (char)('0' + v % 10));
}

/* Appends YYYY-MM-DD (at least 4 year digits) and reports whether the year is BC. */
static bool put_date(ubuf_t *out, int64_t days)
{
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    bool bc = y <= 0;
    if (bc)
        y = 1 - y; /* year 0 is 1 BC */
    char tmp[24];
    int n = 0;
    int64_t t = y;
    do {
        tmp[n++] = (char)('0' + t % 10);
        t /= 10;
    } while (t);
    while (n < 4)
        tmp[n++] = '0';
    while (n)
        ubuf_putc(out, tmp[--n]);
    ubuf_putc(out, '-');
    put_2(out, m);
    ubuf_putc(out, '-');
    put_2(out, d);
    return bc;
}

/* HH:MM:SS[.ffffff] with trailing fraction zeros trimmed; hours may exceed 24 (intervals). */
static void put_time(ubuf_t *out, uint64_t us)
{
    uint64_t secs = us / USECS_PER_SEC, frac = us % USECS_PER_SEC;
    uint64_t h = secs / 3600;
    if (h < 100)
        put_2(out, (unsigned)h);
    else
        pgt_text_uint64(out, h);
    ubuf_putc(out, ':');
    put_2(out, (unsigned)(secs / 60 % 60));
    ubuf_putc(out, ':');
    put_2(out, (unsigned)(secs % 60));
    if (frac) {
        char f[7];
        for (int i = 5; i >= 0; i--, frac /= 10)
            f[i] = (char)('0' + frac % 10);
        int n = 6;
        while (f[n - 1] == '0')
            n--;
        ubuf_putc(out, '.');
        ubuf_append(out, f, (size_t)n);
    }
}

void pgt_text_date(ubuf_t *out, int32_t days)
{
    if (days == INT32_MAX) {
        ubuf_puts(out, "infinity");
        return;
    }
    if (days == -INT32_MAX || days == INT32_MIN) {
        ubuf_puts(out, "-infinity");
        return;
    }
    if (put_date(out, days))
        ubuf_puts(out, " BC");
}

void pgt_text_time(ubuf_t *out, int64_t micros)
{
    put_time(out, micros < 0 ? 0 : (uint64_t)micros);
}

/* +HH, +HH:MM or +HH:MM:SS, as PostgreSQL prints a UTC offset. */
static void put_offset(ubuf_t *out, int32_t offset)
{
    unsigned a = (unsigned)(offset < 0 ? -(int64_t)offset : offset);
    ubuf_putc(out, offset < 0 ? '-' : '+');
    put_2(out, a / 3600);
    if (a % 3600) {
        ubuf_putc(out, ':');
        put_2(out, a / 60 % 60);
        if (a % 60) {
            ubuf_putc(out, ':');
            put_2(out, a % 60);
        }
    }
}

void pgt_text_timetz(ubuf_t *out, int64_t micros, int32_t offset_seconds)
{
    pgt_text_time(out, micros);
    put_offset(out, offset_seconds);
}

/* Timestamp body without zone; returns BC. */
static bool put_timestamp(ubuf_t *out, int64_t micros)
{
    int64_t days = micros / USECS_PER_DAY, rem = micros % USECS_PER_DAY;
    if (rem < 0) {
        rem += USECS_PER_DAY;
        days--;
    }
    bool bc = put_date(out, days);
    ubuf_putc(out, ' ');
    put_time(out, (uint64_t)rem);
    return bc;
}

void pgt_text_timestamp(ubuf_t *out, int64_t micros)
{
    if (micros == INT64_MAX) {
        ubuf_puts(out, "infinity");
        return;
    }
    if (micros == -INT64_MAX || micros == INT64_MIN) {
        ubuf_puts(out, "-infinity");
        return;
    }
    if (put_timestamp(out, micros))
        ubuf_puts(out, " BC");
}

void pgt_text_timestamptz(ubuf_t *out, int64_t micros, int32_t offset_seconds)
{
    if (micros == INT64_MAX || micros == -INT64_MAX || micros == INT64_MIN) {
        pgt_text_timestamp(out, micros);
        return;
    }
    bool bc = put_timestamp(out, micros + (int64_t)offset_seconds * USECS_PER_SEC);
    put_offset(out, offset_seconds);
    if (bc)
        ubuf_puts(out, " BC");
}

/* The nanoseconds below one second as ".fffffffff", trailing zeros trimmed; nothing for 0. */
static void put_nano_fraction(ubuf_t *out, int64_t ns)
{
    if (ns == 0)
        return;
    char f[10];
    int n = 9;
    for (int i = 8; i >= 0; i--, ns /= 10)
        f[i] = (char)('0' + ns % 10);
    while (n > 0 && f[n - 1] == '0')
        n--;
    ubuf_putc(out, '.');
    ubuf_append(out, f, (size_t)n);
}

void pgt_text_timestamp_ns(ubuf_t *out, int64_t nanos)
{
    if (nanos == INT64_MAX || nanos == -INT64_MAX || nanos == INT64_MIN) {
        pgt_text_timestamp(out, nanos);
        return;
    }
    int64_t secs = nanos / 1000000000, rem = nanos % 1000000000;
    if (rem < 0) {
        rem += 1000000000;
        secs--;
    }
    bool bc = put_timestamp(out, secs * USECS_PER_SEC);
    put_nano_fraction(out, rem);
    if (bc)
        ubuf_puts(out, " BC");
}

void pgt_text_time_ns(ubuf_t *out, int64_t nanos)
{
    pgt_text_time(out, nanos / 1000000000 * USECS_PER_SEC);
    put_nano_fraction(out, nanos % 1000000000);
}

/* One "N unit[s]" field of an interval, as PostgreSQL's AddPostgresIntPart writes it:
 * space separated, plural unless the value is exactly 1, and a '+' before a positive field
 * that follows a negative one. */
static void put_field(ubuf_t *out, bool *first, bool *before, int64_t v, const char *unit)
{
    if (v == 0)
        return;
    if (!*first)
        ubuf_putc(out, ' ');
    if (*before && v > 0)
        ubuf_putc(out, '+');
    pgt_text_int64(out, v);
    ubuf_putc(out, ' ');
    ubuf_puts(out, unit);
    if (v != 1)
        ubuf_putc(out, 's');
    *before = v < 0;
    *first = false;
}

void pgt_text_interval(ubuf_t *out, int32_t months, int32_t days, int64_t micros)
{
    bool first = true, before = false;
    put_field(out, &first, &before, months / 12, "year");
    put_field(out, &first, &before, months % 12, "mon");
    put_field(out, &first, &before, days, "day");
    if (micros || first) {
        if (!first)
            ubuf_putc(out, ' ');
        if (micros < 0)
            ubuf_putc(out, '-');
        else if (before)
            ubuf_putc(out, '+');
        put_time(out, micros < 0 ? (uint64_t)0 - (uint64_t)micros : (uint64_t)micros);
    }
}
