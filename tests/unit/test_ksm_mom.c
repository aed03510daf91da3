/* test_ksm_mom.c - oVirt MOM's KSM rules (mc.ksm_mom, after vdsm's
 * 03-ksm.policy) as the shipped policies return them: stop while the host
 * is comfortable, run and scan harder when free memory is short, scan
 * less when the guests' sizes alone call for it, sleep by host size; and
 * nothing on a host without KSM. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ksm.h"
#include "log.h"
#include "policy.h"
#include "testutil.h"

#define GiB (1024 * MiB)

static const char *const policies[] = {
	"policies/balance_unused.lua", "policies/mom_balloon.lua",
};

/* One guest of max dmax on a host of total with free, KSM scanning 100. */
static void host_of(struct mc_snapshot *s, uint64_t total, uint64_t free,
		    uint64_t dmax, bool ksm)
{
	struct mc_domain *d;

	mc_snapshot_init(s);
	d = mc_snapshot_add(s, "vm1");
	assert_non_null(d);
	d->max = d->track.max = dmax;
	d->track.min = 256 * MiB;
	d->cur = (struct mc_memstats){ .actual = 1 * GiB, .unused = 400 * MiB,
		.available = 1 * GiB, .last_update = 1, .have_stats = true };
	s->host = (struct mc_host){ .total = total, .free = free,
		.reserve = 1 * GiB, .growable = free > 1 * GiB ? free - 1 * GiB : 0 };
	s->host.ksm = (struct mc_ksm){ .have = ksm, .v = { [MC_KSM_PAGES_TO_SCAN] = 100,
		[MC_KSM_SLEEP_MILLISECS] = 20 } };
}

/* The settings path returns on s, in a fresh state (no history). */
static struct mc_ksm_request settings(const char *path, struct mc_snapshot *s)
{
	struct mc_policy_ctx ctx = { .period = 2, .reason = "period" };
	struct mc_proposals out = { 0 };
	struct mc_ksm_request r;
	char err[512];
	struct mc_policy *p = mc_policy_load(path, NULL, 0, err, sizeof(err));

	if (!p)
		fail_msg("%s", err);
	if (mc_policy_decide(p, s, &ctx, &out, err, sizeof(err)))
		fail_msg("%s: %s", path, err);
	r = out.ksm;
	mc_proposals_free(&out);
	mc_policy_close(p);
	mc_snapshot_free(s);
	return r;
}

static const unsigned RUN = 1u << MC_KSM_RUN;
static const unsigned ALL = (1u << MC_KSM_RUN) | (1u << MC_KSM_PAGES_TO_SCAN) |
			    (1u << MC_KSM_SLEEP_MILLISECS);

/* 12 of 16 GiB free, guests of 2 GiB: free above 20% and the guests fit
 * beside it: stop. */
static void comfortable_stops(void **state)
{
	struct mc_snapshot s;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(policies) / sizeof(policies[0]); i++) {
		struct mc_ksm_request r;

		host_of(&s, 16 * GiB, 12 * GiB, 2 * GiB, true);
		r = settings(policies[i], &s);
		assert_int_equal(r.set, RUN);
		assert_true(r.v[MC_KSM_RUN] == 0);
	}
}

/* 2 of 16 GiB free (under 20%): run, scan 300 more, sleep 10 ms. */
static void short_of_memory_boosts(void **state)
{
	struct mc_snapshot s;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(policies) / sizeof(policies[0]); i++) {
		struct mc_ksm_request r;

		host_of(&s, 16 * GiB, 2 * GiB, 2 * GiB, true);
		r = settings(policies[i], &s);
		assert_int_equal(r.set, ALL);
		assert_true(r.v[MC_KSM_RUN] == 1);
		assert_true(r.v[MC_KSM_PAGES_TO_SCAN] == 400);
		assert_true(r.v[MC_KSM_SLEEP_MILLISECS] == 10);
	}
}

/* Plenty free on 8 GiB but guests of 7 GiB: run, scanning decays 50
 * (held at 64), sleeping 10 x 16 / 8 = 20 ms. */
static void committed_runs_gently(void **state)
{
	struct mc_snapshot s;
	struct mc_ksm_request r;

	(void)state;
	host_of(&s, 8 * GiB, 6 * GiB, 7 * GiB, true);
	r = settings(policies[0], &s);
	assert_int_equal(r.set, ALL);
	assert_true(r.v[MC_KSM_RUN] == 1);
	assert_true(r.v[MC_KSM_PAGES_TO_SCAN] == 64);
	assert_true(r.v[MC_KSM_SLEEP_MILLISECS] == 20);
}

/* A big host would sleep less than 10 ms (10 x 16 / 64 = 2.5): vdsm's
 * floor holds it at 10. */
static void big_host_sleeps_at_least_10ms(void **state)
{
	struct mc_snapshot s;
	struct mc_ksm_request r;

	(void)state;
	host_of(&s, 64 * GiB, 2 * GiB, 2 * GiB, true);
	r = settings(policies[0], &s);
	assert_true(r.v[MC_KSM_RUN] == 1);
	assert_true(r.v[MC_KSM_SLEEP_MILLISECS] == 10);
}

static void no_ksm_no_settings(void **state)
{
	struct mc_snapshot s;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(policies) / sizeof(policies[0]); i++) {
		host_of(&s, 16 * GiB, 2 * GiB, 2 * GiB, false);
		assert_int_equal(settings(policies[i], &s).set, 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(comfortable_stops),
		cmocka_unit_test(short_of_memory_boosts),
		cmocka_unit_test(committed_runs_gently),
		cmocka_unit_test(big_host_sleeps_at_least_10ms),
		cmocka_unit_test(no_ksm_no_settings),
	};

	mc_log_set_level(MC_LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
