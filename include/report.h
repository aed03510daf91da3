/*
 * report.h - what the operator sees: the console table and the CSV trace.
 */
#ifndef MC_REPORT_H
#define MC_REPORT_H

#include <stdbool.h>
#include <stdio.h>

struct mc_clamp_result;
struct mc_report;
struct mc_snapshot;

/* table: stream for the per-period table (NULL = none).  trace: CSV path
 * (NULL = none); append: keep what is there (the daemon: a restart must
 * not lose the trace so far) rather than start empty (a simulation: a new
 * run, a new file).  The header is written whenever the file is empty.
 * NULL on failure with err set. */
struct mc_report *mc_report_open(FILE *table, const char *trace, bool append,
				 char *err, size_t errlen);
/* Re-opens the trace at its path (SIGHUP, after logrotate moved it).  0,
 * or -1 (logged; the old file stays in use). */
int mc_report_reopen(struct mc_report *r);
void mc_report_close(struct mc_report *r);

/* on: print the table for the first decision and then only for decisions
 * that change (or, in a dry run, would change) a guest's size; for a
 * daemon nobody watches.  Off (the default): every decision. */
void mc_report_table_changes_only(struct mc_report *r, bool on);

/* One sample.  res is NULL when nothing was decided this sample; reason is
 * "period", "pressure", "release", or the reason decide() failed. */
void mc_report_sample(struct mc_report *r, const struct mc_snapshot *s,
		      const struct mc_clamp_result *res, const char *reason,
		      bool dry_run);

#endif
