/*
 * vmem_libvirt.h - a domain's virtio-mem device in libvirt's XML.
 *
 * libvirt (>= 7.9) describes the device in the live domain XML
 * (<memory model='virtio-mem'> with <target> size, node, block,
 * requested and current) and resizes it with virDomainUpdateDeviceFlags
 * given the device's XML with a new <requested>.  These are the two
 * halves, on strings, so the unit tests need no libvirt; the libvirt
 * backend fetches and sends.  The domain's boot memory (vmem.base) is its
 * NUMA cells' memory: libvirt requires NUMA for virtio-mem.
 */
#ifndef MC_VMEM_LIBVIRT_H
#define MC_VMEM_LIBVIRT_H

#include <stddef.h>
#include <stdint.h>

#include "vmem.h"

/* The first virtio-mem device of a live domain XML into out (have set).
 * 0; 1 when the domain has none; -1 with err when it has one that is not
 * understood (a missing field, a unit not in bytes..TiB, sizes off the
 * block): the caller then leaves the domain to its balloon. */
int mc_vmem_lv_parse(const char *xml, struct mc_vmem *out, char *err,
		     size_t errlen);

/* That device's XML with <requested> set to requested KiB: what
 * virDomainUpdateDeviceFlags takes.  Fresh (free()); NULL with err. */
char *mc_vmem_lv_update_xml(const char *xml, uint64_t requested, char *err,
			    size_t errlen);

#endif
