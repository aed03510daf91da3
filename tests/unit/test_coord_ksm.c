/* test_coord_ksm.c - a policy's KSM settings through the coordinator, on
 * the in-memory backend: written only with [host] ksm = on, each write
 * counted, logged and an event; nothing in a dry run, nothing unchanged
 * written twice, nothing from the fallback, and nothing on a backend that
 * cannot set KSM. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "config.h"
#include "coordinator.h"
#include "events.h"
#include "hypervisor.h"
#include "log.h"
#include "policy.h"
#include "testutil.h"

/* Turns KSM on and scans 300 pages; the guest keeps its size. */
static const char policy_src[] =
	"function decide(domains, host, ctx)\n"
	"  assert(host.ksm, 'no host.ksm')\n"
	"  return {}, { ksm = { run = 1, pages_to_scan = 300, sleep_millisecs = 5 } }\n"
	"end\n";

struct fixture {
	struct mc_config cfg;
	struct mc_backend *b;
	struct mc_coord *c;
	struct mc_events *ev;
	char *ppath, *epath;
};

static void setup_run(struct fixture *fx, bool on, bool dry_run, const char *src)
{
	char err[512];
	struct mc_policy *p;
	struct mc_domain *d;
	struct mc_host *h;

	memset(fx, 0, sizeof(*fx));
	fx->cfg = (struct mc_config){ .period = 1, .sample = 1, .policy_timeout = 1,
		.dry_run = dry_run, .limits = { .min_domain = 256 * MiB,
		.host_reserve = 1024 * MiB },
		.ksm = { .on = on, .pages_to_scan_min = 64, .pages_to_scan_max = 1250,
			 .sleep_millisecs_min = 10, .sleep_millisecs_max = 1000 } };
	fx->b = mc_hv_mem_open(err, sizeof(err));
	assert_non_null(fx->b);
	d = mc_hv_mem_domain(fx->b, "vm1");
	d->max = 2048 * MiB;
	d->cur = (struct mc_memstats){ .actual = 1024 * MiB, .unused = 300 * MiB,
		.available = 1024 * MiB, .last_update = 1, .have_stats = true };
	h = mc_hv_mem_host(fx->b);
	h->total = 16384 * MiB;
	h->free = 8192 * MiB;
	h->ksm = (struct mc_ksm){ .have = true, .v = { [MC_KSM_RUN] = 0,
		[MC_KSM_PAGES_TO_SCAN] = 100, [MC_KSM_SLEEP_MILLISECS] = 20 } };
	fx->ppath = write_temp(src, ".lua");
	fx->epath = write_temp("", ".jsonl");
	p = mc_policy_load(fx->ppath, NULL, 0, err, sizeof(err));
	if (!p)
		fail_msg("%s", err);
	fx->ev = mc_events_open(fx->epath, err, sizeof(err));
	assert_non_null(fx->ev);
	fx->c = mc_coord_new(&fx->cfg, fx->b, p, NULL);
	assert_non_null(fx->c);
	mc_coord_set_outputs(fx->c, NULL, fx->ev);
}

static void samples(struct fixture *fx, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		mc_hv_mem_set_time(fx->b, i + 1.0);
		mc_hv_mem_domain(fx->b, "vm1")->cur.last_update = i + 2;
		assert_int_equal(mc_coord_sample(fx->c), 0);
	}
}

static void teardown_run(struct fixture *fx)
{
	mc_coord_free(fx->c);
	mc_events_close(fx->ev);
	fx->b->ops->close(fx->b);
	drop_temp(fx->ppath);
	drop_temp(fx->epath);
}

/* On: each setting written once (the second period finds them in place),
 * sleep held to its bound, and every write counted and an event. */
static void on_writes_once(void **state)
{
	struct fixture fx;
	const struct mc_ksm *k;

	(void)state;
	setup_run(&fx, true, false, policy_src);
	samples(&fx, 3);
	k = &mc_hv_mem_host(fx.b)->ksm;
	assert_int_equal(k->v[MC_KSM_RUN], 1);
	assert_int_equal(k->v[MC_KSM_PAGES_TO_SCAN], 300);
	assert_int_equal(k->v[MC_KSM_SLEEP_MILLISECS], 10);
	assert_int_equal(mc_hv_mem_ksm_writes(fx.b), 3);
	assert_int_equal(mc_coord_stats(fx.c)->ksm_writes, 3);
	assert_int_equal(mc_coord_stats(fx.c)->ksm_write_failures, 0);
	assert_int_equal(count_lines(fx.epath, "\"event\":\"ksm\""), 3);
	assert_int_equal(count_lines(fx.epath, "\"setting\":\"sleep_millisecs\",\"outcome\":\"resized\",\"before\":20,\"after\":10,\"proposed\":5,\"clamps\":[\"range\"]"), 1);
	assert_int_equal(mc_hv_mem_resizes(fx.b), 0);
	teardown_run(&fx);
}

/* Off, the default: the host's KSM is never touched. */
static void off_writes_nothing(void **state)
{
	struct fixture fx;

	(void)state;
	setup_run(&fx, false, false, policy_src);
	samples(&fx, 3);
	assert_int_equal(mc_hv_mem_ksm_writes(fx.b), 0);
	assert_int_equal(mc_hv_mem_host(fx.b)->ksm.v[MC_KSM_RUN], 0);
	assert_int_equal(mc_coord_stats(fx.c)->ksm_writes, 0);
	assert_int_equal(count_lines(fx.epath, "ksm"), 0);
	teardown_run(&fx);
}

/* A dry run says what it would write and writes nothing. */
static void dry_run_writes_nothing(void **state)
{
	struct fixture fx;

	(void)state;
	setup_run(&fx, true, true, policy_src);
	samples(&fx, 2);
	assert_int_equal(mc_hv_mem_ksm_writes(fx.b), 0);
	assert_int_equal(mc_hv_mem_host(fx.b)->ksm.v[MC_KSM_PAGES_TO_SCAN], 100);
	assert_int_equal(mc_coord_stats(fx.c)->ksm_writes, 0);
	assert_true(count_lines(fx.epath, "\"outcome\":\"dry_run\"") >= 3);
	teardown_run(&fx);
}

/* A failing policy: the fallback serves guests, never KSM. */
static void fallback_writes_nothing(void **state)
{
	struct fixture fx;

	(void)state;
	setup_run(&fx, true, false,
		  "function decide() error('boom') end\n");
	samples(&fx, 2);
	assert_int_equal(mc_hv_mem_ksm_writes(fx.b), 0);
	teardown_run(&fx);
}

/* A backend without set_ksm and a host without KSM (the simulator's): the
 * clamps stop it first, so set_ksm is never needed. */
static void no_ksm_host_writes_nothing(void **state)
{
	struct fixture fx;

	(void)state;
	setup_run(&fx, true, false,
		  "function decide() return {}, { ksm = { run = 1 } } end\n");
	mc_hv_mem_host(fx.b)->ksm.have = false;
	samples(&fx, 2);
	assert_int_equal(mc_hv_mem_ksm_writes(fx.b), 0);
	assert_int_equal(mc_coord_stats(fx.c)->ksm_write_failures, 0);
	teardown_run(&fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(on_writes_once),
		cmocka_unit_test(off_writes_nothing),
		cmocka_unit_test(dry_run_writes_nothing),
		cmocka_unit_test(fallback_writes_nothing),
		cmocka_unit_test(no_ksm_host_writes_nothing),
	};

	mc_log_set_level(MC_LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
