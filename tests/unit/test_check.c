/* test_check.c - `memcoord --check`: good policies pass, and each way of
 * being wrong fails on its own and is named in the report. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "check.h"
#include "testutil.h"

static const struct mc_limits limits = {
	.min_domain = 256 * MiB, .guest_reserve = 64 * MiB,
	.host_reserve = 1024 * MiB, .max_shrink = 256 * MiB, .deadband = 8 * MiB,
};

/* Runs the check on src; returns its status, *report the text (free it). */
static int check_src(const char *src, char **report)
{
	char *path = write_temp(src, ".lua");
	size_t len;
	FILE *out = open_memstream(report, &len);
	int rc;

	assert_non_null(out);
	rc = mc_check_run(path, NULL, 0, &limits, out);
	assert_int_equal(fclose(out), 0);
	drop_temp(path);
	return rc;
}

/* Runs fn with stdout sent to /dev/null: an expected failure's report
 * would read like a real one in the test log. */
static int quietly(int (*fn)(const struct mc_config *), const struct mc_config *cfg)
{
	int saved, null, rc;

	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	null = open("/dev/null", O_WRONLY);
	assert_true(saved >= 0 && null >= 0);
	dup2(null, STDOUT_FILENO);
	rc = fn(cfg);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	close(null);
	return rc;
}

static void test_good_policy_passes(void **state)
{
	char *report;
	/* Asks every guest with stats for its size plus 1 MiB, capped at max. */
	const char *src =
		"function decide(domains, host, ctx)\n"
		"  local t = {}\n"
		"  for _, d in ipairs(domains) do\n"
		"    if d.unused then t[d.name] = math.min(d.actual + 1024, d.max) end\n"
		"  end\n"
		"  return t\n"
		"end\n";

	(void)state;
	if (check_src(src, &report))
		fail_msg("a good policy failed:\n%s", report);
	assert_non_null(strstr(report, "OK: "));
	assert_non_null(strstr(report, "1000 domains"));
	assert_non_null(strstr(report, "ms CPU"));
	assert_null(strstr(report, "FAIL"));
	free(report);
}

/* Each bad policy does one thing wrong; the report must name it. */
static void test_bad_policies_fail(void **state)
{
	static const struct {
		const char *body;
		const char *expect;
	} cases[] = {
		{ "error('boom')", "decide() failed: " },
		{ "return 42", "not a table" },
		{ "return { ghost = 1 }", "\"ghost\": no such domain" },
		{ "return { [1] = 5 }", "not a string" },
		{ "local t = {} for _, x in ipairs(d) do t[x.name] = 'lots' end return t",
		  "not a finite number" },
		{ "local t = {} for _, x in ipairs(d) do t[x.name] = 0/0 end return t",
		  "not a finite number" },
		{ "local t = {} for _, x in ipairs(d) do t[x.name] = -1 end return t",
		  "negative" },
		{ "local t = {} for _, x in ipairs(d) do t[x.name] = x.max + 1 end return t",
		  "above its max" },
		/* Breaks only with history: the second call onwards. */
		{ "n = (n or 0) + 1 if n > 1 then error('second call') end return {}",
		  "second call" },
		/* Breaks only when a guest has no stats. */
		{ "for _, x in ipairs(d) do local _ = x.unused + 1 end return {}",
		  "arithmetic on a nil value" },
		{ "if c.reason == 'pressure' then return nil end return {}", "returned nil" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char src[512], *report;
		int rc;

		snprintf(src, sizeof(src), "function decide(d, h, c) %s end\n", cases[i].body);
		rc = check_src(src, &report);
		if (rc != 1 || !strstr(report, cases[i].expect) || !strstr(report, "FAIL: "))
			fail_msg("case %zu (%s): rc %d, want \"%s\" in:\n%s", i,
				 cases[i].body, rc, cases[i].expect, report);
		free(report);
	}
}

static void test_refused_policy_fails(void **state)
{
	char *report;

	(void)state;
	assert_int_equal(check_src("function decide(d, h, c) return {\n", &report), 1);
	assert_non_null(strstr(report, "does not load"));
	free(report);
}

/* Targets for guests without stats are harmless: a warning, not a failure. */
static void test_no_stats_target_warns(void **state)
{
	char *report;
	const char *src =
		"function decide(d, h, c)\n"
		"  local t = {}\n"
		"  for _, x in ipairs(d) do if not x.unused then t[x.name] = x.actual end end\n"
		"  return t\n"
		"end\n";

	(void)state;
	if (check_src(src, &report))
		fail_msg("warnings failed the check:\n%s", report);
	assert_non_null(strstr(report, "warn: booting: targeted without stats"));
	free(report);
}

/* The entry point main() calls: cfg's policy params reach the policy. */
static void test_main_uses_config(void **state)
{
	struct mc_kv params[] = { { "must_be", "7" } };
	char *path = write_temp(
		"function decide(d, h, c)\n"
		"  assert(c.params.must_be == 7, 'params not passed')\n"
		"  return {}\n"
		"end\n", ".lua");
	struct mc_config cfg = { 0 };
	int rc;

	(void)state;
	cfg.check = path;
	cfg.limits = limits;
	cfg.policy_params = params;
	cfg.npolicy_params = 1;
	rc = mc_check_main(&cfg);
	assert_int_equal(rc, 0);
	cfg.npolicy_params = 0;
	assert_int_equal(quietly(mc_check_main, &cfg), 1);
	drop_temp(path);
}

/* Every shipped policy passes its own check. */
static void test_shipped_policies_pass(void **state)
{
	static const char *const shipped[] = {
		"policies/target_unused.lua", "policies/starve_waste.lua",
		"policies/cagma.lua", "policies/proportional.lua",
		"policies/mom_balloon.lua",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(shipped) / sizeof(shipped[0]); i++) {
		char *report;
		size_t len;
		FILE *out = open_memstream(&report, &len);
		int rc;

		assert_non_null(out);
		rc = mc_check_run(shipped[i], NULL, 0, &limits, out);
		assert_int_equal(fclose(out), 0);
		if (rc)
			fail_msg("%s fails its check:\n%s", shipped[i], report);
		free(report);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_policy_passes),
		cmocka_unit_test(test_bad_policies_fail),
		cmocka_unit_test(test_refused_policy_fails),
		cmocka_unit_test(test_no_stats_target_warns),
		cmocka_unit_test(test_main_uses_config),
		cmocka_unit_test(test_shipped_policies_pass),
	};

	return cmocka_run_group_tests_name("check", tests, NULL, NULL);
}
