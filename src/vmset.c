/*
 * vmset.c - one domain's settings: parse, check, and which source wins.
 */
#include <stdio.h>
#include <string.h>

#include "inifile.h"
#include "vmset.h"

/* Each key's parser: 0, or -1 with why. */
static int put_size(long *field, bool *has, long lo, const char *v, char *why,
		    size_t len)
{
	if (!mc_ini_long(v, lo, MC_VMSET_MIB_MAX, field))
		return (*has = true), 0;
	snprintf(why, len, "not a size in MiB (%ld..%ld)", lo, MC_VMSET_MIB_MAX);
	return -1;
}

static int put_min_mib(struct mc_vmset *s, const char *v, char *why, size_t len)
{
	return put_size(&s->min_mib, &s->has_min_mib, 0, v, why, len);
}

/* A max of 0 would be no size at all. */
static int put_max_mib(struct mc_vmset *s, const char *v, char *why, size_t len)
{
	return put_size(&s->max_mib, &s->has_max_mib, 1, v, why, len);
}

static int put_weight(struct mc_vmset *s, const char *v, char *why, size_t len)
{
	if (!mc_ini_double(v, 0, MC_VMSET_WEIGHT_MAX, &s->weight))
		return (s->has_weight = true), 0;
	snprintf(why, len, "not a weight (0..%.0f)", MC_VMSET_WEIGHT_MAX);
	return -1;
}

static int put_exclude(struct mc_vmset *s, const char *v, char *why, size_t len)
{
	if (!mc_ini_bool(v, &s->exclude))
		return (s->has_exclude = true), 0;
	snprintf(why, len, "not yes or no");
	return -1;
}

typedef int (*put_fn)(struct mc_vmset *, const char *, char *, size_t);

static const struct {
	const char *key;
	put_fn put;
} keys[] = {
#define VMSET_KEY(field, name, what) { name, put_##field },
	MC_VMSET_KEYS(VMSET_KEY)
#undef VMSET_KEY
};

int mc_vmset_put(struct mc_vmset *s, const char *key, const char *value,
		 char *why, size_t whylen)
{
	struct mc_vmset fresh = *s;
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strcmp(key, keys[i].key))
			continue;
		if (keys[i].put(&fresh, value, why, whylen))
			return -1;
		*s = fresh;
		return 1;
	}
	return 0;
}

int mc_vmset_check(const struct mc_vmset *s, char *why, size_t whylen)
{
	if (s->has_min_mib && s->has_max_mib && s->min_mib > s->max_mib) {
		snprintf(why, whylen, "min_mib %ld is above max_mib %ld",
			 s->min_mib, s->max_mib);
		return -1;
	}
	return 0;
}

/* The host operator's INI is the authority: the VM's metadata can be
 * written by whoever may edit the domain, the INI only by root.  A VM
 * value that would contradict the INI's other bound is dropped rather
 * than let it turn the INI's limit inside out. */
void mc_vmset_overlay(const struct mc_vmset *ini, const struct mc_vmset *vm,
		      struct mc_vmset *used)
{
	static const struct mc_vmset none;

	ini = ini ? ini : &none;
	*used = vm ? *vm : none;
	used->has_min_mib &= !ini->has_min_mib &&
			     !(ini->has_max_mib && used->min_mib > ini->max_mib);
	used->has_max_mib &= !ini->has_max_mib &&
			     !(ini->has_min_mib && used->max_mib < ini->min_mib);
	used->has_weight &= !ini->has_weight;
	used->has_exclude &= !ini->has_exclude;
}

const char *mc_vmset_str(const struct mc_vmset *s, char *buf, size_t len)
{
	size_t n = 0;

	if (!len)
		return "";
	buf[0] = '\0';
#define VMSET_APPEND(...) \
	(n += (size_t)snprintf(buf + (n < len ? n : len - 1), \
			       len - (n < len ? n : len - 1), __VA_ARGS__))
	if (s->has_min_mib)
		VMSET_APPEND(" min_mib=%ld", s->min_mib);
	if (s->has_max_mib)
		VMSET_APPEND(" max_mib=%ld", s->max_mib);
	if (s->has_weight)
		VMSET_APPEND(" weight=%g", s->weight);
	if (s->has_exclude)
		VMSET_APPEND(" exclude=%s", s->exclude ? "yes" : "no");
#undef VMSET_APPEND
	return buf[0] ? buf + 1 : "none";
}
