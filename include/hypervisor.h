/*
 * hypervisor.h - the backend contract: what a hypervisor backend gives the
 * core, and what the core does with it.  The coordinator cannot tell the
 * backends apart: a real libvirt host, the simulator, or the in-memory one
 * the unit tests use (hypervisor_mem.c, the template a new backend starts
 * from).  tests/unit/test_backend_contract.c runs every backend through
 * collect() and checks the MUST fields below.
 *
 * Units: memory in KiB, time in seconds.
 *
 * collect() fills struct mc_snapshot (snapshot.h) with every running
 * domain, in any order (the core sorts by name), and the host:
 *
 *   MUST fill
 *     d->name          via mc_snapshot_add(), which copies it: the entry
 *                      owns its name.  One entry per domain, names unique.
 *     d->max           KiB > 0: the most the domain may have (the
 *                      hypervisor's max).  No grow ever goes above it;
 *                      the core may lower it ([domain] max_mib) in
 *                      d->track, never here.
 *     d->cur.actual    KiB > 0: the balloon's live size.
 *     host.total       KiB: the host's memory.
 *     host.free        KiB: what guests may take now (MemFree + Buffers +
 *                      Cached on Linux).  Grows are held to it, less the
 *                      host reserve.
 *     snap->time       s on a clock of the backend's own that never goes
 *                      back (libvirt: CLOCK_MONOTONIC; sim: model time).
 *                      Only differences are used.
 *     snap->wall       s since the Unix epoch when the stats were read
 *                      (libvirt: CLOCK_REALTIME; sim: the simulated
 *                      clock, mc_sim_model_wall()): the trace's
 *                      unix_time, to line it up with other logs.
 *
 *   SHOULD fill; without them the core does this:
 *     d->uuid          "" when unknown.  It tells a domain from a new one
 *                      started under the same name: without it the new
 *                      one inherits the old one's previous sample and
 *                      resize history.
 *     d->id            -1 (mc_snapshot_add's default) when not running or
 *                      unknown.  Passed to the policy; a backend may use
 *                      it to find the domain again in set_target().
 *     d->cur.unused, d->cur.available, and d->cur.have_stats
 *                      have_stats true only when both arrived.  Without
 *                      it the domain is never resized (rule no-stats) and
 *                      never seen under pressure.
 *     d->cur.last_update  guest timestamp of the stats, 0 = unknown.
 *                      WITHOUT IT STALENESS DETECTION IS SILENTLY OFF:
 *                      stats that stopped updating look fresh and the
 *                      domain is still shrunk on old numbers.
 *     d->cur.swap_out, d->cur.major_fault
 *                      0 when not reported.  Their growth since the last
 *                      sample is pressure (an early decide(), the
 *                      fallback's grows); without them only unused below
 *                      pressure_unused_mib is.
 *     d->cur.usable, disk_caches, rss, swap_in, minor_fault
 *                      0 when not reported; only passed on to the policy.
 *     host.buffers, host.cached
 *                      0 when not reported; only passed on.
 *     d->vm            the settings stored with the domain (libvirt: its
 *                      <metadata>, domxml.h), already checked; zeroed when
 *                      none or refused.  The core weighs them against the
 *                      INI's [domain] sections (vmset.h: the INI wins).
 *                      Read when the domain is first seen, not every
 *                      sample; again after reread().
 *     d->vmem          a virtio-mem memory device (vmem.h): have, base,
 *                      size, block, requested, plugged.  Then d->cur.actual
 *                      is base + plugged (what the guest took, not what
 *                      was asked) and set_target() resizes the device.
 *                      Without it the balloon is the lever.
 *     host.pressure, host.ksm
 *                      the host's MemAvailable and PSI (host_pressure.h)
 *                      and KSM state (ksm.h), have flags false when not
 *                      read (a remote host: they are this machine's
 *                      files).  Passed on; KSM settings are clamped
 *                      against host.ksm and written with set_ksm.
 *
 *   MUST NOT touch
 *     d->track         the coordinator's bookkeeping (config limits,
 *                      previous sample, staleness, settling).
 *     host.reserve, host.growable   set by the core after collect().
 *
 * Ownership: the snapshot belongs to the caller, cleared before collect().
 * A backend keeps no pointer into it after collect() returns.  The domain
 * set_target() is handed is borrowed for the call.
 *
 * Threads and blocking: one thread (the coordinator's) calls every op, once
 * per sample; nothing is called concurrently.  collect() may block on the
 * hypervisor but should be bounded: the sample loop waits for it.
 * set_target() starts a resize and returns; it does not wait for the
 * balloon to arrive (the core watches it settle through later samples).
 */
#ifndef MC_HYPERVISOR_H
#define MC_HYPERVISOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ksm.h"

struct mc_backend;
struct mc_cpuset;
struct mc_domain;
struct mc_vcpu;
struct mc_host;
struct mc_sim_model;
struct mc_snapshot;

struct mc_backend_ops {
	/* Fills snap (already cleared) as the contract above says.  0, or -1
	 * when the host could not be read at all (logged): nothing is
	 * decided this sample and snap's content is ignored. */
	int (*collect)(struct mc_backend *b, struct mc_snapshot *snap);
	/* Sets the live balloon target of d, a domain of the last snapshot
	 * collected; find it by uuid or id, not by name alone (a name can be
	 * reused).  kib is never above d->max unless it shrinks a domain that
	 * is above it.  A virtio-mem domain (d->vmem.have): kib is base +
	 * whole blocks, and the device is asked for kib - base.  0 or -1
	 * (logged). */
	int (*set_target)(struct mc_backend *b, const struct mc_domain *d,
			  uint64_t kib);
	/* Optional (NULL: nothing is kept between samples).  Per-domain
	 * settings kept from earlier reads (d->vm) are read afresh at the
	 * next collect(): the daemon calls it on SIGHUP. */
	void (*reread)(struct mc_backend *b);
	/* Frees the backend and everything it holds. */
	void (*close)(struct mc_backend *b);
	/* Optional (NULL: this backend has no KSM to set).  Writes one
	 * settable KSM field (ksm.h) of the host collect() read host.ksm
	 * from; a field that refuses is marked in the next host.ksm's
	 * unwritable.  0 or -1 (logged). */
	int (*set_ksm)(struct mc_backend *b, enum mc_ksm_field f, uint64_t value);
	/* CPU (cpu_coord.h), optional (NULL: cannot pin).  When want_cpu is
	 * set, collect() also fills snap->cpu (cpu_snapshot.h): every vCPU of
	 * every domain with its run time, delay, last pCPU and affinity, and
	 * every pCPU with online, busy and total ns; cpu.collected true.
	 * set_pin() sets the live affinity of v, a vCPU of the last snapshot
	 * (find its domain by uuid); mask is never empty.  0 or -1 (logged). */
	int (*set_pin)(struct mc_backend *b, const struct mc_vcpu *v,
		       const struct mc_cpuset *mask);
};

/* The part of every backend the core reads: a backend embeds it first and
 * casts back in its ops. */
struct mc_backend {
	const struct mc_backend_ops *ops;
	const char *kind;	/* static: "libvirt", "sim", "mem"; for events */
	/* Connections re-opened so far; the core reports each change (event,
	 * metric).  Backends without a connection leave it 0. */
	unsigned long reconnects;
	/* A CPU policy runs: collect() reads vCPUs and pCPUs too. */
	bool want_cpu;
};

/* Every constructor returns NULL on failure, with err saying why. */

/* libvirt (hypervisor_libvirt.c): opens uri; NULL lets libvirt choose, as
 * virsh does (LIBVIRT_DEFAULT_URI, then libvirt's own default).  Remote
 * URIs that ask for credentials get libvirt's default auth callback.  A
 * lost connection is re-opened from collect(), with back-off, to the URI
 * first connected to.  read_only (dry run): VIR_CONNECT_RO, set_target()
 * always fails, and nothing on the host is changed, not even a guest's
 * balloon stats period (a guest without stats is logged once instead). */
struct mc_backend *mc_hv_libvirt_open(const char *uri, bool read_only,
				      char *err, size_t errlen);

/* The simulator (hypervisor_sim.c): a thin wrapper over model m, borrowed
 * (the caller frees m after closing the backend). */
struct mc_backend *mc_hv_sim_open(struct mc_sim_model *m, char *err,
				  size_t errlen);

/* The simulator's pCPUs and vCPUs (cpu_sim.h), borrowed, for collect()
 * and set_pin(). */
struct mc_cpu_sim;
void mc_hv_sim_set_cpu(struct mc_backend *b, struct mc_cpu_sim *cs);

/* In memory (hypervisor_mem.c): domains and host set by hand, for unit
 * tests.  collect() reports them as set; set_target() moves the balloon at
 * once (actual = kib) and refuses unknown domains and kib above max, as
 * libvirt does. */
struct mc_backend *mc_hv_mem_open(char *err, size_t errlen);
/* The domain collect() reports as name: created on first use with uuid
 * and id made up from its position and everything else 0; set max and
 * cur as the test needs.  Valid until the next call that creates a domain.
 * NULL when out of memory. */
struct mc_domain *mc_hv_mem_domain(struct mc_backend *b, const char *name);
/* Stops reporting name (it shut down); nothing when it is not there. */
void mc_hv_mem_remove(struct mc_backend *b, const char *name);
/* The host collect() reports (reserve and growable are the core's). */
struct mc_host *mc_hv_mem_host(struct mc_backend *b);
/* The clock collect() stamps snapshots with, s (starts at 0). */
void mc_hv_mem_set_time(struct mc_backend *b, double t);
/* set_target() calls that succeeded so far. */
unsigned long mc_hv_mem_resizes(const struct mc_backend *b);
/* set_ksm() calls that succeeded so far; each sets the world's host.ksm. */
unsigned long mc_hv_mem_ksm_writes(const struct mc_backend *b);

#endif
