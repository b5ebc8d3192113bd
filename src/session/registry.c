/* Session registry; see registry.h. Secret keys come from getrandom(2). */
#include "session/registry.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"
#include "util/xalloc.h"

static pthread_mutex_t sreg_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t sreg_cv = PTHREAD_COND_INITIALIZER;
static sreg_entry_t *sreg_head;
static int sreg_n, sreg_max = 100, sreg_max_per_user;
static int32_t sreg_next_pid = 1000;
static bool sreg_stopping;
static int sreg_efd = -1;

void sreg_set_limits(int max, int max_per_user)
{
    pthread_mutex_lock(&sreg_mu);
    sreg_max = max;
    sreg_max_per_user = max_per_user;
    pthread_mutex_unlock(&sreg_mu);
}

void sreg_init(int max, int max_per_user)
{
    sreg_set_limits(max, max_per_user);
    if (sreg_efd < 0)
        sreg_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
}

/* Caller holds sreg_mu. */
static int sreg_user_count(const char *user)
{
    int n = 0;
    for (const sreg_entry_t *e = sreg_head; e; e = e->next)
        n += e->user && strcmp(e->user, user) == 0;
    return n;
}

sreg_admit_t sreg_admit(sreg_entry_t *e, int fd, const char *user)
{
    sreg_admit_t rc;
    int32_t key = 0;
    if (getrandom(&key, sizeof key, 0) != (ssize_t)sizeof key)
        key = (int32_t)(time(NULL) ^ (intptr_t)e);
    pthread_mutex_lock(&sreg_mu);
    if (sreg_stopping)
        rc = SREG_STOPPING;
    else if (sreg_n >= sreg_max)
        rc = SREG_FULL;
    else if (sreg_max_per_user > 0 && sreg_user_count(user) >= sreg_max_per_user)
        rc = SREG_USER_FULL;
    else
        rc = SREG_ADMITTED;
    if (rc == SREG_ADMITTED) {
        e->id = sreg_next_pid++;
        if (sreg_next_pid == INT32_MAX)
            sreg_next_pid = 1000;
        e->key = key;
        e->sess = NULL;
        e->fd = fd;
        e->user = user;
        e->since_ms = (int64_t)time(NULL) * 1000;
        e->logged_ms = 0;
        __atomic_store_n(&e->terminate, false, __ATOMIC_RELAXED);
        if (!e->proto)
            e->proto = "internal";
        e->next = sreg_head;
        sreg_head = e;
        sreg_n++;
    }
    pthread_mutex_unlock(&sreg_mu);
    return rc;
}

void sreg_attach(sreg_entry_t *e, sess_t *s)
{
    pthread_mutex_lock(&sreg_mu);
    e->sess = s;
    pthread_mutex_unlock(&sreg_mu);
}

void sreg_remove(sreg_entry_t *e)
{
    pthread_mutex_lock(&sreg_mu);
    for (sreg_entry_t **pp = &sreg_head; *pp; pp = &(*pp)->next) {
        if (*pp == e) {
            *pp = e->next;
            sreg_n--;
            break;
        }
    }
    pthread_cond_broadcast(&sreg_cv);
    pthread_mutex_unlock(&sreg_mu);
}

bool sreg_cancel(int32_t pid, int32_t key)
{
    bool found = false;
    pthread_mutex_lock(&sreg_mu);
    for (sreg_entry_t *e = sreg_head; e; e = e->next) {
        if (e->id == pid && e->key == key) {
            if (e->sess)
                sess_cancel(e->sess);
            found = true;
            break;
        }
    }
    pthread_mutex_unlock(&sreg_mu);
    return found;
}

/* Signals session `id` on behalf of `user` (allowed when admin or its own): cancels its
 * running statement (not when it is `caller`'s own, whose statement is this very call), and
 * with `terminate` also ends a pgwire connection (see sreg_terminate_id). */
static sreg_cancel_t sreg_signal_id(int32_t id, const char *user, bool admin, const sess_t *caller,
                                    bool terminate)
{
    sreg_cancel_t rc = SREG_NO_SUCH;
    pthread_mutex_lock(&sreg_mu);
    for (sreg_entry_t *e = sreg_head; e; e = e->next) {
        if (e->id != id || !e->sess)
            continue;
        if (!admin && (!user || !e->user || strcmp(user, e->user) != 0)) {
            rc = SREG_FORBIDDEN;
            break;
        }
        rc = SREG_CANCELLED;
        if (e->sess != caller)
            sess_cancel(e->sess);
        if (terminate && strcmp(e->proto, "pgwire") == 0) {
            __atomic_store_n(&e->terminate, true, __ATOMIC_RELEASE);
            if (e->fd >= 0) /* wakes its thread; its answer can still be written */
                shutdown(e->fd, SHUT_RD);
        }
        break;
    }
    pthread_mutex_unlock(&sreg_mu);
    return rc;
}

sreg_cancel_t sreg_cancel_id(int32_t id, const char *user, bool admin)
{
    return sreg_signal_id(id, user, admin, NULL, false);
}

sreg_cancel_t sreg_terminate_id(int32_t id, const char *user, bool admin, const sess_t *caller)
{
    return sreg_signal_id(id, user, admin, caller, true);
}

bool sreg_terminated(const sreg_entry_t *e)
{
    return __atomic_load_n(&e->terminate, __ATOMIC_ACQUIRE);
}

static int sreg_info_cmp(const void *a, const void *b)
{
    int32_t x = ((const sreg_info_t *)a)->id, y = ((const sreg_info_t *)b)->id;
    return (x > y) - (x < y);
}

size_t sreg_list(sreg_info_t **out)
{
    size_t n = 0, cap = 0;
    sreg_info_t *v = NULL;
    pthread_mutex_lock(&sreg_mu);
    cap = (size_t)sreg_n + 1;
    v = xcalloc(cap, sizeof *v);
    for (sreg_entry_t *e = sreg_head; e && n < cap; e = e->next) {
        if (!e->sess)
            continue;
        sreg_info_t *i = &v[n++];
        i->id = e->id;
        snprintf(i->user, sizeof i->user, "%s", e->user ? e->user : "");
        i->proto = e->proto;
        snprintf(i->client, sizeof i->client, "%s", e->client);
        i->since_ms = e->since_ms;
        sess_activity(e->sess, &i->act);
    }
    pthread_mutex_unlock(&sreg_mu);
    qsort(v, n, sizeof *v, sreg_info_cmp);
    *out = v;
    return n;
}

int sreg_count(void)
{
    pthread_mutex_lock(&sreg_mu);
    int n = sreg_n;
    pthread_mutex_unlock(&sreg_mu);
    return n;
}

void sreg_count_states(sreg_states_t *out)
{
    *out = (sreg_states_t){0};
    pthread_mutex_lock(&sreg_mu);
    for (const sreg_entry_t *e = sreg_head; e; e = e->next) {
        out->total++;
        if (!e->sess)
            continue;
        if (sess_running(e->sess))
            out->active++;
        else if (sess_txn_status_peek(e->sess) != 'I')
            out->idle_in_transaction++;
        else
            out->idle++;
    }
    pthread_mutex_unlock(&sreg_mu);
}

void sreg_begin_shutdown(void)
{
    uint64_t one = 1;
    pthread_mutex_lock(&sreg_mu);
    sreg_stopping = true;
    pthread_mutex_unlock(&sreg_mu);
    if (sreg_efd >= 0 && write(sreg_efd, &one, sizeof one) < 0 && errno != EAGAIN)
        (void)0;
}

int sreg_shutdown_fd(void) { return sreg_efd; }

bool sreg_shutting_down(void)
{
    pthread_mutex_lock(&sreg_mu);
    bool s = sreg_stopping;
    pthread_mutex_unlock(&sreg_mu);
    return s;
}

bool sreg_wait_empty(double seconds)
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += (time_t)seconds;
    deadline.tv_nsec += (long)((seconds - (double)(time_t)seconds) * 1e9);
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&sreg_mu);
    while (sreg_n > 0) {
        if (pthread_cond_timedwait(&sreg_cv, &sreg_mu, &deadline) == ETIMEDOUT)
            break;
    }
    bool empty = sreg_n == 0;
    pthread_mutex_unlock(&sreg_mu);
    return empty;
}

void sreg_cancel_all(void)
{
    pthread_mutex_lock(&sreg_mu);
    for (sreg_entry_t *e = sreg_head; e; e = e->next) {
        if (e->sess)
            sess_cancel(e->sess);
        if (e->fd >= 0) /* a memory transport has no socket */
            shutdown(e->fd, SHUT_RDWR);
    }
    pthread_mutex_unlock(&sreg_mu);
}

/* ---- watchdog ---- */

static pthread_t sreg_wd_thread;
static bool sreg_wd_running, sreg_wd_stop;
static int sreg_wd_interval_ms = 100;
static pthread_cond_t sreg_wd_cv; /* CLOCK_MONOTONIC; signalled by sreg_watchdog_stop */

/* True if the peer of fd has hung up (or the socket failed). Readable data does not count. */
static bool sreg_hung_up(int fd)
{
    struct pollfd p = {fd, POLLRDHUP, 0};
    if (fd < 0) /* a memory transport has no socket to watch */
        return false;
    return poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

static int sreg_progress_ms; /* log_progress_interval, ms; 0 = off */

void sreg_log_progress(int seconds)
{
    __atomic_store_n(&sreg_progress_ms, seconds * 1000, __ATOMIC_RELAXED);
}

/* Logs e's statement if it has run for a whole interval since it started or was last logged.
 * Caller holds sreg_mu. */
static void sreg_watch_progress(sreg_entry_t *e, int64_t now)
{
    int interval = __atomic_load_n(&sreg_progress_ms, __ATOMIC_RELAXED);
    sess_activity_t a;
    if (interval <= 0 || !sess_running(e->sess))
        return;
    sess_activity(e->sess, &a);
    if (strcmp(a.state, "active") != 0 || a.query_start_ms == 0 ||
        now - a.query_start_ms < interval ||
        (e->logged_ms > a.query_start_ms && now - e->logged_ms < interval))
        return;
    e->logged_ms = now;
    char pct[32] = "progress unknown";
    if (a.progress >= 0)
        snprintf(pct, sizeof pct, "%.1f%% done", a.progress);
    ulog(ULOG_INFO,
         "statement running for %.0f s (%s, %lld rows so far): session %d user=%s: %.200s",
         (double)(now - a.query_start_ms) / 1000, pct, (long long)a.rows, e->id,
         e->user ? e->user : "", a.query);
}

/* One pass over the sessions; caller holds sreg_mu. */
static void sreg_watch_all(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    for (sreg_entry_t *e = sreg_head; e; e = e->next) {
        if (!e->sess)
            continue;
        sreg_watch_progress(e, now);
        if (sess_watch_deadline(e->sess))
            ulog(ULOG_INFO, "statement timeout: cancelling the statement of pid=%d", e->id);
        if (sess_running(e->sess) && sreg_hung_up(e->fd) &&
            sess_interrupt(e->sess, SESS_INTR_HANGUP))
            ulog(ULOG_INFO, "client hung up: cancelling the statement of pid=%d", e->id);
    }
}

static void *sreg_watchdog_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&sreg_mu);
    while (!sreg_wd_stop) {
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        t.tv_nsec += (long)sreg_wd_interval_ms * 1000000L;
        t.tv_sec += t.tv_nsec / 1000000000L;
        t.tv_nsec %= 1000000000L;
        (void)pthread_cond_timedwait(&sreg_wd_cv, &sreg_mu, &t);
        if (!sreg_wd_stop)
            sreg_watch_all();
    }
    pthread_mutex_unlock(&sreg_mu);
    return NULL;
}

int sreg_watchdog_start(int interval_ms)
{
    pthread_condattr_t ca;
    if (sreg_wd_running)
        return 0;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&sreg_wd_cv, &ca);
    pthread_condattr_destroy(&ca);
    sreg_wd_interval_ms = interval_ms > 0 ? interval_ms : 100;
    sreg_wd_stop = false;
    int rc = pthread_create(&sreg_wd_thread, NULL, sreg_watchdog_main, NULL);
    if (rc != 0) {
        pthread_cond_destroy(&sreg_wd_cv);
        return -rc;
    }
    sreg_wd_running = true;
    return 0;
}

void sreg_watchdog_stop(void)
{
    if (!sreg_wd_running)
        return;
    pthread_mutex_lock(&sreg_mu);
    sreg_wd_stop = true;
    pthread_cond_signal(&sreg_wd_cv);
    pthread_mutex_unlock(&sreg_mu);
    pthread_join(sreg_wd_thread, NULL);
    pthread_cond_destroy(&sreg_wd_cv);
    sreg_wd_running = false;
}
