/*
 * String tables read straight from the resource section, so the language
 * is the one asked for, not the thread's: RT_STRING block n (1-based) holds
 * IDs 16(n-1) .. 16(n-1)+15 as 16 counted UTF-16 strings,
 *
 *   +--------+----------------------+--------+-----
 *   | len u16| len UTF-16 units     | len u16| ...    (16 entries, len 0 = absent)
 *   +--------+----------------------+--------+-----
 *
 * and every length is checked against the block's size before it is read.
 */
#include "strings_load.h"

#include <string.h>

#include "util/mem.h"
#include "util/utf.h"
#include "ux/texts.h"

static ferry_err load_exact(wchar_t *out, size_t cap, HMODULE mod, UINT id, LANGID lang)
{
	HRSRC res = FindResourceExW(mod, (LPCWSTR)RT_STRING, MAKEINTRESOURCEW(id / 16 + 1), lang);
	const uint8_t *p;
	DWORD size, off = 0;
	HGLOBAL g;

	if (!res)
		return ferry_error_set(FERRY_ENOTFOUND, "string %u: no table for language 0x%04x", id,
				       (unsigned)lang);
	size = SizeofResource(mod, res);
	g = LoadResource(mod, res);
	p = g ? LockResource(g) : NULL;
	if (!p)
		return ferry_error_set(FERRY_ESYSTEM, "string %u: LoadResource failed", id);
	for (UINT i = 0; i <= id % 16; i++) {
		unsigned len;

		if (size - off < 2)
			return ferry_error_set(FERRY_ECORRUPT, "string table: block ends at %lu", (unsigned long)off);
		len = (unsigned)p[off] | (unsigned)p[off + 1] << 8;
		off += 2;
		if ((size - off) / 2 < len)
			return ferry_error_set(FERRY_ECORRUPT, "string table: entry overruns block (offset %lu)",
					       (unsigned long)off);
		if (i == id % 16) {
			if (len == 0)
				return ferry_error_set(FERRY_ENOTFOUND, "string %u: absent", id);
			if (len >= cap)
				return ferry_error_set(FERRY_ERANGE, "string %u: %u characters, room for %zu", id,
						       len, cap - 1);
			memcpy(out, p + off, (size_t)len * 2);
			out[len] = L'\0';
			return FERRY_OK;
		}
		off += 2 * len;
	}
	return ferry_error_set(FERRY_ENOTFOUND, "string %u: absent", id);
}

ferry_err ferry_string_load(wchar_t *out, size_t cap, HMODULE mod, UINT id, LANGID lang)
{
	ferry_err rc;

	if (!out || !cap)
		return ferry_error_set(FERRY_EINVAL, "ferry_string_load: no buffer");
	if (lang == FERRY_LANG_DEFAULT)
		lang = GetUserDefaultUILanguage();
	rc = load_exact(out, cap, mod, id, lang);
	if (rc == FERRY_ENOTFOUND && lang != FERRY_LANG_EN_US)
		rc = load_exact(out, cap, mod, id, FERRY_LANG_EN_US);
	return rc;
}

/* String id as UTF-8 in a new buffer (ferry_free). */
static ferry_err load_utf8(char **out, HMODULE mod, UINT id, LANGID lang)
{
	wchar_t w[UX_BODY_MAX + 1];
	size_t n;
	ferry_err rc = ferry_string_load(w, UX_BODY_MAX + 1, mod, id, lang);

	*out = NULL;
	if (rc)
		return rc;
	return ferry_utf16_to_utf8(out, &n, (const uint16_t *)w, wcslen(w));
}

ferry_err ferry_strings_apply(HMODULE mod, LANGID lang)
{
	ferry_err first = FERRY_OK, labels;

	for (int s = 0; s < UX_SCREEN_COUNT && s < IDS_SCREEN_COUNT; s++) {
		char *title = NULL, *body = NULL;
		ferry_err rc = load_utf8(&title, mod, IDS_SCREEN_TITLE(s), lang);

		if (!rc)
			rc = load_utf8(&body, mod, IDS_SCREEN_BODY(s), lang);
		if (!rc)
			rc = ux_texts_set_builtin((enum ux_screen)s, title, body);
		if (rc && !first)
			first = rc;
		ferry_free(title);
		ferry_free(body);
	}
	labels = ferry_strings_labels_apply(mod, lang);
	return first ? first : labels;
}
