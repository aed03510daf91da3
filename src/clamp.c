/*
 * clamp.c - the safety rules between a policy's wishes and the balloons.
 *
 * Pure: snapshot + proposals + limits in, decisions out.  No I/O.
 *
 * The rules run in the order of the design, with one change: step limits
 * are applied before the host budget is shared out.  Both orders respect
 * every limit, but sharing the budget in proportion to grows that the step
 * limit will cut anyway hands budget to a domain that cannot use it and
 * leaves it idle (A asks +1000, B +100, step 200, budget 300: the design
 * order gives A 200 and B 27; this order gives A 200 and B 100).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clamp.h"

static uint64_t min_u64(uint64_t a, uint64_t b) { return a < b ? a : b; }
static uint64_t max_u64(uint64_t a, uint64_t b) { return a > b ? a : b; }

uint64_t mc_clamp_growable(const struct mc_snapshot *s,
			   const struct mc_limits *lim)
{
	uint64_t budget = 0, sum = 0;
	size_t i;

	if (s->host.free > lim->host_reserve)
		budget = s->host.free - lim->host_reserve;
	if (lim->guest_pool) {
		for (i = 0; i < s->ndoms; i++)
			sum += s->doms[i].cur.actual;
		budget = min_u64(budget, lim->guest_pool > sum ?
					 lim->guest_pool - sum : 0);
	}
	return budget;
}

/* A policy's number as KiB, saturated into [0, max]: no overflow, no UB. */
static uint64_t to_kib(double v, uint64_t max)
{
	if (v <= 0)
		return 0;
	if (v >= (double)max)
		return max;
	return (uint64_t)v;
}

/* Rules 2-4 and 6: the limits that concern one domain alone. */
static void clamp_domain(const struct mc_domain *d, const struct mc_limits *lim,
			 struct mc_decision *dec)
{
	uint64_t lo = min_u64(max_u64(d->min, lim->min_domain), d->max);
	uint64_t from = dec->from, t = dec->target;

	if (dec->proposed > (double)d->max) {
		t = d->max;
		dec->rules |= MC_CLAMP_MAX;
	}
	if (t < lo) {
		t = lo;
		dec->rules |= MC_CLAMP_MIN;
	}
	if (t < from) {
		uint64_t floor = mc_snapshot_used(d) + lim->guest_reserve;

		if (t < floor) {
			t = min_u64(floor, from);
			dec->rules |= MC_CLAMP_FLOOR;
		}
	}
	if (t > from && lim->max_grow && t - from > lim->max_grow) {
		t = from + lim->max_grow;
		dec->rules |= MC_CLAMP_STEP;
	}
	if (t < from && lim->max_shrink && from - t > lim->max_shrink) {
		t = from - lim->max_shrink;
		dec->rules |= MC_CLAMP_STEP;
	}
	dec->target = t;
}

/* Rule 5: grows together fit in the budget, scaled down in proportion. */
static void clamp_budget(struct mc_decision *dec, size_t n, uint64_t budget)
{
	unsigned __int128 want = 0;
	size_t i;

	for (i = 0; i < n; i++)
		if (dec[i].target > dec[i].from)
			want += dec[i].target - dec[i].from;
	if (want <= budget)
		return;
	for (i = 0; i < n; i++) {
		uint64_t grow;

		if (dec[i].target <= dec[i].from)
			continue;
		grow = dec[i].target - dec[i].from;
		dec[i].target = dec[i].from +
			(uint64_t)((unsigned __int128)grow * budget / want);
		dec[i].rules |= MC_CLAMP_BUDGET;
	}
}

/* While a resize settles, actual may be stale and the balloon is on its
 * way to last_target: anything below either would shrink a guest whose
 * used memory is not known yet.  Leave the resize in flight.  Checked after
 * the step limit and the budget, which can cut a grow back below it. */
static void clamp_settling(const struct mc_domain *d, struct mc_decision *dec)
{
	if (d->settling && dec->target < max_u64(dec->from, d->last_target) &&
	    dec->target != dec->from) {
		dec->target = dec->from;
		dec->rules |= MC_CLAMP_SETTLING;
	}
}

/* Rule 7 and the verdict. */
static void clamp_deadband(struct mc_decision *dec, uint64_t deadband)
{
	uint64_t delta = dec->target > dec->from ? dec->target - dec->from
						 : dec->from - dec->target;

	if (delta && delta < deadband) {
		dec->target = dec->from;
		dec->rules |= MC_CLAMP_DEADBAND;
	}
	dec->act = dec->target != dec->from;
}

/* Shrinks first (they free memory), then grows, then what stays. */
static int decision_rank(const struct mc_decision *d)
{
	if (!d->act)
		return 2;
	return d->target < d->from ? 0 : 1;
}

static int cmp_decision(const void *a, const void *b)
{
	const struct mc_decision *x = a, *y = b;
	int rx = decision_rank(x), ry = decision_rank(y);

	if (rx != ry)
		return rx - ry;
	return (x->dom > y->dom) - (x->dom < y->dom);
}

int mc_clamp_apply(const struct mc_snapshot *s, const struct mc_limits *lim,
		   const struct mc_proposal *props, size_t nprops,
		   struct mc_clamp_result *res)
{
	unsigned char *seen;
	size_t i;

	memset(res, 0, sizeof(*res));
	res->growable = mc_clamp_growable(s, lim);
	if (!nprops)
		return 0;
	res->dec = calloc(nprops, sizeof(*res->dec));
	seen = calloc(s->ndoms ? s->ndoms : 1, 1);
	if (!res->dec || !seen) {
		free(seen);
		mc_clamp_result_free(res);
		return -1;
	}
	for (i = 0; i < nprops; i++) {
		const struct mc_domain *d = props[i].name ?
			mc_snapshot_find(s, props[i].name) : NULL;
		struct mc_decision *dec;

		if (!d) {
			res->dropped |= MC_CLAMP_UNKNOWN;
			continue;
		}
		if (!isfinite(props[i].value)) {
			res->dropped |= MC_CLAMP_NOTNUM;
			continue;
		}
		if (seen[d - s->doms]++)
			continue;
		dec = &res->dec[res->ndec++];
		dec->dom = (size_t)(d - s->doms);
		dec->from = d->cur.actual;
		dec->proposed = props[i].value;
		dec->target = to_kib(props[i].value, d->max);
		if (!d->cur.have_stats || d->excluded) {
			dec->target = dec->from;
			dec->rules = MC_CLAMP_NOSTATS;
			continue;
		}
		clamp_domain(d, lim, dec);
	}
	free(seen);
	clamp_budget(res->dec, res->ndec, res->growable);
	for (i = 0; i < res->ndec; i++) {
		clamp_settling(&s->doms[res->dec[i].dom], &res->dec[i]);
		clamp_deadband(&res->dec[i], lim->deadband);
		res->nact += res->dec[i].act;
	}
	qsort(res->dec, res->ndec, sizeof(*res->dec), cmp_decision);
	return 0;
}

void mc_clamp_result_free(struct mc_clamp_result *res)
{
	free(res->dec);
	memset(res, 0, sizeof(*res));
}

const char *mc_clamp_rules_str(unsigned rules, char *buf, size_t len)
{
	static const char *const names[] = {
		"unknown", "not-a-number", "no-stats", "max", "min", "floor",
		"step", "budget", "deadband", "settling",
	};
	size_t i, off = 0;

	if (!len)
		return buf;
	buf[0] = '\0';
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		int n;

		if (!(rules & (1u << i)))
			continue;
		n = snprintf(buf + off, len - off, "%s%s", off ? "+" : "", names[i]);
		if (n < 0 || (size_t)n >= len - off) {
			buf[off] = '\0';	/* whole names only */
			break;
		}
		off += (size_t)n;
	}
	return buf;
}
