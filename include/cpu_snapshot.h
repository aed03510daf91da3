/*
 * cpu_snapshot.h - one sample of the host's pCPUs and the guests' vCPUs.
 *
 * The CPU half of a snapshot (struct mc_snapshot embeds one), filled by
 * the backend in the same collect() as memory when a CPU policy runs
 * (mc_backend.want_cpu).  Plain data: times in ns as the hypervisor counts
 * them, utilization in percent of one pCPU, time stamps in seconds of the
 * snapshot's clock.
 */
#ifndef MC_CPU_SNAPSHOT_H
#define MC_CPU_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpuset.h"
#include "util.h"


struct mc_kv;

/* What the coordinator adds to a vCPU every sample (a backend never writes
 * it): derived from the previous sample and the config. */
struct mc_vcpu_track {
	bool have_util;		/* false until two samples, and after a reset */
	double util;		/* % of one pCPU it ran since the last sample */
	double delay;		/* % it waited runnable (0 without schedstats) */
	double demand;		/* util + delay, at most 100: what it would use */
	double moved_at;	/* s when memcoord last pinned it, < 0 never */
	bool excluded;		/* [domain] cpu_exclude = yes */
	struct mc_cpuset cpuset;	/* [domain] cpuset, or every CPU */
	const struct mc_kv *params;	/* [domain] keys, borrowed */
	size_t nparams;
	/* The previous sample's reading, for prev in place(). */
	bool have_prev;
	double prev_util, prev_delay;
	int prev_pcpu;
};

struct mc_vcpu {
	char *domain;		/* owned (mc_cpu_snap_add_vcpu copies it) */
	char uuid[MC_UUID_LEN];
	int id;			/* the domain's id, -1 unknown */
	unsigned vcpu;		/* index within the domain */
	uint64_t time_ns;	/* run time so far */
	uint64_t delay_ns;	/* run-queue wait so far */
	bool have_delay;
	int pcpu;		/* the pCPU it last ran on, -1 unknown */
	struct mc_cpuset affinity;	/* where it may run now */
	struct mc_vcpu_track track;
};

/* A pCPU; the busy/total times are the host's (guests and everything
 * else), cumulative. */
struct mc_pcpu {
	bool online;
	bool have_times;
	uint64_t busy_ns, total_ns;
	/* the coordinator's */
	bool have_util;
	double util;		/* % busy since the last sample */
	double vcpu_util;	/* % of it the vCPUs that last ran there used */
	double other;		/* util - vcpu_util, never below 0: host load */
};

struct mc_cpu_snap {
	bool collected;		/* the backend read vCPUs this sample */
	struct mc_vcpu *vcpus;	/* sorted by domain, then vcpu */
	size_t nvcpus, cap;
	unsigned npcpus;	/* the host's CPUs: pcpus[0 .. npcpus-1] */
	/* The coordinator's: the previous sample's guest-load stddev over the
	 * allowed pCPUs (cpu_clamp.h), for the deadband. */
	bool have_prev_stddev;
	double prev_stddev;
	struct mc_pcpu pcpus[MC_CPUSET_MAX];
};

void mc_cpu_snap_init(struct mc_cpu_snap *s);
void mc_cpu_snap_clear(struct mc_cpu_snap *s);
void mc_cpu_snap_free(struct mc_cpu_snap *s);
/* Appends a zeroed vCPU (pcpu -1, id -1) of a copy of domain; NULL when
 * out of memory. */
struct mc_vcpu *mc_cpu_snap_add_vcpu(struct mc_cpu_snap *s, const char *domain,
				     unsigned vcpu);
void mc_cpu_snap_sort(struct mc_cpu_snap *s);
/* Binary search; the snapshot must be sorted. */
struct mc_vcpu *mc_cpu_snap_find(const struct mc_cpu_snap *s, const char *domain,
				 unsigned vcpu);
/* The online pCPUs. */
struct mc_cpuset mc_cpu_snap_online(const struct mc_cpu_snap *s);

#endif
