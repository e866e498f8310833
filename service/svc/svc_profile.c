/*
 * The profile ops' context (win/profops.h struct win_profile_ctx): the
 * translation table and whose profile is migrated, from the run context
 * the worker fills (svc_platform.h).
 *
 * The table: `run --table FILE`, else <BundleDir>\table.csv, else
 * <BundleDir>\table.json (sec_table_load_file), loaded at the first
 * profile op and kept (it is read-only, so it never changes under an op).
 *
 * The migrated ("primary") user is the user whose target credentials were
 * cached on this PC (the cache_credentials step; kept in the device state
 * as DOMAIN\user). Their SIDs come from the table, never from a guess:
 *  1. the entry whose target name is that user (account_table_match,
 *     core/sec/account.h: the whole name, else the account part alone; two
 *     entries matching by account part alone are ambiguous and refused);
 *  2. else LookupAccountNameW(DOMAIN\user) (the PC may reach the target
 *     domain through the trust, or be joined to it by now) and the entry
 *     whose target SID is that SID.
 * The source SID is that entry's source. Nothing is recorded at cache time
 * because the credential provider caches from LogonUI, where there is no
 * source user to record, while the table always names both sides.
 */
/* Core security headers before <windows.h> (see win/profops_int.h). */
#include "sec/account.h"
#include "sec/sid.h"
#include "sec/table.h"
#include "win/profops.h"

#include "svc/svc_binding.h"

#include <stdio.h>
#include <string.h>
#include <wchar.h>

#include "win/win_err.h"
#include "winutil.h"

#define NAME_MAX_W 512

static bool file_exists(const char *path)
{
	wchar_t w[MAX_PATH * 2];
	DWORD attr;

	if (!wu_wide_into(w, MAX_PATH * 2, path))
		return false;
	attr = GetFileAttributesW(w);
	return attr != INVALID_FILE_ATTRIBUTES && !(attr & FILE_ATTRIBUTE_DIRECTORY);
}

static ferry_err load_table(struct svc_platform *p, const char *op)
{
	const struct svc_run *o = p->run;
	char path[sizeof(o->bundle_dir) + 16];
	ferry_err err;

	if (p->table)
		return FERRY_OK;
	if (o->table[0]) {
		snprintf(path, sizeof(path), "%s", o->table);
	} else if (o->bundle_dir[0]) {
		snprintf(path, sizeof(path), "%s\\table.csv", o->bundle_dir);
		if (!file_exists(path))
			snprintf(path, sizeof(path), "%s\\table.json", o->bundle_dir);
		if (!file_exists(path))
			return ferry_error_set(FERRY_ENOTFOUND, "%s: no translation table: neither "
					       "table.csv nor table.json in BundleDir %s, and no "
					       "--table", op, o->bundle_dir);
	} else {
		return ferry_error_set(FERRY_ENOTFOUND, "%s: no translation table: no --table and "
				       "no BundleDir setting", op);
	}
	if ((err = sec_table_load_file(&p->table, path)) != FERRY_OK) {
		char why[512];

		snprintf(why, sizeof(why), "%s", ferry_error_detail());
		return ferry_error_set(err, "%s: translation table %s: %s", op, path, why);
	}
	svc_log("%s: translation table %s: %zu entries", op, path, p->table->count);
	return FERRY_OK;
}

/* Step 2: LookupAccountNameW, then the entry with that target SID. */
static ferry_err match_by_lookup(const struct sec_table *t, const char *user, size_t *found)
{
	wchar_t w[NAME_MAX_W], dom[NAME_MAX_W];
	BYTE sid[SECURITY_MAX_SID_SIZE];
	DWORD cb = sizeof(sid), cd = NAME_MAX_W;
	SID_NAME_USE use;

	*found = SIZE_MAX;
	wu_wide_into(w, NAME_MAX_W, user);
	if (!LookupAccountNameW(NULL, w, sid, &cb, dom, &cd, &use))
		return win_last_error("LookupAccountNameW(migrated user)");
	for (size_t i = 0; i < t->count; i++)
		if (t->entries[i].dst_len == GetLengthSid(sid) &&
		    !memcmp(t->entries[i].dst, sid, t->entries[i].dst_len)) {
			*found = i;
			break;
		}
	return FERRY_OK;
}

static void format_sid(char *out, size_t cap, const uint8_t *b, size_t len)
{
	struct sid s;
	char text[SID_STRING_MAX];
	size_t used;

	if (sid_from_bytes(&s, &used, b, len, 0) != FERRY_OK) {
		out[0] = '\0';
		return;
	}
	sid_format(&s, text);
	snprintf(out, cap, "%s", text);
}

static ferry_err resolve_user(struct svc_platform *p, const char *op)
{
	const char *user = p->run->creds_cached ? p->run->user : "";
	char why[512];
	const struct sec_table_entry *e;
	size_t i;
	ferry_err err;

	if (!user[0])
		return ferry_error_set(FERRY_ENOTFOUND, "%s: no migrated user: no target "
				       "credentials were cached on this PC", op);
	err = account_table_match(&i, p->table, user);
	if (err == FERRY_OK && i == SIZE_MAX)
		err = match_by_lookup(p->table, user, &i);
	if (err != FERRY_OK) {
		snprintf(why, sizeof(why), "%s", ferry_error_detail());
		return ferry_error_set(FERRY_ENOTFOUND, "%s: migrated user %s: %s", op, user, why);
	}
	if (i == SIZE_MAX)
		return ferry_error_set(FERRY_ENOTFOUND, "%s: migrated user %s is not in the "
				       "translation table", op, user);
	e = &p->table->entries[i];
	format_sid(p->source_sid, sizeof(p->source_sid), e->src, e->src_len);
	format_sid(p->target_sid, sizeof(p->target_sid), e->dst, e->dst_len);
	svc_log("%s: migrated user %s: %s -> %s", op, user, p->source_sid, p->target_sid);
	return FERRY_OK;
}

ferry_err svc_profile_context(struct svc_platform *p, const char *op, struct win_profile_ctx *out)
{
	ferry_err err;

	memset(out, 0, sizeof(*out));
	if ((err = load_table(p, op)) != FERRY_OK)
		return err;
	if (!p->source_sid[0] && (err = resolve_user(p, op)) != FERRY_OK)
		return err;
	out->table = p->table;
	out->source_sid = p->source_sid;
	out->target_sid = p->target_sid;
	out->store = &p->ops;
	return FERRY_OK;
}
