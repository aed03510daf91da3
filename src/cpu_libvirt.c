/*
 * cpu_libvirt.c - vCPUs and pCPUs through libvirt, and the re-pin.
 *
 * The bulk call's vcpu group gives run time and delay for every vCPU in
 * one round trip; the pCPU a vCPU last ran on and its affinity need one
 * call each per domain.  Drivers whose bulk record has no vcpu group (the
 * test driver) get the run time from virDomainGetVcpus instead.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libvirt/virterror.h>

#include "cpu_libvirt.h"
#include "cpu_snapshot.h"
#include "log.h"
#include "snapshot.h"

/* Bytes of a cpumap covering n CPUs, never more than MC_CPUSET_MAX. */
static int map_len(int n)
{
	if (n > MC_CPUSET_MAX)
		n = MC_CPUSET_MAX;
	return VIR_CPU_MAPLEN(n > 0 ? n : 1);
}

static const char *lv_err(void)
{
	const char *msg = virGetLastErrorMessage();

	return msg ? msg : "unknown libvirt error";
}

/* vcpu.<n>.<field> from the bulk record: 1 when there. */
static int bulk_field(virDomainStatsRecordPtr rec, unsigned n, const char *field,
		      unsigned long long *v)
{
	char key[64];

	snprintf(key, sizeof(key), "vcpu.%u.%s", n, field);
	return rec ? virTypedParamsGetULLong(rec->params, rec->nparams, key, v) : 0;
}

/* One vCPU into the snapshot from what the calls returned. */
static int add_vcpu(struct mc_cpu_snap *c, const struct mc_domain *d,
		    const virVcpuInfo *info, const unsigned char *pinmap, int maplen,
		    virDomainStatsRecordPtr rec)
{
	struct mc_vcpu *v = mc_cpu_snap_add_vcpu(c, d->name, info->number);
	unsigned long long t;

	if (!v)
		return -1;
	memcpy(v->uuid, d->uuid, sizeof(v->uuid));
	v->id = d->id;
	v->pcpu = info->cpu;
	v->time_ns = bulk_field(rec, info->number, "time", &t) == 1 ? t : info->cpuTime;
	v->have_delay = bulk_field(rec, info->number, "delay", &t) == 1;
	v->delay_ns = v->have_delay ? t : 0;
	v->affinity = mc_cpuset_from_map(pinmap, (size_t)maplen);
	return 0;
}

/* The live affinity of every vCPU; from GetVcpus' maps when PinInfo is
 * refused (a driver without it). */
static void pin_info(virDomainPtr dom, int n, unsigned char *maps, int maplen,
		     const unsigned char *fallback)
{
	if (virDomainGetVcpuPinInfo(dom, n, maps, maplen, VIR_DOMAIN_AFFECT_LIVE) < 0)
		memcpy(maps, fallback, (size_t)n * (size_t)maplen);
}

int mc_cpu_lv_read_domain(virDomainPtr dom, virDomainStatsRecordPtr rec,
			  const struct mc_domain *d, struct mc_cpu_snap *c)
{
	int maplen = map_len(c->npcpus > 0 ? (int)c->npcpus : MC_CPUSET_MAX);
	virDomainInfo dinfo;
	virVcpuInfoPtr info = NULL;
	unsigned char *maps = NULL, *pins = NULL;
	int n, i, rc = 0;

	if (virDomainGetInfo(dom, &dinfo) < 0 || dinfo.nrVirtCpu == 0) {
		mc_debug("%s: no vCPU count: %s", d->name, lv_err());
		return 0;	/* gone, or no vCPUs to place */
	}
	n = dinfo.nrVirtCpu;
	info = calloc((size_t)n, sizeof(*info));
	maps = calloc((size_t)n, (size_t)maplen);
	pins = calloc((size_t)n, (size_t)maplen);
	if (!info || !maps || !pins) {
		rc = -1;
	} else if ((n = virDomainGetVcpus(dom, info, n, maps, maplen)) < 0) {
		mc_debug("%s: cannot read vCPUs: %s", d->name, lv_err());
	} else {
		pin_info(dom, n, pins, maplen, maps);
		for (i = 0; i < n && rc == 0; i++)
			rc = add_vcpu(c, d, &info[i], pins + (size_t)i * (size_t)maplen,
				      maplen, rec);
	}
	free(info);
	free(maps);
	free(pins);
	return rc;
}

/* busy (kernel + user) and total (+ idle + iowait) ns of one pCPU. */
static void read_pcpu(virConnectPtr conn, int cpu, struct mc_pcpu *p)
{
	virNodeCPUStatsPtr st = NULL;
	int n = 0, i;
	unsigned long long busy = 0, total = 0;

	if (virNodeGetCPUStats(conn, cpu, NULL, &n, 0) < 0 || n <= 0 ||
	    !(st = calloc((size_t)n, sizeof(*st))) ||
	    virNodeGetCPUStats(conn, cpu, st, &n, 0) < 0) {
		free(st);
		return;		/* no times: utilization from the vCPUs */
	}
	for (i = 0; i < n; i++) {
		if (!strcmp(st[i].field, VIR_NODE_CPU_STATS_KERNEL) ||
		    !strcmp(st[i].field, VIR_NODE_CPU_STATS_USER))
			busy += st[i].value;
		if (!strcmp(st[i].field, VIR_NODE_CPU_STATS_KERNEL) ||
		    !strcmp(st[i].field, VIR_NODE_CPU_STATS_USER) ||
		    !strcmp(st[i].field, VIR_NODE_CPU_STATS_IDLE) ||
		    !strcmp(st[i].field, VIR_NODE_CPU_STATS_IOWAIT))
			total += st[i].value;
	}
	free(st);
	p->busy_ns = busy;
	p->total_ns = total;
	p->have_times = total > 0;
}

int mc_cpu_lv_read_host(virConnectPtr conn, struct mc_cpu_snap *c)
{
	unsigned char *map = NULL;
	unsigned int online = 0;
	int n = virNodeGetCPUMap(conn, &map, &online, 0), i;
	struct mc_cpuset on;

	if (n < 0)
		return -1;
	on = mc_cpuset_from_map(map, (size_t)VIR_CPU_MAPLEN(n));
	free(map);
	c->npcpus = n < MC_CPUSET_MAX ? (unsigned)n : MC_CPUSET_MAX;
	for (i = 0; i < (int)c->npcpus; i++) {
		c->pcpus[i].online = mc_cpuset_has(&on, (unsigned)i);
		if (c->pcpus[i].online)
			read_pcpu(conn, i, &c->pcpus[i]);
	}
	c->collected = true;
	return 0;
}

/* A live pin; the test driver refuses VIR_DOMAIN_AFFECT_LIVE, and on a
 * domain that is running AFFECT_CURRENT means live: tried only then. */
static int pin_live(virDomainPtr dom, unsigned vcpu, unsigned char *map, int maplen)
{
	if (virDomainPinVcpuFlags(dom, vcpu, map, maplen, VIR_DOMAIN_AFFECT_LIVE) == 0)
		return 0;
	if (virGetLastErrorCode() != VIR_ERR_INVALID_ARG || virDomainIsActive(dom) != 1)
		return -1;
	return virDomainPinVcpuFlags(dom, vcpu, map, maplen, VIR_DOMAIN_AFFECT_CURRENT);
}

int mc_cpu_lv_pin(virConnectPtr conn, const struct mc_vcpu *v,
		  const struct mc_cpuset *mask)
{
	unsigned char map[MC_CPUSET_MAX / 8];
	int top = MC_CPUSET_MAX, maplen;
	virDomainPtr dom;
	int rc;

	while (top > 0 && !mc_cpuset_has(mask, (unsigned)top - 1))
		top--;
	maplen = map_len(top);	/* no byte past the highest pCPU named */
	if (!conn || !top)
		return -1;
	dom = virDomainLookupByUUIDString(conn, v->uuid);
	if (!dom) {
		mc_warn("%s: gone before re-pin: %s", v->domain, lv_err());
		return -1;
	}
	mc_cpuset_to_map(mask, map, (size_t)maplen);
	rc = pin_live(dom, v->vcpu, map, maplen);
	if (rc < 0) {
		char list[MC_CPUSET_STR_LEN];

		mc_warn("%s: vcpu %u: re-pin to %s failed: %s", v->domain, v->vcpu,
			mc_cpuset_str(mask, list, sizeof(list)), lv_err());
	}
	virDomainFree(dom);
	return rc < 0 ? -1 : 0;
}
