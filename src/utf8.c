/*
 * utf8.c - UTF-8 validation (RFC 3629, table 3-7 of the Unicode standard).
 */
#include <stdio.h>
#include <string.h>

#include "utf8.h"

size_t mc_utf8_len(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	unsigned char c = s[0], lo = 0x80, hi = 0xBF;
	size_t n, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		n = 2;
	else if (c >= 0xE0 && c <= 0xEF)
		n = 3;
	else if (c >= 0xF0 && c <= 0xF4)
		n = 4;
	else
		return 0;
	/* The second byte's range is narrower after these leads: that is
	 * what rules out overlong forms, surrogates and > U+10FFFF. */
	if (c == 0xE0)
		lo = 0xA0;
	else if (c == 0xED)
		hi = 0x9F;
	else if (c == 0xF0)
		lo = 0x90;
	else if (c == 0xF4)
		hi = 0x8F;
	if (s[1] < lo || s[1] > hi)
		return 0;
	/* A NUL fails the range test, so this never reads past the string. */
	for (i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xBF)
			return 0;
	return n;
}

/* ---- escaping text for a line a person reads ---- */

/* U+202A..U+202E and U+2066..U+2069: they reorder how the rest of the
 * line is shown, so a quoted name could make a message read otherwise. */
static int is_bidi_control(const unsigned char *u)
{
	return u[0] == 0xE2 && ((u[1] == 0x80 && u[2] >= 0xAA && u[2] <= 0xAE) ||
				(u[1] == 0x81 && u[2] >= 0xA6 && u[2] <= 0xA9));
}

size_t mc_utf8_printable_len(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n;

	if (u[0] < 0x20 || u[0] == 0x7F)
		return 0;
	/* U+0080..U+009F: some terminals obey them (0x9B is a CSI). */
	if (u[0] == 0xC2 && u[1] < 0xA0)
		return 0;
	n = mc_utf8_len(s);
	return n == 3 && is_bidi_control(u) ? 0 : n;
}

/* What to write for the character at s: the bytes themselves or their
 * escape.  Sets *used to how many bytes of s that covers. */
static const char *piece(const char *s, char esc[MC_UTF8_ESC_MAX], size_t *len,
			 size_t *used)
{
	size_t n = mc_utf8_printable_len(s);
	static const char *const named[] = { ['\n'] = "\\n", ['\r'] = "\\r",
					     ['\t'] = "\\t" };
	unsigned char c = (unsigned char)*s;

	*used = n ? n : 1;
	if (n) {
		*len = n;
		return s;
	}
	if (c < sizeof(named) / sizeof(named[0]) && named[c])
		memcpy(esc, named[c], 3);
	else
		snprintf(esc, MC_UTF8_ESC_MAX, "\\x%02x", c);
	*len = strlen(esc);
	return esc;
}

size_t mc_utf8_escape(const char *in, char *out, size_t outlen)
{
	char esc[MC_UTF8_ESC_MAX];
	size_t o = 0, len, used;

	if (!outlen)
		return 0;
	while (*in) {
		const char *p = piece(in, esc, &len, &used);

		if (o + len >= outlen)
			break;
		memcpy(out + o, p, len);
		o += len;
		in += used;
	}
	out[o] = '\0';
	return o;
}

void mc_utf8_put_escaped(FILE *out, const char *s)
{
	char esc[MC_UTF8_ESC_MAX];
	size_t len, used;

	while (*s) {
		const char *p = piece(s, esc, &len, &used);

		fwrite(p, 1, len, out);
		s += used;
	}
}
