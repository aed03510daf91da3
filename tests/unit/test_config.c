/* test_config.c - the INI file and the command line, good and bad. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "config.h"
#include "testutil.h"

#define MiB 1024ULL

static enum mc_config_status load_args(struct mc_config *cfg, char *err,
				       size_t errlen, int argc, ...)
{
	char *argv[16];
	va_list ap;
	int i;

	va_start(ap, argc);
	argv[0] = "memcoord";
	for (i = 1; i < argc; i++)
		argv[i] = va_arg(ap, char *);
	argv[argc] = NULL;
	va_end(ap);
	memset(cfg, 0, sizeof(*cfg));
	return mc_config_load(cfg, argc, argv, err, errlen);
}

/* Loads ini text; returns the status and leaves the error in err. */
static enum mc_config_status load_ini(const char *text, struct mc_config *cfg,
				      char *err, size_t errlen, char **path)
{
	enum mc_config_status st;

	*path = write_temp(text, ".ini");
	st = load_args(cfg, err, errlen, 3, "-c", *path);
	return st;
}

static void test_defaults(void **state)
{
	struct mc_config cfg;
	char err[256] = "";

	(void)state;
	assert_int_equal(load_args(&cfg, err, sizeof(err), 1), MC_CONFIG_OK);
	assert_string_equal(cfg.uri, "qemu:///system");
	assert_true(cfg.period == 2.0 && cfg.sample == 1.0);
	assert_int_equal(cfg.limits.host_reserve, 1024 * MiB);
	assert_null(cfg.policy);
	mc_config_free(&cfg);
}

static void test_full_file(void **state)
{
	struct mc_config cfg;
	char err[256] = "", *path;
	const struct mc_domain_conf *dc;

	(void)state;
	assert_int_equal(load_ini(
		"; comment\n"
		"[libvirt]\nuri = test:///default\n"
		"[coordinator]\npolicy = policies/balance_unused.lua\nperiod = 3\n"
		"sample = 0.5\ndry_run = yes\npressure_unused_mib = 32\n"
		"[limits]\nmin_domain_mib = 300\nguest_reserve_mib = 10\n"
		"host_reserve_mib = 2048\nguest_pool_mib = 9000\nmax_grow_mib = 500\n"
		"max_shrink_mib = 100\ndeadband_mib = 4\n"
		"[policy]\ntarget_unused_mib = 200\nmode = fast\n"
		"[domain \"web-*\"]\nmin_mib = 512\nmax_mib = 1024\nweight = 2\n"
		"[domain \"batch\"]\nexclude = yes\n"
		"[output]\ntrace = /tmp/t.csv\n",
		&cfg, err, sizeof(err), &path), MC_CONFIG_OK);
	assert_string_equal(cfg.uri, "test:///default");
	assert_true(cfg.period == 3.0 && cfg.sample == 0.5 && cfg.dry_run);
	assert_int_equal(cfg.pressure_unused_mib, 32);
	assert_int_equal(cfg.limits.min_domain, 300 * MiB);
	assert_int_equal(cfg.limits.guest_pool, 9000 * MiB);
	assert_int_equal(cfg.limits.max_grow, 500 * MiB);
	assert_int_equal(cfg.limits.deadband, 4 * MiB);
	assert_int_equal(cfg.npolicy_params, 2);
	assert_string_equal(cfg.policy_params[1].value, "fast");
	dc = mc_config_domain(&cfg, "web-7");
	assert_non_null(dc);
	assert_int_equal(dc->min_mib, 512);
	assert_int_equal(dc->nparams, 3);
	assert_true(mc_config_domain(&cfg, "batch")->exclude);
	assert_null(mc_config_domain(&cfg, "db"));
	assert_string_equal(cfg.trace, "/tmp/t.csv");
	mc_config_free(&cfg);
	drop_temp(path);
}

/* Each bad file: the error names file:line, section and key. */
static void test_bad_files(void **state)
{
	static const struct {
		const char *text;
		int line;
		const char *expect;
	} cases[] = {
		{ "[limits]\nmax_grow_mib = lots\n", 2, "[limits] max_grow_mib: 'lots' is not a size" },
		{ "[limits]\nmax_grow_mib = -5\n", 2, "max_grow_mib" },
		{ "[limits]\nmax_grow_mib = 99999999999\n", 2, "max_grow_mib" },
		{ "[limits]\nbogus = 1\n", 2, "[limits] bogus: unknown key" },
		{ "[nosuch]\nx = 1\n", 1, "[nosuch]: unknown section" },
		{ "[coordinator]\nperiod = 2\n\nperiod = 3\n", 4, "period: set twice" },
		{ "[coordinator]\nperiod = 0\n", 2, "period: '0' is not a number of seconds" },
		{ "[coordinator]\nperiod = 2 # two\n", 2, "period" },
		{ "[coordinator]\ndry_run = maybe\n", 2, "dry_run: 'maybe' is not yes or no" },
		{ "x = 1\n", 1, "key outside any section" },
		{ "[limits]\nthis line is wrong\n", 2, "syntax error" },
		{ "[limits\n", 1, "syntax error" },
		{ "[domain \"a\"]\nmin_mib = 900\nmax_mib = 800\n", 3, "min_mib 900 is above max_mib 800" },
		{ "[domain \"a\"]\nweight = heavy\n", 2, "weight" },
		{ "[libvirt]\nuri =\n", 2, "uri: empty value" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mc_config cfg;
		char err[256] = "", *path, where[128];

		assert_int_equal(load_ini(cases[i].text, &cfg, err, sizeof(err), &path),
				 MC_CONFIG_ERROR);
		snprintf(where, sizeof(where), "%s:%d: ", path, cases[i].line);
		if (strncmp(err, where, strlen(where)) || !strstr(err, cases[i].expect))
			fail_msg("case %zu: got \"%s\", want \"%s...%s\"", i, err,
				 where, cases[i].expect);
		mc_config_free(&cfg);
		drop_temp(path);
	}
}

static void test_file_level_errors(void **state)
{
	struct mc_config cfg;
	char err[256] = "", *path;

	(void)state;
	assert_int_equal(load_args(&cfg, err, sizeof(err), 3, "-c", "/nonexistent.ini"),
			 MC_CONFIG_ERROR);
	assert_non_null(strstr(err, "/nonexistent.ini: cannot open"));
	mc_config_free(&cfg);
	assert_int_equal(load_args(&cfg, err, sizeof(err), 3, "-c", "/tmp"),
			 MC_CONFIG_ERROR);
	assert_non_null(strstr(err, "/tmp: is a directory"));
	mc_config_free(&cfg);
	assert_int_equal(load_ini("[coordinator]\npolicy = /no/such.lua\n",
				  &cfg, err, sizeof(err), &path), MC_CONFIG_ERROR);
	assert_non_null(strstr(err, "/no/such.lua"));
	mc_config_free(&cfg);
	drop_temp(path);
	assert_int_equal(load_ini("[coordinator]\nperiod = 1\nsample = 2\n",
				  &cfg, err, sizeof(err), &path), MC_CONFIG_ERROR);
	assert_non_null(strstr(err, "sample"));
	mc_config_free(&cfg);
	drop_temp(path);
}

static void test_flags_override_file(void **state)
{
	struct mc_config cfg;
	char err[256] = "", *path = write_temp(
		"[coordinator]\nperiod = 5\n[libvirt]\nuri = qemu:///x\n", ".ini");

	(void)state;
	assert_int_equal(load_args(&cfg, err, sizeof(err), 10, "-i", "3", "-c", path,
				   "-u", "test:///default", "-n", "--once", "-q"),
			 MC_CONFIG_OK);
	assert_true(cfg.period == 3.0);
	assert_string_equal(cfg.uri, "test:///default");
	assert_true(cfg.dry_run && cfg.once);
	assert_int_equal(cfg.verbosity, -1);
	mc_config_free(&cfg);
	drop_temp(path);
}

static void test_bad_flags(void **state)
{
	struct mc_config cfg;
	char err[256] = "";

	(void)state;
	assert_int_equal(load_args(&cfg, err, sizeof(err), 3, "-i", "soon"), MC_CONFIG_ERROR);
	assert_non_null(strstr(err, "-i: 'soon'"));
	mc_config_free(&cfg);
	assert_int_equal(load_args(&cfg, err, sizeof(err), 2, "--bogus"), MC_CONFIG_ERROR);
	assert_non_null(strstr(err, "--bogus"));
	mc_config_free(&cfg);
	assert_int_equal(load_args(&cfg, err, sizeof(err), 2, "-p"), MC_CONFIG_ERROR);
	mc_config_free(&cfg);
	assert_int_equal(load_args(&cfg, err, sizeof(err), 2, "stray"), MC_CONFIG_ERROR);
	mc_config_free(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_full_file),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_file_level_errors),
		cmocka_unit_test(test_flags_override_file),
		cmocka_unit_test(test_bad_flags),
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
