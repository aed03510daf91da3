/*
 * course_score.c - the course-shaped tests' numbers (see course_score.h for
 * the definitions).  Kept apart from the simulator's scorecard because the
 * real-guest bench feeds it from a trace: both must count the same way.
 */
#include <math.h>
#include <stdlib.h>

#include "course_score.h"
#include "util.h"

#define MIB(x) ((uint64_t)(x) * MC_KIB_PER_MIB)

struct cs_point {
	double t;
	uint64_t actual;
};

struct cs_free {
	double start, end;
	uint64_t kib;
};

struct cs_vm {
	uint64_t max, peak, margin;
	bool have_margin, have_sample;
	double last_t, held_kib_s, first_t;
	uint64_t last_unused;
	struct cs_point *pts;	/* every sample: give-back needs the rest size */
	size_t npts, cap;
	struct cs_free *frees;	/* the frees of >= MC_CS_FREE_MIN_MIB */
	size_t nfrees;
	unsigned ooms;
	unsigned long resizes, reversals;
	int last_dir;
};

struct mc_cs {
	struct cs_vm *vm;
	size_t nvm;
};

struct mc_cs *mc_cs_new(size_t nvm, const uint64_t *max_kib)
{
	struct mc_cs *cs = calloc(1, sizeof(*cs));
	size_t i;

	if (!cs || !(cs->vm = calloc(nvm ? nvm : 1, sizeof(*cs->vm)))) {
		free(cs);
		return NULL;
	}
	cs->nvm = nvm;
	for (i = 0; i < nvm; i++)
		cs->vm[i].max = max_kib[i];
	return cs;
}

void mc_cs_free(struct mc_cs *cs)
{
	size_t i;

	if (!cs)
		return;
	for (i = 0; i < cs->nvm; i++) {
		free(cs->vm[i].pts);
		free(cs->vm[i].frees);
	}
	free(cs->vm);
	free(cs);
}

static int push_point(struct cs_vm *v, double t, uint64_t actual)
{
	if (v->npts == v->cap) {
		size_t cap = v->cap ? 2 * v->cap : 64;
		struct cs_point *p = realloc(v->pts, cap * sizeof(*p));

		if (!p)
			return -1;
		v->pts = p;
		v->cap = cap;
	}
	v->pts[v->npts++] = (struct cs_point){ t, actual };
	return 0;
}

int mc_cs_sample(struct mc_cs *cs, size_t vm, double t, uint64_t actual,
		 uint64_t unused, bool growing)
{
	struct cs_vm *v = &cs->vm[vm];

	if (v->have_sample)
		v->held_kib_s += (double)v->last_unused * (t - v->last_t);
	else
		v->first_t = t;
	v->have_sample = true;
	v->last_t = t;
	v->last_unused = unused;
	v->peak = mc_max_u64(v->peak, actual);
	if (growing && actual + MIB(MC_CS_GROWABLE_MIB) < v->max &&
	    (!v->have_margin || unused < v->margin)) {
		v->margin = unused;
		v->have_margin = true;
	}
	return push_point(v, t, actual);
}

void mc_cs_freed(struct mc_cs *cs, size_t vm, double start, double end,
		 uint64_t kib)
{
	struct cs_vm *v = &cs->vm[vm];
	struct cs_free *f;

	if (kib < MIB(MC_CS_FREE_MIN_MIB))
		return;
	f = realloc(v->frees, (v->nfrees + 1) * sizeof(*f));
	if (!f)
		return;	/* one free fewer scored; the run goes on */
	v->frees = f;
	v->frees[v->nfrees++] = (struct cs_free){ start, end, kib };
}

void mc_cs_resize(struct mc_cs *cs, size_t vm, uint64_t from_kib, uint64_t to_kib)
{
	struct cs_vm *v = &cs->vm[vm];
	int dir = to_kib > from_kib ? 1 : to_kib < from_kib ? -1 : 0;

	if (!dir)
		return;
	if (v->last_dir && dir != v->last_dir)
		v->reversals++;
	v->last_dir = dir;
	v->resizes++;
}

void mc_cs_oom(struct mc_cs *cs, size_t vm)
{
	cs->vm[vm].ooms++;
}

/* The size in the last sample at or before t (the first sample's when
 * none is). */
static uint64_t size_at(const struct cs_vm *v, double t)
{
	size_t i;

	for (i = 1; i < v->npts && v->pts[i].t <= t; i++)
		;
	return v->pts[i - 1].actual;
}

/* Seconds from the end of free f until the size is within MC_CS_REST_MIB
 * of the last sample's; INFINITY if never, or if the last sample's is not
 * at least half of what was freed below the size when the free began. */
static double giveback(const struct cs_vm *v, const struct cs_free *f)
{
	uint64_t last = v->pts[v->npts - 1].actual, rest = last + MIB(MC_CS_REST_MIB);
	size_t i;

	if (size_at(v, f->start) < last + f->kib / 2)
		return INFINITY;
	for (i = 0; i < v->npts; i++)
		if (v->pts[i].t >= f->end && v->pts[i].actual <= rest)
			return v->pts[i].t - f->end;
	return INFINITY;
}

/* The size moved by more than MC_CS_REST_MIB in the run's last
 * MC_CS_SETTLED_S seconds. */
static bool still_moving(const struct cs_vm *v)
{
	uint64_t lo = UINT64_MAX, hi = 0;
	double end = v->pts[v->npts - 1].t;
	size_t i;

	for (i = v->npts; i-- > 0 && v->pts[i].t >= end - MC_CS_SETTLED_S;) {
		lo = mc_min_u64(lo, v->pts[i].actual);
		hi = mc_max_u64(hi, v->pts[i].actual);
	}
	return hi - lo > MIB(MC_CS_REST_MIB);
}

static void score_givebacks(const struct cs_vm *v, struct mc_cs_result *out)
{
	size_t i;

	if (!v->nfrees || !v->npts)
		return;
	if (still_moving(v))
		out->unsettled = true;
	for (i = 0; i < v->nfrees; i++) {
		double g = giveback(v, &v->frees[i]);

		if (isnan(out->giveback_s) || g > out->giveback_s)
			out->giveback_s = g;
	}
}

void mc_cs_result(const struct mc_cs *cs, struct mc_cs_result *out)
{
	size_t i;

	*out = (struct mc_cs_result){ .margin_mib = NAN, .giveback_s = NAN };
	for (i = 0; i < cs->nvm; i++) {
		const struct cs_vm *v = &cs->vm[i];
		double span = v->last_t - v->first_t;

		if (v->peak + MIB(MC_CS_AT_MAX_MIB) < v->max)
			out->ooms += v->ooms;
		if (v->have_margin && (isnan(out->margin_mib) ||
				       mc_mib_of_kib(v->margin) < out->margin_mib))
			out->margin_mib = mc_mib_of_kib(v->margin);
		if (span > 0)
			out->held_mib += mc_mib_of_kib(v->held_kib_s / span);
		score_givebacks(v, out);
		out->resizes += v->resizes;
		out->reversals += v->reversals;
	}
}
