/*
 * The translation-table builder: which source account becomes which target
 * account, from two directory snapshots, ordered rules and the admin's
 * overrides. Nothing ambiguous is guessed: a rule counts only where it
 * yields exactly one candidate, and what no rule settles goes to the
 * report. docs/directory.md describes the rules, the report and the files.
 *
 *   rules (dir_rules_parse / dir_rules_default)
 *   overrides (dir_overrides_parse)          --> dir_table_build --> dir_build
 *   source and target snapshots (snapshot.h)                          |
 *                                  dir_table_csv (table.csv, hashed) <-+-> dir_report_csv
 */
#ifndef FERRY_DIR_TABLE_BUILD_H
#define FERRY_DIR_TABLE_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dir/snapshot.h"
#include "util/err.h"

#define DIR_RULES_VERSION 1
#define DIR_MAX_RULES 32
#define DIR_MAX_NORMS 8
#define DIR_RULE_NAME_MAX 48
#define DIR_RULES_MAX_FILE (64u << 10)
#define DIR_OVERRIDES_MAX_FILE (16u << 20)
#define DIR_OVERRIDES_MAX 100000u
#define DIR_TABLE_MAGIC "# ferry-table 1 sha256="

/* The attributes an equality rule may compare. */
enum dir_attr {
	DIR_ATTR_SAM = 1,   /* sAMAccountName */
	DIR_ATTR_UPN,       /* userPrincipalName */
	DIR_ATTR_MAIL,      /* mail */
	DIR_ATTR_EMPLOYEE_ID,
};

enum dir_norm_op {
	DIR_NORM_LOWER = 1,      /* ASCII letters to lower case */
	DIR_NORM_TRIM,           /* outer blanks removed */
	DIR_NORM_STRIP_DOMAIN,   /* "a@b" -> "a", "DOM\a" -> "a" */
	DIR_NORM_REPLACE_DOMAIN, /* "a@b" -> "a@<arg>" (values without '@' unchanged) */
	DIR_NORM_REGEX,          /* keep the first group, or the whole match; none -> no key */
};

struct dir_regex;

struct dir_norm {
	enum dir_norm_op op;
	char *arg;             /* replace_domain's domain, regex's pattern */
	struct dir_regex *re;  /* compiled regex */
};

enum dir_rule_type {
	DIR_RULE_SID_HISTORY = 1, /* the target's sIDHistory holds the source's objectSid */
	DIR_RULE_WELLKNOWN_RID,   /* RIDs 500, 512-516: the same RID in the target domain */
	DIR_RULE_ATTRIBUTE,       /* normalised source attribute == normalised target attribute */
};

struct dir_rule {
	enum dir_rule_type type;
	char name[DIR_RULE_NAME_MAX];
	enum dir_attr src_attr, dst_attr;
	struct dir_norm src_norm[DIR_MAX_NORMS], dst_norm[DIR_MAX_NORMS];
	size_t n_src_norm, n_dst_norm;
};

struct dir_rules {
	struct dir_rule rule[DIR_MAX_RULES];
	size_t n;
};

/** The default chain: sid_history, wellknown_rid, sam, upn (domain ignored), mail, employee_id. */
ferry_err dir_rules_default(struct dir_rules **out);

/** Parse rules JSON (docs/directory.md); every refusal names the rule and key. */
ferry_err dir_rules_parse(struct dir_rules **out, const char *json, size_t len);

/** Free; NULL-safe. */
void dir_rules_free(struct dir_rules *r);

/**
 * The key of value under a normaliser chain, written to out (cap bytes,
 * NUL-terminated). False when there is no key (empty value, regex without
 * a match, result longer than cap - 1).
 */
bool dir_norm_apply(char *out, size_t cap, const struct dir_norm *n, size_t count,
                    const char *value);

/** Compile a pattern of the dialect described in regex.c. */
ferry_err dir_regex_compile(struct dir_regex **out, const char *pattern);
/** Find the first match in s[0..n): the group's span (or the match's). */
bool dir_regex_extract(const struct dir_regex *re, const char *s, size_t n, size_t *off,
                       size_t *len);
void dir_regex_free(struct dir_regex *re);

/* One admin override: source and target are SIDs or sAMAccountNames; target "-" excludes. */
struct dir_override {
	char *source, *target;
	unsigned line;
};

struct dir_overrides {
	struct dir_override *v;
	size_t n;
};

/** Parse overrides CSV (source,target[,comment], header optional, '#' comments). */
ferry_err dir_overrides_parse(struct dir_overrides **out, const char *csv, size_t len);

/** Free; NULL-safe. */
void dir_overrides_free(struct dir_overrides *o);

/* What the report says about one source (or target). Never renumbered. */
enum dir_reason {
	DIR_R_UNMATCHED = 1,    /* error: no rule found a candidate */
	DIR_R_AMBIGUOUS_1_TO_N, /* error: a rule found several candidates, none found one */
	DIR_R_AMBIGUOUS_N_TO_1, /* error: several sources resolved to this one target */
	DIR_R_TARGET_USED,      /* error: the target already stands for another source */
	DIR_R_TARGET_DISABLED,  /* warning: mapped, but the target account is disabled */
	DIR_R_TARGET_EXPIRED,   /* warning: mapped, but the target account has expired */
	DIR_R_EXCLUDED,         /* info: an override says never to map this source */
};

#define DIR_NONE ((size_t)-1)

struct dir_pair {
	size_t src, dst;  /* object indices into the source and target snapshots */
	const char *rule; /* borrowed: the rule's name or "override" */
};

struct dir_finding {
	enum dir_reason reason;
	size_t src, dst; /* DIR_NONE when not applicable */
	const char *rule;
	char *detail; /* owned; never NULL */
};

struct dir_build {
	struct dir_pair *pairs;
	size_t n_pairs;
	struct dir_finding *findings;
	size_t n_findings, cap_findings;
	size_t sources;          /* users and groups of the source domain considered */
	size_t builtin_skipped;  /* builtin aliases (S-1-5-32-*) and other non-account SIDs */
	size_t computers_skipped;
	size_t by_rule[DIR_MAX_RULES + 1]; /* pairs per rule; [n rules] = overrides */
};

/**
 * Match src against dst. Refused (the whole build): snapshots of one
 * domain, an override naming an account in neither snapshot or of another
 * kind, two overrides for one source or one target. On success *out holds
 * the pairs (sorted by source name) and findings (by reason, then name).
 */
ferry_err dir_table_build(struct dir_build **out, const struct dir_snapshot *src,
                          const struct dir_snapshot *dst, const struct dir_rules *rules,
                          const struct dir_overrides *ov);

/** Free; NULL-safe. */
void dir_build_free(struct dir_build *b);

/** "unmatched", "ambiguous_1_to_n", ... */
const char *dir_reason_name(enum dir_reason r);

/** "error", "warning" or "info". */
const char *dir_reason_severity(enum dir_reason r);

/**
 * The table as CSV for `ferry acl` (source_sid,target_sid,source_name,
 * target_name), opened by the line DIR_TABLE_MAGIC<sha256>, where the hash
 * covers every byte after that first line. hash receives it.
 */
ferry_err dir_table_csv(char **out, size_t *len, char hash[65], const struct dir_build *b,
                        const struct dir_snapshot *src, const struct dir_snapshot *dst);

/** Check a table's first line against the rest; hash receives the recorded hash. */
ferry_err dir_table_verify(char hash[65], const char *text, size_t len);

/**
 * The report CSV: header reason,severity,kind,source_name,source_sid,
 * target_name,target_sid,rule,detail and one row per finding.
 */
ferry_err dir_report_csv(char **out, size_t *len, const struct dir_build *b,
                         const struct dir_snapshot *src, const struct dir_snapshot *dst);

#endif
