/*
 * scorecard.h - how well a policy served a simulated host.
 *
 * The scorecard watches the model after every step, through the model's
 * const accessors (it sees what the guests really have, not what they last
 * reported), is told of every balloon target the host sets (resizes,
 * reversals, reaction times are its own accounts), and adds up: OOM kills,
 * swap, pressure, reaction and give-back times, the tightest margin, idle
 * memory, host reserve violations, fairness.  At the end it prints a
 * summary and writes the --report JSON.
 */
#ifndef MC_SCORECARD_H
#define MC_SCORECARD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct mc_coord_stats;
struct mc_cpu_score;
struct mc_score;
struct mc_sim_model;

/* What the driver measured about the run itself. */
struct mc_score_run {
	const char *scenario, *policy;
	double duration;		/* simulated s */
	const struct mc_coord_stats *coord;
	unsigned long ticks;		/* mc_coord_sample() calls */
	double coord_cpu;		/* s of CPU in mc_coord_sample, summed */
	double model_cpu;		/* s of CPU stepping the model */
	long peak_rss_kib;
	const struct mc_cpu_score *cpu;	/* the CPU rows (cpu_score.h), or NULL */
};

/* pressure: unused below this (KiB) counts as pressure; reserve: the host
 * reserve (KiB).  NULL when out of memory. */
struct mc_score *mc_score_new(const struct mc_sim_model *m, uint64_t pressure,
			      uint64_t reserve);
void mc_score_free(struct mc_score *s);

/* The host set VM vm's balloon target to kib when it was actual, at the
 * model's time now (wire it to mc_sim_model_on_target()). */
void mc_score_resize(struct mc_score *s, size_t vm, uint64_t actual,
		     uint64_t kib, double now);
/* After each model step of dt seconds. */
void mc_score_observe(struct mc_score *s, const struct mc_sim_model *m,
		      double dt);

/* After each coordinator sample: the course score sees what the trace
 * holds (balloon size, the guest's last reported unused).  0, or -1 when
 * out of memory. */
int mc_score_sampled(struct mc_score *s, const struct mc_sim_model *m);

void mc_score_print(const struct mc_score *s, const struct mc_sim_model *m,
		    const struct mc_score_run *run, FILE *out);
/* 0, or -1 with err set. */
int mc_score_write_json(const struct mc_score *s, const struct mc_sim_model *m,
			const struct mc_score_run *run, const char *path,
			char *err, size_t errlen);

#endif
