/*
 * hypervisor_libvirt.c - the libvirt backend.
 *
 * One bulk call (virConnectGetAllDomainStats, balloon group) reads every
 * running domain.  Domains whose guests report no balloon stats get their
 * stats period switched on once; until stats arrive they are collected
 * without them and the clamps never resize them.  A lost connection is
 * re-opened with back-off from collect().
 *
 * Read-only (dry run): the connection is opened with VIR_CONNECT_RO, so
 * libvirt itself refuses every write, and the stats period is never
 * touched: a guest without stats is only reported, once.
 *
 * A domain's XML is read when it is first seen (each instance, not each
 * sample): its balloon is checked for deflate-on-oom, and memcoord's
 * settings are read from its <metadata> (domxml.h).  The settings are read
 * again after a SIGHUP (reread), a reconnect, and when libvirt says that
 * element changed (VIR_DOMAIN_EVENT_ID_METADATA_CHANGE, delivered by the
 * daemon's event loop; without one, SIGHUP still works).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "cpu_libvirt.h"
#include "domxml.h"
#include "host_pressure.h"
#include "hostfs.h"
#include "hypervisor.h"
#include "ksm.h"
#include "log.h"
#include "snapshot.h"
#include "util.h"
#include "vmem_libvirt.h"

#define BACKOFF_MAX 30.0	/* s between reconnect attempts, at most */
#define STATS_PERIOD 1		/* s: the guest's balloon stats period */

/* What the backend remembers of a running domain, by uuid, for the
 * instance (id) it last saw: records of domains gone are dropped. */
struct lv_dom {
	char uuid[MC_UUID_LEN];
	int id;
	bool stats_done;	/* stats period set (read-only: missing stats logged) */
	bool xml_checked;	/* balloon checked */
	bool settings_read;	/* false: read <metadata> at the next collect */
	/* Its XML showed no virtio-mem device: not fetched again (a device
	 * hot-plugged later is seen when the domain restarts). */
	bool no_vmem;
	struct mc_vmset vm;	/* what it said, checked; zero = nothing */
	bool seen;		/* in the collect under way */
};

struct lv_backend {
	struct mc_backend base;
	char *uri;		/* NULL until the first connect when libvirt chose */
	bool read_only;
	virConnectPtr conn;
	int metadata_cb;	/* event callback id, -1 = none */
	double retry_at;	/* monotonic s: next reconnect attempt */
	double backoff;
	struct lv_dom *doms;
	size_t ndoms;
	/* MemAvailable and PSI come from this machine's /proc, so only
	 * when the URI names no remote host. */
	struct mc_host_pressure_src pressure;
	struct mc_ksm_src ksm;
};

static const char *lv_err(void)
{
	const char *msg = virGetLastErrorMessage();

	return msg ? msg : "unknown libvirt error";
}

/* libvirt prints every error to stderr by default; we log our own. */
static void quiet_errors(void *opaque, virErrorPtr err)
{
	(void)opaque;
	(void)err;
}

/* Every domain's settings are read again at the next collect. */
static void lv_reread(struct mc_backend *base)
{
	struct lv_backend *b = (struct lv_backend *)base;
	size_t i;

	for (i = 0; i < b->ndoms; i++)
		b->doms[i].settings_read = false;
}

/* memcoord's metadata element of dom changed: read it at the next
 * collect.  Runs in the event loop, the coordinator's thread. */
static void on_metadata_change(virConnectPtr conn, virDomainPtr dom, int type,
			       const char *nsuri, void *opaque)
{
	struct lv_backend *b = opaque;
	char uuid[VIR_UUID_STRING_BUFLEN];
	size_t i;

	(void)conn;
	if (type != VIR_DOMAIN_METADATA_ELEMENT || !nsuri ||
	    strcmp(nsuri, MC_DOMXML_NS) || virDomainGetUUIDString(dom, uuid) < 0)
		return;
	for (i = 0; i < b->ndoms; i++)
		if (!strcmp(b->doms[i].uuid, uuid))
			b->doms[i].settings_read = false;
}

/* Needs an event loop (the daemon registers libvirt's before connecting);
 * without one, changes are read on SIGHUP only. */
static void watch_metadata(struct lv_backend *b)
{
	b->metadata_cb = virConnectDomainEventRegisterAny(
		b->conn, NULL, VIR_DOMAIN_EVENT_ID_METADATA_CHANGE,
		VIR_DOMAIN_EVENT_CALLBACK(on_metadata_change), b, NULL);
	if (b->metadata_cb < 0)
		mc_debug("metadata changes are read on SIGHUP only: %s", lv_err());
}

static void lv_disconnect(struct lv_backend *b)
{
	if (b->conn && b->metadata_cb >= 0 &&
	    virConnectDomainEventDeregisterAny(b->conn, b->metadata_cb) < 0)
		mc_debug("metadata watch not removed: %s", lv_err());
	b->metadata_cb = -1;
	if (b->conn)
		virConnectClose(b->conn);
	b->conn = NULL;
}

/* virConnectAuthPtrDefault answers a remote URI's credential questions
 * (libvirt's auth.conf first, then a terminal when there is one), as virsh
 * does.  A NULL uri lets libvirt choose (LIBVIRT_DEFAULT_URI, then its own
 * default); the URI it chose is kept so a reconnect goes to the same
 * place. */
static int lv_connect(struct lv_backend *b)
{
	unsigned int flags = b->read_only ? VIR_CONNECT_RO : 0;

	b->conn = virConnectOpenAuth(b->uri, virConnectAuthPtrDefault, flags);
	if (!b->conn)
		return -1;
	if (!b->uri && !(b->uri = virConnectGetURI(b->conn))) {
		lv_disconnect(b);
		return -1;
	}
	b->backoff = 0;
	watch_metadata(b);
	lv_reread(&b->base);	/* changes while we were away were not seen */
	return 0;
}

/* Re-opens a lost connection, at most once per back-off; 0 when connected. */
static int lv_reconnect(struct mc_backend *base)
{
	struct lv_backend *b = (struct lv_backend *)base;
	double now = mc_monotonic_seconds();

	if (b->conn && virConnectIsAlive(b->conn) == 1)
		return 0;
	if (now < b->retry_at)
		return -1;
	lv_disconnect(b);
	if (lv_connect(b) == 0) {
		mc_info("reconnected to %s", b->uri);
		base->reconnects++;
		return 0;
	}
	b->backoff = b->backoff ? b->backoff * 2 : 1;
	if (b->backoff > BACKOFF_MAX)
		b->backoff = BACKOFF_MAX;
	b->retry_at = now + b->backoff;
	mc_warn("cannot reach %s: %s (next try in %.0fs)", b->uri, lv_err(),
		b->backoff);
	return -1;
}

/* ---- host ---- */

static int read_host(struct lv_backend *b, struct mc_host *h)
{
	int cell = VIR_NODE_MEMORY_STATS_ALL_CELLS, n = 0, i;
	virNodeMemoryStatsPtr st;
	virNodeInfo info;
	unsigned long long free_bytes;

	if (virNodeGetMemoryStats(b->conn, cell, NULL, &n, 0) == 0 && n > 0 &&
	    (st = calloc((size_t)n, sizeof(*st)))) {
		if (virNodeGetMemoryStats(b->conn, cell, st, &n, 0) == 0) {
			for (i = 0; i < n; i++) {
				if (!strcmp(st[i].field, VIR_NODE_MEMORY_STATS_TOTAL))
					h->total = st[i].value;
				else if (!strcmp(st[i].field, VIR_NODE_MEMORY_STATS_FREE))
					h->free = st[i].value;
				else if (!strcmp(st[i].field, VIR_NODE_MEMORY_STATS_BUFFERS))
					h->buffers = st[i].value;
				else if (!strcmp(st[i].field, VIR_NODE_MEMORY_STATS_CACHED))
					h->cached = st[i].value;
			}
			free(st);
			/* Page cache and buffers are given up on demand. */
			h->free += h->buffers + h->cached;
			return 0;
		}
		free(st);
	}
	/* Drivers without node memory stats (the test driver). */
	if (virNodeGetInfo(b->conn, &info) < 0)
		return -1;
	free_bytes = virNodeGetFreeMemory(b->conn);
	if (free_bytes == 0 && virGetLastError())
		return -1;
	h->total = info.memory;
	h->free = free_bytes / 1024;
	return 0;
}

/* "qemu:///system", "test:///default": no host between "//" and the path,
 * so libvirt runs here and this machine's /proc is the host's.  (The test
 * driver's host is made up; its pressure is then this machine's.) */
static bool uri_is_local(const char *uri)
{
	const char *sep = uri ? strstr(uri, "://") : NULL;

	return sep && sep[3] == '/';
}

/* ---- domains ---- */

static const struct {
	const char *field;
	size_t offset;
} balloon_fields[] = {
	{ "balloon.current", offsetof(struct mc_memstats, actual) },
	{ "balloon.unused", offsetof(struct mc_memstats, unused) },
	{ "balloon.available", offsetof(struct mc_memstats, available) },
	{ "balloon.usable", offsetof(struct mc_memstats, usable) },
	{ "balloon.disk_caches", offsetof(struct mc_memstats, disk_caches) },
	{ "balloon.rss", offsetof(struct mc_memstats, rss) },
	{ "balloon.swap_in", offsetof(struct mc_memstats, swap_in) },
	{ "balloon.swap_out", offsetof(struct mc_memstats, swap_out) },
	{ "balloon.major_fault", offsetof(struct mc_memstats, major_fault) },
	{ "balloon.minor_fault", offsetof(struct mc_memstats, minor_fault) },
};

/* Fills m from the bulk record; returns how many of unused/available came. */
static int read_balloon(virDomainStatsRecordPtr rec, struct mc_memstats *m,
			uint64_t *max)
{
	unsigned long long v;
	size_t i;
	int have = 0;

	for (i = 0; i < sizeof(balloon_fields) / sizeof(balloon_fields[0]); i++) {
		if (virTypedParamsGetULLong(rec->params, rec->nparams,
					    balloon_fields[i].field, &v) == 1) {
			*(uint64_t *)((char *)m + balloon_fields[i].offset) = v;
			if (!strcmp(balloon_fields[i].field, "balloon.unused") ||
			    !strcmp(balloon_fields[i].field, "balloon.available"))
				have++;
		}
	}
	if (virTypedParamsGetULLong(rec->params, rec->nparams,
				    "balloon.maximum", &v) == 1)
		*max = v;
	if (virTypedParamsGetULLong(rec->params, rec->nparams,
				    "balloon.last-update", &v) == 1)
		m->last_update = (int64_t)v;
	return have;
}

/* The per-domain call, for drivers whose bulk record is empty (the test
 * driver) and guests whose stats have not reached the bulk call yet. */
static void read_memory_stats(virDomainPtr dom, struct mc_memstats *m)
{
	virDomainMemoryStatStruct st[VIR_DOMAIN_MEMORY_STAT_NR];
	int n = virDomainMemoryStats(dom, st, VIR_DOMAIN_MEMORY_STAT_NR, 0), i;
	int have = 0;

	for (i = 0; i < n; i++) {
		switch (st[i].tag) {
		case VIR_DOMAIN_MEMORY_STAT_ACTUAL_BALLOON: m->actual = st[i].val; break;
		case VIR_DOMAIN_MEMORY_STAT_UNUSED: m->unused = st[i].val; have++; break;
		case VIR_DOMAIN_MEMORY_STAT_AVAILABLE: m->available = st[i].val; have++; break;
		case VIR_DOMAIN_MEMORY_STAT_USABLE: m->usable = st[i].val; break;
		case VIR_DOMAIN_MEMORY_STAT_DISK_CACHES: m->disk_caches = st[i].val; break;
		case VIR_DOMAIN_MEMORY_STAT_RSS: m->rss = st[i].val; break;
		case VIR_DOMAIN_MEMORY_STAT_SWAP_IN: m->swap_in = st[i].val; break;
		case VIR_DOMAIN_MEMORY_STAT_SWAP_OUT: m->swap_out = st[i].val; break;
		case VIR_DOMAIN_MEMORY_STAT_MAJOR_FAULT: m->major_fault = st[i].val; break;
		case VIR_DOMAIN_MEMORY_STAT_MINOR_FAULT: m->minor_fault = st[i].val; break;
		case VIR_DOMAIN_MEMORY_STAT_LAST_UPDATE: m->last_update = (int64_t)st[i].val; break;
		default: break;
		}
	}
	m->have_stats = have == 2;
}

/* The record of d, made fresh for a new domain or a new instance of one
 * (its XML and stats period may differ); NULL when out of memory. */
static struct lv_dom *dom_record(struct lv_backend *b, const struct mc_domain *d)
{
	struct lv_dom *r = NULL, *grown;
	size_t i;

	for (i = 0; i < b->ndoms && !r; i++)
		if (!strcmp(b->doms[i].uuid, d->uuid))
			r = &b->doms[i];
	if (!r) {
		grown = realloc(b->doms, (b->ndoms + 1) * sizeof(*grown));
		if (!grown)
			return NULL;
		b->doms = grown;
		r = &b->doms[b->ndoms++];
		r->id = d->id + 1;	/* not this instance: made fresh below */
	}
	if (r->id != d->id) {
		*r = (struct lv_dom){ .id = d->id };
		snprintf(r->uuid, sizeof(r->uuid), "%s", d->uuid);
	}
	r->seen = true;
	return r;
}

/* Drops the records of domains this collect did not see. */
static void forget_unseen(struct lv_backend *b)
{
	size_t i, n = 0;

	for (i = 0; i < b->ndoms; i++) {
		if (!b->doms[i].seen)
			continue;
		b->doms[n] = b->doms[i];
		b->doms[n++].seen = false;
	}
	b->ndoms = n;
}

/* Guest stats missing from the bulk record: read-write, switch the stats
 * period on once; then ask the domain directly.  A dry run changes
 * nothing and says once that this guest has no stats. */
static void read_missing_stats(struct lv_backend *b, virDomainPtr dom,
			       struct mc_domain *d, struct lv_dom *r)
{
	if (!b->read_only && !r->stats_done) {
		r->stats_done = true;
		if (virDomainSetMemoryStatsPeriod(dom, STATS_PERIOD,
						  VIR_DOMAIN_AFFECT_LIVE) < 0)
			mc_warn("%s: cannot enable balloon stats: %s", d->name, lv_err());
		else
			mc_info("%s: balloon stats period set to %ds", d->name, STATS_PERIOD);
	}
	read_memory_stats(dom, &d->cur);
	if (b->read_only && !d->cur.have_stats && !r->stats_done) {
		r->stats_done = true;
		mc_warn("%s: no balloon stats, so never resized; a dry run leaves "
			"the stats period off (virsh dommemstat --period 1 --live "
			"switches it on)", d->name);
	}
}

/* Once per instance: a balloon that cannot deflate on OOM leaves the
 * guest's last defence to memcoord alone.  xml: the domain's, or NULL when
 * it could not be read. */
static void check_balloon(const char *xml, const struct mc_domain *d)
{
	if (!xml) {
		mc_warn("%s: cannot read its XML to check the balloon: %s", d->name, lv_err());
		return;
	}
	switch (mc_domxml_balloon(xml)) {
	case MC_DOMXML_BALLOON_NO_AUTODEFLATE:
		mc_warn("%s: balloon without deflate-on-oom (<memballoon autodeflate='on'>): "
			"a guest out of memory cannot take memory back from its balloon "
			"without memcoord", d->name);
		break;
	case MC_DOMXML_BALLOON_NONE:
		mc_warn("%s: no balloon device: it cannot be resized", d->name);
		break;
	case MC_DOMXML_BALLOON_UNREADABLE:
		mc_warn("%s: its XML could not be parsed; balloon not checked", d->name);
		break;
	case MC_DOMXML_BALLOON_AUTODEFLATE:
		break;
	}
}

/* memcoord's element of the domain's <metadata> -> r->vm.  A bad one is
 * refused whole: the domain keeps its [domain] settings and defaults. */
static void read_settings(virDomainPtr dom, const struct mc_domain *d,
			  struct lv_dom *r)
{
	char *xml = virDomainGetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT,
					 MC_DOMXML_NS, VIR_DOMAIN_AFFECT_LIVE);
	char err[MC_ERR_LEN], was[128], now[128];
	struct mc_vmset vm = { 0 };

	r->settings_read = true;
	if (!xml && virGetLastErrorCode() != VIR_ERR_NO_DOMAIN_METADATA) {
		mc_warn("%s: cannot read its memcoord metadata, kept as it was: %s",
			d->name, lv_err());
		return;
	}
	if (xml && mc_domxml_settings(xml, &vm, err, sizeof(err)))
		mc_warn("%s: memcoord metadata refused, its [domain] settings and "
			"the defaults apply: %s", d->name, err);
	free(xml);
	if (strcmp(mc_vmset_str(&r->vm, was, sizeof(was)),
		   mc_vmset_str(&vm, now, sizeof(now))))
		mc_info("%s: settings from its metadata: %s", d->name,
			mc_vmset_str(&vm, now, sizeof(now)));
	r->vm = vm;
}

/* The per-domain reads that are not made every sample. */
static void read_domain_once(virDomainPtr dom, const char *xml,
			     const struct mc_domain *d, struct lv_dom *r)
{
	if (!r->xml_checked) {
		r->xml_checked = true;
		check_balloon(xml, d);
	}
	if (!r->settings_read)
		read_settings(dom, d, r);
}

/* ---- virtio-mem ---- */

/* A virtio-mem device (vmem_libvirt.h) makes it the domain's lever: its
 * size is boot memory + what the guest plugged, its max boot memory + the
 * device's size.  One that cannot be read leaves the balloon in charge,
 * said once (then remembered as without).  xml: the domain's, NULL when
 * it could not be read (gone, or libvirt busy: next sample). */
static void read_vmem(const char *xml, struct mc_domain *d, struct lv_dom *r)
{
	char err[MC_ERR_LEN];
	int rc;

	if (r->no_vmem || !xml)
		return;
	rc = mc_vmem_lv_parse(xml, &d->vmem, err, sizeof(err));
	if (rc < 0)
		mc_warn("%s: %s; resized by its balloon", d->name, err);
	if (rc != 0) {
		r->no_vmem = true;
		return;
	}
	d->cur.actual = d->vmem.base + d->vmem.plugged;
	d->max = d->vmem.base + d->vmem.size;
}

/* Asks the device for kib - base (whole blocks: the core's block rule). */
static int set_vmem(virDomainPtr dom, const struct mc_domain *d, uint64_t kib)
{
	char err[MC_ERR_LEN], *xml = virDomainGetXMLDesc(dom, 0), *dev;
	int rc = -1;

	dev = xml ? mc_vmem_lv_update_xml(xml, kib - d->vmem.base, err, sizeof(err)) : NULL;
	if (xml && !dev)
		mc_warn("%s: %s", d->name, err);
	if (dev && virDomainUpdateDeviceFlags(dom, dev, VIR_DOMAIN_AFFECT_LIVE) == 0)
		rc = 0;
	else if (dev || !xml)
		mc_warn("%s: virtio-mem resize to %llu KiB failed: %s", d->name,
			(unsigned long long)kib, lv_err());
	free(dev);
	free(xml);
	return rc;
}

/* The domain's XML is read at most once a sample, and only while a reader
 * needs it: the balloon check (once per instance) and virtio-mem (every
 * sample while the domain has a device, once to learn it has none). */
static bool wants_xml(const struct lv_dom *r)
{
	return !r->xml_checked || !r->no_vmem;
}

static int read_domain(struct lv_backend *b, virDomainStatsRecordPtr rec,
		       struct mc_snapshot *snap)
{
	const char *name = virDomainGetName(rec->dom);
	struct mc_domain *d;
	struct lv_dom *r;
	virDomainInfo info;
	char *xml;

	if (!name)
		return 0;	/* vanished between the call and now */
	d = mc_snapshot_add(snap, name);
	if (!d)
		return -1;
	if (virDomainGetUUIDString(rec->dom, d->uuid) < 0)
		d->uuid[0] = '\0';
	d->id = (int)virDomainGetID(rec->dom);
	d->cur.have_stats = read_balloon(rec, &d->cur, &d->max) == 2;
	if (!d->cur.actual || !d->max) {
		if (virDomainGetInfo(rec->dom, &info) < 0) {
			mc_snapshot_drop_last(snap);	/* gone: nothing to decide about */
			return 0;
		}
		d->cur.actual = info.memory;
		d->max = info.maxMem;
	}
	r = dom_record(b, d);
	if (!r)
		return -1;
	xml = wants_xml(r) ? virDomainGetXMLDesc(rec->dom, 0) : NULL;
	read_domain_once(rec->dom, xml, d, r);
	d->vm = r->vm;
	if (!d->cur.have_stats)
		read_missing_stats(b, rec->dom, d, r);
	read_vmem(xml, d, r);
	free(xml);
	if (b->base.want_cpu && snap->cpu.collected)
		return mc_cpu_lv_read_domain(rec->dom, rec, d, &snap->cpu);
	return 0;
}

static int lv_collect(struct mc_backend *base, struct mc_snapshot *snap)
{
	struct lv_backend *b = (struct lv_backend *)base;
	virDomainStatsRecordPtr *recs = NULL;
	int n, i, rc = 0;

	if (lv_reconnect(base))
		return -1;
	/* The CPU side: pCPUs first (their count sizes the vCPU maps), and
	 * the vcpu group in the same bulk call as the balloons. */
	if (base->want_cpu && mc_cpu_lv_read_host(b->conn, &snap->cpu) < 0)
		mc_warn("cannot read the host's pCPUs: %s", lv_err());
	n = virConnectGetAllDomainStats(b->conn, VIR_DOMAIN_STATS_BALLOON |
					(base->want_cpu ? VIR_DOMAIN_STATS_VCPU : 0), &recs,
					VIR_CONNECT_GET_ALL_DOMAINS_STATS_ACTIVE |
					(base->want_cpu ? VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT : 0));
	if (n < 0) {
		mc_warn("cannot read domain stats: %s", lv_err());
		if (virConnectIsAlive(b->conn) != 1)
			lv_disconnect(b);
		return -1;
	}
	for (i = 0; i < n && rc == 0; i++)
		rc = read_domain(b, recs[i], snap);
	virDomainStatsRecordListFree(recs);
	if (rc == 0)
		forget_unseen(b);
	if (rc) {
		mc_error("out of memory reading domain stats");
		return -1;
	}
	if (read_host(b, &snap->host) < 0) {
		mc_warn("cannot read host memory: %s", lv_err());
		return -1;
	}
	if (uri_is_local(b->uri)) {
		mc_host_pressure_read(&b->pressure, &snap->host.pressure);
		mc_ksm_read(&b->ksm, &snap->host.ksm);
	}
	snap->time = mc_monotonic_seconds();
	snap->wall = mc_clock_seconds(CLOCK_REALTIME);
	return 0;
}

static int lv_set_target(struct mc_backend *base, const struct mc_domain *d,
			 uint64_t kib)
{
	struct lv_backend *b = (struct lv_backend *)base;
	virDomainPtr dom;
	int rc;

	if (!b->conn)
		return -1;
	if (b->read_only) {
		mc_warn("%s: not resized: the connection is read-only", d->name);
		return -1;
	}
	/* By UUID: a name may have been reused by another domain since. */
	dom = virDomainLookupByUUIDString(b->conn, d->uuid);
	if (!dom) {
		mc_warn("%s: gone before resize: %s", d->name, lv_err());
		return -1;
	}
	if (d->vmem.have) {
		rc = set_vmem(dom, d, kib);
	} else {
		rc = virDomainSetMemoryFlags(dom, kib, VIR_DOMAIN_AFFECT_LIVE);
		if (rc < 0)
			mc_warn("%s: resize to %llu KiB failed: %s", d->name,
				(unsigned long long)kib, lv_err());
	}
	virDomainFree(dom);
	return rc < 0 ? -1 : 0;
}

/* KSM is this machine's sysfs: libvirt's node memory parameters cover
 * pages_to_scan and sleep_millisecs but not run, so all three are written
 * here, and only for a local URI (the core never asks otherwise: a remote
 * host's host.ksm is not read).  Read-only (dry run): never. */
static int lv_set_ksm(struct mc_backend *base, enum mc_ksm_field f, uint64_t value)
{
	struct lv_backend *b = (struct lv_backend *)base;

	if (b->read_only || !uri_is_local(b->uri))
		return -1;
	return mc_ksm_write(&b->ksm, f, value);
}

static int lv_set_pin(struct mc_backend *base, const struct mc_vcpu *v,
		      const struct mc_cpuset *mask)
{
	struct lv_backend *b = (struct lv_backend *)base;

	if (b->read_only) {
		mc_warn("%s: not re-pinned: the connection is read-only", v->domain);
		return -1;
	}
	return mc_cpu_lv_pin(b->conn, v, mask);
}

static void lv_close(struct mc_backend *base)
{
	struct lv_backend *b = (struct lv_backend *)base;

	if (!b)
		return;
	lv_disconnect(b);
	free(b->doms);
	free(b->uri);	/* strdup() or virConnectGetURI(): both free() */
	free(b);
}

static const struct mc_backend_ops lv_ops = {
	.collect = lv_collect,
	.set_target = lv_set_target,
	.reread = lv_reread,
	.close = lv_close,
	.set_ksm = lv_set_ksm,
	.set_pin = lv_set_pin,
};

struct mc_backend *mc_hv_libvirt_open(const char *uri, bool read_only,
				      char *err, size_t errlen)
{
	struct lv_backend *b = calloc(1, sizeof(*b));

	virSetErrorFunc(NULL, quiet_errors);
	if (!b || (uri && !(b->uri = strdup(uri)))) {
		free(b);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	b->base.ops = &lv_ops;
	b->base.kind = "libvirt";
	b->read_only = read_only;
	b->metadata_cb = -1;
	b->pressure.root = MC_HOSTFS_ROOT;
	b->ksm.root = MC_HOSTFS_ROOT;
	if (lv_connect(b) < 0) {
		snprintf(err, errlen, "cannot connect to %s: %s",
			 uri ? uri : "libvirt's default URI", lv_err());
		lv_close(&b->base);
		return NULL;
	}
	mc_info("connected to %s%s", b->uri, read_only ? " (read-only)" : "");
	return &b->base;
}
