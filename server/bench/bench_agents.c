/*
 * ferry-bench-agents: a fleet's mixed traffic for scripts/bench-scale: each
 * request a new TCP connection, as real agents make them (a full TLS
 * handshake each, or with --resume each agent resuming its own session);
 * requests go round-robin over one or several server
 * nodes. Request k is agent k mod N's turn; every --report-every'th request
 * is a status report (POST /v1/agents/{id}/status, seq = --seq-base + k, so
 * each agent's sequence rises), the others are polls (GET assignment with
 * If-None-Match). Not part of any product.
 *
 *   ferry-bench-agents --ports P[,P...] --seconds S --threads T [--rate R]
 *                      [--resume] --agents FILE [--report-every N] [--seq-base K]
 *
 * FILE: one line per agent, "ID TOKEN ETAG". --rate limits the requests per
 * second (0: as fast as possible). Prints one JSON line: counts by kind and
 * outcome, seconds, rates, p50/p99 per kind.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_common.h"

#define PORTS_MAX 8

struct thread_out {
	struct bench_lat poll, report;
};

static int ports[PORTS_MAX], n_ports;
static double seconds, rate;
static bool resume;
static unsigned long report_every = 4, seq_base = 1;
static SSL_CTX *ctx;
static atomic_ulong next_k;
static atomic_ulong polls_ok, reports_ok, bad_status, errors, resumed_n;

/* Request k: a poll or a status report (*report), its HTTP status. */
static int request(unsigned long k, bool *report, bool *resumed)
{
	struct bench_agent *a = &bench_agents[k % bench_n_agents];
	int port = ports[k % (unsigned long)n_ports], n;
	char req[1536], body[640];

	*report = report_every && k % report_every == report_every - 1;
	if (!*report) {
		n = snprintf(req, sizeof(req), "GET /v1/agents/%s/assignment HTTP/1.1\r\n"
			     "Host: 127.0.0.1\r\nAuthorization: Bearer %s\r\nIf-None-Match: %s\r\n"
			     "Connection: close\r\n\r\n", a->id, a->token, a->etag);
		return bench_exchange(ctx, port, req, n, resume ? a : NULL, resumed);
	}
	/* a report the size of a real one (docs/protocol.md) */
	n = snprintf(body, sizeof(body),
		     "{\"seq\": %lu, \"phase\": \"available\", \"runbook\": \"migration\", "
		     "\"step\": \"wait_window\", \"attempt\": 1, \"join_state\": \"domain\", "
		     "\"cached_users\": [\"TARGET\\\\user%lu\"], \"reacl\": {\"files\": 0, "
		     "\"keys\": 0, \"errors\": 0}, \"free_disk_mb\": 40960, \"heartbeat\": true}",
		     seq_base + k, k % bench_n_agents);
	n = snprintf(req, sizeof(req), "POST /v1/agents/%s/status HTTP/1.1\r\nHost: 127.0.0.1\r\n"
		     "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
		     "Content-Length: %d\r\nConnection: close\r\n\r\n%s", a->id, a->token, n, body);
	return bench_exchange(ctx, port, req, n, resume ? a : NULL, resumed);
}

static void *worker(void *arg)
{
	struct thread_out *o = arg;
	double t0 = bench_now_s(), end = t0 + seconds;

	while (bench_now_s() < end) {
		unsigned long k = atomic_fetch_add(&next_k, 1);
		double a, b;
		bool report, resumed;
		int st;

		if (rate > 0) {
			double due = t0 + (double)k / rate, w = due - bench_now_s();

			if (due >= end)
				break;
			if (w > 0)
				usleep((useconds_t)(w * 1e6));
		}
		a = bench_now_s();
		st = request(k, &report, &resumed);
		b = bench_now_s();
		if (resumed)
			atomic_fetch_add(&resumed_n, 1);
		if (st < 0)
			atomic_fetch_add(&errors, 1);
		else if ((report && st == 200) || (!report && (st == 304 || st == 200)))
			atomic_fetch_add(report ? &reports_ok : &polls_ok, 1);
		else
			atomic_fetch_add(&bad_status, 1);
		bench_lat_add(report ? &o->report : &o->poll, (b - a) * 1e3);
	}
	return NULL;
}

/* Merge the threads' latencies of one kind; p50 and p99 of them. */
static void pct(struct thread_out *outs, int threads, bool report, double *p50, double *p99)
{
	struct bench_lat *lists[256];

	for (int i = 0; i < threads; i++)
		lists[i] = report ? &outs[i].report : &outs[i].poll;
	bench_lat_pct(lists, threads, p50, p99);
}

int main(int argc, char **argv)
{
	int threads = 4;
	pthread_t tid[256];
	struct thread_out outs[256] = { 0 };
	double t0, t1, pp50, pp99, rp50, rp99;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--resume")) {
			resume = true;
			i--;
		} else if (!strcmp(argv[i], "--ports"))
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
			bench_load_agents(argv[i + 1]);
		else if (!strcmp(argv[i], "--report-every"))
			report_every = strtoul(argv[i + 1], NULL, 10);
		else if (!strcmp(argv[i], "--seq-base"))
			seq_base = strtoul(argv[i + 1], NULL, 10);
	}
	if (!n_ports || seconds <= 0 || threads < 1 || threads > 256 || !bench_n_agents) {
		fprintf(stderr, "usage: ferry-bench-agents --ports P[,P...] --seconds S --threads T "
			"[--rate R] [--resume] --agents FILE [--report-every N] [--seq-base K]\n");
		return 64;
	}
	ctx = bench_client_ctx(resume);
	t0 = bench_now_s();
	for (int i = 0; i < threads; i++)
		pthread_create(&tid[i], NULL, worker, &outs[i]);
	for (int i = 0; i < threads; i++)
		pthread_join(tid[i], NULL);
	t1 = bench_now_s();
	pct(outs, threads, false, &pp50, &pp99);
	pct(outs, threads, true, &rp50, &rp99);
	printf("{\"polls\": %lu, \"reports\": %lu, \"bad_status\": %lu, \"errors\": %lu, "
	       "\"seconds\": %.3f, \"polls_per_s\": %.1f, \"reports_per_s\": %.1f, "
	       "\"poll_p50_ms\": %.2f, \"poll_p99_ms\": %.2f, \"report_p50_ms\": %.2f, "
	       "\"report_p99_ms\": %.2f, \"next_seq\": %lu, \"resumed\": %lu}\n",
	       atomic_load(&polls_ok), atomic_load(&reports_ok), atomic_load(&bad_status),
	       atomic_load(&errors), t1 - t0, (double)atomic_load(&polls_ok) / (t1 - t0),
	       (double)atomic_load(&reports_ok) / (t1 - t0), pp50, pp99, rp50, rp99,
	       seq_base + atomic_load(&next_k) + 1, atomic_load(&resumed_n));
	for (int i = 0; i < threads; i++) {
		free(outs[i].poll.v);
		free(outs[i].report.v);
	}
	bench_agents_free();
	SSL_CTX_free(ctx);
	return 0;
}
