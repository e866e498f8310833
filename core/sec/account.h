/*
 * The account-name grammar, in UTF-8: one home for the tile (what a user
 * typed) and the service (who is being migrated).
 *
 *   account  = domain "\" user      NetBIOS form: split at the first '\'
 *            | user "@" domain      UPN form: split at the last '@'
 *
 * Both parts are non-empty; the user part holds neither '\' nor '@'. The
 * "account part" of a name is what follows its last '\', cut before the
 * first '@' ("DOM\jdoe", "jdoe@dom.example" and "jdoe" all give "jdoe").
 *
 * Names compare without case the way Windows' ordinal ignore-case compare
 * does for the scripts folded here (ASCII, Latin-1, Latin Extended-A,
 * Greek, Cyrillic); other code points compare exactly.
 */
#ifndef FERRY_SEC_ACCOUNT_H
#define FERRY_SEC_ACCOUNT_H

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

#define ACCOUNT_PART_MAX 256u /* bytes of UTF-8 per part, without the NUL */

struct account_name {
	char domain[ACCOUNT_PART_MAX + 1];
	char user[ACCOUNT_PART_MAX + 1];
};

/**
 * Split `in` ("DOMAIN\user" or "user@domain", UTF-8) into *out. Fails with
 * FERRY_EINVAL naming the rule broken (never echoing `in`, which a user
 * typed) when it is neither form, a part is empty or too long, the user part
 * holds a separator, or `in` is not UTF-8.
 */
ferry_err account_split(struct account_name *out, const char *in);

/** The account part of `name` into out[cap] (truncated to fit, always terminated). */
void account_part(char *out, size_t cap, const char *name);

/** Whether a and b are the same name without case (see above); "" equals nothing. */
bool account_same(const char *a, const char *b);

struct sec_table;
/**
 * Who is being migrated: the entry of `t` whose target name is `user`
 * (compared without case) as a whole name, else by account part alone.
 * *found = the entry's index, or SIZE_MAX when no entry matches. Two
 * entries matching by account part alone are ambiguous: FERRY_EINVAL,
 * asking for DOMAIN\user.
 */
ferry_err account_table_match(size_t *found, const struct sec_table *t, const char *user);

#endif
