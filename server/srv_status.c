/* Status reports: vocabulary, validation, the funnel and the stuck rule (srv_status.h). */
#include "srv_status.h"

#include <stdio.h>
#include <string.h>

const char *const srv_stage_names[SRV_STAGE_COUNT] = {
	"expected", "enrolled", "credentials_cached", "blob_ready",
	"unjoined", "joined", "reacl_done", "complete",
};

/* The phases an agent reports, and the stage each one proves reached. */
static const struct {
	const char *phase;
	int stage;
} phases[] = {
	{ "idle", SRV_STAGE_ENROLLED },
	{ "credentials_cached", SRV_STAGE_CREDS },
	{ "available", SRV_STAGE_CREDS },
	{ "migrating", SRV_STAGE_CREDS },
	{ "unjoined", SRV_STAGE_UNJOINED },
	{ "joined", SRV_STAGE_JOINED },
	{ "reacl_done", SRV_STAGE_REACL },
	{ "complete", SRV_STAGE_COMPLETE },
	{ "failed", SRV_STAGE_ENROLLED },
	{ "stopped", SRV_STAGE_ENROLLED },
};

int srv_phase_stage(const char *phase)
{
	for (size_t i = 0; phase && i < sizeof(phases) / sizeof(phases[0]); i++)
		if (!strcmp(phases[i].phase, phase))
			return phases[i].stage;
	return -1;
}

bool srv_phase_stopped(const char *phase)
{
	return phase && (!strcmp(phase, "failed") || !strcmp(phase, "stopped"));
}

static bool str_ok(const cJSON *j, const char *name, size_t max, bool required)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, name);

	if (!v)
		return !required;
	return cJSON_IsString(v) && strlen(v->valuestring) <= max;
}

static bool uint_ok(const cJSON *j, const char *name, double max)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, name);

	return !v || (cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble <= max &&
		      v->valuedouble == (double)(int64_t)v->valuedouble);
}

ferry_err srv_status_check(const cJSON *j, uint64_t *seq, const char **phase)
{
	static const char *const strs[] = { "runbook", "step", "join_state" };
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(j, "seq");
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(j, "phase");
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");
	const cJSON *u = cJSON_GetObjectItemCaseSensitive(j, "cached_users");
	const cJSON *r = cJSON_GetObjectItemCaseSensitive(j, "reacl");
	const cJSON *it;

	if (!cJSON_IsNumber(s) || s->valuedouble < 1 || s->valuedouble > 9007199254740991.0 ||
	    s->valuedouble != (double)(int64_t)s->valuedouble)
		return ferry_error_set(FERRY_ECORRUPT, "status: /seq must be a whole number >= 1");
	if (!cJSON_IsString(p) || srv_phase_stage(p->valuestring) < 0)
		return ferry_error_set(FERRY_ECORRUPT, "status: /phase is missing or not a known phase");
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		if (!str_ok(j, strs[i], 128, false))
			return ferry_error_set(FERRY_ECORRUPT, "status: /%s must be text of at most "
					       "128 bytes", strs[i]);
	if (!uint_ok(j, "attempt", 1e6) || !uint_ok(j, "free_disk_mb", 1e12) ||
	    !uint_ok(j, "time", 1e11))
		return ferry_error_set(FERRY_ECORRUPT, "status: /attempt, /free_disk_mb and /time must "
				       "be whole numbers >= 0");
	if (e && !cJSON_IsNull(e)) {
		if (!cJSON_IsObject(e) || !str_ok(e, "message", 512, true) ||
		    !str_ok(e, "api", 128, false) || !uint_ok(e, "code", 4294967295.0))
			return ferry_error_set(FERRY_ECORRUPT, "status: /error must be {\"code\", \"api\","
					       " \"message\"} (message at most 512 bytes)");
	}
	if (u) {
		int n = 0;

		if (!cJSON_IsArray(u))
			return ferry_error_set(FERRY_ECORRUPT, "status: /cached_users must be an array");
		cJSON_ArrayForEach(it, u)
			if (!cJSON_IsString(it) || strlen(it->valuestring) > 256 || ++n > 256)
				return ferry_error_set(FERRY_ECORRUPT, "status: /cached_users: at most 256 "
						       "names of at most 256 bytes");
	}
	if (r) {
		if (!cJSON_IsObject(r))
			return ferry_error_set(FERRY_ECORRUPT, "status: /reacl must be an object");
		cJSON_ArrayForEach(it, r)
			if (!cJSON_IsNumber(it) || it->valuedouble < 0)
				return ferry_error_set(FERRY_ECORRUPT, "status: /reacl/%.40s must be a "
						       "count >= 0", it->string);
	}
	*seq = (uint64_t)s->valuedouble;
	*phase = p->valuestring;
	return FERRY_OK;
}

ferry_err srv_status_rehearsal(const cJSON *j, bool *rehearsal)
{
	const cJSON *r = cJSON_GetObjectItemCaseSensitive(j, "rehearsal");

	*rehearsal = cJSON_IsTrue(r);
	if (r && !cJSON_IsBool(r))
		return ferry_error_set(FERRY_ECORRUPT, "status: /rehearsal must be true or false");
	return FERRY_OK;
}

ferry_err srv_odj_request_check(const cJSON *j, const char **ou, bool *dry_run)
{
	const cJSON *o = cJSON_GetObjectItemCaseSensitive(j, "ou");
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(j, "dry_run");

	*ou = NULL;
	*dry_run = cJSON_IsTrue(d);
	if (d && !cJSON_IsBool(d))
		return ferry_error_set(FERRY_ECORRUPT, "odj: /dry_run must be true or false");
	if (!o || cJSON_IsNull(o))
		return FERRY_OK;
	if (!str_ok(j, "ou", 512, false))
		return ferry_error_set(FERRY_ECORRUPT, "odj: /ou must be text of at most 512 bytes");
	for (const char *c = o->valuestring; *c; c++)
		if ((unsigned char)*c < 0x20)
			return ferry_error_set(FERRY_ECORRUPT, "odj: /ou holds a control character");
	*ou = o->valuestring;
	return FERRY_OK;
}

static int64_t num(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
}

static const char *str(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(v) ? v->valuestring : "";
}

const char *srv_row_state(const struct srv_device_row *r, int64_t now, int64_t stuck_after_s,
			  int64_t lost_after_s)
{
	if (!r->agent[0])
		return "waiting";
	if (!strcmp(r->phase, "complete"))
		return "complete";
	if (srv_phase_stopped(r->phase))
		return "failed";
	if ((r->last_seen && now - r->last_seen > lost_after_s) ||
	    (r->progress_at && now - r->progress_at > stuck_after_s))
		return "stuck";
	return "active";
}

int srv_row_funnel_stage(const struct srv_device_row *r)
{
	int stage = r->stage;

	if (r->agent[0] && stage < SRV_STAGE_ENROLLED)
		stage = SRV_STAGE_ENROLLED;
	if (stage < SRV_STAGE_BLOB && r->blob && r->agent[0])
		stage = SRV_STAGE_BLOB;
	if (stage >= SRV_STAGE_COUNT)
		stage = SRV_STAGE_COUNT - 1;
	return stage < 0 ? 0 : stage;
}

/* The members of a SRV_LIST_DEVICES object the rules read. */
static void row_of(struct srv_device_row *r, const cJSON *dev)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->agent, sizeof(r->agent), "%s", str(dev, "agent"));
	snprintf(r->phase, sizeof(r->phase), "%s", str(dev, "phase"));
	r->stage = (int)num(dev, "stage");
	r->last_seen = num(dev, "last_seen");
	r->progress_at = num(dev, "progress_at");
	r->blob = num(dev, "blob") > 0;
}

const char *srv_device_state(const cJSON *dev, int64_t now, int64_t stuck_after_s,
			     int64_t lost_after_s)
{
	struct srv_device_row r;

	row_of(&r, dev);
	return srv_row_state(&r, now, stuck_after_s, lost_after_s);
}

cJSON *srv_funnel(const cJSON *devices, const char *wave, int64_t now, int64_t stuck_after_s,
		  int64_t lost_after_s)
{
	long counts[SRV_STAGE_COUNT] = { 0 }, stopped = 0, stuck = 0;
	const cJSON *d;
	cJSON *j = cJSON_CreateObject();

	if (!j)
		return NULL;
	cJSON_ArrayForEach(d, devices) {
		struct srv_device_row r;
		const char *state;
		int stage;

		row_of(&r, d);
		state = srv_row_state(&r, now, stuck_after_s, lost_after_s);
		stage = srv_row_funnel_stage(&r);
		for (int i = 0; i <= stage; i++)
			counts[i]++;
		stopped += !strcmp(state, "failed");
		stuck += !strcmp(state, "stuck");
	}
	if (!cJSON_AddStringToObject(j, "wave", wave ? wave : "*"))
		goto fail;
	for (int i = 0; i < SRV_STAGE_COUNT; i++)
		if (!cJSON_AddNumberToObject(j, srv_stage_names[i], (double)counts[i]))
			goto fail;
	if (!cJSON_AddNumberToObject(j, "stopped", (double)stopped) ||
	    !cJSON_AddNumberToObject(j, "stuck", (double)stuck))
		goto fail;
	return j;
fail:
	cJSON_Delete(j);
	return NULL;
}
