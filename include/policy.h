/*
 * policy.h - the Lua policy: load, sandbox, call decide(), read targets.
 *
 * Each policy lives in its own lua_State.  A call that raises, runs past its
 * instruction budget, allocates past its memory cap or returns something
 * that is not a table fails on its own: the caller resizes nothing.
 */
#ifndef MC_POLICY_H
#define MC_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "clamp.h"
#include "snapshot.h"

#define MC_POLICY_INSN_BUDGET	50000000L	/* VM instructions per call */
#define MC_POLICY_MEM_CAP	(64u << 20)	/* bytes per policy state */

struct mc_policy;

struct mc_policy_ctx {
	double period;
	double elapsed;		/* s since the last decide() */
	unsigned long tick;
	const char *reason;	/* "period" | "pressure" | "check" */
};

/* What decide() returned, names copied out of Lua. */
struct mc_proposals {
	struct mc_proposal *v;
	size_t n, cap;
};

/* Loads path into a fresh sandbox, with params as ctx.params, and runs its
 * init(ctx) if it has one.  NULL on failure; err holds file:line and why. */
struct mc_policy *mc_policy_load(const char *path, const struct mc_kv *params,
				 size_t nparams, char *err, size_t errlen);
/* Calls decide(); 0 with out filled, or -1 with err set and out empty. */
int mc_policy_decide(struct mc_policy *p, const struct mc_snapshot *s,
		     const struct mc_policy_ctx *ctx, struct mc_proposals *out,
		     char *err, size_t errlen);
const char *mc_policy_path(const struct mc_policy *p);
/* Seconds of CPU the last decide() took. */
double mc_policy_last_cpu(const struct mc_policy *p);
void mc_policy_close(struct mc_policy *p);

void mc_proposals_clear(struct mc_proposals *out);
void mc_proposals_free(struct mc_proposals *out);

#endif
