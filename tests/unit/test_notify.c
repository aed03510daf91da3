/* test_notify.c - the sd_notify protocol as systemd receives it: a test
 * socket (a path, then an abstract '@' name) stands in for NOTIFY_SOCKET
 * and the datagrams are read back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "notify.h"

struct listener {
	int fd;
	char dir[64];
	char name[108];		/* NOTIFY_SOCKET's value */
};

/* Binds a datagram socket at a path in a fresh directory, or at an
 * abstract name when abstract; NOTIFY_SOCKET names it. */
static void listen_on(struct listener *l, int abstract)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	socklen_t len;

	l->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(l->fd >= 0);
	snprintf(l->dir, sizeof(l->dir), "/tmp/mcnotify.XXXXXX");
	assert_non_null(mkdtemp(l->dir));
	if (abstract)
		snprintf(l->name, sizeof(l->name), "@mc-test-%ld", (long)getpid());
	else
		snprintf(l->name, sizeof(l->name), "%s/notify", l->dir);
	memcpy(addr.sun_path, l->name, strlen(l->name));
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(l->name));
	if (abstract)
		addr.sun_path[0] = '\0';
	else
		len++;
	assert_int_equal(bind(l->fd, (struct sockaddr *)&addr, len), 0);
	assert_int_equal(setenv("NOTIFY_SOCKET", l->name, 1), 0);
}

static void listener_close(struct listener *l)
{
	char path[128];

	unsetenv("NOTIFY_SOCKET");
	close(l->fd);
	snprintf(path, sizeof(path), "%s/notify", l->dir);
	unlink(path);
	rmdir(l->dir);
}

/* The next datagram, NUL-terminated, or "" when none is waiting. */
static const char *next_datagram(struct listener *l, char *buf, size_t len)
{
	ssize_t n = recv(l->fd, buf, len - 1, MSG_DONTWAIT);

	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static void path_socket_gets_ready_and_stopping(void **state)
{
	struct listener l;
	char buf[512];

	(void)state;
	listen_on(&l, 0);
	assert_int_equal(mc_notify("READY=1"), 0);
	assert_int_equal(mc_notify("STOPPING=1"), 0);
	assert_string_equal(next_datagram(&l, buf, sizeof(buf)), "READY=1");
	assert_string_equal(next_datagram(&l, buf, sizeof(buf)), "STOPPING=1");
	assert_string_equal(next_datagram(&l, buf, sizeof(buf)), "");
	listener_close(&l);
}

static void abstract_socket_gets_status(void **state)
{
	struct listener l;
	char buf[512];

	(void)state;
	listen_on(&l, 1);
	assert_int_equal(mc_notify_status("policy /etc/p.lua, 3 domains"), 0);
	assert_string_equal(next_datagram(&l, buf, sizeof(buf)),
			    "STATUS=policy /etc/p.lua, 3 domains");
	listener_close(&l);
}

/* A policy error with a newline must not become a second assignment. */
static void status_control_characters_replaced(void **state)
{
	struct listener l;
	char buf[512];

	(void)state;
	listen_on(&l, 0);
	assert_int_equal(mc_notify_status("refused: x\nMAINPID=1\r\x1b[m\x7f"), 0);
	assert_string_equal(next_datagram(&l, buf, sizeof(buf)),
			    "STATUS=refused: x?MAINPID=1??[m?");
	listener_close(&l);
}

static void reloading_carries_monotonic_usec(void **state)
{
	struct listener l;
	char buf[512];
	unsigned long long usec = 0;
	struct timespec ts;

	(void)state;
	listen_on(&l, 0);
	assert_int_equal(mc_notify_reloading(), 0);
	assert_int_equal(sscanf(next_datagram(&l, buf, sizeof(buf)),
				"RELOADING=1\nMONOTONIC_USEC=%llu", &usec), 1);
	assert_int_equal(clock_gettime(CLOCK_MONOTONIC, &ts), 0);
	assert_true(usec > 0 && usec <= (unsigned long long)ts.tv_sec * 1000000ULL +
		    (unsigned long long)ts.tv_nsec / 1000ULL);
	listener_close(&l);
}

/* No NOTIFY_SOCKET: a no-op that succeeds; a relative one: an error. */
static void no_socket_is_a_no_op(void **state)
{
	(void)state;
	unsetenv("NOTIFY_SOCKET");
	assert_int_equal(mc_notify("READY=1"), 0);
	setenv("NOTIFY_SOCKET", "relative/sock", 1);
	assert_int_equal(mc_notify("READY=1"), -1);
	unsetenv("NOTIFY_SOCKET");
}

static void watchdog_usec_and_pid(void **state)
{
	char pid[32];

	(void)state;
	unsetenv("WATCHDOG_PID");
	unsetenv("WATCHDOG_USEC");
	assert_int_equal(mc_notify_watchdog_usec(), 0);
	setenv("WATCHDOG_USEC", "30000000", 1);
	assert_int_equal(mc_notify_watchdog_usec(), 30000000);
	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	setenv("WATCHDOG_PID", pid, 1);
	assert_int_equal(mc_notify_watchdog_usec(), 30000000);
	setenv("WATCHDOG_PID", "1", 1);		/* meant for another process */
	assert_int_equal(mc_notify_watchdog_usec(), 0);
	unsetenv("WATCHDOG_PID");
	setenv("WATCHDOG_USEC", "30s", 1);
	assert_int_equal(mc_notify_watchdog_usec(), 0);
	unsetenv("WATCHDOG_USEC");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(path_socket_gets_ready_and_stopping),
		cmocka_unit_test(abstract_socket_gets_status),
		cmocka_unit_test(status_control_characters_replaced),
		cmocka_unit_test(reloading_carries_monotonic_usec),
		cmocka_unit_test(no_socket_is_a_no_op),
		cmocka_unit_test(watchdog_usec_and_pid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
