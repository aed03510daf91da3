/*
 * sim_model.c - the simulated guests and host: load/free, the step, the
 * const accessors, and what a backend does with the model (collect,
 * set_target).  Depends on nothing else of the simulator.
 *
 * Each guest is modelled the way a Linux guest with a virtio balloon
 * behaves (see conf/scenarios/README.md for the numbers):
 *   available (MemTotal) = actual - kernel
 *   unused (MemFree)     = available - base_used - resident workload - cache
 *   usable (MemAvailable)= unused + cache
 * The balloon moves toward its target at MC_SIM_BALLOON_RATE and never
 * inflates into memory the guest uses (it stops at used + min_free, taking
 * page cache first).  A workload that outgrows its memory swaps; past its
 * swap the OOM killer ends it.  Stats are sampled once per stats period,
 * so the coordinator sees them late, like on a real host; `actual` is live.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sim_model.h"
#include "util.h"

#define PAGE_KIB 4
/* Guests stamp stats with wall-clock seconds; any epoch will do. */
#define GUEST_EPOCH 1700000000LL

struct mc_sim_model {
	struct mc_sim_host host;
	struct mc_sim_vm *vms;
	size_t nvms;
	int64_t now_ms;
	int64_t stats_ms;
	mc_sim_target_fn *on_target;	/* NULL = nobody listens */
	void *on_target_arg;
};

/* ---- small helpers ---- */

double mc_sim_model_now(const struct mc_sim_model *m)
{
	return (double)m->now_ms / 1000.0;
}

double mc_sim_model_wall(const struct mc_sim_model *m)
{
	return MC_SIM_EPOCH + mc_sim_model_now(m);
}

static uint64_t vm_available(const struct mc_sim_vm *v)
{
	return mc_sim_sub_sat(v->actual, v->kernel);
}

static uint64_t vm_unused(const struct mc_sim_vm *v)
{
	uint64_t resident = v->workload - v->swapped;

	return mc_sim_sub_sat(vm_available(v), v->base_used + resident + v->cache);
}

static bool vm_growing(const struct mc_sim_vm *v)
{
	if (v->replay.n)
		return !v->replay_killed;
	return v->phase < v->nphases && v->phases[v->phase].kind == MC_SIM_GROW;
}

uint64_t mc_sim_host_free(const struct mc_sim_model *m)
{
	uint64_t used = m->host.overhead;
	size_t i;

	for (i = 0; i < m->nvms; i++)
		if (m->vms[i].alive)
			used += m->vms[i].actual;
	return mc_sim_sub_sat(m->host.total, used);
}

const struct mc_sim_host *mc_sim_model_host(const struct mc_sim_model *m)
{
	return &m->host;
}

size_t mc_sim_model_nvms(const struct mc_sim_model *m)
{
	return m->nvms;
}

void mc_sim_model_vm_state(const struct mc_sim_model *m, size_t i,
			   struct mc_sim_vm_state *out)
{
	const struct mc_sim_vm *v = &m->vms[i];

	*out = (struct mc_sim_vm_state){
		.name = v->name, .group = v->group, .alive = v->alive,
		.growing = vm_growing(v), .start_size = v->start_size,
		.actual = v->actual, .target = v->target,
		.available = vm_available(v), .unused = vm_unused(v),
		.reported_unused = v->reported.unused,
		.reported = v->stats && v->reported.have_stats, .max = v->max,
		.workload = v->workload, .swapped = v->swapped, .cache = v->cache,
		.phase = v->phase, .cnt = v->cnt, .oom_kills = v->oom_kills,
	};
}

void mc_sim_model_on_target(struct mc_sim_model *m, mc_sim_target_fn *fn,
			    void *arg)
{
	m->on_target = fn;
	m->on_target_arg = arg;
}

/* The workload the replayed guest had at s: its used memory minus what
 * this model counts as the guest's own (kernel, base, cache). */
static uint64_t replay_workload(const struct mc_sim_vm *v, double s)
{
	const struct mc_sim_replay *r = &v->replay;
	uint64_t own = v->kernel + v->base_used + v->cache_max, used;
	size_t lo = 0, hi = r->n - 1;

	if (s <= r->t[0])
		used = r->used[0];
	else if (s >= r->t[hi])
		used = r->used[hi];
	else {
		while (hi - lo > 1) {
			size_t mid = (lo + hi) / 2;

			if (r->t[mid] <= s)
				lo = mid;
			else
				hi = mid;
		}
		used = mc_sim_kib_of((double)r->used[lo] + ((double)r->used[hi] -
			      (double)r->used[lo]) * (s - r->t[lo]) /
			      (r->t[hi] - r->t[lo]));
	}
	return mc_sim_sub_sat(used, own);
}

/* ==== the guest model ==== */

static void boot_due(struct mc_sim_model *m);
/* A real guest's balloon driver answers the stats request on the same
 * work queue as inflating and deflating: while its balloon moves, and for
 * the stats period after, its stats wait (seen on the e2e guests: 2-3 s
 * without a sample while 1 GiB went back). */
static bool balloon_busy(const struct mc_sim_model *m, const struct mc_sim_vm *v)
{
	return v->moved_ms >= 0 && m->now_ms - v->moved_ms < m->stats_ms;
}

static void stats_due(struct mc_sim_model *m);

struct mc_sim_model *mc_sim_model_new(const struct mc_sim_host *host,
				      struct mc_sim_vm *vms, size_t nvms)
{
	struct mc_sim_model *m = calloc(1, sizeof(*m));
	size_t i;

	if (!m) {
		for (i = 0; i < nvms; i++)
			mc_sim_vm_release(&vms[i]);
		free(vms);
		return NULL;
	}
	m->host = *host;
	m->vms = vms;
	m->nvms = nvms;
	m->stats_ms = (int64_t)llround(host->stats_period * 1000);
	boot_due(m);
	stats_due(m);
	return m;
}

void mc_sim_vm_release(struct mc_sim_vm *v)
{
	free(v->name);
	free(v->phases);
	free(v->replay.t);
	free(v->replay.used);
}

void mc_sim_model_free(struct mc_sim_model *m)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; i < m->nvms; i++)
		mc_sim_vm_release(&m->vms[i]);
	free(m->vms);
	free(m);
}

static void next_phase(struct mc_sim_vm *v)
{
	if (v->phase < v->nphases)
		v->phase++;
	v->phase_t = 0;
}

/* The process frees kib; pages in swap go in proportion. */
static void release(struct mc_sim_vm *v, uint64_t kib)
{
	uint64_t left = mc_sim_sub_sat(v->workload, kib);

	if (v->workload)
		v->swapped = (uint64_t)((double)v->swapped * (double)left /
					(double)v->workload);
	v->workload = left;
}

static void allocate(struct mc_sim_vm *v, uint64_t kib)
{
	v->workload += kib;
	v->cnt.minor_fault += kib / PAGE_KIB;	/* first touch of each page */
}

/* Runs dt seconds of the phase list; a phase that ends early hands the
 * rest of dt to the next. */
static void run_phases(struct mc_sim_vm *v, double dt)
{
	while (dt > 1e-9 && v->phase < v->nphases) {
		const struct mc_sim_phase *ph = &v->phases[v->phase];
		double left, need;

		switch (ph->kind) {
		case MC_SIM_IDLE:
		case MC_SIM_HOLD:
			if (ph->secs < 0)
				return;
			left = ph->secs - v->phase_t;
			if (dt < left) {
				v->phase_t += dt;
				return;
			}
			dt -= left;
			break;
		case MC_SIM_GROW:
			need = (double)mc_sim_sub_sat(ph->to, v->workload);
			if (ph->rate * dt < need) {
				allocate(v, mc_sim_kib_of(ph->rate * dt));
				return;
			}
			allocate(v, (uint64_t)need);
			dt -= need / ph->rate;
			break;
		case MC_SIM_FREE:
			need = (double)mc_sim_sub_sat(v->workload, ph->to);
			if (ph->rate * dt < need) {
				release(v, mc_sim_kib_of(ph->rate * dt));
				return;
			}
			release(v, (uint64_t)need);
			dt -= need / ph->rate;
			break;
		case MC_SIM_FREE_ALL:
			release(v, mc_sim_sub_sat(v->workload, ph->to));
			break;
		}
		next_phase(v);
	}
}

static void run_workload(struct mc_sim_vm *v, double now, double dt)
{
	uint64_t want;

	if (!v->replay.n) {
		run_phases(v, dt);
		return;
	}
	if (v->replay_killed)
		return;
	want = replay_workload(v, now - v->start_at);
	if (want > v->workload)
		allocate(v, want - v->workload);
	else
		release(v, v->workload - want);
}

/* kib rounded up to the next block boundary above vmem_base. */
static uint64_t vmem_block_up(const struct mc_sim_vm *v, uint64_t kib)
{
	uint64_t over = kib > v->vmem_base ? (kib - v->vmem_base) % v->vmem_block : 0;

	return over ? kib - over + v->vmem_block : kib;
}

/* The floor: what the guest cannot give up (page cache goes first). */
static uint64_t guest_floor(const struct mc_sim_vm *v)
{
	return v->kernel + v->base_used + (v->workload - v->swapped) + v->min_free;
}

/* A virtio-mem device plugs and unplugs whole blocks in well under a
 * sample: it is where it was asked at once, except that a shrink stops at
 * the first block holding memory the guest uses (a partial unplug). */
static bool move_vmem(struct mc_sim_vm *v)
{
	uint64_t was = v->actual;

	v->actual = mc_max_u64(v->target, mc_min_u64(v->actual,
					vmem_block_up(v, guest_floor(v))));
	return v->actual != was;
}

/* The balloon moves at a finite rate and stops where the guest would have
 * to give up memory it uses (page cache is given up first).  True when it
 * moved. */
static bool move_balloon(struct mc_sim_vm *v, double rate, double dt)
{
	uint64_t step = mc_sim_kib_of((rate > 0 ? rate : MC_SIM_BALLOON_RATE) * dt), floor;

	if (v->vmem_block)
		return move_vmem(v);
	if (v->target > v->actual) {
		v->actual += mc_min_u64(step, v->target - v->actual);
		return true;
	}
	floor = mc_max_u64(guest_floor(v), v->target);
	if (v->actual <= floor)
		return false;
	v->actual -= mc_min_u64(step, v->actual - floor);
	return true;
}

/* The OOM killer: the workload dies, its memory (and swap) is freed, and
 * its current phase ends. */
static void oom_kill(struct mc_sim_vm *v)
{
	mc_debug("sim: %s: OOM killer ended the workload (%llu KiB)", v->name,
		 (unsigned long long)v->workload);
	v->oom_kills++;
	v->workload = 0;
	v->swapped = 0;
	if (v->replay.n)
		v->replay_killed = true;
	else
		next_phase(v);
}

/* Puts the workload into memory: what does not fit goes to swap, past swap
 * the OOM killer acts; room that appears swaps pages back in. */
static void fit(struct mc_sim_vm *v, double dt)
{
	uint64_t room = mc_sim_sub_sat(vm_available(v), v->base_used + v->min_free);
	uint64_t swapped = mc_sim_sub_sat(v->workload, room), spare;

	if (swapped > v->swapped) {
		/* only what fits in swap was written there; the rest is why
		 * the OOM killer runs below */
		v->cnt.swap_out += mc_min_u64(swapped, v->swap_size) -
				   mc_min_u64(v->swapped, v->swap_size);
	} else if (swapped < v->swapped) {
		v->cnt.swap_in += v->swapped - swapped;
		/* every page swapped in was a major fault */
		v->cnt.major_fault = v->cnt.swap_in / PAGE_KIB;
	}
	v->swapped = swapped;
	if (v->swapped > v->swap_size)
		oom_kill(v);
	spare = mc_sim_sub_sat(room, v->workload - v->swapped);
	if (v->cache > spare)
		v->cache = spare;	/* reclaimed before anything swaps */
	else
		v->cache += mc_min_u64(mc_min_u64(mc_sim_kib_of(MC_SIM_CACHE_REGROW * dt),
					    v->cache_max - mc_min_u64(v->cache, v->cache_max)),
				    spare - v->cache);
}

static void take_stats(struct mc_sim_vm *v, int64_t now_ms)
{
	struct mc_memstats *r = &v->reported;

	r->actual = v->actual;
	r->available = vm_available(v);
	r->unused = vm_unused(v);
	r->usable = r->unused + v->cache;
	r->disk_caches = v->cache;
	r->rss = v->kernel + v->base_used + (v->workload - v->swapped) + v->cache;
	r->swap_in = v->cnt.swap_in;
	r->swap_out = v->cnt.swap_out;
	r->major_fault = v->cnt.major_fault;
	r->minor_fault = v->cnt.minor_fault;
	r->last_update = GUEST_EPOCH + now_ms / 1000;
	r->have_stats = true;
}

static void boot(struct mc_sim_vm *v)
{
	v->alive = true;
	v->actual = v->target = v->start_size;
	v->announced[0] = v->announced[1] = v->start_size;
	v->moved_ms = -1;
	v->cache = v->cache_max;
	v->workload = v->swapped = 0;
	v->phase = 0;
	v->phase_t = 0;
	fit(v, 0);
}

static void boot_due(struct mc_sim_model *m)
{
	double now = mc_sim_model_now(m);
	size_t i;

	for (i = 0; i < m->nvms; i++) {
		struct mc_sim_vm *v = &m->vms[i];

		if (!v->alive && !v->gone && now >= v->start_at)
			boot(v);
		else if (v->alive && v->stop_at >= 0 && now >= v->stop_at) {
			v->alive = false;
			v->gone = true;
		}
	}
}

static void stats_due(struct mc_sim_model *m)
{
	double now = mc_sim_model_now(m);
	size_t i;

	if (m->stats_ms <= 0 || m->now_ms % m->stats_ms)
		return;
	for (i = 0; i < m->nvms; i++) {
		struct mc_sim_vm *v = &m->vms[i];

		v->announced[1] = v->announced[0];
		v->announced[0] = v->actual;
		if (v->alive && v->stats &&
		    (v->stats_stop_at < 0 || now < v->stats_stop_at) &&
		    !(m->host.stats_paused_moving && balloon_busy(m, v)))
			take_stats(v, m->now_ms);
	}
}

static void step_once(struct mc_sim_model *m, int64_t dt_ms)
{
	double dt = (double)dt_ms / 1000.0, now;
	size_t i;

	m->now_ms += dt_ms;
	now = mc_sim_model_now(m);
	for (i = 0; i < m->nvms; i++) {
		struct mc_sim_vm *v = &m->vms[i];

		if (!v->alive)
			continue;
		run_workload(v, now, dt);
		if (move_balloon(v, m->host.balloon_rate, dt))
			v->moved_ms = m->now_ms;
		fit(v, dt);
	}
	boot_due(m);
	stats_due(m);
}

void mc_sim_model_step(struct mc_sim_model *m, double secs)
{
	int64_t left = (int64_t)llround(secs * 1000);

	while (left > 0) {
		/* Never step across a stats boundary: stats land on time. */
		int64_t to_stats = m->stats_ms - m->now_ms % m->stats_ms;
		int64_t dt = left < MC_SIM_STEP_MS ? left : MC_SIM_STEP_MS;

		if (to_stats < dt)
			dt = to_stats;
		step_once(m, dt);
		left -= dt;
	}
}

/* ==== what a backend does with the model ==== */

int mc_sim_model_collect(const struct mc_sim_model *m, struct mc_snapshot *snap)
{
	size_t i;

	for (i = 0; i < m->nvms; i++) {
		const struct mc_sim_vm *v = &m->vms[i];
		struct mc_domain *d;

		if (!v->alive)
			continue;
		d = mc_snapshot_add(snap, v->name);
		if (!d)
			return -1;
		snprintf(d->uuid, sizeof(d->uuid), "%s", v->uuid);
		d->id = (int)i + 1;	/* set_target finds the VM by it */
		d->max = v->max;
		if (v->stats)
			d->cur = v->reported;
		/* The host knows it live, or (actual_late) as QEMU last
		 * announced it: on the e2e hosts libvirt's balloon.current
		 * trailed a moving balloon by a second or two.  A virtio-mem
		 * device's size is read from the live XML: never late. */
		d->cur.actual = m->host.actual_late && !v->vmem_block ?
				v->announced[1] : v->actual;
		if (v->vmem_block)
			d->vmem = (struct mc_vmem){ .have = true, .base = v->vmem_base,
				.size = v->max - v->vmem_base, .block = v->vmem_block,
				.requested = v->target - v->vmem_base,
				.plugged = v->actual - v->vmem_base };
	}
	snap->host.total = m->host.total;
	snap->host.free = mc_sim_host_free(m);
	/* No host page cache in the model: all it frees is available.  No
	 * PSI: the model has no host stalls to measure, and a made-up
	 * figure would teach a policy tuned here a fiction (host.psi nil). */
	snap->host.pressure.have_available = true;
	snap->host.pressure.available = snap->host.free;
	snap->time = mc_sim_model_now(m);
	snap->wall = mc_sim_model_wall(m);
	return 0;
}

static struct mc_sim_vm *find_vm(struct mc_sim_model *m, const struct mc_domain *d)
{
	size_t i;

	if (d->id > 0 && (size_t)d->id <= m->nvms &&
	    !strcmp(m->vms[d->id - 1].name, d->name))
		return &m->vms[d->id - 1];
	for (i = 0; i < m->nvms; i++)
		if (!strcmp(m->vms[i].name, d->name))
			return &m->vms[i];
	return NULL;
}

int mc_sim_model_set_target(struct mc_sim_model *m, const struct mc_domain *d,
			    uint64_t kib)
{
	struct mc_sim_vm *v = find_vm(m, d);

	if (!v || !v->alive) {
		mc_warn("sim: %s: no such running domain", d->name);
		return -1;
	}
	if (kib > v->max) {	/* libvirt refuses the same way */
		mc_warn("sim: %s: %llu KiB is above the domain's max", d->name,
			(unsigned long long)kib);
		return -1;
	}
	if (v->vmem_block && (kib < v->vmem_base || (kib - v->vmem_base) % v->vmem_block)) {
		mc_warn("sim: %s: %llu KiB is not base + whole virtio-mem blocks",
			d->name, (unsigned long long)kib);
		return -1;
	}
	if (m->on_target)
		m->on_target(m->on_target_arg, (size_t)(v - m->vms), v->actual, kib,
			     mc_sim_model_now(m));
	v->target = kib;
	return 0;
}

