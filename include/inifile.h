/*
 * inifile.h - what every INI reader here needs on top of inih: the line
 * each key is on, one error message naming file:line, and strict value
 * parsers.  Used by the config file and the simulator's scenario files.
 */
#ifndef MC_INIFILE_H
#define MC_INIFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mc_ini;

/* Returns 1 to go on, 0 after mc_ini_fail(). */
typedef int (*mc_ini_handler)(struct mc_ini *ini, const char *section,
			      const char *key, const char *value);

struct mc_ini {
	const char *path;
	void *user;
	int line;		/* of the key being handled */
	/* private */
	void *fp;
	int at_line_start;
	mc_ini_handler handler;
	char *err;
	size_t errlen;
	int failed;
};

/* Parses path, calling handler for every key.  0, or -1 with err holding
 * "path:line: [section] key: why" (or "path: cannot open: ..."). */
int mc_ini_parse(const char *path, mc_ini_handler handler, void *user,
		 char *err, size_t errlen);
/* Records the first error (later ones are dropped) and returns 0. */
int mc_ini_fail(struct mc_ini *ini, const char *section, const char *key,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Strict value parsers: the whole string, within [lo, hi].  0 or -1. */
int mc_ini_double(const char *s, double lo, double hi, double *out);
int mc_ini_long(const char *s, long lo, long hi, long *out);
int mc_ini_bool(const char *s, bool *out);	/* yes/no true/false on/off 1/0 */

#endif
