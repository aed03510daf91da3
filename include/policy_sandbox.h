/*
 * policy_sandbox.h - what the policy worker gives up before it runs Lua.
 *
 * OpenBSD-style privilege separation: the worker is forked by the daemon,
 * and before it reads a byte of policy it drops to an unprivileged user
 * (when the daemon is root; a daemon run as memcoord has no user to switch
 * to, and keeps every other wall), loses every fd but its socket, gets rlimits that forbid files,
 * processes and core dumps, and installs a seccomp filter that allows only
 * what Lua, malloc and the socket need.  Anything else kills it.
 */
#ifndef MC_POLICY_SANDBOX_H
#define MC_POLICY_SANDBOX_H

#include <sys/types.h>

/* Who the worker becomes when the daemon runs as root; looked up in the
 * daemon before fork (getpwnam cannot run inside the sandbox). */
struct mc_policy_sandbox_user {
	uid_t uid;
	gid_t gid;
};

/* "nobody", or 65534 when the user database has none. */
void mc_policy_sandbox_lookup(struct mc_policy_sandbox_user *u);
/* In the forked worker: moves fd to 3, closes every other fd, drops to u
 * (when euid is 0), sets rlimits, no_new_privs, parent-death SIGKILL and
 * the seccomp filter.  Returns the new fd, or -1 (the worker must exit). */
int mc_policy_sandbox_enter(const struct mc_policy_sandbox_user *u, int fd,
			    pid_t parent);

#endif
