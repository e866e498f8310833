/*
 * The one-blob transport form of a command package: the bytes whose
 * SHA-256 and size a signed bundle, catalog or assignment lists under
 * /packages, served by GET /v1/agents/{id}/packages/{package_id} and found
 * in <BundleDir>\packages\<id>. The format is drawn byte by byte at the top
 * of package_archive.c and in docs/packages.md.
 *
 * An archive is canonical: a verified package folder has exactly one
 * encoding (manifest.json, manifest.sig, then the manifest's files in the
 * manifest's order, lengths fixed, nothing else), so the runner recomputes
 * the blob's digest from the staged folder and binds what it runs to the
 * signed list without keeping the blob.
 *
 * Ownership: package_archive_parse hands out a struct package_archive whose
 * entries borrow the caller's buffer (keep it alive); free with
 * package_archive_free (NULL-safe).
 */
#ifndef FERRY_NET_PACKAGE_ARCHIVE_H
#define FERRY_NET_PACKAGE_ARCHIVE_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "net/bundle.h"
#include "net/package.h"
#include "util/buf.h"
#include "util/err.h"

#define PACKAGE_ARCHIVE_MAGIC "FERRYPKG"
#define PACKAGE_ARCHIVE_VERSION 1u
#define PACKAGE_ARCHIVE_HEADER 16u
#define PACKAGE_ARCHIVE_ENTRY_HEAD_MAX (2u + PACKAGE_PATH_MAX + 8u)
#define PACKAGE_ARCHIVE_ENTRIES_MAX (PACKAGE_FILES_MAX + 2u)
#define PACKAGE_ARCHIVE_MAX BUNDLE_PACKAGE_MAX /* the signed lists' size cap */

struct package_archive_entry {
	const char *name;    /* NUL-terminated copy owned by the archive */
	const uint8_t *data; /* borrowed from the parsed buffer */
	uint64_t len;
};

struct package_archive {
	struct package_archive_entry *e; /* e[0] manifest.json, e[1] manifest.sig, then files */
	size_t n;
};

/* What a signed list says of one package: its blob's digest and size. */
struct package_ref {
	char id[PACKAGE_ID_MAX + 1];
	uint8_t sha256[32];
	uint64_t size;
};

/**
 * Parse an archive (invariants 1-5 of package_archive.c). FERRY_ECORRUPT
 * naming the entry and offset, FERRY_ERANGE for a blob or entry over its
 * limit, FERRY_EUNSUPPORTED for another version.
 */
ferry_err package_archive_parse(struct package_archive **out, const uint8_t *buf, size_t len);

void package_archive_free(struct package_archive *a);

/**
 * Invariant 6: the manifest's signature verifies with `pub` and names
 * `id`, and the file entries are exactly the manifest's files, in order,
 * each with its signed SHA-256. *out receives the verified manifest.
 * FERRY_EAUTH naming the package and the entry otherwise.
 */
ferry_err package_archive_verify(struct package **out, const struct package_archive *a,
				 const uint8_t pub[32], const char *id);

/** The 16-byte header for `count` entries. */
void package_archive_header(uint8_t out[PACKAGE_ARCHIVE_HEADER], uint32_t count);

/** An entry's head (name length, name, data length) into out; returns its size. */
size_t package_archive_entry_head(uint8_t out[PACKAGE_ARCHIVE_ENTRY_HEAD_MAX], const char *name,
				  uint64_t data_len);

/**
 * The canonical archive of a package folder's parts into out (`ferry
 * package pack`): files[i] holds the bytes of p->files[i]. Checked by
 * parsing it back. FERRY_ERANGE over PACKAGE_ARCHIVE_MAX.
 */
ferry_err package_archive_write(struct ferry_buf *out, const struct package *p,
				const uint8_t *manifest, size_t mlen, const uint8_t *sig,
				size_t slen, const uint8_t *const *files, const size_t *lens);

/**
 * The entry for `id` in a signed /packages array that passed
 * bundle_packages_check (a bundle's, a catalog's or an assignment's).
 * FERRY_ENOTFOUND naming `what` when it lists no such package.
 */
ferry_err package_ref_find(struct package_ref *out, const cJSON *packages, const char *id,
			   const char *what);

#endif
