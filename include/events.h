/*
 * events.h - the JSON-lines event log ([output] events).
 *
 * One JSON object per line for every resize, policy load, refusal and
 * error, and every libvirt reconnect, each with a local RFC 3339 timestamp
 * (under --simulate the simulated clock, in UTC), so an operator can
 * answer "why did my VM shrink at 03:12?" with grep or jq.  Every function accepts a NULL log and then does nothing, so callers
 * need not check whether the option is set.
 */
#ifndef MC_EVENTS_H
#define MC_EVENTS_H

#include <stddef.h>
#include <stdint.h>

struct mc_cpu_decision;
struct mc_decision;
struct mc_domain;
struct mc_vcpu;
struct mc_events;

/* How a resize went. */
enum mc_events_outcome {
	MC_EVENTS_RESIZED,	/* the hypervisor took the new target */
	MC_EVENTS_FAILED,	/* it refused (the log says why) */
	MC_EVENTS_DRY_RUN,	/* dry run: would have resized */
};

/* Opens path for appending (created 0644 if missing).  NULL with err set. */
struct mc_events *mc_events_open(const char *path, char *err, size_t errlen);
/* Stamps every event from now on with now(arg), seconds since the Unix
 * epoch, written in UTC: --simulate's clock, so the events of a run line
 * up with its trace and read the same every run.  NULL: the wall clock,
 * in local time (the default). */
void mc_events_set_clock(struct mc_events *e, double (*now)(void *arg),
			 void *arg);
/* Re-opens the same path, for log rotation (SIGHUP).  0 or -1 (logged; the
 * old file stays in use). */
int mc_events_reopen(struct mc_events *e);
void mc_events_close(struct mc_events *e);

/* One balloon change: d as sampled, dec as clamped.  reason is the decide
 * reason ("period", "pressure", "release"); policy the path that proposed it. */
void mc_events_resize(struct mc_events *e, const struct mc_domain *d,
		      const struct mc_decision *dec, const char *reason,
		      const char *policy, enum mc_events_outcome outcome);
/* One re-pin of vCPU v (as sampled), dec as clamped; outcome RESIZED
 * means the hypervisor took it. */
void mc_events_pin(struct mc_events *e, const struct mc_vcpu *v,
		   const struct mc_cpu_decision *dec, const char *policy,
		   enum mc_events_outcome outcome);
/* A policy event: kind is "policy_load", "policy_refused", "policy_error"
 * or "policy_recovered"; why (may be NULL) the trigger or the error. */
void mc_events_policy(struct mc_events *e, const char *kind,
		      const char *policy, const char *why);
/* A re-read config was refused, the running one stays: path (may be
 * NULL) and why. */
void mc_events_config_refused(struct mc_events *e, const char *path,
			      const char *why);
/* One KSM setting written (or, dry run, that would have been): field is
 * its file name ("run"), from the kernel's value, to what was written,
 * asked what the policy returned, rules (MC_KSM_CLAMP_*) what changed it. */
void mc_events_ksm(struct mc_events *e, const char *field, uint64_t from,
		   uint64_t to, double asked, unsigned rules, const char *reason,
		   const char *policy, enum mc_events_outcome outcome);
/* The backend re-opened its connection; count is the total so far. */
void mc_events_reconnect(struct mc_events *e, const char *backend,
			 unsigned long count);

#endif
