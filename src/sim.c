/*
 * sim.c - the simulator's driver: load a scenario, run the unchanged
 * coordinator on the simulated host, keep the score, draw the plot.
 *
 * Simulated time runs as fast as the CPU allows; --realtime sleeps so one
 * simulated second takes one wall-clock second (for watching a demo).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "coordinator.h"
#include "events.h"
#include "log.h"
#include "metrics.h"
#include "policy.h"
#include "report.h"
#include "scorecard.h"
#include "sim.h"

#define PLOT_MAX_VMS 12		/* more lines than this is not readable */

/* Everything one run owns; run_free() is the one way out. */
struct run {
	const struct mc_config *cfg;
	struct mc_sim_model *model;
	struct mc_backend *backend;
	struct mc_report *report;
	struct mc_coord *coord;
	struct mc_metrics *metrics;	/* [output] metrics, NULL = off */
	struct mc_events *events;	/* [output] events, NULL = off */
	struct mc_score *score;
	char tmpdir[64];	/* for --plot: trace, host, events; "" = none */
	const char *trace;	/* cfg->trace or trace_buf */
	char trace_buf[128];	/* a trace in tmpdir when --plot has none */
	FILE *host_dat, *events_dat;
	unsigned long ticks;
	double coord_cpu, model_cpu;
};

static double thread_cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- the plot's side files: host free and guest events per sample ---- */

static int open_plot_files(struct run *r, char *err, size_t errlen)
{
	char path[128];

	snprintf(r->tmpdir, sizeof(r->tmpdir), "/tmp/memcoord-sim.XXXXXX");
	if (!mkdtemp(r->tmpdir)) {
		snprintf(err, errlen, "cannot make a temporary directory: %s",
			 strerror(errno));
		r->tmpdir[0] = '\0';
		return -1;
	}
	snprintf(path, sizeof(path), "%s/host.dat", r->tmpdir);
	r->host_dat = fopen(path, "w");
	snprintf(path, sizeof(path), "%s/events.dat", r->tmpdir);
	r->events_dat = fopen(path, "w");
	if (!r->host_dat || !r->events_dat) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	/* One point of each kind left of the x range, so gnuplot does not
	 * warn about an empty series when nothing swapped or was killed. */
	fputs("-1 swap 0\n-1 oom 0\n", r->events_dat);
	if (!r->cfg->trace) {
		snprintf(r->trace_buf, sizeof(r->trace_buf), "%s/trace.csv", r->tmpdir);
		r->trace = r->trace_buf;
	}
	return 0;
}

static void remove_plot_files(struct run *r)
{
	const char *names[] = { "host.dat", "events.dat", "trace.csv", "plot.gp",
				"vms.dat" };
	char path[128];
	size_t i;

	if (!r->tmpdir[0])
		return;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", r->tmpdir, names[i]);
		unlink(path);
	}
	rmdir(r->tmpdir);
}

/* One row per sample for the host, one per guest event (OOM kill, pages
 * swapped out) since the last sample.  prev_* are per-VM memories kept in
 * the arrays the caller owns. */
static void record_plot(struct run *r, unsigned *prev_oom, uint64_t *prev_swap)
{
	const struct mc_sim_model *m = r->model;
	double t = mc_sim_model_now(m);
	size_t i;

	fprintf(r->host_dat, "%.3f %llu %llu\n", t,
		(unsigned long long)mc_sim_host_free(m),
		(unsigned long long)r->cfg->limits.host_reserve);
	for (i = 0; i < m->nvms && i < PLOT_MAX_VMS; i++) {
		const struct mc_sim_vm *v = &m->vms[i];

		if (v->oom_kills != prev_oom[i])
			fprintf(r->events_dat, "%.3f oom %llu\n", t,
				(unsigned long long)v->actual);
		else if (v->cnt.swap_out != prev_swap[i])
			fprintf(r->events_dat, "%.3f swap %llu\n", t,
				(unsigned long long)v->actual);
		prev_oom[i] = v->oom_kills;
		prev_swap[i] = v->cnt.swap_out;
	}
}

/* ---- gnuplot ---- */

static int have_gnuplot(void)
{
	const char *path = getenv("PATH");
	char dir[4096], exe[4200];
	const char *p = path ? path : "/usr/bin:/bin";

	while (*p) {
		size_t n = strcspn(p, ":");

		snprintf(dir, sizeof(dir), "%.*s", (int)n, p);
		snprintf(exe, sizeof(exe), "%s/gnuplot", dir[0] ? dir : ".");
		if (access(exe, X_OK) == 0)
			return 1;
		p += n + (p[n] == ':');
	}
	return 0;
}

/* The trace, regrouped: one gnuplot data block per VM ("time size used",
 * MiB; used is "?" before the guest reports).  One pass per VM: at most
 * PLOT_MAX_VMS passes over a file we just wrote. */
static int write_vm_block(FILE *in, FILE *out, const char *name)
{
	char line[1024];
	size_t len = strlen(name);

	rewind(in);
	while (fgets(line, sizeof(line), in)) {
		unsigned long long actual, unused;
		char *p = strchr(line, ',');
		double t;

		if (!p || strncmp(p + 1, name, len) || p[1 + len] != ',' ||
		    sscanf(line, "%lf", &t) != 1 ||
		    sscanf(p + 2 + len, "%llu", &actual) != 1)
			continue;
		p = strchr(p + 2 + len, ',');
		if (p && sscanf(p + 1, "%llu", &unused) == 1)
			fprintf(out, "%.3f %.3f %.3f\n", t, actual / 1024.0,
				(actual - unused) / 1024.0);
		else
			fprintf(out, "%.3f %.3f ?\n", t, actual / 1024.0);
	}
	return fputs("\n\n", out) < 0 ? -1 : 0;
}

static int write_plot_data(const struct run *r, size_t n)
{
	char path[128];
	FILE *in = fopen(r->trace, "r"), *out;
	size_t i;
	int rc = 0;

	if (!in)
		return -1;
	snprintf(path, sizeof(path), "%s/vms.dat", r->tmpdir);
	out = fopen(path, "w");
	if (!out) {
		fclose(in);
		return -1;
	}
	for (i = 0; i < n && !rc; i++)
		rc = write_vm_block(in, out, r->model->vms[i].name);
	fclose(in);
	return fclose(out) || rc ? -1 : 0;
}

static void plot_vm_lines(FILE *gp, const struct run *r, size_t n)
{
	size_t i;

	fputs("plot ", gp);
	for (i = 0; i < n; i++) {
		const char *name = r->model->vms[i].name;

		fprintf(gp, "%s'%s/vms.dat' index %zu using 1:2 with lines lc %zu lw 2 "
			"title '%s size', \\\n", i ? "     " : "", r->tmpdir, i,
			i + 1, name);
		fprintf(gp, "     '%s/vms.dat' index %zu using 1:3 with lines lc %zu "
			"dt 2 title '%s used', \\\n", r->tmpdir, i, i + 1, name);
	}
	fprintf(gp, "     '%s/events.dat' using 1:(strcol(2) eq \"swap\" ? $3/1024 : NaN) "
		"with points pt 9 ps 1.2 lc rgb '#d08000' title 'swapping', \\\n",
		r->tmpdir);
	fprintf(gp, "     '%s/events.dat' using 1:(strcol(2) eq \"oom\" ? $3/1024 : NaN) "
		"with points pt 2 ps 3 lw 3 lc rgb 'red' title 'OOM kill'\n", r->tmpdir);
}

static int write_plot_script(const struct run *r, const char *out_png,
			     char *script, size_t len)
{
	size_t n = r->model->nvms < PLOT_MAX_VMS ? r->model->nvms : PLOT_MAX_VMS;
	FILE *gp;

	if (write_plot_data(r, n))
		return -1;
	snprintf(script, len, "%s/plot.gp", r->tmpdir);
	gp = fopen(script, "w");
	if (!gp)
		return -1;
	fprintf(gp, "set terminal pngcairo size 1400,1000 font ',10'\n"
		"set termoption noenhanced\nset output '%s'\n"
		"set key outside right top\nset grid\nset xrange [0:*]\n"
		"set multiplot layout 2,1 title 'memcoord --simulate %s  (policy %s)'\n"
		"set size 1,0.64\nset origin 0,0.32\n"
		"set ylabel 'MiB'\nset title 'guests: balloon size (solid) and "
		"used = actual - unused (dashed)'\n", out_png, r->cfg->simulate,
		r->cfg->policy);
	fputs("set datafile missing '?'\n", gp);
	plot_vm_lines(gp, r, n);
	fprintf(gp, "set size 1,0.32\nset origin 0,0\nset title 'host'\n"
		"set xlabel 'simulated seconds'\n"
		"plot '%s/host.dat' using 1:($2/1024) with lines lw 2 lc rgb 'dark-green' "
		"title 'host free', '' using 1:($3/1024) with lines dt 3 lc rgb 'red' "
		"title 'host reserve'\nunset multiplot\n", r->tmpdir);
	return fclose(gp) ? -1 : 0;
}

static int draw_plot(struct run *r, const char *out_png)
{
	char script[128], cmd[512];
	int rc;

	if (!have_gnuplot()) {
		fprintf(stderr, "memcoord: --plot needs gnuplot (apt-get install "
			"gnuplot-nox); no plot written\n");
		return -1;
	}
	fflush(r->host_dat);
	fflush(r->events_dat);
	if (write_plot_script(r, out_png, script, sizeof(script))) {
		fprintf(stderr, "memcoord: cannot write the plot script\n");
		return -1;
	}
	snprintf(cmd, sizeof(cmd), "gnuplot '%s'", script);
	rc = system(cmd);
	if (rc != 0) {
		fprintf(stderr, "memcoord: gnuplot failed (status %d); no plot\n", rc);
		return -1;
	}
	return 0;
}

/* ---- setup and teardown ---- */

static void run_free(struct run *r)
{
	mc_score_free(r->score);
	mc_coord_free(r->coord);	/* closes the policy */
	mc_metrics_close(r->metrics);
	mc_events_close(r->events);
	mc_report_close(r->report);
	if (r->backend)
		r->backend->ops->close(r->backend);
	mc_sim_model_free(r->model);
	if (r->host_dat)
		fclose(r->host_dat);
	if (r->events_dat)
		fclose(r->events_dat);
	remove_plot_files(r);
}

static int run_open(struct run *r, char *err, size_t errlen)
{
	const struct mc_config *cfg = r->cfg;
	struct mc_policy *policy;

	r->model = mc_sim_model_load(cfg->simulate, err, errlen);
	if (!r->model)
		return 2;
	r->trace = cfg->trace;
	if (cfg->plot && open_plot_files(r, err, errlen))
		return 1;
	r->backend = mc_hv_sim_open(r->model, err, errlen);
	if (!r->backend)
		return 1;
	policy = mc_policy_load(cfg->policy, cfg->policy_params,
				cfg->npolicy_params, err, errlen);
	if (!policy)
		return 2;
	r->report = mc_report_open(cfg->verbosity < 0 ? NULL : stdout, r->trace,
				   err, errlen);
	r->coord = r->report ? mc_coord_new(cfg, r->backend, policy, r->report) : NULL;
	if (!r->coord) {
		mc_policy_close(policy);
		if (r->report)
			snprintf(err, errlen, "out of memory");
		return 1;
	}
	/* The same outputs as on a real host, so dashboards and the event
	 * log can be tried on a scenario first. */
	if ((cfg->metrics && !(r->metrics = mc_metrics_open(cfg->metrics, err, errlen))) ||
	    (cfg->events && !(r->events = mc_events_open(cfg->events, err, errlen))))
		return 1;
	mc_coord_set_outputs(r->coord, r->metrics, r->events);
	r->score = mc_score_new(r->model,
				(uint64_t)cfg->pressure_unused_mib * 1024,
				cfg->limits.host_reserve);
	if (!r->score) {
		snprintf(err, errlen, "out of memory");
		return 1;
	}
	return 0;
}

/* ---- the loop ---- */

static void sample(struct run *r)
{
	double t0 = thread_cpu();

	if (mc_coord_sample(r->coord))
		mc_warn("sim: sample at %.1fs failed", mc_sim_model_now(r->model));
	r->coord_cpu += thread_cpu() - t0;
	r->ticks++;
}

/* One sample interval of the model, in steps the scorecard watches. */
static void advance(struct run *r, double secs)
{
	long left = (long)(secs * 1000 + 0.5);
	double t0 = thread_cpu();

	while (left > 0) {
		long dt = left < MC_SIM_STEP_MS ? left : MC_SIM_STEP_MS;

		mc_sim_model_step(r->model, (double)dt / 1000.0);
		mc_score_observe(r->score, r->model, (double)dt / 1000.0);
		left -= dt;
	}
	r->model_cpu += thread_cpu() - t0;
}

static void pace(double start_wall, double sim_now)
{
	double ahead = sim_now - (wall() - start_wall);
	struct timespec ts;

	if (ahead <= 0)
		return;
	ts.tv_sec = (time_t)ahead;
	ts.tv_nsec = (long)((ahead - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static int loop(struct run *r, double duration)
{
	size_t n = r->model->nvms;
	unsigned *prev_oom = calloc(n ? n : 1, sizeof(*prev_oom));
	uint64_t *prev_swap = calloc(n ? n : 1, sizeof(*prev_swap));
	double start = wall();

	if (!prev_oom || !prev_swap) {
		free(prev_oom);
		free(prev_swap);
		return -1;
	}
	sample(r);
	while (mc_sim_model_now(r->model) < duration - 1e-9) {
		advance(r, r->cfg->sample);
		if (r->cfg->realtime)
			pace(start, mc_sim_model_now(r->model));
		sample(r);
		if (r->host_dat)
			record_plot(r, prev_oom, prev_swap);
	}
	free(prev_oom);
	free(prev_swap);
	return 0;
}

static long peak_rss_kib(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_SELF, &ru) ? -1 : ru.ru_maxrss;
}

static int finish(struct run *r, double duration)
{
	const struct mc_config *cfg = r->cfg;
	struct mc_score_run info = {
		.scenario = cfg->simulate, .policy = cfg->policy,
		.duration = duration, .coord = mc_coord_stats(r->coord),
		.ticks = r->ticks, .coord_cpu = r->coord_cpu,
		.model_cpu = r->model_cpu, .peak_rss_kib = peak_rss_kib(),
	};
	char err[512];
	int rc = 0;

	if (cfg->verbosity >= 0)
		mc_score_print(r->score, r->model, &info, stdout);
	if (cfg->report &&
	    mc_score_write_json(r->score, r->model, &info, cfg->report, err,
				sizeof(err))) {
		fprintf(stderr, "memcoord: --report %s\n", err);
		rc = 1;
	}
	/* The plot reads the trace: close it so every row is on disk. */
	mc_coord_free(r->coord);
	r->coord = NULL;
	mc_report_close(r->report);
	r->report = NULL;
	if (cfg->plot && draw_plot(r, cfg->plot))
		rc = 1;
	return rc;
}

int mc_sim_main(const struct mc_config *cfg)
{
	struct run r = { .cfg = cfg };
	char err[512] = "";
	double duration;
	int rc;

	rc = run_open(&r, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "memcoord: %s\n", err);
		run_free(&r);
		return rc;
	}
	duration = cfg->duration > 0 ? cfg->duration : r.model->host.duration;
	if (duration / cfg->sample > MC_SIM_SAMPLES_MAX) {
		fprintf(stderr, "memcoord: %.0f s at a sample every %g s is more than %.0f samples\n",
			duration, cfg->sample, MC_SIM_SAMPLES_MAX);
		run_free(&r);
		return MC_EXIT_USAGE;
	}
	mc_info("simulating %s for %.0f s: %zu domains, policy %s%s", cfg->simulate,
		duration, r.model->nvms, cfg->policy,
		cfg->realtime ? ", real time" : "");
	if (loop(&r, duration)) {
		fprintf(stderr, "memcoord: out of memory\n");
		run_free(&r);
		return 1;
	}
	rc = finish(&r, duration);
	run_free(&r);
	return rc;
}
