/* test_events.c - the JSON-lines event log: every line is strict JSON (a
 * parser here, RFC 8259), awkward names survive the round trip, the fields
 * answer "why did this VM change size", the file can be rotated, and the
 * coordinator reports resizes, failures, policy errors and reconnects; a
 * link, FIFO or device at the path is refused, a full disk is logged once
 * without leaving half a line, and no number is too big for an event. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ctype.h>
#include <regex.h>

#include "clamp.h"
#include "config.h"
#include "coordinator.h"
#include "events.h"
#include "fileio.h"
#include "hypervisor.h"
#include "metrics.h"
#include "policy.h"
#include "report.h"
#include "snapshot.h"
#include "testutil.h"
#include "testoutput.h"
#include "utf8.h"

/* ---- a strict JSON parser for one flat event object ---- */

enum kind { K_STR, K_NUM, K_NULL, K_BOOL, K_ARR };

struct field {
	char key[32];
	enum kind kind;
	char str[1024];		/* K_STR decoded; K_ARR strings joined by ',' */
	double num;
};

struct event {
	struct field f[32];
	int n;
};

struct jp {
	const char *p;
};

static void ws(struct jp *j)
{
	while (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')
		j->p++;
}

static void expect(struct jp *j, char c)
{
	ws(j);
	if (*j->p != c)
		fail_msg("expected '%c' at '%.20s'", c, j->p);
	j->p++;
}

static void put_utf8(char *out, size_t *n, unsigned cp)
{
	if (cp < 0x80) {
		out[(*n)++] = (char)cp;
	} else if (cp < 0x800) {
		out[(*n)++] = (char)(0xC0 | cp >> 6);
		out[(*n)++] = (char)(0x80 | (cp & 0x3F));
	} else {
		if (cp >= 0xD800 && cp <= 0xDFFF)
			fail_msg("lone surrogate \\u%04x", cp);
		out[(*n)++] = (char)(0xE0 | cp >> 12);
		out[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[(*n)++] = (char)(0x80 | (cp & 0x3F));
	}
}

static void escape(struct jp *j, char *out, size_t *n)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *hit = strchr(from, *j->p);
	unsigned cp;

	if (*j->p && hit) {
		out[(*n)++] = to[hit - from];
		j->p++;
		return;
	}
	if (*j->p != 'u' || sscanf(j->p + 1, "%4x", &cp) != 1 ||
	    !isxdigit((unsigned char)j->p[4]))
		fail_msg("bad escape at '%.10s'", j->p);
	put_utf8(out, n, cp);
	j->p += 5;
}

static void string(struct jp *j, char *out, size_t len)
{
	size_t n = 0;

	expect(j, '"');
	while (*j->p != '"') {
		unsigned char c = (unsigned char)*j->p;
		size_t u;

		if (n + 8 >= len)
			fail_msg("string too long");
		if (c < 0x20)
			fail_msg("raw control character 0x%02x in a string", c);
		if (c == '\\') {
			j->p++;
			escape(j, out, &n);
			continue;
		}
		u = mc_utf8_len(j->p);
		if (!u)
			fail_msg("invalid UTF-8 in a string");
		memcpy(out + n, j->p, u);
		n += u;
		j->p += u;
	}
	j->p++;
	out[n] = '\0';
}

/* -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static double number(struct jp *j)
{
	const char *s = j->p;

	if (*j->p == '-')
		j->p++;
	if (*j->p == '0')
		j->p++;
	else if (isdigit((unsigned char)*j->p))
		while (isdigit((unsigned char)*j->p))
			j->p++;
	else
		fail_msg("bad number at '%.10s'", s);
	if (*j->p == '.') {
		if (!isdigit((unsigned char)*++j->p))
			fail_msg("bad fraction at '%.10s'", s);
		while (isdigit((unsigned char)*j->p))
			j->p++;
	}
	if (*j->p == 'e' || *j->p == 'E') {
		j->p++;
		if (*j->p == '+' || *j->p == '-')
			j->p++;
		if (!isdigit((unsigned char)*j->p))
			fail_msg("bad exponent at '%.10s'", s);
		while (isdigit((unsigned char)*j->p))
			j->p++;
	}
	return strtod(s, NULL);
}

static void array(struct jp *j, struct field *f)
{
	char item[256];

	expect(j, '[');
	ws(j);
	f->str[0] = '\0';
	while (*j->p != ']') {
		string(j, item, sizeof(item));	/* our arrays hold names */
		if (f->str[0])
			strcat(f->str, ",");
		strcat(f->str, item);
		ws(j);
		if (*j->p == ',')
			expect(j, ',');
		else if (*j->p != ']')
			fail_msg("expected , or ] at '%.10s'", j->p);
		ws(j);
	}
	j->p++;
}

static void value(struct jp *j, struct field *f)
{
	ws(j);
	if (*j->p == '"') {
		f->kind = K_STR;
		string(j, f->str, sizeof(f->str));
	} else if (*j->p == '[') {
		f->kind = K_ARR;
		array(j, f);
	} else if (!strncmp(j->p, "null", 4)) {
		f->kind = K_NULL;
		j->p += 4;
	} else if (!strncmp(j->p, "true", 4) || !strncmp(j->p, "false", 5)) {
		f->kind = K_BOOL;
		j->p += *j->p == 't' ? 4 : 5;
	} else {
		f->kind = K_NUM;
		f->num = number(j);
	}
}

/* One line: a flat object, each key once, then exactly "\n". */
static struct event parse_line(const char *line)
{
	struct jp j = { line };
	struct event e = { .n = 0 };
	int i;

	expect(&j, '{');
	ws(&j);
	while (*j.p != '}') {
		struct field *f = &e.f[e.n];

		assert_true(e.n < 32);
		string(&j, f->key, sizeof(f->key));
		for (i = 0; i < e.n; i++)
			if (!strcmp(e.f[i].key, f->key))
				fail_msg("key %s twice", f->key);
		expect(&j, ':');
		value(&j, f);
		e.n++;
		ws(&j);
		if (*j.p == ',')
			j.p++;
		else if (*j.p != '}')
			fail_msg("expected , or } at '%.10s'", j.p);
		ws(&j);
	}
	if (strcmp(j.p, "}\n"))
		fail_msg("trailing text after the object: '%s'", j.p);
	return e;
}

static const struct field *field(const struct event *e, const char *key)
{
	int i;

	for (i = 0; i < e->n; i++)
		if (!strcmp(e->f[i].key, key))
			return &e->f[i];
	fail_msg("no field %s", key);
	return NULL;
}

static const char *str(const struct event *e, const char *key)
{
	const struct field *f = field(e, key);

	if (f->kind != K_STR && f->kind != K_ARR)
		fail_msg("%s is not a string", key);
	return f->str;
}

static double num(const struct event *e, const char *key)
{
	const struct field *f = field(e, key);

	if (f->kind != K_NUM)
		fail_msg("%s is not a number", key);
	return f->num;
}

/* Every line of path, parsed; n set to their count. */
static struct event *read_events(const char *path, int *n)
{
	static struct event ev[64];
	char line[4096];
	FILE *f = fopen(path, "r");

	assert_non_null(f);
	*n = 0;
	while (fgets(line, sizeof(line), f)) {
		assert_true(*n < 64);
		ev[(*n)++] = parse_line(line);
	}
	assert_int_equal(fclose(f), 0);
	return ev;
}

/* RFC 3339, local time with its offset, milliseconds. */
static void assert_timestamp(const char *ts)
{
	regex_t re;

	assert_int_equal(regcomp(&re, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:"
				 "[0-9]{2}\\.[0-9]{3}[+-][0-9]{2}:[0-9]{2}$",
				 REG_EXTENDED | REG_NOSUB), 0);
	if (regexec(&re, ts, 0, NULL, 0))
		fail_msg("bad timestamp '%s'", ts);
	regfree(&re);
}

/* ---- the API ---- */

static const char weird[] = "we\"ird\\name\n\t\x01 caf\xc3\xa9";

static void resize_event(void **state)
{
	char *path = write_temp("", ".jsonl"), err[256];
	struct mc_events *e = mc_events_open(path, err, sizeof(err));
	struct mc_domain d = { .track = { .min = 256 * MiB, .max = 4096 * MiB } };
	struct mc_decision dec = { .from = 1024 * MiB, .proposed = 700.0 * MiB,
		.target = 800 * MiB, .rules = MC_CLAMP_FLOOR | MC_CLAMP_STEP,
		.act = true };
	const struct event *ev;
	int n;

	(void)state;
	assert_non_null(e);
	d.name = (char *)weird;
	snprintf(d.uuid, sizeof(d.uuid), "6695eb01-f6a4-8304-79aa-97f2502e193f");
	d.cur.actual = 1024 * MiB;
	d.cur.unused = 300 * MiB;
	d.cur.have_stats = true;
	mc_events_resize(e, &d, &dec, "pressure", "/etc/p.lua", MC_EVENTS_RESIZED);
	mc_events_close(e);
	ev = read_events(path, &n);
	assert_int_equal(n, 1);
	assert_timestamp(str(ev, "ts"));
	assert_string_equal(str(ev, "event"), "resize");
	assert_string_equal(str(ev, "domain"), weird);
	assert_string_equal(str(ev, "outcome"), "resized");
	assert_true(num(ev, "before_kib") == 1024.0 * 1024);
	assert_true(num(ev, "after_kib") == 800.0 * 1024);
	assert_true(num(ev, "proposed_kib") == 700.0 * 1024);
	assert_string_equal(str(ev, "clamps"), "floor,step");
	assert_string_equal(str(ev, "reason"), "pressure");
	assert_string_equal(str(ev, "policy"), "/etc/p.lua");
	assert_true(num(ev, "unused_kib") == 300.0 * 1024);
	assert_true(num(ev, "used_kib") == 724.0 * 1024);
	drop_temp(path);
}

/* Invalid UTF-8 becomes U+FFFD rather than an unparseable line. */
static void invalid_utf8_replaced(void **state)
{
	char *path = write_temp("", ".jsonl"), err[256];
	struct mc_events *e = mc_events_open(path, err, sizeof(err));
	const struct event *ev;
	int n;

	(void)state;
	mc_events_policy(e, "policy_error", "bad\xff.lua", "cut \xe2\x82 short");
	mc_events_close(e);
	ev = read_events(path, &n);
	assert_int_equal(n, 1);
	assert_string_equal(str(ev, "policy"), "bad\xEF\xBF\xBD.lua");
	assert_string_equal(str(ev, "why"), "cut \xEF\xBF\xBD\xEF\xBF\xBD short");
	drop_temp(path);
}

static void policy_and_reconnect_events(void **state)
{
	char *path = write_temp("", ".jsonl"), err[256];
	struct mc_events *e = mc_events_open(path, err, sizeof(err));
	const struct event *ev;
	int n;

	(void)state;
	mc_events_policy(e, "policy_load", "p.lua", "SIGHUP");
	mc_events_policy(e, "policy_refused", "p.lua", "p.lua:3: '\"end\"' expected\nnear x");
	mc_events_policy(e, "policy_recovered", "p.lua", NULL);
	mc_events_reconnect(e, "libvirt", 3);
	mc_events_close(e);
	ev = read_events(path, &n);
	assert_int_equal(n, 4);
	assert_string_equal(str(&ev[0], "event"), "policy_load");
	assert_string_equal(str(&ev[0], "why"), "SIGHUP");
	assert_string_equal(str(&ev[1], "why"), "p.lua:3: '\"end\"' expected\nnear x");
	assert_int_equal(field(&ev[2], "why")->kind, K_NULL);
	assert_string_equal(str(&ev[3], "event"), "reconnect");
	assert_string_equal(str(&ev[3], "backend"), "libvirt");
	assert_true(num(&ev[3], "count") == 3);
	drop_temp(path);
}

/* A simulation's clock: its seconds since the epoch, in UTC whatever the
 * host's zone, so a run reads the same anywhere; NULL goes back to the
 * wall clock. */
static double sim_clock(void *arg)
{
	return *(const double *)arg;
}

static void simulated_clock(void **state)
{
	char *path = write_temp("", ".jsonl"), err[256];
	struct mc_events *e = mc_events_open(path, err, sizeof(err));
	double now = 86401.5;
	const struct event *ev;
	int n;

	(void)state;
	setenv("TZ", "America/New_York", 1);
	tzset();
	mc_events_set_clock(e, sim_clock, &now);
	mc_events_reconnect(e, "sim", 1);
	now = 2.0004;
	mc_events_policy(e, "policy_error", "p.lua", NULL);
	mc_events_set_clock(e, NULL, NULL);
	mc_events_reconnect(e, "libvirt", 2);
	mc_events_set_clock(NULL, sim_clock, &now);	/* no log: nothing */
	mc_events_close(e);
	unsetenv("TZ");
	tzset();
	ev = read_events(path, &n);
	assert_int_equal(n, 3);
	assert_string_equal(str(&ev[0], "ts"), "1970-01-02T00:00:01.500+00:00");
	assert_string_equal(str(&ev[1], "ts"), "1970-01-01T00:00:02.000+00:00");
	assert_timestamp(str(&ev[2], "ts"));
	assert_null(strstr(str(&ev[2], "ts"), "1970-"));
	drop_temp(path);
}

/* logrotate moves the file away; SIGHUP re-opens the path. */
static void reopen_after_rotation(void **state)
{
	char *path = write_temp("", ".jsonl"), rotated[128], err[256];
	struct mc_events *e = mc_events_open(path, err, sizeof(err));
	int n;

	(void)state;
	mc_events_reconnect(e, "libvirt", 1);
	mc_events_close(e);	/* a restart appends, it does not truncate */
	e = mc_events_open(path, err, sizeof(err));
	assert_non_null(e);
	mc_events_reconnect(e, "libvirt", 1);
	snprintf(rotated, sizeof(rotated), "%s.1", path);
	assert_int_equal(rename(path, rotated), 0);
	mc_events_reconnect(e, "libvirt", 2);		/* still the old file */
	assert_int_equal(mc_events_reopen(e), 0);
	mc_events_reconnect(e, "libvirt", 3);
	mc_events_close(e);
	read_events(rotated, &n);
	assert_int_equal(n, 3);
	assert_true(num(read_events(path, &n), "count") == 3);
	assert_int_equal(n, 1);
	unlink(rotated);
	drop_temp(path);
}

static void null_and_bad_path(void **state)
{
	char err[256] = "";

	(void)state;
	assert_null(mc_events_open("/no/such/dir/ev.jsonl", err, sizeof(err)));
	assert_non_null(strstr(err, "/no/such/dir/ev.jsonl"));
	mc_events_policy(NULL, "policy_load", "p.lua", NULL);	/* no-ops */
	mc_events_reconnect(NULL, "libvirt", 1);
	assert_int_equal(mc_events_reopen(NULL), 0);
	mc_events_close(NULL);
}

/* A policy may propose anything: the event is written whatever the
 * number's size, never dropped as "out of memory". */
static void huge_proposal_kept(void **state)
{
	char *path = write_temp("", ".jsonl"), err[256];
	struct mc_events *e = mc_events_open(path, err, sizeof(err));
	struct mc_domain d = { .name = "big",
		.track = { .min = 256 * MiB, .max = 4096 * MiB } };
	struct mc_decision dec = { .from = 1024 * MiB, .proposed = 1e300,
		.target = 4096 * MiB, .rules = MC_CLAMP_MAX, .act = true };
	const struct event *ev;
	int n;

	(void)state;
	assert_non_null(e);
	mc_events_resize(e, &d, &dec, "period", "p.lua", MC_EVENTS_RESIZED);
	dec.proposed = -1.7e308;
	mc_events_resize(e, &d, &dec, "period", "p.lua", MC_EVENTS_RESIZED);
	mc_events_close(e);
	ev = read_events(path, &n);
	assert_int_equal(n, 2);
	assert_true(num(&ev[0], "proposed_kib") == 1e300);
	assert_true(num(&ev[1], "proposed_kib") == -1.7e308);
	assert_true(num(&ev[0], "after_kib") == 4096.0 * 1024);
	drop_temp(path);
}

static bool try_events(const char *path, char *err, size_t errlen)
{
	struct mc_events *e = mc_events_open(path, err, errlen);

	mc_events_close(e);
	return e != NULL;
}

/* A symlink planted at the event log's path (the directory is writable
 * by someone else), a FIFO (it would block start-up), a device. */
static void links_fifos_devices_refused(void **state)
{
	(void)state;
	assert_refuses_planted_link(try_events);
	assert_refuses_fifo_and_device(try_events);
}

/* A full disk (here: a file size limit): the failure is logged once, not
 * per event; the first event that fits again says so; and no half line
 * stays behind to break every reader after it. */
static void write_failure_once_and_recovery(void **state)
{
	char *path = write_temp("", ".jsonl"), *log = write_temp("", ".log");
	char err[256];
	struct mc_events *e = mc_events_open(path, err, sizeof(err));
	const struct event *ev;
	int saved, i, n;

	(void)state;
	assert_non_null(e);
	saved = capture_begin(log);
	limit_file_size(1000);
	for (i = 0; i < 20; i++)	/* ~90 bytes each */
		mc_events_reconnect(e, "libvirt", (unsigned long)i);
	limit_file_size(RLIM_INFINITY);
	mc_events_reconnect(e, "libvirt", 99);
	capture_end(saved);
	mc_events_close(e);
	assert_int_equal(count_lines(log, "events: cannot write"), 1);
	assert_int_equal(count_lines(log, "events: writing"), 1);
	ev = read_events(path, &n);	/* every line parses */
	assert_true(n > 5 && n < 20);
	assert_true(num(&ev[n - 1], "count") == 99);
	drop_temp(log);
	drop_temp(path);
}

/* ---- the coordinator reports what it did ---- */

struct fake {
	struct mc_backend base;
	double t;
	int set_rc;		/* what set_target answers */
	int calls;
	int reconnect_at;	/* collect number that re-opens a connection */
	int collects;
	uint64_t actual;	/* the balloon: follows a successful resize */
};

static int fake_collect(struct mc_backend *b, struct mc_snapshot *s)
{
	struct fake *f = (struct fake *)b;
	struct mc_domain *d = mc_snapshot_add(s, weird);

	if (++f->collects == f->reconnect_at)
		b->reconnects++;
	snprintf(d->uuid, sizeof(d->uuid), "6695eb01-f6a4-8304-79aa-97f2502e193f");
	d->max = 4096 * MiB;
	d->cur.actual = f->actual;
	d->cur.unused = f->actual - 548 * MiB;
	d->cur.last_update = f->collects;	/* the guest reports every sample */
	d->cur.available = 2048 * MiB;
	d->cur.have_stats = true;
	s->host.total = 16384 * MiB;
	s->host.free = 8192 * MiB;
	s->time = f->t;
	f->t += 1;
	return 0;
}

static int fake_set_target(struct mc_backend *b, const struct mc_domain *d,
			   uint64_t kib)
{
	struct fake *f = (struct fake *)b;

	(void)d;
	f->calls++;
	if (f->set_rc == 0)
		f->actual = kib;
	return f->set_rc;
}

static void fake_close(struct mc_backend *b) { (void)b; }

static const struct mc_backend_ops fake_ops = {
	.collect = fake_collect, .set_target = fake_set_target, .close = fake_close,
};

/* Shrinks by 100 MiB each call, except the second call, which raises. */
static const char policy_src[] =
	"function decide(domains, host, ctx)\n"
	"  if ctx.tick == 1 then error('boom \"quoted\"') end\n"
	"  return { [domains[1].name] = domains[1].actual - 100 * 1024 }\n"
	"end\n";

static void coordinator_reports(void **state)
{
	struct mc_config cfg = { .period = 1, .sample = 1, .policy_timeout = 1,
		.limits = { .min_domain = 256 * MiB, .guest_reserve = 64 * MiB,
			    .host_reserve = 1024 * MiB, .deadband = 8 * MiB } };
	struct fake f = { .base = { .ops = &fake_ops, .kind = "fake" },
			  .reconnect_at = 3, .actual = 2048 * MiB };
	char *ppath = write_temp(policy_src, ".lua"), *epath = write_temp("", ".jsonl");
	char mpath[96], err[512];
	struct mc_policy *p = mc_policy_load(ppath, NULL, 0, err, sizeof(err));
	struct mc_events *e = mc_events_open(epath, err, sizeof(err));
	struct mc_metrics *m;
	struct mc_coord *c;
	const struct event *ev;
	int n;

	(void)state;
	snprintf(mpath, sizeof(mpath), "%s.prom", epath);
	m = mc_metrics_open(mpath, err, sizeof(err));
	assert_non_null(p);
	assert_non_null(e);
	assert_non_null(m);
	c = mc_coord_new(&cfg, &f.base, p, NULL);
	assert_non_null(c);
	mc_coord_set_outputs(c, m, e);
	assert_int_equal(mc_coord_sample(c), 0);	/* resized */
	assert_int_equal(mc_coord_sample(c), 0);	/* policy error */
	f.set_rc = -1;
	assert_int_equal(mc_coord_sample(c), 0);	/* reconnect, recovered, failed */
	cfg.dry_run = true;
	assert_int_equal(mc_coord_sample(c), 0);	/* would resize */
	mc_coord_free(c);
	mc_events_close(e);
	mc_metrics_close(m);

	ev = read_events(epath, &n);
	assert_int_equal(n, 6);
	assert_string_equal(str(&ev[0], "event"), "resize");
	assert_string_equal(str(&ev[0], "domain"), weird);
	assert_string_equal(str(&ev[0], "outcome"), "resized");
	assert_string_equal(str(&ev[0], "reason"), "period");
	assert_string_equal(str(&ev[0], "policy"), ppath);
	assert_true(num(&ev[0], "before_kib") == 2048.0 * 1024);
	assert_true(num(&ev[0], "after_kib") == 1948.0 * 1024);
	assert_string_equal(str(&ev[1], "event"), "policy_error");
	assert_non_null(strstr(str(&ev[1], "why"), "boom \"quoted\""));
	assert_string_equal(str(&ev[2], "event"), "reconnect");
	assert_true(num(&ev[2], "count") == 1);
	assert_string_equal(str(&ev[3], "event"), "policy_recovered");
	assert_string_equal(str(&ev[4], "outcome"), "failed");
	assert_string_equal(str(&ev[5], "outcome"), "dry_run");
	assert_int_equal(f.calls, 2);
	/* The same run, as the metrics file saw it. */
	{
		char cmd[1024];

		snprintf(cmd, sizeof(cmd),
			 "grep -qx 'memcoord_libvirt_reconnects_total 1' %s && "
			 "grep -q '^memcoord_domain_resize_calls_total{.*} 2$' %s && "
			 "grep -qx 'memcoord_resize_failures_total 1' %s", mpath, mpath, mpath);
		assert_int_equal(system(cmd), 0);
	}
	unlink(mpath);
	drop_temp(epath);
	drop_temp(ppath);
}

/* [output] events = FILE reaches the config. */
static void config_key(void **state)
{
	char *ini = write_temp("[output]\nevents = /var/log/memcoord/events.jsonl\n", ".ini");
	struct mc_config cfg = { 0 };
	char err[256];

	(void)state;
	assert_int_equal(mc_config_load_file(&cfg, ini, err, sizeof(err)), MC_CONFIG_OK);
	assert_string_equal(cfg.events, "/var/log/memcoord/events.jsonl");
	mc_config_free(&cfg);
	drop_temp(ini);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(resize_event),
		cmocka_unit_test(invalid_utf8_replaced),
		cmocka_unit_test(policy_and_reconnect_events),
		cmocka_unit_test(simulated_clock),
		cmocka_unit_test(reopen_after_rotation),
		cmocka_unit_test(null_and_bad_path),
		cmocka_unit_test(coordinator_reports),
		cmocka_unit_test(config_key),
		cmocka_unit_test(huge_proposal_kept),
		cmocka_unit_test(links_fifos_devices_refused),
		cmocka_unit_test(write_failure_once_and_recovery),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
