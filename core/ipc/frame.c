/*
 * Pipe frames (design §3).
 *
 *   offset  size  field
 *   ------  ----  -----------------------------------------------------
 *        0     1  length bits 0-7    \
 *        1     1  length bits 8-15    | uint32 little-endian: L, the
 *        2     1  length bits 16-23   | payload size in bytes
 *        3     1  length bits 24-31  /
 *        4     L  payload: UTF-8 JSON text of exactly one object
 *      4+L        next frame's header (frames are back to back)
 *
 *   payload  {"v":1,"id":N,"op":"name", ...}   a request
 *            {"v":1,"id":N,"ok":true|false, ...} a reply
 *
 * Invariants:
 *   1. 1 <= L <= 65536. A zero or larger length kills the stream: the
 *      decoder never trusts a byte after it.
 *   2. The payload is strict UTF-8 (no overlongs, surrogates, code points
 *      past U+10FFFF) and holds no NUL byte.
 *   3. The payload is one JSON object and nothing else but whitespace.
 *      No object anywhere in it repeats a key (so a reader cannot be
 *      fooled into taking a different value than a validator checked).
 *   4. "v" is the number 1. "id" is an integer 0..2^53-1, and at least 1
 *      in a request (0 is reserved for replies to frames whose id could
 *      not be read). A request's "op" is a string of 1..32 bytes; a reply's
 *      "ok" is a boolean.
 *   5. The decoder holds at most one frame's bytes (4 + 65536), however
 *      bytes arrive, and wipes them once the frame is parsed.
 *
 * Decoder states: HEADER (hdr_have < 4) -> PAYLOAD (have < need) -> parse
 * -> HEADER, all in ipc_decoder_feed; any failure -> dead.
 */
#include <string.h>

#include "ipc/frame.h"
#include "util/bytes.h"
#include "util/mem.h"

static void wipe_tree(cJSON *n)
{
	for (; n; n = n->next) {
		if (n->valuestring)
			ferry_wipe(n->valuestring, strlen(n->valuestring));
		if (n->string)
			ferry_wipe(n->string, strlen(n->string));
		wipe_tree(n->child);
	}
}

void ipc_json_delete_wiped(cJSON *root)
{
	if (!root)
		return;
	wipe_tree(root);
	cJSON_Delete(root);
}

void ipc_frame_free(struct ipc_frame *f)
{
	if (!f)
		return;
	ipc_json_delete_wiped(f->root);
	ferry_wipe(f, sizeof(*f));
	ferry_free(f);
}

void ipc_decoder_init(struct ipc_decoder *d, enum ipc_frame_kind kind)
{
	memset(d, 0, sizeof(*d));
	d->kind = kind;
}

void ipc_decoder_free(struct ipc_decoder *d)
{
	if (!d)
		return;
	if (d->payload)
		ferry_wipe(d->payload, IPC_PAYLOAD_MAX + 1);
	ferry_free(d->payload);
	d->payload = NULL;
}

bool ipc_decoder_pending(const struct ipc_decoder *d)
{
	return d->hdr_have > 0;
}

/* Length of the strict UTF-8 sequence starting at p[0], or 0 if invalid. */
static size_t utf8_seq(const uint8_t *p, size_t left)
{
	uint8_t c = p[0];
	size_t n;
	uint32_t cp, min;

	if (c < 0x80)
		return c ? 1 : 0; /* NUL is refused too (invariant 2) */
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2; cp = c & 0x1f; min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3; cp = c & 0x0f; min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4; cp = c & 0x07; min = 0x10000;
	} else {
		return 0;
	}
	if (left < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

static ferry_err check_utf8(const uint8_t *p, size_t len, uint64_t base)
{
	for (size_t i = 0; i < len;) {
		size_t n = utf8_seq(p + i, len - i);

		if (n == 0)
			return ferry_error_set(FERRY_ECORRUPT,
					       "ipc: %s in payload (offset %llu)",
					       p[i] ? "invalid UTF-8" : "NUL byte",
					       (unsigned long long)(base + i));
		i += n;
	}
	return FERRY_OK;
}

/* Invariant 3: no object in the tree repeats a key. Returns the key or NULL. */
static const char *duplicate_key(const cJSON *n)
{
	for (; n; n = n->next) {
		if (cJSON_IsObject(n)) {
			for (const cJSON *a = n->child; a; a = a->next)
				for (const cJSON *b = a->next; b; b = b->next)
					if (a->string && b->string && !strcmp(a->string, b->string))
						return a->string;
		}
		const char *k = duplicate_key(n->child);
		if (k)
			return k;
	}
	return NULL;
}

/* An integer-valued JSON number in [min, IPC_ID_MAX], or false. */
static bool json_uint(const cJSON *n, uint64_t min, uint64_t *out)
{
	double d;

	if (!cJSON_IsNumber(n))
		return false;
	d = n->valuedouble;
	if (!(d >= (double)min && d <= (double)IPC_ID_MAX))
		return false;
	if ((double)(uint64_t)d != d)
		return false;
	*out = (uint64_t)d;
	return true;
}

/* Invariant 4, on a parsed object. */
static ferry_err check_envelope(struct ipc_frame *f, enum ipc_frame_kind kind, uint64_t at)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(f->root, "v");
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(f->root, "id");
	uint64_t ver = 0;

	if (!v)
		return ferry_error_set(FERRY_ECORRUPT, "ipc: frame has no \"v\" (offset %llu)",
				       (unsigned long long)at);
	if (!json_uint(v, 0, &ver))
		return ferry_error_set(FERRY_ECORRUPT,
				       "ipc: \"v\" is not a non-negative integer (offset %llu)",
				       (unsigned long long)at);
	if (ver != IPC_VERSION)
		return ferry_error_set(FERRY_EUNSUPPORTED,
				       "ipc: protocol version %llu unsupported, want %d (offset %llu)",
				       (unsigned long long)ver, IPC_VERSION, (unsigned long long)at);
	if (!id)
		return ferry_error_set(FERRY_ECORRUPT, "ipc: frame has no \"id\" (offset %llu)",
				       (unsigned long long)at);
	if (!json_uint(id, kind == IPC_FRAME_REQUEST ? 1 : 0, &f->id))
		return ferry_error_set(FERRY_ECORRUPT,
				       "ipc: \"id\" is not an integer in %d..2^53-1 (offset %llu)",
				       kind == IPC_FRAME_REQUEST ? 1 : 0, (unsigned long long)at);
	if (kind == IPC_FRAME_REPLY) {
		const cJSON *ok = cJSON_GetObjectItemCaseSensitive(f->root, "ok");

		if (!cJSON_IsBool(ok))
			return ferry_error_set(FERRY_ECORRUPT,
					       "ipc: reply \"ok\" %s (offset %llu)",
					       ok ? "is not a boolean" : "is missing",
					       (unsigned long long)at);
		f->ok = cJSON_IsTrue(ok);
		return FERRY_OK;
	}
	const cJSON *op = cJSON_GetObjectItemCaseSensitive(f->root, "op");
	if (!op)
		return ferry_error_set(FERRY_ECORRUPT, "ipc: request has no \"op\" (offset %llu)",
				       (unsigned long long)at);
	if (!cJSON_IsString(op) || !op->valuestring[0] || strlen(op->valuestring) > IPC_OP_MAX)
		return ferry_error_set(FERRY_ECORRUPT,
				       "ipc: \"op\" is not a string of 1..%d bytes (offset %llu)",
				       IPC_OP_MAX, (unsigned long long)at);
	memcpy(f->op, op->valuestring, strlen(op->valuestring) + 1);
	return FERRY_OK;
}

/* Parse the whole payload held in d; wipes it whatever happens. */
static ferry_err parse_payload(struct ipc_decoder *d, struct ipc_frame **out)
{
	uint64_t body = d->start + IPC_HEADER_SIZE;
	struct ipc_frame *f = NULL;
	const char *end = NULL;
	const char *dup;
	ferry_err rc;

	rc = check_utf8(d->payload, d->need, body);
	if (rc)
		goto out;
	d->payload[d->need] = 0;
	f = ferry_calloc(1, sizeof(*f));
	if (!f) {
		rc = ferry_error_set(FERRY_ENOMEM, "ipc: frame");
		goto out;
	}
	f->offset = d->start;
	f->root = cJSON_ParseWithOpts((const char *)d->payload, &end, 1);
	if (!f->root) {
		size_t at = end ? (size_t)(end - (const char *)d->payload) : 0;
		rc = ferry_error_set(FERRY_ECORRUPT, "ipc: payload is not valid JSON (offset %llu)",
				     (unsigned long long)(body + at));
		goto out;
	}
	if (!cJSON_IsObject(f->root)) {
		rc = ferry_error_set(FERRY_ECORRUPT,
				     "ipc: payload is JSON but not an object (offset %llu)",
				     (unsigned long long)body);
		goto out;
	}
	dup = duplicate_key(f->root);
	if (dup) {
		rc = ferry_error_set(FERRY_ECORRUPT, "ipc: key \"%.32s\" repeated (offset %llu)",
				     dup, (unsigned long long)body);
		goto out;
	}
	rc = check_envelope(f, d->kind, d->start);
out:
	ferry_wipe(d->payload, (size_t)d->need + 1);
	if (rc) {
		ipc_frame_free(f);
		f = NULL;
	}
	*out = f;
	return rc;
}

/* Header is whole: check the length (invariant 1) and get the buffer. */
static ferry_err start_payload(struct ipc_decoder *d)
{
	d->need = get_u32le(d->hdr);
	if (d->need == 0 || d->need > IPC_PAYLOAD_MAX)
		return ferry_error_set(FERRY_ERANGE,
				       "ipc: frame length %lu not in 1..%u (offset %llu)",
				       (unsigned long)d->need, IPC_PAYLOAD_MAX,
				       (unsigned long long)d->start);
	if (!d->payload) {
		d->payload = ferry_malloc(IPC_PAYLOAD_MAX + 1);
		if (!d->payload)
			return ferry_error_set(FERRY_ENOMEM, "ipc: frame buffer");
	}
	d->have = 0;
	return FERRY_OK;
}

ferry_err ipc_decoder_feed(struct ipc_decoder *d, const uint8_t *buf, size_t len, size_t *used,
			   struct ipc_frame **out)
{
	size_t pos = 0;
	ferry_err rc = FERRY_OK;

	*out = NULL;
	*used = 0;
	if (d->dead)
		return ferry_error_set(d->dead, "ipc: stream already failed; close the connection");
	while (pos < len && d->hdr_have < IPC_HEADER_SIZE) {
		if (d->hdr_have == 0)
			d->start = d->offset + pos;
		d->hdr[d->hdr_have++] = buf[pos++];
		if (d->hdr_have == IPC_HEADER_SIZE) {
			rc = start_payload(d);
			if (rc)
				goto out;
		}
	}
	if (d->hdr_have == IPC_HEADER_SIZE) {
		size_t take = d->need - d->have;

		if (take > len - pos)
			take = len - pos;
		memcpy(d->payload + d->have, buf + pos, take);
		d->have += take;
		pos += take;
		if (d->have == d->need) {
			d->hdr_have = 0;
			rc = parse_payload(d, out);
		}
	}
out:
	d->offset += pos;
	*used = pos;
	if (rc)
		d->dead = rc;
	return rc;
}

ferry_err ipc_frame_encode(struct ferry_buf *out, const cJSON *obj)
{
	/* +1 for cJSON's terminator, +5 because cJSON_PrintPreallocated wants slack. */
	const int cap = (int)IPC_PAYLOAD_MAX + 6;
	char *text = ferry_malloc((size_t)cap);
	uint8_t hdr[IPC_HEADER_SIZE];
	size_t n;
	ferry_err rc;

	if (!text)
		return ferry_error_set(FERRY_ENOMEM, "ipc: encode buffer");
	if (!cJSON_IsObject(obj)) {
		rc = ferry_error_set(FERRY_EINVAL, "ipc: only an object can be a frame");
		goto out;
	}
	if (!cJSON_PrintPreallocated((cJSON *)obj, text, cap, 0)) {
		rc = ferry_error_set(FERRY_ERANGE, "ipc: frame JSON exceeds %u bytes",
				     IPC_PAYLOAD_MAX);
		goto out;
	}
	n = strlen(text);
	if (n == 0 || n > IPC_PAYLOAD_MAX) {
		rc = ferry_error_set(FERRY_ERANGE, "ipc: frame JSON of %lu bytes exceeds %u",
				     (unsigned long)n, IPC_PAYLOAD_MAX);
		goto out;
	}
	put_u32le(hdr, (uint32_t)n);
	rc = ferry_buf_append(out, hdr, sizeof(hdr));
	if (!rc)
		rc = ferry_buf_append(out, text, n);
out:
	ferry_wipe(text, (size_t)cap);
	ferry_free(text);
	return rc;
}
