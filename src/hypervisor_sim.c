/*
 * hypervisor_sim.c - the simulated host as a backend: struct mc_backend
 * over a model (sim_model.h), so the coordinator, the policy and the
 * clamps run unchanged.  A thin wrapper: the model does the work.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cpu_sim.h"
#include "hypervisor.h"
#include "sim_model.h"

struct sim_backend {
	struct mc_backend base;
	struct mc_sim_model *m;
	struct mc_cpu_sim *cpu;		/* borrowed, may be NULL */
};

static int sim_collect(struct mc_backend *base, struct mc_snapshot *snap)
{
	struct sim_backend *b = (struct sim_backend *)base;
	int rc = mc_sim_model_collect(b->m, snap);

	if (rc == 0 && b->cpu && base->want_cpu)
		rc = mc_cpu_sim_collect(b->cpu, snap);
	return rc;
}

static int sim_set_pin(struct mc_backend *base, const struct mc_vcpu *v,
		       const struct mc_cpuset *mask)
{
	struct sim_backend *b = (struct sim_backend *)base;

	return b->cpu ? mc_cpu_sim_pin(b->cpu, v, mask) : -1;
}

void mc_hv_sim_set_cpu(struct mc_backend *base, struct mc_cpu_sim *cs)
{
	((struct sim_backend *)base)->cpu = cs;
}

static int sim_set_target(struct mc_backend *b, const struct mc_domain *d,
			  uint64_t kib)
{
	return mc_sim_model_set_target(((struct sim_backend *)b)->m, d, kib);
}

static void sim_close(struct mc_backend *b)
{
	free(b);
}

static const struct mc_backend_ops sim_ops = {
	.collect = sim_collect,
	.set_target = sim_set_target,
	.close = sim_close,
	.set_pin = sim_set_pin,
};

struct mc_backend *mc_hv_sim_open(struct mc_sim_model *m, char *err,
				  size_t errlen)
{
	struct sim_backend *b = calloc(1, sizeof(*b));

	if (!b) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	b->base.ops = &sim_ops;
	b->base.kind = "sim";
	b->m = m;
	return &b->base;
}
