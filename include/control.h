/*
 * control.h - the daemon's control socket: one request line in, one reply
 * out, then the connection is closed.
 *
 * An AF_UNIX stream socket (default MC_CONTROL_DEFAULT), mode 0600 in a
 * directory created 0700, answering only root and the daemon's own uid
 * (SO_PEERCRED).  Everything runs in libvirt's event loop and nothing in
 * it blocks: connections are non-blocking, a request is at most
 * MC_CONTROL_REQUEST_MAX bytes, and a client that says nothing (or reads
 * nothing) is dropped after MC_CONTROL_TIMEOUT_MS.  What a request means
 * is the handler's business (main.c); this module only carries bytes.
 */
#ifndef MC_CONTROL_H
#define MC_CONTROL_H

#include <stddef.h>
#include <stdio.h>

#define MC_CONTROL_DEFAULT	"/run/memcoord/control.sock"
#define MC_CONTROL_REQUEST_MAX	128	/* bytes, newline included */
#define MC_CONTROL_TIMEOUT_MS	2000	/* a whole exchange, per client */
#define MC_CONTROL_CLIENTS_MAX	8	/* more at once are turned away */

/* Writes the reply to request (one line, newline stripped) into reply.
 * Its first line is "ok" or "error: why"; the rest is the body. */
typedef void mc_control_handler(void *opaque, const char *request, FILE *reply);

struct mc_control;

/* Binds path and listens; connections wait until mc_control_start().
 * Called before anything else is opened, so a second daemon stops before
 * it touches the first one's trace or event log.  Refuses a path that exists and is not a socket, or where another daemon
 * answers; a stale socket is removed.  NULL with err set; *denied is set
 * when the failure was a permission one (the caller may carry on without
 * a socket at the default path). */
struct mc_control *mc_control_open(const char *path, mc_control_handler *h,
				   void *opaque, int *denied, char *err,
				   size_t errlen);
/* Starts answering: joins libvirt's event loop (registered by then).
 * 0 or -1 (logged). */
int mc_control_start(struct mc_control *ctl);
/* Drops every client, closes and unlinks the socket (if still ours). */
void mc_control_close(struct mc_control *ctl);

#endif
