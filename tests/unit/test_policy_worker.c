/* test_policy_worker.c - hostile policies against the real worker process:
 * every way around the instruction budget (pcall, xpcall handlers,
 * metamethods, finalizers, loops inside C functions) costs the caller one
 * deadline, and the worker is killed, reaped, sandboxed and restarted. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include <cmocka.h>

#include "policy.h"
#include "testutil.h"

#define TIMEOUT 0.3		/* s: the deadline the tests give a policy */
#define SLACK 1.0		/* s: what the daemon may add to it */

/* A loop pcall cannot stop: the budget error is caught, and the loop goes
 * on (the budget is per call, so it keeps firing). */
#define SWALLOW "while true do pcall(function() while true do end end) end"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void make_snapshot(struct mc_snapshot *s, double t)
{
	struct mc_domain *d;

	mc_snapshot_init(s);
	d = mc_snapshot_add(s, "vm1");
	d->track.max = 2048 * 1024;
	d->cur = (struct mc_memstats){ .actual = 512 * 1024, .unused = 300 * 1024,
		.available = 500 * 1024, .have_stats = true };
	s->time = t;
}

static struct mc_policy_ctx ctx_at(unsigned long tick)
{
	return (struct mc_policy_ctx){ .period = 2, .elapsed = 2, .tick = tick,
				       .reason = "period" };
}

static struct mc_policy *load(const char *src, char **path, char *err, size_t errlen)
{
	*path = write_temp(src, ".lua");
	return mc_policy_load_timed(*path, NULL, 0, TIMEOUT, err, errlen);
}

/* decide() bodies that defeat the budget or loop in C: each must come
 * back within the deadline (plus slack) with the worker killed. */
static void test_hostile_decide_bounded(void **state)
{
	static const char *const bodies[] = {
		SWALLOW,					/* pcall in decide */
		"xpcall(error, function() " SWALLOW " end)",	/* message handler */
		"local t = setmetatable({}, { __index = function() " SWALLOW " end }) return t.x",
		"local t = {} for i = 1, 100 do t[i] = i end "	/* looping comparator */
		"table.sort(t, function(a, b) " SWALLOW " end)",
		/* a finalizer runs without hooks during a collection */
		"setmetatable({}, { __gc = function() while true do end end }) "
		"local t = {} for i = 1, 1e6 do t[i % 100] = {} end return {}",
		"table.move({}, 1, 1e15, 1, {})",		/* C loop, no allocation */
		"string.find(('a'):rep(40), ('a*'):rep(40) .. 'b')",	/* backtracking */
		"local s = string.rep('x', 16 << 20) while true do pcall(string.find, s, 'y') end",
		"local t = {} for i = 1, 1000 do t[i] = ('x'):rep(1000) end "
		"while true do table.concat(t) end",
		/* a memory bomb whose out-of-memory errors are swallowed */
		"while true do pcall(function() local t = {} for i = 1, 1e9 do t[i] = {} end end) end",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		struct mc_snapshot s;
		struct mc_proposals out = { 0 };
		struct mc_policy_ctx ctx = ctx_at(1);
		char src[1024], err[512] = "", *path;
		struct mc_policy *p;
		double start;
		int rc;

		snprintf(src, sizeof(src), "function decide(d, h, c) %s end\n", bodies[i]);
		p = load(src, &path, err, sizeof(err));
		if (!p)
			fail_msg("case %zu does not load: %s", i, err);
		make_snapshot(&s, 0);
		start = now();
		rc = mc_policy_decide(p, &s, &ctx, &out, err, sizeof(err));
		if (rc == 0 || now() - start > TIMEOUT + SLACK ||
		    !strstr(err, "did not answer within"))
			fail_msg("case %zu (%s): rc %d after %.2f s: %s", i, bodies[i], rc,
				 now() - start, err);
		mc_policy_close(p);
		mc_snapshot_free(&s);
		drop_temp(path);
	}
}

/* The same tricks at load time: top level and init(). */
static void test_hostile_load_bounded(void **state)
{
	static const char *const srcs[] = {
		SWALLOW "\nfunction decide() return {} end\n",
		"function init(c) " SWALLOW " end\nfunction decide() return {} end\n",
		"function init(c) string.find(('a'):rep(40), ('a*'):rep(40) .. 'b') end\n"
		"function decide() return {} end\n",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(srcs) / sizeof(srcs[0]); i++) {
		char err[512] = "", *path;
		double start = now();
		struct mc_policy *p = load(srcs[i], &path, err, sizeof(err));

		if (p || now() - start > TIMEOUT + SLACK || !strstr(err, "did not answer within"))
			fail_msg("case %zu: %s after %.2f s: %s", i, p ? "loaded" : "refused",
				 now() - start, err);
		drop_temp(path);
	}
}

/* Closing a state with a looping finalizer would hang in lua_close: the
 * daemon never closes one, it kills the worker. */
static void test_close_never_runs_finalizers(void **state)
{
	struct mc_snapshot s;
	struct mc_proposals out = { 0 };
	struct mc_policy_ctx ctx = ctx_at(1);
	char err[512], *path;
	struct mc_policy *p = load(
		"keep = setmetatable({}, { __gc = function() while true do end end })\n"
		"function decide() return { vm1 = 1 } end\n", &path, err, sizeof(err));
	double start;

	(void)state;
	assert_non_null(p);
	make_snapshot(&s, 0);
	assert_int_equal(mc_policy_decide(p, &s, &ctx, &out, err, sizeof(err)), 0);
	start = now();
	mc_policy_close(p);
	assert_true(now() - start < SLACK);
	mc_proposals_free(&out);
	mc_snapshot_free(&s);
	drop_temp(path);
}

/* A worker lost in decide() is not restarted on the next call within the
 * period, then comes back (init again, fresh globals) and serves. */
static void test_restart_after_backoff(void **state)
{
	struct mc_snapshot s;
	struct mc_proposals out = { 0 };
	struct mc_policy_ctx ctx = ctx_at(1);
	char err[512], *path;
	struct mc_policy *p = load(
		"function decide(d, h, c)\n"
		"  if c.tick == 1 then while true do pcall(error) end end\n"
		"  return { vm1 = c.tick }\n"
		"end\n", &path, err, sizeof(err));

	(void)state;
	assert_non_null(p);
	make_snapshot(&s, 10);
	assert_int_equal(mc_policy_decide(p, &s, &ctx, &out, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "did not answer"));
	s.time = 11;	/* a pressure call within the period: no restart yet */
	ctx.tick = 2;
	assert_int_equal(mc_policy_decide(p, &s, &ctx, &out, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "did not answer"));	/* the same cause */
	assert_int_equal(mc_policy_restarts(p), 0);
	s.time = 12;
	ctx.tick = 3;
	if (mc_policy_decide(p, &s, &ctx, &out, err, sizeof(err)))
		fail_msg("%s", err);
	assert_true(out.n == 1 && out.v[0].value == 3);
	assert_int_equal(mc_policy_restarts(p), 1);
	mc_proposals_free(&out);
	mc_policy_close(p);
	mc_snapshot_free(&s);
	drop_temp(path);
}

/* A policy file replaced by a FIFO: refused at once, never blocking in
 * open (nobody writes to it). */
static void test_fifo_refused(void **state)
{
	char path[64] = "/tmp/mctest-fifo-XXXXXX", err[512] = "";
	double start = now();

	(void)state;
	assert_non_null(mkdtemp(path));
	strcat(path, "/p.lua");
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_null(mc_policy_load(path, NULL, 0, err, sizeof(err)));
	assert_true(now() - start < SLACK);
	assert_non_null(strstr(err, "p.lua"));
	unlink(path);
	*strrchr(path, '/') = '\0';
	rmdir(path);
}

/* The worker's /proc entry: our child whose status we read. */
static int read_child_status(char *buf, size_t len)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int found = 0;

	while (d && !found && (e = readdir(d))) {
		char path[300], stat[512];
		FILE *f;
		int ppid = 0;

		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		if (!(f = fopen(path, "r")))
			continue;
		if (fgets(stat, sizeof(stat), f) && strrchr(stat, ')'))
			sscanf(strrchr(stat, ')') + 2, "%*c %d", &ppid);
		fclose(f);
		if (ppid != getpid())
			continue;
		snprintf(path, sizeof(path), "/proc/%s/status", e->d_name);
		if ((f = fopen(path, "r"))) {
			found = fread(buf, 1, len - 1, f) > 0;
			buf[found ? strlen(buf) : 0] = '\0';
			fclose(f);
		}
	}
	if (d)
		closedir(d);
	return found ? 0 : -1;
}

/* The worker gave up what it should: seccomp filter, no_new_privs, and
 * (when we are root) the nobody user. */
static void test_worker_sandboxed(void **state)
{
	char err[512], *path, status[8192] = "";
	struct mc_policy *p = load("function decide() return {} end\n", &path, err,
				   sizeof(err));

	(void)state;
	assert_non_null(p);
	if (read_child_status(status, sizeof(status)))
		fail_msg("no worker process found");
	assert_non_null(strstr(status, "NoNewPrivs:\t1"));
#ifndef __SANITIZE_ADDRESS__
	assert_non_null(strstr(status, "Seccomp:\t2"));
#endif
	if (geteuid() == 0) {
		assert_null(strstr(status, "\nUid:\t0"));
		assert_non_null(strstr(status, "CapEff:\t0000000000000000"));
	}
	mc_policy_close(p);
	drop_temp(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hostile_decide_bounded),
		cmocka_unit_test(test_hostile_load_bounded),
		cmocka_unit_test(test_close_never_runs_finalizers),
		cmocka_unit_test(test_restart_after_backoff),
		cmocka_unit_test(test_fifo_refused),
		cmocka_unit_test(test_worker_sandboxed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
