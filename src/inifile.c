/*
 * inifile.c - a small strict INI reader with line numbers and one clear
 * error.
 *
 * It replaces inih, whose compile-time limits (200-byte lines, 50-byte
 * section names) split a long line into two: the tail of a long comment
 * became a key of its own, error line numbers counted the pieces, and long
 * section names were cut.  Here the file is read whole and bounded
 * (mc_file_read: regular files only, so /dev/zero or a FIFO cannot hang a
 * start-up or a reload), every line is checked before it is parsed, and
 * nothing is ever cut: a line the reader cannot take whole is an error.
 * The accepted syntax is inih's (see inifile.h).
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fileio.h"
#include "inifile.h"
#include "utf8.h"

#define SYNTAX_ERROR "syntax error (expected [section] or key = value)"

/* The last key read and its section, both pointing into the file's text. */
struct cursor {
	const char *section;	/* "" before the first [section] */
	const char *key;	/* "" right after a [section] line */
};

static void record(struct mc_ini *ini, const char *section, const char *key,
		   const char *fmt, va_list ap) __attribute__((format(printf, 4, 0)));
static void record(struct mc_ini *ini, const char *section, const char *key,
		   const char *fmt, va_list ap)
{
	char why[256];

	if (ini->failed++)
		return;
	vsnprintf(why, sizeof(why), fmt, ap);
	if (section && key)
		snprintf(ini->err, ini->errlen, "%s:%d: [%s] %s: %s", ini->path,
			 ini->line, section, key, why);
	else if (section)
		snprintf(ini->err, ini->errlen, "%s:%d: [%s]: %s", ini->path,
			 ini->line, section, why);
	else
		snprintf(ini->err, ini->errlen, "%s:%d: %s", ini->path, ini->line, why);
}

int mc_ini_fail(struct mc_ini *ini, const char *section, const char *key,
		const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	record(ini, section, key, fmt, ap);
	va_end(ap);
	return 0;
}

/* An error about the line itself rather than a key in it. */
static int fail_line(struct mc_ini *ini, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int fail_line(struct mc_ini *ini, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	record(ini, NULL, NULL, fmt, ap);
	va_end(ap);
	return 0;
}

/* ---- what a line may hold ---- */

/* 1 when the len bytes at line may be parsed, 0 after the error.  A NUL or
 * a control byte is refused, not skipped: a zero-filled file must not read
 * as an empty one (all defaults), nor text after a NUL vanish. */
static int check_line(struct mc_ini *ini, const char *line, size_t len)
{
	size_t i, text = len && line[len - 1] == '\r' ? len - 1 : len;

	if (text > MC_INI_LINE_MAX)
		return fail_line(ini, "line longer than %d bytes", MC_INI_LINE_MAX);
	for (i = 0; i < text; i++) {
		unsigned char c = (unsigned char)line[i];

		if (!c)
			return fail_line(ini, "NUL byte at column %zu: not a text file", i + 1);
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return fail_line(ini, "control character 0x%02x at column %zu", c, i + 1);
	}
	return 1;
}

/* ---- inih's syntax ---- */

/* Locale-free: a byte >= 0x80 is never blank, whatever LC_CTYPE says. */
static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static char *rstrip(char *s)
{
	char *p = s + strlen(s);

	while (p > s && is_blank(p[-1]))
		*--p = '\0';
	return s;
}

static char *lskip(char *s)
{
	while (is_blank(*s))
		s++;
	return s;
}

/* The first of chars, or an inline comment (";" after a blank), or the end. */
static char *find_chars_or_comment(char *s, const char *chars)
{
	int was_blank = 0;

	while (*s && !(chars && strchr(chars, *s)) && !(was_blank && *s == ';')) {
		was_blank = is_blank(*s);
		s++;
	}
	return s;
}

static void cut_comment(char *s)
{
	*find_chars_or_comment(s, NULL) = '\0';
	rstrip(s);
}

static int call(struct mc_ini *ini, const char *section, const char *key,
		const char *value)
{
	if (ini->handler(ini, section, key, value))
		return 1;
	return mc_ini_fail(ini, section, key, "refused");	/* no-op if it said why */
}

/* "[NAME]": NAME runs to the line's last ], so a glob's [0-9] fits. */
static int section_line(struct mc_ini *ini, struct cursor *cur, char *start)
{
	size_t len;

	cut_comment(start);
	len = strlen(start);
	if (len < 2 || start[len - 1] != ']')
		return fail_line(ini, "%s", strchr(start, ']') ?
				 "text after the section's ]" : SYNTAX_ERROR);
	start[len - 1] = '\0';
	cur->section = start + 1;
	cur->key = "";
	return call(ini, cur->section, NULL, NULL);
}

static int key_line(struct mc_ini *ini, struct cursor *cur, char *start)
{
	char *end = find_chars_or_comment(start, "=:"), *value;

	if ((*end != '=' && *end != ':') || end == start)
		return fail_line(ini, SYNTAX_ERROR);
	*end = '\0';
	rstrip(start);
	value = end + 1;
	cut_comment(value);
	cur->key = start;
	return call(ini, cur->section, start, lskip(value));
}

static int parse_line(struct mc_ini *ini, struct cursor *cur, char *line)
{
	char *start = lskip(rstrip(line));

	if (!*start || *start == ';' || *start == '#')
		return 1;
	if (*cur->key && start > line) {	/* indented: continues the key */
		cut_comment(start);
		return call(ini, cur->section, cur->key, start);
	}
	if (*start == '[')
		return section_line(ini, cur, start);
	return key_line(ini, cur, start);
}

/* Splits text (NUL-terminated at len) into lines in place. */
static int parse_text(struct mc_ini *ini, char *text, size_t len)
{
	struct cursor cur = { "", "" };
	char *line = text, *end = text + len;

	if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3))	/* UTF-8 BOM */
		line += 3;
	while (line < end) {
		char *nl = memchr(line, '\n', (size_t)(end - line));
		size_t n = nl ? (size_t)(nl - line) : (size_t)(end - line);

		ini->line++;
		if (!check_line(ini, line, n))
			return -1;
		line[n] = '\0';
		if (!parse_line(ini, &cur, line))
			return -1;
		line += n + 1;
	}
	return 0;
}

int mc_ini_parse(const char *path, mc_ini_handler handler, void *user,
		 char *err, size_t errlen)
{
	struct mc_ini ini = {
		.path = path, .user = user,
		.handler = handler, .err = err, .errlen = errlen,
	};
	char *text;
	size_t len;
	int rc = -1;

	if (!mc_file_read(path, MC_FILE_READ_MAX, &text, &len, err, errlen)) {
		rc = parse_text(&ini, text, len);
		free(text);
	}
	if (rc)
		mc_ini_escape(err, errlen);
	return rc;
}

/* ---- error messages that quote hostile text ---- */

/* A copy to escape from, since the message is rewritten where it is.
 * Without memory for it, the message is cut before its first character
 * that needs escaping: shorter, never unsafe. */
void mc_ini_escape(char *buf, size_t size)
{
	char *copy = strdup(buf);
	size_t in = 0, n;

	if (copy) {
		mc_utf8_escape(copy, buf, size);
		free(copy);
		return;
	}
	while (buf[in] && (n = mc_utf8_printable_len(buf + in)))
		in += n;
	if (size)
		buf[in < size ? in : size - 1] = '\0';
}

/* ---- values ---- */

int mc_ini_double(const char *s, double lo, double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

int mc_ini_long(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

int mc_ini_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t i;

	for (i = 0; i < 4; i++) {
		if (!strcasecmp(s, yes[i]))
			return *out = true, 0;
		if (!strcasecmp(s, no[i]))
			return *out = false, 0;
	}
	return -1;
}
