/*
 * cpuset.c - sets of pCPU numbers: set algebra, cpulists, libvirt cpumaps.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpuset.h"

struct mc_cpuset mc_cpuset_first(unsigned n)
{
	struct mc_cpuset s = { { 0 } };
	unsigned i;

	for (i = 0; i < n && i < MC_CPUSET_MAX; i++)
		mc_cpuset_add(&s, i);
	return s;
}

struct mc_cpuset mc_cpuset_and(const struct mc_cpuset *a, const struct mc_cpuset *b)
{
	struct mc_cpuset s;
	size_t i;

	for (i = 0; i < MC_CPUSET_WORDS; i++)
		s.w[i] = a->w[i] & b->w[i];
	return s;
}

struct mc_cpuset mc_cpuset_minus(const struct mc_cpuset *a, const struct mc_cpuset *b)
{
	struct mc_cpuset s;
	size_t i;

	for (i = 0; i < MC_CPUSET_WORDS; i++)
		s.w[i] = a->w[i] & ~b->w[i];
	return s;
}

bool mc_cpuset_equal(const struct mc_cpuset *a, const struct mc_cpuset *b)
{
	return memcmp(a->w, b->w, sizeof(a->w)) == 0;
}

unsigned mc_cpuset_count(const struct mc_cpuset *s)
{
	unsigned n = 0;
	size_t i;

	for (i = 0; i < MC_CPUSET_WORDS; i++)
		n += (unsigned)__builtin_popcountll(s->w[i]);
	return n;
}

int mc_cpuset_lowest(const struct mc_cpuset *s)
{
	size_t i;

	for (i = 0; i < MC_CPUSET_WORDS; i++)
		if (s->w[i])
			return (int)(i * 64) + __builtin_ctzll(s->w[i]);
	return -1;
}

/* One decimal CPU number below MC_CPUSET_MAX at *p; advances *p. */
static int parse_cpu(const char **p, unsigned *cpu)
{
	char *end;
	unsigned long v;

	if (**p < '0' || **p > '9')
		return -1;
	errno = 0;
	v = strtoul(*p, &end, 10);
	if (errno || v >= MC_CPUSET_MAX)
		return -1;
	*p = end;
	*cpu = (unsigned)v;
	return 0;
}

int mc_cpuset_parse(const char *text, struct mc_cpuset *out)
{
	struct mc_cpuset s = { { 0 } };
	const char *p = text;
	unsigned lo, hi, c;

	for (;;) {
		if (parse_cpu(&p, &lo))
			return -1;
		hi = lo;
		if (*p == '-' && (p++, parse_cpu(&p, &hi) || hi < lo))
			return -1;
		for (c = lo; c <= hi; c++)
			mc_cpuset_add(&s, c);
		if (*p != ',')
			break;
		p++;
	}
	if (*p)
		return -1;
	*out = s;
	return 0;
}

const char *mc_cpuset_str(const struct mc_cpuset *s, char *buf, size_t len)
{
	size_t used = 0;
	unsigned c = 0;

	if (len)
		buf[0] = '\0';
	while (c < MC_CPUSET_MAX && used < len) {
		unsigned hi;
		int n;

		if (!mc_cpuset_has(s, c)) {
			c++;
			continue;
		}
		for (hi = c; hi + 1 < MC_CPUSET_MAX && mc_cpuset_has(s, hi + 1); hi++)
			;
		n = hi == c ? snprintf(buf + used, len - used, "%s%u", used ? "," : "", c) :
			snprintf(buf + used, len - used, "%s%u-%u", used ? "," : "", c, hi);
		used += n > 0 ? (size_t)n : 0;
		c = hi + 1;
	}
	return buf;
}

struct mc_cpuset mc_cpuset_from_map(const unsigned char *map, size_t maplen)
{
	struct mc_cpuset s = { { 0 } };
	size_t c;

	for (c = 0; c < maplen * 8 && c < MC_CPUSET_MAX; c++)
		if (map[c / 8] & (1u << (c % 8)))
			mc_cpuset_add(&s, (unsigned)c);
	return s;
}

void mc_cpuset_to_map(const struct mc_cpuset *s, unsigned char *map, size_t maplen)
{
	size_t c;

	memset(map, 0, maplen);
	for (c = 0; c < maplen * 8 && c < MC_CPUSET_MAX; c++)
		if (mc_cpuset_has(s, (unsigned)c))
			map[c / 8] |= (unsigned char)(1u << (c % 8));
}
