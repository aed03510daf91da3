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

#endif
