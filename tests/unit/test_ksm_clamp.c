/* test_ksm_clamp.c - the rules between a policy's KSM settings and the
 * host, rule by rule: off by default, nothing on a host without KSM or to
 * a file that refused, no non-numbers, run only 0 or 1, bounds, and no
 * write of a value the kernel has already; and the [host] keys that set
 * them, as the config reads them and the documents show them. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "config.h"
#include "ksm_clamp.h"
#include "testutil.h"

static const struct mc_ksm host = { .have = true, .v = {
	[MC_KSM_RUN] = 0, [MC_KSM_PAGES_TO_SCAN] = 100, [MC_KSM_SLEEP_MILLISECS] = 20 } };

static const struct mc_ksm_limits on = { .on = true,
	.pages_to_scan_min = 64, .pages_to_scan_max = 1250,
	.sleep_millisecs_min = 10, .sleep_millisecs_max = 1000 };

static struct mc_ksm_request ask(double run, double pages, double sleep)
{
	struct mc_ksm_request r = { 0 };

	if (!isnan(run))
		r.set |= 1u << MC_KSM_RUN, r.v[MC_KSM_RUN] = run;
	if (!isnan(pages))
		r.set |= 1u << MC_KSM_PAGES_TO_SCAN, r.v[MC_KSM_PAGES_TO_SCAN] = pages;
	if (!isnan(sleep))
		r.set |= 1u << MC_KSM_SLEEP_MILLISECS, r.v[MC_KSM_SLEEP_MILLISECS] = sleep;
	return r;
}

static void writes_what_changes(void **state)
{
	struct mc_ksm_request r = ask(1, 300, 20);
	struct mc_ksm_plan p;

	(void)state;
	mc_ksm_clamp(&host, &r, &on, &p);
	assert_int_equal(p.n, 2);
	assert_int_equal(p.c[0].field, MC_KSM_RUN);
	assert_true(p.c[0].from == 0 && p.c[0].to == 1);
	assert_int_equal(p.c[1].field, MC_KSM_PAGES_TO_SCAN);
	assert_true(p.c[1].from == 100 && p.c[1].to == 300 && p.c[1].rules == 0);
	assert_int_equal(p.dropped, MC_KSM_CLAMP_UNCHANGED);	/* sleep */
}

/* [host] ksm = off, the default: whatever is asked, nothing. */
static void off_writes_nothing(void **state)
{
	struct mc_ksm_limits off = on;
	struct mc_ksm_request r = ask(1, 300, 50);
	struct mc_ksm_plan p;

	(void)state;
	off.on = false;
	mc_ksm_clamp(&host, &r, &off, &p);
	assert_int_equal(p.n, 0);
	assert_int_equal(p.dropped, MC_KSM_CLAMP_OFF);
	r = ask(NAN, NAN, NAN);			/* nothing asked: nothing said */
	mc_ksm_clamp(&host, &r, &off, &p);
	assert_int_equal(p.dropped, 0);
}

static void no_ksm_writes_nothing(void **state)
{
	struct mc_ksm none = { 0 };
	struct mc_ksm_request r = ask(1, NAN, NAN);
	struct mc_ksm_plan p;

	(void)state;
	mc_ksm_clamp(&none, &r, &on, &p);
	assert_int_equal(p.n, 0);
	assert_int_equal(p.dropped, MC_KSM_CLAMP_NO_KSM);
}

static void unwritable_is_left_alone(void **state)
{
	struct mc_ksm cur = host;
	struct mc_ksm_request r = ask(1, 300, NAN);
	struct mc_ksm_plan p;

	(void)state;
	cur.unwritable = 1u << MC_KSM_RUN;
	mc_ksm_clamp(&cur, &r, &on, &p);
	assert_int_equal(p.n, 1);
	assert_int_equal(p.c[0].field, MC_KSM_PAGES_TO_SCAN);
	assert_int_equal(p.dropped, MC_KSM_CLAMP_UNWRITABLE);
}

/* NaN, infinities and negatives are dropped; 2 (unmerge) and any other
 * run are refused. */
static void bad_values_dropped(void **state)
{
	static const double runs[] = { 2, 0.5, 3, 1e6 };
	struct mc_ksm_request r;
	struct mc_ksm_plan p;
	size_t i;

	(void)state;
	r = ask(NAN, NAN, NAN);
	r.set = (1u << MC_KSM_PAGES_TO_SCAN) | (1u << MC_KSM_SLEEP_MILLISECS);
	r.v[MC_KSM_PAGES_TO_SCAN] = NAN;
	r.v[MC_KSM_SLEEP_MILLISECS] = -INFINITY;
	mc_ksm_clamp(&host, &r, &on, &p);
	assert_int_equal(p.n, 0);
	assert_int_equal(p.dropped, MC_KSM_CLAMP_NOTNUM);
	r = ask(NAN, 1e300, -5);
	mc_ksm_clamp(&host, &r, &on, &p);
	assert_int_equal(p.n, 0);
	assert_int_equal(p.dropped, MC_KSM_CLAMP_NOTNUM);
	for (i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
		r = ask(runs[i], NAN, NAN);
		mc_ksm_clamp(&host, &r, &on, &p);
		assert_int_equal(p.n, 0);
		assert_int_equal(p.dropped, MC_KSM_CLAMP_RUN);
	}
}

/* Outside the [host] bounds: written at the bound, and said so. */
static void bounds_hold(void **state)
{
	struct mc_ksm_request r = ask(NAN, 100000, 1);
	struct mc_ksm_plan p;

	(void)state;
	mc_ksm_clamp(&host, &r, &on, &p);
	assert_int_equal(p.n, 2);
	assert_true(p.c[0].to == 1250 && p.c[0].asked == 100000);
	assert_true(p.c[1].to == 10);
	assert_int_equal(p.c[0].rules, MC_KSM_CLAMP_RANGE);
	assert_int_equal(p.changed, MC_KSM_CLAMP_RANGE);
	r = ask(NAN, 1, NAN);
	mc_ksm_clamp(&host, &r, &on, &p);
	assert_true(p.n == 1 && p.c[0].to == 64);
}

static void names_print(void **state)
{
	char buf[64];

	(void)state;
	assert_string_equal(mc_ksm_clamp_rules_str(MC_KSM_CLAMP_OFF | MC_KSM_CLAMP_RANGE,
						   buf, sizeof(buf)), "off+range");
}

/* ---- [host]: the config keys, from MC_KSM_LIMITS ---- */

static enum mc_config_status load(const char *text, struct mc_config *cfg,
				  char *err, size_t errlen)
{
	char *path = write_temp(text, ".ini");
	char *argv[] = { "memcoord", "-c", path, NULL };
	enum mc_config_status st;

	memset(cfg, 0, sizeof(*cfg));
	/* The whole load: the min/max cross-check runs after the file. */
	st = mc_config_load(cfg, 3, argv, err, errlen);
	drop_temp(path);
	return st;
}

static void config_keys(void **state)
{
	struct mc_config cfg;
	char err[256];

	(void)state;
	assert_int_equal(load("[limits]\n", &cfg, err, sizeof(err)), MC_CONFIG_OK);
	assert_false(cfg.ksm.on);		/* off unless configured */
	assert_int_equal(cfg.ksm.pages_to_scan_max, 1250);
	mc_config_free(&cfg);
	assert_int_equal(load("[host]\nksm = on\nksm_pages_to_scan_max = 500\n"
			      "ksm_sleep_millisecs_min = 50\n", &cfg, err, sizeof(err)),
			 MC_CONFIG_OK);
	assert_true(cfg.ksm.on);
	assert_int_equal(cfg.ksm.pages_to_scan_max, 500);
	assert_int_equal(cfg.ksm.pages_to_scan_min, 64);
	assert_int_equal(cfg.ksm.sleep_millisecs_min, 50);
	mc_config_free(&cfg);
}

static void config_errors(void **state)
{
	static const struct {
		const char *text, *want;
	} bad[] = {
		{ "[host]\nksm = maybe\n", ":2: [host] ksm: 'maybe' is not on or off" },
		{ "[host]\nksm_pages_to_scan_min = 0\n", ":2: [host] ksm_pages_to_scan_min: '0' is not a whole number" },
		{ "[host]\nksm_sleep_millisecs_max = 10s\n", ":2: [host] ksm_sleep_millisecs_max" },
		{ "[host]\nksm_run = 1\n", ":2: [host] ksm_run: unknown key" },
		{ "[host]\nksm_pages_to_scan_min = 2000\n", "a ksm_*_min is above its ksm_*_max" },
	};
	struct mc_config cfg;
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(load(bad[i].text, &cfg, err, sizeof(err)), MC_CONFIG_ERROR);
		if (!strstr(err, bad[i].want))
			fail_msg("'%s': got '%s'", bad[i].text, err);
		mc_config_free(&cfg);
	}
}

/* Each key and default is written the same in conf/memcoord.ini, the
 * README's table and memcoord.ini(5): the list is the source. */
static void config_documented(void **state)
{
	static const struct { const char *key; unsigned def; } keys[] = {
#define KSM_DOC(field, key, def, what) { key, def },
		MC_KSM_LIMITS(KSM_DOC)
#undef KSM_DOC
	};
	char want[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		snprintf(want, sizeof(want), "%s = %u\n", keys[i].key, keys[i].def);
		assert_int_equal(count_lines("conf/memcoord.ini", want), 1);
		snprintf(want, sizeof(want), "| `%s` | %u |", keys[i].key, keys[i].def);
		assert_int_equal(count_lines("README.md", want), 1);
		snprintf(want, sizeof(want), ".B %s\n", keys[i].key);
		assert_int_equal(count_lines("dist/memcoord.ini.5", want), 1);
		snprintf(want, sizeof(want), "Default: %u.\n", keys[i].def);
		assert_true(count_lines("dist/memcoord.ini.5", want) >= 1);
	}
	assert_int_equal(count_lines("conf/memcoord.ini", "ksm = off\n"), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(writes_what_changes),
		cmocka_unit_test(off_writes_nothing),
		cmocka_unit_test(no_ksm_writes_nothing),
		cmocka_unit_test(unwritable_is_left_alone),
		cmocka_unit_test(bad_values_dropped),
		cmocka_unit_test(bounds_hold),
		cmocka_unit_test(names_print),
		cmocka_unit_test(config_keys),
		cmocka_unit_test(config_errors),
		cmocka_unit_test(config_documented),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
