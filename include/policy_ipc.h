/*
 * policy_ipc.h - the frames the daemon and its policy worker exchange.
 *
 * A frame is a native-endian u32 length, a one-byte type and a payload of
 * fixed-width integers, raw IEEE doubles (so numbers such as ctx.elapsed
 * cross unchanged) and strings (u32 length, bytes, NUL).  Both ends run
 * the same binary (the worker is forked, not exec'd), so no byte order or
 * version negotiation is needed.  The daemon treats every frame from the
 * worker as hostile: the reader checks every length against what is left.
 */
#ifndef MC_POLICY_IPC_H
#define MC_POLICY_IPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Larger frames are garbage: a snapshot of 10000 domains is ~5 MiB, and
 * targets cannot outgrow the worker's Lua memory cap. */
#define MC_POLICY_IPC_FRAME_MAX	(96u << 20)

enum mc_policy_ipc_type {
	MC_POLICY_IPC_LOAD = 'L',	/* daemon: chunk name, source, params, entry */
	MC_POLICY_IPC_DECIDE = 'D',	/* daemon: ctx, host, domains */
	MC_POLICY_IPC_PLACE = 'P',	/* daemon: ctx, pcpus, vcpus (cpu_policy.c) */
	MC_POLICY_IPC_LOG = 'l',	/* worker: one line from print/ctx.log */
	MC_POLICY_IPC_OK = 'o',		/* worker: loaded; cpu */
	MC_POLICY_IPC_ERROR = 'e',	/* worker: cpu, message + traceback */
	MC_POLICY_IPC_TARGETS = 't',	/* worker: cpu, n, (named, name, value)* */
};

/* A frame being built (put) or a received payload (get). */
struct mc_policy_ipc_buf {
	unsigned char *p;
	size_t len, cap;
	size_t off;		/* get: next byte to read */
	bool bad;		/* put: out of memory; get: ran past the end */
};

void mc_policy_ipc_begin(struct mc_policy_ipc_buf *b, int type);
void mc_policy_ipc_put_u8(struct mc_policy_ipc_buf *b, uint8_t v);
void mc_policy_ipc_put_u32(struct mc_policy_ipc_buf *b, uint32_t v);
void mc_policy_ipc_put_u64(struct mc_policy_ipc_buf *b, uint64_t v);
void mc_policy_ipc_put_f64(struct mc_policy_ipc_buf *b, double v);
void mc_policy_ipc_put_str(struct mc_policy_ipc_buf *b, const char *s, size_t len);
/* Writes the length into the header; -1 when out of memory or too big. */
int mc_policy_ipc_finish(struct mc_policy_ipc_buf *b);
void mc_policy_ipc_free(struct mc_policy_ipc_buf *b);

uint8_t mc_policy_ipc_get_u8(struct mc_policy_ipc_buf *b);
uint32_t mc_policy_ipc_get_u32(struct mc_policy_ipc_buf *b);
uint64_t mc_policy_ipc_get_u64(struct mc_policy_ipc_buf *b);
double mc_policy_ipc_get_f64(struct mc_policy_ipc_buf *b);
/* A NUL-terminated string inside the buffer, or "" with b->bad set. */
const char *mc_policy_ipc_get_str(struct mc_policy_ipc_buf *b, size_t *len);

/* Sends a finished frame.  deadline 0 blocks (the worker's side); else
 * the fd must be non-blocking and the call gives up at the deadline.
 * 0, or -1 with errno (ETIMEDOUT, EPIPE, ...). */
int mc_policy_ipc_send(int fd, const struct mc_policy_ipc_buf *b, double deadline);
/* Receives one frame into b (payload only, off = 0); *type is its type.
 * -1 with errno: ETIMEDOUT, EPIPE (peer closed), EPROTO (bad length). */
int mc_policy_ipc_recv(int fd, struct mc_policy_ipc_buf *b, int *type,
		       double deadline);

#endif
