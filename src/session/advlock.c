/* PostgreSQL's advisory locks: a server-wide table of holds under one mutex. See advlock.h. */
#include "session/advlock.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/xalloc.h"

/* One holder's locks of one key in one mode. */
typedef struct advlock_hold {
    advlock_key_t key;
    uint64_t owner;
    int32_t pid;
    advlock_mode_t mode;
    int64_t nsess; /* session-level acquisitions */
    int64_t nxact; /* transaction-level acquisitions */
} advlock_hold_t;

/* A request that waits. */
typedef struct advlock_wait {
    advlock_key_t key;
    uint64_t owner;
    int32_t pid;
    advlock_mode_t mode;
} advlock_wait_t;

struct advlock_tbl {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    advlock_hold_t *holds;
    size_t nholds, caphold;
    advlock_wait_t *waits;
    size_t nwaits, capwait;
};

advlock_key_t advlock_key64(int64_t key)
{
    uint64_t u = (uint64_t)key;
    return (advlock_key_t){(uint32_t)(u >> 32), (uint32_t)u, 1};
}

advlock_key_t advlock_key32(int32_t key1, int32_t key2)
{
    return (advlock_key_t){(uint32_t)key1, (uint32_t)key2, 2};
}

advlock_tbl_t *advlock_new(void)
{
    advlock_tbl_t *t = xcalloc(1, sizeof *t);
    pthread_condattr_t ca;
    pthread_mutex_init(&t->mu, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&t->cv, &ca);
    pthread_condattr_destroy(&ca);
    return t;
}

void advlock_free(advlock_tbl_t *t)
{
    if (!t)
        return;
    pthread_cond_destroy(&t->cv);
    pthread_mutex_destroy(&t->mu);
    free(t->holds);
    free(t->waits);
    free(t);
}

static advlock_tbl_t *advlock_the;
static pthread_once_t advlock_once = PTHREAD_ONCE_INIT;

static void advlock_global_init(void) { advlock_the = advlock_new(); }

advlock_tbl_t *advlock_global(void)
{
    pthread_once(&advlock_once, advlock_global_init);
    return advlock_the;
}

static bool advlock_key_eq(advlock_key_t a, advlock_key_t b)
{
    return a.classid == b.classid && a.objid == b.objid && a.objsubid == b.objsubid;
}

/* Hold h conflicts with owner's request for key in mode. */
static bool advlock_conflicts(const advlock_hold_t *h, uint64_t owner, advlock_key_t key,
                              advlock_mode_t mode)
{
    return h->owner != owner && advlock_key_eq(h->key, key) &&
           (h->mode == ADVLOCK_EXCLUSIVE || mode == ADVLOCK_EXCLUSIVE);
}

static bool advlock_blocked(const advlock_tbl_t *t, uint64_t owner, advlock_key_t key,
                            advlock_mode_t mode)
{
    for (size_t i = 0; i < t->nholds; i++)
        if (advlock_conflicts(&t->holds[i], owner, key, mode))
            return true;
    return false;
}

static advlock_hold_t *advlock_find(advlock_tbl_t *t, uint64_t owner, advlock_key_t key,
                                    advlock_mode_t mode)
{
    for (size_t i = 0; i < t->nholds; i++)
        if (t->holds[i].owner == owner && t->holds[i].mode == mode &&
            advlock_key_eq(t->holds[i].key, key))
            return &t->holds[i];
    return NULL;
}

static const advlock_wait_t *advlock_waiting(const advlock_tbl_t *t, uint64_t owner)
{
    for (size_t i = 0; i < t->nwaits; i++)
        if (t->waits[i].owner == owner)
            return &t->waits[i];
    return NULL;
}

/* Whether the waiter `from` waits, directly or through other waiters, for `target`. seen
 * holds the owners visited (at most t->nwaits + 1). */
static bool advlock_reaches(const advlock_tbl_t *t, uint64_t from, uint64_t target, uint64_t *seen,
                            size_t *nseen)
{
    const advlock_wait_t *w = advlock_waiting(t, from);
    if (!w)
        return false;
    for (size_t i = 0; i < t->nholds; i++) {
        const advlock_hold_t *h = &t->holds[i];
        if (!advlock_conflicts(h, from, w->key, w->mode))
            continue;
        if (h->owner == target)
            return true;
        bool known = false;
        for (size_t j = 0; j < *nseen && !known; j++)
            known = seen[j] == h->owner;
        if (known || *nseen > t->nwaits)
            continue;
        seen[(*nseen)++] = h->owner;
        if (advlock_reaches(t, h->owner, target, seen, nseen))
            return true;
    }
    return false;
}

/* Whether owner (registered as a waiter) is in a cycle of waiters. Caller holds mu. */
static bool advlock_deadlocked(const advlock_tbl_t *t, uint64_t owner)
{
    uint64_t *seen = xcalloc(t->nwaits + 2, sizeof *seen);
    size_t nseen = 1;
    seen[0] = owner;
    bool yes = advlock_reaches(t, owner, owner, seen, &nseen);
    free(seen);
    return yes;
}

static int64_t advlock_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void advlock_unwait(advlock_tbl_t *t, uint64_t owner)
{
    for (size_t i = 0; i < t->nwaits; i++)
        if (t->waits[i].owner == owner) {
            t->waits[i] = t->waits[--t->nwaits];
            return;
        }
}

int advlock_acquire(advlock_tbl_t *t, uint64_t owner, int32_t pid, advlock_key_t key,
                    advlock_mode_t mode, advlock_scope_t scope, bool wait, advlock_stop_fn stop,
                    void *stop_ctx, uerr_t *err)
{
    int rc = -1;
    bool waiting = false, checked = false;
    int64_t since = 0;
    pthread_mutex_lock(&t->mu);
    advlock_hold_t *h = advlock_find(t, owner, key, mode);
    while (!h && advlock_blocked(t, owner, key, mode)) {
        if (!wait) {
            rc = 0;
            goto out;
        }
        if (stop && stop(stop_ctx)) {
            uerr_set(err, "57014", "canceling statement due to user request");
            goto out;
        }
        if (!waiting) {
            if (t->nwaits == t->capwait) {
                t->capwait = t->capwait ? t->capwait * 2 : 16;
                t->waits = xrealloc(t->waits, t->capwait * sizeof *t->waits);
            }
            t->waits[t->nwaits++] = (advlock_wait_t){key, owner, pid, mode};
            waiting = true;
            since = advlock_now_ms();
        } else if (!checked && advlock_now_ms() - since >= ADVLOCK_DEADLOCK_MS) {
            /* once, as PostgreSQL's deadlock_timeout check: a cycle that forms later is closed
             * by a request that starts waiting later, and that one looks for it */
            checked = true;
            if (advlock_deadlocked(t, owner)) {
                uerr_set(err, "40P01", "deadlock detected");
                uerr_set_detail(err,
                                "Process %d waits for an advisory lock held by a process that "
                                "waits for one of its own.",
                                (int)pid);
                uerr_set_hint(err, "See server log for query details.");
                goto out;
            }
        }
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_nsec += (long)ADVLOCK_POLL_MS * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        int e = pthread_cond_timedwait(&t->cv, &t->mu, &ts);
        (void)e; /* ETIMEDOUT or a wakeup: look again either way */
        h = advlock_find(t, owner, key, mode);
    }
    if (!h) {
        if (t->nholds >= ADVLOCK_MAX_HOLDS) {
            uerr_set(err, "53200", "out of shared memory");
            uerr_set_hint(err,
                          "You might need to release advisory locks "
                          "(at most %d are held at once).",
                          ADVLOCK_MAX_HOLDS);
            goto out;
        }
        if (t->nholds == t->caphold) {
            t->caphold = t->caphold ? t->caphold * 2 : 16;
            t->holds = xrealloc(t->holds, t->caphold * sizeof *t->holds);
        }
        h = &t->holds[t->nholds++];
        *h = (advlock_hold_t){key, owner, pid, mode, 0, 0};
    }
    if (scope == ADVLOCK_XACT)
        h->nxact++;
    else
        h->nsess++;
    rc = 1;
out:
    if (waiting)
        advlock_unwait(t, owner);
    pthread_mutex_unlock(&t->mu);
    return rc;
}

/* Drops hold i if it counts nothing any more; caller holds mu. Returns true if it did. */
static bool advlock_drop_if_free(advlock_tbl_t *t, size_t i)
{
    if (t->holds[i].nsess > 0 || t->holds[i].nxact > 0)
        return false;
    t->holds[i] = t->holds[--t->nholds];
    return true;
}

bool advlock_release(advlock_tbl_t *t, uint64_t owner, advlock_key_t key, advlock_mode_t mode)
{
    bool done = false;
    pthread_mutex_lock(&t->mu);
    advlock_hold_t *h = advlock_find(t, owner, key, mode);
    if (h && h->nsess > 0) {
        h->nsess--;
        done = true;
        if (advlock_drop_if_free(t, (size_t)(h - t->holds)))
            pthread_cond_broadcast(&t->cv);
    }
    pthread_mutex_unlock(&t->mu);
    return done;
}

void advlock_release_all(advlock_tbl_t *t, uint64_t owner, advlock_scope_t scope, bool all)
{
    bool freed = false;
    pthread_mutex_lock(&t->mu);
    for (size_t i = t->nholds; i-- > 0;) {
        advlock_hold_t *h = &t->holds[i];
        if (h->owner != owner)
            continue;
        if (all || scope == ADVLOCK_SESSION)
            h->nsess = 0;
        if (all || scope == ADVLOCK_XACT)
            h->nxact = 0;
        freed |= advlock_drop_if_free(t, i);
    }
    if (freed)
        pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&t->mu);
}

int64_t advlock_count(advlock_tbl_t *t, uint64_t owner, advlock_key_t key, advlock_mode_t mode,
                      advlock_scope_t scope)
{
    pthread_mutex_lock(&t->mu);
    const advlock_hold_t *h = advlock_find(t, owner, key, mode);
    int64_t n = !h ? 0 : scope == ADVLOCK_XACT ? h->nxact : h->nsess;
    pthread_mutex_unlock(&t->mu);
    return n;
}

size_t advlock_snapshot(advlock_tbl_t *t, advlock_info_t *out, size_t max)
{
    size_t n = 0;
    pthread_mutex_lock(&t->mu);
    for (size_t i = 0; i < t->nholds; i++, n++)
        if (n < max)
            out[n] = (advlock_info_t){t->holds[i].key, t->holds[i].mode, t->holds[i].pid, true};
    for (size_t i = 0; i < t->nwaits; i++, n++)
        if (n < max)
            out[n] = (advlock_info_t){t->waits[i].key, t->waits[i].mode, t->waits[i].pid, false};
    pthread_mutex_unlock(&t->mu);
    return n;
}
