#include "fake_fs.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sec/sddl.h"
#include "util/mem.h"

#define FS(ctx) ((struct fake_fs *)(ctx))

static ferry_err crashed(void)
{
	return ferry_error_set(FERRY_EIO, "fake fs: the process has crashed");
}

/* The parent of path is dir when path = dir + "/" + one component. */
static bool is_child(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return !strncmp(path, dir, n) && path[n] == '/' && path[n + 1] && !strchr(path + n + 1, '/');
}

static ferry_err list(void *ctx, const char *dir, walk_entry_fn each, void *arg)
{
	struct fake_fs *f = FS(ctx);
	struct fake_fs_node *d = fake_fs_find(f, dir);

	if (f->crashed)
		return crashed();
	f->lists++;
	if (!d)
		return ferry_error_set(FERRY_ENOTFOUND, "fake fs: list %s: no such directory", dir);
	d->lists++;
	if (d->fail_list)
		return ferry_error_set(FERRY_EPERM, "fake fs: list %s: Win32 error 5", dir);
	/* Reverse insertion order, so the walker cannot rely on sorted listings. */
	for (size_t i = f->n; i-- > 0;) {
		if (is_child(f->nodes[i].path, dir)) {
			ferry_err e = each(arg, strrchr(f->nodes[i].path, '/') + 1, f->nodes[i].attrs);

			if (e != FERRY_OK)
				return e;
		}
	}
	return FERRY_OK;
}

static ferry_err attrs(void *ctx, const char *path, unsigned *out)
{
	struct fake_fs_node *n = fake_fs_find(FS(ctx), path);

	if (FS(ctx)->crashed)
		return crashed();
	if (!n)
		return ferry_error_set(FERRY_ENOTFOUND, "fake fs: %s: Win32 error 2", path);
	*out = n->attrs;
	return FERRY_OK;
}

static ferry_err open_obj(void *ctx, const char *path, unsigned at, void **obj)
{
	struct fake_fs *f = FS(ctx);
	struct fake_fs_node *n;

	(void)at;
	if (f->crashed)
		return crashed();
	if (++f->opens == f->crash_at_open) {
		f->crashed = true;
		return crashed();
	}
	n = fake_fs_find(f, path);
	if (!n)
		return ferry_error_set(FERRY_ENOTFOUND, "fake fs: open %s: Win32 error 2", path);
	n->opens++;
	if (n->fail_open)
		return ferry_error_set(FERRY_EPERM, "fake fs: open %s: Win32 error 5", path);
	*obj = n;
	return FERRY_OK;
}

static ferry_err read_sd(void *ctx, void *obj, uint8_t *buf, size_t cap, size_t *len)
{
	struct fake_fs_node *n = obj;

	if (FS(ctx)->crashed)
		return crashed();
	if (n->sd_len > cap)
		return ferry_error_set(FERRY_ERANGE, "fake fs: SD too big");
	memcpy(buf, n->sd, n->sd_len);
	*len = n->sd_len;
	return FERRY_OK;
}

static ferry_err write_sd(void *ctx, void *obj, const uint8_t *sd, size_t len)
{
	struct fake_fs_node *n = obj;

	if (FS(ctx)->crashed)
		return crashed();
	if (n->fail_write)
		return ferry_error_set(FERRY_EPERM, "fake fs: write %s: Win32 error 5", n->path);
	if (len > sizeof(n->sd))
		return ferry_error_set(FERRY_ERANGE, "fake fs: SD too big");
	memcpy(n->sd, sd, len);
	n->sd_len = len;
	n->writes++;
	FS(ctx)->writes++;
	return FERRY_OK;
}

static void close_obj(void *ctx, void *obj)
{
	(void)ctx;
	(void)obj;
}

void fake_fs_init(struct fake_fs *f)
{
	memset(f, 0, sizeof(*f));
	f->fs = (struct walk_fs){
		.ctx = f, .sep = '/', .list = list, .attrs = attrs, .open = open_obj,
		.read_sd = read_sd, .write_sd = write_sd, .close = close_obj,
	};
}

void fake_fs_free(struct fake_fs *f)
{
	ferry_free(f->nodes);
	ferry_free(f->ckpt);
	memset(f, 0, sizeof(*f));
}

struct fake_fs_node *fake_fs_add(struct fake_fs *f, const char *path, unsigned at, const char *sddl)
{
	struct fake_fs_node *n;
	uint8_t *sd = NULL;
	size_t len = 0;

	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 64;
		struct fake_fs_node *v = ferry_realloc_array(f->nodes, cap, sizeof(*v));

		assert_non_null(v);
		f->nodes = v;
		f->cap = cap;
	}
	n = &f->nodes[f->n++];
	memset(n, 0, sizeof(*n));
	assert_true(strlen(path) < sizeof(n->path));
	strcpy(n->path, path);
	n->attrs = at;
	assert_int_equal(sddl_parse(&sd, &len, sddl, strlen(sddl)), FERRY_OK);
	assert_true(len <= sizeof(n->sd));
	memcpy(n->sd, sd, len);
	n->sd_len = len;
	ferry_free(sd);
	return n;
}

struct fake_fs_node *fake_fs_find(struct fake_fs *f, const char *path)
{
	for (size_t i = 0; i < f->n; i++)
		if (!strcmp(f->nodes[i].path, path))
			return &f->nodes[i];
	return NULL;
}

ferry_err fake_fs_ckpt_read(void *arg, uint8_t **data, size_t *len)
{
	struct fake_fs *f = arg;

	if (f->crashed)
		return crashed();
	if (!f->ckpt)
		return ferry_error_set(FERRY_ENOTFOUND, "fake fs: no checkpoint");
	*data = ferry_malloc(f->ckpt_len ? f->ckpt_len : 1);
	if (!*data)
		return ferry_error_set(FERRY_ENOMEM, "fake fs: checkpoint copy");
	memcpy(*data, f->ckpt, f->ckpt_len);
	*len = f->ckpt_len;
	return FERRY_OK;
}

ferry_err fake_fs_ckpt_write(void *arg, const uint8_t *data, size_t len)
{
	struct fake_fs *f = arg;
	uint8_t *copy;

	if (f->crashed)
		return crashed();
	copy = ferry_malloc(len ? len : 1);
	if (!copy)
		return ferry_error_set(FERRY_ENOMEM, "fake fs: checkpoint");
	memcpy(copy, data, len);
	ferry_free(f->ckpt);
	f->ckpt = copy;
	f->ckpt_len = len;
	f->ckpt_writes++;
	return FERRY_OK;
}

void fake_fs_restart(struct fake_fs *f)
{
	f->crashed = false;
	f->crash_at_open = 0;
	f->opens = f->writes = f->lists = 0;
	for (size_t i = 0; i < f->n; i++)
		f->nodes[i].opens = f->nodes[i].writes = f->nodes[i].lists = 0;
}
