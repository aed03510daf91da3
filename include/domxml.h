/*
 * domxml.h - what memcoord reads in a domain's XML: the settings kept with
 * the VM in its <metadata>, and whether its balloon deflates on OOM.
 *
 * The text comes from whoever may edit the domain, so it is parsed as
 * hostile, with libxml2 (libvirt's own parser, so no new dependency): no
 * network, no DTD (a document with one is refused, so no entity tricks),
 * bounded size, every value checked by vmset.h as the INI's are.  Pure: no
 * libvirt, no logging; the caller says what went wrong and for whom.
 */
#ifndef MC_DOMXML_H
#define MC_DOMXML_H

#include <stddef.h>

#include <libxml/tree.h>

#include "vmset.h"

/* The namespace of memcoord's element in <metadata>, and the prefix
 * `virsh metadata --key` gives it:
 *   virsh metadata DOM https://memcoord.org/xmlns/domain/1.0 --key memcoord \
 *         --set '<settings min_mib="512" max_mib="4096" weight="2"/>' --live --config
 * Its attributes are the keys of MC_VMSET_KEYS, nothing else. */
#define MC_DOMXML_NS "https://memcoord.org/xmlns/domain/1.0"
#define MC_DOMXML_PREFIX "memcoord"
#define MC_DOMXML_ELEMENT "settings"
/* The longest metadata element and domain XML parsed, bytes. */
#define MC_DOMXML_SETTINGS_MAX 4096
#define MC_DOMXML_DOMAIN_MAX (16 << 20)

/* The element virDomainGetMetadata(VIR_DOMAIN_METADATA_ELEMENT) returns ->
 * out.  0, or -1 with err saying why (quoting at most a short piece of
 * the text) and out zeroed: a bad element changes nothing. */
int mc_domxml_settings(const char *xml, struct mc_vmset *out, char *err,
		       size_t errlen);

enum mc_domxml_balloon {
	MC_DOMXML_BALLOON_UNREADABLE = -1,	/* not a domain XML we can read */
	MC_DOMXML_BALLOON_NONE,			/* no balloon, or model='none' */
	MC_DOMXML_BALLOON_NO_AUTODEFLATE,	/* a balloon without autodeflate='on' */
	MC_DOMXML_BALLOON_AUTODEFLATE,
};

/* The balloon of a domain's XML (virDomainGetXMLDesc). */
enum mc_domxml_balloon mc_domxml_balloon(const char *domain_xml);

/* For every reader of a domain's XML (also vmem_libvirt.c), so all parse
 * it as hostile the same way: the document (xmlFreeDoc), or NULL with err
 * when longer than max bytes, not well-formed or with a DTD. */
xmlDocPtr mc_domxml_parse(const char *xml, size_t max, char *err, size_t errlen);

/* The first element child of parent (may be NULL) named name, or NULL. */
xmlNodePtr mc_domxml_child(xmlNodePtr parent, const char *name);

#endif
