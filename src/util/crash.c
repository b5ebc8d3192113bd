/* The fatal-signal reporter; see crash.h. The handler only formats into a stack buffer and
 * calls write(2), plus glibc's backtrace(), which is loaded once at install so that it does
 * not allocate in the handler. */
#include "util/crash.h"

#include <errno.h>
#include <execinfo.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define UCRASH_SANITIZED 1
#endif

#ifndef UCRASH_SANITIZED
/* Appends s to buf (at *n, capacity cap). Async-signal-safe. */
static void put_str(char *buf, size_t *n, size_t cap, const char *s)
{
    while (*s && *n + 1 < cap)
        buf[(*n)++] = *s++;
}

/* Appends v in hex ("0x..."). Async-signal-safe. */
static void put_hex(char *buf, size_t *n, size_t cap, uintptr_t v)
{
    char tmp[2 + 2 * sizeof v + 1];
    size_t k = sizeof tmp - 1;
    tmp[k] = '\0';
    do {
        tmp[--k] = "0123456789abcdef"[v & 15];
        v >>= 4;
    } while (v && k > 2);
    tmp[--k] = 'x';
    tmp[--k] = '0';
    put_str(buf, n, cap, tmp + k);
}

static void put_dec(char *buf, size_t *n, size_t cap, long v)
{
    char tmp[24];
    size_t k = sizeof tmp - 1;
    unsigned long u = v < 0 ? (unsigned long)-v : (unsigned long)v;
    tmp[k] = '\0';
    do {
        tmp[--k] = (char)('0' + u % 10);
        u /= 10;
    } while (u && k > 1);
    if (v < 0)
        tmp[--k] = '-';
    put_str(buf, n, cap, tmp + k);
}

static void ucrash_handler(int sig, siginfo_t *si, void *uc_)
{
    char buf[1024], name[32] = "?";
    size_t n = 0;
    void *frames[48];
    int saved = errno;
    (void)pthread_getname_np(pthread_self(), name, sizeof name);
    put_str(buf, &n, sizeof buf, "FATAL: duckd: fatal signal ");
    put_dec(buf, &n, sizeof buf, sig);
    put_str(buf, &n, sizeof buf, " (");
    put_str(buf, &n, sizeof buf, sigabbrev_np(sig) ? sigabbrev_np(sig) : "?");
    put_str(buf, &n, sizeof buf, ") code ");
    put_dec(buf, &n, sizeof buf, si ? si->si_code : 0);
    put_str(buf, &n, sizeof buf, " address ");
    put_hex(buf, &n, sizeof buf, si ? (uintptr_t)si->si_addr : 0);
    put_str(buf, &n, sizeof buf, " in thread \"");
    put_str(buf, &n, sizeof buf, name);
    put_str(buf, &n, sizeof buf, "\" tid ");
    put_dec(buf, &n, sizeof buf, (long)syscall(SYS_gettid));
#if defined(__x86_64__)
    const ucontext_t *uc = uc_;
    if (uc) {
        uintptr_t ip = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
        uintptr_t sp = (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
        put_str(buf, &n, sizeof buf, " ip ");
        put_hex(buf, &n, sizeof buf, ip);
        put_str(buf, &n, sizeof buf, " sp ");
        put_hex(buf, &n, sizeof buf, sp);
        /* after a call through a bad pointer, [sp] is the caller's return address */
        put_str(buf, &n, sizeof buf, " stack top:");
        for (int i = 0; i < 4 && sp && sp % sizeof(uintptr_t) == 0; i++) {
            put_str(buf, &n, sizeof buf, " ");
            put_hex(buf, &n, sizeof buf, ((const uintptr_t *)sp)[i]);
        }
    }
#else
    (void)uc_;
#endif
    put_str(buf, &n, sizeof buf, "\nbacktrace (addr2line -e duckd or libduckdb.so for names):\n");
    (void)!write(STDERR_FILENO, buf, n);
    int nf = backtrace(frames, (int)(sizeof frames / sizeof frames[0]));
    backtrace_symbols_fd(frames, nf, STDERR_FILENO);
    errno = saved;
    /* SA_RESETHAND restored the default action: returning re-runs the faulting instruction
     * (or, for a signal sent by kill, raise it again) and the process dies of it */
    if (si && si->si_code <= 0)
        raise(sig);
}
#endif

void ucrash_install(void)
{
#ifndef UCRASH_SANITIZED
    static const int sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE};
    void *warm[2];
    struct sigaction sa;
    (void)backtrace(warm, 2); /* loads libgcc's unwinder now, not in the handler */
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = ucrash_handler;
    sa.sa_flags = SA_SIGINFO | SA_RESETHAND | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        (void)sigaction(sigs[i], &sa, NULL);
#endif
}
