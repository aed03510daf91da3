/* fuzz_result.c - libFuzzer target: what decide() returns, read back by
 * the policy bridge and clamped.  The input is the Lua expression the
 * policy returns (targets, and host settings after a comma); whatever it
 * is, the call succeeds or fails cleanly, every action respects the
 * domain's max and min, and every KSM write its bounds. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "clamp.h"
#include "ksm_clamp.h"
#include "log.h"
#include "policy.h"
#include "util.h"

/* The host settings (a second return value) through their clamps: every
 * write is a settable file, within the bounds, run 0 or 1, a change. */
static void check_ksm(const struct mc_ksm_request *req)
{
	const struct mc_ksm_limits lim = { .on = true, .pages_to_scan_min = 64,
		.pages_to_scan_max = 1250, .sleep_millisecs_min = 10,
		.sleep_millisecs_max = 1000 };
	const struct mc_ksm cur = { .have = true, .v = { [MC_KSM_PAGES_TO_SCAN] = 100 } };
	struct mc_ksm_plan plan;
	size_t i;

	mc_ksm_clamp(&cur, req, &lim, &plan);
	for (i = 0; i < plan.n; i++) {
		const struct mc_ksm_change *c = &plan.c[i];

		if (!mc_ksm_settable(c->field) || c->to == cur.v[c->field] ||
		    (c->field == MC_KSM_RUN && c->to > 1) ||
		    (c->field == MC_KSM_PAGES_TO_SCAN && (c->to < 64 || c->to > 1250)) ||
		    (c->field == MC_KSM_SLEEP_MILLISECS && (c->to < 10 || c->to > 1000)))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void make_snapshot(struct mc_snapshot *s)
{
	static const char *const names[] = { "vm1", "vm2", "web-1" };
	size_t i;

	mc_snapshot_init(s);
	for (i = 0; i < 3; i++) {
		struct mc_domain *d = mc_snapshot_add(s, names[i]);

		d->track.max = 2048 * MC_KIB_PER_MIB;
		d->track.min = 256 * MC_KIB_PER_MIB;
		d->cur.actual = 512 * MC_KIB_PER_MIB;
		d->cur.unused = 200 * MC_KIB_PER_MIB;
		d->cur.have_stats = i != 2;
	}
	mc_snapshot_sort(s);
	s->host.free = 8192 * MC_KIB_PER_MIB;
}

static void check(const struct mc_snapshot *s, const struct mc_clamp_result *r)
{
	size_t i;

	for (i = 0; i < r->ndec; i++) {
		const struct mc_decision *dec = &r->dec[i];
		const struct mc_domain *d = &s->doms[dec->dom];

		if (dec->act && (dec->target > d->track.max || dec->target < d->track.min ||
				 !d->cur.have_stats))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char head[] = "function decide(domains, host, ctx)\nreturn ";
	static const char tail[] = "\nend\n";
	const struct mc_policy_ctx ctx = { .period = 2, .elapsed = 2, .reason = "period" };
	struct mc_proposals out = { 0 };
	struct mc_clamp_result r;
	struct mc_snapshot s;
	struct mc_policy *p;
	char path[64], err[MC_ERR_LEN];
	int fd = memfd_create("fuzz.lua", 0);

	mc_log_set_level(MC_LOG_ERROR);
	if (fd < 0 || write(fd, head, sizeof(head) - 1) < 0 ||
	    write(fd, data, size) != (ssize_t)size || write(fd, tail, sizeof(tail) - 1) < 0)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	p = mc_policy_load(path, NULL, 0, err, sizeof(err));
	if (p) {
		make_snapshot(&s);
		if (mc_policy_decide(p, &s, &ctx, &out, err, sizeof(err)) == 0) {
			if (mc_clamp_apply(&s, &(struct mc_limits){ 0 }, out.v, out.n, &r))
				abort();
			check(&s, &r);
			check_ksm(&out.ksm);
			mc_clamp_result_free(&r);
		} else if (out.n || out.ksm.set) {
			abort();	/* a failed call yields no targets */
		}
		mc_proposals_free(&out);
		mc_snapshot_free(&s);
		mc_policy_close(p);
	}
	close(fd);
	return 0;
}
