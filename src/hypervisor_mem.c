/*
 * hypervisor_mem.c - the in-memory backend: domains and host set by hand.
 *
 * Unit tests use it instead of building snapshots field by field, so what
 * they feed the core has gone through the same contract as a real host's
 * data (hypervisor.h).  It is also the template a new backend starts from:
 * a struct that embeds struct mc_backend first, three ops, a constructor.
 * A real backend reads its hypervisor where this one copies `world`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hypervisor.h"
#include "log.h"
#include "snapshot.h"

struct mem_backend {
	struct mc_backend base;		/* first: the ops cast back to us */
	struct mc_snapshot world;	/* what collect() reports */
	unsigned long resizes;
	unsigned long ksm_writes;
	unsigned long created;		/* domains made so far: their uuids */
};

static struct mem_backend *mem_of(struct mc_backend *b)
{
	return (struct mem_backend *)b;
}

/* Finds a domain of the world by name; linear, as the world is not kept
 * sorted (the core sorts what collect() returns). */
static struct mc_domain *mem_find(struct mem_backend *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->world.ndoms; i++)
		if (!strcmp(m->world.doms[i].name, name))
			return &m->world.doms[i];
	return NULL;
}

/* ---- the ops ---- */

/* One domain, field by field as the contract lists them: a backend fills
 * what it owns and never d->track. */
static int mem_report(const struct mc_domain *src, struct mc_snapshot *snap)
{
	struct mc_domain *d = mc_snapshot_add(snap, src->name);	/* MUST */

	if (!d)
		return -1;
	snprintf(d->uuid, sizeof(d->uuid), "%s", src->uuid);	/* SHOULD */
	d->id = src->id;					/* SHOULD */
	d->max = src->max;					/* MUST */
	d->cur = src->cur;		/* actual MUST, the stats SHOULD */
	d->vm = src->vm;					/* SHOULD */
	d->vmem = src->vmem;		/* SHOULD, when it has one */
	if (d->vmem.have)		/* what the guest has plugged, not the request */
		d->cur.actual = d->vmem.base + d->vmem.plugged;
	return 0;
}

static int mem_collect(struct mc_backend *b, struct mc_snapshot *snap)
{
	struct mem_backend *m = mem_of(b);
	size_t i;

	for (i = 0; i < m->world.ndoms; i++)
		if (mem_report(&m->world.doms[i], snap)) {
			mc_error("out of memory reading domain stats");
			return -1;
		}
	snap->host.total = m->world.host.total;			/* MUST */
	snap->host.free = m->world.host.free;			/* MUST */
	snap->host.buffers = m->world.host.buffers;
	snap->host.cached = m->world.host.cached;
	snap->host.pressure = m->world.host.pressure;
	snap->host.ksm = m->world.host.ksm;
	snap->time = m->world.time;				/* MUST */
	snap->wall = m->world.time;				/* MUST */
	return 0;
}

/* A virtio-mem device takes whole blocks within its size, as QEMU does;
 * the guest plugs or unplugs all of it at once here (a test that wants a
 * shrink to stop short sets plugged afterwards). */
static int mem_set_vmem(struct mc_domain *w, uint64_t kib)
{
	struct mc_vmem *v = &w->vmem;

	if (kib < v->base || (kib - v->base) % v->block || kib - v->base > v->size) {
		mc_warn("mem: %s: %llu KiB is not base + whole blocks", w->name,
			(unsigned long long)kib);
		return -1;
	}
	v->requested = v->plugged = kib - v->base;
	return 0;
}

/* Finds the domain by uuid, as libvirt does: the name may be reused. */
static int mem_set_target(struct mc_backend *b, const struct mc_domain *d,
			  uint64_t kib)
{
	struct mem_backend *m = mem_of(b);
	struct mc_domain *w = mem_find(m, d->name);

	if (!w || strcmp(w->uuid, d->uuid)) {
		mc_warn("mem: %s: gone before resize", d->name);
		return -1;
	}
	if (kib > w->max && kib > w->cur.actual) {
		mc_warn("mem: %s: %llu KiB is above the domain's max", d->name,
			(unsigned long long)kib);
		return -1;
	}
	if (w->vmem.have)
		return mem_set_vmem(w, kib) ? -1 : (m->resizes++, 0);
	w->cur.actual = kib;	/* the balloon arrives at once */
	m->resizes++;
	return 0;
}

/* Refuses what the contract says the core never asks: a field that is not
 * settable, or one on a host without KSM. */
static int mem_set_ksm(struct mc_backend *b, enum mc_ksm_field f, uint64_t value)
{
	struct mem_backend *m = mem_of(b);

	if (!mc_ksm_settable(f) || !m->world.host.ksm.have)
		return -1;
	m->world.host.ksm.v[f] = value;
	m->ksm_writes++;
	return 0;
}

static void mem_close(struct mc_backend *b)
{
	struct mem_backend *m = mem_of(b);

	mc_snapshot_free(&m->world);
	free(m);
}

static const struct mc_backend_ops mem_ops = {
	.collect = mem_collect,
	.set_target = mem_set_target,
	.close = mem_close,
	.set_ksm = mem_set_ksm,
};

struct mc_backend *mc_hv_mem_open(char *err, size_t errlen)
{
	struct mem_backend *m = calloc(1, sizeof(*m));

	if (!m) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	m->base.ops = &mem_ops;
	m->base.kind = "mem";
	mc_snapshot_init(&m->world);
	return &m->base;
}

/* ---- what a test sets ---- */

struct mc_domain *mc_hv_mem_domain(struct mc_backend *b, const char *name)
{
	struct mem_backend *m = mem_of(b);
	struct mc_domain *d = mem_find(m, name);

	if (d)
		return d;
	d = mc_snapshot_add(&m->world, name);
	if (!d)
		return NULL;
	/* Unique per domain created, so a removed and re-created name is a
	 * new domain to the core, as a real restart is. */
	snprintf(d->uuid, sizeof(d->uuid), "00000000-0000-4000-8000-%012lu",
		 ++m->created);
	d->id = (int)m->world.ndoms;
	return d;
}

void mc_hv_mem_remove(struct mc_backend *b, const char *name)
{
	struct mem_backend *m = mem_of(b);
	struct mc_domain *d = mem_find(m, name), last;

	if (!d)
		return;
	/* Swap with the last entry, then drop the last: names stay owned by
	 * exactly one entry. */
	last = m->world.doms[m->world.ndoms - 1];
	m->world.doms[m->world.ndoms - 1] = *d;
	*d = last;
	mc_snapshot_drop_last(&m->world);
}

struct mc_host *mc_hv_mem_host(struct mc_backend *b)
{
	return &mem_of(b)->world.host;
}

void mc_hv_mem_set_time(struct mc_backend *b, double t)
{
	mem_of(b)->world.time = t;
}

unsigned long mc_hv_mem_resizes(const struct mc_backend *b)
{
	return ((const struct mem_backend *)b)->resizes;
}

unsigned long mc_hv_mem_ksm_writes(const struct mc_backend *b)
{
	return ((const struct mem_backend *)b)->ksm_writes;
}
