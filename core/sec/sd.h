/*
 * Self-relative security descriptors (MS-DTYP 2.4.6), their ACLs (2.4.5)
 * and ACEs (2.4.4). The byte layout and invariants are drawn at the top of
 * sd.c. Two views of the same bytes:
 *
 *  - the byte-level helpers here (sd_header_parse, ace_trustee, acl_check),
 *    used by the translation engine on its hot path without allocating;
 *  - struct sd_doc, a decoded tree for building descriptors (SDDL, tests,
 *    the benchmark corpus) and for inspecting them.
 */
#ifndef FERRY_SEC_SD_H
#define FERRY_SEC_SD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sec/sid.h"
#include "util/buf.h"
#include "util/err.h"

#define SD_REVISION 1
#define SD_HEADER_SIZE 20
#define ACL_HEADER_SIZE 8
#define ACE_HEADER_SIZE 4
#define ACL_MAX_SIZE 0xFFFFu
#define ACE_MAX_SIZE 0xFFFFu

/* Largest self-relative SD the translation engine can ever produce: a
 * header, two maximal SIDs and two ACLs at their 16-bit size limit. An
 * output buffer of this size never runs short. */
#define SD_MAX_SIZE (SD_HEADER_SIZE + 2 * SID_MAX_BYTES + 2 * ACL_MAX_SIZE)

/* SECURITY_DESCRIPTOR_CONTROL bits (MS-DTYP 2.4.6). */
#define SE_OWNER_DEFAULTED 0x0001
#define SE_GROUP_DEFAULTED 0x0002
#define SE_DACL_PRESENT 0x0004
#define SE_DACL_DEFAULTED 0x0008
#define SE_SACL_PRESENT 0x0010
#define SE_SACL_DEFAULTED 0x0020
#define SE_DACL_TRUSTED 0x0040
#define SE_SERVER_SECURITY 0x0080
#define SE_DACL_AUTO_INHERIT_REQ 0x0100
#define SE_SACL_AUTO_INHERIT_REQ 0x0200
#define SE_DACL_AUTO_INHERITED 0x0400
#define SE_SACL_AUTO_INHERITED 0x0800
#define SE_DACL_PROTECTED 0x1000
#define SE_SACL_PROTECTED 0x2000
#define SE_RM_CONTROL_VALID 0x4000
#define SE_SELF_RELATIVE 0x8000

#define ACL_REVISION 2
#define ACL_REVISION_DS 4

/* ACE types (MS-DTYP 2.4.4.1). */
enum ace_type {
	ACE_ACCESS_ALLOWED = 0x00,
	ACE_ACCESS_DENIED = 0x01,
	ACE_SYSTEM_AUDIT = 0x02,
	ACE_SYSTEM_ALARM = 0x03,
	ACE_ACCESS_ALLOWED_COMPOUND = 0x04,
	ACE_ACCESS_ALLOWED_OBJECT = 0x05,
	ACE_ACCESS_DENIED_OBJECT = 0x06,
	ACE_SYSTEM_AUDIT_OBJECT = 0x07,
	ACE_SYSTEM_ALARM_OBJECT = 0x08,
	ACE_ACCESS_ALLOWED_CALLBACK = 0x09,
	ACE_ACCESS_DENIED_CALLBACK = 0x0A,
	ACE_ACCESS_ALLOWED_CALLBACK_OBJECT = 0x0B,
	ACE_ACCESS_DENIED_CALLBACK_OBJECT = 0x0C,
	ACE_SYSTEM_AUDIT_CALLBACK = 0x0D,
	ACE_SYSTEM_ALARM_CALLBACK = 0x0E,
	ACE_SYSTEM_AUDIT_CALLBACK_OBJECT = 0x0F,
	ACE_SYSTEM_ALARM_CALLBACK_OBJECT = 0x10,
	ACE_SYSTEM_MANDATORY_LABEL = 0x11,
	ACE_SYSTEM_RESOURCE_ATTRIBUTE = 0x12,
	ACE_SYSTEM_SCOPED_POLICY_ID = 0x13,
};

/* ACE flags. */
#define ACE_OBJECT_INHERIT 0x01
#define ACE_CONTAINER_INHERIT 0x02
#define ACE_NO_PROPAGATE_INHERIT 0x04
#define ACE_INHERIT_ONLY 0x08
#define ACE_INHERITED 0x10
#define ACE_SUCCESSFUL_ACCESS 0x40
#define ACE_FAILED_ACCESS 0x80

/* Object ACE flags (the u32 after the mask). */
#define ACE_OBJECT_TYPE_PRESENT 0x1
#define ACE_INHERITED_OBJECT_TYPE_PRESENT 0x2

/* How an ACE body is laid out, and so where its trustee SID is. */
enum ace_kind {
	ACE_KIND_OPAQUE = 0, /* unknown or compound: kept byte for byte, no trustee */
	ACE_KIND_BASIC = 1,  /* mask, SID, then optional application data */
	ACE_KIND_OBJECT = 2, /* mask, object flags, 0-2 GUIDs, SID, optional data */
};

static inline enum ace_kind ace_kind_of(uint8_t type)
{
	/* Bit t of basic/object says which layout type t has. */
	static const uint32_t basic = (1u << 0x00) | (1u << 0x01) | (1u << 0x02) | (1u << 0x03) |
	                              (1u << 0x09) | (1u << 0x0A) | (1u << 0x0D) | (1u << 0x0E) |
	                              (1u << 0x11) | (1u << 0x12) | (1u << 0x13);
	static const uint32_t object = (1u << 0x05) | (1u << 0x06) | (1u << 0x07) | (1u << 0x08) |
	                               (1u << 0x0B) | (1u << 0x0C) | (1u << 0x0F) | (1u << 0x10);

	if (type >= 32)
		return ACE_KIND_OPAQUE;
	if (basic >> type & 1)
		return ACE_KIND_BASIC;
	return (object >> type & 1) ? ACE_KIND_OBJECT : ACE_KIND_OPAQUE;
}

/** Fixed header of a self-relative SD. off[] is indexed by enum sd_part. */
enum sd_part { SD_OWNER = 0, SD_GROUP = 1, SD_SACL = 2, SD_DACL = 3 };
struct sd_header {
	uint8_t revision;
	uint8_t sbz1;
	uint16_t control;
	uint32_t off[4]; /* 0 = absent */
};

/**
 * Read and check the 20-byte header: revision 1, SE_SELF_RELATIVE set, and
 * every non-zero offset at or past the header and inside len. The parts
 * themselves are checked by sd_check / the translation engine.
 */
ferry_err sd_header_parse(struct sd_header *h, const uint8_t *sd, size_t len);

ferry_err ace_bad_layout(const uint8_t *ace, size_t need, size_t size, size_t base);

/**
 * Locate the trustee of the ACE at ace[0..size) (size is its AceSize, already
 * checked to be >= 4 and to fit). Sets *sid_off (from the ACE start) and
 * *sid_len; *sid_off is 0 for opaque ACEs, which have no trustee we touch.
 * base is the ACE's offset in the SD, for error messages. Inline because
 * the translation engine calls it for every ACE; ace_bad_layout is its cold
 * error path.
 */
static inline ferry_err ace_trustee(size_t *sid_off, size_t *sid_len, const uint8_t *ace,
                                    size_t size, size_t base)
{
	size_t off = 8;
	enum ace_kind kind = ace_kind_of(ace[0]);

	if (kind == ACE_KIND_OPAQUE) {
		*sid_off = 0;
		*sid_len = 0;
		return FERRY_OK;
	}
	if (kind == ACE_KIND_OBJECT) {
		uint8_t f;

		if (size < 12)
			return ace_bad_layout(ace, 12, size, base);
		f = ace[8]; /* the low byte of the u32 flags holds both bits */
		off = 12 + ((f & ACE_OBJECT_TYPE_PRESENT) ? 16 : 0) +
		      ((f & ACE_INHERITED_OBJECT_TYPE_PRESENT) ? 16 : 0);
	}
	if (off > size)
		return ace_bad_layout(ace, off, size, base);
	*sid_off = off;
	return sid_check_bytes(sid_len, ace + off, size - off, base + off);
}

/**
 * Check the ACL at sd[off..len): header, revision 2..4, size inside the
 * buffer, and every ACE (size a multiple of 4, inside the ACL, trustee
 * valid). Sets *acl_size to its AclSize.
 */
ferry_err acl_check(size_t *acl_size, const uint8_t *sd, size_t len, size_t off);

/** Check a whole self-relative SD: header, owner, group, SACL, DACL. */
ferry_err sd_check(const uint8_t *sd, size_t len);

/* --- the decoded tree ------------------------------------------------- */

struct sd_ace {
	uint8_t type;
	uint8_t flags;
	uint32_t mask;      /* basic and object kinds */
	uint32_t obj_flags; /* object kind: ACE_*_TYPE_PRESENT */
	uint8_t obj_type[16];
	uint8_t inh_type[16];
	struct sid trustee; /* basic and object kinds */
	/* Basic/object kinds: bytes after the SID (callback application data,
	 * resource attribute claims). Opaque kind: everything after the 4-byte
	 * header. Owned by the ACE. */
	uint8_t *extra;
	size_t extra_len;
};

struct sd_acl {
	uint8_t revision;
	size_t count;
	size_t cap;
	struct sd_ace *aces;
};

struct sd_doc {
	uint8_t revision;
	uint8_t sbz1;
	uint16_t control;
	bool has_owner, has_group;
	struct sid owner, group;
	struct sd_acl *sacl; /* NULL = absent */
	struct sd_acl *dacl; /* NULL = absent (a NULL DACL if SE_DACL_PRESENT) */
};

/** A new empty descriptor (revision 1, SE_SELF_RELATIVE). Free with sd_doc_free. */
ferry_err sd_doc_new(struct sd_doc **out);

/** Decode a self-relative SD; every check of sd_check applies. */
ferry_err sd_doc_decode(struct sd_doc **out, const uint8_t *sd, size_t len);

/**
 * Append the self-relative form to out, parts in Windows' order (SACL, DACL,
 * owner, group). An ACE or ACL beyond 64 KiB, or an ACE whose size is not a
 * multiple of 4, is FERRY_ERANGE / FERRY_EINVAL.
 */
ferry_err sd_doc_encode(struct ferry_buf *out, const struct sd_doc *doc);

/** Free a descriptor and everything it owns; NULL-safe. */
void sd_doc_free(struct sd_doc *doc);

/** A new empty ACL of the given revision. */
ferry_err sd_acl_new(struct sd_acl **out, uint8_t revision);

/** Append a copy of ace (its extra bytes are copied too). */
ferry_err sd_acl_append(struct sd_acl *acl, const struct sd_ace *ace);

/** Free an ACL and its ACEs; NULL-safe. */
void sd_acl_free(struct sd_acl *acl);

/** Encoded size of one ACE. */
size_t sd_ace_size(const struct sd_ace *ace);

#endif
