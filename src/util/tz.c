/* ICU-backed time zones (see tz.h): ucal_* gives the offset at an instant, including
 * daylight saving time and historical (local mean time) offsets. */
#include "util/tz.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <unicode/ucal.h>
#include <unicode/uenum.h>
#include <unicode/ustring.h>

#include "util/xalloc.h"

#define UTZ_MAX_NAME 128

struct utz {
    UCalendar *cal;
    char *name;
    double from, to; /* cached span [from, to) in ICU milliseconds, empty when from > to */
    int32_t offset;  /* its offset in seconds */
    int refs;
};

/* A system zone ID spelled exactly like `name`. */
static bool utz_exact(const char *name)
{
    UChar id[UTZ_MAX_NAME], canon[UTZ_MAX_NAME];
    UBool system = false;
    UErrorCode st = U_ZERO_ERROR;
    if (strlen(name) >= UTZ_MAX_NAME)
        return false;
    u_uastrcpy(id, name);
    ucal_getCanonicalTimeZoneID(id, -1, canon, UTZ_MAX_NAME, &system, &st);
    return U_SUCCESS(st) && system;
}

bool utz_lookup(const char *name, char *canon, size_t n)
{
    bool found = false;
    if (!name || !*name || strlen(name) >= n || strlen(name) >= UTZ_MAX_NAME)
        return false;
    if (utz_exact(name)) {
        strcpy(canon, name);
        return true;
    }
    UErrorCode st = U_ZERO_ERROR;
    UEnumeration *all = ucal_openTimeZones(&st);
    const char *id;
    int32_t len;
    while (U_SUCCESS(st) && all && (id = uenum_next(all, &len, &st)) != NULL) {
        if (strcasecmp(id, name) == 0) {
            strcpy(canon, id); /* same length as name */
            found = true;
            break;
        }
    }
    if (all)
        uenum_close(all);
    return found;
}

utz_t *utz_open(const char *name)
{
    UChar id[UTZ_MAX_NAME];
    UErrorCode st = U_ZERO_ERROR;
    if (!utz_exact(name))
        return NULL;
    u_uastrcpy(id, name);
    UCalendar *cal = ucal_open(id, -1, "en_US_POSIX", UCAL_GREGORIAN, &st);
    if (U_FAILURE(st) || !cal) {
        if (cal)
            ucal_close(cal);
        return NULL;
    }
    utz_t *z = xcalloc(1, sizeof *z);
    z->cal = cal;
    z->name = xstrdup(name);
    z->from = 1;
    z->to = 0;
    z->refs = 1;
    return z;
}

utz_t *utz_ref(utz_t *z)
{
    if (z)
        z->refs++;
    return z;
}

void utz_close(utz_t *z)
{
    if (!z || --z->refs > 0)
        return;
    ucal_close(z->cal);
    free(z->name);
    free(z);
}

const char *utz_name(const utz_t *z) { return z->name; }

int32_t utz_offset(utz_t *z, int64_t micros)
{
    /* floor to whole milliseconds: ICU's instants are milliseconds (as a double) */
    double ms = (double)(micros / 1000 - (micros % 1000 < 0));
    if (ms >= z->from && ms < z->to)
        return z->offset;
    UErrorCode st = U_ZERO_ERROR;
    ucal_setMillis(z->cal, ms, &st);
    int32_t zone = ucal_get(z->cal, UCAL_ZONE_OFFSET, &st);
    int32_t dst = ucal_get(z->cal, UCAL_DST_OFFSET, &st);
    if (U_FAILURE(st))
        return 0; /* beyond ICU's calendar range: UTC */
    z->offset = (zone + dst) / 1000;
    UDate prev = 0, next = 0;
    UErrorCode st2 = U_ZERO_ERROR;
    bool has_prev =
        ucal_getTimeZoneTransitionDate(z->cal, UCAL_TZ_TRANSITION_PREVIOUS_INCLUSIVE, &prev, &st2);
    bool has_next = U_SUCCESS(st2) &&
                    ucal_getTimeZoneTransitionDate(z->cal, UCAL_TZ_TRANSITION_NEXT, &next, &st2);
    if (U_SUCCESS(st2)) {
        z->from = has_prev ? prev : -INFINITY;
        z->to = has_next ? next : INFINITY;
    } else {
        z->from = 1;
        z->to = 0;
    }
    return z->offset;
}
