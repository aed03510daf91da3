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

/* All in KiB; 0 disables the limit where that makes sense (pool, steps). */
struct mc_limits {
	uint64_t min_domain;
	uint64_t guest_reserve;
	uint64_t host_reserve;
	uint64_t guest_pool;
	uint64_t max_grow;
	uint64_t max_shrink;
	uint64_t deadband;
};

/* One entry of what decide() returned.  value is NaN when it was not a
 * number. */
struct mc_proposal {
	const char *name;
	double value;
};

/* Rules, as bits: which ones changed a target. */
enum mc_clamp_rule {
	MC_CLAMP_UNKNOWN   = 1 << 0,	/* no such domain */
	MC_CLAMP_NOTNUM    = 1 << 1,	/* not a finite number */
	MC_CLAMP_NOSTATS   = 1 << 2,	/* no guest stats yet, or excluded */
	MC_CLAMP_MAX       = 1 << 3,
	MC_CLAMP_MIN       = 1 << 4,
	MC_CLAMP_FLOOR     = 1 << 5,	/* shrink below used + guest reserve */
	MC_CLAMP_STEP      = 1 << 6,
	MC_CLAMP_BUDGET    = 1 << 7,	/* host free / guest pool */
	MC_CLAMP_DEADBAND  = 1 << 8,
	MC_CLAMP_SETTLING  = 1 << 9,	/* nothing below a resize still settling */
};
#define MC_CLAMP_NRULES 10

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

/* "max,floor" for a rule mask, for logs and the trace. */
const char *mc_clamp_rules_str(unsigned rules, char *buf, size_t len);

#endif
