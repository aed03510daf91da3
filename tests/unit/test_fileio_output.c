/* test_fileio_output.c - the output helpers' own edge cases: a hard link
 * to another file is not written in place, a target that stops being a
 * regular file after the start is not replaced (and no temporary file is
 * left), and a failed append leaves no half record. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <sys/stat.h>

#include "fileio.h"
#include "testutil.h"

struct dir {
	char path[32], a[64], b[64];
};

static void make_dir(struct dir *d)
{
	strcpy(d->path, "/tmp/mcfileio-XXXXXX");
	assert_non_null(mkdtemp(d->path));
	snprintf(d->a, sizeof(d->a), "%s/a", d->path);
	snprintf(d->b, sizeof(d->b), "%s/b", d->path);
}

/* Someone links a file of theirs into the output directory under the
 * output's name: appending or truncating would write their file. */
static void hard_link_refused(void **state)
{
	struct dir d;
	char err[256];
	FILE *f;

	(void)state;
	make_dir(&d);
	f = fopen(d.a, "w");
	assert_non_null(f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(link(d.a, d.b), 0);
	assert_int_equal(mc_file_open_append(d.b, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "hard links"));
	assert_int_equal(mc_file_open_trunc(d.b, err, sizeof(err)), -1);
	assert_int_equal(mc_file_replace_check(d.b, err, sizeof(err)), 0);
	unlink(d.a);
	unlink(d.b);
	rmdir(d.path);
}

/* The target became a directory after the check: commit refuses, and the
 * temporary file goes (rmdir of the directory proves nothing is left). */
static void commit_refuses_changed_target(void **state)
{
	struct dir d;
	char err[256], *tmp;
	FILE *f;

	(void)state;
	make_dir(&d);
	assert_int_equal(mc_file_replace_check(d.a, err, sizeof(err)), 0);
	f = mc_file_replace_begin(d.a, &tmp, err, sizeof(err));
	assert_non_null(f);
	fputs("new\n", f);
	assert_int_equal(mkdir(d.a, 0700), 0);
	assert_int_equal(mc_file_replace_commit(f, tmp, d.a, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "is a directory"));
	assert_int_equal(rmdir(d.a), 0);
	assert_int_equal(rmdir(d.path), 0);
}

/* A record that does not fit is cut back off whole. */
static void failed_append_cut_back(void **state)
{
	struct dir d;
	char err[256], *buf;
	size_t len;
	int fd;

	(void)state;
	make_dir(&d);
	fd = mc_file_open_trunc(d.a, err, sizeof(err));
	assert_true(fd >= 0);
	assert_int_equal(mc_file_append_record(fd, "one\n", 4), 0);
	limit_file_size(10);
	assert_int_equal(mc_file_append_record(fd, "two-too-long\n", 13), -1);
	limit_file_size(RLIM_INFINITY);
	assert_int_equal(mc_file_append_record(fd, "three\n", 6), 0);
	assert_int_equal(close(fd), 0);
	assert_int_equal(mc_file_read(d.a, 100, &buf, &len, err, sizeof(err)), 0);
	assert_string_equal(buf, "one\nthree\n");
	free(buf);
	unlink(d.a);
	rmdir(d.path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hard_link_refused),
		cmocka_unit_test(commit_refuses_changed_target),
		cmocka_unit_test(failed_append_cut_back),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
