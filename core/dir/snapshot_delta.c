/*
 * What changed between two snapshots of one domain: the server's "since the
 * last import" (ferry dir diff). Objects are paired by objectGUID, which
 * survives renames and moves; see dir_snapshot_delta in snapshot.h.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "dir/snapshot.h"
#include "util/mem.h"

struct guid_ref {
	const char *guid;
	size_t idx;
};

static int cmp_ref(const void *a, const void *b)
{
	return strcmp(((const struct guid_ref *)a)->guid, ((const struct guid_ref *)b)->guid);
}

static struct guid_ref *sorted_refs(const struct dir_snapshot *s)
{
	struct guid_ref *r = ferry_calloc(s->count ? s->count : 1, sizeof(*r));

	if (!r)
		return NULL;
	for (size_t i = 0; i < s->count; i++) {
		r[i].guid = s->obj[i].guid;
		r[i].idx = i;
	}
	qsort(r, s->count, sizeof(*r), cmp_ref);
	return r;
}

static bool object_changed(const struct dir_object *a, const struct dir_object *b, bool same_server)
{
	if (same_server)
		return a->usn_changed != b->usn_changed;
	return strcmp(a->when_changed, b->when_changed) != 0;
}

/* Walk both GUID-sorted lists once (a merge), sorting each object into one bucket. */
static void merge(struct dir_delta *d, const struct dir_snapshot *o, const struct guid_ref *ro,
                  const struct dir_snapshot *n, const struct guid_ref *rn)
{
	size_t i = 0, j = 0;

	while (i < o->count || j < n->count) {
		int c = i == o->count ? 1 : j == n->count ? -1 : strcmp(ro[i].guid, rn[j].guid);

		if (c < 0) {
			d->removed_idx[d->removed++] = ro[i++].idx;
		} else if (c > 0) {
			d->added_idx[d->added++] = rn[j++].idx;
		} else {
			if (object_changed(&o->obj[ro[i].idx], &n->obj[rn[j].idx], d->same_server))
				d->changed_idx[d->changed++] = rn[j].idx;
			else
				d->unchanged++;
			i++, j++;
		}
	}
}

ferry_err dir_snapshot_delta(struct dir_delta **out, const struct dir_snapshot *old_snap,
                             const struct dir_snapshot *new_snap)
{
	struct guid_ref *ro = NULL, *rn = NULL;
	struct dir_delta *d = NULL;
	ferry_err rc = FERRY_OK;

	*out = NULL;
	if (strcmp(old_snap->domain_sid, new_snap->domain_sid))
		return ferry_error_set(FERRY_EMISMATCH, "delta: snapshots of different domains (%s, %s)",
		                       old_snap->domain_sid, new_snap->domain_sid);
	d = ferry_calloc(1, sizeof(*d));
	if (d) {
		d->same_server = old_snap->server[0] && !strcmp(old_snap->server, new_snap->server);
		d->added_idx = ferry_calloc(new_snap->count + 1, sizeof(size_t));
		d->changed_idx = ferry_calloc(new_snap->count + 1, sizeof(size_t));
		d->removed_idx = ferry_calloc(old_snap->count + 1, sizeof(size_t));
		ro = sorted_refs(old_snap);
		rn = sorted_refs(new_snap);
	}
	if (!d || !d->added_idx || !d->changed_idx || !d->removed_idx || !ro || !rn) {
		rc = ferry_error_set(FERRY_ENOMEM, "delta: out of memory");
		goto out;
	}
	if (d->same_server && new_snap->highest_usn < old_snap->highest_usn) {
		rc = ferry_error_set(FERRY_EMISMATCH,
		                     "delta: the DC's highest USN went back from %llu to %llu (restored "
		                     "from a backup?); import the newer snapshot in full",
		                     (unsigned long long)old_snap->highest_usn,
		                     (unsigned long long)new_snap->highest_usn);
		goto out;
	}
	merge(d, old_snap, ro, new_snap, rn);
out:
	ferry_free(ro);
	ferry_free(rn);
	if (rc != FERRY_OK) {
		dir_delta_free(d);
		return rc;
	}
	*out = d;
	return FERRY_OK;
}

void dir_delta_free(struct dir_delta *d)
{
	if (!d)
		return;
	ferry_free(d->added_idx);
	ferry_free(d->removed_idx);
	ferry_free(d->changed_idx);
	ferry_free(d);
}
