/*
 * cpu_snapshot.c - the vCPU/pCPU sample container: grow, sort, find.
 */
#include <stdlib.h>
#include <string.h>

#include "cpu_snapshot.h"

void mc_cpu_snap_init(struct mc_cpu_snap *s)
{
	memset(s, 0, sizeof(*s));
}

void mc_cpu_snap_clear(struct mc_cpu_snap *s)
{
	size_t i;

	for (i = 0; i < s->nvcpus; i++)
		free(s->vcpus[i].domain);
	s->nvcpus = 0;
	s->npcpus = 0;
	s->collected = false;
	memset(s->pcpus, 0, sizeof(s->pcpus));
}

void mc_cpu_snap_free(struct mc_cpu_snap *s)
{
	mc_cpu_snap_clear(s);
	free(s->vcpus);
	mc_cpu_snap_init(s);
}

struct mc_vcpu *mc_cpu_snap_add_vcpu(struct mc_cpu_snap *s, const char *domain,
				     unsigned vcpu)
{
	struct mc_vcpu *v;
	char *copy;

	if (s->nvcpus == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct mc_vcpu *grown = realloc(s->vcpus, cap * sizeof(*grown));

		if (!grown)
			return NULL;
		s->vcpus = grown;
		s->cap = cap;
	}
	copy = strdup(domain);
	if (!copy)
		return NULL;
	v = &s->vcpus[s->nvcpus++];
	memset(v, 0, sizeof(*v));
	v->domain = copy;
	v->vcpu = vcpu;
	v->id = -1;
	v->pcpu = -1;
	v->track.moved_at = -1;
	return v;
}

static int cmp_key(const char *domain, unsigned vcpu, const struct mc_vcpu *v)
{
	int c = strcmp(domain, v->domain);

	return c ? c : (vcpu > v->vcpu) - (vcpu < v->vcpu);
}

static int cmp_vcpu(const void *a, const void *b)
{
	const struct mc_vcpu *x = a;

	return cmp_key(x->domain, x->vcpu, b);
}

void mc_cpu_snap_sort(struct mc_cpu_snap *s)
{
	if (s->nvcpus > 1)
		qsort(s->vcpus, s->nvcpus, sizeof(*s->vcpus), cmp_vcpu);
}

struct mc_vcpu *mc_cpu_snap_find(const struct mc_cpu_snap *s, const char *domain,
				 unsigned vcpu)
{
	size_t lo = 0, hi = s->nvcpus;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = cmp_key(domain, vcpu, &s->vcpus[mid]);

		if (!c)
			return &s->vcpus[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

struct mc_cpuset mc_cpu_snap_online(const struct mc_cpu_snap *s)
{
	struct mc_cpuset on = { { 0 } };
	unsigned i;

	for (i = 0; i < s->npcpus; i++)
		if (s->pcpus[i].online)
			mc_cpuset_add(&on, i);
	return on;
}
