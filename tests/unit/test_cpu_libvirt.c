/* test_cpu_libvirt.c - the CPU half of the libvirt backend and a CPU tick
 * against libvirt's built-in test driver (test:///default: one running
 * domain "test" with 2 vCPUs, a node of 8 pCPUs of which 0, 2 and 4 are
 * online; state lives in the connection).  Real libvirt, no daemon. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "coordinator.h"
#include "cpu_coord.h"
#include "hypervisor.h"
#include "snapshot.h"
#include "testutil.h"

static struct mc_backend *open_test(void)
{
	char err[256];
	struct mc_backend *b = mc_hv_libvirt_open("test:///default", false, err, sizeof(err));

	if (!b)
		fail_msg("%s", err);
	b->want_cpu = true;
	return b;
}

static void collect(struct mc_backend *b, struct mc_snapshot *s)
{
	mc_snapshot_clear(s);
	assert_int_equal(b->ops->collect(b, s), 0);
	mc_cpu_snap_sort(&s->cpu);
}

static void test_collect_vcpus(void **state)
{
	struct mc_backend *b = open_test();
	struct mc_snapshot s;
	char buf[64];
	unsigned i;

	(void)state;
	mc_snapshot_init(&s);
	collect(b, &s);
	assert_true(s.cpu.collected);
	assert_int_equal(s.cpu.npcpus, 8);
	for (i = 0; i < 8; i++)
		assert_int_equal(s.cpu.pcpus[i].online, i == 0 || i == 2 || i == 4);
	assert_true(s.cpu.pcpus[0].have_times);
	assert_true(s.cpu.pcpus[0].total_ns >= s.cpu.pcpus[0].busy_ns);
	assert_int_equal(s.cpu.nvcpus, 2);
	assert_string_equal(s.cpu.vcpus[1].domain, "test");
	assert_int_equal(s.cpu.vcpus[1].vcpu, 1);
	assert_string_equal(s.cpu.vcpus[1].uuid, s.doms[0].uuid);
	assert_true(s.cpu.vcpus[0].time_ns > 0);
	assert_int_equal(s.cpu.vcpus[0].pcpu, 15);	/* the driver's made-up answer */
	assert_string_equal(mc_cpuset_str(&s.cpu.vcpus[0].affinity, buf, sizeof(buf)), "0-7");
	/* Without a CPU policy the bulk call and the snapshot stay as they were. */
	b->want_cpu = false;
	collect(b, &s);
	assert_false(s.cpu.collected);
	assert_int_equal(s.cpu.nvcpus, 0);
	mc_snapshot_free(&s);
	b->ops->close(b);
}

/* A re-pin reaches the domain: the next collect reads it back.  An empty
 * mask is refused before libvirt sees it. */
static void test_pin(void **state)
{
	struct mc_backend *b = open_test();
	struct mc_snapshot s;
	struct mc_cpuset two = { { 0 } }, none = { { 0 } };
	char buf[64];

	(void)state;
	mc_snapshot_init(&s);
	collect(b, &s);
	mc_cpuset_add(&two, 2);
	assert_int_equal(b->ops->set_pin(b, &s.cpu.vcpus[1], &two), 0);
	assert_int_equal(b->ops->set_pin(b, &s.cpu.vcpus[0], &none), -1);
	collect(b, &s);
	assert_string_equal(mc_cpuset_str(&s.cpu.vcpus[1].affinity, buf, sizeof(buf)), "2");
	assert_string_equal(mc_cpuset_str(&s.cpu.vcpus[0].affinity, buf, sizeof(buf)), "0-7");
	mc_snapshot_free(&s);
	b->ops->close(b);
}

/* text with %s for the absolute path of policies/NAME (paths in a config
 * file are relative to the file, here in /tmp). */
static void load_config(struct mc_config *cfg, const char *text, const char *name)
{
	char *abs = realpath(name, NULL), buf[1024], *path, err[512];

	assert_non_null(abs);
	snprintf(buf, sizeof(buf), text, abs);
	free(abs);
	path = write_temp(buf, ".ini");

	if (mc_config_load_file(cfg, path, err, sizeof(err)) != MC_CONFIG_OK)
		fail_msg("%s", err);
	drop_temp(path);
}

static void pause_s(double s)
{
	struct timespec ts = { 0, (long)(s * 1e9) };

	nanosleep(&ts, NULL);
}

/* Two samples of the coordinator with the round-robin CPU policy: the
 * first has no utilization (no-stats: nothing moves), the second pins
 * vCPU i to the i-th allowed pCPU (0, then 2: 1 is offline), and the
 * metrics count both. */
static void test_cpu_tick(void **state)
{
	struct mc_config cfg = { 0 };
	struct mc_backend *b = open_test();
	struct mc_cpu_coord *cc;
	struct mc_coord *c;
	struct mc_snapshot s;
	char err[512], buf[64];
	const struct mc_cpu_stats *st;

	(void)state;
	load_config(&cfg, "[coordinator]\nperiod = 0.05\nsample = 0.05\n"
		    "[cpu]\npolicy = %s\n"
		    "deadband = 0\ndwell = 0\n", "policies/cpu_round_robin.lua");
	c = mc_coord_new(&cfg, b, NULL, NULL);
	assert_non_null(c);
	cc = mc_cpu_coord_open(&cfg, b, NULL, false, err, sizeof(err));
	if (!cc)
		fail_msg("%s", err);
	mc_coord_set_cpu(c, cc);
	assert_int_equal(mc_coord_sample(c), 0);
	st = mc_cpu_coord_stats(cc);
	assert_int_equal(st->places, 1);
	assert_int_equal(st->pins, 0);
	assert_int_equal(st->clamps[MC_CPU_CLAMP_INDEX_NOSTATS], 2);
	pause_s(0.1);
	assert_int_equal(mc_coord_sample(c), 0);
	assert_int_equal(st->places, 2);
	assert_int_equal(st->pins, 2);
	assert_int_equal(st->pin_failures, 0);
	mc_snapshot_init(&s);
	collect(b, &s);
	assert_string_equal(mc_cpuset_str(&s.cpu.vcpus[0].affinity, buf, sizeof(buf)), "0");
	assert_string_equal(mc_cpuset_str(&s.cpu.vcpus[1].affinity, buf, sizeof(buf)), "2");
	mc_snapshot_free(&s);
	mc_coord_free(c);
	mc_config_free(&cfg);
	b->ops->close(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_collect_vcpus),
		cmocka_unit_test(test_pin),
		cmocka_unit_test(test_cpu_tick),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
