/* The device's identity mapping: see idmap.h for the rows and invariants. */
#include "net/idmap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipc/authz.h"
#include "net/catalog.h"
#include "net/signed.h"
#include "runbook/runbook.h"
#include "sec/table.h"
#include "util/mem.h"

static const char *const kind_names[] = { "user", "group", "computer", NULL };
/* sAMAccountName limits: users 20, groups 256, computers 15 + '$'. */
static const size_t kind_sam_max[] = { 20, 256, 16 };

const char *idmap_kind_name(enum idmap_kind k)
{
	return (unsigned)k < 3 ? kind_names[k] : "?";
}

static ferry_err get_sid(struct sid *out, const cJSON *e, const char *k, const char *what,
			 size_t i)
{
	const char *s = signed_get_text(e, k, SID_STRING_MAX);

	if (!s || sid_from_string(out, s, strlen(s)) || !sid_is_account(out))
		return ferry_error_set(FERRY_ECORRUPT, "%s: /identity_map/%zu/%s must be a "
				       "domain account SID (S-1-5-21-...)", what, i, k);
	return FERRY_OK;
}

static ferry_err read_kind(struct idmap_entry *m, const cJSON *e, const char *what,
			   const char *where)
{
	const char *kind = signed_get_text(e, "kind", 16);
	size_t k = 0;

	while (kind && kind_names[k] && strcmp(kind_names[k], kind))
		k++;
	if (!kind || !kind_names[k])
		return ferry_error_set(FERRY_ECORRUPT, "%s: %s/kind must be user, group or "
				       "computer", what, where);
	m->kind = (enum idmap_kind)k;
	m->target_sam = signed_get_text(e, "target_sam", 256);
	if (!m->target_sam || rb_check_account_max(m->target_sam, kind_sam_max[k]))
		return ferry_error_set(FERRY_ECORRUPT, "%s: %s/target_sam: %s", what, where,
				       m->target_sam ? rb_check_account_max(m->target_sam,
									    kind_sam_max[k])
						     : "required text");
	return FERRY_OK;
}

/* One row, typed. */
static ferry_err read_entry(struct idmap_entry *m, const cJSON *e, size_t i,
			    const struct catalog *cat, const char *what)
{
	static const char *const keys[] = { "source_sid", "target_sid", "kind", "target_sam",
					     "target_upn", "netbios_domain", "dns_domain", NULL };
	const cJSON *upn = cJSON_GetObjectItemCaseSensitive(e, "target_upn");
	char where[40];
	ferry_err rc;

	snprintf(where, sizeof(where), "/identity_map/%zu", i);
	if (!cJSON_IsObject(e))
		return ferry_error_set(FERRY_ECORRUPT, "%s: %s must be an object", what, where);
	if ((rc = signed_only_known(e, keys, what, where)) ||
	    (rc = get_sid(&m->source_sid, e, "source_sid", what, i)) ||
	    (rc = get_sid(&m->target_sid, e, "target_sid", what, i)) ||
	    (rc = read_kind(m, e, what, where)))
		return rc;
	m->target_upn = cJSON_IsString(upn) && !*upn->valuestring ? ""
			: signed_get_text(e, "target_upn", 1024);
	if (!m->target_upn || (*m->target_upn && (!strchr(m->target_upn, '@') ||
						  strchr(m->target_upn, '@') !=
							  strrchr(m->target_upn, '@'))))
		return ferry_error_set(FERRY_ECORRUPT, "%s: %s/target_upn must be \"\" or "
				       "name@suffix", what, where);
	m->netbios_domain = signed_get_text(e, "netbios_domain", 15);
	if (!m->netbios_domain || strpbrk(m->netbios_domain, "\\/:*?\"<>|. "))
		return ferry_error_set(FERRY_ECORRUPT, "%s: %s/netbios_domain must be a "
				       "NetBIOS domain name (1-15 characters)", what, where);
	m->dns_domain = signed_get_text(e, "dns_domain", 253);
	if (!m->dns_domain || rb_check_domain(m->dns_domain))
		return ferry_error_set(FERRY_ECORRUPT, "%s: %s/dns_domain must be a DNS "
				       "domain name", what, where);
	if (cat && catalog_check_target(cat, m->dns_domain, NULL))
		return ferry_error_wrap(FERRY_EMISMATCH, "%s: %s: ", what, where);
	return FERRY_OK;
}

static int cmp_sid(const void *x, const void *y)
{
	const struct sid *a = *(const struct sid *const *)x, *b = *(const struct sid *const *)y;

	if (a->authority != b->authority)
		return a->authority < b->authority ? -1 : 1;
	if (a->count != b->count)
		return a->count < b->count ? -1 : 1;
	for (size_t i = 0; i < a->count; i++)
		if (a->sub[i] != b->sub[i])
			return a->sub[i] < b->sub[i] ? -1 : 1;
	return 0;
}

/* Invariant 2, sorted, so 100,000 rows cost n log n, not n^2. */
static ferry_err check_unique_sources(const struct idmap_entry *v, size_t n, const char *what)
{
	const struct sid **s = NULL;
	ferry_err rc = FERRY_OK;

	if (n < 2)
		return FERRY_OK;
	if (!(s = ferry_calloc(n, sizeof(*s))))
		return ferry_error_set(FERRY_ENOMEM, "%s: identity_map", what);
	for (size_t i = 0; i < n; i++)
		s[i] = &v[i].source_sid;
	qsort(s, n, sizeof(*s), cmp_sid);
	for (size_t i = 1; !rc && i < n; i++) {
		if (!cmp_sid(&s[i - 1], &s[i])) {
			char t[SID_STRING_MAX];

			sid_format(s[i], t);
			rc = ferry_error_set(FERRY_ECORRUPT, "%s: /identity_map maps %s twice", what, t);
		}
	}
	ferry_free(s);
	return rc;
}

ferry_err idmap_rows_read(struct idmap_entry **out, size_t *n, const cJSON *rows,
			  const struct catalog *cat, const char *what)
{
	size_t cnt = cJSON_IsArray(rows) ? (size_t)cJSON_GetArraySize(rows) : 0, i = 0;
	struct idmap_entry *v = NULL;
	ferry_err rc = FERRY_OK;

	*out = NULL;
	*n = 0;
	if (!cJSON_IsArray(rows) || cnt > IDMAP_MAX_ROWS)
		return ferry_error_set(FERRY_ECORRUPT, "%s: /identity_map must be an array of at "
				       "most %u rows", what, IDMAP_MAX_ROWS);
	if (cnt && !(v = ferry_calloc(cnt, sizeof(*v))))
		return ferry_error_set(FERRY_ENOMEM, "%s: identity_map", what);
	for (const cJSON *e = rows->child; !rc && e; e = e->next, i++)
		rc = read_entry(&v[i], e, i, cat, what);
	if (!rc)
		rc = check_unique_sources(v, cnt, what);
	if (rc) {
		ferry_free(v);
		return rc;
	}
	*out = v;
	*n = cnt;
	return FERRY_OK;
}

static ferry_err build_table(struct idmap *m, const char *what)
{
	char src[SID_STRING_MAX], dst[SID_STRING_MAX], name[300];
	ferry_err rc = sec_table_new(&m->table);

	for (size_t i = 0; !rc && i < m->n; i++) {
		sid_format(&m->v[i].source_sid, src);
		sid_format(&m->v[i].target_sid, dst);
		idmap_entry_account(&m->v[i], name, sizeof(name));
		rc = sec_table_add(m->table, src, dst, NULL, name, (unsigned)i);
	}
	if (!rc)
		rc = sec_table_finish(m->table);
	if (rc)
		return ferry_error_wrap(rc, "%s: /identity_map: ", what);
	return FERRY_OK;
}

ferry_err idmap_new(struct idmap **out, const cJSON *rows, const char *what)
{
	struct idmap *m = ferry_calloc(1, sizeof(*m));
	ferry_err rc;

	*out = NULL;
	if (!m)
		return ferry_error_set(FERRY_ENOMEM, "%s: identity_map", what);
	if (!(m->rows = cJSON_Duplicate(rows, 1)) && rows)
		rc = ferry_error_set(FERRY_ENOMEM, "%s: identity_map", what);
	else
		rc = idmap_rows_read(&m->v, &m->n, m->rows, NULL, what);
	if (!rc)
		rc = build_table(m, what);
	if (rc) {
		idmap_free(m);
		return rc;
	}
	*out = m;
	return FERRY_OK;
}

const struct idmap_entry *idmap_by_source(const struct idmap *m, const char *sid)
{
	uint8_t b[SID_MAX_BYTES];
	const struct sec_table_entry *e;
	struct sid s;
	size_t len;

	if (!m || !m->table || !sid || sid_from_string(&s, sid, strlen(sid)))
		return NULL;
	len = sid_to_bytes(&s, b);
	e = sec_table_lookup(m->table, b, len);
	return e ? &m->v[e - m->table->entries] : NULL; /* added in row order */
}

bool idmap_entry_names(const struct idmap_entry *e, const char *user, const char *domain)
{
	struct ipc_authz_account a;

	if (!e)
		return false;
	a.sam = e->target_sam;
	a.upn = e->target_upn;
	a.netbios_domain = e->netbios_domain;
	a.dns_domain = e->dns_domain;
	return ipc_authz_names(&a, user, domain); /* the one rule, core/ipc/authz.h */
}

void idmap_entry_account(const struct idmap_entry *e, char *out, size_t cap)
{
	snprintf(out, cap, "%s\\%s", e->netbios_domain, e->target_sam);
}

static ferry_err push(struct idmap_profile **v, size_t *n, const char *src,
		      const struct idmap_entry *row)
{
	struct idmap_profile *g = ferry_realloc_array(*v, *n + 1, sizeof(**v));

	if (!g)
		return ferry_error_set(FERRY_ENOMEM, "identity mapping: profiles");
	*v = g;
	memset(&g[*n], 0, sizeof(g[*n]));
	snprintf(g[*n].source_sid, sizeof(g[*n].source_sid), "%s", src);
	if (row)
		sid_format(&row->target_sid, g[*n].target_sid);
	g[*n].row = row;
	(*n)++;
	return FERRY_OK;
}

ferry_err idmap_profiles(struct idmap_profiles *out, const struct idmap *m,
			 const char *const *sids, size_t n)
{
	ferry_err rc = FERRY_OK;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; !rc && i < n; i++) {
		const struct idmap_entry *e = idmap_by_source(m, sids[i]);
		char canon[SID_STRING_MAX];
		struct sid s;

		if (!sids[i] || sid_from_string(&s, sids[i], strlen(sids[i])) || !sid_is_account(&s))
			continue;
		sid_format(&s, canon);
		if (e && e->kind == IDMAP_USER)
			rc = push(&out->mapped, &out->n_mapped, canon, e);
		else
			rc = push(&out->unmapped, &out->n_unmapped, canon, NULL);
	}
	if (rc)
		idmap_profiles_clear(out);
	return rc;
}

void idmap_profiles_clear(struct idmap_profiles *p)
{
	ferry_free(p->mapped);
	ferry_free(p->unmapped);
	memset(p, 0, sizeof(*p));
}

/* A sec_table used as a set of SIDs: every member maps to this well-known
 * SID, which no account SID equals. */
#define SET_ONLY "S-1-5-18"

ferry_err idmap_report_check(const cJSON *body, size_t *n)
{
	static const char *const keys[] = { "profiles", NULL };
	const cJSON *list = cJSON_IsObject(body) ? cJSON_GetObjectItemCaseSensitive(body, "profiles")
						 : NULL;
	struct sec_table *seen = NULL;
	size_t i = 0;
	ferry_err rc;

	*n = 0;
	if (!cJSON_IsObject(body) || (rc = signed_only_known(body, keys, "profiles", "")))
		return ferry_error_set(FERRY_ECORRUPT, "profiles: the body must be "
				       "{\"profiles\": [SID, ...]}");
	if (!cJSON_IsArray(list) || (size_t)cJSON_GetArraySize(list) > IDMAP_MAX_PROFILES)
		return ferry_error_set(FERRY_ECORRUPT, "profiles: /profiles must be an array of at "
				       "most %u SIDs", IDMAP_MAX_PROFILES);
	if ((rc = sec_table_new(&seen)))
		return rc;
	for (const cJSON *e = list->child; !rc && e; e = e->next, i++) {
		struct sid s;

		if (!cJSON_IsString(e) || strlen(e->valuestring) >= SID_STRING_MAX ||
		    sid_from_string(&s, e->valuestring, strlen(e->valuestring)) ||
		    !sid_is_account(&s))
			rc = ferry_error_set(FERRY_ECORRUPT, "profiles: /profiles/%zu must be an "
					     "account SID (S-1-5-21-...)", i);
		else if (sec_table_add(seen, e->valuestring, SET_ONLY, NULL, NULL, (unsigned)i))
			rc = ferry_error_set(FERRY_ECORRUPT, "profiles: /profiles/%zu: %s listed "
					     "twice", i, e->valuestring);
	}
	sec_table_free(seen);
	if (!rc)
		*n = i;
	return rc;
}

ferry_err idmap_slice(cJSON **out, const cJSON *rows, const cJSON *report)
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(report, "profiles");
	cJSON *slice = cJSON_CreateArray();
	struct sec_table *want = NULL;
	ferry_err rc = slice ? sec_table_new(&want)
			     : ferry_error_set(FERRY_ENOMEM, "identity map slice");

	*out = NULL;
	for (const cJSON *e = list ? list->child : NULL; !rc && e; e = e->next)
		rc = sec_table_add(want, e->valuestring, SET_ONLY, NULL, NULL, 0);
	for (const cJSON *r = rows ? rows->child : NULL; !rc && r; r = r->next) {
		const char *kind = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "kind"));
		const char *src = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r,
											  "source_sid"));
		uint8_t b[SID_MAX_BYTES];
		struct sid s;
		bool keep = kind && !strcmp(kind, "group");
		cJSON *copy;

		if (!keep && kind && !strcmp(kind, "user") && src &&
		    !sid_from_string(&s, src, strlen(src)))
			keep = sec_table_lookup(want, b, sid_to_bytes(&s, b)) != NULL;
		if (keep && (!(copy = cJSON_Duplicate(r, true)) || !cJSON_AddItemToArray(slice, copy))) {
			cJSON_Delete(copy);
			rc = ferry_error_set(FERRY_ENOMEM, "identity map slice");
		}
	}
	sec_table_free(want);
	if (rc) {
		cJSON_Delete(slice);
		return rc;
	}
	*out = slice;
	return FERRY_OK;
}

void idmap_free(struct idmap *m)
{
	if (!m)
		return;
	sec_table_free(m->table);
	ferry_free(m->v);
	cJSON_Delete(m->rows);
	ferry_free(m);
}
