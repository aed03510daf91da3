/*
 * ksm.c - reading and writing /sys/kernel/mm/ksm.
 *
 * Every sample reads the six files of MC_KSM_FILES.  A write goes to one
 * settable file; one that fails (EACCES, EROFS, EINVAL from the kernel)
 * marks that file unwritable: memcoord never retries it, so a host where
 * KSM is locked down costs one warning, not one per period.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostfs.h"
#include "ksm.h"
#include "log.h"
#include "util.h"

static const struct {
	const char *file;
	bool settable;
} files[MC_KSM_NFIELDS] = {
#define MC_KSM_ROW(id, file, settable) { file, settable },
	MC_KSM_FILES(MC_KSM_ROW)
#undef MC_KSM_ROW
};

const char *mc_ksm_name(enum mc_ksm_field f)
{
	return (unsigned)f < MC_KSM_NFIELDS ? files[f].file : NULL;
}

bool mc_ksm_settable(enum mc_ksm_field f)
{
	return (unsigned)f < MC_KSM_NFIELDS && files[f].settable;
}

int mc_ksm_field_of(const char *name)
{
	int i;

	for (i = 0; i < MC_KSM_NFIELDS; i++)
		if (!strcmp(files[i].file, name))
			return i;
	return -1;
}

static void rel_path(enum mc_ksm_field f, char *rel, size_t len)
{
	snprintf(rel, len, "%s/%s", MC_KSM_DIR, files[f].file);
}

/* "123\n" and nothing else. */
static int parse_u64(const char *text, uint64_t *v)
{
	char *end;

	if (*text < '0' || *text > '9')
		return -1;
	errno = 0;
	*v = strtoull(text, &end, 10);
	return errno || (strcmp(end, "\n") && *end) ? -1 : 0;
}

/* 0, 1 when the file is missing (no KSM), -1 with err set. */
static int read_field(const struct mc_ksm_src *src, enum mc_ksm_field f,
		      uint64_t *v, char *err, size_t errlen)
{
	char rel[128], *text;
	enum mc_hostfs_status st;
	int rc = 0;

	rel_path(f, rel, sizeof(rel));
	st = mc_hostfs_read(src->root, rel, &text, err, errlen);
	if (st != MC_HOSTFS_OK)
		return st == MC_HOSTFS_ABSENT ? 1 : -1;
	if (parse_u64(text, v)) {
		snprintf(err, errlen, "%s: not a number", rel);
		rc = -1;
	}
	free(text);
	return rc;
}

void mc_ksm_read(struct mc_ksm_src *src, struct mc_ksm *out)
{
	char err[MC_ERR_LEN];
	int i, rc = 0;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < MC_KSM_NFIELDS && rc == 0; i++)
		rc = read_field(src, (enum mc_ksm_field)i, &out->v[i], err, sizeof(err));
	out->have = rc == 0;
	out->unwritable = src->unwritable;
	if (rc < 0 && !src->warned_read)
		mc_warn("ksm: %s; KSM left out until it reads well", err);
	src->warned_read = rc < 0;
	if (!out->have)
		memset(out->v, 0, sizeof(out->v));
}

int mc_ksm_write(struct mc_ksm_src *src, enum mc_ksm_field f, uint64_t value)
{
	char rel[128], err[MC_ERR_LEN];
	unsigned bit = 1u << f;
	enum mc_hostfs_status st;

	if (!mc_ksm_settable(f) || (src->unwritable & bit))
		return -1;
	rel_path(f, rel, sizeof(rel));
	st = mc_hostfs_write_u64(src->root, rel, value, err, sizeof(err));
	if (st == MC_HOSTFS_OK)
		return 0;
	if (st == MC_HOSTFS_ABSENT)
		snprintf(err, sizeof(err), "%s: no such file", rel);
	mc_warn("ksm: %s; memcoord leaves %s alone from now on", err, files[f].file);
	src->unwritable |= bit;
	return -1;
}
