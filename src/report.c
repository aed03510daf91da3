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
#include "csv.h"
#include "fileio.h"
#include "ksm.h"
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

/* time: seconds since the first sample (monotonic); unix_time: the wall
 * clock at the sample, seconds since the Unix epoch (UTC), what awk,
 * gnuplot ("%s"), pandas (unit="s") and Prometheus take as they are. */
static const char trace_header[] =
	"time,unix_time,domain,actual_kib,unused_kib,target_kib,clamp,reason,"
	"host_available_kib,psi_some_avg10,psi_full_avg10,"
	"machine_psi_some_avg10,machine_psi_full_avg10"
#define KSM_COLUMN(id, file, settable) ",ksm_" file
	MC_KSM_FILES(KSM_COLUMN) "\n";
#undef KSM_COLUMN

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

/* "some 0.12/0.05 full 0.00/0.00" (avg10/avg60, %), or "-". */
static const char *psi_str(const struct mc_psi *p, char *buf, size_t len)
{
	if (!p->have)
		return "-";
	snprintf(buf, len, "some %.2f/%.2f full %.2f/%.2f", p->some.avg10,
		 p->some.avg60, p->full.avg10, p->full.avg60);
	return buf;
}

/* A second host line, only where the backend reads pressure at all. */
static void print_host_pressure(FILE *out, const struct mc_host_pressure *p)
{
	char psi[96], machine[96];

	if (!p->have_available && !p->psi.have && !p->machine_psi.have)
		return;
	fprintf(out, "host pressure: available ");
	if (p->have_available)
		fprintf(out, "%.1f MiB", mc_mib_of_kib(p->available));
	else
		fputc('-', out);
	fprintf(out, "  psi %s  machine psi %s  (%% avg10/avg60)\n",
		psi_str(&p->psi, psi, sizeof(psi)),
		psi_str(&p->machine_psi, machine, sizeof(machine)));
}

/* "host ksm: run 1  pages_shared 10 ..." where the host has KSM. */
static void print_host_ksm(FILE *out, const struct mc_ksm *k)
{
	int i;

	if (!k->have)
		return;
	fputs("host ksm:", out);
	for (i = 0; i < MC_KSM_NFIELDS; i++)
		fprintf(out, "%s%s %llu", i ? "  " : " ", mc_ksm_name((enum mc_ksm_field)i),
			(unsigned long long)k->v[i]);
	fputc('\n', out);
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
	print_host_pressure(out, &s->host.pressure);
	print_host_ksm(out, &s->host.ksm);
	fflush(out);
}

/* The text fields (a domain name, a failed decide()'s message) are
 * hostile: csv.c escapes and quotes them.  -1 when out of memory. */
static int trace_row(FILE *f, const struct mc_domain *d,
		     const struct mc_decision *dec, const char *reason)
{
	char rules[96] = "";
	int rc;

	if (mc_csv_put_text(f, d->name))
		return -1;
	fprintf(f, ",%llu,", (unsigned long long)d->cur.actual);
	if (d->cur.have_stats)
		fprintf(f, "%llu", (unsigned long long)d->cur.unused);
	fputc(',', f);
	if (dec) {
		fprintf(f, "%llu", (unsigned long long)dec->target);
		mc_clamp_rules_str(dec->rules, rules, sizeof(rules));
	}
	fputc(',', f);
	rc = mc_csv_put_text(f, rules);
	fputc(',', f);
	rc |= mc_csv_put_text(f, reason);
	return rc;
}

/* ",some,full" avg10 of one PSI file; empty fields when it is absent. */
static void trace_psi(FILE *f, const struct mc_psi *p)
{
	if (p->have)
		fprintf(f, ",%.2f,%.2f", p->some.avg10, p->full.avg10);
	else
		fputs(",,", f);
}

/* The host's pressure, the same on each row of a sample: a row stays
 * self-contained for grep and for replay. */
static void trace_host_columns(FILE *f, const struct mc_host_pressure *p)
{
	fputc(',', f);
	if (p->have_available)
		fprintf(f, "%llu", (unsigned long long)p->available);
	trace_psi(f, &p->psi);
	trace_psi(f, &p->machine_psi);
}

/* The KSM files in ksm.h's order (the header's order); empty without KSM. */
static void trace_ksm_columns(FILE *f, const struct mc_ksm *k)
{
	int i;

	for (i = 0; i < MC_KSM_NFIELDS; i++) {
		fputc(',', f);
		if (k->have)
			fprintf(f, "%llu", (unsigned long long)k->v[i]);
	}
}

/* main's columns first, then the host's (issue 14): readers go by name. */
static int trace_rows(FILE *f, const struct mc_snapshot *s, double t,
		      const struct mc_decision **by_dom, const char *reason)
{
	size_t i;

	for (i = 0; i < s->ndoms; i++) {
		fprintf(f, "%.3f,%.3f,", t, s->wall);
		if (trace_row(f, &s->doms[i], by_dom ? by_dom[i] : NULL, reason))
			return -1;
		trace_host_columns(f, &s->host.pressure);
		trace_ksm_columns(f, &s->host.ksm);
		fputc('\n', f);
	}
	return 0;
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
	bad = trace_rows(mem, s, t, by_dom, reason) || ferror(mem);
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
