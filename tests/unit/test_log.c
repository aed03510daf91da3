/* test_log.c - a log message is one line whatever it holds: a domain name
 * with a newline cannot forge a second entry, nor an ESC colour the
 * terminal; ordinary lines are unchanged. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <inttypes.h>
#include <sys/stat.h>

#include "fileio.h"
#include "log.h"
#include "testutil.h"

/* What mc_warn(fmt, arg) writes, in a fresh buffer (free it). */
static char *logged(const char *fmt, const char *arg)
{
	char *log = write_temp("", ".log"), *buf, err[256];
	size_t len;
	int saved = capture_begin(log);

	mc_warn(fmt, arg);
	capture_end(saved);
	assert_int_equal(mc_file_read(log, 1 << 20, &buf, &len, err, sizeof(err)), 0);
	drop_temp(log);
	return buf;
}

static void plain_line_unchanged(void **state)
{
	char *out = logged("domain %s: stale stats", "caf\xc3\xa9 vm-1 \\ \"q\"");

	(void)state;
	assert_string_equal(out, "memcoord: warning: domain caf\xc3\xa9 vm-1 \\ \"q\": stale stats\n");
	free(out);
}

static void control_characters_escaped(void **state)
{
	char *out = logged("domain %s: resized",
			   "evil\nmemcoord: error: forged\r\x1b[31mred\t\x7f");

	(void)state;
	assert_string_equal(out, "memcoord: warning: domain evil\\nmemcoord: error: "
			    "forged\\r\\x1b[31mred\\t\\x7f: resized\n");
	free(out);
}

/* Invalid UTF-8 and the C1 controls (U+009B is a CSI to some terminals)
 * are escaped byte by byte; valid UTF-8 goes through. */
static void bad_utf8_and_c1_escaped(void **state)
{
	char *out = logged("%s", "a\xff" "b\xc2\x9b" "c\xe2\x82" "d\xe2\x82\xac");

	(void)state;
	assert_string_equal(out, "memcoord: warning: a\\xffb\\xc2\\x9bc\\xe2\\x82d\xe2\x82\xac\n");
	free(out);
}

/* Bidi controls (U+202E RLO, U+2066 LRI) would reorder the rest of the
 * line on screen: escaped byte by byte.  U+206A, just past them, is not. */
static void bidi_controls_escaped(void **state)
{
	char *out = logged("%s", "a\xe2\x80\xae" "b\xe2\x81\xa6" "c\xe2\x81\xaa");

	(void)state;
	assert_string_equal(out, "memcoord: warning: a\\xe2\\x80\\xaeb\\xe2\\x81\\xa6"
			    "c\xe2\x81\xaa\n");
	free(out);
}

/* Longer than any fixed buffer: still one whole line. */
static void long_message_whole(void **state)
{
	char *big = malloc(100001), *out;

	(void)state;
	assert_non_null(big);
	memset(big, 'x', 100000);
	big[100000] = '\0';
	big[50000] = '\n';
	out = logged("%s", big);
	free(big);
	assert_int_equal(strlen(out), strlen("memcoord: warning: ") + 100001 + 1);
	assert_ptr_equal(strchr(out, '\n'), out + strlen(out) - 1);
	free(out);
}

/* What each level writes when JOURNAL_STREAM is env, or the log file's
 * own "dev:ino" when env is NULL (stderr is then the "journal"). */
static char *logged_journal(const char *env)
{
	char *log = write_temp("", ".log"), *buf, err[256], id[64];
	struct stat st;
	size_t len;
	int saved = capture_begin(log);

	assert_int_equal(fstat(STDERR_FILENO, &st), 0);
	snprintf(id, sizeof(id), "%ju:%ju", (uintmax_t)st.st_dev, (uintmax_t)st.st_ino);
	setenv("JOURNAL_STREAM", env ? env : id, 1);
	mc_log_set_level(MC_LOG_DEBUG);
	mc_error("e");
	mc_warn("w");
	mc_info("i");
	mc_debug("d");
	mc_log_set_level(MC_LOG_INFO);
	unsetenv("JOURNAL_STREAM");
	capture_end(saved);
	assert_int_equal(mc_file_read(log, 1 << 20, &buf, &len, err, sizeof(err)), 0);
	drop_temp(log);
	return buf;
}

/* stderr is the journal: every line starts with its sd-daemon priority,
 * the "memcoord: level:" text kept after it. */
static void journal_priority_prefixes(void **state)
{
	char *out = logged_journal(NULL);

	(void)state;
	assert_string_equal(out, "<3>memcoord: error: e\n<4>memcoord: warning: w\n"
			    "<6>memcoord: info: i\n<7>memcoord: debug: d\n");
	free(out);
}

/* JOURNAL_STREAM inherited but stderr redirected since (another inode),
 * or a malformed value: no prefixes. */
static void journal_stream_mismatch_no_prefix(void **state)
{
	static const char *const wrong[] = { "1:1", "garbage", "", "1:1x" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++) {
		char *out = logged_journal(wrong[i]);

		assert_string_equal(out, "memcoord: error: e\nmemcoord: warning: w\n"
				    "memcoord: info: i\nmemcoord: debug: d\n");
		free(out);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(plain_line_unchanged),
		cmocka_unit_test(control_characters_escaped),
		cmocka_unit_test(bad_utf8_and_c1_escaped),
		cmocka_unit_test(bidi_controls_escaped),
		cmocka_unit_test(long_message_whole),
		cmocka_unit_test(journal_priority_prefixes),
		cmocka_unit_test(journal_stream_mismatch_no_prefix),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
