/* The agent's view of the signed identity mapping (agent_map.h). */
#include "svc/agent_map.h"

#include <stdio.h>
#include <string.h>

#include "svc/svc.h"
#include "runbook/schedule.h"
#include "util/mem.h"
#include "win/profops.h"

void agent_map_clear(struct agent_map *m)
{
	idmap_profiles_clear(&m->split);
	ferry_free(m->profiles);
	memset(m, 0, sizeof(*m));
}

void agent_map_account(struct ipc_authz_account *out, const struct idmap_entry *e)
{
	out->sam = e->target_sam;
	out->upn = e->target_upn;
	out->netbios_domain = e->netbios_domain;
	out->dns_domain = e->dns_domain;
}

ferry_err agent_map_scan(struct agent_map *m, const struct idmap *map)
{
	char **sids = NULL;
	size_t n = 0;
	ferry_err err;

	agent_map_clear(m);
	if ((err = win_profile_list_sids(&sids, &n)) != FERRY_OK)
		return err;
	err = idmap_profiles(&m->split, map, (const char *const *)sids, n);
	win_profile_list_free(sids, n);
	if (err != FERRY_OK)
		return err;
	if (m->split.n_mapped && !(m->profiles = ferry_calloc(m->split.n_mapped, sizeof(*m->profiles)))) {
		agent_map_clear(m);
		return ferry_error_set(FERRY_ENOMEM, "agent: mapped profiles");
	}
	m->n = m->split.n_mapped;
	for (size_t i = 0; i < m->n; i++) {
		m->profiles[i].source_sid = m->split.mapped[i].source_sid;
		m->profiles[i].target_sid = m->split.mapped[i].target_sid;
		if (m->n_users < AGENT_MAP_MAX_USERS)
			agent_map_account(&m->users[m->n_users++], m->split.mapped[i].row);
	}
	if (win_last_logged_on_sid(m->last_sid, sizeof(m->last_sid)) != FERRY_OK)
		m->last_sid[0] = '\0';
	m->known = true;
	return FERRY_OK;
}

const struct ipc_authz_account *agent_map_logon_prefill(const struct agent_map *m,
							 const struct idmap *map,
							 struct ipc_authz_account *buf)
{
	const struct idmap_entry *e = m->last_sid[0] ? idmap_by_source(map, m->last_sid) : NULL;

	if (e && e->kind == IDMAP_USER) {
		agent_map_account(buf, e);
		return buf;
	}
	return m->n_users == 1 ? &m->users[0] : NULL;
}

bool agent_map_credentials_ready(const struct agent_map *m, bool mapped, enum rb_creds_rule rule,
				 bool any_cached, const char *const *cached, size_t n_cached)
{
	const char *names[AGENT_MAP_MAX_USERS];
	char buf[AGENT_MAP_MAX_USERS][2 * IPC_NAME_MAX + 2];

	if (!mapped)
		return any_cached;
	for (size_t i = 0; i < m->n_users; i++) {
		snprintf(buf[i], sizeof(buf[i]), "%s\\%s", m->users[i].netbios_domain,
			 m->users[i].sam);
		names[i] = buf[i];
	}
	return schedule_credentials_ready(rule, names, m->n_users, cached, n_cached);
}

void agent_map_cached_name(const struct agent_map *m, const char *user, const char *domain,
			   const char *typed, char *out, size_t cap)
{
	for (size_t i = 0; i < m->n_users; i++) {
		if (ipc_authz_names(&m->users[i], user ? user : "", domain ? domain : "")) {
			snprintf(out, cap, "%s\\%s", m->users[i].netbios_domain, m->users[i].sam);
			return;
		}
	}
	snprintf(out, cap, "%s", typed);
}

void agent_map_authz(struct ipc_authz_mapping *out, struct ipc_authz_account *own,
		     const struct agent_map *m, const struct idmap *map, const char *caller_sid,
		     const char *target_domain)
{
	const struct idmap_entry *e = caller_sid && *caller_sid ? idmap_by_source(map, caller_sid)
								: NULL;

	memset(out, 0, sizeof(*out));
	if (e && e->kind == IDMAP_USER) {
		agent_map_account(own, e);
		out->own = own;
	}
	out->users = m->users;
	out->n_users = m->n_users;
	out->target_domain = target_domain;
}

void agent_map_prefill(char *out, size_t cap, const struct agent_map *m, const struct idmap *map,
		       const char *caller_sid, bool allowed)
{
	const struct ipc_authz_account *acc = NULL;
	struct ipc_authz_account buf;
	const struct idmap_entry *e;

	if (!allowed || !map)
		return;
	if (caller_sid) {
		if (*caller_sid && (e = idmap_by_source(map, caller_sid)) && e->kind == IDMAP_USER) {
			agent_map_account(&buf, e);
			acc = &buf;
		}
	} else {
		acc = agent_map_logon_prefill(m, map, &buf);
	}
	if (acc)
		snprintf(out, cap, "%s\\%s", acc->netbios_domain, acc->sam);
}
