/*
 * The ReACL walker (walk.h): an iterative depth-first walk with an explicit
 * stack, so a deep tree cannot overflow the C stack.
 *
 * Checkpoint record (one line of ASCII, replaced atomically by the caller's
 * storage):
 *
 *   "ferry-walk 1 " FP " " ROOT " " SEEN " " CHANGED " " FAILED " " SKIPPED " " PATH "\n"
 *
 *   FP       16 lower-case hex digits: FNV-1a 64 of the mode, the roots and the salt
 *   ROOT     decimal index of the root in progress; n = the whole walk is done
 *   SEEN..   decimal counts so far
 *   PATH     hex of the UTF-8 path of the last finished unit of ROOT, or "-"
 *            when no unit of ROOT has finished yet
 *
 * Invariants:
 *   1. Units finish in increasing walk_path_cmp order within a root, so
 *      "every unit <= PATH is done" holds whenever the record is stored.
 *   2. The counts in a record are exactly those of the units before it.
 *   3. A record that does not parse or whose FP differs is ignored.
 */
#include "sec/walk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sec/sd.h"
#include "util/hex.h"
#include "util/mem.h"

struct entry {
	char *name;
	unsigned attrs;
};

struct listing {
	struct entry *v;
	size_t n, cap;
};

struct frame {
	struct listing dirs; /* subdirectories to visit, sorted */
	size_t next;
	size_t path_len; /* length of this directory's path */
};

struct walker {
	const struct walk_opts *o;
	char sep;
	struct walk_counts c;
	char *path;
	size_t len;
	uint8_t *sd, *out;
	uint64_t fp;
	uint64_t since_ckpt;
	size_t root;
	char *resume; /* last finished unit of this root, or NULL */
};

int walk_path_cmp(const char *a, const char *b, char sep)
{
	const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;

	for (;; x++, y++) {
		/* The separator sorts below every byte except the end. */
		unsigned cx = *x == (unsigned char)sep ? 1u : *x ? *x + 1u : 0u;
		unsigned cy = *y == (unsigned char)sep ? 1u : *y ? *y + 1u : 0u;

		if (cx != cy)
			return cx < cy ? -1 : 1;
		if (!cx)
			return 0;
	}
}

static void listing_free(struct listing *l)
{
	for (size_t i = 0; i < l->n; i++)
		ferry_free(l->v[i].name);
	ferry_free(l->v);
	memset(l, 0, sizeof(*l));
}

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->name, ((const struct entry *)b)->name);
}

static ferry_err collect(void *arg, const char *name, unsigned attrs)
{
	struct listing *l = arg;

	if (!name[0] || !strcmp(name, ".") || !strcmp(name, ".."))
		return FERRY_OK;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct entry *v = ferry_realloc_array(l->v, cap, sizeof(*v));

		if (!v)
			return ferry_error_set(FERRY_ENOMEM, "walk: listing of %lu entries",
					       (unsigned long)cap);
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n].name = ferry_strdup(name);
	if (!l->v[l->n].name)
		return ferry_error_set(FERRY_ENOMEM, "walk: entry name");
	l->v[l->n++].attrs = attrs;
	return FERRY_OK;
}

static void fail(struct walker *w, const char *path, ferry_err e)
{
	w->c.failed++;
	if (w->o->failure)
		w->o->failure(w->o->cb_arg, path, e, ferry_error_detail());
}

/* Translate one object's SD; failures are counted, never returned. */
static void do_object(struct walker *w, const char *path, unsigned attrs)
{
	const struct walk_fs *fs = w->o->fs;
	void *obj = NULL;
	struct sd_out out = { .buf = w->out, .cap = SD_MAX_SIZE };
	bool changed = false;
	size_t len = 0;
	ferry_err e;

	w->c.seen++;
	w->since_ckpt++;
	if (attrs & WALK_ATTR_REPARSE)
		w->c.skipped_reparse++;
	e = fs->open(fs->ctx, path, attrs, &obj);
	if (e == FERRY_OK)
		e = fs->read_sd(fs->ctx, obj, w->sd, SD_MAX_SIZE, &len);
	if (e == FERRY_OK)
		e = sd_translate(w->sd, len, w->o->table, w->o->mode, &out, &changed);
	if (e == FERRY_OK && changed)
		e = fs->write_sd(fs->ctx, obj, out.data, out.len);
	if (obj)
		fs->close(fs->ctx, obj);
	if (e != FERRY_OK)
		fail(w, path, e);
	else if (changed)
		w->c.changed++;
}

/* Append sep + name to the path; false (counted as a failure) if too long. */
static bool path_push(struct walker *w, size_t base, const char *name)
{
	size_t n = strlen(name);
	bool need_sep = base > 0 && w->path[base - 1] != w->sep;

	if (base + need_sep + n >= WALK_PATH_MAX) {
		w->path[base] = '\0';
		fail(w, w->path, ferry_error_set(FERRY_ERANGE, "walk: path of '%s' is longer than %u bytes",
						 name, (unsigned)WALK_PATH_MAX));
		return false;
	}
	w->len = base;
	if (need_sep)
		w->path[w->len++] = w->sep;
	memcpy(w->path + w->len, name, n + 1);
	w->len += n;
	return true;
}

/* How a unit relates to the resume point. */
enum unit_plan { UNIT_DO, UNIT_DESCEND_ONLY, UNIT_SKIP };

static enum unit_plan plan_unit(const struct walker *w)
{
	size_t n = w->len;

	if (!w->resume || walk_path_cmp(w->path, w->resume, w->sep) > 0)
		return UNIT_DO;
	/* <= the checkpoint: done. Its descendants after the checkpoint are
	 * still to do, which only an ancestor (or the unit itself) can have. */
	if (!strncmp(w->resume, w->path, n) &&
	    (w->resume[n] == '\0' || w->resume[n] == w->sep || (n && w->path[n - 1] == w->sep)))
		return UNIT_DESCEND_ONLY;
	return UNIT_SKIP;
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

static uint64_t fingerprint(const struct walk_opts *o, const char *const *roots, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	unsigned char m = (unsigned char)o->mode;

	h = fnv(h, &m, 1);
	for (size_t i = 0; i < n; i++)
		h = fnv(h, roots[i], strlen(roots[i]) + 1);
	if (o->salt)
		h = fnv(h, o->salt, strlen(o->salt) + 1);
	return h;
}

static ferry_err ckpt_store(struct walker *w, size_t root, const char *path)
{
	size_t plen = path ? strlen(path) : 0;
	size_t cap = 160 + 2 * plen;
	char *rec;
	int n;
	ferry_err e;

	w->since_ckpt = 0;
	if (!w->o->ckpt_write)
		return FERRY_OK;
	rec = ferry_malloc(cap);
	if (!rec)
		return ferry_error_set(FERRY_ENOMEM, "walk: checkpoint record");
	n = snprintf(rec, cap, "ferry-walk 1 %016llx %lu %llu %llu %llu %llu ",
		     (unsigned long long)w->fp, (unsigned long)root, (unsigned long long)w->c.seen,
		     (unsigned long long)w->c.changed, (unsigned long long)w->c.failed,
		     (unsigned long long)w->c.skipped_reparse);
	if (n < 0 || (size_t)n >= cap - 2 * plen - 3) {
		ferry_free(rec);
		return ferry_error_set(FERRY_ERANGE, "walk: checkpoint record");
	}
	if (plen) {
		ferry_hex_encode(rec + n, (const uint8_t *)path, plen);
		n += (int)(2 * plen);
	} else {
		rec[n++] = '-';
	}
	rec[n++] = '\n';
	e = w->o->ckpt_write(w->o->ckpt_arg, (const uint8_t *)rec, (size_t)n);
	ferry_free(rec);
	return e == FERRY_OK ? e : ferry_error_wrap(e, "walk: storing the checkpoint: ");
}

/* Parse a decimal field; false when absent or malformed. */
static bool field_u64(char **cur, uint64_t *out)
{
	char *end;

	if (**cur < '0' || **cur > '9')
		return false;
	*out = strtoull(*cur, &end, 10);
	if (*end != ' ')
		return false;
	*cur = end + 1;
	return true;
}

/* Apply a stored checkpoint to w, or leave w at the start (invariant 3). */
static ferry_err ckpt_load(struct walker *w, size_t nroots)
{
	uint8_t *data = NULL;
	size_t len = 0, plen;
	char *rec = NULL, *cur, *end;
	uint64_t fp, root, c[4];
	ferry_err e;

	if (!w->o->ckpt_read)
		return FERRY_OK;
	e = w->o->ckpt_read(w->o->ckpt_arg, &data, &len);
	if (e == FERRY_ENOTFOUND)
		return FERRY_OK;
	if (e != FERRY_OK)
		return ferry_error_wrap(e, "walk: reading the checkpoint: ");
	if (len < 14 || len > 2 * (size_t)WALK_PATH_MAX + 200 || memcmp(data, "ferry-walk 1 ", 13))
		goto out;
	rec = ferry_malloc(len + 1);
	if (!rec) {
		e = ferry_error_set(FERRY_ENOMEM, "walk: checkpoint");
		goto out;
	}
	memcpy(rec, data, len);
	rec[len] = '\0';
	cur = rec + 13;
	fp = strtoull(cur, &end, 16);
	if (end != cur + 16 || *end != ' ' || fp != w->fp)
		goto out;
	cur = end + 1;
	if (!field_u64(&cur, &root) || root > nroots || !field_u64(&cur, &c[0]) ||
	    !field_u64(&cur, &c[1]) || !field_u64(&cur, &c[2]) || !field_u64(&cur, &c[3]))
		goto out;
	end = strchr(cur, '\n');
	if (!end || end[1] != '\0')
		goto out;
	*end = '\0';
	plen = (size_t)(end - cur);
	if (!strcmp(cur, "-")) {
		w->resume = NULL;
	} else {
		w->resume = ferry_malloc(plen / 2 + 1);
		if (!w->resume) {
			e = ferry_error_set(FERRY_ENOMEM, "walk: checkpoint path");
			goto out;
		}
		if (ferry_hex_decode((uint8_t *)w->resume, plen / 2, &plen, cur, plen) != FERRY_OK ||
		    memchr(w->resume, '\0', plen)) {
			ferry_free(w->resume);
			w->resume = NULL;
			ferry_error_clear();
			goto out;
		}
		w->resume[plen] = '\0';
	}
	w->root = (size_t)root;
	w->c = (struct walk_counts){ c[0], c[1], c[2], c[3] };
out:
	ferry_free(rec);
	ferry_free(data);
	return e;
}

/* One unit: the directory at w->path (per plan), its files, and the sorted
 * list of its subdirectories into *dirs. */
static ferry_err do_unit(struct walker *w, unsigned attrs, enum unit_plan plan,
			 struct listing *dirs)
{
	const struct walk_fs *fs = w->o->fs;
	struct listing all = { 0 };
	ferry_err e;

	if (plan == UNIT_DO)
		do_object(w, w->path, attrs);
	e = fs->list(fs->ctx, w->path, collect, &all);
	if (e == FERRY_ENOMEM)
		goto out;
	if (e != FERRY_OK) {
		/* Counted even when resuming: the subtree below is not visited. */
		fail(w, w->path, e);
		e = FERRY_OK;
		goto out;
	}
	for (size_t i = 0; i < all.n; i++) {
		struct entry *en = &all.v[i];

		if ((en->attrs & WALK_ATTR_DIR) && !(en->attrs & WALK_ATTR_REPARSE)) {
			e = collect(dirs, en->name, en->attrs);
			if (e != FERRY_OK)
				goto out;
			continue;
		}
		if (plan != UNIT_DO)
			continue;
		{
			size_t base = w->len;

			if (path_push(w, base, en->name))
				do_object(w, w->path, en->attrs);
			w->len = base;
			w->path[base] = '\0';
		}
	}
	if (dirs->n > 1)
		qsort(dirs->v, dirs->n, sizeof(dirs->v[0]), entry_cmp);
out:
	listing_free(&all);
	return e;
}

/* After a unit that was done: maybe store a checkpoint, then report. */
static ferry_err unit_done(struct walker *w)
{
	ferry_err e = FERRY_OK;

	if (w->since_ckpt >= w->o->ckpt_min_objects)
		e = ckpt_store(w, w->root, w->path);
	if (w->o->progress)
		w->o->progress(w->o->cb_arg, &w->c, w->path);
	return e;
}

static ferry_err walk_root(struct walker *w, const char *root)
{
	struct frame *stack = NULL;
	size_t depth = 0, cap = 0;
	unsigned attrs = 0;
	ferry_err e;

	if (!path_push(w, 0, root))
		return FERRY_OK;
	e = w->o->fs->attrs(w->o->fs->ctx, w->path, &attrs);
	if (e != FERRY_OK) {
		fail(w, w->path, e);
		return FERRY_OK;
	}
	if (!(attrs & WALK_ATTR_DIR) || (attrs & WALK_ATTR_REPARSE)) {
		if (plan_unit(w) == UNIT_DO) {
			do_object(w, w->path, attrs);
			e = unit_done(w);
		}
		return e;
	}
	for (bool visit = true;;) {
		enum unit_plan plan = visit ? plan_unit(w) : UNIT_SKIP;
		struct frame *top;

		if (plan != UNIT_SKIP) {
			if (depth == cap) {
				size_t ncap = cap ? cap * 2 : 16;
				struct frame *s = ferry_realloc_array(stack, ncap, sizeof(*s));

				if (!s) {
					e = ferry_error_set(FERRY_ENOMEM, "walk: depth %lu", (unsigned long)depth);
					goto out;
				}
				stack = s;
				cap = ncap;
			}
			top = &stack[depth++];
			memset(top, 0, sizeof(*top));
			top->path_len = w->len;
			e = do_unit(w, attrs, plan, &top->dirs);
			if (e == FERRY_OK && plan == UNIT_DO)
				e = unit_done(w);
			if (e != FERRY_OK)
				goto out;
		}
		/* The next subdirectory of the deepest frame that has one. */
		while (depth && stack[depth - 1].next == stack[depth - 1].dirs.n)
			listing_free(&stack[--depth].dirs);
		if (!depth)
			break;
		top = &stack[depth - 1];
		attrs = top->dirs.v[top->next].attrs;
		/* A path too long is counted by path_push; nothing under it is visited. */
		visit = path_push(w, top->path_len, top->dirs.v[top->next++].name);
	}
out:
	while (depth)
		listing_free(&stack[--depth].dirs);
	ferry_free(stack);
	return e;
}

ferry_err walk_run(struct walk_counts *counts, const struct walk_opts *o, const char *const *roots,
		   size_t n)
{
	struct walker w = { .o = o };
	ferry_err e;

	if (!counts || !o || !o->fs || !o->table || (n && !roots))
		return ferry_error_set(FERRY_EINVAL, "walk_run: missing argument");
	memset(counts, 0, sizeof(*counts));
	w.sep = o->fs->sep;
	w.fp = fingerprint(o, roots, n);
	w.path = ferry_malloc(WALK_PATH_MAX);
	w.sd = ferry_malloc(SD_MAX_SIZE);
	w.out = ferry_malloc(SD_MAX_SIZE);
	if (!w.path || !w.sd || !w.out) {
		e = ferry_error_set(FERRY_ENOMEM, "walk: buffers");
		goto out;
	}
	e = ckpt_load(&w, n);
	for (; e == FERRY_OK && w.root < n; w.root++) {
		e = walk_root(&w, roots[w.root]);
		ferry_free(w.resume);
		w.resume = NULL;
		if (e == FERRY_OK)
			e = ckpt_store(&w, w.root + 1, NULL);
	}
	*counts = w.c;
out:
	ferry_free(w.resume);
	ferry_free(w.path);
	ferry_free(w.sd);
	ferry_free(w.out);
	return e;
}
