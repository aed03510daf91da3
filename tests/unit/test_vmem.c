/* test_vmem.c - virtio-mem domains (issue 14 item 1) in the core: the
 * block rule moves every target to base + whole blocks, a grow down and a
 * shrink up so no other rule is broken; a balloon domain is untouched;
 * through the coordinator, a shrink the guest stops short of is taken as
 * the truth: the size is what was plugged, not what was asked; and the
 * simulator's device: whole blocks, a partial unplug, no off-grid sizes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "clamp.h"
#include "config.h"
#include "coordinator.h"
#include "hypervisor.h"
#include "log.h"
#include "policy.h"
#include "sim_model.h"
#include "sim_scenario.h"
#include "testutil.h"

#define BLOCK (128 * MiB)	/* large, so rounding shows */
#define BASE (512 * MiB)

/* vm: virtio-mem, 512 MiB base + 512 plugged of 2048, 100 MiB used;
 * bal: a balloon domain of the same size. */
static struct mc_backend *make_host(void)
{
	char err[64];
	struct mc_backend *b = mc_hv_mem_open(err, sizeof(err));
	const char *const names[] = { "bal", "vm" };
	size_t i;

	assert_non_null(b);
	for (i = 0; i < 2; i++) {
		struct mc_domain *d = mc_hv_mem_domain(b, names[i]);

		d->max = BASE + 2048 * MiB;
		d->cur = (struct mc_memstats){ .actual = BASE + 512 * MiB,
			.unused = 924 * MiB, .available = BASE + 512 * MiB,
			.last_update = 1, .have_stats = true };
		if (i == 1)
			d->vmem = (struct mc_vmem){ .have = true, .base = BASE,
				.size = 2048 * MiB, .block = BLOCK,
				.requested = 512 * MiB, .plugged = 512 * MiB };
	}
	mc_hv_mem_host(b)->total = 16384 * MiB;
	mc_hv_mem_host(b)->free = 8192 * MiB;
	return b;
}

static void collect(struct mc_backend *b, struct mc_snapshot *s)
{
	size_t i;

	mc_snapshot_init(s);
	assert_int_equal(b->ops->collect(b, s), 0);
	mc_snapshot_sort(s);
	for (i = 0; i < s->ndoms; i++) {
		s->doms[i].track.max = s->doms[i].max;
		s->doms[i].track.min = 256 * MiB;
	}
}

/* Both domains asked the same target; the decision for name. */
static struct mc_decision decide_both(double target, const char *name)
{
	struct mc_backend *b = make_host();
	struct mc_snapshot s;
	struct mc_clamp_result r;
	struct mc_proposal p[2] = { { "bal", target }, { "vm", target } };
	struct mc_decision out = { 0 };
	size_t i;

	collect(b, &s);
	assert_int_equal(mc_clamp_apply(&s, &(struct mc_limits){ .guest_reserve = 64 * MiB },
					p, 2, &r), 0);
	for (i = 0; i < r.ndec; i++)
		if (!strcmp(s.doms[r.dec[i].dom].name, name))
			out = r.dec[i];
	mc_clamp_result_free(&r);
	mc_snapshot_free(&s);
	b->ops->close(b);
	return out;
}

/* A grow to 1100 MiB: whole blocks below it, 1024 (base + 4 blocks). */
static void grow_rounds_down(void **state)
{
	struct mc_decision d = decide_both(1100.0 * MiB, "vm");

	(void)state;
	assert_int_equal(d.target, 1024 * MiB);
	assert_int_equal(d.rules, MC_CLAMP_BLOCK);
	assert_false(d.act);	/* 1024 is where it is */
	d = decide_both(1300.0 * MiB, "vm");
	assert_int_equal(d.target, 1280 * MiB);
	assert_true(d.act);
	d = decide_both(1300.0 * MiB, "bal");	/* a balloon: as asked */
	assert_int_equal(d.target, 1300 * MiB);
	assert_int_equal(d.rules, 0);
}

/* A shrink to 700 MiB: up to whole blocks, 768 (base + 2 blocks). */
static void shrink_rounds_up(void **state)
{
	struct mc_decision d = decide_both(700.0 * MiB, "vm");

	(void)state;
	assert_int_equal(d.target, 768 * MiB);
	assert_int_equal(d.rules, MC_CLAMP_BLOCK);
	assert_true(d.act);
	d = decide_both(700.0 * MiB, "bal");
	assert_int_equal(d.target, 700 * MiB);
}

/* Below base the device cannot go: base, however far the floor and min
 * would let it; and rounding up never breaks the floor (used 100 +
 * reserve 64 = 164 MiB is far below). */
static void never_below_base(void **state)
{
	struct mc_decision d = decide_both(300.0 * MiB, "vm");

	(void)state;
	assert_int_equal(d.target, BASE);
	assert_true(d.rules & MC_CLAMP_BLOCK);
}

/* The coordinator: a shrink the guest stops short of (it could unplug one
 * block of the two asked) is what the next decision starts from. */
static const char shrink_src[] =
	"function decide(domains)\n"
	"  for _, d in ipairs(domains) do\n"
	"    if d.name == 'vm' then return { vm = d.actual - 300 * 1024 } end\n"
	"  end\n"
	"  return {}\n"
	"end\n";

static void stopped_short_is_the_truth(void **state)
{
	struct mc_config cfg = { .period = 1, .sample = 1, .policy_timeout = 1,
		.limits = { .min_domain = 256 * MiB, .guest_reserve = 64 * MiB,
			    .host_reserve = 1024 * MiB, .max_shrink = 0 } };
	struct mc_backend *b = make_host();
	char *path = write_temp(shrink_src, ".lua"), err[256];
	struct mc_policy *p = mc_policy_load(path, NULL, 0, err, sizeof(err));
	struct mc_coord *c;
	struct mc_domain *w;
	const struct mc_domain *seen;

	(void)state;
	assert_non_null(p);
	c = mc_coord_new(&cfg, b, p, NULL);
	mc_hv_mem_set_time(b, 1);
	assert_int_equal(mc_coord_sample(c), 0);
	w = mc_hv_mem_domain(b, "vm");
	/* Asked 1024 - 300 = 724 -> whole blocks up: 768 (2 blocks off). */
	assert_int_equal(w->vmem.requested, 256 * MiB);
	/* The guest gave up one block only. */
	w->vmem.plugged = 384 * MiB;
	w->cur.last_update = 2;
	mc_hv_mem_set_time(b, 20);	/* past the settling give-up */
	assert_int_equal(mc_coord_sample(c), 0);
	seen = mc_snapshot_find(mc_coord_snapshot(c), "vm");
	assert_int_equal(seen->cur.actual, BASE + 384 * MiB);
	assert_int_equal(seen->vmem.requested, 256 * MiB);
	/* Settled and reported since: the next shrink starts from the 896
	 * reached (596 -> 640: 128 plugged), not from the 768 asked (468 ->
	 * base: 0 plugged). */
	w->cur.last_update = 3;
	mc_hv_mem_set_time(b, 21);
	assert_int_equal(mc_coord_sample(c), 0);
	assert_int_equal(w->vmem.requested, 128 * MiB);
	mc_coord_free(c);
	b->ops->close(b);
	drop_temp(path);
}

/* ---- the simulator's virtio-mem ---- */

/* 256 MiB boot memory + 128 MiB blocks; the workload holds 300 MiB. */
static const char scenario[] =
	"[host]\ntotal_mib = 8192\nduration = 60\n"
	"[vm \"v\"]\nvmem_block_mib = 128\nvmem_base_mib = 256\nstart_mib = 1024\n"
	"max_mib = 2048\nphase = grow 200 300\nphase = hold\n";

static void sim_partial_unplug(void **state)
{
	char *path = write_temp(scenario, ".ini"), err[256];
	struct mc_sim_model *m = mc_sim_scenario_load(path, err, sizeof(err));
	struct mc_snapshot s;
	const struct mc_domain *d;
	struct mc_sim_vm_state v;

	(void)state;
	if (!m)
		fail_msg("%s", err);
	mc_sim_model_step(m, 5);
	mc_snapshot_init(&s);
	assert_int_equal(mc_sim_model_collect(m, &s), 0);
	d = &s.doms[0];
	assert_true(d->vmem.have && d->vmem.block == 128 * MiB && d->vmem.base == 256 * MiB);
	assert_int_equal(d->cur.actual, 1024 * MiB);
	/* Not base + whole blocks: refused, as the device would. */
	assert_int_equal(mc_sim_model_set_target(m, d, 700 * MiB), -1);
	/* All the way down to base: the guest uses ~300 + its own, so the
	 * unplug stops at the first block that holds some of it. */
	assert_int_equal(mc_sim_model_set_target(m, d, 256 * MiB), 0);
	mc_sim_model_step(m, 1);
	mc_sim_model_vm_state(m, 0, &v);
	assert_true(v.actual > 256 * MiB && v.actual < 1024 * MiB);
	assert_int_equal((v.actual - 256 * MiB) % (128 * MiB), 0);
	assert_int_equal(v.oom_kills, 0);
	mc_snapshot_clear(&s);
	assert_int_equal(mc_sim_model_collect(m, &s), 0);
	assert_int_equal(s.doms[0].vmem.requested, 0);		/* what was asked */
	assert_int_equal(s.doms[0].vmem.plugged, v.actual - 256 * MiB);	/* what was done */
	mc_snapshot_free(&s);
	mc_sim_model_free(m);
	drop_temp(path);
}

/* A scenario whose sizes are off the block grid is refused. */
static void sim_refuses_off_grid(void **state)
{
	char *path = write_temp("[vm \"v\"]\nvmem_block_mib = 128\nvmem_base_mib = 256\n"
				"start_mib = 500\n", ".ini"), err[256];
	struct mc_sim_model *m = mc_sim_scenario_load(path, err, sizeof(err));

	(void)state;
	assert_null(m);
	assert_non_null(strstr(err, "whole vmem_block_mib"));
	drop_temp(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(grow_rounds_down),
		cmocka_unit_test(shrink_rounds_up),
		cmocka_unit_test(never_below_base),
		cmocka_unit_test(stopped_short_is_the_truth),
		cmocka_unit_test(sim_partial_unplug),
		cmocka_unit_test(sim_refuses_off_grid),
	};

	mc_log_set_level(MC_LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
