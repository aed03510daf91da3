/*
 * status.c - the daemon's state for `memcoord status` (see status.h).
 *
 * Reads the coordinator through its accessors only; writes nothing but
 * out.  Times are wall-clock seconds since the epoch in JSON and local
 * ISO 8601 in the table.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "clamp.h"
#include "config.h"
#include "coordinator.h"
#include "inifile.h"
#include "json.h"
#include "snapshot.h"
#include "status.h"
#include "util.h"

static const char *policy_state(const struct mc_coord_health *h)
{
	if (!h->policy_error[0])
		return "ok";
	return h->fallback_active ? "fallback" : "failing";
}

static void when_str(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (!t || !localtime_r(&t, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm))
		snprintf(buf, len, "-");
}

/* Hostile text (names, Lua errors) for a terminal: printable only. */
static const char *safe(const char *s, char *buf, size_t len)
{
	snprintf(buf, len, "%s", s ? s : "");
	mc_ini_escape(buf, len);
	return buf;
}

/* ---- the table ---- */

static void table_head(FILE *out, const struct mc_config *cfg,
		       const struct mc_coord_stats *st,
		       const struct mc_coord_health *h)
{
	char buf[MC_ERR_LEN], since[32];

	when_str(h->policy_failing_since, since, sizeof(since));
	fprintf(out, "policy     %s\n", safe(h->policy_path, buf, sizeof(buf)));
	fprintf(out, "hash       fnv1a64:%016" PRIx64 "\n", h->policy_hash);
	fprintf(out, "state      %s", policy_state(h));
	if (h->policy_error[0])
		fprintf(out, " since %s: %s", since, safe(h->policy_error, buf, sizeof(buf)));
	when_str(h->backend_failing_since, since, sizeof(since));
	fprintf(out, "\nlibvirt    %s %s", safe(cfg->uri, buf, sizeof(buf)),
		h->backend_failing ? "unreachable since " :
		h->last_sample ? "connected" : "not sampled yet");
	fprintf(out, "%s, %lu reconnects\n", h->backend_failing ? since : "", st->reconnects);
	fprintf(out, "mode       %s\n", cfg->dry_run ? "dry run (nothing resized)" : "resizing");
	fprintf(out, "counters   %lu samples, %lu decides, %lu resizes, %lu resize failures, "
		"%lu policy errors, %lu reloads, %lu refused\n", st->samples, st->decides,
		st->resizes, st->resize_failures, st->policy_errors, st->policy_reloads,
		st->policy_refusals);
}

static void table_row(FILE *out, const struct mc_domain *d,
		      const struct mc_coord_decision *dec)
{
	char name[256], rules[96], when[32], target[24];

	snprintf(target, sizeof(target), "-");
	rules[0] = '\0';
	when_str(dec ? dec->when : 0, when, sizeof(when));
	if (dec) {
		snprintf(target, sizeof(target), "%.1f", mc_mib_of_kib(dec->target));
		mc_clamp_rules_str(dec->rules, rules, sizeof(rules));
	}
	fprintf(out, "%-20s %-36s %10.1f %10s  %-19s  %s\n", safe(d->name, name, sizeof(name)),
		d->uuid, mc_mib_of_kib(d->cur.actual), target, when, rules[0] ? rules : "-");
}

static void write_table(FILE *out, const struct mc_config *cfg,
			const struct mc_coord *coord, const struct mc_coord_health *h)
{
	const struct mc_snapshot *s = mc_coord_snapshot(coord);
	size_t i;

	table_head(out, cfg, mc_coord_stats(coord), h);
	fprintf(out, "\n%-20s %-36s %10s %10s  %-19s  %s\n", "domain", "uuid",
		"actual MiB", "target MiB", "decided", "clamps");
	for (i = 0; s && i < s->ndoms; i++)
		table_row(out, &s->doms[i], mc_coord_decision_find(h, s->doms[i].uuid));
}

/* ---- JSON ---- */

static void jkey_str(FILE *out, const char *key, const char *val, const char *sep)
{
	fprintf(out, "\"%s\":", key);
	mc_json_str(mc_json_put_file, out, val);
	fputs(sep, out);
}

static void json_domain(FILE *out, const struct mc_domain *d,
			const struct mc_coord_decision *dec)
{
	char rules[96];

	jkey_str(out, "name", d->name, ",");
	jkey_str(out, "uuid", d->uuid, ",");
	fprintf(out, "\"actual_kib\":%" PRIu64 ",\"decision\":", d->cur.actual);
	if (!dec) {
		fputs("null", out);
		return;
	}
	fprintf(out, "{\"from_kib\":%" PRIu64 ",\"proposed_kib\":%.0f,\"target_kib\":%"
		PRIu64 ",\"resize\":%s,\"time\":%lld,", dec->from,
		isfinite(dec->proposed) ? dec->proposed : -1.0, dec->target,
		dec->act ? "true" : "false", (long long)dec->when);
	jkey_str(out, "clamps", mc_clamp_rules_str(dec->rules, rules, sizeof(rules)), "}");
}

static void json_policy(FILE *out, const struct mc_coord_stats *st,
			const struct mc_coord_health *h)
{
	char hash[32];

	snprintf(hash, sizeof(hash), "fnv1a64:%016" PRIx64, h->policy_hash);
	fputs("\"policy\":{", out);
	jkey_str(out, "path", h->policy_path, ",");
	jkey_str(out, "hash", hash, ",");
	jkey_str(out, "state", policy_state(h), ",");
	jkey_str(out, "error", h->policy_error[0] ? h->policy_error : NULL, ",");
	fprintf(out, "\"failing_since\":%lld,\"errors\":%lu,\"fallbacks\":%lu,"
		"\"reloads\":%lu,\"refusals\":%lu,\"worker_restarts\":%lu},",
		(long long)h->policy_failing_since, st->policy_errors, st->policy_fallbacks,
		st->policy_reloads, st->policy_refusals, st->policy_worker_restarts);
}

static void write_json(FILE *out, const struct mc_config *cfg,
		       const struct mc_coord *coord, const struct mc_coord_health *h)
{
	const struct mc_coord_stats *st = mc_coord_stats(coord);
	const struct mc_snapshot *s = mc_coord_snapshot(coord);
	size_t i;

	fputc('{', out);
	json_policy(out, st, h);
	fputs("\"libvirt\":{", out);
	jkey_str(out, "uri", cfg->uri, ",");
	fprintf(out, "\"connected\":%s,\"failing_since\":%lld,\"reconnects\":%lu},",
		h->backend_failing || !h->last_sample ? "false" : "true", (long long)h->backend_failing_since,
		st->reconnects);
	fprintf(out, "\"dry_run\":%s,\"last_sample\":%lld,\"samples\":%lu,\"decides\":%lu,"
		"\"resizes\":%lu,\"resize_failures\":%lu,\"domains\":[",
		cfg->dry_run ? "true" : "false", (long long)h->last_sample, st->samples,
		st->decides, st->resizes, st->resize_failures);
	for (i = 0; s && i < s->ndoms; i++) {
		fputs(i ? ",{" : "{", out);
		json_domain(out, &s->doms[i], mc_coord_decision_find(h, s->doms[i].uuid));
		fputc('}', out);
	}
	fputs("]}\n", out);
}

void mc_status_write(FILE *out, const struct mc_config *cfg,
		     const struct mc_coord *coord, bool json)
{
	struct mc_coord_health h;

	mc_coord_health(coord, &h);
	if (json)
		write_json(out, cfg, coord, &h);
	else
		write_table(out, cfg, coord, &h);
}
