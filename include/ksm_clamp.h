/*
 * ksm_clamp.h - the safety rules between a policy's KSM settings and
 * /sys/kernel/mm/ksm.  Pure: no I/O, no globals (like clamp.h).
 *
 * A policy may return host settings beside its targets (docs/policies.md,
 * "The answer"): ksm.run, ksm.pages_to_scan, ksm.sleep_millisecs.  The
 * core writes one only when [host] ksm = on, the host has KSM, the file
 * has not refused a write before, the value is a finite number within
 * bounds, and it differs from what the kernel has now.
 */
#ifndef MC_KSM_CLAMP_H
#define MC_KSM_CLAMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ksm.h"

/*
 * The [host] bounds, one line each: X(field, "key", default, what).  The
 * only place they are declared: struct mc_ksm_limits, config.c's keys and
 * defaults come from it.  The defaults are oVirt MOM's own range for
 * pages_to_scan (ksm_npages_min/max in its doc/ksm.rules), and for the
 * sleep a 10 ms floor (MOM's baseline for a 16 GiB host; shorter burns a
 * CPU in ksmd) up to 1 s.
 */
#define MC_KSM_LIMITS(X) \
	X(pages_to_scan_min,   "ksm_pages_to_scan_min",   64,   "fewest pages per ksmd wake-up") \
	X(pages_to_scan_max,   "ksm_pages_to_scan_max",   1250, "most pages per ksmd wake-up") \
	X(sleep_millisecs_min, "ksm_sleep_millisecs_min", 10,   "shortest ksmd sleep, ms") \
	X(sleep_millisecs_max, "ksm_sleep_millisecs_max", 1000, "longest ksmd sleep, ms")

struct mc_ksm_limits {
	bool on;		/* [host] ksm = on; off (the default): never written */
#define MC_KSM_LIMITS_FIELD(field, key, def, what) uint64_t field;
	MC_KSM_LIMITS(MC_KSM_LIMITS_FIELD)
#undef MC_KSM_LIMITS_FIELD
};

/* The rules, one line each: X(ID, "name", what).  Bits in the order of the
 * list; the names reach the log, the events and the metrics. */
#define MC_KSM_CLAMP_RULES(X) \
	X(OFF,        "off",          "[host] ksm = off: never written") \
	X(NO_KSM,     "no-ksm",       "the host has no KSM") \
	X(UNWRITABLE, "unwritable",   "the file refused a write before") \
	X(NOTNUM,     "not-a-number", "not a finite number >= 0: dropped") \
	X(RUN,        "run",          "run other than 0 or 1 (2 = unmerge): dropped") \
	X(RANGE,      "range",        "outside the [host] bounds: moved to the bound") \
	X(UNCHANGED,  "unchanged",    "the kernel has this value already: not written")

enum mc_ksm_clamp_index {
#define MC_KSM_CLAMP_INDEX(id, name, what) MC_KSM_CLAMP_INDEX_##id,
	MC_KSM_CLAMP_RULES(MC_KSM_CLAMP_INDEX)
#undef MC_KSM_CLAMP_INDEX
	MC_KSM_CLAMP_NRULES
};

enum mc_ksm_clamp_rule {
#define MC_KSM_CLAMP_BIT(id, name, what) MC_KSM_CLAMP_##id = 1u << MC_KSM_CLAMP_INDEX_##id,
	MC_KSM_CLAMP_RULES(MC_KSM_CLAMP_BIT)
#undef MC_KSM_CLAMP_BIT
};

/* What the policy asked: set has bit (1 << field) for each setting it
 * returned; v[field] is its value (NaN when it was not a number). */
struct mc_ksm_request {
	unsigned set;
	double v[MC_KSM_NFIELDS];
};

/* One write to make. */
struct mc_ksm_change {
	enum mc_ksm_field field;
	uint64_t from, to;
	double asked;
	unsigned rules;		/* MC_KSM_CLAMP_* that changed it (range) */
};

struct mc_ksm_plan {
	struct mc_ksm_change c[MC_KSM_NFIELDS];
	size_t n;
	unsigned dropped;	/* MC_KSM_CLAMP_* that stopped a setting */
	unsigned changed;	/* MC_KSM_CLAMP_* that changed a written value */
};

/* The writes req leads to on a host whose KSM is cur. */
void mc_ksm_clamp(const struct mc_ksm *cur, const struct mc_ksm_request *req,
		  const struct mc_ksm_limits *lim, struct mc_ksm_plan *out);

/* "off+range" for a rule mask. */
const char *mc_ksm_clamp_rules_str(unsigned rules, char *buf, size_t len);

#endif
