/*
 * The node's job thread: every JOBS_TICK_S seconds
 *
 *   1. the caches: the catalog and the translation table are held in memory
 *      for every request; when another node stored a new one (versions()),
 *      this node loads it, so an upload through any node reaches all of
 *      them within a tick;
 *   2. "provision": the job lock decides which node runs the provisioning
 *      queue (srv_provision_tick);
 *   3. "retention": the lock holder prunes agent events and status history
 *      older than [retention] events_days / status_days, prune_batch rows of
 *      each per transaction, hourly, and again at once while rows remain.
 *
 * Locks are the store's job_lock: on PostgreSQL session advisory locks,
 * which the database releases when a node's connection ends (a killed node
 * hands its jobs over within one tick of the survivor); on SQLite one node
 * holds them all. The stuck rule needs no job: it is computed from
 * last_seen and progress_at when devices are read (srv_status.c).
 */
#include "srv.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "srv_assign.h"
#include "srv_table.h"

#define JOBS_TICK_S 2
#define PRUNE_EVERY_S 3600

static pthread_t jobs_thread;
static pthread_mutex_t jobs_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t jobs_wake = PTHREAD_COND_INITIALIZER;
static bool jobs_stopping, jobs_started;

struct jobs {
	uint64_t catalog_seq;
	char table_hash[SRV_HASH_HEX];
	int64_t pruned_at;
	bool more; /* the last prune hit its limit */
};

static void refresh(struct srv *s, struct jobs *j)
{
	char hash[SRV_HASH_HEX];
	uint64_t seq = 0;

	if (s->store->ops->versions(s->store, &seq, hash))
		return;
	if (seq != j->catalog_seq) {
		if (srv_catalog_open(s))
			fprintf(stderr, "ferry-server: catalog %llu from another node not loaded: %s\n",
				(unsigned long long)seq, ferry_error_detail());
		j->catalog_seq = seq; /* not retried each tick; the next upload is */
	}
	if (strcmp(hash, j->table_hash)) {
		if (srv_table_load(s))
			fprintf(stderr, "ferry-server: translation table from another node not "
				"loaded: %s\n", ferry_error_detail());
		memcpy(j->table_hash, hash, sizeof(hash));
	}
}

static void retention(struct srv *s, struct jobs *j)
{
	int64_t now = s->now();
	int64_t ev = s->cfg.events_days ? now - (int64_t)s->cfg.events_days * 86400 : 0;
	int64_t sh = s->cfg.status_days ? now - (int64_t)s->cfg.status_days * 86400 : 0;
	uint64_t deleted = 0;

	if ((!ev && !sh) || (!j->more && now - j->pruned_at < PRUNE_EVERY_S))
		return;
	j->pruned_at = now;
	if (s->store->ops->prune(s->store, &deleted, ev, sh, s->cfg.prune_batch)) {
		fprintf(stderr, "ferry-server: retention: %s\n", ferry_error_detail());
		j->more = false;
		return;
	}
	j->more = deleted > 0;
	if (deleted)
		fprintf(stderr, "ferry-server: retention: %llu old event(s) and status report(s) "
			"pruned\n", (unsigned long long)deleted);
}

static bool lock(struct srv *s, const char *job)
{
	bool held = false;

	if (s->store->ops->job_lock(s->store, &held, job)) {
		fprintf(stderr, "ferry-server: job lock %s: %s\n", job, ferry_error_detail());
		held = false;
	}
	return held;
}

static void *run(void *arg)
{
	struct srv *s = arg;
	struct jobs j = { 0 };
	struct timespec until;

	(void)s->store->ops->versions(s->store, &j.catalog_seq, j.table_hash);
	pthread_mutex_lock(&jobs_lock);
	while (!jobs_stopping) {
		pthread_mutex_unlock(&jobs_lock);
		refresh(s, &j);
		srv_provision_tick(s, lock(s, "provision"));
		if (lock(s, "retention"))
			retention(s, &j);
		pthread_mutex_lock(&jobs_lock);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += JOBS_TICK_S;
		while (!jobs_stopping &&
		       pthread_cond_timedwait(&jobs_wake, &jobs_lock, &until) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&jobs_lock);
	return NULL;
}

ferry_err srv_jobs_start(struct srv *s)
{
	char host[64] = "";

	gethostname(host, sizeof(host) - 1);
	snprintf(s->node, sizeof(s->node), "%s:%ld", host[0] ? host : "node", (long)getpid());
	jobs_stopping = false;
	if (pthread_create(&jobs_thread, NULL, run, s))
		return ferry_error_set(FERRY_ESYSTEM, "job thread");
	jobs_started = true;
	return FERRY_OK;
}

void srv_jobs_stop(struct srv *s)
{
	(void)s;
	if (!jobs_started)
		return;
	pthread_mutex_lock(&jobs_lock);
	jobs_stopping = true;
	pthread_cond_broadcast(&jobs_wake);
	pthread_mutex_unlock(&jobs_lock);
	pthread_join(jobs_thread, NULL);
	jobs_started = false;
}
