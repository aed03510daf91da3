/*
 * csv.h - RFC 4180 fields, both ways: writing the trace's text fields and
 * reading a trace back (--simulate's replay).
 *
 * A text field is first escaped as every name memcoord shows a person is
 * (utf8.h: controls, CR and LF included, become \n, \r, \t or \xNN, as do
 * bytes that are not UTF-8), so each record stays one line of valid UTF-8
 * that a terminal, grep or awk can take; then a field holding a comma or a
 * double quote is quoted, its quotes doubled.  The reader takes any RFC
 * 4180 text, quoted line breaks included.
 */
#ifndef MC_CSV_H
#define MC_CSV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* s as one field: escaped, then quoted when it holds ',' '"' CR or LF
 * (after escaping only the first two can be left).  0, or -1 when out of
 * memory (nothing written); a failed write shows in ferror(out). */
int mc_csv_put_text(FILE *out, const char *s);

/* Reading: a cursor over text (len bytes at text, and a NUL after them,
 * as mc_file_read() leaves it), which it changes: each field is unquoted
 * in place and NUL-terminated. */
struct mc_csv {
	char *p, *end;
	size_t record;		/* 1-based number of the current record */
	bool bad;		/* a malformed field was met: stop */
};

void mc_csv_init(struct mc_csv *c, char *text, size_t len);
/* The next field of the current record; *last is set when it ends the
 * record.  NULL at the end of the text, or with c->bad set for a field
 * that is not RFC 4180: a quote inside an unquoted field, text after a
 * closing quote, a quoted field never closed, a NUL byte. */
char *mc_csv_field(struct mc_csv *c, bool *last);

#endif
