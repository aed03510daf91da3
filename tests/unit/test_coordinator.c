/* test_coordinator.c - the sampling and pressure path, on the simulated
 * host: a guest that starts to starve between two periods is served within
 * one sample, not one period. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "coordinator.h"
#include "log.h"
#include "sim.h"
#include "testutil.h"

#define MiB 1024ULL

/* One guest idles 3 s, then allocates 100 MiB/s up to 400 MiB, with no
 * swap: at 512 MiB it is OOM-killed near 344 MiB unless it grows. */
static const char scenario[] =
	"[host]\ntotal_mib = 8192\noverhead_mib = 512\nduration = 20\n"
	"[vm \"a\"]\nstart_mib = 512\nmax_mib = 2048\n"
	"phase = idle 3\nphase = grow 100 400\nphase = hold\n";

/* Grows a guest whose free memory is low; does nothing otherwise. */
static const char policy_src[] =
	"function decide(domains, host, ctx)\n"
	"  local t = {}\n"
	"  for _, d in ipairs(domains) do\n"
	"    if d.unused and d.unused < 150 * 1024 then\n"
	"      t[d.name] = d.actual + 250 * 1024\n"
	"    end\n"
	"  end\n"
	"  return t\n"
	"end\n";

struct run {
	int first_pressure;	/* sample that first saw unused < 48 MiB */
	int first_grow;		/* sample whose decision first grew the guest */
	unsigned long decides;
	unsigned oom_kills;
	uint64_t final_actual;
};

/* period 10 s, sample 1 s: without the pressure path the guest waits up
 * to 10 s for its next decision. */
static struct run run_scenario(long pressure_unused_mib)
{
	struct mc_config cfg = { .period = 10, .sample = 1,
		.pressure_unused_mib = pressure_unused_mib,
		.limits = { .min_domain = 256 * MiB, .guest_reserve = 64 * MiB,
			    .host_reserve = 1024 * MiB } };
	char *spath = write_temp(scenario, ".ini"), *ppath = write_temp(policy_src, ".lua");
	char err[512];
	struct mc_sim_model *m = mc_sim_model_load(spath, err, sizeof(err));
	struct mc_backend *b;
	struct mc_policy *p;
	struct mc_coord *c;
	struct run r;
	int i;

	if (!m)
		fail_msg("%s", err);
	b = mc_hv_sim_open(m, err, sizeof(err));
	p = mc_policy_load(ppath, NULL, 0, err, sizeof(err));
	assert_non_null(b);
	assert_non_null(p);
	c = mc_coord_new(&cfg, b, p, NULL);
	r.first_pressure = r.first_grow = -1;
	for (i = 0; i < 20; i++) {
		const struct mc_domain *d;

		assert_int_equal(mc_coord_sample(c), 0);
		d = &mc_coord_snapshot(c)->doms[0];
		if (r.first_pressure < 0 && d->cur.have_stats &&
		    d->cur.unused < 48 * MiB)
			r.first_pressure = i;
		if (r.first_grow < 0 && m->vms[0].target > 512 * MiB)
			r.first_grow = i;
		mc_sim_model_step(m, cfg.sample);
	}
	r.decides = mc_coord_stats(c)->decides;
	r.oom_kills = m->vms[0].oom_kills;
	r.final_actual = m->vms[0].actual;
	mc_coord_free(c);
	b->ops->close(b);
	mc_sim_model_free(m);
	drop_temp(spath);
	drop_temp(ppath);
	return r;
}

static void test_pressure_serves_within_a_sample(void **state)
{
	struct run r = run_scenario(48);

	(void)state;
	assert_int_equal(r.oom_kills, 0);
	assert_true(r.final_actual > 512 * MiB);
	/* Served in the very sample that saw the pressure, well before t=10. */
	assert_true(r.first_pressure > 0 && r.first_pressure < 10);
	assert_int_equal(r.first_grow, r.first_pressure);
	assert_true(r.decides > 2);
}

/* The same run with pressure detection off waits for the period and the
 * guest is OOM-killed: the test above can fail. */
static void test_without_pressure_the_guest_starves(void **state)
{
	struct run r = run_scenario(0);

	(void)state;
	assert_int_equal(r.decides, 2);	/* t = 0 and t = 10 */
	assert_true(r.oom_kills > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pressure_serves_within_a_sample),
		cmocka_unit_test(test_without_pressure_the_guest_starves),
	};

	mc_log_set_level(MC_LOG_WARN);
	return cmocka_run_group_tests_name("coordinator", tests, NULL, NULL);
}
