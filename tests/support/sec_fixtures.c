/* Shared builders for the core/sec suites (see sec_fixtures.h). */
#include "sec_fixtures.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "util/buf.h"
#include "util/mem.h"

struct sid fix_sid(const char *s)
{
	struct sid out;

	assert_int_equal(sid_from_string(&out, s, strlen(s)), FERRY_OK);
	return out;
}

struct sd_ace fix_ace(uint8_t type, uint8_t flags, uint32_t mask, const char *sid)
{
	struct sd_ace a;

	memset(&a, 0, sizeof(a));
	a.type = type;
	a.flags = flags;
	a.mask = mask;
	a.trustee = fix_sid(sid);
	return a;
}

struct sec_table *fix_table(void)
{
	struct sec_table *t = NULL;

	assert_int_equal(sec_table_new(&t), FERRY_OK);
	assert_int_equal(sec_table_add(t, FIX_SRC_USER, FIX_DST_USER, "SRC\\jdoe", "DST\\jdoe", 1),
	                 FERRY_OK);
	assert_int_equal(sec_table_add(t, FIX_SRC_GROUP, FIX_DST_GROUP, NULL, NULL, 2), FERRY_OK);
	assert_int_equal(sec_table_finish(t), FERRY_OK);
	return t;
}

uint8_t *fix_encode(struct sd_doc *doc, size_t *len)
{
	struct ferry_buf b;
	uint8_t *p;

	ferry_buf_init(&b, SD_MAX_SIZE);
	assert_int_equal(sd_doc_encode(&b, doc), FERRY_OK);
	sd_doc_free(doc);
	p = ferry_buf_detach(&b, len);
	assert_non_null(p);
	return p;
}

static void add(struct sd_acl *acl, const struct sd_ace *a)
{
	assert_int_equal(sd_acl_append(acl, a), FERRY_OK);
}

static void fill_dacl(struct sd_acl *d)
{
	static uint8_t app[8] = {'a', 'r', 't', 'x', 1, 2, 3, 4};
	static uint8_t opaque[12] = {0xA5, 0x5A, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
	struct sd_ace a = fix_ace(ACE_ACCESS_DENIED, 0, 0x40, "S-1-1-0");

	add(d, &a);
	a = fix_ace(ACE_ACCESS_ALLOWED, 0x03, 0x1F01FF, FIX_SRC_USER);
	add(d, &a);
	a = fix_ace(ACE_ACCESS_ALLOWED_OBJECT, 0x02, 0x30, FIX_SRC_GROUP);
	a.obj_flags = ACE_OBJECT_TYPE_PRESENT | ACE_INHERITED_OBJECT_TYPE_PRESENT;
	for (int i = 0; i < 16; i++) {
		a.obj_type[i] = (uint8_t)(0x10 + i);
		a.inh_type[i] = (uint8_t)(0xE0 + i);
	}
	add(d, &a);
	a = fix_ace(ACE_ACCESS_ALLOWED_CALLBACK, 0x00, 0x120089, FIX_SRC_USER);
	a.extra = app;
	a.extra_len = sizeof(app);
	add(d, &a);
	a = fix_ace(ACE_ACCESS_ALLOWED, 0x13, 0x1200A9, FIX_SRC_USER);
	add(d, &a);
	a = fix_ace(ACE_ACCESS_ALLOWED, 0x00, 0x1F01FF, "S-1-5-18");
	add(d, &a);
	memset(&a, 0, sizeof(a));
	a.type = ACE_ACCESS_ALLOWED_COMPOUND;
	a.extra = opaque;
	a.extra_len = sizeof(opaque);
	add(d, &a);
	a.type = 0x42;
	add(d, &a);
}

static void fill_sacl(struct sd_acl *s)
{
	static uint8_t claim[12] = {0x10, 0, 0, 0, 0x01, 0, 0, 0, 0xFA, 0xCE, 0, 0};
	struct sd_ace a = fix_ace(ACE_SYSTEM_AUDIT, 0xC0, 0x10000, FIX_SRC_USER);

	add(s, &a);
	a = fix_ace(ACE_SYSTEM_MANDATORY_LABEL, 0x03, 0x1, "S-1-16-4096");
	add(s, &a);
	a = fix_ace(ACE_SYSTEM_RESOURCE_ATTRIBUTE, 0x00, 0, "S-1-1-0");
	a.extra = claim;
	a.extra_len = sizeof(claim);
	add(s, &a);
	a = fix_ace(ACE_SYSTEM_SCOPED_POLICY_ID, 0x00, 0, "S-1-17-1");
	add(s, &a);
}

struct sd_doc *fix_every_kind(void)
{
	struct sd_doc *doc = NULL;

	assert_int_equal(sd_doc_new(&doc), FERRY_OK);
	doc->control |=
	    SE_DACL_PRESENT | SE_SACL_PRESENT | SE_DACL_AUTO_INHERITED | SE_DACL_PROTECTED;
	doc->has_owner = doc->has_group = true;
	doc->owner = fix_sid(FIX_SRC_USER);
	doc->group = fix_sid(FIX_SRC_GROUP);
	assert_int_equal(sd_acl_new(&doc->dacl, ACL_REVISION_DS), FERRY_OK);
	assert_int_equal(sd_acl_new(&doc->sacl, ACL_REVISION), FERRY_OK);
	fill_dacl(doc->dacl);
	fill_sacl(doc->sacl);
	return doc;
}
