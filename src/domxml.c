/*
 * domxml.c - memcoord's settings in a domain's <metadata>, and its
 * balloon's autodeflate, read with libxml2 as hostile text.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "domxml.h"

/* No network, no error text on stderr (the caller logs), no entity
 * substitution (XML_PARSE_NOENT is not given), no huge-document mode. */
#define PARSE_FLAGS (XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING)

xmlDocPtr mc_domxml_parse(const char *xml, size_t max, char *err, size_t errlen)
{
	size_t len = strlen(xml);
	xmlDocPtr doc;

	if (len > max) {
		snprintf(err, errlen, "longer than %zu bytes", max);
		return NULL;
	}
	doc = xmlReadMemory(xml, (int)len, "domain.xml", NULL, PARSE_FLAGS);
	if (!doc || !xmlDocGetRootElement(doc)) {
		snprintf(err, errlen, "not well-formed XML");
		xmlFreeDoc(doc);
		return NULL;
	}
	if (doc->intSubset || doc->extSubset) {
		snprintf(err, errlen, "a DTD is not allowed");
		xmlFreeDoc(doc);
		return NULL;
	}
	return doc;
}

static bool named(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, name);
}

/* One attribute of the element into out.  0, or -1 with err. */
static int put_attribute(xmlDocPtr doc, xmlAttrPtr a, struct mc_vmset *out,
			 char *err, size_t errlen)
{
	const char *key = (const char *)a->name;
	xmlChar *value = xmlNodeListGetString(doc, a->children, 1);
	char why[96];
	int rc;

	if (a->ns) {
		snprintf(err, errlen, "attribute %.40s: no namespace prefix expected", key);
		xmlFree(value);
		return -1;
	}
	rc = mc_vmset_put(out, key, value ? (const char *)value : "", why, sizeof(why));
	if (rc == 0)
		snprintf(err, errlen, "unknown attribute %.40s", key);
	else if (rc < 0)
		snprintf(err, errlen, "%s: '%.40s' is %s", key,
			 value ? (const char *)value : "", why);
	xmlFree(value);
	return rc > 0 ? 0 : -1;
}

/* <settings .../>: attributes only, each a key of MC_VMSET_KEYS. */
static int read_settings(xmlDocPtr doc, struct mc_vmset *out, char *err,
			 size_t errlen)
{
	xmlNodePtr root = xmlDocGetRootElement(doc), n;
	xmlAttrPtr a;

	if (!named(root, MC_DOMXML_ELEMENT)) {
		snprintf(err, errlen, "element <%.40s>, not <" MC_DOMXML_ELEMENT ">",
			 (const char *)root->name);
		return -1;
	}
	for (n = root->children; n; n = n->next)
		if (n->type == XML_ELEMENT_NODE) {
			snprintf(err, errlen, "<" MC_DOMXML_ELEMENT "> takes no child elements");
			return -1;
		}
	for (a = root->properties; a; a = a->next)
		if (put_attribute(doc, a, out, err, errlen))
			return -1;
	return mc_vmset_check(out, err, errlen);
}

int mc_domxml_settings(const char *xml, struct mc_vmset *out, char *err,
		       size_t errlen)
{
	xmlDocPtr doc = mc_domxml_parse(xml, MC_DOMXML_SETTINGS_MAX, err, errlen);
	int rc;

	memset(out, 0, sizeof(*out));
	if (!doc)
		return -1;
	rc = read_settings(doc, out, err, errlen);
	xmlFreeDoc(doc);
	if (rc)
		memset(out, 0, sizeof(*out));
	return rc;
}

xmlNodePtr mc_domxml_child(xmlNodePtr parent, const char *name)
{
	xmlNodePtr n;

	for (n = parent ? parent->children : NULL; n; n = n->next)
		if (named(n, name))
			return n;
	return NULL;
}

/* Is attribute name of n equal to want? */
static bool attribute_is(xmlNodePtr n, const char *name, const char *want)
{
	xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)name);
	bool is = v && !strcmp((const char *)v, want);

	xmlFree(v);
	return is;
}

enum mc_domxml_balloon mc_domxml_balloon(const char *domain_xml)
{
	char err[64];
	xmlDocPtr doc = mc_domxml_parse(domain_xml, MC_DOMXML_DOMAIN_MAX, err, sizeof(err));
	xmlNodePtr root, balloon;
	enum mc_domxml_balloon b;

	if (!doc)
		return MC_DOMXML_BALLOON_UNREADABLE;
	root = xmlDocGetRootElement(doc);
	balloon = named(root, "domain") ?
		  mc_domxml_child(mc_domxml_child(root, "devices"), "memballoon") : NULL;
	if (!named(root, "domain"))
		b = MC_DOMXML_BALLOON_UNREADABLE;
	else if (!balloon || attribute_is(balloon, "model", "none"))
		b = MC_DOMXML_BALLOON_NONE;
	else if (attribute_is(balloon, "autodeflate", "on"))
		b = MC_DOMXML_BALLOON_AUTODEFLATE;
	else
		b = MC_DOMXML_BALLOON_NO_AUTODEFLATE;
	xmlFreeDoc(doc);
	return b;
}
