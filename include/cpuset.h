/*
 * cpuset.h - a set of physical CPU numbers, as libvirt's cpumaps and the
 * kernel's cpulists ("0-3,6") spell them.
 *
 * Fixed size (MC_CPUSET_MAX CPUs) so a set is plain data: copied by
 * assignment, compared with ==, no allocation.  CPUs at or above the limit
 * are refused where they are parsed and ignored where a host reports them.
 */
#ifndef MC_CPUSET_H
#define MC_CPUSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MC_CPUSET_MAX	256
#define MC_CPUSET_WORDS	(MC_CPUSET_MAX / 64)
/* "0-255" with every other CPU is the longest list: 256 * "255," */
#define MC_CPUSET_STR_LEN	1024

struct mc_cpuset {
	uint64_t w[MC_CPUSET_WORDS];
};

static inline void mc_cpuset_add(struct mc_cpuset *s, unsigned cpu)
{
	if (cpu < MC_CPUSET_MAX)
		s->w[cpu / 64] |= 1ULL << (cpu % 64);
}

static inline bool mc_cpuset_has(const struct mc_cpuset *s, unsigned cpu)
{
	return cpu < MC_CPUSET_MAX && (s->w[cpu / 64] >> (cpu % 64)) & 1;
}

/* {0 .. n-1} */
struct mc_cpuset mc_cpuset_first(unsigned n);
struct mc_cpuset mc_cpuset_and(const struct mc_cpuset *a, const struct mc_cpuset *b);
struct mc_cpuset mc_cpuset_minus(const struct mc_cpuset *a, const struct mc_cpuset *b);
bool mc_cpuset_equal(const struct mc_cpuset *a, const struct mc_cpuset *b);
unsigned mc_cpuset_count(const struct mc_cpuset *s);
/* The lowest CPU in s, or -1 when s is empty. */
int mc_cpuset_lowest(const struct mc_cpuset *s);
/* "0-3,6" (strict: ascending or not, no spaces, no empty items, every
 * number below MC_CPUSET_MAX).  0, or -1 with *s untouched. */
int mc_cpuset_parse(const char *text, struct mc_cpuset *s);
/* The cpulist of s ("" when empty), cut to fit len. */
const char *mc_cpuset_str(const struct mc_cpuset *s, char *buf, size_t len);
/* libvirt's cpumap (one bit a CPU, 8 a byte) of maplen bytes, and back. */
struct mc_cpuset mc_cpuset_from_map(const unsigned char *map, size_t maplen);
void mc_cpuset_to_map(const struct mc_cpuset *s, unsigned char *map, size_t maplen);

#endif
