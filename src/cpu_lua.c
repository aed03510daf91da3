/*
 * cpu_lua.c - the place() bridge inside the policy worker.
 *
 * In: ctx, then every pCPU, then every vCPU (cpu_policy.c writes them).
 * Out: the pinnings, each (named, domain, vcpu, mask_ok, mask words).
 * Anything place() returns that is not what the contract asks becomes a
 * pinning the clamps drop and count (no domain, a NaN vcpu, mask_ok 0),
 * never an error of the whole call: one bad entry costs only itself.
 */
#include <math.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>

#include "cpu_lua.h"
#include "cpuset.h"
#include "policy_ipc.h"
#include "policy_lua.h"

/* ---- the request -> Lua ---- */

static void set_num(lua_State *L, const char *k, double v)
{
	lua_pushnumber(L, v);
	lua_setfield(L, -2, k);
}

static void get_bool(lua_State *L, struct mc_policy_ipc_buf *in, const char *k)
{
	lua_pushboolean(L, mc_policy_ipc_get_u8(in));
	lua_setfield(L, -2, k);
}

/* A pCPU number; absent (nil) when the daemon sent -1 (unknown). */
static void get_pcpu(lua_State *L, struct mc_policy_ipc_buf *in, const char *k)
{
	int64_t v = (int64_t)mc_policy_ipc_get_u64(in);

	if (v < 0)
		return;
	lua_pushinteger(L, (lua_Integer)v);
	lua_setfield(L, -2, k);
}

/* A cpuset as an ascending array of pCPU numbers. */
static void get_mask(lua_State *L, struct mc_policy_ipc_buf *in, const char *k)
{
	struct mc_cpuset s;
	lua_Integer n = 0;
	unsigned c;
	size_t i;

	for (i = 0; i < MC_CPUSET_WORDS; i++)
		s.w[i] = mc_policy_ipc_get_u64(in);
	lua_createtable(L, 4, 0);
	for (c = 0; c < MC_CPUSET_MAX; c++) {
		if (!mc_cpuset_has(&s, c))
			continue;
		lua_pushinteger(L, c);
		lua_rawseti(L, -2, ++n);
	}
	lua_setfield(L, -2, k);
}

static void get_pcpu_entry(lua_State *L, struct mc_policy_ipc_buf *in)
{
	lua_createtable(L, 0, 6);
	get_pcpu(L, in, "id");
	get_bool(L, in, "online");
	get_bool(L, in, "allowed");
	if (!mc_policy_ipc_get_u8(in))
		return;		/* no utilization yet */
	mc_policy_lua_get_num(L, in, "util");
	mc_policy_lua_get_num(L, in, "vcpu_util");
	mc_policy_lua_get_num(L, in, "other");
}

/* util, delay, demand when known (have_util). */
static void get_util(lua_State *L, struct mc_policy_ipc_buf *in, bool demand)
{
	if (!mc_policy_ipc_get_u8(in))
		return;
	mc_policy_lua_get_num(L, in, "util");
	mc_policy_lua_get_num(L, in, "delay");
	if (demand)
		mc_policy_lua_get_num(L, in, "demand");
}

static void get_vcpu_entry(lua_State *L, struct mc_policy_ipc_buf *in)
{
	double moved;

	lua_createtable(L, 0, 14);
	mc_policy_lua_get_str(L, in, "domain");
	mc_policy_lua_get_str(L, in, "uuid");
	get_pcpu(L, in, "id");
	get_pcpu(L, in, "vcpu");
	get_util(L, in, true);
	get_pcpu(L, in, "pcpu");
	get_mask(L, in, "affinity");
	moved = mc_policy_ipc_get_f64(in);
	if (moved >= 0)
		set_num(L, "moved_at", moved);
	get_bool(L, in, "excluded");
	mc_policy_lua_get_kvs(L, in);
	lua_setfield(L, -2, "params");
	if (!mc_policy_ipc_get_u8(in))
		return;
	lua_createtable(L, 0, 3);
	get_util(L, in, false);
	get_pcpu(L, in, "pcpu");
	lua_setfield(L, -2, "prev");
}

/* An array of n entries read by fn. */
static void get_array(lua_State *L, struct mc_policy_ipc_buf *in,
		      void (*fn)(lua_State *, struct mc_policy_ipc_buf *))
{
	uint32_t i, n = mc_policy_ipc_get_u32(in);

	if (n > in->len)
		luaL_error(L, "garbled request");
	lua_createtable(L, (int)n, 0);
	for (i = 0; i < n && !in->bad; i++) {
		fn(L, in);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
}

/* ---- what place() returned -> pinnings ---- */

/* A pCPU number as the contract allows: an integer in range. */
static bool pcpu_number(lua_State *L, int idx, unsigned *out)
{
	lua_Integer v;
	int ok;

	if (lua_type(L, idx) != LUA_TNUMBER)
		return false;
	v = lua_tointegerx(L, idx, &ok);
	if (!ok || v < 0 || v >= MC_CPUSET_MAX)
		return false;
	*out = (unsigned)v;
	return true;
}

/* The entry's pcpu or pcpus (an array of numbers) as a mask; false when
 * neither is there or one of them is not a pCPU number. */
static bool entry_mask(lua_State *L, struct mc_cpuset *mask)
{
	bool ok = true;
	unsigned c;
	lua_Integer i;

	memset(mask, 0, sizeof(*mask));
	if (lua_getfield(L, -1, "pcpu") != LUA_TNIL) {
		ok = pcpu_number(L, -1, &c);
		if (ok)
			mc_cpuset_add(mask, c);
		lua_pop(L, 1);
		return ok;
	}
	lua_pop(L, 1);
	if (lua_getfield(L, -1, "pcpus") != LUA_TTABLE) {
		lua_pop(L, 1);
		return false;
	}
	for (i = 1; ok && lua_rawgeti(L, -1, i) != LUA_TNIL; i++) {
		ok = pcpu_number(L, -1, &c);
		if (ok)
			mc_cpuset_add(mask, c);
		lua_pop(L, 1);
	}
	lua_pop(L, ok ? 2 : 1);
	return ok;
}

static void put_pin(lua_State *L, struct mc_policy_ipc_buf *out)
{
	struct mc_cpuset mask = { { 0 } };
	const char *domain = NULL;
	size_t len = 0, i;
	double vcpu = NAN;
	bool mask_ok = false;

	if (lua_istable(L, -1)) {
		if (lua_getfield(L, -1, "domain") == LUA_TSTRING)
			domain = lua_tolstring(L, -1, &len);
		lua_pop(L, 1);	/* the string stays alive in the entry */
		if (lua_getfield(L, -1, "vcpu") == LUA_TNUMBER)
			vcpu = lua_tonumber(L, -1);
		lua_pop(L, 1);
		mask_ok = entry_mask(L, &mask);
	}
	mc_policy_ipc_put_u8(out, domain != NULL);
	mc_policy_ipc_put_str(out, domain ? domain : "", len);
	mc_policy_ipc_put_f64(out, vcpu);
	mc_policy_ipc_put_u8(out, mask_ok);
	for (i = 0; i < MC_CPUSET_WORDS; i++)
		mc_policy_ipc_put_u64(out, mask.w[i]);
}

/* nil (nothing to change) or a table of pinnings. */
static void put_pins(lua_State *L, struct mc_policy_ipc_buf *out)
{
	size_t count_at = out->len;
	uint32_t n = 0;

	mc_policy_ipc_put_u32(out, 0);
	if (lua_isnil(L, -1))
		return;
	if (!lua_istable(L, -1))
		luaL_error(L, "place() returned %s, not a table of pinnings",
			   luaL_typename(L, -1));
	lua_pushnil(L);
	while (lua_next(L, -2)) {
		put_pin(L, out);
		if (out->bad)
			luaL_error(L, "out of memory reading pinnings");
		n++;
		lua_pop(L, 1);
	}
	memcpy(out->p + count_at, &n, sizeof(n));
}

int mc_cpu_lua_place(lua_State *L)
{
	struct mc_policy_lua_args *a = lua_touserdata(L, 1);

	lua_getglobal(L, "place");
	mc_policy_lua_push_ctx(L, a->in);
	get_array(L, a->in, get_pcpu_entry);
	get_array(L, a->in, get_vcpu_entry);
	if (a->in->bad)
		return luaL_error(L, "garbled request");
	lua_rotate(L, -3, 1);	/* ctx pcpus vcpus -> vcpus ctx pcpus */
	lua_insert(L, -2);	/* -> vcpus pcpus ctx */
	lua_call(L, 3, 1);
	put_pins(L, a->out);
	return 0;
}
