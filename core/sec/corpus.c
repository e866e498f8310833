/* The benchmark corpus (see corpus.h). */
#include "sec/corpus.h"

#include <stdio.h>
#include <string.h>

#include "sec/sd.h"
#include "util/mem.h"

/* Source and target domains of the generated table. */
#define SRC_DOMAIN 21u, 1004336348u, 1177238915u, 682003330u
#define DST_DOMAIN 21u, 3623811015u, 3361044348u, 30300820u
#define SRC_RID0 1100u
#define DST_RID0 2100u

static uint64_t next(uint64_t *s)
{
	/* splitmix64: small, fast, and the same on every platform. */
	uint64_t z = (*s += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static struct sid mk(uint64_t auth, int n, const uint32_t *sub)
{
	struct sid s = {.revision = 1, .count = (uint8_t)n, .authority = auth};

	memcpy(s.sub, sub, (size_t)n * sizeof(*sub));
	return s;
}

static struct sid domain_sid(int target, uint32_t rid)
{
	const uint32_t src[5] = {SRC_DOMAIN, rid}, dst[5] = {DST_DOMAIN, rid};

	return mk(5, 5, target ? dst : src);
}

static ferry_err make_table(struct sec_table **out)
{
	char s[SID_STRING_MAX], d[SID_STRING_MAX];
	ferry_err rc = sec_table_new(out);

	for (unsigned i = 0; rc == FERRY_OK && i < SD_CORPUS_TABLE_ROWS; i++) {
		struct sid a = domain_sid(0, SRC_RID0 + i), b = domain_sid(1, DST_RID0 + i);

		sid_format(&a, s);
		sid_format(&b, d);
		rc = sec_table_add(*out, s, d, NULL, NULL, i + 1);
	}
	if (rc == FERRY_OK)
		rc = sec_table_finish(*out);
	return rc;
}

/* The ACE templates; index 0 is the user's own ACE and is always present.
 * A template names its trustee by well-known authority and RIDs, or (auth 0)
 * the corpus user. */
static const struct ace_template {
	uint8_t type;
	uint64_t auth; /* 0 = the user */
	int n_sub;
	uint32_t sub[2];
	uint32_t mask;
	uint8_t flags;
} templates[10] = {
	{ACE_ACCESS_ALLOWED, 0, 0, {0}, 0x1F01FF, 0x03},        /* user: full, inheritable */
	{ACE_ACCESS_ALLOWED, 5, 1, {18}, 0x1F01FF, 0x03},       /* SYSTEM */
	{ACE_ACCESS_ALLOWED, 5, 2, {32, 544}, 0x1F01FF, 0x03},  /* Administrators */
	{ACE_ACCESS_ALLOWED, 3, 1, {0}, 0x10000000, 0x0B},      /* CREATOR OWNER, inherit-only */
	{ACE_ACCESS_ALLOWED, 5, 2, {32, 545}, 0x1200A9, 0x03},  /* Users: read & execute */
	{ACE_ACCESS_ALLOWED, 5, 1, {11}, 0x1301BF, 0x03},       /* Authenticated Users: modify */
	{ACE_ACCESS_ALLOWED, 0, 0, {0}, 0x1301BF, 0x00},        /* user: modify, this object */
	{ACE_ACCESS_ALLOWED, 1, 1, {0}, 0x120089, 0x00},        /* Everyone: read */
	{ACE_ACCESS_ALLOWED, 5, 1, {19}, 0x1200A9, 0x02},       /* LOCAL SERVICE */
	{ACE_ACCESS_DENIED, 1, 1, {0}, 0x40, 0x00},             /* Everyone: deny delete child */
};

static struct sd_ace pick_ace(int k, const struct sid *user, bool inherited)
{
	const struct ace_template *t = &templates[k < 0 || k > 9 ? 9 : k];
	struct sd_ace a = {.type = t->type, .mask = t->mask, .flags = t->flags};

	a.trustee = t->auth ? mk(t->auth, t->n_sub, t->sub) : *user;
	if (inherited)
		a.flags |= ACE_INHERITED;
	return a;
}

static ferry_err make_dacl(struct sd_acl **out, uint64_t *rng, const struct sid *user)
{
	int order[10], n = 3 + (int)(next(rng) % 8);
	bool inherited = next(rng) % 100 < 60;
	ferry_err rc = sd_acl_new(out, ACL_REVISION);

	for (int i = 0; i < 10; i++)
		order[i] = i;
	/* Partial Fisher-Yates over templates 1..9; the user's ACE leads. */
	for (int i = 1; i < n; i++) {
		int j = i + (int)(next(rng) % (uint64_t)(10 - i)), t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	for (int i = 0; rc == FERRY_OK && i < n; i++) {
		struct sd_ace a = pick_ace(order[i], user, inherited && i % 3 != 2);

		rc = sd_acl_append(*out, &a);
	}
	return rc;
}

static ferry_err make_sd(struct ferry_buf *b, uint64_t *rng, bool source)
{
	static const uint32_t ba[] = {32, 544}, sy[] = {18}, low[] = {4096};
	struct sd_doc *doc = NULL;
	struct sid user = source ? domain_sid(0, SRC_RID0 + (uint32_t)(next(rng) % 1000))
	                         : domain_sid(0, 200000 + (uint32_t)(next(rng) % 50000));
	uint64_t r = next(rng) % 100;
	ferry_err rc = sd_doc_new(&doc);

	if (rc != FERRY_OK)
		return rc;
	doc->control |= SE_DACL_PRESENT | SE_DACL_AUTO_INHERITED;
	if (r < 10)
		doc->control |= SE_DACL_PROTECTED;
	doc->has_owner = doc->has_group = true;
	doc->owner = r < 50 ? user : r < 80 ? mk(5, 2, ba) : mk(5, 1, sy);
	doc->group = r % 2 ? domain_sid(0, 513) : mk(5, 1, sy);
	rc = make_dacl(&doc->dacl, rng, &user);
	if (rc == FERRY_OK && r % 20 == 7) {
		struct sd_ace ml = {.type = ACE_SYSTEM_MANDATORY_LABEL,
		                    .flags = 0x03,
		                    .mask = 1,
		                    .trustee = mk(16, 1, low)};

		doc->control |= SE_SACL_PRESENT;
		rc = sd_acl_new(&doc->sacl, ACL_REVISION);
		if (rc == FERRY_OK)
			rc = sd_acl_append(doc->sacl, &ml);
	}
	if (rc == FERRY_OK)
		rc = sd_doc_encode(b, doc);
	sd_doc_free(doc);
	return rc;
}

ferry_err sd_corpus_make(struct sd_corpus **out, size_t count, uint64_t seed)
{
	struct sd_corpus *c = ferry_calloc(1, sizeof(*c));
	struct ferry_buf b;
	uint64_t rng = seed;
	ferry_err rc = c ? FERRY_OK : ferry_error_set(FERRY_ENOMEM, "corpus: out of memory");

	*out = NULL;
	ferry_buf_init(&b, (size_t)1 << 34);
	if (rc == FERRY_OK && !(c->off = ferry_calloc(count + 1, sizeof(*c->off))))
		rc = ferry_error_set(FERRY_ENOMEM, "corpus: out of memory");
	if (rc == FERRY_OK)
		rc = make_table(&c->table);
	for (size_t i = 0; rc == FERRY_OK && i < count; i++) {
		bool source = next(&rng) % 100 < 20;

		c->off[i] = b.len;
		c->with_source += source;
		rc = make_sd(&b, &rng, source);
	}
	if (rc != FERRY_OK) {
		ferry_buf_free(&b);
		sd_corpus_free(c);
		return rc;
	}
	c->count = count;
	c->off[count] = b.len;
	c->bytes = ferry_buf_detach(&b, &c->total);
	*out = c;
	return FERRY_OK;
}

void sd_corpus_free(struct sd_corpus *c)
{
	if (!c)
		return;
	ferry_free(c->bytes);
	ferry_free(c->off);
	sec_table_free(c->table);
	ferry_free(c);
}
