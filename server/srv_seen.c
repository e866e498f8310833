/*
 * "Last seen" in batches: every authenticated agent request notes its
 * device here, and the notes reach the database in one transaction at
 * most every SEEN_FLUSH_S seconds (or SEEN_MAX notes), so an idle poll
 * costs no database write of its own. The stuck rule counts in hours and
 * days; a device's last_seen lags by at most SEEN_FLUSH_S. The server
 * flushes what is left when it stops.
 */
#include "srv.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define SEEN_FLUSH_S 30
#define SEEN_MAX 20000u

static pthread_mutex_t seen_lock = PTHREAD_MUTEX_INITIALIZER;
static struct srv_seen *seen_v;
static size_t seen_n, seen_cap;
static int64_t seen_since;

/* Write out the notes taken so far (the caller does not hold the lock). */
void srv_seen_flush(struct srv *s)
{
	struct srv_seen *v;
	size_t n;

	pthread_mutex_lock(&seen_lock);
	v = seen_v;
	n = seen_n;
	seen_v = NULL;
	seen_n = seen_cap = 0;
	seen_since = 0;
	pthread_mutex_unlock(&seen_lock);
	if (n && s->store->ops->devices_seen(s->store, v, n))
		fprintf(stderr, "ferry-server: last seen of %zu devices not recorded: %s\n", n,
			ferry_error_detail());
	ferry_free(v);
}

void srv_seen(struct srv *s, const struct srv_agent *a, int64_t now)
{
	bool flush;

	pthread_mutex_lock(&seen_lock);
	if (seen_n == seen_cap && seen_cap < SEEN_MAX) {
		size_t cap = seen_cap ? seen_cap * 2 : 256;
		struct srv_seen *v = ferry_realloc_array(seen_v, cap, sizeof(*v));

		if (v) {
			seen_v = v;
			seen_cap = cap;
		}
	}
	if (seen_n < seen_cap) {
		struct srv_seen *e = &seen_v[seen_n++];

		snprintf(e->device, sizeof(e->device), "%s", a->device);
		snprintf(e->agent, sizeof(e->agent), "%s", a->id);
		e->time = now;
	}
	if (!seen_since)
		seen_since = now;
	flush = seen_n >= SEEN_MAX || now - seen_since >= SEEN_FLUSH_S;
	pthread_mutex_unlock(&seen_lock);
	if (flush)
		srv_seen_flush(s);
}
