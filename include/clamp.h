/*
 * clamp.h - the safety rules between a policy's wishes and the balloons.
 *
 * Pure: no I/O, no globals.  Whatever a policy proposes, the actions that
 * come out respect every domain's max and min, never shrink a guest below
 * what it uses, never grow guests past what the host can spare, and move
 * each balloon by at most the step limits.
 */
#ifndef MC_CLAMP_H
#define MC_CLAMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "snapshot.h"

/*
 * The limits, one line each: X(field, "[limits] key", default MiB, what).
 * This list is the only place a limit is declared: it makes struct
 * mc_limits and the keys and defaults config.c reads.  The documentation
 * (README, memcoord.ini(5), conf/memcoord.ini) is checked against it by
 * test_clamp.c.
 */
#define MC_LIMITS(X) \
	X(min_domain,    "min_domain_mib",    256,  "no guest smaller") \
	X(guest_reserve, "guest_reserve_mib", 64,   "a shrink leaves this above used") \
	X(host_reserve,  "host_reserve_mib",  1024, "grows stop at this host free") \
	X(guest_pool,    "guest_pool_mib",    0,    "all guests at most this, 0 = off") \
	X(max_grow,      "max_grow_mib",      0,    "most one grow per decision, 0 = off") \
	X(max_shrink,    "max_shrink_mib",    256,  "most one shrink per decision (free memory beyond it is taken at once), 0 = off") \
	X(deadband,      "deadband_mib",      8,    "smaller changes are not made")

/* All in KiB; 0 disables the limit where that makes sense (pool, steps). */
struct mc_limits {
#define MC_LIMITS_FIELD(field, key, mib, what) uint64_t field;
	MC_LIMITS(MC_LIMITS_FIELD)
#undef MC_LIMITS_FIELD
};

/* One entry of what decide() returned.  value is NaN when it was not a
 * number. */
struct mc_proposal {
	const char *name;
	double value;
};

/*
 * The rules, one line each: X(ID, "name", what changed the target).  This
 * list is the only place a rule is declared: it makes the MC_CLAMP_<ID>
 * bits, MC_CLAMP_NRULES and the names that logs, the trace, the table, the
 * event log and the metrics print (mc_clamp_rules_str).  The line order is
 * the bit order, and so the order names are joined in ("max+floor"), which
 * the traces keep: add a rule at the end.  It is not the order the rules
 * run in; mc_clamp_apply() says that.  The rule's code names it by name
 * ("the floor rule"), never by position.
 */
#define MC_CLAMP_RULES(X) \
	X(UNKNOWN,  "unknown",      "no such domain: dropped") \
	X(NOTNUM,   "not-a-number", "not a finite number: dropped") \
	X(NOSTATS,  "no-stats",     "no guest stats yet, or excluded: keeps its size") \
	X(MAX,      "max",          "above the domain's max") \
	X(MIN,      "min",          "below the domain's min or min_domain") \
	X(FLOOR,    "floor",        "a shrink below used + guest reserve") \
	X(STEP,     "step",         "a move beyond max_grow / max_shrink") \
	X(BUDGET,   "budget",       "grows beyond host free - reserve / guest pool") \
	X(DEADBAND, "deadband",     "a change smaller than the deadband") \
	X(SETTLING, "settling",     "below a resize still settling") \
	X(BLOCK,    "block",        "virtio-mem: to a size its device can reach")

/* Each rule's position in the list: its bit number. */
enum mc_clamp_rule_index {
#define MC_CLAMP_INDEX(id, name, what) MC_CLAMP_INDEX_##id,
	MC_CLAMP_RULES(MC_CLAMP_INDEX)
#undef MC_CLAMP_INDEX
	MC_CLAMP_NRULES
};

/* Rules, as bits: which ones changed a target. */
enum mc_clamp_rule {
#define MC_CLAMP_BIT(id, name, what) MC_CLAMP_##id = 1u << MC_CLAMP_INDEX_##id,
	MC_CLAMP_RULES(MC_CLAMP_BIT)
#undef MC_CLAMP_BIT
};

/* The fate of one proposal for a known domain. */
struct mc_decision {
	size_t dom;		/* index into the snapshot */
	uint64_t from;		/* actual when decided */
	double proposed;	/* what the policy asked for */
	uint64_t target;	/* after the clamps */
	unsigned rules;		/* MC_CLAMP_* that changed it */
	bool act;		/* target != from: resize */
};

struct mc_clamp_result {
	struct mc_decision *dec;	/* known domains only, shrinks first */
	size_t ndec;
	size_t nact;			/* decisions with act set */
	unsigned dropped;		/* MC_CLAMP_UNKNOWN | MC_CLAMP_NOTNUM seen */
	uint64_t growable;		/* budget the grows were held to */
};

/* The grow budget for a snapshot: host free - host reserve, and within
 * guest_pool when set. */
uint64_t mc_clamp_growable(const struct mc_snapshot *s,
			   const struct mc_limits *lim);

/* Applies the rules to props.  Returns 0, or -1 when out of memory (res is
 * then empty).  res->dec is owned by the caller: mc_clamp_result_free(). */
int mc_clamp_apply(const struct mc_snapshot *s, const struct mc_limits *lim,
		   const struct mc_proposal *props, size_t nprops,
		   struct mc_clamp_result *res);
void mc_clamp_result_free(struct mc_clamp_result *res);

/* "max+floor" for a rule mask, for logs and the trace. */
const char *mc_clamp_rules_str(unsigned rules, char *buf, size_t len);
/* The same for any rule list: names[bit] joined with "+" (ksm_clamp.h's
 * and the CPU rules use it too).  Whole names only: one that does not fit
 * is left out. */
const char *mc_clamp_names_str(const char *const *names, size_t nnames,
			       unsigned rules, char *buf, size_t len);

#endif
