/* registry: the process-wide list of live sessions, for CancelRequest (find a session by its
 * backend pid and secret key), max_connections, graceful shutdown (wake or cancel every
 * session), and the watchdog thread that enforces statement_timeout and interrupts a statement
 * whose client hung up. Thread-safe: one mutex guards the list; callbacks run under it and
 * must be quick. */
#ifndef DUCKD_SESSION_REGISTRY_H
#define DUCKD_SESSION_REGISTRY_H

#include <stdbool.h>
#include <stdint.h>

#include "session/session.h"

typedef struct sreg_entry {
    /* Set by the front-end before sreg_admit: */
    const char *proto; /* static: "pgwire", "http", "internal" */
    char client[64];   /* the client's address as text ("127.0.0.1:5544", "[local]"); "" none */
    /* Set by sreg_admit: */
    int32_t id;        /* the session's id: pgwire's BackendKeyData process id, the sessions
                          view's id, what cancel names */
    int32_t key;       /* its secret cancel key (pgwire's CancelRequest) */
    sess_t *sess;      /* NULL until the session exists; cancel is a no-op then */
    int fd;            /* the client socket, for forced shutdown; -1 none (memory transport) */
    const char *user;  /* borrowed: the session's user, for the per-user cap */
    int64_t since_ms;  /* wall clock ms of admission */
    int64_t logged_ms; /* the watchdog: when it last logged the running statement's progress */
    bool terminate;    /* pg_terminate_backend asked the connection to end (atomic) */
    struct sreg_entry *next;
} sreg_entry_t;

/* Initialises the registry; max = max_connections, max_per_user = the cap on one user's
 * sessions (0 = none). */
void sreg_init(int max, int max_per_user);
/* Changes both caps (SIGHUP); sessions already admitted stay. */
void sreg_set_limits(int max, int max_per_user);

typedef enum {
    SREG_ADMITTED = 0,
    SREG_FULL,      /* max_connections reached: 53300 */
    SREG_USER_FULL, /* max_connections_per_user reached for this user: 53300 */
    SREG_STOPPING   /* shutting down: 57P03 */
} sreg_admit_t;

/* Admits a new connection of `user` (borrowed; must outlive the entry) if the caps allow:
 * fills pid/key and links e. Returns SREG_ADMITTED, or why nothing was linked. */
sreg_admit_t sreg_admit(sreg_entry_t *e, int fd, const char *user)
    __attribute__((warn_unused_result));
/* Attaches (or detaches with NULL) the session so cancels can reach it. */
void sreg_attach(sreg_entry_t *e, sess_t *s);
/* Unlinks e (must be admitted) and wakes anyone waiting for the count to drop. */
void sreg_remove(sreg_entry_t *e);
/* Interrupts the session with this pid/key, if any. Returns true if one matched. */
bool sreg_cancel(int32_t pid, int32_t key);

typedef enum { SREG_CANCELLED = 0, SREG_NO_SUCH, SREG_FORBIDDEN } sreg_cancel_t;
/* Cancels the running statement of session `id` on behalf of `user`: allowed when admin or
 * when the session is user's own (the same rule as PostgreSQL's pg_cancel_backend). */
sreg_cancel_t sreg_cancel_id(int32_t id, const char *user, bool admin);
/* Ends session `id` on behalf of `user` (pg_terminate_backend; the same permission rule):
 * its running statement is interrupted (unless it is the caller's own session, whose
 * statement is this very call) and its front-end told to close the connection: the socket's
 * reading side is shut down so the connection's thread wakes, sees sreg_terminated and
 * sends FATAL 57P01. An HTTP session's request is only cancelled: it ends with its request. */
sreg_cancel_t sreg_terminate_id(int32_t id, const char *user, bool admin, const sess_t *caller);
/* True once sreg_terminate_id named this entry (thread-safe). */
bool sreg_terminated(const sreg_entry_t *e);

/* One row of the sessions view. */
typedef struct sreg_info {
    int32_t id;
    char user[64];
    const char *proto;
    char client[64];
    int64_t since_ms;
    sess_activity_t act;
} sreg_info_t;
/* A snapshot of every registered session that has started (thread-safe). Returns the count
 * and *out (owned by the caller, free), ordered by id. */
size_t sreg_list(sreg_info_t **out);
/* Number of registered connections. */
int sreg_count(void);
/* Registered connections by state, a snapshot (for duckd_info()). */
typedef struct sreg_states {
    int total;               /* registered connections (sessions being set up included) */
    int active;              /* running a statement */
    int idle;                /* idle, outside a transaction block */
    int idle_in_transaction; /* idle inside a block (or a failed block) */
} sreg_states_t;
void sreg_count_states(sreg_states_t *out);
/* Shutdown: stop admitting. Returns the file descriptor that becomes readable when shutdown
 * starts (sessions poll it while idle). */
void sreg_begin_shutdown(void);
int sreg_shutdown_fd(void);
bool sreg_shutting_down(void);
/* Waits until no connection is registered or `seconds` elapse; true if none remain. */
bool sreg_wait_empty(double seconds);
/* Interrupts every running statement and shuts every socket down (forced shutdown). */
void sreg_cancel_all(void);
/* Starts the one watchdog thread: every interval_ms it walks the registered sessions (under
 * the registry mutex), interrupts a running statement whose statement_timeout has passed
 * (sess_watch_deadline), and polls the socket of each running session with timeout 0 for a
 * hang-up (POLLRDHUP/POLLHUP/POLLERR, never readable data: clients may pipeline) and then
 * interrupts it. Returns 0 or -errno. */
int sreg_watchdog_start(int interval_ms) __attribute__((warn_unused_result));
/* Makes the watchdog log a statement that has run longer than `seconds` (and again every as
 * many seconds): its session, run time, DuckDB's progress and its text. 0 = never. */
void sreg_log_progress(int seconds);
/* Stops and joins the watchdog thread (no-op if it is not running). */
void sreg_watchdog_stop(void);

#endif
