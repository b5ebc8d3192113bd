/* umem: the server-wide accounting of duckd's own buffers; see mem.h.
 *
 * The total and the per-kind counters are separate atomics. A reservation raises the total
 * by compare-and-swap only while it stays within the budget, so two racing reservations can
 * never both pass it and a refused one never shows. Waiters sleep on one condition variable;
 * umem_release broadcasts only while someone waits (umem_waiters), so the common path takes no
 * lock. A waiter counts itself before it tries, under the mutex, and a releaser that sees it takes
 * the mutex before it broadcasts, so a release between a failed try and the sleep is never missed.
 */
#include "util/mem.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

static _Atomic int64_t umem_budget_bytes; /* 0: no budget */
static _Atomic int64_t umem_total;
static _Atomic int64_t umem_kind_bytes[UMEM_NKINDS];
static _Atomic int umem_waiters;
static _Atomic int umem_wait_ms = 10000;
static pthread_mutex_t umem_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t umem_cv;
static pthread_once_t umem_once = PTHREAD_ONCE_INIT;

/* The longest single sleep of a waiter: it re-checks at least this often (a safety net; the
 * broadcast wakes it sooner). */
#define UMEM_POLL_MS 100

static void umem_init_cv(void)
{
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(&umem_cv, &a);
    pthread_condattr_destroy(&a);
}

int64_t umem_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void umem_set_budget(int64_t bytes) { atomic_store(&umem_budget_bytes, bytes > 0 ? bytes : 0); }

void umem_set_wait_timeout(int ms) { atomic_store(&umem_wait_ms, ms > 0 ? ms : 0); }

int umem_wait_timeout(void) { return atomic_load(&umem_wait_ms); }

int64_t umem_budget(void) { return atomic_load(&umem_budget_bytes); }

int64_t umem_used(void) { return atomic_load(&umem_total); }

int64_t umem_used_kind(umem_kind_t k)
{
    return k < UMEM_NKINDS ? atomic_load(&umem_kind_bytes[k]) : 0;
}

const char *umem_kind_name(umem_kind_t k)
{
    static const char *const names[UMEM_NKINDS] = {"input", "output", "copy", "gcommit"};
    return k < UMEM_NKINDS ? names[k] : "?";
}

/* Wakes the waiters of umem_reserve_wait, if there are any. */
static void umem_wake(void)
{
    if (atomic_load(&umem_waiters) > 0) {
        pthread_once(&umem_once, umem_init_cv);
        pthread_mutex_lock(&umem_mu);
        pthread_cond_broadcast(&umem_cv);
        pthread_mutex_unlock(&umem_mu);
    }
}

bool umem_over(void)
{
    int64_t b = atomic_load_explicit(&umem_budget_bytes, memory_order_relaxed);
    return b > 0 && atomic_load_explicit(&umem_total, memory_order_relaxed) >= b;
}

void umem_charge(umem_kind_t k, size_t n)
{
    if (n == 0)
        return;
    atomic_fetch_add(&umem_total, (int64_t)n);
    atomic_fetch_add(&umem_kind_bytes[k], (int64_t)n);
}

bool umem_try_reserve(umem_kind_t k, size_t n)
{
    int64_t b = atomic_load(&umem_budget_bytes);
    if (n == 0)
        return true;
    if (b <= 0) {
        atomic_fetch_add(&umem_total, (int64_t)n);
    } else {
        /* compare-and-swap, so a refused reservation never shows in the total */
        int64_t cur = atomic_load(&umem_total);
        do {
            if (cur + (int64_t)n > b)
                return false;
        } while (!atomic_compare_exchange_weak(&umem_total, &cur, cur + (int64_t)n));
    }
    atomic_fetch_add(&umem_kind_bytes[k], (int64_t)n);
    return true;
}

void umem_release(umem_kind_t k, size_t n)
{
    if (n == 0)
        return;
    atomic_fetch_sub(&umem_kind_bytes[k], (int64_t)n);
    atomic_fetch_sub(&umem_total, (int64_t)n);
    umem_wake();
}

int umem_reserve_wait(umem_kind_t k, size_t n, int64_t deadline_ms)
{
    int64_t b = atomic_load(&umem_budget_bytes);
    int rc = -1;
    if (umem_try_reserve(k, n))
        return 0;
    if (b > 0 && (int64_t)n > b)
        return -1; /* can never fit */
    pthread_once(&umem_once, umem_init_cv);
    pthread_mutex_lock(&umem_mu);
    atomic_fetch_add(&umem_waiters, 1);
    for (;;) {
        if (umem_try_reserve(k, n)) {
            rc = 0;
            break;
        }
        int64_t now = umem_now_ms();
        if (now >= deadline_ms)
            break;
        int64_t until = deadline_ms - now > UMEM_POLL_MS ? now + UMEM_POLL_MS : deadline_ms;
        struct timespec ts = {(time_t)(until / 1000), (long)(until % 1000) * 1000000L};
        (void)pthread_cond_timedwait(&umem_cv, &umem_mu, &ts);
    }
    atomic_fetch_sub(&umem_waiters, 1);
    pthread_mutex_unlock(&umem_mu);
    return rc;
}

/* ---- the split of memory_limit ---- */

bool umem_parse_duckdb_size(const char *text, int64_t *bytes)
{
    static const struct {
        const char *name;
        double factor;
    } units[] = {
        {"b", 1.0},
        {"byte", 1.0},
        {"bytes", 1.0},
        {"kb", 1e3},
        {"kilobyte", 1e3},
        {"kilobytes", 1e3},
        {"mb", 1e6},
        {"megabyte", 1e6},
        {"megabytes", 1e6},
        {"gb", 1e9},
        {"gigabyte", 1e9},
        {"gigabytes", 1e9},
        {"tb", 1e12},
        {"terabyte", 1e12},
        {"terabytes", 1e12},
        {"kib", 1024.0},
        {"mib", 1048576.0},
        {"gib", 1073741824.0},
        {"tib", 1099511627776.0},
    };
    const char *p = text;
    double v = 0, scale = 0;
    bool digits = false;
    char unit[16];
    size_t n = 0;
    if (!p)
        return false;
    while (*p == ' ')
        p++;
    for (; *p >= '0' && *p <= '9'; p++, digits = true)
        v = v * 10 + (*p - '0');
    if (*p == '.')
        for (p++, scale = 0.1; *p >= '0' && *p <= '9'; p++, scale /= 10, digits = true)
            v += (*p - '0') * scale;
    while (*p == ' ')
        p++;
    while (((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')) && n < sizeof unit - 1)
        unit[n++] = (char)(*p++ | 0x20);
    unit[n] = '\0';
    while (*p == ' ')
        p++;
    if (!digits || n == 0 || *p)
        return false;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strcmp(unit, units[i].name) == 0) {
            double b = v * units[i].factor;
            if (b >= 9.2e18)
                return false;
            *bytes = (int64_t)b;
            return true;
        }
    }
    return false;
}

int umem_split(int64_t limit, int64_t buffer_setting, int64_t ram, umem_split_t *out)
{
    int64_t base = limit > 0 ? limit : ram / 10 * 8;
    out->auto_buffer = buffer_setting <= 0;
    out->buffer = buffer_setting;
    if (out->auto_buffer) {
        out->buffer = base / 10;
        if (out->buffer < UMEM_AUTO_MIN)
            out->buffer = UMEM_AUTO_MIN;
        if (out->buffer > UMEM_AUTO_MAX)
            out->buffer = UMEM_AUTO_MAX;
        if (limit > 0 && out->buffer > limit / 4)
            out->buffer = limit / 4; /* a small limit stays mostly DuckDB's */
    }
    out->duckdb = limit > 0 ? limit - out->buffer : 0;
    return limit > 0 && out->duckdb < limit / 4 ? -1 : 0;
}
