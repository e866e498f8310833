/*
 * ferry-server's TLS front end: see srv_tls.h.
 *
 * One worker = one thread, one epoll set holding: the worker's listening
 * socket, a wake eventfd (stop), libmicrohttpd's own epoll fd (the daemon
 * runs in external mode: MHD_run on this thread when that fd is readable,
 * when bytes were just relayed to it, or when its timeout is due), and two
 * fds per connection:
 *
 *   client --TLS-- tcp [ssl] conn: up relay --> pair ~~ socketpair ~~ daemon
 *                            conn: down relay <-- pair
 *
 * A connection's states, and who moves it:
 *   1. handshaking: accept_conn() makes it; pump() runs SSL_do_handshake.
 *   2. live: pump()'s hand_off() makes the socketpair and gives one end to
 *      the daemon with the client's address (for the request log); pump()
 *      then relays both ways through two bounded buffers.
 *   3. done: the daemon closed its end (pair_eof) and everything it wrote
 *      has gone out through TLS: close_notify, then conn_close(). Also on
 *      any TLS or socket error, a client reset, or no progress for the
 *      timeout (expire()).
 *
 * Invariants:
 *   1. Both fds are edge-triggered, so pump() only stops a direction on
 *      EAGAIN / SSL_ERROR_WANT_* (which re-arms the edge) or when the other
 *      side of that direction is full; every pump() runs both directions,
 *      so an event on either fd resumes a direction stalled by the other.
 *   2. A direction's buffer holds bytes [off, len) not yet written; it is
 *      refilled only when empty, so a slow reader stops the writer
 *      (backpressure) and memory per connection is fixed (2 x RELAY_BUF).
 *   3. The list runs from least to most recently active connection, so
 *      expiry looks only at its head.
 *   4. Nothing here parses HTTP: the daemon bounds, parses and answers.
 */
#include "srv_tls.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "util/mem.h"

#define RELAY_BUF 8192u
#define EVENTS_MAX 64

enum tag_kind { TAG_LISTEN, TAG_WAKE, TAG_MHD, TAG_TCP, TAG_PAIR };

struct conn;

struct tag {
	enum tag_kind kind;
	struct conn *c;
};

struct relay {
	uint8_t buf[RELAY_BUF];
	size_t off, len;
};

struct conn {
	struct tag t_tcp, t_pair;
	int tcp, pair;
	SSL *ssl;
	struct sockaddr_storage peer;
	socklen_t peer_len;
	bool live, tls_eof, pair_eof, up_dead, tcp_out, dead;
	int64_t active_ms;
	struct conn *prev, *next;
	struct relay up;   /* client -> daemon */
	struct relay down; /* daemon -> client */
};

struct srv_tls_worker {
	int ep, lfd, wake;
	SSL_CTX *ctx;
	struct MHD_Daemon *mhd;
	unsigned limit, n;
	int64_t timeout_ms;
	bool mhd_due, started;
	struct conn *head, *tail; /* open connections (invariant 3) */
	struct conn *dead;        /* closed in this batch, freed after it */
	struct tag t_listen, t_wake, t_mhd;
	pthread_t tid;
};

/* Handshakes done since start, every worker together (/metrics). */
static atomic_ulong handshakes_full, handshakes_resumed;

void srv_tls_handshakes(unsigned long *full, unsigned long *resumed)
{
	*full = atomic_load(&handshakes_full);
	*resumed = atomic_load(&handshakes_resumed);
}

static int fcntl_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static int64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

ferry_err srv_tls_ctx_new(SSL_CTX **out, const char *cert_pem, const char *key_pem)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	BIO *cb = BIO_new_mem_buf(cert_pem, -1), *kb = BIO_new_mem_buf(key_pem, -1);
	X509 *leaf = NULL, *extra = NULL;
	EVP_PKEY *pk = NULL;
	ferry_err rc = FERRY_OK;

	*out = NULL;
	if (!ctx || !cb || !kb) {
		rc = ferry_error_set(FERRY_ENOMEM, "TLS context");
		goto out;
	}
	leaf = PEM_read_bio_X509(cb, NULL, NULL, NULL);
	if (!leaf || SSL_CTX_use_certificate(ctx, leaf) != 1) {
		rc = ferry_error_set(FERRY_EINVAL, "TLS certificate: no usable PEM certificate");
		goto out;
	}
	/* Anything after the leaf is its chain (an organisation CA's intermediates). */
	while ((extra = PEM_read_bio_X509(cb, NULL, NULL, NULL))) {
		if (SSL_CTX_add0_chain_cert(ctx, extra) != 1) {
			X509_free(extra);
			rc = ferry_error_set(FERRY_EINVAL, "TLS certificate: unusable chain certificate");
			goto out;
		}
	}
	ERR_clear_error(); /* the end of the PEM stream */
	pk = PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL);
	if (!pk || SSL_CTX_use_PrivateKey(ctx, pk) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
		rc = ferry_error_set(FERRY_EINVAL, "TLS key: unreadable, or not the certificate's key");
		goto out;
	}
	/* No session cache (state shared across workers and nodes): agents
	 * resume with stateless tickets, which srv_ticket_enable turns on. */
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_num_tickets(ctx, 0) != 1) {
		rc = ferry_error_set(FERRY_ESYSTEM, "TLS context options");
		goto out;
	}
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION |
				 SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
			      SSL_MODE_RELEASE_BUFFERS);
	/* One recv for what the client sent, not one per record header and body. */
	SSL_CTX_set_read_ahead(ctx, 1);
	*out = ctx;
	ctx = NULL;
out:
	if (rc)
		ERR_clear_error();
	EVP_PKEY_free(pk);
	X509_free(leaf);
	BIO_free(cb);
	BIO_free(kb);
	SSL_CTX_free(ctx);
	return rc;
}

/* The list of connections, least recently active first (invariant 3). */
static void list_unlink(struct srv_tls_worker *w, struct conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		w->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		w->tail = c->prev;
	c->prev = c->next = NULL;
}

static void list_append(struct srv_tls_worker *w, struct conn *c)
{
	c->prev = w->tail;
	c->next = NULL;
	if (w->tail)
		w->tail->next = c;
	else
		w->head = c;
	w->tail = c;
}

static void touch(struct srv_tls_worker *w, struct conn *c)
{
	c->active_ms = now_ms();
	if (w->tail != c) {
		list_unlink(w, c);
		list_append(w, c);
	}
}

/* Close now, free after the current batch of events, which may still name it. */
static void conn_close(struct srv_tls_worker *w, struct conn *c)
{
	list_unlink(w, c);
	SSL_free(c->ssl);
	c->ssl = NULL;
	/* Out of the epoll set before the close: a close removes an fd from
	 * epoll only when no other descriptor shares its open file (a child
	 * forked for the provisioner holds copies until its exec), and an
	 * event naming this conn after free_dead would be a use after free. */
	(void)epoll_ctl(w->ep, EPOLL_CTL_DEL, c->tcp, NULL);
	close(c->tcp);
	if (c->pair >= 0) {
		(void)epoll_ctl(w->ep, EPOLL_CTL_DEL, c->pair, NULL);
		close(c->pair);
	}
	ferry_wipe(&c->up, sizeof(c->up));
	ferry_wipe(&c->down, sizeof(c->down));
	c->dead = true;
	c->next = w->dead;
	w->dead = c;
	w->n--;
}

static void free_dead(struct srv_tls_worker *w)
{
	while (w->dead) {
		struct conn *c = w->dead;

		w->dead = c->next;
		ferry_free(c);
	}
}

static int ep_add(struct srv_tls_worker *w, int fd, uint32_t events, struct tag *t)
{
	struct epoll_event ev = { .events = events, .data.ptr = t };

	return epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &ev);
}

/* The handshake is done: a socketpair, one end the daemon's (state 2). */
static bool hand_off(struct srv_tls_worker *w, struct conn *c)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv))
		return false;
	/* The daemon owns sv[1] from here, and closes it even on failure. */
	if (MHD_add_connection(w->mhd, sv[1], (const struct sockaddr *)&c->peer, c->peer_len) !=
	    MHD_YES) {
		close(sv[0]);
		return false;
	}
	c->pair = sv[0];
	c->live = true;
	w->mhd_due = true;
	return ep_add(w, c->pair, EPOLLIN | EPOLLET, &c->t_pair) == 0;
}

/* Handlers run inside MHD_run on this thread and may leave OpenSSL errors
 * (a bad signature, a bad seal) in the thread's queue, which the next
 * SSL_get_error would read as this connection's: the queue is emptied. */
static void run_daemon(struct srv_tls_worker *w)
{
	w->mhd_due = false;
	MHD_run(w->mhd);
	ERR_clear_error();
}

/* An SSL_ERROR_WANT_* into the interest it needs; false for a real error. */
static bool tls_wants(struct srv_tls_worker *w, struct conn *c, int r)
{
	int e = SSL_get_error(c->ssl, r);

	if (e == SSL_ERROR_WANT_READ)
		return true; /* EPOLLIN is always registered */
	if (e == SSL_ERROR_WANT_WRITE) {
		if (!c->tcp_out) {
			struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLET,
						  .data.ptr = &c->t_tcp };

			if (epoll_ctl(w->ep, EPOLL_CTL_MOD, c->tcp, &ev))
				return false;
			c->tcp_out = true;
		}
		return true;
	}
	ERR_clear_error();
	return false;
}

/* Client to daemon until one side would block; false to close. */
static bool pump_up(struct srv_tls_worker *w, struct conn *c, bool *progress)
{
	struct relay *r = &c->up;

	for (;;) {
		if (r->off < r->len && !c->up_dead) {
			ssize_t k = send(c->pair, r->buf + r->off, r->len - r->off, MSG_NOSIGNAL);

			if (k > 0) {
				r->off += (size_t)k;
				*progress = w->mhd_due = true;
				continue;
			}
			if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
				struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLET,
							  .data.ptr = &c->t_pair };

				return epoll_ctl(w->ep, EPOLL_CTL_MOD, c->pair, &ev) == 0;
			}
			/* The daemon stopped reading (it answered and closed): what it
			 * wrote may still be in flight down; the client's rest is dropped. */
			c->up_dead = true;
		}
		if (c->tls_eof)
			return true;
		r->off = r->len = 0;
		{
			int n = SSL_read(c->ssl, r->buf, (int)sizeof(r->buf));

			if (n > 0) {
				r->len = (size_t)n;
				*progress = true;
				continue;
			}
			if (SSL_get_error(c->ssl, n) == SSL_ERROR_ZERO_RETURN) {
				c->tls_eof = true;
				shutdown(c->pair, SHUT_WR);
				return true;
			}
			return tls_wants(w, c, n);
		}
	}
}

/* Daemon to client until one side would block; false to close. */
static bool pump_down(struct srv_tls_worker *w, struct conn *c, bool *progress)
{
	struct relay *r = &c->down;

	for (;;) {
		if (r->off < r->len) {
			int n = SSL_write(c->ssl, r->buf + r->off, (int)(r->len - r->off));

			if (n > 0) {
				r->off += (size_t)n;
				*progress = true;
				continue;
			}
			return tls_wants(w, c, n);
		}
		if (c->pair_eof)
			return true;
		r->off = 0;
		{
			ssize_t k = recv(c->pair, r->buf, sizeof(r->buf), 0);

			if (k > 0) {
				r->len = (size_t)k;
				*progress = true;
				continue;
			}
			r->len = 0;
			if (k == 0) {
				c->pair_eof = true;
				return true;
			}
			return errno == EAGAIN || errno == EWOULDBLOCK;
		}
	}
}

/* Move a connection as far as it goes now; false when it is to be closed. */
static bool pump(struct srv_tls_worker *w, struct conn *c)
{
	bool progress = false;

	if (!c->live) {
		int r = SSL_do_handshake(c->ssl);

		if (r != 1)
			return tls_wants(w, c, r);
		atomic_fetch_add(SSL_session_reused(c->ssl) ? &handshakes_resumed : &handshakes_full,
				 1);
		if (!hand_off(w, c))
			return false;
		progress = true;
	}
	if (!pump_up(w, c, &progress))
		return false;
	/* The request is in the daemon's socket: let it answer now, so the reply
	 * is read below rather than after one more epoll_wait round trip. */
	if (w->mhd_due)
		run_daemon(w);
	if (!pump_down(w, c, &progress))
		return false;
	if (c->pair_eof && c->down.off == c->down.len) {
		(void)SSL_shutdown(c->ssl); /* close_notify, best effort (state 3) */
		ERR_clear_error();
		return false;
	}
	if (progress)
		touch(w, c);
	return true;
}

/* One connection per event: the listening socket is level-triggered, so
 * another waiting connection wakes the next epoll_wait, and an empty queue
 * costs no failed accept. */
static void accept_conn(struct srv_tls_worker *w)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int fd = accept4(w->lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
	struct conn *c;

	if (fd < 0)
		return; /* EAGAIN (another worker's), or an error: next event */
	if (w->n >= w->limit || !(c = ferry_calloc(1, sizeof(*c)))) {
		close(fd);
		return;
	}
	/* TCP_NODELAY comes from the listening socket (srv_http.c). */
	c->tcp = fd;
	c->pair = -1;
	c->peer = ss;
	c->peer_len = sl;
	c->t_tcp = (struct tag){ TAG_TCP, c };
	c->t_pair = (struct tag){ TAG_PAIR, c };
	w->n++;
	c->active_ms = now_ms();
	list_append(w, c);
	c->ssl = SSL_new(w->ctx);
	if (!c->ssl || SSL_set_fd(c->ssl, fd) != 1 || ep_add(w, fd, EPOLLIN | EPOLLET, &c->t_tcp)) {
		ERR_clear_error();
		conn_close(w, c);
		return;
	}
	SSL_set_accept_state(c->ssl);
	/* The ClientHello is usually here already: no wait for an event. */
	if (!pump(w, c))
		conn_close(w, c);
}

/* Close connections with no progress for the timeout; the next deadline. */
static int64_t expire(struct srv_tls_worker *w, int64_t now)
{
	while (w->head && w->head->active_ms + w->timeout_ms <= now)
		conn_close(w, w->head);
	return w->head ? w->head->active_ms + w->timeout_ms : -1;
}

static int wait_ms(struct srv_tls_worker *w, int64_t deadline, int64_t now)
{
	MHD_UNSIGNED_LONG_LONG mt = 0;
	int64_t t = deadline < 0 ? -1 : deadline - now;

	if (w->mhd_due)
		return 0;
	if (MHD_get_timeout(w->mhd, &mt) == MHD_YES && (t < 0 || (int64_t)mt < t))
		t = mt > INT32_MAX ? INT32_MAX : (int64_t)mt;
	return t < 0 ? -1 : t > INT32_MAX ? INT32_MAX : (int)t;
}

static void *worker_main(void *arg)
{
	struct srv_tls_worker *w = arg;
	struct epoll_event ev[EVENTS_MAX];
	int64_t deadline = -1;

	for (;;) {
		int n = epoll_wait(w->ep, ev, EVENTS_MAX, wait_ms(w, deadline, now_ms()));
		bool timed_out = n == 0;

		for (int i = 0; i < n; i++) {
			struct tag *t = ev[i].data.ptr;

			if (t->kind == TAG_WAKE)
				return NULL;
			if (t->kind == TAG_LISTEN)
				accept_conn(w);
			else if (t->kind == TAG_MHD)
				w->mhd_due = true;
			else if (t->c->dead)
				continue;
			else if (t->kind == TAG_TCP && (ev[i].events & (EPOLLERR | EPOLLHUP)))
				conn_close(w, t->c); /* the client is gone: nothing to deliver */
			else if (!pump(w, t->c))
				conn_close(w, t->c);
		}
		deadline = expire(w, now_ms());
		if (w->mhd_due || timed_out)
			run_daemon(w);
		free_dead(w);
	}
}

ferry_err srv_tls_worker_start(struct srv_tls_worker **out, int lfd, SSL_CTX *ctx,
			       struct MHD_Daemon *mhd, unsigned conn_limit, unsigned timeout_s)
{
	struct srv_tls_worker *w = ferry_calloc(1, sizeof(*w));
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(mhd, MHD_DAEMON_INFO_EPOLL_FD);
	ferry_err rc = FERRY_OK;

	*out = NULL;
	if (!w) {
		close(lfd);
		return ferry_error_set(FERRY_ENOMEM, "TLS worker");
	}
	w->lfd = lfd;
	w->ctx = ctx;
	w->mhd = mhd;
	w->limit = conn_limit;
	w->timeout_ms = (int64_t)timeout_s * 1000;
	w->t_listen.kind = TAG_LISTEN;
	w->t_wake.kind = TAG_WAKE;
	w->t_mhd.kind = TAG_MHD;
	w->ep = epoll_create1(EPOLL_CLOEXEC);
	w->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w->ep < 0 || w->wake < 0 || !di || fcntl_nonblock(lfd) ||
	    ep_add(w, lfd, EPOLLIN, &w->t_listen) || ep_add(w, w->wake, EPOLLIN, &w->t_wake) ||
	    ep_add(w, di->epoll_fd, EPOLLIN, &w->t_mhd)) {
		rc = ferry_error_set(FERRY_ESYSTEM, "TLS worker: epoll: %s", strerror(errno));
	} else if ((errno = pthread_create(&w->tid, NULL, worker_main, w)) != 0) {
		rc = ferry_error_set(FERRY_ESYSTEM, "TLS worker: thread: %s", strerror(errno));
	} else {
		w->started = true;
		*out = w;
		return FERRY_OK;
	}
	srv_tls_worker_stop(w);
	return rc;
}

void srv_tls_worker_stop(struct srv_tls_worker *w)
{
	if (!w)
		return;
	if (w->started) {
		uint64_t one = 1;

		while (write(w->wake, &one, sizeof(one)) < 0 && errno == EINTR)
			;
		pthread_join(w->tid, NULL);
	}
	while (w->head)
		conn_close(w, w->head);
	free_dead(w);
	if (w->ep >= 0)
		close(w->ep);
	if (w->wake >= 0)
		close(w->wake);
	close(w->lfd);
	ferry_free(w);
}
