/* udur implementation: strtod for the number, a fixed table for the units. */
#include "util/duration.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *name;
    double ms; /* milliseconds per unit */
} udur_unit_t;

static const udur_unit_t udur_units[] = {{"us", 0.001},  {"ms", 1},        {"s", 1000},
                                         {"min", 60000}, {"h", 3600000.0}, {"d", 86400000.0}};

static const char *udur_skip_blanks(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    return p;
}

bool udur_parse_ms(const char *text, int64_t *ms)
{
    const char *p = udur_skip_blanks(text);
    char *end = NULL;
    double factor = 1;
    if (!((*p >= '0' && *p <= '9') || *p == '.' || *p == '-' || *p == '+'))
        return false;
    double v = strtod(p, &end);
    if (end == p || !isfinite(v))
        return false;
    p = udur_skip_blanks(end);
    if (*p) {
        size_t n = strcspn(p, " \t\n\r");
        size_t i = 0;
        while (i < sizeof udur_units / sizeof udur_units[0] &&
               !(strlen(udur_units[i].name) == n && strncmp(udur_units[i].name, p, n) == 0))
            i++;
        if (i == sizeof udur_units / sizeof udur_units[0])
            return false;
        factor = udur_units[i].ms;
        p = udur_skip_blanks(p + n);
        if (*p)
            return false;
    }
    double r = rint(v * factor);
    if (r < 0 || r > (double)INT32_MAX)
        return false;
    *ms = (int64_t)r;
    return true;
}
