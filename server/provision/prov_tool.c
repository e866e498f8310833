/*
 * prov_tool: drive the provisioning engine from a shell (the Samba DC test,
 * tests/provision/provision_samba.sh) and print delegation grants.
 *
 *   prov_tool delegation --ou OU --account DOMAIN\name --sid SID [--dc HOST]
 *   prov_tool run --domain D --netbios N --dc HOST --keytab K --account A
 *                 --work DIR --store DIR --ou OU [--threads T] [--max-per-dc M]
 *                 [--policy fail|reuse] [--prefix "ip netns exec NS"]
 *                 [--retries R] (--names N1,N2,... | --count C --name-prefix P)
 *
 * run prints one line per name: "ok NAME SHA256-of-blob", "refused NAME:
 * reason" or "failed NAME: reason", then a summary line with the engine's
 * counters and the most jobs seen at the DC at once. Exit 0 when nothing
 * failed (refusals are answers, not failures), 1 otherwise, 64 usage.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "net/bundle.h"
#include "provision.h"
#include "util/hex.h"
#include "util/mem.h"

static const char *opt(int argc, char **argv, const char *name)
{
	for (int i = 1; i + 1 < argc; i++)
		if (!strcmp(argv[i], name))
			return argv[i + 1];
	return NULL;
}

struct run {
	struct prov_engine *e;
	char **names;
	size_t n, next;
	const char *ou;
	enum prov_policy policy;
	unsigned retries;
	unsigned long failed;
	pthread_mutex_t mu;
};

static void report(struct run *r, const char *name, ferry_err rc, const struct ferry_secret *b)
{
	uint8_t h[32];
	char hex[65];

	pthread_mutex_lock(&r->mu);
	if (!rc && !net_sha256(h, b->data, b->len)) {
		ferry_hex_encode(hex, h, 32);
		printf("ok %s %s\n", name, hex);
	} else if (rc == FERRY_EMISMATCH) {
		printf("refused %s: %s\n", name, ferry_error_detail());
	} else {
		printf("failed %s: %s: %s\n", name, ferry_strerror(rc), ferry_error_detail());
		r->failed++;
	}
	fflush(stdout);
	pthread_mutex_unlock(&r->mu);
}

static void *worker(void *arg)
{
	struct run *r = arg;

	for (;;) {
		struct ferry_secret *blob = NULL;
		const char *name;
		ferry_err rc;

		pthread_mutex_lock(&r->mu);
		name = r->next < r->n ? r->names[r->next++] : NULL;
		pthread_mutex_unlock(&r->mu);
		if (!name)
			return NULL;
		rc = prov_provision(&blob, r->e, name, r->ou, r->policy);
		/* A DC still starting refuses connections: tools' failures are retried. */
		for (unsigned i = 0; i < r->retries && (rc == FERRY_ESYSTEM || rc == FERRY_ETIMEOUT);
		     i++) {
			sleep(2);
			rc = prov_provision(&blob, r->e, name, r->ou, r->policy);
		}
		report(r, name, rc, blob);
		ferry_secret_free(blob);
	}
}

static char **names_of(int argc, char **argv, size_t *n)
{
	const char *list = opt(argc, argv, "--names"), *count = opt(argc, argv, "--count");
	const char *prefix = opt(argc, argv, "--name-prefix");
	char **v = NULL;

	*n = 0;
	if (list) {
		char *copy = strdup(list), *save = NULL;
		for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			v = realloc(v, (*n + 1) * sizeof(*v));
			v[(*n)++] = strdup(t);
		}
		free(copy);
	} else if (count && prefix) {
		size_t c = strtoul(count, NULL, 10);
		v = calloc(c ? c : 1, sizeof(*v));
		for (size_t i = 0; i < c; i++) {
			char name[32];
			snprintf(name, sizeof(name), "%s%03zu", prefix, i);
			v[(*n)++] = strdup(name);
		}
	}
	return v;
}

static int run_cmd(int argc, char **argv)
{
	struct prov_config c = {
		.dns_domain = opt(argc, argv, "--domain"), .netbios_domain = opt(argc, argv, "--netbios"),
		.dc = opt(argc, argv, "--dc"), .keytab = opt(argc, argv, "--keytab"),
		.account = opt(argc, argv, "--account"), .work_dir = opt(argc, argv, "--work"),
		.max_per_dc = opt(argc, argv, "--max-per-dc")
				      ? (unsigned)atoi(opt(argc, argv, "--max-per-dc")) : 4,
	};
	const char *store = opt(argc, argv, "--store"), *prefix = opt(argc, argv, "--prefix");
	const char *policy = opt(argc, argv, "--policy"), *threads = opt(argc, argv, "--threads");
	struct run r = { .ou = opt(argc, argv, "--ou"), .retries = 0 };
	struct prov_storage st = { 0 };
	struct prov_stats s;
	char *pre[16] = { 0 }, *precopy = NULL;
	size_t nt = threads ? (size_t)atoi(threads) : 8, np = 0;
	pthread_t tid[64];
	struct timespec t0, t1;
	ferry_err rc;

	r.names = names_of(argc, argv, &r.n);
	if (!store || !r.ou || !r.n || nt < 1 || nt > 64)
		return 64;
	if (opt(argc, argv, "--retries"))
		r.retries = (unsigned)atoi(opt(argc, argv, "--retries"));
	r.policy = policy && !strcmp(policy, "reuse") ? PROV_POLICY_REUSE_OWNED : PROV_POLICY_FAIL;
	if (prefix) {
		char *save = NULL;
		precopy = strdup(prefix);
		for (char *t = strtok_r(precopy, " ", &save); t && np < 15; t = strtok_r(NULL, " ", &save))
			pre[np++] = t;
		c.exec_prefix = (const char *const *)pre;
	}
	pthread_mutex_init(&r.mu, NULL);
	rc = prov_storage_dir(&st, store);
	if (!rc)
		rc = prov_engine_new(&r.e, &c, &st);
	if (rc) {
		fprintf(stderr, "prov_tool: %s\n", ferry_error_detail());
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (size_t i = 0; i < nt; i++)
		pthread_create(&tid[i], NULL, worker, &r);
	for (size_t i = 0; i < nt; i++)
		pthread_join(tid[i], NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	prov_engine_stats(r.e, &s);
	printf("summary: %zu names, %lu jobs, %lu from store, %lu created, %lu reused, "
	       "%lu refused, %lu failed; %zu threads, max %u at the DC at once (limit %u); "
	       "%.1f s\n", r.n, s.jobs, s.from_store, s.created, s.reused, s.refused, r.failed,
	       nt, s.max_concurrent, c.max_per_dc,
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	prov_engine_free(r.e);
	prov_storage_dir_free(&st);
	for (size_t i = 0; i < r.n; i++)
		free(r.names[i]);
	free(r.names);
	free(precopy);
	pthread_mutex_destroy(&r.mu);
	return r.failed ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "delegation")) {
		struct prov_delegation d = { .ou = opt(argc, argv, "--ou"),
					     .account = opt(argc, argv, "--account"),
					     .account_sid = opt(argc, argv, "--sid"),
					     .dc = opt(argc, argv, "--dc") };
		if (prov_delegation_print(stdout, &d)) {
			fprintf(stderr, "prov_tool: %s\n", ferry_error_detail());
			return 1;
		}
		return 0;
	}
	if (argc >= 2 && !strcmp(argv[1], "run"))
		return run_cmd(argc - 1, argv + 1);
	fprintf(stderr, "usage: prov_tool delegation --ou OU --account DOMAIN\\\\name --sid SID "
			"[--dc HOST]\n       prov_tool run ... (see prov_tool.c)\n");
	return 64;
}
