/*
 * cpu_report.c - the CPU table, the CPU trace and the CPU metrics lines.
 *
 * The table follows the course's monitor: one line per pCPU with its
 * utilization and the vCPUs that last ran there, then one line per vCPU.
 * Names are escaped for the terminal (mc_utf8_escape) and, in the trace,
 * escaped and quoted by csv.c, so a domain name cannot forge a row or a
 * line.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpu_report.h"
#include "cpu_snapshot.h"
#include "csv.h"
#include "fileio.h"
#include "log.h"
#include "utf8.h"
#include "util.h"

struct mc_cpu_report {
	FILE *table;
	struct mc_file_trace trace;
	bool have_t0;
	double t0;
};

/* time and unix_time as in the memory trace (report.c), so the two line
 * up; readers go by the header's names. */
static const char trace_header[] =
	"time,unix_time,domain,vcpu,util,delay,pcpu,affinity,proposed,target,clamp\n";

struct mc_cpu_report *mc_cpu_report_open(FILE *table, const char *trace,
					 bool append, char *err, size_t errlen)
{
	struct mc_cpu_report *r = calloc(1, sizeof(*r));

	if (!r) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r->table = table;
	if (mc_file_trace_open(&r->trace, trace, append, trace_header, "cpu trace", err,
			       errlen)) {
		free(r);
		return NULL;
	}
	return r;
}

int mc_cpu_report_reopen(struct mc_cpu_report *r)
{
	return r ? mc_file_trace_reopen(&r->trace) : 0;
}

void mc_cpu_report_close(struct mc_cpu_report *r)
{
	if (!r)
		return;
	mc_file_trace_close(&r->trace);
	free(r);
}

/* ---- the table ---- */

static const struct mc_cpu_decision *decision_of(const struct mc_cpu_clamp_result *res,
						 size_t vcpu)
{
	size_t k;

	for (k = 0; res && k < res->ndec; k++)
		if (res->dec[k].vcpu == vcpu)
			return &res->dec[k];
	return NULL;
}

static void print_pcpus(FILE *out, const struct mc_cpu_snap *s)
{
	const char *sep;
	char name[41];
	unsigned i;
	size_t k;

	fprintf(out, "%5s %6s %6s %6s  %s\n", "pcpu", "util", "vcpus", "other", "mapping");
	for (i = 0; i < s->npcpus; i++) {
		const struct mc_pcpu *p = &s->pcpus[i];

		if (!p->online) {
			fprintf(out, "%5u offline\n", i);
			continue;
		}
		fprintf(out, "%5u %6.1f %6.1f %6.1f", i, p->util, p->vcpu_util, p->other);
		sep = "  ";
		for (k = 0; k < s->nvcpus; k++) {
			if (s->vcpus[k].pcpu != (int)i)
				continue;
			mc_utf8_escape(s->vcpus[k].domain, name, sizeof(name));
			fprintf(out, "%s%s/%u", sep, name, s->vcpus[k].vcpu);
			sep = " ";
		}
		fputc('\n', out);
	}
}

static void print_vcpus(FILE *out, const struct mc_cpu_snap *s,
			const struct mc_cpu_clamp_result *res)
{
	char name[21], aff[64], to[64], rules[96], line[512];
	size_t k, len;

	fprintf(out, "%-20s %4s %6s %6s %5s %-10s %-10s %s\n", "domain", "vcpu",
		"util", "demand", "pcpu", "pins", "-> pins", "clamp");
	for (k = 0; k < s->nvcpus; k++) {
		const struct mc_vcpu *v = &s->vcpus[k];
		const struct mc_cpu_decision *d = decision_of(res, k);

		mc_utf8_escape(v->domain, name, sizeof(name));
		mc_cpuset_str(&v->affinity, aff, sizeof(aff));
		to[0] = rules[0] = '\0';
		if (d && d->act)
			mc_cpuset_str(&d->target, to, sizeof(to));
		if (d)
			mc_cpu_clamp_rules_str(d->rules, rules, sizeof(rules));
		snprintf(line, sizeof(line), "%-20s %4u %6.1f %6.1f %5d %-10s %-10s %s", name,
			 v->vcpu, v->track.util, v->track.demand, v->pcpu, aff, to, rules);
		len = strlen(line);
		while (len && line[len - 1] == ' ')
			line[--len] = '\0';	/* no trailing blanks of empty columns */
		fprintf(out, "%s\n", line);
	}
}

static void print_table(FILE *out, const struct mc_cpu_snap *s, double t,
			const struct mc_cpu_clamp_result *res)
{
	fprintf(out, "--- cpu t=%.1fs  stddev %s%.1f  re-pins %zu\n", t,
		res->have_stddev ? "" : "(none) ", res->have_stddev ? res->stddev : 0,
		res->nact);
	print_pcpus(out, s);
	print_vcpus(out, s, res);
	fflush(out);
}

/* ---- the trace ---- */

/* The text fields (the domain name, the CPU lists, the clamp names)
 * through csv.c, as the memory trace's.  -1 when out of memory. */
static int trace_text(FILE *f, const char *const *fields, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (i)
			fputc(',', f);
		if (mc_csv_put_text(f, fields[i]))
			return -1;
	}
	return 0;
}

static int trace_rows(FILE *f, const struct mc_cpu_snap *s, double t, double wall,
		      const struct mc_cpu_clamp_result *res)
{
	char aff[MC_CPUSET_STR_LEN], prop[MC_CPUSET_STR_LEN], to[MC_CPUSET_STR_LEN];
	char rules[96];
	size_t k;

	for (k = 0; k < s->nvcpus; k++) {
		const struct mc_vcpu *v = &s->vcpus[k];
		const struct mc_cpu_decision *d = decision_of(res, k);
		const char *rest[] = { aff, prop, to, rules };

		prop[0] = to[0] = rules[0] = '\0';
		if (d) {
			mc_cpuset_str(&d->proposed, prop, sizeof(prop));
			mc_cpuset_str(&d->target, to, sizeof(to));
			mc_cpu_clamp_rules_str(d->rules, rules, sizeof(rules));
		}
		mc_cpuset_str(&v->affinity, aff, sizeof(aff));
		fprintf(f, "%.3f,%.3f,", t, wall);
		if (mc_csv_put_text(f, v->domain))
			return -1;
		fprintf(f, ",%u,", v->vcpu);
		if (v->track.have_util)
			fprintf(f, "%.2f,%.2f", v->track.util, v->track.delay);
		else
			fputc(',', f);
		fprintf(f, ",%d,", v->pcpu);
		if (trace_text(f, rest, sizeof(rest) / sizeof(rest[0])))
			return -1;
		fputc('\n', f);
	}
	return 0;
}

static void write_trace(struct mc_cpu_report *r, const struct mc_cpu_snap *s,
			double t, double wall, const struct mc_cpu_clamp_result *res)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	int bad;

	if (!mem) {
		mc_warn("cpu trace: out of memory; a sample was not written");
		return;
	}
	bad = trace_rows(mem, s, t, wall, res) || ferror(mem);
	if (fclose(mem) || bad)
		mc_warn("cpu trace: out of memory; a sample was not written");
	else
		mc_file_trace_append(&r->trace, buf, len);
	free(buf);
}

void mc_cpu_report_sample(struct mc_cpu_report *r, const struct mc_cpu_snap *s,
			  double now, double wall, const struct mc_cpu_clamp_result *res)
{
	double t;

	if (!r)
		return;
	if (!r->have_t0) {
		r->t0 = now;
		r->have_t0 = true;
	}
	t = now - r->t0;
	if (r->trace.fd >= 0)
		write_trace(r, s, t, wall, res);
	if (r->table && res)
		print_table(r->table, s, t, res);
}

/* ---- metrics ---- */

static void counter(FILE *f, const char *name, const char *help, double v)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s counter\n%s %.6g\n", name, help, name, name, v);
}

void mc_cpu_report_metrics(FILE *f, const struct mc_cpu_stats *st,
			   const struct mc_cpu_snap *s)
{
	char name[32];
	unsigned i;

	counter(f, "memcoord_cpu_places_total", "place() calls.", (double)st->places);
	counter(f, "memcoord_cpu_place_errors_total", "place() calls that failed (pins kept).", (double)st->place_errors);
	counter(f, "memcoord_cpu_pins_total", "vCPU re-pins the hypervisor took.", (double)st->pins);
	counter(f, "memcoord_cpu_pin_failures_total", "vCPU re-pins the hypervisor refused.", (double)st->pin_failures);
	counter(f, "memcoord_cpu_place_cpu_seconds_total", "CPU time spent in place().", st->place_cpu);
	fputs("# HELP memcoord_cpu_clamps_total Pinnings changed by each CPU rule.\n"
	      "# TYPE memcoord_cpu_clamps_total counter\n", f);
	for (i = 0; i < MC_CPU_CLAMP_NRULES; i++)
		fprintf(f, "memcoord_cpu_clamps_total{rule=\"%s\"} %lu\n",
			mc_cpu_clamp_rules_str(1u << i, name, sizeof(name)), st->clamps[i]);
	fputs("# HELP memcoord_cpu_pcpu_util_percent pCPU utilization in the last sample.\n"
	      "# TYPE memcoord_cpu_pcpu_util_percent gauge\n", f);
	for (i = 0; s && i < s->npcpus; i++)
		if (s->pcpus[i].have_util)
			fprintf(f, "memcoord_cpu_pcpu_util_percent{pcpu=\"%u\"} %.2f\n", i,
				s->pcpus[i].util);
	if (st->have_stddev)
		fprintf(f, "# HELP memcoord_cpu_stddev_percent Stddev of the allowed pCPUs' utilization.\n"
			"# TYPE memcoord_cpu_stddev_percent gauge\n"
			"memcoord_cpu_stddev_percent %.2f\n", st->stddev);
}
