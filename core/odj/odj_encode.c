/*
 * ODJ provisioning blob: the binary form, encoded. Writes the layout drawn
 * in odj_decode.c. Every nested object is built as its own stream
 * (ndr_ts_finish), then embedded as a byte array, so each restarts its
 * alignment at its header. Referent IDs are 0x00020000, 0x00020004, ... per
 * stream, as Samba and MIDL write them. Cert, policy and unknown parts, and
 * every Extension/EncryptionContext, are written back byte for byte.
 */
#include <string.h>

#include "odj/ndr.h"
#include "odj/odj.h"
#include "odj/odj_internal.h"

#define TRY(x)                     \
	do {                       \
		rc = (x);          \
		if (rc)            \
			goto out;  \
	} while (0)

static ferry_err put_opt_string(struct ndr_out *w, const char *s)
{
	return s ? ndr_put_string(w, s) : FERRY_OK;
}

static ferry_err win7_body(struct ndr_out *w, const struct odj_win7 *b)
{
	const struct ferry_secret *pw = b->machine_password;
	ferry_err rc;

	TRY(ndr_put_ptr(w, b->domain != NULL));
	TRY(ndr_put_ptr(w, b->machine_name != NULL));
	TRY(ndr_put_ptr(w, pw != NULL));
	TRY(ndr_put_u32(w, b->reserved));
	TRY(ndr_put_string_large_hdr(w, b->netbios_name));
	TRY(ndr_put_string_large_hdr(w, b->dns_name));
	TRY(ndr_put_string_large_hdr(w, b->forest_name));
	TRY(ndr_put_guid(w, &b->domain_guid));
	TRY(ndr_put_ptr(w, b->has_sid));
	TRY(ndr_put_ptr(w, b->dc.name != NULL));
	TRY(ndr_put_ptr(w, b->dc.address != NULL));
	TRY(ndr_put_u32(w, b->dc.address_type));
	TRY(ndr_put_guid(w, &b->dc.domain_guid));
	TRY(ndr_put_ptr(w, b->dc.domain_name != NULL));
	TRY(ndr_put_ptr(w, b->dc.forest_name != NULL));
	TRY(ndr_put_u32(w, b->dc.flags));
	TRY(ndr_put_ptr(w, b->dc.site != NULL));
	TRY(ndr_put_ptr(w, b->dc.client_site != NULL));
	TRY(ndr_put_u32(w, b->options));
	/* Pointees, in declaration order. */
	TRY(put_opt_string(w, b->domain));
	TRY(put_opt_string(w, b->machine_name));
	if (pw)
		TRY(ndr_put_string_utf16(w, pw->data, pw->len / 2));
	if (b->netbios_name)
		TRY(ndr_put_string_large(w, b->netbios_name));
	if (b->dns_name)
		TRY(ndr_put_string_large(w, b->dns_name));
	if (b->forest_name)
		TRY(ndr_put_string_large(w, b->forest_name));
	if (b->has_sid)
		TRY(ndr_put_sid(w, &b->sid));
	TRY(put_opt_string(w, b->dc.name));
	TRY(put_opt_string(w, b->dc.address));
	TRY(put_opt_string(w, b->dc.domain_name));
	TRY(put_opt_string(w, b->dc.forest_name));
	TRY(put_opt_string(w, b->dc.site));
	TRY(put_opt_string(w, b->dc.client_site));
out:
	return rc;
}

/* Serialise one object as a stream into new bytes (*out, *len). */
typedef ferry_err (*body_fn)(struct ndr_out *w, const void *obj);

static ferry_err stream(uint8_t **out, size_t *len, body_fn fn, const void *obj, bool ctr)
{
	struct ndr_out w;
	ferry_err rc;

	ndr_out_init(&w);
	rc = ctr ? ndr_put_ptr(&w, true) : FERRY_OK;
	if (!rc)
		rc = fn(&w, obj);
	if (rc) {
		ndr_out_free(&w);
		return rc;
	}
	return ndr_ts_finish(out, len, &w);
}

static ferry_err win7_fn(struct ndr_out *w, const void *obj)
{
	return win7_body(w, obj);
}

static ferry_err prov2_fn(struct ndr_out *w, const void *obj)
{
	const struct odj_prov2 *p = obj;
	ferry_err rc;

	TRY(ndr_put_u32(w, p->flags));
	TRY(ndr_put_ptr(w, p->netbios_name != NULL));
	TRY(ndr_put_ptr(w, p->site != NULL));
	TRY(ndr_put_ptr(w, p->primary_dns_domain != NULL));
	TRY(ndr_put_u32(w, p->reserved));
	TRY(ndr_put_ptr(w, p->reserved_str != NULL));
	TRY(put_opt_string(w, p->netbios_name));
	TRY(put_opt_string(w, p->site));
	TRY(put_opt_string(w, p->primary_dns_domain));
	TRY(put_opt_string(w, p->reserved_str));
out:
	return rc;
}

static ferry_err prov3_fn(struct ndr_out *w, const void *obj)
{
	const struct odj_prov3 *p = obj;
	ferry_err rc;

	TRY(ndr_put_u32(w, p->rid));
	TRY(ndr_put_ptr(w, p->sid != NULL));
	TRY(put_opt_string(w, p->sid));
out:
	return rc;
}

/* An OP_BLOB's inline part. */
static ferry_err op_blob_hdr(struct ndr_out *w, const uint8_t *data, size_t len)
{
	if (len > ODJ_MAX_BLOB_BYTES)
		return ferry_error_set(FERRY_ERANGE, "ODJ: part too large to encode");
	if (ndr_put_u32(w, (uint32_t)len) || ndr_put_ptr(w, data != NULL))
		return ferry_error_set(FERRY_ERANGE, "ODJ: encoded blob too large");
	return FERRY_OK;
}

static ferry_err op_blob_data(struct ndr_out *w, const uint8_t *data, size_t len)
{
	return data ? ndr_put_byte_array(w, data, len) : FERRY_OK;
}

/* A part's payload: re-encoded from its decoded form when there is one. */
static ferry_err part_bytes(uint8_t **out, size_t *len, const struct odj_part *p)
{
	*out = NULL;
	*len = 0;
	if (p->win7)
		return stream(out, len, win7_fn, p->win7, false);
	if (p->prov2)
		return stream(out, len, prov2_fn, p->prov2, true);
	if (p->prov3)
		return stream(out, len, prov3_fn, p->prov3, true);
	if (!p->raw.data)
		return FERRY_OK;
	*out = ferry_malloc(p->raw.len + 1);
	if (!*out)
		return odj_oom();
	memcpy(*out, p->raw.data, p->raw.len);
	*len = p->raw.len;
	return FERRY_OK;
}

static void bytes_free(uint8_t *b, size_t n)
{
	if (b) {
		ferry_wipe(b, n);
		ferry_free(b);
	}
}

static ferry_err collection_fn(struct ndr_out *w, const void *obj)
{
	const struct odj_blob *b = obj;
	uint8_t *pb[ODJ_MAX_PARTS] = { 0 };
	size_t pl[ODJ_MAX_PARTS] = { 0 };
	size_t i;
	ferry_err rc = FERRY_OK;

	if (b->nparts > ODJ_MAX_PARTS)
		return ferry_error_set(FERRY_ERANGE, "ODJ: more than %u parts", ODJ_MAX_PARTS);
	for (i = 0; i < b->nparts; i++)
		TRY(part_bytes(&pb[i], &pl[i], &b->parts[i]));
	TRY(ndr_put_u32(w, (uint32_t)b->nparts));
	TRY(ndr_put_ptr(w, b->nparts != 0));
	TRY(op_blob_hdr(w, b->collection_extension.data, b->collection_extension.len));
	if (b->nparts)
		TRY(ndr_put_u32(w, (uint32_t)b->nparts));
	for (i = 0; i < b->nparts; i++) {
		TRY(ndr_put_guid(w, &b->parts[i].guid));
		TRY(ndr_put_u32(w, b->parts[i].flags));
		TRY(op_blob_hdr(w, pb[i], pl[i]));
		TRY(op_blob_hdr(w, b->parts[i].extension.data, b->parts[i].extension.len));
	}
	for (i = 0; i < b->nparts; i++) {
		TRY(op_blob_data(w, pb[i], pl[i]));
		TRY(op_blob_data(w, b->parts[i].extension.data, b->parts[i].extension.len));
	}
	TRY(op_blob_data(w, b->collection_extension.data, b->collection_extension.len));
out:
	for (i = 0; i < b->nparts && i < ODJ_MAX_PARTS; i++)
		bytes_free(pb[i], pl[i]);
	return rc;
}

static ferry_err package_fn(struct ndr_out *w, const void *obj)
{
	const struct odj_blob *b = obj;
	uint8_t *coll = NULL;
	size_t clen = 0;
	ferry_err rc;

	TRY(stream(&coll, &clen, collection_fn, b, true));
	TRY(ndr_put_guid(w, &b->encryption_type));
	TRY(op_blob_hdr(w, b->encryption_context.data, b->encryption_context.len));
	TRY(op_blob_hdr(w, coll, clen));
	TRY(ndr_put_u32(w, b->cb_decrypted));
	TRY(op_blob_hdr(w, b->package_extension.data, b->package_extension.len));
	TRY(op_blob_data(w, b->encryption_context.data, b->encryption_context.len));
	TRY(op_blob_data(w, coll, clen));
	TRY(op_blob_data(w, b->package_extension.data, b->package_extension.len));
out:
	bytes_free(coll, clen);
	return rc;
}

static ferry_err blob_bytes(uint8_t **out, size_t *len, const struct odj_blob *b)
{
	switch (b->format) {
	case ODJ_FORMAT_WIN7:
		if (!b->win7)
			return ferry_error_set(FERRY_EINVAL, "ODJ: WIN7 blob without its data");
		return stream(out, len, win7_fn, b->win7, false);
	case ODJ_FORMAT_WIN8:
		return stream(out, len, package_fn, b, true);
	default:
		*out = ferry_malloc(b->raw.len + 1);
		if (!*out)
			return odj_oom();
		if (b->raw.len)
			memcpy(*out, b->raw.data, b->raw.len);
		*len = b->raw.len;
		return FERRY_OK;
	}
}

static ferry_err top_fn(struct ndr_out *w, const void *obj)
{
	const struct odj_provision *p = obj;
	uint8_t *bb[ODJ_MAX_BLOBS] = { 0 };
	size_t bl[ODJ_MAX_BLOBS] = { 0 };
	size_t i;
	ferry_err rc = FERRY_OK;

	if (p->nblobs == 0 || p->nblobs > ODJ_MAX_BLOBS)
		return ferry_error_set(FERRY_EINVAL, "ODJ: %zu blobs (1 to %u allowed)", p->nblobs,
				       ODJ_MAX_BLOBS);
	for (i = 0; i < p->nblobs; i++)
		TRY(blob_bytes(&bb[i], &bl[i], &p->blobs[i]));
	TRY(ndr_put_u32(w, 1));
	TRY(ndr_put_u32(w, (uint32_t)p->nblobs));
	TRY(ndr_put_ptr(w, true));
	TRY(ndr_put_u32(w, (uint32_t)p->nblobs));
	for (i = 0; i < p->nblobs; i++) {
		TRY(ndr_put_u32(w, p->blobs[i].format));
		TRY(op_blob_hdr(w, bb[i], bl[i]));
	}
	for (i = 0; i < p->nblobs; i++)
		TRY(ndr_put_byte_array(w, bb[i], bl[i]));
out:
	for (i = 0; i < p->nblobs && i < ODJ_MAX_BLOBS; i++)
		bytes_free(bb[i], bl[i]);
	return rc;
}

ferry_err odj_encode(struct ferry_secret **out, const struct odj_provision *p)
{
	uint8_t *bytes = NULL;
	size_t len = 0;
	ferry_err rc;

	*out = NULL;
	rc = stream(&bytes, &len, top_fn, p, true);
	if (rc)
		return rc;
	rc = ferry_secret_from(out, bytes, len);
	bytes_free(bytes, len);
	return rc;
}
