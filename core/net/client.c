/* HTTPS requests through libcurl: see client.h. */
#include "net/client.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/ssl.h>

#include "util/base64.h"
#include "util/hex.h"
#include "util/mem.h"

struct xfer {
	struct net_reply *r;
	int overflow;
};

void net_config_defaults(struct net_config *c)
{
	memset(c, 0, sizeof(*c));
	c->connect_timeout_ms = NET_CONNECT_TIMEOUT_MS_DEFAULT;
	c->timeout_ms = NET_TIMEOUT_MS_DEFAULT;
	c->max_reply = NET_REPLY_MAX_DEFAULT;
}

/* 64 hex digits, or 32 colon-separated pairs; false for anything else. */
static bool pin_hex(uint8_t digest[32], const char *s, size_t len)
{
	char hex[64];
	size_t k = 0, got = 0;
	bool colons = len == 95;

	if (len != 64 && !colons)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (colons && i % 3 == 2) {
			if (s[i] != ':')
				return false;
			continue;
		}
		if (ferry_hex_digit(s[i]) < 0)
			return false;
		hex[k++] = s[i];
	}
	return k == 64 && ferry_hex_decode(digest, 32, &got, hex, 64) == FERRY_OK && got == 32;
}

ferry_err net_pin_to_curl(char out[NET_PIN_CURL_MAX], const char *pin)
{
	static const char prefix[] = "sha256//";
	const char *s = pin ? pin : "";
	size_t len = strlen(s);
	uint8_t digest[32], *raw = NULL;
	size_t raw_len = 0;
	char *b64 = NULL;
	ferry_err rc = FERRY_OK;

	out[0] = '\0';
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	while (len && (*s == ' ' || *s == '\t'))
		s++, len--;
	if (len >= sizeof(prefix) - 1 && !memcmp(s, prefix, sizeof(prefix) - 1))
		s += sizeof(prefix) - 1, len -= sizeof(prefix) - 1;
	if (!pin_hex(digest, s, len)) {
		/* Not hex: base64 of exactly 32 bytes (44 characters, padded). */
		if (len != 44 || ferry_base64_decode(&raw, &raw_len, s, len) != FERRY_OK ||
		    raw_len != 32) {
			ferry_free(raw);
			ferry_error_clear();
			return ferry_error_set(FERRY_EINVAL,
					       "SERVER_PIN_SHA256 '%.*s' is neither 64 hex digits nor "
					       "sha256//<base64> of 32 bytes", (int)(len > 100 ? 100 : len), s);
		}
		memcpy(digest, raw, 32);
		ferry_free(raw);
	}
	rc = ferry_base64_encode(&b64, digest, sizeof(digest));
	if (!rc && snprintf(out, NET_PIN_CURL_MAX, "%s%s", prefix, b64) != (int)NET_PIN_CURL_MAX - 1)
		rc = ferry_error_set(FERRY_ERANGE, "SERVER_PIN_SHA256: conversion overran");
	ferry_free(b64);
	return rc;
}

/*
 * The process's TLS session cache (docs/net.md, "Session resumption"):
 * libcurl keeps the last session of each server (host, port and TLS
 * options, the pin among them) in this share handle, filled by OpenSSL's
 * new-session callback, so a TLS 1.3 ticket is kept. A resumed handshake
 * still runs libcurl's certificate checks on the session's certificate,
 * the pin included; and only the server that made the session (or a
 * holder of its ticket secret) can resume it. net_http may run on several
 * threads: libcurl locks the share through these callbacks, one OpenSSL
 * lock (portable, no <windows.h> here) per kind of data.
 */
static CURLSH *share;
static CRYPTO_RWLOCK *share_lock[CURL_LOCK_DATA_LAST];

static void on_lock(CURL *c, curl_lock_data d, curl_lock_access a, void *ud)
{
	(void)c, (void)a, (void)ud;
	if ((unsigned)d < CURL_LOCK_DATA_LAST)
		(void)CRYPTO_THREAD_write_lock(share_lock[d]);
}

static void on_unlock(CURL *c, curl_lock_data d, void *ud)
{
	(void)c, (void)ud;
	if ((unsigned)d < CURL_LOCK_DATA_LAST)
		(void)CRYPTO_THREAD_unlock(share_lock[d]);
}

static ferry_err share_init(void)
{
	CURLSH *sh;

	for (unsigned i = 0; i < CURL_LOCK_DATA_LAST; i++)
		if (!share_lock[i] && !(share_lock[i] = CRYPTO_THREAD_lock_new()))
			return ferry_error_set(FERRY_ENOMEM, "TLS session cache: lock");
	sh = curl_share_init();
	if (!sh)
		return ferry_error_set(FERRY_ENOMEM, "curl_share_init failed");
	if (curl_share_setopt(sh, CURLSHOPT_LOCKFUNC, on_lock) != CURLSHE_OK ||
	    curl_share_setopt(sh, CURLSHOPT_UNLOCKFUNC, on_unlock) != CURLSHE_OK ||
	    curl_share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION) != CURLSHE_OK) {
		curl_share_cleanup(sh);
		return ferry_error_set(FERRY_ESYSTEM, "curl_share_setopt: no TLS session sharing");
	}
	share = sh;
	return FERRY_OK;
}

ferry_err net_global_init(void)
{
	if (share)
		return FERRY_OK;
	/* Before libcurl initialises OpenSSL (which would load the config file
	 * unless built with CURL_DISABLE_OPENSSL_AUTO_LOAD_CONFIG): the config
	 * step runs once per process, so this turns it off for good. */
	if (OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_CONFIG, NULL) != 1)
		return ferry_error_set(FERRY_ESYSTEM, "OPENSSL_init_ssl failed");
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return ferry_error_set(FERRY_ESYSTEM, "curl_global_init failed");
	return share_init();
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	struct xfer *x = ud;

	/* Returning less than given aborts the transfer (CURLE_WRITE_ERROR). */
	if (ferry_buf_append(&x->r->body, p, size * n)) {
		x->overflow = 1;
		return 0;
	}
	return size * n;
}

/* Keep one header value (trimmed, bounded) when its name matches. */
static void keep_header(char *dst, size_t cap, const char *line, size_t n, const char *name)
{
	size_t k = strlen(name), end = n;

	if (n <= k || line[k] != ':')
		return;
	for (size_t i = 0; i < k; i++) {
		char c = line[i];
		if ((c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c) != name[i])
			return;
	}
	line += k + 1;
	end -= k + 1;
	while (end && (*line == ' ' || *line == '\t'))
		line++, end--;
	while (end && (line[end - 1] == '\r' || line[end - 1] == '\n' || line[end - 1] == ' '))
		end--;
	if (end >= cap)
		end = 0; /* an over-long value is dropped, never cut */
	memcpy(dst, line, end);
	dst[end] = '\0';
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
	struct xfer *x = ud;

	keep_header(x->r->etag, sizeof(x->r->etag), p, size * n, "etag");
	keep_header(x->r->retry_after, sizeof(x->r->retry_after), p, size * n, "retry-after");
	return size * n;
}

static ferry_err map_curl(CURLcode c, const struct xfer *x, const struct net_config *cfg,
			  const char *path)
{
	switch (c) {
	case CURLE_OK:
		return FERRY_OK;
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
		return ferry_error_set(FERRY_EAUTH, "%s: the server's public key does not match "
				       "SERVER_PIN_SHA256", path);
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
		return ferry_error_set(FERRY_EAUTH, "%s: the server's certificate is not trusted "
				       "(%s)", path, curl_easy_strerror(c));
	case CURLE_OPERATION_TIMEDOUT:
		return ferry_error_set(FERRY_ETIMEOUT, "%s: no complete reply within %ld ms", path,
				       cfg->timeout_ms);
	case CURLE_FILESIZE_EXCEEDED:
	case CURLE_WRITE_ERROR:
		if (c == CURLE_FILESIZE_EXCEEDED || x->overflow)
			return ferry_error_set(FERRY_ERANGE, "%s: reply larger than %zu bytes, "
					       "transfer aborted", path, cfg->max_reply);
		break;
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
		return ferry_error_set(FERRY_EIO, "%s: server unreachable (%s)", path,
				       curl_easy_strerror(c));
	default:
		break;
	}
	return ferry_error_set(FERRY_EIO, "%s: transfer failed (%s)", path, curl_easy_strerror(c));
}

/* Wipe each header line (one holds the token) before curl frees them. */
static void headers_free(struct curl_slist *h)
{
	for (struct curl_slist *i = h; i; i = i->next)
		ferry_wipe(i->data, strlen(i->data));
	curl_slist_free_all(h);
}

static ferry_err add_header(struct curl_slist **h, const char *name, const char *v)
{
	struct ferry_buf line;
	struct curl_slist *n;
	ferry_err rc;

	ferry_buf_init(&line, 4096);
	rc = ferry_buf_printf(&line, "%s%s", name, v);
	if (rc) {
		ferry_buf_free(&line);
		return ferry_error_set(FERRY_ERANGE, "HTTP header too long");
	}
	n = curl_slist_append(*h, (const char *)line.data);
	ferry_buf_free(&line);
	if (!n)
		return ferry_error_set(FERRY_ENOMEM, "curl_slist_append");
	*h = n;
	return FERRY_OK;
}

static ferry_err set_options(CURL *c, struct xfer *x, const struct net_config *cfg,
			     const char *url, const char *method, const char *body, size_t len)
{
	char pin[NET_PIN_CURL_MAX];
	CURLcode e = CURLE_OK;
	ferry_err rc;

	if (cfg->pin && *cfg->pin && (rc = net_pin_to_curl(pin, cfg->pin)) != FERRY_OK)
		return rc;
	/* With the native store imported, libcurl only warns about a CA file it
	 * cannot read; an admin who named one must hear about it. */
	if (cfg->ca_file && *cfg->ca_file) {
		FILE *f = fopen(cfg->ca_file, "rb");

		if (!f)
			return ferry_error_set(FERRY_EINVAL, "CA file %s cannot be read", cfg->ca_file);
		fclose(f);
	}

#define SETOPT(o, v) if (e == CURLE_OK) e = curl_easy_setopt(c, o, v)
	SETOPT(CURLOPT_URL, url);
	SETOPT(CURLOPT_PROTOCOLS_STR, "https");
	SETOPT(CURLOPT_NOSIGNAL, 1L);
	SETOPT(CURLOPT_SSL_VERIFYPEER, 1L);
	SETOPT(CURLOPT_SSL_VERIFYHOST, 2L);
	SETOPT(CURLOPT_CONNECTTIMEOUT_MS, cfg->connect_timeout_ms);
	SETOPT(CURLOPT_TIMEOUT_MS, cfg->timeout_ms);
	SETOPT(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)cfg->max_reply);
	SETOPT(CURLOPT_FOLLOWLOCATION, 0L);
	SETOPT(CURLOPT_WRITEFUNCTION, on_body);
	SETOPT(CURLOPT_WRITEDATA, x);
	SETOPT(CURLOPT_HEADERFUNCTION, on_header);
	SETOPT(CURLOPT_HEADERDATA, x);
	SETOPT(CURLOPT_CUSTOMREQUEST, method);
	if (share)
		SETOPT(CURLOPT_SHARE, share);
	/* Trust anchors: the Windows certificate store (libcurl over OpenSSL
	 * ships none on Windows; elsewhere the flag is ignored and the system's
	 * bundle applies), plus the admin's CA file when given. */
	SETOPT(CURLOPT_SSL_OPTIONS, (long)CURLSSLOPT_NATIVE_CA);
	if (cfg->ca_file && *cfg->ca_file)
		SETOPT(CURLOPT_CAINFO, cfg->ca_file);
	if (cfg->pin && *cfg->pin)
		SETOPT(CURLOPT_PINNEDPUBLICKEY, pin);
	if (body) {
		SETOPT(CURLOPT_POSTFIELDS, body);
		SETOPT(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	} else if (!strcmp(method, "GET")) {
		SETOPT(CURLOPT_HTTPGET, 1L);
	}
#undef SETOPT
	if (e != CURLE_OK)
		return ferry_error_set(FERRY_ESYSTEM, "curl_easy_setopt: %s", curl_easy_strerror(e));
	return FERRY_OK;
}

ferry_err net_http(struct net_reply *out, const struct net_config *cfg, const char *method,
		   const char *path, const struct ferry_secret *bearer, const char *body,
		   size_t body_len, const char *if_none_match)
{
	struct xfer x = { out, 0 };
	struct curl_slist *h = NULL;
	struct ferry_buf url;
	CURL *c = NULL;
	curl_off_t up = 0, down = 0;
	long hdr = 0, req = 0;
	ferry_err rc;

	memset(out, 0, sizeof(*out));
	ferry_buf_init(&out->body, cfg->max_reply);
	ferry_buf_init(&url, 2048);
	rc = ferry_buf_printf(&url, "%s%s", cfg->server, path);
	if (!rc)
		rc = add_header(&h, "Content-Type: ", "application/json");
	if (!rc)
		rc = add_header(&h, "Accept: ", "application/json");
	if (!rc && bearer)
		rc = add_header(&h, "Authorization: Bearer ", (const char *)bearer->data);
	if (!rc && if_none_match && *if_none_match)
		rc = add_header(&h, "If-None-Match: ", if_none_match);
	if (rc)
		goto out;
	c = curl_easy_init();
	if (!c) {
		rc = ferry_error_set(FERRY_ENOMEM, "curl_easy_init failed");
		goto out;
	}
	rc = set_options(c, &x, cfg, (const char *)url.data, method, body, body_len);
	if (!rc && curl_easy_setopt(c, CURLOPT_HTTPHEADER, h) != CURLE_OK)
		rc = ferry_error_set(FERRY_ESYSTEM, "curl_easy_setopt(HTTPHEADER)");
	if (!rc)
		rc = map_curl(curl_easy_perform(c), &x, cfg, path);
	if (!rc) {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
		curl_easy_getinfo(c, CURLINFO_SIZE_UPLOAD_T, &up);
		curl_easy_getinfo(c, CURLINFO_SIZE_DOWNLOAD_T, &down);
		curl_easy_getinfo(c, CURLINFO_HEADER_SIZE, &hdr);
		curl_easy_getinfo(c, CURLINFO_REQUEST_SIZE, &req);
		out->bytes_up = (uint64_t)up + (uint64_t)req;
		out->bytes_down = (uint64_t)down + (uint64_t)hdr;
	}
out:
	if (c)
		curl_easy_cleanup(c);
	headers_free(h);
	ferry_buf_free(&url);
	return rc;
}

void net_reply_free(struct net_reply *r)
{
	if (r)
		ferry_buf_free(&r->body);
}
