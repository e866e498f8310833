/*
 * ODJ: ownership (free), GUID and SID text, the part-type table, and the
 * accessors that find the join data inside a provision.
 */
#include <stdio.h>
#include <string.h>

#include "odj/odj.h"
#include "odj/odj_internal.h"
#include "util/bytes.h"
#include "util/hex.h"

ferry_err odj_oom(void)
{
	return ferry_error_set(FERRY_ENOMEM, "%s", ODJ_OOM_DETAIL);
}

ferry_err odj_rc(void)
{
	return strcmp(ferry_error_detail(), ODJ_OOM_DETAIL) ? FERRY_ECORRUPT : FERRY_ENOMEM;
}

ferry_err odj_bytes_set(struct odj_bytes *b, const uint8_t *data, size_t n)
{
	/* One spare byte so that a present, empty array has a non-NULL pointer. */
	b->data = ferry_malloc(n + 1);
	if (!b->data)
		return odj_oom();
	if (n)
		memcpy(b->data, data, n);
	b->len = n;
	return FERRY_OK;
}

void odj_bytes_clear(struct odj_bytes *b)
{
	if (b->data) {
		/* Parts may carry keys (cert PFX): wipe like any secret. */
		ferry_wipe(b->data, b->len);
		ferry_free(b->data);
	}
	b->data = NULL;
	b->len = 0;
}

static void dc_free(struct odj_dc_info *d)
{
	ferry_free(d->name);
	ferry_free(d->address);
	ferry_free(d->domain_name);
	ferry_free(d->forest_name);
	ferry_free(d->site);
	ferry_free(d->client_site);
}

void odj_win7_free(struct odj_win7 *w)
{
	if (!w)
		return;
	ferry_free(w->domain);
	ferry_free(w->machine_name);
	ferry_secret_free(w->machine_password);
	ferry_free(w->netbios_name);
	ferry_free(w->dns_name);
	ferry_free(w->forest_name);
	dc_free(&w->dc);
	ferry_free(w);
}

void odj_prov2_free(struct odj_prov2 *p)
{
	if (!p)
		return;
	ferry_free(p->netbios_name);
	ferry_free(p->site);
	ferry_free(p->primary_dns_domain);
	ferry_free(p->reserved_str);
	ferry_free(p);
}

void odj_prov3_free(struct odj_prov3 *p)
{
	if (!p)
		return;
	ferry_free(p->sid);
	ferry_free(p);
}

static void blob_free(struct odj_blob *b)
{
	odj_bytes_clear(&b->raw);
	odj_win7_free(b->win7);
	odj_bytes_clear(&b->encryption_context);
	odj_bytes_clear(&b->package_extension);
	odj_bytes_clear(&b->collection_extension);
	for (size_t i = 0; b->parts && i < b->nparts; i++) {
		odj_bytes_clear(&b->parts[i].raw);
		odj_bytes_clear(&b->parts[i].extension);
		odj_win7_free(b->parts[i].win7);
		odj_prov2_free(b->parts[i].prov2);
		odj_prov3_free(b->parts[i].prov3);
	}
	ferry_free(b->parts);
}

void odj_provision_free(struct odj_provision *p)
{
	if (!p)
		return;
	for (size_t i = 0; p->blobs && i < p->nblobs; i++)
		blob_free(&p->blobs[i]);
	ferry_free(p->blobs);
	ferry_free(p);
}

/* The part GUIDs as wire bytes (Data1..3 little-endian), from ODJ.idl. */
static const struct {
	enum odj_part_type type;
	struct odj_guid guid;
} part_types[] = {
	{ ODJ_PART_JOIN_PROVIDER, /* 631c7621-5289-4321-bc9e-80f843f868c3 */
	  { { 0x21, 0x76, 0x1c, 0x63, 0x89, 0x52, 0x21, 0x43, 0xbc, 0x9e, 0x80, 0xf8, 0x43, 0xf8, 0x68, 0xc3 } } },
	{ ODJ_PART_PROVIDER2, /* 57bfc56b-52f9-480c-adcb-91b3f8a82317 */
	  { { 0x6b, 0xc5, 0xbf, 0x57, 0xf9, 0x52, 0x0c, 0x48, 0xad, 0xcb, 0x91, 0xb3, 0xf8, 0xa8, 0x23, 0x17 } } },
	{ ODJ_PART_PROVIDER3, /* fc0ccf25-7ffa-474a-8611-69ffe269645f */
	  { { 0x25, 0xcf, 0x0c, 0xfc, 0xfa, 0x7f, 0x4a, 0x47, 0x86, 0x11, 0x69, 0xff, 0xe2, 0x69, 0x64, 0x5f } } },
	{ ODJ_PART_CERT, /* 9c0971e9-832f-4873-8e87-ef1419d4781e */
	  { { 0xe9, 0x71, 0x09, 0x9c, 0x2f, 0x83, 0x73, 0x48, 0x8e, 0x87, 0xef, 0x14, 0x19, 0xd4, 0x78, 0x1e } } },
	{ ODJ_PART_POLICY, /* 68fb602a-0c09-48ce-b75f-07b7bd58f7ec */
	  { { 0x2a, 0x60, 0xfb, 0x68, 0x09, 0x0c, 0xce, 0x48, 0xb7, 0x5f, 0x07, 0xb7, 0xbd, 0x58, 0xf7, 0xec } } },
};

#define NPART_TYPES (sizeof(part_types) / sizeof(part_types[0]))

enum odj_part_type odj_part_type_of(const struct odj_guid *g)
{
	for (size_t i = 0; i < NPART_TYPES; i++) {
		if (!memcmp(part_types[i].guid.b, g->b, 16))
			return part_types[i].type;
	}
	return ODJ_PART_UNKNOWN;
}

const struct odj_guid *odj_part_guid(enum odj_part_type t)
{
	for (size_t i = 0; i < NPART_TYPES; i++) {
		if (part_types[i].type == t)
			return &part_types[i].guid;
	}
	return NULL;
}

void odj_guid_format(char out[37], const struct odj_guid *g)
{
	const uint8_t *b = g->b;

	snprintf(out, 37, "%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x", get_u32le(b),
		 get_u16le(b + 4), get_u16le(b + 6), b[8], b[9], b[10], b[11], b[12], b[13], b[14],
		 b[15]);
}

ferry_err odj_guid_parse(struct odj_guid *out, const char *s)
{
	/* Byte order of the 16 text bytes on the wire: Data1..3 reversed. */
	static const uint8_t order[16] = { 3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15 };
	uint8_t text[16];
	size_t n = strlen(s), k = 0, i;
	bool braces = n == 38 && s[0] == '{' && s[37] == '}';

	if (n != 36 && !braces)
		return ferry_error_set(FERRY_EINVAL, "GUID: wrong length");
	if (braces)
		s++;
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return ferry_error_set(FERRY_EINVAL, "GUID: '-' expected at %zu", i);
			continue;
		}
		if (ferry_hex_digit(s[i]) < 0 || ferry_hex_digit(s[i + 1]) < 0)
			return ferry_error_set(FERRY_EINVAL, "GUID: hex digit expected at %zu", i);
		text[k++] = (uint8_t)(ferry_hex_digit(s[i]) << 4 | ferry_hex_digit(s[i + 1]));
		i++;
	}
	for (i = 0; i < 16; i++)
		out->b[i] = text[order[i]];
	return FERRY_OK;
}

void odj_sid_format(char *out, size_t outlen, const struct odj_sid *s)
{
	uint64_t auth = 0;
	size_t used;

	for (int i = 0; i < 6; i++)
		auth = auth << 8 | s->id_auth[i];
	snprintf(out, outlen, "S-%u-%llu", s->revision, (unsigned long long)auth);
	for (unsigned i = 0; i < s->num_auths && i < ODJ_MAX_SUB_AUTHS; i++) {
		used = strlen(out);
		snprintf(out + used, outlen - used, "-%lu", (unsigned long)s->sub_auths[i]);
	}
}

const struct odj_win7 *odj_provision_win7(const struct odj_provision *p)
{
	const struct odj_win7 *part = NULL;

	for (size_t i = 0; i < p->nblobs; i++) {
		const struct odj_blob *b = &p->blobs[i];

		if (b->format == ODJ_FORMAT_WIN7 && b->win7)
			return b->win7;
		for (size_t j = 0; !part && j < b->nparts; j++)
			part = b->parts[j].win7;
	}
	return part;
}

static const struct odj_part *find_part(const struct odj_provision *p, enum odj_part_type t)
{
	for (size_t i = 0; i < p->nblobs; i++) {
		for (size_t j = 0; j < p->blobs[i].nparts; j++) {
			if (p->blobs[i].parts[j].type == t)
				return &p->blobs[i].parts[j];
		}
	}
	return NULL;
}

const struct odj_prov2 *odj_provision_prov2(const struct odj_provision *p)
{
	const struct odj_part *part = find_part(p, ODJ_PART_PROVIDER2);

	return part ? part->prov2 : NULL;
}

const struct odj_prov3 *odj_provision_prov3(const struct odj_provision *p)
{
	const struct odj_part *part = find_part(p, ODJ_PART_PROVIDER3);

	return part ? part->prov3 : NULL;
}
