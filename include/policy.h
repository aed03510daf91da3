/*
 * policy.h - the Lua policy: load, sandbox, call decide(), read targets.
 *
 * Each policy lives in its own lua_State inside its own worker process
 * (policy_worker.h), never in the daemon.  The daemon reads the policy
 * file, hands the text to the worker, sends it each snapshot and waits for
 * the targets at most the policy's timeout.  A call that raises, runs past
 * its instruction budget, allocates past its memory cap, returns something
 * that is not a table, or does not answer in time fails on its own: the
 * caller resizes nothing on the policy's word.  A worker that was late,
 * died or sent garbage is killed and started afresh on a later call, no
 * more than once per period (doubling up to MC_POLICY_BACKOFF_MAX periods
 * while it keeps failing).
 */
#ifndef MC_POLICY_H
#define MC_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "clamp.h"
#include "ksm_clamp.h"
#include "snapshot.h"

#define MC_POLICY_INSN_BUDGET	50000000L	/* VM instructions per call */
#define MC_POLICY_MEM_CAP	(64u << 20)	/* bytes per policy state */
#define MC_POLICY_TIMEOUT	1.0	/* s per call, unless set otherwise */
#define MC_POLICY_BACKOFF_MAX	8	/* periods between restarts, at most */

struct mc_policy;
struct mc_policy_ipc_buf;

/* The function a policy file must define, by contract. */
#define MC_POLICY_ENTRY_DECIDE	"decide"
#define MC_POLICY_ENTRY_PLACE	"place"

struct mc_policy_ctx {
	double period;
	double elapsed;		/* s since the last decide() */
	unsigned long tick;
	const char *reason;	/* "period" | "pressure" | "release" | "check" */
};

/* What decide() returned, names copied out of Lua; ksm from its second
 * value, the host settings (docs/policies.md, "The answer"). */
struct mc_proposals {
	struct mc_proposal *v;
	size_t n, cap;
	struct mc_ksm_request ksm;
};

/* Reads path (a regular file, bounded), starts a worker, loads the text
 * there with params as ctx.params and runs its init(ctx) if it has one,
 * all within timeout seconds.  NULL on failure; err holds file:line and
 * why.  params are copied. */
struct mc_policy *mc_policy_load_timed(const char *path,
				       const struct mc_kv *params, size_t nparams,
				       double timeout, char *err, size_t errlen);
/* The same for a policy of another contract: entry (static) is the
 * function it must define, MC_POLICY_ENTRY_PLACE for cpu_policy.h. */
struct mc_policy *mc_policy_load_entry(const char *path, const char *entry,
				       const struct mc_kv *params, size_t nparams,
				       double timeout, char *err, size_t errlen);
/* The same with MC_POLICY_TIMEOUT. */
struct mc_policy *mc_policy_load(const char *path, const struct mc_kv *params,
				 size_t nparams, char *err, size_t errlen);
/* Seconds each later call (decide, restart) may take. */
void mc_policy_set_timeout(struct mc_policy *p, double timeout);
/* Calls decide(); 0 with out filled, or -1 with err set and out empty.
 * Restarts a lost worker first when its back-off (in s->time) allows. */
int mc_policy_decide(struct mc_policy *p, const struct mc_snapshot *s,
		     const struct mc_policy_ctx *ctx, struct mc_proposals *out,
		     char *err, size_t errlen);
/* The call under every contract: sends req (a finished frame; bad = out
 * of memory building it) and hands the answer's payload, after its cpu,
 * to read, which returns -1 when it does not hold what it should (the
 * worker is then killed as a liar).  Deadline, restarts and back-off as
 * decide; now and period are the snapshot's clock and the period. */
typedef int mc_policy_reply_fn(struct mc_policy_ipc_buf *in, void *arg);
int mc_policy_call(struct mc_policy *p, double now, double period,
		   const struct mc_policy_ipc_buf *req, mc_policy_reply_fn *read,
		   void *arg, char *err, size_t errlen);
/* Key/value pairs into a request (n, then key and value each), as the
 * worker's mc_policy_lua_get_kvs reads them; extra (NULL: none) after kv,
 * as one list. */
void mc_policy_put_kvs(struct mc_policy_ipc_buf *b, const struct mc_kv *kv, size_t n,
		       const struct mc_kv *extra);
const char *mc_policy_path(const struct mc_policy *p);
/* FNV-1a 64 of the policy text as it was read and loaded. */
uint64_t mc_policy_hash(const struct mc_policy *p);
/* Seconds of CPU the last decide() took: the daemon's marshalling plus
 * the worker's own (which it measures and reports in each reply). */
double mc_policy_last_cpu(const struct mc_policy *p);
/* The worker's part of that. */
double mc_policy_last_worker_cpu(const struct mc_policy *p);
/* Workers started again after one was lost (not counting the first). */
unsigned long mc_policy_restarts(const struct mc_policy *p);
/* Kills the worker (SIGKILL: the policy's finalizers never run) and
 * frees everything. */
void mc_policy_close(struct mc_policy *p);

void mc_proposals_clear(struct mc_proposals *out);
void mc_proposals_free(struct mc_proposals *out);

#endif
