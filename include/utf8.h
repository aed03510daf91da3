/*
 * utf8.h - validating UTF-8, for the text formats that require it (JSON
 * events, Prometheus label values).  Domain names and Lua error messages
 * are bytes; these formats are not.
 */
#ifndef MC_UTF8_H
#define MC_UTF8_H

#include <stddef.h>

/* Length (1..4) of the valid UTF-8 sequence at s, or 0 when the bytes
 * there are not one: stray continuation bytes, overlong forms, surrogates,
 * code points past U+10FFFF, a sequence cut short by the terminating NUL.
 * s must point at a NUL-terminated string and not at its NUL. */
size_t mc_utf8_len(const char *s);

/* What to write instead of an invalid byte: U+FFFD, in UTF-8. */
#define MC_UTF8_REPLACEMENT "\xEF\xBF\xBD"

#endif
