/*
 * vmem_libvirt.c - a domain's virtio-mem device in libvirt's XML, with
 * libxml2: read it, and write the device back with a new <requested>.
 *
 * The XML comes from libvirt, yet it names guests and paths anyone with a
 * libvirt account chose: it is parsed as domxml.h parses hostile text (no
 * network, no DTD, bounded size), and every number is checked (units, overflow, whole blocks)
 * before the core sees it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>

#include "domxml.h"
#include "vmem_libvirt.h"

#define DEVICE_XPATH "/domain/devices/memory[@model='virtio-mem'][1]"
#define CELLS_XPATH "/domain/cpu/numa/cell"

static const struct {
	const char *unit;
	uint64_t kib_shift;	/* KiB = value << shift, or >> 10 for bytes */
} units[] = {
	{ "KiB", 0 }, { "k", 0 }, { "MiB", 10 }, { "M", 10 }, { "GiB", 20 },
	{ "G", 20 }, { "TiB", 30 }, { "T", 30 },
};

/* A libvirt scaled size ("1024" with unit='MiB') in KiB; -1 on anything
 * else: other units (KB = 1000 bytes) or none that fits 64 bits. */
static int scaled_kib(const char *text, const char *unit, uint64_t *kib)
{
	unsigned long long v;
	char *end;
	size_t i;

	if (!text || *text < '0' || *text > '9')
		return -1;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno || *end)
		return -1;
	if (unit && (!strcmp(unit, "b") || !strcmp(unit, "bytes"))) {
		*kib = v >> 10;
		return v % 1024 ? -1 : 0;
	}
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (unit && strcmp(unit, units[i].unit))
			continue;
		if (units[i].kib_shift && v > UINT64_MAX >> units[i].kib_shift)
			return -1;
		*kib = v << units[i].kib_shift;
		return 0;
	}
	return -1;
}

/* node's text (or its attribute attr) as KiB, with its unit attribute. */
static int node_kib(xmlNodePtr node, const char *attr, uint64_t *kib)
{
	xmlChar *text = !node ? NULL : attr ? xmlGetProp(node, BAD_CAST attr) :
			xmlNodeGetContent(node);
	xmlChar *unit = node ? xmlGetProp(node, BAD_CAST "unit") : NULL;
	int rc = scaled_kib((const char *)text, (const char *)unit, kib);

	xmlFree(text);
	xmlFree(unit);
	return rc;
}

/* The nodes an XPath finds in doc (freed by the caller), or NULL. */
static xmlXPathObjectPtr find(xmlDocPtr doc, const char *xpath)
{
	xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
	xmlXPathObjectPtr res = ctx ? xmlXPathEvalExpression(BAD_CAST xpath, ctx) : NULL;

	xmlXPathFreeContext(ctx);
	return res;
}

static size_t count(xmlXPathObjectPtr res)
{
	return res && res->nodesetval ? (size_t)res->nodesetval->nodeNr : 0;
}

/* Boot memory: the NUMA cells' memory, summed. */
static int base_kib(xmlDocPtr doc, uint64_t *kib)
{
	xmlXPathObjectPtr cells = find(doc, CELLS_XPATH);
	size_t i, n = count(cells);
	uint64_t v;
	int rc = n ? 0 : -1;

	*kib = 0;
	for (i = 0; i < n && rc == 0; i++) {
		rc = node_kib(cells->nodesetval->nodeTab[i], "memory", &v);
		if (rc == 0 && v > UINT64_MAX - *kib)
			rc = -1;
		*kib += v;
	}
	xmlXPathFreeObject(cells);
	return rc;
}

/* The device's figures; why not, or NULL. */
static const char *device_vmem(xmlNodePtr dev, struct mc_vmem *out)
{
	xmlNodePtr target = mc_domxml_child(dev, "target");

	if (node_kib(mc_domxml_child(target, "size"), NULL, &out->size) ||
	    node_kib(mc_domxml_child(target, "block"), NULL, &out->block) ||
	    node_kib(mc_domxml_child(target, "requested"), NULL, &out->requested))
		return "size, block or requested missing or not a size";
	/* <current> is what the guest plugged; libvirt shows it once known. */
	if (node_kib(mc_domxml_child(target, "current"), NULL, &out->plugged))
		out->plugged = out->requested;
	if (!out->block || out->size % out->block || out->plugged % out->block ||
	    out->requested % out->block || out->plugged > out->size)
		return "sizes are not whole blocks of the device";
	return NULL;
}

int mc_vmem_lv_parse(const char *xml, struct mc_vmem *out, char *err,
		     size_t errlen)
{
	char perr[64];
	xmlDocPtr doc = mc_domxml_parse(xml, MC_DOMXML_DOMAIN_MAX, perr, sizeof(perr));
	xmlXPathObjectPtr dev = doc ? find(doc, DEVICE_XPATH) : NULL;
	const char *why = !doc ? perr : NULL;
	int rc = 1;

	memset(out, 0, sizeof(*out));
	if (doc && count(dev)) {
		why = device_vmem(dev->nodesetval->nodeTab[0], out);
		if (!why && base_kib(doc, &out->base))
			why = "no NUMA cell memory (its boot memory)";
		rc = why ? -1 : 0;
	}
	if (why) {
		snprintf(err, errlen, "virtio-mem: %s", why);
		memset(out, 0, sizeof(*out));
		rc = -1;
	}
	out->have = rc == 0;
	xmlXPathFreeObject(dev);
	xmlFreeDoc(doc);
	return rc;
}

/* The device node serialized, with requested (KiB) in its <requested>. */
static char *dump_with(xmlDocPtr doc, xmlNodePtr dev, uint64_t requested)
{
	xmlNodePtr req = mc_domxml_child(mc_domxml_child(dev, "target"), "requested");
	xmlBufferPtr buf;
	char num[32], *out = NULL;

	if (!req)
		return NULL;
	snprintf(num, sizeof(num), "%llu", (unsigned long long)requested);
	xmlNodeSetContent(req, BAD_CAST num);
	if (!xmlSetProp(req, BAD_CAST "unit", BAD_CAST "KiB"))
		return NULL;
	buf = xmlBufferCreate();
	if (buf && xmlNodeDump(buf, doc, dev, 0, 0) > 0)
		out = strdup((const char *)xmlBufferContent(buf));
	xmlBufferFree(buf);
	return out;
}

char *mc_vmem_lv_update_xml(const char *xml, uint64_t requested, char *err,
			    size_t errlen)
{
	char perr[64];
	xmlDocPtr doc = mc_domxml_parse(xml, MC_DOMXML_DOMAIN_MAX, perr, sizeof(perr));
	xmlXPathObjectPtr dev = doc ? find(doc, DEVICE_XPATH) : NULL;
	char *out = count(dev) ? dump_with(doc, dev->nodesetval->nodeTab[0], requested) : NULL;

	if (!out)
		snprintf(err, errlen, "virtio-mem: %s", !doc ? perr :
			 count(dev) ? "cannot write the device's XML" :
			 "the domain has no virtio-mem device");
	xmlXPathFreeObject(dev);
	xmlFreeDoc(doc);
	return out;
}
