/*
 * ferry-bench-poll: simulated agents polling an HTTPS server the way real
 * agents do: a new TCP connection per poll, GET with If-None-Match, read
 * the reply, close. Each poll a full TLS handshake, or with --resume each
 * agent resumes its own last session (as an agent's libcurl share does,
 * docs/net.md). For scripts/bench-server; not part of any product.
 *
 *   ferry-bench-poll --port P --seconds S --threads T [--rate R]
 *                    [--resume [--prime]] --agents FILE [--path PATH --etag ETAG]
 *
 * FILE: one line per agent, "ID TOKEN ETAG". Each poll picks a random
 * agent; with --path every poll asks that path with that ETag (a static
 * server) but still as that agent, with its session. --rate limits the
 * total polls per second (0 = as fast as possible). --prime: first one
 * poll per agent (each gets a session), then "primed" on stdout and the
 * run waits for a line on stdin, so the caller starts its CPU clock on
 * the steady state of a fleet that holds sessions. Prints one JSON line:
 * polls, resumed, statuses, errors, seconds, polls_per_s, p50_ms, p99_ms.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_common.h"

static int port;
static double seconds, rate;
static bool resume, prime;
static atomic_ulong next_prime;
static const char *fixed_path, *fixed_etag;
static SSL_CTX *ctx;
static atomic_ulong started;
static atomic_ulong n304, n200, nother, nerr, nresumed;

/* One poll as a random agent; returns the HTTP status or -1. */
static int poll_once(unsigned *seed, bool *resumed)
{
	char req[512];
	struct bench_agent *a = &bench_agents[(size_t)rand_r(seed) % bench_n_agents];
	int n;

	if (fixed_path)
		n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
			     "If-None-Match: %s\r\nConnection: close\r\n\r\n", fixed_path, fixed_etag);
	else
		n = snprintf(req, sizeof(req), "GET /v1/agents/%s/assignment HTTP/1.1\r\n"
			     "Host: 127.0.0.1\r\nAuthorization: Bearer %s\r\nIf-None-Match: %s\r\n"
			     "Connection: close\r\n\r\n", a->id, a->token, a->etag);
	return bench_exchange(ctx, port, req, n, resume ? a : NULL, resumed);
}

/* One poll per agent, the threads sharing the list; failures show in the run after. */
static void *primer(void *arg)
{
	char req[512];
	unsigned long i;
	bool resumed;

	(void)arg;
	while ((i = atomic_fetch_add(&next_prime, 1)) < bench_n_agents) {
		struct bench_agent *a = &bench_agents[i];
		int n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
				 "Connection: close\r\n\r\n", fixed_path ? fixed_path : "/v1/health");

		(void)bench_exchange(ctx, port, req, n, a, &resumed);
	}
	return NULL;
}

static void *worker(void *arg)
{
	struct bench_lat *o = arg;
	unsigned seed = (unsigned)(uintptr_t)arg ^ (unsigned)time(NULL);
	double t0 = bench_now_s(), end = t0 + seconds;

	while (bench_now_s() < end) {
		double a, b;
		bool resumed;
		int st;

		if (rate > 0) {
			/* the k-th poll of the run starts at t0 + k/rate */
			unsigned long k = atomic_fetch_add(&started, 1);
			double due = t0 + (double)k / rate, w = due - bench_now_s();

			if (due >= end)
				break;
			if (w > 0)
				usleep((useconds_t)(w * 1e6));
		}
		a = bench_now_s();
		st = poll_once(&seed, &resumed);
		b = bench_now_s();
		if (resumed)
			atomic_fetch_add(&nresumed, 1);
		if (st == 304)
			atomic_fetch_add(&n304, 1);
		else if (st == 200)
			atomic_fetch_add(&n200, 1);
		else if (st > 0)
			atomic_fetch_add(&nother, 1);
		else
			atomic_fetch_add(&nerr, 1);
		bench_lat_add(o, (b - a) * 1e3);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int threads = 4;
	pthread_t tid[256];
	struct bench_lat outs[256] = { 0 }, *lists[256];
	double t0, t1, p50, p99;
	size_t total = 0;

	for (int i = 1; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(argv[i], "--resume"))
			resume = true;
		else if (!strcmp(argv[i], "--prime"))
			prime = true;
		else if (!v)
			break;
		else if (!strcmp(argv[i], "--port"))
			port = atoi(v), i++;
		else if (!strcmp(argv[i], "--seconds"))
			seconds = atof(v), i++;
		else if (!strcmp(argv[i], "--threads"))
			threads = atoi(v), i++;
		else if (!strcmp(argv[i], "--rate"))
			rate = atof(v), i++;
		else if (!strcmp(argv[i], "--agents"))
			bench_load_agents(v), i++;
		else if (!strcmp(argv[i], "--path"))
			fixed_path = v, i++;
		else if (!strcmp(argv[i], "--etag"))
			fixed_etag = v, i++;
	}
	if (!port || seconds <= 0 || threads < 1 || threads > 256 || !bench_n_agents ||
	    (fixed_path && !fixed_etag) || (prime && !resume)) {
		fprintf(stderr, "usage: ferry-bench-poll --port P --seconds S --threads T [--rate R] "
			"[--resume [--prime]] --agents FILE [--path PATH --etag ETAG]\n");
		return 64;
	}
	ctx = bench_client_ctx(resume);
	if (prime) {
		char line[8];

		for (int i = 0; i < threads; i++)
			pthread_create(&tid[i], NULL, primer, NULL);
		for (int i = 0; i < threads; i++)
			pthread_join(tid[i], NULL);
		printf("primed\n");
		fflush(stdout);
		if (!fgets(line, sizeof(line), stdin))
			return 64;
	}
	t0 = bench_now_s();
	for (int i = 0; i < threads; i++)
		pthread_create(&tid[i], NULL, worker, &outs[i]);
	for (int i = 0; i < threads; i++)
		pthread_join(tid[i], NULL);
	t1 = bench_now_s();
	for (int i = 0; i < threads; i++) {
		total += outs[i].n;
		lists[i] = &outs[i];
	}
	bench_lat_pct(lists, threads, &p50, &p99);
	printf("{\"polls\": %zu, \"resumed\": %lu, \"s304\": %lu, \"s200\": %lu, \"other\": %lu, "
	       "\"errors\": %lu, \"seconds\": %.3f, \"polls_per_s\": %.1f, \"p50_ms\": %.2f, "
	       "\"p99_ms\": %.2f}\n",
	       total, atomic_load(&nresumed), atomic_load(&n304), atomic_load(&n200),
	       atomic_load(&nother), atomic_load(&nerr), t1 - t0, (double)total / (t1 - t0), p50,
	       p99);
	for (int i = 0; i < threads; i++)
		free(outs[i].v);
	bench_agents_free();
	SSL_CTX_free(ctx);
	return 0;
}
