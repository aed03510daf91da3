/*
 * sim.h - the simulated host: a backend that models Linux guests with
 * virtio balloons running scripted workloads, and the driver that runs the
 * coordinator on it as fast as the CPU allows (or in real time).
 *
 * The model (hypervisor_sim.c) is plain data plus a step function, so unit
 * tests drive it directly; the backend wraps it behind struct mc_backend so
 * the coordinator, the policy and the clamps run unchanged.  Memory is KiB,
 * time is seconds (the model counts milliseconds internally so runs are
 * exactly repeatable).
 */
#ifndef MC_SIM_H
#define MC_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "hypervisor.h"
#include "snapshot.h"

/* KiB arithmetic shared by the scenario parser and the model: a - b, never
 * below 0; and a non-negative KiB count rounded from a double. */
static inline uint64_t mc_sim_sub_sat(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

static inline uint64_t mc_sim_kib_of(double kib)
{
	return kib <= 0 ? 0 : (uint64_t)(kib + 0.5);
}

/* Model constants (documented in conf/scenarios/README.md). */
#define MC_SIM_STEP_MS		100	/* model resolution */
#define MC_SIM_BALLOON_RATE	(256 * 1024)	/* KiB/s, inflate and deflate */
#define MC_SIM_CACHE_REGROW	1024	/* KiB/s page cache refills */

enum mc_sim_phase_kind {
	MC_SIM_IDLE,		/* workload unchanged for secs */
	MC_SIM_HOLD,		/* same as idle; names intent */
	MC_SIM_GROW,		/* allocate at rate up to to_kib */
	MC_SIM_FREE,		/* free at rate down to to_kib */
	MC_SIM_FREE_ALL,	/* free down to to_kib at once */
};

struct mc_sim_phase {
	enum mc_sim_phase_kind kind;
	double rate;		/* KiB/s (grow/free) */
	uint64_t to;		/* KiB of workload at the end (grow/free) */
	double secs;		/* idle/hold length, < 0 = forever */
};

/* A recorded trace, as workload over time for one domain. */
struct mc_sim_replay {
	double *t;		/* s since the domain's first row */
	uint64_t *used;		/* KiB: actual - unused */
	size_t n;
};

/* Per-domain counters the guest reports like a Linux guest. */
struct mc_sim_counters {
	uint64_t swap_in, swap_out;	/* KiB */
	uint64_t major_fault, minor_fault;
};

struct mc_sim_vm {
	/* --- the scenario --- */
	char *name;		/* owned, whole (see struct mc_domain) */
	char uuid[MC_UUID_LEN];
	char group[64];		/* equally loaded VMs share a group; longer is refused */
	uint64_t start_size, max;	/* balloon at start, hypervisor max */
	uint64_t kernel;	/* not in MemTotal: available = actual - kernel */
	uint64_t base_used;	/* kernel slab + userspace, always resident */
	uint64_t cache_max;	/* reclaimable page cache when room allows */
	uint64_t min_free;	/* the kernel's min watermark: never handed out */
	uint64_t swap_size;	/* 0 = no swap: demand past memory -> OOM */
	bool stats;		/* reports balloon stats */
	double start_at, stop_at;	/* s; stop_at < 0 = never */
	double stats_stop_at;	/* stats freeze from then on, < 0 = never */
	struct mc_sim_phase *phases;
	size_t nphases;
	struct mc_sim_replay replay;	/* n > 0: drives the workload */
	bool replay_killed;	/* the OOM killer ended the replayed workload */
	/* --- the state --- */
	bool alive, gone;
	uint64_t actual, target;
	uint64_t workload;	/* KiB the workload has allocated */
	uint64_t swapped;	/* of which in swap */
	uint64_t cache;
	size_t phase;		/* index into phases; nphases = done */
	double phase_t;		/* s spent in the current idle/hold phase */
	struct mc_sim_counters cnt;
	unsigned oom_kills;
	struct mc_memstats reported;	/* the guest's last stats sample */
	/* --- actuation seen by the host --- */
	unsigned long resizes, reversals;
	int last_dir;		/* +1 grow, -1 shrink, 0 none yet */
	double last_grow_at;	/* s, -1 = never */
};

struct mc_sim_host {
	uint64_t total, overhead;	/* KiB */
	double duration;	/* s, the scenario's */
	double stats_period;	/* s */
};

struct mc_sim_model {
	struct mc_sim_host host;
	struct mc_sim_vm *vms;
	size_t nvms;
	int64_t now_ms;
	int64_t stats_ms;
};

/* Loads a scenario INI (see conf/scenarios/README.md) and boots the VMs
 * due at t=0.  NULL on failure with err holding file:line and why.  Free
 * with mc_sim_model_free(). */
struct mc_sim_model *mc_sim_model_load(const char *path, char *err,
				       size_t errlen);
/* The parsing alone (sim_scenario.c): the model before t=0. */
struct mc_sim_model *mc_sim_scenario_load(const char *path, char *err,
					  size_t errlen);
void mc_sim_model_free(struct mc_sim_model *m);

/* Advances the model by secs (rounded to MC_SIM_STEP_MS steps). */
void mc_sim_model_step(struct mc_sim_model *m, double secs);
double mc_sim_model_now(const struct mc_sim_model *m);

/* What a guest has inside it right now (not what it last reported). */
uint64_t mc_sim_vm_available(const struct mc_sim_vm *v);	/* MemTotal */
uint64_t mc_sim_vm_unused(const struct mc_sim_vm *v);	/* MemFree */
bool mc_sim_vm_growing(const struct mc_sim_vm *v);	/* in a grow phase */
uint64_t mc_sim_host_free(const struct mc_sim_model *m);

/* The backend operations, on the model directly. */
int mc_sim_model_collect(struct mc_sim_model *m, struct mc_snapshot *snap);
int mc_sim_model_set_target(struct mc_sim_model *m, const struct mc_domain *d,
			    uint64_t kib);

/* A backend over m (borrowed: the caller frees m after closing it). */
struct mc_backend *mc_hv_sim_open(struct mc_sim_model *m, char *err,
				  size_t errlen);

/* Runs cfg->simulate with cfg->policy; prints the scorecard, writes
 * --report/--trace/--plot.  Returns the process exit status. */
int mc_sim_main(const struct mc_config *cfg);

#endif
