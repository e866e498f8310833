/*
 * Compose spec -> struct odj_provision (for `ferry odj compose` and the test
 * server). The spec uses the keys of the inspect view (docs/odj.md), plus
 * machine.password and an optional "formats" list:
 *
 *   {"domain":{"dns_name","netbios_name","forest_name","guid","sid"},
 *    "machine":{"name","password","rid","sid"},
 *    "dc":{"name","address","address_type","guid","domain_name","forest_name",
 *          "flags","site","client_site"},
 *    "options":N, "provider2":{...}|null, "formats":["win7","win8"]}
 *
 * The WIN7 blob and the WIN8 join-provider part carry the same ODJ_WIN7BLOB,
 * as Windows writes them. Provider3 is added when machine.rid or machine.sid
 * is given, provider2 when "provider2" is an object.
 */
#include <stdlib.h>
#include <string.h>

#include "odj/odj.h"
#include "odj/odj_internal.h"
#include "util/utf.h"

static ferry_err bad(const char *key, const char *why)
{
	return ferry_error_set(FERRY_EINVAL, "ODJ spec: %s %s", key, why);
}

/* Optional string: absent or null -> NULL. */
static ferry_err get_str(char **out, const cJSON *o, const char *k, const char *path)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	*out = NULL;
	if (!v || cJSON_IsNull(v))
		return FERRY_OK;
	if (!cJSON_IsString(v))
		return bad(path, "must be a string");
	*out = ferry_strdup(v->valuestring);
	return *out ? FERRY_OK : odj_oom();
}

static ferry_err get_u32(uint32_t *out, const cJSON *o, const char *k, const char *path,
			 uint32_t dflt)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	*out = dflt;
	if (!v || cJSON_IsNull(v))
		return FERRY_OK;
	if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 4294967295.0 ||
	    v->valuedouble != (double)(uint32_t)v->valuedouble)
		return bad(path, "must be an integer from 0 to 4294967295");
	*out = (uint32_t)v->valuedouble;
	return FERRY_OK;
}

static ferry_err get_guid(struct odj_guid *out, const cJSON *o, const char *k, const char *path)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	memset(out, 0, sizeof(*out));
	if (!v || cJSON_IsNull(v))
		return FERRY_OK;
	if (!cJSON_IsString(v) || odj_guid_parse(out, v->valuestring))
		return bad(path, "must be a GUID");
	return FERRY_OK;
}

static ferry_err parse_sid(struct odj_sid *s, const char *text)
{
	const char *p = text;
	unsigned long long v;
	char *end;

	memset(s, 0, sizeof(*s));
	if (strncmp(p, "S-1-", 4))
		return FERRY_EINVAL;
	p += 4;
	v = strtoull(p, &end, 10);
	if (end == p || v > 0xffffffffffffull)
		return FERRY_EINVAL;
	s->revision = 1;
	for (int i = 0; i < 6; i++)
		s->id_auth[i] = (uint8_t)(v >> (8 * (5 - i)));
	for (p = end; *p; p = end) {
		if (*p != '-' || s->num_auths >= ODJ_MAX_SUB_AUTHS)
			return FERRY_EINVAL;
		v = strtoull(p + 1, &end, 10);
		if (end == p + 1 || v > 0xffffffffull)
			return FERRY_EINVAL;
		s->sub_auths[s->num_auths++] = (uint32_t)v;
	}
	return FERRY_OK;
}

static ferry_err spec_domain(struct odj_win7 *w, const cJSON *d)
{
	const cJSON *sid = cJSON_GetObjectItemCaseSensitive(d, "sid");
	ferry_err rc;

	if (!cJSON_IsObject(d))
		return bad("domain", "must be an object");
	if ((rc = get_str(&w->dns_name, d, "dns_name", "domain.dns_name")) ||
	    (rc = get_str(&w->netbios_name, d, "netbios_name", "domain.netbios_name")) ||
	    (rc = get_str(&w->forest_name, d, "forest_name", "domain.forest_name")) ||
	    (rc = get_str(&w->domain, d, "dns_name", "domain.dns_name")) ||
	    (rc = get_guid(&w->domain_guid, d, "guid", "domain.guid")))
		return rc;
	if (!w->dns_name)
		return bad("domain.dns_name", "is required");
	if (sid && !cJSON_IsNull(sid)) {
		if (!cJSON_IsString(sid) || parse_sid(&w->sid, sid->valuestring))
			return bad("domain.sid", "must be a SID string S-1-...");
		w->has_sid = true;
	}
	return FERRY_OK;
}

static ferry_err spec_password(struct odj_win7 *w, const cJSON *m)
{
	const cJSON *pw = cJSON_GetObjectItemCaseSensitive(m, "password");
	uint16_t *units = NULL;
	size_t n = 0;
	ferry_err rc;

	if (!cJSON_IsString(pw) || !pw->valuestring[0])
		return bad("machine.password", "must be a non-empty string");
	rc = ferry_utf8_to_utf16(&units, &n, pw->valuestring, strlen(pw->valuestring));
	if (rc)
		return bad("machine.password", "is not valid UTF-8");
	rc = ferry_secret_new(&w->machine_password, n * 2);
	for (size_t i = 0; !rc && i < n; i++) {
		w->machine_password->data[2 * i] = (uint8_t)units[i];
		w->machine_password->data[2 * i + 1] = (uint8_t)(units[i] >> 8);
	}
	ferry_wipe(units, n * sizeof(*units));
	ferry_free(units);
	return rc ? odj_oom() : FERRY_OK;
}

static ferry_err spec_dc(struct odj_win7 *w, const cJSON *dc)
{
	ferry_err rc;

	if (!dc || cJSON_IsNull(dc))
		return FERRY_OK;
	if (!cJSON_IsObject(dc))
		return bad("dc", "must be an object");
	if ((rc = get_str(&w->dc.name, dc, "name", "dc.name")) ||
	    (rc = get_str(&w->dc.address, dc, "address", "dc.address")) ||
	    (rc = get_u32(&w->dc.address_type, dc, "address_type", "dc.address_type", 1)) ||
	    (rc = get_guid(&w->dc.domain_guid, dc, "guid", "dc.guid")) ||
	    (rc = get_str(&w->dc.domain_name, dc, "domain_name", "dc.domain_name")) ||
	    (rc = get_str(&w->dc.forest_name, dc, "forest_name", "dc.forest_name")) ||
	    (rc = get_u32(&w->dc.flags, dc, "flags", "dc.flags", 0)) ||
	    (rc = get_str(&w->dc.site, dc, "site", "dc.site")) ||
	    (rc = get_str(&w->dc.client_site, dc, "client_site", "dc.client_site")))
		return rc;
	return FERRY_OK;
}

static ferry_err spec_win7(struct odj_win7 **out, const cJSON *spec)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(spec, "machine");
	struct odj_win7 *w = ferry_calloc(1, sizeof(*w));
	ferry_err rc;

	if (!w)
		return odj_oom();
	/* Windows refuses a zero here; Samba writes all ones. */
	w->reserved = 0xffffffffu;
	rc = spec_domain(w, cJSON_GetObjectItemCaseSensitive(spec, "domain"));
	if (!rc && !cJSON_IsObject(m))
		rc = bad("machine", "must be an object");
	if (!rc)
		rc = get_str(&w->machine_name, m, "name", "machine.name");
	if (!rc && !w->machine_name)
		rc = bad("machine.name", "is required");
	if (!rc)
		rc = spec_password(w, m);
	if (!rc)
		rc = spec_dc(w, cJSON_GetObjectItemCaseSensitive(spec, "dc"));
	if (!rc)
		rc = get_u32(&w->options, spec, "options", "options", 0);
	if (rc) {
		odj_win7_free(w);
		return rc;
	}
	*out = w;
	return FERRY_OK;
}

/* Deep copy of a WIN7 blob (the WIN8 join part carries its own). */
static ferry_err win7_copy(struct odj_win7 **out, const struct odj_win7 *s)
{
	struct odj_win7 *w = ferry_calloc(1, sizeof(*w));
	const char *src[] = { s->domain, s->machine_name, s->netbios_name, s->dns_name,
			      s->forest_name, s->dc.name, s->dc.address, s->dc.domain_name,
			      s->dc.forest_name, s->dc.site, s->dc.client_site };
	char **dst[11];
	ferry_err rc = FERRY_OK;

	if (!w)
		return odj_oom();
	*w = *s;
	dst[0] = &w->domain, dst[1] = &w->machine_name, dst[2] = &w->netbios_name;
	dst[3] = &w->dns_name, dst[4] = &w->forest_name, dst[5] = &w->dc.name;
	dst[6] = &w->dc.address, dst[7] = &w->dc.domain_name, dst[8] = &w->dc.forest_name;
	dst[9] = &w->dc.site, dst[10] = &w->dc.client_site;
	w->machine_password = NULL;
	for (size_t i = 0; i < 11; i++) {
		*dst[i] = src[i] ? ferry_strdup(src[i]) : NULL;
		if (src[i] && !*dst[i])
			rc = odj_oom();
	}
	if (!rc && s->machine_password &&
	    ferry_secret_from(&w->machine_password, s->machine_password->data, s->machine_password->len))
		rc = odj_oom();
	if (rc) {
		odj_win7_free(w);
		return rc;
	}
	*out = w;
	return FERRY_OK;
}

static ferry_err spec_prov2(struct odj_prov2 **out, const cJSON *o)
{
	struct odj_prov2 *p = ferry_calloc(1, sizeof(*p));
	ferry_err rc;

	if (!p)
		return odj_oom();
	if ((rc = get_u32(&p->flags, o, "flags", "provider2.flags", 0)) ||
	    (rc = get_str(&p->netbios_name, o, "netbios_name", "provider2.netbios_name")) ||
	    (rc = get_str(&p->site, o, "site", "provider2.site")) ||
	    (rc = get_str(&p->primary_dns_domain, o, "primary_dns_domain",
			  "provider2.primary_dns_domain"))) {
		odj_prov2_free(p);
		return rc;
	}
	*out = p;
	return FERRY_OK;
}

static ferry_err spec_prov3(struct odj_prov3 **out, const cJSON *m)
{
	struct odj_prov3 *p = ferry_calloc(1, sizeof(*p));
	ferry_err rc;

	if (!p)
		return odj_oom();
	if ((rc = get_u32(&p->rid, m, "rid", "machine.rid", 0)) ||
	    (rc = get_str(&p->sid, m, "sid", "machine.sid"))) {
		odj_prov3_free(p);
		return rc;
	}
	*out = p;
	return FERRY_OK;
}

static ferry_err add_part(struct odj_blob *b, enum odj_part_type t, uint32_t flags)
{
	struct odj_part *p = &b->parts[b->nparts++];

	p->type = t;
	p->guid = *odj_part_guid(t);
	p->flags = flags;
	return FERRY_OK;
}

static ferry_err spec_win8(struct odj_blob *b, const struct odj_win7 *w, const cJSON *spec)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(spec, "machine");
	const cJSON *p2 = cJSON_GetObjectItemCaseSensitive(spec, "provider2");
	bool want3 = cJSON_GetObjectItemCaseSensitive(m, "rid") || cJSON_GetObjectItemCaseSensitive(m, "sid");
	ferry_err rc;

	b->format = ODJ_FORMAT_WIN8;
	b->parts = ferry_calloc(3, sizeof(*b->parts));
	if (!b->parts)
		return odj_oom();
	add_part(b, ODJ_PART_JOIN_PROVIDER, ODJ_PART_FLAG_ESSENTIAL);
	rc = win7_copy(&b->parts[0].win7, w);
	if (!rc && p2 && !cJSON_IsNull(p2)) {
		if (!cJSON_IsObject(p2))
			return bad("provider2", "must be an object or null");
		add_part(b, ODJ_PART_PROVIDER2, 0);
		rc = spec_prov2(&b->parts[b->nparts - 1].prov2, p2);
	}
	if (!rc && want3) {
		add_part(b, ODJ_PART_PROVIDER3, 0);
		rc = spec_prov3(&b->parts[b->nparts - 1].prov3, m);
	}
	return rc;
}

/* "formats": which blobs to write, in order; default ["win7","win8"]. */
static ferry_err spec_formats(uint32_t fmts[2], size_t *n, const cJSON *spec)
{
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(spec, "formats");
	const cJSON *e;

	*n = 0;
	if (!f) {
		fmts[(*n)++] = ODJ_FORMAT_WIN7;
		fmts[(*n)++] = ODJ_FORMAT_WIN8;
		return FERRY_OK;
	}
	if (!cJSON_IsArray(f))
		return bad("formats", "must be an array");
	cJSON_ArrayForEach(e, f) {
		if (*n >= 2 || !cJSON_IsString(e) ||
		    (strcmp(e->valuestring, "win7") && strcmp(e->valuestring, "win8")))
			return bad("formats", "must list \"win7\" and/or \"win8\" once each");
		fmts[(*n)++] = strcmp(e->valuestring, "win7") ? ODJ_FORMAT_WIN8 : ODJ_FORMAT_WIN7;
	}
	if (*n == 0 || (*n == 2 && fmts[0] == fmts[1]))
		return bad("formats", "must list \"win7\" and/or \"win8\" once each");
	return FERRY_OK;
}

ferry_err odj_provision_from_json(struct odj_provision **out, const cJSON *spec)
{
	struct odj_provision *p = NULL;
	struct odj_win7 *w = NULL;
	uint32_t fmts[2];
	size_t n = 0;
	ferry_err rc;

	*out = NULL;
	if (!cJSON_IsObject(spec))
		return bad("spec", "must be a JSON object");
	rc = spec_formats(fmts, &n, spec);
	if (!rc)
		rc = spec_win7(&w, spec);
	if (rc)
		goto out;
	p = ferry_calloc(1, sizeof(*p));
	if (p)
		p->blobs = ferry_calloc(n, sizeof(*p->blobs));
	if (!p || !p->blobs) {
		rc = odj_oom();
		goto out;
	}
	p->version = 1;
	for (size_t i = 0; i < n && !rc; i++) {
		struct odj_blob *b = &p->blobs[p->nblobs++];

		if (fmts[i] == ODJ_FORMAT_WIN7) {
			b->format = ODJ_FORMAT_WIN7;
			rc = win7_copy(&b->win7, w);
		} else {
			rc = spec_win8(b, w, spec);
		}
	}
out:
	odj_win7_free(w);
	if (rc) {
		odj_provision_free(p);
		return rc;
	}
	*out = p;
	return FERRY_OK;
}
