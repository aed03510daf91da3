/* test_config.c - the INI file and the command line, good and bad. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <sys/stat.h>

#include "config.h"
#include "inifile.h"
#include "testutil.h"

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
	assert_null(cfg.uri);	/* libvirt chooses, as virsh does */
	assert_true(cfg.period == 2.0 && cfg.sample == 1.0);
	assert_int_equal(cfg.limits.host_reserve, 1024 * MiB);
	assert_null(cfg.policy);
	mc_config_free(&cfg);
}

static void test_full_file(void **state)
{
	struct mc_config cfg;
	char err[256] = "", *path, *text;
	const struct mc_domain_conf *dc;
	/* The policy beside the file (both in /tmp), named relatively. */
	char *policy = write_temp("function decide() return {} end\n", ".lua");

	(void)state;
	assert_true(asprintf(&text,
		"; comment\n"
		"[libvirt]\nuri = test:///default\n"
		"[coordinator]\npolicy = %s\nperiod = 3\n"
		"sample = 0.5\ndry_run = yes\npressure_unused_mib = 32\n"
		"[limits]\nmin_domain_mib = 300\nguest_reserve_mib = 10\n"
		"host_reserve_mib = 2048\nguest_pool_mib = 9000\nmax_grow_mib = 500\n"
		"max_shrink_mib = 100\ndeadband_mib = 4\n"
		"[policy]\ntarget_unused_mib = 200\nmode = fast\n"
		"[domain \"web-*\"]\nmin_mib = 512\nmax_mib = 1024\nweight = 2\n"
		"[domain \"batch\"]\nexclude = yes\n"
		"[output]\ntrace = /tmp/t.csv\n", strrchr(policy, '/') + 1) > 0);
	assert_int_equal(load_ini(text, &cfg, err, sizeof(err), &path), MC_CONFIG_OK);
	free(text);
	assert_string_equal(cfg.policy, policy);
	drop_temp(policy);
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
	assert_true(dc->set.has_min_mib && dc->set.min_mib == 512 && dc->set.weight == 2);
	assert_int_equal(dc->nparams, 3);
	assert_true(mc_config_domain(&cfg, "batch")->set.exclude);
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

/* ---- lines, bytes and names the INI reader once cut or skipped ---- */

/* Like load_ini, for text that may hold NUL bytes. */
static enum mc_config_status load_bytes(const char *data, size_t len,
					struct mc_config *cfg, char *err,
					size_t errlen, char **path)
{
	int fd;

	*path = strdup("/tmp/mctest-XXXXXX.ini");
	fd = *path ? mkstemps(*path, 4) : -1;
	if (fd < 0 || write(fd, data, len) != (ssize_t)len)
		abort();
	close(fd);
	return load_args(cfg, err, errlen, 3, "-c", *path);
}

/* "[limits]\n", then a comment line: ";", k - 1 bytes, tail; then after. */
static char *long_comment(size_t k, const char *tail, const char *after)
{
	size_t n = 9 + k + strlen(tail) + 1 + strlen(after) + 1;
	char *text = malloc(n);

	assert_non_null(text);
	memcpy(text, "[limits]\n;", 10);
	memset(text + 10, 'c', k - 1);
	snprintf(text + 9 + k, n - 9 - k, "%s\n%s", tail, after);
	return text;
}

/* Loads len bytes of data as a config and asserts the refusal: a message
 * starting "path:line: " and holding want.  The message is left in err. */
static void refused(const char *data, size_t len, int line, const char *want,
		    char *err, size_t errlen)
{
	struct mc_config cfg;
	char where[128], *path;

	assert_int_equal(load_bytes(data, len, &cfg, err, errlen, &path), MC_CONFIG_ERROR);
	snprintf(where, sizeof(where), "%s:%d: ", path, line);
	if (strncmp(err, where, strlen(where)) || !strstr(err, want))
		fail_msg("got \"%s\", want \"%s...%s\"", err, where, want);
	mc_config_free(&cfg);
	drop_temp(path);
}

static void refused_text(const char *text, int line, const char *want)
{
	char err[512];

	refused(text, strlen(text), line, want, err, sizeof(err));
}

static void test_long_lines(void **state)
{
	struct mc_config cfg;
	char err[512] = "", *path, *text;

	(void)state;
	/* inih cut this comment after 199 bytes; its tail set the reserve to 0. */
	text = long_comment(199, "host_reserve_mib = 0", "");
	assert_int_equal(load_ini(text, &cfg, err, sizeof(err), &path), MC_CONFIG_OK);
	assert_int_equal(cfg.limits.host_reserve, 1024 * MiB);
	mc_config_free(&cfg);
	drop_temp(path);
	free(text);
	/* Past the limit: refused whole, with the line it is on. */
	text = long_comment(5000, "host_reserve_mib = 0", "");
	refused_text(text, 2, "line longer than 4096 bytes");
	free(text);
	/* Line numbers count lines, not 200-byte pieces. */
	text = long_comment(1000, "", "this line is wrong\n");
	refused_text(text, 3, "syntax error");
	free(text);
}

static void test_long_section_names(void **state)
{
	struct mc_config cfg;
	char err[512] = "", *path, name[301], text[512];
	const struct mc_domain_conf *dc;

	(void)state;
	memset(name, 'n', 300);
	name[300] = '\0';
	snprintf(text, sizeof(text), "[domain \"%s\"]\nmin_mib = 300\n"
		 "[domain \"web-[0-9]\"]\nmax_mib = 700\n", name);
	assert_int_equal(load_ini(text, &cfg, err, sizeof(err), &path), MC_CONFIG_OK);
	dc = mc_config_domain(&cfg, name);
	assert_non_null(dc);
	assert_int_equal(dc->set.min_mib, 300);
	name[299] = '\0';	/* a cut name is another name */
	assert_null(mc_config_domain(&cfg, name));
	dc = mc_config_domain(&cfg, "web-7");	/* a glob's ] is not the end */
	assert_non_null(dc);
	assert_int_equal(dc->set.max_mib, 700);
	mc_config_free(&cfg);
	drop_temp(path);
}

static void test_nul_and_control_bytes(void **state)
{
	static const char zeros[4096];
	static const char nul_inside[] = "[limits]\ndeadband_mib = 4\0\nhost_reserve_mib = 0\n";
	struct mc_config cfg;
	char err[512] = "", *path;

	(void)state;
	/* A zero-filled file read as empty: every default, exclude dropped. */
	refused(zeros, sizeof(zeros), 1, "NUL byte at column 1", err, sizeof(err));
	refused(nul_inside, sizeof(nul_inside) - 1, 2, "NUL byte at column 17",
		err, sizeof(err));
	refused_text("[limits]\ndeadband_mib = 4\x1b[2J\n", 2, "control character 0x1b");
	refused_text("[limits]\ndeadband_mib = 4\rmax_grow_mib = 9\n", 2,
		     "control character 0x0d");
	assert_int_equal(load_ini("[limits]\r\ndeadband_mib = 4\r\n", &cfg, err,
				  sizeof(err), &path), MC_CONFIG_OK);	/* CRLF is fine */
	mc_config_free(&cfg);
	drop_temp(path);
}

/* 1 when s has a C0 control byte or DEL. */
static int has_raw_bytes(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;

	for (; *u; u++)
		if (*u < 0x20 || *u == 0x7f)
			return 1;
	return 0;
}

static void test_errors_escaped(void **state)
{
	static const char c1_key[] = "[limits]\n\xc2\x9b" "2J\xff\xfe = 1\n";
	static const char bad_section[] = "[\xe2\x80\xae\xc0\xaf]\n";
	struct mc_config cfg;
	char err[512] = "";

	(void)state;
	/* Not refused as control bytes (C1 and invalid UTF-8), but quoted. */
	refused(c1_key, sizeof(c1_key) - 1, 2, "[limits] \\xc2\\x9b2J\\xff\\xfe: unknown key",
		err, sizeof(err));
	assert_false(has_raw_bytes(err));
	refused(bad_section, sizeof(bad_section) - 1, 1,
		"[\\xe2\\x80\\xae\\xc0\\xaf]: unknown section", err, sizeof(err));
	assert_int_equal(load_args(&cfg, err, sizeof(err), 3, "-i", "\x1b]0;pwned\x07"),
			 MC_CONFIG_ERROR);
	assert_non_null(strstr(err, "'\\x1b]0;pwned\\x07'"));
	assert_false(has_raw_bytes(err));
	mc_config_free(&cfg);
}

/* mc_ini_escape() and the log share one escaper: \n, \r and \t by name;
 * escaping twice changes nothing; a cut never splits an escape or a
 * UTF-8 sequence. */
static void test_escape_rules(void **state)
{
	char twice[64] = "a\nb\tc\x1b\xe2\x80\xae", once[64];
	char cut_esc[5] = "ab\x1b", cut_utf8[8] = "ab\x1b\xc3\xa9";

	(void)state;
	mc_ini_escape(twice, sizeof(twice));
	assert_string_equal(twice, "a\\nb\\tc\\x1b\\xe2\\x80\\xae");
	strcpy(once, twice);
	mc_ini_escape(twice, sizeof(twice));
	assert_string_equal(twice, once);
	mc_ini_escape(cut_esc, sizeof(cut_esc));
	assert_string_equal(cut_esc, "ab");
	mc_ini_escape(cut_utf8, sizeof(cut_utf8));
	assert_string_equal(cut_utf8, "ab\\x1b");	/* 6 bytes, not 8 */
}

static void test_not_regular_files(void **state)
{
	struct mc_config cfg;
	char err[512] = "", dir[] = "/tmp/mctest-fifo-XXXXXX", fifo[64];

	(void)state;
	/* Both used to hang: /dev/zero never ends, a FIFO's open waits. */
	assert_int_equal(load_args(&cfg, err, sizeof(err), 3, "-c", "/dev/zero"),
			 MC_CONFIG_ERROR);
	assert_non_null(strstr(err, "/dev/zero: not a regular file"));
	mc_config_free(&cfg);
	assert_non_null(mkdtemp(dir));
	snprintf(fifo, sizeof(fifo), "%s/f", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(load_args(&cfg, err, sizeof(err), 3, "-c", fifo), MC_CONFIG_ERROR);
	assert_non_null(strstr(err, "not a regular file"));
	mc_config_free(&cfg);
	unlink(fifo);
	rmdir(dir);
}

static void test_mode_conflicts(void **state)
{
	static const char *const solo[][3] = {
		{ "--report", "/tmp/r.json", "--report needs --simulate" },
		{ "--plot", "/tmp/p.png", "--plot needs --simulate" },
		{ "--realtime", NULL, "--realtime needs --simulate" },
		{ "--duration", "60", "--duration needs --simulate" },
	};
	struct mc_config cfg;
	char err[256] = "";
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(solo) / sizeof(solo[0]); i++) {
		assert_int_equal(load_args(&cfg, err, sizeof(err), solo[i][1] ? 3 : 2,
					   solo[i][0], solo[i][1]), MC_CONFIG_ERROR);
		assert_string_equal(err, solo[i][2]);
		mc_config_free(&cfg);
	}
	assert_int_equal(load_args(&cfg, err, sizeof(err), 4, "--simulate", "s.ini",
				   "--once"), MC_CONFIG_ERROR);
	assert_string_equal(err, "--once means nothing with --simulate");
	mc_config_free(&cfg);
	/* Nothing is silently ignored: flags outside their mode, or twice. */
	assert_int_equal(load_args(&cfg, err, sizeof(err), 5, "--check", "p.lua",
				   "--trace", "t.csv"), MC_CONFIG_ERROR);
	assert_string_equal(err, "--trace means nothing with --check");
	mc_config_free(&cfg);
	assert_int_equal(load_args(&cfg, err, sizeof(err), 5, "--simulate", "s.ini",
				   "-u", "qemu:///system"), MC_CONFIG_ERROR);
	assert_string_equal(err, "-u means nothing with --simulate");
	mc_config_free(&cfg);
	assert_int_equal(load_args(&cfg, err, sizeof(err), 5, "--trace", "a.csv",
				   "--trace", "b.csv"), MC_CONFIG_ERROR);
	assert_string_equal(err, "--trace given twice");
	mc_config_free(&cfg);
	assert_int_equal(load_args(&cfg, err, sizeof(err), 5, "--simulate", "s.ini",
				   "--duration", "1e9"), MC_CONFIG_ERROR);
	assert_non_null(strstr(err, "--duration: '1e9'"));
	mc_config_free(&cfg);
	assert_int_equal(load_args(&cfg, err, sizeof(err), 7, "--simulate", "s.ini",
				   "--duration", "604800", "--report", "/tmp/r.json"),
			 MC_CONFIG_OK);
	mc_config_free(&cfg);
}

/* ---- issue 13 item 9: paths in the file are relative to the file ---- */

/* Writes text to dir/name; dir must exist. */
static void write_in(const char *dir, const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

static void remove_in(const char *dir, const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(unlink(path), 0);
}

/* policy, trace, metrics and events named relatively in a config file
 * resolve against the file's directory (the working directory is / under
 * systemd); absolute ones stay; a flag still resolves against the cwd. */
static void test_paths_beside_the_file(void **state)
{
	char dir[] = "/tmp/mcconf-XXXXXX", ini[64], err[256] = "";
	struct mc_config cfg;

	(void)state;
	assert_non_null(mkdtemp(dir));
	write_in(dir, "p.lua", "function decide() return {} end\n");
	write_in(dir, "mc.ini", "[coordinator]\npolicy = p.lua\n"
		 "[output]\ntrace = out/t.csv\nmetrics = m.prom\n"
		 "events = /var/log/e.jsonl\n");
	snprintf(ini, sizeof(ini), "%s/mc.ini", dir);
	assert_int_equal(load_args(&cfg, err, sizeof(err), 3, "-c", ini), MC_CONFIG_OK);
	assert_true(!strncmp(cfg.policy, dir, strlen(dir)) &&
		    !strcmp(cfg.policy + strlen(dir), "/p.lua"));
	assert_string_equal(cfg.trace + strlen(dir), "/out/t.csv");
	assert_string_equal(cfg.metrics + strlen(dir), "/m.prom");
	assert_string_equal(cfg.events, "/var/log/e.jsonl");
	mc_config_free(&cfg);
	assert_int_equal(load_args(&cfg, err, sizeof(err), 5, "-c", ini,
				   "--trace", "t.csv"), MC_CONFIG_OK);
	assert_string_equal(cfg.trace, "t.csv");
	mc_config_free(&cfg);
	remove_in(dir, "p.lua");
	remove_in(dir, "mc.ini");
	assert_int_equal(rmdir(dir), 0);
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
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_long_section_names),
		cmocka_unit_test(test_nul_and_control_bytes),
		cmocka_unit_test(test_errors_escaped),
		cmocka_unit_test(test_escape_rules),
		cmocka_unit_test(test_not_regular_files),
		cmocka_unit_test(test_mode_conflicts),
		cmocka_unit_test(test_paths_beside_the_file),
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
