/*
 * cpu_score.c - the course's vCPU harness, watching the simulated host.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_report.h"
#include "cpu_score.h"
#include "cpu_sim.h"

struct vcpu_score {
	double last_time;	/* s run at the last harness sample */
	struct mc_cpuset last_from;	/* the affinity the last pin replaced */
	double last_at;			/* when */
	unsigned npins;
};

struct mc_cpu_score {
	size_t nv;
	unsigned npcpus;
	struct vcpu_score *v;
	double now, next_sample;
	unsigned long samples;
	double last_stddev;
	double balanced_since;	/* < 0: not balanced at the last sample */
	double max_stddev_after;	/* worst after balance (for the report) */
	unsigned long pins, pins_after, flaps;
	double pin_times_sum;
};

struct mc_cpu_score *mc_cpu_score_new(const struct mc_cpu_sim *cs)
{
	struct mc_cpu_score *sc = calloc(1, sizeof(*sc));
	size_t n = mc_cpu_sim_nvcpus(cs);

	if (!sc || !(sc->v = calloc(n ? n : 1, sizeof(*sc->v)))) {
		free(sc);
		return NULL;
	}
	sc->nv = n;
	sc->npcpus = mc_cpu_sim_npcpus(cs);
	sc->next_sample = 1;
	sc->balanced_since = -1;
	return sc;
}

void mc_cpu_score_free(struct mc_cpu_score *sc)
{
	if (!sc)
		return;
	free(sc->v);
	free(sc);
}

/* One harness sample: utilization per pCPU from the vCPUs' time deltas,
 * then its stddev. */
static void harness_sample(struct mc_cpu_score *sc, const struct mc_cpu_sim *cs,
			   double span)
{
	double util[MC_CPUSET_MAX] = { 0 }, sum = 0, sq = 0, sd;
	struct mc_cpu_sim_vcpu v;
	size_t i;

	for (i = 0; i < sc->nv; i++) {
		mc_cpu_sim_vcpu(cs, i, &v);
		util[v.pcpu] += (v.time - sc->v[i].last_time) / span * 100;
		sc->v[i].last_time = v.time;
	}
	for (i = 0; i < sc->npcpus; i++) {
		sum += util[i];
		sq += util[i] * util[i];
	}
	sd = sqrt(fmax(0, sq / sc->npcpus - (sum / sc->npcpus) * (sum / sc->npcpus)));
	sc->last_stddev = sd;
	sc->samples++;
	if (sd > MC_CPU_SCORE_BALANCED) {
		sc->balanced_since = -1;
		sc->pins_after = 0;	/* they were not after balance */
		sc->max_stddev_after = 0;
	} else if (sc->balanced_since < 0) {
		sc->balanced_since = sc->now;
	}
	if (sc->balanced_since >= 0 && sd > sc->max_stddev_after)
		sc->max_stddev_after = sd;
}

void mc_cpu_score_observe(struct mc_cpu_score *sc, const struct mc_cpu_sim *cs,
			  double dt)
{
	sc->now += dt;
	if (sc->now + 1e-9 < sc->next_sample)
		return;
	harness_sample(sc, cs, 1.0);
	sc->next_sample += 1;
}

void mc_cpu_score_pin(struct mc_cpu_score *sc, size_t i, const struct mc_cpuset *from,
		      const struct mc_cpuset *to)
{
	struct vcpu_score *vs = &sc->v[i];

	sc->pins++;
	if (sc->balanced_since >= 0)
		sc->pins_after++;
	/* Back to where the last pin took it from, soon after: a flap. */
	if (vs->npins && mc_cpuset_equal(to, &vs->last_from) &&
	    sc->now - vs->last_at < MC_CPU_SCORE_FLAP_S)
		sc->flaps++;
	vs->last_from = *from;
	vs->last_at = sc->now;
	vs->npins++;
}

void mc_cpu_score_print(const struct mc_cpu_score *sc, FILE *out)
{
	fprintf(out, "cpu: %u pCPUs, %zu vCPUs\n", sc->npcpus, sc->nv);
	fprintf(out, "  final stddev          %8.2f points\n", sc->last_stddev);
	if (sc->balanced_since >= 0)
		fprintf(out, "  time to balance       %8.1f s (stddev <= %.0f from then on)\n",
			sc->balanced_since, MC_CPU_SCORE_BALANCED);
	else
		fprintf(out, "  time to balance          never\n");
	fprintf(out, "  re-pins               %8lu\n", sc->pins);
	fprintf(out, "  re-pins after balance %8lu\n", sc->pins_after);
	fprintf(out, "  flaps                 %8lu\n", sc->flaps);
}

void mc_cpu_score_json(const struct mc_cpu_score *sc, const struct mc_cpu_stats *st,
		       FILE *out)
{
	fprintf(out, "  \"cpu\": {\"pcpus\": %u, \"vcpus\": %zu, \"final_stddev\": %.3f, "
		"\"balanced\": %s, \"time_to_balance_s\": ", sc->npcpus, sc->nv,
		sc->last_stddev, sc->balanced_since >= 0 ? "true" : "false");
	if (sc->balanced_since >= 0)
		fprintf(out, "%.1f", sc->balanced_since);
	else
		fputs("null", out);
	fprintf(out, ", \"pins\": %lu, \"pins_after_balance\": %lu, \"flaps\": %lu, "
		"\"samples\": %lu", sc->pins, sc->pins_after, sc->flaps, sc->samples);
	if (st)
		fprintf(out, ", \"places\": %lu, \"place_errors\": %lu, \"place_cpu_s\": %.6f, "
			"\"place_worker_cpu_s\": %.6f", st->places, st->place_errors,
			st->place_cpu, st->place_worker_cpu);
	fputs("}\n", out);
}
