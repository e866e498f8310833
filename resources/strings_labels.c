/*
 * The labels (IDS_UI_*) every binary draws: built-in en-US text, replaced
 * by a string table's language when ferry_strings_apply installs one.
 *
 * Invariants: builtin[] is the en-US table of strings.rc, entry for entry
 * (win.test_strings compares them); ferry_label never returns NULL. The
 * loaded copies live in static storage and are written only by
 * ferry_strings_labels_apply, which each binary calls once at start-up
 * before any window or tile exists (ferrycp: once per process, when its
 * first provider is created), so readers never see a half-written label.
 */
#include "strings_load.h"

#include <wchar.h>

#include "ux/texts.h"

#define LABEL_MAX 256 /* the guidance text is the longest: ~130 characters */

static const wchar_t *const builtin[IDS_UI_COUNT] = {
	[IDS_UI_START_NOW - IDS_UI_FIRST] = L"Start now",
	[IDS_UI_SNOOZE - IDS_UI_FIRST] = L"Snooze",
	[IDS_UI_SUBMIT - IDS_UI_FIRST] = L"Submit",
	[IDS_UI_USERNAME - IDS_UI_FIRST] = L"User name",
	[IDS_UI_PASSWORD - IDS_UI_FIRST] = L"Password",
	[IDS_UI_CLOSE - IDS_UI_FIRST] = L"Close",
	[IDS_UI_OK - IDS_UI_FIRST] = L"OK",
	[IDS_UI_SNOOZE_1H - IDS_UI_FIRST] = L"1 hour",
	[IDS_UI_SNOOZE_4H - IDS_UI_FIRST] = L"4 hours",
	[IDS_UI_SNOOZE_TOMORROW - IDS_UI_FIRST] = L"Tomorrow",
	[IDS_UI_COUNTDOWN - IDS_UI_FIRST] = L"Starts in {minutes} minutes",
	[IDS_UI_CHECKING - IDS_UI_FIRST] = L"Checking your account...",
	[IDS_UI_CREDENTIALS_OK - IDS_UI_FIRST] = L"Your new account is ready on this PC.",
	[IDS_UI_CREDENTIALS_FAILED - IDS_UI_FIRST] =
		L"The user name or password is incorrect. Try again.",
	[IDS_UI_LOGO_NAME - IDS_UI_FIRST] = L"Your organization's logo",
	[IDS_UI_QR_NAME - IDS_UI_FIRST] = L"QR code: scan it for help with the move",
	[IDS_UI_TILE_LABEL - IDS_UI_FIRST] = L"Sign in with your new account",
	[IDS_UI_FALLBACK_TILE_LABEL - IDS_UI_FIRST] = L"Service desk sign-in",
	[IDS_UI_LATER - IDS_UI_FIRST] = L"Later",
	[IDS_UI_HIDE - IDS_UI_FIRST] = L"Hide",
	[IDS_UI_REMIND_ME - IDS_UI_FIRST] = L"Remind me in:",
	[IDS_UI_COUNTDOWN_CLOCK - IDS_UI_FIRST] = L"Starts in {time}",
	[IDS_UI_SNOOZE_1D - IDS_UI_FIRST] = L"1 day",
	[IDS_UI_SIGN_IN - IDS_UI_FIRST] = L"Sign in",
	[IDS_UI_USERNAME_LABEL - IDS_UI_FIRST] = L"User name:",
	[IDS_UI_PASSWORD_LABEL - IDS_UI_FIRST] = L"Password:",
	[IDS_UI_GUIDANCE - IDS_UI_FIRST] =
		L"1. Connect the VPN.\n2. Press Windows+L to lock your PC, then unlock it with your "
		L"password, so your PC gets its new settings.",
	[IDS_UI_FIELD_TEXT - IDS_UI_FIRST] = L"Text",
	[IDS_UI_FIELD_PHASE - IDS_UI_FIRST] = L"Phase",
	[IDS_UI_FIELD_PROGRESS - IDS_UI_FIRST] = L"Progress",
	[IDS_UI_FIELD_STATUS - IDS_UI_FIRST] = L"Status",
	[IDS_UI_FIELD_TITLE - IDS_UI_FIRST] = L"Ferry",
};

static wchar_t loaded[IDS_UI_COUNT][LABEL_MAX];

const wchar_t *ferry_label(UINT id)
{
	if (id < IDS_UI_FIRST || id > IDS_UI_LAST)
		return L"";
	if (loaded[id - IDS_UI_FIRST][0])
		return loaded[id - IDS_UI_FIRST];
	return builtin[id - IDS_UI_FIRST];
}

const wchar_t *ferry_label_builtin(UINT id)
{
	return id < IDS_UI_FIRST || id > IDS_UI_LAST ? L"" : builtin[id - IDS_UI_FIRST];
}

ferry_err ferry_strings_labels_apply(HMODULE mod, LANGID lang)
{
	ferry_err first = FERRY_OK;

	for (UINT id = IDS_UI_FIRST; id <= IDS_UI_LAST; id++) {
		wchar_t *slot = loaded[id - IDS_UI_FIRST];
		ferry_err rc = ferry_string_load(slot, LABEL_MAX, mod, id, lang);

		if (rc) {
			slot[0] = L'\0'; /* the built-in English stays */
			if (!first)
				first = rc;
		}
	}
	return first;
}

void ferry_strings_reset(void)
{
	for (UINT i = 0; i < IDS_UI_COUNT; i++)
		loaded[i][0] = L'\0';
	ux_texts_reset_builtin();
}
