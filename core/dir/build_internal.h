/* The state dir_table_build shares between build.c and build_finish.c. */
#ifndef FERRY_DIR_BUILD_INTERNAL_H
#define FERRY_DIR_BUILD_INTERNAL_H

#include "dir/table_build.h"
#include "sec/sid.h"

/* Candidates named in an ambiguous finding's detail. */
#define MAX_CAND 5

/* A key -> object index, sorted by key (then object). Keys are owned. */
struct idx_entry {
	char *key;
	size_t obj;
};

struct index {
	struct idx_entry *e;
	size_t n, cap;
};

enum src_state {
	SRC_OPEN = 0,     /* the rules decide */
	SRC_OVERRIDE = 1, /* an override paired it */
	SRC_EXCLUDED = 2, /* an override excluded it */
};

struct ctx {
	const struct dir_snapshot *src, *dst;
	const struct dir_rules *rules;
	struct dir_build *b;
	struct sid src_dom, dst_dom;
	int64_t now; /* the target snapshot's time, Unix seconds */
	uint8_t *src_ok, *dst_ok; /* eligible: user or group of its own domain */
	uint8_t *state;           /* enum src_state per source */
	size_t *assigned;         /* per source: its target or DIR_NONE */
	size_t *rule_of;          /* per source: the deciding rule (rules->n = override) */
	struct index dst_sid, dst_history, dst_sam, src_sid, src_sam; /* sam keys lower-cased */
	struct index attr[DIR_MAX_RULES]; /* per attribute rule: normalised target values */
	char *key;                        /* DIR_MAX_VALUE + 1 bytes of scratch */
};

ferry_err dir_idx_add(struct index *ix, const char *key, size_t obj);
size_t dir_idx_find(const struct index *ix, const char *key);

/* Record a finding; detail is printf-style. */
ferry_err dir_finding_add(struct ctx *c, enum dir_reason r, size_t src, size_t dst,
                          const char *rule, const char *fmt, ...) FERRY_PRINTF(6, 7);
ferry_err dir_finding_ambiguous(struct ctx *c, size_t src, const char *rule, const size_t *cand,
                                size_t n);

/* "NETBIOS\sam" (or the DN) of an object, into buf. */
const char *dir_account_name(char *buf, size_t cap, const struct dir_snapshot *s, size_t i);

ferry_err dir_apply_overrides(struct ctx *c, const struct dir_overrides *ov);
ferry_err dir_resolve_conflicts(struct ctx *c);
ferry_err dir_finish(struct ctx *c);

#endif
