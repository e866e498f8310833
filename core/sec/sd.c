/*
 * Self-relative security descriptors: the byte-level checks.
 *
 * SECURITY DESCRIPTOR (self-relative, MS-DTYP 2.4.6), all integers LE:
 *
 *   off  size
 *   0    1    Revision            must be 1
 *   1    1    Sbz1                resource-manager control bits; kept as is
 *   2    2    Control             SE_* flags; SE_SELF_RELATIVE (0x8000) required
 *   4    4    OffsetOwner         0 or offset of a SID
 *   8    4    OffsetGroup         0 or offset of a SID
 *   12   4    OffsetSacl          0 or offset of an ACL
 *   16   4    OffsetDacl          0 or offset of an ACL
 *   20   ...  the parts, in any order, each at its offset
 *
 * ACL (2.4.5):
 *
 *   0    1    AclRevision         2 (ACL_REVISION), 3, or 4 (ACL_REVISION_DS)
 *   1    1    Sbz1
 *   2    2    AclSize             header + ACEs (+ slack), >= 8
 *   4    2    AceCount
 *   6    2    Sbz2
 *   8    ...  AceCount ACEs, back to back
 *
 * ACE (2.4.4): a 4-byte header, then a body whose layout the type selects.
 *
 *   0    1    AceType
 *   1    1    AceFlags            OI CI NP IO ID SA FA
 *   2    2    AceSize             header + body, multiple of 4
 *
 *   basic kind (allowed, denied, audit, alarm, their callback variants,
 *   mandatory label, resource attribute, scoped policy id):
 *   4    4    Mask
 *   8    8+4n SID                 the trustee
 *   ...       ApplicationData / attribute claims up to AceSize, kept
 *
 *   object kind (allowed/denied/audit/alarm object and callback object):
 *   4    4    Mask
 *   8    4    Flags               bit 0: ObjectType, bit 1: InheritedObjectType
 *   12   16   ObjectType          only if flag bit 0
 *   ..   16   InheritedObjectType only if flag bit 1
 *   ..   8+4n SID                 the trustee
 *   ...       ApplicationData up to AceSize, kept
 *
 *   opaque kind (compound, and any type this code does not know):
 *   4    ...  AceSize - 4 bytes kept byte for byte; no trustee is read
 *
 * Invariants every accepted SD satisfies (checked here, relied on by the
 * translation engine):
 *   1. len >= 20, Revision == 1, SE_SELF_RELATIVE set.
 *   2. Each non-zero offset is >= 20 and its part lies wholly inside len.
 *   3. A SID has revision 1, at most 15 sub-authorities, 8+4n bytes inside
 *      its container (the SD for owner/group, the ACE for trustees).
 *   4. An ACL's AclSize >= 8 and fits; its AceCount ACEs lie inside AclSize.
 *   5. An ACE's AceSize is >= 4, a multiple of 4, and fits its ACL; a known
 *      kind's fixed fields and trustee fit inside AceSize.
 * Parts may overlap or leave gaps (Windows never writes that, but it is not
 * unsafe to read); an SD the engine rewrites comes out without gaps.
 */
#include "sec/sd.h"

#include "util/bytes.h"

ferry_err sd_header_parse(struct sd_header *h, const uint8_t *sd, size_t len)
{
	static const char *const names[4] = {"owner", "group", "SACL", "DACL"};

	if (len < SD_HEADER_SIZE)
		return ferry_error_set(FERRY_ECORRUPT,
		                       "SD: %zu bytes, shorter than the 20-byte header (offset 0)",
		                       len);
	h->revision = sd[0];
	h->sbz1 = sd[1];
	h->control = get_u16le(sd + 2);
	if (h->revision != SD_REVISION)
		return ferry_error_set(FERRY_ECORRUPT, "SD: revision %u is not 1 (offset 0)",
		                       h->revision);
	if (!(h->control & SE_SELF_RELATIVE))
		return ferry_error_set(FERRY_ECORRUPT,
		                       "SD: control 0x%04x lacks SE_SELF_RELATIVE (offset 2)",
		                       h->control);
	for (int i = 0; i < 4; i++) {
		h->off[i] = get_u32le(sd + 4 + 4 * i);
		if (h->off[i] && (h->off[i] < SD_HEADER_SIZE || h->off[i] >= len))
			return ferry_error_set(FERRY_ECORRUPT,
			                       "SD: %s offset %lu outside %zu..%zu (offset %d)",
			                       names[i], (unsigned long)h->off[i],
			                       (size_t)SD_HEADER_SIZE, len, 4 + 4 * i);
	}
	return FERRY_OK;
}

ferry_err ace_bad_layout(const uint8_t *ace, size_t need, size_t size, size_t base)
{
	return ferry_error_set(
	    FERRY_ECORRUPT, "ACE: type 0x%02x needs %zu bytes before its SID, has %zu (offset %zu)",
	    ace[0], need, size, base);
}

ferry_err acl_check(size_t *acl_size, const uint8_t *sd, size_t len, size_t off)
{
	const uint8_t *acl = sd + off;
	size_t size, count, p = ACL_HEADER_SIZE;

	if (len - off < ACL_HEADER_SIZE)
		return ferry_error_set(FERRY_ECORRUPT, "ACL: truncated header (offset %zu)", off);
	if (acl[0] < 2 || acl[0] > 4)
		return ferry_error_set(FERRY_ECORRUPT, "ACL: revision %u not in 2..4 (offset %zu)",
		                       acl[0], off);
	size = get_u16le(acl + 2);
	count = get_u16le(acl + 4);
	if (size < ACL_HEADER_SIZE || size > len - off)
		return ferry_error_set(FERRY_ECORRUPT, "ACL: size %zu outside 8..%zu (offset %zu)",
		                       size, len - off, off + 2);
	for (size_t i = 0; i < count; i++) {
		size_t ace_size, sid_off = 0, sid_len = 0;
		ferry_err rc;

		if (size - p < ACE_HEADER_SIZE)
			return ferry_error_set(FERRY_ECORRUPT,
			                       "ACL: ACE %zu of %zu overruns the ACL (offset %zu)",
			                       i, count, off + p);
		ace_size = get_u16le(acl + p + 2);
		if (ace_size < ACE_HEADER_SIZE || ace_size % 4 || ace_size > size - p)
			return ferry_error_set(FERRY_ECORRUPT,
			                       "ACE: size %zu invalid or past the ACL (offset %zu)",
			                       ace_size, off + p + 2);
		rc = ace_trustee(&sid_off, &sid_len, acl + p, ace_size, off + p);
		if (rc != FERRY_OK)
			return rc;
		p += ace_size;
	}
	*acl_size = size;
	return FERRY_OK;
}

ferry_err sd_check(const uint8_t *sd, size_t len)
{
	struct sd_header h;
	size_t n = 0;
	ferry_err rc = sd_header_parse(&h, sd, len);

	for (int i = 0; rc == FERRY_OK && i < 4; i++) {
		if (!h.off[i])
			continue;
		if (i == SD_OWNER || i == SD_GROUP)
			rc = sid_check_bytes(&n, sd + h.off[i], len - h.off[i], h.off[i]);
		else
			rc = acl_check(&n, sd, len, h.off[i]);
	}
	return rc;
}
