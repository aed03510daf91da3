/*
 * config.c - the INI file (inifile.c) and the command line -> struct mc_config.
 *
 * Defaults first, then the file, then the flags.  Every bad key or value is
 * one line naming file:line and the key (inifile.c); the caller exits with
 * status 2.
 */
#include <errno.h>
#include <fnmatch.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config.h"
#include "fileio.h"
#include "inifile.h"
#include "policy.h"
#include "util.h"

/* Parser state beyond what mc_ini keeps: the config being filled and the
 * keys already set, so a key set twice is an error. */
struct parse {
	struct mc_config *cfg;
	struct mc_ini *ini;
	char **seen;		/* "section\nkey" already set */
	size_t nseen;
};

static void set_err(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

static int replace_str(char **dst, const char *src)
{
	char *copy = strdup(src);

	if (!copy)
		return -1;
	free(*dst);
	*dst = copy;
	return 0;
}

static void defaults(struct mc_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->period = 2.0;
	cfg->sample = 1.0;
	cfg->pressure_unused_mib = 48;
	cfg->policy_timeout = MC_POLICY_TIMEOUT;
	cfg->on_exit_restore = true;
#define LIMIT_DEFAULT(field, key, mib, what) \
	cfg->limits.field = (mib) * MC_KIB_PER_MIB;
	MC_LIMITS(LIMIT_DEFAULT)
#undef LIMIT_DEFAULT
#define KSM_DEFAULT(field, key, def, what) cfg->ksm.field = (def);
	MC_KSM_LIMITS(KSM_DEFAULT)
#undef KSM_DEFAULT
#define CPU_DEFAULT(field, key, lo, hi, def, what) cfg->cpu.field = (def);
	MC_CPU_LIMITS(CPU_DEFAULT)
#undef CPU_DEFAULT
}

/* ---- value parsers: 0 on success ---- */

/* MiB in the file, KiB in memory.  1 TiB is a sane upper bound for a host. */
#define MIB_MAX (1L << 20)

static int parse_mib(const char *s, uint64_t *kib)
{
	long v;

	if (mc_ini_long(s, 0, MIB_MAX, &v))
		return -1;
	*kib = (uint64_t)v * MC_KIB_PER_MIB;
	return 0;
}

static int kv_add(struct mc_kv **v, size_t *n, const char *key,
		  const char *value)
{
	struct mc_kv *grown = realloc(*v, (*n + 1) * sizeof(**v));

	if (!grown)
		return -1;
	*v = grown;
	grown[*n].key = strdup(key);
	grown[*n].value = strdup(value);
	if (!grown[*n].key || !grown[*n].value) {
		free(grown[*n].key);
		free(grown[*n].value);
		return -1;
	}
	(*n)++;
	return 0;
}

static void kv_free(struct mc_kv *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].key);
		free(v[i].value);
	}
	free(v);
}

/* ---- the INI handler ---- */

static int seen_before(struct parse *p, const char *section, const char *key)
{
	size_t i, len = strlen(section) + strlen(key) + 2;
	char *id = malloc(len), **grown;

	if (!id)
		return -1;
	snprintf(id, len, "%s\n%s", section, key);
	for (i = 0; i < p->nseen; i++) {
		if (!strcmp(p->seen[i], id)) {
			free(id);
			return 1;
		}
	}
	grown = realloc(p->seen, (p->nseen + 1) * sizeof(*grown));
	if (!grown) {
		free(id);
		return -1;
	}
	p->seen = grown;
	p->seen[p->nseen++] = id;
	return 0;
}

/* [domain "NAME"] -> NAME, or NULL when the section is not of that form. */
static char *domain_pattern(const char *section)
{
	size_t len = strlen(section);

	if (strncmp(section, "domain \"", 8) || len < 10 || section[len - 1] != '"')
		return NULL;
	return strndup(section + 8, len - 9);
}

static struct mc_domain_conf *domain_conf(struct mc_config *cfg,
					  const char *pattern)
{
	struct mc_domain_conf *grown;
	size_t i;

	for (i = 0; i < cfg->ndomains; i++)
		if (!strcmp(cfg->domains[i].pattern, pattern))
			return &cfg->domains[i];
	grown = realloc(cfg->domains, (cfg->ndomains + 1) * sizeof(*grown));
	if (!grown)
		return NULL;
	cfg->domains = grown;
	memset(&grown[cfg->ndomains], 0, sizeof(*grown));
	grown[cfg->ndomains].pattern = strdup(pattern);
	if (!grown[cfg->ndomains].pattern)
		return NULL;
	return &grown[cfg->ndomains++];
}

/* The [cpu] rules' keys of a [domain] section (the INI's only: a VM's
 * metadata has no say over the host's pCPUs).  1, or 0 (mc_ini_fail). */
static int handle_domain_cpu(struct parse *p, const char *section,
			     struct mc_domain_conf *dc, const char *key,
			     const char *value)
{
	if (!strcmp(key, "cpu_exclude") && mc_ini_bool(value, &dc->cpu_exclude))
		return mc_ini_fail(p->ini, section, key, "'%s' is not yes or no", value);
	if (!strcmp(key, "cpuset")) {
		if (mc_cpuset_parse(value, &dc->cpuset))
			return mc_ini_fail(p->ini, section, key,
					   "'%s' is not a CPU list (0-3,6; below %d)",
					   value, MC_CPUSET_MAX);
		dc->have_cpuset = true;
	}
	return 1;
}

/* The keys of MC_VMSET_KEYS are checked as the VM's metadata is (vmset.h);
 * every key, known or not, reaches the policy as d.params. */
static int handle_domain(struct parse *p, const char *section,
			 const char *pattern, const char *key, const char *value)
{
	struct mc_domain_conf *dc = domain_conf(p->cfg, pattern);
	char why[96];

	if (!dc)
		return mc_ini_fail(p->ini, section, key, "out of memory");
	if (mc_vmset_put(&dc->set, key, value, why, sizeof(why)) < 0)
		return mc_ini_fail(p->ini, section, key, "'%s' is %s", value, why);
	if (mc_vmset_check(&dc->set, why, sizeof(why)))
		return mc_ini_fail(p->ini, section, key, "%s", why);
	if (!handle_domain_cpu(p, section, dc, key, value))
		return 0;
	if (kv_add(&dc->params, &dc->nparams, key, value))
		return mc_ini_fail(p->ini, section, key, "out of memory");
	return 1;
}

struct limit_key {
	const char *name;
	size_t offset;
};

static const struct limit_key limit_keys[] = {
#define LIMIT_KEY(field, key, mib, what) { key, offsetof(struct mc_limits, field) },
	MC_LIMITS(LIMIT_KEY)
#undef LIMIT_KEY
};

static int handle_limits(struct parse *p, const char *key, const char *value)
{
	size_t i;

	for (i = 0; i < sizeof(limit_keys) / sizeof(limit_keys[0]); i++) {
		uint64_t *field;

		if (strcmp(key, limit_keys[i].name))
			continue;
		field = (uint64_t *)((char *)&p->cfg->limits + limit_keys[i].offset);
		if (parse_mib(value, field))
			return mc_ini_fail(p->ini, "limits", key, "'%s' is not a size in MiB (0..%ld)", value, MIB_MAX);
		return 1;
	}
	return mc_ini_fail(p->ini, "limits", key, "unknown key");
}

/* [host]: ksm = on/off and the bounds of MC_KSM_LIMITS (ksm_clamp.h). */
static const struct limit_key ksm_keys[] = {
#define KSM_KEY(field, key, def, what) { key, offsetof(struct mc_ksm_limits, field) },
	MC_KSM_LIMITS(KSM_KEY)
#undef KSM_KEY
};

#define KSM_BOUND_MAX 1000000L	/* pages or ms: far past any sane setting */

static int handle_host(struct parse *p, const char *key, const char *value)
{
	size_t i;
	long v;

	if (!strcmp(key, "ksm")) {
		if (mc_ini_bool(value, &p->cfg->ksm.on))
			return mc_ini_fail(p->ini, "host", key, "'%s' is not on or off", value);
		return 1;
	}
	for (i = 0; i < sizeof(ksm_keys) / sizeof(ksm_keys[0]); i++) {
		if (strcmp(key, ksm_keys[i].name))
			continue;
		if (mc_ini_long(value, 1, KSM_BOUND_MAX, &v))
			return mc_ini_fail(p->ini, "host", key, "'%s' is not a whole number (1..%ld)",
					   value, KSM_BOUND_MAX);
		*(uint64_t *)((char *)&p->cfg->ksm + ksm_keys[i].offset) = (uint64_t)v;
		return 1;
	}
	return mc_ini_fail(p->ini, "host", key, "unknown key");
}

static const struct {
	const char *name;
	size_t offset;
	double lo, hi;
} cpu_keys[] = {
#define CPU_KEY(field, key, lo, hi, def, what) \
	{ key, offsetof(struct mc_cpu_limits, field), lo, hi },
	MC_CPU_LIMITS(CPU_KEY)
#undef CPU_KEY
};

static int handle_path(struct parse *p, const char *section, const char *key,
		       const char *value, char **dst);

/* [cpu]: the policy, two CPU lists, and the numbers of MC_CPU_LIMITS. */
static int handle_cpu(struct parse *p, const char *key, const char *value)
{
	struct mc_cpu_limits *c = &p->cfg->cpu;
	size_t i;

	if (!strcmp(key, "policy"))
		return handle_path(p, "cpu", key, value, &p->cfg->cpu_policy);
	if (!strcmp(key, "trace"))
		return handle_path(p, "cpu", key, value, &p->cfg->cpu_trace);
	if (!strcmp(key, "pcpus") || !strcmp(key, "reserve_pcpus")) {
		if (mc_cpuset_parse(value, *key == 'p' ? &c->pcpus : &c->reserve))
			return mc_ini_fail(p->ini, "cpu", key, "'%s' is not a CPU list (0-3,6; below %d)", value, MC_CPUSET_MAX);
		c->have_pcpus |= *key == 'p';
		return 1;
	}
	for (i = 0; i < sizeof(cpu_keys) / sizeof(cpu_keys[0]); i++) {
		if (strcmp(key, cpu_keys[i].name))
			continue;
		if (mc_ini_double(value, cpu_keys[i].lo, cpu_keys[i].hi,
				  (double *)((char *)c + cpu_keys[i].offset)))
			return mc_ini_fail(p->ini, "cpu", key, "'%s' is not a number (%g..%g)",
					   value, cpu_keys[i].lo, cpu_keys[i].hi);
		return 1;
	}
	return mc_ini_fail(p->ini, "cpu", key, "unknown key");
}

static int handle_value(struct parse *p, const char *section, const char *key,
			const char *value, char **dst)
{
	if (!*value)
		return mc_ini_fail(p->ini, section, key, "empty value");
	if (replace_str(dst, value))
		return mc_ini_fail(p->ini, section, key, "out of memory");
	return 1;
}

/* A file path in the config file: relative ones resolve against the
 * file's directory, since under systemd the working directory is / (flags
 * resolve against the working directory). */
static int handle_path(struct parse *p, const char *section, const char *key,
		       const char *value, char **dst)
{
	char *path;

	if (!*value)
		return mc_ini_fail(p->ini, section, key, "empty path");
	path = mc_file_path_beside(p->cfg->file, value);
	if (!path)
		return mc_ini_fail(p->ini, section, key, "out of memory");
	free(*dst);
	*dst = path;
	return 1;
}

static int handle_coordinator(struct parse *p, const char *key, const char *value)
{
	struct mc_config *cfg = p->cfg;

	if (!strcmp(key, "policy"))
		return handle_path(p, "coordinator", key, value, &cfg->policy);
	if (!strcmp(key, "period")) {
		if (mc_ini_double(value, 0.01, 3600, &cfg->period))
			return mc_ini_fail(p->ini, "coordinator", key, "'%s' is not a number of seconds (0.01..3600)", value);
	} else if (!strcmp(key, "sample")) {
		if (mc_ini_double(value, 0.01, 3600, &cfg->sample))
			return mc_ini_fail(p->ini, "coordinator", key, "'%s' is not a number of seconds (0.01..3600)", value);
	} else if (!strcmp(key, "pressure_unused_mib")) {
		if (mc_ini_long(value, 0, MIB_MAX, &cfg->pressure_unused_mib))
			return mc_ini_fail(p->ini, "coordinator", key, "'%s' is not a size in MiB (0..%ld)", value, MIB_MAX);
	} else if (!strcmp(key, "policy_timeout")) {
		if (mc_ini_double(value, 0.01, 60, &cfg->policy_timeout))
			return mc_ini_fail(p->ini, "coordinator", key, "'%s' is not a number of seconds (0.01..60)", value);
	} else if (!strcmp(key, "dry_run")) {
		if (mc_ini_bool(value, &cfg->dry_run))
			return mc_ini_fail(p->ini, "coordinator", key, "'%s' is not yes or no", value);
	} else if (!strcmp(key, "on_exit")) {
		if (strcmp(value, "keep") && strcmp(value, "restore"))
			return mc_ini_fail(p->ini, "coordinator", key, "'%s' is not keep or restore", value);
		cfg->on_exit_restore = !strcmp(value, "restore");
	} else {
		return mc_ini_fail(p->ini, "coordinator", key, "unknown key");
	}
	return 1;
}

/* A [section] line: an unknown section is an error even without keys, so
 * a misspelt [limitz] header is not silently a no-op. */
static int section_start(struct mc_ini *ini, const char *section)
{
	static const char *const known[] = {
		"libvirt", "coordinator", "limits", "policy", "output", "host", "cpu",
	};
	char *pattern;
	size_t i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (!strcmp(section, known[i]))
			return 1;
	pattern = domain_pattern(section);
	if (!pattern)
		return mc_ini_fail(ini, section, NULL, "unknown section");
	free(pattern);
	return 1;
}

static int handler(struct mc_ini *ini, const char *section, const char *key,
		   const char *value)
{
	struct parse *p = ini->user;
	char *pattern;
	int dup, rc;

	if (!key)
		return section_start(ini, section);
	p->ini = ini;
	dup = seen_before(p, section, key);
	if (dup < 0)
		return mc_ini_fail(p->ini, section, key, "out of memory");
	if (dup)
		return mc_ini_fail(p->ini, section, key, "set twice");
	if (!strcmp(section, "libvirt")) {
		if (strcmp(key, "uri"))
			return mc_ini_fail(p->ini, section, key, "unknown key");
		return handle_value(p, section, key, value, &p->cfg->uri);
	}
	if (!strcmp(section, "coordinator"))
		return handle_coordinator(p, key, value);
	if (!strcmp(section, "limits"))
		return handle_limits(p, key, value);
	if (!strcmp(section, "host"))
		return handle_host(p, key, value);
	if (!strcmp(section, "cpu"))
		return handle_cpu(p, key, value);
	if (!strcmp(section, "policy")) {
		if (kv_add(&p->cfg->policy_params, &p->cfg->npolicy_params, key, value))
			return mc_ini_fail(p->ini, section, key, "out of memory");
		return 1;
	}
	if (!strcmp(section, "output")) {
		if (!strcmp(key, "trace"))
			return handle_path(p, section, key, value, &p->cfg->trace);
		if (!strcmp(key, "metrics"))
			return handle_path(p, section, key, value, &p->cfg->metrics);
		if (!strcmp(key, "events"))
			return handle_path(p, section, key, value, &p->cfg->events);
		if (!strcmp(key, "control"))
			return handle_path(p, section, key, value, &p->cfg->control);
		return mc_ini_fail(p->ini, section, key, "unknown key");
	}
	pattern = domain_pattern(section);
	if (!pattern) {
		if (!*section)
			return mc_ini_fail(p->ini, "", key, "key outside any section");
		return mc_ini_fail(p->ini, section, key, "unknown section");
	}
	rc = handle_domain(p, section, pattern, key, value);
	free(pattern);
	return rc;
}

static enum mc_config_status parse_file(struct mc_config *cfg, const char *path,
					char *err, size_t errlen)
{
	struct parse p = { .cfg = cfg };
	size_t i;
	int rc = mc_ini_parse(path, handler, &p, err, errlen);

	for (i = 0; i < p.nseen; i++)
		free(p.seen[i]);
	free(p.seen);
	return rc ? MC_CONFIG_ERROR : MC_CONFIG_OK;
}

/* ---- cross-checks once everything is read ---- */

/* A flag that means nothing in the mode chosen is refused rather than
 * ignored: `--report r.json` on a real host would otherwise run the daemon
 * and never write the report the caller waits for. */
static enum mc_config_status validate(struct mc_config *cfg, char *err,
				      size_t errlen)
{
	if (cfg->sample > cfg->period) {
		set_err(err, errlen, "%s: sample (%gs) must not be longer than period (%gs)",
			cfg->file ? cfg->file : "memcoord", cfg->sample, cfg->period);
		return MC_CONFIG_ERROR;
	}
	if (cfg->ksm.pages_to_scan_min > cfg->ksm.pages_to_scan_max ||
	    cfg->ksm.sleep_millisecs_min > cfg->ksm.sleep_millisecs_max) {
		set_err(err, errlen, "%s: [host] a ksm_*_min is above its ksm_*_max",
			cfg->file ? cfg->file : "memcoord");
		return MC_CONFIG_ERROR;
	}
	if (cfg->policy && !cfg->check && access(cfg->policy, R_OK)) {
		set_err(err, errlen, "%s: policy: %s: %s",
			cfg->file ? cfg->file : "memcoord", cfg->policy,
			strerror(errno));
		return MC_CONFIG_ERROR;
	}
	if (cfg->cpu_policy && access(cfg->cpu_policy, R_OK)) {
		set_err(err, errlen, "%s: cpu policy: %s: %s",
			cfg->file ? cfg->file : "memcoord", cfg->cpu_policy,
			strerror(errno));
		return MC_CONFIG_ERROR;
	}
	return MC_CONFIG_OK;
}

/* ---- command line ---- */

static void usage(FILE *out)
{
	fputs("usage: memcoord [options]\n"
	      "       memcoord status [--json] | reload  [-c FILE | -s SOCKET]\n"
	      "  -c, --config FILE     INI configuration\n"
	      "  -p, --policy FILE     Lua policy (overrides [coordinator] policy)\n"
	      "      --cpu-policy FILE Lua vCPU placement policy (overrides [cpu] policy)\n"
	      "  -u, --uri URI         libvirt URI (default: LIBVIRT_DEFAULT_URI, then\n"
	      "                        libvirt's own default, as virsh)\n"
	      "  -i, --interval SEC    decide() period in seconds\n"
	      "  -n, --dry-run         decide and print, never resize\n"
	      "  -t, --test-config     load config and policy, trial calls, exit 0 or 2\n"
	      "      --once            one period, then exit\n"
	      "      --trace FILE      CSV trace, one row per domain per sample\n"
	      "      --simulate FILE   run on a simulated host (scenario INI)\n"
	      "      --realtime        pace the simulation at wall-clock speed\n"
	      "      --duration SEC    simulated seconds (default: the scenario's)\n"
	      "      --report FILE     scorecard JSON (simulator)\n"
	      "      --plot FILE       draw the trace to a PNG (needs gnuplot)\n"
	      "      --check POLICY    run a policy against built-in snapshots\n"
	      "      --foreground      stay in the foreground (always the case)\n"
	      "  -q, --quiet           warnings and errors only\n"
	      "  -v, --verbose         more detail (clamps, policy log)\n"
	      "  -h, --help            this text\n"
	      "  -V, --version         the version\n", out);
}

enum {
	OPT_ONCE = 256, OPT_TRACE, OPT_SIMULATE, OPT_REALTIME, OPT_REPORT,
	OPT_PLOT, OPT_CHECK, OPT_DURATION, OPT_FOREGROUND, OPT_CPU_POLICY, OPT_LAST
};

static const struct option long_opts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "policy", required_argument, NULL, 'p' },
	{ "uri", required_argument, NULL, 'u' },
	{ "interval", required_argument, NULL, 'i' },
	{ "dry-run", no_argument, NULL, 'n' },
	{ "test-config", no_argument, NULL, 't' },
	{ "once", no_argument, NULL, OPT_ONCE },
	{ "trace", required_argument, NULL, OPT_TRACE },
	{ "simulate", required_argument, NULL, OPT_SIMULATE },
	{ "realtime", no_argument, NULL, OPT_REALTIME },
	{ "report", required_argument, NULL, OPT_REPORT },
	{ "plot", required_argument, NULL, OPT_PLOT },
	{ "check", required_argument, NULL, OPT_CHECK },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "foreground", no_argument, NULL, OPT_FOREGROUND },
	{ "cpu-policy", required_argument, NULL, OPT_CPU_POLICY },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/* Flags that mean nothing in a mode are refused, never silently ignored:
 * for each flag, the modes it goes with. */
enum { IN_DAEMON = 1, IN_SIM = 2, IN_CHECK = 4 };
static const struct { int opt; const char *name; int modes; } flag_modes[] = {
	{ 'p', "-p", IN_DAEMON | IN_SIM },
	{ OPT_CPU_POLICY, "--cpu-policy", IN_DAEMON | IN_SIM },
	{ 'u', "-u", IN_DAEMON },
	{ 'i', "-i", IN_DAEMON | IN_SIM },
	{ 'n', "-n", IN_DAEMON | IN_SIM },
	{ OPT_ONCE, "--once", IN_DAEMON },
	{ 't', "-t", IN_DAEMON },
	{ OPT_TRACE, "--trace", IN_DAEMON | IN_SIM },
	{ OPT_REALTIME, "--realtime", IN_SIM },
	{ OPT_REPORT, "--report", IN_SIM },
	{ OPT_PLOT, "--plot", IN_SIM },
	{ OPT_DURATION, "--duration", IN_SIM },
	{ OPT_SIMULATE, "--simulate", IN_SIM },
	{ OPT_CHECK, "--check", IN_CHECK },
};

static const char *const mode_names[] = { "", "without --simulate or --check",
					  "with --simulate", "", "with --check" };

static int flag_mode(const unsigned char *seen)
{
	return seen[OPT_CHECK] ? IN_CHECK : seen[OPT_SIMULATE] ? IN_SIM : IN_DAEMON;
}

/* seen[opt] counts each flag on the command line.  NULL, or why not. */
static const char *mode_conflict(const unsigned char *seen, char *buf, size_t len)
{
	int mode = flag_mode(seen);
	size_t i;

	for (i = 0; i < sizeof(flag_modes) / sizeof(flag_modes[0]); i++) {
		if (!seen[flag_modes[i].opt])
			continue;
		if (seen[flag_modes[i].opt] > 1)
			snprintf(buf, len, "%s given twice", flag_modes[i].name);
		else if (flag_modes[i].modes == IN_SIM && !(mode & IN_SIM))
			snprintf(buf, len, "%s needs --simulate", flag_modes[i].name);
		else if (!(flag_modes[i].modes & mode))
			snprintf(buf, len, "%s means nothing %s", flag_modes[i].name,
				 mode_names[mode]);
		else
			continue;
		return buf;
	}
	return NULL;
}

/* Applies one flag; the file has already been read. */
static enum mc_config_status apply_flag(struct mc_config *cfg, int opt,
					const char *arg, char *err, size_t errlen)
{
	char **dst = NULL;

	switch (opt) {
	case 'c': return MC_CONFIG_OK;	/* read before the others */
	case 'p': dst = &cfg->policy; break;
	case OPT_CPU_POLICY: dst = &cfg->cpu_policy; break;
	case 'u': dst = &cfg->uri; break;
	case OPT_TRACE: dst = &cfg->trace; break;
	case OPT_SIMULATE: dst = &cfg->simulate; break;
	case OPT_REPORT: dst = &cfg->report; break;
	case OPT_PLOT: dst = &cfg->plot; break;
	case OPT_CHECK: dst = &cfg->check; break;
	case 'i':
		if (mc_ini_double(arg, 0.01, 3600, &cfg->period)) {
			set_err(err, errlen, "-i: '%s' is not a number of seconds (0.01..3600)", arg);
			return MC_CONFIG_ERROR;
		}
		if (cfg->sample > cfg->period)
			cfg->sample = cfg->period;
		return MC_CONFIG_OK;
	case OPT_DURATION:
		if (mc_ini_double(arg, 0.01, MC_SIM_DURATION_MAX, &cfg->duration)) {
			set_err(err, errlen, "--duration: '%s' is not a number of seconds (0.01..%.0f)",
				arg, MC_SIM_DURATION_MAX);
			return MC_CONFIG_ERROR;
		}
		return MC_CONFIG_OK;
	case 'n': cfg->dry_run = true; return MC_CONFIG_OK;
	case 't': cfg->test_config = true; return MC_CONFIG_OK;
	case OPT_ONCE: cfg->once = true; return MC_CONFIG_OK;
	case OPT_REALTIME: cfg->realtime = true; return MC_CONFIG_OK;
	case OPT_FOREGROUND: return MC_CONFIG_OK;
	case 'q': cfg->verbosity = -1; return MC_CONFIG_OK;
	case 'v': cfg->verbosity = 1; return MC_CONFIG_OK;
	default: return MC_CONFIG_ERROR;
	}
	if (!*arg) {
		set_err(err, errlen, "empty argument");
		return MC_CONFIG_ERROR;
	}
	if (replace_str(dst, arg)) {
		set_err(err, errlen, "out of memory");
		return MC_CONFIG_ERROR;
	}
	return MC_CONFIG_OK;
}

enum mc_config_status mc_config_load_file(struct mc_config *cfg,
					  const char *path, char *err,
					  size_t errlen)
{
	defaults(cfg);
	if (replace_str(&cfg->file, path)) {
		set_err(err, errlen, "out of memory");
		return MC_CONFIG_ERROR;
	}
	return parse_file(cfg, path, err, errlen);
}

static enum mc_config_status load(struct mc_config *cfg, int argc,
				  char **argv, char *err, size_t errlen)
{
	enum mc_config_status st;
	const char *file = NULL;
	unsigned char seen[OPT_LAST] = { 0 };
	char why[128];
	int opt;

	defaults(cfg);
	/* First pass: only -c, --help and --version, and reject bad flags. */
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":c:p:u:i:ntqvhV", long_opts, NULL)) != -1) {
		if (opt == 'h') {
			usage(stdout);
			return MC_CONFIG_EXIT;
		}
		if (opt == 'V') {
			printf("memcoord %s\n", MC_VERSION);
			return MC_CONFIG_EXIT;
		}
		if (opt == 'c')
			file = optarg;
		if (opt >= 0 && opt < OPT_LAST && seen[opt] < 2)
			seen[opt]++;
		if (opt == '?' || opt == ':') {
			set_err(err, errlen, "%s: %s (see --help)", argv[optind - 1],
				opt == ':' ? "needs an argument" : "unknown option");
			return MC_CONFIG_ERROR;
		}
	}
	if (optind < argc) {
		set_err(err, errlen, "%s: unexpected argument (see --help)", argv[optind]);
		return MC_CONFIG_ERROR;
	}
	if (mode_conflict(seen, why, sizeof(why))) {
		set_err(err, errlen, "%s", why);
		return MC_CONFIG_ERROR;
	}
	if (file) {
		st = mc_config_load_file(cfg, file, err, errlen);
		if (st != MC_CONFIG_OK)
			return st;
	}
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":c:p:u:i:ntqvhV", long_opts, NULL)) != -1) {
		st = apply_flag(cfg, opt, optarg, err, errlen);
		if (st != MC_CONFIG_OK)
			return st;
	}
	return validate(cfg, err, errlen);
}

/* Errors quote flags and file text: escaped, so no byte of them reaches a
 * terminal or the journal raw. */
enum mc_config_status mc_config_load(struct mc_config *cfg, int argc,
				     char **argv, char *err, size_t errlen)
{
	enum mc_config_status st = load(cfg, argc, argv, err, errlen);

	if (st == MC_CONFIG_ERROR)
		mc_ini_escape(err, errlen);
	return st;
}

void mc_config_free(struct mc_config *cfg)
{
	size_t i;

	for (i = 0; i < cfg->ndomains; i++) {
		free(cfg->domains[i].pattern);
		kv_free(cfg->domains[i].params, cfg->domains[i].nparams);
	}
	free(cfg->domains);
	kv_free(cfg->policy_params, cfg->npolicy_params);
	free(cfg->file);
	free(cfg->uri);
	free(cfg->policy);
	free(cfg->cpu_policy);
	free(cfg->cpu_trace);
	free(cfg->trace);
	free(cfg->metrics);
	free(cfg->events);
	free(cfg->control);
	free(cfg->simulate);
	free(cfg->report);
	free(cfg->plot);
	free(cfg->check);
	memset(cfg, 0, sizeof(*cfg));
}

double mc_config_policy_timeout(const struct mc_config *cfg)
{
	double t = cfg->policy_timeout > 0 ? cfg->policy_timeout : MC_POLICY_TIMEOUT;

	return t < cfg->period ? t : cfg->period;
}

const struct mc_domain_conf *mc_config_domain(const struct mc_config *cfg,
					      const char *name)
{
	size_t i;

	for (i = 0; i < cfg->ndomains; i++)
		if (!fnmatch(cfg->domains[i].pattern, name, 0))
			return &cfg->domains[i];
	return NULL;
}
