/*
 * report.c - the console table (each decision) and the CSV trace (each
 * sample, each domain).  The trace is opened by fileio.c (never through a
 * link, never a FIFO or a device) and written with write(2), so every
 * failure is seen: logged once, and its end once.  The daemon's trace is
 * opened O_APPEND and kept across restarts; SIGHUP re-opens it for
 * logrotate's create mode, and after copytruncate each append lands at the
 * new end (no hole of NULs), with the header again since the file is empty.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clamp.h"
#include "fileio.h"
#include "log.h"
#include "report.h"
#include "snapshot.h"
#include "utf8.h"
#include "util.h"

struct mc_report {
	FILE *table;
	struct mc_file_trace trace;
	bool changes_only;	/* table only for decisions that change a size */
	bool table_shown;	/* a table has been printed */
	double t0;
	int have_t0;
};

static const char trace_header[] =
	"time,domain,actual_kib,unused_kib,target_kib,clamp,reason\n";

struct mc_report *mc_report_open(FILE *table, const char *trace, bool append,
				 char *err, size_t errlen)
{
	struct mc_report *r = calloc(1, sizeof(*r));

	if (!r) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r->table = table;
	if (mc_file_trace_open(&r->trace, trace, append, trace_header, "trace", err,
			       errlen)) {
		free(r);
		return NULL;
	}
	return r;
}

int mc_report_reopen(struct mc_report *r)
{
	return r ? mc_file_trace_reopen(&r->trace) : 0;
}

void mc_report_table_changes_only(struct mc_report *r, bool on)
{
	r->changes_only = on;
}

/* The first decision shows where things start; after it, under
 * changes_only, a table only when a size moves (nact: resized, or in a
 * dry run would have been): an unattended daemon's
 * stdout is the journal, and a table each period is ~300k lines a day. */
static bool table_wanted(const struct mc_report *r,
			 const struct mc_clamp_result *res)
{
	if (!r->table || !res)
		return false;
	return !r->changes_only || !r->table_shown || res->nact > 0;
}

void mc_report_close(struct mc_report *r)
{
	if (!r)
		return;
	mc_file_trace_close(&r->trace);
	free(r);
}

/* Decisions by domain index, so a sample costs O(domains), not O(n^2).
 * NULL when there are no decisions (or no memory: rows then show none). */
static const struct mc_decision **index_decisions(const struct mc_snapshot *s,
						  const struct mc_clamp_result *res)
{
	const struct mc_decision **by_dom;
	size_t i;

	if (!res || !res->ndec || !s->ndoms)
		return NULL;
	by_dom = calloc(s->ndoms, sizeof(*by_dom));
	for (i = 0; by_dom && i < res->ndec; i++)
		by_dom[res->dec[i].dom] = &res->dec[i];
	return by_dom;
}

/* One aligned row, without the trailing blanks of empty columns. */
static void print_row(FILE *out, const char *name, double actual,
		      const char *unused, const char *target, const char *change,
		      const char *rules)
{
	char line[256], shown[21];	/* the name column is 20 bytes wide */
	size_t len;

	/* Names come from libvirt or a scenario: no raw controls to the
	 * terminal, and the cut to the column never splits an escape. */
	mc_utf8_escape(name, shown, sizeof(shown));
	snprintf(line, sizeof(line), "%-20s %10.1f %10s %10s %9s  %s", shown,
		 actual, unused, target, change, rules);
	len = strlen(line);
	while (len && line[len - 1] == ' ')
		line[--len] = '\0';
	fprintf(out, "%s\n", line);
}

static void print_table(FILE *out, const struct mc_snapshot *s, double t,
			const struct mc_decision **by_dom, const char *reason,
			bool dry_run)
{
	size_t i;

	fprintf(out, "--- t=%.1fs  %s%s\n", t, reason, dry_run ? "  (dry run)" : "");
	fprintf(out, "%-20s %10s %10s %10s %9s  %s\n", "domain", "actual",
		"unused", "target", "change", "clamp");
	for (i = 0; i < s->ndoms; i++) {
		const struct mc_domain *d = &s->doms[i];
		const struct mc_decision *dec = by_dom ? by_dom[i] : NULL;
		char unused[16] = "-", target[16] = "-", change[16] = "", rules[96] = "";

		if (d->cur.have_stats)
			snprintf(unused, sizeof(unused), "%.1f", mc_mib_of_kib(d->cur.unused));
		if (dec) {
			snprintf(target, sizeof(target), "%.1f", mc_mib_of_kib(dec->target));
			if (dec->act)
				snprintf(change, sizeof(change), "%+.1f",
					 mc_mib_of_kib(dec->target) - mc_mib_of_kib(dec->from));
			mc_clamp_rules_str(dec->rules, rules, sizeof(rules));
		}
		print_row(out, d->name, mc_mib_of_kib(d->cur.actual), unused, target,
			  change, rules);
	}
	fprintf(out, "host: total %.1f  free %.1f  reserve %.1f  growable %.1f  (MiB)\n",
		mc_mib_of_kib(s->host.total), mc_mib_of_kib(s->host.free),
		mc_mib_of_kib(s->host.reserve), mc_mib_of_kib(s->host.growable));
	fflush(out);
}

static void trace_rows(FILE *f, const struct mc_snapshot *s, double t,
		       const struct mc_decision **by_dom, const char *reason)
{
	size_t i;

	for (i = 0; i < s->ndoms; i++) {
		const struct mc_domain *d = &s->doms[i];
		const struct mc_decision *dec = by_dom ? by_dom[i] : NULL;
		char rules[96] = "";

		fprintf(f, "%.3f,%s,%llu,", t, d->name,
			(unsigned long long)d->cur.actual);
		if (d->cur.have_stats)
			fprintf(f, "%llu", (unsigned long long)d->cur.unused);
		fputc(',', f);
		if (dec) {
			fprintf(f, "%llu", (unsigned long long)dec->target);
			mc_clamp_rules_str(dec->rules, rules, sizeof(rules));
		}
		fprintf(f, ",%s,%s\n", rules, reason);
	}
}

/* A sample's rows are built in memory and appended as one record: a full
 * disk then loses whole samples, never leaves half a row. */
static void write_trace(struct mc_report *r, const struct mc_snapshot *s,
			double t, const struct mc_decision **by_dom,
			const char *reason)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	int bad;

	if (!mem) {
		mc_warn("trace: out of memory; a sample was not written");
		return;
	}
	trace_rows(mem, s, t, by_dom, reason);
	bad = ferror(mem);
	if (fclose(mem) || bad)
		mc_warn("trace: out of memory; a sample was not written");
	else
		mc_file_trace_append(&r->trace, buf, len);
	free(buf);
}

void mc_report_sample(struct mc_report *r, const struct mc_snapshot *s,
		      const struct mc_clamp_result *res, const char *reason,
		      bool dry_run)
{
	const struct mc_decision **by_dom;
	double t;

	if (!r)
		return;
	if (!r->have_t0) {
		r->t0 = s->time;
		r->have_t0 = 1;
	}
	t = s->time - r->t0;
	by_dom = index_decisions(s, res);
	if (r->trace.fd >= 0)
		write_trace(r, s, t, by_dom, res ? reason : "sample");
	if (table_wanted(r, res)) {
		print_table(r->table, s, t, by_dom, reason, dry_run);
		r->table_shown = true;
	}
	free(by_dom);
}
