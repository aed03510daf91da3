/*
 * cpu_policy.c - place(): the PLACE request out, the pinnings back.
 *
 * The layout cpu_lua.c reads: ctx as decide's; the pCPUs (id, online,
 * allowed, have_util, util, vcpu_util, other); the vCPUs (domain, uuid,
 * id, vcpu, have_util, util, delay, demand, pcpu, affinity words,
 * moved_at, excluded, params, have_prev, prev util, delay, pcpu).  The
 * reply is hostile like every frame from a worker: checked to the byte.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_policy.h"
#include "policy.h"
#include "policy_ipc.h"
#include "snapshot.h"

struct mc_policy *mc_cpu_policy_load(const char *path, const struct mc_kv *params,
				     size_t nparams, double timeout, char *err,
				     size_t errlen)
{
	return mc_policy_load_entry(path, MC_POLICY_ENTRY_PLACE, params, nparams,
				    timeout, err, errlen);
}

/* ---- the request ---- */

static void put_mask(struct mc_policy_ipc_buf *b, const struct mc_cpuset *s)
{
	size_t i;

	for (i = 0; i < MC_CPUSET_WORDS; i++)
		mc_policy_ipc_put_u64(b, s->w[i]);
}

static void put_util(struct mc_policy_ipc_buf *b, bool have, double util,
		     double delay, const double *demand)
{
	mc_policy_ipc_put_u8(b, have);
	if (!have)
		return;
	mc_policy_ipc_put_f64(b, util);
	mc_policy_ipc_put_f64(b, delay);
	if (demand)
		mc_policy_ipc_put_f64(b, *demand);
}

static void put_pcpus(struct mc_policy_ipc_buf *b, const struct mc_cpu_snap *c,
		      const struct mc_cpuset *allowed)
{
	unsigned i;

	mc_policy_ipc_put_u32(b, c->npcpus);
	for (i = 0; i < c->npcpus; i++) {
		const struct mc_pcpu *p = &c->pcpus[i];

		mc_policy_ipc_put_u64(b, i);
		mc_policy_ipc_put_u8(b, p->online);
		mc_policy_ipc_put_u8(b, mc_cpuset_has(allowed, i));
		put_util(b, p->have_util, p->util, p->vcpu_util, &p->other);
	}
}

static void put_vcpu(struct mc_policy_ipc_buf *b, const struct mc_vcpu *v)
{
	const struct mc_vcpu_track *t = &v->track;

	mc_policy_ipc_put_str(b, v->domain, strlen(v->domain));
	mc_policy_ipc_put_str(b, v->uuid, strlen(v->uuid));
	mc_policy_ipc_put_u64(b, (uint64_t)(int64_t)v->id);
	mc_policy_ipc_put_u64(b, v->vcpu);
	put_util(b, t->have_util, t->util, t->delay, &t->demand);
	mc_policy_ipc_put_u64(b, (uint64_t)(int64_t)v->pcpu);
	put_mask(b, &v->affinity);
	mc_policy_ipc_put_f64(b, t->moved_at);
	mc_policy_ipc_put_u8(b, t->excluded);
	mc_policy_put_kvs(b, t->params, t->nparams, NULL);
	mc_policy_ipc_put_u8(b, t->have_prev);
	if (!t->have_prev)
		return;
	put_util(b, true, t->prev_util, t->prev_delay, NULL);
	mc_policy_ipc_put_u64(b, (uint64_t)(int64_t)t->prev_pcpu);
}

static int build_place(struct mc_policy_ipc_buf *b, const struct mc_snapshot *s,
		       const struct mc_cpuset *allowed,
		       const struct mc_policy_ctx *ctx)
{
	size_t i;

	mc_policy_ipc_begin(b, MC_POLICY_IPC_PLACE);
	mc_policy_ipc_put_f64(b, ctx->period);
	mc_policy_ipc_put_f64(b, ctx->elapsed);
	mc_policy_ipc_put_u64(b, ctx->tick);
	mc_policy_ipc_put_str(b, ctx->reason, strlen(ctx->reason));
	put_pcpus(b, &s->cpu, allowed);
	mc_policy_ipc_put_u32(b, (uint32_t)s->cpu.nvcpus);
	for (i = 0; i < s->cpu.nvcpus; i++)
		put_vcpu(b, &s->cpu.vcpus[i]);
	return mc_policy_ipc_finish(b);
}

/* ---- the reply ---- */

static struct mc_cpu_pin *add_pin(struct mc_cpu_pins *out)
{
	if (out->n == out->cap) {
		size_t cap = out->cap ? out->cap * 2 : 16;
		struct mc_cpu_pin *grown = realloc(out->v, cap * sizeof(*grown));

		if (!grown)
			return NULL;
		out->v = grown;
		out->cap = cap;
	}
	memset(&out->v[out->n], 0, sizeof(out->v[0]));
	return &out->v[out->n++];
}

/* n, then (named, domain, vcpu, mask_ok, mask words) n times. */
static int read_pins(struct mc_policy_ipc_buf *in, void *arg)
{
	struct mc_cpu_pins *out = arg;
	uint32_t i, n = mc_policy_ipc_get_u32(in);
	size_t k;

	for (i = 0; i < n && !in->bad; i++) {
		size_t len;
		bool named = mc_policy_ipc_get_u8(in);
		const char *domain = mc_policy_ipc_get_str(in, &len);
		struct mc_cpu_pin *p = add_pin(out);

		if (!p || (named && !(p->domain = strdup(domain))))
			return -1;
		p->vcpu = mc_policy_ipc_get_f64(in);
		p->mask_ok = mc_policy_ipc_get_u8(in);
		for (k = 0; k < MC_CPUSET_WORDS; k++)
			p->mask.w[k] = mc_policy_ipc_get_u64(in);
	}
	return in->bad || in->off != in->len ? -1 : 0;
}

int mc_cpu_policy_place(struct mc_policy *p, const struct mc_snapshot *s,
			const struct mc_cpuset *allowed,
			const struct mc_policy_ctx *ctx, struct mc_cpu_pins *out,
			char *err, size_t errlen)
{
	struct mc_policy_ipc_buf req = { 0 };
	int rc;

	mc_cpu_pins_clear(out);
	if (build_place(&req, s, allowed, ctx))
		req.bad = true;
	rc = mc_policy_call(p, s->time, ctx->period, &req, read_pins, out, err, errlen);
	mc_policy_ipc_free(&req);
	if (rc)
		mc_cpu_pins_clear(out);
	return rc;
}

void mc_cpu_pins_clear(struct mc_cpu_pins *out)
{
	size_t i;

	for (i = 0; i < out->n; i++)
		free((char *)out->v[i].domain);
	out->n = 0;
}

void mc_cpu_pins_free(struct mc_cpu_pins *out)
{
	mc_cpu_pins_clear(out);
	free(out->v);
	memset(out, 0, sizeof(*out));
}
