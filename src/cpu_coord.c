/*
 * cpu_coord.c - the CPU tick: track, place, clamp, pin, report.
 *
 * Utilization is a time delta over the wall time between two samples, as
 * the course's monitor measures it; a counter that went backwards (a
 * domain restarted under the same name, a host CPU re-onlined) resets
 * that vCPU's or pCPU's history rather than producing a negative load.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "cpu_clamp.h"
#include "cpu_coord.h"
#include "cpu_policy.h"
#include "events.h"
#include "hypervisor.h"
#include "log.h"
#include "policy.h"
#include "snapshot.h"
#include "util.h"

#define NS_PER_S 1e9

struct mc_cpu_coord {
	const struct mc_config *cfg;
	struct mc_backend *backend;
	struct mc_policy *policy;
	struct mc_cpu_report *report;
	struct mc_events *events;	/* borrowed, may be NULL */
	double last_place;
	bool placed_once;
	struct mc_cpu_pins pins;
	struct mc_cpu_clamp_result res;
	struct mc_cpu_stats stats;
	char last_error[MC_ERR_LEN];	/* logged once per cause */
	unsigned warned_drops;
};

struct mc_cpu_coord *mc_cpu_coord_new(const struct mc_config *cfg,
				      struct mc_backend *b, struct mc_policy *policy,
				      struct mc_cpu_report *rep)
{
	struct mc_cpu_coord *cc = calloc(1, sizeof(*cc));

	if (!cc) {
		mc_policy_close(policy);
		mc_cpu_report_close(rep);
		return NULL;
	}
	cc->cfg = cfg;
	cc->backend = b;
	cc->policy = policy;
	cc->report = rep;
	cc->stats.policy_path = mc_policy_path(policy);
	b->want_cpu = true;
	return cc;
}

struct mc_cpu_coord *mc_cpu_coord_open(const struct mc_config *cfg,
				       struct mc_backend *b, FILE *table,
				       bool append, char *err, size_t errlen)
{
	struct mc_policy *p;
	struct mc_cpu_report *rep;
	struct mc_cpu_coord *cc;

	p = mc_cpu_policy_load(cfg->cpu_policy, cfg->policy_params, cfg->npolicy_params,
			       mc_config_policy_timeout(cfg), err, errlen);
	if (!p)
		return NULL;
	rep = mc_cpu_report_open(table, cfg->cpu_trace, append, err, errlen);
	if (!rep) {
		mc_policy_close(p);
		return NULL;
	}
	cc = mc_cpu_coord_new(cfg, b, p, rep);
	if (!cc)
		snprintf(err, errlen, "out of memory");
	return cc;
}

void mc_cpu_coord_free(struct mc_cpu_coord *cc)
{
	if (!cc)
		return;
	mc_policy_close(cc->policy);
	mc_cpu_report_close(cc->report);
	mc_cpu_pins_free(&cc->pins);
	mc_cpu_clamp_result_free(&cc->res);
	free(cc);
}

void mc_cpu_coord_set_config(struct mc_cpu_coord *cc, const struct mc_config *cfg)
{
	cc->cfg = cfg;
}

void mc_cpu_coord_set_events(struct mc_cpu_coord *cc, struct mc_events *e)
{
	cc->events = e;
}

void mc_cpu_coord_reopen(struct mc_cpu_coord *cc)
{
	if (cc)
		mc_cpu_report_reopen(cc->report);
}

const struct mc_cpu_stats *mc_cpu_coord_stats(const struct mc_cpu_coord *cc)
{
	return &cc->stats;
}

/* ---- track: config, utilization, history ---- */

static void apply_conf(const struct mc_config *cfg, struct mc_vcpu *v)
{
	const struct mc_domain_conf *dc = mc_config_domain(cfg, v->domain);
	struct mc_vcpu_track *t = &v->track;

	t->excluded = dc && dc->cpu_exclude;
	t->cpuset = dc && dc->have_cpuset ? dc->cpuset : mc_cpuset_first(MC_CPUSET_MAX);
	t->params = dc ? dc->params : NULL;
	t->nparams = dc ? dc->nparams : 0;
}

/* Percent of one CPU a counter moved by over dt s; -1 when it went back. */
static double percent(uint64_t now, uint64_t before, double dt)
{
	if (now < before)
		return -1;
	return (double)(now - before) / NS_PER_S / dt * 100;
}

static void track_vcpu(struct mc_vcpu *v, const struct mc_vcpu *p, double dt)
{
	struct mc_vcpu_track *t = &v->track;
	double util, delay = 0;

	t->moved_at = p->track.moved_at;
	t->have_prev = p->track.have_util;
	t->prev_util = p->track.util;
	t->prev_delay = p->track.delay;
	t->prev_pcpu = p->pcpu;
	util = percent(v->time_ns, p->time_ns, dt);
	if (v->have_delay && p->have_delay)
		delay = percent(v->delay_ns, p->delay_ns, dt);
	if (util < 0 || delay < 0) {
		mc_debug("%s vcpu %u: counters went back; history reset", v->domain, v->vcpu);
		t->have_prev = false;
		return;
	}
	t->have_util = true;
	t->util = util;
	t->delay = delay;
	t->demand = fmin(100, util + delay);
}

static void track_pcpus(struct mc_cpu_snap *c, const struct mc_cpu_snap *p)
{
	bool any_util = false;
	unsigned i;
	size_t k;

	for (i = 0; i < c->npcpus && i < p->npcpus; i++) {
		struct mc_pcpu *x = &c->pcpus[i];
		const struct mc_pcpu *y = &p->pcpus[i];

		if (!x->have_times || !y->have_times || x->total_ns <= y->total_ns ||
		    x->busy_ns < y->busy_ns)
			continue;	/* no history, or reset */
		x->have_util = true;
		x->util = fmin(100, (double)(x->busy_ns - y->busy_ns) /
				     (double)(x->total_ns - y->total_ns) * 100);
	}
	for (k = 0; k < c->nvcpus; k++) {
		const struct mc_vcpu *v = &c->vcpus[k];

		any_util |= v->track.have_util;
		if (v->track.have_util && v->pcpu >= 0 && (unsigned)v->pcpu < c->npcpus)
			c->pcpus[v->pcpu].vcpu_util += v->track.util;
	}
	for (i = 0; i < c->npcpus; i++) {
		struct mc_pcpu *x = &c->pcpus[i];

		/* A host without per-pCPU times (or whose times stand still,
		 * as the test driver's): what the vCPUs used there is all we
		 * know of it. */
		if (x->online && !x->have_util && any_util) {
			x->have_util = true;
			x->util = fmin(100, x->vcpu_util);
		}
		x->other = fmax(0, x->util - x->vcpu_util);
	}
}

static void track(struct mc_cpu_coord *cc, struct mc_snapshot *s,
		  const struct mc_snapshot *prev)
{
	double dt = s->time - prev->time;
	size_t k;

	mc_cpu_snap_sort(&s->cpu);
	for (k = 0; k < s->cpu.nvcpus; k++) {
		struct mc_vcpu *v = &s->cpu.vcpus[k];
		const struct mc_vcpu *p = mc_cpu_snap_find(&prev->cpu, v->domain, v->vcpu);

		apply_conf(cc->cfg, v);
		if (p && dt > 0 && !strcmp(p->uuid, v->uuid))
			track_vcpu(v, p, dt);
	}
	track_pcpus(&s->cpu, &prev->cpu);
}

/* ---- place, clamp, pin ---- */

static void log_error(struct mc_cpu_coord *cc, const char *err)
{
	cc->stats.place_errors++;
	if (!strcmp(cc->last_error, err))
		return;
	mc_error("cpu policy %s failed: %s (pins kept)", mc_policy_path(cc->policy), err);
	mc_events_policy(cc->events, "policy_error", mc_policy_path(cc->policy), err);
	snprintf(cc->last_error, sizeof(cc->last_error), "%s", err);
}

static void log_drops(struct mc_cpu_coord *cc, unsigned dropped)
{
	unsigned fresh = dropped & ~cc->warned_drops;

	if (fresh & MC_CPU_CLAMP_UNKNOWN)
		mc_warn("cpu policy %s returned pinnings of unknown vCPUs; ignored",
			mc_policy_path(cc->policy));
	if (fresh & MC_CPU_CLAMP_BADPCPU)
		mc_warn("cpu policy %s returned pinnings that are not pCPU numbers; ignored",
			mc_policy_path(cc->policy));
	cc->warned_drops |= dropped;
}

static enum mc_events_outcome pin(struct mc_cpu_coord *cc, struct mc_vcpu *v,
				  const struct mc_cpuset *mask)
{
	if (cc->cfg->dry_run)
		return MC_EVENTS_DRY_RUN;
	if (!cc->backend->ops->set_pin) {
		mc_warn("%s vcpu %u: the %s backend cannot pin", v->domain, v->vcpu,
			cc->backend->kind);
		return MC_EVENTS_FAILED;
	}
	return cc->backend->ops->set_pin(cc->backend, v, mask) ? MC_EVENTS_FAILED :
	       MC_EVENTS_RESIZED;
}

static void actuate(struct mc_cpu_coord *cc, struct mc_snapshot *s)
{
	size_t k, r;

	for (k = 0; k < cc->res.ndec; k++) {
		const struct mc_cpu_decision *d = &cc->res.dec[k];
		struct mc_vcpu *v = &s->cpu.vcpus[d->vcpu];
		enum mc_events_outcome outcome;

		for (r = 0; r < MC_CPU_CLAMP_NRULES; r++)
			cc->stats.clamps[r] += (d->rules >> r) & 1;
		if (!d->act)
			continue;
		outcome = pin(cc, v, &d->target);
		cc->stats.pins += outcome == MC_EVENTS_RESIZED;
		cc->stats.pin_failures += outcome == MC_EVENTS_FAILED;
		if (outcome == MC_EVENTS_RESIZED)
			v->track.moved_at = s->time;
		mc_events_pin(cc->events, v, d, mc_policy_path(cc->policy), outcome);
	}
}

static int place(struct mc_cpu_coord *cc, struct mc_snapshot *s)
{
	struct mc_policy_ctx ctx = {
		.period = cc->cfg->period,
		.elapsed = cc->placed_once ? s->time - cc->last_place : 0,
		.tick = cc->stats.places,
		.reason = "period",
	};
	struct mc_cpuset allowed = mc_cpu_clamp_allowed(&s->cpu, &cc->cfg->cpu);
	char err[MC_ERR_LEN];
	int rc;

	cc->last_place = s->time;
	cc->placed_once = true;
	cc->stats.places++;
	mc_policy_set_timeout(cc->policy, mc_config_policy_timeout(cc->cfg));
	rc = mc_cpu_policy_place(cc->policy, s, &allowed, &ctx, &cc->pins, err, sizeof(err));
	cc->stats.place_cpu += mc_policy_last_cpu(cc->policy);
	cc->stats.place_worker_cpu += mc_policy_last_worker_cpu(cc->policy);
	if (rc) {
		log_error(cc, err);
		return -1;
	}
	if (cc->last_error[0])
		mc_info("cpu policy %s works again", mc_policy_path(cc->policy));
	cc->last_error[0] = '\0';
	if (mc_cpu_clamp_apply(&s->cpu, &cc->cfg->cpu, cc->pins.v, cc->pins.n, s->time,
			       &cc->res)) {
		mc_error("out of memory clamping pinnings; nothing re-pinned");
		return -1;
	}
	log_drops(cc, cc->res.dropped);
	actuate(cc, s);
	return 0;
}

static bool place_due(const struct mc_cpu_coord *cc, const struct mc_snapshot *s)
{
	return !cc->placed_once ||
	       s->time - cc->last_place >= cc->cfg->period - cc->cfg->sample / 2;
}

void mc_cpu_coord_sample(struct mc_cpu_coord *cc, struct mc_snapshot *s,
			 const struct mc_snapshot *prev)
{
	struct mc_cpuset allowed;
	bool placed = false;

	if (!s->cpu.collected)
		return;
	track(cc, s, prev);
	allowed = mc_cpu_clamp_allowed(&s->cpu, &cc->cfg->cpu);
	s->cpu.have_prev_stddev = cc->stats.have_stddev;
	s->cpu.prev_stddev = cc->stats.stddev;
	cc->stats.have_stddev = mc_cpu_clamp_stddev(&s->cpu, &allowed, &cc->stats.stddev);
	mc_cpu_clamp_result_free(&cc->res);
	if (place_due(cc, s))
		placed = place(cc, s) == 0;
	mc_cpu_report_sample(cc->report, &s->cpu, s->time, s->wall,
			     placed ? &cc->res : NULL);
}

int mc_cpu_coord_reload_policy(struct mc_cpu_coord *cc, const char *path,
			       const struct mc_snapshot *s, char *err, size_t errlen)
{
	struct mc_policy_ctx ctx = { .period = cc->cfg->period, .reason = "trial" };
	struct mc_cpuset allowed;
	struct mc_cpu_pins trial = { 0 };
	struct mc_policy *p;
	int rc = 0;

	p = mc_cpu_policy_load(path, cc->cfg->policy_params, cc->cfg->npolicy_params,
			       mc_config_policy_timeout(cc->cfg), err, errlen);
	if (!p)
		return -1;
	if (s && s->cpu.collected) {
		allowed = mc_cpu_clamp_allowed(&s->cpu, &cc->cfg->cpu);
		rc = mc_cpu_policy_place(p, s, &allowed, &ctx, &trial, err, errlen);
	}
	mc_cpu_pins_free(&trial);
	if (rc) {
		mc_policy_close(p);
		return -1;
	}
	mc_policy_close(cc->policy);
	cc->policy = p;
	cc->stats.policy_path = mc_policy_path(p);
	cc->last_error[0] = '\0';
	cc->warned_drops = 0;
	return 0;
}
