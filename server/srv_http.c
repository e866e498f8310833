/*
 * HTTPS for ferry-server: GNU libmicrohttpd behind an OpenSSL front end
 * (srv_tls.c), one worker thread per listening socket, one SQLite
 * connection per thread.
 *
 * Every request body is bounded before it is read: agent routes by
 * server.body_max, admin routes by server.admin_body_max. A larger
 * Content-Length is answered 413 at once; a chunked body that grows past
 * the bound is cut and answered 413. Handlers see only complete, bounded
 * bodies. The log line of a request names method, path, status and
 * duration, never a header or a body.
 */
#include "srv.h"
#include "srv_tls.h"
#include "srv_ticket.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "util/buf.h"

#define REPLY_MAX (64u * 1024u * 1024u)

struct conn_ctx {
	struct ferry_buf body;
	bool too_big;
	bool answered;
	struct timespec t0;
};

void srv_reply_json(struct srv_reply *rp, int status, const cJSON *j)
{
	char *text = j ? cJSON_PrintUnformatted(j) : NULL;

	ferry_buf_free(&rp->body);
	ferry_buf_init(&rp->body, REPLY_MAX);
	rp->status = status;
	rp->content_type = "application/json";
	if (!text || ferry_buf_puts(&rp->body, text)) {
		rp->status = 500;
		ferry_buf_free(&rp->body);
		ferry_buf_init(&rp->body, REPLY_MAX);
		(void)ferry_buf_puts(&rp->body, "{\"error\":\"out of memory\"}");
	}
	if (text) {
		if (rp->secret)
			ferry_wipe(text, strlen(text));
		cJSON_free(text);
	}
}

void srv_reply_error(struct srv_reply *rp, int status, const char *fmt, ...)
{
	char msg[512];
	cJSON *j = cJSON_CreateObject();
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(rp->log_note, sizeof(rp->log_note), "%.150s", msg);
	if (j)
		cJSON_AddStringToObject(j, "error", msg);
	srv_reply_json(rp, status, j);
	cJSON_Delete(j);
}

void srv_reply_ferr(struct srv_reply *rp, ferry_err rc, const char *what)
{
	int status;

	switch (rc) {
	case FERRY_EINVAL:
	case FERRY_ECORRUPT:
	case FERRY_ERANGE:
		status = 400;
		break;
	case FERRY_ENOTFOUND:
		status = 404;
		break;
	case FERRY_EMISMATCH:
		status = 409;
		break;
	case FERRY_EAUTH:
		status = 401;
		break;
	case FERRY_EPERM:
		status = 403;
		break;
	case FERRY_EBUSY:
		status = 503;
		snprintf(rp->retry_after, sizeof(rp->retry_after), "5");
		break;
	default:
		status = 500;
	}
	srv_reply_error(rp, status, "%s: %s", what, ferry_error_detail());
}

cJSON *srv_body_json(const struct srv_req *rq, struct srv_reply *rp)
{
	cJSON *j;

	if (!rq->body_len) {
		srv_reply_error(rp, 400, "%s: empty body (a JSON object was expected)", rq->path);
		return NULL;
	}
	if (memchr(rq->body, '\0', rq->body_len)) {
		srv_reply_error(rp, 400, "%s: body holds a NUL byte", rq->path);
		return NULL;
	}
	j = cJSON_ParseWithLength((const char *)rq->body, rq->body_len);
	if (!cJSON_IsObject(j)) {
		srv_reply_error(rp, 400, "%s: body is not a JSON object%s", rq->path,
				j ? "" : " (malformed JSON)");
		cJSON_Delete(j);
		return NULL;
	}
	return j;
}

ferry_err srv_req_split(struct srv_req *r, const char *path)
{
	size_t n = strlen(path);
	char *p;

	r->nparts = 0;
	if (n == 0 || n >= sizeof(r->pathbuf) || path[0] != '/')
		return ferry_error_set(FERRY_ECORRUPT, "path is empty, too long or relative");
	memcpy(r->pathbuf, path + 1, n);
	r->path = path;
	for (p = r->pathbuf; *p;) {
		char *slash = strchr(p, '/');

		if (r->nparts == SRV_PARTS_MAX)
			return ferry_error_set(FERRY_ECORRUPT, "path has more than %u parts",
					       SRV_PARTS_MAX);
		if (slash)
			*slash = '\0';
		if (!*p || !strcmp(p, ".") || !strcmp(p, ".."))
			return ferry_error_set(FERRY_ECORRUPT, "path has an empty or dot part");
		r->parts[r->nparts++] = p;
		if (!slash)
			break;
		p = slash + 1;
		if (!*p)
			return ferry_error_set(FERRY_ECORRUPT, "path ends with '/'");
	}
	return FERRY_OK;
}

static bool is_admin_path(const char *url)
{
	return !strncmp(url, "/v1/admin/", 10) || !strcmp(url, "/v1/admin");
}

void srv_handle(struct srv *s, struct srv_req *rq, struct srv_reply *rp)
{
	if (srv_req_split(rq, rq->path)) {
		srv_reply_error(rp, 400, "%s", ferry_error_detail());
		return;
	}
	if (rq->nparts == 2 && !strcmp(rq->parts[0], "v1") && !strcmp(rq->parts[1], "health")) {
		cJSON *j = cJSON_CreateObject();

		if (strcmp(rq->method, "GET") && strcmp(rq->method, "HEAD")) {
			srv_reply_error(rp, 405, "/v1/health: GET only");
		} else {
			cJSON_AddStringToObject(j, "status", "ok");
			cJSON_AddStringToObject(j, "database", s->store->ops->backend);
			srv_reply_json(rp, 200, j);
		}
		cJSON_Delete(j);
		return;
	}
	if (rq->nparts == 1 && !strcmp(rq->parts[0], "metrics")) {
		srv_metrics(s, rq, rp);
		return;
	}
	if (rq->nparts >= 2 && (!strcmp(rq->parts[0], "v1") || !strcmp(rq->parts[0], "v2")) &&
	    !strcmp(rq->parts[1], "agents")) {
		srv_agent_api(s, rq, rp);
		return;
	}
	if (rq->nparts >= 2 && !strcmp(rq->parts[0], "v1") && !strcmp(rq->parts[1], "admin")) {
		srv_admin_api(s, rq, rp);
		return;
	}
	if (rq->nparts >= 1 && !strcmp(rq->parts[0], "console")) {
		srv_console(s, rq, rp);
		return;
	}
	srv_reply_error(rp, 404, "%s: no such endpoint", rq->path);
}

/* The reply's bytes, wiped when MHD is done with them. */
struct wiped {
	size_t len;
	uint8_t data[];
};

static void wipe_free(void *p)
{
	struct wiped *w = (struct wiped *)((uint8_t *)p - offsetof(struct wiped, data));

	ferry_wipe(w->data, w->len);
	ferry_free(w);
}

static enum MHD_Result send_reply(struct MHD_Connection *c, struct srv_reply *rp)
{
	struct wiped *w = ferry_malloc(sizeof(*w) + rp->body.len + 1);
	struct MHD_Response *r;
	enum MHD_Result ok;

	if (!w)
		return MHD_NO;
	w->len = rp->body.len;
	if (rp->body.len)
		memcpy(w->data, rp->body.data, rp->body.len);
	r = MHD_create_response_from_buffer_with_free_callback(rp->body.len, w->data, wipe_free);
	if (!r) {
		wipe_free(w->data);
		return MHD_NO;
	}
	if (rp->content_type && rp->body.len)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, rp->content_type);
	if (rp->etag[0])
		MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, rp->etag);
	if (rp->retry_after[0])
		MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, rp->retry_after);
	if (rp->set_cookie[0])
		MHD_add_response_header(r, MHD_HTTP_HEADER_SET_COOKIE, rp->set_cookie);
	if (rp->location[0])
		MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, rp->location);
	if (rp->html) {
		/* nothing but the console's own files; no framing, no sniffing */
		MHD_add_response_header(r, "Content-Security-Policy",
					"default-src 'none'; script-src 'self'; style-src 'self'; "
					"img-src 'self'; connect-src 'self'; form-action 'self'; "
					"frame-ancestors 'none'; base-uri 'none'");
		MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
		MHD_add_response_header(r, "X-Frame-Options", "DENY");
		MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
		MHD_add_response_header(r, "Strict-Transport-Security", "max-age=31536000");
	}
	MHD_add_response_header(r, "Cache-Control", "no-store");
	ok = MHD_queue_response(c, (unsigned)rp->status, r);
	MHD_destroy_response(r);
	return ok;
}

static const char *query_lookup(void *ctx, const char *name)
{
	return MHD_lookup_connection_value((struct MHD_Connection *)ctx, MHD_GET_ARGUMENT_KIND,
					   name);
}

static void client_addr(char *out, size_t cap, struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	snprintf(out, cap, "?");
	if (sa && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
			  (socklen_t)cap);
	else if (sa && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out,
			  (socklen_t)cap);
}

static void log_request(struct srv *s, const char *method, const char *url,
			const struct srv_reply *rp, const struct conn_ctx *cc, const char *client)
{
	struct timespec t1;
	double ms;
	char path[160];
	size_t i;

	if (!s->cfg.log_polls && (rp->status == 304 || (rp->status == 200 && !is_admin_path(url))))
		return;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - cc->t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - cc->t0.tv_nsec) / 1e6;
	/* the path only, printable, bounded: never a query string (it may name things) */
	for (i = 0; url[i] && i + 1 < sizeof(path); i++)
		path[i] = (url[i] >= 0x20 && url[i] < 0x7f) ? url[i] : '?';
	path[i] = '\0';
	fprintf(stderr, "ferry-server: %s %.8s %s -> %d (%.1f ms)%s%s\n", client, method, path,
		rp->status, ms, rp->log_note[0] ? ": " : "", rp->log_note);
}

static void count(struct srv *s, const struct srv_reply *rp)
{
	atomic_fetch_add(&s->stats.requests, 1);
	if (rp->status >= 100 && rp->status < 600)
		atomic_fetch_add(&s->stats.by_class[rp->status / 100], 1);
	if (rp->status == 400 || rp->status == 413)
		atomic_fetch_add(&s->stats.refused_bodies, 1);
}

static enum MHD_Result answer(struct srv *s, struct MHD_Connection *c, const char *url,
			      const char *method, struct conn_ctx *cc)
{
	struct srv_req rq = { 0 };
	struct srv_reply rp = { 0 };
	enum MHD_Result ok;

	ferry_buf_init(&rp.body, REPLY_MAX);
	client_addr(rq.client, sizeof(rq.client), c);
	if (cc->too_big) {
		srv_reply_error(&rp, 413, "%s: body larger than %zu bytes", "request",
				is_admin_path(url) ? s->cfg.admin_body_max : s->cfg.body_max);
	} else {
		rq.method = method;
		rq.path = url;
		rq.body = cc->body.data;
		rq.body_len = cc->body.len;
		rq.authorization = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
							       MHD_HTTP_HEADER_AUTHORIZATION);
		rq.if_none_match = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
							       MHD_HTTP_HEADER_IF_NONE_MATCH);
		rq.cookie = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_COOKIE);
		rq.content_type = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
							      MHD_HTTP_HEADER_CONTENT_TYPE);
		rq.query = query_lookup;
		rq.query_ctx = c;
		srv_handle(s, &rq, &rp);
	}
	count(s, &rp);
	log_request(s, method, url, &rp, cc, rq.client);
	ok = send_reply(c, &rp);
	cc->answered = true;
	if (rp.secret)
		ferry_wipe(rp.body.data, rp.body.len);
	ferry_buf_free(&rp.body);
	return ok;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **ctx)
{
	struct srv *s = cls;
	struct conn_ctx *cc = *ctx;
	size_t max = is_admin_path(url) ? s->cfg.admin_body_max : s->cfg.body_max;

	(void)version;
	if (!cc) {
		const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
							     MHD_HTTP_HEADER_CONTENT_LENGTH);

		cc = ferry_calloc(1, sizeof(*cc));
		if (!cc)
			return MHD_NO;
		clock_gettime(CLOCK_MONOTONIC, &cc->t0);
		ferry_buf_init(&cc->body, max);
		*ctx = cc;
		if (cl && strtoull(cl, NULL, 10) > max) {
			cc->too_big = true;
			return answer(s, c, url, method, cc); /* 413 before reading a byte */
		}
		return MHD_YES;
	}
	if (*upload_size) {
		if (cc->answered) {
			*upload_size = 0;
			return MHD_YES;
		}
		if (ferry_buf_append(&cc->body, upload, *upload_size)) {
			cc->too_big = true;
			*upload_size = 0;
			return answer(s, c, url, method, cc);
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (cc->answered)
		return MHD_YES;
	return answer(s, c, url, method, cc);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **ctx,
			 enum MHD_RequestTerminationCode toe)
{
	struct conn_ctx *cc = *ctx;

	(void)cls;
	(void)c;
	(void)toe;
	if (cc) {
		ferry_buf_free(&cc->body);
		ferry_free(cc);
		*ctx = NULL;
	}
}

/* Workers (config "threads"): one libmicrohttpd daemon and socket each. */
#define SRV_WORKERS_MAX 256

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

static uint16_t get_port(const struct sockaddr_storage *ss)
{
	return ntohs(ss->ss_family == AF_INET ? ((const struct sockaddr_in *)ss)->sin_port
					      : ((const struct sockaddr_in6 *)ss)->sin6_port);
}

/* "ADDR:PORT" or "[V6]:PORT" into a socket address. */
static ferry_err parse_listen(struct sockaddr_storage *ss, socklen_t *sl, const char *spec)
{
	char host[128];
	const char *colon = strrchr(spec, ':');
	long port;
	char *end;
	size_t hl;

	memset(ss, 0, sizeof(*ss));
	if (!colon)
		return ferry_error_set(FERRY_EINVAL, "listen '%.60s': expected ADDR:PORT", spec);
	hl = (size_t)(colon - spec);
	if (hl >= 2 && spec[0] == '[' && spec[hl - 1] == ']') {
		spec++;
		hl -= 2;
	}
	if (hl >= sizeof(host))
		return ferry_error_set(FERRY_EINVAL, "listen: address too long");
	memcpy(host, spec, hl);
	host[hl] = '\0';
	port = strtol(colon + 1, &end, 10);
	if (*end || end == colon + 1 || port < 0 || port > 65535)
		return ferry_error_set(FERRY_EINVAL, "listen '%.60s': bad port", colon + 1);
	if (inet_pton(AF_INET, host, &((struct sockaddr_in *)ss)->sin_addr) == 1) {
		ss->ss_family = AF_INET;
		*sl = sizeof(struct sockaddr_in);
	} else if (inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)ss)->sin6_addr) == 1) {
		ss->ss_family = AF_INET6;
		*sl = sizeof(struct sockaddr_in6);
	} else {
		return ferry_error_set(FERRY_EINVAL, "listen '%.60s': not an IPv4 or IPv6 address",
				       host);
	}
	set_port(ss, (uint16_t)port);
	return FERRY_OK;
}

/* A bound socket on ss; listening unless probe; SO_REUSEPORT when shared. */
static ferry_err bind_socket(int *out, const struct sockaddr_storage *ss, socklen_t sl,
			     bool shared, bool probe, const char *spec)
{
	int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0)
		return ferry_error_set(FERRY_ESYSTEM, "socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* Accepted sockets inherit it (Linux): no setsockopt per connection.
	 * The reply goes out in one write, with no Nagle wait behind the
	 * handshake (srv_tls.c). */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if ((shared && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one))) ||
	    bind(fd, (const struct sockaddr *)ss, sl) || (!probe && listen(fd, 1024))) {
		ferry_err rc = ferry_error_set(FERRY_ESYSTEM, "listen on %s: %s", spec,
					       strerror(errno));
		close(fd);
		return rc;
	}
	*out = fd;
	return FERRY_OK;
}

/*
 * n listening sockets on one port, one per worker (SO_REUSEPORT: the kernel
 * hands each new connection to one socket, so one worker wakes per
 * connection where a socket shared by a pool of epoll threads woke them all
 * and all but one found nothing to accept). Sockets of one reuseport group
 * would also let a second ferry-server on the same port silently take half
 * the connections: the port is first bound without SO_REUSEPORT, which
 * fails if anyone holds it, and the group binds the port that probe got.
 */
static ferry_err listen_sockets(int *fds, unsigned n, uint16_t *port_out, const char *spec)
{
	struct sockaddr_storage ss;
	socklen_t sl = 0;
	unsigned i;
	int probe = -1;
	ferry_err rc;

	for (i = 0; i < n; i++)
		fds[i] = -1;
	rc = parse_listen(&ss, &sl, spec);
	if (!rc)
		rc = bind_socket(&probe, &ss, sl, false, true, spec);
	if (!rc) {
		sl = sizeof(ss);
		getsockname(probe, (struct sockaddr *)&ss, &sl);
		close(probe);
	}
	for (i = 0; !rc && i < n; i++)
		rc = bind_socket(&fds[i], &ss, sl, n > 1, false, spec);
	if (rc) {
		for (i = 0; i < n; i++)
			if (fds[i] >= 0)
				close(fds[i]);
		return rc;
	}
	*port_out = get_port(&ss);
	return FERRY_OK;
}

static void mhd_log(void *cls, const char *fmt, va_list ap) FERRY_PRINTF(2, 0);

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	/* The daemon's sockets are socketpair ends (srv_tls.c), which it takes
	 * for TCP: its TCP_NODELAY / TCP_CORK pushes fail there, harmlessly
	 * (a Unix socket has no Nagle delay), and it would say so per reply. */
	if (!strncmp(fmt, "Setting %s option to %s state failed", 36) ||
	    !strncmp(fmt, "Failed to push the data from buffers", 36))
		return;
	fputs("ferry-server: http: ", stderr);
	vfprintf(stderr, fmt, ap);
}

ferry_err srv_serve(struct srv *s, const char *listen_override)
{
	const char *spec = listen_override ? listen_override : s->cfg.listen;
	char path[SRV_PATH_MAX], url[SRV_PATH_MAX + 64];
	uint8_t *cert = NULL, *key = NULL;
	size_t cert_len = 0, key_len = 0;
	struct MHD_Daemon *d[SRV_WORKERS_MAX] = { NULL };
	struct srv_tls_worker *w[SRV_WORKERS_MAX] = { NULL };
	SSL_CTX *tls = NULL;
	struct srv_ticket_keys *tickets = NULL;
	unsigned limit;
	int fd[SRV_WORKERS_MAX];
	struct sigaction sa = { 0 };
	unsigned threads = s->cfg.threads;
	uint16_t port = 0;
	unsigned i, started = 0;
	ferry_err rc;

	rc = srv_path(path, sizeof(path), s->cfg.dir, s->cfg.tls_cert);
	if (!rc)
		rc = srv_read_file(&cert, &cert_len, path, 1024 * 1024);
	if (!rc)
		rc = srv_path(path, sizeof(path), s->cfg.dir, s->cfg.tls_key);
	if (!rc) {
		struct ferry_secret *k = NULL;

		rc = srv_read_secret(&k, path, 64 * 1024, true);
		if (!rc && (key = ferry_malloc(k->len + 1))) {
			memcpy(key, k->data, k->len);
			key[k->len] = '\0';
			key_len = k->len;
		} else if (!rc) {
			rc = ferry_error_set(FERRY_ENOMEM, "tls key");
		}
		ferry_secret_free(k);
	}
	if (!rc) {
		uint8_t *c2 = ferry_realloc_array(cert, cert_len + 1, 1);

		if (!c2)
			rc = ferry_error_set(FERRY_ENOMEM, "tls cert");
		else
			(cert = c2)[cert_len] = '\0';
	}
	if (!threads) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		threads = n > 0 ? (unsigned)n : 1;
	}
	if (threads > SRV_WORKERS_MAX)
		threads = SRV_WORKERS_MAX;
	limit = (s->cfg.connection_limit + threads - 1) / threads;
	for (i = 0; i < SRV_WORKERS_MAX; i++)
		fd[i] = -1;
	if (!rc)
		rc = listen_sockets(fd, threads, &port, spec);
	if (!rc)
		rc = srv_tls_ctx_new(&tls, (const char *)cert, (const char *)key);
	if (!rc)
		rc = srv_ticket_configure(&tickets, tls, s->cfg.dir, s->cfg.tls_ticket_key);
	if (rc)
		goto out;
	signal(SIGPIPE, SIG_IGN);
	/* One worker thread per listening socket of the reuseport group: OpenSSL
	 * terminates TLS and a libmicrohttpd daemon, run by that thread,
	 * serves the plaintext (srv_tls.h). */
	for (i = 0; i < threads; i++) {
		d[i] = MHD_start_daemon(
			MHD_USE_EPOLL | MHD_USE_NO_LISTEN_SOCKET | MHD_USE_ERROR_LOG,
			0, NULL, NULL, on_request, s,
			MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s,
			MHD_OPTION_CONNECTION_TIMEOUT, s->cfg.connection_timeout_s,
			MHD_OPTION_CONNECTION_LIMIT, limit,
			/* 32 KiB: libmicrohttpd mallocs pools this small; larger ones it
			 * mmaps, and one munmap per connection (a TLB shootdown across
			 * the worker threads) cost more CPU than the TLS handshake.
			 * Bodies are buffered by on_request, not in the pool. */
			MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(32 * 1024),
			MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
			MHD_OPTION_END);
		if (!d[i]) {
			rc = ferry_error_set(FERRY_ESYSTEM, "libmicrohttpd would not start on %s", spec);
			goto out;
		}
		started++;
		rc = srv_tls_worker_start(&w[i], fd[i], tls, d[i], limit,
					  s->cfg.connection_timeout_s);
		fd[i] = -1; /* the worker's now, even on failure */
		if (rc)
			goto out;
	}
	snprintf(url, sizeof(url), "https://%s:%u", s->cfg.name, (unsigned)port);
	fprintf(stderr, "ferry-server: listening on %s port %u (%s, %u threads)\n", spec,
		(unsigned)port, s->store->ops->backend, threads);
	(void)srv_path(path, sizeof(path), s->cfg.dir, "run.port");
	{
		char num[16];
		int n = snprintf(num, sizeof(num), "%u\n", (unsigned)port);

		(void)srv_write_file(path, num, (size_t)n, 0644);
	}
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	while (!stop_flag)
		sleep(1);
	fprintf(stderr, "ferry-server: stopping\n");
out:
	for (i = 0; i < started; i++) {
		srv_tls_worker_stop(w[i]);
		MHD_stop_daemon(d[i]);
	}
	SSL_CTX_free(tls);
	srv_ticket_keys_free(tickets);
	if (started)
		srv_seen_flush(s);
	for (i = 0; i < SRV_WORKERS_MAX; i++)
		if (fd[i] >= 0)
			close(fd[i]);
	ferry_free(cert);
	if (key)
		ferry_wipe(key, key_len);
	ferry_free(key);
	return rc;
}
