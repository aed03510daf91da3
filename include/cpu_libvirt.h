/*
 * cpu_libvirt.h - the CPU half of the libvirt backend: vCPUs from the bulk
 * stats record (VIR_DOMAIN_STATS_VCPU) and the per-domain calls, pCPUs
 * from the node, and the live re-pin.  hypervisor_libvirt.c calls these
 * when its backend's want_cpu is set; nothing else does.
 */
#ifndef MC_CPU_LIBVIRT_H
#define MC_CPU_LIBVIRT_H

#include <libvirt/libvirt.h>

#include "cpuset.h"

struct mc_cpu_snap;
struct mc_domain;
struct mc_vcpu;

/* Every vCPU of domain d (already in the snapshot): run time and delay
 * from rec where the bulk call had them (else virDomainGetVcpus' cpuTime),
 * the pCPU last run on (virDomainGetVcpus), the live affinity
 * (virDomainGetVcpuPinInfo).  0; -1 only when out of memory.  A domain
 * whose vCPUs cannot be read is logged once per cause and left out. */
int mc_cpu_lv_read_domain(virDomainPtr dom, virDomainStatsRecordPtr rec,
			  const struct mc_domain *d, struct mc_cpu_snap *c);
/* The host's pCPUs: count and online map (virNodeGetCPUMap), busy and
 * total ns of each online one (virNodeGetCPUStats; absent on drivers
 * without them).  0, or -1 when the map cannot be read. */
int mc_cpu_lv_read_host(virConnectPtr conn, struct mc_cpu_snap *c);
/* Pins v live to mask (virDomainPinVcpuFlags).  0 or -1 (logged). */
int mc_cpu_lv_pin(virConnectPtr conn, const struct mc_vcpu *v,
		  const struct mc_cpuset *mask);

#endif
