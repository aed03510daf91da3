/*
 * ksm_clamp.c - the safety rules for a policy's KSM settings.  Pure.
 *
 * run = 2 (stop and unmerge every shared page) is refused: unmerging
 * needs, at once, as much host memory as KSM saved (pages_sharing pages),
 * which on a host that overcommits through KSM is exactly the memory it
 * does not have.  An operator who wants it writes the file by hand.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "clamp.h"
#include "ksm_clamp.h"

static const char *const rule_names[MC_KSM_CLAMP_NRULES] = {
#define MC_KSM_CLAMP_NAME(id, name, what) name,
	MC_KSM_CLAMP_RULES(MC_KSM_CLAMP_NAME)
#undef MC_KSM_CLAMP_NAME
};

/* The bounds of a settable field; run is 0..1. */
static void bounds(enum mc_ksm_field f, const struct mc_ksm_limits *lim,
		   uint64_t *lo, uint64_t *hi)
{
	*lo = 0;
	*hi = 1;
	if (f == MC_KSM_PAGES_TO_SCAN) {
		*lo = lim->pages_to_scan_min;
		*hi = lim->pages_to_scan_max;
	} else if (f == MC_KSM_SLEEP_MILLISECS) {
		*lo = lim->sleep_millisecs_min;
		*hi = lim->sleep_millisecs_max;
	}
}

/* The value to write for one asked setting, or 0 rules set in *drop. */
static unsigned clamp_one(enum mc_ksm_field f, double asked,
			  const struct mc_ksm_limits *lim, uint64_t *to)
{
	uint64_t lo, hi;

	if (!isfinite(asked) || asked < 0 || asked >= 0x1p63)
		return MC_KSM_CLAMP_NOTNUM;
	if (f == MC_KSM_RUN && asked != 0 && asked != 1)
		return MC_KSM_CLAMP_RUN;
	bounds(f, lim, &lo, &hi);
	*to = (uint64_t)llround(asked);
	if (*to < lo || *to > hi) {
		*to = *to < lo ? lo : hi;
		return MC_KSM_CLAMP_RANGE;
	}
	return 0;
}

/* Why nothing of the request may be written at all, or 0. */
static unsigned refused_whole(const struct mc_ksm *cur,
			      const struct mc_ksm_limits *lim)
{
	if (!lim->on)
		return MC_KSM_CLAMP_OFF;
	return cur->have ? 0 : MC_KSM_CLAMP_NO_KSM;
}

void mc_ksm_clamp(const struct mc_ksm *cur, const struct mc_ksm_request *req,
		  const struct mc_ksm_limits *lim, struct mc_ksm_plan *out)
{
	unsigned whole = req->set ? refused_whole(cur, lim) : 0, rules;
	int f;

	memset(out, 0, sizeof(*out));
	out->dropped = whole;
	for (f = 0; !whole && f < MC_KSM_NFIELDS; f++) {
		uint64_t to = 0;

		if (!(req->set & (1u << f)) || !mc_ksm_settable((enum mc_ksm_field)f))
			continue;
		rules = cur->unwritable & (1u << f) ? MC_KSM_CLAMP_UNWRITABLE :
			clamp_one((enum mc_ksm_field)f, req->v[f], lim, &to);
		if (rules && rules != MC_KSM_CLAMP_RANGE) {
			out->dropped |= rules;
			continue;
		}
		if (to == cur->v[f]) {
			out->dropped |= MC_KSM_CLAMP_UNCHANGED;
			continue;
		}
		out->changed |= rules;
		out->c[out->n++] = (struct mc_ksm_change){ .field = (enum mc_ksm_field)f,
			.from = cur->v[f], .to = to, .asked = req->v[f], .rules = rules };
	}
}

const char *mc_ksm_clamp_rules_str(unsigned rules, char *buf, size_t len)
{
	return mc_clamp_names_str(rule_names, MC_KSM_CLAMP_NRULES, rules, buf, len);
}
