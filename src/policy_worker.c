/*
 * policy_worker.c - fork the worker, run its request loop, kill it.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "policy_ipc.h"
#include "policy_lua.h"
#include "policy_worker.h"

/* The worker: one request, one reply, until the daemon hangs up (EOF) or
 * kills it.  It never returns, and exits with _exit so nothing inherited
 * from the daemon (stdio buffers, atexit handlers) runs twice. */
static void __attribute__((noreturn))
worker_main(const struct mc_policy_sandbox_user *u, int fd, pid_t parent)
{
	struct mc_policy_ipc_buf req = { 0 }, reply = { 0 };
	struct mc_policy_lua *e;
	int type;

	fd = mc_policy_sandbox_enter(u, fd, parent);
	e = fd < 0 ? NULL : mc_policy_lua_new(fd);
	if (!e)
		_exit(1);
	for (;;) {
		if (mc_policy_ipc_recv(fd, &req, &type, 0))
			_exit(errno == EPIPE ? 0 : 1);
		if (mc_policy_lua_handle(e, type, &req, &reply) ||
		    mc_policy_ipc_send(fd, &reply, 0))
			_exit(1);
	}
}

int mc_policy_worker_start(struct mc_policy_worker *w,
			   const struct mc_policy_sandbox_user *u)
{
	pid_t parent = getpid();
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return -1;
	w->pid = fork();
	if (w->pid == 0) {
		close(sv[0]);
		worker_main(u, sv[1], parent);
	}
	close(sv[1]);
	w->fd = sv[0];
	if (w->pid < 0 || fcntl(w->fd, F_SETFL, O_NONBLOCK) < 0) {
		int saved = errno;

		if (w->pid < 0)
			w->pid = 0;
		mc_policy_worker_stop(w);
		errno = saved;
		return -1;
	}
	return 0;
}

int mc_policy_worker_stop(struct mc_policy_worker *w)
{
	int status = -1;

	if (w->pid > 0) {
		kill(w->pid, SIGKILL);
		while (waitpid(w->pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	if (w->fd >= 0)
		close(w->fd);
	w->pid = 0;
	w->fd = -1;
	return status;
}
