/*
 * ferry-bench-poll: simulated agents polling an HTTPS server the way real
 * agents do: a new TCP connection and a full TLS handshake per poll (no
 * session resumption), GET with If-None-Match, read the reply, close.
 * For scripts/bench-server; not part of any product.
 *
 *   ferry-bench-poll --port P --seconds S --threads T [--rate R]
 *                    (--agents FILE | --path PATH --etag ETAG)
 *
 * FILE: one line per agent, "ID TOKEN ETAG". Each poll picks a random
 * line. --rate limits the total polls per second (0 = as fast as possible).
 * Prints one JSON line: polls, errors, statuses, seconds, polls_per_s,
 * p50_ms, p99_ms.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

struct agent {
	char id[40], token[80], etag[80];
};

static struct agent *agents;
static size_t n_agents;
static int port;
static double seconds, rate;
static const char *fixed_path, *fixed_etag;
static SSL_CTX *ctx;
static atomic_ulong started;
static atomic_ulong n304, n200, nother, nerr;

struct thread_out {
	double *lat;
	size_t n, cap;
};

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* One poll; returns the HTTP status or -1. */
static int poll_once(unsigned *seed)
{
	char req[512], buf[4096];
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1, status = -1, n, len = 0;
	SSL *ssl = NULL;

	if (fd < 0)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		goto out;
	ssl = SSL_new(ctx);
	SSL_set_fd(ssl, fd);
	SSL_set_tlsext_host_name(ssl, "127.0.0.1");
	if (SSL_connect(ssl) != 1)
		goto out;
	if (fixed_path) {
		n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
			     "If-None-Match: %s\r\nConnection: close\r\n\r\n", fixed_path, fixed_etag);
	} else {
		const struct agent *a = &agents[(size_t)rand_r(seed) % n_agents];

		n = snprintf(req, sizeof(req), "GET /v1/agents/%s/assignment HTTP/1.1\r\n"
			     "Host: 127.0.0.1\r\nAuthorization: Bearer %s\r\nIf-None-Match: %s\r\n"
			     "Connection: close\r\n\r\n", a->id, a->token, a->etag);
	}
	if (SSL_write(ssl, req, n) != n)
		goto out;
	while ((n = SSL_read(ssl, buf + len, (int)sizeof(buf) - 1 - len)) > 0) {
		len += n;
		if (len >= (int)sizeof(buf) - 1)
			len = 0; /* only the status line matters; keep reading to the end */
		if (status < 0 && len >= 12 && !strncmp(buf, "HTTP/1.1 ", 9))
			status = atoi(buf + 9);
	}
	if (status < 0 && len >= 12 && !strncmp(buf, "HTTP/1.1 ", 9))
		status = atoi(buf + 9);
out:
	if (ssl) {
		SSL_shutdown(ssl);
		SSL_free(ssl);
	}
	close(fd);
	return status;
}

static void *worker(void *arg)
{
	struct thread_out *o = arg;
	unsigned seed = (unsigned)(uintptr_t)arg ^ (unsigned)time(NULL);
	double t0 = now_s(), end = t0 + seconds;

	while (now_s() < end) {
		double a, b;
		int st;

		if (rate > 0) {
			/* the k-th poll of the run starts at t0 + k/rate */
			unsigned long k = atomic_fetch_add(&started, 1);
			double due = t0 + (double)k / rate, w = due - now_s();

			if (due >= end)
				break;
			if (w > 0)
				usleep((useconds_t)(w * 1e6));
		}
		a = now_s();
		st = poll_once(&seed);
		b = now_s();
		if (st == 304)
			atomic_fetch_add(&n304, 1);
		else if (st == 200)
			atomic_fetch_add(&n200, 1);
		else if (st > 0)
			atomic_fetch_add(&nother, 1);
		else
			atomic_fetch_add(&nerr, 1);
		if (o->n == o->cap) {
			o->cap = o->cap ? o->cap * 2 : 4096;
			o->lat = realloc(o->lat, o->cap * sizeof(double));
		}
		o->lat[o->n++] = (b - a) * 1e3;
	}
	return NULL;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void load_agents(const char *path)
{
	FILE *f = fopen(path, "r");
	size_t cap = 0;
	struct agent a;

	if (!f) {
		perror(path);
		exit(1);
	}
	while (fscanf(f, "%39s %79s %79s", a.id, a.token, a.etag) == 3) {
		if (n_agents == cap) {
			cap = cap ? cap * 2 : 1024;
			agents = realloc(agents, cap * sizeof(*agents));
		}
		agents[n_agents++] = a;
	}
	fclose(f);
	if (!n_agents) {
		fprintf(stderr, "%s: no agents\n", path);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	int threads = 4;
	pthread_t tid[256];
	struct thread_out outs[256] = { 0 };
	double t0, t1, *all;
	size_t total = 0, k = 0;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--port"))
			port = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--seconds"))
			seconds = atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--threads"))
			threads = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--rate"))
			rate = atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--agents"))
			load_agents(argv[i + 1]);
		else if (!strcmp(argv[i], "--path"))
			fixed_path = argv[i + 1];
		else if (!strcmp(argv[i], "--etag"))
			fixed_etag = argv[i + 1];
	}
	if (!port || seconds <= 0 || threads < 1 || threads > 256 || (!n_agents && !fixed_path)) {
		fprintf(stderr, "usage: ferry-bench-poll --port P --seconds S --threads T [--rate R] "
			"(--agents FILE | --path PATH --etag ETAG)\n");
		return 64;
	}
	ctx = SSL_CTX_new(TLS_client_method());
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL); /* loopback benchmark: no pinning work */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	t0 = now_s();
	for (int i = 0; i < threads; i++)
		pthread_create(&tid[i], NULL, worker, &outs[i]);
	for (int i = 0; i < threads; i++)
		pthread_join(tid[i], NULL);
	t1 = now_s();
	for (int i = 0; i < threads; i++)
		total += outs[i].n;
	all = malloc((total ? total : 1) * sizeof(double));
	for (int i = 0; i < threads; i++) {
		memcpy(all + k, outs[i].lat, outs[i].n * sizeof(double));
		k += outs[i].n;
		free(outs[i].lat);
	}
	qsort(all, total, sizeof(double), cmp);
	printf("{\"polls\": %zu, \"s304\": %lu, \"s200\": %lu, \"other\": %lu, \"errors\": %lu, "
	       "\"seconds\": %.3f, \"polls_per_s\": %.1f, \"p50_ms\": %.2f, \"p99_ms\": %.2f}\n",
	       total, atomic_load(&n304), atomic_load(&n200), atomic_load(&nother),
	       atomic_load(&nerr), t1 - t0, (double)total / (t1 - t0),
	       total ? all[total / 2] : 0.0, total ? all[(size_t)((double)total * 0.99)] : 0.0);
	free(all);
	free(agents);
	SSL_CTX_free(ctx);
	return 0;
}
