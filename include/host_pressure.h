/*
 * host_pressure.h - how comfortable the host is: MemAvailable and the
 * kernel's memory pressure stall information (PSI).
 *
 * Read from the host's own files, under a root (hostfs.h):
 *   proc/meminfo                 MemAvailable (KiB)
 *   proc/pressure/memory         the whole host's PSI
 *   the machine slice cgroup's memory.pressure (cgroup v2 only; the first
 *   of MC_HOST_PRESSURE_MACHINE_PSI that exists): the guests' own stalls
 * A file that is missing (kernels before 4.20 have no PSI, 3.14 no
 * MemAvailable; containers hide /proc/pressure; cgroup v1 has no
 * memory.pressure) leaves its value absent, silently.  One that is there
 * but cannot be read or parsed leaves it absent too, with one warning per
 * file until it reads well again.
 */
#ifndef MC_HOST_PRESSURE_H
#define MC_HOST_PRESSURE_H

#include <stdbool.h>
#include <stdint.h>

/* Where libvirt puts its machine slice: with systemd (machine.slice) or
 * its own cgroups (machine), on a pure cgroup v2 host or a hybrid one
 * (v2 at unified/).  The first found wins. */
#define MC_HOST_PRESSURE_MACHINE_PSI(X) \
	X("sys/fs/cgroup/machine.slice/memory.pressure") \
	X("sys/fs/cgroup/machine/memory.pressure") \
	X("sys/fs/cgroup/unified/machine.slice/memory.pressure") \
	X("sys/fs/cgroup/unified/machine/memory.pressure")

/* Share of wall time (percent, 0..100) that some / all non-idle tasks
 * stalled on memory, averaged over 10 s and 60 s. */
struct mc_psi_avgs {
	double avg10, avg60;
};

struct mc_psi {
	bool have;		/* false: the file is missing or unreadable */
	struct mc_psi_avgs some, full;
};

struct mc_host_pressure {
	bool have_available;
	uint64_t available;	/* KiB: MemAvailable */
	struct mc_psi psi;		/* proc/pressure/memory */
	struct mc_psi machine_psi;	/* the machine slice cgroup */
};

/* The reader's state: its root and which files it has warned about. */
struct mc_host_pressure_src {
	const char *root;	/* borrowed; MC_HOSTFS_ROOT in the daemon */
	unsigned warned;	/* bits: files already warned about */
};

/* Fills out (zeroed first) from the files under src->root. */
void mc_host_pressure_read(struct mc_host_pressure_src *src,
			   struct mc_host_pressure *out);

/* The parsers, for the tests.  0, or -1 when text is not what the kernel
 * writes (out is then cleared); parse_available is 1 when meminfo has no
 * MemAvailable line (kernels before 3.14). */
int mc_host_pressure_parse_psi(const char *text, struct mc_psi *out);
int mc_host_pressure_parse_available(const char *text, uint64_t *kib);

#endif
