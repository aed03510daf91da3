/*
 * json.c - JSON strings from untrusted bytes.
 *
 * Escapes the short forms JSON has (\n, \t, \", \\) and \u00XX for the
 * other control characters; DEL too, though JSON allows it raw, because
 * these lines end up on terminals.  A byte that does not start a valid
 * UTF-8 sequence becomes \ufffd: strict parsers (jq, Python) refuse a
 * whole document for one bad byte.
 */
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "utf8.h"

void mc_json_put_file(void *file, const char *bytes, size_t n)
{
	fwrite(bytes, 1, n, file);	/* the caller checks ferror() once */
}

/* The escape for the byte c, or NULL when it goes out as it is. */
static const char *escape(unsigned char c, char *buf, size_t len)
{
	switch (c) {
	case '"':  return "\\\"";
	case '\\': return "\\\\";
	case '\n': return "\\n";
	case '\t': return "\\t";
	default:
		if (c >= 0x20 && c != 0x7F)
			return NULL;
		snprintf(buf, len, "\\u%04x", c);
		return buf;
	}
}

void mc_json_str(mc_json_put *put, void *sink, const char *str)
{
	const char *s = str;
	char buf[8];

	if (!str) {
		put(sink, "null", 4);
		return;
	}
	put(sink, "\"", 1);
	while (*s) {
		const char *esc = escape((unsigned char)*s, buf, sizeof(buf));
		size_t n = esc ? 1 : mc_utf8_len(s);

		if (esc)
			put(sink, esc, strlen(esc));
		else if (!n)
			put(sink, "\\ufffd", 6);
		else
			put(sink, s, n);
		s += n ? n : 1;
	}
	put(sink, "\"", 1);
}
