/* admit: admission control (max_concurrent_queries, queue_timeout), see admit.h. One mutex
 * guards everything; waiting tickets sleep on their own condition variables and are handed a
 * slot directly by the thread that frees it, so nobody thunders and newcomers never overtake
 * the queue. */
#include "session/admit.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/xalloc.h"

/* The statements of one user that wait, oldest first; linked in the round-robin ring while it
 * has any. */
typedef struct admit_user {
    char *name; /* owned; NULL for statements without a user */
    admit_ticket_t *head;
    admit_ticket_t **tail;
    struct admit_user *next;
} admit_user_t;

#define ADMIT_HIST 4096

struct admit {
    /* statement history: fingerprint with its lowest bit replaced by "light", 0 = empty */
    _Atomic uint64_t hist[ADMIT_HIST];
    atomic_uint_fast64_t light; /* statements admitted as light */
    pthread_mutex_t mu;
    int max;                   /* 0: no cap */
    int64_t timeout_ms;        /* 0: no limit */
    int running;               /* tickets holding a slot */
    bool excl_running;         /* an exclusive ticket holds the (only) slot */
    admit_ticket_t *excl_head; /* exclusive tickets waiting, oldest first */
    admit_ticket_t **excl_tail;
    admit_user_t *ring; /* users with waiting tickets; the head is served next */
    admit_user_t **ring_tail;
    admit_stats_t st;
};

/* A newcomer may take a free slot ahead of a waiting statement that has waited less than this
 * (see admit_dispatch). */
#define ADMIT_BARGE_US 2000

static int64_t admit_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

admit_t *admit_new(int max, int64_t timeout_ms)
{
    admit_t *a = xcalloc(1, sizeof *a);
    pthread_mutex_init(&a->mu, NULL);
    a->max = max > 0 ? max : 0;
    a->timeout_ms = timeout_ms > 0 ? timeout_ms : 0;
    a->excl_tail = &a->excl_head;
    a->ring_tail = &a->ring;
    return a;
}

void admit_free(admit_t *a)
{
    if (!a)
        return;
    pthread_mutex_destroy(&a->mu);
    free(a);
}

/* Caller holds mu. The ticket now holds a slot; its waiter (if any) is woken. */
static void admit_grant(admit_t *a, admit_ticket_t *tk, int64_t now)
{
    tk->held = true;
    tk->queued = false;
    tk->uq = NULL;
    tk->next = NULL;
    a->running++;
    a->st.admitted++;
    if (tk->exclusive) {
        a->excl_running = true;
        a->st.exclusive++;
    }
    if (tk->queued_since_us) {
        uint64_t us = (uint64_t)(now - tk->queued_since_us);
        a->st.queued--;
        a->st.admitted_queued++;
        a->st.wait_us += us;
        if (us > a->st.max_wait_us)
            a->st.max_wait_us = us;
        tk->queued_since_us = 0;
        pthread_cond_signal(&tk->cv);
    }
}

/* Caller holds mu. The next ticket the round robin serves (NULL: none waits). */
static admit_ticket_t *admit_next(const admit_t *a) { return a->ring ? a->ring->head : NULL; }

/* Caller holds mu. True when a slot is free for a non-exclusive statement (ignoring who
 * waits). */
static bool admit_slot_free(const admit_t *a)
{
    return !a->excl_running && !a->excl_head && (a->max == 0 || a->running < a->max);
}

/* Caller holds mu. True when a newcomer may take a free slot now: nobody waits, or the next
 * in line has waited less than ADMIT_BARGE_US (it was woken and is still being scheduled, see
 * admit_dispatch). */
static bool admit_may_barge(const admit_t *a)
{
    if (!admit_slot_free(a))
        return false;
    admit_ticket_t *n = admit_next(a);
    return !n || admit_now_us() - n->queued_since_us < ADMIT_BARGE_US;
}

/* Caller holds mu. Takes the next ticket out of the round robin: the head user's oldest, then
 * that user goes to the back of the ring. */
static admit_ticket_t *admit_pop_next(admit_t *a)
{
    admit_user_t *u = a->ring;
    admit_ticket_t *tk = u->head;
    u->head = tk->next;
    a->ring = u->next;
    if (!a->ring)
        a->ring_tail = &a->ring;
    if (u->head) {
        u->next = NULL;
        *a->ring_tail = u;
        a->ring_tail = &u->next;
    } else {
        free(u->name);
        free(u);
    }
    return tk;
}

/* Caller holds mu. Hands free slots to waiting tickets: an exclusive one first (once nothing
 * runs), then one per user in turn. A slot freed while the next in line has waited less than
 * ADMIT_BARGE_US is not handed over: that ticket is only woken, and takes the slot itself
 * unless a statement arriving meanwhile took it first. Handing a slot to a sleeping thread
 * leaves it idle until that thread runs, which halved the throughput of sub-millisecond
 * statements at 32 clients on 2 cores; the window keeps slots busy, and a ticket that waited
 * longer gets the next slot directly (nobody overtakes it any more). */
static void admit_dispatch(admit_t *a)
{
    int64_t now = 0;
    while (!a->excl_running) {
        if (!now)
            now = admit_now_us();
        if (a->excl_head) {
            if (a->running > 0)
                return; /* others drain first; nobody new starts meanwhile */
            admit_ticket_t *tk = a->excl_head;
            a->excl_head = tk->next;
            if (!a->excl_head)
                a->excl_tail = &a->excl_head;
            admit_grant(a, tk, now);
            return;
        }
        if (!a->ring || (a->max > 0 && a->running >= a->max))
            return;
        admit_ticket_t *n = admit_next(a);
        if (now - n->queued_since_us < ADMIT_BARGE_US) {
            pthread_cond_signal(&n->cv);
            return;
        }
        admit_grant(a, admit_pop_next(a), now);
    }
}

/* Caller holds mu. Takes a waiting ticket out of its queue (it is not granted). */
static void admit_unqueue(admit_t *a, admit_ticket_t *tk)
{
    admit_ticket_t **pp;
    if (tk->exclusive) {
        for (pp = &a->excl_head; *pp && *pp != tk; pp = &(*pp)->next)
            ;
        if (*pp) {
            *pp = tk->next;
            if (!*pp)
                a->excl_tail = pp;
        }
    } else if (tk->uq) {
        admit_user_t *u = tk->uq;
        for (pp = &u->head; *pp && *pp != tk; pp = &(*pp)->next)
            ;
        if (*pp) {
            *pp = tk->next;
            if (!*pp)
                u->tail = pp;
        }
        if (!u->head) { /* unlink the user from the ring */
            admit_user_t **up;
            for (up = &a->ring; *up != u; up = &(*up)->next)
                ;
            *up = u->next;
            if (!*up)
                a->ring_tail = up;
            free(u->name);
            free(u);
        }
    }
    tk->queued = false;
    tk->uq = NULL;
    tk->next = NULL;
    tk->queued_since_us = 0;
    a->st.queued--;
    admit_dispatch(a); /* an exclusive ticket that left may unblock the others */
}

/* Caller holds mu. Appends the ticket to its queue. */
static void admit_enqueue(admit_t *a, admit_ticket_t *tk, const char *user)
{
    tk->queued = true;
    tk->next = NULL;
    tk->queued_since_us = admit_now_us();
    if (!tk->queued_since_us)
        tk->queued_since_us = 1; /* 0 means "not waiting" */
    a->st.queued++;
    if (tk->exclusive) {
        *a->excl_tail = tk;
        a->excl_tail = &tk->next;
        return;
    }
    admit_user_t *u;
    for (u = a->ring; u; u = u->next)
        if ((u->name == NULL) == (user == NULL) && (!user || strcmp(u->name, user) == 0))
            break;
    if (!u) {
        u = xcalloc(1, sizeof *u);
        u->name = user ? xstrdup(user) : NULL;
        u->tail = &u->head;
        *a->ring_tail = u;
        a->ring_tail = &u->next;
    }
    *u->tail = tk;
    u->tail = &tk->next;
    tk->uq = u;
}

void admit_configure(admit_t *a, int max, int64_t timeout_ms)
{
    pthread_mutex_lock(&a->mu);
    a->max = max > 0 ? max : 0;
    a->timeout_ms = timeout_ms > 0 ? timeout_ms : 0;
    admit_dispatch(a);
    pthread_mutex_unlock(&a->mu);
}

bool admit_try_enter(admit_t *a, admit_ticket_t *tk)
{
    bool ok = false;
    pthread_mutex_lock(&a->mu);
    if (!tk->held && admit_may_barge(a)) {
        tk->exclusive = false;
        admit_grant(a, tk, 0);
        ok = true;
    }
    pthread_mutex_unlock(&a->mu);
    return ok;
}

/* The ticket's condition variable, on CLOCK_MONOTONIC so a clock change does not matter. */
static void admit_cv_init(admit_ticket_t *tk)
{
    pthread_condattr_t ca;
    if (tk->cv_init)
        return;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&tk->cv, &ca);
    pthread_condattr_destroy(&ca);
    tk->cv_init = true;
}

admit_rc_t admit_enter(admit_t *a, admit_ticket_t *tk, const char *user, bool exclusive)
{
    admit_rc_t rc = ADMIT_OK;
    pthread_mutex_lock(&a->mu);
    if (tk->held)
        goto out;
    if (tk->cancelled) {
        rc = ADMIT_CANCELLED;
        goto out;
    }
    tk->exclusive = exclusive;
    if (exclusive ? !a->excl_running && !a->excl_head && a->running == 0 : admit_may_barge(a)) {
        admit_grant(a, tk, 0);
        goto out;
    }
    admit_cv_init(tk);
    admit_enqueue(a, tk, user);
    struct timespec until;
    int64_t deadline = a->timeout_ms ? tk->queued_since_us + a->timeout_ms * 1000 : 0;
    if (deadline) {
        until.tv_sec = deadline / 1000000;
        until.tv_nsec = (deadline % 1000000) * 1000;
    }
    while (!tk->held && !tk->cancelled) {
        int e = deadline ? pthread_cond_timedwait(&tk->cv, &a->mu, &until)
                         : pthread_cond_wait(&tk->cv, &a->mu);
        if (tk->held || tk->cancelled)
            break;
        if (admit_next(a) == tk && admit_slot_free(a)) { /* woken: the slot is still free */
            admit_grant(a, admit_pop_next(a), admit_now_us());
            admit_dispatch(a); /* more slots may be free (a larger cap) */
            break;
        }
        if (e == ETIMEDOUT) {
            admit_unqueue(a, tk);
            a->st.timeouts++;
            rc = ADMIT_TIMEOUT;
            goto out;
        }
    }
    if (!tk->held) /* admit_cancel took it out of the queue */
        rc = ADMIT_CANCELLED;
out:
    pthread_mutex_unlock(&a->mu);
    return rc;
}

void admit_leave(admit_t *a, admit_ticket_t *tk)
{
    pthread_mutex_lock(&a->mu);
    if (tk->held) {
        tk->held = false;
        a->running--;
        if (tk->exclusive)
            a->excl_running = false;
        tk->exclusive = false;
        admit_dispatch(a);
    }
    pthread_mutex_unlock(&a->mu);
}

void admit_arm(admit_ticket_t *tk) { tk->cancelled = false; }

void admit_cancel(admit_t *a, admit_ticket_t *tk)
{
    pthread_mutex_lock(&a->mu);
    if (tk->queued) {
        admit_unqueue(a, tk);
        a->st.cancelled++;
        tk->cancelled = true;
        pthread_cond_signal(&tk->cv);
    } else if (!tk->held) {
        tk->cancelled = true;
    }
    pthread_mutex_unlock(&a->mu);
}

int64_t admit_queued_since(admit_t *a, admit_ticket_t *tk)
{
    pthread_mutex_lock(&a->mu);
    int64_t t = tk->queued_since_us;
    pthread_mutex_unlock(&a->mu);
    return t ? t / 1000 : 0;
}

void admit_ticket_destroy(admit_ticket_t *tk)
{
    if (tk->cv_init)
        pthread_cond_destroy(&tk->cv);
    tk->cv_init = false;
}

bool admit_known_light(admit_t *a, uint64_t fp)
{
    uint64_t e = atomic_load_explicit(&a->hist[fp % ADMIT_HIST], memory_order_relaxed);
    bool light = e != 0 && (e | 1) == (fp | 1) && (e & 1);
    if (light)
        atomic_fetch_add_explicit(&a->light, 1, memory_order_relaxed);
    return light;
}

void admit_note_cost(admit_t *a, uint64_t fp, int64_t cpu_us, int64_t wall_us)
{
    bool light = cpu_us < ADMIT_LIGHT_CPU_US && wall_us < ADMIT_LIGHT_WALL_US;
    uint64_t e = (fp & ~(uint64_t)1) | (light ? 1 : 0);
    atomic_store_explicit(&a->hist[fp % ADMIT_HIST], e ? e : 2, memory_order_relaxed);
}

void admit_stats_get(admit_t *a, admit_stats_t *out)
{
    pthread_mutex_lock(&a->mu);
    *out = a->st;
    out->light = atomic_load_explicit(&a->light, memory_order_relaxed);
    out->max = a->max;
    out->running = a->running;
    pthread_mutex_unlock(&a->mu);
}
