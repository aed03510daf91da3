/*
 * main.c - command line, config, and the event loop wiring; nothing else.
 *
 * One event loop, libvirt's own: a timer for samples, a signalfd for
 * SIGHUP/SIGINT/SIGTERM, an inotify watch on the policy's directory (editors
 * replace files by rename, so the file itself is not watched) and, when the
 * policy is a symlink, on its target's directory too.
 *
 * SIGHUP/SIGINT/SIGTERM are blocked before anything else: one that arrives
 * during start-up stays pending and is read from the signalfd once the loop
 * runs, instead of killing the daemon with a status systemd does not retry.
 *
 * Under Type=notify systemd hears (notify.c): READY=1 after the first
 * sample that worked (not before: a daemon that cannot read libvirt is not
 * up), RELOADING=1 ... READY=1 around every reload, STATUS= when the policy
 * or the number of domains changes or a reload is refused, WATCHDOG=1 each
 * sample, STOPPING=1 on the way out.
 */
#include <errno.h>
#include <libgen.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <libvirt/libvirt.h>

#include "check.h"
#include "config.h"
#include "control.h"
#include "coordinator.h"
#include "ctl_client.h"
#include "events.h"
#include "hypervisor.h"
#include "inifile.h"
#include "log.h"
#include "metrics.h"
#include "notify.h"
#include "cpu_coord.h"
#include "policy.h"
#include "report.h"
#include "signals.h"
#include "status.h"
#include "sim.h"
#include "util.h"

/* start() was interrupted by SIGTERM/SIGINT: exit 0, as the loop would */
#define START_STOPPED (-1)
#define RELOAD_DEBOUNCE_MS 200	/* editors write a file in several steps */

struct daemon {
	int argc;
	char **argv;
	struct mc_config cfg;
	struct mc_backend *backend;
	struct mc_report *report;
	struct mc_coord *coord;
	struct mc_metrics *metrics;	/* [output] metrics, NULL = off */
	struct mc_events *events;	/* [output] events, NULL = off */
	int sample_timer, reload_timer;
	int sigfd, sig_watch;
	int inofd, ino_watch, ino_wd, ino_target_wd;
	char policy_name[256];	/* basename watched in the policy's dir */
	char target_name[256];	/* basename of its resolved target, if a link */
	int quit;
	bool ready;		/* READY=1 sent: the first sample worked */
	bool notify_failing;	/* a notification failed (warned once) */
	uint64_t watchdog_usec;	/* WATCHDOG=1 is due within this, 0 = none */
	size_t status_ndoms;	/* domains named in the last STATUS= */
	char refusal[2 * MC_ERR_LEN];	/* why the last reload was refused, or "" */
	struct mc_control *control;	/* [output] control, NULL = none */
};

/* ---- systemd notifications ---- */

/* rc of an mc_notify*() call: a broken NOTIFY_SOCKET is warned about once,
 * not every sample (WATCHDOG=1), and never stops the daemon. */
static void notified(struct daemon *dm, int rc)
{
	if (rc && !dm->notify_failing)
		mc_warn("systemd notification failed: %s", strerror(errno));
	dm->notify_failing = rc != 0;
}

/* STATUS= for `systemctl status`: the policy, the domains, and a refused
 * reload until the next one works.  Sent when force or when the number of
 * domains changed, not every sample. */
static void update_status(struct daemon *dm, bool force)
{
	const struct mc_snapshot *s = mc_coord_snapshot(dm->coord);
	size_t n = s ? s->ndoms : 0;
	char text[4 * MC_ERR_LEN];

	if (!force && n == dm->status_ndoms)
		return;
	dm->status_ndoms = n;
	snprintf(text, sizeof(text), "policy %s, %zu domain%s%s%s",
		 dm->cfg.policy ? dm->cfg.policy : "(none)",
		 n, n == 1 ? "" : "s", dm->refusal[0] ? "; " : "", dm->refusal);
	notified(dm, mc_notify_status(text));
}

/* Before the first good sample systemd still waits for READY=1: a reload
 * then must not announce one. */
static void reload_begins(struct daemon *dm)
{
	if (dm->ready)
		notified(dm, mc_notify_reloading());
}

static void reload_ends(struct daemon *dm)
{
	if (!dm->ready)
		return;
	update_status(dm, true);
	notified(dm, mc_notify("READY=1"));
}

static void set_log_level(const struct mc_config *cfg)
{
	mc_log_set_level(cfg->verbosity < 0 ? MC_LOG_WARN :
			 cfg->verbosity > 0 ? MC_LOG_DEBUG : MC_LOG_INFO);
}

/* ---- policy hot swap ---- */

/* Adds a watch on path's directory and keeps path's basename in name. */
static int watch_dir_of(struct daemon *dm, const char *path, char *name,
			size_t len)
{
	char dir[4096], base[4096];
	int wd;

	snprintf(dir, sizeof(dir), "%s", path);
	snprintf(base, sizeof(base), "%s", path);
	snprintf(name, len, "%s", basename(base));
	wd = inotify_add_watch(dm->inofd, dirname(dir),
			       IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE);
	if (wd < 0)
		mc_warn("cannot watch %s for changes: %s (SIGHUP still reloads)",
			path, strerror(errno));
	return wd;
}

/* Watches the policy's directory, and its resolved target's when it is a
 * symlink: editing the target changes nothing in the link's directory.
 * Called on every reload, since the link may have been repointed. */
static void watch_policy(struct daemon *dm)
{
	char *target;

	if (dm->inofd < 0 || !dm->cfg.policy)
		return;
	if (dm->ino_wd >= 0)
		inotify_rm_watch(dm->inofd, dm->ino_wd);
	if (dm->ino_target_wd >= 0 && dm->ino_target_wd != dm->ino_wd)
		inotify_rm_watch(dm->inofd, dm->ino_target_wd);
	dm->ino_target_wd = -1;
	dm->target_name[0] = '\0';
	dm->ino_wd = watch_dir_of(dm, dm->cfg.policy, dm->policy_name,
				  sizeof(dm->policy_name));
	target = realpath(dm->cfg.policy, NULL);
	if (target) {
		dm->ino_target_wd = watch_dir_of(dm, target, dm->target_name,
						 sizeof(dm->target_name));
		free(target);
	}
}

static bool is_policy_event(const struct daemon *dm,
			    const struct inotify_event *ev)
{
	if (!ev->len)
		return false;
	return (ev->wd == dm->ino_wd && !strcmp(ev->name, dm->policy_name)) ||
	       (ev->wd == dm->ino_target_wd && !strcmp(ev->name, dm->target_name));
}

static void reload_cpu_policy(struct daemon *dm, const char *why)
{
	struct mc_cpu_coord *cc = mc_coord_cpu(dm->coord);
	char err[MC_ERR_LEN];

	if (!cc || !dm->cfg.cpu_policy)
		return;
	if (mc_cpu_coord_reload_policy(cc, dm->cfg.cpu_policy,
				       mc_coord_snapshot(dm->coord), err, sizeof(err))) {
		mc_error("new cpu policy refused (%s), the old one keeps running: %s",
			 why, err);
		mc_events_policy(dm->events, "policy_refused", dm->cfg.cpu_policy, err);
	} else {
		mc_info("cpu policy %s loaded (%s)", dm->cfg.cpu_policy, why);
		mc_events_policy(dm->events, "policy_load", dm->cfg.cpu_policy, why);
	}
}

static void reload_policy(struct daemon *dm, const char *why)
{
	char err[MC_ERR_LEN];

	reload_cpu_policy(dm, why);
	if (!dm->cfg.policy)
		return;
	watch_policy(dm);	/* a symlink may point elsewhere now */
	if (mc_coord_reload_policy(dm->coord, dm->cfg.policy, err, sizeof(err))) {
		mc_error("new policy refused (%s), the old one keeps running: %s",
			 why, err);
		mc_events_policy(dm->events, "policy_refused", dm->cfg.policy, err);
		snprintf(dm->refusal, sizeof(dm->refusal),
			 "new policy refused (%s): %s", why, err);
	} else {
		dm->refusal[0] = '\0';
		mc_info("policy %s loaded (%s)", dm->cfg.policy, why);
		mc_events_policy(dm->events, "policy_load", dm->cfg.policy, why);
	}
}

static void on_reload_timer(int timer, void *opaque)
{
	struct daemon *dm = opaque;

	virEventUpdateTimeout(timer, -1);
	reload_begins(dm);
	reload_policy(dm, "file changed");
	reload_ends(dm);
}

static void on_inotify(int watch, int fd, int events, void *opaque)
{
	struct daemon *dm = opaque;
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;
	char *p;

	(void)watch;
	(void)events;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (p = buf; p < buf + n;) {
			struct inotify_event *ev = (struct inotify_event *)p;

			if (is_policy_event(dm, ev))
				virEventUpdateTimeout(dm->reload_timer, RELOAD_DEBOUNCE_MS);
			p += sizeof(*ev) + ev->len;
		}
	}
}

/* ---- signals ---- */

static void reload_config(struct daemon *dm)
{
	struct mc_config fresh = { 0 };
	char err[MC_ERR_LEN];

	if (mc_config_load(&fresh, dm->argc, dm->argv, err, sizeof(err)) != MC_CONFIG_OK) {
		mc_error("SIGHUP: config refused, the running one stays: %s", err);
		snprintf(dm->refusal, sizeof(dm->refusal), "config refused: %s", err);
		mc_coord_config_refused(dm->coord);
		mc_events_config_refused(dm->events, dm->cfg.file, err);
		mc_config_free(&fresh);
		return;
	}
	mc_coord_set_config(dm->coord, &fresh);
	mc_config_free(&dm->cfg);
	dm->cfg = fresh;
	mc_coord_set_config(dm->coord, &dm->cfg);
	set_log_level(&dm->cfg);
	if (dm->backend->ops->reread)	/* the settings kept with each VM too */
		dm->backend->ops->reread(dm->backend);
	mc_events_reopen(dm->events);	/* after logrotate; [output] paths are kept */
	mc_report_reopen(dm->report);
	mc_cpu_coord_reopen(mc_coord_cpu(dm->coord));
	mc_info("SIGHUP: config %s re-read", dm->cfg.file ? dm->cfg.file : "(none)");
	virEventUpdateTimeout(dm->sample_timer, (int)(dm->cfg.sample * 1000));
	reload_policy(dm, "SIGHUP");
}

static void on_signal(int watch, int fd, int events, void *opaque)
{
	struct daemon *dm = opaque;
	struct signalfd_siginfo si;

	(void)watch;
	(void)events;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			reload_begins(dm);
			reload_config(dm);
			reload_ends(dm);
		} else {
			mc_info("signal %u: exiting", si.ssi_signo);
			notified(dm, mc_notify("STOPPING=1"));
			dm->quit = 1;
		}
	}
}

static void on_sample(int timer, void *opaque)
{
	struct daemon *dm = opaque;
	int rc;

	(void)timer;
	rc = mc_coord_sample(dm->coord);
	/* The loop is alive even when libvirt is not: keep the watchdog fed. */
	if (dm->watchdog_usec)
		notified(dm, mc_notify("WATCHDOG=1"));
	if (rc)
		return;
	update_status(dm, !dm->ready);
	if (!dm->ready)
		notified(dm, mc_notify("READY=1"));
	dm->ready = true;
}

/* systemd restarts a daemon that misses WatchdogSec=: a sample interval
 * longer than half of it would be killed while healthy. */
static void setup_watchdog(struct daemon *dm)
{
	dm->watchdog_usec = mc_notify_watchdog_usec();
	if (dm->watchdog_usec && dm->cfg.sample * 2e6 > (double)dm->watchdog_usec)
		mc_warn("sample = %gs is more than half of WatchdogSec= (%gs): "
			"systemd may restart memcoord while it is healthy",
			dm->cfg.sample, (double)dm->watchdog_usec / 1e6);
}

/* ---- the control socket ---- */

/* `memcoord status|reload`: a reload is exactly SIGHUP's, and answers. */
static void on_control(void *opaque, const char *request, FILE *reply)
{
	struct daemon *dm = opaque;

	if (!strcmp(request, "status") || !strcmp(request, "status json")) {
		fputs("ok\n", reply);
		mc_status_write(reply, &dm->cfg, dm->coord, request[6] != '\0');
	} else if (!strcmp(request, "reload")) {
		dm->refusal[0] = '\0';
		reload_config(dm);
		if (dm->refusal[0])
			fprintf(reply, "error: %s\n", dm->refusal);
		else
			fprintf(reply, "ok\npolicy %s loaded\n", dm->cfg.policy);
	} else {
		fputs("error: unknown request (status, status json, reload)\n", reply);
	}
}

/* Not root, a local libvirtd lets in only the members of its group
 * (polkit's 60-libvirt.rules or unix_sock_group): libvirt's own words
 * ("Permission denied", "no polkit agent") do not say that. */
static void hint_unprivileged(char *err, size_t errlen)
{
	size_t len = strlen(err);

	if (geteuid() != 0 && len + 1 < errlen)
		snprintf(err + len, errlen - len,
			 " (running as uid %u, not root: a local libvirtd lets in the libvirt group's members only; see memcoord(8), PRIVILEGES)",
			 (unsigned)geteuid());
}

/* The default path is best effort (a user running memcoord by hand has no
 * /run/memcoord; a dry run beside the real daemon); one configured, or a
 * live daemon there for a daemon that resizes, must work.
 * --once has nothing to answer for. */
static int open_control(struct daemon *dm)
{
	const char *path = dm->cfg.control ? dm->cfg.control : MC_CONTROL_DEFAULT;
	char err[MC_ERR_LEN];
	int denied;

	if (dm->cfg.once)
		return 0;
	dm->control = mc_control_open(path, on_control, dm, &denied, err, sizeof(err));
	if (dm->control)
		return 0;
	mc_ini_escape(err, sizeof(err));
	/* A dry run is a look, not a second coordinator: it must not be kept
	 * from starting by the daemon that owns the default socket. */
	if (!dm->cfg.control && (denied || dm->cfg.dry_run)) {
		mc_warn("%s: running without a control socket", err);
		return 0;
	}
	mc_error("%s", err);
	return -1;
}

static int setup_loop(struct daemon *dm)
{
	sigset_t mask;

	mc_signals_set(&mask);	/* blocked since main() began */
	if ((dm->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC)) < 0) {
		mc_error("cannot set up signals: %s", strerror(errno));
		return -1;
	}
	dm->sig_watch = virEventAddHandle(dm->sigfd, VIR_EVENT_HANDLE_READABLE,
					  on_signal, dm, NULL);
	dm->sample_timer = virEventAddTimeout((int)(dm->cfg.sample * 1000),
					      on_sample, dm, NULL);
	dm->reload_timer = virEventAddTimeout(-1, on_reload_timer, dm, NULL);
	if (dm->sig_watch < 0 || dm->sample_timer < 0 || dm->reload_timer < 0) {
		mc_error("cannot register with the event loop");
		return -1;
	}
	dm->inofd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (dm->inofd < 0)
		mc_warn("inotify unavailable (%s): reload with SIGHUP", strerror(errno));
	else
		dm->ino_watch = virEventAddHandle(dm->inofd, VIR_EVENT_HANDLE_READABLE,
						  on_inotify, dm, NULL);
	watch_policy(dm);
	setup_watchdog(dm);
	return dm->control ? mc_control_start(dm->control) : 0;
}

static void teardown(struct daemon *dm)
{
	mc_control_close(dm->control);
	if (dm->sample_timer >= 0)
		virEventRemoveTimeout(dm->sample_timer);
	if (dm->reload_timer >= 0)
		virEventRemoveTimeout(dm->reload_timer);
	if (dm->sig_watch >= 0)
		virEventRemoveHandle(dm->sig_watch);
	if (dm->ino_watch >= 0)
		virEventRemoveHandle(dm->ino_watch);
	if (dm->sigfd >= 0)
		close(dm->sigfd);
	if (dm->inofd >= 0)
		close(dm->inofd);
	mc_coord_free(dm->coord);
	if (!dm->cfg.once)	/* --once leaves its sample for a script to read */
		mc_metrics_remove(dm->metrics);
	mc_metrics_close(dm->metrics);
	mc_events_close(dm->events);
	mc_report_close(dm->report);
	if (dm->backend)
		dm->backend->ops->close(dm->backend);
	mc_config_free(&dm->cfg);
}

/* ---- stopping ---- */

/* on_exit = restore, on SIGTERM/SIGINT only (a crash cannot, and --once
 * or a failed start has nothing to give back).  A second SIGTERM/SIGINT,
 * still blocked and pending, stops it between two resizes; so does
 * RESTORE_SECONDS, well inside systemd's TimeoutStopSec. */
#define RESTORE_SECONDS 10.0

static void restore_guests(struct daemon *dm)
{
	struct mc_coord_restored r;

	if (!dm->cfg.on_exit_restore || dm->cfg.dry_run)
		return;
	if (mc_coord_restore(dm->coord, RESTORE_SECONDS, mc_signals_stop_pending, &r)) {
		mc_warn("on_exit = restore: the host could not be read (or out of memory); guests left as they are");
		return;
	}
	if (r.grown || r.halted || r.failed || r.left || r.stopped)
		mc_info("on_exit = restore: %u guest%s grown back by %.0f MiB, %u shrink%s "
			"stopped, %u failed, %u held back%s", r.grown, r.grown == 1 ? "" : "s",
			mc_mib_of_kib(r.kib), r.halted, r.halted == 1 ? "" : "s", r.failed, r.left,
			r.stopped ? " (stopped: second signal or time limit)" : "");
}

/* ---- start-up ---- */

/* [output] metrics and events: owned here, lent to the coordinator. */
static int open_outputs(struct daemon *dm)
{
	char err[MC_ERR_LEN];

	if ((dm->cfg.metrics &&
	     !(dm->metrics = mc_metrics_open(dm->cfg.metrics, err, sizeof(err)))) ||
	    (dm->cfg.events &&
	     !(dm->events = mc_events_open(dm->cfg.events, err, sizeof(err))))) {
		mc_error("%s", err);
		return 1;
	}
	mc_coord_set_outputs(dm->coord, dm->metrics, dm->events);
	if (dm->cfg.policy)
		mc_events_policy(dm->events, "policy_load", dm->cfg.policy, "start");
	if (dm->cfg.cpu_policy)
		mc_events_policy(dm->events, "policy_load", dm->cfg.cpu_policy, "start");
	return 0;
}

/* The CPU side, when [cpu] policy or --cpu-policy names one. */
static int start_cpu(struct daemon *dm)
{
	struct mc_cpu_coord *cc;
	char err[MC_ERR_LEN];

	if (!dm->cfg.cpu_policy)
		return 0;
	cc = mc_cpu_coord_open(&dm->cfg, dm->backend,
			       dm->cfg.verbosity > 0 || dm->cfg.once ? stdout : NULL,
			       true, err, sizeof(err));
	if (!cc) {
		mc_error("cpu policy refused: %s", err);
		return -1;
	}
	mc_coord_set_cpu(dm->coord, cc);
	mc_info("cpu policy %s", dm->cfg.cpu_policy);
	return 0;
}

static int start(struct daemon *dm)
{
	struct mc_policy *policy;
	char err[MC_ERR_LEN];

	policy = !dm->cfg.policy ? NULL :
		 mc_policy_load_timed(dm->cfg.policy, dm->cfg.policy_params,
				      dm->cfg.npolicy_params,
				      mc_config_policy_timeout(&dm->cfg), err, sizeof(err));
	if (!policy && dm->cfg.policy && mc_signals_stop_pending()) {
		mc_info("stopped during start-up");
		return START_STOPPED;
	}
	if (!policy && dm->cfg.policy) {
		mc_error("policy refused: %s", err);
		return MC_EXIT_USAGE;
	}
	/* libvirt wants its event loop registered before the first connect. */
	if (virEventRegisterDefaultImpl() < 0) {
		mc_policy_close(policy);
		mc_error("cannot start libvirt's event loop");
		return 1;
	}
	dm->backend = mc_hv_libvirt_open(dm->cfg.uri, dm->cfg.dry_run, err, sizeof(err));
	if (!dm->backend)
		hint_unprivileged(err, sizeof(err));
	dm->report = dm->backend ? mc_report_open(dm->cfg.verbosity < 0 ? NULL : stdout,
						  dm->cfg.trace, true, err, sizeof(err)) : NULL;
	dm->coord = dm->report ? mc_coord_new(&dm->cfg, dm->backend, policy,
					      dm->report) : NULL;
	if (!dm->coord) {
		if (!dm->report)
			mc_policy_close(policy);
		mc_error("%s", dm->report ? "out of memory" : err);
		return 1;
	}
	/* The table every period only for someone watching: -v, a terminal,
	 * or the one period of --once. */
	mc_report_table_changes_only(dm->report, !(dm->cfg.verbosity > 0 ||
						   dm->cfg.once || isatty(STDOUT_FILENO)));
	if (start_cpu(dm))
		return MC_EXIT_USAGE;
	if (open_outputs(dm))
		return 1;
	mc_info("policy %s, %s, sample %gs, period %gs%s",
		dm->cfg.policy ? dm->cfg.policy : "(none)",
		dm->cfg.uri ? dm->cfg.uri : "libvirt's default URI",
		dm->cfg.sample, dm->cfg.period,
		dm->cfg.dry_run ? ", dry run" : "");
	return 0;
}

/* One period, then exit: 1 when the backend could not be read or the
 * policy failed, so a script or a unit sees that nothing was decided. */
static int run_once(struct daemon *dm)
{
	unsigned long errors = mc_coord_stats(dm->coord)->policy_errors;

	if (mc_coord_sample(dm->coord))
		return 1;
	return mc_coord_stats(dm->coord)->policy_errors != errors;
}

int main(int argc, char **argv)
{
	struct daemon dm = {
		.argc = argc, .argv = argv,
		.sample_timer = -1, .reload_timer = -1, .sig_watch = -1,
		.sigfd = -1, .inofd = -1, .ino_watch = -1, .ino_wd = -1,
		.ino_target_wd = -1,
	};
	sigset_t mask, before;
	char err[MC_ERR_LEN];
	int rc;

	if (mc_ctl_is_command(argc, argv))
		return mc_ctl_main(argc - 1, argv + 1);
	/* First thing: a SIGHUP during start-up must not kill the daemon.
	 * --check runs with the signals it had; --simulate polls them. */
	mc_signals_set(&mask);
	if (sigprocmask(SIG_BLOCK, &mask, &before) < 0) {
		mc_error("cannot block signals: %s", strerror(errno));
		return 1;
	}
	switch (mc_config_load(&dm.cfg, argc, argv, err, sizeof(err))) {
	case MC_CONFIG_OK: break;
	case MC_CONFIG_EXIT: mc_config_free(&dm.cfg); return 0;
	default:
		mc_error("%s", err);
		mc_config_free(&dm.cfg);
		return MC_EXIT_USAGE;
	}
	set_log_level(&dm.cfg);
	if (dm.cfg.check) {
		sigprocmask(SIG_SETMASK, &before, NULL);	/* cannot fail: valid mask */
		rc = mc_check_main(&dm.cfg);
		mc_config_free(&dm.cfg);
		return rc;
	}
	if (!dm.cfg.policy && !dm.cfg.cpu_policy) {
		mc_error("no policy: give -p FILE or [coordinator] policy (or --cpu-policy FILE or [cpu] policy)");
		mc_config_free(&dm.cfg);
		return MC_EXIT_USAGE;
	}
	if (dm.cfg.test_config && !dm.cfg.policy) {
		mc_error("-t checks the memory policy: give -p FILE or [coordinator] policy");
		mc_config_free(&dm.cfg);
		return MC_EXIT_USAGE;
	}
	if (dm.cfg.test_config) {
		rc = mc_ctl_test_config(&dm.cfg);
		mc_config_free(&dm.cfg);
		return rc;
	}
	if (dm.cfg.simulate) {
		rc = mc_sim_main(&dm.cfg);
		mc_config_free(&dm.cfg);
		return rc;
	}
	rc = open_control(&dm) ? 1 : start(&dm);
	if (rc == START_STOPPED)
		rc = 0;		/* SIGTERM while the policy loaded: a clean stop */
	else if (rc == 0 && dm.cfg.once)
		rc = run_once(&dm);
	else if (rc == 0 && setup_loop(&dm) == 0)
		while (!dm.quit && virEventRunDefaultImpl() == 0)
			;
	else if (rc == 0)
		rc = 1;
	if (dm.quit)
		restore_guests(&dm);
	teardown(&dm);
	return rc;
}
