/*
 * The SID-translation engine (semantics in translate.h, byte layout in
 * sd.c). Two passes over one SD, no allocation:
 *
 *   scan     check every structure the way sd_check does and look every
 *            trustee, the owner and the group up in the table. No hit that
 *            matters for the mode -> return the input untouched.
 *   rebuild  write the parts into the caller's buffer in their input order,
 *            transforming ACEs and dropping duplicates as it goes; offsets,
 *            sizes and counts are patched behind the writer. If nothing was
 *            actually altered (add mode with every twin already present) the
 *            input is returned after all.
 *
 * Cost per SD: one hash per trustee and a quick reject on the SID's
 * sub-authority count before that; a rewrite is a copy of the SD plus an
 * O(n^2) duplicate check inside each ACL, n being its ACE count.
 */
#include "sec/translate.h"

#include <string.h>

#include "util/bytes.h"

struct rebuild {
	const uint8_t *in;
	const struct sec_table *t;
	enum sd_mode mode;
	uint8_t *out;
	size_t cap;
	size_t w; /* bytes written so far */
	bool altered;
};

/* A fault scan_acl found: let acl_check name it. The two test the same
 * conditions (the fuzzer holds them to it); should they ever disagree, the
 * SD is still refused rather than rebuilt. */
static ferry_err acl_fault(const uint8_t *in, size_t len, size_t off)
{
	size_t size;
	ferry_err rc = acl_check(&size, in, len, off);

	if (rc != FERRY_OK)
		return rc;
	return ferry_error_set(FERRY_ECORRUPT, "ACL: malformed (offset %zu)", off);
}

/* Check the ACL at in[off..) and count trustees that are sources. */
static ferry_err scan_acl(size_t *hits, const uint8_t *in, size_t len, size_t off,
                          const struct sec_table *t)
{
	const uint8_t *acl = in + off;
	size_t size, count, p = ACL_HEADER_SIZE;

	if (len - off < ACL_HEADER_SIZE || acl[0] < 2 || acl[0] > 4)
		return acl_fault(in, len, off);
	size = get_u16le(acl + 2);
	count = get_u16le(acl + 4);
	if (size < ACL_HEADER_SIZE || size > len - off)
		return acl_fault(in, len, off);
	for (size_t i = 0; i < count; i++) {
		size_t ace_size, sid_off = 0, sid_len = 0;
		ferry_err rc;

		if (size - p < ACE_HEADER_SIZE)
			return acl_fault(in, len, off);
		ace_size = get_u16le(acl + p + 2);
		if (ace_size < ACE_HEADER_SIZE || ace_size % 4 || ace_size > size - p)
			return acl_fault(in, len, off);
		rc = ace_trustee(&sid_off, &sid_len, acl + p, ace_size, off + p);
		if (rc != FERRY_OK)
			return rc;
		if (sid_off && sec_table_lookup(t, acl + p + sid_off, sid_len))
			(*hits)++;
		p += ace_size;
	}
	return FERRY_OK;
}

/* Write one ACE: in-ACE bytes with the trustee [so, so+sl) replaced by
 * sid[0..n) (or kept when sid is NULL). Returns the new size, or 0 when it
 * does not fit (error already set). */
static size_t put_ace(struct rebuild *r, const uint8_t *ace, size_t size, size_t so, size_t sl,
                      const uint8_t *sid, size_t n)
{
	size_t ns = sid ? size - sl + n : size;
	uint8_t *d = r->out + r->w;

	if (ns > ACE_MAX_SIZE) {
		ferry_error_set(FERRY_ERANGE, "ACE: would grow to %zu bytes", ns);
		return 0;
	}
	if (ns > r->cap - r->w) {
		ferry_error_set(FERRY_ERANGE, "SD: output buffer of %zu bytes too small", r->cap);
		return 0;
	}
	if (!sid) {
		memcpy(d, ace, size);
		return size;
	}
	memcpy(d, ace, so);
	memcpy(d + so, sid, n);
	memcpy(d + so + n, ace + so + sl, size - so - sl);
	put_u16le(d + 2, (uint16_t)ns);
	return ns;
}

/* Is ace[0..n) byte-identical to one of the count ACEs starting at first?
 * The first 8 bytes (header and mask) are compared inline: distinct ACEs of
 * equal size nearly always differ there, so memcmp runs only for the rare
 * near-duplicates. */
static bool seen(const uint8_t *first, size_t count, const uint8_t *ace, size_t n)
{
	uint64_t head = 0, h;

	if (n >= 8)
		memcpy(&head, ace, 8);
	for (size_t i = 0; i < count; i++) {
		size_t s = get_u16le(first + 2);

		if (s == n) {
			if (n < 8) {
				if (!memcmp(first, ace, n))
					return true;
			} else {
				memcpy(&h, first, 8);
				if (h == head && !memcmp(first + 8, ace + 8, n - 8))
					return true;
			}
		}
		first += s;
	}
	return false;
}

/* Keep the ACE just written at out[w..w+n) unless it duplicates an earlier one. */
static void keep(struct rebuild *r, size_t acl_off, size_t *count, size_t n, bool *need_ds)
{
	if (seen(r->out + acl_off + ACL_HEADER_SIZE, *count, r->out + r->w, n))
		return;
	if (ace_kind_of(r->out[r->w]) == ACE_KIND_OBJECT)
		*need_ds = true;
	r->w += n;
	(*count)++;
}

static ferry_err rebuild_acl(struct rebuild *r, size_t off)
{
	const uint8_t *acl = r->in + off;
	size_t count = get_u16le(acl + 4);
	size_t o = r->w, n_out = 0, p = ACL_HEADER_SIZE;
	bool need_ds = false;

	if (r->cap - r->w < ACL_HEADER_SIZE)
		return ferry_error_set(FERRY_ERANGE, "SD: output buffer of %zu bytes too small",
		                       r->cap);
	memcpy(r->out + o, acl, ACL_HEADER_SIZE);
	r->w += ACL_HEADER_SIZE;
	for (size_t i = 0; i < count; i++) {
		const uint8_t *ace = acl + p;
		size_t size = get_u16le(ace + 2), so = 0, sl = 0, n;
		const struct sec_table_entry *e = NULL;

		(void)ace_trustee(&so, &sl, ace, size, off + p); /* checked by scan */
		p += size;
		if (so)
			e = sec_table_lookup(r->t, ace + so, sl);
		if (e && r->mode == SD_MODE_REMOVE) {
			r->altered = true;
			continue;
		}
		if (e && r->mode == SD_MODE_REPLACE) {
			if (!(n = put_ace(r, ace, size, so, sl, e->dst, e->dst_len)))
				return FERRY_ERANGE;
			r->altered = true;
		} else if (!(n = put_ace(r, ace, size, so, sl, NULL, 0))) {
			return FERRY_ERANGE;
		}
		keep(r, o, &n_out, n, &need_ds);
		if (!e || r->mode != SD_MODE_ADD)
			continue;
		if (!(n = put_ace(r, ace, size, so, sl, e->dst, e->dst_len)))
			return FERRY_ERANGE;
		/* The twin goes in only if the input ACL lacks it. */
		if (seen(acl + ACL_HEADER_SIZE, count, r->out + r->w, n))
			continue;
		r->altered = true;
		keep(r, o, &n_out, n, &need_ds);
	}
	if (r->w - o > ACL_MAX_SIZE || n_out > 0xFFFF)
		return ferry_error_set(FERRY_ERANGE, "ACL at offset %zu would grow past 64 KiB",
		                       off);
	if (need_ds && r->out[o] < ACL_REVISION_DS)
		r->out[o] = ACL_REVISION_DS;
	put_u16le(r->out + o + 2, (uint16_t)(r->w - o));
	put_u16le(r->out + o + 4, (uint16_t)n_out);
	return FERRY_OK;
}

static ferry_err rebuild_sid(struct rebuild *r, size_t off)
{
	const uint8_t *sid = r->in + off;
	size_t n = (size_t)SID_MIN_BYTES + 4u * sid[1];
	const struct sec_table_entry *e = NULL;

	if (r->mode != SD_MODE_ADD)
		e = sec_table_lookup(r->t, sid, n);
	if (e) {
		sid = e->dst;
		n = e->dst_len;
		r->altered = true;
	}
	if (n > r->cap - r->w)
		return ferry_error_set(FERRY_ERANGE, "SD: output buffer of %zu bytes too small",
		                       r->cap);
	memcpy(r->out + r->w, sid, n);
	r->w += n;
	return FERRY_OK;
}

static ferry_err rebuild(struct rebuild *r, const struct sd_header *h)
{
	int order[4], n = 0;

	if (r->cap < SD_HEADER_SIZE)
		return ferry_error_set(FERRY_ERANGE, "SD: output buffer of %zu bytes too small",
		                       r->cap);
	/* Parts keep their input order (insertion sort of at most 4). */
	for (int i = 0; i < 4; i++) {
		int j;

		if (!h->off[i])
			continue;
		for (j = n++; j > 0 && h->off[order[j - 1]] > h->off[i]; j--)
			order[j] = order[j - 1];
		order[j] = i;
	}
	memcpy(r->out, r->in, 4);
	memset(r->out + 4, 0, 16);
	r->w = SD_HEADER_SIZE;
	for (int k = 0; k < n; k++) {
		int i = order[k];
		ferry_err rc;

		put_u32le(r->out + 4 + 4 * i, (uint32_t)r->w);
		if (i == SD_OWNER || i == SD_GROUP)
			rc = rebuild_sid(r, h->off[i]);
		else
			rc = rebuild_acl(r, h->off[i]);
		if (rc != FERRY_OK)
			return rc;
	}
	return FERRY_OK;
}

ferry_err sd_translate(const uint8_t *in, size_t in_len, const struct sec_table *t,
                       enum sd_mode mode, struct sd_out *out, bool *changed)
{
	struct sd_header h;
	struct rebuild r;
	size_t hits = 0, n = 0;
	ferry_err rc;

	*changed = false;
	out->data = NULL;
	out->len = 0;
	if ((rc = sd_header_parse(&h, in, in_len)) != FERRY_OK)
		return rc;
	for (int i = SD_OWNER; i <= SD_GROUP; i++) {
		if (!h.off[i])
			continue;
		rc = sid_check_bytes(&n, in + h.off[i], in_len - h.off[i], h.off[i]);
		if (rc != FERRY_OK)
			return rc;
		if (mode != SD_MODE_ADD && sec_table_lookup(t, in + h.off[i], n))
			hits++;
	}
	for (int i = SD_SACL; i <= SD_DACL; i++)
		if (h.off[i] && (rc = scan_acl(&hits, in, in_len, h.off[i], t)) != FERRY_OK)
			return rc;
	if (hits) {
		r = (struct rebuild){.in = in,
		                     .t = t,
		                     .mode = mode,
		                     .out = out->buf,
		                     .cap = out->buf ? out->cap : 0};
		if ((rc = rebuild(&r, &h)) != FERRY_OK)
			return rc;
		if (r.altered) {
			out->data = out->buf;
			out->len = r.w;
			*changed = true;
			return FERRY_OK;
		}
	}
	out->data = in;
	out->len = in_len;
	return FERRY_OK;
}

ferry_err sd_mode_parse(enum sd_mode *mode, const char *name)
{
	static const char *const names[] = {"replace", "add", "remove"};

	for (int i = 0; i < 3; i++) {
		if (!strcmp(name, names[i])) {
			*mode = (enum sd_mode)i;
			return FERRY_OK;
		}
	}
	return ferry_error_set(FERRY_EINVAL, "mode \"%.40s\": expected replace, add or remove",
	                       name);
}

const char *sd_mode_name(enum sd_mode mode)
{
	switch (mode) {
	case SD_MODE_REPLACE:
		return "replace";
	case SD_MODE_ADD:
		return "add";
	case SD_MODE_REMOVE:
		return "remove";
	}
	return "?";
}
