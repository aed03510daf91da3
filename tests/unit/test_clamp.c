/* test_clamp.c - every clamp rule, and their order. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "clamp.h"
#include "hypervisor.h"
#include "snapshot.h"
#include "testutil.h"

/* Two domains with stats: a (1024 MiB, 600 unused) and b (1024, 100 unused);
 * c has no stats yet.  Host: 8 GiB free.  Collected from the in-memory
 * backend, then given the limits the coordinator would derive from a
 * config with min_domain 256 MiB and no [domain] sections. */
static void make_snapshot(struct mc_snapshot *s)
{
	static const char *const names[] = { "a", "b", "c" };
	static const uint64_t unused[] = { 600, 100, 0 };
	char err[64];
	struct mc_backend *b = mc_hv_mem_open(err, sizeof(err));
	size_t i;

	assert_non_null(b);
	for (i = 0; i < 3; i++) {
		struct mc_domain *d = mc_hv_mem_domain(b, names[i]);

		assert_non_null(d);
		d->max = 2048 * MiB;
		d->cur.actual = 1024 * MiB;
		d->cur.unused = unused[i] * MiB;
		d->cur.available = 1024 * MiB;
		d->cur.have_stats = i < 2;
	}
	mc_hv_mem_host(b)->total = 16384 * MiB;
	mc_hv_mem_host(b)->free = 8192 * MiB;
	mc_snapshot_init(s);
	assert_int_equal(b->ops->collect(b, s), 0);
	b->ops->close(b);
	mc_snapshot_sort(s);
	for (i = 0; i < s->ndoms; i++) {
		s->doms[i].track.max = s->doms[i].max;
		s->doms[i].track.min = 256 * MiB;
	}
}

static const struct mc_limits no_limits = { 0 };

static struct mc_decision *find(struct mc_clamp_result *r, size_t dom)
{
	size_t i;

	for (i = 0; i < r->ndec; i++)
		if (r->dec[i].dom == dom)
			return &r->dec[i];
	return NULL;
}

static void run(const struct mc_snapshot *s, const struct mc_limits *lim,
		const struct mc_proposal *p, size_t n, struct mc_clamp_result *r)
{
	assert_int_equal(mc_clamp_apply(s, lim, p, n, r), 0);
}

static void test_unknown_and_not_numbers_dropped(void **state)
{
	struct mc_snapshot s;
	struct mc_clamp_result r;
	struct mc_proposal p[] = {
		{ "nosuch", 1024.0 * MiB }, { "a", NAN }, { "b", INFINITY },
		{ NULL, 1.0 }, { "a", -INFINITY },
	};

	(void)state;
	make_snapshot(&s);
	run(&s, &no_limits, p, 5, &r);
	assert_int_equal(r.ndec, 0);
	assert_int_equal(r.nact, 0);
	assert_true(r.dropped & MC_CLAMP_UNKNOWN);
	assert_true(r.dropped & MC_CLAMP_NOTNUM);
	mc_clamp_result_free(&r);
	mc_snapshot_free(&s);
}

static void test_no_stats_never_resized(void **state)
{
	struct mc_snapshot s;
	struct mc_clamp_result r;
	struct mc_proposal p[] = { { "c", 512.0 * MiB } };

	(void)state;
	make_snapshot(&s);
	run(&s, &no_limits, p, 1, &r);
	assert_int_equal(r.ndec, 1);
	assert_false(r.dec[0].act);
	assert_int_equal(r.dec[0].rules, MC_CLAMP_NOSTATS);
	/* excluded domains likewise */
	s.doms[0].track.excluded = true;
	p[0].name = "a";
	mc_clamp_result_free(&r);
	run(&s, &no_limits, p, 1, &r);
	assert_false(r.dec[0].act);
	mc_clamp_result_free(&r);
	mc_snapshot_free(&s);
}

static void test_max(void **state)
{
	struct mc_snapshot s;
	struct mc_clamp_result r;
	struct mc_proposal p[] = { { "b", 1e18 } };

	(void)state;
	make_snapshot(&s);
	run(&s, &no_limits, p, 1, &r);
	assert_int_equal(r.dec[0].target, 2048 * MiB);
	assert_true(r.dec[0].rules & MC_CLAMP_MAX);
	mc_clamp_result_free(&r);
	mc_snapshot_free(&s);
}

static void test_min_uses_larger_of_global_and_domain(void **state)
{
	struct mc_snapshot s;
	struct mc_clamp_result r;
	struct mc_limits lim = { .min_domain = 300 * MiB };
	struct mc_proposal p[] = { { "a", -5.0 } };

	(void)state;
	make_snapshot(&s);
	s.doms[0].cur.unused = 1000 * MiB;	/* floor out of the way */
	run(&s, &lim, p, 1, &r);
	assert_int_equal(r.dec[0].target, 300 * MiB);
	assert_true(r.dec[0].rules & MC_CLAMP_MIN);
	mc_clamp_result_free(&r);
	lim.min_domain = 100 * MiB;		/* the domain's own 256 wins */
	run(&s, &lim, p, 1, &r);
	assert_int_equal(r.dec[0].target, 256 * MiB);
	mc_clamp_result_free(&r);
	mc_snapshot_free(&s);
}

static void test_shrink_floor(void **state)
{
	struct mc_snapshot s;
	struct mc_clamp_result r;
	struct mc_limits lim = { .guest_reserve = 64 * MiB };
	struct mc_proposal p[] = { { "a", 300.0 * MiB }, { "b", 300.0 * MiB } };

	(void)state;
	make_snapshot(&s);
	run(&s, &lim, p, 2, &r);
	/* a uses 424 MiB: floor 488.  b uses 924: floor 988. */
	assert_int_equal(find(&r, 0)->target, 488 * MiB);
	assert_true(find(&r, 0)->rules & MC_CLAMP_FLOOR);
	assert_int_equal(find(&r, 1)->target, 988 * MiB);
	mc_clamp_result_free(&r);
	/* A floor above the current size means no shrink, never a grow. */
	s.doms[1].cur.unused = 10 * MiB;
	run(&s, &lim, p + 1, 1, &r);
	assert_int_equal(r.dec[0].target, 1024 * MiB);
	assert_false(r.dec[0].act);
	mc_clamp_result_free(&r);
	mc_snapshot_free(&s);
}

/* A domain whose last resize has not settled is not shrunk: its used
 * memory (actual - unused) mixes two moments.  Grows still go through. */
static void test_settling_blocks_shrinks(void **state)
{
	struct mc_snapshot s;
	struct mc_clamp_result r;
	struct mc_proposal p[] = { { "a", 700.0 * MiB }, { "b", 1200.0 * MiB } };

	(void)state;
	make_snapshot(&s);
	s.doms[0].track.settling = s.doms[1].track.settling = true;
	run(&s, &no_limits, p, 2, &r);
	assert_false(find(&r, 0)->act);
	assert_true(find(&r, 0)->rules & MC_CLAMP_SETTLING);
	assert_int_equal(find(&r, 1)->target, 1200 * MiB);
	mc_clamp_result_free(&r);
	s.doms[0].track.settling = false;
	run(&s, &no_limits, p, 1, &r);
	assert_int_equal(r.dec[0].target, 700 * MiB);
	mc_clamp_result_free(&r);
	/* A grow to 1400 is on its way and actual (1024) may be stale: a new
	 * target of 1200 would turn the balloon back; 1500 may go ahead. */
	s.doms[1].track.last_target = 1400 * MiB;
	run(&s, &no_limits, p + 1, 1, &r);
	assert_false(r.dec[0].act);
	assert_true(r.dec[0].rules & MC_CLAMP_SETTLING);
	mc_clamp_result_free(&r);
	p[1].value = 1500.0 * MiB;
	run(&s, &no_limits, p + 1, 1, &r);
	assert_int_equal(r.dec[0].target, 1500 * MiB);
	mc_clamp_result_free(&r);
	mc_snapshot_free(&s);
}

static void test_step_limits(void **state)
{
	struct mc_snapshot s;
	struct mc_clamp_result r;
	struct mc_limits lim = { .max_grow = 100 * MiB, .max_shrink = 50 * MiB };
	struct mc_proposal p[] = { { "a", 600.0 * MiB }, { "b", 2000.0 * MiB } };

	(void)state;
	make_snapshot(&s);
	run(&s, &lim, p, 2, &r);
	assert_int_equal(find(&r, 0)->target, 974 * MiB);
	assert_int_equal(find(&r, 1)->target, 1124 * MiB);
	assert_true(find(&r, 0)->rules & MC_CLAMP_STEP);
	assert_true(find(&r, 1)->rules & MC_CLAMP_STEP);
	mc_clamp_result_free(&r);
	mc_snapshot_free(&s);
}

/* A guest that is not consuming gives memory it has free beyond max_shrink
 * at once (down to the floor); one that is consuming, or one seen for the
 * first time, only max_shrink a period. */
static void shrink_with_prev(uint64_t prev_unused_mib, bool fresh, uint64_t want_mib)
{
	struct mc_snapshot s;
	struct mc_clamp_result r;
	struct mc_limits lim = { .max_shrink = 50 * MiB };
	struct mc_proposal p[] = { { "a", 300.0 * MiB } };

	make_snapshot(&s);
	s.doms[0].track.have_prev = true;
	s.doms[0].track.prev = s.doms[0].cur;
	s.doms[0].track.prev.unused = prev_unused_mib * MiB;
	s.doms[0].cur.last_update = 100;
	s.doms[0].track.prev.last_update = fresh ? 98 : 100;
	run(&s, &lim, p, 1, &r);
	/* a: 1024 MiB, 600 free; the floor is 1024 - 600 = 424 MiB */
	assert_int_equal(find(&r, 0)->target, want_mib * MiB);
	assert_true(find(&r, 0)->rules & MC_CLAMP_STEP);
	mc_clamp_result_free(&r);
	mc_snapshot_free(&s);
}

static void test_step_takes_free_memory_at_once(void **state)
{
	(void)state;
	shrink_with_prev(600, true, 1024 - (600 - 50));	/* quiet: all but 50 */
	shrink_with_prev(200, true, 1024 - (600 - 50));	/* it freed 400 MiB */
	shrink_with_prev(700, true, 1024 - 50);		/* consuming: 50 */
	shrink_with_prev(600, false, 1024 - 50);	/* no new report: 50 */
}

static void test_budget_scales_in_proportion(void **state)
{
	struct mc_snapshot s;
	struct mc_clamp_result r;
	struct mc_limits lim = { .host_reserve = 8192 * MiB - 300 * MiB };
	struct mc_proposal p[] = { { "a", 1424.0 * MiB }, { "b", 1224.0 * MiB } };

	(void)state;
	make_snapshot(&s);
	/* Budget 300 MiB; asks +400 and +200: they get 200 and 100. */
	run(&s, &lim, p, 2, &r);
	assert_int_equal(r.growable, 300 * MiB);
	assert_int_equal(find(&r, 0)->target, 1224 * MiB);
	assert_int_equal(find(&r, 1)->target, 1124 * MiB);
	assert_true(find(&r, 0)->rules & MC_CLAMP_BUDGET);
	mc_clamp_result_free(&r);
	/* Host below its reserve: no grow at all. */
	s.host.free = 100 * MiB;
	run(&s, &lim, p, 2, &r);
	assert_int_equal(r.nact, 0);
	mc_clamp_result_free(&r);
	mc_snapshot_free(&s);
}

static void test_guest_pool(void **state)
{
	struct mc_snapshot s;
	struct mc_clamp_result r;
	struct mc_limits lim = { .guest_pool = 3 * 1024 * MiB + 100 * MiB };
	struct mc_proposal p[] = { { "a", 2048.0 * MiB } };

	(void)state;
	make_snapshot(&s);
	run(&s, &lim, p, 1, &r);
	assert_int_equal(r.dec[0].target, 1124 * MiB);
	assert_true(r.dec[0].rules & MC_CLAMP_BUDGET);
	mc_clamp_result_free(&r);
	mc_snapshot_free(&s);
}

static void test_deadband(void **state)
{
	struct mc_snapshot s;
	struct mc_clamp_result r;
	struct mc_limits lim = { .deadband = 8 * MiB };
	struct mc_proposal p[] = { { "a", 1020.0 * MiB }, { "b", 1040.0 * MiB } };

	(void)state;
	make_snapshot(&s);
	run(&s, &lim, p, 2, &r);
	assert_false(find(&r, 0)->act);
	assert_true(find(&r, 0)->rules & MC_CLAMP_DEADBAND);
	assert_true(find(&r, 1)->act);
	assert_int_equal(r.nact, 1);
	mc_clamp_result_free(&r);
	mc_snapshot_free(&s);
}

/* Order: step limits cut each grow before the budget is shared, so budget
 * goes where it can be used; and a budget-shrunk grow below the deadband is
 * not made. */
static void test_order(void **state)
{
	struct mc_snapshot s;
	struct mc_clamp_result r;
	struct mc_limits lim = {
		.host_reserve = 8192 * MiB - 300 * MiB, .max_grow = 200 * MiB,
	};
	struct mc_proposal p[] = { { "a", 2024.0 * MiB }, { "b", 1124.0 * MiB } };

	(void)state;
	make_snapshot(&s);
	run(&s, &lim, p, 2, &r);
	assert_int_equal(find(&r, 0)->target, 1224 * MiB);
	assert_int_equal(find(&r, 1)->target, 1124 * MiB);
	mc_clamp_result_free(&r);
	/* max before min: a min above max is capped by max, never exceeded */
	s.doms[0].track.min = 4096 * MiB;
	run(&s, &no_limits, p, 1, &r);
	assert_true(r.dec[0].target <= s.doms[0].track.max);
	mc_clamp_result_free(&r);
	/* deadband after budget */
	lim.max_grow = 0;
	lim.deadband = 8 * MiB;
	lim.host_reserve = 8192 * MiB - 5 * MiB;
	s.doms[0].track.min = 256 * MiB;
	run(&s, &lim, p, 2, &r);
	assert_int_equal(r.nact, 0);
	mc_clamp_result_free(&r);
	mc_snapshot_free(&s);
}

static void test_shrinks_before_grows(void **state)
{
	struct mc_snapshot s;
	struct mc_clamp_result r;
	struct mc_proposal p[] = { { "b", 1500.0 * MiB }, { "a", 700.0 * MiB } };

	(void)state;
	make_snapshot(&s);
	run(&s, &no_limits, p, 2, &r);
	assert_int_equal(r.nact, 2);
	assert_true(r.dec[0].target < r.dec[0].from);
	assert_true(r.dec[1].target > r.dec[1].from);
	mc_clamp_result_free(&r);
	mc_snapshot_free(&s);
}

static void test_rules_str(void **state)
{
	char buf[64];

	(void)state;
	assert_string_equal(mc_clamp_rules_str(MC_CLAMP_MAX | MC_CLAMP_STEP, buf, sizeof(buf)),
			    "max+step");
	assert_string_equal(mc_clamp_rules_str(0, buf, sizeof(buf)), "");
	assert_string_equal(mc_clamp_rules_str(MC_CLAMP_BUDGET, buf, 4), "");
}

/* Every rule's bit and name, pinned: traces, the event log and the metrics
 * print these names, and a name joined out of order ("floor+max") or
 * renamed changes every output that shows it.  The list below is written
 * by hand on purpose: it is what MC_CLAMP_RULES must keep producing. */
static void test_rule_names_and_bits(void **state)
{
	static const struct { unsigned bit; const char *name; } want[] = {
		{ MC_CLAMP_UNKNOWN, "unknown" }, { MC_CLAMP_NOTNUM, "not-a-number" },
		{ MC_CLAMP_NOSTATS, "no-stats" }, { MC_CLAMP_MAX, "max" },
		{ MC_CLAMP_MIN, "min" }, { MC_CLAMP_FLOOR, "floor" },
		{ MC_CLAMP_STEP, "step" }, { MC_CLAMP_BUDGET, "budget" },
		{ MC_CLAMP_DEADBAND, "deadband" }, { MC_CLAMP_SETTLING, "settling" },
		{ MC_CLAMP_BLOCK, "block" },
	};
	const size_t n = sizeof(want) / sizeof(want[0]);
	char buf[256];
	unsigned all = 0;
	size_t i;

	(void)state;
	assert_int_equal(MC_CLAMP_NRULES, n);
	for (i = 0; i < n; i++) {
		assert_int_equal(want[i].bit, 1u << i);	/* one bit each, in order */
		assert_string_equal(mc_clamp_rules_str(want[i].bit, buf, sizeof(buf)),
				    want[i].name);
		all |= want[i].bit;
	}
	assert_string_equal(mc_clamp_rules_str(all, buf, sizeof(buf)),
			    "unknown+not-a-number+no-stats+max+min+floor+step+"
			    "budget+deadband+settling+block");
	/* A bit past the list names nothing. */
	assert_string_equal(mc_clamp_rules_str(1u << n, buf, sizeof(buf)), "");
}

static void assert_one_line(const char *path, const char *want)
{
	if (count_lines(path, want) != 1)
		fail_msg("%s: not exactly one line with \"%s\"", path, want);
}

/* Every [limits] key, with the default MC_LIMITS gives it, is written the
 * same in the sample config, the README's table and memcoord.ini(5): the
 * list is the source, the documents follow it. */
static void test_limits_documented(void **state)
{
	static const struct { const char *key; unsigned mib; } lims[] = {
#define LIMIT_DOC(field, key, mib, what) { key, mib },
		MC_LIMITS(LIMIT_DOC)
#undef LIMIT_DOC
	};
	char want[128], got[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(lims) / sizeof(lims[0]); i++) {
		snprintf(want, sizeof(want), "%s = %u\n", lims[i].key, lims[i].mib);
		assert_one_line("conf/memcoord.ini", want);
		snprintf(want, sizeof(want), "| `%s` | %u |", lims[i].key, lims[i].mib);
		assert_one_line("README.md", want);
		snprintf(want, sizeof(want), "Default: %u.\n", lims[i].mib);
		man_default("dist/memcoord.ini.5", lims[i].key, got, sizeof(got));
		assert_string_equal(got, want);
	}
}

/* Issue 15 item 5: a grow still in flight is promised memory.  Budget 300
 * MiB; a is on its way from 1024 to 1224 (200 in flight), left out by the
 * policy: b's +300 gets only the 100 left. */
static void test_budget_counts_grows_in_flight(void **state)
{
	struct mc_snapshot s;
	struct mc_clamp_result r;
	struct mc_limits lim = { .host_reserve = 8192 * MiB - 300 * MiB };
	struct mc_proposal p[] = { { "b", 1324.0 * MiB }, { "a", 1324.0 * MiB } };

	(void)state;
	make_snapshot(&s);
	s.doms[0].track.last_target = 1224 * MiB;
	run(&s, &lim, p, 1, &r);
	assert_int_equal(r.growable, 100 * MiB);
	assert_int_equal(find(&r, 1)->target, 1124 * MiB);
	assert_true(find(&r, 1)->rules & MC_CLAMP_BUDGET);
	mc_clamp_result_free(&r);
	/* a's new target replaces its own grow in flight: 1324 claims the
	 * 100 beyond 1224, not 300. */
	run(&s, &lim, p + 1, 1, &r);
	assert_int_equal(r.dec[0].target, 1324 * MiB);
	assert_false(r.dec[0].rules & MC_CLAMP_BUDGET);
	mc_clamp_result_free(&r);
	/* Settling holds a's new target back: its old grow stays counted. */
	s.doms[0].track.settling = true;
	p[1].value = 1100.0 * MiB;
	run(&s, &lim, p, 2, &r);
	assert_false(find(&r, 0)->act);
	assert_int_equal(find(&r, 1)->target, 1124 * MiB);
	mc_clamp_result_free(&r);
	mc_snapshot_free(&s);
}

/* Issue 15 item 6: max and min hold with no proposal at all.  a is above
 * its max and may shrink to it; b is above its max but uses more, so the
 * floor stops it at used + reserve (the floor wins over max). */
static void test_limits_without_proposals(void **state)
{
	struct mc_snapshot s;
	struct mc_clamp_result r;
	struct mc_limits lim = { .guest_reserve = 64 * MiB };

	(void)state;
	make_snapshot(&s);
	s.doms[0].track.max = 900 * MiB;	/* uses 424: may go to 900 */
	s.doms[1].track.max = 800 * MiB;	/* uses 924: floor 988 */
	s.doms[2].track.max = 512 * MiB;	/* no stats: never resized */
	run(&s, &lim, NULL, 0, &r);
	assert_int_equal(r.ndec, 2);
	assert_int_equal(find(&r, 0)->target, 900 * MiB);
	assert_true(find(&r, 0)->rules & MC_CLAMP_MAX);
	assert_int_equal(find(&r, 1)->target, 988 * MiB);
	assert_true(find(&r, 1)->rules & MC_CLAMP_FLOOR);
	assert_null(find(&r, 2));
	mc_clamp_result_free(&r);
	/* Below its min: grown to it, out of the host budget as usual. */
	s.doms[0].track.max = s.doms[1].track.max = 2048 * MiB;
	s.doms[1].track.min = 1500 * MiB;
	lim.host_reserve = 8192 * MiB - 300 * MiB;
	run(&s, &lim, NULL, 0, &r);
	assert_int_equal(r.ndec, 1);
	assert_int_equal(find(&r, 1)->target, 1324 * MiB);
	assert_true(find(&r, 1)->rules & MC_CLAMP_MIN);
	assert_true(find(&r, 1)->rules & MC_CLAMP_BUDGET);
	mc_clamp_result_free(&r);
	/* Excluded: left alone. */
	s.doms[1].track.excluded = true;
	run(&s, &lim, NULL, 0, &r);
	assert_int_equal(r.ndec, 0);
	mc_clamp_result_free(&r);
	mc_snapshot_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unknown_and_not_numbers_dropped),
		cmocka_unit_test(test_no_stats_never_resized),
		cmocka_unit_test(test_max),
		cmocka_unit_test(test_min_uses_larger_of_global_and_domain),
		cmocka_unit_test(test_shrink_floor),
		cmocka_unit_test(test_settling_blocks_shrinks),
		cmocka_unit_test(test_step_limits),
		cmocka_unit_test(test_step_takes_free_memory_at_once),
		cmocka_unit_test(test_budget_scales_in_proportion),
		cmocka_unit_test(test_guest_pool),
		cmocka_unit_test(test_deadband),
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_shrinks_before_grows),
		cmocka_unit_test(test_rules_str),
		cmocka_unit_test(test_rule_names_and_bits),
		cmocka_unit_test(test_limits_documented),
		cmocka_unit_test(test_budget_counts_grows_in_flight),
		cmocka_unit_test(test_limits_without_proposals),
	};

	return cmocka_run_group_tests_name("clamp", tests, NULL, NULL);
}
