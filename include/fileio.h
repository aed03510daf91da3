/*
 * fileio.h - opening files that a hostile path may point at.
 *
 * Every file memcoord reads or writes is named by a config, a flag or a
 * scenario, and memcoord runs as root: a path may be a FIFO (open blocks),
 * /dev/zero (reads never end), or a symlink planted in a writable
 * directory.  Readers here accept regular files only, never block in open,
 * and read at most a bound.
 */
#ifndef MC_FILEIO_H
#define MC_FILEIO_H

#include <stddef.h>

/* Inputs larger than this are refused: configs, scenarios, policies. */
#define MC_FILE_READ_MAX	(4u << 20)

/* Reads the whole of a regular file of at most max bytes into a fresh
 * NUL-terminated buffer (*buf, owned by the caller, free()).  0, or -1 with
 * err saying "path: why" (not a regular file, too large, cannot open/read). */
int mc_file_read(const char *path, size_t max, char **buf, size_t *len,
		 char *err, size_t errlen);

#endif
