/*
 * check.c - `memcoord --check POLICY`: run a policy against built-in
 * snapshots and judge every answer, before it goes near a real host.
 *
 * One policy state runs through all the snapshots in order, as the daemon
 * would run it: history a policy keeps in globals carries over, so a
 * policy that only breaks on its second call (prev present, history
 * present) is caught too.  A call fails when it raises, or returns a key
 * that is not a domain, a value that is not a finite number, a negative
 * value or one above the domain's max: the core would drop or clamp
 * those, and a policy that relies on that is wrong.  Targets for guests
 * without stats are only warned about: the core ignores them safely.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "policy.h"
#include "util.h"

#define MC_CHECK_MANY 1000
#define MC_CHECK_SHOW 5		/* issues printed per snapshot */
#define MC_CHECK_SLOW 0.05	/* s of CPU per call worth a warning */

/* ---- the built-in snapshots ---- */

/* One guest, in MiB; prev_unused < 0 means no previous sample. */
struct mc_check_dom {
	const char *name;
	long actual, max, unused, prev_unused;
	unsigned long swap_out, prev_swap_out;
	int stats;
};

static struct mc_kv mc_check_weight2[] = { { "weight", "2" } };

static struct mc_domain *mc_check_add(struct mc_snapshot *s,
				      const struct mc_limits *lim,
				      const struct mc_check_dom *c)
{
	struct mc_domain *d = mc_snapshot_add(s, c->name);

	if (!d)
		return NULL;
	snprintf(d->uuid, sizeof(d->uuid), "00000000-0000-0000-0000-%012zu", s->ndoms);
	d->id = (int)s->ndoms;
	d->max = (uint64_t)c->max * MC_KIB_PER_MIB;
	d->track.max = d->max;
	d->track.min = lim->min_domain;
	d->cur.actual = (uint64_t)c->actual * MC_KIB_PER_MIB;
	if (c->stats) {
		d->cur.have_stats = true;
		d->cur.unused = (uint64_t)c->unused * MC_KIB_PER_MIB;
		d->cur.available = d->cur.actual;
		d->cur.usable = d->cur.unused;
		d->cur.swap_out = c->swap_out;
		d->cur.major_fault = c->swap_out / 4;
		d->cur.last_update = 1000000 + 2 * (int64_t)s->ndoms;
	}
	if (c->stats && c->prev_unused >= 0) {
		d->track.have_prev = true;
		d->track.prev = d->cur;
		d->track.prev.unused = (uint64_t)c->prev_unused * MC_KIB_PER_MIB;
		d->track.prev.swap_out = c->prev_swap_out;
		d->track.prev.major_fault = c->prev_swap_out / 4;
		d->track.prev.last_update = d->cur.last_update - 2;
	}
	return d;
}

/* Sorts and fills the host as the coordinator does. */
static int mc_check_finish(struct mc_snapshot *s, const struct mc_limits *lim,
			   uint64_t total_mib, uint64_t free_mib)
{
	mc_snapshot_sort(s);
	s->host.total = total_mib * MC_KIB_PER_MIB;
	s->host.free = free_mib * MC_KIB_PER_MIB;
	s->host.cached = s->host.free / 4;
	s->host.reserve = lim->host_reserve;
	s->host.growable = mc_clamp_growable(s, lim);
	return 0;
}

static int mc_check_add_all(struct mc_snapshot *s, const struct mc_limits *lim,
			    const struct mc_check_dom *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!mc_check_add(s, lim, &c[i]))
			return -1;
	return 0;
}

static int mc_check_empty(struct mc_snapshot *s, const struct mc_limits *lim)
{
	return mc_check_finish(s, lim, 16384, 12288);
}

static int mc_check_one_first(struct mc_snapshot *s, const struct mc_limits *lim)
{
	static const struct mc_check_dom c = { "vm1", 1024, 4096, 300, -1, 0, 0, 1 };

	return mc_check_add(s, lim, &c) ? mc_check_finish(s, lim, 16384, 12288) : -1;
}

static int mc_check_one_prev(struct mc_snapshot *s, const struct mc_limits *lim)
{
	static const struct mc_check_dom c = { "vm1", 1024, 4096, 120, 200, 0, 0, 1 };

	return mc_check_add(s, lim, &c) ? mc_check_finish(s, lim, 16384, 12288) : -1;
}

/* A thousand guests: consuming, idle, starving, at max; every third has
 * weight 2.  Sized so the host can feed some of them, not all. */
static int mc_check_many(struct mc_snapshot *s, const struct mc_limits *lim)
{
	size_t i;

	for (i = 0; i < MC_CHECK_MANY; i++) {
		char name[32];
		long unused = (long)(i * 37 % 700) + 10;
		struct mc_check_dom c = { name, 1024, i % 10 ? 4096 : 1024, unused,
					  unused + (long)(i % 5) * 20 - 40, 0, 0, 1 };
		struct mc_domain *d;

		snprintf(name, sizeof(name), "vm%04zu", i);
		if (!(d = mc_check_add(s, lim, &c)))
			return -1;
		if (i % 3 == 0) {
			d->track.params = mc_check_weight2;
			d->track.nparams = 1;
		}
	}
	return mc_check_finish(s, lim, 1536 * 1024, 256 * 1024);
}

static int mc_check_missing(struct mc_snapshot *s, const struct mc_limits *lim)
{
	static const struct mc_check_dom c[] = {
		{ "booting", 1024, 2048, 0, -1, 0, 0, 0 },	/* no stats yet */
		{ "fresh", 1024, 2048, 500, -1, 0, 0, 1 },	/* stats, no prev */
		{ "steady", 1024, 2048, 100, 150, 0, 0, 1 },
	};

	if (mc_check_add_all(s, lim, c, sizeof(c) / sizeof(c[0])))
		return -1;
	return mc_check_finish(s, lim, 16384, 12288);
}

/* A guest swapping with 20 MiB free, one idle, one without stats. */
static int mc_check_pressure(struct mc_snapshot *s, const struct mc_limits *lim)
{
	static const struct mc_check_dom c[] = {
		{ "hungry", 1024, 4096, 20, 90, 40960, 1024, 1 },
		{ "idle", 2048, 4096, 1500, 1500, 0, 0, 1 },
		{ "silent", 1024, 4096, 0, -1, 0, 0, 0 },
	};

	if (mc_check_add_all(s, lim, c, sizeof(c) / sizeof(c[0])))
		return -1;
	return mc_check_finish(s, lim, 16384, 8192);
}

/* Host below its reserve; guests idle, starving, at max, unused == 0. */
static int mc_check_short(struct mc_snapshot *s, const struct mc_limits *lim)
{
	static const struct mc_check_dom c[] = {
		{ "at-max", 2048, 2048, 10, 60, 0, 0, 1 },
		{ "empty", 1024, 4096, 0, 0, 0, 0, 1 },
		{ "idle", 4096, 8192, 3000, 3000, 0, 0, 1 },
		{ "tiny", 64, 4096, 8, 16, 0, 0, 1 },
	};

	if (mc_check_add_all(s, lim, c, sizeof(c) / sizeof(c[0])))
		return -1;
	return mc_check_finish(s, lim, 16384, 512);
}

struct mc_check_case {
	const char *name;
	const char *reason;
	int (*build)(struct mc_snapshot *s, const struct mc_limits *lim);
};

static const struct mc_check_case mc_check_cases[] = {
	{ "empty host", "period", mc_check_empty },
	{ "one domain, first sample", "period", mc_check_one_first },
	{ "one domain, prev present", "period", mc_check_one_prev },
	{ "1000 domains", "period", mc_check_many },
	{ "missing stats", "period", mc_check_missing },
	{ "pressure call", "pressure", mc_check_pressure },
	{ "host short, edge values", "period", mc_check_short },
	{ "1000 domains again", "period", mc_check_many },
};

/* ---- judging one answer ---- */

struct mc_check_tally {
	unsigned bad, warn;
	unsigned shown;
	FILE *out;
};

static void mc_check_issue(struct mc_check_tally *t, int bad, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void mc_check_issue(struct mc_check_tally *t, int bad, const char *fmt, ...)
{
	va_list ap;

	if (bad)
		t->bad++;
	else
		t->warn++;
	if (t->shown++ >= MC_CHECK_SHOW)
		return;
	fprintf(t->out, "       %s ", bad ? "bad: " : "warn:");
	va_start(ap, fmt);
	vfprintf(t->out, fmt, ap);
	va_end(ap);
	fputc('\n', t->out);
}

/* What the core's unknown, not-a-number and max rules would do, said in
 * the policy's terms. */
static void mc_check_value(const struct mc_snapshot *s, const struct mc_proposal *pr,
			   struct mc_check_tally *t)
{
	const struct mc_domain *d = pr->name ? mc_snapshot_find(s, pr->name) : NULL;

	if (!pr->name) {
		mc_check_issue(t, 1, "a key that is not a string (value %g)", pr->value);
		return;
	}
	if (!d) {
		mc_check_issue(t, 1, "\"%s\": no such domain", pr->name);
		return;
	}
	if (!isfinite(pr->value))
		mc_check_issue(t, 1, "%s = %g: not a finite number (a string, a table, NaN or inf?)",
			       pr->name, pr->value);
	else if (pr->value < 0)
		mc_check_issue(t, 1, "%s = %.0f: negative", pr->name, pr->value);
	else if (pr->value > (double)d->track.max)
		mc_check_issue(t, 1, "%s = %.0f KiB: above its max %llu KiB",
			       pr->name, pr->value, (unsigned long long)d->track.max);
	else if (!d->cur.have_stats)
		mc_check_issue(t, 0, "%s: targeted without stats (the core ignores it)",
			       pr->name);
}

/* Runs the answer through the clamps; prints what they changed. */
static int mc_check_clamps(const struct mc_snapshot *s, const struct mc_limits *lim,
			   const struct mc_proposals *props, FILE *out)
{
	struct mc_clamp_result res;
	unsigned count[MC_CLAMP_NRULES] = { 0 };
	char name[32];
	size_t i, r;

	if (mc_clamp_apply(s, lim, props->v, props->n, &res))
		return -1;
	for (i = 0; i < res.ndec; i++)
		for (r = 0; r < MC_CLAMP_NRULES; r++)
			count[r] += !!(res.dec[i].rules & (1u << r));
	fprintf(out, "       %zu target%s, %zu resize%s", props->n,
		props->n == 1 ? "" : "s", res.nact, res.nact == 1 ? "" : "s");
	for (r = 0; r < MC_CLAMP_NRULES; r++)
		if (count[r])
			fprintf(out, ", %s %u",
				mc_clamp_rules_str(1u << r, name, sizeof(name)), count[r]);
	fputc('\n', out);
	mc_clamp_result_free(&res);
	return 0;
}

/* ---- one snapshot ---- */

static int mc_check_one(struct mc_policy *p, const struct mc_check_case *c,
			unsigned long tick, const struct mc_limits *lim, FILE *out)
{
	struct mc_policy_ctx ctx = { .period = 2, .elapsed = 2, .tick = tick,
				     .reason = c->reason };
	struct mc_check_tally t = { .out = out };
	struct mc_proposals props = { 0 };
	struct mc_snapshot s;
	char err[MC_ERR_LEN];
	size_t i;
	int rc;

	mc_snapshot_init(&s);
	if (c->build(&s, lim)) {
		fprintf(out, "-- %s\n       FAIL: out of memory building the snapshot\n",
			c->name);
		mc_snapshot_free(&s);
		return 1;
	}
	rc = mc_policy_decide(p, &s, &ctx, &props, err, sizeof(err));
	fprintf(out, "-- %s (%zu domains, reason \"%s\"): %.3f ms CPU\n",
		c->name, s.ndoms, c->reason, mc_policy_last_cpu(p) * 1e3);
	if (rc) {
		fprintf(out, "       FAIL: decide() failed: %s\n", err);
	} else {
		for (i = 0; i < props.n; i++)
			mc_check_value(&s, &props.v[i], &t);
		if (t.shown > MC_CHECK_SHOW)
			fprintf(out, "       ... and %u more\n", t.shown - MC_CHECK_SHOW);
		if (mc_policy_last_cpu(p) > MC_CHECK_SLOW)
			mc_check_issue(&t, 0, "slow: %.1f ms of CPU for one call",
				       mc_policy_last_cpu(p) * 1e3);
		if (mc_check_clamps(&s, lim, &props, out))
			mc_check_issue(&t, 1, "out of memory in the clamps");
		fprintf(out, "       %s: %u bad value%s, %u warning%s\n",
			t.bad ? "FAIL" : "ok", t.bad, t.bad == 1 ? "" : "s",
			t.warn, t.warn == 1 ? "" : "s");
	}
	mc_proposals_free(&props);
	mc_snapshot_free(&s);
	return rc || t.bad ? 1 : 0;
}

int mc_check_run(const char *path, const struct mc_kv *params, size_t nparams,
		 const struct mc_limits *lim, FILE *out)
{
	size_t i, n = sizeof(mc_check_cases) / sizeof(mc_check_cases[0]);
	unsigned failed = 0;
	char err[MC_ERR_LEN];
	struct mc_policy *p = mc_policy_load(path, params, nparams, err, sizeof(err));

	fprintf(out, "memcoord --check %s\n", path);
	if (!p) {
		fprintf(out, "FAIL: the policy does not load: %s\n", err);
		return 1;
	}
	for (i = 0; i < n; i++)
		failed += (unsigned)mc_check_one(p, &mc_check_cases[i], i + 1, lim, out);
	mc_policy_close(p);
	if (failed)
		fprintf(out, "FAIL: %u of %zu snapshots failed\n", failed, n);
	else
		fprintf(out, "OK: %zu snapshots, every answer good\n", n);
	return failed ? 1 : 0;
}

int mc_check_main(const struct mc_config *cfg)
{
	int rc = mc_check_run(cfg->check, cfg->policy_params, cfg->npolicy_params,
			      &cfg->limits, stdout);

	if (fflush(stdout))
		return 1;
	return rc;
}
