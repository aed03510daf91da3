/*
 * cpu_policy.h - the daemon's side of place(vcpus, pcpus, ctx).
 *
 * A CPU policy is a policy file of its own ([cpu] policy, --cpu-policy)
 * run by the same machinery as decide() (policy.h): its own sandboxed
 * worker, the same deadline, restarts and back-off.  This module only
 * writes the PLACE request and reads the pinnings back; the fields are
 * described in docs/policies.md ("The CPU contract").
 */
#ifndef MC_CPU_POLICY_H
#define MC_CPU_POLICY_H

#include <stddef.h>

#include "cpu_clamp.h"
#include "cpuset.h"

struct mc_kv;
struct mc_policy;
struct mc_policy_ctx;
struct mc_snapshot;

/* What place() returned; domains copied out (owned). */
struct mc_cpu_pins {
	struct mc_cpu_pin *v;
	size_t n, cap;
};

/* Loads path as a CPU policy (it must define place).  NULL with err. */
struct mc_policy *mc_cpu_policy_load(const char *path, const struct mc_kv *params,
				     size_t nparams, double timeout, char *err,
				     size_t errlen);
/* Calls place() on s's vCPUs and pCPUs; allowed marks the pCPUs vCPUs may
 * use.  0 with out filled, or -1 with err and out empty. */
int mc_cpu_policy_place(struct mc_policy *p, const struct mc_snapshot *s,
			const struct mc_cpuset *allowed,
			const struct mc_policy_ctx *ctx, struct mc_cpu_pins *out,
			char *err, size_t errlen);

void mc_cpu_pins_clear(struct mc_cpu_pins *out);
void mc_cpu_pins_free(struct mc_cpu_pins *out);

#endif
