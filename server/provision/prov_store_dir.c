/*
 * A prov_storage over a directory, for tests and tools (ferry-server keeps
 * its blobs in its database). Files are named by the hex of the key:
 *
 *   <hex>.odj      the blob, mode 0600; written to a temporary file,
 *                  fsynced, then link()ed into place: link fails on an
 *                  existing name, so the first blob stored wins and a
 *                  reader never sees half a blob
 *   <hex>.intent   empty, mode 0600: the account is about to be made
 */
#define _GNU_SOURCE
#include "provision.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/hex.h"
#include "util/mem.h"

struct store_dir {
	char *dir;
};

static ferry_err path_of(char *out, size_t cap, const struct store_dir *s, const char *key,
			 const char *ext)
{
	char hex[2 * PROV_KEY_MAX + 1];
	size_t n = strlen(key);

	if (n == 0 || n >= PROV_KEY_MAX)
		return ferry_error_set(FERRY_EINVAL, "storage key of %zu bytes", n);
	ferry_hex_encode(hex, (const uint8_t *)key, n);
	if (snprintf(out, cap, "%s/%s.%s", s->dir, hex, ext) >= (int)cap)
		return ferry_error_set(FERRY_ERANGE, "storage path too long");
	return FERRY_OK;
}

static ferry_err sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ferry_err rc = FERRY_OK;

	if (fd < 0 || fsync(fd))
		rc = ferry_error_set(FERRY_EIO, "%s: cannot sync (errno %d)", dir, errno);
	if (fd >= 0)
		close(fd);
	return rc;
}

static ferry_err blob_get(void *ctx, const char *key, struct ferry_secret **blob)
{
	char path[4096];
	struct stat st;
	ferry_err rc = path_of(path, sizeof(path), ctx, key, "odj");
	int fd;

	*blob = NULL;
	if (rc)
		return rc;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? FERRY_ENOTFOUND
				       : ferry_error_set(FERRY_EIO, "blob store: cannot open (errno %d)",
							 errno);
	if (fstat(fd, &st) || st.st_size <= 0 || st.st_size > (off_t)PROV_BLOB_MAX)
		rc = ferry_error_set(FERRY_ECORRUPT, "blob store: stored blob has a bad size");
	if (!rc)
		rc = ferry_secret_new(blob, (size_t)st.st_size);
	if (!rc && read(fd, (*blob)->data, (*blob)->len) != (ssize_t)(*blob)->len)
		rc = ferry_error_set(FERRY_EIO, "blob store: short read");
	close(fd);
	if (rc) {
		ferry_secret_free(*blob);
		*blob = NULL;
	}
	return rc;
}

static ferry_err blob_put(void *ctx, const char *key, const uint8_t *blob, size_t len)
{
	struct store_dir *s = ctx;
	char path[4096], tmp[4096];
	ferry_err rc = path_of(path, sizeof(path), s, key, "odj");
	int fd = -1;

	if (rc)
		return rc;
	snprintf(tmp, sizeof(tmp), "%s/.tmp-XXXXXX", s->dir);
	fd = mkstemp(tmp);
	if (fd < 0)
		return ferry_error_set(FERRY_EIO, "blob store: cannot create a file (errno %d)", errno);
	if (write(fd, blob, len) != (ssize_t)len || fsync(fd))
		rc = ferry_error_set(FERRY_EIO, "blob store: cannot write (errno %d)", errno);
	close(fd);
	if (!rc && link(tmp, path) && errno != EEXIST)
		rc = ferry_error_set(FERRY_EIO, "blob store: cannot link (errno %d)", errno);
	unlink(tmp);
	return rc ? rc : sync_dir(s->dir);
}

static ferry_err intent_put(void *ctx, const char *key)
{
	struct store_dir *s = ctx;
	char path[4096];
	ferry_err rc = path_of(path, sizeof(path), s, key, "intent");
	int fd;

	if (rc)
		return rc;
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || fsync(fd))
		rc = ferry_error_set(FERRY_EIO, "intent store: cannot write (errno %d)", errno);
	if (fd >= 0)
		close(fd);
	return rc ? rc : sync_dir(s->dir);
}

static ferry_err intent_get(void *ctx, const char *key)
{
	char path[4096];
	ferry_err rc = path_of(path, sizeof(path), ctx, key, "intent");

	if (rc)
		return rc;
	return access(path, F_OK) == 0 ? FERRY_OK : FERRY_ENOTFOUND;
}

ferry_err prov_storage_dir(struct prov_storage *out, const char *dir)
{
	struct store_dir *s;

	memset(out, 0, sizeof(*out));
	if (!dir || !*dir)
		return ferry_error_set(FERRY_EINVAL, "blob store: no directory");
	if (mkdir(dir, 0700) && errno != EEXIST)
		return ferry_error_set(FERRY_EIO, "%s: cannot create (errno %d)", dir, errno);
	s = ferry_calloc(1, sizeof(*s));
	if (!s || !(s->dir = ferry_malloc(strlen(dir) + 1))) {
		ferry_free(s);
		return ferry_error_set(FERRY_ENOMEM, "blob store");
	}
	memcpy(s->dir, dir, strlen(dir) + 1);
	*out = (struct prov_storage){ .ctx = s, .blob_get = blob_get, .blob_put = blob_put,
				      .intent_put = intent_put, .intent_get = intent_get };
	return FERRY_OK;
}

void prov_storage_dir_free(struct prov_storage *st)
{
	struct store_dir *s = st ? st->ctx : NULL;

	if (!s)
		return;
	ferry_free(s->dir);
	ferry_free(s);
	st->ctx = NULL;
}
