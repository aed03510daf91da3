/* test_course_score.c - the course-shaped tests' numbers, one definition
 * at a time (include/course_score.h). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "course_score.h"
#include "util.h"

#define MiB MC_KIB_PER_MIB

static struct mc_cs *two_guests(void)
{
	const uint64_t max[] = { 2048 * MiB, 2048 * MiB };
	struct mc_cs *cs = mc_cs_new(2, max);

	assert_non_null(cs);
	return cs;
}

static struct mc_cs_result result(struct mc_cs *cs)
{
	struct mc_cs_result r;

	mc_cs_result(cs, &r);
	mc_cs_free(cs);
	return r;
}

/* Only a growing guest more than 100 MiB below its max counts. */
static void test_margin_while_growable(void **state)
{
	struct mc_cs *cs = two_guests();
	struct mc_cs_result r;

	(void)state;
	assert_int_equal(mc_cs_sample(cs, 0, 0, 512 * MiB, 30 * MiB, false), 0);	/* idle */
	assert_int_equal(mc_cs_sample(cs, 0, 1, 600 * MiB, 180 * MiB, true), 0);
	assert_int_equal(mc_cs_sample(cs, 0, 2, 700 * MiB, 170 * MiB, true), 0);
	assert_int_equal(mc_cs_sample(cs, 0, 3, 2000 * MiB, 20 * MiB, true), 0);	/* at max */
	r = result(cs);
	assert_true(r.margin_mib == 170);
}

static void test_no_margin_without_growth(void **state)
{
	struct mc_cs *cs = two_guests();

	(void)state;
	assert_int_equal(mc_cs_sample(cs, 0, 0, 512 * MiB, 30 * MiB, false), 0);
	assert_true(isnan(result(cs).margin_mib));
}

/* From the end of a free of >= 512 MiB until within 100 MiB of the final
 * size; smaller frees do not count. */
static void test_giveback(void **state)
{
	struct mc_cs *cs = two_guests();
	struct mc_cs_result r;
	int t;

	(void)state;
	mc_cs_freed(cs, 0, 9, 10, 1600 * MiB);
	mc_cs_freed(cs, 1, 9, 10, 300 * MiB);		/* too small: not scored */
	for (t = 9; t <= 30; t++) {
		uint64_t a = t < 12 ? 2000 : t < 15 ? 800 : t < 17 ? 390 : 300;

		assert_int_equal(mc_cs_sample(cs, 0, t, a * MiB, 100 * MiB, false), 0);
		assert_int_equal(mc_cs_sample(cs, 1, t, (t < 20 ? 2000 : 400) * MiB,
					      100 * MiB, false), 0);
	}
	r = result(cs);
	assert_true(r.giveback_s == 5);		/* 390 at t=15 is within 100 of 300 */
	assert_false(r.unsettled);
}

static void test_giveback_unsettled(void **state)
{
	struct mc_cs *cs = two_guests();
	int t;

	(void)state;
	mc_cs_freed(cs, 0, 0, 0, 1000 * MiB);
	for (t = 0; t <= 10; t++)		/* still coming down at the end */
		assert_int_equal(mc_cs_sample(cs, 0, t, (2000 - 100 * t) * MiB,
					      100 * MiB, false), 0);
	assert_true(result(cs).unsettled);
}

/* A guest that keeps what it freed never gave it back, however still it
 * sits at the end. */
static void test_giveback_never(void **state)
{
	struct mc_cs *cs = two_guests();
	struct mc_cs_result r;
	int t;

	(void)state;
	mc_cs_freed(cs, 0, 4, 5, 1600 * MiB);
	for (t = 0; t <= 30; t++)
		assert_int_equal(mc_cs_sample(cs, 0, t, 2000 * MiB,
					      (t < 5 ? 100 : 1700) * MiB, false), 0);
	r = result(cs);
	assert_true(isinf(r.giveback_s));
	assert_false(r.unsettled);
}

/* Held: each sample's unused holds until the next, summed over guests. */
static void test_held_time_average(void **state)
{
	struct mc_cs *cs = two_guests();

	(void)state;
	assert_int_equal(mc_cs_sample(cs, 0, 0, 512 * MiB, 100 * MiB, false), 0);
	assert_int_equal(mc_cs_sample(cs, 0, 1, 512 * MiB, 300 * MiB, false), 0);
	assert_int_equal(mc_cs_sample(cs, 0, 4, 512 * MiB, 0, false), 0);
	assert_int_equal(mc_cs_sample(cs, 1, 0, 512 * MiB, 50 * MiB, false), 0);
	assert_int_equal(mc_cs_sample(cs, 1, 2, 512 * MiB, 50 * MiB, false), 0);
	/* guest 0: (100 * 1 + 300 * 3) / 4 = 250; guest 1: 50 */
	assert_true(result(cs).held_mib == 300);
}

static void test_resizes_reversals_ooms(void **state)
{
	const uint64_t max[] = { 2048 * MiB, 2048 * MiB };
	struct mc_cs *cs = mc_cs_new(2, max);
	struct mc_cs_result r;

	(void)state;
	mc_cs_resize(cs, 0, 512 * MiB, 600 * MiB);
	mc_cs_resize(cs, 0, 600 * MiB, 700 * MiB);
	mc_cs_resize(cs, 0, 700 * MiB, 650 * MiB);	/* a reversal */
	mc_cs_resize(cs, 0, 650 * MiB, 650 * MiB);	/* no move: not counted */
	mc_cs_resize(cs, 0, 650 * MiB, 900 * MiB);	/* another */
	assert_int_equal(mc_cs_sample(cs, 0, 0, 900 * MiB, 10 * MiB, true), 0);
	mc_cs_oom(cs, 0);				/* before its max: counts */
	assert_int_equal(mc_cs_sample(cs, 1, 0, 2040 * MiB, 10 * MiB, true), 0);
	mc_cs_oom(cs, 1);				/* at its max: does not */
	r = result(cs);
	assert_int_equal(r.resizes, 4);
	assert_int_equal(r.reversals, 2);
	assert_int_equal(r.ooms, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_margin_while_growable),
		cmocka_unit_test(test_no_margin_without_growth),
		cmocka_unit_test(test_giveback),
		cmocka_unit_test(test_giveback_unsettled),
		cmocka_unit_test(test_giveback_never),
		cmocka_unit_test(test_held_time_average),
		cmocka_unit_test(test_resizes_reversals_ooms),
	};

	return cmocka_run_group_tests_name("course_score", tests, NULL, NULL);
}
