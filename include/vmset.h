/*
 * vmset.h - one domain's own settings (min, max, weight, exclude) from one
 * source: an INI [domain "GLOB"] section, or the domain's XML metadata
 * (domxml.h).  One list of the keys, one parser of their values, so both
 * sources accept the same text and refuse the same mistakes, and one rule
 * for which source wins.  Pure: no I/O.
 */
#ifndef MC_VMSET_H
#define MC_VMSET_H

#include <stdbool.h>
#include <stddef.h>

/* The largest size a setting may name, MiB (1 TiB: the [limits] bound). */
#define MC_VMSET_MIB_MAX (1L << 20)
#define MC_VMSET_WEIGHT_MAX 1e6

/*
 * The keys, one line each: X(field, "key", what).  The INI section and the
 * metadata element both use these names (docs: README, memcoord.ini(5)).
 */
#define MC_VMSET_KEYS(X) \
	X(min_mib, "min_mib", "the smallest size memcoord gives it, MiB") \
	X(max_mib, "max_mib", "the largest, MiB (below the hypervisor's max)") \
	X(weight,  "weight",  "its share for weighted policies (d.params.weight)") \
	X(exclude, "exclude", "yes: never resized")

/* Zeroed = nothing set. */
struct mc_vmset {
	bool has_min_mib, has_max_mib, has_weight, has_exclude;
	long min_mib;		/* 0..MC_VMSET_MIB_MAX */
	long max_mib;		/* 1..MC_VMSET_MIB_MAX */
	double weight;		/* 0..MC_VMSET_WEIGHT_MAX */
	bool exclude;
};

/* Sets key from value.  1 when set, 0 when key is none of MC_VMSET_KEYS
 * (s unchanged), -1 when the value is bad (s unchanged, why says what is
 * wanted, without quoting value: the caller decides how to quote it). */
int mc_vmset_put(struct mc_vmset *s, const char *key, const char *value,
		 char *why, size_t whylen);

/* 0, or -1 when the settings contradict each other (min above max). */
int mc_vmset_check(const struct mc_vmset *s, char *why, size_t whylen);

/* "min_mib=512 weight=2": the keys set, for logs; "none" when none. */
const char *mc_vmset_str(const struct mc_vmset *s, char *buf, size_t len);

/* Which wins: the host's INI, key by key.  used = the keys of vm that
 * the INI leaves unset, less a VM min above the INI's max and a VM max
 * below the INI's min (either may be NULL: none). */
void mc_vmset_overlay(const struct mc_vmset *ini, const struct mc_vmset *vm,
		      struct mc_vmset *used);

#endif
