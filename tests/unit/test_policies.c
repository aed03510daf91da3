/* test_policies.c - the shipped policies: every one answers sanely on any
 * snapshot and keeps its globals to itself, and each one's core rule holds
 * (checked against numbers worked out by hand from its header). */
#include <glob.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "policy.h"
#include "testutil.h"

/* Signed here: sizes share fields with NONE (-1). */
#undef MiB
#define MiB ((long long)MC_KIB_PER_MIB)
#define NONE (-1LL)

/* One guest, in KiB; unused NONE = no stats, prev_unused NONE = no prev. */
struct dom {
	const char *name;
	long long actual, max, unused, prev_unused;
	unsigned long long swap_out, prev_swap_out;
};

static struct mc_kv weight2[] = { { "weight", "2" } };
static struct mc_kv weight1[] = { { "weight", "1" } };

static struct mc_domain *add_dom(struct mc_snapshot *s, const struct dom *c)
{
	struct mc_domain *d = mc_snapshot_add(s, c->name);

	assert_non_null(d);
	d->track.max = (uint64_t)c->max;
	d->track.min = 256 * MiB;
	d->cur.actual = (uint64_t)c->actual;
	if (c->unused == NONE)
		return d;
	d->cur = (struct mc_memstats){ .actual = (uint64_t)c->actual,
		.unused = (uint64_t)c->unused, .available = (uint64_t)c->actual,
		.usable = (uint64_t)c->unused, .swap_out = c->swap_out,
		.last_update = 1000, .have_stats = true };
	if (c->prev_unused != NONE) {
		d->track.have_prev = true;
		d->track.prev = d->cur;
		d->track.prev.unused = (uint64_t)c->prev_unused;
		d->track.prev.swap_out = c->prev_swap_out;
		d->track.prev.last_update = 998;	/* two seconds earlier */
	}
	return d;
}

static void build(struct mc_snapshot *s, const struct dom *doms, size_t n,
		  long long total, long long free)
{
	size_t i;

	mc_snapshot_init(s);
	for (i = 0; i < n; i++)
		add_dom(s, &doms[i]);
	mc_snapshot_sort(s);
	s->host = (struct mc_host){ .total = (uint64_t)total, .free = (uint64_t)free,
		.reserve = 1024 * MiB,
		.growable = free > 1024 * MiB ? (uint64_t)(free - 1024 * MiB) : 0 };
}

static struct mc_policy *load_with(const char *path, const struct mc_kv *params,
				   size_t nparams)
{
	char err[512];
	struct mc_policy *p = mc_policy_load(path, params, nparams, err, sizeof(err));

	if (!p)
		fail_msg("%s: %s", path, err);
	return p;
}

static struct mc_policy *load(const char *path)
{
	return load_with(path, NULL, 0);
}

static void decide(struct mc_policy *p, const struct mc_snapshot *s,
		   const char *reason, struct mc_proposals *out)
{
	struct mc_policy_ctx ctx = { .period = 2, .elapsed = 2, .tick = 1,
				     .reason = reason };
	char err[512];

	if (mc_policy_decide(p, s, &ctx, out, err, sizeof(err)))
		fail_msg("%s: decide: %s", mc_policy_path(p), err);
}

/* The target proposed for name, or NAN when there is none. */
static double target(const struct mc_proposals *out, const char *name)
{
	size_t i;

	for (i = 0; i < out->n; i++)
		if (out->v[i].name && !strcmp(out->v[i].name, name))
			return out->v[i].value;
	return NAN;
}

/* ---- every shipped policy, any snapshot ---- */

static void expect_sane(const struct mc_policy *p, const struct mc_snapshot *s,
			const struct mc_proposals *out, const char *what)
{
	size_t i;

	for (i = 0; i < out->n; i++) {
		const struct mc_proposal *v = &out->v[i];

		if (!v->name || !mc_snapshot_find(s, v->name))
			fail_msg("%s, %s: target for unknown \"%s\"", mc_policy_path(p),
				 what, v->name ? v->name : "(not a string)");
		if (!isfinite(v->value) || v->value < 0)
			fail_msg("%s, %s: %s = %g", mc_policy_path(p), what, v->name, v->value);
	}
}

static void many(struct mc_snapshot *s)
{
	size_t i;

	mc_snapshot_init(s);
	for (i = 0; i < 1000; i++) {
		char name[16];
		long long unused = (long long)(i * 37 % 700) * MiB;
		struct dom c = { name, 1024 * MiB, 4096 * MiB,
				 i % 7 ? unused : NONE, i % 2 ? unused + 20 * MiB : NONE,
				 i % 11, 0 };

		snprintf(name, sizeof(name), "vm%04zu", i);
		add_dom(s, &c)->track.params = i % 3 ? weight1 : weight2;
		s->doms[s->ndoms - 1].track.nparams = 1;
	}
	mc_snapshot_sort(s);
	s->host = (struct mc_host){ .total = 2048 * 1024 * MiB, .free = 512 * 1024 * MiB,
				    .reserve = 1024 * MiB, .growable = 511 * 1024 * MiB };
}

static void run_all_snapshots(const char *path)
{
	static const struct dom one[] = { { "vm1", 1024 * MiB, 2048 * MiB, 300 * MiB, NONE, 0, 0 } };
	static const struct dom missing[] = {
		{ "a", 1024 * MiB, 2048 * MiB, NONE, NONE, 0, 0 },
		{ "b", 1024 * MiB, 2048 * MiB, 50 * MiB, NONE, 0, 0 },
		{ "c", 1024 * MiB, 2048 * MiB, 0, 0, 0, 0 },
		{ "d", 2048 * MiB, 2048 * MiB, 10 * MiB, 30 * MiB, 900, 100 },
	};
	struct mc_policy *p = load(path);
	struct mc_proposals out = { 0 };
	struct mc_snapshot s;

	build(&s, NULL, 0, 16384 * MiB, 8192 * MiB);
	decide(p, &s, "period", &out);
	expect_sane(p, &s, &out, "empty host");
	mc_snapshot_free(&s);
	build(&s, one, 1, 16384 * MiB, 8192 * MiB);
	decide(p, &s, "period", &out);
	expect_sane(p, &s, &out, "one domain");
	mc_snapshot_free(&s);
	many(&s);
	decide(p, &s, "period", &out);
	expect_sane(p, &s, &out, "1000 domains");
	mc_snapshot_free(&s);
	build(&s, missing, 4, 16384 * MiB, 300 * MiB);
	decide(p, &s, "period", &out);
	expect_sane(p, &s, &out, "missing stats");
	decide(p, &s, "pressure", &out);
	expect_sane(p, &s, &out, "pressure");
	assert_true(isnan(target(&out, "a")));	/* no stats: never targeted */
	mc_snapshot_free(&s);
	mc_proposals_free(&out);
	mc_policy_close(p);
}

/* policies/cpu_*.lua are CPU policies (place(), cpu_policy.h): tested in
 * test_cpu_policy.c. */
static bool memory_policy(const char *path)
{
	const char *base = strrchr(path, '/');

	return strncmp(base ? base + 1 : path, "cpu_", 4) != 0;
}

static void test_every_policy_answers(void **state)
{
	glob_t g;
	size_t i;

	(void)state;
	assert_int_equal(glob("policies/*.lua", 0, NULL, &g), 0);
	assert_true(g.gl_pathc >= 6);
	for (i = 0; i < g.gl_pathc; i++)
		if (memory_policy(g.gl_pathv[i]))
			run_all_snapshots(g.gl_pathv[i]);
	globfree(&g);
}

/* Each policy wrapped so that decide() raises if a global other than
 * decide and init appeared since before the policy's own code ran. */
static char *wrap_for_globals(const char *path)
{
	static const char pre[] =
		"local __seen = {} for k in pairs(_G) do __seen[k] = true end\n";
	static const char post[] =
		"\ndo local inner = decide\n"
		"  decide = function(...)\n"
		"    local r = inner(...)\n"
		"    for k in pairs(_G) do\n"
		"      if not __seen[k] and k ~= 'decide' and k ~= 'init' then\n"
		"        error('leaked global ' .. tostring(k)) end end\n"
		"    return r end end\n";
	FILE *f = fopen(path, "r");
	char *src, *wrapped;
	long len;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	assert_true(len > 0);
	rewind(f);
	src = calloc(1, (size_t)len + sizeof(pre) + sizeof(post));
	assert_non_null(src);
	strcpy(src, pre);
	assert_int_equal(fread(src + strlen(pre), 1, (size_t)len, f), (size_t)len);
	fclose(f);
	strcat(src, post);
	wrapped = write_temp(src, ".lua");
	free(src);
	return wrapped;
}

static void test_no_leaked_globals(void **state)
{
	glob_t g;
	size_t i;

	(void)state;
	assert_int_equal(glob("policies/*.lua", 0, NULL, &g), 0);
	for (i = 0; i < g.gl_pathc; i++) {
		char *wrapped;

		if (!memory_policy(g.gl_pathv[i]))
			continue;
		wrapped = wrap_for_globals(g.gl_pathv[i]);

		run_all_snapshots(wrapped);
		drop_temp(wrapped);
	}
	globfree(&g);
}

/* ---- each policy's core rule ---- */

/* Seed 003: below target +2 steps, above it -1 step, host first, max. */
static void test_target_unused_rule(void **state)
{
	static const struct dom doms[] = {
		{ "low", 1000000, 4000000, 100000, NONE, 0, 0 },
		{ "high", 1000000, 4000000, 300000, NONE, 0, 0 },
		{ "near-max", 1000000, 1040000, 120000, NONE, 0, 0 },
		{ "on-target", 1000000, 4000000, 150000, NONE, 0, 0 },
	};
	struct mc_policy *p = load("policies/target_unused.lua");
	struct mc_proposals out = { 0 };
	struct mc_snapshot s;

	(void)state;
	build(&s, doms, 4, 16000000, 8000000);
	decide(p, &s, "period", &out);
	assert_true(target(&out, "low") == 1100000);
	assert_true(target(&out, "high") == 950000);
	assert_true(target(&out, "near-max") == 1040000);
	assert_true(isnan(target(&out, "on-target")));
	mc_snapshot_free(&s);
	/* 380000 free + 50000 from "high": "low" (the neediest, +100000)
	 * fits; "near-max" (+40000) would leave less than 2 x target. */
	build(&s, doms, 4, 16000000, 380000);
	decide(p, &s, "period", &out);
	assert_true(target(&out, "low") == 1100000);
	assert_true(isnan(target(&out, "near-max")));
	mc_snapshot_free(&s);
	mc_proposals_free(&out);
	mc_policy_close(p);
}

/* Seed 004: the most wasteful feeds the most starved 2 x its rate x period;
 * with no waster the host feeds it down to 5% of its total. */
/* Memory parameters are MiB (mc.MiB), as docs/policies.md says: the
 * seed's KiB defaults, set as MiB, give the seed's steps exactly. */
static void test_target_unused_params_in_mib(void **state)
{
	static const struct mc_kv mib[] = {
		{ "target_unused_mib", "200" }, { "step_mib", "64" },
	};
	static const struct dom doms[] = {
		{ "high", 1000000, 4000000, 300000, NONE, 0, 0 },
		{ "low", 1000000, 4000000, 150000, NONE, 0, 0 },
	};
	struct mc_policy *p = load_with("policies/target_unused.lua", mib, 2);
	struct mc_proposals out = { 0 };
	struct mc_snapshot s;

	(void)state;
	build(&s, doms, 2, 16000000, 8000000);
	decide(p, &s, "period", &out);
	assert_true(target(&out, "high") == 1000000 - 64 * MiB);
	assert_true(target(&out, "low") == 1000000 + 2 * 64 * MiB);
	mc_snapshot_free(&s);
	mc_proposals_free(&out);
	mc_policy_close(p);
}

static void test_starve_waste_rule(void **state)
{
	/* "starving": used rose 50 MiB in 2 s (25 MiB/s): gets 2 x 25 x 2. */
	static const struct dom doms[] = {
		{ "starving", 1024 * MiB, 4096 * MiB, 100 * MiB, 150 * MiB, 0, 0 },
		{ "wasting", 2048 * MiB, 4096 * MiB, 1536 * MiB, 1536 * MiB, 0, 0 },
		{ "balanced", 1024 * MiB, 4096 * MiB, 300 * MiB, 300 * MiB, 0, 0 },
		/* Less unused than "starving" but freeing memory (a negative
		 * rate, which the seed's unsigned arithmetic made huge). */
		{ "freeing", 1024 * MiB, 4096 * MiB, 80 * MiB, 30 * MiB, 0, 0 },
	};
	struct mc_policy *p = load("policies/starve_waste.lua");
	struct mc_proposals out = { 0 };
	struct mc_snapshot s;

	(void)state;
	build(&s, doms, 4, 16384 * MiB, 8192 * MiB);
	decide(p, &s, "period", &out);
	assert_true(target(&out, "starving") == (1024 + 100) * MiB);
	assert_true(target(&out, "wasting") == (2048 - 100) * MiB);
	assert_true(isnan(target(&out, "balanced")));
	assert_true(isnan(target(&out, "freeing")));
	mc_snapshot_free(&s);
	mc_policy_close(p);

	/* No waster: from the host, but only what is above 5% of 16 GiB. */
	p = load("policies/starve_waste.lua");
	build(&s, doms, 1, 16384 * MiB, 16384 * MiB / 20 + 30 * MiB);
	decide(p, &s, "period", &out);
	assert_true(fabs(target(&out, "starving") - (1024 + 30) * MiB) < 1);
	mc_snapshot_free(&s);
	mc_proposals_free(&out);
	mc_policy_close(p);
}

/* Weights 2 and 1: the surplus above the floors splits 2:1. */
static void test_proportional_rule(void **state)
{
	static const struct dom doms[] = {
		{ "heavy", 1024 * MiB, 16384 * MiB, 512 * MiB, NONE, 0, 0 },
		{ "light", 1024 * MiB, 16384 * MiB, 512 * MiB, NONE, 0, 0 },
	};
	struct mc_policy *p = load("policies/proportional.lua");
	struct mc_proposals out = { 0 };
	struct mc_snapshot s;
	double floor = (512 + 64) * MiB, surplus, heavy, light;

	(void)state;
	build(&s, doms, 2, 16384 * MiB, 4096 * MiB);
	s.doms[0].track.params = weight2;	/* sorted: heavy, light */
	s.doms[0].track.nparams = 1;
	decide(p, &s, "period", &out);
	heavy = target(&out, "heavy") - floor;
	light = target(&out, "light") - floor;
	/* pool = 2 x 1024 + 4096 - 1024 (reserve), floors 2 x 576 MiB. */
	surplus = (2 * 1024 + 4096 - 1024) * MiB - 2 * floor;
	assert_true(fabs(heavy - surplus * 2 / 3) <= 1);
	assert_true(fabs(light - surplus / 3) <= 1);
	mc_snapshot_free(&s);
	mc_proposals_free(&out);
	mc_policy_close(p);
}

/* MOM: under host pressure a guest shrinks by 5% of its size, no more;
 * with no pressure it grows by 5%. */
static void test_mom_rule(void **state)
{
	static const struct dom doms[] = {
		{ "idle", 4096 * MiB, 8192 * MiB, 3000 * MiB, 3000 * MiB, 0, 0 },
	};
	struct mc_policy *p = load("policies/mom_balloon.lua");
	struct mc_proposals out = { 0 };
	struct mc_snapshot s;

	(void)state;
	build(&s, doms, 1, 16384 * MiB, 16384 * MiB / 10);	/* 10% free */
	decide(p, &s, "period", &out);
	assert_true(fabs(target(&out, "idle") - 0.95 * 4096 * MiB) <= 1);
	mc_snapshot_free(&s);
	mc_policy_close(p);

	p = load("policies/mom_balloon.lua");
	build(&s, doms, 1, 16384 * MiB, 16384 * MiB / 2);	/* 50% free */
	decide(p, &s, "period", &out);
	assert_true(fabs(target(&out, "idle") - 1.05 * 4096 * MiB) <= 1);
	mc_snapshot_free(&s);
	mc_proposals_free(&out);
	mc_policy_close(p);
}

/* CAGMA: a guest that swaps is served on a pressure call, beyond its CMA
 * by the emergency amount; an idle guest is left alone in an emergency. */
static void test_cagma_rule(void **state)
{
	static const struct dom doms[] = {
		/* used 1004 MiB, swapped out 40 MiB since the last sample */
		{ "hungry", 1024 * MiB, 4096 * MiB, 20 * MiB, 60 * MiB, 41 * MiB, 1 * MiB },
		{ "idle", 2048 * MiB, 4096 * MiB, 1500 * MiB, 1500 * MiB, 0, 0 },
	};
	struct mc_policy *p = load("policies/cagma.lua");
	struct mc_proposals out = { 0 };
	struct mc_snapshot s;
	double used = 1004 * MiB, cma = used + 40 * MiB + 0.1 * used;
	double periodic;

	(void)state;
	build(&s, doms, 2, 16384 * MiB, 8192 * MiB);
	decide(p, &s, "period", &out);
	periodic = target(&out, "hungry");
	assert_true(fabs(periodic - cma) <= 1);	/* used + swap + 10% */
	mc_policy_close(p);

	p = load("policies/cagma.lua");
	decide(p, &s, "pressure", &out);
	assert_true(fabs(target(&out, "hungry") - (cma + 80 * MiB)) <= 1);
	assert_true(isnan(target(&out, "idle")));
	mc_snapshot_free(&s);
	mc_proposals_free(&out);
	mc_policy_close(p);
}

/* balance_unused, over time: grows a guest below its target, never shrinks
 * one that is consuming, shrinks one that stopped (its remembered peak rate
 * only decays toward 0), and gives back at once what a guest clearly
 * freed.  Each call is a fresh guest sample, 2 s after the last. */
static void run_one(struct mc_policy *p, long long actual_mib, long long unused_mib,
		    struct mc_proposals *out)
{
	const struct dom d = { "vm", actual_mib * MiB, 4096 * MiB, unused_mib * MiB,
			       NONE, 0, 0 };
	static int64_t stamp = 2000;
	struct mc_snapshot s;

	build(&s, &d, 1, 16384 * MiB, 8192 * MiB);
	s.doms[0].cur.last_update = stamp += 2;
	decide(p, &s, "period", out);
	mc_snapshot_free(&s);
}

static void test_balance_unused_rules(void **state)
{
	struct mc_policy *p = load("policies/balance_unused.lua");
	struct mc_proposals out = { 0 };
	double t;
	int i;

	(void)state;
	run_one(p, 1000, 100, &out);		/* below the 160 MiB target */
	assert_true(target(&out, "vm") > 1000 * MiB);
	run_one(p, 1000, 60, &out);		/* consuming 20 MiB/s */
	assert_true(target(&out, "vm") > 1000 * MiB);
	/* It stops consuming (used stays 940 MiB) with 300 MiB unused, above
	 * the 200 MiB high-water mark: a shrink must come, and soon. */
	for (i = 0, t = NAN; i < 8; i++) {
		run_one(p, 1240, 300, &out);
		t = target(&out, "vm");
		if (!isnan(t) && t < 1240 * MiB)
			break;
		assert_true(isnan(t) || t >= 1240 * MiB);
	}
	if (i == 8)
		fail_msg("an idle guest above its high-water mark was never shrunk");
	/* It frees 300 MiB at once: all the excess goes back at once, down to
	 * the 160 MiB target (plus what is left of the peak rate's share). */
	run_one(p, 1240, 600, &out);
	t = target(&out, "vm");
	assert_true(t >= (1240 - (600 - 160)) * MiB && t <= (1240 - (600 - 200)) * MiB);
	mc_proposals_free(&out);
	mc_policy_close(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_policy_answers),
		cmocka_unit_test(test_no_leaked_globals),
		cmocka_unit_test(test_target_unused_rule),
		cmocka_unit_test(test_target_unused_params_in_mib),
		cmocka_unit_test(test_starve_waste_rule),
		cmocka_unit_test(test_proportional_rule),
		cmocka_unit_test(test_mom_rule),
		cmocka_unit_test(test_cagma_rule),
		cmocka_unit_test(test_balance_unused_rules),
	};

	return cmocka_run_group_tests_name("policies", tests, NULL, NULL);
}
