/*
 * hypervisor.h - the backend interface: a real libvirt host or a simulated
 * one.  The coordinator cannot tell them apart.
 */
#ifndef MC_HYPERVISOR_H
#define MC_HYPERVISOR_H

#include <stddef.h>
#include <stdint.h>

#include "snapshot.h"

struct mc_backend;
struct mc_sim_model;

struct mc_backend_ops {
	/* Fills snap (already cleared) with every running domain and the host.
	 * Returns 0, or -1 when the host could not be read at all. */
	int (*collect)(struct mc_backend *b, struct mc_snapshot *snap);
	/* Sets the live balloon target of one domain.  0 or -1 (logged). */
	int (*set_target)(struct mc_backend *b, const struct mc_domain *d,
			  uint64_t kib);
	/* Current time on the backend's clock, seconds. */
	double (*now)(struct mc_backend *b);
	void (*close)(struct mc_backend *b);
};

struct mc_backend {
	const struct mc_backend_ops *ops;
	const char *kind;	/* "libvirt" or "sim" */
	unsigned long reconnects;	/* connections re-opened so far */
};

/* libvirt: opens uri (NULL = qemu:///system).  NULL on failure, err says why. */
struct mc_backend *mc_hv_libvirt_open(const char *uri, char *err, size_t errlen);
/* Re-opens a lost connection; 0 when connected. */
int mc_hv_libvirt_reconnect(struct mc_backend *b);
/* sim: a backend over m (sim_model.h; borrowed: the caller frees m after
 * closing the backend).  NULL on failure, err says why. */
struct mc_backend *mc_hv_sim_open(struct mc_sim_model *m, char *err, size_t errlen);

#endif
