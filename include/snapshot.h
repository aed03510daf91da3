/*
 * snapshot.h - one sample of the host and its domains.
 *
 * A snapshot is what the backend collects and what the policy, the clamps
 * and the report read.  It is plain data: memory in KiB, time in seconds.
 */
#ifndef MC_SNAPSHOT_H
#define MC_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpu_snapshot.h"
#include "host_pressure.h"
#include "ksm.h"
#include "util.h"	/* MC_UUID_LEN */
#include "vmem.h"
#include "vmset.h"

/* Guest-reported balloon statistics.  Fields the guest did not report are 0
 * and have_stats is false until unused and available have both arrived. */
struct mc_memstats {
	uint64_t actual;	/* balloon size (KiB) */
	uint64_t unused;	/* guest MemFree (KiB) */
	uint64_t available;	/* guest MemTotal (KiB) */
	uint64_t usable;	/* guest MemAvailable (KiB) */
	uint64_t disk_caches;
	uint64_t rss;		/* host-side resident set (KiB) */
	uint64_t swap_in, swap_out, major_fault, minor_fault;
	int64_t last_update;	/* guest timestamp of the sample, 0 = unknown */
	bool have_stats;
};

struct mc_kv {
	char *key;
	char *value;
};

/* What the coordinator adds to a domain every sample; a backend never
 * writes it (mc_snapshot_add zeroes it).  Kept beside the backend's fields
 * rather than in a parallel array so that sorting the snapshot, and every
 * reader handed one const struct mc_domain * (clamps, policy bridge,
 * events), carries it along with no index to keep in step. */
struct mc_track {
	/* From the config, derived afresh each sample and on reload. */
	uint64_t max;		/* KiB: the backend's max, lowered by [domain] max_mib */
	uint64_t min;		/* KiB: the smallest size the core allows */
	bool excluded;		/* [domain] exclude = yes: never resized */
	/* [domain "NAME"] keys, borrowed from the config (not owned). */
	const struct mc_kv *params;
	size_t nparams;
	/* The settings of the domain's own (its metadata) that took effect:
	 * those its [domain] section leaves unset (vmset.h says why).  A
	 * weight here reaches the policy as d.params.weight. */
	struct mc_vmset vm_used;
	/* The balloon's size when memcoord first saw this domain (first
	 * sight: not in the previous sample under this name and uuid, so a
	 * guest shut down and started again is seen anew); on_exit = restore
	 * grows it back towards this. */
	uint64_t initial;
	/* The previous sample of the same domain (same uuid), if any. */
	struct mc_memstats prev;
	bool have_prev;
	/* When last_update last moved (backend clock); stats that stop moving
	 * are stale and the domain is treated as reporting none. */
	double stats_moved_at;
	bool stale;
	/* Our last resize, carried from sample to sample.  libvirt's balloon
	 * size lags the guest's fresh stats while a balloon moves, so
	 * actual - unused is wrong until the balloon has settled at the
	 * target and the guest has reported since: until then the domain is
	 * settling and is not shrunk. */
	uint64_t last_target;	/* KiB, 0 = never resized by us */
	double resized_at;
	bool settled;		/* actual reached last_target (or gave up) */
	double settled_at;
	bool settling;
};

/* One running domain.  The fields above track are the backend's (see
 * hypervisor.h for which it must fill); track is the coordinator's. */
struct mc_domain {
	/* Whole, however long: owned by the snapshot (mc_snapshot_add copies
	 * it, clear and free release it).  A cut name let two domains with a
	 * common prefix share one entry's decision, metrics and state. */
	char *name;
	char uuid[MC_UUID_LEN];
	int id;
	uint64_t max;		/* KiB: the hypervisor's max, as collected */
	struct mc_memstats cur;
	/* Settings kept with the VM (libvirt: its <metadata>), already
	 * checked; zeroed = none.  The core weighs them against the INI. */
	struct mc_vmset vm;
	struct mc_track track;
	/* A virtio-mem device (vmem.h), the backend's like max and cur: when
	 * it has one, cur.actual is vmem.base + vmem.plugged. */
	struct mc_vmem vmem;
};

struct mc_host {
	uint64_t total;
	uint64_t free;		/* MemFree + Buffers + Cached: what guests may take */
	uint64_t buffers;
	uint64_t cached;
	uint64_t reserve;	/* host_reserve_mib in KiB */
	uint64_t growable;	/* total grow the core allows this period */
	/* MemAvailable and PSI (host_pressure.h); absent values have their
	 * have flag false.  Only passed on. */
	struct mc_host_pressure pressure;
	/* /sys/kernel/mm/ksm (ksm.h); have false where it is not read. */
	struct mc_ksm ksm;
};

struct mc_snapshot {
	struct mc_domain *doms;	/* sorted by name */
	size_t ndoms;
	size_t cap;
	struct mc_host host;
	double time;		/* seconds, backend clock */
	double wall;		/* s since the Unix epoch (sim: simulated) */
	struct mc_cpu_snap cpu;	/* vCPUs and pCPUs, when a CPU policy runs */
};

void mc_snapshot_init(struct mc_snapshot *s);
void mc_snapshot_free(struct mc_snapshot *s);
/* Empties the snapshot but keeps its storage for the next sample. */
void mc_snapshot_clear(struct mc_snapshot *s);
/* Appends a zeroed domain with a copy of name; NULL when out of memory. */
struct mc_domain *mc_snapshot_add(struct mc_snapshot *s, const char *name);
/* Takes back the domain the last mc_snapshot_add() appended. */
void mc_snapshot_drop_last(struct mc_snapshot *s);
void mc_snapshot_sort(struct mc_snapshot *s);
/* Binary search by name; the snapshot must be sorted. */
struct mc_domain *mc_snapshot_find(const struct mc_snapshot *s, const char *name);
/* Used memory as the shrink floor sees it: actual - unused (0 if unknown). */
uint64_t mc_snapshot_used(const struct mc_domain *d);

#endif
