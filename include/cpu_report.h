/*
 * cpu_report.h - what the operator sees of the CPU side: the console table
 * in the course monitor's spirit (each pCPU's utilization and the vCPUs
 * on it, then each vCPU's utilization, demand and pins), the CSV trace
 * ([cpu] trace), the metrics lines and the counters behind them.
 */
#ifndef MC_CPU_REPORT_H
#define MC_CPU_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "cpu_clamp.h"

struct mc_cpu_snap;

/* The CPU side's running counters (cpu_coord.c keeps them). */
struct mc_cpu_stats {
	unsigned long places;		/* place() calls */
	unsigned long place_errors;	/* ... that failed: pins kept */
	unsigned long pins;		/* re-pins the hypervisor took */
	unsigned long pin_failures;	/* ... it refused */
	unsigned long clamps[MC_CPU_CLAMP_NRULES];	/* pinnings each rule changed */
	double place_cpu;		/* s, daemon + worker */
	double place_worker_cpu;	/* s, the worker's part */
	bool have_stddev;
	double stddev;			/* the last sample's, allowed pCPUs */
	const char *policy_path;	/* borrowed; NULL: no CPU policy */
};

struct mc_cpu_report;

/* table: stream (NULL = none); trace: CSV path (NULL = none), appended
 * (append) or started afresh.  NULL with err. */
struct mc_cpu_report *mc_cpu_report_open(FILE *table, const char *trace,
					 bool append, char *err, size_t errlen);
void mc_cpu_report_close(struct mc_cpu_report *r);
/* SIGHUP: the trace re-opened at its path (log rotation).  0 or -1. */
int mc_cpu_report_reopen(struct mc_cpu_report *r);
/* One sample at now (monotonic s) and wall (s since the Unix epoch, the
 * trace's unix_time); res NULL when place() did not run. */
void mc_cpu_report_sample(struct mc_cpu_report *r, const struct mc_cpu_snap *s,
			  double now, double wall, const struct mc_cpu_clamp_result *res);
/* The Prometheus lines for st and the pCPUs of s (s may be NULL). */
void mc_cpu_report_metrics(FILE *f, const struct mc_cpu_stats *st,
			   const struct mc_cpu_snap *s);

#endif
