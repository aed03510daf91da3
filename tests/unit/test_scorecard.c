/*
 * test_scorecard.c - the scorecard's metric definitions, each pinned on a
 * tiny run of the real model whose numbers are worked out by hand in the
 * comments (defaults: a 512 MiB guest has 24 kernel + 128 base + 30 cache,
 * so 330 MiB unused; the balloon moves 25.6 MiB per 0.1 s step).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "coordinator.h"
#include "fileio.h"
#include "scorecard.h"
#include "sim_model.h"
#include "sim_scenario.h"
#include "testutil.h"

#define MIB 1024ULL

struct run {
	struct mc_sim_model *m;
	struct mc_score *s;
};

static void tell_score(void *score, size_t vm, uint64_t actual, uint64_t kib,
		       double now)
{
	mc_score_resize(score, vm, actual, kib, now);
}

/* The scenario ini with a scorecard wired as the driver wires it. */
static struct run start(const char *ini, uint64_t pressure_mib,
			uint64_t reserve_mib)
{
	char *path = write_temp(ini, ".ini"), err[512];
	struct run r;

	r.m = mc_sim_scenario_load(path, err, sizeof(err));
	drop_temp(path);
	if (!r.m)
		fail_msg("%s", err);
	r.s = mc_score_new(r.m, pressure_mib * MIB, reserve_mib * MIB);
	assert_non_null(r.s);
	mc_sim_model_on_target(r.m, tell_score, r.s);
	return r;
}

/* secs of 0.1 s steps, each observed, as the driver's advance() does. */
static void advance(struct run *r, double secs)
{
	long i, n = (long)(secs * 10 + 0.5);

	for (i = 0; i < n; i++) {
		mc_sim_model_step(r->m, 0.1);
		mc_score_observe(r->s, r->m, 0.1);
	}
}

static void set_target(struct run *r, const char *name, uint64_t mib)
{
	struct mc_domain d = { .name = (char *)name };	/* found by name */

	assert_int_equal(mc_sim_model_set_target(r->m, &d, mib * MIB), 0);
}

/* Runs to at, sets VM a's target to mib there, runs on to end. */
static void order_a_at(struct run *r, double at, uint64_t mib, double end)
{
	advance(r, at);
	set_target(r, "a", mib);
	advance(r, end - at);
}

/* The --report JSON of the run (malloc'd). */
static char *report(const struct run *r)
{
	struct mc_coord_stats coord = { 0 };
	struct mc_score_run info = { .scenario = "s", .policy = "p",
				     .duration = mc_sim_model_now(r->m),
				     .coord = &coord };
	char *path = write_temp("", ".json"), err[256], *text;
	size_t len;

	if (mc_score_write_json(r->s, r->m, &info, path, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(mc_file_read(path, 1 << 20, &text, &len, err, sizeof(err)), 0);
	drop_temp(path);
	return text;
}

static void expect(const char *json, const char *want)
{
	if (!strstr(json, want))
		fail_msg("no '%s' in:\n%s", want, json);
}

static void finish(struct run *r, char *json)
{
	free(json);
	mc_score_free(r->s);
	mc_sim_model_free(r->m);
}

/* The report holds want; then the run is freed. */
static void expect_and_finish(struct run *r, const char *want)
{
	char *json = report(r);

	expect(json, want);
	finish(r, json);
}

/* Grows 10 MiB a step to 250 MiB: unused = 330 - 10k MiB after step k
 * (the cache stays: 344 MiB of room), 80 MiB once the grow is done. */
static const char grow250[] =
	"[vm \"a\"]\nphase = grow 100 250\nphase = hold\n";

/* pressure: unused < 200 MiB from step 14 (190) to 50: 37 steps = 3.7 s.
 * idle: (sum_{k=1..25} (330 - 10k) + 25 * 80) * 0.1 / 5 = 7000 / 50.
 * tightest margin: the grow ends within step 25, so the last step seen
 * growing is 24: 330 - 240 = 90 MiB. */
static void test_pressure_idle_margin(void **state)
{
	struct run r = start(grow250, 200, 0);
	char *json;

	(void)state;
	advance(&r, 5.0);
	json = report(&r);
	expect(json, "\"pressure_s\": 3.7,");
	expect(json, "\"idle_mib\": 140.0,");
	expect(json, "\"tightest_margin_mib\": 90.000,");
	expect(json, "\"margin_mib\": 90.000,");
	expect(json, "\"oom_kills\": 0,");
	finish(&r, json);
}

/* Two guests grow alike; onset (unused < 200 MiB while growing) at step
 * 14, t = 1.4.  a is grown at t = 2.0: reaction 0.6 s.  b never is and
 * stops growing at t = 2.5: unanswered. */
static void test_reaction(void **state)
{
	struct run r = start("[vm \"a\"]\nphase = grow 100 250\nphase = hold\n"
			     "[vm \"b\"]\nphase = grow 100 250\nphase = hold\n",
			     200, 0);

	(void)state;
	order_a_at(&r, 2.0, 600, 5.0);
	expect_and_finish(&r,
			  "\"reaction_mean_s\": 0.600, \"reaction_max_s\": 0.600, "
			  "\"reactions\": 1, \"reactions_unanswered\": 1,");
}

/* 1024 MiB guests grow 100 MiB a step to 300, then free all but 100 at
 * step 4: 200 MiB freed, seen ended at t = 0.5; the goal is the balloon
 * down by half of that, 1024 - 100 = 924 MiB.  a is shrunk at t = 1.0 and
 * passes 924 at the 4th step (921.6): t = 1.4, give-back 0.9 s.  b is
 * never shrunk. */
static void test_giveback(void **state)
{
	struct run r = start("[vm \"a\"]\nstart_mib = 1024\nphase = grow 1000 300\n"
			     "phase = free all 100\nphase = hold\n"
			     "[vm \"b\"]\nstart_mib = 1024\nphase = grow 1000 300\n"
			     "phase = free all 100\nphase = hold\n", 0, 0);

	(void)state;
	order_a_at(&r, 1.0, 800, 2.0);
	expect_and_finish(&r,
			  "\"giveback_mean_s\": 0.900, \"giveback_max_s\": 0.900, "
			  "\"givebacks\": 1, \"giveback_never\": 1,");
}

static const char host2g[] = "[host]\ntotal_mib = 2048\noverhead_mib = 512\n"
			     "[vm \"a\"]\nstart_mib = 512\n";

/* Host free 2048 - 512 - 512 = 1024 MiB, reserve 900.  Grown to 700 at
 * t = 0, free falls 25.6 MiB a step: 896 < 900 at step 5, and stays
 * below (836 at 700 MiB) to step 20: one violation of 16 steps. */
static void test_reserve_violations(void **state)
{
	struct run r = start(host2g, 0, 900);

	(void)state;
	order_a_at(&r, 0, 700, 2.0);
	expect_and_finish(&r,
			  "\"reserve_violations\": 1, \"reserve_violation_s\": 1.6, "
			  "\"min_host_free_mib\": 836.0,");
}

/* Below the reserve (1100) from the start, and no guest grows: free never
 * fell, so it is not the coordinator's doing. */
static void test_reserve_below_from_start(void **state)
{
	struct run r = start(host2g, 0, 1100);

	(void)state;
	advance(&r, 1.0);
	expect_and_finish(&r,
			  "\"reserve_violations\": 0, \"reserve_violation_s\": 0.0, "
			  "\"min_host_free_mib\": 1024.0,");
}

/* Group g: a (330 MiB unused) and b (418) from the start, c (518) boots
 * at t = 1.0 and is seen from step 10.  Spread 88 for 9 steps, 188 for
 * 11: (9 * 88 + 11 * 188) / 20 = 143.  d is alone in its group and adds
 * no time. */
static void test_fairness(void **state)
{
	struct run r = start("[vm \"a\"]\nstart_mib = 512\ngroup = g\n"
			     "[vm \"b\"]\nstart_mib = 600\ngroup = g\n"
			     "[vm \"c\"]\nstart_mib = 700\ngroup = g\nstart = 1\n"
			     "[vm \"d\"]\nstart_mib = 900\ngroup = alone\n", 0, 0);

	(void)state;
	advance(&r, 2.0);
	expect_and_finish(&r,
			  "\"fairness_spread_mib\": 143.000, "
			  "\"fairness_spread_max_mib\": 188.000");
}

/* 344 MiB fit, swap takes 100: at 450 MiB (step 45) 106 MiB would be in
 * swap, the OOM killer ends the workload.  swapped = what reached swap. */
static void test_oom_and_swapped(void **state)
{
	struct run r = start("[vm \"a\"]\nswap_mib = 100\nphase = grow 100 500\n"
			     "phase = idle\n", 0, 0);

	(void)state;
	advance(&r, 6.0);
	expect_and_finish(&r,
			  "\"oom_kills\": 1,\n  \"swapped_mib\": 100.0,");
}

/* Each accepted target is a resize; a change of direction a reversal
 * (600 up, 400 down, 700 up from 512: 2); a refused one is neither. */
static void test_resizes_and_reversals(void **state)
{
	struct run r = start("[vm \"a\"]\nstart_mib = 512\nmax_mib = 2048\n", 0, 0);
	struct mc_domain d = { .name = "a" };
	char *json;

	(void)state;
	set_target(&r, "a", 600);
	set_target(&r, "a", 400);
	assert_int_equal(mc_sim_model_set_target(r.m, &d, 4096 * MIB), -1);
	set_target(&r, "a", 700);
	advance(&r, 0.1);
	json = report(&r);
	expect(json, "\"resizes\": 3, \"reversals\": 2,");
	expect(json, "\"reversals\": 2,\n");	/* the run's total */
	finish(&r, json);
}

/* The console summary: the same numbers, and a row per guest with its
 * start, peak, low and final balloon sizes. */
static void test_print(void **state)
{
	struct run r = start(host2g, 0, 900);
	struct mc_coord_stats coord = { .resizes = 2 };
	struct mc_score_run info = { .scenario = "s.ini", .policy = "p.lua",
				     .duration = 2, .coord = &coord };
	char *text = NULL;
	size_t len;
	FILE *out = open_memstream(&text, &len);

	(void)state;
	assert_non_null(out);
	set_target(&r, "a", 700);
	advance(&r, 1.0);
	set_target(&r, "a", 600);
	advance(&r, 1.0);
	mc_score_print(r.s, r.m, &info, out);
	assert_int_equal(fclose(out), 0);
	expect(text, "=== scorecard: s.ini, policy p.lua, 2 s simulated\n");
	expect(text, "  reserve violations   1 (0.8 s; min host free 836.0 MiB)\n");
	expect(text, "  resize calls         2, direction reversals 1\n");
	expect(text, "  a                   512.0    700.0    537.6    600.0     0\n");
	finish(&r, text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pressure_idle_margin),
		cmocka_unit_test(test_reaction),
		cmocka_unit_test(test_giveback),
		cmocka_unit_test(test_reserve_violations),
		cmocka_unit_test(test_reserve_below_from_start),
		cmocka_unit_test(test_fairness),
		cmocka_unit_test(test_oom_and_swapped),
		cmocka_unit_test(test_resizes_and_reversals),
		cmocka_unit_test(test_print),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
