/*
 * NDR primitives for the ODJ codec (see ndr.h). Every read checks the bytes
 * left first; every failure is FERRY_ECORRUPT naming the field and the
 * absolute byte offset.
 */
#include <string.h>

#include "odj/ndr.h"
#include "odj/odj_internal.h"
#include "util/bytes.h"
#include "util/utf.h"

static ferry_err short_read(const struct ndr_in *r, const char *what, size_t need)
{
	return ferry_error_set(FERRY_ECORRUPT, "ODJ: %s needs %zu bytes at offset %zu, %zu left",
			       what, need, r->base + r->off, r->len - r->off);
}

static ferry_err need(const struct ndr_in *r, size_t n, const char *what)
{
	if (r->len - r->off < n)
		return short_read(r, what, n);
	return FERRY_OK;
}

ferry_err ndr_align(struct ndr_in *r, size_t n, const char *what)
{
	size_t pad = (n - (r->off % n)) % n;

	if (need(r, pad, what))
		return FERRY_ECORRUPT;
	r->off += pad;
	return FERRY_OK;
}

ferry_err ndr_u8(struct ndr_in *r, uint8_t *v, const char *what)
{
	if (need(r, 1, what))
		return FERRY_ECORRUPT;
	*v = r->p[r->off++];
	return FERRY_OK;
}

ferry_err ndr_u16(struct ndr_in *r, uint16_t *v, const char *what)
{
	if (ndr_align(r, 2, what) || need(r, 2, what))
		return FERRY_ECORRUPT;
	*v = get_u16le(r->p + r->off);
	r->off += 2;
	return FERRY_OK;
}

ferry_err ndr_u32(struct ndr_in *r, uint32_t *v, const char *what)
{
	if (ndr_align(r, 4, what) || need(r, 4, what))
		return FERRY_ECORRUPT;
	*v = get_u32le(r->p + r->off);
	r->off += 4;
	return FERRY_OK;
}

ferry_err ndr_guid(struct ndr_in *r, struct odj_guid *g, const char *what)
{
	if (ndr_align(r, 4, what) || need(r, 16, what))
		return FERRY_ECORRUPT;
	memcpy(g->b, r->p + r->off, 16);
	r->off += 16;
	return FERRY_OK;
}

ferry_err ndr_ptr(struct ndr_in *r, bool *present, const char *what)
{
	uint32_t ref;

	if (ndr_u32(r, &ref, what))
		return FERRY_ECORRUPT;
	*present = ref != 0;
	return FERRY_OK;
}

ferry_err ndr_ts_open(struct ndr_in *r, struct ndr_in *sub, size_t len, const char *what)
{
	const uint8_t *h;
	size_t at = r->base + r->off;
	uint32_t objlen;

	if (len < NDR_TS_HEADER_LEN || need(r, len, what))
		return short_read(r, what, len < NDR_TS_HEADER_LEN ? NDR_TS_HEADER_LEN : len);
	h = r->p + r->off;
	if (h[0] != 1)
		return ferry_error_set(FERRY_ECORRUPT, "ODJ: %s: serialisation version %u is not 1 (offset %zu)",
				       what, h[0], at);
	if (h[1] != 0x10)
		return ferry_error_set(FERRY_ECORRUPT, "ODJ: %s: not little-endian (0x%02x at offset %zu)",
				       what, h[1], at + 1);
	if (get_u16le(h + 2) != 8)
		return ferry_error_set(FERRY_ECORRUPT, "ODJ: %s: common header length %u is not 8 (offset %zu)",
				       what, get_u16le(h + 2), at + 2);
	objlen = get_u32le(h + 8);
	if (objlen % 8 != 0 || (size_t)objlen != len - NDR_TS_HEADER_LEN)
		return ferry_error_set(FERRY_ECORRUPT,
				       "ODJ: %s: object length %u does not fill its %zu bytes (offset %zu)",
				       what, objlen, len - NDR_TS_HEADER_LEN, at + 8);
	sub->p = h + NDR_TS_HEADER_LEN;
	sub->len = objlen;
	sub->off = 0;
	sub->base = at + NDR_TS_HEADER_LEN;
	r->off += len;
	return FERRY_OK;
}

ferry_err ndr_ts_close(const struct ndr_in *sub, const char *what)
{
	/* The object buffer is the body padded to 8: anything more is not ours. */
	if (sub->len - sub->off >= 8)
		return ferry_error_set(FERRY_ECORRUPT, "ODJ: %s: %zu unexplained bytes at offset %zu",
				       what, sub->len - sub->off, sub->base + sub->off);
	return FERRY_OK;
}

/* The counts of a conformant varying array; returns the actual count. */
static ferry_err cv_counts(struct ndr_in *r, uint32_t *actual, const char *what)
{
	uint32_t max, offset;
	size_t at;

	if (ndr_u32(r, &max, what))
		return FERRY_ECORRUPT;
	at = r->base + r->off;
	if (ndr_u32(r, &offset, what) || ndr_u32(r, actual, what))
		return FERRY_ECORRUPT;
	if (offset != 0 || *actual > max)
		return ferry_error_set(FERRY_ECORRUPT,
				       "ODJ: %s: bad string counts (max %u offset %u actual %u) at offset %zu",
				       what, max, offset, *actual, at - 4);
	if (need(r, (size_t)*actual * 2, what))
		return FERRY_ECORRUPT;
	return FERRY_OK;
}

/* Units [0, n) must hold no NUL; the string's own terminator is outside. */
static ferry_err to_utf8(struct ndr_in *r, char **out, size_t n, const char *what)
{
	uint16_t *w = ferry_calloc(n + 1, sizeof(*w));
	size_t i, olen;
	ferry_err rc;

	if (!w)
		return odj_oom();
	for (i = 0; i < n; i++) {
		w[i] = get_u16le(r->p + r->off + 2 * i);
		if (w[i] == 0) {
			ferry_free(w);
			return ferry_error_set(FERRY_ECORRUPT, "ODJ: %s: NUL inside string at offset %zu",
					       what, r->base + r->off + 2 * i);
		}
	}
	rc = ferry_utf16_to_utf8(out, &olen, w, n);
	ferry_free(w);
	if (rc == FERRY_ENOMEM)
		return odj_oom();
	if (rc)
		return ferry_error_set(rc, "ODJ: %s: invalid UTF-16 at offset %zu", what, r->base + r->off);
	return FERRY_OK;
}

/* A [string] array's last unit is its terminator; returns the units before it. */
static ferry_err terminated(struct ndr_in *r, uint32_t actual, const char *what)
{
	if (actual == 0 || get_u16le(r->p + r->off + 2 * ((size_t)actual - 1)) != 0)
		return ferry_error_set(FERRY_ECORRUPT, "ODJ: %s: string not NUL-terminated at offset %zu",
				       what, r->base + r->off);
	return FERRY_OK;
}

ferry_err ndr_string(struct ndr_in *r, char **out, const char *what)
{
	uint32_t actual;

	if (cv_counts(r, &actual, what) || terminated(r, actual, what))
		return FERRY_ECORRUPT;
	if (to_utf8(r, out, (size_t)actual - 1, what))
		return FERRY_ECORRUPT;
	r->off += (size_t)actual * 2;
	return FERRY_OK;
}

ferry_err ndr_string_secret(struct ndr_in *r, struct ferry_secret **out, const char *what)
{
	uint32_t actual;

	if (cv_counts(r, &actual, what) || terminated(r, actual, what))
		return FERRY_ECORRUPT;
	if (ferry_secret_from(out, r->p + r->off, ((size_t)actual - 1) * 2))
		return odj_oom();
	r->off += (size_t)actual * 2;
	return FERRY_OK;
}

ferry_err ndr_string_large(struct ndr_in *r, char **out, uint16_t length, uint16_t size,
			   const char *what)
{
	uint32_t max, offset, actual;
	size_t at;

	if (ndr_u32(r, &max, what))
		return FERRY_ECORRUPT;
	at = r->base + r->off - 4;
	if (ndr_u32(r, &offset, what) || ndr_u32(r, &actual, what))
		return FERRY_ECORRUPT;
	if (length % 2 || size % 2 || length > size || max != size / 2u || offset != 0 ||
	    actual != length / 2u)
		return ferry_error_set(FERRY_ECORRUPT,
				       "ODJ: %s: counts (max %u offset %u actual %u) disagree with length %u size %u at offset %zu",
				       what, max, offset, actual, length, size, at);
	if (need(r, (size_t)actual * 2, what) || to_utf8(r, out, actual, what))
		return FERRY_ECORRUPT;
	r->off += (size_t)actual * 2;
	return FERRY_OK;
}

ferry_err ndr_sid(struct ndr_in *r, struct odj_sid *s, const char *what)
{
	uint32_t count;
	size_t at;

	if (ndr_u32(r, &count, what))
		return FERRY_ECORRUPT;
	at = r->base + r->off;
	if (ndr_u8(r, &s->revision, what) || ndr_u8(r, &s->num_auths, what) || need(r, 6, what))
		return FERRY_ECORRUPT;
	if (s->revision != 1 || s->num_auths != count || count > ODJ_MAX_SUB_AUTHS)
		return ferry_error_set(FERRY_ECORRUPT,
				       "ODJ: %s: bad SID (revision %u, %u sub-authorities, count %u) at offset %zu",
				       what, s->revision, s->num_auths, count, at);
	memcpy(s->id_auth, r->p + r->off, 6);
	r->off += 6;
	for (uint32_t i = 0; i < count; i++) {
		if (ndr_u32(r, &s->sub_auths[i], what))
			return FERRY_ECORRUPT;
	}
	return FERRY_OK;
}

ferry_err ndr_byte_array(struct ndr_in *r, const uint8_t **data, uint32_t n, const char *what)
{
	uint32_t max;
	size_t at;

	if (ndr_u32(r, &max, what))
		return FERRY_ECORRUPT;
	at = r->base + r->off - 4;
	if (max != n)
		return ferry_error_set(FERRY_ECORRUPT, "ODJ: %s: array count %u is not its size %u at offset %zu",
				       what, max, n, at);
	if (need(r, n, what))
		return FERRY_ECORRUPT;
	*data = r->p + r->off;
	r->off += n;
	return FERRY_OK;
}

/* --- writer --- */

void ndr_out_init(struct ndr_out *w)
{
	ferry_buf_init(&w->b, ODJ_MAX_BLOB_BYTES);
	w->next_ref = 0x00020000u;
}

void ndr_out_free(struct ndr_out *w)
{
	ferry_buf_free(&w->b);
}

ferry_err ndr_put_align(struct ndr_out *w, size_t n)
{
	static const uint8_t zeros[8];
	size_t pad = (n - (w->b.len % n)) % n;

	return pad ? ferry_buf_append(&w->b, zeros, pad) : FERRY_OK;
}

ferry_err ndr_put_u8(struct ndr_out *w, uint8_t v)
{
	return ferry_buf_append(&w->b, &v, 1);
}

ferry_err ndr_put_u16(struct ndr_out *w, uint16_t v)
{
	uint8_t b[2];

	put_u16le(b, v);
	return ndr_put_align(w, 2) ? FERRY_ERANGE : ferry_buf_append(&w->b, b, 2);
}

ferry_err ndr_put_u32(struct ndr_out *w, uint32_t v)
{
	uint8_t b[4];

	put_u32le(b, v);
	return ndr_put_align(w, 4) ? FERRY_ERANGE : ferry_buf_append(&w->b, b, 4);
}

ferry_err ndr_put_guid(struct ndr_out *w, const struct odj_guid *g)
{
	return ndr_put_align(w, 4) ? FERRY_ERANGE : ferry_buf_append(&w->b, g->b, 16);
}

ferry_err ndr_put_ptr(struct ndr_out *w, bool present)
{
	uint32_t ref = 0;

	if (present) {
		ref = w->next_ref;
		w->next_ref += 4;
	}
	return ndr_put_u32(w, ref);
}

ferry_err ndr_put_string_utf16(struct ndr_out *w, const uint8_t *units, size_t nunits)
{
	static const uint8_t nul[2];
	uint32_t n = (uint32_t)nunits + 1;

	if (nunits >= ODJ_MAX_BLOB_BYTES)
		return ferry_error_set(FERRY_ERANGE, "ODJ: string too long to encode");
	if (ndr_put_u32(w, n) || ndr_put_u32(w, 0) || ndr_put_u32(w, n) ||
	    ferry_buf_append(&w->b, units, nunits * 2) || ferry_buf_append(&w->b, nul, 2))
		return ferry_error_set(FERRY_ERANGE, "ODJ: encoded blob too large");
	return FERRY_OK;
}

/* UTF-8 -> UTF-16LE bytes; *units is wiped and freed by the caller. */
static ferry_err utf16_bytes(uint8_t **bytes, size_t *nunits, const char *s)
{
	uint16_t *w = NULL;
	ferry_err rc = ferry_utf8_to_utf16(&w, nunits, s, strlen(s));

	if (rc)
		return ferry_error_wrap(rc, "ODJ: string to encode: ");
	*bytes = ferry_malloc(*nunits * 2 + 1);
	if (!*bytes) {
		ferry_free(w);
		return odj_oom();
	}
	for (size_t i = 0; i < *nunits; i++)
		put_u16le(*bytes + 2 * i, w[i]);
	ferry_free(w);
	return FERRY_OK;
}

ferry_err ndr_put_string(struct ndr_out *w, const char *s)
{
	uint8_t *b = NULL;
	size_t n = 0;
	ferry_err rc = utf16_bytes(&b, &n, s);

	if (rc)
		return rc;
	rc = ndr_put_string_utf16(w, b, n);
	ferry_free(b);
	return rc;
}

static size_t utf16_units(const char *s)
{
	uint16_t *w = NULL;
	size_t n = 0;

	if (s && ferry_utf8_to_utf16(&w, &n, s, strlen(s)) == FERRY_OK)
		ferry_free(w);
	return n;
}

ferry_err ndr_put_string_large_hdr(struct ndr_out *w, const char *s)
{
	size_t n = utf16_units(s);

	if (n > 0x7ffe)
		return ferry_error_set(FERRY_ERANGE, "ODJ: counted string longer than 32766 units");
	if (ndr_put_u16(w, (uint16_t)(2 * n)) || ndr_put_u16(w, s ? (uint16_t)(2 * n + 2) : 0) ||
	    ndr_put_ptr(w, s != NULL))
		return ferry_error_set(FERRY_ERANGE, "ODJ: encoded blob too large");
	return FERRY_OK;
}

ferry_err ndr_put_string_large(struct ndr_out *w, const char *s)
{
	uint8_t *b = NULL;
	size_t n = 0;
	ferry_err rc = utf16_bytes(&b, &n, s);

	if (rc)
		return rc;
	/* max = size/2 = n + 1, offset 0, actual = length/2 = n (no terminator sent). */
	if (ndr_put_u32(w, (uint32_t)n + 1) || ndr_put_u32(w, 0) || ndr_put_u32(w, (uint32_t)n) ||
	    ferry_buf_append(&w->b, b, n * 2))
		rc = ferry_error_set(FERRY_ERANGE, "ODJ: encoded blob too large");
	ferry_free(b);
	return rc;
}

ferry_err ndr_put_sid(struct ndr_out *w, const struct odj_sid *s)
{
	if (ndr_put_u32(w, s->num_auths) || ndr_put_u8(w, s->revision) ||
	    ndr_put_u8(w, s->num_auths) || ferry_buf_append(&w->b, s->id_auth, 6))
		return ferry_error_set(FERRY_ERANGE, "ODJ: encoded blob too large");
	for (unsigned i = 0; i < s->num_auths && i < ODJ_MAX_SUB_AUTHS; i++) {
		if (ndr_put_u32(w, s->sub_auths[i]))
			return ferry_error_set(FERRY_ERANGE, "ODJ: encoded blob too large");
	}
	return FERRY_OK;
}

ferry_err ndr_put_byte_array(struct ndr_out *w, const uint8_t *data, size_t n)
{
	if (n > ODJ_MAX_BLOB_BYTES || ndr_put_u32(w, (uint32_t)n) ||
	    (n && ferry_buf_append(&w->b, data, n)))
		return ferry_error_set(FERRY_ERANGE, "ODJ: encoded blob too large");
	return FERRY_OK;
}

ferry_err ndr_ts_finish(uint8_t **out, size_t *len, struct ndr_out *body)
{
	struct ferry_buf b;
	uint8_t h[NDR_TS_HEADER_LEN] = { 0x01, 0x10, 0x08, 0x00, 0xcc, 0xcc, 0xcc, 0xcc };
	ferry_err rc;

	*out = NULL;
	*len = 0;
	ferry_buf_init(&b, ODJ_MAX_BLOB_BYTES);
	rc = ndr_put_align(body, 8);
	if (rc)
		goto out;
	put_u32le(h + 8, (uint32_t)body->b.len);
	if (ferry_buf_append(&b, h, sizeof(h)) || ferry_buf_append(&b, body->b.data, body->b.len)) {
		rc = ferry_error_set(FERRY_ERANGE, "ODJ: encoded blob too large");
		goto out;
	}
	*out = ferry_buf_detach(&b, len);
	if (!*out)
		rc = odj_oom();
out:
	ferry_buf_free(&b);
	ndr_out_free(body);
	return rc;
}
