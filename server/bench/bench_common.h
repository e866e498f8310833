/*
 * What ferry-bench-poll and ferry-bench-agents share: the agent list, one
 * request over a new TLS connection (resuming the agent's own session
 * when asked, as a real agent's libcurl share does), latency lists and
 * their percentiles. Not part of any product.
 */
#ifndef FERRY_BENCH_COMMON_H
#define FERRY_BENCH_COMMON_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/ssl.h>

struct bench_agent {
	char id[40], token[80], etag[80];
	SSL_SESSION *sess; /* the last resumable session (--resume), under a stripe lock */
};

struct bench_lat {
	double *v;
	size_t n, cap;
};

extern struct bench_agent *bench_agents;
extern size_t bench_n_agents;

double bench_now_s(void);

/** Read FILE's "ID TOKEN ETAG" lines into bench_agents; exits on an error. */
void bench_load_agents(const char *path);

/** The client context: no certificate check (loopback); tickets only with resume. */
SSL_CTX *bench_client_ctx(bool resume);

/**
 * Send req (n bytes) over a new TLS connection to 127.0.0.1:port and read
 * the reply to its end. With a (not NULL) and resume, offer a's session
 * and keep the connection's last resumable one for its next request;
 * *resumed says whether the server took it. The HTTP status, or -1.
 */
int bench_exchange(SSL_CTX *ctx, int port, const char *req, int n, struct bench_agent *a,
		   bool *resumed);

void bench_lat_add(struct bench_lat *l, double ms);

/** p50 and p99 of the union of n lists (each lists[i] of one thread). */
void bench_lat_pct(struct bench_lat *const *lists, int n, double *p50, double *p99);

/** Free the agents and their sessions. */
void bench_agents_free(void);

#endif
