/*
 * Command packages on disk.
 *
 * A package is one folder under the agent's packages directory, named by
 * its id:
 *
 *   <packages>/<id>/manifest.json   UTF-8 JSON, at most 64 KiB, no NUL byte
 *   <packages>/<id>/manifest.sig    base64 of the 64-byte Ed25519 signature
 *                                   over "ferry-package-manifest/1\n" and
 *                                   the exact bytes of manifest.json
 *                                   (ASCII whitespace allowed around it)
 *   <packages>/<id>/<path>...       the files the manifest lists
 *
 * manifest.json:
 *
 *   {"format": 1,
 *    "id": "office-reset",                  folder name, [A-Za-z0-9._-]{1,64}
 *    "command": "cmd.exe /c run.cmd",        1..8191 bytes, no control chars
 *    "timeout_seconds": 600,                 1..86400
 *    "files": [{"path": "run.cmd",           relative, '/'-separated
 *               "sha256": "<64 hex>"}]}      0..256 entries
 *
 * Invariants the verifier enforces (in this order; nothing runs unless all
 * hold):
 *   1. manifest.json is at most PACKAGE_MANIFEST_MAX bytes and the signature
 *      verifies over those exact bytes with the key from the MSI. The
 *      signature is checked before the JSON is parsed, so a hostile manifest
 *      never reaches the parser unless the admin's key signed it.
 *   2. The JSON is one object with exactly the keys above (unknown or
 *      duplicate keys are refused, so two parsers cannot read it
 *      differently), "format" is 1, and "id" equals the folder's name (a
 *      signed package cannot be replayed under another id).
 *   3. Every path is relative: components of printable characters other
 *      than \ : * ? " < > |, not empty, not "." or "..", not ending in '.'
 *      or ' ' (Windows would strip those and alias another file), not a
 *      device name (package_id_windows_safe: "nul.txt" opens NUL); no two
 *      paths are equal ignoring ASCII case (NTFS is case-insensitive).
 *   4. Every listed file's SHA-256 equals the signed one (package_file_check);
 *      a file is at most PACKAGE_FILE_SIZE_MAX bytes.
 * Files in the folder that the manifest does not list are not part of the
 * package; the runner keeps the folder writable only by SYSTEM and admins.
 */
#include "net/package.h"

#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>

#include "net/sig.h"
#include "util/base64.h"
#include "util/hex.h"
#include "util/mem.h"

void package_free(struct package *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nfiles; i++)
		ferry_free(p->files[i].path);
	ferry_free(p->files);
	ferry_free(p->id);
	ferry_free(p->command);
	ferry_free(p);
}

static int upper(int c)
{
	return c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c;
}

int package_id_windows_safe(const char *id)
{
	/* Naming Files, Paths, and Namespaces (learn.microsoft.com, Win32 file
	 * I/O): these names open a device, with any extension; COM0/LPT0
	 * included as the page lists them. */
	static const char *const devices[] = { "CON", "PRN", "AUX", "NUL" };
	size_t n = id ? strlen(id) : 0, base = 0;

	if (!n)
		return 0;
	/* Windows drops trailing dots and spaces: "x." would name "x". */
	if (id[n - 1] == '.' || id[n - 1] == ' ')
		return 0;
	while (base < n && id[base] != '.')
		base++;
	for (size_t i = 0; base == 3 && i < sizeof(devices) / sizeof(devices[0]); i++)
		if (upper(id[0]) == devices[i][0] && upper(id[1]) == devices[i][1] &&
		    upper(id[2]) == devices[i][2])
			return 0;
	if (base == 4 && id[3] >= '0' && id[3] <= '9' &&
	    ((upper(id[0]) == 'C' && upper(id[1]) == 'O' && upper(id[2]) == 'M') ||
	     (upper(id[0]) == 'L' && upper(id[1]) == 'P' && upper(id[2]) == 'T')))
		return 0;
	return 1;
}

int package_id_valid(const char *id)
{
	size_t n;

	if (!id)
		return 0;
	n = strlen(id);
	if (n == 0 || n > PACKAGE_ID_MAX || id[0] == '.')
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = id[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return package_id_windows_safe(id);
}

const char *package_path_problem(const char *path)
{
	size_t n = strlen(path), start = 0;

	if (n == 0 || n > PACKAGE_PATH_MAX)
		return "is empty or longer than 240 bytes";
	for (size_t i = 0; i <= n; i++) {
		unsigned char c = (unsigned char)path[i];
		if (i < n && c != '/') {
			if (c < 0x20 || c == 0x7f || strchr("\\:*?\"<>|", c))
				return "has a character Windows paths cannot hold";
			continue;
		}
		size_t len = i - start;
		if (len == 0)
			return "has an empty component (absolute, or '//')";
		if ((len == 1 && path[start] == '.') ||
		    (len == 2 && path[start] == '.' && path[start + 1] == '.'))
			return "has a '.' or '..' component";
		if (path[i - 1] == '.' || path[i - 1] == ' ')
			return "has a component ending in '.' or ' '";
		{
			char comp[PACKAGE_PATH_MAX + 1];

			memcpy(comp, path + start, len);
			comp[len] = '\0';
			if (!package_id_windows_safe(comp))
				return "has a component that names a Windows device (CON, NUL, COM1, ...)";
		}
		start = i + 1;
	}
	return NULL;
}

static int ascii_casecmp(const char *a, const char *b)
{
	for (;; a++, b++) {
		int x = (unsigned char)*a, y = (unsigned char)*b;
		if (x >= 'A' && x <= 'Z')
			x += 32;
		if (y >= 'A' && y <= 'Z')
			y += 32;
		if (x != y || !x)
			return x - y;
	}
}

/* Only the listed keys, each at most once. */
static ferry_err check_keys(const cJSON *obj, const char *const *allowed, size_t n, const char *where)
{
	for (const cJSON *k = obj->child; k; k = k->next) {
		size_t i;
		for (i = 0; i < n; i++)
			if (k->string && strcmp(k->string, allowed[i]) == 0)
				break;
		if (i == n)
			return ferry_error_set(FERRY_ECORRUPT, "package manifest: %s: unknown key \"%.40s\"",
					       where, k->string ? k->string : "");
		for (const cJSON *m = k->next; m; m = m->next)
			if (m->string && strcmp(m->string, k->string) == 0)
				return ferry_error_set(FERRY_ECORRUPT, "package manifest: %s: duplicate key \"%s\"",
						       where, k->string);
	}
	return 0;
}

static ferry_err get_string(char **out, const cJSON *obj, const char *key, size_t max, const char *where)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	size_t n;

	if (!cJSON_IsString(v) || !v->valuestring)
		return ferry_error_set(FERRY_ECORRUPT, "package manifest: %s: \"%s\" must be a string", where, key);
	n = strlen(v->valuestring);
	if (n == 0 || n > max)
		return ferry_error_set(FERRY_ECORRUPT, "package manifest: %s: \"%s\" must have 1..%zu bytes",
				       where, key, max);
	*out = ferry_strdup(v->valuestring);
	return *out ? 0 : ferry_error_set(FERRY_ENOMEM, "package manifest: copying \"%s\"", key);
}

static ferry_err parse_file(struct package_file *f, const cJSON *obj, size_t idx)
{
	static const char *const keys[] = { "path", "sha256" };
	char where[32];
	const cJSON *h;
	const char *why;
	size_t got = 0;
	ferry_err rc;

	snprintf(where, sizeof where, "files[%zu]", idx);
	if (!cJSON_IsObject(obj))
		return ferry_error_set(FERRY_ECORRUPT, "package manifest: %s must be an object", where);
	rc = check_keys(obj, keys, 2, where);
	if (rc)
		return rc;
	rc = get_string(&f->path, obj, "path", PACKAGE_PATH_MAX, where);
	if (rc)
		return rc;
	why = package_path_problem(f->path);
	if (why)
		return ferry_error_set(FERRY_ECORRUPT, "package manifest: %s.path %s", where, why);
	h = cJSON_GetObjectItemCaseSensitive(obj, "sha256");
	if (!cJSON_IsString(h) || !h->valuestring || strlen(h->valuestring) != 64 ||
	    ferry_hex_decode(f->sha256, sizeof f->sha256, &got, h->valuestring, 64) || got != 32)
		return ferry_error_set(FERRY_ECORRUPT, "package manifest: %s.sha256 must be 64 hex digits", where);
	return 0;
}

static ferry_err parse_files(struct package *p, const cJSON *arr)
{
	size_t n;
	ferry_err rc;

	if (!cJSON_IsArray(arr))
		return ferry_error_set(FERRY_ECORRUPT, "package manifest: \"files\" must be an array");
	n = (size_t)cJSON_GetArraySize(arr);
	if (n > PACKAGE_FILES_MAX)
		return ferry_error_set(FERRY_ERANGE, "package manifest: %zu files, at most %u", n,
				       PACKAGE_FILES_MAX);
	if (n == 0)
		return 0;
	p->files = ferry_calloc(n, sizeof *p->files);
	if (!p->files)
		return ferry_error_set(FERRY_ENOMEM, "package manifest: %zu files", n);
	for (const cJSON *e = arr->child; e; e = e->next) {
		rc = parse_file(&p->files[p->nfiles], e, p->nfiles);
		p->nfiles++; /* owns the path even on failure */
		if (rc)
			return rc;
		for (size_t j = 0; j + 1 < p->nfiles; j++)
			if (ascii_casecmp(p->files[j].path, p->files[p->nfiles - 1].path) == 0)
				return ferry_error_set(FERRY_ECORRUPT,
						       "package manifest: files[%zu].path repeats files[%zu].path",
						       p->nfiles - 1, j);
	}
	return 0;
}

static ferry_err parse_object(struct package *p, const cJSON *root)
{
	static const char *const keys[] = { "format", "id", "command", "timeout_seconds", "files" };
	const cJSON *v;
	ferry_err rc;

	if (!cJSON_IsObject(root))
		return ferry_error_set(FERRY_ECORRUPT, "package manifest: not a JSON object");
	rc = check_keys(root, keys, sizeof keys / sizeof keys[0], "top level");
	if (rc)
		return rc;
	v = cJSON_GetObjectItemCaseSensitive(root, "format");
	if (!cJSON_IsNumber(v))
		return ferry_error_set(FERRY_ECORRUPT, "package manifest: \"format\" must be a number");
	if (v->valuedouble != (double)PACKAGE_FORMAT)
		return ferry_error_set(FERRY_EUNSUPPORTED, "package manifest: format %g, this agent reads %u",
				       v->valuedouble, PACKAGE_FORMAT);
	rc = get_string(&p->id, root, "id", PACKAGE_ID_MAX, "top level");
	if (rc)
		return rc;
	if (!package_id_valid(p->id))
		return ferry_error_set(FERRY_ECORRUPT, "package manifest: \"id\" must be [A-Za-z0-9._-], not starting with '.'");
	rc = get_string(&p->command, root, "command", PACKAGE_COMMAND_MAX, "top level");
	if (rc)
		return rc;
	for (const char *c = p->command; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return ferry_error_set(FERRY_ECORRUPT, "package manifest: \"command\" has a control character");
	v = cJSON_GetObjectItemCaseSensitive(root, "timeout_seconds");
	if (!cJSON_IsNumber(v) || v->valuedouble < 1 || v->valuedouble > PACKAGE_TIMEOUT_MAX ||
	    v->valuedouble != (double)(uint32_t)v->valuedouble)
		return ferry_error_set(FERRY_ECORRUPT,
				       "package manifest: \"timeout_seconds\" must be a whole number 1..%u",
				       PACKAGE_TIMEOUT_MAX);
	p->timeout_seconds = (uint32_t)v->valuedouble;
	return parse_files(p, cJSON_GetObjectItemCaseSensitive(root, "files"));
}

ferry_err package_manifest_parse(struct package **out, const uint8_t *buf, size_t len)
{
	struct package *p = NULL;
	cJSON *root = NULL;
	const char *end = NULL;
	ferry_err rc;

	if (!out || (!buf && len))
		return ferry_error_set(FERRY_EINVAL, "package_manifest_parse: missing argument");
	*out = NULL;
	if (len > PACKAGE_MANIFEST_MAX)
		return ferry_error_set(FERRY_ERANGE, "package manifest: %zu bytes, at most %u", len,
				       PACKAGE_MANIFEST_MAX);
	if (len == 0 || memchr(buf, 0, len))
		return ferry_error_set(FERRY_ECORRUPT, "package manifest: empty or holds a NUL byte");
	root = cJSON_ParseWithLengthOpts((const char *)buf, len, &end, 0);
	if (!root) {
		size_t off = (end && end >= (const char *)buf) ? (size_t)(end - (const char *)buf) : 0;
		return ferry_error_set(FERRY_ECORRUPT, "package manifest: invalid JSON (offset %zu)", off);
	}
	for (size_t off = (size_t)(end - (const char *)buf); off < len; off++)
		if (!strchr(" \t\r\n", buf[off])) {
			rc = ferry_error_set(FERRY_ECORRUPT, "package manifest: data after the JSON (offset %zu)", off);
			goto out;
		}
	p = ferry_calloc(1, sizeof *p);
	if (!p) {
		rc = ferry_error_set(FERRY_ENOMEM, "package manifest");
		goto out;
	}
	rc = parse_object(p, root);
	if (rc == 0) {
		*out = p;
		p = NULL;
	}
out:
	package_free(p);
	cJSON_Delete(root);
	return rc;
}

ferry_err package_signed_message(struct ferry_buf *m, const uint8_t *manifest, size_t mlen)
{
	ferry_err rc = ferry_buf_puts(m, PACKAGE_SIG_CONTEXT);

	return rc ? rc : ferry_buf_append(m, manifest, mlen);
}

ferry_err package_manifest_verify(struct package **out, const uint8_t *manifest, size_t mlen,
				  const uint8_t *sig_text, size_t sig_len, const uint8_t pub[32],
				  const char *expected_id)
{
	uint8_t *sig = NULL;
	size_t slen = 0;
	struct package *p = NULL;
	struct ferry_buf msg;
	ferry_err rc;

	ferry_buf_init(&msg, PACKAGE_MANIFEST_MAX + sizeof(PACKAGE_SIG_CONTEXT));
	if (!out || !pub || !expected_id || (!manifest && mlen) || (!sig_text && sig_len))
		return ferry_error_set(FERRY_EINVAL, "package_manifest_verify: missing argument");
	*out = NULL;
	if (mlen > PACKAGE_MANIFEST_MAX)
		return ferry_error_set(FERRY_ERANGE, "package %s: manifest.json has %zu bytes, at most %u",
				       expected_id, mlen, PACKAGE_MANIFEST_MAX);
	if (sig_len > PACKAGE_SIG_TEXT_MAX)
		return ferry_error_set(FERRY_EAUTH, "package %s: manifest.sig is %zu bytes, not a signature",
				       expected_id, sig_len);
	if (ferry_base64_decode(&sig, &slen, (const char *)sig_text, sig_len) || slen != SIG_ED25519_SIG_LEN) {
		rc = ferry_error_set(FERRY_EAUTH, "package %s: manifest.sig is not base64 of a 64-byte signature",
				     expected_id);
		goto out;
	}
	rc = package_signed_message(&msg, manifest, mlen);
	if (!rc)
		rc = sig_verify(pub, msg.data, msg.len, sig, "package manifest");
	if (rc) {
		rc = ferry_error_wrap(rc, "package %s: ", expected_id);
		goto out;
	}
	rc = package_manifest_parse(&p, manifest, mlen);
	if (rc)
		goto out;
	if (strcmp(p->id, expected_id) != 0) {
		rc = ferry_error_set(FERRY_EAUTH, "package %s: the signed manifest is for package \"%s\"",
				     expected_id, p->id);
		goto out;
	}
	*out = p;
	p = NULL;
out:
	ferry_buf_free(&msg);
	package_free(p);
	ferry_free(sig);
	return rc;
}

struct package_hash {
	EVP_MD_CTX *md;
	uint64_t fed;
};

ferry_err package_hash_new(struct package_hash **out)
{
	struct package_hash *h = ferry_calloc(1, sizeof *h);

	*out = NULL;
	if (!h)
		return ferry_error_set(FERRY_ENOMEM, "package hash");
	h->md = EVP_MD_CTX_new();
	if (!h->md || EVP_DigestInit_ex(h->md, EVP_sha256(), NULL) != 1) {
		package_hash_free(h);
		return ferry_error_set(FERRY_ESYSTEM, "package hash: EVP_DigestInit_ex(SHA-256) failed");
	}
	*out = h;
	return 0;
}

ferry_err package_hash_update(struct package_hash *h, const void *data, size_t len)
{
	if (len > PACKAGE_FILE_SIZE_MAX - h->fed)
		return ferry_error_set(FERRY_ERANGE, "package file larger than %llu bytes",
				       (unsigned long long)PACKAGE_FILE_SIZE_MAX);
	h->fed += len;
	if (len && EVP_DigestUpdate(h->md, data, len) != 1)
		return ferry_error_set(FERRY_ESYSTEM, "package hash: EVP_DigestUpdate failed");
	return 0;
}

ferry_err package_hash_final(struct package_hash *h, uint8_t digest[32])
{
	unsigned int n = 0;

	if (EVP_DigestFinal_ex(h->md, digest, &n) != 1 || n != 32)
		return ferry_error_set(FERRY_ESYSTEM, "package hash: EVP_DigestFinal_ex failed");
	return 0;
}

uint64_t package_hash_fed(const struct package_hash *h)
{
	return h->fed;
}

void package_hash_free(struct package_hash *h)
{
	if (!h)
		return;
	EVP_MD_CTX_free(h->md);
	ferry_free(h);
}

ferry_err package_file_check(const struct package *p, const struct package_file *f,
			     const uint8_t digest[32])
{
	if (memcmp(f->sha256, digest, 32) != 0)
		return ferry_error_set(FERRY_EAUTH,
				       "package %s: file \"%s\" does not match the SHA-256 in the signed manifest",
				       p->id, f->path);
	return 0;
}
