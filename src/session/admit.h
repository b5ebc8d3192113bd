/* admit: admission control. At most `max` statements run at once (max_concurrent_queries);
 * the others wait in a queue that is fair between users (round robin over the users that have
 * statements waiting, first come first served within a user) and bounded in time
 * (queue_timeout). A waiting statement can be withdrawn from another thread (cancel, timeout,
 * hang-up), which makes it leave the queue at once.
 *
 * An *exclusive* entry (the one retry of a query that ran out of memory) waits until nothing
 * else runs and then runs alone: while one waits, no other statement is admitted, so it cannot
 * starve.
 *
 * The module knows nothing of sessions: a caller owns one admit_ticket_t per thread of
 * execution (a session embeds one) and passes it to admit_enter / admit_leave. Thread-safe: one
 * mutex guards the queue and the counters; each waiting ticket sleeps on its own condition
 * variable, signalled when it is granted a slot (direct hand-off: a slot freed while statements
 * wait goes to the next of them, never to a newcomer). */
#ifndef DUCKD_SESSION_ADMIT_H
#define DUCKD_SESSION_ADMIT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct admit admit_t;
struct admit_user;

/* One statement's place. Zero-initialise it (ADMIT_TICKET_INIT) before the first use; the
 * fields are the module's (read them only through the functions below). */
typedef struct admit_ticket {
    const char *user;        /* borrowed from admit_enter's caller while queued */
    bool held;               /* holds a slot (granted) */
    bool exclusive;          /* wants to run alone */
    bool queued;             /* waiting in a queue */
    bool cancelled;          /* withdrawn by admit_cancel */
    bool cv_init;            /* cv initialised (on the first wait) */
    int64_t queued_since_us; /* CLOCK_MONOTONIC µs when it started waiting, 0 = not waiting */
    pthread_cond_t cv;       /* signalled when granted or cancelled */
    struct admit_user *uq;   /* the user queue it waits in */
    struct admit_ticket *next;
} admit_ticket_t;

#define ADMIT_TICKET_INIT                                                                          \
    {                                                                                              \
        0                                                                                          \
    }

/* Counters since start (for /metrics and logs). */
typedef struct admit_stats {
    int max;                  /* the cap in force (0: no cap) */
    int running;              /* statements holding a slot now */
    int queued;               /* statements waiting now */
    uint64_t admitted;        /* statements admitted (slot granted) */
    uint64_t admitted_queued; /* of those, how many had to wait */
    uint64_t timeouts;        /* waits that ended at queue_timeout (SQLSTATE 53000) */
    uint64_t cancelled;       /* waits withdrawn (cancel, statement_timeout, hang-up, shutdown) */
    uint64_t wait_us;         /* total time statements waited, µs */
    uint64_t max_wait_us;     /* the longest wait, µs */
    uint64_t exclusive;       /* exclusive entries admitted (out-of-memory retries) */
    uint64_t light;           /* statements that ran without a slot (known light) */
} admit_stats_t;

typedef enum {
    ADMIT_OK = 0,    /* the ticket holds a slot: call admit_leave when the statement stops */
    ADMIT_TIMEOUT,   /* waited timeout_ms without a slot; the ticket is out of the queue */
    ADMIT_CANCELLED, /* admit_cancel withdrew it; the ticket is out of the queue */
} admit_rc_t;

/* Creates the controller. max: statements that may run at once (0: no cap, but exclusive
 * entries still wait for the others to finish). timeout_ms: the longest a statement waits
 * (0: no limit). The caller owns the result (admit_free). */
admit_t *admit_new(int max, int64_t timeout_ms);
/* Frees it; no ticket may be queued or holding a slot. */
void admit_free(admit_t *a);
/* Changes the cap and the timeout at run time (a larger cap admits waiting statements). */
void admit_configure(admit_t *a, int max, int64_t timeout_ms);

/* Takes a slot without waiting: true when the ticket now holds one (the fast path: one mutex
 * round trip). False when the cap is reached, statements are already waiting, or an exclusive
 * entry waits or runs. */
bool admit_try_enter(admit_t *a, admit_ticket_t *tk) __attribute__((warn_unused_result));
/* Takes a slot, waiting in the queue of `user` (borrowed for the call; NULL is a user too) if
 * needed, for at most the controller's timeout. exclusive: wait until nothing else runs and
 * run alone. A ticket already cancelled (admit_cancel since admit_arm) returns ADMIT_CANCELLED
 * at once. Other limits (statement_timeout, a client's hang-up) reach a waiting ticket through
 * admit_cancel. */
admit_rc_t admit_enter(admit_t *a, admit_ticket_t *tk, const char *user, bool exclusive)
    __attribute__((warn_unused_result));
/* Gives the slot back (no-op if the ticket holds none) and hands it to the next waiting
 * statement. */
void admit_leave(admit_t *a, admit_ticket_t *tk);
/* Clears the ticket's cancelled mark before a new wait. Call it only while no other thread can
 * call admit_cancel on the ticket. */
void admit_arm(admit_ticket_t *tk);
/* Withdraws the ticket (any thread): a waiting ticket leaves the queue and its admit_enter
 * returns ADMIT_CANCELLED; a ticket not yet waiting is marked so that its admit_enter does. No
 * effect on a ticket holding a slot. */
void admit_cancel(admit_t *a, admit_ticket_t *tk);
/* CLOCK_MONOTONIC ms since which the ticket waits, 0 when it does not (any thread). */
int64_t admit_queued_since(admit_t *a, admit_ticket_t *tk);
/* Frees the ticket's condition variable; it must not be queued or holding a slot. */
void admit_ticket_destroy(admit_ticket_t *tk);

/* Statement history (any thread, lock-free): whether the statements of a fingerprint (a hash of
 * their text with literals and parameters blanked, chosen by the caller, never 0) were light
 * the last time one ran: cheaper than ADMIT_LIGHT_CPU_US of CPU on the thread that ran it and
 * shorter than ADMIT_LIGHT_WALL_US. Light statements run without a slot: a slot costs a
 * sub-millisecond statement most of its throughput under contention (slot holders are
 * preempted by the many threads doing protocol work), and a dashboard's point queries should
 * not queue behind reports. A fingerprint never seen, or one whose last run was heavy, takes
 * a slot. The table is small (4,096 entries, newest wins), so history is forgotten under many
 * distinct statements, which only makes them take slots. */
#define ADMIT_LIGHT_CPU_US 5000
#define ADMIT_LIGHT_WALL_US 100000
bool admit_known_light(admit_t *a, uint64_t fp);
void admit_note_cost(admit_t *a, uint64_t fp, int64_t cpu_us, int64_t wall_us);

/* A snapshot of the counters (any thread). */
void admit_stats_get(admit_t *a, admit_stats_t *out);

#endif
