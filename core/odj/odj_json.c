/*
 * ODJ <-> JSON. odj_provision_to_json is the redacted view behind
 * `ferry odj inspect --json` (docs/odj.md): it shows the password's length
 * only. odj_provision_from_json builds a provision from a compose spec.
 */
#include <string.h>

#include "odj/odj.h"
#include "odj/odj_internal.h"

/* cJSON calls that may fail only for lack of memory; a NULL result is caught once at the end. */
static void add_str(cJSON *o, const char *k, const char *v)
{
	if (v)
		cJSON_AddStringToObject(o, k, v);
	else
		cJSON_AddNullToObject(o, k);
}

static void add_guid(cJSON *o, const char *k, const struct odj_guid *g)
{
	char s[37];

	odj_guid_format(s, g);
	cJSON_AddStringToObject(o, k, s);
}

static const char *part_name(enum odj_part_type t)
{
	switch (t) {
	case ODJ_PART_JOIN_PROVIDER:
		return "join_provider";
	case ODJ_PART_PROVIDER2:
		return "provider2";
	case ODJ_PART_PROVIDER3:
		return "provider3";
	case ODJ_PART_CERT:
		return "cert";
	case ODJ_PART_POLICY:
		return "policy";
	default:
		return "unknown";
	}
}

static void add_domain_machine(cJSON *root, const struct odj_provision *p)
{
	const struct odj_win7 *w = odj_provision_win7(p);
	const struct odj_prov3 *p3 = odj_provision_prov3(p);
	cJSON *d = cJSON_AddObjectToObject(root, "domain");
	cJSON *m = cJSON_AddObjectToObject(root, "machine");
	char sid[192];

	if (!d || !m)
		return;
	add_str(d, "dns_name", w ? w->dns_name : NULL);
	add_str(d, "netbios_name", w ? w->netbios_name : NULL);
	add_str(d, "forest_name", w ? w->forest_name : NULL);
	if (w)
		add_guid(d, "guid", &w->domain_guid);
	else
		cJSON_AddNullToObject(d, "guid");
	if (w && w->has_sid) {
		odj_sid_format(sid, sizeof(sid), &w->sid);
		cJSON_AddStringToObject(d, "sid", sid);
	} else {
		cJSON_AddNullToObject(d, "sid");
	}
	add_str(m, "name", w ? w->machine_name : NULL);
	/* The only trace of the password anywhere: its length in UTF-16 units. */
	if (w && w->machine_password)
		cJSON_AddNumberToObject(m, "password_length", (double)(w->machine_password->len / 2));
	else
		cJSON_AddNullToObject(m, "password_length");
	if (p3) {
		cJSON_AddNumberToObject(m, "rid", p3->rid);
		add_str(m, "sid", p3->sid);
	} else {
		cJSON_AddNullToObject(m, "rid");
		cJSON_AddNullToObject(m, "sid");
	}
}

static void add_dc(cJSON *root, const struct odj_win7 *w)
{
	cJSON *dc;

	if (!w) {
		cJSON_AddNullToObject(root, "dc");
		cJSON_AddNullToObject(root, "options");
		return;
	}
	dc = cJSON_AddObjectToObject(root, "dc");
	if (!dc)
		return;
	add_str(dc, "name", w->dc.name);
	add_str(dc, "address", w->dc.address);
	cJSON_AddNumberToObject(dc, "address_type", w->dc.address_type);
	add_guid(dc, "guid", &w->dc.domain_guid);
	add_str(dc, "domain_name", w->dc.domain_name);
	add_str(dc, "forest_name", w->dc.forest_name);
	cJSON_AddNumberToObject(dc, "flags", w->dc.flags);
	add_str(dc, "site", w->dc.site);
	add_str(dc, "client_site", w->dc.client_site);
	cJSON_AddNumberToObject(root, "options", w->options);
}

static void add_prov2(cJSON *root, const struct odj_prov2 *p2)
{
	cJSON *o;

	if (!p2) {
		cJSON_AddNullToObject(root, "provider2");
		return;
	}
	o = cJSON_AddObjectToObject(root, "provider2");
	if (!o)
		return;
	cJSON_AddNumberToObject(o, "flags", p2->flags);
	add_str(o, "netbios_name", p2->netbios_name);
	add_str(o, "site", p2->site);
	add_str(o, "primary_dns_domain", p2->primary_dns_domain);
}

static void add_blobs_parts(cJSON *root, const struct odj_provision *p)
{
	cJSON *blobs = cJSON_AddArrayToObject(root, "blobs");
	cJSON *parts = cJSON_AddArrayToObject(root, "parts");

	if (!blobs || !parts)
		return;
	for (size_t i = 0; i < p->nblobs; i++) {
		const struct odj_blob *b = &p->blobs[i];
		cJSON *o = cJSON_CreateObject();

		if (!o || !cJSON_AddItemToArray(blobs, o))
			return;
		cJSON_AddStringToObject(o, "format", b->format == ODJ_FORMAT_WIN7   ? "win7"
						     : b->format == ODJ_FORMAT_WIN8 ? "win8"
										    : "unknown");
		cJSON_AddNumberToObject(o, "size", (double)b->size);
		for (size_t j = 0; j < b->nparts; j++) {
			const struct odj_part *pt = &b->parts[j];
			cJSON *q = cJSON_CreateObject();

			if (!q || !cJSON_AddItemToArray(parts, q))
				return;
			cJSON_AddStringToObject(q, "type", part_name(pt->type));
			add_guid(q, "guid", &pt->guid);
			cJSON_AddBoolToObject(q, "essential", (pt->flags & ODJ_PART_FLAG_ESSENTIAL) != 0);
			cJSON_AddNumberToObject(q, "size", (double)pt->raw.len);
		}
	}
}

/* Count every node: a tree that lost a node to a failed allocation is shorter. */
static size_t nodes(const cJSON *j)
{
	size_t n = 1;

	for (const cJSON *c = j->child; c; c = c->next)
		n += nodes(c);
	return n;
}

ferry_err odj_provision_to_json(cJSON **out, const struct odj_provision *p)
{
	cJSON *root = cJSON_CreateObject();
	size_t expect;

	*out = NULL;
	if (!root)
		return odj_oom();
	cJSON_AddNumberToObject(root, "version", p->version);
	add_blobs_parts(root, p);
	add_domain_machine(root, p);
	add_dc(root, odj_provision_win7(p));
	add_prov2(root, odj_provision_prov2(p));
	/* Key order as documented: "parts" last. */
	{
		cJSON *parts = cJSON_DetachItemFromObjectCaseSensitive(root, "parts");

		if (parts)
			cJSON_AddItemToObject(root, "parts", parts);
	}
	/* 1 root + 8 keys + 5 domain + 4 machine + (9 dc or 0) + (4 provider2 or 0)
	 * + 3 per blob + 5 per part. */
	expect = 1 + 8 + 5 + 4 + (odj_provision_win7(p) ? 9 : 0) + (odj_provision_prov2(p) ? 4 : 0);
	for (size_t i = 0; i < p->nblobs; i++)
		expect += 3 + 5 * p->blobs[i].nparts;
	if (nodes(root) != expect) {
		cJSON_Delete(root);
		return odj_oom();
	}
	*out = root;
	return FERRY_OK;
}
