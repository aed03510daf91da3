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
 * Every message is one line: control characters and invalid UTF-8 in it
 * (C0, DEL, C1) are written as \n, \r, \t or \xNN (the text of a log line comes from
 * domain names, file names and policies, none of which memcoord trusts).
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

/* The escape for the len bytes at s, or NULL when they go out as they
 * are: control characters (C0, DEL, C1) and bytes that are not valid UTF-8.
 * A domain name or a policy's message can then neither start a new log
 * line (a forged entry) nor send a terminal escape sequence. */
static const char *escape(const char *s, size_t len, char *buf, size_t buflen)
{
	unsigned char c = (unsigned char)*s;

	if (c == '\n')
		return "\\n";
	if (c == '\r')
		return "\\r";
	if (c == '\t')
		return "\\t";
	if (c >= 0x20 && c != 0x7F && len)
		return NULL;
	snprintf(buf, buflen, "\\x%02x", c);
	return buf;
}

/* msg, escaped, to out: at most four bytes out per byte in. */
static void put_escaped(FILE *out, const char *msg)
{
	const char *esc;
	char buf[8];

	while (*msg) {
		size_t n = mc_utf8_len(msg);

		/* U+0080..U+009F are controls too (0x9B is a CSI to some
		 * terminals): escaped byte by byte, as if invalid. */
		if (n == 2 && (unsigned char)msg[0] == 0xC2 &&
		    (unsigned char)msg[1] < 0xA0)
			n = 0;
		esc = escape(msg, n, buf, sizeof(buf));
		if (esc)
			fputs(esc, out);
		else
			fwrite(msg, 1, n, out);
		msg += n ? n : 1;
	}
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
	put_escaped(out, msg);
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
