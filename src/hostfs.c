/*
 * hostfs.c - the host's own kernel files (/proc, /sys) under a root.
 *
 * Reads go through fileio.c (regular files only, bounded, never blocking
 * in open).  Writes open an existing file, O_NOFOLLOW and without O_CREAT:
 * memcoord runs as root, and a root pointed at the wrong place must not
 * make it create or follow anything.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "hostfs.h"

int mc_hostfs_path(const char *root, const char *rel, char *path, size_t len)
{
	size_t rlen = strlen(root);
	int n;

	while (rlen > 1 && root[rlen - 1] == '/')
		rlen--;
	/* "/" + "proc/x" is "/proc/x", not "//proc/x". */
	n = snprintf(path, len, "%.*s/%s", root[0] == '/' && rlen == 1 ? 0 : (int)rlen,
		     root, rel + (*rel == '/'));
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

enum mc_hostfs_status mc_hostfs_read(const char *root, const char *rel,
				     char **buf, char *err, size_t errlen)
{
	char path[4096];
	size_t len;

	*buf = NULL;
	if (mc_hostfs_path(root, rel, path, sizeof(path))) {
		snprintf(err, errlen, "%s: path too long", rel);
		return MC_HOSTFS_ERROR;
	}
	if (access(path, F_OK) && errno == ENOENT)
		return MC_HOSTFS_ABSENT;
	if (mc_file_read(path, MC_HOSTFS_READ_MAX, buf, &len, err, errlen))
		return MC_HOSTFS_ERROR;
	return MC_HOSTFS_OK;
}

/* The whole line in one write(2): sysfs takes a value per write call. */
static int write_line(int fd, const char *path, uint64_t value, char *err,
		      size_t errlen)
{
	char line[32];
	int n = snprintf(line, sizeof(line), "%llu\n", (unsigned long long)value);
	ssize_t done = write(fd, line, (size_t)n);

	if (done == n)
		return 0;
	snprintf(err, errlen, "%s: cannot write %llu: %s", path,
		 (unsigned long long)value, done < 0 ? strerror(errno) : "short write");
	return -1;
}

enum mc_hostfs_status mc_hostfs_write_u64(const char *root, const char *rel,
					  uint64_t value, char *err,
					  size_t errlen)
{
	char path[4096];
	struct stat st;
	int fd, rc;

	if (mc_hostfs_path(root, rel, path, sizeof(path))) {
		snprintf(err, errlen, "%s: path too long", rel);
		return MC_HOSTFS_ERROR;
	}
	fd = open(path, O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		if (errno == ENOENT)
			return MC_HOSTFS_ABSENT;
		snprintf(err, errlen, "%s: cannot open for writing: %s", path,
			 strerror(errno));
		return MC_HOSTFS_ERROR;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		close(fd);
		return MC_HOSTFS_ERROR;
	}
	rc = write_line(fd, path, value, err, errlen);
	if (close(fd) && !rc) {
		snprintf(err, errlen, "%s: cannot write %llu: %s", path,
			 (unsigned long long)value, strerror(errno));
		rc = -1;
	}
	return rc ? MC_HOSTFS_ERROR : MC_HOSTFS_OK;
}
