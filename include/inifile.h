/*
 * inifile.h - the INI reader for the config file and the simulator's
 * scenario files: strict about what a line may hold, one error message
 * naming file:line, and strict value parsers.
 *
 * Syntax (what inih accepted, which every existing file uses): "[section]"
 * lines, "key = value" or "key: value" lines, comments starting with ; or
 * # at the start of a line and " ;" after text, whitespace trimmed around
 * sections, keys and values, a line indented under a key continuing that
 * key (the handler sees the key again), a UTF-8 BOM.  Unlike inih, a line
 * may be up to MC_INI_LINE_MAX bytes and a section name as long as its
 * line; anything longer, a NUL byte, a control character other than tab
 * (or CR ending the line), a file that is not a regular file, or text
 * after a section's closing ] is refused, never cut or skipped.
 */
#ifndef MC_INIFILE_H
#define MC_INIFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest line, in bytes without the line end.  Generous: a section names
 * a domain (libvirt names have no length limit of their own) or a glob. */
#define MC_INI_LINE_MAX 4096

struct mc_ini;

/* Called for every key, and with key and value NULL at every [section]
 * line, so that a section without keys is seen too.  Returns 1 to go on,
 * 0 after mc_ini_fail(). */
typedef int (*mc_ini_handler)(struct mc_ini *ini, const char *section,
			      const char *key, const char *value);

struct mc_ini {
	const char *path;
	void *user;
	int line;		/* of the key being handled */
	/* private */
	mc_ini_handler handler;
	char *err;
	size_t errlen;
	int failed;
};

/* Parses path, calling handler for every key.  0, or -1 with err holding
 * "path:line: [section] key: why" (or "path:line: why", "path: why"),
 * escaped with mc_ini_escape(). */
int mc_ini_parse(const char *path, mc_ini_handler handler, void *user,
		 char *err, size_t errlen);
/* Records the first error (later ones are dropped) and returns 0.  key
 * NULL: an error about the section itself. */
int mc_ini_fail(struct mc_ini *ini, const char *section, const char *key,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Rewrites the NUL-terminated message in buf (of size bytes) so that it
 * holds printable text only, escaped as mc_utf8_escape() does (utf8.h:
 * control bytes, C1 and bidi controls, invalid UTF-8).  Escaping twice
 * changes nothing; the result is cut to fit. */
void mc_ini_escape(char *buf, size_t size);

/* Strict value parsers: the whole string, within [lo, hi].  0 or -1. */
int mc_ini_double(const char *s, double lo, double hi, double *out);
int mc_ini_long(const char *s, long lo, long hi, long *out);
int mc_ini_bool(const char *s, bool *out);	/* yes/no true/false on/off 1/0 */

#endif
