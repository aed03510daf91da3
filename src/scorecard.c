/*
 * scorecard.c - the metrics of one simulated run, and the --report JSON.
 *
 * Definitions (also in conf/scenarios/README.md):
 *  - pressure-seconds: per guest, time with real free memory below
 *    pressure_unused_mib or with pages going to swap; summed over guests.
 *  - reaction time: a growing guest's free memory falls below the pressure
 *    line (onset) -> the first grow the coordinator orders after it.
 *    Onsets that never get a grow (OOM, end of run) count as unanswered.
 *  - tightest margin: the least free memory seen in a guest while its
 *    workload grows.
 *  - give-back time: a guest frees >= 32 MiB -> its balloon size is down by
 *    half of what it freed, counted from the end of the freeing (0 when it
 *    happened while freeing).  Never = counted as such.
 *  - idle memory: free memory inside guests, summed, time-averaged.
 *  - reserve violations: times host free fell below the reserve because
 *    guests grew (a guest booting is not the coordinator's doing).
 *  - fairness: per group of equally loaded guests, the spread (max - min)
 *    of free memory, time-averaged while two or more are running.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "coord_stats.h"
#include "course_score.h"
#include "fileio.h"
#include "json.h"
#include "cpu_score.h"
#include "scorecard.h"
#include "sim_model.h"
#include "utf8.h"
#include "util.h"

#define GIVEBACK_MIN (32 * MC_KIB_PER_MIB)	/* KiB freed before give-back counts */

struct phase_end {
	size_t index;
	double at;
	uint64_t actual, workload;
};

struct vm_score {
	/* the host's orders, told by mc_score_resize() */
	unsigned long resizes, reversals;
	int last_dir;		/* +1 grow, -1 shrink, 0 none yet */
	double last_grow_at;	/* s, -1 = never */
	bool seen;
	size_t last_phase;
	unsigned last_oom;
	uint64_t last_workload, last_swap_out;
	uint64_t peak, low, final;
	double peak_at;
	double pressure_s;
	/* reaction */
	bool armed, open;
	double onset;
	/* tightest margin while growing */
	uint64_t margin;
	bool have_margin;
	/* a free in progress, and a give-back pending */
	bool freeing, pending;
	uint64_t free_from_actual, free_from_workload, goal;
	double free_end;
	struct phase_end *ends;
	size_t nends;
	/* the course score's view of frees and kills */
	uint64_t cs_workload, cs_free_from;
	double cs_free_at;
	bool cs_freeing;
	unsigned cs_oom;
};

struct group {
	char name[64];
	double spread_sum, time, spread_max;
	/* this step's running members: least and most free memory */
	uint64_t lo, hi;
	size_t n;
};

struct mc_score {
	struct mc_cs *course;	/* the numbers real-guest runs are scored by */
	uint64_t pressure, reserve;
	struct vm_score *vm;
	size_t nvm;
	size_t *group_of;	/* per VM: index into groups, or SIZE_MAX */
	struct group *groups;
	size_t ngroups;
	double time;
	double idle_kib_s;
	double reaction_sum, reaction_max;
	unsigned long reactions, unanswered;
	double giveback_sum, giveback_max;
	unsigned long givebacks, giveback_never;
	unsigned long violations;
	double violation_s;
	bool violating;
	uint64_t last_host_free, min_host_free;
};

static size_t find_group(struct mc_score *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->ngroups; i++)
		if (!strcmp(s->groups[i].name, name))
			return i;
	snprintf(s->groups[s->ngroups].name, sizeof(s->groups[0].name), "%s", name);
	s->groups[s->ngroups].lo = UINT64_MAX;
	return s->ngroups++;
}

static struct mc_cs *new_course(const struct mc_sim_model *m, size_t nvms)
{
	uint64_t *max = calloc(nvms ? nvms : 1, sizeof(*max));
	struct mc_sim_vm_state v;
	struct mc_cs *cs;
	size_t i;

	if (!max)
		return NULL;
	for (i = 0; i < nvms; i++) {
		mc_sim_model_vm_state(m, i, &v);
		max[i] = v.max;
	}
	cs = mc_cs_new(nvms, max);
	free(max);
	return cs;
}

struct mc_score *mc_score_new(const struct mc_sim_model *m, uint64_t pressure,
			      uint64_t reserve)
{
	struct mc_score *s = calloc(1, sizeof(*s));
	size_t i, nvms = mc_sim_model_nvms(m), n = nvms ? nvms : 1;
	struct mc_sim_vm_state v;

	if (!s)
		return NULL;
	s->vm = calloc(n, sizeof(*s->vm));
	s->group_of = calloc(n, sizeof(*s->group_of));
	s->groups = calloc(n, sizeof(*s->groups));
	if (!s->vm || !s->group_of || !s->groups) {
		mc_score_free(s);
		return NULL;
	}
	s->nvm = nvms;
	if (!(s->course = new_course(m, nvms))) {
		mc_score_free(s);
		return NULL;
	}
	s->pressure = pressure;
	s->reserve = reserve;
	s->last_host_free = s->min_host_free = mc_sim_host_free(m);
	for (i = 0; i < nvms; i++) {
		mc_sim_model_vm_state(m, i, &v);
		s->group_of[i] = v.group[0] ? find_group(s, v.group) : SIZE_MAX;
		s->vm[i].armed = true;
		s->vm[i].last_grow_at = -1;
	}
	return s;
}

void mc_score_free(struct mc_score *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; s->vm && i < s->nvm; i++)
		free(s->vm[i].ends);
	mc_cs_free(s->course);
	free(s->vm);
	free(s->group_of);
	free(s->groups);
	free(s);
}

/* ---- per guest ---- */

void mc_score_resize(struct mc_score *s, size_t vm, uint64_t actual,
		     uint64_t kib, double now)
{
	struct vm_score *vs = &s->vm[vm];
	int dir = kib > actual ? 1 : kib < actual ? -1 : 0;

	if (dir && vs->last_dir && dir != vs->last_dir)
		vs->reversals++;
	if (dir)
		vs->last_dir = dir;
	if (dir > 0)
		vs->last_grow_at = now;
	vs->resizes++;
	mc_cs_resize(s->course, vm, actual, kib);
}

/* A free is told to the course score when it ends: when the workload stops
 * shrinking (an OOM kill is no free). */
static void course_watch(struct mc_score *s, size_t i,
			 const struct mc_sim_vm_state *v, double now)
{
	struct vm_score *vs = &s->vm[i];

	for (; vs->cs_oom < v->oom_kills; vs->cs_oom++)
		mc_cs_oom(s->course, i);
	if (v->workload < vs->cs_workload && vs->cs_oom == v->oom_kills &&
	    !vs->cs_freeing) {
		vs->cs_freeing = true;
		vs->cs_free_from = vs->cs_workload;
		vs->cs_free_at = now;
	} else if (vs->cs_freeing && v->workload >= vs->cs_workload) {
		vs->cs_freeing = false;
		mc_cs_freed(s->course, i, vs->cs_free_at, now,
			    vs->cs_free_from - vs->cs_workload);
	}
	vs->cs_workload = v->workload;
}

int mc_score_sampled(struct mc_score *s, const struct mc_sim_model *m)
{
	double now = mc_sim_model_now(m);
	struct mc_sim_vm_state v;
	size_t i;

	for (i = 0; i < s->nvm; i++) {
		mc_sim_model_vm_state(m, i, &v);
		if (v.alive && v.reported &&
		    mc_cs_sample(s->course, i, now, v.actual, v.reported_unused,
				 v.growing))
			return -1;
	}
	return 0;
}

static void record_phase_ends(struct vm_score *vs, const struct mc_sim_vm_state *v,
			      double now)
{
	for (; vs->last_phase < v->phase; vs->last_phase++) {
		struct phase_end *grown = realloc(vs->ends,
						  (vs->nends + 1) * sizeof(*grown));

		if (!grown)
			return;	/* the record is a nicety; metrics go on */
		vs->ends = grown;
		vs->ends[vs->nends++] = (struct phase_end){
			vs->last_phase, now, v->actual, v->workload };
	}
}

static void track_reaction(struct mc_score *s, struct vm_score *vs,
			   const struct mc_sim_vm_state *v, uint64_t unused, double now)
{
	bool low = unused < s->pressure;

	if (vs->open && vs->last_grow_at >= vs->onset) {
		double r = vs->last_grow_at - vs->onset;

		s->reaction_sum += r;
		s->reaction_max = fmax(s->reaction_max, r);
		s->reactions++;
		vs->open = false;
	} else if (vs->open && (v->oom_kills != vs->last_oom ||
				!v->growing)) {
		s->unanswered++;	/* killed, or stopped growing, unserved */
		vs->open = false;
	}
	if (!low)
		vs->armed = true;
	else if (vs->armed && !vs->open && v->growing) {
		vs->open = true;
		vs->armed = false;
		vs->onset = now;
	}
}

/* A free is a run of steps in which the workload shrinks (not by OOM). */
static void track_giveback(struct mc_score *s, struct vm_score *vs,
			   const struct mc_sim_vm_state *v, bool killed, double now)
{
	bool shrinking = !killed && v->workload < vs->last_workload;

	if (shrinking && !vs->freeing) {
		vs->freeing = true;
		vs->free_from_actual = v->actual;
		vs->free_from_workload = vs->last_workload;
	} else if (!shrinking && vs->freeing) {
		uint64_t freed = vs->free_from_workload > v->workload ?
				 vs->free_from_workload - v->workload : 0;

		vs->freeing = false;
		if (freed >= GIVEBACK_MIN) {
			if (vs->pending)
				s->giveback_never++;	/* superseded */
			vs->pending = true;
			vs->free_end = now;
			vs->goal = vs->free_from_actual > freed / 2 ?
				   vs->free_from_actual - freed / 2 : 0;
		}
	}
	if (vs->pending && v->actual <= vs->goal) {
		double g = now - vs->free_end;

		s->giveback_sum += g;
		s->giveback_max = fmax(s->giveback_max, g);
		s->givebacks++;
		vs->pending = false;
	}
}

static void observe_vm(struct mc_score *s, size_t i, const struct mc_sim_vm_state *v,
		       double now, double dt)
{
	struct vm_score *vs = &s->vm[i];
	uint64_t unused = v->unused;
	bool killed = v->oom_kills != vs->last_oom;

	if (!vs->seen) {
		vs->seen = true;
		vs->low = vs->peak = v->actual;
		vs->last_workload = v->workload;
	}
	if (unused < s->pressure || v->cnt.swap_out > vs->last_swap_out)
		vs->pressure_s += dt;
	if (v->actual > vs->peak) {
		vs->peak = v->actual;
		vs->peak_at = now;
	}
	if (v->actual < vs->low)
		vs->low = v->actual;
	vs->final = v->actual;
	if (v->growing && (!vs->have_margin || unused < vs->margin)) {
		vs->margin = unused;
		vs->have_margin = true;
	}
	track_reaction(s, vs, v, unused, now);
	track_giveback(s, vs, v, killed, now);
	record_phase_ends(vs, v, now);
	s->idle_kib_s += (double)unused * dt;
	vs->last_oom = v->oom_kills;
	vs->last_workload = v->workload;
	vs->last_swap_out = v->cnt.swap_out;
}

/* ---- host and groups ---- */

static void observe_host(struct mc_score *s, const struct mc_sim_model *m,
			 double dt)
{
	uint64_t free_kib = mc_sim_host_free(m);

	if (free_kib < s->min_host_free)
		s->min_host_free = free_kib;
	if (free_kib >= s->reserve)
		s->violating = false;
	else if (!s->violating && free_kib < s->last_host_free) {
		s->violating = true;
		s->violations++;
	}
	if (s->violating)
		s->violation_s += dt;
	s->last_host_free = free_kib;
}

/* A running guest counts toward its group's spread this step. */
static void group_member(struct mc_score *s, size_t i,
			 const struct mc_sim_vm_state *v)
{
	struct group *g;

	if (s->group_of[i] == SIZE_MAX)
		return;
	g = &s->groups[s->group_of[i]];
	g->lo = v->unused < g->lo ? v->unused : g->lo;
	g->hi = v->unused > g->hi ? v->unused : g->hi;
	g->n++;
}

static void observe_groups(struct mc_score *s, double dt)
{
	size_t i;

	for (i = 0; i < s->ngroups; i++) {
		struct group *g = &s->groups[i];

		if (g->n >= 2) {
			g->spread_sum += (double)(g->hi - g->lo) * dt;
			g->time += dt;
			g->spread_max = fmax(g->spread_max, (double)(g->hi - g->lo));
		}
		g->lo = UINT64_MAX;
		g->hi = 0;
		g->n = 0;
	}
}

void mc_score_observe(struct mc_score *s, const struct mc_sim_model *m,
		      double dt)
{
	double now = mc_sim_model_now(m);
	struct mc_sim_vm_state v;
	size_t i;

	s->time += dt;
	for (i = 0; i < s->nvm; i++) {
		mc_sim_model_vm_state(m, i, &v);
		if (!v.alive)
			continue;
		observe_vm(s, i, &v, now, dt);
		course_watch(s, i, &v, now);
		group_member(s, i, &v);
	}
	observe_host(s, m, dt);
	observe_groups(s, dt);
}

/* ---- totals ---- */

struct totals {
	unsigned long ooms, resizes, reversals;
	double swapped_mib, pressure_s, margin_mib, idle_mib;
	double fair_avg_mib, fair_max_mib;
	bool have_margin, have_fair;
	unsigned long unanswered, giveback_never;
};

static void totals(const struct mc_score *s, const struct mc_sim_model *m,
		   struct totals *t)
{
	double spread = 0, time = 0;
	struct mc_sim_vm_state v;
	size_t i;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < s->nvm; i++) {
		const struct vm_score *vs = &s->vm[i];

		mc_sim_model_vm_state(m, i, &v);
		t->ooms += v.oom_kills;
		t->swapped_mib += mc_mib_of_kib(v.cnt.swap_out);
		t->reversals += vs->reversals;
		t->resizes += vs->resizes;
		t->pressure_s += vs->pressure_s;
		if (vs->have_margin && (!t->have_margin ||
					mc_mib_of_kib(vs->margin) < t->margin_mib)) {
			t->margin_mib = mc_mib_of_kib(vs->margin);
			t->have_margin = true;
		}
		t->unanswered += vs->open;
		t->giveback_never += vs->pending;
	}
	t->unanswered += s->unanswered;
	t->giveback_never += s->giveback_never;
	t->idle_mib = s->time > 0 ? s->idle_kib_s / s->time / (double)MC_KIB_PER_MIB : 0;
	for (i = 0; i < s->ngroups; i++) {
		spread += s->groups[i].spread_sum;
		time += s->groups[i].time;
		t->fair_max_mib = fmax(t->fair_max_mib,
				       s->groups[i].spread_max / (double)MC_KIB_PER_MIB);
	}
	t->have_fair = time > 0;
	t->fair_avg_mib = time > 0 ? spread / time / (double)MC_KIB_PER_MIB : 0;
}

static double per_tick_ms(double secs, unsigned long n)
{
	return n ? secs * 1000.0 / (double)n : 0;
}

/* The course score, as docs/e2e-scorecard.md shows it for real guests. */
static void print_course(const struct mc_score *s, FILE *out)
{
	struct mc_cs_result c;

	mc_cs_result(s->course, &c);
	fprintf(out, "  course score         %u OOM before max; margin %.1f MiB while "
		"growable; give-back %.1f s%s; held %.1f MiB; %lu resizes, "
		"%lu reversals\n", c.ooms, c.margin_mib, c.giveback_s,
		c.unsettled ? " (unsettled)" : "", c.held_mib, c.resizes,
		c.reversals);
}

void mc_score_print(const struct mc_score *s, const struct mc_sim_model *m,
		    const struct mc_score_run *run, FILE *out)
{
	struct mc_sim_vm_state v;
	struct totals t;
	size_t i;

	totals(s, m, &t);
	fprintf(out, "=== scorecard: %s, policy %s, %.0f s simulated\n",
		run->scenario, run->policy, run->duration);
	fprintf(out, "  OOM kills            %lu\n", t.ooms);
	fprintf(out, "  swapped              %.1f MiB\n", t.swapped_mib);
	fprintf(out, "  pressure             %.1f guest-seconds\n", t.pressure_s);
	fprintf(out, "  reaction time        mean %.2f s, max %.2f s (%lu answered, %lu unanswered)\n",
		s->reactions ? s->reaction_sum / (double)s->reactions : 0,
		s->reaction_max, s->reactions, t.unanswered);
	fprintf(out, "  tightest margin      %.1f MiB\n", t.have_margin ? t.margin_mib : NAN);
	fprintf(out, "  give-back time       mean %.2f s, max %.2f s (%lu done, %lu never)\n",
		s->givebacks ? s->giveback_sum / (double)s->givebacks : 0,
		s->giveback_max, s->givebacks, t.giveback_never);
	fprintf(out, "  idle memory held     %.1f MiB (time-averaged)\n", t.idle_mib);
	print_course(s, out);
	fprintf(out, "  reserve violations   %lu (%.1f s; min host free %.1f MiB)\n",
		s->violations, s->violation_s, mc_mib_of_kib(s->min_host_free));
	if (t.have_fair)
		fprintf(out, "  fairness spread      mean %.1f MiB, max %.1f MiB\n",
			t.fair_avg_mib, t.fair_max_mib);
	fprintf(out, "  resize calls         %lu, direction reversals %lu\n",
		run->coord->resizes, t.reversals);
	fprintf(out, "  decide() CPU         %.3f ms per decide (%lu decides); "
		"coordinator %.3f ms per tick\n",
		per_tick_ms(run->coord->decide_cpu, run->coord->decides),
		run->coord->decides, per_tick_ms(run->coord_cpu, run->ticks));
	if (s->nvm > 32)
		return;
	fprintf(out, "  %-16s %8s %8s %8s %8s %5s\n", "domain", "start", "peak",
		"low", "final", "OOM");
	for (i = 0; i < s->nvm; i++) {
		char shown[17];	/* the name column is 16 bytes wide */

		mc_sim_model_vm_state(m, i, &v);
		/* A scenario's names are not trusted to be printable. */
		mc_utf8_escape(v.name, shown, sizeof(shown));
		fprintf(out, "  %-16s %8.1f %8.1f %8.1f %8.1f %5u\n",
			shown, mc_mib_of_kib(v.start_size),
			mc_mib_of_kib(s->vm[i].peak), mc_mib_of_kib(s->vm[i].low),
			mc_mib_of_kib(s->vm[i].final), v.oom_kills);
	}
	if (run->cpu)
		mc_cpu_score_print(run->cpu, out);
}

/* ---- JSON ---- */

static void json_str(FILE *f, const char *str)
{
	mc_json_str(mc_json_put_file, f, str);
}

/* JSON has no NaN: null stands for "not measured". */
static void json_num(FILE *f, const char *key, double v, bool have, bool last)
{
	fprintf(f, "\"%s\": ", key);
	if (have && isfinite(v))
		fprintf(f, "%.3f", v);
	else
		fputs("null", f);
	fputs(last ? "" : ", ", f);
}

static void json_vm(FILE *f, const struct mc_sim_vm_state *v, const struct vm_score *vs)
{
	size_t j;

	fputs("    {\"name\": ", f);
	json_str(f, v->name);
	fputs(", \"group\": ", f);
	json_str(f, v->group);
	fputs(", ", f);
	json_num(f, "start_mib", mc_mib_of_kib(v->start_size), true, false);
	json_num(f, "peak_mib", mc_mib_of_kib(vs->peak), vs->seen, false);
	json_num(f, "peak_at", vs->peak_at, vs->seen, false);
	json_num(f, "low_mib", mc_mib_of_kib(vs->low), vs->seen, false);
	json_num(f, "final_mib", mc_mib_of_kib(vs->final), vs->seen, false);
	json_num(f, "final_workload_mib", mc_mib_of_kib(v->workload), true, false);
	json_num(f, "margin_mib", mc_mib_of_kib(vs->margin), vs->have_margin, false);
	json_num(f, "pressure_s", vs->pressure_s, true, false);
	json_num(f, "swapped_mib", mc_mib_of_kib(v->cnt.swap_out), true, false);
	fprintf(f, "\"oom_kills\": %u, \"resizes\": %lu, \"reversals\": %lu, "
		"\"alive\": %s, \"phase_ends\": [", v->oom_kills, vs->resizes,
		vs->reversals, v->alive ? "true" : "false");
	for (j = 0; j < vs->nends; j++)
		fprintf(f, "%s{\"phase\": %zu, \"at\": %.1f, \"actual_mib\": %.1f, "
			"\"workload_mib\": %.1f}", j ? ", " : "", vs->ends[j].index,
			vs->ends[j].at, mc_mib_of_kib(vs->ends[j].actual),
			mc_mib_of_kib(vs->ends[j].workload));
	fputs("]}", f);
}

static void json_course(FILE *f, const struct mc_score *s)
{
	struct mc_cs_result c;

	mc_cs_result(s->course, &c);
	fprintf(f, "  \"course\": {\"ooms_before_max\": %u, ", c.ooms);
	json_num(f, "margin_mib", c.margin_mib, !isnan(c.margin_mib), false);
	json_num(f, "giveback_s", c.giveback_s,
		 !isnan(c.giveback_s) && !isinf(c.giveback_s), false);
	fprintf(f, "\"giveback_never\": %s, ", isinf(c.giveback_s) ? "true" : "false");
	fprintf(f, "\"unsettled\": %s, \"held_mib\": %.1f, \"resizes\": %lu, "
		"\"reversals\": %lu},\n", c.unsettled ? "true" : "false",
		c.held_mib, c.resizes, c.reversals);
}

static void json_totals(FILE *f, const struct mc_score *s,
			const struct mc_score_run *run, const struct totals *t)
{
	fprintf(f, "  \"oom_kills\": %lu,\n", t->ooms);
	fprintf(f, "  \"swapped_mib\": %.1f,\n", t->swapped_mib);
	fprintf(f, "  \"pressure_s\": %.1f,\n  ", t->pressure_s);
	json_num(f, "reaction_mean_s", s->reactions ? s->reaction_sum / (double)s->reactions : 0,
		 s->reactions > 0, false);
	json_num(f, "reaction_max_s", s->reaction_max, s->reactions > 0, false);
	fprintf(f, "\"reactions\": %lu, \"reactions_unanswered\": %lu,\n  ",
		s->reactions, t->unanswered);
	json_num(f, "tightest_margin_mib", t->margin_mib, t->have_margin, false);
	json_num(f, "giveback_mean_s", s->givebacks ? s->giveback_sum / (double)s->givebacks : 0,
		 s->givebacks > 0, false);
	json_num(f, "giveback_max_s", s->giveback_max, s->givebacks > 0, false);
	fprintf(f, "\"givebacks\": %lu, \"giveback_never\": %lu,\n", s->givebacks,
		t->giveback_never);
	fprintf(f, "  \"idle_mib\": %.1f,\n", t->idle_mib);
	fprintf(f, "  \"reserve_violations\": %lu, \"reserve_violation_s\": %.1f, "
		"\"min_host_free_mib\": %.1f,\n  ", s->violations, s->violation_s,
		mc_mib_of_kib(s->min_host_free));
	json_num(f, "fairness_spread_mib", t->fair_avg_mib, t->have_fair, false);
	json_num(f, "fairness_spread_max_mib", t->fair_max_mib, t->have_fair, true);
	fprintf(f, ",\n  \"resizes\": %lu, \"resize_failures\": %lu, \"reversals\": %lu,\n",
		run->coord->resizes, run->coord->resize_failures, t->reversals);
	fprintf(f, "  \"decides\": %lu, \"ticks\": %lu, \"policy_errors\": %lu,\n",
		run->coord->decides, run->ticks, run->coord->policy_errors);
	fprintf(f, "  \"decide_cpu_ms\": %.4f, \"decide_worker_cpu_ms\": %.4f, "
		"\"coord_cpu_ms_per_tick\": %.4f, "
		"\"model_cpu_ms_per_tick\": %.4f, \"peak_rss_kib\": %ld,\n",
		per_tick_ms(run->coord->decide_cpu, run->coord->decides),
		per_tick_ms(run->coord->decide_worker_cpu, run->coord->decides),
		per_tick_ms(run->coord_cpu, run->ticks),
		per_tick_ms(run->model_cpu, run->ticks), run->peak_rss_kib);
}

int mc_score_write_json(const struct mc_score *s, const struct mc_sim_model *m,
			const struct mc_score_run *run, const char *path,
			char *err, size_t errlen)
{
	char *tmp;
	FILE *f = mc_file_replace_begin(path, &tmp, err, errlen);
	struct mc_sim_vm_state v;
	struct totals t;
	size_t i;

	if (!f)
		return -1;
	totals(s, m, &t);
	fputs("{\n  \"scenario\": ", f);
	json_str(f, run->scenario);
	fputs(",\n  \"policy\": ", f);
	json_str(f, run->policy);
	fprintf(f, ",\n  \"duration_s\": %.1f, \"domains\": %zu,\n", run->duration,
		s->nvm);
	json_totals(f, s, run, &t);
	json_course(f, s);
	fputs("  \"vms\": [\n", f);
	for (i = 0; i < s->nvm; i++) {
		mc_sim_model_vm_state(m, i, &v);
		json_vm(f, &v, &s->vm[i]);
		fputs(i + 1 < s->nvm ? ",\n" : "\n", f);
	}
	fputs(run->cpu ? "  ],\n" : "  ]\n", f);
	if (run->cpu)
		mc_cpu_score_json(run->cpu, run->coord ? run->coord->cpu : NULL, f);
	fputs("}\n", f);
	return mc_file_replace_commit(f, tmp, path, err, errlen);
}
