/* admit: admission control (max_concurrent_queries, queue_timeout), see admit.h. One mutex
 * guards everything; waiting tickets sleep on their own condition variables and are handed a
 * slot directly by the thread that frees it, so nobody thunders and newcomers never overtake
 * the queue. */
#include "session/admit.h"

#include <errno.h>
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

struct admit {
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

static int64_t admit_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
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
    if (tk->queued_since_ms) {
        uint64_t us = (uint64_t)(now - tk->queued_since_ms) * 1000;
        a->st.queued--;
        a->st.admitted_queued++;
        a->st.wait_us += us;
        if (us > a->st.max_wait_us)
            a->st.max_wait_us = us;
        tk->queued_since_ms = 0;
        pthread_cond_signal(&tk->cv);
    }
}

/* Caller holds mu. True when a non-exclusive statement may start now. */
static bool admit_free_slot(const admit_t *a)
{
    return !a->excl_running && !a->excl_head && (a->max == 0 || a->running < a->max);
}

/* Caller holds mu. Hands free slots to waiting tickets: an exclusive one first (once nothing
 * runs), then one per user in turn. */
static void admit_dispatch(admit_t *a)
{
    int64_t now = 0;
    while (!a->excl_running) {
        if (!now)
            now = admit_now_ms();
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
        admit_user_t *u = a->ring;
        admit_ticket_t *tk = u->head;
        u->head = tk->next;
        a->ring = u->next;
        if (!a->ring)
            a->ring_tail = &a->ring;
        if (u->head) { /* the user goes to the back of the ring */
            u->next = NULL;
            *a->ring_tail = u;
            a->ring_tail = &u->next;
        } else {
            free(u->name);
            free(u);
        }
        admit_grant(a, tk, now);
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
    tk->queued_since_ms = 0;
    a->st.queued--;
    admit_dispatch(a); /* an exclusive ticket that left may unblock the others */
}

/* Caller holds mu. Appends the ticket to its queue. */
static void admit_enqueue(admit_t *a, admit_ticket_t *tk, const char *user)
{
    tk->queued = true;
    tk->next = NULL;
    tk->queued_since_ms = admit_now_ms();
    if (!tk->queued_since_ms)
        tk->queued_since_ms = 1; /* 0 means "not waiting" */
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
    if (!tk->held && admit_free_slot(a)) {
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
    if (exclusive ? !a->excl_running && !a->excl_head && a->running == 0 : admit_free_slot(a)) {
        admit_grant(a, tk, 0);
        goto out;
    }
    admit_cv_init(tk);
    admit_enqueue(a, tk, user);
    struct timespec until;
    int64_t deadline = a->timeout_ms ? tk->queued_since_ms + a->timeout_ms : 0;
    if (deadline) {
        until.tv_sec = deadline / 1000;
        until.tv_nsec = (deadline % 1000) * 1000000;
    }
    while (!tk->held && !tk->cancelled) {
        int e = deadline ? pthread_cond_timedwait(&tk->cv, &a->mu, &until)
                         : pthread_cond_wait(&tk->cv, &a->mu);
        if (e == ETIMEDOUT && !tk->held && !tk->cancelled) {
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
    int64_t t = tk->queued_since_ms;
    pthread_mutex_unlock(&a->mu);
    return t;
}

void admit_ticket_destroy(admit_ticket_t *tk)
{
    if (tk->cv_init)
        pthread_cond_destroy(&tk->cv);
    tk->cv_init = false;
}

void admit_stats_get(admit_t *a, admit_stats_t *out)
{
    pthread_mutex_lock(&a->mu);
    *out = a->st;
    out->max = a->max;
    out->running = a->running;
    pthread_mutex_unlock(&a->mu);
}
