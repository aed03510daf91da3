/*
 * check.h - `memcoord --check POLICY`: a policy tried offline.
 *
 * The policy is loaded as the daemon would load it and run against
 * built-in snapshots (empty host, one guest, a thousand guests, guests
 * without stats, first sample and later ones, a pressure call, a host
 * that is short).  Each call is judged: did it raise, did it return
 * names that are not domains, values that are not numbers, negative or
 * above the domain's max, and how much CPU did it take.  The clamps then
 * show what the core would have done with the answer.
 */
#ifndef MC_CHECK_H
#define MC_CHECK_H

#include <stddef.h>
#include <stdio.h>

#include "clamp.h"
#include "config.h"
#include "snapshot.h"

/* Checks cfg->check with cfg's [policy] params and [limits]; prints the
 * report to stdout.  Returns 0 when every call was good, 1 otherwise. */
int mc_check_main(const struct mc_config *cfg);

/* The same, with everything explicit and the report going to out. */
int mc_check_run(const char *path, const struct mc_kv *params, size_t nparams,
		 const struct mc_limits *lim, FILE *out);

#endif
