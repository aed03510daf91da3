/* testoutput.h - what every output file must refuse, checked the same way
 * for each: a symlink planted at its path (its target never written) and
 * a FIFO or a device (refused at once: alarm fails a test that would
 * block).  Include after cmocka.h and testutil.h. */
#ifndef MC_TESTOUTPUT_H
#define MC_TESTOUTPUT_H

#include <stdbool.h>
#include <sys/stat.h>

#include "fileio.h"

/* Opens path as the output under test: true when it opened (and then
 * closes it again), false with err set when it refused. */
typedef bool try_open_fn(const char *path, char *err, size_t errlen);

static inline void assert_refuses_planted_link(try_open_fn *try_open)
{
	char *victim = write_temp("precious\n", ".txt"), link[96], err[256];
	char *buf;
	size_t len;

	snprintf(link, sizeof(link), "%s.out", victim);
	assert_int_equal(symlink(victim, link), 0);
	assert_false(try_open(link, err, sizeof(err)));
	assert_non_null(strstr(err, link));
	assert_non_null(strstr(err, "symbolic link"));
	assert_int_equal(mc_file_read(victim, 4096, &buf, &len, err, sizeof(err)), 0);
	assert_string_equal(buf, "precious\n");
	free(buf);
	unlink(link);
	drop_temp(victim);
}

static inline void assert_refuses_fifo_and_device(try_open_fn *try_open)
{
	char dir[] = "/tmp/mcoutput-XXXXXX", fifo[64], err[256];

	assert_non_null(mkdtemp(dir));
	snprintf(fifo, sizeof(fifo), "%s/out", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	alarm(5);
	assert_false(try_open(fifo, err, sizeof(err)));
	alarm(0);
	assert_non_null(strstr(err, "is a FIFO"));
	assert_false(try_open("/dev/null", err, sizeof(err)));
	assert_non_null(strstr(err, "/dev/null: is a character device"));
	unlink(fifo);
	rmdir(dir);
}

#endif
