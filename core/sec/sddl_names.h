/* SDDL's vocabulary: the alias tables shared by the parser and the formatter. */
#ifndef FERRY_SEC_SDDL_NAMES_H
#define FERRY_SEC_SDDL_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sec/sid.h"

struct sddl_name {
	const char *name;
	uint32_t value;
};

/* ACE types with an SDDL name; end with { NULL, 0 }. */
extern const struct sddl_name sddl_ace_types[];
/* ACE flags, in formatting order. */
extern const struct sddl_name sddl_ace_flags[];
/* Rights that are exact composites (FA, KR, ...), tried first when formatting. */
extern const struct sddl_name sddl_rights_composite[];
/* Single rights, in formatting order. */
extern const struct sddl_name sddl_rights_single[];
/* Mandatory-label rights (NW NR NX): formatted for ML ACEs only. */
extern const struct sddl_name sddl_rights_label[];

/** Look a 2-letter (or longer) name up in a table; NULL when absent. */
const struct sddl_name *sddl_name_find(const struct sddl_name *table, const char *s, size_t len);

/** The name of value in table, or NULL. */
const char *sddl_name_of(const struct sddl_name *table, uint32_t value);

/** The SID of a two-letter alias. Returns 1 found, 0 unknown, -1 domain-relative. */
int sddl_sid_alias(struct sid *out, const char *s);

/** The alias of a SID, or NULL. */
const char *sddl_sid_alias_of(const struct sid *s);

#endif
