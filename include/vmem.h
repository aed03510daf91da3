/*
 * vmem.h - virtio-mem: a domain's memory device that the host resizes by
 * asking for a new size, in the device's blocks (issue 14 item 1).
 *
 * A domain whose backend reports a virtio-mem device (have) is resized
 * through it, not through its balloon: its size is base + plugged, the
 * memory the guest has really taken or given up, whatever was asked
 * (a shrink may stop short when the guest cannot unplug memory).  A
 * balloon beside it still reports the guest's stats.  The clamps (rule
 * "block", clamp.h) move every target to a size the device can reach:
 * base + a multiple of block, within base .. base + size; the policy sees
 * the device as d.lever = "virtio-mem" and d.vmem (docs/policies.md).
 */
#ifndef MC_VMEM_H
#define MC_VMEM_H

#include <stdbool.h>
#include <stdint.h>

/* All KiB. */
struct mc_vmem {
	bool have;		/* false: the balloon is the domain's lever */
	uint64_t base;		/* memory outside the device (boot memory) */
	uint64_t size;		/* the most the device can plug */
	uint64_t block;		/* its granularity (2 MiB or more), > 0 */
	uint64_t requested;	/* what was last asked of it */
	uint64_t plugged;	/* what the guest has plugged now: the truth */
};

#endif
