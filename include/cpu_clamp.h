/*
 * cpu_clamp.h - the safety rules between a CPU policy's pinnings and the
 * hypervisor.
 *
 * Pure: no I/O, no globals, like clamp.h.  Whatever place() proposes, the
 * masks that come out hold only online pCPUs within [cpu] pcpus, outside
 * reserve_pcpus and inside the domain's cpuset; are never empty; change
 * only what differs; leave a vCPU where it was pinned for the dwell time;
 * move nothing while the pCPUs are balanced within the deadband; and make
 * at most max_moves changes a period.
 */
#ifndef MC_CPU_CLAMP_H
#define MC_CPU_CLAMP_H

#include <stdbool.h>
#include <stddef.h>

#include "cpu_snapshot.h"
#include "cpuset.h"

/*
 * The numeric [cpu] keys, one line each: X(field, "key", lo, hi, default,
 * what).  The only place they are declared: it makes struct mc_cpu_limits'
 * numbers and the keys, ranges and defaults config.c reads; the docs are
 * checked against it by test_cpu_clamp.c.
 */
#define MC_CPU_LIMITS(X) \
	X(dwell,     "dwell",     0, 86400, 10, "s a pinned vCPU stays before it moves again") \
	X(deadband,  "deadband",  0, 100,   5,  "no moves while the stddev of the pCPUs' guest load is at most this (points), 0 = off") \
	X(max_moves, "max_moves", 0, 100000, 8, "re-pins a period at most, 0 = no limit")

struct mc_cpu_limits {
#define MC_CPU_LIMITS_FIELD(field, key, lo, hi, def, what) double field;
	MC_CPU_LIMITS(MC_CPU_LIMITS_FIELD)
#undef MC_CPU_LIMITS_FIELD
	bool have_pcpus;		/* [cpu] pcpus set; else every pCPU */
	struct mc_cpuset pcpus;		/* [cpu] pcpus */
	struct mc_cpuset reserve;	/* [cpu] reserve_pcpus: never given to vCPUs */
};

/* One pinning place() returned.  vcpu is NaN and domain NULL when they
 * were not what the contract asks; mask_ok false when the pCPUs were not
 * numbers of pCPUs. */
struct mc_cpu_pin {
	const char *domain;
	double vcpu;
	bool mask_ok;
	struct mc_cpuset mask;
};

/*
 * The rules, one line each: X(ID, "name", what it did).  As MC_CLAMP_RULES:
 * the line order is the bit order (add at the end); mc_cpu_clamp_apply()
 * says the order they run in.
 */
#define MC_CPU_CLAMP_RULES(X) \
	X(UNKNOWN,  "unknown",   "no such vCPU: dropped") \
	X(BADPCPU,  "bad-pcpu",  "not a set of pCPU numbers: dropped") \
	X(NOSTATS,  "no-stats",  "no utilization yet: keeps its pins") \
	X(EXCLUDED, "excluded",  "[domain] cpu_exclude: keeps its pins") \
	X(ALLOWED,  "allowed",   "offline, outside pcpus or the domain's cpuset, or reserved: taken out") \
	X(EMPTY,    "empty",     "no allowed pCPU left: keeps its pins") \
	X(DEADBAND, "deadband",  "pCPUs balanced within the deadband: keeps its pins") \
	X(DWELL,    "dwell",     "pinned less than dwell s ago: keeps its pins") \
	X(MAXMOVES, "max-moves", "beyond max_moves this period: keeps its pins")

enum mc_cpu_clamp_rule_index {
#define MC_CPU_CLAMP_INDEX(id, name, what) MC_CPU_CLAMP_INDEX_##id,
	MC_CPU_CLAMP_RULES(MC_CPU_CLAMP_INDEX)
#undef MC_CPU_CLAMP_INDEX
	MC_CPU_CLAMP_NRULES
};

enum mc_cpu_clamp_rule {
#define MC_CPU_CLAMP_BIT(id, name, what) MC_CPU_CLAMP_##id = 1u << MC_CPU_CLAMP_INDEX_##id,
	MC_CPU_CLAMP_RULES(MC_CPU_CLAMP_BIT)
#undef MC_CPU_CLAMP_BIT
};

/* The fate of one pinning of a known vCPU. */
struct mc_cpu_decision {
	size_t vcpu;			/* index into the snapshot's vcpus */
	struct mc_cpuset from;		/* affinity when decided */
	struct mc_cpuset proposed;	/* what place() asked */
	struct mc_cpuset target;	/* after the rules */
	unsigned rules;			/* MC_CPU_CLAMP_* that fired */
	bool act;			/* target != from: re-pin */
};

struct mc_cpu_clamp_result {
	struct mc_cpu_decision *dec;	/* one per vCPU at most, snapshot order */
	size_t ndec, nact;
	unsigned dropped;		/* MC_CPU_CLAMP_UNKNOWN | _BADPCPU seen */
	struct mc_cpuset allowed;	/* online, in pcpus, not reserved */
	bool have_stddev;
	double stddev;			/* of the allowed pCPUs' vcpu_util */
};

/* The pCPUs vCPUs may use: online, within pcpus, outside reserve. */
struct mc_cpuset mc_cpu_clamp_allowed(const struct mc_cpu_snap *s,
				      const struct mc_cpu_limits *lim);
/* The population stddev of the allowed pCPUs' guest load (vcpu_util:
 * what the vCPUs that last ran there used, the course harness's
 * measure); false when
 * one of them has none yet. */
bool mc_cpu_clamp_stddev(const struct mc_cpu_snap *s, const struct mc_cpuset *allowed,
			 double *out);

/* Applies the rules to pins at time now (the snapshot's clock).  0, or -1
 * when out of memory (res empty).  res->dec is the caller's:
 * mc_cpu_clamp_result_free(). */
int mc_cpu_clamp_apply(const struct mc_cpu_snap *s, const struct mc_cpu_limits *lim,
		       const struct mc_cpu_pin *pins, size_t npins, double now,
		       struct mc_cpu_clamp_result *res);
void mc_cpu_clamp_result_free(struct mc_cpu_clamp_result *res);

/* "dwell+max-moves" for a rule mask. */
const char *mc_cpu_clamp_rules_str(unsigned rules, char *buf, size_t len);

#endif
