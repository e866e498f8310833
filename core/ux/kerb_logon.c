/*
 * KERB_INTERACTIVE_UNLOCK_LOGON, x64, self-relative form.
 *
 *  offset  size  field
 *  ------  ----  ----------------------------------------------------------
 *       0     4  Logon.MessageType            (KERB_LOGON_SUBMIT_TYPE, 2 or 7)
 *       4     4  padding (0)                  (aligns the UNICODE_STRINGs to 8)
 *       8     2  Logon.LogonDomainName.Length        (bytes, no NUL)
 *      10     2  Logon.LogonDomainName.MaximumLength (= Length)
 *      12     4  padding (0)
 *      16     8  Logon.LogonDomainName.Buffer        (offset of the text)
 *      24     2  Logon.UserName.Length
 *      26     2  Logon.UserName.MaximumLength
 *      28     4  padding (0)
 *      32     8  Logon.UserName.Buffer
 *      40     2  Logon.Password.Length
 *      42     2  Logon.Password.MaximumLength
 *      44     4  padding (0)
 *      48     8  Logon.Password.Buffer
 *      56     4  LogonId.LowPart   (0)
 *      60     4  LogonId.HighPart  (0)
 *      64     .  domain text, then user text, then password text (UTF-16LE)
 *
 * Invariants:
 *  1. The structure is 64 bytes; every padding byte is zero.
 *  2. Texts follow in the order domain, user, password, with no NULs and
 *     no gaps; each Buffer is the offset of its text from byte 0, so the
 *     offsets are 64, 64+Ld and 64+Ld+Lu (all even: texts are UTF-16).
 *  3. MaximumLength == Length, as the SDK's packing sample does.
 *  4. Total size is 64 + Ld + Lu + Lp; each L is even and <= 65534.
 */
#include "ux/kerb_logon.h"

#include <assert.h>
#include <string.h>

#include "util/bytes.h"
#include "util/utf.h"

enum {
	OFF_MESSAGE_TYPE = 0,
	OFF_DOMAIN = 8,
	OFF_USER = OFF_DOMAIN + KERB_UNICODE_STRING_SIZE,
	OFF_PASSWORD = OFF_USER + KERB_UNICODE_STRING_SIZE,
	OFF_LOGON_ID = OFF_PASSWORD + KERB_UNICODE_STRING_SIZE,
	OFF_TEXT = OFF_LOGON_ID + 8,
};

/* ABI facts of the x64 layout drawn above. */
static_assert(KERB_UNICODE_STRING_SIZE == 2 + 2 + 4 + 8, "UNICODE_STRING is 16 bytes on x64");
static_assert(OFF_LOGON_ID == KERB_INTERACTIVE_LOGON_SIZE, "KERB_INTERACTIVE_LOGON is 56 bytes");
static_assert(OFF_TEXT == KERB_UNLOCK_LOGON_SIZE, "KERB_INTERACTIVE_UNLOCK_LOGON is 64 bytes");
static_assert(KERB_STRING_MAX_UNITS * 2u <= 0xFFFFu, "Length is a USHORT");

/* One UTF-16 text on its way into the buffer. */
struct text {
	uint16_t *units;
	size_t n;
};

static void text_release(struct text *t)
{
	if (t->units)
		ferry_wipe(t->units, t->n * sizeof(*t->units));
	ferry_free(t->units);
	t->units = NULL;
	t->n = 0;
}

/* Convert a field; the detail names the field and never its content. */
static ferry_err text_from_utf8(struct text *t, const char *field, const char *s, size_t len,
				int allow_empty)
{
	ferry_err rc;

	if (!allow_empty && len == 0)
		return ferry_error_set(FERRY_EINVAL, "KERB logon: %s is empty", field);
	rc = ferry_utf8_to_utf16(&t->units, &t->n, s, len);
	if (rc == FERRY_ENOMEM)
		return rc;
	if (rc != FERRY_OK)
		return ferry_error_set(FERRY_ECORRUPT, "KERB logon: %s is not valid UTF-8", field);
	if (t->n > KERB_STRING_MAX_UNITS) {
		text_release(t);
		return ferry_error_set(FERRY_ERANGE,
				       "KERB logon: %s is longer than %u UTF-16 units", field,
				       KERB_STRING_MAX_UNITS);
	}
	return FERRY_OK;
}

/* Write one UNICODE_STRING header and its text at *text_off; advance it. */
static void put_string(uint8_t *buf, size_t hdr_off, size_t *text_off, const struct text *t)
{
	uint16_t bytes = (uint16_t)(t->n * 2);

	put_u16le(buf + hdr_off, bytes);
	put_u16le(buf + hdr_off + 2, bytes);
	put_u32le(buf + hdr_off + 4, 0);
	put_u64le(buf + hdr_off + 8, (uint64_t)*text_off);
	for (size_t i = 0; i < t->n; i++)
		put_u16le(buf + *text_off + 2 * i, t->units[i]);
	*text_off += bytes;
}

ferry_err kerb_logon_pack(struct ferry_secret **out, enum kerb_submit_type type,
			  const char *domain, const char *user,
			  const struct ferry_secret *password)
{
	struct text td = {NULL, 0}, tu = {NULL, 0}, tp = {NULL, 0};
	struct ferry_secret *s = NULL;
	size_t text_off = OFF_TEXT;
	ferry_err rc;

	if (!out)
		return ferry_error_set(FERRY_EINVAL, "KERB logon: no output");
	*out = NULL;
	if (type != KERB_SUBMIT_INTERACTIVE && type != KERB_SUBMIT_WORKSTATION_UNLOCK)
		return ferry_error_set(FERRY_EINVAL, "KERB logon: message type %d unsupported",
				       (int)type);
	if (!domain || !user || !password)
		return ferry_error_set(FERRY_EINVAL, "KERB logon: missing domain, user or password");

	rc = text_from_utf8(&td, "domain", domain, strlen(domain), 0);
	if (rc == FERRY_OK)
		rc = text_from_utf8(&tu, "user name", user, strlen(user), 0);
	if (rc == FERRY_OK)
		rc = text_from_utf8(&tp, "password", (const char *)password->data, password->len, 1);
	if (rc == FERRY_OK)
		rc = ferry_secret_new(&s, OFF_TEXT + 2 * (td.n + tu.n + tp.n));
	if (rc != FERRY_OK)
		goto out;

	/* ferry_secret_new zeroes the buffer: padding and LogonId stay 0. */
	put_u32le(s->data + OFF_MESSAGE_TYPE, (uint32_t)type);
	put_string(s->data, OFF_DOMAIN, &text_off, &td);
	put_string(s->data, OFF_USER, &text_off, &tu);
	put_string(s->data, OFF_PASSWORD, &text_off, &tp);
	assert(text_off == s->len);
	*out = s;
out:
	text_release(&tp);
	text_release(&tu);
	text_release(&td);
	return rc;
}
