/*
 * json.h - JSON strings (RFC 8259) from bytes that may be anything: the
 * one writer behind the event log and the --report scorecard, so both
 * parse whatever a domain name or a Lua error message holds.
 */
#ifndef MC_JSON_H
#define MC_JSON_H

#include <stddef.h>

/* Where the writer's output goes: n bytes at a time, into sink. */
typedef void mc_json_put(void *sink, const char *bytes, size_t n);

/* Writes str as a JSON string, quotes included: ", \ and control
 * characters (C0 and DEL) escaped, invalid UTF-8 as U+FFFD; NULL as
 * null. */
void mc_json_str(mc_json_put *put, void *sink, const char *str);

/* An mc_json_put for a stdio stream (sink: the FILE *). */
void mc_json_put_file(void *file, const char *bytes, size_t n);

#endif
