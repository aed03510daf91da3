/*
 * cpu_sim.h - the simulated host's pCPUs and the guests' vCPUs.
 *
 * A scenario file (conf/scenarios/README.md) may add a [cpu] section
 * (pcpus = N) and [vcpu "VM"] sections (duty, pin, start_pcpu, count);
 * sim_scenario.c skips them and this module reads them.  Each vCPU wants
 * a duty fraction of one pCPU; a pCPU gives its vCPUs what they want, or
 * shares itself in proportion when they want more (the rest is their
 * delay).  The kernel's own load balancing is the baseline: a vCPU whose
 * affinity allows more than one pCPU moves to the least loaded of them
 * when that lowers the load it left; a vCPU pinned to one pCPU stays.
 */
#ifndef MC_CPU_SIM_H
#define MC_CPU_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpuset.h"

struct mc_cpu_sim;
struct mc_snapshot;
struct mc_vcpu;

/* True for the sections this module reads ([cpu], [vcpu "VM"]). */
bool mc_cpu_sim_section(const char *section);

/* Reads path's [cpu] and [vcpu] sections.  NULL with err "" when it has
 * no [cpu] section (no CPU model), NULL with err set on a bad one. */
struct mc_cpu_sim *mc_cpu_sim_load(const char *path, char *err, size_t errlen);
void mc_cpu_sim_free(struct mc_cpu_sim *cs);

/* Advances the model by secs (the kernel balances first). */
void mc_cpu_sim_step(struct mc_cpu_sim *cs, double secs);
/* Adds the vCPUs of the domains snap holds, and the pCPUs. */
int mc_cpu_sim_collect(const struct mc_cpu_sim *cs, struct mc_snapshot *snap);
/* Sets v's affinity; -1 (logged) when v is unknown or mask holds no pCPU
 * of the host, as libvirt refuses. */
int mc_cpu_sim_pin(struct mc_cpu_sim *cs, const struct mc_vcpu *v,
		   const struct mc_cpuset *mask);

/* ---- what an observer (cpu_score.c) may read ---- */
struct mc_cpu_sim_vcpu {
	const char *domain;
	unsigned vcpu;
	unsigned pcpu;		/* where it runs now */
	double time;		/* s it has run */
	struct mc_cpuset affinity;
};
unsigned mc_cpu_sim_npcpus(const struct mc_cpu_sim *cs);
size_t mc_cpu_sim_nvcpus(const struct mc_cpu_sim *cs);
void mc_cpu_sim_vcpu(const struct mc_cpu_sim *cs, size_t i, struct mc_cpu_sim_vcpu *out);

/* Told of every affinity change mc_cpu_sim_pin() makes: vCPU index, the
 * affinity before and after. */
typedef void mc_cpu_sim_pin_fn(void *arg, size_t vcpu, const struct mc_cpuset *from,
			       const struct mc_cpuset *to);
void mc_cpu_sim_on_pin(struct mc_cpu_sim *cs, mc_cpu_sim_pin_fn *fn, void *arg);

#endif
