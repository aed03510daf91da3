/*
 * coordinator.h - one sample: collect -> decide -> clamp -> actuate -> report.
 *
 * The coordinator owns the policy and the last two snapshots; it borrows
 * the config and the backend.  It knows nothing of event loops: main.c (or
 * the simulator's driver) calls mc_coord_sample() when a sample is due.
 */
#ifndef MC_COORDINATOR_H
#define MC_COORDINATOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "coord_stats.h"
#include "snapshot.h"

struct mc_backend;
struct mc_config;
struct mc_coord;
struct mc_policy;
struct mc_report;
struct mc_snapshot;

/* Takes ownership of policy (may be NULL: collect and report only). */
struct mc_coord *mc_coord_new(const struct mc_config *cfg,
			      struct mc_backend *backend,
			      struct mc_policy *policy, struct mc_report *rep);
void mc_coord_free(struct mc_coord *c);

/* Runs one sample; decides when a period has passed or a domain shows
 * pressure.  0, or -1 when the backend could not be read. */
int mc_coord_sample(struct mc_coord *c);

/* on_exit = restore: after the last sample, grows every guest memcoord
 * resized back towards its size when first seen (d->track.initial):
 * through the clamps (never above its max, grows within host free less
 * host_reserve_mib, no step limit), with resize events of reason
 * "restore".  Never in a dry run, never an excluded guest, never a shrink.
 * Gives up before the next resize once `seconds` have passed or stop()
 * (may be NULL) says so: a second SIGTERM.  0, or -1 when the host could
 * not be read or memory ran out (nothing resized). */
struct mc_coord_restored {
	unsigned grown, failed;	/* resizes made, refused by the backend */
	unsigned halted;	/* shrinks in flight stopped at the first size */
	unsigned left;		/* asked for but not made: clamped to no
				 * change, or stopped */
	uint64_t kib;		/* given back in all */
	bool stopped;		/* by stop() or the deadline */
};
int mc_coord_restore(struct mc_coord *c, double seconds, bool (*stop)(void),
		     struct mc_coord_restored *out);

/* A re-read config was refused (the running one stays): counted, for the
 * metrics and status. */
void mc_coord_config_refused(struct mc_coord *c);
/* Loads path (with cfg's [policy] params), runs one trial decide() on the
 * last snapshot, and swaps it in.  On any failure the running policy stays
 * and err says why.  0 or -1. */
int mc_coord_reload_policy(struct mc_coord *c, const char *path,
			   char *err, size_t errlen);
/* The config changed (SIGHUP).  Borrowed, like the first one. */
void mc_coord_set_config(struct mc_coord *c, const struct mc_config *cfg);

/* Optional outputs, borrowed (either may be NULL): metrics are written
 * after each sample, events for each resize, policy error, reconnect. */
struct mc_metrics;
struct mc_events;
void mc_coord_set_outputs(struct mc_coord *c, struct mc_metrics *m,
			  struct mc_events *e);

/* The CPU side (cpu_coord.h): taken, run in every sample after memory,
 * freed with the coordinator.  NULL: none. */
struct mc_cpu_coord;
void mc_coord_set_cpu(struct mc_coord *c, struct mc_cpu_coord *cpu);
struct mc_cpu_coord *mc_coord_cpu(const struct mc_coord *c);

const struct mc_coord_stats *mc_coord_stats(const struct mc_coord *c);

/* The last decision made for a domain (policy or fallback), kept until
 * the domain is gone, for `memcoord status`. */
struct mc_coord_decision {
	char *name;
	char uuid[MC_UUID_LEN];
	uint64_t from, target;	/* KiB */
	double proposed;	/* KiB, what was asked */
	unsigned rules;		/* MC_CLAMP_* that fired */
	bool act;		/* a resize was asked of the backend */
	time_t when;		/* wall clock */
};

/* What an operator asks a running daemon: borrowed, valid until the next
 * sample or reload. */
struct mc_coord_health {
	const char *policy_path;
	uint64_t policy_hash;	/* FNV-1a 64 of the file as loaded, 0 = unread:
				 * it names a version, it proves nothing */
	const char *policy_error;	/* "" while the policy works */
	time_t policy_failing_since;	/* 0 while it works */
	bool fallback_active;
	bool backend_failing;	/* the last collect() failed */
	time_t backend_failing_since;
	time_t last_sample;	/* 0 = none yet */
	const struct mc_coord_decision *last;
	size_t nlast;
};
void mc_coord_health(const struct mc_coord *c, struct mc_coord_health *out);
/* The decision kept for the domain with this uuid, or NULL. */
const struct mc_coord_decision *mc_coord_decision_find(const struct mc_coord_health *h,
						       const char *uuid);
const struct mc_snapshot *mc_coord_snapshot(const struct mc_coord *c);

#endif
