/* The device-state file: `ferry plan --state` and the service read it, the
 * service writes it (keys in schedule.h); parse and format live together. */
#include <string.h>

#include "runbook/rb_json.h"
#include "runbook/rfc3339.h"
#include "runbook/schedule.h"
#include "sec/account.h"
#include "util/mem.h"

static void read_time(struct rbp *p, const cJSON *root, const char *key, int64_t *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);

	*out = RB_TIME_NONE;
	if (!v || cJSON_IsNull(v))
		return;
	if (!cJSON_IsString(v) || rfc3339_parse(out, v->valuestring) != FERRY_OK) {
		*out = RB_TIME_NONE;
		rbp_error_at(p, key, "must be an RFC 3339 time or null");
	}
}

static void read_running(struct rbp *p, const cJSON *root, struct device_state_doc *d)
{
	static const char *const keys[] = { "runbook", "phase", NULL };
	const cJSON *r = cJSON_GetObjectItemCaseSensitive(root, "running");
	size_t saved;

	if (!r || cJSON_IsNull(r))
		return;
	if (!cJSON_IsObject(r)) {
		rbp_error_at(p, "running", "must be {\"runbook\", \"phase\"} or null");
		return;
	}
	saved = rbp_push(p, "running");
	rbp_check_keys(p, r, keys);
	rbp_string(p, r, "runbook", true, RUNBOOK_ID_MAX, &d->strings[1]);
	rbp_string(p, r, "phase", false, 64, &d->strings[2]);
	rbp_pop(p, saved);
	d->st.running_runbook = d->strings[1];
	d->st.running_phase = d->strings[2];
}

/* DOMAIN\user, as the service records a cached account. */
static const char *check_account(const char *s)
{
	struct account_name a;

	return strchr(s, '\\') && account_split(&a, s) == FERRY_OK ? NULL
								   : "must be DOMAIN\\user";
}

ferry_err device_state_parse(struct device_state_doc **out, struct rb_issues *iss,
			     const char *file, const char *json, size_t len)
{
	static const char *const keys[] = { "credentials_cached", "credentials_user",
		"cached_accounts", "completed",
		"snoozed_until", "running", "server_reachable", "user_logged_on",
		"complete_acknowledged", "start_announced_at", "start_requested", "device_name",
		NULL };
	struct device_state_doc *d;
	struct rbp p;
	cJSON *root;
	ferry_err err;

	*out = NULL;
	rbp_init(&p, iss, file);
	if (!(d = ferry_calloc(1, sizeof(*d))))
		return ferry_error_set(FERRY_ENOMEM, "state: out of memory");
	/* Defaults: nothing known, server reachable, nobody logged on. */
	d->st.server_reachable = true;
	root = rbp_parse_json(&p, json, len);
	if (root) {
		rbp_check_keys(&p, root, keys);
		rbp_bool(&p, root, "credentials_cached", &d->st.credentials_cached);
		rbp_string(&p, root, "credentials_user", false, 256, &d->strings[0]);
		rbp_strlist(&p, root, "cached_accounts", 2 * ACCOUNT_PART_MAX + 1, check_account,
			    &d->cached);
		rbp_strlist(&p, root, "completed", RUNBOOK_ID_MAX, rb_check_id, &d->completed);
		read_time(&p, root, "snoozed_until", &d->st.snoozed_until);
		read_running(&p, root, d);
		rbp_bool(&p, root, "server_reachable", &d->st.server_reachable);
		rbp_bool(&p, root, "user_logged_on", &d->st.user_logged_on);
		rbp_bool(&p, root, "complete_acknowledged", &d->st.complete_acknowledged);
		read_time(&p, root, "start_announced_at", &d->st.start_announced_at);
		rbp_bool(&p, root, "start_requested", &d->st.start_requested);
		rbp_string(&p, root, "device_name", false, 64, &d->strings[3]);
	}
	cJSON_Delete(root);
	d->st.credentials_user = d->strings[0];
	d->st.device_name = d->strings[3];
	d->st.completed = (const char *const *)d->completed.v;
	d->st.n_completed = d->completed.n;
	d->st.cached_accounts = (const char *const *)d->cached.v;
	d->st.n_cached_accounts = d->cached.n;
	if (p.err) {
		err = ferry_error_set(FERRY_ENOMEM, "state: out of memory");
	} else if (p.n_issues) {
		err = ferry_error_set(FERRY_ECORRUPT, "state %s: %zu problem(s)", p.file, p.n_issues);
	} else {
		*out = d;
		return FERRY_OK;
	}
	device_state_free(d);
	return err;
}

void device_state_free(struct device_state_doc *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < sizeof(d->strings) / sizeof(d->strings[0]); i++)
		ferry_free(d->strings[i]);
	rb_strlist_free(&d->completed);
	rb_strlist_free(&d->cached);
	ferry_free(d);
}

static void add_list(cJSON *o, const char *key, const char *const *v, size_t n)
{
	cJSON *list = cJSON_AddArrayToObject(o, key);

	for (size_t i = 0; list && i < n; i++) {
		cJSON *s = cJSON_CreateString(v[i]);

		if (!s || !cJSON_AddItemToArray(list, s)) {
			cJSON_Delete(s);
			return;
		}
	}
}

static bool listed(const char *name, const char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (account_same(name, v[i]))
			return true;
	return false;
}

bool schedule_credentials_ready(enum rb_creds_rule rule, const char *const *mapped,
				size_t n_mapped, const char *const *cached, size_t n_cached)
{
	size_t have = 0;

	if (!n_mapped)
		return n_cached > 0;
	for (size_t i = 0; i < n_mapped; i++)
		have += listed(mapped[i], cached, n_cached);
	return rule == RB_CREDS_ANY_MAPPED_USER ? have > 0 : have == n_mapped;
}

static void add_time(cJSON *o, const char *key, int64_t t)
{
	char buf[RFC3339_BUF];

	if (t == RB_TIME_NONE || rfc3339_format(buf, t) != FERRY_OK)
		cJSON_AddNullToObject(o, key);
	else
		cJSON_AddStringToObject(o, key, buf);
}

ferry_err device_state_format(char **out, const struct device_state *st)
{
	cJSON *o = cJSON_CreateObject(), *list = NULL, *run;
	ferry_err err = FERRY_OK;

	*out = NULL;
	if (!o)
		return ferry_error_set(FERRY_ENOMEM, "device state: out of memory");
	cJSON_AddBoolToObject(o, "credentials_cached", st->credentials_cached);
	if (st->credentials_user && *st->credentials_user)
		cJSON_AddStringToObject(o, "credentials_user", st->credentials_user);
	if (st->n_cached_accounts)
		add_list(o, "cached_accounts", st->cached_accounts, st->n_cached_accounts);
	list = cJSON_AddArrayToObject(o, "completed");
	for (size_t i = 0; list && i < st->n_completed; i++) {
		cJSON *id = cJSON_CreateString(st->completed[i]);

		if (!id || !cJSON_AddItemToArray(list, id)) {
			cJSON_Delete(id);
			list = NULL;
		}
	}
	add_time(o, "snoozed_until", st->snoozed_until);
	if (st->running_runbook && *st->running_runbook &&
	    (run = cJSON_AddObjectToObject(o, "running")))
		cJSON_AddStringToObject(run, "runbook", st->running_runbook);
	cJSON_AddBoolToObject(o, "complete_acknowledged", st->complete_acknowledged);
	add_time(o, "start_announced_at", st->start_announced_at);
	cJSON_AddBoolToObject(o, "start_requested", st->start_requested);
	if (!list || !(*out = cJSON_PrintUnformatted(o)))
		err = ferry_error_set(FERRY_ENOMEM, "device state: out of memory");
	cJSON_Delete(o);
	return err;
}
