/* test_report.c - the console table and the CSV trace, row by row; the
 * trace is never written through a planted link or into a FIFO (which
 * would block start-up), and a full disk is logged once, recovered from
 * (and said so), without leaving half a row.  A restart appends, a
 * copytruncate leaves no hole, and a re-open follows a rename. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "clamp.h"
#include "fileio.h"
#include "hypervisor.h"
#include "report.h"
#include "snapshot.h"
#include "testutil.h"
#include "testoutput.h"

static const char header[] =
	"time,unix_time,domain,actual_kib,unused_kib,target_kib,clamp,reason,"
	"host_available_kib,psi_some_avg10,psi_full_avg10,"
	"machine_psi_some_avg10,machine_psi_full_avg10,"
	"ksm_run,ksm_pages_shared,ksm_pages_sharing,ksm_full_scans,"
	"ksm_pages_to_scan,ksm_sleep_millisecs\n";

/* A snapshot of n domains at time t, from the in-memory backend. */
static void fill(struct mc_snapshot *s, int n, double t)
{
	char name[32], err[64];
	struct mc_backend *b = mc_hv_mem_open(err, sizeof(err));
	int i;

	assert_non_null(b);
	for (i = 0; i < n; i++) {
		struct mc_domain *d;

		snprintf(name, sizeof(name), "vm%02d", i);
		d = mc_hv_mem_domain(b, name);
		assert_non_null(d);
		d->max = 2097152;
		d->cur.actual = 1048576;
		d->cur.unused = 524288;
		d->cur.available = 1048576;
		d->cur.have_stats = true;
	}
	mc_hv_mem_set_time(b, t);
	mc_snapshot_clear(s);
	assert_int_equal(b->ops->collect(b, s), 0);
	b->ops->close(b);
}

/* Every line of the trace is a whole row of 19 fields, after the header. */
static int whole_rows(const char *path)
{
	char *buf, *line, *save = NULL, err[256];
	size_t len;
	int rows = 0;

	assert_int_equal(mc_file_read(path, 1 << 20, &buf, &len, err, sizeof(err)), 0);
	assert_true(len > 0 && buf[len - 1] == '\n');
	assert_memory_equal(buf, header, sizeof(header) - 1);
	for (line = strtok_r(buf + sizeof(header) - 1, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save), rows++) {
		const char *c;
		int commas = 0;

		for (c = line; *c; c++)
			commas += *c == ',';
		if (commas != 18 || strncmp(strchr(strchr(line, ',') + 1, ',') + 1, "vm", 2))
			fail_msg("half a row: '%s'", line);
	}
	free(buf);
	return rows;
}

static bool try_trace(const char *path, char *err, size_t errlen)
{
	struct mc_report *r = mc_report_open(NULL, path, true, err, errlen);

	mc_report_close(r);
	return r != NULL;
}

static void links_fifos_devices_refused(void **state)
{
	(void)state;
	assert_refuses_planted_link(try_trace);
	assert_refuses_fifo_and_device(try_trace);
}

/* A full disk (a file size limit here): logged once, not per sample; the
 * first sample that fits again says so; no half row stays. */
static void full_disk_logged_once_and_recovered(void **state)
{
	char *path = write_temp("", ".csv"), *log = write_temp("", ".log");
	char err[256];
	struct mc_report *r = mc_report_open(NULL, path, true, err, sizeof(err));
	struct mc_snapshot s;
	int saved, i;

	(void)state;
	assert_non_null(r);
	mc_snapshot_init(&s);
	saved = capture_begin(log);
	limit_file_size(1500);
	for (i = 0; i < 20; i++) {	/* 3 rows, ~100 bytes a sample */
		fill(&s, 3, i);
		mc_report_sample(r, &s, NULL, "period", false);
	}
	limit_file_size(RLIM_INFINITY);
	fill(&s, 3, 20);
	mc_report_sample(r, &s, NULL, "period", false);
	capture_end(saved);
	mc_report_close(r);
	mc_snapshot_free(&s);
	assert_int_equal(count_lines(log, "trace: cannot write"), 1);
	assert_int_equal(count_lines(log, "trace: writing"), 1);
	i = whole_rows(path);
	assert_true(i % 3 == 0 && i > 3 && i < 60);
	drop_temp(log);
	drop_temp(path);
}

/* No room even for the header at start-up: it comes first once there is. */
static void header_written_late(void **state)
{
	char *path = write_temp("", ".csv"), *log = write_temp("", ".log");
	char err[256];
	struct mc_report *r;
	struct mc_snapshot s;
	int saved;

	(void)state;
	mc_snapshot_init(&s);
	saved = capture_begin(log);
	limit_file_size(10);
	r = mc_report_open(NULL, path, true, err, sizeof(err));
	limit_file_size(RLIM_INFINITY);
	assert_non_null(r);
	fill(&s, 2, 0);
	mc_report_sample(r, &s, NULL, "period", false);
	capture_end(saved);
	mc_report_close(r);
	mc_snapshot_free(&s);
	assert_int_equal(whole_rows(path), 2);
	/* (The warning itself hit the same limit: the log is a file here.) */
	assert_int_equal(count_lines(log, "trace: writing"), 1);
	drop_temp(log);
	drop_temp(path);
}

/* A long name with stats, decided up by the max and step rules; b without
 * stats, decided but not acted on; c not decided at all. */
static void three_domains(struct mc_snapshot *s, double t)
{
	mc_snapshot_clear(s);
	/* added first, written after: an add may move the array */
	assert_non_null(mc_snapshot_add(s, "alpha-domain-with-a-long-name"));
	assert_non_null(mc_snapshot_add(s, "b"));
	assert_non_null(mc_snapshot_add(s, "c"));
	s->doms[0].cur.actual = 1024 * 1024;
	s->doms[0].cur.unused = 512 * 1024;
	s->doms[0].cur.have_stats = true;
	s->doms[1].cur.actual = 768 * 1024;
	s->doms[2].cur.actual = 256 * 1024;
	s->host = (struct mc_host){ .total = 8192 * 1024, .free = 4096 * 1024,
				    .reserve = 512 * 1024, .growable = 3584 * 1024 };
	s->time = t;
	s->wall = 1700000000.0 + t;
}

static struct mc_decision decided[] = {
	{ .dom = 0, .from = 1024 * 1024, .target = 1536 * 1024,
	  .rules = MC_CLAMP_MAX | MC_CLAMP_STEP, .act = true },
	{ .dom = 1, .from = 768 * 1024, .target = 768 * 1024,
	  .rules = MC_CLAMP_NOSTATS },
};

static char *read_all(const char *path)
{
	char *buf, err[256];
	size_t len;

	assert_int_equal(mc_file_read(path, 1 << 20, &buf, &len, err, sizeof(err)), 0);
	return buf;
}

/* A sample without a decision is a trace row per domain ("sample", no
 * target) and nothing on the console; one with decisions prints the
 * table.  Times count from the first sample. */
static void table_and_trace_rows(void **state)
{
	struct mc_clamp_result res = { .dec = decided, .ndec = 2, .nact = 1 };
	char *path = write_temp("", ".csv"), *table = NULL, *trace, err[256];
	size_t len;
	FILE *out = open_memstream(&table, &len);
	struct mc_report *r = mc_report_open(out, path, true, err, sizeof(err));
	struct mc_snapshot s;

	(void)state;
	assert_non_null(r);
	mc_snapshot_init(&s);
	three_domains(&s, 100.0);
	mc_report_sample(r, &s, NULL, "period", false);
	three_domains(&s, 101.5);
	s.host.pressure = (struct mc_host_pressure){ .have_available = true,
		.available = 2048 * 1024, .psi = { .have = true, .some = { 1.25, 0.5 } } };
	s.host.ksm = (struct mc_ksm){ .have = true, .v = { 1, 2, 3, 4, 5, 6 } };
	mc_report_sample(r, &s, &res, "pressure", true);
	mc_report_close(r);
	mc_snapshot_free(&s);
	assert_int_equal(fclose(out), 0);
	assert_string_equal(table,
		"--- t=1.5s  pressure  (dry run)\n"
		"domain                   actual     unused     target    change  clamp\n"
		"alpha-domain-with-a-     1024.0      512.0     1536.0    +512.0  max+step\n"
		"b                         768.0          -      768.0            no-stats\n"
		"c                         256.0          -          -\n"
		"host: total 8192.0  free 4096.0  reserve 512.0  growable 3584.0  (MiB)\n"
		"host pressure: available 2048.0 MiB  psi some 1.25/0.50 full 0.00/0.00"
		"  machine psi -  (% avg10/avg60)\n"
		"host ksm: run 1  pages_shared 2  pages_sharing 3  full_scans 4"
		"  pages_to_scan 5  sleep_millisecs 6\n");
	trace = read_all(path);
	assert_string_equal(trace,
		"time,unix_time,domain,actual_kib,unused_kib,target_kib,clamp,reason,"
		"host_available_kib,psi_some_avg10,psi_full_avg10,"
		"machine_psi_some_avg10,machine_psi_full_avg10,"
		"ksm_run,ksm_pages_shared,ksm_pages_sharing,ksm_full_scans,"
		"ksm_pages_to_scan,ksm_sleep_millisecs\n"
		"0.000,1700000100.000,alpha-domain-with-a-long-name,1048576,524288,,,sample,,,,,,,,,,,\n"
		"0.000,1700000100.000,b,786432,,,,sample,,,,,,,,,,,\n"
		"0.000,1700000100.000,c,262144,,,,sample,,,,,,,,,,,\n"
		"1.500,1700000101.500,alpha-domain-with-a-long-name,1048576,524288,1572864,max+step,pressure,2097152,1.25,0.00,,,1,2,3,4,5,6\n"
		"1.500,1700000101.500,b,786432,,786432,no-stats,pressure,2097152,1.25,0.00,,,1,2,3,4,5,6\n"
		"1.500,1700000101.500,c,262144,,,,pressure,2097152,1.25,0.00,,,1,2,3,4,5,6\n");
	free(trace);
	free(table);
	drop_temp(path);
}

/* Names (and a failed decide()'s message) are hostile: RFC 4180 quotes
 * a comma or a quote, and the one escaper (utf8.h) turns line breaks,
 * terminal escapes and bytes that are not UTF-8 into text, so every row
 * is one line of valid UTF-8. */
static void hostile_text_quoted_and_escaped(void **state)
{
	static const char *const names[] = {
		"a,\"b", "line\nbreak\r", "red\x1b[31m", "bad\xff,utf8", "plain",
	};
	struct mc_clamp_result failed = { .ndec = 0 };	/* decide() failed */
	char *path = write_temp("", ".csv"), *trace, err[256];
	struct mc_report *r = mc_report_open(NULL, path, false, err, sizeof(err));
	struct mc_snapshot s;
	size_t i;

	(void)state;
	assert_non_null(r);
	mc_snapshot_init(&s);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct mc_domain *d = mc_snapshot_add(&s, names[i]);

		assert_non_null(d);
		d->cur.actual = 1024;
	}
	s.wall = 1.0;
	mc_report_sample(r, &s, &failed, "p.lua:3: no, \"really\"", false);
	mc_report_close(r);
	mc_snapshot_free(&s);
	trace = read_all(path);
	assert_string_equal(trace + sizeof(header) - 1,
		"0.000,1.000,\"a,\"\"b\",1024,,,,\"p.lua:3: no, \"\"really\"\"\",,,,,,,,,,,\n"
		"0.000,1.000,line\\nbreak\\r,1024,,,,\"p.lua:3: no, \"\"really\"\"\",,,,,,,,,,,\n"
		"0.000,1.000,red\\x1b[31m,1024,,,,\"p.lua:3: no, \"\"really\"\"\",,,,,,,,,,,\n"
		"0.000,1.000,\"bad\\xff,utf8\",1024,,,,\"p.lua:3: no, \"\"really\"\"\",,,,,,,,,,,\n"
		"0.000,1.000,plain,1024,,,,\"p.lua:3: no, \"\"really\"\"\",,,,,,,,,,,\n");
	free(trace);
	drop_temp(path);
}

/* The number of times needle occurs in path's text (which must hold no
 * NUL byte: a hole left by writing past a truncated end). */
static int occurrences(const char *path, const char *needle)
{
	char *buf, *p, err[256];
	size_t len;
	int n = 0;

	assert_int_equal(mc_file_read(path, 1 << 20, &buf, &len, err, sizeof(err)), 0);
	assert_int_equal(strlen(buf), len);
	for (p = buf; (p = strstr(p, needle)); p++)
		n++;
	free(buf);
	return n;
}

/* One sample of two domains at time t into a fresh report on path. */
static void one_run(const char *path, bool append, double t)
{
	char err[256];
	struct mc_report *r = mc_report_open(NULL, path, append, err, sizeof(err));
	struct mc_snapshot s;

	assert_non_null(r);
	mc_snapshot_init(&s);
	fill(&s, 2, t);
	mc_report_sample(r, &s, NULL, "period", false);
	mc_report_close(r);
	mc_snapshot_free(&s);
}

/* A restart appends (one header, both runs' rows); a new simulation run
 * starts the file again. */
static void restart_appends_new_run_truncates(void **state)
{
	char *path = write_temp("", ".csv");

	(void)state;
	one_run(path, true, 0);
	one_run(path, true, 5);
	assert_int_equal(whole_rows(path), 4);
	assert_int_equal(occurrences(path, "time,unix_time,domain"), 1);
	one_run(path, false, 0);
	assert_int_equal(whole_rows(path), 2);
	drop_temp(path);
}

static void one_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* A trace an older version wrote (no unix_time column) is not appended
 * to: it moves to PATH.old, a new trace starts.  With PATH.old taken, it
 * moves to PATH.old.1. */
static void other_columns_moved_aside(void **state)
{
	static const char old_rows[] =
		"time,domain,actual_kib,unused_kib,target_kib,clamp,reason\n"
		"0.000,vm00,1048576,524288,,,period\n";
	char *path = write_temp(old_rows, ".csv"), *log = write_temp("", ".log");
	char old[256], old1[256], *text, err[256];
	struct mc_report *r;
	int saved;

	(void)state;
	snprintf(old, sizeof(old), "%s.old", path);
	saved = capture_begin(log);
	one_run(path, true, 0);
	capture_end(saved);
	assert_int_equal(count_lines(log, "has other columns"), 1);
	assert_int_equal(whole_rows(path), 2);
	text = read_all(old);
	assert_string_equal(text, old_rows);
	free(text);
	/* again, with PATH.old there: it goes to PATH.old.1 */
	assert_int_equal(truncate(path, 0), 0);
	one_file(path, old_rows);
	r = mc_report_open(NULL, path, true, err, sizeof(err));
	assert_non_null(r);
	mc_report_close(r);
	text = read_all(old);
	assert_string_equal(text, old_rows);
	free(text);
	snprintf(old1, sizeof(old1), "%s.old.1", path);
	text = read_all(old1);
	assert_string_equal(text, old_rows);
	free(text);
	assert_int_equal(unlink(old1), 0);
	assert_int_equal(unlink(old), 0);
	drop_temp(log);
	drop_temp(path);
}

static void sample_into(struct mc_report *r, double t)
{
	struct mc_snapshot s;

	mc_snapshot_init(&s);
	fill(&s, 2, t);
	mc_report_sample(r, &s, NULL, "period", false);
	mc_snapshot_free(&s);
}

/* logrotate's copytruncate empties the file under the open descriptor:
 * the next rows land at the new end, after a new header, with no NULs. */
static void copytruncate_leaves_no_hole(void **state)
{
	char *path = write_temp("", ".csv"), err[256];
	struct mc_report *r = mc_report_open(NULL, path, true, err, sizeof(err));

	(void)state;
	assert_non_null(r);
	sample_into(r, 0);
	sample_into(r, 1);
	assert_int_equal(truncate(path, 0), 0);
	sample_into(r, 2);
	mc_report_close(r);
	assert_int_equal(whole_rows(path), 2);
	assert_int_equal(occurrences(path, "time,unix_time,domain"), 1);
	drop_temp(path);
}

/* logrotate's create mode renames the file; SIGHUP re-opens the path: a
 * new file with its header.  A path that cannot be opened keeps the old
 * file in use, with a warning. */
static void reopen_follows_rename(void **state)
{
	char *path = write_temp("", ".csv"), *log = write_temp("", ".log");
	char old[256], err[256];
	struct mc_report *r = mc_report_open(NULL, path, true, err, sizeof(err));
	int saved, rc;

	(void)state;
	assert_non_null(r);
	snprintf(old, sizeof(old), "%s.1", path);
	sample_into(r, 0);
	assert_int_equal(rename(path, old), 0);
	assert_int_equal(mc_report_reopen(r), 0);
	sample_into(r, 1);
	assert_int_equal(whole_rows(path), 2);
	assert_int_equal(whole_rows(old), 2);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkdir(path, 0700), 0);	/* cannot be opened */
	saved = capture_begin(log);
	rc = mc_report_reopen(r);
	capture_end(saved);
	assert_int_equal(rc, -1);
	assert_int_equal(count_lines(log, "trace: cannot re-open"), 1);
	sample_into(r, 2);	/* still the renamed file's descriptor: gone */
	mc_report_close(r);
	assert_int_equal(rmdir(path), 0);
	assert_int_equal(unlink(old), 0);
	assert_int_equal(mc_report_reopen(NULL), 0);
	drop_temp(log);
	free(path);
}

/* changes_only: the first decision's table, then only decisions that
 * resize; a steady state (nact 0) prints nothing. */
static void table_changes_only(void **state)
{
	struct mc_clamp_result moves = { .dec = decided, .ndec = 2, .nact = 1 };
	struct mc_clamp_result steady = { .dec = decided + 1, .ndec = 1, .nact = 0 };
	char *table = NULL, err[256];
	size_t len;
	FILE *out = open_memstream(&table, &len);
	struct mc_report *r = mc_report_open(out, NULL, false, err, sizeof(err));
	struct mc_snapshot s;

	(void)state;
	assert_non_null(r);
	mc_report_table_changes_only(r, true);
	mc_snapshot_init(&s);
	three_domains(&s, 100.0);
	mc_report_sample(r, &s, &steady, "period", false);	/* first: shown */
	three_domains(&s, 101.0);
	mc_report_sample(r, &s, &steady, "period", false);	/* steady: not */
	three_domains(&s, 102.0);
	mc_report_sample(r, &s, &moves, "pressure", false);	/* moves: shown */
	three_domains(&s, 103.0);
	mc_report_sample(r, &s, &steady, "period", false);	/* steady: not */
	mc_report_close(r);
	mc_snapshot_free(&s);
	assert_int_equal(fclose(out), 0);
	assert_non_null(strstr(table, "--- t=0.0s  period\n"));
	assert_non_null(strstr(table, "--- t=2.0s  pressure\n"));
	assert_null(strstr(table, "t=1.0s"));
	assert_null(strstr(table, "t=3.0s"));
	free(table);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(links_fifos_devices_refused),
		cmocka_unit_test(full_disk_logged_once_and_recovered),
		cmocka_unit_test(header_written_late),
		cmocka_unit_test(table_and_trace_rows),
		cmocka_unit_test(hostile_text_quoted_and_escaped),
		cmocka_unit_test(restart_appends_new_run_truncates),
		cmocka_unit_test(other_columns_moved_aside),
		cmocka_unit_test(copytruncate_leaves_no_hole),
		cmocka_unit_test(reopen_follows_rename),
		cmocka_unit_test(table_changes_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
