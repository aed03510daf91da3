/*
 * cpu_score.h - how well a CPU policy balanced a simulated host, measured
 * as the course's harness does: every second, each vCPU's run time delta
 * is added to the pCPU it runs on, and the host is balanced when the
 * standard deviation of pCPU utilization is at most MC_CPU_SCORE_BALANCED
 * percentage points.  Rows: final stddev, time to balance (from when on it
 * stayed balanced), re-pins, re-pins after balance, flaps (a vCPU pinned
 * back to where it was pinned before within MC_CPU_SCORE_FLAP_S).
 */
#ifndef MC_CPU_SCORE_H
#define MC_CPU_SCORE_H

#include <stddef.h>
#include <stdio.h>

#include "cpuset.h"

#define MC_CPU_SCORE_BALANCED	5.0	/* points of stddev */
#define MC_CPU_SCORE_FLAP_S	10.0

struct mc_cpu_score;
struct mc_cpu_sim;

struct mc_cpu_score *mc_cpu_score_new(const struct mc_cpu_sim *cs);
void mc_cpu_score_free(struct mc_cpu_score *sc);
/* After each model step of dt s; samples once a simulated second. */
void mc_cpu_score_observe(struct mc_cpu_score *sc, const struct mc_cpu_sim *cs,
			  double dt);
/* The model changed vCPU i's affinity (mc_cpu_sim_on_pin). */
void mc_cpu_score_pin(struct mc_cpu_score *sc, size_t i, const struct mc_cpuset *from,
		      const struct mc_cpuset *to);
void mc_cpu_score_print(const struct mc_cpu_score *sc, FILE *out);
/* The "cpu" member of the --report JSON: "  \"cpu\": {...}\n", with the
 * CPU side's counters when st is not NULL (cpu_report.h). */
struct mc_cpu_stats;
void mc_cpu_score_json(const struct mc_cpu_score *sc, const struct mc_cpu_stats *st,
		       FILE *out);

#endif
