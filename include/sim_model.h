/*
 * sim_model.h - the simulated host's model: Linux guests with virtio
 * balloons running scripted workloads, as plain data plus a step function.
 *
 * The model depends on nothing else of the simulator: the scenario parser
 * (sim_scenario.h) builds it, the backend (mc_hv_sim_open in hypervisor.h)
 * wraps it, the scorecard (scorecard.h) watches it through the const
 * accessors below, and the driver (sim.h) runs them all.  Memory is KiB,
 * time is seconds (the model counts milliseconds internally so runs are
 * exactly repeatable).
 */
#ifndef MC_SIM_MODEL_H
#define MC_SIM_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

/* One guest.  The scenario part is what a builder (the scenario parser)
 * fills in before handing the VM to mc_sim_model_new(); the state part is
 * the model's alone, read from outside through mc_sim_model_vm_state(). */
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
	struct mc_sim_phase *phases;	/* owned */
	size_t nphases;
	struct mc_sim_replay replay;	/* owned; n > 0: drives the workload */
	/* virtio-mem (vmem.h): vmem_block > 0 resizes the guest by a device
	 * of that block size over vmem_base of boot memory, up to max; its
	 * size moves in whole blocks and a shrink stops at the first block
	 * holding memory the guest uses (a partial unplug). */
	uint64_t vmem_block, vmem_base;
	/* --- the state --- */
	bool replay_killed;	/* the OOM killer ended the replayed workload */
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
	int64_t moved_ms;	/* when the balloon last moved, -1 never */
	uint64_t announced[2];	/* KiB: the balloon size at the last two
				 * stats boundaries, [0] the newer */
};

struct mc_sim_host {
	uint64_t total, overhead;	/* KiB */
	double duration;	/* s, the scenario's */
	double stats_period;	/* s */
	double balloon_rate;	/* KiB/s; 0 = MC_SIM_BALLOON_RATE */
	bool stats_paused_moving;	/* no stats while a balloon moves */
	bool actual_late;	/* the host learns the balloon size a second late */
};

/* What an observer (the scorecard, the plot, a test) may know of one
 * guest right now: what it really has inside, not what it last reported.
 * Strings are borrowed from the model and live as long as it does. */
struct mc_sim_vm_state {
	const char *name, *group;
	bool alive;
	bool growing;		/* its workload is in a grow phase */
	uint64_t start_size;	/* KiB, the balloon at boot */
	uint64_t actual, target;	/* KiB, the balloon now and where it goes */
	uint64_t available;	/* KiB, MemTotal */
	uint64_t unused;	/* KiB, MemFree */
	uint64_t reported_unused;	/* KiB, MemFree in the last stats sample */
	bool reported;		/* a stats sample has been taken */
	uint64_t max;		/* KiB, the hypervisor's max */
	uint64_t workload, swapped, cache;	/* KiB */
	size_t phase;		/* index of the current phase */
	struct mc_sim_counters cnt;
	unsigned oom_kills;
};

struct mc_sim_model;

/* A model of host and the nvms VMs of vms (a malloc'd array), with the
 * VMs due at t=0 booted.  Takes vms in every case: on failure (NULL, out
 * of memory) they are freed too.  Free with mc_sim_model_free(). */
struct mc_sim_model *mc_sim_model_new(const struct mc_sim_host *host,
				      struct mc_sim_vm *vms, size_t nvms);
void mc_sim_model_free(struct mc_sim_model *m);
/* Frees what one VM owns (name, phases, replay), not the VM itself: for a
 * builder's VMs that never reached mc_sim_model_new(). */
void mc_sim_vm_release(struct mc_sim_vm *v);

/* Advances the model by secs (rounded to MC_SIM_STEP_MS steps). */
void mc_sim_model_step(struct mc_sim_model *m, double secs);

/* ---- const accessors ---- */
double mc_sim_model_now(const struct mc_sim_model *m);
/* The simulated wall clock, seconds since the Unix epoch: a run starts at
 * MC_SIM_EPOCH, so its trace and event log read the same every run and
 * on every host, and are never taken for a real host's. */
#define MC_SIM_EPOCH 0.0
double mc_sim_model_wall(const struct mc_sim_model *m);
const struct mc_sim_host *mc_sim_model_host(const struct mc_sim_model *m);
size_t mc_sim_model_nvms(const struct mc_sim_model *m);
/* VM i (< nvms) as an observer sees it. */
void mc_sim_model_vm_state(const struct mc_sim_model *m, size_t i,
			   struct mc_sim_vm_state *out);
/* Host memory not given to running guests nor the host's overhead. */
uint64_t mc_sim_host_free(const struct mc_sim_model *m);

/* ---- what the backend does with the model ---- */

/* Fills snap with the running guests as a host would see them. */
int mc_sim_model_collect(const struct mc_sim_model *m, struct mc_snapshot *snap);
/* Sets a running guest's balloon target; -1 (logged) when d is not a
 * running guest or kib is above its max, as libvirt refuses. */
int mc_sim_model_set_target(struct mc_sim_model *m, const struct mc_domain *d,
			    uint64_t kib);

/* Told of every target mc_sim_model_set_target() accepts: VM index, the
 * balloon size then, the new target, the model's time.  The model keeps
 * no account of its own callers (the scorecard does, through this). */
typedef void mc_sim_target_fn(void *arg, size_t vm, uint64_t actual,
			      uint64_t kib, double now);
void mc_sim_model_on_target(struct mc_sim_model *m, mc_sim_target_fn *fn,
			    void *arg);

#endif
