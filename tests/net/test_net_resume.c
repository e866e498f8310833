/*
 * core/net/client: requests of one process resume the TLS session of the
 * previous one (the share handle of net_global_init), and the pin still
 * holds. The peer is an OpenSSL server on loopback in a thread of this test,
 * with OpenSSL's own stateless tickets (TLS 1.3), a self-signed P-256
 * certificate for IP 127.0.0.1 made here and trusted through ca_file; it
 * records for each connection whether the handshake resumed. Native only
 * (the Windows build uses the same libcurl and OpenSSL versions, built from
 * Debian's sources by scripts/deps-mingw).
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "net/client.h"
#include "util/base64.h"
#include "util/mem.h"

#define CONNS_MAX 8

struct peer {
	SSL_CTX *ctx;
	int lfd, port, expect;
	int reused[CONNS_MAX], served;
	char ca_path[64], pin[NET_PIN_CURL_MAX];
	pthread_t tid;
};

/* A self-signed P-256 certificate for IP 127.0.0.1; its pin in curl's form. */
static void make_identity(struct peer *p)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509V3_CTX v3;
	X509_EXTENSION *san;
	unsigned char *der = NULL, md[32];
	char *b64 = NULL;
	int n;
	FILE *f;

	assert_non_null(k);
	assert_non_null(x);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, k);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
				   (const unsigned char *)"127.0.0.1", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	san = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, "IP:127.0.0.1");
	assert_non_null(san);
	X509_add_ext(x, san, -1);
	X509_EXTENSION_free(san);
	assert_true(X509_sign(x, k, EVP_sha256()) > 0);
	assert_int_equal(SSL_CTX_use_certificate(p->ctx, x), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey(p->ctx, k), 1);
	snprintf(p->ca_path, sizeof(p->ca_path), "/tmp/ferry-resume-%d.pem", (int)getpid());
	f = fopen(p->ca_path, "w");
	assert_non_null(f);
	assert_int_equal(PEM_write_X509(f, x), 1);
	fclose(f);
	n = i2d_PUBKEY(k, &der);
	assert_true(n > 0);
	assert_int_equal(EVP_Digest(der, (size_t)n, md, NULL, EVP_sha256(), NULL), 1);
	assert_int_equal(ferry_base64_encode(&b64, md, sizeof(md)), FERRY_OK);
	snprintf(p->pin, sizeof(p->pin), "sha256//%s", b64);
	ferry_free(b64);
	OPENSSL_free(der);
	X509_free(x);
	EVP_PKEY_free(k);
}

/* Serve p->expect connections: handshake, read the request, answer, close. */
static void *serve(void *arg)
{
	struct peer *p = arg;

	for (int i = 0; i < p->expect; i++) {
		int fd = accept(p->lfd, NULL, NULL);
		SSL *ssl = fd < 0 ? NULL : SSL_new(p->ctx);
		char buf[4096];
		static const char reply[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
					    "Connection: close\r\n\r\nok";

		if (ssl && SSL_set_fd(ssl, fd) == 1 && SSL_accept(ssl) == 1) {
			p->reused[i] = SSL_session_reused(ssl);
			/* curl sends the whole request in one go: its headers end it */
			for (int len = 0, r; len < (int)sizeof(buf) - 1 &&
					     (r = SSL_read(ssl, buf + len, (int)sizeof(buf) - 1 - len)) > 0;) {
				len += r;
				buf[len] = '\0';
				if (strstr(buf, "\r\n\r\n"))
					break;
			}
			SSL_write(ssl, reply, (int)sizeof(reply) - 1);
			SSL_shutdown(ssl);
		} else {
			p->reused[i] = -1; /* the client refused the handshake */
		}
		SSL_free(ssl);
		if (fd >= 0)
			close(fd);
		p->served++;
	}
	return NULL;
}

static void peer_start(struct peer *p, int expect)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);

	memset(p, 0, sizeof(*p));
	p->ctx = SSL_CTX_new(TLS_server_method());
	assert_non_null(p->ctx);
	SSL_CTX_set_min_proto_version(p->ctx, TLS1_3_VERSION);
	make_identity(p);
	p->expect = expect;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	p->lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(p->lfd >= 0);
	assert_int_equal(bind(p->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(p->lfd, 8), 0);
	assert_int_equal(getsockname(p->lfd, (struct sockaddr *)&sa, &sl), 0);
	p->port = ntohs(sa.sin_port);
	assert_int_equal(pthread_create(&p->tid, NULL, serve, p), 0);
}

static void peer_stop(struct peer *p)
{
	pthread_join(p->tid, NULL);
	close(p->lfd);
	unlink(p->ca_path);
	SSL_CTX_free(p->ctx);
}

static ferry_err get(const struct peer *p, const char *pin, long *status)
{
	struct net_config c;
	struct net_reply r;
	char url[64];
	ferry_err rc;

	net_config_defaults(&c);
	snprintf(url, sizeof(url), "https://127.0.0.1:%d", p->port);
	c.server = url;
	c.pin = pin;
	c.ca_file = p->ca_path;
	rc = net_http(&r, &c, "GET", "/v1/health", NULL, NULL, 0, NULL);
	*status = r.status;
	net_reply_free(&r);
	return rc;
}

static void test_net_resume__second_request_resumes(void **state)
{
	struct peer p;
	long st = 0;

	(void)state;
	peer_start(&p, 3);
	for (int i = 0; i < 3; i++) {
		if (get(&p, p.pin, &st) != FERRY_OK)
			fail_msg("request %d: %s", i + 1, ferry_error_detail());
		assert_int_equal(st, 200);
	}
	peer_stop(&p);
	assert_int_equal(p.reused[0], 0); /* the first is a full, pinned handshake */
	assert_int_equal(p.reused[1], 1);
	assert_int_equal(p.reused[2], 1); /* the kept session is still good after a resumption */
}

/* A session cached for this server does not let a request with another pin through. */
static void test_net_resume__wrong_pin_refused_after_resumption(void **state)
{
	static const char wrong[] = "sha256//ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=";
	struct peer p;
	long st = 0;

	(void)state;
	peer_start(&p, 3);
	assert_int_equal(get(&p, p.pin, &st), FERRY_OK);
	assert_int_equal(get(&p, p.pin, &st), FERRY_OK);
	assert_int_equal(p.reused[1], 1);
	assert_int_equal(get(&p, wrong, &st), FERRY_EAUTH);
	peer_stop(&p);
	assert_int_equal(p.served, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_net_resume__second_request_resumes),
		cmocka_unit_test(test_net_resume__wrong_pin_refused_after_resumption),
	};

	signal(SIGPIPE, SIG_IGN); /* the peer writes to a client that refused it */
	if (net_global_init() != FERRY_OK)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
