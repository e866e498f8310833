/* The translation table: building it, refusing bad mappings, the hash. */
#include "sec/table.h"

#include "util/mem.h"

ferry_err sec_table_new(struct sec_table **out)
{
	struct sec_table *t = ferry_calloc(1, sizeof(*t));

	*out = NULL;
	if (!t)
		return ferry_error_set(FERRY_ENOMEM, "table: out of memory");
	t->mask = 15;
	t->slots = ferry_calloc(t->mask + 1, sizeof(*t->slots));
	if (!t->slots) {
		ferry_free(t);
		return ferry_error_set(FERRY_ENOMEM, "table: out of memory");
	}
	*out = t;
	return FERRY_OK;
}

void sec_table_free(struct sec_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < 2 * t->count; i++)
		ferry_free(t->names[i]);
	ferry_free(t->names);
	ferry_free(t->lines);
	ferry_free(t->entries);
	ferry_free(t->slots);
	ferry_free(t);
}

static void slot_insert(uint64_t *slots, size_t mask, const struct sec_table_entry *e, size_t index)
{
	uint64_t h = sec_sid_hash(e->src, e->src_len);
	size_t i = h & mask;

	while (slots[i])
		i = (i + 1) & mask;
	slots[i] = (h >> 32 << 32) | (uint64_t)(index + 1);
}

/* Keep the load factor at or below 1/2 so a miss costs about one probe. */
static ferry_err grow(struct sec_table *t)
{
	if (t->count == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct sec_table_entry *e = ferry_realloc_array(t->entries, cap, sizeof(*e));
		char **n;
		unsigned *l;

		if (!e)
			return ferry_error_set(FERRY_ENOMEM, "table: out of memory");
		t->entries = e;
		if (!(n = ferry_realloc_array(t->names, 2 * cap, sizeof(*n))))
			return ferry_error_set(FERRY_ENOMEM, "table: out of memory");
		t->names = n;
		if (!(l = ferry_realloc_array(t->lines, cap, sizeof(*l))))
			return ferry_error_set(FERRY_ENOMEM, "table: out of memory");
		t->lines = l;
		t->cap = cap;
	}
	if ((t->count + 1) * 2 > t->mask + 1) {
		size_t mask = t->mask * 2 + 1;
		uint64_t *slots = ferry_calloc(mask + 1, sizeof(*slots));

		if (!slots)
			return ferry_error_set(FERRY_ENOMEM, "table: out of memory");
		for (size_t i = 0; i < t->count; i++)
			slot_insert(slots, mask, &t->entries[i], i);
		ferry_free(t->slots);
		t->slots = slots;
		t->mask = mask;
	}
	return FERRY_OK;
}

static ferry_err parse_sid(struct sid *s, const char *text, unsigned line, const char *what)
{
	ferry_err rc = sid_from_string(s, text, strlen(text));

	if (rc != FERRY_OK)
		return ferry_error_wrap(rc, "table line %u: %s \"%.80s\": ", line, what, text);
	return FERRY_OK;
}

static char *dup_name(const char *s)
{
	return (s && *s) ? ferry_strdup(s) : NULL;
}

ferry_err sec_table_add(struct sec_table *t, const char *src, const char *dst, const char *src_name,
                        const char *dst_name, unsigned line)
{
	struct sid s, d;
	struct sec_table_entry *e;
	const struct sec_table_entry *dup;
	uint32_t bit;
	ferry_err rc;

	if ((rc = parse_sid(&s, src, line, "source SID")) != FERRY_OK ||
	    (rc = parse_sid(&d, dst, line, "target SID")) != FERRY_OK)
		return rc;
	if (!sid_is_account(&s))
		return ferry_error_set(
		    FERRY_EINVAL, "table line %u: source %.80s is a well-known or non-account SID",
		    line, src);
	if (sid_equal(&s, &d))
		return ferry_error_set(FERRY_EINVAL, "table line %u: %.80s maps to itself", line,
		                       src);
	if (t->count >= SEC_TABLE_MAX_ENTRIES)
		return ferry_error_set(FERRY_ERANGE, "table line %u: more than %u entries", line,
		                       SEC_TABLE_MAX_ENTRIES);
	if ((rc = grow(t)) != FERRY_OK)
		return rc;
	e = &t->entries[t->count];
	memset(e, 0, sizeof(*e));
	e->src_len = (uint8_t)sid_to_bytes(&s, e->src);
	e->dst_len = (uint8_t)sid_to_bytes(&d, e->dst);
	dup = sec_table_lookup(t, e->src, e->src_len);
	if (dup)
		return ferry_error_set(FERRY_EINVAL,
		                       "table line %u: source %.80s already listed on line %u",
		                       line, src, t->lines[dup - t->entries]);
	t->names[2 * t->count] = dup_name(src_name);
	t->names[2 * t->count + 1] = dup_name(dst_name);
	t->lines[t->count] = line;
	if ((src_name && *src_name && !t->names[2 * t->count]) ||
	    (dst_name && *dst_name && !t->names[2 * t->count + 1])) {
		ferry_free(t->names[2 * t->count]);
		ferry_free(t->names[2 * t->count + 1]);
		return ferry_error_set(FERRY_ENOMEM, "table: out of memory");
	}
	slot_insert(t->slots, t->mask, e, t->count);
	t->src_counts |= 1u << e->src[1];
	bit = sec_filter_bit(e->src, e->src_len);
	t->filter[bit / 64] |= 1ull << (bit % 64);
	t->count++;
	return FERRY_OK;
}

ferry_err sec_table_finish(struct sec_table *t)
{
	for (size_t i = 0; i < t->count; i++) {
		const struct sec_table_entry *e = &t->entries[i];
		const struct sec_table_entry *hit = sec_table_lookup(t, e->dst, e->dst_len);
		struct sid d;
		char text[SID_STRING_MAX];
		size_t used;

		if (!hit)
			continue;
		(void)sid_from_bytes(&d, &used, e->dst, e->dst_len, 0);
		sid_format(&d, text);
		return ferry_error_set(FERRY_EINVAL,
		                       "table line %u: target %s is also the source on line %u "
		                       "(chains and cycles are refused)",
		                       t->lines[i], text, t->lines[hit - t->entries]);
	}
	return FERRY_OK;
}
