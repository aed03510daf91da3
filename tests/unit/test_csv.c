/* test_csv.c - RFC 4180 fields: what the trace writes (escaped, quoted
 * only where it must be), what the replay reads (quoted commas, doubled
 * quotes, line breaks in quotes, CRLF), what it refuses, and that every
 * written field reads back as the escaped text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "csv.h"
#include "utf8.h"
#include "testutil.h"

/* s through mc_csv_put_text, as a fresh string. */
static char *written(const char *s)
{
	char *buf = NULL;
	size_t len;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(mc_csv_put_text(f, s), 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void writes_quoted_only_where_needed(void **state)
{
	static const char *const cases[][2] = {
		{ "plain", "plain" },
		{ "", "" },
		{ "a,\"b", "\"a,\"\"b\"" },
		{ "\"", "\"\"\"\"" },
		{ "max+step", "max+step" },
		{ "cr\r\nlf", "cr\\r\\nlf" },		/* escaped: one line */
		{ "esc\x1b[2J,", "\"esc\\x1b[2J,\"" },
		{ "\xff\xfe", "\\xff\\xfe" },		/* not UTF-8 */
		{ "caf\xc3\xa9", "caf\xc3\xa9" },	/* UTF-8 stays */
		{ "back\\slash", "back\\slash" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *out = written(cases[i][0]);

		assert_string_equal(out, cases[i][1]);
		free(out);
	}
}

/* Every field of text, each record's fields joined by '|', records by
 * ';'; "BAD@N" when the reader refused record N. */
static void read_all(const char *text, char *out, size_t outlen)
{
	char *copy = strdup(text), *f;
	struct mc_csv c;
	bool last, start = true;
	size_t o = 0;

	assert_non_null(copy);
	out[0] = '\0';
	mc_csv_init(&c, copy, strlen(copy));
	while ((f = mc_csv_field(&c, &last))) {
		o += (size_t)snprintf(out + o, outlen - o, "%s%s%s", start ? "" : "|",
				      f, last ? ";" : "");
		start = last;
	}
	if (c.bad)
		snprintf(out + o, outlen - o, "BAD@%zu", c.record);
	free(copy);
}

static void reads_rfc4180(void **state)
{
	static const char *const cases[][2] = {
		{ "a,b\nc,d\n", "a|b;c|d;" },
		{ "a,b\r\nc,d", "a|b;c|d;" },			/* CRLF, no last break */
		{ "\"a,\"\"b\",1\n", "a,\"b|1;" },
		{ "\"two\nlines\",x\n", "two\nlines|x;" },
		{ ",,\n", "||;" },
		{ "\"\",\"\"\"\"\n", "|\";" },
		{ "t\nbad\"quote\n", "t;BAD@2" },		/* quote in unquoted */
		{ "\"open,x\n", "BAD@1" },			/* never closed */
		{ "\"a\"b\n", "BAD@1" },			/* text after close */
		{ "lone\rcr\n", "BAD@1" },
		{ "", "" },
	};
	char out[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		read_all(cases[i][0], out, sizeof(out));
		assert_string_equal(out, cases[i][1]);
	}
}

/* A NUL byte (a hole a truncation left) is refused, not a silent end. */
static void nul_refused(void **state)
{
	char text[] = "a,b\nc\0d,e\n";
	struct mc_csv c;
	bool last;

	(void)state;
	mc_csv_init(&c, text, sizeof(text) - 1);
	assert_string_equal(mc_csv_field(&c, &last), "a");
	assert_string_equal(mc_csv_field(&c, &last), "b");
	assert_null(mc_csv_field(&c, &last));
	assert_true(c.bad);
	assert_int_equal(c.record, 2);
}

/* Whatever the bytes, a written field reads back as one field: the text
 * the escaper shows. */
static void round_trip(void **state)
{
	static const char *const texts[] = {
		"a,\"b", "\",\",\"", "x\ny\r\n", ",", "\"\"", "\t\x7f\xc2\x9b",
		"\xe2\x80\xae" "bidi", "end,",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		char *out = written(texts[i]), shown[64];
		struct mc_csv c;
		bool last = false;
		char *f;

		mc_utf8_escape(texts[i], shown, sizeof(shown));
		mc_csv_init(&c, out, strlen(out));
		f = mc_csv_field(&c, &last);
		assert_non_null(f);
		assert_true(last);
		assert_string_equal(f, shown);
		assert_null(mc_csv_field(&c, &last));
		free(out);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(writes_quoted_only_where_needed),
		cmocka_unit_test(reads_rfc4180),
		cmocka_unit_test(nul_refused),
		cmocka_unit_test(round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
