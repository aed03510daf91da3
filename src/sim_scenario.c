/*
 * sim_scenario.c - scenario files for the simulated host: [host],
 * [defaults] and [vm "NAME"] sections, workload phases, and replays of
 * recorded traces.  Produces the model; hypervisor_sim.c runs it.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "inifile.h"
#include "sim.h"

#define KIB_PER_MIB 1024ULL
#define MAX_COUNT 100000	/* count = N per [vm] section */

/* ==== scenario parsing ==== */

/* A [vm] section before count = N is expanded. */
struct vm_tmpl {
	struct mc_sim_vm vm;
	long count;
	char replay_path[1024];
	char replay_domain[MC_NAME_MAX];
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
	v->start_size = 512 * KIB_PER_MIB;
	v->max = 2048 * KIB_PER_MIB;
	v->kernel = 24 * KIB_PER_MIB;
	v->base_used = 128 * KIB_PER_MIB;
	v->cache_max = 30 * KIB_PER_MIB;
	v->min_free = 16 * KIB_PER_MIB;
	v->stats = true;
	v->stop_at = -1;
	v->stats_stop_at = -1;
	v->last_grow_at = -1;
}

static int parse_mib(const char *s, uint64_t *kib)
{
	double v;

	if (mc_ini_double(s, 0, 1 << 30, &v))
		return -1;
	*kib = mc_sim_kib_of(v * KIB_PER_MIB);
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
	ph->rate = rate * KIB_PER_MIB;
	ph->to = mc_sim_kib_of(to * KIB_PER_MIB);
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
	if (!strcmp(key, "duration") && !mc_ini_double(value, 0.1, 1e9, &v))
		return p->host.duration = v, 1;
	if (!strcmp(key, "stats_period") && !mc_ini_double(value, 0.1, 3600, &v))
		return p->host.stats_period = v, 1;
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
	if (!strcmp(key, "group")) {
		snprintf(v->group, sizeof(v->group), "%s", value);
		return 1;
	}
	return 0;	/* not a shared key */
}

static struct vm_tmpl *tmpl_for(struct parse *p, const char *name)
{
	struct vm_tmpl *grown;

	if (p->nt && !strcmp(p->t[p->nt - 1].vm.name, name))
		return &p->t[p->nt - 1];
	grown = realloc(p->t, (p->nt + 1) * sizeof(*grown));
	if (!grown)
		return NULL;
	p->t = grown;
	memset(&p->t[p->nt], 0, sizeof(*grown));
	p->t[p->nt].vm = p->defaults;
	p->t[p->nt].vm.phases = NULL;	/* defaults hold no phases */
	p->t[p->nt].vm.nphases = 0;
	p->t[p->nt].count = 1;
	snprintf(p->t[p->nt].vm.name, MC_NAME_MAX, "%s", name);
	return &p->t[p->nt++];
}

static int handle_vm(struct mc_ini *ini, const char *section, const char *name,
		     const char *key, const char *value)
{
	struct vm_tmpl *t = tmpl_for(ini->user, name);
	struct mc_sim_phase ph;
	double n;
	int rc;

	if (!t)
		return mc_ini_fail(ini, section, key, "out of memory");
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
	if (!strcmp(key, "replay")) {
		snprintf(t->replay_path, sizeof(t->replay_path), "%s", value);
		return 1;
	}
	if (!strcmp(key, "replay_domain")) {
		snprintf(t->replay_domain, sizeof(t->replay_domain), "%s", value);
		return 1;
	}
	return mc_ini_fail(ini, section, key, "unknown key");
}

/* [vm "NAME"] -> NAME, or NULL. */
static char *vm_name(const char *section, char *buf, size_t len)
{
	size_t n = strlen(section);

	if (strncmp(section, "vm \"", 4) || n < 6 || section[n - 1] != '"' ||
	    n - 5 >= len || n - 5 >= MC_NAME_MAX - 8)
		return NULL;
	memcpy(buf, section + 4, n - 5);
	buf[n - 5] = '\0';
	return buf;
}

static int handler(struct mc_ini *ini, const char *section, const char *key,
		   const char *value)
{
	struct parse *p = ini->user;
	char name[MC_NAME_MAX];
	int rc;

	if (!strcmp(section, "host"))
		return handle_host(ini, key, value);
	if (!strcmp(section, "defaults")) {
		rc = vm_key(&p->defaults, key, value);
		return rc > 0 ? 1 : mc_ini_fail(ini, section, key, rc ? "bad value '%s'" :
					 "unknown key (value '%s')", value);
	}
	if (vm_name(section, name, sizeof(name)))
		return handle_vm(ini, section, name, key, value);
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

/* One row: time,domain,actual_kib,unused_kib,...  Rows of other domains
 * and rows without stats (empty unused) are skipped.  1 kept, 0 skipped,
 * -1 malformed. */
static int replay_row(char *line, const char *dom, double *t, uint64_t *used)
{
	char *f[4], *s = line;
	unsigned long long actual, unused;
	size_t i;

	for (i = 0; i < 4; i++) {
		f[i] = strsep(&s, ",");
		if (!f[i])
			return -1;
	}
	if (strcmp(f[1], dom))
		return 0;
	if (!*f[3])
		return 0;
	if (sscanf(f[0], "%lf", t) != 1 || sscanf(f[2], "%llu", &actual) != 1 ||
	    sscanf(f[3], "%llu", &unused) != 1)
		return -1;
	*used = mc_sim_sub_sat(actual, unused);
	return 1;
}

static int load_replay(const char *path, const char *dom,
		       struct mc_sim_replay *r, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	size_t cap = 0, lineno = 0;
	double t, t0 = 0;
	uint64_t used;
	int rc;

	if (!f) {
		snprintf(err, errlen, "replay %s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (lineno++ == 0 && !strncmp(line, "time,", 5))
			continue;
		rc = replay_row(line, dom, &t, &used);
		if (rc < 0) {
			snprintf(err, errlen, "replay %s:%zu: not a trace row", path, lineno);
			fclose(f);
			return -1;
		}
		if (rc && !r->n)
			t0 = t;
		if (rc && replay_push(r, &cap, t - t0, used)) {
			snprintf(err, errlen, "replay %s: out of memory", path);
			fclose(f);
			return -1;
		}
	}
	fclose(f);
	if (!r->n) {
		snprintf(err, errlen, "replay %s: no rows with stats for domain '%s'",
			 path, dom);
		return -1;
	}
	return 0;
}

/* ==== building the model ==== */

/* Relative replay paths are relative to the scenario file. */
static void resolve_path(const char *scenario, const char *rel, char *out,
			 size_t len)
{
	const char *slash = strrchr(scenario, '/');

	if (rel[0] == '/' || !slash)
		snprintf(out, len, "%s", rel);
	else
		snprintf(out, len, "%.*s/%s", (int)(slash - scenario), scenario, rel);
}

static int copy_vm(const struct vm_tmpl *t, long k, struct mc_sim_vm *v,
		   size_t index)
{
	*v = t->vm;
	v->phases = NULL;
	v->replay.t = NULL;
	v->replay.used = NULL;
	if (t->count > 1)
		snprintf(v->name, MC_NAME_MAX, "%.200s%05d", t->vm.name,
			 (int)(k + 1) % 1000000);
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

static void free_vm(struct mc_sim_vm *v)
{
	free(v->phases);
	free(v->replay.t);
	free(v->replay.used);
}

static void free_parse(struct parse *p)
{
	size_t i;

	for (i = 0; i < p->nt; i++)
		free_vm(&p->t[i].vm);
	free(p->t);
}

static int check_vm(const struct mc_sim_vm *v, char *err, size_t errlen)
{
	if (v->start_size > v->max) {
		snprintf(err, errlen, "vm %s: start_mib is above max_mib", v->name);
		return -1;
	}
	if (v->kernel + v->base_used + v->min_free >= v->start_size) {
		snprintf(err, errlen, "vm %s: kernel + base_used + min_free do not "
			 "fit in start_mib", v->name);
		return -1;
	}
	if (v->stop_at >= 0 && v->stop_at <= v->start_at) {
		snprintf(err, errlen, "vm %s: stop is not after start", v->name);
		return -1;
	}
	return 0;
}

static int load_replays(struct parse *p, char *err, size_t errlen)
{
	char path[2048];
	size_t i;

	for (i = 0; i < p->nt; i++) {
		struct vm_tmpl *t = &p->t[i];

		if (!t->replay_path[0])
			continue;
		resolve_path(p->path, t->replay_path, path, sizeof(path));
		if (load_replay(path, t->replay_domain[0] ? t->replay_domain :
				t->vm.name, &t->vm.replay, err, errlen))
			return -1;
	}
	return 0;
}

static struct mc_sim_model *build(struct parse *p, char *err, size_t errlen)
{
	struct mc_sim_model *m = calloc(1, sizeof(*m));
	size_t i, total = 0;
	long k;

	for (i = 0; i < p->nt; i++)
		total += (size_t)p->t[i].count;
	if (!m || !(m->vms = calloc(total ? total : 1, sizeof(*m->vms)))) {
		free(m);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	m->host = p->host;
	m->stats_ms = (int64_t)llround(m->host.stats_period * 1000);
	for (i = 0; i < p->nt; i++) {
		for (k = 0; k < p->t[i].count; k++) {
			if (copy_vm(&p->t[i], k, &m->vms[m->nvms], m->nvms)) {
				m->nvms++;
				mc_sim_model_free(m);
				snprintf(err, errlen, "out of memory");
				return NULL;
			}
			m->nvms++;
		}
	}
	return m;
}

struct mc_sim_model *mc_sim_scenario_load(const char *path, char *err,
					  size_t errlen)
{
	struct parse p = { .path = path };
	struct mc_sim_model *m = NULL;
	char why[512];
	size_t i;

	p.host.total = 16384 * KIB_PER_MIB;
	p.host.overhead = 512 * KIB_PER_MIB;
	p.host.duration = 120;
	p.host.stats_period = 1;
	default_vm(&p.defaults);
	if (mc_ini_parse(path, handler, &p, err, errlen))
		goto out;
	for (i = 0; i < p.nt; i++)
		if (check_vm(&p.t[i].vm, why, sizeof(why))) {
			snprintf(err, errlen, "%s: %s", path, why);
			goto out;
		}
	if (!p.nt) {
		snprintf(err, errlen, "%s: no [vm \"NAME\"] sections", path);
		goto out;
	}
	if (load_replays(&p, err, errlen))
		goto out;
	m = build(&p, err, errlen);
out:
	free_parse(&p);
	return m;
}

void mc_sim_model_free(struct mc_sim_model *m)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; i < m->nvms; i++)
		free_vm(&m->vms[i]);
	free(m->vms);
	free(m);
}

