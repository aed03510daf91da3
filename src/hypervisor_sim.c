/*
 * hypervisor_sim.c - the simulated host: scenario file, guest model, and
 * the backend the coordinator talks to.
 *
 * Each guest is modelled the way a Linux guest with a virtio balloon
 * behaves (see conf/scenarios/README.md for the numbers):
 *   available (MemTotal) = actual - kernel
 *   unused (MemFree)     = available - base_used - resident workload - cache
 *   usable (MemAvailable)= unused + cache
 * The balloon moves toward its target at MC_SIM_BALLOON_RATE and never
 * inflates into memory the guest uses (it stops at used + min_free, taking
 * page cache first).  A workload that outgrows its memory swaps; past its
 * swap the OOM killer ends it.  Stats are sampled once per stats period,
 * so the coordinator sees them late, like on a real host; `actual` is live.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ini.h>

#include "log.h"
#include "sim.h"

#define KIB_PER_MIB 1024ULL
#define PAGE_KIB 4
/* Guests stamp stats with wall-clock seconds; any epoch will do. */
#define GUEST_EPOCH 1700000000LL
#define MAX_COUNT 100000	/* count = N per [vm] section */

/* ---- small helpers ---- */

static uint64_t sub_sat(uint64_t a, uint64_t b) { return a > b ? a - b : 0; }
static uint64_t min_u64(uint64_t a, uint64_t b) { return a < b ? a : b; }
static uint64_t max_u64(uint64_t a, uint64_t b) { return a > b ? a : b; }

static uint64_t kib_of(double kib)
{
	return kib <= 0 ? 0 : (uint64_t)(kib + 0.5);
}

double mc_sim_model_now(const struct mc_sim_model *m)
{
	return (double)m->now_ms / 1000.0;
}

uint64_t mc_sim_vm_available(const struct mc_sim_vm *v)
{
	return sub_sat(v->actual, v->kernel);
}

uint64_t mc_sim_vm_unused(const struct mc_sim_vm *v)
{
	uint64_t resident = v->workload - v->swapped;

	return sub_sat(mc_sim_vm_available(v), v->base_used + resident + v->cache);
}

bool mc_sim_vm_growing(const struct mc_sim_vm *v)
{
	if (v->replay.n)
		return !v->replay_killed;
	return v->phase < v->nphases && v->phases[v->phase].kind == MC_SIM_GROW;
}

uint64_t mc_sim_host_free(const struct mc_sim_model *m)
{
	uint64_t used = m->host.overhead;
	size_t i;

	for (i = 0; i < m->nvms; i++)
		if (m->vms[i].alive)
			used += m->vms[i].actual;
	return sub_sat(m->host.total, used);
}

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
	char *err;
	size_t errlen;
	int failed;
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

static int fail(struct parse *p, const char *section, const char *key,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int fail(struct parse *p, const char *section, const char *key,
		const char *fmt, ...)
{
	char why[256];
	va_list ap;

	if (!p->failed++) {
		va_start(ap, fmt);
		vsnprintf(why, sizeof(why), fmt, ap);
		va_end(ap);
		/* ini_parse returns the line of the first handler error; the
		 * caller adds it. */
		snprintf(p->err, p->errlen, "[%s] %s: %s", section, key, why);
	}
	return 0;
}

static int parse_num(const char *s, double lo, double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	while (*end == ' ' || *end == '\t')
		end++;
	if (errno || end == s || *end || !isfinite(v) || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static int parse_mib(const char *s, uint64_t *kib)
{
	double v;

	if (parse_num(s, 0, 1 << 30, &v))
		return -1;
	*kib = kib_of(v * KIB_PER_MIB);
	return 0;
}

/* "never" or a number of seconds. */
static int parse_when(const char *s, double *out)
{
	if (!strcasecmp(s, "never") || !strcmp(s, "-1"))
		return *out = -1, 0;
	return parse_num(s, 0, 1e9, out);
}

static int parse_bool(const char *s, bool *out)
{
	if (!strcasecmp(s, "yes") || !strcasecmp(s, "true") || !strcmp(s, "1"))
		return *out = true, 0;
	if (!strcasecmp(s, "no") || !strcasecmp(s, "false") || !strcmp(s, "0"))
		return *out = false, 0;
	return -1;
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
		return n == 1 ? 0 : n == 2 ? parse_num(a, 0, 1e9, &ph->secs) : -1;
	}
	if (!strcmp(kind, "grow")) {
		if (n != 3 || parse_num(a, 0.001, 1e6, &rate) ||
		    parse_num(b, 0, 1 << 30, &to))
			return -1;
		ph->kind = MC_SIM_GROW;
	} else if (!strcmp(kind, "free")) {
		if (n == 3 && parse_num(b, 0, 1 << 30, &to))
			return -1;
		if (!strcmp(a, "all"))
			ph->kind = MC_SIM_FREE_ALL;
		else if (n >= 2 && !parse_num(a, 0.001, 1e6, &rate))
			ph->kind = MC_SIM_FREE;
		else
			return -1;
	} else {
		return -1;
	}
	ph->rate = rate * KIB_PER_MIB;
	ph->to = kib_of(to * KIB_PER_MIB);
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

static int handle_host(struct parse *p, const char *key, const char *value)
{
	double v;

	if (!strcmp(key, "total_mib") && !parse_mib(value, &p->host.total))
		return 1;
	if (!strcmp(key, "overhead_mib") && !parse_mib(value, &p->host.overhead))
		return 1;
	if (!strcmp(key, "duration") && !parse_num(value, 0.1, 1e9, &v))
		return p->host.duration = v, 1;
	if (!strcmp(key, "stats_period") && !parse_num(value, 0.1, 3600, &v))
		return p->host.stats_period = v, 1;
	return fail(p, "host", key, "unknown key or bad value '%s'", value);
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
		return parse_bool(value, &v->stats) ? -1 : 1;
	if (!strcmp(key, "start"))
		return parse_num(value, 0, 1e9, &v->start_at) ? -1 : 1;
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

static int handle_vm(struct parse *p, const char *section, const char *name,
		     const char *key, const char *value)
{
	struct vm_tmpl *t = tmpl_for(p, name);
	struct mc_sim_phase ph;
	double n;
	int rc;

	if (!t)
		return fail(p, section, key, "out of memory");
	rc = vm_key(&t->vm, key, value);
	if (rc)
		return rc > 0 ? 1 : fail(p, section, key, "bad value '%s'", value);
	if (!strcmp(key, "phase")) {
		if (parse_phase(value, &ph))
			return fail(p, section, key, "'%s' is not idle [S] | hold [S] | "
				    "grow R N | free R [N] | free all [N]", value);
		return add_phase(&t->vm, &ph) ? fail(p, section, key, "out of memory") : 1;
	}
	if (!strcmp(key, "count")) {
		if (parse_num(value, 1, MAX_COUNT, &n) || n != floor(n))
			return fail(p, section, key, "'%s' is not 1..%d", value, MAX_COUNT);
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
	return fail(p, section, key, "unknown key");
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

static int handler(void *user, const char *section, const char *key,
		   const char *value)
{
	struct parse *p = user;
	char name[MC_NAME_MAX];
	int rc;

	if (!strcmp(section, "host"))
		return handle_host(p, key, value);
	if (!strcmp(section, "defaults")) {
		rc = vm_key(&p->defaults, key, value);
		return rc > 0 ? 1 : fail(p, section, key, rc ? "bad value '%s'" :
					 "unknown key (value '%s')", value);
	}
	if (vm_name(section, name, sizeof(name)))
		return handle_vm(p, section, name, key, value);
	return fail(p, section, key, "unknown section (expected [host], "
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
	*used = sub_sat(actual, unused);
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

/* The workload the replayed guest had at s: its used memory minus what
 * this model counts as the guest's own (kernel, base, cache). */
static uint64_t replay_workload(const struct mc_sim_vm *v, double s)
{
	const struct mc_sim_replay *r = &v->replay;
	uint64_t own = v->kernel + v->base_used + v->cache_max, used;
	size_t lo = 0, hi = r->n - 1;

	if (s <= r->t[0])
		used = r->used[0];
	else if (s >= r->t[hi])
		used = r->used[hi];
	else {
		while (hi - lo > 1) {
			size_t mid = (lo + hi) / 2;

			if (r->t[mid] <= s)
				lo = mid;
			else
				hi = mid;
		}
		used = kib_of((double)r->used[lo] + ((double)r->used[hi] -
			      (double)r->used[lo]) * (s - r->t[lo]) /
			      (r->t[hi] - r->t[lo]));
	}
	return sub_sat(used, own);
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

static void boot_due(struct mc_sim_model *m);
static void stats_due(struct mc_sim_model *m);

struct mc_sim_model *mc_sim_model_load(const char *path, char *err,
				       size_t errlen)
{
	struct parse p = { .path = path, .err = err, .errlen = errlen };
	struct mc_sim_model *m = NULL;
	char why[512];
	size_t i;
	int line;

	p.host.total = 16384 * KIB_PER_MIB;
	p.host.overhead = 512 * KIB_PER_MIB;
	p.host.duration = 120;
	p.host.stats_period = 1;
	default_vm(&p.defaults);
	err[0] = '\0';
	line = ini_parse(path, handler, &p);
	if (line) {
		snprintf(why, sizeof(why), "%s", err);
		if (line < 0)
			snprintf(err, errlen, "%s: cannot read scenario: %s", path,
				 strerror(errno));
		else
			snprintf(err, errlen, "%s:%d: %s", path, line,
				 why[0] ? why : "syntax error");
		goto out;
	}
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
	if (m) {
		boot_due(m);
		stats_due(m);
	}
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

/* ==== the guest model ==== */

static void next_phase(struct mc_sim_vm *v)
{
	if (v->phase < v->nphases)
		v->phase++;
	v->phase_t = 0;
}

/* The process frees kib; pages in swap go in proportion. */
static void release(struct mc_sim_vm *v, uint64_t kib)
{
	uint64_t left = sub_sat(v->workload, kib);

	if (v->workload)
		v->swapped = (uint64_t)((double)v->swapped * (double)left /
					(double)v->workload);
	v->workload = left;
}

static void allocate(struct mc_sim_vm *v, uint64_t kib)
{
	v->workload += kib;
	v->cnt.minor_fault += kib / PAGE_KIB;	/* first touch of each page */
}

/* Runs dt seconds of the phase list; a phase that ends early hands the
 * rest of dt to the next. */
static void run_phases(struct mc_sim_vm *v, double dt)
{
	while (dt > 1e-9 && v->phase < v->nphases) {
		const struct mc_sim_phase *ph = &v->phases[v->phase];
		double left, need;

		switch (ph->kind) {
		case MC_SIM_IDLE:
		case MC_SIM_HOLD:
			if (ph->secs < 0)
				return;
			left = ph->secs - v->phase_t;
			if (dt < left) {
				v->phase_t += dt;
				return;
			}
			dt -= left;
			break;
		case MC_SIM_GROW:
			need = (double)sub_sat(ph->to, v->workload);
			if (ph->rate * dt < need) {
				allocate(v, kib_of(ph->rate * dt));
				return;
			}
			allocate(v, (uint64_t)need);
			dt -= need / ph->rate;
			break;
		case MC_SIM_FREE:
			need = (double)sub_sat(v->workload, ph->to);
			if (ph->rate * dt < need) {
				release(v, kib_of(ph->rate * dt));
				return;
			}
			release(v, (uint64_t)need);
			dt -= need / ph->rate;
			break;
		case MC_SIM_FREE_ALL:
			release(v, sub_sat(v->workload, ph->to));
			break;
		}
		next_phase(v);
	}
}

static void run_workload(struct mc_sim_vm *v, double now, double dt)
{
	uint64_t want;

	if (!v->replay.n) {
		run_phases(v, dt);
		return;
	}
	if (v->replay_killed)
		return;
	want = replay_workload(v, now - v->start_at);
	if (want > v->workload)
		allocate(v, want - v->workload);
	else
		release(v, v->workload - want);
}

/* The balloon moves at a finite rate and stops where the guest would have
 * to give up memory it uses (page cache is given up first). */
static void move_balloon(struct mc_sim_vm *v, double dt)
{
	uint64_t step = kib_of(MC_SIM_BALLOON_RATE * dt), floor;

	if (v->target > v->actual) {
		v->actual += min_u64(step, v->target - v->actual);
		return;
	}
	floor = v->kernel + v->base_used + (v->workload - v->swapped) + v->min_free;
	floor = max_u64(floor, v->target);
	if (v->actual > floor)
		v->actual -= min_u64(step, v->actual - floor);
}

/* The OOM killer: the workload dies, its memory (and swap) is freed, and
 * its current phase ends. */
static void oom_kill(struct mc_sim_vm *v)
{
	mc_debug("sim: %s: OOM killer ended the workload (%llu KiB)", v->name,
		 (unsigned long long)v->workload);
	v->oom_kills++;
	v->workload = 0;
	v->swapped = 0;
	if (v->replay.n)
		v->replay_killed = true;
	else
		next_phase(v);
}

/* Puts the workload into memory: what does not fit goes to swap, past swap
 * the OOM killer acts; room that appears swaps pages back in. */
static void fit(struct mc_sim_vm *v, double dt)
{
	uint64_t room = sub_sat(mc_sim_vm_available(v), v->base_used + v->min_free);
	uint64_t swapped = sub_sat(v->workload, room), spare;

	if (swapped > v->swapped) {
		/* only what fits in swap was written there; the rest is why
		 * the OOM killer runs below */
		v->cnt.swap_out += min_u64(swapped, v->swap_size) -
				   min_u64(v->swapped, v->swap_size);
	} else if (swapped < v->swapped) {
		v->cnt.swap_in += v->swapped - swapped;
		/* every page swapped in was a major fault */
		v->cnt.major_fault = v->cnt.swap_in / PAGE_KIB;
	}
	v->swapped = swapped;
	if (v->swapped > v->swap_size)
		oom_kill(v);
	spare = sub_sat(room, v->workload - v->swapped);
	if (v->cache > spare)
		v->cache = spare;	/* reclaimed before anything swaps */
	else
		v->cache += min_u64(min_u64(kib_of(MC_SIM_CACHE_REGROW * dt),
					    v->cache_max - min_u64(v->cache, v->cache_max)),
				    spare - v->cache);
}

static void take_stats(struct mc_sim_vm *v, int64_t now_ms)
{
	struct mc_memstats *r = &v->reported;

	r->actual = v->actual;
	r->available = mc_sim_vm_available(v);
	r->unused = mc_sim_vm_unused(v);
	r->usable = r->unused + v->cache;
	r->disk_caches = v->cache;
	r->rss = v->kernel + v->base_used + (v->workload - v->swapped) + v->cache;
	r->swap_in = v->cnt.swap_in;
	r->swap_out = v->cnt.swap_out;
	r->major_fault = v->cnt.major_fault;
	r->minor_fault = v->cnt.minor_fault;
	r->last_update = GUEST_EPOCH + now_ms / 1000;
	r->have_stats = true;
}

static void boot(struct mc_sim_vm *v)
{
	v->alive = true;
	v->actual = v->target = v->start_size;
	v->cache = v->cache_max;
	v->workload = v->swapped = 0;
	v->phase = 0;
	v->phase_t = 0;
	fit(v, 0);
}

static void boot_due(struct mc_sim_model *m)
{
	double now = mc_sim_model_now(m);
	size_t i;

	for (i = 0; i < m->nvms; i++) {
		struct mc_sim_vm *v = &m->vms[i];

		if (!v->alive && !v->gone && now >= v->start_at)
			boot(v);
		else if (v->alive && v->stop_at >= 0 && now >= v->stop_at) {
			v->alive = false;
			v->gone = true;
		}
	}
}

static void stats_due(struct mc_sim_model *m)
{
	double now = mc_sim_model_now(m);
	size_t i;

	if (m->stats_ms <= 0 || m->now_ms % m->stats_ms)
		return;
	for (i = 0; i < m->nvms; i++) {
		struct mc_sim_vm *v = &m->vms[i];

		if (v->alive && v->stats &&
		    (v->stats_stop_at < 0 || now < v->stats_stop_at))
			take_stats(v, m->now_ms);
	}
}

static void step_once(struct mc_sim_model *m, int64_t dt_ms)
{
	double dt = (double)dt_ms / 1000.0, now;
	size_t i;

	m->now_ms += dt_ms;
	now = mc_sim_model_now(m);
	for (i = 0; i < m->nvms; i++) {
		struct mc_sim_vm *v = &m->vms[i];

		if (!v->alive)
			continue;
		run_workload(v, now, dt);
		move_balloon(v, dt);
		fit(v, dt);
	}
	boot_due(m);
	stats_due(m);
}

void mc_sim_model_step(struct mc_sim_model *m, double secs)
{
	int64_t left = (int64_t)llround(secs * 1000);

	while (left > 0) {
		/* Never step across a stats boundary: stats land on time. */
		int64_t to_stats = m->stats_ms - m->now_ms % m->stats_ms;
		int64_t dt = left < MC_SIM_STEP_MS ? left : MC_SIM_STEP_MS;

		if (to_stats < dt)
			dt = to_stats;
		step_once(m, dt);
		left -= dt;
	}
}

/* ==== the backend ==== */

int mc_sim_model_collect(struct mc_sim_model *m, struct mc_snapshot *snap)
{
	size_t i;

	for (i = 0; i < m->nvms; i++) {
		const struct mc_sim_vm *v = &m->vms[i];
		struct mc_domain *d;

		if (!v->alive)
			continue;
		d = mc_snapshot_add(snap, v->name);
		if (!d)
			return -1;
		snprintf(d->uuid, sizeof(d->uuid), "%s", v->uuid);
		d->id = (int)i + 1;	/* set_target finds the VM by it */
		d->max = v->max;
		if (v->stats)
			d->cur = v->reported;
		d->cur.actual = v->actual;	/* the host knows it live */
	}
	snap->host.total = m->host.total;
	snap->host.free = mc_sim_host_free(m);
	snap->time = mc_sim_model_now(m);
	return 0;
}

static struct mc_sim_vm *find_vm(struct mc_sim_model *m, const struct mc_domain *d)
{
	size_t i;

	if (d->id > 0 && (size_t)d->id <= m->nvms &&
	    !strcmp(m->vms[d->id - 1].name, d->name))
		return &m->vms[d->id - 1];
	for (i = 0; i < m->nvms; i++)
		if (!strcmp(m->vms[i].name, d->name))
			return &m->vms[i];
	return NULL;
}

int mc_sim_model_set_target(struct mc_sim_model *m, const struct mc_domain *d,
			    uint64_t kib)
{
	struct mc_sim_vm *v = find_vm(m, d);
	int dir;

	if (!v || !v->alive) {
		mc_warn("sim: %s: no such running domain", d->name);
		return -1;
	}
	if (kib > v->max) {	/* libvirt refuses the same way */
		mc_warn("sim: %s: %llu KiB is above the domain's max", d->name,
			(unsigned long long)kib);
		return -1;
	}
	dir = kib > v->actual ? 1 : kib < v->actual ? -1 : 0;
	if (dir && v->last_dir && dir != v->last_dir)
		v->reversals++;
	if (dir)
		v->last_dir = dir;
	if (dir > 0)
		v->last_grow_at = mc_sim_model_now(m);
	v->resizes++;
	v->target = kib;
	return 0;
}

struct sim_backend {
	struct mc_backend base;
	struct mc_sim_model *m;
};

static int sim_collect(struct mc_backend *b, struct mc_snapshot *snap)
{
	return mc_sim_model_collect(((struct sim_backend *)b)->m, snap);
}

static int sim_set_target(struct mc_backend *b, const struct mc_domain *d,
			  uint64_t kib)
{
	return mc_sim_model_set_target(((struct sim_backend *)b)->m, d, kib);
}

static double sim_now(struct mc_backend *b)
{
	return mc_sim_model_now(((struct sim_backend *)b)->m);
}

static void sim_close(struct mc_backend *b)
{
	free(b);
}

static const struct mc_backend_ops sim_ops = {
	.collect = sim_collect,
	.set_target = sim_set_target,
	.now = sim_now,
	.close = sim_close,
};

struct mc_backend *mc_hv_sim_open(struct mc_sim_model *m, char *err,
				  size_t errlen)
{
	struct sim_backend *b = calloc(1, sizeof(*b));

	if (!b) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	b->base.ops = &sim_ops;
	b->base.kind = "sim";
	b->m = m;
	return &b->base;
}
