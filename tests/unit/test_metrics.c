/* test_metrics.c - the Prometheus metrics file: strictly well-formed (a
 * line parser of the text format here, and promtool when it is installed),
 * values right, per-domain counters kept across samples, label values
 * escaped, the file replaced atomically, and 10000 domains handled;
 * health (connected, dry run, policy info), the uuid label that keeps a
 * reused name apart, health only when the hypervisor cannot be read, and
 * the file removed on exit; no
 * link, FIFO or device at the path is ever written through or replaced. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sys/stat.h>
#include <time.h>

#include "clamp.h"
#include "coord_stats.h"
#include "fileio.h"
#include "metrics.h"
#include "snapshot.h"
#include "testutil.h"
#include "testoutput.h"

/* ---- a strict parser of the text exposition format (version 0.0.4) ---- */

struct sample {
	char name[128];
	char labels[4][2][300];	/* key, unescaped value */
	int nlabels;
	double value;
};

struct parsed {
	struct sample *v;
	size_t n, cap;
	char families[64][128];	/* TYPE'd names, in order */
	char types[64][16];
	int nfamilies;
};

static int name_char(int c, int first)
{
	return isalpha(c) || c == '_' || c == ':' || (!first && isdigit(c));
}

/* A metric or label name at *p; advances past it. */
static void parse_name(const char **p, char *out, size_t len, int line)
{
	size_t n = 0;

	if (!name_char((unsigned char)**p, 1))
		fail_msg("line %d: bad name at '%s'", line, *p);
	while (name_char((unsigned char)**p, 0)) {
		if (n + 1 >= len)
			fail_msg("line %d: name too long", line);
		out[n++] = *(*p)++;
	}
	out[n] = '\0';
}

/* "value" with \\, \" and \n only; anything else escaped is an error. */
static void parse_label_value(const char **p, char *out, size_t len, int line)
{
	size_t n = 0;

	if (*(*p)++ != '"')
		fail_msg("line %d: label value must be quoted", line);
	while (**p != '"') {
		char c = *(*p)++;

		if (!c || c == '\n')
			fail_msg("line %d: unterminated label value", line);
		if (c == '\\') {
			c = *(*p)++;
			if (c == 'n')
				c = '\n';
			else if (c != '\\' && c != '"')
				fail_msg("line %d: bad escape \\%c", line, c);
		}
		if (n + 1 >= len)
			fail_msg("line %d: label value too long", line);
		out[n++] = c;
	}
	(*p)++;
	out[n] = '\0';
}

static void parse_labels(const char **p, struct sample *s, int line)
{
	if (**p != '{')
		return;
	(*p)++;
	while (**p != '}') {
		if (s->nlabels == 4)
			fail_msg("line %d: too many labels", line);
		parse_name(p, s->labels[s->nlabels][0], sizeof(s->labels[0][0]), line);
		if (*(*p)++ != '=')
			fail_msg("line %d: expected =", line);
		parse_label_value(p, s->labels[s->nlabels][1], sizeof(s->labels[0][1]), line);
		s->nlabels++;
		if (**p == ',')
			(*p)++;
		else if (**p != '}')
			fail_msg("line %d: expected , or }", line);
	}
	(*p)++;
}

static double parse_value(const char *p, int line)
{
	char *end;
	double v;

	if (!strcmp(p, "+Inf") || !strcmp(p, "-Inf") || !strcmp(p, "NaN"))
		return strtod(p, NULL);
	errno = 0;
	v = strtod(p, &end);
	if (errno || end == p || *end)
		fail_msg("line %d: bad value '%s'", line, p);
	return v;
}

static int family_index(const struct parsed *r, const char *name)
{
	int i;

	for (i = 0; i < r->nfamilies; i++)
		if (!strcmp(r->families[i], name))
			return i;
	return -1;
}

/* # HELP name text / # TYPE name type, HELP first, each family once. */
static void parse_comment(struct parsed *r, const char *p, int line,
			  char *help_for)
{
	char name[128], type[16];

	if (!strncmp(p, "# HELP ", 7)) {
		p += 7;
		parse_name(&p, name, sizeof(name), line);
		if (*p != ' ' || !p[1])
			fail_msg("line %d: HELP without text", line);
		strcpy(help_for, name);
		return;
	}
	if (strncmp(p, "# TYPE ", 7))
		fail_msg("line %d: comment that is neither HELP nor TYPE", line);
	p += 7;
	parse_name(&p, name, sizeof(name), line);
	if (*p++ != ' ' || sscanf(p, "%15s", type) != 1 ||
	    (strcmp(type, "counter") && strcmp(type, "gauge")) || strcmp(p, type))
		fail_msg("line %d: bad TYPE", line);
	if (strcmp(help_for, name))
		fail_msg("line %d: TYPE %s without HELP just before", line, name);
	if (family_index(r, name) >= 0)
		fail_msg("line %d: family %s twice", line, name);
	assert_true(r->nfamilies < 64);
	strcpy(r->families[r->nfamilies], name);
	strcpy(r->types[r->nfamilies++], type);
}

static void parse_sample(struct parsed *r, const char *p, int line)
{
	struct sample *s;

	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 64;
		r->v = realloc(r->v, r->cap * sizeof(*r->v));
		assert_non_null(r->v);
	}
	s = &r->v[r->n++];
	memset(s, 0, sizeof(*s));
	parse_name(&p, s->name, sizeof(s->name), line);
	parse_labels(&p, s, line);
	if (*p++ != ' ')
		fail_msg("line %d: expected one space before the value", line);
	s->value = parse_value(p, line);
	/* Samples follow their own family's TYPE, contiguously. */
	if (!r->nfamilies || strcmp(r->families[r->nfamilies - 1], s->name))
		fail_msg("line %d: sample %s outside its family", line, s->name);
	if (!strcmp(r->types[r->nfamilies - 1], "counter") &&
	    (s->value < 0 || !strstr(s->name, "_total")))
		fail_msg("line %d: bad counter %s", line, s->name);
}

static struct parsed parse_file(const char *path)
{
	struct parsed r = { 0 };
	char buf[2048], help_for[128] = "";
	FILE *f = fopen(path, "r");
	int line = 0;

	assert_non_null(f);
	while (fgets(buf, sizeof(buf), f)) {
		size_t len = strlen(buf);

		line++;
		if (!len || buf[len - 1] != '\n')
			fail_msg("line %d: not newline-terminated", line);
		buf[--len] = '\0';
		if (!len || isspace((unsigned char)buf[0]) ||
		    isspace((unsigned char)buf[len - 1]))
			fail_msg("line %d: empty, or stray blanks", line);
		if (buf[0] == '#')
			parse_comment(&r, buf, line, help_for);
		else
			parse_sample(&r, buf, line);
	}
	assert_int_equal(fclose(f), 0);
	assert_true(line > 0);
	return r;
}

/* The value of name{label="value"} (label NULL: no labels); NAN if absent.
 * Per-domain series match on their first label, domain; dom() also
 * requires the uuid label beside it. */
static double get(const struct parsed *r, const char *name, const char *label,
		  const char *value)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		const struct sample *s = &r->v[i];

		if (strcmp(s->name, name))
			continue;
		if (!label && !s->nlabels)
			return s->value;
		if (label && s->nlabels >= 1 && !strcmp(s->labels[0][0], label) &&
		    !strcmp(s->labels[0][1], value))
			return s->value;
	}
	return NAN;
}

/* The uuid label of name{domain="d",uuid="..."}; NULL if absent. */
static const char *uuid_of(const struct parsed *r, const char *name,
			   const char *d)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		const struct sample *s = &r->v[i];

		if (!strcmp(s->name, name) && s->nlabels == 2 &&
		    !strcmp(s->labels[0][0], "domain") &&
		    !strcmp(s->labels[0][1], d) &&
		    !strcmp(s->labels[1][0], "uuid"))
			return s->labels[1][1];
	}
	return NULL;
}

static double dom(const struct parsed *r, const char *name, const char *d)
{
	if (!uuid_of(r, name, d))
		return NAN;
	return get(r, name, "domain", d);
}

/* Any sample of family name, with any labels. */
static bool has_family(const struct parsed *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (!strcmp(r->v[i].name, name))
			return true;
	return false;
}

/* ---- fixtures ---- */

struct fixture {
	char dir[64], path[96];
	struct mc_metrics *m;
	struct mc_snapshot s;
	struct mc_clamp_result res;
	struct mc_coord_stats st;
	size_t cap;		/* of res.dec */
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	char err[256];

	assert_non_null(fx);
	strcpy(fx->dir, "/tmp/mcmetrics-XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->path, sizeof(fx->path), "%s/memcoord.prom", fx->dir);
	fx->m = mc_metrics_open(fx->path, err, sizeof(err));
	assert_non_null(fx->m);
	mc_snapshot_init(&fx->s);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	char tmp[128];

	mc_metrics_close(fx->m);
	mc_snapshot_free(&fx->s);
	free(fx->res.dec);
	snprintf(tmp, sizeof(tmp), "%s.tmp", fx->path);
	unlink(tmp);
	unlink(fx->path);
	assert_int_equal(rmdir(fx->dir), 0);	/* nothing else left behind */
	free(fx);
	return 0;
}

static struct mc_domain *add(struct mc_snapshot *s, const char *name,
			     uint64_t actual_mib, long unused_mib)
{
	struct mc_domain *d = mc_snapshot_add(s, name);

	assert_non_null(d);
	d->cur.actual = actual_mib * MiB;
	d->max = 4096 * MiB;
	if (unused_mib >= 0) {
		d->cur.unused = (uint64_t)unused_mib * MiB;
		d->cur.have_stats = true;
	}
	return d;
}

/* One decision for snapshot domain dom: from its actual to target. */
static void decide(struct fixture *fx, size_t dom, uint64_t target_mib,
		   unsigned rules)
{
	struct mc_decision *dec;

	if (fx->res.ndec == fx->cap) {	/* geometric: 10000 decisions */
		fx->cap = fx->cap ? 2 * fx->cap : 16;
		fx->res.dec = realloc(fx->res.dec, fx->cap * sizeof(*dec));
		assert_non_null(fx->res.dec);
	}
	dec = &fx->res.dec[fx->res.ndec++];
	memset(dec, 0, sizeof(*dec));
	dec->dom = dom;
	dec->from = fx->s.doms[dom].cur.actual;
	dec->target = target_mib * MiB;
	dec->proposed = (double)dec->target;
	dec->rules = rules;
	dec->act = dec->target != dec->from;
}

static void next_sample(struct fixture *fx)
{
	mc_snapshot_clear(&fx->s);
	fx->res.ndec = 0;
}

static void promtool_check(const char *path)
{
	char cmd[256];
	int rc;

	if (system("command -v promtool >/dev/null 2>&1")) {
		print_message("promtool not installed: strict parser only\n");
		return;
	}
	snprintf(cmd, sizeof(cmd), "promtool check metrics < %s", path);
	rc = system(cmd);
	assert_int_equal(rc, 0);
}

/* ---- tests ---- */

static void values_are_right(void **state)
{
	struct fixture *fx = *state;
	struct parsed r;

	add(&fx->s, "alpha", 1024, 300);
	add(&fx->s, "beta", 2048, -1);		/* no stats yet */
	fx->s.host.total = 16384 * MiB;
	fx->s.host.free = 9000 * MiB;
	fx->s.host.reserve = 1024 * MiB;
	decide(fx, 0, 900, MC_CLAMP_FLOOR | MC_CLAMP_STEP);
	fx->st = (struct mc_coord_stats){ .samples = 7, .decides = 3,
		.decide_cpu = 0.25, .resizes = 5, .policy_errors = 2,
		.policy_reloads = 1, .policy_refusals = 4, .reconnects = 6 };
	assert_int_equal(mc_metrics_sample(fx->m, &fx->s, &fx->res, false, &fx->st), 0);
	r = parse_file(fx->path);
	assert_true(dom(&r, "memcoord_domain_actual_bytes", "alpha") == 1024.0 * 1024 * 1024);
	assert_true(dom(&r, "memcoord_domain_unused_bytes", "alpha") == 300.0 * 1024 * 1024);
	assert_true(isnan(dom(&r, "memcoord_domain_unused_bytes", "beta")));
	assert_true(dom(&r, "memcoord_domain_target_bytes", "alpha") == 900.0 * 1024 * 1024);
	assert_true(isnan(dom(&r, "memcoord_domain_target_bytes", "beta")));
	assert_true(dom(&r, "memcoord_domain_resize_calls_total", "alpha") == 1);
	assert_true(dom(&r, "memcoord_domain_resize_calls_total", "beta") == 0);
	assert_true(dom(&r, "memcoord_domain_clamps_total", "alpha") == 1);
	assert_true(get(&r, "memcoord_clamps_total", "rule", "floor") == 1);
	assert_true(get(&r, "memcoord_clamps_total", "rule", "step") == 1);
	assert_true(get(&r, "memcoord_clamps_total", "rule", "max") == 0);
	assert_true(get(&r, "memcoord_host_free_bytes", NULL, NULL) == 9000.0 * 1024 * 1024);
	assert_true(get(&r, "memcoord_host_reserve_bytes", NULL, NULL) == 1024.0 * 1024 * 1024);
	assert_true(get(&r, "memcoord_samples_total", NULL, NULL) == 7);
	assert_true(get(&r, "memcoord_decides_total", NULL, NULL) == 3);
	assert_true(get(&r, "memcoord_decide_cpu_seconds_total", NULL, NULL) == 0.25);
	assert_true(get(&r, "memcoord_policy_errors_total", NULL, NULL) == 2);
	assert_true(get(&r, "memcoord_policy_reloads_total", NULL, NULL) == 1);
	assert_true(get(&r, "memcoord_policy_refusals_total", NULL, NULL) == 4);
	assert_true(get(&r, "memcoord_libvirt_reconnects_total", NULL, NULL) == 6);
	assert_true(get(&r, "memcoord_domains", NULL, NULL) == 2);
	assert_true(fabs(get(&r, "memcoord_last_sample_timestamp_seconds", NULL, NULL) -
			 (double)time(NULL)) < 5);
	free(r.v);
	promtool_check(fx->path);
}

/* memcoord_host_memory_pressure_percent{scope=,kind=,window=}. */
static double psi(const struct parsed *r, const char *scope, const char *kind,
		  const char *window)
{
	const char *want[3] = { scope, kind, window };
	size_t i;
	int k;

	for (i = 0; i < r->n; i++) {
		const struct sample *s = &r->v[i];

		if (strcmp(s->name, "memcoord_host_memory_pressure_percent") || s->nlabels != 3)
			continue;
		for (k = 0; k < 3 && !strcmp(s->labels[k][1], want[k]); k++)
			;
		if (k == 3)
			return s->value;
	}
	return NAN;
}

/* MemAvailable, PSI and KSM when the backend read them; absent series
 * (not a calm-looking 0) when it did not.  The KSM write counters. */
static void host_pressure_series(void **state)
{
	struct fixture *fx = *state;
	struct parsed r;

	add(&fx->s, "alpha", 1024, 300);
	fx->s.host.pressure = (struct mc_host_pressure){ .have_available = true,
		.available = 7000 * MiB, .psi = { .have = true, .some = { 1.5, 0.25 },
		.full = { 0.5, 0.75 } } };
	fx->s.host.ksm = (struct mc_ksm){ .have = true, .v = { [MC_KSM_RUN] = 1,
		[MC_KSM_PAGES_SHARING] = 5000 } };
	fx->st.ksm_writes = 3;
	fx->st.ksm_write_failures = 1;
	assert_int_equal(mc_metrics_sample(fx->m, &fx->s, NULL, false, &fx->st), 0);
	r = parse_file(fx->path);
	assert_true(get(&r, "memcoord_host_available_bytes", NULL, NULL) == 7000.0 * 1024 * 1024);
	assert_true(psi(&r, "host", "some", "avg10") == 1.5);
	assert_true(psi(&r, "host", "some", "avg60") == 0.25);
	assert_true(psi(&r, "host", "full", "avg10") == 0.5);
	assert_true(psi(&r, "host", "full", "avg60") == 0.75);
	assert_true(isnan(psi(&r, "machine", "some", "avg10")));
	assert_true(get(&r, "memcoord_host_ksm_run", NULL, NULL) == 1);
	assert_true(get(&r, "memcoord_host_ksm_pages_sharing", NULL, NULL) == 5000);
	assert_true(get(&r, "memcoord_host_ksm_sleep_millisecs", NULL, NULL) == 0);
	assert_true(get(&r, "memcoord_ksm_writes_total", NULL, NULL) == 3);
	assert_true(get(&r, "memcoord_ksm_write_failures_total", NULL, NULL) == 1);
	free(r.v);
	promtool_check(fx->path);
	memset(&fx->s.host.pressure, 0, sizeof(fx->s.host.pressure));
	fx->s.host.ksm.have = false;
	assert_int_equal(mc_metrics_sample(fx->m, &fx->s, NULL, false, &fx->st), 0);
	r = parse_file(fx->path);
	assert_false(has_family(&r, "memcoord_host_available_bytes"));
	assert_false(has_family(&r, "memcoord_host_memory_pressure_percent"));
	assert_false(has_family(&r, "memcoord_host_ksm_run"));
	free(r.v);
}

/* Counters live across samples, a domain's absence and a dry run. */
static void counters_persist(void **state)
{
	struct fixture *fx = *state;
	struct parsed r;
	int i;

	for (i = 0; i < 3; i++) {
		next_sample(fx);
		add(&fx->s, "a", 1024 + 100 * (uint64_t)i, 200);
		add(&fx->s, "b", 1024, 200);
		decide(fx, 0, 1124 + 100 * (uint64_t)i, MC_CLAMP_STEP);
		assert_int_equal(mc_metrics_sample(fx->m, &fx->s, &fx->res, false, &fx->st), 0);
	}
	next_sample(fx);	/* a is gone: not exported, not forgotten */
	add(&fx->s, "b", 1024, 200);
	assert_int_equal(mc_metrics_sample(fx->m, &fx->s, NULL, false, &fx->st), 0);
	r = parse_file(fx->path);
	assert_true(isnan(dom(&r, "memcoord_domain_actual_bytes", "a")));
	free(r.v);
	next_sample(fx);	/* back, in a dry run: no calls counted */
	add(&fx->s, "a", 1324, 200);
	decide(fx, 0, 1000, 0);
	assert_int_equal(mc_metrics_sample(fx->m, &fx->s, &fx->res, true, &fx->st), 0);
	r = parse_file(fx->path);
	assert_true(dom(&r, "memcoord_domain_resize_calls_total", "a") == 3);
	assert_true(dom(&r, "memcoord_domain_clamps_total", "a") == 3);
	assert_true(dom(&r, "memcoord_domain_target_bytes", "a") == 1000.0 * 1024 * 1024);
	assert_true(get(&r, "memcoord_clamps_total", "rule", "step") == 3);
	free(r.v);
}

/* Quotes, backslashes, newlines and bad UTF-8 in a domain name. */
static void labels_escaped(void **state)
{
	struct fixture *fx = *state;
	static const char weird[] = "we\"ird\\name\nx";
	struct parsed r;

	add(&fx->s, weird, 512, 100);
	add(&fx->s, "bad\xff" "byte", 512, 100);
	assert_int_equal(mc_metrics_sample(fx->m, &fx->s, NULL, false, &fx->st), 0);
	r = parse_file(fx->path);
	assert_true(dom(&r, "memcoord_domain_actual_bytes", weird) == 512.0 * 1024 * 1024);
	assert_true(dom(&r, "memcoord_domain_actual_bytes", "bad\xEF\xBF\xBD" "byte") ==
		    512.0 * 1024 * 1024);
	free(r.v);
	promtool_check(fx->path);
}

/* A reader that has the old file open keeps reading the old file: the new
 * one was written elsewhere and renamed over it, not rewritten in place. */
static void replaced_atomically(void **state)
{
	struct fixture *fx = *state;
	struct stat before, after;
	char tmp[128];
	FILE *old;
	struct parsed r;

	add(&fx->s, "a", 512, 100);
	assert_int_equal(mc_metrics_sample(fx->m, &fx->s, NULL, false, &fx->st), 0);
	old = fopen(fx->path, "r");
	assert_non_null(old);
	assert_int_equal(fstat(fileno(old), &before), 0);
	fx->s.doms[0].cur.actual = 1024 * MiB;
	assert_int_equal(mc_metrics_sample(fx->m, &fx->s, NULL, false, &fx->st), 0);
	assert_int_equal(stat(fx->path, &after), 0);
	assert_true(before.st_ino != after.st_ino);
	r = parse_file(fx->path);
	assert_true(dom(&r, "memcoord_domain_actual_bytes", "a") == 1024.0 * 1024 * 1024);
	free(r.v);
	assert_int_equal(fclose(old), 0);
	snprintf(tmp, sizeof(tmp), "%s.tmp", fx->path);
	assert_int_equal(access(tmp, F_OK), -1);	/* no temporary left */
}

/* A path whose directory does not exist is refused at start-up. */
static void bad_path_refused(void **state)
{
	char err[256] = "";

	(void)state;
	assert_null(mc_metrics_open("/no/such/dir/m.prom", err, sizeof(err)));
	assert_non_null(strstr(err, "/no/such/dir/m.prom"));
	/* And NULL is a valid, silent "off". */
	assert_int_equal(mc_metrics_sample(NULL, NULL, NULL, false, NULL), 0);
	mc_metrics_close(NULL);
}

/* path holds exactly text. */
static void assert_file_is(const char *path, const char *text)
{
	char *buf, err[256];
	size_t len;

	assert_int_equal(mc_file_read(path, 4096, &buf, &len, err, sizeof(err)), 0);
	assert_string_equal(buf, text);
	free(buf);
}

/* A symlink planted in the output directory at the temporary name the
 * file once had (PATH.tmp) points at a victim: root never writes it. */
static void planted_link_not_followed(void **state)
{
	struct fixture *fx = *state;
	char victim[128], link[128];
	struct stat st;
	struct parsed r;
	FILE *f;

	snprintf(victim, sizeof(victim), "%s/victim", fx->dir);
	snprintf(link, sizeof(link), "%s.tmp", fx->path);
	f = fopen(victim, "w");
	assert_non_null(f);
	fputs("precious\n", f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(symlink(victim, link), 0);
	add(&fx->s, "a", 512, 100);
	assert_int_equal(mc_metrics_sample(fx->m, &fx->s, NULL, false, &fx->st), 0);
	assert_file_is(victim, "precious\n");
	assert_int_equal(lstat(fx->path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	r = parse_file(fx->path);
	assert_true(dom(&r, "memcoord_domain_actual_bytes", "a") == 512.0 * 1024 * 1024);
	free(r.v);
	assert_int_equal(unlink(link), 0);
	assert_int_equal(unlink(victim), 0);
}

static bool try_metrics(const char *path, char *err, size_t errlen)
{
	struct mc_metrics *m = mc_metrics_open(path, err, errlen);

	mc_metrics_close(m);
	return m != NULL;
}

/* metrics = /dev/null (a rename would put a file in the device's place),
 * a FIFO, a symlink, a directory: refused at open, with the reason. */
static void non_regular_targets_refused(void **state)
{
	char dir[] = "/tmp/mcmetrics-XXXXXX", path[128], err[256];

	(void)state;
	assert_refuses_planted_link(try_metrics);
	assert_refuses_fifo_and_device(try_metrics);
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/m.prom", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_null(mc_metrics_open(path, err, sizeof(err)));
	assert_non_null(strstr(err, "is a directory"));
	assert_int_equal(rmdir(path), 0);
	assert_int_equal(rmdir(dir), 0);
}

/* The target becomes a FIFO after start-up: it is never replaced, the
 * failure is logged once (not every sample), and so is the recovery. */
static void failure_logged_once_then_recovery(void **state)
{
	struct fixture *fx = *state;
	char *log = write_temp("", ".log");
	int saved, rc[3];

	add(&fx->s, "a", 512, 100);
	assert_int_equal(mkfifo(fx->path, 0600), 0);
	saved = capture_begin(log);
	rc[0] = mc_metrics_sample(fx->m, &fx->s, NULL, false, &fx->st);
	rc[1] = mc_metrics_sample(fx->m, &fx->s, NULL, false, &fx->st);
	unlink(fx->path);
	rc[2] = mc_metrics_sample(fx->m, &fx->s, NULL, false, &fx->st);
	capture_end(saved);
	assert_int_equal(rc[0], -1);
	assert_int_equal(rc[1], -1);
	assert_int_equal(rc[2], 0);
	assert_int_equal(count_lines(log, "metrics: "), 2);
	assert_int_equal(count_lines(log, "is a FIFO"), 1);
	assert_int_equal(count_lines(log, "writing "), 1);
	drop_temp(log);
}

/* 10000 domains, with churn: every sample is O(domains), and each
 * domain's counter is its own. */
static void ten_thousand_domains(void **state)
{
	struct fixture *fx = *state;
	struct timespec t0, t1;
	struct parsed r;
	char name[32];
	int round, i;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (round = 0; round < 5; round++) {
		next_sample(fx);
		for (i = 0; i < 10000; i++) {
			snprintf(name, sizeof(name), "vm%05d", i + round * 100);
			add(&fx->s, name, 512, 100);
		}
		for (i = 0; i < 10000; i++)
			decide(fx, (size_t)i, 600, 0);
		assert_int_equal(mc_metrics_sample(fx->m, &fx->s, &fx->res, false, &fx->st), 0);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* Generous for sanitizer builds; a quadratic table takes minutes. */
	assert_true((t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9 < 20);
	r = parse_file(fx->path);
	assert_true(get(&r, "memcoord_domains", NULL, NULL) == 10000);
	assert_true(dom(&r, "memcoord_domain_resize_calls_total", "vm00400") == 5);
	assert_true(isnan(dom(&r, "memcoord_domain_resize_calls_total", "vm00399")));
	assert_true(dom(&r, "memcoord_domain_resize_calls_total", "vm10399") == 1);
	free(r.v);
}

/* Health: connected, dry run, which policy text runs (path escaped like
 * any label), and when a reload last worked or was refused. */
static void health_and_policy_info(void **state)
{
	struct fixture *fx = *state;
	static const char path[] = "/etc/mem\"coord\\\n.lua";
	struct parsed r;
	const struct sample *info = NULL;
	size_t i;

	add(&fx->s, "a", 512, 100);
	fx->st = (struct mc_coord_stats){ .connected = true, .policy_path = path,
		.policy_hash = 0x0123456789abcdefULL, .last_reload = 1700000000.0,
		.last_refusal = 1700000100.0 };
	assert_int_equal(mc_metrics_sample(fx->m, &fx->s, NULL, true, &fx->st), 0);
	r = parse_file(fx->path);
	assert_true(get(&r, "memcoord_libvirt_connected", NULL, NULL) == 1);
	assert_true(get(&r, "memcoord_dry_run", NULL, NULL) == 1);
	assert_true(get(&r, "memcoord_policy_last_reload_timestamp_seconds", NULL, NULL) == 1700000000.0);
	assert_true(get(&r, "memcoord_policy_last_refusal_timestamp_seconds", NULL, NULL) == 1700000100.0);
	for (i = 0; i < r.n; i++)
		if (!strcmp(r.v[i].name, "memcoord_policy_info"))
			info = &r.v[i];
	assert_non_null(info);
	assert_int_equal(info->nlabels, 2);
	assert_string_equal(info->labels[0][1], path);
	assert_string_equal(info->labels[1][0], "hash");
	assert_string_equal(info->labels[1][1], "0123456789abcdef");
	assert_true(info->value == 1);
	free(r.v);
	promtool_check(fx->path);
}

/* A failed read of the hypervisor: connected 0, the counters still
 * written, but no host or domain values that would be stale lies. */
static void disconnected_writes_health_only(void **state)
{
	struct fixture *fx = *state;
	struct parsed r;
	double last;

	add(&fx->s, "a", 512, 100);
	fx->s.host.free = 9000 * MiB;
	fx->st.connected = true;
	fx->st.samples = 1;
	assert_int_equal(mc_metrics_sample(fx->m, &fx->s, NULL, false, &fx->st), 0);
	r = parse_file(fx->path);
	last = get(&r, "memcoord_last_sample_timestamp_seconds", NULL, NULL);
	free(r.v);
	fx->st.connected = false;
	assert_int_equal(mc_metrics_sample(fx->m, NULL, NULL, false, &fx->st), 0);
	r = parse_file(fx->path);
	assert_true(get(&r, "memcoord_libvirt_connected", NULL, NULL) == 0);
	assert_true(get(&r, "memcoord_samples_total", NULL, NULL) == 1);
	assert_true(get(&r, "memcoord_domains", NULL, NULL) == 0);
	assert_true(get(&r, "memcoord_last_sample_timestamp_seconds", NULL, NULL) == last);
	assert_false(has_family(&r, "memcoord_host_free_bytes"));
	assert_false(has_family(&r, "memcoord_domain_actual_bytes"));
	assert_false(has_family(&r, "memcoord_policy_info"));
	free(r.v);
}

/* A name reused by another domain (another uuid) is another series, with
 * counters of its own; the uuid label tells them apart. */
static void reused_name_not_merged(void **state)
{
	struct fixture *fx = *state;
	struct parsed r;

	strcpy(add(&fx->s, "web", 1024, 100)->uuid, "11111111-1111-1111-1111-111111111111");
	decide(fx, 0, 900, 0);
	assert_int_equal(mc_metrics_sample(fx->m, &fx->s, &fx->res, false, &fx->st), 0);
	next_sample(fx);
	strcpy(add(&fx->s, "web", 2048, 100)->uuid, "22222222-2222-2222-2222-222222222222");
	assert_int_equal(mc_metrics_sample(fx->m, &fx->s, NULL, false, &fx->st), 0);
	r = parse_file(fx->path);
	assert_string_equal(uuid_of(&r, "memcoord_domain_actual_bytes", "web"),
			    "22222222-2222-2222-2222-222222222222");
	assert_true(dom(&r, "memcoord_domain_resize_calls_total", "web") == 0);
	assert_true(isnan(dom(&r, "memcoord_domain_target_bytes", "web")));
	free(r.v);
}

/* A clean exit removes the file; one already gone is not an error. */
static void removed_on_exit(void **state)
{
	struct fixture *fx = *state;
	char *log = write_temp("", ".log");
	int saved;

	add(&fx->s, "a", 512, 100);
	assert_int_equal(mc_metrics_sample(fx->m, &fx->s, NULL, false, &fx->st), 0);
	assert_int_equal(access(fx->path, F_OK), 0);
	saved = capture_begin(log);
	mc_metrics_remove(fx->m);
	mc_metrics_remove(fx->m);
	mc_metrics_remove(NULL);
	capture_end(saved);
	assert_int_equal(access(fx->path, F_OK), -1);
	assert_int_equal(count_lines(log, "metrics"), 0);
	drop_temp(log);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(values_are_right, setup, teardown),
		cmocka_unit_test_setup_teardown(host_pressure_series, setup, teardown),
		cmocka_unit_test_setup_teardown(counters_persist, setup, teardown),
		cmocka_unit_test_setup_teardown(labels_escaped, setup, teardown),
		cmocka_unit_test_setup_teardown(replaced_atomically, setup, teardown),
		cmocka_unit_test(bad_path_refused),
		cmocka_unit_test_setup_teardown(ten_thousand_domains, setup, teardown),
		cmocka_unit_test_setup_teardown(planted_link_not_followed, setup, teardown),
		cmocka_unit_test(non_regular_targets_refused),
		cmocka_unit_test_setup_teardown(failure_logged_once_then_recovery, setup, teardown),
		cmocka_unit_test_setup_teardown(health_and_policy_info, setup, teardown),
		cmocka_unit_test_setup_teardown(disconnected_writes_health_only, setup, teardown),
		cmocka_unit_test_setup_teardown(reused_name_not_merged, setup, teardown),
		cmocka_unit_test_setup_teardown(removed_on_exit, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
