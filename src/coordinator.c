/*
 * coordinator.c - one sample: collect -> decide -> clamp -> actuate -> report.
 *
 * Stats are sampled every `sample` seconds; decide() runs every `period`,
 * or at once when a sample shows a domain under pressure.  Two snapshots
 * are kept so each domain carries its previous sample (d->track.prev).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clamp.h"
#include "config.h"
#include "coordinator.h"
#include "cpu_coord.h"
#include "events.h"
#include "hypervisor.h"
#include "ksm_clamp.h"
#include "log.h"
#include "metrics.h"
#include "policy.h"
#include "report.h"
#include "snapshot.h"
#include "util.h"

/* Guests report every second; stats unchanged for this long are stale. */
#define STALE_MIN_SECONDS 5.0
/* A balloon within this of its target has arrived; one that has not
 * arrived after SETTLE_GIVE_UP s never will (the guest holds the memory). */
#define SETTLE_TOLERANCE_KIB (4 * MC_KIB_PER_MIB)
#define SETTLE_GIVE_UP 10.0
/* The fallback grows a guest under pressure by twice the pressure
 * threshold (so one step lifts it clear of the threshold it fell below,
 * with the same again as margin), and by at least this: a guest that
 * swaps or faults while above the threshold needs a real step too.  The
 * clamps still hold it to max, the host budget and max_grow. */
#define FALLBACK_GROW_MIN_KIB (256 * MC_KIB_PER_MIB)

struct mc_coord {
	const struct mc_config *cfg;
	struct mc_backend *backend;
	struct mc_policy *policy;
	struct mc_report *report;
	struct mc_metrics *metrics;	/* borrowed, may be NULL */
	struct mc_events *events;	/* borrowed, may be NULL */
	struct mc_cpu_coord *cpu;	/* the CPU side, owned, may be NULL */
	struct mc_snapshot snap[2];
	int cur;			/* index of the newest snapshot */
	bool have_snapshot;
	double last_decide;
	bool decided_once;
	struct mc_proposals props;
	struct mc_clamp_result res;
	struct mc_coord_stats stats;
	char last_error[MC_ERR_LEN];		/* policy error already logged */
	bool in_fallback;		/* fallback episode already logged */
	bool fell_back;			/* this sample's decisions are the fallback's */
	unsigned long seen_restarts;	/* the policy's worker restarts counted */
	unsigned warned_drops;		/* MC_CLAMP_* causes already logged */
	unsigned warned_ksm;		/* MC_KSM_CLAMP_* causes already logged */
	/* For `memcoord status` only (mc_coord_health). */
	time_t policy_failing_since, backend_failing_since, last_sample;
	struct mc_coord_decision *last;	/* by domain, owned */
	size_t nlast;
};

static void forget_decisions(struct mc_coord *c)
{
	size_t i;

	for (i = 0; i < c->nlast; i++)
		free(c->last[i].name);
	free(c->last);
	c->last = NULL;
	c->nlast = 0;
}

struct mc_coord *mc_coord_new(const struct mc_config *cfg,
			      struct mc_backend *backend,
			      struct mc_policy *policy, struct mc_report *rep)
{
	struct mc_coord *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->cfg = cfg;
	c->backend = backend;
	c->policy = policy;
	c->report = rep;
	mc_snapshot_init(&c->snap[0]);
	mc_snapshot_init(&c->snap[1]);
	return c;
}

void mc_coord_free(struct mc_coord *c)
{
	if (!c)
		return;
	mc_policy_close(c->policy);
	mc_cpu_coord_free(c->cpu);
	mc_snapshot_free(&c->snap[0]);
	mc_snapshot_free(&c->snap[1]);
	mc_proposals_free(&c->props);
	mc_clamp_result_free(&c->res);
	forget_decisions(c);
	free(c);
}

static void apply_domain_conf(const struct mc_config *cfg, struct mc_domain *d);

void mc_coord_set_config(struct mc_coord *c, const struct mc_config *cfg)
{
	size_t k, i;

	c->cfg = cfg;
	if (c->cpu)
		mc_cpu_coord_set_config(c->cpu, cfg);
	/* Both snapshots borrow [domain] params from the config being
	 * replaced, which is freed next: the trial call of a reload reads the
	 * newest, and nothing may keep a pointer into the old one. */
	for (k = 0; c->have_snapshot && k < 2; k++)
		for (i = 0; i < c->snap[k].ndoms; i++)
			apply_domain_conf(cfg, &c->snap[k].doms[i]);
}

void mc_coord_set_outputs(struct mc_coord *c, struct mc_metrics *m,
			  struct mc_events *e)
{
	c->metrics = m;
	c->events = e;
	if (c->cpu)
		mc_cpu_coord_set_events(c->cpu, e);
}

void mc_coord_set_cpu(struct mc_coord *c, struct mc_cpu_coord *cpu)
{
	mc_cpu_coord_free(c->cpu);
	c->cpu = cpu;
	c->stats.cpu = cpu ? mc_cpu_coord_stats(cpu) : NULL;
	if (cpu)
		mc_cpu_coord_set_events(cpu, c->events);
}

struct mc_cpu_coord *mc_coord_cpu(const struct mc_coord *c)
{
	return c->cpu;
}

const struct mc_coord_stats *mc_coord_stats(const struct mc_coord *c)
{
	return &c->stats;
}

const struct mc_snapshot *mc_coord_snapshot(const struct mc_coord *c)
{
	return c->have_snapshot ? &c->snap[c->cur] : NULL;
}

void mc_coord_health(const struct mc_coord *c, struct mc_coord_health *out)
{
	*out = (struct mc_coord_health){
		.policy_path = c->policy ? mc_policy_path(c->policy) : NULL,
		.policy_hash = c->policy ? mc_policy_hash(c->policy) : 0,
		.policy_error = c->last_error,
		.policy_failing_since = c->policy_failing_since,
		.fallback_active = c->in_fallback,
		.backend_failing = c->backend_failing_since != 0,
		.backend_failing_since = c->backend_failing_since,
		.last_sample = c->last_sample,
		.last = c->last,
		.nlast = c->nlast,
	};
}

/* ---- annotate: config limits, previous sample, staleness ---- */

/* One source's limits on top of the hypervisor's and [limits]': a max
 * only lowers, a min only raises. */
static void apply_vmset(struct mc_track *t, const struct mc_vmset *set)
{
	uint64_t max = (uint64_t)set->max_mib * MC_KIB_PER_MIB;
	uint64_t min = (uint64_t)set->min_mib * MC_KIB_PER_MIB;

	if (set->has_max_mib && max < t->max)
		t->max = max;
	if (set->has_min_mib && min > t->min)
		t->min = min;
	if (set->has_exclude)
		t->excluded = set->exclude;
}

/* Every per-domain setting, derived from cfg and the VM's own settings
 * alone: on a reload a domain whose section is gone gets the defaults and
 * the hypervisor's own max back, and keeps no pointer into the old config.
 * The INI wins key by key (mc_vmset_overlay); the two sets applied are
 * disjoint. */
static void apply_domain_conf(const struct mc_config *cfg, struct mc_domain *d)
{
	const struct mc_domain_conf *dc = mc_config_domain(cfg, d->name);
	struct mc_track *t = &d->track;

	t->max = d->max;
	t->min = cfg->limits.min_domain;
	t->excluded = false;
	t->params = dc ? dc->params : NULL;
	t->nparams = dc ? dc->nparams : 0;
	mc_vmset_overlay(dc ? &dc->set : NULL, &d->vm, &t->vm_used);
	if (dc)
		apply_vmset(t, &dc->set);
	apply_vmset(t, &t->vm_used);
}

/* Our last resize: has the balloon got there, and has the guest reported
 * since?  Until both, actual and unused come from different moments. */
static void track_settling(struct mc_domain *d, const struct mc_domain *p,
			   double now)
{
	struct mc_track *k = &d->track;
	uint64_t a = d->cur.actual, t = p->track.last_target;

	k->last_target = t;
	k->resized_at = p->track.resized_at;
	k->settled = p->track.settled;
	k->settled_at = p->track.settled_at;
	if (!t)
		return;		/* never resized by us */
	if (!k->settled && ((a > t ? a - t : t - a) <= SETTLE_TOLERANCE_KIB ||
			    now - k->resized_at > SETTLE_GIVE_UP)) {
		k->settled = true;
		k->settled_at = now;
	}
	k->settling = !k->settled || k->stats_moved_at <= k->settled_at;
}

static void link_previous(const struct mc_snapshot *prev, struct mc_domain *d,
			  double now, double stale_after)
{
	const struct mc_domain *p = mc_snapshot_find(prev, d->name);
	struct mc_track *k = &d->track;

	k->stats_moved_at = now;
	k->initial = d->cur.actual;
	if (!p || strcmp(p->uuid, d->uuid))
		return;		/* new, or a new domain under an old name */
	k->initial = p->track.initial;
	k->prev = p->cur;
	k->have_prev = true;
	if (d->cur.last_update && d->cur.last_update == p->cur.last_update)
		k->stats_moved_at = p->track.stats_moved_at;
	if (d->cur.have_stats && now - k->stats_moved_at > stale_after) {
		if (!p->track.stale)
			mc_warn("%s: balloon stats stopped updating; not resizing it",
				d->name);
		k->stale = true;
		d->cur.have_stats = false;
	}
	track_settling(d, p, now);
}

static void annotate(struct mc_coord *c, struct mc_snapshot *s,
		     const struct mc_snapshot *prev)
{
	double stale_after = c->cfg->sample * 5;
	size_t i;

	if (stale_after < STALE_MIN_SECONDS)
		stale_after = STALE_MIN_SECONDS;
	mc_snapshot_sort(s);
	for (i = 0; i < s->ndoms; i++) {
		apply_domain_conf(c->cfg, &s->doms[i]);
		link_previous(prev, &s->doms[i], s->time, stale_after);
	}
	s->host.reserve = c->cfg->limits.host_reserve;
	s->host.growable = mc_clamp_growable(s, &c->cfg->limits);
}

/* What the guest uses by its own account (MemTotal - MemFree): unlike
 * actual - unused it does not move when the balloon does. */
static uint64_t guest_used(const struct mc_memstats *m)
{
	return m->available > m->unused ? m->available - m->unused : 0;
}

/* Used memory rose by more than pressure_unused_mib in one sample: at that
 * pace a guest can run out before the next period (a guest allocating as
 * fast as it can takes 100-300 MiB/s), so the policy is asked now. */
static bool consuming_fast(const struct mc_config *cfg, const struct mc_domain *d)
{
	return d->track.have_prev && d->track.prev.have_stats &&
	       guest_used(&d->cur) > guest_used(&d->track.prev) +
	       (uint64_t)cfg->pressure_unused_mib * MC_KIB_PER_MIB;
}

/* Used memory fell by more than pressure_unused_mib in one sample: the
 * guest has freed memory that another guest or the host can have now,
 * rather than up to a period later. */
static bool released(const struct mc_config *cfg, const struct mc_domain *d)
{
	return cfg->pressure_unused_mib && d->cur.have_stats && !d->track.excluded &&
	       d->track.have_prev && d->track.prev.have_stats &&
	       guest_used(&d->track.prev) > guest_used(&d->cur) +
	       (uint64_t)cfg->pressure_unused_mib * MC_KIB_PER_MIB;
}

/* A domain is under pressure when it swaps, faults pages in from disk, its
 * free memory falls below pressure_unused_mib, or it consumes fast. */
static bool under_pressure(const struct mc_config *cfg, const struct mc_domain *d)
{
	if (!d->cur.have_stats || d->track.excluded)
		return false;
	if (cfg->pressure_unused_mib &&
	    (d->cur.unused < (uint64_t)cfg->pressure_unused_mib * MC_KIB_PER_MIB ||
	     consuming_fast(cfg, d)))
		return true;
	return d->track.have_prev && d->track.prev.have_stats &&
	       (d->cur.swap_out > d->track.prev.swap_out ||
		d->cur.major_fault > d->track.prev.major_fault);
}

static const char *decide_reason(struct mc_coord *c, const struct mc_snapshot *s)
{
	size_t i;

	/* Half a sample of slack so jitter does not push a period late. */
	if (!c->decided_once ||
	    s->time - c->last_decide >= c->cfg->period - c->cfg->sample / 2)
		return "period";
	for (i = 0; i < s->ndoms; i++)
		if (under_pressure(c->cfg, &s->doms[i]))
			return "pressure";
	for (i = 0; i < s->ndoms; i++)
		if (released(c->cfg, &s->doms[i]))
			return "release";
	return NULL;
}

/* ---- decide, clamp, actuate ---- */

const struct mc_coord_decision *mc_coord_decision_find(const struct mc_coord_health *h,
						       const char *uuid)
{
	size_t i;

	for (i = 0; i < h->nlast; i++)
		if (!strcmp(h->last[i].uuid, uuid))
			return &h->last[i];
	return NULL;
}

static int decision_of(const struct mc_decision *dec, const struct mc_domain *d,
		       time_t now, struct mc_coord_decision *out)
{
	*out = (struct mc_coord_decision){
		.from = dec->from, .target = dec->target, .proposed = dec->proposed,
		.rules = dec->rules, .act = dec->act, .when = now,
	};
	snprintf(out->uuid, sizeof(out->uuid), "%s", d->uuid);
	out->name = strdup(d->name);
	return out->name ? 0 : -1;
}

static bool decided_now(const struct mc_clamp_result *res, size_t dom)
{
	size_t i;

	for (i = 0; i < res->ndec; i++)
		if (res->dec[i].dom == dom)
			return true;
	return false;
}

/* One entry per domain of s: this sample's decision, else the one kept
 * from before; domains that are gone are forgotten.  Status only: out of
 * memory loses a record, never a resize. */
static void remember_decisions(struct mc_coord *c, const struct mc_snapshot *s)
{
	struct mc_coord_decision *fresh = calloc(s->ndoms + c->res.ndec + 1, sizeof(*fresh));
	const struct mc_coord_health kept = { .last = c->last, .nlast = c->nlast };
	const struct mc_coord_decision *old;
	time_t now = time(NULL);
	size_t i, n = 0;

	for (i = 0; fresh && i < c->res.ndec; i++)
		n += !decision_of(&c->res.dec[i], &s->doms[c->res.dec[i].dom], now,
				  &fresh[n]);
	for (i = 0; fresh && i < s->ndoms; i++) {
		old = decided_now(&c->res, i) ? NULL : mc_coord_decision_find(&kept, s->doms[i].uuid);
		if (!old)
			continue;
		fresh[n] = *old;
		fresh[n].name = strdup(old->name);
		n += fresh[n].name != NULL;
	}
	forget_decisions(c);
	c->last = fresh;
	c->nlast = fresh ? n : 0;
}

static void log_policy_error(struct mc_coord *c, const char *err)
{
	c->stats.policy_errors++;
	if (!c->last_error[0])
		c->policy_failing_since = time(NULL);
	if (!strcmp(c->last_error, err))
		return;		/* once per cause, not every period */
	mc_error("policy %s failed: %s",
		 mc_policy_path(c->policy), err);
	mc_events_policy(c->events, "policy_error", mc_policy_path(c->policy), err);
	snprintf(c->last_error, sizeof(c->last_error), "%s", err);
}

static void log_drops(struct mc_coord *c, unsigned dropped)
{
	unsigned fresh = dropped & ~c->warned_drops;

	if (fresh & MC_CLAMP_UNKNOWN)
		mc_warn("policy %s returned targets for unknown domains; ignored",
			mc_policy_path(c->policy));
	if (fresh & MC_CLAMP_NOTNUM)
		mc_warn("policy %s returned targets that are not finite numbers; ignored",
			mc_policy_path(c->policy));
	c->warned_drops |= dropped;
}

/* Asks the backend for one decision's resize (a dry run only says so),
 * and keeps what settling needs to know. */
static void actuate_one(struct mc_coord *c, struct mc_snapshot *s,
			const struct mc_decision *dec, const char *reason)
{
	struct mc_domain *d = &s->doms[dec->dom];
	enum mc_events_outcome outcome;

	if (c->cfg->dry_run)
		outcome = MC_EVENTS_DRY_RUN;
	else if (c->backend->ops->set_target(c->backend, d, dec->target) == 0)
		outcome = MC_EVENTS_RESIZED;
	else
		outcome = MC_EVENTS_FAILED;
	c->stats.resizes += outcome == MC_EVENTS_RESIZED;
	c->stats.resize_failures += outcome == MC_EVENTS_FAILED;
	if (outcome == MC_EVENTS_RESIZED) {
		d->track.last_target = dec->target;
		d->track.resized_at = s->time;
		d->track.settled = false;
	}
	mc_events_resize(c->events, d, dec, reason, mc_policy_path(c->policy),
			 outcome);
}

static void actuate(struct mc_coord *c, struct mc_snapshot *s,
		    const char *reason)
{
	size_t i;

	for (i = 0; i < c->res.ndec; i++) {
		const struct mc_decision *dec = &c->res.dec[i];
		char rules[96];

		if (dec->rules && !(dec->rules & MC_CLAMP_NOSTATS))
			mc_debug("%s: policy asked %.0f KiB, clamped to %llu (%s)",
				 s->doms[dec->dom].name, dec->proposed,
				 (unsigned long long)dec->target,
				 mc_clamp_rules_str(dec->rules, rules, sizeof(rules)));
		if (dec->act)
			actuate_one(c, s, dec, reason);
	}
}

/* ---- host settings: KSM ---- */

/* Each cause that stopped or moved a setting, once.  Not said: ksm = off
 * (the default policy returns KSM settings on every host), a value the
 * kernel has already, and a file that refused (ksm.c said so). */
static void log_ksm_drops(struct mc_coord *c, unsigned rules)
{
	unsigned quiet = MC_KSM_CLAMP_OFF | MC_KSM_CLAMP_UNCHANGED | MC_KSM_CLAMP_UNWRITABLE;
	unsigned fresh = rules & ~quiet & ~c->warned_ksm;
	char names[128];

	if (fresh)
		mc_warn("policy %s: KSM settings clamped or dropped (%s)",
			mc_policy_path(c->policy),
			mc_ksm_clamp_rules_str(fresh, names, sizeof(names)));
	c->warned_ksm |= rules;
}

static enum mc_events_outcome write_ksm(struct mc_coord *c,
					const struct mc_ksm_change *ch)
{
	if (c->cfg->dry_run)
		return MC_EVENTS_DRY_RUN;
	if (!c->backend->ops->set_ksm ||
	    c->backend->ops->set_ksm(c->backend, ch->field, ch->to))
		return MC_EVENTS_FAILED;
	return MC_EVENTS_RESIZED;
}

/* The policy's KSM settings through their clamps to the host; each write
 * logged, evented and counted.  The snapshot shows what was written. */
static void actuate_ksm(struct mc_coord *c, struct mc_snapshot *s,
			const char *reason)
{
	struct mc_ksm_plan plan;
	size_t i;

	mc_ksm_clamp(&s->host.ksm, &c->props.ksm, &c->cfg->ksm, &plan);
	log_ksm_drops(c, plan.dropped | plan.changed);
	for (i = 0; i < plan.n; i++) {
		const struct mc_ksm_change *ch = &plan.c[i];
		enum mc_events_outcome outcome = write_ksm(c, ch);

		c->stats.ksm_writes += outcome == MC_EVENTS_RESIZED;
		c->stats.ksm_write_failures += outcome == MC_EVENTS_FAILED;
		mc_info("ksm: %s %llu -> %llu%s", mc_ksm_name(ch->field),
			(unsigned long long)ch->from, (unsigned long long)ch->to,
			outcome == MC_EVENTS_RESIZED ? "" :
			outcome == MC_EVENTS_FAILED ? ": failed" : " (dry run)");
		mc_events_ksm(c->events, mc_ksm_name(ch->field), ch->from, ch->to,
			      ch->asked, ch->rules, reason, mc_policy_path(c->policy),
			      outcome);
		if (outcome == MC_EVENTS_RESIZED)
			s->host.ksm.v[ch->field] = ch->to;
	}
}

/* Proposals for the built-in fallback: grow every guest under pressure.
 * Names are borrowed from the snapshot. */
static size_t fallback_proposals(const struct mc_coord *c,
				 const struct mc_snapshot *s,
				 struct mc_proposal *props)
{
	uint64_t grow = (uint64_t)c->cfg->pressure_unused_mib * MC_KIB_PER_MIB * 2;
	size_t i, n = 0;

	if (grow < FALLBACK_GROW_MIN_KIB)
		grow = FALLBACK_GROW_MIN_KIB;
	for (i = 0; i < s->ndoms; i++) {
		if (!under_pressure(c->cfg, &s->doms[i]))
			continue;
		props[n].name = s->doms[i].name;
		props[n++].value = (double)(s->doms[i].cur.actual + grow);
	}
	return n;
}

/* The policy failed, is late or its worker is gone: guests under pressure
 * are still served, through the same clamps as any policy.  Counted every
 * time; said (log and event) once per episode, when it first grows a
 * guest, so a policy failing on an idle host does not cry wolf twice. */
static int fallback(struct mc_coord *c, struct mc_snapshot *s)
{
	struct mc_proposal *props = calloc(s->ndoms ? s->ndoms : 1, sizeof(*props));
	size_t n;
	int rc;

	if (!props) {
		mc_error("out of memory in the fallback; nothing resized");
		return -1;
	}
	c->stats.policy_fallbacks++;
	c->fell_back = true;
	n = fallback_proposals(c, s, props);
	if (n && !c->in_fallback) {
		mc_warn("policy %s failed: until it works again, guests under pressure are grown by the built-in fallback",
			mc_policy_path(c->policy));
		mc_events_policy(c->events, "policy_fallback", mc_policy_path(c->policy),
				 c->last_error);
		c->in_fallback = true;
	}
	rc = mc_clamp_apply(s, &c->cfg->limits, props, n, &c->res);
	free(props);
	if (rc)
		mc_error("out of memory clamping targets; nothing resized");
	return rc;
}

static void count_policy_cpu(struct mc_coord *c)
{
	unsigned long restarts = mc_policy_restarts(c->policy);

	c->stats.decide_cpu += mc_policy_last_cpu(c->policy);
	c->stats.decide_worker_cpu += mc_policy_last_worker_cpu(c->policy);
	c->stats.policy_worker_restarts += restarts - c->seen_restarts;
	c->seen_restarts = restarts;
}

static int decide(struct mc_coord *c, struct mc_snapshot *s, const char *reason)
{
	struct mc_policy_ctx ctx = {
		.period = c->cfg->period,
		.elapsed = c->decided_once ? s->time - c->last_decide : 0,
		.tick = c->stats.decides,
		.reason = reason,
	};
	char err[MC_ERR_LEN];
	int rc;

	c->last_decide = s->time;
	c->decided_once = true;
	c->stats.decides++;
	c->fell_back = false;
	mc_policy_set_timeout(c->policy, mc_config_policy_timeout(c->cfg));
	rc = mc_policy_decide(c->policy, s, &ctx, &c->props, err, sizeof(err));
	count_policy_cpu(c);
	if (rc) {
		log_policy_error(c, err);
		return fallback(c, s);
	}
	if (c->last_error[0]) {
		mc_info("policy %s works again", mc_policy_path(c->policy));
		mc_events_policy(c->events, "policy_recovered",
				 mc_policy_path(c->policy), NULL);
		c->last_error[0] = '\0';
		c->policy_failing_since = 0;
		c->in_fallback = false;
	}
	if (mc_clamp_apply(s, &c->cfg->limits, c->props.v, c->props.n, &c->res)) {
		mc_error("out of memory clamping targets; nothing resized");
		return -1;
	}
	log_drops(c, c->res.dropped);
	return 0;
}

/* Collects into the spare snapshot and, when that worked, makes it the
 * current one with its bookkeeping (annotate).  The new snapshot, or NULL
 * when the backend could not be read. */
static struct mc_snapshot *take_sample(struct mc_coord *c)
{
	struct mc_snapshot *s = &c->snap[!c->cur], *prev = &c->snap[c->cur];
	int rc;

	mc_snapshot_clear(s);
	rc = c->backend->ops->collect(c->backend, s);
	if (c->backend->reconnects != c->stats.reconnects) {
		c->stats.reconnects = c->backend->reconnects;
		mc_events_reconnect(c->events, c->backend->kind, c->stats.reconnects);
	}
	c->stats.connected = rc == 0;
	if (rc && !c->backend_failing_since)
		c->backend_failing_since = time(NULL);
	if (rc)
		return NULL;
	c->backend_failing_since = 0;
	c->last_sample = time(NULL);
	c->cur = !c->cur;
	c->have_snapshot = true;
	c->stats.samples++;
	annotate(c, s, prev);
	return s;
}

int mc_coord_sample(struct mc_coord *c)
{
	struct mc_snapshot *s = take_sample(c);
	const char *reason;
	bool decided = false;

	c->stats.policy_path = c->policy ? mc_policy_path(c->policy) : NULL;
	c->stats.policy_hash = c->policy ? mc_policy_hash(c->policy) : 0;
	if (!s) {
		/* Health only: no host or domain series from a failed read. */
		mc_metrics_sample(c->metrics, NULL, NULL, c->cfg->dry_run, &c->stats);
		return -1;
	}
	mc_clamp_result_free(&c->res);
	reason = c->policy ? decide_reason(c, s) : NULL;
	if (reason && decide(c, s, reason) == 0) {
		/* Resize events say who decided: the policy, or the fallback. */
		actuate(c, s, c->fell_back ? "fallback" : reason);
		actuate_ksm(c, s, reason);	/* a failed policy proposed nothing */
		remember_decisions(c, s);
		decided = true;
	}
	mc_report_sample(c->report, s, decided ? &c->res : NULL,
			 reason ? reason : "sample", c->cfg->dry_run);
	if (c->cpu)	/* with the sample before s: take_sample() flipped cur */
		mc_cpu_coord_sample(c->cpu, s, &c->snap[!c->cur]);
	mc_metrics_sample(c->metrics, s, decided ? &c->res : NULL,
			  c->cfg->dry_run, &c->stats);
	return 0;
}

/* ---- on_exit = restore ---- */

/* A guest we resized that is now below its size at first sight (and below
 * its max; not excluded).  Guests above it are left alone: they hold what
 * they were given because they use it. */
static bool restorable(const struct mc_domain *d)
{
	const struct mc_track *t = &d->track;

	return !t->excluded && t->last_target && t->initial > d->cur.actual &&
	       d->cur.actual < t->max;
}

/* Each restorable guest asks for its first size back; every other one is
 * held still as if excluded, so that the clamps, which also decide every
 * guest outside its limits, neither move it nor give it a share of the
 * budget.  The snapshot is the last one: nothing reads it after.  Names
 * are borrowed from it. */
static size_t restore_proposals(struct mc_snapshot *s, struct mc_proposal *props)
{
	size_t i, n = 0;

	for (i = 0; i < s->ndoms; i++) {
		if (!restorable(&s->doms[i])) {
			s->doms[i].track.excluded = true;
			continue;
		}
		props[n].name = s->doms[i].name;
		props[n++].value = (double)s->doms[i].track.initial;
	}
	return n;
}

/* A shrink of ours still on its way below the guest's first size: the
 * balloon would go on past it after memcoord is gone.  Stopping it there
 * takes nothing from anyone (the first size lies between where the guest
 * is and where it was headed), so it needs no clamp; the clamps' settling
 * rule would refuse it, as it refuses any move below a resize in flight. */
static void halt_shrinks(struct mc_coord *c, struct mc_snapshot *s,
			 struct mc_coord_restored *out)
{
	size_t i;

	for (i = 0; i < s->ndoms; i++) {
		const struct mc_domain *d = &s->doms[i];
		const struct mc_track *t = &d->track;
		struct mc_decision dec = { .dom = i, .from = d->cur.actual,
					   .target = t->initial, .act = true };

		if (t->excluded || !t->last_target || t->last_target >= t->initial ||
		    t->initial > d->cur.actual)
			continue;
		actuate_one(c, s, &dec, "restore");
		mc_info("%s: a shrink to %.0f MiB stopped at %.0f MiB, its size "
			"when first seen", d->name, mc_mib_of_kib(t->last_target),
			mc_mib_of_kib(t->initial));
		out->halted++;
	}
}

static void restore_one(struct mc_coord *c, struct mc_snapshot *s,
			const struct mc_decision *dec, struct mc_coord_restored *out)
{
	const struct mc_domain *d = &s->doms[dec->dom];
	unsigned long failures = c->stats.resize_failures;
	char rules[96];

	actuate_one(c, s, dec, "restore");
	if (c->stats.resize_failures != failures) {
		out->failed++;
		return;
	}
	out->grown++;
	out->kib += dec->target - dec->from;
	mc_info("%s: restored %.0f -> %.0f MiB (%.0f MiB when first seen%s%s)",
		d->name, mc_mib_of_kib(dec->from), mc_mib_of_kib(dec->target),
		mc_mib_of_kib(d->track.initial), dec->rules ? "; held by " : "",
		dec->rules ? mc_clamp_rules_str(dec->rules, rules, sizeof(rules)) : "");
}

int mc_coord_restore(struct mc_coord *c, double seconds, bool (*stop)(void),
		     struct mc_coord_restored *out)
{
	double deadline = mc_monotonic_seconds() + seconds;
	struct mc_limits lim = c->cfg->limits;
	struct mc_proposal *props;
	struct mc_snapshot *s;
	size_t i, n;
	int rc;

	*out = (struct mc_coord_restored){ 0 };
	if (c->cfg->dry_run || !c->have_snapshot)
		return 0;	/* a dry run resized nothing; nothing seen, nothing shrunk */
	s = take_sample(c);
	props = s ? calloc(s->ndoms ? s->ndoms : 1, sizeof(*props)) : NULL;
	if (!props)
		return -1;
	halt_shrinks(c, s, out);
	n = restore_proposals(s, props);
	lim.max_grow = 0;	/* the last move: no period follows to pace it */
	mc_clamp_result_free(&c->res);
	rc = mc_clamp_apply(s, &lim, props, n, &c->res);
	free(props);
	for (i = 0; rc == 0 && i < c->res.ndec; i++) {
		const struct mc_decision *dec = &c->res.dec[i];

		if (!dec->act || dec->target <= dec->from)
			continue;	/* only grows on the way out */
		if ((stop && stop()) || mc_monotonic_seconds() > deadline) {
			out->stopped = true;
			break;
		}
		restore_one(c, s, dec, out);
	}
	out->left = (unsigned)n - out->grown - out->failed;
	return rc;
}

void mc_coord_config_refused(struct mc_coord *c)
{
	c->stats.config_refusals++;
	c->stats.last_config_refusal = mc_clock_seconds(CLOCK_REALTIME);
}

int mc_coord_reload_policy(struct mc_coord *c, const char *path,
			   char *err, size_t errlen)
{
	const struct mc_snapshot *s = mc_coord_snapshot(c);
	struct mc_policy_ctx ctx = { .period = c->cfg->period, .reason = "trial" };
	struct mc_proposals trial = { 0 };
	struct mc_policy *p;
	int rc = 0;

	p = mc_policy_load_timed(path, c->cfg->policy_params, c->cfg->npolicy_params,
				 mc_config_policy_timeout(c->cfg), err, errlen);
	if (!p) {
		c->stats.policy_refusals++;
		c->stats.last_refusal = mc_clock_seconds(CLOCK_REALTIME);
		return -1;
	}
	/* A trial call on the last real sample: a policy that cannot answer
	 * it would fail every period from now on. */
	if (s)
		rc = mc_policy_decide(p, s, &ctx, &trial, err, errlen);
	mc_proposals_free(&trial);
	if (rc) {
		mc_policy_close(p);
		c->stats.policy_refusals++;
		c->stats.last_refusal = mc_clock_seconds(CLOCK_REALTIME);
		return -1;
	}
	/* SIGKILL: the old policy's finalizers never run, here or there. */
	mc_policy_close(c->policy);
	c->policy = p;
	c->seen_restarts = 0;
	c->in_fallback = false;
	c->last_error[0] = '\0';
	c->policy_failing_since = 0;
	c->warned_drops = 0;
	c->warned_ksm = 0;
	c->stats.policy_reloads++;
	c->stats.last_reload = mc_clock_seconds(CLOCK_REALTIME);
	return 0;
}
