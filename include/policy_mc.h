/*
 * policy_mc.h - the helper module `mc` (src/policy_mc.lua), embedded.
 *
 * The Lua side of the policy (policy_lua.c) runs it in every sandbox
 * before the policy's own code; docs/policies.md documents what it holds.
 */
#ifndef MC_POLICY_MC_H
#define MC_POLICY_MC_H

/* The text of src/policy_mc.lua, NUL-terminated. */
extern const char mc_policy_mc_src[];

#endif
