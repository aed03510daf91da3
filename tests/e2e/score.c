/*
 * score.c - scores one real-guest bench run with the simulator's
 * definitions (include/course_score.h), for tests/e2e/bench.sh.
 *
 *   e2e_score MAX_MIB RUN
 *
 * reads RUN.csv (memcoord's --trace), RUN.phases (bench.sh: "VM STEP OP
 * START END MOVED_MIB" per workload step, trace times) and RUN.VM.console
 * (OOM kills), and prints one line:
 *   ooms=N margin_mib=X giveback_s=X unsettled=0|1 held_mib=X resizes=N reversals=N
 * (nan = not applicable, inf = never).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "course_score.h"
#include "csv.h"
#include "fileio.h"
#include "util.h"

#define MAX_VMS 16
#define MAX_STEPS 64
#define LINE 4096

struct step {
	char op[8];
	double start, end;	/* end INFINITY: never ended */
	double moved_mib;	/* NAN: never ended */
};

struct vm {
	char name[256];
	struct step steps[MAX_STEPS];
	size_t nsteps;
	uint64_t last_target;
};

static struct vm vms[MAX_VMS];
static size_t nvms;

static size_t vm_index(const char *name)
{
	size_t i;

	for (i = 0; i < nvms; i++)
		if (!strcmp(vms[i].name, name))
			return i;
	if (nvms == MAX_VMS) {
		fprintf(stderr, "e2e_score: more than %d guests\n", MAX_VMS);
		exit(2);
	}
	snprintf(vms[nvms].name, sizeof(vms[nvms].name), "%s", name);
	return nvms++;
}

static FILE *open_run(const char *run, const char *suffix)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s%s", run, suffix);
	f = fopen(path, "r");
	if (!f)
		perror(path);
	return f;
}

static void read_phases(const char *run)
{
	char line[LINE], name[256], op[8], end[32], moved[32];
	double start;
	int k;
	FILE *f = open_run(run, ".phases");

	if (!f)
		exit(2);
	while (fgets(line, sizeof(line), f)) {
		struct vm *v;

		if (sscanf(line, "%255s %d %7s %lf %31s %31s", name, &k, op, &start,
			   end, moved) != 6)
			continue;
		v = &vms[vm_index(name)];
		if (v->nsteps == MAX_STEPS)
			continue;
		snprintf(v->steps[v->nsteps].op, sizeof(v->steps[0].op), "%s", op);
		v->steps[v->nsteps].start = start;
		v->steps[v->nsteps].end = strcmp(end, "-") ? atof(end) : INFINITY;
		v->steps[v->nsteps].moved_mib = strcmp(moved, "-") ? atof(moved) : NAN;
		v->nsteps++;
	}
	fclose(f);
}

static bool growing(const struct vm *v, double t)
{
	size_t i;

	for (i = 0; i < v->nsteps; i++)
		if ((!strcmp(v->steps[i].op, "fill") || !strcmp(v->steps[i].op, "grow")) &&
		    t >= v->steps[i].start && t <= v->steps[i].end)
			return true;
	return false;
}

enum { C_TIME, C_DOMAIN, C_ACTUAL, C_UNUSED, C_TARGET, NCOLS };
static const char *const col_name[NCOLS] = {
	"time", "domain", "actual_kib", "unused_kib", "target_kib"
};

/* One record's fields (at most MAX_FIELDS); the count, 0 at the end. */
#define MAX_FIELDS 64
static size_t next_record(struct mc_csv *c, char **f)
{
	size_t n = 0;
	bool last = false;
	char *x;

	while (!last && (x = mc_csv_field(c, &last)))
		if (n < MAX_FIELDS)
			f[n++] = x;
	if (c->bad) {
		fprintf(stderr, "e2e_score: trace record %zu is not RFC 4180\n", c->record);
		exit(2);
	}
	return n;
}

static void find_columns(char **f, size_t n, int *col)
{
	size_t i, c;

	for (c = 0; c < NCOLS; c++) {
		col[c] = -1;
		for (i = 0; i < n; i++)
			if (!strcmp(f[i], col_name[c]))
				col[c] = (int)i;
		if (col[c] < 0) {
			fprintf(stderr, "e2e_score: trace has no %s column\n", col_name[c]);
			exit(2);
		}
	}
}

static void feed_row(struct mc_cs *cs, char **f, const int *col)
{
	size_t i = vm_index(f[col[C_DOMAIN]]);
	double t = atof(f[col[C_TIME]]);
	uint64_t actual = strtoull(f[col[C_ACTUAL]], NULL, 10);
	const char *target = f[col[C_TARGET]];

	if (*f[col[C_UNUSED]] && mc_cs_sample(cs, i, t, actual,
					    strtoull(f[col[C_UNUSED]], NULL, 10),
					    growing(&vms[i], t))) {
		fprintf(stderr, "e2e_score: out of memory\n");
		exit(2);
	}
	if (*target) {
		uint64_t to = strtoull(target, NULL, 10);

		if (to != actual && to != vms[i].last_target)
			mc_cs_resize(cs, i, actual, to);
		vms[i].last_target = to;
	}
}

static void read_trace(struct mc_cs *cs, const char *run)
{
	char path[4096], err[512], *text, *f[MAX_FIELDS];
	struct mc_csv c;
	int col[NCOLS];
	size_t len, n;

	snprintf(path, sizeof(path), "%s.csv", run);
	if (mc_file_read(path, 64u << 20, &text, &len, err, sizeof(err))) {
		fprintf(stderr, "e2e_score: %s\n", err);
		exit(2);
	}
	mc_csv_init(&c, text, len);
	find_columns(f, next_record(&c, f), col);
	while ((n = next_record(&c, f)) > 0) {
		int k;

		for (k = 0; k < NCOLS && col[k] < (int)n; k++)
			;
		if (k == NCOLS)
			feed_row(cs, f, col);
	}
	free(text);
}

static void count_ooms(struct mc_cs *cs, const char *run)
{
	char suffix[sizeof(vms[0].name) + 16], line[LINE];
	size_t i;

	for (i = 0; i < nvms; i++) {
		FILE *f;

		snprintf(suffix, sizeof(suffix), ".%.255s.console", vms[i].name);
		if (!(f = open_run(run, suffix)))
			continue;
		while (fgets(line, sizeof(line), f))
			if (strstr(line, "Out of memory: Killed process"))
				mc_cs_oom(cs, i);
		fclose(f);
	}
}

static void feed_frees(struct mc_cs *cs)
{
	size_t i, k;

	for (i = 0; i < nvms; i++)
		for (k = 0; k < vms[i].nsteps; k++)
			if (!strcmp(vms[i].steps[k].op, "free") &&
			    !isnan(vms[i].steps[k].moved_mib))
				mc_cs_freed(cs, i, vms[i].steps[k].start,
					    vms[i].steps[k].end, (uint64_t)
					    (vms[i].steps[k].moved_mib * MC_KIB_PER_MIB));
}

int main(int argc, char **argv)
{
	uint64_t max[MAX_VMS];
	struct mc_cs_result r;
	struct mc_cs *cs;
	size_t i;

	if (argc != 3) {
		fprintf(stderr, "usage: e2e_score MAX_MIB RUN\n");
		return 2;
	}
	read_phases(argv[2]);
	for (i = 0; i < MAX_VMS; i++)
		max[i] = strtoull(argv[1], NULL, 10) * MC_KIB_PER_MIB;
	if (!(cs = mc_cs_new(MAX_VMS, max)))
		return 2;
	read_trace(cs, argv[2]);
	count_ooms(cs, argv[2]);
	feed_frees(cs);
	mc_cs_result(cs, &r);
	printf("ooms=%u margin_mib=%.0f giveback_s=%.1f unsettled=%d held_mib=%.0f "
	       "resizes=%lu reversals=%lu\n", r.ooms, r.margin_mib, r.giveback_s,
	       r.unsettled, r.held_mib, r.resizes, r.reversals);
	mc_cs_free(cs);
	return 0;
}
