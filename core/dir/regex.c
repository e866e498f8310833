/*
 * The small regular-expression dialect of the table rules' "regex"
 * normaliser (docs/directory.md). core/ is portable and mingw has no
 * <regex.h>, so Ferry carries its own, kept deliberately small:
 *
 *   literals, `.`, classes `[a-z0-9._-]` and `[^@]`, the escapes \d \w \s
 *   and `\` before any punctuation, the greedy quantifiers * + ? on one
 *   atom, `^` at the start, `$` at the end, and at most one capture group
 *   `( ... )` (not quantified, not nested). No alternation, no {m,n}, no
 *   back-references: each is refused when the rules are read.
 *
 * Matching is on bytes (a non-ASCII character is its UTF-8 bytes; classes
 * hold ASCII only). It backtracks with a step budget, so a hostile pattern
 * costs at most RE_STEPS steps per value and then simply does not match.
 */
#include <string.h>

#include "dir/table_build.h"
#include "util/mem.h"

#define RE_MAX_PATTERN 256
#define RE_MAX_NODES 256
#define RE_STEPS 100000ul

enum re_type { RE_SET, RE_GROUP_START, RE_GROUP_END };

struct re_node {
	uint8_t type;
	char quant; /* 0, '*', '+' or '?' */
	uint8_t set[32];
};

struct dir_regex {
	struct re_node node[RE_MAX_NODES];
	size_t n;
	bool bol, eol, group, closed;
};

static void set_add(uint8_t *set, unsigned c)
{
	set[c >> 3] |= (uint8_t)(1u << (c & 7));
}

static bool in_set(const uint8_t *set, unsigned char c)
{
	return set[c >> 3] >> (c & 7) & 1;
}

static void set_range(uint8_t *set, unsigned a, unsigned b)
{
	for (unsigned c = a; c <= b; c++)
		set_add(set, c);
}

/* \d \w \s into set; false for another letter (refused). */
static bool class_escape(uint8_t *set, char e)
{
	switch (e) {
	case 'd':
		set_range(set, '0', '9');
		return true;
	case 'w':
		set_range(set, '0', '9');
		set_range(set, 'a', 'z');
		set_range(set, 'A', 'Z');
		set_add(set, '_');
		return true;
	case 's':
		set_add(set, ' '), set_add(set, '\t'), set_add(set, '\r'), set_add(set, '\n');
		return true;
	default:
		return !((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z') || (e >= '0' && e <= '9')) &&
		       (set_add(set, (unsigned char)e), true);
	}
}

/* A class starting after '['; *i ends after ']'. */
static ferry_err parse_class(uint8_t *set, const char *p, size_t n, size_t *i)
{
	bool negate = *i < n && p[*i] == '^';
	bool first = true;

	if (negate)
		(*i)++;
	for (;; first = false) {
		unsigned char c;

		if (*i >= n)
			return ferry_error_set(FERRY_ECORRUPT, "regex: unterminated [");
		c = (unsigned char)p[(*i)++];
		if (c == ']' && !first)
			break;
		if (c >= 0x80)
			return ferry_error_set(FERRY_ECORRUPT, "regex: classes hold ASCII only");
		if (c == '\\') {
			if (*i >= n || !class_escape(set, p[(*i)++]))
				return ferry_error_set(FERRY_ECORRUPT, "regex: unknown escape in [ ]");
			continue;
		}
		if (*i + 1 < n && p[*i] == '-' && p[*i + 1] != ']') {
			unsigned char hi = (unsigned char)p[*i + 1];

			if (hi >= 0x80 || hi < c)
				return ferry_error_set(FERRY_ECORRUPT, "regex: bad range %c-%c", c, hi);
			set_range(set, c, hi);
			*i += 2;
			continue;
		}
		set_add(set, c);
	}
	if (negate) {
		for (size_t k = 0; k < 32; k++)
			set[k] = (uint8_t)~set[k];
	}
	return FERRY_OK;
}

static ferry_err parse_atom(struct dir_regex *re, struct re_node *nd, const char *p, size_t n,
                            size_t *i)
{
	char c = p[(*i)++];

	nd->type = RE_SET;
	switch (c) {
	case '.':
		memset(nd->set, 0xFF, sizeof(nd->set));
		return FERRY_OK;
	case '[':
		return parse_class(nd->set, p, n, i);
	case '\\':
		if (*i >= n || !class_escape(nd->set, p[(*i)++]))
			return ferry_error_set(FERRY_ECORRUPT, "regex: unknown escape");
		return FERRY_OK;
	case '(':
		if (re->group)
			return ferry_error_set(FERRY_ECORRUPT, "regex: only one ( ) group is supported");
		re->group = true;
		nd->type = RE_GROUP_START;
		return FERRY_OK;
	case ')':
		if (!re->group || re->closed)
			return ferry_error_set(FERRY_ECORRUPT, "regex: ) without (");
		re->closed = true;
		nd->type = RE_GROUP_END;
		return FERRY_OK;
	case '|':
	case '{':
	case '}':
	case '*':
	case '+':
	case '?':
	case '^':
	case '$':
		return ferry_error_set(FERRY_ECORRUPT, "regex: '%c' at offset %zu is not supported here",
		                       c, *i - 1);
	default:
		set_add(nd->set, (unsigned char)c);
		return FERRY_OK;
	}
}

ferry_err dir_regex_compile(struct dir_regex **out, const char *p)
{
	size_t n = strlen(p), i = 0;
	struct dir_regex *re;
	ferry_err rc = FERRY_OK;

	*out = NULL;
	if (n == 0 || n > RE_MAX_PATTERN)
		return ferry_error_set(FERRY_ECORRUPT, "regex: length %zu (1..%d)", n, RE_MAX_PATTERN);
	if (!(re = ferry_calloc(1, sizeof(*re))))
		return ferry_error_set(FERRY_ENOMEM, "regex: out of memory");
	if (p[0] == '^')
		re->bol = true, i = 1;
	if (n > i && p[n - 1] == '$' && !(n >= 2 && p[n - 2] == '\\'))
		re->eol = true, n--;
	while (rc == FERRY_OK && i < n) {
		struct re_node *nd = &re->node[re->n];

		if (re->n == RE_MAX_NODES) {
			rc = ferry_error_set(FERRY_ECORRUPT, "regex: more than %d atoms", RE_MAX_NODES);
			break;
		}
		if ((rc = parse_atom(re, nd, p, n, &i)) != FERRY_OK)
			break;
		if (i < n && (p[i] == '*' || p[i] == '+' || p[i] == '?')) {
			if (nd->type != RE_SET)
				rc = ferry_error_set(FERRY_ECORRUPT, "regex: a group cannot be repeated");
			nd->quant = p[i++];
		}
		re->n++;
	}
	if (rc == FERRY_OK && re->group && !re->closed)
		rc = ferry_error_set(FERRY_ECORRUPT, "regex: ( without )");
	if (rc != FERRY_OK) {
		ferry_free(re);
		return rc;
	}
	*out = re;
	return FERRY_OK;
}

void dir_regex_free(struct dir_regex *re)
{
	ferry_free(re);
}

/* 1 match, 0 none, -1 budget spent. cap[] is rewritten on every path that passes a group. */
static int match_here(const struct dir_regex *re, size_t k, const char *s, size_t n, size_t pos,
                      size_t *cap, unsigned long *steps)
{
	const struct re_node *nd;
	size_t count = 0, min, max;

	if (++*steps > RE_STEPS)
		return -1;
	if (k == re->n) {
		cap[2] = pos;
		return !re->eol || pos == n;
	}
	nd = &re->node[k];
	if (nd->type != RE_SET) {
		cap[nd->type == RE_GROUP_START ? 0 : 1] = pos;
		return match_here(re, k + 1, s, n, pos, cap, steps);
	}
	min = nd->quant == '*' || nd->quant == '?' ? 0 : 1;
	max = nd->quant == '*' || nd->quant == '+' ? n - pos : 1;
	while (count < max && pos + count < n && in_set(nd->set, (unsigned char)s[pos + count]))
		count++;
	for (size_t c = count + 1; c-- > min;) {
		int r = match_here(re, k + 1, s, n, pos + c, cap, steps);

		if (r)
			return r;
	}
	return 0;
}

bool dir_regex_extract(const struct dir_regex *re, const char *s, size_t n, size_t *off,
                       size_t *len)
{
	unsigned long steps = 0;
	size_t cap[3] = {0, 0, 0};

	for (size_t start = 0; start <= n; start++) {
		int r = match_here(re, 0, s, n, start, cap, &steps);

		if (r < 0)
			return false;
		if (r > 0) {
			*off = re->group ? cap[0] : start;
			*len = re->group ? cap[1] - cap[0] : cap[2] - start;
			return true;
		}
		if (re->bol)
			break;
	}
	return false;
}
