/*
 * sim.c - the simulator's driver: load a scenario, run the unchanged
 * coordinator on the simulated host, keep the score, draw the plot.
 *
 * Simulated time runs as fast as the CPU allows; --realtime sleeps so one
 * simulated second takes one wall-clock second (for watching a demo).
 * SIGINT, SIGTERM and SIGHUP stop a run cleanly after the current sample:
 * the scorecard, --report, --trace and --plot cover the time simulated.
 *
 * The plot: every name (VMs, scenario, policy) reaches gnuplot as data in
 * files of a private temporary directory, never as script text; the script
 * is fixed text plus that directory's mkdtemp name; gnuplot is spawned
 * with an argv (no shell) and draws into the directory, and the PNG is
 * then copied to --plot.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "coordinator.h"
#include "cpu_coord.h"
#include "cpu_score.h"
#include "cpu_sim.h"
#include "events.h"
#include "fileio.h"
#include "hypervisor.h"
#include "log.h"
#include "metrics.h"
#include "policy.h"
#include "report.h"
#include "scorecard.h"
#include "signals.h"
#include "sim.h"
#include "sim_model.h"
#include "sim_scenario.h"
#include "util.h"

#define PLOT_MAX_VMS 12		/* more lines than this is not readable */
#define PLOT_MAX (64u << 20)	/* bytes: gnuplot's PNG is far smaller */

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
	struct mc_cpu_sim *cpu;		/* [cpu] in the scenario, or NULL */
	struct mc_cpu_score *cpu_score;
	char tmpdir[64];	/* for --plot: the data and the script; "" = none */
	FILE *host_dat, *events_dat;
	FILE *vm_dat[PLOT_MAX_VMS];	/* one per plotted VM */
	size_t nplot;
	unsigned long ticks;
	double coord_cpu, model_cpu;
	int stop_signal;	/* SIGINT/SIGTERM/SIGHUP seen: stop, 0 = run on */
};

extern char **environ;

/* ---- the plot's data: host free, guest events, one file per VM ---- */

/* A name as a gnuplot data field: tabs split fields, a double quote opens
 * a quoted one, control characters end lines.  Data is never executed;
 * this only keeps one name one field. */
static void put_label(FILE *f, const char *s)
{
	for (; *s; s++)
		fputc((unsigned char)*s < 0x20 || *s == 0x7f || *s == '"' ? '?' : *s, f);
}

static FILE *open_in_tmpdir(const struct run *r, const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", r->tmpdir, name);
	return fopen(path, "w");
}

/* The title, read by the script with strcol(): never part of its text. */
static int write_plot_title(const struct run *r)
{
	FILE *f = open_in_tmpdir(r, "title.dat");

	if (!f)
		return -1;
	fputs("memcoord --simulate ", f);
	put_label(f, r->cfg->simulate);
	fputs("  (policy ", f);
	put_label(f, r->cfg->policy ? r->cfg->policy : "(none)");
	fputs(")\n", f);
	return fclose(f) ? -1 : 0;
}

/* The name of the model's VM i (borrowed from the model). */
static const char *vm_name(const struct run *r, size_t i)
{
	struct mc_sim_vm_state v;

	mc_sim_model_vm_state(r->model, i, &v);
	return v.name;
}

/* vmN.dat: a header naming the lines, then "time size used" in MiB. */
static int open_vm_files(struct run *r)
{
	size_t i, nvms = mc_sim_model_nvms(r->model);
	char name[32];

	r->nplot = nvms < PLOT_MAX_VMS ? nvms : PLOT_MAX_VMS;
	for (i = 0; i < r->nplot; i++) {
		snprintf(name, sizeof(name), "vm%zu.dat", i);
		r->vm_dat[i] = open_in_tmpdir(r, name);
		if (!r->vm_dat[i])
			return -1;
		fputs("time\t", r->vm_dat[i]);
		put_label(r->vm_dat[i], vm_name(r, i));
		fputs(" size\t", r->vm_dat[i]);
		put_label(r->vm_dat[i], vm_name(r, i));
		fputs(" used\n", r->vm_dat[i]);
	}
	return 0;
}

static int open_plot_files(struct run *r, char *err, size_t errlen)
{
	snprintf(r->tmpdir, sizeof(r->tmpdir), "/tmp/memcoord-sim.XXXXXX");
	if (!mkdtemp(r->tmpdir)) {
		snprintf(err, errlen, "cannot make a temporary directory: %s",
			 strerror(errno));
		r->tmpdir[0] = '\0';
		return -1;
	}
	r->host_dat = open_in_tmpdir(r, "host.dat");
	r->events_dat = open_in_tmpdir(r, "events.dat");
	if (!r->host_dat || !r->events_dat || open_vm_files(r) ||
	    write_plot_title(r)) {
		snprintf(err, errlen, "%s: %s", r->tmpdir, strerror(errno));
		return -1;
	}
	/* One point of each kind left of the x range, so gnuplot does not
	 * warn about an empty series when nothing swapped or was killed. */
	fputs("-1\tswap\t0\n-1\toom\t0\n", r->events_dat);
	return 0;
}

static void close_plot_files(struct run *r)
{
	size_t i;

	if (r->host_dat)
		fclose(r->host_dat);
	if (r->events_dat)
		fclose(r->events_dat);
	for (i = 0; i < r->nplot; i++)
		if (r->vm_dat[i])
			fclose(r->vm_dat[i]);
	r->host_dat = r->events_dat = NULL;
	memset(r->vm_dat, 0, sizeof(r->vm_dat));
}

static void remove_plot_files(struct run *r)
{
	const char *names[] = { "host.dat", "events.dat", "title.dat", "plot.gp",
				"plot.png" };
	char path[128];
	size_t i;

	if (!r->tmpdir[0])
		return;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", r->tmpdir, names[i]);
		unlink(path);
	}
	for (i = 0; i < r->nplot; i++) {
		snprintf(path, sizeof(path), "%s/vm%zu.dat", r->tmpdir, i);
		unlink(path);
	}
	rmdir(r->tmpdir);
}

/* Each plotted VM's size and used memory as the coordinator saw them
 * (used is "?" before the guest reports; nothing while it is not running). */
static void record_vms(struct run *r, double t)
{
	const struct mc_snapshot *snap = mc_coord_snapshot(r->coord);
	size_t i;

	for (i = 0; snap && i < r->nplot; i++) {
		const struct mc_domain *d = mc_snapshot_find(snap, vm_name(r, i));

		if (!d)
			continue;
		if (d->cur.have_stats)
			fprintf(r->vm_dat[i], "%.3f\t%.3f\t%.3f\n", t,
				mc_mib_of_kib(d->cur.actual), mc_mib_of_kib(mc_snapshot_used(d)));
		else
			fprintf(r->vm_dat[i], "%.3f\t%.3f\t?\n", t, mc_mib_of_kib(d->cur.actual));
	}
}

/* One row per sample for the host, one per guest event (OOM kill, pages
 * swapped out) since the last sample.  prev_* are per-VM memories kept in
 * the arrays the caller owns. */
static void record_plot(struct run *r, unsigned *prev_oom, uint64_t *prev_swap)
{
	const struct mc_sim_model *m = r->model;
	double t = mc_sim_model_now(m);
	size_t i;

	fprintf(r->host_dat, "%.3f\t%llu\t%llu\n", t,
		(unsigned long long)mc_sim_host_free(m),
		(unsigned long long)r->cfg->limits.host_reserve);
	for (i = 0; i < r->nplot; i++) {
		struct mc_sim_vm_state v;

		mc_sim_model_vm_state(m, i, &v);
		if (v.oom_kills != prev_oom[i])
			fprintf(r->events_dat, "%.3f\toom\t%llu\n", t,
				(unsigned long long)v.actual);
		else if (v.cnt.swap_out != prev_swap[i])
			fprintf(r->events_dat, "%.3f\tswap\t%llu\n", t,
				(unsigned long long)v.actual);
		prev_oom[i] = v.oom_kills;
		prev_swap[i] = v.cnt.swap_out;
	}
	record_vms(r, t);
}

/* ---- gnuplot ---- */

/* Fixed text: the only thing printed into it is tmpdir, which mkdtemp made
 * from a fixed template and [A-Za-z0-9]. */
static void plot_vm_lines(FILE *gp, const struct run *r)
{
	size_t i;

	fputs("plot ", gp);
	for (i = 0; i < r->nplot; i++) {
		fprintf(gp, "%s'%s/vm%zu.dat' using 1:2 with lines lc %zu lw 2 "
			"title columnheader(2), \\\n", i ? "     " : "", r->tmpdir, i,
			i + 1);
		fprintf(gp, "     '' using 1:3 with lines lc %zu dt 2 "
			"title columnheader(3), \\\n", i + 1);
	}
	fprintf(gp, "     '%s/events.dat' using 1:(strcol(2) eq \"swap\" ? $3/1024 : NaN) "
		"with points pt 9 ps 1.2 lc rgb '#d08000' title 'swapping', \\\n",
		r->tmpdir);
	fprintf(gp, "     '%s/events.dat' using 1:(strcol(2) eq \"oom\" ? $3/1024 : NaN) "
		"with points pt 2 ps 3 lw 3 lc rgb 'red' title 'OOM kill'\n", r->tmpdir);
}

static int write_plot_script(const struct run *r, char *script, size_t len)
{
	FILE *gp;

	snprintf(script, len, "%s/plot.gp", r->tmpdir);
	gp = fopen(script, "w");
	if (!gp)
		return -1;
	fprintf(gp, "set datafile separator \"\\t\"\nset datafile missing '?'\n"
		"stats '%s/title.dat' using (plot_title = strcol(1), 0) nooutput\n"
		"set terminal pngcairo size 1400,1000 font ',10'\n"
		"set termoption noenhanced\nset output '%s/plot.png'\n"
		"set key outside right top\nset grid\nset xrange [0:*]\n"
		"set multiplot layout 2,1 title plot_title\n"
		"set size 1,0.64\nset origin 0,0.32\n"
		"set ylabel 'MiB'\nset title 'guests: balloon size (solid) and "
		"used = actual - unused (dashed)'\n", r->tmpdir, r->tmpdir);
	plot_vm_lines(gp, r);
	fprintf(gp, "set size 1,0.32\nset origin 0,0\nset title 'host'\n"
		"set xlabel 'simulated seconds'\n"
		"plot '%s/host.dat' using 1:($2/1024) with lines lw 2 lc rgb 'dark-green' "
		"title 'host free', '' using 1:($3/1024) with lines dt 3 lc rgb 'red' "
		"title 'host reserve'\nunset multiplot\n", r->tmpdir);
	return fclose(gp) ? -1 : 0;
}

/* gnuplot SCRIPT, no shell, with the signals main() blocked back to their
 * defaults (a child must not inherit a mask it knows nothing of).  Its
 * exit status, or -1 with errno set when it could not be started. */
static int run_gnuplot(const char *script)
{
	char *argv[] = { "gnuplot", (char *)script, NULL };
	posix_spawnattr_t attr;
	sigset_t none, dflt;
	pid_t pid;
	int rc, status;

	sigemptyset(&none);
	mc_signals_set(&dflt);
	if ((rc = posix_spawnattr_init(&attr)))
		return errno = rc, -1;
	rc = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	if (!rc)
		rc = posix_spawnattr_setsigmask(&attr, &none);
	if (!rc)
		rc = posix_spawnattr_setsigdefault(&attr, &dflt);
	if (!rc)
		rc = posix_spawnp(&pid, "gnuplot", NULL, &attr, argv, environ);
	posix_spawnattr_destroy(&attr);
	if (rc)
		return errno = rc, -1;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Copies the PNG to the user's path: a regular file or a new one, never
 * through a symlink, never into a FIFO or a device. */
/* The picture reaches --plot like every whole-file output: a fresh
 * temporary file next to it, renamed over it.  So a symlink, a FIFO or a
 * hard link planted at that path is never written through. */
static int copy_plot(const char *from, const char *to, char *err, size_t errlen)
{
	char *png, *tmp;
	size_t len;
	FILE *out;
	int rc;

	if (mc_file_read(from, PLOT_MAX, &png, &len, err, errlen))
		return -1;
	out = mc_file_replace_begin(to, &tmp, err, errlen);
	if (!out) {
		free(png);
		return -1;
	}
	rc = fwrite(png, 1, len, out) == len ? 0 : -1;
	free(png);
	if (rc) {
		snprintf(err, errlen, "%s: %s", to, strerror(errno));
		fclose(out);
		unlink(tmp);
		free(tmp);
		return -1;
	}
	return mc_file_replace_commit(out, tmp, to, err, errlen);
}

static int draw_plot(struct run *r, const char *out_png)
{
	char script[128], png[128], err[MC_ERR_LEN];
	int rc;

	close_plot_files(r);
	if (write_plot_script(r, script, sizeof(script))) {
		mc_error("cannot write the plot script");
		return -1;
	}
	rc = run_gnuplot(script);
	if (rc < 0 && errno == ENOENT) {
		mc_error("--plot needs gnuplot (apt-get install "
			 "gnuplot-nox); no plot written");
		return -1;
	}
	if (rc != 0) {
		mc_error("gnuplot failed (%s %d); no plot",
			rc < 0 ? "error" : "status", rc < 0 ? errno : rc);
		return -1;
	}
	snprintf(png, sizeof(png), "%s/plot.png", r->tmpdir);
	errno = 0;
	if (copy_plot(png, out_png, err, sizeof(err))) {
		mc_error("--plot %s", err);
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
	mc_cpu_score_free(r->cpu_score);
	mc_cpu_sim_free(r->cpu);
	close_plot_files(r);
	remove_plot_files(r);
}

/* The model tells of every target the host sets; the scorecard counts. */
static void score_resize(void *score, size_t vm, uint64_t actual, uint64_t kib,
			 double now)
{
	mc_score_resize(score, vm, actual, kib, now);
}

/* The event log's clock: the model's, as the trace's unix_time is. */
static double sim_wall(void *model)
{
	return mc_sim_model_wall(model);
}

static void score_pin(void *score, size_t vcpu, const struct mc_cpuset *from,
		      const struct mc_cpuset *to)
{
	mc_cpu_score_pin(score, vcpu, from, to);
}

/* The scenario's [cpu] model, its score, and the CPU policy on it. */
static int open_cpu(struct run *r, char *err, size_t errlen)
{
	const struct mc_config *cfg = r->cfg;
	struct mc_cpu_coord *cc;

	r->cpu = mc_cpu_sim_load(cfg->simulate, err, errlen);
	if (!r->cpu && err[0])
		return 2;
	if (!r->cpu && cfg->cpu_policy) {
		snprintf(err, errlen, "%s: a CPU policy needs a [cpu] section", cfg->simulate);
		return 2;
	}
	if (!r->cpu)
		return 0;
	r->cpu_score = mc_cpu_score_new(r->cpu);
	if (!r->cpu_score)
		return snprintf(err, errlen, "out of memory"), 1;
	mc_cpu_sim_on_pin(r->cpu, score_pin, r->cpu_score);
	mc_hv_sim_set_cpu(r->backend, r->cpu);
	if (!cfg->cpu_policy)
		return 0;
	cc = mc_cpu_coord_open(cfg, r->backend, cfg->verbosity < 0 ? NULL : stdout,
			       false, err, errlen);
	if (!cc)
		return 2;
	mc_coord_set_cpu(r->coord, cc);
	return 0;
}

static int run_open(struct run *r, char *err, size_t errlen)
{
	const struct mc_config *cfg = r->cfg;
	struct mc_policy *policy = NULL;
	int rc;

	r->model = mc_sim_scenario_load(cfg->simulate, err, errlen);
	if (!r->model)
		return 2;
	if (cfg->plot && open_plot_files(r, err, errlen))
		return 1;
	r->backend = mc_hv_sim_open(r->model, err, errlen);
	if (!r->backend)
		return 1;
	if (cfg->policy && !(policy = mc_policy_load_timed(cfg->policy, cfg->policy_params,
							    cfg->npolicy_params,
							    mc_config_policy_timeout(cfg),
							    err, errlen)))
		return 2;
	r->report = mc_report_open(cfg->verbosity < 0 ? NULL : stdout, cfg->trace,
				   false, err, errlen);
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
	mc_events_set_clock(r->events, sim_wall, r->model);
	mc_coord_set_outputs(r->coord, r->metrics, r->events);
	r->score = mc_score_new(r->model,
				(uint64_t)cfg->pressure_unused_mib * MC_KIB_PER_MIB,
				cfg->limits.host_reserve);
	if (!r->score) {
		snprintf(err, errlen, "out of memory");
		return 1;
	}
	mc_sim_model_on_target(r->model, score_resize, r->score);
	rc = open_cpu(r, err, errlen);
	if (rc == 0)
		mc_coord_set_outputs(r->coord, r->metrics, r->events);
	return rc;
}

/* ---- the loop ---- */

static void sample(struct run *r)
{
	double t0 = mc_thread_cpu_seconds();

	if (mc_coord_sample(r->coord))
		mc_warn("sim: sample at %.1fs failed", mc_sim_model_now(r->model));
	r->coord_cpu += mc_thread_cpu_seconds() - t0;
	if (mc_score_sampled(r->score, r->model))
		mc_warn("sim: scorecard out of memory");
	r->ticks++;
}

/* One sample interval of the model, in steps the scorecard watches. */
static void advance(struct run *r, double secs)
{
	long left = (long)(secs * 1000 + 0.5);
	double t0 = mc_thread_cpu_seconds();

	while (left > 0) {
		long dt = left < MC_SIM_STEP_MS ? left : MC_SIM_STEP_MS;

		mc_sim_model_step(r->model, (double)dt / 1000.0);
		mc_score_observe(r->score, r->model, (double)dt / 1000.0);
		if (r->cpu) {
			mc_cpu_sim_step(r->cpu, (double)dt / 1000.0);
			mc_cpu_score_observe(r->cpu_score, r->cpu, (double)dt / 1000.0);
		}
		left -= dt;
	}
	r->model_cpu += mc_thread_cpu_seconds() - t0;
}

/* Waits up to *wait for a stop signal (blocked since mc_sim_main began, so
 * it waits here); one seen ends the run after the current sample. */
static void poll_stop(struct run *r, const struct timespec *wait)
{
	sigset_t set;
	int sig;

	mc_signals_set(&set);
	do
		sig = sigtimedwait(&set, NULL, wait);
	while (sig < 0 && errno == EINTR);
	if (sig > 0)
		r->stop_signal = sig;
}

/* --realtime: wait until the wall clock catches up with the model (or a
 * stop signal comes); otherwise only look for a stop signal. */
static void pace(struct run *r, double start_wall)
{
	double ahead = r->cfg->realtime ?
		mc_sim_model_now(r->model) - (mc_monotonic_seconds() - start_wall) : 0;
	struct timespec ts = { 0, 0 };

	if (ahead > 0) {
		ts.tv_sec = (time_t)ahead;
		ts.tv_nsec = (long)((ahead - (double)ts.tv_sec) * 1e9);
	}
	poll_stop(r, &ts);
}

static int loop(struct run *r, double duration)
{
	size_t n = mc_sim_model_nvms(r->model);
	unsigned *prev_oom = calloc(n ? n : 1, sizeof(*prev_oom));
	uint64_t *prev_swap = calloc(n ? n : 1, sizeof(*prev_swap));
	double start = mc_monotonic_seconds();

	if (!prev_oom || !prev_swap) {
		free(prev_oom);
		free(prev_swap);
		return -1;
	}
	sample(r);
	if (r->host_dat)
		record_plot(r, prev_oom, prev_swap);
	while (!r->stop_signal && mc_sim_model_now(r->model) < duration - 1e-9) {
		advance(r, r->cfg->sample);
		pace(r, start);
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
		.scenario = cfg->simulate, .policy = cfg->policy ? cfg->policy : "(none)",
		.cpu = r->cpu_score,
		.duration = duration, .coord = mc_coord_stats(r->coord),
		.ticks = r->ticks, .coord_cpu = r->coord_cpu,
		.model_cpu = r->model_cpu, .peak_rss_kib = peak_rss_kib(),
	};
	char err[MC_ERR_LEN];
	int rc = 0;

	if (cfg->verbosity >= 0)
		mc_score_print(r->score, r->model, &info, stdout);
	if (cfg->report &&
	    mc_score_write_json(r->score, r->model, &info, cfg->report, err,
				sizeof(err))) {
		mc_error("--report %s", err);
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

/* Stopped by a signal: everything covers the time simulated so far, and
 * the run still counts as done (status 0), as the daemon's SIGTERM does. */
static double stopped_at(const struct run *r, double duration)
{
	if (!r->stop_signal)
		return duration;
	mc_warn("sim: signal %d: stopped at %.1f s of %.0f; the results cover "
		"that much", r->stop_signal, mc_sim_model_now(r->model), duration);
	return mc_sim_model_now(r->model);
}

static int sim_run(const struct mc_config *cfg)
{
	struct run r = { .cfg = cfg };
	char err[MC_ERR_LEN] = "";
	double duration;
	int rc;

	rc = run_open(&r, err, sizeof(err));
	if (rc) {
		mc_error("%s", err);
		run_free(&r);
		return rc;
	}
	duration = cfg->duration > 0 ? cfg->duration :
		   mc_sim_model_host(r.model)->duration;
	if (duration / cfg->sample > MC_SIM_SAMPLES_MAX) {
		mc_error("%.0f s at a sample every %g s is more than %.0f samples",
			duration, cfg->sample, MC_SIM_SAMPLES_MAX);
		run_free(&r);
		return MC_EXIT_USAGE;
	}
	mc_info("simulating %s for %.0f s: %zu domains, policy %s%s", cfg->simulate,
		duration, mc_sim_model_nvms(r.model), cfg->policy ? cfg->policy : "(none)",
		cfg->realtime ? ", real time" : "");
	if (loop(&r, duration)) {
		mc_error("out of memory");
		run_free(&r);
		return 1;
	}
	rc = finish(&r, stopped_at(&r, duration));
	run_free(&r);
	return rc;
}

int mc_sim_main(const struct mc_config *cfg)
{
	sigset_t set, before;
	int rc;

	mc_signals_set(&set);
	if (sigprocmask(SIG_BLOCK, &set, &before) < 0) {
		mc_error("cannot block signals: %s", strerror(errno));
		return 1;
	}
	rc = sim_run(cfg);
	sigprocmask(SIG_SETMASK, &before, NULL);	/* cannot fail: valid mask */
	return rc;
}
