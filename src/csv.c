/*
 * csv.c - RFC 4180 fields (see csv.h).
 */
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "utf8.h"

/* ---- writing ---- */

int mc_csv_put_text(FILE *out, const char *s)
{
	/* Every byte escapes to at most MC_UTF8_ESC_MAX - 1 bytes. */
	size_t cap = strlen(s) * (MC_UTF8_ESC_MAX - 1) + 1;
	char *esc = malloc(cap), *q;

	if (!esc)
		return -1;
	mc_utf8_escape(s, esc, cap);
	if (!strpbrk(esc, ",\"\r\n")) {
		fputs(esc, out);
		free(esc);
		return 0;
	}
	fputc('"', out);
	for (q = esc; *q; q++) {
		if (*q == '"')
			fputc('"', out);
		fputc(*q, out);
	}
	fputc('"', out);
	free(esc);
	return 0;
}

/* ---- reading ---- */

void mc_csv_init(struct mc_csv *c, char *text, size_t len)
{
	c->p = text;
	c->end = text + len;
	c->record = 1;
	c->bad = false;
}

/* At p: a field's end?  Consumes the separator; sets *last for a line
 * break or the end of the text.  Returns 0 when p is not a field's end. */
static int field_end(struct mc_csv *c, char *p, bool *last)
{
	size_t crlf = p + 1 < c->end && p[0] == '\r' && p[1] == '\n';

	if (p == c->end || *p == '\n' || crlf) {
		*last = true;
		c->p = p == c->end ? p : p + 1 + crlf;
		return 1;
	}
	if (*p != ',')
		return 0;
	*last = false;
	c->p = p + 1;
	return 1;
}

static char *unquoted(struct mc_csv *c, bool *last)
{
	char *start = c->p, *p = start;

	while (p < c->end && !strchr(",\n\r\"", *p))	/* NUL too */
		p++;
	if (!field_end(c, p, last)) {
		c->bad = true;
		return NULL;
	}
	*p = '\0';
	return start;
}

/* "..." with "" for a quote: the text moves left over the doubled quotes,
 * so the field ends, NUL-terminated, before its closing quote. */
static char *quoted(struct mc_csv *c, bool *last)
{
	char *start = c->p + 1, *in = start, *out = start;

	for (;;) {
		if (in == c->end || !*in) {
			c->bad = true;
			return NULL;
		}
		if (*in == '"' && !(in + 1 < c->end && in[1] == '"'))
			break;
		*out++ = *in;
		in += *in == '"' ? 2 : 1;
	}
	if (!field_end(c, in + 1, last)) {
		c->bad = true;
		return NULL;
	}
	*out = '\0';
	return start;
}

char *mc_csv_field(struct mc_csv *c, bool *last)
{
	char *f;

	if (c->bad || c->p >= c->end)
		return NULL;
	f = *c->p == '"' ? quoted(c, last) : unquoted(c, last);
	if (f && *last)
		c->record++;
	return f;
}
