/*
 * events.c - the JSON-lines event log.
 *
 * Each event is built in memory and written with one write(2) to a file
 * opened O_APPEND, so a line is never split or interleaved, even when
 * logrotate's copytruncate or a second writer is at work.  Strings go
 * through json.c (RFC 8259; bytes that are not valid UTF-8, as domain
 * names and Lua error messages may be, become U+FFFD), so every line
 * parses.  The file is opened by fileio.c: never through a symlink, never
 * a FIFO or a device.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clamp.h"
#include "cpu_clamp.h"
#include "cpuset.h"
#include "events.h"
#include "fileio.h"
#include "json.h"
#include "ksm_clamp.h"
#include "log.h"
#include "snapshot.h"
#include "util.h"

struct mc_events {
	char *path;
	int fd;
	bool failing;		/* a write failed; warned once until one works */
	double (*clock)(void *arg);	/* a simulation's; NULL = the real one */
	void *clock_arg;
};

/* ---- a growable line ---- */

struct line {
	char *buf;
	size_t len, cap;
	bool oom;
};

static void put(struct line *l, const char *s, size_t n)
{
	if (l->oom)
		return;
	if (l->len + n + 1 > l->cap) {
		size_t cap = l->cap ? l->cap : 256;
		char *grown;

		while (cap < l->len + n + 1)
			cap *= 2;
		grown = realloc(l->buf, cap);
		if (!grown) {
			l->oom = true;
			return;
		}
		l->buf = grown;
		l->cap = cap;
	}
	memcpy(l->buf + l->len, s, n);
	l->len += n;
	l->buf[l->len] = '\0';
}

static void putf(struct line *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void putf(struct line *l, const char *fmt, ...)
{
	char tmp[128], *big;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < sizeof(tmp)) {
		put(l, tmp, (size_t)n);
		return;
	}
	/* A number of any size (a policy may propose 1e300 KiB) must not lose
	 * the event: print again into a buffer that fits. */
	big = n < 0 ? NULL : malloc((size_t)n + 1);
	if (!big) {
		l->oom = true;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	put(l, big, (size_t)n);
	free(big);
}

static void put_sink(void *sink, const char *bytes, size_t n)
{
	put(sink, bytes, n);
}

/* A JSON string, quotes included; NULL becomes null. */
static void put_str(struct line *l, const char *str)
{
	mc_json_str(put_sink, l, str);
}

static void put_key(struct line *l, const char *key)
{
	put(l, ",", 1);
	put_str(l, key);
	put(l, ":", 1);
}

static void put_key_str(struct line *l, const char *key, const char *value)
{
	put_key(l, key);
	put_str(l, value);
}

static void put_key_kib(struct line *l, const char *key, uint64_t kib)
{
	put_key(l, key);
	putf(l, "%llu", (unsigned long long)kib);
}

/* sec.ms as RFC 3339 with its UTC offset, to the millisecond: local time
 * is what an operator reads off a wall clock, yet unambiguous across DST;
 * a simulation's clock is written in UTC, the same on every host. */
static void format_ts(char *buf, size_t len, time_t sec, long ms, bool utc)
{
	struct tm tm;
	char date[32], zone[8];

	if (!(utc ? gmtime_r(&sec, &tm) : localtime_r(&sec, &tm)) ||
	    !strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm) ||
	    strftime(zone, sizeof(zone), "%z", &tm) != 5) {
		snprintf(buf, len, "unknown");
		return;
	}
	snprintf(buf, len, "%s.%03ld%.3s:%s", date, ms, zone, zone + 3);
}

static void timestamp(const struct mc_events *e, char *buf, size_t len)
{
	struct timespec ts;
	long long ms;

	if (e->clock) {
		ms = llround(e->clock(e->clock_arg) * 1000.0);
		format_ts(buf, len, (time_t)(ms / 1000), (long)(ms % 1000), true);
	} else if (clock_gettime(CLOCK_REALTIME, &ts)) {
		snprintf(buf, len, "unknown");
	} else {
		format_ts(buf, len, ts.tv_sec, ts.tv_nsec / 1000000L, false);
	}
}

static void begin(const struct mc_events *e, struct line *l, const char *kind)
{
	char ts[80];

	timestamp(e, ts, sizeof(ts));
	put(l, "{\"ts\":", 6);
	put_str(l, ts);
	put_key_str(l, "event", kind);
}

/* ---- writing ---- */

/* Closes the object, writes the line, frees it.  A full disk must not
 * stop the daemon: warn once, keep going, say when it works again. */
static void finish(struct mc_events *e, struct line *l)
{
	put(l, "}\n", 2);
	if (l->oom) {
		mc_warn("events: out of memory; an event was lost");
	} else {
		char why[MC_ERR_LEN];
		int rc = mc_file_append_record(e->fd, l->buf, l->len);

		if (rc)
			snprintf(why, sizeof(why), "cannot write %s: %s", e->path,
				 strerror(errno));
		mc_file_note(&e->failing, "events", e->path, rc ? why : NULL);
	}
	free(l->buf);
}

/* ---- the file ---- */

struct mc_events *mc_events_open(const char *path, char *err, size_t errlen)
{
	struct mc_events *e = calloc(1, sizeof(*e));

	if (!e || !(e->path = strdup(path))) {
		snprintf(err, errlen, "out of memory");
		free(e);
		return NULL;
	}
	e->fd = mc_file_open_append(path, err, errlen);
	if (e->fd < 0) {
		free(e->path);
		free(e);
		return NULL;
	}
	return e;
}

void mc_events_set_clock(struct mc_events *e, double (*now)(void *arg),
			 void *arg)
{
	if (!e)
		return;
	e->clock = now;
	e->clock_arg = arg;
}

int mc_events_reopen(struct mc_events *e)
{
	if (!e)
		return 0;
	return mc_file_reopen_append(&e->fd, "events", e->path);
}

void mc_events_close(struct mc_events *e)
{
	if (!e)
		return;
	if (close(e->fd))
		mc_warn("events: closing %s: %s", e->path, strerror(errno));
	free(e->path);
	free(e);
}

/* ---- the events ---- */

static const char *outcome_name(enum mc_events_outcome o)
{
	switch (o) {
	case MC_EVENTS_RESIZED: return "resized";
	case MC_EVENTS_FAILED:  return "failed";
	default:                return "dry_run";
	}
}

/* The clamp names as a JSON array, one rule at a time so each is whole;
 * str is mc_clamp_rules_str, mc_ksm_clamp_rules_str or
 * mc_cpu_clamp_rules_str. */
typedef const char *rules_str_fn(unsigned rules, char *buf, size_t len);

static void put_clamps(struct line *l, unsigned rules, rules_str_fn *str)
{
	unsigned bit;
	bool first = true;

	put_key(l, "clamps");
	put(l, "[", 1);
	for (bit = 1; bit && bit <= rules; bit <<= 1) {
		char name[32];

		if (!(rules & bit))
			continue;
		if (!first)
			put(l, ",", 1);
		first = false;
		put_str(l, str(bit, name, sizeof(name)));
	}
	put(l, "]", 1);
}

/* What the guest looked like when it was decided: the "why". */
static void put_guest(struct line *l, const struct mc_domain *d)
{
	if (d->cur.have_stats) {
		put_key_kib(l, "unused_kib", d->cur.unused);
		put_key_kib(l, "used_kib", mc_snapshot_used(d));
	} else {
		put_key_str(l, "unused_kib", NULL);
		put_key_str(l, "used_kib", NULL);
	}
	put_key_kib(l, "min_kib", d->track.min);
	put_key_kib(l, "max_kib", d->track.max);
}

void mc_events_resize(struct mc_events *e, const struct mc_domain *d,
		      const struct mc_decision *dec, const char *reason,
		      const char *policy, enum mc_events_outcome outcome)
{
	struct line l = { 0 };

	if (!e)
		return;
	begin(e, &l, "resize");
	put_key_str(&l, "domain", d->name);
	put_key_str(&l, "uuid", d->uuid);
	put_key_str(&l, "outcome", outcome_name(outcome));
	put_key_kib(&l, "before_kib", dec->from);
	put_key_kib(&l, "after_kib", dec->target);
	put_key(&l, "proposed_kib");
	if (isfinite(dec->proposed))
		putf(&l, "%.0f", dec->proposed);
	else
		put(&l, "null", 4);
	put_clamps(&l, dec->rules, mc_clamp_rules_str);
	put_key_str(&l, "reason", reason);
	put_key_str(&l, "policy", policy);
	put_guest(&l, d);
	finish(e, &l);
}

void mc_events_ksm(struct mc_events *e, const char *field, uint64_t from,
		   uint64_t to, double asked, unsigned rules, const char *reason,
		   const char *policy, enum mc_events_outcome outcome)
{
	struct line l = { 0 };

	if (!e)
		return;
	begin(e, &l, "ksm");
	put_key_str(&l, "setting", field);
	put_key_str(&l, "outcome", outcome_name(outcome));
	put_key(&l, "before");
	putf(&l, "%llu", (unsigned long long)from);
	put_key(&l, "after");
	putf(&l, "%llu", (unsigned long long)to);
	put_key(&l, "proposed");
	putf(&l, "%.0f", asked);	/* finite: the clamps drop the rest */
	put_clamps(&l, rules, mc_ksm_clamp_rules_str);
	put_key_str(&l, "reason", reason);
	put_key_str(&l, "policy", policy);
	finish(e, &l);
}

void mc_events_pin(struct mc_events *e, const struct mc_vcpu *v,
		   const struct mc_cpu_decision *dec, const char *policy,
		   enum mc_events_outcome outcome)
{
	struct line l = { 0 };
	char mask[MC_CPUSET_STR_LEN];

	if (!e)
		return;
	begin(e, &l, "pin");
	put_key_str(&l, "domain", v->domain);
	put_key_str(&l, "uuid", v->uuid);
	putf(&l, ",\"vcpu\":%u", v->vcpu);
	put_key_str(&l, "outcome", outcome == MC_EVENTS_RESIZED ? "pinned" :
		    outcome_name(outcome));
	put_key_str(&l, "before", mc_cpuset_str(&dec->from, mask, sizeof(mask)));
	put_key_str(&l, "after", mc_cpuset_str(&dec->target, mask, sizeof(mask)));
	put_key_str(&l, "proposed", mc_cpuset_str(&dec->proposed, mask, sizeof(mask)));
	put_clamps(&l, dec->rules, mc_cpu_clamp_rules_str);
	put_key_str(&l, "policy", policy);
	if (v->track.have_util)
		putf(&l, ",\"util\":%.1f,\"demand\":%.1f", v->track.util, v->track.demand);
	finish(e, &l);
}

void mc_events_policy(struct mc_events *e, const char *kind,
		      const char *policy, const char *why)
{
	struct line l = { 0 };

	if (!e)
		return;
	begin(e, &l, kind);
	put_key_str(&l, "policy", policy);
	put_key_str(&l, "why", why);
	finish(e, &l);
}

void mc_events_config_refused(struct mc_events *e, const char *path,
			      const char *why)
{
	struct line l = { 0 };

	if (!e)
		return;
	begin(e, &l, "config_refused");
	put_key_str(&l, "config", path);
	put_key_str(&l, "why", why);
	finish(e, &l);
}

void mc_events_reconnect(struct mc_events *e, const char *backend,
			 unsigned long count)
{
	struct line l = { 0 };

	if (!e)
		return;
	begin(e, &l, "reconnect");
	put_key_str(&l, "backend", backend);
	put_key(&l, "count");
	putf(&l, "%lu", count);
	finish(e, &l);
}
