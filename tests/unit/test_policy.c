/* test_policy.c - the Lua bridge: what goes in, what comes back, and what a
 * broken or hostile policy cannot do. */
#include <math.h>
#include <stdbool.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ksm.h"
#include "log.h"
#include "policy.h"
#include "testutil.h"

static struct mc_kv params[] = {
	{ "target_unused_mib", "200" }, { "mode", "fast" },
};
static struct mc_kv dparams[] = { { "weight", "2.5" } };

static void make_snapshot(struct mc_snapshot *s)
{
	struct mc_domain *d;

	mc_snapshot_init(s);
	d = mc_snapshot_add(s, "vm1");
	snprintf(d->uuid, sizeof(d->uuid), "11111111-2222-3333-4444-555555555555");
	d->id = 7;
	d->track.max = 2048 * MiB;
	d->track.min = 256 * MiB;
	d->cur = (struct mc_memstats){ .actual = 512 * MiB, .unused = 300 * MiB,
		.available = 500 * MiB, .usable = 320 * MiB, .swap_out = 3,
		.major_fault = 9, .last_update = 1234, .have_stats = true };
	d->track.prev = d->cur;
	d->track.prev.unused = 310 * MiB;
	d->track.have_prev = true;
	d->track.params = dparams;
	d->track.nparams = 1;
	d->vmem = (struct mc_vmem){ .have = true, .base = 256 * MiB, .size = 4096 * MiB,
		.block = 2 * MiB, .requested = 256 * MiB, .plugged = 256 * MiB };
	d = mc_snapshot_add(s, "vm2");	/* no stats yet */
	d->track.max = 1024 * MiB;
	d->cur.actual = 512 * MiB;
	mc_snapshot_sort(s);
	s->host = (struct mc_host){ .total = 16384 * MiB, .free = 8192 * MiB,
		.reserve = 1024 * MiB, .growable = 7168 * MiB };
	s->host.pressure = (struct mc_host_pressure){
		.have_available = true, .available = 9000 * MiB,
		.psi = { .have = true, .some = { 1.5, 0.5 }, .full = { 0.25, 0.125 } },
		.machine_psi = { .have = true, .some = { 3, 2 }, .full = { 1, 0.75 } },
	};
	s->host.ksm = (struct mc_ksm){ .have = true, .v = { [MC_KSM_RUN] = 1,
		[MC_KSM_PAGES_SHARING] = 4096, [MC_KSM_PAGES_TO_SCAN] = 100,
		[MC_KSM_SLEEP_MILLISECS] = 20 } };
}

static const struct mc_policy_ctx ctx = {
	.period = 2, .elapsed = 2, .tick = 5, .reason = "period",
};

/* Loads src; fails the test with Lua's message if it does not load. */
static struct mc_policy *load_src(const char *src, char **path)
{
	char err[512];
	struct mc_policy *p;

	*path = write_temp(src, ".lua");
	p = mc_policy_load(*path, params, 2, err, sizeof(err));
	if (!p)
		fail_msg("load failed: %s", err);
	return p;
}

/* Runs decide() once; returns its status, err holds the message. */
static int decide_once(const char *src, struct mc_proposals *out, char *err,
		       size_t errlen)
{
	struct mc_snapshot s;
	char *path;
	struct mc_policy *p = load_src(src, &path);
	int rc;

	make_snapshot(&s);
	rc = mc_policy_decide(p, &s, &ctx, out, err, errlen);
	mc_policy_close(p);
	mc_snapshot_free(&s);
	drop_temp(path);
	return rc;
}

/* Runs src, whose checks raise when they fail; returns how many targets
 * it answered. */
static size_t decide_ok(const char *src)
{
	struct mc_proposals out = { 0 };
	char err[512] = "";
	size_t n;

	if (decide_once(src, &out, err, sizeof(err)))
		fail_msg("%s", err);
	n = out.n;
	mc_proposals_free(&out);
	return n;
}

static void test_fields_passed(void **state)
{
	/* Every check failing raises, so the call fails with the line. */
	const char *src =
		"function decide(domains, host, ctx)\n"
		"  local a, b = domains[1], domains[2]\n"
		"  assert(#domains == 2 and a.name == 'vm1' and b.name == 'vm2')\n"
		"  assert(a.actual == 512*1024 and a.unused == 300*1024)\n"
		"  assert(a.available == 500*1024 and a.usable == 320*1024)\n"
		"  assert(a.max == 2048*1024 and a.min == 256*1024 and a.id == 7)\n"
		"  assert(a.uuid == '11111111-2222-3333-4444-555555555555')\n"
		"  assert(a.swap_out == 3 and a.major_fault == 9)\n"
		"  assert(a.prev.unused == 310*1024 and a.prev.prev == nil)\n"
		"  assert(a.params.weight == 2.5)\n"
		"  assert(b.unused == nil and b.prev == nil and b.actual == 512*1024)\n"
		"  assert(a.lever == 'virtio-mem' and a.vmem.block == 2048 and a.vmem.base == 256*1024)\n"
		"  assert(a.vmem.size == 4096*1024 and a.vmem.plugged == 256*1024)\n"
		"  assert(b.lever == 'balloon' and b.vmem == nil)\n"
		"  assert(host.total == 16384*1024 and host.free == 8192*1024)\n"
		"  assert(host.reserve == 1024*1024 and host.growable == 7168*1024)\n"
		"  assert(host.available == 9000*1024)\n"
		"  assert(host.psi.some.avg10 == 1.5 and host.psi.some.avg60 == 0.5)\n"
		"  assert(host.psi.full.avg10 == 0.25 and host.psi.full.avg60 == 0.125)\n"
		"  assert(host.machine_psi.some.avg10 == 3 and host.machine_psi.full.avg60 == 0.75)\n"
		"  assert(host.ksm.run == 1 and host.ksm.pages_sharing == 4096)\n"
		"  assert(host.ksm.pages_to_scan == 100 and host.ksm.sleep_millisecs == 20)\n"
		"  assert(host.ksm.pages_shared == 0 and host.ksm.full_scans == 0)\n"
		"  assert(ctx.period == 2 and ctx.elapsed == 2 and ctx.tick == 5)\n"
		"  assert(ctx.reason == 'period' and ctx.params.target_unused_mib == 200)\n"
		"  assert(ctx.params.mode == 'fast' and type(ctx.log) == 'function')\n"
		"  ctx.log('checked %d domains', #domains)\n"
		"  return { vm1 = a.actual + 1024, vm2 = 600*1024 }\n"
		"end\n";

	(void)state;
	assert_int_equal(decide_ok(src), 2);
}

/* A backend that reads no pressure (remote libvirt, a host without PSI):
 * the fields are nil, not a 0 that would read as "calm". */
static void test_host_pressure_absent_is_nil(void **state)
{
	struct mc_proposals out = { 0 };
	struct mc_snapshot s;
	char *path, err[512] = "";
	struct mc_policy *p = load_src(
		"function decide(domains, host, ctx)\n"
		"  assert(host.available == nil and host.psi == nil)\n"
		"  assert(host.machine_psi == nil and host.free == 8192*1024)\n"
		"  assert(host.ksm == nil)\n"
		"  return {}\n"
		"end\n", &path);

	(void)state;
	make_snapshot(&s);
	memset(&s.host.pressure, 0, sizeof(s.host.pressure));
	memset(&s.host.ksm, 0, sizeof(s.host.ksm));
	if (mc_policy_decide(p, &s, &ctx, &out, err, sizeof(err)))
		fail_msg("%s", err);
	mc_proposals_free(&out);
	mc_policy_close(p);
	mc_snapshot_free(&s);
	drop_temp(path);
}

/* decide()'s second value reaches the core as the policy gave it: every
 * settable KSM file, numbers as numbers, anything else NaN (the core
 * drops it); none when there is no second value. */
static void test_host_settings_read_back(void **state)
{
	struct mc_proposals out = { 0 };
	char err[512];

	(void)state;
	assert_int_equal(decide_once(
		"function decide() return { vm1 = 1000 }, { ksm = { run = 1,\n"
		"  pages_to_scan = 300.5, sleep_millisecs = 'slow' } } end\n",
		&out, err, sizeof(err)), 0);
	assert_int_equal(out.n, 1);
	assert_int_equal(out.ksm.set, (1u << MC_KSM_RUN) | (1u << MC_KSM_PAGES_TO_SCAN) |
			 (1u << MC_KSM_SLEEP_MILLISECS));
	assert_true(out.ksm.v[MC_KSM_RUN] == 1 && out.ksm.v[MC_KSM_PAGES_TO_SCAN] == 300.5);
	assert_true(isnan(out.ksm.v[MC_KSM_SLEEP_MILLISECS]));
	assert_int_equal(decide_once("function decide() return {}, nil end\n",
				     &out, err, sizeof(err)), 0);
	assert_int_equal(out.ksm.set, 0);
	assert_int_equal(decide_once("function decide() return {}, { ksm = {} } end\n",
				     &out, err, sizeof(err)), 0);
	assert_int_equal(out.ksm.set, 0);
	mc_proposals_free(&out);
}

/* A setting that is not one fails the call, with a message that says so:
 * a typo must not pass silently, nor a read-only file. */
static void test_host_settings_refused(void **state)
{
	static const struct {
		const char *ret, *why;
	} bad[] = {
		{ "{ ksm = { pages_toscan = 5 } }", "ksm.pages_toscan is not a setting" },
		{ "{ ksm = { pages_shared = 5 } }", "ksm.pages_shared is not a setting" },
		{ "{ ksm = { [1] = 5 } }", "ksm.? is not a setting" },
		{ "{ ksm = 1 }", "host setting ksm is a number" },
		{ "{ swap = {} }", "unknown host setting" },
		{ "'ksm'", "returned string as host settings" },
	};
	struct mc_proposals out = { 0 };
	char src[256], err[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(src, sizeof(src), "function decide() return { vm1 = 1 }, %s end\n",
			 bad[i].ret);
		assert_int_equal(decide_once(src, &out, err, sizeof(err)), -1);
		if (!strstr(err, bad[i].why))
			fail_msg("%s: '%s' does not say '%s'", bad[i].ret, err, bad[i].why);
		assert_int_equal(out.n, 0);
	}
	mc_proposals_free(&out);
}

static void test_targets_read_back(void **state)
{
	struct mc_proposals out = { 0 };
	char err[512];
	size_t i, nan = 0, unnamed = 0;
	const char *src =
		"function decide(d, h, c)\n"
		"  return { vm1 = 1000, vm2 = 'lots', ghost = 5, [1] = 7, vmx = 0/0 }\n"
		"end\n";

	(void)state;
	assert_int_equal(decide_once(src, &out, err, sizeof(err)), 0);
	assert_int_equal(out.n, 5);
	for (i = 0; i < out.n; i++) {
		nan += isnan(out.v[i].value);
		unnamed += out.v[i].name == NULL;
		if (out.v[i].name && !strcmp(out.v[i].name, "vm1"))
			assert_true(out.v[i].value == 1000);
	}
	assert_int_equal(nan, 2);	/* 'lots' and 0/0 */
	assert_int_equal(unnamed, 1);	/* [1] */
	mc_proposals_free(&out);
}

static void test_globals_persist(void **state)
{
	struct mc_snapshot s;
	struct mc_proposals out = { 0 };
	char err[512], *path;
	struct mc_policy *p = load_src(
		"calls = 0\n"
		"function init(ctx) calls = 100 end\n"
		"function decide(d, h, c) calls = calls + 1; return { vm1 = calls } end\n",
		&path);

	(void)state;
	make_snapshot(&s);
	assert_int_equal(mc_policy_decide(p, &s, &ctx, &out, err, sizeof(err)), 0);
	assert_int_equal(mc_policy_decide(p, &s, &ctx, &out, err, sizeof(err)), 0);
	assert_true(out.n == 1 && out.v[0].value == 102);
	mc_proposals_free(&out);
	mc_policy_close(p);
	mc_snapshot_free(&s);
	drop_temp(path);
}

/* Policies that must not load: the error names the file and line. */
static void test_refused_at_load(void **state)
{
	static const struct {
		const char *src;
		const char *expect;
	} cases[] = {
		{ "function decide(d, h, c)\n  return {\nend\n", ":3:" },
		{ "x = 1\n", "defines no function decide" },
		{ "error('boom at load')\nfunction decide() end\n", ":1: boom at load" },
		{ "function init(c) error('bad init') end\nfunction decide() return {} end\n",
		  ":1: bad init" },
		{ "while true do end\nfunction decide() end\n", "instruction budget" },
		{ "\x1bLua", "binary" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char err[512] = "", *path = write_temp(cases[i].src, ".lua");
		struct mc_policy *p = mc_policy_load(path, NULL, 0, err, sizeof(err));

		if (p || !strstr(err, cases[i].expect))
			fail_msg("case %zu: %s: got \"%s\", want \"%s\"", i,
				 p ? "loaded" : "refused", err, cases[i].expect);
		drop_temp(path);
	}
	{
		char err[512] = "";

		assert_null(mc_policy_load("/no/such/policy.lua", NULL, 0, err, sizeof(err)));
		assert_non_null(strstr(err, "/no/such/policy.lua"));
	}
}

/* Calls that fail on their own: error, endless loop, memory bomb, deep
 * recursion, wrong return types, the sandbox's walls. */
static void test_contained_failures(void **state)
{
	static const struct {
		const char *body;
		const char *expect;
	} cases[] = {
		{ "error('nope')", ":1: nope" },
		{ "local x = nil; return x.field", "attempt to index" },
		{ "while true do end", "instruction budget" },
		{ "local t = {} for i = 1, 1e9 do t[i] = string.rep('x', 1000) .. i end", "memory" },
		{ "local function f(n) return 1 + f(n + 1) end return f(1)", "stack overflow" },
		{ "return nil", "returned nil, not a table" },
		{ "return 42", "returned number" },
		{ "return 'vm1'", "returned string" },
		{ "return io.open('/etc/passwd')", "io" },
		{ "return os.execute('true')", "os" },
		{ "return require('os')", "require" },
		{ "return loadfile('/etc/passwd')", "loadfile" },
		{ "return dofile('/etc/passwd')", "dofile" },
		{ "return string.dump(decide)", "dump" },
		{ "local f, e = load('\\27Lua') error(e)", "binary" },
		{ "collectgarbage('stop') return {}", "not allowed" },
		{ "return debug.traceback()", "debug" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char src[512], err[512] = "";
		struct mc_proposals out = { 0 };
		int rc;

		snprintf(src, sizeof(src), "function decide(d, h, c) %s end\n",
			 cases[i].body);
		rc = decide_once(src, &out, err, sizeof(err));
		if (rc == 0 || out.n || !strstr(err, cases[i].expect))
			fail_msg("case %zu (%s): rc %d, %zu targets, err \"%s\", want \"%s\"",
				 i, cases[i].body, rc, out.n, err, cases[i].expect);
		mc_proposals_free(&out);
	}
}

/* After a failed call the same state keeps working. */
static void test_recovers_after_failure(void **state)
{
	struct mc_snapshot s;
	struct mc_proposals out = { 0 };
	char err[512], *path;
	struct mc_policy *p = load_src(
		"n = 0\n"
		"function decide(d, h, c)\n"
		"  n = n + 1\n"
		"  if n == 1 then while true do end end\n"
		"  if n == 2 then local t = {} for i = 1, 1e9 do t[i] = {i} end end\n"
		"  return { vm1 = 777 }\n"
		"end\n", &path);

	(void)state;
	make_snapshot(&s);
	assert_int_equal(mc_policy_decide(p, &s, &ctx, &out, err, sizeof(err)), -1);
	assert_int_equal(mc_policy_decide(p, &s, &ctx, &out, err, sizeof(err)), -1);
	assert_int_equal(mc_policy_decide(p, &s, &ctx, &out, err, sizeof(err)), 0);
	assert_true(out.n == 1 && out.v[0].value == 777);
	mc_proposals_free(&out);
	mc_policy_close(p);
	mc_snapshot_free(&s);
	drop_temp(path);
}

/* Runs decide() once with the log at debug level and stderr captured;
 * returns what was logged (malloc'd). */
static char *decide_logged(const char *src, char *err, size_t errlen, int *rc)
{
	struct mc_proposals out = { 0 };
	char *logpath = write_temp("", ".log"), *text = malloc(1 << 20);
	enum mc_log_level level = mc_log_get_level();
	int saved = capture_begin(logpath);
	FILE *f;
	size_t n;

	mc_log_set_level(MC_LOG_DEBUG);
	*rc = decide_once(src, &out, err, errlen);
	mc_log_set_level(level);
	capture_end(saved);
	f = fopen(logpath, "r");
	n = f && text ? fread(text, 1, (1 << 20) - 1, f) : 0;
	if (!text)
		abort();
	text[n] = '\0';
	if (f)
		fclose(f);
	drop_temp(logpath);
	mc_proposals_free(&out);
	return text;
}

static size_t count_substr(const char *text, const char *needle)
{
	size_t n = 0;

	for (; (text = strstr(text, needle)); text++)
		n++;
	return n;
}

/* print is Lua's print (tostring, tabs), not string.format; both it and
 * ctx.log log at debug level, and a policy cannot start a line of its own
 * or send a terminal escape. */
static void test_print_semantics(void **state)
{
	char err[512] = "";
	int rc;
	char *log = decide_logged(
		"function decide(d, h, c)\n"
		"  print(nil, 1, true, 2.5, 'x%dy')\n"
		"  print()\n"
		"  c.log('%s=%d', 'n', 3)\n"
		"  print('forged\\nmemcoord: error: fake\\27[31m')\n"
		"  return {}\n"
		"end\n", err, sizeof(err), &rc);

	(void)state;
	if (rc)
		fail_msg("%s", err);
	assert_non_null(strstr(log, "debug: policy "));
	/* mc_log() shows a tab as \t */
	assert_non_null(strstr(log, ": nil\\t1\\ttrue\\t2.5\\tx%dy\n"));
	assert_non_null(strstr(log, ": n=3\n"));
	assert_non_null(strstr(log, ": forged\\nmemcoord: error: fake\\x1b[31m\n"));
	assert_null(strstr(log, "\nmemcoord: error: fake"));
	free(log);
}

/* 200000 lines from one call: 20 logged, then one line saying how many
 * were not; each line bounded. */
static void test_log_rate_limited(void **state)
{
	char err[512] = "";
	int rc;
	char *log = decide_logged(
		"function decide(d, h, c)\n"
		"  print(('y'):rep(100000))\n"
		"  for i = 1, 200000 do c.log('line %d', i) end\n"
		"  return {}\n"
		"end\n", err, sizeof(err), &rc);
	const char *y = strstr(log, "yyyy");

	(void)state;
	if (rc)
		fail_msg("%s", err);
	assert_int_equal(count_substr(log, ": line "), 19);
	assert_non_null(strstr(log, ": 199981 more lines suppressed\n"));
	assert_non_null(y);
	assert_true(strchr(y, '\n') - y <= 400);
	free(log);
}

/* Error objects that are not strings keep file:line; a traceback follows
 * at debug level. */
static void test_error_objects_located(void **state)
{
	static const struct {
		const char *body;
		const char *expect;
	} cases[] = {
		{ "error({})", ".lua:1: (error object is a table value)" },
		{ "error(setmetatable({}, { __tostring = function() return 'custom' end }))",
		  ".lua:1: custom" },
		{ "error(42)", ":1: 42" },
		{ "error()", ".lua:1: (error object is a nil value)" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char src[512], err[512] = "", *log;
		int rc;

		snprintf(src, sizeof(src), "function decide(d, h, c) %s end\n", cases[i].body);
		log = decide_logged(src, err, sizeof(err), &rc);
		if (rc == 0 || !strstr(err, cases[i].expect) || strchr(err, '\n') ||
		    !strstr(log, "stack traceback:"))
			fail_msg("case %zu (%s): err \"%s\", want \"%s\"; log:\n%s", i,
				 cases[i].body, err, cases[i].expect, log);
		free(log);
	}
}

static void test_shipped_policies_load(void **state)
{
	static const char *const shipped[] = { "policies/balance_unused.lua" };
	struct mc_snapshot s;
	size_t i;

	(void)state;
	make_snapshot(&s);
	for (i = 0; i < sizeof(shipped) / sizeof(shipped[0]); i++) {
		struct mc_proposals out = { 0 };
		char err[512];
		struct mc_policy *p = mc_policy_load(shipped[i], params, 2, err, sizeof(err));

		if (!p)
			fail_msg("%s", err);
		if (mc_policy_decide(p, &s, &ctx, &out, err, sizeof(err)))
			fail_msg("%s", err);
		mc_proposals_free(&out);
		mc_policy_close(p);
	}
	mc_snapshot_free(&s);
}

/* The helper module: mc.param takes numbers only, mc.MiB is KiB per MiB,
 * and a policy cannot change mc under its own feet. */
static void test_mc_module(void **state)
{
	const char *src =
		"function decide(domains, host, ctx)\n"
		"  assert(mc.MiB == 1024 and math.type(mc.MiB) == 'integer')\n"
		"  assert(mc.param(ctx, 'target_unused_mib', 1) == 200)\n"
		"  assert(mc.param(ctx, 'mode', 7) == 7)\n"
		"  assert(mc.param(ctx, 'absent', 9) == 9)\n"
		"  assert(mc.param({}, 'absent', 3) == 3)\n"
		"  local ok, e = pcall(function() mc.MiB = 1000 end)\n"
		"  assert(not ok and e:find('mc is read%-only') and mc.MiB == 1024)\n"
		"  assert(getmetatable(mc) == false)\n"
		"  return {}\n"
		"end\n";

	(void)state;
	decide_ok(src);
}

/* ---- the contract: docs/policies.md against what the bridge passes ---- */

#define CONTRACT_DOC "docs/policies.md"
#define MAX_FIELDS 128

struct fields {
	char *v[MAX_FIELDS];
	size_t n;
};

static void add_field(struct fields *f, const char *prefix, const char *name)
{
	size_t len = strlen(prefix) + strlen(name) + 1;

	assert_true(f->n < MAX_FIELDS);
	f->v[f->n] = malloc(len);
	assert_non_null(f->v[f->n]);
	snprintf(f->v[f->n++], len, "%s%s", prefix, name);
}

static bool has_field(const struct fields *f, const char *name)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (!strcmp(f->v[i], name))
			return true;
	return false;
}

/* One table row, "| `path` | type | unit | yes/no or meaning | ...": the
 * path, and when the fourth cell says yes, its copy in d.prev (for d.*)
 * or in init's ctx (for ctx.*). */
static void parse_row(struct fields *f, char *line)
{
	char *path = line + 3, *end = strchr(path, '`'), *cell = line;
	int i;

	if (!end)
		fail_msg(CONTRACT_DOC ": unterminated field in: %s", line);
	for (i = 0; i < 3 && cell; i++)
		cell = strchr(cell + 1, '|');
	*end = '\0';
	add_field(f, "", path);
	if (!cell || strncmp(cell, "| yes |", 7))
		return;
	if (!strncmp(path, "d.", 2))
		add_field(f, "d.prev.", path + 2);
	else if (!strncmp(path, "ctx.", 4))
		add_field(f, "init.", path);
}

/* Every field the tables of the section "## The contract" list; the rows
 * of "#### Host settings" (what a policy may return) go to settings. */
static void read_doc_fields(struct fields *f, struct fields *settings)
{
	FILE *in = fopen(CONTRACT_DOC, "r");
	char line[1024];
	bool inside = false, in_settings = false;

	assert_non_null(in);
	while (fgets(line, sizeof(line), in)) {
		if (!strncmp(line, "## ", 3))
			inside = !strcmp(line, "## The contract\n");
		if (line[0] == '#')
			in_settings = !strncmp(line, "#### Host settings", 18);
		if (inside && !strncmp(line, "| `", 3))
			parse_row(in_settings ? settings : f, line);
	}
	fclose(in);
}

/* A policy that answers with one "target" per key it was given. */
static const char contract_probe[] =
	"local seen = {}\n"
	"local function collect(prefix, t)\n"
	"  for k in pairs(t) do seen[prefix .. k] = 0 end\n"
	"end\n"
	"function init(ctx) collect('init.ctx.', ctx) end\n"
	"function decide(domains, host, ctx)\n"
	"  local d = domains[1]\n"
	"  collect('d.', d) collect('d.prev.', d.prev) collect('host.', host)\n"
	"  collect('d.vmem.', d.vmem)\n"
	"  for k, v in pairs(host) do\n"	/* host.psi.some.avg10, ... */
	"    if type(v) == 'table' then\n"
	"      collect('host.' .. k .. '.', v)\n"
	"      for k2, v2 in pairs(v) do\n"
	"        if type(v2) == 'table' then collect('host.' .. k .. '.' .. k2 .. '.', v2) end\n"
	"      end\n"
	"    end\n"
	"  end\n"
	"  collect('ctx.', ctx) collect('mc.', mc)\n"
	"  return seen\n"
	"end\n";

static void read_bridge_fields(struct fields *f)
{
	struct mc_proposals out = { 0 };
	char err[512];
	size_t i;

	if (decide_once(contract_probe, &out, err, sizeof(err)))
		fail_msg("%s", err);
	for (i = 0; i < out.n; i++)
		add_field(f, "", out.v[i].name);
	mc_proposals_free(&out);
}

/* The documented host settings are exactly ksm.h's settable files, each
 * "ksm.<file>"; frees the list. */
static void assert_settings_match(struct fields *settings)
{
	size_t i, n = 0;
	int f;

	for (f = 0; f < MC_KSM_NFIELDS; f++) {
		char name[64];

		if (!mc_ksm_settable((enum mc_ksm_field)f))
			continue;
		n++;
		snprintf(name, sizeof(name), "ksm.%s", mc_ksm_name((enum mc_ksm_field)f));
		if (!has_field(settings, name))
			fail_msg("the code lets a policy set %s; " CONTRACT_DOC " does not list it", name);
	}
	if (settings->n != n)
		fail_msg(CONTRACT_DOC " lists %zu host settings, the code takes %zu", settings->n, n);
	for (i = 0; i < settings->n; i++)
		free(settings->v[i]);
}

static void test_contract_matches_doc(void **state)
{
	struct fields doc = { 0 }, bridge = { 0 }, settings = { 0 };
	size_t i;

	(void)state;
	read_doc_fields(&doc, &settings);
	read_bridge_fields(&bridge);
	assert_settings_match(&settings);
	for (i = 0; i < bridge.n; i++)
		if (!has_field(&doc, bridge.v[i]))
			fail_msg("the bridge passes %s; " CONTRACT_DOC " does not list it",
				 bridge.v[i]);
	for (i = 0; i < doc.n; i++)
		if (!has_field(&bridge, doc.v[i]))
			fail_msg(CONTRACT_DOC " lists %s; the bridge does not pass it",
				 doc.v[i]);
	for (i = 0; i < doc.n; i++)
		free(doc.v[i]);
	for (i = 0; i < bridge.n; i++)
		free(bridge.v[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields_passed),
		cmocka_unit_test(test_host_pressure_absent_is_nil),
		cmocka_unit_test(test_host_settings_read_back),
		cmocka_unit_test(test_host_settings_refused),
		cmocka_unit_test(test_targets_read_back),
		cmocka_unit_test(test_globals_persist),
		cmocka_unit_test(test_refused_at_load),
		cmocka_unit_test(test_contained_failures),
		cmocka_unit_test(test_recovers_after_failure),
		cmocka_unit_test(test_print_semantics),
		cmocka_unit_test(test_log_rate_limited),
		cmocka_unit_test(test_error_objects_located),
		cmocka_unit_test(test_shipped_policies_load),
		cmocka_unit_test(test_mc_module),
		cmocka_unit_test(test_contract_matches_doc),
	};

	return cmocka_run_group_tests_name("policy", tests, NULL, NULL);
}
