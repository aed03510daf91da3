/* test_restore.c - on_exit = restore (issue 13 item 4) through the in-memory
 * backend: a guest memcoord shrank is grown back to its size at first
 * sight, held by the host budget and its max; an excluded guest, a guest
 * memcoord grew, and a guest someone else resized are left alone; a dry
 * run and a stop request change nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "config.h"
#include "coordinator.h"
#include "hypervisor.h"
#include "log.h"
#include "policy.h"
#include "signals.h"
#include "testutil.h"

/* Shrinks a and b to 1024 MiB, grows c to 1536 MiB; leaves d alone. */
static const char policy_src[] =
	"function decide(domains, host, ctx)\n"
	"  return { a = 1024 * 1024, b = 1024 * 1024, c = 1536 * 1024 }\n"
	"end\n";

struct world {
	struct mc_config cfg;
	struct mc_backend *b;
	struct mc_coord *c;
	char *policy;
};

static struct mc_domain *add(struct mc_backend *b, const char *name, uint64_t mib)
{
	struct mc_domain *d = mc_hv_mem_domain(b, name);

	assert_non_null(d);
	d->max = 4096 * MiB;
	d->cur = (struct mc_memstats){ .actual = mib * MiB, .unused = mib * MiB * 3 / 4,
		.available = mib * MiB, .last_update = 1, .have_stats = true };
	return d;
}

static uint64_t actual_of(struct mc_backend *b, const char *name)
{
	return mc_hv_mem_domain(b, name)->cur.actual / MiB;
}

static uint64_t actual(struct world *w, const char *name)
{
	return actual_of(w->b, name);
}

/* a, b (excluded by the INI), c at 2048/2048/1024 MiB and d at 2048, one
 * period of the policy above, then d shrunk by someone else, below the
 * smallest size memcoord allows. */
static void start(struct world *w, uint64_t host_free_mib)
{
	char err[512], *ini = write_temp("[domain \"b\"]\nexclude = yes\n", ".ini");
	struct mc_policy *p;

	memset(w, 0, sizeof(*w));
	if (mc_config_load_file(&w->cfg, ini, err, sizeof(err)) != MC_CONFIG_OK)
		fail_msg("%s", err);
	drop_temp(ini);
	w->cfg.limits.max_shrink = 0;
	w->cfg.limits.max_grow = 100 * MiB;	/* restore is not held to it */
	w->b = mc_hv_mem_open(err, sizeof(err));
	assert_non_null(w->b);
	add(w->b, "a", 2048);
	add(w->b, "b", 2048);
	add(w->b, "c", 1024);
	add(w->b, "d", 2048);
	mc_hv_mem_host(w->b)->total = 16384 * MiB;
	mc_hv_mem_host(w->b)->free = host_free_mib * MiB;
	w->policy = write_temp(policy_src, ".lua");
	p = mc_policy_load(w->policy, NULL, 0, err, sizeof(err));
	assert_non_null(p);
	w->c = mc_coord_new(&w->cfg, w->b, p, NULL);
	assert_non_null(w->c);
	assert_int_equal(mc_coord_sample(w->c), 0);
	assert_int_equal(actual(w, "a"), 1024);
	assert_int_equal(actual(w, "b"), 2048);
	assert_int_equal(actual(w, "c"), 1124);	/* max_grow */
	/* Below min_domain_mib (256): the clamps would grow it, but it is
	 * not ours to restore. */
	mc_hv_mem_domain(w->b, "d")->cur.actual = 200 * MiB;
	mc_hv_mem_domain(w->b, "d")->cur.unused = 100 * MiB;
	mc_hv_mem_set_time(w->b, 1);
}

static void finish(struct world *w)
{
	mc_coord_free(w->c);
	w->b->ops->close(w->b);
	mc_config_free(&w->cfg);
	drop_temp(w->policy);
}

static bool never(void) { return false; }
static bool always(void) { return true; }

static void test_restores_what_it_shrank(void **state)
{
	struct mc_coord_restored r;
	struct world w;

	(void)state;
	start(&w, 8192);
	assert_int_equal(mc_coord_restore(w.c, 5, never, &r), 0);
	assert_int_equal(actual(&w, "a"), 2048);	/* back, beyond max_grow */
	assert_int_equal(actual(&w, "b"), 2048);	/* excluded: never touched */
	assert_int_equal(actual(&w, "c"), 1124);	/* grown by us: left */
	assert_int_equal(actual(&w, "d"), 200);	/* not ours to restore */
	assert_int_equal(r.grown, 1);
	assert_int_equal(r.kib, 1024 * MiB);
	assert_false(r.stopped);
	finish(&w);
}

/* Host free 1024 + 300 MiB with the 1024 MiB reserve: 300 MiB to give. */
static void test_held_by_host_budget(void **state)
{
	struct mc_coord_restored r;
	struct world w;

	(void)state;
	start(&w, 1324);
	assert_int_equal(mc_coord_restore(w.c, 5, NULL, &r), 0);
	assert_int_equal(actual(&w, "a"), 1324);
	assert_int_equal(r.grown, 1);
	finish(&w);
}

/* Its max lowered since (here by the VM's own metadata): held to it. */
static void test_held_by_max(void **state)
{
	struct mc_coord_restored r;
	struct world w;

	(void)state;
	start(&w, 8192);
	mc_hv_mem_domain(w.b, "a")->vm = (struct mc_vmset){ .has_max_mib = true,
							   .max_mib = 1500 };
	assert_int_equal(mc_coord_restore(w.c, 5, NULL, &r), 0);
	assert_int_equal(actual(&w, "a"), 1500);
	finish(&w);
}

static void test_dry_run_restores_nothing(void **state)
{
	struct mc_coord_restored r;
	unsigned long resizes;
	struct world w;

	(void)state;
	start(&w, 8192);
	w.cfg.dry_run = true;
	resizes = mc_hv_mem_resizes(w.b);
	assert_int_equal(mc_coord_restore(w.c, 5, NULL, &r), 0);
	assert_int_equal(mc_hv_mem_resizes(w.b), resizes);
	assert_int_equal(actual(&w, "a"), 1024);
	finish(&w);
}

/* A second SIGTERM (stop() true), or the time limit: no more resizes. */
static void test_stop_and_deadline(void **state)
{
	struct mc_coord_restored r;
	struct world w;

	(void)state;
	start(&w, 8192);
	assert_int_equal(mc_coord_restore(w.c, 5, always, &r), 0);
	assert_true(r.stopped);
	assert_int_equal(r.grown, 0);
	assert_int_equal(actual(&w, "a"), 1024);
	assert_int_equal(mc_coord_restore(w.c, -1, NULL, &r), 0);
	assert_true(r.stopped);
	assert_int_equal(actual(&w, "a"), 1024);
	finish(&w);
}

/* As the daemon wires it: a second SIGTERM, blocked and pending while the
 * restore runs, stops it (mc_signals_stop_pending). */
static void test_second_sigterm_stops(void **state)
{
	struct mc_coord_restored r;
	sigset_t term, old;
	struct world w;
	int sig;

	(void)state;
	start(&w, 8192);
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	assert_int_equal(sigprocmask(SIG_BLOCK, &term, &old), 0);
	assert_int_equal(raise(SIGTERM), 0);
	assert_int_equal(mc_coord_restore(w.c, 5, mc_signals_stop_pending, &r), 0);
	assert_int_equal(sigwait(&term, &sig), 0);	/* take it back */
	assert_int_equal(sigprocmask(SIG_SETMASK, &old, NULL), 0);
	assert_true(r.stopped);
	assert_int_equal(actual(&w, "a"), 1024);
	finish(&w);
}

/* A guest that shut down and started again under the same name is a new
 * guest: nothing of it was shrunk by us. */
/* Grows a (first seen at 1024 MiB) to 2048 MiB, then shrinks it to 512. */
static const char up_then_down[] =
	"function decide(domains, host, ctx)\n"
	"  if ctx.tick <= 1 then return { a = 2048 * 1024 } end\n"
	"  return { a = 512 * 1024 }\n"
	"end\n";

/* The shrink to 512 MiB is still on its way (libvirt's balloon.current
 * trails the balloon) when memcoord stops: it is stopped at 1024 MiB, the
 * guest's first size, not left to run on below it. */
static void test_shrink_in_flight_stopped_at_first_size(void **state)
{
	char err[512], *pol = write_temp(up_then_down, ".lua");
	struct mc_coord_restored r;
	struct mc_config cfg = { .period = 2, .sample = 1, .policy_timeout = 0.5,
				 .on_exit_restore = true,
				 .limits = { .min_domain = 256 * MiB } };
	struct mc_backend *b = mc_hv_mem_open(err, sizeof(err));
	struct mc_domain *d;
	struct mc_policy *p;
	struct mc_coord *c;

	(void)state;
	assert_non_null(b);
	d = add(b, "a", 1024);
	d->cur.unused = 700 * MiB;
	mc_hv_mem_host(b)->total = 16384 * MiB;
	mc_hv_mem_host(b)->free = 8192 * MiB;
	p = mc_policy_load(pol, NULL, 0, err, sizeof(err));
	assert_non_null(p);
	c = mc_coord_new(&cfg, b, p, NULL);
	assert_int_equal(mc_coord_sample(c), 0);		/* up to 2048 */
	d = mc_hv_mem_domain(b, "a");
	d->cur.unused = 1700 * MiB;
	d->cur.available = 2048 * MiB;
	for (int t = 1; t <= 4; t++) {			/* settles, then down */
		d->cur.last_update = 1 + t;
		mc_hv_mem_set_time(b, t);
		assert_int_equal(mc_coord_sample(c), 0);
	}
	assert_int_equal(actual_of(b, "a"), 512);
	d->cur.actual = 1800 * MiB;				/* seen late */
	d->cur.unused = 1500 * MiB;
	mc_hv_mem_set_time(b, 4.5);
	assert_int_equal(mc_coord_restore(c, 5, never, &r), 0);
	assert_int_equal(actual_of(b, "a"), 1024);
	assert_int_equal(r.halted, 1);
	assert_int_equal(r.grown, 0);
	mc_coord_free(c);
	b->ops->close(b);
	drop_temp(pol);
}

static void test_new_instance_not_restored(void **state)
{
	struct mc_coord_restored r;
	struct world w;

	(void)state;
	start(&w, 8192);
	mc_hv_mem_remove(w.b, "a");
	add(w.b, "a", 1024);
	assert_int_equal(mc_coord_restore(w.c, 5, NULL, &r), 0);
	assert_int_equal(actual(&w, "a"), 1024);
	assert_int_equal(r.grown, 0);
	finish(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_restores_what_it_shrank),
		cmocka_unit_test(test_held_by_host_budget),
		cmocka_unit_test(test_held_by_max),
		cmocka_unit_test(test_dry_run_restores_nothing),
		cmocka_unit_test(test_stop_and_deadline),
		cmocka_unit_test(test_second_sigterm_stops),
		cmocka_unit_test(test_new_instance_not_restored),
		cmocka_unit_test(test_shrink_in_flight_stopped_at_first_size),
	};

	mc_log_set_level(MC_LOG_WARN);
	return cmocka_run_group_tests_name("restore", tests, NULL, NULL);
}
