/*
 * coord_stats.h - the coordinator's running counters, as plain data.
 *
 * Its own header so the outputs that print them (metrics, the simulator's
 * scorecard) are handed the numbers without including coordinator.h: the
 * arrows run from the coordinator to its outputs, never back.
 */
#ifndef MC_COORD_STATS_H
#define MC_COORD_STATS_H

#include <stdbool.h>
#include <stdint.h>

struct mc_cpu_stats;

struct mc_coord_stats {
	unsigned long samples;
	unsigned long decides;
	unsigned long resizes;
	unsigned long resize_failures;
	unsigned long policy_errors;
	unsigned long policy_reloads;
	unsigned long policy_refusals;
	unsigned long config_refusals;	/* SIGHUP/reload with a config that did not load */
	unsigned long policy_fallbacks;	/* decides served by the built-in fallback */
	unsigned long policy_worker_restarts;
	double decide_cpu;	/* s, summed: daemon + policy worker */
	double decide_worker_cpu;	/* s, summed: the policy worker's part */
	unsigned long reconnects;	/* the backend's, as last seen */
	unsigned long ksm_writes;	/* KSM settings written */
	unsigned long ksm_write_failures;	/* ... that the host refused */
	/* Health, for the metrics: what an alert asks before it trusts the
	 * counters above. */
	bool connected;		/* the last collect() worked */
	const char *policy_path;	/* the running policy's, borrowed; NULL: none */
	uint64_t policy_hash;	/* FNV-1a 64 of its text as loaded */
	double last_reload;	/* unix s of the last policy loaded while running; 0: never */
	double last_refusal;	/* unix s of the last policy refused; 0: never */
	double last_config_refusal;	/* unix s of the last config refused; 0: never */
	/* The CPU side's counters (cpu_report.h), borrowed; NULL: none. */
	const struct mc_cpu_stats *cpu;
};

#endif
