/*
 * ferry-bench-agents: a fleet's mixed traffic for scripts/bench-scale: each
 * request a new TCP connection and a full TLS handshake (no resumption), as
 * real agents make them; requests go round-robin over one or several server
 * nodes. Request k is agent k mod N's turn; every --report-every'th request
 * is a status report (POST /v1/agents/{id}/status, seq = --seq-base + k, so
 * each agent's sequence rises), the others are polls (GET assignment with
 * If-None-Match). Not part of any product.
 *
 *   ferry-bench-agents --ports P[,P...] --seconds S --threads T [--rate R]
 *                      --agents FILE [--report-every N] [--seq-base K]
 *
 * FILE: one line per agent, "ID TOKEN ETAG". --rate limits the requests per
 * second (0: as fast as possible). Prints one JSON line: counts by kind and
 * outcome, seconds, rates, p50/p99 per kind.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/ssl.h>

#define PORTS_MAX 8

struct agent {
	char id[40], token[80], etag[80];
};

struct lat {
	double *v;
	size_t n, cap;
};

struct thread_out {
	struct lat poll, report;
};

static struct agent *agents;
static size_t n_agents;
static int ports[PORTS_MAX], n_ports;
static double seconds, rate;
static unsigned long report_every = 4, seq_base = 1;
static SSL_CTX *ctx;
static atomic_ulong next_k;
static atomic_ulong polls_ok, reports_ok, bad_status, errors;

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Send req over a new TLS connection to port; the HTTP status or -1. */
static int exchange(int port, const char *req, int n)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1, status = -1, len = 0, r;
	char buf[4096];
	SSL *ssl = NULL;

	if (fd < 0)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		goto out;
	ssl = SSL_new(ctx);
	SSL_set_fd(ssl, fd);
	if (SSL_connect(ssl) != 1 || SSL_write(ssl, req, n) != n)
		goto out;
	while ((r = SSL_read(ssl, buf + len, (int)sizeof(buf) - 1 - len)) > 0) {
		len += r;
		if (status < 0 && len >= 12 && !strncmp(buf, "HTTP/1.1 ", 9))
			status = atoi(buf + 9);
		if (len >= (int)sizeof(buf) - 1)
			len = 0; /* the status line is all that matters; read to the end */
	}
out:
	if (ssl) {
		SSL_shutdown(ssl);
		SSL_free(ssl);
	}
	close(fd);
	return status;
}

/* Request k: a poll or a status report (*report), its HTTP status. */
static int request(unsigned long k, bool *report)
{
	const struct agent *a = &agents[k % n_agents];
	int port = ports[k % (unsigned long)n_ports], n;
	char req[1536], body[640];

	*report = report_every && k % report_every == report_every - 1;
	if (!*report) {
		n = snprintf(req, sizeof(req), "GET /v1/agents/%s/assignment HTTP/1.1\r\n"
			     "Host: 127.0.0.1\r\nAuthorization: Bearer %s\r\nIf-None-Match: %s\r\n"
			     "Connection: close\r\n\r\n", a->id, a->token, a->etag);
		return exchange(port, req, n);
	}
	/* a report the size of a real one (docs/protocol.md) */
	n = snprintf(body, sizeof(body),
		     "{\"seq\": %lu, \"phase\": \"available\", \"runbook\": \"migration\", "
		     "\"step\": \"wait_window\", \"attempt\": 1, \"join_state\": \"domain\", "
		     "\"cached_users\": [\"TARGET\\\\user%lu\"], \"reacl\": {\"files\": 0, "
		     "\"keys\": 0, \"errors\": 0}, \"free_disk_mb\": 40960, \"heartbeat\": true}",
		     seq_base + k, k % n_agents);
	n = snprintf(req, sizeof(req), "POST /v1/agents/%s/status HTTP/1.1\r\nHost: 127.0.0.1\r\n"
		     "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
		     "Content-Length: %d\r\nConnection: close\r\n\r\n%s", a->id, a->token, n, body);
	return exchange(port, req, n);
}

static void add(struct lat *l, double ms)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 4096;
		l->v = realloc(l->v, l->cap * sizeof(double));
		if (!l->v)
			abort();
	}
	l->v[l->n++] = ms;
}

static void *worker(void *arg)
{
	struct thread_out *o = arg;
	double t0 = now_s(), end = t0 + seconds;

	while (now_s() < end) {
		unsigned long k = atomic_fetch_add(&next_k, 1);
		double a, b;
		bool report;
		int st;

		if (rate > 0) {
			double due = t0 + (double)k / rate, w = due - now_s();

			if (due >= end)
				break;
			if (w > 0)
				usleep((useconds_t)(w * 1e6));
		}
		a = now_s();
		st = request(k, &report);
		b = now_s();
		if (st < 0)
			atomic_fetch_add(&errors, 1);
		else if ((report && st == 200) || (!report && (st == 304 || st == 200)))
			atomic_fetch_add(report ? &reports_ok : &polls_ok, 1);
		else
			atomic_fetch_add(&bad_status, 1);
		add(report ? &o->report : &o->poll, (b - a) * 1e3);
	}
	return NULL;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Merge the threads' latencies of one kind; p50 and p99 of them. */
static void pct(struct thread_out *outs, int threads, bool report, double *p50, double *p99)
{
	size_t total = 0, k = 0;
	double *all;

	for (int i = 0; i < threads; i++)
		total += report ? outs[i].report.n : outs[i].poll.n;
	all = malloc((total ? total : 1) * sizeof(double));
	if (!all)
		abort();
	for (int i = 0; i < threads; i++) {
		struct lat *l = report ? &outs[i].report : &outs[i].poll;

		if (l->n)
			memcpy(all + k, l->v, l->n * sizeof(double));
		k += l->n;
	}
	qsort(all, total, sizeof(double), cmp);
	*p50 = total ? all[total / 2] : 0.0;
	*p99 = total ? all[(size_t)((double)total * 0.99)] : 0.0;
	free(all);
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
			if (!agents)
				abort();
		}
		agents[n_agents++] = a;
	}
	fclose(f);
}

int main(int argc, char **argv)
{
	int threads = 4;
	pthread_t tid[256];
	struct thread_out outs[256] = { 0 };
	double t0, t1, pp50, pp99, rp50, rp99;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--ports"))
			for (char *p = strtok(argv[i + 1], ","); p && n_ports < PORTS_MAX;
			     p = strtok(NULL, ","))
				ports[n_ports++] = atoi(p);
		else if (!strcmp(argv[i], "--seconds"))
			seconds = atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--threads"))
			threads = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--rate"))
			rate = atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--agents"))
			load_agents(argv[i + 1]);
		else if (!strcmp(argv[i], "--report-every"))
			report_every = strtoul(argv[i + 1], NULL, 10);
		else if (!strcmp(argv[i], "--seq-base"))
			seq_base = strtoul(argv[i + 1], NULL, 10);
	}
	if (!n_ports || seconds <= 0 || threads < 1 || threads > 256 || !n_agents) {
		fprintf(stderr, "usage: ferry-bench-agents --ports P[,P...] --seconds S --threads T "
			"[--rate R] --agents FILE [--report-every N] [--seq-base K]\n");
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
	pct(outs, threads, false, &pp50, &pp99);
	pct(outs, threads, true, &rp50, &rp99);
	printf("{\"polls\": %lu, \"reports\": %lu, \"bad_status\": %lu, \"errors\": %lu, "
	       "\"seconds\": %.3f, \"polls_per_s\": %.1f, \"reports_per_s\": %.1f, "
	       "\"poll_p50_ms\": %.2f, \"poll_p99_ms\": %.2f, \"report_p50_ms\": %.2f, "
	       "\"report_p99_ms\": %.2f, \"next_seq\": %lu}\n",
	       atomic_load(&polls_ok), atomic_load(&reports_ok), atomic_load(&bad_status),
	       atomic_load(&errors), t1 - t0, (double)atomic_load(&polls_ok) / (t1 - t0),
	       (double)atomic_load(&reports_ok) / (t1 - t0), pp50, pp99, rp50, rp99,
	       seq_base + atomic_load(&next_k) + 1);
	for (int i = 0; i < threads; i++) {
		free(outs[i].poll.v);
		free(outs[i].report.v);
	}
	free(agents);
	SSL_CTX_free(ctx);
	return 0;
}
