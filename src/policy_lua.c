/*
 * policy_lua.c - the policy's Lua state, run inside the worker process.
 *
 * The instruction budget and the memory cap stay here as the first line:
 * they turn the common mistakes (an endless loop, a growing table) into a
 * clean error with file:line while the state lives on.  They can be
 * defeated (pcall catches the budget error, finalizers run without hooks,
 * C functions loop without executing an instruction), which is why this
 * runs in a separate process the daemon kills at its deadline.
 *
 * Stack discipline: every call into Lua that can allocate (building the
 * arguments, decide() itself, reading the result) runs inside one
 * lua_pcall, so an out-of-memory or a runaway policy unwinds to us instead
 * of to Lua's panic handler.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "cpu_lua.h"
#include "ksm.h"
#include "policy.h"
#include "policy_lua.h"
#include "policy_mc.h"
#include "util.h"

struct mc_policy_lua {
	lua_State *L;
	int fd;			/* log frames go here */
	size_t mem_used;
	size_t mem_cap;
	long insn_left;
	int params_ref;		/* ctx.params, built once */
	unsigned log_lines;	/* this call */
	struct mc_policy_ipc_buf logbuf;
};

/* ---- memory cap and instruction budget ---- */

static void *capped_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	struct mc_policy_lua *e = ud;
	size_t old = ptr ? osize : 0;
	void *q;

	if (nsize == 0) {
		free(ptr);
		e->mem_used -= old;
		return NULL;
	}
	if (nsize > old && e->mem_used - old + nsize > e->mem_cap)
		return NULL;	/* Lua raises "not enough memory" */
	q = realloc(ptr, nsize);
	if (q)
		e->mem_used = e->mem_used - old + nsize;
	return q;
}

#define HOOK_EVERY 1000

static struct mc_policy_lua *engine_of(lua_State *L)
{
	void *e;

	lua_getallocf(L, &e);
	return e;
}

static void budget_hook(lua_State *L, lua_Debug *ar)
{
	struct mc_policy_lua *e = engine_of(L);

	(void)ar;
	e->insn_left -= HOOK_EVERY;
	if (e->insn_left < 0)
		luaL_error(L, "instruction budget of %d exceeded (endless loop?)",
			   MC_POLICY_INSN_BUDGET);
}

/* ---- print and ctx.log: bounded lines to the daemon ---- */

/* Sends one line as a log frame; past the per-call limit only counts it.
 * The daemon logs at debug level, escapes and bounds again: this side
 * only saves it the traffic. */
static void send_line(struct mc_policy_lua *e, const char *s, size_t len)
{
	if (e->log_lines++ >= MC_POLICY_LUA_LOG_LINES)
		return;
	if (len > MC_POLICY_LUA_LOG_LEN)
		len = MC_POLICY_LUA_LOG_LEN;
	mc_policy_ipc_begin(&e->logbuf, MC_POLICY_IPC_LOG);
	mc_policy_ipc_put_str(&e->logbuf, s, len);
	if (mc_policy_ipc_finish(&e->logbuf) == 0)
		mc_policy_ipc_send(e->fd, &e->logbuf, 0);
}

/* After a call: one line for everything the limit held back. */
static void send_suppressed(struct mc_policy_lua *e)
{
	char line[96];
	unsigned more = e->log_lines > MC_POLICY_LUA_LOG_LINES ?
			e->log_lines - MC_POLICY_LUA_LOG_LINES : 0;

	e->log_lines = 0;
	if (!more)
		return;
	snprintf(line, sizeof(line), "%u more lines suppressed", more);
	send_line(e, line, strlen(line));
	e->log_lines = 0;
}

/* Lua's print: tostring of every argument, tab-separated. */
static int policy_print(lua_State *L)
{
	int i, n = lua_gettop(L);
	luaL_Buffer b;
	size_t len;
	const char *s;

	luaL_buffinit(L, &b);
	for (i = 1; i <= n; i++) {
		if (i > 1)
			luaL_addchar(&b, '\t');
		s = luaL_tolstring(L, i, &len);
		luaL_addvalue(&b);
		(void)s;
	}
	luaL_pushresult(&b);
	s = lua_tolstring(L, -1, &len);
	send_line(engine_of(L), s, len);
	return 0;
}

/* ctx.log(fmt, ...): string.format, then one line. */
static int policy_log(lua_State *L)
{
	size_t len;
	const char *s;

	lua_pushvalue(L, lua_upvalueindex(1));	/* string.format */
	lua_insert(L, 1);
	lua_call(L, lua_gettop(L) - 1, 1);
	s = luaL_tolstring(L, -1, &len);
	send_line(engine_of(L), s, len);
	return 0;
}

/* ---- the sandbox ---- */

/* load() for source text only: bytecode could break the VM's invariants. */
static int text_load(lua_State *L)
{
	int nargs = lua_gettop(L);

	lua_settop(L, 4);	/* chunk, chunkname, mode (ignored), env */
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_pushvalue(L, 1);
	lua_pushvalue(L, 2);
	lua_pushliteral(L, "t");
	/* An env given as nil means "no env", absent means _G: keep that. */
	if (nargs >= 4)
		lua_pushvalue(L, 4);
	lua_call(L, nargs >= 4 ? 4 : 3, LUA_MULTRET);
	return lua_gettop(L) - 4;
}

/* collectgarbage("count") is harmless; stopping or tuning the collector
 * would let a policy grow past its cap unnoticed. */
static int count_only_gc(lua_State *L)
{
	const char *opt = luaL_optstring(L, 1, "count");

	if (strcmp(opt, "count"))
		return luaL_error(L, "collectgarbage('%s') is not allowed in a policy", opt);
	lua_pushnumber(L, (lua_Number)lua_gc(L, LUA_GCCOUNT, 0) +
			  lua_gc(L, LUA_GCCOUNTB, 0) / (double)MC_BYTES_PER_KIB);
	return 1;
}

static void open_libs(lua_State *L)
{
	static const luaL_Reg libs[] = {
		{ LUA_GNAME, luaopen_base },
		{ LUA_STRLIBNAME, luaopen_string },
		{ LUA_TABLIBNAME, luaopen_table },
		{ LUA_MATHLIBNAME, luaopen_math },
		{ LUA_UTF8LIBNAME, luaopen_utf8 },
		{ NULL, NULL },
	};
	static const char *const removed[] = { "dofile", "loadfile", "require" };
	const luaL_Reg *lib;
	size_t i;

	for (lib = libs; lib->func; lib++) {
		luaL_requiref(L, lib->name, lib->func, 1);
		lua_pop(L, 1);
	}
	for (i = 0; i < sizeof(removed) / sizeof(removed[0]); i++) {
		lua_pushnil(L);
		lua_setglobal(L, removed[i]);
	}
}

/* The helper module (src/policy_mc.lua) as the global mc, run as text
 * under the same budget and cap as the policy: it is trusted code, but
 * there is no reason to treat it otherwise. */
static void open_mc(lua_State *L)
{
	if (luaL_loadbufferx(L, mc_policy_mc_src, strlen(mc_policy_mc_src),
			     "=mc", "t") != LUA_OK)
		lua_error(L);
	lua_call(L, 0, 1);
	lua_setglobal(L, "mc");
}

/* The string library's format becomes ctx.log's upvalue; ctx.log itself
 * is kept in the registry so every ctx gets the same function. */
static int open_sandbox(lua_State *L)
{
	open_libs(L);
	lua_getglobal(L, "load");
	lua_pushcclosure(L, text_load, 1);
	lua_setglobal(L, "load");
	lua_pushcfunction(L, count_only_gc);
	lua_setglobal(L, "collectgarbage");
	lua_pushcfunction(L, policy_print);
	lua_setglobal(L, "print");
	lua_getglobal(L, LUA_STRLIBNAME);
	lua_pushnil(L);
	lua_setfield(L, -2, "dump");
	lua_getfield(L, -1, "format");
	lua_pushcclosure(L, policy_log, 1);
	lua_setfield(L, LUA_REGISTRYINDEX, "mc_ctx_log");
	lua_pop(L, 1);
	open_mc(L);
	return 0;
}

/* ---- errors: keep file:line for any error object ---- */

/* Like lua.c's msghandler: a non-string error object becomes its
 * __tostring, its number, or "(error object is a T value)", prefixed with where the
 * first Lua function on the stack was; then a traceback.  The daemon
 * logs the first line as the error and the rest at debug level. */
static int msghandler(lua_State *L)
{
	const char *msg = lua_type(L, 1) == LUA_TSTRING ? lua_tostring(L, 1) : NULL;
	lua_Debug ar;
	int level;

	/* error() adds file:line to strings only: error(42) and error({})
	 * would arrive without it. */
	if (!msg) {
		if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
			msg = lua_tostring(L, -1);
		else if (lua_type(L, 1) == LUA_TNUMBER)
			msg = luaL_tolstring(L, 1, NULL);
		else
			msg = lua_pushfstring(L, "(error object is a %s value)",
					      luaL_typename(L, 1));
		for (level = 1; lua_getstack(L, level, &ar); level++) {
			lua_getinfo(L, "Sl", &ar);
			if (ar.currentline > 0) {
				msg = lua_pushfstring(L, "%s:%d: %s", ar.short_src,
						      ar.currentline, msg);
				break;
			}
		}
	}
	luaL_traceback(L, L, msg, 1);
	return 1;
}

/* ---- requests -> Lua values (the layout policy.c writes) ---- */

static void set_int(lua_State *L, const char *k, uint64_t v)
{
	lua_pushinteger(L, (lua_Integer)v);
	lua_setfield(L, -2, k);
}

static void get_int(lua_State *L, struct mc_policy_ipc_buf *in, const char *k)
{
	set_int(L, k, mc_policy_ipc_get_u64(in));
}

void mc_policy_lua_get_num(lua_State *L, struct mc_policy_ipc_buf *in, const char *k)
{
	lua_pushnumber(L, mc_policy_ipc_get_f64(in));
	lua_setfield(L, -2, k);
}

void mc_policy_lua_get_str(lua_State *L, struct mc_policy_ipc_buf *in, const char *k)
{
	size_t len;
	const char *s = mc_policy_ipc_get_str(in, &len);

	lua_pushlstring(L, s, len);
	lua_setfield(L, -2, k);
}

/* Numbers in the INI arrive as numbers, everything else as strings. */
void mc_policy_lua_get_kvs(lua_State *L, struct mc_policy_ipc_buf *in)
{
	uint32_t i, n = mc_policy_ipc_get_u32(in);
	size_t len;

	if (n > in->len)
		luaL_error(L, "garbled request");
	lua_createtable(L, 0, (int)n);
	for (i = 0; i < n && !in->bad; i++) {
		const char *key = mc_policy_ipc_get_str(in, &len);
		const char *value = mc_policy_ipc_get_str(in, &len);

		if (!lua_stringtonumber(L, value))
			lua_pushstring(L, value);
		lua_setfield(L, -2, key);
	}
}

static void get_memstats(lua_State *L, struct mc_policy_ipc_buf *in)
{
	static const char *const fields[] = {
		"unused", "available", "usable", "disk_caches", "rss", "swap_in",
		"swap_out", "major_fault", "minor_fault", "last_update",
	};
	size_t i;

	get_int(L, in, "actual");
	if (!mc_policy_ipc_get_u8(in))
		return;		/* no stats yet */
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		get_int(L, in, fields[i]);
}

/* d.lever, and d.vmem = { base, size, block, requested, plugged } when
 * the lever is a virtio-mem device (put_vmem in policy.c). */
static void get_vmem(lua_State *L, struct mc_policy_ipc_buf *in)
{
	static const char *const fields[] = { "base", "size", "block", "requested", "plugged" };
	bool have = mc_policy_ipc_get_u8(in);
	size_t i;

	lua_pushstring(L, have ? "virtio-mem" : "balloon");
	lua_setfield(L, -2, "lever");
	if (!have)
		return;
	lua_createtable(L, 0, 5);
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		get_int(L, in, fields[i]);
	lua_setfield(L, -2, "vmem");
}

static void get_domain(lua_State *L, struct mc_policy_ipc_buf *in)
{
	lua_createtable(L, 0, 20);
	mc_policy_lua_get_str(L, in, "name");
	mc_policy_lua_get_str(L, in, "uuid");
	get_int(L, in, "id");
	get_int(L, in, "max");
	get_int(L, in, "min");
	get_memstats(L, in);
	mc_policy_lua_get_kvs(L, in);
	lua_setfield(L, -2, "params");
	if (mc_policy_ipc_get_u8(in)) {
		lua_createtable(L, 0, 12);
		get_memstats(L, in);
		lua_setfield(L, -2, "prev");
	}
	get_vmem(L, in);
}

/* { avg10 =, avg60 = } as the field k of the table on top. */
static void get_psi_avgs(lua_State *L, struct mc_policy_ipc_buf *in, const char *k)
{
	lua_createtable(L, 0, 2);
	mc_policy_lua_get_num(L, in, "avg10");
	mc_policy_lua_get_num(L, in, "avg60");
	lua_setfield(L, -2, k);
}

/* host[k] = { some = {...}, full = {...} }, or left nil when absent. */
static void get_psi(lua_State *L, struct mc_policy_ipc_buf *in, const char *k)
{
	if (!mc_policy_ipc_get_u8(in))
		return;
	lua_createtable(L, 0, 2);
	get_psi_avgs(L, in, "some");
	get_psi_avgs(L, in, "full");
	lua_setfield(L, -2, k);
}

/* host.ksm = { run =, pages_shared =, ... } (ksm.h's files), or nil. */
static void get_host_ksm(lua_State *L, struct mc_policy_ipc_buf *in)
{
	int f;

	if (!mc_policy_ipc_get_u8(in))
		return;
	lua_createtable(L, 0, MC_KSM_NFIELDS);
	for (f = 0; f < MC_KSM_NFIELDS; f++)
		get_int(L, in, mc_ksm_name((enum mc_ksm_field)f));
	lua_setfield(L, -2, "ksm");
}

static void get_host_pressure(lua_State *L, struct mc_policy_ipc_buf *in)
{
	if (mc_policy_ipc_get_u8(in))
		get_int(L, in, "available");
	get_psi(L, in, "psi");
	get_psi(L, in, "machine_psi");
	get_host_ksm(L, in);
}

static void get_host(lua_State *L, struct mc_policy_ipc_buf *in)
{
	static const char *const fields[] = {
		"total", "free", "buffers", "cached", "reserve", "growable",
	};
	size_t i;

	lua_createtable(L, 0, 9);
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		get_int(L, in, fields[i]);
	get_host_pressure(L, in);
}

/* ctx: period, elapsed, tick, reason from the request (absent at init). */
void mc_policy_lua_push_ctx(lua_State *L, struct mc_policy_ipc_buf *in)
{
	lua_createtable(L, 0, 6);
	if (in) {
		mc_policy_lua_get_num(L, in, "period");
		mc_policy_lua_get_num(L, in, "elapsed");
		get_int(L, in, "tick");
		mc_policy_lua_get_str(L, in, "reason");
	} else {
		set_int(L, "tick", 0);
		lua_pushliteral(L, "init");
		lua_setfield(L, -2, "reason");
	}
	lua_rawgeti(L, LUA_REGISTRYINDEX, engine_of(L)->params_ref);
	lua_setfield(L, -2, "params");
	lua_getfield(L, LUA_REGISTRYINDEX, "mc_ctx_log");
	lua_setfield(L, -2, "log");
}

/* ---- load ---- */

static int load_protected(lua_State *L)
{
	struct mc_policy_ipc_buf *in = lua_touserdata(L, 1);
	size_t namelen, srclen, entrylen;
	const char *name = mc_policy_ipc_get_str(in, &namelen);
	const char *src = mc_policy_ipc_get_str(in, &srclen);
	const char *entry;

	open_sandbox(L);
	mc_policy_lua_get_kvs(L, in);
	entry = mc_policy_ipc_get_str(in, &entrylen);
	if (in->bad)
		return luaL_error(L, "garbled request");
	engine_of(L)->params_ref = luaL_ref(L, LUA_REGISTRYINDEX);
	if (luaL_loadbufferx(L, src, srclen, name, "t") != LUA_OK)
		return lua_error(L);
	lua_call(L, 0, 0);
	if (lua_getglobal(L, entry) != LUA_TFUNCTION)
		return luaL_error(L, "%s: defines no function %s", name + (*name == '@'),
				  strcmp(entry, MC_POLICY_ENTRY_PLACE) ?
				  "decide(domains, host, ctx)" : "place(vcpus, pcpus, ctx)");
	lua_pop(L, 1);
	if (lua_getglobal(L, "init") == LUA_TFUNCTION) {
		mc_policy_lua_push_ctx(L, NULL);
		lua_call(L, 1, 0);
	} else {
		lua_pop(L, 1);
	}
	return 0;
}

/* ---- decide ---- */

/* The returned table -> (named, name, value) entries.  Keys that are not
 * strings become unnamed (unknown) entries and values that are not
 * numbers NaN, so the clamps drop and count them. */
static void put_targets(lua_State *L, struct mc_policy_ipc_buf *out)
{
	size_t count_at = out->len;
	uint32_t n = 0;

	mc_policy_ipc_put_u32(out, 0);
	lua_pushnil(L);
	while (lua_next(L, -2)) {
		size_t len = 0;
		const char *name = lua_type(L, -2) == LUA_TSTRING ?
				   lua_tolstring(L, -2, &len) : NULL;

		mc_policy_ipc_put_u8(out, name != NULL);
		mc_policy_ipc_put_str(out, name ? name : "", len);
		mc_policy_ipc_put_f64(out, lua_type(L, -1) == LUA_TNUMBER ?
				      lua_tonumber(L, -1) : NAN);
		if (out->bad)
			luaL_error(L, "out of memory reading targets");
		n++;
		lua_pop(L, 1);
	}
	memcpy(out->p + count_at, &n, sizeof(n));
}

/* The ksm table of the host settings, on top: every key a settable KSM
 * file, every value a number (else NaN, which the core drops).  A key
 * that is not one is an error: a typo must not pass for a setting. */
static void read_ksm_settings(lua_State *L, struct mc_ksm_request *req)
{
	if (!lua_istable(L, -1))
		luaL_error(L, "decide(): host setting ksm is a %s, not a table",
			   luaL_typename(L, -1));
	lua_pushnil(L);
	while (lua_next(L, -2)) {
		int f = lua_type(L, -2) == LUA_TSTRING ?
			mc_ksm_field_of(lua_tostring(L, -2)) : -1;

		if (f < 0 || !mc_ksm_settable((enum mc_ksm_field)f))
			luaL_error(L, "decide(): ksm.%s is not a setting a policy may "
				   "return (run, pages_to_scan, sleep_millisecs)",
				   lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "?");
		req->set |= 1u << f;
		req->v[f] = lua_type(L, -1) == LUA_TNUMBER ? lua_tonumber(L, -1) : NAN;
		lua_pop(L, 1);
	}
}

/* decide()'s second value, on top: nil, or { ksm = {...} } and nothing
 * else; then on the wire as read_host_settings() in policy.c reads it. */
static void put_host_settings(lua_State *L, struct mc_policy_ipc_buf *out)
{
	struct mc_ksm_request req = { 0 };
	int f;

	if (!lua_isnil(L, -1)) {
		if (!lua_istable(L, -1))
			luaL_error(L, "decide() returned %s as host settings, not a table",
				   luaL_typename(L, -1));
		lua_pushnil(L);
		while (lua_next(L, -2)) {
			if (lua_type(L, -2) != LUA_TSTRING || strcmp(lua_tostring(L, -2), "ksm"))
				luaL_error(L, "decide(): unknown host setting (there is ksm only)");
			read_ksm_settings(L, &req);
			lua_pop(L, 1);
		}
	}
	mc_policy_ipc_put_u32(out, req.set);
	for (f = 0; f < MC_KSM_NFIELDS; f++)
		if (req.set & (1u << f))
			mc_policy_ipc_put_f64(out, req.v[f]);
	if (out->bad)
		luaL_error(L, "out of memory reading host settings");
}

static int decide_protected(lua_State *L)
{
	struct mc_policy_lua_args *a = lua_touserdata(L, 1);
	uint32_t i, ndoms;

	lua_getglobal(L, "decide");
	lua_pushnil(L);		/* domains, once ctx has been read */
	mc_policy_lua_push_ctx(L, a->in);
	get_host(L, a->in);
	ndoms = mc_policy_ipc_get_u32(a->in);
	if (ndoms > a->in->len)
		return luaL_error(L, "garbled request");
	lua_createtable(L, (int)ndoms, 0);
	for (i = 0; i < ndoms && !a->in->bad; i++) {
		get_domain(L, a->in);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	if (a->in->bad)
		return luaL_error(L, "garbled request");
	lua_replace(L, -4);	/* domains, host, ctx */
	lua_insert(L, -2);
	lua_call(L, 3, 2);	/* targets, host settings */
	if (!lua_istable(L, -2))
		return luaL_error(L, "decide() returned %s, not a table of targets",
				  luaL_typename(L, -2));
	lua_pushvalue(L, -2);
	put_targets(L, a->out);
	lua_pop(L, 1);
	put_host_settings(L, a->out);
	return 0;
}

/* ---- one request ---- */

/* Runs fn under the budget, with the message handler; 0, or -1 with the
 * error message on the stack. */
static int protected_call(struct mc_policy_lua *e, lua_CFunction fn, void *arg)
{
	lua_State *L = e->L;
	int rc;

	e->insn_left = MC_POLICY_INSN_BUDGET;
	lua_sethook(L, budget_hook, LUA_MASKCOUNT, HOOK_EVERY);
	lua_pushcfunction(L, msghandler);
	lua_pushcfunction(L, fn);
	lua_pushlightuserdata(L, arg);
	rc = lua_pcall(L, 1, 0, -3);
	lua_sethook(L, NULL, 0, 0);
	if (rc == LUA_OK) {
		lua_pop(L, 1);
		return 0;
	}
	if (rc == LUA_ERRMEM || !lua_isstring(L, -1)) {
		lua_pop(L, 1);
		lua_pushstring(L, rc == LUA_ERRMEM ?
			       "memory cap exceeded (not enough memory)" :
			       "error while handling an error");
	}
	return -1;
}

static int reply_error(struct mc_policy_lua *e, struct mc_policy_ipc_buf *reply,
		       double cpu)
{
	size_t len;
	const char *msg = lua_tolstring(e->L, -1, &len);

	mc_policy_ipc_begin(reply, MC_POLICY_IPC_ERROR);
	mc_policy_ipc_put_f64(reply, cpu);
	mc_policy_ipc_put_str(reply, msg, len);
	lua_settop(e->L, 0);
	/* Give back what a runaway call piled up before the next one. */
	lua_gc(e->L, LUA_GCCOLLECT);
	return mc_policy_ipc_finish(reply);
}

int mc_policy_lua_handle(struct mc_policy_lua *e, int type,
			 struct mc_policy_ipc_buf *req,
			 struct mc_policy_ipc_buf *reply)
{
	struct mc_policy_lua_args args = { req, reply };
	double start = mc_process_cpu_seconds();
	int rc;

	if (type == MC_POLICY_IPC_LOAD) {
		rc = protected_call(e, load_protected, req);
		mc_policy_ipc_begin(reply, MC_POLICY_IPC_OK);
	} else if (type == MC_POLICY_IPC_DECIDE || type == MC_POLICY_IPC_PLACE) {
		mc_policy_ipc_begin(reply, MC_POLICY_IPC_TARGETS);
		mc_policy_ipc_put_f64(reply, 0);	/* cpu, set below */
		rc = protected_call(e, type == MC_POLICY_IPC_DECIDE ?
				    decide_protected : mc_cpu_lua_place, &args);
	} else {
		return -1;
	}
	send_suppressed(e);
	if (rc)
		return reply_error(e, reply, mc_process_cpu_seconds() - start);
	if (type == MC_POLICY_IPC_LOAD)
		mc_policy_ipc_put_f64(reply, mc_process_cpu_seconds() - start);
	else if (!reply->bad)
		memcpy(reply->p + 5, &(double){ mc_process_cpu_seconds() - start }, sizeof(double));
	return mc_policy_ipc_finish(reply);
}

struct mc_policy_lua *mc_policy_lua_new(int fd)
{
	struct mc_policy_lua *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->fd = fd;
	e->mem_cap = MC_POLICY_MEM_CAP;
	e->params_ref = LUA_NOREF;
	e->L = lua_newstate(capped_alloc, e);
	if (!e->L) {
		free(e);
		return NULL;
	}
	return e;
}
