/*
 * cpu_sim.c - pCPUs and vCPUs for the simulator (see cpu_sim.h).
 *
 * Time is kept in integer nanoseconds per vCPU and pCPU, as a host counts
 * it, so the coordinator's utilization arithmetic is exercised exactly as
 * on libvirt.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_sim.h"
#include "cpu_snapshot.h"
#include "inifile.h"
#include "log.h"
#include "snapshot.h"

#define MAX_VCPUS_PER_VM 64
/* The kernel moves a vCPU only when that lowers the load it leaves by
 * more than this (fraction of a pCPU): it does not chase noise. */
#define KERNEL_IMBALANCE 0.02

struct sim_vcpu {
	char *domain;		/* owned */
	unsigned vcpu;
	double duty;		/* fraction of one pCPU it wants */
	struct mc_cpuset affinity;
	unsigned on;		/* pCPU it runs on */
	uint64_t time_ns, delay_ns;
};

struct sim_pcpu {
	uint64_t busy_ns, total_ns;
	double load;		/* sum of duty on it, this step */
};

struct mc_cpu_sim {
	unsigned npcpus;
	struct sim_vcpu *v;
	size_t nv;
	struct sim_pcpu p[MC_CPUSET_MAX];
	uint64_t now_ns;
	mc_cpu_sim_pin_fn *on_pin;
	void *on_pin_arg;
	/* parsing */
	bool seen_cpu;
	size_t section_first;	/* first vCPU of the [vcpu] being read */
};

static const char *vcpu_section(const char *section, size_t *len)
{
	size_t n = strlen(section);

	if (strncmp(section, "vcpu \"", 6) || n < 7 || section[n - 1] != '"')
		return NULL;
	*len = n - 7;
	return section + 6;
}

bool mc_cpu_sim_section(const char *section)
{
	size_t len;

	return !strcmp(section, "cpu") || vcpu_section(section, &len);
}

/* ---- parsing ---- */

static int add_vcpu(struct mc_cpu_sim *cs, const char *name, size_t len)
{
	struct sim_vcpu *grown = realloc(cs->v, (cs->nv + 1) * sizeof(*grown));

	if (!grown)
		return -1;
	cs->v = grown;
	memset(&grown[cs->nv], 0, sizeof(*grown));
	grown[cs->nv].domain = strndup(name, len);
	grown[cs->nv].duty = 1.0;
	grown[cs->nv].affinity = mc_cpuset_first(MC_CPUSET_MAX);
	if (!grown[cs->nv].domain)
		return -1;
	cs->nv++;
	return 0;
}

/* count = N: the section's vCPU is copied to indices 1 .. N-1. */
static int set_count(struct mc_cpu_sim *cs, long n)
{
	long i;

	for (i = 1; i < n; i++) {
		const struct sim_vcpu *first = &cs->v[cs->section_first];

		if (add_vcpu(cs, first->domain, strlen(first->domain)))
			return -1;
		first = &cs->v[cs->section_first];
		cs->v[cs->nv - 1].duty = first->duty;
		cs->v[cs->nv - 1].affinity = first->affinity;
		cs->v[cs->nv - 1].on = first->on;
		cs->v[cs->nv - 1].vcpu = (unsigned)i;
	}
	return 0;
}

static int vcpu_key(struct mc_ini *ini, const char *section, const char *key,
		    const char *value)
{
	struct mc_cpu_sim *cs = ini->user;
	struct sim_vcpu *v = &cs->v[cs->section_first];
	long n;

	if (cs->nv != cs->section_first + 1)
		return mc_ini_fail(ini, section, key, "after count = N: put count last");
	if (!strcmp(key, "duty"))
		return mc_ini_double(value, 0, 1, &v->duty) ? mc_ini_fail(ini, section, key,
			"'%s' is not a fraction of a pCPU (0..1)", value) : 1;
	if (!strcmp(key, "pin")) {
		if (mc_cpuset_parse(value, &v->affinity))
			return mc_ini_fail(ini, section, key, "'%s' is not a CPU list", value);
		v->on = (unsigned)mc_cpuset_lowest(&v->affinity);
		return 1;
	}
	if (!strcmp(key, "start_pcpu"))
		return mc_ini_long(value, 0, MC_CPUSET_MAX - 1, &n) ? mc_ini_fail(ini,
			section, key, "'%s' is not a pCPU number", value) : (v->on = (unsigned)n, 1);
	if (!strcmp(key, "count")) {
		if (mc_ini_long(value, 1, MAX_VCPUS_PER_VM, &n))
			return mc_ini_fail(ini, section, key, "'%s' is not 1..%d", value, MAX_VCPUS_PER_VM);
		return set_count(cs, n) ? mc_ini_fail(ini, section, key, "out of memory") : 1;
	}
	return mc_ini_fail(ini, section, key, "unknown key");
}

static int handler(struct mc_ini *ini, const char *section, const char *key,
		   const char *value)
{
	struct mc_cpu_sim *cs = ini->user;
	const char *name;
	size_t len;
	long n;

	if (!strcmp(section, "cpu")) {
		cs->seen_cpu = true;
		if (!key)
			return 1;
		if (strcmp(key, "pcpus") || mc_ini_long(value, 1, MC_CPUSET_MAX, &n))
			return mc_ini_fail(ini, section, key, "unknown key, or not 1..%d pCPUs",
					   MC_CPUSET_MAX);
		cs->npcpus = (unsigned)n;
		return 1;
	}
	name = vcpu_section(section, &len);
	if (!name)
		return 1;	/* sim_scenario.c's */
	if (key)
		return vcpu_key(ini, section, key, value);
	if (!len)
		return mc_ini_fail(ini, section, NULL, "empty VM name");
	cs->section_first = cs->nv;
	return add_vcpu(cs, name, len) ? mc_ini_fail(ini, section, NULL, "out of memory") : 1;
}

/* Every vCPU starts on a pCPU of the host within its affinity. */
static int check(struct mc_cpu_sim *cs, const char *path, char *err, size_t errlen)
{
	struct mc_cpuset host = mc_cpuset_first(cs->npcpus);
	size_t i;

	for (i = 0; i < cs->nv; i++) {
		struct sim_vcpu *v = &cs->v[i];

		v->affinity = mc_cpuset_and(&v->affinity, &host);
		if (!mc_cpuset_count(&v->affinity) || !mc_cpuset_has(&v->affinity, v->on)) {
			snprintf(err, errlen, "%s: [vcpu \"%s\"]: pin/start_pcpu outside the "
				 "host's %u pCPUs", path, v->domain, cs->npcpus);
			mc_ini_escape(err, errlen);
			return -1;
		}
	}
	return 0;
}

struct mc_cpu_sim *mc_cpu_sim_load(const char *path, char *err, size_t errlen)
{
	struct mc_cpu_sim *cs = calloc(1, sizeof(*cs));
	int rc;

	err[0] = '\0';
	if (!cs) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	rc = mc_ini_parse(path, handler, cs, err, errlen);
	if (!rc && cs->seen_cpu && !cs->npcpus) {
		snprintf(err, errlen, "%s: [cpu] needs pcpus = N", path);
		mc_ini_escape(err, errlen);
		rc = -1;
	}
	if (!rc && cs->seen_cpu)
		rc = check(cs, path, err, errlen);
	if (rc || !cs->seen_cpu) {	/* no [cpu]: no CPU model, err "" */
		mc_cpu_sim_free(cs);
		return NULL;
	}
	return cs;
}

void mc_cpu_sim_free(struct mc_cpu_sim *cs)
{
	size_t i;

	if (!cs)
		return;
	for (i = 0; i < cs->nv; i++)
		free(cs->v[i].domain);
	free(cs->v);
	free(cs);
}

/* ---- the model ---- */

static void compute_loads(struct mc_cpu_sim *cs)
{
	size_t i;

	for (i = 0; i < cs->npcpus; i++)
		cs->p[i].load = 0;
	for (i = 0; i < cs->nv; i++)
		cs->p[cs->v[i].on].load += cs->v[i].duty;
}

/* The least loaded pCPU of v's affinity (lowest number on a tie). */
static unsigned least_loaded(const struct mc_cpu_sim *cs, const struct sim_vcpu *v)
{
	unsigned c, best = v->on;
	bool have = mc_cpuset_has(&v->affinity, v->on);

	for (c = 0; c < cs->npcpus; c++)
		if (mc_cpuset_has(&v->affinity, c) && (!have || cs->p[c].load < cs->p[best].load)) {
			best = c;
			have = true;
		}
	return best;
}

/* The kernel: a vCPU off its affinity goes at once; a free one moves
 * when the move lowers the load it leaves. */
static void kernel_balance(struct mc_cpu_sim *cs)
{
	size_t i;

	compute_loads(cs);
	for (i = 0; i < cs->nv; i++) {
		struct sim_vcpu *v = &cs->v[i];
		unsigned to = least_loaded(cs, v);
		bool off = !mc_cpuset_has(&v->affinity, v->on);

		if (to == v->on || (!off && cs->p[to].load + v->duty >=
					     cs->p[v->on].load - KERNEL_IMBALANCE))
			continue;
		cs->p[v->on].load -= v->duty;
		cs->p[to].load += v->duty;
		v->on = to;
	}
}

void mc_cpu_sim_step(struct mc_cpu_sim *cs, double secs)
{
	uint64_t dt = (uint64_t)llround(secs * 1e9);
	size_t i;

	kernel_balance(cs);
	for (i = 0; i < cs->npcpus; i++) {
		cs->p[i].busy_ns += (uint64_t)llround(fmin(1, cs->p[i].load) * (double)dt);
		cs->p[i].total_ns += dt;
	}
	for (i = 0; i < cs->nv; i++) {
		struct sim_vcpu *v = &cs->v[i];
		double load = cs->p[v->on].load;
		double got = load > 1 ? v->duty / load : v->duty;

		v->time_ns += (uint64_t)llround(got * (double)dt);
		v->delay_ns += (uint64_t)llround((v->duty - got) * (double)dt);
	}
	cs->now_ns += dt;
}

static int cmp_dom_ptr(const void *a, const void *b)
{
	return strcmp((*(const struct mc_domain *const *)a)->name,
		      (*(const struct mc_domain *const *)b)->name);
}

static int cmp_name_dom_ptr(const void *name, const void *d)
{
	return strcmp(name, (*(const struct mc_domain *const *)d)->name);
}

static int add_vcpu_of(const struct sim_vcpu *v, const struct mc_domain *d,
		       struct mc_cpu_snap *c)
{
	struct mc_vcpu *o = mc_cpu_snap_add_vcpu(c, v->domain, v->vcpu);

	if (!o)
		return -1;
	memcpy(o->uuid, d->uuid, sizeof(o->uuid));
	o->id = d->id;
	o->time_ns = v->time_ns;
	o->delay_ns = v->delay_ns;
	o->have_delay = true;
	o->pcpu = (int)v->on;
	o->affinity = v->affinity;
	return 0;
}

/* The running domains by name (the snapshot is not sorted yet), so each
 * vCPU finds its domain in O(log n). */
int mc_cpu_sim_collect(const struct mc_cpu_sim *cs, struct mc_snapshot *snap)
{
	const struct mc_domain **by = calloc(snap->ndoms + 1, sizeof(*by));
	size_t i;

	if (!by)
		return -1;
	for (i = 0; i < snap->ndoms; i++)
		by[i] = &snap->doms[i];
	qsort(by, snap->ndoms, sizeof(*by), cmp_dom_ptr);
	for (i = 0; i < cs->nv; i++) {
		const struct mc_domain **d = snap->ndoms ?
			bsearch(cs->v[i].domain, by, snap->ndoms, sizeof(*by), cmp_name_dom_ptr) : NULL;

		if (d && add_vcpu_of(&cs->v[i], *d, &snap->cpu)) {
			free(by);
			return -1;
		}
	}
	free(by);
	snap->cpu.npcpus = cs->npcpus;
	for (i = 0; i < cs->npcpus; i++)
		snap->cpu.pcpus[i] = (struct mc_pcpu){ .online = true, .have_times = true,
			.busy_ns = cs->p[i].busy_ns, .total_ns = cs->p[i].total_ns };
	snap->cpu.collected = true;
	return 0;
}

int mc_cpu_sim_pin(struct mc_cpu_sim *cs, const struct mc_vcpu *vc,
		   const struct mc_cpuset *mask)
{
	struct mc_cpuset host = mc_cpuset_first(cs->npcpus);
	struct mc_cpuset m = mc_cpuset_and(mask, &host);
	size_t i;

	for (i = 0; i < cs->nv; i++) {
		struct sim_vcpu *v = &cs->v[i];

		if (strcmp(v->domain, vc->domain) || v->vcpu != vc->vcpu)
			continue;
		if (!mc_cpuset_count(&m)) {
			mc_warn("sim: %s vcpu %u: no pCPU of the host in the mask", v->domain, v->vcpu);
			return -1;
		}
		if (!mc_cpuset_equal(&v->affinity, &m) && cs->on_pin)
			cs->on_pin(cs->on_pin_arg, i, &v->affinity, &m);
		v->affinity = m;
		return 0;
	}
	mc_warn("sim: %s vcpu %u: no such vCPU", vc->domain, vc->vcpu);
	return -1;
}

unsigned mc_cpu_sim_npcpus(const struct mc_cpu_sim *cs) { return cs->npcpus; }
size_t mc_cpu_sim_nvcpus(const struct mc_cpu_sim *cs) { return cs->nv; }

void mc_cpu_sim_vcpu(const struct mc_cpu_sim *cs, size_t i, struct mc_cpu_sim_vcpu *out)
{
	const struct sim_vcpu *v = &cs->v[i];

	*out = (struct mc_cpu_sim_vcpu){ .domain = v->domain, .vcpu = v->vcpu,
		.pcpu = v->on, .time = (double)v->time_ns / 1e9, .affinity = v->affinity };
}

void mc_cpu_sim_on_pin(struct mc_cpu_sim *cs, mc_cpu_sim_pin_fn *fn, void *arg)
{
	cs->on_pin = fn;
	cs->on_pin_arg = arg;
}
