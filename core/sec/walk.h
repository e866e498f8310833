/*
 * The ReACL walker: visit every object under a list of roots, translate each
 * one's security descriptor with sd_translate, and write it back only when
 * the translation changed it. Portable: the objects come through a small
 * seam (struct walk_fs), a file system on Windows (service/win/reacl_files.c),
 * a registry hive (service/win/reacl_hives.c), or the tests' tree in memory.
 *
 * Order and units. Directories are visited depth first, each directory's
 * subdirectories in byte order of their UTF-8 names, so the order is a pure
 * function of the tree. A *unit* is one directory: its own SD, then the SDs
 * of its non-directory entries and of its reparse points. Units finish in
 * pre-order, which is the byte order of their paths with the separator
 * sorting below every other byte ("a" < "a\b" < "a-b"): walk_path_cmp.
 *
 * Reparse points (junctions, symbolic links, cloud placeholders, registry
 * links) are never followed: the link's own SD is translated (the seam opens
 * the link itself, not its target) and, for a directory, nothing below it is
 * visited. Each is counted in skipped_reparse.
 *
 * Checkpoints. After a finished unit the walker may store (through the
 * caller's callbacks) the root index, the unit's path and the counts so
 * far; a walk restarted after a crash or reboot skips every unit whose path
 * is <= the checkpoint and whose root is the checkpoint's, and every earlier
 * root, and goes on with the counts it stored. Redoing part of a unit is
 * harmless: translation is idempotent. A checkpoint belongs to one walk: its
 * fingerprint covers the mode, the roots and the caller's salt; a checkpoint
 * with another fingerprint, or one that does not parse, is ignored (the walk
 * starts over, which is only slower). A finished walk stores "done", and a
 * re-run then returns the stored counts without visiting anything.
 *
 * Failures (an object that cannot be opened, read, parsed or written, a
 * directory that cannot be listed) are counted, reported to `failure` with
 * the path and the error, and the walk goes on. walk_run fails only for bad
 * arguments, out of memory, or a
 * checkpoint that cannot be stored.
 */
#ifndef FERRY_SEC_WALK_H
#define FERRY_SEC_WALK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sec/table.h"
#include "sec/translate.h"
#include "util/err.h"

/* Longest path the walker builds, in bytes of UTF-8 (Windows' long paths are
 * 32,767 UTF-16 units). */
#define WALK_PATH_MAX 32768

#define WALK_ATTR_DIR 0x1u     /* a container: listed and descended into */
#define WALK_ATTR_REPARSE 0x2u /* a reparse point or link: never followed */

/* Called by walk_fs.list for each entry; a non-OK return stops the listing
 * and is returned by list. `name` is one component, without separators. */
typedef ferry_err (*walk_entry_fn)(void *arg, const char *name, unsigned attrs);

/*
 * The seam. Paths are UTF-8, components joined with `sep`. Each function
 * sets the error detail (API and code) on failure.
 */
struct walk_fs {
	void *ctx;
	char sep;
	/* Entries of a directory, without "." and "..", in any order. */
	ferry_err (*list)(void *ctx, const char *dir, walk_entry_fn each, void *arg);
	/* WALK_ATTR_* of a root (children's come from list). */
	ferry_err (*attrs)(void *ctx, const char *path, unsigned *attrs);
	/* Open an object (never its reparse target) for read and write of its SD. */
	ferry_err (*open)(void *ctx, const char *path, unsigned attrs, void **obj);
	/* Its self-relative SD into buf[0..cap); cap is SD_MAX_SIZE. */
	ferry_err (*read_sd)(void *ctx, void *obj, uint8_t *buf, size_t cap, size_t *len);
	ferry_err (*write_sd)(void *ctx, void *obj, const uint8_t *sd, size_t len);
	void (*close)(void *ctx, void *obj);
};

struct walk_counts {
	uint64_t seen;            /* objects whose SD was examined (or attempted) */
	uint64_t changed;         /* of which rewritten */
	uint64_t failed;          /* objects or listings that failed */
	uint64_t skipped_reparse; /* reparse points not followed */
};

struct walk_opts {
	const struct walk_fs *fs;
	const struct sec_table *table;
	enum sd_mode mode;

	/* Checkpoints; ckpt_write NULL = none. ckpt_read returns a copy the walker
	 * frees with ferry_free, or FERRY_ENOTFOUND. */
	ferry_err (*ckpt_read)(void *arg, uint8_t **data, size_t *len);
	ferry_err (*ckpt_write)(void *arg, const uint8_t *data, size_t len);
	void *ckpt_arg;
	const char *salt; /* part of the fingerprint (e.g. "source>target"); may be NULL */
	/* Store a checkpoint after a unit only once this many objects were seen
	 * since the last one (0 = after every directory). Bounds the flushes on a
	 * tree of tiny directories; resume still starts at a unit boundary. */
	uint64_t ckpt_min_objects;

	/* Reports; each may be NULL. `arg` is cb_arg. */
	void (*progress)(void *arg, const struct walk_counts *c, const char *dir);
	void (*failure)(void *arg, const char *path, ferry_err code, const char *detail);
	void *cb_arg;
};

/**
 * Walk roots[0..n) (each a file or a directory). On return *counts holds the
 * totals, including those restored from a checkpoint. See the header
 * comment for what fails.
 */
ferry_err walk_run(struct walk_counts *counts, const struct walk_opts *o, const char *const *roots,
		   size_t n);

/** The walk order of two paths: <0, 0, >0 (the separator sorts lowest). */
int walk_path_cmp(const char *a, const char *b, char sep);

#endif
