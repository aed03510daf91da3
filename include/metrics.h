/*
 * metrics.h - the Prometheus text-format metrics file ([output] metrics).
 *
 * After each sample the whole file is rewritten to a temporary name and
 * renamed over the old one, so a reader (node_exporter's textfile
 * collector, a script) never sees half a file.  Per-domain counters live
 * here, keyed by domain uuid and name, so they survive from sample to
 * sample and across a domain's restarts, and a reused name starts afresh.  Every function accepts NULL and does
 * nothing, so callers need not check whether the option is set.
 */
#ifndef MC_METRICS_H
#define MC_METRICS_H

#include <stdbool.h>
#include <stddef.h>

struct mc_clamp_result;
struct mc_coord_stats;
struct mc_metrics;
struct mc_snapshot;

/* path: the file to keep up to date.  Nothing is written until the first
 * sample.  NULL with err set when out of memory. */
struct mc_metrics *mc_metrics_open(const char *path, char *err, size_t errlen);
void mc_metrics_close(struct mc_metrics *m);
/* Removes the file (a daemon's clean exit: a scraper must not serve a
 * stopped daemon's last numbers as current).  A file already gone is fine;
 * any other failure is logged. */
void mc_metrics_remove(struct mc_metrics *m);

/* One sample: counts res's decisions (NULL when nothing was decided; no
 * resize calls are counted in a dry run), then rewrites the file.  s NULL:
 * the hypervisor could not be read; only the daemon's own series (health,
 * counters) are written, no stale host or domain values.  0, or
 * -1 when the file could not be written (logged once per failure run). */
int mc_metrics_sample(struct mc_metrics *m, const struct mc_snapshot *s,
		      const struct mc_clamp_result *res, bool dry_run,
		      const struct mc_coord_stats *daemon);

#endif
