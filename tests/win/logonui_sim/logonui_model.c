/* LogonUI's documented rules, applied to ferrycp.dll through COM (logonui_model.h). */
#include "logonui_sim/logonui_model.h"

#include <string.h>
#include <wchar.h>

#include "cp_guids.h"

/* The system password provider's CLSID ({60b78e88-ead8-445c-9cfd-0b87f74ea6cd}). */
static const GUID password_clsid = { 0x60b78e88, 0xead8, 0x445c,
				     { 0x9c, 0xfd, 0x0b, 0x87, 0xf7, 0x4e, 0xa6, 0xcd } };

/* The users LogonUI enumerates for this scenario (R2, R5, R6). */
static void listed_users(struct fake_user_array *ua, const struct lui_machine *m)
{
	fake_user_array_init(ua);
	ua->options = m->account_options;
	if (m->cpus == CPUS_UNLOCK_WORKSTATION) {
		if (m->owner_sid)
			fake_user_array_add(ua, m->owner_sid);
		return;
	}
	if (m->dont_display_last_user)
		return;
	for (size_t i = 0; i < m->n_users; i++)
		fake_user_array_add(ua, m->users[i]);
}

static bool listed(const struct fake_user_array *ua, const wchar_t *sid)
{
	for (DWORD i = 0; i < ua->n; i++)
		if (!_wcsicmp(ua->users[i].sid, sid))
			return true;
	return false;
}

/* R1, R5, R6: whether LogonUI shows the "Other user" entry. */
static bool other_user_shown(const struct lui_machine *m)
{
	if (m->cpus == CPUS_UNLOCK_WORKSTATION)
		return m->domain_joined && !m->hide_fast_user_switching;
	return m->domain_joined || m->dont_display_last_user ||
	       (m->account_options & (CPAO_EMPTY_LOCAL | CPAO_EMPTY_CONNECTED));
}

static void drop_ferry_ways(struct lui_screen *s)
{
	size_t k = 0;

	for (size_t i = 0; i < s->n; i++) {
		if (s->ways[i].ferry) {
			s->ways[i].cred->lpVtbl->Release(s->ways[i].cred);
			continue;
		}
		s->ways[k++] = s->ways[i];
	}
	s->n = k;
}

/* Place each of Ferry's credentials by R1-R3; a credential LogonUI would not show is dropped. */
static void place_ferry(struct lui_screen *s)
{
	DWORD n = 0, def = 0;
	BOOL autologon = FALSE;

	drop_ferry_ways(s);
	if (!s->ferry || FAILED(s->ferry->lpVtbl->GetCredentialCount(s->ferry, &n, &def, &autologon)))
		return;
	s->enumerations++;
	for (DWORD i = 0; i < n && s->n < LUI_WAYS_MAX; i++) {
		ICredentialProviderCredential *c = NULL;
		ICredentialProviderCredential2 *c2 = NULL;
		struct lui_way w = { .ferry = true };
		LPWSTR sid = NULL;
		HRESULT hr;

		if (FAILED(s->ferry->lpVtbl->GetCredentialAt(s->ferry, i, &c)))
			continue;
		w.cred = c;
		if (FAILED(c->lpVtbl->QueryInterface(c, &CP_IID_ICredentialProviderCredential2,
						     (void **)&c2))) {
			w.place = LUI_OWN_TILE; /* R3 */
		} else {
			hr = c2->lpVtbl->GetUserSid(c2, &sid);
			c2->lpVtbl->Release(c2);
			if (hr == S_OK && sid && listed(&s->ua, sid)) {
				w.place = LUI_USER_TILE; /* R2 */
				wcsncpy(w.sid, sid, 95);
			} else if (hr == S_FALSE && !sid && s->other_user_tile) {
				w.place = LUI_OTHER_USER; /* R1 */
			} else {
				CoTaskMemFree(sid);
				c->lpVtbl->Release(c); /* nowhere to show it */
				continue;
			}
			CoTaskMemFree(sid);
		}
		s->ways[s->n++] = w;
	}
}

void lui_show(struct lui_screen *s, const struct lui_machine *m, const struct cp_dll *dll)
{
	GUID clsids[2] = { password_clsid, CLSID_FerryProvider };
	BOOL allow[2] = { TRUE, !m->ferry_disabled };
	DWORD n_providers = m->ferry_fails_to_load ? 1 : 2;
	ICredentialProviderFilter *f = NULL;
	ICredentialProviderSetUserArray *sua = NULL;
	void *obj = NULL;

	memset(s, 0, sizeof(*s));
	fake_provider_events_init(&s->pe);
	listed_users(&s->ua, m);
	s->other_user_tile = other_user_shown(m);
	/* R4: the filter of a DLL that loads, over every registered provider. */
	if (!m->ferry_fails_to_load &&
	    SUCCEEDED(cp_dll_create(dll, &CLSID_FerryFilter, &CP_IID_ICredentialProviderFilter,
				    &obj))) {
		f = obj;
		f->lpVtbl->Filter(f, m->cpus, 0, clsids, allow, n_providers);
		f->lpVtbl->Release(f);
	}
	s->password_provider_allowed = allow[0] != FALSE;
	if (s->password_provider_allowed) {
		/* The password provider: one credential per listed user, and the
		 * "Other user" credential where that entry shows (R1, R2). */
		for (DWORD i = 0; i < s->ua.n && s->n < LUI_WAYS_MAX; i++) {
			s->ways[s->n].ferry = false;
			s->ways[s->n].place = LUI_USER_TILE;
			wcsncpy(s->ways[s->n].sid, s->ua.users[i].sid, 95);
			s->n++;
		}
		if (s->other_user_tile && s->n < LUI_WAYS_MAX) {
			s->ways[s->n].ferry = false;
			s->ways[s->n].place = LUI_OTHER_USER;
			s->n++;
		}
	}
	if (m->ferry_fails_to_load || !allow[1])
		return;
	obj = NULL;
	if (FAILED(cp_dll_create(dll, &CLSID_FerryProvider, &CP_IID_ICredentialProvider, &obj)))
		return;
	s->ferry = obj;
	if (FAILED(s->ferry->lpVtbl->SetUsageScenario(s->ferry, m->cpus, 0))) {
		s->ferry->lpVtbl->Release(s->ferry);
		s->ferry = NULL;
		return;
	}
	if (SUCCEEDED(s->ferry->lpVtbl->QueryInterface(s->ferry,
						       &CP_IID_ICredentialProviderSetUserArray,
						       (void **)&sua))) {
		sua->lpVtbl->SetUserArray(sua, &s->ua.iface); /* before GetCredentialCount (R2) */
		sua->lpVtbl->Release(sua);
	}
	s->ferry->lpVtbl->Advise(s->ferry, &s->pe.iface, 0x10);
	place_ferry(s);
}

void lui_reenumerate(struct lui_screen *s, const struct lui_machine *m)
{
	(void)m;
	place_ferry(s);
}

void lui_close(struct lui_screen *s)
{
	drop_ferry_ways(s);
	if (s->ferry) {
		s->ferry->lpVtbl->UnAdvise(s->ferry);
		s->ferry->lpVtbl->Release(s->ferry);
		s->ferry = NULL;
	}
	fake_provider_events_fini(&s->pe);
}

const struct lui_way *lui_ferry_account(const struct lui_screen *s, const wchar_t *account)
{
	for (size_t i = 0; i < s->n; i++) {
		LPWSTR a = NULL;
		bool same;

		if (!s->ways[i].ferry ||
		    FAILED(s->ways[i].cred->lpVtbl->GetStringValue(s->ways[i].cred, 5, &a)))
			continue;
		same = a && !_wcsicmp(a, account);
		CoTaskMemFree(a);
		if (same)
			return &s->ways[i];
	}
	return NULL;
}

bool lui_password_way(const struct lui_screen *s, const struct lui_machine *m, const wchar_t *sid)
{
	(void)m;
	for (size_t i = 0; i < s->n; i++) {
		const struct lui_way *w = &s->ways[i];

		if (w->ferry)
			continue;
		if (!sid && (w->place == LUI_OTHER_USER || w->place == LUI_USER_TILE))
			return true;
		if (sid && w->place == LUI_USER_TILE && !_wcsicmp(w->sid, sid))
			return true;
	}
	return false;
}
