/*
 * SDDL's vocabulary (MS-DTYP 2.5.1.1 and 2.4.2.4). Only aliases whose SID is
 * the same on every machine are here; the domain-relative ones are listed
 * so the parser can say why it refuses them.
 */
#include "sec/sddl_names.h"

#include <string.h>

#include "sec/sd.h"

const struct sddl_name sddl_ace_types[] = {
    {"A", ACE_ACCESS_ALLOWED},
    {"D", ACE_ACCESS_DENIED},
    {"AU", ACE_SYSTEM_AUDIT},
    {"AL", ACE_SYSTEM_ALARM},
    {"OA", ACE_ACCESS_ALLOWED_OBJECT},
    {"OD", ACE_ACCESS_DENIED_OBJECT},
    {"OU", ACE_SYSTEM_AUDIT_OBJECT},
    {"OL", ACE_SYSTEM_ALARM_OBJECT},
    {"XA", ACE_ACCESS_ALLOWED_CALLBACK},
    {"XD", ACE_ACCESS_DENIED_CALLBACK},
    {"ZA", ACE_ACCESS_ALLOWED_CALLBACK_OBJECT},
    {"XU", ACE_SYSTEM_AUDIT_CALLBACK},
    {"ML", ACE_SYSTEM_MANDATORY_LABEL},
    {"RA", ACE_SYSTEM_RESOURCE_ATTRIBUTE},
    {"SP", ACE_SYSTEM_SCOPED_POLICY_ID},
    {NULL, 0},
};

const struct sddl_name sddl_ace_flags[] = {
    {"OI", ACE_OBJECT_INHERIT},
    {"CI", ACE_CONTAINER_INHERIT},
    {"NP", ACE_NO_PROPAGATE_INHERIT},
    {"IO", ACE_INHERIT_ONLY},
    {"ID", ACE_INHERITED},
    {"SA", ACE_SUCCESSFUL_ACCESS},
    {"FA", ACE_FAILED_ACCESS},
    {NULL, 0},
};

const struct sddl_name sddl_rights_composite[] = {
    {"FA", 0x1F01FF}, {"FR", 0x120089}, {"FW", 0x120116}, {"FX", 0x1200A0}, {"KA", 0xF003F},
    {"KR", 0x20019},  {"KW", 0x20006},  {"KX", 0x20019},  {NULL, 0},
};

/* Ascending bit order, as Windows writes them ("CCDCLCSWRPWPDTLOCRSDRCWDWO"). */
const struct sddl_name sddl_rights_single[] = {
    {"CC", 0x1},        {"DC", 0x2},        {"LC", 0x4},     {"SW", 0x8},        {"RP", 0x10},
    {"WP", 0x20},       {"DT", 0x40},       {"LO", 0x80},    {"CR", 0x100},      {"SD", 0x10000},
    {"RC", 0x20000},    {"WD", 0x40000},    {"WO", 0x80000}, {"GA", 0x10000000}, {"GX", 0x20000000},
    {"GW", 0x40000000}, {"GR", 0x80000000}, {NULL, 0},
};

const struct sddl_name sddl_rights_label[] = {
    {"NW", 0x1},
    {"NR", 0x2},
    {"NX", 0x4},
    {NULL, 0},
};

struct sid_alias {
	const char *name;
	uint8_t authority;
	uint8_t count;
	uint32_t sub[6];
};

static const struct sid_alias aliases[] = {
    {"WD", 1, 1, {0}},
    {"CO", 3, 1, {0}},
    {"CG", 3, 1, {1}},
    {"OW", 3, 1, {4}},
    {"NU", 5, 1, {2}},
    {"IU", 5, 1, {4}},
    {"SU", 5, 1, {6}},
    {"AN", 5, 1, {7}},
    {"ED", 5, 1, {9}},
    {"PS", 5, 1, {10}},
    {"AU", 5, 1, {11}},
    {"RC", 5, 1, {12}},
    {"SY", 5, 1, {18}},
    {"LS", 5, 1, {19}},
    {"NS", 5, 1, {20}},
    {"WR", 5, 1, {33}},
    {"BA", 5, 2, {32, 544}},
    {"BU", 5, 2, {32, 545}},
    {"BG", 5, 2, {32, 546}},
    {"PU", 5, 2, {32, 547}},
    {"AO", 5, 2, {32, 548}},
    {"SO", 5, 2, {32, 549}},
    {"PO", 5, 2, {32, 550}},
    {"BO", 5, 2, {32, 551}},
    {"RE", 5, 2, {32, 552}},
    {"RU", 5, 2, {32, 554}},
    {"RD", 5, 2, {32, 555}},
    {"NO", 5, 2, {32, 556}},
    {"MU", 5, 2, {32, 558}},
    {"LU", 5, 2, {32, 559}},
    {"IS", 5, 2, {32, 568}},
    {"CY", 5, 2, {32, 569}},
    {"ER", 5, 2, {32, 573}},
    {"CD", 5, 2, {32, 574}},
    {"RA", 5, 2, {32, 575}},
    {"ES", 5, 2, {32, 576}},
    {"MS", 5, 2, {32, 577}},
    {"HA", 5, 2, {32, 578}},
    {"AA", 5, 2, {32, 579}},
    {"RM", 5, 2, {32, 580}},
    {"UD", 5, 6, {84, 0, 0, 0, 0, 0}},
    {"AC", 15, 2, {2, 1}},
    {"LW", 16, 1, {4096}},
    {"ME", 16, 1, {8192}},
    {"MP", 16, 1, {8448}},
    {"HI", 16, 1, {12288}},
    {"SI", 16, 1, {16384}},
    {"AS", 18, 1, {1}},
    {"SS", 18, 1, {2}},
};

/* Aliases for SIDs inside "the" domain, which a file's SD cannot resolve alone. */
static const char *const domain_relative[] = {
    "LA", "LG", "DA", "DU", "DG", "DC", "DD", "CA", "SA",
    "EA", "PA", "RS", "CN", "AP", "KA", "EK", "RO", "HO",
};

const struct sddl_name *sddl_name_find(const struct sddl_name *table, const char *s, size_t len)
{
	for (; table->name; table++)
		if (strlen(table->name) == len && !memcmp(table->name, s, len))
			return table;
	return NULL;
}

const char *sddl_name_of(const struct sddl_name *table, uint32_t value)
{
	for (; table->name; table++)
		if (table->value == value)
			return table->name;
	return NULL;
}

int sddl_sid_alias(struct sid *out, const char *s)
{
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++) {
		if (memcmp(aliases[i].name, s, 2))
			continue;
		memset(out, 0, sizeof(*out));
		out->revision = SID_REVISION;
		out->authority = aliases[i].authority;
		out->count = aliases[i].count;
		memcpy(out->sub, aliases[i].sub, sizeof(aliases[i].sub));
		return 1;
	}
	for (size_t i = 0; i < sizeof(domain_relative) / sizeof(domain_relative[0]); i++)
		if (!memcmp(domain_relative[i], s, 2))
			return -1;
	return 0;
}

const char *sddl_sid_alias_of(const struct sid *s)
{
	if (s->count > 6 || s->authority > 255)
		return NULL;
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (aliases[i].authority == s->authority && aliases[i].count == s->count &&
		    !memcmp(aliases[i].sub, s->sub, s->count * sizeof(uint32_t)))
			return aliases[i].name;
	return NULL;
}
