/* Session pool: idle engine connections for short-lived sessions; see pool.h. */
#include "session/pool.h"

#include <pthread.h>
#include <stdlib.h>

#include "util/xalloc.h"

struct sess_pool {
    pthread_mutex_t mu;
    eng_conn_t **idle; /* max entries, n used (a stack: the most recently used is warm) */
    size_t n, max;
    sess_pool_stats_t st; /* idle unused: n is the truth */
};

sess_pool_t *sess_pool_new(size_t max_idle)
{
    sess_pool_t *p = xcalloc(1, sizeof *p);
    pthread_mutex_init(&p->mu, NULL);
    p->max = max_idle;
    p->idle = xcalloc(max_idle ? max_idle : 1, sizeof *p->idle);
    return p;
}

void sess_pool_free(sess_pool_t *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++)
        eng_conn_close(p->idle[i]);
    free(p->idle);
    pthread_mutex_destroy(&p->mu);
    free(p);
}

void sess_pool_stats(sess_pool_t *p, sess_pool_stats_t *out)
{
    pthread_mutex_lock(&p->mu);
    *out = p->st;
    out->idle = p->n;
    pthread_mutex_unlock(&p->mu);
}

eng_conn_t *sess__pool_take(sess_pool_t *p)
{
    eng_conn_t *c = NULL;
    pthread_mutex_lock(&p->mu);
    if (p->n > 0) {
        c = p->idle[--p->n];
        p->st.reused++;
    } else {
        p->st.opened++;
    }
    pthread_mutex_unlock(&p->mu);
    return c;
}

bool sess__pool_give(sess_pool_t *p, eng_conn_t *c, bool clean)
{
    bool kept = false;
    pthread_mutex_lock(&p->mu);
    if (clean && p->n < p->max) {
        p->idle[p->n++] = c;
        p->st.returned++;
        kept = true;
    } else {
        p->st.dropped++;
    }
    pthread_mutex_unlock(&p->mu);
    return kept;
}
