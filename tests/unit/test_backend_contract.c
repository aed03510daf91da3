/* test_backend_contract.c - every backend that runs here (libvirt's
 * test:///default driver, the simulator on a tiny model, the in-memory one)
 * goes through collect() and set_target(), and what it returns is checked
 * against the MUST fields of the contract in hypervisor.h.  A new backend
 * gets a test here that calls check_contract(). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hypervisor.h"
#include "sim_model.h"
#include "sim_scenario.h"
#include "snapshot.h"
#include "testutil.h"

/* Names are whole heap strings, one entry per domain. */
static void check_names(struct mc_snapshot *s)
{
	size_t i;

	mc_snapshot_sort(s);
	for (i = 0; i < s->ndoms; i++) {
		assert_non_null(s->doms[i].name);
		assert_true(s->doms[i].name[0] != '\0');
		if (i)
			assert_true(strcmp(s->doms[i - 1].name, s->doms[i].name) < 0);
	}
}

static void check_domain(const struct mc_domain *d)
{
	static const struct mc_track untouched;
	size_t uuid_len = strlen(d->uuid);

	assert_true(uuid_len == 0 || uuid_len == MC_UUID_LEN - 1);
	assert_true(d->max > 0);
	assert_true(d->cur.actual > 0);
	if (d->cur.have_stats)
		assert_true(d->cur.available > 0 && d->cur.unused <= d->cur.available);
	/* The coordinator's part: a backend leaves it as mc_snapshot_add
	 * made it. */
	assert_memory_equal(&d->track, &untouched, sizeof(untouched));
}

static void check_host(const struct mc_host *h)
{
	assert_true(h->total > 0);
	assert_true(h->free <= h->total);
	assert_int_equal(h->reserve, 0);	/* the core's */
	assert_int_equal(h->growable, 0);
}

/* step moves the backend's world on between the two collects (may be
 * NULL): the clock must not go back. */
static void check_contract(struct mc_backend *b, void (*step)(void *), void *arg)
{
	struct mc_snapshot s;
	double first;
	size_t i;

	assert_non_null(b->ops->collect);
	assert_non_null(b->ops->set_target);
	assert_non_null(b->ops->close);
	assert_true(b->kind && b->kind[0]);
	mc_snapshot_init(&s);
	assert_int_equal(b->ops->collect(b, &s), 0);
	assert_true(s.ndoms > 0);
	check_names(&s);
	for (i = 0; i < s.ndoms; i++)
		check_domain(&s.doms[i]);
	check_host(&s.host);
	assert_true(s.time >= 0);
	/* A resize to the size it has is always allowed. */
	assert_int_equal(b->ops->set_target(b, &s.doms[0], s.doms[0].cur.actual), 0);
	first = s.time;
	if (step)
		step(arg);
	mc_snapshot_clear(&s);
	assert_int_equal(b->ops->collect(b, &s), 0);
	assert_true(s.time >= first);
	mc_snapshot_free(&s);
	b->ops->close(b);
}

static void test_libvirt(void **state)
{
	char err[256];
	struct mc_backend *b = mc_hv_libvirt_open("test:///default", false, err, sizeof(err));

	(void)state;
	if (!b)
		fail_msg("%s", err);
	check_contract(b, NULL, NULL);
}

static void sim_step(void *m)
{
	mc_sim_model_step(m, 1);
}

static void test_sim(void **state)
{
	char *path = write_temp(
		"[host]\ntotal_mib = 4096\noverhead_mib = 512\n"
		"[vm \"a\"]\nstart_mib = 1024\nmax_mib = 2048\nphase = idle\n"
		"[vm \"b\"]\nstart_mib = 512\nmax_mib = 1024\nphase = idle\n", ".ini");
	char err[512];
	struct mc_sim_model *m = mc_sim_scenario_load(path, err, sizeof(err));
	struct mc_backend *b;

	(void)state;
	if (!m)
		fail_msg("%s", err);
	mc_sim_model_step(m, 2);	/* the guests have reported */
	b = mc_hv_sim_open(m, err, sizeof(err));
	assert_non_null(b);
	check_contract(b, sim_step, m);
	mc_sim_model_free(m);
	drop_temp(path);
}

static void mem_step(void *b)
{
	mc_hv_mem_set_time(b, 2);
}

static void test_mem(void **state)
{
	char err[128];
	struct mc_backend *b = mc_hv_mem_open(err, sizeof(err));
	struct mc_domain *d;

	(void)state;
	assert_non_null(b);
	d = mc_hv_mem_domain(b, "with-stats");
	assert_non_null(d);
	d->max = 2048 * MiB;
	d->cur = (struct mc_memstats){ .actual = 1024 * MiB, .unused = 300 * MiB,
		.available = 1000 * MiB, .last_update = 1, .have_stats = true };
	d = mc_hv_mem_domain(b, "booting");
	assert_non_null(d);
	d->max = 1024 * MiB;
	d->cur.actual = 512 * MiB;
	mc_hv_mem_host(b)->total = 8192 * MiB;
	mc_hv_mem_host(b)->free = 4096 * MiB;
	mc_hv_mem_set_time(b, 1);
	check_contract(b, mem_step, b);
}

/* The mem backend as tests use it: a resize lands at once, a name that
 * went away (or came back as a new domain) is refused. */
static void test_mem_resize(void **state)
{
	char err[128];
	struct mc_backend *b = mc_hv_mem_open(err, sizeof(err));
	struct mc_snapshot s;

	(void)state;
	assert_non_null(b);
	mc_hv_mem_domain(b, "a")->max = 2048 * MiB;
	mc_hv_mem_domain(b, "a")->cur.actual = 1024 * MiB;
	mc_snapshot_init(&s);
	assert_int_equal(b->ops->collect(b, &s), 0);
	assert_int_equal(b->ops->set_target(b, &s.doms[0], 1536 * MiB), 0);
	assert_int_equal(mc_hv_mem_domain(b, "a")->cur.actual, 1536 * MiB);
	assert_int_equal(b->ops->set_target(b, &s.doms[0], 4096 * MiB), -1);
	mc_hv_mem_remove(b, "a");
	assert_int_equal(b->ops->set_target(b, &s.doms[0], 1024 * MiB), -1);
	mc_hv_mem_domain(b, "a")->max = 2048 * MiB;	/* restarted */
	assert_int_equal(b->ops->set_target(b, &s.doms[0], 1024 * MiB), -1);
	assert_int_equal(mc_hv_mem_resizes(b), 1);
	mc_snapshot_free(&s);
	b->ops->close(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_libvirt),
		cmocka_unit_test(test_sim),
		cmocka_unit_test(test_mem),
		cmocka_unit_test(test_mem_resize),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
