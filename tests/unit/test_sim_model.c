/*
 * test_sim_model.c - the simulated guest's rules: balloon rate, the
 * inflate floor, swap, the OOM killer, stats delay and staleness, replay,
 * lifecycle, and the backend's collect/set_target.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "hypervisor.h"
#include "sim_model.h"
#include "sim_scenario.h"
#include "testutil.h"

static struct mc_sim_model *load(const char *ini)
{
	char *path = write_temp(ini, ".ini");
	char err[MC_ERR_LEN];
	struct mc_sim_model *m = mc_sim_scenario_load(path, err, sizeof(err));

	if (!m)
		print_error("load: %s\n", err);
	drop_temp(path);
	assert_non_null(m);
	return m;
}

/* VM i as an observer sees it now. */
static struct mc_sim_vm_state vm(const struct mc_sim_model *m, size_t i)
{
	struct mc_sim_vm_state v;

	mc_sim_model_vm_state(m, i, &v);
	return v;
}

static const char *one_vm =
	"[host]\ntotal_mib = 8192\noverhead_mib = 512\n"
	"[vm \"g\"]\nstart_mib = 512\nmax_mib = 2048\n";

static struct mc_domain dom_of(const struct mc_sim_model *m, size_t i)
{
	struct mc_domain d = { .id = (int)i + 1 };

	d.name = (char *)vm(m, i).name;	/* borrowed, never written */
	return d;
}

static void test_guest_accounting(void **state)
{
	struct mc_sim_model *m = load(one_vm);

	(void)state;
	/* available = actual - kernel; unused = available - base - cache. */
	assert_int_equal(vm(m, 0).available, (512 - 24) * MiB);
	assert_int_equal(vm(m, 0).unused, (512 - 24 - 128 - 30) * MiB);
	assert_int_equal(mc_sim_host_free(m), (8192 - 512 - 512) * MiB);
	mc_sim_model_free(m);
}

static void test_balloon_rate(void **state)
{
	struct mc_sim_model *m = load(one_vm);
	struct mc_domain d = dom_of(m, 0);

	(void)state;
	assert_int_equal(mc_sim_model_set_target(m, &d, 1536 * MiB), 0);
	mc_sim_model_step(m, 1.0);
	/* One second deflates MC_SIM_BALLOON_RATE (to rounding in 0.1 s
	 * steps), not all 1024 MiB. */
	assert_in_range(vm(m, 0).actual, 512 * MiB + MC_SIM_BALLOON_RATE - 10,
			512 * MiB + MC_SIM_BALLOON_RATE);
	mc_sim_model_step(m, 5.0);
	assert_int_equal(vm(m, 0).actual, 1536 * MiB);
	mc_sim_model_free(m);
}

static void test_inflate_floor(void **state)
{
	struct mc_sim_model *m = load(
		"[vm \"g\"]\nstart_mib = 1024\nphase = grow 1000 300\nphase = hold\n");
	struct mc_domain d = dom_of(m, 0);

	(void)state;
	mc_sim_model_step(m, 1.0);
	assert_int_equal(vm(m, 0).workload, 300 * MiB);
	assert_int_equal(mc_sim_model_set_target(m, &d, 256 * MiB), 0);
	mc_sim_model_step(m, 10.0);
	/* The balloon stops at kernel + base + workload + min_free; the page
	 * cache was given up, nothing swapped, nobody killed. */
	assert_int_equal(vm(m, 0).actual, (24 + 128 + 300 + 16) * MiB);
	assert_int_equal(vm(m, 0).cache, 0);
	assert_int_equal(vm(m, 0).swapped, 0);
	assert_int_equal(vm(m, 0).oom_kills, 0);
	mc_sim_model_free(m);
}

static void test_oom_without_swap(void **state)
{
	/* e2e-facts: a 512 MiB guest's workload dies at ~345 MiB. */
	struct mc_sim_model *m = load(
		"[vm \"g\"]\nphase = grow 20 1000\nphase = idle\n");
	double t;

	(void)state;
	for (t = 0; t < 30 && !vm(m, 0).oom_kills; t += 0.1)
		mc_sim_model_step(m, 0.1);
	assert_int_equal(vm(m, 0).oom_kills, 1);
	assert_true(t > 17.0 && t < 17.5);	/* 344 MiB at 20 MiB/s */
	assert_int_equal(vm(m, 0).workload, 0);
	assert_int_equal(vm(m, 0).phase, 1);		/* the grow phase ended */
	mc_sim_model_free(m);
}

static void test_swap_then_oom(void **state)
{
	struct mc_sim_model *m = load(
		"[vm \"g\"]\nswap_mib = 100\nphase = grow 10 400\nphase = hold 5\n"
		"phase = grow 10 500\nphase = hold\n");

	(void)state;
	mc_sim_model_step(m, 40.0);	/* 400 MiB: 56 MiB over, in swap */
	assert_int_equal(vm(m, 0).oom_kills, 0);
	assert_int_equal(vm(m, 0).swapped, (400 - 344) * MiB);
	assert_int_equal(vm(m, 0).cnt.swap_out, (400 - 344) * MiB);
	mc_sim_model_step(m, 10.0);	/* 5 s hold, then +50 MiB: 106 > 100 */
	assert_int_equal(vm(m, 0).oom_kills, 1);
	assert_int_equal(vm(m, 0).workload, 0);
	mc_sim_model_free(m);
}

static void test_swap_in_on_grow(void **state)
{
	struct mc_sim_model *m = load(
		"[vm \"g\"]\nswap_mib = 200\nphase = grow 100 400\nphase = hold\n");
	struct mc_domain d = dom_of(m, 0);

	(void)state;
	mc_sim_model_step(m, 5.0);
	assert_int_equal(vm(m, 0).swapped, 56 * MiB);
	assert_int_equal(mc_sim_model_set_target(m, &d, 1024 * MiB), 0);
	mc_sim_model_step(m, 3.0);
	assert_int_equal(vm(m, 0).swapped, 0);
	assert_int_equal(vm(m, 0).cnt.swap_in, 56 * MiB);
	assert_int_equal(vm(m, 0).cnt.major_fault, 56 * MiB / 4);
	mc_sim_model_free(m);
}

static void test_stats_delay(void **state)
{
	struct mc_sim_model *m = load(
		"[vm \"g\"]\nphase = grow 100 200\nphase = hold\n");
	struct mc_snapshot s;
	uint64_t before;

	(void)state;
	mc_snapshot_init(&s);
	assert_int_equal(mc_sim_model_collect(m, &s), 0);
	assert_true(s.doms[0].cur.have_stats);	/* running before t=0 */
	before = s.doms[0].cur.unused;
	mc_sim_model_step(m, 0.5);
	mc_snapshot_clear(&s);
	assert_int_equal(mc_sim_model_collect(m, &s), 0);
	/* Half a stats period later the guest has not reported again. */
	assert_int_equal(s.doms[0].cur.unused, before);
	mc_sim_model_step(m, 0.5);
	mc_snapshot_clear(&s);
	assert_int_equal(mc_sim_model_collect(m, &s), 0);
	assert_int_equal(s.doms[0].cur.unused, before - 100 * MiB);
	assert_int_equal(s.doms[0].cur.last_update, 1700000000LL + 1);
	mc_snapshot_free(&s);
	mc_sim_model_free(m);
}

static void test_stats_stop_and_none(void **state)
{
	struct mc_sim_model *m = load(
		"[vm \"a\"]\nstats_stop = 2\n[vm \"b\"]\nstats = no\n");
	struct mc_snapshot s;

	(void)state;
	mc_snapshot_init(&s);
	mc_sim_model_step(m, 10.0);
	assert_int_equal(mc_sim_model_collect(m, &s), 0);
	assert_int_equal(s.ndoms, 2);
	assert_int_equal(s.doms[0].cur.last_update, 1700000000LL + 1);
	assert_false(s.doms[1].cur.have_stats);
	assert_int_equal(s.doms[1].cur.actual, 512 * MiB);
	mc_snapshot_free(&s);
	mc_sim_model_free(m);
}

static void test_lifecycle_and_count(void **state)
{
	struct mc_sim_model *m = load(
		"[vm \"p\"]\ncount = 3\nstart = 2\nstop = 4\n");
	struct mc_snapshot s;

	(void)state;
	assert_int_equal(mc_sim_model_nvms(m), 3);
	assert_string_equal(vm(m, 2).name, "p00003");
	mc_snapshot_init(&s);
	assert_int_equal(mc_sim_model_collect(m, &s), 0);
	assert_int_equal(s.ndoms, 0);
	mc_sim_model_step(m, 2.0);
	mc_snapshot_clear(&s);
	assert_int_equal(mc_sim_model_collect(m, &s), 0);
	assert_int_equal(s.ndoms, 3);
	assert_int_equal(mc_sim_host_free(m), (16384 - 512 - 3 * 512) * MiB);
	mc_sim_model_step(m, 2.0);
	mc_snapshot_clear(&s);
	assert_int_equal(mc_sim_model_collect(m, &s), 0);
	assert_int_equal(s.ndoms, 0);
	mc_snapshot_free(&s);
	mc_sim_model_free(m);
}

/* What mc_sim_model_on_target() was told. */
struct told {
	size_t n, vm[4];
	uint64_t actual[4], kib[4];
	double now[4];
};

static void tell(void *arg, size_t i, uint64_t actual, uint64_t kib, double now)
{
	struct told *t = arg;

	assert_true(t->n < 4);
	t->vm[t->n] = i;
	t->actual[t->n] = actual;
	t->kib[t->n] = kib;
	t->now[t->n++] = now;
}

/* Refused targets change nothing and are not told; accepted ones are, with
 * the balloon size they were set at and the model's time. */
static void test_set_target_rules(void **state)
{
	struct mc_sim_model *m = load(one_vm);
	struct mc_domain d = dom_of(m, 0), ghost = { .id = 7, .name = "ghost" };
	struct told t = { 0 };

	(void)state;
	mc_sim_model_on_target(m, tell, &t);
	assert_int_equal(mc_sim_model_set_target(m, &d, 4096 * MiB), -1);
	assert_int_equal(mc_sim_model_set_target(m, &ghost, 600 * MiB), -1);
	assert_int_equal(t.n, 0);
	assert_int_equal(vm(m, 0).target, 512 * MiB);
	assert_int_equal(mc_sim_model_set_target(m, &d, 600 * MiB), 0);
	mc_sim_model_step(m, 0.5);
	assert_int_equal(mc_sim_model_set_target(m, &d, 400 * MiB), 0);
	assert_int_equal(t.n, 2);
	assert_int_equal(t.vm[1], 0);
	assert_int_equal(t.actual[0], 512 * MiB);
	assert_int_equal(t.kib[0], 600 * MiB);
	assert_int_equal(t.actual[1], 600 * MiB);	/* arrived within 0.5 s */
	assert_int_equal(t.kib[1], 400 * MiB);
	assert_true(t.now[0] == 0 && t.now[1] > 0.49 && t.now[1] < 0.51);
	assert_int_equal(vm(m, 0).target, 400 * MiB);
	mc_sim_model_free(m);
}

static void test_free_phases(void **state)
{
	struct mc_sim_model *m = load(
		"[vm \"g\"]\nstart_mib = 1024\nphase = grow 100 500\n"
		"phase = free 50 300\nphase = free all\nphase = idle\n");

	(void)state;
	mc_sim_model_step(m, 5.0);
	assert_int_equal(vm(m, 0).workload, 500 * MiB);
	mc_sim_model_step(m, 2.0);
	assert_int_equal(vm(m, 0).workload, 400 * MiB);
	mc_sim_model_step(m, 2.1);	/* reaches 300, then frees all */
	assert_int_equal(vm(m, 0).workload, 0);
	assert_int_equal(vm(m, 0).phase, 3);
	mc_sim_model_free(m);
}

/* A scenario whose one VM replays dom of the trace text (read whole at
 * load, so the files go at once). */
static struct mc_sim_model *replay_of(const char *text, const char *dom)
{
	char *csv = write_temp(text, ".csv"), ini[512], *path;
	struct mc_sim_model *m;

	snprintf(ini, sizeof(ini), "[vm \"v\"]\nreplay = %s\nreplay_domain = %s\n",
		 csv, dom);
	path = write_temp(ini, ".ini");
	m = mc_sim_scenario_load(path, ini, sizeof(ini));
	drop_temp(path);
	drop_temp(csv);
	return m;
}

static const uint64_t replay_own = (24 + 128 + 30) * MiB;

static void test_replay(void **state)
{
	struct mc_sim_model *m = replay_of(
		"time,domain,actual_kib,unused_kib,target_kib,clamp,reason\n"
		"0.000,x,524288,300000,,,sample\n"
		"0.000,other,524288,1,,,sample\n"
		"10.000,x,524288,200000,,,sample\n", "x");

	(void)state;
	assert_non_null(m);
	mc_sim_model_step(m, 5.0);
	assert_int_equal(vm(m, 0).workload, 524288 - 250000 - replay_own);
	mc_sim_model_step(m, 10.0);
	assert_int_equal(vm(m, 0).workload, 524288 - 200000 - replay_own);
	mc_sim_model_free(m);
}

/* Today's layout: columns found by name (unix_time between), a quoted
 * name with a comma and a quote, CRLF, a quoted line break elsewhere. */
static void test_replay_quoted(void **state)
{
	struct mc_sim_model *m = replay_of(
		"time,unix_time,domain,actual_kib,unused_kib,target_kib,clamp,reason\r\n"
		"0.000,1.0,\"x,\"\"y\",524288,300000,,,sample\r\n"
		"0.000,1.0,\"two\nlines\",524288,1,,,sample\r\n"
		"10.000,11.0,\"x,\"\"y\",524288,200000,1,\"a,b\",period\r\n", "x,\"y");

	(void)state;
	assert_non_null(m);
	mc_sim_model_step(m, 10.0);
	assert_int_equal(vm(m, 0).workload, 524288 - 200000 - replay_own);
	mc_sim_model_free(m);
}

/* Not a trace: no header naming the columns, a row short of fields, a
 * quote never closed.  Refused with the file and the record. */
static void test_replay_refused(void **state)
{
	static const char *const bad[][2] = {
		{ "0.000,x,524288,300000\n", "no trace header" },
		{ "time,domain,actual_kib,unused_kib\n0,x,1\n", "record 2: not a trace row" },
		{ "time,domain,actual_kib,unused_kib\n0,x,1,1\n0,\"x,1,1\n", "record 3: not a trace row" },
		{ "time,domain,actual_kib,unused_kib\n0,y,1,1\n", "no rows with stats for domain 'x'" },
	};
	char ini[512], err[MC_ERR_LEN];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *csv = write_temp(bad[i][0], ".csv"), *path;

		snprintf(ini, sizeof(ini), "[vm \"x\"]\nreplay = %s\n", csv);
		path = write_temp(ini, ".ini");
		assert_null(mc_sim_scenario_load(path, err, sizeof(err)));
		if (!strstr(err, csv) || !strstr(err, bad[i][1]))
			fail_msg("case %zu: '%s'", i, err);
		drop_temp(path);
		drop_temp(csv);
	}
}

static void test_bad_scenarios(void **state)
{
	static const char *bad[] = {
		"[host]\ntotal_mib = x\n",
		"[vm \"g\"]\nphase = jump 3\n",
		"[vm \"g\"]\nstart_mib = 4096\n",
		"[nonsense]\na = b\n",
		"[host]\ntotal_mib = 100\n",
		"[vm \"g\"]\nreplay = /nonexistent.csv\n",
	};
	char err[MC_ERR_LEN];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *path = write_temp(bad[i], ".ini");

		assert_null(mc_sim_scenario_load(path, err, sizeof(err)));
		assert_true(strstr(err, path) || strstr(err, "nonexistent"));
		drop_temp(path);
	}
}

/* Two 300-byte names that share their first 255 bytes were cut to one
 * name: one entry, one decision, for two domains. */
static void test_long_names(void **state)
{
	char a[301], b[301], ini[1024];
	struct mc_sim_model *m;
	struct mc_snapshot s;

	(void)state;
	memset(a, 'x', 300);
	a[300] = '\0';
	memcpy(b, a, sizeof(b));
	b[299] = 'y';
	snprintf(ini, sizeof(ini), "[vm \"%s\"]\nstart_mib = 512\n"
		 "[vm \"%s\"]\nstart_mib = 600\n", a, b);
	m = load(ini);
	mc_snapshot_init(&s);
	assert_int_equal(mc_sim_model_collect(m, &s), 0);
	mc_snapshot_sort(&s);
	assert_int_equal(s.ndoms, 2);
	assert_string_equal(s.doms[0].name, a);
	assert_string_equal(s.doms[1].name, b);
	assert_ptr_equal(mc_snapshot_find(&s, b), &s.doms[1]);
	assert_int_equal(mc_sim_model_set_target(m, &s.doms[1], 700 * MiB), 0);
	assert_int_equal(vm(m, 1).target, 700 * MiB);	/* b's, not a's */
	assert_int_equal(vm(m, 0).target, 512 * MiB);
	mc_snapshot_free(&s);
	mc_sim_model_free(m);
}

/* Refused with the line of the [vm] header at fault. */
static void test_bad_vm_sections(void **state)
{
	static const struct { const char *ini; int line; const char *want; } bad[] = {
		{ "[vm \"a\"]\nstart_mib = 512\n[vm \"b\"]\nstart_mib = 512\n"
		  "[vm \"a\"]\nstart_mib = 600\n", 5, "VM name \"a\" is taken (by line 1)" },
		{ "[vm \"a\"]\ncount = 2\n[vm \"a00002\"]\nstart_mib = 512\n", 3,
		  "VM name \"a00002\" is taken (by line 1)" },
		{ "[vm \"a\"]\n[vm \"b\"]\nstart_mib = 512\n", 1, "[vm \"a\"]: no keys" },
		{ "[vm \"b\"]\nstart_mib = 512\n[vm \"a\"]\n; nothing\n", 3, "[vm \"a\"]: no keys" },
		{ "[vm \"\"]\nstart_mib = 512\n", 1, "empty VM name" },
		{ "[vm]\n", 1, "[vm]: unknown section" },
		{ "[host]\nduration = 1e9\n[vm \"a\"]\nstart_mib = 512\n", 2, "duration" },
		{ "[vm \"a\"]\ngroup = 0123456789012345678901234567890123456789"
		  "012345678901234567890123\n", 2, "group: bad value" },
	};
	char err[MC_ERR_LEN], where[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *path = write_temp(bad[i].ini, ".ini");

		assert_null(mc_sim_scenario_load(path, err, sizeof(err)));
		snprintf(where, sizeof(where), "%s:%d: ", path, bad[i].line);
		if (strncmp(err, where, strlen(where)) || !strstr(err, bad[i].want))
			fail_msg("case %zu: got \"%s\", want \"%s...%s\"", i, err,
				 where, bad[i].want);
		drop_temp(path);
	}
}

static void test_backend(void **state)
{
	struct mc_sim_model *m = load(one_vm);
	char err[128];
	struct mc_backend *b = mc_hv_sim_open(m, err, sizeof(err));
	struct mc_snapshot s;

	(void)state;
	assert_non_null(b);
	assert_string_equal(b->kind, "sim");
	mc_snapshot_init(&s);
	assert_int_equal(b->ops->collect(b, &s), 0);
	assert_int_equal(b->ops->set_target(b, &s.doms[0], 600 * MiB), 0);
	mc_sim_model_step(m, 1.5);
	mc_snapshot_clear(&s);	/* the backend's clock: the snapshot's time */
	assert_int_equal(b->ops->collect(b, &s), 0);
	assert_true(s.time > 1.49 && s.time < 1.51);
	assert_int_equal(vm(m, 0).actual, 600 * MiB);
	mc_snapshot_free(&s);
	b->ops->close(b);
	mc_sim_model_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_guest_accounting),
		cmocka_unit_test(test_balloon_rate),
		cmocka_unit_test(test_inflate_floor),
		cmocka_unit_test(test_oom_without_swap),
		cmocka_unit_test(test_swap_then_oom),
		cmocka_unit_test(test_swap_in_on_grow),
		cmocka_unit_test(test_stats_delay),
		cmocka_unit_test(test_stats_stop_and_none),
		cmocka_unit_test(test_lifecycle_and_count),
		cmocka_unit_test(test_set_target_rules),
		cmocka_unit_test(test_free_phases),
		cmocka_unit_test(test_replay),
		cmocka_unit_test(test_replay_quoted),
		cmocka_unit_test(test_replay_refused),
		cmocka_unit_test(test_bad_scenarios),
		cmocka_unit_test(test_long_names),
		cmocka_unit_test(test_bad_vm_sections),
		cmocka_unit_test(test_backend),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
