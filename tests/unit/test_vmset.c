/* test_vmset.c - the settings a domain carries (issue 13 item 6): the
 * metadata element parsed as hostile XML, every bad value refused whole,
 * which source wins, and the balloon's deflate-on-oom (item 4). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "coordinator.h"
#include "domxml.h"
#include "hypervisor.h"
#include "log.h"
#include "policy.h"
#include "testutil.h"
#include "vmset.h"

static void test_settings_parsed(void **state)
{
	struct mc_vmset s;
	char err[256] = "";

	(void)state;
	assert_int_equal(mc_domxml_settings("<settings min_mib=\"512\" max_mib='4096' "
					    "weight=\"2.5\" exclude=\"no\"/>",
					    &s, err, sizeof(err)), 0);
	assert_true(s.has_min_mib && s.min_mib == 512);
	assert_true(s.has_max_mib && s.max_mib == 4096);
	assert_true(s.has_weight && s.weight == 2.5);
	assert_true(s.has_exclude && !s.exclude);
	/* An element with no attributes sets nothing; so does an empty one. */
	assert_int_equal(mc_domxml_settings("<settings/>", &s, err, sizeof(err)), 0);
	assert_false(s.has_min_mib || s.has_max_mib || s.has_weight || s.has_exclude);
	/* As libvirt hands it back (no prefix), and as stored (with one). */
	assert_int_equal(mc_domxml_settings("<m:settings xmlns:m=\"" MC_DOMXML_NS
					    "\" exclude=\"yes\"/>", &s, err, sizeof(err)), 0);
	assert_true(s.has_exclude && s.exclude);
}

/* Each bad element: refused, nothing set, and err says why. */
static void test_bad_settings_refused(void **state)
{
	static const struct {
		const char *xml, *why;
	} cases[] = {
		{ "<settings min_mib=\"lots\"/>", "min_mib: 'lots' is not a size in MiB" },
		{ "<settings min_mib=\"-1\"/>", "min_mib: '-1' is not a size" },
		{ "<settings max_mib=\"0\"/>", "max_mib: '0' is not a size in MiB (1.." },
		{ "<settings max_mib=\"99999999999999999999\"/>", "max_mib: '9999" },
		{ "<settings max_mib=\"1048577\"/>", "is not a size in MiB (1..1048576)" },
		{ "<settings min_mib=\"1e3\"/>", "min_mib: '1e3'" },
		{ "<settings weight=\"nan\"/>", "weight: 'nan' is not a weight" },
		{ "<settings weight=\"-2\"/>", "weight: '-2' is not a weight" },
		{ "<settings exclude=\"maybe\"/>", "exclude: 'maybe' is not yes or no" },
		{ "<settings min_mib=\"900\" max_mib=\"800\"/>", "min_mib 900 is above max_mib 800" },
		{ "<settings min_mb=\"512\"/>", "unknown attribute min_mb" },
		{ "<settings x:min_mib=\"5\" xmlns:x=\"urn:x\"/>", "no namespace prefix" },
		{ "<settings><settings/></settings>", "takes no child elements" },
		{ "<limits min_mib=\"5\"/>", "element <limits>" },
		{ "<settings min_mib=\"5\"", "not well-formed" },
		{ "not xml at all", "not well-formed" },
		{ "", "not well-formed" },
		{ "<!DOCTYPE settings [<!ENTITY a \"512\">]><settings min_mib=\"&a;\"/>",
		  "a DTD is not allowed" },
		{ "<!DOCTYPE s SYSTEM \"file:///etc/passwd\"><settings/>", "a DTD is not allowed" },
		/* Hostile text in a value: quoted, cut short (the logger escapes). */
		{ "<settings weight=\"1&#10;memcoord: error: forged\"/>", "weight: '1\nmemcoord" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mc_vmset s;
		char err[256] = "";

		memset(&s, 0xff, sizeof(s));
		assert_int_equal(mc_domxml_settings(cases[i].xml, &s, err, sizeof(err)), -1);
		if (!strstr(err, cases[i].why))
			fail_msg("case %zu: '%s' lacks '%s'", i, err, cases[i].why);
		assert_false(s.has_min_mib || s.has_max_mib || s.has_weight || s.has_exclude);
	}
}

/* A value is quoted at most 40 bytes long; an element past the limit is
 * refused before it is parsed. */
static void test_long_settings_refused(void **state)
{
	char *xml = malloc(MC_DOMXML_SETTINGS_MAX + 64), err[256] = "";
	struct mc_vmset s;

	(void)state;
	assert_non_null(xml);
	strcpy(xml, "<settings weight=\"");
	memset(xml + 18, '7', 300);
	strcpy(xml + 318, "\"/>");
	assert_int_equal(mc_domxml_settings(xml, &s, err, sizeof(err)), -1);
	assert_true(strlen(err) < 120);
	memset(xml + 18, '7', MC_DOMXML_SETTINGS_MAX);
	strcpy(xml + 18 + MC_DOMXML_SETTINGS_MAX, "\"/>");
	assert_int_equal(mc_domxml_settings(xml, &s, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "longer than 4096 bytes"));
	free(xml);
}

/* Billion laughs: refused for its DTD, in no time and no memory. */
static void test_entity_bomb_refused(void **state)
{
	static const char bomb[] =
		"<?xml version=\"1.0\"?><!DOCTYPE d [<!ENTITY a \"aaaaaaaaaa\">"
		"<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">"
		"<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">"
		"<!ENTITY e \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\">]>"
		"<domain><devices><memballoon model=\"virtio\" autodeflate=\"&e;\"/></devices></domain>";
	char err[128];
	struct mc_vmset s;

	(void)state;
	assert_int_equal(mc_domxml_balloon(bomb), MC_DOMXML_BALLOON_UNREADABLE);
	assert_int_equal(mc_domxml_settings(bomb, &s, err, sizeof(err)), -1);
}

static void test_balloon(void **state)
{
	(void)state;
	assert_int_equal(mc_domxml_balloon(
		"<domain type='kvm'><name>a</name><devices><disk/>"
		"<memballoon model='virtio' autodeflate='on'><stats period='1'/></memballoon>"
		"</devices></domain>"), MC_DOMXML_BALLOON_AUTODEFLATE);
	assert_int_equal(mc_domxml_balloon(
		"<domain><devices><memballoon model='virtio' autodeflate='off'/></devices></domain>"),
		MC_DOMXML_BALLOON_NO_AUTODEFLATE);
	assert_int_equal(mc_domxml_balloon(
		"<domain><devices><memballoon model='virtio'/></devices></domain>"),
		MC_DOMXML_BALLOON_NO_AUTODEFLATE);
	assert_int_equal(mc_domxml_balloon(
		"<domain><devices><memballoon model='none'/></devices></domain>"),
		MC_DOMXML_BALLOON_NONE);
	assert_int_equal(mc_domxml_balloon("<domain><devices/></domain>"),
			 MC_DOMXML_BALLOON_NONE);
	/* autodeflate elsewhere than the balloon does not count. */
	assert_int_equal(mc_domxml_balloon(
		"<domain><metadata><memballoon autodeflate='on'/></metadata>"
		"<devices><memballoon model='virtio'/></devices></domain>"),
		MC_DOMXML_BALLOON_NO_AUTODEFLATE);
	assert_int_equal(mc_domxml_balloon("<node/>"), MC_DOMXML_BALLOON_UNREADABLE);
	assert_int_equal(mc_domxml_balloon("<domain>"), MC_DOMXML_BALLOON_UNREADABLE);
}

/* The INI wins key by key; a VM bound that would turn the INI's other
 * bound inside out is dropped. */
static void test_overlay(void **state)
{
	struct mc_vmset ini = { 0 }, vm = { 0 }, used;
	char why[64];

	(void)state;
	assert_int_equal(mc_vmset_put(&vm, "min_mib", "600", why, sizeof(why)), 1);
	assert_int_equal(mc_vmset_put(&vm, "max_mib", "1500", why, sizeof(why)), 1);
	assert_int_equal(mc_vmset_put(&vm, "weight", "5", why, sizeof(why)), 1);
	assert_int_equal(mc_vmset_put(&vm, "exclude", "yes", why, sizeof(why)), 1);
	assert_int_equal(mc_vmset_put(&vm, "note", "x", why, sizeof(why)), 0);
	mc_vmset_overlay(NULL, &vm, &used);
	assert_true(used.has_min_mib && used.has_max_mib && used.has_weight && used.has_exclude);
	assert_int_equal(mc_vmset_put(&ini, "max_mib", "1200", why, sizeof(why)), 1);
	assert_int_equal(mc_vmset_put(&ini, "exclude", "no", why, sizeof(why)), 1);
	mc_vmset_overlay(&ini, &vm, &used);
	assert_true(used.has_min_mib && used.min_mib == 600 && used.has_weight);
	assert_false(used.has_max_mib || used.has_exclude);
	/* VM min 600 above the INI's max 500: dropped, the INI's max holds. */
	assert_int_equal(mc_vmset_put(&ini, "max_mib", "500", why, sizeof(why)), 1);
	mc_vmset_overlay(&ini, &vm, &used);
	assert_false(used.has_min_mib);
	/* VM max 1500 below the INI's min 2000: dropped. */
	memset(&ini, 0, sizeof(ini));
	assert_int_equal(mc_vmset_put(&ini, "min_mib", "2000", why, sizeof(why)), 1);
	mc_vmset_overlay(&ini, &vm, &used);
	assert_false(used.has_max_mib || used.has_min_mib);
	assert_true(used.has_weight && used.has_exclude);
}

static void test_str(void **state)
{
	struct mc_vmset s = { 0 };
	char buf[64], tiny[8];

	(void)state;
	assert_string_equal(mc_vmset_str(&s, buf, sizeof(buf)), "none");
	s = (struct mc_vmset){ .has_min_mib = true, .min_mib = 512, .has_weight = true,
			       .weight = 2, .has_exclude = true, .exclude = true };
	assert_string_equal(mc_vmset_str(&s, buf, sizeof(buf)), "min_mib=512 weight=2 exclude=yes");
	assert_string_equal(mc_vmset_str(&s, tiny, sizeof(tiny)), "min_mi");
}

/* Shrinks each guest by its d.params.weight in MiB: the weight the policy
 * saw is read back from the balloon. */
static const char weight_policy[] =
	"function decide(domains, host, ctx)\n"
	"  local t = {}\n"
	"  for _, d in ipairs(domains) do\n"
	"    local w = tonumber(d.params.weight) or 0\n"
	"    t[d.name] = d.actual - w * 1024\n"
	"  end\n"
	"  return t\n"
	"end\n";

/* Through the coordinator, as a backend hands the VM's settings over: the
 * VM's apply where the INI says nothing, the INI's win where it does. */
static void test_vm_settings_reach_the_core(void **state)
{
	struct mc_config cfg;
	char err[512], *ini = write_temp(
		"[limits]\ndeadband_mib = 0\n"
		"[domain \"ini-*\"]\nmax_mib = 1800\nweight = 7\nexclude = no\n", ".ini");
	char *pol = write_temp(weight_policy, ".lua");
	struct mc_backend *b = mc_hv_mem_open(err, sizeof(err));
	const struct mc_vmset vm = { .has_min_mib = true, .min_mib = 600,
		.has_max_mib = true, .max_mib = 1500, .has_weight = true, .weight = 5 };
	const char *names[] = { "vm-only", "ini-too", "ini-excl" };
	const struct mc_snapshot *s;
	struct mc_coord *c;
	size_t i;

	(void)state;
	assert_non_null(b);
	assert_int_equal(mc_config_load_file(&cfg, ini, err, sizeof(err)), MC_CONFIG_OK);
	for (i = 0; i < 3; i++) {
		struct mc_domain *d = mc_hv_mem_domain(b, names[i]);

		d->max = 4096 * MiB;
		d->cur = (struct mc_memstats){ .actual = 1400 * MiB, .unused = 1000 * MiB,
			.available = 1400 * MiB, .last_update = 1, .have_stats = true };
		d->vm = vm;
	}
	mc_hv_mem_domain(b, "ini-excl")->vm.has_exclude = true;
	mc_hv_mem_domain(b, "ini-excl")->vm.exclude = true;
	mc_hv_mem_host(b)->total = mc_hv_mem_host(b)->free = 8192 * MiB;
	c = mc_coord_new(&cfg, b, mc_policy_load(pol, NULL, 0, err, sizeof(err)), NULL);
	assert_non_null(c);
	assert_int_equal(mc_coord_sample(c), 0);
	s = mc_coord_snapshot(c);
	/* Sorted: ini-excl, ini-too, vm-only. */
	assert_int_equal(s->doms[2].track.max, 1500 * MiB);
	assert_int_equal(s->doms[2].track.min, 600 * MiB);
	assert_int_equal(s->doms[1].track.max, 1800 * MiB);	/* the INI's */
	assert_int_equal(s->doms[1].track.min, 600 * MiB);	/* the VM's */
	assert_false(s->doms[0].track.excluded);		/* the INI's "no" */
	assert_int_equal(mc_hv_mem_domain(b, "vm-only")->cur.actual, 1395 * MiB);
	assert_int_equal(mc_hv_mem_domain(b, "ini-too")->cur.actual, 1393 * MiB);
	assert_int_equal(mc_hv_mem_domain(b, "ini-excl")->cur.actual, 1393 * MiB);
	mc_coord_free(c);
	b->ops->close(b);
	mc_config_free(&cfg);
	drop_temp(ini);
	drop_temp(pol);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_settings_parsed),
		cmocka_unit_test(test_bad_settings_refused),
		cmocka_unit_test(test_long_settings_refused),
		cmocka_unit_test(test_entity_bomb_refused),
		cmocka_unit_test(test_balloon),
		cmocka_unit_test(test_overlay),
		cmocka_unit_test(test_str),
		cmocka_unit_test(test_vm_settings_reach_the_core),
	};

	mc_log_set_level(MC_LOG_WARN);
	return cmocka_run_group_tests_name("vmset", tests, NULL, NULL);
}
