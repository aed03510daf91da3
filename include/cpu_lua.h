/*
 * cpu_lua.h - place() in the policy worker: the PLACE request (the layout
 * cpu_policy.c writes) becomes vcpus, pcpus and ctx; what place() returns
 * becomes pinnings in the reply.  Runs only inside the worker, under
 * policy_lua.c's budget, cap and protected call.
 */
#ifndef MC_CPU_LUA_H
#define MC_CPU_LUA_H

#include <lua.h>

/* A lua_CFunction for policy_lua.c's protected call: argument 1 is a
 * struct mc_policy_lua_args (policy_lua.h). */
int mc_cpu_lua_place(lua_State *L);

#endif
