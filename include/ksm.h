/*
 * ksm.h - the kernel's samepage merging (KSM): reading and writing
 * /sys/kernel/mm/ksm under a root (hostfs.h).
 *
 * The files, one line each: X(id, "file", settable).  This list is the
 * only place they are declared: it makes the field indexes, the host.ksm
 * table a policy sees, the metrics and the settings a policy may return
 * (the settable ones).  Values are the kernel's: counts of pages, ms.
 */
#ifndef MC_KSM_H
#define MC_KSM_H

#include <stdbool.h>
#include <stdint.h>

#define MC_KSM_DIR "sys/kernel/mm/ksm"

#define MC_KSM_FILES(X) \
	X(RUN,             "run",             true)  \
	X(PAGES_SHARED,    "pages_shared",    false) \
	X(PAGES_SHARING,   "pages_sharing",   false) \
	X(FULL_SCANS,      "full_scans",      false) \
	X(PAGES_TO_SCAN,   "pages_to_scan",   true)  \
	X(SLEEP_MILLISECS, "sleep_millisecs", true)

enum mc_ksm_field {
#define MC_KSM_ENUM(id, file, settable) MC_KSM_##id,
	MC_KSM_FILES(MC_KSM_ENUM)
#undef MC_KSM_ENUM
	MC_KSM_NFIELDS
};

/* What the host's KSM looks like now. */
struct mc_ksm {
	bool have;		/* false: no KSM here (or not read) */
	uint64_t v[MC_KSM_NFIELDS];
	unsigned unwritable;	/* bits (1 << field): a write failed; never again */
};

/* The reader and writer's state: its root and what it has warned about. */
struct mc_ksm_src {
	const char *root;	/* borrowed; MC_HOSTFS_ROOT in the daemon */
	bool warned_read;
	unsigned unwritable;	/* bits: fields whose write failed (warned) */
};

/* The file name of a field ("pages_to_scan"); NULL when out of range. */
const char *mc_ksm_name(enum mc_ksm_field f);
/* True for the fields a policy may set (run, pages_to_scan,
 * sleep_millisecs). */
bool mc_ksm_settable(enum mc_ksm_field f);
/* The field named name, or -1. */
int mc_ksm_field_of(const char *name);

/* Fills out from root/MC_KSM_DIR: have is false, quietly, when there is no
 * KSM there; false with one warning (until it reads well) when a file
 * cannot be read or is not a number. */
void mc_ksm_read(struct mc_ksm_src *src, struct mc_ksm *out);
/* Writes value to a settable field.  A failure is warned about once and
 * marks the field unwritable for as long as src lives (a read-only sysfs,
 * a container, no root): it is never tried again.  0 or -1. */
int mc_ksm_write(struct mc_ksm_src *src, enum mc_ksm_field f, uint64_t value);

#endif
