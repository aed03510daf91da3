/* testutil.h - small helpers shared by the unit tests. */
#ifndef MC_TESTUTIL_H
#define MC_TESTUTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

#endif
