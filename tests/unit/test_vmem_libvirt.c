/* test_vmem_libvirt.c - libvirt's XML of a virtio-mem device: read as
 * libvirt writes it (units, <current>, boot memory from the NUMA cells),
 * refused when not understood (no NUMA, a unit in decimal KB, sizes off
 * the block, entities that would read a file), and written back with a
 * new <requested> for virDomainUpdateDeviceFlags. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "testutil.h"
#include "vmem_libvirt.h"

/* A live domain XML as libvirt 9 shows it (trimmed), with %s for the
 * device's <target> body. */
#define DOMAIN(target) \
	"<domain type='qemu' id='3'>\n" \
	"  <name>vm</name>\n" \
	"  <maxMemory slots='16' unit='KiB'>8388608</maxMemory>\n" \
	"  <memory unit='KiB'>4718592</memory>\n" \
	"  <currentMemory unit='KiB'>4718592</currentMemory>\n" \
	"  <cpu><numa><cell id='0' cpus='0' memory='524288' unit='KiB'/></numa></cpu>\n" \
	"  <devices>\n" \
	"    <memballoon model='virtio'/>\n" \
	"    <memory model='virtio-mem'>\n" \
	"      <target>" target "</target>\n" \
	"      <alias name='virtiomem0'/>\n" \
	"    </memory>\n" \
	"  </devices>\n" \
	"</domain>\n"

#define GOOD_TARGET \
	"<size unit='KiB'>4194304</size><node>0</node><block unit='KiB'>2048</block>" \
	"<requested unit='KiB'>1048576</requested><current unit='KiB'>786432</current>"

static void reads_the_device(void **state)
{
	struct mc_vmem v;
	char err[128];

	(void)state;
	assert_int_equal(mc_vmem_lv_parse(DOMAIN(GOOD_TARGET), &v, err, sizeof(err)), 0);
	assert_true(v.have);
	assert_int_equal(v.base, 512 * MiB);
	assert_int_equal(v.size, 4096 * MiB);
	assert_int_equal(v.block, 2 * MiB);
	assert_int_equal(v.requested, 1024 * MiB);
	assert_int_equal(v.plugged, 768 * MiB);	/* <current>: the truth */
}

/* Other units; and no <current> yet: what was asked, until known. */
static void units_and_no_current(void **state)
{
	struct mc_vmem v;
	char err[128];

	(void)state;
	assert_int_equal(mc_vmem_lv_parse(DOMAIN(
		"<size unit='GiB'>4</size><block unit='MiB'>2</block>"
		"<requested unit='MiB'>512</requested>"), &v, err, sizeof(err)), 0);
	assert_int_equal(v.size, 4096 * MiB);
	assert_int_equal(v.block, 2 * MiB);
	assert_int_equal(v.plugged, 512 * MiB);
}

static void no_device(void **state)
{
	struct mc_vmem v;
	char err[128];

	(void)state;
	assert_int_equal(mc_vmem_lv_parse("<domain><devices><memballoon model='virtio'/>"
					  "</devices></domain>", &v, err, sizeof(err)), 1);
	assert_false(v.have);
}

/* Not understood: refused, the domain stays on its balloon. */
static void refuses_what_it_cannot_read(void **state)
{
	static const char *const bad[] = {
		DOMAIN("<size unit='KB'>4194304</size><block unit='KiB'>2048</block>"
		       "<requested unit='KiB'>0</requested>"),
		DOMAIN("<size unit='KiB'>4194305</size><block unit='KiB'>2048</block>"
		       "<requested unit='KiB'>0</requested>"),
		DOMAIN("<size unit='KiB'>4194304</size><block unit='KiB'>0</block>"
		       "<requested unit='KiB'>0</requested>"),
		DOMAIN("<size unit='KiB'>4194304</size><block unit='KiB'>2048</block>"),
		DOMAIN("<size unit='KiB'>-1</size><block unit='KiB'>2048</block>"
		       "<requested unit='KiB'>0</requested>"),
		DOMAIN("<size unit='TiB'>99999999999</size><block unit='KiB'>2048</block>"
		       "<requested unit='KiB'>0</requested>"),
		"<domain><devices><memory model='virtio-mem'><target>" GOOD_TARGET
		"</target></memory></devices></domain>",	/* no NUMA */
		"<!DOCTYPE domain [<!ENTITY x SYSTEM 'file:///etc/hostname'>]>"
		"<domain><cpu><numa><cell memory='1024'/></numa></cpu><devices>"
		"<memory model='virtio-mem'><target><size>&x;</size><block>2048</block>"
		"<requested>0</requested></target></memory></devices></domain>",
		"<domain><devices><memory model='virtio-mem'>",
	};
	struct mc_vmem v;
	char err[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (mc_vmem_lv_parse(bad[i], &v, err, sizeof(err)) != -1)
			fail_msg("case %zu was read", i);
		assert_false(v.have);
		assert_non_null(strstr(err, "virtio-mem: "));
	}
}

/* The device written back with the new request, the rest as it was. */
static void writes_the_request(void **state)
{
	char err[128], *xml = mc_vmem_lv_update_xml(DOMAIN(GOOD_TARGET), 2048 * 1024,
						   err, sizeof(err));

	(void)state;
	assert_non_null(xml);
	assert_non_null(strstr(xml, "<memory model=\"virtio-mem\">"));
	assert_non_null(strstr(xml, "<requested unit=\"KiB\">2097152</requested>"));
	assert_non_null(strstr(xml, "<alias name=\"virtiomem0\"/>"));
	assert_non_null(strstr(xml, "<block unit=\"KiB\">2048</block>"));
	assert_null(strstr(xml, "<domain"));
	free(xml);
	assert_null(mc_vmem_lv_update_xml("<domain/>", 0, err, sizeof(err)));
	assert_non_null(strstr(err, "no virtio-mem device"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reads_the_device),
		cmocka_unit_test(units_and_no_current),
		cmocka_unit_test(no_device),
		cmocka_unit_test(refuses_what_it_cannot_read),
		cmocka_unit_test(writes_the_request),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
