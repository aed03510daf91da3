/*
 * notify.c - sd_notify(3) written by hand rather than linking libsystemd:
 * the protocol is one datagram of "KEY=value" lines to the AF_UNIX socket
 * named by NOTIFY_SOCKET, and memcoord must build and run where systemd
 * (and its library) is absent; one more runtime dependency of a root
 * daemon for thirty lines is not worth it.
 *
 * NOTIFY_SOCKET is a path, or an abstract name when it starts with '@'
 * (the '@' stands for the leading NUL).  Each call opens its own socket:
 * notifications are rare (start, reload, status change, watchdog), and a
 * socket kept open would be one more descriptor to hand to the sandboxed
 * policy worker by accident.
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "notify.h"

/* Fills addr from NOTIFY_SOCKET; its length, or 0 when there is none and
 * -1 (errno EINVAL) when it is not an absolute path or an '@' name. */
static int notify_address(struct sockaddr_un *addr)
{
	const char *env = getenv("NOTIFY_SOCKET");
	size_t len;

	if (!env || !*env)
		return 0;
	len = strlen(env);
	if ((env[0] != '/' && env[0] != '@') || len < 2 ||
	    len >= sizeof(addr->sun_path)) {
		errno = EINVAL;
		return -1;
	}
	memset(addr, 0, sizeof(*addr));
	addr->sun_family = AF_UNIX;
	memcpy(addr->sun_path, env, len);
	if (env[0] == '@')
		addr->sun_path[0] = '\0';	/* abstract: no trailing NUL either */
	else
		len++;
	return (int)(offsetof(struct sockaddr_un, sun_path) + len);
}

int mc_notify(const char *state)
{
	struct sockaddr_un addr;
	int len = notify_address(&addr), fd, saved;
	ssize_t n;

	if (len <= 0)
		return len;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	/* MSG_NOSIGNAL: a vanished listener must not SIGPIPE the daemon. */
	n = sendto(fd, state, strlen(state), MSG_NOSIGNAL,
		   (struct sockaddr *)&addr, (socklen_t)len);
	saved = errno;
	close(fd);
	errno = saved;
	return n == (ssize_t)strlen(state) ? 0 : -1;
}

int mc_notify_reloading(void)
{
	struct timespec ts;
	char msg[96];

	if (clock_gettime(CLOCK_MONOTONIC, &ts))
		return -1;
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%" PRIu64,
		 (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u);
	return mc_notify(msg);
}

int mc_notify_status(const char *text)
{
	size_t len = strlen(text), i;
	char *msg = malloc(sizeof("STATUS=") + len);
	int rc;

	if (!msg)
		return -1;
	memcpy(msg, "STATUS=", sizeof("STATUS=") - 1);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];

		msg[sizeof("STATUS=") - 1 + i] = c < 0x20 || c == 0x7F ? '?' : (char)c;
	}
	msg[sizeof("STATUS=") - 1 + len] = '\0';
	rc = mc_notify(msg);
	free(msg);
	return rc;
}

/* An unsigned decimal that is the whole of s, or 0. */
static uint64_t parse_u64(const char *s)
{
	char *end;
	unsigned long long v;

	if (!s || *s < '0' || *s > '9')
		return 0;
	errno = 0;
	v = strtoull(s, &end, 10);
	return errno || *end ? 0 : (uint64_t)v;
}

uint64_t mc_notify_watchdog_usec(void)
{
	const char *pid = getenv("WATCHDOG_PID");

	if (pid && parse_u64(pid) != (uint64_t)getpid())
		return 0;
	return parse_u64(getenv("WATCHDOG_USEC"));
}
