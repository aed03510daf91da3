/*
 * log.h - leveled logging to stderr, with sd-daemon(3) priority prefixes
 * when stderr is the journal.
 */
#ifndef MC_LOG_H
#define MC_LOG_H

#include <stdbool.h>

enum mc_log_level { MC_LOG_ERROR, MC_LOG_WARN, MC_LOG_INFO, MC_LOG_DEBUG };

void mc_log_set_level(enum mc_log_level level);
enum mc_log_level mc_log_get_level(void);
/* True when stderr is systemd's journal stream (JOURNAL_STREAM matches
 * stderr's device and inode): lines then carry "<N>" priorities. */
bool mc_log_to_journal(void);
void mc_log(enum mc_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define mc_error(...) mc_log(MC_LOG_ERROR, __VA_ARGS__)
#define mc_warn(...)  mc_log(MC_LOG_WARN, __VA_ARGS__)
#define mc_info(...)  mc_log(MC_LOG_INFO, __VA_ARGS__)
#define mc_debug(...) mc_log(MC_LOG_DEBUG, __VA_ARGS__)

#endif
