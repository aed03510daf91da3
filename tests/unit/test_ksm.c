/* test_ksm.c - /sys/kernel/mm/ksm under a temporary root: every file read,
 * no KSM is absent without a word, a garbled file absent with one warning;
 * a write writes the one file, never a read-only one, never through a
 * link, and a file that refused is warned about once and never tried
 * again.  And this machine's real KSM reads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "hostfs.h"
#include "ksm.h"
#include "testutil.h"

/* A fake root with a KSM directory and no KSM file in it. */
static char *make_root(void)
{
	char *root = temp_tree();

	put_file(root, MC_KSM_DIR "/.keep", "");
	return root;
}

static void file_path(const char *root, const char *name, char *path, size_t len)
{
	snprintf(path, len, "%s/" MC_KSM_DIR "/%s", root, name);
}

static void put(const char *root, const char *name, const char *text)
{
	char rel[128];

	snprintf(rel, sizeof(rel), MC_KSM_DIR "/%s", name);
	put_file(root, rel, text);
}

static char *slurp(const char *root, const char *name)
{
	static char buf[64];
	char path[512];
	FILE *f;
	size_t n;

	file_path(root, name, path, sizeof(path));
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* A KSM directory as the kernel has it, run = 0. */
static void put_all(const char *root)
{
	int f;
	char value[16];

	for (f = 0; f < MC_KSM_NFIELDS; f++) {
		snprintf(value, sizeof(value), "%d\n", f * 10);
		put(root, mc_ksm_name((enum mc_ksm_field)f), value);
	}
}

static void reads_every_file(void **state)
{
	char *root = make_root();
	struct mc_ksm_src src = { .root = root };
	struct mc_ksm k;
	int f;

	(void)state;
	put_all(root);
	mc_ksm_read(&src, &k);
	assert_true(k.have);
	for (f = 0; f < MC_KSM_NFIELDS; f++)
		assert_int_equal(k.v[f], (uint64_t)f * 10);
	remove_tree(root);
}

static void no_ksm_is_absent_quietly(void **state)
{
	char *root = make_root(), *log = write_temp("", ".log");
	struct mc_ksm_src src = { .root = root };
	struct mc_ksm k;
	int saved = capture_begin(log);

	(void)state;
	mc_ksm_read(&src, &k);
	capture_end(saved);
	assert_false(k.have);
	assert_int_equal(count_lines(log, ""), 0);
	drop_temp(log);
	remove_tree(root);
}

static void garbled_warns_once(void **state)
{
	char *root = make_root(), *log = write_temp("", ".log");
	struct mc_ksm_src src = { .root = root };
	struct mc_ksm k;
	int saved, i;

	(void)state;
	put_all(root);
	put(root, "pages_sharing", "-3\n");
	saved = capture_begin(log);
	for (i = 0; i < 3; i++)
		mc_ksm_read(&src, &k);
	capture_end(saved);
	assert_false(k.have);
	assert_int_equal(k.v[MC_KSM_RUN], 0);
	assert_int_equal(count_lines(log, "pages_sharing: not a number"), 1);
	put(root, "pages_sharing", "12 34\n");
	mc_ksm_read(&src, &k);
	assert_false(k.have);
	put(root, "pages_sharing", "99999999999999999999999\n");
	mc_ksm_read(&src, &k);
	assert_false(k.have);
	drop_temp(log);
	remove_tree(root);
}

static void writes_one_file(void **state)
{
	char *root = make_root();
	struct mc_ksm_src src = { .root = root };

	(void)state;
	put_all(root);
	assert_int_equal(mc_ksm_write(&src, MC_KSM_PAGES_TO_SCAN, 300), 0);
	assert_string_equal(slurp(root, "pages_to_scan"), "300\n");
	assert_string_equal(slurp(root, "run"), "0\n");
	/* Not settable: refused before any I/O. */
	assert_int_equal(mc_ksm_write(&src, MC_KSM_PAGES_SHARED, 1), -1);
	assert_string_equal(slurp(root, "pages_shared"), "10\n");
	assert_int_equal(src.unwritable, 0);
	remove_tree(root);
}

/* A file that refuses (here a directory where run should be: open for
 * writing fails even for root) costs one warning; it is never tried again
 * and shows as unwritable in what is read next. */
static void refused_once_never_again(void **state)
{
	char *root = make_root(), *log = write_temp("", ".log"), path[512];
	struct mc_ksm_src src = { .root = root };
	struct mc_ksm k;
	int saved;

	(void)state;
	put_all(root);
	file_path(root, "run", path, sizeof(path));
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkdir(path, 0755), 0);
	saved = capture_begin(log);
	assert_int_equal(mc_ksm_write(&src, MC_KSM_RUN, 1), -1);
	assert_int_equal(mc_ksm_write(&src, MC_KSM_RUN, 1), -1);
	capture_end(saved);
	assert_int_equal(count_lines(log, "run"), 1);
	assert_int_equal(src.unwritable, 1u << MC_KSM_RUN);
	assert_int_equal(rmdir(path), 0);
	put(root, "run", "0\n");
	assert_int_equal(mc_ksm_write(&src, MC_KSM_RUN, 1), -1);
	assert_string_equal(slurp(root, "run"), "0\n");		/* not touched */
	mc_ksm_read(&src, &k);
	assert_true(k.have && k.unwritable == 1u << MC_KSM_RUN);
	drop_temp(log);
	remove_tree(root);
}

/* A link planted at the file is not followed (the target stays as it
 * was), nor is a missing file created. */
static void no_link_no_create(void **state)
{
	char *root = make_root(), *target = write_temp("keep\n", ".txt"), path[512];
	struct mc_ksm_src src = { .root = root };
	FILE *f;
	char buf[16] = "";

	(void)state;
	put_all(root);
	file_path(root, "sleep_millisecs", path, sizeof(path));
	assert_int_equal(unlink(path), 0);
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(mc_ksm_write(&src, MC_KSM_SLEEP_MILLISECS, 10), -1);
	f = fopen(target, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_string_equal(buf, "keep\n");
	file_path(root, "pages_to_scan", path, sizeof(path));
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mc_ksm_write(&src, MC_KSM_PAGES_TO_SCAN, 10), -1);
	assert_int_equal(access(path, F_OK), -1);
	drop_temp(target);
	remove_tree(root);
}

/* This machine's KSM (CONFIG_KSM): read only here; the daemon test in
 * tests/cli/ksm.sh writes it. */
static void reads_the_real_sysfs(void **state)
{
	struct mc_ksm_src src = { .root = MC_HOSTFS_ROOT };
	struct mc_ksm k;

	(void)state;
	if (access("/sys/kernel/mm/ksm/run", R_OK)) {
		skip();
		return;
	}
	mc_ksm_read(&src, &k);
	assert_true(k.have);
	assert_true(k.v[MC_KSM_RUN] <= 2 && k.v[MC_KSM_PAGES_TO_SCAN] > 0);
	assert_false(src.warned_read);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reads_every_file),
		cmocka_unit_test(no_ksm_is_absent_quietly),
		cmocka_unit_test(garbled_warns_once),
		cmocka_unit_test(writes_one_file),
		cmocka_unit_test(refused_once_never_again),
		cmocka_unit_test(no_link_no_create),
		cmocka_unit_test(reads_the_real_sysfs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
