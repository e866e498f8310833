/* App reconfiguration: the items of each reset and the decisions (app_reset.h). */
#include "engine/app_reset.h"

#include <string.h>

#include "runbook/runbook.h"

/*
 * What each reset touches. Office keeps its signed-in identities and their
 * profiles under Common\Identity; the AAD broker plug-in (Web Account
 * Manager) keeps the user's tokens in its package's AC\TokenBroker,
 * LocalState and Settings folders. OneDrive keeps one key per business
 * account (Business1, Business2, ...). Teams keeps caches: new Teams in its
 * package's LocalCache, classic Teams in %APPDATA%\Microsoft\Teams.
 */
static const struct app_item items[] = {
	{ RB_APP_OFFICE, "office.identity", APP_ITEM_KEY,
	  "Software\\Microsoft\\Office\\16.0\\Common\\Identity", NULL },
	{ RB_APP_OFFICE, "office.broker.tokenbroker", APP_ITEM_FOLDER,
	  "AppData\\Local\\Packages\\Microsoft.AAD.BrokerPlugin_cw5n1h2txyewy\\AC\\TokenBroker", NULL },
	{ RB_APP_OFFICE, "office.broker.localstate", APP_ITEM_FOLDER,
	  "AppData\\Local\\Packages\\Microsoft.AAD.BrokerPlugin_cw5n1h2txyewy\\LocalState", NULL },
	{ RB_APP_OFFICE, "office.broker.settings", APP_ITEM_FOLDER,
	  "AppData\\Local\\Packages\\Microsoft.AAD.BrokerPlugin_cw5n1h2txyewy\\Settings", NULL },
	{ RB_APP_ONEDRIVE, "onedrive.business", APP_ITEM_KEY_PREFIX,
	  "Software\\Microsoft\\OneDrive\\Accounts", "Business" },
	{ RB_APP_ONEDRIVE, "onedrive.reset", APP_ITEM_RUNONCE,
	  "Software\\Microsoft\\Windows\\CurrentVersion\\RunOnce", "FerryOneDriveReset" },
	{ RB_APP_TEAMS, "teams.new.localcache", APP_ITEM_FOLDER,
	  "AppData\\Local\\Packages\\MSTeams_8wekyb3d8bbwe\\LocalCache", NULL },
	{ RB_APP_TEAMS, "teams.classic", APP_ITEM_FOLDER, "AppData\\Roaming\\Microsoft\\Teams", NULL },
};

const struct app_item *app_reset_items(size_t *n)
{
	*n = sizeof(items) / sizeof(items[0]);
	return items;
}

const struct app_item *app_reset_item(const char *id)
{
	for (size_t i = 0; i < sizeof(items) / sizeof(items[0]); i++)
		if (!strcmp(items[i].id, id))
			return &items[i];
	return NULL;
}

enum app_step app_reset_decide(bool src, bool bak, bool recorded, bool moving)
{
	if (recorded)
		return APP_STEP_DONE;
	if (moving && src)
		return APP_STEP_MOVE; /* our copy was cut short: start it again */
	if (bak)
		/* A backup we did not record: our own move just before a crash
		 * (no source left), or a leftover next to live data, which we
		 * neither overwrite nor merge. */
		return src ? APP_STEP_CONFLICT : APP_STEP_RECORD;
	return src ? APP_STEP_MOVE : APP_STEP_NOTHING;
}

enum app_undo app_rollback_decide(bool src, bool bak)
{
	if (!bak)
		return APP_UNDO_NOTHING;
	return src ? APP_UNDO_SWAP : APP_UNDO_RESTORE;
}

const char *app_step_name(enum app_step s)
{
	switch (s) {
	case APP_STEP_NOTHING: return "nothing to do";
	case APP_STEP_MOVE: return "move";
	case APP_STEP_RECORD: return "record";
	case APP_STEP_DONE: return "already done";
	case APP_STEP_CONFLICT: return "conflict";
	}
	return "?";
}
