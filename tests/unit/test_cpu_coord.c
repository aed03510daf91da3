/* test_cpu_coord.c - the CPU tick's bookkeeping (cpu_coord.h) on samples
 * built by hand: utilization is a time delta over wall time, a counter
 * that goes back resets the history, pCPU util/vcpu_util/other, moved_at
 * carried from sample to sample, a failed place() keeps every pin, and a
 * reload is refused when its trial call fails.  The backend is the
 * in-memory one (it cannot pin: every re-pin is a counted failure). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "config.h"
#include "cpu_coord.h"
#include "cpu_policy.h"
#include "hypervisor.h"
#include "policy.h"
#include "snapshot.h"
#include "testutil.h"

#define NS 1000000000ULL

struct fixture {
	struct mc_config cfg;
	struct mc_backend *b;
	struct mc_cpu_coord *cc;
	char *policy;
};

static struct fixture *setup(const char *policy_text)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[512];
	struct mc_policy *p;

	assert_non_null(f);
	f->cfg = (struct mc_config){ .period = 1, .sample = 1, .policy_timeout = 2 };
#define DEF(field, key, lo, hi, def, what) f->cfg.cpu.field = (def);
	MC_CPU_LIMITS(DEF)
#undef DEF
	f->cfg.cpu.deadband = 0;
	f->cfg.cpu.dwell = 0;
	f->b = mc_hv_mem_open(err, sizeof(err));
	assert_non_null(f->b);
	f->policy = write_temp(policy_text, ".lua");
	p = mc_cpu_policy_load(f->policy, NULL, 0, 2, err, sizeof(err));
	if (!p)
		fail_msg("%s", err);
	f->cc = mc_cpu_coord_new(&f->cfg, f->b, p, NULL);
	assert_non_null(f->cc);
	assert_true(f->b->want_cpu);
	return f;
}

static void teardown(struct fixture *f)
{
	mc_cpu_coord_free(f->cc);
	f->b->ops->close(f->b);
	drop_temp(f->policy);
	free(f);
}

/* Two pCPUs, "a" with one vCPU on pCPU pcpu, at time t with run time run
 * (s) and delay (s); pCPU 0 busy busy0 s of t. */
static void sample(struct mc_snapshot *s, double t, double run, double delay,
		   int pcpu, double busy0)
{
	struct mc_vcpu *v;

	mc_snapshot_clear(s);
	s->time = t;
	s->cpu.collected = true;
	s->cpu.npcpus = 2;
	s->cpu.pcpus[0] = (struct mc_pcpu){ .online = true, .have_times = true,
		.busy_ns = (uint64_t)(busy0 * NS), .total_ns = (uint64_t)(t * NS) };
	s->cpu.pcpus[1] = (struct mc_pcpu){ .online = true };
	v = mc_cpu_snap_add_vcpu(&s->cpu, "a", 0);
	assert_non_null(v);
	snprintf(v->uuid, sizeof(v->uuid), "u-a");
	v->time_ns = (uint64_t)(run * NS);
	v->delay_ns = (uint64_t)(delay * NS);
	v->have_delay = true;
	v->pcpu = pcpu;
	v->affinity = mc_cpuset_first(2);
}

static const char keep[] = "function place(v, p, c) return nil end\n";

static void test_utilization(void **state)
{
	struct fixture *f = setup(keep);
	struct mc_snapshot s[2];
	const struct mc_vcpu *v;

	(void)state;
	mc_snapshot_init(&s[0]);
	mc_snapshot_init(&s[1]);
	sample(&s[0], 10, 1, 0, 0, 2);
	mc_cpu_coord_sample(f->cc, &s[0], &s[1]);	/* nothing before */
	assert_false(s[0].cpu.vcpus[0].track.have_util);
	assert_false(s[0].cpu.pcpus[0].have_util);
	s[0].cpu.vcpus[0].track.moved_at = 9;	/* as if pinned then */
	sample(&s[1], 12, 1.5, 0.5, 0, 3.6);		/* 2 s later */
	mc_cpu_coord_sample(f->cc, &s[1], &s[0]);
	v = &s[1].cpu.vcpus[0];
	assert_true(v->track.have_util);
	assert_true(fabs(v->track.util - 25) < 1e-9);		/* 0.5 s of 2 */
	assert_true(fabs(v->track.delay - 25) < 1e-9);
	assert_true(fabs(v->track.demand - 50) < 1e-9);
	assert_true(v->track.moved_at == 9);	/* carried: the dwell rule reads it */
	assert_true(fabs(s[1].cpu.pcpus[0].util - 80) < 1e-9);	/* 1.6 s of 2 */
	assert_true(fabs(s[1].cpu.pcpus[0].vcpu_util - 25) < 1e-9);
	assert_true(fabs(s[1].cpu.pcpus[0].other - 55) < 1e-9);
	/* pCPU 1 has no times: what the vCPUs used there (none). */
	assert_true(s[1].cpu.pcpus[1].have_util);
	assert_true(fabs(s[1].cpu.pcpus[1].util) < 1e-9);
	/* The run time went back (the domain restarted): history reset. */
	sample(&s[0], 14, 0.2, 0.6, 1, 4);
	mc_cpu_coord_sample(f->cc, &s[0], &s[1]);
	assert_false(s[0].cpu.vcpus[0].track.have_util);
	assert_false(s[0].cpu.vcpus[0].track.have_prev);
	/* A new domain under the same name (another uuid): no history either. */
	sample(&s[1], 16, 0.4, 0.6, 1, 5);
	snprintf(s[1].cpu.vcpus[0].uuid, sizeof(s[1].cpu.vcpus[0].uuid), "u-b");
	mc_cpu_coord_sample(f->cc, &s[1], &s[0]);
	assert_false(s[1].cpu.vcpus[0].track.have_util);
	mc_snapshot_free(&s[0]);
	mc_snapshot_free(&s[1]);
	teardown(f);
}

/* A re-pin the backend refuses is counted and the vCPU's moved_at stays
 * unset; a failing place() counts an error and asks nothing. */
static void test_pin_failures_and_errors(void **state)
{
	struct fixture *f = setup("function place(v, p, c)\n"
				  "  if c.tick >= 2 then error('boom') end\n"
				  "  return { { domain = 'a', vcpu = 0, pcpu = 1 } } end\n");
	const struct mc_cpu_stats *st = mc_cpu_coord_stats(f->cc);
	struct mc_snapshot s[2];

	(void)state;
	mc_snapshot_init(&s[0]);
	mc_snapshot_init(&s[1]);
	sample(&s[0], 10, 1, 0, 0, 2);
	mc_cpu_coord_sample(f->cc, &s[0], &s[1]);
	sample(&s[1], 12, 2, 0, 0, 3);
	mc_cpu_coord_sample(f->cc, &s[1], &s[0]);
	assert_int_equal(st->places, 2);
	assert_int_equal(st->pins, 0);
	assert_int_equal(st->pin_failures, 1);	/* mem cannot pin */
	assert_true(s[1].cpu.vcpus[0].track.moved_at < 0);
	sample(&s[0], 14, 3, 0, 0, 4);
	mc_cpu_coord_sample(f->cc, &s[0], &s[1]);
	assert_int_equal(st->place_errors, 1);
	assert_int_equal(st->pin_failures, 1);	/* nothing asked */
	mc_snapshot_free(&s[0]);
	mc_snapshot_free(&s[1]);
	teardown(f);
}

/* Hot swap: a file without place(), or whose trial call fails, is refused
 * and the running policy stays; a good one replaces it. */
static void test_reload(void **state)
{
	struct fixture *f = setup(keep);
	struct mc_snapshot s;
	char *bad = write_temp("function place(v, p, c) error('no') end\n", ".lua");
	char *none = write_temp("function decide(d, h, c) return {} end\n", ".lua");
	char err[512];
	const char *before = mc_cpu_coord_stats(f->cc)->policy_path;

	(void)state;
	mc_snapshot_init(&s);
	sample(&s, 10, 1, 0, 0, 2);
	assert_int_equal(mc_cpu_coord_reload_policy(f->cc, bad, &s, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no"));
	assert_int_equal(mc_cpu_coord_reload_policy(f->cc, none, &s, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "place(vcpus, pcpus, ctx)"));
	assert_string_equal(mc_cpu_coord_stats(f->cc)->policy_path, before);
	assert_int_equal(mc_cpu_coord_reload_policy(f->cc, "policies/cpu_balance.lua", &s,
						    err, sizeof(err)), 0);
	assert_string_equal(mc_cpu_coord_stats(f->cc)->policy_path, "policies/cpu_balance.lua");
	drop_temp(bad);
	drop_temp(none);
	mc_snapshot_free(&s);
	teardown(f);
}

/* [cpu] and the [domain] CPU keys: read when right, refused with
 * file:line and the key when not, nothing half-set. */
static void test_config_keys(void **state)
{
	static const char *const bad[] = {
		"[cpu]\npcpus = 3-1\n", "[cpu]\nreserve_pcpus = 0,\n",
		"[cpu]\ndwell = -1\n", "[cpu]\nmax_moves = x\n", "[cpu]\nbogus = 1\n",
		"[cpu]\ndeadband = 101\n", "[domain \"a\"]\ncpuset = 999\n",
		"[domain \"a\"]\ncpu_exclude = maybe\n", "[cpu]\npolicy =\n",
	};
	struct mc_config cfg = { 0 };
	char err[512], *path, buf[64];
	size_t i;

	(void)state;
	path = write_temp("[cpu]\npcpus = 0-3\nreserve_pcpus = 0\ndwell = 4\n"
			  "deadband = 2.5\nmax_moves = 3\n"
			  "[domain \"db*\"]\ncpu_exclude = yes\ncpuset = 2-3\n", ".ini");
	assert_int_equal(mc_config_load_file(&cfg, path, err, sizeof(err)), MC_CONFIG_OK);
	assert_true(cfg.cpu.have_pcpus);
	assert_string_equal(mc_cpuset_str(&cfg.cpu.pcpus, buf, sizeof(buf)), "0-3");
	assert_string_equal(mc_cpuset_str(&cfg.cpu.reserve, buf, sizeof(buf)), "0");
	assert_true(cfg.cpu.dwell == 4 && cfg.cpu.deadband == 2.5 && cfg.cpu.max_moves == 3);
	assert_true(mc_config_domain(&cfg, "db1")->cpu_exclude);
	assert_string_equal(mc_cpuset_str(&mc_config_domain(&cfg, "db1")->cpuset, buf,
					  sizeof(buf)), "2-3");
	mc_config_free(&cfg);
	drop_temp(path);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		path = write_temp(bad[i], ".ini");
		assert_int_equal(mc_config_load_file(&cfg, path, err, sizeof(err)), MC_CONFIG_ERROR);
		if (!strstr(err, ":2: ["))
			fail_msg("%s: no file:line in \"%s\"", bad[i], err);
		mc_config_free(&cfg);
		drop_temp(path);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utilization),
		cmocka_unit_test(test_pin_failures_and_errors),
		cmocka_unit_test(test_reload),
		cmocka_unit_test(test_config_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
