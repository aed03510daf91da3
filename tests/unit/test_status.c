/* test_status.c - what `memcoord status` reads from the coordinator
 * (mc_coord_health) and prints (mc_status_write): the last decision per
 * domain, kept while the domain lives and forgotten when it goes; the
 * policy's hash and failure; hostile domain names escaped in both forms. */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "coordinator.h"
#include "hypervisor.h"
#include "log.h"
#include "policy.h"
#include "status.h"
#include "testutil.h"

#define HOSTILE "x\"\n\033[31m"

/* Grows "a" and the hostile guest to 1536 MiB, on the first call only;
 * says nothing of "b". */
static const char grow_src[] =
	"function decide(domains, host, ctx)\n"
	"  if ctx.tick > 0 then return {} end\n"
	"  return { a = 1536 * 1024, ['x\"\\n\\27[31m'] = 1536 * 1024 }\n"
	"end\n";

static const char fail_src[] =
	"function decide(domains, host, ctx)\n  error('boom')\nend\n";

static void add_domain(struct mc_backend *b, const char *name)
{
	struct mc_domain *d = mc_hv_mem_domain(b, name);

	assert_non_null(d);
	d->max = 4096 * MiB;
	d->cur = (struct mc_memstats){ .actual = 1024 * MiB, .unused = 600 * MiB,
		.available = 1000 * MiB, .last_update = 1, .have_stats = true };
}

static struct mc_backend *host(void)
{
	char err[512];
	struct mc_backend *b = mc_hv_mem_open(err, sizeof(err));

	assert_non_null(b);
	add_domain(b, "a");
	add_domain(b, "b");
	add_domain(b, HOSTILE);
	mc_hv_mem_host(b)->total = 16384 * MiB;
	mc_hv_mem_host(b)->free = 8192 * MiB;
	return b;
}

static uint64_t fnv1a64(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

static const struct mc_coord_decision *decision(const struct mc_coord_health *h,
						const char *name)
{
	size_t i;

	for (i = 0; i < h->nlast; i++)
		if (!strcmp(h->last[i].name, name))
			return &h->last[i];
	return NULL;
}

static char *status_text(const struct mc_config *cfg, const struct mc_coord *c, bool json)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	mc_status_write(f, cfg, c, json);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static struct mc_coord *coord(struct mc_config *cfg, struct mc_backend *b,
			      const char *path)
{
	char err[512];
	struct mc_policy *p = mc_policy_load(path, NULL, 0, err, sizeof(err));

	if (!p)
		fail_msg("%s", err);
	return mc_coord_new(cfg, b, p, NULL);
}

static void test_last_decision_kept_then_forgotten(void **state)
{
	struct mc_config cfg = { .period = 1, .sample = 1, .uri = "mem" };
	struct mc_backend *b = host();
	char *path = write_temp(grow_src, ".lua");
	struct mc_coord *c = coord(&cfg, b, path);
	struct mc_coord_health h;
	const struct mc_coord_decision *d;

	(void)state;
	assert_int_equal(mc_coord_sample(c), 0);
	mc_coord_health(c, &h);
	assert_int_equal(h.policy_hash, fnv1a64(grow_src));
	assert_string_equal(h.policy_error, "");
	assert_int_equal(h.policy_failing_since, 0);
	assert_false(h.backend_failing);
	assert_int_not_equal(h.last_sample, 0);
	assert_int_equal(h.nlast, 2);		/* "b" was not proposed */
	assert_null(decision(&h, "b"));
	d = decision(&h, "a");
	assert_non_null(d);
	assert_int_equal(d->from, 1024 * MiB);
	assert_int_equal(d->target, 1536 * MiB);
	assert_true(d->act);
	assert_int_not_equal(d->when, 0);
	/* Next period the policy proposes nothing: the decision for "a" is
	 * kept; the hostile guest shuts down and its decision is forgotten. */
	mc_hv_mem_remove(b, HOSTILE);
	mc_hv_mem_set_time(b, 2);
	assert_int_equal(mc_coord_sample(c), 0);
	mc_coord_health(c, &h);
	assert_int_equal(h.nlast, 1);
	assert_non_null(decision(&h, "a"));
	mc_coord_free(c);
	b->ops->close(b);
	drop_temp(path);
}

static void test_hostile_names_escaped(void **state)
{
	struct mc_config cfg = { .period = 1, .sample = 1, .uri = "mem" };
	struct mc_backend *b = host();
	char *path = write_temp(grow_src, ".lua");
	struct mc_coord *c = coord(&cfg, b, path);
	char *json, *table;

	(void)state;
	assert_int_equal(mc_coord_sample(c), 0);
	json = status_text(&cfg, c, true);
	table = status_text(&cfg, c, false);
	assert_non_null(strstr(json, "\"name\":\"x\\\"\\n\\u001b[31m\""));
	assert_non_null(strstr(json, "\"target_kib\":1572864"));
	assert_null(strchr(json, '\033'));
	assert_int_equal(strchr(json, '\n') - json, (long)strlen(json) - 1);	/* one line */
	assert_non_null(strstr(table, "x\"\\n\\x1b[31m"));
	assert_null(strchr(table, '\033'));
	assert_non_null(strstr(table, "\na                    "));
	free(json);
	free(table);
	mc_coord_free(c);
	b->ops->close(b);
	drop_temp(path);
}

static void test_failing_policy_shown(void **state)
{
	struct mc_config cfg = { .period = 1, .sample = 1, .uri = "mem" };
	struct mc_backend *b = host();
	char *path = write_temp(fail_src, ".lua");
	struct mc_coord *c = coord(&cfg, b, path);
	struct mc_coord_health h;
	char *json;

	(void)state;
	assert_int_equal(mc_coord_sample(c), 0);
	mc_coord_health(c, &h);
	assert_non_null(strstr(h.policy_error, "boom"));
	assert_int_not_equal(h.policy_failing_since, 0);
	json = status_text(&cfg, c, true);
	assert_non_null(strstr(json, "\"state\":\"failing\""));
	free(json);
	mc_coord_free(c);
	b->ops->close(b);
	drop_temp(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_last_decision_kept_then_forgotten),
		cmocka_unit_test(test_hostile_names_escaped),
		cmocka_unit_test(test_failing_policy_shown),
	};

	mc_log_set_level(MC_LOG_ERROR);
	return cmocka_run_group_tests_name("status", tests, NULL, NULL);
}
