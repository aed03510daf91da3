/*
 * signals.c - the daemon's three signals, and whether one asks it to stop.
 */
#include "signals.h"

void mc_signals_set(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
}

/* sigpending() sees only blocked signals; where they are not blocked (unit
 * tests) a stop signal is delivered at once and this stays false. */
bool mc_signals_stop_pending(void)
{
	sigset_t pending;

	if (sigpending(&pending) < 0)
		return false;
	return sigismember(&pending, SIGTERM) == 1 || sigismember(&pending, SIGINT) == 1;
}
