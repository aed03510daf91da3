/*
 * course_score.h - the four numbers a course-shaped test is judged by, for
 * a simulated run and a real-guest run alike (written once, here).
 *
 * Fed one sample per guest per coordinator sample (what the trace holds),
 * the workload's own truth (is it growing; when a free ended; OOM kills),
 * and the resizes the coordinator issued.  Pure: no I/O.
 *
 * Definitions:
 *  - OOM kills before max: kills in a guest whose balloon never came within
 *    MC_CS_AT_MAX_MIB of its max in the run (a real guest's kill cannot be
 *    placed in time exactly: its console gives guest uptime only).
 *  - tightest margin: the least unused memory in a sample of a guest whose
 *    workload is growing while its balloon is more than
 *    MC_CS_GROWABLE_MIB below its max (a guest at its max cannot be helped).
 *  - give-back: for each free of at least MC_CS_FREE_MIN_MIB, seconds from
 *    the end of the free until the guest's size is within MC_CS_REST_MIB of
 *    its resting size (its size at the end of the run); the worst one.  A
 *    guest whose resting size is not at least half of what it freed below
 *    its size when the free began never gave it back (infinite).  A
 *    guest whose size still moved by more than MC_CS_REST_MIB over the
 *    last MC_CS_SETTLED_S seconds of the run has not come to rest (its
 *    resting size is not known): its give-back is reported as unsettled.
 *  - held: unused memory summed over the guests, time-averaged over the
 *    run (each sample's value holds until the guest's next sample).
 *  - resize calls and direction reversals (a grow after a shrink, or the
 *    reverse, of one guest).
 */
#ifndef MC_COURSE_SCORE_H
#define MC_COURSE_SCORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MC_CS_AT_MAX_MIB	16
#define MC_CS_GROWABLE_MIB	100
#define MC_CS_FREE_MIN_MIB	512
#define MC_CS_REST_MIB		100
#define MC_CS_SETTLED_S		5.0

struct mc_cs;

struct mc_cs_result {
	unsigned ooms;			/* before max */
	double margin_mib;		/* NAN: never growing while growable */
	double giveback_s;		/* worst; NAN: no free of that size */
	bool unsettled;			/* a guest that freed never came to rest */
	double held_mib;
	unsigned long resizes, reversals;
};

/* nvm guests, each with its max (KiB); NULL when out of memory. */
struct mc_cs *mc_cs_new(size_t nvm, const uint64_t *max_kib);
void mc_cs_free(struct mc_cs *cs);

/* Guest vm's sample at t s: balloon size and unused memory (KiB); growing:
 * its workload is allocating.  Samples of one guest come in time order.
 * 0, or -1 when out of memory. */
int mc_cs_sample(struct mc_cs *cs, size_t vm, double t, uint64_t actual,
		 uint64_t unused, bool growing);
/* Guest vm's workload freed kib KiB, from start to end (s). */
void mc_cs_freed(struct mc_cs *cs, size_t vm, double start, double end,
		 uint64_t kib);
/* The coordinator asked guest vm to go from from_kib to to_kib. */
void mc_cs_resize(struct mc_cs *cs, size_t vm, uint64_t from_kib, uint64_t to_kib);
/* The guest's OOM killer ended a process. */
void mc_cs_oom(struct mc_cs *cs, size_t vm);

void mc_cs_result(const struct mc_cs *cs, struct mc_cs_result *out);

#endif
