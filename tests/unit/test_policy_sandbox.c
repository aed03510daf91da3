/* test_policy_sandbox.c - the worker's seccomp filter, entered through the
 * sandbox's own API in a forked child: what it still allows (a signal at
 * itself, as abort() sends) and what kills it (a signal at anyone else). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "policy_sandbox.h"

enum probe { SIGNAL_SELF, SIGNAL_PARENT, ABORT };

/* In the child: enter the sandbox, then do what probe says.  Exit codes
 * name the step that went wrong; a signal is the filter's answer. */
static void run_probe(enum probe probe, pid_t parent, int fd)
{
	struct mc_policy_sandbox_user u;

	mc_policy_sandbox_lookup(&u);
	if (mc_policy_sandbox_enter(&u, fd, parent) < 0)
		_exit(2);
	/* Signal 0 checks the target and sends nothing. */
	if (syscall(SYS_tgkill, getpid(), gettid(), 0))
		_exit(3);
	if (probe == SIGNAL_PARENT)
		syscall(SYS_tgkill, parent, parent, 0);
	else if (probe == ABORT)
		abort();
	_exit(0);
}

/* How the sandboxed child running probe ended, as a wait status. */
static int probe_status(enum probe probe)
{
	int sv[2], status = -1;
	pid_t parent = getpid(), child;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0)
		run_probe(probe, parent, sv[1]);
	close(sv[0]);
	close(sv[1]);
	assert_int_equal(waitpid(child, &status, 0), child);
	return status;
}

static void signal_at_self_allowed(void **state)
{
	int status = probe_status(SIGNAL_SELF);

	(void)state;
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* abort() raises SIGABRT with tgkill at itself: it must still end the
 * worker by SIGABRT, not by the filter's SIGSYS. */
static void abort_still_aborts(void **state)
{
	int status = probe_status(ABORT);

	(void)state;
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
}

static void signal_at_parent_kills(void **state)
{
	int status = probe_status(SIGNAL_PARENT);

	(void)state;
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGSYS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(signal_at_self_allowed),
		cmocka_unit_test(abort_still_aborts),
		cmocka_unit_test(signal_at_parent_kills),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
