/*
 * The package archive: one blob carrying a signed package folder.
 *
 * LAYOUT (all integers little-endian; nothing is aligned)
 *
 *   Header, 16 bytes:
 *
 *     0          8          12         16
 *     +----------+----------+----------+
 *     |  magic   | version  |  count   |   magic = "FERRYPKG" (8 ASCII bytes),
 *     +----------+----------+----------+   version = 1, count = N, 2..258
 *
 *   then exactly N entries, back to back, each 10 + L + D bytes:
 *
 *     offset   size  field
 *       0        2   L      name length, 1..240
 *       2        L   name   UTF-8, no NUL
 *       2+L      8   D      data length
 *      10+L      D   data   the file's bytes
 *
 *   entry 0: name "manifest.json", D 1..65536 (the signed manifest)
 *   entry 1: name "manifest.sig",  D 1..256   (its signature text)
 *   entries 2..N-1: the manifest's files, in the manifest's order
 *
 *   The blob ends where entry N-1 ends.
 *
 * INVARIANTS (package_archive_parse checks 1-5, package_archive_verify 6)
 *   1. The blob is at most PACKAGE_ARCHIVE_MAX bytes (the signed lists'
 *      size cap), and every length is checked against the bytes left
 *      before anything is read through it.
 *   2. The header is "FERRYPKG", version 1 (another: FERRY_EUNSUPPORTED),
 *      count 2..258 (the manifest's 256 files plus its two parts).
 *   3. Entries 0 and 1 are manifest.json and manifest.sig, within their
 *      size caps. Every other name follows the manifest's path grammar
 *      (package_path_problem: relative, '/'-separated, no empty, "." or
 *      ".." component, no character Windows paths cannot hold, no
 *      component ending in '.' or ' ') and is not manifest.json or
 *      manifest.sig ignoring ASCII case.
 *   4. No two names are equal ignoring ASCII case, and no name is a folder
 *      of another ("a" and "a/b"): every entry becomes one file.
 *   5. No byte follows the last entry.
 *   6. The signature verifies over the manifest (package.c's rules, with
 *      the id expected from the signed list), and entries 2.. are exactly
 *      the manifest's files, same names, same order, each with its signed
 *      SHA-256. So a verified folder has exactly one archive, and the
 *      runner can recompute the signed blob digest from the folder alone.
 *
 * The digest and size a signed list gives are over these exact bytes
 * (bundle_packages_match); they are checked before this parser runs, so a
 * hostile blob reaches it only when the admin's key signed its digest.
 */
#include "net/package_archive.h"

#include <stdio.h>
#include <string.h>

#include "util/bytes.h"
#include "util/hex.h"
#include "util/mem.h"
#include "util/utf.h"

static const char *const part_name[2] = { PACKAGE_MANIFEST_NAME, PACKAGE_SIG_NAME };
static const uint64_t part_max[2] = { PACKAGE_MANIFEST_MAX, PACKAGE_SIG_TEXT_MAX };

void package_archive_free(struct package_archive *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->n; i++)
		ferry_free((char *)a->e[i].name);
	ferry_free(a->e);
	ferry_free(a);
}

void package_archive_header(uint8_t out[PACKAGE_ARCHIVE_HEADER], uint32_t count)
{
	memcpy(out, PACKAGE_ARCHIVE_MAGIC, 8);
	put_u32le(out + 8, PACKAGE_ARCHIVE_VERSION);
	put_u32le(out + 12, count);
}

size_t package_archive_entry_head(uint8_t out[PACKAGE_ARCHIVE_ENTRY_HEAD_MAX], const char *name,
				  uint64_t data_len)
{
	size_t n = strlen(name);

	if (n > PACKAGE_PATH_MAX)
		n = PACKAGE_PATH_MAX; /* never reached: names are checked before */
	put_u16le(out, (uint16_t)n);
	memcpy(out + 2, name, n);
	put_u64le(out + 2 + n, data_len);
	return 10 + n;
}

/* Invariants 3 and 4 for entry i (its name already copied). */
static ferry_err check_name(const struct package_archive *a, size_t i, size_t off)
{
	const char *name = a->e[i].name, *why;

	if (i < 2) {
		if (strcmp(name, part_name[i]))
			return ferry_error_set(FERRY_ECORRUPT, "package archive: entry %zu (offset %zu) "
					       "must be %s", i, off, part_name[i]);
		if (a->e[i].len == 0 || a->e[i].len > part_max[i])
			return ferry_error_set(FERRY_ERANGE, "package archive: %s has %llu bytes, "
					       "1..%llu allowed", name, (unsigned long long)a->e[i].len,
					       (unsigned long long)part_max[i]);
		return FERRY_OK;
	}
	if ((why = package_path_problem(name)))
		return ferry_error_set(FERRY_ECORRUPT, "package archive: entry %zu (offset %zu) "
				       "\"%.80s\" %s", i, off, name, why);
	for (size_t j = 0; j < i; j++) {
		const char *o = a->e[j].name;
		size_t m = strlen(o), n = strlen(name);
		const char *shorter = m < n ? o : name, *longer = m < n ? name : o;
		size_t k = m < n ? m : n;
		char head[PACKAGE_PATH_MAX + 1];

		if (ferry_ascii_ieq(o, name))
			return ferry_error_set(FERRY_ECORRUPT, "package archive: entry %zu \"%.80s\" "
					       "repeats entry %zu", i, name, j);
		if (j < 2 || m == n || longer[k] != '/')
			continue;
		memcpy(head, longer, k);
		head[k] = '\0';
		if (ferry_ascii_ieq(head, shorter))
			return ferry_error_set(FERRY_ECORRUPT, "package archive: entry %zu \"%.80s\" "
					       "and entry %zu are a file and a folder of the same name",
					       i, name, j);
	}
	return FERRY_OK;
}

/* One entry at *off; advances *off past it. */
static ferry_err read_entry(struct package_archive *a, const uint8_t *buf, size_t len, size_t *off)
{
	struct package_archive_entry *e = &a->e[a->n];
	size_t at = *off, left = len - at, l;
	uint64_t d;
	char *name;

	if (left < 2)
		return ferry_error_set(FERRY_ECORRUPT, "package archive: entry %zu: truncated at "
				       "offset %zu", a->n, at);
	l = get_u16le(buf + at);
	if (l == 0 || l > PACKAGE_PATH_MAX)
		return ferry_error_set(FERRY_ECORRUPT, "package archive: entry %zu: name length %zu "
				       "at offset %zu, 1..%u allowed", a->n, l, at, PACKAGE_PATH_MAX);
	if (left - 2 < l + 8)
		return ferry_error_set(FERRY_ECORRUPT, "package archive: entry %zu: name overruns "
				       "the blob at offset %zu", a->n, at);
	if (memchr(buf + at + 2, 0, l))
		return ferry_error_set(FERRY_ECORRUPT, "package archive: entry %zu: NUL in its name",
				       a->n);
	d = get_u64le(buf + at + 2 + l);
	if (d > left - 10 - l)
		return ferry_error_set(FERRY_ECORRUPT, "package archive: entry %zu: %llu data bytes "
				       "overrun the blob at offset %zu", a->n, (unsigned long long)d, at);
	if (!(name = ferry_malloc(l + 1)))
		return ferry_error_set(FERRY_ENOMEM, "package archive: entry name");
	memcpy(name, buf + at + 2, l);
	name[l] = '\0';
	e->name = name;
	e->data = buf + at + 10 + l;
	e->len = d;
	a->n++;
	*off = at + 10 + l + (size_t)d;
	return check_name(a, a->n - 1, at);
}

ferry_err package_archive_parse(struct package_archive **out, const uint8_t *buf, size_t len)
{
	struct package_archive *a = NULL;
	uint32_t count;
	size_t off = PACKAGE_ARCHIVE_HEADER;
	ferry_err rc = FERRY_OK;

	if (!out || (!buf && len))
		return ferry_error_set(FERRY_EINVAL, "package_archive_parse: missing argument");
	*out = NULL;
	if (len > PACKAGE_ARCHIVE_MAX)
		return ferry_error_set(FERRY_ERANGE, "package archive: %zu bytes, at most %u", len,
				       PACKAGE_ARCHIVE_MAX);
	if (len < PACKAGE_ARCHIVE_HEADER || memcmp(buf, PACKAGE_ARCHIVE_MAGIC, 8))
		return ferry_error_set(FERRY_ECORRUPT, "package archive: no FERRYPKG header");
	if (get_u32le(buf + 8) != PACKAGE_ARCHIVE_VERSION)
		return ferry_error_set(FERRY_EUNSUPPORTED, "package archive: version %u, this agent "
				       "reads %u", get_u32le(buf + 8), PACKAGE_ARCHIVE_VERSION);
	count = get_u32le(buf + 12);
	if (count < 2 || count > PACKAGE_ARCHIVE_ENTRIES_MAX)
		return ferry_error_set(FERRY_ECORRUPT, "package archive: %u entries, 2..%u allowed",
				       count, PACKAGE_ARCHIVE_ENTRIES_MAX);
	if (!(a = ferry_calloc(1, sizeof(*a))) || !(a->e = ferry_calloc(count, sizeof(*a->e)))) {
		rc = ferry_error_set(FERRY_ENOMEM, "package archive: %u entries", count);
		goto out;
	}
	while (rc == FERRY_OK && a->n < count)
		rc = read_entry(a, buf, len, &off);
	if (rc == FERRY_OK && off != len)
		rc = ferry_error_set(FERRY_ECORRUPT, "package archive: %zu bytes after the last "
				     "entry (offset %zu)", len - off, off);
	if (rc == FERRY_OK) {
		*out = a;
		a = NULL;
	}
out:
	package_archive_free(a);
	return rc;
}

ferry_err package_archive_verify(struct package **out, const struct package_archive *a,
				 const uint8_t pub[32], const char *id)
{
	struct package *p = NULL;
	ferry_err rc;

	if (!out || !a || a->n < 2 || !pub || !id)
		return ferry_error_set(FERRY_EINVAL, "package_archive_verify: missing argument");
	*out = NULL;
	rc = package_manifest_verify(&p, a->e[0].data, (size_t)a->e[0].len, a->e[1].data,
				     (size_t)a->e[1].len, pub, id);
	if (rc)
		return rc;
	if (a->n - 2 != p->nfiles)
		rc = ferry_error_set(FERRY_EAUTH, "package %s: the archive holds %zu files, the "
				     "signed manifest lists %zu", id, a->n - 2, p->nfiles);
	for (size_t i = 0; rc == FERRY_OK && i < p->nfiles; i++) {
		const struct package_archive_entry *e = &a->e[i + 2];
		struct package_hash *h = NULL;
		uint8_t d[32];

		if (strcmp(e->name, p->files[i].path)) {
			rc = ferry_error_set(FERRY_EAUTH, "package %s: archive entry %zu is \"%.80s\", "
					     "the signed manifest's file %zu is \"%s\"", id, i + 2,
					     e->name, i, p->files[i].path);
			break;
		}
		rc = package_hash_new(&h);
		if (!rc)
			rc = package_hash_update(h, e->data, (size_t)e->len);
		if (!rc)
			rc = package_hash_final(h, d);
		package_hash_free(h);
		if (!rc)
			rc = package_file_check(p, &p->files[i], d);
	}
	if (rc == FERRY_OK)
		*out = p;
	else
		package_free(p);
	return rc;
}

ferry_err package_archive_write(struct ferry_buf *out, const struct package *p,
				const uint8_t *manifest, size_t mlen, const uint8_t *sig,
				size_t slen, const uint8_t *const *files, const size_t *lens)
{
	uint8_t head[PACKAGE_ARCHIVE_ENTRY_HEAD_MAX];
	struct package_archive *check = NULL;
	size_t start = out ? out->len : 0;
	ferry_err rc;

	if (!out || !p || !manifest || !sig || (p->nfiles && (!files || !lens)))
		return ferry_error_set(FERRY_EINVAL, "package_archive_write: missing argument");
	package_archive_header(head, (uint32_t)(p->nfiles + 2));
	rc = ferry_buf_append(out, head, PACKAGE_ARCHIVE_HEADER);
	for (size_t i = 0; rc == FERRY_OK && i < p->nfiles + 2; i++) {
		const char *name = i < 2 ? part_name[i] : p->files[i - 2].path;
		const uint8_t *data = i == 0 ? manifest : i == 1 ? sig : files[i - 2];
		size_t n = i == 0 ? mlen : i == 1 ? slen : lens[i - 2];

		rc = ferry_buf_append(out, head, package_archive_entry_head(head, name, n));
		if (rc == FERRY_OK && n)
			rc = ferry_buf_append(out, data, n);
	}
	/* What `ferry package pack` ships must be what the agent reads. */
	if (rc == FERRY_OK)
		rc = package_archive_parse(&check, out->data + start, out->len - start);
	package_archive_free(check);
	return rc;
}

ferry_err package_ref_find(struct package_ref *out, const cJSON *packages, const char *id,
			   const char *what)
{
	const cJSON *e;
	size_t got = 0;

	memset(out, 0, sizeof(*out));
	for (e = cJSON_IsArray(packages) ? packages->child : NULL; e; e = e->next) {
		const cJSON *eid = cJSON_GetObjectItemCaseSensitive(e, "id");
		if (cJSON_IsString(eid) && id && !strcmp(eid->valuestring, id))
			break;
	}
	if (!e || strlen(id) > PACKAGE_ID_MAX)
		return ferry_error_set(FERRY_ENOTFOUND, "%s: lists no package \"%.64s\"", what,
				       id ? id : "");
	const cJSON *h = cJSON_GetObjectItemCaseSensitive(e, "sha256");
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(e, "size");
	if (!cJSON_IsString(h) || strlen(h->valuestring) != 64 ||
	    ferry_hex_decode(out->sha256, 32, &got, h->valuestring, 64) ||
	    got != 32 || !cJSON_IsNumber(s) || s->valuedouble < 0 ||
	    s->valuedouble > PACKAGE_ARCHIVE_MAX)
		return ferry_error_set(FERRY_ECORRUPT, "%s: package \"%s\": sha256 or size malformed",
				       what, id);
	snprintf(out->id, sizeof(out->id), "%s", id);
	out->size = (uint64_t)s->valuedouble;
	return FERRY_OK;
}
