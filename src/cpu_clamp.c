/*
 * cpu_clamp.c - the CPU rules.  Pure: snapshot + pinnings + limits ->
 * decisions.  In this order:
 *
 *   unknown, bad-pcpu   drop pinnings of no vCPU, or of no pCPU numbers
 *   no-stats, excluded  a vCPU without utilization yet, or of a domain
 *                       with cpu_exclude, keeps its pins
 *   allowed             the mask loses offline, reserved and foreign pCPUs
 *   empty               nothing left: keeps its pins (never an empty mask)
 *   (unchanged)         the same mask as now: nothing to do, no rule
 *   deadband            the stddev of the guest load on the allowed pCPUs
 *                       (the smaller of this sample's and the last one's)
 *                       (each pCPU's vcpu_util, as the course's harness
 *                       measures it: the vCPUs' run time where they ran) is
 *                       within the deadband: every move is held.  Host load
 *                       from outside the guests is left out: no re-pin can
 *                       move it, and on a shared host it would keep the
 *                       vCPUs moving
 *   dwell               pinned by us less than dwell s ago: held
 *   max-moves           past max_moves changes this period: held, in the
 *                       order place() returned them
 */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "clamp.h"
#include "cpu_clamp.h"

static const char *const rule_names[MC_CPU_CLAMP_NRULES] = {
#define MC_CPU_CLAMP_NAME(id, name, what) [MC_CPU_CLAMP_INDEX_##id] = name,
	MC_CPU_CLAMP_RULES(MC_CPU_CLAMP_NAME)
#undef MC_CPU_CLAMP_NAME
};

_Static_assert(MC_CPU_CLAMP_NRULES <= sizeof(unsigned) * CHAR_BIT,
	       "more CPU clamp rules than bits in a rule mask");

const char *mc_cpu_clamp_rules_str(unsigned rules, char *buf, size_t len)
{
	return mc_clamp_names_str(rule_names, MC_CPU_CLAMP_NRULES, rules, buf, len);
}

struct mc_cpuset mc_cpu_clamp_allowed(const struct mc_cpu_snap *s,
				      const struct mc_cpu_limits *lim)
{
	struct mc_cpuset on = mc_cpu_snap_online(s);

	if (lim->have_pcpus)
		on = mc_cpuset_and(&on, &lim->pcpus);
	return mc_cpuset_minus(&on, &lim->reserve);
}

bool mc_cpu_clamp_stddev(const struct mc_cpu_snap *s, const struct mc_cpuset *allowed,
			 double *out)
{
	double sum = 0, sq = 0;
	unsigned i, n = 0;

	for (i = 0; i < s->npcpus; i++) {
		if (!mc_cpuset_has(allowed, i))
			continue;
		if (!s->pcpus[i].have_util)
			return false;
		sum += s->pcpus[i].vcpu_util;
		sq += s->pcpus[i].vcpu_util * s->pcpus[i].vcpu_util;
		n++;
	}
	if (!n)
		return false;
	*out = sqrt(fmax(0, sq / n - (sum / n) * (sum / n)));
	return true;
}

/* The vCPU a pinning names, or NULL. */
static const struct mc_vcpu *pin_vcpu(const struct mc_cpu_snap *s,
				      const struct mc_cpu_pin *p)
{
	if (!p->domain || !isfinite(p->vcpu) || p->vcpu < 0 ||
	    p->vcpu > UINT_MAX || p->vcpu != floor(p->vcpu))
		return NULL;
	return mc_cpu_snap_find(s, p->domain, (unsigned)p->vcpu);
}

/* The decision slot of vCPU index i (by[i] - 1, 0 = none yet): a later
 * pinning of the same vCPU replaces an earlier one. */
static struct mc_cpu_decision *slot(struct mc_cpu_clamp_result *res, size_t *by,
				    size_t i)
{
	if (!by[i])
		by[i] = ++res->ndec;
	return &res->dec[by[i] - 1];
}

/* The rules a single vCPU's pinning meets, before the host-wide ones. */
static void clamp_one(const struct mc_vcpu *v, const struct mc_cpuset *allowed,
		      struct mc_cpu_decision *d)
{
	struct mc_cpuset ok = mc_cpuset_and(allowed, &v->track.cpuset);

	d->target = d->from;
	if (!v->track.have_util) {
		d->rules |= MC_CPU_CLAMP_NOSTATS;
		return;
	}
	if (v->track.excluded) {
		d->rules |= MC_CPU_CLAMP_EXCLUDED;
		return;
	}
	d->target = mc_cpuset_and(&d->proposed, &ok);
	if (!mc_cpuset_equal(&d->target, &d->proposed))
		d->rules |= MC_CPU_CLAMP_ALLOWED;
	if (!mc_cpuset_count(&d->target)) {
		d->rules |= MC_CPU_CLAMP_EMPTY;
		d->target = d->from;
	}
}

/* Holds a move back under rule: the vCPU keeps what it has. */
static void hold(struct mc_cpu_decision *d, unsigned rule)
{
	d->rules |= rule;
	d->target = d->from;
	d->act = false;
}

/* deadband, dwell, max-moves: over the moves that are left. */
static void host_rules(const struct mc_cpu_snap *s, const struct mc_cpu_limits *lim,
		       double now, struct mc_cpu_clamp_result *res)
{
	/* Without a stddev (a pCPU has no utilization yet, or had none a
	 * sample ago) balance is not known: hold, as for a vCPU without
	 * stats.  An imbalance must show in two samples running: the pCPU a free vCPU last ran on is one
	 * instant's, and the kernel moves it, so one sample can show two
	 * heavy vCPUs on one pCPU that share it only for that instant.  0
	 * turns the rule off. */
	bool known = res->have_stddev && s->have_prev_stddev;
	bool balanced = lim->deadband > 0 &&
			(!known || fmin(res->stddev, s->prev_stddev) <= lim->deadband);
	size_t k;

	res->nact = 0;
	for (k = 0; k < res->ndec; k++) {
		struct mc_cpu_decision *d = &res->dec[k];
		const struct mc_vcpu *v = &s->vcpus[d->vcpu];

		d->act = !mc_cpuset_equal(&d->target, &d->from);
		if (!d->act)
			continue;
		if (balanced)
			hold(d, MC_CPU_CLAMP_DEADBAND);
		else if (v->track.moved_at >= 0 && now - v->track.moved_at < lim->dwell)
			hold(d, MC_CPU_CLAMP_DWELL);
		else if (lim->max_moves > 0 && res->nact >= lim->max_moves)
			hold(d, MC_CPU_CLAMP_MAXMOVES);
		else
			res->nact++;
	}
}

static int cmp_dec(const void *a, const void *b)
{
	size_t x = ((const struct mc_cpu_decision *)a)->vcpu;
	size_t y = ((const struct mc_cpu_decision *)b)->vcpu;

	return (x > y) - (x < y);
}

int mc_cpu_clamp_apply(const struct mc_cpu_snap *s, const struct mc_cpu_limits *lim,
		       const struct mc_cpu_pin *pins, size_t npins, double now,
		       struct mc_cpu_clamp_result *res)
{
	size_t k, *by = calloc(s->nvcpus + 1, sizeof(*by));

	memset(res, 0, sizeof(*res));
	res->allowed = mc_cpu_clamp_allowed(s, lim);
	res->have_stddev = mc_cpu_clamp_stddev(s, &res->allowed, &res->stddev);
	res->dec = calloc(npins ? npins : 1, sizeof(*res->dec));
	if (!res->dec || !by) {
		free(by);
		mc_cpu_clamp_result_free(res);
		return -1;
	}
	for (k = 0; k < npins; k++) {
		const struct mc_vcpu *v = pin_vcpu(s, &pins[k]);
		struct mc_cpu_decision *d;

		if (!v || !pins[k].mask_ok || !mc_cpuset_count(&pins[k].mask)) {
			res->dropped |= v ? MC_CPU_CLAMP_BADPCPU : MC_CPU_CLAMP_UNKNOWN;
			continue;
		}
		d = slot(res, by, (size_t)(v - s->vcpus));
		*d = (struct mc_cpu_decision){ .vcpu = (size_t)(v - s->vcpus),
			.from = v->affinity, .proposed = pins[k].mask };
		clamp_one(v, &res->allowed, d);
	}
	free(by);
	host_rules(s, lim, now, res);
	qsort(res->dec, res->ndec, sizeof(*res->dec), cmp_dec);
	return 0;
}

void mc_cpu_clamp_result_free(struct mc_cpu_clamp_result *res)
{
	free(res->dec);
	memset(res, 0, sizeof(*res));
}
