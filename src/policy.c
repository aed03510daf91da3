/*
 * policy.c - the daemon's side of a policy: read the file, keep a worker
 * running it, send it snapshots, read back targets, under a deadline.
 *
 * No Lua runs here.  Everything the worker sends is hostile: frames are
 * bounded and checked, log lines are escaped, bounded and rate-limited,
 * and a worker that is late, dies or sends garbage is killed and reaped.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "fileio.h"
#include "log.h"
#include "policy.h"
#include "policy_ipc.h"
#include "policy_lua.h"
#include "policy_sandbox.h"
#include "policy_worker.h"
#include "util.h"

/* Traceback lines logged (debug) after a failed call, at most. */
#define TRACEBACK_LINES 12

struct mc_policy {
	char *path;
	const char *entry;		/* "decide" or "place": static */
	uint64_t hash;			/* of the text loaded, for metrics and status */
	struct mc_policy_ipc_buf load;	/* the LOAD frame, kept for restarts */
	struct mc_policy_ipc_buf out, in;
	struct mc_policy_sandbox_user user;
	struct mc_policy_worker w;
	double timeout;
	double last_cpu, last_worker_cpu;
	unsigned long restarts;
	unsigned failures;		/* workers lost in a row */
	double retry_at;		/* snapshot time of the next restart */
	char lost_why[MC_ERR_LEN];		/* why the last worker was lost */
	unsigned log_lines;		/* this call */
};

/* ---- what the worker says ---- */

/* One line from the worker, bounded again here (the worker is not
 * trusted to).  Control characters in it are escaped by mc_log(), so a
 * policy cannot start a log line of its own or send terminal escapes. */
static void log_line(struct mc_policy *p, const char *s, size_t len)
{
	/* The worker's own limit plus its "suppressed" line; a worker that
	 * ignores the limit only loses its lines. */
	if (p->log_lines++ > MC_POLICY_LUA_LOG_LINES)
		return;
	mc_debug("policy %s: %.*s", p->path,
		 (int)(len < MC_POLICY_LUA_LOG_LEN ? len : MC_POLICY_LUA_LOG_LEN), s);
}

/* The first line of a failed call's message is the error (Lua's
 * file:line: why); the traceback after it goes to the debug log. */
static void take_error(struct mc_policy *p, const char *msg, char *err,
		       size_t errlen)
{
	const char *nl = strchr(msg, '\n');
	int n = 0;

	snprintf(err, errlen, "%.*s", (int)(nl ? nl - msg : (ptrdiff_t)strlen(msg)), msg);
	while (nl && n++ < TRACEBACK_LINES) {
		const char *next = strchr(nl + 1, '\n');
		size_t len = next ? (size_t)(next - nl - 1) : strlen(nl + 1);

		log_line(p, nl + 1, len);
		nl = next;
	}
}

/* ---- the worker ---- */

static void worker_lost(struct mc_policy *p, const char *what, char *err,
			size_t errlen)
{
	int status = mc_policy_worker_stop(&p->w);

	if (status >= 0 && WIFSIGNALED(status) && WTERMSIG(status) != SIGKILL)
		snprintf(err, errlen, "%s: policy worker %s (killed by signal %d, %s)",
			 p->path, what, WTERMSIG(status), strsignal(WTERMSIG(status)));
	else if (status >= 0 && WIFEXITED(status))
		snprintf(err, errlen, "%s: policy worker %s (exit status %d)",
			 p->path, what, WEXITSTATUS(status));
	else
		snprintf(err, errlen, "%s: policy worker %s; killed it", p->path, what);
	snprintf(p->lost_why, sizeof(p->lost_why), "%s", err);
	p->failures++;
}

/* Sends a request and reads until the worker's answer (into p->in),
 * logging its lines.  The answer's type, or -1 (worker killed, err set). */
static int exchange(struct mc_policy *p, const struct mc_policy_ipc_buf *req,
		    double deadline, char *err, size_t errlen)
{
	int type;

	p->log_lines = 0;
	if (mc_policy_ipc_send(p->w.fd, req, deadline) == 0) {
		while (mc_policy_ipc_recv(p->w.fd, &p->in, &type, deadline) == 0) {
			size_t len;
			const char *s;

			if (type != MC_POLICY_IPC_LOG)
				return type;
			s = mc_policy_ipc_get_str(&p->in, &len);
			if (p->in.bad)
				break;
			log_line(p, s, len);
		}
	}
	if (errno == ETIMEDOUT) {
		char what[64];

		snprintf(what, sizeof(what), "did not answer within %g s", p->timeout);
		worker_lost(p, what, err, errlen);
	} else if (errno == ECANCELED) {
		worker_lost(p, "was stopped: memcoord is stopping", err, errlen);
	} else {
		worker_lost(p, errno == EPIPE ? "died" : "sent garbage", err, errlen);
	}
	return -1;
}

/* A failed call's ERROR frame: cpu, message.  0, or -1 if garbled. */
static int read_error(struct mc_policy *p, char *err, size_t errlen)
{
	size_t len;
	const char *msg;

	p->last_worker_cpu = mc_policy_ipc_get_f64(&p->in);
	msg = mc_policy_ipc_get_str(&p->in, &len);
	if (p->in.bad)
		return -1;
	take_error(p, msg, err, errlen);
	return 0;
}

/* Starts a worker and loads the policy there: init() included, all
 * before deadline.  0, or -1 with err (the worker is gone). */
static int start_worker(struct mc_policy *p, double deadline, char *err,
			size_t errlen)
{
	int type;

	if (mc_policy_worker_start(&p->w, &p->user)) {
		snprintf(err, errlen, "%s: cannot start a policy worker: %s", p->path,
			 strerror(errno));
		p->failures++;
		return -1;
	}
	type = exchange(p, &p->load, deadline, err, errlen);
	if (type == MC_POLICY_IPC_OK)
		return 0;
	if (type == MC_POLICY_IPC_ERROR && read_error(p, err, errlen) == 0) {
		mc_policy_worker_stop(&p->w);	/* refused: the policy's fault */
		p->failures++;
	} else if (type >= 0) {
		worker_lost(p, "sent garbage", err, errlen);
	}
	return -1;
}

/* ---- load ---- */

void mc_policy_put_kvs(struct mc_policy_ipc_buf *b, const struct mc_kv *kv, size_t n,
		       const struct mc_kv *extra)
{
	size_t i;

	mc_policy_ipc_put_u32(b, (uint32_t)(n + (extra != NULL)));
	for (i = 0; i <= n; i++) {
		const struct mc_kv *e = i < n ? &kv[i] : extra;

		if (!e)
			break;
		mc_policy_ipc_put_str(b, e->key, strlen(e->key));
		mc_policy_ipc_put_str(b, e->value, strlen(e->value));
	}
}

/* The LOAD frame: chunk name "@path" (so Lua's messages say path:line),
 * the source, the params.  The file is read here, by the daemon: regular
 * files only, never blocking in open (a FIFO), bounded. */
static int build_load(struct mc_policy *p, const struct mc_kv *params,
		      size_t nparams, char *err, size_t errlen)
{
	char *src, *name;
	size_t len;
	int rc;

	if (mc_file_read(p->path, MC_FILE_READ_MAX, &src, &len, err, errlen))
		return -1;
	p->hash = mc_fnv1a64(src, len);	/* the text that runs, not the file now */
	name = malloc(strlen(p->path) + 2);
	if (name)
		sprintf(name, "@%s", p->path);
	mc_policy_ipc_begin(&p->load, MC_POLICY_IPC_LOAD);
	mc_policy_ipc_put_str(&p->load, name ? name : "", name ? strlen(name) : 0);
	mc_policy_ipc_put_str(&p->load, src, len);
	mc_policy_put_kvs(&p->load, params, nparams, NULL);
	mc_policy_ipc_put_str(&p->load, p->entry, strlen(p->entry));
	rc = name ? mc_policy_ipc_finish(&p->load) : -1;
	free(name);
	free(src);
	if (rc)
		snprintf(err, errlen, "%s: out of memory", p->path);
	return rc;
}

struct mc_policy *mc_policy_load_entry(const char *path, const char *entry,
				       const struct mc_kv *params, size_t nparams,
				       double timeout, char *err, size_t errlen)
{
	struct mc_policy *p = calloc(1, sizeof(*p));

	if (!p || !(p->path = strdup(path))) {
		free(p);
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	p->entry = entry;
	p->w.fd = -1;
	p->timeout = timeout;
	mc_policy_sandbox_lookup(&p->user);
	if (build_load(p, params, nparams, err, errlen) ||
	    start_worker(p, mc_monotonic_seconds() + timeout, err, errlen)) {
		mc_policy_close(p);
		return NULL;
	}
	p->failures = 0;
	return p;
}

struct mc_policy *mc_policy_load_timed(const char *path,
				       const struct mc_kv *params, size_t nparams,
				       double timeout, char *err, size_t errlen)
{
	return mc_policy_load_entry(path, MC_POLICY_ENTRY_DECIDE, params, nparams,
				    timeout, err, errlen);
}

struct mc_policy *mc_policy_load(const char *path, const struct mc_kv *params,
				 size_t nparams, char *err, size_t errlen)
{
	return mc_policy_load_timed(path, params, nparams, MC_POLICY_TIMEOUT,
				    err, errlen);
}

void mc_policy_set_timeout(struct mc_policy *p, double timeout)
{
	p->timeout = timeout;
}

/* ---- decide: the snapshot out (the layout policy_lua.c reads) ---- */

static void put_memstats(struct mc_policy_ipc_buf *b, const struct mc_memstats *m)
{
	const uint64_t v[] = {
		m->unused, m->available, m->usable, m->disk_caches, m->rss,
		m->swap_in, m->swap_out, m->major_fault, m->minor_fault,
		(uint64_t)m->last_update,
	};
	size_t i;

	mc_policy_ipc_put_u64(b, m->actual);
	mc_policy_ipc_put_u8(b, m->have_stats);
	for (i = 0; m->have_stats && i < sizeof(v) / sizeof(v[0]); i++)
		mc_policy_ipc_put_u64(b, v[i]);
}

/* d.params: the [domain] section's keys, and the VM's own weight when the
 * section sets none (mc_vmset_overlay), as text like the INI's. */
static void put_params(struct mc_policy_ipc_buf *b, const struct mc_track *t)
{
	char weight[32];
	struct mc_kv vm_weight = { .key = "weight", .value = weight };

	snprintf(weight, sizeof(weight), "%.17g", t->vm_used.weight);
	mc_policy_put_kvs(b, t->params, t->nparams,
			  t->vm_used.has_weight ? &vm_weight : NULL);
}

/* The lever: a virtio-mem device's figures, or only that there is none. */
static void put_vmem(struct mc_policy_ipc_buf *b, const struct mc_vmem *v)
{
	const uint64_t f[] = { v->base, v->size, v->block, v->requested, v->plugged };
	size_t i;

	mc_policy_ipc_put_u8(b, v->have);
	for (i = 0; v->have && i < sizeof(f) / sizeof(f[0]); i++)
		mc_policy_ipc_put_u64(b, f[i]);
}

static void put_domain(struct mc_policy_ipc_buf *b, const struct mc_domain *d)
{
	mc_policy_ipc_put_str(b, d->name, strlen(d->name));
	mc_policy_ipc_put_str(b, d->uuid, strlen(d->uuid));
	mc_policy_ipc_put_u64(b, (uint64_t)(int64_t)d->id);
	mc_policy_ipc_put_u64(b, d->track.max);
	mc_policy_ipc_put_u64(b, d->track.min);
	put_memstats(b, &d->cur);
	put_params(b, &d->track);
	mc_policy_ipc_put_u8(b, d->track.have_prev);
	if (d->track.have_prev)
		put_memstats(b, &d->track.prev);
	put_vmem(b, &d->vmem);
}

/* A PSI file's averages, or only its absence. */
static void put_psi(struct mc_policy_ipc_buf *b, const struct mc_psi *p)
{
	const double v[] = { p->some.avg10, p->some.avg60, p->full.avg10, p->full.avg60 };
	size_t i;

	mc_policy_ipc_put_u8(b, p->have);
	for (i = 0; p->have && i < sizeof(v) / sizeof(v[0]); i++)
		mc_policy_ipc_put_f64(b, v[i]);
}

static void put_host_pressure(struct mc_policy_ipc_buf *b,
			      const struct mc_host_pressure *p)
{
	mc_policy_ipc_put_u8(b, p->have_available);
	if (p->have_available)
		mc_policy_ipc_put_u64(b, p->available);
	put_psi(b, &p->psi);
	put_psi(b, &p->machine_psi);
}

static void put_host_ksm(struct mc_policy_ipc_buf *b, const struct mc_ksm *k)
{
	int f;

	mc_policy_ipc_put_u8(b, k->have);
	for (f = 0; k->have && f < MC_KSM_NFIELDS; f++)
		mc_policy_ipc_put_u64(b, k->v[f]);
}

static int build_decide(struct mc_policy_ipc_buf *b, const struct mc_snapshot *s,
			const struct mc_policy_ctx *ctx)
{
	const struct mc_host *h = &s->host;
	size_t i;

	mc_policy_ipc_begin(b, MC_POLICY_IPC_DECIDE);
	mc_policy_ipc_put_f64(b, ctx->period);
	mc_policy_ipc_put_f64(b, ctx->elapsed);
	mc_policy_ipc_put_u64(b, ctx->tick);
	mc_policy_ipc_put_str(b, ctx->reason, strlen(ctx->reason));
	mc_policy_ipc_put_u64(b, h->total);
	mc_policy_ipc_put_u64(b, h->free);
	mc_policy_ipc_put_u64(b, h->buffers);
	mc_policy_ipc_put_u64(b, h->cached);
	mc_policy_ipc_put_u64(b, h->reserve);
	mc_policy_ipc_put_u64(b, h->growable);
	put_host_pressure(b, &h->pressure);
	put_host_ksm(b, &h->ksm);
	mc_policy_ipc_put_u32(b, (uint32_t)s->ndoms);
	for (i = 0; i < s->ndoms; i++)
		put_domain(b, &s->doms[i]);
	return mc_policy_ipc_finish(b);
}

/* ---- decide: the targets back ---- */

static int add_proposal(struct mc_proposals *out, const char *name, double v)
{
	if (out->n == out->cap) {
		size_t cap = out->cap ? out->cap * 2 : 16;
		struct mc_proposal *grown = realloc(out->v, cap * sizeof(*grown));

		if (!grown)
			return -1;
		out->v = grown;
		out->cap = cap;
	}
	out->v[out->n].name = name ? strdup(name) : NULL;
	if (name && !out->v[out->n].name)
		return -1;
	out->v[out->n++].value = v;
	return 0;
}

/* The host settings after the targets: a mask of the settable KSM fields
 * the policy returned, then each one's value.  -1 on a mask with other
 * bits: the worker never sends one. */
static int read_host_settings(struct mc_policy_ipc_buf *in,
			      struct mc_ksm_request *req)
{
	int f;

	req->set = mc_policy_ipc_get_u32(in);
	for (f = 0; f < MC_KSM_NFIELDS; f++) {
		if (!(req->set & (1u << f)))
			continue;
		if (!mc_ksm_settable((enum mc_ksm_field)f))
			return -1;
		req->v[f] = mc_policy_ipc_get_f64(in);
	}
	return req->set >> MC_KSM_NFIELDS ? -1 : 0;
}

/* TARGETS (after cpu): n, then (named, name, value) n times, then the
 * host settings (read_host_settings).  0, or -1 when the
 * frame does not hold what it claims (or we are out of memory). */
static int read_targets(struct mc_policy_ipc_buf *in, struct mc_proposals *out)
{
	uint32_t i, n;

	n = mc_policy_ipc_get_u32(in);
	for (i = 0; i < n && !in->bad; i++) {
		size_t len;
		bool named = mc_policy_ipc_get_u8(in);
		const char *name = mc_policy_ipc_get_str(in, &len);
		double v = mc_policy_ipc_get_f64(in);

		if (!in->bad && add_proposal(out, named ? name : NULL, v))
			return -1;
	}
	if (read_host_settings(in, &out->ksm))
		return -1;
	return in->bad || in->off != in->len ? -1 : 0;
}

/* ---- decide ---- */

/* A lost worker comes back on a later call, at most once per period and,
 * while it keeps failing, after 2, 4 ... MC_POLICY_BACKOFF_MAX periods:
 * a policy that always hangs costs the daemon at most one deadline per
 * period.  Time is the snapshot's, so the simulator stays deterministic. */
static void schedule_restart(struct mc_policy *p, double now, double period)
{
	unsigned periods = 1;

	while (periods < MC_POLICY_BACKOFF_MAX && periods < 1u << (p->failures - 1))
		periods *= 2;
	/* A hair early, so the call one period later is not refused by
	 * rounding. */
	p->retry_at = now + period * periods - 1e-6;
}

static int ensure_worker(struct mc_policy *p, double now, double deadline,
			 char *err, size_t errlen)
{
	if (p->w.pid > 0)
		return 0;
	/* Backing off: the same words as the loss, so the caller's "once
	 * per cause" log does not see a new cause every call. */
	if (now < p->retry_at) {
		snprintf(err, errlen, "%s", p->lost_why[0] ? p->lost_why :
			 "policy worker not running");
		return -1;
	}
	p->restarts++;
	return start_worker(p, deadline, err, errlen);
}

/* One request, one TARGETS answer left in p->in for the caller to read
 * (its cpu already taken).  -1 with err: the policy's error (the worker
 * lives on), or a lost worker (killed). */
static int call(struct mc_policy *p, const struct mc_policy_ipc_buf *req,
		double deadline, char *err, size_t errlen)
{
	int type = exchange(p, req, deadline, err, errlen);

	if (type == MC_POLICY_IPC_TARGETS) {
		p->last_worker_cpu = mc_policy_ipc_get_f64(&p->in);
		return 0;
	}
	if (type == MC_POLICY_IPC_ERROR && read_error(p, err, errlen) == 0)
		return -1;	/* the policy's own error: the worker lives on */
	if (type >= 0)
		worker_lost(p, "sent garbage", err, errlen);
	return -1;
}

int mc_policy_call(struct mc_policy *p, double now, double period,
		   const struct mc_policy_ipc_buf *req, mc_policy_reply_fn *read,
		   void *arg, char *err, size_t errlen)
{
	double start = mc_thread_cpu_seconds();
	double deadline = mc_monotonic_seconds() + p->timeout;
	int rc;

	p->last_worker_cpu = 0;
	rc = req->bad ? -1 : ensure_worker(p, now, deadline, err, errlen);
	if (req->bad)
		snprintf(err, errlen, "out of memory encoding the snapshot");
	if (rc == 0)
		rc = call(p, req, deadline, err, errlen);
	if (rc == 0 && read(&p->in, arg)) {
		worker_lost(p, "sent garbage", err, errlen);
		rc = -1;
	}
	if (rc == 0)
		p->failures = 0;
	if (rc && p->w.pid <= 0 && p->retry_at <= now)
		schedule_restart(p, now, period);
	p->last_cpu = mc_thread_cpu_seconds() - start + p->last_worker_cpu;
	return rc;
}

static int read_targets_fn(struct mc_policy_ipc_buf *in, void *out)
{
	return read_targets(in, out);
}

int mc_policy_decide(struct mc_policy *p, const struct mc_snapshot *s,
		     const struct mc_policy_ctx *ctx, struct mc_proposals *out,
		     char *err, size_t errlen)
{
	int rc;

	mc_proposals_clear(out);
	if (build_decide(&p->out, s, ctx))
		p->out.bad = true;
	rc = mc_policy_call(p, s->time, ctx->period, &p->out, read_targets_fn, out,
			    err, errlen);
	if (rc)
		mc_proposals_clear(out);
	return rc;
}

const char *mc_policy_path(const struct mc_policy *p) { return p->path; }
uint64_t mc_policy_hash(const struct mc_policy *p) { return p->hash; }
double mc_policy_last_cpu(const struct mc_policy *p) { return p->last_cpu; }
double mc_policy_last_worker_cpu(const struct mc_policy *p) { return p->last_worker_cpu; }
unsigned long mc_policy_restarts(const struct mc_policy *p) { return p->restarts; }

void mc_policy_close(struct mc_policy *p)
{
	if (!p)
		return;
	mc_policy_worker_stop(&p->w);
	mc_policy_ipc_free(&p->load);
	mc_policy_ipc_free(&p->out);
	mc_policy_ipc_free(&p->in);
	free(p->path);
	free(p);
}

void mc_proposals_clear(struct mc_proposals *out)
{
	size_t i;

	for (i = 0; i < out->n; i++)
		free((char *)out->v[i].name);
	out->n = 0;
	memset(&out->ksm, 0, sizeof(out->ksm));
}

void mc_proposals_free(struct mc_proposals *out)
{
	mc_proposals_clear(out);
	free(out->v);
	memset(out, 0, sizeof(*out));
}
