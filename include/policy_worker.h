/*
 * policy_worker.h - the process a policy runs in.
 *
 * The daemon forks one worker per loaded policy (no exec: the child runs
 * policy_lua.c's engine behind policy_sandbox.c's walls and never touches
 * libvirt).  The daemon talks to it over a socketpair with deadlines and,
 * when it is late, dead or talks garbage, kills it with SIGKILL and reaps
 * it: no lua_close() (which could run a policy's finalizers) ever runs in
 * the daemon.
 */
#ifndef MC_POLICY_WORKER_H
#define MC_POLICY_WORKER_H

#include <sys/types.h>

#include "policy_sandbox.h"

struct mc_policy_worker {
	pid_t pid;		/* 0 = not running */
	int fd;			/* the daemon's end, non-blocking */
};

/* Forks a sandboxed worker.  0, or -1 with errno. */
int mc_policy_worker_start(struct mc_policy_worker *w,
			   const struct mc_policy_sandbox_user *u);
/* SIGKILL, reap, close.  Safe on a worker that is not running.  Returns
 * the wait status (how it died, if it died before the SIGKILL) or -1. */
int mc_policy_worker_stop(struct mc_policy_worker *w);

#endif
