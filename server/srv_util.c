/* Small helpers of ferry-server: names, tokens, files, times, opening a server directory. */
#include "srv.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "net/bundle.h"
#include "srv_assign.h"
#include "srv_table.h"
#include "util/base64.h"
#include "util/hex.h"

bool srv_device_name_ok(char out[SRV_DEVICE_MAX], const char *name)
{
	size_t n = name ? strlen(name) : 0;

	/* A computer name (NetBIOS, at most 15; a DNS label, so no '_'): the v2 assignment's grammar. */
	if (n == 0 || n > 15)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)name[i];

		if (!isalnum(ch) && ch != '-')
			return false;
		out[i] = (char)toupper(ch);
	}
	out[n] = '\0';
	return true;
}

bool srv_name_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n > 64 || name[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)name[i];

		if (!isalnum(ch) && ch != '-' && ch != '_' && ch != '.')
			return false;
	}
	return true;
}

ferry_err srv_token_hash(char out[SRV_HASH_HEX], const char *token, size_t len)
{
	uint8_t d[32];
	ferry_err rc = net_sha256(d, (const uint8_t *)token, len);

	if (!rc)
		ferry_hex_encode(out, d, sizeof(d));
	return rc;
}

ferry_err srv_token_new(struct ferry_secret **token, char hash[SRV_HASH_HEX])
{
	uint8_t raw[32];
	char *b64 = NULL;
	ferry_err rc;

	*token = NULL;
	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return ferry_error_set(FERRY_ESYSTEM, "RAND_bytes");
	rc = ferry_base64_encode(&b64, raw, sizeof(raw));
	ferry_wipe(raw, sizeof(raw));
	if (rc)
		return rc;
	/* base64url without padding: safe in a header and a file */
	for (char *p = b64; *p; p++) {
		if (*p == '+')
			*p = '-';
		else if (*p == '/')
			*p = '_';
		else if (*p == '=')
			*p = '\0';
	}
	rc = ferry_secret_from(token, b64, strlen(b64) + 1);
	if (!rc)
		rc = srv_token_hash(hash, b64, strlen(b64));
	ferry_wipe(b64, strlen(b64));
	ferry_free(b64);
	if (rc) {
		ferry_secret_free(*token);
		*token = NULL;
	}
	return rc;
}

const char *srv_bearer(const char *h)
{
	if (!h || strncmp(h, "Bearer ", 7) || !h[7])
		return NULL;
	return h + 7;
}

ferry_err srv_read_file(uint8_t **out, size_t *len, const char *path, size_t max)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t n = 0;
	ferry_err rc = FERRY_OK;

	*out = NULL;
	*len = 0;
	if (!f)
		return ferry_error_set(errno == ENOENT ? FERRY_ENOTFOUND : FERRY_EIO, "%s: %s", path,
				       strerror(errno));
	buf = ferry_malloc(max + 1);
	if (!buf) {
		rc = ferry_error_set(FERRY_ENOMEM, "%s", path);
		goto out;
	}
	n = fread(buf, 1, max + 1, f);
	if (ferror(f))
		rc = ferry_error_set(FERRY_EIO, "%s: read failed", path);
	else if (n > max)
		rc = ferry_error_set(FERRY_ERANGE, "%s: larger than %zu bytes", path, max);
out:
	fclose(f);
	if (rc) {
		if (buf)
			ferry_wipe(buf, max + 1);
		ferry_free(buf);
		return rc;
	}
	*out = buf;
	*len = n;
	return FERRY_OK;
}

ferry_err srv_read_secret(struct ferry_secret **out, const char *path, size_t max, bool strict)
{
	struct stat st;
	uint8_t *buf = NULL;
	size_t n = 0;
	ferry_err rc;

	*out = NULL;
	if (strict && !stat(path, &st) && (st.st_mode & 077))
		return ferry_error_set(FERRY_EPERM, "%s: readable by group or others (mode %03o); "
				       "chmod 600 it", path, (unsigned)(st.st_mode & 0777));
	rc = srv_read_file(&buf, &n, path, max);
	if (rc)
		return rc;
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	if (!n)
		rc = ferry_error_set(FERRY_ECORRUPT, "%s: empty", path);
	else
		rc = ferry_secret_from(out, buf, n);
	ferry_wipe(buf, n);
	ferry_free(buf);
	return rc;
}

ferry_err srv_read_key32(struct ferry_secret **out, const char *path)
{
	struct ferry_secret *text = NULL;
	uint8_t *raw = NULL;
	size_t n = 0;
	ferry_err rc = srv_read_secret(&text, path, 256, true);

	*out = NULL;
	if (!rc && (ferry_base64_decode(&raw, &n, (const char *)text->data, text->len) || n != 32))
		rc = ferry_error_set(FERRY_ECORRUPT, "%s: not a 32-byte key (one line of base64)",
				     path);
	if (!rc)
		rc = ferry_secret_from(out, raw, n);
	if (raw)
		ferry_wipe(raw, n);
	ferry_free(raw);
	ferry_secret_free(text);
	return rc;
}

ferry_err srv_write_file(const char *path, const void *data, size_t len, unsigned mode)
{
	char tmp[SRV_PATH_MAX + 16];
	int fd, n;
	ferry_err rc = FERRY_OK;

	n = snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return ferry_error_set(FERRY_ERANGE, "path too long: %.60s", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return ferry_error_set(FERRY_EIO, "%s: %s", tmp, strerror(errno));
	for (size_t off = 0; !rc && off < len;) {
		ssize_t w = write(fd, (const char *)data + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			rc = ferry_error_set(FERRY_EIO, "%s: write: %s", tmp, strerror(errno));
		else
			off += (size_t)w;
	}
	if (!rc && (fchmod(fd, mode) || fsync(fd)))
		rc = ferry_error_set(FERRY_EIO, "%s: %s", tmp, strerror(errno));
	if (close(fd) && !rc)
		rc = ferry_error_set(FERRY_EIO, "%s: close: %s", tmp, strerror(errno));
	if (!rc && rename(tmp, path))
		rc = ferry_error_set(FERRY_EIO, "%s: rename: %s", path, strerror(errno));
	if (rc)
		unlink(tmp);
	return rc;
}

static bool digits(const char *s, size_t n, int *v)
{
	*v = 0;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return false;
		*v = *v * 10 + (s[i] - '0');
	}
	return true;
}

ferry_err srv_time_parse(int64_t *out, const char *t, const char *what)
{
	int y, mo, d, h, mi, s;
	struct tm tm = { 0 };
	char *end;
	long long v;

	*out = 0;
	if (!t || !*t)
		return ferry_error_set(FERRY_EINVAL, "%s: empty time", what);
	if (isdigit((unsigned char)t[0]) && strlen(t) <= 12 && !strchr(t, '-')) {
		errno = 0;
		v = strtoll(t, &end, 10);
		if (errno || *end || v < 0)
			return ferry_error_set(FERRY_EINVAL, "%s: '%.40s' is not a time", what, t);
		*out = v;
		return FERRY_OK;
	}
	if (strlen(t) != 20 || t[4] != '-' || t[7] != '-' || t[10] != 'T' || t[13] != ':' ||
	    t[16] != ':' || t[19] != 'Z' || !digits(t, 4, &y) || !digits(t + 5, 2, &mo) ||
	    !digits(t + 8, 2, &d) || !digits(t + 11, 2, &h) || !digits(t + 14, 2, &mi) ||
	    !digits(t + 17, 2, &s) || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    s > 60 || y < 1970)
		return ferry_error_set(FERRY_EINVAL, "%s: '%.40s' is not Unix seconds or "
				       "YYYY-MM-DDTHH:MM:SSZ", what, t);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	*out = (int64_t)timegm(&tm);
	return FERRY_OK;
}

static int64_t wall_clock(void)
{
	return (int64_t)time(NULL);
}

ferry_err srv_open(struct srv *s, const char *dir)
{
	char path[SRV_PATH_MAX];
	struct ferry_secret *k = NULL;
	ferry_err rc;

	memset(s, 0, sizeof(*s));
	s->now = wall_clock;
	rc = srv_config_load(&s->cfg, dir);
	if (!rc)
		rc = srv_path(path, sizeof(path), dir, s->cfg.enroll_key);
	if (!rc)
		rc = srv_read_secret(&s->enroll_key, path, 1024, true);
	if (!rc)
		rc = srv_path(path, sizeof(path), dir, s->cfg.escrow_key);
	if (!rc)
		rc = srv_read_key32(&s->escrow_priv, path);
	if (!rc)
		rc = seal_public_from_private(s->escrow_pub, s->escrow_priv->data);
	if (!rc)
		rc = srv_path(path, sizeof(path), dir, s->cfg.assignment_key);
	if (!rc)
		rc = srv_read_key32(&s->assign_priv, path);
	if (!rc)
		rc = sig_public_from_private(s->assign_pub, s->assign_priv->data);
	if (!rc)
		rc = srv_store_open(&s->store, &s->cfg, SRV_STORE_USE);
	if (!rc)
		rc = srv_catalog_open(s);
	if (!rc)
		rc = srv_table_load(s);
	ferry_secret_free(k);
	if (rc)
		srv_close(s);
	return rc;
}

void srv_close(struct srv *s)
{
	srv_catalog_close(s);
	srv_table_close(s);
	if (s->store)
		s->store->ops->close(s->store);
	s->store = NULL;
	ferry_secret_free(s->enroll_key);
	ferry_secret_free(s->escrow_priv);
	ferry_secret_free(s->assign_priv);
	s->enroll_key = s->escrow_priv = s->assign_priv = NULL;
}
