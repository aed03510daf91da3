/*
 * policy.c - the Lua bridge: load a policy into a sandbox, call decide(),
 * read back the targets.
 *
 * Stack discipline: every call into Lua that can allocate (building the
 * arguments, decide() itself, reading the result) runs inside one
 * lua_pcall, so an out-of-memory or a runaway policy unwinds to us instead
 * of to Lua's panic handler.  C allocations made in there belong to the
 * caller's struct mc_proposals, so an unwind leaks nothing.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "log.h"
#include "policy.h"

struct mc_policy {
	lua_State *L;
	char *path;
	size_t mem_used;
	size_t mem_cap;
	long insn_left;
	int params_ref;		/* ctx.params, built once */
	double last_cpu;
};

/* ---- memory cap and instruction budget ---- */

static void *capped_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	struct mc_policy *p = ud;
	size_t old = ptr ? osize : 0;
	void *q;

	if (nsize == 0) {
		free(ptr);
		p->mem_used -= old;
		return NULL;
	}
	if (nsize > old && p->mem_used - old + nsize > p->mem_cap)
		return NULL;	/* Lua raises "not enough memory" */
	q = realloc(ptr, nsize);
	if (q)
		p->mem_used = p->mem_used - old + nsize;
	return q;
}

#define HOOK_EVERY 1000

static void budget_hook(lua_State *L, lua_Debug *ar)
{
	struct mc_policy *p;

	(void)ar;
	lua_getallocf(L, (void **)&p);
	p->insn_left -= HOOK_EVERY;
	if (p->insn_left < 0)
		luaL_error(L, "instruction budget of %d exceeded (endless loop?)",
			   MC_POLICY_INSN_BUDGET);
}

/* ---- the sandbox ---- */

static int policy_log(lua_State *L)
{
	struct mc_policy *p;

	lua_getallocf(L, (void **)&p);
	lua_pushvalue(L, lua_upvalueindex(1));	/* string.format */
	lua_insert(L, 1);
	lua_call(L, lua_gettop(L) - 1, 1);
	mc_info("policy %s: %s", p->path, luaL_tolstring(L, -1, NULL));
	return 0;
}

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
			  lua_gc(L, LUA_GCCOUNTB, 0) / 1024.0);
	return 1;
}

static int open_sandbox(lua_State *L)
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
	lua_getglobal(L, "load");
	lua_pushcclosure(L, text_load, 1);
	lua_setglobal(L, "load");
	lua_pushcfunction(L, count_only_gc);
	lua_setglobal(L, "collectgarbage");
	lua_getglobal(L, LUA_STRLIBNAME);
	lua_pushnil(L);
	lua_setfield(L, -2, "dump");
	lua_getfield(L, -1, "format");
	lua_pushcclosure(L, policy_log, 1);
	lua_setglobal(L, "print");
	lua_pop(L, 1);
	return 0;
}

/* ---- helpers ---- */

static void set_int(lua_State *L, const char *k, uint64_t v)
{
	lua_pushinteger(L, (lua_Integer)v);
	lua_setfield(L, -2, k);
}

static void set_num(lua_State *L, const char *k, double v)
{
	lua_pushnumber(L, v);
	lua_setfield(L, -2, k);
}

/* Numbers in the INI arrive as numbers, everything else as strings. */
static void push_kv_table(lua_State *L, const struct mc_kv *kv, size_t n)
{
	size_t i;

	lua_createtable(L, 0, (int)n);
	for (i = 0; i < n; i++) {
		if (!lua_stringtonumber(L, kv[i].value))
			lua_pushstring(L, kv[i].value);
		lua_setfield(L, -2, kv[i].key);
	}
}

static void push_memstats(lua_State *L, const struct mc_memstats *m)
{
	set_int(L, "actual", m->actual);
	if (!m->have_stats)
		return;
	set_int(L, "unused", m->unused);
	set_int(L, "available", m->available);
	set_int(L, "usable", m->usable);
	set_int(L, "disk_caches", m->disk_caches);
	set_int(L, "rss", m->rss);
	set_int(L, "swap_in", m->swap_in);
	set_int(L, "swap_out", m->swap_out);
	set_int(L, "major_fault", m->major_fault);
	set_int(L, "minor_fault", m->minor_fault);
	set_int(L, "last_update", (uint64_t)m->last_update);
}

static void push_domain(lua_State *L, const struct mc_domain *d)
{
	lua_createtable(L, 0, 20);
	lua_pushstring(L, d->name);
	lua_setfield(L, -2, "name");
	lua_pushstring(L, d->uuid);
	lua_setfield(L, -2, "uuid");
	lua_pushinteger(L, d->id);
	lua_setfield(L, -2, "id");
	set_int(L, "max", d->max);
	set_int(L, "min", d->min);
	push_memstats(L, &d->cur);
	push_kv_table(L, d->params, d->nparams);
	lua_setfield(L, -2, "params");
	if (d->have_prev) {
		lua_createtable(L, 0, 12);
		push_memstats(L, &d->prev);
		lua_setfield(L, -2, "prev");
	}
}

static void push_host(lua_State *L, const struct mc_host *h)
{
	lua_createtable(L, 0, 6);
	set_int(L, "total", h->total);
	set_int(L, "free", h->free);
	set_int(L, "buffers", h->buffers);
	set_int(L, "cached", h->cached);
	set_int(L, "reserve", h->reserve);
	set_int(L, "growable", h->growable);
}

static void push_ctx(lua_State *L, struct mc_policy *p,
		     const struct mc_policy_ctx *ctx)
{
	lua_createtable(L, 0, 6);
	set_num(L, "period", ctx->period);
	set_num(L, "elapsed", ctx->elapsed);
	lua_pushinteger(L, (lua_Integer)ctx->tick);
	lua_setfield(L, -2, "tick");
	lua_pushstring(L, ctx->reason);
	lua_setfield(L, -2, "reason");
	lua_rawgeti(L, LUA_REGISTRYINDEX, p->params_ref);
	lua_setfield(L, -2, "params");
	lua_getglobal(L, "print");	/* the sandbox's logging print */
	lua_setfield(L, -2, "log");
}

/* Runs fn under the budget in protected mode; err gets Lua's message
 * (file:line: why). */
static int protected_call(struct mc_policy *p, lua_CFunction fn, void *arg,
			  char *err, size_t errlen)
{
	lua_State *L = p->L;
	int rc;

	p->insn_left = MC_POLICY_INSN_BUDGET;
	lua_sethook(L, budget_hook, LUA_MASKCOUNT, HOOK_EVERY);
	lua_pushcfunction(L, fn);
	lua_pushlightuserdata(L, arg);
	rc = lua_pcall(L, 1, 0, 0);
	lua_sethook(L, NULL, 0, 0);
	if (rc == LUA_OK)
		return 0;
	snprintf(err, errlen, "%s", rc == LUA_ERRMEM ?
		 "memory cap exceeded (not enough memory)" :
		 lua_isstring(L, -1) ? lua_tostring(L, -1) : "error object is not a string");
	lua_pop(L, 1);
	/* Give back what a runaway call piled up before the next one. */
	lua_gc(L, LUA_GCCOLLECT);
	return -1;
}

/* ---- load ---- */

struct load_args {
	struct mc_policy *p;
	const struct mc_kv *params;
	size_t nparams;
};

static int load_protected(lua_State *L)
{
	struct load_args *a = lua_touserdata(L, 1);
	struct mc_policy_ctx ctx = { .reason = "init" };

	open_sandbox(L);
	if (luaL_loadfilex(L, a->p->path, "t") != LUA_OK)
		return lua_error(L);
	lua_call(L, 0, 0);
	if (lua_getglobal(L, "decide") != LUA_TFUNCTION)
		return luaL_error(L, "%s: defines no function decide(domains, host, ctx)",
				  a->p->path);
	lua_pop(L, 1);
	push_kv_table(L, a->params, a->nparams);
	a->p->params_ref = luaL_ref(L, LUA_REGISTRYINDEX);
	if (lua_getglobal(L, "init") == LUA_TFUNCTION) {
		push_ctx(L, a->p, &ctx);
		lua_call(L, 1, 0);
	} else {
		lua_pop(L, 1);
	}
	return 0;
}

struct mc_policy *mc_policy_load(const char *path, const struct mc_kv *params,
				 size_t nparams, char *err, size_t errlen)
{
	struct mc_policy *p = calloc(1, sizeof(*p));
	struct load_args args = { p, params, nparams };

	if (!p || !(p->path = strdup(path))) {
		free(p);
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	p->mem_cap = MC_POLICY_MEM_CAP;
	p->params_ref = LUA_NOREF;
	p->L = lua_newstate(capped_alloc, p);
	if (!p->L) {
		snprintf(err, errlen, "%s: cannot create a Lua state", path);
		mc_policy_close(p);
		return NULL;
	}
	if (protected_call(p, load_protected, &args, err, errlen)) {
		mc_policy_close(p);
		return NULL;
	}
	return p;
}

/* ---- decide ---- */

struct decide_args {
	struct mc_policy *p;
	const struct mc_snapshot *s;
	const struct mc_policy_ctx *ctx;
	struct mc_proposals *out;
};

static int add_proposal(struct mc_proposals *out, const char *name, double v)
{
	if (out->n == out->cap) {
		size_t cap = out->cap ? out->cap * 2 : 16;
		struct mc_proposal *grown = realloc(out->v, cap * sizeof(*grown));

		if (!grown)
			return -1;
		out->v = grown;
		out->cap = cap;
	}
	out->v[out->n].name = name ? strdup(name) : NULL;
	if (name && !out->v[out->n].name)
		return -1;
	out->v[out->n++].value = v;
	return 0;
}

/* The returned table -> proposals.  Keys that are not strings become
 * unnamed (unknown) entries and values that are not numbers NaN, so the
 * clamps drop and count them. */
static void read_targets(lua_State *L, struct mc_proposals *out)
{
	lua_pushnil(L);
	while (lua_next(L, -2)) {
		const char *name = lua_type(L, -2) == LUA_TSTRING ?
				   lua_tostring(L, -2) : NULL;
		double v = lua_type(L, -1) == LUA_TNUMBER ? lua_tonumber(L, -1) : NAN;

		if (add_proposal(out, name, v))
			luaL_error(L, "out of memory reading targets");
		lua_pop(L, 1);
	}
}

static int decide_protected(lua_State *L)
{
	struct decide_args *a = lua_touserdata(L, 1);
	size_t i;

	lua_getglobal(L, "decide");
	lua_createtable(L, (int)a->s->ndoms, 0);
	for (i = 0; i < a->s->ndoms; i++) {
		push_domain(L, &a->s->doms[i]);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	push_host(L, &a->s->host);
	push_ctx(L, a->p, a->ctx);
	lua_call(L, 3, 1);
	if (!lua_istable(L, -1))
		return luaL_error(L, "decide() returned %s, not a table of targets",
				  luaL_typename(L, -1));
	read_targets(L, a->out);
	return 0;
}

static double thread_cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int mc_policy_decide(struct mc_policy *p, const struct mc_snapshot *s,
		     const struct mc_policy_ctx *ctx, struct mc_proposals *out,
		     char *err, size_t errlen)
{
	struct decide_args args = { p, s, ctx, out };
	double start = thread_cpu();
	int rc;

	mc_proposals_clear(out);
	rc = protected_call(p, decide_protected, &args, err, errlen);
	p->last_cpu = thread_cpu() - start;
	if (rc)
		mc_proposals_clear(out);
	return rc;
}

const char *mc_policy_path(const struct mc_policy *p) { return p->path; }
double mc_policy_last_cpu(const struct mc_policy *p) { return p->last_cpu; }

void mc_policy_close(struct mc_policy *p)
{
	if (!p)
		return;
	if (p->L)
		lua_close(p->L);
	free(p->path);
	free(p);
}

void mc_proposals_clear(struct mc_proposals *out)
{
	size_t i;

	for (i = 0; i < out->n; i++)
		free((char *)out->v[i].name);
	out->n = 0;
}

void mc_proposals_free(struct mc_proposals *out)
{
	mc_proposals_clear(out);
	free(out->v);
	memset(out, 0, sizeof(*out));
}
