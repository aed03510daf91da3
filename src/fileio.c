/*
 * fileio.c - opening files that a hostile path may point at.
 *
 * O_NONBLOCK on open is what keeps a FIFO from stopping the daemon: a
 * blocking open of a FIFO waits for a writer that may never come.  The
 * type is checked on the opened descriptor (fstat), not the path, so the
 * file cannot be swapped between the check and the read.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"

static int open_regular(const char *path, struct stat *st, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);

	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
		snprintf(err, errlen, "%s: %s", path, S_ISDIR(st->st_mode) ?
			 "is a directory" : "not a regular file");
		close(fd);
		return -1;
	}
	return fd;
}

/* Reads up to max + 1 bytes: one more than allowed tells "too large" even
 * when the file grew after fstat. */
static ssize_t read_bounded(int fd, char *buf, size_t max)
{
	size_t got = 0;
	ssize_t n;

	while (got <= max) {
		n = read(fd, buf + got, max + 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

int mc_file_read(const char *path, size_t max, char **buf, size_t *len,
		 char *err, size_t errlen)
{
	struct stat st = { 0 };
	int fd = open_regular(path, &st, err, errlen);
	ssize_t n;

	*buf = NULL;
	if (fd < 0)
		return -1;
	if ((size_t)st.st_size > max || !(*buf = malloc(max + 2))) {
		snprintf(err, errlen, "%s: %s", path, *buf || (size_t)st.st_size > max ?
			 "file too large" : "out of memory");
		close(fd);
		return -1;
	}
	n = read_bounded(fd, *buf, max);
	close(fd);
	if (n < 0 || (size_t)n > max) {
		snprintf(err, errlen, "%s: %s", path, n < 0 ? strerror(errno) :
			 "file too large");
		free(*buf);
		*buf = NULL;
		return -1;
	}
	(*buf)[n] = '\0';
	*len = (size_t)n;
	return 0;
}
