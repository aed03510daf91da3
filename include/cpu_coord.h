/*
 * cpu_coord.h - the CPU tick: utilization from two samples, place() every
 * period, the CPU clamps, the re-pins, the report.
 *
 * Runs inside the coordinator's sample (mc_coord_set_cpu), on the same
 * snapshot the memory side reads: one bulk call for both resources.  It
 * owns the CPU policy; the memory policy knows nothing of it, and either
 * may run without the other.  A failed place() keeps every pin as it is.
 */
#ifndef MC_CPU_COORD_H
#define MC_CPU_COORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "cpu_report.h"

struct mc_backend;
struct mc_config;
struct mc_cpu_coord;
struct mc_events;
struct mc_policy;
struct mc_snapshot;

/* Takes policy (a CPU policy, mc_cpu_policy_load) and rep; borrows cfg
 * and the backend, and sets its want_cpu.  NULL when out of memory (then
 * policy and rep are freed). */
struct mc_cpu_coord *mc_cpu_coord_new(const struct mc_config *cfg,
				      struct mc_backend *b, struct mc_policy *policy,
				      struct mc_cpu_report *rep);
/* All of it from cfg: loads [cpu] policy, opens [cpu] trace (appended
 * when append) and the table on table (may be NULL).  NULL with err. */
struct mc_cpu_coord *mc_cpu_coord_open(const struct mc_config *cfg,
				       struct mc_backend *b, FILE *table,
				       bool append, char *err, size_t errlen);
void mc_cpu_coord_free(struct mc_cpu_coord *cc);
void mc_cpu_coord_set_config(struct mc_cpu_coord *cc, const struct mc_config *cfg);
void mc_cpu_coord_set_events(struct mc_cpu_coord *cc, struct mc_events *e);
/* SIGHUP: the [cpu] trace re-opened (log rotation); cc may be NULL. */
void mc_cpu_coord_reopen(struct mc_cpu_coord *cc);

/* After the backend filled s (prev: the sample before): utilization,
 * then place(), clamps and re-pins when a period is due. */
void mc_cpu_coord_sample(struct mc_cpu_coord *cc, struct mc_snapshot *s,
			 const struct mc_snapshot *prev);
/* Loads path, runs a trial place() on s (may be NULL) and swaps it in;
 * on failure the running one stays.  0 or -1 with err. */
int mc_cpu_coord_reload_policy(struct mc_cpu_coord *cc, const char *path,
			       const struct mc_snapshot *s, char *err, size_t errlen);
const struct mc_cpu_stats *mc_cpu_coord_stats(const struct mc_cpu_coord *cc);

#endif
