/*
 * metrics.c - the Prometheus text-format metrics file.
 *
 * Memory is exported in bytes (Prometheus' base unit), not KiB.  Per-domain
 * counters are kept in an open-addressing hash table keyed by uuid and
 * name (a reused name is another domain, another series), so a
 * sample costs O(domains) at any scale; a domain not seen for
 * FORGET_SAMPLES samples is dropped when the table next grows, so domain
 * churn cannot grow it without bound.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clamp.h"
#include "cpu_report.h"
#include "coord_stats.h"
#include "fileio.h"
#include "log.h"
#include "metrics.h"
#include "snapshot.h"
#include "utf8.h"
#include "util.h"

#define FORGET_SAMPLES 86400UL	/* a day at the default 1 s sample */
#define MIN_CAP 64
#define NRULES MC_CLAMP_NRULES

struct dom_entry {
	char *name;		/* NULL: empty slot */
	unsigned long resizes;	/* resize calls made */
	unsigned long clamps;	/* decisions a clamp changed */
	uint64_t target;	/* KiB, the last decided target */
	bool have_target;
	unsigned long seen;	/* sample count when last in a snapshot */
};

struct mc_metrics {
	char *path;
	struct dom_entry *tab;
	size_t cap, n;		/* cap is a power of two, n <= cap / 2 */
	struct dom_entry **row;	/* per snapshot domain, for one sample */
	size_t rowcap;
	unsigned long tick;
	unsigned long rules[NRULES];	/* decisions changed, by rule */
	bool failing;
	double last_sample;	/* unix s of the last sample read; 0: none yet */
};

/* ---- the table ---- */

static struct dom_entry *slot(struct dom_entry *tab, size_t cap,
			      const char *name)
{
	size_t i = (size_t)mc_fnv1a64(name, strlen(name)) & (cap - 1);

	while (tab[i].name && strcmp(tab[i].name, name))
		i = (i + 1) & (cap - 1);
	return &tab[i];
}

static bool stale(const struct mc_metrics *m, const struct dom_entry *e)
{
	return m->tick - e->seen > FORGET_SAMPLES;
}

/* Rebuilds the table with room for extra more entries at half load,
 * dropping the stale ones.  -1 when out of memory (the old table stays). */
static int rehash(struct mc_metrics *m, size_t extra)
{
	size_t live = 0, cap = MIN_CAP, i;
	struct dom_entry *tab;

	for (i = 0; i < m->cap; i++)
		live += m->tab[i].name && !stale(m, &m->tab[i]);
	while (cap < 4 * (live + extra))
		cap *= 2;
	tab = calloc(cap, sizeof(*tab));
	if (!tab)
		return -1;
	for (i = 0; i < m->cap; i++) {
		if (!m->tab[i].name)
			continue;
		if (stale(m, &m->tab[i]))
			free(m->tab[i].name);
		else
			*slot(tab, cap, m->tab[i].name) = m->tab[i];
	}
	free(m->tab);
	m->tab = tab;
	m->cap = cap;
	m->n = live;
	return 0;
}

/* Room for extra new entries without a rehash.  0 or -1. */
static int reserve(struct mc_metrics *m, size_t extra)
{
	if ((m->n + extra) * 2 <= m->cap)
		return 0;
	return rehash(m, extra);
}

/* The entry for name, created if new; NULL when out of memory.  Entries
 * move only when reserve() rehashes. */
static struct dom_entry *entry(struct mc_metrics *m, const char *name)
{
	struct dom_entry *e;

	if (reserve(m, 1))
		return NULL;
	e = slot(m->tab, m->cap, name);
	if (e->name)
		return e;
	e->name = strdup(name);
	if (!e->name)
		return NULL;
	m->n++;
	return e;
}

/* ---- counting ---- */

static void count_rules(struct mc_metrics *m, unsigned rules)
{
	size_t i;

	for (i = 0; i < NRULES; i++)
		if (rules & (1u << i))
			m->rules[i]++;
}

/* The table's key: the uuid first (fixed-length, no blank, or empty), so
 * a name reused by another domain gets its own counters and series. */
static char *domain_key(const struct mc_domain *d)
{
	size_t len = strlen(d->uuid) + 1 + strlen(d->name) + 1;
	char *key = malloc(len);

	if (key)
		snprintf(key, len, "%s %s", d->uuid, d->name);
	return key;
}

/* Finds (or creates) every snapshot domain's entry, in m->row.  Room for
 * all of them is made first, so no rehash moves an entry m->row already
 * points at.  -1 when out of memory. */
static int touch(struct mc_metrics *m, const struct mc_snapshot *s)
{
	size_t i;

	if (s->ndoms > m->rowcap) {
		struct dom_entry **grown = realloc(m->row, s->ndoms * sizeof(*grown));

		if (!grown)
			return -1;
		m->row = grown;
		m->rowcap = s->ndoms;
	}
	if (reserve(m, s->ndoms))
		return -1;
	for (i = 0; i < s->ndoms; i++) {
		char *key = domain_key(&s->doms[i]);

		m->row[i] = key ? entry(m, key) : NULL;
		free(key);
		if (!m->row[i])
			return -1;
		m->row[i]->seen = m->tick;
	}
	return 0;
}

static void count(struct mc_metrics *m, const struct mc_clamp_result *res,
		  bool dry_run)
{
	size_t i;

	for (i = 0; res && i < res->ndec; i++) {
		const struct mc_decision *dec = &res->dec[i];
		struct dom_entry *e = m->row[dec->dom];

		e->target = dec->target;
		e->have_target = true;
		if (dec->rules)
			e->clamps++;
		if (dec->act && !dry_run)
			e->resizes++;
		count_rules(m, dec->rules);
	}
}

/* ---- writing ---- */

static void family(FILE *f, const char *name, const char *type,
		   const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value: \\, \" and \n escaped, invalid UTF-8 replaced. */
static void label_value(FILE *f, const char *v)
{
	while (*v) {
		size_t n = mc_utf8_len(v);

		if (*v == '\\' || *v == '"')
			fprintf(f, "\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", f);
		else if (!n)
			fputs(MC_UTF8_REPLACEMENT, f);
		else
			fwrite(v, 1, n, f);
		v += n ? n : 1;
	}
}

static void daemon_metrics(FILE *f, const struct mc_metrics *m,
			   const struct mc_coord_stats *st, size_t ndoms,
			   bool dry_run)
{
	const struct {
		const char *name, *type, *help;
		double v;
	} rows[] = {
		{ "memcoord_samples_total", "counter", "Stats samples taken.", (double)st->samples },
		{ "memcoord_decides_total", "counter", "decide() calls (period and pressure).", (double)st->decides },
		{ "memcoord_decide_cpu_seconds_total", "counter", "CPU time spent in decide().", st->decide_cpu },
		{ "memcoord_resizes_total", "counter", "Balloon resize calls that succeeded.", (double)st->resizes },
		{ "memcoord_resize_failures_total", "counter", "Balloon resize calls that failed.", (double)st->resize_failures },
		{ "memcoord_policy_errors_total", "counter", "decide() calls that failed (the fallback served guests under pressure).", (double)st->policy_errors },
		{ "memcoord_policy_fallback_total", "counter", "decide() calls served by the built-in fallback.", (double)st->policy_fallbacks },
		{ "memcoord_policy_worker_restarts_total", "counter", "Policy worker processes restarted after one was late, died or sent garbage.", (double)st->policy_worker_restarts },
		{ "memcoord_policy_reloads_total", "counter", "Policies loaded while running.", (double)st->policy_reloads },
		{ "memcoord_policy_refusals_total", "counter", "New policies refused (the old one kept running).", (double)st->policy_refusals },
		{ "memcoord_config_refusals_total", "counter", "Re-read configs refused (the running one kept).", (double)st->config_refusals },
		{ "memcoord_libvirt_reconnects_total", "counter", "Connections to the hypervisor re-opened.", (double)st->reconnects },
		{ "memcoord_ksm_writes_total", "counter", "KSM settings written to /sys/kernel/mm/ksm.", (double)st->ksm_writes },
		{ "memcoord_ksm_write_failures_total", "counter", "KSM settings the host refused.", (double)st->ksm_write_failures },
		{ "memcoord_domains", "gauge", "Running domains in the last sample.", (double)ndoms },
		{ "memcoord_last_sample_timestamp_seconds", "gauge", "Wall-clock time of the last sample read (0: none yet).", m->last_sample },
		{ "memcoord_libvirt_connected", "gauge", "1 when the last read of the hypervisor worked.", st->connected },
		{ "memcoord_dry_run", "gauge", "1 in a dry run: nothing is resized.", dry_run },
		{ "memcoord_policy_last_reload_timestamp_seconds", "gauge", "Wall-clock time a policy was last loaded while running (0: never).", st->last_reload },
		{ "memcoord_policy_last_refusal_timestamp_seconds", "gauge", "Wall-clock time a new policy was last refused (0: never).", st->last_refusal },
		{ "memcoord_config_last_refusal_timestamp_seconds", "gauge", "Wall-clock time a re-read config was last refused (0: never).", st->last_config_refusal },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		family(f, rows[i].name, rows[i].type, rows[i].help);
		/* Counts as integers; seconds to the microsecond. */
		fprintf(f, rows[i].v == floor(rows[i].v) ? "%s %.0f\n" : "%s %.6f\n",
			rows[i].name, rows[i].v);
	}
	family(f, "memcoord_build_info", "gauge", "The memcoord version.");
	fprintf(f, "memcoord_build_info{version=\"%s\"} 1\n", MC_VERSION);
}

/* Which policy text runs: the hash changes when the file is edited and
 * reloaded, so a dashboard shows which version each host runs. */
static void policy_info(FILE *f, const struct mc_coord_stats *st)
{
	family(f, "memcoord_policy_info", "gauge",
	       "The running policy: its path and the FNV-1a 64 hash of its text.");
	if (!st->policy_path)
		return;
	fputs("memcoord_policy_info{path=\"", f);
	label_value(f, st->policy_path);
	fprintf(f, "\",hash=\"%016llx\"} 1\n",
		(unsigned long long)st->policy_hash);
}

static void rule_metrics(FILE *f, const struct mc_metrics *m)
{
	size_t i;

	family(f, "memcoord_clamps_total", "counter",
	       "Policy targets changed by each safety rule.");
	/* Unknown names and non-numbers are dropped, never decisions. */
	for (i = 0; i < NRULES; i++) {
		unsigned bit = 1u << i;
		char name[32];

		if (bit & (MC_CLAMP_UNKNOWN | MC_CLAMP_NOTNUM))
			continue;
		fprintf(f, "memcoord_clamps_total{rule=\"%s\"} %lu\n",
			mc_clamp_rules_str(bit, name, sizeof(name)), m->rules[i]);
	}
}

static void host_metrics(FILE *f, const struct mc_host *h)
{
	const struct {
		const char *name, *help;
		uint64_t kib;
	} rows[] = {
		{ "memcoord_host_total_bytes", "Host memory.", h->total },
		{ "memcoord_host_free_bytes", "Host memory guests may take (free + buffers + cached).", h->free },
		{ "memcoord_host_reserve_bytes", "Host free memory guests may not take (host_reserve_mib).", h->reserve },
		{ "memcoord_host_growable_bytes", "What guests may grow by in total this period.", h->growable },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		family(f, rows[i].name, "gauge", rows[i].help);
		fprintf(f, "%s %llu\n", rows[i].name,
			(unsigned long long)rows[i].kib * MC_BYTES_PER_KIB);
	}
}

/* One PSI file's four averages under its scope label. */
static void psi_samples(FILE *f, const char *scope, const struct mc_psi *p)
{
	const struct {
		const char *kind, *window;
		double v;
	} rows[] = {
		{ "some", "avg10", p->some.avg10 }, { "some", "avg60", p->some.avg60 },
		{ "full", "avg10", p->full.avg10 }, { "full", "avg60", p->full.avg60 },
	};
	size_t i;

	for (i = 0; p->have && i < sizeof(rows) / sizeof(rows[0]); i++)
		fprintf(f, "memcoord_host_memory_pressure_percent{scope=\"%s\",kind=\"%s\","
			"window=\"%s\"} %.2f\n", scope, rows[i].kind, rows[i].window, rows[i].v);
}

/* Absent values are absent series, never a 0 that reads as "calm". */
static void host_pressure_metrics(FILE *f, const struct mc_host_pressure *p)
{
	if (p->have_available) {
		family(f, "memcoord_host_available_bytes", "gauge",
		       "Host MemAvailable (absent where it is not read).");
		fprintf(f, "memcoord_host_available_bytes %llu\n",
			(unsigned long long)p->available * MC_BYTES_PER_KIB);
	}
	if (!p->psi.have && !p->machine_psi.have)
		return;
	family(f, "memcoord_host_memory_pressure_percent", "gauge",
	       "Memory PSI: share of time some/all tasks stalled on memory, "
	       "of the host and of libvirt's machine slice cgroup.");
	psi_samples(f, "host", &p->psi);
	psi_samples(f, "machine", &p->machine_psi);
}

/* memcoord_host_ksm_<file>, one gauge per file of ksm.h's list. */
static void host_ksm_metrics(FILE *f, const struct mc_ksm *k)
{
	char name[64];
	int i;

	for (i = 0; k->have && i < MC_KSM_NFIELDS; i++) {
		snprintf(name, sizeof(name), "memcoord_host_ksm_%s", mc_ksm_name((enum mc_ksm_field)i));
		family(f, name, "gauge", "/sys/kernel/mm/ksm's file of that name "
		       "(pages, ms; pages_sharing x page size is what KSM saves).");
		fprintf(f, "%s %llu\n", name, (unsigned long long)k->v[i]);
	}
}

enum dom_field { F_ACTUAL, F_UNUSED, F_TARGET, F_RESIZES, F_CLAMPS, F_COUNT };

static const struct {
	const char *name, *type, *help;
} dom_families[F_COUNT] = {
	{ "memcoord_domain_actual_bytes", "gauge", "Current balloon size." },
	{ "memcoord_domain_unused_bytes", "gauge", "Guest free memory (absent until the guest reports stats)." },
	{ "memcoord_domain_target_bytes", "gauge", "The last target decided, after the clamps." },
	{ "memcoord_domain_resize_calls_total", "counter", "Balloon resize calls made for the domain." },
	{ "memcoord_domain_clamps_total", "counter", "Decisions for the domain that a safety rule changed." },
};

/* false when the domain has no such value now. */
static bool dom_value(const struct mc_domain *d, const struct dom_entry *e,
		      enum dom_field f, unsigned long long *v)
{
	switch (f) {
	case F_ACTUAL: *v = d->cur.actual * MC_BYTES_PER_KIB; return true;
	case F_UNUSED: *v = d->cur.unused * MC_BYTES_PER_KIB; return d->cur.have_stats;
	case F_TARGET: *v = e->target * MC_BYTES_PER_KIB; return e->have_target;
	case F_RESIZES: *v = e->resizes; return true;
	default: *v = e->clamps; return true;
	}
}

static void domain_metrics(FILE *f, const struct mc_metrics *m,
			   const struct mc_snapshot *s)
{
	enum dom_field fld;
	size_t i;

	for (fld = 0; fld < F_COUNT; fld++) {
		family(f, dom_families[fld].name, dom_families[fld].type,
		       dom_families[fld].help);
		for (i = 0; i < s->ndoms; i++) {
			unsigned long long v;

			if (!dom_value(&s->doms[i], m->row[i], fld, &v))
				continue;
			fprintf(f, "%s{domain=\"", dom_families[fld].name);
			label_value(f, s->doms[i].name);
			fputs("\",uuid=\"", f);
			label_value(f, s->doms[i].uuid);
			fprintf(f, "\"} %llu\n", v);
		}
	}
}

/* Writes a temporary file and renames it over the real one: readers see
 * the old file or the new one, never a mix.  No fsync: after a crash a
 * stale or missing metrics file is harmless, and the next sample fixes it. */
static int write_file(struct mc_metrics *m, const struct mc_snapshot *s,
		      bool dry_run, const struct mc_coord_stats *st,
		      char *err, size_t errlen)
{
	char *tmp;
	FILE *f = mc_file_replace_begin(m->path, &tmp, err, errlen);

	if (!f)
		return -1;
	daemon_metrics(f, m, st, s ? s->ndoms : 0, dry_run);
	policy_info(f, st);
	rule_metrics(f, m);
	if (s) {
		host_metrics(f, &s->host);
		host_pressure_metrics(f, &s->host.pressure);
		host_ksm_metrics(f, &s->host.ksm);
		domain_metrics(f, m, s);
	}
	if (st->cpu)
		mc_cpu_report_metrics(f, st->cpu, s ? &s->cpu : NULL);
	return mc_file_replace_commit(f, tmp, m->path, err, errlen);
}

int mc_metrics_sample(struct mc_metrics *m, const struct mc_snapshot *s,
		      const struct mc_clamp_result *res, bool dry_run,
		      const struct mc_coord_stats *st)
{
	char err[MC_ERR_LEN];
	int rc;

	if (!m)
		return 0;
	if (s) {
		m->tick++;
		m->last_sample = mc_clock_seconds(CLOCK_REALTIME);
		if (touch(m, s)) {
			mc_warn("metrics: out of memory; %s not updated", m->path);
			return -1;
		}
		count(m, res, dry_run);
	}
	rc = write_file(m, s, dry_run, st, err, sizeof(err));
	mc_file_note(&m->failing, "metrics", m->path, rc ? err : NULL);
	return rc;
}

/* ---- open, close ---- */

/* A path that cannot be replaced (a link, a device, a directory, an
 * unwritable directory) is refused at start-up rather than warned about
 * at the first sample. */
struct mc_metrics *mc_metrics_open(const char *path, char *err, size_t errlen)
{
	struct mc_metrics *m;

	if (mc_file_replace_check(path, err, errlen))
		return NULL;
	m = calloc(1, sizeof(*m));
	if (!m || !(m->path = strdup(path))) {
		snprintf(err, errlen, "out of memory");
		mc_metrics_close(m);
		return NULL;
	}
	return m;
}

/* A stopped daemon's numbers must not be scraped as if it still ran:
 * node_exporter's textfile collector serves whatever file is there. */
void mc_metrics_remove(struct mc_metrics *m)
{
	if (m && unlink(m->path) && errno != ENOENT)
		mc_warn("metrics: cannot remove %s: %s", m->path, strerror(errno));
}

void mc_metrics_close(struct mc_metrics *m)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; i < m->cap; i++)
		free(m->tab[i].name);
	free(m->tab);
	free(m->row);
	free(m->path);
	free(m);
}
