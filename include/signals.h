/*
 * signals.h - the daemon's three signals, and whether one asks it to stop.
 *
 * SIGHUP, SIGINT and SIGTERM are blocked from the first line of main() and
 * read later (a signalfd in the daemon, sigtimedwait in the simulator), so
 * a signal that arrives while memcoord waits for something else stays
 * pending: a long wait can ask whether it should give up.
 */
#ifndef MC_SIGNALS_H
#define MC_SIGNALS_H

#include <signal.h>
#include <stdbool.h>

/* SIGHUP, SIGINT, SIGTERM. */
void mc_signals_set(sigset_t *set);
/* True when a blocked SIGINT or SIGTERM waits to be read: whoever is
 * waiting should give up so that the caller can stop. */
bool mc_signals_stop_pending(void);

#endif
