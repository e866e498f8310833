/* SDDL text -> security descriptor (grammar and limits in sddl.h). */
#include "sec/sddl.h"

#include <string.h>

#include "sec/sddl_names.h"
#include "util/mem.h"
#include "util/hex.h"

struct cursor {
	const char *s;
	size_t len;
	size_t i;
};

static ferry_err bad(const struct cursor *c, size_t at, const char *what)
{
	(void)c;
	return ferry_error_set(FERRY_ECORRUPT, "SDDL: %s (offset %zu)", what, at);
}

static int upper(char ch)
{
	return ch >= 'A' && ch <= 'Z';
}

/* Does a new part ("O:", "G:", "D:", "S:") start at s[i]? */
static int part_start(const struct cursor *c, size_t i)
{
	return i + 1 < c->len && c->s[i + 1] == ':' && strchr("OGDS", c->s[i]) && c->s[i];
}

/* A SID in s[at..at+n): an alias or "S-1-...". */
static ferry_err sid_field(struct sid *out, const char *s, size_t n, size_t at)
{
	ferry_err rc;

	if (n == 2 && upper(s[0]) && upper(s[1])) {
		int r = sddl_sid_alias(out, s);

		if (r > 0)
			return FERRY_OK;
		if (r < 0)
			return ferry_error_set(FERRY_EUNSUPPORTED,
			                       "SDDL: alias %.2s is domain-relative; write its SID "
			                       "(offset %zu)",
			                       s, at);
		return ferry_error_set(FERRY_ECORRUPT, "SDDL: unknown SID alias %.2s (offset %zu)",
		                       s, at);
	}
	rc = sid_from_string(out, s, n);
	if (rc != FERRY_OK)
		return ferry_error_wrap(rc, "SDDL: SID at offset %zu: ", at);
	return FERRY_OK;
}

/* O: and G: values run until the next part or the end. */
static ferry_err owner_sid(struct cursor *c, struct sid *out)
{
	size_t start = c->i;

	while (c->i < c->len && !part_start(c, c->i))
		c->i++;
	return sid_field(out, c->s + start, c->i - start, start);
}

static ferry_err parse_number(uint32_t *out, const char *s, size_t n, size_t at)
{
	uint64_t v = 0;
	size_t i = 0;
	int base = 10;

	if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		i = 2;
	}
	if (i == n)
		return ferry_error_set(FERRY_ECORRUPT, "SDDL: empty number (offset %zu)", at);
	for (; i < n; i++) {
		char ch = s[i];
		int d = ch >= '0' && ch <= '9'                 ? ch - '0'
		        : base == 16 && ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
		        : base == 16 && ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
		                                               : -1;

		if (d < 0)
			return ferry_error_set(FERRY_ECORRUPT, "SDDL: bad digit (offset %zu)",
			                       at + i);
		v = v * (uint64_t)base + (uint64_t)d;
		if (v > 0xFFFFFFFFu)
			return ferry_error_set(FERRY_ECORRUPT,
			                       "SDDL: number beyond 32 bits (offset %zu)", at);
	}
	*out = (uint32_t)v;
	return FERRY_OK;
}

/* A run of 2-letter names from up to three tables, OR-ed; or a number. */
static ferry_err names_field(uint32_t *out, const char *s, size_t n, size_t at,
                             const struct sddl_name *const *tables, const char *what)
{
	*out = 0;
	if (n && s[0] >= '0' && s[0] <= '9')
		return parse_number(out, s, n, at);
	for (size_t i = 0; i < n; i += 2) {
		const struct sddl_name *hit = NULL;

		for (int t = 0; !hit && tables[t]; t++)
			hit = i + 1 < n ? sddl_name_find(tables[t], s + i, 2) : NULL;
		if (!hit)
			return ferry_error_set(FERRY_ECORRUPT,
			                       "SDDL: unknown %s \"%.2s\" (offset %zu)", what,
			                       s + i, at + i);
		*out |= hit->value;
	}
	return FERRY_OK;
}

/* xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx -> the GUID's 16 bytes (LE fields). */
static ferry_err guid_field(uint8_t out[16], const char *s, size_t n, size_t at)
{
	/* Byte order of each hex pair in the text, per GUID field endianness. */
	static const int pos[16] = {3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};
	int k = 0;

	if (n != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-')
		return ferry_error_set(FERRY_ECORRUPT, "SDDL: malformed GUID (offset %zu)", at);
	for (size_t i = 0; i < n; i += 2) {
		int hi, lo;

		if (s[i] == '-')
			i++;
		hi = ferry_hex_digit(s[i]);
		lo = ferry_hex_digit(s[i + 1]);
		if (hi < 0 || lo < 0)
			return ferry_error_set(FERRY_ECORRUPT, "SDDL: malformed GUID (offset %zu)",
			                       at + i);
		out[pos[k++]] = (uint8_t)(hi << 4 | lo);
	}
	return FERRY_OK;
}

/* Split "(...)" at c->i into its ';' fields; on return c->i is past ')'. */
static ferry_err ace_fields(struct cursor *c, size_t start[7], size_t len[7], int *n)
{
	size_t open = c->i++;

	*n = 0;
	start[0] = c->i;
	for (;; c->i++) {
		if (c->i >= c->len)
			return bad(c, open, "ACE without ')'");
		if (c->s[c->i] != ';' && c->s[c->i] != ')')
			continue;
		if (*n == 6)
			return ferry_error_set(FERRY_EUNSUPPORTED,
			                       "SDDL: ACE conditions and claims are not supported "
			                       "(offset %zu)",
			                       start[6]);
		len[*n] = c->i - start[*n];
		(*n)++;
		if (c->s[c->i] == ')')
			break;
		start[*n] = c->i + 1;
	}
	c->i++;
	if (*n < 6)
		return bad(c, open, "ACE needs 6 fields");
	return FERRY_OK;
}

static ferry_err parse_ace(struct cursor *c, struct sd_acl *acl)
{
	static const struct sddl_name *const flag_t[] = {sddl_ace_flags, NULL};
	static const struct sddl_name *const rights_t[] = {
	    sddl_rights_composite, sddl_rights_single, sddl_rights_label, NULL};
	const struct sddl_name *type;
	struct sd_ace a;
	size_t st[7], ln[7];
	uint32_t flags;
	int n;
	ferry_err rc = ace_fields(c, st, ln, &n);

	if (rc != FERRY_OK)
		return rc;
	memset(&a, 0, sizeof(a));
	if (!(type = sddl_name_find(sddl_ace_types, c->s + st[0], ln[0])))
		return bad(c, st[0], "unknown ACE type");
	a.type = (uint8_t)type->value;
	if ((rc = names_field(&flags, c->s + st[1], ln[1], st[1], flag_t, "ACE flag")) != FERRY_OK)
		return rc;
	if (flags > 0xFF)
		return bad(c, st[1], "ACE flags beyond 8 bits");
	a.flags = (uint8_t)flags;
	if ((rc = names_field(&a.mask, c->s + st[2], ln[2], st[2], rights_t, "right")) != FERRY_OK)
		return rc;
	if ((ln[3] || ln[4]) && ace_kind_of(a.type) != ACE_KIND_OBJECT)
		return bad(c, st[3], "object GUID on a non-object ACE");
	if (ln[3]) {
		a.obj_flags |= ACE_OBJECT_TYPE_PRESENT;
		if ((rc = guid_field(a.obj_type, c->s + st[3], ln[3], st[3])) != FERRY_OK)
			return rc;
	}
	if (ln[4]) {
		a.obj_flags |= ACE_INHERITED_OBJECT_TYPE_PRESENT;
		if ((rc = guid_field(a.inh_type, c->s + st[4], ln[4], st[4])) != FERRY_OK)
			return rc;
	}
	if ((rc = sid_field(&a.trustee, c->s + st[5], ln[5], st[5])) != FERRY_OK)
		return rc;
	if (ace_kind_of(a.type) == ACE_KIND_OBJECT)
		acl->revision = ACL_REVISION_DS;
	return sd_acl_append(acl, &a);
}

/* "P", "AI", "AR", "NO_ACCESS_CONTROL", then the ACEs. sacl selects which bits. */
static ferry_err parse_acl(struct cursor *c, struct sd_doc *doc, int sacl)
{
	static const char nac[] = "NO_ACCESS_CONTROL";
	uint16_t p = sacl ? SE_SACL_PROTECTED : SE_DACL_PROTECTED;
	uint16_t ai = sacl ? SE_SACL_AUTO_INHERITED : SE_DACL_AUTO_INHERITED;
	uint16_t ar = sacl ? SE_SACL_AUTO_INHERIT_REQ : SE_DACL_AUTO_INHERIT_REQ;
	struct sd_acl **acl = sacl ? &doc->sacl : &doc->dacl;
	int null_acl = 0;
	ferry_err rc = FERRY_OK;

	doc->control |= sacl ? SE_SACL_PRESENT : SE_DACL_PRESENT;
	while (c->i < c->len && c->s[c->i] != '(' && !part_start(c, c->i)) {
		const char *s = c->s + c->i;
		size_t left = c->len - c->i;

		if (left >= sizeof(nac) - 1 && !memcmp(s, nac, sizeof(nac) - 1)) {
			null_acl = 1;
			c->i += sizeof(nac) - 1;
		} else if (left >= 2 && (!memcmp(s, "AI", 2) || !memcmp(s, "AR", 2))) {
			doc->control |= s[1] == 'I' ? ai : ar;
			c->i += 2;
		} else if (s[0] == 'P') {
			doc->control |= p;
			c->i++;
		} else {
			return bad(c, c->i, "unknown ACL flag");
		}
	}
	if (null_acl) {
		if (c->i < c->len && c->s[c->i] == '(')
			return bad(c, c->i, "ACEs after NO_ACCESS_CONTROL");
		return FERRY_OK;
	}
	if ((rc = sd_acl_new(acl, ACL_REVISION)) != FERRY_OK)
		return rc;
	while (rc == FERRY_OK && c->i < c->len && c->s[c->i] == '(')
		rc = parse_ace(c, *acl);
	return rc;
}

ferry_err sddl_parse_doc(struct sd_doc **out, const char *s, size_t len)
{
	struct cursor c = {s, len, 0};
	struct sd_doc *doc = NULL;
	unsigned seen = 0;
	ferry_err rc;

	*out = NULL;
	if (len > SDDL_MAX_LEN)
		return ferry_error_set(FERRY_ERANGE, "SDDL: longer than %u characters",
		                       SDDL_MAX_LEN);
	if ((rc = sd_doc_new(&doc)) != FERRY_OK)
		return rc;
	while (rc == FERRY_OK && c.i < len) {
		const char *at = strchr("OGDS", s[c.i]);
		unsigned bit;

		if (!part_start(&c, c.i) || !at) {
			rc = bad(&c, c.i, "expected O:, G:, D: or S:");
			break;
		}
		bit = 1u << (at - "OGDS");
		if (seen & bit) {
			rc = bad(&c, c.i, "part given twice");
			break;
		}
		seen |= bit;
		c.i += 2;
		if (*at == 'O' || *at == 'G') {
			rc = owner_sid(&c, *at == 'O' ? &doc->owner : &doc->group);
			*(*at == 'O' ? &doc->has_owner : &doc->has_group) = true;
		} else {
			rc = parse_acl(&c, doc, *at == 'S');
		}
	}
	if (rc != FERRY_OK) {
		sd_doc_free(doc);
		return rc;
	}
	*out = doc;
	return FERRY_OK;
}

ferry_err sddl_parse(uint8_t **out, size_t *out_len, const char *s, size_t len)
{
	struct sd_doc *doc = NULL;
	struct ferry_buf b;
	ferry_err rc = sddl_parse_doc(&doc, s, len);

	*out = NULL;
	*out_len = 0;
	if (rc != FERRY_OK)
		return rc;
	ferry_buf_init(&b, SD_MAX_SIZE);
	rc = sd_doc_encode(&b, doc);
	sd_doc_free(doc);
	if (rc != FERRY_OK) {
		ferry_buf_free(&b);
		return rc;
	}
	*out = ferry_buf_detach(&b, out_len);
	return FERRY_OK;
}
