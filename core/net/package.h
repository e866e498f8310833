/*
 * Command packages: what a signed package is on disk, and how it is checked.
 * The byte-level format and its invariants are drawn at the top of package.c
 * and in docs/packages.md.
 *
 * Everything here is pure bytes (no file access) so the Windows runner,
 * the admin CLI and the tests share one verifier: the caller reads
 * manifest.json and manifest.sig, calls package_manifest_verify, then hashes
 * each listed file with package_hash_* and checks it with package_file_check.
 * Nothing may run unless all three steps succeed.
 *
 * Ownership: package_manifest_parse/verify hand out a struct package the
 * caller frees with package_free (NULL-safe).
 */
#ifndef FERRY_NET_PACKAGE_H
#define FERRY_NET_PACKAGE_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/err.h"

#define PACKAGE_FORMAT 1u
#define PACKAGE_MANIFEST_NAME "manifest.json"
#define PACKAGE_SIG_NAME "manifest.sig"
#define PACKAGE_MANIFEST_MAX (64u * 1024u)   /* bytes of manifest.json */
#define PACKAGE_SIG_TEXT_MAX 256u            /* bytes of manifest.sig (base64 + whitespace) */
#define PACKAGE_ID_MAX 64u
#define PACKAGE_COMMAND_MAX 8191u            /* cmd.exe's command-line limit */
#define PACKAGE_PATH_MAX 240u
#define PACKAGE_FILES_MAX 256u
#define PACKAGE_TIMEOUT_MAX (24u * 3600u)
#define PACKAGE_FILE_SIZE_MAX (512ull * 1024u * 1024u)

struct package_file {
	char *path;          /* relative, '/'-separated, validated (see package.c) */
	uint8_t sha256[32];
};

struct package {
	char *id;
	char *command;       /* UTF-8 command line, run with the package folder as its directory */
	uint32_t timeout_seconds;
	struct package_file *files;
	size_t nfiles;
};

/**
 * Parse manifest.json (not its signature). FERRY_ECORRUPT naming the key
 * for malformed JSON or a field out of its rules, FERRY_ERANGE for an
 * oversized manifest, FERRY_EUNSUPPORTED for another "format".
 */
ferry_err package_manifest_parse(struct package **out, const uint8_t *buf, size_t len);

/**
 * Check manifest.sig (base64 of a 64-byte Ed25519 signature over
 * PACKAGE_SIG_CONTEXT and the exact manifest bytes) against `pub`, then parse the manifest and require its id
 * to equal `expected_id` (the folder's name). FERRY_EAUTH for a signature
 * that does not verify or an id that is not the folder's; the parse errors
 * otherwise. The signature is checked before any JSON is parsed.
 */
ferry_err package_manifest_verify(struct package **out, const uint8_t *manifest, size_t mlen,
				  const uint8_t *sig_text, size_t sig_len, const uint8_t pub[32],
				  const char *expected_id);

void package_free(struct package *p);

/**
 * Whether `id` is a valid package id: 1..64 of [A-Za-z0-9._-], not starting
 * with '.', and package_id_windows_safe.
 */
int package_id_valid(const char *id);

/**
 * Whether `id` names a plain folder on Windows (an id becomes
 * <packages>\<id> and a file name in BundleDir\packages): not a device name (CON, PRN, AUX, NUL,
 * COM0-9, LPT0-9, any case, with or without an extension: "nul.txt" opens
 * the device), and no trailing dot or space (Windows drops them, so "x."
 * would alias "x"). The one home of this rule; package_id_valid,
 * the one id check, calls it.
 */
int package_id_windows_safe(const char *id);

/**
 * Invariant 3 of package.c for one relative path (the manifest's and the
 * archive's one path grammar): NULL when valid, else a static reason.
 */
const char *package_path_problem(const char *path);

/* Incremental SHA-256 of a package file (OpenSSL underneath). */
struct package_hash;
ferry_err package_hash_new(struct package_hash **out);
/** FERRY_ERANGE once more than PACKAGE_FILE_SIZE_MAX bytes were fed. */
ferry_err package_hash_update(struct package_hash *h, const void *data, size_t len);
ferry_err package_hash_final(struct package_hash *h, uint8_t digest[32]);
/** Bytes fed so far. */
uint64_t package_hash_fed(const struct package_hash *h);
void package_hash_free(struct package_hash *h);

/** FERRY_EAUTH naming the file when digest is not the signed one. */
ferry_err package_file_check(const struct package *p, const struct package_file *f,
			     const uint8_t digest[32]);

/* --- for `ferry package` (admin tooling; the agent never signs) --- */

/** Canonical manifest.json bytes of p into out (FERRY_EINVAL if p breaks the rules). */
ferry_err package_manifest_write(struct ferry_buf *out, const struct package *p);

/** manifest.sig text ("<base64>\n") of a signature; the caller frees *out with ferry_free. */
ferry_err package_sig_encode(char **out, const uint8_t sig[64]);

/* What a manifest signature covers: this context, then the exact bytes of
 * manifest.json. The context keeps a package signature from being taken
 * for a bundle's or a catalog's (or the reverse) under the same admin key. */
#define PACKAGE_SIG_CONTEXT "ferry-package-manifest/1\n"

/** PACKAGE_SIG_CONTEXT || manifest appended to m (the signed message). */
ferry_err package_signed_message(struct ferry_buf *m, const uint8_t *manifest, size_t mlen);

/** Sign PACKAGE_SIG_CONTEXT || manifest with the admin's key. */
ferry_err package_manifest_sign(uint8_t sig[64], const uint8_t priv[32], const uint8_t *manifest,
				size_t mlen);

/** A new Ed25519 key pair from OpenSSL's CSPRNG. */
ferry_err package_keygen(uint8_t priv[32], uint8_t pub[32]);

#endif
