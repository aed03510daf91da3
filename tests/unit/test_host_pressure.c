/* test_host_pressure.c - MemAvailable and memory PSI: the parsers take
 * exactly what the kernel writes; under a temporary root a missing file is
 * an absent value without a word, a garbled one an absent value with one
 * warning (not one per sample); the machine slice's file is found where
 * libvirt puts it; and this machine's real /proc reads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "host_pressure.h"
#include "hostfs.h"
#include "testutil.h"

static const char psi_text[] =
	"some avg10=1.25 avg60=0.50 avg300=0.10 total=123456\n"
	"full avg10=0.75 avg60=0.25 avg300=0.00 total=6543\n";

static void parses_psi(void **state)
{
	struct mc_psi p;

	(void)state;
	assert_int_equal(mc_host_pressure_parse_psi(psi_text, &p), 0);
	assert_true(p.have);
	assert_true(p.some.avg10 == 1.25 && p.some.avg60 == 0.50);
	assert_true(p.full.avg10 == 0.75 && p.full.avg60 == 0.25);
}

/* Anything else is not PSI: nothing of it is kept. */
static void refuses_garbled_psi(void **state)
{
	static const char *const bad[] = {
		"",
		"some avg10=1.00 avg60=0.50 avg300=0.10 total=1\n",	/* no full */
		"full avg10=0.75 avg60=0.25 avg300=0.00 total=1\n"
		"some avg10=1.00 avg60=0.50 avg300=0.10 total=1\n",	/* swapped */
		"some avg10=nan avg60=0.50 avg300=0.10 total=1\n"
		"full avg10=0.75 avg60=0.25 avg300=0.00 total=1\n",
		"some avg10=101 avg60=0.50 avg300=0.10 total=1\n"
		"full avg10=0.75 avg60=0.25 avg300=0.00 total=1\n",
		"some avg10=-1 avg60=0.50 avg300=0.10 total=1\n"
		"full avg10=0.75 avg60=0.25 avg300=0.00 total=1\n",
		"some avg10=1.00 avg60=0.50 avg300=0.10 total=1 junk\n"
		"full avg10=0.75 avg60=0.25 avg300=0.00 total=1\n",
		"some avg10=1.00 avg60=0.50 avg300=0.10 total=1\n"
		"full avg10=0.75 avg60=0.25 avg300=0.00 total=1\n"
		"more\n",
		"some avg10=1.00 avg60=0.50 avg300=0.10 total=1\n"
		"full avg10=0.75 avg60=0.25 avg300=0.00 total=1",	/* cut */
	};
	struct mc_psi p;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(mc_host_pressure_parse_psi(bad[i], &p), -1);
		assert_false(p.have);
		assert_true(p.some.avg10 == 0 && p.full.avg60 == 0);
	}
}

static void parses_available(void **state)
{
	uint64_t kib;

	(void)state;
	assert_int_equal(mc_host_pressure_parse_available(
		"MemTotal:       32768 kB\nMemFree:  1 kB\nMemAvailable:   24273676 kB\nBuffers: 2 kB\n",
		&kib), 0);
	assert_int_equal(kib, 24273676);
	assert_int_equal(mc_host_pressure_parse_available("MemTotal: 1 kB\n", &kib), 1);
	assert_int_equal(mc_host_pressure_parse_available("MemAvailable: -5 kB\n", &kib), -1);
	assert_int_equal(mc_host_pressure_parse_available("MemAvailable: 5 MB\n", &kib), -1);
	assert_int_equal(mc_host_pressure_parse_available("MemAvailable: lots\n", &kib), -1);
	assert_int_equal(mc_host_pressure_parse_available(
		"MemAvailable: 99999999999999999999999 kB\n", &kib), -1);
}

/* ---- a fake host root ---- */

static void reads_a_root(void **state)
{
	char *root = temp_tree();
	struct mc_host_pressure_src src = { .root = root };
	struct mc_host_pressure p;

	(void)state;
	put_file(root, "proc/meminfo", "MemTotal: 100 kB\nMemAvailable: 4096 kB\n");
	put_file(root, "proc/pressure/memory", psi_text);
	put_file(root, "sys/fs/cgroup/unified/machine/memory.pressure",
	    "some avg10=9.00 avg60=8.00 avg300=7.00 total=1\n"
	    "full avg10=6.00 avg60=5.00 avg300=4.00 total=1\n");
	mc_host_pressure_read(&src, &p);
	assert_true(p.have_available && p.available == 4096);
	assert_true(p.psi.have && p.psi.some.avg10 == 1.25);
	assert_true(p.machine_psi.have && p.machine_psi.full.avg60 == 5.00);
	/* machine.slice (systemd) comes before libvirt's own machine. */
	put_file(root, "sys/fs/cgroup/machine.slice/memory.pressure", psi_text);
	mc_host_pressure_read(&src, &p);
	assert_true(p.machine_psi.have && p.machine_psi.full.avg60 == 0.25);
	assert_int_equal(src.warned, 0);
	remove_tree(root);
}

/* Old kernels and containers: nothing there, nothing said. */
static void missing_files_are_absent_quietly(void **state)
{
	char *root = temp_tree(), *log = write_temp("", ".log");
	struct mc_host_pressure_src src = { .root = root };
	struct mc_host_pressure p;
	int saved = capture_begin(log);

	(void)state;
	mc_host_pressure_read(&src, &p);
	capture_end(saved);
	assert_false(p.have_available || p.psi.have || p.machine_psi.have);
	assert_int_equal(count_lines(log, ""), 0);
	drop_temp(log);
	remove_tree(root);
}

/* Garbled: absent, and one warning per file however many samples; said
 * again only after the file read well in between. */
static void garbled_files_warn_once(void **state)
{
	char *root = temp_tree(), *log = write_temp("", ".log");
	struct mc_host_pressure_src src = { .root = root };
	struct mc_host_pressure p;
	int saved, i;

	(void)state;
	put_file(root, "proc/meminfo", "MemAvailable: many kB\n");
	put_file(root, "proc/pressure/memory", "some avg10=x\n");
	saved = capture_begin(log);
	for (i = 0; i < 3; i++)
		mc_host_pressure_read(&src, &p);
	capture_end(saved);
	assert_false(p.have_available || p.psi.have);
	assert_int_equal(count_lines(log, "proc/meminfo"), 1);
	assert_int_equal(count_lines(log, "proc/pressure/memory"), 1);
	put_file(root, "proc/pressure/memory", psi_text);
	mc_host_pressure_read(&src, &p);
	assert_true(p.psi.have);
	put_file(root, "proc/pressure/memory", "garbage\n");
	saved = capture_begin(log);
	mc_host_pressure_read(&src, &p);
	capture_end(saved);
	assert_int_equal(count_lines(log, "proc/pressure/memory"), 1);
	drop_temp(log);
	remove_tree(root);
}

/* This machine's own files: it has MemAvailable and PSI (kernel >= 4.20,
 * CONFIG_PSI); a host without them skips rather than fails. */
static void reads_the_real_proc(void **state)
{
	struct mc_host_pressure_src src = { .root = MC_HOSTFS_ROOT };
	struct mc_host_pressure p;

	(void)state;
	if (access("/proc/pressure/memory", R_OK)) {
		skip();
		return;
	}
	mc_host_pressure_read(&src, &p);
	assert_true(p.have_available && p.available > 0);
	assert_true(p.psi.have);
	assert_int_equal(src.warned, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parses_psi),
		cmocka_unit_test(refuses_garbled_psi),
		cmocka_unit_test(parses_available),
		cmocka_unit_test(reads_a_root),
		cmocka_unit_test(missing_files_are_absent_quietly),
		cmocka_unit_test(garbled_files_warn_once),
		cmocka_unit_test(reads_the_real_proc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
