/*
 * `ferry package`: make and check signed command packages (format:
 * core/net/package.c, docs/packages.md).
 *
 *   ferry package keygen --out PREFIX
 *       PREFIX.key (base64 Ed25519 private key) and PREFIX.pub (base64 public
 *       key, the value the MSI's SIGNING_PUBLIC_KEY takes). Never overwrites.
 *   ferry package sign --key PREFIX.key --id ID --command CMD [--timeout S] DIR [FILE...]
 *       hash FILEs (relative to DIR, '/'-separated), write DIR/manifest.json
 *       and DIR/manifest.sig. DIR's name should be ID (the agent requires it).
 *   ferry package verify --pub PREFIX.pub DIR
 *       what the agent checks before running: signature, id = DIR's name,
 *       every file's SHA-256.
 *   ferry package pack --pub PREFIX.pub DIR OUT
 *       verify DIR as above, then write its one-blob form (core/net/
 *       package_archive.c) to OUT, the bytes the server serves from
 *       DIR/packages/<id> and BundleDir holds in packages\<id>; prints the
 *       {"id","sha256","size"} entry for the signed /packages list.
 *
 * Exit codes: 0 ok; 2 refused (signature, id or file hash); 3 malformed or
 * unreadable input; 1 output not written; 64 bad usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "net/bundle.h"
#include "net/package.h"
#include "net/package_archive.h"
#include "net/sig.h"
#include "util/base64.h"
#include "util/buf.h"
#include "util/hex.h"
#include "util/mem.h"

#define EXIT_REFUSED 2
#define EXIT_MALFORMED 3
#define KEY_TEXT_MAX 256u

static ferry_err read_all(uint8_t **out, size_t *len, const char *path, size_t max)
{
	FILE *f = fopen(path, "rb");
	uint8_t *b = NULL;
	size_t n = 0, got;
	ferry_err rc = 0;

	*out = NULL;
	*len = 0;
	if (!f)
		return ferry_error_set(FERRY_EIO, "%s: cannot open", path);
	b = ferry_malloc(max + 2);
	if (!b) {
		rc = ferry_error_set(FERRY_ENOMEM, "%s", path);
		goto out;
	}
	while (n <= max && (got = fread(b + n, 1, max + 1 - n, f)) > 0)
		n += got;
	if (ferror(f))
		rc = ferry_error_set(FERRY_EIO, "%s: read error", path);
	else if (n > max)
		rc = ferry_error_set(FERRY_ERANGE, "%s: larger than %zu bytes", path, max);
	if (rc == 0) {
		b[n] = 0;
		*out = b;
		*len = n;
		b = NULL;
	}
out:
	ferry_free(b);
	fclose(f);
	return rc;
}

static ferry_err write_all(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	int bad;

	if (!f)
		return ferry_error_set(FERRY_EIO, "%s: cannot create", path);
	bad = fwrite(data, 1, len, f) != len;
	bad |= fclose(f) != 0;
	return bad ? ferry_error_set(FERRY_EIO, "%s: write error", path) : 0;
}

static ferry_err read_key(uint8_t key[32], const char *path)
{
	uint8_t *text = NULL, *raw = NULL;
	size_t len = 0, rlen = 0;
	ferry_err rc = read_all(&text, &len, path, KEY_TEXT_MAX);

	if (rc == 0 && (ferry_base64_decode(&raw, &rlen, (const char *)text, len) || rlen != 32))
		rc = ferry_error_set(FERRY_ECORRUPT, "%s: not base64 of a 32-byte Ed25519 key", path);
	if (rc == 0)
		memcpy(key, raw, 32);
	if (raw)
		ferry_wipe(raw, rlen);
	ferry_free(raw);
	if (text)
		ferry_wipe(text, len);
	ferry_free(text);
	return rc;
}

static ferry_err hash_file(uint8_t digest[32], const char *path)
{
	FILE *f = fopen(path, "rb");
	struct package_hash *h = NULL;
	uint8_t chunk[16384];
	size_t got;
	ferry_err rc;

	if (!f)
		return ferry_error_set(FERRY_EIO, "%s: cannot open", path);
	rc = package_hash_new(&h);
	while (rc == 0 && (got = fread(chunk, 1, sizeof chunk, f)) > 0)
		rc = package_hash_update(h, chunk, got);
	if (rc == 0 && ferror(f))
		rc = ferry_error_set(FERRY_EIO, "%s: read error", path);
	if (rc == 0)
		rc = package_hash_final(h, digest);
	package_hash_free(h);
	fclose(f);
	return rc;
}

static char *join(const char *dir, const char *name)
{
	size_t a = strlen(dir), b = strlen(name);
	char *p = ferry_malloc(a + b + 2);

	if (p) {
		memcpy(p, dir, a);
		p[a] = '/';
		memcpy(p + a + 1, name, b + 1);
	}
	return p;
}

static int fail(int code, const char *what)
{
	fprintf(stderr, "ferry package %s: %s\n", what, ferry_error_detail());
	return code;
}

static int keygen(int argc, char **argv)
{
	uint8_t priv[32], pub[32];
	char *kpath = NULL, *ppath = NULL, *ktext = NULL, *ptext = NULL;
	const char *prefix = NULL;
	FILE *exists;
	int code = 0;

	if (argc == 3 && strcmp(argv[1], "--out") == 0)
		prefix = argv[2];
	if (!prefix) {
		fprintf(stderr, "usage: ferry package keygen --out PREFIX\n");
		return CLI_EXIT_USAGE;
	}
	kpath = ferry_malloc(strlen(prefix) + 5);
	ppath = ferry_malloc(strlen(prefix) + 5);
	if (!kpath || !ppath) {
		code = fail(1, "keygen");
		goto out;
	}
	sprintf(kpath, "%s.key", prefix);
	sprintf(ppath, "%s.pub", prefix);
	exists = fopen(kpath, "rb");
	if (exists) {
		fclose(exists);
		fprintf(stderr, "ferry package keygen: %s exists; refusing to overwrite a key\n", kpath);
		code = 1;
		goto out;
	}
	if (package_keygen(priv, pub) || ferry_base64_encode(&ktext, priv, 32) ||
	    ferry_base64_encode(&ptext, pub, 32) || write_all(kpath, ktext, strlen(ktext)) ||
	    write_all(ppath, ptext, strlen(ptext))) {
		code = fail(1, "keygen");
		goto out;
	}
	printf("%s\n", ptext);
out:
	ferry_wipe(priv, sizeof priv);
	if (ktext)
		ferry_wipe(ktext, strlen(ktext));
	ferry_free(ktext);
	ferry_free(ptext);
	ferry_free(kpath);
	ferry_free(ppath);
	return code;
}

struct sign_args {
	const char *key, *id, *command, *dir;
	unsigned long timeout;
	char **files;
	int nfiles;
};

static int parse_sign(struct sign_args *a, int argc, char **argv)
{
	int i;

	memset(a, 0, sizeof *a);
	a->timeout = 600;
	for (i = 1; i < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
		char *end = NULL;
		if (i + 1 >= argc)
			return -1;
		if (strcmp(argv[i], "--key") == 0)
			a->key = argv[i + 1];
		else if (strcmp(argv[i], "--id") == 0)
			a->id = argv[i + 1];
		else if (strcmp(argv[i], "--command") == 0)
			a->command = argv[i + 1];
		else if (strcmp(argv[i], "--timeout") == 0) {
			a->timeout = strtoul(argv[i + 1], &end, 10);
			if (!end || *end || a->timeout == 0 || a->timeout > PACKAGE_TIMEOUT_MAX)
				return -1;
		} else
			return -1;
	}
	if (i >= argc || !a->key || !a->id || !a->command)
		return -1;
	a->dir = argv[i];
	a->files = argv + i + 1;
	a->nfiles = argc - i - 1;
	return 0;
}

static int sign(int argc, char **argv)
{
	struct sign_args a;
	struct package p = { 0 };
	struct ferry_buf b;
	uint8_t priv[32], sig[64];
	char *sigtext = NULL, *path = NULL;
	int code = 0;

	if (parse_sign(&a, argc, argv) != 0 || a.nfiles > (int)PACKAGE_FILES_MAX) {
		fprintf(stderr, "usage: ferry package sign --key KEY --id ID --command CMD "
				"[--timeout SECONDS] DIR [FILE...]\n");
		return CLI_EXIT_USAGE;
	}
	ferry_buf_init(&b, PACKAGE_MANIFEST_MAX);
	p.id = (char *)a.id;
	p.command = (char *)a.command;
	p.timeout_seconds = (uint32_t)a.timeout;
	p.nfiles = (size_t)a.nfiles;
	p.files = ferry_calloc(p.nfiles ? p.nfiles : 1, sizeof *p.files);
	if (!p.files || read_key(priv, a.key)) {
		code = fail(EXIT_MALFORMED, "sign");
		goto out;
	}
	for (size_t i = 0; i < p.nfiles; i++) {
		p.files[i].path = a.files[i];
		ferry_free(path);
		path = join(a.dir, a.files[i]);
		if (!path || hash_file(p.files[i].sha256, path)) {
			code = fail(EXIT_MALFORMED, "sign");
			goto out;
		}
	}
	if (package_manifest_write(&b, &p)) {
		code = fail(EXIT_MALFORMED, "sign");
		goto out;
	}
	ferry_free(path);
	path = join(a.dir, PACKAGE_MANIFEST_NAME);
	if (!path || package_manifest_sign(sig, priv, b.data, b.len) || package_sig_encode(&sigtext, sig) ||
	    write_all(path, b.data, b.len)) {
		code = fail(1, "sign");
		goto out;
	}
	ferry_free(path);
	path = join(a.dir, PACKAGE_SIG_NAME);
	if (!path || write_all(path, sigtext, strlen(sigtext))) {
		code = fail(1, "sign");
		goto out;
	}
	printf("signed %s: %zu file(s), timeout %lu s\n", a.id, p.nfiles, a.timeout);
out:
	ferry_wipe(priv, sizeof priv);
	ferry_buf_free(&b);
	ferry_free(sigtext);
	ferry_free(path);
	ferry_free(p.files);
	return code;
}

/* The folder's last component: the id the agent will require. */
static const char *dir_name(char *dir)
{
	size_t n = strlen(dir);
	while (n > 1 && (dir[n - 1] == '/' || dir[n - 1] == '\\'))
		dir[--n] = 0;
	for (size_t i = n; i > 0; i--)
		if (dir[i - 1] == '/' || dir[i - 1] == '\\')
			return dir + i;
	return dir;
}

static int verify_files(const struct package *p, const char *dir)
{
	for (size_t i = 0; i < p->nfiles; i++) {
		uint8_t d[32];
		char *path = join(dir, p->files[i].path);
		ferry_err rc = path ? hash_file(d, path) : FERRY_ENOMEM;
		ferry_free(path);
		if (rc == 0)
			rc = package_file_check(p, &p->files[i], d);
		if (rc)
			return fail(rc == FERRY_EAUTH || rc == FERRY_ERANGE ? EXIT_REFUSED : EXIT_MALFORMED,
				    "verify");
	}
	return 0;
}

/* What `verify` checks (the agent's steps 1-3): *p and the manifest's bytes on success. */
static int load_verified(struct package **p, uint8_t **m, size_t *mlen, uint8_t **s, size_t *slen,
			 const char *pub_path, char *dir, const char *what)
{
	uint8_t pub[32];
	char *mpath = NULL, *spath = NULL;
	int code = 0;
	ferry_err rc;

	if (read_key(pub, pub_path))
		return fail(EXIT_MALFORMED, what);
	mpath = join(dir, PACKAGE_MANIFEST_NAME);
	spath = join(dir, PACKAGE_SIG_NAME);
	rc = (mpath && spath) ? read_all(m, mlen, mpath, PACKAGE_MANIFEST_MAX) : FERRY_ENOMEM;
	if (rc == 0)
		rc = read_all(s, slen, spath, PACKAGE_SIG_TEXT_MAX);
	if (rc == 0)
		rc = package_manifest_verify(p, *m, *mlen, *s, *slen, pub, dir_name(dir));
	if (rc)
		code = fail(rc == FERRY_EAUTH || rc == FERRY_ERANGE ? EXIT_REFUSED : EXIT_MALFORMED, what);
	else
		code = verify_files(*p, dir);
	ferry_free(mpath);
	ferry_free(spath);
	return code;
}

static int verify(int argc, char **argv)
{
	uint8_t *m = NULL, *s = NULL;
	size_t mlen = 0, slen = 0;
	struct package *p = NULL;
	int code;

	if (argc != 4 || strcmp(argv[1], "--pub") != 0) {
		fprintf(stderr, "usage: ferry package verify --pub KEY.pub DIR\n");
		return CLI_EXIT_USAGE;
	}
	code = load_verified(&p, &m, &mlen, &s, &slen, argv[2], argv[3], "verify");
	if (code == 0)
		printf("ok: %s: %zu file(s), timeout %lu s, command: %s\n", p->id, p->nfiles,
		       (unsigned long)p->timeout_seconds, p->command);
	package_free(p);
	ferry_free(m);
	ferry_free(s);
	return code;
}

/* The one-blob form (package_archive.c) of a verified folder, and its signed-list entry. */
static int pack(int argc, char **argv)
{
	uint8_t *m = NULL, *s = NULL, **data = NULL, d[32];
	size_t mlen = 0, slen = 0, *lens = NULL;
	struct package *p = NULL;
	struct ferry_buf blob;
	char hex[65];
	int code;

	if (argc != 5 || strcmp(argv[1], "--pub") != 0) {
		fprintf(stderr, "usage: ferry package pack --pub KEY.pub DIR OUT\n");
		return CLI_EXIT_USAGE;
	}
	ferry_buf_init(&blob, PACKAGE_ARCHIVE_MAX);
	code = load_verified(&p, &m, &mlen, &s, &slen, argv[2], argv[3], "pack");
	if (code == 0 && (!(data = ferry_calloc(p->nfiles + 1, sizeof(*data))) ||
			  !(lens = ferry_calloc(p->nfiles + 1, sizeof(*lens)))))
		code = fail(1, "pack");
	for (size_t i = 0; code == 0 && i < p->nfiles; i++) {
		char *path = join(argv[3], p->files[i].path);

		if (!path || read_all(&data[i], &lens[i], path, PACKAGE_ARCHIVE_MAX))
			code = fail(EXIT_MALFORMED, "pack");
		ferry_free(path);
	}
	if (code == 0 && (package_archive_write(&blob, p, m, mlen, s, slen,
						(const uint8_t *const *)data, lens) ||
			  net_sha256(d, blob.data, blob.len) ||
			  write_all(argv[4], blob.data, blob.len)))
		code = fail(1, "pack");
	if (code == 0) {
		ferry_hex_encode(hex, d, 32);
		/* The entry for the bundle's (or catalog's) /packages. */
		printf("{\"id\":\"%s\",\"sha256\":\"%s\",\"size\":%zu}\n", p->id, hex, blob.len);
	}
	for (size_t i = 0; data && i < p->nfiles; i++)
		ferry_free(data[i]);
	ferry_free(data);
	ferry_free(lens);
	ferry_buf_free(&blob);
	package_free(p);
	ferry_free(m);
	ferry_free(s);
	return code;
}

int cmd_package(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "keygen") == 0)
		return keygen(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "sign") == 0)
		return sign(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "verify") == 0)
		return verify(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "pack") == 0)
		return pack(argc - 1, argv + 1);
	fprintf(stderr, "usage: ferry package keygen|sign|verify|pack ... (see docs/packages.md)\n");
	return CLI_EXIT_USAGE;
}
