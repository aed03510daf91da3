/*
 * control.c - the daemon's control socket (see control.h).
 *
 * Each client is a small state machine driven by the event loop: read
 * until a newline (READABLE), hand the line to the handler, write the
 * reply (WRITABLE), close.  A timer per client closes it after
 * MC_CONTROL_TIMEOUT_MS whatever state it is in, so a client that
 * connects and says nothing, or never reads its reply, costs a slot for
 * two seconds and never a blocked sample.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <libvirt/libvirt.h>

#include "control.h"
#include "log.h"

struct client {
	struct mc_control *ctl;
	int fd, watch, timer;
	char in[MC_CONTROL_REQUEST_MAX];
	size_t inlen;
	char *out;		/* the reply, once the request is in */
	size_t outlen, outoff;
};

struct mc_control {
	char *path;
	int fd, watch;
	dev_t dev;		/* the socket we bound: unlinked only if still ours */
	ino_t ino;
	mc_control_handler *handler;
	void *opaque;
	struct client *clients[MC_CONTROL_CLIENTS_MAX];
};

static void set_err(char *err, size_t len, int *denied, const char *what,
		    const char *path)
{
	*denied = errno == EACCES || errno == EPERM || errno == EROFS;
	snprintf(err, len, "control socket %s: %s: %s", path, what, strerror(errno));
}

/* ---- clients ---- */

static void client_free(struct client *cl)
{
	size_t i;

	for (i = 0; i < MC_CONTROL_CLIENTS_MAX; i++)
		if (cl->ctl->clients[i] == cl)
			cl->ctl->clients[i] = NULL;
	/* Removed handles are never dispatched again, so closing the fd at
	 * once cannot hand a later callback a reused descriptor. */
	if (cl->watch >= 0)
		virEventRemoveHandle(cl->watch);
	if (cl->timer >= 0)
		virEventRemoveTimeout(cl->timer);
	close(cl->fd);
	free(cl->out);
	free(cl);
}

static void on_client_timeout(int timer, void *opaque)
{
	(void)timer;
	client_free(opaque);
}

/* The whole request is in: build the reply and start writing it. */
static void client_answer(struct client *cl)
{
	FILE *f = open_memstream(&cl->out, &cl->outlen);

	if (!f) {
		client_free(cl);
		return;
	}
	cl->ctl->handler(cl->ctl->opaque, cl->in, f);
	if (fclose(f)) {
		client_free(cl);
		return;
	}
	virEventUpdateHandle(cl->watch, VIR_EVENT_HANDLE_WRITABLE);
}

/* Reads what is there; 1 when the line is complete, 0 for more, -1 done. */
static int client_read(struct client *cl)
{
	ssize_t n = read(cl->fd, cl->in + cl->inlen, sizeof(cl->in) - 1 - cl->inlen);
	char *nl;

	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	if (n == 0)	/* half-closed: what came is the request, if anything */
		return cl->inlen ? 1 : -1;
	cl->inlen += (size_t)n;
	cl->in[cl->inlen] = '\0';
	nl = memchr(cl->in, '\n', cl->inlen);
	if (nl) {
		*nl = '\0';
		return 1;
	}
	if (cl->inlen == sizeof(cl->in) - 1) {
		snprintf(cl->in, sizeof(cl->in), "(request too long)");
		return 1;	/* the handler refuses it by name */
	}
	return 0;
}

static void client_write(struct client *cl)
{
	/* MSG_NOSIGNAL: a client gone before its reply is its loss, and
	 * must not SIGPIPE the daemon. */
	ssize_t n = send(cl->fd, cl->out + cl->outoff, cl->outlen - cl->outoff,
			 MSG_NOSIGNAL);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		client_free(cl);
		return;
	}
	cl->outoff += (size_t)n;
	if (cl->outoff == cl->outlen)
		client_free(cl);
}

static void on_client(int watch, int fd, int events, void *opaque)
{
	struct client *cl = opaque;
	int rc;

	(void)watch;
	(void)fd;
	if (cl->out) {
		client_write(cl);
		return;
	}
	if (events & (VIR_EVENT_HANDLE_ERROR | VIR_EVENT_HANDLE_HANGUP) &&
	    !(events & VIR_EVENT_HANDLE_READABLE)) {
		client_free(cl);
		return;
	}
	rc = client_read(cl);
	if (rc < 0)
		client_free(cl);
	else if (rc > 0)
		client_answer(cl);
}

/* Root, or whoever the daemon runs as; nobody else, whatever the mode. */
static bool peer_allowed(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return false;
	return cred.uid == 0 || cred.uid == geteuid();
}

static struct client **free_slot(struct mc_control *ctl)
{
	size_t i;

	for (i = 0; i < MC_CONTROL_CLIENTS_MAX; i++)
		if (!ctl->clients[i])
			return &ctl->clients[i];
	return NULL;
}

static void client_add(struct mc_control *ctl, int fd)
{
	struct client **slot = free_slot(ctl);
	struct client *cl = slot ? calloc(1, sizeof(*cl)) : NULL;

	if (!cl) {
		mc_warn("control socket: too many clients at once; one turned away");
		close(fd);
		return;
	}
	*cl = (struct client){ .ctl = ctl, .fd = fd, .watch = -1, .timer = -1 };
	*slot = cl;
	cl->watch = virEventAddHandle(fd, VIR_EVENT_HANDLE_READABLE, on_client, cl, NULL);
	cl->timer = virEventAddTimeout(MC_CONTROL_TIMEOUT_MS, on_client_timeout, cl, NULL);
	if (cl->watch < 0 || cl->timer < 0)
		client_free(cl);
}

static void on_accept(int watch, int fd, int events, void *opaque)
{
	struct mc_control *ctl = opaque;
	int cfd;

	(void)watch;
	(void)events;
	while ((cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		if (!peer_allowed(cfd)) {
			mc_warn("control socket: a connection from another user refused");
			close(cfd);
			continue;
		}
		client_add(ctl, cfd);
	}
}

/* ---- the socket ---- */

/* The directory, 0700, when it is missing (systemd's RuntimeDirectory=
 * makes it otherwise). */
static int make_dir(const char *path, int *denied, char *err, size_t errlen)
{
	char *copy = strdup(path);
	int rc = 0;

	if (!copy) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (mkdir(dirname(copy), 0700) < 0 && errno != EEXIST) {
		set_err(err, errlen, denied, "cannot create its directory", path);
		rc = -1;
	}
	free(copy);
	return rc;
}

/* 0 when path is free to bind (a stale socket is removed), -1 when it is
 * something else or a live daemon answers there. */
static int claim_path(const struct sockaddr_un *addr, int *denied, char *err,
		      size_t errlen)
{
	struct stat st;
	int fd, rc;

	if (lstat(addr->sun_path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		set_err(err, errlen, denied, "cannot stat", addr->sun_path);
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "control socket %s: exists and is not a socket; not touched",
			 addr->sun_path);
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		set_err(err, errlen, denied, "socket", addr->sun_path);
		return -1;
	}
	rc = connect(fd, (const struct sockaddr *)addr, sizeof(*addr));
	close(fd);
	/* EAGAIN: a listener whose backlog is full is still a listener. */
	if (rc == 0 || errno == EAGAIN) {
		snprintf(err, errlen, "control socket %s: another memcoord answers there; refusing to start",
			 addr->sun_path);
		return -1;
	}
	if (unlink(addr->sun_path) < 0) {
		set_err(err, errlen, denied, "cannot remove the stale socket", addr->sun_path);
		return -1;
	}
	mc_info("control socket %s: removed a stale socket", addr->sun_path);
	return 0;
}

/* Bound with umask 0177 so the socket is never, even for an instant,
 * connectable by others; then listening. */
static int bind_listen(struct mc_control *ctl, const struct sockaddr_un *addr,
		       int *denied, char *err, size_t errlen)
{
	struct stat st;
	mode_t old;
	int rc;

	ctl->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ctl->fd < 0) {
		set_err(err, errlen, denied, "socket", addr->sun_path);
		return -1;
	}
	old = umask(0177);
	rc = bind(ctl->fd, (const struct sockaddr *)addr, sizeof(*addr));
	umask(old);
	if (rc < 0 || listen(ctl->fd, MC_CONTROL_CLIENTS_MAX) < 0 ||
	    stat(addr->sun_path, &st) < 0) {
		set_err(err, errlen, denied, rc < 0 ? "cannot bind" : "cannot listen",
			addr->sun_path);
		return -1;
	}
	ctl->dev = st.st_dev;
	ctl->ino = st.st_ino;
	return 0;
}

static int fill_addr(struct sockaddr_un *addr, const char *path, char *err,
		     size_t errlen)
{
	memset(addr, 0, sizeof(*addr));
	addr->sun_family = AF_UNIX;
	if (!*path || strlen(path) >= sizeof(addr->sun_path)) {
		snprintf(err, errlen, "control socket %s: path empty or longer than %zu bytes",
			 path, sizeof(addr->sun_path) - 1);
		return -1;
	}
	memcpy(addr->sun_path, path, strlen(path) + 1);
	return 0;
}

struct mc_control *mc_control_open(const char *path, mc_control_handler *h,
				   void *opaque, int *denied, char *err,
				   size_t errlen)
{
	struct mc_control *ctl = calloc(1, sizeof(*ctl));
	struct sockaddr_un addr;

	*denied = 0;
	if (!ctl || !(ctl->path = strdup(path))) {
		free(ctl);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	ctl->fd = ctl->watch = -1;
	ctl->handler = h;
	ctl->opaque = opaque;
	if (fill_addr(&addr, path, err, errlen) || make_dir(path, denied, err, errlen) ||
	    claim_path(&addr, denied, err, errlen) ||
	    bind_listen(ctl, &addr, denied, err, errlen)) {
		mc_control_close(ctl);
		return NULL;
	}
	return ctl;
}

int mc_control_start(struct mc_control *ctl)
{
	ctl->watch = virEventAddHandle(ctl->fd, VIR_EVENT_HANDLE_READABLE, on_accept, ctl, NULL);
	if (ctl->watch < 0) {
		mc_error("control socket %s: cannot join the event loop", ctl->path);
		return -1;
	}
	return 0;
}

void mc_control_close(struct mc_control *ctl)
{
	struct stat st;
	size_t i;

	if (!ctl)
		return;
	for (i = 0; i < MC_CONTROL_CLIENTS_MAX; i++)
		if (ctl->clients[i])
			client_free(ctl->clients[i]);
	if (ctl->watch >= 0)
		virEventRemoveHandle(ctl->watch);
	/* Another daemon may have replaced a socket we no longer own. */
	if (ctl->ino && lstat(ctl->path, &st) == 0 && st.st_dev == ctl->dev &&
	    st.st_ino == ctl->ino)
		unlink(ctl->path);
	if (ctl->fd >= 0)
		close(ctl->fd);
	free(ctl->path);
	free(ctl);
}
