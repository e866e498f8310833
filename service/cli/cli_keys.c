/* Key files and the agent key store for the CLI: see cli_keys.h. */
#if !defined(_WIN32) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L /* open, fchmod, fsync */
#endif
#include "cli_keys.h"

#include <stdio.h>
#include <string.h>

#include "util/base64.h"

#ifdef _WIN32
#include "win/agent_key.h"
#else
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

ferry_err cli_read_secret_file(struct ferry_secret **out, const char *path, size_t max)
{
	FILE *f = fopen(path, "rb");
	struct ferry_secret *s = NULL;
	size_t n = 0, got;
	ferry_err rc;

	*out = NULL;
	if (!f)
		return ferry_error_set(FERRY_ENOTFOUND, "%s: cannot open", path);
	rc = ferry_secret_new(&s, max + 1);
	while (!rc && (got = fread(s->data + n, 1, max + 1 - n, f)) > 0)
		n += got;
	if (!rc && ferror(f))
		rc = ferry_error_set(FERRY_EIO, "%s: read error", path);
	if (!rc && n > max)
		rc = ferry_error_set(FERRY_ERANGE, "%s: larger than %zu bytes", path, max);
	if (!rc)
		rc = ferry_secret_from(out, s->data, n);
	ferry_secret_free(s);
	fclose(f);
	return rc;
}

ferry_err cli_key_read(struct ferry_secret **out, const char *arg)
{
	struct ferry_secret *text = NULL;
	uint8_t *raw = NULL;
	size_t n = 0, len;
	const char *b64 = arg;
	ferry_err rc;

	*out = NULL;
	if (!cli_read_secret_file(&text, arg, 4096))
		b64 = (const char *)text->data;
	ferry_error_clear();
	len = strlen(b64);
	while (len && (b64[len - 1] == '\n' || b64[len - 1] == '\r' || b64[len - 1] == ' '))
		len--;
	rc = ferry_base64_decode(&raw, &n, b64, len);
	if (!rc && n != 32)
		rc = ferry_error_set(FERRY_ECORRUPT, "key: %zu bytes, expected 32", n);
	else if (rc)
		rc = ferry_error_set(FERRY_ECORRUPT, "key: neither a key file nor base64");
	if (!rc)
		rc = ferry_secret_from(out, raw, n);
	if (raw)
		ferry_wipe(raw, n);
	ferry_free(raw);
	ferry_secret_free(text);
	return rc;
}

ferry_err cli_write_private_file(const char *path, const uint8_t *data, size_t len)
{
#ifdef _WIN32
	FILE *f = fopen(path, "wb");
	ferry_err rc = FERRY_OK;

	if (!f)
		return ferry_error_set(FERRY_EIO, "%s: cannot create", path);
	if (fwrite(data, 1, len, f) != len || fflush(f))
		rc = ferry_error_set(FERRY_EIO, "%s: write failed", path);
	fclose(f);
	return rc;
#else
	/* Created 0600 and re-chmodded, so an existing file loses wider bits. */
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ferry_err rc = FERRY_OK;
	size_t done = 0;

	if (fd < 0)
		return ferry_error_set(FERRY_EIO, "%s: cannot create", path);
	if (fchmod(fd, 0600))
		rc = ferry_error_set(FERRY_EIO, "%s: cannot set mode 0600", path);
	while (!rc && done < len) {
		ssize_t w = write(fd, data + done, len - done);
		if (w <= 0)
			rc = ferry_error_set(FERRY_EIO, "%s: write failed", path);
		else
			done += (size_t)w;
	}
	if (!rc && fsync(fd))
		rc = ferry_error_set(FERRY_EIO, "%s: fsync failed", path);
	close(fd);
	return rc;
#endif
}

ferry_err cli_write_file_atomic(const char *path, const uint8_t *data, size_t len)
{
	size_t n = strlen(path) + 16;
	char *tmp = ferry_malloc(n);
	ferry_err rc;

	if (!tmp)
		return ferry_error_set(FERRY_ENOMEM, "out of memory");
	snprintf(tmp, n, "%s.tmp", path);
	rc = cli_write_private_file(tmp, data, len);
#ifdef _WIN32
	/* rename() does not replace an existing file on Windows. */
	if (!rc)
		remove(path);
#endif
	if (!rc && rename(tmp, path))
		rc = ferry_error_set(FERRY_EIO, "%s: cannot rename the temporary into place", path);
	if (rc)
		remove(tmp);
	ferry_free(tmp);
	return rc;
}

ferry_err cli_key_write_private(const char *path, const uint8_t key[32])
{
	char *b64 = NULL;
	ferry_err rc = ferry_base64_encode(&b64, key, 32);
	size_t n;

	if (rc)
		return rc;
	n = strlen(b64);
	b64[n] = '\n'; /* the encoder's NUL becomes the newline; length is n + 1 */
	rc = cli_write_private_file(path, (const uint8_t *)b64, n + 1);
	ferry_wipe(b64, n + 1);
	ferry_free(b64);
	return rc;
}

/* --- the agent key store: one file per secret in the state directory --- */

static ferry_err ks_path(char *out, size_t cap, const char *dir, const char *name)
{
#ifdef _WIN32
	int n = snprintf(out, cap, "%s/%s.dpapi", dir, name);
#else
	int n = snprintf(out, cap, "%s/%s", dir, name);
#endif
	if (n < 0 || (size_t)n >= cap)
		return ferry_error_set(FERRY_ERANGE, "key store path too long");
	return FERRY_OK;
}

static ferry_err ks_load(void *ctx, const char *name, struct ferry_secret **out)
{
	char path[1200];
	FILE *probe;
	ferry_err rc = ks_path(path, sizeof(path), ctx, name);

	*out = NULL;
	if (rc)
		return rc;
	probe = fopen(path, "rb");
	if (!probe)
		return ferry_error_set(FERRY_ENOTFOUND, "%s: not in the key store", name);
	fclose(probe);
#ifdef _WIN32
	{
		struct ferry_secret *blob = NULL;
		rc = cli_read_secret_file(&blob, path, 64 * 1024);
		if (!rc)
			rc = win_agent_key_unprotect(out, blob->data, blob->len);
		ferry_secret_free(blob);
	}
#else
	rc = cli_read_secret_file(out, path, 64 * 1024);
#endif
	return rc;
}

static ferry_err ks_save(void *ctx, const char *name, const uint8_t *data, size_t len)
{
	char path[1200];
	ferry_err rc = ks_path(path, sizeof(path), ctx, name);

	if (rc)
		return rc;
#ifdef _WIN32
	{
		uint8_t *blob = NULL;
		size_t n = 0;
		rc = win_agent_key_protect(&blob, &n, data, len);
		if (!rc)
			rc = cli_write_private_file(path, blob, n);
		ferry_free(blob);
	}
#else
	rc = cli_write_private_file(path, data, len);
#endif
	return rc;
}

void cli_keystore_init(struct net_keystore *ks, const char *dir)
{
	ks->load = ks_load;
	ks->save = ks_save;
	ks->ctx = (void *)dir;
}
