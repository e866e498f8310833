/* The device state record and its file (agent_state.h). */
#include "svc/agent_state.h"

#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "sec/account.h"
#include "util/mem.h"

void agent_state_init(struct agent_state *s)
{
	memset(s, 0, sizeof(*s));
	s->snoozed_until = s->start_announced_at = RB_TIME_NONE;
}

void agent_state_clear(struct agent_state *s)
{
	for (size_t i = 0; i < s->n_completed; i++)
		ferry_free(s->completed[i]);
	ferry_free(s->completed);
	for (size_t i = 0; i < s->n_cached; i++)
		ferry_free(s->cached[i]);
	ferry_free(s->cached);
	agent_state_init(s);
}

void agent_state_view(const struct agent_state *s, struct device_state *st)
{
	memset(st, 0, sizeof(*st));
	st->credentials_cached = s->creds;
	st->credentials_user = s->creds_user[0] ? s->creds_user : NULL;
	st->completed = (const char *const *)s->completed;
	st->n_completed = s->n_completed;
	st->cached_accounts = (const char *const *)s->cached;
	st->n_cached_accounts = s->n_cached;
	st->snoozed_until = s->snoozed_until;
	st->running_runbook = s->running[0] ? s->running : NULL;
	st->user_logged_on = s->user_logged_on;
	st->complete_acknowledged = s->complete_ack;
	st->start_announced_at = s->start_announced_at;
	st->start_requested = s->start_requested;
}

/* A list of owned strings grows by one copy; FERRY_ENOMEM leaves it as it was. */
static ferry_err push(char ***v, size_t *n, const char *text)
{
	char **g = ferry_realloc_array(*v, *n + 1, sizeof(**v));
	char *copy = ferry_strdup(text);

	if (g)
		*v = g;
	if (!g || !copy) {
		ferry_free(copy);
		return ferry_error_set(FERRY_ENOMEM, "device state: out of memory recording %s",
				       text);
	}
	(*v)[(*n)++] = copy;
	return FERRY_OK;
}

ferry_err agent_state_add_cached(struct agent_state *s, const char *name)
{
	for (size_t i = 0; i < s->n_cached; i++)
		if (account_same(s->cached[i], name))
			return FERRY_OK;
	return push(&s->cached, &s->n_cached, name);
}

ferry_err agent_state_add_completed(struct agent_state *s, const char *id)
{
	char **v = ferry_realloc_array(s->completed, s->n_completed + 1, sizeof(*v));
	char *copy = ferry_strdup(id);

	if (v)
		s->completed = v;
	if (!v || !copy) {
		ferry_free(copy);
		return ferry_error_set(FERRY_ENOMEM, "out of memory recording runbook %s as complete",
				       id);
	}
	s->completed[s->n_completed++] = copy;
	return FERRY_OK;
}

ferry_err agent_state_restore(struct agent_state *s, const struct ferry_platform *store,
			      const char *file)
{
	struct rb_issues iss = { 0 };
	struct device_state_doc *d = NULL;
	uint8_t *data = NULL;
	size_t len = 0;
	ferry_err err;

	err = store->storage_read(store->ctx, file, &data, &len);
	if (err == FERRY_OK)
		err = device_state_parse(&d, &iss, file, (const char *)data, len);
	ferry_free(data);
	rb_issues_clear(&iss);
	if (err != FERRY_OK)
		return err;
	s->creds = d->st.credentials_cached;
	snprintf(s->creds_user, sizeof(s->creds_user), "%s",
		 d->st.credentials_user ? d->st.credentials_user : "");
	for (size_t i = 0; i < d->st.n_completed && err == FERRY_OK; i++)
		err = agent_state_add_completed(s, d->st.completed[i]);
	for (size_t i = 0; i < d->st.n_cached_accounts && err == FERRY_OK; i++)
		err = agent_state_add_cached(s, d->st.cached_accounts[i]);
	s->snoozed_until = d->st.snoozed_until;
	snprintf(s->running, sizeof(s->running), "%s",
		 d->st.running_runbook ? d->st.running_runbook : "");
	s->complete_ack = d->st.complete_acknowledged;
	s->start_announced_at = d->st.start_announced_at;
	s->start_requested = d->st.start_requested;
	device_state_free(d);
	return err;
}

ferry_err agent_state_save(const struct agent_state *s, const struct ferry_platform *store,
			   const char *file)
{
	struct device_state st;
	char *text = NULL;
	ferry_err err;

	agent_state_view(s, &st);
	if ((err = device_state_format(&text, &st)) == FERRY_OK)
		err = store->storage_replace(store->ctx, file, (const uint8_t *)text, strlen(text));
	cJSON_free(text);
	return err;
}
