/*
 * host_pressure.c - MemAvailable and memory PSI from the host's files.
 *
 * Every sample reads three small files; a missing one is an absent value,
 * a garbled one an absent value and one warning (until it reads well
 * again, so a kernel that changes its format under us is said once, not
 * every second).
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host_pressure.h"
#include "hostfs.h"
#include "log.h"
#include "util.h"

/* Files, as bits of src->warned. */
enum { WARN_MEMINFO = 1u << 0, WARN_PSI = 1u << 1, WARN_MACHINE = 1u << 2 };

static const char *const machine_psi_files[] = {
#define MACHINE_PSI_FILE(rel) rel,
	MC_HOST_PRESSURE_MACHINE_PSI(MACHINE_PSI_FILE)
#undef MACHINE_PSI_FILE
};

/* ---- parsing ---- */

static bool psi_avg_ok(double v)
{
	return isfinite(v) && v >= 0 && v <= 100;
}

/* One line, "KIND avg10=A avg60=B avg300=C total=N", and nothing else. */
static int parse_psi_line(const char *line, size_t len, const char *kind,
			  struct mc_psi_avgs *out)
{
	char fmt[64];
	double avg300;
	unsigned long long total;
	int end = -1;

	snprintf(fmt, sizeof(fmt), "%s avg10=%%lf avg60=%%lf avg300=%%lf total=%%llu%%n", kind);
	if (sscanf(line, fmt, &out->avg10, &out->avg60, &avg300, &total, &end) != 4 ||
	    end < 0 || (size_t)end != len)
		return -1;
	return psi_avg_ok(out->avg10) && psi_avg_ok(out->avg60) &&
	       psi_avg_ok(avg300) ? 0 : -1;
}

int mc_host_pressure_parse_psi(const char *text, struct mc_psi *out)
{
	const char *nl = strchr(text, '\n'), *second;
	size_t len1, len2;

	memset(out, 0, sizeof(*out));
	if (!nl)
		return -1;
	second = nl + 1;
	len1 = (size_t)(nl - text);
	len2 = strcspn(second, "\n");
	/* Exactly two lines: "some" then "full". */
	if (second[len2] != '\n' || second[len2 + 1] != '\0' ||
	    parse_psi_line(text, len1, "some", &out->some) ||
	    parse_psi_line(second, len2, "full", &out->full)) {
		memset(out, 0, sizeof(*out));
		return -1;
	}
	out->have = true;
	return 0;
}

int mc_host_pressure_parse_available(const char *text, uint64_t *kib)
{
	const char *line = text;
	unsigned long long v;
	char *end;

	*kib = 0;
	while (line && strncmp(line, "MemAvailable:", 13)) {
		line = strchr(line, '\n');
		line = line ? line + 1 : NULL;
	}
	if (!line)
		return 1;
	line += 13 + strspn(line + 13, " ");
	/* Digits only (strtoull takes "-1" as a huge number), in range. */
	if (!isdigit((unsigned char)*line))
		return -1;
	errno = 0;
	v = strtoull(line, &end, 10);
	if (errno || strncmp(end, " kB", 3) || (end[3] != '\n' && end[3] != '\0'))
		return -1;
	*kib = v;
	return 0;
}

/* ---- reading ---- */

/* One warning per file while it stays bad; quiet again once it is read. */
static void note(struct mc_host_pressure_src *src, unsigned bit, const char *why)
{
	if (!why) {
		src->warned &= ~bit;
		return;
	}
	if (!(src->warned & bit))
		mc_warn("host pressure: %s; left out until it reads well", why);
	src->warned |= bit;
}

static void read_psi(struct mc_host_pressure_src *src, const char *rel,
		     unsigned bit, struct mc_psi *out)
{
	char err[MC_ERR_LEN], *text;
	enum mc_hostfs_status st = mc_hostfs_read(src->root, rel, &text, err, sizeof(err));

	if (st == MC_HOSTFS_OK && mc_host_pressure_parse_psi(text, out))
		snprintf(err, sizeof(err), "%s: not in the kernel's PSI format", rel);
	note(src, bit, st == MC_HOSTFS_ABSENT || out->have ? NULL : err);
	free(text);
}

static void read_available(struct mc_host_pressure_src *src,
			   struct mc_host_pressure *out)
{
	char err[MC_ERR_LEN], *text;
	enum mc_hostfs_status st = mc_hostfs_read(src->root, "proc/meminfo", &text,
						  err, sizeof(err));
	int rc = st == MC_HOSTFS_OK ?
		 mc_host_pressure_parse_available(text, &out->available) : 1;

	if (rc < 0)
		snprintf(err, sizeof(err), "proc/meminfo: MemAvailable is not a size in kB");
	out->have_available = rc == 0;
	note(src, WARN_MEMINFO, st == MC_HOSTFS_ERROR || rc < 0 ? err : NULL);
	free(text);
}

/* The machine slice's file: the first candidate that exists. */
static void read_machine_psi(struct mc_host_pressure_src *src, struct mc_psi *out)
{
	char path[4096];
	size_t i;

	for (i = 0; i < sizeof(machine_psi_files) / sizeof(machine_psi_files[0]); i++) {
		if (mc_hostfs_path(src->root, machine_psi_files[i], path, sizeof(path)) ||
		    access(path, F_OK))
			continue;
		read_psi(src, machine_psi_files[i], WARN_MACHINE, out);
		return;
	}
}

void mc_host_pressure_read(struct mc_host_pressure_src *src,
			   struct mc_host_pressure *out)
{
	memset(out, 0, sizeof(*out));
	read_available(src, out);
	read_psi(src, "proc/pressure/memory", WARN_PSI, &out->psi);
	read_machine_psi(src, &out->machine_psi);
}
