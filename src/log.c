/*
 * log.c - leveled logging to stderr.
 *
 * Under systemd (JOURNAL_STREAM set) or when stderr is not a terminal the
 * journal adds its own timestamps, so lines carry only the level.  When
 * stderr IS the journal (JOURNAL_STREAM names its device and inode, see
 * sd-daemon(3) and systemd.exec(5)) each line starts with the syslog
 * priority "<N>", so `journalctl -p warning` selects warnings and errors.
 * The "memcoord: level: " text stays after it: whoever reads the captured
 * stream (tests, `journalctl -o cat`) still greps for it.
 * Every message is one line, escaped with mc_utf8_put_escaped() (utf8.h):
 * the text of a log line comes from domain names, file names and
 * policies, none of which memcoord trusts.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "utf8.h"

static enum mc_log_level log_level = MC_LOG_INFO;

void mc_log_set_level(enum mc_log_level level) { log_level = level; }
enum mc_log_level mc_log_get_level(void) { return log_level; }

static const char *level_name(enum mc_log_level level)
{
	switch (level) {
	case MC_LOG_ERROR: return "error";
	case MC_LOG_WARN:  return "warning";
	case MC_LOG_INFO:  return "info";
	default:           return "debug";
	}
}

/* The sd-daemon(3) priority of level (syslog's LOG_ERR .. LOG_DEBUG). */
static int journal_priority(enum mc_log_level level)
{
	switch (level) {
	case MC_LOG_ERROR: return 3;
	case MC_LOG_WARN:  return 4;
	case MC_LOG_INFO:  return 6;
	default:           return 7;
	}
}

/* True when stderr is the journal's stream: JOURNAL_STREAM is inherited by
 * children whose stderr was redirected since, so its "dev:ino" must match
 * stderr's own (a redirected stderr would otherwise get "<N>" garbage). */
bool mc_log_to_journal(void)
{
	const char *env = getenv("JOURNAL_STREAM");
	uintmax_t dev, ino;
	struct stat st;
	int end = 0;

	if (!env || sscanf(env, "%" SCNuMAX ":%" SCNuMAX "%n", &dev, &ino, &end) != 2 ||
	    env[end] != '\0' || fstat(STDERR_FILENO, &st))
		return false;
	return (uintmax_t)st.st_dev == dev && (uintmax_t)st.st_ino == ino;
}

/* The whole line is built first and written with one call: stderr is
 * unbuffered, and a line written in pieces can interleave with another
 * thread's (libvirt's event loop logs too). */
static void emit(enum mc_log_level level, const char *msg)
{
	char *line = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&line, &len);
	int bad;

	if (!out) {
		fprintf(stderr, "memcoord: %s: (out of memory: a message was lost)\n",
			level_name(level));
		return;
	}
	if (isatty(STDERR_FILENO) && !getenv("JOURNAL_STREAM")) {
		char stamp[32];
		time_t now = time(NULL);
		struct tm tm;

		localtime_r(&now, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S ", &tm);
		fputs(stamp, out);
	}
	if (mc_log_to_journal())
		fprintf(out, "<%d>", journal_priority(level));
	fprintf(out, "memcoord: %s: ", level_name(level));
	mc_utf8_put_escaped(out, msg);
	fputc('\n', out);
	bad = ferror(out);
	if (fclose(out) || bad)
		fprintf(stderr, "memcoord: %s: (out of memory: a message was lost)\n",
			level_name(level));
	else
		fwrite(line, 1, len, stderr);
	free(line);
}

void mc_log(enum mc_log_level level, const char *fmt, ...)
{
	char *msg;
	va_list ap;
	int n;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0) {
		fprintf(stderr, "memcoord: %s: (out of memory: a message was lost)\n",
			level_name(level));
		return;
	}
	emit(level, msg);
	free(msg);
}
