/* crash: a last word on stderr (the log) when the process dies of a fatal signal, so that a
 * crash nobody can reproduce leaves more than a kernel line behind: the signal, the faulting
 * address, the thread's name and id, the instruction and stack pointers, the words on top of
 * the stack (after a call through a bad pointer the caller's return address is there) and a
 * backtrace. Then the signal's default action runs (a core dump where enabled). Not installed
 * in sanitizer builds, whose own reports are better. */
#ifndef DUCKD_UTIL_CRASH_H
#define DUCKD_UTIL_CRASH_H

/* Installs the handler for SIGSEGV, SIGBUS, SIGILL and SIGFPE (once, early in main). */
void ucrash_install(void);

#endif
