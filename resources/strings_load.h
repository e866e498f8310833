/*
 * Reading Ferry's string tables (strings.rc) in a chosen language, for the
 * Windows binaries (ferrystrings library). The screen texts go into core/ux
 * with ux_texts_set_builtin, so every screen a binary shows is in the
 * table's language; labels (IDS_UI_*) are read one by one.
 */
#ifndef FERRY_STRINGS_LOAD_H
#define FERRY_STRINGS_LOAD_H

#include <windows.h>

#include "strings.h"
#include "util/err.h"

/* 0 = the user's UI language (GetUserDefaultUILanguage). */
#define FERRY_LANG_DEFAULT 0
#define FERRY_LANG_EN_US MAKELANGID(LANG_ENGLISH, SUBLANG_ENGLISH_US)
#define FERRY_LANG_EN_GB MAKELANGID(LANG_ENGLISH, SUBLANG_ENGLISH_UK)

/**
 * String `id` of module `mod` in language `lang`, falling back to en-US
 * when that language has no table, into out[cap] (NUL-terminated).
 * FERRY_ENOTFOUND when neither has it; FERRY_ERANGE when it does not fit.
 */
ferry_err ferry_string_load(wchar_t *out, size_t cap, HMODULE mod, UINT id, LANGID lang);

/**
 * Install every screen's title and text from `mod`'s table in `lang` as
 * core/ux's built-in texts (ux_texts_set_builtin). A string the table
 * lacks, or one ux refuses, leaves that screen's English in place; the
 * first such failure is returned after all the others were applied.
 */
ferry_err ferry_strings_apply(HMODULE mod, LANGID lang);

#endif
