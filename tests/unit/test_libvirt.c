/* test_libvirt.c - the libvirt backend and one coordinator tick against
 * libvirt's built-in test driver (test:///default: one running domain,
 * "test", 2 GiB of 8 GiB max; state lives in the connection). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include <libvirt/libvirt.h>

#include "config.h"
#include "coordinator.h"
#include "domxml.h"
#include "hypervisor.h"
#include "log.h"
#include "policy.h"
#include "testutil.h"

static struct mc_backend *open_test(void)
{
	char err[256];
	struct mc_backend *b = mc_hv_libvirt_open("test:///default", false, err, sizeof(err));

	if (!b)
		fail_msg("%s", err);
	return b;
}

static const struct mc_domain *collect_test(struct mc_backend *b,
					    struct mc_snapshot *s)
{
	mc_snapshot_clear(s);
	assert_int_equal(b->ops->collect(b, s), 0);
	mc_snapshot_sort(s);
	assert_int_equal(s->ndoms, 1);
	return mc_snapshot_find(s, "test");
}

static void test_collect(void **state)
{
	struct mc_backend *b = open_test();
	struct mc_snapshot s;
	const struct mc_domain *d;

	(void)state;
	mc_snapshot_init(&s);
	d = collect_test(b, &s);
	assert_non_null(d);
	assert_int_equal(d->cur.actual, 2048 * MiB);
	assert_int_equal(d->max, 8192 * MiB);
	assert_true(d->cur.have_stats);
	assert_int_equal(d->cur.unused, 1024 * MiB);
	assert_int_equal(strlen(d->uuid), 36);
	assert_true(s.host.total > 0);
	/* test:/// is local: this machine's MemAvailable (and PSI, when
	 * its kernel has it) are the host's. */
	assert_true(s.host.pressure.have_available && s.host.pressure.available > 0);
	assert_true(s.host.pressure.psi.have || access("/proc/pressure/memory", R_OK));
	assert_true(s.host.ksm.have || access("/sys/kernel/mm/ksm/run", R_OK));
	mc_snapshot_free(&s);
	b->ops->close(b);
}

static void test_open_bad_uri(void **state)
{
	char err[256] = "";

	(void)state;
	assert_null(mc_hv_libvirt_open("nosuchdriver:///x", false, err, sizeof(err)));
	assert_non_null(strstr(err, "nosuchdriver:///x"));
}

/* A resize of a domain that does not exist fails, is logged, and leaves
 * the real domain alone. */
static void test_resize_failure(void **state)
{
	struct mc_backend *b = open_test();
	struct mc_snapshot s;
	struct mc_domain ghost = { .name = "ghost",
		.uuid = "00000000-0000-0000-0000-000000000000" };

	(void)state;
	mc_snapshot_init(&s);
	assert_int_equal(b->ops->set_target(b, &ghost, 1024 * MiB), -1);
	assert_int_equal(collect_test(b, &s)->cur.actual, 2048 * MiB);
	mc_snapshot_free(&s);
	b->ops->close(b);
}

/* One full tick: stats read, the policy's target clamped, the balloon set,
 * and virDomainGetInfo on the same connection sees the new size. */
static void run_tick(bool dry_run, uint64_t expect_kib)
{
	struct mc_config cfg = { .period = 2, .sample = 1, .policy_timeout = 1, .dry_run = dry_run,
		.limits = { .min_domain = 256 * MiB, .guest_reserve = 64 * MiB } };
	char *path = write_temp(
		"function decide(domains, host, ctx)\n"
		"  return { test = 1536 * 1024, nosuch = 1 }\n"
		"end\n", ".lua");
	char err[256];
	struct mc_backend *b = open_test();
	struct mc_policy *p = mc_policy_load(path, NULL, 0, err, sizeof(err));
	struct mc_coord *c;
	struct mc_snapshot s;

	assert_non_null(p);
	c = mc_coord_new(&cfg, b, p, NULL);
	assert_int_equal(mc_coord_sample(c), 0);
	assert_int_equal(mc_coord_stats(c)->decides, 1);
	assert_int_equal(mc_coord_stats(c)->resizes, dry_run ? 0 : 1);
	mc_snapshot_init(&s);
	assert_int_equal(collect_test(b, &s)->cur.actual, expect_kib);
	mc_snapshot_free(&s);
	mc_coord_free(c);
	b->ops->close(b);
	drop_temp(path);
}

static void test_tick_resizes(void **state)
{
	(void)state;
	run_tick(false, 1536 * MiB);
}

static void test_dry_run_never_resizes(void **state)
{
	(void)state;
	run_tick(true, 2048 * MiB);
}

/* ---- issue 13 item 5: a dry run is a read-only look ---- */

/* The domain's XML as another connection of this process sees it: the
 * default test driver's state is shared while one connection holds it. */
static char *test_domain_xml(virConnectPtr conn)
{
	virDomainPtr dom = virDomainLookupByName(conn, "test");
	char *xml;

	assert_non_null(dom);
	xml = virDomainGetXMLDesc(dom, 0);
	virDomainFree(dom);
	assert_non_null(xml);
	return xml;
}

/* The test driver's bulk stats are empty, so a read-write collect switches
 * the stats period on (<stats period='1'/>); a dry run must not, and
 * libvirt itself must refuse its writes. */
static void test_dry_run_is_read_only(void **state)
{
	virConnectPtr watch = virConnectOpen("test:///default");
	char err[256], *xml;
	struct mc_backend *b;
	struct mc_snapshot s;
	const struct mc_domain *d;

	(void)state;
	assert_non_null(watch);
	b = mc_hv_libvirt_open("test:///default", true, err, sizeof(err));
	assert_non_null(b);
	mc_snapshot_init(&s);
	d = collect_test(b, &s);
	assert_non_null(d);
	assert_int_equal(b->ops->set_target(b, d, 1024 * MiB), -1);
	xml = test_domain_xml(watch);
	assert_null(strstr(xml, "<stats period"));
	free(xml);
	assert_int_equal(collect_test(b, &s)->cur.actual, 2048 * MiB);
	mc_snapshot_free(&s);
	b->ops->close(b);
	virConnectClose(watch);
}

/* ... while a read-write collect does set it (the check above can fail). */
static void test_collect_enables_stats(void **state)
{
	virConnectPtr watch = virConnectOpen("test:///default");
	struct mc_backend *b = open_test();
	struct mc_snapshot s;
	char *xml;

	(void)state;
	assert_non_null(watch);
	mc_snapshot_init(&s);
	assert_non_null(collect_test(b, &s));
	xml = test_domain_xml(watch);
	assert_non_null(strstr(xml, "<stats period='1'/>"));
	free(xml);
	mc_snapshot_free(&s);
	b->ops->close(b);
	virConnectClose(watch);
}

/* No URI: libvirt chooses, and LIBVIRT_DEFAULT_URI comes first. */
static void test_default_uri_from_environment(void **state)
{
	char err[256];
	struct mc_backend *b;
	struct mc_snapshot s;

	(void)state;
	assert_int_equal(setenv("LIBVIRT_DEFAULT_URI", "test:///default", 1), 0);
	b = mc_hv_libvirt_open(NULL, false, err, sizeof(err));
	unsetenv("LIBVIRT_DEFAULT_URI");
	if (!b)
		fail_msg("%s", err);
	mc_snapshot_init(&s);
	assert_non_null(collect_test(b, &s));
	mc_snapshot_free(&s);
	b->ops->close(b);
}

/* ---- issue 13 items 4 and 6: the domain's XML ---- */

/* Sets (xml) or removes (NULL) memcoord's metadata on "test", on another
 * connection: the same domain the backend sees. */
static void set_metadata(virConnectPtr conn, const char *xml)
{
	virDomainPtr dom = virDomainLookupByName(conn, "test");

	assert_non_null(dom);
	assert_int_equal(virDomainSetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT, xml,
					      xml ? MC_DOMXML_PREFIX : NULL, MC_DOMXML_NS,
					      VIR_DOMAIN_AFFECT_LIVE), 0);
	virDomainFree(dom);
}

static struct mc_vmset collect_vm(struct mc_backend *b)
{
	struct mc_snapshot s;
	struct mc_vmset vm;

	mc_snapshot_init(&s);
	vm = collect_test(b, &s)->vm;
	mc_snapshot_free(&s);
	return vm;
}

/* Read when first seen; kept (not read every sample) until reread(); a bad
 * element is refused whole with a warning naming the domain. */
static void test_metadata_settings(void **state)
{
	virConnectPtr watch = virConnectOpen("test:///default");
	char *log = write_temp("", ".log");
	struct mc_backend *b;
	struct mc_vmset vm;
	int saved;

	(void)state;
	assert_non_null(watch);
	set_metadata(watch, "<settings min_mib=\"600\" max_mib=\"1500\" weight=\"3\"/>");
	b = open_test();
	vm = collect_vm(b);
	assert_true(vm.has_min_mib && vm.min_mib == 600 && vm.has_max_mib &&
		    vm.max_mib == 1500 && vm.has_weight && vm.weight == 3);
	set_metadata(watch, "<settings min_mib=\"lots\" max_mib=\"1500\"/>");
	assert_int_equal(collect_vm(b).min_mib, 600);	/* not read again yet */
	b->ops->reread(b);
	saved = capture_begin(log);
	vm = collect_vm(b);
	capture_end(saved);
	assert_false(vm.has_min_mib || vm.has_max_mib || vm.has_weight);
	assert_int_equal(count_lines(log, "warning: test: memcoord metadata refused, "
				     "its [domain] settings and the defaults apply: "
				     "min_mib: 'lots' is not a size in MiB"), 1);
	set_metadata(watch, NULL);
	b->ops->reread(b);
	vm = collect_vm(b);
	assert_false(vm.has_min_mib || vm.has_max_mib || vm.has_weight);
	b->ops->close(b);
	virConnectClose(watch);
	drop_temp(log);
}

/* A dry run reads them too: its connection is read-only. */
static void test_metadata_read_only(void **state)
{
	virConnectPtr watch = virConnectOpen("test:///default");
	char err[256];
	struct mc_backend *b;

	(void)state;
	assert_non_null(watch);
	set_metadata(watch, "<settings exclude=\"yes\"/>");
	b = mc_hv_libvirt_open("test:///default", true, err, sizeof(err));
	assert_non_null(b);
	assert_true(collect_vm(b).exclude);
	set_metadata(watch, NULL);
	b->ops->close(b);
	virConnectClose(watch);
}

/* The test driver's "test" has <memballoon model='virtio'/>: warned about
 * once, on first sight, not every sample. */
static void test_autodeflate_warning(void **state)
{
	char *log = write_temp("", ".log");
	struct mc_backend *b = open_test();
	int saved = capture_begin(log);

	(void)state;
	collect_vm(b);
	collect_vm(b);
	capture_end(saved);
	assert_int_equal(count_lines(log, "warning: test: balloon without deflate-on-oom "
				     "(<memballoon autodeflate='on'>)"), 1);
	b->ops->close(b);
	drop_temp(log);
}

static void tick(int timer, void *opaque)
{
	(void)timer;
	(void)opaque;
}

/* With an event loop (the daemon's), a change of the element is read at
 * the next collect, without reread().  Registers libvirt's default event
 * loop for the rest of this process: run last. */
static void test_metadata_change_event(void **state)
{
	virConnectPtr watch;
	struct mc_backend *b;
	int timer, i;

	(void)state;
	assert_int_equal(virEventRegisterDefaultImpl(), 0);
	timer = virEventAddTimeout(20, tick, NULL, NULL);	/* runs return */
	assert_true(timer >= 0);
	watch = virConnectOpen("test:///default");
	assert_non_null(watch);
	b = open_test();
	assert_false(collect_vm(b).has_weight);
	set_metadata(watch, "<settings weight=\"9\"/>");
	for (i = 0; i < 50 && !collect_vm(b).has_weight; i++)
		assert_int_equal(virEventRunDefaultImpl(), 0);
	assert_true(collect_vm(b).weight == 9);
	set_metadata(watch, NULL);
	b->ops->close(b);
	virConnectClose(watch);
	virEventRemoveTimeout(timer);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_collect),
		cmocka_unit_test(test_open_bad_uri),
		cmocka_unit_test(test_resize_failure),
		cmocka_unit_test(test_tick_resizes),
		cmocka_unit_test(test_dry_run_never_resizes),
		cmocka_unit_test(test_dry_run_is_read_only),
		cmocka_unit_test(test_collect_enables_stats),
		cmocka_unit_test(test_default_uri_from_environment),
		cmocka_unit_test(test_metadata_settings),
		cmocka_unit_test(test_metadata_read_only),
		cmocka_unit_test(test_autodeflate_warning),
		cmocka_unit_test(test_metadata_change_event),	/* last */
	};

	return cmocka_run_group_tests_name("libvirt", tests, NULL, NULL);
}
