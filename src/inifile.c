/*
 * inifile.c - inih with line numbers and one clear error.
 *
 * inih does not tell a handler which line it is on, so the reader counts
 * lines as it hands them over.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ini.h>

#include "inifile.h"

int mc_ini_fail(struct mc_ini *ini, const char *section, const char *key,
		const char *fmt, ...)
{
	char why[256];
	va_list ap;

	if (ini->failed++)
		return 0;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	snprintf(ini->err, ini->errlen, "%s:%d: [%s] %s: %s", ini->path,
		 ini->line, section, key, why);
	return 0;
}

static char *read_line(char *str, int num, void *stream)
{
	struct mc_ini *ini = stream;
	char *s = fgets(str, num, ini->fp);
	size_t len;

	if (!s)
		return NULL;
	if (ini->at_line_start)
		ini->line++;
	len = strlen(s);
	ini->at_line_start = len && s[len - 1] == '\n';
	return s;
}

static int dispatch(void *user, const char *section, const char *key,
		    const char *value)
{
	struct mc_ini *ini = user;

	if (ini->failed)
		return 0;
	return ini->handler(ini, section, key, value);
}

int mc_ini_parse(const char *path, mc_ini_handler handler, void *user,
		 char *err, size_t errlen)
{
	struct mc_ini ini = {
		.path = path, .user = user, .at_line_start = 1,
		.handler = handler, .err = err, .errlen = errlen,
	};
	int rc;

	ini.fp = fopen(path, "r");
	if (!ini.fp) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	rc = ini_parse_stream(read_line, &ini, dispatch, &ini);
	if (rc == 0 && ferror((FILE *)ini.fp)) {
		snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
		rc = -1;
	}
	fclose(ini.fp);
	if (rc > 0 && !ini.failed)	/* inih's own syntax error */
		snprintf(err, errlen, "%s:%d: syntax error (expected [section] or key = value)",
			 path, rc);
	return rc ? -1 : 0;
}

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
