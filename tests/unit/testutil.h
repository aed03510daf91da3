/* testutil.h - small helpers shared by the unit tests. */
#ifndef MC_TESTUTIL_H
#define MC_TESTUTIL_H

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

/* Tests write sizes as "N * MiB": KiB, memcoord's unit inside. */
#define MiB MC_KIB_PER_MIB

/* Writes text to a fresh temp file whose name ends in suffix; returns its
 * malloc'd path (unlink and free it when done). */
static inline char *write_temp(const char *text, const char *suffix)
{
	char *path = malloc(64);
	int fd;

	if (!path)
		abort();
	snprintf(path, 64, "/tmp/mctest-XXXXXX%s", suffix);
	fd = mkstemps(path, (int)strlen(suffix));
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		abort();
	close(fd);
	return path;
}

static inline void drop_temp(char *path)
{
	unlink(path);
	free(path);
}

/* A fresh directory for a fake host root (/proc, /sys under it); its
 * malloc'd path.  remove_tree() deletes it and frees the path. */
static inline char *temp_tree(void)
{
	char *dir = strdup("/tmp/mctest-rootXXXXXX");

	if (!dir || !mkdtemp(dir))
		abort();
	return dir;
}

static inline void remove_tree(char *dir)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		abort();
	free(dir);
}

/* Writes text to root/rel, making the directories on the way. */
static inline void put_file(const char *root, const char *rel, const char *text)
{
	char path[4096], *slash;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (slash = strchr(path + strlen(root) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(path, 0755);
		*slash = '/';
	}
	f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f))
		abort();
}

/* Sends stderr (memcoord's log) to path until capture_end(saved), where
 * saved is what capture_begin returned. */
static inline int capture_begin(const char *path)
{
	int saved, fd;

	fflush(stderr);
	saved = dup(STDERR_FILENO);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (saved < 0 || fd < 0 || dup2(fd, STDERR_FILENO) < 0)
		abort();
	close(fd);
	return saved;
}

static inline void capture_end(int saved)
{
	fflush(stderr);
	if (dup2(saved, STDERR_FILENO) < 0)
		abort();
	close(saved);
}

/* The "Default: N." line after ".B key" in the man page page, or "" when
 * the entry has none. */
static inline void man_default(const char *page, const char *key, char *out,
			       size_t len)
{
	char line[512], want[128];
	FILE *f = fopen(page, "r");
	int in_key = 0;

	if (!f)
		abort();
	snprintf(want, sizeof(want), ".B %s\n", key);
	out[0] = '\0';
	while (fgets(line, sizeof(line), f) && !out[0]) {
		if (!strcmp(line, want))
			in_key = 1;
		else if (in_key && !strncmp(line, "Default:", 8))
			snprintf(out, len, "%s", line);
		else if (in_key && line[0] == '.')
			in_key = 0;	/* the next key: this one had no default */
	}
	fclose(f);
}

/* Lines of path that contain needle. */
static inline int count_lines(const char *path, const char *needle)
{
	char line[4096];
	FILE *f = fopen(path, "r");
	int n = 0;

	if (!f)
		abort();
	while (fgets(line, sizeof(line), f))
		n += strstr(line, needle) != NULL;
	fclose(f);
	return n;
}

/* Makes writes past bytes fail with EFBIG (a full disk, without one):
 * RLIMIT_FSIZE with SIGXFSZ ignored.  RLIM_INFINITY lifts it again. */
static inline void limit_file_size(rlim_t bytes)
{
	struct rlimit rl;

	if (signal(SIGXFSZ, SIG_IGN) == SIG_ERR || getrlimit(RLIMIT_FSIZE, &rl))
		abort();
	rl.rlim_cur = bytes == RLIM_INFINITY ? rl.rlim_max : bytes;
	if (setrlimit(RLIMIT_FSIZE, &rl))
		abort();
}

#endif
