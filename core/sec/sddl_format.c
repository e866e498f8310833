/* Security descriptor -> canonical SDDL text (coverage and limits in sddl.h). */
#include "sec/sddl.h"

#include <string.h>

#include "sec/sddl_names.h"
#include "util/mem.h"

static ferry_err put_sid(struct ferry_buf *b, const struct sid *s)
{
	const char *alias = sddl_sid_alias_of(s);
	char text[SID_STRING_MAX];

	if (alias)
		return ferry_buf_puts(b, alias);
	sid_format(s, text);
	return ferry_buf_puts(b, text);
}

static ferry_err put_flags(struct ferry_buf *b, uint8_t flags)
{
	uint8_t left = flags;
	ferry_err rc = FERRY_OK;

	for (const struct sddl_name *n = sddl_ace_flags; n->name; n++)
		left &= (uint8_t)~n->value;
	/* Flags without a name (0x20: critical, for instance) force hex. */
	if (left)
		return ferry_buf_printf(b, "0x%x", flags);
	for (const struct sddl_name *n = sddl_ace_flags; rc == FERRY_OK && n->name; n++)
		if (flags & n->value)
			rc = ferry_buf_puts(b, n->name);
	return rc;
}

static ferry_err put_rights(struct ferry_buf *b, uint8_t type, uint32_t mask)
{
	const char *name = sddl_name_of(sddl_rights_composite, mask);
	uint32_t left = mask;
	int label = type == ACE_SYSTEM_MANDATORY_LABEL;
	ferry_err rc = FERRY_OK;

	if (name && !label)
		return ferry_buf_puts(b, name);
	if (label)
		left &= ~(uint32_t)0x7;
	for (const struct sddl_name *n = sddl_rights_single; n->name; n++)
		if (!label || n->value > 0x7)
			left &= ~n->value;
	if (left)
		return ferry_buf_printf(b, "0x%lx", (unsigned long)mask);
	for (const struct sddl_name *n = sddl_rights_single; rc == FERRY_OK && n->name; n++)
		if ((mask & n->value) && (!label || n->value > 0x7))
			rc = ferry_buf_puts(b, n->name);
	for (const struct sddl_name *n = sddl_rights_label; label && rc == FERRY_OK && n->name; n++)
		if (mask & n->value)
			rc = ferry_buf_puts(b, n->name);
	return rc;
}

static ferry_err put_guid(struct ferry_buf *b, const uint8_t g[16])
{
	return ferry_buf_printf(b,
	                        "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	                        "%02x%02x%02x%02x%02x%02x",
	                        g[3], g[2], g[1], g[0], g[5], g[4], g[7], g[6], g[8], g[9], g[10],
	                        g[11], g[12], g[13], g[14], g[15]);
}

static ferry_err put_ace(struct ferry_buf *b, const struct sd_ace *a, size_t index)
{
	const char *type = sddl_name_of(sddl_ace_types, a->type);
	ferry_err rc;

	if (!type || ace_kind_of(a->type) == ACE_KIND_OPAQUE)
		return ferry_error_set(FERRY_EUNSUPPORTED,
		                       "SDDL: ACE %zu has type 0x%02x, which SDDL cannot name",
		                       index, a->type);
	if (a->extra_len)
		return ferry_error_set(FERRY_EUNSUPPORTED,
		                       "SDDL: ACE %zu carries %zu bytes of conditions or claims",
		                       index, a->extra_len);
	if ((rc = ferry_buf_printf(b, "(%s;", type)) != FERRY_OK ||
	    (rc = put_flags(b, a->flags)) != FERRY_OK ||
	    (rc = ferry_buf_puts(b, ";")) != FERRY_OK ||
	    (rc = put_rights(b, a->type, a->mask)) != FERRY_OK ||
	    (rc = ferry_buf_puts(b, ";")) != FERRY_OK)
		return rc;
	if ((a->obj_flags & ACE_OBJECT_TYPE_PRESENT) && (rc = put_guid(b, a->obj_type)) != FERRY_OK)
		return rc;
	if ((rc = ferry_buf_puts(b, ";")) != FERRY_OK)
		return rc;
	if ((a->obj_flags & ACE_INHERITED_OBJECT_TYPE_PRESENT) &&
	    (rc = put_guid(b, a->inh_type)) != FERRY_OK)
		return rc;
	if ((rc = ferry_buf_puts(b, ";")) != FERRY_OK || (rc = put_sid(b, &a->trustee)) != FERRY_OK)
		return rc;
	return ferry_buf_puts(b, ")");
}

static ferry_err put_acl(struct ferry_buf *b, const struct sd_doc *doc, int sacl)
{
	const struct sd_acl *acl = sacl ? doc->sacl : doc->dacl;
	uint16_t present = sacl ? SE_SACL_PRESENT : SE_DACL_PRESENT;
	ferry_err rc = ferry_buf_puts(b, sacl ? "S:" : "D:");

	if (rc == FERRY_OK && (doc->control & (sacl ? SE_SACL_PROTECTED : SE_DACL_PROTECTED)))
		rc = ferry_buf_puts(b, "P");
	if (rc == FERRY_OK &&
	    (doc->control & (sacl ? SE_SACL_AUTO_INHERIT_REQ : SE_DACL_AUTO_INHERIT_REQ)))
		rc = ferry_buf_puts(b, "AR");
	if (rc == FERRY_OK &&
	    (doc->control & (sacl ? SE_SACL_AUTO_INHERITED : SE_DACL_AUTO_INHERITED)))
		rc = ferry_buf_puts(b, "AI");
	if (rc == FERRY_OK && !acl && (doc->control & present))
		return ferry_buf_puts(b, "NO_ACCESS_CONTROL");
	for (size_t i = 0; rc == FERRY_OK && acl && i < acl->count; i++)
		rc = put_ace(b, &acl->aces[i], i);
	return rc;
}

ferry_err sddl_format_doc(struct ferry_buf *b, const struct sd_doc *doc)
{
	ferry_err rc = FERRY_OK;

	if (doc->has_owner && (rc = ferry_buf_puts(b, "O:")) == FERRY_OK)
		rc = put_sid(b, &doc->owner);
	if (rc == FERRY_OK && doc->has_group && (rc = ferry_buf_puts(b, "G:")) == FERRY_OK)
		rc = put_sid(b, &doc->group);
	if (rc == FERRY_OK && (doc->dacl || (doc->control & SE_DACL_PRESENT)))
		rc = put_acl(b, doc, 0);
	if (rc == FERRY_OK && (doc->sacl || (doc->control & SE_SACL_PRESENT)))
		rc = put_acl(b, doc, 1);
	return rc;
}

ferry_err sddl_format(char **out, const uint8_t *sd, size_t len)
{
	struct sd_doc *doc = NULL;
	struct ferry_buf b;
	size_t n;
	ferry_err rc = sd_doc_decode(&doc, sd, len);

	*out = NULL;
	if (rc != FERRY_OK)
		return rc;
	ferry_buf_init(&b, 4 * (size_t)SD_MAX_SIZE);
	/* An SD with no parts formats as "", which still needs a buffer. */
	rc = ferry_buf_puts(&b, "");
	if (rc == FERRY_OK)
		rc = sddl_format_doc(&b, doc);
	sd_doc_free(doc);
	if (rc != FERRY_OK) {
		ferry_buf_free(&b);
		return rc;
	}
	*out = (char *)ferry_buf_detach(&b, &n);
	return FERRY_OK;
}
