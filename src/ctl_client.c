/*
 * ctl_client.c - `memcoord status|reload` and `memcoord -t` (ctl_client.h).
 *
 * The client sends one line and reads until the daemon closes: the
 * daemon's first line is "ok" or "error: why", the rest is the body.
 * Socket timeouts bound every wait, so a wedged daemon cannot hang a
 * script or a monitoring check.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "check.h"
#include "config.h"
#include "control.h"
#include "ctl_client.h"
#include "inifile.h"
#include "util.h"

#define CLIENT_TIMEOUT_S	10	/* a reload waits for the policy's trial call */
#define REPLY_MAX		(16u << 20)	/* bytes: a status with many guests */

struct request {
	const char *command;	/* "status" | "reload" */
	bool json;
	const char *config;	/* -c: read [output] control from it */
	const char *socket;	/* -s: the path itself */
};

static void usage(FILE *out)
{
	fputs("usage: memcoord status [--json] [-c CONFIG | -s SOCKET]\n"
	      "       memcoord reload [-c CONFIG | -s SOCKET]\n", out);
}

int mc_ctl_is_command(int argc, char **argv)
{
	return argc > 1 && (!strcmp(argv[1], "status") || !strcmp(argv[1], "reload"));
}

static int parse_args(int argc, char **argv, struct request *rq)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "config", required_argument, NULL, 'c' },
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	rq->command = argv[0];
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":c:s:h", opts, NULL)) != -1) {
		if (opt == 'j' && !strcmp(rq->command, "status"))
			rq->json = true;
		else if (opt == 'c')
			rq->config = optarg;
		else if (opt == 's')
			rq->socket = optarg;
		else
			return opt == 'h' ? 1 : -1;
	}
	return optind < argc ? -1 : 0;
}

/* The socket path: -s, else the config's [output] control, else the
 * default.  *owned is what to free. */
static const char *socket_path(const struct request *rq, struct mc_config *cfg)
{
	char err[MC_ERR_LEN];

	if (rq->socket)
		return rq->socket;
	if (!rq->config)
		return MC_CONTROL_DEFAULT;
	if (mc_config_load_file(cfg, rq->config, err, sizeof(err)) != MC_CONFIG_OK) {
		mc_ini_escape(err, sizeof(err));
		fprintf(stderr, "memcoord: %s\n", err);
		return NULL;
	}
	return cfg->control ? cfg->control : MC_CONTROL_DEFAULT;
}

static int connect_to(const char *path)
{
	struct timeval tv = { .tv_sec = CLIENT_TIMEOUT_S };
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(addr.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(addr.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0 ||
	    connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		int saved = errno;

		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

/* Reads until the daemon closes; NULL on error or an oversized reply. */
static char *read_reply(int fd)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap), *grown;
	ssize_t n;

	while (buf && (n = read(fd, buf + len, cap - len - 1)) > 0) {
		len += (size_t)n;
		if (len + 1 < cap)
			continue;
		grown = cap < REPLY_MAX ? realloc(buf, cap * 2) : NULL;
		if (!grown)
			free(buf);
		buf = grown;
		cap *= 2;
	}
	if (buf && n < 0) {
		free(buf);
		return NULL;
	}
	if (buf)
		buf[len] = '\0';
	return buf;
}

/* Sends the request and prints the answer; an MC_CTL_* status. */
static int exchange(const char *path, const struct request *rq)
{
	char line[32], *reply, *body;
	int fd = connect_to(path), rc;

	if (fd < 0) {
		fprintf(stderr, "memcoord: cannot reach the daemon at %s: %s\n", path, strerror(errno));
		return MC_CTL_UNREACHABLE;
	}
	snprintf(line, sizeof(line), "%s%s\n", rq->command, rq->json ? " json" : "");
	reply = send(fd, line, strlen(line), MSG_NOSIGNAL) == (ssize_t)strlen(line) ?
		read_reply(fd) : NULL;
	close(fd);
	if (!reply || !*reply) {
		fprintf(stderr, "memcoord: no answer from the daemon at %s\n", path);
		free(reply);
		return MC_CTL_UNREACHABLE;
	}
	body = strchr(reply, '\n');
	body = body ? (*body = '\0', body + 1) : reply + strlen(reply);
	rc = strcmp(reply, "ok") ? MC_CTL_REFUSED : MC_CTL_OK;
	if (rc) {
		mc_ini_escape(reply, strlen(reply) + 1);
		fprintf(stderr, "memcoord: %s: %s\n", rq->command,
			strncmp(reply, "error: ", 7) ? reply : reply + 7);
	}
	fputs(body, stdout);
	free(reply);
	return fflush(stdout) ? MC_CTL_UNREACHABLE : rc;
}

int mc_ctl_main(int argc, char **argv)
{
	struct request rq = { 0 };
	struct mc_config cfg = { 0 };
	const char *path;
	int rc = parse_args(argc, argv, &rq);

	if (rc) {
		usage(rc > 0 ? stdout : stderr);
		return rc > 0 ? MC_CTL_OK : MC_CTL_UNREACHABLE;
	}
	path = socket_path(&rq, &cfg);
	rc = path ? exchange(path, &rq) : MC_CTL_UNREACHABLE;
	mc_config_free(&cfg);
	return rc;
}

/* ---- -t ---- */

int mc_ctl_test_config(const struct mc_config *cfg)
{
	char *report = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&report, &len);
	int rc;

	if (!out) {
		fprintf(stderr, "memcoord: -t: out of memory\n");
		return MC_EXIT_USAGE;
	}
	rc = mc_check_run(cfg->policy, cfg->policy_params, cfg->npolicy_params,
			  &cfg->limits, out);
	if (fclose(out) || rc) {
		fprintf(stderr, "%smemcoord: -t: policy %s failed the test\n",
			report ? report : "", cfg->policy);
		free(report);
		return MC_EXIT_USAGE;
	}
	free(report);
	printf("memcoord: configuration %s and policy %s: test is successful\n",
	       cfg->file ? cfg->file : "(none)", cfg->policy);
	return fflush(stdout) ? MC_EXIT_USAGE : 0;
}
