/*
 * policy_lua.h - the policy's Lua state, inside the worker process only.
 *
 * The worker (policy_worker.c) owns one engine and feeds it the requests
 * the daemon sends; the engine answers each with one reply frame, after
 * any number of log frames it wrote to fd itself.  Nothing here runs in
 * the daemon: no lua_State ever lives there.
 */
#ifndef MC_POLICY_LUA_H
#define MC_POLICY_LUA_H

#include <lua.h>

#include "policy_ipc.h"

#define MC_POLICY_LUA_LOG_LINES	20	/* print/ctx.log lines per call */
#define MC_POLICY_LUA_LOG_LEN	400	/* bytes per line, then "..." */

struct mc_policy_lua;

/* A fresh sandboxed state whose print/ctx.log write to fd.  NULL if out of
 * memory. */
struct mc_policy_lua *mc_policy_lua_new(int fd);
/* Answers one request (MC_POLICY_IPC_LOAD or _DECIDE, payload in req) with
 * a finished frame in reply.  -1 when the request itself is garbled. */
int mc_policy_lua_handle(struct mc_policy_lua *e, int type,
			 struct mc_policy_ipc_buf *req,
			 struct mc_policy_ipc_buf *reply);

/* A call's request and reply, as the protected functions get them
 * (a light userdata, argument 1). */
struct mc_policy_lua_args {
	struct mc_policy_ipc_buf *in, *out;
};

/* For the other contracts' bridges (cpu_lua.h), inside a protected call:
 * pushes ctx read from in (period, elapsed, tick, reason; in NULL: the
 * init ctx), with params and log; and a table of key/value pairs read
 * from in (numbers as numbers). */
void mc_policy_lua_push_ctx(lua_State *L, struct mc_policy_ipc_buf *in);
void mc_policy_lua_get_kvs(lua_State *L, struct mc_policy_ipc_buf *in);
/* t[k] = the next f64 / string of in, t on the top of the stack. */
void mc_policy_lua_get_num(lua_State *L, struct mc_policy_ipc_buf *in, const char *k);
void mc_policy_lua_get_str(lua_State *L, struct mc_policy_ipc_buf *in, const char *k);

#endif
