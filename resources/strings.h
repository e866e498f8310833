/*
 * String-table IDs shared by resources/strings.rc and the Windows binaries
 * (the notifier, the credential tile, ferry-preview, the service). Plain
 * #defines so that both the C compiler and windres read this file.
 *
 * Screens: the title of core/ux's screen s is IDS_SCREEN_TITLE(s), its body
 * IDS_SCREEN_BODY(s), in enum ux_screen order (ux/texts.h); the en-US
 * strings are exactly the built-in texts of core/ux/texts.c (the Wine test
 * win.test_strings compares them). IDs never change meaning; add at the end.
 */
#ifndef FERRY_RESOURCES_STRINGS_H
#define FERRY_RESOURCES_STRINGS_H

#define IDI_FERRY 1 /* the application icon */

#define IDS_SCREEN_BASE 1000
#define IDS_SCREEN_TITLE(s) (IDS_SCREEN_BASE + 2 * (s))
#define IDS_SCREEN_BODY(s) (IDS_SCREEN_BASE + 2 * (s) + 1)
#define IDS_SCREEN_COUNT 8 /* == UX_SCREEN_COUNT */

/* Labels of the dialogs and the tile (accessible names included). */
#define IDS_UI_START_NOW 2000
#define IDS_UI_SNOOZE 2001
#define IDS_UI_SUBMIT 2002
#define IDS_UI_USERNAME 2003
#define IDS_UI_PASSWORD 2004
#define IDS_UI_CLOSE 2005
#define IDS_UI_OK 2006
#define IDS_UI_SNOOZE_1H 2007
#define IDS_UI_SNOOZE_4H 2008
#define IDS_UI_SNOOZE_TOMORROW 2009
#define IDS_UI_COUNTDOWN 2010        /* "{minutes}" placeholder */
#define IDS_UI_CHECKING 2011
#define IDS_UI_CREDENTIALS_OK 2012
#define IDS_UI_CREDENTIALS_FAILED 2013
#define IDS_UI_LOGO_NAME 2014        /* the logo's accessible name */
#define IDS_UI_QR_NAME 2015          /* the QR code's accessible name */
#define IDS_UI_TILE_LABEL 2016       /* the credential tile's label */
#define IDS_UI_FALLBACK_TILE_LABEL 2017
#define IDS_UI_LATER 2018
#define IDS_UI_HIDE 2019
#define IDS_UI_REMIND_ME 2020        /* the snooze choice's label */
#define IDS_UI_COUNTDOWN_CLOCK 2021  /* "{time}" placeholder, m:ss */
#define IDS_UI_SNOOZE_1D 2022
#define IDS_UI_SIGN_IN 2023
#define IDS_UI_USERNAME_LABEL 2024   /* "User name:" beside its box */
#define IDS_UI_PASSWORD_LABEL 2025
#define IDS_UI_GUIDANCE 2026         /* migration_complete's steps */
#define IDS_UI_FIELD_TEXT 2027       /* credential tile field labels */
#define IDS_UI_FIELD_PHASE 2028
#define IDS_UI_FIELD_PROGRESS 2029
#define IDS_UI_FIELD_STATUS 2030
#define IDS_UI_FIELD_TITLE 2031
#define IDS_UI_FIRST IDS_UI_START_NOW
#define IDS_UI_LAST IDS_UI_FIELD_TITLE
#define IDS_UI_COUNT (IDS_UI_LAST - IDS_UI_FIRST + 1)

#endif
