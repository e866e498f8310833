/*
 * `ferry dir snapshot`: read one AD domain's users, groups and computers
 * over LDAP into a snapshot (core/dir/snapshot.h). Native only: it uses
 * OpenLDAP's libldap (and Cyrus SASL for GSSAPI); the Windows ferry.exe
 * refuses the command and says where to run it (docs/directory.md).
 *
 * What it trusts from the server: nothing. TLS is required (ldaps://, or
 * ldap:// with StartTLS) and the certificate is verified; every value is
 * bounded (DIR_MAX_VALUE bytes, DIR_MAX_VALUES values, --max-entries
 * entries); paging ends when the server stops sending a cookie, and a server
 * that sends empty pages without end, or more than it was asked, is refused. The
 * bind password comes only from a file, lives in a ferry_secret, and is
 * wiped once the bind is done; it is never printed.
 */
#if !defined(_WIN32) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L /* strcasecmp, struct timeval */
#endif
#include <stdio.h>
#include <string.h>

#include "cli.h"

#ifdef _WIN32
int dir_ldap_snapshot(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "ferry dir snapshot: not in this build: ferry.exe has no LDAP client; run "
	                "`ferry dir snapshot` on the Linux admin host (docs/directory.md)\n");
	return 69;
}
#else

#define LDAP_DEPRECATED 0
#include <ldap.h>
#include <strings.h>
#include <sys/time.h>
#include <sasl/sasl.h>
#include <stdlib.h>
#include <time.h>

#include "cli_keys.h"
#include "dir/snapshot.h"
#include "runbook/rfc3339.h"
#include "sec/sid.h"
#include "util/mem.h"

#define PASSWORD_MAX 1024
#define EMPTY_PAGES_MAX 100

struct snap_args {
	const char *url, *base, *bind_dn, *password_file, *ca_file, *out;
	int gssapi;
	unsigned long page_size, range_size, max_entries, max_values, timeout;
};

struct session {
	LDAP *ld;
	const struct snap_args *a;
	struct dir_snapshot *snap;
	time_t deadline;
	unsigned long entries, pages;
};

static int usage_snapshot(void)
{
	fprintf(stderr,
	        "usage: ferry dir snapshot --ldap URL --base DN\n"
	        "                          [--bind DN --password-file F | --gssapi]\n"
	        "                          [--ca-file PEM] [--page-size N] [--range-size N]\n"
	        "                          [--max-entries N] [--max-values N] [--timeout SECONDS]\n"
	        "                          --out FILE\n"
	        "  URL is ldaps://host or ldap://host (then StartTLS is required).\n");
	return CLI_EXIT_USAGE;
}

static int parse_num(unsigned long *out, const char *s, unsigned long min, unsigned long max)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (!*s || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int parse_args(struct snap_args *a, int argc, char **argv)
{
	memset(a, 0, sizeof(*a));
	a->page_size = 1000; /* AD's MaxPageSize */
	a->max_entries = DIR_MAX_OBJECTS;
	a->max_values = DIR_MAX_VALUES;
	a->timeout = 3600;
	for (int i = 1; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		int bad = 0;

		if (!strcmp(o, "--gssapi")) {
			a->gssapi = 1;
			continue;
		}
		if (!v)
			return -1;
		i++;
		if (!strcmp(o, "--ldap"))
			a->url = v;
		else if (!strcmp(o, "--base"))
			a->base = v;
		else if (!strcmp(o, "--bind"))
			a->bind_dn = v;
		else if (!strcmp(o, "--password-file"))
			a->password_file = v;
		else if (!strcmp(o, "--ca-file"))
			a->ca_file = v;
		else if (!strcmp(o, "--out"))
			a->out = v;
		else if (!strcmp(o, "--page-size"))
			bad = parse_num(&a->page_size, v, 1, 100000);
		else if (!strcmp(o, "--range-size"))
			bad = parse_num(&a->range_size, v, 1, 100000);
		else if (!strcmp(o, "--max-entries"))
			bad = parse_num(&a->max_entries, v, 1, DIR_MAX_OBJECTS);
		else if (!strcmp(o, "--max-values"))
			bad = parse_num(&a->max_values, v, 1, DIR_MAX_VALUES);
		else if (!strcmp(o, "--timeout"))
			bad = parse_num(&a->timeout, v, 1, 86400);
		else
			return -1;
		if (bad)
			return -1;
	}
	if (!a->url || !a->base || !a->out)
		return -1;
	/* Exactly one way to authenticate. */
	if (a->gssapi ? (a->bind_dn || a->password_file) : (!a->bind_dn || !a->password_file))
		return -1;
	return 0;
}

static ferry_err ldap_fail(struct session *s, int code, const char *what)
{
	char *diag = NULL;

	if (s->ld)
		ldap_get_option(s->ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diag);
	ferry_error_set(code == LDAP_TIMEOUT ? FERRY_ETIMEOUT : FERRY_EIO, "LDAP %s: %s%s%.200s", what,
	                ldap_err2string(code), diag && *diag ? ": " : "", diag ? diag : "");
	ldap_memfree(diag);
	return code == LDAP_TIMEOUT ? FERRY_ETIMEOUT : FERRY_EIO;
}

/* ---- connecting -------------------------------------------------------- */

static int sasl_interact(LDAP *ld, unsigned flags, void *defaults, void *in)
{
	sasl_interact_t *it = in;

	(void)ld, (void)flags, (void)defaults;
	/* GSSAPI takes everything from the Kerberos ticket cache: answer defaults. */
	for (; it->id != SASL_CB_LIST_END; it++) {
		it->result = it->defresult ? it->defresult : "";
		it->len = (unsigned)strlen(it->result);
	}
	return LDAP_SUCCESS;
}

static ferry_err bind(struct session *s)
{
	struct ferry_secret *pw = NULL;
	struct berval cred;
	ferry_err rc;
	int lrc;

	if (s->a->gssapi) {
		lrc = ldap_sasl_interactive_bind_s(s->ld, NULL, "GSSAPI", NULL, NULL, LDAP_SASL_QUIET,
		                                   sasl_interact, NULL);
		return lrc == LDAP_SUCCESS ? FERRY_OK : ldap_fail(s, lrc, "GSSAPI bind");
	}
	if ((rc = cli_read_secret_file(&pw, s->a->password_file, PASSWORD_MAX)) != FERRY_OK)
		return rc;
	/* One line: a trailing newline is not part of the password. */
	while (pw->len && (pw->data[pw->len - 1] == '\n' || pw->data[pw->len - 1] == '\r'))
		pw->data[--pw->len] = 0;
	cred.bv_val = (char *)pw->data;
	cred.bv_len = pw->len;
	lrc = ldap_sasl_bind_s(s->ld, s->a->bind_dn, LDAP_SASL_SIMPLE, &cred, NULL, NULL, NULL);
	ferry_secret_free(pw);
	return lrc == LDAP_SUCCESS ? FERRY_OK : ldap_fail(s, lrc, "simple bind");
}

static ferry_err connect_tls(struct session *s)
{
	struct timeval tv = {(time_t)(s->a->timeout < 60 ? s->a->timeout : 60), 0};
	int v3 = LDAP_VERSION3, demand = LDAP_OPT_X_TLS_DEMAND, zero = 0, lrc;
	int ldaps = !strncmp(s->a->url, "ldaps://", 8);

	if (!ldaps && strncmp(s->a->url, "ldap://", 7))
		return ferry_error_set(FERRY_EINVAL, "--ldap: an ldaps:// or ldap:// URL");
	if ((lrc = ldap_initialize(&s->ld, s->a->url)) != LDAP_SUCCESS)
		return ldap_fail(s, lrc, "initialize");
	ldap_set_option(s->ld, LDAP_OPT_PROTOCOL_VERSION, &v3);
	ldap_set_option(s->ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
	ldap_set_option(s->ld, LDAP_OPT_NETWORK_TIMEOUT, &tv);
	ldap_set_option(s->ld, LDAP_OPT_TIMEOUT, &tv);
	ldap_set_option(s->ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand);
	if (s->a->ca_file)
		ldap_set_option(s->ld, LDAP_OPT_X_TLS_CACERTFILE, s->a->ca_file);
	if ((lrc = ldap_set_option(s->ld, LDAP_OPT_X_TLS_NEWCTX, &zero)) != LDAP_OPT_SUCCESS)
		return ldap_fail(s, lrc, "TLS context");
	if (!ldaps && (lrc = ldap_start_tls_s(s->ld, NULL, NULL)) != LDAP_SUCCESS)
		return ldap_fail(s, lrc, "StartTLS (plain LDAP is refused)");
	return bind(s);
}

/* ---- values ------------------------------------------------------------ */

static ferry_err bad_value(const char *dn, const char *attr, const char *why, size_t n)
{
	return ferry_error_set(FERRY_ECORRUPT, "entry %.200s: %.60s: %s (%zu bytes, limit %u)", dn,
	                       attr, why, n, DIR_MAX_VALUE);
}

static ferry_err text_value(char **field, const struct berval *v, const char *dn, const char *attr)
{
	if (v->bv_len > DIR_MAX_VALUE)
		return bad_value(dn, attr, "oversized value", v->bv_len);
	if (dir_object_set(field, v->bv_val, v->bv_len) != FERRY_OK)
		return ferry_error_wrap(FERRY_ECORRUPT, "entry %.200s: %.60s: ", dn, attr);
	return FERRY_OK;
}

static ferry_err sid_value(char *out, const struct berval *v, const char *dn, const char *attr)
{
	struct sid sid;
	size_t used;

	if (sid_from_bytes(&sid, &used, (const uint8_t *)v->bv_val, v->bv_len, 0) != FERRY_OK ||
	    used != v->bv_len)
		return ferry_error_wrap(FERRY_ECORRUPT, "entry %.200s: %.60s: ", dn, attr);
	sid_format(&sid, out);
	return FERRY_OK;
}

static ferry_err number_value(uint64_t *out, const struct berval *v, const char *dn,
                              const char *attr, int signed_ok)
{
	char buf[24];
	char *end;
	long long n;

	if (v->bv_len == 0 || v->bv_len >= sizeof(buf))
		return bad_value(dn, attr, "not a number", v->bv_len);
	memcpy(buf, v->bv_val, v->bv_len);
	buf[v->bv_len] = 0;
	n = strtoll(buf, &end, 10);
	if (*end || (n < 0 && !signed_ok))
		return bad_value(dn, attr, "not a number", v->bv_len);
	/* userAccountControl is a signed 32-bit integer on the wire. */
	*out = n < 0 ? (uint64_t)(uint32_t)n : (uint64_t)n;
	return FERRY_OK;
}

static void guid_format(char out[37], const uint8_t *b)
{
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	         b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6], b[8], b[9], b[10], b[11], b[12],
	         b[13], b[14], b[15]);
}

/* ---- one entry ---------------------------------------------------------- */

/* "member;range=0-1499" -> low, high (UINT64_MAX for '*'); 0 when not ranged. */
static int parse_range(const char *attr, unsigned long *lo, unsigned long *hi)
{
	const char *r = strchr(attr, ';');
	char *end;

	if (!r || strncmp(r, ";range=", 7))
		return 0;
	*lo = strtoul(r + 7, &end, 10);
	if (*end != '-')
		return -1;
	if (!strcmp(end + 1, "*")) {
		*hi = (unsigned long)-1;
		return 1;
	}
	*hi = strtoul(end + 1, &end, 10);
	return *end || *hi < *lo ? -1 : 1;
}

static ferry_err add_values(struct session *s, struct dir_list *l, struct berval **vals,
                            const char *dn, const char *attr)
{
	ferry_err rc = FERRY_OK;

	for (size_t i = 0; rc == FERRY_OK && vals && vals[i]; i++) {
		if (l->n >= s->a->max_values)
			return ferry_error_set(FERRY_ERANGE, "entry %.200s: %.60s: more than %lu values "
			                                     "(--max-values)",
			                       dn, attr, s->a->max_values);
		if (vals[i]->bv_len > DIR_MAX_VALUE)
			return bad_value(dn, attr, "oversized value", vals[i]->bv_len);
		if (dir_list_add(l, vals[i]->bv_val, vals[i]->bv_len) != FERRY_OK)
			rc = ferry_error_wrap(FERRY_ECORRUPT, "entry %.200s: %.60s: ", dn, attr);
	}
	return rc;
}

/*
 * The rest of a ranged member attribute (MS-ADTS 3.1.1.3.1.3.3): ask for
 * "member;range=<next>-*" (or -<next+size-1>) on the entry itself until
 * the server answers a range ending in '*'. Each answer must start where
 * the last one ended, so a server cannot loop us.
 */
static ferry_err fetch_ranges(struct session *s, struct dir_list *l, const char *dn,
                              unsigned long next)
{
	ferry_err rc = FERRY_OK;

	while (rc == FERRY_OK) {
		char want[64], *attrs[2] = {want, NULL}, *a;
		LDAPMessage *res = NULL, *e;
		BerElement *ber = NULL;
		unsigned long lo = 0, hi = 0;
		int lrc, got = 0;

		if (s->a->range_size)
			snprintf(want, sizeof(want), "member;range=%lu-%lu", next,
			         next + s->a->range_size - 1);
		else
			snprintf(want, sizeof(want), "member;range=%lu-*", next);
		lrc = ldap_search_ext_s(s->ld, dn, LDAP_SCOPE_BASE, "(objectClass=*)", attrs, 0, NULL,
		                        NULL, NULL, 0, &res);
		if (lrc != LDAP_SUCCESS) {
			ldap_msgfree(res);
			return ldap_fail(s, lrc, "ranged member read");
		}
		e = ldap_first_entry(s->ld, res);
		for (a = e ? ldap_first_attribute(s->ld, e, &ber) : NULL; a && rc == FERRY_OK;
		     a = ldap_next_attribute(s->ld, e, ber)) {
			if (!strncasecmp(a, "member;", 7) && parse_range(a, &lo, &hi) == 1 && lo == next) {
				struct berval **v = ldap_get_values_len(s->ld, e, a);
				rc = add_values(s, l, v, dn, "member");
				ldap_value_free_len(v);
				got = 1;
			}
			ldap_memfree(a);
		}
		ber_free(ber, 0);
		ldap_msgfree(res);
		if (rc == FERRY_OK && !got)
			rc = ferry_error_set(FERRY_ECORRUPT,
			                     "entry %.200s: member range from %lu missing from the answer",
			                     dn, next);
		if (rc != FERRY_OK || hi == (unsigned long)-1)
			break;
		next = hi + 1;
	}
	return rc;
}

static enum dir_kind kind_of(struct session *s, LDAPMessage *e)
{
	struct berval **v = ldap_get_values_len(s->ld, e, "objectClass");
	enum dir_kind k = 0;

	for (size_t i = 0; v && v[i]; i++) {
		const char *c = v[i]->bv_val;
		size_t n = v[i]->bv_len;

		if (n == 8 && !strncasecmp(c, "computer", 8))
			k = DIR_COMPUTER;
		else if (n == 5 && !strncasecmp(c, "group", 5) && k != DIR_COMPUTER)
			k = DIR_GROUP;
		else if (n == 4 && !strncasecmp(c, "user", 4) && !k)
			k = DIR_USER;
	}
	ldap_value_free_len(v);
	return k;
}

/* One attribute of an entry into o. */
static ferry_err take_attr(struct session *s, struct dir_object *o, const char *a,
                           struct berval **v, const char *dn)
{
	char sid[SID_STRING_MAX], guid[37];
	uint64_t n = 0;
	unsigned long lo, hi;
	ferry_err rc = FERRY_OK;
	int ranged;

	if (!v || !v[0])
		return FERRY_OK;
	if (!strcasecmp(a, "objectSid")) {
		rc = sid_value(sid, v[0], dn, a);
		return rc ? rc : dir_object_set(&o->sid, sid, strlen(sid));
	}
	if (!strcasecmp(a, "objectGUID")) {
		if (v[0]->bv_len != 16)
			return bad_value(dn, a, "not 16 bytes", v[0]->bv_len);
		guid_format(guid, (const uint8_t *)v[0]->bv_val);
		return dir_object_set(&o->guid, guid, 36);
	}
	if (!strcasecmp(a, "sIDHistory")) {
		for (size_t i = 0; rc == FERRY_OK && v[i]; i++) {
			rc = sid_value(sid, v[i], dn, a);
			if (rc == FERRY_OK)
				rc = dir_list_add(&o->sid_history, sid, strlen(sid));
		}
		return rc;
	}
	if (!strcasecmp(a, "sAMAccountName"))
		return text_value(&o->sam, v[0], dn, a);
	if (!strcasecmp(a, "userPrincipalName"))
		return text_value(&o->upn, v[0], dn, a);
	if (!strcasecmp(a, "mail"))
		return text_value(&o->mail, v[0], dn, a);
	if (!strcasecmp(a, "employeeID"))
		return text_value(&o->employee_id, v[0], dn, a);
	if (!strcasecmp(a, "whenChanged"))
		return text_value(&o->when_changed, v[0], dn, a);
	if (!strcasecmp(a, "dNSHostName"))
		return text_value(&o->dns_host_name, v[0], dn, a);
	if (!strcasecmp(a, "operatingSystem"))
		return text_value(&o->os, v[0], dn, a);
	if (!strcasecmp(a, "memberOf"))
		return add_values(s, &o->member_of, v, dn, a);
	if (!strcasecmp(a, "userAccountControl")) {
		rc = number_value(&n, v[0], dn, a, 1);
		o->uac = (uint32_t)n;
		return rc;
	}
	if (!strcasecmp(a, "accountExpires") || !strcasecmp(a, "lastLogonTimestamp")) {
		rc = number_value(&n, v[0], dn, a, 0);
		if (n > INT64_MAX)
			n = INT64_MAX;
		*(!strcasecmp(a, "accountExpires") ? &o->account_expires : &o->last_logon) = (int64_t)n;
		return rc;
	}
	if (!strcasecmp(a, "uSNChanged"))
		return number_value(&o->usn_changed, v[0], dn, a, 0);
	if (!strncasecmp(a, "member", 6) && (a[6] == 0 || a[6] == ';')) {
		ranged = parse_range(a, &lo, &hi);
		if (ranged < 0 || (ranged && lo != 0))
			return ferry_error_set(FERRY_ECORRUPT, "entry %.200s: bad range in \"%.60s\"", dn, a);
		rc = add_values(s, &o->member, v, dn, "member");
		if (rc == FERRY_OK && ranged && hi != (unsigned long)-1)
			rc = fetch_ranges(s, &o->member, dn, hi + 1);
		return rc;
	}
	return FERRY_OK;
}

static ferry_err take_entry(struct session *s, LDAPMessage *e)
{
	enum dir_kind kind = kind_of(s, e);
	struct dir_object *o = NULL;
	BerElement *ber = NULL;
	char *dn = ldap_get_dn(s->ld, e), *a;
	ferry_err rc = FERRY_OK;

	if (!dn)
		return ferry_error_set(FERRY_ECORRUPT, "LDAP: an entry without a DN");
	if (++s->entries > s->a->max_entries)
		rc = ferry_error_set(FERRY_ERANGE, "LDAP: more than %lu entries (--max-entries)",
		                     s->a->max_entries);
	else if (!kind)
		goto out; /* e.g. a contact matched by a broad filter: not a security principal */
	else if (strlen(dn) > DIR_MAX_VALUE)
		rc = bad_value("(DN)", "dn", "oversized DN", strlen(dn));
	if (rc == FERRY_OK)
		rc = dir_snapshot_add(&o, s->snap, kind);
	if (rc == FERRY_OK)
		rc = dir_object_set(&o->dn, dn, strlen(dn));
	for (a = rc == FERRY_OK ? ldap_first_attribute(s->ld, e, &ber) : NULL; a;
	     a = ldap_next_attribute(s->ld, e, ber)) {
		struct berval **v = rc == FERRY_OK ? ldap_get_values_len(s->ld, e, a) : NULL;

		if (rc == FERRY_OK)
			rc = take_attr(s, o, a, v, dn);
		ldap_value_free_len(v);
		ldap_memfree(a);
	}
	ber_free(ber, 0);
out:
	ldap_memfree(dn);
	return rc;
}

/* ---- paging (RFC 2696) --------------------------------------------------- */

static ferry_err page_entries(struct session *s, LDAPMessage *res)
{
	ferry_err rc = FERRY_OK;

	for (LDAPMessage *m = ldap_first_message(s->ld, res); m && rc == FERRY_OK;
	     m = ldap_next_message(s->ld, m)) {
		/* Search references (other partitions) are not followed. */
		if (ldap_msgtype(m) == LDAP_RES_SEARCH_ENTRY)
			rc = take_entry(s, m);
	}
	return rc;
}

/* Read the page control's cookie out of a result; cookie->bv_len 0 means done. */
static ferry_err page_cookie(struct session *s, LDAPMessage *res, struct berval *cookie)
{
	LDAPControl **ctrls = NULL, *pc;
	ber_int_t estimate = 0;
	int err = 0, lrc;
	ferry_err rc = FERRY_OK;

	lrc = ldap_parse_result(s->ld, res, &err, NULL, NULL, NULL, &ctrls, 0);
	if (lrc != LDAP_SUCCESS)
		return ldap_fail(s, lrc, "search result");
	if (err != LDAP_SUCCESS)
		rc = ldap_fail(s, err, "paged search");
	else if (!(pc = ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, ctrls, NULL)))
		rc = ferry_error_set(FERRY_EUNSUPPORTED,
		                     "LDAP: the server ignored the paged-results control (RFC 2696)");
	else if (ldap_parse_pageresponse_control(s->ld, pc, &estimate, cookie) != LDAP_SUCCESS)
		rc = ferry_error_set(FERRY_ECORRUPT, "LDAP: malformed paged-results control");
	ldap_controls_free(ctrls);
	return rc;
}

static ferry_err paged_search(struct session *s)
{
	static const char *const fixed[] = {
	    "objectClass",   "objectSid",          "objectGUID",  "sAMAccountName",
	    "userPrincipalName", "mail",           "employeeID",  "sIDHistory",
	    "userAccountControl", "accountExpires", "memberOf",   "whenChanged",
	    "uSNChanged",    "dNSHostName",        "operatingSystem", "lastLogonTimestamp"};
	char member[64], *attrs[sizeof(fixed) / sizeof(fixed[0]) + 2];
	struct berval cookie = {0, NULL};
	unsigned empty = 0;
	ferry_err rc = FERRY_OK;

	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		attrs[i] = (char *)fixed[i];
	if (s->a->range_size)
		snprintf(member, sizeof(member), "member;range=0-%lu", s->a->range_size - 1);
	else
		snprintf(member, sizeof(member), "member");
	attrs[sizeof(fixed) / sizeof(fixed[0])] = member;
	attrs[sizeof(fixed) / sizeof(fixed[0]) + 1] = NULL;
	do {
		LDAPControl *ctrl = NULL, *ctrls[2] = {NULL, NULL};
		LDAPMessage *res = NULL;
		unsigned long before = s->entries;
		int lrc;

		if (time(NULL) > s->deadline) {
			rc = ferry_error_set(FERRY_ETIMEOUT, "LDAP: snapshot took longer than %lu s (--timeout)",
			                     s->a->timeout);
			break;
		}
		lrc = ldap_create_page_control(s->ld, (ber_int_t)s->a->page_size, &cookie, 0, &ctrl);
		if (lrc != LDAP_SUCCESS) {
			rc = ldap_fail(s, lrc, "page control");
			break;
		}
		ctrls[0] = ctrl;
		lrc = ldap_search_ext_s(s->ld, s->a->base, LDAP_SCOPE_SUBTREE,
		                        "(|(objectClass=user)(objectClass=group))", attrs, 0, ctrls, NULL,
		                        NULL, 0, &res);
		ldap_control_free(ctrl);
		ber_memfree(cookie.bv_val);
		cookie.bv_val = NULL, cookie.bv_len = 0;
		rc = lrc == LDAP_SUCCESS ? page_entries(s, res) : ldap_fail(s, lrc, "paged search");
		if (rc == FERRY_OK)
			rc = page_cookie(s, res, &cookie);
		ldap_msgfree(res);
		s->pages++;
		empty = s->entries == before ? empty + 1 : 0;
		/* Samba repeats one cookie for every page of a search, so a repeated
		 * cookie proves nothing; pages without entries and the entry cap do. */
		if (rc == FERRY_OK && s->entries - before > s->a->page_size)
			rc = ferry_error_set(FERRY_ECORRUPT,
			                     "LDAP: page %lu holds %lu entries, more than the page size %lu",
			                     s->pages, s->entries - before, s->a->page_size);
		else if (rc == FERRY_OK && cookie.bv_len && empty >= EMPTY_PAGES_MAX)
			rc = ferry_error_set(FERRY_ECORRUPT,
			                     "LDAP: %u empty pages in a row that still carry a cookie; "
			                     "refusing to page forever",
			                     empty);
	} while (rc == FERRY_OK && cookie.bv_len);
	ber_memfree(cookie.bv_val);
	return rc;
}

/* ---- the domain ----------------------------------------------------------- */

/* The first value of attr on the object at dn (scope base, optional filter), into out. */
static ferry_err read_one(struct session *s, const char *dn, int scope, const char *filter,
                          const char *attr, char *out, size_t cap, int binary_sid)
{
	char *attrs[2] = {(char *)attr, NULL};
	LDAPMessage *res = NULL, *e;
	struct berval **v = NULL;
	ferry_err rc = FERRY_OK;
	int lrc = ldap_search_ext_s(s->ld, dn, scope, filter, attrs, 0, NULL, NULL, NULL, 2, &res);

	if (lrc != LDAP_SUCCESS) {
		ldap_msgfree(res);
		return ldap_fail(s, lrc, attr);
	}
	e = ldap_first_entry(s->ld, res);
	v = e ? ldap_get_values_len(s->ld, e, attr) : NULL;
	if (!v || !v[0])
		rc = ferry_error_set(FERRY_ENOTFOUND, "LDAP: no %s under %.200s", attr, dn[0] ? dn : "the root DSE");
	else if (binary_sid)
		rc = sid_value(out, v[0], dn, attr);
	else if (v[0]->bv_len >= cap)
		rc = bad_value(dn, attr, "oversized value", v[0]->bv_len);
	else
		memcpy(out, v[0]->bv_val, v[0]->bv_len), out[v[0]->bv_len] = 0;
	ldap_value_free_len(v);
	ldap_msgfree(res);
	return rc;
}

/* "DC=source,DC=test" -> "source.test" */
static ferry_err dns_of(char *out, size_t cap, const char *nc)
{
	size_t n = 0;

	for (const char *p = nc; *p;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (len > 3 && !strncasecmp(p, "DC=", 3)) {
			if (n + len - 3 + 2 > cap)
				return ferry_error_set(FERRY_ERANGE, "LDAP: naming context too long");
			if (n)
				out[n++] = '.';
			memcpy(out + n, p + 3, len - 3);
			n += len - 3;
		}
		p = end ? end + 1 : p + len;
	}
	out[n] = 0;
	return n ? FERRY_OK : ferry_error_set(FERRY_ECORRUPT, "LDAP: no DC= in \"%.200s\"", nc);
}

static ferry_err read_domain(struct session *s)
{
	char nc[DIR_MAX_VALUE + 1], cfg[DIR_MAX_VALUE + 1], v[DIR_MAX_VALUE + 1],
	    filter[DIR_MAX_VALUE + 64], created[RFC3339_BUF];
	ferry_err rc = read_one(s, "", LDAP_SCOPE_BASE, "(objectClass=*)", "highestCommittedUSN", v,
	                        sizeof(v), 0);

	if (rc == FERRY_OK)
		s->snap->highest_usn = strtoull(v, NULL, 10);
	if (rc == FERRY_OK)
		rc = read_one(s, "", LDAP_SCOPE_BASE, "(objectClass=*)", "dsServiceName", v, sizeof(v), 0);
	if (rc == FERRY_OK)
		rc = dir_snapshot_set(s->snap, "server", v);
	if (rc == FERRY_OK)
		rc = read_one(s, "", LDAP_SCOPE_BASE, "(objectClass=*)", "defaultNamingContext", nc,
		              sizeof(nc), 0);
	if (rc == FERRY_OK)
		rc = read_one(s, "", LDAP_SCOPE_BASE, "(objectClass=*)", "configurationNamingContext",
		              cfg, sizeof(cfg), 0);
	if (rc == FERRY_OK)
		rc = read_one(s, nc, LDAP_SCOPE_BASE, "(objectClass=*)", "objectSid", v, sizeof(v), 1);
	if (rc == FERRY_OK)
		rc = dir_snapshot_set(s->snap, "domain_sid", v);
	if (rc == FERRY_OK)
		rc = dns_of(v, sizeof(v), nc);
	if (rc == FERRY_OK)
		rc = dir_snapshot_set(s->snap, "domain", v);
	if (rc == FERRY_OK && strlen(nc) > DIR_MAX_VALUE - 64)
		rc = ferry_error_set(FERRY_ERANGE, "LDAP: naming context too long");
	if (rc == FERRY_OK) {
		/* Naming-context DNs hold no filter metacharacters worth escaping beyond these. */
		if (strpbrk(nc, "()*\\"))
			rc = ferry_error_set(FERRY_ECORRUPT, "LDAP: unexpected characters in \"%.200s\"", nc);
		snprintf(filter, sizeof(filter), "(&(objectClass=crossRef)(nCName=%s))", nc);
	}
	if (rc == FERRY_OK) {
		char partitions[DIR_MAX_VALUE + 32];

		snprintf(partitions, sizeof(partitions), "CN=Partitions,%s", cfg);
		rc = read_one(s, partitions, LDAP_SCOPE_ONELEVEL, filter, "nETBIOSName", v, sizeof(v), 0);
	}
	if (rc == FERRY_OK)
		rc = dir_snapshot_set(s->snap, "netbios", v);
	if (rc == FERRY_OK)
		rc = dir_snapshot_set(s->snap, "base", s->a->base);
	if (rc == FERRY_OK)
		rc = rfc3339_format(created, (int64_t)time(NULL));
	if (rc == FERRY_OK)
		rc = dir_snapshot_set(s->snap, "created", created);
	return rc;
}

int dir_ldap_snapshot(int argc, char **argv)
{
	struct snap_args a;
	struct session s;
	char *text = NULL;
	size_t len = 0;
	time_t t0 = time(NULL);
	ferry_err rc;

	if (parse_args(&a, argc, argv))
		return usage_snapshot();
	memset(&s, 0, sizeof(s));
	s.a = &a;
	s.deadline = t0 + (time_t)a.timeout;
	rc = dir_snapshot_new(&s.snap);
	if (rc == FERRY_OK)
		rc = connect_tls(&s);
	/* The highest USN first: a change made during the read is then seen again next time. */
	if (rc == FERRY_OK)
		rc = read_domain(&s);
	if (rc == FERRY_OK)
		rc = paged_search(&s);
	if (rc == FERRY_OK)
		rc = dir_snapshot_format(&text, &len, s.snap);
	if (rc == FERRY_OK)
		rc = cli_write_file_atomic(a.out, (const uint8_t *)text, len);
	if (rc == FERRY_OK)
		printf("snapshot: %s (%s): %zu objects in %lu pages, highest USN %llu, %zu bytes -> %s\n",
		       s.snap->domain, s.snap->netbios, s.snap->count, s.pages,
		       (unsigned long long)s.snap->highest_usn, len, a.out);
	else
		fprintf(stderr, "ferry dir snapshot: %s\n", ferry_error_detail());
	if (s.ld)
		ldap_unbind_ext_s(s.ld, NULL, NULL);
	ferry_free(text);
	dir_snapshot_free(s.snap);
	return rc == FERRY_OK ? 0 : 1;
}
#endif
