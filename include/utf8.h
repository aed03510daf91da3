/*
 * utf8.h - validating UTF-8, for the text formats that require it (JSON
 * events, Prometheus label values).  Domain names and Lua error messages
 * are bytes; these formats are not.
 */
#ifndef MC_UTF8_H
#define MC_UTF8_H

#include <stddef.h>
#include <stdio.h>

/* Length (1..4) of the valid UTF-8 sequence at s, or 0 when the bytes
 * there are not one: stray continuation bytes, overlong forms, surrogates,
 * code points past U+10FFFF, a sequence cut short by the terminating NUL.
 * s must point at a NUL-terminated string and not at its NUL. */
size_t mc_utf8_len(const char *s);

/* What to write instead of an invalid byte: U+FFFD, in UTF-8. */
#define MC_UTF8_REPLACEMENT "\xEF\xBF\xBD"

/* Escaping for text a person reads on a terminal or in a log, where a
 * name or a message from outside must neither start a new line (a forged
 * entry), nor send a terminal escape sequence, nor reorder the line:
 * C0 controls become \n, \r, \t or \xNN; DEL, C1 controls (U+0080..
 * U+009F), bidi controls (U+202A..U+202E, U+2066..U+2069) and bytes that
 * are not valid UTF-8 become \xNN, byte by byte.  Backslashes are left
 * alone, so escaping twice changes nothing. */

/* The longest escape of one byte, "\xNN", with its NUL. */
#define MC_UTF8_ESC_MAX 5

/* Bytes of the character at s that go out as they are, or 0 when its
 * first byte must be escaped.  s must not point at the NUL. */
size_t mc_utf8_printable_len(const char *s);

/* in, escaped, into out (outlen bytes, NUL included).  Cut to fit, never
 * inside an escape or a UTF-8 sequence.  Returns the length written. */
size_t mc_utf8_escape(const char *in, char *out, size_t outlen);

/* s, escaped, to out: at most four bytes out per byte in. */
void mc_utf8_put_escaped(FILE *out, const char *s);

#endif
