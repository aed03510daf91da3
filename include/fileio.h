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

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

/* Inputs larger than this are refused: configs, scenarios, policies. */
#define MC_FILE_READ_MAX	(4u << 20)

/* Reads the whole of a regular file of at most max bytes into a fresh
 * NUL-terminated buffer (*buf, owned by the caller, free()).  0, or -1 with
 * err saying "path: why" (not a regular file, too large, cannot open/read). */
int mc_file_read(const char *path, size_t max, char **buf, size_t *len,
		 char *err, size_t errlen);

/* The first len (> 0) bytes of a regular file, or all of a shorter one,
 * into buf (not NUL-terminated): to look at a file's header.  The number
 * read, or -1 with err set. */
ssize_t mc_file_read_head(const char *path, char *buf, size_t len, char *err,
			  size_t errlen);

/* rel, or when it is relative and base names a directory, rel under
 * base's directory: a config or scenario names its neighbours relative to
 * itself, wherever it is read from.  Fresh (free()); NULL when out of
 * memory. */
char *mc_file_path_beside(const char *base, const char *rel);

/* ---- outputs ----
 * Writers never follow a symlink at the path, never open anything but a
 * regular file (a FIFO would block, a device may act on open: /dev/null
 * must never be replaced by a file), and never block in open.  Errors read
 * "path: why". */

/* Opens path for appending, creating it 0644 (the event log).  A regular
 * file with other hard links is refused too: it may be someone else's
 * file linked into a writable directory.  The fd, or -1 with err set. */
int mc_file_open_append(const char *path, char *err, size_t errlen);
/* Log rotation (SIGHUP): *fd, from mc_file_open_append, is replaced by a
 * fresh one on path, which may have been renamed away.  what names the
 * output in the log ("trace").  0, or -1 (logged; *fd stays in use). */
int mc_file_reopen_append(int *fd, const char *what, const char *path);
/* The same, emptied (the trace: a new run, a new file). */
int mc_file_open_trunc(const char *path, char *err, size_t errlen);
/* Appends one record (a line, a sample's rows) to an fd from the above.
 * When a write fails part-way, the part is cut off again if nobody else
 * appended meanwhile, so the file keeps whole records only.  0, or -1 with
 * errno set. */
int mc_file_append_record(int fd, const char *buf, size_t len);

/* Whole-file outputs (metrics, --report) are written to a fresh temporary
 * file next to path and renamed over it, so a reader sees the old file or
 * the new one, never half.  The check says at start-up whether path can be
 * replaced: absent or a regular file, in a writable directory.  0, or -1
 * with err set. */
int mc_file_replace_check(const char *path, char *err, size_t errlen);
/* A new temporary file next to path (a fresh name, created exclusively, so
 * no link planted there is followed), open for writing; *tmp is its name,
 * owned by commit.  NULL with err set. */
FILE *mc_file_replace_begin(const char *path, char **tmp, char *err,
			    size_t errlen);
/* Closes f and renames *tmp over path, but only while path is still absent
 * or a regular file; on any failure removes the temporary file.  Frees
 * *tmp in every case.  0, or -1 with err set. */
int mc_file_replace_commit(FILE *f, char *tmp, const char *path, char *err,
			   size_t errlen);

/* Logs an output's first failure and, later, its recovery, but not every
 * failed write in between: a full disk must not flood the log.  what names
 * the output ("trace"); why is NULL after a write that worked, else the
 * error ("PATH: why"); *failing is the caller's state. */
void mc_file_note(bool *failing, const char *what, const char *path,
		  const char *why);

/* A CSV trace: appended to one record (a sample's rows) at a time, its
 * header first whenever the file is empty (new, emptied by logrotate's
 * copytruncate, or a header write that failed); failures and recoveries
 * logged once (mc_file_note).  header and what ("trace") are static. */
struct mc_file_trace {
	int fd;			/* -1: none */
	char *path;
	const char *header, *what;
	bool failing;
};
/* path NULL: no trace (fd -1).  append: keep what is there (a daemon's
 * restart) when it starts with header, else move it aside to PATH.old
 * (.old.1 .. .old.9) and start anew; not append: start empty.  0, or -1
 * with err set. */
int mc_file_trace_open(struct mc_file_trace *t, const char *path, bool append,
		       const char *header, const char *what, char *err, size_t errlen);
/* One record; nothing when there is no trace. */
void mc_file_trace_append(struct mc_file_trace *t, const char *buf, size_t len);
/* SIGHUP: a fresh file at the path (mc_file_reopen_append).  0 or -1. */
int mc_file_trace_reopen(struct mc_file_trace *t);
void mc_file_trace_close(struct mc_file_trace *t);

#endif
