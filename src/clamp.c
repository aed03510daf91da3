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
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clamp.h"
#include "util.h"

/* A grow we issued that the balloon has not finished: the host has not
 * given that memory yet, but it will, whatever this period decides. */
static uint64_t in_flight(const struct mc_domain *d)
{
	return d->track.last_target > d->cur.actual ?
	       d->track.last_target - d->cur.actual : 0;
}

/* The size a domain is headed for: a grow in flight counts as made. */
static uint64_t committed(const struct mc_domain *d)
{
	return d->cur.actual + in_flight(d);
}

static uint64_t sat_u64(unsigned __int128 v)
{
	return v > UINT64_MAX ? UINT64_MAX : (uint64_t)v;
}

uint64_t mc_clamp_growable(const struct mc_snapshot *s,
			   const struct mc_limits *lim)
{
	unsigned __int128 sum = 0, flying = 0;
	uint64_t budget = 0;
	size_t i;

	for (i = 0; i < s->ndoms; i++) {
		sum += s->doms[i].cur.actual;
		flying += in_flight(&s->doms[i]);
	}
	if (s->host.free > lim->host_reserve)
		budget = s->host.free - lim->host_reserve;
	if (lim->guest_pool)
		budget = mc_min_u64(budget, lim->guest_pool > sum ?
					    sat_u64(lim->guest_pool - sum) : 0);
	return budget > flying ? budget - (uint64_t)flying : 0;
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

/* The max, min, floor and step rules: the limits that concern one domain
 * alone, in that order. */
static void clamp_domain(const struct mc_domain *d, const struct mc_limits *lim,
			 struct mc_decision *dec)
{
	uint64_t lo = mc_min_u64(mc_max_u64(d->track.min, lim->min_domain), d->track.max);
	uint64_t from = dec->from, t = dec->target;

	if (dec->proposed > (double)d->track.max) {
		t = d->track.max;
		dec->rules |= MC_CLAMP_MAX;
	}
	if (t < lo) {
		t = lo;
		dec->rules |= MC_CLAMP_MIN;
	}
	/* The floor wins over max and min: a guest above its max (started
	 * bigger, or max_mib lowered on reload) is shrunk towards it only as
	 * far as what it uses allows.  Below the floor a balloon takes memory
	 * the guest is using: it swaps or its OOM killer ends a workload, and
	 * no operator setting is worth that; max still stops every grow. */
	if (t < from) {
		uint64_t floor = mc_snapshot_used(d) + lim->guest_reserve;

		if (t < floor) {
			t = mc_min_u64(floor, from);
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

/* The budget rule: grows together fit in the budget, scaled down in
 * proportion.
 * The budget is already net of every grow in flight (mc_clamp_growable),
 * so a grow claims only what it asks beyond the size its domain is headed
 * for: a new target replaces its own grow in flight, never counts it
 * twice, and one the later rules cancel leaves that grow counted. */
static void clamp_budget(const struct mc_snapshot *s, struct mc_decision *dec,
			 size_t n, uint64_t budget)
{
	unsigned __int128 want = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		uint64_t base = committed(&s->doms[dec[i].dom]);

		if (dec[i].target > base)
			want += dec[i].target - base;
	}
	if (want <= budget)
		return;
	for (i = 0; i < n; i++) {
		uint64_t base = committed(&s->doms[dec[i].dom]);

		if (dec[i].target <= base)
			continue;
		dec[i].target = base + (uint64_t)((unsigned __int128)
			(dec[i].target - base) * budget / want);
		dec[i].rules |= MC_CLAMP_BUDGET;
	}
}

/* While a resize settles, actual may be stale and the balloon is on its
 * way to last_target: anything below either would shrink a guest whose
 * used memory is not known yet.  Leave the resize in flight.  Checked after
 * the step limit and the budget, which can cut a grow back below it. */
static void clamp_settling(const struct mc_domain *d, struct mc_decision *dec)
{
	if (d->track.settling &&
	    dec->target < mc_max_u64(dec->from, d->track.last_target) &&
	    dec->target != dec->from) {
		dec->target = dec->from;
		dec->rules |= MC_CLAMP_SETTLING;
	}
}

/* The deadband rule, and the verdict. */
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

/* A policy's proposal becomes a decision: the no-stats rule, then the
 * per-domain ones (clamp_domain). */
static void decide_one(const struct mc_domain *d, size_t dom, double proposed,
		       const struct mc_limits *lim, struct mc_decision *dec)
{
	dec->dom = dom;
	dec->from = d->cur.actual;
	dec->proposed = proposed;
	dec->target = to_kib(proposed, d->track.max);
	if (!d->cur.have_stats || d->track.excluded) {
		dec->target = dec->from;
		dec->rules = MC_CLAMP_NOSTATS;
		return;
	}
	clamp_domain(d, lim, dec);
}

/* The proposals, in order; unknown names and non-numbers are dropped and
 * a domain's first proposal wins.  seen marks the domains decided. */
static void decide_proposals(const struct mc_snapshot *s,
			     const struct mc_limits *lim,
			     const struct mc_proposal *props, size_t nprops,
			     unsigned char *seen, struct mc_clamp_result *res)
{
	size_t i;

	for (i = 0; i < nprops; i++) {
		const struct mc_domain *d = props[i].name ?
			mc_snapshot_find(s, props[i].name) : NULL;

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
		decide_one(d, (size_t)(d - s->doms), props[i].value, lim,
			   &res->dec[res->ndec++]);
	}
}

/* max and min hold whether or not the policy mentions a domain: one above
 * its max or below its min that the policy left out is decided as if the
 * policy had asked it to keep its size, so the rules move it there.  The
 * shrink floor still wins over max (see clamp_domain). */
static void decide_limits(const struct mc_snapshot *s,
			  const struct mc_limits *lim,
			  const unsigned char *seen, struct mc_clamp_result *res)
{
	size_t i;

	for (i = 0; i < s->ndoms; i++) {
		const struct mc_domain *d = &s->doms[i];
		uint64_t lo = mc_min_u64(mc_max_u64(d->track.min, lim->min_domain), d->track.max);

		if (seen[i] || !d->cur.have_stats || d->track.excluded ||
		    (d->cur.actual <= d->track.max && d->cur.actual >= lo))
			continue;
		decide_one(d, i, (double)d->cur.actual, lim, &res->dec[res->ndec++]);
	}
}

/* The order the rules run in (MC_CLAMP_RULES lists them in bit order):
 * unknown and not-a-number drop a proposal; no-stats, max, min, floor and
 * step decide each domain alone; budget shares the grows out; settling,
 * then deadband, settle each decision. */
int mc_clamp_apply(const struct mc_snapshot *s, const struct mc_limits *lim,
		   const struct mc_proposal *props, size_t nprops,
		   struct mc_clamp_result *res)
{
	size_t n = s->ndoms ? s->ndoms : 1, i;
	unsigned char *seen;

	memset(res, 0, sizeof(*res));
	res->growable = mc_clamp_growable(s, lim);
	res->dec = calloc(n, sizeof(*res->dec));	/* one per domain at most */
	seen = calloc(n, 1);
	if (!res->dec || !seen) {
		free(seen);
		mc_clamp_result_free(res);
		return -1;
	}
	decide_proposals(s, lim, props, nprops, seen, res);
	decide_limits(s, lim, seen, res);
	free(seen);
	clamp_budget(s, res->dec, res->ndec, res->growable);
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

/* Indexed by bit number; mc_clamp_rules_str() prints them. */
static const char *const rule_names[MC_CLAMP_NRULES] = {
#define MC_CLAMP_NAME(id, name, what) [MC_CLAMP_INDEX_##id] = name,
	MC_CLAMP_RULES(MC_CLAMP_NAME)
#undef MC_CLAMP_NAME
};

/* Rule masks are unsigned: every bit must fit. */
_Static_assert(MC_CLAMP_NRULES <= sizeof(unsigned) * CHAR_BIT,
	       "more clamp rules than bits in a rule mask");

const char *mc_clamp_join_names(const char *const *names, size_t n,
				unsigned rules, char *buf, size_t len)
{
	size_t i, off = 0;

	if (!len)
		return buf;
	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		int w;

		if (!(rules & (1u << i)))
			continue;
		w = snprintf(buf + off, len - off, "%s%s", off ? "+" : "", names[i]);
		if (w < 0 || (size_t)w >= len - off) {
			buf[off] = '\0';	/* whole names only */
			break;
		}
		off += (size_t)w;
	}
	return buf;
}

const char *mc_clamp_rules_str(unsigned rules, char *buf, size_t len)
{
	return mc_clamp_join_names(rule_names, MC_CLAMP_NRULES, rules, buf, len);
}
