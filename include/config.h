/*
 * config.h - the INI file and the command line, merged into one struct.
 *
 * Defaults, then the file, then the flags: a flag always wins.  Every
 * error names file:line and the key, and start-up stops with status 2.
 */
#ifndef MC_CONFIG_H
#define MC_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "clamp.h"
#include "ksm_clamp.h"
#include "cpu_clamp.h"
#include "snapshot.h"
#include "vmset.h"

#define MC_EXIT_USAGE 2

/* The longest simulated run, s (--duration, a scenario's duration): a week
 * takes seconds to simulate at the default sample; 1e9 took forever. */
#define MC_SIM_DURATION_MAX (7 * 24 * 3600.0)
/* ... and at most this many samples (duration / sample): a week at one
 * sample in 0.01 s is 60 million coordinator ticks, minutes of CPU. */
#define MC_SIM_SAMPLES_MAX 2000000.0

/* A [domain "PATTERN"] section; PATTERN is an fnmatch(3) glob. */
struct mc_domain_conf {
	char *pattern;
	struct mc_vmset set;	/* min_mib, max_mib, weight, exclude */
	bool cpu_exclude;	/* [cpu] rules: never re-pinned */
	bool have_cpuset;
	struct mc_cpuset cpuset;	/* pCPUs its vCPUs may have */
	struct mc_kv *params;	/* every key, passed to Lua as d.params */
	size_t nparams;
};

struct mc_config {
	char *file;		/* INI path, NULL = none */
	char *uri;
	char *policy;
	double period;		/* s between decide() calls */
	double sample;		/* s between stats samples */
	long pressure_unused_mib;
	double policy_timeout;	/* s a policy call may take (capped by period) */
	bool dry_run;
	bool on_exit_restore;	/* on_exit = restore (default) or keep */
	bool once;
	bool test_config;	/* -t: check config and policy, then exit */
	int verbosity;		/* -1 quiet, 0 normal, 1 verbose */
	struct mc_limits limits;	/* KiB */
	char *cpu_policy;	/* [cpu] policy / --cpu-policy: place(), NULL = none */
	char *cpu_trace;	/* [cpu] trace: CSV path, NULL = none */
	struct mc_cpu_limits cpu;	/* the other [cpu] keys */
	struct mc_kv *policy_params;
	size_t npolicy_params;
	struct mc_domain_conf *domains;
	size_t ndomains;
	char *trace;		/* [output] trace: CSV path */
	char *metrics;
	char *events;		/* [output] events: JSON-lines event log */
	char *control;		/* [output] control: socket, NULL = the default */
	/* simulator and tooling (command line only) */
	char *simulate;		/* scenario file */
	bool realtime;
	char *report;		/* JSON scorecard */
	char *plot;		/* PNG */
	char *check;		/* policy to check */
	double duration;	/* simulated seconds, 0 = scenario's */
	struct mc_ksm_limits ksm;	/* [host] ksm, ksm_*: KSM control */
};

enum mc_config_status {
	MC_CONFIG_OK = 0,
	MC_CONFIG_EXIT = 1,	/* --help / --version printed: exit 0 */
	MC_CONFIG_ERROR = 2,	/* err holds one line: exit 2 */
};

/* Parses argv and the config file it names.  cfg must be zeroed or freed. */
enum mc_config_status mc_config_load(struct mc_config *cfg, int argc,
				     char **argv, char *err, size_t errlen);
/* Reads only an INI file over the defaults (for tests and fuzzing). */
enum mc_config_status mc_config_load_file(struct mc_config *cfg,
					  const char *path, char *err,
					  size_t errlen);
void mc_config_free(struct mc_config *cfg);

/* The first [domain] section whose pattern matches name, or NULL. */
/* The policy's deadline: policy_timeout (0 = the default), never longer than a period (a
 * late policy must not cost more than the period it serves). */
double mc_config_policy_timeout(const struct mc_config *cfg);
const struct mc_domain_conf *mc_config_domain(const struct mc_config *cfg,
					      const char *name);

#endif
