/*
 * fileio.c - opening files that a hostile path may point at.
 *
 * O_NONBLOCK on open is what keeps a FIFO from stopping the daemon: a
 * blocking open of a FIFO waits for a writer that may never come.  The
 * type is checked on the opened descriptor (fstat), not the path, so the
 * file cannot be swapped between the check and the read.
 *
 * Outputs: O_NOFOLLOW and a fresh exclusive name for temporary files keep
 * a link planted in a writable output directory from making root write
 * someone else's file; the type checks keep a FIFO from blocking a sample
 * and a rename from replacing /dev/null.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "log.h"
#include "util.h"

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

ssize_t mc_file_read_head(const char *path, char *buf, size_t len, char *err,
			  size_t errlen)
{
	struct stat st = { 0 };
	int fd = open_regular(path, &st, err, errlen);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read_bounded(fd, buf, len - 1);
	if (n < 0)
		snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
	close(fd);
	return n;
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

/* ---- outputs ---- */

static const char *type_name(mode_t mode)
{
	static const struct {
		mode_t type;
		const char *name;
	} types[] = {
		{ S_IFLNK, "a symbolic link" }, { S_IFDIR, "a directory" },
		{ S_IFIFO, "a FIFO" }, { S_IFCHR, "a character device" },
		{ S_IFBLK, "a block device" }, { S_IFSOCK, "a socket" },
	};
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if ((mode & S_IFMT) == types[i].type)
			return types[i].name;
	return "not a regular file";
}

/* 0 when st is a file memcoord may write; -1 with err saying why not.
 * links: whether other hard links to it disqualify it (files written in
 * place; a rename only ever replaces the name). */
static int refuse_type(const char *path, const struct stat *st, bool links,
		       char *err, size_t errlen)
{
	if (!S_ISREG(st->st_mode)) {
		snprintf(err, errlen, "%s: is %s; memcoord writes regular files only",
			 path, type_name(st->st_mode));
		return -1;
	}
	if (links && st->st_nlink > 1) {
		snprintf(err, errlen, "%s: has %ju hard links (may be another "
			 "file's); refused", path, (uintmax_t)st->st_nlink);
		return -1;
	}
	return 0;
}

/* The descriptor's own type decides: the path may have changed since it
 * was looked at. */
static int refuse_opened(int fd, const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (!fstat(fd, &st))
		return refuse_type(path, &st, true, err, errlen);
	snprintf(err, errlen, "%s: %s", path, strerror(errno));
	return -1;
}

/* lstat first, so a device is never even opened (opening some, such as a
 * watchdog, acts); then the descriptor's.  O_NOFOLLOW: a symlink fails
 * with ELOOP. */
static int open_output(const char *path, char *err, size_t errlen)
{
	struct stat st;
	int fd;

	if (!lstat(path, &st) && refuse_type(path, &st, true, err, errlen))
		return -1;
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK |
		  O_CLOEXEC | O_NOCTTY, 0644);
	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot open: %s", path, errno == ELOOP ?
			 "is a symbolic link; memcoord writes regular files only" :
			 strerror(errno));
		return -1;
	}
	if (refuse_opened(fd, path, err, errlen)) {
		close(fd);
		return -1;
	}
	return fd;
}

int mc_file_open_append(const char *path, char *err, size_t errlen)
{
	return open_output(path, err, errlen);
}

int mc_file_reopen_append(int *fd, const char *what, const char *path)
{
	char err[MC_ERR_LEN];
	int fresh = open_output(path, err, sizeof(err));

	if (fresh < 0) {
		mc_warn("%s: cannot re-open, the old file stays in use: %s", what, err);
		return -1;
	}
	if (close(*fd))
		mc_warn("%s: closing the old %s: %s", what, path, strerror(errno));
	*fd = fresh;
	return 0;
}

/* Emptied after the checks, never with O_TRUNC: that would act on
 * whatever the path turned out to be before the type is known. */
int mc_file_open_trunc(const char *path, char *err, size_t errlen)
{
	int fd = open_output(path, err, errlen);

	if (fd >= 0 && ftruncate(fd, 0)) {
		snprintf(err, errlen, "%s: cannot empty: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* After a failed append of which done bytes got in: cut them off, unless
 * the size says someone else appended too (then their data would go). */
static void cut_back(int fd, const struct stat *before, size_t done)
{
	struct stat now;

	if (!done || fstat(fd, &now) ||
	    now.st_size != before->st_size + (off_t)done)
		return;
	if (ftruncate(fd, before->st_size))
		return;		/* best effort: the half record stays */
}

int mc_file_append_record(int fd, const char *buf, size_t len)
{
	struct stat before;
	size_t done = 0;

	if (fstat(fd, &before))
		return -1;
	while (done < len) {
		ssize_t n = write(fd, buf + done, len - done);
		int saved = n < 0 ? errno : EIO;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			cut_back(fd, &before, done);
			errno = saved;
			return -1;
		}
		done += (size_t)n;
	}
	return 0;
}

static int dir_writable(const char *path, char *err, size_t errlen)
{
	char *copy = strdup(path);
	int rc;

	if (!copy) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	rc = access(dirname(copy), W_OK);
	if (rc)
		snprintf(err, errlen, "%s: cannot write there: %s", path,
			 strerror(errno));
	free(copy);
	return rc;
}

int mc_file_replace_check(const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (!lstat(path, &st))
		return refuse_type(path, &st, false, err, errlen) ? -1 :
		       dir_writable(path, err, errlen);
	if (errno != ENOENT) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	return dir_writable(path, err, errlen);
}

FILE *mc_file_replace_begin(const char *path, char **tmp, char *err,
			    size_t errlen)
{
	size_t len = strlen(path) + sizeof(".tmp.XXXXXX");
	FILE *f = NULL;
	int fd = -1;

	*tmp = malloc(len);
	if (*tmp) {
		snprintf(*tmp, len, "%s.tmp.XXXXXX", path);
		fd = mkostemp(*tmp, O_CLOEXEC);
	}
	/* mkstemp makes 0600; outputs are for other readers (node_exporter) */
	if (fd >= 0 && !fchmod(fd, 0644))
		f = fdopen(fd, "w");
	if (f)
		return f;
	snprintf(err, errlen, "%s: cannot create a temporary file: %s", path,
		 *tmp ? strerror(errno) : "out of memory");
	if (fd >= 0) {
		close(fd);
		unlink(*tmp);
	}
	free(*tmp);
	*tmp = NULL;
	return NULL;
}

int mc_file_replace_commit(FILE *f, char *tmp, const char *path, char *err,
			   size_t errlen)
{
	int bad = fflush(f) ? errno : ferror(f) ? EIO : 0;
	struct stat st;
	int rc = -1;

	if (fclose(f) && !bad)
		bad = errno;
	if (bad)
		snprintf(err, errlen, "%s: cannot write: %s", path, strerror(bad));
	else if (!lstat(path, &st) && refuse_type(path, &st, false, err, errlen))
		;	/* it became a device or a directory since the start */
	else if (rename(tmp, path))
		snprintf(err, errlen, "%s: cannot replace: %s", path,
			 strerror(errno));
	else
		rc = 0;
	if (rc)
		unlink(tmp);
	free(tmp);
	return rc;
}

void mc_file_note(bool *failing, const char *what, const char *path,
		  const char *why)
{
	if (why && !*failing)
		mc_warn("%s: %s", what, why);
	else if (!why && *failing)
		mc_info("%s: writing %s again", what, path);
	*failing = why != NULL;
}

char *mc_file_path_beside(const char *base, const char *rel)
{
	const char *slash = base ? strrchr(base, '/') : NULL;
	char *out;

	if (rel[0] == '/' || !slash)
		return strdup(rel);
	if (asprintf(&out, "%.*s/%s", (int)(slash - base), base, rel) < 0)
		return NULL;
	return out;
}

/* ---- CSV traces ---- */

static int trace_header_if_empty(const struct mc_file_trace *t)
{
	struct stat st;

	if (fstat(t->fd, &st))
		return -1;
	if (st.st_size)
		return 0;
	return mc_file_append_record(t->fd, t->header, strlen(t->header));
}

void mc_file_trace_append(struct mc_file_trace *t, const char *buf, size_t len)
{
	char why[MC_ERR_LEN];
	int rc;

	if (t->fd < 0)
		return;
	rc = trace_header_if_empty(t);
	if (!rc && len)
		rc = mc_file_append_record(t->fd, buf, len);
	if (rc)
		snprintf(why, sizeof(why), "cannot write %s: %s", t->path, strerror(errno));
	mc_file_note(&t->failing, t->what, t->path, rc ? why : NULL);
}

/* Renames path to the first free of PATH.old, PATH.old.1 .. PATH.old.9
 * (*old: the last name tried, NULL when out of memory).  1, or -1 with
 * errno set. */
static int move_aside(const char *path, char **old)
{
	int i;

	for (i = 0; i < 10; i++) {
		if ((i ? asprintf(old, "%s.old.%d", path, i) : asprintf(old, "%s.old", path)) < 0) {
			*old = NULL;
			return -1;
		}
		if (!renameat2(AT_FDCWD, path, AT_FDCWD, *old, RENAME_NOREPLACE))
			return 1;
		if (errno != EEXIST || i == 9)
			return -1;
		free(*old);
	}
	return -1;
}

/* Does the file at path start with t's header (or is it empty)?  1, 0, or
 * -1 with err set. */
static int trace_is_ours(const struct mc_file_trace *t, const char *path,
			 char *err, size_t errlen)
{
	size_t len = strlen(t->header);
	char *head = malloc(len);
	ssize_t n;
	int ours;

	if (!head) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	n = mc_file_read_head(path, head, len, err, errlen);
	ours = n < 0 ? -1 : !n || ((size_t)n == len && !memcmp(head, t->header, len));
	free(head);
	return ours;
}

/* A trace another version wrote (other columns) is not appended to: a
 * file would mix two layouts, and every reader goes by the header.  It is
 * moved to PATH.old, or PATH.old.1 .. PATH.old.9 when that is taken
 * (never over an existing file), and a new trace starts.
 * 0 when the file is ours (or empty), 1 when moved, -1 with err set (it
 * could not be read or moved). */
static int trace_move_foreign(const struct mc_file_trace *t, const char *path,
			      char *err, size_t errlen)
{
	char *old;
	int rc = trace_is_ours(t, path, err, errlen);

	if (rc)
		return rc < 0 ? -1 : 0;
	rc = move_aside(path, &old);
	if (rc < 0 && !old) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (rc < 0)
		snprintf(err, errlen, "%s: its columns are not this version's, and it "
			 "cannot be moved to %s: %s", path, old, strerror(errno));
	else
		mc_warn("%s: %s has other columns (an older memcoord's?): moved "
			"to %s; a new trace starts", t->what, path, old);
	free(old);
	return rc;
}

static int trace_open_append(const struct mc_file_trace *t, const char *path,
			     char *err, size_t errlen)
{
	/* Opened first: that refuses links, FIFOs and devices at path. */
	int fd = mc_file_open_append(path, err, errlen);

	if (fd < 0)
		return -1;
	switch (trace_move_foreign(t, path, err, errlen)) {
	case 0:
		return fd;
	case 1:
		close(fd);	/* the moved file's: nothing was written */
		return mc_file_open_append(path, err, errlen);
	default:
		close(fd);
		return -1;
	}
}

int mc_file_trace_open(struct mc_file_trace *t, const char *path, bool append,
		       const char *header, const char *what, char *err, size_t errlen)
{
	*t = (struct mc_file_trace){ .fd = -1, .header = header, .what = what };
	if (!path)
		return 0;
	if (!(t->path = strdup(path))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	t->fd = append ? trace_open_append(t, path, err, errlen) :
		mc_file_open_trunc(path, err, errlen);
	if (t->fd < 0) {
		mc_file_trace_close(t);
		return -1;
	}
	mc_file_trace_append(t, "", 0);
	return 0;
}

int mc_file_trace_reopen(struct mc_file_trace *t)
{
	if (t->fd < 0)
		return 0;
	if (mc_file_reopen_append(&t->fd, t->what, t->path))
		return -1;
	mc_file_trace_append(t, "", 0);	/* a new file gets its header now */
	return 0;
}

void mc_file_trace_close(struct mc_file_trace *t)
{
	if (t->fd >= 0 && close(t->fd))
		mc_warn("%s: closing %s: %s", t->what, t->path, strerror(errno));
	free(t->path);
	t->path = NULL;
	t->fd = -1;
}
