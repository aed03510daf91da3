/*
 * hostfs.h - the host's own kernel files (/proc, /sys) under a root.
 *
 * The host pressure reader (host_pressure.h) and KSM (ksm.h) read and
 * write small kernel files.  They take their paths relative to a root so
 * the unit tests can point them at a temporary directory; the daemon's
 * root is MC_HOSTFS_ROOT.  A file that is missing is not an error (old
 * kernels, containers): the caller reports the value as absent.
 */
#ifndef MC_HOSTFS_H
#define MC_HOSTFS_H

#include <stddef.h>
#include <stdint.h>

#define MC_HOSTFS_ROOT "/"
/* Kernel files here are a few KiB; anything larger is not one of them. */
#define MC_HOSTFS_READ_MAX (64u << 10)

enum mc_hostfs_status {
	MC_HOSTFS_OK = 0,
	MC_HOSTFS_ABSENT = 1,	/* no such file: the kernel does not have it */
	MC_HOSTFS_ERROR = -1,	/* there, but unreadable or unwritable: err */
};

/* root + "/" + rel into path; -1 when it does not fit. */
int mc_hostfs_path(const char *root, const char *rel, char *path, size_t len);
/* Reads root/rel whole (a regular file, bounded) into a fresh
 * NUL-terminated *buf (free()). */
enum mc_hostfs_status mc_hostfs_read(const char *root, const char *rel,
				     char **buf, char *err, size_t errlen);
/* Writes "value\n" to root/rel, an existing regular file, never through a
 * symbolic link and never creating one. */
enum mc_hostfs_status mc_hostfs_write_u64(const char *root, const char *rel,
					  uint64_t value, char *err,
					  size_t errlen);

#endif
