/*
 * snapshot.c - the sample container: grow, sort, find.  Each domain's name
 * is a heap copy owned by its entry.
 */
#include <stdlib.h>
#include <string.h>

#include "snapshot.h"

void mc_snapshot_init(struct mc_snapshot *s)
{
	memset(s, 0, sizeof(*s));
}

void mc_snapshot_free(struct mc_snapshot *s)
{
	mc_snapshot_clear(s);
	free(s->doms);
	mc_cpu_snap_free(&s->cpu);
	mc_snapshot_init(s);
}

void mc_snapshot_clear(struct mc_snapshot *s)
{
	while (s->ndoms)
		mc_snapshot_drop_last(s);
	memset(&s->host, 0, sizeof(s->host));
	s->time = 0;
	s->wall = 0;
	mc_cpu_snap_clear(&s->cpu);
}

struct mc_domain *mc_snapshot_add(struct mc_snapshot *s, const char *name)
{
	struct mc_domain *d;
	char *copy;

	if (s->ndoms == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct mc_domain *doms = realloc(s->doms, cap * sizeof(*doms));

		if (!doms)
			return NULL;
		s->doms = doms;
		s->cap = cap;
	}
	copy = strdup(name);
	if (!copy)
		return NULL;
	d = &s->doms[s->ndoms++];
	memset(d, 0, sizeof(*d));
	d->name = copy;
	d->id = -1;
	return d;
}

void mc_snapshot_drop_last(struct mc_snapshot *s)
{
	if (!s->ndoms)
		return;
	s->ndoms--;
	free(s->doms[s->ndoms].name);
	s->doms[s->ndoms].name = NULL;
}

static int cmp_domain(const void *a, const void *b)
{
	return strcmp(((const struct mc_domain *)a)->name,
		      ((const struct mc_domain *)b)->name);
}

static int cmp_name_domain(const void *name, const void *dom)
{
	return strcmp(name, ((const struct mc_domain *)dom)->name);
}

void mc_snapshot_sort(struct mc_snapshot *s)
{
	if (s->ndoms > 1)
		qsort(s->doms, s->ndoms, sizeof(*s->doms), cmp_domain);
}

struct mc_domain *mc_snapshot_find(const struct mc_snapshot *s, const char *name)
{
	if (!s->ndoms)
		return NULL;
	return bsearch(name, s->doms, s->ndoms, sizeof(*s->doms), cmp_name_domain);
}

uint64_t mc_snapshot_used(const struct mc_domain *d)
{
	if (!d->cur.have_stats || d->cur.unused >= d->cur.actual)
		return 0;
	return d->cur.actual - d->cur.unused;
}
