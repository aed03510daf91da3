/*
 * sim_scenario.c - scenario files for the simulated host: [host],
 * [defaults] and [vm "NAME"] sections, workload phases, and replays of
 * recorded traces.  Builds the model (sim_model.c) and hands it over;
 * knows nothing of what runs it.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"	/* MC_SIM_DURATION_MAX, shared with --duration */
#include "cpu_sim.h"
#include "csv.h"
#include "fileio.h"
#include "inifile.h"
#include "sim_model.h"
#include "sim_scenario.h"
#include "util.h"

#define MAX_COUNT 100000	/* count = N per [vm] section */
#define REPLAY_MAX (64u << 20)	/* bytes of a replayed trace */

/* ==== scenario parsing ==== */

/* A [vm] section before count = N is expanded. */
struct vm_tmpl {
	struct mc_sim_vm vm;
	long count;
	int line;		/* of its [vm "NAME"] header */
	size_t nkeys;		/* a section without keys is an error */
	char *replay_path;	/* NULL = phases drive the workload */
	char *replay_domain;	/* NULL = the VM's own name */
};

struct parse {
	const char *path;
	struct mc_sim_host host;
	struct mc_sim_vm defaults;
	struct vm_tmpl *t;
	size_t nt;
};

static void default_vm(struct mc_sim_vm *v)
{
	memset(v, 0, sizeof(*v));
	v->start_size = 512 * MC_KIB_PER_MIB;
	v->max = 2048 * MC_KIB_PER_MIB;
	v->kernel = 24 * MC_KIB_PER_MIB;
	v->base_used = 128 * MC_KIB_PER_MIB;
	v->cache_max = 30 * MC_KIB_PER_MIB;
	v->min_free = 16 * MC_KIB_PER_MIB;
	v->stats = true;
	v->stop_at = -1;
	v->stats_stop_at = -1;
}

static int parse_mib(const char *s, uint64_t *kib)
{
	double v;

	if (mc_ini_double(s, 0, 1 << 30, &v))
		return -1;
	*kib = mc_sim_kib_of(v * MC_KIB_PER_MIB);
	return 0;
}

/* "never" or a number of seconds. */
static int parse_when(const char *s, double *out)
{
	if (!strcasecmp(s, "never") || !strcmp(s, "-1"))
		return *out = -1, 0;
	return mc_ini_double(s, 0, 1e9, out);
}

/* "idle [S]" | "hold [S]" | "grow R N" | "free R [N]" | "free all [N]";
 * R in MiB/s, N in MiB of workload, S seconds (none = forever). */
static int parse_phase(const char *s, struct mc_sim_phase *ph)
{
	char kind[16], a[32] = "", b[32] = "";
	double rate = 0, to = 0;
	int n = sscanf(s, "%15s %31s %31s", kind, a, b);

	memset(ph, 0, sizeof(*ph));
	ph->secs = -1;
	if (n < 1)
		return -1;
	if (!strcmp(kind, "idle") || !strcmp(kind, "hold")) {
		ph->kind = kind[0] == 'i' ? MC_SIM_IDLE : MC_SIM_HOLD;
		return n == 1 ? 0 : n == 2 ? mc_ini_double(a, 0, 1e9, &ph->secs) : -1;
	}
	if (!strcmp(kind, "grow")) {
		if (n != 3 || mc_ini_double(a, 0.001, 1e6, &rate) ||
		    mc_ini_double(b, 0, 1 << 30, &to))
			return -1;
		ph->kind = MC_SIM_GROW;
	} else if (!strcmp(kind, "free")) {
		if (n == 3 && mc_ini_double(b, 0, 1 << 30, &to))
			return -1;
		if (!strcmp(a, "all"))
			ph->kind = MC_SIM_FREE_ALL;
		else if (n >= 2 && !mc_ini_double(a, 0.001, 1e6, &rate))
			ph->kind = MC_SIM_FREE;
		else
			return -1;
	} else {
		return -1;
	}
	ph->rate = rate * MC_KIB_PER_MIB;
	ph->to = mc_sim_kib_of(to * MC_KIB_PER_MIB);
	return 0;
}

static int add_phase(struct mc_sim_vm *v, const struct mc_sim_phase *ph)
{
	struct mc_sim_phase *grown = realloc(v->phases,
					     (v->nphases + 1) * sizeof(*grown));

	if (!grown)
		return -1;
	v->phases = grown;
	v->phases[v->nphases++] = *ph;
	return 0;
}

static int handle_host(struct mc_ini *ini, const char *key, const char *value)
{
	struct parse *p = ini->user;
	double v;

	if (!strcmp(key, "total_mib") && !parse_mib(value, &p->host.total))
		return 1;
	if (!strcmp(key, "overhead_mib") && !parse_mib(value, &p->host.overhead))
		return 1;
	if (!strcmp(key, "duration") && !mc_ini_double(value, 0.1, MC_SIM_DURATION_MAX, &v))
		return p->host.duration = v, 1;
	if (!strcmp(key, "stats_period") && !mc_ini_double(value, 0.1, 3600, &v))
		return p->host.stats_period = v, 1;
	if (!strcmp(key, "balloon_mib_s") && !mc_ini_double(value, 1, 1e6, &v))
		return p->host.balloon_rate = v * MC_KIB_PER_MIB, 1;
	if (!strcmp(key, "actual_late") && !mc_ini_bool(value, &p->host.actual_late))
		return 1;
	if (!strcmp(key, "stats_while_moving") &&
	    !mc_ini_bool(value, &p->host.stats_paused_moving))
		return p->host.stats_paused_moving = !p->host.stats_paused_moving, 1;
	return mc_ini_fail(ini, "host", key, "unknown key or bad value '%s'", value);
}

/* Keys valid both in [defaults] and in [vm "NAME"]. */
static int vm_key(struct mc_sim_vm *v, const char *key, const char *value)
{
	struct { const char *key; uint64_t *dst; } sizes[] = {
		{ "start_mib", &v->start_size }, { "max_mib", &v->max },
		{ "kernel_mib", &v->kernel }, { "base_used_mib", &v->base_used },
		{ "cache_mib", &v->cache_max }, { "min_free_mib", &v->min_free },
		{ "swap_mib", &v->swap_size },
		{ "vmem_block_mib", &v->vmem_block }, { "vmem_base_mib", &v->vmem_base },
	};
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		if (!strcmp(key, sizes[i].key))
			return parse_mib(value, sizes[i].dst) ? -1 : 1;
	if (!strcmp(key, "stats"))
		return mc_ini_bool(value, &v->stats) ? -1 : 1;
	if (!strcmp(key, "start"))
		return mc_ini_double(value, 0, 1e9, &v->start_at) ? -1 : 1;
	if (!strcmp(key, "stop"))
		return parse_when(value, &v->stop_at) ? -1 : 1;
	if (!strcmp(key, "stats_stop"))
		return parse_when(value, &v->stats_stop_at) ? -1 : 1;
	if (!strcmp(key, "group")) {	/* refused, not cut: cut groups merge */
		if (strlen(value) >= sizeof(v->group))
			return -1;
		memcpy(v->group, value, strlen(value) + 1);
		return 1;
	}
	return 0;	/* not a shared key */
}

/* A new template for the [vm "NAME"] header on line; NULL when out of
 * memory.  Every header makes its own: a name used twice is caught once
 * the model is built (check_unique), not merged. */
static struct vm_tmpl *new_tmpl(struct parse *p, const char *name,
				size_t len, int line)
{
	struct vm_tmpl *grown = realloc(p->t, (p->nt + 1) * sizeof(*grown)), *t;

	if (!grown)
		return NULL;
	p->t = grown;
	t = memset(&p->t[p->nt], 0, sizeof(*t));
	t->vm = p->defaults;
	t->vm.phases = NULL;	/* defaults hold no phases */
	t->vm.nphases = 0;
	t->count = 1;
	t->line = line;
	t->vm.name = strndup(name, len);
	if (!t->vm.name)
		return NULL;
	p->nt++;
	return t;
}

static int handle_vm(struct mc_ini *ini, const char *section,
		     struct vm_tmpl *t, const char *key, const char *value)
{
	struct mc_sim_phase ph;
	double n;
	int rc;

	t->nkeys++;
	rc = vm_key(&t->vm, key, value);
	if (rc)
		return rc > 0 ? 1 : mc_ini_fail(ini, section, key, "bad value '%s'", value);
	if (!strcmp(key, "phase")) {
		if (parse_phase(value, &ph))
			return mc_ini_fail(ini, section, key, "'%s' is not idle [S] | hold [S] | "
				    "grow R N | free R [N] | free all [N]", value);
		return add_phase(&t->vm, &ph) ? mc_ini_fail(ini, section, key, "out of memory") : 1;
	}
	if (!strcmp(key, "count")) {
		if (mc_ini_double(value, 1, MAX_COUNT, &n) || n != floor(n))
			return mc_ini_fail(ini, section, key, "'%s' is not 1..%d", value, MAX_COUNT);
		return t->count = (long)n, 1;
	}
	if (!strcmp(key, "replay") || !strcmp(key, "replay_domain")) {
		char **dst = strcmp(key, "replay") ? &t->replay_domain : &t->replay_path;

		if (*dst)
			return mc_ini_fail(ini, section, key, "set twice");
		*dst = strdup(value);
		return *dst ? 1 : mc_ini_fail(ini, section, key, "out of memory");
	}
	return mc_ini_fail(ini, section, key, "unknown key");
}

/* [vm "NAME"] -> NAME (not NUL-terminated: *len bytes), or NULL. */
static const char *vm_name(const char *section, size_t *len)
{
	size_t n = strlen(section);

	if (strncmp(section, "vm \"", 4) || n < 5 || section[n - 1] != '"')
		return NULL;
	*len = n - 5;
	return section + 4;
}

/* A [section] line.  A [vm] header makes its VM here, so that one without
 * keys is seen (and refused once the file is read). */
static int section_start(struct mc_ini *ini, const char *section)
{
	const char *name;
	size_t len;

	if (!strcmp(section, "host") || !strcmp(section, "defaults"))
		return 1;
	name = vm_name(section, &len);
	if (!name)
		return mc_ini_fail(ini, section, NULL, "unknown section (expected "
				   "[host], [defaults] or [vm \"NAME\"])");
	if (!len)
		return mc_ini_fail(ini, section, NULL, "empty VM name");
	if (!new_tmpl(ini->user, name, len, ini->line))
		return mc_ini_fail(ini, section, NULL, "out of memory");
	return 1;
}

static int handler(struct mc_ini *ini, const char *section, const char *key,
		   const char *value)
{
	struct parse *p = ini->user;
	size_t len;
	int rc;

	if (!key && mc_cpu_sim_section(section))
		return 1;
	if (!key)
		return section_start(ini, section);
	if (mc_cpu_sim_section(section))
		return 1;	/* read by cpu_sim.c */
	if (!strcmp(section, "host"))
		return handle_host(ini, key, value);
	if (!strcmp(section, "defaults")) {
		rc = vm_key(&p->defaults, key, value);
		return rc > 0 ? 1 : mc_ini_fail(ini, section, key, rc ? "bad value '%s'" :
					 "unknown key (value '%s')", value);
	}
	if (p->nt && vm_name(section, &len))	/* the last header's VM */
		return handle_vm(ini, section, &p->t[p->nt - 1], key, value);
	return mc_ini_fail(ini, section, key, "unknown section (expected [host], "
		    "[defaults] or [vm \"NAME\"])");
}

/* ==== replay: a --trace CSV as a workload ==== */

static int replay_push(struct mc_sim_replay *r, size_t *cap, double t,
		       uint64_t used)
{
	if (r->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 256;
		double *nt = realloc(r->t, ncap * sizeof(*nt));
		uint64_t *nu;

		if (!nt)
			return -1;
		r->t = nt;
		nu = realloc(r->used, ncap * sizeof(*nu));
		if (!nu)
			return -1;
		r->used = nu;
		*cap = ncap;
	}
	r->t[r->n] = t;
	r->used[r->n++] = used;
	return 0;
}

/* The columns a replay reads, found by the header's names: a trace from
 * any version (with more columns, in another order) replays. */
enum { COL_TIME, COL_DOMAIN, COL_ACTUAL, COL_UNUSED, NCOLS };
static const char *const col_names[NCOLS] = {
	"time", "domain", "actual_kib", "unused_kib",
};

/* One record's fields at the columns in pos (NULL where it has none).
 * The number of its fields, 0 at the end of the text, or -1 when it is
 * not RFC 4180. */
static long read_record(struct mc_csv *c, const long pos[NCOLS], char *f[NCOLS])
{
	bool last = false;
	long n = 0;
	char *v;
	int k;

	for (k = 0; k < NCOLS; k++)
		f[k] = NULL;
	while (!last && (v = mc_csv_field(c, &last))) {
		for (k = 0; k < NCOLS; k++)
			if (pos[k] == n)
				f[k] = v;
		n++;
	}
	return c->bad ? -1 : n;
}

/* The header: where each column is, and how many fields a row has. */
static long read_header(struct mc_csv *c, long pos[NCOLS])
{
	bool last = false;
	long n = 0;
	char *v;
	int k;

	for (k = 0; k < NCOLS; k++)
		pos[k] = -1;
	while (!last && (v = mc_csv_field(c, &last))) {
		for (k = 0; k < NCOLS; k++)
			if (pos[k] < 0 && !strcmp(v, col_names[k]))
				pos[k] = n;
		n++;
	}
	for (k = 0; k < NCOLS; k++)
		if (pos[k] < 0)
			return -1;
	return n;
}

/* One row of dom: its time and used memory.  Rows of other domains and
 * rows without stats (empty unused) are skipped.  1 kept, 0 skipped, -1
 * malformed. */
static int replay_row(char *f[NCOLS], const char *dom, double *t, uint64_t *used)
{
	unsigned long long actual, unused;

	if (strcmp(f[COL_DOMAIN], dom) || !*f[COL_UNUSED])
		return 0;
	if (sscanf(f[COL_TIME], "%lf", t) != 1 || !isfinite(*t) ||
	    sscanf(f[COL_ACTUAL], "%llu", &actual) != 1 ||
	    sscanf(f[COL_UNUSED], "%llu", &unused) != 1)
		return -1;
	*used = mc_sim_sub_sat(actual, unused);
	return 1;
}

/* Every row of dom, its times from its first row on.  *rec: the number
 * of the last record read (the one refused, on -1). */
static int replay_rows(struct mc_csv *c, const long pos[NCOLS], long nfields,
		       const char *dom, struct mc_sim_replay *r, size_t *rec)
{
	char *f[NCOLS];
	size_t cap = 0;
	double t, t0 = 0;
	uint64_t used;
	long n;
	int rc;

	for (;;) {
		*rec = c->record;
		n = read_record(c, pos, f);
		if (n <= 0)
			break;
		rc = n == nfields ? replay_row(f, dom, &t, &used) : -1;
		if (rc < 0)
			return -1;
		if (rc > 0 && !r->n)
			t0 = t;
		if (rc > 0 && r->n && t - t0 < r->t[r->n - 1])
			return -1;	/* time goes back: not one trace */
		if (rc > 0 && replay_push(r, &cap, t - t0, used))
			return -2;
	}
	return n < 0 ? -1 : 0;
}

/* Reads every row of dom in the trace at path (RFC 4180, as --trace
 * writes it).  The file is read whole and bounded (a FIFO or /dev/zero
 * cannot hang the run), so a row is never cut however long its domain
 * name. */
static int load_replay(const char *path, const char *dom,
		       struct mc_sim_replay *r, char *err, size_t errlen)
{
	struct mc_csv c;
	char *text;
	size_t len, rec = 1;
	long pos[NCOLS], nfields;
	int rc = -1;

	if (mc_file_read(path, REPLAY_MAX, &text, &len, err, errlen))
		return -1;
	mc_csv_init(&c, text, len);
	nfields = read_header(&c, pos);
	if (nfields < 0)
		snprintf(err, errlen, "replay %s: no trace header (with the columns "
			 "time, domain, actual_kib and unused_kib)", path);
	else if ((rc = replay_rows(&c, pos, nfields, dom, r, &rec)) == -1)
		snprintf(err, errlen, "replay %s: record %zu: not a trace row",
			 path, rec);
	else if (rc == -2)
		snprintf(err, errlen, "replay %s: out of memory", path);
	else if (!r->n)
		snprintf(err, errlen, "replay %s: no rows with stats for domain '%s'",
			 path, dom);
	free(text);
	return rc || !r->n ? -1 : 0;
}

/* ==== building the model ==== */

/* The k-th copy's name: NAME, or NAME00001.. with count = N. */
static char *copy_name(const struct vm_tmpl *t, long k)
{
	char *name;

	if (t->count == 1)
		return strdup(t->vm.name);
	if (asprintf(&name, "%s%05ld", t->vm.name, k + 1) < 0)
		return NULL;
	return name;
}

static int copy_vm(const struct vm_tmpl *t, long k, struct mc_sim_vm *v,
		   size_t index)
{
	*v = t->vm;
	v->phases = NULL;
	v->replay.t = NULL;
	v->replay.used = NULL;
	v->name = copy_name(t, k);
	if (!v->name)
		return -1;
	snprintf(v->uuid, MC_UUID_LEN, "5a5a5a5a-0000-4000-8000-%012zx", index);
	if (t->vm.nphases) {
		v->phases = malloc(t->vm.nphases * sizeof(*v->phases));
		if (!v->phases)
			return -1;
		memcpy(v->phases, t->vm.phases, t->vm.nphases * sizeof(*v->phases));
	}
	if (t->vm.replay.n) {
		v->replay.t = malloc(t->vm.replay.n * sizeof(double));
		v->replay.used = malloc(t->vm.replay.n * sizeof(uint64_t));
		if (!v->replay.t || !v->replay.used)
			return -1;
		memcpy(v->replay.t, t->vm.replay.t, t->vm.replay.n * sizeof(double));
		memcpy(v->replay.used, t->vm.replay.used, t->vm.replay.n * sizeof(uint64_t));
	}
	return 0;
}

static void free_parse(struct parse *p)
{
	size_t i;

	for (i = 0; i < p->nt; i++) {
		mc_sim_vm_release(&p->t[i].vm);
		free(p->t[i].replay_path);
		free(p->t[i].replay_domain);
	}
	free(p->t);
}

/* What is wrong with the VM a template makes, or NULL. */
static const char *vm_problem(const struct vm_tmpl *t)
{
	const struct mc_sim_vm *v = &t->vm;

	if (!t->nkeys)
		return "no keys (a VM of defaults only still needs one, e.g. start_mib)";
	if (v->start_size > v->max)
		return "start_mib is above max_mib";
	if (v->kernel + v->base_used + v->min_free >= v->start_size)
		return "kernel + base_used + min_free do not fit in start_mib";
	if (v->stop_at >= 0 && v->stop_at <= v->start_at)
		return "stop is not after start";
	if (v->vmem_block && (v->vmem_base > v->start_size ||
			      (v->start_size - v->vmem_base) % v->vmem_block ||
			      (v->max - v->vmem_base) % v->vmem_block))
		return "start_mib and max_mib must be vmem_base_mib + whole vmem_block_mib";
	return NULL;
}

static int check_templates(const struct parse *p, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < p->nt; i++) {
		const char *why = vm_problem(&p->t[i]);

		if (why) {
			snprintf(err, errlen, "%s:%d: [vm \"%s\"]: %s", p->path,
				 p->t[i].line, p->t[i].vm.name, why);
			return -1;
		}
	}
	if (!p->nt) {
		snprintf(err, errlen, "%s: no [vm \"NAME\"] sections", p->path);
		return -1;
	}
	return 0;
}

static int load_replays(struct parse *p, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < p->nt; i++) {
		struct vm_tmpl *t = &p->t[i];
		char *path;
		int rc;

		if (!t->replay_path || !*t->replay_path)
			continue;
		path = mc_file_path_beside(p->path, t->replay_path);	/* relative to the scenario */
		if (!path) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		rc = load_replay(path, t->replay_domain && *t->replay_domain ?
				 t->replay_domain : t->vm.name, &t->vm.replay, err, errlen);
		free(path);
		if (rc)
			return -1;
	}
	return 0;
}

/* A model VM's name and the line of the header that made it. */
struct vm_origin {
	const char *name;
	int line;
};

static int cmp_origin(const void *a, const void *b)
{
	const struct vm_origin *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : (x->line > y->line) - (x->line < y->line);
}

/* Two VMs of one name would be one domain to the coordinator (one decision
 * for both, one metrics series): refused, whether the name is written
 * twice or made by count = N. */
static int check_unique(const struct parse *p, const struct mc_sim_vm *vms,
			size_t nvms, char *err, size_t errlen)
{
	struct vm_origin *o = malloc((nvms ? nvms : 1) * sizeof(*o));
	size_t i, j, n = 0;
	long k;
	int rc = 0;

	if (!o) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < p->nt; i++)
		for (k = 0; k < p->t[i].count; k++, n++)
			o[n] = (struct vm_origin){ vms[n].name, p->t[i].line };
	qsort(o, n, sizeof(*o), cmp_origin);
	for (j = 1; j < n && !rc; j++) {
		if (strcmp(o[j - 1].name, o[j].name))
			continue;
		snprintf(err, errlen, "%s:%d: VM name \"%s\" is taken (by line %d)",
			 p->path, o[j].line, o[j].name, o[j - 1].line);
		rc = -1;
	}
	free(o);
	return rc;
}

static void free_vms(struct mc_sim_vm *vms, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		mc_sim_vm_release(&vms[i]);
	free(vms);
}

/* The templates' VMs, count = N expanded, named apart. */
static struct mc_sim_vm *expand(const struct parse *p, size_t *nvms,
				char *err, size_t errlen)
{
	struct mc_sim_vm *vms;
	size_t i, total = 0, n = 0;
	long k;

	for (i = 0; i < p->nt; i++)
		total += (size_t)p->t[i].count;
	vms = calloc(total ? total : 1, sizeof(*vms));
	for (i = 0; vms && i < p->nt; i++) {
		for (k = 0; k < p->t[i].count; k++) {
			if (copy_vm(&p->t[i], k, &vms[n], n)) {
				free_vms(vms, n + 1);
				vms = NULL;
				break;
			}
			n++;
		}
	}
	if (!vms)
		snprintf(err, errlen, "out of memory");
	*nvms = n;
	return vms;
}

static struct mc_sim_model *build(const struct parse *p, char *err,
				  size_t errlen)
{
	struct mc_sim_model *m;
	struct mc_sim_vm *vms;
	size_t nvms;

	vms = expand(p, &nvms, err, errlen);
	if (!vms)
		return NULL;
	if (check_unique(p, vms, nvms, err, errlen)) {
		free_vms(vms, nvms);
		return NULL;
	}
	m = mc_sim_model_new(&p->host, vms, nvms);	/* takes vms */
	if (!m)
		snprintf(err, errlen, "out of memory");
	return m;
}

struct mc_sim_model *mc_sim_scenario_load(const char *path, char *err,
					  size_t errlen)
{
	struct parse p = { .path = path };
	struct mc_sim_model *m = NULL;

	p.host.total = 16384 * MC_KIB_PER_MIB;
	p.host.overhead = 512 * MC_KIB_PER_MIB;
	p.host.duration = 120;
	p.host.stats_period = 1;
	default_vm(&p.defaults);
	if (!mc_ini_parse(path, handler, &p, err, errlen) &&
	    !check_templates(&p, err, errlen) && !load_replays(&p, err, errlen))
		m = build(&p, err, errlen);
	free_parse(&p);
	if (!m)		/* names and paths are quoted: no raw bytes out */
		mc_ini_escape(err, errlen);
	return m;
}
