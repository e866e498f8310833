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
 * core/ux's built-in texts (ux_texts_set_builtin), and every label for
 * ferry_label (ferry_strings_labels_apply). A string the table
 * lacks, or one ux refuses, leaves that screen's English in place; the
 * first such failure is returned after all the others were applied.
 */
ferry_err ferry_strings_apply(HMODULE mod, LANGID lang);

/**
 * Label `id` (IDS_UI_*) in the language ferry_strings_apply installed, else
 * the built-in en-US text; "" for an id that is no label. Never NULL; valid
 * for the life of the process (until the next apply/reset).
 */
const wchar_t *ferry_label(UINT id);

/** Label `id`'s built-in en-US text (what ferry_label gives before any apply). */
const wchar_t *ferry_label_builtin(UINT id);

/**
 * Only the labels part of ferry_strings_apply: each label `mod`'s table in
 * `lang` has replaces the built-in one; the others stay English. Returns
 * the first failure after trying every label.
 */
ferry_err ferry_strings_labels_apply(HMODULE mod, LANGID lang);

/** Back to the built-in English labels and screen texts (for tests). */
void ferry_strings_reset(void);

#endif
