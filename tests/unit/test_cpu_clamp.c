/* test_cpu_clamp.c - the CPU rules (cpu_clamp.h), one by one, and the
 * cpulists they read (cpuset.h). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cpu_clamp.h"
#include "cpuset.h"
#include "testutil.h"

static struct mc_cpuset set_of(const char *list)
{
	struct mc_cpuset s;

	assert_int_equal(mc_cpuset_parse(list, &s), 0);
	return s;
}

/* 4 online pCPUs at the given utilizations; vCPUs "a"/0 .. "a"/n-1 all
 * pinned to pCPU 0 with utilization, never moved. */
static void host(struct mc_cpu_snap *s, const double util[4], unsigned nvcpus)
{
	unsigned i;

	mc_cpu_snap_init(s);
	s->collected = true;
	s->npcpus = 4;
	s->have_prev_stddev = true;	/* as unbalanced a sample ago */
	s->prev_stddev = 100;
	for (i = 0; i < 4; i++)
		s->pcpus[i] = (struct mc_pcpu){ .online = true, .have_util = true,
						.util = util[i], .vcpu_util = util[i] };
	for (i = 0; i < nvcpus; i++) {
		struct mc_vcpu *v = mc_cpu_snap_add_vcpu(s, "a", i);

		assert_non_null(v);
		v->affinity = set_of("0");
		v->pcpu = 0;
		v->track.have_util = true;
		v->track.util = v->track.demand = 25;
		v->track.cpuset = mc_cpuset_first(MC_CPUSET_MAX);
	}
	mc_cpu_snap_sort(s);
}

static struct mc_cpu_limits limits(void)
{
	struct mc_cpu_limits lim = { 0 };

#define DEF(field, key, lo, hi, def, what) lim.field = (def);
	MC_CPU_LIMITS(DEF)
#undef DEF
	return lim;
}

static const double UNBALANCED[4] = { 100, 0, 0, 0 };

static struct mc_cpu_pin pin(const char *dom, double vcpu, const char *list)
{
	struct mc_cpu_pin p = { .domain = dom, .vcpu = vcpu, .mask_ok = true };

	p.mask = set_of(list);
	return p;
}

static void test_cpuset_lists(void **state)
{
	struct mc_cpuset s;
	char buf[64];

	(void)state;
	s = set_of("0-3,6,8-9");
	assert_string_equal(mc_cpuset_str(&s, buf, sizeof(buf)), "0-3,6,8-9");
	assert_int_equal(mc_cpuset_count(&s), 7);
	assert_int_equal(mc_cpuset_lowest(&s), 0);
	/* Bad lists leave the set as it was. */
	assert_int_equal(mc_cpuset_parse("", &s), -1);
	assert_int_equal(mc_cpuset_parse("3-1", &s), -1);
	assert_int_equal(mc_cpuset_parse("1,", &s), -1);
	assert_int_equal(mc_cpuset_parse("256", &s), -1);
	assert_int_equal(mc_cpuset_parse("1 2", &s), -1);
	assert_int_equal(mc_cpuset_parse("-1", &s), -1);
	assert_string_equal(mc_cpuset_str(&s, buf, sizeof(buf)), "0-3,6,8-9");
}

static void test_cpuset_maps(void **state)
{
	const unsigned char map[2] = { 0x15, 0x80 };	/* 0,2,4,15 */
	unsigned char back[2];
	struct mc_cpuset s = mc_cpuset_from_map(map, sizeof(map));
	char buf[32];

	(void)state;
	assert_string_equal(mc_cpuset_str(&s, buf, sizeof(buf)), "0,2,4,15");
	mc_cpuset_to_map(&s, back, sizeof(back));
	assert_memory_equal(map, back, sizeof(map));
}

/* A pinning that changes a mask re-pins; the same mask is no change. */
static void test_moves_and_noops(void **state)
{
	struct mc_cpu_snap s;
	struct mc_cpu_limits lim = limits();
	struct mc_cpu_pin pins[] = { pin("a", 0, "1"), pin("a", 1, "0") };
	struct mc_cpu_clamp_result res;

	(void)state;
	host(&s, UNBALANCED, 2);
	assert_int_equal(mc_cpu_clamp_apply(&s, &lim, pins, 2, 100, &res), 0);
	assert_int_equal(res.ndec, 2);
	assert_true(res.dec[0].act);
	assert_true(mc_cpuset_equal(&res.dec[0].target, &pins[0].mask));
	assert_false(res.dec[1].act);
	assert_int_equal(res.dec[1].rules, 0);
	assert_int_equal(res.nact, 1);
	mc_cpu_clamp_result_free(&res);
	mc_cpu_snap_free(&s);
}

static void test_unknown_and_bad(void **state)
{
	struct mc_cpu_snap s;
	struct mc_cpu_limits lim = limits();
	struct mc_cpu_pin pins[] = {
		pin("nosuch", 0, "1"), pin("a", 7, "1"), pin("a", 0.5, "1"),
		pin("a", NAN, "1"), { .domain = NULL, .vcpu = 0, .mask_ok = true },
		{ .domain = "a", .vcpu = 0, .mask_ok = false },
		{ .domain = "a", .vcpu = 0, .mask_ok = true },	/* empty mask */
	};
	struct mc_cpu_clamp_result res;

	(void)state;
	host(&s, UNBALANCED, 1);
	assert_int_equal(mc_cpu_clamp_apply(&s, &lim, pins, 7, 100, &res), 0);
	assert_int_equal(res.ndec, 0);
	assert_int_equal(res.dropped, MC_CPU_CLAMP_UNKNOWN | MC_CPU_CLAMP_BADPCPU);
	mc_cpu_clamp_result_free(&res);
	mc_cpu_snap_free(&s);
}

/* Offline, outside pcpus, reserved, outside the domain's cpuset: taken
 * out; nothing left: the vCPU keeps its pins (never an empty mask). */
static void test_allowed_and_empty(void **state)
{
	struct mc_cpu_snap s;
	struct mc_cpu_limits lim = limits();
	struct mc_cpu_pin pins[] = { pin("a", 0, "0-3"), pin("a", 1, "3"),
				     pin("a", 2, "1-2") };
	struct mc_cpu_clamp_result res;
	char buf[32];

	(void)state;
	host(&s, UNBALANCED, 3);
	s.pcpus[2].online = false;
	lim.have_pcpus = true;
	lim.pcpus = set_of("0-2");		/* 3 is not ours */
	lim.reserve = set_of("0");
	lim.deadband = 0;	/* one pCPU left is always "balanced" */
	s.vcpus[2].track.cpuset = set_of("2");	/* offline: nothing left */
	assert_int_equal(mc_cpu_clamp_apply(&s, &lim, pins, 3, 100, &res), 0);
	assert_string_equal(mc_cpuset_str(&res.allowed, buf, sizeof(buf)), "1");
	assert_string_equal(mc_cpuset_str(&res.dec[0].target, buf, sizeof(buf)), "1");
	assert_int_equal(res.dec[0].rules, MC_CPU_CLAMP_ALLOWED);
	assert_true(res.dec[0].act);
	assert_int_equal(res.dec[1].rules, MC_CPU_CLAMP_ALLOWED | MC_CPU_CLAMP_EMPTY);
	assert_false(res.dec[1].act);
	assert_string_equal(mc_cpuset_str(&res.dec[1].target, buf, sizeof(buf)), "0");
	assert_int_equal(res.dec[2].rules, MC_CPU_CLAMP_ALLOWED | MC_CPU_CLAMP_EMPTY);
	assert_int_equal(res.nact, 1);
	mc_cpu_clamp_result_free(&res);
	mc_cpu_snap_free(&s);
}

static void test_nostats_and_excluded(void **state)
{
	struct mc_cpu_snap s;
	struct mc_cpu_limits lim = limits();
	struct mc_cpu_pin pins[] = { pin("a", 0, "1"), pin("a", 1, "2") };
	struct mc_cpu_clamp_result res;

	(void)state;
	host(&s, UNBALANCED, 2);
	s.vcpus[0].track.have_util = false;
	s.vcpus[1].track.excluded = true;
	assert_int_equal(mc_cpu_clamp_apply(&s, &lim, pins, 2, 100, &res), 0);
	assert_int_equal(res.dec[0].rules, MC_CPU_CLAMP_NOSTATS);
	assert_int_equal(res.dec[1].rules, MC_CPU_CLAMP_EXCLUDED);
	assert_int_equal(res.nact, 0);
	mc_cpu_clamp_result_free(&res);
	mc_cpu_snap_free(&s);
}

/* Test 3 of the course: balanced within the deadband, nothing moves;
 * a pCPU without utilization yet holds too; deadband 0 is off.  Host load
 * that is not the guests' (util above vcpu_util) does not count. */
static void test_deadband(void **state)
{
	static const double balanced[4] = { 57, 60, 60, 61 };	/* stddev 1.5 */
	struct mc_cpu_snap s;
	struct mc_cpu_limits lim = limits();
	struct mc_cpu_pin pins[] = { pin("a", 0, "1") };
	struct mc_cpu_clamp_result res;

	(void)state;
	host(&s, balanced, 1);
	assert_int_equal(mc_cpu_clamp_apply(&s, &lim, pins, 1, 100, &res), 0);
	assert_true(res.have_stddev);
	assert_true(fabs(res.stddev - 1.5) < 1e-9);
	assert_int_equal(res.dec[0].rules, MC_CPU_CLAMP_DEADBAND);
	assert_false(res.dec[0].act);
	mc_cpu_clamp_result_free(&res);
	s.pcpus[0].util = 100;	/* someone's compile on pCPU 0 */
	assert_int_equal(mc_cpu_clamp_apply(&s, &lim, pins, 1, 100, &res), 0);
	assert_int_equal(res.dec[0].rules, MC_CPU_CLAMP_DEADBAND);
	mc_cpu_clamp_result_free(&res);
	/* One unbalanced sample after a balanced one: held; the second moves. */
	s.pcpus[0].vcpu_util = 100;
	s.have_prev_stddev = true;
	s.prev_stddev = 1.5;
	assert_int_equal(mc_cpu_clamp_apply(&s, &lim, pins, 1, 100, &res), 0);
	assert_int_equal(res.dec[0].rules, MC_CPU_CLAMP_DEADBAND);
	mc_cpu_clamp_result_free(&res);
	s.prev_stddev = 18;
	assert_int_equal(mc_cpu_clamp_apply(&s, &lim, pins, 1, 100, &res), 0);
	assert_true(res.dec[0].act);
	mc_cpu_clamp_result_free(&res);
	/* No stddev a sample ago: not known yet, held. */
	s.have_prev_stddev = false;
	assert_int_equal(mc_cpu_clamp_apply(&s, &lim, pins, 1, 100, &res), 0);
	assert_int_equal(res.dec[0].rules, MC_CPU_CLAMP_DEADBAND);
	mc_cpu_clamp_result_free(&res);
	s.pcpus[0].vcpu_util = 57;
	s.pcpus[3].have_util = false;
	s.pcpus[3].vcpu_util = 500;
	assert_int_equal(mc_cpu_clamp_apply(&s, &lim, pins, 1, 100, &res), 0);
	assert_false(res.have_stddev);
	assert_int_equal(res.dec[0].rules, MC_CPU_CLAMP_DEADBAND);
	mc_cpu_clamp_result_free(&res);
	lim.deadband = 0;
	assert_int_equal(mc_cpu_clamp_apply(&s, &lim, pins, 1, 100, &res), 0);
	assert_true(res.dec[0].act);
	mc_cpu_clamp_result_free(&res);
	mc_cpu_snap_free(&s);
}

static void test_dwell(void **state)
{
	struct mc_cpu_snap s;
	struct mc_cpu_limits lim = limits();
	struct mc_cpu_pin pins[] = { pin("a", 0, "1"), pin("a", 1, "2") };
	struct mc_cpu_clamp_result res;

	(void)state;
	host(&s, UNBALANCED, 2);
	s.vcpus[0].track.moved_at = 100 - lim.dwell + 1;	/* too recent */
	s.vcpus[1].track.moved_at = 100 - lim.dwell;		/* just long enough */
	assert_int_equal(mc_cpu_clamp_apply(&s, &lim, pins, 2, 100, &res), 0);
	assert_int_equal(res.dec[0].rules, MC_CPU_CLAMP_DWELL);
	assert_false(res.dec[0].act);
	assert_int_equal(res.dec[1].rules, 0);
	assert_true(res.dec[1].act);
	mc_cpu_clamp_result_free(&res);
	mc_cpu_snap_free(&s);
}

/* The first max_moves changes in place()'s order go; the rest wait; a
 * later pinning of the same vCPU replaces its earlier one. */
static void test_max_moves(void **state)
{
	struct mc_cpu_snap s;
	struct mc_cpu_limits lim = limits();
	struct mc_cpu_pin pins[] = { pin("a", 2, "1"), pin("a", 0, "1"), pin("a", 1, "1"),
				     pin("a", 0, "0") };
	struct mc_cpu_clamp_result res;

	(void)state;
	host(&s, UNBALANCED, 3);
	lim.max_moves = 1;
	assert_int_equal(mc_cpu_clamp_apply(&s, &lim, pins, 4, 100, &res), 0);
	assert_int_equal(res.ndec, 3);
	assert_int_equal(res.nact, 1);
	assert_false(res.dec[0].act);		/* a/0: back to "0", no change */
	assert_int_equal(res.dec[0].rules, 0);
	assert_int_equal(res.dec[1].rules, MC_CPU_CLAMP_MAXMOVES);	/* a/1 */
	assert_true(res.dec[2].act);		/* a/2 came first */
	mc_cpu_clamp_result_free(&res);
	lim.max_moves = 0;	/* no limit */
	assert_int_equal(mc_cpu_clamp_apply(&s, &lim, pins, 4, 100, &res), 0);
	assert_int_equal(res.nact, 2);
	mc_cpu_clamp_result_free(&res);
	mc_cpu_snap_free(&s);
}

static void test_rule_names(void **state)
{
	char buf[256];

	(void)state;
	assert_string_equal(mc_cpu_clamp_rules_str((1u << MC_CPU_CLAMP_NRULES) - 1, buf,
						   sizeof(buf)),
			    "unknown+bad-pcpu+no-stats+excluded+allowed+empty+"
			    "deadband+dwell+max-moves");
}

/* Every numeric [cpu] key with its default, as MC_CPU_LIMITS has it, in
 * the sample config, the README and memcoord.ini(5). */
static void test_cpu_keys_documented(void **state)
{
	static const struct { const char *key; double def; } keys[] = {
#define KEY_DOC(field, key, lo, hi, def, what) { key, def },
		MC_CPU_LIMITS(KEY_DOC)
#undef KEY_DOC
	};
	char want[128], got[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		snprintf(want, sizeof(want), "%s = %g\n", keys[i].key, keys[i].def);
		if (count_lines("conf/memcoord.ini", want) != 1)
			fail_msg("conf/memcoord.ini: no line \"%s\"", want);
		snprintf(want, sizeof(want), "| `%s` | %g |", keys[i].key, keys[i].def);
		if (count_lines("README.md", want) != 1)
			fail_msg("README.md: no row \"%s\"", want);
		snprintf(want, sizeof(want), "Default: %g.\n", keys[i].def);
		man_default("dist/memcoord.ini.5", keys[i].key, got, sizeof(got));
		assert_string_equal(got, want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpuset_lists),
		cmocka_unit_test(test_cpuset_maps),
		cmocka_unit_test(test_moves_and_noops),
		cmocka_unit_test(test_unknown_and_bad),
		cmocka_unit_test(test_allowed_and_empty),
		cmocka_unit_test(test_nostats_and_excluded),
		cmocka_unit_test(test_deadband),
		cmocka_unit_test(test_dwell),
		cmocka_unit_test(test_max_moves),
		cmocka_unit_test(test_rule_names),
		cmocka_unit_test(test_cpu_keys_documented),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
