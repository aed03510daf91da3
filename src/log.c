/*
 * log.c - leveled logging to stderr.
 *
 * Under systemd (JOURNAL_STREAM set) or when stderr is not a terminal the
 * journal adds its own timestamps, so lines carry only the level.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

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

void mc_log(enum mc_log_level level, const char *fmt, ...)
{
	va_list ap;

	if (level > log_level)
		return;
	if (isatty(STDERR_FILENO) && !getenv("JOURNAL_STREAM")) {
		char stamp[32];
		time_t now = time(NULL);
		struct tm tm;

		localtime_r(&now, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S ", &tm);
		fputs(stamp, stderr);
	}
	fprintf(stderr, "memcoord: %s: ", level_name(level));
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
