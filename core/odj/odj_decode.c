/*
 * ODJ provisioning blob: the binary form, decoded.
 *
 * The binary form is MS-RPCE type serialisation version 1 (NDR32, little
 * endian) of ODJ_PROVISION_DATA. Byte arrays inside it hold further
 * serialised objects, each a stream of its own. Layout (offsets relative to
 * the start of each stream; "ref" is a 4-byte referent ID, zero = NULL,
 * any non-zero value = present; pointees follow their containing structure
 * in declaration order, depth first; "a4"/"a8" = aligned to 4/8):
 *
 *  Type-serialisation stream (every nested buffer restarts here at 0):
 *   0  u8  version = 1        1  u8 endianness = 0x10 (little)
 *   2  u16 header length = 8  4  u32 filler (0xcccccccc)
 *   8  u32 object length L (multiple of 8; the stream is exactly 16 + L)
 *  12  u32 filler (0)
 *  16  object: body, then zero padding up to L (< 8 bytes)
 *
 *  ODJ_PROVISION_DATA stream body (via a top-level pointer):
 *   ref p | u32 ulVersion = 1 | u32 ulcBlobs = n | ref pBlobs
 *   a4 u32 max count = n
 *   n x ODJ_BLOB { u32 ulODJFormat | u32 cbBlob | ref pBlob }
 *   for each blob: a4 u32 max count = cbBlob, cbBlob bytes = one stream:
 *     format 1 (WIN7): ODJ_WIN7BLOB directly (no top-level pointer)
 *     format 2 (WIN8): ref p, OP_PACKAGE
 *
 *  ODJ_WIN7BLOB:
 *   ref lpDomain | ref lpMachineName | ref lpMachinePassword | u32 reserved
 *   DnsDomainInfo: 3 x lsa_StringLarge { u16 length | u16 size | ref } (Name,
 *                  DnsDomainName, DnsForestName) | GUID (16) | ref Sid
 *   DcInfo: ref dc_unc | ref dc_address | u32 address type | GUID domain |
 *           ref domain_name | ref forest_name | u32 flags | ref dc_site |
 *           ref client_site
 *   u32 Options
 *   then the pointees in that order: [string] = a4 u32 max | u32 offset = 0 |
 *   u32 actual | actual x u16 (the last one is the NUL); lsa_StringLarge
 *   pointee = max size/2 | offset 0 | actual length/2 | units, no NUL;
 *   Sid = a4 u32 count | u8 revision = 1 | u8 count | 6-byte authority |
 *   count x u32.
 *
 *  OP_PACKAGE: GUID EncryptionType | OP_BLOB EncryptionContext |
 *   OP_BLOB WrappedPartCollection | u32 cbDecryptedPartCollection |
 *   OP_BLOB Extension. OP_BLOB = { u32 cb | ref } and its pointee a byte
 *   array (a4 u32 max = cb, cb bytes). The wrapped collection is a stream:
 *   ref p, OP_PACKAGE_PART_COLLECTION { u32 cParts | ref pParts | OP_BLOB
 *   Extension }, then max count, cParts x OP_PACKAGE_PART { GUID PartType |
 *   u32 ulFlags (0x1 essential) | OP_BLOB Part | OP_BLOB Extension }, then
 *   each part's Part and Extension bytes, then the collection's Extension.
 *   A Part is a stream: join provider = ODJ_WIN7BLOB directly; provider2 =
 *   ref p, OP_JOINPROV2_PART { u32 flags | ref netbios | ref site |
 *   ref primary DNS domain | u32 reserved | ref reserved }; provider3 = ref p,
 *   OP_JOINPROV3_PART { u32 rid | ref sid string }. Cert, policy and unknown
 *   parts are kept as bytes.
 *
 * Invariants checked here (any breach is FERRY_ECORRUPT naming the offset):
 *  1. every read is inside its stream; a stream is exactly 16 + L bytes and
 *     its object leaves < 8 bytes unread;
 *  2. every array's max count equals its size field; strings have offset 0,
 *     actual <= max, a terminating NUL and no NUL inside, valid UTF-16;
 *  3. SIDs have revision 1 and at most 15 sub-authorities;
 *  4. ulVersion = 1, at most ODJ_MAX_BLOBS blobs and ODJ_MAX_PARTS parts,
 *     and a known part's bytes decode as its type.
 */
#include <string.h>

#include "odj/ndr.h"
#include "odj/odj.h"
#include "odj/odj_internal.h"

struct win7_refs {
	bool domain, machine, password, name, dns, forest, sid;
	bool dc_unc, dc_addr, dc_dom, dc_forest, dc_site, cl_site;
};

static ferry_err win7_inline(struct ndr_in *r, struct odj_win7 *w, struct win7_refs *f,
			     uint16_t len[3], uint16_t size[3])
{
	if (ndr_ptr(r, &f->domain, "lpDomain") || ndr_ptr(r, &f->machine, "lpMachineName") ||
	    ndr_ptr(r, &f->password, "lpMachinePassword") || ndr_u32(r, &w->reserved, "reserved") ||
	    ndr_u16(r, &len[0], "DnsDomainInfo.Name") || ndr_u16(r, &size[0], "DnsDomainInfo.Name") ||
	    ndr_ptr(r, &f->name, "DnsDomainInfo.Name") ||
	    ndr_u16(r, &len[1], "DnsDomainInfo.DnsDomainName") ||
	    ndr_u16(r, &size[1], "DnsDomainInfo.DnsDomainName") ||
	    ndr_ptr(r, &f->dns, "DnsDomainInfo.DnsDomainName") ||
	    ndr_u16(r, &len[2], "DnsDomainInfo.DnsForestName") ||
	    ndr_u16(r, &size[2], "DnsDomainInfo.DnsForestName") ||
	    ndr_ptr(r, &f->forest, "DnsDomainInfo.DnsForestName") ||
	    ndr_guid(r, &w->domain_guid, "DnsDomainInfo.DomainGuid") ||
	    ndr_ptr(r, &f->sid, "DnsDomainInfo.Sid") || ndr_ptr(r, &f->dc_unc, "DcInfo.dc_unc") ||
	    ndr_ptr(r, &f->dc_addr, "DcInfo.dc_address") ||
	    ndr_u32(r, &w->dc.address_type, "DcInfo.dc_address_type") ||
	    ndr_guid(r, &w->dc.domain_guid, "DcInfo.domain_guid") ||
	    ndr_ptr(r, &f->dc_dom, "DcInfo.domain_name") ||
	    ndr_ptr(r, &f->dc_forest, "DcInfo.forest_name") ||
	    ndr_u32(r, &w->dc.flags, "DcInfo.dc_flags") ||
	    ndr_ptr(r, &f->dc_site, "DcInfo.dc_site_name") ||
	    ndr_ptr(r, &f->cl_site, "DcInfo.client_site_name") ||
	    ndr_u32(r, &w->options, "Options"))
		return FERRY_ECORRUPT;
	return FERRY_OK;
}

#define OPT_STRING(present, dst, what) ((present) && ndr_string(r, (dst), (what)))

static ferry_err win7_deferred(struct ndr_in *r, struct odj_win7 *w, const struct win7_refs *f,
			       const uint16_t len[3], const uint16_t size[3])
{
	if (OPT_STRING(f->domain, &w->domain, "lpDomain") ||
	    OPT_STRING(f->machine, &w->machine_name, "lpMachineName") ||
	    (f->password && ndr_string_secret(r, &w->machine_password, "lpMachinePassword")) ||
	    (f->name && ndr_string_large(r, &w->netbios_name, len[0], size[0], "DnsDomainInfo.Name")) ||
	    (f->dns && ndr_string_large(r, &w->dns_name, len[1], size[1], "DnsDomainInfo.DnsDomainName")) ||
	    (f->forest &&
	     ndr_string_large(r, &w->forest_name, len[2], size[2], "DnsDomainInfo.DnsForestName")) ||
	    (f->sid && ndr_sid(r, &w->sid, "DnsDomainInfo.Sid")) ||
	    OPT_STRING(f->dc_unc, &w->dc.name, "DcInfo.dc_unc") ||
	    OPT_STRING(f->dc_addr, &w->dc.address, "DcInfo.dc_address") ||
	    OPT_STRING(f->dc_dom, &w->dc.domain_name, "DcInfo.domain_name") ||
	    OPT_STRING(f->dc_forest, &w->dc.forest_name, "DcInfo.forest_name") ||
	    OPT_STRING(f->dc_site, &w->dc.site, "DcInfo.dc_site_name") ||
	    OPT_STRING(f->cl_site, &w->dc.client_site, "DcInfo.client_site_name"))
		return odj_rc();
	w->has_sid = f->sid;
	return FERRY_OK;
}

/* One serialised ODJ_WIN7BLOB stream of n bytes at r. */
static ferry_err decode_win7(struct odj_win7 **out, struct ndr_in *r, size_t n)
{
	struct ndr_in s;
	struct win7_refs f = { 0 };
	uint16_t len[3], size[3];
	struct odj_win7 *w = NULL;
	ferry_err rc;

	rc = ndr_ts_open(r, &s, n, "ODJ_WIN7BLOB");
	if (rc)
		return rc;
	w = ferry_calloc(1, sizeof(*w));
	if (!w)
		return odj_oom();
	rc = win7_inline(&s, w, &f, len, size);
	if (!rc)
		rc = win7_deferred(&s, w, &f, len, size);
	if (!rc)
		rc = ndr_ts_close(&s, "ODJ_WIN7BLOB");
	if (rc) {
		odj_win7_free(w);
		return rc;
	}
	*out = w;
	return FERRY_OK;
}

/* A stream that starts with a top-level pointer that must be non-NULL. */
static ferry_err open_ctr(struct ndr_in *r, struct ndr_in *s, size_t n, const char *what)
{
	bool present;
	size_t at;

	if (ndr_ts_open(r, s, n, what))
		return FERRY_ECORRUPT;
	at = s->base;
	if (ndr_ptr(s, &present, what))
		return FERRY_ECORRUPT;
	if (!present)
		return ferry_error_set(FERRY_ECORRUPT, "ODJ: %s: NULL top-level pointer at offset %zu",
				       what, at);
	return FERRY_OK;
}

static ferry_err decode_prov2(struct odj_prov2 **out, struct ndr_in *r, size_t n)
{
	struct ndr_in s;
	bool nb, site, dns, res;
	struct odj_prov2 *p = ferry_calloc(1, sizeof(*p));
	ferry_err rc = FERRY_ECORRUPT;

	if (!p)
		return odj_oom();
	if (open_ctr(r, &s, n, "OP_JOINPROV2_PART") || ndr_u32(&s, &p->flags, "provider2.dwFlags") ||
	    ndr_ptr(&s, &nb, "provider2.lpNetbiosName") || ndr_ptr(&s, &site, "provider2.lpSiteName") ||
	    ndr_ptr(&s, &dns, "provider2.lpPrimaryDNSDomain") ||
	    ndr_u32(&s, &p->reserved, "provider2.dwReserved") ||
	    ndr_ptr(&s, &res, "provider2.lpReserved"))
		goto out;
	if ((nb && ndr_string(&s, &p->netbios_name, "provider2.lpNetbiosName")) ||
	    (site && ndr_string(&s, &p->site, "provider2.lpSiteName")) ||
	    (dns && ndr_string(&s, &p->primary_dns_domain, "provider2.lpPrimaryDNSDomain")) ||
	    (res && ndr_string(&s, &p->reserved_str, "provider2.lpReserved")) ||
	    ndr_ts_close(&s, "OP_JOINPROV2_PART"))
		goto out;
	rc = FERRY_OK;
out:
	if (rc) {
		rc = odj_rc();
		odj_prov2_free(p);
	}
	if (!rc)
		*out = p;
	return rc;
}

static ferry_err decode_prov3(struct odj_prov3 **out, struct ndr_in *r, size_t n)
{
	struct ndr_in s;
	bool sid;
	struct odj_prov3 *p = ferry_calloc(1, sizeof(*p));
	ferry_err rc = FERRY_ECORRUPT;

	if (!p)
		return odj_oom();
	if (open_ctr(r, &s, n, "OP_JOINPROV3_PART") || ndr_u32(&s, &p->rid, "provider3.Rid") ||
	    ndr_ptr(&s, &sid, "provider3.lpSid") ||
	    (sid && ndr_string(&s, &p->sid, "provider3.lpSid")) ||
	    ndr_ts_close(&s, "OP_JOINPROV3_PART"))
		goto out;
	rc = FERRY_OK;
out:
	if (rc) {
		rc = odj_rc();
		odj_prov3_free(p);
	}
	if (!rc)
		*out = p;
	return rc;
}

/* The pointee of an OP_BLOB whose cb and pointer were read inline. */
static ferry_err op_blob_data(struct ndr_in *r, struct odj_bytes *b, uint32_t cb, bool present,
			      const char *what)
{
	const uint8_t *data;

	if (!present) {
		if (cb != 0)
			return ferry_error_set(FERRY_ECORRUPT, "ODJ: %s: %u bytes behind a NULL pointer (offset %zu)",
					       what, cb, r->base + r->off);
		return FERRY_OK;
	}
	if (ndr_byte_array(r, &data, cb, what))
		return FERRY_ECORRUPT;
	return odj_bytes_set(b, data, cb);
}

/* Decode a known part's bytes in their own stream, after keeping them raw. */
static ferry_err part_payload(struct odj_part *p, const struct ndr_in *outer, size_t at)
{
	struct ndr_in r = { p->raw.data, p->raw.len, 0, outer->base + at };

	switch (p->type) {
	case ODJ_PART_JOIN_PROVIDER:
		return decode_win7(&p->win7, &r, p->raw.len);
	case ODJ_PART_PROVIDER2:
		return decode_prov2(&p->prov2, &r, p->raw.len);
	case ODJ_PART_PROVIDER3:
		return decode_prov3(&p->prov3, &r, p->raw.len);
	default:
		return FERRY_OK;
	}
}

struct part_refs {
	uint32_t cb_part, cb_ext;
	bool part, ext;
};

static ferry_err decode_parts(struct odj_blob *b, struct ndr_in *s, uint32_t n)
{
	struct part_refs refs[ODJ_MAX_PARTS];
	uint32_t max;

	if (ndr_u32(s, &max, "pParts"))
		return FERRY_ECORRUPT;
	if (max != n)
		return ferry_error_set(FERRY_ECORRUPT, "ODJ: part array count is not cParts %u (offset %zu)",
				       n, s->base + s->off - 4);
	b->parts = ferry_calloc(n, sizeof(*b->parts));
	if (!b->parts)
		return odj_oom();
	b->nparts = n;
	for (uint32_t i = 0; i < n; i++) {
		struct odj_part *p = &b->parts[i];

		if (ndr_guid(s, &p->guid, "OP_PACKAGE_PART.PartType") ||
		    ndr_u32(s, &p->flags, "OP_PACKAGE_PART.ulFlags") ||
		    ndr_u32(s, &refs[i].cb_part, "OP_PACKAGE_PART.Part") ||
		    ndr_ptr(s, &refs[i].part, "OP_PACKAGE_PART.Part") ||
		    ndr_u32(s, &refs[i].cb_ext, "OP_PACKAGE_PART.Extension") ||
		    ndr_ptr(s, &refs[i].ext, "OP_PACKAGE_PART.Extension"))
			return FERRY_ECORRUPT;
		p->type = odj_part_type_of(&p->guid);
	}
	for (uint32_t i = 0; i < n; i++) {
		struct odj_part *p = &b->parts[i];
		if (op_blob_data(s, &p->raw, refs[i].cb_part, refs[i].part, "OP_PACKAGE_PART.Part") ||
		    part_payload(p, s, s->off - p->raw.len) ||
		    op_blob_data(s, &p->extension, refs[i].cb_ext, refs[i].ext,
				 "OP_PACKAGE_PART.Extension"))
			return odj_rc();
	}
	return FERRY_OK;
}

static ferry_err decode_collection(struct odj_blob *b, struct ndr_in *r, size_t n)
{
	struct ndr_in s;
	uint32_t cparts, cb_ext;
	bool parts, ext;

	if (open_ctr(r, &s, n, "OP_PACKAGE_PART_COLLECTION") ||
	    ndr_u32(&s, &cparts, "cParts") || ndr_ptr(&s, &parts, "pParts") ||
	    ndr_u32(&s, &cb_ext, "collection Extension") || ndr_ptr(&s, &ext, "collection Extension"))
		return FERRY_ECORRUPT;
	if (cparts > ODJ_MAX_PARTS || (cparts != 0) != parts)
		return ferry_error_set(FERRY_ECORRUPT, "ODJ: cParts %u is out of range (offset %zu)",
				       cparts, s.base + 4);
	if (parts && decode_parts(b, &s, cparts))
		return odj_rc();
	if (op_blob_data(&s, &b->collection_extension, cb_ext, ext, "collection Extension"))
		return FERRY_ECORRUPT;
	return ndr_ts_close(&s, "OP_PACKAGE_PART_COLLECTION");
}

static ferry_err decode_package(struct odj_blob *b, struct ndr_in *r, size_t n)
{
	struct ndr_in s, w;
	uint32_t cb_ctx, cb_wrap, cb_ext;
	bool ctx, wrap, ext;
	const uint8_t *data;

	if (open_ctr(r, &s, n, "OP_PACKAGE") ||
	    ndr_guid(&s, &b->encryption_type, "OP_PACKAGE.EncryptionType") ||
	    ndr_u32(&s, &cb_ctx, "OP_PACKAGE.EncryptionContext") ||
	    ndr_ptr(&s, &ctx, "OP_PACKAGE.EncryptionContext") ||
	    ndr_u32(&s, &cb_wrap, "OP_PACKAGE.WrappedPartCollection") ||
	    ndr_ptr(&s, &wrap, "OP_PACKAGE.WrappedPartCollection") ||
	    ndr_u32(&s, &b->cb_decrypted, "OP_PACKAGE.cbDecryptedPartCollection") ||
	    ndr_u32(&s, &cb_ext, "OP_PACKAGE.Extension") || ndr_ptr(&s, &ext, "OP_PACKAGE.Extension"))
		return FERRY_ECORRUPT;
	if (op_blob_data(&s, &b->encryption_context, cb_ctx, ctx, "OP_PACKAGE.EncryptionContext"))
		return odj_rc();
	if (!wrap)
		return ferry_error_set(FERRY_ECORRUPT, "ODJ: OP_PACKAGE has no part collection (offset %zu)",
				       s.base);
	if (ndr_byte_array(&s, &data, cb_wrap, "OP_PACKAGE.WrappedPartCollection"))
		return FERRY_ECORRUPT;
	w.p = data;
	w.len = cb_wrap;
	w.off = 0;
	w.base = s.base + (s.off - cb_wrap);
	if (decode_collection(b, &w, cb_wrap))
		return odj_rc();
	if (op_blob_data(&s, &b->package_extension, cb_ext, ext, "OP_PACKAGE.Extension"))
		return odj_rc();
	return ndr_ts_close(&s, "OP_PACKAGE");
}

static ferry_err decode_blob_payload(struct odj_blob *b, struct ndr_in *r)
{
	const uint8_t *data;
	struct ndr_in s;

	if (ndr_byte_array(r, &data, (uint32_t)b->size, "ODJ_BLOB.pBlob"))
		return FERRY_ECORRUPT;
	s.p = data;
	s.len = b->size;
	s.off = 0;
	s.base = r->base + r->off - b->size;
	switch (b->format) {
	case ODJ_FORMAT_WIN7:
		return decode_win7(&b->win7, &s, b->size);
	case ODJ_FORMAT_WIN8:
		return decode_package(b, &s, b->size);
	default:
		return odj_bytes_set(&b->raw, data, b->size);
	}
}

static ferry_err decode_top(struct odj_provision *p, struct ndr_in *s)
{
	uint32_t n, max, cb[ODJ_MAX_BLOBS];
	bool blobs, ptr[ODJ_MAX_BLOBS];

	if (ndr_u32(s, &p->version, "ulVersion") || ndr_u32(s, &n, "ulcBlobs") ||
	    ndr_ptr(s, &blobs, "pBlobs"))
		return FERRY_ECORRUPT;
	if (p->version != 1)
		return ferry_error_set(FERRY_ECORRUPT, "ODJ: ulVersion %u is not 1 (offset %zu)",
				       p->version, s->base + 4);
	if (n == 0 || n > ODJ_MAX_BLOBS || !blobs)
		return ferry_error_set(FERRY_ECORRUPT, "ODJ: ulcBlobs %u is out of range (offset %zu)",
				       n, s->base + 8);
	if (ndr_u32(s, &max, "pBlobs"))
		return FERRY_ECORRUPT;
	if (max != n)
		return ferry_error_set(FERRY_ECORRUPT, "ODJ: blob array count is not ulcBlobs %u (offset %zu)",
				       n, s->base + s->off - 4);
	p->blobs = ferry_calloc(n, sizeof(*p->blobs));
	if (!p->blobs)
		return odj_oom();
	p->nblobs = n;
	for (uint32_t i = 0; i < n; i++) {
		if (ndr_u32(s, &p->blobs[i].format, "ODJ_BLOB.ulODJFormat") ||
		    ndr_u32(s, &cb[i], "ODJ_BLOB.cbBlob") || ndr_ptr(s, &ptr[i], "ODJ_BLOB.pBlob"))
			return FERRY_ECORRUPT;
		if (!ptr[i] || cb[i] > ODJ_MAX_BLOB_BYTES)
			return ferry_error_set(FERRY_ECORRUPT, "ODJ: blob %u: bad pBlob/cbBlob %u (offset %zu)",
					       i, cb[i], s->base + s->off - 8);
		p->blobs[i].size = cb[i];
	}
	for (uint32_t i = 0; i < n; i++) {
		ferry_err rc = decode_blob_payload(&p->blobs[i], s);

		if (rc)
			return rc;
	}
	return ndr_ts_close(s, "ODJ_PROVISION_DATA");
}

ferry_err odj_decode(struct odj_provision **out, const uint8_t *buf, size_t len)
{
	struct ndr_in r = { buf, len, 0, 0 };
	struct ndr_in s;
	struct odj_provision *p = NULL;
	ferry_err rc;

	*out = NULL;
	ferry_error_clear();
	if (len > ODJ_MAX_BLOB_BYTES)
		return ferry_error_set(FERRY_ECORRUPT, "ODJ: blob of %zu bytes is larger than %u", len,
				       ODJ_MAX_BLOB_BYTES);
	rc = open_ctr(&r, &s, len, "ODJ_PROVISION_DATA");
	if (rc)
		return rc;
	p = ferry_calloc(1, sizeof(*p));
	if (!p)
		return odj_oom();
	rc = decode_top(p, &s);
	if (rc) {
		odj_provision_free(p);
		return rc;
	}
	*out = p;
	return FERRY_OK;
}
