/* The account-name grammar (account.h). */
#include "sec/account.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "sec/table.h"

/* One code point from s (UTF-8); 0xFFFFFFFF for a malformed sequence.
 * *len receives the bytes used (at least 1 unless at the end). */
static uint32_t next_cp(const unsigned char *s, size_t *len)
{
	uint32_t c = s[0];
	size_t n = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 :
		   (c & 0xF8) == 0xF0 ? 4 : 0;

	*len = 1;
	if (!n)
		return 0xFFFFFFFFu;
	c = n == 1 ? c : n == 2 ? c & 0x1F : n == 3 ? c & 0x0F : c & 0x07;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0xFFFFFFFFu;
		c = c << 6 | (s[i] & 0x3F);
	}
	*len = n;
	return c;
}

static bool utf8_ok(const char *s)
{
	size_t n;

	for (; *s; s += n)
		if (next_cp((const unsigned char *)s, &n) == 0xFFFFFFFFu)
			return false;
	return true;
}

/* Upper case for the scripts account.h names; everything else unchanged. */
static uint32_t fold(uint32_t c)
{
	if (c >= 'a' && c <= 'z')
		return c - 32;
	if ((c >= 0xE0 && c <= 0xFE && c != 0xF7) || (c >= 0x3B1 && c <= 0x3C9 && c != 0x3C2) ||
	    (c >= 0x430 && c <= 0x44F))
		return c - 32;
	if (c >= 0x450 && c <= 0x45F)
		return c - 80;
	/* Latin Extended-A: pairs, upper case even (0x100..0x137, 0x14A..0x177),
	 * upper case odd (0x139..0x148, 0x179..0x17E). */
	if (((c >= 0x100 && c <= 0x137) || (c >= 0x14A && c <= 0x177)) && (c & 1))
		return c - 1;
	if (((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) && !(c & 1))
		return c - 1;
	return c;
}

bool account_same(const char *a, const char *b)
{
	size_t na, nb;

	if (!a || !b || !*a)
		return false;
	while (*a && *b) {
		uint32_t ca = next_cp((const unsigned char *)a, &na);
		uint32_t cb = next_cp((const unsigned char *)b, &nb);

		if (ca == 0xFFFFFFFFu || cb == 0xFFFFFFFFu || fold(ca) != fold(cb))
			return false;
		a += na;
		b += nb;
	}
	return !*a && !*b;
}

static ferry_err copy_part(char *dst, const char *src, size_t len, const char *what)
{
	if (!len)
		return ferry_error_set(FERRY_EINVAL, "account name: the %s part is empty", what);
	if (len > ACCOUNT_PART_MAX)
		return ferry_error_set(FERRY_EINVAL, "account name: the %s part is longer than %u "
				       "bytes", what, ACCOUNT_PART_MAX);
	memcpy(dst, src, len);
	dst[len] = '\0';
	return FERRY_OK;
}

ferry_err account_split(struct account_name *out, const char *in)
{
	const char *sep;
	ferry_err err;

	memset(out, 0, sizeof(*out));
	if (!in || !utf8_ok(in))
		return ferry_error_set(FERRY_EINVAL, "account name: not UTF-8 text");
	if ((sep = strchr(in, '\\')) != NULL) {
		if ((err = copy_part(out->domain, in, (size_t)(sep - in), "domain")) == FERRY_OK)
			err = copy_part(out->user, sep + 1, strlen(sep + 1), "user");
	} else if ((sep = strrchr(in, '@')) != NULL) {
		if ((err = copy_part(out->user, in, (size_t)(sep - in), "user")) == FERRY_OK)
			err = copy_part(out->domain, sep + 1, strlen(sep + 1), "domain");
	} else {
		err = ferry_error_set(FERRY_EINVAL, "account name: neither DOMAIN\\user nor "
				      "user@domain");
	}
	if (err == FERRY_OK && strpbrk(out->user, "\\@"))
		err = ferry_error_set(FERRY_EINVAL, "account name: the user part holds a '\\' or '@'");
	if (err != FERRY_OK)
		memset(out, 0, sizeof(*out));
	return err;
}

void account_part(char *out, size_t cap, const char *name)
{
	const char *bs = strrchr(name, '\\');
	size_t n;

	if (!cap)
		return;
	name = bs ? bs + 1 : name;
	n = strcspn(name, "@");
	if (n >= cap)
		n = cap - 1;
	memcpy(out, name, n);
	out[n] = '\0';
}

ferry_err account_table_match(size_t *found, const struct sec_table *t, const char *user)
{
	char want_acct[ACCOUNT_PART_MAX * 2 + 2], acct[ACCOUNT_PART_MAX * 2 + 2];
	size_t by_acct = SIZE_MAX, n_acct = 0;

	*found = SIZE_MAX;
	if (!user || !*user)
		return FERRY_OK;
	account_part(want_acct, sizeof(want_acct), user);
	for (size_t i = 0; i < t->count; i++) {
		const char *name = t->names[2 * i + 1];

		if (!name || !*name)
			continue;
		if (account_same(name, user)) {
			*found = i;
			return FERRY_OK;
		}
		account_part(acct, sizeof(acct), name);
		if (account_same(acct, want_acct))
			by_acct = i, n_acct++;
	}
	if (n_acct > 1)
		return ferry_error_set(FERRY_EINVAL, "the translation table has %zu target accounts "
				       "named like %s; name it as DOMAIN\\user", n_acct, user);
	*found = by_acct;
	return FERRY_OK;
}
