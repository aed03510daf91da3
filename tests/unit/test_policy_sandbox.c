/* test_policy_sandbox.c - the worker's seccomp filter, entered through the
 * sandbox's own API in a forked child: what it still allows (a signal at
 * itself, as abort() sends) and what kills it (a signal at anyone else);
 * and a daemon that is not root (the memcoord user) still gets a worker
 * with every wall but the user switch. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
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

/* In the child: become an unprivileged user first, as a daemon run as
 * memcoord is, then enter the sandbox and wait on the socket until the
 * parent has looked at /proc.  Exit 2: entering failed. */
static void run_unprivileged(pid_t parent, int fd)
{
	struct mc_policy_sandbox_user u;
	char byte;

	mc_policy_sandbox_lookup(&u);
	if (geteuid() == 0 && (setgroups(0, NULL) || setresgid(u.gid, u.gid, u.gid) ||
			       setresuid(u.uid, u.uid, u.uid)))
		_exit(4);
	fd = mc_policy_sandbox_enter(&u, fd, parent);
	if (fd < 0)
		_exit(2);
	_exit(read(fd, &byte, 1) == 0 ? 0 : 3);
}

/* Up to 5 s for a line starting with key in /proc/pid/file; copied to
 * line.  The child is still entering its sandbox when we first look. */
static int proc_line(pid_t pid, const char *file, const char *key, char *line,
		     size_t len)
{
	char path[64];
	int tries;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	for (tries = 0; tries < 500; tries++) {
		FILE *f = fopen(path, "re");
		int found = 0;

		while (f && !found && fgets(line, (int)len, f))
			found = strncmp(line, key, strlen(key)) == 0;
		if (f)
			fclose(f);
		if (found)
			return 0;
		usleep(10000);
	}
	return -1;
}

/* Waits until the child has its filter (entering is done), then checks
 * the rest of its walls. */
static void check_walls(pid_t child)
{
	char line[256];

	assert_int_equal(proc_line(child, "status", "Seccomp:\t2", line, sizeof(line)), 0);
	assert_int_equal(proc_line(child, "status", "NoNewPrivs:", line, sizeof(line)), 0);
	assert_string_equal(line, "NoNewPrivs:\t1\n");
	assert_int_equal(proc_line(child, "status", "Uid:", line, sizeof(line)), 0);
	assert_null(strstr(line, "\t0\t"));
	assert_int_equal(proc_line(child, "limits", "Max processes", line, sizeof(line)), 0);
	assert_non_null(strstr(line, " 0 "));
	assert_int_equal(proc_line(child, "limits", "Max file size", line, sizeof(line)), 0);
	assert_non_null(strstr(line, " 0 "));
}

/* Not root: no user to switch to, and that must not be an error; the
 * filter, no_new_privs and the rlimits are still there. */
static void unprivileged_daemon_keeps_walls(void **state)
{
	int sv[2], status = -1;
	pid_t parent = getpid(), child;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0)
		run_unprivileged(parent, sv[1]);
	close(sv[1]);
	check_walls(child);
	close(sv[0]);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(signal_at_self_allowed),
		cmocka_unit_test(abort_still_aborts),
		cmocka_unit_test(signal_at_parent_kills),
		cmocka_unit_test(unprivileged_daemon_keeps_walls),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
