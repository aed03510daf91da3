/*
 * ctl_client.h - the operator's commands that do not run the daemon:
 * `memcoord status [--json]` and `memcoord reload`, which ask a running
 * daemon over its control socket (control.h), and `memcoord -t`, which
 * checks a config and its policy the way the daemon would load them.
 */
#ifndef MC_CTL_CLIENT_H
#define MC_CTL_CLIENT_H

struct mc_config;

/* Exit statuses of status and reload. */
#define MC_CTL_OK		0
#define MC_CTL_REFUSED		1	/* the daemon answered no (reload refused) */
#define MC_CTL_UNREACHABLE	2	/* no daemon, no access, bad usage */

/* argv[0] is the command ("status" or "reload"), then its options.
 * Returns an MC_CTL_* status. */
int mc_ctl_main(int argc, char **argv);

/* True when argv[1] names one of those commands. */
int mc_ctl_is_command(int argc, char **argv);

/* -t: cfg is loaded (a bad file already failed, exit 2); loads the policy
 * in its sandboxed worker and runs --check's built-in snapshots through
 * it.  Connects to nothing.  0 when all is good, 2 otherwise. */
int mc_ctl_test_config(const struct mc_config *cfg);

#endif
