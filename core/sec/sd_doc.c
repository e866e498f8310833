/*
 * The decoded descriptor tree (struct sd_doc): decoding from and encoding to
 * the self-relative form drawn in sd.c. Not on the translation hot path.
 */
#include "sec/sd.h"

#include <string.h>

#include "util/bytes.h"
#include "util/mem.h"

ferry_err sd_acl_new(struct sd_acl **out, uint8_t revision)
{
	*out = ferry_calloc(1, sizeof(**out));
	if (!*out)
		return ferry_error_set(FERRY_ENOMEM, "ACL: out of memory");
	(*out)->revision = revision;
	return FERRY_OK;
}

void sd_acl_free(struct sd_acl *acl)
{
	if (!acl)
		return;
	for (size_t i = 0; i < acl->count; i++)
		ferry_free(acl->aces[i].extra);
	ferry_free(acl->aces);
	ferry_free(acl);
}

ferry_err sd_acl_append(struct sd_acl *acl, const struct sd_ace *ace)
{
	struct sd_ace *a;

	if (acl->count == acl->cap) {
		size_t cap = acl->cap ? acl->cap * 2 : 8;
		struct sd_ace *p = ferry_realloc_array(acl->aces, cap, sizeof(*p));

		if (!p)
			return ferry_error_set(FERRY_ENOMEM, "ACL: out of memory");
		acl->aces = p;
		acl->cap = cap;
	}
	a = &acl->aces[acl->count];
	*a = *ace;
	a->extra = NULL;
	if (ace->extra_len) {
		a->extra = ferry_malloc(ace->extra_len);
		if (!a->extra)
			return ferry_error_set(FERRY_ENOMEM, "ACL: out of memory");
		memcpy(a->extra, ace->extra, ace->extra_len);
	}
	acl->count++;
	return FERRY_OK;
}

size_t sd_ace_size(const struct sd_ace *ace)
{
	size_t n = ACE_HEADER_SIZE + ace->extra_len;

	switch (ace_kind_of(ace->type)) {
	case ACE_KIND_OPAQUE:
		return n;
	case ACE_KIND_OBJECT:
		n += 4 + ((ace->obj_flags & ACE_OBJECT_TYPE_PRESENT) ? 16 : 0) +
		     ((ace->obj_flags & ACE_INHERITED_OBJECT_TYPE_PRESENT) ? 16 : 0);
		break;
	case ACE_KIND_BASIC:
		break;
	}
	return n + 4 + sid_size(&ace->trustee);
}

ferry_err sd_doc_new(struct sd_doc **out)
{
	*out = ferry_calloc(1, sizeof(**out));
	if (!*out)
		return ferry_error_set(FERRY_ENOMEM, "SD: out of memory");
	(*out)->revision = SD_REVISION;
	(*out)->control = SE_SELF_RELATIVE;
	return FERRY_OK;
}

void sd_doc_free(struct sd_doc *doc)
{
	if (!doc)
		return;
	sd_acl_free(doc->sacl);
	sd_acl_free(doc->dacl);
	ferry_free(doc);
}

/* Decode one ACE already checked by acl_check. */
static void decode_ace(struct sd_ace *a, const uint8_t *p, size_t size)
{
	size_t sid_off = 0, sid_len = 0, used;

	memset(a, 0, sizeof(*a));
	a->type = p[0];
	a->flags = p[1];
	/* acl_check already validated the trustee, so these cannot fail. */
	(void)ace_trustee(&sid_off, &sid_len, p, size, 0);
	if (!sid_off) {
		a->extra = (uint8_t *)(uintptr_t)(p + ACE_HEADER_SIZE);
		a->extra_len = size - ACE_HEADER_SIZE;
		return;
	}
	a->mask = get_u32le(p + 4);
	if (ace_kind_of(a->type) == ACE_KIND_OBJECT) {
		size_t g = 12;

		a->obj_flags = get_u32le(p + 8);
		if (a->obj_flags & ACE_OBJECT_TYPE_PRESENT) {
			memcpy(a->obj_type, p + g, 16);
			g += 16;
		}
		if (a->obj_flags & ACE_INHERITED_OBJECT_TYPE_PRESENT)
			memcpy(a->inh_type, p + g, 16);
	}
	(void)sid_from_bytes(&a->trustee, &used, p + sid_off, sid_len, 0);
	a->extra = (uint8_t *)(uintptr_t)(p + sid_off + sid_len);
	a->extra_len = size - sid_off - sid_len;
}

static ferry_err decode_acl(struct sd_acl **out, const uint8_t *sd, size_t len, size_t off)
{
	size_t size, p = off + ACL_HEADER_SIZE, count;
	ferry_err rc = acl_check(&size, sd, len, off);

	if (rc != FERRY_OK)
		return rc;
	if ((rc = sd_acl_new(out, sd[off])) != FERRY_OK)
		return rc;
	count = get_u16le(sd + off + 4);
	for (size_t i = 0; i < count && rc == FERRY_OK; i++) {
		struct sd_ace a;
		size_t ace_size = get_u16le(sd + p + 2);

		/* a.extra borrows the input; sd_acl_append copies it. */
		decode_ace(&a, sd + p, ace_size);
		rc = sd_acl_append(*out, &a);
		p += ace_size;
	}
	return rc;
}

ferry_err sd_doc_decode(struct sd_doc **out, const uint8_t *sd, size_t len)
{
	struct sd_header h;
	struct sd_doc *doc = NULL;
	size_t used;
	ferry_err rc;

	*out = NULL;
	if ((rc = sd_check(sd, len)) != FERRY_OK)
		return rc;
	(void)sd_header_parse(&h, sd, len);
	if ((rc = sd_doc_new(&doc)) != FERRY_OK)
		return rc;
	doc->revision = h.revision;
	doc->sbz1 = h.sbz1;
	doc->control = h.control;
	doc->has_owner = h.off[SD_OWNER] != 0;
	doc->has_group = h.off[SD_GROUP] != 0;
	if (doc->has_owner)
		(void)sid_from_bytes(&doc->owner, &used, sd + h.off[SD_OWNER],
		                     len - h.off[SD_OWNER], 0);
	if (doc->has_group)
		(void)sid_from_bytes(&doc->group, &used, sd + h.off[SD_GROUP],
		                     len - h.off[SD_GROUP], 0);
	if (h.off[SD_SACL])
		rc = decode_acl(&doc->sacl, sd, len, h.off[SD_SACL]);
	if (rc == FERRY_OK && h.off[SD_DACL])
		rc = decode_acl(&doc->dacl, sd, len, h.off[SD_DACL]);
	if (rc != FERRY_OK) {
		sd_doc_free(doc);
		return rc;
	}
	*out = doc;
	return FERRY_OK;
}

static ferry_err encode_ace(struct ferry_buf *b, const struct sd_ace *a)
{
	uint8_t tmp[ACE_HEADER_SIZE + 4 + 4 + 32 + SID_MAX_BYTES];
	size_t size = sd_ace_size(a), n = ACE_HEADER_SIZE;
	ferry_err rc;

	if (size > ACE_MAX_SIZE || size % 4)
		return ferry_error_set(size % 4 ? FERRY_EINVAL : FERRY_ERANGE,
		                       "ACE: size %zu is not a multiple of 4 up to 65535", size);
	tmp[0] = a->type;
	tmp[1] = a->flags;
	put_u16le(tmp + 2, (uint16_t)size);
	if (ace_kind_of(a->type) != ACE_KIND_OPAQUE) {
		put_u32le(tmp + n, a->mask);
		n += 4;
	}
	if (ace_kind_of(a->type) == ACE_KIND_OBJECT) {
		put_u32le(tmp + n, a->obj_flags);
		n += 4;
		if (a->obj_flags & ACE_OBJECT_TYPE_PRESENT) {
			memcpy(tmp + n, a->obj_type, 16);
			n += 16;
		}
		if (a->obj_flags & ACE_INHERITED_OBJECT_TYPE_PRESENT) {
			memcpy(tmp + n, a->inh_type, 16);
			n += 16;
		}
	}
	if (ace_kind_of(a->type) != ACE_KIND_OPAQUE)
		n += sid_to_bytes(&a->trustee, tmp + n);
	if ((rc = ferry_buf_append(b, tmp, n)) != FERRY_OK)
		return rc;
	return ferry_buf_append(b, a->extra, a->extra_len);
}

static ferry_err encode_acl(struct ferry_buf *b, const struct sd_acl *acl)
{
	size_t start = b->len, size;
	uint8_t hdr[ACL_HEADER_SIZE] = {0};
	ferry_err rc;

	if (acl->count > 0xFFFF)
		return ferry_error_set(FERRY_ERANGE, "ACL: %zu ACEs, at most 65535", acl->count);
	if ((rc = ferry_buf_append(b, hdr, sizeof(hdr))) != FERRY_OK)
		return rc;
	for (size_t i = 0; i < acl->count; i++)
		if ((rc = encode_ace(b, &acl->aces[i])) != FERRY_OK)
			return rc;
	size = b->len - start;
	if (size > ACL_MAX_SIZE)
		return ferry_error_set(FERRY_ERANGE, "ACL: %zu bytes, at most 65535", size);
	b->data[start] = acl->revision;
	put_u16le(b->data + start + 2, (uint16_t)size);
	put_u16le(b->data + start + 4, (uint16_t)acl->count);
	return FERRY_OK;
}

ferry_err sd_doc_encode(struct ferry_buf *out, const struct sd_doc *doc)
{
	uint8_t hdr[SD_HEADER_SIZE] = {0}, sid[SID_MAX_BYTES];
	size_t start = out->len;
	uint32_t off[4] = {0};
	ferry_err rc;

	hdr[0] = doc->revision;
	hdr[1] = doc->sbz1;
	put_u16le(hdr + 2, doc->control);
	if ((rc = ferry_buf_append(out, hdr, sizeof(hdr))) != FERRY_OK)
		return rc;
	if (doc->sacl) {
		off[SD_SACL] = (uint32_t)(out->len - start);
		if ((rc = encode_acl(out, doc->sacl)) != FERRY_OK)
			return rc;
	}
	if (doc->dacl) {
		off[SD_DACL] = (uint32_t)(out->len - start);
		if ((rc = encode_acl(out, doc->dacl)) != FERRY_OK)
			return rc;
	}
	if (doc->has_owner) {
		off[SD_OWNER] = (uint32_t)(out->len - start);
		if ((rc = ferry_buf_append(out, sid, sid_to_bytes(&doc->owner, sid))) != FERRY_OK)
			return rc;
	}
	if (doc->has_group) {
		off[SD_GROUP] = (uint32_t)(out->len - start);
		if ((rc = ferry_buf_append(out, sid, sid_to_bytes(&doc->group, sid))) != FERRY_OK)
			return rc;
	}
	for (int i = 0; i < 4; i++)
		put_u32le(out->data + start + 4 + 4 * i, off[i]);
	return FERRY_OK;
}
