/* test_clamp_property.c - random snapshots, random (often absurd) policy
 * outputs: every action must respect max, min, the shrink floor, the host
 * budget (grows still in flight included), the step limits and the
 * deadband.  Seeded, so a failure repeats; MC_SEED=<n> picks another seed. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "clamp.h"
#include "util.h"

/* Sizes as "N * MiB": KiB, the clamp's unit. */
#define MiB MC_KIB_PER_MIB

#define ROUNDS 20000

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)	/* xorshift64* */
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ULL;
}

static uint64_t rnd_below(uint64_t n) { return n ? rnd() % n : 0; }

/* Sizes cluster around realistic values but reach the extremes. */
static uint64_t rnd_size(void)
{
	switch (rnd_below(8)) {
	case 0: return 0;
	case 1: return rnd_below(64 * MiB);
	case 2: return UINT64_MAX / 4 + rnd_below(1000);
	default: return rnd_below(64 * 1024 * MiB);
	}
}

static double rnd_proposal(const struct mc_domain *d)
{
	switch (rnd_below(12)) {
	case 0: return NAN;
	case 1: return rnd_below(2) ? INFINITY : -INFINITY;
	case 2: return -(double)rnd_size();
	case 3: return 1e300;
	case 4: return (double)rnd_size();
	default: return (double)d->cur.actual + ((double)rnd_below(4096) - 2048) * MiB;
	}
}

static void random_snapshot(struct mc_snapshot *s, struct mc_limits *lim)
{
	size_t i, n = rnd_below(40);
	char name[16];

	for (i = 0; i < n; i++) {
		struct mc_domain *d;

		snprintf(name, sizeof(name), "d%zu", i);
		d = mc_snapshot_add(s, name);
		d->track.max = rnd_size();
		d->track.min = rnd_size();
		d->cur.actual = rnd_size();
		d->cur.unused = rnd_below(3) ? rnd_below(d->cur.actual + 1) : rnd_size();
		d->cur.have_stats = rnd_below(5) != 0;
		d->track.excluded = rnd_below(10) == 0;
		d->track.settling = rnd_below(6) == 0;
		/* Our last resize: none, a grow still in flight, or anything. */
		d->track.last_target = rnd_below(3) == 0 ? 0 : rnd_below(2) ?
			d->cur.actual + rnd_below(2048 * MiB) : rnd_size();
	}
	mc_snapshot_sort(s);
	s->host.total = rnd_size();
	s->host.free = rnd_size();
	lim->min_domain = rnd_below(2) ? rnd_size() : 0;
	lim->guest_reserve = rnd_below(2) ? rnd_below(512 * MiB) : 0;
	lim->host_reserve = rnd_size();
	lim->guest_pool = rnd_below(3) ? 0 : rnd_size();
	lim->max_grow = rnd_below(2) ? rnd_below(2048 * MiB) : 0;
	lim->max_shrink = rnd_below(2) ? rnd_below(2048 * MiB) : 0;
	lim->deadband = rnd_below(2) ? rnd_below(64 * MiB) : 0;
}

static size_t random_proposals(const struct mc_snapshot *s, struct mc_proposal *p,
			       size_t cap)
{
	static const char *const strangers[] = { "ghost", "", "d999", "D0" };
	size_t i, n = rnd_below(cap);

	for (i = 0; i < n; i++) {
		if (!s->ndoms || rnd_below(8) == 0) {
			p[i].name = rnd_below(5) ? strangers[rnd_below(4)] : NULL;
			p[i].value = (double)rnd_size();
		} else {
			const struct mc_domain *d = &s->doms[rnd_below(s->ndoms)];

			p[i].name = d->name;	/* duplicates happen too */
			p[i].value = rnd_proposal(d);
		}
	}
	return n;
}

/* The invariants, for one decision. */
static void check_decision(const struct mc_snapshot *s, const struct mc_limits *lim,
			   const struct mc_decision *dec, int round)
{
	const struct mc_domain *d = &s->doms[dec->dom];
	uint64_t lo = mc_min_u64(mc_max_u64(d->track.min, lim->min_domain), d->track.max);
	uint64_t floor = mc_snapshot_used(d) + lim->guest_reserve;

	if (dec->from != d->cur.actual)
		fail_msg("round %d %s: from %llu != actual", round, d->name,
			 (unsigned long long)dec->from);
	if (dec->act != (dec->target != dec->from))
		fail_msg("round %d %s: act flag wrong", round, d->name);
	if (!dec->act)
		return;
	if (!d->cur.have_stats || d->track.excluded)
		fail_msg("round %d %s: resized without stats or while excluded", round, d->name);
	if (lim->deadband && (dec->target > dec->from ? dec->target - dec->from
			      : dec->from - dec->target) < lim->deadband)
		fail_msg("round %d %s: change inside the deadband", round, d->name);
	if (d->track.settling && dec->target < mc_max_u64(dec->from, d->track.last_target))
		fail_msg("round %d %s: went below a resize still settling", round, d->name);
	if (dec->target > dec->from) {
		if (dec->target > d->track.max)
			fail_msg("round %d %s: grew to %llu above max %llu", round, d->name,
				 (unsigned long long)dec->target, (unsigned long long)d->track.max);
		if (lim->max_grow && dec->target - dec->from > lim->max_grow)
			fail_msg("round %d %s: grow beyond the step limit", round, d->name);
	} else {
		if (d->track.settling)
			fail_msg("round %d %s: shrank while its last resize settles", round, d->name);
		if (dec->target < lo)
			fail_msg("round %d %s: shrank to %llu below min %llu", round, d->name,
				 (unsigned long long)dec->target, (unsigned long long)lo);
		if (dec->target < mc_min_u64(floor, dec->from))
			fail_msg("round %d %s: shrank to %llu below floor %llu", round, d->name,
				 (unsigned long long)dec->target, (unsigned long long)floor);
		if (lim->max_shrink && dec->from - dec->target > lim->max_shrink)
			fail_msg("round %d %s: shrink beyond the step limit", round, d->name);
	}
}

/* What the host can give guests in all, counted here, not by clamp.c. */
static unsigned __int128 gross_budget(const struct mc_snapshot *s,
				      const struct mc_limits *lim)
{
	unsigned __int128 budget = s->host.free > lim->host_reserve ?
		s->host.free - lim->host_reserve : 0, sum = 0;
	size_t i;

	for (i = 0; i < s->ndoms; i++)
		sum += s->doms[i].cur.actual;
	if (lim->guest_pool && (lim->guest_pool > sum ? lim->guest_pool - sum : 0) < budget)
		budget = lim->guest_pool > sum ? lim->guest_pool - sum : 0;
	return budget;
}

/* The host budget, grows in flight included: after this period every
 * domain is headed for its new target if one was issued, else for its
 * last one.  The sum of max(that, actual) - actual may exceed the budget
 * only if it already did and no domain was grown past where it was headed. */
static void check_budget(const struct mc_snapshot *s, const struct mc_limits *lim,
			 const struct mc_clamp_result *r, int round)
{
	unsigned __int128 before = 0, after = 0;
	const struct mc_decision *by_dom[64] = { 0 };
	bool new_grow = false;
	size_t i;

	for (i = 0; i < r->ndec; i++)
		if (r->dec[i].act)
			by_dom[r->dec[i].dom] = &r->dec[i];
	for (i = 0; i < s->ndoms; i++) {
		const struct mc_domain *d = &s->doms[i];
		uint64_t a = d->cur.actual, headed = mc_max_u64(d->track.last_target, a);
		uint64_t next = by_dom[i] ? mc_max_u64(by_dom[i]->target, a) : headed;

		before += headed - a;
		after += next - a;
		new_grow |= next > headed;
	}
	if (after > gross_budget(s, lim) && (new_grow || after > before))
		fail_msg("round %d: grows plus grows in flight past the host budget", round);
}

/* max and min hold without a proposal: a domain outside them that may be
 * resized is always decided (the rules then say how far it can move). */
static void check_limits_decided(const struct mc_snapshot *s,
				 const struct mc_limits *lim,
				 const unsigned char *seen, int round)
{
	size_t i;

	for (i = 0; i < s->ndoms; i++) {
		const struct mc_domain *d = &s->doms[i];
		uint64_t lo = mc_min_u64(mc_max_u64(d->track.min, lim->min_domain), d->track.max);

		if (d->cur.have_stats && !d->track.excluded && !seen[i] &&
		    (d->cur.actual > d->track.max || d->cur.actual < lo))
			fail_msg("round %d %s: outside max/min and not decided", round,
				 d->name);
	}
}

static void check_result(const struct mc_snapshot *s, const struct mc_limits *lim,
			 const struct mc_clamp_result *r, int round)
{
	unsigned char seen[64] = { 0 };
	int phase = 0;
	size_t i, nact = 0;

	for (i = 0; i < r->ndec; i++) {
		const struct mc_decision *dec = &r->dec[i];
		int rank = !dec->act ? 2 : dec->target < dec->from ? 0 : 1;

		if (dec->dom >= s->ndoms || seen[dec->dom]++)
			fail_msg("round %d: bad or repeated domain index", round);
		if (rank < phase)
			fail_msg("round %d: a shrink after a grow", round);
		phase = rank;
		check_decision(s, lim, dec, round);
		nact += dec->act;
	}
	check_budget(s, lim, r, round);
	check_limits_decided(s, lim, seen, round);
	if (r->growable != mc_clamp_growable(s, lim))
		fail_msg("round %d: growable is not mc_clamp_growable()", round);
	if (nact != r->nact)
		fail_msg("round %d: nact wrong", round);
}

static void test_random_rounds(void **state)
{
	struct mc_proposal props[96];
	const char *seed = getenv("MC_SEED");
	int round;

	(void)state;
	if (seed)
		rng_state = strtoull(seed, NULL, 0) | 1;
	for (round = 0; round < ROUNDS; round++) {
		struct mc_snapshot s;
		struct mc_limits lim;
		struct mc_clamp_result r;
		size_t n;

		mc_snapshot_init(&s);
		random_snapshot(&s, &lim);
		n = random_proposals(&s, props, 96);
		assert_int_equal(mc_clamp_apply(&s, &lim, props, n, &r), 0);
		check_result(&s, &lim, &r, round);
		mc_clamp_result_free(&r);
		mc_snapshot_free(&s);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_rounds),
	};

	return cmocka_run_group_tests_name("clamp property", tests, NULL, NULL);
}
