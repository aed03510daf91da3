/*
 * policy_ipc.c - frames between the daemon and its policy worker.
 *
 * The daemon's end is non-blocking and every wait is a poll() bounded by
 * the call's deadline, so a worker that stops reading or writing costs the
 * daemon that deadline and no more.  The worker's end blocks: it has
 * nothing else to do, and the daemon kills it when it is late.
 */
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "policy_ipc.h"
#include "signals.h"
#include "util.h"

#define HEADER 5	/* u32 length + type */
/* s between checks for a pending SIGTERM while waiting for the worker */
#define STOP_CHECK_EVERY 0.05

/* ---- building a frame ---- */

static unsigned char *reserve(struct mc_policy_ipc_buf *b, size_t n)
{
	if (b->bad)
		return NULL;
	if (n > b->cap - b->len) {
		size_t cap = b->cap ? b->cap : 256;
		unsigned char *grown;

		while (cap - b->len < n && cap < SIZE_MAX / 2)
			cap *= 2;
		grown = cap - b->len >= n ? realloc(b->p, cap) : NULL;
		if (!grown) {
			b->bad = true;
			return NULL;
		}
		b->p = grown;
		b->cap = cap;
	}
	b->len += n;
	return b->p + b->len - n;
}

static void put(struct mc_policy_ipc_buf *b, const void *v, size_t n)
{
	unsigned char *dst = reserve(b, n);

	if (dst && n)
		memcpy(dst, v, n);
}

void mc_policy_ipc_begin(struct mc_policy_ipc_buf *b, int type)
{
	uint8_t t = (uint8_t)type;

	b->len = b->off = 0;
	b->bad = false;
	mc_policy_ipc_put_u32(b, 0);	/* the length, set by finish */
	put(b, &t, 1);
}

void mc_policy_ipc_put_u8(struct mc_policy_ipc_buf *b, uint8_t v) { put(b, &v, 1); }
void mc_policy_ipc_put_u32(struct mc_policy_ipc_buf *b, uint32_t v) { put(b, &v, 4); }
void mc_policy_ipc_put_u64(struct mc_policy_ipc_buf *b, uint64_t v) { put(b, &v, 8); }
void mc_policy_ipc_put_f64(struct mc_policy_ipc_buf *b, double v) { put(b, &v, 8); }

void mc_policy_ipc_put_str(struct mc_policy_ipc_buf *b, const char *s, size_t len)
{
	if (len > MC_POLICY_IPC_FRAME_MAX) {
		b->bad = true;
		return;
	}
	mc_policy_ipc_put_u32(b, (uint32_t)len);
	put(b, s, len);
	mc_policy_ipc_put_u8(b, 0);
}

int mc_policy_ipc_finish(struct mc_policy_ipc_buf *b)
{
	uint32_t n;

	if (b->bad || b->len < HEADER || b->len - 4 > MC_POLICY_IPC_FRAME_MAX)
		return -1;
	n = (uint32_t)(b->len - 4);
	memcpy(b->p, &n, 4);
	return 0;
}

void mc_policy_ipc_free(struct mc_policy_ipc_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* ---- reading a payload ---- */

static const unsigned char *take(struct mc_policy_ipc_buf *b, size_t n)
{
	if (b->bad || n > b->len - b->off) {
		b->bad = true;
		return NULL;
	}
	b->off += n;
	return b->p + b->off - n;
}

#define GETTER(name, type, zero)					\
type mc_policy_ipc_get_##name(struct mc_policy_ipc_buf *b)		\
{									\
	const unsigned char *src = take(b, sizeof(type));		\
	type v = zero;							\
									\
	if (src)							\
		memcpy(&v, src, sizeof(v));				\
	return v;							\
}
GETTER(u8, uint8_t, 0)
GETTER(u32, uint32_t, 0)
GETTER(u64, uint64_t, 0)
GETTER(f64, double, NAN)

const char *mc_policy_ipc_get_str(struct mc_policy_ipc_buf *b, size_t *len)
{
	uint32_t n = mc_policy_ipc_get_u32(b);
	const unsigned char *s = n < UINT32_MAX ? take(b, (size_t)n + 1) : NULL;

	if (!s || s[n] != '\0') {
		b->bad = true;
		*len = 0;
		return "";
	}
	*len = n;
	return (const char *)s;
}

/* ---- moving frames ---- */

/* Waits until fd is ready for events or the deadline passes.  The wait
 * is cut into slices so that a SIGTERM arriving meanwhile (blocked, read
 * later by the event loop) ends it at once: a long policy_timeout must
 * not delay a stop.  errno is ETIMEDOUT or ECANCELED on -1. */
static int wait_ready(int fd, short events, double deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	double left;
	int rc;

	if (deadline == 0)
		return 0;
	do {
		left = deadline - mc_monotonic_seconds();
		if (left <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (mc_signals_stop_pending()) {
			errno = ECANCELED;
			return -1;
		}
		rc = poll(&pfd, 1, (int)ceil(fmin(left, STOP_CHECK_EVERY) * 1000));
	} while (rc == 0 || (rc < 0 && errno == EINTR));
	return rc > 0 ? 0 : -1;
}

int mc_policy_ipc_send(int fd, const struct mc_policy_ipc_buf *b, double deadline)
{
	size_t done = 0;

	while (done < b->len) {
		ssize_t n;

		if (wait_ready(fd, POLLOUT, deadline))
			return -1;
		/* MSG_NOSIGNAL: a dead worker must not SIGPIPE the daemon. */
		n = send(fd, b->p + done, b->len - done, MSG_NOSIGNAL);
		if (n > 0)
			done += (size_t)n;
		else if (n < 0 && errno != EINTR && errno != EAGAIN)
			return -1;
	}
	return 0;
}

static int recv_exact(int fd, unsigned char *dst, size_t len, double deadline)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n;

		if (wait_ready(fd, POLLIN, deadline))
			return -1;
		n = read(fd, dst + done, len - done);
		if (n > 0) {
			done += (size_t)n;
		} else if (n == 0) {
			errno = EPIPE;
			return -1;
		} else if (errno != EINTR && errno != EAGAIN) {
			return -1;
		}
	}
	return 0;
}

int mc_policy_ipc_recv(int fd, struct mc_policy_ipc_buf *b, int *type,
		       double deadline)
{
	unsigned char head[HEADER];
	uint32_t n;

	b->len = b->off = 0;
	b->bad = false;
	if (recv_exact(fd, head, HEADER, deadline))
		return -1;
	memcpy(&n, head, 4);
	if (n < 1 || n > MC_POLICY_IPC_FRAME_MAX) {
		errno = EPROTO;
		return -1;
	}
	*type = head[4];
	if (!reserve(b, n - 1)) {
		errno = ENOMEM;
		return -1;
	}
	return recv_exact(fd, b->p, n - 1, deadline);
}
