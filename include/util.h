/*
 * util.h - the small things every module needs, said once: units, the
 * size of an error buffer, min/max, and the clocks.  Header-only, so it
 * pulls nothing else of memcoord in.
 */
#ifndef MC_UTIL_H
#define MC_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Memory is counted in KiB everywhere inside (libvirt's unit); MiB is
 * what people write in config files and policies. */
#define MC_KIB_PER_MIB 1024ULL
/* Prometheus and the Lua allocator count bytes. */
#define MC_BYTES_PER_KIB 1024ULL

/* KiB as MiB for people to read: a double, so 1536 KiB is 1.5 (dividing
 * by MC_KIB_PER_MIB alone would be integer division). */
static inline double mc_mib_of_kib(uint64_t kib) { return (double)kib / MC_KIB_PER_MIB; }

/* An error message buffer ("char err[MC_ERR_LEN]"): room for a path, a
 * reason and an escaped quote of the offending text; longer is cut. */
#define MC_ERR_LEN 512

/* A domain's uuid as text with its NUL ("xxxxxxxx-xxxx-...") */
#define MC_UUID_LEN 37

/* FNV-1a 64: a fast non-cryptographic hash, for hash tables and for
 * naming a version of a text (never for security). */
static inline uint64_t mc_fnv1a64(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t h = 14695981039346656037ULL;

	while (len--)
		h = (h ^ *p++) * 1099511628211ULL;
	return h;
}

static inline uint64_t mc_min_u64(uint64_t a, uint64_t b) { return a < b ? a : b; }
static inline uint64_t mc_max_u64(uint64_t a, uint64_t b) { return a > b ? a : b; }

/* Seconds on the given clock.  clock_gettime fails only for a clock the
 * kernel lacks; the ones below are all in Linux since 2.6.12, so 0 is a
 * value never seen in practice rather than an error to handle. */
static inline double mc_clock_seconds(clockid_t clock)
{
	struct timespec ts;

	if (clock_gettime(clock, &ts))
		return 0.0;
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* For deadlines and intervals: never jumps with the wall clock. */
static inline double mc_monotonic_seconds(void)
{
	return mc_clock_seconds(CLOCK_MONOTONIC);
}

/* CPU spent by the calling thread (decide() runs on the main thread). */
static inline double mc_thread_cpu_seconds(void)
{
	return mc_clock_seconds(CLOCK_THREAD_CPUTIME_ID);
}

/* CPU spent by the whole process (the policy worker is one thread). */
static inline double mc_process_cpu_seconds(void)
{
	return mc_clock_seconds(CLOCK_PROCESS_CPUTIME_ID);
}

#endif
