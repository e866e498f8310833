/*
 * The ODJ provisioning queue: ferry-server's side of server/provision/
 * (docs/provision.md), behind the srv_odj.h seam.
 *
 * Without `[provision] enabled = true` blobs arrive only by import
 * (`ferry-admin odj import`). With it:
 *
 *   - get(device, domain, ou), from /odj: the blob the engine stored for
 *     "<domain>/<DEVICE>" if there is one (every retry the same bytes);
 *     otherwise the device is queued and the agent is told to come back
 *     (FERRY_EBUSY, 409 with the job's state or its last failure).
 *   - a scheduler queues, every minute, each enrolled device whose
 *     credentials are cached and whose wave opens within provision.lead_h
 *     hours (or has no available_from), so blobs are ready ahead of the
 *     window rather than made on the agent's first request.
 *   - provision.workers threads run the jobs through prov_provision, which
 *     keeps at most provision.max_per_dc of them at the DC.
 *   - release(device), when the agent reports the join: the stored blob is
 *     deleted (the intent stays: the account exists and is this server's).
 *
 * The engine's storage is the server's database (prov_blobs, prov_intents),
 * each blob sealed at rest to the server's escrow key with "odj:<key>" as
 * associated data, so a copy of the database reveals no machine password.
 * A job that failed is retried after RETRY_S seconds.
 */
#include "srv.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "provision.h"
#include "srv_assign.h"

#define BUCKETS 4096u
#define RETRY_S 300
#define PREFIX_MAX 8

enum job_state { JOB_QUEUED, JOB_RUNNING, JOB_FAILED };

struct job {
	char device[SRV_DEVICE_MAX];
	char ou[1024];
	enum job_state state;
	int64_t failed_at;
	char error[256];
	struct job *next_in_bucket, *next_in_queue;
};

struct queue {
	struct srv *s;
	struct prov_engine *engine;
	struct prov_storage storage;
	enum prov_policy policy;
	char prefix_buf[SRV_PATH_MAX];
	const char *prefix[PREFIX_MAX + 1];
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct job *buckets[BUCKETS];
	struct job *head, *tail;
	pthread_t workers[64], scheduler;
	unsigned n_workers;
	bool stopping, scheduler_started;
};

static struct queue *the_queue;

static unsigned bucket(const char *device)
{
	unsigned h = 5381;

	for (; *device; device++)
		h = h * 33 + (unsigned char)*device;
	return h % BUCKETS;
}

static struct job *find(struct queue *q, const char *device)
{
	for (struct job *j = q->buckets[bucket(device)]; j; j = j->next_in_bucket)
		if (!strcmp(j->device, device))
			return j;
	return NULL;
}

static void forget(struct queue *q, struct job *job)
{
	struct job **p = &q->buckets[bucket(job->device)];

	while (*p && *p != job)
		p = &(*p)->next_in_bucket;
	if (*p)
		*p = job->next_in_bucket;
	ferry_free(job);
}

/* Under the lock: queue device (again) unless it is queued or running. */
static void enqueue(struct queue *q, const char *device, const char *ou, int64_t now)
{
	struct job *j = find(q, device);

	if (j && (j->state != JOB_FAILED || now - j->failed_at < RETRY_S))
		return;
	if (!j) {
		j = ferry_calloc(1, sizeof(*j));
		if (!j)
			return;
		snprintf(j->device, sizeof(j->device), "%s", device);
		j->next_in_bucket = q->buckets[bucket(device)];
		q->buckets[bucket(device)] = j;
	}
	snprintf(j->ou, sizeof(j->ou), "%s", ou);
	j->state = JOB_QUEUED;
	j->next_in_queue = NULL;
	if (q->tail)
		q->tail->next_in_queue = j;
	else
		q->head = j;
	q->tail = j;
	pthread_cond_broadcast(&q->wake); /* the scheduler waits on it too */
}

/* --- the engine's storage, over the server's database, sealed at rest --- */

static ferry_err aad_of(char *out, size_t cap, const char *key)
{
	if ((size_t)snprintf(out, cap, "odj:%s", key) >= cap || strlen(out) > SEAL_MAX_AAD_ID)
		return ferry_error_set(FERRY_ERANGE, "provisioning key too long");
	return FERRY_OK;
}

static ferry_err st_blob_get(void *ctx, const char *key, struct ferry_secret **blob)
{
	struct queue *q = ctx;
	uint8_t *sealed = NULL;
	size_t len = 0;
	char aad[PROV_KEY_MAX + 8];
	ferry_err rc = aad_of(aad, sizeof(aad), key);

	if (!rc)
		rc = q->s->store->ops->prov_blob_get(q->s->store, &sealed, &len, key);
	if (!rc)
		rc = seal_open(blob, q->s->escrow_priv->data, aad, sealed, len);
	ferry_free(sealed);
	return rc;
}

static ferry_err st_blob_put(void *ctx, const char *key, const uint8_t *blob, size_t len)
{
	struct queue *q = ctx;
	uint8_t *sealed = NULL;
	size_t slen = 0;
	char aad[PROV_KEY_MAX + 8];
	ferry_err rc = aad_of(aad, sizeof(aad), key);

	if (!rc)
		rc = seal_box(&sealed, &slen, q->s->escrow_pub, aad, blob, len);
	if (!rc)
		rc = q->s->store->ops->prov_blob_put(q->s->store, key, sealed, slen, q->s->now());
	ferry_free(sealed);
	return rc;
}

static ferry_err st_intent_put(void *ctx, const char *key)
{
	struct queue *q = ctx;

	return q->s->store->ops->prov_intent_put(q->s->store, key, q->s->now());
}

static ferry_err st_intent_get(void *ctx, const char *key)
{
	struct queue *q = ctx;

	return q->s->store->ops->prov_intent_get(q->s->store, key);
}

/* --- the seam (srv_odj.h) --- */

static ferry_err q_get(void *ctx, struct ferry_secret **blob, const char *device,
		       const char *domain, const char *ou)
{
	struct queue *q = ctx;
	char key[PROV_KEY_MAX];
	struct job *j;
	ferry_err rc;

	if (strcasecmp(domain, q->s->cfg.prov_domain))
		return ferry_error_set(FERRY_EMISMATCH, "this server provisions for %s, not %s",
				       q->s->cfg.prov_domain, domain);
	rc = prov_key(key, domain, device);
	if (!rc)
		rc = st_blob_get(q, key, blob);
	if (rc != FERRY_ENOTFOUND)
		return rc;
	if (!ou)
		return ferry_error_set(FERRY_EMISMATCH, "the runbook of %s names no computer_ou to "
				       "provision into", device);
	pthread_mutex_lock(&q->lock);
	enqueue(q, device, ou, q->s->now());
	j = find(q, device);
	if (j && j->state == JOB_FAILED)
		rc = ferry_error_set(FERRY_EBUSY, "provisioning %s failed (retried within %d s): %s",
				     device, RETRY_S, j->error);
	else
		rc = ferry_error_set(FERRY_EBUSY, "%s", j && j->state == JOB_RUNNING ?
				     "being provisioned" : "queued for provisioning");
	pthread_mutex_unlock(&q->lock);
	return rc;
}

static ferry_err q_peek(void *ctx, struct ferry_secret **blob, const char *device,
			const char *domain)
{
	struct queue *q = ctx;
	char key[PROV_KEY_MAX];
	ferry_err rc;

	*blob = NULL;
	if (strcasecmp(domain, q->s->cfg.prov_domain))
		return ferry_error_set(FERRY_ENOTFOUND, "this server provisions for %s, not %s",
				       q->s->cfg.prov_domain, domain);
	rc = prov_key(key, domain, device);
	return rc ? rc : st_blob_get(q, key, blob);
}

static void q_release(void *ctx, const char *device)
{
	struct queue *q = ctx;
	char key[PROV_KEY_MAX];

	if (!prov_key(key, q->s->cfg.prov_domain, device))
		(void)q->s->store->ops->prov_blob_delete(q->s->store, key);
}

static void *worker(void *arg)
{
	struct queue *q = arg;

	pthread_mutex_lock(&q->lock);
	while (!q->stopping) {
		struct job *j = q->head;
		struct ferry_secret *blob = NULL;
		char device[SRV_DEVICE_MAX], ou[1024];
		ferry_err rc;

		if (!j) {
			pthread_cond_wait(&q->wake, &q->lock);
			continue;
		}
		q->head = j->next_in_queue;
		if (!q->head)
			q->tail = NULL;
		j->state = JOB_RUNNING;
		snprintf(device, sizeof(device), "%s", j->device);
		snprintf(ou, sizeof(ou), "%s", j->ou);
		pthread_mutex_unlock(&q->lock);
		rc = prov_provision(&blob, q->engine, device, ou, q->policy);
		ferry_secret_free(blob);
		if (rc)
			fprintf(stderr, "ferry-server: provision %s: %s (%s)\n", device,
				ferry_error_detail(), ferry_strerror(rc));
		else
			fprintf(stderr, "ferry-server: provision %s: blob ready\n", device);
		pthread_mutex_lock(&q->lock);
		j = find(q, device);
		if (j && !rc) {
			forget(q, j);
		} else if (j) {
			j->state = JOB_FAILED;
			j->failed_at = q->s->now();
			snprintf(j->error, sizeof(j->error), "%.200s", ferry_error_detail());
		}
	}
	pthread_mutex_unlock(&q->lock);
	return NULL;
}

/* Earliest available_from of a wave's windows (0: none set). */
static int64_t wave_opens(const cJSON *waves, const char *wave)
{
	const cJSON *w, *r;
	int64_t first = 0;

	cJSON_ArrayForEach(w, waves) {
		if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(w, "name")), wave))
			continue;
		cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(w, "runbooks")) {
			int64_t t = (int64_t)cJSON_GetNumberValue(
				cJSON_GetObjectItemCaseSensitive(r, "available_from"));

			if (t > 0 && (!first || t < first))
				first = t;
		}
	}
	return first;
}

/* One pass: queue each device that is due (see the header). */
static void schedule(struct queue *q)
{
	cJSON *devs = NULL, *waves = NULL, *d;
	int64_t now = q->s->now(), lead = (int64_t)q->s->cfg.prov_lead_h * 3600;

	if (q->s->store->ops->list(q->s->store, &devs, SRV_LIST_DEVICES, NULL) ||
	    q->s->store->ops->list(q->s->store, &waves, SRV_LIST_WAVES, NULL))
		goto out;
	cJSON_ArrayForEach(d, devs) {
		const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(d, "name"));
		const char *wave = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(d, "wave"));
		const char *agent = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(d, "agent"));
		int stage = (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(d, "stage"));
		int blob = (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(d, "blob"));
		char domain[256], ou[1024], key[PROV_KEY_MAX];
		struct ferry_secret *have = NULL;
		int64_t opens;

		if (!name || !wave || !*wave || !agent || !*agent || blob || stage < 2 || stage >= 4)
			continue; /* credentials cached, not yet unjoined, no blob delivered */
		opens = wave_opens(waves, wave);
		if (opens && now < opens - lead)
			continue;
		if (srv_device_target(q->s, name, domain, sizeof(domain), ou, sizeof(ou)) || !ou[0] ||
		    strcasecmp(domain, q->s->cfg.prov_domain) || prov_key(key, domain, name))
			continue;
		if (!st_blob_get(q, key, &have)) {
			ferry_secret_free(have);
			continue; /* ready already */
		}
		pthread_mutex_lock(&q->lock);
		enqueue(q, name, ou, now);
		pthread_mutex_unlock(&q->lock);
	}
out:
	cJSON_Delete(devs);
	cJSON_Delete(waves);
}

static void *scheduler(void *arg)
{
	struct queue *q = arg;
	struct timespec until;

	pthread_mutex_lock(&q->lock);
	while (!q->stopping) {
		pthread_mutex_unlock(&q->lock);
		schedule(q);
		pthread_mutex_lock(&q->lock);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 60;
		while (!q->stopping &&
		       pthread_cond_timedwait(&q->wake, &q->lock, &until) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&q->lock);
	return NULL;
}

static ferry_err config_check(const struct srv_config *c)
{
	static const struct {
		const char *name;
		size_t off;
	} need[] = {
		{ "domain", offsetof(struct srv_config, prov_domain) },
		{ "netbios_domain", offsetof(struct srv_config, prov_netbios) },
		{ "dc", offsetof(struct srv_config, prov_dc) },
		{ "keytab", offsetof(struct srv_config, prov_keytab) },
		{ "account", offsetof(struct srv_config, prov_account) },
	};

	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++)
		if (!((const char *)c + need[i].off)[0])
			return ferry_error_set(FERRY_ECORRUPT, "%s: provision.%s is required when "
					       "provision.enabled = true", SRV_CONF_FILE, need[i].name);
	if (strcmp(c->prov_policy, "fail") && strcmp(c->prov_policy, "reuse_owned"))
		return ferry_error_set(FERRY_ECORRUPT, "%s: provision.policy: '%s' is not fail or "
				       "reuse_owned", SRV_CONF_FILE, c->prov_policy);
	return FERRY_OK;
}

ferry_err srv_provision_attach(struct srv *s)
{
	struct queue *q;
	struct prov_config pc = { 0 };
	char keytab[SRV_PATH_MAX], work[SRV_PATH_MAX];
	size_t n = 0;
	ferry_err rc;

	s->odj.get = NULL;
	s->odj.peek = NULL;
	s->odj.release = NULL;
	s->odj.ctx = NULL;
	s->odj.name = "import";
	if (!s->cfg.prov_enabled)
		return FERRY_OK;
	rc = config_check(&s->cfg);
	if (!rc)
		rc = srv_path(keytab, sizeof(keytab), s->cfg.dir, s->cfg.prov_keytab);
	if (!rc)
		rc = srv_path(work, sizeof(work), s->cfg.dir, s->cfg.prov_work_dir);
	if (rc)
		return rc;
	if (mkdir(work, 0700) && errno != EEXIST)
		return ferry_error_set(FERRY_EIO, "%s: %s", work, strerror(errno));
	q = ferry_calloc(1, sizeof(*q));
	if (!q)
		return ferry_error_set(FERRY_ENOMEM, "provisioning queue");
	q->s = s;
	q->policy = strcmp(s->cfg.prov_policy, "reuse_owned") ? PROV_POLICY_FAIL
							      : PROV_POLICY_REUSE_OWNED;
	snprintf(q->prefix_buf, sizeof(q->prefix_buf), "%s", s->cfg.prov_exec_prefix);
	for (char *t = strtok(q->prefix_buf, " "); t && n < PREFIX_MAX; t = strtok(NULL, " "))
		q->prefix[n++] = t;
	q->prefix[n] = NULL;
	q->storage = (struct prov_storage){ .ctx = q, .blob_get = st_blob_get,
					    .blob_put = st_blob_put, .intent_put = st_intent_put,
					    .intent_get = st_intent_get };
	pc.dns_domain = s->cfg.prov_domain;
	pc.netbios_domain = s->cfg.prov_netbios;
	pc.dc = s->cfg.prov_dc;
	pc.keytab = keytab;
	pc.account = s->cfg.prov_account;
	pc.work_dir = work;
	pc.max_per_dc = s->cfg.prov_max_per_dc;
	pc.exec_prefix = n ? q->prefix : NULL;
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->wake, NULL);
	rc = prov_engine_new(&q->engine, &pc, &q->storage);
	for (unsigned i = 0; !rc && i < s->cfg.prov_workers && i < 64; i++) {
		if (pthread_create(&q->workers[i], NULL, worker, q))
			rc = ferry_error_set(FERRY_ESYSTEM, "provisioning worker thread");
		else
			q->n_workers++;
	}
	if (!rc && pthread_create(&q->scheduler, NULL, scheduler, q))
		rc = ferry_error_set(FERRY_ESYSTEM, "provisioning scheduler thread");
	else if (!rc)
		q->scheduler_started = true;
	the_queue = q;
	if (rc) {
		srv_provision_detach(s);
		return rc;
	}
	s->odj.get = q_get;
	s->odj.peek = q_peek;
	s->odj.release = q_release;
	s->odj.ctx = q;
	s->odj.name = "provision";
	fprintf(stderr, "ferry-server: provisioning for %s through %s as %s (%u workers, %u at "
		"the DC, %s on a name collision)\n", pc.dns_domain, pc.dc, pc.account, q->n_workers,
		pc.max_per_dc, s->cfg.prov_policy);
	return FERRY_OK;
}

void srv_provision_detach(struct srv *s)
{
	struct queue *q = the_queue;

	if (!q)
		return;
	pthread_mutex_lock(&q->lock);
	q->stopping = true;
	pthread_cond_broadcast(&q->wake);
	pthread_mutex_unlock(&q->lock);
	for (unsigned i = 0; i < q->n_workers; i++)
		pthread_join(q->workers[i], NULL);
	if (q->scheduler_started)
		pthread_join(q->scheduler, NULL);
	prov_engine_free(q->engine);
	for (unsigned b = 0; b < BUCKETS; b++)
		while (q->buckets[b])
			forget(q, q->buckets[b]);
	pthread_mutex_destroy(&q->lock);
	pthread_cond_destroy(&q->wake);
	ferry_free(q);
	the_queue = NULL;
	s->odj.get = NULL;
	s->odj.peek = NULL;
	s->odj.release = NULL;
	s->odj.ctx = NULL;
}
