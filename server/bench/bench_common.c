/* The load generators' shared half: see bench_common.h. */
#define _GNU_SOURCE
#include "bench_common.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>

#define STRIPES 64

struct bench_agent *bench_agents;
size_t bench_n_agents;

/* Two threads may draw the same agent: its session slot is swapped under
 * the stripe lock of its index. */
static pthread_mutex_t stripe[STRIPES];
static pthread_once_t stripe_once = PTHREAD_ONCE_INIT;

static int ex_agent = -1;

static void stripe_init(void)
{
	for (int i = 0; i < STRIPES; i++)
		pthread_mutex_init(&stripe[i], NULL);
	ex_agent = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
}

static int on_new_session(SSL *ssl, SSL_SESSION *s);

double bench_now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

void bench_load_agents(const char *path)
{
	FILE *f = fopen(path, "r");
	size_t cap = 0;
	struct bench_agent a = { 0 };

	if (!f) {
		perror(path);
		exit(1);
	}
	while (fscanf(f, "%39s %79s %79s", a.id, a.token, a.etag) == 3) {
		if (bench_n_agents == cap) {
			cap = cap ? cap * 2 : 1024;
			bench_agents = realloc(bench_agents, cap * sizeof(*bench_agents));
			if (!bench_agents)
				abort();
		}
		bench_agents[bench_n_agents++] = a;
	}
	fclose(f);
	if (!bench_n_agents) {
		fprintf(stderr, "%s: no agents\n", path);
		exit(1);
	}
}

void bench_agents_free(void)
{
	for (size_t i = 0; i < bench_n_agents; i++)
		SSL_SESSION_free(bench_agents[i].sess);
	free(bench_agents);
	bench_agents = NULL;
	bench_n_agents = 0;
}

SSL_CTX *bench_client_ctx(bool resume)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (!ctx)
		abort();
	pthread_once(&stripe_once, stripe_init);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL); /* loopback benchmark: no pinning work */
	/* Sessions live in each agent's slot, not in OpenSSL's cache. */
	SSL_CTX_set_session_cache_mode(ctx, resume ? SSL_SESS_CACHE_CLIENT |
							     SSL_SESS_CACHE_NO_INTERNAL_STORE
						   : SSL_SESS_CACHE_OFF);
	if (resume)
		SSL_CTX_sess_set_new_cb(ctx, on_new_session);
	else
		SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	return ctx;
}

static SSL_SESSION *session_take(struct bench_agent *a)
{
	pthread_mutex_t *m = &stripe[(size_t)(a - bench_agents) % STRIPES];
	SSL_SESSION *s;

	/* A copy: a TLS 1.3 handshake writes its own resumption secret into the
	 * session it resumed, which would then no longer match the ticket. */
	pthread_mutex_lock(m);
	s = a->sess ? SSL_SESSION_dup(a->sess) : NULL;
	pthread_mutex_unlock(m);
	return s;
}

/* A ticket arrived (TLS 1.3: after the handshake; none after a resumption
 * the server did not renew): it becomes the agent's session, as libcurl's
 * session cache does. Returning 1 keeps the reference. */
static int on_new_session(SSL *ssl, SSL_SESSION *s)
{
	struct bench_agent *a = SSL_get_ex_data(ssl, ex_agent);
	pthread_mutex_t *m;
	SSL_SESSION *old;

	if (!a)
		return 0;
	m = &stripe[(size_t)(a - bench_agents) % STRIPES];
	pthread_mutex_lock(m);
	old = a->sess;
	a->sess = s;
	pthread_mutex_unlock(m);
	SSL_SESSION_free(old);
	return 1;
}

int bench_exchange(SSL_CTX *ctx, int port, const char *req, int n, struct bench_agent *a,
		   bool *resumed)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1, status = -1, len = 0, r;
	char buf[4096];
	SSL *ssl = NULL;
	SSL_SESSION *offer = a ? session_take(a) : NULL;

	*resumed = false;
	if (fd < 0)
		goto out;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		goto out;
	ssl = SSL_new(ctx);
	if (!ssl || SSL_set_fd(ssl, fd) != 1)
		goto out;
	SSL_set_tlsext_host_name(ssl, "127.0.0.1");
	if (a && SSL_set_ex_data(ssl, ex_agent, a) != 1)
		goto out;
	if (offer)
		SSL_set_session(ssl, offer);
	if (SSL_connect(ssl) != 1 || SSL_write(ssl, req, n) != n)
		goto out;
	while ((r = SSL_read(ssl, buf + len, (int)sizeof(buf) - 1 - len)) > 0) {
		len += r;
		if (status < 0 && len >= 12 && !strncmp(buf, "HTTP/1.1 ", 9))
			status = atoi(buf + 9);
		if (len >= (int)sizeof(buf) - 1)
			len = 0; /* the status line is all that matters; read to the end */
	}
	*resumed = SSL_session_reused(ssl) == 1;
out:
	if (ssl) {
		SSL_shutdown(ssl);
		SSL_free(ssl);
	}
	ERR_clear_error();
	SSL_SESSION_free(offer);
	if (fd >= 0)
		close(fd);
	return status;
}

void bench_lat_add(struct bench_lat *l, double ms)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 4096;
		l->v = realloc(l->v, l->cap * sizeof(double));
		if (!l->v)
			abort();
	}
	l->v[l->n++] = ms;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

void bench_lat_pct(struct bench_lat *const *lists, int n, double *p50, double *p99)
{
	size_t total = 0, k = 0;
	double *all;

	for (int i = 0; i < n; i++)
		total += lists[i]->n;
	all = malloc((total ? total : 1) * sizeof(double));
	if (!all)
		abort();
	for (int i = 0; i < n; i++) {
		if (lists[i]->n)
			memcpy(all + k, lists[i]->v, lists[i]->n * sizeof(double));
		k += lists[i]->n;
	}
	qsort(all, total, sizeof(double), cmp);
	*p50 = total ? all[total / 2] : 0.0;
	*p99 = total ? all[(size_t)((double)total * 0.99)] : 0.0;
	free(all);
}
